r"""The browser engine's activation and loss tables, printed from the sympy side
(``backprop_lib/widgets/explorer/tables.py``, ``backprop_lib/symbolic/javascript.py``).

- Every entry of ``ELEMENTWISE`` and ``UNIT_LOSSES``, run by node, equals the sympy side's
  expression evaluated by mpmath at 50 digits (``sympy.lambdify``: an independent evaluation
  of the same definition).
- Each hand-written form (``HAND_WRITTEN``) is needed: at its witness point sympy's form,
  printed as it is, is wrong in float64, and the engine's form is right.
- An activation the engine cannot compute fails clearly when the widget is built: one
  JavaScript has no function for, one of a whole row without a hand-written form, one the
  sympy side lacks; a printable new activation needs nothing more.
"""

from __future__ import annotations

import json
import subprocess

import mpmath
import pytest
import sympy as sp
from test_explorer_live import engine_module

from backprop_lib.symbolic import functions as symbolic
from backprop_lib.symbolic.derivation import FUSED_PAIRS
from backprop_lib.symbolic.functions import LOSSES, SymbolicActivation
from backprop_lib.symbolic.javascript import (
    JavaScriptFormError,
    activation_javascript,
    javascript,
    loss_javascript,
)
from backprop_lib.widgets.explorer import tables
from backprop_lib.widgets.explorer.tables import HAND_WRITTEN, ROW_WISE, SAME_AS, engine_tables

s, o, t = sp.symbols("s o t", real=True)

#: Points of s (off 0, where relu has no derivative) and (o, t) pairs inside each loss's domain.
S_POINTS = [-30.0, -7.5, -2.25, -0.6, -0.01, 0.003, 0.4, 1.7, 5.0, 13.0, 30.0]
OT_POINTS = [(0.02, 0.0), (0.3, 0.9), (0.55, 0.25), (0.97, 1.0), (0.5, 0.5)]

TABLES_DRIVER = """
import * as E from %s;
const s = %s, ot = %s;
const out = { act: {}, loss: {} };
for (const [name, f] of Object.entries(E.ELEMENTWISE)) {
  out.act[name] = { value: s.map(f.value), derivative: s.map(f.derivative) };
}
for (const [name, f] of Object.entries(E.UNIT_LOSSES)) {
  out.loss[name] = {
    term: ot.map(([o, t]) => f.term(o, t)),
    gradient: ot.map(([o, t]) => f.gradient(o, t)),
  };
}
console.log(JSON.stringify(out));
"""


