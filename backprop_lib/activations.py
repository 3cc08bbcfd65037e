r"""Activation functions :math:`o = f(s)`, each with its derivative right below it.

Every activation acts on a batch of pre-activations ``s`` of shape ``(B, n)``, one row per
sample, and has

- ``forward(s) -> o``, the outputs :math:`o = f(s)`, shape ``(B, n)``;
- ``derivative(s) -> f'(s)``, shape ``(B, n)``, for the elementwise activations (all but
  softmax), where :math:`\partial o_i / \partial s_j = 0` for :math:`i \ne j`;
- ``jacobian(s)``, the full Jacobian :math:`J_{ij} = \partial o_i / \partial s_j` of each row,
  shape ``(B, n, n)``;
- ``backward(s, o, grad_o) -> delta``, the vector-Jacobian product
  :math:`\delta_j = \sum_i (\partial E / \partial o_i)\, \partial o_i / \partial s_j`, which
  for an elementwise activation is :math:`\partial E / \partial o \odot f'(s)`. It receives the
  ``s`` and ``o`` of the forward pass; the sigmoid and tanh compute :math:`f'` from ``s``
  (exact where the unit saturates, where the textbook :math:`o(1 - o)` and :math:`1 - o^2`
  lose every digit), softmax uses ``o``;
- ``elementwise`` and ``output_range`` (the interval the outputs lie in, used to decide which
  losses may follow).

These public calls check their arguments (real, non-empty, finite, one shape) and then run the
maths, which each activation writes in three methods without checks: ``f(s)`` (``forward``),
``f_prime(s)`` (``derivative``) and ``delta(s, o, grad_o)`` (``backward``). Layers and pairs,
which pass arrays a :class:`~backprop_lib.Network` has checked, call those: inside a network a
non-finite ``s`` is an overflow, which the network reports itself (``FloatingPointError``, and
the divergence guard of ``fit``), not a bad argument.

Look activations up by name with :func:`get_activation`; :data:`ACTIVATION_NAMES` lists the
names.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._validate import as_float_array, check_finite, describe, lookup


def _checked(s, where: str, name: str = "s") -> np.ndarray:
    """``s`` as a non-empty real array with at least one axis and only finite entries, else
    the error naming ``name``. A float array is returned as it is (after one finiteness
    sum); anything else (lists, integers, bools) is converted to float64 before any
    arithmetic."""
    if type(s) is np.ndarray and s.size and s.ndim and s.dtype.kind == "f":
        check_finite(s, name, where)
        return s
    array = as_float_array(s, name, where, "(batch, n)")
    if array.ndim == 0:
        raise ValueError(
            f"{where}: {name} must be an array of shape (batch, n) or (n,); got a scalar, "
            f"{describe(s)}."
        )
    return array


def _checked_backward(s, o, grad_o, where: str) -> tuple[np.ndarray, ...]:
    """``s``, ``o`` and ``grad_o`` as non-empty finite arrays of one shape (nothing
    broadcast), else the error naming them."""
    s, o, grad_o = (_checked(a, where, n) for a, n in ((s, "s"), (o, "o"), (grad_o, "grad_o")))
    if not s.shape == o.shape == grad_o.shape:
        raise ValueError(
            f"{where}: s, o and grad_o must have one shape (batch, n), the same for all "
            f"three (nothing is broadcast); got s.shape = {s.shape}, o.shape = {o.shape} "
            f"and grad_o.shape = {grad_o.shape}."
        )
    return s, o, grad_o


@dataclass(frozen=True)
class Interval:
    r"""A real interval, e.g. ``Interval(0, 1, False, False)`` is :math:`(0, 1)`."""

    low: float
    high: float
    low_closed: bool
    high_closed: bool

    def __str__(self) -> str:
        def number(x: float) -> str:
            return {np.inf: "inf", -np.inf: "-inf"}.get(x, f"{x:g}")

        left = "[" if self.low_closed else "("
        right = "]" if self.high_closed else ")"
        return f"{left}{number(self.low)}, {number(self.high)}{right}"

    def contains(self, other: Interval) -> bool:
        """Whether every point of ``other`` lies in this interval."""
        return not (self.sticks_out_below(other) or self.sticks_out_above(other))

    def sticks_out_below(self, other: Interval) -> bool:
        """Whether ``other`` has points below this interval."""
        return other.low < self.low or (
            other.low == self.low and other.low_closed and not self.low_closed
        )

    def sticks_out_above(self, other: Interval) -> bool:
        """Whether ``other`` has points above this interval."""
        return other.high > self.high or (
            other.high == self.high and other.high_closed and not self.high_closed
        )


class Activation(ABC):
    r"""An activation :math:`o = f(s)` applied to a batch ``s`` of shape ``(B, n)``."""

    #: The registry name, e.g. ``"sigmoid"``.
    name: str
    #: True when :math:`o_i` depends on :math:`s_i` only.
    elementwise: bool = True
    #: The interval the outputs lie in.
    output_range: Interval

    # -- the maths, on checked arrays: what layers and pairs call -----------------------

    @abstractmethod
    def f(self, s: np.ndarray) -> np.ndarray:
        r""":math:`o = f(s)`, shape of ``s``, for a finite float array ``s`` (no checks)."""

    @abstractmethod
    def f_prime(self, s: np.ndarray) -> np.ndarray:
        r""":math:`f'(s)`, shape of ``s`` (elementwise activations only; no checks)."""

    @abstractmethod
    def delta(self, s: np.ndarray, o: np.ndarray, grad_o: np.ndarray) -> np.ndarray:
        r""":math:`\delta = \partial E/\partial s`, shape ``(B, n)``, from
        :math:`\partial E/\partial o` and the forward pass's ``s`` and ``o`` (no checks)."""

    # -- the public calls: the arguments checked, then the maths ------------------------

    def forward(self, s: ArrayLike) -> np.ndarray:
        r""":math:`o = f(s)` (:meth:`f`), shape of ``s``, after checking that ``s`` is a
        non-empty array of finite real numbers."""
        return self.f(_checked(s, f"{type(self).__name__}.forward"))

    def derivative(self, s: ArrayLike) -> np.ndarray:
        r""":math:`f'(s)` (:meth:`f_prime`), shape of ``s``, after checking ``s`` as
        :meth:`forward` does (elementwise activations only)."""
        return self.f_prime(_checked(s, f"{type(self).__name__}.derivative"))

    def backward(self, s: ArrayLike, o: ArrayLike, grad_o: ArrayLike) -> np.ndarray:
        r""":math:`\delta = \partial E/\partial s` (:meth:`delta`), shape ``(B, n)``, after
        checking that ``s``, ``o`` and :math:`\partial E/\partial o` ``grad_o`` are finite
        arrays of one shape."""
        s, o, grad_o = _checked_backward(s, o, grad_o, f"{type(self).__name__}.backward")
        return self.delta(s, o, grad_o)

    def jacobian(self, s: ArrayLike) -> np.ndarray:
        r"""The Jacobian :math:`J_{ij} = \partial o_i / \partial s_j` of every row.

        For an elementwise activation it is diagonal: :math:`J = \operatorname{diag} f'(s)`.

        ``s`` of shape ``(B, n)`` gives ``(B, n, n)``; one row ``(n,)`` gives ``(n, n)``.
        """
        d = self.f_prime(_checked(s, f"{type(self).__name__}.jacobian"))
        return d[..., :, None] * np.eye(d.shape[-1], dtype=d.dtype)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Sigmoid(Activation):
    r"""The logistic sigmoid :math:`\sigma(s) = 1 / (1 + e^{-s})`, outputs in :math:`(0, 1)`."""

    name = "sigmoid"
    output_range = Interval(0.0, 1.0, False, False)

    def f(self, s: np.ndarray) -> np.ndarray:
        r""":math:`o = \sigma(s) = \dfrac{1}{1 + e^{-s}} = \dfrac{e^{s}}{1 + e^{s}}`.

        Stable for every ``s``: with :math:`e = e^{-|s|} \in (0, 1]` (never overflows),
        :math:`\sigma(s) = 1/(1 + e)` for :math:`s \ge 0` and :math:`e/(1 + e)` for
        :math:`s < 0`. Both forms are accurate to a few units in the last place; the naive
        ``1 / (1 + np.exp(-s))`` overflows (with a warning) for :math:`s < -709`.
        """
        with np.errstate(all="ignore"):  # exp underflows to 0 for s < -745: the right value
            e = np.exp(-np.abs(s))
            return np.where(s >= 0, 1.0, e) / (1.0 + e)  # eq:ff-sigmoid

    def f_prime(self, s: np.ndarray) -> np.ndarray:
        r""":math:`\sigma'(s) = \sigma(s)\,(1 - \sigma(s)) = \dfrac{e}{(1 + e)^2}`,
        :math:`e = e^{-|s|}` (the same for :math:`s` and :math:`-s`; accurate for every ``s``).
        """
        with np.errstate(all="ignore"):  # underflow to 0 is the right value
            e = np.exp(-np.abs(s))
            return e / (1.0 + e) ** 2

    def delta(self, s: np.ndarray, o: np.ndarray, grad_o: np.ndarray) -> np.ndarray:
        r""":math:`\delta = \dfrac{\partial E}{\partial o} \odot \sigma'(s)`, with
        :math:`\sigma'(s) = \dfrac{e}{(1 + e)^2}`, :math:`e = e^{-|s|}`, as :meth:`derivative`.

        Mathematically :math:`\sigma'(s) = o(1 - o)`, the textbook form, but in floating point
        :math:`1 - o` loses every digit where the unit saturates (:math:`o` rounds towards 1
        for large positive :math:`s`: relative error :math:`10^{-3}` at :math:`s = 30`, and 0
        instead of :math:`10^{-16}` from :math:`s \approx 37`). Computed from ``s`` it is
        accurate to a few units in the last place for every ``s``; ``o`` is not used.
        """
        with np.errstate(all="ignore"):  # underflow to 0 is the right value
            e = np.exp(-np.abs(s))
            return grad_o * (e / (1.0 + e) ** 2)  # eq:pairs-elementwise, f' = sigma'(s)


