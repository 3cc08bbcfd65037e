r"""Tests for backprop_lib.pairs: which losses may follow which output activation, and the
output delta :math:`\delta^L = \partial E/\partial s^L`.

The expected deltas come from sympy: the loss of a softmax or elementwise output written out
as a function of the pre-activations ``s`` and differentiated, then evaluated with mpmath at
up to 1000 digits, so that it is exact even at :math:`s = \pm 1000`. The closed forms must
also equal the general chain rule ``activation.backward(s, o, loss.gradient(o, t))`` where
that is finite.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp
from helpers import sympy_loss, sympy_outputs

from backprop_lib import symbolic
from backprop_lib.activations import ACTIVATION_NAMES, ACTIVATIONS
from backprop_lib.losses import LOSS_NAMES, LOSSES
from backprop_lib.network import Network
from backprop_lib.pairs import (
    FUSED_PAIRS,
    VALID_PAIRS,
    Pair,
    SigmoidBinaryCrossEntropy,
    SigmoidCrossEntropy,
    SoftmaxBinaryCrossEntropy,
    SoftmaxCrossEntropy,
    SoftplusCrossEntropy,
    check_pair,
    is_fused,
    output_delta,
    output_loss,
    pair_of,
    pair_problem,
)
from backprop_lib.symbolic import random_targets

_POSITIVE, _UNIT = sp.Interval.open(0, sp.oo), sp.Interval.open(0, 1)


def _outputs_within(activation: str, interval: sp.Set) -> bool:
    """Whether the sympy twin's output range of ``activation`` lies in ``interval``."""
    return bool(symbolic.get_activation(activation).output_range.is_subset(interval))


# Derived by hand from the sympy twin's output ranges: the squared errors are defined for
# any output; the cross-entropies take ln o (and ln(1 - o)), so they need outputs in
# (0, inf) (in (0, 1)).
EXPECTED_VALID = (
    {(a, "squared_error") for a in ACTIVATION_NAMES}
    | {(a, "sum_squared_error") for a in ACTIVATION_NAMES}
    | {(a, "cross_entropy") for a in ACTIVATION_NAMES if _outputs_within(a, _POSITIVE)}
    | {(a, "binary_cross_entropy") for a in ACTIVATION_NAMES if _outputs_within(a, _UNIT)}
)
CLOSED_FORM_PAIRS = [
    ("softmax", "cross_entropy"),
    ("sigmoid", "binary_cross_entropy"),
    ("sigmoid", "cross_entropy"),
    ("softmax", "binary_cross_entropy"),
    ("softplus", "cross_entropy"),
]


def test_valid_and_fused_pairs():
    assert VALID_PAIRS == EXPECTED_VALID
    # sigmoid and softmax take every loss; tanh, relu and linear only the squared errors
    assert {("sigmoid", "cross_entropy"), ("softmax", "binary_cross_entropy")} <= VALID_PAIRS
    assert not {("tanh", "cross_entropy"), ("relu", "cross_entropy")} & VALID_PAIRS
    assert not {("linear", "binary_cross_entropy")} & VALID_PAIRS
    assert FUSED_PAIRS == {("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy")}
    assert FUSED_PAIRS <= VALID_PAIRS


def test_is_fused_goes_by_the_exact_classes():
    fused = {
        (a, loss)
        for a in ACTIVATION_NAMES
        for loss in LOSS_NAMES
        if is_fused(ACTIVATIONS[a], LOSSES[loss])
    }
    assert fused == FUSED_PAIRS
    subclass = type("MyCrossEntropy", (type(LOSSES["cross_entropy"]),), {})()
    assert not is_fused(ACTIVATIONS["softmax"], subclass)


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@pytest.mark.parametrize("loss", LOSS_NAMES)
def test_pair_problem_agrees_with_valid_pairs(activation, loss):
    problem = pair_problem(activation, loss)
    assert (problem is None) == ((activation, loss) in VALID_PAIRS)
    if problem is None:
        check_pair(activation, loss)
        check_pair(ACTIVATIONS[activation], LOSSES[loss])
    else:
        assert loss in problem and activation in problem
        # every invalid pair can output values <= 0, or >= 1 for binary cross-entropy
        assert "<= 0" in problem or (loss == "binary_cross_entropy" and ">= 1" in problem)
        with pytest.raises(ValueError, match="Valid losses after") as excinfo:
            check_pair(activation, loss)
        assert problem in str(excinfo.value)


