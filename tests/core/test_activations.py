r"""Tests for backprop_lib.activations.

Expected derivatives come from two independent computations: sympy's ``diff`` of each
activation as the sympy twin ``backprop_lib.symbolic`` writes it (no numpy code of the
library; ``tests/symbolic/test_generic_forms.py`` proves its forms), and central finite
differences of the library's own ``forward``. The five-point central difference
:math:`[f(s-2h) - 8f(s-h) + 8f(s+h) - f(s+2h)]/(12h)` has a truncation error of order
:math:`h^4`, so with :math:`h = 10^{-3}` rounding dominates at about :math:`10^{-13}`, far below
the relative tolerance of :math:`10^{-7}` on the ranges used.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from helpers import five_point

from backprop_lib import activations, symbolic
from backprop_lib.activations import (
    ACTIVATION_NAMES,
    ACTIVATIONS,
    Activation,
    Interval,
    Linear,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    get_activation,
)

RTOL = 1e-7
ELEMENTWISE = tuple(n for n in symbolic.ACTIVATION_NAMES if symbolic.get_activation(n).elementwise)

_s = sp.Symbol("s", real=True)
#: f(s) of each elementwise activation, the sympy twin's (independent of the numpy code)
SYMPY_FORMULAS = {name: symbolic.get_activation(name).scalar(_s) for name in ELEMENTWISE}


def grid(name):
    """Pre-activations in [-6, 6], shape (3, 41); for relu kept 0.05 away from the kink."""
    s = np.linspace(-6.0, 6.0, 123).reshape(3, 41)
    if name == "relu":
        s = np.where(np.abs(s) < 0.05, 0.05, s)
    return s


def sympy_derivative(name):
    derivative = sp.diff(SYMPY_FORMULAS[name], _s)
    return np.vectorize(lambda v: float(derivative.evalf(30, subs={_s: v})))


def sympy_forward(name):
    formula = SYMPY_FORMULAS[name]
    # evaluated with 30 digits: at 15, 1 + e^s rounds before the softplus' log (4e-14 at s = -6)
    return np.vectorize(lambda v: float(formula.evalf(30, subs={_s: v})))


def test_registry():
    # the names, in order, are the sympy twin's (registered independently)
    assert ACTIVATION_NAMES == symbolic.ACTIVATION_NAMES
    assert set(ACTIVATIONS) == set(ACTIVATION_NAMES)
    for name, activation in ACTIVATIONS.items():
        assert isinstance(activation, Activation)
        assert activation.name == name
        assert get_activation(name) is activation
        assert get_activation(activation) is activation
    # every Activation class of the module is registered, once, under its own name
    classes = {
        c
        for c in vars(activations).values()
        if isinstance(c, type) and issubclass(c, Activation) and c is not Activation
    }
    assert sorted(type(a).__name__ for a in ACTIVATIONS.values()) == sorted(
        c.__name__ for c in classes
    )
    assert {Sigmoid, Tanh, ReLU, Linear, Softmax} <= classes
    for n in ACTIVATION_NAMES:
        assert ACTIVATIONS[n].elementwise == symbolic.get_activation(n).elementwise
    assert not Softmax.elementwise


def test_unknown_names_are_refused_with_the_valid_ones():
    with pytest.raises(ValueError, match=r"'sigmod' is unknown.*'sigmoid'.*Did you mean 'sigmoid'"):
        get_activation("sigmod")
    with pytest.raises(TypeError, match=r"activation must be a name .* got 3"):
        get_activation(3)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_forward_matches_sympy(name):
    s = grid(name)
    np.testing.assert_allclose(ACTIVATIONS[name].forward(s), sympy_forward(name)(s), rtol=1e-14)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_sympy(name):
    s = grid(name)
    np.testing.assert_allclose(
        ACTIVATIONS[name].derivative(s), sympy_derivative(name)(s), rtol=RTOL, atol=0
    )


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_central_differences(name):
    activation = ACTIVATIONS[name]
    s = grid(name)
    np.testing.assert_allclose(
        activation.derivative(s), five_point(activation.forward, s, 1e-3), rtol=RTOL, atol=0
    )


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_jacobian_is_diagonal(name, rng):
    activation = ACTIVATIONS[name]
    s = grid(name)[:, :5]
    J = activation.jacobian(s)
    assert J.shape == (3, 5, 5)
    np.testing.assert_array_equal(J, np.stack([np.diag(row) for row in activation.derivative(s)]))
    assert activation.jacobian(s[0]).shape == (5, 5)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_backward_is_gradient_times_derivative(name, rng):
    activation = ACTIVATIONS[name]
    s = grid(name)
    o = activation.forward(s)
    grad_o = rng.normal(size=s.shape)
    np.testing.assert_allclose(
        activation.backward(s, o, grad_o), grad_o * sympy_derivative(name)(s), rtol=RTOL, atol=0
    )


def test_relu_uses_zero_at_the_kink():
    relu = ACTIVATIONS["relu"]
    s = np.array([[-1.0, 0.0, 1.0]])
    np.testing.assert_array_equal(relu.derivative(s), [[0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(relu.backward(s, relu.forward(s), np.ones_like(s)), [[0, 0, 1]])


def test_softmax_has_no_elementwise_derivative():
    with pytest.raises(TypeError, match="not elementwise.*jacobian"):
        ACTIVATIONS["softmax"].derivative(np.zeros((1, 3)))


# -- softmax ------------------------------------------------------------------------------

_row = sp.symbols("s1:5", real=True)
_softmax_sym = sp.Matrix([sp.exp(v) / sum(sp.exp(w) for w in _row) for v in _row])
_softmax_jacobian_sym = sp.lambdify(_row, _softmax_sym.jacobian(sp.Matrix(_row)), "numpy")
_softmax_forward_sym = sp.lambdify(_row, _softmax_sym, "numpy")


@pytest.fixture
def softmax_rows(rng):
    return rng.uniform(-3.0, 3.0, size=(6, 4))


def test_softmax_forward_matches_sympy(softmax_rows):
    expected = np.stack([np.ravel(_softmax_forward_sym(*row)) for row in softmax_rows])
    np.testing.assert_allclose(ACTIVATIONS["softmax"].forward(softmax_rows), expected, rtol=1e-14)


def test_softmax_jacobian_matches_sympy(softmax_rows):
    expected = np.stack([np.asarray(_softmax_jacobian_sym(*row)) for row in softmax_rows])
    J = ACTIVATIONS["softmax"].jacobian(softmax_rows)
    assert J.shape == (6, 4, 4)
    np.testing.assert_allclose(J, expected, rtol=RTOL, atol=0)


def test_softmax_jacobian_matches_central_differences(softmax_rows):
    softmax = ACTIVATIONS["softmax"]
    J = softmax.jacobian(softmax_rows)
    for j in range(4):
        step = np.zeros(4)
        step[j] = 1.0

        def along_j(t, j=j, step=step):
            return softmax.forward(softmax_rows + (t - softmax_rows[:, [j]]) * step)

        column = five_point(along_j, softmax_rows[:, [j]], 1e-2)
        np.testing.assert_allclose(J[:, :, j], column, rtol=RTOL, atol=0)


def test_softmax_backward_is_the_vector_jacobian_product(softmax_rows, rng):
    softmax = ACTIVATIONS["softmax"]
    o = softmax.forward(softmax_rows)
    grad_o = rng.normal(size=softmax_rows.shape)
    expected = np.stack(
        [
            g @ np.asarray(_softmax_jacobian_sym(*row))
            for g, row in zip(grad_o, softmax_rows, strict=True)
        ]
    )
    np.testing.assert_allclose(softmax.backward(softmax_rows, o, grad_o), expected, rtol=1e-12)
    # not the diagonal: the off-diagonal terms matter
    diagonal_only = grad_o * o * (1.0 - o)
    assert not np.allclose(softmax.backward(softmax_rows, o, grad_o), diagonal_only)


def test_softmax_rows_are_probability_vectors(rng):
    o = ACTIVATIONS["softmax"].forward(rng.uniform(-100.0, 100.0, size=(50, 7)))
    assert np.all(o >= 0.0) and np.all(o <= 1.0)
    np.testing.assert_allclose(o.sum(axis=1), 1.0, rtol=1e-14)


def test_softmax_of_one_row():
    o = ACTIVATIONS["softmax"].forward(np.array([1000.0, 999.0]))
    np.testing.assert_allclose(o, [1.0 / (1.0 + np.exp(-1.0)), 1.0 / (1.0 + np.exp(1.0))])


# -- extreme inputs -----------------------------------------------------------------------

EXTREME = np.array([[-1000.0, -745.0, -709.0, -40.0, -1e-300, 0.0, 1e-300, 40.0, 709.0, 1000.0]])


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_extreme_inputs_give_finite_values_without_warnings(name, rng):
    # pytest turns any numpy RuntimeWarning (overflow, 0/0) into an error
    activation = ACTIVATIONS[name]
    o = activation.forward(EXTREME)
    assert np.all(np.isfinite(o))
    out = activation.output_range
    assert np.all(o >= out.low) and np.all(o <= out.high)
    if activation.elementwise:
        assert np.all(np.isfinite(activation.derivative(EXTREME)))
    assert np.all(np.isfinite(activation.jacobian(EXTREME)))
    grad_o = rng.normal(size=EXTREME.shape)
    assert np.all(np.isfinite(activation.backward(EXTREME, o, grad_o)))


def test_sigmoid_is_accurate_in_both_tails():
    sigmoid = ACTIVATIONS["sigmoid"]
    s = np.array([[-700.0, -40.0, -20.0, 20.0, 40.0, 700.0]])
    # sigma(-x) = e^-x / (1 + e^-x) written out for x > 0, where it cannot overflow
    e = np.exp(-np.abs(s))
    expected = np.where(s < 0, e / (1 + e), 1 / (1 + e))
    np.testing.assert_allclose(sigmoid.forward(s), expected, rtol=1e-15)
    assert sigmoid.forward(np.array([[-1000.0]]))[0, 0] == 0.0
    assert sigmoid.forward(np.array([[1000.0]]))[0, 0] == 1.0
    # the derivative keeps its relative accuracy where o (1 - o) would round to 0
    np.testing.assert_allclose(sigmoid.derivative(np.array([40.0])), np.exp(-40.0), rtol=1e-14)


def test_tanh_derivative_is_accurate_in_the_tails():
    np.testing.assert_allclose(
        ACTIVATIONS["tanh"].derivative(np.array([-30.0, 30.0])), 4 * np.exp(-60.0), rtol=1e-13
    )


# where the unit saturates: o rounds towards 1 (or +-1) and the textbook o(1 - o), 1 - o^2
# lose every digit (tanh: 2e-6 at 13.6, 100 % from 20; sigmoid: 1e-3 at 30, 100 % from 36.75)
SATURATED = [13.6, -13.6, 20.0, -20.0, 30.0, -30.0, 36.75, -36.75, 40.0, -40.0, 100.0, -100.0]
SATURATED += [300.0, -300.0, 700.0, -700.0]


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_backward_is_exact_where_units_saturate(name):
    """delta = dE/do f'(s) at saturated s, against mpmath at 50 digits: relative error below
    1e-15 (tanh up to |s| = 300: at 700 the true 4e-608 underflows to 0, which is right)."""
    import mpmath

    activation = ACTIVATIONS[name]
    s = np.array([SATURATED])
    dE_do = np.array([[(-1.0) ** k * (1 + k / 4) for k in range(s.size)]])
    delta = activation.backward(s, activation.forward(s), dE_do)
    with mpmath.workdps(50):
        for k, v in enumerate(SATURATED):
            x = mpmath.mpf(v)
            prime = 1 / (2 + 2 * mpmath.cosh(x)) if name == "sigmoid" else mpmath.sech(x) ** 2
            want = mpmath.mpf(dE_do[0, k]) * prime
            if name == "tanh" and abs(v) > 350:  # below the smallest double
                assert delta[0, k] == 0.0
                continue
            error = abs((mpmath.mpf(delta[0, k]) - want) / want)
            assert error < 1e-15, (v, delta[0, k], float(want), float(error))


@pytest.mark.parametrize("v", [6.0, 13.6, 20.0, 40.0, 300.0])
def test_softmax_backward_keeps_its_digits_where_the_softmax_saturates(v):
    """delta = g J(s) at s = (v, -v, 0) and (v, v - 1, 0), g = o - t, against mpmath at 400
    digits (1 - o_1 is e^{-300}): every entry to a relative 1e-13 (o_j (g_j - sum_i g_i o_i)
    computed directly cancelled to a normwise 3e-10 at v = 13.6, and lost all digits of the
    small entries)."""
    import mpmath

    softmax = ACTIVATIONS["softmax"]
    t = np.array([[0.2, 0.3, 0.5]])
    for row in ([v, -v, 0.0], [v, v - 1.0, 0.0]):
        s = np.array([row])
        o = softmax.forward(s)
        delta = softmax.backward(s, o, o - t)[0]
        with mpmath.workdps(400):
            x = [mpmath.mpf(value) for value in row]
            total = sum(mpmath.exp(value) for value in x)
            o_exact = [mpmath.exp(value) / total for value in x]
            g = [o_k - mpmath.mpf(t_k) for o_k, t_k in zip(o_exact, t[0], strict=True)]
            mean = sum(g_i * o_i for g_i, o_i in zip(g, o_exact, strict=True))
            for j in range(3):
                want = o_exact[j] * (g[j] - mean)
                error = abs((mpmath.mpf(delta[j]) - want) / want)
                assert error < 1e-13, (row, j, delta[j], float(want), float(error))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_float32_stays_float32(name, dtype, rng):
    activation = ACTIVATIONS[name]
    s = rng.normal(size=(4, 3)).astype(dtype)
    o = activation.forward(s)
    assert o.dtype == dtype
    assert activation.backward(s, o, np.ones_like(s)).dtype == dtype
    assert activation.jacobian(s).dtype == dtype


def test_interval():
    assert str(Interval(0.0, 1.0, False, False)) == "(0, 1)"
    assert str(Interval(0.0, np.inf, True, False)) == "[0, inf)"
    assert str(Interval(-np.inf, np.inf, False, False)) == "(-inf, inf)"
    open_unit = Interval(0.0, 1.0, False, False)
    assert open_unit.contains(ACTIVATIONS["sigmoid"].output_range)
    assert not open_unit.contains(ACTIVATIONS["relu"].output_range)
    assert open_unit.sticks_out_below(ACTIVATIONS["tanh"].output_range)
    assert not open_unit.sticks_out_above(ACTIVATIONS["tanh"].output_range)


def test_repr():
    assert repr(ACTIVATIONS["sigmoid"]) == "Sigmoid()"
