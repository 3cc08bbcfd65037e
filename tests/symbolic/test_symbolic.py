"""Tests of backprop_lib.symbolic: the registry, the pair derivations, the comparison helpers
and the brute-force vs recursive gradients.

Expected values come from independent computations: sympy.diff, central finite differences of
the library's loss values, a hand-written numpy forward pass, and the library itself.
"""

import numpy as np
import pytest
import sympy as sp
from helpers import central_difference

import backprop_lib
from backprop_lib import symbolic
from backprop_lib.symbolic import (
    assert_matches_library,
    brute_force_gradients,
    catalogue,
    catalogue_markdown,
    check_against_library,
    compare_with_library,
    derive,
    generic_symbols,
    gradient_difference,
    gradients_agree,
    is_identically_zero,
    lambdify_matrix,
    random_targets,
    recursive_deltas,
    recursive_gradients,
    sample_points,
    symbolic_network,
)

N_UNITS = 3
PAIRS = [(a, loss) for a in symbolic.ACTIVATION_NAMES for loss in symbolic.LOSS_NAMES]
VALID = [p for p in PAIRS if backprop_lib.pair_problem(*p) is None]
UNDEFINED = [p for p in PAIRS if backprop_lib.pair_problem(*p) is not None]
G = generic_symbols()
o_i, t_i = G["o"][G["i"]], G["t"][G["i"]]


@pytest.fixture
def rng():
    return np.random.default_rng(20240531)


# -- the registry is the library's --------------------------------------------------------


def test_registry_names_equal_library_names():
    assert set(symbolic.ACTIVATION_NAMES) == set(backprop_lib.ACTIVATION_NAMES)
    assert set(symbolic.LOSS_NAMES) == set(backprop_lib.LOSS_NAMES)
    assert set(symbolic.FUSED_PAIRS) == set(backprop_lib.FUSED_PAIRS)


@pytest.mark.parametrize("name", backprop_lib.ACTIVATION_NAMES)
def test_output_ranges_equal_library(name):
    ours = symbolic.get_activation(name).output_range
    theirs = backprop_lib.get_activation(name).output_range
    assert symbolic.interval_text(ours) == str(theirs)
    assert (
        symbolic.get_activation(name).elementwise == backprop_lib.get_activation(name).elementwise
    )


@pytest.mark.parametrize("name", backprop_lib.LOSS_NAMES)
def test_loss_domains_equal_library(name):
    assert symbolic.interval_text(symbolic.get_loss(name).domain) == str(
        backprop_lib.get_loss(name).domain
    )


@pytest.mark.parametrize("activation, loss", PAIRS)
def test_undefined_pairs_agree_with_library(activation, loss):
    ours = symbolic.pair_problem(activation, loss)
    theirs = backprop_lib.pair_problem(activation, loss)
    assert (ours is None) == (theirs is None), (ours, theirs)
    assert (derive(activation, loss, 2).problem is None) == (theirs is None)
    assert ((activation, loss) in backprop_lib.VALID_PAIRS) == (ours is None)


def test_the_undefined_pairs_are_the_cross_entropies_outside_their_domains():
    # the cross-entropies need o > 0 (binary cross-entropy also o < 1): read off each sympy
    # output range's ends, not through pair_problem's subset test
    def can_reach(name, value, below):
        r = symbolic.get_activation(name).output_range
        end, is_open = (r.inf, r.left_open) if below else (r.sup, r.right_open)
        beyond = end < value if below else end > value
        return bool(beyond) or (end == value and not is_open)

    expected = {
        (a, loss)
        for a in symbolic.ACTIVATION_NAMES
        for loss in ("binary_cross_entropy", "cross_entropy")
        if can_reach(a, 0, below=True)
        or (loss == "binary_cross_entropy" and can_reach(a, 1, below=False))
    }
    assert set(UNDEFINED) == expected
    assert {("tanh", "cross_entropy"), ("relu", "cross_entropy")} <= expected
    assert ("sigmoid", "cross_entropy") not in expected


