r"""The reverse-mode engine ``backprop_lib.autodiff``.

Expected values come from outside the engine: central finite differences written here (on
the engine's forward values, which are plain numpy), hand derivations, and the library's
``Network.backward`` / ``Network.step`` (an independent implementation of the same
gradients).
"""

from __future__ import annotations

import numpy as np
import pytest

from backprop_lib import VALID_PAIRS, Dense, Network
from backprop_lib.autodiff import Tensor, concat, network_loss, topological_order, unbroadcast


def central_difference(f, arrays, eps=1e-6):
    r""":math:`\partial f/\partial x \approx (f(x + \varepsilon) - f(x - \varepsilon))/2\varepsilon`
    for every entry of every array; ``f`` maps a list of arrays to a float."""
    grads = []
    for k, x in enumerate(arrays):
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            up = [a.copy() for a in arrays]
            down = [a.copy() for a in arrays]
            up[k][i] += eps
            down[k][i] -= eps
            g[i] = (f(up) - f(down)) / (2 * eps)
        grads.append(g)
    return grads


def engine_gradients(build, arrays):
    """The engine's gradients of the scalar ``build(*tensors)`` with respect to each input."""
    tensors = [Tensor(a) for a in arrays]
    build(*tensors).backward()
    return [t.grad for t in tensors]


def engine_value(build):
    return lambda arrays: float(build(*[Tensor(a) for a in arrays]).data)


@pytest.fixture
def rng():
    return np.random.default_rng(2207)


# A fixed weighting turns each operation's output into a scalar, so that every entry of the
# output's gradient differs (a wrong axis or transpose cannot hide behind a gradient of ones).
def weighted(y: Tensor) -> Tensor:
    G = np.cos(np.arange(y.data.size, dtype=float) + 0.3).reshape(y.shape)
    return (y * G).sum()


OPS = {
    # name: (scalar function of the inputs, input shapes, positive inputs?)
    "add broadcast row": (lambda a, b: weighted(a + b), [(4, 3), (3,)], False),
    "add broadcast column": (lambda a, b: weighted(a + b), [(4, 1), (1, 3)], False),
    "sub": (lambda a, b: weighted(a - b), [(4, 3), (4, 3)], False),
    "rsub": (lambda a: weighted(2.0 - a), [(3, 2)], False),
    "mul broadcast": (lambda a, b: weighted(a * b), [(2, 4, 3), (4, 1)], False),
    "div": (lambda a, b: weighted(a / b), [(4, 3), (3,)], True),
    "rtruediv": (lambda a: weighted(1.5 / a), [(3, 2)], True),
    "pow 3": (lambda a: weighted(a**3), [(3, 2)], False),
    "pow 0.5": (lambda a: weighted(a**0.5), [(3, 2)], True),
    "pow -2": (lambda a: weighted(a**-2), [(3, 2)], True),
    "neg": (lambda a: weighted(-a), [(3, 2)], False),
    "matmul": (lambda a, b: weighted(a @ b), [(4, 3), (3, 5)], False),
    "sum all": (lambda a: a.sum() * 1.7, [(3, 4)], False),
    "sum axis 0": (lambda a: weighted(a.sum(axis=0)), [(3, 4)], False),
    "sum axis 1 keepdims": (lambda a: weighted(a.sum(axis=1, keepdims=True)), [(3, 4)], False),
    "sum axes (0, 2)": (lambda a: weighted(a.sum(axis=(0, 2))), [(2, 3, 4)], False),
    "mean axis -1": (lambda a: weighted(a.mean(axis=-1)), [(3, 4)], False),
    "mean all": (lambda a: a.mean() * 2.0, [(3, 4)], False),
    "exp": (lambda a: weighted(a.exp()), [(3, 4)], False),
    "log": (lambda a: weighted(a.log()), [(3, 4)], True),
    "tanh": (lambda a: weighted(a.tanh()), [(3, 4)], False),
    "sigmoid": (lambda a: weighted(a.sigmoid()), [(3, 4)], False),
    "relu": (lambda a: weighted(a.relu()), [(3, 4)], False),
    "softplus": (lambda a: weighted(a.softplus()), [(3, 4)], False),
    "max axis 1": (lambda a: weighted(a.max(axis=1)), [(3, 4)], False),
    "max axis 0 keepdims": (lambda a: weighted(a.max(axis=0, keepdims=True)), [(3, 4)], False),
    "max all": (lambda a: a.max() * 3.0, [(3, 4)], False),
    "reshape": (lambda a: weighted(a.reshape(2, 6)), [(3, 4)], False),
    "transpose": (lambda a: weighted(a.T), [(3, 4)], False),
    "transpose axes": (lambda a: weighted(a.transpose((1, 2, 0))), [(2, 3, 4)], False),
    "getitem slice": (lambda a: weighted(a[1:, ::2]), [(3, 4)], False),
    "getitem repeated": (lambda a: weighted(a[[0, 2, 0, 0]]), [(3, 4)], False),
    "getitem pairs": (lambda a: weighted(a[[0, 1, 1], [2, 3, 3]]), [(3, 4)], False),
    "concat axis 0": (lambda a, b: weighted(concat([a, b, a], axis=0)), [(2, 3), (1, 3)], False),
    "concat axis 1": (lambda a, b: weighted(concat([a, b], axis=1)), [(2, 3), (2, 2)], False),
    "softmax-like chain": (
        lambda a: weighted((a - a.max(axis=1, keepdims=True)).exp() / a.exp().sum()),
        [(3, 4)],
        False,
    ),
}


