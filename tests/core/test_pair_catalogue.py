r"""The pair catalogue (backprop_lib/teaching/pair_catalogue.py): verdicts, the four-way
agreement of a pair's delta, and the catalogue the pairs chapter prints.

The deltas :func:`pair_agreement` computes are compared with an independent computation: the
loss written out with plain sympy and differentiated with ``sympy.diff``, and central
differences of the loss written out with numpy (``tests/helpers.py``: ``sympy_delta``,
``finite_difference_delta``). Neither uses ``backprop_lib``. (The pair explorer of the book,
``PairWidget``, is tested in ``tests/widgets/test_pair_live.py``.)
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from helpers import finite_difference_delta, sympy_delta

from backprop_lib import ACTIVATION_NAMES, FUSED_PAIRS, LOSS_NAMES, VALID_PAIRS
from backprop_lib.symbolic.derivation import catalogue
from backprop_lib.teaching.pair_catalogue import (
    N_UNITS,
    NUMERICAL_TOLERANCE,
    PAIR_ADVICE,
    catalogue_tabs,
    pair_agreement,
    pair_verdict,
    probe_network,
    scaled_error,
)


def _point(loss: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pre-activations away from 0 (relu's kink); targets valid for the loss."""
    s = np.round(rng.choice([-1.0, 1.0], N_UNITS) * rng.uniform(0.3, 3.0, N_UNITS), 1)
    if loss in ("squared_error", "sum_squared_error"):
        t = np.round(rng.uniform(-2.0, 2.0, N_UNITS), 2)
    else:
        t = np.round(rng.uniform(0.05, 1.0, N_UNITS) / 0.05) * 0.05
    if loss == "cross_entropy":
        t = t / t.sum()
    return s, t


@pytest.fixture
def rng():
    return np.random.default_rng(20240501)


@pytest.mark.parametrize("activation, loss", sorted(VALID_PAIRS))
def test_pair_agreement_equals_an_independent_computation(activation, loss, rng):
    s, t = _point(loss, rng)
    g = pair_agreement(activation, loss, [s], [t])
    expected = sympy_delta(activation, loss, s, t)
    for key in ("delta_sympy", "delta_textbook", "delta_library"):
        np.testing.assert_allclose(
            getattr(g, key)[0],
            expected,
            rtol=1e-9,
            atol=1e-12,
            err_msg=f"{activation} + {loss}: {key}",
        )
    np.testing.assert_allclose(
        g.delta_numerical[0],
        finite_difference_delta(activation, loss, s, t),
        rtol=1e-6,
        atol=1e-8,
        err_msg=f"{activation} + {loss}: finite differences",
    )
    assert g.error_library < 1e-12 and g.error_textbook < 1e-12
    assert g.error_numerical < 1e-7


def test_nothing_outside_widgets_imports_ipywidgets():
    code = (
        "import sys, backprop_lib, backprop_lib.symbolic, backprop_lib.teaching.bugs, "
        "backprop_lib.teaching.datasets, backprop_lib.teaching.pair_catalogue, "
        "backprop_lib.teaching.training_run; "
        "assert 'ipywidgets' not in sys.modules, 'ipywidgets imported'"
    )
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True)


# -- the functions behind it -----------------------------------------------------------------


@pytest.mark.parametrize("activation, loss", sorted(VALID_PAIRS))
def test_pair_agreement_on_a_batch(activation, loss, rng):
    B = 4
    S = rng.choice([-1.0, 1.0], (B, 3)) * rng.uniform(0.2, 2.5, (B, 3))
    if loss == "cross_entropy":
        T = rng.dirichlet(np.ones(3), size=B)
    elif loss == "binary_cross_entropy":
        T = rng.uniform(0.0, 1.0, (B, 3))
    else:
        T = rng.normal(size=(B, 3))
    g = pair_agreement(activation, loss, S, T)
    expected = (
        np.array([sympy_delta(activation, loss, s, t) for s, t in zip(S, T, strict=True)]) / B
    )  # the batch mean's 1/B
    for name in ("delta_sympy", "delta_textbook", "delta_library"):
        np.testing.assert_allclose(getattr(g, name), expected, rtol=1e-9, atol=1e-14, err_msg=name)
    np.testing.assert_allclose(g.delta_numerical, expected, rtol=1e-5, atol=1e-9)


