r"""The library's activations and losses as sympy expressions, registered under the same names.

An activation maps a ``1 x n`` row $s$ to a ``1 x n`` row $o = f(s)$ (elementwise, or over the
whole row for softmax). Its Jacobian is the ``n x n`` Matrix $J_{ij} = \partial o_i/\partial s_j$,
so that the delta of a layer is the row $\delta = \frac{\partial E}{\partial o} J$.

A loss maps an output row $o$ and a target row $t$ to the **per-sample** loss, a sum over the
output units. The library's loss is the mean of this over the batch rows; the factor $1/B$ is
not part of these expressions (``backprop_lib.symbolic.numeric`` accounts for it).

=========================  =============================================================
name                       per-sample expression
=========================  =============================================================
``squared_error``          $E = \tfrac12 \sum_k (o_k - t_k)^2$
``sum_squared_error``      $E = \sum_k (t_k - o_k)^2$
``binary_cross_entropy``   $E = -\sum_k [t_k \ln o_k + (1 - t_k) \ln(1 - o_k)]$
``cross_entropy``          $E = -\sum_k t_k \ln o_k$
=========================  =============================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Union

import sympy as sp

from .._validate import lookup
from ..activations import Activation
from ..losses import Loss
from ._safe import as_expr, as_expr_or_matrix

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_NAMES",
    "LOSSES",
    "LOSS_NAMES",
    "SymbolicActivation",
    "SymbolicLoss",
    "get_activation",
    "get_loss",
    "interval_text",
    "latex",
    "pair_problem",
]


def _as_row(value, name: str) -> sp.Matrix:
    """Return ``value`` as a ``1 x n`` sympy Matrix, or raise naming the argument."""
    if isinstance(value, sp.MatrixBase):
        row = sp.Matrix(value)
    elif isinstance(value, (list, tuple)):  # entries checked: Matrix would parse strings
        row = sp.Matrix([[as_expr(v, f"{name}[{k}]", "row") for k, v in enumerate(value)]])
    else:
        raise TypeError(
            f"{name} must be a 1 x n sympy Matrix (or a list of expressions), "
            f"got {type(value).__name__}"
        )
    if row.rows != 1 or row.cols < 1:
        raise ValueError(f"{name} must be a 1 x n row with n >= 1, got shape {row.shape}")
    return row


@dataclass(frozen=True, eq=False)
class SymbolicActivation:
    r"""An activation $f$ as sympy expressions.

    ``forward(s)`` maps a ``1 x n`` row to a ``1 x n`` row. For an elementwise activation,
    ``scalar(s)`` is $f$ of one expression and ``derivative(s)`` is $f'(s)$ taken by sympy.
    ``jacobian(s)`` is the ``n x n`` Matrix $J_{ij} = \partial o_i / \partial s_j$ taken by
    sympy; ``jacobian_from_output(o)`` is the textbook form of the same Jacobian written with
    the outputs $o$ (e.g. $\sigma' = o(1 - o)$); the two are proved equal in the tests.
    ``derivative_from_output(o)`` is the textbook $f'$ of one unit written with its output
    (elementwise activations): typed, not derived;
    :func:`~backprop_lib.symbolic.derivation.prove_generic_forms` proves it equal to
    ``sympy.diff`` for every $s$. ``output_range`` is the set of values an output unit can take.
    """

    name: str
    elementwise: bool
    output_range: sp.Set
    scalar_fn: Callable | None  # elementwise: expression -> expression
    row_fn: Callable | None  # whole-row activations (softmax): row -> row
    derivative_from_output_fn: Callable | None  # elementwise: o -> textbook f'

    def scalar(self, s: sp.Expr) -> sp.Expr:
        r"""$f(s)$ for one expression (elementwise activations only)."""
        if not self.elementwise:
            raise TypeError(f"{self.name} acts on a whole row; use forward(s) with a 1 x n row")
        assert self.scalar_fn is not None  # every elementwise activation has one
        return self.scalar_fn(as_expr(s, "s", f"{self.name}.scalar"))

    def forward(self, s: sp.Matrix) -> sp.Matrix:
        r"""$o = f(s)$: ``1 x n`` row in, ``1 x n`` row out."""
        s = _as_row(s, "s")
        if self.elementwise:
            return s.applyfunc(self.scalar_fn)
        assert self.row_fn is not None  # every whole-row activation has one
        return self.row_fn(s)

    def derivative(self, s: sp.Expr) -> sp.Expr:
        r"""$f'(s) = \mathrm{d}f/\mathrm{d}s$ by ``sympy.diff`` (elementwise activations only).

        For ``relu`` the derivative does not exist at $s = 0$; the expression takes the value
        0 there (the library's convention), and every numerical check keeps $s$ off 0.
        """
        if not self.elementwise:
            raise TypeError(f"{self.name} is not elementwise; use jacobian(s)")
        u = sp.Dummy("u", real=True)
        s = as_expr(s, "s", f"{self.name}.derivative")
        assert self.scalar_fn is not None  # every elementwise activation has one
        return sp.diff(self.scalar_fn(u), u).xreplace({u: s})

    def jacobian(self, s: sp.Matrix) -> sp.Matrix:
        r"""$J_{ij} = \partial o_i/\partial s_j$, an ``n x n`` Matrix, by ``sympy.diff``.

        Diagonal for elementwise activations. ``s`` may hold expressions, not only symbols:
        the derivative is taken with respect to each entry as a whole.
        """
        s = _as_row(s, "s")
        n = s.cols
        if self.elementwise:
            return sp.diag(*[self.derivative(s[j]) for j in range(n)])
        u = sp.Matrix([[sp.Dummy(f"u{j}", real=True) for j in range(n)]])
        assert self.row_fn is not None  # every whole-row activation has one
        o = self.row_fn(u)
        jac = sp.Matrix(n, n, lambda i, j: sp.diff(o[i], u[j]))
        return jac.xreplace(dict(zip(u, s, strict=True)))

    def derivative_from_output(self, o: sp.Expr) -> sp.Expr:
        r"""The textbook $f'$ of one unit written with its output $o = f(s)$:
        sigmoid $o(1-o)$, tanh $1-o^2$, relu $[o > 0]$, linear $1$, softplus $1 - e^{-o}$
        (elementwise only)."""
        if not self.elementwise:
            raise TypeError(f"{self.name} is not elementwise; use jacobian_from_output(o)")
        assert self.derivative_from_output_fn is not None  # every elementwise activation has one
        return self.derivative_from_output_fn(
            as_expr(o, "o", f"{self.name}.derivative_from_output")
        )

    def jacobian_from_output(self, o: sp.Matrix) -> sp.Matrix:
        r"""The textbook form of $J$ written with the outputs $o$ (``1 x n`` row): the
        elementwise $f'$ of :meth:`derivative_from_output` on the diagonal, or for softmax
        $J_{ij} = o_i([i = j] - o_j)$."""
        o = _as_row(o, "o")
        if self.elementwise:
            assert self.derivative_from_output_fn is not None  # every elementwise one has it
            return sp.diag(*[self.derivative_from_output_fn(v) for v in o])
        n = o.cols
        return sp.Matrix(n, n, lambda i, j: o[i] * (sp.KroneckerDelta(i, j) - o[j]))

    def latex(self, symbol: str = "s") -> str:
        r"""LaTeX of $f$ at a scalar symbol (elementwise), or of unit $i$ of softmax."""
        if self.elementwise:
            return latex(self.scalar(sp.Symbol(symbol, real=True)))
        i, k, n = sp.symbols("i k n", integer=True, positive=True)
        s = sp.IndexedBase(symbol, real=True)
        return latex(sp.exp(s[i]) / sp.Sum(sp.exp(s[k]), (k, 1, n)))

    def __repr__(self) -> str:
        return f"SymbolicActivation({self.name!r})"


def _softmax_row(s: sp.Matrix) -> sp.Matrix:
    r"""$o_i = e^{s_i} / \sum_k e^{s_k}$ of a ``1 x n`` row."""
    total = sum(sp.exp(v) for v in s)
    return s.applyfunc(lambda v: sp.exp(v) / total)


ACTIVATIONS: dict[str, SymbolicActivation] = {
    "sigmoid": SymbolicActivation(
        name="sigmoid",
        elementwise=True,
        output_range=sp.Interval.open(0, 1),
        scalar_fn=lambda s: 1 / (1 + sp.exp(-s)),
        row_fn=None,
        derivative_from_output_fn=lambda o: o * (1 - o),
    ),
    "tanh": SymbolicActivation(
        name="tanh",
        elementwise=True,
        output_range=sp.Interval.open(-1, 1),
        scalar_fn=sp.tanh,
        row_fn=None,
        derivative_from_output_fn=lambda o: 1 - o**2,
    ),
    "relu": SymbolicActivation(
        name="relu",
        elementwise=True,
        output_range=sp.Interval(0, sp.oo),
        # f'(0) does not exist; writing "s > 0" makes the derivative 0 there, like the library
        scalar_fn=lambda s: sp.Piecewise((s, s > 0), (0, True)),
        row_fn=None,
        derivative_from_output_fn=lambda o: sp.Piecewise((1, o > 0), (0, True)),
    ),
    "linear": SymbolicActivation(
        name="linear",
        elementwise=True,
        output_range=sp.Reals,
        scalar_fn=lambda s: s,
        row_fn=None,
        derivative_from_output_fn=lambda o: sp.Integer(1),
    ),
    "softplus": SymbolicActivation(
        name="softplus",
        elementwise=True,
        output_range=sp.Interval.open(0, sp.oo),
        scalar_fn=lambda s: sp.log(1 + sp.exp(s)),
        row_fn=None,
        # e^o = 1 + e^s, so f'(s) = e^s / (1 + e^s) = 1 - e^{-o}
        derivative_from_output_fn=lambda o: 1 - sp.exp(-o),
    ),
    "softmax": SymbolicActivation(
        name="softmax",
        elementwise=False,
        output_range=sp.Interval.open(0, 1),
        scalar_fn=None,
        row_fn=_softmax_row,
        derivative_from_output_fn=None,
    ),
}
ACTIVATION_NAMES: tuple[str, ...] = tuple(ACTIVATIONS)


@dataclass(frozen=True, eq=False)
class SymbolicLoss:
    r"""A loss as a sympy expression: the **per-sample** sum over the output units.

    ``value(o, t)`` is $E$ for one sample (``1 x n`` rows $o$ and $t$), the sum of ``term``
    over the units; ``gradient(o, t)`` is the row $\partial E/\partial o$ by ``sympy.diff``
    (``o`` must hold symbols); ``unit_gradient(o_k, t_k)`` is the textbook form of one entry,
    e.g. $(o_k - t_k)/(o_k(1 - o_k))$ for binary cross-entropy: typed, not derived;
    :func:`~backprop_lib.symbolic.derivation.prove_generic_forms` proves it equal to
    ``sympy.diff`` of the sum $\sum_{k=1}^{n}$ for every $n$.
    ``domain`` is the set of output values where $E$ is defined; ``targets`` names the valid
    targets: ``"real"``, ``"unit interval"`` ($t_k \in [0, 1]$) or ``"probability"``
    ($t_k \ge 0$ and $\sum_k t_k = 1$ in each row).
    """

    name: str
    term_fn: Callable  # (o_k, t_k) -> the unit's term of E
    unit_gradient_fn: Callable  # (o_k, t_k) -> textbook dE/do_k
    domain: sp.Set
    targets: str

    def term(self, o_k: sp.Expr, t_k: sp.Expr) -> sp.Expr:
        r"""The term of unit $k$ in the per-sample sum $E = \sum_k \mathrm{term}(o_k, t_k)$."""
        where = f"{self.name}.term"
        return self.term_fn(as_expr(o_k, "o_k", where), as_expr(t_k, "t_k", where))

    def value(self, o: sp.Matrix, t: sp.Matrix) -> sp.Expr:
        r"""$E(o, t)$ for one sample, a sum over the output units."""
        o = _as_row(o, "o")
        t = _as_row(t, "t")
        if o.shape != t.shape:
            raise ValueError(f"o and t must have the same shape, got {o.shape} and {t.shape}")
        return sp.Add(*[self.term_fn(o[k], t[k]) for k in range(o.cols)])

    __call__ = value

    def gradient(self, o: sp.Matrix, t: sp.Matrix) -> sp.Matrix:
        r"""$\partial E/\partial o$, a ``1 x n`` row, by ``sympy.diff`` (``o`` holds symbols)."""
        o = _as_row(o, "o")
        if not all(isinstance(v, sp.Symbol) for v in o):
            raise TypeError("o must hold symbols to differentiate with respect to them")
        e = self.value(o, t)
        return sp.Matrix([[sp.diff(e, v) for v in o]])

    def unit_gradient(self, o_k: sp.Expr, t_k: sp.Expr) -> sp.Expr:
        r"""The textbook $\partial E/\partial o_k$ of one unit, written with $o_k$ and $t_k$."""
        where = f"{self.name}.unit_gradient"
        return self.unit_gradient_fn(as_expr(o_k, "o_k", where), as_expr(t_k, "t_k", where))

    def latex(self) -> str:
        r"""LaTeX of the per-sample loss, a sum over units $k = 1, \dots, n$."""
        k, n = sp.symbols("k n", integer=True, positive=True)
        o, t = sp.IndexedBase("o", real=True), sp.IndexedBase("t", real=True)
        return latex(sp.Sum(self.term_fn(o[k], t[k]), (k, 1, n)))

    def __repr__(self) -> str:
        return f"SymbolicLoss({self.name!r})"


LOSSES: dict[str, SymbolicLoss] = {
    "squared_error": SymbolicLoss(
        name="squared_error",
        term_fn=lambda o, t: sp.Rational(1, 2) * (o - t) ** 2,
        unit_gradient_fn=lambda o, t: o - t,
        domain=sp.Reals,
        targets="real",
    ),
    "sum_squared_error": SymbolicLoss(
        name="sum_squared_error",
        term_fn=lambda o, t: (t - o) ** 2,
        unit_gradient_fn=lambda o, t: -2 * (t - o),
        domain=sp.Reals,
        targets="real",
    ),
    "binary_cross_entropy": SymbolicLoss(
        name="binary_cross_entropy",
        term_fn=lambda o, t: -(t * sp.log(o) + (1 - t) * sp.log(1 - o)),
        unit_gradient_fn=lambda o, t: (o - t) / (o * (1 - o)),
        domain=sp.Interval.open(0, 1),
        targets="unit interval",
    ),
    "cross_entropy": SymbolicLoss(
        name="cross_entropy",
        term_fn=lambda o, t: -t * sp.log(o),
        unit_gradient_fn=lambda o, t: -t / o,
        domain=sp.Interval.open(0, sp.oo),
        targets="probability",
    ),
}
LOSS_NAMES: tuple[str, ...] = tuple(LOSSES)


def get_activation(activation: ActivationLike) -> SymbolicActivation:
    """The sympy activation for a name, a ``SymbolicActivation`` or a library activation
    (its twin of the same name)."""
    return lookup(activation, ACTIVATIONS, SymbolicActivation, "activation", (Activation,))


def get_loss(loss: LossLike) -> SymbolicLoss:
    """The sympy loss for a name, a ``SymbolicLoss`` or a library loss (its twin of the same
    name)."""
    return lookup(loss, LOSSES, SymbolicLoss, "loss", (Loss,))


#: An activation as the sympy side takes it: a name, the library's object or the sympy twin.
ActivationLike = Union[str, Activation, SymbolicActivation]
#: A loss as the sympy side takes it: a name, the library's object or the sympy twin.
LossLike = Union[str, Loss, SymbolicLoss]


def pair_problem(activation: ActivationLike, loss: LossLike) -> str | None:
    r"""Why the loss is not defined after the activation, or ``None`` if it is.

    Decided from sympy sets, independently of the library: the pair is defined when every
    value the activation can output lies in the loss's domain
    (``activation.output_range`` $\subseteq$ ``loss.domain``).
    """
    act, lss = get_activation(activation), get_loss(loss)
    if act.output_range.is_subset(lss.domain):
        return None
    return (
        f"{lss.name} is defined only for outputs in {interval_text(lss.domain)}, "
        f"but {act.name} outputs lie in {interval_text(act.output_range)}"
    )


def interval_text(interval: sp.Set) -> str:
    """An interval as plain text, e.g. ``(0, 1)``, ``[0, inf)``, ``(-inf, inf)``."""
    if interval == sp.Reals:
        return "(-inf, inf)"
    if not isinstance(interval, sp.Interval):
        return sp.sstr(interval)

    def end(v):
        return "inf" if v == sp.oo else "-inf" if v == -sp.oo else sp.sstr(v)

    left = "(" if interval.left_open else "["
    right = ")" if interval.right_open else "]"
    return f"{left}{end(interval.start)}, {end(interval.end)}{right}"


def latex(expr: sp.Basic) -> str:
    r"""``sympy.latex`` with the book's conventions.

    $\ln$ for the natural logarithm; indexed symbols as $o_{k}$ (not ${o}_{k}$); Iverson
    brackets for indicators: $[i = j]$ for sympy's ``KroneckerDelta`` (since $\delta$ is the
    book's delta) and $[o_i > 0]$ for ``Piecewise((1, o_i > 0), (0, True))``; a number times a
    sum kept factored, $2(o_i - t_i)$. Matrices are rendered entry by entry the same way.
    """
    expr = as_expr_or_matrix(expr, "expr", "latex")
    if isinstance(expr, sp.MatrixBase):
        return sp.latex(expr.applyfunc(_for_display), ln_notation=True)
    return sp.latex(_for_display(expr), ln_notation=True)


def _for_display(expr):
    """``expr`` with the replacements of :func:`latex` (an expression only for printing)."""
    reps = {}
    for e in expr.atoms(sp.Indexed):
        idx = ",".join(sp.latex(v) for v in e.indices)
        reps[e] = sp.Symbol(f"{e.base.label}_{{{idx}}}", real=True)
    expr = expr.xreplace(reps) if reps else expr
    reps = {}
    for e in expr.atoms(sp.KroneckerDelta):
        a, b = (sp.latex(v) for v in e.args)
        reps[e] = sp.Symbol(f"[{a} = {b}]")
    for e in expr.atoms(sp.Piecewise):
        if len(e.args) == 2 and e.args[0].expr == 1 and e.args[1] == (0, sp.true):
            reps[e] = sp.Symbol(f"[{sp.latex(e.args[0].cond)}]")
    expr = expr.xreplace(reps) if reps else expr

    def factored(e):
        if isinstance(e, sp.Add):
            c, rest = e.as_content_primitive()
            if c != 1 and isinstance(rest, sp.Add):
                return sp.Mul(c, rest, evaluate=False)
        return e

    return expr.replace(lambda e: isinstance(e, sp.Add), factored)
