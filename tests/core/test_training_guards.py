"""What a callback, a huge network or a huge learning rate can do to ``fit``, ``step`` and
``from_sizes``. Each refusal is checked for its message, the state it leaves (weights, the
caller's Generator) and the absence of numpy warnings; the weights a refused or stopped call
leaves are compared with an independent run of the same training (a copy of the network
trained without the callback), never with values the call reports."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_layer_state, layer_state
from refusal import T4, X4, assert_refused

from backprop_lib import Network, gradient_check


def small_net() -> Network:
    return Network.from_sizes([3, 4, 2], ["tanh", "softmax"], "cross_entropy", rng=3)


def weights_after(net: Network, epochs: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The weights ``epochs`` full-batch steps of lr 0.5 give, from a copy of ``net``
    trained by hand (backward, then W - lr dW): the reference the guards must restore."""
    net = net.copy()
    for _ in range(epochs):
        for layer, (dW, db) in zip(net.layers, net.backward(X4, T4), strict=True):
            layer.W = layer.W - 0.5 * dW
            layer.b = layer.b - 0.5 * db
    return [(layer.W, layer.b) for layer in net.layers]


def assert_weights(net: Network, expected) -> None:
    for layer, (W, b) in zip(net.layers, expected, strict=True):
        # a step moves W by ~1e-2; rounding of the two orders of evaluation is ~1e-16
        np.testing.assert_allclose(layer.W, W, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(layer.b, b, rtol=1e-12, atol=1e-14)


def test_a_callback_that_makes_a_weight_read_only_leaves_no_half_step():
    net = small_net()
    start = net.copy()

    def freeze(net, history):
        net.layers[1].W.flags.writeable = False

    assert_refused(
        lambda: net.fit(X4, T4, 3, 0.5, 4, rng=0, callback=freeze),
        ValueError,
        r"Network\.fit: layers\[1\]\.W is read-only .* The callback left it so after epoch 1: "
        r"training stopped, and the network holds the weights of epoch 1",
    )
    assert_weights(net, weights_after(start, 1))  # one whole step, none of the second


@pytest.mark.parametrize("epoch", [1, 3])
def test_a_callback_that_writes_nan_never_leaves_nan_weights(epoch):
    """At the last epoch (3) or before it: the network holds the weights of that epoch as
    recorded, before the callback wrote NaN."""
    net = small_net()
    start = net.copy()

    def poison(net, history):
        if history.epoch[-1] == epoch:
            net.layers[0].W[0, 0] = np.nan

    assert_refused(
        lambda: net.fit(X4, T4, 3, 0.5, 4, rng=0, callback=poison),
        ValueError,
        rf"Network\.fit: layers\[0\]\.W contains NaN or inf\. The callback left it so after "
        rf"epoch {epoch}: training stopped, and the network holds the weights of epoch {epoch}",
    )
    assert_weights(net, weights_after(start, epoch))
    assert all(np.isfinite(W).all() and np.isfinite(b).all() for W, b in net.parameters())


def test_the_kept_weights_of_a_diverged_epoch_are_those_recorded_before_the_callback():
    """A callback that blows the weights up (finite, so accepted) makes epoch 2 diverge;
    the message says the network keeps the weights of epoch 1, and they are epoch 1's as
    training left them, not the callback's."""
    net = small_net()
    start = net.copy()

    def blow_up(net, history):
        if history.epoch[-1] == 1:
            net.layers[1].W *= 1e200

    assert_refused(
        lambda: net.fit(X4, T4, 3, 0.5, 4, rng=0, callback=blow_up),
        FloatingPointError,
        r"at epoch 2 .* The network keeps the weights of epoch 1\.",
    )
    assert_weights(net, weights_after(start, 1))


@pytest.mark.parametrize("callback", [dict, max])
def test_a_callable_whose_signature_cannot_be_read_is_refused_before_training(callback):
    net, g = small_net(), np.random.default_rng(4)
    before, g_before = layer_state(net), g.bit_generator.state
    assert_refused(
        lambda: net.fit(X4, T4, 2, 0.5, 4, rng=g, callback=callback),
        TypeError,
        r"Network\.fit: callback must be callable as callback\(net, history\) or None; got "
        r".*whose signature cannot be read",
    )
    assert_layer_state(before, net)
    assert g.bit_generator.state == g_before


def test_a_network_too_large_to_allocate_draws_nothing_from_the_callers_generator():
    """2**20 x 2**20 float64 weights are 8 TiB: the allocation fails at once. Layers 1 and 2
    (3 x 2 and 2**20 x 3 weights) were drawn before it; the Generator is given its state
    back, so the next draw is the one it would have been."""
    g, twin = np.random.default_rng(5), np.random.default_rng(5)
    error = assert_refused(
        lambda: Network.from_sizes([2, 3, 2**20, 2**20], rng=g),
        MemoryError,
        r"Network\.from_sizes: sizes \[2, 3, 1048576, 1048576\] need \d+ parameters .* rng "
        r"was not advanced",
    )
    assert error is not None
    np.testing.assert_array_equal(g.random(5), twin.random(5))


@pytest.mark.parametrize(
    ("call", "where"),
    [
        (lambda net: net.fit(X4, T4, 2, 10**400, 4, rng=0), "Network.fit"),
        (lambda net: (net.backward(X4, T4), net.step(10**400)), "Network.step"),
        (lambda net: gradient_check(net, X4, T4, eps=10**400), "gradient_check"),
    ],
)
def test_a_number_beyond_float_is_a_clear_value_error(call, where):
    net = small_net()
    net.backward(X4, T4)
    before = layer_state(net)
    assert_refused(
        lambda: call(net),
        ValueError,
        rf"{where}: (lr|eps) must be a positive finite number; got 1000.* \(type int\), beyond "
        r"the largest float \(1\.798e\+308\)\.",
    )
    assert_layer_state(before, net)


def _cnn(rng: np.random.Generator) -> Network:
    from backprop_lib import ActivationLayer, BatchNorm, Conv2D, Dense, Flatten, MaxPool2D

    return Network(
        [
            Conv2D(1, 4, 3, padding=1, rng=rng),
            ActivationLayer("relu"),
            MaxPool2D(2),
            Flatten(),
            Dense(64, 8, "linear", rng=rng),
            BatchNorm(8),
            ActivationLayer("tanh"),
            Dense(8, 10, "softmax", rng=rng),
        ],
        "cross_entropy",
    )


def slots(net: Network) -> list:
    from backprop_lib.base_layer import parameter_slots

    return [slot for layer in net.layers for slot in parameter_slots(layer)]


@pytest.mark.parametrize("lr", [1e200, 1e300])
def test_a_cnn_that_diverges_ends_in_the_divergence_guard(lr):
    r"""An overflow inside a convolutional network (NaN reaching Flatten's or BatchNorm's
    backward pass) is training that diverged, as in a Dense network: ``FloatingPointError``
    from ``fit``'s guard, and the weights of epoch 0, i.e. the weights before the call
    (not a ``ValueError`` about an array the user never passed)."""
    rng = np.random.default_rng(0)
    net = _cnn(rng)
    X = 1e3 * rng.normal(size=(20, 1, 8, 8))
    T = np.eye(10)[rng.integers(0, 10, size=20)]
    before = [getattr(owner, name).copy() for owner, name in slots(net)]
    with pytest.raises(FloatingPointError, match=r"Network\.fit: .*training diverged"):
        net.fit(X, T, epochs=3, lr=lr, batch_size=5, rng=np.random.default_rng(1))
    after = [getattr(owner, name) for owner, name in slots(net)]
    for old, new in zip(before, after, strict=True):
        np.testing.assert_array_equal(new, old)
