r"""The weight-update explorer on the static site, driven in chromium with no network.

The page ``book/weight-updates.html`` holds an ``ExplorerWidget`` (an anywidget) saved at
build time. The test presses its buttons and moves its sliders and menus through the DOM
(``data-control`` attributes), exactly as a reader does, and reads the numbers the page
computed from the documented hook ``window.backpropExplorers[k].state()``. Expected values
come from ``backprop_lib`` itself: the seeded start weights of ``ExplorerModel``, then
``Network.backward`` and ``Network.step`` for as many steps as were pressed, and the
library's ``ValueError`` message for each refused pair.

Covered: at least 50 random settings (every valid activation/loss pair, random hidden
activations, inputs, targets, rates and hand-set parameter values), 1 to 6 Steps each after
a Reset, Play and Pause, every invalid pair refused (message, control set back, nothing
changed), refused targets, and exercise 7.1's diverging run (the page refuses the same step
as the library and keeps its weights; its first 3 steps agree at ``rtol=1e-12``, but a
diverging run amplifies rounding, so the weights at step 256 are not compared).
Tolerance: ``rtol=1e-12`` plus ``1e-14`` times the array's largest entry (entries that
cancel to near 0), as ``tests/widgets/test_explorer_live.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from book_paths import open_widget_page

from backprop_lib import Dense, Network
from backprop_lib.activations import ACTIVATION_NAMES
from backprop_lib.losses import LOSS_NAMES
from backprop_lib.pairs import VALID_PAIRS
from backprop_lib.widgets.explorer import ExplorerModel

pytestmark = [pytest.mark.book, pytest.mark.browser]

PAGE = "book/weight-updates.html"
N_SETTINGS = 56  # four per valid pair


STATE = "(k) => window.backpropExplorers[k].state()"

# Set controls through the DOM, as a reader does: a range input gets a value and an "input"
# event, a select a value and a "change" event, a button a click.
CONTROL = """([k, name, value]) => {
    const el = window.backpropExplorers[k].el.querySelector(`[data-control="${name}"]`);
    if (el === null) throw new Error("no control " + name);
    if (el.tagName === "BUTTON") { el.click(); return null; }
    el.value = String(value);
    el.dispatchEvent(new Event(el.tagName === "SELECT" ? "change" : "input", {bubbles: true}));
    return el.value;
}"""

# Several range inputs at once (the targets or inputs), then one event: the explorer reads
# all of them on an event.
SLIDERS = """([k, names, values]) => {
    const root = window.backpropExplorers[k].el;
    const els = names.map((n) => root.querySelector(`[data-control="${n}"]`));
    els.forEach((el, i) => { el.value = String(values[i]); });
    els[els.length - 1].dispatchEvent(new Event("input", {bubbles: true}));
}"""

SELECTED = """([k, name]) =>
    window.backpropExplorers[k].el.querySelector(`[data-control="${name}"]`).value"""

MESSAGE = """(k) => window.backpropExplorers[k].el.querySelector(".bp-message").textContent"""


def assert_close(got, want, what):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    np.testing.assert_allclose(
        got, want, rtol=1e-12, atol=1e-14 * max(1.0, np.abs(want).max()), err_msg=what
    )


def library_run(start, state, steps):
    r"""backprop_lib from ``start`` (``[(W, b), ...]``) with the page's settings: ``steps``
    times ``Network.backward`` then ``Network.step``; returns the network after a last
    ``backward`` (so its layers hold s, o, delta at the final weights)."""
    layers = [
        Dense.from_arrays(W, b, name)
        for (W, b), name in zip(start, state["activations"], strict=True)
    ]
    net = Network(layers, state["loss"])
    X, T = np.array([state["x"]]), np.array([state["t"]])
    for _ in range(steps):
        net.backward(X, T)
        net.step(state["lr"])
    net.backward(X, T)
    return net


def library_step_is_finite(net, state) -> bool:
    r"""Whether one more library step from ``net`` gives finite weights and a finite loss."""
    X, T = np.array([state["x"]]), np.array([state["t"]])
    try:
        with np.errstate(all="ignore"):
            net.backward(X, T)
            net.step(state["lr"])
            parameters = np.concatenate([np.r_[W.ravel(), b] for W, b in net.parameters()])
            if not np.isfinite(parameters).all():
                return False
            net.backward(X, T)
            last = net.layers[-1]
            return bool(
                np.isfinite(last.delta).all()
                and np.isfinite(last.o).all()
                and np.isfinite(net.loss(X, T))
            )
    except (FloatingPointError, ValueError):  # the library refuses: the loss overflowed
        return False


def assert_state_is_library(state, net, where):
    X, T = np.array([state["x"]]), np.array([state["t"]])
    for k, layer in enumerate(net.layers):
        assert_close(state["W"][k], layer.W, f"W^{k + 1}, {where}")
        assert_close(state["b"][k], layer.b, f"b^{k + 1}, {where}")
        for name in ("s", "o", "delta"):
            assert_close(state[name][k], getattr(layer, name)[0], f"{name}^{k + 1}, {where}")
        assert_close(state["dW"][k], layer.dW, f"dW^{k + 1}, {where}")
    assert_close(state["E"], net.loss(X, T), f"E, {where}")


def refusal_message(activations, loss) -> str:
    r"""The library's message for a network with these activations and this loss."""
    model = ExplorerModel()
    layers = [
        Dense.from_arrays(W, b, a) for (W, b), a in zip(model.start, activations, strict=True)
    ]
    with pytest.raises(ValueError) as err:
        Network(layers, loss)
    return str(err.value)


