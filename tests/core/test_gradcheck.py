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

    def delta(self, s, o, grad_o):
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


def test_gradients_below_the_resolution_are_unverified_not_certified(rng):
    """A saturated hidden unit (s ~ 30) has incoming-weight gradients ~1e-13, below the
    rounding noise of central differences (~1e-10): neither a false alarm nor a certificate;
    those entries are reported as unverified and the verdict is "incomplete"."""
    net = Network.from_sizes([2, 3, 1], ["sigmoid", "sigmoid"], "binary_cross_entropy", rng=rng)
    net.layers[0].b = np.array([30.0, 0.0, -30.0])
    X, T = rng.normal(size=(3, 2)), np.array([[1.0], [0.0], [1.0]])
    dW, db = net.copy().backward(X, T)[0]
    check = gradient_check(net, X, T)
    assert check.verdict == "incomplete" and not check.correct
    assert np.isnan(check) and not check < 1e-7 and not check > 1e-2
    # the unverified entries: the saturated units' weights and biases (units 0 and 2) and
    # the weight leaving unit 2 (its output is ~1e-13): only entries below ~u |E| / eps
    W1, b1, W2 = check.parameters[:3]
    assert (W1.label, b1.label) == ("layers[0].W", "layers[0].b")
    np.testing.assert_array_equal(W1.verified_mask, np.abs(dW) > 1e-8)
    np.testing.assert_array_equal(b1.verified_mask, np.abs(db) > 1e-8)
    assert np.abs(dW[:, [0, 2]]).max() < 1e-11 and W1.unverified == 4 and b1.unverified == 2
    assert list(W2.verified_mask.ravel()) == [True, True, False]
    assert check.worst < 1e-7 and check.verified == check.entries - 7
    assert "layers[0].W 4 of 6, layers[0].b 2 of 3, layers[1].W 1 of 3." in str(check)
    assert "certify nothing" in str(check)
    dead = Network.from_sizes([2, 3, 1], ["relu", "sigmoid"], "binary_cross_entropy", rng=rng)
    dead.layers[0].b = np.array([-50.0, 0.1, 0.2])  # unit 0 never fires: gradient exactly 0
    check = gradient_check(dead, X, T)
    assert check.verdict == "incomplete"
    assert not check.parameters[0].verified_mask[:, 0].any()  # the dead unit's weights
    assert not check.parameters[2].verified_mask[0].any()  # and the weight leaving it


class FlippedFirstLayer(Dense):
    """A planted bug: the whole gradient of this layer (dW and db) with the wrong sign."""

    def backward_delta(self, delta, below=True):
        grad = super().backward_delta(delta, below)
        self.dW, self.db = -self.dW, -self.db
        return grad


def deep_sigmoid(depth, flip=False, seed=0):
    """The issue's network: ``depth`` sigmoid layers of width 8, squared error, 4 samples."""
    rng = np.random.default_rng(seed)
    net = Network.from_sizes([8] * (depth + 1), ["sigmoid"] * depth, "squared_error", rng=rng)
    X, T = rng.normal(size=(4, 8)), rng.uniform(size=(4, 8))
    if flip:
        first = FlippedFirstLayer(8, 8, "sigmoid", rng=0)
        first.W, first.b = net.layers[0].W.copy(), net.layers[0].b.copy()
        net = Network([first, *net.layers[1:]], "squared_error")
    return net, X, T


def old_floor_error(check):
    """The check this module replaced: r = |a - n| / max(|a|, |n|, 1e-2 max(1, |E|))."""
    return max(
        float(
            (
                np.abs(p.analytic - p.numerical)
                / np.maximum(np.maximum(np.abs(p.analytic), np.abs(p.numerical)), check.floor)
            ).max()
        )
        for p in check.parameters
    )


@pytest.mark.parametrize("depth", [4, 8, 12, 16, 20])
def test_a_sign_flip_of_the_first_layer_is_never_certified(depth):
    net, X, T = deep_sigmoid(depth, flip=True)
    check = gradient_check(net, X, T)
    assert not check.correct and not check <= 1e-7, str(check)
    first = check.parameters[:2]
    if check.verdict != "wrong":  # not caught: then the flipped entries certify nothing
        assert check.verdict == "incomplete" and np.isnan(check)
        assert all(p.verified == 0 for p in first), str(check)
    else:
        assert check > 1.0  # a sign flip: r_rho near 2 on the entries that show it
    # the flipped entries that are verified are all caught
    for p in first:
        assert np.all(p.error[p.verified_mask] > 1.0)


