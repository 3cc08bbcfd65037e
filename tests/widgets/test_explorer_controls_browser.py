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
from test_explorer_optimizers_browser import CONTROL, HARNESS

from backprop_lib import Dense, Network
from backprop_lib.widgets.explorer import ExplorerWidget

pytestmark = pytest.mark.browser

STATE = "() => window.backpropExplorers[0].state()"

# move a range input as a reader does (an "input" event)
SLIDE = """([name, value]) => {
    const el = window.backpropExplorers[0].el.querySelector(`[data-control="${name}"]`);
    el.value = String(value);
    el.dispatchEvent(new Event("input", {bubbles: true}));
    return el.value;
}"""


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


# -- weight-update explorer: the softmax target --------------------------------------------


def test_a_softmax_target_is_a_class_and_its_sliders_keep_the_sum_1(browser):
    widget = ExplorerWidget(
        sizes=(2, 3, 3), activations=("tanh", "softmax"), loss="cross_entropy", t=(1, 0, 0)
    )
    page = open_widget(browser, widget)
    try:
        shown = page.evaluate(
            """() => window.backpropExplorers[0].el.querySelector(
            '[data-control="target-class"]') !== null"""
        )
        assert shown  # the class menu is there for cross_entropy
        assert page.evaluate(CONTROL, ["target-class", "2"]) == "2"
        one_hot = page.evaluate(STATE)
        page.evaluate(SLIDE, ["t2", 0.4])  # from (0, 1, 0): the rest shared equally
        shared = page.evaluate(STATE)
        page.evaluate(SLIDE, ["t3", 0.2])  # the others rescaled by (1 - 0.2) / 0.6
        rescaled = page.evaluate(STATE)
        for _ in range(3):
            page.evaluate(CONTROL, ["step", None])
        stepped = page.evaluate(STATE)
        before = page.evaluate(STATE)
        page.evaluate("() => window.backpropExplorers[0].act('t', [0.5, 0.7, 0])")
        refused = page.evaluate(STATE)
    finally:
        page.close()
    assert one_hot["message"] == "" and one_hot["t"] == [0, 1, 0]
    np.testing.assert_allclose(one_hot["E"], library_loss(widget, [0, 1, 0]), rtol=1e-12)
    assert shared["message"] == ""
    np.testing.assert_allclose(shared["t"], [0.3, 0.4, 0.3], rtol=1e-12)
    assert rescaled["message"] == ""
    np.testing.assert_allclose(rescaled["t"], [0.8 * 0.3 / 0.7, 0.8 * 0.4 / 0.7, 0.2], rtol=1e-12)
    assert abs(sum(rescaled["t"]) - 1) < 1e-12
    np.testing.assert_allclose(rescaled["E"], library_loss(widget, rescaled["t"]), rtol=1e-12)
    # three steps on the new target: the library replays them
    assert stepped["message"] == "" and stepped["steps"] == 3
    widget.set_state({k: stepped[k] for k in ("W", "b", "t", "anchor_W", "anchor_b")})
    widget.set_state({"steps": 3, "steps_since_edit": 3, "curve": stepped["curve"]})
    assert widget.verify() == 3
    # a row that is not a probability vector: the library's refusal, nothing changed
    assert "probability vectors for cross_entropy" in refused["message"]
    for key in ("W", "b", "t", "steps", "E"):
        assert refused[key] == before[key], key
    widget.close()


def test_the_class_menu_is_there_only_for_cross_entropy(browser):
    widget = ExplorerWidget()  # sigmoid + squared_error
    page = open_widget(browser, widget)
    try:
        has_menu = """() => window.backpropExplorers[0].el.querySelector(
            '[data-control="target-class"]') !== null"""
        shown = page.evaluate(has_menu)
        page.evaluate(SLIDE, ["t1", -0.5])  # squared error: any real target, uncoupled
        state = page.evaluate(STATE)
        page.evaluate(SLIDE, ["t1", 1])
        page.evaluate(CONTROL, ["loss", "cross_entropy"])  # t = (1, 0): valid
        shown_ce = page.evaluate(has_menu)
        page.evaluate(CONTROL, ["loss", "squared_error"])
        shown_again = page.evaluate(has_menu)
    finally:
        page.close()
    # not a hidden control: absent unless the loss is cross_entropy
    assert (shown, shown_ce, shown_again) == (False, True, False)
    assert state["message"] == "" and state["t"] == [-0.5, 0]
    widget.close()


# -- weight-update explorer: the loss curve, the value slider, the labels --------------------


def test_a_new_loss_starts_a_new_curve(browser):
    widget = ExplorerWidget()  # sigmoid + squared_error, t = (1, 0)
    page = open_widget(browser, widget)
    try:
        for _ in range(3):
            page.evaluate(CONTROL, ["step", None])
        old = page.evaluate(STATE)
        page.evaluate(CONTROL, ["loss", "binary_cross_entropy"])
        new = page.evaluate(STATE)
        page.evaluate(CONTROL, ["step", None])
        after = page.evaluate(STATE)
        label = page.evaluate(
            """() => Array.from(window.backpropExplorers[0].el.querySelectorAll(
            ".bp-curve text")).map((t) => t.textContent).join(" | ")"""
        )
    finally:
        page.close()
    assert len(old["curve"]) == 4 and new["message"] == ""
    widget.set_state({k: new[k] for k in ("W", "b")})
    widget.set_state({"loss": "binary_cross_entropy"})
    E = library_loss(widget, new["t"])
    assert new["curve"] == [[3, pytest.approx(E, rel=1e-12)]]
    assert [k for k, _ in after["curve"]] == [3, 4]
    assert "step (3 to 4), binary_cross_entropy" in label
    widget.close()


