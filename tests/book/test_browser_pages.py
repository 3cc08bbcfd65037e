r"""The built site in a real browser, used as a reader uses it, with no network.

Each page is opened once, at 1280 x 900, and used in turn:

- it loads with no network: no request leaves the machine, every local request succeeds
  (``test_offline_browser.py`` opens the landing page from disk, and proves the guard);
- MathJax typesets the maths, its fonts load and no raw TeX (``$$``, ``\\[``) is left in
  the article's text; every maths element is typeset, and none holds a TeX error (MathJax
  shows an unknown command in red, ``mjx-merror``, which is not raw TeX);
- every widget the executed notebook displays (an output of type
  ``application/vnd.jupyter.widget-view+json``) is rendered from the saved widget state, is
  visible, fits the text column without cutting off or scrolling its parts, and its sliders
  move in the browser;
- every ``to_jshtml`` animation of the executed notebook (an output holding
  ``<div class="animation">``) shows a frame, its "Next frame" button and its slider change
  the frame, and its player icons come from the vendored FontAwesome font;
- on each numbered chapter, every self-check is driven (``self_checks.py``: typical
  mistakes get their hint, the right answer is correct, also after "New numbers"; at least
  three a chapter), after the screenshots;
- every control inside the page's outputs does something (``every_control.py``: buttons,
  range inputs, selects, radio buttons, tab labels, slider handles, each used as a reader
  would, after the screenshots);
- after all that use, still no request has left the machine and no JavaScript error
  occurred (``KNOWN_HARMLESS_JS_ERRORS`` names the errors tolerated: none at present);
- a full-page screenshot of each page, and one of each widget and animation, is saved under
  ``_build/screenshots/`` for reviewers.

What each page must show is read from the executed notebook, not from the browser, so a
widget or an animation that fails to appear is a failure, never a silently smaller count.
The last tests prove that each check fails on a page with the defect it exists to catch.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from book_paths import EXECUTED_DIR, MATHJAX_READY, is_notebook, toc_files, typeset_problems
from every_control import every_control_problems
from self_checks import exercise_self_checks, numbered_chapters

pytestmark = [pytest.mark.book, pytest.mark.browser]

#: JavaScript errors that are known, understood and harmless, by name: name -> pattern of the
#: message. Empty: the site has none (sphinx-thebe's "Identifier 'THEBE_JS_URL' has already
#: been declared" was one; the book does not load sphinx-thebe). A new entry needs a reason.
KNOWN_HARMLESS_JS_ERRORS: dict[str, re.Pattern] = {}

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
ANIMATION_MARK = '<div class="animation">'
SECONDS = 1000  # playwright timeouts are in milliseconds

# Every self-check of the page has been set up by its script (site_assets/js/self_check.js).
SELF_CHECKS_READY = """() => Array.from(document.querySelectorAll('[data-self-check]'))
    .every(el => el.getAttribute('data-self-check-ready'))"""


# Every maths element of the article: is it typeset, and without a TeX error?
MATHS_STATE = """() => Array.from(document.querySelectorAll("div.math, span.math")).map(el => ({
    tex: el.textContent.slice(0, 80),
    typeset: el.querySelector("mjx-container") !== null,
    error: el.querySelector("mjx-merror") !== null,
}))"""

# Every widget view script: the html-manager inserts a div.widget-subarea before it and
# renders the view into it (an ipywidgets view has the class jupyter-widgets; an anywidget's
# view, such as the weight-update explorer, is a plain Lumino widget, lm-Widget).
WIDGETS_STATE = """() => Array.from(document.querySelectorAll(
        'script[type="application/vnd.jupyter.widget-view+json"]')).map(tag => {
    const area = tag.previousElementSibling;
    const widget = area && area.classList.contains("widget-subarea")
        ? area.querySelector(".jupyter-widgets, .lm-Widget") : null;
    const box = widget ? widget.getBoundingClientRect() : null;
    const column = tag.closest("article") || document.body;
    // parts whose content does not fit: cut off, or behind a scroll bar of their own
    const cramped = widget ? [widget, ...widget.querySelectorAll(".jupyter-widgets")].filter(
        el => el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1
            && getComputedStyle(el).overflowX !== "visible").length : 0;
    return {
        rendered: widget !== null,
        width: box ? box.width : 0,
        height: box ? box.height : 0,
        overhang: box ? box.right - column.getBoundingClientRect().right : 0,
        cramped: cramped,
        folded: tag.closest("details:not([open])") !== null,
    };
})"""

WIDGET_TEX_ERRORS = """() => Array.from(document.querySelectorAll(".jupyter-widgets mjx-merror"))
    .map(el => el.textContent.slice(0, 80))"""

# The frame an animation shows, its slider, and its buttons.
ANIMATION_STATE = """(div) => {
    const img = div.querySelector("img");
    const slider = div.querySelector("input.anim-slider");
    return {src: img ? img.getAttribute("src") : null,
            slider: slider ? slider.value : null,
            max: slider ? slider.max : null};
}"""

SET_SLIDER = """(div, value) => {
    const slider = div.querySelector("input.anim-slider");
    slider.value = String(value);
    slider.dispatchEvent(new Event("input", {bubbles: true}));
    slider.dispatchEvent(new Event("change", {bubbles: true}));
}"""

# The player's buttons show FontAwesome icons: pydata-sphinx-theme's FontAwesome 6 script turns
# matplotlib's <i class="fa ..."> into inline SVG; where it does not, the vendored FontAwesome
# 4 font must have loaded. Either way every button needs a drawn icon.
PLAYER_ICONS = """async (div) => {
    await document.fonts.ready;
    const problems = [];
    for (const button of div.querySelectorAll(".anim-buttons button")) {
        const name = button.getAttribute("title");
        const svg = button.querySelector("svg");
        const icon = button.querySelector("i.fa");
        if (svg) {
            const box = svg.getBoundingClientRect();
            const path = svg.querySelector("path");
            if (!(box.width > 0 && box.height > 0 && path && path.getAttribute("d"))) {
                problems.push(name + ": an empty SVG icon");
            }
        } else if (icon) {
            const family = getComputedStyle(icon, "::before").fontFamily;
            await document.fonts.load("14px FontAwesome");
            const loaded = Array.from(document.fonts).some(
                f => /FontAwesome/i.test(f.family) && f.status === "loaded");
            if (!/FontAwesome/i.test(family) || !loaded) {
                problems.push(name + ": the icon font (" + family + ") did not load");
            }
        } else {
            problems.push(name + ": no icon");
        }
    }
    return problems;
}"""


# -- what the executed notebooks say each page shows -----------------------------------------


def expected_outputs(page: str) -> dict[str, int]:
    r"""Count the widget views and animations among the outputs of ``page``'s executed
    notebook (``_build/jupyter_execute``); zero for pages that are not notebooks."""
    counts = {"widgets": 0, "animations": 0}
    if not is_notebook(page):
        return counts
    nb = nbformat.read(EXECUTED_DIR / f"{page}.ipynb", as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                counts["widgets"] += 1
            html = data.get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            counts["animations"] += html.count(ANIMATION_MARK)
    return counts


# -- checks: each returns a list of problems (empty: passed) ---------------------------------


def unexpected_js_errors(offline_page) -> list[str]:
    r"""The recorded console and page errors that are not in KNOWN_HARMLESS_JS_ERRORS."""
    errors = offline_page.console_errors + offline_page.page_errors
    return [e for e in errors if not any(p.search(e) for p in KNOWN_HARMLESS_JS_ERRORS.values())]


def maths_problems(page) -> list[str]:
    r"""Maths elements left untypeset or typeset with a TeX error (after MathJax is ready)."""
    page.evaluate(MATHJAX_READY)
    problems = []
    for item in page.evaluate(MATHS_STATE):
        if not item["typeset"]:
            problems.append(f"not typeset: {item['tex']!r}")
        elif item["error"]:
            problems.append(f"TeX error: {item['tex']!r}")
    return problems


def widget_problems(page, expected: int, timeout: float = 30.0) -> list[str]:
    r"""Wait up to ``timeout`` seconds for ``expected`` widget views to render; report the
    missing, unrendered, invisible ones and TeX errors inside widgets."""
    try:
        page.wait_for_function(
            """(n) => document.querySelectorAll(
                'script[type="application/vnd.jupyter.widget-view+json"]').length >= n
                && Array.from(document.querySelectorAll(
                'script[type="application/vnd.jupyter.widget-view+json"]')).every(t =>
                t.previousElementSibling && t.previousElementSibling.querySelector(
                ".jupyter-widgets, .lm-Widget"))""",
            arg=expected,
            timeout=timeout * SECONDS,
        )
    except Exception:  # noqa: BLE001 - playwright's TimeoutError; the state below says why
        pass
    views = page.evaluate(WIDGETS_STATE)
    problems = []
    if len(views) != expected:
        problems.append(f"{len(views)} widget views on the page, the notebook displays {expected}")
    for k, view in enumerate(views):
        if not view["rendered"]:
            problems.append(f"widget view {k} was not rendered")
        elif not view["folded"] and (view["width"] < 10 or view["height"] < 10):
            problems.append(
                f"widget view {k} is invisible ({view['width']:.0f} x {view['height']:.0f} px)"
            )
        elif not view["folded"] and view["overhang"] > 1:
            problems.append(
                f"widget view {k} sticks out of the text column by {view['overhang']:.0f} px"
            )
        elif view["cramped"]:
            problems.append(
                f"widget view {k}: {view['cramped']} of its parts are too narrow for their "
                "content (cut off or scrolling)"
            )
    problems += [f"TeX error in a widget: {t!r}" for t in page.evaluate(WIDGET_TEX_ERRORS)]
    return problems


def slider_problems(page) -> list[str]:
    r"""The first visible widget slider must move with the keyboard (its readout changes) and
    come back; it is left as it was, so the screenshot shows the saved state."""
    handle = page.locator(".jupyter-widgets .noUi-handle").first
    if handle.count() == 0 or not handle.is_visible():
        return []
    slider = handle.locator(
        "xpath=ancestor::*[contains(concat(' ', normalize-space(@class), ' '),"
        " ' widget-slider ')][1]"
    )
    readout = slider.locator(".widget-readout")
    if readout.count() == 0:
        return ["a widget slider has no readout"]
    before = readout.inner_text()
    handle.focus()
    for there, back in (("ArrowRight", "ArrowLeft"), ("ArrowLeft", "ArrowRight")):
        page.keyboard.press(there)
        moved = readout.inner_text()
        if moved != before:  # at the end of its range a slider moves one way only
            page.keyboard.press(back)
            returned = readout.inner_text()
            if returned != before:
                return [f"a widget slider moved to {moved!r} but not back to {before!r}"]
            return []
    return [f"a widget slider did not move with the arrow keys (readout {before!r})"]


def animation_problems(page, expected: int, timeout: float = 10.0) -> list[str]:
    r"""Every animation shows a frame; "Next frame" and the slider change it; every player
    button shows an icon."""
    animations = page.locator("div.animation")
    problems = []
    if animations.count() != expected:
        problems.append(
            f"{animations.count()} animations on the page, the notebook displays {expected}"
        )
    for k in range(animations.count()):
        div = animations.nth(k)
        div.scroll_into_view_if_needed()
        try:  # the player starts in a setTimeout; wait for its first frame
            page.wait_for_function(
                "(div) => div.querySelector('img') && div.querySelector('img').getAttribute('src')",
                arg=div.element_handle(),
                timeout=timeout * SECONDS,
            )
        except Exception:  # noqa: BLE001 - playwright's TimeoutError
            problems.append(f"animation {k} shows no frame")
            continue
        first = div.evaluate(ANIMATION_STATE)
        last_frame = int(first["max"])
        if last_frame < 1:
            problems.append(f"animation {k} has {last_frame + 1} frame")
            continue
        div.get_by_role("button", name="Next frame").click()
        stepped = div.evaluate(ANIMATION_STATE)
        if stepped["src"] == first["src"] or stepped["slider"] != str(int(first["slider"]) + 1):
            problems.append(f"animation {k}: 'Next frame' did not show the next frame")
        div.evaluate(SET_SLIDER, last_frame)
        scrubbed = div.evaluate(ANIMATION_STATE)
        if scrubbed["src"] in (first["src"], stepped["src"]):
            problems.append(f"animation {k}: moving the slider to the end did not change the frame")
        div.evaluate(SET_SLIDER, 0)
        if div.evaluate(ANIMATION_STATE)["src"] != first["src"]:
            problems.append(f"animation {k}: the slider back at 0 does not show the first frame")
        problems += [f"animation {k}: {p}" for p in div.evaluate(PLAYER_ICONS)]
    return problems


#: The height at which a page's screenshot stops (the longest chapter is about 33 000 px).
SCREENSHOT_MAX_PX = 40_000


def screenshot_name(page_name: str) -> str:
    return page_name.replace("/", "__")


# -- the site ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page_name", toc_files())
def test_page_in_use(page_name, site_server, offline_page, screenshot_dir: Path):
    expected = expected_outputs(page_name)
    page = offline_page.page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{site_server}{page_name}.html", wait_until="load")
    problems = []
    if page.locator("div.math, span.math").count():
        problems += maths_problems(page)
        problems += typeset_problems(page)  # no raw TeX, MathJax's fonts loaded
    if expected["widgets"] or page.locator(f'script[type="{WIDGET_VIEW}"]').count():
        problems += widget_problems(page, expected["widgets"])
        problems += slider_problems(page)
    if expected["animations"] or page.locator("div.animation").count():
        problems += animation_problems(page, expected["animations"])

    name = screenshot_name(page_name)
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(300)  # let the theme's scroll handlers settle
    # The whole page, down to SCREENSHOT_MAX_PX: every chapter fits; the API reference
    # (over 100 000 px) would take 15-30 s to capture for a 16 MB image nobody reads whole
    # (tools/screenshot.py --every-page shows all of it). On a busy machine a long capture
    # can outlast playwright's default 30 s, which says nothing about the page.
    height = page.evaluate("() => document.documentElement.scrollHeight")
    clip = {"x": 0, "y": 0, "width": 1280, "height": min(height, SCREENSHOT_MAX_PX)}
    page.screenshot(path=screenshot_dir / f"{name}.png", full_page=True, clip=clip, timeout=180_000)
    for kind, selector in (("widget", ".widget-subarea"), ("animation", "div.animation")):
        for k in range(page.locator(selector).count()):
            element = page.locator(selector).nth(k)
            if element.is_visible():
                element.screenshot(path=screenshot_dir / f"{name}--{kind}-{k + 1}.png")

    if page_name in numbered_chapters():  # its self-checks (self_checks.py), untouched so far
        page.wait_for_function(SELF_CHECKS_READY, timeout=30000)
        count, found = exercise_self_checks(page, page_name)
        if count < 3:
            problems.append(f"{page_name} has {count} self-checks; every numbered chapter needs 3")
        problems += [f"self-checks: {p}" for p in found]

    # last: it uses every control of the outputs (every_control.py)
    used, unused = every_control_problems(page)
    print(f"{page_name}: {used} controls used")  # shown with pytest -s
    problems += [f"every control does something: {p}" for p in unused]

    problems += [f"network request (blocked): {u}" for u in offline_page.blocked]
    problems += [f"failed local request: {u}" for u in offline_page.failed]
    problems += [f"JS error: {e}" for e in unexpected_js_errors(offline_page)]
    assert not problems, f"{page_name} ({used} controls):\n" + "\n".join(problems)
    assert (screenshot_dir / f"{name}.png").stat().st_size > 10_000


def test_training_page_has_its_widget_and_animation(built_site):
    # The check above compares the page with its notebook; this pins the notebook itself, so
    # a chapter that silently stopped displaying its panel or animation fails too.
    page = "book/training-digits"
    if page not in toc_files():
        pytest.skip(f"{page} is not in _toc.yml yet")
    expected = expected_outputs(page)
    assert expected["widgets"] >= 1, expected
    assert expected["animations"] >= 1, expected


# -- the checks can fail ------------------------------------------------------------------------

BROKEN_ANIMATION = """<div class="animation">
  <img id="_anim_imgX" src="data:image/png;base64,AAAA">
  <input id="_anim_sliderX" type="range" class="anim-slider" min="0" max="2" step="1"
         value="0" oninput="">
  <div class="anim-buttons"><button title="Next frame" aria-label="Next frame"
      onclick="">next</button></div>
