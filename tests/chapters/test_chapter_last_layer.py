r"""Claims of the chapter *The last layer* (book/last-layer.md), checked beyond the page.

Expected values come from computations independent of ``backprop_lib``'s backward pass: the
lecture's column formulas written out in numpy with a hand-written sigmoid, ``sympy.diff`` of
the whole batch loss, and central finite differences of the library's loss values.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from helpers import numpy_derivative, sigmoid

from backprop_lib import Network, numerical_gradient, symbolic
from backprop_lib.symbolic import derive


@pytest.fixture
def rng():
    return np.random.default_rng(20231129)


def _sigmoid_slope(z):
    r"""$\sigma'(z)$, sympy's derivative of the sympy twin's sigmoid (moderate $z$ only)."""
    return numpy_derivative("sigmoid", z)


@pytest.mark.parametrize("sizes", [(3, 4, 2), (5, 3), (2, 6, 4, 3)])
@pytest.mark.parametrize("seed", range(3))
def test_lecture_S_is_the_book_delta_transposed(sizes, seed):
    r"""$S = -2Ae$ in the lecture's columns, for one training pair, is $(\delta^L)^\top$."""
    rng = np.random.default_rng(seed)
    net = Network.from_sizes(list(sizes), "sigmoid", loss="sum_squared_error", rng=rng)
    for layer in net.layers:
        layer.b = rng.normal(size=layer.b.shape)
    x, t = rng.normal(size=(1, sizes[0])), rng.uniform(size=(1, sizes[-1]))
    net.backward(x, t)
    last = net.layers[-1]

    eta = last.W.T @ last.o_prev.T + last.b[:, None]  # the lecture: eta = W^T a + b
    A = np.diag(_sigmoid_slope(eta)[:, 0])
    e = t.T - sigmoid(eta)  # e = t - y
    S = -2 * A @ e
    np.testing.assert_allclose(
        S,
        last.delta.T,
        rtol=1e-12,
        atol=1e-16,
        err_msg="S = -2Ae differs from the library's delta, transposed",
    )


@pytest.mark.parametrize("batch", [1, 2, 7])
def test_sum_of_squares_delta_carries_one_over_B(batch, rng):
    r"""$\delta^L = -2 (t - o^L) \odot f'(s^L) / B$ for sigmoid with the sum of squares."""
    net = Network.from_sizes([3, 4, 3], "sigmoid", loss="sum_squared_error", rng=rng)
    X, T = rng.normal(size=(batch, 3)), rng.uniform(size=(batch, 3))
    net.backward(X, T)
    last = net.layers[-1]
    expected = -2 * (T - sigmoid(last.s)) * _sigmoid_slope(last.s) / batch
    np.testing.assert_allclose(last.delta, expected, rtol=1e-12)
    # sum over the batch of delta is the bias gradient, by finite differences
    np.testing.assert_allclose(
        expected.sum(axis=0), numerical_gradient(net, X, T, 1, "b"), rtol=1e-6, atol=1e-10
    )


def test_half_squared_error_delta_is_half_the_sum_of_squares_delta(rng):
    r"""Mehmet's $(a_2 - y) \odot \sigma'(z_2)$ (per sample) is half the lecture's delta."""
    net = Network.from_sizes([3, 5, 2], "sigmoid", loss="squared_error", rng=rng)
    twin = Network(net.copy().layers, loss="sum_squared_error")
    X, T = rng.normal(size=(4, 3)), rng.uniform(size=(4, 2))
    net.backward(X, T)
    twin.backward(X, T)
    Z2, A2 = net.layers[-1].s, net.layers[-1].o
    np.testing.assert_allclose(net.layers[-1].delta, (A2 - T) * _sigmoid_slope(Z2) / 4, rtol=1e-12)
    np.testing.assert_allclose(twin.layers[-1].delta, 2 * net.layers[-1].delta, rtol=1e-12)


@pytest.mark.parametrize("n_out", [2, 3, 5])
def test_softmax_cross_entropy_delta_is_o_minus_t_by_finite_differences(n_out, rng):
    r"""For one sample, $\partial E/\partial b^L = \delta^L = o - t$ (one-hot $t$)."""
    net = Network.from_sizes([4, n_out], "softmax", loss="cross_entropy", rng=rng)
    net.layers[0].b = rng.normal(size=n_out)
    x, t = rng.normal(size=(1, 4)), np.eye(n_out)[[rng.integers(n_out)]]
    o = net.forward(x)
    np.testing.assert_allclose(
        numerical_gradient(net, x, t, 0, "b"), (o - t)[0], rtol=1e-6, atol=1e-10
    )


