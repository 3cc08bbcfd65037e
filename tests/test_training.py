"""Tests for Network.fit and its History: it learns small real problems (XOR and a tiny
digits subset), is reproducible from a seed, equals a hand-written loop of backward and
step, records what a training curve needs, and stops when the callback says so."""

from __future__ import annotations

import numpy as np
import pytest
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
    history = net.fit(XOR_X, XOR_T, epochs=500, lr=1.0, batch_size=4, rng=0)
    assert history.loss[0] > 0.6  # about ln 2 per sample at the start
    assert history.loss[-1] < 0.02
    assert history.accuracy[-1] == 1.0
    np.testing.assert_array_equal(net.predict(XOR_X), [0, 1, 1, 0])


def test_fit_learns_a_tiny_digits_subset(digits):
    (X, T, y), (X_val, T_val, y_val) = digits
    net = Network.from_sizes([64, 32, 10], ["sigmoid", "softmax"], "cross_entropy", rng=1)
    history = net.fit(X, T, epochs=20, lr=0.5, batch_size=16, rng=2, validation_data=(X_val, T_val))
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
    history = net.fit(X, T, epochs=3, lr=0.1, batch_size=64, rng=4, validation_data=(X_val, T_val))
    assert isinstance(history, History)
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
    assert history_b.steps == [0, 1, 2, 3, 4, 5]


def test_the_callback_can_stop_training():
    seen = []

    def callback(net, history):
        seen.append((net, history.epoch[-1], len(history.loss)))
        return history.epoch[-1] == 3

    net = xor_net()
    history = net.fit(XOR_X, XOR_T, epochs=10, lr=0.5, batch_size=2, rng=0, callback=callback)
    assert [(epoch, n) for _, epoch, n in seen] == [(1, 2), (2, 3), (3, 4)]
    assert all(passed is net for passed, _, _ in seen)
    assert history.epoch == [0, 1, 2, 3] and history.stopped_early
    # returning a true value at the last epoch is not an early stop
    last = xor_net().fit(
        XOR_X, XOR_T, epochs=1, lr=0.5, batch_size=2, rng=0, callback=lambda n, h: True
    )
    assert last.epoch == [0, 1] and not last.stopped_early


def test_a_callback_returning_nothing_never_stops():
    history = xor_net().fit(
        XOR_X, XOR_T, epochs=4, lr=0.5, batch_size=2, rng=0, callback=lambda n, h: None
    )
    assert history.epoch == [0, 1, 2, 3, 4] and not history.stopped_early


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
