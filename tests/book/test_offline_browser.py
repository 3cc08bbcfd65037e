r"""The built site in a real browser with no network: every page from a local server, and
the landing page straight from disk (file://). Nothing may leave the machine, MathJax must
typeset every page with maths, and no page may raise a JavaScript error."""

from __future__ import annotations

import pytest
from book_paths import MATHJAX_READY, toc_files

pytestmark = [pytest.mark.book, pytest.mark.browser]

# MathJax's CHTML fonts that the browser tried to load and could not.
MATHJAX_FONT_ERRORS = """async () => {
    await document.fonts.ready;
    return Array.from(document.fonts)
        .filter(f => f.family.startsWith("MJX") && f.status === "error")
        .map(f => f.family);
}"""

# Visible text of the article, without code (which may hold a literal "$$").
ARTICLE_TEXT = """() => {
    const article = document.querySelector("article") || document.body;
    const copy = article.cloneNode(true);
    copy.querySelectorAll("pre, code, script, style, mjx-container").forEach(n => n.remove());
    return copy.innerText;
}"""


def check_page(offline_page, url: str) -> dict:
    r"""Open ``url``; wait for MathJax when the page has maths; return what was seen."""
    page = offline_page.page
    page.goto(url, wait_until="load")
    has_maths = page.locator("div.math, span.math").count() > 0
    seen = {"has_maths": has_maths, "typeset": 0, "raw": False, "bad_fonts": []}
    if has_maths:
        page.evaluate(MATHJAX_READY)
        seen["typeset"] = page.locator("mjx-container").count()
        seen["bad_fonts"] = page.evaluate(MATHJAX_FONT_ERRORS)
        text = page.evaluate(ARTICLE_TEXT)
        seen["raw"] = "$$" in text or "\\[" in text or "\\begin{" in text
    return seen


@pytest.mark.parametrize("page_name", toc_files())
def test_page_renders_offline(page_name, site_server, offline_page):
    seen = check_page(offline_page, f"{site_server}{page_name}.html")
    assert not offline_page.problems(), "\n".join(offline_page.problems())
    if seen["has_maths"]:
        assert seen["typeset"] > 0, f"{page_name}: MathJax typeset nothing"
        assert not seen["raw"], f"{page_name}: raw TeX is visible"
        assert not seen["bad_fonts"], f"{page_name}: MathJax fonts failed: {seen['bad_fonts']}"


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