def targets_for(loss, rng, n):
    """Targets the loss accepts, on the sliders' grid (multiples of 0.05 in [-1, 1])."""
    if loss == "cross_entropy":
        p = round(float(rng.integers(0, 21)) * 0.05, 2)
        return [p, round(1.0 - p, 2)][:n]
    if loss == "binary_cross_entropy":
        return [round(float(v) * 0.05, 2) for v in rng.integers(0, 21, n)]
    return [round(float(v) * 0.05, 2) for v in rng.integers(-20, 21, n)]


@pytest.fixture
def explorer_page(site_server, offline_page):
    return open_widget_page(offline_page, site_server + PAGE, "backpropExplorers", "explorer")


def test_random_settings_equal_the_library(explorer_page):
    page = explorer_page.page
    rng = np.random.default_rng(12)
    start = ExplorerModel().start  # the seeded start weights the page was built with
    first = page.evaluate(STATE, 0)
    for k, (W, b) in enumerate(start):
        np.testing.assert_array_equal(first["W"][k], W)
        np.testing.assert_array_equal(first["b"][k], b)
    pairs = sorted(VALID_PAIRS)
    covered, checked, overflowed = set(), 0, 0
    for n in range(N_SETTINGS):
        act, loss = pairs[n % len(pairs)]
        hidden = str(rng.choice(ACTIVATION_NAMES))
        where = f"setting {n}: {hidden}, {act}, {loss}"
        page.evaluate(CONTROL, [0, "loss", "squared_error"])  # valid after anything
        page.evaluate(CONTROL, [0, "activation1", hidden])
        page.evaluate(CONTROL, [0, "activation2", act])
        page.evaluate(SLIDERS, [0, ["t1", "t2"], targets_for(loss, rng, 2)])
        page.evaluate(CONTROL, [0, "loss", loss])
        x = [round(float(v) * 0.05, 2) for v in rng.integers(-40, 41, 2)]
        page.evaluate(SLIDERS, [0, ["x1", "x2"], x])
        page.evaluate(CONTROL, [0, "lr", int(rng.integers(0, 15))])  # 0.001 to 3
        page.evaluate(CONTROL, [0, "reset", None])
        begin = page.evaluate(STATE, 0)
        assert begin["message"] == "", f"{where}: refused: {begin['message']}"
        assert (begin["activations"], begin["loss"]) == ([hidden, act], loss), where
        assert begin["steps"] == 0 and len(begin["curve"]) == 1, where
        weights = [(np.array(W), np.array(b)) for W, b in zip(begin["W"], begin["b"], strict=True)]
        if n % 4 == 3:  # a parameter set by hand with the value slider
            page.evaluate(CONTROL, [0, "parameter", "w,1,2,1"])
            page.evaluate(CONTROL, [0, "value", round(float(rng.integers(-300, 301)) * 0.01, 2)])
            edited = page.evaluate(STATE, 0)
            assert edited["message"] == "", where
            weights = [
                (np.array(W), np.array(b)) for W, b in zip(edited["W"], edited["b"], strict=True)
            ]
            assert edited["W"][0][0][1] == float(page.evaluate(SELECTED, [0, "value"]))
        steps = int(rng.integers(1, 7))
        for _ in range(steps):
            page.evaluate(CONTROL, [0, "step", None])
        state = page.evaluate(STATE, 0)
        if state["message"]:  # a step overflowed: the library's next step must not be finite
            assert "overflowed" in state["message"], f"{where}: {state['message']}"
            good = state["steps"]
            assert good < steps, where
            assert not library_step_is_finite(library_run(weights, state, good), state), where
            overflowed += 1
        else:
            good = steps
        assert state["steps"] == good, where
        assert_state_is_library(state, library_run(weights, state, good), where)
        # the shown rate is the rate used
        assert page.evaluate(
            "(k) => window.backpropExplorers[k].el.querySelector("
            "'[data-control=\"lr\"]').parentElement.querySelector("
            "'output').textContent",
            0,
        ) == str(state["lr"]), where
        covered.add((act, loss))
        checked += 1
    assert covered == set(VALID_PAIRS)
    assert checked >= 50 and overflowed <= 5
    assert explorer_page.problems() == []


