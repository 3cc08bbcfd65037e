"""The layers of a modern network against the reverse-mode engine (backprop_lib.autodiff).

Each layer's forward pass is written here from the engine's primitives (indexing, matrix
products, sums, means, powers, max, reshape, transpose), independently of the layer's code;
the engine differentiates E = sum(G * y) for a random G, and its gradients must equal the
layer's backward pass (input and parameters).
"""

from __future__ import annotations

import numpy as np
import pytest

from backprop_lib import (
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    LayerNorm,
    MaxPool2D,
    Residual,
)
from backprop_lib.autodiff import Tensor, concat


def engine_gradients(forward, inputs: dict, G: np.ndarray) -> dict:
    """The engine's dE/d(input) for E = sum(G * forward(**tensors))."""
    tensors = {name: Tensor(value) for name, value in inputs.items()}
    y = forward(**tensors)
    np.testing.assert_equal(y.shape, G.shape)
    (y * G).sum().backward()
    return {name: tensor.grad for name, tensor in tensors.items()}


def assert_same(layer_grads: dict, engine: dict) -> None:
    for name, grad in engine.items():
        np.testing.assert_allclose(layer_grads[name], grad, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize(("stride", "padding"), [(1, 0), (1, 1), (2, 1), (3, 0)])
def test_conv2d(stride, padding, rng):
    C, C_out, k, H, Wd = 2, 3, 3, 6, 7
    layer = Conv2D(C, C_out, k, stride=stride, padding=padding, rng=rng)
    layer.b = rng.normal(size=C_out)
    x = rng.normal(size=(2, C, H, Wd))
    G = rng.normal(size=layer.forward(x).shape)
    grads = {"x": layer.backward(G), "W": layer.dW, "b": layer.db}
    Ho = (H + 2 * padding - k) // stride + 1
    Wo = (Wd + 2 * padding - k) // stride + 1
    # padding as a gather from x with one zero appended: index H * Wd points at the zero
    rows = np.arange(-padding, H + padding)
    cols = np.arange(-padding, Wd + padding)
    inside = (rows[:, None] >= 0) & (rows[:, None] < H) & (cols >= 0) & (cols < Wd)
    flat_index = np.where(inside, rows[:, None] * Wd + cols, H * Wd)

    def forward(x, W, b):
        x_flat = x.reshape(2, C, H * Wd)
        zero = x_flat[:, :, :1] * 0.0
        padded = concat([x_flat, zero], axis=2)[:, :, flat_index]  # (B, C, Hp, Wp)
        patches = []
        for i in range(Ho):
            for j in range(Wo):
                patch = padded[:, :, i * stride : i * stride + k, j * stride : j * stride + k]
                patches.append(patch.reshape(2, 1, C * k * k))
        rows_t = concat(patches, axis=1)  # (B, Ho * Wo, C k k): im2col, by the engine
        y = rows_t.reshape(2 * Ho * Wo, C * k * k) @ W.reshape(C_out, C * k * k).T + b
        return y.reshape(2, Ho * Wo, C_out).transpose((0, 2, 1)).reshape(2, C_out, Ho, Wo)

    assert_same(grads, engine_gradients(forward, {"x": x, "W": layer.W, "b": layer.b}, G))


def test_maxpool_and_flatten(rng):
    pool, flat = MaxPool2D(2), Flatten()
    x = rng.normal(size=(2, 3, 4, 6))
    y = flat.forward(pool.forward(x))
    G = rng.normal(size=y.shape)
    grads = {"x": pool.backward(flat.backward(G))}

    def forward(x):
        windows = x.reshape(2, 3, 2, 2, 3, 2).transpose((0, 1, 2, 4, 3, 5)).reshape(2, 3, 2, 3, 4)
        return windows.max(axis=4).reshape(2, 18)

    assert_same(grads, engine_gradients(forward, {"x": x}, G))


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm(training, rng):
    layer = BatchNorm(4)
    layer.gamma, layer.beta = rng.normal(size=4), rng.normal(size=4)
    layer.running_mean, layer.running_var = rng.normal(size=4), rng.uniform(1, 2, size=4)
    layer.training = training
    running = (layer.running_mean.copy(), layer.running_var.copy())
    x = rng.normal(size=(5, 4))
    G = rng.normal(size=(5, 4))
    layer.forward(x)
    grads = {"x": layer.backward(G), "gamma": layer.dgamma, "beta": layer.dbeta}

    def forward(x, gamma, beta):
        if training:
            mu = x.mean(axis=0)
            var = ((x - mu) ** 2).mean(axis=0)
        else:
            mu, var = running
        return gamma * (x - mu) / (var + layer.eps) ** 0.5 + beta

    inputs = {"x": x, "gamma": layer.gamma, "beta": layer.beta}
    assert_same(grads, engine_gradients(forward, inputs, G))


def test_layernorm(rng):
    layer = LayerNorm(5)
    layer.gamma, layer.beta = rng.normal(size=5), rng.normal(size=5)
    x = rng.normal(size=(2, 3, 5))
    G = rng.normal(size=x.shape)
    layer.forward(x)
    grads = {"x": layer.backward(G), "gamma": layer.dgamma, "beta": layer.dbeta}

    def forward(x, gamma, beta):
        mu = x.mean(axis=2, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=2, keepdims=True)
        return gamma * (x - mu) / (var + layer.eps) ** 0.5 + beta

    inputs = {"x": x, "gamma": layer.gamma, "beta": layer.beta}
    assert_same(grads, engine_gradients(forward, inputs, G))


def test_dropout(rng):
    layer = Dropout(0.4, rng=np.random.default_rng(2))
    x = rng.normal(size=(6, 5))
    G = rng.normal(size=x.shape)
    layer.forward(x)
    grads = {"x": layer.backward(G)}
    keep = np.random.default_rng(2).random(x.shape) >= 0.4  # the layer's own draws

    def forward(x):
        return x * (keep / 0.6)

    assert_same(grads, engine_gradients(forward, {"x": x}, G))


def test_embedding_repeated_ids(rng):
    layer = Embedding(6, 3, rng=rng)
    ids = np.array([[1, 4, 1, 1], [0, 4, 5, 2]])
    G = rng.normal(size=(2, 4, 3))
    layer.forward(ids)
    layer.backward(G)

    def forward(W):
        return W[ids]

    assert_same({"W": layer.dW}, engine_gradients(forward, {"W": layer.W}, G))


def test_residual(rng):
    inner = Dense(4, 4, "tanh", rng=rng)
    layer = Residual([inner])
    x = rng.normal(size=(3, 4))
    G = rng.normal(size=x.shape)
    layer.forward(x)
    grads = {"x": layer.backward(G), "W": inner.dW, "b": inner.db}

    def forward(x, W, b):
        return x + (x @ W + b).tanh()

    assert_same(grads, engine_gradients(forward, {"x": x, "W": inner.W, "b": inner.b}, G))
