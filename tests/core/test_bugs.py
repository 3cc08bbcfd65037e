"""Tests for backprop_lib.teaching.bugs: a network built from the library's pieces equals the
library's, every planted bug is caught by the gradient check while the correct network
passes, each bug's gradient is what its description says (against finite differences), and
the demo's "still trains" claims hold for several seeds."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from backprop_lib import Dense, Network, gradient_check, numerical_gradient
from backprop_lib.activations import Softmax
from backprop_lib.pairs import Pair
from backprop_lib.teaching.bugs import (
    BUGS,
    DEMO,
    BiasMean,
    Bug,
    BuggyPair,
    DiagonalSoftmax,
    MissingTranspose,
    WrongSign,
    demo_problem,
    train_demo,
    with_bug,
)

SEEDS = (0, 1, 2)
#: The pieces of the backward pass a bug may replace: class, then its methods.
HOOKS = {
    Dense: ("outputs", "forward", "propagate", "backward", "backpropagate", "backward_delta"),
    Pair: ("loss", "delta"),
}

#: Shapes every bug can run on: hidden and output layers square (for the missing transpose)
#: and a softmax output (for the diagonal softmax), fused and unfused.
SHAPES = {
    "demo": (list(DEMO.sizes), list(DEMO.activations), DEMO.loss),
    "deep tanh": ([3, 5, 5, 5], ["tanh", "tanh", "softmax"], "cross_entropy"),
    "softmax + squared error": ([3, 4, 4], ["sigmoid", "softmax"], "squared_error"),
}


def problem(shape: str, seed: int, batch: int = 6):
    """A network with random biases, inputs N(0, 1) and one-hot targets."""
    sizes, activations, loss = SHAPES[shape]
    rng = np.random.default_rng(seed)
    net = Network.from_sizes(sizes, activations, loss, rng=rng)
    for layer in net.layers:
        layer.b = rng.normal(size=layer.n_out)
    X = rng.normal(size=(batch, sizes[0]))
    T = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=batch)]
    return net, X, T


def numerical(net, X, T):
    """Central-difference gradients of every layer, [(dW, db), ...], of the correct loss."""
    return [
        (numerical_gradient(net, X, T, i, "W"), numerical_gradient(net, X, T, i, "b"))
        for i in range(len(net.layers))
    ]


def assert_gradients(actual, expected, rtol=1e-6, atol=1e-9):
    for number, ((dW, db), (nW, nb)) in enumerate(zip(actual, expected, strict=True), start=1):
        message = f"layer {number}"
        np.testing.assert_allclose(dW, nW, rtol=rtol, atol=atol, err_msg=f"dW of {message}")
        np.testing.assert_allclose(db, nb, rtol=rtol, atol=atol, err_msg=f"db of {message}")


# -- the split backward pass -----------------------------------------------------------------


@pytest.mark.parametrize(
    "sizes, activations, loss",
    [
        ([2, 4, 4], ["sigmoid", "softmax"], "cross_entropy"),
        ([3, 5, 2], ["tanh", "sigmoid"], "binary_cross_entropy"),
        ([3, 4, 3, 2], ["relu", "tanh", "linear"], "squared_error"),
        ([3, 4, 3], ["sigmoid", "softmax"], "squared_error"),
        ([2, 3, 1], ["tanh", "sigmoid"], "sum_squared_error"),
    ],
)
def test_correct_network_equals_the_library_bit_for_bit(sizes, activations, loss, rng):
    net = Network.from_sizes(sizes, activations, loss, rng=rng)
    X = rng.normal(size=(7, sizes[0]))
    T = rng.uniform(0.05, 0.95, size=(7, sizes[-1]))
    if loss == "cross_entropy":
        T = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=7)]
    split = with_bug(net, None)
    assert type(split) is Network and type(split.pair) is type(net.pair)
    assert all(type(layer) is Dense for layer in split.layers)
    for (dW, db), (dW_lib, db_lib) in zip(split.backward(X, T), net.backward(X, T), strict=True):
        np.testing.assert_array_equal(dW, dW_lib)
        np.testing.assert_array_equal(db, db_lib)
    for layer, layer_lib in zip(split.layers, net.layers, strict=True):
        np.testing.assert_array_equal(layer.delta, layer_lib.delta)


# -- the registry ----------------------------------------------------------------------------


def test_registry_entries():
    assert len(BUGS) == 7
    for name, bug in BUGS.items():
        assert isinstance(bug, Bug) and bug.name == name
        base = Dense if issubclass(bug.piece, Dense) else Pair
        assert issubclass(bug.piece, base) and bug.piece not in (Dense, Pair, BuggyPair)
        assert bug.line.split(".")[0] == base.__name__, name
        assert bug.description and bug.piece.__doc__, name
    assert len({bug.piece for bug in BUGS.values()}) == len(BUGS)


@pytest.mark.parametrize("name", list(BUGS))
def test_each_bug_replaces_exactly_the_line_it_names(name):
    bug = BUGS[name]
    base = Dense if issubclass(bug.piece, Dense) else Pair
    overridden = [hook for hook in HOOKS[base] if hook in vars(bug.piece)]
    assert [f"{base.__name__}.{hook}" for hook in overridden] == [bug.line]
    net, X, T = problem("demo", 0)
    buggy = with_bug(net, name)
    assert type(buggy) is Network  # the one recursion, Network.backpropagate, is reused
    pieces = [buggy.pair] if base is Pair else buggy.layers
    assert all(type(piece) is bug.piece for piece in pieces)


# -- the gradient check catches every bug ------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("name", list(BUGS))
def test_gradient_check_catches_every_bug(name, shape, seed):
    net, X, T = problem(shape, seed)
    correct = gradient_check(with_bug(net, None), X, T)
    buggy = gradient_check(with_bug(net, name), X, T)
    assert correct <= 1e-6, f"the correct network fails the check: {correct:.3g}"
    assert buggy > 1e-2, f"{name} on {shape} (seed {seed}) passes the check: {buggy:.3g}"


@pytest.mark.parametrize("seed", SEEDS)
def test_the_demo_data_catch_every_bug(seed):
    net, X, T = demo_problem(seed)
    assert gradient_check(net, X[:8], T[:8]) <= 1e-6
    for name in BUGS:
        assert gradient_check(with_bug(net, name), X[:8], T[:8]) > 1e-2, name


# -- each bug's gradient is what its description says -------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_wrong_sign_negates_the_gradient(seed):
    net, X, T = problem("deep tanh", seed)
    expected = [(-nW, -nb) for nW, nb in numerical(net, X, T)]
    assert_gradients(with_bug(net, "wrong sign").backward(X, T), expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_batch_sum_is_B_times_the_gradient(seed):
    net, X, T = problem("softmax + squared error", seed, batch=5)
    expected = [(5 * nW, 5 * nb) for nW, nb in numerical(net, X, T)]
    assert_gradients(with_bug(net, "sum, not mean").backward(X, T), expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_bias_mean_divides_only_the_bias_gradients_by_B(seed):
    net, X, T = problem("demo", seed, batch=4)
    expected = [(nW, nb / 4) for nW, nb in numerical(net, X, T)]
    assert_gradients(with_bug(net, "bias mean").backward(X, T), expected)


@pytest.mark.parametrize("name", ["sum, not mean", "bias mean"])
def test_batch_bugs_are_invisible_with_one_sample(name):
    net, X, T = problem("demo", 0, batch=1)
    assert_gradients(with_bug(net, name).backward(X, T), numerical(net, X, T))
    assert gradient_check(with_bug(net, name), X, T) < 1e-7


def test_diagonal_softmax_keeps_only_the_jacobian_diagonal():
    net, X, T = problem("softmax + squared error", 1)
    buggy = with_bug(net, "diagonal softmax")
    buggy.backward(X, T)
    last = buggy.layers[-1]
    diagonal = np.einsum("bii->bi", Softmax().jacobian(last.s))  # o_i (1 - o_i)
    grad_o = (last.o - T) / len(T)  # half squared error, batch mean, by hand
    np.testing.assert_allclose(last.delta, grad_o * diagonal, rtol=1e-12)
    np.testing.assert_allclose(diagonal, last.o * (1 - last.o), rtol=1e-12)


def test_missing_transpose_is_invisible_for_a_symmetric_weight_matrix():
    net, X, T = problem("demo", 2)
    W = net.layers[1].W
    net.layers[1].W = (W + W.T) / 2
    assert_gradients(with_bug(net, "missing transpose").backward(X, T), numerical(net, X, T))


@pytest.mark.parametrize("name", ["missing f'", "f' of o"])
def test_derivative_bugs_are_invisible_for_linear_hidden_layers(name):
    rng = np.random.default_rng(3)
    net = Network.from_sizes([3, 4, 4], ["linear", "softmax"], rng=rng)
    X = rng.normal(size=(5, 3))
    T = np.eye(4)[rng.integers(0, 4, size=5)]
    assert_gradients(with_bug(net, name).backward(X, T), numerical(net, X, T))


# -- the demo: which bugs still train ----------------------------------------------------------


def falls(history) -> bool:
    """The chapter's claim "the loss still falls": it ends below half its starting value."""
    return history.loss[-1] < 0.5 * history.loss[0]


