r"""Claims of the *Loss/activation pairs* chapter (book/pairs.md), checked beyond its examples.

Each verdict of ``backprop_lib.teaching.pair_catalogue.PAIR_ADVICE`` (and the fused pairs) is a
claim about a pair's output delta. Here every claim is checked with the independent sympy and numpy
implementations of ``tests/helpers.py`` (the loss written out by hand, differentiated by
``sympy.diff``; no ``backprop_lib``), at points chosen to expose it. The last test runs the
chapter's catalogue in a fresh interpreter: every derivation and proof, and the numeric check
of every defined pair against the library.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from helpers import numpy_loss, numpy_outputs, sympy_delta

from backprop_lib import ACTIVATION_NAMES, LOSS_NAMES, VALID_PAIRS
from backprop_lib.teaching.pair_catalogue import PAIR_ADVICE, pair_verdict


@pytest.fixture
def rng():
    return np.random.default_rng(31415)


def _kind(kind: str) -> list[tuple[str, str]]:
    return sorted(pair for pair in VALID_PAIRS if pair_verdict(*pair).kind == kind)


#: A point where each saturating pair is badly wrong: (s, t).
SATURATED = {
    "sigmoid": ([-10.0, 10.0, -9.0], [1.0, 0.0, 1.0]),
    "tanh": ([-10.0, 10.0, -9.0], [1.0, -1.0, 1.0]),
    "softmax": ([-8.0, 8.0, 0.0], [1.0, 0.0, 0.0]),
    "softplus": ([-10.0, -12.0, -9.0], [1.0, 2.0, 1.0]),
}


@pytest.mark.parametrize("activation, loss", _kind("saturates"))
def test_saturating_pairs_have_a_vanishing_delta_where_badly_wrong(activation, loss):
    s, t = (np.array(v) for v in SATURATED[activation])
    o = numpy_outputs(activation, s)
    assert np.max(np.abs(o - t)) > 0.99, "the point is not badly wrong"
    delta = sympy_delta(activation, loss, s, t)
    assert np.max(np.abs(delta)) < 1e-3, f"{activation} + {loss}: delta {delta}"


@pytest.mark.parametrize("activation, loss", _kind("fused"))
def test_fused_pairs_give_output_minus_target(activation, loss, rng):
    for _ in range(3):
        s = rng.normal(scale=2.0, size=3)
        t = rng.dirichlet(np.ones(3)) if loss == "cross_entropy" else rng.uniform(size=3)
        np.testing.assert_allclose(
            sympy_delta(activation, loss, s, t),
            numpy_outputs(activation, s) - t,
            rtol=1e-12,
            atol=1e-15,
        )
    # ... and where the squared error's delta vanishes, theirs is of size 1
    s_sat, t_sat = (np.array(v) for v in SATURATED[activation])
    assert np.max(np.abs(sympy_delta(activation, loss, s_sat, t_sat))) > 0.99


@pytest.mark.parametrize("activation, loss", _kind("good"))
def test_linear_with_squared_errors_is_proportional_to_the_error(activation, loss, rng):
    factor = {"squared_error": 1.0, "sum_squared_error": 2.0}[loss]
    s, t = rng.normal(size=3), rng.normal(size=3)
    np.testing.assert_allclose(sympy_delta(activation, loss, s, t), factor * (s - t), rtol=1e-12)


@pytest.mark.parametrize("loss", ["squared_error", "sum_squared_error"])
def test_relu_output_is_dead_for_negative_s_whatever_the_target(loss, rng):
    assert pair_verdict("relu", loss).kind == "poor"
    for _ in range(5):
        s = -rng.uniform(0.1, 5.0, size=3)
        t = rng.normal(scale=3.0, size=3)
        np.testing.assert_array_equal(sympy_delta("relu", loss, s, t), 0.0)


def test_sigmoid_cross_entropy_loss_falls_while_the_prediction_worsens():
    assert pair_verdict("sigmoid", "cross_entropy").kind == "poor"
    t = np.array([1.0, 0.0, 0.0])
    s_right, s_worse = np.array([2.0, -2.0, -2.0]), np.array([3.0, 6.0, 6.0])
    E_right = numpy_loss("sigmoid", "cross_entropy", s_right, t)
    E_worse = numpy_loss("sigmoid", "cross_entropy", s_worse, t)
    assert np.argmax(numpy_outputs("sigmoid", s_right)) == 0
    assert np.argmax(numpy_outputs("sigmoid", s_worse)) != 0
    assert E_worse < E_right
    for target in np.eye(3):  # every output pushed up: the loss is ~0 for every target
        assert numpy_loss("sigmoid", "cross_entropy", np.full(3, 10.0), target) < 1e-4
    # units with t = 0 get no signal at all
    np.testing.assert_array_equal(sympy_delta("sigmoid", "cross_entropy", s_worse, t)[1:], 0.0)


def test_softplus_cross_entropy_has_no_minimum(rng):
    assert pair_verdict("softplus", "cross_entropy").kind == "poor"
    for target in np.eye(3):  # every output pushed up: E falls below 0 and keeps falling
        E = [numpy_loss("softplus", "cross_entropy", np.full(3, v), target) for v in (1, 10, 100)]
        assert 0 > E[1] > E[2] and E[0] > E[1]
        assert E[2] < -4.6  # -ln 100
    for _ in range(5):  # delta only ever pushes outputs up, and t = 0 gets no signal
        s, t = rng.normal(scale=3.0, size=3), np.array([0.7, 0.3, 0.0])
        delta = sympy_delta("softplus", "cross_entropy", s, t)
        assert np.all(delta[:2] < 0) and delta[2] == 0.0


def test_softmax_binary_cross_entropy_cannot_fit_multi_label_targets(rng):
    assert pair_verdict("softmax", "binary_cross_entropy").kind == "poor"
    t = np.array([1.0, 1.0, 0.0])
    losses = [
        numpy_loss("softmax", "binary_cross_entropy", s, t)
        for s in rng.uniform(-10.0, 10.0, size=(2000, 3))
    ]
    assert min(losses) >= 2 * np.log(2)
    np.testing.assert_allclose(
        numpy_loss("softmax", "binary_cross_entropy", np.array([30.0, 30.0, -30.0]), t),
        2 * np.log(2),
    )


def test_softmax_binary_cross_entropy_couples_the_units():
    s = np.array([0.3, -0.2, 0.5])
    t_a, t_b = np.array([1.0, 0.0, 0.0]), np.array([1.0, 1.0, 0.0])  # only t_2 differs
    coupled = sympy_delta("softmax", "binary_cross_entropy", s, t_a)[0]
    assert coupled != sympy_delta("softmax", "binary_cross_entropy", s, t_b)[0]
    separate = sympy_delta("sigmoid", "binary_cross_entropy", s, t_a)[0]
    assert separate == sympy_delta("sigmoid", "binary_cross_entropy", s, t_b)[0]


def test_every_advice_kind_is_tested_here():
    tested = {"saturates", "fused", "good", "poor", "undefined"}
    kinds = {pair_verdict(a, loss).kind for a in ACTIVATION_NAMES for loss in LOSS_NAMES}
    assert kinds == tested
    poor = {pair for pair, (kind, _) in PAIR_ADVICE.items() if kind == "poor"}
    assert poor == {
        ("relu", "squared_error"),
        ("relu", "sum_squared_error"),
        ("sigmoid", "cross_entropy"),
        ("softmax", "binary_cross_entropy"),
        ("softplus", "cross_entropy"),
    }


CATALOGUE = r"""
import numpy as np
from backprop_lib import VALID_PAIRS, pair_problem
from backprop_lib.teaching.pair_catalogue import catalogue_tabs, pair_agreement
from backprop_lib.symbolic import derivation, numeric

catalogue = derivation.catalogue(3)
for d in catalogue:
    d.verify()
    assert (pair_problem(d.activation, d.loss) is None) == (d.problem is None)
catalogue_tabs(catalogue)
rng = np.random.default_rng(0)
for activation, loss in sorted(VALID_PAIRS):
    numeric.assert_matches_library(activation, loss, rng, rtol=1e-12)
    S, T = numeric.sample_points(loss, rng, batch=5, n=3)
    agreement = pair_agreement(activation, loss, S, T)
    assert agreement.error_numerical < 1e-7
print(len(catalogue), "derivations")
"""


def test_catalogue_derivation_and_check_pass_in_a_fresh_interpreter():
    r"""The chapter's catalogue: a derivation and proof for every pair, the rendering, and the
    numeric check of the defined pairs (sympy vs library vs finite differences), from a fresh
    interpreter with warnings as errors (nothing cached by other tests). How long it takes is
    not asserted: a time limit measures the machine, not the code."""
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", CATALOGUE],
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    n_pairs = len(ACTIVATION_NAMES) * len(LOSS_NAMES)
    assert result.stdout.strip().splitlines()[-1] == f"{n_pairs} derivations"