def run_node(node, tmp_path, source: str):
    driver = tmp_path / "driver.mjs"
    driver.write_text(source, encoding="utf-8")
    result = subprocess.run([node, str(driver)], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def exact(expr, args, values) -> mpmath.mpf:
    """``expr`` at ``values``, evaluated by mpmath at 50 digits (sympy's lambdify)."""
    with mpmath.workdps(50):
        f = sp.lambdify(args, expr, "mpmath")
        return f(*[mpmath.mpf(v) for v in values])


def relative_error(got: float, want) -> float:
    if got is None:  # JSON's NaN/inf arrive as null
        return float("inf")
    if want == 0:
        return abs(got)
    return float(abs((mpmath.mpf(got) - want) / want))


def test_the_tables_hold_every_activation_and_loss_of_the_sympy_side():
    js = engine_tables()
    for name, act in symbolic.ACTIVATIONS.items():
        if act.elementwise:
            assert f"\n  {name}: {{ value: " in js, name
        else:
            assert name in ROW_WISE, name
    for name in LOSSES:
        assert f"\n  {name}: {{ term: " in js, name


def test_every_entry_is_the_sympy_sides_expression(tmp_path, node):
    source = TABLES_DRIVER % (engine_module(tmp_path), json.dumps(S_POINTS), json.dumps(OT_POINTS))
    out = run_node(node, tmp_path, source)
    checked = 0
    for name, act in symbolic.ACTIVATIONS.items():
        if not act.elementwise:
            continue
        for part, expr in (("value", act.scalar(s)), ("derivative", act.derivative(s))):
            for v, got in zip(S_POINTS, out["act"][name][part], strict=True):
                want = exact(expr, [s], [v])
                assert relative_error(got, want) < 1e-14, (name, part, v, got, float(want))
                checked += 1
    for name, loss in LOSSES.items():
        for part, expr in (("term", loss.term(o, t)), ("gradient", sp.diff(loss.term(o, t), o))):
            for (ov, tv), got in zip(OT_POINTS, out["loss"][name][part], strict=True):
                want = exact(expr, [o, t], [ov, tv])
                assert abs(got - want) <= 1e-14 * max(1, abs(want)), (name, part, ov, tv, got)
                checked += 1
    elementwise = sum(act.elementwise for act in symbolic.ACTIVATIONS.values())
    assert checked == 2 * len(S_POINTS) * elementwise + 2 * len(OT_POINTS) * len(LOSSES)


def test_the_printed_forms_are_sympys():
    assert activation_javascript("tanh") == (
        "(s) => Math.tanh(s)",
        "(s) => 1 - Math.pow(Math.tanh(s), 2)",
    )
    assert activation_javascript("relu") == ("(s) => (s > 0 ? s : 0)", "(s) => (s > 0 ? 1 : 0)")
    # ln(1 - o) as Math.log1p(-o), as the library's np.log1p(-o)
    assert loss_javascript("binary_cross_entropy")[0] == (
        "(o, t) => -t*Math.log(o) - (1 - t)*Math.log1p(-o)"
    )
    assert "(s) => (s > 0 ? s : 0)" in engine_tables()
    # the fused pairs' delta_i, sympy's derivation: o_i - t_i
    for activation, loss in FUSED_PAIRS:
        assert f'\n  "{activation}|{loss}": (o, t) => o - t,' in engine_tables()
    with pytest.raises(JavaScriptFormError, match="whole row"):
        activation_javascript("softmax")
    with pytest.raises(JavaScriptFormError, match="holds t"):
        javascript(s + t, [s])


WITNESS_DRIVER = """
import * as E from %s;
const cases = %s;
console.log(JSON.stringify(cases.map(([printed, hand, v]) => {
  const naive = eval(printed);
  return [naive(v), E.ELEMENTWISE[hand[0]][hand[1]](v)];
})));
"""


def test_each_replaced_form_is_needed(tmp_path, node):
    """At each witness s, sympy's form printed as it is is wrong (relative error above 1e-6,
    or not finite) and the engine's entry (hand-written, or printed from an entry sympy
    proves equal) is right (below 1e-15), against mpmath at 50 digits."""
    cases, wants = [], []
    for (name, part), replaced in {**HAND_WRITTEN, **SAME_AS}.items():
        act = symbolic.ACTIVATIONS[name]
        value, derivative = activation_javascript(name)
        printed = value if part == "value" else derivative
        cases.append([printed, [name, part], replaced.witness])
        expr = act.scalar(s) if part == "value" else act.derivative(s)
        wants.append(exact(expr, [s], [replaced.witness]))
    assert len(cases) == 4
    source = WITNESS_DRIVER % (engine_module(tmp_path), json.dumps(cases))
    out = run_node(node, tmp_path, source)
    for (printed, where, v), want, (naive, engine) in zip(cases, wants, out, strict=True):
        assert relative_error(naive, want) > 1e-6, (where, v, printed, naive, float(want))
        assert relative_error(engine, want) < 1e-15, (where, v, engine, float(want))


@pytest.fixture
def sympy_side(monkeypatch):
    """The sympy side's activation list, to add to or remove from; the tables printed again."""
    registry = dict(symbolic.ACTIVATIONS)
    monkeypatch.setattr(symbolic, "ACTIVATIONS", registry)
    engine_tables.cache_clear()
    yield registry
    engine_tables.cache_clear()


def _elementwise(name, f):
    return SymbolicActivation(name, True, sp.Reals, f, None, None)


def test_an_activation_javascript_cannot_compute_fails_clearly(sympy_side):
    sympy_side["gelu"] = _elementwise("gelu", lambda v: v * (1 + sp.erf(v / sp.sqrt(2))) / 2)
    with pytest.raises(ValueError, match=r"activation 'gelu' has no JavaScript form: .*erf") as err:
        engine_tables()
    assert "HAND_WRITTEN" in str(err.value)


def test_a_whole_row_activation_without_a_hand_written_form_fails_clearly(sympy_side):
    sympy_side["sparsemax"] = SymbolicActivation(
        "sparsemax", False, sp.Interval(0, 1), None, lambda row: row, None
    )
    with pytest.raises(ValueError, match=r"'sparsemax' .* whole row .* ROW_WISE"):
        engine_tables()


def test_an_activation_missing_on_the_sympy_side_fails_clearly(sympy_side):
    del sympy_side["tanh"]
    with pytest.raises(ValueError, match=r"sympy side, which has no \['tanh'\]"):
        engine_tables()


def test_a_hand_written_form_engine_js_lacks_fails_clearly(sympy_side, monkeypatch):
    hand = dict(HAND_WRITTEN)
    hand["tanh", "derivative"] = hand["tanh", "derivative"]._replace(function="tanhDash")
    monkeypatch.setattr(tables, "HAND_WRITTEN", hand)
    with pytest.raises(ValueError, match=r"tanhDash\(\), which engine.js does not define"):
        engine_tables()


def test_a_printable_new_activation_needs_nothing_more(sympy_side, tmp_path, node):
    sympy_side["swish"] = _elementwise("swish", lambda v: v / (1 + sp.exp(-v)))
    assert "\n  swish: { value: (s) => s/(1 + Math.exp(-s)), derivative: " in engine_tables()
    source = (
        f"import * as E from {engine_module(tmp_path)};\n"
        "const a = E.ACTIVATIONS.swish;\n"
        "console.log(JSON.stringify([a.forward([1.5]), a.backward([1.5], null, [2.0])]));\n"
    )
    (forward,), (backward,) = run_node(node, tmp_path, source)
    f = sympy_side["swish"]
    assert relative_error(forward, exact(f.scalar(s), [s], [1.5])) < 1e-15
    assert relative_error(backward, 2 * exact(f.derivative(s), [s], [1.5])) < 1e-15


def test_a_same_as_sympy_does_not_prove_fails_clearly(sympy_side, monkeypatch):
    same = dict(SAME_AS)
    same["tanh", "value"] = SAME_AS["softplus", "derivative"]  # tanh(s) is not sigma(s)
    monkeypatch.setattr(tables, "SAME_AS", same)
    with pytest.raises(
        ValueError, match=r"sympy does not prove it equal to \('sigmoid', 'value'\)"
    ):
        engine_tables()


def test_a_fused_pair_without_a_closed_form_in_the_engine_fails_clearly(sympy_side, monkeypatch):
    from backprop_lib.symbolic import derivation

    monkeypatch.setattr(derivation, "FUSED_PAIRS", FUSED_PAIRS | {("linear", "squared_error")})
    with pytest.raises(ValueError, match=r"fused pair linear\|squared_error .* no closed form"):
        engine_tables()
