r"""Derivations of the output delta for every loss/activation pair.

For one sample with $n$ output units, pre-activations $s$, outputs $o = f(s)$ and targets $t$
(``1 x n`` rows), a :class:`Derivation` holds

* $\partial E/\partial o$ (a row), by ``sympy.diff`` of the loss;
* $\partial o/\partial s$, the full ``n x n`` Jacobian $J_{ij} = \partial o_i/\partial s_j$,
  by ``sympy.diff`` of the activation (diagonal unless the activation is softmax);
* $\delta = \partial E/\partial s = \frac{\partial E}{\partial o} J$ (a row), by ``sympy.diff``
  of the composed loss $E(f(s), t)$ with respect to each $s_j$;

and the same three written the textbook way, with a generic unit index and with the outputs $o$
in place of $s$ (e.g. $\delta_i = o_i - t_i$ for sigmoid with binary cross-entropy). The
textbook forms are built from the registry's hand-written pieces (``unit_gradient``,
``derivative_from_output``, the softmax Jacobian $o_i([i = j] - o_j)$): they are typed, not
derived. :meth:`Derivation.verify` proves them equal to the ``sympy.diff`` results at the
derivation's $n$, and :func:`prove_generic_forms` proves them for every $n$ (indexed sums with a
symbolic $n$), except the softmax pairs' $\delta_i$, proven for $n = 2$ to
``SOFTMAX_DELTA_BOUND``.

Cross-entropy targets are probability rows, $\sum_k t_k = 1$. The textbook $\delta$ of a
softmax output uses that constraint (it turns $o_i \sum_k t_k - t_i$ into $o_i - t_i$), so that
form is stated, and verified, under it; ``target_constraint`` records it.

All expressions are per sample. The library's loss is the batch mean, so its
$\partial E/\partial o$ and $\delta$ carry an extra factor $1/B$.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Union

import sympy as sp

from ..pairs import pair_problem as library_pair_problem
from ._safe import as_expr, as_expr_or_matrix
from .functions import (
    ACTIVATION_NAMES,
    LOSS_NAMES,
    ActivationLike,
    LossLike,
    get_activation,
    get_loss,
    latex,
    pair_problem,
)
from .identity import is_identically_zero
from .notation import output_symbols, pre_activation_symbols, target_symbols

__all__ = [
    "FUSED_PAIRS",
    "Derivation",
    "catalogue",
    "catalogue_markdown",
    "SOFTMAX_DELTA_BOUND",
    "derive",
    "generic_symbols",
    "prove_generic_forms",
]

#: The largest number of units for which :func:`prove_generic_forms` proves the softmax
#: pairs' textbook delta (by :meth:`Derivation.verify` at every n from 2 to this bound).
SOFTMAX_DELTA_BOUND = 5

#: The pairs whose delta cancels to $o - t$ (the library computes them fused, from $s$).
FUSED_PAIRS = frozenset({("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy")})

_i, _j, _k, _n = sp.symbols("i j k n", integer=True, positive=True)
_o = sp.IndexedBase("o", real=True)
_t = sp.IndexedBase("t", real=True)
_s = sp.IndexedBase("s", real=True)


def generic_symbols() -> dict[str, sp.Basic]:
    r"""The symbols of the textbook (index) forms: unit indices ``i``, ``j``, ``k``, the
    number of units ``n`` and the indexed rows ``o``, ``t``, ``s`` (``o[i]`` is $o_i$)."""
    return {"i": _i, "j": _j, "k": _k, "n": _n, "o": _o, "t": _t, "s": _s}


def _constrain(expr, t: sp.Matrix):
    r"""Apply $\sum_k t_k = 1$ by eliminating the last target, $t_n = 1 - \sum_{k<n} t_k$."""
    return expr.xreplace({t[-1]: 1 - sum(t[:-1], sp.Integer(0))})


def _softmax_sum(g_k, constrained: bool):
    r"""$\sum_k o_k g_k$ for softmax outputs, closed where the terms allow it.

    Terms $c\,o_k$ sum to $c$ (softmax outputs sum to 1) and, under the target constraint,
    terms $c\,t_k$ sum to $c$; anything else is left as a ``Sum``.
    """
    terms = sp.Add.make_args(sp.expand(_o[_k] * g_k))
    closed, rest = [], []
    for term in terms:
        coeff_o = term / _o[_k]
        coeff_t = term / _t[_k]
        if not coeff_o.has(_k):
            closed.append(coeff_o)
        elif constrained and not coeff_t.has(_k):
            closed.append(coeff_t)
        else:
            rest.append(term)
    if rest:  # keep the sum in the factored, readable form
        return sp.Sum(sp.factor_terms(_o[_k] * g_k), (_k, 1, _n))
    return sp.Add(*closed)


def _tidy(expr):
    """The shorter of ``expr`` and its expansion, with common factors pulled out."""
    expanded = sp.expand(expr)
    best = expanded if sp.count_ops(expanded) < sp.count_ops(expr) else expr
    return sp.factor_terms(best)


#: ``reasons(activation, loss)``: why a pair is undefined, or ``None`` (the library's
#: :func:`~backprop_lib.pair_problem` by default).
Reasons = Callable[[str, str], Union[str, None]]


@dataclass(frozen=True, eq=False)
class Derivation:
    r"""$\partial E/\partial o$, $\partial o/\partial s$ and $\delta$ for one loss/activation
    pair with ``n`` output units (build it with :func:`derive`).

    Explicit pieces (``1 x n`` rows and ``n x n`` matrices of the symbols ``s``, ``o``,
    ``t``), all taken by ``sympy.diff``:

    ``E``
        The per-sample loss $E(o, t)$.
    ``grad_o``
        $\partial E/\partial o_k$, in $o$ and $t$.
    ``jacobian``
        $J_{ij} = \partial o_i/\partial s_j$ of $o = f(s)$, in $s$.
    ``delta``
        $\delta_j = \partial E(f(s), t)/\partial s_j$, in $s$ and $t$, with no assumption
        on the targets.

    Textbook pieces, with generic unit indices (:func:`generic_symbols`) and written with $o$:

    ``grad_o_i``
        $\partial E/\partial o_i$.
    ``jacobian_ij``
        $\partial o_i/\partial s_j$, with ``KroneckerDelta(i, j)`` for $[i = j]$.
    ``derivative_i``
        $f'(s_i)$ by ``sympy.diff`` (elementwise activations; ``None`` for softmax).
    ``delta_i``
        $\delta_i$, simplified; under ``target_constraint`` when that is not ``None``.

    ``problem`` is why the loss is undefined after this activation (``None`` if defined,
    decided from sympy sets by :func:`~backprop_lib.symbolic.functions.pair_problem`);
    ``fused`` says whether the library computes this pair's delta fused.
    """

    activation: str
    loss: str
    n: int
    s: sp.Matrix
    o: sp.Matrix
    t: sp.Matrix
    E: sp.Expr
    grad_o: sp.Matrix
    jacobian: sp.Matrix
    delta: sp.Matrix
    grad_o_i: sp.Expr
    jacobian_ij: sp.Expr
    derivative_i: sp.Expr | None
    delta_i: sp.Expr
    target_constraint: sp.Eq | None
    problem: str | None
    fused: bool = field(default=False)

    # -- explicit forms of the textbook pieces ------------------------------------------------
    def at_units(self, expr: sp.Basic, i: int | None = None, j: int | None = None) -> sp.Expr:
        r"""A textbook (index) expression at ``n`` units: unit indices ``i``, ``j`` (1-based)
        substituted, sums expanded, $o_k$, $t_k$, $s_k$ replaced by this derivation's symbols."""
        reps = {_n: self.n}
        if i is not None:
            reps[_i] = i
        if j is not None:
            reps[_j] = j
        out = as_expr(expr, "expr", "Derivation.at_units").subs(reps).doit()
        table = {}
        for e in out.atoms(sp.Indexed):
            (m,) = e.indices
            row = {_o: self.o, _t: self.t, _s: self.s}[e.base]
            table[e] = row[int(m) - 1]
        return out.xreplace(table)

    @cached_property
    def output(self) -> sp.Matrix:
        r"""$o = f(s)$, the activation's output row in terms of $s$."""
        return get_activation(self.activation).forward(self.s)

    def _unit_row(self, expr) -> sp.Matrix:
        r"""A textbook expression in the unit index $i$ at units $1..n$: a ``1 x n`` row."""
        return sp.Matrix([[self.at_units(expr, i=m) for m in range(1, self.n + 1)]])

    @cached_property
    def grad_o_textbook(self) -> sp.Matrix:
        r"""``grad_o_i`` at units $1..n$ (a ``1 x n`` row in $o$, $t$)."""
        return self._unit_row(self.grad_o_i)

    @cached_property
    def jacobian_textbook(self) -> sp.Matrix:
        r"""``jacobian_ij`` at units $1..n$ (an ``n x n`` Matrix in $o$)."""
        return sp.Matrix(
            self.n, self.n, lambda a, b: self.at_units(self.jacobian_ij, i=a + 1, j=b + 1)
        )

    @cached_property
    def delta_textbook(self) -> sp.Matrix:
        r"""``delta_i`` at units $1..n$ (a ``1 x n`` row in $o$, $t$)."""
        return self._unit_row(self.delta_i)

    def in_s(self, expr: sp.Basic) -> sp.Basic:
        r"""Replace each output symbol $o_k$ by $f(s)_k$."""
        expr = as_expr_or_matrix(expr, "expr", "Derivation.in_s")
        return expr.xreplace(dict(zip(self.o, self.output, strict=True)))

    def constrained(self, expr: sp.Basic) -> sp.Basic:
        r"""``expr`` under ``target_constraint`` ($t_n = 1 - \sum_{k<n} t_k$), else unchanged."""
        return _constrain(expr, self.t) if self.target_constraint is not None else expr

    # -- proofs ----------------------------------------------------------------------------
    def library_problem(self, reasons: Reasons | None = None) -> str | None:
        r"""``reasons(activation, loss)``, by default the library's
        :func:`~backprop_lib.pair_problem`: why the pair is undefined, or ``None``. Raises
        ``AssertionError`` if it and ``problem`` (sympy's sets) disagree on whether the pair
        is defined."""
        reasons = library_pair_problem if reasons is None else reasons
        reason = reasons(self.activation, self.loss)
        if (reason is None) != (self.problem is None):
            raise AssertionError(
                f"{self.activation} + {self.loss}: the library and sympy disagree on whether "
                f"the pair is defined (library: {reason!r}, sympy: {self.problem!r})"
            )
        return reason

    def identities(self) -> dict[str, bool]:
        r"""See :attr:`_identities` (computed once per derivation, then cached)."""
        return dict(self._identities)

    @cached_property
    def _identities(self) -> dict[str, bool]:
        r"""Each textbook form against ``sympy.diff``, decided by :func:`is_identically_zero`:

        ``"grad_o"``
            ``grad_o_i`` at units $1..n$ equals ``grad_o``.
        ``"jacobian"``
            ``jacobian_ij`` at units $1..n$, with $o = f(s)$, equals ``jacobian``.
        ``"chain_rule"``
            ``grad_o`` (at $o = f(s)$) times ``jacobian`` equals ``delta``.
        ``"delta"``
            ``delta_i`` at units $1..n$, with $o = f(s)$, equals ``delta`` (under the target
            constraint when there is one).

        For relu with a cross-entropy (undefined: $\ln 0$ where $s \le 0$) the identities are
        checked where the loss is defined, $s_k > 0$.
        """
        region = {}
        if self.problem is not None and self.activation == "relu":
            region = {v: sp.Dummy(f"p{k}", positive=True) for k, v in enumerate(self.s)}
        variables = [region.get(v, v) for v in self.s]

        def zero(matrix) -> bool:
            return all(is_identically_zero(v.xreplace(region), variables) for v in matrix)

        chain = self.in_s(self.grad_o) * self.jacobian
        return {
            "grad_o": zero(self.grad_o_textbook - self.grad_o),
            "jacobian": zero(self.in_s(self.jacobian_textbook) - self.jacobian),
            "chain_rule": zero(chain - self.delta),
            "delta": zero(self.constrained(self.in_s(self.delta_textbook) - self.delta)),
        }

    def verify(self) -> None:
        """Raise ``AssertionError`` naming every identity of :meth:`identities` that fails."""
        failed = [name for name, ok in self.identities().items() if not ok]
        if failed:
            raise AssertionError(
                f"{self.activation} + {self.loss} (n={self.n}): textbook form differs from "
                f"sympy.diff for {', '.join(failed)}"
            )

    # -- rendering -------------------------------------------------------------------------
    def latex_grad_o(self) -> str:
        r"""LaTeX of $\partial E/\partial o_i$ (right-hand side only)."""
        return latex(_tidy(self.grad_o_i))

    def latex_jacobian(self) -> str:
        r"""LaTeX of $\partial o_i/\partial s_j$: for elementwise activations the diagonal
        entry times $[i = j]$ (1 if $i = j$, else 0), for softmax $o_i([i = j] - o_j)$."""
        if self.derivative_i is None:
            return latex(self.jacobian_ij)
        diagonal = self.jacobian_ij.subs(sp.KroneckerDelta(_i, _j), 1)
        if diagonal == 1:
            return latex(sp.KroneckerDelta(_i, _j))
        body = latex(diagonal)
        if isinstance(diagonal, sp.Add):
            body = rf"\left({body}\right)"
        return body + r" \, " + latex(sp.KroneckerDelta(_i, _j))

    def latex_derivative(self) -> str | None:
        r"""LaTeX of $f'(s_i)$ in terms of $s_i$ (``None`` for softmax)."""
        return None if self.derivative_i is None else latex(self.derivative_i)

    def latex_delta(self) -> str:
        r"""LaTeX of $\delta_i$ in terms of $o$ and $t$ (under ``target_constraint``)."""
        return latex(self.delta_i)

    def latex_constraint(self) -> str | None:
        r"""LaTeX of the target constraint the textbook $\delta_i$ assumes, or ``None``."""
        return None if self.target_constraint is None else latex(self.target_constraint)

    def __repr__(self) -> str:
        return f"Derivation({self.activation!r}, {self.loss!r}, n={self.n})"


