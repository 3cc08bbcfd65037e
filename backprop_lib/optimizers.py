r"""Update rules beyond plain gradient descent: momentum, Nesterov, RMSProp, Adam.

Each optimizer turns the gradient :math:`g = \partial E/\partial \theta` of every parameter
array :math:`\theta` (``W^1, b^1, W^2, b^2, ...``, in layer order) into an update, exactly as
``torch.optim`` defines it (no weight decay, no dampening, RMSProp not centred, Adam without
AMSGrad, eps outside the square root):

- :class:`SGD`: :math:`v \leftarrow \mu v + g`, :math:`\theta \leftarrow \theta - \eta v`
  (Nesterov: :math:`\theta \leftarrow \theta - \eta (g + \mu v)`); with :math:`\mu = 0`
  plain gradient descent.
- :class:`RMSProp`: :math:`r \leftarrow \alpha r + (1 - \alpha) g^2`,
  :math:`\theta \leftarrow \theta - \eta\, g / (\sqrt r + \epsilon)`.
- :class:`Adam`: :math:`m \leftarrow \beta_1 m + (1 - \beta_1) g`,
  :math:`v \leftarrow \beta_2 v + (1 - \beta_2) g^2`,
  :math:`\theta \leftarrow \theta - \eta\, \hat m / (\sqrt{\hat v} + \epsilon)` with
  :math:`\hat m = m / (1 - \beta_1^t)`, :math:`\hat v = v / (1 - \beta_2^t)`.

Squares, roots and quotients are elementwise; every state array starts at zero and has the
shape and dtype of its parameter.

**Binding.** An optimizer holds the state of one network's parameters. The first
``net.fit(..., optimizer=opt)`` binds ``opt`` to ``net`` (``opt.network is net``) and sets
``net.optimizer = opt``; from then on ``opt`` refuses every other network, and its state
(``opt.state``, ``opt.t``) carries over from one ``fit`` call to the next, so two calls of
``k`` epochs take the same steps as one call of ``2 k`` epochs (with the same shuffling).
Because the network refers to its optimizer, ``copy.deepcopy(net)`` (and ``net.copy()``)
copies the optimizer with its state, bound to the copy: the copy trains on exactly as the
original would, independently of it.

**Learning rate.** ``opt.lr`` may be changed between steps (a schedule: set it in a
``fit`` callback or between ``fit`` calls); an assignment is checked like the constructor's
argument, and a refused one changes nothing.

**Clipping.** :func:`clip_by_global_norm` rescales all gradients together when their global
norm exceeds ``clip_norm`` (``fit(..., clip_norm=c)``), before the optimizer sees them.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np

from ._validate import check_bool, check_positive_float, describe
from .base_layer import parameter_slots

if TYPE_CHECKING:  # network.py imports training, which imports this module
    from .network import Network

__all__ = ["SGD", "RMSProp", "Adam", "Optimizer", "clip_by_global_norm"]


def _check_unit_interval(value, name: str, where: str) -> float:
    """``value`` as a Python float if it is a real number in ``[0, 1)``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: {name} must be a number in [0, 1); got {describe(value)}.")
    value = float(value)
    if not 0.0 <= value < 1.0:  # NaN fails both comparisons
        raise ValueError(f"{where}: {name} must be a number in [0, 1); got {value}.")
    return value


def clip_by_global_norm(grads: list[np.ndarray], clip_norm: float) -> list[np.ndarray]:
    r"""The gradients rescaled together so that their global norm is at most ``clip_norm``:

    .. math:: g \leftarrow g \cdot \min\left(1, \frac{c}{\lVert g \rVert}\right), \qquad
        \lVert g \rVert = \sqrt{\textstyle\sum_{\text{arrays}} \sum_{\text{entries}} g^2}
        \qquad \text{(eq:op-clip)}

    ``grads`` is a list of arrays (every parameter's gradient); the result is a new list
    (the arrays themselves when no clipping is needed). The direction of the whole gradient
    is kept; only its length is capped. (``torch.nn.utils.clip_grad_norm_`` divides by
    :math:`\lVert g \rVert + 10^{-6}`; here the norm is exact.)
    """
    norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads)))
    if norm <= clip_norm:  # also leaves a zero gradient alone
        return list(grads)
    scale = clip_norm / norm  # eq:op-clip
    return [g * scale for g in grads]