def test_pair_reasons_name_both_ends():
    assert pair_problem("tanh", "cross_entropy") == (
        "cross_entropy takes ln(o), so it needs outputs in (0, inf), but tanh outputs lie "
        "in (-1, 1), which includes values <= 0"
    )
    assert pair_problem("relu", "binary_cross_entropy").endswith(
        "relu outputs lie in [0, inf), which includes values <= 0 and >= 1"
    )
    with pytest.raises(ValueError, match="'squared_error', 'sum_squared_error'"):
        check_pair("linear", "cross_entropy")


# -- sympy reference for delta and loss as functions of s ---------------------------------

N = 3
_s = sp.symbols(f"s1:{N + 1}", real=True)
_t = sp.symbols(f"t1:{N + 1}", real=True)


def sympy_loss_and_delta(activation, loss, s, t, digits=30):
    """E and dE/ds from sympy's expressions evaluated with mpmath at ``digits`` digits (1000
    keep even the e^-1000 in 1 - sigmoid(1000)); s, t of shape (B, N)."""
    e = sympy_loss(loss, sympy_outputs(activation, _s), _t)
    value = sp.lambdify(_s + _t, e, "mpmath")
    partials = [sp.lambdify(_s + _t, sp.diff(e, v), "mpmath") for v in _s]
    values, deltas = [], []
    with mpmath.workdps(digits):
        for row_s, row_t in zip(s, t, strict=True):
            args = [mpmath.mpf(float(x)) for x in (*row_s, *row_t)]
            values.append(float(value(*args)))
            deltas.append([float(d(*args)) for d in partials])
    return np.mean(values), np.array(deltas) / len(s)


@pytest.mark.parametrize(("activation", "loss"), sorted(VALID_PAIRS))
def test_output_delta_and_loss_match_sympy(activation, loss, rng):
    s = rng.uniform(-4.0, 4.0, size=(4, N))
    if activation == "relu":
        s = np.where(np.abs(s) < 0.1, 0.1, s)
    t = random_targets(loss, rng, s.shape)
    act, lo = ACTIVATIONS[activation], LOSSES[loss]
    o = act.forward(s)
    value, delta = sympy_loss_and_delta(activation, loss, s, t)
    np.testing.assert_allclose(output_loss(act, lo, s, o, t), value, rtol=1e-13)
    np.testing.assert_allclose(output_delta(act, lo, s, o, t), delta, rtol=1e-7, atol=1e-15)


@pytest.mark.parametrize(("activation", "loss"), sorted(VALID_PAIRS))
def test_closed_forms_equal_the_general_chain(activation, loss, rng):
    """Fused == unfused (and the other closed forms == the chain) where both are finite."""
    s = rng.uniform(-6.0, 6.0, size=(5, 4))
    t = random_targets(loss, rng, s.shape)
    act, lo = ACTIVATIONS[activation], LOSSES[loss]
    o = act.forward(s)
    chain = act.backward(s, o, lo.gradient(o, t))
    np.testing.assert_allclose(output_delta(act, lo, s, o, t), chain, rtol=1e-10, atol=1e-17)
    np.testing.assert_allclose(output_loss(act, lo, s, o, t), lo.value(o, t), rtol=1e-12)


def test_fused_delta_is_output_minus_target_over_batch(rng):
    for activation, loss in FUSED_PAIRS:
        s = rng.normal(size=(6, 4))
        t = random_targets(loss, rng, s.shape)
        o = ACTIVATIONS[activation].forward(s)
        np.testing.assert_array_equal(
            output_delta(ACTIVATIONS[activation], LOSSES[loss], s, o, t), (o - t) / 6
        )


EXTREME_S = np.array(
    [[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0], [3.0, -2.0, 700.0], [-800.0, 999.0, 998.0]]
)


