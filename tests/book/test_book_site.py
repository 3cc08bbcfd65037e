r"""The built site: every page built and executed, maths rendered by MathJax only, no broken
internal link, no warning or traceback in an output, a download per notebook, no CDN."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from book_paths import EXECUTED_DIR, HTML_DIR, toc_files
from bs4 import BeautifulSoup, NavigableString

pytestmark = pytest.mark.book

RAW_TEX = re.compile(
    r"\$\$|\\\[|\\\(|\\begin\{|\\end\{|"  # display delimiters, environments
    r"\$[^$\n]{0,200}?\\[A-Za-z]+[^$\n]{0,200}?\$"  # $...\command...$ left as text
)
NETWORK_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
RESOURCE_ATTRS = {
    "script": "src",
    "link": "href",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "video": "src",
    "audio": "src",
    "embed": "src",
}


def html_pages(site: Path) -> list[Path]:
    r"""The site's pages (not the theme's Jinja macro files copied into _static/)."""
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)


@functools.lru_cache(maxsize=None)
def _parsed(path: Path, mtime_ns: int) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def soup_of(path: Path) -> BeautifulSoup:
    r"""The parsed page, parsed once per version of the file. Do not modify it."""
    path = path.resolve()
    return _parsed(path, path.stat().st_mtime_ns)


def _outside_maths_and_code(text: NavigableString) -> bool:
    for parent in text.parents:
        if parent.name in ("pre", "code", "script", "style", "mjx-container"):
            return False
        if {"math", "highlight"} & set(parent.get("class") or ()):
            return False
    return True


def executed_notebook(page: str) -> nbformat.NotebookNode:
    return nbformat.read(EXECUTED_DIR / f"{page}.ipynb", as_version=4)


def test_every_toc_page_was_built(built_site: Path, toc_pages: list[str]):
    missing = [page for page in toc_pages if not (built_site / f"{page}.html").is_file()]
    assert not missing, f"pages of _toc.yml without an HTML page: {missing}"
    assert (built_site / "index.html").is_file()


def test_every_notebook_page_executed(built_site: Path, notebook_pages: list[str]):
    assert notebook_pages, "the book has no notebook page"
    for page in notebook_pages:
        nb = executed_notebook(page)
        code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
        assert code, f"{page}: no code cell"
        not_run = [i for i, c in enumerate(nb.cells) if c in code and c.execution_count is None]
        assert not not_run, f"{page}: cells {not_run} were not executed"
        # A cell that raised would have stopped the run: the page would lack outputs.
        with_output = sum(bool(c.outputs) for c in code)
        rendered = len(soup_of(built_site / f"{page}.html").select("div.cell_output"))
        assert rendered >= with_output, (
            f"{page}: {with_output} cells have outputs, the page shows {rendered}"
        )


def _output_texts(output: nbformat.NotebookNode) -> list[str]:
    if output.output_type == "stream":
        return [output.text]
    if output.output_type == "error":
        return ["\n".join(output.traceback)]
    return [v for k, v in output.get("data", {}).items() if isinstance(v, str) and "json" not in k]


def test_no_output_holds_an_error_a_warning_or_stderr(notebook_pages: list[str], built_site):
    problems = []
    for page in notebook_pages:
        for index, cell in enumerate(executed_notebook(page).cells):
            for output in cell.get("outputs", []):
                where = f"{page} cell {index}"
                if output.output_type == "error":
                    problems.append(f"{where}: raised {output.ename}: {output.evalue}")
                if output.get("name") == "stderr":
                    problems.append(f"{where}: wrote to stderr: {output.text[:200]!r}")
                for text in _output_texts(output):
                    for word in ("Traceback", "Warning"):
                        if word in text:
                            problems.append(f"{where}: output contains {word!r}: {text[:200]!r}")
    assert not problems, "\n".join(problems)


def test_no_raw_tex_outside_mathjax(built_site: Path):
    problems = []
    for path in html_pages(built_site):
        soup = soup_of(path)
        article = soup.select_one("article") or soup.body
        if article is None:
            continue
        # Text outside where MathJax looks for TeX (Sphinx: div.math / span.math) and code.
        text = " ".join(t for t in article.find_all(string=True) if _outside_maths_and_code(t))
        for match in RAW_TEX.finditer(text):
            context = text[max(0, match.start() - 60) : match.end() + 60].replace("\n", " ")
            problems.append(f"{path.relative_to(built_site)}: {context!r}")
    assert not problems, "TeX that MathJax will not render:\n" + "\n".join(problems)


def test_pages_with_maths_load_the_local_mathjax(built_site: Path, toc_pages: list[str]):
    with_maths = 0
    for page in toc_pages:
        soup = soup_of(built_site / f"{page}.html")
        if not soup.select("div.math, span.math"):
            continue
        with_maths += 1
        sources = [s.get("src", "") for s in soup.find_all("script")]
        assert any("vendor/mathjax/tex-mml-chtml.js" in s for s in sources), (page, sources)
    assert with_maths > 0, "no page has maths: is dollarmath on?"


def _local_target(page: Path, url: str, site: Path) -> Path | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    target = (page.parent / unquote(parts.path)).resolve()
    if target.is_dir():
        target = target / "index.html"
    return target


def test_no_internal_link_points_at_a_missing_file(built_site: Path):
    site = built_site.resolve()
    broken = []
    ids: dict[Path, set[str]] = {}
    for path in html_pages(built_site):
        soup = soup_of(path)
        for tag in soup.find_all(["a", "link", "script", "img", "iframe", "source"]):
            for attr in ("href", "src"):
                url = tag.get(attr)
                if not url or url.startswith(("#", "mailto:", "data:", "javascript:")):
                    continue
                target = _local_target(path, url, site)
                if target is None:
                    continue
                where = f"{path.relative_to(built_site)}: <{tag.name} {attr}={url!r}>"
                if not target.is_file():
                    broken.append(f"{where}: no such file")
                    continue
                fragment = urlsplit(url).fragment
                if fragment and target.suffix == ".html":
                    if target not in ids:
                        ids[target] = {t["id"] for t in soup_of(target).find_all(id=True)}
                    if unquote(fragment) not in ids[target]:
                        broken.append(f"{where}: no id {fragment!r} there")
    assert not broken, "\n".join(broken)


def test_every_notebook_page_offers_its_ipynb(built_site: Path, notebook_pages: list[str]):
    for page in notebook_pages:
        download = built_site / "_sources" / f"{page}.ipynb"
        assert download.is_file(), f"{page}: no {download.relative_to(built_site)}"
        nb = nbformat.read(download, as_version=4)
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
        assert counts and None not in counts, f"{page}: the download is not the executed notebook"
        hrefs = [a.get("href", "") for a in soup_of(built_site / f"{page}.html").find_all("a")]
        wanted = f"_sources/{page}.ipynb"
        assert any(h.endswith(wanted) for h in hrefs), f"{page}: no link to {wanted}"


def test_binder_links_open_the_paired_notebook_in_jupyterlab(
    built_site: Path, notebook_pages: list[str]
):
    for page in notebook_pages:
        hrefs = [a.get("href", "") for a in soup_of(built_site / f"{page}.html").find_all("a")]
        binder = [h for h in hrefs if h.startswith("https://mybinder.org/")]
        assert binder == [
            "https://mybinder.org/v2/gh/backprop-executed/backprop-executed/main"
            f"?urlpath=lab/tree/{page}.ipynb"
        ], f"{page}: {binder}"


def test_no_page_loads_anything_from_the_network(built_site: Path):
    found = []
    for path in html_pages(built_site):
        for tag in soup_of(path).find_all(list(RESOURCE_ATTRS)):
            if tag.name == "link" and "canonical" in (tag.get("rel") or []):
                continue
            url = tag.get(RESOURCE_ATTRS[tag.name], "")
            if NETWORK_URL.match(url):
                found.append(f"{path.relative_to(built_site)}: <{tag.name}> {url}")
    assert not found, "\n".join(found)


def test_no_thebe_on_any_page(built_site: Path):
    for path in html_pages(built_site):
        soup = soup_of(path)
        assert not soup.select(".thebe-launch-button, .thebelab-button"), path


def test_the_site_index_leads_to_the_landing_page(built_site: Path):
    assert f"{toc_files()[0]}.html" in (built_site / "index.html").read_text(encoding="utf-8")
    assert HTML_DIR.resolve() == built_site.resolve()


def test_listings_of_library_code_show_no_docstring_markup(built_site: Path):
    # tools/book_site.py leaves the docstrings out of {literalinclude} listings: their reST
    # (:math:`...`, ``code``) would show raw on the page.
    listings, problems = 0, []
    for page in html_pages(built_site):
        for block in soup_of(page).select(".book-listing pre"):
            listings += 1
            text = block.get_text()
            if ":math:" in text or '"""' in text or "'''" in text:
                problems.append(f"{page.relative_to(built_site)}: {text.strip()[:60]!r}")
    assert listings >= 10, f"only {listings} listings of library code marked book-listing"
    assert not problems, "\n".join(problems)


