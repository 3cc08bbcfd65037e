r"""The built site as a reader sees it on a laptop (1280 px wide) and on a phone (390 px).

- Navigation: on a phone, the visible ≡ button opens the table of contents and it lists every
  chapter; the contents button opens the page's sections; on a laptop the ≡ collapses the
  sidebar and brings it back (pydata-sphinx-theme #2451, sphinx-book-theme #988: the theme
  binds a hidden duplicate button; ``site_assets/js/book_nav.js`` forwards the clicks).
- Every page, opened once at each width (``test_page_layout_at_1280_px``,
  ``test_page_layout_at_390_px``), every check of that width on that load, each a function
  of its own that returns its problems; the test names every failing check and its
  problems at once:

  - at 1280 px: no code block needs a scroll bar (chapters keep code within 80
    characters, ``tools/code_width.py``) and the page does not scroll sideways; figure text
    is at least 10 px; every text is readable (WCAG contrast) in the light colour mode and,
    switched with the theme's own button, in the dark one; last (it opens every fold), no
    display equation is wider than its column (issue 21, ``test_reading_path.py``);
  - at 390 px: no page scrolls sideways (a wide table or equation scrolls inside its own
    box); every control is big enough to touch and the objectives box leaves room (issue
    21, ``test_reading_path.py``); no equation number covers its maths; fold titles take
    at most 3 lines, and a title cut short while folded shows whole once opened (checked
    last: it opens a fold); figure text is at least 10 px.

Screenshots of what each test saw are saved under ``_build/screenshots/`` for reviewers.
The ``..._is_caught`` tests prove that each check fails on a page with the defect it
exists to catch.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from book_paths import MATHJAX_READY, REPO_ROOT, toc_files

sys.path.insert(0, str(REPO_ROOT / "tools"))
import reading_metrics as rm  # noqa: E402

pytestmark = [pytest.mark.book, pytest.mark.browser]

LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
NAV_SHIM = REPO_ROOT / "site_assets" / "js" / "book_nav.js"
FIGURE_SCRIPT = REPO_ROOT / "site_assets" / "js" / "book_figures.js"
_ONE_PIXEL_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJ"
    "RU5ErkJggg=="
)


def screenshot_name(page_name: str) -> str:
    return page_name.replace("/", "__")


# The table of contents' links, read from wherever it is at the moment (the sidebar, or the
# dialog the phone layout moves it into), as page paths without suffix.
DIALOG_STATE = """(id) => {
    const dialog = document.getElementById(id);
    if (!dialog) { return {exists: false}; }
    const box = dialog.getBoundingClientRect();
    const links = Array.from(dialog.querySelectorAll("a[href]")).map(a =>
        new URL(a.getAttribute("href"), document.baseURI).pathname);
    return {exists: true, open: dialog.open, width: box.width, height: box.height,
            links: links};
}"""

SIDEBAR_SHOWN = """() => {
    const bar = document.getElementById("pst-primary-sidebar");
    if (!bar) { return null; }
    const box = bar.getBoundingClientRect();
    return getComputedStyle(bar).visibility !== "hidden" && box.right > 10;
}"""


def _visible(page, selector: str):
    buttons = page.locator(selector)
    for k in range(buttons.count()):
        if buttons.nth(k).is_visible():
            return buttons.nth(k)
    return None


def phone_nav_problems(page, chapters: list[str]) -> list[str]:
    r"""At phone width: the visible ≡ opens the table of contents, which links to every page
    of ``chapters`` (paths such as ``book/feedforward``); Escape closes it; the visible
    contents button opens the page's sections."""
    problems = []
    toggle = _visible(page, ".primary-toggle")
    if toggle is None:
        return ["no visible ≡ (primary sidebar) button"]
    toggle.click()
    page.wait_for_timeout(300)
    state = page.evaluate(DIALOG_STATE, "pst-primary-sidebar-modal")
    if not state["exists"] or not state["open"]:
        return ["the visible ≡ button did not open the table of contents"]
    if state["width"] < 100 or state["height"] < 100:
        problems.append(
            f"the table of contents opened at {state['width']:.0f} x {state['height']:.0f} px"
        )
    linked = {path.lstrip("/").removesuffix(".html") for path in state["links"]}
    missing = [c for c in chapters if c not in linked]
    if missing:
        problems.append(f"the table of contents does not list {missing}")
    page.keyboard.press("Escape")
    page.wait_for_timeout(200)
    if page.evaluate(DIALOG_STATE, "pst-primary-sidebar-modal")["open"]:
        problems.append("Escape did not close the table of contents")
    contents = _visible(page, ".secondary-toggle")
    if contents is None:
        problems.append("no visible contents (secondary sidebar) button")
    else:
        contents.click()
        page.wait_for_timeout(300)
        state = page.evaluate(DIALOG_STATE, "pst-secondary-sidebar-modal")
        if not state["exists"] or not state["open"]:
            problems.append("the visible contents button did not open the page's sections")
        elif not state["links"]:
            problems.append("the page's sections opened empty")
        page.keyboard.press("Escape")
    return problems


