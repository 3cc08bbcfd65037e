"""The layers of a modern network (backprop_lib.conv, .normalization, .misc_layers).

Each layer's forward and backward pass against an independent reference written here
(naive loops for convolution and pooling, the formulas written out for the others), central
finite differences, and the refusals (the message, nothing changed, no warning: pytest turns
warnings into errors).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from backprop_lib import (
    ActivationLayer,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    LayerNorm,
    MaxPool2D,
    Network,
    Residual,
    set_training,
)

# -- independent references ---------------------------------------------------------------


def conv_loops(x, W, b, stride, padding):
    """y[b, o, i, j] = b_o + sum_{c,u,v} W[o, c, u, v] x_pad[b, c, i s + u, j s + v]."""
    B, C, H, Wd = x.shape
    C_out, _, k, _ = W.shape
    xp = np.zeros((B, C, H + 2 * padding, Wd + 2 * padding))
    xp[:, :, padding : padding + H, padding : padding + Wd] = x
    Ho = (H + 2 * padding - k) // stride + 1
    Wo = (Wd + 2 * padding - k) // stride + 1
    y = np.zeros((B, C_out, Ho, Wo))
    for n in range(B):
        for o in range(C_out):
            for i in range(Ho):
                for j in range(Wo):
                    total = b[o]
                    for c in range(C):
                        for u in range(k):
                            for v in range(k):
                                total += W[o, c, u, v] * xp[n, c, i * stride + u, j * stride + v]
                    y[n, o, i, j] = total
    return y


def conv_backward_loops(x, W, g, stride, padding):
    """dx, dW, db of E = sum(g * y) by the chain rule, one term at a time: every product
    W[o, c, u, v] * x_pad[...] in y[b, o, i, j] sends g[b, o, i, j] to both factors."""
    B, C, H, Wd = x.shape
    C_out, _, k, _ = W.shape
    xp = np.zeros((B, C, H + 2 * padding, Wd + 2 * padding))
    xp[:, :, padding : padding + H, padding : padding + Wd] = x
    dxp, dW = np.zeros_like(xp), np.zeros_like(W)
    for n in range(B):
        for o in range(C_out):
            for i in range(g.shape[2]):
                for j in range(g.shape[3]):
                    for c in range(C):
                        for u in range(k):
                            for v in range(k):
                                m, q = i * stride + u, j * stride + v
                                dW[o, c, u, v] += g[n, o, i, j] * xp[n, c, m, q]
                                dxp[n, c, m, q] += g[n, o, i, j] * W[o, c, u, v]
    db = g.sum(axis=(0, 2, 3))
    return dxp[:, :, padding : padding + H, padding : padding + Wd], dW, db


def maxpool_loops(x, q):
    """y and the routed gradient of E = sum(g * y), ties to the first maximum (row-major)."""
    B, C, H, W = x.shape
    y = np.zeros((B, C, H // q, W // q))
    where = {}
    for n in range(B):
        for c in range(C):
            for i in range(H // q):
                for j in range(W // q):
                    best = None
                    for u in range(q):
                        for v in range(q):
                            value = x[n, c, i * q + u, j * q + v]
                            if best is None or value > best:
                                best, where[n, c, i, j] = value, (i * q + u, j * q + v)
                    y[n, c, i, j] = best
    return y, where


def numerical(f, P, h=1e-6):
    """Central differences of the scalar f() with respect to every entry of P (in place,
    restored)."""
    grad = np.zeros_like(P, dtype=np.float64)
    for index in np.ndindex(P.shape):
        saved = P[index]
        P[index] = saved + h
        plus = f()
        P[index] = saved - h
        minus = f()
        P[index] = saved
        grad[index] = (plus - minus) / (2 * h)
    return grad


def check_by_differences(layer, x, rtol=1e-6, atol=1e-8, rng=None):
    """The layer's backward (input and parameter gradients) against central differences of
    E = sum(G * y) for a random G."""
    rng = rng or np.random.default_rng(1)
    y = layer.forward(x)
    G = rng.normal(size=y.shape)
    grad_x = layer.backward(G)

    def E():
        return float(np.sum(G * layer.outputs(x)[0]))

    np.testing.assert_allclose(grad_x, numerical(E, x), rtol=rtol, atol=atol, err_msg="dx")
    for owner, name in layer.parameter_slots():
        P = getattr(owner, name)
        np.testing.assert_allclose(
            getattr(owner, "d" + name), numerical(E, P), rtol=rtol, atol=atol, err_msg=name
        )


# -- Conv2D ---------------------------------------------------------------------------------

CONV_CASES = [  # (C, O, k, stride, padding, H, W)
    (1, 1, 2, 1, 0, 3, 3),
    (2, 3, 3, 1, 1, 5, 6),
    (2, 2, 3, 2, 0, 7, 7),
    (3, 2, 2, 2, 1, 6, 5),  # the stride does not divide H + 2p - k: rows no patch reaches
    (1, 2, 3, 3, 2, 4, 4),
]


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_forward_against_loops(case, rng):
    C, C_out, k, s, p, H, W = case
    layer = Conv2D(C, C_out, k, stride=s, padding=p, rng=rng)
    layer.b = rng.normal(size=C_out)
    x = rng.normal(size=(2, C, H, W))
    np.testing.assert_allclose(
        layer.forward(x), conv_loops(x, layer.W, layer.b, s, p), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_backward_against_loops(case, rng):
    C, C_out, k, s, p, H, W = case
    layer = Conv2D(C, C_out, k, stride=s, padding=p, rng=rng)
    x = rng.normal(size=(2, C, H, W))
    g = rng.normal(size=layer.forward(x).shape)
    dx, dW, db = conv_backward_loops(x, layer.W, g, s, p)
    np.testing.assert_allclose(layer.backward(g), dx, rtol=1e-12, atol=1e-12, err_msg="dx")
    np.testing.assert_allclose(layer.dW, dW, rtol=1e-12, atol=1e-12, err_msg="dW")
    np.testing.assert_allclose(layer.db, db, rtol=1e-12, atol=1e-12, err_msg="db")


def test_conv_backward_by_differences(rng):
    layer = Conv2D(2, 2, 3, stride=2, padding=1, rng=rng)
    layer.b = rng.normal(size=2)
    check_by_differences(layer, rng.normal(size=(2, 2, 5, 4)))


def test_conv_input_gradient_is_full_correlation_with_flipped_kernel(rng):
    """Stride 1: dx = g padded by k - 1, cross-correlated with W flipped, channels swapped."""
    layer = Conv2D(2, 3, 3, rng=rng)
    x = rng.normal(size=(1, 2, 5, 5))
    g = rng.normal(size=layer.forward(x).shape)
    g_hat = np.pad(g, ((0, 0), (0, 0), (2, 2), (2, 2)))
    W_hat = np.flip(layer.W, axis=(2, 3)).transpose(1, 0, 2, 3)
    expected = conv_loops(g_hat, W_hat, np.zeros(2), 1, 0)
    np.testing.assert_allclose(layer.backward(g), expected, rtol=1e-12, atol=1e-12)


def test_conv_is_cross_correlation_not_convolution():
    """A kernel with one 1 at its top-left picks the top-left of each patch (no flip)."""
    layer = Conv2D(1, 1, 2, rng=0)
    layer.W = np.array([[[[1.0, 0.0], [0.0, 0.0]]]])
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    np.testing.assert_array_equal(layer.forward(x)[0, 0], [[0, 1], [3, 4]])


# -- MaxPool2D, Flatten ---------------------------------------------------------------------


def test_maxpool_forward_and_backward_against_loops(rng):
    layer = MaxPool2D(2)
    x = rng.normal(size=(2, 3, 4, 6))
    y_ref, where = maxpool_loops(x, 2)
    np.testing.assert_array_equal(layer.forward(x), y_ref)
    g = rng.normal(size=y_ref.shape)
    expected = np.zeros_like(x)
    for (n, c, i, j), (m, q) in where.items():
        expected[n, c, m, q] += g[n, c, i, j]
    np.testing.assert_array_equal(layer.backward(g), expected)


def test_maxpool_ties_go_to_the_first_maximum():
    layer = MaxPool2D(2)
    x = np.array([[[[0.0, 5.0], [5.0, 5.0]]]])
    layer.forward(x)
    grad = layer.backward(np.array([[[[3.0]]]]))
    np.testing.assert_array_equal(grad, [[[[0.0, 3.0], [0.0, 0.0]]]])


def test_maxpool_by_differences(rng):
    x = rng.permutation(48).reshape(1, 3, 4, 4) / 7.0  # distinct values: no ties
    check_by_differences(MaxPool2D(2), x.astype(float))


def test_flatten_round_trip(rng):
    layer = Flatten()
    x = rng.normal(size=(3, 2, 4, 5))
    y = layer.forward(x)
    np.testing.assert_array_equal(y, np.stack([row.ravel() for row in x]))
    g = rng.normal(size=y.shape)
    np.testing.assert_array_equal(layer.backward(g), g.reshape(x.shape))


# -- BatchNorm, LayerNorm --------------------------------------------------------------------


def test_batchnorm_training_forward_and_running_statistics(rng):
    layer = BatchNorm(3, eps=1e-5, momentum=0.2)
    layer.gamma, layer.beta = rng.normal(size=3), rng.normal(size=3)
    x = rng.normal(2.0, 3.0, size=(5, 3))
    mean = x.sum(axis=0) / 5
    var = ((x - mean) ** 2).sum(axis=0) / 5  # biased
    expected = layer.gamma * (x - mean) / np.sqrt(var + 1e-5) + layer.beta
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12)
    np.testing.assert_allclose(layer.running_mean, 0.2 * mean, rtol=1e-12)
    unbiased = ((x - mean) ** 2).sum(axis=0) / 4
    np.testing.assert_allclose(layer.running_var, 0.8 + 0.2 * unbiased, rtol=1e-12)


def test_batchnorm_backward_three_terms_against_formula_and_differences(rng):
    layer = BatchNorm(4)
    layer.gamma, layer.beta = rng.normal(size=4), rng.normal(size=4)
    x = rng.normal(size=(6, 4))
    y = layer.forward(x)
    g = rng.normal(size=y.shape)
    # the chain rule through mu and v, written out term by term
    B = 6
    mu = x.mean(axis=0)
    v = x.var(axis=0)
    sigma = np.sqrt(v + layer.eps)
    g_xhat = g * layer.gamma
    d_v = np.sum(g_xhat * (x - mu) * -0.5 * sigma**-3, axis=0)
    d_mu = np.sum(-g_xhat / sigma, axis=0) + d_v * np.mean(-2 * (x - mu), axis=0)
    expected = g_xhat / sigma + d_v * 2 * (x - mu) / B + d_mu / B
    np.testing.assert_allclose(layer.backward(g), expected, rtol=1e-10, atol=1e-12)
    check_by_differences(layer, x)


def test_batchnorm_evaluation_mode_uses_running_statistics(rng):
    layer = BatchNorm(3)
    layer.running_mean, layer.running_var = rng.normal(size=3), rng.uniform(1, 2, size=3)
    layer.gamma = rng.normal(size=3)
    layer.training = False
    x = rng.normal(size=(1, 3))  # one row is fine in evaluation mode
    before = layer.running_mean.copy()
    y = layer.forward(x)
    sigma = np.sqrt(layer.running_var + layer.eps)
    np.testing.assert_allclose(y, layer.gamma * (x - layer.running_mean) / sigma, rtol=1e-12)
    np.testing.assert_array_equal(layer.running_mean, before)
    g = rng.normal(size=(1, 3))
    np.testing.assert_allclose(layer.backward(g), g * layer.gamma / sigma, rtol=1e-12)
    check_by_differences(layer, rng.normal(size=(4, 3)))


def test_layernorm_forward_and_backward(rng):
    layer = LayerNorm(5)
    layer.gamma, layer.beta = rng.normal(size=5), rng.normal(size=5)
    x = rng.normal(size=(2, 3, 5))
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    expected = layer.gamma * (x - mean) / np.sqrt(var + layer.eps) + layer.beta
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12)
    check_by_differences(layer, x)


# -- Dropout, Embedding, Residual, ActivationLayer ---------------------------------------------


def test_dropout_mask_scale_and_same_mask_backward():
    layer = Dropout(0.25, rng=np.random.default_rng(3))
    x = np.ones((400, 50))
    y = layer.forward(x)
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.75)
    assert abs(kept.mean() - 0.75) < 0.01  # 20 000 draws: sd of the mean ~0.003
    u = np.random.default_rng(3).random(x.shape)  # the same Generator, the same draws
    np.testing.assert_array_equal(kept, u >= 0.25)
    g = np.arange(x.size, dtype=float).reshape(x.shape)
    np.testing.assert_allclose(layer.backward(g), g * kept / 0.75, rtol=1e-15)


def test_dropout_identity_in_evaluation_and_for_p_zero(rng):
    x = rng.normal(size=(3, 4))
    layer = Dropout(0.5, rng=np.random.default_rng(0))
    layer.training = False
    state = layer.rng.bit_generator.state
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(x), x)
    assert layer.rng.bit_generator.state == state
    np.testing.assert_array_equal(Dropout(0.0, rng=0).forward(x), x)


def test_embedding_gather_and_scatter_add(rng):
    layer = Embedding(5, 3, rng=rng)
    ids = np.array([[1, 4, 1], [0, 1, 2]])
    y = layer.forward(ids)
    for b in range(2):
        for t in range(3):
            np.testing.assert_array_equal(y[b, t], layer.W[ids[b, t]])
    g = rng.normal(size=y.shape)
    assert layer.backward(g) is None
    expected = np.zeros((5, 3))
    for b in range(2):
        for t in range(3):
            expected[ids[b, t]] += g[b, t]
    np.testing.assert_allclose(layer.dW, expected, rtol=1e-12)
    np.testing.assert_allclose(layer.dW[1], g[0, 0] + g[0, 2] + g[1, 1])  # three times
    np.testing.assert_array_equal(layer.dW[3], 0.0)  # never used


def test_residual_forward_and_backward(rng):
    inner = [Dense(4, 4, "tanh", rng=rng), Dense(4, 4, "linear", rng=rng)]
    layer = Residual(inner)
    x = rng.normal(size=(3, 4))
    expected = x + np.tanh(x @ inner[0].W + inner[0].b) @ inner[1].W + inner[1].b
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12)
    check_by_differences(layer, x)


def test_activation_layer_by_differences(rng):
    check_by_differences(ActivationLayer("tanh"), rng.normal(size=(2, 3, 4)))


# -- a network of them ------------------------------------------------------------------------


def small_cnn(rng, dtype=np.float64):
    return Network(
        [
            Conv2D(1, 3, 3, padding=1, rng=rng, dtype=dtype),
            ActivationLayer("tanh"),
            MaxPool2D(2),
            Flatten(),
            BatchNorm(12, dtype=dtype),
            Residual([Dense(12, 12, "tanh", rng=rng, dtype=dtype)]),
            Dense(12, 3, "softmax", rng=rng, dtype=dtype),
        ],
        "cross_entropy",
    )


def test_network_backward_by_differences(rng):
    net = small_cnn(rng)
    X = rng.normal(size=(5, 1, 4, 4))
    T = np.eye(3)[rng.integers(0, 3, size=5)]
    grads = net.backward(X, T)
    for layer, layer_grads in zip(net.layers, grads, strict=True):
        slots = [(layer, "W"), (layer, "b")] if isinstance(layer, Dense) else None
        slots = slots or layer.parameter_slots()
        for (owner, name), grad in zip(slots, layer_grads, strict=True):
            expected = numerical(lambda: net.forward_loss(X, T), getattr(owner, name))
            np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-8, err_msg=name)


def test_network_step_on_a_stack_moves_every_parameter_against_its_gradient(rng):
    net = small_cnn(rng)
    X = rng.normal(size=(5, 1, 4, 4))
    T = np.eye(3)[rng.integers(0, 3, size=5)]
    net.backward(X, T)
    slots = [
        slot
        for layer in net.layers
        for slot in (
            [(layer, "W"), (layer, "b")] if isinstance(layer, Dense) else layer.parameter_slots()
        )
    ]
    expected = [getattr(o, n) - 0.1 * getattr(o, "d" + n) for o, n in slots]  # eq:td-update
    net.step(0.1)
    for (owner, name), want in zip(slots, expected, strict=True):
        np.testing.assert_allclose(getattr(owner, name), want, rtol=1e-15, err_msg=name)


def test_network_trains_a_stack():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 1, 4, 4))
    labels = (X[:, 0, :2].sum(axis=(1, 2)) > 0).astype(int) + (X[:, 0, 2:, 2:].sum((1, 2)) > 0)
    T = np.eye(3)[labels]
    net = small_cnn(rng)
    history = net.fit(X, T, epochs=30, lr=0.5, batch_size=10, rng=rng, evaluate=True)
    assert history.loss[-1] < 0.5 * history.loss[0]
    set_training(net.layers, False)
    assert net.layers[4].training is False
    assert np.mean(net.predict(X) == labels) > 0.8


def test_network_astype_float32(rng):
    net = small_cnn(rng)
    net32 = net.astype(np.float32)
    X = rng.normal(size=(4, 1, 4, 4))
    assert net32.forward(X).dtype == np.float32
    np.testing.assert_allclose(net32.forward(X), net.forward(X), rtol=1e-4, atol=1e-5)


# -- refusals: message, nothing changed ---------------------------------------------------------


def snapshot(obj):
    return copy.deepcopy(obj.__dict__)


def assert_same(value, saved, key):
    if isinstance(saved, np.ndarray):
        np.testing.assert_array_equal(value, saved, err_msg=key)
    elif isinstance(saved, list):
        for i, (item, saved_item) in enumerate(zip(value, saved, strict=True)):
            assert_same(item, saved_item, f"{key}[{i}]")
    elif hasattr(saved, "__dict__") and not isinstance(saved, np.random.Generator):
        assert_unchanged(saved.__dict__, value)
    elif not isinstance(saved, np.random.Generator):
        assert value == saved, key


def assert_unchanged(before, obj):
    after = obj.__dict__ if hasattr(obj, "__dict__") else obj
    assert before.keys() == after.keys()
    for key, saved in before.items():
        assert_same(after[key], saved, key)


IMAGES = np.zeros((2, 1, 6, 6))
REFUSALS = [  # (layer, a valid input run first, the refused input, the message)
    (Conv2D(1, 2, 5, padding=1, rng=0), IMAGES, np.zeros((2, 1, 2, 3)), r"smaller than the 5 x 5"),
    (Conv2D(2, 2, 3, rng=0), np.zeros((2, 2, 6, 6)), IMAGES, r"must have 2 channels"),
    (Conv2D(1, 2, 3, rng=0), IMAGES, np.zeros((2, 5, 5)), r"shape \(batch, channels"),
    (Conv2D(1, 1, 2, rng=0), IMAGES, np.full((1, 1, 3, 3), np.nan), r"must be finite"),
    (MaxPool2D(3), IMAGES, np.zeros((2, 1, 6, 4)), r"pooling size 3 .* does not divide"),
    (Embedding(4, 2, rng=0), np.zeros((2, 2), int), np.array([[0.0, 1.0]]), r"integer token"),
    (Embedding(4, 2, rng=0), np.zeros((2, 2), int), np.array([[0, 4]]), r"got 4 at x\[0, 1\]"),
    (Embedding(4, 2, rng=0), np.zeros((2, 2), int), np.array([[-1, 2]]), r"got -1"),
    (BatchNorm(3), np.ones((2, 3)), np.zeros((1, 3)), r"batch of 1 row in training mode"),
    (BatchNorm(3), np.ones((2, 3)), np.zeros((4, 2)), r"shape \(batch, 3\)"),
    (LayerNorm(3), np.ones((2, 3)), np.zeros((4, 2)), r"\(batch, \.\.\., 3\)"),
]


@pytest.mark.parametrize(("layer", "good", "bad", "match"), REFUSALS)
def test_forward_refusals_change_nothing(layer, good, bad, match):
    layer = copy.deepcopy(layer)
    layer.forward(good)
    before = snapshot(layer)
    with pytest.raises((ValueError, TypeError), match=match):
        layer.forward(bad)
    assert_unchanged(before, layer)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, float("nan")])
def test_dropout_refuses_p(p):
    with pytest.raises(ValueError, match=r"Dropout: p must be a number in \[0, 1\)"):
        Dropout(p)


def test_dropout_refuses_non_number():
    with pytest.raises(TypeError, match=r"Dropout: p must be a number"):
        Dropout("0.5")


def test_network_refuses_before_changing_anything(rng):
    net = small_cnn(rng)
    X = rng.normal(size=(6, 1, 4, 4))
    T = np.eye(3)[rng.integers(0, 3, size=6)]
    net.backward(X, T)
    before = [snapshot(layer) for layer in net.layers]
    fit_rng = np.random.default_rng(5)
    state = fit_rng.bit_generator.state
    with pytest.raises(ValueError, match=r"Network.fit: X must have 1 channels"):
        net.fit(rng.normal(size=(6, 2, 4, 4)), T, 1, 0.1, 3, rng=fit_rng)
    with pytest.raises(ValueError, match=r"pooling size 2 .* does not divide"):
        net.fit(rng.normal(size=(6, 1, 5, 5)), T, 1, 0.1, 3, rng=fit_rng)
    with pytest.raises(ValueError, match=r"batch of 1 row in training mode"):
        net.backward(X[:1], T[:1])
    assert fit_rng.bit_generator.state == state
    for layer, saved in zip(net.layers, before, strict=True):
        assert_unchanged(saved, layer)


def test_network_refuses_a_stack_without_a_dense_output():
    with pytest.raises(TypeError, match=r"the last layer must be a Dense"):
        Network([Flatten(), BatchNorm(3)])
    flatten = Flatten()
    with pytest.raises(ValueError, match=r"appears twice"):
        Network([flatten, flatten, Dense(2, 2, "softmax", rng=0)])


def test_network_with_an_embedding_first_takes_integer_ids(rng):
    net = Network([Embedding(7, 4, rng=rng), Flatten(), Dense(12, 2, "softmax", rng=rng)])
    ids = rng.integers(0, 7, size=(8, 3))
    T = np.eye(2)[(ids[:, 0] > 3).astype(int)]
    (dW_embedding,), _, (dW, db) = net.backward(ids, T)
    expected = numerical(lambda: net.forward_loss(ids, T), net.layers[0].W)
    np.testing.assert_allclose(dW_embedding, expected, rtol=1e-6, atol=1e-9)
    with pytest.raises(ValueError, match=r"Network.backward: X must hold token ids in \[0, 7\)"):
        net.backward(ids + 7, T)
    with pytest.raises(TypeError, match=r"integer token ids"):
        net.backward(ids.astype(float), T)


def test_gradient_check_covers_every_parameter_of_a_stack(rng):
    """The library's gradient_check on a CNN stack (Residual inner layers included) is
    small, and large once one parameter gradient is broken."""
    from backprop_lib import gradient_check

    net = small_cnn(rng)
    X = rng.normal(size=(5, 1, 4, 4))
    T = np.eye(3)[rng.integers(0, 3, size=5)]
    assert gradient_check(net, X, T) < 1e-6
    original = BatchNorm.backpropagate  # what the network calls

    def broken(self, g, below=True):
        grad_x = original(self, g, below)
        self.dgamma = 1.01 * self.dgamma  # a 1 % error in one parameter's gradient
        return grad_x

    BatchNorm.backpropagate = broken
    try:
        assert gradient_check(net, X, T) > 1e-3
    finally:
        BatchNorm.backpropagate = original


@pytest.mark.parametrize(
    ("layer", "x"),
    [
        (BatchNorm(2), np.array([[1e300, 1.0], [-1e300, 2.0]])),
        (LayerNorm(2), np.array([[1e300, -1e300]])),
        (Conv2D(1, 1, 2, rng=0), np.full((1, 1, 3, 3), 1e308)),
    ],
)
def test_overflow_is_an_error_not_a_warning_or_a_wrong_value(layer, x):
    if isinstance(layer, Conv2D):
        layer.W = np.full_like(layer.W, 10.0)  # 4 products of 1e309: inf
    before = snapshot(layer)
    with pytest.raises(FloatingPointError, match=r"overflowed to NaN or inf.*Nothing was stored"):
        layer.forward(x)
    assert_unchanged(before, layer)


def test_replaced_parameters_are_checked(rng):
    conv = Conv2D(1, 2, 3, rng=rng)
    conv.W = rng.normal(size=(2, 1, 3, 3))  # same shape: accepted
    conv.forward(np.zeros((1, 1, 4, 4)))
    conv.W = np.zeros((2, 1, 2, 2))
    with pytest.raises(ValueError, match=r"Conv2D.forward: self.W must have shape \(2, 1, 3, 3\)"):
        conv.forward(np.zeros((1, 1, 4, 4)))
    bn = BatchNorm(3)
    bn.gamma = np.ones(3, dtype=np.float32)
    with pytest.raises(TypeError, match=r"gamma has dtype float32"):
        bn.forward(np.ones((2, 3)))
    net = small_cnn(rng)
    net.layers[4].beta = np.array([np.nan] * 12)
    with pytest.raises(ValueError, match=r"layers\[4\].beta contains NaN"):
        net.forward(np.zeros((2, 1, 4, 4)))