def _parameters(net: Network) -> list[np.ndarray]:
    """Every parameter array of ``net``, in order: ``W``, ``b`` of each Dense, and each other
    layer's (``gamma``, ``beta`` of a BatchNorm, ...)."""
    return [getattr(owner, name) for layer in net.layers for owner, name in parameter_slots(layer)]


class Optimizer:
    r"""The base of the update rules: the learning rate :math:`\eta`, the step count
    :math:`t`, the state of every parameter array and the network it is bound to.

    Attributes
    ----------
    lr : float
        :math:`\eta`, a positive finite number; may be reassigned between steps.
    t : int
        Steps taken so far (Adam's :math:`t` of the next step is ``t + 1``).
    state : list of dict
        One dict per parameter array, in the order ``W^1, b^1, W^2, b^2, ...``, mapping a
        name of :attr:`STATE` to an array of the parameter's shape; empty before the first
        step.
    network : Network or None
        The network the optimizer is bound to (see the module's docstring).
    """

    #: The names of the per-parameter state arrays, in the order the book writes them.
    STATE: tuple[str, ...] = ()

    def __init__(self, lr: float) -> None:
        self._lr = check_positive_float(lr, "lr", type(self).__name__)
        self.t = 0
        self.state: list[dict[str, np.ndarray]] = []
        self.network: Network | None = None

    @property
    def lr(self) -> float:
        r""":math:`\eta`; an assignment is checked (a positive finite number)."""
        return self._lr

    @lr.setter
    def lr(self, value) -> None:
        self._lr = check_positive_float(value, "lr", f"{type(self).__name__}.lr")

    def check_network(self, net: Network, where: str) -> None:
        """Refuse ``net`` unless this optimizer is unbound or bound to ``net`` and its state
        fits ``net``'s parameters; changes nothing."""
        name = type(self).__name__
        if self.network is not None and self.network is not net:
            raise ValueError(
                f"{where}: optimizer is a {name} already bound to another network (its "
                f"state belongs to that network's parameters); create a new {name} for "
                f"this network."
            )
        if self.state and self.STATE:
            shapes = [P.shape for P in _parameters(net)]
            held = [s[self.STATE[0]].shape for s in self.state]
            if held != shapes:
                raise ValueError(
                    f"{where}: the {name}'s state has shapes {held}, but the network's "
                    f"parameters have shapes {shapes}."
                )

    def bind(self, net: Network) -> None:
        """Bind to ``net`` (after :meth:`check_network`): ``self.network = net`` and
        ``net.optimizer = self``."""
        self.network = net
        net.optimizer = self

    def updates(
        self, params: list[np.ndarray], grads: list[np.ndarray]
    ) -> tuple[list[dict[str, np.ndarray]], list[np.ndarray]]:
        r"""``(new_state, steps)`` for one step: the state after it and, for every parameter
        array, the amount to subtract from it. Computed, not applied: nothing changes."""
        t = self.t + 1
        state = self.state or [{key: np.zeros_like(P) for key in self.STATE} for P in params]
        new_state, steps = [], []
        for s, g in zip(state, grads, strict=True):
            new, step = self._rule(s, g, t)
            new_state.append(new)
            steps.append(step)
        return new_state, steps

    def commit(self, new_state: list[dict[str, np.ndarray]]) -> None:
        """Keep the state of :meth:`updates` and count the step."""
        self.state = new_state
        self.t += 1

    def _rule(self, s: dict, g: np.ndarray, t: int) -> tuple[dict, np.ndarray]:
        raise NotImplementedError

    def snapshot(self) -> tuple:
        """``(t, state, lr)`` to :meth:`restore` later (the arrays are never changed in
        place, so the references suffice)."""
        return self.t, list(self.state), self._lr

    def restore(self, snapshot: tuple) -> None:
        """Go back to a :meth:`snapshot`."""
        self.t, self.state, self._lr = snapshot[0], list(snapshot[1]), snapshot[2]

    def _settings(self) -> str:
        return f"lr={self.lr}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._settings()})"