def test_pair_agreement_refuses_undefined_pairs_and_bad_shapes():
    with pytest.raises(ValueError, match="cannot be followed by the loss"):
        pair_agreement("tanh", "cross_entropy", [[0.1, 0.2, 0.3]], [[1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="same shape"):
        pair_agreement("sigmoid", "squared_error", [[0.1, 0.2]], [[1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="probability vectors"):
        pair_agreement("softmax", "cross_entropy", [[0.1, 0.2, 0.3]], [[1.0, 1.0, 0.0]])


def test_probe_network_has_the_given_pre_activations(rng):
    S = rng.normal(size=(5, 3))
    net, X = probe_network("tanh", "squared_error", S)
    net.forward(X)
    np.testing.assert_array_equal(net.layers[0].s, S)
    with pytest.raises(ValueError, match="finite 2-D array"):
        probe_network("tanh", "squared_error", [1.0, np.nan])


def test_scaled_error():
    assert scaled_error([0.0, 2.0], [1e-12, 2.0]) == pytest.approx(5e-13)
    assert scaled_error([1.0, -4.0], [1.0, -2.0]) == pytest.approx(0.5)
    assert scaled_error(np.zeros(3), np.zeros(3)) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        scaled_error([1.0], [1.0, 2.0])


def test_every_pair_has_exactly_one_verdict():
    kinds = {}
    for a in ACTIVATION_NAMES:
        for loss in LOSS_NAMES:
            verdict = pair_verdict(a, loss)
            kinds.setdefault(verdict.kind, set()).add((a, loss))
            assert verdict.reason
    assert kinds["fused"] == FUSED_PAIRS
    assert kinds["undefined"] == {
        (a, loss) for a in ACTIVATION_NAMES for loss in LOSS_NAMES if (a, loss) not in VALID_PAIRS
    }
    assert set(PAIR_ADVICE) == VALID_PAIRS - FUSED_PAIRS
    assert kinds["good"] == {("linear", "squared_error"), ("linear", "sum_squared_error")}


def test_catalogue_tabs_lists_every_pair_with_library_reasons():
    text = catalogue_tabs(catalogue(3))
    assert text.count(":::{tab-item}") == len(LOSS_NAMES)
    assert text.startswith("::::{tab-set}") and text.endswith("::::")
    for loss in LOSS_NAMES:
        tab = text.split(f":::{{tab-item}} {loss}\n", 1)[1].split("\n:::", 1)[0]
        for a in ACTIVATION_NAMES:
            assert f"\n| {a} | $" in tab, f"{a} row missing in the {loss} tab"
            verdict = pair_verdict(a, loss)
            if verdict.kind == "undefined":
                assert verdict.reason in tab


# -- issue 12, item 8: saturation ------------------------------------------------------------


def _targets(loss):
    return {"cross_entropy": [0.2, 0.5, 0.3], "binary_cross_entropy": [1.0, 0.0, 0.5]}.get(
        loss, [1.0, 0.0, 0.5]
    )


@pytest.mark.parametrize("pair", sorted(VALID_PAIRS))
def test_central_differences_agree_even_in_saturation(pair):
    import dataclasses

    activation, loss = pair
    for s in ([6.0, 6.0, 6.0], [-6.0, -6.0, -6.0], [6.0, -6.0, 0.5], [0.1, -0.2, 0.3]):
        g = pair_agreement(activation, loss, [s], [_targets(loss)])
        assert g.error_numerical <= NUMERICAL_TOLERANCE, (pair, s, g.error_numerical)
        # a wrong delta still shows, even where delta is tiny: double it
        wrong = dataclasses.replace(g, delta_numerical=2 * g.delta_sympy + 1e-3)
        assert wrong.error_numerical > 1e3 * NUMERICAL_TOLERANCE, (pair, s)