def test_lookup_accepts_library_objects_and_rejects_bad_names():
    assert symbolic.get_activation(backprop_lib.get_activation("tanh")).name == "tanh"
    assert symbolic.get_loss(backprop_lib.get_loss("cross_entropy")).name == "cross_entropy"
    with pytest.raises(ValueError, match="activation 'swish' is unknown; valid names are 'sig"):
        symbolic.get_activation("swish")
    with pytest.raises(ValueError, match="Did you mean 'cross_entropy'"):
        symbolic.get_loss("crossentropy")
    with pytest.raises(TypeError, match=r"loss must be a name .* SymbolicLoss or Loss .* got 3"):
        symbolic.get_loss(3)
    with pytest.raises(TypeError, match=r"activation must be .* got SquaredError\(\)"):
        symbolic.get_activation(backprop_lib.get_loss("squared_error"))


def test_activation_forward_is_the_definition():
    s = symbolic.pre_activation_symbols(2)
    o = symbolic.get_activation("softmax").forward(s)
    assert o[0] - sp.exp(s[0]) / (sp.exp(s[0]) + sp.exp(s[1])) == 0
    assert symbolic.get_activation("sigmoid").scalar(s[0]) == 1 / (1 + sp.exp(-s[0]))
    with pytest.raises(TypeError, match="softmax"):
        symbolic.get_activation("softmax").scalar(s[0])
    with pytest.raises(TypeError, match="jacobian"):
        symbolic.get_activation("softmax").derivative(s[0])
    with pytest.raises(ValueError, match="1 x n"):
        symbolic.get_activation("tanh").forward(sp.Matrix([[1, 2], [3, 4]]))


# -- derivations: textbook forms are sympy.diff ------------------------------------------


@pytest.mark.parametrize("activation, loss", PAIRS)
def test_textbook_forms_equal_sympy_diff(activation, loss):
    d = derive(activation, loss, N_UNITS)
    identities = d.identities()
    assert set(identities) == {"grad_o", "jacobian", "chain_rule", "delta"}
    assert all(identities.values()), identities
    assert d.delta.shape == d.grad_o.shape == (1, N_UNITS)
    assert d.jacobian.shape == (N_UNITS, N_UNITS)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "linear"])
def test_elementwise_jacobians_are_diagonal(activation):
    d = derive(activation, "squared_error", N_UNITS)
    assert d.jacobian.is_diagonal() and d.jacobian_textbook.is_diagonal()


def test_softmax_jacobian_is_not_diagonal_and_matches_the_notes():
    d = derive("softmax", "cross_entropy", N_UNITS)
    assert not d.jacobian.is_diagonal()
    o = d.o
    for i in range(N_UNITS):
        for j in range(N_UNITS):
            expected = o[i] * (1 - o[i]) if i == j else -o[i] * o[j]
            assert sp.expand(d.jacobian_textbook[i, j] - expected) == 0


@pytest.mark.parametrize("activation, loss", sorted(symbolic.FUSED_PAIRS))
def test_fused_pairs_cancel_to_o_minus_t(activation, loss):
    d = derive(activation, loss, N_UNITS)
    assert d.fused
    assert d.delta_i == o_i - t_i
    assert d.latex_delta() == "o_{i} - t_{i}"
    # the same in s: delta = f(s) - t, proved without the textbook pieces
    for j in range(N_UNITS):
        difference = d.constrained(d.delta[j] - (d.output[j] - d.t[j]))
        assert is_identically_zero(difference, list(d.s))


def test_softmax_cross_entropy_needs_probability_targets():
    d = derive("softmax", "cross_entropy", 2)
    # without sum(t) = 1 the delta is o_j * sum(t) - t_j, not o_j - t_j
    raw = d.delta[0] - (d.output[0] - d.t[0])
    assert not is_identically_zero(raw, list(d.s), try_simplify=False)
    value = raw.subs({d.s[0]: 0, d.s[1]: 0, d.t[0]: 1, d.t[1]: 1})
    assert value == sp.Rational(1, 2)  # o_1 (t_1 + t_2) - t_1 - (o_1 - t_1) = 1/2
    assert d.target_constraint == sp.Eq(sp.Sum(G["t"][G["k"]], (G["k"], 1, G["n"])), 1)
    assert derive("sigmoid", "binary_cross_entropy", 2).target_constraint is None


