r"""The in-browser weight-update explorer (``backprop_lib.widgets.explorer.live``), without a
browser.

- The widget's state: the start weights are those ``Network.from_sizes`` draws with the same
  seed; the refusal reasons are the library's messages (``check_pair``, ``Dense``).
- ``verify`` replays steps with the library and fails when the browser's numbers are wrong.
- The JavaScript engine (``engine.js``) run by node on random settings covering every valid
  pair, against ``Network.backward``/``Network.step`` of the library.

The browser itself (the page's controls, the DOM, the saved widget state on the static site)
is tested in ``tests/book/test_explorer_browser.py``.
"""

from __future__ import annotations

import json
import subprocess

import ipywidgets as widgets
import numpy as np
import pytest
from helpers import REPO_ROOT, random_target

from backprop_lib import Dense, Network, check_pair
from backprop_lib.activations import ACTIVATION_NAMES
from backprop_lib.losses import LOSS_NAMES
from backprop_lib.pairs import VALID_PAIRS
from backprop_lib.widgets.explorer import ExplorerModel, ExplorerWidget, Parameter
from backprop_lib.widgets.explorer.live import esm_source
from backprop_lib.widgets.explorer.tables import engine_source

ENGINE = REPO_ROOT / "backprop_lib/widgets/explorer/engine.js"


def engine_module(tmp_path) -> str:
    """The engine as the browser gets it (its tables printed from the sympy side, then
    ``engine.js``), written to a module file: its URL as a JavaScript string literal."""
    path = tmp_path / "engine.mjs"
    path.write_text(engine_source(), encoding="utf-8")
    return json.dumps(path.as_uri())


@pytest.fixture(autouse=True)
def _close_widgets():
    yield
    widgets.Widget.close_all()


def test_start_weights_are_the_seeded_networks():
    w = ExplorerWidget(
        sizes=(2, 5, 5, 3),
        activations=("tanh", "relu", "softmax"),
        loss="cross_entropy",
        x=(0.5, -1.0),
        t=(0.0, 1.0, 0.0),
        seed=3,
    )
    reference = Network.from_sizes(
        [2, 5, 5, 3], ["tanh", "relu", "softmax"], "cross_entropy", np.random.default_rng(3)
    )
    for layer, start, W, b in zip(reference.layers, w.start, w.W, w.b, strict=True):
        np.testing.assert_array_equal(np.array(start["W"]), layer.W)
        np.testing.assert_array_equal(np.array(start["b"]), layer.b)
        np.testing.assert_array_equal(np.array(W), layer.W)
        np.testing.assert_array_equal(np.array(b), layer.b)
    assert w.curve == [
        [0, pytest.approx(reference.loss([[0.5, -1.0]], [[0.0, 1.0, 0.0]]), rel=1e-15)]
    ]


def test_refusals_are_the_librarys_messages():
    w = ExplorerWidget()
    pair = w.refusals["pair"]
    for act in ACTIVATION_NAMES:
        for loss in LOSS_NAMES:
            if (act, loss) in VALID_PAIRS:
                assert pair[act][loss] == "", (act, loss)
            else:
                with pytest.raises(ValueError) as err:
                    check_pair(act, loss)
                # the check_pair reason, as the Network constructor reports it
                assert str(err.value).split(": ", 1)[-1] in pair[act][loss], (act, loss)
    assert all(reason == "" for reason in w.refusals["layer"]["1"].values())


def test_softmax_in_a_one_unit_layer_is_refused_with_the_layers_reason():
    w = ExplorerWidget(sizes=(2, 1, 2), activations=("sigmoid", "sigmoid"))
    reason = w.refusals["layer"]["1"]["softmax"]
    assert "softmax" in reason and reason == reason.strip() and len(reason) > 20
    assert w.refusals["layer"]["2"]["softmax"] == ""


def test_verify_replays_the_steps_and_can_fail():
    w = ExplorerWidget(lr=1.5)
    # what the browser does after three Steps, computed here by the library
    net = w.network()
    X, T = np.array([w.x]), np.array([w.t])
    for _ in range(3):
        net.backward(X, T)
        net.step(w.lr)
    # as the page sends it (set_state: what a message from the browser does)
    w.set_state(
        {
            "W": [layer.W.tolist() for layer in net.layers],
            "b": [layer.b.tolist() for layer in net.layers],
            "steps": 3,
            "steps_since_edit": 3,
            "curve": w.curve + [[k, 0.0] for k in (1, 2)] + [[3, net.loss(X, T)]],
        }
    )
    assert w.verify() == 3
    # a browser one ulp-scale step off in one weight is caught
    wrong = [row[:] for row in w.W[1]]
    wrong[0][0] *= 1 + 1e-9
    w.set_state({"W": [w.W[0], wrong]})
    with pytest.raises(AssertionError, match="W\\^2 differs"):
        w.verify()


