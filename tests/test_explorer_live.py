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
import shutil
import subprocess
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pytest

from backprop_lib import Network, check_pair
from backprop_lib.activations import ACTIVATION_NAMES
from backprop_lib.losses import LOSS_NAMES
from backprop_lib.pairs import VALID_PAIRS
from backprop_lib.widgets.explorer import ExplorerModel, ExplorerWidget, Parameter
from backprop_lib.widgets.explorer.live import esm_source

ENGINE = Path(__file__).resolve().parents[1] / "backprop_lib/widgets/explorer/engine.js"
NODE = shutil.which("node")


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
    assert source.startswith(ENGINE.read_text(encoding="utf-8"))
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


def random_cases(rng, n):
    """``n`` random settings: every valid output pair in turn, random hidden activations,
    2-2-2 and 2-5-5-3 networks, targets the loss accepts, 1 to 7 steps."""
    pairs = sorted(VALID_PAIRS)
    cases = []
    for k in range(n):
        act, loss = pairs[k % len(pairs)]
        sizes = [2, 2, 2] if k % 2 == 0 else [2, 5, 5, 3]
        acts = [str(rng.choice(ACTIVATION_NAMES)) for _ in sizes[1:-1]] + [act]
        net = Network.from_sizes(sizes, acts, loss, np.random.default_rng(k))
        if loss == "cross_entropy":
            t = rng.dirichlet(np.ones(sizes[-1]))
        elif loss == "binary_cross_entropy":
            t = rng.uniform(0, 1, sizes[-1])
        else:
            t = rng.uniform(-1, 1, sizes[-1])
        cases.append(
            {
                "sizes": sizes,
                "activations": acts,
                "loss": loss,
                "net": net,
                "W": [la.W.tolist() for la in net.layers],
                "b": [la.b.tolist() for la in net.layers],
                "x": rng.uniform(-2, 2, sizes[0]).tolist(),
                "t": t.tolist(),
                "lr": float(10 ** rng.uniform(-2, 0.5)),
                "steps": int(rng.integers(1, 8)),
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


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_engine_equals_the_library(tmp_path):
    cases = random_cases(np.random.default_rng(8), 112)  # 8 per valid pair
    data = tmp_path / "cases.json"
    data.write_text(json.dumps([{k: v for k, v in c.items() if k != "net"} for c in cases]))
    driver = tmp_path / "driver.mjs"
    driver.write_text(DRIVER % json.dumps(ENGINE.as_uri()))
    result = subprocess.run(
        [NODE, str(driver), str(data)], capture_output=True, text=True, check=True, timeout=120
    )
    out = json.loads(result.stdout)
    covered = set()
    for case, js in zip(cases, out, strict=True):
        net, X, T = case["net"], np.array([case["x"]]), np.array([case["t"]])
        for _ in range(case["steps"]):
            net.backward(X, T)
            net.step(case["lr"])
        net.backward(X, T)
        where = f"{case['sizes']} {case['activations']} {case['loss']}"
        for k, layer in enumerate(net.layers):
            for name in ("W", "b", "s", "o", "delta"):
                want = getattr(layer, name)
                assert_close(
                    js[name][k],
                    want[0] if name in ("s", "o", "delta") else want,
                    f"{name}^{k + 1} of {where}",
                )
        assert_close(js["E"], net.loss(X, T), f"E of {where}")
        covered.add((case["activations"][-1], case["loss"]))
    assert covered == set(VALID_PAIRS)


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
