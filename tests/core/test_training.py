"""Tests for Network.fit and its History: it learns small real problems (XOR and a tiny
digits subset), is reproducible from a seed, equals a hand-written loop of backward and
step, records what a training curve needs (by default the batch means an independent loop
computes; with ``evaluate=True`` the exact full-set values), and stops when the callback
says so."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import numpy_loss, numpy_outputs
from sklearn.datasets import load_digits

from backprop_lib import History, Network

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_T = np.array([[0.0], [1.0], [1.0], [0.0]])


@pytest.fixture(scope="module")
def digits():
    """500 digits for training, 300 others for validation, pixels scaled to [0, 1]."""
    images, labels = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(labels))
    X, y = images[order] / 16.0, labels[order]
    T = np.eye(10)[y]
    return (X[:500], T[:500], y[:500]), (X[500:800], T[500:800], y[500:800])


def xor_net(seed=0):
    return Network.from_sizes([2, 4, 1], ["tanh", "sigmoid"], "binary_cross_entropy", rng=seed)


def test_fit_learns_xor():
    net = xor_net()
    history = net.fit(XOR_X, XOR_T, epochs=500, lr=1.0, batch_size=4, rng=0, evaluate=True)
    assert history.loss[0] > 0.6  # about ln 2 per sample at the start
    assert history.loss[-1] < 0.02
    assert history.accuracy[-1] == 1.0
    np.testing.assert_array_equal(net.predict(XOR_X), [0, 1, 1, 0])


def test_fit_learns_a_tiny_digits_subset(digits):
    (X, T, y), (X_val, T_val, y_val) = digits
    net = Network.from_sizes([64, 32, 10], ["sigmoid", "softmax"], "cross_entropy", rng=1)
    history = net.fit(
        X,
        T,
        epochs=20,
        lr=0.5,
        batch_size=16,
        rng=2,
        validation_data=(X_val, T_val),
        evaluate=True,
    )
    assert history.loss[0] > 2.0  # about ln 10 before training
    assert history.loss[-1] < 0.3 * history.loss[0]
    assert history.accuracy[-1] > 0.9
    assert history.val_accuracy[-1] > 0.8
    assert history.val_loss[-1] < history.val_loss[0]
    np.testing.assert_allclose(history.accuracy[-1], np.mean(net.predict(X) == y))
    np.testing.assert_allclose(history.val_accuracy[-1], np.mean(net.predict(X_val) == y_val))


def test_history_records_a_training_curve(digits):
    (X, T, _), (X_val, T_val, _) = digits
    net = Network.from_sizes([64, 10], ["softmax"], "cross_entropy", rng=3)
    history = net.fit(
        X,
        T,
        epochs=3,
        lr=0.1,
        batch_size=64,
        rng=4,
        validation_data=(X_val, T_val),
        evaluate=True,
    )
    assert isinstance(history, History) and history.evaluated
    assert history.initial_loss == history.loss[0]
    assert history.epoch == [0, 1, 2, 3]
    assert history.steps == [0, 8, 16, 24]  # ceil(500 / 64) = 8 steps per epoch
    assert len(history.loss) == len(history.accuracy) == len(history.val_loss) == 4
    assert (history.lr, history.batch_size, history.n_samples) == (0.1, 64, 500)
    assert not history.stopped_early
    # the recorded loss is the exact loss of the final weights on the whole set
    assert history.loss[-1] == net.loss(X, T)
    assert history.val_loss[-1] == net.loss(X_val, T_val)
    assert all(isinstance(v, float) for v in history.loss + history.accuracy)
    assert "epochs 3" in repr(history) and "val_loss" in repr(history)


def test_without_validation_data_the_validation_lists_stay_empty():
    history = xor_net().fit(XOR_X, XOR_T, epochs=2, lr=0.1, batch_size=2, rng=0)
    assert history.val_loss == [] and history.val_accuracy == []


def test_same_seed_same_weights_and_history(digits):
    (X, T, _), _ = digits
    runs = []
    for _ in range(2):
        net = Network.from_sizes([64, 16, 10], ["tanh", "softmax"], "cross_entropy", rng=5)
        history = net.fit(X, T, epochs=3, lr=0.2, batch_size=10, rng=np.random.default_rng(6))
        runs.append((net, history))
    (net_a, history_a), (net_b, history_b) = runs
    assert history_a == history_b
    for (W_a, b_a), (W_b, b_b) in zip(net_a.parameters(), net_b.parameters(), strict=True):
        np.testing.assert_array_equal(W_a, W_b)
        np.testing.assert_array_equal(b_a, b_b)
    other = Network.from_sizes([64, 16, 10], ["tanh", "softmax"], "cross_entropy", rng=5)
    other_history = other.fit(X, T, epochs=3, lr=0.2, batch_size=10, rng=7)  # other shuffles
    assert other_history.loss != history_a.loss


def test_fit_is_the_loop_of_backward_and_step(rng):
    X, T = rng.normal(size=(10, 3)), rng.uniform(size=(10, 2))
    net = Network.from_sizes([3, 4, 2], ["relu", "sigmoid"], "squared_error", rng=8)
    by_hand = net.copy()
    net.fit(X, T, epochs=2, lr=0.3, batch_size=4, rng=9)
    shuffle = np.random.default_rng(9)
    for _ in range(2):
        order = shuffle.permutation(10)
        for start in (0, 4, 8):  # batches of 4, 4 and the last 2
            rows = order[start : start + 4]
            by_hand.backward(X[rows], T[rows])
            by_hand.step(0.3)
    for (W, b), (W_hand, b_hand) in zip(net.parameters(), by_hand.parameters(), strict=True):
        np.testing.assert_array_equal(W, W_hand)
        np.testing.assert_array_equal(b, b_hand)


def test_a_batch_size_beyond_the_data_is_full_batch_descent():
    a, b = xor_net(1), xor_net(1)
    history_a = a.fit(XOR_X, XOR_T, epochs=5, lr=0.5, batch_size=4, rng=0)
    history_b = b.fit(XOR_X, XOR_T, epochs=5, lr=0.5, batch_size=1000, rng=0)
    assert history_a.loss == history_b.loss
    assert history_b.steps == [1, 2, 3, 4, 5]


def test_the_callback_can_stop_training():
    seen = []

    def callback(net, history):
        seen.append((net, history.epoch[-1], len(history.loss)))
        return history.epoch[-1] == 3

    net = xor_net()
    history = net.fit(XOR_X, XOR_T, epochs=10, lr=0.5, batch_size=2, rng=0, callback=callback)
    assert [(epoch, n) for _, epoch, n in seen] == [(1, 1), (2, 2), (3, 3)]
    assert all(passed is net for passed, _, _ in seen)
    assert history.epoch == [1, 2, 3] and history.stopped_early
    # returning a true value at the last epoch is not an early stop
    last = xor_net().fit(
        XOR_X, XOR_T, epochs=1, lr=0.5, batch_size=2, rng=0, callback=lambda n, h: True
    )
    assert last.epoch == [1] and not last.stopped_early


def test_a_callback_returning_nothing_never_stops():
    history = xor_net().fit(
        XOR_X, XOR_T, epochs=4, lr=0.5, batch_size=2, rng=0, callback=lambda n, h: None
    )
    assert history.epoch == [1, 2, 3, 4] and not history.stopped_early


def test_a_callback_exception_propagates():
    def callback(net, history):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        xor_net().fit(XOR_X, XOR_T, epochs=4, lr=0.5, batch_size=2, rng=0, callback=callback)


def test_divergence_is_an_error_not_a_silent_nan(rng):
    X, T = rng.normal(size=(20, 3)) * 10, rng.normal(size=(20, 1))
    net = Network.from_sizes([3, 8, 1], ["linear", "linear"], "squared_error", rng=0)
    # the overflow itself makes numpy warn on the way; silence that here to reach the error
    with (
        np.errstate(all="ignore"),
        pytest.raises(FloatingPointError, match=r"training diverged.*smaller lr"),
    ):
        net.fit(X, T, epochs=50, lr=10.0, batch_size=20, rng=0)


def test_fit_does_not_touch_the_data(rng):
    X, T = rng.normal(size=(6, 2)), rng.uniform(size=(6, 1))
    X_before, T_before = X.copy(), T.copy()
    xor_net().fit(X, T, epochs=3, lr=0.5, batch_size=4, rng=0)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(T, T_before)


# -- what the History holds: batch means by default, exact values with evaluate=True -------

CONFIGS = [  # sizes, activations, loss, batch_size (13 rows: the last batch is smaller)
    ([3, 5, 4], ["tanh", "softmax"], "cross_entropy", 4),
    ([3, 5, 1], ["relu", "sigmoid"], "binary_cross_entropy", 5),
    ([3, 5, 2], ["sigmoid", "linear"], "squared_error", 13),
    ([3, 4, 2], ["tanh", "tanh"], "sum_squared_error", 1),
]


def hand_batch_means(net, X, T, activations, loss, epochs, lr, batch_size, seed):
    """An independent loop over the same batches: each batch's loss and classes from a
    forward pass written out in numpy (``tests/helpers.py``) at the weights before its
    step, then the library's ``backward`` and ``step``. Returns the per-epoch mean loss
    (the sum of the per-sample losses over N) and accuracy."""
    shuffle = np.random.default_rng(seed)
    n_classes = T.shape[1]
    labels = np.argmax(T, axis=1) if n_classes > 1 else (T[:, 0] > 0.5).astype(int)
    losses, accuracies = [], []
    for _ in range(epochs):
        order = shuffle.permutation(len(X))
        total, correct = 0.0, 0
        for start in range(0, len(X), batch_size):
            rows = order[start : start + batch_size]
            o = X[rows]
            for layer, activation in zip(net.layers, activations, strict=True):
                s = o @ layer.W + layer.b
                o = numpy_outputs(activation, s)
            total += numpy_loss(activations[-1], loss, s, T[rows])  # summed over the rows
            if n_classes > 1:
                predicted = np.argmax(o, axis=1)
            else:  # the middle of the output activation's range (0.5 after sigmoid, 0 tanh)
                predicted = (o[:, 0] > (0.0 if activations[-1] == "tanh" else 0.5)).astype(int)
            correct += int(np.sum(predicted == labels[rows]))
            net.backward(X[rows], T[rows])
            net.step(lr)
        losses.append(total / len(X))
        accuracies.append(correct / len(X))
    return losses, accuracies


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c[1][-1]}-{c[2]}-B{c[3]}")
def test_the_default_history_is_the_mean_of_the_batch_losses(config, rng):
    sizes, activations, loss, batch_size = config
    X = rng.normal(size=(13, sizes[0]))
    if loss == "cross_entropy":
        T = np.eye(sizes[-1])[rng.integers(0, sizes[-1], 13)]
    else:
        T = rng.integers(0, 2, size=(13, sizes[-1])).astype(float)
    net = Network.from_sizes(sizes, activations, loss, rng=1)
    by_hand = net.copy()
    history = net.fit(X, T, epochs=3, lr=0.2, batch_size=batch_size, rng=2)
    losses, accuracies = hand_batch_means(
        by_hand, X, T, activations, loss, 3, 0.2, batch_size, seed=2
    )
    assert not history.evaluated
    assert history.epoch == [1, 2, 3]  # no entry 0 without evaluate
    n_batches = -(-13 // batch_size)
    assert history.steps == [n_batches, 2 * n_batches, 3 * n_batches]
    np.testing.assert_allclose(history.loss, losses, rtol=1e-12)
    assert history.accuracy == accuracies
    # the reference of the divergence test: the first batch's loss at the initial weights
    first = np.random.default_rng(2).permutation(13)[:batch_size]
    fresh = Network.from_sizes(sizes, activations, loss, rng=1)
    np.testing.assert_allclose(history.initial_loss, fresh.loss(X[first], T[first]), rtol=1e-12)
    for (W, b), (W_hand, b_hand) in zip(net.parameters(), by_hand.parameters(), strict=True):
        np.testing.assert_array_equal(W, W_hand)  # recording changes no step
        np.testing.assert_array_equal(b, b_hand)


def test_batch_means_lie_above_the_exact_loss_while_it_falls(digits):
    """Training lowers the loss within each epoch: the running mean of the batch losses lies
    between the exact losses at the epoch's start and end (here, on a falling curve)."""
    (X, T, _), _ = digits
    runs = {}
    for evaluate in (False, True):
        net = Network.from_sizes([64, 16, 10], ["sigmoid", "softmax"], rng=11)
        runs[evaluate] = net.fit(X, T, epochs=5, lr=0.5, batch_size=25, rng=12, evaluate=evaluate)
    means, exact = np.array(runs[False].loss), np.array(runs[True].loss)
    assert runs[True].epoch == [0, 1, 2, 3, 4, 5] and runs[False].epoch == [1, 2, 3, 4, 5]
    assert np.all(np.diff(exact) < 0)  # a falling curve
    assert np.all(exact[1:] < means) and np.all(means < exact[:-1])