def laptop_nav_problems(page) -> list[str]:
    r"""At laptop width: the visible ≡ hides the sidebar, a second click shows it again."""
    toggle = _visible(page, ".primary-toggle")
    if toggle is None:
        return ["no visible ≡ (primary sidebar) button"]
    if not page.evaluate(SIDEBAR_SHOWN):
        return ["the sidebar is not shown before any click"]
    toggle.click()
    page.wait_for_timeout(600)  # the theme animates the sidebar out
    if page.evaluate(SIDEBAR_SHOWN):
        return ["the visible ≡ button did not collapse the sidebar"]
    toggle.click()
    page.wait_for_timeout(600)
    if not page.evaluate(SIDEBAR_SHOWN):
        return ["a second click on ≡ did not bring the sidebar back"]
    return []


# -- the site ---------------------------------------------------------------------------------


def test_phone_table_of_contents_opens_and_lists_the_chapters(
    site_server, offline_page, screenshot_dir: Path
):
    page = offline_page.page
    page.set_viewport_size(PHONE)
    page.goto(f"{site_server}book/feedforward.html", wait_until="load")
    chapters = [c for c in toc_files() if c.startswith("book/")]
    problems = phone_nav_problems(page, chapters)
    _visible(page, ".primary-toggle").click()
    page.wait_for_timeout(300)
    page.screenshot(path=screenshot_dir / "layout--phone-390--table-of-contents.png")
    assert not problems, "\n".join(problems)


def test_laptop_sidebar_toggle_collapses_the_sidebar(
    site_server, offline_page, screenshot_dir: Path
):
    page = offline_page.page
    page.set_viewport_size(LAPTOP)
    page.goto(f"{site_server}book/feedforward.html", wait_until="load")
    problems = laptop_nav_problems(page)
    _visible(page, ".primary-toggle").click()
    page.wait_for_timeout(600)
    page.screenshot(path=screenshot_dir / "layout--laptop-1280--sidebar-collapsed.png")
    assert not problems, "\n".join(problems)


# -- the checks can fail ------------------------------------------------------------------------

# The theme's markup in miniature: a hidden header ≡ first, the visible one second, and the
# handler bound to the first only, as pydata-sphinx-theme 0.17 does.
TWO_TOGGLES = """
<base href="http://127.0.0.1/">
<style>dialog { width: 300px; height: 400px; } .hidden { display: none; }</style>
<button class="primary-toggle hidden">≡</button>
<button class="primary-toggle" id="visible">≡</button>
<div id="pst-primary-sidebar"><a href="book/feedforward.html">Feedforward</a></div>
<dialog id="pst-primary-sidebar-modal"></dialog>
<script>
(() => {
const first = document.querySelector(".primary-toggle");
const dialog = document.getElementById("pst-primary-sidebar-modal");
const bar = document.getElementById("pst-primary-sidebar");
first.addEventListener("click", () => {
    Array.from(bar.childNodes).forEach(n => dialog.appendChild(n));
    dialog.showModal();
});
dialog.addEventListener("close", () =>
    Array.from(dialog.childNodes).forEach(n => bar.appendChild(n)));
})();
</script>
"""


def test_a_dead_phone_toggle_is_caught_and_the_shim_fixes_it(offline_page):
    page = offline_page.page
    page.set_viewport_size(PHONE)
    page.set_content(TWO_TOGGLES)
    assert phone_nav_problems(page, ["book/feedforward"]) == [
        "the visible ≡ button did not open the table of contents"
    ]
    page.set_content(TWO_TOGGLES)
    page.add_script_tag(content=NAV_SHIM.read_text(encoding="utf-8"))
    problems = phone_nav_problems(page, ["book/feedforward", "book/pairs"])
    assert problems[0] == "the table of contents does not list ['book/pairs']", problems
    assert problems[1:] == ["no visible contents (secondary sidebar) button"], problems


def test_a_sidebar_that_does_not_collapse_is_caught(offline_page):
    page = offline_page.page
    page.set_viewport_size(LAPTOP)
    page.set_content(
        '<button class="primary-toggle">≡</button>'
        '<div id="pst-primary-sidebar" style="width: 200px; height: 50px">nav</div>'
    )
    assert laptop_nav_problems(page) == ["the visible ≡ button did not collapse the sidebar"]


# -- code width and sideways scrolling --------------------------------------------------------

