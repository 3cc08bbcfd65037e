r"""The in-browser pair explorer (``backprop_lib.widgets.pair_live``), without a browser.

Its JavaScript (``sympy.printing.jscode`` of each pair's derivation, and the central
differences the page takes of the library's loss ported to JavaScript) is run by node at
random points, saturation included, and compared with ``backprop_lib``'s output delta
(``pair_agreement(...).delta_library``, from ``Network.backward``). The browser side (the
page's controls and panels) is tested in ``tests/book/test_pair_explorer_browser.py``.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import ipywidgets as widgets
import numpy as np
import pytest

from backprop_lib import VALID_PAIRS, check_pair
from backprop_lib.activations import ACTIVATION_NAMES
from backprop_lib.losses import LOSS_NAMES
from backprop_lib.teaching.pair_catalogue import (
    EXACT_TOLERANCE,
    NUMERICAL_TOLERANCE,
    pair_agreement,
    scaled_error,
)
from backprop_lib.widgets.pair_live import PairWidget, esm_source, pair_module

NODE = shutil.which("node")

DRIVER = r"""
%s
import { readFileSync } from "node:fs";
const points = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = points.map(([key, s, t]) => {
  const p = PAIRS[key];
  const [a, loss] = key.split("|");
  const E = (x, y) => outputLoss(a, loss, x, ACTIVATIONS[a].forward(x), y);
  const fd = s.map((_, k) => {
    const up = s.slice(), down = s.slice();
    up[k] += 1e-6; down[k] -= 1e-6;
    return (E(up, t) - E(down, t)) / 2e-6;
  });
  return { o: p.o(s), delta: p.delta(s, t), E: E(s, t), fd };
});
console.log(JSON.stringify(out));
"""


@pytest.fixture(autouse=True)
def _close_widgets():
    yield
    widgets.Widget.close_all()


def _targets(loss, rng):
    if loss == "cross_entropy":
        return rng.dirichlet(np.ones(3))
    if loss == "binary_cross_entropy":
        return rng.uniform(0, 1, 3)
    return rng.uniform(-2, 2, 3)


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_sympy_js_delta_equals_the_library(tmp_path):
    rng = np.random.default_rng(5)
    points = []
    for a, loss in sorted(VALID_PAIRS):
        for k in range(12):
            s = rng.uniform(-6, 6, 3) if k < 8 else rng.choice([-6.0, 6.0], 3)  # saturation
            points.append((f"{a}|{loss}", s.round(1).tolist(), _targets(loss, rng).tolist()))
    data = tmp_path / "points.json"
    data.write_text(json.dumps(points))
    driver = tmp_path / "driver.mjs"
    driver.write_text(DRIVER % esm_source().replace("export default { render };", ""))
    out = json.loads(
        subprocess.run(
            [NODE, str(driver), str(data)], capture_output=True, text=True, check=True, timeout=120
        ).stdout
    )
    worst_exact = worst_fd = 0.0
    for (key, s, t), js in zip(points, out, strict=True):
        a, loss = key.split("|")
        g = pair_agreement(a, loss, [s], [t])
        exact = scaled_error(js["delta"], g.delta_library[0])
        assert exact <= EXACT_TOLERANCE, (key, s, t, exact)
        np.testing.assert_allclose(js["o"], g.o[0], rtol=1e-12, atol=1e-15, err_msg=key)
        # the page's check: its central differences against its sympy delta, with the floor
        floor = 1e-2 * max(1.0, abs(js["E"]))
        fd = np.max(np.abs(np.subtract(js["fd"], js["delta"]))) / max(
            np.abs(js["fd"]).max(), np.abs(js["delta"]).max(), floor
        )
        assert fd <= NUMERICAL_TOLERANCE, (key, s, t, fd)
        worst_exact, worst_fd = max(worst_exact, exact), max(worst_fd, fd)
    assert len(points) == 12 * len(VALID_PAIRS)


def test_undefined_pairs_carry_the_librarys_reason():
    module = pair_module()
    for a in ACTIVATION_NAMES:
        for loss in LOSS_NAMES:
            if (a, loss) in VALID_PAIRS:
                continue
            with pytest.raises(ValueError) as err:
                check_pair(a, loss)
            assert json.dumps(str(err.value))[1:-1] in module, (a, loss)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="s must hold 3 finite numbers"):
        PairWidget(s=(1.0, float("nan"), 0.0))
    with pytest.raises(ValueError, match="t must hold 3"):
        PairWidget(t=(1.0, 0.0))
    with pytest.raises(TypeError, match="s must hold 3 real numbers"):
        PairWidget(s=("a", "b", "c"))
    w = PairWidget("tanh", "squared_error")
    assert (w.activation, w.loss) == ("tanh", "squared_error")
