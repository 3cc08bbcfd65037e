r"""The site checks of test_book_site.py, run on small hand-made sites: each one passes on a
clean page and fails on the defect it exists to catch. A check that cannot fail is a defect."""

from __future__ import annotations

from pathlib import Path

import pytest
import test_book_site as checks

pytestmark = pytest.mark.book

HEAD = '<script src="../_static/x.js"></script><link rel="stylesheet" href="../_static/x.css">'
CLEAN_BODY = (
    '<article><p>The layer computes <span class="math notranslate nohighlight">'
    r"\(s = o W + b\)</span>.</p>"
    '<div class="math notranslate nohighlight">\\[E = \\frac{1}{B}\\sum_n E_n\\]</div>'
    '<pre>price = "$$"</pre><a href="other.html#part">next</a></article>'
)


def make_site(tmp_path: Path, head: str = HEAD, body: str = CLEAN_BODY) -> Path:
    site = tmp_path / "html"
    (site / "book").mkdir(parents=True)
    (site / "_static").mkdir()
    (site / "_static" / "x.js").write_text("", encoding="utf-8")
    (site / "_static" / "x.css").write_text("", encoding="utf-8")
    page = f"<html><head>{head}</head><body>{body}</body></html>"
    (site / "book" / "page.html").write_text(page, encoding="utf-8")
    (site / "book" / "other.html").write_text(
        '<html><body><article><h2 id="part">Part</h2></article></body></html>', encoding="utf-8"
    )
    return site


def test_clean_site_passes_every_check(tmp_path: Path):
    site = make_site(tmp_path)
    checks.test_no_raw_tex_outside_mathjax(site)
    checks.test_no_internal_link_points_at_a_missing_file(site)
    checks.test_no_page_loads_anything_from_the_network(site)


@pytest.mark.parametrize(
    "text",
    [
        "$$s = o W + b$$",
        r"\[E\]",
        r"\(x\)",
        r"\begin{align} a \end{align}",
        r"with $\sigma(s)$ here",
    ],
)
def test_raw_tex_is_caught(tmp_path: Path, text: str):
    site = make_site(tmp_path, body=f"<article><p>{text}</p></article>")
    with pytest.raises(AssertionError, match="TeX that MathJax will not render"):
        checks.test_no_raw_tex_outside_mathjax(site)


@pytest.mark.parametrize(
    "body",
    [
        '<article><a href="missing.html">x</a></article>',
        '<article><img src="../_images/none.png"></article>',
        '<article><a href="other.html#no-such-part">x</a></article>',
    ],
)
def test_broken_internal_links_are_caught(tmp_path: Path, body: str):
    site = make_site(tmp_path, body=body)
    with pytest.raises(AssertionError):
        checks.test_no_internal_link_points_at_a_missing_file(site)


@pytest.mark.parametrize(
    "head",
    [
        '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>',
        '<link rel="stylesheet" href="//maxcdn.bootstrapcdn.com/font-awesome.min.css">',
        '<script src="HTTP://unpkg.com/thebe@0.8.2/lib/index.js"></script>',
    ],
)
def test_network_resources_are_caught(tmp_path: Path, head: str):
    site = make_site(tmp_path, head=HEAD + head)
    with pytest.raises(AssertionError):
        checks.test_no_page_loads_anything_from_the_network(site)


def test_a_listing_with_its_docstring_is_caught(tmp_path: Path):
    listing = '<div class="book-listing"><pre>def f():\n    r"""The :math:`x`."""</pre></div>'
    site = make_site(tmp_path, body=f"<article>{listing * 10}</article>")
    with pytest.raises(AssertionError, match="docstring|:math:"):
        checks.test_listings_of_library_code_show_no_docstring_markup(site)


def test_strip_docstrings_keeps_the_code():
    import sys

    sys.path.insert(0, str(Path(checks.__file__).resolve().parents[2] / "tools"))
    import book_site

    code = 'def f(x):\n    r"""Twice :math:`x`."""\n    return 2 * x\n'
    assert book_site.strip_docstrings(code) == "def f(x):\n    return 2 * x\n"
    assert book_site.strip_docstrings("x = (1,") == "x = (1,"  # a fragment: unchanged


def test_an_empty_index_and_an_unlinked_chapter_are_caught(tmp_path: Path):
    site = make_site(tmp_path)
    (site / "genindex.html").write_text("<html><body></body></html>", encoding="utf-8")
    problems = checks.glossary_problems(site, ["book/page"])
    assert problems == [
        "the glossary has 0 terms",
        "the index does not list 'delta'",
        "the index does not list 'jacobian'",
        "the index does not list 'pre-activation'",
        "the index does not list 'vector-jacobian product'",
        "book/page links to no glossary term",
    ], problems
