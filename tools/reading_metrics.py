r"""The reading path of the built site, measured (issue 21): what a reader sees without
opening a fold.

    python tools/reading_metrics.py [--browser] [--site _build/html]

prints one row per page of ``_toc.yml`` and the totals the tests hold to their limits
(``tests/book/test_reading_path.py`` imports this module). ``--browser`` adds the columns
that need chromium (display equations wider than their column at 1280 px, controls too
small at 390 px, the objectives box on a phone).

What a reader sees without opening a fold (the static measures read the HTML only):

- everything of the page's ``<article>`` except what is inside a closed ``<details>``
  (myst-nb's ``hide-input``/``hide-cell``/``hide-output``, sphinx-design dropdowns) other
  than its ``<summary>``, inside a ``dropdown`` or ``toggle`` admonition (sphinx-togglebutton
  folds them) other than its title, or in ``<script>``/``<style>``; of a summary, only the
  line shown while it is closed (myst-nb's ``collapsed`` title, e.g. "✓ Checked: ...").
- **Visible code lines**: the non-blank lines of every visible ``<pre>`` outside the cell
  outputs: code cell inputs, ``{literalinclude}`` listings, code blocks. Outputs (printed
  text, tables) are results, not code, and are not counted.
- **Words of prose**: the whitespace-separated tokens that contain a letter, in the visible
  text outside code (``<pre>``, code cells), cell outputs, maths (``.math``, MathJax),
  fold summaries (a receipt line is not prose) and heading anchors. Paragraphs, lists,
  tables, captions, admonitions and inline ``code`` in sentences count.
- **Mentions of the notes**: matches of :data:`NOTE_MENTION` in any visible text, outputs
  and fold summaries included (a reader reads them too). **Headings naming a note**: the
  headings (h1-h6, folded or not) that match it.
- **Generic folds**: folds of a code cell that show myst-nb's default line "Show code cell
  source" instead of saying what they hold.
- **Visible glue / assert lines**: visible code lines that call ``glue(`` / that assert
  (``assert`` or an ``assert_*(`` call such as ``np.testing.assert_allclose``).

Scopes (issue 21): the notes' limits hold over the landing page and every page of
``_toc.yml`` except the appendices that exist for the notes' readers and the references
(:data:`NOTES_EXCLUDED`); the code limits over the landing page and the numbered chapters
(:func:`code_pages`; the glossary and API reference are reference pages).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

import yaml
from bs4 import BeautifulSoup, NavigableString, Tag

REPO_ROOT = Path(__file__).resolve().parent.parent
SITE = REPO_ROOT / "_build" / "html"

#: A mention of the source notes. Decided once: their authors, the lecture, "the note(s)"
#: as this book refers to them ("the note's sum", "the notes' network"), "lecture notes".
NOTE_MENTION = re.compile(
    r"\bSwinn\b|\bMehmet\b|\blecture notes?\b|\blectures?\b|\bthe notes?\b(?:['’]s?)?",
    re.IGNORECASE,
)

#: Pages outside the notes' limits: the appendices for the notes' readers, the references.
NOTES_EXCLUDED = ("book/errata", "book/notation", "book/references")
LANDING = "book/intro"

# -- the targets ----------------------------------------------------------------------
MAX_NOTE_MENTIONS = 25  # visible, over the chapters and the landing page
MAX_NOTE_HEADINGS = 0
MAX_CODE_PER_100_WORDS = 4.0  # over all chapters and the landing page together
MAX_CODE_PER_100_WORDS_ONE_PAGE = 6.0
MAX_VISIBLE_GLUE = 0
MAX_VISIBLE_ASSERTS = 50  # in the whole book
#: The checks the chapters execute must not fall in number while they are folded away.
#: Counted by :func:`source_check_counts` over book/*.md: 907 assert lines and 190 glue
#: calls on main at 4a9b0a8 (7 Dec 2026), 1039 and 190 once every exercise had its checks
#: (issue 24) and the four last chapters were folded. (Issue 21 quoted 609 and 117 at an
#: earlier commit, counted another way.) Raise the floor when checks are added.
MIN_ASSERT_LINES = 1039
MIN_GLUE_CALLS = 190

ASSERT_LINE = re.compile(r"\bassert\b|\bassert_\w*\(")
GLUE_CALL = re.compile(r"\bglue\(")
WORD = re.compile(r"[^\W\d_]")  # a token with a letter is a word
#: myst-nb's default fold line, which tells the reader nothing: every fold of a code cell
#: says what it holds (a receipt "✓ Checked: ...", "The code: ...", "The code of this figure").
GENERIC_PROMPT = re.compile(r"^Show code cell (source|content|output)")
MAX_GENERIC_FOLDS = 0

# -- pages ------------------------------------------------------------------------------------


def _toc_files(node: dict, numbered: bool = False) -> list[tuple[str, bool]]:
    files = [(node["root"], False)] if "root" in node else []
    numbered = numbered or bool(node.get("numbered"))
    if "file" in node:
        files.append((node["file"], numbered))
    for key in ("parts", "chapters", "sections"):
        for child in node.get(key, []):
            files.extend(_toc_files(child, numbered))
    return files


def toc_pages(repo: Path = REPO_ROOT) -> list[tuple[str, bool]]:
    r"""Every page of ``_toc.yml`` (``book/feedforward``) with whether it is numbered."""
    toc = yaml.safe_load((repo / "_toc.yml").read_text(encoding="utf-8"))
    return [(str(Path(f).with_suffix("")), n) for f, n in _toc_files(toc)]


def notes_pages(repo: Path = REPO_ROOT) -> list[str]:
    r"""The pages the notes' limits hold over: all of ``_toc.yml`` but NOTES_EXCLUDED."""
    return [p for p, _ in toc_pages(repo) if p not in NOTES_EXCLUDED]