# Code blocks of the article whose content is wider than their box (a scroll bar at 1280 px),
# with the widest line of each.
CODE_OVERFLOW = """() => Array.from(document.querySelectorAll("article pre"))
    .filter(pre => pre.getClientRects().length && pre.scrollWidth > pre.clientWidth + 1)
    .map(pre => ({
        excess: pre.scrollWidth - pre.clientWidth,
        line: pre.textContent.split("\\n").reduce((a, b) => b.length > a.length ? b : a, ""),
    }))"""

# How far the page scrolls sideways, and the elements that stick out of the viewport without
# a scrolling (or clipping) box of their own around them.
SIDEWAYS = """() => {
    const width = document.documentElement.clientWidth;
    const clipped = el => {
        for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
            if (getComputedStyle(up).overflowX !== "visible") { return true; }
        }
        return false;
    };
    const culprits = Array.from(document.querySelectorAll("body *")).filter(el => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && box.right > width + 1 && !clipped(el)
            && getComputedStyle(el).position !== "fixed";
    }).slice(0, 5).map(el => el.tagName.toLowerCase() + "." + el.className);
    return {excess: document.documentElement.scrollWidth - width, culprits: culprits};
}"""


def code_overflow_problems(page) -> list[str]:
    r"""Code blocks that need a scroll bar, each with its widest line."""
    return [
        f"a code block is {o['excess']} px too wide for the column: {o['line'].strip()[:70]!r}"
        for o in page.evaluate(CODE_OVERFLOW)
    ]


def sideways_problems(page) -> list[str]:
    r"""The page scrolls sideways: by how much, and what sticks out."""
    state = page.evaluate(SIDEWAYS)
    if state["excess"] <= 1:
        return []
    return [f"the page scrolls sideways by {state['excess']} px; sticking out: {state['culprits']}"]


def test_an_overflowing_code_block_and_a_sideways_page_are_caught(offline_page):
    page = offline_page.page
    page.set_viewport_size(PHONE)
    page.set_content(
        '<article><pre style="width: 200px; overflow: auto">' + "x" * 200 + "</pre></article>"
        '<div style="overflow-x: auto; width: 100px"><div style="width: 900px">boxed</div></div>'
    )
    problems = code_overflow_problems(page)
    assert len(problems) == 1 and "too wide for the column" in problems[0], problems
    assert sideways_problems(page) == []  # a wide box that scrolls inside itself is fine
    page.set_content('<p style="width: 900px">a paragraph wider than the phone</p>')
    problems = sideways_problems(page)
    assert len(problems) == 1 and "scrolls sideways by" in problems[0], problems
    assert "p." in problems[0], problems


# -- equation numbers on a phone --------------------------------------------------------------

# Numbered displays whose maths runs under their number: the maths' full width (it may scroll
# in its own box) reaches past the number's left edge on the same row.
NUMBER_OVER_MATHS = """() => Array.from(document.querySelectorAll("article div.math"))
    .filter(d => d.querySelector(":scope > .eqno") && d.querySelector("mjx-container"))
    .map(d => {
        const number = d.querySelector(":scope > .eqno").getBoundingClientRect();
        const box = d.querySelector("mjx-container");
        const maths = box.getBoundingClientRect();
        const right = maths.left + box.scrollWidth;
        const sameRow = number.top < maths.bottom - 1 && maths.top < number.bottom - 1;
        return {number: d.querySelector(":scope > .eqno").textContent.replace("#", "").trim(),
                under: sameRow && right > number.left + 1};
    })
    .filter(e => e.under).map(e => e.number)"""


def equation_number_problems(page) -> list[str]:
    r"""Equation numbers drawn over (or beside a cut-off) display."""
    return [f"equation {n} sits over its maths" for n in page.evaluate(NUMBER_OVER_MATHS)]


# -- fold titles on a phone -------------------------------------------------------------------

MAX_FOLD_TITLE_LINES = 3.2

# Every visible fold title (a folded cell's summary): its height in lines, and whether its
# text is cut (clamped) while folded.
FOLD_TITLES = """() => Array.from(document.querySelectorAll("article details > summary"))
    .filter(s => s.getClientRects().length)
    .flatMap(s => Array.from(s.children).filter(p => p.getClientRects().length).map(p => {
        const style = getComputedStyle(p);
        const line = parseFloat(style.lineHeight) || 1.2 * parseFloat(style.fontSize);
        return {text: p.textContent.trim(), lines: p.getBoundingClientRect().height / line,
                cut: p.scrollHeight > p.clientHeight + 1};
    }))"""


def fold_title_problems(page) -> list[str]:
    r"""Fold titles taller than ``MAX_FOLD_TITLE_LINES`` lines."""
    return [
        f"a fold title takes {t['lines']:.1f} lines: {t['text'][:60]!r}"
        for t in page.evaluate(FOLD_TITLES)
        if t["lines"] > MAX_FOLD_TITLE_LINES
    ]


