r"""Claims of the chapter *Vanishing and exploding gradients, and initialization*
(book/vanishing-exploding.md), checked beyond the page.

Expected values come from computations independent of ``backprop_lib``'s backward pass: the
sigmoid and its slope written out in numpy (``tests/helpers.py``), sympy, sampled variances,
matrix-norm inequalities and the closed form of gradient descent on a quadratic.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from helpers import numpy_derivative, sigmoid

from backprop_lib import Dense, Network

WIDTH, DEPTH, BATCH = 64, 16, 64


def deep_network(activation, std, rng) -> Network:
    r"""DEPTH layers of WIDTH units, $W \sim N(0, \mathrm{std}^2)$, $b = 0$, linear output."""
    layers = []
    for k in range(DEPTH):
        f = "linear" if k == DEPTH - 1 else activation
        W = rng.normal(0.0, std(WIDTH, WIDTH), size=(WIDTH, WIDTH))
        layers.append(Dense.from_arrays(W, np.zeros(WIDTH), f))
    return Network(layers, loss="squared_error")


def he(n_in, n_out):
    return np.sqrt(2 / n_in)


def glorot(n_in, n_out):
    return np.sqrt(2 / (n_in + n_out))


def spread(net, rng) -> float:
    r"""RMS of $\delta^1$ over RMS of $\delta^L$ for one random batch."""
    X, T = rng.normal(size=(BATCH, WIDTH)), rng.normal(size=(BATCH, WIDTH))
    net.backward(X, T)
    sizes = [np.sqrt(np.mean(layer.delta**2)) for layer in net.layers]
    return sizes[0] / sizes[-1]


def test_sigmoid_slope_is_at_most_a_quarter():
    r"""$\sigma'(z) \le 1/4$ on a dense grid, with equality only at $z = 0$ (numpy), and the
    maximum of sympy's $\sigma'$ is $1/4$."""
    z = np.linspace(-30, 30, 600001)
    slope = sigmoid(z) * (1 - sigmoid(z))
    assert slope.max() <= 0.25 and np.isclose(slope.max(), 0.25, rtol=1e-12)
    assert abs(z[np.argmax(slope)]) < 1e-9
    x = sp.Symbol("x", real=True)
    s = 1 / (1 + sp.exp(-x))
    assert sp.maximum(sp.diff(s, x), x) == sp.Rational(1, 4)


@pytest.mark.parametrize("seed", range(4))
def test_default_initialization_depth_profile(seed):
    r"""With the library's default weights, 16 layers deep: sigmoid deltas vanish (first over
    last < 1e-6); tanh and ReLU deltas keep their size within the chapter's bounds."""
    rng = np.random.default_rng(seed)
    ratios = {}
    for name in ("sigmoid", "tanh", "relu"):
        net = Network.from_sizes(
            [WIDTH] * (DEPTH + 1), [name] * (DEPTH - 1) + ["linear"], loss="squared_error", rng=rng
        )
        ratios[name] = spread(net, rng)
    assert ratios["sigmoid"] < 1e-6, ratios
    assert 1e-1 < ratios["tanh"] < 1e1, ratios
    assert 1e-1 < ratios["relu"] < 1e1, ratios


@pytest.mark.parametrize("seed", range(4))
def test_initialization_profiles(seed):
    r"""He keeps ReLU deltas, Glorot keeps tanh deltas; v = 1 explodes ReLU; small weights
    make every activation's deltas vanish."""
    rng = np.random.default_rng(seed)
    assert 1e-1 < spread(deep_network("relu", he, rng), rng) < 1e1
    assert 1e-2 < spread(deep_network("tanh", glorot, rng), rng) < 1e2
    assert spread(deep_network("relu", glorot, rng), rng) < 1e-1
    assert spread(deep_network("relu", lambda i, o: 1.0, rng), rng) > 1e6
    for name in ("sigmoid", "tanh", "relu"):
        assert spread(deep_network(name, lambda i, o: 1e-2, rng), rng) < 1e-10


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_one_layer_norm_bound(activation, rng):
    r"""$\lVert\delta^l\rVert_F \le \max|f'(s^l)|\, \lVert W^{l+1}\rVert_2\,
    \lVert\delta^{l+1}\rVert_F$ at every layer, with the slope from sympy (the sympy twin's
    $f$ differentiated and lambdified)."""
    net = Network.from_sizes([12] * 7, [activation] * 5 + ["linear"], loss="squared_error", rng=rng)
    X, T = rng.normal(size=(9, 12)), rng.normal(size=(9, 12))
    net.backward(X, T)
    for below, above in zip(net.layers[:-1], net.layers[1:], strict=True):
        bound = (
            numpy_derivative(activation, below.s).max()
            * np.linalg.norm(above.W, 2)
            * np.linalg.norm(above.delta)
        )
        assert np.linalg.norm(below.delta) <= bound * (1 + 1e-12)


@pytest.mark.parametrize("n, v", [(64, 1 / 64), (256, 2 / 256), (100, 0.3)])
def test_variance_of_s_is_n_v_second_moment(n, v, rng):
    r"""$\mathrm{Var}(s) = n\, v\, \mathbb E[o^2]$, sampled over 40 weight matrices."""
    o = np.abs(rng.normal(size=(1, n))) + 0.5  # not centred: E[o^2] is what counts
    sums = np.concatenate([o @ rng.normal(0, np.sqrt(v), size=(n, 200)) for _ in range(40)], axis=1)
    np.testing.assert_allclose(np.var(sums), n * v * np.mean(o**2), rtol=0.05)


def test_relu_halves_the_second_moment(rng):
    r"""$\mathbb E[\max(0, s)^2] = \mathrm{Var}(s)/2$ for $s \sim N(0, 3^2)$, sampled."""
    s = rng.normal(0.0, 3.0, size=400_000)
    np.testing.assert_allclose(np.mean(np.maximum(0, s) ** 2), 9 / 2, rtol=0.01)


@pytest.mark.parametrize(
    "n_in, n_out, activation, expected",
    [(64, 32, "tanh", 2 / 96), (50, 50, "sigmoid", 2 / 100), (80, 40, "relu", 2 / 80)],
)
def test_library_default_weights_have_the_derived_variance(n_in, n_out, activation, expected):
    r"""Dense's defaults: Glorot $v = 2/(n_{in} + n_{out})$ for sigmoid and tanh (uniform),
    He $v = 2/n_{in}$ for ReLU (normal), sampled over 30 layers."""
    W = np.concatenate([Dense(n_in, n_out, activation, rng=k).W.ravel() for k in range(30)])
    np.testing.assert_allclose(np.var(W), expected, rtol=0.03)
    if activation != "relu":
        assert np.abs(W).max() <= np.sqrt(6 / (n_in + n_out))


@pytest.mark.parametrize("h", [0.5, 4.0, 100.0])
def test_gradient_descent_on_a_quadratic_is_stable_below_two_over_h(h):
    r"""$w \leftarrow (1 - \eta h) w$: 50 steps shrink $w$ for $\eta$ just below $2/h$ and
    grow it just above."""
    for factor, shrinks in ((0.95, True), (1.05, False)):
        eta, w = factor * 2 / h, 1.0
        for _ in range(50):
            w -= eta * h * w  # dE/dw = h w
        assert (abs(w) < 1.0) == shrinks