@pytest.mark.parametrize("seed", SEEDS)
def test_the_correct_network_trains_on_the_demo(seed):
    net, X, T = demo_problem(seed)
    history = train_demo(net, X, T, None, rng=seed)
    assert falls(history)
    assert history.accuracy[-1] > 0.8


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(BUGS))
def test_each_bug_trains_exactly_where_the_registry_says(name, seed):
    net, X, T = demo_problem(seed)
    history = train_demo(net, X, T, name, rng=seed + 10)
    assert falls(history) == BUGS[name].trains, (
        f"{name}, seed {seed}: loss {history.loss[0]:.3f} -> {history.loss[-1]:.3f}"
    )
    if not BUGS[name].trains:
        assert history.loss[-1] > 0.8 * history.loss[0]  # not a near miss


def test_demo_problem_is_deterministic_and_shaped():
    net, X, T = demo_problem(5)
    net_again, X_again, T_again = demo_problem(np.random.default_rng(5))
    n = 4 * DEMO.n_per_class
    assert X.shape == (n, 2) and T.shape == (n, 4)
    np.testing.assert_array_equal(X, X_again)
    np.testing.assert_array_equal(T, T_again)
    np.testing.assert_array_equal(T.sum(axis=0), DEMO.n_per_class)
    for layer, again in zip(net.layers, net_again.layers, strict=True):
        np.testing.assert_array_equal(layer.W, again.W)
    assert net.sizes == list(DEMO.sizes)