# -- figure text ------------------------------------------------------------------------------

MIN_TEXT_PX = 10.0

#: Pages whose figures record no text size: page -> reason (none today: the figures drawn
#: with ``pyplot`` are recorded by ``book/figure_text.py``, the explorer's pictures by
#: ``NetworkView.png``). A new entry needs a reason.
UNRECORDED_FIGURES: dict[str, str] = {}

# Every figure of the article (a PNG under _images/): the width it is displayed at and its
# own width in pixels.
FIGURES = """() => Array.from(document.querySelectorAll("article img"))
    .filter(img => /_images\\/[^/]+\\.png$/.test(img.getAttribute("src") || ""))
    .map(img => ({src: img.getAttribute("src").split("/").pop(),
                  shown: img.getBoundingClientRect().width, natural: img.naturalWidth}))"""


def smallest_text(png: Path) -> float | None:
    r"""The size in PNG pixels of the smallest text of a chapter figure, as
    ``book/figure_text.py`` recorded it in the PNG; None if it was not recorded."""
    from PIL import Image

    with Image.open(png) as image:
        value = image.info.get("smallest-text-px")
    return float(value) if value is not None else None


def figure_text_problems(figures: list[dict], images: Path, unrecorded_ok=False) -> list[str]:
    r"""Figures whose smallest text renders below ``MIN_TEXT_PX`` CSS px: its size in the
    PNG times the displayed width over the PNG's width."""
    problems = []
    for figure in figures:
        px = smallest_text(images / figure["src"])
        if px is None and unrecorded_ok:
            continue
        if px is None:
            problems.append(f"{figure['src']}: no text size recorded (book/figure_text.py)")
            continue
        if not figure["natural"]:
            problems.append(f"{figure['src']}: not loaded")
            continue
        shown = px * figure["shown"] / figure["natural"]
        if shown < MIN_TEXT_PX - 0.05:
            problems.append(
                f"{figure['src']}: its smallest text renders at {shown:.1f} px "
                f"({px:.1f} px in a {figure['natural']} px PNG shown {figure['shown']:.0f} px "
                f"wide); at least {MIN_TEXT_PX:.0f} px needed"
            )
    return problems


def test_small_figure_text_is_caught(tmp_path: Path):
    from PIL import Image, PngImagePlugin

    def png(name: str, px: str | None) -> None:
        info = PngImagePlugin.PngInfo()
        if px is not None:
            info.add_text("smallest-text-px", px)
        Image.new("RGB", (800, 100), "white").save(tmp_path / name, pnginfo=info)

    png("big.png", "14.0")
    png("small.png", "14.0")
    png("none.png", None)
    problems = figure_text_problems(
        [
            {"src": "big.png", "shown": 800, "natural": 800},
            {"src": "small.png", "shown": 400, "natural": 800},
            {"src": "none.png", "shown": 800, "natural": 800},
        ],
        tmp_path,
    )
    assert len(problems) == 2, problems
    assert problems[0].startswith("small.png: its smallest text renders at 7.0 px"), problems
    assert problems[1].startswith("none.png: no text size recorded"), problems


def test_figure_text_records_the_smallest_text_of_a_figure(monkeypatch):
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    monkeypatch.syspath_prepend(str(REPO_ROOT / "book"))
    with matplotlib.rc_context(
        {"figure.hooks": ["figure_text:record_smallest_text"], "font.size": 12}
    ):
        fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
        ax.plot([0, 1], [0, 1])
        ax.set_title("title")  # 12 pt, like the tick labels
        ax.text(0.5, 0.5, "note", fontsize=7)  # the smallest: 7 pt
        buffer = io.BytesIO()
        fig.canvas.print_figure(buffer, format="png", dpi=100)
        plt.close(fig)
    info = Image.open(io.BytesIO(buffer.getvalue())).info
    assert float(info["smallest-text-pt"]) == pytest.approx(7.0)
    assert float(info["smallest-text-px"]) == pytest.approx(7.0 * 100 / 72, abs=0.01)


# -- both colour modes ------------------------------------------------------------------------

MIN_CONTRAST = 4.5  # WCAG AA for body text

