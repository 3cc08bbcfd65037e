"""Imported first by ``backprop_lib.symbolic``: without sympy, a clear ImportError."""

from .._extras import require

require("backprop_lib.symbolic", "symbolic", {"sympy": "sympy"})