def glossary_problems(site: Path, chapters: list[str]) -> list[str]:
    r"""The index lists the glossary's terms, and every chapter links to the glossary."""
    problems = []
    index = site / "genindex.html"
    terms = (
        [
            dt.get("id", "")
            for dt in soup_of(site / "book" / "glossary.html").select("dl.glossary dt")
        ]
        if (site / "book" / "glossary.html").exists()
        else []
    )
    if len(terms) < 10:
        problems.append(f"the glossary has {len(terms)} terms")
    listed = (
        {a.get_text(" ", strip=True).lower() for a in soup_of(index).select(".genindextable a")}
        if index.exists()
        else set()
    )
    for term in ("delta", "jacobian", "pre-activation", "vector-jacobian product"):
        if not any(entry.startswith(term) for entry in listed):
            problems.append(f"the index does not list {term!r}")
    for chapter in chapters:
        links = [
            a
            for a in soup_of(site / f"{chapter}.html").select("article a[href]")
            if "glossary.html#term-" in a["href"]
        ]
        if not links:
            problems.append(f"{chapter} links to no glossary term")
    return problems


def test_glossary_terms_are_indexed_and_linked_from_the_chapters(
    built_site: Path, notebook_pages: list[str]
):
    assert glossary_problems(built_site, notebook_pages) == []