def test_bad_arguments_are_refused():
    with pytest.raises(TypeError, match="model must be an ExplorerModel"):
        ExplorerWidget("not a model")
    with pytest.raises(TypeError, match="not both"):
        ExplorerWidget(ExplorerModel(), lr=2.0)
    with pytest.raises(ValueError, match="parameter"):
        ExplorerWidget(parameter=Parameter("w", 3, 1, 1))
    with pytest.raises((TypeError, ValueError), match="max_steps"):
        ExplorerWidget(max_steps=0)


def test_the_module_holds_the_engine_and_the_view():
    source = esm_source()
    assert source.startswith(engine_source())
    assert engine_source().endswith(ENGINE.read_text(encoding="utf-8"))
    assert "export default { render }" in source
    for name in ("backward", "step", "outputDelta", "logSumExp", "softplus"):
        assert f"function {name}(" in source


# -- the engine, run by node, against the library ---------------------------------------------

DRIVER = """
import * as E from %s;
import { readFileSync } from "node:fs";
const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
console.log(JSON.stringify(cases.map((c) => {
  let net = { W: c.W, b: c.b, activations: c.activations, loss: c.loss };
  let g = E.backward(net, c.x, c.t);
  for (let k = 0; k < c.steps; k++) {
    const n = E.step(net, g, c.lr);
    net = { ...net, W: n.W, b: n.b };
    g = E.backward(net, c.x, c.t);
  }
  return { W: net.W, b: net.b, s: g.s, o: g.o, delta: g.delta, E: g.loss };
})));
"""


def _stays_finite(net, x, t, lr, steps) -> bool:
    """Whether ``steps`` steps of ``lr`` on a copy of ``net`` keep every number finite."""
    copy = Network([Dense.from_arrays(la.W, la.b, la.activation) for la in net.layers], net.loss_fn)
    X, T = np.array([x]), np.array([t])
    try:
        for _ in range(steps + 1):
            copy.backward(X, T)
            copy.step(lr)
    except FloatingPointError:
        return False
    return True


def random_cases(rng, n):
    """``n`` random settings: every valid output pair in turn, random hidden activations,
    2-2-2 and 2-5-5-3 networks, targets the loss accepts, 1 to 7 steps. A case whose steps
    overflow in the library (a diverging run has no numbers to compare) takes a tenth of its
    learning rate until they do not."""
    pairs = sorted(VALID_PAIRS)
    cases = []
    for k in range(n):
        act, loss = pairs[k % len(pairs)]
        sizes = [2, 2, 2] if k % 2 == 0 else [2, 5, 5, 3]
        acts = [str(rng.choice(ACTIVATION_NAMES)) for _ in sizes[1:-1]] + [act]
        net = Network.from_sizes(sizes, acts, loss, np.random.default_rng(k))
        t = random_target(loss, sizes[-1], rng)
        x = rng.uniform(-2, 2, sizes[0])
        lr, steps = float(10 ** rng.uniform(-2, 0.5)), int(rng.integers(1, 8))
        while not _stays_finite(net, x, t, lr, steps):
            lr /= 10
        cases.append(
            {
                "sizes": sizes,
                "activations": acts,
                "loss": loss,
                "net": net,
                "W": [la.W.tolist() for la in net.layers],
                "b": [la.b.tolist() for la in net.layers],
                "x": x.tolist(),
                "t": t.tolist(),
                "lr": lr,
                "steps": steps,
            }
        )
    return cases


