r"""The explorer engine's optimizers (``optimizerStep`` in ``engine.js``), run by node, against
the library's (``Network.fit(..., optimizer=...)``) over random settings and several steps:
the weights and the optimizer state (velocity, running mean of squares, first and second
moments) after every run."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from test_explorer_live import assert_close, engine_module, random_cases

from backprop_lib import SGD, Adam, RMSProp
from backprop_lib.pairs import VALID_PAIRS

DRIVER = """
import * as E from %s;
import { readFileSync } from "node:fs";
const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
console.log(JSON.stringify(cases.map((c) => {
  let net = { W: c.W, b: c.b, activations: c.activations, loss: c.loss };
  let state = E.optimizerState(net, c.opt);
  for (let k = 0; k < c.steps; k++) {
    const g = E.backward(net, c.x, c.t);
    const n = E.optimizerStep(net, g, c.opt, state);
    net = { ...net, W: n.W, b: n.b };
    state = n.state;
  }
  return { W: net.W, b: net.b, state };
})));
"""

#: The engine's state names and the library's, per rule.
STATE_NAMES = {
    "momentum": {"v": "velocity"},
    "rmsprop": {"r": "square_avg"},
    "adam": {"m": "m", "v": "v"},
}


def random_optimizer(rng, k):
    """The engine's description and the library's optimizer, the rule chosen by ``k``."""
    kind = ["sgd", "momentum", "rmsprop", "adam"][k % 4]
    lr = float(10 ** rng.uniform(-3, -0.7))
    if kind == "sgd":
        return {"kind": kind, "lr": lr}, SGD(lr)
    if kind == "momentum":
        mu, nesterov = float(rng.uniform(0.05, 0.95)), bool(rng.integers(2))
        return (
            {"kind": kind, "lr": lr, "momentum": mu, "nesterov": nesterov},
            SGD(lr, momentum=mu, nesterov=nesterov),
        )
    eps = float(10 ** rng.uniform(-8, -3))
    if kind == "rmsprop":
        alpha = float(rng.uniform(0.5, 0.999))
        return {"kind": kind, "lr": lr, "alpha": alpha, "eps": eps}, RMSProp(lr, alpha, eps)
    betas = (float(rng.uniform(0.5, 0.95)), float(rng.uniform(0.9, 0.9999)))
    return {"kind": kind, "lr": lr, "betas": list(betas), "eps": eps}, Adam(lr, betas, eps)


def test_engine_optimizers_equal_the_library(tmp_path, node):
    rng = np.random.default_rng(23)
    cases = random_cases(rng, 4 * len(VALID_PAIRS))  # 4 per valid pair
    for k, case in enumerate(cases):
        case["opt"], case["optimizer"] = random_optimizer(rng, k + k // len(VALID_PAIRS))
        case["steps"] = int(rng.integers(2, 8))
    data = tmp_path / "cases.json"
    data.write_text(
        json.dumps([{k: v for k, v in c.items() if k not in ("net", "optimizer")} for c in cases])
    )
    driver = tmp_path / "driver.mjs"
    driver.write_text(DRIVER % engine_module(tmp_path))
    result = subprocess.run(
        [node, str(driver), str(data)], capture_output=True, text=True, check=True, timeout=120
    )
    out = json.loads(result.stdout)
    covered, moved_cases = set(), 0
    for case, js in zip(cases, out, strict=True):
        net, opt, kind = case["net"], case["optimizer"], case["opt"]["kind"]
        X, T = np.array([case["x"]]), np.array([case["t"]])
        start = [layer.W.copy() for layer in net.layers]
        net.fit(X, T, epochs=case["steps"], batch_size=1, optimizer=opt, rng=0)
        where = f"{kind} {case['opt']} on {case['sizes']} {case['activations']} {case['loss']}"
        assert js["state"]["t"] == opt.t == case["steps"]
        for k, layer in enumerate(net.layers):
            assert_close(js["W"][k], layer.W, f"W^{k + 1} after {where}")
            assert_close(js["b"][k], layer.b, f"b^{k + 1} after {where}")
            for js_name, lib_name in STATE_NAMES.get(kind, {}).items():
                assert_close(
                    js["state"]["W"][js_name][k],
                    opt.state[2 * k][lib_name],
                    f"{js_name} of W^{k + 1} after {where}",
                )
                assert_close(
                    js["state"]["b"][js_name][k],
                    opt.state[2 * k + 1][lib_name],
                    f"{js_name} of b^{k + 1} after {where}",
                )
        moved = max(np.abs(la.W - W0).max() for la, W0 in zip(net.layers, start, strict=True))
        moved_cases += moved > 1e-6  # not in a network of dead ReLUs
        covered.add(kind)
    assert covered == {"sgd", "momentum", "rmsprop", "adam"}
    assert moved_cases >= len(cases) - 5  # the comparisons are of weights that moved
    assert {(c["activations"][-1], c["loss"]) for c in cases} == set(VALID_PAIRS)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"x": [1.0, 2.0], "t": [1.0]}, r"PathsWidget: x and t must be finite and of one length"),
        ({"x": [1.0, float("nan")], "t": [1.0, 2.0]}, r"x and t must be finite"),
        ({"rates": {"sgd": 0.2}}, r"PathsWidget: rates must give one rate for each of"),
        (
            {"rates": {"sgd": 0.2, "momentum": 0.2, "adam": 0.7}},
            r"PathsWidget: rates\['adam'\] must be one of",
        ),
        ({"rates": {"sgd": -0.2, "momentum": 0.2, "adam": 0.5}}, r"must be a positive finite"),
        ({"steps": 0}, r"PathsWidget: steps must be a positive integer"),
    ],
)
def test_the_paths_view_refuses_bad_settings(kwargs, message):
    from backprop_lib.widgets.explorer.paths_live import PathsWidget

    settings = {"x": [1.0, 2.0, 3.0], "t": [0.0, 1.0, 2.0], **kwargs}
    with pytest.raises(ValueError, match=message):
        PathsWidget(**settings)