def code_pages(repo: Path = REPO_ROOT) -> list[str]:
    r"""The pages the code limits hold over: the landing page and the numbered chapters."""
    return [p for p, numbered in toc_pages(repo) if numbered or p == LANDING]


# -- what is visible --------------------------------------------------------------------------


def _classes(tag: Tag) -> set[str]:
    return set(tag.get("class") or ())


def _folds(parent: Tag, child: Tag) -> bool:
    r"""Whether ``child`` of ``parent`` is hidden until the reader opens a fold (or never
    shown)."""
    if parent.name in ("script", "style", "template", "noscript"):
        return True
    if parent.name == "summary":  # of a closed fold's summary only the "collapsed" line shows
        return "expanded" in _classes(child)
    if parent.name == "details" and not parent.has_attr("open"):
        return child.name != "summary"
    cls = _classes(parent)
    if "admonition" in cls and {"dropdown", "toggle"} & cls:
        return "admonition-title" not in _classes(child)
    return "toggle" in cls and "admonition" not in cls


def _is_output(tag: Tag) -> bool:
    return bool({"cell_output", "output"} & _classes(tag))


def _is_not_prose(tag: Tag) -> bool:
    cls = _classes(tag)
    return (
        tag.name in ("pre", "summary")
        or tag.name.startswith("mjx-")
        or bool({"cell_input", "highlight", "math", "headerlink"} & cls)
        or _is_output(tag)
    )


def visible_parts(article: Tag):
    r"""Yield ``(node, prose, output)`` for every visible text and ``<pre>`` of the article:
    ``prose`` when it is outside code, outputs, maths and summaries, ``output`` when it is
    inside a cell output."""

    def walk(tag: Tag, prose: bool, output: bool):
        for child in tag.children:
            if isinstance(child, NavigableString):
                if type(child) is NavigableString and child.strip():
                    yield child, prose, output
                continue
            if not isinstance(child, Tag) or _folds(tag, child):
                continue
            if child.name == "pre":
                yield child, False, output
            yield from walk(child, prose and not _is_not_prose(child), output or _is_output(child))

    yield from walk(article, True, False)


@dataclass
class PageMetrics:
    r"""What a reader sees of one page without opening a fold."""

    page: str
    words: int = 0
    code_lines: int = 0
    glue_lines: list[str] = field(default_factory=list)
    assert_lines: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)  # each with some context
    note_headings: list[str] = field(default_factory=list)
    figures: int = 0
    uncaptioned: list[str] = field(default_factory=list)
    generic_folds: int = 0  # folds that show myst-nb's default "Show code cell source"

    @property
    def code_per_100_words(self) -> float:
        return 100.0 * self.code_lines / max(self.words, 1)


