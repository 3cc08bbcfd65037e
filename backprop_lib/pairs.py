r"""Which loss may follow which output activation, and how the output delta is computed.

A loss is defined only for some outputs: the cross-entropies take :math:`\ln o` (and
:math:`\ln(1 - o)`), so they need outputs in :math:`(0, \infty)` (:math:`(0, 1)`). A pair
(output activation, loss) is **valid** when every output the activation can produce lies in
the loss's domain. :func:`pair_problem` says why a pair is not; a
:class:`~backprop_lib.Network` refuses such a pair when it is built.

The output delta :math:`\delta^L = \partial E / \partial s^L` is in general the chain rule
through the activation, :math:`\delta^L = \partial E/\partial o^L \cdot J_f(s^L)`
(:func:`output_delta`). The pairs below take a closed form computed from :math:`s^L`, so a
saturated output (:math:`o` rounded to exactly 0 or 1) never meets a :math:`\ln 0` or a :math:`1/0`:

================================  =====================================================
pair                              :math:`\delta^L` (loss computed from :math:`s`)
================================  =====================================================
softmax + cross_entropy           :math:`(o - t)/B` (fused; log-sum-exp)
sigmoid + binary_cross_entropy    :math:`(o - t)/B` (fused; softplus)
sigmoid + cross_entropy           :math:`-t\,\sigma(-s)/B`
softmax + binary_cross_entropy    see :meth:`SoftmaxBinaryCrossEntropy.delta`
softplus + cross_entropy          :math:`-t\,\sigma(s)/(B \operatorname{softplus}(s))`
================================  =====================================================

Each equals the general chain wherever both are finite (the tests check this).

Ranges (:data:`GUARANTEED_RANGE`, the same for float64 and float32), for every valid pair:

- :math:`|s| \le 1000`: :math:`E` and :math:`\delta^L` are finite, emit no numpy warning,
  and :math:`\delta^L` lies within :math:`4\epsilon \max(1, \max_k |\delta_k|)` of the
  exact value at the given ``s`` (:math:`\epsilon` the dtype's machine epsilon; measured
  against 1200-digit arithmetic in ``tests/core/test_refusals_objects.py``: at most
  :math:`3.1\epsilon`).
- beyond, up to :math:`|s| \le 10^{300}` in float64 and :math:`10^{30}` in float32:
  :math:`\delta^L` stays finite with no warning (accuracy not measured there); :math:`E`
  is finite or, when it overflows (a squared error with :math:`|o - t|` beyond about
  :math:`10^{154}`, resp. :math:`10^{19}`), :func:`output_loss` raises
  ``FloatingPointError``, never a warning or an ``inf``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._validate import as_float_array, check_finite, require_finite
from .activations import ACTIVATIONS, Activation, Sigmoid, Softmax, Softplus, get_activation
from .losses import LOSSES, BinaryCrossEntropy, CrossEntropy, Loss, _pair, get_loss


def _checked_output(s, o, t, where: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``s``, ``o``, ``t`` as non-empty 2-D arrays of one shape, else the error naming them;
    cheap when they already are, as inside a Network."""
    if (
        type(s) is np.ndarray
        and type(o) is np.ndarray
        and type(t) is np.ndarray
        and s.ndim == 2
        and s.shape == o.shape == t.shape
        and s.size
        and s.dtype.kind == o.dtype.kind == t.dtype.kind == "f"
    ):
        return s, o, t
    o, t = _pair(o, t, where)
    s = as_float_array(s, "s", where, "(batch, n_L)")
    if s.shape != o.shape:
        raise ValueError(
            f"{where}: s and o must have one shape (batch, n_L); got s.shape = {s.shape} and "
            f"o.shape = {o.shape}."
        )
    return s, o, t


#: ``{dtype: (accurate, finite)}``: the largest :math:`|s^L|` for which every pair's
#: :math:`\delta^L` is accurate to :math:`4\epsilon`, and for which it is finite without a
#: warning (module docstring).
GUARANTEED_RANGE = {np.dtype(np.float64): (1e3, 1e300), np.dtype(np.float32): (1e3, 1e30)}


