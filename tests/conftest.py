"""Shared fixtures for the library tests.

Every random number comes from a seeded ``numpy.random.default_rng``. Modules that need
another seed define their own ``rng`` fixture, which takes precedence over this one.
"""

from __future__ import annotations

import os
import shutil

# One BLAS thread per process, read when numpy loads OpenBLAS (numpy is first imported
# below): pytest-xdist already runs one worker per core, and the kernels and the book build
# that the tests start inherit the setting. With a second thread per process on a busy
# machine, OpenBLAS's waiting threads made the products of small networks up to 8 times
# slower (300 full-batch epochs of book/optimizers.md: 6.3 s with two threads, 0.8 s with one).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from book_paths import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

#: Debian's nodejs, which runs the browser engine (engine.js and friends) in the tests.
NODE = shutil.which("node")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    r"""Order the run for pytest-xdist (``-n auto --dist worksteal``, pyproject.toml).

    The tests that need the built site (the ``built_site`` fixture, directly or through
    another fixture) wait for the strict build, which takes minutes: one of them goes
    first, so that one worker starts the build at once while the others run the library's
    tests; the rest of them go last, when the site is ready, shared by every worker (the
    build runs once: ``once_per_run`` in tests/book/conftest.py)."""
    site = [item for item in items if "built_site" in getattr(item, "fixturenames", ())]
    if not site:
        return
    others = [item for item in items if "built_site" not in getattr(item, "fixturenames", ())]
    items[:] = [site[0], *others, *site[1:]]


@pytest.fixture
def rng() -> np.random.Generator:
    """A freshly seeded Generator for each test."""
    return np.random.default_rng(20231128)


@pytest.fixture(scope="session")
def browser():
    r"""Debian's chromium under playwright, one for the whole session (two sync playwrights
    cannot run in one thread). Skips without it, unless CI is set: then fails."""
    if not CHROMIUM.exists():
        reason = (
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
            "(apt-get install chromium)"
        )
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI is set, so this is a failure", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def node() -> str:
    """The ``node`` executable. Skips without it, unless ``CI`` is set: then fails (as the
    browser tests do without chromium), so the engine is never silently untested on CI."""
    if NODE is None:
        reason = "node is missing: the engine tests need Debian's nodejs (apt-get install nodejs)"
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI is set, so this is a failure", pytrace=False)
        pytest.skip(reason)
    return NODE
