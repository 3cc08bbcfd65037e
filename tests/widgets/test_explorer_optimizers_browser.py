r"""The explorer's optimizer choice (issue 23) in chromium, without building the book.

The widget's ES module (``engine.js`` + ``explorer.js``, as ``ExplorerWidget._esm``) is
imported into a blank page and rendered on a stand-in for the anywidget model holding the
widget's state (no kernel, as on the static site). The test chooses the rule through the
``optimizer`` menu and presses Step through the DOM, then compares what the page computed
(``window.backpropExplorers[0].state()``) with ``Network.fit(..., optimizer=...)`` of the
library: the weights and the optimizer state (velocity; first and second moments) after
each run, over random settings. It also hands the page's state to the Python widget, whose
``verify`` must accept it, and checks the state table shown beside every parameter.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import random_target

from backprop_lib import Dense, Network
from backprop_lib.activations import ACTIVATION_NAMES
from backprop_lib.pairs import VALID_PAIRS
from backprop_lib.widgets.explorer import ExplorerWidget
from backprop_lib.widgets.explorer.live import STATE_NAMES, library_optimizer

pytestmark = pytest.mark.browser


# A stand-in for the anywidget model: get/set/on/off, and save_changes failing as with no
# kernel. Then the module is imported from a Blob URL and rendered into #root.
HARNESS = """async ([esm, state]) => {
  const data = state;
  const handlers = {};
  const model = {
    get: (k) => data[k],
    set: (k, v) => { data[k] = v; (handlers["change:" + k] || []).forEach((f) => f()); },
    on: (e, f) => { (handlers[e] = handlers[e] || []).push(f); },
    off: () => {},
    save_changes: () => { throw new Error("no kernel"); },
  };
  const url = URL.createObjectURL(new Blob([esm], { type: "text/javascript" }));
  const module = await import(url);
  const el = document.createElement("div");
  document.body.append(el);
  module.default.render({ model, el });
  return window.backpropExplorers.length;
}"""

CONTROL = """([name, value]) => {
    const el = window.backpropExplorers[0].el.querySelector(`[data-control="${name}"]`);
    if (el === null) throw new Error("no control " + name);
    if (el.tagName === "BUTTON") { el.click(); return null; }
    el.value = String(value);
    el.dispatchEvent(new Event("change", {bubbles: true}));
    return el.value;
}"""

STATE_ROWS = """() => Array.from(window.backpropExplorers[0].el.querySelectorAll(
    ".bp-state tr[data-parameter]")).map((tr) => [tr.dataset.parameter,
    Array.from(tr.querySelectorAll("td")).map((td) => td.textContent)])"""


def assert_close(got, want, what):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    np.testing.assert_allclose(
        got, want, rtol=1e-12, atol=1e-14 * max(1.0, np.abs(want).max()), err_msg=what
    )


def settings(rng, k):
    """Random explorer settings: every valid pair in turn, 2-2-2 or 2-5-5-3 networks."""
    pairs = sorted(VALID_PAIRS)
    act, loss = pairs[k % len(pairs)]
    sizes = (2, 2, 2) if k % 2 == 0 else (2, 5, 5, 3)
    acts = tuple(str(rng.choice(ACTIVATION_NAMES)) for _ in sizes[1:-1]) + (act,)
    if any(a == "softmax" for a in acts[:-1]):
        acts = tuple("tanh" if a == "softmax" else a for a in acts[:-1]) + (act,)
    t = random_target(loss, sizes[-1], rng)
    return {
        "sizes": sizes,
        "activations": acts,
        "loss": loss,
        "x": tuple(rng.uniform(-2, 2, 2)),
        "t": tuple(t),
        "lr": float(rng.choice([0.01, 0.05, 0.1, 0.2])),
        "seed": k,
    }


def open_explorer(browser, widget):
    page = browser.new_page()
    state = {k: v for k, v in widget.get_state().items() if not k.startswith("_")}
    json.dumps(state)  # plain JSON, as the saved widget state
    assert page.evaluate(HARNESS, [widget._esm, state]) == 1
    return page


def test_the_page_steps_every_rule_as_the_library(browser):
    rng = np.random.default_rng(23)
    rules = ["momentum", "adam", "sgd"]
    for k in range(18):
        options = settings(rng, k)
        widget = ExplorerWidget(**options)
        page = open_explorer(browser, widget)
        try:
            rule, steps = rules[k % 3], int(rng.integers(2, 6))
            assert page.evaluate(CONTROL, ["optimizer", rule]) == rule
            for _ in range(steps):
                page.evaluate(CONTROL, ["step", None])
            got = page.evaluate("() => window.backpropExplorers[0].state()")
            rows = page.evaluate(STATE_ROWS)
        finally:
            page.close()
        where = f"{rule} after {steps} steps, {options}"
        assert got["message"] == "" and got["steps"] == steps and got["optimizer"] == rule
        # the library from the same seeded weights
        layers = [
            Dense.from_arrays(np.array(s["W"]), np.array(s["b"]), a)
            for s, a in zip(widget.start, options["activations"], strict=True)
        ]
        net = Network(layers, options["loss"])
        opt = library_optimizer(rule, options["lr"])
        X, T = np.array([options["x"]]), np.array([options["t"]])
        net.fit(X, T, epochs=steps, batch_size=1, optimizer=opt, rng=0)
        for i, layer in enumerate(net.layers):
            assert_close(got["W"][i], layer.W, f"W^{i + 1}, {where}")
            assert_close(got["b"][i], layer.b, f"b^{i + 1}, {where}")
            for js, lib in STATE_NAMES[rule].items():
                assert_close(got["optimizer_state"]["W"][js][i], opt.state[2 * i][lib], where)
                assert_close(got["optimizer_state"]["b"][js][i], opt.state[2 * i + 1][lib], where)
        assert got["optimizer_state"]["t"] == (steps if rule != "sgd" else 0)
        # the table beside the parameters: one row per weight and bias, one column per state
        n_parameters = sum(layer.n_parameters for layer in net.layers)
        if rule == "sgd":
            assert rows == []
        else:
            assert len(rows) == n_parameters
            assert all(len(cells) == 2 + len(STATE_NAMES[rule]) for _, cells in rows)
        # the Python widget accepts the page's numbers, and catches a wrong state
        widget.set_state({key: got[key] for key in ("W", "b", "optimizer", "optimizer_state")})
        widget.set_state({"steps": steps, "steps_since_edit": steps, "curve": got["curve"]})
        assert widget.verify() == steps
        if rule != "sgd":
            wrong = json.loads(json.dumps(got["optimizer_state"]))
            key = next(iter(STATE_NAMES[rule]))
            wrong["b"][key][-1][0] *= 1 + 1e-9
            widget.set_state({"optimizer_state": wrong})
            with pytest.raises(AssertionError, match="differs from backprop_lib's"):
                widget.verify()
        widget.close()


def test_an_unknown_rule_is_refused_and_changes_nothing(browser):
    widget = ExplorerWidget()
    page = open_explorer(browser, widget)
    try:
        before = page.evaluate("() => window.backpropExplorers[0].state()")
        page.evaluate("() => window.backpropExplorers[0].act('optimizer', 'lbfgs')")
        after = page.evaluate("() => window.backpropExplorers[0].state()")
    finally:
        page.close()
    assert "optimizer must be one of sgd, momentum, adam; got lbfgs" in after["message"]
    for key in ("W", "b", "optimizer", "optimizer_state", "steps"):
        assert after[key] == before[key], key
    widget.close()


# -- the paths view (paths.js, PathsWidget) ----------------------------------------------------

PATHS_HARNESS = HARNESS.replace(
    "window.backpropExplorers.length", "window.backpropPathViews.length"
)


def test_the_paths_view_draws_the_librarys_paths_and_its_sliders_move_them(browser):
    from backprop_lib.widgets.explorer.paths_live import RATE_CHOICES, PathsWidget

    data = np.random.default_rng(0)
    x = data.normal(2.0, 0.5, size=50)
    t = 1.5 * x - 1.0 + 0.1 * data.normal(size=50)
    widget = PathsWidget(x, t, steps=12)
    page = browser.new_page()
    try:
        state = {k: v for k, v in widget.get_state().items() if not k.startswith("_")}
        assert page.evaluate(PATHS_HARNESS, [widget._esm, state]) == 1
        got = [page.evaluate("() => window.backpropPathViews[0].state()")]
        for name, lr in (("momentum", 0.05), ("adam", 0.1), ("sgd", 0.3)):
            k = RATE_CHOICES.index(lr)
            control = f'[data-control="rate-{name}"]'
            page.evaluate(
                """([sel, k]) => { const el = window.backpropPathViews[0].el.querySelector(sel);
                el.value = String(k); el.dispatchEvent(new Event("input", {bubbles: true})); }""",
                [control, k],
            )
            got.append(page.evaluate("() => window.backpropPathViews[0].state()"))
        n_paths = page.evaluate("() => document.querySelectorAll('polyline[data-path]').length")
    finally:
        page.close()
    assert n_paths == 3
    for state in got:
        widget.rates = state["rates"]
        for name, path in widget.paths().items():
            assert_close(state["paths"][name], path, f"the {name} path at {state['rates']}")
    assert got[-1]["rates"] == {"sgd": 0.3, "momentum": 0.05, "adam": 0.1}
    assert got[0]["paths"]["adam"] != got[-1]["paths"]["adam"]  # the slider moved it
    widget.close()
