r"""The pair explorer that computes in the reader's browser: an anywidget.

:class:`PairWidget` shows one (output activation, loss) pair at a time with no kernel:
everything it needs was computed with sympy when the widget was made and travels in its ES module.

- For every pair, the derivation as LaTeX
  (:func:`~backprop_lib.teaching.pair_catalogue.derivation_latex`) and the verdict
  (:func:`~backprop_lib.teaching.pair_catalogue.pair_verdict`), or for an undefined pair the
  library's reason (:func:`~backprop_lib.check_pair`).
- For every valid pair, the numbers as the library computes them, ported to JavaScript
  (``explorer/engine.js``): :math:`o = f(s)` (``ACTIVATIONS[a].forward``) and
  :math:`\delta = \partial E / \partial s` (``outputDelta``: the stable closed forms of
  ``pairs.py`` for the cross-entropy pairs, else the chain rule with :math:`f'` from
  :math:`s`), with :math:`B = 1`.

sympy's own :math:`\delta`, printed to JavaScript (``sympy.printing.jscode``), is the naive
formula: it loses digits where a unit saturates (tanh with a squared error: relative error
:math:`2 \cdot 10^{-12}` at :math:`|s| = 6`, :math:`10^{-8}` at 10; sigmoid or softmax with
binary cross-entropy: NaN at :math:`|s| = 36.75`), so the page does not evaluate it. The
tests check the page's :math:`\delta` against sympy's :math:`\delta` evaluated in 50-digit
arithmetic, for every valid pair at :math:`|s|` up to 40.

In the browser the dropdowns swap the pair, the sliders move the point :math:`s` and the
target :math:`t` (for cross-entropy the sliders are coupled so that :math:`\sum t = 1`, and a
row set from Python is divided by its sum, shown on the sliders with a note), and the page computes
:math:`\delta` and, independently, central differences of the loss as the library computes it
(``outputLoss`` of ``explorer/engine.js``; step ``1e-6``), and shows their agreement with the
same tolerance and rounding floor as
:class:`~backprop_lib.teaching.pair_catalogue.PairAgreement`.

Test hook: ``window.backpropPairExplorers[k].state()`` (activation, loss, s, t, o, delta,
delta_fd, error, agree, message).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import anywidget
import numpy as np
import traitlets

from .._validate import describe
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
from .explorer.tables import engine_source

_VIEW = Path(__file__).with_name("pair_explorer.js")


def esm_source() -> str:
    """The widget's ES module: the engine, the sympy-generated pairs, the view.

    The engine (:func:`~backprop_lib.widgets.explorer.tables.engine_source`: its activation
    and loss tables printed from the sympy side, then ``explorer/engine.js``) is the
    weight-update explorer's float64 port of the library's losses (``outputLoss``, with the
    stable forms of ``pairs.py``): the central differences differentiate it, as
    :func:`~backprop_lib.teaching.pair_catalogue.pair_agreement` differentiates the library's
    loss."""
    return "\n".join((engine_source(), pair_module(), _VIEW.read_text(encoding="utf-8")))


@lru_cache(maxsize=None)
def pair_module() -> str:
    r"""The JavaScript of every pair, built with sympy: ``const PAIRS = {"act|loss": {...}}``
    with ``data``: ``label``, ``reason``, ``latex`` (pairs of LaTeX) and ``problem`` (the
    library's message, or ``""`` for a valid pair). The numbers are the engine's."""
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
            entries.append(f"  {json.dumps(f'{a}|{loss}')}: {{ data: {json.dumps(data)} }},")
    header = (
        "// Generated at build time by backprop_lib/widgets/pair_live.py: for each pair, "
        "sympy's\n// derivation (LaTeX), the verdict and the library's reason for an undefined "
        "pair.\n"
    )
    constants = (
        f"const N_UNITS = {N_UNITS};\n"
        f"const NUMERICAL_TOLERANCE = {NUMERICAL_TOLERANCE!r};\n"
        f"const NUMERICAL_FLOOR = {NUMERICAL_FLOOR!r};\n"
        f"const T_RANGES = {json.dumps({k: list(v) for k, v in _T_RANGES.items()})};\n"
    )
    return header + constants + "const PAIRS = {\n" + "\n".join(entries) + "\n};\n"


# On a phone (390 px: a 358 px column) the derivation and the table fit the column (issue 21:
# they were cut off on the right): the maths smaller (MathJax scales it to 126 % of the
# text), the table at 72 % (10.4 px) with narrower cells and wrapping headers. A wider
# derivation still scrolls inside its own box.
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
.bp-pairs th { white-space: normal; }
@media (max-width: 600px) {
  .bp-pairs .bp-tex mjx-container { font-size: 92% !important; }
  .bp-pairs table { font-size: 72%; }
  .bp-pairs td, .bp-pairs th { padding: 2px 3px; }
}
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
        activation, loss = _activation_name(activation), _loss_name(loss)
        super().__init__(
            _esm=esm_source(),
            activation=activation,
            loss=loss,
            s=_check_row(s, "s"),
            t=_check_row(t, "t"),
            activation_names=list(ACTIVATION_NAMES),
            loss_names=list(LOSS_NAMES),
        )

    # Values set from Python after construction pass the same checks (a refused value raises
    # traitlets.TraitError with the message and leaves the widget unchanged).
    @traitlets.validate("activation")
    def _valid_activation(self, proposal):
        return _as_trait_error(_activation_name, proposal["value"])

    @traitlets.validate("loss")
    def _valid_loss(self, proposal):
        return _as_trait_error(_loss_name, proposal["value"])

    @traitlets.validate("s")
    def _valid_s(self, proposal):
        return _as_trait_error(_check_row, proposal["value"], "s")

    @traitlets.validate("t")
    def _valid_t(self, proposal):
        return _as_trait_error(_check_row, proposal["value"], "t")


#: The largest ``|s|`` the widget accepts: its sliders span [-6, 6]; beyond 50 the page's central
#: differences (step 1e-6) would lose the digits they check with.
S_LIMIT = 50.0


def _activation_name(value) -> str:
    from ..activations import get_activation

    return get_activation(value).name


def _loss_name(value) -> str:
    from ..losses import get_loss

    return get_loss(value).name


def _check_row(row, name: str) -> list[float]:
    """``row`` as a list of ``N_UNITS`` finite floats (``s`` also within ``S_LIMIT``), else
    ``TypeError``/``ValueError`` naming ``name``, what was given and what is valid."""
    import numbers

    valid = f"{N_UNITS} finite real numbers, one per output unit" + (
        f", each in [-{S_LIMIT:g}, {S_LIMIT:g}]" if name == "s" else ""
    )
    if isinstance(row, (str, bytes)) or not hasattr(row, "__len__"):
        raise TypeError(f"PairWidget: {name} must hold {valid}; got {describe(row)}.")
    if len(row) != N_UNITS:
        raise ValueError(f"PairWidget: {name} must hold {valid}; got {len(row)}: {describe(row)}.")
    if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in row):
        raise TypeError(f"PairWidget: {name} must hold {valid}; got {describe(row)}.")
    try:
        with np.errstate(all="ignore"):  # np.longdouble(10)**400 -> inf: refused below
            values = [float(v) for v in row]
    except OverflowError:  # an int beyond float64
        values = [float("inf")]
    limit = S_LIMIT if name == "s" else float("inf")
    if not all(abs(v) <= limit and abs(v) < float("inf") for v in values):
        raise ValueError(f"PairWidget: {name} must hold {valid}; got {describe(row)}.")
    return values


def _as_trait_error(check, *args):
    try:
        return check(*args)
    except (TypeError, ValueError) as error:
        raise traitlets.TraitError(str(error)) from None
