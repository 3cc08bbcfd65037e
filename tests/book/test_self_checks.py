r"""The self-checks' sources and the site: the nbgrader markers are left out of the pages.

The self-checks themselves are driven in the browser by ``self_checks.py``'s
:func:`exercise_self_checks`, on the load of ``test_browser_pages.py::test_page_in_use``."""

from __future__ import annotations

import pytest
from book_paths import REPO_ROOT
from self_checks import numbered_chapters

pytestmark = [pytest.mark.book]


def test_nbgrader_markers_are_not_on_the_site(built_site):
    r"""The solution cells' nbgrader markers (for ``tools/student_edition.py``) are left out
    of the rendered listings by ``tools/book_site.py``; the solution code itself is shown."""
    marked = [
        chapter
        for chapter in numbered_chapters()
        if "### BEGIN SOLUTION" in (REPO_ROOT / f"{chapter}.md").read_text(encoding="utf-8")
    ]
    assert marked, "no chapter marks a solution"
    for chapter in marked:
        html = (built_site / f"{chapter}.html").read_text(encoding="utf-8")
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in html, f"{chapter}: {marker!r} is on the page"
    html = (built_site / "book/feedforward.html").read_text(encoding="utf-8")
    assert "n_learned" in html, "the solution code of ex-ff-shapes is not on the page"
