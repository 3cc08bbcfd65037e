r"""A feedforward network: a stack of :class:`~backprop_lib.Dense` layers and a loss.

Conventions (the book's): rows are samples; layer :math:`l = 1, \dots, L` is ``layers[l - 1]``;
:math:`o^0 = x`; :math:`s^l = o^{l-1} W^l + b^l`; :math:`o^l = f^l(s^l)`; the loss
:math:`E` is the batch mean of a per-sample sum over the output units. Backpropagation:

.. math::

    \delta^L &= \partial E / \partial s^L \quad\text{(the output pair, } \texttt{net.pair.delta}),\\
    \delta^{l} &= (\delta^{l+1} (W^{l+1})^\top) \odot f'^{\,l}(s^{l})
        \quad\text{(a vector-Jacobian product for softmax)},\\
    \partial E/\partial W^l &= (o^{l-1})^\top \delta^l, \qquad
    \partial E/\partial b^l = \textstyle\sum_n \delta^l_n .

The :math:`1/B` of the batch mean lives in :math:`\delta^L`.

Data types: a network computes in one dtype, float64 (default) or float32, set by its layers.
Every public method converts ``X`` and ``T`` to that dtype once, so a float32 network never
does float64 arithmetic; integer or boolean data are converted too. Data whose meaning the
conversion would change (complex numbers, text, values too large for float32) are refused.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ._validate import (
    as_batch,
    as_generator,
    as_real_array,
    check_dtype,
    check_finite_updates,
    check_fit_arguments,
    check_layer_arguments,
    check_layers,
    check_network_sizes,
    check_positive_float,
    check_stored_gradients,
)
from .base_layer import (
    check_stack,
    check_stack_gradients,
    check_stack_input,
    check_stack_updates,
    gradients,
    parameter_slots,
)
from .layers import Dense
from .losses import Loss, get_loss
from .misc_layers import _astype, _set_stored, _stored
from .pairs import Pair, check_pair, pair_of

#: :meth:`Network.fit` calls training diverged when the loss of an epoch exceeds this many
#: times ``max(1, initial loss)`` (``History.initial_loss``): a cross-entropy of 1e4 per
#: sample means log-probabilities of -1e4 for the right class, which no converging run
#: passes through.
DIVERGENCE_RATIO = 1e4


@dataclass
class History:
    r"""What :meth:`Network.fit` records, one entry per recorded epoch.

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


def _stored_values(layer) -> tuple:
    """What ``layer`` stored in its last forward and backward pass: ``(o_prev, s, o,
    delta, dW, db)`` for a Dense, :meth:`Layer.stored_values` for the others."""
    return _stored(layer)


def _set_stored_values(layer, values: tuple | None) -> None:
    """Set what :func:`_stored_values` returned (``None``: clear everything stored)."""
    _set_stored(layer, values)


