r"""Standalone activations, losses and pairs with integer, saturated and non-finite input.

Integer input is converted to float64 before any arithmetic (``np.exp`` of int8 computes in
float16; ``-np.abs`` and ``s - s.max()`` of unsigned integers wrap around). Non-finite input
is refused with a message naming the argument; an overflow that is the right answer (an
``exp`` that underflows to 0) raises nothing and warns nothing, even under a caller's
``np.seterr(all="raise")``. Expected values are the same calls on float64 input, or written
out here.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from backprop_lib.activations import ACTIVATIONS
from backprop_lib.losses import LOSSES
from backprop_lib.pairs import output_delta, output_loss


def strictly(call):
    """``call()`` with every warning an error and numpy set to raise (a caller's
    ``np.seterr(all="raise")``), the state restored afterwards."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        old = np.seterr(all="raise")
        try:
            return call()
        finally:
            np.seterr(**old)


def refused(call, error, *words):
    with pytest.raises(error) as err:
        strictly(call)
    for word in words:
        assert word in str(err.value), (word, str(err.value))


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int64, np.uint64, bool])
def test_integer_input_is_computed_in_float64(name, dtype):
    values = {np.uint8: [0, 255], np.int8: [-128, 127], bool: [False, True]}.get(
        dtype, [-3, 40] if dtype is np.int64 else [0, 40]
    )
    s = np.array([values], dtype=dtype)
    want = ACTIVATIONS[name].forward(np.array([values], dtype=np.float64))
    got = strictly(lambda: ACTIVATIONS[name].forward(s))
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, want)


def test_unsigned_integers_do_not_wrap():
    sigmoid, softmax = ACTIVATIONS["sigmoid"], ACTIVATIONS["softmax"]
    # sigma(255) rounds to 1; e^{-255} / (1 + e^{-255}) is 1.8e-111, written out
    np.testing.assert_array_equal(
        strictly(lambda: sigmoid.forward(np.uint8([[0, 255]]))), [[0.5, 1.0]]
    )
    o = strictly(lambda: softmax.forward(np.uint8([[0, 255]])))
    np.testing.assert_allclose(o, [[np.exp(-255.0), 1.0]], rtol=1e-14)
    E = strictly(
        lambda: output_loss(
            sigmoid, LOSSES["binary_cross_entropy"], np.uint8([[255]]), [[1.0]], [[1]]
        )
    )
    np.testing.assert_allclose(E, np.log1p(np.exp(-255.0)), rtol=1e-14)  # softplus(-255)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_saturated_input_under_seterr_raise(name):
    s = np.array([[-1000.0, 0.0, 1000.0]])
    activation = ACTIVATIONS[name]
    o = strictly(lambda: activation.forward(s))
    assert np.isfinite(o).all()
    back = strictly(lambda: activation.backward(s, o, np.ones_like(s)))
    assert np.isfinite(back).all()
    if activation.elementwise:
        assert np.isfinite(strictly(lambda: activation.derivative(s))).all()
    assert np.isfinite(strictly(lambda: activation.jacobian(s))).all()
    o_list = strictly(lambda: activation.forward([[-1000, 0, 1000]]))  # list of ints
    np.testing.assert_array_equal(o_list, o)


def test_float16_softmax_whose_shift_overflows():
    o = strictly(lambda: ACTIVATIONS["softmax"].forward(np.float16([[6e4, -6e4]])))
    assert o.dtype == np.float16
    np.testing.assert_array_equal(o, [[1.0, 0.0]])


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_s_is_refused(name, bad):
    refused(
        lambda: ACTIVATIONS[name].forward([[bad, 0.0]]),
        ValueError,
        f"{type(ACTIVATIONS[name]).__name__}.forward: s must be finite",
        "s[0, 0]",
    )


def test_loss_gradients_that_overflow_are_refused():
    refused(
        lambda: LOSSES["squared_error"].gradient([[1e308]], [[-1e308]]),
        FloatingPointError,
        "SquaredError.gradient: dE/do overflows",
    )
    refused(
        lambda: LOSSES["cross_entropy"].gradient([[1e-320]], [[1.0]]),
        FloatingPointError,
        "CrossEntropy.gradient: dE/do overflows",
        "1e-320",
    )


@pytest.mark.parametrize("as_array", [False, True])
def test_a_nan_target_is_named(as_array):
    o, t = [[0.0]], [[np.nan]]
    if as_array:
        o, t = np.array(o), np.array(t)
    for method in ("value", "gradient"):
        refused(
            lambda m=method: getattr(LOSSES["squared_error"], m)(o, t),
            ValueError,
            f"SquaredError.{method}: t must be finite; got nan at t[0, 0]",
        )


@pytest.mark.parametrize("as_array", [False, True])
def test_output_delta_refuses_an_infinite_s(as_array):
    s, o, t = [[np.inf, 0.0]], [[0.5, 0.5]], [[1.0, 0.0]]
    if as_array:
        s, o, t = np.array(s), np.array(o), np.array(t)
    softmax, bce = ACTIVATIONS["softmax"], LOSSES["binary_cross_entropy"]
    refused(
        lambda: output_delta(softmax, bce, s, o, t),
        ValueError,
        "output_delta: s must be finite; got inf at s[0, 0]",
    )


def test_cross_entropy_targets_whose_sum_overflows_are_refused_without_a_warning():
    refused(
        lambda: LOSSES["cross_entropy"].check_targets(np.full((4, 2), 1e308)),
        ValueError,
        "probability vectors",
        "sums to inf",
    )


def test_network_loss_refuses_huge_cross_entropy_targets_without_a_warning():
    from backprop_lib import Network

    net = Network.from_sizes(
        [2, 3, 2], ["sigmoid", "softmax"], "cross_entropy", np.random.default_rng(0)
    )
    before = [(W.copy(), b.copy()) for W, b in net.parameters()]
    refused(
        lambda: net.loss(np.ones((4, 2)), np.full((4, 2), 1e308)),
        ValueError,
        "Network.loss: T rows must be probability vectors",
        "sums to inf",
    )
    for (W, b), (W0, b0) in zip(net.parameters(), before, strict=True):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)