def assert_close(got, want, what):
    r"""``rtol=1e-12``, plus an absolute ``1e-14`` times the array's largest entry (at least
    1): a bias that cancels to 1e-4 after a few steps keeps the rounding of the larger
    numbers it came from (seen: 1.4e-15 on an entry of 1.4e-4)."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    np.testing.assert_allclose(
        got, want, rtol=1e-12, atol=1e-14 * max(1.0, np.abs(want).max()), err_msg=what
    )


def run_engine(node, tmp_path, cases):
    """The engine's ``W, b, s, o, delta, E`` for each case, run by node (``DRIVER``)."""
    data = tmp_path / "cases.json"
    data.write_text(json.dumps([{k: v for k, v in c.items() if k != "net"} for c in cases]))
    driver = tmp_path / "driver.mjs"
    driver.write_text(DRIVER % engine_module(tmp_path))
    result = subprocess.run(
        [node, str(driver), str(data)], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(result.stdout)


def assert_engine_is_the_library(cases, out):
    """Replay each case with the library and compare every number (:func:`assert_close`)."""
    for case, js in zip(cases, out, strict=True):
        net, X, T = case["net"], np.array([case["x"]]), np.array([case["t"]])
        for _ in range(case["steps"]):
            net.backward(X, T)
            net.step(case["lr"])
        net.backward(X, T)
        where = f"{case['sizes']} {case['activations']} {case['loss']} x={case['x']}"
        for k, layer in enumerate(net.layers):
            for name in ("W", "b", "s", "o", "delta"):
                want = getattr(layer, name)
                assert_close(
                    js[name][k],
                    want[0] if name in ("s", "o", "delta") else want,
                    f"{name}^{k + 1} of {where}",
                )
        assert_close(js["E"], net.loss(X, T), f"E of {where}")


def test_engine_equals_the_library(tmp_path, node):
    cases = random_cases(np.random.default_rng(8), 8 * len(VALID_PAIRS))  # 8 per valid pair
    out = run_engine(node, tmp_path, cases)
    assert_engine_is_the_library(cases, out)
    assert {(c["activations"][-1], c["loss"]) for c in cases} == set(VALID_PAIRS)


# The explorer's controls (explorer.js): x in [-2, 2] and t in [-1, 1] by 0.05, a weight or
# bias in [-4, 4] by 0.01, the rate one of RATES, any activations and loss the library accepts.
SLIDER_RATES = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 3]


def slider_cases(rng, n):
    """``n`` settings of the page's 2-2-2 explorer reachable with its sliders, every valid
    output pair in turn, weights pushed towards the sliders' ends (where units saturate), 1 to
    5 steps; the first is the one with :math:`s^1 = (12.0, 11.4)`. Settings whose steps the
    library refuses (the weights overflow; the explorer refuses them too) are drawn again."""
    pairs = sorted(VALID_PAIRS)
    grid = np.round(np.arange(-4, 4.001, 0.01), 2)
    cases = []
    k = 0
    while len(cases) < n:
        k += 1
        act, loss = pairs[k % len(pairs)]
        acts = [str(rng.choice(ACTIVATION_NAMES)), act]
        if not cases:  # x = (2, 2), W^1 = [[4, 3.7], [2, 2]], b^1 = 0: s^1 = (12.0, 11.4)
            acts, loss = ["tanh", "sigmoid"], "squared_error"
            x, W1, b1 = [2.0, 2.0], [[4.0, 3.7], [2.0, 2.0]], [0.0, 0.0]
        else:
            x = (np.round(rng.choice([-2, 2]) * rng.uniform(0.5, 1, 2) / 0.05) * 0.05).tolist()
            W1 = rng.choice(grid[np.abs(grid) >= 2], (2, 2)).tolist()
            b1 = rng.choice(grid, 2).tolist()
        W2, b2 = rng.choice(grid, (2, 2)).tolist(), rng.choice(grid, 2).tolist()
        if loss == "cross_entropy":
            t = [float(v) for v in rng.permutation([0.0, 1.0])]
        elif loss == "binary_cross_entropy":
            t = (np.round(rng.uniform(0, 1, 2) / 0.05) * 0.05).tolist()
        else:
            t = (np.round(rng.uniform(-1, 1, 2) / 0.05) * 0.05).tolist()
        W = [np.array(W1), np.array(W2)]
        b = [np.array(b1), np.array(b2)]
        net = Network.from_sizes([2, 2, 2], acts, loss, np.random.default_rng(0))
        for layer, Wl, bl in zip(net.layers, W, b, strict=True):
            layer.W, layer.b = Wl.copy(), bl.copy()
        lr, steps = float(rng.choice(SLIDER_RATES)), int(rng.integers(1, 6))
        trial = Network(
            [Dense.from_arrays(Wl, bl, a) for Wl, bl, a in zip(W, b, acts, strict=True)], loss
        )
        try:
            for _ in range(steps):
                trial.backward([x], [t])
                trial.step(lr)
            trial.backward([x], [t])
            trial.loss([x], [t])
        except FloatingPointError:
            continue
        if not all(np.isfinite(layer.s).all() for layer in trial.layers):
            continue  # a relu that cancels an overflowed s: outside what the claim covers
        cases.append(
            {
                "sizes": [2, 2, 2],
                "activations": acts,
                "loss": loss,
                "net": net,
                "W": [w.tolist() for w in W],
                "b": [v.tolist() for v in b],
                "x": x,
                "t": t,
                "lr": lr,
                "steps": steps,
            }
        )
    return cases


