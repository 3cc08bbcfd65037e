r"""The loss/activation pairs: verdicts, numeric agreement and the catalogue.

For an output activation :math:`o = f(s)` and a loss :math:`E(o, t)` the output delta is

.. math:: \delta_i = \frac{\partial E}{\partial s_i}
          = \sum_k \frac{\partial E}{\partial o_k} \frac{\partial o_k}{\partial s_i} .

Every formula here comes from :mod:`backprop_lib.symbolic` (the derivations) and every number
from ``backprop_lib`` and its symbolic twin; this module only puts them side by side:

- :func:`pair_verdict` says whether a pair is undefined (the library's
  :func:`~backprop_lib.pair_problem`), the fused best choice, a good one, or a poor one, and
  why. The book's *Loss/activation pairs* chapter and
  ``tests/chapters/test_chapter_pairs.py`` give a numeric counter-example for every poor
  choice.
- :func:`pair_agreement` evaluates :math:`\delta` four ways at the same points: sympy's
  derivative, the textbook formula, the library's backward pass and central differences.
- :func:`catalogue_tabs` writes the whole catalogue as MyST Markdown, one tab per loss.

The pair explorer of the book, which shows these side by side as :math:`s` and :math:`t`
move, is :class:`~backprop_lib.widgets.pair_live.PairWidget`.

``import backprop_lib`` does not import this module (it needs sympy, the ``symbolic``
extra); import it as ``from backprop_lib.teaching.pair_catalogue import pair_verdict``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..activations import get_activation
from ..gradcheck import numerical_gradient
from ..layers import Dense
from ..losses import get_loss
from ..network import Network
from ..pairs import FUSED_PAIRS, check_pair, pair_problem
from ..symbolic import get_loss as get_symbolic_loss
from ..symbolic.derivation import Derivation, derive
from ..symbolic.numeric import lambdify_matrix

__all__ = [
    "EXACT_TOLERANCE",
    "NUMERICAL_FLOOR",
    "NUMERICAL_TOLERANCE",
    "N_UNITS",
    "PAIR_ADVICE",
    "PairAgreement",
    "T_RANGES",
    "Verdict",
    "catalogue_tabs",
    "derivation_latex",
    "pair_agreement",
    "pair_verdict",
    "probe_network",
    "scaled_error",
]

#: Output units of the catalogue's and the explorer's derivations.
N_UNITS = 3

_FUSED_REASON = (
    "the activation's Jacobian cancels the denominator of the loss's derivative, so "
    "δ = o − t: proportional to the error, never saturating; the library computes it fused, "
    "from s"
)

#: The verdict on every defined pair that is not fused: ``(kind, reason)``, kind ``"good"``,
#: ``"saturates"`` or ``"poor"``. Each claim is shown with numbers in the book's chapter
#: *Loss/activation pairs* and asserted in ``tests/chapters/test_chapter_pairs.py``.
PAIR_ADVICE: dict[tuple[str, str], tuple[str, str]] = {
    ("linear", "squared_error"): (
        "good",
        "δ = o − t: the natural pair for regression (real-valued targets)",
    ),
    ("linear", "sum_squared_error"): (
        "good",
        "δ = 2(o − t): the natural pair for regression, twice the gradient of squared_error",
    ),
    ("sigmoid", "squared_error"): (
        "saturates",
        "δ keeps f′ = o(1 − o): an output saturated on the wrong side (o near 0 with t = 1) "
        "gets δ near 0 and learns very slowly; binary_cross_entropy does not",
    ),
    ("sigmoid", "sum_squared_error"): (
        "saturates",
        "δ keeps f′ = o(1 − o): an output saturated on the wrong side gets δ near 0 and "
        "learns very slowly; binary_cross_entropy does not",
    ),
    ("tanh", "squared_error"): (
        "saturates",
        "δ keeps f′ = 1 − o²: an output saturated on the wrong side (o near −1 with t = 1) "
        "gets δ near 0 and learns very slowly",
    ),
    ("tanh", "sum_squared_error"): (
        "saturates",
        "δ keeps f′ = 1 − o²: an output saturated on the wrong side gets δ near 0 and learns "
        "very slowly",
    ),
    ("softmax", "squared_error"): (
        "saturates",
        "δ keeps the softmax Jacobian: a confidently wrong softmax (one o near 1 on the wrong "
        "class) gets δ near 0; cross_entropy gives δ = o − t",
    ),
    ("softmax", "sum_squared_error"): (
        "saturates",
        "δ keeps the softmax Jacobian: a confidently wrong softmax gets δ near 0; "
        "cross_entropy gives δ = o − t",
    ),
    ("relu", "squared_error"): (
        "poor",
        "an output with s < 0 is 0 whatever the target, and its δ is exactly 0: it never "
        "recovers (a dead output unit); no negative target can be reached",
    ),
    ("relu", "sum_squared_error"): (
        "poor",
        "an output with s < 0 is 0 whatever the target, and its δ is exactly 0: it never "
        "recovers (a dead output unit); no negative target can be reached",
    ),
    ("sigmoid", "cross_entropy"): (
        "poor",
        "the outputs need not sum to 1 and units with t = 0 get δ = 0: nothing pushes a wrong "
        "output down, so the loss can fall while the prediction gets worse, and pushing every "
        "output up drives it to 0 for any target",
    ),
    ("softplus", "squared_error"): (
        "saturates",
        "δ keeps f′ = σ(s) = 1 − e^{−o}: an output far below its target with s very negative "
        "(o near 0 with t = 1) gets δ near 0 and learns very slowly; no negative target can "
        "be reached",
    ),
    ("softplus", "sum_squared_error"): (
        "saturates",
        "δ keeps f′ = σ(s) = 1 − e^{−o}: an output far below its target with s very negative "
        "gets δ near 0 and learns very slowly; no negative target can be reached",
    ),
    ("softplus", "cross_entropy"): (
        "poor",
        "the outputs are not probabilities: E = −Σ t ln o has no minimum; every "
        "δ_k = −t_k σ(s_k)/o_k only pushes outputs up, and pushing every output up drives E "
        "towards −∞ for any target",
    ),
    ("softmax", "binary_cross_entropy"): (
        "poor",
        "binary cross-entropy treats the outputs as independent yes/no answers, but softmax "
        "outputs are coupled (they sum to 1): δ_i depends on every target, and multi-label "
        "targets such as t = (1, 1, 0) can never be fitted (E ≥ 2 ln 2)",
    ),
}


@dataclass(frozen=True)
class Verdict:
    r"""What to think of a pair: ``kind`` is ``"fused"``, ``"good"``, ``"saturates"``,
    ``"poor"`` or ``"undefined"``; ``reason`` says why (for ``"undefined"``, the library's
    :func:`~backprop_lib.pair_problem`)."""

    kind: str
    reason: str

    @property
    def label(self) -> str:
        """A short label for tables: e.g. ``"best: δ = o − t"`` or ``"undefined"``."""
        return {
            "fused": "best: δ = o − t",
            "good": "good",
            "saturates": "saturates",
            "poor": "poor choice",
            "undefined": "undefined",
        }[self.kind]


def pair_verdict(activation, loss) -> Verdict:
    r"""The :class:`Verdict` on ``loss`` after the output ``activation`` (names or objects)."""
    a, lss = get_activation(activation).name, get_loss(loss).name
    problem = pair_problem(a, lss)
    if problem is not None:
        return Verdict("undefined", problem)
    if (a, lss) in FUSED_PAIRS:
        return Verdict("fused", _FUSED_REASON)
    kind, reason = PAIR_ADVICE[(a, lss)]
    return Verdict(kind, reason)


# -- numbers ---------------------------------------------------------------------------------


def scaled_error(a, b) -> float:
    r"""The largest difference relative to the largest entry,
    :math:`\max_{k} |a_k - b_k| \,/\, \max(\max_k |a_k|, \max_k |b_k|, 10^{-300})`.

    Unlike an entry-by-entry relative error, an entry that is 0 in one array and rounding
    noise in the other (a dead unit, a target of 0) does not count as a 100 % error.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}.")
    if a.size == 0:
        return 0.0
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), 1e-300)
    return float(np.max(np.abs(a - b)) / scale)


