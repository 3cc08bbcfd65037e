r"""The protocol every layer of a modern network follows, and what :class:`Network` needs of
a stack of them.

A layer has

- ``forward(x) -> y``: computes its output and stores what ``backward`` needs;
- ``backward(grad_y) -> grad_x``: from :math:`\partial E/\partial y` (the shape of ``y``)
  returns :math:`\partial E/\partial x` (the shape of ``x``) and stores the gradient of
  each parameter in an attribute named after it with a ``d``: ``W`` → ``dW``, ``b`` →
  ``db``, ``gamma`` → ``dgamma``, ``beta`` → ``dbeta``;
- ``propagate(x)`` and ``backpropagate(grad_y, below=True)``: the same two passes on
  arrays already checked, with no checks (what :class:`~backprop_lib.Network` calls: it
  checks its inputs once per call and reports an overflow itself, so that training that
  diverges in any layer ends in ``fit``'s divergence guard). With ``below=False`` (a
  network's first layer, whose input is the data) no input gradient is computed and
  ``None`` is returned;
- its parameters as public attributes (named in ``params``) that a user may replace with
  arrays of the same shape and dtype; the network checks them before every public call.

:class:`~backprop_lib.Dense` follows the protocol too (``forward(o_prev)``,
``backward(grad_o)``, ``W``, ``b``, ``dW``, ``db``). :class:`Layer` is the base of every
other layer: it supplies the parameter checks, the parameter count, a copy in another
dtype and the list of stored values that :class:`~backprop_lib.Network` saves and restores
around a refused call.

Shapes: the first axis is always the batch (rows are samples, as everywhere in the book).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._validate import FLOAT_DTYPES, as_batch, as_real_array, check_dtype, check_finite, describe
from .layers import check_gradient, check_parameter

if TYPE_CHECKING:
    from .layers import Dense


class Layer:
    r"""Base class of the layers other than :class:`~backprop_lib.Dense`.

    Subclasses set ``params`` (the names of their parameter attributes, in order) and
    ``stored`` (the names of what ``forward`` and ``backward`` store besides the
    parameter gradients), and implement ``forward``, ``backward``, ``outputs`` (the
    forward computation, storing nothing) and ``output_shape``.
    """

    #: Names of the parameter attributes; the gradient of ``p`` is stored in ``"d" + p``.
    params: tuple[str, ...] = ()
    #: Names of the attributes ``forward`` stores for ``backward``.
    stored: tuple[str, ...] = ()
    #: The dtype of the parameters (None for a layer without parameters, which computes in
    #: the dtype of its input).
    dtype: np.dtype | None = None
    #: The shape of the last output (set by ``forward``; None before).
    _y_shape: tuple[int, ...] | None

    # -- the protocol ------------------------------------------------------------------------

    # every subclass defines forward, backward, propagate, backpropagate and _compute
    def forward(self, x: ArrayLike) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def backward(self, grad_y: ArrayLike) -> np.ndarray | None:  # pragma: no cover
        raise NotImplementedError

    def propagate(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def backpropagate(
        self, grad_y: np.ndarray, below: bool = True
    ) -> np.ndarray | None:  # pragma: no cover
        raise NotImplementedError

    def outputs(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(y, y)``: the output of ``x`` without storing anything (what
        :class:`~backprop_lib.Network` evaluates with; the pair mirrors
        :meth:`Dense.outputs <backprop_lib.Dense.outputs>`' ``(s, o)``)."""
        y = self._compute(x)[0]
        return y, y

    def _compute(self, x: np.ndarray) -> tuple[np.ndarray, Any]:  # pragma: no cover
        """``(y, cache)``: the forward computation on checked ``x``, storing nothing."""
        raise NotImplementedError

    def output_shape(self, shape: tuple[int, ...], where: str, label: str) -> tuple[int, ...]:
        """The shape of the output for an input of shape ``shape`` (default: the same), or
        the ``ValueError`` naming ``label`` if that input does not fit the layer."""
        return tuple(shape)

    # -- checks --------------------------------------------------------------------------

    def _name(self) -> str:
        return type(self).__name__

    def check_input(
        self, x: ArrayLike, where: str, name: str = "x", dtype: DTypeLike | None = None
    ) -> np.ndarray:
        """``x`` as a finite real array with at least two axes (a batch) that fits the layer,
        converted to ``dtype`` (default: the layer's, or float64); else the error naming
        ``name``. Cheap when ``x`` already is such an array."""
        dtype = dtype or self.dtype or np.dtype(np.float64)
        array = as_real_array(x, name, where, "(batch, ...)")
        if array.ndim < 2:
            raise ValueError(
                f"{where}: {name} must have a batch axis first, at least 2 axes; got shape "
                f"{array.shape}."
            )
        if array.dtype.kind == "f" and array.dtype.itemsize > np.dtype(dtype).itemsize:
            limit = np.finfo(dtype).max
            if (np.abs(array) > limit).any():
                raise ValueError(
                    f"{where}: {name} has values that do not fit in {np.dtype(dtype)} "
                    f"(largest {limit:.4g})."
                )
        check_finite(array, name, where)
        self.output_shape(array.shape, where, name)
        return array.astype(dtype, copy=False)

    def _check_grad(self, grad_y: ArrayLike, where: str) -> np.ndarray:
        """``grad_y`` as a finite real array of the shape of the last output, after
        checking that ``forward`` ran."""
        y_shape = getattr(self, "_y_shape", None)
        if y_shape is None:
            raise RuntimeError(f"{where}: call forward(x) before backward(grad_y).")
        grad = as_real_array(grad_y, "grad_y", where, str(y_shape))
        if grad.shape != y_shape:
            raise ValueError(
                f"{where}: grad_y must have the shape of the last output, {y_shape}; got "
                f"shape {grad.shape}."
            )
        check_finite(grad, "grad_y", where)
        dtype = self.dtype
        if dtype is None:  # a layer without parameters keeps float32 in float32
            dtype = grad.dtype if grad.dtype in FLOAT_DTYPES else np.dtype(np.float64)
        return grad.astype(dtype, copy=False)

    def _computed(self, x: np.ndarray, where: str) -> tuple[np.ndarray, Any]:
        """``self._compute(x)`` with numpy's floating-point warnings silenced, and a
        ``FloatingPointError`` instead if the output is NaN or inf (before anything is
        stored)."""
        with np.errstate(all="ignore"):
            y, cache = self._compute(x)
        require_finite(y, "the output", where)
        return y, cache

    def check_parameters(self, where: str, label: str, writable: bool = False) -> None:
        """Raise ``TypeError``/``ValueError`` unless every parameter is a finite array of its
        shape and of the layer's dtype (it may have been replaced by hand), and, with
        ``writable``, can be updated in place."""
        for name in self.params:
            check_parameter(self, name, self._shapes[name], where, label, repr(self), writable)

    # -- what a network needs -----------------------------------------------------------

    @property
    def _shapes(self) -> dict[str, tuple[int, ...]]:
        """The shape each parameter must keep (fixed when the layer is built)."""
        return self._param_shapes

    def _set_params(self, **arrays: np.ndarray) -> None:
        """Set the parameters and remember their shapes."""
        self._param_shapes = {}
        for name, value in arrays.items():
            setattr(self, name, value)
            setattr(self, "d" + name, None)
            self._param_shapes[name] = value.shape

    def parameter_slots(self) -> list[tuple[Any, str]]:
        """``[(owner, name), ...]``: every parameter as the object holding it and its
        attribute name (a :class:`Residual` lists those of its inner layers)."""
        return [(self, name) for name in self.params]

    @property
    def n_parameters(self) -> int:
        """The number of parameter entries."""
        return sum(getattr(owner, name).size for owner, name in self.parameter_slots())

    def stored_values(self) -> tuple:
        """What the last forward and backward pass stored (references, not copies)."""
        names = (*self.stored, "_y_shape", *("d" + p for p in self.params))
        return tuple(getattr(self, name, None) for name in names)

    def set_stored_values(self, values: tuple | None) -> None:
        """Set what :meth:`stored_values` returned; ``None`` clears everything stored."""
        names = (*self.stored, "_y_shape", *("d" + p for p in self.params))
        values = (None,) * len(names) if values is None else values
        for name, value in zip(names, values, strict=True):
            setattr(self, name, value)

    def astype(self, dtype: DTypeLike) -> Layer:
        """A copy computing in ``dtype`` (np.float64 or np.float32): parameters converted,
        nothing stored."""
        import copy

        dtype = check_dtype(dtype, "dtype", f"{self._name()}.astype")
        new = copy.copy(self)
        if self.dtype is not None:
            new.dtype = dtype
        for name in self.params:
            setattr(new, name, getattr(self, name).astype(dtype))
        for name in getattr(self, "buffers", ()):
            setattr(new, name, getattr(self, name).astype(dtype))
        new.set_stored_values(None)
        return new