# A <pre> block: its opening tag, and its content up to its closing tag.
PRE_BLOCK = re.compile(r"(<pre\b[^>]*>)(.*?)</pre>", re.DOTALL | re.IGNORECASE)
PRE_MARK = "data-reading-metrics-pre"
RAW_TEXT = re.compile(
    r"(<script\b.*?</script\s*>|<style\b.*?</style\s*>)", re.DOTALL | re.IGNORECASE
)
TAG = re.compile(r"<[^>]*>")


def article_of(html: str) -> Tag:
    r"""The page's ``<article>``, parsed alone (the theme's navigation around it is most of
    a page's HTML, and parsing is the slow part).

    Most of an article's tags are the highlighting ``<span>``\s inside its ``<pre>`` blocks,
    which no measure looks at: a ``<pre>`` counts by its text, and a text inside it by
    itself. So each ``<pre>`` is parsed empty and given, as its children, the texts between
    its tags (unescaped, as the parser gives them): the same texts in the same order as
    parsed whole, without their spans (tests/book/test_reading_path.py compares both)."""
    start, end = html.find("<article"), html.rfind("</article>")
    if start >= 0 and end > start:
        html = html[start : end + len("</article>")]
    contents: list[str] = []

    def empty_pre(match: re.Match) -> str:
        contents.append(match.group(2))
        return f'{match.group(1)[:-1]} {PRE_MARK}="{len(contents) - 1}"></pre>'

    # not inside a script or a style, whose text is no markup (and a "<pre" in it no block)
    parts = RAW_TEXT.split(html)
    parts[::2] = [PRE_BLOCK.sub(empty_pre, part) for part in parts[::2]]
    soup = BeautifulSoup("".join(parts), "html.parser")
    for pre in soup.find_all("pre", attrs={PRE_MARK: True}):
        texts = TAG.split(contents[int(pre[PRE_MARK])])
        del pre[PRE_MARK]
        pre.extend([NavigableString(unescape(text)) for text in texts if text])
    article = soup.find("article")
    if article is None:
        raise ValueError("the page has no <article>")
    return article


def article_of_whole(html: str) -> Tag:
    r""":func:`article_of` without its shortcut: the ``<article>`` parsed whole (slower; the
    reference that the test compares it with)."""
    start, end = html.find("<article"), html.rfind("</article>")
    if start >= 0 and end > start:
        html = html[start : end + len("</article>")]
    article = BeautifulSoup(html, "html.parser").find("article")
    if article is None:
        raise ValueError("the page has no <article>")
    return article


def measure_article(page: str, article: Tag) -> PageMetrics:
    r"""The static measures of one page's ``<article>`` (see the module's docstring)."""
    metrics = PageMetrics(page)
    for node, prose, output in visible_parts(article):
        if isinstance(node, Tag):  # a <pre>
            if output:
                continue
            for line in node.get_text().splitlines():
                if not line.strip():
                    continue
                metrics.code_lines += 1
                if GLUE_CALL.search(line):
                    metrics.glue_lines.append(line.strip())
                if ASSERT_LINE.search(line):
                    metrics.assert_lines.append(line.strip())
            continue
        for match in NOTE_MENTION.finditer(node):
            lo, hi = max(match.start() - 40, 0), match.end() + 40
            metrics.mentions.append(" ".join(node[lo:hi].split()))
        if prose:
            metrics.words += sum(1 for token in node.split() if WORD.search(token))
    for summary in article.find_all("summary"):
        shown = summary.find(class_="collapsed") or summary
        if GENERIC_PROMPT.match(shown.get_text(" ").strip()):
            metrics.generic_folds += 1
    for heading in article.find_all(re.compile(r"^h[1-6]$")):
        title = " ".join(heading.get_text(" ").replace("#", " ").split())
        if NOTE_MENTION.search(title):
            metrics.note_headings.append(title)
    for figure in figures_of(article):
        metrics.figures += 1
        if not _captioned(figure):
            metrics.uncaptioned.append(_describe_figure(figure))
    return metrics