@pytest.mark.parametrize(("activation", "loss"), CLOSED_FORM_PAIRS)
def test_closed_forms_are_exact_at_extreme_pre_activations(activation, loss):
    """Finite, warning-free (warnings are errors) and equal to sympy's exact values."""
    if loss == "cross_entropy":
        t = np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.0, 0.25, 0.75]])
    else:
        t = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 1.0], [0.2, 0.0, 1.0], [1.0, 1.0, 0.0]])
    act, lo = ACTIVATIONS[activation], LOSSES[loss]
    o = act.forward(EXTREME_S)
    value, delta = sympy_loss_and_delta(activation, loss, EXTREME_S, t, digits=1000)
    got_value = output_loss(act, lo, EXTREME_S, o, t)
    got_delta = output_delta(act, lo, EXTREME_S, o, t)
    assert np.isfinite(got_value) and np.all(np.isfinite(got_delta))
    np.testing.assert_allclose(got_value, value, rtol=1e-13)
    np.testing.assert_allclose(got_delta, delta, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize(("activation", "loss"), sorted(VALID_PAIRS))
def test_every_valid_pair_is_finite_on_the_whole_range(activation, loss, rng):
    s = rng.uniform(-1000.0, 1000.0, size=(200, 4))
    s[:4, :3] = EXTREME_S
    t = random_targets(loss, rng, s.shape)
    act, lo = ACTIVATIONS[activation], LOSSES[loss]
    o = act.forward(s)
    assert np.isfinite(output_loss(act, lo, s, o, t))
    assert np.all(np.isfinite(output_delta(act, lo, s, o, t)))


def test_the_unfused_chain_would_fail_where_the_closed_form_does_not():
    """Why the closed forms exist: at s = -800, sigmoid(s) rounds to 0 and ln 0 = -inf."""
    s = np.array([[-800.0]])
    t = np.array([[1.0]])
    sigmoid, bce = ACTIVATIONS["sigmoid"], LOSSES["binary_cross_entropy"]
    o = sigmoid.forward(s)
    assert o[0, 0] == 0.0
    with pytest.raises(ValueError, match="needs every output in"):
        bce.value(o, t)
    assert output_loss(sigmoid, bce, s, o, t) == 800.0
    np.testing.assert_array_equal(output_delta(sigmoid, bce, s, o, t), [[-1.0]])


# -- the pair objects -------------------------------------------------------------------------

SPECIAL_PAIRS = {
    ("softmax", "cross_entropy"): SoftmaxCrossEntropy,
    ("sigmoid", "binary_cross_entropy"): SigmoidBinaryCrossEntropy,
    ("sigmoid", "cross_entropy"): SigmoidCrossEntropy,
    ("softmax", "binary_cross_entropy"): SoftmaxBinaryCrossEntropy,
    ("softplus", "cross_entropy"): SoftplusCrossEntropy,
}


@pytest.mark.parametrize(("activation", "loss"), sorted(VALID_PAIRS))
def test_pair_of_picks_the_pair_by_exact_classes(activation, loss):
    act, lo = ACTIVATIONS[activation], LOSSES[loss]
    pair = pair_of(act, lo)
    assert type(pair) is SPECIAL_PAIRS.get((activation, loss), Pair)
    assert pair.activation is act and pair.loss_fn is lo
    assert pair.fused == ((activation, loss) in FUSED_PAIRS)
    net = Network.from_sizes([2, 3], [activation], loss, rng=0)
    assert type(net.pair) is type(pair) and net.fused == pair.fused
    subclass = type("Sub", (type(act),), {})()
    assert type(pair_of(subclass, lo)) is Pair  # a subclass takes the general chain


@pytest.mark.parametrize(("activation", "loss"), sorted(SPECIAL_PAIRS))
def test_each_pair_object_against_sympy_and_the_general_chain(activation, loss, rng):
    s = rng.uniform(-4.0, 4.0, size=(4, N))
    t = random_targets(loss, rng, s.shape)
    act, lo = ACTIVATIONS[activation], LOSSES[loss]
    o = act.forward(s)
    pair, chain = SPECIAL_PAIRS[(activation, loss)](act, lo), Pair(act, lo)
    value, delta = sympy_loss_and_delta(activation, loss, s, t)
    np.testing.assert_allclose(pair.loss(s, o, t), value, rtol=1e-13)
    np.testing.assert_allclose(pair.delta(s, o, t), delta, rtol=1e-7, atol=1e-15)
    np.testing.assert_allclose(chain.loss(s, o, t), value, rtol=1e-12)
    np.testing.assert_allclose(chain.delta(s, o, t), delta, rtol=1e-7, atol=1e-15)


def test_a_pair_loss_that_overflows_raises():
    act, lo = ACTIVATIONS["softmax"], LOSSES["cross_entropy"]
    s = np.array([[1e308, -1e308]])
    t = np.array([[0.0, 1.0]])
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match="overflows"):
        SoftmaxCrossEntropy(act, lo).loss(s, act.forward(s), t)