# Text in the article that is hard to read: every element with its own visible text, its
# colour against the first opaque background behind it (WCAG contrast ratio). Widgets,
# headings, admonitions and tables included; maths and code are checked like the rest.
LOW_CONTRAST = """(minimum) => {
    const rgba = s => { const m = s.match(/[\\d.]+/g) || [0, 0, 0, 0];
        return m.length === 3 ? [...m.map(Number), 1] : m.map(Number); };
    const lum = ([r, g, b]) => { const f = c => { c /= 255;
        return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
    const background = el => {
        for (let e = el; e; e = e.parentElement) {
            const c = rgba(getComputedStyle(e).backgroundColor);
            if (c[3] > 0.5) { return c; }
        }
        return rgba(getComputedStyle(document.documentElement).backgroundColor)[3] > 0.5
            ? rgba(getComputedStyle(document.documentElement).backgroundColor) : [255, 255, 255, 1];
    };
    const bad = [];
    const root = document.querySelector("article") || document.body;
    for (const el of root.querySelectorAll("*")) {
        const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
        if (!own || !el.getClientRects().length) { continue; }
        const style = getComputedStyle(el);
        if (style.visibility === "hidden" || Number(style.opacity) === 0) { continue; }
        if (el.closest("details:not([open]) > :not(summary)")) { continue; }
        const fg = rgba(style.color), bg = background(el);
        const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
        const ratio = (a + 0.05) / (b + 0.05);
        if (ratio < minimum) {
            bad.push({text: el.textContent.trim().slice(0, 50), ratio: ratio,
                      tag: el.tagName.toLowerCase(), color: style.color,
                      background: "rgb(" + bg.slice(0, 3).join(", ") + ")",
                      widget: el.closest(".jupyter-widgets, .widget-subarea") !== null});
        }
    }
    return bad;
}"""


def contrast_problems(page) -> list[str]:
    r"""Texts of the article whose contrast with their background is below MIN_CONTRAST."""
    return [
        f"{'widget ' if b['widget'] else ''}<{b['tag']}> {b['text']!r}: contrast "
        f"{b['ratio']:.1f} ({b['color']} on {b['background']})"
        for b in page.evaluate(LOW_CONTRAST, MIN_CONTRAST)
    ]


def choose_colour_mode(page, mode: str) -> None:
    r"""Open the next pages in ``mode``, as a reader who chose it with the theme's switch:
    the theme reads the choice from localStorage before the page is first drawn."""
    page.add_init_script(
        f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');"
    )


# Press the theme's own switch (it cycles auto, dark, light) until the page shows ``mode``,
# then wait for the colour transitions it starts to finish (a measurement taken midway
# would see colours of neither mode); returns the mode the page shows.
SWITCH_COLOUR_MODE = """async (mode) => {
    const button = document.querySelector(".theme-switch-button");
    for (let k = 0; button && k < 3 && document.documentElement.dataset.theme !== mode; k++) {
        button.click();
    }
    const finite = a => a.effect && a.effect.getComputedTiming().endTime !== Infinity;
    await Promise.all(document.getAnimations().filter(finite).map(a => a.finished));
    await new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    return document.documentElement.dataset.theme;
}"""


def switch_colour_mode(page, mode: str) -> str:
    r"""Switch the open page to ``mode`` with the theme's switch, as a reader does; return
    the mode it then shows (``document.documentElement.dataset.theme``)."""
    return page.evaluate(SWITCH_COLOUR_MODE, mode)


BACKGROUND = "() => getComputedStyle(document.body).backgroundColor"


def colour_mode_problems(page, mode: str) -> list[str]:
    r"""In ``mode`` (the page must show it): the texts whose contrast is too low."""
    theme = page.evaluate("() => document.documentElement.dataset.theme")
    if theme != mode:
        return [f"the page shows mode {theme!r}, not {mode!r}"]
    return contrast_problems(page)


def dark_mode_problems(page) -> list[str]:
    r"""On a page open in the light mode: switch it to the dark one with the theme's button
    (:func:`switch_colour_mode`); the background must change, and every text stay readable."""
    light = page.evaluate(BACKGROUND)
    switch_colour_mode(page, "dark")
    if page.evaluate(BACKGROUND) == light:
        return [f"the dark mode kept the light mode's background {light}"]
    return colour_mode_problems(page, "dark")


def test_unreadable_text_is_caught(offline_page):
    page = offline_page.page
    page.set_content(
        '<article style="background: rgb(18, 18, 18)">'
        '<div class="jupyter-widgets"><h3 style="color: rgb(20, 20, 20)">Pair explorer</h3>'
        '</div><p style="color: rgb(230, 230, 230)">readable</p></article>'
    )
    problems = contrast_problems(page)
    assert len(problems) == 1, problems
    assert problems[0].startswith("widget <h3> 'Pair explorer': contrast 1.0"), problems


