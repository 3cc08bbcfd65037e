r"""``backprop_lib.symbolic`` refuses what would run code or parse text, and accepts numpy
integers: a Symbol whose name is Python code is never compiled, strings are never read as
numbers, ``derive(n=np.int64(3))`` is ``derive(n=3)``."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from backprop_lib import Network, symbolic
from backprop_lib.symbolic.derivation import derive
from backprop_lib.symbolic.numeric import lambdify_matrix


def evil(tmp_path):
    marker = tmp_path / "ran"
    return sp.Symbol(f"__import__('pathlib').Path({str(marker)!r}).touch()"), marker


def test_a_symbol_named_as_code_is_never_run_as_an_argument(tmp_path):
    x, marker = evil(tmp_path)
    f = lambdify_matrix(x * 2 + 1, [sp.Matrix([[x]])])  # arguments become dummies
    np.testing.assert_array_equal(f(np.array([[1.0], [2.0]])), [3.0, 5.0])
    assert not marker.exists()


def test_a_free_symbol_not_in_rows_is_refused_before_compiling(tmp_path):
    x, marker = evil(tmp_path)
    s = sp.Symbol("s")
    with pytest.raises(ValueError) as err:
        f = lambdify_matrix(s + x, [sp.Matrix([[s]])])
        f(np.ones((1, 1)))
    assert "lambdify_matrix: matrix has symbols that are not in rows" in str(err.value)
    assert "__import__" in str(err.value)
    assert not marker.exists()


def test_rows_must_hold_symbols():
    with pytest.raises(TypeError, match="rows must hold sympy Symbols; entry 0 is Add"):
        lambdify_matrix(sp.Symbol("s"), [sp.Matrix([[sp.Symbol("s") + 1]])])


def test_strings_are_not_read_as_numbers():
    s = sp.Symbol("s")
    f = lambdify_matrix(s**2, [sp.Matrix([[s]])])
    with pytest.raises(TypeError, match="argument 0 must hold real numbers"):
        f(np.array([["1e3"]]))
    net = Network.from_sizes([2, 2, 1], "sigmoid", "squared_error", np.random.default_rng(0))
    sym = symbolic.symbolic_network([2, 2, 1], "sigmoid")
    with pytest.raises(TypeError, match="SymbolicNetwork: x_row must hold real numbers"):
        sym.evaluate(sym.x[0], net, ["1e3", "1"])
    assert sym.evaluate(sym.x[0], net, [1000, 1]) == 1000.0


def test_derive_accepts_numpy_integers():
    assert derive("sigmoid", "squared_error", n=np.int64(3)) is derive(
        "sigmoid", "squared_error", 3
    )
    with pytest.raises(ValueError, match="n must be a positive int"):
        derive("sigmoid", "squared_error", n=np.float64(3))