class Tanh(Activation):
    r"""The hyperbolic tangent :math:`\tanh(s)`, outputs in :math:`(-1, 1)`."""

    name = "tanh"
    output_range = Interval(-1.0, 1.0, False, False)

    def f(self, s: np.ndarray) -> np.ndarray:
        r""":math:`o = \tanh(s) = \dfrac{e^{s} - e^{-s}}{e^{s} + e^{-s}}` (numpy's, stable)."""
        return np.tanh(s)

    def f_prime(self, s: np.ndarray) -> np.ndarray:
        r""":math:`\tanh'(s) = 1 - \tanh^2(s) = \operatorname{sech}^2(s)
        = \left(\dfrac{2e}{1 + e^2}\right)^2`, :math:`e = e^{-|s|}` (accurate for every ``s``).
        """
        with np.errstate(all="ignore"):  # underflow to 0 is the right value
            e = np.exp(-np.abs(s))
            return (2.0 * e / (1.0 + e * e)) ** 2

    def delta(self, s: np.ndarray, o: np.ndarray, grad_o: np.ndarray) -> np.ndarray:
        r""":math:`\delta = \dfrac{\partial E}{\partial o} \odot \operatorname{sech}^2(s)`,
        with :math:`\operatorname{sech}^2(s) = (2e / (1 + e^2))^2`, :math:`e = e^{-|s|}`, as
        :meth:`derivative`.

        Mathematically :math:`\tanh'(s) = 1 - o^2`, the textbook form, but in floating point
        :math:`1 - o^2` loses every digit where the unit saturates (:math:`o` rounds towards
        :math:`\pm 1`: relative error :math:`2 \cdot 10^{-6}` at :math:`|s| = 13.6`, and 0
        instead of :math:`1.7 \cdot 10^{-17}` at :math:`|s| = 20`). Computed from ``s`` it is
        accurate to a few units in the last place for every ``s``; ``o`` is not used.
        """
        with np.errstate(all="ignore"):  # underflow to 0 is the right value
            e = np.exp(-np.abs(s))
            return grad_o * (2.0 * e / (1.0 + e * e)) ** 2  # eq:pairs-elementwise, sech^2(s)


