"""Conv2D's im2col / col2im layout and its first-layer path (``backward(g, below=False)``).

Expected values come from loops written here (one term of the chain rule at a time), never
from the library; the refusal leaves the layer as it was.
"""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest

import backprop_lib.conv as conv_module
from backprop_lib import ActivationLayer, Conv2D, Dense, Flatten, MaxPool2D, Network
from backprop_lib.conv import col2im, im2col

CASES = [  # (C, O, k, stride, padding, H, W)
    (1, 2, 3, 1, 0, 5, 5),
    (2, 3, 3, 1, 1, 5, 6),
    (3, 2, 2, 2, 1, 6, 5),  # the stride does not divide H + 2p - k: rows no patch reaches
    (1, 2, 3, 3, 2, 4, 4),
]


def backward_loops(x, W, g, stride, padding):
    """dx, dW, db of E = sum(g * y): every product W[o, c, u, v] x_pad[b, c, m, n] in
    y[b, o, i, j] sends g[b, o, i, j] times the other factor to each factor."""
    B, C, H, Wd = x.shape
    k = W.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dxp, dW = np.zeros_like(xp), np.zeros_like(W)
    for b, o, i, j in np.ndindex(*g.shape):
        for c, u, v in np.ndindex(C, k, k):
            m, n = i * stride + u, j * stride + v
            dW[o, c, u, v] += g[b, o, i, j] * xp[b, c, m, n]
            dxp[b, c, m, n] += g[b, o, i, j] * W[o, c, u, v]
    db = g.sum(axis=(0, 2, 3))
    return dxp[:, :, padding : padding + H, padding : padding + Wd], dW, db


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_im2col_and_col2im_against_loops(stride, rng):
    B, C, H, W, k = 2, 3, 7, 6, 3
    x = rng.normal(size=(B, C, H, W))
    Ho, Wo = (H - k) // stride + 1, (W - k) // stride + 1
    expected = np.zeros((B, C * k * k, Ho * Wo))
    for b, c, u, v, i, j in np.ndindex(B, C, k, k, Ho, Wo):
        expected[b, (c * k + u) * k + v, i * Wo + j] = x[b, c, i * stride + u, j * stride + v]
    np.testing.assert_array_equal(im2col(x, k, stride), expected)

    cols = rng.normal(size=expected.shape)
    added = np.zeros_like(x)
    for b, c, u, v, i, j in np.ndindex(B, C, k, k, Ho, Wo):
        added[b, c, i * stride + u, j * stride + v] += cols[b, (c * k + u) * k + v, i * Wo + j]
    np.testing.assert_allclose(col2im(cols, x.shape, k, stride), added, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_first_layer_path_stores_the_same_gradients_and_returns_none(case, dtype, rng):
    C, C_out, k, s, p, H, W = case
    layer = Conv2D(C, C_out, k, stride=s, padding=p, rng=rng, dtype=dtype)
    x = rng.normal(size=(2, C, H, W)).astype(dtype)
    g = rng.normal(size=layer.forward(x).shape).astype(dtype)
    dx, dW, db = backward_loops(x.astype(np.float64), layer.W.astype(np.float64), g, s, p)
    tol = {"rtol": 1e-12, "atol": 1e-12} if dtype == np.float64 else {"rtol": 1e-4, "atol": 1e-5}

    full = layer.backward(g)
    np.testing.assert_allclose(full, dx, **tol, err_msg="dx")
    full_dW, full_db = layer.dW, layer.db

    assert layer.backward(g, below=False) is None
    for got, expected, name in ((layer.dW, dW, "dW"), (layer.db, db, "db")):
        assert got.dtype == dtype, name
        np.testing.assert_allclose(got, expected, **tol, err_msg=name)
    np.testing.assert_array_equal(layer.dW, full_dW)
    np.testing.assert_array_equal(layer.db, full_db)


def test_a_network_skips_the_input_gradient_of_its_first_layer_only(rng, monkeypatch):
    calls = []
    original = Conv2D.backpropagate

    def spy(self, g, below=True):
        calls.append((self, below))
        return original(self, g, below=below)

    monkeypatch.setattr(Conv2D, "backpropagate", spy)
    scattered = []
    monkeypatch.setattr(
        conv_module, "col2im", lambda *a: scattered.append(a) or col2im(*a), raising=True
    )
    first, second = Conv2D(1, 2, 3, padding=1, rng=rng), Conv2D(2, 2, 3, padding=1, rng=rng)
    net = Network(
        [first, ActivationLayer("relu"), MaxPool2D(2), second, Flatten(), Dense(8, 3, rng=rng)],
        "cross_entropy",
    )
    X = rng.normal(size=(3, 1, 4, 4))
    T = np.eye(3)[[0, 2, 1]]
    net.backward(X, T)
    assert calls == [(second, True), (first, False)]
    assert len(scattered) == 1  # col2im ran for the second convolution only


def test_a_non_bool_below_is_refused_and_changes_nothing(rng):
    layer = Conv2D(1, 2, 2, rng=rng)
    x = rng.normal(size=(2, 1, 4, 4))
    g = rng.normal(size=layer.forward(x).shape)
    layer.backward(g)
    before = copy.deepcopy(layer.__dict__)
    for bad, shown in ((1, "1 (type int)"), ("no", "'no' (type str)"), (None, "None")):
        message = rf"Conv2D.backward: below must be True or False; got {re.escape(shown)}"
        with pytest.raises(TypeError, match=message):
            layer.backward(g, below=bad)
    assert before.keys() == layer.__dict__.keys()
    for key, saved in before.items():
        now = layer.__dict__[key]
        if isinstance(saved, np.ndarray):
            np.testing.assert_array_equal(now, saved, err_msg=key)
        else:
            assert now == saved, key
