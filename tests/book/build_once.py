r"""Work that a test run does once, whatever the number of pytest-xdist workers: the strict
build of the book (``built_site``, conftest.py) and its PDF (``built_pdf``, test_pdf.py)."""

from __future__ import annotations

import fcntl
from collections.abc import Callable

import pytest
from book_paths import BUILD_DIR


def once_per_run(
    request: pytest.FixtureRequest, name: str, make: Callable[[], str | None]
) -> str | None:
    r"""Run ``make()`` (None when it succeeds, else the failure text) once per test run.

    Under pytest-xdist every worker may ask: the first runs ``make`` while holding a lock on
    ``_build/.NAME.lock`` and records the outcome in a file named after the run's id
    (``testrunuid``, the same in every worker); the others wait for the lock and read that
    outcome, so the work is done once and a failure fails every worker's tests alike."""
    worker = getattr(request.config, "workerinput", None)
    if worker is None:  # one process
        return make()
    BUILD_DIR.mkdir(exist_ok=True)
    outcome = BUILD_DIR / f".{name}-{worker['testrunuid']}"
    with open(BUILD_DIR / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not outcome.exists():
                for old in BUILD_DIR.glob(f".{name}-*"):
                    old.unlink()
                outcome.write_text(make() or "", encoding="utf-8")
            return outcome.read_text(encoding="utf-8") or None
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