@pytest.mark.parametrize(
    "activation, fprime",
    [("sigmoid", o_i * (1 - o_i)), ("tanh", 1 - o_i**2), ("linear", sp.Integer(1))],
)
def test_squared_error_keeps_f_prime(activation, fprime):
    d = derive(activation, "squared_error", N_UNITS)
    assert sp.expand(d.delta_i - (o_i - t_i) * fprime) == 0
    # the sum of squares without the half doubles it
    d2 = derive(activation, "sum_squared_error", N_UNITS)
    assert sp.expand(d2.delta_i - 2 * (o_i - t_i) * fprime) == 0


def test_squared_error_delta_vanishes_on_a_saturated_sigmoid():
    d = derive("sigmoid", "squared_error", 1)
    delta = lambdify_matrix(d.delta, [d.s, d.t])
    s, t = np.array([[8.0]]), np.array([[0.0]])
    o = 1 / (1 + np.exp(-8.0))
    # the output is 0.9997 off its target, yet delta is 3e-4 of that: f' did not cancel
    assert delta(s, t)[0, 0] == pytest.approx(o * o * (1 - o), rel=1e-12)
    assert delta(s, t)[0, 0] < 1e-3 * o


def test_textbook_unit_forms_of_the_notes():
    # notation notes: dE/do for squared error, binary and multinomial cross-entropy
    assert symbolic.get_loss("squared_error").unit_gradient(o_i, t_i) == o_i - t_i
    bce = symbolic.get_loss("binary_cross_entropy")
    u, v = sp.symbols("u v", real=True)
    assert sp.simplify(sp.diff(bce.term(u, v), u) - (u - v) / (u * (1 - u))) == 0
    assert symbolic.get_loss("cross_entropy").unit_gradient(o_i, t_i) == -t_i / o_i
    assert symbolic.get_activation("sigmoid").derivative_from_output(o_i) == o_i * (1 - o_i)
    assert symbolic.get_activation("tanh").derivative_from_output(o_i) == 1 - o_i**2


def test_relu_derivative_is_an_indicator():
    s = sp.Symbol("s", real=True)
    d = symbolic.get_activation("relu").derivative(s)
    assert d.subs(s, 2) == 1 and d.subs(s, -2) == 0
    assert symbolic.latex(d) == "[s > 0]"


def test_derive_is_cached_and_validates_n():
    assert derive("tanh", "squared_error", 2) is derive("tanh", "squared_error", 2)
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="n must be"):
            derive("tanh", "squared_error", bad)


def test_catalogue_markdown_flags_undefined_pairs_with_the_library_reason():
    table = catalogue_markdown(2)
    rows = table.splitlines()[2:]
    n = len(backprop_lib.ACTIVATION_NAMES) * len(backprop_lib.LOSS_NAMES)
    assert len(rows) == len(PAIRS) == n
    for (activation, loss), row in zip(PAIRS, rows, strict=True):
        assert row.startswith(f"| {activation} | {loss} |")
        reason = backprop_lib.pair_problem(activation, loss)
        assert (reason is not None and f"undefined: {reason}" in row) or (
            reason is None and "undefined" not in row
        )
    assert sum("fused" in row for row in rows) == 2


def test_catalogue_markdown_refuses_disagreeing_reasons():
    with pytest.raises(AssertionError, match="disagree"):
        catalogue_markdown(2, reasons=lambda a, loss: None)


# -- numbers: sympy vs library vs finite differences --------------------------------------


