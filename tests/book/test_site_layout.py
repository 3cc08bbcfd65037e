r"""The built site as a reader sees it on a laptop (1280 px wide) and on a phone (390 px).

- Navigation: on a phone, the visible ≡ button opens the table of contents and it lists every
  chapter; the contents button opens the page's sections; on a laptop the ≡ collapses the
  sidebar and brings it back (pydata-sphinx-theme #2451, sphinx-book-theme #988: the theme
  binds a hidden duplicate button; ``site_assets/js/book_nav.js`` forwards the clicks).
- Width: no code block needs a scroll bar at 1280 px (chapters keep code within 80
  characters, ``tools/code_width.py``); no page scrolls sideways at 390 px (a wide table or
  equation scrolls inside its own box).

Screenshots of what each test saw are saved under ``_build/screenshots/`` for reviewers.
The last tests prove that each check fails on a page with the defect it exists to catch.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from book_paths import MATHJAX_READY, REPO_ROOT, toc_files

pytestmark = [pytest.mark.book, pytest.mark.browser]

LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
NAV_SHIM = REPO_ROOT / "site_assets" / "js" / "book_nav.js"


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


@pytest.mark.parametrize("page_name", toc_files())
def test_code_fits_the_column_at_1280_px(page_name, site_server, offline_page):
    page = offline_page.page
    page.set_viewport_size(LAPTOP)
    page.goto(f"{site_server}{page_name}.html", wait_until="load")
    page.evaluate(MATHJAX_READY)
    problems = code_overflow_problems(page) + sideways_problems(page)
    assert not problems, f"{page_name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("page_name", toc_files())
def test_no_page_scrolls_sideways_at_390_px(
    page_name, site_server, offline_page, screenshot_dir: Path
):
    page = offline_page.page
    page.set_viewport_size(PHONE)
    page.goto(f"{site_server}{page_name}.html", wait_until="load")
    page.evaluate(MATHJAX_READY)
    page.wait_for_timeout(200)
    problems = sideways_problems(page)
    page.screenshot(path=screenshot_dir / f"layout--phone-390--{screenshot_name(page_name)}.png")
    assert not problems, f"{page_name}:\n" + "\n".join(problems)


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


@pytest.mark.parametrize("page_name", toc_files())
def test_equation_numbers_do_not_cover_wide_maths_at_390_px(
    page_name, site_server, offline_page, screenshot_dir: Path
):
    page = offline_page.page
    page.set_viewport_size(PHONE)
    page.goto(f"{site_server}{page_name}.html", wait_until="load")
    page.evaluate(MATHJAX_READY)
    page.wait_for_timeout(200)
    problems = equation_number_problems(page)
    first = page.locator("article div.math:has(> .eqno)").first
    if first.count():
        first.scroll_into_view_if_needed()
        page.screenshot(
            path=screenshot_dir / f"layout--phone-390--equations--{screenshot_name(page_name)}.png"
        )
    assert not problems, f"{page_name}:\n" + "\n".join(problems)


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


@pytest.mark.parametrize("page_name", toc_files())
def test_fold_titles_take_at_most_3_lines_at_390_px(
    page_name, site_server, offline_page, screenshot_dir: Path
):
    r"""A folded check's title is at most 3 lines on a phone; a title cut short while folded
    is shown whole once the fold is opened (every word stays reachable)."""
    page = offline_page.page
    page.set_viewport_size(PHONE)
    page.goto(f"{site_server}{page_name}.html", wait_until="load")
    problems = fold_title_problems(page)
    cut = page.locator("article details.hide:not([open]) > summary > p.collapsed")
    for k in range(cut.count()):
        title = cut.nth(k).element_handle()  # the locator would move on to the next fold
        if not title.is_visible() or not title.evaluate("p => p.scrollHeight > p.clientHeight + 1"):
            continue
        title.scroll_into_view_if_needed()
        page.screenshot(
            path=screenshot_dir / f"layout--phone-390--fold--{screenshot_name(page_name)}.png"
        )
        title.click()
        page.wait_for_timeout(100)
        if not title.is_visible() or title.evaluate("p => p.scrollHeight > p.clientHeight + 1"):
            problems.append(
                f"an opened fold does not show its whole title: {title.text_content()!r}"
            )
        break
    assert not problems, f"{page_name}:\n" + "\n".join(problems)


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


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1280", "390"])
@pytest.mark.parametrize("page_name", toc_files())
def test_figure_text_is_at_least_10_px_at_1280_and_390_px(
    page_name, viewport, site_server, offline_page, built_site: Path, screenshot_dir: Path
):
    r"""On a phone a figure keeps its laptop width inside a box that scrolls sideways
    (``site_assets/css/book.css``), so its text is as large as at 1280 px."""
    page = offline_page.page
    page.set_viewport_size(viewport)
    page.goto(f"{site_server}{page_name}.html", wait_until="load")
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('article img')).every(i => i.complete)"
    )
    figures = page.evaluate(FIGURES)
    if viewport is PHONE and figures:
        page.locator("article img[src*='_images/']").first.scroll_into_view_if_needed()
        page.screenshot(
            path=screenshot_dir / f"layout--phone-390--figure--{screenshot_name(page_name)}.png"
        )
    problems = figure_text_problems(
        figures, built_site / "_images", unrecorded_ok=page_name in UNRECORDED_FIGURES
    )
    assert not problems, f"{page_name}:\n" + "\n".join(problems)


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
    the theme reads the choice from localStorage before the page is first drawn (switching
    on a drawn page starts colour transitions, which a measurement would catch midway)."""
    page.add_init_script(
        f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');"
    )


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("page_name", toc_files())
def test_every_text_is_readable_in_both_colour_modes(
    page_name, mode, site_server, offline_page, screenshot_dir: Path
):
    page = offline_page.page
    page.set_viewport_size(LAPTOP)
    choose_colour_mode(page, mode)
    page.goto(f"{site_server}{page_name}.html", wait_until="load")
    page.evaluate(MATHJAX_READY)
    theme = page.evaluate("() => document.documentElement.dataset.theme")
    assert theme == mode, f"the page opened in mode {theme!r}, not {mode!r}"
    if page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count():
        page.wait_for_function(
            """() => Array.from(document.querySelectorAll(
                'script[type="application/vnd.jupyter.widget-view+json"]')).every(t =>
                t.previousElementSibling && t.previousElementSibling.querySelector(
                ".jupyter-widgets, .lm-Widget"))""",
            timeout=30_000,
        )
    page.wait_for_timeout(300)
    problems = contrast_problems(page)
    if mode == "dark":
        page.screenshot(
            path=screenshot_dir / f"layout--laptop-1280-dark--{screenshot_name(page_name)}.png"
        )
    assert not problems, f"{page_name} ({mode}):\n" + "\n".join(problems[:20])


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