def figures_of(article: Tag) -> list[Tag]:
    r"""The figures of the article: each image of ``_images/`` and each animation (whose
    frames are drawn into an ``<img>`` by its script), folded or not."""
    found = []
    for tag in article.find_all(["div", "img"]):
        if tag.name == "div" and "animation" in _classes(tag):
            found.append(tag)
        elif tag.name == "img" and "_images/" in (tag.get("src") or ""):
            if not any(isinstance(p, Tag) and "animation" in _classes(p) for p in tag.parents):
                found.append(tag)
    return found


def _captioned(figure: Tag) -> bool:
    r"""Inside a ``<figure>`` whose ``<figcaption>`` carries a number (``Fig. 3.1``)."""
    for parent in [figure, *figure.parents]:
        if isinstance(parent, Tag) and parent.name == "figure":
            caption = parent.find("figcaption")
            return bool(caption and caption.find(class_="caption-number"))
    return False


def _describe_figure(figure: Tag) -> str:
    if figure.name == "img":
        return "image " + (figure.get("src") or "").rsplit("/", 1)[-1][:16]
    before = figure.find_previous(re.compile(r"^h[1-6]$"))
    where = " ".join(before.get_text(" ").replace("#", "").split()) if before else "?"
    return f"an animation (after the heading {where!r})"


def measure_page(site: Path, page: str) -> PageMetrics:
    html = (site / f"{page}.html").read_text(encoding="utf-8")
    return measure_article(page, article_of(html))


# -- the sources ------------------------------------------------------------------------------


def source_check_counts(book: Path = REPO_ROOT / "book") -> tuple[int, int]:
    r"""(assert lines, glue calls) executed by the chapters: over the code cells of
    ``book/*.md``, the non-comment lines that assert (``assert``, ``assert_*(``) and the
    ``glue(`` calls."""
    import jupytext

    asserts = glues = 0
    for path in sorted(book.glob("*.md")):
        notebook = jupytext.read(path)
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            for line in cell.source.splitlines():
                code = line.strip()
                if code.startswith("#"):
                    continue
                asserts += bool(ASSERT_LINE.search(code))
                glues += len(GLUE_CALL.findall(code))
    return asserts, glues


# -- in the browser ---------------------------------------------------------------------------

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
MIN_CONTROL_PX = 24.0
MIN_BUTTON_HEIGHT_PX = 44.0
#: On a phone, the objectives box ends above this fraction of the first screen (or is folded).
OBJECTIVES_MAX_BOTTOM = 0.6
OBJECTIVES_TITLE = "What you will learn"

# Opens every fold of the page (details, togglebutton's admonitions), so that what it holds
# has a size; returns how many it opened.
OPEN_FOLDS = """() => {
    let opened = 0;
    for (const d of document.querySelectorAll("article details:not([open])")) {
        d.open = true; opened++;
    }
    for (const a of document.querySelectorAll("article .toggle-hidden")) {
        a.classList.remove("toggle-hidden"); opened++;
    }
    return opened;
}"""

# Display equations (MathJax 3, CHTML) whose maths is wider than the column that holds them:
# the typeset maths' width against the width of the equation's block (div.math, or whatever
# holds the mjx-container) without its padding.
WIDE_EQUATIONS = """() => {
    const wide = [];
    for (const box of document.querySelectorAll('article mjx-container[display="true"]')) {
        if (!box.getClientRects().length) continue;
        const maths = box.querySelector("mjx-math");
        if (!maths) continue;
        const column = box.parentElement;
        const style = getComputedStyle(column);
        const inner = column.clientWidth - parseFloat(style.paddingLeft)
            - parseFloat(style.paddingRight);
        const width = maths.getBoundingClientRect().width;
        if (width > inner + 1) {
            const tex = (box.parentElement.getAttribute("data-tex") ||
                (box.querySelector("mjx-assistive-mml") || box).textContent).trim();
            wide.push({width: width, column: inner, text: tex.slice(0, 60)});
        }
    }
    return wide;
}"""

