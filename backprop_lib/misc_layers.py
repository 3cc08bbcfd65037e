r"""Dropout, embedding, the residual connection and an activation as a layer of its own."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._validate import (
    as_generator,
    as_real_array,
    check_dtype,
    check_positive_int,
    describe,
)
from .activations import Activation, get_activation
from .base_layer import (
    Layer,
    check_layers,
    is_dense,
    layer_astype,
    output_shape,
    parameter_slots,
    set_stored_values,
    stored_values,
)
from .conv import _float_dtype

if TYPE_CHECKING:
    from .layers import Dense


def _check_probability(p: object, where: str) -> float:
    """``p`` as a float in [0, 1), else the error naming it."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{where}: p must be a number in [0, 1); got {describe(p)}.")
    if not 0.0 <= float(p) < 1.0:
        raise ValueError(
            f"{where}: p must be a number in [0, 1) (the probability of dropping an "
            f"entry; p = 1 would drop everything); got {p}."
        )
    return float(p)


class Dropout(Layer):
    r"""Inverted dropout: in training mode each entry is kept with probability
    :math:`1 - p` and scaled by :math:`1/(1 - p)`, so its expected value is unchanged:

    .. math:: y = x \odot m, \qquad m_i = \frac{[\,u_i \ge p\,]}{1 - p}, \quad u_i \sim U[0, 1)

    (eq:ml-dropout), ``u`` drawn from the layer's Generator, a new mask at every
    :meth:`forward`. **Backward**: :math:`y` is linear in :math:`x` for a fixed mask, so
    :math:`\partial E/\partial x = g \odot m` with the *same* mask (eq:ml-dropout-back).
    In evaluation mode (``training`` False) the layer is the identity, forward and backward.
    ``p = 0`` is the identity and draws nothing.

    Parameters
    ----------
    p : float in [0, 1)
        The probability of dropping an entry.
    rng : Generator, int or None
        Draws the masks (its state advances at every forward pass in training mode).
    """

    stored = ("mask",)

    def __init__(self, p: float, rng: int | np.random.Generator | None = None) -> None:
        where = "Dropout"
        self.p = _check_probability(p, where)
        self.rng = as_generator(rng, "rng", where)
        self.training = True
        self._set_params()
        self.set_stored_values(None)

    def __repr__(self) -> str:
        return f"Dropout({self.p})"

    def _compute(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        if not self.training or self.p == 0.0:
            return x, None
        keep = self.rng.random(x.shape) >= self.p
        mask = keep.astype(x.dtype) / (1.0 - self.p)  # eq:ml-dropout
        return x * mask, mask

    def forward(self, x: ArrayLike) -> np.ndarray:
        r""":math:`y = x \odot m` (eq:ml-dropout) in training mode, ``x`` otherwise; stores
        the mask."""
        return self.propagate(self.check_input(x, "Dropout.forward", dtype=_float_dtype(x)))

    def propagate(self, x: np.ndarray) -> np.ndarray:
        """:meth:`forward` on a checked ``x``, no checks."""
        y, self.mask = self._compute(x)
        self._y_shape = y.shape
        return y

    def backward(self, grad_y: ArrayLike) -> np.ndarray | None:
        r""":math:`\partial E/\partial x = g \odot m`, the mask of the last forward pass
        (eq:ml-dropout-back)."""
        return self.backpropagate(self._check_grad(grad_y, "Dropout.backward"))

    def backpropagate(self, g: np.ndarray, below: bool = True) -> np.ndarray | None:
        """:meth:`backward` on a checked ``g``, no checks; ``None`` with ``below=False``."""
        if not below:
            return None
        return g if self.mask is None else g * self.mask  # eq:ml-dropout-back


class Embedding(Layer):
    r"""A lookup table: token id :math:`t` becomes row :math:`W_t` of ``W`` ``(n_tokens,
    dim)``.

    .. math:: y_{b,\dots,:} = W_{x_{b,\dots},\,:}

    (eq:ml-embedding), a gather: integer ids ``x`` of any shape ``(B, ...)`` give ``(B, ...,
    dim)``. It is the Dense layer :math:`\operatorname{onehot}(x)\, W` without building the
    one-hot rows.

    **Backward**: :math:`\partial E/\partial W_{t,:} = \sum_{(b,\dots):\, x_{b,\dots} = t}
    g_{b,\dots,:}` (eq:ml-embedding-back), a scatter-add: a token that occurs several times
    in the batch gets the sum of its gradients (``np.add.at``; a plain ``dW[x] += g`` would
    keep only one of them). The ids are not differentiable: :meth:`backward` returns None.

    ``W`` is drawn from :math:`N(0, 1)` (as torch does).
    """

    W: np.ndarray  #: the table, (n_tokens, dim)

    params = ("W",)
    stored = ("ids",)

    def __init__(
        self,
        n_tokens: int,
        dim: int,
        rng: int | np.random.Generator | None = None,
        *,
        dtype: DTypeLike = np.float64,
    ) -> None:
        where = "Embedding"
        self.n_tokens = check_positive_int(n_tokens, "n_tokens", where)
        self.dim = check_positive_int(dim, "dim", where)
        self.dtype = check_dtype(dtype, "dtype", where)
        rng = as_generator(rng, "rng", where)
        self._set_params(W=rng.normal(size=(self.n_tokens, self.dim)).astype(self.dtype))
        self.set_stored_values(None)

    def __repr__(self) -> str:
        return f"Embedding({self.n_tokens}, {self.dim})"

    def output_shape(self, shape: tuple[int, ...], where: str, label: str) -> tuple[int, ...]:
        return (*shape, self.dim)

    def check_input(
        self, x: ArrayLike, where: str, name: str = "x", dtype: DTypeLike | None = None
    ) -> np.ndarray:
        """``x`` as an integer array of ids in ``[0, n_tokens)`` with a batch axis, else the
        error naming ``name``."""
        ids = as_real_array(x, name, where, "(batch, ...) of integer token ids")
        if ids.dtype.kind not in "iu":
            raise TypeError(
                f"{where}: {name} must hold integer token ids in [0, {self.n_tokens}); got "
                f"dtype {ids.dtype}. Pass {name}.astype(int) if the values are whole numbers."
            )
        if ids.ndim < 1:
            raise ValueError(f"{where}: {name} needs a batch axis; got a scalar.")
        bad = (ids < 0) | (ids >= self.n_tokens)
        if bad.any():
            at = [int(i) for i in np.argwhere(bad)[0]]
            raise ValueError(
                f"{where}: {name} must hold token ids in [0, {self.n_tokens}) for {self!r}; "
                f"got {ids[tuple(at)]} at {name}{at}."
            )
        return ids

    def _compute(self, ids: np.ndarray) -> tuple[np.ndarray, None]:
        return self.W[ids], None  # eq:ml-embedding

    def forward(self, x: ArrayLike) -> np.ndarray:
        r""":math:`W_x` ``(B, ..., dim)`` (eq:ml-embedding); stores the ids."""
        ids = self.check_input(x, "Embedding.forward")
        self.check_parameters("Embedding.forward", "self")
        return self.propagate(ids)

    def propagate(self, ids: np.ndarray) -> np.ndarray:
        """:meth:`forward` on checked ``ids``, no checks."""
        y = self._compute(ids)[0]
        self.ids, self._y_shape = ids, y.shape
        return y

    def backward(self, grad_y: ArrayLike) -> None:
        r"""Stores ``dW`` ``(n_tokens, dim)``, the scatter-add of ``grad_y`` (eq:ml-embedding-back);
        returns None (integer ids have no gradient)."""
        return self.backpropagate(self._check_grad(grad_y, "Embedding.backward"))

    def backpropagate(self, g: np.ndarray, below: bool = True) -> None:
        """:meth:`backward` on a checked ``g``, no checks: stores ``dW``, returns None."""
        dW = np.zeros_like(self.W)
        np.add.at(dW, self.ids, g)  # eq:ml-embedding-back: repeated ids add up
        self.dW = dW
        return None


class ActivationLayer(Layer):
    r"""An activation as a layer: :math:`y = f(x)` on any shape, e.g. a ReLU after a
    convolution. ``activation`` is a name (``"relu"``, ``"tanh"``, ...) or an Activation.
    Backward: the activation's own :meth:`backward <backprop_lib.Activation.backward>`,
    :math:`\partial E/\partial x = g \odot f'(x)` for an elementwise :math:`f`."""

    stored = ("x", "y")

    def __init__(self, activation: str | Activation) -> None:
        self.activation: Activation = get_activation(activation)
        self._set_params()
        self.set_stored_values(None)

    def __repr__(self) -> str:
        return f"ActivationLayer({self.activation.name!r})"

    def _compute(self, x: np.ndarray) -> tuple[np.ndarray, None]:
        return self.activation.f(x), None

    def forward(self, x: ArrayLike) -> np.ndarray:
        """:math:`f(x)`, the shape of ``x``."""
        x = self.check_input(x, "ActivationLayer.forward", dtype=_float_dtype(x))
        return self.propagate(x)

    def propagate(self, x: np.ndarray) -> np.ndarray:
        """:meth:`forward` on a checked ``x``, no checks."""
        self.x = x
        self.y = self._compute(x)[0]
        self._y_shape = self.y.shape
        return self.y

    def backward(self, grad_y: ArrayLike) -> np.ndarray | None:
        r""":math:`\partial E/\partial x`, the activation's vector-Jacobian product."""
        return self.backpropagate(self._check_grad(grad_y, "ActivationLayer.backward"))

    def backpropagate(self, g: np.ndarray, below: bool = True) -> np.ndarray | None:
        """:meth:`backward` on a checked ``g``, no checks; ``None`` with ``below=False``."""
        return self.activation.delta(self.x, self.y, g) if below else None


class Residual(Layer):
    r"""A residual connection around a stack of layers :math:`F`:

    .. math:: y = x + F(x)

    (eq:ml-residual). **Backward**: :math:`\partial E/\partial x = g + J_F^\top g`
    (eq:ml-residual-back): the gradient reaches :math:`x` once unchanged, along the identity,
    and once through :math:`F`. However small :math:`J_F^\top g` becomes, the first term
    does not shrink, which is why a deep stack of residual blocks does not lose its gradient
    the way a plain deep stack does.

    ``layers``: a non-empty sequence of layers (Dense or others) whose output has the shape
    of their input. Their parameters and gradients are theirs (``residual.layers[0].dW``).
    """

    stored = ()

    def __init__(self, layers: Dense | Layer | Sequence[Dense | Layer]) -> None:
        where = "Residual"
        if isinstance(layers, Layer) or is_dense(layers):
            layers = [layers]
        # Dense or Layer objects; each keeps the shape (output_shape checks it), so its
        # backward returns an array
        self.layers: list[Any] = check_layers(layers, where)
        dtypes = {owner.dtype for layer in self.layers for owner, _ in parameter_slots(layer)}
        self.dtype = dtypes.pop() if len(dtypes) == 1 else None
        if dtypes:
            raise TypeError(f"{where}: all layers must share one dtype.")
        self._set_params()
        self._y_shape = None

    def __repr__(self) -> str:
        return f"Residual([{', '.join(map(repr, self.layers))}])"

    def parameter_slots(self) -> list[tuple[Any, str]]:
        return [slot for layer in self.layers for slot in parameter_slots(layer)]

    def check_parameters(self, where: str, label: str, writable: bool = False) -> None:
        for i, layer in enumerate(self.layers):
            layer.check_parameters(where, f"{label}.layers[{i}]", writable)

    def output_shape(self, shape: tuple[int, ...], where: str, label: str) -> tuple[int, ...]:
        out = tuple(shape)
        for i, layer in enumerate(self.layers):
            out = output_shape(layer, out, where, f"{label}.layers[{i}]")
        if out != tuple(shape):
            raise ValueError(
                f"{where}: {label} is a Residual whose layers turn shape {tuple(shape)} into "
                f"{out}; y = x + F(x) needs F to keep the shape."
            )
        return out

    def _compute(self, x: np.ndarray) -> tuple[np.ndarray, None]:
        h = x
        for layer in self.layers:
            h = layer.outputs(h)[1]
        return x + h, None  # eq:ml-residual

    def forward(self, x: ArrayLike) -> np.ndarray:
        r""":math:`x + F(x)` (eq:ml-residual); every inner layer stores its own values."""
        x = self.check_input(x, "Residual.forward", dtype=self.dtype or _float_dtype(x))
        return self.propagate(x)

    def propagate(self, x: np.ndarray) -> np.ndarray:
        """:meth:`forward` on a checked ``x``: each inner layer's ``propagate``, no checks."""
        h = x
        for layer in self.layers:
            h = layer.propagate(h)
        self._y_shape = x.shape
        return x + h  # eq:ml-residual

    def backward(self, grad_y: ArrayLike) -> np.ndarray | None:
        r""":math:`g + J_F^\top g` (eq:ml-residual-back): the identity's share plus what the
        inner layers' backward passes return; the inner layers store their gradients."""
        return self.backpropagate(self._check_grad(grad_y, "Residual.backward"))

    def backpropagate(self, g: np.ndarray, below: bool = True) -> np.ndarray | None:
        r""":meth:`backward` on a checked ``g``, no checks: :math:`g + J_F^\top g`
        (eq:ml-residual-back); with ``below=False`` the inner layers still store their
        gradients, and ``None`` is returned."""
        h = g
        for layer in reversed(self.layers):
            h = layer.backpropagate(h)  # its backward pass: J_F^T g, layer by layer
        return g + h if below else None  # eq:ml-residual-back

    def stored_values(self) -> tuple:
        return (self._y_shape, *(stored_values(layer) for layer in self.layers))

    def set_stored_values(self, values: tuple | None) -> None:
        if values is None:
            self._y_shape = None
            for layer in self.layers:
                set_stored_values(layer, None)
            return
        self._y_shape = values[0]
        for layer, value in zip(self.layers, values[1:], strict=True):
            set_stored_values(layer, value)

    def astype(self, dtype: DTypeLike) -> Residual:
        import copy

        new = copy.copy(self)
        new.layers = [layer_astype(layer, dtype) for layer in self.layers]
        new.dtype = check_dtype(dtype, "dtype", "Residual.astype") if self.dtype else None
        new._y_shape = None
        return new


def set_training(layers: Sequence[Any], training: bool) -> None:
    """Set the ``training`` flag of every layer in ``layers`` (a Network's ``layers``, or
    any list) that has one, inner layers of a :class:`Residual` included."""
    for layer in layers:
        if isinstance(layer, Residual):
            set_training(layer.layers, training)
        elif hasattr(layer, "training"):
            layer.training = bool(training)


__all__ = [
    "ActivationLayer",
    "Dropout",
    "Embedding",
    "Residual",
    "set_training",
]
