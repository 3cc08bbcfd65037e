r"""Claims of the Feedforward chapter (book/feedforward.md), checked beyond the page's examples.

Expected values come from computations independent of ``backprop_lib``'s forward pass: numpy
written out in Swinn's column layout, sympy expressions, and the float64 limits. ``rng`` is
the seeded generator of ``tests/conftest.py``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy as sp
from helpers import sigmoid, softmax

from backprop_lib import Network
from backprop_lib.activations import get_activation
from backprop_lib.symbolic import symbolic_network


def _naive_softmax(s):
    e = np.exp(s)
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("sizes", [(784, 64, 10), (64, 64, 10), (5, 3, 4), (3, 7, 2)])
def test_column_layout_is_the_transpose_of_the_row_layout(sizes, rng):
    r"""Swinn's columns, $o^2_{col} = \mathrm{softmax}((W^2)^\top \sigma((W^1)^\top X_{col} +
    b^1) + b^2)$, equal the transpose of the library's rows, for any sizes."""
    net = Network.from_sizes(list(sizes), ["sigmoid", "softmax"], loss="cross_entropy", rng=rng)
    for layer in net.layers:
        layer.b = rng.normal(scale=0.5, size=layer.b.shape)
    (W1, b1), (W2, b2) = [(layer.W, layer.b) for layer in net.layers]
    X_col = rng.uniform(0.0, 1.0, size=(sizes[0], 37))

    H_col = sigmoid(W1.T @ X_col + b1[:, None])
    O_col = softmax(W2.T @ H_col + b2[:, None], axis=0)
    O_rows = net.forward(X_col.T)

    assert O_rows.shape == (37, sizes[-1]), f"forward returned shape {O_rows.shape}"
    np.testing.assert_allclose(
        net.layers[0].o,
        H_col.T,
        rtol=1e-12,
        atol=1e-15,
        err_msg="hidden layer: rows != transposed columns",
    )
    np.testing.assert_allclose(
        O_rows, O_col.T, rtol=1e-12, atol=1e-15, err_msg="output layer: rows != transposed columns"
    )


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(
    "activations", [("sigmoid", "softmax"), ("tanh", "softmax"), ("sigmoid", "sigmoid")]
)
def test_symbolic_3_2_2_forward_equals_library(seed, activations):
    """sympy's forward pass with every weight a symbol equals the library's at random numbers."""
    rng = np.random.default_rng(seed)
    sym = symbolic_network([3, 2, 2], list(activations))
    net = Network.from_sizes(
        [3, 2, 2],
        list(activations),
        loss="cross_entropy" if activations[-1] == "softmax" else "squared_error",
        rng=rng,
    )
    for layer in net.layers:
        layer.W = rng.normal(size=layer.W.shape)
        layer.b = rng.normal(size=layer.b.shape)
    x = rng.normal(size=(1, 3))

    numbers = sym.substitution(net, x)
    assert sym.output.free_symbols == set(numbers)
    expected = np.array(sym.output.evalf(30, subs=numbers).tolist(), dtype=float)
    np.testing.assert_allclose(net.forward(x), expected, rtol=1e-12)


def test_softmax_is_a_distribution_for_any_sums(rng):
    """Every softmax row is positive and sums to 1, also with sums of +-100."""
    S = rng.uniform(-100.0, 100.0, size=(2000, 10))
    probs = get_activation("softmax").forward(S)
    assert np.all(probs > 0.0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize(
    "s, expected",
    [
        ([1000.0, 999.0], [sigmoid(1.0), sigmoid(-1.0)]),
        ([-1000.0, -1001.0], [sigmoid(1.0), sigmoid(-1.0)]),
        ([710.0, 0.0], [1.0, np.exp(-710.0)]),
    ],
)
def test_library_softmax_survives_where_the_naive_one_fails(s, expected):
    """The naive formula gives nan (with warnings); the library's gives the exact values."""
    s = np.array([s])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        naive = _naive_softmax(s)
    assert np.any(np.isnan(naive)) and caught, "the naive softmax was expected to fail here"
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is fine
        o = get_activation("softmax").forward(s)
    np.testing.assert_allclose(o, [expected], rtol=1e-12, atol=1e-300)


def test_library_softmax_equals_naive_formula_at_moderate_sums(rng):
    """Stable and naive softmax agree where the naive one is safe (|s| <= 50)."""
    S = rng.uniform(-50.0, 50.0, size=(500, 6))
    with np.errstate(all="raise"):
        naive = _naive_softmax(S)
    np.testing.assert_allclose(get_activation("softmax").forward(S), naive, rtol=1e-12)


def test_naive_softmax_overflow_threshold():
    """exp overflows float64 from 710 on: the naive softmax of (m, m-1) is nan iff m >= 710."""
    assert 709.0 < np.log(np.finfo(np.float64).max) < 710.0
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        for m in (700.0, 709.0):
            assert not np.any(np.isnan(_naive_softmax(np.array([[m, m - 1.0]])))), m
        for m in (710.0, 800.0, 1000.0):
            assert np.isnan(_naive_softmax(np.array([[m, m - 1.0]]))[0, 0]), m


def test_swinn_output_sum_as_written_ignores_hidden_units():
    r"""Swinn's $z_j = \sum_{i=1}^{64} h_j w_{ij}$ (h_j, not h_i) depends on hidden unit j
    alone, so hidden units 11..64 reach no output; the corrected sum uses all 64."""
    h = sp.symbols("h_1:65", real=True)
    w = sp.Matrix(64, 10, lambda i, j: sp.Symbol(f"w_{i + 1}_{j + 1}", real=True))
    as_written = [sum(h[j] * w[i, j] for i in range(64)) for j in range(10)]
    correct = [sum(h[i] * w[i, j] for i in range(64)) for j in range(10)]
    for j in range(10):
        assert as_written[j].free_symbols & set(h) == {h[j]}
        assert correct[j].free_symbols & set(h) == set(h)
        assert sp.expand(as_written[j] - h[j] * sum(w[:, j])) == 0


def test_without_bias_a_blank_image_gives_one_half_everywhere(rng):
    """Swinn's bias-free hidden layer outputs sigma(0) = 1/2 on a blank image, whatever W^1."""
    net = Network.from_sizes([64, 64, 10], ["sigmoid", "softmax"], loss="cross_entropy", rng=rng)
    net.layers[0].W = rng.normal(scale=10.0, size=(64, 64))
    net.layers[0].b = np.zeros(64)
    net.forward(np.zeros((3, 64)))
    np.testing.assert_array_equal(net.layers[0].o, 0.5)
