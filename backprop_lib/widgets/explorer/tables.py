r"""The browser engine's elementwise tables, printed from the sympy side when a widget is built.

``engine.js`` computes with three tables it does not define: ``ELEMENTWISE`` ($f(s)$ and
$f'(s)$ of each elementwise activation), ``UNIT_LOSSES`` (the term of one unit in the
per-sample loss and its $\partial E/\partial o_k$) and ``FUSED_DELTAS`` ($\delta_i$ of each
fused pair, $o_i - t_i$, from :func:`~backprop_lib.symbolic.derivation.derive`).
:func:`engine_tables` prints them from :mod:`backprop_lib.symbolic.functions` and
:mod:`~backprop_lib.symbolic.derivation` with :mod:`backprop_lib.symbolic.javascript` (sympy's
``JavascriptCodePrinter``), and :func:`engine_source` puts them before ``engine.js``: the ES
module every explorer's widget sends to the browser (``live.py``, ``pair_live.py``,
``paths_live.py``), as the pair explorer's derivations are made when its widget is.

An activation or a loss is defined once, on the sympy side. Where sympy's form, printed as it
is, computes a wrong number in float64, the table holds instead a stable form hand-written in
``engine.js`` (:data:`HAND_WRITTEN`) or another entry's printed form that sympy proves equal
(:data:`SAME_AS`); each names a point ``s`` where the printed form is wrong, and
``tests/test_engine_tables.py`` checks that it is wrong there and the replacement right. An
activation of a whole row (:data:`ROW_WISE`: softmax, shifted by its maximum) is
hand-written. So are the cross-entropy pairs' losses from ``s`` and the δ of the three that are
not fused (``CLOSED_FORMS`` in ``engine.js``, as ``backprop_lib/pairs.py``): sympy's forms of
those, printed as they are, lose their digits or are NaN where a unit saturates
(``pair_live.py``); ``tests/test_pair_live.py`` checks the page's δ against sympy's at 50
digits.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

_ENGINE = Path(__file__).with_name("engine.js")


class HandWritten(NamedTuple):
    """A function of ``engine.js`` that replaces sympy's printed form of one entry."""

    function: str  # its name in engine.js
    witness: float  # an s where sympy's form, printed as it is, is wrong in float64
    reason: str


class SameAs(NamedTuple):
    """Another entry's printed form, which sympy proves equal to this one's, printed instead."""

    activation: str
    part: str  # "value" or "derivative"
    witness: float  # an s where this entry's own form, printed as it is, is wrong in float64
    reason: str


#: ``(activation, "value" | "derivative")`` -> the engine's stable form (a function of
#: ``engine.js``), and why sympy's printed form cannot be used.
HAND_WRITTEN: dict[tuple[str, str], HandWritten] = {
    ("sigmoid", "derivative"): HandWritten(
        "sigmoidPrime",
        -400.0,
        "sympy's e^{-s}/(1 + e^{-s})^2 is 0 below s = -355 and NaN below s = -709 (inf/inf); "
        "the library's e/(1 + e)^2 with e = e^{-|s|} is exact",
    ),
    ("tanh", "derivative"): HandWritten(
        "tanhPrime",
        15.0,
        "sympy's 1 - tanh(s)^2 loses its digits where tanh(s) rounds towards +-1 (relative "
        "error 3e-7 at s = 12, 2e-4 at 15, 0.8 at 19, and 0 from 19.1 on); the library's "
        "(2e/(1 + e^2))^2 with e = e^{-|s|} is exact",
    ),
    ("softplus", "value"): HandWritten(
        "softplus",
        800.0,
        "ln(1 + e^s) is inf above s = 709 (e^s overflows); the library's np.logaddexp(0, s)",
    ),
}

#: ``(activation, part)`` -> the entry whose printed form is printed instead: sympy proves the
#: two expressions equal when the table is printed.
SAME_AS: dict[tuple[str, str], SameAs] = {
    ("softplus", "derivative"): SameAs(
        "sigmoid",
        "value",
        800.0,
        "sympy's e^s/(e^s + 1) is NaN above s = 709 (inf/inf); it is the sigmoid "
        "1/(1 + e^{-s}), as the library computes it",
    ),
}

#: Activations of a whole row, hand-written in ``engine.js`` (``ROW_ACTIVATIONS``): softmax is
#: computed after subtracting the row's maximum (e^{s_i} overflows above 709) and its backward
#: pass in the library's form, exact where it saturates.
ROW_WISE: tuple[str, ...] = ("softmax",)


_PARTS = ("value", "derivative")


def _expression(name: str, part: str):
    """The sympy side's f(s) or f'(s) (``sympy.diff``) of an elementwise activation."""
    from ...symbolic import functions as symbolic
    from ...symbolic.javascript import S_

    act = symbolic.ACTIVATIONS[name]
    return act.scalar(S_) if part == "value" else act.derivative(S_)


def _entry(name: str, part: str) -> str:
    """The JavaScript of one entry: a hand-written function's name, or a printed function."""
    import sympy as sp

    from ...symbolic.javascript import S_, javascript

    if (name, part) in HAND_WRITTEN:
        return HAND_WRITTEN[name, part].function
    source = name, part
    if (name, part) in SAME_AS:
        same = SAME_AS[name, part]
        source = same.activation, same.part
        difference = sp.simplify(_expression(name, part) - _expression(*source))
        if difference != 0:
            raise ValueError(
                f"SAME_AS[{(name, part)}]: sympy does not prove it equal to {source} "
                f"(their difference simplifies to {difference})."
            )
    what = {"value": "f(s)", "derivative": "f'(s)"}[source[1]] + f" of activation {source[0]!r}"
    return javascript(_expression(*source), [S_], what)


