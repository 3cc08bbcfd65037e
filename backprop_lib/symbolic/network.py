r"""A small, fully symbolic network in the book's notation.

``symbolic_network((2, 2, 1), ("sigmoid", "sigmoid"))`` builds every quantity of the forward
pass as a sympy expression of the input symbols $x_j$ and the parameter symbols
$w^{(l)}_{ji}$, $b^{(l)}_i$:

.. math::

    s^l = o^{l-1} W^l + b^l, \qquad o^l = f^l(s^l), \qquad o^0 = x,

with rows as samples (one sample: ``1 x n_l`` rows). Lists are indexed like the library's
``layers``: ``W[l - 1]`` is $W^l$ (``n_{l-1} x n_l``), ``b[l - 1]``, ``s[l - 1]``,
``o[l - 1]`` are $b^l$, $s^l$, $o^l$ (``1 x n_l``).

Expressions grow quickly with depth and width; keep networks small (a few units per layer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from .._validate import as_real_array
from ..network import Network
from ._safe import as_expr
from .functions import ActivationLike, LossLike, get_activation, get_loss
from .notation import bias_symbols, input_symbols, target_symbols, weight_symbols

__all__ = ["SymbolicNetwork", "symbolic_network"]


@dataclass(frozen=True, eq=False)
class SymbolicNetwork:
    r"""The forward pass of a small network as sympy expressions (see :func:`symbolic_network`).

    Attributes
    ----------
    sizes : tuple of int
        $(n_0, n_1, \dots, n_L)$.
    activations : tuple of str
        The activation name of each layer $1, \dots, L$.
    x : Matrix, ``1 x n_0``
        The input symbols $x_1, \dots, x_{n_0}$ ($o^0 = x$).
    W : list of Matrix
        ``W[l - 1]`` is $W^l$, ``n_{l-1} x n_l``, entry ``[j - 1, i - 1]`` the symbol
        $w^{(l)}_{ji}$.
    b : list of Matrix
        ``b[l - 1]`` is $b^l$, ``1 x n_l``.
    s, o : list of Matrix
        ``s[l - 1]`` $= s^l = o^{l-1} W^l + b^l$ and ``o[l - 1]`` $= o^l = f^l(s^l)$,
        ``1 x n_l`` rows of expressions.
    t : Matrix, ``1 x n_L``
        Target symbols $t_1, \dots, t_{n_L}$ for :meth:`loss`.
    """

    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    x: sp.Matrix
    W: list[sp.Matrix]
    b: list[sp.Matrix]
    s: list[sp.Matrix]
    o: list[sp.Matrix]
    t: sp.Matrix

    @property
    def depth(self) -> int:
        """$L$, the number of layers with parameters."""
        return len(self.W)

    @property
    def output(self) -> sp.Matrix:
        r"""$o^L$, the ``1 x n_L`` output row."""
        return self.o[-1]

    def layer_input(self, layer: int) -> sp.Matrix:
        r"""$o^{l-1}$, the row layer ``layer`` $= l$ receives ($o^0 = x$)."""
        if isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= self.depth:
            raise ValueError(f"layer must be an int in 1..{self.depth}, got {layer!r}")
        return self.x if layer == 1 else self.o[layer - 2]

    def parameters(self) -> list[sp.Symbol]:
        r"""All parameter symbols in a fixed order: $W^1$ row by row, $b^1$, $W^2$, $b^2$, ...

        The order matches flattening the library's ``(W, b)`` of each layer in C order.
        """
        out: list[sp.Symbol] = []
        for W, b in zip(self.W, self.b, strict=True):
            out.extend(W)  # sympy iterates a Matrix row by row
            out.extend(b)
        return out

    def loss(self, loss: LossLike) -> sp.Expr:
        r"""The per-sample loss $E(o^L, t)$ as an expression of $x$, the parameters and $t$.

        One sample, so no batch mean: the library's loss of a batch of one row equals it.
        """
        return get_loss(loss).value(self.output, self.t)

    def substitution(
        self, network: Network, x_row: ArrayLike, t_row: ArrayLike | None = None
    ) -> dict[sp.Symbol, float]:
        r"""Map every symbol to the numbers of a library ``Network`` and one input row.

        Parameters
        ----------
        network : backprop_lib.Network
            Its ``layers[l - 1].W`` (``n_{l-1} x n_l``) and ``.b`` (``n_l``) give $W^l$, $b^l$.
            Its layer sizes and activation names must equal this network's.
        x_row : array_like, shape ``(n_0,)`` or ``(1, n_0)``
            The input $x$.
        t_row : array_like, shape ``(n_L,)`` or ``(1, n_L)``, optional
            The target $t$; when given, the target symbols are mapped too.

        Returns
        -------
        dict
            ``{symbol: float}`` for ``expr.subs(...)`` or ``expr.evalf(subs=...)``.
        """
        layers = getattr(network, "layers", None)
        if layers is None:
            raise TypeError(
                "network must be a backprop_lib.Network (with .layers), "
                f"got {type(network).__name__}"
            )
        if len(layers) != self.depth:
            raise ValueError(
                f"network has {len(layers)} layers, this symbolic network has {self.depth}"
            )
        out: dict[sp.Symbol, float] = {}
        for ell, (layer, W, b) in enumerate(zip(layers, self.W, self.b, strict=True), start=1):
            W_num = np.asarray(layer.W, dtype=np.float64)
            b_num = np.asarray(layer.b, dtype=np.float64)
            if W_num.shape != W.shape or b_num.shape != (b.cols,):
                raise ValueError(
                    f"layer {ell} of network has W {W_num.shape} and b {b_num.shape}; "
                    f"this symbolic network needs W {W.shape} and b ({b.cols},)"
                )
            act = getattr(layer, "activation", None)
            act_name = getattr(act, "name", act)
            if act_name is not None and act_name != self.activations[ell - 1]:
                raise ValueError(
                    f"layer {ell} of network uses activation {act_name!r}, "
                    f"this symbolic network uses {self.activations[ell - 1]!r}"
                )
            out.update(zip(W, W_num.ravel().tolist(), strict=True))
            out.update(zip(b, b_num.tolist(), strict=True))
        out.update(zip(self.x, _row_values(x_row, self.sizes[0], "x_row"), strict=True))
        if t_row is not None:
            out.update(zip(self.t, _row_values(t_row, self.sizes[-1], "t_row"), strict=True))
        return out

    def evaluate(
        self,
        expr: sp.Basic,
        network: Network,
        x_row: ArrayLike,
        t_row: ArrayLike | None = None,
        digits: int = 30,
    ) -> np.ndarray:
        """``expr`` (an expression or Matrix of this network) at the numbers of a library
        ``Network`` and an input (and target) row, as a float64 array.

        Each symbol is replaced by the exact binary value of its float64 number and the result
        is evaluated with ``digits`` significant digits before rounding to float64, so the
        answer is a reference for the library's float64 arithmetic.
        """
        sub = {k: sp.Float(v, digits) for k, v in self.substitution(network, x_row, t_row).items()}

        def value(e):
            e = as_expr(e, "expr", "SymbolicNetwork.evaluate")
            return e.xreplace(sub).evalf(digits)

        if isinstance(expr, sp.MatrixBase):
            return np.array(expr.applyfunc(value).tolist(), dtype=np.float64)
        return np.float64(value(expr))


def _row_values(row, n: int, name: str) -> list[float]:
    arr = as_real_array(row, name, "SymbolicNetwork", f"({n},) or (1, {n})")  # no strings
    arr = arr.astype(np.float64)
    if arr.ndim == 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},) or (1, {n}), got {np.shape(row)}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr}")
    return arr.tolist()


def symbolic_network(
    sizes: Sequence[int], activations: ActivationLike | Sequence[ActivationLike]
) -> SymbolicNetwork:
    r"""Build a fully symbolic network: $s^l = o^{l-1} W^l + b^l$, $o^l = f^l(s^l)$, $o^0 = x$.

    Parameters
    ----------
    sizes : sequence of int, length ``L + 1 >= 2``
        Units per layer $(n_0, \dots, n_L)$, input first.
    activations : str or sequence of str, length ``L``
        One activation name for every layer, or one per layer (``ACTIVATION_NAMES``).
        Softmax acts on the whole row of its layer.

    Returns
    -------
    SymbolicNetwork
        With ``x`` (``1 x n_0``), ``W[l-1]`` (``n_{l-1} x n_l``), ``b[l-1]``, ``s[l-1]``,
        ``o[l-1]`` (``1 x n_l``) and targets ``t`` (``1 x n_L``).
    """
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        raise TypeError(f"sizes must be a sequence of positive ints, got {sizes!r}")
    sizes = tuple(sizes)
    if len(sizes) < 2 or any(
        isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1 for n in sizes
    ):
        raise ValueError(
            f"sizes must hold at least two positive ints (n_0, ..., n_L), got {sizes!r}"
        )
    sizes = tuple(int(n) for n in sizes)
    depth = len(sizes) - 1
    if isinstance(activations, str):
        activations = (activations,) * depth
    if isinstance(activations, bytes) or not isinstance(activations, Sequence):
        raise TypeError(
            f"activations must be a name or a sequence of {depth} names, got {activations!r}"
        )
    if len(activations) != depth:
        raise ValueError(
            f"activations must name {depth} activations (one per layer), got {len(activations)}"
        )
    acts = [get_activation(a) for a in activations]

    x = input_symbols(sizes[0])
    W, b, s, o = [], [], [], []
    o_prev = x
    for ell in range(1, depth + 1):
        W.append(weight_symbols(ell, sizes[ell - 1], sizes[ell]))
        b.append(bias_symbols(ell, sizes[ell]))
        s.append(o_prev * W[-1] + b[-1])
        o.append(acts[ell - 1].forward(s[-1]))
        o_prev = o[-1]
    return SymbolicNetwork(
        sizes=sizes,
        activations=tuple(a.name for a in acts),
        x=x,
        W=W,
        b=b,
        s=s,
        o=o,
        t=target_symbols(sizes[-1]),
    )
