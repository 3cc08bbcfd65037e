"""The bad-input table of the library, one case at a time.

Every refused call must raise ``ValueError`` or ``TypeError`` (``RuntimeError`` for a call
in the wrong order) with a message naming the argument, what was given and what is valid,
and must leave every network exactly as it was: parameters and stored values.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers import assert_layer_state, layer_state

from backprop_lib import ACTIVATION_NAMES, Dense, Network, gradient_check

GOOD_X = np.array([[0.1, -0.2, 0.3], [1.0, 0.5, -1.0], [0.0, 0.2, 0.4], [-0.3, 0.3, 0.9]])
GOOD_T = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])  # one-hot rows


@pytest.fixture
def nets():
    """A softmax/cross-entropy net and a sigmoid/binary-cross-entropy net, both with stored
    forward and backward values, so that "nothing modified" covers those too."""
    ce = Network.from_sizes([3, 4, 2], ["sigmoid", "softmax"], "cross_entropy", rng=0)
    bce = Network.from_sizes([3, 4, 2], ["tanh", "sigmoid"], "binary_cross_entropy", rng=1)
    ce.backward(GOOD_X, GOOD_T)
    bce.backward(GOOD_X, GOOD_T)
    return {"ce": ce, "bce": bce}


def replace(array, index, value):
    array = array.copy()
    array[index] = value
    return array


# (case, function of the nets, error, pattern the message must match)
CASES = [
    # X not 2-D
    (
        "X 1-D",
        lambda n: n["ce"].forward(GOOD_X[0]),
        ValueError,
        r"Network\.forward: X must be a 2-D array of shape \(batch, 3\).*got shape \(3,\)\. "
        r"For one sample, pass X\[None, :\] \(shape \(1, 3\)\)",
    ),
    (
        "X 3-D",
        lambda n: n["ce"].backward(GOOD_X[None], GOOD_T),
        ValueError,
        r"Network\.backward: X must be a 2-D array .*got shape \(1, 4, 3\)",
    ),
    (
        "X ragged",
        lambda n: n["ce"].forward([[1.0, 2.0, 3.0], [1.0, 2.0]]),
        ValueError,
        r"X must be an array of shape \(batch, 3\); got \[\[1\.0, 2\.0, 3\.0\], \[1\.0, 2\.0\]\] "
        r"\(type list\), which numpy cannot make an array of",
    ),
    # wrong number of columns
    (
        "X columns",
        lambda n: n["ce"].loss(GOOD_X[:, :2], GOOD_T),
        ValueError,
        r"Network\.loss: X must have 3 columns, shape \(batch, 3\); got shape \(4, 2\)",
    ),
    # T of the wrong shape
    (
        "T columns",
        lambda n: n["ce"].backward(GOOD_X, np.ones((4, 3)) / 3),
        ValueError,
        r"T must have shape \(batch, n_L\) = \(4, 2\).*got shape \(4, 3\)",
    ),
    (
        "T rows",
        lambda n: n["ce"].fit(GOOD_X, GOOD_T[:3], 1, 0.1, 2, rng=0),
        ValueError,
        r"Network\.fit: T must have shape \(batch, n_L\) = \(4, 2\).*got shape \(3, 2\)",
    ),
    (
        "T labels",
        lambda n: n["ce"].loss(GOOD_X, np.array([0, 1, 1, 0])),
        ValueError,
        r"got shape \(4,\)\. For class labels, pass one-hot rows, e\.g\. np\.eye\(n_L\)\[labels\]",
    ),
    # NaN or inf in X or T
    (
        "X NaN",
        lambda n: n["ce"].backward(replace(GOOD_X, (2, 1), np.nan), GOOD_T),
        ValueError,
        r"X must be finite; got nan at X\[2, 1\]",
    ),
    (
        "X inf",
        lambda n: n["ce"].forward(replace(GOOD_X, (0, 0), -np.inf)),
        ValueError,
        r"X must be finite; got -inf at X\[0, 0\]",
    ),
    (
        "T NaN",
        lambda n: n["bce"].fit(GOOD_X, replace(GOOD_T, (3, 1), np.nan), 1, 0.1, 2, rng=0),
        ValueError,
        r"T must be finite; got nan at T\[3, 1\]",
    ),
    (
        "T inf",
        lambda n: n["ce"].loss(GOOD_X, replace(GOOD_T, (1, 0), np.inf)),
        ValueError,
        r"T must be finite; got inf at T\[1, 0\]",
    ),
    # an empty batch
    (
        "empty batch",
        lambda n: n["ce"].backward(np.zeros((0, 3)), np.zeros((0, 2))),
        ValueError,
        r"X is an empty batch \(shape \(0, 3\)\); it needs at least one row",
    ),
    (
        "empty fit",
        lambda n: n["ce"].fit(np.zeros((0, 3)), np.zeros((0, 2)), 1, 0.1, 1),
        ValueError,
        r"Network\.fit: X is an empty batch",
    ),
    # targets outside [0, 1] for binary_cross_entropy
    (
        "BCE target > 1",
        lambda n: n["bce"].backward(GOOD_X, replace(GOOD_T, (0, 1), 2.0)),
        ValueError,
        r"T must lie in \[0, 1\] for binary_cross_entropy; got 2\.0 at T\[0, 1\]",
    ),
    (
        "BCE target < 0",
        lambda n: n["bce"].fit(GOOD_X, replace(GOOD_T, (2, 0), -1.0), 1, 0.1, 2),
        ValueError,
        r"T must lie in \[0, 1\] for binary_cross_entropy; got -1\.0 at T\[2, 0\]",
    ),
    # cross_entropy targets whose rows are not probability vectors
    (
        "CE row sum",
        lambda n: n["ce"].backward(GOOD_X, replace(GOOD_T, (1, 0), 1.0)),
        ValueError,
        r"T rows must be probability vectors for cross_entropy \(entries >= 0 summing to 1, "
        r"e\.g\. one-hot\); row 1 sums to 2",
    ),
    (
        "CE negative",
        lambda n: n["ce"].loss(GOOD_X, np.array([[1.5, -0.5]] * 4)),
        ValueError,
        r"probability vectors.*got -0\.5 at T\[0, 1\]",
    ),
    (
        "CE validation",
        lambda n: n["ce"].fit(GOOD_X, GOOD_T, 1, 0.1, 2, validation_data=(GOOD_X, GOOD_T * 2)),
        ValueError,
        r"T_val rows must be probability vectors.*row 0 sums to 2",
    ),
    # unknown activation or loss names
    (
        "unknown activation",
        lambda n: Network.from_sizes([3, 2], ["softmx"], "cross_entropy"),
        ValueError,
        r"activation 'softmx' is unknown; valid names are "
        + re.escape(", ".join(map(repr, ACTIVATION_NAMES)))
        + r"\. Did you mean 'softmax'\?",
    ),
    (
        "unknown loss",
        lambda n: Network(n["ce"].layers, loss="mse"),
        ValueError,
        r"loss 'mse' is unknown; valid names are 'squared_error', 'sum_squared_error', "
        r"'binary_cross_entropy', 'cross_entropy'",
    ),
    (
        "undefined pair",
        lambda n: Network.from_sizes([3, 2], ["tanh"], "cross_entropy"),
        ValueError,
        r"'tanh' cannot be followed by the loss 'cross_entropy': cross_entropy takes ln\(o\), so "
        r"it needs outputs in \(0, inf\), but tanh outputs lie in \(-1, 1\), which includes values "
        r"<= 0\. Valid losses after 'tanh': 'squared_error', 'sum_squared_error'",
    ),
    # consecutive layers whose sizes do not chain
    (
        "sizes do not chain",
        lambda n: Network([Dense(3, 4, rng=0), Dense(5, 2, "softmax", rng=0)]),
        ValueError,
        r"consecutive layers must chain, layers\[1\]\.n_in == layers\[0\]\.n_out; got "
        r"layers\[0\] = Dense\(3, 4, activation='sigmoid'\) with n_out = 4 and layers\[1\] = "
        r"Dense\(5, 2, activation='softmax'\) with n_in = 5",
    ),
    (
        "no layers",
        lambda n: Network([]),
        TypeError,
        r"layers must be a non-empty list of Dense layers; got \[\]",
    ),
    (
        "not a layer",
        lambda n: Network([n["ce"].layers[0], "dense"]),
        TypeError,
        r"layers\[1\] must be a Dense layer; got 'dense'",
    ),
    (
        "bad sizes",
        lambda n: Network.from_sizes([3], "sigmoid", "squared_error"),
        ValueError,
        r"sizes must be a list \[n_0, n_1, \.\.\., n_L\] of at least two layer sizes; got \[3\]",
    ),
    (
        "zero width",
        lambda n: Network.from_sizes([3, 0, 2], "sigmoid", "squared_error"),
        ValueError,
        r"sizes\[1\] must be a positive integer \(>= 1\); got 0",
    ),
    (
        "activation count",
        lambda n: Network.from_sizes([3, 4, 2], ["sigmoid"], "squared_error"),
        ValueError,
        r"activations must be one name or one per layer \(2 for sizes \[3, 4, 2\]\); "
        r"got 1: \['sigmoid'\]",
    ),
    # non-positive lr, epochs, batch_size
    (
        "lr zero",
        lambda n: n["ce"].fit(GOOD_X, GOOD_T, 1, 0.0, 2),
        ValueError,
        r"Network\.fit: lr must be a positive finite number; got 0\.0",
    ),
    (
        "lr negative",
        lambda n: n["ce"].fit(GOOD_X, GOOD_T, 1, -0.1, 2),
        ValueError,
        r"lr must be a positive finite number; got -0\.1",
    ),
    (
        "lr nan",
        lambda n: n["ce"].fit(GOOD_X, GOOD_T, 1, float("nan"), 2),
        ValueError,
        r"lr must be a positive finite number; got nan",
    ),
    (
        "lr text",
        lambda n: n["ce"].fit(GOOD_X, GOOD_T, 1, "0.1", 2),
        TypeError,
        r"lr must be a positive finite number; got '0\.1' \(type str\)",
    ),
    (
        "step lr",
        lambda n: n["ce"].step(-1),
        ValueError,
        r"Network\.step: lr must be a positive finite number; got -1\.0",
    ),
    (
        "epochs zero",
        lambda n: n["ce"].fit(GOOD_X, GOOD_T, 0, 0.1, 2),
        ValueError,
        r"epochs must be a positive integer \(>= 1\); got 0",
    ),
    (
        "epochs float",
        lambda n: n["ce"].fit(GOOD_X, GOOD_T, 2.5, 0.1, 2),
        TypeError,
        r"epochs must be a positive integer; got 2\.5 \(type float\)",
    ),
    (
        "batch_size zero",
        lambda n: n["ce"].fit(GOOD_X, GOOD_T, 1, 0.1, 0),
        ValueError,
        r"batch_size must be a positive integer \(>= 1\); got 0",
    ),
    (
        "batch_size negative",
        lambda n: n["ce"].fit(GOOD_X, GOOD_T, 1, 0.1, -32),
        ValueError,
        r"batch_size must be a positive integer \(>= 1\); got -32",
    ),
    (
        "batch_size bool",
        lambda n: n["ce"].fit(GOOD_X, GOOD_T, 1, 0.1, True),
        TypeError,
        r"batch_size must be a positive integer; got True \(type bool\)",
    ),
    # other fit arguments
    (
        "fit rng",
        lambda n: n["ce"].fit(GOOD_X, GOOD_T, 1, 0.1, 2, rng=0.5),
        TypeError,
        r"rng must be a numpy\.random\.Generator .*, an int seed or None; got 0\.5",
    ),
    (
        "callback",
        lambda n: n["ce"].fit(GOOD_X, GOOD_T, 1, 0.1, 2, callback="stop"),
        TypeError,
        r"callback must be callable as callback\(net, history\) or None; got 'stop'",
    ),
    (
        "validation pair",
        lambda n: n["ce"].fit(GOOD_X, GOOD_T, 1, 0.1, 2, validation_data=GOOD_X),
        TypeError,
        r"validation_data must be a pair \(X_val, T_val\) or None; got an array",
    ),
    (
        "validation X",
        lambda n: n["ce"].fit(GOOD_X, GOOD_T, 1, 0.1, 2, validation_data=(GOOD_X[:, :2], GOOD_T)),
        ValueError,
        r"X_val must have 3 columns",
    ),
    # a mismatched dtype where it matters
    (
        "layer dtypes",
        lambda n: Network([Dense(3, 4, rng=0), Dense(4, 2, "softmax", rng=0, dtype=np.float32)]),
        TypeError,
        r"all layers must share one dtype; layers\[0\] is float64 but layers\[1\] is "
        r"float32",
    ),
    (
        "W dtype",
        lambda n: (
            setattr(n["ce"].layers[1], "W", n["ce"].layers[1].W.astype(np.float32)),
            n["ce"].forward(GOOD_X),
        ),
        TypeError,
        r"layers\[1\]\.W has dtype float32, but the layer computes in float64; assign "
        r"W\.astype\(np\.float64\) instead",
    ),
    (
        "W shape",
        lambda n: (setattr(n["ce"].layers[0], "b", np.zeros(5)), n["ce"].backward(GOOD_X, GOOD_T)),
        ValueError,
        r"layers\[0\]\.b must have shape \(4,\) \(the layer is Dense\(3, 4\)\); got "
        r"shape \(5,\)",
    ),
    (
        "complex X",
        lambda n: n["ce"].forward(GOOD_X + 1j),
        TypeError,
        r"X must hold real numbers \(bool, int or float\); got an array of shape \(4, 3\) and "
        r"dtype complex128",
    ),
    (
        "text X",
        lambda n: n["ce"].forward([["a", "b", "c"]]),
        TypeError,
        r"X must hold real numbers \(bool, int or float\); got dtype <U1",
    ),
    (
        "too big for float32",
        lambda n: n["ce"].astype(np.float32).forward(replace(GOOD_X, (1, 2), 1e300)),
        ValueError,
        r"X\[1, 2\] = 1e\+300 does not fit in the network's dtype float32",
    ),
    (
        "gradient_check float32",
        lambda n: gradient_check(n["ce"].astype(np.float32), GOOD_X, GOOD_T),
        TypeError,
        r"gradient_check: net computes in float32; central differences need float64",
    ),
    (
        "dtype name",
        lambda n: Network.from_sizes([3, 2], "sigmoid", "squared_error", dtype="float16"),
        TypeError,
        r"dtype must be np\.float64 or np\.float32; got 'float16'",
    ),
]


@pytest.mark.parametrize(("case", "call", "error", "pattern"), CASES, ids=[c[0] for c in CASES])
def test_refused_with_a_clear_message_and_nothing_modified(nets, case, call, error, pattern):
    before = {name: layer_state(net) for name, net in nets.items()}
    with pytest.raises(error, match=pattern):
        call(nets)
    for name, net in nets.items():
        if case in ("W dtype", "W shape"):  # the test itself replaced a parameter
            continue
        assert_layer_state(before[name], net)


def test_cases_with_a_replaced_parameter_change_nothing_else(nets):
    net = nets["ce"]
    before = layer_state(net)
    net.layers[1].W = net.layers[1].W.astype(np.float32)
    with pytest.raises(TypeError):
        net.fit(GOOD_X, GOOD_T, 1, 0.1, 2)
    for old, layer in zip(before, net.layers, strict=True):
        for name in ("b", "o_prev", "s", "o", "delta", "dW", "db"):
            np.testing.assert_array_equal(getattr(layer, name), old[name])
    np.testing.assert_array_equal(net.layers[0].W, before[0]["W"])


def test_step_before_backward_is_refused():
    net = Network.from_sizes([3, 2], ["sigmoid"], "binary_cross_entropy", rng=0)
    W = net.layers[0].W.copy()
    with pytest.raises(
        RuntimeError,
        match=r"layers\[0\] has no stored gradients; call "
        r"backward\(X, T\) before step\(lr\)",
    ):
        net.step(0.1)
    np.testing.assert_array_equal(net.layers[0].W, W)


def test_a_refused_fit_takes_no_step_even_late_in_the_checks(nets):
    """The last argument checked (validation data) fails: no weight has moved."""
    net = nets["ce"]
    before = layer_state(net)
    with pytest.raises(ValueError, match="X_val"):
        net.fit(GOOD_X, GOOD_T, 5, 0.5, 1, rng=0, validation_data=(GOOD_X[:, :1], GOOD_T))
    assert_layer_state(before, net)
