r"""Print the whole book into one PDF, from the built site, with Debian's chromium.

    python tools/build_pdf.py [SITE] [OUT.pdf]

Defaults: ``_build/html`` -> ``_build/pdf/backprop-executed.pdf``. Run the README's build
command first: the PDF is made of the pages exactly as they were executed and checked.

How: the article of every page of ``_toc.yml``, in order, goes into one HTML document
(``_build/pdf/book.html``) after a title page and a table of contents; ids are prefixed
with the page's name so that links between pages become links inside the PDF. Chromium
(playwright, ``executable_path=/usr/bin/chromium``, no network) typesets its maths with the
site's MathJax once and prints it twice: the first print tells, through ``pdftotext``
(Debian's ``poppler-utils``), on which page each chapter starts; the second prints those
page numbers in the table of contents. Every page has a page number in its footer.

What changes on paper: solutions of the exercises are printed open; code cells that the
site collapses (plumbing) are left out, their outputs kept; an interactive widget is
replaced by a line that says where it is on the website; an animation shows its first
frame without its controls.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from bs4 import BeautifulSoup

REPO_ROOT = Path(__file__).resolve().parent.parent
SITE = REPO_ROOT / "_build" / "html"
OUT = REPO_ROOT / "_build" / "pdf" / "backprop-executed.pdf"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MARKER = "PDFMARK{}ENDMARK"  # invisible in print; found again by pdftotext
MARKER_PATTERN = re.compile(r"PDFMARK(\d+)ENDMARK")

PRINT_CSS = """
@page { size: A4; margin: 18mm 16mm 18mm 16mm; }
html, body { background: white !important; }
body { font-size: 11pt; }
.bd-article { padding: 0 !important; }
.pdf-chapter { break-before: page; }
.headerlink, .copybtn, .toggle-button, .anim-buttons, .anim-slider, .anim-state,
.cell_input .copybtn { display: none !important; }
.pdf-marker { position: absolute; font-size: 1px; color: white; }
pre { white-space: pre-wrap !important; word-break: break-word; overflow: visible !important; }
div.highlight, .cell_output, .output { overflow: visible !important; max-height: none !important; }
img { max-width: 100% !important; break-inside: avoid; }
figure, .cell_output img { break-inside: avoid; }
table { break-inside: auto; }
h1, h2, h3 { break-after: avoid; }
.pdf-title { text-align: center; margin-top: 35%; }
.pdf-title h1 { font-size: 32pt; }
.pdf-toc { break-before: page; }
.pdf-toc ol { list-style: none; padding-left: 0; }
.pdf-toc li { display: flex; gap: 0.5em; margin: 0.2em 0; }
.pdf-toc li .dots { flex: 1; border-bottom: 1px dotted #888; margin-bottom: 0.3em; }
.pdf-toc h3 { margin-top: 1em; font-size: 12pt; }
.pdf-note { font-style: italic; border-left: 3px solid #999; padding-left: 0.6em; }
"""


def toc_parts(toc_file: Path) -> list[tuple[str | None, list[str]]]:
    r"""``_toc.yml`` as ``[(caption or None, [page, ...]), ...]``; the root page first."""
    toc = yaml.safe_load(toc_file.read_text(encoding="utf-8"))
    parts: list[tuple[str | None, list[str]]] = [(None, [toc["root"]])]

    def pages(node: dict) -> list[str]:
        found = [node["file"]] if "file" in node else []
        for key in ("chapters", "sections"):
            for child in node.get(key, []):
                found += pages(child)
        return found

    for part in toc.get("parts", []):
        parts.append((part.get("caption"), pages(part)))
    if "chapters" in toc:
        parts.append((None, pages(toc)))
    return [
        (c, [str(Path(p).with_suffix("")) if Path(p).suffix else p for p in ps]) for c, ps in parts
    ]


def slug(page: str) -> str:
    return page.replace("/", "-")


def _rewrite_links(article, page: str, pages: set[str]) -> None:
    base = Path(page).parent
    prefix = slug(page)
    for tag in article.find_all(id=True):
        tag["id"] = f"{prefix}--{tag['id']}"
    for a in article.find_all("a", href=True):
        href = a["href"]
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            continue
        if not parts.path:
            a["href"] = f"#{prefix}--{parts.fragment}"
            continue
        target = str((base / parts.path).with_suffix("")).replace("\\", "/")
        target = re.sub(r"(^|/)[^/]+/\.\./", r"\1", target)
        if parts.path.endswith(".html") and target in pages:
            fragment = parts.fragment
            a["href"] = f"#{slug(target)}--{fragment}" if fragment else f"#{slug(target)}"


def _for_paper(article, page_title: str) -> None:
    # plumbing cells the site collapses: their source is left out, their output kept
    for details in article.select("details.hide.above-input"):
        details.decompose()
    for details in article.find_all("details"):
        details["open"] = ""
    for script in article.find_all("script", attrs={"type": WIDGET_VIEW}):
        note = BeautifulSoup(
            f'<p class="pdf-note">An interactive widget is here on the website '
            f"(chapter “{page_title}”); paper shows the text and figures around it.</p>",
            "html.parser",
        )
        script.replace_with(note)


def combined_html(site: Path, toc_file: Path, page_numbers: dict[str, int] | None) -> str:
    r"""One HTML document holding every page of the book, for printing."""
    parts = toc_parts(toc_file)
    all_pages = {p for _, ps in parts for p in ps}
    first = BeautifulSoup(
        (site / f"{parts[0][1][0]}.html").read_text(encoding="utf-8"), "html.parser"
    )
    head = [str(link) for link in first.find_all("link", rel="stylesheet")]
    for script in first.find_all("script"):
        text = script.string or ""
        if "mathjax" in (script.get("src") or "").lower() or "window.MathJax" in text:
            head.append(str(script))
    chapters, toc_rows = [], []
    title = first.title.string.split("—")[-1].strip() if first.title else "Backprop, executed"
    n = 0
    for caption, pages in parts:
        if caption:
            toc_rows.append(f"<h3>{caption}</h3>")
        rows = []
        for page in pages:
            soup = BeautifulSoup((site / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
            article = soup.select_one("article.bd-article")
            h1 = article.find("h1")
            heading = h1.get_text(" ", strip=True).rstrip("#").strip() if h1 else page
            _for_paper(article, heading)
            _rewrite_links(article, page, all_pages)
            n += 1
            number = page_numbers.get(page) if page_numbers else None
            marker = "" if page_numbers else MARKER.format(n)
            rows.append(
                f'<li><a href="#{slug(page)}">{heading}</a><span class="dots"></span>'
                f'<span class="page">{number if number else "&#8199;&#8199;&#8199;"}</span></li>'
            )
            chapters.append(
                f'<section class="pdf-chapter" id="{slug(page)}" data-page="{page}">'
                f'<span class="pdf-marker">{marker}</span>{article.decode_contents()}</section>'
            )
        toc_rows.append("<ol>" + "".join(rows) + "</ol>")
    base = (site / parts[0][1][0]).parent.resolve().as_uri() + "/"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><base href="{base}">'
        f"<title>{title}</title>{''.join(head)}<style>{PRINT_CSS}</style></head>"
        '<body><div class="bd-article">'
        f'<div class="pdf-title"><h1>{title}</h1><p>Every page of this book was executed, and '
        "its assertions passed, when this PDF was built from the website.</p></div>"
        f'<nav class="pdf-toc"><h2>Contents</h2>{"".join(toc_rows)}</nav>'
        f"{''.join(chapters)}</div></body></html>"
    )


@contextmanager
def _typeset(html_file: Path) -> Iterator[Any]:
    r"""The combined document open in chromium with its maths typeset, ready to print."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context()
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(("file:", "data:", "blob:"))
                else route.abort()
            ),
        )
        page = context.new_page()
        page.goto(html_file.resolve().as_uri(), wait_until="load")
        page.evaluate("() => window.MathJax.startup.promise")
        page.evaluate("() => document.fonts.ready")
        page.wait_for_timeout(500)
        page.emulate_media(media="print")
        try:
            yield page
        finally:
            browser.close()


