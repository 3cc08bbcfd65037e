r"""Numbers from the derivations: ``lambdify`` them and compare them with the library.

The derivations are per sample; the library's loss is the **batch mean**, so

.. math::

    E_\text{lib} = \frac1B \sum_n E(o_n, t_n), \qquad
    \frac{\partial E_\text{lib}}{\partial o_n} = \frac1B \frac{\partial E}{\partial o}(o_n, t_n),
    \qquad \delta_{\text{lib}, n} = \frac1B \delta(s_n, t_n),

and the comparisons below divide the sympy values by $B$ where the library includes $1/B$.
Points are drawn where every formula is defined: $|s| \in [0.1, 3]$ (relu stays off its kink
at 0), targets any reals for the squared errors, in $[0, 1]$ for binary cross-entropy, and
probability rows (the first row one-hot) for cross-entropy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy as sp

from ..activations import get_activation as library_activation
from ..losses import get_loss as library_loss
from ..pairs import output_delta, output_loss
from ._safe import as_expr
from .derivation import Derivation, derive
from .functions import get_loss

__all__ = [
    "assert_matches_library",
    "check_against_library",
    "compare_with_library",
    "lambdify_matrix",
    "random_targets",
    "relative_error",
    "sample_points",
]


def lambdify_matrix(matrix, rows: Sequence[sp.Matrix]):
    r"""Compile a sympy Matrix (or expression) of the symbols in ``rows`` for numpy batches.

    Parameters
    ----------
    matrix : sympy Matrix ``(p, q)`` or expression
        What to evaluate.
    rows : sequence of ``1 x n_r`` Matrices of symbols
        The arguments, e.g. ``[d.s, d.t]``.

    Returns
    -------
    callable
        ``f(*arrays)`` with one array of shape ``(B, n_r)`` per row; returns ``(B,)`` for an
        expression, ``(B, q)`` for a ``1 x q`` row and ``(B, p, q)`` otherwise. Constant
        entries are broadcast over the batch.
    """
    symbols = [v for row in rows for v in row]
    is_matrix = isinstance(matrix, sp.MatrixBase)
    shape = matrix.shape if is_matrix else ()
    entries = list(matrix) if is_matrix else [as_expr(matrix, "matrix", "lambdify_matrix")]
    compiled = sp.lambdify(symbols, entries, modules="numpy")
    widths = [row.cols for row in rows]

    def f(*arrays):
        if len(arrays) != len(rows):
            raise TypeError(
                f"expected {len(rows)} arrays (one per row of symbols), got {len(arrays)}"
            )
        columns = []
        for k, (arr, width) in enumerate(zip(arrays, widths, strict=True)):
            arr = np.asarray(arr, dtype=np.float64)
            if arr.ndim != 2 or arr.shape[1] != width:
                raise ValueError(f"argument {k} must have shape (B, {width}), got {arr.shape}")
            columns.extend(arr.T)
        batch = arrays[0].shape[0]
        values = [
            np.broadcast_to(np.asarray(v, dtype=np.float64), (batch,)) for v in compiled(*columns)
        ]
        out = np.stack(values, axis=-1)
        if not is_matrix:
            return out[:, 0]
        if shape[0] == 1:
            return out
        return out.reshape(batch, *shape)

    return f


def relative_error(a, b) -> float:
    r"""$\max |a - b| / \max(|a|, |b|, 10^{-300})$ over all entries (cs231n's elementwise
    relative error; entries equal to 0 in both give 0)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300)
    return float(np.max(np.abs(a - b) / scale)) if a.size else 0.0


