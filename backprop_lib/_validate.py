r"""Argument checks shared by the library.

Every check raises a ``ValueError`` or ``TypeError`` whose message names the function, the
argument, what was given and what is valid, e.g.::

    Network.fit: lr must be a positive finite number; got -0.1.

The checks run once per public call, before anything is modified, so a refused call leaves
every network and layer exactly as it was. Internal hot loops (``Network.fit``) validate
their data once and then skip these checks.
"""

from __future__ import annotations

import difflib
import inspect
import numbers
from collections.abc import Mapping
from typing import TypeVar

import numpy as np

_Entry = TypeVar("_Entry")

#: The floating-point types a network can compute in.
FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def describe(value) -> str:
    """A short description of ``value`` for an error message."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} (type {type(value).__name__})"


def lookup_name(name: str, registry: Mapping[str, _Entry], what: str) -> _Entry:
    """``registry[name]``; an unknown name raises ``ValueError`` naming ``what``, the name
    given, every valid name and the closest one, e.g.::

        activation 'sigmod' is unknown; valid names are 'sigmoid', 'tanh', 'relu', 'linear',
        'softmax'. Did you mean 'sigmoid'?
    """
    try:
        return registry[name]
    except KeyError:
        close = difflib.get_close_matches(name.lower(), list(registry), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"{what} {name!r} is unknown; valid names are {', '.join(map(repr, registry))}.{hint}"
        ) from None


def lookup(
    value, registry: Mapping[str, _Entry], kind: type, what: str, twins: tuple[type, ...] = ()
) -> _Entry:
    """The registry entry ``value`` stands for.

    ``value`` is an instance of ``kind`` (returned as it is), a name (see :func:`lookup_name`)
    or an instance of one of ``twins``, which stands for the entry of the same ``.name`` (the
    sympy registry takes the library's objects so). Anything else raises ``TypeError`` naming
    ``what``, the valid names and the accepted classes.
    """
    if isinstance(value, kind):
        return value
    if isinstance(value, twins):
        value = value.name
    if isinstance(value, str):
        return lookup_name(value, registry, what)
    classes = " or ".join(cls.__name__ for cls in (kind, *twins))
    article = "an" if classes[0] in "AEIOU" else "a"
    raise TypeError(
        f"{what} must be a name ({', '.join(map(repr, registry))}) or {article} {classes} "
        f"object; got {describe(value)}."
    )


def float_dtype(dtype) -> np.dtype | None:
    """``dtype`` as ``np.dtype(np.float64)`` or ``np.dtype(np.float32)``, else ``None``.

    ``None`` itself is refused: ``np.dtype(None)`` is float64, and ``np.dtype(x) == None``
    is True for float64, so neither ``None`` nor an unparseable value may reach a
    membership test of :data:`FLOAT_DTYPES` (``None in FLOAT_DTYPES`` is True).
    """
    if dtype is None:
        return None
    try:
        resolved = np.dtype(dtype)
    except (TypeError, ValueError, SyntaxError):  # np.dtype("garbage"), np.dtype("f8,(")
        return None
    for valid in FLOAT_DTYPES:
        if resolved == valid:  # both are dtypes here: a real comparison
            return valid
    return None


def check_dtype(dtype, name: str, where: str) -> np.dtype:
    """Return ``dtype`` as a numpy dtype if it is float32 or float64."""
    resolved = float_dtype(dtype)
    if resolved is None:
        raise TypeError(f"{where}: {name} must be np.float64 or np.float32; got {describe(dtype)}.")
    return resolved


def check_positive_int(value, name: str, where: str) -> int:
    """Return ``value`` as an ``int`` if it is an integer >= 1 (``bool`` is refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}: {name} must be a positive integer; got {describe(value)}.")
    if value < 1:
        raise ValueError(f"{where}: {name} must be a positive integer (>= 1); got {value}.")
    return int(value)


def check_positive_float(value, name: str, where: str) -> float:
    """Return ``value`` as a Python ``float`` if it is a finite real number > 0.

    A Python float keeps float32 arithmetic in float32 (numpy treats it as a "weak" scalar),
    where a ``np.float64`` scalar would promote a float32 array to float64.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: {name} must be a positive finite number; got {describe(value)}.")
    try:
        with np.errstate(all="ignore"):  # np.longdouble(10)**400 -> inf, refused below
            value = float(value)
    except OverflowError:  # an int or Fraction beyond float64, e.g. 10**400
        raise ValueError(
            f"{where}: {name} must be a positive finite number; got {describe(value)}, "
            f"which is beyond float64."
        ) from None
    if not (np.isfinite(value) and value > 0.0):
        raise ValueError(f"{where}: {name} must be a positive finite number; got {value}.")
    return value


def as_generator(rng, name: str, where: str) -> np.random.Generator:
    r"""Return a ``numpy.random.Generator`` from ``rng``.

    ``rng`` may be a Generator (used as is, so its state advances), an ``int`` seed
    (``np.random.default_rng(rng)``) or ``None`` (a fresh generator seeded by the operating
    system: results then differ from run to run). The library never touches numpy's global
    random state.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"{where}: {name} must be a non-negative seed; got {rng}.")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{where}: {name} must be a numpy.random.Generator (np.random.default_rng(seed)), "
        f"an int seed or None; got {describe(rng)}."
    )


