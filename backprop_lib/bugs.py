r"""Backpropagation with one typical mistake each: a teaching module.

Each class here is a :class:`~backprop_lib.Network` whose backward pass has **one** wrong line.
The forward pass, the loss, :meth:`~backprop_lib.Network.step` and
:meth:`~backprop_lib.Network.fit` are the library's, so a buggy network trains like any other
and :func:`~backprop_lib.gradient_check` (which calls the network's own backward pass) checks
it. The chapter *Numeric vs analytic gradients* trains every one of them next to the correct
network and shows the gradient check catching each.

``import backprop_lib`` does not import this module; import it as ``backprop_lib.bugs``.

:class:`CorrectNetwork` is :meth:`Network._backward <backprop_lib.Network.backward>` written
with one method per line of the recursion, so that a bug replaces exactly one line:

.. math::

    \delta^L &= \partial E/\partial s^L                 && \texttt{\_output\_delta}\\
    \partial E/\partial W^l &= (o^{l-1})^\top \delta^l     && \texttt{\_weight\_gradient}\\
    \partial E/\partial b^l &= \textstyle\sum_n \delta^l_n && \texttt{\_bias\_gradient}\\
    \delta^{l-1} &= (\delta^l (W^l)^\top) \odot f'(s^{l-1}) && \texttt{\_delta\_below}

Its gradients equal the library's bit for bit (the tests check this). :data:`BUGS` lists the
buggy variants by name, each with a one-line description and whether its loss still falls
on the demo problem (:func:`demo_problem`, :data:`DEMO`).

Example::

    import numpy as np
    from backprop_lib import gradient_check
    from backprop_lib.bugs import BUGS, demo_problem, with_bug

    net, X, T = demo_problem(np.random.default_rng(0))
    for name in BUGS:
        print(name, gradient_check(with_bug(net, name), X[:8], T[:8]))
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from ._validate import as_generator, describe, lookup_name
from .activations import Softmax
from .layers import Dense
from .network import History, Network
from .pairs import output_delta

__all__ = [
    "BUGS",
    "DEMO",
    "BatchSum",
    "BiasMean",
    "Bug",
    "CorrectNetwork",
    "DemoSettings",
    "DerivativeAtOutput",
    "DiagonalSoftmax",
    "MissingDerivative",
    "MissingTranspose",
    "WrongSign",
    "demo_problem",
    "train_demo",
    "with_bug",
]


class CorrectNetwork(Network):
    r"""The library's backward pass, one method per line (:mod:`backprop_lib.bugs`).

    ``layers[i]`` is the book's layer :math:`l = i + 1`; every method returns what
    :meth:`_backward` stores. Subclasses override exactly one method.
    """

    def _backward(self, X: np.ndarray, T: np.ndarray) -> None:
        r"""Forward pass, then :math:`\delta^L`, then for :math:`l = L, \dots, 1`:
        :math:`\partial E/\partial W^l`, :math:`\partial E/\partial b^l` and
        :math:`\delta^{l-1}`."""
        self._forward(X)
        layers = self.layers
        last = layers[-1]
        last.delta = self._output_delta(last, T)
        for i in range(len(layers) - 1, -1, -1):
            layer = layers[i]
            layer.dW = self._weight_gradient(layer)
            layer.db = self._bias_gradient(layer)
            if i > 0:
                layers[i - 1].delta = self._delta_below(layers[i - 1], layer)

    def _output_delta(self, last: Dense, T: np.ndarray) -> np.ndarray:
        r""":math:`\delta^L = \partial E/\partial s^L`, shape ``(B, n_L)``; includes the
        :math:`1/B` of the batch mean (e.g. :math:`(o - t)/B` for softmax + cross-entropy)."""
        return output_delta(last.activation, self.loss_fn, last.s, last.o, T)

    def _weight_gradient(self, layer: Dense) -> np.ndarray:
        r""":math:`\partial E/\partial W^l = (o^{l-1})^\top \delta^l`, shape
        ``(n_{l-1}, n_l)``."""
        return layer.o_prev.T @ layer.delta

    def _bias_gradient(self, layer: Dense) -> np.ndarray:
        r""":math:`\partial E/\partial b^l = \sum_n \delta^l_n`, shape ``(n_l,)``."""
        return layer.delta.sum(axis=0)

    def _delta_below(self, prev: Dense, layer: Dense) -> np.ndarray:
        r""":math:`\delta^{l-1} = (\delta^l (W^l)^\top) \odot f'(s^{l-1})` (a vector-Jacobian
        product for softmax), shape ``(B, n_{l-1})``; ``prev`` is layer :math:`l-1`,
        ``layer`` is layer :math:`l`."""
        return prev.activation.backward(prev.s, prev.o, layer.delta @ layer.W.T)


class MissingDerivative(CorrectNetwork):
    r"""Bug: the recursion forgets the activation's derivative,
    :math:`\delta^{l-1} = \delta^l (W^l)^\top` instead of
    :math:`(\delta^l (W^l)^\top) \odot f'(s^{l-1})`."""

    def _delta_below(self, prev, layer):
        return layer.delta @ layer.W.T  # BUG: no ⊙ f'(s^{l-1})


class MissingTranspose(CorrectNetwork):
    r"""Bug: the recursion uses :math:`W^l` where :math:`(W^l)^\top` belongs,
    :math:`\delta^{l-1} = (\delta^l W^l) \odot f'(s^{l-1})`.

    The product has the right shape only when :math:`W^l` is square, so every layer above the
    first must have as many units as the layer below it (checked when the network is built);
    with other sizes the bug would stop the program instead of training quietly.
    """

    def __init__(self, layers, loss="cross_entropy"):
        super().__init__(layers, loss)
        for i, layer in enumerate(self.layers[1:], start=1):
            if layer.n_in != layer.n_out:
                raise ValueError(
                    f"MissingTranspose: delta @ W has the shape of delta @ W.T only for a "
                    f"square W, so layers[{i}] must have n_in == n_out; got {layer!r}. Use "
                    f"sizes like [n_0, h, h, ..., h]."
                )

    def _delta_below(self, prev, layer):
        return prev.activation.backward(prev.s, prev.o, layer.delta @ layer.W)  # BUG: W, not W.T


class WrongSign(CorrectNetwork):
    r"""Bug: the output delta has the wrong sign, e.g. :math:`(t - o)/B` instead of
    :math:`(o - t)/B`: the error :math:`e = t - o` used as the delta, or the minus of
    :math:`S = -2Ae` dropped. Every gradient flips sign, so training climbs the loss."""

    def _output_delta(self, last, T):
        return -output_delta(last.activation, self.loss_fn, last.s, last.o, T)  # BUG: sign


class BatchSum(CorrectNetwork):
    r"""Bug: the output delta of the batch **sum** of the per-sample losses, not of their mean
    (the :math:`1/B` forgotten, e.g. :math:`o - t` instead of :math:`(o - t)/B`). Every
    gradient is :math:`B` times too large, which acts like a learning rate :math:`B` times too
    large. With one sample (:math:`B = 1`) the bug is invisible."""

    def _output_delta(self, last, T):
        return len(T) * output_delta(last.activation, self.loss_fn, last.s, last.o, T)  # BUG


class DiagonalSoftmax(CorrectNetwork):
    r"""Bug: the softmax treated as an elementwise activation with
    :math:`f'(s_i) = o_i (1 - o_i)`, the diagonal of its Jacobian
    :math:`J_{ij} = o_i(\mathbb{1}[i = j] - o_j)`; the off-diagonal :math:`-o_i o_j` are lost:
    :math:`\delta^L = \partial E/\partial o \odot o (1 - o)`.

    The output layer must be a softmax (checked when the network is built).
    """

    def __init__(self, layers, loss="cross_entropy"):
        super().__init__(layers, loss)
        if not isinstance(self.layers[-1].activation, Softmax):
            raise ValueError(
                f"DiagonalSoftmax: the bug is in the softmax's Jacobian, so the output layer "
                f"must be a softmax; got {self.layers[-1]!r}."
            )

    def _output_delta(self, last, T):
        return self.loss_fn.gradient(last.o, T) * last.o * (1.0 - last.o)  # BUG: diagonal only


class BiasMean(CorrectNetwork):
    r"""Bug: the bias gradient is the **mean** of the deltas over the batch,
    :math:`\frac1B \sum_n \delta^l_n`, though :math:`\delta^l` already holds the :math:`1/B`
    of the loss: every bias gradient is :math:`B` times too small (weights are right)."""

    def _bias_gradient(self, layer):
        return layer.delta.mean(axis=0)  # BUG: mean, not sum


class DerivativeAtOutput(CorrectNetwork):
    r"""Bug: the derivative evaluated at the layer's output instead of its pre-activation,
    :math:`f'(o^{l-1})` instead of :math:`f'(s^{l-1})` (for the sigmoid:
    :math:`\sigma'(o) = \sigma(o)(1 - \sigma(o))` instead of :math:`o(1 - o)`). Hidden layers
    must be elementwise."""

    def _delta_below(self, prev, layer):
        return (layer.delta @ layer.W.T) * prev.activation.derivative(prev.o)  # BUG: o, not s


@dataclass(frozen=True)
class Bug:
    r"""One entry of :data:`BUGS`.

    ``network`` is the buggy class; ``line`` names the line of :class:`CorrectNetwork` it
    replaces; ``description`` says what is wrong in one line (inline maths between ``$``
    signs, ready for Markdown); ``trains`` records whether its
    training loss still falls on the demo problem (:func:`train_demo`: lower after
    :data:`DEMO` ``.epochs`` epochs than at the start, like the correct network's).
    """

    name: str
    network: type[CorrectNetwork]
    line: str
    description: str
    trains: bool


#: The buggy variants by name, in the order the chapter shows them.
BUGS: dict[str, Bug] = {
    bug.name: bug
    for bug in (
        Bug("missing f'", MissingDerivative, "_delta_below",
            "the recursion drops the factor $f'(s^{l-1})$", True),
        Bug("missing transpose", MissingTranspose, "_delta_below",
            "the recursion multiplies by $W^l$ instead of $(W^l)^\\top$", True),
        Bug("wrong sign", WrongSign, "_output_delta",
            "the output delta is $(t - o)/B$ instead of $(o - t)/B$", False),
        Bug("sum, not mean", BatchSum, "_output_delta",
            "the gradient of the batch sum: $B$ times too large", True),
        Bug("diagonal softmax", DiagonalSoftmax, "_output_delta",
            "the softmax Jacobian without its off-diagonal $-o_i o_j$", False),
        Bug("bias mean", BiasMean, "_bias_gradient",
            "the bias gradient averages the deltas: $B$ times too small", True),
        Bug("f' of o", DerivativeAtOutput, "_delta_below",
            "the derivative evaluated at $o^{l-1}$ instead of $s^{l-1}$", True),
    )
}


def _network_class(bug) -> type[CorrectNetwork]:
    """The class of ``bug``: a name in :data:`BUGS`, a :class:`Bug`, a subclass of
    :class:`CorrectNetwork`, or ``None`` for the correct network."""
    if bug is None:
        return CorrectNetwork
    if isinstance(bug, Bug):
        return bug.network
    if isinstance(bug, type) and issubclass(bug, CorrectNetwork):
        return bug
    if isinstance(bug, str):
        return lookup_name(bug, BUGS, "bug").network
    raise TypeError(
        f"bug must be a name from BUGS ({', '.join(map(repr, BUGS))}), a Bug, a subclass of "
        f"CorrectNetwork, or None for the correct network; got {describe(bug)}."
    )


def with_bug(net: Network, bug) -> CorrectNetwork:
    r"""A copy of ``net`` (the same layers, weights and loss, deep-copied) whose backward pass
    has ``bug``: a name from :data:`BUGS`, a :class:`Bug`, a :class:`CorrectNetwork`
    subclass, or ``None`` for :class:`CorrectNetwork` itself. ``net`` is not modified."""
    if not isinstance(net, Network):
        raise TypeError(f"with_bug: net must be a Network; got {describe(net)}.")
    cls = _network_class(bug)
    return cls([copy.deepcopy(layer) for layer in net.layers], net.loss_fn)


@dataclass(frozen=True)
class DemoSettings:
    r"""The demo problem of :func:`demo_problem` and how :func:`train_demo` trains on it.

    Four classes of points in the plane, ``n_per_class`` each, around the corners of a square
    (centres :math:`(\pm 1, \pm 1)`, standard deviation ``spread``), one-hot targets. The
    network is Swinn's architecture in miniature: ``sizes`` with a sigmoid hidden layer and a
    softmax output with cross-entropy. The hidden layer has as many units as there are classes,
    so that :math:`W^2` is square and :class:`MissingTranspose` runs.
    """

    sizes: tuple[int, ...] = (2, 4, 4)
    activations: tuple[str, ...] = ("sigmoid", "softmax")
    loss: str = "cross_entropy"
    n_per_class: int = 30
    spread: float = 0.6
    epochs: int = 60
    lr: float = 0.5
    batch_size: int = 10


#: The settings every demo uses.
DEMO = DemoSettings()


def demo_problem(rng) -> tuple[Network, np.ndarray, np.ndarray]:
    r"""A freshly initialised correct network and the demo data ``(net, X, T)``.

    ``rng`` (a Generator or an int seed) draws the points first, then the weights, so one seed
    gives one problem. ``X`` has shape ``(4 * n_per_class, 2)``, ``T`` ``(4 * n_per_class, 4)``;
    the rows are shuffled. Settings: :data:`DEMO`.
    """
    rng = as_generator(rng, "rng", "demo_problem")
    centres = np.array([[-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]])
    labels = rng.permutation(np.repeat(np.arange(4), DEMO.n_per_class))
    X = centres[labels] + DEMO.spread * rng.normal(size=(labels.size, 2))
    T = np.eye(4)[labels]
    net = Network.from_sizes(list(DEMO.sizes), list(DEMO.activations), DEMO.loss, rng=rng)
    return net, X, T


def train_demo(net: Network, X, T, bug, rng) -> History:
    r"""Train a copy of ``net`` with ``bug`` (see :func:`with_bug`; ``None`` for the correct
    network) on ``X, T`` with the :data:`DEMO` settings (mini-batch gradient descent,
    :meth:`Network.fit`); return its :class:`~backprop_lib.History`. ``rng`` shuffles the
    batches: pass the same seed to compare two networks on the same batches."""
    trainee = with_bug(net, bug)
    return trainee.fit(X, T, epochs=DEMO.epochs, lr=DEMO.lr, batch_size=DEMO.batch_size,
                       rng=rng, evaluate=True)
