r"""Claims of the chapter *Backpropagation by hand* (book/by-hand.md), checked beyond the page.

Expected values come from computations independent of ``backprop_lib``'s backward pass: the
chapter's numbers worked out on paper (literal fractions), ``sympy.diff`` of the whole loss
with exact rationals, and central finite differences of a loss written out in numpy.
"""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest
import sympy as sp
from helpers import central_difference, sigmoid

from backprop_lib import Dense, Network

# The chapter's network: x = (2, 1), t = 1, W^1 = [[1/2, -1], [1, 1/2]], b^1 = (0, 1/2),
# W^2 = [[1/2], [1]], b^2 = 1/2, ReLU hidden units, a linear output, half the squared error.
X = np.array([[2.0, 1.0]])
T = np.array([[1.0]])
W1 = np.array([[0.5, -1.0], [1.0, 0.5]])
B1 = np.array([0.0, 0.5])
W2 = np.array([[0.5], [1.0]])
B2 = np.array([0.5])


def relu_linear(W1, b1, W2, b2) -> Network:
    return Network(
        [Dense.from_arrays(W1, b1, "relu"), Dense.from_arrays(W2, b2, "linear")],
        loss="squared_error",
    )


def numpy_loss(params, X, T) -> float:
    r"""$E = \frac{1}{2B} \sum (\max(0, X W^1 + b^1) W^2 + b^2 - T)^2$, written out."""
    W1, b1, W2, b2 = params
    o = np.maximum(0.0, X @ W1 + b1) @ W2 + b2
    return float(0.5 * np.sum((o - T) ** 2) / len(X))


def test_the_chapters_numbers_worked_on_paper():
    r"""s^1 = (2, -1), o^2 = 3/2, E = 1/8, delta^2 = 1/2, delta^1 = (1/4, 0),
    dE/dW^1 = [[1/2, 0], [1/4, 0]], dE/dW^2 = (1, 0), and after a step of eta = 1/4 the loss
    is 49/2048."""
    net = relu_linear(W1, B1, W2, B2)
    assert net.loss(X, T) == F(1, 8)
    (dW1, db1), (dW2, db2) = net.backward(X, T)
    np.testing.assert_array_equal(net.layers[0].s, [[2, -1]])
    np.testing.assert_array_equal(net.layers[1].o, [[F(3, 2)]])
    np.testing.assert_array_equal(net.layers[1].delta, [[F(1, 2)]])
    np.testing.assert_array_equal(net.layers[0].delta, [[F(1, 4), 0]])
    np.testing.assert_array_equal(dW1, [[F(1, 2), 0], [F(1, 4), 0]])
    np.testing.assert_array_equal(db1, [F(1, 4), 0])
    np.testing.assert_array_equal(dW2, [[1], [0]])
    np.testing.assert_array_equal(db2, [F(1, 2)])
    net.step(0.25)
    np.testing.assert_array_equal(net.layers[0].W, [[F(3, 8), -1], [F(15, 16), F(1, 2)]])
    assert net.loss(X, T) == F(49, 2048) < F(1, 8)


