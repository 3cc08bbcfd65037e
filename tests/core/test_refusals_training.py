r"""Refusals of training: ``Network.fit`` and ``Network.step``.

- ``fit``'s arguments: ``lr``, ``epochs``, ``batch_size``, ``rng``, ``callback`` and
  ``validation_data`` of the wrong type or outside their range (a non-positive, NaN or
  infinite number, a bool, a string, a callback of the wrong signature).
- ``step``: a bad ``lr``, a step before ``backward``, read-only weights, a step that would
  overflow.
- State: a refused call changes nothing, not even the Generator (even when the bad argument
  is checked last); a step is applied to every layer or to none, even when a
  ``KeyboardInterrupt`` arrives in the middle of it; a training run that diverges raises
  ``FloatingPointError`` without a warning and keeps the last finite weights, those of an
  independent run for as many epochs.

Table cases go through :func:`refusal.assert_refused` (error, message naming the argument and
what is valid, no warning, networks and Generator unchanged).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_layer_state, layer_state
from refusal import RAGGED_T, T4, X4, assert_refused, case_ids, make_nets, run_table

from backprop_lib import Network


def read_only(nets, key, index):
    nets[key].layers[index].W.flags.writeable = False
    return nets[key]


# -- fit's and step's arguments -------------------------------------------------------------

ARGUMENTS = [
    # lr
    (
        "lr zero",
        lambda n, g: n["ce"].fit(X4, T4, 1, 0.0, 2),
        ValueError,
        r"Network\.fit: lr must be a positive finite number; got 0\.0",
    ),
    (
        "lr negative",
        lambda n, g: n["ce"].fit(X4, T4, 1, -0.1, 2),
        ValueError,
        r"lr must be a positive finite number; got -0\.1",
    ),
    (
        "lr nan",
        lambda n, g: n["ce"].fit(X4, T4, 1, float("nan"), 2),
        ValueError,
        r"lr must be a positive finite number; got nan",
    ),
    (
        "lr text",
        lambda n, g: n["ce"].fit(X4, T4, 1, "0.1", 2),
        TypeError,
        r"lr must be a positive finite number; got '0\.1' \(type str\)",
    ),
    (
        "fit lr nan",
        lambda n, g: n["ce"].fit(X4, T4, 1, np.nan, 2, rng=g),
        ValueError,
        r"Network\.fit: lr must be a positive finite number; got nan",
    ),
    (
        "fit lr inf",
        lambda n, g: n["ce"].fit(X4, T4, 1, np.inf, 2, rng=g),
        ValueError,
        r"Network\.fit: lr must be a positive finite number; got inf",
    ),
    (
        "step lr",
        lambda n, g: n["ce"].step(-1),
        ValueError,
        r"Network\.step: lr must be a positive finite number; got -1\.0",
    ),
    # epochs and batch_size
    (
        "epochs zero",
        lambda n, g: n["ce"].fit(X4, T4, 0, 0.1, 2),
        ValueError,
        r"epochs must be a positive integer \(>= 1\); got 0",
    ),
    (
        "epochs float",
        lambda n, g: n["ce"].fit(X4, T4, 2.5, 0.1, 2),
        TypeError,
        r"epochs must be a positive integer; got 2\.5 \(type float\)",
    ),
    (
        "fit epochs float inf",
        lambda n, g: n["ce"].fit(X4, T4, np.inf, 0.1, 2, rng=g),
        TypeError,
        r"Network\.fit: epochs must be a positive integer; got inf",
    ),
    (
        "batch_size zero",
        lambda n, g: n["ce"].fit(X4, T4, 1, 0.1, 0),
        ValueError,
        r"batch_size must be a positive integer \(>= 1\); got 0",
    ),
    (
        "batch_size negative",
        lambda n, g: n["ce"].fit(X4, T4, 1, 0.1, -32),
        ValueError,
        r"batch_size must be a positive integer \(>= 1\); got -32",
    ),
    (
        "batch_size bool",
        lambda n, g: n["ce"].fit(X4, T4, 1, 0.1, True),
        TypeError,
        r"batch_size must be a positive integer; got True \(type bool\)",
    ),
    (
        "fit batch_size nan",
        lambda n, g: n["ce"].fit(X4, T4, 1, 0.1, np.nan, rng=g),
        TypeError,
        r"Network\.fit: batch_size must be a positive integer; got nan",
    ),
    # rng and callback
    (
        "fit rng",
        lambda n, g: n["ce"].fit(X4, T4, 1, 0.1, 2, rng=0.5),
        TypeError,
        r"rng must be a numpy\.random\.Generator .*, an int seed or None; got 0\.5",
    ),
    (
        "callback",
        lambda n, g: n["ce"].fit(X4, T4, 1, 0.1, 2, callback="stop"),
        TypeError,
        r"callback must be callable as callback\(net, history\) or None; got 'stop'",
    ),
    (
        "fit callback without arguments",
        lambda n, g: n["ce"].fit(X4, T4, 3, 0.1, 2, rng=g, callback=lambda: False),
        TypeError,
        r"Network\.fit: callback must be callable as callback\(net, history\) or "
        r"None; got .*whose signature is \(\)",
    ),
    (
        "fit callback with three arguments",
        lambda n, g: n["ce"].fit(X4, T4, 3, 0.1, 2, rng=g, callback=lambda a, b, c: False),
        TypeError,
        r"callback must be callable as callback\(net, history\).*signature is "
        r"\(a, b, c\)",
    ),
    # validation_data
    (
        "validation pair",
        lambda n, g: n["ce"].fit(X4, T4, 1, 0.1, 2, validation_data=X4),
        TypeError,
        r"validation_data must be a pair \(X_val, T_val\) or None; got an array",
    ),
    (
        "validation X",
        lambda n, g: n["ce"].fit(X4, T4, 1, 0.1, 2, validation_data=(X4[:, :2], T4)),
        ValueError,
        r"X_val must have 3 columns",
    ),
    (
        "CE validation",
        lambda n, g: n["ce"].fit(X4, T4, 1, 0.1, 2, validation_data=(X4, T4 * 2)),
        ValueError,
        r"T_val rows must be probability vectors.*row 0 sums to 2",
    ),
    (
        "fit ragged T_val",
        lambda n, g: n["ce"].fit(X4, T4, 1, 0.1, 2, rng=g, validation_data=(X4, RAGGED_T)),
        ValueError,
        r"Network\.fit: T_val must be an array of shape \(batch, 2\)",
    ),
]


@pytest.mark.parametrize("case_id", case_ids(ARGUMENTS))
def test_fit_and_step_refuse_bad_arguments(case_id):
    run_table(ARGUMENTS, case_id)


# -- a refused call changes nothing, not even the Generator ---------------------------------

STATE = [
    (
        "step read-only W",
        lambda n, g: read_only(n, "ce", 1).step(0.1),
        ValueError,
        r"Network\.step: layers\[1\]\.W is read-only \(flags\.writeable is False\).*copy\(\)",
    ),
    (
        "fit read-only W",
        lambda n, g: read_only(n, "ce", 1).fit(X4, T4, 2, 0.1, 2, rng=g),
        ValueError,
        r"Network\.fit: layers\[1\]\.W is read-only",
    ),
    (
        "fit bad validation after good rng",
        lambda n, g: n["ce"].fit(X4, T4, 2, 0.1, 2, rng=g, validation_data=(X4, T4[:, :1])),
        ValueError,
        r"Network\.fit: T_val must have shape \(batch, n_L\) = \(4, 2\)",
    ),
]


@pytest.mark.parametrize("case_id", case_ids(STATE))
def test_refused_calls_change_no_state(case_id):
    run_table(STATE, case_id)


def test_a_refused_fit_takes_no_step_even_late_in_the_checks():
    """The last argument checked (validation data) fails: no weight has moved."""
    net = make_nets()["ce"]
    before = layer_state(net)
    with pytest.raises(ValueError, match="X_val"):
        net.fit(X4, T4, 5, 0.5, 1, rng=0, validation_data=(X4[:, :1], T4))
    assert_layer_state(before, net)


def test_step_before_backward_is_refused():
    net = Network.from_sizes([3, 2], ["sigmoid"], "binary_cross_entropy", rng=0)
    W = net.layers[0].W.copy()
    with pytest.raises(
        RuntimeError,
        match=r"layers\[0\] has no stored gradients; call "
        r"backward\(X, T\) before step\(lr\)",
    ):
        net.step(0.1)
    np.testing.assert_array_equal(net.layers[0].W, W)


def test_a_step_that_would_overflow_changes_nothing():
    nets = make_nets()
    nets["reg"].layers[1].dW = nets["reg"].layers[1].dW + 10.0  # |lr dW| > float64 max
    assert_refused(
        lambda: nets["reg"].step(1e308),
        FloatingPointError,
        r"Network\.step: the step with lr = 1e\+308 would make layers\[1\]\.W or \.b NaN "
        r"or inf.*nothing was changed",
        nets,
    )


# -- a step is applied to every layer or to none ---------------------------------------------


def hand_steps(net, X, T, lr, n_steps):
    """``n_steps`` full-batch steps written out: backward, then W -= lr dW per layer."""
    net = net.copy()
    for _ in range(n_steps):
        for layer, (dW, db) in zip(net.layers, net.backward(X, T), strict=True):
            layer.W = layer.W - lr * dW
            layer.b = layer.b - lr * db
    return [(layer.W, layer.b) for layer in net.layers]


class Flaky:
    """A parameter array whose in-place assignment (``P[...] = new``) raises
    KeyboardInterrupt on the ``at``-th assignment of the whole run (counted in ``calls``)."""

    def __init__(self, array, calls, at):
        self.array, self.calls, self.at = array, calls, at

    def __setitem__(self, index, new):
        self.calls["n"] += 1
        if self.calls["n"] == self.at:
            raise KeyboardInterrupt
        self.array[index] = new


class InterruptedApply(Network):
    """A network whose updates are applied through :class:`Flaky` arrays."""

    calls: dict
    at: int

    def _updates(self, lr):
        return [(Flaky(P, self.calls, self.at), u) for P, u in super()._updates(lr)]


@pytest.mark.parametrize("interrupt_at", [1, 2, 3, 4, 5, 6, 7, 8, 9])
def test_an_interrupt_while_applying_a_step_never_leaves_it_half_done(interrupt_at):
    """KeyboardInterrupt at the ``interrupt_at``-th in-place update (2 per layer, 3 layers):
    the weights are those after a whole number of steps, the interrupted one finished."""
    base = Network.from_sizes([3, 4, 4, 2], ["tanh", "sigmoid", "softmax"], rng=5)
    net = InterruptedApply(base.copy().layers, base.loss_fn)
    net.calls, net.at = {"n": 0}, interrupt_at
    with pytest.raises(KeyboardInterrupt):
        net.fit(X4, T4, 5, 0.5, 4, rng=0)  # full batch: one step per epoch
    completed = (interrupt_at - 1) // 6 + 1  # the interrupted step is finished
    for (W, b), layer in zip(
        hand_steps(base, X4, T4, 0.5, completed), net.layers, strict=True
    ):  # a step moves W by ~1e-2: far above rounding
        np.testing.assert_allclose(layer.W, W, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(layer.b, b, rtol=1e-12, atol=1e-14)


class InterruptedNetwork(Network):
    """Raises KeyboardInterrupt in the ``n``-th backward pass (while computing a step)."""

    n = 3

    def backpropagate(self, X, T):
        self.calls = getattr(self, "calls", 0) + 1
        if self.calls == self.n:
            raise KeyboardInterrupt
        super().backpropagate(X, T)


def test_an_interrupt_while_computing_a_step_leaves_the_steps_before_it():
    base = Network.from_sizes([3, 4, 2], ["tanh", "softmax"], rng=6)
    net = InterruptedNetwork([layer for layer in base.copy().layers], base.loss_fn)
    with pytest.raises(KeyboardInterrupt):
        net.fit(X4, T4, 5, 0.5, 4, rng=0)
    for (W, b), layer in zip(hand_steps(base, X4, T4, 0.5, 2), net.layers, strict=True):
        np.testing.assert_allclose(layer.W, W, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(layer.b, b, rtol=1e-12, atol=1e-14)


# -- divergence raises cleanly and keeps the last finite weights ------------------------------

DIVERGING = [
    ([4, 8, 3], ["relu", "linear"], "squared_error", 1e3),
    ([4, 8, 3], ["sigmoid", "softmax"], "cross_entropy", 1e300),
    ([4, 8, 3], ["tanh", "sigmoid"], "binary_cross_entropy", 1e300),
    ([4, 8, 3], ["relu", "softmax"], "cross_entropy", 1e5),
    ([4, 8, 3], ["tanh", "linear"], "squared_error", 10.0),
    ([4, 8, 3], ["sigmoid", "linear"], "sum_squared_error", 1e10),
]


@pytest.mark.parametrize("config", DIVERGING, ids=lambda c: f"{c[1]}-{c[2]}-{c[3]:g}")
def test_divergence_raises_without_warnings_and_keeps_finite_weights(config):
    sizes, activations, loss, lr = config
    data = np.random.default_rng(0)
    X = data.normal(size=(64, 4))
    T = np.eye(3)[data.integers(0, 3, 64)]
    net = Network.from_sizes(sizes, activations, loss, rng=0)
    error = assert_refused(
        lambda: net.fit(X, T, 30, lr, 16, rng=0),
        FloatingPointError,
        r"Network\.fit: .* training diverged\. The network keeps the weights of epoch \d+\. "
        r"Use a smaller lr\.",
    )
    kept = int(str(error).split("weights of epoch ")[1].split(".")[0])
    for W, b in net.parameters():
        assert np.isfinite(W).all() and np.isfinite(b).all()
    reference = Network.from_sizes(sizes, activations, loss, rng=0)
    if kept:
        reference.fit(X, T, kept, lr, 16, rng=0)
    for (W, b), (W_ref, b_ref) in zip(net.parameters(), reference.parameters(), strict=True):
        np.testing.assert_array_equal(W, W_ref)
        np.testing.assert_array_equal(b, b_ref)
    assert all(layer.s is None and layer.dW is None for layer in net.layers)
    assert np.isfinite(net.loss(X, T))  # the network stays usable