class ReLU(Activation):
    r"""The rectified linear unit :math:`\max(0, s)`, outputs in :math:`[0, \infty)`."""

    name = "relu"
    output_range = Interval(0.0, np.inf, True, False)

    def f(self, s: np.ndarray) -> np.ndarray:
        r""":math:`o = \max(0, s)`."""
        return np.maximum(s, 0.0)

    def f_prime(self, s: np.ndarray) -> np.ndarray:
        r""":math:`f'(s) = 1` for :math:`s > 0`, else 0. At the kink :math:`s = 0` the
        derivative does not exist; the library uses 0 there."""
        return (s > 0).astype(s.dtype if s.dtype.kind == "f" else np.float64)

    def delta(self, s: np.ndarray, o: np.ndarray, grad_o: np.ndarray) -> np.ndarray:
        r""":math:`\delta = \dfrac{\partial E}{\partial o} \odot [s > 0]`."""
        return np.where(s > 0, grad_o, 0.0)  # eq:pairs-elementwise, f' = [s > 0]


class Linear(Activation):
    r"""The identity :math:`f(s) = s`, outputs in :math:`(-\infty, \infty)`."""

    name = "linear"
    output_range = Interval(-np.inf, np.inf, False, False)

    def f(self, s: np.ndarray) -> np.ndarray:
        r""":math:`o = s` (the same array: nothing to compute)."""
        return s

    def f_prime(self, s: np.ndarray) -> np.ndarray:
        r""":math:`f'(s) = 1`."""
        return np.ones_like(s, dtype=s.dtype if s.dtype.kind == "f" else np.float64)

    def delta(self, s: np.ndarray, o: np.ndarray, grad_o: np.ndarray) -> np.ndarray:
        r""":math:`\delta = \partial E / \partial o`."""
        return grad_o