def require_finite(value: np.ndarray | None, what: str, where: str) -> None:
    """``FloatingPointError`` if ``value`` holds NaN or inf (an overflow in a layer's
    arithmetic on finite but very large inputs or parameters); ``None`` (a gradient not
    computed) passes."""
    if value is None:
        return
    with np.errstate(all="ignore"):
        finite = bool(np.isfinite(value).all())
    if not finite:
        raise FloatingPointError(
            f"{where}: {what} overflowed to NaN or inf: the inputs, the parameters or the "
            f"gradient are too large. Nothing was stored."
        )


# -- a stack of layers, as Network uses it ---------------------------------------------------


def is_dense(layer: object) -> TypeGuard[Dense]:
    """Whether ``layer`` is a :class:`~backprop_lib.Dense`."""
    from .layers import Dense

    return isinstance(layer, Dense)


def parameter_slots(layer: Any) -> list[tuple[Any, str]]:
    """``[(owner, name), ...]`` of any layer: ``W`` and ``b`` of a Dense."""
    if is_dense(layer):
        return [(layer, "W"), (layer, "b")]
    return layer.parameter_slots()


def gradients(layer: Any) -> tuple:
    """The stored gradients of ``layer``'s parameters, in the order of
    :func:`parameter_slots`: ``(dW, db)`` for a Dense."""
    return tuple(getattr(owner, "d" + name) for owner, name in parameter_slots(layer))


