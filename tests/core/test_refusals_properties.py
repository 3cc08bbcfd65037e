"""A property test of the refusals: bad inputs of every class, drawn by hypothesis, for every
public function of the core library (the tables of ``test_refusals_*.py`` hold one case each).

Each draw picks a public function, the argument to spoil and a bad value of a class that
argument must refuse (ragged, masked, empty, NaN/inf, wrong shape, wrong type, out of
range, unparseable dtype, bad seed, strings for the symbolic side). The call must raise
``TypeError``/``ValueError`` whose message names the argument, emit no warning, and leave
the networks, their stored values and the passed Generator unchanged.

Set ``REFUSALS_REPORT=path`` to write the counts (tried, refused clearly, state unchanged).
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pytest
import sympy as sp
from helpers import assert_layer_state, layer_state
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from refusal import T4, X4

from backprop_lib import (
    ACTIVATIONS,
    LOSSES,
    Dense,
    Network,
    check_pair,
    get_activation,
    get_loss,
    gradient_check,
    numerical_gradient,
    output_delta,
    output_loss,
    symbolic,
)
from backprop_lib.teaching.datasets import load_digits, one_hot, parse_idx

COUNTS = {"tried": 0, "refused clearly": 0, "state unchanged": 0}


def fresh():
    net = Network.from_sizes([3, 4, 2], ["tanh", "softmax"], "cross_entropy", rng=0)
    net.backward(X4, T4)
    return net


# -- bad values by class --------------------------------------------------------------------


KINDS = (
    "nan",
    "inf",
    "ragged",
    "masked",
    "empty",
    "ndim",
    "columns",
    "complex",
    "text",
    "none",
    "object",
)


@st.composite
def bad_batches(draw, n_cols, kinds=KINDS):
    """Arrays a batch argument of ``n_cols`` columns must refuse (of the classes
    ``kinds``)."""
    kind = draw(st.sampled_from(kinds))
    rows = draw(st.integers(2 if kind == "ragged" else 1, 5))
    if kind in ("nan", "inf"):
        a = np.zeros((rows, n_cols))
        a[draw(st.integers(0, rows - 1)), draw(st.integers(0, n_cols - 1))] = (
            np.nan if kind == "nan" else draw(st.sampled_from([np.inf, -np.inf]))
        )
        return a
    if kind == "ragged":
        short = draw(st.integers(0, rows - 1))
        return [[0.0] * (n_cols - 1 if i == short else n_cols) for i in range(rows)]
    if kind == "masked":
        return np.ma.masked_array(np.zeros((rows, n_cols)), mask=np.zeros((rows, n_cols)))
    if kind == "empty":
        return np.zeros((0, n_cols))
    if kind == "ndim":
        return np.zeros(draw(st.sampled_from([(n_cols,), (1, rows, n_cols), ()])))
    if kind == "scalar":
        return 0.5
    if kind == "columns":
        return np.zeros((rows, n_cols + draw(st.sampled_from([-1, 1, 5]))))
    if kind == "complex":
        return np.zeros((rows, n_cols), dtype=complex)
    if kind == "text":
        return [["a"] * n_cols] * rows
    if kind == "none":
        return None
    return np.array([[object()] * n_cols] * rows)


BAD_POSITIVE_FLOAT = st.one_of(
    st.floats(max_value=0.0), st.sampled_from([np.nan, np.inf, -np.inf, "0.1", None, True])
)
BAD_POSITIVE_INT = st.one_of(
    st.integers(max_value=0), st.sampled_from([1.5, np.nan, np.inf, "3", None, True, 2.0])
)
BAD_DTYPE = st.sampled_from(
    ["garbage", None, "int8", np.int64, np.float16, "f8,f8", complex, object, 3]
)
BAD_RNG = st.one_of(st.integers(max_value=-1), st.sampled_from(["0", 1.5, np.nan, True, []]))
BAD_NAME = st.one_of(
    st.text(min_size=1, max_size=8).filter(lambda s: s not in ACTIVATIONS and s not in LOSSES),
    st.sampled_from([None, 3, 1.0]),
)
BAD_EPS_CHECK = st.one_of(
    st.floats(min_value=1e-300, max_value=9.9e-9),
    st.floats(min_value=1.1e-5, max_value=1e300),
    BAD_POSITIVE_FLOAT,
)
BAD_SYMBOLIC = st.one_of(
    st.text(min_size=1, max_size=20).filter(lambda s: not s.isidentifier() or "_" in s[:1]),
    st.sampled_from(["__import__('os').getcwd()", "x + 1", "exp(s)", [1], object()]),
)


# -- the public functions: (function, argument, strategy, call(value, net, g)) --------------

SA = ACTIVATIONS["sigmoid"]
#: An activation takes any shape with an axis and NaN (it propagates): the rest is bad.
OBJECT_KINDS = ("ragged", "masked", "empty", "complex", "text", "none", "object", "scalar")
#: Targets may have any number of columns.
TARGET_KINDS = tuple(k for k in KINDS if k != "columns")
CE = LOSSES["cross_entropy"]
TARGETS = [
    ("Network.forward", "X", bad_batches(3), lambda v, n, g: n.forward(v)),
    ("Network.predict", "X", bad_batches(3), lambda v, n, g: n.predict(v)),
    ("Network.loss", "X", bad_batches(3), lambda v, n, g: n.loss(v, T4)),
    ("Network.loss", "T", bad_batches(2), lambda v, n, g: n.loss(X4, v)),
    ("Network.backward", "T", bad_batches(2), lambda v, n, g: n.backward(X4, v)),
    ("Network.fit", "X", bad_batches(3), lambda v, n, g: n.fit(v, T4, 1, 0.1, 2, g)),
    ("Network.fit", "T", bad_batches(2), lambda v, n, g: n.fit(X4, v, 1, 0.1, 2, g)),
    (
        "Network.fit",
        "X_val",
        bad_batches(3),
        lambda v, n, g: n.fit(X4, T4, 1, 0.1, 2, g, validation_data=(v, T4)),
    ),
    ("Network.fit", "epochs", BAD_POSITIVE_INT, lambda v, n, g: n.fit(X4, T4, v, 0.1, 2, g)),
    ("Network.fit", "lr", BAD_POSITIVE_FLOAT, lambda v, n, g: n.fit(X4, T4, 1, v, 2, g)),
    ("Network.fit", "batch_size", BAD_POSITIVE_INT, lambda v, n, g: n.fit(X4, T4, 1, 0.1, v, g)),
    (
        "Network.fit",
        "callback",
        st.sampled_from(["stop", 3, lambda: 0, lambda a, b, c: 0]),
        lambda v, n, g: n.fit(X4, T4, 1, 0.1, 2, g, callback=v),
    ),
    ("Network.step", "lr", BAD_POSITIVE_FLOAT, lambda v, n, g: n.step(v)),
    ("Network.astype", "dtype", BAD_DTYPE, lambda v, n, g: n.astype(v)),
    (
        "Network.from_sizes",
        "dtype",
        BAD_DTYPE,
        lambda v, n, g: Network.from_sizes([3, 2], "sigmoid", "squared_error", g, dtype=v),
    ),
    (
        "Network.from_sizes",
        "sizes",
        st.sampled_from([[3], "34", [3, 0], [3, -1], [3, 1.5]]),
        lambda v, n, g: Network.from_sizes(v, "sigmoid", "squared_error", g),
    ),
    (
        "Network.from_sizes",
        "activation",
        BAD_NAME,
        lambda v, n, g: Network.from_sizes([3, 2, 2], ["sigmoid", v], "squared_error", g),
    ),
    (
        "Network.from_sizes",
        "rng",
        BAD_RNG,
        lambda v, n, g: Network.from_sizes([3, 2], "sigmoid", "squared_error", v),
    ),
    ("Dense", "n_in", BAD_POSITIVE_INT, lambda v, n, g: Dense(v, 2, rng=g)),
    ("Dense", "n_out", BAD_POSITIVE_INT, lambda v, n, g: Dense(2, v, rng=g)),
    ("Dense", "dtype", BAD_DTYPE, lambda v, n, g: Dense(2, 2, rng=g, dtype=v)),
    ("Dense.from_arrays", "W", bad_batches(2), lambda v, n, g: Dense.from_arrays(v, [0.0, 0.0])),
    ("gradient_check", "eps", BAD_EPS_CHECK, lambda v, n, g: gradient_check(n, X4, T4, v)),
    ("gradient_check", "X", bad_batches(3), lambda v, n, g: gradient_check(n, v, T4)),
    (
        "numerical_gradient",
        "layer",
        st.sampled_from([-1, 2, 1.0, "0", None]),
        lambda v, n, g: numerical_gradient(n, X4, T4, v, "W"),
    ),
    ("Sigmoid.forward", "s", bad_batches(3, OBJECT_KINDS), lambda v, n, g: SA.forward(v)),
    (
        "Sigmoid.backward",
        "grad_o",
        bad_batches(3).filter(lambda v: not _is_nonfinite(v)),
        lambda v, n, g: SA.backward(np.zeros((2, 3)), np.zeros((2, 3)), v),
    ),
    (
        "CrossEntropy.gradient",
        "o",
        bad_batches(2).filter(lambda v: not _is_nonfinite(v)),
        lambda v, n, g: CE.gradient(v, T4),
    ),
    ("check_targets", "t", bad_batches(2, TARGET_KINDS), lambda v, n, g: CE.check_targets(v)),
    (
        "output_delta",
        "s",
        bad_batches(2).filter(lambda v: not _is_nonfinite(v)),
        lambda v, n, g: output_delta(ACTIVATIONS["softmax"], CE, v, T4, T4),
    ),
    (
        "output_loss",
        "t",
        bad_batches(2).filter(lambda v: not _is_nonfinite(v)),
        lambda v, n, g: output_loss(ACTIVATIONS["softmax"], CE, T4, T4, v),
    ),
    ("get_activation", "activation", BAD_NAME, lambda v, n, g: get_activation(v)),
    ("get_loss", "loss", BAD_NAME, lambda v, n, g: get_loss(v)),
    ("check_pair", "loss", BAD_NAME, lambda v, n, g: check_pair("sigmoid", v)),
    (
        "load_digits",
        "test_size",
        st.sampled_from([0, 1, -0.5, 1.5, np.nan, np.inf, "0.2", None, True, 0.99715, 0.0001]),
        lambda v, n, g: load_digits(v, g),
    ),
    ("load_digits", "dtype", BAD_DTYPE, lambda v, n, g: load_digits(0.25, g, dtype=v)),
    (
        "one_hot",
        "labels",
        st.sampled_from([[0.5], [-1], [10], [[1]], ["a"], [True]]),
        lambda v, n, g: one_hot(v, 10),
    ),
    (
        "parse_idx",
        "data",
        st.one_of(st.text(), st.integers(), st.none()),
        lambda v, n, g: parse_idx(v),
    ),
    ("symbolic.latex", "expr", BAD_SYMBOLIC, lambda v, n, g: symbolic.latex(v)),
    (
        "symbolic scalar",
        "s",
        BAD_SYMBOLIC,
        lambda v, n, g: symbolic.get_activation("tanh").scalar(v),
    ),
    (
        "symbolic term",
        "o_k",
        BAD_SYMBOLIC,
        lambda v, n, g: symbolic.get_loss("squared_error").term(v, sp.Symbol("t")),
    ),
]

#: What a message must contain for each argument (the name as the message spells it).
MESSAGE_NAME = {
    "activation": "activation",
    "loss": "loss",
    "labels": "labels",
    "data": "data",
    "test_size": "test_size",
    "sizes": "sizes",
}


def _is_nonfinite(value) -> bool:
    """NaN/inf values are meaningful inputs to the activation and loss objects (they
    propagate, like numpy's); only the Network and gradient checking refuse them."""
    return (
        isinstance(value, np.ndarray)
        and value.dtype.kind == "f"
        and value.size > 0
        and not np.isfinite(value).all()
    )


def _message_ok(message: str, argument: str) -> bool:
    name = MESSAGE_NAME.get(argument, argument)
    if argument == "dtype" and "dtype must be float32 or float64" in message:
        return True
    says_what_is_valid = ("must", "unknown", "valid", "puts", "Pass ", "needs")
    return name in message and any(word in message for word in says_what_is_valid)


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    path = os.environ.get("REFUSALS_REPORT")
    if path:
        with open(path, "w") as handle:
            json.dump(COUNTS, handle)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_public_function_refuses_bad_input_clearly(data):
    where, argument, strategy, call = data.draw(st.sampled_from(TARGETS), label="target")
    value = data.draw(strategy, label=f"{where}({argument}=...)")
    net, g = fresh(), np.random.default_rng(1)
    before, g_before = layer_state(net), g.bit_generator.state
    COUNTS["tried"] += 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises((TypeError, ValueError)) as info:
            call(value, net, g)
    message = str(info.value)
    assert _message_ok(message, argument), (where, argument, message)
    assert not caught, [str(w.message) for w in caught]
    COUNTS["refused clearly"] += 1
    assert_layer_state(before, net)
    assert g.bit_generator.state == g_before
    COUNTS["state unchanged"] += 1
