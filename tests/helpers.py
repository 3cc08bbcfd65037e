r"""The tests' independent reference: everything here is written from the definitions with
plain numpy and sympy, independently of the library's numpy code, so that a test comparing
the library with it compares two separate implementations. The activations and losses are
the sympy twin's (``backprop_lib.symbolic``, which imports none of the library's numpy
maths and whose forms ``tests/symbolic/test_generic_forms.py`` proves), written once there: an
activation or loss added to the registries needs no new oracle here.

Import it as ``from helpers import ...`` from a test module in any folder below ``tests/``:
pyproject's ``[tool.pytest.ini_options] pythonpath`` puts ``tests/`` (and ``tests/book/``, for
``book_paths``) on ``sys.path``, with ``pytest`` and with ``python -m pytest`` alike.

- :func:`central_difference`: the gradient of any scalar function, entry by entry;
  :func:`five_point`: the fourth-order difference of a function of one variable (or an
  elementwise one);
- :func:`sigmoid`, :func:`softmax`, :func:`numpy_outputs`, :func:`numpy_derivative`,
  :func:`numpy_loss`: activations, elementwise derivatives and
  losses in numpy (the sympy twin's expressions, lambdified; softmax shifted by the row
  maximum); :func:`sympy_outputs`, :func:`sympy_loss`: the sympy twin's expressions;
  :func:`sympy_delta`, :func:`finite_difference_delta`: the output delta from those;
- :func:`random_target`: a random target row that a loss accepts;
- :func:`layer_state`, :func:`assert_layer_state`: copies of every array a network's layers
  hold, to assert that a call left the network exactly as it was;
- :data:`REPO_ROOT`: the repository's root, from which tests find the book and the sources.
"""

from __future__ import annotations

from functools import lru_cache

import book_paths
import numpy as np
import sympy as sp

from backprop_lib import symbolic

#: The repository's root: every test finds the book, the library's sources and ``tools/``
#: from here (defined in ``tests/book/book_paths.py``, which ``tools/`` also imports).
REPO_ROOT = book_paths.REPO_ROOT

LAYER_ARRAYS = ("W", "b", "o_prev", "s", "o", "delta", "dW", "db")


def central_difference(f, x, eps=1e-6) -> np.ndarray:
    r"""$\partial f/\partial x$ by central differences,
    $(f(x + \varepsilon e_k) - f(x - \varepsilon e_k)) / 2\varepsilon$ for every entry $k$ of
    ``x`` (any shape, converted to float64); returns an array of the shape of ``x``."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        grad[idx] = (f(up) - f(down)) / (2 * eps)
    return grad


def five_point(f, x, h):
    r"""The fourth-order central difference
    $f'(x) \approx (f(x - 2h) - 8 f(x - h) + 8 f(x + h) - f(x + 2h)) / 12h$, with $f$ called on
    all of ``x`` at once: for an elementwise ``f`` it is every entry's derivative."""
    return (f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h)


# -- activations and losses in numpy ----------------------------------------------------------


@lru_cache(maxsize=None)
def _lambdified(activation: str):
    """The sympy twin's elementwise $f$ of ``activation`` as a numpy function."""
    u = sp.Symbol("u", real=True)
    f = sp.lambdify(u, symbolic.get_activation(activation).scalar(u), "numpy")
    return lambda s: f(s) + np.zeros_like(s, dtype=np.float64)  # a constant f broadcasts


@lru_cache(maxsize=None)
def _lambdified_term(loss: str):
    """The sympy twin's per-unit term $e(o_k, t_k)$ of ``loss`` as a numpy function."""
    o, t = sp.symbols("o t", real=True)
    return sp.lambdify((o, t), symbolic.get_loss(loss).term(o, t), "numpy")


def sigmoid(z):
    r"""$\sigma(z) = 1/(1 + e^{-z})$, the sympy twin's form lambdified (the textbook form,
    overflows for $z < -709$)."""
    return _lambdified("sigmoid")(np.asarray(z, dtype=np.float64))


def softmax(z, axis=-1):
    r"""$e^{z_i - m} / \sum_k e^{z_k - m}$ along ``axis``, $m$ the maximum along it
    (``axis=0`` for the notes' column layout)."""
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def numpy_derivative(activation: str, s):
    r"""$f'(s)$ of an elementwise activation: ``sympy.diff`` of the sympy twin's $f$,
    lambdified (moderate $s$: the textbook forms, e.g. $e^{-s}/(1 + e^{-s})^2$)."""
    return _lambdified_derivative(activation)(np.asarray(s, dtype=np.float64))


@lru_cache(maxsize=None)
def _lambdified_derivative(activation: str):
    u = sp.Symbol("u", real=True)
    f = sp.lambdify(u, symbolic.get_activation(activation).derivative(u), "numpy")
    return lambda s: f(s) + np.zeros_like(s, dtype=np.float64)  # a constant f' broadcasts