def pair_problem(activation: str | Activation, loss: str | Loss) -> str | None:
    r"""Why ``loss`` is undefined after ``activation``, or ``None`` if the pair is valid.

    ``activation`` and ``loss`` are names or objects. The pair is valid when the
    activation's ``output_range`` lies inside the loss's ``domain``.
    """
    activation, loss = get_activation(activation), get_loss(loss)
    domain, outputs = loss.domain, activation.output_range
    if domain.contains(outputs):
        return None
    side = []
    if domain.sticks_out_below(outputs):
        side.append(f"{'<' if domain.low_closed else '<='} {domain.low:g}")
    if domain.sticks_out_above(outputs):
        side.append(f"{'>' if domain.high_closed else '>='} {domain.high:g}")
    return (
        f"{loss.name} {loss.domain_reason}, so it needs outputs in {domain}, but "
        f"{activation.name} outputs lie in {outputs}, which includes values "
        f"{' and '.join(side)}"
    )


def check_pair(activation: str | Activation, loss: str | Loss) -> None:
    """Raise ``ValueError`` with the reason if ``loss`` is undefined after ``activation``."""
    problem = pair_problem(activation, loss)
    if problem is not None:
        activation = get_activation(activation)
        valid = [name for name in LOSSES if pair_problem(activation, name) is None]
        raise ValueError(
            f"the output activation {activation.name!r} cannot be followed by the loss "
            f"{get_loss(loss).name!r}: {problem}. Valid losses after {activation.name!r}: "
            f"{', '.join(map(repr, valid))}."
        )


#: Every (activation name, loss name) pair whose maths is defined.
VALID_PAIRS: frozenset[tuple[str, str]] = frozenset(
    (a, loss) for a in ACTIVATIONS for loss in LOSSES if pair_problem(a, loss) is None
)

#: The pairs whose output delta is :math:`(o - t)/B`: the activation's Jacobian cancels the
#: loss's :math:`1/(\ldots)` exactly.
FUSED_PAIRS: frozenset[tuple[str, str]] = frozenset(
    {("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy")}
)


def _softplus(x):
    r""":math:`\ln(1 + e^{x})`, stable for every ``x`` (``np.logaddexp(0, x)``)."""
    return np.logaddexp(0.0, x)


def _log_softmax(s):
    r""":math:`\ln o_k = s_k - \operatorname{lse}(s) = (s_k - m) - \ln \sum_j e^{s_j - m}`,
    shape ``(B, n)``. Subtracting :math:`m` first keeps :math:`\ln o_k` accurate to its own
    size even where :math:`m` is large (``s - lse(s)`` with ``lse = m + ln sum`` would lose the
    rounding error of :math:`m`, ``1e-4`` at :math:`m = 1000` in float32)."""
    shifted = s - s.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _others_max_and_log_sum(s):
    r""":math:`m_k = \max_{j \ne k} s_j` and :math:`A_k = \ln \sum_{j \ne k} e^{s_j - m_k}`
    for every unit :math:`k` of each row, both ``(B, n)`` (needs :math:`n \ge 2`), so that
    :math:`L_k = \ln \sum_{j \ne k} e^{s_j} = m_k + A_k`."""
    n = s.shape[-1]
    others = np.where(np.eye(n, dtype=bool), -np.inf, s[:, None, :])  # [b, k, j]: j != k
    m_k = others.max(axis=-1)
    return m_k, np.log(np.exp(others - m_k[..., None]).sum(axis=-1))


def _finite_loss(E, s) -> float:
    """``E`` as a Python float, or ``FloatingPointError`` if it overflowed (the callers
    compute under ``np.errstate(all="ignore")``)."""
    require_finite(
        E,
        "E",
        "output_loss",
        lambda: (
            f" for s up to |s| = {np.abs(s).max():.3g}: the loss overflows the dtype {s.dtype}."
        ),
    )
    return float(E)


# -- the pairs: each one's E and delta^L ----------------------------------------------------