def _engine_text() -> str:
    return _ENGINE.read_text(encoding="utf-8")


def _defines(engine: str, function: str) -> bool:
    return re.search(rf"^(export )?function {re.escape(function)}\(", engine, re.M) is not None


@lru_cache(maxsize=None)
def engine_tables() -> str:
    """The JavaScript of ``ELEMENTWISE``, ``UNIT_LOSSES`` and ``FUSED_DELTAS``, printed from
    the sympy side.

    Raises ``ValueError`` naming the activation or loss when one of the library's has no
    JavaScript form: not on the sympy side, an expression JavaScript cannot compute, a whole
    row without a hand-written form, or a hand-written form ``engine.js`` does not define.
    """
    from ...activations import ACTIVATION_NAMES as LIBRARY_ACTIVATIONS
    from ...losses import LOSS_NAMES as LIBRARY_LOSSES
    from ...symbolic import functions as symbolic
    from ...symbolic.derivation import FUSED_PAIRS, derive, generic_symbols
    from ...symbolic.javascript import O_, T_, JavaScriptFormError, javascript, loss_javascript

    engine = _engine_text()
    how = (
        "give it a JavaScript form: an expression sympy's JavascriptCodePrinter prints, or a "
        "stable form in backprop_lib/widgets/explorer/engine.js named in HAND_WRITTEN (or, for "
        "a whole row, ROW_WISE) of backprop_lib/widgets/explorer/tables.py"
    )
    missing = [n for n in LIBRARY_ACTIVATIONS if n not in symbolic.ACTIVATIONS]
    missing += [n for n in LIBRARY_LOSSES if n not in symbolic.LOSSES]
    if missing:
        raise ValueError(
            f"the browser engine is printed from the sympy side, which has no {missing}: add "
            "them to backprop_lib/symbolic/functions.py."
        )
    for (name, part), hand in HAND_WRITTEN.items():
        if name not in symbolic.ACTIVATIONS or part not in _PARTS:
            raise ValueError(f"HAND_WRITTEN names {(name, part)}, not an activation's part.")
        if not _defines(engine, hand.function):
            raise ValueError(
                f"HAND_WRITTEN[{(name, part)}] names {hand.function}(), which engine.js does not "
                "define."
            )
    lines = [
        "// -- Printed from the sympy side (backprop_lib/symbolic/functions.py) when the widget",
        "// is built (backprop_lib/widgets/explorer/tables.py): do not edit. A name instead of a",
        "// function is engine.js's stable form (HAND_WRITTEN in tables.py says why); SAME_AS",
        "// marks a form printed from another entry that sympy proves equal. -------------------",
        "// f(s) and f'(s) (sympy.diff) of each elementwise activation.",
        "export const ELEMENTWISE = {",
    ]
    for name, act in symbolic.ACTIVATIONS.items():
        if not act.elementwise:
            if name not in ROW_WISE or not re.search(rf"^  {name}: {{", engine, re.M):
                raise ValueError(
                    f"activation {name!r} of the sympy side acts on a whole row and engine.js "
                    f"has no hand-written form of it in ROW_ACTIVATIONS: {how}."
                )
            continue
        try:
            parts = {part: _entry(name, part) for part in _PARTS}
        except JavaScriptFormError as err:
            raise ValueError(f"activation {name!r} has no JavaScript form: {err} {how}.") from None
        notes = [f"{part}: HAND_WRITTEN" for part in _PARTS if (name, part) in HAND_WRITTEN]
        notes += [
            f"{part}: SAME_AS {SAME_AS[name, part].activation} {SAME_AS[name, part].part}"
            for part in _PARTS
            if (name, part) in SAME_AS
        ]
        note = f" // {'; '.join(notes)}" if notes else ""
        lines.append(
            f"  {name}: {{ value: {parts['value']}, derivative: {parts['derivative']} }},{note}"
        )
    lines += [
        "};",
        "// The term of one unit in the per-sample loss, E = sum_k term(o_k, t_k), and its",
        "// dE/do_k (without the 1/B of the batch mean).",
        "export const UNIT_LOSSES = {",
    ]
    for name in symbolic.LOSSES:
        try:
            term, gradient = loss_javascript(name)
        except JavaScriptFormError as err:
            raise ValueError(f"loss {name!r} has no JavaScript form: {err}") from None
        lines.append(f"  {name}: {{ term: {term}, gradient: {gradient} }},")
    lines += [
        "};",
        "// delta_i of each fused pair (FUSED_PAIRS of the sympy side), from sympy's derivation,",
        "// a function of (o_i, t_i) (without the 1/B).",
        "export const FUSED_DELTAS = {",
    ]
    for activation, loss in sorted(FUSED_PAIRS):
        key = f"{activation}|{loss}"
        if not re.search(rf'^  "{re.escape(key)}": {{$', engine, re.M):
            raise ValueError(
                f"the fused pair {key} of the sympy side has no closed form in engine.js's "
                "CLOSED_FORMS (its loss from s)."
            )
        g = generic_symbols()  # sympy's delta_i is written with o[i], t[i]
        unit = {g["o"][g["i"]]: O_, g["t"][g["i"]]: T_}
        fused = derive(activation, loss).delta_i.xreplace(unit)
        try:
            code = javascript(fused, [O_, T_], f"delta of the fused pair {key}")
        except JavaScriptFormError as err:
            raise ValueError(f"the fused pair {key} has no JavaScript form: {err}") from None
        lines.append(f"  {json.dumps(key)}: {code},")
    lines += ["};", ""]
    return "\n".join(lines)


def engine_source() -> str:
    """The engine as the browser gets it: :func:`engine_tables`, then ``engine.js``."""
    return engine_tables() + "\n" + _engine_text()
