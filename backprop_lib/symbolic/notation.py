r"""Symbols in the book's notation, named so that ``sympy.latex`` renders them as in the text.

Unit indices in symbol names count from 1, as in the text; matrix positions count from 0, as in
numpy and sympy. So the symbol $w^{(l)}_{ji}$ sits at ``W[l - 1][j - 1, i - 1]``.

======================  ==========================  =====================================
symbol                  name (LaTeX)                 meaning
======================  ==========================  =====================================
$x_j$                   ``x_{j}``                    input unit $j$ (layer 0)
$w^{(l)}_{ji}$          ``w^{(l)}_{ji}``             weight from unit $j$ of layer $l-1$
                                                     to unit $i$ of layer $l$
$b^{(l)}_i$             ``b^{(l)}_{i}``              bias of unit $i$ of layer $l$
$t_i$                   ``t_{i}``                    target of output unit $i$
$s_i$, $o_i$            ``s_{i}``, ``o_{i}``         pre-activation and output of unit $i$
                                                     of one layer (in pair derivations)
======================  ==========================  =====================================

When a weight index has two digits, the two indices are separated by a comma
(``w^{(1)}_{1,12}``), so that no name is ambiguous. All symbols are ``real=True``; sympy
returns the same object for the same name, so symbols built here in different calls are equal.
"""

from __future__ import annotations

import sympy as sp

__all__ = [
    "bias_symbols",
    "input_symbols",
    "output_symbols",
    "pre_activation_symbols",
    "target_symbols",
    "weight_symbols",
]


def _check_count(n, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name} must be a positive int, got {n!r} of type {type(n).__name__}")
    if n < 1:
        raise ValueError(f"{name} must be a positive int, got {n}")
    return n


def _row(letter: str, n: int, name: str) -> sp.Matrix:
    _check_count(n, name)
    return sp.Matrix([[sp.Symbol(f"{letter}_{{{i}}}", real=True) for i in range(1, n + 1)]])


def input_symbols(n: int) -> sp.Matrix:
    r"""The input row $x = (x_1, \dots, x_n)$, a ``1 x n`` Matrix of real symbols."""
    return _row("x", n, "n")


def target_symbols(n: int) -> sp.Matrix:
    r"""The target row $t = (t_1, \dots, t_n)$, a ``1 x n`` Matrix of real symbols."""
    return _row("t", n, "n")


def pre_activation_symbols(n: int) -> sp.Matrix:
    r"""The pre-activation row $s = (s_1, \dots, s_n)$ of one layer, ``1 x n``."""
    return _row("s", n, "n")


def output_symbols(n: int) -> sp.Matrix:
    r"""The output row $o = (o_1, \dots, o_n)$ of one layer, ``1 x n``."""
    return _row("o", n, "n")


def weight_symbols(layer: int, n_in: int, n_out: int) -> sp.Matrix:
    r"""The weights $W^l$ of layer ``layer``: an ``n_in x n_out`` Matrix whose entry
    ``[j - 1, i - 1]`` is the symbol $w^{(l)}_{ji}$ (unit $j$ of layer $l-1$ to unit $i$ of
    layer $l$)."""
    _check_count(layer, "layer")
    _check_count(n_in, "n_in")
    _check_count(n_out, "n_out")
    sep = "," if max(n_in, n_out) >= 10 else ""
    return sp.Matrix(
        n_in,
        n_out,
        lambda j, i: sp.Symbol(f"w^{{({layer})}}_{{{j + 1}{sep}{i + 1}}}", real=True),
    )


def bias_symbols(layer: int, n_out: int) -> sp.Matrix:
    r"""The biases $b^l$ of layer ``layer``: a ``1 x n_out`` row of symbols $b^{(l)}_i$."""
    _check_count(layer, "layer")
    _check_count(n_out, "n_out")
    names = [f"b^{{({layer})}}_{{{i}}}" for i in range(1, n_out + 1)]
    return sp.Matrix([[sp.Symbol(name, real=True) for name in names]])
