r"""The recursive delta against brute-force differentiation, on a fully symbolic network.

Brute force differentiates the whole per-sample loss $E$ of a :class:`SymbolicNetwork` with
respect to every weight and bias (``sympy.diff``; sympy applies the chain rule itself).

The recursion builds the same gradients the way the library does:

.. math::

    \delta^L &= \frac{\partial E}{\partial s^L} \quad
        \text{(the pair derivation's } \delta \text{ at } s = s^L\text{)}, \\
    \delta^l &= \bigl(\delta^{l+1} (W^{l+1})^\top\bigr) \odot f'^{\,l}(s^l)
        \quad\text{(elementwise; } \bigl(\delta^{l+1} (W^{l+1})^\top\bigr) J_f(s^l)
        \text{ for softmax)}, \\
    \frac{\partial E}{\partial W^l} &= (o^{l-1})^\top \delta^l, \qquad
    \frac{\partial E}{\partial b^l} = \delta^l .

One sample, so no $1/B$ (the library's batch of one row gives the same numbers).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .derivation import derive
from .functions import LossLike, get_activation, get_loss
from .identity import is_identically_zero
from .network import SymbolicNetwork
from .numeric import random_targets

__all__ = [
    "brute_force_gradients",
    "gradient_difference",
    "gradients_agree",
    "recursive_deltas",
    "recursive_gradients",
]


def _check_network(net) -> SymbolicNetwork:
    if not isinstance(net, SymbolicNetwork):
        raise TypeError(
            f"net must be a SymbolicNetwork (see symbolic_network), got {type(net).__name__}"
        )
    return net


def brute_force_gradients(
    net: SymbolicNetwork, loss: LossLike
) -> list[tuple[sp.Matrix, sp.Matrix]]:
    r"""$\partial E/\partial W^l$ and $\partial E/\partial b^l$ by ``sympy.diff`` of the whole
    per-sample loss, for $l = 1..L$: a list of ``(dW, db)`` shaped like ``(W^l, b^l)``
    (``n_{l-1} x n_l`` and ``1 x n_l``), in layer order like ``Network.backward``."""
    E = _check_network(net).loss(get_loss(loss))
    return [
        (W.applyfunc(lambda w: sp.diff(E, w)), b.applyfunc(lambda v: sp.diff(E, v)))
        for W, b in zip(net.W, net.b, strict=True)
    ]


def recursive_deltas(net: SymbolicNetwork, loss: LossLike) -> list[sp.Matrix]:
    r"""$\delta^1, \dots, \delta^L$ (``1 x n_l`` rows) by the recursion: $\delta^L$ from the
    pair derivation of (output activation, loss) at $s = s^L$, then
    $\delta^l = (\delta^{l+1} (W^{l+1})^\top) \odot f'(s^l)$, or the vector-Jacobian product
    $(\delta^{l+1} (W^{l+1})^\top) J_f(s^l)$ for a softmax hidden layer."""
    net = _check_network(net)
    pair = derive(net.activations[-1], loss, net.sizes[-1])
    # pair.t are the same symbols as net.t; only s is replaced
    delta = pair.delta.xreplace(dict(zip(pair.s, net.s[-1], strict=True)))
    deltas = [delta]
    for ell in range(net.depth - 1, 0, -1):
        act = get_activation(net.activations[ell - 1])
        back = deltas[0] * net.W[ell].T  # delta^{l+1} (W^{l+1})^T, 1 x n_l
        if act.elementwise:
            deltas.insert(0, back.multiply_elementwise(net.s[ell - 1].applyfunc(act.derivative)))
        else:
            deltas.insert(0, back * act.jacobian(net.s[ell - 1]))
    return deltas


def recursive_gradients(net: SymbolicNetwork, loss: LossLike) -> list[tuple[sp.Matrix, sp.Matrix]]:
    r"""$\partial E/\partial W^l = (o^{l-1})^\top \delta^l$ and $\partial E/\partial b^l =
    \delta^l$ from :func:`recursive_deltas`; same layout as :func:`brute_force_gradients`."""
    deltas = recursive_deltas(net, loss)
    return [(net.layer_input(ell).T * delta, delta) for ell, delta in enumerate(deltas, start=1)]


def gradient_difference(net: SymbolicNetwork, loss: LossLike) -> list[sp.Expr]:
    """Brute force minus recursion, one expression per parameter, in the order of
    ``net.parameters()``."""
    brute, rec = brute_force_gradients(net, loss), recursive_gradients(net, loss)
    out: list[sp.Expr] = []
    for (dW_b, db_b), (dW_r, db_r) in zip(brute, rec, strict=True):
        out.extend(dW_b - dW_r)
        out.extend(db_b - db_r)
    return out


def gradients_agree(
    net: SymbolicNetwork,
    loss: LossLike,
    method: str = "exact",
    rng: np.random.Generator | None = None,
    points: int = 5,
    digits: int = 40,
) -> bool:
    r"""Whether brute force and the recursion give the same gradient.

    ``method="exact"``: every difference of :func:`gradient_difference` is shown to be 0 by
    :func:`~backprop_lib.symbolic.identity.is_identically_zero` without ``simplify``: each
    ``exp``, ``tanh`` and relu ``Piecewise`` becomes a symbol and ``sympy.cancel`` reduces the
    rest, a rational function, to 0. ``True`` is a proof for all values of the symbols (about
    a second for a 2-2-2-2 network); ``False`` means a difference did not cancel.

    ``method="numeric"``: every difference is evaluated at ``points`` random points (inputs,
    parameters in $[-2, 2]$; targets valid for the loss) with ``digits`` significant digits
    (mpmath), and must be below $10^{-(\text{digits} - 10)}$ relative to the gradient. Not a
    proof, but fast for networks where ``simplify`` is slow.
    """
    if method == "exact":
        return all(
            is_identically_zero(e, try_simplify=False) for e in gradient_difference(net, loss)
        )
    if method != "numeric":
        raise ValueError(f"method must be 'exact' or 'numeric', got {method!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"method='numeric' needs rng, a numpy.random.Generator, got {rng!r}")
    lss = get_loss(loss)
    brute = [g for dW, db in brute_force_gradients(net, lss) for g in (*dW, *db)]
    rec = [g for dW, db in recursive_gradients(net, lss) for g in (*dW, *db)]
    symbols = [*net.x, *net.parameters()]
    n_out = net.sizes[-1]
    for _ in range(points):
        values = {v: sp.Rational(int(rng.integers(-2000, 2001)), 1000) for v in symbols}
        t = random_targets(lss, rng, (n_out,))
        values.update({v: sp.Rational(float(x)) for v, x in zip(net.t, t, strict=True)})
        if lss.targets == "probability":  # exact sum 1
            values[net.t[-1]] = 1 - sum(values[v] for v in net.t[:-1])
        point = {v: sp.Float(x, digits + 10) for v, x in values.items()}
        for g_brute, g_rec in zip(brute, rec, strict=True):
            a = g_brute.xreplace(point).evalf(digits)
            b = g_rec.xreplace(point).evalf(digits)
            if abs(a - b) > max(abs(a), sp.Float(1e-30)) * sp.Float(10) ** (10 - digits):
                return False
    return True
