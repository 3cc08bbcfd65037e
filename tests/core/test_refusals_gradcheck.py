r"""Refusals of ``gradient_check`` and ``numerical_gradient``: never "agrees" when they could
not compare.

- ``eps`` outside the range where central differences resolve the gradient (rounding below
  it, truncation above), zero, NaN, a string or a number beyond float64;
- a loss that overflows at the given data or at a shifted parameter, backprop's gradients
  that are NaN (a broken backward pass is a failure, not an agreement);
- a network in float32 (central differences need float64), a masked ``X``.

Inside the accepted range of ``eps``, every planted bug of the bugs chapter still scores
above the failure threshold and correct backprop below the pass threshold.
"""

from __future__ import annotations

import numpy as np
import pytest
from refusal import MASKED_X, T4, X4, assert_refused, case_ids, make_nets, run_table, strictly

from backprop_lib import Network, gradient_check, numerical_gradient
from backprop_lib.teaching.bugs import BUGS, demo_problem, with_bug

EPS_RANGE = r"eps must lie in \[1e-08, 1e-05\]; got "
GRADCHECK = [
    (
        "eps 1e-12",
        lambda n, g: gradient_check(n["ce"], X4, T4, eps=1e-12),
        ValueError,
        EPS_RANGE + r"1e-12\. Below it rounding leaves most entries unresolved",
    ),
    (
        "eps 1e-9",
        lambda n, g: gradient_check(n["ce"], X4, T4, eps=1e-9),
        ValueError,
        EPS_RANGE + "1e-09",
    ),
    (
        "eps 1e-3",
        lambda n, g: gradient_check(n["ce"], X4, T4, eps=1e-3),
        ValueError,
        EPS_RANGE + r"0\.001\..*truncation error",
    ),
    (
        "eps 0",
        lambda n, g: gradient_check(n["ce"], X4, T4, eps=0.0),
        ValueError,
        r"gradient_check: eps must be a positive finite number; got 0\.0",
    ),
    (
        "eps nan",
        lambda n, g: gradient_check(n["ce"], X4, T4, eps=np.nan),
        ValueError,
        r"eps must be a positive finite number; got nan",
    ),
    (
        "eps str",
        lambda n, g: gradient_check(n["ce"], X4, T4, eps="1e-6"),
        TypeError,
        r"eps must be a positive finite number; got '1e-6'",
    ),
    (
        "numerical eps 1e-20",
        lambda n, g: numerical_gradient(n["ce"], X4, T4, 0, "W", eps=1e-20),
        ValueError,
        r"numerical_gradient: eps must lie in \[1e-12, 0\.01\]; got 1e-20",
    ),
    (
        "numerical eps 1",
        lambda n, g: numerical_gradient(n["ce"], X4, T4, 0, "W", eps=1.0),
        ValueError,
        r"numerical_gradient: eps must lie in \[1e-12, 0\.01\]; got 1\.",
    ),
    (
        "loss overflows",
        lambda n, g: gradient_check(n["reg"], X4, np.full((4, 1), 1e200)),
        FloatingPointError,
        r"gradient_check: the loss E is inf for these X and T, so backprop "
        r"and central differences cannot be compared: the check fails",
    ),
    (
        "numerical loss overflows",
        lambda n, g: numerical_gradient(n["reg"], X4, np.full((4, 1), 1e200), 0, "W"),
        FloatingPointError,
        r"numerical_gradient: the loss E at layers\[0\]\.W\[0, 0\] ± eps "
        r"is inf at index \[0\]",
    ),
    (
        "gradient_check float32",
        lambda n, g: gradient_check(n["ce"].astype(np.float32), X4, T4),
        TypeError,
        r"gradient_check: net computes in float32; central differences need float64",
    ),
    (
        "gradient_check masked X",
        lambda n, g: gradient_check(n["ce"], MASKED_X, T4),
        TypeError,
        r"gradient_check: X is a masked array",
    ),
]


@pytest.mark.parametrize("case_id", case_ids(GRADCHECK))
def test_gradient_check_refusals(case_id):
    run_table(GRADCHECK, case_id)


class NaNNetwork(Network):
    """A network whose backward pass returns NaN gradients (a broken backprop)."""

    def backpropagate(self, X, T):
        super().backpropagate(X, T)
        for layer in self.layers:
            layer.dW = np.full_like(layer.dW, np.nan)
            layer.db = np.full_like(layer.db, np.nan)


def test_nan_gradients_are_a_failure_not_agreement():
    net = make_nets()["ce"]
    broken = NaNNetwork(net.layers, net.loss_fn)
    assert_refused(
        lambda: gradient_check(broken, X4, T4),
        FloatingPointError,
        r"gradient_check: backprop's dW of layers\[0\] is nan at index \[0, 0\] .*the check "
        r"fails",
    )


@pytest.mark.parametrize("eps", [1e-8, 1e-7, 1e-6, 1e-5])
def test_every_accepted_eps_separates_correct_from_every_bug(eps):
    """Inside the accepted range every planted bug scores >= 1e-3 and correct backprop
    <= 1e-7 (the documented thresholds), on the bugs chapter's problem."""
    net, X, T = demo_problem(0)
    assert gradient_check(with_bug(net, None), X, T, eps=eps) <= 1e-7
    for bug in BUGS:
        assert gradient_check(with_bug(net, bug), X, T, eps=eps) >= 1e-3, bug


def test_gradient_check_refuses_an_eps_beyond_float64():
    net = Network.from_sizes([2, 2, 1], "sigmoid", "squared_error", np.random.default_rng(0))
    for eps in (10**400, np.longdouble(10) ** 400):
        with pytest.raises(ValueError, match="gradient_check: eps must be a positive finite"):
            strictly(lambda e=eps: gradient_check(net, np.ones((1, 2)), np.ones((1, 1)), eps=e))
