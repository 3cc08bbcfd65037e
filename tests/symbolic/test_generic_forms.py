r"""The generic-unit (textbook) forms of every pair, proven against ``sympy.diff`` beyond one n.

``prove_generic_forms`` differentiates indexed sums with a symbolic n; these tests run it on
every pair and show that it fails when a template is wrong.
"""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from backprop_lib.symbolic import derivation, functions
from backprop_lib.symbolic.derivation import SOFTMAX_DELTA_BOUND, prove_generic_forms

PAIRS = [(a, loss) for a in functions.ACTIVATION_NAMES for loss in functions.LOSS_NAMES]
# softmax with the binary cross-entropy: the slowest proof by far (~10 s; every other <= 1.5 s).
SLOW_PAIRS = {("softmax", "binary_cross_entropy")}


@pytest.mark.parametrize(
    ("activation", "loss"),
    [pytest.param(*pair, marks=pytest.mark.slow) if pair in SLOW_PAIRS else pair for pair in PAIRS],
)
def test_every_pair_is_proven(activation, loss):
    proofs = prove_generic_forms(activation, loss)
    assert proofs["grad_o_i"] == "every n"
    assert proofs["jacobian_ij"] == "every n"
    if activation == "softmax":
        assert proofs["delta_i"] == f"n = 2 to {SOFTMAX_DELTA_BOUND}"
    else:
        assert proofs["derivative_from_output"] == "every s"
        assert proofs["delta_i"].startswith("every n")


@pytest.fixture
def fresh_caches():
    derivation._prove_generic_forms.cache_clear()
    derivation._derive.cache_clear()
    yield
    derivation._prove_generic_forms.cache_clear()
    derivation._derive.cache_clear()


def test_a_wrong_loss_template_fails(monkeypatch, fresh_caches):
    wrong = dataclasses.replace(
        functions.LOSSES["squared_error"], unit_gradient_fn=lambda o, t: t - o
    )  # sign flipped
    monkeypatch.setitem(functions.LOSSES, "squared_error", wrong)
    with pytest.raises(AssertionError, match="dE/do_i"):
        prove_generic_forms("tanh", "squared_error")


def test_a_wrong_derivative_template_fails(monkeypatch, fresh_caches):
    wrong = dataclasses.replace(
        functions.ACTIVATIONS["sigmoid"], derivative_from_output_fn=lambda o: o * (1 + o)
    )
    monkeypatch.setitem(functions.ACTIVATIONS, "sigmoid", wrong)
    with pytest.raises(AssertionError, match="f' written with o"):
        prove_generic_forms("sigmoid", "squared_error")


def test_sums_close_for_every_n():
    i, k, n = sp.symbols("i k n", integer=True, positive=True)
    o = sp.IndexedBase("o", real=True)
    total = sp.Sum(o[k] ** 2, (k, 1, n))
    assert sp.simplify(derivation._for_every_n(sp.diff(total, o[i]), i) - 2 * o[i]) == 0