def inputs(shapes, positive, rng):
    # Distinct entries away from 0 keep relu's kink and max's ties out of the differences.
    arrays = []
    for shape in shapes:
        x = rng.uniform(0.3, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
        arrays.append(np.abs(x) if positive else x)
    return arrays


@pytest.mark.parametrize("name", list(OPS))
def test_each_operation_against_central_differences(name, rng):
    build, shapes, positive = OPS[name]
    arrays = inputs(shapes, positive, rng)
    for got, expected in zip(
        engine_gradients(build, arrays),
        central_difference(engine_value(build), arrays),
        strict=True,
    ):
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-8, err_msg=name)


# -- hand derivations -----------------------------------------------------------------------


def test_matmul_gradients_by_hand(rng):
    A, B, G = rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=(4, 5))
    a, b = Tensor(A), Tensor(B)
    (a @ b).backward(G)
    # Y_ij = sum_k A_ik B_kj: dE/dA_ik = sum_j G_ij B_kj, dE/dB_kj = sum_i A_ik G_ij
    expected_A = np.array(
        [[sum(G[i, j] * B[k, j] for j in range(5)) for k in range(3)] for i in range(4)]
    )
    expected_B = np.array(
        [[sum(A[i, k] * G[i, j] for i in range(4)) for j in range(5)] for k in range(3)]
    )
    np.testing.assert_allclose(a.grad, expected_A, rtol=1e-12)
    np.testing.assert_allclose(b.grad, expected_B, rtol=1e-12)


def test_sigmoid_tanh_and_log_by_hand():
    x = Tensor([-2.0, 0.0, 3.0])
    x.sigmoid().sum().backward()
    sig = 1 / (1 + np.exp(-np.array([-2.0, 0.0, 3.0])))
    np.testing.assert_allclose(x.grad, sig * (1 - sig), rtol=1e-14)
    assert x.grad[1] == 0.25
    x.tanh().sum().backward()
    np.testing.assert_allclose(x.grad, 1 / np.cosh([-2.0, 0.0, 3.0]) ** 2, rtol=1e-14)
    y = Tensor([0.5, 4.0])
    y.log().sum().backward()
    np.testing.assert_array_equal(y.grad, [2.0, 0.25])


def test_max_routes_the_gradient_to_the_maximum_and_the_first_on_a_tie():
    x = Tensor([[1.0, 5.0, 2.0], [7.0, 7.0, 0.0]])
    x.max(axis=1).backward(np.array([10.0, 20.0]))
    np.testing.assert_array_equal(x.grad, [[0, 10, 0], [20, 0, 0]])


def test_relu_gradient_is_zero_at_the_kink_as_the_library():
    x = Tensor([-1.0, 0.0, 2.0])
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])


def test_mean_divides_by_the_count():
    x = Tensor(np.ones((2, 5)))
    x.mean(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, np.full((2, 5), 0.2), rtol=1e-15)


# -- the two rules ----------------------------------------------------------------------------


def test_rule_1_a_broadcast_becomes_a_sum(rng):
    X, b0, G = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=(5, 3))
    b = Tensor(b0)
    (Tensor(X) + b).backward(G)
    np.testing.assert_allclose(b.grad, G.sum(axis=0), rtol=1e-14)  # the sum over the rows
    c = Tensor(np.ones((5, 1)))
    (c * Tensor(X)).backward(G)
    np.testing.assert_allclose(c.grad, (G * X).sum(axis=1, keepdims=True), rtol=1e-14)
    s = Tensor(2.0)  # a scalar used by every entry
    (s * Tensor(X)).backward(G)
    np.testing.assert_allclose(s.grad, (G * X).sum(), rtol=1e-13)


