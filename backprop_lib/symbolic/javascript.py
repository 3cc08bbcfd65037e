r"""The sympy side printed as JavaScript: each activation's $f(s)$ and $f'(s)$, each loss's
per-unit term and $\partial E/\partial o_k$, as arrow functions for the browser engine.

Printed by sympy's ``JavascriptCodePrinter`` (``sympy.printing.jscode``) in strict mode, so an
expression JavaScript has no function for raises instead of printing a comment, with two
changes of form that keep the value: $\ln(1 + x)$ is printed ``Math.log1p(x)`` (sympy's
``log1p_opt``, as the library's ``np.log1p``), and a ``Piecewise`` is one conditional
expression on one line.

>>> from backprop_lib.symbolic.javascript import activation_javascript, loss_javascript
>>> activation_javascript("relu")
('(s) => (s > 0 ? s : 0)', '(s) => (s > 0 ? 1 : 0)')
>>> loss_javascript("binary_cross_entropy")[0]
'(o, t) => -t*Math.log(o) - (1 - t)*Math.log1p(-o)'
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp
from sympy.codegen.rewriting import log1p_opt, optimize
from sympy.printing.codeprinter import PrintMethodNotImplementedError
from sympy.printing.jscode import JavascriptCodePrinter

from .functions import ActivationLike, LossLike, get_activation, get_loss

__all__ = ["JavaScriptFormError", "activation_javascript", "javascript", "loss_javascript"]

#: The symbols the printed functions take: the pre-activation ``s``, an output ``o`` and its
#: target ``t`` (one unit each), real as everywhere on the sympy side.
S_, O_, T_ = sp.symbols("s o t", real=True)


class JavaScriptFormError(ValueError):
    """An expression of the sympy side that JavaScript cannot compute as printed."""


class _Printer(JavascriptCodePrinter):
    """sympy's JavaScript printer; strict, ``log1p`` known, ``Piecewise`` on one line."""

    def __init__(self) -> None:
        super().__init__({"strict": True, "user_functions": {"log1p": "Math.log1p"}})

    def _print_Piecewise(self, expr):  # noqa: N802 (sympy's printer method name)
        *pieces, (last, otherwise) = expr.args
        if otherwise != sp.true:
            raise JavaScriptFormError(f"a Piecewise without an otherwise-branch: {expr}")
        code = self._print(last)
        for value, condition in reversed(pieces):
            code = f"({self._print(condition)} ? {self._print(value)} : {code})"
        return code


def javascript(expr: sp.Expr, args: Sequence[sp.Symbol], what: str = "expression") -> str:
    """``expr`` as a JavaScript arrow function of ``args``, e.g. ``(s) => Math.tanh(s)``.

    Raises :class:`JavaScriptFormError` naming ``what`` when JavaScript has no function for a
    part of it (sympy's printer in strict mode) or when it holds a symbol not in ``args``.
    """
    expr = optimize(sp.sympify(expr), [log1p_opt])
    free = expr.free_symbols - set(args)
    if free:
        names = ", ".join(sorted(str(v) for v in free))
        raise JavaScriptFormError(
            f"{what}: {expr} holds {names}, which the JavaScript function of "
            f"({', '.join(map(str, args))}) does not take."
        )
    try:
        body = _Printer().doprint(expr)
    except PrintMethodNotImplementedError as err:
        reason = str(err).splitlines()[0]
        raise JavaScriptFormError(f"{what}: JavaScript cannot compute {expr} ({reason}).") from None
    return f"({', '.join(map(str, args))}) => {body}"


def activation_javascript(activation: ActivationLike) -> tuple[str, str]:
    r"""$f(s)$ and $f'(s)$ (``sympy.diff``) of an elementwise activation, as JavaScript
    functions of ``s``. A whole-row activation (softmax) raises :class:`JavaScriptFormError`."""
    act = get_activation(activation)
    if not act.elementwise:
        raise JavaScriptFormError(
            f"activation {act.name!r} acts on a whole row: it has no elementwise f(s) to print."
        )
    return (
        javascript(act.scalar(S_), [S_], f"f(s) of activation {act.name!r}"),
        javascript(act.derivative(S_), [S_], f"f'(s) of activation {act.name!r}"),
    )


def loss_javascript(loss: LossLike) -> tuple[str, str]:
    r"""The term of one unit in the per-sample loss, $E = \sum_k \mathrm{term}(o_k, t_k)$, and
    its textbook $\partial E/\partial o_k$ (``unit_gradient``, which
    :func:`~backprop_lib.symbolic.derivation.prove_generic_forms` proves equal to
    ``sympy.diff`` of the sum), as JavaScript functions of ``(o, t)``: per sample, without the
    library's $1/B$."""
    lss = get_loss(loss)
    return (
        javascript(lss.term(O_, T_), [O_, T_], f"the term of loss {lss.name!r}"),
        javascript(lss.unit_gradient(O_, T_), [O_, T_], f"dE/do of loss {lss.name!r}"),
    )