class SGD(Optimizer):
    r"""Gradient descent with (optionally Nesterov) momentum, as ``torch.optim.SGD``.

    .. math::

        v &\leftarrow \mu v + g &\qquad \text{(eq:op-momentum)}\\
        \theta &\leftarrow \theta - \eta\, v
            \quad\text{or, Nesterov,}\quad
            \theta \leftarrow \theta - \eta\, (g + \mu v) &\qquad \text{(eq:op-nesterov)}

    with :math:`v` (``state[i]["velocity"]``) starting at 0, so the first step is
    :math:`\eta g`. With ``momentum=0`` (the default) this is plain gradient descent,
    :math:`\theta \leftarrow \theta - \eta g` (eq:td-update), and keeps no state.

    Parameters
    ----------
    lr : positive float
    momentum : float in [0, 1)
        :math:`\mu`.
    nesterov : bool
        Nesterov's momentum (needs ``momentum > 0``).
    """

    STATE: tuple[str, ...] = ("velocity",)

    def __init__(self, lr: float, momentum: float = 0.0, nesterov: bool = False) -> None:
        where = "SGD"
        momentum = _check_unit_interval(momentum, "momentum", where)
        nesterov = check_bool(nesterov, "nesterov", where)
        if nesterov and momentum == 0.0:
            raise ValueError(
                f"{where}: nesterov=True needs a momentum > 0; got momentum = {momentum}."
            )
        super().__init__(lr)
        self.momentum, self.nesterov = momentum, nesterov
        if momentum == 0.0:
            self.STATE = ()

    def _rule(self, s, g, t):
        mu, lr = self.momentum, self.lr
        if mu == 0.0:
            return s, lr * g  # eq:td-update
        v = mu * s["velocity"] + g  # eq:op-momentum
        step = lr * (g + mu * v) if self.nesterov else lr * v  # eq:op-nesterov
        return {"velocity": v}, step

    def _settings(self) -> str:
        nesterov = ", nesterov=True" if self.nesterov else ""
        return f"lr={self.lr}, momentum={self.momentum}{nesterov}"


class RMSProp(Optimizer):
    r"""RMSProp, as ``torch.optim.RMSprop`` (not centred, no momentum).

    .. math::

        r &\leftarrow \alpha r + (1 - \alpha)\, g^2 &\qquad \text{(eq:op-rmsprop-r)}\\
        \theta &\leftarrow \theta - \eta\, \frac{g}{\sqrt{r} + \epsilon}
            &\qquad \text{(eq:op-rmsprop-step)}

    with :math:`r` (``state[i]["square_avg"]``) starting at 0.

    Parameters
    ----------
    lr : positive float
    alpha : float in [0, 1)
        :math:`\alpha`, the decay of the running mean of :math:`g^2`.
    eps : positive float
        :math:`\epsilon`, added to :math:`\sqrt r` (outside the root).
    """

    STATE = ("square_avg",)

    def __init__(self, lr: float, alpha: float = 0.99, eps: float = 1e-8) -> None:
        where = "RMSProp"
        alpha = _check_unit_interval(alpha, "alpha", where)
        eps = check_positive_float(eps, "eps", where)
        super().__init__(lr)
        self.alpha, self.eps = alpha, eps

    def _rule(self, s, g, t):
        alpha = self.alpha
        r = alpha * s["square_avg"] + (1 - alpha) * (g * g)  # eq:op-rmsprop-r
        step = self.lr * g / (np.sqrt(r) + self.eps)  # eq:op-rmsprop-step
        return {"square_avg": r}, step

    def _settings(self) -> str:
        return f"lr={self.lr}, alpha={self.alpha}, eps={self.eps}"