@pytest.mark.parametrize("n_out", [2, 3, 4])
def test_swinn_output_delta_is_a_derivative_with_respect_to_the_sum(n_out):
    r"""$\partial CE/\partial o_k = -t_k/o_k$, not $-(t_k - o_k)$; $\partial CE/\partial s_k =
    o_k - t_k$ for a one-hot target."""
    d = derive("softmax", "cross_entropy", n_out)
    o_1, t_1 = d.o[0], d.t[0]
    assert d.grad_o[0] == -t_1 / o_1
    assert sp.simplify(d.grad_o[0] + (t_1 - o_1)) != 0
    one_hot = dict(zip(d.t, [1] + [0] * (n_out - 1), strict=True))
    softmax = d.output
    for k in range(n_out):
        difference = d.delta[k].subs(one_hot) - (softmax[k] - one_hot[d.t[k]])
        assert sp.simplify(difference) == 0


@pytest.mark.parametrize(
    "activation, loss, targets",
    [("sigmoid", "sum_squared_error", "uniform"), ("softmax", "cross_entropy", "one-hot")],
)
def test_entrywise_weight_gradient_by_sympy_diff_of_the_batch_loss(activation, loss, targets, rng):
    r"""$\partial E/\partial W^L$ and $\partial E/\partial b^L$ by ``sympy.diff`` of the whole
    batch loss (no chain rule written by hand) equal the library's ``dW``, ``db``."""
    batch, n_below, n_out = 3, 2, 2
    O1 = sp.Matrix(batch, n_below, lambda n, j: sp.Symbol(f"h_{n}{j}", real=True))
    W = symbolic.weight_symbols(2, n_below, n_out)
    b = symbolic.bias_symbols(2, n_out)
    T = sp.Matrix(batch, n_out, lambda n, k: sp.Symbol(f"t_{n}{k}", real=True))
    S = O1 * W + sp.ones(batch, 1) * b
    act, lss = symbolic.get_activation(activation), symbolic.get_loss(loss)
    E = (
        sum((lss.value(act.forward(S.row(n)), T.row(n)) for n in range(batch)), sp.Integer(0))
        / batch
    )

    net = Network.from_sizes([3, n_below, n_out], ["tanh", activation], loss=loss, rng=rng)
    net.layers[1].b = rng.normal(size=n_out)
    X = rng.normal(size=(batch, 3))
    T_num = (
        rng.uniform(size=(batch, n_out))
        if targets == "uniform"
        else np.eye(n_out)[rng.integers(n_out, size=batch)]
    )
    _, (dW, db) = net.backward(X, T_num)

    values = dict(
        zip(
            [*O1, *W, *b, *T],
            np.concatenate(
                [net.layers[0].o.ravel(), net.layers[1].W.ravel(), net.layers[1].b, T_num.ravel()]
            ).tolist(),
            strict=True,
        )
    )
    dW_sympy = np.array(
        [[float(sp.diff(E, w).evalf(subs=values)) for w in row] for row in W.tolist()]
    )
    db_sympy = np.array([float(sp.diff(E, v).evalf(subs=values)) for v in b])
    np.testing.assert_allclose(dW, dW_sympy, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(db, db_sympy, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("seed", range(4))
def test_one_step_changes_each_weight_by_minus_eta_times_sender_times_delta(seed):
    r"""$\Delta W^L = -\eta\, \partial E/\partial W^L$ (finite differences), and for one sample
    the change of $w^L_{ji}$ is proportional to the sending output $o^{L-1}_j$."""
    rng = np.random.default_rng(seed)
    net = Network.from_sizes([3, 6, 4], ["sigmoid", "softmax"], loss="cross_entropy", rng=rng)
    x, t = rng.normal(size=(1, 3)), np.eye(4)[[rng.integers(4)]]
    eta = 0.3
    expected = -eta * numerical_gradient(net, x, t, 1, "W")
    net.backward(x, t)
    o_prev, delta = net.layers[0].o[0].copy(), net.layers[1].delta[0].copy()
    before = net.layers[1].W.copy()
    net.step(eta)
    change = net.layers[1].W - before
    np.testing.assert_allclose(change, expected, rtol=1e-6, atol=1e-10)
    # credit: within a column, changes are in the ratio of the sending outputs
    for i in range(4):
        np.testing.assert_allclose(change[:, i] * o_prev[0], change[0, i] * o_prev, rtol=1e-10)
    # blame: every change into unit i has the sign of -delta_i
    assert np.all(np.sign(change) == -np.sign(delta)[None, :])


def test_batch_gradient_is_the_mean_of_single_sample_finite_differences(rng):
    r"""The $1/B$ in $\delta^L$ makes the batch gradient the mean of per-sample gradients."""
    net = Network.from_sizes([2, 3, 2], ["tanh", "sigmoid"], loss="binary_cross_entropy", rng=rng)
    X, T = rng.normal(size=(5, 2)), rng.uniform(size=(5, 2))
    (_, _), (dW, db) = net.backward(X, T)
    singles_W = [numerical_gradient(net, X[n : n + 1], T[n : n + 1], 1, "W") for n in range(5)]
    singles_b = [numerical_gradient(net, X[n : n + 1], T[n : n + 1], 1, "b") for n in range(5)]
    np.testing.assert_allclose(dW, np.mean(singles_W, axis=0), rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(db, np.mean(singles_b, axis=0), rtol=1e-6, atol=1e-10)