def test_engine_equals_the_library_over_the_slider_ranges(tmp_path, node):
    """The weight-updates page's claim (the explorer's numbers are the library's to a relative
    1e-12) over settings reachable with the sliders, saturated units included: the textbook
    1 - o^2 magnified the one ulp by which Math.tanh and np.tanh differ (4.5e-7 at
    s^1 = (12.0, 11.4)); both now compute f' from s."""
    cases = slider_cases(np.random.default_rng(20), 1200)
    cases[0]["net"].forward(np.array([cases[0]["x"]]))
    np.testing.assert_allclose(cases[0]["net"].layers[0].s[0], [12.0, 11.4], rtol=1e-15)
    out = run_engine(node, tmp_path, cases)
    assert_engine_is_the_library(cases, out)


ENGINE_DERIVATIVES = """
import * as E from %s;
const s = JSON.parse(process.argv[2]);
const out = {};
for (const name of ["sigmoid", "tanh"]) {
  const a = E.ACTIVATIONS[name];
  out[name] = a.backward(s, a.forward(s), s.map(() => 1.0));
}
console.log(JSON.stringify(out));
"""

SATURATED = [13.6, -13.6, 20.0, -20.0, 30.0, -30.0, 36.75, 40.0, -40.0, 100.0, 300.0]


def test_engine_backward_is_exact_where_units_saturate(tmp_path, node):
    """engine.js's sigmoid and tanh deltas (dE/do = 1) against mpmath at 50 digits: relative
    error below 1e-15 where the textbook o(1 - o), 1 - o^2 lost every digit."""
    import mpmath

    driver = tmp_path / "derivatives.mjs"
    driver.write_text(ENGINE_DERIVATIVES % engine_module(tmp_path))
    result = subprocess.run(
        [node, str(driver), json.dumps(SATURATED)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    out = json.loads(result.stdout)
    with mpmath.workdps(50):
        for k, v in enumerate(SATURATED):
            x = mpmath.mpf(v)
            exact = {"sigmoid": 1 / (2 + 2 * mpmath.cosh(x)), "tanh": mpmath.sech(x) ** 2}
            for name, want in exact.items():
                got = out[name][k]
                error = abs((mpmath.mpf(got) - want) / want)
                assert error < 1e-15, (name, v, got, float(want), float(error))


@pytest.mark.parametrize(
    "name, value",
    [
        ("lr", -1.0),
        ("lr", float("nan")),
        ("lr", 0.0),
        ("x", [1.0]),
        ("x", [1.0, float("inf")]),
        ("t", [1.0, 0.0, 0.0]),
        ("activations", ["sigmoid", "relu", "tanh"]),
        ("activations", ["sigmoid", "bogus"]),
        ("loss", "cross_entropy_typo"),
    ],
)
def test_bad_values_from_python_are_refused_and_kept(name, value):
    import traitlets

    w = ExplorerWidget()
    before = w.get_state()
    with pytest.raises(traitlets.TraitError, match=name if name != "activations" else "."):
        setattr(w, name, value)
    assert w.get_state() == before


def test_an_edit_from_python_starts_a_new_replay():
    w = ExplorerWidget()
    w.set_state({"steps": 2, "steps_since_edit": 2})  # as if the page had stepped
    w.lr = 2.0
    assert w.steps_since_edit == 0 and w.anchor_W == w.W
    assert w.verify() == 0


def test_a_pair_the_library_refuses_is_refused_from_python():
    import traitlets

    w = ExplorerWidget()
    w.activations = ["sigmoid", "tanh"]
    with pytest.raises(traitlets.TraitError, match="cross_entropy"):
        w.loss = "cross_entropy"
    assert w.loss == "squared_error"
    w.loss = "sum_squared_error"  # still usable
    assert w.verify() == 0
