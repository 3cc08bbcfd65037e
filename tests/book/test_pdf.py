r"""The PDF of the whole book (``tools/build_pdf.py``, the README's PDF command).

Built once per session from the strict build (``built_site``) into ``_build/pdf/``, then
read back with Debian's ``poppler-utils`` (``pdfinfo``, ``pdftotext``, ``pdfimages``):

- it has a title page, a table of contents whose page numbers point at the pages where
  the chapters start, and every chapter of ``_toc.yml``;
- every page has its number in the footer;
- no raw TeX is left in its text outside code (MathJax typeset every formula);
- every figure of the book is in it.

The last tests prove that each check fails on a PDF with the defect it exists to catch.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from book_paths import BUILD_DIR, REPO_ROOT, toc_files
from bs4 import BeautifulSoup
from build_once import once_per_run

pytestmark = [pytest.mark.book, pytest.mark.browser]

PDF = BUILD_DIR / "pdf" / "backprop-executed.pdf"
PRINTED_HTML = PDF.with_name("book.html")
# TeX that MathJax should have typeset: $...$, $$, \( \) \[ \], \begin{...}, \frac{...}.
RAW_TEX = re.compile(r"\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\\frac\{|\\partial\b|\\delta\b")


def poppler(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        reason = f"{tool} is missing: the PDF tests need Debian's poppler-utils"
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI is set, so this is a failure", pytrace=False)
        pytest.skip(reason)
    return subprocess.run([tool, *args], capture_output=True, text=True, check=True).stdout


def _print_pdf() -> str | None:
    r"""Run the README's PDF command; None if it passed, else its output."""
    PDF.unlink(missing_ok=True)
    result = subprocess.run(
        [sys.executable, "tools/build_pdf.py"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=20 * 60,
    )
    return None if result.returncode == 0 else result.stdout + result.stderr


@pytest.fixture(scope="session")
def built_pdf(built_site: Path, browser, request: pytest.FixtureRequest) -> Path:
    r"""Run the README's PDF command on the strict build, once per test run (whichever
    worker asks first: ``once_per_run``); with ``BOOK_BUILD=reuse``, reuse a PDF newer than
    the site."""
    index = built_site / "index.html"
    if (
        os.environ.get("BOOK_BUILD") == "reuse"
        and PDF.exists()
        and PDF.stat().st_mtime > index.stat().st_mtime
    ):
        return PDF
    failure = once_per_run(request, "pdf", _print_pdf)
    assert failure is None, failure
    return PDF


def pages_text(pdf: Path) -> list[str]:
    r"""The text of each page (pdftotext, one string per page)."""
    text = poppler("pdftotext", "-layout", str(pdf), "-")
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def page_count(pdf: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", poppler("pdfinfo", str(pdf)), re.M).group(1))


def code_text(html: str) -> str:
    r"""All code of a printed HTML document, whitespace collapsed (where raw TeX may be)."""
    soup = BeautifulSoup(html, "html.parser")
    return " ".join(" ".join(pre.get_text().split()) for pre in soup.find_all("pre"))


def raw_tex_problems(pdf: Path, code: str) -> list[str]:
    r"""Lines of the PDF's text holding TeX, other than lines of code."""
    problems = []
    for number, text in enumerate(pages_text(pdf), start=1):
        for line in text.splitlines():
            squeezed = " ".join(line.split())
            if RAW_TEX.search(squeezed) and squeezed not in code:
                problems.append(f"page {number}: {squeezed[:100]!r}")
    return problems


def page_number_problems(pdf: Path) -> list[str]:
    r"""Pages whose footer does not read ``k / N``."""
    texts = pages_text(pdf)
    total = page_count(pdf)
    return [
        f"page {k} has no page number"
        for k, text in enumerate(texts, start=1)
        if not re.search(rf"(?m)^\s*{k} / {total}\s*$", text)
    ]


def toc_problems(pdf: Path, titles: list[str]) -> list[str]:
    r"""The table of contents (page 2) lists each title with a page number, and that page
    starts with the title (a long title wraps: its first lines, joined)."""
    texts = pages_text(pdf)
    toc = texts[1] if len(texts) > 1 else ""
    if "Contents" not in toc:
        return ["page 2 is not the table of contents"]
    problems = []
    for title in titles:
        found = re.search(rf"{re.escape(title)}[ .]*?(\d+)\s*$", toc, re.M)
        if not found:
            problems.append(f"the table of contents has no page number for {title!r}")
            continue
        page = int(found.group(1))
        head = texts[page - 1].splitlines()[:12] if page <= len(texts) else []
        top = " ".join(" ".join(head).split())
        if " ".join(title.split()) not in top:
            problems.append(f"{title!r} is not on page {page}, where the contents say it is")
    return problems


def image_count(pdf: Path) -> int:
    r"""Distinct images drawn in the PDF (pdfimages -list; soft masks not counted)."""
    rows = poppler("pdfimages", "-list", str(pdf)).splitlines()[2:]
    return len({(r.split()[0], r.split()[10]) for r in rows if r.split()[2] == "image"})


def figure_count(html: str) -> int:
    r"""Distinct figures (``<img>`` of the book's pages) in the printed HTML."""
    soup = BeautifulSoup(html, "html.parser")
    return len({img["src"] for img in soup.select(".pdf-chapter img[src]")})


# -- the PDF ----------------------------------------------------------------------------------


def test_pdf_has_every_chapter_and_a_table_of_contents(built_pdf: Path):
    html = PRINTED_HTML.read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    printed = [s["data-page"] for s in soup.select("section.pdf-chapter")]
    assert printed == toc_files(), printed
    titles = [a.get_text(strip=True) for a in soup.select("nav.pdf-toc li a")]
    assert len(titles) == len(toc_files())
    assert page_count(built_pdf) >= 5 * len(titles), page_count(built_pdf)
    assert toc_problems(built_pdf, titles) == []


def test_pdf_pages_are_numbered(built_pdf: Path):
    assert page_number_problems(built_pdf) == []


def test_pdf_has_no_raw_tex_outside_code(built_pdf: Path):
    code = code_text(PRINTED_HTML.read_text(encoding="utf-8"))
    problems = raw_tex_problems(built_pdf, code)
    assert not problems, "\n".join(problems[:30])


def test_pdf_has_every_figure(built_pdf: Path):
    figures = figure_count(PRINTED_HTML.read_text(encoding="utf-8"))
    assert figures >= 10, figures
    assert image_count(built_pdf) >= figures


# -- the checks can fail ------------------------------------------------------------------------


def _pdf(browser, tmp_path: Path, html: str, footer: bool = True) -> Path:
    page = browser.new_page()
    page.set_content(html)
    out = tmp_path / "x.pdf"
    page.pdf(
        path=str(out),
        display_header_footer=footer,
        header_template="<span></span>",
        footer_template='<div style="font-size:9px;width:100%;text-align:center">'
        '<span class="pageNumber"></span> / <span class="totalPages"></span></div>',
        margin={"top": "15mm", "bottom": "15mm"},
    )
    page.close()
    return out


def test_raw_tex_is_caught_but_code_is_not(browser, tmp_path: Path):
    pdf = _pdf(browser, tmp_path, r"<p>the loss $E = \frac{1}{B}$ here</p><pre>x = '$y$'</pre>")
    problems = raw_tex_problems(pdf, code_text("<pre>x = '$y$'</pre>"))
    assert len(problems) == 1 and "the loss" in problems[0], problems


def test_missing_page_numbers_and_a_wrong_contents_are_caught(browser, tmp_path: Path):
    three_pages = (
        "<p>title</p><div style='break-before: page'>Contents<br>Intro ..... 1</div>"
        "<div style='break-before: page'>Intro</div>"
    )
    pdf = _pdf(browser, tmp_path, three_pages, footer=False)
    assert page_number_problems(pdf) == [f"page {k} has no page number" for k in (1, 2, 3)]
    assert toc_problems(pdf, ["Intro", "Outro"]) == [
        "'Intro' is not on page 1, where the contents say it is",
        "the table of contents has no page number for 'Outro'",
    ]
    pdf = _pdf(browser, tmp_path, three_pages.replace("..... 1", "..... 1x"))
    assert toc_problems(pdf, ["Intro"]) == ["the table of contents has no page number for 'Intro'"]


def test_a_missing_figure_is_caught(browser, tmp_path: Path):
    pdf = _pdf(browser, tmp_path, "<p>no figure</p>")
    html = '<section class="pdf-chapter"><img src="a.png"></section>'
    assert image_count(pdf) < figure_count(html)


def test_readme_gives_the_pdf_command_the_fixture_runs():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A PDF of the whole book", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"```bash\n(.*?)\n```", section, flags=re.DOTALL) == [
        ".venv/bin/python tools/build_pdf.py"
    ]
    assert "_build/pdf/backprop-executed.pdf" in section