def as_real_array(
    value, name: str, where: str, shape: str = "(batch, n)", nonempty: bool = True
) -> np.ndarray:
    r"""``np.asarray(value)`` if it holds real numbers (bool, int or float) and (with
    ``nonempty``) at least one entry, else a ``ValueError``/``TypeError`` naming ``name``
    and the valid ``shape``.

    Refused: ragged nested lists (numpy cannot make one array of them), masked arrays (the
    library has no notion of a missing entry, and ``np.asarray`` would drop the mask
    silently), complex, text or object data, and empty arrays.
    """
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(
            f"{where}: {name} is a masked array; the library cannot skip masked entries and "
            f"would silently use the values under the mask. Pass the rows without masked "
            f"entries, or {name}.filled(value) with the value you mean."
        )
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:  # e.g. ragged nested lists
        raise ValueError(
            f"{where}: {name} must be an array of shape {shape}; got {describe(value)}, which "
            f"numpy cannot make an array of ({error})."
        ) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{where}: {name} must hold real numbers (bool, int or float); got "
            f"{describe(value) if isinstance(value, np.ndarray) else 'dtype ' + str(array.dtype)}."
        )
    if nonempty and array.size == 0:
        raise ValueError(
            f"{where}: {name} is empty (shape {array.shape}); it needs at least one entry, "
            f"shape {shape}."
        )
    return array


def check_finite(array: np.ndarray, name: str, where: str) -> None:
    """``ValueError`` naming the first NaN or inf entry of ``array``, if it has one."""
    if array.dtype.kind == "f":
        finite = np.isfinite(array)
        if not finite.all():
            at = [int(i) for i in np.argwhere(~finite)[0]]
            raise ValueError(
                f"{where}: {name} must be finite; got {array[tuple(at)]} at {name}{at}."
            )


def as_float_array(
    value, name: str, where: str, shape: str = "(batch, n)", nonempty: bool = True
) -> np.ndarray:
    r""":func:`as_real_array`, with bool and integer data converted to float64 before any
    arithmetic (``np.exp`` of int8 computes in float16, ``-np.abs`` and ``s - s.max()`` of
    unsigned integers wrap around), and every entry finite (:func:`check_finite`)."""
    array = as_real_array(value, name, where, shape, nonempty)
    if array.dtype.kind in "biu":
        array = array.astype(np.float64)
    check_finite(array, name, where)
    return array


def _all_finite(array: np.ndarray) -> bool:
    """Whether a floating ``array`` holds no NaN or inf, by one sum: a NaN or inf entry makes
    the sum NaN or inf. Cheaper than ``np.isfinite(array).all()`` (no boolean copy of the
    array); a sum that overflows with finite entries only gives ``False``, so a caller that
    needs certainty checks element by element after a ``False``."""
    with np.errstate(all="ignore"):
        return bool(np.isfinite(array.sum()))