def test_a_dark_mode_that_does_not_switch_is_caught(offline_page):
    page = offline_page.page
    page.set_content('<html data-theme="light"><body><article><p>text</p></article></body></html>')
    assert dark_mode_problems(page) == [
        "the dark mode kept the light mode's background rgba(0, 0, 0, 0)"
    ]
    # a switch that sets the mode but not the colours: the colours are what is measured
    page.set_content(
        '<html data-theme="light"><body><button class="theme-switch-button" onclick='
        "\"document.documentElement.dataset.theme = 'dark'\">◐</button>"
        '<article><p style="color: rgb(230, 230, 230)">pale</p></article></body></html>'
    )
    assert dark_mode_problems(page) == [
        "the dark mode kept the light mode's background rgba(0, 0, 0, 0)"
    ]
    page.set_content(
        '<html data-theme="light"><style>html[data-theme="dark"] body { background: #121212 }'
        '</style><body><button class="theme-switch-button" onclick='
        "\"document.documentElement.dataset.theme = 'dark'\">◐</button>"
        '<article><p style="color: rgb(30, 30, 30)">dark on dark</p></article></body></html>'
    )
    problems = dark_mode_problems(page)
    assert len(problems) == 1 and problems[0].startswith("<p> 'dark on dark': contrast"), problems
    assert colour_mode_problems(page, "light") == ["the page shows mode 'dark', not 'light'"]


def test_objectives_filling_a_phone_screen_and_a_wide_equation_are_caught(offline_page):
    page = offline_page.page
    page.set_viewport_size(PHONE)
    page.set_content(
        '<article><div class="admonition"><p class="admonition-title">What you will learn</p>'
        "<ul>" + "<li>an objective</li>" * 40 + "</ul></div></article>"
    )
    problems = objectives_problems(page)
    assert len(problems) == 1 and "below 506 px" in problems[0], problems
    page.set_content(
        '<article><div class="math" style="width: 100px"><mjx-container display="true">'
        '<mjx-math style="display: inline-block; width: 300px">E</mjx-math></mjx-container>'
        "</div></article>"
    )
    assert wide_problems(page) == ["300 px in a 100 px column: E"]


# -- every page, one load per viewport ----------------------------------------------------------
#
# Each page is opened once at 1280 px and once at 390 px, and every check of this module that
# needs that viewport runs on that load; the test collects every check's problems under the
# check's name and fails once, naming all of them.

# The saved widget views have been rendered (they change the page's text and colours).
WIDGETS_RENDERED = """() => Array.from(document.querySelectorAll(
    'script[type="application/vnd.jupyter.widget-view+json"]')).every(t =>
    t.previousElementSibling && t.previousElementSibling.querySelector(
    ".jupyter-widgets, .lm-Widget"))"""

IMAGES_LOADED = "() => Array.from(document.querySelectorAll('article img')).every(i => i.complete)"


def open_page(page, url: str, viewport: dict) -> None:
    r"""Open ``url`` at ``viewport``; wait for MathJax, the saved widgets and the images."""
    page.set_viewport_size(viewport)
    page.goto(url, wait_until="load")
    page.evaluate(MATHJAX_READY)
    page.wait_for_function(WIDGETS_RENDERED, timeout=30_000)
    page.wait_for_function(IMAGES_LOADED)
    page.wait_for_timeout(200)  # let the layout settle after MathJax's typesetting


def page_figure_problems(page, page_name: str, images: Path, screenshot: Path | None = None):
    r"""The figures of the open page whose text renders under ``MIN_TEXT_PX``
    (:func:`figure_text_problems`); with ``screenshot``, the first figure is saved there."""
    figures = page.evaluate(FIGURES)
    if screenshot is not None and figures:
        page.locator("article img[src*='_images/']").first.scroll_into_view_if_needed()
        page.screenshot(path=screenshot)
    return figure_text_problems(figures, images, unrecorded_ok=page_name in UNRECORDED_FIGURES)


# Every figure image of the article (a PNG of _images/): whether a link around it opens the
# same image, and the link's title.
FIGURE_LINKS = """() => Array.from(document.querySelectorAll("article figure img"))
    .filter(img => /_images\\/[^/]+\\.png$/.test(img.getAttribute("src") || ""))
    .map(img => {
        const link = img.closest("a[href]");
        return {src: img.getAttribute("src").split("/").pop(),
                opens: link ? link.href === img.src : false};
    })"""


def figure_link_problems(page) -> list[str]:
    r"""Figures that a tap does not open alone (``site_assets/js/book_figures.js``)."""
    return [
        f"{f['src']}: a tap does not open the figure alone (no link to the image)"
        for f in page.evaluate(FIGURE_LINKS)
        if not f["opens"]
    ]


def numbered_equation_screenshot(page, screenshot: Path) -> None:
    r"""Save the first numbered display equation of the open page (if any) to ``screenshot``."""
    first = page.locator("article div.math:has(> .eqno)").first
    if first.count():
        first.scroll_into_view_if_needed()
        page.screenshot(path=screenshot)


