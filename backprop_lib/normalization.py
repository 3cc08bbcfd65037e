r"""Batch normalization and layer normalization.

Both standardize, then scale and shift: :math:`\hat x = (x - \mu)/\sigma`,
:math:`y = \gamma \odot \hat x + \beta`, with :math:`\sigma = \sqrt{v + \epsilon}` and the
*biased* variance :math:`v` (divided by the count, not the count minus one). Batch
normalization takes :math:`\mu, v` over the batch (each feature separately), layer
normalization over the features (each sample separately).
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._validate import check_bool, check_dtype, check_positive_float, check_positive_int, describe
from .base_layer import Layer, require_finite


def _check_momentum(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: momentum must be a number in [0, 1]; got {describe(value)}.")
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{where}: momentum must be a number in [0, 1]; got {value}.")
    return float(value)


def _normalize_backward(
    g_hat: np.ndarray, x_hat: np.ndarray, sigma: np.ndarray, axis: int
) -> np.ndarray:
    r"""The three-term backward of :math:`\hat x = (x - \mu)/\sigma` over ``axis`` with
    :math:`m` entries: :math:`\partial E/\partial x = \frac{1}{m\sigma}\bigl(m\, \hat g -
    \sum \hat g - \hat x \sum \hat g \odot \hat x\bigr)`, :math:`\hat g = \partial E/
    \partial \hat x` (eq:ml-bn-backward)."""
    m = x_hat.shape[axis]
    return (
        m * g_hat
        - g_hat.sum(axis=axis, keepdims=True)
        - x_hat * (g_hat * x_hat).sum(axis=axis, keepdims=True)
    ) / (m * sigma)  # eq:ml-bn-backward


class BatchNorm(Layer):
    r"""Batch normalization of ``(B, n)`` inputs, each feature over the batch.

    **Training mode** (``training`` True, as built):

    .. math::

        \mu_j &= \frac1B \sum_b x_{bj}, \quad v_j = \frac1B \sum_b (x_{bj} - \mu_j)^2, \\
        \hat x_{bj} &= \frac{x_{bj} - \mu_j}{\sqrt{v_j + \epsilon}}, \quad
        y_{bj} = \gamma_j \hat x_{bj} + \beta_j

    (eq:ml-bn), the biased variance :math:`v`. The running statistics are updated as torch
    does, with the *unbiased* variance: ``running_mean = (1 - m) running_mean + m mu``,
    ``running_var = (1 - m) running_var + m v B/(B - 1)``, :math:`m` = ``momentum``.

    **Backward in training mode.** :math:`\mu` and :math:`v` depend on every row, so each
    :math:`x_{bj}` reaches :math:`E` three ways: directly, through :math:`\mu_j` and through
    :math:`v_j`. With :math:`g = \partial E/\partial y` and :math:`\sigma_j = \sqrt{v_j +
    \epsilon}`:

    .. math::

        \frac{\partial E}{\partial x_{bj}} = \frac{\gamma_j}{B\sigma_j}\Bigl(B\,g_{bj}
            - \sum_{b'} g_{b'j} - \hat x_{bj} \sum_{b'} g_{b'j}\, \hat x_{b'j}\Bigr)

    (eq:ml-bn-backward), :math:`\partial E/\partial\gamma_j = \sum_b g_{bj} \hat x_{bj}`,
    :math:`\partial E/\partial\beta_j = \sum_b g_{bj}` (eq:ml-bn-params).

    **Evaluation mode** (``training`` False): :math:`\mu, v` are the running statistics,
    constants, so :math:`y` is an affine function of :math:`x` and
    :math:`\partial E/\partial x = g\, \gamma/\sqrt{v_{run} + \epsilon}`.

    A batch of one row is refused in training mode (its variance is 0 and its output
    :math:`\beta`, whatever the input). In :meth:`Network.fit <backprop_lib.Network.fit>`,
    choose ``batch_size`` so that the last batch of an epoch does not have one row
    (``len(X) % batch_size != 1``): that batch would be refused in the middle of the
    epoch, after the steps of the batches before it.

    Attributes
    ----------
    gamma, beta : ndarray ``(n,)`` (ones, zeros); dgamma, dbeta : their gradients
    running_mean, running_var : ndarray ``(n,)`` (zeros, ones)
    training : bool
    """

    gamma: np.ndarray  #: the scales, (n,)
    beta: np.ndarray  #: the shifts, (n,)

    params = ("gamma", "beta")
    stored = ("x_hat", "sigma", "mode")
    buffers = ("running_mean", "running_var")

    def __init__(
        self,
        n_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        *,
        dtype: DTypeLike = np.float64,
    ) -> None:
        where = "BatchNorm"
        self.n_features = check_positive_int(n_features, "n_features", where)
        self.eps = check_positive_float(eps, "eps", where)
        self.momentum = _check_momentum(momentum, where)
        self.dtype = check_dtype(dtype, "dtype", where)
        n = self.n_features
        self._set_params(gamma=np.ones(n, self.dtype), beta=np.zeros(n, self.dtype))
        self.running_mean = np.zeros(n, self.dtype)
        self.running_var = np.ones(n, self.dtype)
        self.training = True
        self.set_stored_values(None)

    def __repr__(self) -> str:
        return f"BatchNorm({self.n_features}, eps={self.eps}, momentum={self.momentum})"

    def output_shape(self, shape: tuple[int, ...], where: str, label: str) -> tuple[int, ...]:
        n = self.n_features
        if len(shape) != 2 or shape[1] != n:
            raise ValueError(
                f"{where}: {label} must have shape (batch, {n}) for {self!r}; got shape "
                f"{tuple(shape)}."
            )
        training = check_bool(self.training, "training", where)
        if training and shape[0] < 2:
            raise ValueError(
                f"{where}: {label} is a batch of {shape[0]} row in training mode; batch "
                f"normalization needs at least 2 rows (one row has variance 0). Set "
                f"training = False to use the running statistics."
            )
        return tuple(shape)

    def _compute(self, x: np.ndarray) -> tuple[np.ndarray, tuple]:
        if self.training:
            mu = x.mean(axis=0)  # eq:ml-bn
            v = ((x - mu) ** 2).mean(axis=0)  # eq:ml-bn, biased
        else:
            mu, v = self.running_mean, self.running_var
        sigma = np.sqrt(v + self.eps)
        x_hat = (x - mu) / sigma  # eq:ml-bn
        return self.gamma * x_hat + self.beta, (x_hat, sigma, mu, v)  # eq:ml-bn

    def forward(self, x: ArrayLike) -> np.ndarray:
        r""":math:`y` ``(B, n)`` (eq:ml-bn); in training mode also updates the running
        statistics. Stores :math:`\hat x`, :math:`\sigma` and the mode."""
        x = self.check_input(x, "BatchNorm.forward")
        self.check_parameters("BatchNorm.forward", "self")
        y, cache = self._computed(x, "BatchNorm.forward")
        require_finite(cache[1], "the standard deviation sigma", "BatchNorm.forward")
        return self._store(x, y, cache)

    def propagate(self, x: np.ndarray) -> np.ndarray:
        """:meth:`forward` on a checked ``x``, no checks (an overflow is the caller's to
        report)."""
        return self._store(x, *self._compute(x))

    def _store(self, x: np.ndarray, y: np.ndarray, cache: tuple) -> np.ndarray:
        self.x_hat, self.sigma, mu, v = cache
        self.mode, self._y_shape = bool(self.training), y.shape
        if self.training:
            m, B = self.momentum, x.shape[0]
            self.running_mean = (1 - m) * self.running_mean + m * mu
            self.running_var = (1 - m) * self.running_var + m * v * (B / (B - 1))
        return y

    def backward(self, grad_y: ArrayLike) -> np.ndarray | None:
        r""":math:`\partial E/\partial x` ``(B, n)`` (:meth:`backpropagate`); a NaN or inf
        gradient is refused (``FloatingPointError``)."""
        g = self._check_grad(grad_y, "BatchNorm.backward")
        with np.errstate(all="ignore"):
            grad_x = self.backpropagate(g)
        require_finite(grad_x, "the input gradient", "BatchNorm.backward")
        return grad_x

    def backpropagate(self, g: np.ndarray, below: bool = True) -> np.ndarray | None:
        r""":math:`\partial E/\partial x` ``(B, n)`` of a checked ``g``, no checks:
        eq:ml-bn-backward in training mode, :math:`g \gamma / \sigma` in evaluation mode;
        stores ``dgamma``, ``dbeta``. ``None`` with ``below=False``."""
        self.dgamma = (g * self.x_hat).sum(axis=0)  # eq:ml-bn-params
        self.dbeta = g.sum(axis=0)  # eq:ml-bn-params
        if not below:
            return None
        g_hat = g * self.gamma
        if self.mode:
            return _normalize_backward(g_hat, self.x_hat, self.sigma, axis=0)
        return g_hat / self.sigma


class LayerNorm(Layer):
    r"""Layer normalization over the last axis (``n_features`` entries), each sample (and
    position) separately:

    .. math::

        \mu_b = \frac1n \sum_j x_{bj}, \quad v_b = \frac1n \sum_j (x_{bj} - \mu_b)^2, \quad
        y_{bj} = \gamma_j \frac{x_{bj} - \mu_b}{\sqrt{v_b + \epsilon}} + \beta_j

    (eq:ml-ln). The same in training and evaluation. Backward: batch normalization's three
    terms with the roles of the axes exchanged, the sums over the features,

    .. math::

        \frac{\partial E}{\partial x_{bj}} = \frac{1}{n\sigma_b}\Bigl(n\,\hat g_{bj}
            - \sum_{j'} \hat g_{bj'} - \hat x_{bj} \sum_{j'} \hat g_{bj'}\, \hat x_{bj'}\Bigr),
        \qquad \hat g = g \odot \gamma

    (eq:ml-ln-backward); :math:`\partial E/\partial\gamma_j = \sum_b g_{bj}\hat x_{bj}`,
    :math:`\partial E/\partial\beta_j = \sum_b g_{bj}` (sums over every axis but the last).
    Input ``(B, ..., n)``, output of the same shape.
    """

    gamma: np.ndarray  #: the scales, (n,)
    beta: np.ndarray  #: the shifts, (n,)

    params = ("gamma", "beta")
    stored = ("x_hat", "sigma")

    def __init__(
        self, n_features: int, eps: float = 1e-5, *, dtype: DTypeLike = np.float64
    ) -> None:
        where = "LayerNorm"
        self.n_features = check_positive_int(n_features, "n_features", where)
        self.eps = check_positive_float(eps, "eps", where)
        self.dtype = check_dtype(dtype, "dtype", where)
        n = self.n_features
        self._set_params(gamma=np.ones(n, self.dtype), beta=np.zeros(n, self.dtype))
        self.set_stored_values(None)

    def __repr__(self) -> str:
        return f"LayerNorm({self.n_features}, eps={self.eps})"

    def output_shape(self, shape: tuple[int, ...], where: str, label: str) -> tuple[int, ...]:
        if len(shape) < 2 or shape[-1] != self.n_features:
            raise ValueError(
                f"{where}: {label} must have shape (batch, ..., {self.n_features}) for "
                f"{self!r}; got shape {tuple(shape)}."
            )
        return tuple(shape)

    def _compute(self, x: np.ndarray) -> tuple[np.ndarray, tuple]:
        mu = x.mean(axis=-1, keepdims=True)  # eq:ml-ln
        v = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
        sigma = np.sqrt(v + self.eps)
        x_hat = (x - mu) / sigma
        return self.gamma * x_hat + self.beta, (x_hat, sigma)  # eq:ml-ln

    def forward(self, x: ArrayLike) -> np.ndarray:
        r""":math:`y` (eq:ml-ln), the shape of ``x``; stores :math:`\hat x` and
        :math:`\sigma`."""
        x = self.check_input(x, "LayerNorm.forward")
        self.check_parameters("LayerNorm.forward", "self")
        y, cache = self._computed(x, "LayerNorm.forward")
        require_finite(cache[1], "the standard deviation sigma", "LayerNorm.forward")
        return self._store(y, cache)

    def propagate(self, x: np.ndarray) -> np.ndarray:
        """:meth:`forward` on a checked ``x``, no checks."""
        return self._store(*self._compute(x))

    def _store(self, y: np.ndarray, cache: tuple) -> np.ndarray:
        self.x_hat, self.sigma = cache
        self._y_shape = y.shape
        return y

    def backward(self, grad_y: ArrayLike) -> np.ndarray | None:
        r""":math:`\partial E/\partial x` (:meth:`backpropagate`); a NaN or inf gradient is
        refused (``FloatingPointError``)."""
        g = self._check_grad(grad_y, "LayerNorm.backward")
        with np.errstate(all="ignore"):
            grad_x = self.backpropagate(g)
        require_finite(grad_x, "the input gradient", "LayerNorm.backward")
        return grad_x

    def backpropagate(self, g: np.ndarray, below: bool = True) -> np.ndarray | None:
        r""":math:`\partial E/\partial x` (eq:ml-ln-backward) of a checked ``g``, no checks;
        stores ``dgamma``, ``dbeta``. ``None`` with ``below=False``."""
        axes = tuple(range(g.ndim - 1))
        self.dgamma = (g * self.x_hat).sum(axis=axes)
        self.dbeta = g.sum(axis=axes)
        if not below:
            return None
        return _normalize_backward(g * self.gamma, self.x_hat, self.sigma, axis=-1)
