r"""A feedforward network: a stack of :class:`~backprop_lib.Dense` layers and a loss; the
maths of backpropagation (forward, loss, backward, step) on checked data.

Conventions (the book's): rows are samples; layer :math:`l = 1, \dots, L` is
``layers[l - 1]``; :math:`o^0 = x`; :math:`s^l = o^{l-1} W^l + b^l`; :math:`o^l = f^l(s^l)`;
:math:`E` is the batch mean of a per-sample sum (the :math:`1/B` lives in :math:`\delta^L`).
A network computes in one dtype, float64 or float32, set by its layers; every public method
converts ``X`` and ``T`` to it once and refuses data whose meaning that would change.
Training (``fit``, ``History``) is the policy around this maths: ``training.py``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._validate import (
    as_batch,
    as_generator,
    as_real_array,
    check_dtype,
    check_positive_float,
    first_nonfinite,
    require_finite,
)
from .activations import Activation
from .base_layer import check_stack as check_layer_stack
from .base_layer import (
    check_stack_gradients,
    check_stack_input,
    check_stack_updates,
    gradients,
    is_layer_stack,
    layer_astype,
    parameter_slots,
)
from .layers import Dense, check_sizes, check_stack
from .losses import Loss, get_loss
from .pairs import Pair, check_pair, pair_of
from .training import DIVERGENCE_RATIO, History, fit

if TYPE_CHECKING:
    from .optimizers import Optimizer

__all__ = ["DIVERGENCE_RATIO", "History", "Network"]


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
    """

    def __init__(self, layers: Sequence[Dense], loss: str | Loss = "cross_entropy") -> None:
        if is_layer_stack(layers):  # other layers (Conv2D, BatchNorm, ...), then a Dense
            layers = check_layer_stack(layers, "Network")
        else:
            layers = check_stack(layers, "Network")
        loss_fn = get_loss(loss)
        check_pair(layers[-1].activation, loss_fn)
        self.layers: list[Dense] = list(layers)
        self.loss_fn: Loss = loss_fn
        self.dtype: np.dtype = layers[-1].dtype
        #: False when some layer is not a Dense (the generic paths below)
        self.dense_only = all(isinstance(layer, Dense) for layer in self.layers)
        self.pair: Pair = pair_of(layers[-1].activation, loss_fn)
        #: The optimizer the last ``fit(..., optimizer=...)`` used, bound to this network
        #: (copied with it by ``copy.deepcopy``); None before.
        self.optimizer: Optimizer | None = None

    @classmethod
    def from_sizes(
        cls,
        sizes: Sequence[int],
        activations: str | Activation | Sequence[str | Activation] = "sigmoid",
        loss: str | Loss = "cross_entropy",
        rng: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> Network:
        r"""A network with layer sizes ``sizes = [n_0, n_1, ..., n_L]``.

        ``activations`` is one name for every layer or one per layer (``L`` of them), e.g.
        ``Network.from_sizes([784, 64, 10], ["sigmoid", "softmax"], "cross_entropy", rng)``.
        ``rng`` (Generator, int seed or None) draws every layer's weights in order. Every
        layer is checked before the first draw, and if drawing fails (a ``MemoryError`` for
        sizes too large) the Generator is given back its state: it advances only when the
        network is built.
        """
        where = "Network.from_sizes"
        sizes, activations = check_sizes(sizes, activations, where)
        loss_fn = get_loss(loss)
        check_pair(activations[-1], loss_fn)
        dtype = check_dtype(dtype, "dtype", where)
        shapes = list(zip(sizes[:-1], sizes[1:], activations, strict=True))
        for i, (n_in, n_out, activation) in enumerate(shapes):
            Dense.check_arguments(n_in, n_out, activation, dtype, f"{where}: layer {i + 1}")
        rng = as_generator(rng, "rng", where)
        state = rng.bit_generator.state
        try:
            layers = [Dense(n_in, n_out, f, rng=rng, dtype=dtype) for n_in, n_out, f in shapes]
        except MemoryError:
            rng.bit_generator.state = state  # a failed call draws nothing
            n = sum(n_in * n_out + n_out for n_in, n_out, _ in shapes)
            raise MemoryError(
                f"{where}: sizes {sizes} need {n} parameters ({n * dtype.itemsize:.3g} bytes "
                f"in {dtype}), more memory than is available; use smaller layers. rng was "
                f"not advanced."
            ) from None
        return cls(layers, loss_fn)

    # -- properties ------------------------------------------------------------------------

    @property
    def sizes(self) -> list[int]:
        """``[n_0, n_1, ..., n_L]``."""
        first = getattr(self.layers[0], "n_in", None)  # None: a layer other than a Dense
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

    # -- checks: every public method runs them once, then the maths below ----------------

    def check_inputs(self, X: ArrayLike, where: str, name: str = "X") -> np.ndarray:
        """``X`` as an array ``(B, n_0)`` in the network's dtype, after checking it and every
        layer's ``W`` and ``b``; the error names ``where`` and ``name`` otherwise."""
        for i, layer in enumerate(self.layers):
            layer.check_parameters(where, f"layers[{i}]")
        if not self.dense_only:  # checked by the first layer, its shape through them all
            return check_stack_input(self.layers, X, where, name, self.dtype)
        return as_batch(X, name, where, self.layers[0].n_in, self.dtype)

    def check_targets(self, T: ArrayLike, X: np.ndarray, where: str, name: str = "T") -> np.ndarray:
        """``T`` as an array ``(B, n_L)`` in the network's dtype, one row per row of the
        checked ``X``, after checking it against the loss (``Loss.check_targets``)."""
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

    def check_data(self, X: ArrayLike, T: ArrayLike, where: str) -> tuple[np.ndarray, np.ndarray]:
        """``(X, T)`` checked and converted (:meth:`check_inputs`, :meth:`check_targets`):
        what the methods that take checked data (:meth:`outputs`, :meth:`forward_loss`,
        :meth:`backpropagate`) expect."""
        X = self.check_inputs(X, where)
        return X, self.check_targets(T, X, where)

    # -- forward ---------------------------------------------------------------------------

    def forward(self, X: ArrayLike) -> np.ndarray:
        r"""The output :math:`o^L` for inputs ``X`` of shape ``(B, n_0)``; shape ``(B, n_L)``.

        Every layer stores its ``o_prev``, ``s`` and ``o``.
        """
        X = self.check_inputs(X, "Network.forward")
        with np.errstate(all="ignore"):  # overflow is reported below, not as a warning
            o = self._forward(X)
        require_finite(o, "the outputs o^L", "Network.forward", _OVERFLOWED)
        return o

    def _forward(self, X: np.ndarray) -> np.ndarray:
        r""":math:`o^L` ``(B, n_L)`` of checked ``X`` ``(B, n_0)``; the layers store
        ``o_prev``, ``s``, ``o``."""
        o = X
        for layer in self.layers:
            o = layer.propagate(o)  # eq:nt-forward (no checks: reported by the caller)
        return o

    def outputs(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(s^L, o^L)`` of checked ``X`` (:meth:`check_inputs`), storing nothing in the
        layers: the computation of :meth:`forward` (:meth:`Dense.outputs
        <backprop_lib.Dense.outputs>`). No checks, no warnings silenced."""
        o = X
        for layer in self.layers:
            s, o = layer.outputs(o)  # eq:nt-forward
        return s, o

    def loss(self, X: ArrayLike, T: ArrayLike) -> float:
        r"""The loss :math:`E` of inputs ``X`` ``(B, n_0)`` and targets ``T`` ``(B, n_L)``.

        Runs the forward pass (the layers store ``s`` and ``o``). The cross-entropies are
        computed from :math:`s^L` (see :func:`~backprop_lib.pairs.output_loss`).
        """
        X, T = self.check_data(X, T, "Network.loss")
        with np.errstate(all="ignore"):  # overflow is reported below, not as a warning
            self._forward(X)
            last = self.layers[-1]
            value = self.output_loss(last.s, last.o, T)
        require_finite(value, "the loss", "Network.loss", _OVERFLOWED)
        return value

    def forward_loss(self, X: np.ndarray, T: np.ndarray) -> float:
        r""":math:`E` of checked data (:meth:`check_data`) by a forward pass that stores
        nothing in the layers: what gradient checking evaluates twice per parameter entry.
        ``inf`` where it overflows (:meth:`output_loss`)."""
        s, o = self.outputs(X)
        return self.output_loss(s, o, T)

    def output_loss(self, s: np.ndarray, o: np.ndarray, T: np.ndarray) -> float:
        """The output pair's :math:`E` (:meth:`Pair.loss <backprop_lib.pairs.Pair.loss>`) of
        ``s^L``, ``o^L`` and ``T``, all ``(B, n_L)``; ``inf`` where it overflows (the callers
        report it with their own context). After :meth:`backpropagate`,
        ``net.output_loss(last.s, last.o, T)`` is the batch's loss at the weights before
        the step, from the stored outputs: no second forward pass."""
        try:
            return self.pair.loss(s, o, T)
        except FloatingPointError:
            return np.inf

    def predict(self, X: ArrayLike) -> np.ndarray:
        r"""Class indices, shape ``(B,)``, int.

        With several outputs: :math:`\arg\max_k o^L_k` of each row (the first on ties). With
        one output: 1 where :math:`o^L >` :attr:`threshold` (0.5 after a sigmoid, 0 after
        tanh, 0.5 after linear or ReLU), else 0. Stores ``s`` and ``o`` like
        :meth:`forward`.
        """
        return self.classes(self.forward(X))

    def classes(self, o: np.ndarray) -> np.ndarray:
        """Class indices ``(B,)`` of outputs or targets ``(B, n_L)``, as :meth:`predict`
        (no checks)."""
        if o.shape[1] == 1:
            return (o[:, 0] > self.threshold).astype(np.intp)
        return np.argmax(o, axis=1)

    # -- backward --------------------------------------------------------------------------

    def backward(self, X: ArrayLike, T: ArrayLike) -> list[tuple[np.ndarray, np.ndarray]]:
        r"""The gradients :math:`(\partial E/\partial W^l, \partial E/\partial b^l)` of every
        layer, in layer order: ``[(dW, db), ...]``.

        Runs the forward pass, then the recursion from the output layer down
        (:meth:`backpropagate`), storing each layer's ``delta``, ``dW`` and ``db``.
        """
        X, T = self.check_data(X, T, "Network.backward")
        with np.errstate(all="ignore"):  # overflow is reported below, not as a warning
            self.backpropagate(X, T)
        for i, layer in enumerate(self.layers):
            for owner, name in parameter_slots(layer):  # W, b of a Dense
                gradient = getattr(owner, "d" + name)
                require_finite(gradient, f"layers[{i}] d{name}", "Network.backward", _OVERFLOWED)
        return [gradients(layer) for layer in self.layers]

    def backpropagate(self, X: np.ndarray, T: np.ndarray) -> None:
        r"""Backpropagation on checked data (:meth:`check_data`): the forward pass,
        :math:`\delta^L` from the output pair, then layer by layer down to layer 1, each
        layer storing ``delta``, ``dW``, ``db``. ``layers[i]`` is the book's layer
        :math:`l = i + 1`; ``grad_o`` is :math:`\partial E/\partial o^l = \delta^{l+1}
        (W^{l+1})^\top`, which :meth:`Dense.backpropagate
        <backprop_lib.Dense.backpropagate>` turns into :math:`\delta^l` (eq:rd-recursion).
        No checks, no warnings silenced."""
        self._forward(X)
        *hidden, last = self.layers
        delta_L = self.pair.delta(last.s, last.o, T)  # eq:ll-delta-def
        grad_o = last.backward_delta(delta_L, below=bool(hidden))
        for i in range(len(hidden) - 1, -1, -1):  # l = L-1, ..., 1
            grad_o = hidden[i].backpropagate(grad_o, below=i > 0)  # layer 1: no input grad

    # -- the step of gradient descent ------------------------------------------------------

    def step(self, lr: float) -> None:
        r"""One step of gradient descent on the stored gradients, in place (eq:td-update):
        :math:`W^l \leftarrow W^l - \eta\, \partial E/\partial W^l`,
        :math:`b^l \leftarrow b^l - \eta\, \partial E/\partial b^l`.

        Call :meth:`backward` first. ``lr`` (:math:`\eta`) must be a positive finite number.
        A step that would make a parameter NaN or inf is refused (``FloatingPointError``)
        and changes nothing.
        """
        where = "Network.step"
        lr = check_positive_float(lr, "lr", where)
        if not self.dense_only:
            check_stack_gradients(self.layers, where)
            with np.errstate(all="ignore"):
                updates = self._updates(lr)
            check_stack_updates(updates, lr, where)
            self.assign_all(updates)
            return
        for i, layer in enumerate(self.layers):
            layer.check_gradients(where, f"layers[{i}]")
        with np.errstate(all="ignore"):
            updates = self._updates(lr)
        for i in range(len(self.layers)):
            (_, W_new), (_, b_new) = updates[2 * i], updates[2 * i + 1]
            if first_nonfinite(W_new) is not None or first_nonfinite(b_new) is not None:
                raise FloatingPointError(
                    f"{where}: the step with lr = {lr} would make layers[{i}].W or "
                    f".b NaN or inf (the gradients or the learning rate are too large); "
                    f"nothing was changed. Use a smaller lr."
                )
        self.assign_all(updates)

    def take_step(self, lr: float) -> None:
        """The step of :meth:`step` without its checks (``lr`` a checked float, the stored
        gradients those of :meth:`backpropagate`): all new values computed
        (:meth:`_updates`), then assigned to every layer or to none. The hot loop of
        ``fit``."""
        self.assign_all(self._updates(lr))

    def _updates(self, lr: float) -> list[tuple[np.ndarray, np.ndarray]]:
        r"""``[(W^1, W^1 - η ∂E/∂W^1), (b^1, b^1 - η ∂E/∂b^1), ...]``: every parameter
        array with its new value, computed, not assigned."""
        updates = []
        for layer in self.layers:  # W, b of a Dense; every parameter of another layer
            for owner, name in parameter_slots(layer):
                P, dP = getattr(owner, name), getattr(owner, "d" + name)
                updates.append((P, P - lr * dP))  # eq:td-update
        return updates

    @staticmethod
    def assign_all(updates: list[tuple[np.ndarray, np.ndarray]]) -> None:
        r"""Copy every new value into its parameter array, in place: ``updates`` is a list of
        ``(parameter array, new value)`` pairs, as :meth:`_updates` or an optimizer
        (:func:`~backprop_lib.optimizers.optimizer_step`) computes them.

        All or nothing: if an exception (a ``KeyboardInterrupt``) arrives while they are
        assigned, the remaining ones are assigned before it propagates, so no layer is ever
        a step ahead of another. (Python handles a signal between bytecodes; each copy is
        one call into numpy and is counted right after it.) The callers have checked that
        every array is writable (:meth:`step`, ``fit``).
        """
        done = 0
        try:
            for P, new in updates:
                P[...] = new
                done += 1
        except BaseException:
            for P, new in updates[done:]:
                P[...] = new
            raise

    # -- training: the policy around the maths (epochs, History, divergence guard, rollback)

    fit = fit  # training.fit: net.fit(X, T, epochs, lr, batch_size, rng, callback, ...)

    # -- utilities -------------------------------------------------------------------------

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``[(W, b), ...]`` of every layer, in layer order (for a layer other than a Dense,
        the tuple of its parameters, e.g. ``(gamma, beta)``, ``()`` for Flatten): the arrays
        themselves, so changing them in place changes the network."""
        return [tuple(getattr(o, n) for o, n in parameter_slots(layer)) for layer in self.layers]

    def copy(self) -> Network:
        """An independent deep copy: parameters, loss and anything the layers stored."""
        return copy.deepcopy(self)

    def astype(self, dtype: DTypeLike) -> Network:
        """A copy computing in ``dtype`` (np.float64 or np.float32): parameters converted,
        no stored forward or backward values."""
        dtype = check_dtype(dtype, "dtype", "Network.astype")
        converted = copy.copy(self)  # same class and loss; new layers below
        converted.layers = []
        for layer in self.layers:
            converted.layers.append(layer_astype(layer, dtype))
        converted.dtype = dtype
        converted.optimizer = None  # an optimizer is bound to this network, not the copy
        return converted

    def __repr__(self) -> str:
        lines = [f"    {layer!r}," for layer in self.layers]
        sizes = f"sizes {self.sizes}, " if self.dense_only else ""
        return (
            "Network([\n" + "\n".join(lines) + f"\n], loss={self.loss_fn.name!r})"
            f"  # {sizes}{self.n_parameters} parameters"
        )


#: The end of the message of an overflow of the maths (:func:`require_finite`).
_OVERFLOWED = (
    ": the outputs overflowed to inf or NaN (weights too large, e.g. after training with "
    "too large a learning rate, or inputs too large)."
)