def test_train_demo_is_reproducible_and_leaves_the_network_alone():
    net, X, T = demo_problem(0)
    weights = [layer.W.copy() for layer in net.layers]
    first = train_demo(net, X, T, "bias mean", rng=4)
    second = train_demo(net, X, T, "bias mean", rng=4)
    assert first.loss == second.loss
    for layer, W in zip(net.layers, weights, strict=True):
        np.testing.assert_array_equal(layer.W, W)


# -- construction and bad input ------------------------------------------------------------------


def test_with_bug_copies_the_network():
    net, X, T = problem("demo", 0)
    buggy = with_bug(net, "wrong sign")
    assert isinstance(buggy.pair, WrongSign)
    assert buggy.loss_fn is net.loss_fn
    for layer, copied in zip(net.layers, buggy.layers, strict=True):
        assert copied is not layer
        np.testing.assert_array_equal(copied.W, layer.W)
    buggy.layers[0].W += 1.0
    assert not np.array_equal(buggy.layers[0].W, net.layers[0].W)
    assert with_bug(net, BUGS["bias mean"]).layers[0].__class__ is BiasMean
    assert with_bug(net, MissingTranspose).layers[1].__class__ is MissingTranspose


def test_with_bug_refuses_bad_arguments():
    net, _, _ = problem("demo", 0)
    with pytest.raises(ValueError, match="unknown; valid names are .*'missing transpose'"):
        with_bug(net, "missing derivative")
    with pytest.raises(ValueError, match="Did you mean 'missing transpose'"):
        with_bug(net, "missing tranpose")
    with pytest.raises(TypeError, match="bug must be"):
        with_bug(net, 3)
    with pytest.raises(TypeError, match="bug must be"):
        with_bug(net, Network)
    with pytest.raises(TypeError, match="net must be a Network"):
        with_bug("net", "wrong sign")


def test_missing_transpose_refuses_non_square_layers():
    net = Network.from_sizes([2, 5, 3], ["sigmoid", "softmax"], rng=0)
    with pytest.raises(ValueError, match=r"layers\[1\] must have n_in == n_out"):
        with_bug(net, "missing transpose")


def test_diagonal_softmax_needs_a_softmax_output():
    net = Network.from_sizes([2, 3, 3], ["tanh", "sigmoid"], "binary_cross_entropy", rng=0)
    with pytest.raises(ValueError, match="must be a softmax"):
        with_bug(net, DiagonalSoftmax)


def test_importing_the_package_does_not_import_the_bugs():
    code = (
        "import sys, backprop_lib; "
        "assert 'backprop_lib.teaching.bugs' not in sys.modules; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