def opened_fold_problems(page, screenshot: Path) -> list[str]:
    r"""A fold title cut short while folded is shown whole once the fold is opened (every
    word stays reachable): the first such title is saved to ``screenshot``, then clicked.
    It opens a fold: run it after the page's other checks."""
    cut = page.locator("article details.hide:not([open]) > summary > p.collapsed")
    for k in range(cut.count()):
        title = cut.nth(k).element_handle()  # the locator would move on to the next fold
        if not title.is_visible() or not title.evaluate("p => p.scrollHeight > p.clientHeight + 1"):
            continue
        title.scroll_into_view_if_needed()
        page.screenshot(path=screenshot)
        title.click()
        page.wait_for_timeout(100)
        if not title.is_visible() or title.evaluate("p => p.scrollHeight > p.clientHeight + 1"):
            return [f"an opened fold does not show its whole title: {title.text_content()!r}"]
        return []
    return []


def wide_problems(page) -> list[str]:
    r"""Display equations wider than their column, every fold opened
    (``reading_metrics.wide_equations``, issue 21). It opens the folds: run it last."""
    return [
        f"{w['width']:.0f} px in a {w['column']:.0f} px column: {w['text']}"
        for w in rm.wide_equations(page)
    ]


def objectives_problems(page) -> list[str]:
    r"""The "What you will learn" box fills the first screen, unfolded
    (``reading_metrics.objectives_problem``, issue 21)."""
    state = page.evaluate(rm.OBJECTIVES, rm.OBJECTIVES_TITLE)
    problem = rm.objectives_problem(state, page.viewport_size["height"])
    return [] if problem is None else [problem]


def run_checks(checks, shown: int = 20) -> list[str]:
    r"""Run ``(name, check)`` pairs in order; the problems of each (its first ``shown``, and
    how many more), prefixed with its name. A check that raises is a problem too, so that
    one failure names every defect."""
    problems = []
    for name, check in checks:
        try:
            found = check()
        except Exception as error:  # noqa: BLE001 - reported with the other problems
            found = [f"the check failed to run: {type(error).__name__}: {error}"]
        problems += [f"[{name}] {p}" for p in found[:shown]]
        if len(found) > shown:
            problems.append(f"[{name}] ... and {len(found) - shown} more")
    return problems


def test_every_failing_check_is_named():
    def broken():
        raise ValueError("boom")

    problems = run_checks([("a", lambda: ["x"] * 25), ("b", lambda: []), ("c", broken)])
    assert problems[:20] == ["[a] x"] * 20
    assert problems[20:] == ["[a] ... and 5 more", "[c] the check failed to run: ValueError: boom"]


@pytest.mark.parametrize("page_name", toc_files())
def test_page_layout_at_1280_px(
    page_name, site_server, offline_page, built_site: Path, screenshot_dir: Path
):
    r"""At 1280 px: no code block needs a scroll bar and the page does not scroll sideways;
    figure text is at least 10 px; every text is readable in the light colour mode, then,
    switched with the theme's own button, in the dark one; last, with every fold opened,
    no display equation is wider than its column (``test_reading_path.py``'s measure)."""
    page = offline_page.page
    choose_colour_mode(page, "light")
    open_page(page, f"{site_server}{page_name}.html", LAPTOP)
    name = screenshot_name(page_name)
    problems = run_checks(
        [
            ("code fits the column", lambda: code_overflow_problems(page)),
            ("no sideways scrolling", lambda: sideways_problems(page)),
            (
                "figure text",
                lambda: page_figure_problems(page, page_name, built_site / "_images"),
            ),
            ("readable text, light mode", lambda: colour_mode_problems(page, "light")),
            ("readable text, dark mode", lambda: dark_mode_problems(page)),
        ]
    )
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=screenshot_dir / f"layout--laptop-1280-dark--{name}.png")
    # last: it opens every fold
    problems += run_checks([("display equations fit the column", lambda: wide_problems(page))])
    assert not problems, f"{page_name} at 1280 px:\n" + "\n".join(problems)


