r"""The in-browser pair explorer (``backprop_lib.widgets.pair_live``), without a browser.

Its JavaScript (the library's stable forms ported to JavaScript, ``explorer/engine.js``, and
the central differences the page takes of the library's loss) is run by node at random
points, saturation included, and compared with ``backprop_lib``'s output delta
(``pair_agreement(...).delta_library``, from ``Network.backward``) and, at :math:`|s|` up to
40, with sympy's :math:`\delta` of the pair evaluated in 50-digit arithmetic. The browser side (the
page's controls and panels) is tested in ``tests/book/test_pair_explorer_browser.py``.
"""

from __future__ import annotations

import json
import subprocess
import warnings

import ipywidgets as widgets
import numpy as np
import pytest
import traitlets

from backprop_lib import VALID_PAIRS, check_pair
from backprop_lib.activations import ACTIVATION_NAMES
from backprop_lib.losses import LOSS_NAMES
from backprop_lib.symbolic.derivation import derive
from backprop_lib.teaching.pair_catalogue import (
    EXACT_TOLERANCE,
    NUMERICAL_TOLERANCE,
    pair_agreement,
    scaled_error,
)
from backprop_lib.widgets.pair_live import S_LIMIT, PairWidget, esm_source, pair_module

DRIVER = r"""
%s
import { readFileSync } from "node:fs";
const points = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = points.map(([key, s, t]) => {
  const [a, loss] = key.split("|");
  const o = ACTIVATIONS[a].forward(s);
  const E = (x, y) => outputLoss(a, loss, x, ACTIVATIONS[a].forward(x), y);
  const fd = s.map((_, k) => {
    const up = s.slice(), down = s.slice();
    up[k] += 1e-6; down[k] -= 1e-6;
    return (E(up, t) - E(down, t)) / 2e-6;
  });
  return { o, delta: outputDelta(a, loss, s, o, t), E: E(s, t), fd };
});
console.log(JSON.stringify(out));
"""