def output_shape(layer: Any, shape: tuple[int, ...], where: str, label: str) -> tuple[int, ...]:
    """The output shape of any layer for input ``shape``, or the ``ValueError``."""
    if is_dense(layer):
        if len(shape) != 2 or shape[1] != layer.n_in:
            raise ValueError(
                f"{where}: {label} is {layer!r} and needs inputs of shape (batch, "
                f"{layer.n_in}); the layers below give shape {tuple(shape)}. Put a Flatten() "
                f"before it, or change its n_in."
            )
        return (shape[0], layer.n_out)
    return layer.output_shape(shape, where, label)


def is_layer_stack(layers: object) -> bool:
    """Whether ``layers`` is a sequence holding at least one :class:`Layer` (a stack that
    :func:`check_stack` checks; a list of Dense layers only is checked as before)."""
    return (
        isinstance(layers, Sequence)
        and not isinstance(layers, str)
        and any(isinstance(layer, Layer) for layer in layers)
    )


def _all_layers(layers: Sequence[Any]) -> list:
    """``layers`` and, recursively, the inner layers of every Residual among them."""
    found = []
    for layer in layers:
        found.append(layer)
        found += _all_layers(getattr(layer, "layers", []))
    return found


def check_layers(layers: object, where: str) -> list:
    """``layers`` as a list after checking it is a non-empty sequence of Dense or
    :class:`Layer` objects, else the ``TypeError`` naming it (or the entry that is not a
    layer)."""
    if not isinstance(layers, Sequence) or isinstance(layers, str) or not layers:
        raise TypeError(
            f"{where}: layers must be a non-empty list of layers; got {describe(layers)}."
        )
    for i, layer in enumerate(layers):
        if not (is_dense(layer) or isinstance(layer, Layer)):
            raise TypeError(
                f"{where}: layers[{i}] must be a Dense or a backprop_lib layer (Conv2D, "
                f"MaxPool2D, Flatten, BatchNorm, ...); got {describe(layer)}."
            )
    return list(layers)


