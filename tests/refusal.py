r"""What the refusal tests share (``tests/core/test_refusals_*.py``, the symbolic and widget
refusal modules). A refused call raises the named error with a message naming the argument,
what was given and what is valid; it emits no warning; and it changes nothing: not the
networks' parameters and stored forward and backward values, not the caller's Generator.

Import it as ``from refusal import ...`` (pyproject's ``pythonpath`` puts ``tests/`` on
``sys.path``).

- :data:`X4`, :data:`T4`: a batch of 4 samples with 3 inputs, and one-hot targets of 2 classes;
  :data:`RAGGED_T`, :data:`MASKED_X`, :data:`MASKED_T`: a ragged target list, masked arrays;
- :func:`make_nets`: three small networks with stored forward and backward values;
- :func:`assert_refused`: run a call, assert the error, its message, no warning, no change;
- :func:`case_ids`, :func:`run_table`: parametrize a table of ``(id, call(nets, g), error,
  pattern)`` cases and run one of them through :func:`assert_refused`;
- :func:`strictly`, :func:`refused`: run a call with warnings as errors and numpy set to
  raise (as a caller may have done), and assert that it is refused with given words.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import assert_layer_state, layer_state

from backprop_lib import Network

#: A batch of 4 samples with 3 inputs, and its one-hot targets of 2 classes.
X4 = np.array([[0.1, -0.2, 0.3], [1.0, 0.5, -1.0], [0.0, 0.2, 0.4], [-0.3, 0.3, 0.9]])
T4 = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
#: Targets numpy cannot make an array of (the last row is short), and masked X and T.
RAGGED_T = [[1, 0], [0, 1], [1, 0], [0]]
MASKED_X = np.ma.masked_array(X4, mask=np.eye(4, 3, dtype=bool))
MASKED_T = np.ma.masked_array(T4, mask=np.zeros_like(T4, dtype=bool))


def make_nets() -> dict[str, Network]:
    r"""Three small networks with stored forward and backward values (so that "nothing
    changed" covers those too): ``ce`` (sigmoid, softmax; cross-entropy), ``bce`` (tanh,
    sigmoid; binary cross-entropy) and ``reg`` (relu, linear; squared error)."""
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
    r"""Run ``call()``; assert it raises ``error`` matching ``pattern``, warns nothing and
    changes neither ``nets`` (a dict of networks) nor ``g``. Returns the exception."""
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


def case_ids(cases) -> list[str]:
    r"""The ids of a table of cases ``(id, call(nets, g), error, pattern)``, each once."""
    ids = [case[0] for case in cases]
    assert len(set(ids)) == len(ids), sorted(i for i in ids if ids.count(i) > 1)
    return ids


def run_table(cases, case_id):
    r"""Run the case ``case_id`` of ``cases`` (id, call(nets, g), error, pattern) on fresh
    :func:`make_nets` and a seeded Generator, through :func:`assert_refused`."""
    (call, error, pattern) = next(c[1:] for c in cases if c[0] == case_id)
    nets, g = make_nets(), np.random.default_rng(12)
    assert_refused(lambda: call(nets, g), error, pattern, nets, g)


def strictly(call):
    r"""``call()`` with every warning an error and numpy set to raise (a caller's
    ``np.seterr(all="raise")``), the state restored afterwards."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        old = np.seterr(all="raise")
        try:
            return call()
        finally:
            np.seterr(**old)


def refused(call, error, *words):
    r"""Assert that ``strictly(call)`` raises ``error`` whose message contains every one of
    ``words``; returns the exception."""
    with pytest.raises(error) as err:
        strictly(call)
    for word in words:
        assert word in str(err.value), (word, str(err.value))
    return err.value
