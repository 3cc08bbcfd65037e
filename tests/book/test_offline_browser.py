r"""The built site in a real browser with no network: the landing page straight from disk
(file://). Nothing may leave the machine, MathJax must typeset it, and it may raise no
JavaScript error. Every page from the local server is checked the same way (no request
leaving the machine, no JavaScript error, maths typeset with its fonts and no raw TeX) on
the load of ``test_browser_pages.py::test_page_in_use``, which goes on to use the page."""

from __future__ import annotations

import pytest
from book_paths import toc_files, typeset_state

pytestmark = [pytest.mark.book, pytest.mark.browser]


def check_page(offline_page, url: str) -> dict:
    r"""Open ``url``; wait for MathJax when the page has maths; return what was seen."""
    page = offline_page.page
    page.goto(url, wait_until="load")
    has_maths = page.locator("div.math, span.math").count() > 0
    seen = {"has_maths": has_maths, "typeset": 0, "raw": False, "bad_fonts": []}
    if has_maths:
        seen.update(typeset_state(page))
    return seen


def test_landing_page_renders_from_disk(built_site, offline_page):
    url = (built_site / f"{toc_files()[0]}.html").resolve().as_uri()
    seen = check_page(offline_page, url)
    assert not offline_page.problems(), "\n".join(offline_page.problems())
    assert seen["has_maths"], "the landing page is expected to hold an equation"
    assert seen["typeset"] > 0
    assert not seen["raw"]
    assert not seen["bad_fonts"], seen["bad_fonts"]


def test_blocked_requests_are_seen(site_server, offline_page):
    # The guard itself: a page asking for a CDN script is caught, not silently served.
    page = offline_page.page
    page.goto(f"{site_server}{toc_files()[0]}.html", wait_until="load")
    page.evaluate(
        """() => new Promise(resolve => {
            const s = document.createElement("script");
            s.src = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js";
            s.onerror = s.onload = () => resolve(true);
            document.head.appendChild(s);
        })"""
    )
    assert offline_page.blocked == ["https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"]