def test_unbroadcast_sums_added_and_stretched_axes():
    g = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(unbroadcast(g, (4,)), g.sum(axis=(0, 1)))
    np.testing.assert_array_equal(unbroadcast(g, (3, 1)), g.sum(axis=0).sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(unbroadcast(g, (2, 3, 4)), g)
    assert unbroadcast(g, ()).shape == () and unbroadcast(g, ()) == g.sum()


def test_rule_2_a_value_used_twice_gets_the_sum_of_its_gradients():
    x = Tensor([3.0])
    (x * x).sum().backward()  # d(x^2)/dx = 2x: two uses, x each
    np.testing.assert_array_equal(x.grad, [6.0])
    y = Tensor([1.5, -2.0])
    a = y.tanh()
    E = (a * 2.0 + a.exp()).sum()  # a feeds two branches
    E.backward()
    t = np.tanh([1.5, -2.0])
    np.testing.assert_allclose(y.grad, (2.0 + np.exp(t)) * (1 - t**2), rtol=1e-14)


def test_every_operation_adds_into_a_gradient_that_another_use_has_already_filled():
    # Reverse order runs the outer product first, so x.grad already holds x's other share
    # when each operation below reaches it: an `=` instead of `+=` would drop that share.
    uses = {
        "+": (lambda x: ((x + 1.0) * x).sum(), lambda v: 2 * v + 1),
        "-": (lambda x: ((x - 1.0) * x).sum(), lambda v: 2 * v - 1),
        "*": (lambda x: ((x * 3.0) * x).sum(), lambda v: 6 * v),
        "/": (lambda x: ((x / 2.0) * x).sum(), lambda v: v),
        "**": (lambda x: ((x**2) * x).sum(), lambda v: 3 * v**2),
        "exp": (lambda x: (x.exp() * x).sum(), lambda v: np.exp(v) * (v + 1)),
        "tanh": (lambda x: (x.tanh() * x).sum(), lambda v: np.tanh(v) + v / np.cosh(v) ** 2),
        "reshape": (lambda x: (x.reshape(2, 1) * x.reshape(2, 1)).sum(), lambda v: 2 * v),
        "sum": (lambda x: x.sum() * x.sum(), lambda v: 2 * v.sum() * np.ones(2)),
        "[]": (lambda x: (x[[1, 0]] * x).sum(), lambda v: v[::-1] * 2),
    }
    for name, (build, derivative) in uses.items():
        v = np.array([0.7, -1.3])
        x = Tensor(v)
        build(x).backward()
        np.testing.assert_allclose(x.grad, derivative(v), rtol=1e-13, err_msg=name)


def test_repeated_indices_add_up():
    x = Tensor([10.0, 20.0, 30.0])
    x[[0, 0, 2, 0]].backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [7.0, 0.0, 3.0])


def test_backward_twice_gives_the_same_gradient_not_twice_it():
    x = Tensor([2.0])
    E = (x * x).sum()
    E.backward()
    E.backward()
    np.testing.assert_array_equal(x.grad, [4.0])


# -- the topological order --------------------------------------------------------------------


def test_topological_order_puts_every_tensor_after_its_parents_once():
    x = Tensor(1.0)
    a, b = x * 2.0, x + 1.0
    E = a * b + a
    order = topological_order(E)
    position = {id(t): i for i, t in enumerate(order)}
    assert len(position) == len(order)  # each tensor once
    assert order[-1] is E
    for t in order:
        assert all(position[id(p)] < position[id(t)] for p in t.parents)
    assert {id(x), id(a), id(b)} <= set(position)


