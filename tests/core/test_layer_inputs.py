"""Bad input to a standalone activation or layer: a clear error, no warning, nothing changed.

Two defects, fixed: a float array holding NaN or inf passed straight to an activation's
``forward``, ``derivative``, ``jacobian`` or ``backward`` came back as NaN (or as a finite
number computed from an inf) without a word, and ``Dense.forward`` / ``Dense.backward`` with
an input of the wrong width stopped in numpy's matmul. Every refused call here must raise
the library's error (naming the function, the argument, what was given and what is valid),
emit no numpy warning and leave the layer and the caller's arrays as they were.

Inside a :class:`~backprop_lib.Network` a non-finite ``s`` is not a bad argument but an
overflow, which the network reports itself (``FloatingPointError``, which the divergence
guard of ``fit`` relies on): the last tests check that this did not change.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from backprop_lib import (
    ACTIVATIONS,
    BatchNorm,
    Conv2D,
    Dense,
    Embedding,
    LayerNorm,
    Network,
    Residual,
)

NON_FINITE = [np.nan, np.inf, -np.inf]
DENSE_ARRAYS = ("W", "b", "o_prev", "s", "o", "delta", "dW", "db")


def refused(call, error, pattern):
    """Run ``call``; assert it raises ``error`` matching ``pattern`` and warns nothing."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(error, match=pattern):
            call()
    assert [str(w.message) for w in caught] == []


def snapshot(obj, names):
    """Copies of the arrays ``obj`` holds under ``names`` (None stays None)."""
    return {n: None if getattr(obj, n) is None else np.copy(getattr(obj, n)) for n in names}


def assert_unchanged(before, obj):
    for name, value in before.items():
        now = getattr(obj, name)
        if value is None:
            assert now is None, name
        else:
            np.testing.assert_array_equal(now, value, err_msg=name)
            assert now.dtype == value.dtype, name


# -- activations -------------------------------------------------------------------------


def with_entry(value, dtype=np.float64, shape=(2, 3)):
    """A finite array of ``shape`` and ``dtype`` with ``value`` at [1, 2]."""
    array = np.linspace(-1.0, 1.0, np.prod(shape)).reshape(shape).astype(dtype)
    array[1, 2] = value
    return array