def check_stack(layers: Sequence[Any], where: str = "Network") -> list:
    """``layers`` as a list after checking it is a non-empty sequence of Dense or
    :class:`Layer` objects (:func:`check_layers`), ending with a Dense (the output layer,
    whose activation pairs with the loss), with no object twice, adjacent Dense layers
    chaining, and every layer with parameters in the dtype of the output layer."""
    layers = check_layers(layers, where)
    if not is_dense(layers[-1]):
        raise TypeError(
            f"{where}: the last layer must be a Dense (its activation pairs with the loss); "
            f"got {layers[-1]!r}."
        )
    ids = [id(layer) for layer in _all_layers(layers)]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{where}: the same layer object appears twice in layers.")
    dtype = layers[-1].dtype
    for i, layer in enumerate(layers):
        if i and is_dense(layer) and is_dense(layers[i - 1]):
            if layer.n_in != layers[i - 1].n_out:
                raise ValueError(
                    f"{where}: consecutive layers must chain, layers[{i}].n_in == "
                    f"layers[{i - 1}].n_out; got {layers[i - 1].n_out} and {layer.n_in}."
                )
        for owner, _name in parameter_slots(layer):
            if owner.dtype != dtype:
                raise TypeError(
                    f"{where}: all layers must share one dtype; the output layer is {dtype} "
                    f"but layers[{i}] is {owner.dtype}."
                )
    return list(layers)


def check_stack_input(
    layers: Sequence[Any], X: ArrayLike, where: str, name: str, dtype: np.dtype
) -> np.ndarray:
    """``X`` checked by the first layer and converted to ``dtype``, after following its
    shape through every layer (so a shape that does not fit is refused before anything
    runs)."""
    first = layers[0]
    if is_dense(first):
        x = as_batch(X, name, where, first.n_in, dtype)
    else:
        x = first.check_input(X, where, name, dtype)
    if x.shape[0] == 0:
        raise ValueError(f"{where}: {name} is an empty batch (shape {x.shape}).")
    shape = x.shape
    for i, layer in enumerate(layers):
        shape = output_shape(layer, shape, where, f"layers[{i}]")
    return x


def check_stack_gradients(layers: Sequence[Any], where: str) -> None:
    """Raise unless every parameter is writable and finite and has a stored gradient of
    its shape (what a gradient step needs)."""
    for i, layer in enumerate(layers):
        layer.check_parameters(where, f"layers[{i}]", writable=True)
        for owner, name in parameter_slots(layer):
            check_gradient(owner, name, where, f"layers[{i}]")


def check_stack_updates(
    updates: Sequence[tuple[np.ndarray, np.ndarray]], lr: float, where: str
) -> None:
    """``FloatingPointError`` if any new value of ``updates`` (``[(P, new P), ...]``) is NaN
    or inf; changes nothing."""
    with np.errstate(all="ignore"):
        for _P, new in updates:
            if not np.isfinite(new).all():
                raise FloatingPointError(
                    f"{where}: the step with lr = {lr} would make a parameter NaN or inf "
                    f"(the gradients or the learning rate are too large); nothing was "
                    f"changed. Use a smaller lr."
                )


#: What a Dense stores in its forward and backward pass.
DENSE_STORED = ("o_prev", "s", "o", "delta", "dW", "db")


def stored_values(layer: Any) -> tuple:
    """What ``layer`` stored in its last forward and backward pass (references, not
    copies): ``(o_prev, s, o, delta, dW, db)`` for a Dense."""
    if is_dense(layer):
        return tuple(getattr(layer, name) for name in DENSE_STORED)
    return layer.stored_values()


def set_stored_values(layer: Any, values: tuple | None) -> None:
    """Set what :func:`stored_values` returned; ``None`` clears everything stored."""
    if is_dense(layer):
        values = (None,) * len(DENSE_STORED) if values is None else values
        for name, value in zip(DENSE_STORED, values, strict=True):
            setattr(layer, name, value)
    else:
        layer.set_stored_values(values)


def layer_astype(layer: Any, dtype: DTypeLike) -> Any:
    """A copy of any layer computing in ``dtype``: parameters converted, nothing stored."""
    if is_dense(layer):
        import copy

        dtype = check_dtype(dtype, "dtype", "astype")
        new = copy.copy(layer)
        new.W, new.b, new.dtype = layer.W.astype(dtype), layer.b.astype(dtype), dtype
        set_stored_values(new, None)
        return new
    return layer.astype(dtype)