def test_a_long_chain_needs_no_recursion():
    x = Tensor(0.5)
    y = x
    for _ in range(3000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


# -- the engine against the library ----------------------------------------------------------


def targets(loss, shape, rng):
    if loss == "cross_entropy":
        return np.eye(shape[1])[rng.integers(0, shape[1], shape[0])]
    if loss == "binary_cross_entropy":
        return (rng.uniform(size=shape) > 0.5).astype(float)
    return rng.normal(size=shape)


def pair_network(activation, loss, rng):
    net = Network.from_sizes([3, 4, 3, 3], ["tanh", "sigmoid", activation], loss, rng=rng)
    for layer in net.layers:
        layer.b = rng.normal(scale=0.5, size=layer.b.shape)
    X = rng.normal(size=(5, 3))
    return net, X, targets(loss, (5, 3), rng)


@pytest.mark.parametrize("activation, loss", sorted(VALID_PAIRS))
def test_gradients_equal_network_backward_on_every_valid_pair(activation, loss, rng):
    net, X, T = pair_network(activation, loss, rng)
    E, params = network_loss(net, X, T)
    E.backward()
    np.testing.assert_allclose(float(E.data), net.loss(X, T), rtol=1e-12)
    for i, ((W, b), (dW, db)) in enumerate(zip(params, net.backward(X, T), strict=True), 1):
        np.testing.assert_allclose(W.grad, dW, rtol=1e-10, atol=1e-15, err_msg=f"dW^{i}")
        np.testing.assert_allclose(b.grad, db, rtol=1e-10, atol=1e-15, err_msg=f"db^{i}")


@pytest.mark.parametrize("activation, loss", sorted(VALID_PAIRS))
def test_gradients_equal_finite_differences_on_every_valid_pair(activation, loss, rng):
    net, X, T = pair_network(activation, loss, rng)
    E, params = network_loss(net, X, T)
    E.backward()
    arrays = [p for layer in net.layers for p in (layer.W, layer.b)]

    def loss_at(values):  # the library's loss at perturbed weights, on a copy
        other = net.copy()
        for layer, W, b in zip(other.layers, values[::2], values[1::2], strict=True):
            layer.W, layer.b = W, b
        return other.loss(X, T)

    numeric = central_difference(loss_at, arrays)
    engine = [g for W, b in params for g in (W.grad, b.grad)]
    for got, expected in zip(engine, numeric, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


def test_training_with_the_engine_matches_the_library_step_by_step(rng):
    net = Network.from_sizes([2, 4, 1], ["tanh", "sigmoid"], "binary_cross_entropy", rng=rng)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    T = np.array([[0], [1], [1], [0]], dtype=float)
    weights = [(layer.W.copy(), layer.b.copy()) for layer in net.layers]
    initial = net.loss(X, T)
    lr = 0.5
    for step in range(60):
        ref = Network.from_sizes([2, 4, 1], ["tanh", "sigmoid"], "binary_cross_entropy", rng=0)
        for layer, (W, b) in zip(ref.layers, weights, strict=True):
            layer.W, layer.b = W.copy(), b.copy()
        E, params = network_loss(ref, X, T)
        E.backward()
        weights = [(W.data - lr * W.grad, b.data - lr * b.grad) for W, b in params]
        net.backward(X, T)
        net.step(lr)
        for i, (layer, (W, b)) in enumerate(zip(net.layers, weights, strict=True), 1):
            np.testing.assert_allclose(W, layer.W, rtol=1e-10, atol=1e-14, err_msg=f"{step} W^{i}")
            np.testing.assert_allclose(b, layer.b, rtol=1e-10, atol=1e-14, err_msg=f"{step} b^{i}")
    assert net.loss(X, T) < 0.8 * initial  # and it learns


# -- refusals ---------------------------------------------------------------------------------


def test_backward_on_a_non_scalar_needs_a_seed():
    y = Tensor(np.ones((2, 3))) * 2.0
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*needs a scalar.*grad="):
        y.backward()
    with pytest.raises(
        ValueError, match=r"grad must have the tensor's shape \(2, 3\); got shape \(3,\)"
    ):
        y.backward(np.ones(3))


@pytest.mark.parametrize(
    "op, apply", [("+", lambda a, b: a + b), ("*", lambda a, b: a * b), ("/", lambda a, b: a / b)]
)
def test_shapes_that_do_not_broadcast_are_named(op, apply):
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((4,)))
    with pytest.raises(
        ValueError, match=rf"Tensor \{op}: shapes \(2, 3\) and \(4,\) do not broadcast"
    ):
        apply(a, b)


def test_matmul_shapes_are_named():
    with pytest.raises(ValueError, match=r"Tensor @: .*got shapes \(2, 3\) and \(2, 3\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"Tensor @"):
        Tensor(np.ones(3)) @ Tensor(np.ones((3, 2)))


def test_values_without_a_derivative_or_a_finite_value_are_refused():
    with pytest.raises(ValueError, match="Tensor log: needs positive entries; got min = 0"):
        Tensor([1.0, 0.0]).log()
    with pytest.raises(ValueError, match="Tensor /: the divisor"):
        Tensor([1.0]) / Tensor([0.0])
    with pytest.raises(ValueError, match="negative base"):
        Tensor([-1.0]) ** 0.5
    with pytest.raises(ValueError, match="zero base"):
        Tensor([0.0]) ** -1
    with pytest.raises(TypeError, match="exponent must be a real number"):
        Tensor([1.0]) ** Tensor(2.0)
    with pytest.raises(FloatingPointError, match="Tensor exp: the result overflowed"):
        Tensor([800.0]).exp()
    with pytest.raises(FloatingPointError, match=r"Tensor \+: the result overflowed"):
        Tensor([1e308]) + Tensor([1e308])
    with pytest.raises(FloatingPointError, match=r"Tensor \*: the result overflowed"):
        Tensor([1e200]) * Tensor([1e200])


def test_an_overflowing_backward_pass_raises_and_changes_no_gradient():
    x, a, b = Tensor([1e-300]), Tensor([1e300]), Tensor([1e300])
    E = (x * a * b).sum()  # 1e300, finite; dE/dx = ab = 1e600 overflows
    x.grad = "before"
    with pytest.raises(FloatingPointError, match="overflowed; no gradient was changed"):
        E.backward()
    assert x.grad == "before" and a.grad is None and E.grad is None


def test_power_zero_has_gradient_zero_even_at_zero():
    x = Tensor([0.0, 2.0])
    (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_an_array_on_the_left_gives_a_tensor(rng):
    A, G = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    x = Tensor(rng.normal(size=(2, 3)))
    for y, dy_dx in [(A * x, A), (A + x, 1.0), (A - x, -1.0)]:
        assert isinstance(y, Tensor)
        y.backward(G)
        np.testing.assert_allclose(x.grad, G * dy_dx, rtol=1e-15)
    y = A @ Tensor(np.eye(3))
    assert isinstance(y, Tensor) and y.shape == (2, 3)


def test_bad_data_is_refused():
    with pytest.raises(ValueError, match="finite"):
        Tensor([1.0, np.nan])
    with pytest.raises(TypeError, match="real numbers"):
        Tensor([1 + 2j])
    with pytest.raises(TypeError, match="real numbers"):
        Tensor(["a"])
    assert Tensor([1, 2]).data.dtype == np.float64
    assert Tensor(np.float32(1.5)).data.dtype == np.float64


def test_shape_and_axis_errors_are_named():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"Tensor sum: axis 2 is not an axis of shape \(2, 3\)"):
        x.sum(axis=2)
    with pytest.raises(ValueError, match=r"cannot reshape \(2, 3\) \(6 entries\) into \(4, 2\)"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match=r"concat: shapes \[\(2, 3\), \(3, 2\)\]"):
        concat([x, Tensor(np.ones((3, 2)))], axis=0)
    with pytest.raises(IndexError, match=r"Tensor \[\]"):
        x[5]
    with pytest.raises(ValueError, match=r"cannot reshape \(2, 3\)"):
        x.reshape("a")
    with pytest.raises(ValueError, match=r"Tensor transpose: axes \('a', 0\)"):
        x.transpose(("a", 0))
    with pytest.raises(ValueError, match=r"Tensor max: axis must be None or one int; got \(0, 1\)"):
        x.max(axis=(0, 1))
    empty = Tensor(np.ones((0, 3)))
    with pytest.raises(ValueError, match=r"Tensor max: no entries along axis 0 of shape \(0, 3\)"):
        empty.max(axis=0)
    with pytest.raises(ValueError, match=r"Tensor mean: no entries to average"):
        empty.mean(axis=0)


def test_a_refused_operation_leaves_its_inputs_alone():
    data = np.array([[1.0, -2.0]])
    x = Tensor(data)
    with pytest.raises(ValueError):
        x.log()
    np.testing.assert_array_equal(x.data, data)
    assert x.grad is None


def test_network_loss_refuses_an_activation_it_has_no_form_for(rng):
    from backprop_lib.activations import Tanh

    class Scaled(Tanh):
        name = "scaled_tanh"

    net = Network([Dense(2, 2, Scaled(), rng=rng)], "squared_error")
    with pytest.raises(
        ValueError, match=r"no tensor form for the activation\(s\) \['scaled_tanh'\]"
    ):
        network_loss(net, np.ones((1, 2)), np.ones((1, 2)))


def test_network_loss_refuses_bad_data(rng):
    net = Network.from_sizes([3, 2], ["softmax"], "cross_entropy", rng=rng)
    with pytest.raises(ValueError, match=r"network_loss: X must have 3 columns"):
        network_loss(net, np.ones((4, 2)), np.eye(2)[[0, 1, 0, 1]])
    with pytest.raises(ValueError, match="network_loss: T must have one row per row of X"):
        network_loss(net, np.ones((4, 3)), np.eye(2)[[0, 1]])
    with pytest.raises(ValueError, match="network_loss"):
        network_loss(net, np.ones((2, 3)), np.array([[0.5, 0.7], [1.0, 0.0]]))