@pytest.mark.parametrize("page_name", toc_files())
def test_page_layout_at_390_px(
    page_name, site_server, offline_page, built_site: Path, screenshot_dir: Path
):
    r"""At 390 px: the page does not scroll sideways (a wide table or equation scrolls inside
    its own box); every control is at least 24 px each way and every button 44 px tall, and
    the "What you will learn" box ends above 60 % of the first screen or is folded
    (``test_reading_path.py``'s measures); no equation number covers its maths; fold
    titles take at most 3 lines, and one cut short while folded shows whole when opened;
    figure text is at least 10 px (a figure keeps its laptop width inside a box that
    scrolls sideways, ``site_assets/css/book.css``), and a tap on a figure opens the image
    alone (``site_assets/js/book_figures.js``)."""
    page = offline_page.page
    open_page(page, f"{site_server}{page_name}.html", PHONE)
    shot = f"layout--phone-390--{{}}{screenshot_name(page_name)}.png"

    def sideways():
        found = sideways_problems(page)
        page.screenshot(path=screenshot_dir / shot.format(""))
        return found

    def equation_numbers():
        found = equation_number_problems(page)
        numbered_equation_screenshot(page, screenshot_dir / shot.format("equations--"))
        return found

    problems = run_checks(
        [
            ("no sideways scrolling", sideways),
            ("controls big enough", lambda: rm.small_controls(page.evaluate(rm.CONTROLS))),
            ("the objectives leave room", lambda: objectives_problems(page)),
            ("equation numbers", equation_numbers),
            ("fold titles", lambda: fold_title_problems(page)),
            (
                "figure text",
                lambda: page_figure_problems(
                    page,
                    page_name,
                    built_site / "_images",
                    screenshot_dir / shot.format("figure--"),
                ),
            ),
            ("a tap opens a figure alone", lambda: figure_link_problems(page)),
            # last: it opens a fold
            (
                "opened fold titles",
                lambda: opened_fold_problems(page, screenshot_dir / shot.format("fold--")),
            ),
        ]
    )
    assert not problems, f"{page_name} at 390 px:\n" + "\n".join(problems)


# -- search -----------------------------------------------------------------------------------

RAW_TEX_IN_SNIPPET = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$|\\[A-Za-z]+")
SEARCH_SHIM = REPO_ROOT / "site_assets" / "js" / "book_search.js"


def snippet_problems(snippets: list[str]) -> list[str]:
    r"""Search snippets that show TeX, or the page's buttons instead of its text."""
    return [
        f"raw TeX in a search snippet: {s!r}" for s in snippets if RAW_TEX_IN_SNIPPET.search(s)
    ] + [
        f"the page's buttons in a search snippet: {s!r}"
        for s in snippets
        if "Suggest edit" in s or "Open issue" in s
    ]


@pytest.mark.parametrize("query", ["delta", "jacobian"])
def test_search_finds_pages_and_its_snippets_show_no_tex(
    query, site_server, offline_page, screenshot_dir: Path
):
    page = offline_page.page
    page.set_viewport_size(LAPTOP)
    page.goto(f"{site_server}search.html?q={query}", wait_until="load")
    page.wait_for_function(
        "() => document.querySelectorAll('#search-results li p.context').length >= 3",
        timeout=30_000,
    )
    page.wait_for_timeout(1000)  # the snippets arrive one page at a time
    snippets = page.eval_on_selector_all(
        "#search-results li p.context", "els => els.map(e => e.textContent)"
    )
    page.screenshot(path=screenshot_dir / f"layout--laptop-1280--search-{query}.png")
    assert len(snippets) >= 3, snippets
    problems = snippet_problems(snippets)
    assert not problems, "\n".join(problems)


def test_tex_in_snippets_is_caught_and_the_shim_writes_it_as_text(offline_page):
    assert snippet_problems([r"the delta \(\delta^l\) of", "plain text"]) == [
        "raw TeX in a search snippet: 'the delta \\\\(\\\\delta^l\\\\) of'"
    ]
    assert snippet_problems(["Binder Repository Suggest edit Open issue .ipynb"]) == [
        "the page's buttons in a search snippet: 'Binder Repository Suggest edit Open issue .ipynb'"
    ]
    page = offline_page.page
    page.set_content("<p>x</p>")
    page.add_script_tag(content=SEARCH_SHIM.read_text(encoding="utf-8"))
    text = page.evaluate(
        r"() => bookTexToText('\\(\\delta^l = \\frac{\\partial E}{\\partial s^l}\\)')"
    )
    assert text == "δ^l = (∂E)/(∂s^l)", text
    assert snippet_problems([text]) == []


def test_a_figure_a_tap_does_not_open_is_caught_and_the_script_links_it(offline_page):
    page = offline_page.page
    page.set_viewport_size(PHONE)
    png = "data:image/png;base64," + _ONE_PIXEL_PNG
    page.set_content(
        '<article><figure><img src="_images/a.png"><figcaption><span class="caption-number">'
        "Fig. 1.1 </span></figcaption></figure>"
        f'<figure><img src="{png}"></figure></article>'
    )
    problems = figure_link_problems(page)
    assert len(problems) == 1 and problems[0].startswith("a.png: a tap"), problems
    page.add_script_tag(path=str(FIGURE_SCRIPT))
    assert figure_link_problems(page) == []
    link = page.locator("article figure a.book-figure-link")
    assert link.count() == 1 and link.get_attribute("title") == "Open Fig. 1.1 alone"
    assert page.evaluate("() => window.bookLinkFigures()") == 0  # a second run adds nothing
