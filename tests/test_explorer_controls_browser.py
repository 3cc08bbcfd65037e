r"""The explorers' controls as a reader uses them (issue 21, item 7), in chromium, without
building the book: each widget's ES module is rendered on a stand-in for the anywidget model
(no kernel, as on the static site; the harness of ``test_explorer_optimizers_browser.py``).

- Weight-update explorer with softmax + cross-entropy: the target is a class (a menu giving
  a one-hot row) and its sliders are coupled (Σt = 1 after every move), so the target can be
  changed; the page's numbers stay the library's (``verify`` replays them). A row that is
  not a probability vector is still refused with the library's message, nothing changed.
- Changing the loss starts a new loss curve (page and Python); the value slider's range
  contains the chosen parameter's value with room to move; the network's text is at least
  10 px at the size it is drawn, and a unit's number fits inside its circle.
- Pair explorer with cross-entropy: the sliders and the table show the same target, the one
  used (a row set from Python is divided by its sum, visibly).
- Retrain panel: each legend entry is drawn in its run's colour; accuracy on a fixed
  0–100 % axis.

Expected rows and losses are computed here by hand or with numpy, not by the pages.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_explorer_optimizers_browser import ARGS, CHROMIUM, HARNESS

from backprop_lib import Dense, Network

pytestmark = pytest.mark.browser

STATE = "() => window.backpropExplorers[0].state()"

# move a range input as a reader does (an "input" event)
SLIDE = """([name, value]) => {
    const el = window.backpropExplorers[0].el.querySelector(`[data-control="${name}"]`);
    el.value = String(value);
    el.dispatchEvent(new Event("input", {bubbles: true}));
    return el.value;
}"""


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def open_widget(browser, widget, width=740, harness=HARNESS):
    """The widget rendered into a column ``width`` px wide (the book's text column at
    1280 px is about that), with its CSS."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    state = {k: v for k, v in widget.get_state().items() if not k.startswith("_")}
    json.dumps(state)
    page.add_style_tag(content=widget._css + f"body {{ width: {width}px; margin: 0 }}")
    page.evaluate(harness, [widget._esm, state])
    return page


def library_loss(widget, t):
    """E of the widget's network at its x and the target row ``t``, by backprop_lib."""
    layers = [
        Dense.from_arrays(np.array(W), np.array(b), a)
        for W, b, a in zip(widget.W, widget.b, widget.activations, strict=True)
    ]
    return Network(layers, widget.loss).loss(np.array([widget.x]), np.array([t]))


# -- the pair explorer ---------------------------------------------------------------------

PAIR_HARNESS = HARNESS.replace(
    "window.backpropExplorers.length", "window.backpropPairExplorers.length"
)
PAIR_STATE = "() => window.backpropPairExplorers[0].state()"
PAIR_SLIDERS = """() => Array.from(window.backpropPairExplorers[0].el.querySelectorAll(
    'input[data-control^="t"]')).map((s) => Number(s.value))"""


def softmax_cross_entropy(s, t):
    s = np.asarray(s, dtype=np.float64)
    log_o = s - s.max() - np.log(np.exp(s - s.max()).sum())
    return -float(np.dot(t, log_o))


def test_the_pair_explorer_shows_the_target_it_uses(browser):
    from backprop_lib.widgets.pair_live import PairWidget

    widget = PairWidget(activation="softmax", loss="cross_entropy", t=(1.0, 1.0, 0.0))
    page = open_widget(browser, widget, harness=PAIR_HARNESS)
    try:
        first = page.evaluate(PAIR_STATE)
        sliders = page.evaluate(PAIR_SLIDERS)
        note = page.evaluate(
            """() => window.backpropPairExplorers[0].el.querySelector(
            '[data-quantity="normalized"]').textContent"""
        )
        table = page.evaluate(
            """() => Array.from(window.backpropPairExplorers[0].el.querySelectorAll(
            'td[data-quantity="t"]')).map((td) => td.textContent)"""
        )
        page.evaluate(
            """() => { const el = window.backpropPairExplorers[0].el.querySelector(
            '[data-control="t1"]'); el.value = "0.8";
            el.dispatchEvent(new Event("input", {bubbles: true})); }"""
        )
        moved = page.evaluate(PAIR_STATE)
        moved_sliders = page.evaluate(PAIR_SLIDERS)
    finally:
        page.close()
    assert first["t"] == [0.5, 0.5, 0]
    assert sliders == [0.5, 0.5, 0]  # the sliders show the target used, not (1, 1, 0)
    assert table == ["0.5", "0.5", "0"]
    assert "divided by its sum" in note and "(0.5, 0.5, 0)" in note
    np.testing.assert_allclose(first["E"], softmax_cross_entropy(widget.s, [0.5, 0.5, 0]))
    # moving t1 keeps Σt = 1: t2 takes the rest (t3 was 0)
    np.testing.assert_allclose(moved["t"], [0.8, 0.2, 0.0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(moved_sliders, [0.8, 0.2, 0.0], atol=1e-9)
    np.testing.assert_allclose(moved["E"], softmax_cross_entropy(widget.s, [0.8, 0.2, 0.0]))
    widget.close()


# -- the retrain panel ---------------------------------------------------------------------

RETRAIN_HARNESS = HARNESS.replace(
    "window.backpropExplorers.length", "window.backpropRetrainPanels.length"
)
PIXEL = (  # a 1 x 1 PNG
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHw"
    "AFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


def test_the_retrain_legend_has_the_run_colours_and_accuracy_is_0_to_100(browser):
    from backprop_lib.widgets.retrain_live import RetrainGridWidget

    run = {
        "loss": [2.3, 2.0, 1.9],
        "val_loss": [2.3, 2.1, 2.0],
        "accuracy": [0.1, 0.3, 0.38],
        "val_accuracy": [0.1, 0.25, 0.36],
        "weights": {"2": PIXEL},
    }
    grid = {
        "lrs": [0.1],
        "hidden_units": [8],
        "batch_sizes": [10],
        "epochs": [2],
        "runs": {"0.1|8|10": run},
        "n_fit": 100,
        "seed": 0,
    }
    widget = RetrainGridWidget(grid, lr=0.1, n_hidden=8, batch_size=10, epochs=2)
    page = open_widget(browser, widget, harness=RETRAIN_HARNESS)
    try:
        legend = page.evaluate(
            """() => Array.from(document.querySelectorAll(".bp-plot text[data-legend]")).map(
            (t) => [t.textContent, getComputedStyle(t).fill])"""
        )
        plots = page.evaluate(
            """() => Array.from(document.querySelectorAll(".bp-plot")).map((svg) => ({
            labels: Array.from(svg.querySelectorAll("text")).map((t) => t.textContent),
            lines: Array.from(svg.querySelectorAll("polyline")).map((p) =>
              p.getAttribute("points"))}))"""
        )
    finally:
        page.close()
    blue, red = "rgb(31, 119, 180)", "rgb(214, 39, 40)"  # #1f77b4, #d62728
    assert legend == [["training", blue], ["validation", red]] * 2
    accuracy = plots[1]
    assert "0%" in accuracy["labels"] and "100%" in accuracy["labels"]
    # the axis runs from y = 120 (0 %) to y = 20 (100 %): 38 % is drawn at y = 82
    last = accuracy["lines"][0].split()[-1].split(",")
    assert float(last[1]) == pytest.approx(120 - 38)
    widget.close()
