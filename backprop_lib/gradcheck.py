r"""Gradient checking: backpropagation against central finite differences.

For one parameter entry :math:`\theta` (a weight or a bias),

.. math:: \frac{\partial E}{\partial \theta} \approx
          \frac{E(\theta + \varepsilon) - E(\theta - \varepsilon)}{2 \varepsilon},

with an error of order :math:`\varepsilon^2` from the Taylor series plus the rounding error
of the two losses divided by :math:`2\varepsilon`. Both are small in float64 with
:math:`\varepsilon = 10^{-6}`; in float32 the rounding error alone would be about
:math:`10^{-7}/10^{-6}`, so only float64 networks are checked.

The two are compared entry by entry with the relative error

.. math:: \frac{|a - n|}{\max(|a|,\, |n|,\, \tau)}, \qquad
          \tau = 10^{-2} \max(1, |E|)\, \frac{10^{-6}}{\varepsilon},

where :math:`a` is backprop's value and :math:`n` the numerical one (cs231n's relative error
with a floor :math:`\tau`; :data:`FLOOR` explains why it is needed and why it is this size).
"""

from __future__ import annotations

import numbers

import numpy as np

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
    if not 0 <= layer < len(net.layers):
        raise ValueError(
            f"{where}: layer must be an index into net.layers, 0 to {len(net.layers) - 1} "
            f"(layers[l - 1] is the book's layer l); got {layer}."
        )
    return int(layer)


#: The steps ``eps`` :func:`gradient_check` accepts. Below ``1e-8`` the floor
#: :math:`\tau \propto 1/\varepsilon` grows so large that it hides bugs (at ``eps=1e-12``
#: a backprop with a wrong sign scores ``2.6e-5``); above ``1e-5`` the truncation error
#: :math:`O(\varepsilon^2)` of the differences alone exceeds the ``1e-7`` that means
#: "correct" (``2e-7`` at ``1e-4`` on the bugs chapter's network).
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


def _central_differences(work: Network, X, T, index: int, name: str, eps: float, where, owner=None):
    r"""Central differences for every entry of ``work.layers[index].<name>`` (or of
    ``owner.<name>``, a layer inside ``work.layers[index]``, e.g. in a Residual), in place
    on ``work`` (a copy), each entry restored to its exact original value. A loss that is
    not finite, or a step lost to rounding, raises ``FloatingPointError`` (never a numpy
    warning)."""
    P = getattr(work.layers[index] if owner is None else owner, name)
    gradient = np.empty_like(P)
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
    _require_finite(gradient, f"the central difference of {label}", where)
    return gradient


def numerical_gradient(net, X, T, layer, name, eps=1e-6) -> np.ndarray:
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


#: The floor :math:`\tau` of the relative error's denominator is
#: ``FLOOR * max(1, |E|) * (1e-6 / eps)``.
#:
#: Each loss evaluation is rounded to about :math:`k u |E|`, with :math:`u = 2^{-53} \approx
#: 1.1 \cdot 10^{-16}` and :math:`k` a small factor from the sums (up to about 10 in 1000
#: random networks of the tests' kind). A central difference divides that by
#: :math:`2\varepsilon`, so it carries an absolute error of up to about
#: :math:`10^{-9} |E|` at :math:`\varepsilon = 10^{-6}`, whatever the true gradient. An entry
#: whose true gradient is near 0 (a dead ReLU, a saturated sigmoid, a weight on an input
#: near 0) would show a relative error near 1 although backprop is right. With the floor,
#: rounding alone can show at most about :math:`10^{-9}|E| / \tau \approx 10^{-7}`; an error in
#: an entry of size :math:`\ge \tau` (1% of the loss) shows in full, and a smaller entry's
#: error shows scaled by its size over :math:`\tau`.
FLOOR = 1e-2


def gradient_check(net, X, T, eps=1e-6) -> float:
    r"""The largest relative error between backprop's gradients and central differences,
    over every weight and bias of ``net``.

    Relative error of an entry: :math:`|a - n| / \max(|a|, |n|, \tau)` with :math:`a` from
    :meth:`Network.backward`, :math:`n` from :func:`numerical_gradient` and the floor
    :math:`\tau = 10^{-2} \max(1, |E|) \cdot 10^{-6}/\varepsilon` (:data:`FLOOR` explains
    it). About :math:`10^{-7}` or less means backprop is right; :math:`10^{-3}` or more means a
    bug (or a ReLU input within :math:`\varepsilon` of its kink at 0).

    ``eps`` must lie in :data:`GRADIENT_CHECK_EPS`, ``[1e-8, 1e-5]``, where these two
    thresholds hold. A loss or gradient that is NaN or inf (from either side) raises
    ``FloatingPointError``: a check that cannot compare never reports agreement.

    ``net`` must compute in float64; it is never modified (the check works on a copy).
    """
    where = "gradient_check"
    net = _check_net(net, where)
    X, T = net.check_data(X, T, where)
    eps = _check_eps(
        eps,
        where,
        GRADIENT_CHECK_EPS,
        "Below it the rounding floor hides bugs, above it truncation error hides "
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
    floor = FLOOR * max(1.0, abs(loss)) * (1e-6 / eps)
    worst = 0.0
    for (index, owner, name), a in zip(slots, analytic, strict=True):
        n = _central_differences(work, X, T, index, name, eps, where, owner)
        # eq:gc-relative-error
        error = np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), floor)
        worst = max(worst, float(error.max()))
    return worst
