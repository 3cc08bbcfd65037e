r"""The loss/activation pairs: verdicts, numeric agreement, the catalogue and the pair explorer.

For an output activation :math:`o = f(s)` and a loss :math:`E(o, t)` the output delta is

.. math:: \delta_i = \frac{\partial E}{\partial s_i}
          = \sum_k \frac{\partial E}{\partial o_k} \frac{\partial o_k}{\partial s_i} .

Every formula here comes from :mod:`backprop_lib.symbolic` (the derivations) and every number
from ``backprop_lib`` and its symbolic twin; this module only puts them side by side:

- :func:`pair_verdict` says whether a pair is undefined (the library's
  :func:`~backprop_lib.pair_problem`), the fused best choice, a good one, or a poor one, and
  why. The book's *Loss/activation pairs* chapter and ``tests/test_chapter_pairs.py`` give a
  numeric counter-example for every poor choice.
- :func:`pair_agreement` evaluates :math:`\delta` four ways at the same points: sympy's
  derivative, the textbook formula, the library's backward pass and central differences.
- :func:`catalogue_tabs` writes the whole catalogue as MyST Markdown, one tab per loss.
- :class:`PairExplorer` is an ipywidgets panel: pick a loss and an activation, move
  :math:`s` and :math:`t`, and watch the four agree.

``import backprop_lib`` does not import this module (it needs ipywidgets); import it as
``from backprop_lib.widgets.pair_explorer import PairExplorer``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import ipywidgets as widgets
import numpy as np

from ..activations import ACTIVATION_NAMES, get_activation
from ..gradcheck import numerical_gradient
from ..layers import Dense
from ..losses import LOSS_NAMES, get_loss
from ..network import Network
from ..pairs import FUSED_PAIRS, check_pair, pair_problem
from ..symbolic import get_loss as get_symbolic_loss
from ..symbolic.derivation import Derivation, derive
from ..symbolic.numeric import lambdify_matrix

__all__ = [
    "N_UNITS",
    "PAIR_ADVICE",
    "PairAgreement",
    "PairExplorer",
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
#: *Loss/activation pairs* and asserted in ``tests/test_chapter_pairs.py``.
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
        (r"\frac{\partial E}{\partial o_i}", d.latex_dE_do()),
        (r"\frac{\partial o_i}{\partial s_j}", d.latex_jacobian()),
    ]
    if d.latex_derivative() is not None:
        lines.append((r"f'(s_i)", d.latex_derivative()))
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
            rf"$\quad \dfrac{{\partial E}}{{\partial o_i}} = {first.latex_dE_do()}$",
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


def _number(x: float) -> str:
    return f"{x + 0.0:.10g}"


def _matrix_latex(matrix) -> str:
    r"""A 2-D array (a list of rows) as a LaTeX ``pmatrix``, 4 significant digits."""
    rows = [" & ".join(f"{v + 0.0:.4g}" for v in row) for row in matrix]
    return r"\begin{pmatrix}" + r" \\ ".join(rows) + r"\end{pmatrix}"


# -- the widget ------------------------------------------------------------------------------

_T_RANGES = {
    "squared_error": (-2.0, 2.0),
    "sum_squared_error": (-2.0, 2.0),
    "binary_cross_entropy": (0.0, 1.0),
    "cross_entropy": (0.0, 1.0),
}
#: Agreement the explorer calls "agree": exact pieces and central differences.
EXACT_TOLERANCE, NUMERICAL_TOLERANCE = 1e-10, 1e-6
#: :attr:`PairAgreement.numerical_floor` is ``NUMERICAL_FLOOR * max(1, |E|) * (1e-6 / eps)``.
NUMERICAL_FLOOR = 1e-2


class PairExplorer(widgets.VBox):
    r"""Pick a loss and an output activation; see :math:`\delta` derived and checked.

    Controls: ``activation_menu`` and ``loss_menu`` (dropdowns of the library's names),
    ``s_sliders`` and ``t_sliders`` (one per output unit, ``N_UNITS`` of them). Panels:
    ``derivation_panel`` (HTMLMath: the pair's verdict and derivation from the symbolic
    registry, and the chain rule :math:`\delta = \partial E/\partial o \cdot J` in numbers)
    and ``numbers_panel`` (HTML: :math:`\delta` from sympy, the textbook formula, the library
    and central differences, with their :func:`scaled_error`). After every change,
    ``agreement`` holds the :class:`PairAgreement` shown, or ``None`` when nothing can be
    computed (an undefined pair, targets the loss refuses); ``message`` says why.

    For cross-entropy the target row is the sliders' row divided by its sum (it must be a
    probability row); the panel shows the row used.
    """

    def __init__(
        self, activation="softmax", loss="cross_entropy", s=(1.0, -0.5, 0.3), t=(1.0, 0.0, 0.0)
    ):
        activation, loss = get_activation(activation).name, get_loss(loss).name
        for name, values in (("s", s), ("t", t)):
            if len(values) != N_UNITS:
                raise ValueError(
                    f"PairExplorer: {name} must hold {N_UNITS} numbers, one per output unit; "
                    f"got {len(values)}."
                )
        self._busy = True
        menu = dict(layout=widgets.Layout(width="220px"), style={"description_width": "70px"})
        self.activation_menu = widgets.Dropdown(
            options=ACTIVATION_NAMES, value=activation, description="activation", **menu
        )
        self.loss_menu = widgets.Dropdown(
            options=LOSS_NAMES, value=loss, description="loss", **menu
        )
        slider = dict(
            continuous_update=False,
            layout=widgets.Layout(width="225px"),
            style={"description_width": "25px"},
        )
        self.s_sliders = [
            widgets.FloatSlider(
                value=v,
                min=-6.0,
                max=6.0,
                step=0.1,
                readout_format=".1f",
                description=f"s{k + 1}",
                **slider,
            )
            for k, v in enumerate(s)
        ]
        low, high = _T_RANGES[loss]
        self.t_sliders = [
            widgets.FloatSlider(
                value=float(np.clip(v, low, high)),
                min=low,
                max=high,
                step=0.05,
                readout_format=".2f",
                description=f"t{k + 1}",
                **slider,
            )
            for k, v in enumerate(t)
        ]
        self.derivation_panel = widgets.HTMLMath()
        self.numbers_panel = widgets.HTML()
        self.agreement: PairAgreement | None = None
        self.message = ""
        controls = widgets.HBox(
            [
                widgets.VBox([self.activation_menu, self.loss_menu]),
                widgets.VBox(self.s_sliders),
                widgets.VBox(self.t_sliders),
            ]
        )
        super().__init__([controls, self.derivation_panel, self.numbers_panel])
        self.loss_menu.observe(self._loss_changed, names="value")
        for control in (self.activation_menu, *self.s_sliders, *self.t_sliders):
            control.observe(self._changed, names="value")
        self._busy = False
        self.update()

    # -- events ---------------------------------------------------------------------------
    def _changed(self, change) -> None:
        if self._busy:
            return
        value = change["new"]
        if isinstance(value, float) and not np.isfinite(value):
            # refuse it visibly, set the slider back, stay usable
            self._busy = True
            try:
                change["owner"].value = change["old"]
            finally:
                self._busy = False
            self.update()
            self.message = (
                f"Refused: {change['owner'].description} must be a finite number; got "
                f"{value}. It was set back to {change['old']:g}."
            )
            self.numbers_panel.value = (
                '<p class="pair-explorer-message" style="color:#a00000">'
                f"{html.escape(self.message)}</p>" + self.numbers_panel.value
            )
            return
        self.update()

    def _loss_changed(self, change) -> None:
        low, high = _T_RANGES[change["new"]]
        self._busy = True
        try:
            for t_slider in self.t_sliders:
                value = float(np.clip(t_slider.value, low, high))
                # widen first, so that neither bound ever crosses the other
                t_slider.min, t_slider.max = min(low, t_slider.min), max(high, t_slider.max)
                t_slider.value = value
                t_slider.min, t_slider.max = low, high
        finally:
            self._busy = False
        self.update()

    # -- state ----------------------------------------------------------------------------
    @property
    def s(self) -> np.ndarray:
        """The pre-activations set by the sliders, shape ``(1, N_UNITS)``."""
        return np.array([[slider.value for slider in self.s_sliders]])

    @property
    def t(self) -> np.ndarray | None:
        """The target row used, shape ``(1, N_UNITS)``: the sliders' values, divided by their
        sum for cross-entropy (``None`` if that sum is 0)."""
        t = np.array([[slider.value for slider in self.t_sliders]])
        if self.loss_menu.value == "cross_entropy":
            total = t.sum()
            return None if total <= 0.0 else t / total
        return t

    def update(self) -> None:
        """Recompute both panels for the current controls."""
        activation, loss = self.activation_menu.value, self.loss_menu.value
        d = derive(activation, loss, N_UNITS)
        verdict = pair_verdict(activation, loss)
        self.agreement, self.message = None, ""
        if verdict.kind == "undefined":
            try:
                check_pair(activation, loss)
            except ValueError as error:
                self.message = str(error)
        elif self.t is None:
            self.message = (
                "cross_entropy needs a target row that sums to 1: move at least one t slider "
                "above 0."
            )
        else:
            self.agreement = pair_agreement(activation, loss, self.s, self.t)
        self.derivation_panel.value = self._derivation_html(d, verdict)
        self.numbers_panel.value = self._numbers_html()

    # -- panels ---------------------------------------------------------------------------
    def _derivation_html(self, d: Derivation, verdict: Verdict) -> str:
        lines = [rf"{left} &= {right}" for left, right in derivation_latex(d)]
        parts = [
            f"<h4>{html.escape(d.activation)} + {html.escape(d.loss)}</h4>",
            f"<p><b>{html.escape(verdict.label)}</b>: {html.escape(verdict.reason)}.</p>",
            r"$$\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}$$",
        ]
        if self.agreement is not None:
            act, lss = get_activation(d.activation), get_loss(d.loss)
            o, t = self.agreement.o, self.agreement.t
            dE_do, jacobian = lss.gradient(o, t), act.jacobian(self.agreement.s)[0]
            parts.append(
                "<p>At this point, with the library's numbers (one sample, so 1/B = 1):</p>"
                rf"$$\delta = \frac{{\partial E}}{{\partial o}} J = {_matrix_latex(dE_do)}"
                rf"{_matrix_latex(jacobian)} = {_matrix_latex(self.agreement.delta_library)}$$"
            )
        return "\n".join(parts)

    def _numbers_html(self) -> str:
        if self.agreement is None:
            return (
                '<p class="pair-explorer-message" style="color:#a00000">'
                f"<b>Nothing to compute.</b> {html.escape(self.message)}</p>"
            )
        g = self.agreement
        columns = [
            ("s", "s", g.s),
            ("o", "o = f(s)", g.o),
            ("t", "t", g.t),
            ("delta_sympy", "δ sympy", g.delta_sympy),
            ("delta_textbook", "δ formula", g.delta_textbook),
            ("delta_library", "δ library", g.delta_library),
            ("delta_numerical", "δ finite diff.", g.delta_numerical),
        ]
        cell = 'style="padding:2px 6px;text-align:right"'
        head = "".join(f"<th {cell}>{html.escape(title)}</th>" for _, title, _ in columns)
        rows = []
        for k in range(g.s.shape[1]):
            cells = "".join(
                f'<td {cell} data-quantity="{key}" data-unit="{k + 1}">{_number(values[0, k])}</td>'
                for key, _, values in columns
            )
            rows.append(f"<tr><td {cell}>{k + 1}</td>{cells}</tr>")
        errors = [
            ("error_library", "backprop_lib vs sympy", g.error_library, EXACT_TOLERANCE),
            ("error_textbook", "formula above vs sympy", g.error_textbook, EXACT_TOLERANCE),
            (
                "error_numerical",
                "central differences vs sympy",
                g.error_numerical,
                NUMERICAL_TOLERANCE,
            ),
        ]
        items = "".join(
            f'<li>{html.escape(title)}: <span data-quantity="{key}">{value:.3e}</span> '
            f"{'agree' if value <= tolerance else '<b>DISAGREE</b>'} "
            f"(tolerance {tolerance:g})</li>"
            for key, title, value, tolerance in errors
        )
        notes = []
        if g.activation == "relu" and np.any(g.s == 0.0):
            notes.append(
                "<p>relu has a kink at s = 0: the derivative does not exist there. The library "
                "and sympy use 0; central differences see the average of the two slopes.</p>"
            )
        if g.loss == "cross_entropy":
            notes.append(
                "<p>For cross_entropy the target row is the sliders' row divided by its sum.</p>"
            )
        return (
            '<table class="pair-explorer-numbers" style="font-size:85%;'
            'border-collapse:collapse"><thead><tr><th>unit</th>'
            f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            "<p>Largest difference relative to the largest δ:</p>"
            f"<ul>{items}</ul>{''.join(notes)}"
        )
