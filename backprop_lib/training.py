r"""Training: mini-batch gradient descent on a :class:`~backprop_lib.Network`, and what it
records.

The maths of a step lives in ``network.py`` (:meth:`Network.backpropagate
<backprop_lib.Network.backpropagate>`, :meth:`Network.take_step
<backprop_lib.Network.take_step>`, eq:td-update). This module holds the policy around it:
the epochs and batches, the :class:`History` (eq:td-batch-mean), the divergence guard, and
the rollback to the last recorded weights when training diverges or a callback breaks the
network. ``Network.fit`` calls :func:`fit`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ._validate import (
    as_generator,
    check_bool,
    check_callback,
    check_positive_float,
    check_positive_int,
    describe,
)
from .base_layer import parameter_slots, set_stored_values, stored_values
from .optimizers import Optimizer, check_update_arguments, optimizer_step

if TYPE_CHECKING:  # network.py imports this module; a type hint only, no import cycle
    from .network import Network

#: :func:`fit` calls training diverged when the loss of an epoch exceeds this many
#: times ``max(1, initial loss)`` (``History.initial_loss``): a cross-entropy of 1e4 per
#: sample means log-probabilities of -1e4 for the right class, which no converging run
#: passes through.
DIVERGENCE_RATIO = 1e4


@dataclass
class History:
    r"""What :func:`fit` records, one entry per recorded epoch.

    ``epoch``, ``steps``, ``loss``, ``accuracy`` (and ``val_loss``, ``val_accuracy`` with
    validation data) have one entry per recorded epoch; ``steps[e]`` counts the gradient
    steps taken by the end of epoch ``epoch[e]``. What ``loss`` holds depends on
    ``evaluated``:

    - ``evaluated`` False (the default of ``fit``): epochs ``1, ..., epochs``. ``loss[e]``
      is the mean per-sample loss the forward passes saw during that epoch,
      :math:`\bar E = \sum_k B_k E_k / N` over its batches :math:`k` (each :math:`E_k`
      taken before that batch's step, so with weights that change within the epoch), and
      ``accuracy[e]`` the fraction of rows those forward passes classified right. While
      training lowers the loss, this running mean tends to lie above the exact loss at the
      end of the epoch; with a large learning rate it can lie below it too (the training
      chapter, ``td-batch-means``, shows both curves).
    - ``evaluated`` True (``fit(..., evaluate=True)``): epochs ``0, 1, ..., epochs``.
      ``loss[e]`` is the exact loss :math:`E(X, T)` on the whole training set at the
      weights of the end of that epoch (entry 0: the initial weights), so
      ``history.loss[-1] == net.loss(X, T)``; ``accuracy[e]`` is the fraction of rows that
      :meth:`Network.predict` classifies as the target does.

    ``val_loss`` and ``val_accuracy`` are always exact, on the validation data at the end of
    each recorded epoch; empty without it. ``initial_loss`` is the loss at the initial
    weights that the divergence test of ``fit`` compares with: ``loss[0]`` when
    ``evaluated``, else the first batch's :math:`E_k`.

    Plot a training curve with ``plt.plot(history.epoch, history.loss)``.
    """

    lr: float
    batch_size: int
    n_samples: int
    #: True: exact full-set values, entry 0 before training; False: batch means.
    evaluated: bool = False
    epoch: list[int] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    #: True if the callback stopped training before ``epochs``.
    stopped_early: bool = False
    #: The loss at the initial weights (None before the first epoch is recorded).
    initial_loss: float | None = None

    def __repr__(self) -> str:
        if not self.loss:
            return f"History(lr={self.lr}, batch_size={self.batch_size}, no epochs)"
        val = f", val_loss {self.val_loss[-1]:.4g}" if self.val_loss else ""
        stop = ", stopped early" if self.stopped_early else ""
        kind = "exact" if self.evaluated else "batch means"
        return (
            f"History(lr={self.lr}, batch_size={self.batch_size}, epochs {self.epoch[-1]}: "
            f"loss ({kind}) {self.loss[0]:.4g} -> {self.loss[-1]:.4g}, accuracy "
            f"{self.accuracy[-1]:.3f}{val}{stop})"
        )


def check_fit_arguments(
    net: Network, X, T, epochs, lr, batch_size, rng, callback, validation_data, evaluate
) -> tuple[
    np.ndarray,
    np.ndarray,
    int,
    float | None,
    int,
    np.random.Generator,
    tuple[np.ndarray, np.ndarray] | None,
    bool,
]:
    r"""Every argument of :func:`fit` checked, in this order, before anything changes: the
    data (and every layer's parameters, writable), ``epochs``, ``lr``, ``batch_size``,
    ``callback``, ``validation_data``, ``evaluate``, and ``rng`` last (an int seed becomes a
    Generator; a Generator is not advanced).

    Returns ``(X, T, epochs, lr, batch_size, rng, validation, evaluate)`` with ``X`` ``(N,
    n_0)`` and ``T`` ``(N, n_L)`` in the network's dtype and ``validation`` either None or
    ``(X_val, T_val)`` converted the same way.
    """
    where = "Network.fit"
    X, T = net.check_data(X, T, where)
    for i, layer in enumerate(net.layers):
        layer.check_parameters(where, f"layers[{i}]", writable=True)
    epochs = check_positive_int(epochs, "epochs", where)
    if lr is not None:  # None with an optimizer: see optimizers.check_update_arguments
        lr = check_positive_float(lr, "lr", where)
    batch_size = check_positive_int(batch_size, "batch_size", where)
    check_callback(callback, where)
    validation = None
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError(
                f"{where}: validation_data must be a pair (X_val, T_val) or None; got "
                f"{describe(validation_data)}."
            )
        X_val = net.check_inputs(validation_data[0], where, "X_val")
        validation = (X_val, net.check_targets(validation_data[1], X_val, where, "T_val"))
    evaluate = check_bool(evaluate, "evaluate", where)
    rng = as_generator(rng, "rng", where)
    return X, T, epochs, lr, batch_size, rng, validation, evaluate


def fit(
    net: Network,
    X: ArrayLike,
    T: ArrayLike,
    epochs: int,
    lr: float | None = None,
    batch_size: int | None = None,
    rng: int | np.random.Generator | None = None,
    callback: Callable[[Network, History], object] | None = None,
    validation_data: tuple[ArrayLike, ArrayLike] | None = None,
    evaluate: bool = False,
    optimizer: Optimizer | None = None,
    clip_norm: float | None = None,
) -> History:
    r"""Mini-batch gradient descent on ``net``; returns the :class:`History` (what
    :meth:`Network.fit <backprop_lib.Network.fit>` calls).

    Each epoch shuffles the rows of ``X`` and ``T`` with ``rng`` and walks through them in
    batches of ``batch_size`` rows (the last batch may be smaller; a ``batch_size`` of at
    least ``len(X)`` is full-batch gradient descent), taking one backward pass and one
    gradient step per batch. Each batch's gradient is the gradient of its own batch-mean
    loss.

    What the History holds (see :class:`History`):

    - by default (``evaluate=False``), one entry per epoch ``1, ..., epochs``: the mean
      of the batch losses :math:`E_k` the forward passes computed during the epoch,
      weighted by batch size, :math:`\bar E = \sum_k B_k E_k / N`, and the fraction of
      rows those forward passes classified right (as Keras does). Each :math:`E_k` is
      taken before its own step, so the weights change within the epoch: the curve is a
      running mean, not the loss of any one set of weights. It costs nothing beyond
      training: no extra pass over the data.
    - with ``evaluate=True``, one entry per epoch ``0, 1, ..., epochs``: the exact loss
      :math:`E(X, T)` on the whole training set at the weights of the end of each epoch
      (entry 0: the initial weights), so ``history.loss[-1] == net.loss(X, T)``. This
      costs one forward pass over the whole set per epoch, plus one before training.

    ``validation_data`` is always evaluated exactly, at the end of every recorded epoch.

    Parameters
    ----------
    X, T : array, shapes ``(N, n_0)`` and ``(N, n_L)``
        Training inputs and targets, converted once to the network's dtype.
    epochs, batch_size : positive int
    lr : positive float
        The learning rate :math:`\eta` of plain gradient descent. Give ``lr`` or
        ``optimizer``, not both.
    rng : numpy.random.Generator, int or None
        Shuffles the rows each epoch: a Generator (its state advances), an int seed, or
        ``None`` for a fresh, unseeded generator (a different order every run).
    callback : callable ``callback(net, history)``, optional
        Called after every epoch, once the epoch is recorded in ``history``. If it
        returns a true value (e.g. ``return history.loss[-1] < 0.01``), training stops
        and ``history.stopped_early`` is True. Exceptions it raises propagate. It may
        change the weights in place; if it leaves a layer's ``W`` or ``b`` that training
        cannot use (NaN or inf, read-only, another shape or dtype), ``fit`` raises the
        error of :meth:`Dense.check_parameters <backprop_lib.Dense.check_parameters>` and
        the network holds the weights of that epoch, as recorded before the callback.
    validation_data : ``(X_val, T_val)``, optional
        Recorded as ``val_loss`` and ``val_accuracy``; never trained on.
    evaluate : bool
        Record the exact full-set loss and accuracy (entry 0 included) instead of the
        batch means.
    optimizer : SGD, RMSProp or Adam, optional
        The update rule instead of plain gradient descent (:mod:`backprop_lib.optimizers`).
        The first call binds it to this network (``net.optimizer``); its state carries
        over to later calls and is copied with the network. ``history.lr`` is its ``lr``
        at the start.
    clip_norm : positive float, optional
        Rescale each step's gradients together so that their global norm is at most
        ``clip_norm`` (:func:`~backprop_lib.optimizers.clip_by_global_norm`), before the
        update rule sees them.

    Notes
    -----
    Everything is checked before the first step; a refused call changes nothing (the
    weights, the stored values and ``rng``).

    Divergence: if the recorded training loss of an epoch is NaN or inf, or exceeds
    :data:`DIVERGENCE_RATIO` times ``max(1, history.initial_loss)`` (the loss at the
    initial weights: on the whole set with ``evaluate``, on the first batch otherwise),
    or the weights or a validation loss become NaN or inf, ``FloatingPointError`` is
    raised (no numpy warning is emitted on the way). The network then holds the weights
    of the previous epoch, the last ones whose loss was recorded and finite (and the
    optimizer its state of that epoch), and no stored forward or backward values. If the
    loss at the initial weights overflows, the call is refused: the weights, the stored
    values and ``rng`` are as before it.

    An interrupted fit (``KeyboardInterrupt``, or an exception from ``callback``) leaves
    the weights after the last complete gradient step: every step is applied to all
    layers or to none (:meth:`Network.take_step <backprop_lib.Network.take_step>`). The
    layers' stored values are those of the last backward pass; the History is not
    returned (a callback may keep it).
    """
    X, T, epochs, lr, batch_size, rng, validation, evaluate = check_fit_arguments(
        net, X, T, epochs, lr, batch_size, rng, callback, validation_data, evaluate
    )
    # the update rule: plain lr or an optimizer, with optional clipping
    lr, optimizer, clip_norm = check_update_arguments(net, lr, optimizer, clip_norm)
    bound_before = (net.optimizer, None if optimizer is None else optimizer.network)
    if optimizer is not None:
        optimizer.bind(net)
    if optimizer is None and clip_norm is None:
        step = partial(net.take_step, lr)  # plain gradient descent
    else:
        step = partial(optimizer_step, net, optimizer, lr, clip_norm)
    history_lr = lr if optimizer is None else optimizer.lr
    history = History(lr=history_lr, batch_size=batch_size, n_samples=len(X), evaluated=evaluate)
    classes = net.classes(T)  # the targets' class indices, once per fit
    checked_validation = None
    if validation is not None:  # with the targets' class indices
        checked_validation = (*validation, net.classes(validation[1]))
    n_batches = -(-len(X) // batch_size)
    # s^L, o^L of every row as its batch's forward pass computed them, before its step,
    # in the order of the epoch's batches (see _train_epoch)
    s_seen, o_seen = np.empty_like(T), np.empty_like(T)
    if evaluate:
        with np.errstate(all="ignore"):  # overflow is detected below, never a warning
            _record(net, history, 0, 0, _evaluate(net, X, T, classes), checked_validation)
    # restored if the loss at the initial weights overflows: a refused call changes nothing
    rng_state = rng.bit_generator.state
    stored = [stored_values(layer) for layer in net.layers]  # references, not copies
    recorded = _copy_parameters(net)  # the weights of the last recorded epoch (0: initial)
    for epoch in range(1, epochs + 1):
        last_optimizer = None if optimizer is None else optimizer.snapshot()
        try:
            with np.errstate(all="ignore"):
                order = _train_epoch(net, X, T, step, batch_size, rng, s_seen, o_seen)
                if evaluate:
                    train = _evaluate(net, X, T, classes)
                else:
                    T_seen = T[order]  # the targets in the order the batches saw them
                    if epoch == 1:  # the first batch's E_k, at the initial weights
                        loss = net.output_loss(
                            s_seen[:batch_size], o_seen[:batch_size], T_seen[:batch_size]
                        )
                        _check_initial_loss(loss, "first batch")
                        history.initial_loss = loss
                    # Σ_k B_k E_k / N: the mean over the rows of the per-sample loss
                    train = (
                        net.output_loss(s_seen, o_seen, T_seen),  # eq:td-batch-mean
                        float(np.mean(net.classes(o_seen) == classes[order])),
                    )
                _record(net, history, epoch, epoch * n_batches, train, checked_validation)
        except FloatingPointError:
            _restore_parameters(net, recorded)  # epoch - 1's weights, whose loss was recorded
            if optimizer is not None and last_optimizer is not None:  # and its state of then
                optimizer.restore(last_optimizer)
            refused = history.initial_loss is None  # the initial loss overflowed
            for layer, values in zip(net.layers, stored, strict=True):
                set_stored_values(layer, values if refused else None)
            if refused:
                rng.bit_generator.state = rng_state
                if optimizer is not None:  # unbound as before the call
                    net.optimizer, optimizer.network = bound_before
            raise
        if callback is None and epoch == epochs:
            break
        recorded = _copy_parameters(net)  # before the callback, which may change them
        if callback is not None:
            stop = callback(net, history)
            _check_after_callback(net, recorded, epoch)
            if stop:
                history.stopped_early = epoch < epochs
                break
    return history


def _train_epoch(
    net: Network,
    X: np.ndarray,
    T: np.ndarray,
    step: Callable[[], None],
    batch_size: int,
    rng: np.random.Generator,
    s_seen: np.ndarray,
    o_seen: np.ndarray,
) -> np.ndarray:
    r"""One epoch of mini-batch gradient descent on checked data; returns the order of the
    rows (``rng.permutation``). ``step()`` updates the parameters from the stored
    gradients (plain gradient descent or an optimizer, see :func:`fit`).

    Each batch's :math:`s^L` and :math:`o^L`, as its forward pass computed them before its
    step, are copied into ``s_seen`` and ``o_seen`` ``(N, n_L)`` at the batch's positions in
    ``order`` (row ``i`` of ``s_seen`` belongs to row ``order[i]`` of ``X``): what
    :func:`fit` computes the default loss and accuracy from, once per epoch.
    """
    order = rng.permutation(len(X))
    last = net.layers[-1]
    for start in range(0, len(X), batch_size):
        rows = order[start : start + batch_size]  # gather one batch: no epoch-size copy
        net.backpropagate(X[rows], T[rows])
        s_seen[start : start + batch_size] = last.s  # a slice: cheaper than s_seen[rows]
        o_seen[start : start + batch_size] = last.o
        step()
    return order


def _evaluate(net: Network, X, T, classes: np.ndarray) -> tuple[float, float]:
    """The exact loss :math:`E(X, T)` and accuracy on checked data, without storing anything
    in the layers."""
    s, o = net.outputs(X)
    return net.output_loss(s, o, T), float(np.mean(net.classes(o) == classes))


def _check_initial_loss(value: float, on: str) -> None:
    """``FloatingPointError`` if the loss at the initial weights is NaN or inf."""
    if not np.isfinite(value):
        raise FloatingPointError(
            f"Network.fit: the loss at the initial weights is {value} on the {on} (the "
            f"outputs overflow); the network keeps its initial weights. Use smaller "
            f"weights."
        )


def _record(net: Network, history: History, epoch: int, steps: int, train, validation) -> None:
    """Append epoch ``epoch``'s ``train = (loss, accuracy)`` and the exact loss and accuracy
    on ``validation = (X_val, T_val, classes_val)`` (or None) to ``history``, after the
    divergence checks (the guard: ``FloatingPointError`` when training diverged)."""
    for i, layer in enumerate(net.layers):
        if not all(np.isfinite(getattr(o, n)).all() for o, n in parameter_slots(layer)):
            raise FloatingPointError(
                f"Network.fit: layers[{i}].W or .b became NaN or inf during epoch "
                f"{epoch} with lr = {history.lr}: training diverged. The network keeps "
                f"the weights of epoch {epoch - 1}. Use a smaller lr."
            )
    val = None if validation is None else _evaluate(net, *validation)
    losses = [(train[0], "whole training set")]
    if val is not None:
        losses.append((val[0], "validation set"))
    for value, on in losses:
        if epoch == 0:
            _check_initial_loss(value, on)
        elif not np.isfinite(value):
            raise FloatingPointError(
                f"Network.fit: the loss became {value} at epoch {epoch} with lr = "
                f"{history.lr}: training diverged. The network keeps the weights of "
                f"epoch {epoch - 1}. Use a smaller lr."
            )
    if epoch == 0:
        history.initial_loss = train[0]
    assert history.initial_loss is not None  # set at epoch 0, or by fit from the first batch
    limit = DIVERGENCE_RATIO * max(history.initial_loss, 1.0)
    if train[0] > limit:
        raise FloatingPointError(
            f"Network.fit: the loss became {train[0]:.4g} at epoch {epoch} with "
            f"lr = {history.lr}, more than {DIVERGENCE_RATIO:g} times "
            f"max(1, initial loss {history.initial_loss:.4g}): training diverged. "
            f"The network keeps the weights of epoch {epoch - 1}. Use a smaller "
            f"lr."
        )
    history.epoch.append(epoch)
    history.steps.append(steps)
    history.loss.append(train[0])
    history.accuracy.append(train[1])
    if val is not None:
        history.val_loss.append(val[0])
        history.val_accuracy.append(val[1])


# -- the rollback: copies of the weights and what the layers stored --------------------------


def _copy_parameters(net: Network) -> list[tuple]:
    """Copies ``[(W, b), ...]`` of every layer's parameters (every parameter of a layer
    other than a Dense, e.g. ``(gamma, beta)``)."""
    return [
        tuple(getattr(owner, name).copy() for owner, name in parameter_slots(layer))
        for layer in net.layers
    ]


def _restore_parameters(net: Network, saved: list[tuple[np.ndarray, np.ndarray]]) -> None:
    """Give every layer the parameters of ``saved`` (:func:`_copy_parameters`): in place
    where its array is a writable one of the saved shape and dtype, else by assigning the
    saved copy; an array already equal to the saved one is left as it is."""
    for layer, values in zip(net.layers, saved, strict=True):
        for (owner, name), value in zip(parameter_slots(layer), values, strict=True):
            current = getattr(owner, name)
            fits = (
                isinstance(current, np.ndarray)
                and current.shape == value.shape
                and current.dtype == value.dtype
            )
            if fits and np.array_equal(current, value):
                continue
            if fits and current.flags.writeable:
                np.copyto(current, value)
            else:
                setattr(owner, name, value)


def _check_after_callback(
    net: Network, recorded: list[tuple[np.ndarray, np.ndarray]], epoch: int
) -> None:
    """The error of :meth:`Dense.check_parameters <backprop_lib.Dense.check_parameters>` if
    the callback left a layer's ``W`` or ``b`` that the next step cannot use (NaN or inf,
    read-only, another shape or dtype), after giving every layer back the weights of
    ``epoch`` as recorded before the callback: no half step, no NaN weights returned."""
    where = "Network.fit"
    try:
        for i, layer in enumerate(net.layers):
            layer.check_parameters(where, f"layers[{i}]", writable=True)
    except (TypeError, ValueError) as error:
        _restore_parameters(net, recorded)
        raise type(error)(
            f"{error} The callback left it so after epoch {epoch}: training stopped, and "
            f"the network holds the weights of epoch {epoch} as recorded before the "
            f"callback."
        ) from None
