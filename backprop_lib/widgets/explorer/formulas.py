r"""The explorer's formula panel: the update rule and the δ recursion as LaTeX, with the
numbers of a :class:`~backprop_lib.widgets.explorer.model.Snapshot` substituted.

Only formatting happens here. Every number is read from the snapshot's terms
(:meth:`Snapshot.update_terms`, :meth:`Snapshot.delta_terms`,
:meth:`Snapshot.output_delta_terms`), which hold the library's values.
"""

from __future__ import annotations

import html

from .model import Parameter, Snapshot, Unit

#: Significant digits shown for every number.
DIGITS = 4

_DERIVATIVE_NAMES = {
    "sigmoid": r"\sigma'",
    "tanh": r"\tanh'",
    "relu": r"\operatorname{relu}'",
    "linear": r"\operatorname{id}'",
}


def number(value: float, digits: int = DIGITS) -> str:
    r"""``value`` with ``digits`` significant digits, as LaTeX (``1.5 \times 10^{-5}``)."""
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def factor(value: float) -> str:
    """``(value)``: a number in parentheses, ready to be multiplied."""
    return f"({number(value)})"


def _o_prev_symbol(layer: int, j: int) -> str:
    return f"x_{{{j}}}" if layer == 1 else f"o^{{{layer - 1}}}_{{{j}}}"


def update_latex(snapshot: Snapshot, p: Parameter) -> str:
    r"""The next step's update of ``p`` with numbers, e.g.
    :math:`\Delta w^2_{12} = -\eta\,\delta^2_2\,o^1_1 = -(0.5)(0.123)(0.456) = \dots`."""
    u = snapshot.update_terms(p)
    d = rf"\delta^{{{p.layer}}}_{{{p.i}}}"
    if p.is_weight:
        o = _o_prev_symbol(p.layer, p.j)
        rule = rf"-\eta\,{d}\,{o}"
        numbers = rf"-{factor(u.lr)}{factor(u.delta)}{factor(u.o_prev)}"
    else:
        rule = rf"-\eta\,{d}"
        numbers = rf"-{factor(u.lr)}{factor(u.delta)}"
    return (
        r"\begin{aligned}"
        rf"\Delta {p.latex} &= {rule} = {numbers} = {number(u.update)} \\"
        rf"{p.latex} &\leftarrow {p.latex} + \Delta {p.latex} = {number(u.value)} + "
        rf"{factor(u.update)} = {number(u.value_next)}"
        r"\end{aligned}"
    )


def hidden_delta_latex(snapshot: Snapshot, unit: Unit) -> str:
    r"""The δ recursion for a hidden unit with numbers:
    :math:`\delta^l_j = f'(s^l_j) \sum_i w^{l+1}_{ji}\,\delta^{l+1}_i = \dots`."""
    d = snapshot.delta_terms(unit)
    layer, j = unit.layer, unit.i
    if d.derivative is not None:
        products = " + ".join(
            f"{factor(w)}{factor(delta)}" for w, delta in zip(d.weights, d.deltas_next, strict=True)
        )
        name = _DERIVATIVE_NAMES.get(d.activation, "f'")
        return (
            r"\begin{aligned}"
            rf"\delta^{{{layer}}}_{{{j}}} &= f'(s^{{{layer}}}_{{{j}}}) \sum_i "
            rf"w^{{{layer + 1}}}_{{{j}i}}\,\delta^{{{layer + 1}}}_i \\"
            rf"&= {name}{factor(d.s)}\,\bigl[{products}\bigr] \\"
            rf"&= {factor(d.derivative)}{factor(d.grad_o)} = {number(d.delta)}"
            r"\end{aligned}"
        )
    products = " + ".join(
        f"{factor(g)}{factor(J)}" for g, J in zip(d.grad_o_row, d.jacobian_column, strict=True)
    )
    return (
        r"\begin{aligned}"
        rf"\delta^{{{layer}}}_{{{j}}} &= \sum_k \frac{{\partial E}}{{\partial o^{{{layer}}}_k}}"
        rf"\,\frac{{\partial o^{{{layer}}}_k}}{{\partial s^{{{layer}}}_{{{j}}}}}, \quad "
        rf"\frac{{\partial E}}{{\partial o^{{{layer}}}_k}} = \sum_i w^{{{layer + 1}}}_{{ki}}"
        rf"\,\delta^{{{layer + 1}}}_i \quad \text{{(softmax: not elementwise)}} \\"
        rf"&= {products} = {number(d.delta)}"
        r"\end{aligned}"
    )


