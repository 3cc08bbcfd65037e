r"""Backpropagation with one typical mistake each: a teaching module.

Each bug replaces **one** piece of the library's backward pass and reuses the rest: the one
recursion of :meth:`~backprop_lib.Network.backpropagate`, the forward pass, the loss,
:meth:`~backprop_lib.Network.step` and :meth:`~backprop_lib.Network.fit`. So a buggy
network trains like any other and :func:`~backprop_lib.gradient_check` (which calls the
network's own backward pass) checks it. The pieces a bug can replace:

.. math::

    \delta^L &= \partial E/\partial s^L         && \texttt{Pair.delta}\\
    \partial E/\partial W^l &= (o^{l-1})^\top \delta^l,\ \partial E/\partial b^l
        = \textstyle\sum_n \delta^l_n, && \texttt{Dense.backward\_delta}\\
    & \quad \text{and } \delta^l (W^l)^\top && \\
    \delta^{l} &= (\delta^{l+1} (W^{l+1})^\top) \odot f'(s^{l}) && \texttt{Dense.backpropagate}

A buggy layer is a :class:`~backprop_lib.Dense` subclass, a buggy output delta a
:class:`~backprop_lib.pairs.Pair` subclass; :func:`with_bug` builds a network from them.
Without a bug, its gradients equal the library's bit for bit (the tests check this).
:data:`BUGS` lists the bugs by name, each with a one-line description and whether its loss
still falls on the demo problem (:func:`demo_problem`, :data:`DEMO`).

``import backprop_lib`` does not import this module; import it as ``backprop_lib.teaching.bugs``.

Example::

    import numpy as np
    from backprop_lib import gradient_check
    from backprop_lib.teaching.bugs import BUGS, demo_problem, with_bug

    net, X, T = demo_problem(np.random.default_rng(0))
    for name in BUGS:
        print(name, gradient_check(with_bug(net, name), X[:8], T[:8]))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_generator, describe, lookup_name
from ..activations import Activation, Softmax
from ..layers import Dense
from ..losses import Loss
from ..network import History, Network
from ..pairs import Pair, pair_of

__all__ = [
    "BUGS",
    "DEMO",
    "BatchSum",
    "BiasMean",
    "Bug",
    "BuggyPair",
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


# -- buggy layers: Dense with one line of its backward pass wrong -----------------------------


class MissingDerivative(Dense):
    r"""Bug: the recursion forgets the activation's derivative,
    :math:`\delta^l = \delta^{l+1} (W^{l+1})^\top` instead of
    :math:`(\delta^{l+1} (W^{l+1})^\top) \odot f'(s^l)`."""

    def backpropagate(self, grad_o: np.ndarray, below: bool = True) -> np.ndarray | None:
        return self.backward_delta(grad_o, below)  # BUG: no ⊙ f'(s^l)


class DerivativeAtOutput(Dense):
    r"""Bug: the derivative evaluated at the layer's output instead of its pre-activation,
    :math:`f'(o^l)` instead of :math:`f'(s^l)` (for the sigmoid:
    :math:`\sigma'(o) = \sigma(o)(1 - \sigma(o))` instead of :math:`o(1 - o)`). Hidden layers
    must be elementwise."""

    def backpropagate(self, grad_o: np.ndarray, below: bool = True) -> np.ndarray | None:
        delta = grad_o * self.activation.f_prime(self.o)  # BUG: f'(o), not f'(s)
        return self.backward_delta(delta, below)


class MissingTranspose(Dense):
    r"""Bug: the product for the layer below uses :math:`W^l` where :math:`(W^l)^\top`
    belongs, :math:`\delta^{l-1} = (\delta^l W^l) \odot f'(s^{l-1})`.

    The product has the right shape only when :math:`W^l` is square, so every layer above the
    first must have as many units as the layer below it (checked by :func:`with_bug`); with
    other sizes the bug would stop the program instead of training quietly.
    """

    def backward_delta(self, delta: np.ndarray, below: bool = True) -> np.ndarray | None:
        super().backward_delta(delta, below=False)  # delta, dW, db as the library's
        return delta @ self.W if below else None  # BUG: W, not W.T


class BiasMean(Dense):
    r"""Bug: the bias gradient is the **mean** of the deltas over the batch,
    :math:`\frac1B \sum_n \delta^l_n`, though :math:`\delta^l` already holds the :math:`1/B`
    of the loss: every bias gradient is :math:`B` times too small (weights are right)."""

    def backward_delta(self, delta: np.ndarray, below: bool = True) -> np.ndarray | None:
        grad_o = super().backward_delta(delta, below)  # delta, dW, as the library's
        self.db = delta.mean(axis=0)  # BUG: mean, not sum
        return grad_o


# -- buggy output deltas: a Pair with a wrong delta ------------------------------------------


class BuggyPair(Pair):
    r"""A pair whose :meth:`delta` a subclass gets wrong; ``correct`` is the library's pair
    for the same activation and loss, which computes the loss :math:`E` unchanged."""

    def __init__(self, activation: Activation, loss_fn: Loss):
        super().__init__(activation, loss_fn)
        self.correct: Pair = pair_of(activation, loss_fn)

    def loss(self, s: np.ndarray, o: np.ndarray, t: np.ndarray) -> float:
        return self.correct.loss(s, o, t)


class WrongSign(BuggyPair):
    r"""Bug: the output delta has the wrong sign, e.g. :math:`(t - o)/B` instead of
    :math:`(o - t)/B`: the error :math:`e = t - o` used as the delta, or the minus of
    :math:`S = -2Ae` dropped. Every gradient flips sign, so training climbs the loss."""

    def delta(self, s: np.ndarray, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        return -self.correct.delta(s, o, t)  # BUG: sign


class BatchSum(BuggyPair):
    r"""Bug: the output delta of the batch **sum** of the per-sample losses, not of their mean
    (the :math:`1/B` forgotten, e.g. :math:`o - t` instead of :math:`(o - t)/B`). Every
    gradient is :math:`B` times too large, which acts like a learning rate :math:`B` times too
    large. With one sample (:math:`B = 1`) the bug is invisible."""

    def delta(self, s: np.ndarray, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        return len(t) * self.correct.delta(s, o, t)  # BUG: sum, not mean


class DiagonalSoftmax(BuggyPair):
    r"""Bug: the softmax treated as an elementwise activation with
    :math:`f'(s_i) = o_i (1 - o_i)`, the diagonal of its Jacobian
    :math:`J_{ij} = o_i(\mathbb{1}[i = j] - o_j)`; the off-diagonal :math:`-o_i o_j` are lost:
    :math:`\delta^L = \partial E/\partial o \odot o (1 - o)`.

    The output layer must be a softmax (checked by :func:`with_bug`).
    """

    def delta(self, s: np.ndarray, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        return self.loss_fn.gradient(o, t) * o * (1.0 - o)  # BUG: diagonal only


@dataclass(frozen=True)
class Bug:
    r"""One entry of :data:`BUGS`.

    ``piece`` is the buggy class, a :class:`~backprop_lib.Dense` or a
    :class:`~backprop_lib.pairs.Pair` subclass; ``line`` names the method of the library's
    piece it replaces (``"Dense.backpropagate"``, ``"Dense.backward_delta"`` or ``"Pair.delta"``);
    ``description`` says what is wrong in one line (its maths written for Markdown, inline);
    ``trains`` records whether its training loss still falls on the demo problem
    (:func:`train_demo`: lower after :data:`DEMO` ``.epochs`` epochs than at the start, like
    the correct network's).
    """

    name: str
    piece: type
    line: str
    description: str
    trains: bool

    def build(self, net: Network) -> Network:
        """A network with ``net``'s weights (copied) and loss, with this bug's piece."""
        if issubclass(self.piece, Dense):
            layers = [self.piece.from_arrays(la.W, la.b, la.activation) for la in net.layers]
        else:
            layers = [Dense.from_arrays(la.W, la.b, la.activation) for la in net.layers]
        buggy = Network(layers, net.loss_fn)
        if self.piece is MissingTranspose:
            for i, layer in enumerate(buggy.layers[1:], start=1):
                if layer.n_in != layer.n_out:
                    raise ValueError(
                        f"MissingTranspose: delta @ W has the shape of delta @ W.T only for "
                        f"a square W, so layers[{i}] must have n_in == n_out; got {layer!r}. "
                        f"Use sizes like [n_0, h, h, ..., h]."
                    )
        if self.piece is DiagonalSoftmax and not isinstance(buggy.layers[-1].activation, Softmax):
            raise ValueError(
                f"DiagonalSoftmax: the bug is in the softmax's Jacobian, so the output layer "
                f"must be a softmax; got {buggy.layers[-1]!r}."
            )
        if issubclass(self.piece, Pair):
            buggy.pair = self.piece(buggy.layers[-1].activation, buggy.loss_fn)
        return buggy


#: The bugs by name, in the order the chapter shows them.
BUGS: dict[str, Bug] = {
    bug.name: bug
    for bug in (
        Bug(
            "missing f'",
            MissingDerivative,
            "Dense.backpropagate",
            "the recursion drops the factor $f'(s^{l-1})$",
            True,
        ),
        Bug(
            "missing transpose",
            MissingTranspose,
            "Dense.backward_delta",
            "the recursion multiplies by $W^l$ instead of $(W^l)^\\top$",
            True,
        ),
        Bug(
            "wrong sign",
            WrongSign,
            "Pair.delta",
            "the output delta is $(t - o)/B$ instead of $(o - t)/B$",
            False,
        ),
        Bug(
            "sum, not mean",
            BatchSum,
            "Pair.delta",
            "the gradient of the batch sum: $B$ times too large",
            True,
        ),
        Bug(
            "diagonal softmax",
            DiagonalSoftmax,
            "Pair.delta",
            "the softmax Jacobian without its off-diagonal $-o_i o_j$",
            False,
        ),
        Bug(
            "bias mean",
            BiasMean,
            "Dense.backward_delta",
            "the bias gradient averages the deltas: $B$ times too small",
            True,
        ),
        Bug(
            "f' of o",
            DerivativeAtOutput,
            "Dense.backpropagate",
            "the derivative evaluated at $o^{l-1}$ instead of $s^{l-1}$",
            True,
        ),
    )
}

#: The correct network's "bug": the library's own pieces.
_NO_BUG = Bug("no bug", Dense, "", "the library's backward pass", True)


#: What :func:`with_bug` and :func:`train_demo` take as ``bug``: a name in :data:`BUGS`, a
#: :class:`Bug`, one of the buggy classes, or ``None`` for the correct network.
BugLike = Union[str, Bug, type[Dense], type[Pair], None]


def _as_bug(bug: BugLike) -> Bug:
    """``bug`` as a :class:`Bug`: a name in :data:`BUGS`, a :class:`Bug`, one of the buggy
    classes, or ``None`` for the correct network."""
    if bug is None:
        return _NO_BUG
    if isinstance(bug, Bug):
        return bug
    if isinstance(bug, str):
        return lookup_name(bug, BUGS, "bug")
    for entry in BUGS.values():
        if bug is entry.piece:
            return entry
    raise TypeError(
        f"bug must be a name from BUGS ({', '.join(map(repr, BUGS))}), a Bug, one of its "
        f"classes, or None for the correct network; got {describe(bug)}."
    )


def with_bug(net: Network, bug: BugLike) -> Network:
    r"""A copy of ``net`` (the same layers, weights and loss, copied) whose backward pass
    has ``bug``: a name from :data:`BUGS`, a :class:`Bug`, one of the buggy classes, or
    ``None`` for the library's own pieces. ``net`` is not modified."""
    if not isinstance(net, Network):
        raise TypeError(f"with_bug: net must be a Network; got {describe(net)}.")
    return _as_bug(bug).build(net)


@dataclass(frozen=True)
class DemoSettings:
    r"""The demo problem of :func:`demo_problem` and how :func:`train_demo` trains on it.

    Four classes of points in the plane, ``n_per_class`` each, around the corners of a square
    (centres :math:`(\pm 1, \pm 1)`, standard deviation ``spread``), one-hot targets. The
    network is the digits network's architecture in miniature: ``sizes`` with a sigmoid hidden
    layer and a softmax output with cross-entropy. The hidden layer has as many units as there
    are classes, so that :math:`W^2` is square and :class:`MissingTranspose` runs.
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


def demo_problem(rng: int | np.random.Generator | None) -> tuple[Network, np.ndarray, np.ndarray]:
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


def train_demo(
    net: Network,
    X: ArrayLike,
    T: ArrayLike,
    bug: BugLike,
    rng: int | np.random.Generator | None,
) -> History:
    r"""Train a copy of ``net`` with ``bug`` (see :func:`with_bug`; ``None`` for the correct
    network) on ``X, T`` with the :data:`DEMO` settings (mini-batch gradient descent,
    :meth:`Network.fit`); return its :class:`~backprop_lib.History`. ``rng`` shuffles the
    batches: pass the same seed to compare two networks on the same batches."""
    trainee = with_bug(net, bug)
    return trainee.fit(
        X, T, epochs=DEMO.epochs, lr=DEMO.lr, batch_size=DEMO.batch_size, rng=rng, evaluate=True
    )
