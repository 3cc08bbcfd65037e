r"""The built site as a reader sees it on a laptop (1280 px wide) and on a phone (390 px).

- Navigation: on a phone, the visible ≡ button opens the table of contents and it lists every
  chapter; the contents button opens the page's sections; on a laptop the ≡ collapses the
  sidebar and brings it back (pydata-sphinx-theme #2451, sphinx-book-theme #988: the theme
  binds a hidden duplicate button; ``site_assets/js/book_nav.js`` forwards the clicks).

Screenshots of what each test saw are saved under ``_build/screenshots/`` for reviewers.
The last tests prove that each check fails on a page with the defect it exists to catch.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from book_paths import REPO_ROOT, toc_files

pytestmark = [pytest.mark.book, pytest.mark.browser]

LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
NAV_SHIM = REPO_ROOT / "site_assets" / "js" / "book_nav.js"

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