class Network:
    r"""A feedforward network of :class:`~backprop_lib.Dense` layers with a loss.

    Parameters
    ----------
    layers : sequence of Dense
        ``layers[l - 1]`` is layer :math:`l`; consecutive sizes must chain
        (``layers[i].n_out == layers[i + 1].n_in``) and all layers share one dtype.
    loss : str or Loss
        The loss :math:`E`, a name from ``LOSS_NAMES`` or a Loss object. A loss undefined
        after the output activation (e.g. a cross-entropy after tanh, whose outputs can be
        :math:`\le 0`) is refused with the reason.

    Attributes
    ----------
    layers : list of Dense
    loss_fn : Loss
        The loss object (``loss`` is the method :meth:`loss`).
    dtype : numpy.dtype
        float64 or float32, the dtype of every layer.
    pair : Pair
        The output activation with the loss (:func:`~backprop_lib.pairs.pair_of`): computes
        :math:`E` and :math:`\delta^L`.
    fused : bool
        True for softmax + cross_entropy and sigmoid + binary_cross_entropy, whose output
        delta is :math:`(o - t)/B`.
    """

    def __init__(self, layers: Sequence[Dense], loss="cross_entropy"):
        if isinstance(layers, Dense) or all(isinstance(layer, Dense) for layer in layers):
            layers = check_layers(layers, "Network")
        else:  # a stack with other layers (Conv2D, BatchNorm, ...), ending with a Dense
            layers = check_stack(layers, "Network")
        loss_fn = get_loss(loss)
        check_pair(layers[-1].activation, loss_fn)
        self.layers: list[Dense] = list(layers)
        self.loss_fn: Loss = loss_fn
        self.dtype: np.dtype = layers[-1].dtype
        #: False when some layer is not a Dense (the generic paths below)
        self._dense_only = all(isinstance(layer, Dense) for layer in self.layers)
        self.pair: Pair = pair_of(layers[-1].activation, loss_fn)

    @classmethod
    def from_sizes(
        cls, sizes, activations="sigmoid", loss="cross_entropy", rng=None, dtype=np.float64
    ) -> Network:
        r"""A network with layer sizes ``sizes = [n_0, n_1, ..., n_L]``.

        ``activations`` is one name for every layer or one per layer (``L`` of them), e.g.
        ``Network.from_sizes([784, 64, 10], ["sigmoid", "softmax"], "cross_entropy", rng)``.
        ``rng`` (Generator, int seed or None) draws every layer's weights in order.
        """
        where = "Network.from_sizes"
        sizes, activations = check_network_sizes(sizes, activations, where)
        loss_fn = get_loss(loss)
        check_pair(activations[-1], loss_fn)
        dtype = check_dtype(dtype, "dtype", where)
        for i, (n_in, n_out, activation) in enumerate(
            zip(sizes[:-1], sizes[1:], activations, strict=True)
        ):  # every layer checked before the first draw from rng
            check_layer_arguments(n_in, n_out, activation, dtype, f"{where}: layer {i + 1}")
        rng = as_generator(rng, "rng", where)
        layers = [
            Dense(n_in, n_out, activation, rng=rng, dtype=dtype)
            for n_in, n_out, activation in zip(sizes[:-1], sizes[1:], activations, strict=True)
        ]
        return cls(layers, loss_fn)

    # -- properties ------------------------------------------------------------------------

    @property
    def sizes(self) -> list[int]:
        """``[n_0, n_1, ..., n_L]`` (None for a layer other than a Dense)."""
        first = getattr(self.layers[0], "n_in", None)
        return [first] + [getattr(layer, "n_out", None) for layer in self.layers]

    @property
    def fused(self) -> bool:
        """Whether the output delta is the fused :math:`(o - t)/B` (see
        :func:`~backprop_lib.pairs.is_fused`)."""
        return self.pair.fused

    @property
    def n_parameters(self) -> int:
        """The number of weights and biases."""
        return sum(layer.n_parameters for layer in self.layers)

    @property
    def threshold(self) -> float:
        """The output value that splits the two classes of a single-output network: the
        middle of the output activation's range if it is bounded (sigmoid 0.5, tanh 0),
        else 0.5 (targets 0 and 1)."""
        outputs = self.layers[-1].activation.output_range
        if np.isfinite(outputs.low) and np.isfinite(outputs.high):
            return 0.5 * (outputs.low + outputs.high)
        return 0.5

    # -- checks ----------------------------------------------------------------------------

    def _check_X(self, X, where: str, name: str = "X") -> np.ndarray:
        """``X`` as an array ``(B, n_0)`` in the network's dtype, after checking it and every
        layer's ``W`` and ``b``."""
        for i, layer in enumerate(self.layers):
            layer.check_parameters(where, f"layers[{i}]")
        if not self._dense_only:  # checked by the first layer, its shape through them all
            return check_stack_input(self.layers, X, where, name, self.dtype)
        return as_batch(X, name, where, self.layers[0].n_in, self.dtype)

    def _check_T(self, T, X: np.ndarray, where: str, name: str = "T") -> np.ndarray:
        """``T`` as an array ``(B, n_L)`` in the network's dtype, one row per row of ``X``,
        after checking it against the loss (``check_targets``)."""
        n_L = self.layers[-1].n_out
        T_array = as_real_array(T, name, where, f"(batch, {n_L})", nonempty=False)
        if T_array.ndim != 2 or T_array.shape != (len(X), n_L):
            hint = ""
            if T_array.ndim == 1 and len(T_array) == len(X) and n_L > 1:
                hint = " For class labels, pass one-hot rows, e.g. np.eye(n_L)[labels]."
            elif T_array.ndim == 1 and len(T_array) == len(X) and n_L == 1:
                hint = f" Pass {name}.reshape(-1, 1)."
            raise ValueError(
                f"{where}: {name} must have shape (batch, n_L) = ({len(X)}, {n_L}), one target "
                f"row per row of the input; got shape {T_array.shape}.{hint}"
            )
        T_array = as_batch(T_array, name, where, n_L, self.dtype)
        self.loss_fn.check_targets(T_array, name, where)
        return T_array

    def _check_data(self, X, T, where: str) -> tuple[np.ndarray, np.ndarray]:
        """``(X, T)`` checked and converted (:meth:`_check_X`, :meth:`_check_T`)."""
        X = self._check_X(X, where)
        return X, self._check_T(T, X, where)

    # -- forward ---------------------------------------------------------------------------

    def forward(self, X) -> np.ndarray:
        r"""The output :math:`o^L` for inputs ``X`` of shape ``(B, n_0)``; shape ``(B, n_L)``.

        Every layer stores its ``o_prev``, ``s`` and ``o``.
        """
        X = self._check_X(X, "Network.forward")
        with np.errstate(all="ignore"):  # overflow is reported below, not as a warning
            o = self._forward(X)
        self._require_finite(o, "the outputs o^L", "Network.forward")
        return o

    def _forward(self, X: np.ndarray) -> np.ndarray:
        r""":math:`o^L` ``(B, n_L)`` of checked ``X`` ``(B, n_0)``; the layers store
        ``o_prev``, ``s``, ``o``."""
        o = X
        for layer in self.layers:
            o = layer.forward(o)  # eq:nt-forward
        return o

    def _outputs(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(s^L, o^L)`` for ``X``, without storing anything in the layers (the same
        computation as :meth:`_forward`: :meth:`Dense.outputs <backprop_lib.Dense.outputs>`)."""
        o = X
        for layer in self.layers:
            s, o = layer.outputs(o)  # eq:nt-forward
        return s, o

    def loss(self, X, T) -> float:
        r"""The loss :math:`E` of inputs ``X`` ``(B, n_0)`` and targets ``T`` ``(B, n_L)``.

        Runs the forward pass (the layers store ``s`` and ``o``). The cross-entropies are
        computed from :math:`s^L` (see :func:`~backprop_lib.pairs.output_loss`).
        """
        X, T = self._check_data(X, T, "Network.loss")
        with np.errstate(all="ignore"):  # overflow is reported below, not as a warning
            self._forward(X)
            last = self.layers[-1]
            value = self._output_loss(last.s, last.o, T)
        self._require_finite(value, "the loss", "Network.loss")
        return value

    def _loss(self, X: np.ndarray, T: np.ndarray) -> float:
        r""":math:`E` of checked data, without storing anything in the layers (what
        gradient checking evaluates twice per parameter entry)."""
        s, o = self._outputs(X)
        return self._output_loss(s, o, T)

    def _output_loss(self, s: np.ndarray, o: np.ndarray, T: np.ndarray) -> float:
        """The output pair's :math:`E` (:meth:`Pair.loss <backprop_lib.pairs.Pair.loss>`),
        ``inf`` where it overflows (the callers report it with their own context). After
        :meth:`_backward`, ``self._output_loss(last.s, last.o, T)`` is the batch's loss at
        the weights before the step, from the stored outputs: no second forward pass."""
        try:
            return self.pair.loss(s, o, T)
        except FloatingPointError:
            return np.inf

    @staticmethod
    def _require_finite(value, what: str, where: str) -> None:
        """``FloatingPointError`` if ``value`` (a number or an array) holds NaN or inf."""
        if not np.all(np.isfinite(value)):
            found = value if np.ndim(value) == 0 else "NaN or inf"
            raise FloatingPointError(
                f"{where}: {what} is {found}: the outputs overflowed (weights too large, "
                f"e.g. after training with too large a learning rate, or inputs too large)."
            )

    def predict(self, X) -> np.ndarray:
        r"""Class indices, shape ``(B,)``, int.

        With several outputs: :math:`\arg\max_k o^L_k` of each row (the first on ties). With
        one output: 1 where :math:`o^L >` :attr:`threshold` (0.5 after a sigmoid, 0 after
        tanh, 0.5 after linear or ReLU), else 0. Stores ``s`` and ``o`` like
        :meth:`forward`.
        """
        return self._classes(self.forward(X))

    def _classes(self, o: np.ndarray) -> np.ndarray:
        """Class indices ``(B,)`` of outputs or targets ``(B, n_L)``, as :meth:`predict`."""
        if o.shape[1] == 1:
            return (o[:, 0] > self.threshold).astype(np.intp)
        return np.argmax(o, axis=1)

    # -- backward --------------------------------------------------------------------------

    def backward(self, X, T) -> list[tuple[np.ndarray, np.ndarray]]:
        r"""The gradients :math:`(\partial E/\partial W^l, \partial E/\partial b^l)` of every
        layer, in layer order: ``[(dW, db), ...]``.

        Runs the forward pass, then the recursion from the output layer down, storing each
        layer's ``delta``, ``dW`` and ``db``.
        """
        X, T = self._check_data(X, T, "Network.backward")
        with np.errstate(all="ignore"):  # overflow is reported below, not as a warning
            self._backward(X, T)
        for i, layer in enumerate(self.layers):
            for owner, name in parameter_slots(layer):
                gradient = getattr(owner, "d" + name)
                self._require_finite(gradient, f"layers[{i}] d{name}", "Network.backward")
        return [gradients(layer) for layer in self.layers]

    def _backward(self, X: np.ndarray, T: np.ndarray) -> None:
        r"""Backpropagation on checked data: the forward pass, :math:`\delta^L` from the
        output pair, then layer by layer down to layer 1 (:meth:`Dense.backward
        <backprop_lib.Dense.backward>`), each layer storing ``delta``, ``dW``, ``db``.
        ``layers[i]`` is the book's layer :math:`l = i + 1`."""
        self._forward(X)
        *hidden, last = self.layers
        delta_L = self.pair.delta(last.s, last.o, T)  # eq:ll-delta-def
        grad_o = last.backward_delta(delta_L, below=bool(hidden))  # eq:rd-gradients
        for i in range(len(hidden) - 1, -1, -1):  # eq:rd-recursion, l = L-1, ..., 1
            if isinstance(hidden[i], Dense):
                grad_o = hidden[i].backward(grad_o, below=i > 0)
            else:  # the layer protocol: backward(grad_y) -> grad_x
                grad_o = hidden[i].backward(grad_o)

    def step(self, lr) -> None:
        r"""One step of gradient descent on the stored gradients:
        :math:`W^l \leftarrow W^l - \eta\, \partial E/\partial W^l`,
        :math:`b^l \leftarrow b^l - \eta\, \partial E/\partial b^l`, in place.

        Call :meth:`backward` first. ``lr`` (:math:`\eta`) must be a positive finite number.
        """
        lr = check_positive_float(lr, "lr", "Network.step")
        if self._dense_only:
            check_stored_gradients(self.layers, "Network.step")
        else:
            check_stack_gradients(self.layers, "Network.step")
        with np.errstate(all="ignore"):
            updates = self._updates(lr)
        if self._dense_only:
            check_finite_updates(self.layers, updates, lr, "Network.step")
        else:
            check_stack_updates(updates, lr, "Network.step")
        self._apply(updates)

    def _updates(self, lr: float) -> list[tuple[np.ndarray, np.ndarray]]:
        r"""``[(W^1, η ∂E/∂W^1), (b^1, η ∂E/∂b^1), ...]``: every parameter array with the
        amount to subtract from it, computed, not applied."""
        updates = []
        for layer in self.layers:  # W, b of a Dense; every parameter of another layer
            for owner, name in parameter_slots(layer):
                P, dP = getattr(owner, name), getattr(owner, "d" + name)
                updates.append((P, lr * dP))  # eq:td-update
        return updates

    @staticmethod
    def _apply(updates: list[tuple[np.ndarray, np.ndarray]]) -> None:
        r"""Subtract every update of :meth:`_updates` in place: :math:`W^l \leftarrow W^l -
        \eta\, \partial E/\partial W^l`, :math:`b^l \leftarrow b^l - \eta\,
        \partial E/\partial b^l`.

        Atomic with respect to an interrupt: computing the updates (the slow part) changes
        nothing, and if an exception (a ``KeyboardInterrupt``) arrives while they are
        applied, the remaining ones are applied before it propagates, so no layer is ever a
        step ahead of another. (Python handles a signal between bytecodes; each in-place
        subtraction is one call into numpy and is counted right after it.)
        """
        done = 0
        try:
            for P, update in updates:
                P -= update
                done += 1
        except BaseException:
            for P, update in updates[done:]:
                P -= update
            raise

    def _step(self, lr: float) -> None:
        """The update of :meth:`step` with a checked ``lr``: all updates computed, then
        applied (:meth:`_apply`)."""
        self._apply(self._updates(lr))

    # -- training --------------------------------------------------------------------------

    def fit(
        self,
        X,
        T,
        epochs,
        lr,
        batch_size,
        rng=None,
        callback: Callable[[Network, History], object] | None = None,
        validation_data=None,
        evaluate: bool = False,
    ) -> History:
        r"""Mini-batch gradient descent; returns the :class:`History`.

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
            The learning rate :math:`\eta`.
        rng : numpy.random.Generator, int or None
            Shuffles the rows each epoch: a Generator (its state advances), an int seed, or
            ``None`` for a fresh, unseeded generator (a different order every run).
        callback : callable ``callback(net, history)``, optional
            Called after every epoch, once the epoch is recorded in ``history``. If it
            returns a true value (e.g. ``return history.loss[-1] < 0.01``), training stops
            and ``history.stopped_early`` is True. Exceptions it raises propagate.
        validation_data : ``(X_val, T_val)``, optional
            Recorded as ``val_loss`` and ``val_accuracy``; never trained on.
        evaluate : bool
            Record the exact full-set loss and accuracy (entry 0 included) instead of the
            batch means.

        Everything is checked before the first step; a refused call changes nothing (the
        weights, the stored values and ``rng``).

        Divergence: if the recorded training loss of an epoch is NaN or inf, or exceeds
        :data:`DIVERGENCE_RATIO` times ``max(1, history.initial_loss)`` (the loss at the
        initial weights: on the whole set with ``evaluate``, on the first batch otherwise),
        or the weights or a validation loss become NaN or inf, ``FloatingPointError`` is
        raised (no numpy warning is emitted on the way). The network then holds the weights
        of the previous epoch, the last ones whose loss was recorded and finite, and no
        stored forward or backward values. If the loss at the initial weights overflows,
        the call is refused: the weights, the stored values and ``rng`` are as before it.

        An interrupted fit (``KeyboardInterrupt``, or an exception from ``callback``) leaves
        the weights after the last complete gradient step: every step is applied to all
        layers or to none (:meth:`_apply`). The layers' stored values are those of the last
        backward pass; the History is not returned (a callback may keep it).
        """
        X, T, epochs, lr, batch_size, rng, validation, evaluate = check_fit_arguments(
            self, X, T, epochs, lr, batch_size, rng, callback, validation_data, evaluate
        )
        history = History(lr=lr, batch_size=batch_size, n_samples=len(X), evaluated=evaluate)
        classes = self._classes(T)  # the targets' class indices, once per fit
        if validation is not None:
            validation = (*validation, self._classes(validation[1]))
        n_batches = -(-len(X) // batch_size)
        # s^L, o^L of every row as its batch's forward pass computed them, before its step,
        # in the order of the epoch's batches (see _train_epoch)
        s_seen, o_seen = np.empty_like(T), np.empty_like(T)
        if evaluate:
            with np.errstate(all="ignore"):  # overflow is detected below, never a warning
                self._record(history, 0, 0, self._evaluate(X, T, classes), validation)
        # restored if the loss at the initial weights overflows: a refused call changes nothing
        rng_state = rng.bit_generator.state
        stored = [_stored_values(layer) for layer in self.layers]  # references, not copies
        for epoch in range(1, epochs + 1):
            last = [P.copy() for P, _ in self._slots()]
            try:
                with np.errstate(all="ignore"):
                    order = self._train_epoch(X, T, lr, batch_size, rng, s_seen, o_seen)
                    if evaluate:
                        train = self._evaluate(X, T, classes)
                    else:
                        T_seen = T[order]  # the targets in the order the batches saw them
                        if epoch == 1:  # the first batch's E_k, at the initial weights
                            loss = self._output_loss(
                                s_seen[:batch_size], o_seen[:batch_size], T_seen[:batch_size]
                            )
                            self._check_initial_loss(loss, "first batch")
                            history.initial_loss = loss
                        # Σ_k B_k E_k / N: the mean over the rows of the per-sample loss
                        train = (
                            self._output_loss(s_seen, o_seen, T_seen),
                            float(np.mean(self._classes(o_seen) == classes[order])),
                        )
                    self._record(history, epoch, epoch * n_batches, train, validation)
            except FloatingPointError:
                for (P, _), P_last in zip(self._slots(), last, strict=True):
                    np.copyto(P, P_last)  # the weights of epoch - 1, whose loss was recorded
                refused = history.initial_loss is None  # the initial loss overflowed
                for layer, values in zip(self.layers, stored, strict=True):
                    _set_stored_values(layer, values if refused else None)
                if refused:
                    rng.bit_generator.state = rng_state
                raise
            if callback is not None and callback(self, history):
                history.stopped_early = epoch < epochs
                break
        return history

    def _train_epoch(
        self,
        X,
        T,
        lr: float,
        batch_size: int,
        rng: np.random.Generator,
        s_seen: np.ndarray,
        o_seen: np.ndarray,
    ) -> np.ndarray:
        r"""One epoch of mini-batch gradient descent on checked data; returns the order of
        the rows (``rng.permutation``).

        Each batch's :math:`s^L` and :math:`o^L`, as its forward pass computed them before
        its step, are copied into ``s_seen`` and ``o_seen`` ``(N, n_L)`` at the batch's
        positions in ``order`` (row ``i`` of ``s_seen`` belongs to row ``order[i]`` of ``X``):
        what :meth:`fit` computes the default loss and accuracy from, once per epoch.
        """
        order = rng.permutation(len(X))
        last = self.layers[-1]
        for start in range(0, len(X), batch_size):
            rows = order[start : start + batch_size]  # gather one batch: no epoch-size copy
            self._backward(X[rows], T[rows])
            s_seen[start : start + batch_size] = last.s  # a slice: cheaper than s_seen[rows]
            o_seen[start : start + batch_size] = last.o
            self._step(lr)
        return order

    def _evaluate(self, X, T, classes: np.ndarray) -> tuple[float, float]:
        """The exact loss :math:`E(X, T)` and accuracy on checked data, without storing
        anything in the layers."""
        s, o = self._outputs(X)
        return self._output_loss(s, o, T), float(np.mean(self._classes(o) == classes))

    @staticmethod
    def _check_initial_loss(value: float, on: str) -> None:
        """``FloatingPointError`` if the loss at the initial weights is NaN or inf."""
        if not np.isfinite(value):
            raise FloatingPointError(
                f"Network.fit: the loss at the initial weights is {value} on the {on} (the "
                f"outputs overflow); the network keeps its initial weights. Use smaller "
                f"weights."
            )

    def _record(self, history: History, epoch: int, steps: int, train, validation) -> None:
        """Append epoch ``epoch``'s ``train = (loss, accuracy)`` and the exact loss and
        accuracy on ``validation = (X_val, T_val, classes_val)`` (or None) to ``history``,
        after the divergence checks."""
        for i, layer in enumerate(self.layers):
            if not all(np.isfinite(getattr(o, n)).all() for o, n in parameter_slots(layer)):
                raise FloatingPointError(
                    f"Network.fit: layers[{i}].W or .b became NaN or inf during epoch "
                    f"{epoch} with lr = {history.lr}: training diverged. The network keeps "
                    f"the weights of epoch {epoch - 1}. Use a smaller lr."
                )
        val = None if validation is None else self._evaluate(*validation)
        losses = [(train[0], "whole training set")]
        if val is not None:
            losses.append((val[0], "validation set"))
        for value, on in losses:
            if epoch == 0:
                self._check_initial_loss(value, on)
            elif not np.isfinite(value):
                raise FloatingPointError(
                    f"Network.fit: the loss became {value} at epoch {epoch} with lr = "
                    f"{history.lr}: training diverged. The network keeps the weights of "
                    f"epoch {epoch - 1}. Use a smaller lr."
                )
        if epoch == 0:
            history.initial_loss = train[0]
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

    # -- utilities -------------------------------------------------------------------------

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``[(W, b), ...]`` of every layer, in layer order (for a layer other than a Dense,
        the tuple of its parameters, e.g. ``(gamma, beta)``, ``()`` for Flatten): the arrays
        themselves, so changing them in place changes the network."""
        return [tuple(getattr(o, n) for o, n in parameter_slots(layer)) for layer in self.layers]

    def _slots(self) -> list[tuple[np.ndarray, tuple]]:
        """``[(array, (owner, name)), ...]``: every parameter array of every layer."""
        return [
            (getattr(owner, name), (owner, name))
            for layer in self.layers
            for owner, name in parameter_slots(layer)
        ]

    def copy(self) -> Network:
        """An independent deep copy: parameters, loss and anything the layers stored."""
        return copy.deepcopy(self)

    def astype(self, dtype) -> Network:
        """A copy computing in ``dtype`` (np.float64 or np.float32): parameters converted,
        no stored forward or backward values."""
        dtype = check_dtype(dtype, "dtype", "Network.astype")
        converted = copy.copy(self)  # same class and loss; new layers below
        converted.layers = []
        for layer in self.layers:
            converted.layers.append(_astype(layer, dtype))
        converted.dtype = dtype
        return converted

    def __repr__(self) -> str:
        lines = [f"    {layer!r}," for layer in self.layers]
        sizes = f"sizes {self.sizes}, " if self._dense_only else ""
        return (
            "Network([\n" + "\n".join(lines) + f"\n], loss={self.loss_fn.name!r})"
            f"  # {sizes}{self.n_parameters} parameters"
        )