# The reader's controls in the article (not the theme's copy buttons, headings' links or
# folds' summaries): inputs, selects, buttons, ipywidgets' slider handles, the self-check
# fields; each shown one with its size.
CONTROLS = """() => {
    const found = [];
    const selector = "input, select, button, textarea, .noUi-handle";
    for (const el of document.querySelectorAll("article " + selector.split(", ").join(
            ", article "))) {
        if (el.classList.contains("copybtn") || el.type === "hidden") continue;
        // sphinx-togglebutton's arrow: the fold's whole title line is its target
        if (el.classList.contains("toggle-button")) continue;
        if (el.closest(".sd-tab-set") && el.tagName === "INPUT") continue;  // its label is it
        const box = el.getBoundingClientRect();
        if (!el.getClientRects().length || box.width === 0 || box.height === 0) continue;
        if (getComputedStyle(el).visibility === "hidden") continue;
        let kind = el.tagName.toLowerCase();
        if (el.tagName === "INPUT") kind = "input " + (el.type || "text");
        if (el.classList.contains("noUi-handle")) kind = "slider handle";
        const name = (el.getAttribute("aria-label") || el.getAttribute("title") ||
            el.textContent || el.name || el.className || "").toString().trim().slice(0, 30);
        found.push({kind: kind, name: name, width: box.width, height: box.height,
                    button: el.tagName === "BUTTON"});
    }
    return found;
}"""

# Every saved widget view has been rendered into its area.
WIDGETS_RENDERED = """() => Array.from(document.querySelectorAll(
    'script[type="application/vnd.jupyter.widget-view+json"]')).every(t =>
    t.previousElementSibling && t.previousElementSibling.querySelector(
        ".jupyter-widgets, .lm-Widget"))"""

# The objectives box ("What you will learn"): its bottom edge in the viewport, and whether it
# is folded (a closed details or a togglebutton admonition, or its list not displayed).
OBJECTIVES = """(title) => {
    for (const t of document.querySelectorAll("article .admonition-title, article summary")) {
        if (!t.textContent.includes(title)) continue;
        const box = t.closest(".admonition, details") || t.parentElement;
        const list = box.querySelector("ul, ol");
        const folded = (box.tagName === "DETAILS" && !box.open)
            || box.classList.contains("toggle-hidden")
            || (list !== null && !list.getClientRects().length);
        return {found: true, bottom: box.getBoundingClientRect().bottom + window.scrollY,
                folded: folded};
    }
    return {found: false};
}"""


def small_controls(controls: list[dict]) -> list[str]:
    r"""The controls under MIN_CONTROL_PX in either direction, and the buttons under
    MIN_BUTTON_HEIGHT_PX tall."""
    problems = []
    for c in controls:
        size = f"{c['width']:.0f} x {c['height']:.0f} px"
        if c["width"] < MIN_CONTROL_PX - 0.5 or c["height"] < MIN_CONTROL_PX - 0.5:
            problems.append(f"{c['kind']} {c['name']!r}: {size}, under {MIN_CONTROL_PX:.0f} px")
        elif c["button"] and c["height"] < MIN_BUTTON_HEIGHT_PX - 0.5:
            problems.append(
                f"{c['kind']} {c['name']!r}: {size}, a button under "
                f"{MIN_BUTTON_HEIGHT_PX:.0f} px tall"
            )
    return problems


def objectives_problem(state: dict, viewport_height: int) -> str | None:
    r"""Why the objectives box fills the first screen, or None (also None without a box)."""
    if not state["found"] or state["folded"]:
        return None
    limit = OBJECTIVES_MAX_BOTTOM * viewport_height
    if state["bottom"] > limit:
        return (
            f"the '{OBJECTIVES_TITLE}' box ends {state['bottom']:.0f} px down the page, "
            f"below {limit:.0f} px ({OBJECTIVES_MAX_BOTTOM:.0%} of the first screen)"
        )
    return None


