r"""The one way a value from a caller becomes a sympy expression in this package.

``sympy.sympify`` parses a string with ``eval``: ``sympify("__import__('os').system(...)")``
runs a shell command. (``sympy.Matrix`` sympifies string entries the same way, and
non-strict ``sympify`` falls back to ``str(obj)`` for unknown objects.) So no string ever
reaches it here. :func:`as_expr` accepts

- a sympy object (``sympy.Basic``: an expression, a symbol, a number), returned as it is;
- a real number (``int``, ``float``, a numpy scalar, ``fractions.Fraction``), converted with
  ``sympify(strict=True)``, which never parses;
- a plain name such as ``"s"`` or ``"o_k"`` (letters, digits and ``_``, starting with a
  letter), read by this module's restricted parser as ``sympy.Symbol(name)`` (what
  ``sympify`` gave for a name).

Anything else, in particular any other string, raises ``TypeError`` naming the argument.
"""

from __future__ import annotations

import numbers
import re

import sympy as sp

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


def as_expr(value, name: str, where: str) -> sp.Basic:
    """``value`` as a sympy object, never through a parser that evaluates (module
    docstring); ``TypeError`` naming ``where``, ``name``, what was given and what is valid."""
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, str):
        if _NAME.match(value):
            return sp.Symbol(value)
        shown = value if len(value) <= 40 else value[:37] + "..."
        raise TypeError(
            f"{where}: {name} must be a sympy expression, a number or a plain symbol name "
            f"(letters, digits, _); got the string {shown!r}. Strings are never parsed as "
            f"expressions (sympy's parser evaluates Python); build the expression with sympy, "
            f"e.g. sympy.Symbol('s') + 1."
        )
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return sp.sympify(value, strict=True)
    raise TypeError(
        f"{where}: {name} must be a sympy expression, a number or a plain symbol name; got "
        f"{type(value).__name__}."
    )


def as_expr_or_matrix(value, name: str, where: str):
    """A sympy Matrix as it is, else :func:`as_expr`."""
    if isinstance(value, sp.MatrixBase):
        return value
    return as_expr(value, name, where)
