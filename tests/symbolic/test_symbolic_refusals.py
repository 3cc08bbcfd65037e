r"""``backprop_lib.symbolic`` refuses what would run code or parse text, and accepts numpy
integers.

- No string reaches sympy's parser: every public symbolic function that once passed a string
  to ``sympify`` refuses one (a string of Python code never runs); plain symbol names and
  numbers still work.
- A Symbol whose name is Python code is never compiled; strings are never read as numbers;
  ``derive(n=np.int64(3))`` is ``derive(n=3)``."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from refusal import assert_refused

from backprop_lib import Dense, Network, symbolic
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


# -- no string reaches sympy's parser ----------------------------------------------------------


def symbolic_entry_points(payload):
    """Every public symbolic function that took a string into ``sympify``, called with
    ``payload``."""
    import sympy as sp

    from backprop_lib import symbolic
    from backprop_lib.symbolic import identity, numeric

    sigmoid, squared = symbolic.get_activation("sigmoid"), symbolic.get_loss("squared_error")
    d = symbolic.derive("sigmoid", "squared_error", 2)
    net = symbolic.symbolic_network([1, 1], ["linear"])
    library = Network([Dense.from_arrays([[1.0]], [0.0], "linear")], "squared_error")
    x = sp.Symbol("x")
    return {
        "latex": lambda: symbolic.latex(payload),
        "scalar": lambda: sigmoid.scalar(payload),
        "derivative": lambda: sigmoid.derivative(payload),
        "derivative_from_output": lambda: sigmoid.derivative_from_output(payload),
        "forward row": lambda: sigmoid.forward([payload]),
        "jacobian row": lambda: symbolic.get_activation("softmax").jacobian([payload, x]),
        "term": lambda: squared.term(payload, x),
        "unit_gradient": lambda: squared.unit_gradient(x, payload),
        "value": lambda: squared.value([payload], [x]),
        "at_units": lambda: d.at_units(payload),
        "in_s": lambda: d.in_s(payload),
        "is_identically_zero": lambda: identity.is_identically_zero(payload),
        "atomize": lambda: identity.atomize(payload),
        "lambdify_matrix": lambda: numeric.lambdify_matrix(payload, [sp.Matrix([[x]])]),
        "evaluate": lambda: net.evaluate(payload, library, [1.0], [0.0]),
    }


MALICIOUS = "__import__('pathlib').Path(%r).write_text('pwned')"


@pytest.mark.parametrize("entry", sorted(symbolic_entry_points("x")))
def test_a_malicious_string_is_refused_and_never_runs(entry, tmp_path):
    marker = tmp_path / "marker"
    call = symbolic_entry_points(MALICIOUS % str(marker))[entry]
    assert_refused(
        call,
        TypeError,
        r"must be a sympy expression, a number or a plain symbol "
        r"name .*got the string .*Strings are never parsed",
    )
    assert not marker.exists()


@pytest.mark.parametrize("text", ["x + 1", "1e3", "exp(s)", "s; import os", "", "2*x"])
def test_only_plain_names_are_read_from_strings(text):
    assert_refused(
        lambda: symbolic_entry_points(text)["scalar"](),
        TypeError,
        r"sigmoid\.scalar: s must be a sympy expression, a number or a plain "
        r"symbol name",
    )


def test_plain_names_and_numbers_still_work():
    import sympy as sp

    from backprop_lib import symbolic

    sigmoid = symbolic.get_activation("sigmoid")
    assert sigmoid.scalar("s") == sigmoid.scalar(sp.Symbol("s"))
    assert sigmoid.scalar(0) == sp.Rational(1, 2)
    assert sp.simplify(sigmoid.derivative(np.float64(0.0)) - sp.Rational(1, 4)) == 0
    assert symbolic.latex(sp.Symbol("o_k")) == symbolic.latex("o_k")