def run_page(node, tmp_path, points):
    """The page's ``o``, ``delta``, ``E`` and central differences at each ``(key, s, t)``."""
    data = tmp_path / "points.json"
    data.write_text(json.dumps(points))
    driver = tmp_path / "driver.mjs"
    driver.write_text(DRIVER % esm_source().replace("export default { render };", ""))
    result = subprocess.run(
        [node, str(driver), str(data)], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(result.stdout)


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


def test_page_delta_equals_the_library(tmp_path, node):
    rng = np.random.default_rng(5)
    points = []
    for a, loss in sorted(VALID_PAIRS):
        for k in range(12):
            s = rng.uniform(-6, 6, 3) if k < 8 else rng.choice([-6.0, 6.0], 3)  # saturation
            points.append((f"{a}|{loss}", s.round(1).tolist(), _targets(loss, rng).tolist()))
    out = run_page(node, tmp_path, points)
    worst_exact = worst_fd = 0.0
    for (key, s, t), js in zip(points, out, strict=True):
        a, loss = key.split("|")
        g = pair_agreement(a, loss, [s], [t])
        exact = scaled_error(js["delta"], g.delta_library[0])
        assert exact <= EXACT_TOLERANCE, (key, s, t, exact)
        np.testing.assert_allclose(js["o"], g.o[0], rtol=1e-12, atol=1e-15, err_msg=key)
        # the page's check: its central differences against its delta, with the floor
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
    with pytest.raises(ValueError, match="s must hold 3 finite real numbers"):
        PairWidget(s=(1.0, float("nan"), 0.0))
    with pytest.raises(ValueError, match="t must hold 3"):
        PairWidget(t=(1.0, 0.0))
    with pytest.raises(TypeError, match="s must hold 3 finite real numbers"):
        PairWidget(s=("a", "b", "c"))
    w = PairWidget("tanh", "squared_error")
    assert (w.activation, w.loss) == ("tanh", "squared_error")


SATURATED = [0.0, 6.0, 13.6, 20.0, 23.0, 30.0, 36.75, 40.0]


def test_page_delta_is_sympys_up_to_s_40(tmp_path, node):
    """For every valid pair, the page's delta at s = (v, -v, 0), (-v, v, 0), (v, v - 1, 0),
    v up to 40, equals sympy's delta of the pair evaluated with 50 digits: normwise (largest
    difference over the largest |delta|) within 1e-14. The sympy formulas the page printed to
    JavaScript before gave 1e-3 at |s| = 30 and NaN at 36.75 (sigmoid or softmax with binary
    cross-entropy), 1.0 at |s| = 20 (tanh with a squared error)."""
    rng = np.random.default_rng(20)
    points = []
    for a, loss in sorted(VALID_PAIRS):
        for v in SATURATED:
            for s in ([v, -v, 0.0], [-v, v, 0.0], [v, v - 1.0, 0.0]):
                points.append((f"{a}|{loss}", s, _targets(loss, rng).tolist()))
    import mpmath
    import sympy as sp

    out = run_page(node, tmp_path, points)
    exact_deltas = {}
    for a, loss in VALID_PAIRS:
        d = derive(a, loss, 3)
        exact_deltas[f"{a}|{loss}"] = sp.lambdify([*d.s, *d.t], list(d.delta), "mpmath")
    for (key, s, t), js in zip(points, out, strict=True):
        with mpmath.workdps(50):
            values = exact_deltas[key](*map(mpmath.mpf, s), *map(mpmath.mpf, t))
            exact = [float(mpmath.re(v)) for v in values]
        assert all(np.isfinite(js["delta"])), (key, s, js["delta"])
        error = np.max(np.abs(np.subtract(js["delta"], exact))) / max(np.abs(exact).max(), 1e-300)
        assert error <= 1e-14, (key, s, t, js["delta"], exact, error)
    assert len(points) == 3 * len(SATURATED) * len(VALID_PAIRS)


def test_the_widget_accepts_saturated_s_and_refuses_beyond_the_limit():
    w = PairWidget("sigmoid", "binary_cross_entropy", s=(40, -40, 0), t=(1.0, 0.0, 0.5))
    assert w.s == [40.0, -40.0, 0.0]
    with pytest.raises(ValueError, match=r"PairWidget: s must hold 3 .* in \[-50, 50\]"):
        PairWidget(s=(S_LIMIT + 1, 0.0, 0.0))


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"s": "123"}, TypeError, ["s must hold 3", "'123'"]),
        ({"s": (1.0, float("nan"), 0.0)}, ValueError, ["s must hold 3 finite", "nan"]),
        ({"s": (10**400, 0, 0)}, ValueError, ["s must hold 3 finite", "[-50, 50]"]),
        ({"s": (True, 0, 0)}, TypeError, ["s must hold 3"]),
        ({"t": (1.0, 0.0)}, ValueError, ["t must hold 3", "got 2"]),
        ({"loss": "bogus"}, ValueError, ["loss 'bogus' is unknown", "cross_entropy"]),
    ],
)
def test_bad_constructor_arguments_are_refused(kwargs, error, words):
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        with pytest.raises(error) as err:
            PairWidget(**kwargs)
    for word in words:
        assert word in str(err.value), (word, str(err.value))


@pytest.mark.parametrize(
    "name, value, words",
    [
        ("s", [float("nan")], ["s must hold 3", "got 1"]),
        ("s", [1.0, float("inf"), 0.0], ["s must hold 3 finite"]),
        ("s", [100.0, 0.0, 0.0], ["[-50, 50]"]),
        ("t", [0.5], ["t must hold 3"]),
        ("loss", "bogus", ["loss 'bogus' is unknown"]),
        ("activation", "sigmod", ["activation 'sigmod' is unknown", "'sigmoid'"]),
    ],
)
def test_bad_values_set_from_python_are_refused_and_kept(name, value, words):
    w = PairWidget()
    before = w.get_state()
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        with pytest.raises(traitlets.TraitError) as err:
            setattr(w, name, value)
    for word in words:
        assert word in str(err.value), (word, str(err.value))
    assert w.get_state() == before