def as_batch(value, name: str, where: str, n_cols: int, dtype: np.dtype) -> np.ndarray:
    r"""Return ``value`` as a 2-D array of shape ``(B, n_cols)`` in ``dtype``.

    Accepted: anything ``np.asarray`` turns into a real (bool, integer or floating) array of
    that shape with ``B >= 1`` and only finite entries. The result is ``value`` itself when it
    already is such an array in ``dtype``; otherwise a converted copy. Converting float64 data
    to a float32 network's dtype is allowed (that is what a float32 network computes in);
    values too large for the network's dtype are refused, not turned into ``inf``.
    """
    array = as_real_array(value, name, where, f"(batch, {n_cols})", nonempty=False)
    if array.ndim != 2:
        hint = ""
        if array.ndim == 1 and array.shape[0] == n_cols:
            hint = f" For one sample, pass {name}[None, :] (shape (1, {n_cols}))."
        raise ValueError(
            f"{where}: {name} must be a 2-D array of shape (batch, {n_cols}), one row per "
            f"sample; got shape {array.shape}.{hint}"
        )
    if array.shape[1] != n_cols:
        raise ValueError(
            f"{where}: {name} must have {n_cols} columns, shape (batch, {n_cols}); got shape "
            f"{array.shape}."
        )
    if array.shape[0] == 0:
        raise ValueError(
            f"{where}: {name} is an empty batch (shape {array.shape}); it needs at least one row."
        )
    if array.dtype.kind == "f" and not _all_finite(array):
        finite = np.isfinite(array)
        if not finite.all():
            row, col = np.argwhere(~finite)[0]
            raise ValueError(
                f"{where}: {name} must be finite; got {array[row, col]} at {name}[{row}, {col}]."
            )
    if array.dtype.kind == "f" and array.dtype.itemsize > dtype.itemsize:
        limit = np.finfo(dtype).max
        too_big = np.abs(array) > limit
        if too_big.any():
            row, col = np.argwhere(too_big)[0]
            raise ValueError(
                f"{where}: {name}[{row}, {col}] = {array[row, col]} does not fit in the "
                f"network's dtype {dtype} (largest {limit:.4g})."
            )
    return array.astype(dtype, copy=False)


# -- layers and networks: the checks of Dense, Network.__init__, from_sizes and step ---------


def check_layer_arguments(n_in, n_out, activation, dtype, where: str = "Dense"):
    """``(n_in, n_out, activation, dtype)`` of a :class:`~backprop_lib.Dense` checked and
    resolved (``activation`` to its object), or the error the layer raises for them; draws
    nothing (so a caller building several layers can check them all before the first draw)."""
    from .activations import Softmax, get_activation

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


def check_layer_parameters(layer, where: str, label: str, writable: bool = False) -> None:
    """Raise ``TypeError``/``ValueError`` unless ``layer.W`` and ``layer.b`` are finite arrays
    of the layer's shape and dtype (they may have been replaced by hand), and, with
    ``writable``, arrays that can be updated in place."""
    for name, shape in (("W", (layer.n_in, layer.n_out)), ("b", (layer.n_out,))):
        value = getattr(layer, name)
        if not isinstance(value, np.ndarray):
            raise TypeError(
                f"{where}: {label}.{name} must be a numpy array of shape {shape} and "
                f"dtype {layer.dtype}; got {describe(value)}."
            )
        if value.shape != shape:
            raise ValueError(
                f"{where}: {label}.{name} must have shape {shape} (the layer is "
                f"Dense({layer.n_in}, {layer.n_out})); got shape {value.shape}."
            )
        if value.dtype != layer.dtype:
            raise TypeError(
                f"{where}: {label}.{name} has dtype {value.dtype}, but the layer computes "
                f"in {layer.dtype}; assign {name}.astype(np.{layer.dtype}) instead."
            )
        if not np.isfinite(value).all():
            raise ValueError(f"{where}: {label}.{name} contains NaN or inf.")
        if writable and not value.flags.writeable:
            raise ValueError(
                f"{where}: {label}.{name} is read-only (flags.writeable is False), so "
                f"gradient descent cannot update it in place; assign a writable copy, "
                f"{label}.{name} = {label}.{name}.copy()."
            )


def check_layer_arrays(W, b, where: str) -> tuple[np.ndarray, np.ndarray, np.dtype]:
    """``(W, b, dtype)`` of :meth:`Dense.from_arrays <backprop_lib.Dense.from_arrays>`
    checked: ``W`` a finite 2-D real array ``(n_in, n_out)``, ``b`` a finite real array
    ``(n_out,)``; ``dtype`` is ``W``'s if it is float32 or float64, else float64. Copies
    nothing."""
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