def probe_network(activation, loss, S) -> tuple[Network, np.ndarray]:
    r"""A one-layer network whose pre-activations are ``S`` (shape ``(B, n)``), and its input.

    The input is the identity :math:`X = I_B` and the layer has :math:`W = S`, :math:`b = 0`,
    so :math:`s = X W + b = S` row by row. Then
    :math:`\partial E/\partial W = X^\top \delta = \delta`: the library's weight gradient and
    its central differences (:func:`~backprop_lib.numerical_gradient`) are the output delta
    itself. Raises ``ValueError`` with the library's reason for an undefined pair.
    """
    S = np.asarray(S, dtype=np.float64)
    if S.ndim != 2 or not np.isfinite(S).all():
        raise ValueError(
            f"probe_network: S must be a finite 2-D array (batch, n) of pre-activations; got "
            f"shape {S.shape}."
        )
    check_pair(activation, loss)
    layer = Dense.from_arrays(S, np.zeros(S.shape[1]), activation)
    return Network([layer], loss), np.eye(S.shape[0])


@lru_cache(maxsize=None)
def _delta_functions(activation: str, loss: str, n: int):
    d = derive(activation, loss, n)
    return (
        lambdify_matrix(d.delta, [d.s, d.t]),  # sympy.diff of E(f(s), t), in s and t
        lambdify_matrix(d.delta_textbook, [d.o, d.t]),  # the rendered formula, in o and t
    )


