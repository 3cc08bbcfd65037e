"""Tests for backprop_lib.layers.Dense: shapes, initialisation, the forward pass and its
stored values, the backward pass against central differences, and the refused arguments."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import central_difference, numpy_outputs, sigmoid

from backprop_lib.activations import ACTIVATION_NAMES, ACTIVATIONS
from backprop_lib.layers import Dense


def test_shapes_and_initial_state():
    layer = Dense(4, 3, "tanh", rng=0)
    assert (layer.n_in, layer.n_out) == (4, 3)
    assert layer.W.shape == (4, 3) and layer.b.shape == (3,)
    assert layer.W.dtype == layer.b.dtype == np.float64
    assert layer.activation is ACTIVATIONS["tanh"]
    np.testing.assert_array_equal(layer.b, 0.0)
    for name in ("o_prev", "s", "o", "delta", "dW", "db"):
        assert getattr(layer, name) is None
    assert layer.n_parameters == 15


@pytest.mark.parametrize("activation", [a for a in ACTIVATION_NAMES if a != "relu"])
def test_glorot_uniform_initialisation(activation):
    layer = Dense(300, 200, activation, rng=1)
    a = np.sqrt(6.0 / 500)
    assert np.all(np.abs(layer.W) <= a)
    # U(-a, a) has variance a^2 / 3; 60,000 draws pin it to within a few percent
    np.testing.assert_allclose(layer.W.var(), a**2 / 3, rtol=0.03)


def test_he_initialisation_for_relu():
    layer = Dense(400, 300, "relu", rng=2)
    np.testing.assert_allclose(layer.W.std(), np.sqrt(2.0 / 400), rtol=0.02)
    assert abs(layer.W.mean()) < 0.01 * np.sqrt(2.0 / 400) * 10


def test_same_seed_same_weights_and_float32_is_the_rounded_float64():
    a = Dense(5, 4, rng=np.random.default_rng(7))
    b = Dense(5, 4, rng=7)
    np.testing.assert_array_equal(a.W, b.W)
    c = Dense(5, 4, rng=7, dtype=np.float32)
    assert c.W.dtype == c.b.dtype == np.float32
    np.testing.assert_array_equal(c.W, a.W.astype(np.float32))
    assert not np.array_equal(Dense(5, 4, rng=8).W, a.W)


def test_a_generator_advances():
    rng = np.random.default_rng(3)
    first, second = Dense(3, 3, rng=rng), Dense(3, 3, rng=rng)
    assert not np.array_equal(first.W, second.W)


def test_forward_stores_its_input_and_outputs(rng):
    layer = Dense(3, 2, "sigmoid", rng=rng)
    layer.b = rng.normal(size=2)
    X = rng.normal(size=(5, 3))
    o = layer.forward(X)
    # s_ni = sum_j x_nj w_ji + b_i, written out as sums
    s = np.array(
        [
            [sum(X[n, j] * layer.W[j, i] for j in range(3)) + layer.b[i] for i in range(2)]
            for n in range(5)
        ]
    )
    np.testing.assert_allclose(layer.s, s, rtol=1e-14)
    np.testing.assert_allclose(o, sigmoid(s), rtol=1e-14)
    assert layer.o is o and layer.o_prev is X


def test_from_arrays_copies_and_keeps_the_dtype():
    W = np.arange(6.0).reshape(3, 2)
    b = np.array([1.0, -1.0])
    layer = Dense.from_arrays(W, b, "linear")
    np.testing.assert_array_equal(layer.W, W)
    W[0, 0] = 99.0
    assert layer.W[0, 0] == 0.0
    np.testing.assert_array_equal(layer.forward(np.array([[1.0, 1.0, 1.0]])), [[7.0, 8.0]])
    assert Dense.from_arrays(W.astype(np.float32), b, "linear").dtype == np.float32
    assert Dense.from_arrays([[1, 2]], [0, 0], "linear").dtype == np.float64


def test_repr():
    assert repr(Dense(784, 64, rng=0)) == "Dense(784, 64, activation='sigmoid')"
    assert (
        repr(Dense(64, 10, "softmax", rng=0, dtype=np.float32))
        == "Dense(64, 10, activation='softmax', dtype=np.float32)"
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"n_in": 0}, ValueError, r"Dense: n_in must be a positive integer \(>= 1\); got 0"),
        ({"n_out": -2}, ValueError, r"n_out must be a positive integer \(>= 1\); got -2"),
        ({"n_in": 2.0}, TypeError, r"n_in must be a positive integer; got 2\.0 \(type float\)"),
        ({"n_in": True}, TypeError, r"n_in must be a positive integer; got True"),
        ({"activation": "sigmod"}, ValueError, r"'sigmod' is unknown; valid names are 'sigmoid'"),
        ({"activation": None}, TypeError, r"activation must be a name"),
        ({"dtype": np.float16}, TypeError, r"dtype must be np.float64 or np.float32; got"),
        ({"dtype": "int64"}, TypeError, r"dtype must be np.float64 or np.float32"),
        ({"rng": "seed"}, TypeError, r"rng must be a numpy.random.Generator .* got 'seed'"),
        ({"rng": -1}, ValueError, r"rng must be a non-negative seed; got -1"),
        (
            {"n_out": 1, "activation": "softmax"},
            ValueError,
            r"softmax over n_out = 1 unit always outputs 1",
        ),
    ],
)
def test_bad_arguments_are_refused(kwargs, error, pattern):
    arguments = {"n_in": 3, "n_out": 2, "activation": "sigmoid", "rng": 0, **kwargs}
    with pytest.raises(error, match=pattern):
        Dense(**arguments)


def test_from_arrays_refuses_bad_shapes():
    with pytest.raises(ValueError, match=r"W must be a 2-D array .* shape \(3,\)"):
        Dense.from_arrays(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"b must be a 1-D array .* of shape \(2,\)"):
        Dense.from_arrays(np.ones((3, 2)), np.ones(3))
    with pytest.raises(
        ValueError,
        match=r"Dense\.from_arrays: W must be finite; got nan at "
        r"W\[0, 0\]",
    ):
        Dense.from_arrays(np.full((3, 2), np.nan), np.ones(2))


def test_check_parameters_catches_hand_made_mistakes():
    layer = Dense(3, 2, rng=0)
    layer.check_parameters("here", "layer")
    layer.W = np.ones((2, 3))
    with pytest.raises(
        ValueError, match=r"here: layer.W must have shape \(3, 2\).*got shape \(2, 3\)"
    ):
        layer.check_parameters("here", "layer")
    layer.W = np.ones((3, 2), dtype=np.float32)
    with pytest.raises(
        TypeError, match=r"layer.W has dtype float32, but the layer computes in float64"
    ):
        layer.check_parameters("here", "layer")
    layer.W = [[1.0, 2.0]] * 3
    with pytest.raises(TypeError, match=r"layer.W must be a numpy array"):
        layer.check_parameters("here", "layer")
    layer.W = np.ones((3, 2))
    layer.b = np.array([0.0, np.inf])
    with pytest.raises(ValueError, match=r"layer.b contains NaN or inf"):
        layer.check_parameters("here", "layer")


# -- backward, against central differences of a numpy reference -------------------------------


def _layer_loss(activation, o_prev, W, b, G):
    """A scalar whose gradient with respect to the layer's output is G: E = sum(G * o), with
    o = f(o_prev W + b) written out in numpy (tests/helpers.py), not the library's."""
    return float(np.sum(G * numpy_outputs(activation, o_prev @ W + b)))


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_backward_against_central_differences(activation, rng):
    layer = Dense(4, 3, activation, rng=rng)
    layer.b = rng.normal(size=3)
    o_prev = rng.normal(size=(5, 4))
    G = rng.normal(size=(5, 3))  # dE/do^l, as the layer above would pass it
    layer.forward(o_prev)
    grad_below = layer.backward(G)

    def E(**kw):
        args = {"o_prev": o_prev, "W": layer.W, "b": layer.b} | kw
        return _layer_loss(activation, args["o_prev"], args["W"], args["b"], G)

    s = o_prev @ layer.W + layer.b
    assert np.abs(s).min() > 1e-3  # away from ReLU's kink, so differences are exact there
    delta = central_difference(lambda s_: float(np.sum(G * numpy_outputs(activation, s_))), s)
    np.testing.assert_allclose(layer.delta, delta, rtol=1e-6, atol=1e-9, err_msg="delta")
    np.testing.assert_allclose(
        layer.dW, central_difference(lambda W: E(W=W), layer.W), rtol=1e-6, atol=1e-9, err_msg="dW"
    )
    np.testing.assert_allclose(
        layer.db, central_difference(lambda b: E(b=b), layer.b), rtol=1e-6, atol=1e-9, err_msg="db"
    )
    np.testing.assert_allclose(
        grad_below,
        central_difference(lambda o: E(o_prev=o), o_prev),
        rtol=1e-6,
        atol=1e-9,
        err_msg="dE/do^{l-1}",
    )