def _print(page: Any, pdf: Path, title: str) -> None:
    page.pdf(
        path=str(pdf),
        format="A4",
        print_background=True,
        display_header_footer=True,
        header_template=f'<div style="font-size:8px;width:100%;text-align:center;'
        f'color:#666">{title}</div>',
        footer_template='<div style="font-size:9px;width:100%;text-align:center">'
        '<span class="pageNumber"></span> / <span class="totalPages"></span></div>',
        margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
        outline=True,
    )


# The table of contents' page numbers written into the typeset document, and the markers
# removed: what combined_html(..., page_numbers) holds, without typesetting the book again.
FILL_PAGE_NUMBERS = """(numbers) => {
    for (const [slug, number] of Object.entries(numbers)) {
        const row = document.querySelector(`.pdf-toc a[href="#${slug}"]`).closest("li");
        row.querySelector(".page").textContent = String(number);
    }
    document.querySelectorAll(".pdf-marker").forEach(m => { m.textContent = ""; });
}"""


def chapter_pages(pdf: Path) -> dict[int, int]:
    r"""Marker number -> 1-based page of the PDF where it was printed (via pdftotext)."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    found: dict[int, int] = {}
    for number, page_text in enumerate(text.split("\f"), start=1):
        for match in MARKER_PATTERN.finditer(page_text):
            found.setdefault(int(match.group(1)), number)
    return found


def main(argv: list[str]) -> int:
    site = Path(argv[0]) if argv else SITE
    out = Path(argv[1]) if len(argv) > 1 else OUT
    toc_file = REPO_ROOT / "_toc.yml"
    if not (site / "index.html").is_file():
        print(f"build_pdf.py: {site / 'index.html'} not found: build the book first")
        return 1
    if shutil.which("pdftotext") is None:
        print("build_pdf.py: pdftotext not found: apt-get install poppler-utils")
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    html_file = out.with_name("book.html")
    title = "Backprop, executed"
    pages = [p for _, ps in toc_parts(toc_file) for p in ps]
    html_file.write_text(combined_html(site, toc_file, None), encoding="utf-8")
    with _typeset(html_file) as page:
        # First print: where does each chapter start?
        _print(page, out, title)
        starts = chapter_pages(out)
        missing = [pages[k - 1] for k in range(1, len(pages) + 1) if k not in starts]
        if missing:
            print(f"build_pdf.py: could not find where these pages start: {missing}")
            return 1
        # Second print, of the same typeset document: the same layout (the markers are out
        # of the flow and the numbers fill space kept for them), with the page numbers.
        numbers = {pages[k - 1]: number for k, number in starts.items()}
        page.evaluate(FILL_PAGE_NUMBERS, {slug(p): n for p, n in numbers.items()})
        _print(page, out, title)
    # the document as printed, for the record
    html_file.write_text(combined_html(site, toc_file, numbers), encoding="utf-8")
    print(
        f"wrote {out} ({out.stat().st_size // 1024} KiB, chapters start on pages "
        f"{[numbers[p] for p in pages]})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
