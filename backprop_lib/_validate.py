r"""Argument checks shared by the library: domain-free, a leaf of the import graph.

Every check raises a ``ValueError`` or ``TypeError`` whose message names the function, the
argument, what was given and what is valid, e.g.::

    Network.fit: lr must be a positive finite number; got -0.1.

This module knows numbers, arrays, names, Generators and callables, nothing of layers or
networks: it imports numpy and the standard library only. The checks of a layer live in
``layers.py`` (:meth:`Dense.check_arguments <backprop_lib.Dense.check_arguments>`,
:meth:`Dense.check_parameters <backprop_lib.Dense.check_parameters>`), those of a network
in ``network.py`` and those of ``fit`` in ``training.py``, beside the code they guard.

The checks run once per public call, before anything is modified, so a refused call leaves
every network and layer exactly as it was. Internal hot loops (``fit``) validate their data
once and then skip these checks.
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
        value = float(value)
    except OverflowError:  # an int (or Fraction) beyond float's range, e.g. 10**400
        raise ValueError(
            f"{where}: {name} must be a positive finite number; got {describe(value)}, "
            f"beyond the largest float ({np.finfo(np.float64).max:.4g})."
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


def first_nonfinite(value) -> tuple[object, list[int]] | None:
    """The first NaN or inf entry of ``value`` (a number or an array) and its index
    (``[]`` for a number), or ``None`` if every entry is finite: the one finiteness test of
    the library, which :func:`require_finite` and :func:`check_finite` phrase as errors.

    Cheap when everything is finite: one sum (a NaN or inf entry makes the sum NaN or inf;
    only a sum that is not finite, which finite entries whose sum overflows also give, is
    followed by an entry-by-entry search). Integer and boolean data are always finite.
    Never emits a numpy warning.
    """
    array = np.asarray(value)
    if array.dtype.kind not in "fc":
        return None
    with np.errstate(all="ignore"):
        if np.isfinite(array.sum()):
            return None
    finite = np.isfinite(array)
    if finite.all():
        return None
    at = [int(i) for i in np.argwhere(~finite)[0]] if array.ndim else []
    return array[tuple(at)], at


def require_finite(
    value, what: str, where: str, why="", error: type[Exception] = FloatingPointError
) -> None:
    r"""Raise ``error`` if ``value`` (a number or an array) holds a NaN or an inf: a
    computed value that overflowed.

    The message is ``f"{where}: {what} is {found}{why}"``, where ``found`` is the value (a
    number) or the first NaN or inf entry and its index (``nan at index [2, 1]``). ``why``
    is a string, or a function returning one (for a message costly to build: called only on
    failure).
    """
    bad = first_nonfinite(value)
    if bad is None:
        return
    entry, at = bad
    found = f"{entry} at index {at}" if at else f"{entry}"
    raise error(f"{where}: {what} is {found}{why() if callable(why) else why}")


def check_finite(array, name: str, where: str) -> None:
    """``ValueError`` naming the first NaN or inf entry of the argument ``array``, if it
    has one: ``f"{where}: {name} must be finite; got nan at {name}[2, 1]."``."""
    bad = first_nonfinite(array)
    if bad is not None:
        entry, at = bad
        raise ValueError(f"{where}: {name} must be finite; got {entry} at {name}{at}.")


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
    check_finite(array, name, where)
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


# -- flags and callables ------------------------------------------------------------------


def check_bool(value, name: str, where: str) -> bool:
    """Return ``value`` as a Python ``bool`` if it is ``True`` or ``False`` (or a numpy
    bool); anything else (``1``, ``"yes"``, ``None``) is a ``TypeError``."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{where}: {name} must be True or False; got {describe(value)}.")


def check_callback(callback, where: str) -> None:
    """``TypeError`` unless ``callback`` is None or callable as ``callback(net, history)``,
    checked on its signature before any training. A callable whose signature cannot be read
    (a class such as ``dict``, some builtins) is refused too: it could only be tried, and
    trying it would mean training an epoch first."""
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
    except (TypeError, ValueError):  # no signature (dict, max): cannot tell, so refuse
        raise TypeError(
            f"{message}, whose signature cannot be read, so whether it accepts (net, history) "
            f"is unknown; pass a function, e.g. callback=lambda net, history: ..."
        ) from None
    try:
        signature.bind(None, None)
    except TypeError as error:
        raise TypeError(f"{message}, whose signature is {signature} ({error}).") from None