def shown(value) -> str:
    """How numpy prints ``value`` in the message (nan, inf, -inf)."""
    return re.escape(str(np.float64(value)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_forward_and_jacobian_refuse_a_non_finite_float_array(name, value, dtype):
    activation = ACTIVATIONS[name]
    cls = type(activation).__name__
    s = with_entry(value, dtype)
    kept = s.copy()
    methods = ["forward", "jacobian"] + (["derivative"] if activation.elementwise else [])
    for method in methods:
        refused(
            lambda m=method: getattr(activation, m)(s),
            ValueError,
            rf"^{cls}\.{method}: s must be finite; got {shown(value)} at s\[1, 2\]\.$",
        )
    np.testing.assert_array_equal(s, kept)  # the caller's array untouched


@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize("argument", ["s", "o", "grad_o"])
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_backward_refuses_a_non_finite_float_array(name, argument, value):
    activation = ACTIVATIONS[name]
    cls = type(activation).__name__
    arrays = {"s": with_entry(0.5), "o": with_entry(0.5), "grad_o": with_entry(0.5)}
    arrays[argument] = with_entry(value)
    kept = {k: v.copy() for k, v in arrays.items()}
    refused(
        lambda: activation.backward(**arrays),
        ValueError,
        rf"^{cls}\.backward: {argument} must be finite; got {shown(value)} at "
        rf"{argument}\[1, 2\]\.$",
    )
    for key, value_kept in kept.items():
        np.testing.assert_array_equal(arrays[key], value_kept)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_finite_float_arrays_are_still_accepted_as_they_are(name):
    """The check refuses nothing finite: the public call equals the unchecked maths."""
    activation = ACTIVATIONS[name]
    s = np.array([[-800.0, 0.0, 3.5], [1e-300, 700.0, -2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(activation.forward(s), activation.f(s))
        g = np.ones_like(s)
        o = activation.f(s)
        np.testing.assert_array_equal(activation.backward(s, o, g), activation.delta(s, o, g))


# -- Dense -------------------------------------------------------------------------------


@pytest.fixture
def dense():
    """A Dense(3, 2) that has run forward and backward, so stored values exist."""
    layer = Dense(3, 2, "tanh", rng=0)
    layer.forward(np.array([[0.1, 0.2, 0.3], [-0.4, 0.5, 0.6]]))
    layer.backward(np.array([[1.0, -1.0], [0.5, 0.25]]))
    return layer


FORWARD = r"forward: o_prev must "
BACKWARD = r"backward: grad_o must "
# a call on the fixture's layer, the error and its message after "Dense."
CASES = {
    "forward, too narrow": (lambda d: d.forward(np.ones((2, 2))), ValueError,
        FORWARD + r"have 3 columns, shape \(batch, 3\); got shape \(2, 2\)\.$"),
    "forward, too wide": (lambda d: d.forward(np.ones((4, 5))), ValueError,
        FORWARD + r"have 3 columns, shape \(batch, 3\); got shape \(4, 5\)\.$"),
    "forward, one sample 1-D": (lambda d: d.forward(np.ones(3)), ValueError,
        FORWARD + r"be a 2-D array of shape \(batch, 3\).*pass o_prev\[None, :\]"),
    "forward, 3-D": (lambda d: d.forward(np.ones((1, 2, 3))), ValueError,
        FORWARD + r"be a 2-D array of shape \(batch, 3\)"),
    "forward, empty batch": (lambda d: d.forward(np.ones((0, 3))), ValueError,
        r"forward: o_prev is an empty batch"),
    "forward, nan": (lambda d: d.forward(with_entry(np.nan)), ValueError,
        FORWARD + r"be finite; got nan at o_prev\[1, 2\]\.$"),
    "forward, inf float32": (lambda d: d.forward(with_entry(np.inf, np.float32)), ValueError,
        FORWARD + r"be finite; got inf at o_prev\[1, 2\]\.$"),
    "forward, text": (lambda d: d.forward([["a", "b", "c"]]), TypeError,
        FORWARD + r"hold real numbers"),
    "forward, W replaced": (lambda d: d.forward(np.ones((1, 3))), ValueError,
        r"forward: self\.W must have shape \(3, 2\)"),
    "backward, too narrow": (lambda d: d.backward(np.ones((2, 1))), ValueError,
        BACKWARD + r"have 2 columns, shape \(batch, 2\); got shape \(2, 1\)\.$"),
    "backward, too wide": (lambda d: d.backward(np.ones((2, 3))), ValueError,
        BACKWARD + r"have 2 columns, shape \(batch, 2\); got shape \(2, 3\)\.$"),
    "backward, other batch": (lambda d: d.backward(np.ones((5, 2))), ValueError,
        BACKWARD + r"have the shape of the last output o, \(2, 2\).*got shape \(5, 2\)"),
    "backward, 1-D": (lambda d: d.backward(np.ones(2)), ValueError,
        BACKWARD + r"be a 2-D array of shape \(batch, 2\)"),
    "backward, nan": (lambda d: d.backward(with_entry(np.nan)[:, 1:]), ValueError,
        BACKWARD + r"be finite; got nan at grad_o\[1, 1\]\.$"),
    "backward, -inf": (lambda d: d.backward(with_entry(-np.inf)[:, 1:]), ValueError,
        BACKWARD + r"be finite; got -inf at grad_o\[1, 1\]\.$"),
    "backward, below not a bool": (lambda d: d.backward(np.ones((2, 2)), below="no"), TypeError,
        r"backward: below must be True or False; got 'no' \(type str\)\.$"),
    "backward_delta, wrong shape": (lambda d: d.backward_delta(np.ones((2, 3))), ValueError,
        r"backward_delta: delta must be an array of the shape of the last s, \(2, 2\) "
        r"\(batch, n_out\); got an array of shape \(2, 3\)"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_dense_forward_and_backward_refuse_bad_input(dense, case):
    call, error, pattern = CASES[case]
    if case == "forward, W replaced":
        dense.W = np.ones((2, 2))  # by hand, of another shape
    before = snapshot(dense, DENSE_ARRAYS)
    refused(lambda: call(dense), error, rf"^Dense\.{pattern}")
    assert_unchanged(before, dense)


def test_dense_backward_before_forward_says_what_to_call_first():
    layer = Dense(3, 2, rng=0)
    before = snapshot(layer, DENSE_ARRAYS)
    refused(
        lambda: layer.backward(np.ones((2, 2))),
        RuntimeError,
        r"^Dense\.backward: call forward\(o_prev\) before backward\(grad_o\)\.$",
    )
    assert_unchanged(before, layer)


def test_dense_forward_and_backward_equal_the_hand_computation(dense):
    """The checked calls compute what they did: s = o_prev W + b, o = tanh(s),
    dW = o_prev^T (g * (1 - o^2)), db = sum of rows, dE/do_prev = delta W^T (by hand)."""
    W, b = dense.W.copy(), dense.b.copy()
    x = np.array([[1.0, 2.0, -1.0]])
    o = dense.forward([[1, 2, -1]])  # integers converted to the layer's dtype
    np.testing.assert_allclose(o, np.tanh(x @ W + b), rtol=1e-15)
    g = np.array([[0.3, -0.7]])
    delta = g * (1.0 - np.tanh(x @ W + b) ** 2)
    np.testing.assert_allclose(dense.backward(g), delta @ W.T, rtol=1e-13)
    np.testing.assert_allclose(dense.dW, x.T @ delta, rtol=1e-13)
    np.testing.assert_allclose(dense.db, delta.sum(axis=0), rtol=1e-13)


# -- the other layers (checked before this change: kept so) ------------------------------


def test_other_layers_refuse_an_input_of_the_wrong_width():
    cases = [
        (Conv2D(2, 3, 2, rng=0), np.ones((1, 3, 4, 4)), r"x must have 2 channels"),
        (BatchNorm(3), np.ones((4, 2)), r"x must have shape \(batch, 3\)"),
        (LayerNorm(3), np.ones((4, 2)), r"x must have shape \(batch, \.\.\., 3\)"),
        (Embedding(5, 2, rng=0), np.array([[7]]), r"x must hold token ids in \[0, 5\)"),
        (Residual([Dense(3, 3, rng=0)]), np.ones((4, 2)), r".*needs inputs of shape \(batch, 3\)"),
    ]
    for layer, x, pattern in cases:
        where = rf"^{type(layer).__name__}\.forward: "
        refused(lambda layer=layer, x=x: layer.forward(x), ValueError, where + pattern)


# -- inside a network an overflow is still an overflow -----------------------------------


def overflowing_relu_net():
    """A ReLU hidden layer whose s overflows to inf for X = 1e300 (finite data)."""
    hidden = Dense.from_arrays(np.full((1, 2), 1e300), np.zeros(2), "relu")
    out = Dense.from_arrays(np.full((2, 1), 1e300), np.zeros(1), "linear")
    return Network([hidden, out], "squared_error"), np.array([[1e300]]), np.array([[0.0]])


def test_an_overflow_inside_a_network_is_a_floating_point_error_not_a_bad_argument():
    net, X, T = overflowing_relu_net()
    for call in (lambda: net.forward(X), lambda: net.backward(X, T)):
        refused(call, FloatingPointError, r"^Network\.(forward|backward): .*overflowed")


def test_fit_still_reports_an_overflow_as_divergence_and_keeps_the_weights():
    net, X, T = overflowing_relu_net()
    W = [layer.W.copy() for layer in net.layers]
    refused(
        lambda: net.fit(X, T, epochs=1, lr=0.1, batch_size=1, rng=0),
        FloatingPointError,
        r"^Network\.fit: ",
    )
    for layer, kept in zip(net.layers, W, strict=True):
        np.testing.assert_array_equal(layer.W, kept)


def test_an_overflow_inside_a_residual_block_is_a_floating_point_error_too():
    """The inner Dense layers of a Residual run unchecked inside a network as well (its
    backward is not tested here: a Layer's backward refuses a non-finite gradient from
    above with a ValueError, before and after this change)."""
    inner = [
        Dense.from_arrays(np.full((1, 1), 1e300), np.zeros(1), "relu"),
        Dense.from_arrays(np.full((1, 1), 1e300), np.zeros(1), "linear"),
    ]
    out = Dense.from_arrays(np.ones((1, 1)), np.zeros(1), "linear")
    net = Network([Residual(inner), out], "squared_error")
    refused(lambda: net.forward(np.array([[1e300]])), FloatingPointError, r"^Network\.forward: ")
