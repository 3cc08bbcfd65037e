r"""The pair explorer that computes in the reader's browser: an anywidget.

:class:`PairWidget` shows one (output activation, loss) pair at a time, like
:class:`~backprop_lib.widgets.pair_explorer.PairExplorer`, but with no kernel: everything it needs
was computed with sympy when the widget was made and travels in its ES module.

- For every pair, the derivation as LaTeX
  (:func:`~backprop_lib.widgets.pair_explorer.derivation_latex`) and the verdict
  (:func:`~backprop_lib.widgets.pair_explorer.pair_verdict`), or for an undefined pair the
  library's reason (:func:`~backprop_lib.check_pair`).
- For every valid pair, three JavaScript functions printed by ``sympy.printing.jscode``
  from the derivation: the outputs :math:`o = f(s)`, the loss :math:`E(f(s), t)` and the
  sympy-derived :math:`\delta = \partial E / \partial s` (``Derivation.delta``, before any
  simplification by hand), with :math:`B = 1`.

In the browser the dropdowns swap the pair, the sliders move the point :math:`s` and the
target :math:`t` (for cross-entropy the row is divided by its sum), and the page computes
:math:`\delta` from the sympy-derived function and, independently, central differences of
the loss as the library computes it (``outputLoss`` of ``explorer/engine.js``, the
library's stable forms ported to JavaScript; step ``1e-6``), and shows their agreement with
the same tolerance and rounding floor as :class:`~backprop_lib.widgets.pair_explorer.PairAgreement`.
(Central differences of sympy's own :math:`E` would lose digits where a softmax saturates:
:math:`\ln(1 - o)` with :math:`o` within :math:`10^{-5}` of 1.)

Test hook: ``window.backpropPairExplorers[k].state()`` (activation, loss, s, t, o, delta,
delta_fd, error, agree, message).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import anywidget
import sympy as sp
import traitlets

from ..activations import ACTIVATION_NAMES
from ..losses import LOSS_NAMES
from ..pairs import check_pair
from ..symbolic.derivation import derive
from ..teaching.pair_catalogue import (
    N_UNITS,
    NUMERICAL_FLOOR,
    NUMERICAL_TOLERANCE,
    derivation_latex,
    pair_verdict,
)
from ..teaching.pair_catalogue import T_RANGES as _T_RANGES

_VIEW = Path(__file__).with_name("pair_explorer.js")
#: The weight-update explorer's float64 port of the library's losses (``outputLoss``, with
#: the stable forms of ``pairs.py``): the central differences differentiate it, as
#: :func:`~backprop_lib.widgets.pair_explorer.pair_agreement` differentiates the library's loss.
_ENGINE = Path(__file__).parent / "explorer" / "engine.js"


def esm_source() -> str:
    """The widget's ES module: the engine, the sympy-generated pairs, the view."""
    return "\n".join(
        (_ENGINE.read_text(encoding="utf-8"), pair_module(), _VIEW.read_text(encoding="utf-8"))
    )


def _js(expr, s, t) -> str:
    r"""``expr`` as a JavaScript expression in the arrays ``s`` and ``t`` (0-based)."""
    names = {sym: sp.Symbol(f"s[{k}]") for k, sym in enumerate(s)}
    names.update({sym: sp.Symbol(f"t[{k}]") for k, sym in enumerate(t)})
    return sp.jscode(sp.sympify(expr).xreplace(names))