def test_reset_and_play_pause(explorer_page):
    page = explorer_page.page
    page.evaluate(CONTROL, [0, "reset", None])
    for _ in range(3):
        page.evaluate(CONTROL, [0, "step", None])
    page.evaluate(CONTROL, [0, "reset", None])
    state = page.evaluate(STATE, 0)
    start = ExplorerModel().start
    assert state["steps"] == 0 and len(state["curve"]) == 1
    assert_state_is_library(state, library_run(start, state, 0), "after Reset")
    page.evaluate(CONTROL, [0, "play", None])
    page.wait_for_function("() => window.backpropExplorers[0].state().steps >= 2", timeout=20000)
    page.evaluate(CONTROL, [0, "play", None])  # now Pause
    paused = page.evaluate(STATE, 0)
    assert not paused["playing"]
    page.wait_for_timeout(1000)  # Play steps every 300 ms: a running timer would step again
    later = page.evaluate(STATE, 0)
    assert later["steps"] == paused["steps"] >= 2
    assert_state_is_library(later, library_run(start, later, later["steps"]), "after Play")
    assert explorer_page.problems() == []


NUMBERS = """(k) => Array.from(
    window.backpropExplorers[k].el.querySelectorAll(".bp-numbers tr")).slice(1).map(
    (row) => Array.from(row.querySelectorAll("td")).map((cell) => cell.textContent))"""


def test_the_numbers_table_shows_the_pictures_values(explorer_page):
    page = explorer_page.page
    page.evaluate(CONTROL, [0, "reset", None])
    for _ in range(2):
        page.evaluate(CONTROL, [0, "step", None])
    state = page.evaluate(STATE, 0)
    net = library_run(ExplorerModel().start, state, state["steps"])
    rows = page.evaluate(NUMBERS, 0)
    assert len(rows) == len(net.layers) + 1  # the input, then one row per layer

    def numbers(text):
        return [float(v.replace("\u2212", "-")) for v in text.split(", ")]

    # four significant digits, as shown
    np.testing.assert_allclose(numbers(rows[0][0]), state["x"], rtol=5e-4)
    assert rows[0][1] == "\u2013"
    for (o_text, delta_text), layer in zip(rows[1:], net.layers, strict=True):
        np.testing.assert_allclose(numbers(o_text), layer.o[0], rtol=5e-4, atol=1e-12)
        np.testing.assert_allclose(numbers(delta_text), layer.delta[0], rtol=5e-4, atol=1e-12)
    assert explorer_page.problems() == []