</div>"""

WORKING_ANIMATION = """<div class="animation">
  <img src="data:image/png;base64,AAA0">
  <input type="range" class="anim-slider" min="0" max="2" step="1" value="0"
         oninput="show(parseInt(this.value))">
  <div class="anim-buttons"><button title="Next frame" aria-label="Next frame"
      onclick="show(Math.min(2, parseInt(document.querySelector('input').value) + 1))">
      ICON</button></div>
</div>
<script>
function show(k) {
    document.querySelector("input").value = String(k);
    document.querySelector("img").setAttribute("src", "data:image/png;base64,AAA" + k);
}
</script>"""

UNRENDERED_WIDGET = (
    f'<div><script type="{WIDGET_VIEW}">{{"version_major": 2, "version_minor": 0, '
    '"model_id": "abc"}</script></div>'
)


def test_a_frozen_animation_is_caught(offline_page):
    page = offline_page.page
    page.set_content(BROKEN_ANIMATION)
    problems = animation_problems(page, expected=1, timeout=2)
    assert any("'Next frame' did not show" in p for p in problems), problems
    assert any("slider to the end did not change" in p for p in problems), problems


def test_a_working_animation_passes_but_for_its_icon(offline_page):
    page = offline_page.page
    page.set_content(WORKING_ANIMATION.replace("ICON", "next"))
    problems = animation_problems(page, expected=1, timeout=2)
    assert problems == ["animation 0: Next frame: no icon"], problems
    # an icon whose font never loads (no FontAwesome stylesheet here)
    page.set_content(WORKING_ANIMATION.replace("ICON", '<i class="fa fa-step-forward"></i>'))
    problems = animation_problems(page, expected=1, timeout=2)
    assert len(problems) == 1 and problems[0].endswith("did not load"), problems
    # an SVG icon with nothing drawn
    page.set_content(WORKING_ANIMATION.replace("ICON", '<svg width="0" height="0"></svg>'))
    problems = animation_problems(page, expected=1, timeout=2)
    assert problems == ["animation 0: Next frame: an empty SVG icon"], problems


def test_a_missing_animation_is_caught(offline_page):
    page = offline_page.page
    page.set_content("<p>no animation here</p>")
    assert animation_problems(page, expected=1, timeout=2) == [
        "0 animations on the page, the notebook displays 1"
    ]


def test_an_unrendered_widget_is_caught(offline_page):
    page = offline_page.page
    page.set_content(UNRENDERED_WIDGET)
    problems = widget_problems(page, expected=1, timeout=1)
    assert problems == ["widget view 0 was not rendered"], problems
    page.set_content("<p>no widget here</p>")
    assert widget_problems(page, expected=1, timeout=1) == [
        "0 widget views on the page, the notebook displays 1"
    ]


def test_an_invisible_widget_is_caught(offline_page):
    page = offline_page.page
    page.set_content(
        '<div class="widget-subarea"><div class="jupyter-widgets" style="display:none">'
        f'</div></div><script type="{WIDGET_VIEW}">{{}}</script>'
    )
    assert widget_problems(page, expected=1, timeout=1) == ["widget view 0 is invisible (0 x 0 px)"]


def test_a_cramped_or_overhanging_widget_is_caught(offline_page):
    page = offline_page.page
    script = f'<script type="{WIDGET_VIEW}">{{}}</script>'
    page.set_content(
        '<article style="width: 300px"><div class="widget-subarea"><div class="jupyter-widgets"'
        ' style="width: 200px; overflow: auto"><div style="width: 400px; height: 30px">wide'
        f"</div></div></div>{script}</article>"
    )
    assert widget_problems(page, expected=1, timeout=1) == [
        "widget view 0: 1 of its parts are too narrow for their content (cut off or scrolling)"
    ]
    page.set_content(
        '<article style="width: 300px"><div class="widget-subarea"><div class="jupyter-widgets"'
        f' style="width: 500px; height: 30px">wide</div></div>{script}</article>'
    )
    problems = widget_problems(page, expected=1, timeout=1)
    assert len(problems) == 1 and "sticks out of the text column" in problems[0], problems


def test_untypeset_maths_and_tex_errors_are_caught(offline_page):
    page = offline_page.page
    page.set_content(
        "<script>window.MathJax = {startup: {promise: Promise.resolve()}};</script>"
        '<span class="math">\\(x\\)</span>'
        '<span class="math"><mjx-container><mjx-merror>\\frobnicate</mjx-merror>'
        "</mjx-container></span>"
        '<span class="math"><mjx-container>fine</mjx-container></span>'
    )
    assert maths_problems(page) == ["not typeset: '\\\\(x\\\\)'", "TeX error: '\\\\frobnicate'"]


def test_javascript_errors_are_caught_unless_named(offline_page):
    page = offline_page.page
    page.set_content("<script>undefinedFunction();</script>")
    assert unexpected_js_errors(offline_page), "a page error went unrecorded"
    KNOWN_HARMLESS_JS_ERRORS["test: undefinedFunction"] = re.compile("undefinedFunction")
    try:
        assert unexpected_js_errors(offline_page) == []
    finally:
        del KNOWN_HARMLESS_JS_ERRORS["test: undefinedFunction"]


def test_raw_tex_and_a_page_typeset_by_nobody_are_caught(offline_page):
    page = offline_page.page
    page.set_content(
        "<script>window.MathJax = {startup: {promise: Promise.resolve()}};</script>"
        "<article><p>$$x = 1$$</p><pre>$$ in code is fine</pre></article>"
    )
    assert typeset_problems(page) == ["MathJax typeset nothing", "raw TeX is visible"]
    page.set_content(
        "<script>window.MathJax = {startup: {promise: Promise.resolve()}};</script>"
        "<article><p>x <mjx-container>x</mjx-container></p><pre>$$ in code</pre></article>"
    )
    assert typeset_problems(page) == []


def test_a_control_that_does_nothing_is_caught(offline_page):
    page = offline_page.page
    page.set_content(
        '<article><div class="cell_output"><button>Dead</button><p>text</p><button '
        "onclick=\"this.previousElementSibling.textContent = 'changed'\">Live</button>"
        "</div></article>"
    )
    assert every_control_problems(page) == (
        2,
        ["button 'Dead' (#0): using it changed nothing visible"],
    )