class Adam(Optimizer):
    r"""Adam (Kingma & Ba 2015), as ``torch.optim.Adam`` (no AMSGrad, no weight decay).

    .. math::

        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g &\qquad \text{(eq:op-adam-m)}\\
        v &\leftarrow \beta_2 v + (1 - \beta_2)\, g^2 &\qquad \text{(eq:op-adam-v)}\\
        \hat m &= \frac{m}{1 - \beta_1^t}, \quad \hat v = \frac{v}{1 - \beta_2^t}
            &\qquad \text{(eq:op-adam-hat)}\\
        \theta &\leftarrow \theta - \eta\, \frac{\hat m}{\sqrt{\hat v} + \epsilon}
            &\qquad \text{(eq:op-adam-step)}

    with :math:`m`, :math:`v` (``state[i]["m"]``, ``state[i]["v"]``) starting at 0 and
    :math:`t = 1, 2, \dots` the step count.

    Parameters
    ----------
    lr : positive float
    betas : pair of floats in [0, 1)
        :math:`(\beta_1, \beta_2)`.
    eps : positive float
        :math:`\epsilon`, added to :math:`\sqrt{\hat v}` (outside the root).
    """

    STATE = ("m", "v")

    def __init__(
        self, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
    ) -> None:
        where = "Adam"
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(
                f"{where}: betas must be a pair (beta1, beta2) of numbers in [0, 1); got "
                f"{describe(betas)}."
            )
        beta1 = _check_unit_interval(betas[0], "betas[0]", where)
        beta2 = _check_unit_interval(betas[1], "betas[1]", where)
        eps = check_positive_float(eps, "eps", where)
        super().__init__(lr)
        self.betas, self.eps = (beta1, beta2), eps

    def _rule(self, s, g, t):
        beta1, beta2 = self.betas
        m = beta1 * s["m"] + (1 - beta1) * g  # eq:op-adam-m
        v = beta2 * s["v"] + (1 - beta2) * (g * g)  # eq:op-adam-v
        m_hat = m / (1 - beta1**t)  # eq:op-adam-hat
        v_hat = v / (1 - beta2**t)  # eq:op-adam-hat
        step = self.lr * m_hat / (np.sqrt(v_hat) + self.eps)  # eq:op-adam-step
        return {"m": m, "v": v}, step

    def _settings(self) -> str:
        return f"lr={self.lr}, betas={self.betas}, eps={self.eps}"


def check_update_arguments(net, lr, optimizer, clip_norm, where: str = "Network.fit"):
    """``(lr, optimizer, clip_norm)`` of :meth:`Network.fit` checked, changing nothing:
    exactly one of ``lr`` (plain gradient descent) and ``optimizer``; ``optimizer`` an
    :class:`Optimizer` free or bound to ``net``; ``clip_norm`` None or a positive finite
    number."""
    if optimizer is not None and not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{where}: optimizer must be an SGD, RMSProp or Adam object, or None; got "
            f"{describe(optimizer)}."
        )
    if lr is None and optimizer is None:
        raise TypeError(
            f"{where}: give either lr (plain gradient descent) or optimizer (e.g. "
            f"optimizer=Adam(lr=0.001)); got neither: lr must be a positive number when no "
            f"optimizer is given."
        )
    if lr is not None and optimizer is not None:
        raise TypeError(
            f"{where}: give either lr or optimizer, not both (the optimizer has its own "
            f"learning rate, {optimizer!r}); got lr = {lr!r}."
        )
    if lr is not None:
        lr = check_positive_float(lr, "lr", where)
    if optimizer is not None:
        optimizer.check_network(net, where)
    if clip_norm is not None:
        clip_norm = check_positive_float(clip_norm, "clip_norm", where)
    return lr, optimizer, clip_norm


def optimizer_step(net, optimizer: Optimizer | None, lr: float | None, clip_norm) -> None:
    r"""One step of ``net`` on its stored gradients (``layer.dW``, ``layer.db``): clipped
    by :func:`clip_by_global_norm` if ``clip_norm`` is given, then the optimizer's update
    (or plain gradient descent with ``lr``), all computed before any is applied
    (:meth:`Network.assign_all <backprop_lib.Network.assign_all>`: no layer is ever a step
    ahead of another)."""
    slots = [slot for layer in net.layers for slot in parameter_slots(layer)]
    params = [getattr(owner, name) for owner, name in slots]
    grads = [getattr(owner, "d" + name) for owner, name in slots]
    if clip_norm is not None:
        grads = clip_by_global_norm(grads, clip_norm)
    if optimizer is None:
        net.assign_all(
            [(P, P - lr * g) for P, g in zip(params, grads, strict=True)]  # eq:td-update
        )
        return
    new_state, steps = optimizer.updates(params, grads)
    optimizer.commit(new_state)
    net.assign_all([(P, P - step) for P, step in zip(params, steps, strict=True)])