def sample_points(loss, rng: np.random.Generator, batch: int = 5, n: int = 3):
    r"""Pre-activations ``S`` and targets ``T`` (both ``(batch, n)``) where every formula of
    ``loss`` (with any valid activation) is defined.

    $|s| \in [0.1, 3]$ with a random sign; targets: normal for the squared errors, uniform in
    $[0, 1]$ for binary cross-entropy, rows of a Dirichlet(1) for cross-entropy with the
    first row one-hot.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    for name, value in (("batch", batch), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    lss = get_loss(loss)
    S = rng.choice([-1.0, 1.0], size=(batch, n)) * rng.uniform(0.1, 3.0, size=(batch, n))
    T = random_targets(lss, rng, (batch, n))
    if lss.targets == "probability":
        T[0] = np.eye(n)[rng.integers(n)]
    return S, T


def random_targets(loss, rng: np.random.Generator, shape) -> np.ndarray:
    r"""Targets of ``shape`` (``(n,)`` for one row, ``(batch, n)``) valid for ``loss``: rows of
    a Dirichlet(1) (probability rows) for cross-entropy, uniform in $[0, 1]$ for binary
    cross-entropy, standard normal for the squared errors."""
    targets = get_loss(loss).targets
    if targets == "probability":
        return rng.dirichlet(np.ones(shape[-1]), size=tuple(shape[:-1]))
    if targets == "unit interval":
        return rng.uniform(0.0, 1.0, size=shape)
    return rng.normal(size=shape)


def compare_with_library(
    activation, loss, rng: np.random.Generator, batch: int = 5, n: int = 3
) -> dict[str, float]:
    r"""Evaluate a derivation and the library at the same random points; return the relative
    error (:func:`relative_error`) of each piece.

    Keys: ``"output"`` ($f(s)$), ``"loss"`` (mean of $E$ vs ``loss.value`` and vs the
    library's closed form from $s$), ``"grad_o"`` and ``"grad_o_textbook"`` (vs
    ``loss.gradient`` $\cdot B$), ``"jacobian"`` and ``"jacobian_textbook"`` (vs
    ``activation.jacobian``), ``"delta"`` and ``"delta_textbook"`` (vs the unfused chain
    ``activation.backward(s, o, loss.gradient(o, t))`` $\cdot B$), ``"delta_closed_form"``
    (vs ``pairs.output_delta``, the fused path for the fused pairs). The textbook forms are
    evaluated at the library's outputs $o$; the others at $s$.

    Raises ``ValueError`` with the library's reason for a pair that is not defined.
    """
    d: Derivation = derive(activation, loss, n)
    reason = d.library_problem()
    if reason is not None:
        raise ValueError(f"{d.activation} + {d.loss} is not defined: {reason}")
    act, lss = library_activation(d.activation), library_loss(d.loss)
    s_num, t_num = sample_points(d.loss, rng, batch, n)
    B = s_num.shape[0]
    lss.check_targets(t_num)

    o_num = act.forward(s_num)
    grad_o_lib = lss.gradient(o_num, t_num)
    delta_lib = act.backward(s_num, o_num, grad_o_lib)
    J_lib = act.jacobian(s_num)

    so, ot, st = [d.s], [d.o, d.t], [d.s, d.t]
    loss_sym = float(np.mean(lambdify_matrix(d.E, ot)(o_num, t_num)))
    delta_sym = lambdify_matrix(d.delta, st)(s_num, t_num) / B
    return {
        "output": relative_error(lambdify_matrix(d.output, so)(s_num), o_num),
        "loss": max(
            relative_error(loss_sym, lss.value(o_num, t_num)),
            relative_error(loss_sym, output_loss(act, lss, s_num, o_num, t_num)),
        ),
        "grad_o": relative_error(lambdify_matrix(d.grad_o, ot)(o_num, t_num) / B, grad_o_lib),
        "grad_o_textbook": relative_error(
            lambdify_matrix(d.grad_o_textbook, ot)(o_num, t_num) / B, grad_o_lib
        ),
        "jacobian": relative_error(lambdify_matrix(d.jacobian, so)(s_num), J_lib),
        "jacobian_textbook": relative_error(
            lambdify_matrix(d.jacobian_textbook, [d.o])(o_num), J_lib
        ),
        "delta": relative_error(delta_sym, delta_lib),
        "delta_textbook": relative_error(
            lambdify_matrix(d.delta_textbook, ot)(o_num, t_num) / B, delta_lib
        ),
        "delta_closed_form": relative_error(delta_sym, output_delta(act, lss, s_num, o_num, t_num)),
    }


def check_against_library(
    activation, loss, rng: np.random.Generator, batch: int = 5, n: int = 3
) -> float:
    """The largest relative error of :func:`compare_with_library` over all pieces."""
    return max(compare_with_library(activation, loss, rng, batch, n).values())


def assert_matches_library(
    activation,
    loss,
    rng: np.random.Generator,
    batch: int = 5,
    n: int = 3,
    rtol: float = 1e-7,
) -> dict[str, float]:
    """Raise ``AssertionError`` naming each piece whose relative error exceeds ``rtol``;
    return the errors of :func:`compare_with_library` otherwise."""
    errors = compare_with_library(activation, loss, rng, batch, n)
    bad = {k: v for k, v in errors.items() if not v <= rtol}
    if bad:
        detail = ", ".join(f"{k}: {v:.3g}" for k, v in bad.items())
        raise AssertionError(
            f"sympy and backprop_lib differ for {activation} + {loss} "
            f"beyond rtol={rtol:g}: {detail}"
        )
    return errors
