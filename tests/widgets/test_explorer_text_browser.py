r"""The explorers' text as a reader sees it, in chromium, without building the book (each
widget's ES module on the stand-in model of ``test_explorer_optimizers_browser.py``).

- Every text in the weight-update explorer (a 2-2-2 and a 2-5-5-3 network), the pair
  explorer and the paths view is at least 10 px at the size it is drawn, on a phone
  (390 x 844, a column of 358 px) and at 1280 x 800 (a column of 740 px): an SVG text's
  font size times the SVG's scale, an HTML text's computed font size.
- The weight-update explorer's formula view and its choosers use the book's notation only
  (issue 21): every s, o, w, b and δ with its layer as a superscript, ∂E/∂o for what reaches a
  unit (no e_k, no J), and units named one way, "layer l unit i".
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from test_explorer_controls_browser import open_widget
from test_explorer_optimizers_browser import HARNESS

from backprop_lib.widgets.explorer import ExplorerWidget

pytestmark = pytest.mark.browser

#: [text, font size in px as drawn] of every visible text node under the widget's element.
TEXT_SIZES = """(hook) => {
  const root = window[hook][0].el;
  const out = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    const text = walker.currentNode.textContent.trim();
    if (!text || el.closest("style, script")) continue;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 || style.visibility === "hidden") continue;
    let size = parseFloat(style.fontSize);
    if (el.closest("svg")) {
      const m = el.getScreenCTM();  // user units to px: the SVG's scale
      size *= Math.hypot(m.a, m.b);
    }
    out.push([text.slice(0, 40), size]);
  }
  return out;
}"""

#: (viewport, the column the widget gets): a phone, and the book's column at 1280 px.
SCREENS = [((390, 844), 358), ((1280, 800), 740)]


def widgets():
    from backprop_lib.widgets.explorer.paths_live import PathsWidget
    from backprop_lib.widgets.pair_live import PairWidget

    x = np.linspace(-1, 1, 20)
    return [
        ("backpropExplorers", ExplorerWidget()),
        (
            "backpropExplorers",
            ExplorerWidget(
                sizes=(2, 5, 5, 3),
                activations=("tanh", "relu", "softmax"),
                loss="cross_entropy",
                t=(0.0, 1.0, 0.0),
            ),
        ),
        ("backpropPairExplorers", PairWidget()),
        ("backpropPathViews", PathsWidget(x=x, t=2 * x + 1)),
    ]


@pytest.mark.parametrize("viewport, column", SCREENS, ids=["390px", "1280px"])
def test_every_text_in_the_explorers_is_at_least_10px(browser, viewport, column):
    checked = 0
    for hook, widget in widgets():
        harness = HARNESS.replace("window.backpropExplorers.length", f"window.{hook}.length")
        page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        try:
            css = getattr(widget, "_css", "")
            page.add_style_tag(content=css + f"body {{ width: {column}px; margin: 0 16px }}")
            state = {k: v for k, v in widget.get_state().items() if not k.startswith("_")}
            page.evaluate(harness, [widget._esm, state])
            sizes = page.evaluate(TEXT_SIZES, hook)
        finally:
            page.close()
            widget.close()
        assert len(sizes) > 5, (hook, sizes)
        small = [(text, round(size, 2)) for text, size in sizes if size < 10]
        assert not small, (hook, viewport, small)
        checked += len(sizes)
    assert checked > 200


FORMULA = "() => window.backpropExplorers[0].el.querySelector('.bp-formula').innerHTML"
OPTIONS = """(name) => Array.from(window.backpropExplorers[0].el.querySelectorAll(
    `[data-control="${name}"] option`)).map((o) => [o.value, o.textContent])"""

#: A letter of the book's notation written with a subscript but no layer superscript first.
BARE = re.compile(r"(?<![A-Za-z])(?:δ|o|s|w|b)<sub>")


def test_the_formula_view_uses_the_books_notation(browser):
    """Every unit's δ (hidden elementwise, hidden softmax, output by the chain rule, output
    softmax, a fused pair) and every parameter's update, as the formula view writes them."""
    cases = [
        ExplorerWidget(sizes=(2, 3, 3, 2), activations=("tanh", "softmax", "sigmoid")),
        ExplorerWidget(sizes=(2, 3, 2), activations=("tanh", "softmax"), loss="squared_error"),
        ExplorerWidget(
            sizes=(2, 2, 2), activations=("relu", "softmax"), loss="cross_entropy", t=(1.0, 0.0)
        ),
    ]
    seen = set()
    for widget in cases:
        page = open_widget(browser, widget)
        try:
            units = page.evaluate(OPTIONS, "unit")
            parameters = page.evaluate(OPTIONS, "parameter")
            for key, label in units:
                page.evaluate(f"() => window.backpropExplorers[0].act('unit', '{key}')")
                html = page.evaluate(FORMULA)
                layer, i = key.split(",")
                assert f"δ<sup>{layer}</sup><sub>{i}</sub> = " in html, html
                assert not BARE.search(html), html
                assert not re.search(r"\be<sub>|J<sub>", html), html
                want = rf"δ\^{layer}_{i}: layer {layer} unit {i} \((hidden|output)\)"
                assert re.fullmatch(want, label), label
                seen.update(re.findall(r"softmax: not elementwise|fused pair|f′", html))
            for key, label in parameters:
                page.evaluate(f"() => window.backpropExplorers[0].act('parameter', '{key}')")
                assert not BARE.search(page.evaluate(FORMULA))
                kind, layer, i, *j = key.split(",")
                want = (
                    rf"w\^{layer}_{j[0]}{i}: layer {int(layer) - 1} unit {j[0]} → "
                    rf"layer {layer} unit {i}"
                    if kind == "w"
                    else rf"b\^{layer}_{i}: bias of layer {layer} unit {i}"
                )
                assert re.fullmatch(want, label), label
        finally:
            page.close()
            widget.close()
    assert seen == {"softmax: not elementwise", "fused pair", "f′"}
