r"""A small reverse-mode automatic differentiation engine on numpy arrays.

The book's scalar ``Value`` (chapter *Backpropagation by hand*) made arrays: a
:class:`Tensor` holds a float64 array ``data``, the tensors it was computed from, and a
function ``_backward`` that turns the gradient of the output into gradients of those inputs.
That function is the operation's **vector-Jacobian product** (eq:ad-vjp): for
:math:`y = f(x)` and :math:`\bar y = \partial E/\partial y` (same shape as :math:`y`),

.. math:: \bar x = \frac{\partial E}{\partial x} = \bar y \, \frac{\partial y}{\partial x},

computed without ever building the Jacobian. Each operation's product is written right below
its forward computation, so one can be read against the other.

:meth:`Tensor.backward` visits the graph in reverse topological order (every tensor after all
the tensors computed from it) and calls each ``_backward`` once. Two rules make it right:

1. **A broadcast in the forward pass becomes a sum in the backward pass** (eq:ad-unbroadcast).
   ``X @ W + b`` with ``b`` of shape ``(n,)`` adds the same ``b`` to every row; the gradient
   of ``b`` is the sum of the rows' gradients. One helper does it: :func:`unbroadcast`.
2. **A value used twice gets the sum of its gradients** (eq:ad-accumulate). Every
   ``_backward`` *adds* (``+=``) into its inputs' ``grad``, never assigns.

Refusals: shapes that do not broadcast, or do not fit a matrix product, raise ``ValueError``
naming the operation and the shapes; a logarithm of a non-positive number, a division by
zero, and a result that overflows raise ``ValueError`` / ``FloatingPointError`` before any
numpy warning; :meth:`Tensor.backward` on a non-scalar needs a seed gradient.

:func:`network_loss` builds the loss of a :class:`~backprop_lib.Network` from its weights as
tensors, for every valid (activation, loss) pair, so that its gradients can be set against
:meth:`Network.backward <backprop_lib.Network.backward>`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._validate import as_batch

__all__ = [
    "Tensor",
    "concat",
    "dense_loss",
    "network_loss",
    "topological_order",
    "unbroadcast",
]


def _as_float64(data, where: str) -> np.ndarray:
    """``data`` as a float64 array, or ``TypeError``/``ValueError`` naming ``where``."""
    array = np.asarray(data)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{where}: data must be real numbers (int, float or bool); got dtype {array.dtype}."
        )
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{where}: data must be finite; got NaN or inf.")
    return array


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    r"""Sum ``grad`` over the axes that broadcasting added or stretched, down to ``shape``.

    Rule 1, a broadcast becomes a sum (eq:ad-unbroadcast): if the forward pass stretched an
    input of shape ``shape`` to ``grad.shape`` (new leading axes, or axes of length 1 copied),
    each input entry was used once per copy, and its gradient is the sum over the copies.
    """
    while grad.ndim > len(shape):  # leading axes that broadcasting added
        grad = grad.sum(axis=0)  # eq:ad-unbroadcast
    for axis, n in enumerate(shape):
        if n == 1 and grad.shape[axis] != 1:  # an axis of length 1, stretched
            grad = grad.sum(axis=axis, keepdims=True)  # eq:ad-unbroadcast
    return grad


def _broadcast_shape(op: str, a: Tensor, b: Tensor) -> tuple:
    """The shape of ``a op b``, or ``ValueError`` naming the operation and the shapes."""
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"Tensor {op}: shapes {a.shape} and {b.shape} do not broadcast (numpy's rule: "
            f"aligned from the right, each pair of lengths equal or one of them 1)."
        ) from None


def topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor ``root`` depends on, each after all of its parents (iterative depth-first
    search, so long chains do not hit Python's recursion limit); ``root`` is last."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in node.parents if id(p) not in seen)
    return order


class Tensor:
    r"""A float64 array in a computational graph.

    Parameters
    ----------
    data : array_like
        Real, finite numbers; stored as a float64 array (a copy).

    Attributes
    ----------
    data : ndarray
        The value.
    grad : ndarray or None
        :math:`\partial E/\partial \text{data}`, same shape, after ``E.backward()``.
    parents : tuple of Tensor
        The tensors this one was computed from (empty for a leaf).
    op : str
        The operation that made it (``""`` for a leaf).
    """

    #: numpy defers to the Tensor's operators: ``array * tensor`` is ``tensor.__rmul__(array)``,
    #: a Tensor, not an object array of Tensors.
    __array_ufunc__ = None

    def __init__(self, data: ArrayLike, parents: tuple = (), op: str = "") -> None:
        # an operation passes its float64 result (no copy); a leaf is checked and copied
        self.data: np.ndarray = np.asarray(data) if parents else _as_float64(data, "Tensor").copy()
        self.grad: np.ndarray | None = None  # dE/d(this tensor), set by backward()
        self.parents = parents
        self.op = op
        self._backward = lambda: None  # a leaf has no inputs to pass a gradient to

    @classmethod
    def _result(cls, data, parents: tuple, op: str) -> Tensor:
        """The output of an operation; ``FloatingPointError`` if it overflowed."""
        data = np.asarray(data, dtype=np.float64)
        if not np.all(np.isfinite(data)):
            raise FloatingPointError(
                f"Tensor {op}: the result overflowed (inf or NaN) for inputs of shapes "
                f"{[p.shape for p in parents]}."
            )
        return cls(data, parents, op)

    @staticmethod
    def wrap(x: Tensor | ArrayLike) -> Tensor:
        """``x`` as a Tensor (a number or an array becomes a leaf)."""
        return x if isinstance(x, Tensor) else Tensor(x)

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def __repr__(self) -> str:
        op = f", op={self.op!r}" if self.op else ""
        return f"Tensor(shape={self.shape}{op})"

    # -- elementwise arithmetic, with broadcasting ---------------------------------------

    def __add__(self, other) -> Tensor:
        other = Tensor.wrap(other)
        _broadcast_shape("+", self, other)
        with np.errstate(all="ignore"):
            out = Tensor._result(self.data + other.data, (self, other), "+")

        def _backward():  # d(a + b)/da = d(a + b)/db = 1
            self.grad += unbroadcast(out.grad, self.shape)  # eq:ad-accumulate
            other.grad += unbroadcast(out.grad, other.shape)

        out._backward = _backward
        return out

    def __mul__(self, other) -> Tensor:
        other = Tensor.wrap(other)
        _broadcast_shape("*", self, other)
        with np.errstate(all="ignore"):
            out = Tensor._result(self.data * other.data, (self, other), "*")

        def _backward():  # d(ab)/da = b, d(ab)/db = a
            self.grad += unbroadcast(out.grad * other.data, self.shape)
            other.grad += unbroadcast(out.grad * self.data, other.shape)

        out._backward = _backward
        return out

    def __truediv__(self, other) -> Tensor:
        other = Tensor.wrap(other)
        _broadcast_shape("/", self, other)
        if np.any(other.data == 0):
            raise ValueError(f"Tensor /: the divisor (shape {other.shape}) holds a zero.")
        with np.errstate(all="ignore"):
            out = Tensor._result(self.data / other.data, (self, other), "/")

        def _backward():  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
            self.grad += unbroadcast(out.grad / other.data, self.shape)
            other.grad += unbroadcast(-out.grad * out.data / other.data, other.shape)

        out._backward = _backward
        return out

    def __pow__(self, p) -> Tensor:
        if isinstance(p, Tensor) or not np.isscalar(p) or not np.isreal(p) or isinstance(p, bool):
            raise TypeError(f"Tensor **: the exponent must be a real number; got {p!r}.")
        p = float(p)  # type: ignore[arg-type]  # a real scalar, checked above
        if not np.isfinite(p):
            raise ValueError(f"Tensor **: the exponent must be finite; got {p}.")
        if p != int(p) and np.any(self.data < 0):
            raise ValueError(f"Tensor **: a negative base with the non-integer exponent {p}.")
        if p < 1 and p != 0 and np.any(self.data == 0):
            raise ValueError(f"Tensor **: a zero base with the exponent {p} (not differentiable).")
        with np.errstate(all="ignore"):
            out = Tensor._result(self.data**p, (self,), f"**{p:g}")

        def _backward():  # d(x^p)/dx = p x^(p-1) (0 for p = 0, also at x = 0)
            if p != 0:
                self.grad += out.grad * p * self.data ** (p - 1)

        out._backward = _backward
        return out

    def __neg__(self) -> Tensor:
        out = Tensor._result(-self.data, (self,), "neg")

        def _backward():  # d(-x)/dx = -1
            self.grad += -out.grad

        out._backward = _backward
        return out

    def __sub__(self, other) -> Tensor:
        return self + (-Tensor.wrap(other))

    def __radd__(self, other) -> Tensor:
        return self + other

    def __rsub__(self, other) -> Tensor:
        return Tensor.wrap(other) - self

    def __rmul__(self, other) -> Tensor:
        return self * other

    def __rtruediv__(self, other) -> Tensor:
        return Tensor.wrap(other) / self

    # -- matrix product --------------------------------------------------------------------

    def __matmul__(self, other) -> Tensor:
        r""":math:`Y = AB` for ``A`` ``(m, k)`` and ``B`` ``(k, n)``; backward (eq:ad-matmul)
        :math:`\bar A = \bar Y B^\top`, :math:`\bar B = A^\top \bar Y`."""
        other = Tensor.wrap(other)
        if self.ndim != 2 or other.ndim != 2 or self.shape[1] != other.shape[0]:
            raise ValueError(
                f"Tensor @: needs matrices (m, k) and (k, n); got shapes {self.shape} and "
                f"{other.shape}."
            )
        with np.errstate(all="ignore"):
            out = Tensor._result(self.data @ other.data, (self, other), "@")

        def _backward():
            self.grad += out.grad @ other.data.T  # eq:ad-matmul
            other.grad += self.data.T @ out.grad  # eq:ad-matmul

        out._backward = _backward
        return out

    def __rmatmul__(self, other) -> Tensor:
        return Tensor.wrap(other) @ self

    # -- reductions ------------------------------------------------------------------------

    def _axes(self, axis, op: str) -> tuple:
        """``axis`` (None, an int or a tuple of ints) as a tuple of non-negative axes."""
        if axis is None:
            return tuple(range(self.ndim))
        axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
        if not all(isinstance(a, (int, np.integer)) and -self.ndim <= a < self.ndim for a in axes):
            raise ValueError(f"Tensor {op}: axis {axis!r} is not an axis of shape {self.shape}.")
        return tuple(sorted({int(a) % self.ndim for a in axes}))

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        r"""Sum over ``axis``; backward: every summed entry receives the output's gradient
        (the sum's Jacobian is a row of ones), broadcast back to the input's shape."""
        axes = self._axes(axis, "sum")
        with np.errstate(all="ignore"):
            out = Tensor._result(self.data.sum(axis=axes, keepdims=keepdims), (self,), "sum")

        def _backward():
            grad = out.grad if keepdims else np.expand_dims(out.grad, axes)
            self.grad += np.broadcast_to(grad, self.shape)

        out._backward = _backward
        return out

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """The sum over ``axis`` divided by the number of entries summed."""
        axes = self._axes(axis, "mean")
        count = int(np.prod([self.shape[a] for a in axes]))
        if count == 0:
            raise ValueError(
                f"Tensor mean: no entries to average over axis {axis!r} of shape {self.shape}."
            )
        return self.sum(axes, keepdims) * (1.0 / count)

    def max(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        r"""The maximum over one ``axis`` (or all entries); backward: the gradient goes to
        the entry that was the maximum (the first one on a tie, as ``argmax``), 0 elsewhere."""
        if axis is not None and not isinstance(axis, (int, np.integer)):
            raise ValueError(f"Tensor max: axis must be None or one int; got {axis!r}.")
        if axis is not None:
            (axis,) = self._axes(axis, "max")
        if self.data.size == 0 or (axis is not None and self.shape[axis] == 0):
            raise ValueError(f"Tensor max: no entries along axis {axis!r} of shape {self.shape}.")
        flat = self.data.reshape(-1) if axis is None else self.data
        where = np.argmax(flat, axis=0 if axis is None else axis)
        index = np.expand_dims(where, 0 if axis is None else axis)
        value = np.take_along_axis(flat, index, axis=0 if axis is None else axis)
        if axis is None:
            value = value.reshape((1,) * self.ndim if keepdims else ())
        elif not keepdims:
            value = value.squeeze(axis)
        out = Tensor._result(value, (self,), "max")

        def _backward():
            grad = np.zeros_like(flat)
            g = out.grad.reshape(index.shape)
            np.put_along_axis(grad, index, g, axis=0 if axis is None else axis)
            self.grad += grad.reshape(self.shape)

        out._backward = _backward
        return out

    # -- elementwise functions -------------------------------------------------------------

    def exp(self) -> Tensor:
        with np.errstate(all="ignore"):
            out = Tensor._result(np.exp(self.data), (self,), "exp")

        def _backward():  # d(e^x)/dx = e^x
            self.grad += out.grad * out.data

        out._backward = _backward
        return out

    def log(self) -> Tensor:
        if np.any(self.data <= 0):
            raise ValueError(
                f"Tensor log: needs positive entries; got min = {self.data.min():.6g}."
            )
        out = Tensor._result(np.log(self.data), (self,), "log")

        def _backward():  # d(ln x)/dx = 1/x
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self) -> Tensor:
        out = Tensor._result(np.tanh(self.data), (self,), "tanh")

        def _backward():  # d(tanh x)/dx = 1 - tanh^2 x
            self.grad += out.grad * (1.0 - out.data**2)

        out._backward = _backward
        return out

    def sigmoid(self) -> Tensor:
        r""":math:`\sigma(x) = \tfrac12 (1 + \tanh(x/2))`, which never overflows."""
        out = Tensor._result(0.5 * (1.0 + np.tanh(0.5 * self.data)), (self,), "sigmoid")

        def _backward():  # d(sigma)/dx = sigma (1 - sigma)
            self.grad += out.grad * out.data * (1.0 - out.data)

        out._backward = _backward
        return out

    def softplus(self) -> Tensor:
        r""":math:`\ln(1 + e^{x})`, as ``np.logaddexp(0, x)``, which never overflows."""
        with np.errstate(all="ignore"):  # underflow to 0 for x < -745 is the right value
            out = Tensor._result(np.logaddexp(0.0, self.data), (self,), "softplus")

        def _backward():  # d(softplus)/dx = sigma(x) = (1 + tanh(x/2)) / 2
            self.grad += out.grad * (0.5 * (1.0 + np.tanh(0.5 * self.data)))

        out._backward = _backward
        return out

    def relu(self) -> Tensor:
        out = Tensor._result(np.maximum(self.data, 0.0), (self,), "relu")

        def _backward():  # d(relu)/dx = [x > 0] (0 at the kink, as the library)
            self.grad += out.grad * (self.data > 0)

        out._backward = _backward
        return out

    # -- shapes and indexing ---------------------------------------------------------------

    def reshape(self, *shape: int | tuple[int, ...]) -> Tensor:
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], tuple) else shape
        try:
            data = self.data.reshape(shape)
        except (ValueError, TypeError):
            raise ValueError(
                f"Tensor reshape: cannot reshape {self.shape} ({self.data.size} entries) "
                f"into {shape}."
            ) from None
        out = Tensor._result(data, (self,), "reshape")

        def _backward():  # the same entries, in the input's shape
            self.grad += out.grad.reshape(self.shape)

        out._backward = _backward
        return out

    def transpose(self, axes: tuple[int, ...] | None = None) -> Tensor:
        axes = tuple(range(self.ndim))[::-1] if axes is None else tuple(axes)
        if not all(isinstance(a, (int, np.integer)) for a in axes) or sorted(
            a % self.ndim if self.ndim else a for a in axes
        ) != list(range(self.ndim)):
            raise ValueError(f"Tensor transpose: axes {axes} do not permute shape {self.shape}.")
        out = Tensor._result(self.data.transpose(axes), (self,), "transpose")

        def _backward():  # the inverse permutation
            self.grad += out.grad.transpose(np.argsort(axes))

        out._backward = _backward
        return out

    @property
    def T(self) -> Tensor:
        return self.transpose()

    def __getitem__(self, index) -> Tensor:
        r"""``x[index]`` with numpy's indexing; backward: a scatter-add, so an entry
        picked twice (``x[[0, 0]]``) gets the sum of both gradients (rule 2)."""
        if isinstance(index, Tensor):
            raise TypeError("Tensor []: index with an int array or slices, not a Tensor.")
        try:
            data = self.data[index]
        except IndexError as error:
            raise IndexError(f"Tensor []: {error} (shape {self.shape}).") from None
        out = Tensor._result(np.array(data, dtype=np.float64), (self,), "getitem")

        def _backward():
            np.add.at(self.grad, index, out.grad)  # eq:ad-accumulate (unbuffered +=)

        out._backward = _backward
        return out

    # -- backward --------------------------------------------------------------------------

    def backward(self, grad: ArrayLike | None = None) -> None:
        r"""Fill ``.grad`` of every tensor this one depends on: :math:`\partial E/\partial x`
        for :math:`E` = this tensor (a scalar), or, with a seed ``grad`` of this tensor's
        shape, the vector-Jacobian product :math:`\text{grad} \cdot \partial y/\partial x`.

        Every ``.grad`` in the graph is reset to zero first, then the operations' products
        run in reverse topological order (:func:`topological_order`), each adding into its
        inputs' gradients (rule 2, eq:ad-accumulate).
        """
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    f"Tensor.backward: the tensor has shape {self.shape}; backward() without "
                    f"a seed needs a scalar (one entry). Pass grad= of shape {self.shape}."
                )
            grad = np.ones(self.shape)
        else:
            grad = _as_float64(grad, "Tensor.backward: grad")
            if grad.shape != self.shape:
                raise ValueError(
                    f"Tensor.backward: grad must have the tensor's shape {self.shape}; got "
                    f"shape {grad.shape}."
                )
        order = topological_order(self)
        before = [node.grad for node in order]  # restored if the pass overflows
        for node in order:
            node.grad = np.zeros(node.shape)
        self.grad = grad.copy()
        with np.errstate(all="ignore"):
            for node in reversed(order):  # every tensor after all its consumers
                node._backward()
        for node in order:
            if node.grad is None or not np.all(np.isfinite(node.grad)):
                for other, old in zip(order, before, strict=True):
                    other.grad = old
                raise FloatingPointError(
                    f"Tensor.backward: the gradient of a tensor of shape {node.shape} "
                    f"(op {node.op or 'leaf'!r}) overflowed; no gradient was changed."
                )


def concat(tensors, axis: int = 0) -> Tensor:
    """Join tensors along ``axis`` (``np.concatenate``); backward: each input gets its own
    slice of the output's gradient."""
    tensors = [Tensor.wrap(t) for t in tensors]
    if not tensors:
        raise ValueError("concat: needs at least one tensor; got none.")
    try:
        data = np.concatenate([t.data for t in tensors], axis=axis)
    except (ValueError, np.exceptions.AxisError):
        raise ValueError(
            f"concat: shapes {[t.shape for t in tensors]} cannot be joined along axis {axis}."
        ) from None
    out = Tensor._result(data, tuple(tensors), "concat")
    ends = np.cumsum([t.shape[axis] for t in tensors])

    def _backward():
        for t, piece in zip(tensors, np.split(out.grad, ends[:-1], axis=axis), strict=True):
            t.grad += piece

    out._backward = _backward
    return out


# -- a dense network's loss, as tensors -----------------------------------------------------


def _softmax(s: Tensor) -> Tensor:
    r""":math:`o_k = e^{s_k - m} / \sum_j e^{s_j - m}` per row, :math:`m = \max_j s_j`."""
    e = (s - s.max(axis=1, keepdims=True)).exp()
    return e / e.sum(axis=1, keepdims=True)


def _log_softmax(s: Tensor) -> Tensor:
    r""":math:`\ln o_k = (s_k - m) - \ln \sum_j e^{s_j - m}` per row."""
    shifted = s - s.max(axis=1, keepdims=True)
    return shifted - shifted.exp().sum(axis=1, keepdims=True).log()


ACTIVATIONS = {
    "sigmoid": Tensor.sigmoid,
    "tanh": Tensor.tanh,
    "relu": Tensor.relu,
    "linear": lambda s: s,
    "softplus": Tensor.softplus,
    "softmax": _softmax,
}


def _summed_loss(loss: str, activation: str, s: Tensor, o: Tensor, t: Tensor) -> Tensor:
    r"""The sum over samples and units of :math:`e(o, t)`, as the losses define it
    (``backprop_lib.losses``); softmax + cross-entropy through the log-softmax of ``s``."""
    if loss == "squared_error":
        return 0.5 * ((o - t) ** 2).sum()
    if loss == "sum_squared_error":
        return ((t - o) ** 2).sum()
    if loss == "cross_entropy":
        log_o = _log_softmax(s) if activation == "softmax" else o.log()
        return -(t * log_o).sum()
    if loss == "binary_cross_entropy":
        return -(t * o.log() + (1.0 - t) * (1.0 - o).log()).sum()
    raise ValueError(f"network_loss: the loss {loss!r} has no tensor form here.")


def dense_loss(X, T, params, activations, loss) -> Tensor:
    r"""The loss :math:`E` of a dense network on tensors: for each layer
    :math:`s^l = o^{l-1} W^l + b^l` (the bias broadcast over the rows, rule 1) and
    :math:`o^l = f^l(s^l)`, then :math:`E = \frac1B \sum_n \sum_k e(o^L_{nk}, t_{nk})`.

    ``X`` ``(B, n_0)`` and ``T`` ``(B, n_L)`` are arrays, ``params`` the tensors
    ``[(W^1, b^1), ...]``, ``activations`` one name per layer, ``loss`` a loss name. No
    checks here: :func:`network_loss` checks its data.
    """
    o, t = Tensor(X), Tensor(T)
    for (W, b), name in zip(params, activations, strict=True):
        s = o @ W + b  # eq:ff-preact
        o = ACTIVATIONS[name](s)
    return _summed_loss(loss, activations[-1], s, o, t) * (1.0 / len(X))


def network_loss(net, X, T) -> tuple[Tensor, list[tuple[Tensor, Tensor]]]:
    r"""The loss :math:`E` of ``net`` (a :class:`~backprop_lib.Network`) on ``X``
    ``(B, n_0)`` and ``T`` ``(B, n_L)``, built on tensors (:func:`dense_loss`), and the
    network's weights as new leaf tensors (copies).

    Returns ``(E, [(W^1, b^1), ...])``: after ``E.backward()``, ``W.grad`` and ``b.grad``
    are :math:`\partial E/\partial W^l` and :math:`\partial E/\partial b^l`. The
    cross-entropies are written on :math:`o` as their definitions read (softmax +
    cross-entropy on the log-softmax of :math:`s`), so an output rounded to 0 or 1 raises
    the ``log``'s ``ValueError`` where the library, which computes them from :math:`s`,
    stays finite.
    """
    where = "network_loss"
    names = [layer.activation.name for layer in net.layers]
    unknown = [name for name in names if name not in ACTIVATIONS]
    if unknown:
        raise ValueError(
            f"{where}: no tensor form for the activation(s) {unknown}; known: "
            f"{sorted(ACTIVATIONS)}."
        )
    X = as_batch(X, "X", where, net.layers[0].n_in, np.dtype(np.float64))
    T = as_batch(T, "T", where, net.layers[-1].n_out, np.dtype(np.float64))
    if len(T) != len(X):
        raise ValueError(
            f"{where}: T must have one row per row of X ({len(X)}); got {len(T)} rows."
        )
    net.loss_fn.check_targets(T, "T", where)
    params = [(Tensor(layer.W), Tensor(layer.b)) for layer in net.layers]
    return dense_loss(X, T, params, names, net.loss_fn.name), params