class Pair:
    r"""An output activation followed by a loss: the output layer's :math:`E` and
    :math:`\delta^L`, from its ``s``, ``o`` and targets ``t``, all ``(B, n_L)``.

    This base class is the general chain rule (eq:pairs-chain), which every pair obeys:
    :math:`\delta^L = \partial E/\partial o \cdot J_f(s^L)`, the activation's
    vector-Jacobian product of the loss's gradient. The cross-entropy pairs below
    compute both from :math:`s`, so a saturated output (:math:`o` rounded to 0 or 1) never
    meets a :math:`\ln 0` or a :math:`1/0`; each equals the chain wherever both are finite.
    No checks here: :class:`~backprop_lib.Network` checks its data once per call.
    """

    #: True when delta^L = (o - t)/B: the activation's Jacobian cancels the loss's 1/(...)
    #: exactly.
    fused = False

    def __init__(self, activation: Activation, loss_fn: Loss):
        self.activation, self.loss_fn = activation, loss_fn

    def loss(self, s: np.ndarray, o: np.ndarray, t: np.ndarray) -> float:
        r""":math:`E = \frac1B \sum_n \sum_k e(o_{nk}, t_{nk})`, from ``o`` (eq:ll-loss)."""
        return self.loss_fn.value(o, t)  # eq:ll-loss (refuses an overflow itself)

    def delta(self, s: np.ndarray, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        r""":math:`\delta^L = \partial E/\partial o \cdot J_f(s^L)` (eq:pairs-chain)."""
        return self.activation.delta(s, o, self.loss_fn.gradient(o, t))  # eq:pairs-chain

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.activation!r}, {self.loss_fn!r})"


