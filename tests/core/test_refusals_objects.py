r"""Activations, losses and pairs used on their own (``ACTIVATIONS[name]``, ``LOSSES[name]``,
``output_delta``, ``output_loss``), without a network.

- Arguments: each method checks its arrays (shape, one shape for ``s``, ``o`` and
  ``grad_o``, empty, ragged, masked, text, finite targets) and names them in its message.
- Integer, saturated and non-finite input: integers are converted to float64 before any
  arithmetic (``np.exp`` of int8 computes in float16; ``-np.abs`` and ``s - s.max()`` of
  unsigned integers wrap around); a non-finite ``s`` or target is refused with a message
  naming it; an overflow that is the right answer (an ``exp`` that underflows to 0) raises
  nothing and warns nothing, even under a caller's ``np.seterr(all="raise")``.
- The range each dtype guarantees (``pairs.GUARANTEED_RANGE``): every valid pair's delta is
  within 4 eps of the exact delta (1200-digit arithmetic) for ``|s|`` up to 1000, in float64
  and float32; beyond, delta stays finite and a loss that overflows is refused.

Expected values are the same calls on float64 input, written out here, or the sympy twin's
forms evaluated with mpmath.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from refusal import case_ids, refused, run_table, strictly

from backprop_lib.activations import ACTIVATIONS
from backprop_lib.losses import LOSSES
from backprop_lib.pairs import output_delta, output_loss

A, L = ACTIVATIONS, LOSSES
Z23 = np.zeros((2, 3))

# -- arguments ------------------------------------------------------------------------------

OBJECTS = [
    (
        "sigmoid backward broadcast",
        lambda n, g: A["sigmoid"].backward(Z23, Z23, np.ones((2, 1))),
        ValueError,
        r"Sigmoid\.backward: s, o and grad_o must have one shape .*nothing is broadcast.*"
        r"grad_o\.shape = \(2, 1\)",
    ),
    (
        "softmax backward o shape",
        lambda n, g: A["softmax"].backward(Z23, np.zeros((3, 2)), Z23),
        ValueError,
        r"Softmax\.backward: s, o and grad_o must have one shape",
    ),
    (
        "tanh forward empty",
        lambda n, g: A["tanh"].forward(np.zeros((0, 2))),
        ValueError,
        r"Tanh\.forward: s is empty \(shape \(0, 2\)\); it needs at least one entry",
    ),
    (
        "relu derivative text",
        lambda n, g: A["relu"].derivative(["a"]),
        TypeError,
        r"ReLU\.derivative: s must hold real numbers",
    ),
    (
        "softmax forward scalar",
        lambda n, g: A["softmax"].forward(3.0),
        ValueError,
        r"Softmax\.forward: s must be an array of shape \(batch, n\) or \(n,\); got a scalar",
    ),
    (
        "linear jacobian ragged",
        lambda n, g: A["linear"].jacobian([[1.0], [1.0, 2.0]]),
        ValueError,
        r"Linear\.jacobian: s must be an array of shape \(batch, n\)",
    ),
    (
        "softmax jacobian masked",
        lambda n, g: A["softmax"].jacobian(np.ma.masked_array(Z23)),
        TypeError,
        r"Softmax\.jacobian: s is a masked array",
    ),
    (
        "squared_error value empty",
        lambda n, g: L["squared_error"].value(np.zeros((0, 2)), np.zeros((0, 2))),
        ValueError,
        r"SquaredError\.value: o is empty \(shape \(0, 2\)\)",
    ),
    (
        "cross_entropy gradient shapes",
        lambda n, g: L["cross_entropy"].gradient(np.full((2, 3), 0.5), np.ones((2, 1))),
        ValueError,
        r"CrossEntropy\.gradient: o and t must be 2-D arrays of the same shape",
    ),
    (
        "sum_squared_error value ragged",
        lambda n, g: L["sum_squared_error"].value([[1.0], [1.0, 2.0]], Z23),
        ValueError,
        r"SumSquaredError\.value: o must be an array of shape \(batch, n_L\)",
    ),
    (
        "check_targets nan",
        lambda n, g: L["squared_error"].check_targets(np.array([[0.0, np.nan]])),
        ValueError,
        r"check_targets: t must be finite; got nan at t\[0, 1\]",
    ),
    (
        "bce check_targets nan",
        lambda n, g: L["binary_cross_entropy"].check_targets(np.array([[np.nan]])),
        ValueError,
        r"check_targets: t must be finite; got nan",
    ),
    (
        "ce check_targets inf",
        lambda n, g: L["cross_entropy"].check_targets(np.array([[np.inf, 0.0]])),
        ValueError,
        r"check_targets: t must be finite; got inf",
    ),
    (
        "check_targets empty",
        lambda n, g: L["cross_entropy"].check_targets(np.zeros((0, 2))),
        ValueError,
        r"check_targets: t is empty",
    ),
    (
        "output_delta shapes",
        lambda n, g: output_delta(
            A["softmax"], L["cross_entropy"], Z23, np.full((2, 3), 1 / 3), np.ones((2, 1))
        ),
        ValueError,
        r"output_delta: o and t must be 2-D arrays of the same shape",
    ),
    (
        "output_loss s shape",
        lambda n, g: output_loss(
            A["sigmoid"], L["binary_cross_entropy"], np.zeros((2, 2)), Z23 + 0.5, Z23
        ),
        ValueError,
        r"output_loss: s and o must have one shape",
    ),
]


@pytest.mark.parametrize("case_id", case_ids(OBJECTS))
def test_objects_used_on_their_own_check_their_arguments(case_id):
    run_table(OBJECTS, case_id)


# -- integer, saturated and non-finite input ------------------------------------------------


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int64, np.uint64, bool])
def test_integer_input_is_computed_in_float64(name, dtype):
    values = {np.uint8: [0, 255], np.int8: [-128, 127], bool: [False, True]}.get(
        dtype, [-3, 40] if dtype is np.int64 else [0, 40]
    )
    s = np.array([values], dtype=dtype)
    want = ACTIVATIONS[name].forward(np.array([values], dtype=np.float64))
    got = strictly(lambda: ACTIVATIONS[name].forward(s))
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, want)


def test_unsigned_integers_do_not_wrap():
    sigmoid, softmax = ACTIVATIONS["sigmoid"], ACTIVATIONS["softmax"]
    # sigma(255) rounds to 1; e^{-255} / (1 + e^{-255}) is 1.8e-111, written out
    np.testing.assert_array_equal(
        strictly(lambda: sigmoid.forward(np.uint8([[0, 255]]))), [[0.5, 1.0]]
    )
    o = strictly(lambda: softmax.forward(np.uint8([[0, 255]])))
    np.testing.assert_allclose(o, [[np.exp(-255.0), 1.0]], rtol=1e-14)
    E = strictly(
        lambda: output_loss(
            sigmoid, LOSSES["binary_cross_entropy"], np.uint8([[255]]), [[1.0]], [[1]]
        )
    )
    np.testing.assert_allclose(E, np.log1p(np.exp(-255.0)), rtol=1e-14)  # softplus(-255)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_saturated_input_under_seterr_raise(name):
    s = np.array([[-1000.0, 0.0, 1000.0]])
    activation = ACTIVATIONS[name]
    o = strictly(lambda: activation.forward(s))
    assert np.isfinite(o).all()
    back = strictly(lambda: activation.backward(s, o, np.ones_like(s)))
    assert np.isfinite(back).all()
    if activation.elementwise:
        assert np.isfinite(strictly(lambda: activation.derivative(s))).all()
    assert np.isfinite(strictly(lambda: activation.jacobian(s))).all()
    o_list = strictly(lambda: activation.forward([[-1000, 0, 1000]]))  # list of ints
    np.testing.assert_array_equal(o_list, o)


def test_float16_softmax_whose_shift_overflows():
    o = strictly(lambda: ACTIVATIONS["softmax"].forward(np.float16([[6e4, -6e4]])))
    assert o.dtype == np.float16
    np.testing.assert_array_equal(o, [[1.0, 0.0]])


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_s_is_refused(name, bad):
    refused(
        lambda: ACTIVATIONS[name].forward([[bad, 0.0]]),
        ValueError,
        f"{type(ACTIVATIONS[name]).__name__}.forward: s must be finite",
        "s[0, 0]",
    )


def test_loss_gradients_that_overflow_are_refused():
    refused(
        lambda: LOSSES["squared_error"].gradient([[1e308]], [[-1e308]]),
        FloatingPointError,
        "SquaredError.gradient: dE/do overflows",
    )
    refused(
        lambda: LOSSES["cross_entropy"].gradient([[1e-320]], [[1.0]]),
        FloatingPointError,
        "CrossEntropy.gradient: dE/do overflows",
        "1e-320",
    )


@pytest.mark.parametrize("as_array", [False, True])
def test_a_nan_target_is_named(as_array):
    o, t = [[0.0]], [[np.nan]]
    if as_array:
        o, t = np.array(o), np.array(t)
    for method in ("value", "gradient"):
        refused(
            lambda m=method: getattr(LOSSES["squared_error"], m)(o, t),
            ValueError,
            f"SquaredError.{method}: t must be finite; got nan at t[0, 0]",
        )


@pytest.mark.parametrize("as_array", [False, True])
def test_output_delta_refuses_an_infinite_s(as_array):
    s, o, t = [[np.inf, 0.0]], [[0.5, 0.5]], [[1.0, 0.0]]
    if as_array:
        s, o, t = np.array(s), np.array(o), np.array(t)
    softmax, bce = ACTIVATIONS["softmax"], LOSSES["binary_cross_entropy"]
    refused(
        lambda: output_delta(softmax, bce, s, o, t),
        ValueError,
        "output_delta: s must be finite; got inf at s[0, 0]",
    )


def test_cross_entropy_targets_whose_sum_overflows_are_refused_without_a_warning():
    refused(
        lambda: LOSSES["cross_entropy"].check_targets(np.full((4, 2), 1e308)),
        ValueError,
        "probability vectors",
        "sums to inf",
    )


# -- the range each dtype guarantees --------------------------------------------------------


def exact_delta(activation, loss, s_row, t_row):
    """delta = dE/ds of one row in 1200-digit arithmetic (mpmath): enough digits for 1 - o
    when o = sigma(1000) or a softmax at |s| = 1000. The elementwise f, f' and the loss's
    dE/do are the sympy twin's (``backprop_lib.symbolic``, sympy.diff), lambdified to mpmath;
    the softmax is written out."""
    import mpmath as mp
    import sympy as sp

    from backprop_lib import symbolic

    u, tk = sp.symbols("u t_k", real=True)

    with mp.workdps(1200):
        s = [mp.mpf(float(v)) for v in s_row]
        t = [mp.mpf(float(v)) for v in t_row]
        n = len(s)
        if activation == "softmax":
            total = mp.fsum(mp.exp(v) for v in s)
            o = [mp.exp(v) / total for v in s]
            J = [[o[i] * (int(i == j) - o[j]) for j in range(n)] for i in range(n)]
        else:
            act = symbolic.get_activation(activation)
            f = sp.lambdify(u, act.scalar(u), "mpmath")
            d = sp.lambdify(u, act.derivative(u), "mpmath")
            o = [f(v) for v in s]
            J = [[d(s[i]) if i == j else 0 for j in range(n)] for i in range(n)]
        term = symbolic.get_loss(loss).term(u, tk)
        g = sp.lambdify((u, tk), sp.diff(term, u), "mpmath")
        grad_o = [g(ok, tk) for ok, tk in zip(o, t, strict=True)]
        return [float(mp.fsum(grad_o[i] * J[i][j] for i in range(n))) for j in range(n)]


def pair_rows(loss, scale, dtype, rng, n_rows=6):
    s = (rng.uniform(-1, 1, size=(n_rows, 3)) * scale).astype(dtype)
    s[0] = np.array([1, -1, 0.5]) * scale  # the extremes themselves
    s[1] = [scale - 0.3, -scale + 1.7, scale + 0.9]  # units clustered near the extremes
    s[2] = [-scale - 0.4, scale - 1.3, -scale + 0.2]
    if loss == "cross_entropy":
        t = np.eye(3, dtype=dtype)[rng.integers(0, 3, n_rows)]
    else:
        t = rng.uniform(0, 1, size=(n_rows, 3)).astype(dtype)
    return s, t


def _pairs():
    from backprop_lib.pairs import VALID_PAIRS

    return sorted(VALID_PAIRS)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("pair", _pairs(), ids="-".join)
def test_delta_is_accurate_to_4_eps_for_s_up_to_1000(pair, dtype):
    """The guarantee of pairs.GUARANTEED_RANGE: within 4 eps max(1, max |delta|) of the
    exact delta at the given s, with no warning (the issue: float32 softmax + binary
    cross-entropy was 1.5e-5 off at |s| = 1000)."""
    from backprop_lib import ACTIVATIONS, LOSSES, output_delta

    activation, loss = pair
    rng = np.random.default_rng(11)
    eps = np.finfo(dtype).eps
    for scale in (3.0, 40.0, 1000.0):
        s, t = pair_rows(loss, scale, dtype, rng)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            o = ACTIVATIONS[activation].forward(s)
            delta = output_delta(ACTIVATIONS[activation], LOSSES[loss], s, o, t) * len(s)
        assert delta.dtype == dtype
        for row in range(len(s)):
            exact = np.array(exact_delta(activation, loss, s[row], t[row]))
            bound = 4 * eps * max(1.0, np.abs(exact).max())
            assert np.abs(delta[row] - exact).max() <= bound, (scale, row)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("pair", _pairs(), ids="-".join)
def test_beyond_1000_delta_stays_finite_and_the_loss_refuses_overflow(pair, dtype):
    from backprop_lib import ACTIVATIONS, LOSSES, output_delta, output_loss
    from backprop_lib.pairs import GUARANTEED_RANGE

    activation, loss = pair
    rng = np.random.default_rng(12)
    finite_up_to = GUARANTEED_RANGE[np.dtype(dtype)][1]
    for scale in (1e4, finite_up_to**0.5, finite_up_to):
        s, t = pair_rows(loss, scale, dtype, rng)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            o = ACTIVATIONS[activation].forward(s)
            delta = output_delta(ACTIVATIONS[activation], LOSSES[loss], s, o, t)
            try:
                E = output_loss(ACTIVATIONS[activation], LOSSES[loss], s, o, t)
            except FloatingPointError as error:
                assert "overflows the dtype" in str(error)
                E = None
        assert not caught, [str(w.message) for w in caught]
        assert np.isfinite(delta).all()
        assert E is None or np.isfinite(E)
