r"""Losses :math:`E(o, t)`, each with its gradient right below it.

Every loss is the **mean over the batch of a per-sample sum over the output units**:

.. math:: E = \frac{1}{B} \sum_{n=1}^{B} \sum_{k=1}^{n_L} e(o_{nk}, t_{nk}),

with ``o`` and ``t`` of shape ``(B, n_L)``, one row per sample.

- ``value(o, t) -> float`` is :math:`E`;
- ``gradient(o, t) -> dE/do``, shape ``(B, n_L)``, is :math:`\partial E / \partial o`; it
  includes the :math:`1/B` of the batch mean;
- ``check_targets(t)`` refuses targets the loss is not meant for;
- ``domain`` is the interval the outputs must lie in for :math:`E` to be defined.

On its own a loss sees only the outputs ``o``. Inside a :class:`~backprop_lib.Network`, the
cross-entropies are computed from the pre-activations ``s`` instead (see
:mod:`backprop_lib.pairs`), which stays finite where :math:`\ln o` of a rounded ``o`` would not.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from ._validate import as_real_array, check_finite, lookup, require_finite
from .activations import Interval


def _pair(o, t, where: str) -> tuple[np.ndarray, np.ndarray]:
    """``o`` and ``t`` as non-empty 2-D arrays of one shape (nothing broadcast), else the
    error naming them; cheap when they already are, as inside a Network."""
    if not (
        type(o) is np.ndarray
        and type(t) is np.ndarray
        and o.ndim == 2
        and o.shape == t.shape
        and o.size
        and o.dtype.kind == t.dtype.kind == "f"
    ):
        o = as_real_array(o, "o", where, "(batch, n_L)")
        t = as_real_array(t, "t", where, "(batch, n_L)")
        if o.ndim != 2 or o.shape != t.shape:
            raise ValueError(
                f"{where}: o and t must be 2-D arrays of the same shape (batch, n_L); got "
                f"o.shape = {o.shape} and t.shape = {t.shape}."
            )
    return o, t


def _finite(E, where: str) -> float:
    """``E`` as a Python float, or ``FloatingPointError`` if it overflowed (never a numpy
    warning: the callers compute under ``np.errstate(all="ignore")``)."""
    require_finite(
        E,
        "E",
        where,
        ": the loss overflows the dtype for these outputs (|o - t| too large, e.g. beyond "
        "1.3e154 in float64 or 1.8e19 in float32 for a squared error).",
    )
    return float(E)


class Loss(ABC):
    r"""A loss :math:`E = \frac{1}{B}\sum_n \sum_k e(o_{nk}, t_{nk})`."""

    #: The registry name, e.g. ``"cross_entropy"``.
    name: str
    #: The outputs for which :math:`E` is defined.
    domain: Interval = Interval(-np.inf, np.inf, False, False)
    #: Why the domain is what it is (used in error messages).
    domain_reason: str = ""

    @abstractmethod
    def value(self, o: np.ndarray, t: np.ndarray) -> float:
        r""":math:`E`, a Python float."""

    @abstractmethod
    def gradient(self, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        r""":math:`\partial E / \partial o`, shape ``(B, n_L)``, including the :math:`1/B`."""

    def check_targets(self, t: np.ndarray, name: str = "t", where: str = "check_targets") -> None:
        """Raise ``ValueError`` if ``t`` holds targets this loss is not meant for.

        The base rule asks for a non-empty 2-D array ``(B, n_L)`` of finite real numbers;
        any such targets will do. Returns nothing; subclasses add their own rules.
        """
        t = as_real_array(t, name, where, "(batch, n_L)")
        if t.ndim != 2:
            raise ValueError(
                f"{where}: {name} must be a 2-D array (batch, n_L); got shape {t.shape}."
            )
        check_finite(t, name, where)

    def _check_domain(self, o: np.ndarray, where: str) -> None:
        """Raise ``ValueError`` naming the smallest or largest output outside :attr:`domain`."""
        if not o.size:
            return
        for label, value, outside in (
            ("min", o.min(), self.domain.sticks_out_below),
            ("max", o.max(), self.domain.sticks_out_above),
        ):
            if outside(Interval(value, value, True, True)):
                raise ValueError(
                    f"{where}: {self.name} {self.domain_reason} and needs every output in "
                    f"{self.domain}; got {label}(o) = {value:.6g}. Inside a Network the loss "
                    f"is computed from the pre-activations s, which avoids rounded outputs."
                )

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SquaredError(Loss):
    r"""Half the squared error,
    :math:`E = \frac{1}{B}\sum_n \sum_k \tfrac12 (o_{nk} - t_{nk})^2`."""

    name = "squared_error"

    def value(self, o, t):
        r""":math:`E = \dfrac{1}{B} \sum_n \sum_k \tfrac12 (o_{nk} - t_{nk})^2`."""
        o, t = _pair(o, t, "SquaredError.value")
        with np.errstate(all="ignore"):
            E = 0.5 * np.sum((o - t) ** 2) / len(o)  # eq:ll-loss
            return _finite(E, "SquaredError.value")

    def gradient(self, o, t):
        r""":math:`\dfrac{\partial E}{\partial o_{nk}} = \dfrac{o_{nk} - t_{nk}}{B}`."""
        o, t = _pair(o, t, "SquaredError.gradient")
        return (o - t) / len(o)  # eq:ll-half-se, before the f'(s)


class SumSquaredError(Loss):
    r"""The squared error without the half,
    :math:`E = \frac{1}{B}\sum_n \sum_k (t_{nk} - o_{nk})^2`.

    Per sample this is :math:`\lVert t - o \rVert^2`, the loss of *Backpropagation and
    Learning*, whose output derivative is :math:`-2(t - o)` (:math:`S = -2Ae` there).
    """

    name = "sum_squared_error"

    def value(self, o, t):
        r""":math:`E = \dfrac{1}{B} \sum_n \sum_k (t_{nk} - o_{nk})^2`."""
        o, t = _pair(o, t, "SumSquaredError.value")
        with np.errstate(all="ignore"):
            E = np.sum((t - o) ** 2) / len(o)  # eq:ll-loss
            return _finite(E, "SumSquaredError.value")

    def gradient(self, o, t):
        r""":math:`\dfrac{\partial E}{\partial o_{nk}} = \dfrac{-2 (t_{nk} - o_{nk})}{B}`."""
        o, t = _pair(o, t, "SumSquaredError.gradient")
        return -2.0 * (t - o) / len(o)  # eq:ll-sse, before the f'(s)


class BinaryCrossEntropy(Loss):
    r"""The binary cross-entropy of independent outputs,
    :math:`E = -\frac{1}{B}\sum_n \sum_k [t_{nk} \ln o_{nk} + (1 - t_{nk}) \ln(1 - o_{nk})]`.

    Defined for outputs in :math:`(0, 1)` and targets in :math:`[0, 1]`. After a sigmoid
    or a softmax, a :class:`~backprop_lib.Network` computes this :math:`E` from :math:`s`
    instead (:class:`~backprop_lib.pairs.SigmoidBinaryCrossEntropy`,
    :class:`~backprop_lib.pairs.SoftmaxBinaryCrossEntropy`): the same value, finite where
    :math:`o` rounds to 0 or 1.
    """

    name = "binary_cross_entropy"
    domain = Interval(0.0, 1.0, False, False)
    domain_reason = "takes ln(o) and ln(1 - o)"

    def value(self, o, t):
        r""":math:`E = -\dfrac{1}{B} \sum_n \sum_k [t \ln o + (1 - t) \ln(1 - o)]`."""
        o, t = _pair(o, t, "BinaryCrossEntropy.value")
        self._check_domain(o, "BinaryCrossEntropy.value")
        with np.errstate(all="ignore"):
            E = -np.sum(t * np.log(o) + (1.0 - t) * np.log1p(-o)) / len(o)  # eq:ll-loss
        return _finite(E, "BinaryCrossEntropy.value")

    def gradient(self, o, t):
        r""":math:`\dfrac{\partial E}{\partial o_{nk}}
        = \dfrac{1}{B}\left(-\dfrac{t}{o} + \dfrac{1 - t}{1 - o}\right)
        = \dfrac{o - t}{B\, o\,(1 - o)}`."""
        o, t = _pair(o, t, "BinaryCrossEntropy.gradient")
        self._check_domain(o, "BinaryCrossEntropy.gradient")
        return (o - t) / (o * (1.0 - o)) / len(o)  # eq:pairs-bce-derivative

    def check_targets(self, t, name="t", where="check_targets"):
        r"""Targets must lie in :math:`[0, 1]`."""
        super().check_targets(t, name, where)
        t = np.asarray(t)
        outside = (t < 0) | (t > 1)
        if outside.any():
            row, col = np.argwhere(outside)[0]
            raise ValueError(
                f"{where}: {name} must lie in [0, 1] for binary_cross_entropy; got "
                f"{t[row, col]} at {name}[{row}, {col}]."
            )


class CrossEntropy(Loss):
    r"""The (multinomial) cross-entropy, :math:`E = -\frac{1}{B}\sum_n \sum_k t_{nk} \ln o_{nk}`.

    Defined for outputs :math:`o > 0`; each target row must be a probability vector
    (entries :math:`\ge 0` summing to 1), e.g. one-hot. After a softmax or a sigmoid, a
    :class:`~backprop_lib.Network` computes this :math:`E` from :math:`s` instead
    (:class:`~backprop_lib.pairs.SoftmaxCrossEntropy`, with
    :math:`\ln o_k = s_k - \operatorname{lse}(s)`;
    :class:`~backprop_lib.pairs.SigmoidCrossEntropy`): the same value, finite where
    :math:`o` rounds to 0.
    """

    name = "cross_entropy"
    domain = Interval(0.0, np.inf, False, False)
    domain_reason = "takes ln(o)"

    def value(self, o, t):
        r""":math:`E = -\dfrac{1}{B} \sum_n \sum_k t_{nk} \ln o_{nk}`."""
        o, t = _pair(o, t, "CrossEntropy.value")
        self._check_domain(o, "CrossEntropy.value")
        with np.errstate(all="ignore"):
            E = -np.sum(t * np.log(o)) / len(o)  # eq:td-loss
            return _finite(E, "CrossEntropy.value")

    def gradient(self, o, t):
        r""":math:`\dfrac{\partial E}{\partial o_{nk}} = -\dfrac{t_{nk}}{B\, o_{nk}}`."""
        o, t = _pair(o, t, "CrossEntropy.gradient")
        self._check_domain(o, "CrossEntropy.gradient")
        return -t / o / len(o)  # eq:ll-chain, the dE/do factor

    def check_targets(self, t, name="t", where="check_targets"):
        r"""Each row must be a probability vector: entries :math:`\ge 0`, summing to 1
        (within :math:`\max(10^{-6}, 10\, n\, \epsilon)`, :math:`\epsilon` the dtype's
        machine epsilon)."""
        super().check_targets(t, name, where)
        t = np.asarray(t)
        negative = t < 0
        if negative.any():
            row, col = np.argwhere(negative)[0]
            raise ValueError(
                f"{where}: {name} rows must be probability vectors for cross_entropy (entries "
                f">= 0 summing to 1, e.g. one-hot); got {t[row, col]} at {name}[{row}, {col}]."
            )
        eps = np.finfo(t.dtype).eps if t.dtype.kind == "f" else np.finfo(np.float64).eps
        tolerance = max(1e-6, 10 * t.shape[1] * eps)
        sums = t.sum(axis=1, dtype=np.float64)
        bad = np.abs(sums - 1.0) > tolerance
        if bad.any():
            row = int(np.argmax(bad))
            raise ValueError(
                f"{where}: {name} rows must be probability vectors for cross_entropy (entries "
                f">= 0 summing to 1, e.g. one-hot); row {row} sums to {sums[row]:.6g}."
            )


#: The losses by name, one shared (stateless) instance each.
LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (SquaredError(), SumSquaredError(), BinaryCrossEntropy(), CrossEntropy())
}
#: The valid loss names, for widgets and error messages.
LOSS_NAMES: tuple[str, ...] = tuple(LOSSES)


def get_loss(name_or_object) -> Loss:
    r"""The loss called ``name_or_object`` (e.g. ``"cross_entropy"``), or the object itself if
    it already is a :class:`Loss`.

    Raises ``ValueError`` for an unknown name (listing the valid ones) and ``TypeError`` for
    anything else.
    """
    return lookup(name_or_object, LOSSES, Loss, "loss")
