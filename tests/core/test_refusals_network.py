r"""Refusals of building a network or a layer, and of the data given to one.

- Building: ``Network``, ``Network.from_sizes``, ``Dense``, ``Dense.from_arrays`` and
  ``Network.astype`` refuse unknown activation and loss names, a loss the last activation
  cannot be followed by, sizes that are not positive integers or do not chain, what is not a
  layer, ragged, text or non-finite arrays, and dtypes other than float64 and float32.
- Data: ``forward``, ``predict``, ``loss``, ``backward`` and ``fit`` refuse an ``X`` or ``T``
  of the wrong shape, ragged, masked, empty, complex, text or non-finite, a value too big for
  the network's dtype, and targets the loss cannot take (outside [0, 1] for binary
  cross-entropy, rows that are not probability vectors for cross-entropy).
- Parameters a caller replaced with the wrong dtype or shape, and weights so large that the
  forward pass overflows, give a clear error, never a numpy warning.

Every case goes through :func:`refusal.assert_refused`: the error, a message naming the
argument and what is valid, no warning, and every network and the Generator unchanged. The
expected messages are written here, not read from the code under test.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers import layer_state
from refusal import (
    MASKED_T,
    MASKED_X,
    RAGGED_T,
    T4,
    X4,
    assert_refused,
    case_ids,
    make_nets,
    refused,
    run_table,
)

from backprop_lib import ACTIVATION_NAMES, Dense, Network


def replace(array, index, value):
    r"""A copy of ``array`` with ``array[index] = value``."""
    array = array.copy()
    array[index] = value
    return array


# -- building a network or a layer ----------------------------------------------------------

BUILD = [
    # unknown names, and a loss the last activation cannot be followed by
    (
        "unknown activation",
        lambda n, g: Network.from_sizes([3, 2], ["softmx"], "cross_entropy"),
        ValueError,
        r"activation 'softmx' is unknown; valid names are "
        + re.escape(", ".join(map(repr, ACTIVATION_NAMES)))
        + r"\. Did you mean 'softmax'\?",
    ),
    (
        "unknown loss",
        lambda n, g: Network(n["ce"].layers, loss="mse"),
        ValueError,
        r"loss 'mse' is unknown; valid names are 'squared_error', 'sum_squared_error', "
        r"'binary_cross_entropy', 'cross_entropy'",
    ),
    (
        "undefined pair",
        lambda n, g: Network.from_sizes([3, 2], ["tanh"], "cross_entropy"),
        ValueError,
        r"'tanh' cannot be followed by the loss 'cross_entropy': cross_entropy takes ln\(o\), so "
        r"it needs outputs in \(0, inf\), but tanh outputs lie in \(-1, 1\), which includes values "
        r"<= 0\. Valid losses after 'tanh': 'squared_error', 'sum_squared_error'",
    ),
    # sizes and layers
    (
        "sizes do not chain",
        lambda n, g: Network([Dense(3, 4, rng=0), Dense(5, 2, "softmax", rng=0)]),
        ValueError,
        r"consecutive layers must chain, layers\[1\]\.n_in == layers\[0\]\.n_out; got "
        r"layers\[0\] = Dense\(3, 4, activation='sigmoid'\) with n_out = 4 and layers\[1\] = "
        r"Dense\(5, 2, activation='softmax'\) with n_in = 5",
    ),
    (
        "no layers",
        lambda n, g: Network([]),
        TypeError,
        r"layers must be a non-empty list of Dense layers; got \[\]",
    ),
    (
        "not a layer",
        lambda n, g: Network([n["ce"].layers[0], "dense"]),
        TypeError,
        r"layers\[1\] must be a Dense layer; got 'dense'",
    ),
    (
        "bad sizes",
        lambda n, g: Network.from_sizes([3], "sigmoid", "squared_error"),
        ValueError,
        r"sizes must be a list \[n_0, n_1, \.\.\., n_L\] of at least two layer sizes; got \[3\]",
    ),
    (
        "zero width",
        lambda n, g: Network.from_sizes([3, 0, 2], "sigmoid", "squared_error"),
        ValueError,
        r"sizes\[1\] must be a positive integer \(>= 1\); got 0",
    ),
    (
        "activation count",
        lambda n, g: Network.from_sizes([3, 4, 2], ["sigmoid"], "squared_error"),
        ValueError,
        r"activations must be one name or one per layer \(2 for sizes \[3, 4, 2\]\); "
        r"got 1: \['sigmoid'\]",
    ),
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
    # Dense.from_arrays
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
    # dtypes: float64 or float32, nothing read as float64 by default
    (
        "layer dtypes",
        lambda n, g: Network([Dense(3, 4, rng=0), Dense(4, 2, "softmax", rng=0, dtype=np.float32)]),
        TypeError,
        r"all layers must share one dtype; layers\[0\] is float64 but layers\[1\] is "
        r"float32",
    ),
    (
        "dtype name",
        lambda n, g: Network.from_sizes([3, 2], "sigmoid", "squared_error", dtype="float16"),
        TypeError,
        r"dtype must be np\.float64 or np\.float32; got 'float16'",
    ),
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


@pytest.mark.parametrize("case_id", case_ids(BUILD))
def test_building_refusals(case_id):
    run_table(BUILD, case_id)


# -- the data: X and T ----------------------------------------------------------------------

DATA = [
    # X not 2-D, ragged, or of the wrong number of columns
    (
        "X 1-D",
        lambda n, g: n["ce"].forward(X4[0]),
        ValueError,
        r"Network\.forward: X must be a 2-D array of shape \(batch, 3\).*got shape \(3,\)\. "
        r"For one sample, pass X\[None, :\] \(shape \(1, 3\)\)",
    ),
    (
        "X 3-D",
        lambda n, g: n["ce"].backward(X4[None], T4),
        ValueError,
        r"Network\.backward: X must be a 2-D array .*got shape \(1, 4, 3\)",
    ),
    (
        "X ragged",
        lambda n, g: n["ce"].forward([[1.0, 2.0, 3.0], [1.0, 2.0]]),
        ValueError,
        r"X must be an array of shape \(batch, 3\); got \[\[1\.0, 2\.0, 3\.0\], \[1\.0, 2\.0\]\] "
        r"\(type list\), which numpy cannot make an array of",
    ),
    (
        "X columns",
        lambda n, g: n["ce"].loss(X4[:, :2], T4),
        ValueError,
        r"Network\.loss: X must have 3 columns, shape \(batch, 3\); got shape \(4, 2\)",
    ),
    # T of the wrong shape, or ragged
    (
        "T columns",
        lambda n, g: n["ce"].backward(X4, np.ones((4, 3)) / 3),
        ValueError,
        r"T must have shape \(batch, n_L\) = \(4, 2\).*got shape \(4, 3\)",
    ),
    (
        "T rows",
        lambda n, g: n["ce"].fit(X4, T4[:3], 1, 0.1, 2, rng=0),
        ValueError,
        r"Network\.fit: T must have shape \(batch, n_L\) = \(4, 2\).*got shape \(3, 2\)",
    ),
    (
        "T labels",
        lambda n, g: n["ce"].loss(X4, np.array([0, 1, 1, 0])),
        ValueError,
        r"got shape \(4,\)\. For class labels, pass one-hot rows, e\.g\. np\.eye\(n_L\)\[labels\]",
    ),
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
    # NaN or inf in X or T
    (
        "X NaN",
        lambda n, g: n["ce"].backward(replace(X4, (2, 1), np.nan), T4),
        ValueError,
        r"X must be finite; got nan at X\[2, 1\]",
    ),
    (
        "X inf",
        lambda n, g: n["ce"].forward(replace(X4, (0, 0), -np.inf)),
        ValueError,
        r"X must be finite; got -inf at X\[0, 0\]",
    ),
    (
        "T NaN",
        lambda n, g: n["bce"].fit(X4, replace(T4, (3, 1), np.nan), 1, 0.1, 2, rng=0),
        ValueError,
        r"T must be finite; got nan at T\[3, 1\]",
    ),
    (
        "T inf",
        lambda n, g: n["ce"].loss(X4, replace(T4, (1, 0), np.inf)),
        ValueError,
        r"T must be finite; got inf at T\[1, 0\]",
    ),
    # an empty batch
    (
        "empty batch",
        lambda n, g: n["ce"].backward(np.zeros((0, 3)), np.zeros((0, 2))),
        ValueError,
        r"X is an empty batch \(shape \(0, 3\)\); it needs at least one row",
    ),
    (
        "empty fit",
        lambda n, g: n["ce"].fit(np.zeros((0, 3)), np.zeros((0, 2)), 1, 0.1, 1),
        ValueError,
        r"Network\.fit: X is an empty batch",
    ),
    # targets the loss cannot take
    (
        "BCE target > 1",
        lambda n, g: n["bce"].backward(X4, replace(T4, (0, 1), 2.0)),
        ValueError,
        r"T must lie in \[0, 1\] for binary_cross_entropy; got 2\.0 at T\[0, 1\]",
    ),
    (
        "BCE target < 0",
        lambda n, g: n["bce"].fit(X4, replace(T4, (2, 0), -1.0), 1, 0.1, 2),
        ValueError,
        r"T must lie in \[0, 1\] for binary_cross_entropy; got -1\.0 at T\[2, 0\]",
    ),
    (
        "CE row sum",
        lambda n, g: n["ce"].backward(X4, replace(T4, (1, 0), 1.0)),
        ValueError,
        r"T rows must be probability vectors for cross_entropy \(entries >= 0 summing to 1, "
        r"e\.g\. one-hot\); row 1 sums to 2",
    ),
    (
        "CE negative",
        lambda n, g: n["ce"].loss(X4, np.array([[1.5, -0.5]] * 4)),
        ValueError,
        r"probability vectors.*got -0\.5 at T\[0, 1\]",
    ),
    # masked, complex, text, too big for the dtype
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
        "complex X",
        lambda n, g: n["ce"].forward(X4 + 1j),
        TypeError,
        r"X must hold real numbers \(bool, int or float\); got an array of shape \(4, 3\) and "
        r"dtype complex128",
    ),
    (
        "text X",
        lambda n, g: n["ce"].forward([["a", "b", "c"]]),
        TypeError,
        r"X must hold real numbers \(bool, int or float\); got dtype <U1",
    ),
    (
        "too big for float32",
        lambda n, g: n["ce"].astype(np.float32).forward(replace(X4, (1, 2), 1e300)),
        ValueError,
        r"X\[1, 2\] = 1e\+300 does not fit in the network's dtype float32",
    ),
]


@pytest.mark.parametrize("case_id", case_ids(DATA))
def test_data_refusals(case_id):
    run_table(DATA, case_id)


def test_network_loss_refuses_huge_cross_entropy_targets_without_a_warning():
    net = Network.from_sizes(
        [2, 3, 2], ["sigmoid", "softmax"], "cross_entropy", np.random.default_rng(0)
    )
    before = [(W.copy(), b.copy()) for W, b in net.parameters()]
    refused(
        lambda: net.loss(np.ones((4, 2)), np.full((4, 2), 1e308)),
        ValueError,
        "Network.loss: T rows must be probability vectors",
        "sums to inf",
    )
    for (W, b), (W0, b0) in zip(net.parameters(), before, strict=True):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)


# -- parameters the caller replaced, and weights that overflow ------------------------------

REPLACED = [
    (
        "W dtype",
        lambda n, g: (
            setattr(n["ce"].layers[1], "W", n["ce"].layers[1].W.astype(np.float32)),
            n["ce"].forward(X4),
        ),
        TypeError,
        r"layers\[1\]\.W has dtype float32, but the layer computes in float64; assign "
        r"W\.astype\(np\.float64\) instead",
    ),
    (
        "W shape",
        lambda n, g: (setattr(n["ce"].layers[0], "b", np.zeros(5)), n["ce"].backward(X4, T4)),
        ValueError,
        r"layers\[0\]\.b must have shape \(4,\) \(the layer is Dense\(3, 4\)\); got "
        r"shape \(5,\)",
    ),
]


@pytest.mark.parametrize("case_id", case_ids(REPLACED))
def test_a_replaced_parameter_of_the_wrong_dtype_or_shape_is_refused(case_id):
    """The call replaces a parameter itself, so only the error, its message and the absence
    of warnings are checked here; the next test checks that nothing else changed."""
    (call, error, pattern) = next(c[1:] for c in REPLACED if c[0] == case_id)
    nets, g = make_nets(), np.random.default_rng(12)
    assert_refused(lambda: call(nets, g), error, pattern, g=g)


def test_cases_with_a_replaced_parameter_change_nothing_else():
    net = make_nets()["ce"]
    before = layer_state(net)
    net.layers[1].W = net.layers[1].W.astype(np.float32)
    with pytest.raises(TypeError):
        net.fit(X4, T4, 1, 0.1, 2)
    for old, layer in zip(before, net.layers, strict=True):
        for name in ("b", "o_prev", "s", "o", "delta", "dW", "db"):
            np.testing.assert_array_equal(getattr(layer, name), old[name])
    np.testing.assert_array_equal(net.layers[0].W, before[0]["W"])


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
