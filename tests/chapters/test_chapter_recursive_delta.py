r"""Claims of the chapter *The recursive delta* (book/recursive-delta.md), checked beyond the
page.

Expected values come from computations independent of ``backprop_lib``'s backward pass:
``sympy.diff`` with unknown functions, the lecture's column recursion written out in numpy
with hand-written activations, and central finite differences of the library's loss values.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from helpers import sigmoid

from backprop_lib import Network, numerical_gradient, symbolic

SLOPES = {
    "sigmoid": lambda z: sigmoid(z) * (1.0 - sigmoid(z)),
    "tanh": lambda z: 1.0 / np.cosh(z) ** 2,
}


@pytest.mark.parametrize("n_above", [1, 2, 4])
def test_one_unit_recursion_from_sympys_chain_rule(n_above):
    r"""For an unknown loss $E$ of the sums above and an unknown activation $f$,
    $\partial E/\partial s^l_j = f'(s^l_j) \sum_k w_{jk}\, \partial E/\partial s^{l+1}_k$."""
    f, E = sp.Function("f"), sp.Function("E")
    s_j = sp.Symbol("s_j", real=True)
    w = sp.symbols(f"w_1:{n_above + 1}", real=True)
    r = sp.symbols(f"r_1:{n_above + 1}", real=True)
    sums_above = [f(s_j) * w_k + r_k for w_k, r_k in zip(w, r, strict=True)]
    chain = sp.diff(E(*sums_above), s_j)

    u = sp.symbols(f"u_1:{n_above + 1}", real=True)
    delta_above = [sp.Subs(sp.Derivative(E(*u), u_k), u, sums_above) for u_k in u]
    expected = sp.Derivative(f(s_j), s_j) * sum(
        w_k * d_k for w_k, d_k in zip(w, delta_above, strict=True)
    )
    assert sp.simplify(chain.doit() - expected.doit()) == 0


@pytest.mark.parametrize("H, L", [(1, 1), (3, 2), (2, 4)])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_lecture_jacobian_and_column_recursion(H, L, activation):
    r"""$\partial\eta/\partial\hat\eta = W^\top \hat A$ and $\hat A W S$ is the transposed row
    $(S^\top W^\top) \odot f'(\hat\eta)$."""
    act = symbolic.get_activation(activation)
    eta_hat = sp.Matrix([sp.symbols(f"e_1:{H + 1}", real=True)])
    W = symbolic.weight_symbols(2, H, L)
    eta = act.forward(eta_hat) * W + symbolic.bias_symbols(2, L)
    A_hat = sp.diag(*[act.derivative(v) for v in eta_hat])
    assert sp.simplify(eta.jacobian(eta_hat) - W.T * A_hat) == sp.zeros(L, H)
    S = sp.Matrix(sp.symbols(f"S_1:{L + 1}", real=True))
    row = (S.T * W.T).multiply_elementwise(eta_hat.applyfunc(act.derivative))
    assert sp.expand(A_hat * W * S - row.T) == sp.zeros(H, 1)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("sizes", [(3, 5, 2), (2, 4, 3, 3)])
