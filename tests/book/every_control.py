r"""Every control inside every page's outputs does something, with no kernel and no network.

:func:`every_control_problems` runs on the load of ``test_browser_pages.py::test_page_in_use``
(each page of ``_toc.yml`` at 1280 x 900, after its other checks and screenshots). It finds
every control inside the cell outputs
(buttons, range inputs, selects, radio buttons, sphinx-design tab labels, ipywidgets slider
handles; not the theme's copy buttons on code blocks), uses it as a reader would (a click;
a select set to another option; a range input moved one step; a slider handle moved with
the arrow keys), and fails if the output around it shows nothing different afterwards, or
if a JavaScript error occurs on the page.

"Shows something different" is a snapshot of the output (its text, image sources, the
values of its other controls, the size of its drawings) taken without the control's own
row, so a slider whose only effect is its own readout counts as doing nothing. Special
cases, each because the visible effect is elsewhere in time:

- a radio button (an animation's loop mode, a tab): its group's checked state is the choice
  shown;
- a ``Pause`` button: the animation is started first; after Pause its frame stays fixed;
- the animation's speed buttons: their effect is the frame interval of the player
  (``anim<id>.interval``), read from the page, since nothing moves while paused;
- a Play button: it is pressed, the test waits, and the output must have changed; it is
  then pressed again (or Pause pressed) so that the page stops;
- an animation's frame buttons start from its middle frame (at frame 0 "Previous frame"
  rightly does nothing), and a tab label that is already shown gets another tab first.
"""

from __future__ import annotations

import sys

from book_paths import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tools"))
from reading_metrics import WIDGETS_RENDERED  # noqa: E402

# Controls inside outputs, each given an index (data-every-control) so Python can address
# it; returns a description of each.
FIND = """() => {
    const outputs = Array.from(document.querySelectorAll(
        "article .cell_output, article .output, article .widget-subarea"));
    const seen = new Set();
    const found = [];
    for (const out of outputs) {
        for (const el of out.querySelectorAll(
                "button, select, input, .noUi-handle, .sd-tab-set > label")) {
            if (seen.has(el)) continue;
            seen.add(el);
            if (el.classList.contains("copybtn")) continue;  // the theme's, on code blocks
            if (el.tagName === "INPUT" && el.type === "radio" && el.closest(".sd-tab-set")) {
                continue;  // a tab: its label is the control
            }
            if (el.tagName === "INPUT" && !["range", "radio", "checkbox", "number"]
                    .includes(el.type)) continue;
            const box = el.getBoundingClientRect();
            found.push({
                index: found.length,
                tag: el.tagName, type: el.type || null,
                title: el.getAttribute("title") || el.textContent.trim().slice(0, 30),
                visible: box.width > 0 && box.height > 0,
                animation: el.closest("div.animation") !== null,
            });
            el.setAttribute("data-every-control", String(found.length - 1));
        }
    }
    return found;
}"""

# A snapshot of the output around control k, without the control's own row.
SNAPSHOT = """(k) => {
    const el = document.querySelector(`[data-every-control="${k}"]`);
    const out = el.closest("div.animation") || el.closest(".widget-subarea")
        || el.closest(".cell_output") || el.closest(".output");
    const own = el.closest("label, .bp-row, .widget-slider, .widget-hslider") || el;
    const parts = [];
    const walk = (node) => {
        if (node === own) return;
        if (node.nodeType === Node.TEXT_NODE) { parts.push(node.textContent); return; }
        if (node.nodeType !== Node.ELEMENT_NODE) return;
        if (node.tagName === "IMG") parts.push("img:" + node.getAttribute("src").slice(-200)
            + node.getAttribute("src").length);
        if (node.tagName === "INPUT" || node.tagName === "SELECT") {
            parts.push(node.tagName + ":" + node.value + ":" + (node.checked ? 1 : 0));
        }
        if (node.tagName === "polyline" || node.tagName === "line" || node.tagName === "circle") {
            parts.push(node.tagName + ":" + Array.from(node.attributes)
                .map(a => a.value).join(","));
        }
        const style = node.getAttribute && node.getAttribute("style");
        if (style && /display|visibility/.test(style)) parts.push("style:" + style);
        if (node.classList && node.classList.contains("sd-tab-content")) {
            parts.push("tab:" + getComputedStyle(node).display);
        }
        for (const child of node.childNodes) walk(child);
    };
    walk(out);
    return parts.join("|");
}"""

RADIO_GROUP = """(k) => {
    const el = document.querySelector(`[data-every-control="${k}"]`);
    const group = document.querySelectorAll(`input[type=radio][name="${el.name}"]`);
    return Array.from(group).map(r => r.checked ? 1 : 0).join("");
}"""

