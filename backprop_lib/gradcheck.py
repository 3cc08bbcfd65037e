r"""Gradient checking: backpropagation against central finite differences.

For one parameter entry :math:`\theta` (a weight or a bias),

.. math:: \frac{\partial E}{\partial \theta} \approx
          \frac{E(\theta + \varepsilon) - E(\theta - \varepsilon)}{2 \varepsilon},

with an error of order :math:`\varepsilon^2` from the Taylor series (truncation) plus the
rounding error of the two losses divided by :math:`2\varepsilon`. Together they are the
entry's **resolution** :math:`\rho`: the difference cannot tell apart two derivatives closer
than :math:`\rho`. :func:`gradient_check` estimates :math:`\rho` for every entry
(eq:gc-resolution, in :func:`_central_differences`: :data:`ROUNDING` times
:math:`u\,(|E_+| + |E_-|)/2\varepsilon`, plus the truncation error measured from a second
difference with step :math:`2\varepsilon`) and
compares backprop's value :math:`a` with the numerical one :math:`n` by cs231n's relative
error and the part of it that the resolution cannot explain:

.. math:: r = \frac{|a - n|}{\max(|a|,\, |n|)}, \qquad
          r_\rho = \frac{(|a - n| - \rho)_+}{\max(|a|,\, |n|)},

so rounding and truncation alone give :math:`r_\rho = 0`, and an entry agrees when
:math:`r_\rho \le 10^{-7}` (:data:`AGREES`). An entry is **verified** when
:math:`\max(|a|, |n|) \ge` :data:`VERIFIED` :math:`\cdot\,\rho` (an error of a tenth of its
value would show); below that the difference cannot resolve the derivative, and the entry is
reported as unverified: it certifies nothing. A deep network's first layers have exactly such
entries (vanishing gradients), which a floor scaled by the loss hid: the old floor
:math:`10^{-2}\max(1, |E|)` certified a sign flip of the whole first-layer gradient of a deep
sigmoid network. In float32 the rounding error alone would be about
:math:`10^{-7}/10^{-6}`, so only float64 networks are checked.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._validate import check_positive_float, describe
from .base_layer import parameter_slots
from .layers import Dense
from .network import Network


def _check_net(net, where: str) -> Network:
    if not isinstance(net, Network):
        raise TypeError(f"{where}: net must be a Network; got {describe(net)}.")
    if net.dtype != np.float64:
        raise TypeError(
            f"{where}: net computes in {net.dtype}; central differences need float64 (in "
            f"float32 the rounding error of E alone is ~1e-7/eps). Check a float64 copy: "
            f"{where.split('.')[0]}(net.astype(np.float64), X, T)."
        )
    return net


def _layer_index(net: Network, layer, where: str) -> int:
    if isinstance(layer, Dense):
        for i, candidate in enumerate(net.layers):
            if candidate is layer:
                return i
        raise ValueError(f"{where}: layer {layer!r} is not one of net.layers.")
    if isinstance(layer, bool) or not isinstance(layer, numbers.Integral):
        raise TypeError(
            f"{where}: layer must be an index into net.layers (0 to {len(net.layers) - 1}) or "
            f"one of its Dense layers; got {describe(layer)}."
        )
    if not 0 <= int(layer) < len(net.layers):
        raise ValueError(
            f"{where}: layer must be an index into net.layers, 0 to {len(net.layers) - 1} "
            f"(layers[l - 1] is the book's layer l); got {layer}."
        )
    return int(layer)


#: The steps ``eps`` :func:`gradient_check` accepts. The rounding part of an entry's
#: resolution grows like :math:`1/\varepsilon` (at ``1e-8`` it is 100 times that at ``1e-6``,
#: and fewer entries are verified); the truncation part like :math:`\varepsilon^2`, and the
#: doubled step :math:`2\varepsilon` that measures it (eq:gc-resolution) should stay well
#: inside the region where the loss is smooth.
GRADIENT_CHECK_EPS = (1e-8, 1e-5)
#: The steps ``eps`` :func:`numerical_gradient` accepts: below ``1e-12`` rounding error
#: dominates every difference, above ``1e-2`` the truncation error does.
NUMERICAL_GRADIENT_EPS = (1e-12, 1e-2)


def _check_eps(eps, where: str, valid: tuple[float, float], why: str) -> float:
    eps = check_positive_float(eps, "eps", where)
    low, high = valid
    if not low <= eps <= high:
        raise ValueError(f"{where}: eps must lie in [{low:g}, {high:g}]; got {eps:g}. {why}")
    return eps


def _require_finite(array, what: str, where: str) -> None:
    """``FloatingPointError`` naming ``what`` if ``array`` holds NaN or inf."""
    finite = np.isfinite(array)
    if not np.all(finite):
        if np.ndim(array):
            at = tuple(int(i) for i in np.argwhere(~finite)[0])
            found = f"{np.asarray(array)[at]} at index {list(at)}"
        else:
            found = f"{array}"
        raise FloatingPointError(
            f"{where}: {what} is {found} for these X and T, "
            f"so backprop and central differences cannot be compared: the check fails. "
            f"Use data and weights for which net.loss(X, T) is finite."
        )


def _central_differences(
    work: Network,
    X,
    T,
    index: int,
    name: str,
    eps: float,
    where,
    resolve: bool = False,
    owner=None,
):
    r"""Central differences for every entry of ``work.layers[index].<name>`` (or of
    ``owner.<name>``, a layer inside ``work.layers[index]``, e.g. in a Residual), in place on
    ``work`` (a copy), each entry restored to its exact original value. A loss that is not
    finite, or a step lost to rounding, raises ``FloatingPointError`` (never a numpy
    warning).

    With ``resolve``, also each entry's resolution :math:`\rho` (eq:gc-resolution): the
    rounding bound :data:`ROUNDING` :math:`\cdot\, u (|E_+| + |E_-|) / 2\varepsilon` plus the
    change of the difference when the step doubles to :math:`2\varepsilon` (three times its
    truncation error, which is :math:`\propto \varepsilon^2`); returns ``(gradient, rho)``."""
    P = getattr(work.layers[index] if owner is None else owner, name)
    gradient = np.empty_like(P)
    rho = np.empty_like(P)
    label = f"layers[{index}].{name}"
    with np.errstate(all="ignore"):
        for entry in np.ndindex(P.shape):
            original = P[entry]
            P[entry] = original + eps
            plus, loss_plus = P[entry], work.forward_loss(X, T)
            P[entry] = original - eps
            minus, loss_minus = P[entry], work.forward_loss(X, T)
            P[entry] = original
            if plus == minus:
                raise FloatingPointError(
                    f"{where}: eps = {eps:g} is lost to rounding at {label}{list(entry)} = "
                    f"{original:.17g} (θ + eps == θ - eps); use a larger eps."
                )
            if not (np.isfinite(loss_plus) and np.isfinite(loss_minus)):
                _require_finite(
                    np.array([loss_plus, loss_minus]),
                    f"the loss E at {label}{list(entry)} ± eps",
                    where,
                )
            # divide by the step actually taken: (θ + ε) − (θ − ε) after rounding
            gradient[entry] = (loss_plus - loss_minus) / (plus - minus)  # eq:gc-differences
            if resolve:
                P[entry] = original + 2 * eps
                plus_2, loss_plus_2 = P[entry], work.forward_loss(X, T)
                P[entry] = original - 2 * eps
                minus_2, loss_minus_2 = P[entry], work.forward_loss(X, T)
                P[entry] = original
                _require_finite(
                    np.array([loss_plus_2, loss_minus_2]),
                    f"the loss E at {label}{list(entry)} ± 2 eps",
                    where,
                )
                wide = (loss_plus_2 - loss_minus_2) / (plus_2 - minus_2)
                rounding = ROUNDING * _U * (abs(loss_plus) + abs(loss_minus)) / (plus - minus)
                rho[entry] = rounding + abs(wide - gradient[entry])  # eq:gc-resolution
    _require_finite(gradient, f"the central difference of {label}", where)
    if resolve:
        _require_finite(rho, f"the resolution of the central difference of {label}", where)
        return gradient, rho
    return gradient


def numerical_gradient(
    net: Network,
    X: ArrayLike,
    T: ArrayLike,
    layer: int | Dense,
    name: str,
    eps: float = 1e-6,
) -> np.ndarray:
    r"""The central-difference gradient of :math:`E(X, T)` with respect to one parameter
    array, ``net.layers[layer].W`` (``name="W"``) or ``.b`` (``name="b"``).

    ``layer`` is an index into ``net.layers`` (0 for the book's layer 1) or one of its Dense
    layers. Returns an array of the parameter's shape. Works on a copy: ``net`` is never
    modified.
    """
    where = "numerical_gradient"
    net = _check_net(net, where)
    X, T = net.check_data(X, T, where)
    index = _layer_index(net, layer, where)
    if name not in ("W", "b"):
        raise ValueError(f"{where}: name must be 'W' or 'b'; got {name!r}.")
    eps = _check_eps(
        eps,
        where,
        NUMERICAL_GRADIENT_EPS,
        "Smaller steps drown in rounding error, larger ones in truncation error.",
    )
    return _central_differences(net.copy(), X, T, index, name, eps, where)


_U = float(np.finfo(np.float64).eps) / 2  # unit roundoff u = 2^-53

#: Each loss evaluation is rounded to about :math:`k u |E|`, with :math:`u = 2^{-53} \approx
#: 1.1 \cdot 10^{-16}` and :math:`k` a small factor from the sums of the forward pass and the
#: loss. The resolution :math:`\rho` of an entry (eq:gc-resolution) counts
#: ``ROUNDING`` :math:`\cdot\, u(|E_+| + |E_-|)/2\varepsilon` for the rounding of its two loss
#: evaluations: ``k`` stayed below 8 over every entry of random networks of the tests' kind,
#: so 32 leaves a margin of 4 (tests/core/test_gradcheck.py checks :math:`|a - n| \le \rho/3` on
#: correct gradients at every allowed ``eps``). A larger value only
#: leaves more entries unverified; it never certifies a wrong one.
ROUNDING = 32.0

#: An entry whose derivative is this many times its resolution, or more
#: (:math:`\max(|a|, |n|) \ge 10\rho`), is **verified**: an error of a tenth of its value
#: would show. Below it the entry is unverified: it certifies nothing.
VERIFIED = 10.0

#: Agreement: the relative error beyond the resolution (eq:gc-excess) is at most ``AGREES``,
#: i.e. :math:`|a - n| \le \rho + 10^{-7} \max(|a|, |n|)`: backprop and the difference agree
#: within the difference's own resolution (and 7 digits).
AGREES = 1e-7


@dataclass(frozen=True, eq=False)
class ParameterCheck:
    r"""The check of one parameter array, ``net.layers[layer].<name>`` (the book's
    :math:`W^{l}` or :math:`b^{l}` with :math:`l` = ``layer + 1``), entry by entry: the arrays
    all have the parameter's shape."""

    layer: int
    name: str
    #: backprop's gradient :math:`a`
    analytic: np.ndarray
    #: the central difference :math:`n` (eq:gc-differences)
    numerical: np.ndarray
    #: the resolution :math:`\rho` of each difference (eq:gc-resolution)
    resolution: np.ndarray
    #: cs231n's relative error :math:`r = |a - n| / \max(|a|, |n|)` (eq:gc-relative-error;
    #: 0 where :math:`a = n`)
    relative: np.ndarray
    #: the relative error beyond the resolution, :math:`(|a - n| - \rho)_+ / \max(|a|, |n|)`
    #: (eq:gc-excess): 0 where the difference cannot tell :math:`a` from :math:`n`
    error: np.ndarray

    @property
    def label(self) -> str:
        return f"layers[{self.layer}].{self.name}"

    @property
    def verified_mask(self) -> np.ndarray:
        r"""True where the entry is verified:
        :math:`0 < \max(|a|, |n|) \ge` ``VERIFIED`` :math:`\cdot\,\rho`."""
        size = np.maximum(np.abs(self.analytic), np.abs(self.numerical))
        return (size > 0) & (size >= VERIFIED * self.resolution)

    @property
    def entries(self) -> int:
        return int(self.error.size)

    @property
    def verified(self) -> int:
        """How many entries are verified."""
        return int(self.verified_mask.sum())

    @property
    def unverified(self) -> int:
        """How many entries are below what the difference resolves: they certify nothing."""
        return self.entries - self.verified

    @property
    def disagreeing(self) -> int:
        """How many entries (verified or not) disagree beyond their resolution (an excess
        above :data:`AGREES`)."""
        return int((self.error > AGREES).sum())

    @property
    def worst(self) -> float:
        """The largest relative error :math:`r` over the verified entries (0.0 if none)."""
        verified = self.relative[self.verified_mask]
        return float(verified.max()) if verified.size else 0.0


class GradientCheck(float):
    r"""The result of :func:`gradient_check`: a float, with the check of every parameter array.

    As a float it is the largest relative error beyond the resolution :math:`r_\rho`
    (eq:gc-excess) over all entries when the check is complete or found a disagreement, and
    NaN when no entry disagrees but some could not be resolved: an incomplete check
    certifies nothing, so ``result <= 1e-7`` and ``result > 1e-2`` are both False. Attributes:

    - ``verdict``: ``"correct"`` (every entry verified, every entry agrees),
      ``"wrong"`` (some entry, verified or not, disagrees beyond its resolution,
      :math:`r_\rho >` :data:`AGREES`), or ``"incomplete"`` (no entry disagrees, but some
      are unverified);
    - ``correct``: ``verdict == "correct"``;
    - ``worst``: the largest cs231n relative error :math:`r` (eq:gc-relative-error) over the
      verified entries;
    - ``entries``, ``verified``, ``unverified``: counts over all parameters;
    - ``parameters``: one :class:`ParameterCheck` per array, in the order
      ``layers[0].W, layers[0].b, layers[1].W, ...`` (the per-layer counts);
    - ``eps``: the step.

    ``str(result)`` says in words what was verified and what was not.
    """

    parameters: tuple[ParameterCheck, ...]
    eps: float

    def __new__(cls, parameters, eps: float):
        parameters = tuple(parameters)
        largest = max((float(p.error.max()) for p in parameters), default=0.0)
        wrong = any(p.disagreeing for p in parameters)
        complete = all(p.unverified == 0 for p in parameters)
        result = super().__new__(cls, largest if (wrong or complete) else float("nan"))
        result.parameters, result.eps = parameters, eps
        return result

    @property
    def verdict(self) -> str:
        if any(p.disagreeing for p in self.parameters):
            return "wrong"
        return "correct" if self.unverified == 0 else "incomplete"

    @property
    def correct(self) -> bool:
        return self.verdict == "correct"

    @property
    def worst(self) -> float:
        return max((p.worst for p in self.parameters), default=0.0)

    @property
    def entries(self) -> int:
        return sum(p.entries for p in self.parameters)

    @property
    def verified(self) -> int:
        return sum(p.verified for p in self.parameters)

    @property
    def unverified(self) -> int:
        return self.entries - self.verified

    def __str__(self) -> str:
        head = (
            f"gradient check (eps = {self.eps:g}): {self.verdict}; {self.verified} of "
            f"{self.entries} entries verified"
        )
        if self.verdict == "wrong":
            bad = [
                f"{p.label} {p.disagreeing} of {p.entries}"
                for p in self.parameters
                if p.disagreeing
            ]
            text = (
                f"{head}. Entries that disagree beyond their resolution: {', '.join(bad)} "
                f"(largest relative error beyond the resolution {float(self):.2g})."
            )
        else:
            text = (
                f"{head}; every verified entry agrees within its resolution (largest "
                f"relative error {self.worst:.2g})."
            )
        missing = [
            f"{p.label} {p.unverified} of {p.entries}" for p in self.parameters if p.unverified
        ]
        if missing:
            text += (
                f" Not verified (derivative below {VERIFIED:g} times the resolution of its "
                f"difference; they certify nothing): {', '.join(missing)}."
            )
        return text

    def __repr__(self) -> str:
        return (
            f"GradientCheck({float(self)!r}, verdict={self.verdict!r}, "
            f"verified={self.verified}, unverified={self.unverified})"
        )

    def __reduce__(self):
        return (GradientCheck, (self.parameters, self.eps))


def gradient_check(net: Network, X: ArrayLike, T: ArrayLike, eps: float = 1e-6) -> GradientCheck:
    r"""Backprop's gradients against central differences, entry by entry, over every weight
    and bias of ``net``.

    For every entry: :math:`a` from :meth:`Network.backward`, :math:`n` from the central
    difference (eq:gc-differences), its resolution :math:`\rho` (eq:gc-resolution: the
    rounding of the two losses, :data:`ROUNDING` :math:`\cdot\, u(|E_+| + |E_-|)/2\varepsilon`,
    plus the truncation error measured with a step :math:`2\varepsilon`), cs231n's relative
    error :math:`r = |a - n| / \max(|a|, |n|)` (eq:gc-relative-error) and the part of it the
    resolution cannot explain, :math:`r_\rho = (|a - n| - \rho)_+ / \max(|a|, |n|)`
    (eq:gc-excess). The entry agrees if :math:`r_\rho \le 10^{-7}` (:data:`AGREES`) and is
    verified if :math:`\max(|a|, |n|) \ge 10\rho` (:data:`VERIFIED`); an unverified entry's
    derivative is below what the difference resolves and certifies nothing.

    Returns a :class:`GradientCheck`: a float (the largest :math:`r_\rho`; NaN if the check
    is incomplete) whose ``verdict`` is ``"correct"`` only if every entry is verified and
    agrees, ``"wrong"`` if some entry disagrees and ``"incomplete"`` otherwise, with the
    counts of verified entries per parameter array (``str(result)`` says them in words).
    ``result <= 1e-7`` holds exactly when the verdict is ``"correct"``. Four loss evaluations
    per parameter (steps :math:`\pm\varepsilon`, :math:`\pm 2\varepsilon`) plus one
    backward pass.

    ``eps`` must lie in :data:`GRADIENT_CHECK_EPS`, ``[1e-8, 1e-5]``. A loss or gradient that
    is NaN or inf (from either side) raises ``FloatingPointError``: a check that cannot
    compare never reports agreement.

    ``net`` must compute in float64; it is never modified (the check works on a copy).
    """
    where = "gradient_check"
    net = _check_net(net, where)
    X, T = net.check_data(X, T, where)
    eps = _check_eps(
        eps,
        where,
        GRADIENT_CHECK_EPS,
        "Below it rounding leaves most entries unresolved, above it truncation error hides "
        "correctness (see GRADIENT_CHECK_EPS).",
    )
    work = net.copy()
    with np.errstate(all="ignore"):
        loss = work.forward_loss(X, T)
        work.backpropagate(X, T)
    _require_finite(loss, "the loss E", where)
    # every parameter: W and b of a Dense, e.g. gamma and beta of a BatchNorm
    slots = [
        (index, owner, name)
        for index, layer in enumerate(work.layers)
        for owner, name in parameter_slots(layer)
    ]
    analytic = [getattr(owner, "d" + name).copy() for _, owner, name in slots]
    for (index, _, name), a in zip(slots, analytic, strict=True):
        _require_finite(a, f"backprop's d{name} of layers[{index}]", where)
    checks = []
    for (index, owner, name), a in zip(slots, analytic, strict=True):
        n, rho = _central_differences(
            work, X, T, index, name, eps, where, resolve=True, owner=owner
        )
        size, gap = np.maximum(np.abs(a), np.abs(n)), np.abs(a - n)
        r = np.divide(gap, size, out=np.zeros_like(gap), where=gap > 0)  # eq:gc-relative-error
        # eq:gc-excess: what the difference's own resolution rho cannot explain
        excess = np.divide(gap - rho, size, out=np.zeros_like(gap), where=gap > rho)
        checks.append(ParameterCheck(index, name, a, n, rho, r, excess))
    return GradientCheck(checks, eps)