def output_delta_latex(snapshot: Snapshot, unit: Unit) -> str:
    r"""The output delta with numbers: :math:`(o_i - t_i)/B` for the fused pairs,
    :math:`\partial E/\partial o_i \cdot f'(s_i)` for the other elementwise ones."""
    d = snapshot.output_delta_terms(unit)
    L, i = unit.layer, unit.i
    delta = rf"\delta^{{{L}}}_{{{i}}}"
    if d.fused:
        return (
            rf"{delta} = \frac{{o^{{{L}}}_{{{i}}} - t_{{{i}}}}}{{B}} = "
            rf"\frac{{{number(d.o)} - {factor(d.t)}}}{{1}} = {number(d.delta)}"
            rf"\quad \text{{({d.activation} + {_escape(d.loss)}, fused)}}"
        )
    if d.derivative is not None and d.grad_o is not None:
        name = _DERIVATIVE_NAMES.get(d.activation, "f'")
        return (
            rf"{delta} = \frac{{\partial E}}{{\partial o^{{{L}}}_{{{i}}}}}\, "
            rf"f'(s^{{{L}}}_{{{i}}}) = {factor(d.grad_o)}\,{name}{factor(d.s)} = "
            rf"{factor(d.grad_o)}{factor(d.derivative)} = {number(d.delta)}"
        )
    return (
        rf"{delta} = \frac{{\partial E}}{{\partial s^{{{L}}}_{{{i}}}}} = {number(d.delta)}"
        rf"\quad \text{{({d.activation} + {_escape(d.loss)}: the library's form from }} s)"
    )


def delta_latex(snapshot: Snapshot, unit: Unit) -> str:
    """The δ of any unit of layers 1 to L: the recursion for a hidden one, the output delta
    for an output one."""
    if unit.layer == snapshot.n_layers:
        return output_delta_latex(snapshot, unit)
    return hidden_delta_latex(snapshot, unit)


def _escape(text: str) -> str:
    return text.replace("_", r"\_")


def panel_html(snapshot: Snapshot, p: Parameter, unit: Unit) -> str:
    r"""The formula panel as HTML for ``ipywidgets.HTMLMath``: display maths in ``$$...$$``,
    inline maths in ``\(...\)`` (both typeset by JupyterLab and by the static site's MathJax,
    which does not take single dollars).

    One numbering, the steps (step :math:`k` is the :math:`k`-th update; the snapshot is
    after step ``snapshot.step``), and the book's notation (layer superscripts, units by
    their index in their layer): where the run is, the next step's update of ``p``, the δ of
    ``unit``, and what the last step did to ``p``.
    """
    L = snapshot.n_layers
    role = "output" if unit.layer == L else "hidden"
    where = f"unit {unit.i} of layer {unit.layer} ({role})"
    delta = rf"\delta^{{{unit.layer}}}_{{{unit.i}}}"
    parts = [
        f"<p><b>After step {snapshot.step}</b>: \\(E = {number(snapshot.loss)}\\), "
        f"\\(\\eta = {number(snapshot.lr)}\\).</p>",
        f"<p><b>Step {snapshot.step + 1}</b> will update \\({p.latex}\\):</p>",
        f"$$ {update_latex(snapshot, p)} $$",
        f"<p><b>\\({delta}\\)</b>, the delta of {html.escape(where)}:</p>",
        f"$$ {delta_latex(snapshot, unit)} $$",
    ]
    applied = snapshot.applied(p)
    if applied is not None:
        parts.append(
            f"<p>Step {snapshot.step} changed \\({p.latex}\\) by "
            f"\\(\\Delta {p.latex} = {number(applied)}\\); it is now "
            f"\\({number(snapshot.value(p))}\\).</p>"
        )
    return "\n".join(parts)