def check_finite_updates(layers, updates, lr: float, where: str) -> None:
    """``FloatingPointError`` if subtracting ``updates`` (``[(W^1, η dW^1), (b^1, η db^1),
    ...]``, from :meth:`Network._updates <backprop_lib.Network._updates>`) would make a
    layer's ``W`` or ``b`` NaN or inf; computes the new values, changes nothing."""
    with np.errstate(all="ignore"):
        for i in range(len(layers)):
            (W, dW), (b, db) = updates[2 * i], updates[2 * i + 1]
            if not (np.isfinite(W - dW).all() and np.isfinite(b - db).all()):
                raise FloatingPointError(
                    f"{where}: the step with lr = {lr} would make layers[{i}].W or "
                    f".b NaN or inf (the gradients or the learning rate are too large); "
                    f"nothing was changed. Use a smaller lr."
                )


def check_layers(layers, where: str = "Network") -> list:
    """``layers`` (one Dense or a non-empty sequence of them) as a list, after checking that
    consecutive sizes chain, all share one dtype and no layer appears twice."""
    from collections.abc import Sequence

    from .layers import Dense

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


def check_network_sizes(sizes, activations, where: str) -> tuple[list[int], list]:
    """``sizes = [n_0, ..., n_L]`` as ints and ``activations`` (one name or one per layer)
    as ``L`` Activation objects, or the error naming what is wrong."""
    from collections.abc import Sequence

    from .activations import get_activation

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


def check_stored_gradients(layers, where: str) -> None:
    """Raise unless every layer holds writable, finite parameters and the ``dW``, ``db`` of
    a backward pass, of the parameters' shapes (what a gradient step needs)."""
    for i, layer in enumerate(layers):
        check_layer_parameters(layer, where, f"layers[{i}]", writable=True)
        for name, shape in (("dW", layer.W.shape), ("db", layer.b.shape)):
            gradient = getattr(layer, name)
            if gradient is None:
                raise RuntimeError(
                    f"{where}: layers[{i}] has no stored gradients; call "
                    f"backward(X, T) before step(lr)."
                )
            if not isinstance(gradient, np.ndarray) or gradient.shape != shape:
                raise ValueError(
                    f"{where}: layers[{i}].{name} must be an array of shape {shape} "
                    f"(from backward(X, T)); got {describe(gradient)}."
                )


# -- Network.fit ---------------------------------------------------------------------------


def check_bool(value, name: str, where: str) -> bool:
    """Return ``value`` as a Python ``bool`` if it is ``True`` or ``False`` (or a numpy
    bool); anything else (``1``, ``"yes"``, ``None``) is a ``TypeError``."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{where}: {name} must be True or False; got {describe(value)}.")


def check_callback(callback, where: str) -> None:
    """``TypeError`` unless ``callback`` is None or callable as ``callback(net, history)``
    (checked on its signature, before any training)."""
    if callback is None:
        return
    message = (
        f"{where}: callback must be callable as callback(net, history) or None; got "
        f"{describe(callback)}"
    )
    if not callable(callback):
        raise TypeError(message + ".")
    try:
        signature = inspect.signature(callback)
    except (TypeError, ValueError):  # a builtin without a signature: cannot tell, accept
        return
    try:
        signature.bind(None, None)
    except TypeError as error:
        raise TypeError(f"{message}, whose signature is {signature} ({error}).") from None


def check_fit_arguments(
    net, X, T, epochs, lr, batch_size, rng, callback, validation_data, evaluate
):
    r"""Every argument of :meth:`Network.fit` checked, in this order, before anything changes:
    the data (and every layer's parameters, writable), ``epochs``, ``lr``, ``batch_size``,
    ``callback``, ``validation_data``, ``evaluate``, and ``rng`` last (an int seed becomes a
    Generator; a Generator is not advanced).

    Returns ``(X, T, epochs, lr, batch_size, rng, validation, evaluate)`` with ``X`` ``(N,
    n_0)`` and ``T`` ``(N, n_L)`` in the network's dtype and ``validation`` either None or
    ``(X_val, T_val)`` converted the same way.
    """
    where = "Network.fit"
    X, T = net._check_data(X, T, where)
    for i, layer in enumerate(net.layers):
        layer.check_parameters(where, f"layers[{i}]", writable=True)
    epochs = check_positive_int(epochs, "epochs", where)
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
        X_val = net._check_X(validation_data[0], where, "X_val")
        validation = (X_val, net._check_T(validation_data[1], X_val, where, "T_val"))
    evaluate = check_bool(evaluate, "evaluate", where)
    rng = as_generator(rng, "rng", where)
    return X, T, epochs, lr, batch_size, rng, validation, evaluate