class SoftmaxCrossEntropy(Pair):
    r"""Softmax + cross-entropy (fused): :math:`\delta^L = (o - t)/B`, because the rows of
    :math:`t` sum to 1; :math:`E` from :math:`\ln o_k = s_k - \operatorname{lse}(s)`."""

    fused = True

    def loss(self, s: np.ndarray, o: np.ndarray, t: np.ndarray) -> float:
        r""":math:`E = -\frac1B \sum_n \sum_k t_{nk} \ln o_{nk}` (:func:`_log_softmax`)."""
        return _finite_loss(-np.sum(t * _log_softmax(s)) / len(t), s)  # eq:ll-loss

    def delta(self, s: np.ndarray, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        r""":math:`\delta^L = (o - t)/B` (eq:ll-softmax-ce, eq:pairs-softmax-ce)."""
        return (o - t) / len(t)  # eq:ll-softmax-ce


class SigmoidBinaryCrossEntropy(Pair):
    r"""Sigmoid + binary cross-entropy (fused): :math:`\delta^L = (o - t)/B`;
    :math:`E` from softplus, :math:`-\ln \sigma(s) = \operatorname{softplus}(-s)` and
    :math:`-\ln(1 - \sigma(s)) = \operatorname{softplus}(s)`."""

    fused = True

    def loss(self, s: np.ndarray, o: np.ndarray, t: np.ndarray) -> float:
        r""":math:`E = \frac1B \sum [t \operatorname{softplus}(-s) + (1 - t)
        \operatorname{softplus}(s)]`."""
        E = np.sum(t * _softplus(-s) + (1.0 - t) * _softplus(s)) / len(t)  # eq:ll-loss
        return _finite_loss(E, s)

    def delta(self, s: np.ndarray, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        r""":math:`\delta^L = (o - t)/B` (eq:pairs-sigmoid-bce)."""
        return (o - t) / len(t)  # eq:pairs-sigmoid-bce


class SigmoidCrossEntropy(Pair):
    r"""Sigmoid + cross-entropy: :math:`\delta^L = -\dfrac{t}{B o}\, o (1 - o)
    = -t\,\sigma(-s)/B` (:math:`1 - \sigma(s) = \sigma(-s)`, accurate even where :math:`o`
    rounds to 1); :math:`E = \frac1B \sum t \operatorname{softplus}(-s)`."""

    def loss(self, s: np.ndarray, o: np.ndarray, t: np.ndarray) -> float:
        r""":math:`E = \frac1B \sum t \operatorname{softplus}(-s)`."""
        return _finite_loss(np.sum(t * _softplus(-s)) / len(t), s)  # eq:ll-loss

    def delta(self, s: np.ndarray, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        r""":math:`\delta^L = -t\,\sigma(-s)/B` (eq:pairs-elementwise)."""
        return -t * self.activation.f(-s) / len(t)  # eq:pairs-elementwise


class SoftmaxBinaryCrossEntropy(Pair):
    r"""Softmax + binary cross-entropy: the chain rule (eq:pairs-chain) rearranged so that
    no term can overflow (:meth:`delta`); :math:`E` from :math:`\ln o_k` and
    :math:`\ln(1 - o_k)` computed from :math:`s` (:meth:`loss`)."""

    def loss(self, s: np.ndarray, o: np.ndarray, t: np.ndarray) -> float:
        r""":math:`E = -\frac1B \sum [t \ln o + (1 - t) \ln(1 - o)]` with
        :math:`\ln o_k = s_k - \operatorname{lse}(s)` and
        :math:`\ln(1 - o_k) = L_k - \operatorname{lse}(s) = (m_k - m) + (A_k - A)`,
        :math:`L_k = \ln \sum_{j \ne k} e^{s_j} = m_k + A_k` (:func:`_others_max_and_log_sum`),
        :math:`\operatorname{lse}(s) = m + A`: the large :math:`m_k` and :math:`m` cancel
        before rounding can matter."""
        m = s.max(axis=-1, keepdims=True)
        A = np.log(np.exp(s - m).sum(axis=-1, keepdims=True))
        m_k, A_k = _others_max_and_log_sum(s)
        log_o, log_1m_o = (s - m) - A, (m_k - m) + (A_k - A)
        E = -np.sum(t * log_o + (1.0 - t) * log_1m_o) / len(t)  # eq:ll-loss
        return _finite_loss(E, s)

    def delta(self, s: np.ndarray, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        r"""The softmax's vector-Jacobian product of the binary cross-entropy's gradient
        (eq:pairs-chain), rearranged so that no term can overflow.

        With :math:`g_k = (o_k - t_k) / (o_k q_k)`, :math:`q_k = 1 - o_k`, the chain rule
        gives :math:`B\delta_i = o_i g_i - o_i \sum_k o_k g_k`. Collecting the :math:`k = i`
        terms,

        .. math:: B\delta_i = o_i \Big(1 - t_i + \sum_k t_k\Big) - t_i
                  - \sum_{k \ne i} (1 - t_k)\, o_k\, e^{s_i - L_k},

        where :math:`o_i / q_k = e^{s_i - L_k} \le 1` for :math:`k \ne i`
        (:math:`L_k = \ln \sum_{j \ne k} e^{s_j} = m_k + A_k`). Every term is bounded. The
        exponent is computed as :math:`(s_i - m_k) - A_k`, so the two large numbers cancel
        exactly first (``s_i - L_k`` lost up to a unit in the last place of :math:`L_k`: a
        ``1e-5`` error at :math:`|s| = 1000` in float32, 30 % at ``1e300`` in float64).
        """
        n = s.shape[1]
        m_k, A_k = _others_max_and_log_sum(s)
        ratio_exponent = (s[:, :, None] - m_k[:, None, :]) - A_k[:, None, :]  # [b, i, k]
        ratio = np.exp(np.where(np.eye(n, dtype=bool), -np.inf, ratio_exponent))  # k == i: 0
        others = np.einsum("bik,bk->bi", ratio, (1.0 - t) * o)
        return (o * (1.0 - t + t.sum(axis=1, keepdims=True)) - t - others) / len(t)


def _log_softplus_and_ratio(s):
    r""":math:`\ln \operatorname{softplus}(s)` and :math:`\sigma(s)/\operatorname{softplus}(s)`,
    both ``(B, n)``, accurate where the softplus underflows.

    For :math:`s < -30`, with :math:`x = e^{s} < 10^{-13}`,
    :math:`\operatorname{softplus}(s) = \ln(1 + x) = x(1 - x/2 + \ldots)`, so
    :math:`\ln \operatorname{softplus}(s) = s + \ln(1 - x/2 + \ldots)` and
    :math:`\sigma(s)/\operatorname{softplus}(s) = 1/((1 + x)(1 - x/2 + \ldots))`; the next term,
    :math:`x^2/3`, is below :math:`10^{-26}`. Elsewhere the softplus is at least
    :math:`10^{-13}` and both are computed directly."""
    x = np.exp(np.minimum(s, -30.0))  # only used where s < -30
    low = s < -30.0
    sp_s = np.where(low, 1.0, _softplus(s))  # placeholder 1 where the series is used
    log_sp = np.where(low, s + np.log1p(-x / 2.0), np.log(sp_s))
    sig = np.where(s >= 0, 1.0, np.exp(-np.abs(s))) / (1.0 + np.exp(-np.abs(s)))
    ratio = np.where(low, 1.0 / ((1.0 + x) * (1.0 - x / 2.0)), sig / sp_s)
    return log_sp, ratio


class SoftplusCrossEntropy(Pair):
    r"""Softplus + cross-entropy: :math:`E = -\frac1B \sum t \ln \operatorname{softplus}(s)`
    and :math:`\delta^L = -\dfrac{t}{B o}\, \sigma(s)`, both from :math:`s`
    (:func:`_log_softplus_and_ratio`), finite where :math:`o` underflows to 0
    (:math:`s < -745`). Defined (the outputs lie in :math:`(0, \infty)`), but a poor pair:
    see :data:`~backprop_lib.teaching.pair_catalogue.PAIR_ADVICE`."""

    def loss(self, s: np.ndarray, o: np.ndarray, t: np.ndarray) -> float:
        r""":math:`E = -\frac1B \sum t \ln \operatorname{softplus}(s)`."""
        log_sp, _ = _log_softplus_and_ratio(s)
        return _finite_loss(-np.sum(t * log_sp) / len(t), s)  # eq:ll-loss

    def delta(self, s: np.ndarray, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        r""":math:`\delta^L = -t\, \sigma(s)/(B\, \operatorname{softplus}(s))`
        (eq:pairs-elementwise)."""
        _, ratio = _log_softplus_and_ratio(s)
        return -t * ratio / len(t)  # eq:pairs-elementwise


#: The pairs with a form of their own, by their exact activation and loss classes.
_SPECIAL = {
    (Softmax, CrossEntropy): SoftmaxCrossEntropy,
    (Sigmoid, BinaryCrossEntropy): SigmoidBinaryCrossEntropy,
    (Sigmoid, CrossEntropy): SigmoidCrossEntropy,
    (Softmax, BinaryCrossEntropy): SoftmaxBinaryCrossEntropy,
    (Softplus, CrossEntropy): SoftplusCrossEntropy,
}


def pair_of(activation: str | Activation, loss: str | Loss) -> Pair:
    r"""The :class:`Pair` that computes :math:`E` and :math:`\delta^L` for ``activation``
    and ``loss`` (names or objects): a closed-form pair (module docstring) for exactly their
    classes (a subclass may change the maths, so it takes the general chain rule), else
    :class:`Pair`. It does not check that the loss is defined after the activation
    (:func:`check_pair` does; a :class:`~backprop_lib.Network` refuses such a pair)."""
    activation, loss = get_activation(activation), get_loss(loss)
    return _SPECIAL.get((type(activation), type(loss)), Pair)(activation, loss)


def is_fused(activation: Activation, loss: Loss) -> bool:
    r"""Whether the output delta of this pair is the fused :math:`(o - t)/B`: exactly
    :class:`~backprop_lib.Softmax` with :class:`~backprop_lib.CrossEntropy` or
    :class:`~backprop_lib.Sigmoid` with :class:`~backprop_lib.BinaryCrossEntropy`. (A
    subclass may change the maths, so it takes the general chain rule.)"""
    return pair_of(activation, loss).fused


def output_loss(
    activation: Activation, loss: Loss, s: ArrayLike, o: ArrayLike, t: ArrayLike
) -> float:
    r"""The loss :math:`E` of the output layer, from its pre-activations ``s``, outputs
    ``o = activation.forward(s)`` and targets ``t``, all of shape ``(B, n_L)``.

    The cross-entropy pairs use their closed forms from ``s`` (see the module docstring);
    every other pair uses ``loss.value(o, t)`` (:meth:`Pair.loss`).
    """
    s, o, t = _checked_output(s, o, t, "output_loss")
    with np.errstate(all="ignore"):
        return pair_of(activation, loss).loss(s, o, t)


def output_delta(
    activation: Activation, loss: Loss, s: ArrayLike, o: ArrayLike, t: ArrayLike
) -> np.ndarray:
    r"""The output delta :math:`\delta^L = \partial E / \partial s^L`, shape ``(B, n_L)``.

    In general the chain rule through the activation (a vector-Jacobian product):
    :math:`\delta^L = \partial E/\partial o \cdot J_f(s^L)`, which for an elementwise
    activation is :math:`\partial E/\partial o \odot f'(s^L)`. The closed-form pairs
    use their closed forms (module docstring), e.g. :math:`(o - t)/B` for the fused ones
    (:meth:`Pair.delta` and its subclasses).
    """
    s, o, t = _checked_output(s, o, t, "output_delta")
    with np.errstate(all="ignore"):  # an overflow is refused below, never a warning
        delta = pair_of(activation, loss).delta(s, o, t)
    if not np.isfinite(delta).all():
        for name, array in (("s", s), ("o", o), ("t", t)):
            check_finite(array, name, "output_delta")
        raise FloatingPointError(
            f"output_delta: delta^L overflows the dtype {delta.dtype} for s up to "
            f"|s| = {np.abs(s).max():.3g} (o and t as given)."
        )
    return delta