def numpy_outputs(activation: str, s):
    r"""$o = f(s)$ for an activation name (the sympy twin's $f$, lambdified); softmax acts
    along the last axis (:func:`softmax`, shifted, as the unshifted sympy form overflows)."""
    if activation not in symbolic.ACTIVATION_NAMES:
        raise ValueError(f"numpy_outputs: unknown activation {activation!r}")
    if not symbolic.get_activation(activation).elementwise:
        assert activation == "softmax", activation  # the one whole-row activation
        return softmax(s)
    return _lambdified(activation)(np.asarray(s, dtype=np.float64))


def numpy_loss(activation: str, loss: str, s, t) -> float:
    r"""The per-sample loss $E(f(s), t)$, a sum over the units of one row ``s``, ``t``."""
    if loss not in symbolic.LOSS_NAMES:
        raise ValueError(f"numpy_loss: unknown loss {loss!r}")
    o = numpy_outputs(activation, np.asarray(s, dtype=np.float64))
    return np.sum(_lambdified_term(loss)(o, np.asarray(t, dtype=np.float64)))


def finite_difference_delta(activation: str, loss: str, s_row, t_row, eps=1e-6) -> np.ndarray:
    r"""$\delta = \partial E(f(s), t)/\partial s$ of one row by :func:`central_difference` of
    :func:`numpy_loss`."""
    t_row = np.asarray(t_row, dtype=np.float64)
    return central_difference(lambda s: numpy_loss(activation, loss, s, t_row), s_row, eps)


# -- activations and losses in sympy ----------------------------------------------------------


def sympy_outputs(activation: str, s) -> list[sp.Expr]:
    r"""$o = f(s)$ for a list of expressions ``s`` (softmax over the whole list): the sympy
    twin's ``forward``."""
    return list(symbolic.get_activation(activation).forward(sp.Matrix([list(s)])))


def sympy_loss(loss: str, o, t) -> sp.Expr:
    r"""The per-sample loss $E(o, t) = \sum_k e(o_k, t_k)$ of two lists of expressions."""
    term = symbolic.get_loss(loss).term
    return sum(term(ok, tk) for ok, tk in zip(o, t, strict=True))


def sympy_delta(activation: str, loss: str, s_row, t_row) -> np.ndarray:
    r"""$\delta_i = \partial E(f(s), t)/\partial s_i$ of one row by ``sympy.diff`` of
    :func:`sympy_loss` after :func:`sympy_outputs`, evaluated with 30 digits."""
    n = len(s_row)
    s = sp.symbols(f"s1:{n + 1}", real=True)
    t = sp.symbols(f"t1:{n + 1}", real=True)
    E = sympy_loss(loss, sympy_outputs(activation, s), t)
    values = {
        **dict(zip(s, map(float, s_row), strict=True)),
        **dict(zip(t, map(float, t_row), strict=True)),
    }
    return np.array([float(sp.diff(E, v).evalf(30, subs=values)) for v in s])


# -- test data --------------------------------------------------------------------------------


def random_target(loss: str, n: int, rng: np.random.Generator) -> np.ndarray:
    r"""A random target row of ``n`` units that ``loss`` accepts: a probability vector
    (Dirichlet) for cross-entropy, entries in [0, 1) for binary cross-entropy, in [-1, 1)
    for the squared errors (written here, like every reference of this module: the library's
    ``symbolic.random_targets`` draws normal targets for those)."""
    if loss == "cross_entropy":
        return rng.dirichlet(np.ones(n))
    if loss == "binary_cross_entropy":
        return rng.uniform(0, 1, n)
    return rng.uniform(-1, 1, n)


# -- a network's state ------------------------------------------------------------------------


def layer_state(net) -> list[dict]:
    """Copies of every array each layer of ``net`` holds (:data:`LAYER_ARRAYS`: parameters and
    stored forward and backward values; ``None`` where nothing is stored)."""
    return [
        {
            name: None if getattr(layer, name) is None else getattr(layer, name).copy()
            for name in LAYER_ARRAYS
        }
        for layer in net.layers
    ]


def assert_layer_state(before: list[dict], net) -> None:
    """Assert that every layer of ``net`` holds exactly the arrays of ``before`` (a
    :func:`layer_state`): equal bit for bit, and ``None`` where ``before`` has ``None``."""
    assert len(before) == len(net.layers)
    for old, layer in zip(before, net.layers, strict=True):
        for name, value in old.items():
            if value is None:
                assert getattr(layer, name) is None, name
            else:
                np.testing.assert_array_equal(getattr(layer, name), value, err_msg=name)
