"""Issue 12: nothing silent, nothing half-done.

One table per item of the issue. Every case calls the library with a bad argument and
asserts, through :func:`assert_refused`:

- the exception type;
- that the message matches a pattern naming the argument and what is valid;
- that no warning was emitted (warnings are recorded, not only turned into errors);
- that every network of the fixture (parameters and stored forward/backward values) and
  the Generator passed to the call are exactly as they were.

The expected behaviour comes from the issue's text, not from the code under test.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import assert_layer_state, layer_state

from backprop_lib import Dense, Network, gradient_check, numerical_gradient
from backprop_lib.teaching.bugs import BUGS, demo_problem, with_bug
from backprop_lib.teaching.training_run import validation_split

X4 = np.array([[0.1, -0.2, 0.3], [1.0, 0.5, -1.0], [0.0, 0.2, 0.4], [-0.3, 0.3, 0.9]])
T4 = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])


def make_nets() -> dict[str, Network]:
    """Three small networks with stored forward and backward values."""
    ce = Network.from_sizes([3, 4, 2], ["sigmoid", "softmax"], "cross_entropy", rng=0)
    bce = Network.from_sizes([3, 4, 2], ["tanh", "sigmoid"], "binary_cross_entropy", rng=1)
    reg = Network.from_sizes([3, 5, 1], ["relu", "linear"], "squared_error", rng=2)
    ce.backward(X4, T4)
    bce.backward(X4, T4)
    reg.backward(X4, X4[:, :1])
    return {"ce": ce, "bce": bce, "reg": reg}


def generator_state(g: np.random.Generator) -> dict:
    return g.bit_generator.state


def assert_refused(call, error, pattern, nets=None, g=None):
    """Run ``call()``; assert it raises ``error`` matching ``pattern``, warns nothing and
    changes neither ``nets`` nor ``g``. Returns the exception."""
    before = {} if nets is None else {k: layer_state(n) for k, n in nets.items()}
    g_before = None if g is None else generator_state(g)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(error, match=pattern) as info:
            call()
    assert not caught, [str(w.message) for w in caught]
    for key, state in before.items():
        assert_layer_state(state, nets[key])
    if g is not None:
        assert generator_state(g) == g_before, "the Generator advanced"
    return info.value


def run_table(cases, case_id):
    """Run the case ``case_id`` of ``cases`` (id, call(nets, g), error, pattern)."""
    (call, error, pattern) = next(c[1:] for c in cases if c[0] == case_id)
    nets, g = make_nets(), np.random.default_rng(12)
    assert_refused(lambda: call(nets, g), error, pattern, nets, g)


# -- item 1: gradient_check never reports "agrees" when it could not compare ---------------

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
]


@pytest.mark.parametrize("case_id", [c[0] for c in GRADCHECK])
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


# -- item 2: unparseable dtypes are refused, never read as float64 --------------------------

DTYPES = [
    (
        "Dense garbage",
        lambda n, g: Dense(3, 2, dtype="garbage", rng=g),
        TypeError,
        r"Dense: dtype must be np\.float64 or np\.float32; got 'garbage' \(type str\)",
    ),
    (
        "Dense None",
        lambda n, g: Dense(3, 2, dtype=None, rng=g),
        TypeError,
        r"Dense: dtype must be np\.float64 or np\.float32; got None",
    ),
    (
        "Dense float16",
        lambda n, g: Dense(3, 2, dtype=np.float16, rng=g),
        TypeError,
        r"Dense: dtype must be np\.float64 or np\.float32",
    ),
    (
        "Dense structured",
        lambda n, g: Dense(3, 2, dtype="f8,f8", rng=g),
        TypeError,
        r"Dense: dtype must be np\.float64 or np\.float32; got 'f8,f8'",
    ),
    (
        "from_sizes garbage",
        lambda n, g: Network.from_sizes([3, 2], "sigmoid", "squared_error", g, dtype="x"),
        TypeError,
        r"Network\.from_sizes: dtype must be np\.float64 or np\.float32; got 'x'",
    ),
    (
        "astype garbage",
        lambda n, g: n["ce"].astype("garbage"),
        TypeError,
        r"Network\.astype: dtype must be np\.float64 or np\.float32; got 'garbage'",
    ),
    (
        "astype None",
        lambda n, g: n["ce"].astype(None),
        TypeError,
        r"Network\.astype: dtype must be np\.float64 or np\.float32; got None",
    ),
]


@pytest.mark.parametrize("case_id", [c[0] for c in DTYPES])
def test_dtype_refusals(case_id):
    run_table(DTYPES, case_id)


@pytest.mark.parametrize("dtype", ["garbage", None, "int8", np.float16])
def test_dataset_loaders_refuse_unparseable_dtypes(dtype, tmp_path):
    from backprop_lib.teaching.datasets import load_digits, load_mnist

    g = np.random.default_rng(3)
    for call in (
        lambda: load_digits(0.25, g, dtype=dtype),
        lambda: load_mnist(tmp_path, dtype=dtype),
    ):
        assert_refused(call, ValueError, r"dtype must be float32 or float64, got ", g=g)


# -- item 4: a refused call changes nothing, not even the Generator ------------------------


def read_only(nets, key, index):
    nets[key].layers[index].W.flags.writeable = False
    return nets[key]


STATE = [
    (
        "from_sizes softmax n_out=1",
        lambda n, g: Network.from_sizes([3, 4, 1], ["sigmoid", "softmax"], "squared_error", g),
        ValueError,
        r"Network\.from_sizes: layer 2: a softmax over n_out = 1 unit always "
        r"outputs 1 .*use n_out >= 2",
    ),
    (
        "from_sizes bad n later",
        lambda n, g: Network.from_sizes([3, 4, 0], "sigmoid", "squared_error", g),
        ValueError,
        r"sizes\[2\] must be a positive integer \(>= 1\); got 0",
    ),
    (
        "fit callback without arguments",
        lambda n, g: n["ce"].fit(X4, T4, 3, 0.1, 2, rng=g, callback=lambda: False),
        TypeError,
        r"Network\.fit: callback must be callable as callback\(net, history\) or "
        r"None; got .*whose signature is \(\)",
    ),
    (
        "fit callback with three arguments",
        lambda n, g: n["ce"].fit(X4, T4, 3, 0.1, 2, rng=g, callback=lambda a, b, c: False),
        TypeError,
        r"callback must be callable as callback\(net, history\).*signature is "
        r"\(a, b, c\)",
    ),
    (
        "step read-only W",
        lambda n, g: read_only(n, "ce", 1).step(0.1),
        ValueError,
        r"Network\.step: layers\[1\]\.W is read-only \(flags\.writeable is False\).*copy\(\)",
    ),
    (
        "fit read-only W",
        lambda n, g: read_only(n, "ce", 1).fit(X4, T4, 2, 0.1, 2, rng=g),
        ValueError,
        r"Network\.fit: layers\[1\]\.W is read-only",
    ),
    (
        "fit bad validation after good rng",
        lambda n, g: n["ce"].fit(X4, T4, 2, 0.1, 2, rng=g, validation_data=(X4, T4[:, :1])),
        ValueError,
        r"Network\.fit: T_val must have shape \(batch, n_L\) = \(4, 2\)",
    ),
]


@pytest.mark.parametrize("case_id", [c[0] for c in STATE])
def test_refused_calls_change_no_state(case_id):
    run_table(STATE, case_id)


def test_a_step_that_would_overflow_changes_nothing():
    nets = make_nets()
    nets["reg"].layers[1].dW = nets["reg"].layers[1].dW + 10.0  # |lr dW| > float64 max
    assert_refused(
        lambda: nets["reg"].step(1e308),
        FloatingPointError,
        r"Network\.step: the step with lr = 1e\+308 would make layers\[1\]\.W or \.b NaN "
        r"or inf.*nothing was changed",
        nets,
    )


def test_load_digits_refused_split_leaves_the_generator_alone():
    from backprop_lib.teaching.datasets import load_digits

    g = np.random.default_rng(7)
    assert_refused(
        lambda: load_digits(0.99715, g),
        ValueError,
        r"test_size=0\.99715 puts \d+ of the \d+ images of digit \d in the test set",
        g=g,
    )


# -- item 5: a step is applied to every layer or to none -----------------------------------


def hand_steps(net, X, T, lr, n_steps):
    """``n_steps`` full-batch steps written out: backward, then W -= lr dW per layer."""
    net = net.copy()
    for _ in range(n_steps):
        for layer, (dW, db) in zip(net.layers, net.backward(X, T), strict=True):
            layer.W = layer.W - lr * dW
            layer.b = layer.b - lr * db
    return [(layer.W, layer.b) for layer in net.layers]


class Flaky:
    """A parameter array whose in-place assignment (``P[...] = new``) raises
    KeyboardInterrupt on the ``at``-th assignment of the whole run (counted in ``calls``)."""

    def __init__(self, array, calls, at):
        self.array, self.calls, self.at = array, calls, at

    def __setitem__(self, index, new):
        self.calls["n"] += 1
        if self.calls["n"] == self.at:
            raise KeyboardInterrupt
        self.array[index] = new


class InterruptedApply(Network):
    """A network whose updates are applied through :class:`Flaky` arrays."""

    calls: dict
    at: int

    def _updates(self, lr):
        return [(Flaky(P, self.calls, self.at), u) for P, u in super()._updates(lr)]


@pytest.mark.parametrize("interrupt_at", [1, 2, 3, 4, 5, 6, 7, 8, 9])
def test_an_interrupt_while_applying_a_step_never_leaves_it_half_done(interrupt_at):
    """KeyboardInterrupt at the ``interrupt_at``-th in-place update (2 per layer, 3 layers):
    the weights are those after a whole number of steps, the interrupted one finished."""
    base = Network.from_sizes([3, 4, 4, 2], ["tanh", "sigmoid", "softmax"], rng=5)
    net = InterruptedApply(base.copy().layers, base.loss_fn)
    net.calls, net.at = {"n": 0}, interrupt_at
    with pytest.raises(KeyboardInterrupt):
        net.fit(X4, T4, 5, 0.5, 4, rng=0)  # full batch: one step per epoch
    completed = (interrupt_at - 1) // 6 + 1  # the interrupted step is finished
    for (W, b), layer in zip(
        hand_steps(base, X4, T4, 0.5, completed), net.layers, strict=True
    ):  # a step moves W by ~1e-2: far above rounding
        np.testing.assert_allclose(layer.W, W, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(layer.b, b, rtol=1e-12, atol=1e-14)


class InterruptedNetwork(Network):
    """Raises KeyboardInterrupt in the ``n``-th backward pass (while computing a step)."""

    n = 3

    def backpropagate(self, X, T):
        self.calls = getattr(self, "calls", 0) + 1
        if self.calls == self.n:
            raise KeyboardInterrupt
        super().backpropagate(X, T)


def test_an_interrupt_while_computing_a_step_leaves_the_steps_before_it():
    base = Network.from_sizes([3, 4, 2], ["tanh", "softmax"], rng=6)
    net = InterruptedNetwork([layer for layer in base.copy().layers], base.loss_fn)
    with pytest.raises(KeyboardInterrupt):
        net.fit(X4, T4, 5, 0.5, 4, rng=0)
    for (W, b), layer in zip(hand_steps(base, X4, T4, 0.5, 2), net.layers, strict=True):
        np.testing.assert_allclose(layer.W, W, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(layer.b, b, rtol=1e-12, atol=1e-14)


# -- item 3: divergence raises cleanly and keeps the last finite weights -------------------

DIVERGING = [
    ([4, 8, 3], ["relu", "linear"], "squared_error", 1e3),
    ([4, 8, 3], ["sigmoid", "softmax"], "cross_entropy", 1e300),
    ([4, 8, 3], ["tanh", "sigmoid"], "binary_cross_entropy", 1e300),
    ([4, 8, 3], ["relu", "softmax"], "cross_entropy", 1e5),
    ([4, 8, 3], ["tanh", "linear"], "squared_error", 10.0),
    ([4, 8, 3], ["sigmoid", "linear"], "sum_squared_error", 1e10),
]


@pytest.mark.parametrize("config", DIVERGING, ids=lambda c: f"{c[1]}-{c[2]}-{c[3]:g}")
def test_divergence_raises_without_warnings_and_keeps_finite_weights(config):
    sizes, activations, loss, lr = config
    data = np.random.default_rng(0)
    X = data.normal(size=(64, 4))
    T = np.eye(3)[data.integers(0, 3, 64)]
    net = Network.from_sizes(sizes, activations, loss, rng=0)
    error = assert_refused(
        lambda: net.fit(X, T, 30, lr, 16, rng=0),
        FloatingPointError,
        r"Network\.fit: .* training diverged\. The network keeps the weights of epoch \d+\. "
        r"Use a smaller lr\.",
    )
    kept = int(str(error).split("weights of epoch ")[1].split(".")[0])
    for W, b in net.parameters():
        assert np.isfinite(W).all() and np.isfinite(b).all()
    reference = Network.from_sizes(sizes, activations, loss, rng=0)
    if kept:
        reference.fit(X, T, kept, lr, 16, rng=0)
    for (W, b), (W_ref, b_ref) in zip(net.parameters(), reference.parameters(), strict=True):
        np.testing.assert_array_equal(W, W_ref)
        np.testing.assert_array_equal(b, b_ref)
    assert all(layer.s is None and layer.dW is None for layer in net.layers)
    assert np.isfinite(net.loss(X, T))  # the network stays usable


def test_huge_weights_give_a_clear_error_not_warnings():
    net = make_nets()["reg"]
    net.layers[0].W = np.full((3, 5), 1e300)
    net.layers[1].W = np.full((5, 1), 1e300)
    for call, where in (
        (lambda: net.loss(X4, X4[:, :1]), "Network.loss"),
        (lambda: net.forward(X4), "Network.forward"),
        (lambda: net.backward(X4, X4[:, :1]), "Network.backward"),
        (lambda: net.fit(X4, X4[:, :1], 2, 0.1, 2, rng=0), "Network.fit"),
    ):
        assert_refused(call, FloatingPointError, rf"{where}: .*(inf|NaN)")


# -- item 6: ragged, masked and otherwise unclear arguments --------------------------------

RAGGED_T = [[1, 0], [0, 1], [1, 0], [0]]
MASKED_X = np.ma.masked_array(X4, mask=np.eye(4, 3, dtype=bool))
MASKED_T = np.ma.masked_array(T4, mask=np.zeros_like(T4, dtype=bool))

UNCLEAR = [
    (
        "loss ragged T",
        lambda n, g: n["ce"].loss(X4, RAGGED_T),
        ValueError,
        r"Network\.loss: T must be an array of shape \(batch, 2\); got \[\[1, 0\].*which numpy "
        r"cannot make an array of",
    ),
    (
        "fit ragged T",
        lambda n, g: n["ce"].fit(X4, RAGGED_T, 1, 0.1, 2, rng=g),
        ValueError,
        r"Network\.fit: T must be an array of shape \(batch, 2\)",
    ),
    (
        "fit ragged T_val",
        lambda n, g: n["ce"].fit(X4, T4, 1, 0.1, 2, rng=g, validation_data=(X4, RAGGED_T)),
        ValueError,
        r"Network\.fit: T_val must be an array of shape \(batch, 2\)",
    ),
    (
        "from_arrays ragged W",
        lambda n, g: Dense.from_arrays([[1.0, 2.0], [3.0]], [0.0, 0.0]),
        ValueError,
        r"Dense\.from_arrays: W must be an array of shape \(n_in, n_out\); got .*which numpy "
        r"cannot make an array of",
    ),
    (
        "from_arrays ragged b",
        lambda n, g: Dense.from_arrays([[1.0, 2.0]], [[0.0], [0.0, 1.0]]),
        ValueError,
        r"Dense\.from_arrays: b must be an array of shape \(n_out,\)",
    ),
    (
        "from_arrays text W",
        lambda n, g: Dense.from_arrays([["a", "b"]], [0.0, 0.0]),
        TypeError,
        r"Dense\.from_arrays: W must hold real numbers",
    ),
    (
        "from_arrays inf b",
        lambda n, g: Dense.from_arrays([[1.0, 2.0]], [0.0, np.inf]),
        ValueError,
        r"Dense\.from_arrays: b must be finite; got inf at b\[1\]",
    ),
    (
        "forward masked X",
        lambda n, g: n["ce"].forward(MASKED_X),
        TypeError,
        r"Network\.forward: X is a masked array; the library cannot skip masked entries",
    ),
    (
        "backward masked T",
        lambda n, g: n["ce"].backward(X4, MASKED_T),
        TypeError,
        r"Network\.backward: T is a masked array.*T\.filled\(value\)",
    ),
    (
        "fit masked X",
        lambda n, g: n["ce"].fit(MASKED_X, T4, 1, 0.1, 2, rng=g),
        TypeError,
        r"Network\.fit: X is a masked array",
    ),
    (
        "gradient_check masked X",
        lambda n, g: gradient_check(n["ce"], MASKED_X, T4),
        TypeError,
        r"gradient_check: X is a masked array",
    ),
    (
        "fit lr nan",
        lambda n, g: n["ce"].fit(X4, T4, 1, np.nan, 2, rng=g),
        ValueError,
        r"Network\.fit: lr must be a positive finite number; got nan",
    ),
    (
        "fit lr inf",
        lambda n, g: n["ce"].fit(X4, T4, 1, np.inf, 2, rng=g),
        ValueError,
        r"Network\.fit: lr must be a positive finite number; got inf",
    ),
    (
        "fit epochs float inf",
        lambda n, g: n["ce"].fit(X4, T4, np.inf, 0.1, 2, rng=g),
        TypeError,
        r"Network\.fit: epochs must be a positive integer; got inf",
    ),
    (
        "fit batch_size nan",
        lambda n, g: n["ce"].fit(X4, T4, 1, 0.1, np.nan, rng=g),
        TypeError,
        r"Network\.fit: batch_size must be a positive integer; got nan",
    ),
    (
        "validation_split fraction nan",
        lambda n, g: validation_split(X4, T4, np.nan, rng=g),
        ValueError,
        r"validation_split: fraction must be in \(0, 1\); got nan",
    ),
    (
        "validation_split fraction inf",
        lambda n, g: validation_split(X4, T4, np.inf, rng=g),
        ValueError,
        r"validation_split: fraction must be in \(0, 1\); got inf",
    ),
    (
        "validation_split ragged T",
        lambda n, g: validation_split(X4, RAGGED_T, 0.5, rng=g),
        ValueError,
        r"validation_split: T must be an array of shape \(N, n_L\)",
    ),
    (
        "validation_split masked X",
        lambda n, g: validation_split(MASKED_X, T4, 0.5, rng=g),
        TypeError,
        r"validation_split: X is a masked array",
    ),
]


@pytest.mark.parametrize("case_id", [c[0] for c in UNCLEAR])
def test_unclear_arguments_get_clear_errors(case_id):
    run_table(UNCLEAR, case_id)


# -- item 9: activation and loss objects used on their own check their arguments -----------


def _objects():
    from backprop_lib import ACTIVATIONS, LOSSES

    return ACTIVATIONS, LOSSES


A, L = _objects()
Z23 = np.zeros((2, 3))
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
        lambda n, g: __import__("backprop_lib").output_delta(
            A["softmax"], L["cross_entropy"], Z23, np.full((2, 3), 1 / 3), np.ones((2, 1))
        ),
        ValueError,
        r"output_delta: o and t must be 2-D arrays of the same shape",
    ),
    (
        "output_loss s shape",
        lambda n, g: __import__("backprop_lib").output_loss(
            A["sigmoid"], L["binary_cross_entropy"], np.zeros((2, 2)), Z23 + 0.5, Z23
        ),
        ValueError,
        r"output_loss: s and o must have one shape",
    ),
]


@pytest.mark.parametrize("case_id", [c[0] for c in OBJECTS])
def test_objects_used_on_their_own_check_their_arguments(case_id):
    run_table(OBJECTS, case_id)


# -- item 10: no string reaches sympy's parser ---------------------------------------------


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


# -- item 11: the range each dtype guarantees ------------------------------------------------


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