FOLD_EQUATION = re.compile(r"\(eq:([A-Za-z0-9_-]+)\)")


def fold_equation_problems(site: Path, sources: dict[str, str]) -> list[str]:
    r"""Fold titles that show an equation's label rather than its number: for each
    ``(eq:label)`` in a ``code_prompt_show`` of ``sources`` (page -> MyST text), the page's
    fold title must show the number the equation carries where it is displayed (its
    ``.eqno``, read from the built page that holds ``#equation-eq-label``)."""
    numbers = {}
    for page in html_pages(site):
        for eqno in soup_of(page).select("span.eqno"):
            link = eqno.find("a", href=True)
            if link and link["href"].startswith("#equation-"):
                numbers[link["href"][len("#equation-") :]] = eqno.get_text().strip("¶# ")
    problems = []
    for name, text in sources.items():
        titles = [
            " ".join(p.get_text().split())
            for p in soup_of(site / f"{name}.html").select("details > summary p")
        ]
        for prompt in re.findall(r'code_prompt_show: "([^"]*)"', text):
            if "(eq:" not in prompt:
                continue
            expected = FOLD_EQUATION.sub(
                lambda m: numbers.get("eq-" + m.group(1), m.group(0)), prompt
            )
            if "(eq:" in expected:
                problems.append(f"{name}: {prompt[:60]!r} names an equation the site lacks")
            elif expected not in titles:
                problems.append(f"{name}: no fold title reads {expected[:80]!r}")
    for page in html_pages(site):
        for summary in soup_of(page).select("details > summary"):
            if FOLD_EQUATION.search(summary.get_text()):
                problems.append(f"{page.name}: a fold title shows a label: {summary.get_text()!r}")
    return problems


def test_fold_titles_number_their_equations(built_site: Path, toc_pages: list[str]):
    r"""A folded check that names an equation, "(eq:td-update)" in its source, shows the
    equation's number, as the text's references do (tools/book_site.py)."""
    from book_paths import REPO_ROOT

    sources = {
        page: (REPO_ROOT / f"{page}.md").read_text(encoding="utf-8")
        for page in toc_pages
        if (REPO_ROOT / f"{page}.md").exists()
    }
    named = [
        prompt
        for text in sources.values()
        for prompt in re.findall(r'code_prompt_show: "([^"]*)"', text)
        if "(eq:" in prompt
    ]
    assert len(named) >= 10, named  # 17 when this test was written
    problems = fold_equation_problems(built_site, sources)
    assert not problems, "\n".join(problems)


def figure_alt_problems(site: Path) -> list[str]:
    r"""Figure images (PNGs of ``_images/``; an animation's frames are drawn by its script)
    whose alternative text is missing or a file path (what a screen reader would read out
    instead of what the figure shows)."""
    problems = []
    for page in html_pages(site):
        for img in soup_of(page).select('figure img[src*="_images/"]'):
            alt = " ".join((img.get("alt") or "").split())
            if len(alt) < 10 or "_images/" in alt or alt.endswith((".png", ".svg")):
                problems.append(f"{page.name}: {img.get('src')} has the alt text {alt!r}")
    return problems


def test_every_figure_image_has_a_description(built_site: Path):
    r"""Every figure's image carries a text alternative, its caption (tools/book_site.py),
    not the path myst-nb writes for a figure drawn by a cell."""
    problems = figure_alt_problems(built_site)
    assert not problems, "\n".join(problems[:20])
