"""Tests for backprop_lib.gradcheck: it agrees with correct backprop, catches planted bugs,
handles gradients near zero, never modifies the network and refuses bad arguments."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_layer_state, layer_state

from backprop_lib import Dense, Network, Sigmoid, SquaredError, gradient_check, numerical_gradient


@pytest.fixture
def problem(rng):
    net = Network.from_sizes([3, 4, 2], ["tanh", "softmax"], "cross_entropy", rng=rng)
    for layer in net.layers:
        layer.b = rng.normal(size=layer.n_out)
    X = rng.normal(size=(5, 3))
    T = np.eye(2)[[0, 1, 1, 0, 1]]
    return net, X, T


def test_correct_backprop_gives_a_tiny_error(problem):
    assert gradient_check(*problem) < 1e-7


def test_numerical_gradient_matches_backprop(problem):
    net, X, T = problem
    gradients = net.copy().backward(X, T)
    for index, (dW, db) in enumerate(gradients):
        numerical_W = numerical_gradient(net, X, T, index, "W")
        assert numerical_W.shape == dW.shape
        np.testing.assert_allclose(numerical_W, dW, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(
            numerical_gradient(net, X, T, net.layers[index], "b", eps=1e-5),
            db,
            rtol=1e-6,
            atol=1e-9,
        )


def test_numerical_gradient_by_hand():
    """E = 1/2 (w x - t)^2 for one linear unit: dE/dw = (w x - t) x."""
    net = Network([Dense.from_arrays([[2.0]], [0.0], "linear")], "squared_error")
    np.testing.assert_allclose(
        numerical_gradient(net, [[3.0]], [[1.0]], 0, "W"), [[15.0]], rtol=1e-9
    )


def test_the_network_is_left_exactly_as_it_was(problem):
    net, X, T = problem
    net.backward(X[:2], T[:2])  # stored values from another batch
    before = layer_state(net)
    gradient_check(net, X, T)
    numerical_gradient(net, X, T, 1, "W")
    assert_layer_state(before, net)


class WrongSigmoid(Sigmoid):
    """Swinn's erratum: sigma'(z) = z (1 - z), applied to the pre-activation."""

    def backward(self, s, o, grad_o):
        return grad_o * s * (1.0 - s)


class LossWithoutMean(SquaredError):
    """A classic bug: forgetting the 1/B of the batch mean in the gradient."""

    def gradient(self, o, t):
        return o - t


def test_planted_bugs_are_caught(rng):
    X, T = rng.normal(size=(4, 3)), rng.uniform(size=(4, 2))
    hidden = Dense(3, 4, WrongSigmoid(), rng=1)
    buggy = Network([hidden, Dense(4, 2, "sigmoid", rng=2)], "squared_error")
    assert gradient_check(buggy, X, T) > 1e-2
    no_mean = Network.from_sizes([3, 4, 2], ["tanh", "linear"], LossWithoutMean(), rng=3)
    assert gradient_check(no_mean, X, T) > 0.5


def test_gradients_near_zero_do_not_give_spurious_errors(rng):
    """A saturated hidden unit (s ~ 30) has incoming-weight gradients ~1e-13, below the
    rounding noise of central differences (~1e-10); the floor keeps the check meaningful."""
    net = Network.from_sizes([2, 3, 1], ["sigmoid", "sigmoid"], "binary_cross_entropy", rng=rng)
    net.layers[0].b = np.array([30.0, 0.0, -30.0])
    X, T = rng.normal(size=(3, 2)), np.array([[1.0], [0.0], [1.0]])
    gradients = net.copy().backward(X, T)
    assert np.abs(gradients[0][0][:, 0]).max() < 1e-11
    assert gradient_check(net, X, T) < 1e-7
    dead = Network.from_sizes([2, 3, 1], ["relu", "sigmoid"], "binary_cross_entropy", rng=rng)
    dead.layers[0].b = np.array([-50.0, 0.1, 0.2])  # unit 0 never fires: gradient exactly 0
    assert gradient_check(dead, X, T) < 1e-7


def test_float32_networks_are_refused(problem):
    net, X, T = problem
    net32 = net.astype(np.float32)
    with pytest.raises(
        TypeError,
        match=r"gradient_check: net computes in float32; central differences need float64"
        r".*astype\(np.float64\)",
    ):
        gradient_check(net32, X, T)
    with pytest.raises(TypeError, match=r"numerical_gradient: net computes in float32"):
        numerical_gradient(net32, X, T, 0, "W")
    assert gradient_check(net32.astype(np.float64), X, T) < 1e-6


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"layer": 2}, ValueError, r"layer must be an index into net.layers, 0 to 1 .*got 2"),
        ({"layer": -1}, ValueError, r"0 to 1 .*got -1"),
        ({"layer": "0"}, TypeError, r"layer must be an index .* got '0'"),
        ({"layer": Dense(3, 4, rng=0)}, ValueError, r"is not one of net.layers"),
        ({"name": "w"}, ValueError, r"name must be 'W' or 'b'; got 'w'"),
        ({"eps": 0.0}, ValueError, r"eps must be a positive finite number; got 0.0"),
        ({"eps": "small"}, TypeError, r"eps must be a positive finite number; got 'small'"),
    ],
)
def test_numerical_gradient_refuses_bad_arguments(problem, kwargs, error, pattern):
    net, X, T = problem
    before = layer_state(net)
    arguments = {"layer": 0, "name": "W", "eps": 1e-6, **kwargs}
    with pytest.raises(error, match=pattern):
        numerical_gradient(net, X, T, **arguments)
    assert_layer_state(before, net)


def test_gradient_check_refuses_bad_arguments(problem):
    net, X, T = problem
    with pytest.raises(TypeError, match=r"gradient_check: net must be a Network; got"):
        gradient_check(net.layers[0], X, T)
    with pytest.raises(
        ValueError, match=r"gradient_check: eps must be a positive finite number; got -1"
    ):
        gradient_check(net, X, T, eps=-1e-6)
    with pytest.raises(ValueError, match=r"gradient_check: X must have 3 columns"):
        gradient_check(net, X[:, :2], T)