@dataclass(frozen=True)
class PairAgreement:
    r"""The output delta of one pair at the points ``s`` (rows), four ways.

    All arrays have shape ``(B, n)`` and include the library's :math:`1/B` (batch mean).
    ``delta_sympy`` is sympy's :math:`\partial E(f(s), t)/\partial s` (``Derivation.delta``);
    ``delta_textbook`` the rendered formula :math:`\delta_i` at the library's outputs ``o``;
    ``delta_library`` the library's :math:`\delta^L` (``Network.backward``);
    ``delta_numerical`` central differences of the library's loss
    (:func:`~backprop_lib.numerical_gradient`, step ``eps``).
    """

    activation: str
    loss: str
    s: np.ndarray
    t: np.ndarray
    o: np.ndarray
    delta_sympy: np.ndarray
    delta_textbook: np.ndarray
    delta_library: np.ndarray
    delta_numerical: np.ndarray
    #: The floor of :attr:`error_numerical`'s denominator: the size below which a central
    #: difference is rounding noise, :math:`\tau = 10^{-2} \max(1, |E|)\, 10^{-6}/\varepsilon`
    #: (as in :func:`~backprop_lib.gradient_check`). 0 compares without a floor.
    numerical_floor: float = 0.0

    @property
    def error_library(self) -> float:
        """:func:`scaled_error` of the library's delta against sympy's."""
        return scaled_error(self.delta_library, self.delta_sympy)

    @property
    def error_textbook(self) -> float:
        """:func:`scaled_error` of the textbook formula against sympy's derivative."""
        return scaled_error(self.delta_textbook, self.delta_sympy)

    @property
    def error_numerical(self) -> float:
        r""":func:`scaled_error` of central differences against sympy's derivative, with the
        denominator at least :attr:`numerical_floor`.

        Each loss evaluation is rounded to about :math:`10^{-16}|E|`, so a central difference
        with step :math:`\varepsilon` carries an absolute error of about
        :math:`10^{-16}|E|/\varepsilon` whatever δ is. Where δ is tiny (tanh with squared
        error at :math:`s = \pm 6`: :math:`|\delta| \approx 2 \cdot 10^{-5}`), that noise
        relative to δ exceeds the tolerance although everything is right; measured against
        the floor it stays below :math:`10^{-7}`, and a wrong δ of any size above the floor
        still shows in full."""
        a = np.asarray(self.delta_numerical, dtype=np.float64)
        b = np.asarray(self.delta_sympy, dtype=np.float64)
        if a.size == 0:
            return 0.0
        scale = max(
            float(np.max(np.abs(a))), float(np.max(np.abs(b))), self.numerical_floor, 1e-300
        )
        return float(np.max(np.abs(a - b)) / scale)


def pair_agreement(activation, loss, s, t, eps: float = 1e-6) -> PairAgreement:
    r"""Evaluate the output delta of a pair four ways at the points ``s`` with targets ``t``.

    ``s`` and ``t`` have shape ``(B, n)`` (one row per point; a 1-D ``(n,)`` is one point).
    Raises ``ValueError`` with the library's reason for an undefined pair, and the library's
    message for targets the loss refuses (e.g. cross-entropy rows that do not sum to 1).
    """
    a, lss = get_activation(activation).name, get_loss(loss).name
    S = np.atleast_2d(np.asarray(s, dtype=np.float64))
    T = np.atleast_2d(np.asarray(t, dtype=np.float64))
    if S.shape != T.shape:
        raise ValueError(
            f"pair_agreement: s and t must have the same shape (batch, n); got s.shape = "
            f"{S.shape} and t.shape = {T.shape}."
        )
    net, X = probe_network(a, lss, S)
    net.backward(X, T)
    layer = net.layers[0]
    delta_numerical = numerical_gradient(net, X, T, 0, "W", eps=eps)
    from_s, from_o = _delta_functions(a, lss, S.shape[1])
    B = S.shape[0]
    assert layer.o is not None and layer.delta is not None  # stored by net.backward
    return PairAgreement(
        activation=a,
        loss=lss,
        s=S,
        t=T,
        o=layer.o.copy(),
        delta_sympy=from_s(S, T) / B,
        delta_textbook=from_o(layer.o, T) / B,
        delta_library=layer.delta.copy(),
        delta_numerical=delta_numerical,
        numerical_floor=NUMERICAL_FLOOR * max(1.0, abs(net.loss(X, T))) * (1e-6 / eps),
    )