@pytest.mark.parametrize("seed", range(6))
def test_quarter_weights_give_exact_gradients(seed):
    r"""With weights and inputs in multiples of 1/4, the library's gradient equals sympy's
    exact derivative of the whole loss, bit for bit."""
    rng = np.random.default_rng(seed)

    def quarters(*shape):
        return rng.integers(-6, 7, size=shape) / 4

    def rational(a):
        return sp.Matrix(np.atleast_2d(a).tolist()).applyfunc(sp.nsimplify)

    params = [quarters(2, 2), quarters(2), quarters(2, 1), quarters(1)]
    x, t = quarters(1, 2), quarters(1, 1)
    if np.any(x @ params[0] + params[1] == 0):  # the ReLU's kink: no derivative
        pytest.skip("a hidden sum is exactly 0")
    symbols = [
        sp.Matrix(2, 2, sp.symbols("a:4")),
        sp.Matrix([sp.symbols("c:2")]),
        sp.Matrix(sp.symbols("d:2")),
        sp.Matrix([[sp.Symbol("e")]]),
    ]
    hidden = (rational(x) * symbols[0] + symbols[1]).applyfunc(lambda v: sp.Max(0, v))
    loss = ((hidden * symbols[2] + symbols[3])[0] - rational(t)[0]) ** 2 / 2
    values = {}
    for sym, value in zip(symbols, params, strict=True):
        values.update(zip(sym, rational(value.reshape(sym.shape)), strict=True))
    net = relu_linear(*params)
    grads = [g for pair in net.backward(x, t) for g in pair]
    for sym, grad, name in zip(symbols, grads, ["dW1", "db1", "dW2", "db2"], strict=True):
        exact = sym.applyfunc(lambda p: sp.diff(loss, p).subs(values))
        np.testing.assert_array_equal(
            grad, np.array(exact.tolist(), dtype=float).reshape(grad.shape), err_msg=name
        )


@pytest.mark.parametrize("seed", range(3))
def test_library_gradients_match_finite_differences_of_a_numpy_loss(seed):
    r"""The ReLU-linear network of the chapter's cost section, 16-16-4 with random weights:
    the library's gradients equal central differences of the loss written out in numpy."""
    rng = np.random.default_rng(seed)
    net = Network.from_sizes([16, 16, 4], ["relu", "linear"], loss="squared_error", rng=rng)
    for layer in net.layers:
        layer.b = rng.normal(scale=0.1, size=layer.b.shape)
    x, t = rng.normal(size=(1, 16)), rng.normal(size=(1, 4))
    params = [net.layers[0].W, net.layers[0].b, net.layers[1].W, net.layers[1].b]
    grads = [g for pair in net.backward(x, t) for g in pair]
    for k, grad in enumerate(grads):

        def f(p, k=k):
            return numpy_loss([p if i == k else q for i, q in enumerate(params)], x, t)

        np.testing.assert_allclose(
            grad, central_difference(f, params[k]), rtol=1e-6, atol=1e-8, err_msg=f"parameter {k}"
        )


def test_gate_rules():
    r"""Add distributes (local derivatives 1), multiply swaps (each input gets the other),
    max routes (1 to the winner, 0 to the loser)."""
    a, b = sp.symbols("a b", real=True)
    assert [sp.diff(a + b, v) for v in (a, b)] == [1, 1]
    assert [sp.diff(a * b, v) for v in (a, b)] == [b, a]
    route = [sp.diff(sp.Max(a, b), v).subs({a: 3, b: -1}) for v in (a, b)]
    assert route == [1, 0]


@pytest.mark.parametrize("seed", range(4))
def test_one_neuron_chain_rule(seed):
    r"""$\partial C/\partial w_1 = (a - y)\,\sigma(z)(1 - \sigma(z))\,x_1$ and
    $\partial C/\partial b = (a - y)\,\sigma(z)(1 - \sigma(z))$, written out in numpy,
    equal the library's one-unit gradients; at $z = 0$, $y = 1$, $x_1 = 1$ both are $-1/8$."""
    rng = np.random.default_rng(seed)
    w1, b, x1, y = rng.normal(size=4)
    neuron = Network([Dense.from_arrays([[w1]], [b], "sigmoid")], loss="squared_error")
    ((dW, db),) = neuron.backward([[x1]], [[y]])
    a = sigmoid(w1 * x1 + b)
    np.testing.assert_allclose(dW[0, 0], (a - y) * a * (1 - a) * x1, rtol=1e-12)
    np.testing.assert_allclose(db[0], (a - y) * a * (1 - a), rtol=1e-12)
    exact = Network([Dense.from_arrays([[0.5]], [-0.5], "sigmoid")], loss="squared_error")
    ((dW, db),) = exact.backward([[1.0]], [[1.0]])
    assert dW[0, 0] == db[0] == F(-1, 8)