USE = """(k) => {
    const el = document.querySelector(`[data-every-control="${k}"]`);
    if (el.tagName === "SELECT") {
        el.selectedIndex = (el.selectedIndex + 1) % el.options.length;
        el.dispatchEvent(new Event("change", {bubbles: true}));
        return "select";
    }
    if (el.tagName === "INPUT" && el.type === "range") {
        const step = Number(el.step) || 1;
        const before = el.value;
        el.value = String(Number(el.value) + step);
        if (el.value === before) el.value = String(Number(el.value) - step);
        el.dispatchEvent(new Event("input", {bubbles: true}));
        el.dispatchEvent(new Event("change", {bubbles: true}));
        return "range";
    }
    el.click();
    return "click";
}"""

ANIMATION_ID = """(k) => {
    const el = document.querySelector(`[data-every-control="${k}"]`);
    const onclick = el.getAttribute("onclick") || "";
    const m = onclick.match(/(anim[0-9a-f]+)\\./);
    return m ? m[1] : null;
}"""


# Put an animation at its middle frame, so that every frame button has somewhere to go.
MIDDLE_FRAME = """(k) => {
    const el = document.querySelector(`[data-every-control="${k}"]`);
    const slider = el.closest("div.animation").querySelector("input.anim-slider");
    slider.value = String(Math.floor(Number(slider.max) / 2));
    slider.dispatchEvent(new Event("input", {bubbles: true}));
}"""

# A sphinx-design tab label whose tab is already shown: show another one first.
OTHER_TAB = """(k) => {
    const label = document.querySelector(`[data-every-control="${k}"]`);
    const input = document.getElementById(label.getAttribute("for"));
    if (!input || !input.checked) return false;
    const other = Array.from(label.parentElement.querySelectorAll(":scope > label"))
        .find(l => l !== label);
    if (other) other.click();
    return true;
}"""


def every_control_problems(page) -> tuple[int, list[str]]:
    r"""Use every control inside the outputs of the open page (its saved widgets rendered,
    waited for here); return how many there are and those that changed nothing."""
    page.wait_for_function(WIDGETS_RENDERED, timeout=30000)  # widgets render after load
    controls = page.evaluate(FIND)
    problems = []
    for control in controls:
        k = control["index"]
        name = f"{control['tag'].lower()} {control['title']!r} (#{k})"
        element = page.locator(f'[data-every-control="{k}"]')
        if control["tag"] == "INPUT" and control["type"] == "radio":
            before = page.evaluate(RADIO_GROUP, k)
            element.check(force=True)
            if page.evaluate(RADIO_GROUP, k) == before and not element.is_checked():
                problems.append(f"{name}: choosing it changed nothing")
            continue
        if "speed" in control["title"]:
            anim = page.evaluate(ANIMATION_ID, k)
            interval = page.evaluate(f"() => {anim}.interval")
            page.evaluate(USE, k)
            if page.evaluate(f"() => {anim}.interval") == interval:
                problems.append(f"{name}: the frame interval stayed {interval}")
            continue
        if not control["visible"]:
            element.scroll_into_view_if_needed()
        if control["title"] in ("Pause",) and control["animation"]:
            anim = page.evaluate(ANIMATION_ID, k)
            page.evaluate(f"() => {anim}.play_animation()")
            page.wait_for_timeout(400)
            page.evaluate(USE, k)
            frozen = page.evaluate(SNAPSHOT, k)
            page.wait_for_timeout(600)
            if page.evaluate(SNAPSHOT, k) != frozen:
                problems.append(f"{name}: the animation kept playing")
            continue
        if control["tag"] == "DIV":  # an ipywidgets slider handle: the arrow keys
            before = page.evaluate(SNAPSHOT, k)
            element.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(200)
            after = page.evaluate(SNAPSHOT, k)
            if after == before:
                page.keyboard.press("ArrowLeft")
                page.keyboard.press("ArrowLeft")
                page.wait_for_timeout(200)
                after = page.evaluate(SNAPSHOT, k)
            if after == before:
                problems.append(f"{name}: moving it changed nothing outside its own row")
            continue
        if control["animation"] and control["tag"] != "INPUT":
            page.evaluate(MIDDLE_FRAME, k)
        if control["tag"] == "LABEL":
            page.evaluate(OTHER_TAB, k)
        before = page.evaluate(SNAPSHOT, k)
        page.evaluate(USE, k)
        if "Play" in control["title"]:  # a timer steps it: wait (up to 10 s) for a change
            try:
                page.wait_for_function(
                    "([k, before]) => (" + SNAPSHOT + ")(k) !== before",
                    arg=[k, before],
                    timeout=10000,
                )
            except Exception:  # noqa: BLE001 - playwright's TimeoutError: reported below
                pass
        else:
            page.wait_for_timeout(150)
        after = page.evaluate(SNAPSHOT, k)
        if "Play" in control["title"]:  # stop it again
            if control["animation"]:
                anim = page.evaluate(ANIMATION_ID, k)
                page.evaluate(f"() => {anim}.pause_animation()")
            else:
                page.evaluate(USE, k)  # the explorer's Play is also its Pause
        if after == before:
            problems.append(f"{name}: using it changed nothing visible")
    return len(controls), problems