@lru_cache(maxsize=None)
def _derive(activation: str, loss: str, n: int) -> Derivation:
    """:func:`derive` for checked registry names, cached."""
    act, lss = get_activation(activation), get_loss(loss)
    s, o, t = pre_activation_symbols(n), output_symbols(n), target_symbols(n)

    E = lss.value(o, t)
    grad_o = lss.gradient(o, t)
    jacobian = act.jacobian(s)
    E_of_s = lss.value(act.forward(s), t)
    delta = sp.Matrix([[sp.diff(E_of_s, v) for v in s]])

    constrained = lss.targets == "probability"
    target_constraint = sp.Eq(sp.Sum(_t[_k], (_k, 1, _n)), 1) if constrained else None
    grad_o_i = lss.unit_gradient(_o[_i], _t[_i])
    if act.elementwise:
        fprime_i = act.derivative_from_output(_o[_i])
        jacobian_ij = fprime_i * sp.KroneckerDelta(_i, _j)
        derivative_i = act.derivative(_s[_i])
        delta_i = _tidy(grad_o_i * fprime_i)
    else:  # softmax: delta_i = sum_k dE/do_k o_k([k = i] - o_i) = o_i (g_i - sum_k o_k g_k)
        jacobian_ij = _o[_i] * (sp.KroneckerDelta(_i, _j) - _o[_j])
        derivative_i = None
        g_k = lss.unit_gradient(_o[_k], _t[_k])
        delta_i = _tidy(_o[_i] * (grad_o_i - _softmax_sum(g_k, constrained)))

    return Derivation(
        activation=act.name,
        loss=lss.name,
        n=n,
        s=s,
        o=o,
        t=t,
        E=E,
        grad_o=grad_o,
        jacobian=jacobian,
        delta=delta,
        grad_o_i=grad_o_i,
        jacobian_ij=jacobian_ij,
        derivative_i=derivative_i,
        delta_i=delta_i,
        target_constraint=target_constraint,
        problem=pair_problem(act, lss),
        fused=(act.name, lss.name) in FUSED_PAIRS,
    )


