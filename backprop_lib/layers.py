r"""The fully connected layer.

Layer :math:`l` receives the outputs :math:`o^{l-1}` of the layer below (for :math:`l = 1`,
the input :math:`x`), one row per sample, and computes

.. math:: s^l = o^{l-1} W^l + b^l, \qquad o^l = f^l(s^l).

``W[j, i]`` is :math:`w^l_{ji}`, the weight from unit :math:`j` of layer :math:`l-1` to unit
:math:`i` of layer :math:`l`, so ``W`` has shape ``(n_in, n_out)``. (Notes that stack samples
in columns write :math:`W^\top x`; with rows it is ``X @ W``.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._validate import (
    as_batch,
    as_generator,
    as_real_array,
    check_bool,
    check_dtype,
    check_finite,
    check_positive_int,
    describe,
    first_nonfinite,
)
from .activations import Activation, ReLU, Softmax, get_activation


class Dense:
    r"""A fully connected layer: :math:`s = o^{l-1} W + b`, :math:`o = f(s)`.

    Parameters
    ----------
    n_in, n_out : int
        Units of the layer below and of this layer.
    activation : str or Activation
        :math:`f`, a name from ``ACTIVATION_NAMES`` or an Activation object.
    rng : numpy.random.Generator, int or None
        Draws the initial weights: a Generator (its state advances), an int seed, or ``None``
        for a fresh, unseeded generator (different weights every run).
    dtype : np.float64 or np.float32
        The dtype of ``W``, ``b`` and everything the layer computes.

    Attributes
    ----------
    W : ndarray, shape ``(n_in, n_out)``
        Weights. Initialised as Glorot & Bengio (2010), :math:`U(-a, a)` with
        :math:`a = \sqrt{6 / (n_{in} + n_{out})}`; for ReLU as He et al. (2015),
        :math:`N(0, 2 / n_{in})`.
    b : ndarray, shape ``(n_out,)``
        Biases, initially 0.
    o_prev, s, o : ndarray, shapes ``(B, n_in)``, ``(B, n_out)``, ``(B, n_out)``
        Stored by :meth:`forward`: the input it received, :math:`s` and :math:`o`.
    delta, dW, db : ndarray, shapes ``(B, n_out)``, ``(n_in, n_out)``, ``(n_out,)``
        Stored by :meth:`backward` (or :meth:`backward_delta`):
        :math:`\delta = \partial E/\partial s`, :math:`\partial E/\partial W` and
        :math:`\partial E/\partial b`.

    Notes
    -----
    You may replace ``W`` and ``b`` with arrays of the same shape and dtype (e.g. a hand
    example); the network checks them before every public call.
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: str | Activation = "sigmoid",
        rng: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        n_in, n_out, activation, dtype = self.check_arguments(n_in, n_out, activation, dtype)
        rng = as_generator(rng, "rng", "Dense")
        self.n_in, self.n_out = n_in, n_out
        self.activation: Activation = activation
        self.dtype = dtype
        if isinstance(activation, ReLU):
            W = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
        else:
            a = np.sqrt(6.0 / (n_in + n_out))
            W = rng.uniform(-a, a, size=(n_in, n_out))
        self.W = W.astype(dtype)
        self.b = np.zeros(n_out, dtype=dtype)
        # stored by forward (o_prev, s, o) and backward (delta, dW, db); None until then
        self.o_prev: np.ndarray | None = None
        self.s: np.ndarray | None = None
        self.o: np.ndarray | None = None
        self.delta: np.ndarray | None = None
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    @staticmethod
    def check_arguments(
        n_in: int,
        n_out: int,
        activation: str | Activation,
        dtype: DTypeLike,
        where: str = "Dense",
    ) -> tuple[int, int, Activation, np.dtype]:
        """``(n_in, n_out, activation, dtype)`` checked and resolved (``activation`` to its
        object), or the error :class:`Dense` raises for them. Draws nothing, so a caller
        building several layers can check them all before the first draw."""
        n_in = check_positive_int(n_in, "n_in", where)
        n_out = check_positive_int(n_out, "n_out", where)
        activation = get_activation(activation)
        dtype = check_dtype(dtype, "dtype", where)
        if isinstance(activation, Softmax) and n_out == 1:
            raise ValueError(
                f"{where}: a softmax over n_out = 1 unit always outputs 1 (its gradient is "
                f"0); use n_out >= 2, or a sigmoid for a single output."
            )
        return n_in, n_out, activation, dtype

    @classmethod
    def from_arrays(
        cls, W: ArrayLike, b: ArrayLike, activation: str | Activation = "sigmoid"
    ) -> Dense:
        r"""A layer with the given weights ``W`` (shape ``(n_in, n_out)``) and biases ``b``
        (shape ``(n_out,)``), both copied. The dtype is ``W``'s if it is float32 or float64,
        else float64."""
        W_array, b_array, dtype = _check_arrays(W, b, "Dense.from_arrays")
        layer = cls(W_array.shape[0], W_array.shape[1], activation, rng=0, dtype=dtype)
        layer.W = W_array.astype(dtype, copy=True)
        layer.b = b_array.astype(dtype, copy=True)
        layer.check_parameters("Dense.from_arrays", "layer")
        return layer

    # -- forward and backward, side by side ------------------------------------------------

    def outputs(self, o_prev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r"""``(s, o)`` for ``o_prev`` ``(B, n_in)``, both ``(B, n_out)``, storing nothing.

        :math:`s = o^{l-1} W + b` and :math:`o = f(s)`: the one forward computation, which
        :meth:`forward` stores. No checks here: :class:`~backprop_lib.Network` validates
        its inputs once per call.
        """
        s = o_prev @ self.W + self.b  # eq:ff-preact
        return s, self.activation.f(s)  # eq:nt-forward

    def forward(self, o_prev: ArrayLike) -> np.ndarray:
        r""":math:`s = o^{l-1} W + b`, :math:`o = f(s)` (:meth:`outputs`); stores
        ``o_prev``, ``s``, ``o`` for :meth:`backward`. Returns ``o``, ``(B, n_out)``.

        ``o_prev`` must be a finite real array of shape ``(B, n_in)`` (converted to the
        layer's dtype) and ``W``, ``b`` the layer's arrays; else the error naming them, and
        nothing is stored. :meth:`propagate` is the same pass without the checks.
        """
        where = "Dense.forward"
        o_prev = as_batch(o_prev, "o_prev", where, self.n_in, self.dtype)
        self.check_parameters(where, "self")
        return self.propagate(o_prev)

    def propagate(self, o_prev: np.ndarray) -> np.ndarray:
        """:meth:`forward` on a checked ``o_prev`` (what :class:`~backprop_lib.Network`
        passes): stores ``o_prev``, ``s``, ``o`` and returns ``o``. No checks."""
        self.o_prev = o_prev
        self.s, self.o = self.outputs(o_prev)
        return self.o

    def backward(self, grad_o: ArrayLike, below: bool = True) -> np.ndarray | None:
        r"""Backpropagate :math:`\partial E/\partial o^l` ``(B, n_out)`` through the layer,
        after :meth:`forward` (:meth:`backpropagate`, after checking that ``grad_o`` is a
        finite real array of the shape of the stored ``o`` and ``below`` a bool; a refused
        call stores nothing). Stores ``delta``, ``dW``, ``db``; returns
        :math:`\partial E/\partial o^{l-1}` ``(B, n_in)``, or ``None`` with
        ``below=False``.
        """
        where = "Dense.backward"
        below = check_bool(below, "below", where)
        if self.o_prev is None or self.s is None or self.o is None:
            raise RuntimeError(f"{where}: call forward(o_prev) before backward(grad_o).")
        grad_o = as_batch(grad_o, "grad_o", where, self.n_out, self.dtype)
        if grad_o.shape != self.o.shape:
            raise ValueError(
                f"{where}: grad_o must have the shape of the last output o, {self.o.shape} "
                f"(one row per row of the last forward pass); got shape {grad_o.shape}."
            )
        self.check_parameters(where, "self")
        return self.backpropagate(grad_o, below)

    def backpropagate(self, grad_o: np.ndarray, below: bool = True) -> np.ndarray | None:
        r""":meth:`backward` on a checked ``grad_o`` (what :class:`~backprop_lib.Network`
        passes), no checks.

        :math:`\delta^l = \partial E/\partial s^l` is the activation's vector-Jacobian
        product of ``grad_o`` (:math:`\partial E/\partial o \odot f'(s)` for an
        elementwise :math:`f`; with ``grad_o`` :math:`= \delta^{l+1} (W^{l+1})^\top` this is
        the recursion, eq:rd-recursion), then :meth:`backward_delta`.
        """
        delta = self.activation.delta(self.s, self.o, grad_o)  # eq:rd-recursion
        return self.backward_delta(delta, below)

    def backward_delta(self, delta: np.ndarray, below: bool = True) -> np.ndarray | None:
        r"""Store :math:`\delta^l` ``(B, n_out)`` and the layer's gradients; return
        :math:`\partial E/\partial o^{l-1} = \delta^l (W^l)^\top` ``(B, n_in)``.

        :math:`\partial E/\partial W^l = (o^{l-1})^\top \delta^l` ``(n_in, n_out)`` and
        :math:`\partial E/\partial b^l = \sum_n \delta^l_n` ``(n_out,)``
        (eq:rd-gradients). The output layer starts here, from the pair's
        :math:`\delta^L`. With ``below=False`` (layer 1, whose input is the data) the
        product for the layer below is skipped and ``None`` returned. Checks only that
        ``delta`` is an array of the shape of the stored ``s`` (the values are those of a
        forward pass: an overflow is the network's to report).
        """
        _check_delta_shape(self, delta)
        self.delta = delta
        self.dW = self.o_prev.T @ delta  # eq:rd-gradients
        self.db = delta.sum(axis=0)  # eq:rd-gradients
        return delta @ self.W.T if below else None  # grad_o of the layer below

    def check_parameters(self, where: str, label: str, writable: bool = False) -> None:
        """Raise ``TypeError``/``ValueError`` unless ``W`` and ``b`` are finite arrays of the
        layer's shape and dtype (they may have been replaced by hand), and, with
        ``writable``, arrays that can be updated in place. ``label`` names the layer in the
        message (``"layers[0]"``)."""
        shapes = {"W": (self.n_in, self.n_out), "b": (self.n_out,)}
        layer = f"Dense({self.n_in}, {self.n_out})"
        for name, shape in shapes.items():
            check_parameter(self, name, shape, where, label, layer, writable)

    def check_gradients(self, where: str, label: str) -> None:
        """Raise unless the layer holds writable, finite parameters and the ``dW``, ``db`` of a
        backward pass, of the parameters' shapes: what a gradient step needs."""
        self.check_parameters(where, label, writable=True)
        for name in ("W", "b"):
            check_gradient(self, name, where, label)

    @property
    def n_parameters(self) -> int:
        """The number of weights and biases, ``n_in * n_out + n_out``."""
        return self.n_in * self.n_out + self.n_out

    def __repr__(self) -> str:
        dtype = "" if self.dtype == np.float64 else f", dtype=np.{self.dtype}"
        return f"Dense({self.n_in}, {self.n_out}, activation={self.activation.name!r}{dtype})"


def check_parameter(
    layer: Any,
    name: str,
    shape: tuple[int, ...],
    where: str,
    label: str,
    described: str,
    writable: bool = False,
) -> None:
    """Raise ``TypeError``/``ValueError`` unless the parameter ``layer.<name>`` is a finite
    numpy array of ``shape`` and of ``layer.dtype`` (it may have been replaced by hand) and,
    with ``writable``, can be updated in place. ``label`` names the layer in the message
    (``"layers[0]"``), ``described`` shows it (``"Dense(3, 4)"``). The one parameter check
    of every layer: :meth:`Dense.check_parameters` and
    :meth:`Layer.check_parameters <backprop_lib.Layer.check_parameters>` call it."""
    value, dtype = getattr(layer, name), layer.dtype
    if not isinstance(value, np.ndarray):
        raise TypeError(
            f"{where}: {label}.{name} must be a numpy array of shape {shape} and dtype "
            f"{dtype}; got {describe(value)}."
        )
    if value.shape != shape:
        raise ValueError(
            f"{where}: {label}.{name} must have shape {shape} (the layer is {described}); got "
            f"shape {value.shape}."
        )
    if value.dtype != dtype:
        raise TypeError(
            f"{where}: {label}.{name} has dtype {value.dtype}, but the layer computes in "
            f"{dtype}; assign {name}.astype(np.{dtype}) instead."
        )
    if first_nonfinite(value) is not None:
        raise ValueError(f"{where}: {label}.{name} contains NaN or inf.")
    if writable and not value.flags.writeable:
        raise ValueError(
            f"{where}: {label}.{name} is read-only (flags.writeable is False), so gradient "
            f"descent cannot update it in place; assign a writable copy, {label}.{name} = "
            f"{label}.{name}.copy()."
        )


def check_gradient(layer: Any, name: str, where: str, label: str) -> None:
    """Raise unless ``layer`` holds the gradient ``d<name>`` of a backward pass, an array of
    the shape of the parameter ``name`` (what a gradient step needs); ``label`` names the
    layer in the message (``"layers[0]"``)."""
    gradient, shape = getattr(layer, "d" + name), getattr(layer, name).shape
    if gradient is None:
        raise RuntimeError(
            f"{where}: {label} has no stored gradients; call backward(X, T) before step(lr)."
        )
    if not isinstance(gradient, np.ndarray) or gradient.shape != shape:
        raise ValueError(
            f"{where}: {label}.d{name} must be an array of shape {shape} (from backward(X, "
            f"T)); got {describe(gradient)}."
        )


def _check_delta_shape(layer: Dense, delta: np.ndarray) -> None:
    """The error :meth:`Dense.backward_delta` raises unless ``forward`` ran and ``delta`` is
    an array of the shape of the stored ``s``: checks of shapes only, cheap."""
    where = "Dense.backward_delta"
    if layer.o_prev is None or layer.s is None:
        raise RuntimeError(f"{where}: call forward(o_prev) before backward_delta(delta).")
    if not isinstance(delta, np.ndarray) or delta.shape != layer.s.shape:
        raise ValueError(
            f"{where}: delta must be an array of the shape of the last s, {layer.s.shape} "
            f"(batch, n_out); got {describe(delta)}."
        )


def _check_arrays(
    W: ArrayLike, b: ArrayLike, where: str
) -> tuple[np.ndarray, np.ndarray, np.dtype]:
    """``(W, b, dtype)`` of :meth:`Dense.from_arrays` checked: ``W`` a finite 2-D real array
    ``(n_in, n_out)``, ``b`` a finite real array ``(n_out,)``; ``dtype`` is ``W``'s if it is
    float32 or float64, else float64. Copies nothing."""
    W_array = as_real_array(W, "W", where, "(n_in, n_out)")
    b_array = as_real_array(b, "b", where, "(n_out,)")
    check_finite(W_array, "W", where)
    check_finite(b_array, "b", where)
    if W_array.ndim != 2:
        raise ValueError(
            f"{where}: W must be a 2-D array of real numbers, shape "
            f"(n_in, n_out); got {describe(W_array)}."
        )
    dtype = W_array.dtype if W_array.dtype.kind == "f" else np.dtype(np.float64)
    dtype = check_dtype(dtype, "W.dtype", where)
    n_out = W_array.shape[1]
    if b_array.shape != (n_out,) or b_array.dtype.kind not in "biuf":
        raise ValueError(
            f"{where}: b must be a 1-D array of real numbers of shape "
            f"({n_out},) to match W; got {describe(b_array)}."
        )
    return W_array, b_array, dtype


def check_stack(layers: Dense | Sequence[Dense], where: str = "Network") -> list[Dense]:
    """``layers`` (one Dense or a non-empty sequence of them) as a list, after checking that
    they stack: consecutive sizes chain, all share one dtype and no layer appears twice
    (what :class:`~backprop_lib.Network` checks of its layers)."""
    if isinstance(layers, Dense):
        layers = [layers]
    if not isinstance(layers, Sequence) or isinstance(layers, str) or not layers:
        raise TypeError(
            f"{where}: layers must be a non-empty list of Dense layers; got {describe(layers)}."
        )
    for i, layer in enumerate(layers):
        if not isinstance(layer, Dense):
            raise TypeError(f"{where}: layers[{i}] must be a Dense layer; got {describe(layer)}.")
    for i in range(1, len(layers)):
        if layers[i].n_in != layers[i - 1].n_out:
            raise ValueError(
                f"{where}: consecutive layers must chain, layers[{i}].n_in == "
                f"layers[{i - 1}].n_out; got layers[{i - 1}] = {layers[i - 1]!r} with "
                f"n_out = {layers[i - 1].n_out} and layers[{i}] = {layers[i]!r} with "
                f"n_in = {layers[i].n_in}."
            )
        if layers[i].dtype != layers[0].dtype:
            raise TypeError(
                f"{where}: all layers must share one dtype; layers[0] is "
                f"{layers[0].dtype} but layers[{i}] is {layers[i].dtype}."
            )
    if len({id(layer) for layer in layers}) != len(layers):
        raise ValueError(f"{where}: the same Dense object appears twice in layers.")
    return list(layers)


def check_sizes(
    sizes: Sequence[int] | np.ndarray,
    activations: str | Activation | Sequence[str | Activation],
    where: str,
) -> tuple[list[int], list[Activation]]:
    """``sizes = [n_0, ..., n_L]`` of a stack of layers as ints and ``activations`` (one name
    or one per layer) as ``L`` Activation objects, or the error naming what is wrong (what
    :meth:`Network.from_sizes <backprop_lib.Network.from_sizes>` checks first)."""
    if isinstance(sizes, np.ndarray) and sizes.ndim == 1:
        sizes = sizes.tolist()
    if isinstance(sizes, str) or not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise ValueError(
            f"{where}: sizes must be a list [n_0, n_1, ..., n_L] of at least two layer "
            f"sizes; got {describe(sizes)}."
        )
    sizes = [check_positive_int(n, f"sizes[{i}]", where) for i, n in enumerate(sizes)]
    n_layers = len(sizes) - 1
    if isinstance(activations, str) or not isinstance(activations, Sequence):
        activations = [activations] * n_layers
    if len(activations) != n_layers:
        raise ValueError(
            f"{where}: activations must be one name or one per layer ({n_layers} for "
            f"sizes {sizes}); got {len(activations)}: {list(activations)!r}."
        )
    return sizes, [get_activation(a) for a in activations]