class Softplus(Activation):
    r"""The softplus :math:`\ln(1 + e^{s})`, a smooth ReLU, outputs in :math:`(0, \infty)`."""

    name = "softplus"
    output_range = Interval(0.0, np.inf, False, False)

    def f(self, s: np.ndarray) -> np.ndarray:
        r""":math:`o = \ln(1 + e^{s})`, computed as ``np.logaddexp(0, s)``: stable for every
        ``s`` (the naive ``np.log(1 + np.exp(s))`` overflows for :math:`s > 709` and loses
        every digit for :math:`s < -37`). The output underflows to 0 for :math:`s < -745`."""
        with np.errstate(all="ignore"):  # underflow to 0 for s < -745 is the right value
            return np.logaddexp(0.0, s)

    def f_prime(self, s: np.ndarray) -> np.ndarray:
        r""":math:`f'(s) = \sigma(s) = \dfrac{1}{1 + e^{-s}}`, from ``s`` (the stable sigmoid)."""
        return _SIGMOID.f(s)

    def delta(self, s: np.ndarray, o: np.ndarray, grad_o: np.ndarray) -> np.ndarray:
        r""":math:`\delta = \dfrac{\partial E}{\partial o} \odot \sigma(s)`.

        Mathematically :math:`f' = 1 - e^{-o}`, but where :math:`o` is tiny that loses its
        digits (and is 0 where :math:`o` underflowed); computed from ``s`` it is accurate for
        every ``s``."""
        return grad_o * _SIGMOID.f(s)  # eq:pairs-elementwise, f' = sigma(s)


