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


def _central_differences(work: Network, X, T, index: int, name: str, eps: float):
    r"""Central differences for every entry of ``work.layers[index].<name>``, in place on
    ``work`` (a copy), each entry restored to its exact original value."""
    P = getattr(work.layers[index], name)
    gradient = np.empty_like(P)
    for entry in np.ndindex(P.shape):
        original = P[entry]
        P[entry] = original + eps
        plus, loss_plus = P[entry], work._loss(X, T)
        P[entry] = original - eps
        minus, loss_minus = P[entry], work._loss(X, T)
        P[entry] = original
        # divide by the step actually taken: (θ + ε) − (θ − ε) after rounding
        gradient[entry] = (loss_plus - loss_minus) / (plus - minus)
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
    X, T = net._check_data(X, T, where)
    index = _layer_index(net, layer, where)
    if name not in ("W", "b"):
        raise ValueError(f"{where}: name must be 'W' or 'b'; got {name!r}.")
    eps = check_positive_float(eps, "eps", where)
    return _central_differences(net.copy(), X, T, index, name, eps)


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

    ``net`` must compute in float64; it is never modified (the check works on a copy).
    """
    where = "gradient_check"
    net = _check_net(net, where)
    X, T = net._check_data(X, T, where)
    eps = check_positive_float(eps, "eps", where)
    work = net.copy()
    work._backward(X, T)
    analytic = [(layer.dW.copy(), layer.db.copy()) for layer in work.layers]
    floor = FLOOR * max(1.0, abs(work._loss(X, T))) * (1e-6 / eps)
    worst = 0.0
    for index, gradients in enumerate(analytic):
        for name, a in zip(("W", "b"), gradients, strict=True):
            n = _central_differences(work, X, T, index, name, eps)
            error = np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), floor)
            worst = max(worst, float(error.max()))
    return worst
