r"""Tests for backprop_lib.losses.

Each loss is written out in sympy (``tests/helpers.py``; per sample, summed over the units,
then averaged over the batch): its value and :math:`\partial E/\partial o` must match the
library's, and the library's gradient must match five-point central differences of the
library's value.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from helpers import five_point, sympy_loss

from backprop_lib.losses import (
    LOSS_NAMES,
    LOSSES,
    BinaryCrossEntropy,
    CrossEntropy,
    Loss,
    SquaredError,
    SumSquaredError,
    get_loss,
)

RTOL = 1e-7
N_UNITS = 3
_o = sp.symbols(f"o1:{N_UNITS + 1}", real=True)
_t = sp.symbols(f"t1:{N_UNITS + 1}", real=True)
PER_SAMPLE = {name: sympy_loss(name, _o, _t) for name in LOSS_NAMES}


def sympy_value(name, o, t):
    e = sp.lambdify(_o + _t, PER_SAMPLE[name], "math")
    return np.mean([e(*row_o, *row_t) for row_o, row_t in zip(o, t, strict=True)])


def sympy_gradient(name, o, t):
    """dE/do_nk = (1/B) de/do_k at row n."""
    partials = [sp.lambdify(_o + _t, sp.diff(PER_SAMPLE[name], ok), "math") for ok in _o]
    return np.array(
        [[d(*row_o, *row_t) for d in partials] for row_o, row_t in zip(o, t, strict=True)]
    ) / len(o)


@pytest.fixture
def batch(rng):
    """Outputs in (0.05, 0.95) and probability-vector targets (valid for every loss)."""
    o = rng.uniform(0.05, 0.95, size=(5, N_UNITS))
    t = rng.dirichlet(np.ones(N_UNITS), size=5)
    return o, t


def test_registry():
    assert LOSS_NAMES == (
        "squared_error",
        "sum_squared_error",
        "binary_cross_entropy",
        "cross_entropy",
    )
    assert [type(LOSSES[n]) for n in LOSS_NAMES] == [
        SquaredError,
        SumSquaredError,
        BinaryCrossEntropy,
        CrossEntropy,
    ]
    for name, loss in LOSSES.items():
        assert isinstance(loss, Loss) and loss.name == name
        assert get_loss(name) is loss and get_loss(loss) is loss


def test_unknown_names_are_refused_with_the_valid_ones():
    with pytest.raises(ValueError, match=r"'crossentropy' is unknown.*'cross_entropy'"):
        get_loss("crossentropy")
    with pytest.raises(TypeError, match="loss must be a name"):
        get_loss(None)


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_value_matches_sympy(name, batch):
    o, t = batch
    value = LOSSES[name].value(o, t)
    assert isinstance(value, float)
    np.testing.assert_allclose(value, sympy_value(name, o, t), rtol=1e-13)


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_gradient_matches_sympy(name, batch):
    o, t = batch
    gradient = LOSSES[name].gradient(o, t)
    assert gradient.shape == o.shape
    np.testing.assert_allclose(gradient, sympy_gradient(name, o, t), rtol=RTOL, atol=0)


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_gradient_matches_central_differences(name, batch):
    o, t = batch
    loss = LOSSES[name]
    h = 1e-3
    numerical = np.empty_like(o)
    for entry in np.ndindex(o.shape):

        def E(shift, entry=entry):
            shifted = o.copy()
            shifted[entry] += shift
            return loss.value(shifted, t)

        numerical[entry] = five_point(E, 0.0, h)
    np.testing.assert_allclose(loss.gradient(o, t), numerical, rtol=RTOL, atol=0)


def test_the_two_squared_errors_differ_by_a_factor_of_two(batch):
    o, t = batch
    np.testing.assert_allclose(
        LOSSES["sum_squared_error"].value(o, t), 2 * LOSSES["squared_error"].value(o, t)
    )


def test_loss_is_a_batch_mean(batch):
    o, t = batch
    for loss in LOSSES.values():
        per_row = [loss.value(o[[n]], t[[n]]) for n in range(len(o))]
        np.testing.assert_allclose(loss.value(o, t), np.mean(per_row), rtol=1e-14)


def test_binary_cross_entropy_targets_must_lie_in_the_unit_interval():
    bce = LOSSES["binary_cross_entropy"]
    bce.check_targets(np.array([[0.0, 0.3, 1.0]]))
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match=rf"T must lie in \[0, 1\].*got {bad} at T\[0, 1\]"):
            bce.check_targets(np.array([[0.5, bad]]), "T", "here")


def test_cross_entropy_targets_must_be_probability_rows():
    ce = LOSSES["cross_entropy"]
    ce.check_targets(np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5]]))
    ce.check_targets(np.array([[1 / 3, 1 / 3, 1 / 3]], dtype=np.float32))
    with pytest.raises(ValueError, match=r"T rows must be probability vectors.*row 1 sums to 0\.9"):
        ce.check_targets(np.array([[0.0, 1.0], [0.4, 0.5]]), "T", "here")
    with pytest.raises(ValueError, match=r"probability vectors.*got -0\.5 at T\[0, 0\]"):
        ce.check_targets(np.array([[-0.5, 1.5]]), "T", "here")


def test_squared_errors_accept_any_real_targets():
    for name in ("squared_error", "sum_squared_error"):
        LOSSES[name].check_targets(np.array([[-3.0, 7.5]]))


@pytest.mark.parametrize(
    ("name", "o", "bound"),
    [
        ("cross_entropy", [[0.0, 1.0]], r"min\(o\) = 0"),
        ("binary_cross_entropy", [[0.5, 1.0]], r"max\(o\) = 1"),
        ("binary_cross_entropy", [[0.0, 0.5]], r"min\(o\) = 0"),
    ],
)
def test_outputs_outside_the_domain_are_refused_on_their_own(name, o, bound):
    loss = LOSSES[name]
    t = np.array([[0.5, 0.5]])
    for method in (loss.value, loss.gradient):
        with pytest.raises(ValueError, match=rf"{name} takes ln.*{bound}.*pre-activations s"):
            method(np.array(o), t)


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_shapes_must_match(name):
    loss = LOSSES[name]
    with pytest.raises(ValueError, match=r"same shape.*o.shape = \(2, 3\) and t.shape = \(2, 2\)"):
        loss.value(np.full((2, 3), 0.5), np.full((2, 2), 0.5))
    with pytest.raises(ValueError, match=r"same shape.*o.shape = \(3,\)"):
        loss.gradient(np.full(3, 0.5), np.full(3, 0.5))


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_float32_stays_float32(name, batch):
    o, t = (a.astype(np.float32) for a in batch)
    assert LOSSES[name].gradient(o, t).dtype == np.float32


def test_repr():
    assert repr(LOSSES["cross_entropy"]) == "CrossEntropy()"