class Softmax(Activation):
    r"""The softmax of each row, :math:`o_i = e^{s_i} / \sum_k e^{s_k}`.

    Outputs lie in :math:`(0, 1)` and each row sums to 1. It is not elementwise: every
    :math:`o_i` depends on the whole row, so it has a full Jacobian and no ``derivative``.
    """

    name = "softmax"
    elementwise = False
    output_range = Interval(0.0, 1.0, False, False)

    def f(self, s: np.ndarray) -> np.ndarray:
        r""":math:`o_i = \dfrac{e^{s_i}}{\sum_k e^{s_k}}
        = \dfrac{e^{s_i - m}}{\sum_k e^{s_k - m}}`, :math:`m = \max_k s_k`, for each row.

        Subtracting the row maximum changes nothing mathematically, but every exponent is then
        :math:`\le 0`: no overflow, and the largest term is exactly 1, so the sum is
        :math:`\ge 1`.
        """
        # s - max overflowing to -inf (float16 [6e4, -6e4]) and exp underflowing give 0, the
        # right value: no warning for them
        with np.errstate(all="ignore"):
            e = np.exp(s - s.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)  # eq:ff-softmax, shifted (eq:ff-shift)

    def f_prime(self, s: np.ndarray) -> np.ndarray:
        """Softmax has no elementwise derivative: refused with the alternatives."""
        raise TypeError(
            "Softmax.derivative: softmax is not elementwise (each output depends on the whole "
            "row), so it has no elementwise derivative f'(s). Use jacobian(s), shape "
            "(B, n, n), or backward(s, o, grad_o), the vector-Jacobian product."
        )

    def jacobian(self, s: ArrayLike) -> np.ndarray:
        r""":math:`J_{ij} = \partial o_i / \partial s_j = o_i (\mathbb{1}[i = j] - o_j)`,
        i.e. :math:`J = \operatorname{diag}(o) - o\,o^\top` for each row.

        ``s`` of shape ``(B, n)`` gives ``(B, n, n)``; one row ``(n,)`` gives ``(n, n)``.
        """
        s = _checked(s, "Softmax.jacobian")
        o = self.f(s)
        column = o[..., :, None]
        with np.errstate(all="ignore"):  # products of tiny outputs underflow to 0
            # eq:pairs-softmax-jacobian: J = diag(o) - o^T o, row by row
            return column * np.eye(o.shape[-1], dtype=o.dtype) - column * o[..., None, :]

    def delta(self, s: np.ndarray, o: np.ndarray, grad_o: np.ndarray) -> np.ndarray:
        r""":math:`\delta_j = \sum_i \dfrac{\partial E}{\partial o_i} J_{ij}
        = o_j \left(\dfrac{\partial E}{\partial o_j}
        - \sum_i \dfrac{\partial E}{\partial o_i} o_i\right)`, for each row.

        The vector-Jacobian product :math:`\partial E/\partial o \cdot J` without building
        the ``(B, n, n)`` Jacobian. With :math:`g = \partial E/\partial o` and :math:`m` the
        row's largest output, the mean :math:`\bar g = \sum_i g_i o_i` is computed as
        :math:`g_m + r`, :math:`r = \sum_{i \ne m} o_i (g_i - g_m)` (using
        :math:`\sum_i o_i = 1`), and :math:`g_j - \bar g` as :math:`(g_j - g_m) - r`: where
        the softmax saturates (:math:`o_m \approx 1`), :math:`g_m - \bar g = -r` keeps its
        digits, which :math:`g_m - \sum_i g_i o_i` would lose to cancellation.
        """
        m = np.argmax(o, axis=-1)[..., None]
        g_m = np.take_along_axis(grad_o, m, axis=-1)
        with np.errstate(all="ignore"):  # products of tiny outputs underflow to 0
            spread = grad_o - g_m  # g_i - g_m, 0 at i = m
            r = np.sum(o * spread, axis=-1, keepdims=True)  # the i = m term is 0
            return o * (spread - r)  # eq:pairs-chain: o_j (g_j - sum_i g_i o_i)


_SIGMOID = Sigmoid()  # softplus' derivative

#: The activations by name, one shared (stateless) instance each.
ACTIVATIONS: dict[str, Activation] = {
    a.name: a for a in (Sigmoid(), Tanh(), ReLU(), Linear(), Softplus(), Softmax())
}
#: The valid activation names, for widgets and error messages.
ACTIVATION_NAMES: tuple[str, ...] = tuple(ACTIVATIONS)


def get_activation(name_or_object: str | Activation) -> Activation:
    r"""The activation called ``name_or_object`` (e.g. ``"sigmoid"``), or the object itself
    if it already is an :class:`Activation`.

    Raises ``ValueError`` for an unknown name (listing the valid ones) and ``TypeError`` for
    anything else.
    """
    return lookup(name_or_object, ACTIVATIONS, Activation, "activation")
