r"""Convolution, max-pooling and flattening on images of shape ``(B, C, H, W)``.

Rows are still samples: the first axis is the batch, then the channels, then the height and
the width (the frameworks' "NCHW" layout).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._validate import as_generator, check_bool, check_dtype, check_positive_int, describe
from .base_layer import Layer, require_finite


def _check_nonnegative_int(value: int, name: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: {name} must be a non-negative integer; got {describe(value)}.")
    if value < 0:
        raise ValueError(f"{where}: {name} must be a non-negative integer (>= 0); got {value}.")
    return int(value)


def _check_images(shape: tuple[int, ...], channels: int | None, where: str, label: str) -> None:
    """``ValueError`` unless ``shape`` is ``(B, C, H, W)`` (with ``C == channels``)."""
    if len(shape) != 4:
        raise ValueError(
            f"{where}: {label} must have shape (batch, channels, height, width); got shape "
            f"{tuple(shape)}."
        )
    if channels is not None and shape[1] != channels:
        raise ValueError(
            f"{where}: {label} must have {channels} channels, shape (batch, {channels}, "
            f"height, width); got shape {tuple(shape)}."
        )


def im2col(x: np.ndarray, k: int, stride: int) -> np.ndarray:
    r"""The patches of ``x`` ``(B, C, H, W)`` (already padded) as columns, one
    matrix per image: shape ``(B, C k k, H_out W_out)``. Column
    :math:`i W_{out} + j` of image :math:`b` holds
    :math:`x_{b,c,\,i s + u,\,j s + v}` for :math:`c, u, v` in order, with
    :math:`H_{out} = \lfloor (H - k)/s \rfloor + 1` (same for the width).

    ``cols[b]`` is the transpose of image :math:`b`'s rows of the patch matrix
    of eq:ml-conv-matrix: with the patches as columns, the products of
    :class:`Conv2D` come out in the ``(B, O, H_out, W_out)`` order with no
    transpose. A strided view selects the patches without copying; the one
    copy is the reshape, which a matrix product needs.
    """
    B, C, H, W = x.shape
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride]  # (B, C, H_out, W_out, k, k)
    H_out, W_out = windows.shape[2:4]
    columns = windows.transpose(0, 1, 4, 5, 2, 3)  # (B, C, k, k, H_out, W_out)
    return columns.reshape(B, C * k * k, H_out * W_out)


def col2im(cols: np.ndarray, shape: tuple[int, ...], k: int, stride: int) -> np.ndarray:
    r"""The adjoint of :func:`im2col`: from ``cols`` ``(B, C k k, H_out
    W_out)``, an array of ``shape`` ``(B, C, H, W)`` (padded) in which every
    entry of every column is added back where :func:`im2col` took it from,

    .. math:: x_{b,c,m,n} = \sum_{u,v,i,j:\ is + u = m,\ js + v = n}
        \text{cols}_{b,(c,u,v),(i,j)} ,

    zero where no patch reached. One strided slice add per kernel offset
    :math:`(u, v)`: :math:`k^2` adds of ``(B, C, H_out, W_out)`` blocks.
    """
    B, C, H, W = shape
    H_out, W_out = (H - k) // stride + 1, (W - k) // stride + 1
    patches = cols.reshape(B, C, k, k, H_out, W_out)
    x = np.zeros(shape, cols.dtype)
    for u in range(k):  # (u, v) of patch (i, j) is pixel (is + u, js + v)
        for v in range(k):
            rows = slice(u, u + (H_out - 1) * stride + 1, stride)
            columns = slice(v, v + (W_out - 1) * stride + 1, stride)
            x[:, :, rows, columns] += patches[:, :, u, v]
    return x


class Conv2D(Layer):
    r"""A 2-D convolution layer, cross-correlation as the frameworks define it.

    .. math::

        y_{b,o,i,j} = b_o + \sum_{c=1}^{C} \sum_{u=0}^{k-1} \sum_{v=0}^{k-1}
            W_{o,c,u,v}\; \tilde x_{b,c,\,i s + u,\, j s + v}

    (eq:ml-conv), where :math:`\tilde x` is the input with ``padding`` :math:`p` zeros on every
    side and :math:`s` is the ``stride``. Input ``x`` ``(B, C, H, W)`` with ``C =
    in_channels``; output ``(B, O, H_out, W_out)`` with ``O = out_channels``,
    :math:`H_{out} = \lfloor (H + 2p - k)/s \rfloor + 1` and the same for the width.

    **Forward, as a matrix product** (eq:ml-conv-matrix): every patch of :math:`\tilde x`
    becomes a row of a matrix ``cols`` ``(B H_out W_out, C k k)``, every kernel a column of
    :math:`W_m` ``(C k k, O)``, and :math:`y = \text{cols}\, W_m + b`: the layer is a
    :class:`~backprop_lib.Dense` applied to every patch, sharing its weights. The layer
    stores ``cols`` per image with the patches as columns (:func:`im2col`, ``(B, C k k,
    H_out W_out)``) and computes the transposed product :math:`W_m^\top \text{cols}_b^\top`
    for every image :math:`b`, which lands in the ``(B, O, H_out, W_out)`` order directly.

    **Backward.** With :math:`g = \partial E/\partial y` ``(B, O, H_out, W_out)``:

    - :math:`\partial E/\partial W_{o,c,u,v} = \sum_{b,i,j} g_{b,o,i,j}\,
      \tilde x_{b,c,is+u,js+v}`, i.e. :math:`\partial E/\partial W_m =
      \text{cols}^\top g_m` (eq:ml-conv-dw), the Dense rule :math:`(o^{l-1})^\top \delta`
      with patches as rows;
    - :math:`\partial E/\partial b_o = \sum_{b,i,j} g_{b,o,i,j}` (eq:ml-conv-db);
    - :math:`\partial E/\partial \tilde x_{b,c,m,n} = \sum_{o,i,j} g_{b,o,i,j}\,
      W_{o,c,\,m - is,\, n - js}` (the terms with :math:`0 \le m - is < k`). For
      :math:`s = 1`, substituting :math:`u' = k - 1 - (m - i)`: with :math:`g` padded by
      :math:`k - 1` zeros on every side (:math:`\hat g`), and the kernel flipped in both
      spatial axes with its channel axes swapped, :math:`\hat W_{c,o,u',v'} =
      W_{o,c,k-1-u',k-1-v'}`,

      .. math::

          \frac{\partial E}{\partial \tilde x_{b,c,m,n}} = \sum_{o,u',v'}
              \hat g_{b,o,m+u',n+v'}\; \hat W_{c,o,u',v'}

      (eq:ml-conv-dx): a cross-correlation of the padded gradient with the flipped kernel,
      the same operation as the forward pass. (For :math:`s > 1`, :math:`g` is first
      dilated, :math:`s - 1` zeros between its entries.)

      The layer computes the same numbers from the first, index form, without building
      :math:`\hat g`: the gradient of every patch is the Dense rule :math:`g_m W_m^\top`
      (one matrix product), and :func:`col2im` adds each patch's gradient back where the
      patch was cut out, one strided slice per kernel offset; input rows and columns that
      no patch reached (when :math:`s` does not divide :math:`H + 2p - k`) get zero. The
      :math:`p` padded rows and columns are cut off at the end.

    **First layer.** ``backward(grad_y, below=False)`` stores ``dW`` and ``db`` but skips
    the input gradient and returns ``None``, as :meth:`Dense.backward
    <backprop_lib.Dense.backward>` does: :class:`~backprop_lib.Network` passes it for its
    first layer, whose input is the data.

    Parameters
    ----------
    in_channels, out_channels, kernel_size : positive int
    stride : positive int
    padding : non-negative int
    rng : Generator, int or None
        Draws ``W`` from :math:`N(0, 2 / (C k^2))` (He et al., 2015, for a ReLU after it).
    dtype : np.float64 or np.float32

    Attributes
    ----------
    W : ndarray ``(out_channels, in_channels, k, k)``; b : ndarray ``(out_channels,)`` (zeros)
    dW, db : their gradients, stored by :meth:`backward`.
    """

    W: np.ndarray  #: the kernels, (out_channels, in_channels, k, k)
    b: np.ndarray  #: the biases, (out_channels,)

    params = ("W", "b")
    stored = ("x_shape", "cols")

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        rng: int | np.random.Generator | None = None,
        *,
        dtype: DTypeLike = np.float64,
    ) -> None:
        where = "Conv2D"
        self.in_channels = check_positive_int(in_channels, "in_channels", where)
        self.out_channels = check_positive_int(out_channels, "out_channels", where)
        self.kernel_size = check_positive_int(kernel_size, "kernel_size", where)
        self.stride = check_positive_int(stride, "stride", where)
        self.padding = _check_nonnegative_int(padding, "padding", where)
        self.dtype = check_dtype(dtype, "dtype", where)
        rng = as_generator(rng, "rng", where)
        C, k = self.in_channels, self.kernel_size
        W = rng.normal(0.0, np.sqrt(2.0 / (C * k * k)), size=(self.out_channels, C, k, k))
        self._set_params(W=W.astype(self.dtype), b=np.zeros(self.out_channels, self.dtype))
        self.set_stored_values(None)

    def __repr__(self) -> str:
        return (
            f"Conv2D({self.in_channels}, {self.out_channels}, {self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding})"
        )

    def output_shape(self, shape: tuple[int, ...], where: str, label: str) -> tuple[int, ...]:
        _check_images(shape, self.in_channels, where, label)
        B, C, H, W = shape
        k, p, s = self.kernel_size, self.padding, self.stride
        if H + 2 * p < k or W + 2 * p < k:
            raise ValueError(
                f"{where}: {label} has height x width {H} x {W}, {H + 2 * p} x {W + 2 * p} "
                f"with padding {p}, smaller than the {k} x {k} kernel of {self!r}; the "
                f"padded input must be at least kernel_size in each direction."
            )
        return (B, self.out_channels, (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1)

    def _pad(self, x: np.ndarray) -> np.ndarray:
        p = self.padding
        return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))) if p else x

    # -- forward and backward, side by side ------------------------------------------------

    def _compute(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cols = im2col(self._pad(x), self.kernel_size, self.stride)  # (B, C k k, Ho Wo)
        W_m = self.W.reshape(self.out_channels, -1).T  # kernels as columns, (C k k, O)
        y = W_m.T @ cols  # eq:ml-conv-matrix, transposed per image: (B, O, Ho Wo)
        y += self.b[:, None]
        return y.reshape(self.output_shape(x.shape, "Conv2D", "x")), cols

    def forward(self, x: ArrayLike) -> np.ndarray:
        r""":math:`y` ``(B, O, H_out, W_out)`` of ``x`` ``(B, C, H, W)`` (eq:ml-conv); stores
        the patches ``cols`` for :meth:`backward`."""
        x = self.check_input(x, "Conv2D.forward")
        self.check_parameters("Conv2D.forward", "self")
        return self._store(x, *self._computed(x, "Conv2D.forward"))

    def propagate(self, x: np.ndarray) -> np.ndarray:
        """:meth:`forward` on a checked ``x`` (what :class:`~backprop_lib.Network` passes):
        no checks, no warnings silenced (an overflow is the caller's to report)."""
        return self._store(x, *self._compute(x))

    def _store(self, x: np.ndarray, y: np.ndarray, cols: np.ndarray) -> np.ndarray:
        self.cols, self.x_shape, self._y_shape = cols, x.shape, y.shape
        return y

    def backward(self, grad_y: ArrayLike, below: bool = True) -> np.ndarray | None:
        r""":math:`\partial E/\partial x` ``(B, C, H, W)`` from ``grad_y`` ``(B, O, H_out,
        W_out)``; stores ``dW`` (eq:ml-conv-dw) and ``db`` (eq:ml-conv-db). The input
        gradient (eq:ml-conv-dx) is each patch's gradient added back where the patch came
        from (:func:`col2im`). With ``below=False`` (a network's first layer, whose input is
        the data) it is not computed, and ``None`` is returned."""
        below = check_bool(below, "below", "Conv2D.backward")
        g = self._check_grad(grad_y, "Conv2D.backward")
        with np.errstate(all="ignore"):
            grad_x = self.backpropagate(g, below)
        for value, what in ((self.dW, "dW"), (self.db, "db"), (grad_x, "the input gradient")):
            require_finite(value, what, "Conv2D.backward")
        return grad_x

    def backpropagate(self, g: np.ndarray, below: bool = True) -> np.ndarray | None:
        """:meth:`backward` on a checked ``g`` (what :class:`~backprop_lib.Network` passes),
        no checks. ``cols`` holds each image's patches as columns (the transpose of the
        book's rows), so the book's :math:`\text{cols}^\top g_m` is ``cols @ g_m^T``
        summed over the images."""
        k, s, p = self.kernel_size, self.stride, self.padding
        g_m = g.reshape(g.shape[0], self.out_channels, -1)  # (B, O, Ho Wo)
        W_m = self.W.reshape(self.out_channels, -1).T  # (C k k, O)
        dW_m = (self.cols @ g_m.transpose(0, 2, 1)).sum(axis=0)  # eq:ml-conv-dw
        self.dW = dW_m.T.reshape(self.W.shape)
        self.db = g_m.sum(axis=(0, 2))  # eq:ml-conv-db
        if not below:  # a network's first layer: its input is the data
            return None
        grad_cols = W_m @ g_m  # every patch's gradient, (g_m W_m^T)^T per image
        B, C, H, W = self.x_shape
        padded = (B, C, H + 2 * p, W + 2 * p)
        grad_padded = col2im(grad_cols, padded, k, s)  # eq:ml-conv-dx
        return grad_padded[:, :, p : p + H, p : p + W]


class MaxPool2D(Layer):
    r"""Max-pooling over non-overlapping ``size`` × ``size`` windows (stride = size).

    .. math:: y_{b,c,i,j} = \max_{0 \le u, v < q} x_{b,c,\,iq+u,\,jq+v}

    (eq:ml-maxpool), :math:`q` = ``size``; input ``(B, C, H, W)`` with :math:`q` dividing
    :math:`H` and :math:`W`; output ``(B, C, H/q, W/q)``.

    **Backward** (eq:ml-maxpool-back): :math:`\partial y_{b,c,i,j}/\partial x_{b,c,m,n}` is 1
    for the one entry of the window that is its maximum and 0 for the others, so the
    gradient of each output goes to where the maximum was, and the other inputs get 0:
    :math:`\partial E/\partial x_{b,c,iq+u,jq+v} = g_{b,c,i,j}\,[\,(u, v) = (u^*, v^*)\,]`.

    **Ties.** Where several entries of a window share the maximum, the max is not
    differentiable; the layer routes the whole gradient to the first of them in row-major
    order (the first in ``np.argmax`` over the flattened window). This is one subgradient;
    the total gradient of the window is conserved.
    """

    stored = ("x_shape", "argmax")

    def __init__(self, size: int) -> None:
        self.size = check_positive_int(size, "size", "MaxPool2D")
        self._set_params()
        self.set_stored_values(None)

    def __repr__(self) -> str:
        return f"MaxPool2D({self.size})"

    def output_shape(self, shape: tuple[int, ...], where: str, label: str) -> tuple[int, ...]:
        _check_images(shape, None, where, label)
        B, C, H, W = shape
        q = self.size
        if H % q or W % q:
            raise ValueError(
                f"{where}: {label} has height x width {H} x {W}, which the pooling size {q} "
                f"of {self!r} does not divide; each must be a multiple of {q}."
            )
        return (B, C, H // q, W // q)

    def _windows(self, x: np.ndarray) -> np.ndarray:
        """The windows of ``x`` as ``(B, C, H/q, W/q, q*q)`` (a copy)."""
        B, C, H, W = x.shape
        q = self.size
        return (
            x.reshape(B, C, H // q, q, W // q, q)
            .transpose(0, 1, 2, 4, 3, 5)
            .reshape(B, C, H // q, W // q, q * q)
        )

    def _compute(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        windows = self._windows(x)
        argmax = windows.argmax(axis=-1)  # the first maximum of each window
        y = np.take_along_axis(windows, argmax[..., None], axis=-1)[..., 0]  # eq:ml-maxpool
        return y, argmax

    def forward(self, x: ArrayLike) -> np.ndarray:
        r""":math:`y` ``(B, C, H/q, W/q)`` (eq:ml-maxpool); stores where each maximum was."""
        return self.propagate(self.check_input(x, "MaxPool2D.forward", dtype=_float_dtype(x)))

    def propagate(self, x: np.ndarray) -> np.ndarray:
        """:meth:`forward` on a checked ``x``, no checks."""
        y, self.argmax = self._compute(x)
        self.x_shape, self._y_shape = x.shape, y.shape
        return y

    def backward(self, grad_y: ArrayLike) -> np.ndarray | None:
        r""":math:`\partial E/\partial x` ``(B, C, H, W)``: each entry of ``grad_y`` placed
        where its window's maximum was, 0 elsewhere (eq:ml-maxpool-back)."""
        return self.backpropagate(self._check_grad(grad_y, "MaxPool2D.backward"))

    def backpropagate(self, g: np.ndarray, below: bool = True) -> np.ndarray | None:
        """:meth:`backward` on a checked ``g``, no checks; ``None`` with ``below=False``."""
        if not below:
            return None
        B, C, H, W = self.x_shape
        q = self.size
        windows = np.zeros((B, C, H // q, W // q, q * q), g.dtype)
        np.put_along_axis(windows, self.argmax[..., None], g[..., None], axis=-1)
        return (
            windows.reshape(B, C, H // q, W // q, q, q)  # eq:ml-maxpool-back
            .transpose(0, 1, 2, 4, 3, 5)
            .reshape(B, C, H, W)
        )


def _float_dtype(x: object) -> np.dtype:
    """The dtype a parameterless layer computes in: the input's if float32 or float64,
    else float64."""
    dtype = getattr(x, "dtype", None)
    if dtype is not None and dtype in (np.float32, np.float64):
        return np.dtype(dtype)
    return np.dtype(np.float64)


class Flatten(Layer):
    r"""``(B, d_1, ..., d_m)`` → ``(B, d_1 \cdots d_m)``: every sample as one row (row-major
    order), so that a :class:`~backprop_lib.Dense` can follow a convolution.

    Backward: the gradient reshaped back, :math:`\partial E/\partial x =
    \operatorname{reshape}(g, \text{shape of } x)`; nothing is computed.
    """

    stored = ("x_shape",)

    def __init__(self) -> None:
        self._set_params()
        self.set_stored_values(None)

    def __repr__(self) -> str:
        return "Flatten()"

    def output_shape(self, shape: tuple[int, ...], where: str, label: str) -> tuple[int, ...]:
        if len(shape) < 2:
            raise ValueError(f"{where}: {label} needs a batch axis; got shape {tuple(shape)}.")
        return (shape[0], int(np.prod(shape[1:])))

    def _compute(self, x: np.ndarray) -> tuple[np.ndarray, None]:
        return x.reshape(x.shape[0], -1), None

    def forward(self, x: ArrayLike) -> np.ndarray:
        """``x`` ``(B, ...)`` as ``(B, n)``."""
        return self.propagate(self.check_input(x, "Flatten.forward", dtype=_float_dtype(x)))

    def propagate(self, x: np.ndarray) -> np.ndarray:
        """:meth:`forward` on a checked ``x``, no checks."""
        y = self._compute(x)[0]
        self.x_shape, self._y_shape = x.shape, y.shape
        return y

    def backward(self, grad_y: ArrayLike) -> np.ndarray | None:
        """``grad_y`` ``(B, n)`` reshaped to the input's shape."""
        return self.backpropagate(self._check_grad(grad_y, "Flatten.backward"))

    def backpropagate(self, g: np.ndarray, below: bool = True) -> np.ndarray | None:
        """:meth:`backward` on a checked ``g``, no checks; ``None`` with ``below=False``."""
        return g.reshape(self.x_shape) if below else None
