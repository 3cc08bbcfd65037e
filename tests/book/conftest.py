r"""Fixtures for the book's tests: the strict build, its pages, a local server, a browser.

- ``built_site``: runs the README's build command (``jupyter-book build . --all -W -n
  --keep-going``, into ``_build/``) once per session and returns ``_build/html``. A failed
  build fails every test that uses it, with the end of the build log. Set
  ``BOOK_BUILD=reuse`` to test an existing ``_build/html`` without rebuilding (for quick
  iterations on the tests themselves; CI always builds).
- ``toc_pages``, ``notebook_pages``: the pages of ``_toc.yml``, and those that are notebooks.
- ``site_server``: ``_build/html`` served on ``http://127.0.0.1:<port>/``.
- ``browser``: Debian's chromium driven by playwright (never a downloaded browser).
- ``offline_page``: a fresh page whose every non-loopback request is aborted and recorded,
  with console errors, page errors and failed local requests collected;
  ``module_offline_page``: the same, shared by the tests of a module.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from book_paths import (
    BUILD_DIR,
    EXECUTED_DIR,
    HTML_DIR,
    LOOPBACK_HOSTS,
    REPO_ROOT,
    build_command,
    is_notebook,
    toc_files,
)
from build_once import once_per_run

ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def _build_book() -> str | None:
    r"""Run the strict build into ``_build/``; None if it passed, else the failure text.
    Empties ``_build/screenshots/`` first: the browser tests save this build's there."""
    # Pages of an earlier build (a chapter since renamed) must not be tested as this one's.
    for stale in (HTML_DIR, EXECUTED_DIR):
        shutil.rmtree(stale, ignore_errors=True)
    for old in (BUILD_DIR / "screenshots").glob("*.png"):
        old.unlink()
    start = time.monotonic()
    result = subprocess.run(
        build_command(),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30 * 60,
    )
    elapsed = time.monotonic() - start
    if result.returncode == 0:
        return None
    log = ANSI_COLOUR.sub("", result.stdout + "\n" + result.stderr).splitlines()
    problems = [
        line for line in log if ("WARNING" in line or "ERROR" in line) and "IPKernelApp" not in line
    ]
    return (
        f"the strict book build failed (exit {result.returncode}, {elapsed:.0f} s): "
        f"{' '.join(build_command())}\n"
        + "\n".join(["-- warnings and errors:", *problems, "-- end of the log:", *log[-60:]])
    )


@pytest.fixture(scope="session")
def built_site(request: pytest.FixtureRequest) -> Path:
    r"""Build the book strictly, once per test run (:func:`once_per_run`, whichever worker
    asks first); return ``_build/html``."""
    if os.environ.get("BOOK_BUILD") == "reuse" and (HTML_DIR / "index.html").exists():
        return HTML_DIR
    failure = once_per_run(request, "build", _build_book)
    if failure is not None:
        pytest.fail(failure, pytrace=False)
    return HTML_DIR


@pytest.fixture(scope="session")
def toc_pages() -> list[str]:
    return toc_files()


@pytest.fixture(scope="session")
def notebook_pages(toc_pages: list[str]) -> list[str]:
    return [page for page in toc_pages if is_notebook(page)]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    r"""A browser that closes a connection early (a page left while a file is still being
    sent) is not an error of the site: no traceback for it. Anything else is reported."""

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def site_server(built_site: Path):
    r"""Serve the built site on 127.0.0.1; yield its base URL (ending in ``/``)."""
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class OfflinePage:
    r"""A browser page that may only reach loopback, and what happened on it."""

    page: object
    blocked: list[str] = field(default_factory=list)  # non-loopback requests, aborted
    failed: list[str] = field(default_factory=list)  # local requests that failed or gave >= 400
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"network request (blocked): {u}" for u in self.blocked]
            + [f"failed local request: {u}" for u in self.failed]
            + [f"console error: {m}" for m in self.console_errors]
            + [f"JS error: {m}" for m in self.page_errors]
        )


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("file", "data", "blob", "about"):
        return True
    return parts.hostname in LOOPBACK_HOSTS


@contextlib.contextmanager
def _offline_page(browser):
    r"""A fresh browser context and page; every request off the machine is aborted and recorded."""
    context = browser.new_context()
    record = OfflinePage(page=None)

    def route(route):
        url = route.request.url
        if _is_local(url):
            route.continue_()
        else:
            record.blocked.append(url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    record.page = page
    page.on("console", lambda m: m.type == "error" and record.console_errors.append(m.text))
    page.on("pageerror", lambda e: record.page_errors.append(str(e)))

    def on_failed(request):
        if _is_local(request.url):
            record.failed.append(f"{request.url} ({request.failure})")

    page.on("requestfailed", on_failed)
    page.on(
        "response",
        lambda r: (
            r.status >= 400
            and _is_local(r.url)
            and record.failed.append(f"{r.url} (HTTP {r.status})")
        ),
    )
    try:
        yield record
    finally:
        context.close()


@pytest.fixture
def offline_page(browser):
    r"""A fresh browser context and page; every request off the machine is aborted and recorded."""
    with _offline_page(browser) as record:
        yield record


@pytest.fixture(scope="module")
def module_offline_page(browser):
    r"""Like ``offline_page``, one for all the tests of a module: for a page that its tests
    share (opened once; each test sets the state it needs). What it records accumulates."""
    with _offline_page(browser) as record:
        yield record


# -- added for tests/book/test_browser_pages.py ---------------------------------------------


@pytest.fixture(scope="session")
def screenshot_dir(built_site: Path) -> Path:
    r"""``_build/screenshots/`` (next to ``html/``), emptied by the build: the browser tests
    save a screenshot of every page there for reviewers."""
    directory = built_site.parent / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)  # emptied by the build (_build_book)
    return directory