def derive(activation: ActivationLike, loss: LossLike, n: int = 3) -> Derivation:
    r"""Derive $\partial E/\partial o$, $\partial o/\partial s$ and $\delta$ for a pair.

    Parameters
    ----------
    activation, loss : str or registry object
        Names as in the library (``ACTIVATION_NAMES``, ``LOSS_NAMES``).
    n : int, default 3
        Number of output units of the explicit forms (small: 2 or 3 keeps sympy fast).

    Returns
    -------
    Derivation
        Cached: the same arguments return the same object. Undefined pairs are derived too
        (the formulas exist symbolically) and carry their ``problem``.
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"n must be a positive int (number of output units), got {n!r}")
    return _derive(get_activation(activation).name, get_loss(loss).name, int(n))


def catalogue(n: int = 3) -> list[Derivation]:
    """Every activation/loss pair, activations outer and losses inner, in registry order."""
    return [derive(a, loss, n) for a in ACTIVATION_NAMES for loss in LOSS_NAMES]


def catalogue_markdown(n: int = 3, reasons: Reasons | None = None) -> str:
    r"""A Markdown table of all pairs: $\partial E/\partial o_i$, $\partial o_i/\partial s_j$,
    $\delta_i$ (textbook forms, as inline maths) and a note for each pair.

    ``reasons(activation, loss) -> str | None`` supplies the text for undefined pairs; by
    default the library's ``backprop_lib.pair_problem``. Every derivation is verified
    (:meth:`Derivation.verify`) before it is rendered.
    """
    lines = [
        "| activation | loss | $\\partial E/\\partial o_i$ | $\\partial o_i/\\partial s_j$ "
        "| $\\delta_i$ | note |",
        "|---|---|---|---|---|---|",
    ]
    for d in catalogue(n):
        d.verify()
        reason = d.library_problem(reasons)
        if reason is not None:
            note = f"undefined: {reason}"
        elif d.target_constraint is not None and d.activation == "softmax":
            note = f"fused; uses ${d.latex_constraint()}$" if d.fused else ""
        else:
            note = "fused" if d.fused else ""
        lines.append(
            f"| {d.activation} | {d.loss} | ${d.latex_grad_o()}$ | ${d.latex_jacobian()}$ "
            f"| ${d.latex_delta()}$ | {note} |"
        )
    return "\n".join(lines)


_m = sp.Symbol("m", integer=True, nonnegative=True)


def _for_every_n(expr, index):
    r"""``expr`` (with sums $\sum_{k=1}^{n}$) at $n = $ ``index`` $+ m$ for a symbolic
    $m \ge 0$: every $n$ that has a unit ``index``. Sums of Kronecker deltas then close."""
    return sp.piecewise_fold(sp.sympify(expr).doit().subs(_n, index + _m)).doit()


def _zero(expr) -> bool:
    return sp.simplify(sp.piecewise_fold(expr)) == 0


@lru_cache(maxsize=None)
def _prove_generic_forms(activation: str, loss: str) -> dict[str, str]:
    act, lss = get_activation(activation), get_loss(loss)
    proofs = {}
    # dE/do_i: sympy.diff of the indexed sum E = sum_{k=1}^n e(o_k, t_k), n symbolic
    E_n = sp.Sum(lss.term_fn(_o[_k], _t[_k]), (_k, 1, _n))
    derived = _for_every_n(sp.diff(E_n, _o[_i]), _i)
    if not _zero(derived - lss.unit_gradient(_o[_i], _t[_i])):
        raise AssertionError(f"{loss}: dE/do_i differs from sympy.diff of the indexed sum")
    proofs["grad_o_i"] = "every n"
    if act.elementwise:
        s = sp.Symbol("s", real=True)
        if not _zero(sp.diff(act.scalar(s), s) - act.derivative_from_output(act.scalar(s))):
            raise AssertionError(f"{activation}: f' written with o differs from sympy.diff")
        proofs["derivative_from_output"] = "every s"
        jac = sp.diff(act.scalar(_s[_i]), _s[_j])
        template = act.derivative_from_output(act.scalar(_s[_i])) * sp.KroneckerDelta(_i, _j)
        if not _zero(jac - template):
            raise AssertionError(f"{activation}: do_i/ds_j differs from sympy.diff")
        proofs["jacobian_ij"] = "every n"
        template = derive(activation, loss, 1).delta_i.xreplace({_o[_i]: act.scalar(_s[_i])})
        # relu is piecewise, and sympy's sums of Piecewise terms do not close: prove each
        # branch, f(s) = s where s > 0 and f(s) = 0 where s < 0 (in every unit; the terms of
        # the other units do not depend on s_i). The cross-entropies are undefined (ln 0) on
        # the second branch.
        p = sp.Dummy("p", positive=True)
        # (the sign of s_i on the branch, or None for every s; f on the branch)
        branches: list[tuple[Any, Callable[[Any], Any]]] = [(None, act.scalar)]
        scope = "every n"
        if act.name == "relu":
            branches = [(p, lambda v: v), (-p, lambda v: sp.Integer(0))]
            if pair_problem(act, lss) is not None:
                branches, scope = branches[:1], "every n, where the loss is defined (s_i > 0)"
        ok = True
        for value, f in branches:
            E_s = sp.Sum(lss.term_fn(f(_s[_k]), _t[_k]), (_k, 1, _n))
            gap = _for_every_n(sp.diff(E_s, _s[_i]), _i) - template
            ok = ok and _zero(gap if value is None else gap.xreplace({_s[_i]: value}))
        if not ok:
            raise AssertionError(f"{activation} + {loss}: delta_i differs from sympy.diff")
        proofs["delta_i"] = scope
    else:
        total = sp.Sum(sp.exp(_s[_k]), (_k, 1, _n))

        def o_of(index):
            return sp.exp(_s[index]) / total

        jac = sp.diff(o_of(_i), _s[_j])
        if not _zero(_for_every_n(jac - o_of(_i) * (sp.KroneckerDelta(_i, _j) - o_of(_j)), _j)):
            raise AssertionError("softmax: do_i/ds_j differs from sympy.diff")
        proofs["jacobian_ij"] = "every n"
        for n in range(2, SOFTMAX_DELTA_BOUND + 1):
            derive(activation, loss, n).verify()
        proofs["delta_i"] = f"n = 2 to {SOFTMAX_DELTA_BOUND}"
    return proofs


def prove_generic_forms(activation, loss) -> dict[str, str]:
    r"""Prove a pair's generic-unit (textbook) forms against ``sympy.diff``, beyond one $n$.

    The forms with a generic unit $i$ (``grad_o_i``, ``derivative_i`` written with $o$,
    ``jacobian_ij``, ``delta_i``) are typed templates; :meth:`Derivation.verify` proves them
    at one $n$. This proves them for every $n$ where sympy can: it differentiates the indexed
    sum $E = \sum_{k=1}^{n} e(o_k, t_k)$ with a symbolic $n$ (and the softmax
    $o_i = e^{s_i} / \sum_{k=1}^{n} e^{s_k}$), then closes the sums of Kronecker deltas at
    $n = i + m$, $m \ge 0$. The softmax pairs' $\delta_i$ (a sum over the outputs, closed
    with $\sum_k o_k = 1$ or $\sum_k t_k = 1$) is proven at every $n$ from 2 to
    ``SOFTMAX_DELTA_BOUND`` instead.

    Returns ``{form: scope}``, e.g. ``{"grad_o_i": "every n", ..., "delta_i": "n = 2 to 5"}``.
    Raises ``AssertionError`` naming the form that fails. Cached.
    """
    return _prove_generic_forms(get_activation(activation).name, get_loss(loss).name)