def _relative(a, b):
    """max |a - b| over max(|a|, |b|): relative to the largest entry of the array."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-300)


@pytest.mark.parametrize("activation, loss", VALID)
def test_sympy_matches_library(activation, loss, rng):
    errors = assert_matches_library(activation, loss, rng, batch=6, n=N_UNITS, rtol=1e-12)
    assert set(errors) >= {"loss", "grad_o", "jacobian", "delta", "delta_closed_form"}
    assert check_against_library(activation, loss, rng, batch=1, n=2) <= 1e-12


@pytest.mark.parametrize("activation, loss", VALID)
def test_sympy_matches_central_differences(activation, loss, rng):
    d = derive(activation, loss, N_UNITS)
    act, lss = backprop_lib.get_activation(activation), backprop_lib.get_loss(loss)
    S, T = sample_points(loss, rng, batch=4, n=N_UNITS)
    B = len(S)
    o_lib = act.forward(S)

    # dE/do: sympy (per sample, / B) against differences of the library's loss value in o
    grad_o_sym = lambdify_matrix(d.grad_o, [d.o, d.t])(o_lib, T) / B
    grad_o_fd = central_difference(lambda o: lss.value(o, T), o_lib)
    assert _relative(grad_o_sym, grad_o_fd) <= 1e-7

    # the Jacobian: sympy against differences of the library's forward pass, row by row
    J_sym = lambdify_matrix(d.jacobian, [d.s])(S)
    for row in range(B):
        J_fd = np.stack(
            [
                central_difference(lambda s, k=k: act.forward(s[None])[0, k], S[row])
                for k in range(N_UNITS)
            ]
        )
        assert _relative(J_sym[row], J_fd) <= 1e-7

    # delta: sympy against differences of the network-style loss E(f(s), t) in s
    delta_sym = lambdify_matrix(d.delta, [d.s, d.t])(S, T) / B
    delta_fd = central_difference(lambda s: lss.value(act.forward(s), T), S)
    assert _relative(delta_sym, delta_fd) <= 1e-7
    delta_textbook = lambdify_matrix(d.delta_textbook, [d.o, d.t])(o_lib, T) / B
    assert _relative(delta_textbook, delta_fd) <= 1e-7
    # and the library's own (fused where it fuses) output delta
    assert _relative(backprop_lib.output_delta(act, lss, S, o_lib, T), delta_fd) <= 1e-7


@pytest.mark.parametrize("activation, loss", UNDEFINED)
def test_comparison_refuses_undefined_pairs(activation, loss, rng):
    reason = backprop_lib.pair_problem(activation, loss)
    with pytest.raises(ValueError, match="not defined") as info:
        compare_with_library(activation, loss, rng)
    assert reason in str(info.value)
    with pytest.raises(ValueError):
        backprop_lib.check_pair(activation, loss)


def test_assert_matches_library_names_the_failing_piece(rng, monkeypatch):
    # a wrong library derivative (tanh' = 1 - o instead of 1 - o^2) must be caught
    tanh = backprop_lib.get_activation("tanh")
    monkeypatch.setattr(type(tanh), "backward", lambda self, s, o, g: g * (1 - o))
    with pytest.raises(AssertionError, match="delta"):
        assert_matches_library("tanh", "squared_error", rng)


@pytest.mark.parametrize("loss", symbolic.LOSS_NAMES)
def test_sample_points_lie_in_the_valid_domain(loss, rng):
    S, T = sample_points(loss, rng, batch=50, n=4)
    assert S.shape == T.shape == (50, 4)
    assert np.all(np.abs(S) >= 0.1) and np.all(np.abs(S) <= 3.0)
    backprop_lib.get_loss(loss).check_targets(T)
    if loss == "cross_entropy":
        assert sorted(T[0]) == [0.0, 0.0, 0.0, 1.0]
    with pytest.raises(TypeError, match="rng"):
        sample_points(loss, 0)
    with pytest.raises(ValueError, match="batch"):
        sample_points(loss, rng, batch=0)
    row = random_targets(loss, rng, (4,))
    assert row.shape == (4,)
    backprop_lib.get_loss(loss).check_targets(row[None, :])


def test_lambdify_matrix_shapes_and_constants():
    d = derive("sigmoid", "squared_error", 2)
    S = np.array([[0.5, -1.0], [2.0, 0.1], [0.0, 0.0]])
    J = lambdify_matrix(d.jacobian, [d.s])(S)
    assert J.shape == (3, 2, 2)
    assert np.all(J[:, 0, 1] == 0.0)  # a constant entry, broadcast over the batch
    sig = 1 / (1 + np.exp(-S))
    np.testing.assert_allclose(J[:, [0, 1], [0, 1]], sig * (1 - sig), rtol=1e-14)
    E = lambdify_matrix(d.E, [d.o, d.t])(sig, np.zeros_like(S))
    np.testing.assert_allclose(E, 0.5 * np.sum(sig**2, axis=1), rtol=1e-14)
    with pytest.raises(ValueError, match="shape"):
        lambdify_matrix(d.E, [d.o, d.t])(sig[:, :1], sig)
    with pytest.raises(TypeError, match="arrays"):
        lambdify_matrix(d.E, [d.o, d.t])(sig)


# -- the symbolic network against the library ---------------------------------------------


@pytest.mark.parametrize(
    "sizes, activations, loss",
    [
        ((3, 2, 2), ("sigmoid", "softmax"), "cross_entropy"),
        ((2, 3, 2, 1), ("tanh", "relu", "sigmoid"), "binary_cross_entropy"),
        ((2, 2, 2), ("softmax", "linear"), "sum_squared_error"),
    ],
)
def test_symbolic_network_matches_library_forward_and_backward(sizes, activations, loss, rng):
    net = backprop_lib.Network.from_sizes(list(sizes), list(activations), loss=loss, rng=rng)
    sym = symbolic_network(sizes, activations)
    x = rng.normal(size=(1, sizes[0]))
    T = sample_points(loss, rng, batch=1, n=sizes[-1])[1]
    np.testing.assert_allclose(sym.evaluate(sym.output, net, x), net.forward(x), rtol=1e-12)
    for ell, layer in enumerate(net.layers):
        np.testing.assert_allclose(sym.evaluate(sym.s[ell], net, x), layer.s, rtol=1e-12)
    np.testing.assert_allclose(sym.evaluate(sym.loss(loss), net, x, T), net.loss(x, T), rtol=1e-12)
    # the recursion, built symbolically, at the library's numbers: equals Network.backward
    library = net.backward(x, T)
    for (dW, db), (dW_lib, db_lib) in zip(recursive_gradients(sym, loss), library, strict=True):
        np.testing.assert_allclose(sym.evaluate(dW, net, x, T), dW_lib, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(sym.evaluate(db, net, x, T)[0], db_lib, rtol=1e-10, atol=1e-14)


# -- brute force vs the recursion ---------------------------------------------------------


@pytest.mark.parametrize(
    "activations, loss",
    [
        (("sigmoid", "tanh", "softmax"), "cross_entropy"),
        (("tanh", "sigmoid", "sigmoid"), "binary_cross_entropy"),
        (("relu", "tanh", "linear"), "squared_error"),
        (("sigmoid", "softmax", "tanh"), "sum_squared_error"),
    ],
)
def test_recursion_equals_brute_force_exactly(activations, loss):
    net = symbolic_network((2, 2, 2, 2), activations)
    assert gradients_agree(net, loss, method="exact")


def test_recursion_equals_brute_force_numerically(rng):
    net = symbolic_network((2, 2, 2, 2), ("relu", "sigmoid", "softmax"))
    assert gradients_agree(net, "binary_cross_entropy", method="numeric", rng=rng, points=1)


def test_a_recursion_without_f_prime_is_caught(rng):
    net = symbolic_network((2, 2, 2, 1), ("sigmoid", "sigmoid", "sigmoid"))
    brute = brute_force_gradients(net, "squared_error")
    deltas = recursive_deltas(net, "squared_error")
    wrong_delta_1 = deltas[1] * net.W[1].T  # forgot the factor f'(s^1)
    wrong_dW1 = net.x.T * wrong_delta_1
    difference = brute[0][0][0, 0] - wrong_dW1[0, 0]
    assert not is_identically_zero(difference, try_simplify=False)
    # a numeric counter-example: the wrong gradient is off by more than 10 %
    point = {v: sp.Float(rng.uniform(-2, 2), 30) for v in [*net.x, *net.parameters(), *net.t]}
    right = brute[0][0][0, 0].xreplace(point).evalf(30)
    assert abs(difference.xreplace(point).evalf(30)) > 0.1 * abs(right)
    # and the right recursion is exact
    assert all(
        is_identically_zero(e, try_simplify=False)
        for e in gradient_difference(net, "squared_error")
    )


def test_recursive_gradients_have_the_library_layout():
    net = symbolic_network((3, 2, 2), ("tanh", "softmax"))
    grads = recursive_gradients(net, "cross_entropy")
    assert [(dW.shape, db.shape) for dW, db in grads] == [((3, 2), (1, 2)), ((2, 2), (1, 2))]
    with pytest.raises(TypeError, match="SymbolicNetwork"):
        brute_force_gradients("net", "cross_entropy")
    with pytest.raises(ValueError, match="method"):
        gradients_agree(net, "cross_entropy", method="guess")
    with pytest.raises(TypeError, match="rng"):
        gradients_agree(net, "cross_entropy", method="numeric")


def test_whole_catalogue_is_derived_and_verified():
    ds = catalogue(2)
    assert [(d.activation, d.loss) for d in ds] == PAIRS
    for d in ds:
        d.verify()
