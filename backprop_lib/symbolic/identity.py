r"""Deciding that an expression is identically zero, soundly and fast.

``sympy.simplify`` proves most of this package's identities but takes seconds on the gradients
of a whole network. The functions of the networks here are built from a few pieces, so a
cheaper exact test works: replace each transcendental piece by a fresh symbol ("atom"), which
leaves a rational function, and let ``sympy.cancel`` decide whether it is 0.

* ``exp(c * u)`` with a rational ``c`` becomes ``Z_u ** c`` (one symbol per core ``u``, sign
  normalised), so $e^{-u} = 1/e^{u}$ and $e^{2u} = (e^u)^2$ are seen;
* ``Piecewise((a, cond), (0, True))`` (relu and its derivative) becomes ``a * H_cond``;
* ``tanh(u)``, ``log(u)`` and any other function become one symbol per distinct argument.

If the rational function cancels to 0 with the atoms as *independent* symbols, it is 0 for
every value they can take, so the original expression is identically 0: a proof. The converse
does not hold (an identity that needs a relation between atoms, e.g.
$\tanh^2 u = 1 - \tanh' u$, is missed), so :func:`is_identically_zero` falls back to other
methods before it answers ``False``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from ._safe import as_expr

__all__ = ["atomize", "is_identically_zero"]


def atomize(expr: sp.Basic, table: dict | None = None) -> sp.Expr:
    """``expr`` with its transcendental pieces replaced by symbols (see the module docstring).

    ``table`` maps each piece's key to its symbol; pass the same dict to atomize several
    expressions consistently.
    """
    table = {} if table is None else table
    memo: dict = {}

    def symbol(key, prefix: str, **assumptions):
        if key not in table:
            table[key] = sp.Dummy(prefix, **assumptions)
        return table[key]

    def walk(e):
        if e in memo:
            return memo[e]
        if e.is_Atom:
            out = e
        elif isinstance(e, sp.exp):
            coeff, core = walk(e.args[0]).as_content_primitive()
            if core.could_extract_minus_sign():
                coeff, core = -coeff, -core
            out = symbol(("exp", core), "Z", positive=True) ** coeff
        elif (
            isinstance(e, sp.Piecewise)
            and len(e.args) == 2
            and e.args[1].cond == sp.true
            and e.args[1].expr == 0
        ):
            value, cond = e.args[0]
            out = walk(value) * symbol(("H", walk(cond)), "H", real=True)
        elif isinstance(e, (sp.Function, sp.Piecewise)):
            args = tuple(walk(a) for a in e.args)
            out = symbol((e.func, args), "A", real=True)
        else:
            out = e.func(*[walk(a) for a in e.args])
        memo[e] = out
        return out

    return walk(as_expr(expr, "expr", "atomize"))


def is_identically_zero(
    expr: sp.Basic, variables: Sequence[sp.Symbol] = (), try_simplify: bool = True
) -> bool:
    r"""Whether ``expr`` is 0 for every value of its symbols. ``True`` is always a proof.

    Without ``variables``: :func:`atomize`, then ``sympy.cancel`` (fast; works on the
    gradients of a whole network).

    With ``variables`` (e.g. the $s_k$ of a pair derivation): ``tanh`` is rewritten with
    ``exp`` and each variable replaced by $\ln z_k$ with $z_k > 0$, so the exponentials of
    sigmoid, tanh and softmax become rational in the $z_k$; a ``Piecewise`` is split into its
    branches; ``sympy.cancel`` decides each branch.

    Then, if ``try_simplify``, ``sympy.simplify`` gets each branch that did not cancel.
    ``False`` means none of this could show it. For the expressions of this package that
    means they differ (the tests confirm such cases with a numeric counter-example).
    """
    e = as_expr(expr, "expr", "is_identically_zero")
    variables = list(variables)
    if e == 0:
        return True
    if variables:
        if e.has(sp.tanh):
            e = e.rewrite(sp.exp)
        z = [sp.Dummy(f"z{k}", positive=True) for k in range(len(variables))]
        e = e.xreplace({v: sp.log(zk) for v, zk in zip(variables, z, strict=True)})
        e = sp.piecewise_fold(e)
        branches = [b for b, _ in e.args] if isinstance(e, sp.Piecewise) else [e]
        rest = [b for b in branches if sp.cancel(sp.together(b)) != 0]
    else:
        rest = [] if sp.cancel(sp.together(atomize(e))) == 0 else [e]
    return not rest or (try_simplify and all(sp.simplify(b) == 0 for b in rest))
