r"""The fully connected layer.

Layer :math:`l` receives the outputs :math:`o^{l-1}` of the layer below (for :math:`l = 1`,
the input :math:`x`), one row per sample, and computes

.. math:: s^l = o^{l-1} W^l + b^l, \qquad o^l = f^l(s^l).

``W[j, i]`` is :math:`w^l_{ji}`, the weight from unit :math:`j` of layer :math:`l-1` to unit
:math:`i` of layer :math:`l`, so ``W`` has shape ``(n_in, n_out)``. (Notes that stack samples
in columns write :math:`W^\top x`; with rows it is ``X @ W``.)
"""

from __future__ import annotations

import numpy as np

from ._validate import (
    as_generator,
    check_layer_arguments,
    check_layer_arrays,
    check_layer_parameters,
)
from .activations import Activation, ReLU


class Dense:
    r"""A fully connected layer: :math:`s = o^{l-1} W + b`, :math:`o = f(s)`.

    Parameters
    ----------
    n_in, n_out : int
        Units of the layer below and of this layer.
    activation : str or Activation
        :math:`f`, a name from ``ACTIVATION_NAMES`` or an Activation object.
    rng : numpy.random.Generator, int or None
        Draws the initial weights: a Generator (its state advances), an int seed, or ``None``
        for a fresh, unseeded generator (different weights every run).
    dtype : np.float64 or np.float32
        The dtype of ``W``, ``b`` and everything the layer computes.

    Attributes
    ----------
    W : ndarray, shape ``(n_in, n_out)``
        Weights. Initialised as Glorot & Bengio (2010), :math:`U(-a, a)` with
        :math:`a = \sqrt{6 / (n_{in} + n_{out})}`; for ReLU as He et al. (2015),
        :math:`N(0, 2 / n_{in})`.
    b : ndarray, shape ``(n_out,)``
        Biases, initially 0.
    o_prev, s, o : ndarray, shapes ``(B, n_in)``, ``(B, n_out)``, ``(B, n_out)``
        Stored by :meth:`forward`: the input it received, :math:`s` and :math:`o`.
    delta, dW, db : ndarray, shapes ``(B, n_out)``, ``(n_in, n_out)``, ``(n_out,)``
        Stored by :meth:`backward` (or :meth:`backward_delta`):
        :math:`\delta = \partial E/\partial s`, :math:`\partial E/\partial W` and
        :math:`\partial E/\partial b`.

    Notes
    -----
    You may replace ``W`` and ``b`` with arrays of the same shape and dtype (e.g. a hand
    example); the network checks them before every public call.
    """

    def __init__(self, n_in, n_out, activation="sigmoid", rng=None, dtype=np.float64):
        n_in, n_out, activation, dtype = check_layer_arguments(n_in, n_out, activation, dtype)
        rng = as_generator(rng, "rng", "Dense")
        self.n_in, self.n_out = n_in, n_out
        self.activation: Activation = activation
        self.dtype = dtype
        if isinstance(activation, ReLU):
            W = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
        else:
            a = np.sqrt(6.0 / (n_in + n_out))
            W = rng.uniform(-a, a, size=(n_in, n_out))
        self.W = W.astype(dtype)
        self.b = np.zeros(n_out, dtype=dtype)
        self.o_prev = self.s = self.o = None
        self.delta = self.dW = self.db = None

    @staticmethod
    def check_arguments(n_in, n_out, activation, dtype, where: str = "Dense"):
        """``(n_in, n_out, activation, dtype)`` checked and resolved, or the error
        :class:`Dense` raises for them; draws nothing (:func:`_validate.check_layer_arguments`)."""
        return check_layer_arguments(n_in, n_out, activation, dtype, where)

    @classmethod
    def from_arrays(cls, W, b, activation="sigmoid") -> Dense:
        r"""A layer with the given weights ``W`` (shape ``(n_in, n_out)``) and biases ``b``
        (shape ``(n_out,)``), both copied. The dtype is ``W``'s if it is float32 or float64,
        else float64."""
        W_array, b_array, dtype = check_layer_arrays(W, b, "Dense.from_arrays")
        layer = cls(W_array.shape[0], W_array.shape[1], activation, rng=0, dtype=dtype)
        layer.W = W_array.astype(dtype, copy=True)
        layer.b = b_array.astype(dtype, copy=True)
        layer.check_parameters("Dense.from_arrays", "layer")
        return layer

    # -- forward and backward, side by side ------------------------------------------------

    def outputs(self, o_prev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r"""``(s, o)`` for ``o_prev`` ``(B, n_in)``, both ``(B, n_out)``, storing nothing.

        :math:`s = o^{l-1} W + b` and :math:`o = f(s)`: the one forward computation, which
        :meth:`forward` stores. No checks here: :class:`~backprop_lib.Network` validates
        its inputs once per call.
        """
        s = o_prev @ self.W + self.b  # eq:ff-preact
        return s, self.activation.forward(s)  # eq:nt-forward

    def forward(self, o_prev: np.ndarray) -> np.ndarray:
        r""":math:`s = o^{l-1} W + b`, :math:`o = f(s)` (:meth:`outputs`); stores
        ``o_prev``, ``s``, ``o`` for :meth:`backward`. Returns ``o``, ``(B, n_out)``."""
        self.o_prev = o_prev
        self.s, self.o = self.outputs(o_prev)
        return self.o

    def backward(self, grad_o: np.ndarray, below: bool = True) -> np.ndarray | None:
        r"""Backpropagate :math:`\partial E/\partial o^l` ``(B, n_out)`` through the layer,
        after :meth:`forward`.

        :math:`\delta^l = \partial E/\partial s^l` is the activation's vector-Jacobian
        product of ``grad_o`` (:math:`\partial E/\partial o \odot f'(s)` for an
        elementwise :math:`f`; with ``grad_o`` :math:`= \delta^{l+1} (W^{l+1})^\top` this is
        the recursion, eq:rd-recursion), then :meth:`backward_delta`. Stores ``delta``,
        ``dW``, ``db``; returns :math:`\partial E/\partial o^{l-1}` ``(B, n_in)``, or
        ``None`` with ``below=False``.
        """
        delta = self.activation.backward(self.s, self.o, grad_o)  # eq:rd-recursion
        return self.backward_delta(delta, below)

    def backward_delta(self, delta: np.ndarray, below: bool = True) -> np.ndarray | None:
        r"""Store :math:`\delta^l` ``(B, n_out)`` and the layer's gradients; return
        :math:`\partial E/\partial o^{l-1} = \delta^l (W^l)^\top` ``(B, n_in)``.

        :math:`\partial E/\partial W^l = (o^{l-1})^\top \delta^l` ``(n_in, n_out)`` and
        :math:`\partial E/\partial b^l = \sum_n \delta^l_n` ``(n_out,)``
        (eq:rd-gradients). The output layer starts here, from the pair's
        :math:`\delta^L`. With ``below=False`` (layer 1, whose input is the data) the
        product for the layer below is skipped and ``None`` returned.
        """
        self.delta = delta
        self.dW = self.o_prev.T @ delta  # eq:rd-gradients
        self.db = delta.sum(axis=0)  # eq:rd-gradients
        return delta @ self.W.T if below else None  # eq:rd-recursion, dE/do^{l-1}

    def check_parameters(self, where: str, label: str, writable: bool = False) -> None:
        """Raise ``TypeError``/``ValueError`` unless ``W`` and ``b`` are finite arrays of the
        layer's shape and dtype (they may have been replaced by hand), and, with
        ``writable``, arrays that can be updated in place
        (:func:`_validate.check_layer_parameters`)."""
        check_layer_parameters(self, where, label, writable)

    @property
    def n_parameters(self) -> int:
        """The number of weights and biases, ``n_in * n_out + n_out``."""
        return self.n_in * self.n_out + self.n_out

    def __repr__(self) -> str:
        dtype = "" if self.dtype == np.float64 else f", dtype=np.{self.dtype}"
        return f"Dense({self.n_in}, {self.n_out}, activation={self.activation.name!r}{dtype})"