def test_refused_pairs_change_nothing(explorer_page):
    page = explorer_page.page
    page.evaluate(CONTROL, [0, "loss", "squared_error"])
    page.evaluate(CONTROL, [0, "activation1", "sigmoid"])
    page.evaluate(SLIDERS, [0, ["t1", "t2"], [1.0, 0.0]])
    page.evaluate(CONTROL, [0, "reset", None])
    page.evaluate(CONTROL, [0, "step", None])
    refused = 0
    for act in ACTIVATION_NAMES:
        page.evaluate(CONTROL, [0, "activation2", act])
        for loss in LOSS_NAMES:
            if (act, loss) in VALID_PAIRS:
                continue
            before = page.evaluate(STATE, 0)
            page.evaluate(CONTROL, [0, "loss", loss])
            after = page.evaluate(STATE, 0)
            want = refusal_message(["sigmoid", act], loss)
            assert after["message"] == want, (act, loss)
            assert page.evaluate(MESSAGE, 0) == f"Refused: {want}"
            assert page.evaluate(SELECTED, [0, "loss"]) == "squared_error"  # set back
            for key in ("W", "b", "loss", "activations", "steps", "curve", "E"):
                assert after[key] == before[key], (act, loss, key)
            refused += 1
    assert refused == len(ACTIVATION_NAMES) * len(LOSS_NAMES) - len(VALID_PAIRS)
    # still usable: a step after the refusals is the library's step
    page.evaluate(CONTROL, [0, "activation2", "sigmoid"])
    page.evaluate(CONTROL, [0, "step", None])
    state = page.evaluate(STATE, 0)
    assert state["message"] == ""
    assert_state_is_library(
        state,
        library_run(
            [
                (np.array(W), np.array(b))
                for W, b in zip(state["anchor_W"], state["anchor_b"], strict=True)
            ],
            state,
            1,
        ),
        "after refusals",
    )
    assert explorer_page.problems() == []


def test_refused_targets_and_overflow(explorer_page):
    page = explorer_page.page
    page.evaluate(CONTROL, [0, "activation2", "sigmoid"])
    page.evaluate(CONTROL, [0, "loss", "binary_cross_entropy"])
    before = page.evaluate(STATE, 0)
    # the t sliders span [0, 1] for binary_cross_entropy: −0.5 is not offered (the browser
    # clamps it to 0, a valid target)
    assert (
        page.evaluate(
            """() => window.backpropExplorers[0].el.querySelector('[data-control="t1"]').min"""
        )
        == "0"
    )
    # a row set directly (the test hook, as Python could) is refused, nothing changed
    page.evaluate("() => window.backpropExplorers[0].act('t', [-0.5, 0.0])")
    after = page.evaluate(STATE, 0)
    assert "must lie in [0, 1] for binary_cross_entropy" in after["message"]
    assert after["t"] == before["t"]
    assert float(page.evaluate(SELECTED, [0, "t1"])) == before["t"][0]  # set back
    model = ExplorerModel(loss="squared_error")
    model.set_loss("binary_cross_entropy")
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        model.set_targets([-0.5, 0.0])  # the library refuses the same targets
    # exercise 7.1: a linear output, t = (0.8, 0.2), eta = 5 diverges; the page refuses the
    # step that overflows at the same step as the library's ExplorerModel, keeps the weights
    page.evaluate(CONTROL, [0, "loss", "squared_error"])
    page.evaluate(CONTROL, [0, "activation1", "sigmoid"])
    page.evaluate(CONTROL, [0, "activation2", "linear"])
    page.evaluate(SLIDERS, [0, ["x1", "x2"], [1.0, 0.5]])
    page.evaluate(SLIDERS, [0, ["t1", "t2"], [0.8, 0.2]])
    page.evaluate(CONTROL, [0, "lr", 15])
    page.evaluate(CONTROL, [0, "reset", None])
    start = page.evaluate(STATE, 0)
    assert start["lr"] == 5 and start["t"] == [0.8, 0.2] and start["message"] == ""
    for _ in range(3):  # while the run is still tame, the numbers are the library's
        page.evaluate(CONTROL, [0, "step", None])
    early = page.evaluate(STATE, 0)
    assert_state_is_library(early, library_run(ExplorerModel().start, early, 3), "3 steps, eta 5")
    presses = page.evaluate("""() => {
        const h = window.backpropExplorers[0];
        const step = h.el.querySelector('[data-control="step"]');
        for (let k = 1; k <= 1000; k++) {
            step.click();
            if (h.state().message) return k;
        }
        return null;
    }""")
    state = page.evaluate(STATE, 0)
    model = ExplorerModel(activations=("sigmoid", "linear"), t=(0.8, 0.2), lr=5.0)
    with pytest.raises(FloatingPointError):
        model.step(1000)
    assert "overflowed" in state["message"]
    assert state["steps"] == model.steps == presses + 2  # 3 steps above, presses - 1 here
    # A diverging run multiplies rounding differences at every step: after 256 of them the
    # page's weights and the library's no longer agree (seen: W^1 within 5 %, W^2 not even
    # in sign), so only the refused step is compared. The first 3 steps agree to 1e-12.
    page.evaluate(CONTROL, [0, "step", None])
    again = page.evaluate(STATE, 0)
    assert again["W"] == state["W"] and again["steps"] == state["steps"]
    assert explorer_page.problems() == []