def open_page(page, url: str, viewport: dict) -> None:
    r"""Open ``url`` at ``viewport`` and wait for MathJax and the saved widgets."""
    import sys as _sys

    _sys.path.insert(0, str(REPO_ROOT / "tests" / "book"))
    from book_paths import MATHJAX_READY

    page.set_viewport_size(viewport)
    page.goto(url, wait_until="load")
    page.evaluate(MATHJAX_READY)
    page.wait_for_function(WIDGETS_RENDERED, timeout=30_000)


def wide_equations(page) -> list[dict]:
    r"""On an open page: every display equation wider than its column, folds opened."""
    page.evaluate(OPEN_FOLDS)
    return page.evaluate(WIDE_EQUATIONS)


# -- the table --------------------------------------------------------------------------------


def _browser_columns(site: Path, pages: list[str]) -> dict[str, dict]:
    import functools
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(REPO_ROOT / "tests" / "book"))
    from book_paths import CHROMIUM, CHROMIUM_ARGS

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    columns = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page()
            for name in pages:
                open_page(page, f"{base}{name}.html", PHONE)
                small = small_controls(page.evaluate(CONTROLS))
                objectives = objectives_problem(
                    page.evaluate(OBJECTIVES, OBJECTIVES_TITLE), PHONE["height"]
                )
                open_page(page, f"{base}{name}.html", LAPTOP)
                columns[name] = {
                    "wide": wide_equations(page),
                    "small": small,
                    "objectives": objectives,
                }
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return columns


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=SITE, help="the built site (_build/html)")
    parser.add_argument("--browser", action="store_true", help="add chromium's columns")
    parser.add_argument("-v", "--verbose", action="store_true", help="list each finding")
    args = parser.parse_args(argv)
    pages = [p for p, _ in toc_pages()]
    metrics = {p: measure_page(args.site, p) for p in pages}
    browser = _browser_columns(args.site, pages) if args.browser else {}
    header = f"{'page':28} {'mention':>7} {'head':>4} {'words':>6} {'code':>5} {'/100w':>6} "
    header += f"{'glue':>4} {'assrt':>5} {'fig':>3} {'nocap':>5} {'gen':>3}"
    if browser:
        header += f" {'wide':>4} {'small':>5} {'obj':>3}"
    print(header)
    for p in pages:
        m = metrics[p]
        row = f"{p:28} {len(m.mentions):7} {len(m.note_headings):4} {m.words:6} "
        row += f"{m.code_lines:5} {m.code_per_100_words:6.1f} {len(m.glue_lines):4} "
        row += f"{len(m.assert_lines):5} {m.figures:3} {len(m.uncaptioned):5} {m.generic_folds:3}"
        if browser:
            b = browser[p]
            row += f" {len(b['wide']):4} {len(b['small']):5} {'!' if b['objectives'] else '':>3}"
        print(row)
        if args.verbose:
            found = [
                ("heading", m.note_headings),
                ("mention", m.mentions),
                ("no caption", m.uncaptioned),
                ("glue", m.glue_lines),
            ]
            if browser:
                found += [("wide", browser[p]["wide"]), ("small", browser[p]["small"])]
            for what, items in found:
                for item in items:
                    print(f"    {what}: {item}")
    mention_total = sum(len(metrics[p].mentions) for p in notes_pages())
    heading_total = sum(len(metrics[p].note_headings) for p in notes_pages())
    words = sum(metrics[p].words for p in code_pages())
    code = sum(metrics[p].code_lines for p in code_pages())
    asserts, glues = source_check_counts()
    print(
        f"\nnotes' pages: {mention_total} visible mentions (at most {MAX_NOTE_MENTIONS}), "
        f"{heading_total} headings naming a note (at most {MAX_NOTE_HEADINGS})\n"
        f"chapters + landing page: {code} visible code lines / {words} words = "
        f"{100 * code / max(words, 1):.1f} per 100 words (at most {MAX_CODE_PER_100_WORDS})\n"
        f"book: {sum(len(m.glue_lines) for m in metrics.values())} visible glue lines, "
        f"{sum(len(m.assert_lines) for m in metrics.values())} visible assert lines "
        f"(at most {MAX_VISIBLE_ASSERTS})\n"
        f"book/*.md executes {asserts} assert lines and {glues} glue calls "
        f"(at least {MIN_ASSERT_LINES} and {MIN_GLUE_CALLS})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