@lru_cache(maxsize=None)
def pair_module() -> str:
    r"""The JavaScript of every pair, built with sympy: ``const PAIRS = {"act|loss": {...}}``
    with ``label``, ``reason``, ``latex`` (pairs of LaTeX), ``problem`` (the library's
    message, or ``""``) and, for a valid pair, the functions ``o(s)``, ``E(s, t)`` and
    ``delta(s, t)``."""
    entries = []
    for a in ACTIVATION_NAMES:
        for loss in LOSS_NAMES:
            d = derive(a, loss, N_UNITS)
            verdict = pair_verdict(a, loss)
            try:
                check_pair(a, loss)
                problem = ""
            except ValueError as err:
                problem = str(err)
            data = {
                "label": verdict.label,
                "reason": verdict.reason,
                "latex": [list(line) for line in derivation_latex(d)],
                "problem": problem,
            }
            parts = [f"  {json.dumps(f'{a}|{loss}')}: {{"]
            parts.append(f"    data: {json.dumps(data)},")
            if not problem:
                s, t = list(d.s), list(d.t)
                outputs = ", ".join(_js(v, s, t) for v in d.output)
                deltas = ", ".join(_js(v, s, t) for v in d.delta)
                parts.append(f"    o: (s) => [{outputs}],")
                parts.append(f"    E: (s, t) => {_js(d.in_s(d.E), s, t)},")
                parts.append(f"    delta: (s, t) => [{deltas}],")
            parts.append("  },")
            entries.append("\n".join(parts))
    header = (
        "// Generated at build time by backprop_lib/widgets/pair_live.py with "
        "sympy.printing.jscode:\n"
        "// for each pair, o = f(s), E(f(s), t) and delta = dE/ds (sympy.diff), B = 1.\n"
    )
    constants = (
        f"const N_UNITS = {N_UNITS};\n"
        f"const NUMERICAL_TOLERANCE = {NUMERICAL_TOLERANCE!r};\n"
        f"const NUMERICAL_FLOOR = {NUMERICAL_FLOOR!r};\n"
        f"const T_RANGES = {json.dumps({k: list(v) for k, v in _T_RANGES.items()})};\n"
    )
    return header + constants + "const PAIRS = {\n" + "\n".join(entries) + "\n};\n"


_CSS = """
.bp-pairs { font-size: 0.9rem; max-width: 100%; }
.bp-pairs .bp-pair-controls { display: flex; flex-wrap: wrap; gap: 2px 16px; }
.bp-pairs .bp-row { display: flex; align-items: center; gap: 6px; flex: 0 1 260px; }
.bp-pairs .bp-label { flex: 0 0 70px; }
.bp-pairs .bp-row input[type="range"] { flex: 1 1 100px; min-width: 60px; }
.bp-pairs .bp-row select { flex: 1 1 120px; min-width: 0; }
.bp-pairs .bp-row output { flex: 0 0 40px; text-align: right; }
.bp-pairs .bp-message { color: #b00020; }
.bp-pairs .bp-tex { overflow-x: auto; }
.bp-pairs table {
  border-collapse: collapse; font-size: 85%; display: block; max-width: 100%; overflow-x: auto;
}
.bp-pairs td, .bp-pairs th { padding: 2px 6px; text-align: right; }
.bp-pairs .bp-note { font-size: 0.8rem; color: #555; }
"""


class PairWidget(anywidget.AnyWidget):
    r"""The pair explorer in the browser: choose an output activation and a loss; move the
    point :math:`s` and the target :math:`t`; see the derivation, :math:`\delta` from sympy
    and central differences, computed in the page.

    Parameters: ``activation``, ``loss`` (names), ``s`` and ``t`` (``N_UNITS`` numbers each).
    Synced state: ``activation``, ``loss``, ``s``, ``t``, ``message`` (the last refusal).
    """

    _esm = traitlets.Unicode().tag(sync=True)
    _css = traitlets.Unicode(_CSS).tag(sync=True)
    activation = traitlets.Unicode().tag(sync=True)
    loss = traitlets.Unicode().tag(sync=True)
    s = traitlets.List(traitlets.Float()).tag(sync=True)
    t = traitlets.List(traitlets.Float()).tag(sync=True)
    activation_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    loss_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self, activation="softmax", loss="cross_entropy", s=(1.0, -0.5, 0.3), t=(1.0, 0.0, 0.0)
    ):
        from ..activations import get_activation
        from ..losses import get_loss

        activation, loss = get_activation(activation).name, get_loss(loss).name
        values = {}
        for name, row in (("s", s), ("t", t)):
            try:
                row = [float(v) for v in row]
            except (TypeError, ValueError):
                raise TypeError(
                    f"PairWidget: {name} must hold {N_UNITS} real numbers; got {row!r}."
                ) from None
            if len(row) != N_UNITS or not all(abs(v) < float("inf") for v in row):
                raise ValueError(
                    f"PairWidget: {name} must hold {N_UNITS} finite numbers, one per output "
                    f"unit; got {row!r}."
                )
            values[name] = row
        super().__init__(
            _esm=esm_source(),
            activation=activation,
            loss=loss,
            s=values["s"],
            t=values["t"],
            activation_names=list(ACTIVATION_NAMES),
            loss_names=list(LOSS_NAMES),
        )