@pytest.mark.parametrize("depth", [4, 8, 12, 16, 20])
def test_a_correct_deep_gradient_is_certified_on_every_resolvable_entry(depth):
    net, X, T = deep_sigmoid(depth)
    check = gradient_check(net, X, T)
    assert check.verdict in ("correct", "incomplete"), str(check)
    for p in check.parameters:
        assert p.disagreeing == 0
        # a verified entry's r stays within its relative resolution rho / max(|a|, |n|)
        size = np.maximum(np.abs(p.analytic), np.abs(p.numerical))[p.verified_mask]
        assert np.all(p.relative[p.verified_mask] <= p.resolution[p.verified_mask] / size)
    if depth <= 8:
        assert check.correct and check <= 1e-7
    # the unverified entries are those whose derivative is below 10 times the resolution,
    # measured against backprop's gradient (the tests of Network check it is right)
    for p, (dW, _) in zip(check.parameters[::2], net.copy().backward(X, T), strict=True):
        assert np.all(np.abs(dW[~p.verified_mask]) < 11 * p.resolution[~p.verified_mask])


@pytest.mark.parametrize(("depth", "verdict"), [(4, "wrong"), (8, "wrong"), (16, "correct")])
def test_the_old_floor_certified_the_sign_flip_at_depth_16(depth, verdict):
    """The failure this design fixes, reconstructed: the floor 1e-2 max(1, |E|) of the old
    check scored the sign flip at depth 16 below 1e-7, "correct"."""
    net, X, T = deep_sigmoid(depth, flip=True)
    check = gradient_check(net, X, T)
    check.floor = 1e-2 * max(1.0, net.loss(X, T))
    old = old_floor_error(check)
    assert (old <= 1e-7) == (verdict == "correct"), old


def random_problem(rng, activations, loss):
    sizes = [int(rng.integers(2, 6)) for _ in range(len(activations) + 1)]
    net = Network.from_sizes(sizes, activations, loss, rng=rng)
    for layer in net.layers:
        layer.b = rng.normal(size=layer.n_out) * rng.choice([0.1, 1.0, 3.0])
    B = int(rng.integers(1, 9))
    X = rng.normal(size=(B, sizes[0])) * rng.choice([0.1, 1.0, 5.0])
    if loss == "cross_entropy":
        T = np.eye(sizes[-1])[rng.integers(0, sizes[-1], B)]
    else:
        T = rng.uniform(size=(B, sizes[-1]))
    return net, X, T


@pytest.mark.parametrize("eps", [1e-8, 1e-6, 1e-5])
def test_the_resolution_bounds_the_gap_with_a_margin(rng, eps):
    """On correct gradients |a - n| stays below a third of rho: the rounding bound
    ROUNDING = 32 is 4 times the largest rounding factor k measured (about 8), and the
    truncation term is measured, so a correct gradient is never called wrong."""
    cases = [
        (["sigmoid", "sigmoid"], "squared_error"),
        (["tanh", "softmax"], "cross_entropy"),
        (["tanh", "tanh", "sigmoid"], "binary_cross_entropy"),
        (["sigmoid", "linear"], "squared_error"),
    ]
    for trial in range(24):
        net, X, T = random_problem(rng, *cases[trial % len(cases)])
        check = gradient_check(net, X, T, eps=eps)
        assert check.verdict != "wrong", str(check)
        for p in check.parameters:
            gap = np.abs(p.analytic - p.numerical)
            assert np.all(gap <= p.resolution / 3), (p.label, (gap / p.resolution).max())


def test_a_loss_near_zero_gives_no_false_alarm(rng):
    """Near a perfect fit E ~ 1e-14: the rounding of E is then far from u |E| relative."""
    net = Network.from_sizes([3, 4, 2], ["tanh", "linear"], "squared_error", rng=rng)
    X = rng.normal(size=(5, 3))
    T = net.forward(X) + 1e-7 * rng.normal(size=(5, 2))
    check = gradient_check(net, X, T)
    assert check.verdict != "wrong", str(check)


def test_the_result_is_a_float_with_its_verdict(problem):
    check = gradient_check(*problem)
    assert isinstance(check, float) and check.verdict == "correct" and check.correct
    assert check == max(float(p.error.max()) for p in check.parameters) and check <= 1e-7
    assert [p.label for p in check.parameters] == [
        "layers[0].W",
        "layers[0].b",
        "layers[1].W",
        "layers[1].b",
    ]
    assert check.entries == problem[0].n_parameters == check.verified
    assert str(check).startswith("gradient check (eps = 1e-06): correct; 26 of 26 entries")
    # cs231n's r is kept on every entry
    for p in check.parameters:
        expected = np.abs(p.analytic - p.numerical) / np.maximum(
            np.abs(p.analytic), np.abs(p.numerical)
        )
        np.testing.assert_allclose(p.relative, expected, rtol=1e-12, atol=0)


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