def test_evaluate_gives_the_exact_loss_and_validation_is_always_exact(digits):
    (X, T, y), (X_val, T_val, y_val) = digits
    for evaluate in (False, True):
        net = Network.from_sizes([64, 12, 10], ["tanh", "softmax"], rng=13)
        history = net.fit(
            X,
            T,
            epochs=2,
            lr=0.3,
            batch_size=50,
            rng=14,
            validation_data=(X_val, T_val),
            evaluate=evaluate,
        )
        assert history.evaluated is evaluate
        assert len(history.val_loss) == len(history.val_accuracy) == len(history.epoch)
        assert history.val_loss[-1] == net.loss(X_val, T_val)
        assert history.val_accuracy[-1] == np.mean(net.predict(X_val) == y_val)
        if evaluate:
            assert history.loss[-1] == net.loss(X, T)
            assert history.accuracy[-1] == np.mean(net.predict(X) == y)
            assert "exact" in repr(history)
        else:
            assert history.loss[-1] != net.loss(X, T)  # the batch mean, not the final loss
            assert "batch means" in repr(history)


def test_divergence_is_detected_without_evaluate(rng):
    """A learning rate that makes the loss explode within the epochs: the default fit
    raises and keeps the weights of the last finite epoch, as with evaluate=True."""
    X, T = rng.normal(size=(40, 3)) * 3, rng.normal(size=(40, 1))
    net = Network.from_sizes([3, 8, 1], ["tanh", "linear"], "squared_error", rng=0)
    with pytest.raises(
        FloatingPointError,
        match=r"training diverged.*keeps the weights of "
        r"epoch (\d+)\. Use a smaller lr",
    ):
        net.fit(X, T, epochs=50, lr=5.0, batch_size=10, rng=0)
    for W, b in net.parameters():
        assert np.isfinite(W).all() and np.isfinite(b).all()
    assert all(layer.s is None and layer.dW is None for layer in net.layers)