def test_backward_delta_starts_from_a_given_delta_and_can_skip_the_layer_below(rng):
    layer = Dense(3, 2, "sigmoid", rng=rng)
    o_prev = rng.normal(size=(4, 3))
    layer.forward(o_prev)
    delta = rng.normal(size=(4, 2))
    below = layer.backward_delta(delta)
    assert layer.delta is delta
    # E = sum(delta * s) has dE/ds = delta: its gradients by central differences
    np.testing.assert_allclose(
        layer.dW,
        central_difference(lambda W: float(np.sum(delta * (o_prev @ W))), layer.W),
        rtol=1e-7,
    )
    np.testing.assert_allclose(layer.db, delta.sum(axis=0), rtol=1e-15)
    np.testing.assert_allclose(
        below, central_difference(lambda o: float(np.sum(delta * (o @ layer.W))), o_prev), rtol=1e-7
    )
    dW = layer.dW.copy()
    assert layer.backward_delta(delta, below=False) is None
    np.testing.assert_array_equal(layer.dW, dW)


def test_outputs_is_the_forward_pass_without_storing(rng):
    layer = Dense(3, 4, "softmax", rng=rng)
    o_prev = rng.normal(size=(2, 3))
    s, o = layer.outputs(o_prev)
    assert layer.o_prev is None and layer.s is None and layer.o is None
    np.testing.assert_allclose(o, numpy_outputs("softmax", o_prev @ layer.W + layer.b), rtol=1e-13)
    np.testing.assert_array_equal(layer.forward(o_prev), o)
    np.testing.assert_array_equal(layer.s, s)