def test_a_loss_changed_from_python_starts_a_new_curve():
    widget = ExplorerWidget()
    widget.loss = "binary_cross_entropy"
    E = library_loss(widget, widget.t)
    assert widget.curve == [[0, pytest.approx(E, rel=1e-12)]]
    widget.close()


def test_the_value_slider_follows_the_parameter(browser):
    widget = ExplorerWidget(activations=("linear", "linear"))
    page = open_widget(browser, widget)
    key = widget.parameter
    read = """() => { const s = window.backpropExplorers[0].el.querySelector(
        '[data-control="value"]'); return [Number(s.min), Number(s.max), Number(s.value)]; }"""
    try:
        small = page.evaluate(read)
        page.evaluate(f"() => window.backpropExplorers[0].act('value', ['{key}', -56])")
        big = page.evaluate(read)
        state = page.evaluate(STATE)
        page.evaluate(f"() => window.backpropExplorers[0].act('value', ['{key}', 0.5])")
        page.evaluate(CONTROL, ["step", None])
        back = page.evaluate(read)
    finally:
        page.close()
    assert small[:2] == [-4, 4]
    assert state["message"] == ""
    # −56 is inside the range with room on both sides: not pinned to an end
    assert big[0] < -56 < big[1] and big[0] <= -100 and big[1] >= 100
    assert big[2] == pytest.approx(-56, abs=(big[1] - big[0]) / 400)
    assert back[:2] == [-4, 4]  # a small value again: the range shrinks back
    widget.close()


TEXT_SIZES = """() => {
  const el = window.backpropExplorers[0].el;
  return Array.from(el.querySelectorAll(".bp-net, .bp-curve")).flatMap((svg) => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return Array.from(svg.querySelectorAll("text")).map((t) =>
      [t.textContent, parseFloat(getComputedStyle(t).fontSize) * scale]);
  });
}"""

UNIT_FIT = """() => {
  const svg = window.backpropExplorers[0].el.querySelector(".bp-net");
  const circles = Array.from(svg.querySelectorAll("circle"));
  return Array.from(svg.querySelectorAll("text.bp-unit")).map((t, k) =>
    [t.textContent, t.getBBox().width, 2 * Number(circles[k].getAttribute("r"))]);
}"""


def test_the_networks_labels_are_readable_and_numbers_stay_inside_their_units(browser):
    widget = ExplorerWidget(sizes=(2, 3, 2), activations=("linear", "linear"))
    page = open_widget(browser, widget)
    try:
        page.evaluate("() => window.backpropExplorers[0].act('value', ['w,1,1,1', -56.789])")
        page.evaluate("() => window.backpropExplorers[0].act('value', ['w,2,1,1', 1234.5])")
        state = page.evaluate(STATE)
        sizes = page.evaluate(TEXT_SIZES)
        fits = page.evaluate(UNIT_FIT)
    finally:
        page.close()
    assert state["message"] == ""
    assert max(abs(v) for v in state["o"][1]) > 1000  # a long number is drawn
    assert sizes and all(size >= 10 for _, size in sizes), [s for s in sizes if s[1] < 10]
    assert len(fits) == 2 + 3 + 2
    assert all(width <= diameter for _, width, diameter in fits), fits
    widget.close()


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


def test_the_network_its_numbers_and_step_fit_on_one_screen(browser):
    # the book's 2-2-2 network and a 2-5-5-3 one with Adam's state table, in a 740 px column
    for options in (
        {},
        {
            "sizes": (2, 5, 5, 3),
            "activations": ("tanh", "relu", "softmax"),
            "loss": "cross_entropy",
            "t": (0, 1, 0),
        },
    ):
        widget = ExplorerWidget(**options)
        page = open_widget(browser, widget)
        try:
            page.evaluate(CONTROL, ["optimizer", "adam"])
            top, bottom = page.evaluate(
                """() => { const el = window.backpropExplorers[0].el;
                const r = (q) => el.querySelector(q).getBoundingClientRect();
                return [r(".bp-net").top, Math.max(r('[data-control="reset"]').bottom,
                        r(".bp-numbers").bottom)]; }"""
            )
        finally:
            page.close()
        # 800 px minus ~100 px of the book's header and margins
        assert bottom - top <= 700, (options, top, bottom)
        widget.close()


def test_the_python_model_starts_a_new_curve_for_a_new_loss():
    from backprop_lib.widgets.explorer import ExplorerModel

    model = ExplorerModel()  # sigmoid + squared_error
    model.step()
    model.step()
    model.set_activation(2, "sigmoid")  # same loss: the curve goes on
    assert len(model.curve) == 3
    model.set_loss("binary_cross_entropy")
    net = Network(
        [Dense.from_arrays(layer.W, layer.b, "sigmoid") for layer in model.net.layers],
        "binary_cross_entropy",
    )
    E = net.loss(model.X, model.T)
    assert model.curve == [(2, pytest.approx(E, rel=1e-12))]


def test_a_one_point_curve_at_a_huge_loss_is_drawn(browser):
    # E + 1 === E above 2**53: the flat curve's span must not be 0 (NaN points before)
    widget = ExplorerWidget()
    page = browser.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        state = {k: v for k, v in widget.get_state().items() if not k.startswith("_")}
        state["curve"] = [[0, 1e20]]
        page.evaluate(HARNESS, [widget._esm, state])
        points = page.evaluate(
            """() => window.backpropExplorers[0].el.querySelector(".bp-curve polyline")
            .getAttribute("points")"""
        )
    finally:
        page.close()
    assert errors == []
    assert all(np.isfinite(float(v)) for pt in points.split() for v in pt.split(","))
    widget.close()