@pytest.mark.parametrize("evaluate", [False, True])
def test_a_loss_that_overflows_at_the_initial_weights_is_refused_changing_nothing(evaluate):
    net = Network.from_sizes([2, 4, 1], ["linear", "linear"], "squared_error", rng=0)
    net.backward(XOR_X[:2], XOR_T[:2])  # stored values the refused fit must leave alone
    net.layers[0].W[...] = 1e300  # s^2 = 4e600: the outputs overflow
    net.layers[1].W[...] = 1e300
    before = [(W.copy(), b.copy()) for W, b in net.parameters()]
    stored = [(layer.s, layer.o, layer.delta, layer.dW) for layer in net.layers]
    shuffle = np.random.default_rng(5)
    state = shuffle.bit_generator.state
    on = "whole training set" if evaluate else "first batch"
    with pytest.raises(  # a numpy warning on the way would fail (filterwarnings = error)
        FloatingPointError, match=rf"loss at the initial weights is (inf|nan) on the {on}"
    ):
        net.fit(XOR_X, XOR_T, epochs=3, lr=0.1, batch_size=2, rng=shuffle, evaluate=evaluate)
    for (W, b), (W0, b0) in zip(net.parameters(), before, strict=True):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)
    for layer, values in zip(net.layers, stored, strict=True):
        now = (layer.s, layer.o, layer.delta, layer.dW)
        assert all(a is b for a, b in zip(now, values, strict=True))
    assert shuffle.bit_generator.state == state


@pytest.mark.parametrize("value", [1, 0, "yes", None, np.array([True])])
def test_evaluate_must_be_a_bool(value):
    net = xor_net()
    before = [(W.copy(), b.copy()) for W, b in net.parameters()]
    shuffle = np.random.default_rng(3)
    state = shuffle.bit_generator.state
    with pytest.raises(TypeError, match=r"Network\.fit: evaluate must be True or False; got "):
        net.fit(XOR_X, XOR_T, epochs=1, lr=0.1, batch_size=2, rng=shuffle, evaluate=value)
    assert shuffle.bit_generator.state == state
    for (W, b), (W0, b0) in zip(net.parameters(), before, strict=True):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)