def test_column_recursion_per_sample_equals_the_library_rows(activation, sizes, rng):
    r"""$\hat S_n = \hat A_n W S_n$, one column per sample, is row $n$ of the library's
    $\delta^l$ for every hidden layer."""
    activations = [activation] * (len(sizes) - 2) + ["sigmoid"]
    net = Network.from_sizes(list(sizes), activations, loss="sum_squared_error", rng=rng)
    X, T = rng.normal(size=(5, sizes[0])), rng.uniform(size=(5, sizes[-1]))
    net.backward(X, T)
    for below, above in zip(net.layers[:-1], net.layers[1:], strict=True):
        for n in range(5):
            A_hat = np.diag(SLOPES[activation](below.s[n]))
            S_hat = A_hat @ above.W @ above.delta[n][:, None]
            np.testing.assert_allclose(S_hat[:, 0], below.delta[n], rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("sizes", [(3, 4, 3, 2), (2, 5, 5, 1), (4, 2, 3, 3)])
@pytest.mark.parametrize("seed", range(3))
def test_four_layer_lecture_example(sizes, seed):
    r"""The lecture's $S_4 = -2A_4e_4$, $S_3 = A_3W_4S_4$, $S_2 = A_2W_3S_3$ in columns, with a
    hand-written forward pass, equal the library's $\delta^{k-1}$ transposed and the finite
    differences of the biases; $a_{k-1} S_k^\top$ equals the finite differences of $W_k$."""
    rng = np.random.default_rng(seed)
    net = Network.from_sizes(list(sizes), "sigmoid", loss="sum_squared_error", rng=rng)
    for layer in net.layers:
        layer.b = rng.normal(scale=0.5, size=layer.b.shape)
    x, t = rng.normal(size=(1, sizes[0])), rng.uniform(size=(1, sizes[-1]))

    a = {1: x.T}
    A = {}
    for k in (2, 3, 4):
        layer = net.layers[k - 2]
        eta = layer.W.T @ a[k - 1] + layer.b[:, None]
        a[k] = sigmoid(eta)
        A[k] = np.diag((a[k] * (1.0 - a[k]))[:, 0])
    S = {4: -2 * A[4] @ (t.T - a[4])}
    for k in (3, 2):
        S[k] = A[k] @ net.layers[k - 1].W @ S[k + 1]  # W_{k+1} is book layer k

    net.backward(x, t)
    for k in (2, 3, 4):
        index = k - 2
        np.testing.assert_allclose(
            S[k],
            net.layers[index].delta.T,
            rtol=1e-12,
            atol=1e-16,
            err_msg=f"S_{k} differs from the library's delta",
        )
        np.testing.assert_allclose(
            S[k][:, 0],
            numerical_gradient(net, x, t, index, "b"),
            rtol=1e-6,
            atol=1e-10,
            err_msg=f"S_{k} vs finite differences",
        )
        np.testing.assert_allclose(
            a[k - 1] @ S[k].T,
            numerical_gradient(net, x, t, index, "W"),
            rtol=1e-6,
            atol=1e-10,
            err_msg=f"dW_{k} vs finite differences",
        )


def test_swinn_sigmoid_slope_is_wrong():
    r"""$\partial\sigma/\partial z = \sigma(1 - \sigma)$, not $z(1 - z)$."""
    z = sp.Symbol("z", real=True)
    sigma = symbolic.get_activation("sigmoid").scalar(z)
    slope = sp.diff(sigma, z)
    assert sp.simplify(slope - sigma * (1 - sigma)) == 0
    for value in (-1, sp.Rational(1, 2), 2, 5):
        assert sp.N(slope.subs(z, value)) > 0
        assert abs(sp.N(slope.subs(z, value) - (value * (1 - value)))) > 1e-2


@pytest.mark.parametrize("seed", range(5))
def test_a_recursion_with_swinns_slope_fails_the_finite_differences(seed):
    r"""$z(1 - z)$ in place of $h(1 - h)$ gives hidden deltas that finite differences reject;
    $h(1 - h)$ gives the right ones."""
    rng = np.random.default_rng(seed)
    net = Network.from_sizes([3, 4, 2], "sigmoid", loss="sum_squared_error", rng=rng)
    X, T = rng.normal(size=(5, 3)), rng.uniform(size=(5, 2))
    net.backward(X, T)
    hidden, top = net.layers
    back = top.delta @ top.W.T
    db_numeric = numerical_gradient(net, X, T, 0, "b")
    np.testing.assert_allclose(
        (back * hidden.o * (1 - hidden.o)).sum(axis=0), db_numeric, rtol=1e-6, atol=1e-10
    )
    assert not np.allclose((back * hidden.s * (1 - hidden.s)).sum(axis=0), db_numeric, rtol=0.1)


@pytest.mark.parametrize("seed", range(10))
def test_deep_sigmoid_deltas_vanish_by_a_steady_factor(seed):
    r"""The exercise's claim: with default initial weights, each layer down shrinks the delta
    by a factor between 2 and 10, and $\delta^1$ is more than 1000 times smaller than
    $\delta^8$."""
    rng = np.random.default_rng(seed)
    net = Network.from_sizes([10] * 9, "sigmoid", loss="sum_squared_error", rng=rng)
    X, T = rng.normal(size=(16, 10)), rng.uniform(size=(16, 10))
    net.backward(X, T)
    sizes = np.array([np.linalg.norm(layer.delta) for layer in net.layers])
    steps_up = sizes[1:] / sizes[:-1]
    assert np.all((steps_up > 2) & (steps_up < 10)), steps_up
    assert sizes[-1] > 1000 * sizes[0]