# -- rendering -------------------------------------------------------------------------------


def derivation_latex(derivation: Derivation) -> list[tuple[str, str]]:
    r"""The derivation of one pair as ``(left side, right side)`` LaTeX pairs, in order:
    :math:`E`, :math:`\partial E/\partial o_i`, :math:`\partial o_i/\partial s_j` (and
    :math:`f'(s_i)` for an elementwise activation), :math:`\delta_i`, from the registry."""
    d = derivation
    lines = [
        ("E", get_symbolic_loss(d.loss).latex()),
        (r"\frac{\partial E}{\partial o_i}", d.latex_grad_o()),
        (r"\frac{\partial o_i}{\partial s_j}", d.latex_jacobian()),
    ]
    derivative = d.latex_derivative()
    if derivative is not None:
        lines.append((r"f'(s_i)", derivative))
    delta = d.latex_delta()
    if d.target_constraint is not None:
        delta += rf"\qquad \text{{(with }} {d.latex_constraint()} \text{{)}}"
    lines.append(
        (
            r"\delta_i = \sum_k \frac{\partial E}{\partial o_k}"
            r"\frac{\partial o_k}{\partial s_i}",
            delta,
        )
    )
    return lines


def catalogue_tabs(derivations: Sequence[Derivation]) -> str:
    r"""The catalogue as MyST Markdown: a sphinx-design ``tab-set`` with one tab per loss.

    Each tab states :math:`E` and :math:`\partial E/\partial o_i`, then a table with one row
    per output activation (:math:`\partial o_i/\partial s_j`, :math:`\delta_i`, verdict), then
    the reason for every verdict. Render it with myst-nb's ``markdown_format: myst``.
    """
    by_loss: dict[str, list[Derivation]] = {}
    for d in derivations:
        by_loss.setdefault(d.loss, []).append(d)
    out = ["::::{tab-set}"]
    for loss, group in by_loss.items():
        first = group[0]
        out += [
            f":::{{tab-item}} {loss}",
            f"$E = {get_symbolic_loss(loss).latex()}$, "
            rf"$\quad \dfrac{{\partial E}}{{\partial o_i}} = {first.latex_grad_o()}$",
            "",
            r"| output $f$ | $\partial o_i / \partial s_j$ | $\delta_i$ | verdict |",
            "|---|---|---|---|",
        ]
        reasons = []
        for d in group:
            verdict = pair_verdict(d.activation, d.loss)
            delta = d.latex_delta()
            if d.target_constraint is not None and verdict.kind != "undefined":
                delta += rf" \;\;\text{{if}}\; {d.latex_constraint()}"
            out.append(f"| {d.activation} | ${d.latex_jacobian()}$ | ${delta}$ | {verdict.label} |")
            if verdict.kind != "good":
                reasons.append(f"- **{d.activation}** ({verdict.label}): {verdict.reason}.")
        out += ["", *reasons, ":::"]
    out.append("::::")
    return "\n".join(out)


#: The targets each loss accepts, as the pair explorer's sliders offer them: ``(low, high)``.
T_RANGES = {
    "squared_error": (-2.0, 2.0),
    "sum_squared_error": (-2.0, 2.0),
    "binary_cross_entropy": (0.0, 1.0),
    "cross_entropy": (0.0, 1.0),
}
#: Agreement the explorer calls "agree": exact pieces and central differences.
EXACT_TOLERANCE, NUMERICAL_TOLERANCE = 1e-10, 1e-6
#: :attr:`PairAgreement.numerical_floor` is ``NUMERICAL_FLOOR * max(1, |E|) * (1e-6 / eps)``.
NUMERICAL_FLOOR = 1e-2
