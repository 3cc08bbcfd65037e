r"""Claims of the *Batches and layouts* chapter (book/batches-layouts.md), beyond its examples.

- The batch gradient is the mean of the per-sample gradients, for every hidden and output
  activation and every loss the library accepts; the per-sample gradients come from central
  differences (``numerical_gradient`` on one row), not from backpropagation.
- Backpropagation with one column per sample, written here in plain numpy (activations
  included), gives the library's gradients, and its activations and deltas are the library's
  transposed.
- The chain rule in numerator and in denominator layout gives the library's hidden delta.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import softmax

from backprop_lib import VALID_PAIRS, Network, numerical_gradient
from backprop_lib.symbolic import random_targets


@pytest.fixture
def rng():
    return np.random.default_rng(271828)


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu", "linear", "softmax"])
@pytest.mark.parametrize("output, loss", sorted(VALID_PAIRS))
def test_batch_gradient_is_the_mean_of_per_sample_finite_differences(hidden, output, loss, rng):
    net = Network.from_sizes([3, 4, 3], [hidden, output], loss, rng=rng)
    for layer in net.layers:
        layer.b = rng.normal(scale=0.3, size=layer.b.shape)
    B = 5
    X = rng.normal(size=(B, 3))
    T = random_targets(loss, rng, (B, 3))
    net.forward(X)
    if hidden == "relu":  # keep every relu input away from its kink
        assert np.min(np.abs(net.layers[0].s)) > 1e-4
    batch = net.backward(X, T)
    for index, (dW, db) in enumerate(batch):
        for name, analytic in (("W", dW), ("b", db)):
            per_sample = [numerical_gradient(net, X[[n]], T[[n]], index, name) for n in range(B)]
            np.testing.assert_allclose(
                analytic,
                np.mean(per_sample, axis=0),
                rtol=1e-6,
                atol=1e-9,
                err_msg=f"{hidden}-{output} + {loss}: layer {index + 1} {name}",
            )


@pytest.mark.parametrize("sizes", [(6, 5, 4), (3, 7, 2), (10, 3, 5)])
@pytest.mark.parametrize("batch", [1, 4, 9])
def test_column_layout_backprop_equals_the_library(sizes, batch, rng):
    n0, n1, n2 = sizes
    net = Network.from_sizes(list(sizes), ["tanh", "softmax"], "cross_entropy", rng=rng)
    for layer in net.layers:
        layer.b = rng.normal(scale=0.2, size=layer.b.shape)
    (W1, b1), (W2, b2) = net.parameters()
    X_col = rng.normal(size=(n0, batch))
    T_col = np.eye(n2)[:, rng.integers(n2, size=batch)]

    H = np.tanh(W1.T @ X_col + b1[:, None])
    O_out = softmax(W2.T @ H + b2[:, None], axis=0)
    D2 = (O_out - T_col) / batch
    D1 = (W2 @ D2) * (1.0 - H**2)
    expected = [(X_col @ D1.T, D1.sum(axis=1)), (H @ D2.T, D2.sum(axis=1))]

    library = net.backward(X_col.T, T_col.T)
    for (dW, db), (dW_lib, db_lib) in zip(expected, library, strict=True):
        np.testing.assert_allclose(dW_lib, dW, rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(db_lib, db, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(net.layers[0].delta, D1.T, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(net.layers[1].o, O_out.T, rtol=1e-12)


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "softmax"])
def test_numerator_and_denominator_chains_give_the_library_delta(hidden, rng):
    net = Network.from_sizes([3, 4, 2], [hidden, "sigmoid"], "squared_error", rng=rng)
    x, t = rng.normal(size=(1, 3)), rng.normal(size=(1, 2))
    net.backward(x, t)
    first, second = net.layers
    o2 = second.o[0]
    dE_dO2 = (o2 - t[0])[None, :]  # 1 x n2, squared error
    dO2_dA2 = np.diag(o2 * (1.0 - o2))  # sigmoid Jacobian
    dA2_dO1 = second.W.T  # n2 x n1, numerator layout
    o1 = first.o[0]
    if hidden == "softmax":
        dO1_dA1 = np.diag(o1) - np.outer(o1, o1)
    else:
        dO1_dA1 = np.diag(o1 * (1.0 - o1) if hidden == "sigmoid" else 1.0 - o1**2)
    numerator = dE_dO2 @ dO2_dA2 @ dA2_dO1 @ dO1_dA1
    denominator = dO1_dA1.T @ dA2_dO1.T @ dO2_dA2.T @ dE_dO2.T
    np.testing.assert_allclose(numerator, denominator.T, rtol=1e-12)
    np.testing.assert_allclose(numerator, first.delta, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("seed", range(3))
def test_sgd_is_fit_with_batch_size_one_in_a_fresh_random_order_each_epoch(seed, rng):
    r"""`fit(batch_size=1)` for two epochs steps once per sample, in the order of the
    generator's first and then second permutation, as the loop written out here does."""
    start = Network.from_sizes([3, 5, 2], "tanh", "squared_error", rng=rng)
    X, T = rng.normal(size=(7, 3)), rng.uniform(size=(7, 2))
    by_hand = start.copy()
    orders = np.random.default_rng(seed)
    for _ in range(2):
        for n in orders.permutation(len(X)):
            by_hand.backward(X[[n]], T[[n]])
            by_hand.step(0.3)
    sgd = start.copy()
    history = sgd.fit(X, T, epochs=2, lr=0.3, batch_size=1, rng=seed)
    assert history.steps[-1] == 2 * len(X)
    for hand, lib in zip(by_hand.layers, sgd.layers, strict=True):
        np.testing.assert_allclose(hand.W, lib.W, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(hand.b, lib.b, rtol=1e-14, atol=1e-15)
