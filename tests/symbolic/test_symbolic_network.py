"""Tests of backprop_lib.symbolic.network: the fully symbolic forward pass."""

from types import SimpleNamespace

import numpy as np
import pytest
import sympy as sp
from helpers import numpy_outputs

from backprop_lib.symbolic import latex, symbolic_network, weight_symbols


def _fake_network(sizes, activations, rng):
    """Plain numbers with the library's attribute names (independent of backprop_lib)."""
    layers = [
        SimpleNamespace(
            W=rng.normal(size=(n_in, n_out)),
            b=rng.normal(size=n_out),
            activation=SimpleNamespace(name=act),
        )
        for n_in, n_out, act in zip(sizes[:-1], sizes[1:], activations, strict=True)
    ]
    return SimpleNamespace(layers=layers)


def _numpy_forward(net, x):
    o = np.asarray(x, dtype=float)
    for layer in net.layers:
        o = numpy_outputs(layer.activation.name, o @ layer.W + layer.b)
    return o


def test_symbol_names_render_in_book_notation():
    W = weight_symbols(1, 2, 3)
    assert latex(W[0, 1]) == "w^{(1)}_{12}"
    assert W[0, 1].is_real
    wide = weight_symbols(2, 12, 3)
    assert latex(wide[11, 2]) == "w^{(2)}_{12,3}"
    assert len(set(wide)) == 36
    net = symbolic_network((2, 3), "sigmoid")
    assert latex(net.s[0][2]) == "b^{(1)}_{3} + w^{(1)}_{13} x_{1} + w^{(1)}_{23} x_{2}"


def test_shapes_and_parameter_order():
    net = symbolic_network((2, 3, 2), ("tanh", "softmax"))
    assert [W.shape for W in net.W] == [(2, 3), (3, 2)]
    assert [b.shape for b in net.b] == [(1, 3), (1, 2)]
    assert [s.shape for s in net.s] == [(1, 3), (1, 2)]
    assert net.output.shape == net.t.shape == (1, 2)
    params = net.parameters()
    assert len(params) == len(set(params)) == 2 * 3 + 3 + 3 * 2 + 2
    assert params[:3] == [net.W[0][0, 0], net.W[0][0, 1], net.W[0][0, 2]]
    assert params[6:9] == list(net.b[0])
    assert net.layer_input(1) == net.x and net.layer_input(2) == net.o[0]


def test_forward_expression_is_the_layer_equation():
    net = symbolic_network((2, 2, 1), ("sigmoid", "linear"))
    h1 = 1 / (1 + sp.exp(-(net.x[0] * net.W[0][0, 0] + net.x[1] * net.W[0][1, 0] + net.b[0][0])))
    assert sp.simplify(net.o[0][0] - h1) == 0
    assert sp.expand(net.s[1][0] - (net.o[0] * net.W[1])[0] - net.b[1][0]) == 0


@pytest.mark.parametrize(
    "sizes, activations",
    [
        ((2, 3, 2), ("sigmoid", "softmax")),
        ((3, 2, 2, 1), ("tanh", "relu", "linear")),
        ((2, 2, 3), ("relu", "sigmoid")),
        ((1, 3), ("softmax",)),
    ],
)
def test_forward_matches_numpy_at_random_numbers(sizes, activations):
    rng = np.random.default_rng(7)
    net = symbolic_network(sizes, activations)
    for _ in range(3):
        numbers = _fake_network(sizes, activations, rng)
        x = rng.normal(size=sizes[0])
        got = net.evaluate(net.output, numbers, x)
        np.testing.assert_allclose(got[0], _numpy_forward(numbers, x), rtol=1e-12, atol=1e-14)


def test_loss_expression_is_per_sample():
    net = symbolic_network((2, 2), "sigmoid")
    rng = np.random.default_rng(3)
    numbers = _fake_network((2, 2), ("sigmoid",), rng)
    x, t = rng.normal(size=2), np.array([0.25, 1.0])
    o = _numpy_forward(numbers, x)
    expected = -np.sum(t * np.log(o) + (1 - t) * np.log(1 - o))
    got = net.evaluate(net.loss("binary_cross_entropy"), numbers, x, t)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize(
    "args, error, words",
    [
        (((3,), "sigmoid"), ValueError, "sizes"),
        (((2, 0), "sigmoid"), ValueError, "sizes"),
        (((2, 2.5), "sigmoid"), ValueError, "sizes"),
        (("22", "sigmoid"), TypeError, "sizes"),
        (((2, 2, 2), ("sigmoid",)), ValueError, "activations"),
        (((2, 2), "swish"), ValueError, "valid names"),
        (((2, 2), 3), TypeError, "activations"),
    ],
)
def test_symbolic_network_rejects_bad_input(args, error, words):
    with pytest.raises(error, match=words):
        symbolic_network(*args)


def test_substitution_rejects_mismatched_network():
    rng = np.random.default_rng(0)
    net = symbolic_network((2, 3, 1), ("sigmoid", "linear"))
    with pytest.raises(ValueError, match="W"):
        net.substitution(_fake_network((2, 2, 1), ("sigmoid", "linear"), rng), [0.0, 1.0])
    with pytest.raises(ValueError, match="activation"):
        net.substitution(_fake_network((2, 3, 1), ("tanh", "linear"), rng), [0.0, 1.0])
    with pytest.raises(ValueError, match="layers"):
        net.substitution(_fake_network((2, 3), ("sigmoid",), rng), [0.0, 1.0])
    good = _fake_network((2, 3, 1), ("sigmoid", "linear"), rng)
    with pytest.raises(ValueError, match="x_row"):
        net.substitution(good, [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="x_row"):
        net.substitution(good, [0.0, np.nan])
    with pytest.raises(TypeError, match="network"):
        net.substitution(object(), [0.0, 1.0])
