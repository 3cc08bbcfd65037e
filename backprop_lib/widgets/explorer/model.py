r"""The state of the weight-update explorer: a small network, one training sample
:math:`(x, t)`, and gradient descent on it. Pure numpy, no drawing, no widgets.

Every number comes from ``backprop_lib``: the forward values :math:`s^l, o^l`, the deltas
:math:`\delta^l`, the gradients :math:`\partial E/\partial W^l = (o^{l-1})^\top \delta^l`, the
loss :math:`E` and the derivatives :math:`f'(s)` are the library's, read off the layers after
:meth:`Network.backward <backprop_lib.Network.backward>`. A step is
:meth:`Network.backward <backprop_lib.Network.backward>` followed by
:meth:`Network.step <backprop_lib.Network.step>`:

.. math:: w^l_{ji} \leftarrow w^l_{ji} + \Delta w^l_{ji}, \qquad
          \Delta w^l_{ji} = -\eta\, \frac{\partial E}{\partial w^l_{ji}}
          = -\eta\, \delta^l_i\, o^{l-1}_j \quad (B = 1).

The one product the library does not keep is the error that reaches a hidden layer's
outputs, :math:`\partial E/\partial o^l = \delta^{l+1} (W^{l+1})^\top` (shape ``(n_l,)``);
:class:`Snapshot` stores it as ``grad_o`` (the library's name for :math:`\partial E/\partial o`,
as in ``Activation.backward(s, o, grad_o)``) so that the δ recursion
:math:`\delta^l_j = f'(s^l_j) \sum_i w^{l+1}_{ji} \delta^{l+1}_i` can be shown with numbers.
The tests check that :math:`f'(s^l)` times it (the Jacobian for softmax) gives the library's
:math:`\delta^l`, and that the library's :math:`\delta^l` equals central differences of
:math:`E` in the biases.

A refused change (an invalid pair, targets the loss cannot take, a bad learning rate)
raises the library's ``ValueError``/``TypeError`` and leaves the model exactly as it was.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..._validate import check_positive_float, check_positive_int, describe
from ...layers import Dense
from ...network import Network
from ...pairs import output_loss

#: The explorer draws every unit: at most this many units per layer ...
MAX_UNITS = 5
#: ... and at most this many layers of weights (``len(sizes) - 1``).
MAX_LAYERS = 4


def layer_name(layer: int, n_layers: int) -> str:
    r"""``"input"``, ``"hidden"`` (``"hidden 2"`` when there are several), or ``"output"``
    for layer ``layer`` (0 to ``n_layers``)."""
    if layer == 0:
        return "input"
    if layer == n_layers:
        return "output"
    return "hidden" if n_layers == 2 else f"hidden {layer}"


def subscript(number: int) -> str:
    """``number`` in Unicode subscript digits, e.g. ``"₁₂"`` for 12 (for plain-text labels)."""
    return str(number).translate(_SUBSCRIPT_DIGITS)


_SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


@dataclass(frozen=True)
class Parameter:
    r"""One weight :math:`w^l_{ji}` (``kind="w"``) or bias :math:`b^l_i` (``kind="b"``).

    ``layer`` is the book's :math:`l` (1 to :math:`L`), ``i`` the receiving unit of layer
    :math:`l` and ``j`` the sending unit of layer :math:`l-1`, both counted from 1 as in the
    book. In the code it is ``net.layers[layer - 1].W[j - 1, i - 1]`` (or ``.b[i - 1]``).
    """

    kind: str
    layer: int
    i: int
    j: int | None = None

    def __post_init__(self):
        if self.kind not in ("w", "b"):
            raise ValueError(f"Parameter: kind must be 'w' or 'b'; got {self.kind!r}.")
        if (self.kind == "w") != (self.j is not None):
            raise ValueError(
                f"Parameter: a weight needs its sending unit j, a bias has none; got "
                f"kind={self.kind!r}, j={self.j!r}."
            )

    @property
    def is_weight(self) -> bool:
        """True for a weight, False for a bias."""
        return self.kind == "w"

    @property
    def index(self) -> tuple[int, ...]:
        """Its position in ``W`` (``(j - 1, i - 1)``) or in ``b`` (``(i - 1,)``)."""
        return (self.j - 1, self.i - 1) if self.is_weight else (self.i - 1,)

    def of(self, W: np.ndarray, b: np.ndarray) -> float:
        """Its entry of layer :math:`l`'s arrays: ``W[j - 1, i - 1]`` or ``b[i - 1]`` (also
        for ``dW, db`` or the updates of a step)."""
        return float((W if self.is_weight else b)[self.index])

    @property
    def latex(self) -> str:
        r"""``w^{2}_{12}`` or ``b^{2}_{1}``."""
        if self.is_weight:
            return rf"w^{{{self.layer}}}_{{{self.j}{self.i}}}"
        return rf"b^{{{self.layer}}}_{{{self.i}}}"

    def describe(self, n_layers: int) -> str:
        r"""A plain-text label in the book's notation, units named one way (layer, then unit),
        e.g. ``"w^2_12: layer 1 unit 1 → layer 2 unit 2"``, ``"b^2_1: bias of layer 2 unit 1"``
        (``n_layers`` is kept for the callers; the layer's number says where it is)."""
        to = f"layer {self.layer} unit {self.i}"
        if self.is_weight:
            sender = f"layer {self.layer - 1} unit {self.j}"
            return f"w^{self.layer}_{self.j}{self.i}: {sender} → {to}"
        return f"b^{self.layer}_{self.i}: bias of {to}"


@dataclass(frozen=True)
class Unit:
    r"""Unit ``i`` (from 1) of layer ``layer`` (0 = input, :math:`L` = output)."""

    layer: int
    i: int


@dataclass(frozen=True)
class UpdateTerms:
    r"""The numbers of :math:`\Delta p = -\eta\, \partial E/\partial p` for one parameter.

    For a weight :math:`w^l_{ji}`: ``delta`` is :math:`\delta^l_i`, ``o_prev`` is
    :math:`o^{l-1}_j` and ``gradient`` is the library's ``dW[j, i]``, which equals
    :math:`\delta^l_i o^{l-1}_j` for one sample. For a bias ``o_prev`` is ``None`` and
    ``gradient`` is ``db[i]`` :math:`= \delta^l_i`. ``update`` is
    :math:`-\eta \cdot` ``gradient``, the change the next step makes; ``value`` and
    ``value_next`` are the parameter now and after that step.
    """

    parameter: Parameter
    lr: float
    delta: float
    o_prev: float | None
    gradient: float
    update: float
    value: float
    value_next: float


@dataclass(frozen=True)
class DeltaTerms:
    r"""The numbers of the δ recursion for hidden unit ``j`` of layer :math:`l < L`.

    Elementwise activation: :math:`\delta^l_j = f'(s^l_j) \sum_i w^{l+1}_{ji}\delta^{l+1}_i`,
    with ``derivative`` :math:`= f'(s^l_j)`, ``weights[i]`` :math:`= w^{l+1}_{ji}`,
    ``deltas_next[i]`` :math:`= \delta^{l+1}_i` and ``grad_o`` :math:`= \partial E/\partial
    o^l_j = \sum_i w^{l+1}_{ji}\delta^{l+1}_i`. Softmax: :math:`\delta^l_j = \sum_k
    (\partial E/\partial o^l_k) J_{kj}` with ``grad_o_row[k]`` :math:`= \partial E/\partial
    o^l_k = \sum_i w^{l+1}_{ki}\delta^{l+1}_i` and ``jacobian_column[k]``
    :math:`= J_{kj} = \partial o^l_k / \partial s^l_j`. ``delta`` is the library's
    :math:`\delta^l_j`.
    """

    unit: Unit
    activation: str
    s: float
    derivative: float | None
    weights: tuple[float, ...]
    deltas_next: tuple[float, ...]
    grad_o: float
    grad_o_row: tuple[float, ...]
    jacobian_column: tuple[float, ...] | None
    delta: float


@dataclass(frozen=True)
class OutputDeltaTerms:
    r"""The numbers of :math:`\delta^L_i = \partial E / \partial s^L_i` for output unit ``i``.

    ``grad_o`` (:math:`\partial E/\partial o^L_i`, the library loss's ``gradient``) and
    ``derivative`` (:math:`f'(s^L_i)`) are ``None`` where they are not shown: for a softmax
    (not elementwise) and where :math:`\partial E/\partial o` is not finite. ``fused`` pairs
    have :math:`\delta^L_i = (o_i - t_i)/B`.
    """

    unit: Unit
    activation: str
    loss: str
    fused: bool
    s: float
    o: float
    t: float
    grad_o: float | None
    derivative: float | None
    delta: float


@dataclass(frozen=True)
class Snapshot:
    r"""Everything the explorer shows at one moment: copies of the library's numbers.

    Layer :math:`l` is index ``l - 1`` of the per-layer tuples: ``W[l - 1]`` has shape
    ``(n_{l-1}, n_l)``; ``s``, ``o``, ``delta``, ``db``, ``derivative`` are 1-D, shape
    ``(n_l,)`` (the one sample's row). ``derivative[l - 1]`` is :math:`f'(s^l)` (``None`` for
    softmax, whose ``jacobian[l - 1]`` is :math:`J`, shape ``(n_l, n_l)``).
    ``grad_o[l - 1]`` is :math:`\partial E/\partial o^l`: :math:`\delta^{l+1} (W^{l+1})^\top` for
    :math:`l < L`, and for :math:`L` the library loss's ``gradient`` (``None`` where it is not
    finite or the output lies on the edge of the loss's domain). ``last_update`` holds
    :math:`(\Delta W^l, \Delta b^l)` of the step that led here (``None`` at the start, after
    a reset, or after an edit). ``curve`` holds the ``(step, E)`` points of the loss curve.
    """

    step: int
    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    loss_name: str
    fused: bool
    lr: float
    x: np.ndarray
    t: np.ndarray
    W: tuple[np.ndarray, ...]
    b: tuple[np.ndarray, ...]
    s: tuple[np.ndarray, ...]
    o: tuple[np.ndarray, ...]
    delta: tuple[np.ndarray, ...]
    dW: tuple[np.ndarray, ...]
    db: tuple[np.ndarray, ...]
    derivative: tuple[np.ndarray | None, ...]
    jacobian: tuple[np.ndarray | None, ...]
    grad_o: tuple[np.ndarray | None, ...]
    loss: float
    curve: tuple[tuple[int, float], ...]
    last_update: tuple[tuple[np.ndarray, np.ndarray], ...] | None

    @property
    def n_layers(self) -> int:
        """:math:`L`, the number of layers of weights."""
        return len(self.sizes) - 1

    def o_prev(self, layer: int) -> np.ndarray:
        r""":math:`o^{l-1}` for ``layer`` :math:`= l` (the input :math:`x` for :math:`l = 1`)."""
        return self.x if layer == 1 else self.o[layer - 2]

    def value(self, p: Parameter) -> float:
        """The parameter's value now."""
        return p.of(self.W[p.layer - 1], self.b[p.layer - 1])

    def gradient(self, p: Parameter) -> float:
        r""":math:`\partial E / \partial p`, the library's ``dW`` or ``db`` entry."""
        return p.of(self.dW[p.layer - 1], self.db[p.layer - 1])

    def applied(self, p: Parameter) -> float | None:
        """The change the last step made to ``p`` (``None`` if there is no last step)."""
        if self.last_update is None:
            return None
        return p.of(*self.last_update[p.layer - 1])

    def update_terms(self, p: Parameter) -> UpdateTerms:
        r"""The numbers of the next step's :math:`\Delta p = -\eta\,\partial E/\partial p`."""
        check_parameter(p, self.sizes)
        gradient = self.gradient(p)
        update = -(self.lr * gradient)
        value = self.value(p)
        return UpdateTerms(
            parameter=p,
            lr=self.lr,
            delta=float(self.delta[p.layer - 1][p.i - 1]),
            o_prev=float(self.o_prev(p.layer)[p.j - 1]) if p.is_weight else None,
            gradient=gradient,
            update=update,
            value=value,
            value_next=value + update,
        )

    def delta_terms(self, unit: Unit) -> DeltaTerms:
        r"""The numbers of the δ recursion for a hidden unit (``0 < unit.layer < L``)."""
        check_unit(unit, self.sizes, hidden=True)
        k, j = unit.layer - 1, unit.i - 1  # layer l is index l - 1; l + 1 is index l
        W_next, delta_next = self.W[k + 1], self.delta[k + 1]  # W^{l+1}, δ^{l+1}
        grad_o = self.grad_o[k]
        assert grad_o is not None  # a hidden layer's: delta^{l+1} (W^{l+1})^T
        derivative = self.derivative[k]
        jacobian = self.jacobian[k]
        return DeltaTerms(
            unit=unit,
            activation=self.activations[k],
            s=float(self.s[k][j]),
            derivative=None if derivative is None else float(derivative[j]),
            weights=tuple(float(w) for w in W_next[j]),
            deltas_next=tuple(float(d) for d in delta_next),
            grad_o=float(grad_o[j]),
            grad_o_row=tuple(float(g) for g in grad_o),
            jacobian_column=None if jacobian is None else tuple(float(v) for v in jacobian[:, j]),
            delta=float(self.delta[k][j]),
        )

    def output_delta_terms(self, unit: Unit) -> OutputDeltaTerms:
        r"""The numbers of :math:`\delta^L_i` for an output unit (``unit.layer == L``)."""
        check_unit(unit, self.sizes, hidden=False)
        if unit.layer != self.n_layers:
            raise ValueError(
                f"output_delta_terms: unit must be in the output layer {self.n_layers}; got "
                f"layer {unit.layer}."
            )
        i, L = unit.i - 1, self.n_layers
        derivative = self.derivative[L - 1]
        grad_o = self.grad_o[L - 1]
        return OutputDeltaTerms(
            unit=unit,
            activation=self.activations[L - 1],
            loss=self.loss_name,
            fused=self.fused,
            s=float(self.s[L - 1][i]),
            o=float(self.o[L - 1][i]),
            t=float(self.t[i]),
            grad_o=None if grad_o is None else float(grad_o[i]),
            derivative=None if derivative is None else float(derivative[i]),
            delta=float(self.delta[L - 1][i]),
        )

    def parameters(self) -> list[Parameter]:
        """Every weight and bias, layer by layer (weights first, then biases)."""
        return parameters_of(self.sizes)

    def hidden_units(self) -> list[Unit]:
        """Every hidden unit, layer by layer."""
        return hidden_units_of(self.sizes)


def parameters_of(sizes: Sequence[int]) -> list[Parameter]:
    """Every :class:`Parameter` of a network with layer sizes ``sizes``."""
    result = []
    for layer in range(1, len(sizes)):
        result += [
            Parameter("w", layer, i, j)
            for j in range(1, sizes[layer - 1] + 1)
            for i in range(1, sizes[layer] + 1)
        ]
        result += [Parameter("b", layer, i) for i in range(1, sizes[layer] + 1)]
    return result


def hidden_units_of(sizes: Sequence[int]) -> list[Unit]:
    """Every hidden :class:`Unit` of a network with layer sizes ``sizes``."""
    return [
        Unit(layer, i) for layer in range(1, len(sizes) - 1) for i in range(1, sizes[layer] + 1)
    ]


def check_parameter(p, sizes: Sequence[int], where: str = "parameter") -> Parameter:
    """Raise unless ``p`` is a :class:`Parameter` of a network with ``sizes``."""
    if not isinstance(p, Parameter):
        raise TypeError(f"{where}: must be a Parameter; got {describe(p)}.")
    if p not in parameters_of(sizes):
        raise ValueError(
            f"{where}: {p.latex} does not exist in a network of sizes {list(sizes)} (layers "
            f"1 to {len(sizes) - 1}, units counted from 1)."
        )
    return p


def check_unit(unit, sizes: Sequence[int], hidden: bool, where: str = "unit") -> Unit:
    """Raise unless ``unit`` is a :class:`Unit` of ``sizes`` (a hidden one if ``hidden``)."""
    if not isinstance(unit, Unit):
        raise TypeError(f"{where}: must be a Unit; got {describe(unit)}.")
    low, high = (1, len(sizes) - 2) if hidden else (1, len(sizes) - 1)
    if not (low <= unit.layer <= high and 1 <= unit.i <= sizes[unit.layer]):
        kind = "a hidden unit (layers 1 to L - 1)" if hidden else "a unit of layers 1 to L"
        raise ValueError(
            f"{where}: must be {kind} of a network of sizes {list(sizes)}; got layer "
            f"{unit.layer}, unit {unit.i}."
        )
    return unit


def _check_sizes(sizes) -> tuple[int, ...]:
    where = "ExplorerModel"
    if isinstance(sizes, str) or not isinstance(sizes, Sequence):
        raise TypeError(
            f"{where}: sizes must be a list [n_0, n_1, ..., n_L]; got {describe(sizes)}."
        )
    sizes = tuple(check_positive_int(n, f"sizes[{k}]", where) for k, n in enumerate(sizes))
    if not 3 <= len(sizes) <= MAX_LAYERS + 1:
        raise ValueError(
            f"{where}: sizes must list 3 to {MAX_LAYERS + 1} layer sizes (at least one hidden "
            f"layer, at most {MAX_LAYERS} layers of weights); got {list(sizes)}."
        )
    if max(sizes) > MAX_UNITS:
        raise ValueError(
            f"{where}: every layer may have at most {MAX_UNITS} units, so that every unit "
            f"can be drawn; got sizes {list(sizes)}."
        )
    return sizes


def _row(values, n: int, name: str, where: str) -> np.ndarray:
    """``values`` as a float64 row of shape ``(1, n)``, finite."""
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: {name} must hold {n} real numbers; got {describe(values)}.")
    if array.shape != (n,) and array.shape != (1, n):
        raise ValueError(
            f"{where}: {name} must hold {n} numbers (shape ({n},)); got shape {array.shape}."
        )
    array = array.astype(np.float64).reshape(1, n)
    if not np.isfinite(array).all():
        raise ValueError(f"{where}: {name} must be finite; got {array[0].tolist()}.")
    return array


class ExplorerModel:
    r"""A small network trained by gradient descent on one sample :math:`(x, t)`.

    Parameters
    ----------
    sizes : sequence of int
        ``[n_0, n_1, ..., n_L]``: 3 to 5 layer sizes (at least one hidden layer), each 1 to 5.
    activations : sequence of str
        One activation name per layer (``L`` of them), from ``ACTIVATION_NAMES``.
    loss : str
        A name from ``LOSS_NAMES``; it must be defined after the output activation.
    x, t : sequence of float
        The input (``n_0`` numbers) and the target (``n_L`` numbers).
    lr : float
        The learning rate :math:`\eta > 0`.
    seed : int
        Seeds ``numpy.random.default_rng(seed)``, which draws the start weights
        (``Network.from_sizes``). :meth:`reset` returns to them.

    Notes
    -----
    The model keeps the library's :class:`~backprop_lib.Network` in ``net``; after every
    change it runs ``net.backward(X, T)``, so the layers hold the forward values, the deltas
    and the gradients at the current weights. :meth:`snapshot` copies them out.
    """

    def __init__(
        self,
        sizes=(2, 2, 2),
        activations=("sigmoid", "sigmoid"),
        loss="squared_error",
        x=(1.0, 0.5),
        t=(1.0, 0.0),
        lr=0.5,
        seed=0,
    ):
        where = "ExplorerModel"
        sizes = _check_sizes(sizes)
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
            raise TypeError(f"{where}: seed must be a non-negative int; got {describe(seed)}.")
        if not isinstance(activations, str):
            activations = list(activations)
        net = Network.from_sizes(list(sizes), activations, loss, np.random.default_rng(int(seed)))
        self.net: Network = net
        self.sizes: tuple[int, ...] = sizes
        self.seed: int = int(seed)
        self.X: np.ndarray = _row(x, sizes[0], "x", where)
        self.T: np.ndarray = _row(t, sizes[-1], "t", where)
        self.lr: float = check_positive_float(lr, "lr", where)
        self._start = [(W.copy(), b.copy()) for W, b in net.parameters()]
        self.net.backward(self.X, self.T)  # checks the targets against the loss
        self.reset()

    # -- reading -------------------------------------------------------------------------

    @property
    def n_layers(self) -> int:
        """:math:`L`."""
        return len(self.sizes) - 1

    @property
    def activations(self) -> tuple[str, ...]:
        """The activation names, one per layer."""
        return tuple(layer.activation.name for layer in self.net.layers)

    @property
    def loss_name(self) -> str:
        return self.net.loss_fn.name

    @property
    def loss(self) -> float:
        """:math:`E` at the current weights."""
        return self._loss

    @property
    def start(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Copies of the seeded start weights and biases, ``[(W, b), ...]``."""
        return [(W.copy(), b.copy()) for W, b in self._start]

    def parameters(self) -> list[Parameter]:
        """Every weight and bias as a :class:`Parameter`."""
        return parameters_of(self.sizes)

    def hidden_units(self) -> list[Unit]:
        """Every hidden unit as a :class:`Unit`."""
        return hidden_units_of(self.sizes)

    def value(self, p: Parameter) -> float:
        """The current value of parameter ``p``."""
        check_parameter(p, self.sizes, "ExplorerModel.value")
        layer = self.net.layers[p.layer - 1]
        return p.of(layer.W, layer.b)

    def snapshot(self) -> Snapshot:
        r"""Copies of everything shown: weights, forward values, deltas, gradients, loss."""
        if self._snapshot is None:
            self._snapshot = self._take_snapshot()
        return self._snapshot

    def _take_snapshot(self) -> Snapshot:
        layers = self.net.layers
        derivative, jacobian, grad_o = [], [], []
        for k, layer in enumerate(layers):
            act = layer.activation
            derivative.append(act.derivative(layer.s)[0].copy() if act.elementwise else None)
            jacobian.append(None if act.elementwise else act.jacobian(layer.s)[0].copy())
            above = layers[k + 1] if k + 1 < len(layers) else None
            # ∂E/∂o^l = δ^{l+1} (W^{l+1})ᵀ: the error reaching layer l's outputs.
            grad_o.append(None if above is None else (above.delta @ above.W.T)[0])
        with np.errstate(all="ignore"):
            try:  # ∂E/∂o^L: the loss's gradient
                grad_o[-1] = self.net.loss_fn.gradient(layers[-1].o, self.T)[0]
            except ValueError:  # an output rounded onto the edge of the loss's domain
                grad_o[-1] = None
        if grad_o[-1] is not None and not np.isfinite(grad_o[-1]).all():
            grad_o[-1] = None
        return Snapshot(
            step=self.steps,
            sizes=self.sizes,
            activations=self.activations,
            loss_name=self.loss_name,
            fused=self.net.fused,
            lr=self.lr,
            x=self.X[0].copy(),
            t=self.T[0].copy(),
            W=tuple(layer.W.copy() for layer in layers),
            b=tuple(layer.b.copy() for layer in layers),
            s=tuple(layer.s[0].copy() for layer in layers),
            o=tuple(layer.o[0].copy() for layer in layers),
            delta=tuple(layer.delta[0].copy() for layer in layers),
            dW=tuple(layer.dW.copy() for layer in layers),
            db=tuple(layer.db.copy() for layer in layers),
            derivative=tuple(derivative),
            jacobian=tuple(jacobian),
            grad_o=tuple(grad_o),
            loss=self._loss,
            curve=tuple(self.curve),
            last_update=self.last_update,
        )

    # -- gradient descent ------------------------------------------------------------------

    def step(self, n=1) -> None:
        r"""``n`` steps of gradient descent: each is ``net.backward(X, T)`` then
        ``net.step(lr)``, i.e. :math:`W^l \leftarrow W^l - \eta\,\partial E/\partial W^l`.

        If a step overflows (too large a learning rate), it is undone and
        ``FloatingPointError`` is raised: the model keeps the weights of the last good step.
        """
        n = check_positive_int(n, "n", "ExplorerModel.step")
        for _ in range(n):
            before = [(W.copy(), b.copy()) for W, b in self.net.parameters()]
            try:
                with np.errstate(over="raise", invalid="raise", divide="raise"):
                    gradients = self.net.backward(self.X, self.T)
                    gradients = [(dW.copy(), db.copy()) for dW, db in gradients]
                    self.net.step(self.lr)
                    self._refresh()
            except (FloatingPointError, ValueError) as err:
                self._restore(before)
                self._refresh()
                raise FloatingPointError(
                    f"step {self.steps + 1} overflowed with learning rate {self.lr:g} "
                    f"({err}); the weights are kept as they were after step {self.steps}. "
                    f"Use a smaller learning rate or press Reset."
                ) from None
            self.steps += 1
            self.last_update = tuple((-(self.lr * dW), -(self.lr * db)) for dW, db in gradients)
            self.curve.append((self.steps, self._loss))
            self._snapshot = None

    def run(self, n_steps, every=1) -> list[Snapshot]:
        r"""Take ``n_steps`` steps; return the snapshot now and after every ``every`` steps."""
        n_steps = check_positive_int(n_steps, "n_steps", "ExplorerModel.run")
        every = check_positive_int(every, "every", "ExplorerModel.run")
        snapshots = [self.snapshot()]
        for k in range(1, n_steps + 1):
            self.step()
            if k % every == 0:
                snapshots.append(self.snapshot())
        return snapshots

    def reset(self) -> None:
        """Back to the seeded start weights; step 0, a fresh loss curve, no last update.
        The data, learning rate, activations and loss stay as they are."""
        self._restore(self._start)
        self.steps = 0
        self.last_update = None
        self._refresh()
        self.curve: list[tuple[int, float]] = [(0, self._loss)]

    # -- edits -----------------------------------------------------------------------------

    def set_inputs(self, x) -> None:
        """Set the input :math:`x` (``n_0`` numbers)."""
        X = _row(x, self.sizes[0], "x", "ExplorerModel.set_inputs")
        self._edit(X=X)

    def set_targets(self, t) -> None:
        """Set the target :math:`t` (``n_L`` numbers); refused if the loss cannot take it."""
        T = _row(t, self.sizes[-1], "t", "ExplorerModel.set_targets")
        self._edit(T=T)

    def set_lr(self, lr) -> None:
        r"""Set the learning rate :math:`\eta > 0`."""
        self.lr = check_positive_float(lr, "lr", "ExplorerModel.set_lr")
        self._snapshot = None

    def set_activation(self, layer, name) -> None:
        r"""Use activation ``name`` in layer ``layer`` (1 to :math:`L`), keeping the weights.

        Refused with the library's message if the loss is undefined after a new output
        activation, or if the targets do not suit it.
        """
        layer = check_positive_int(layer, "layer", "ExplorerModel.set_activation")
        if layer > self.n_layers:
            raise ValueError(
                f"ExplorerModel.set_activation: layer must be 1 to {self.n_layers}; got {layer}."
            )
        activations = list(self.activations)
        activations[layer - 1] = name
        self.configure(activations, self.loss_name)

    def set_loss(self, name) -> None:
        """Use loss ``name``; refused with the library's message if undefined after the
        output activation."""
        self.configure(self.activations, name)

    def configure(self, activations, loss) -> None:
        """Use these activations (one per layer) and this loss, keeping the weights.

        The new network is built by the library (``Dense.from_arrays``, ``Network``), which
        refuses an invalid pair; the targets are checked by ``Network.backward``. On refusal
        the library's error is raised and nothing changes. A new loss starts a new loss
        curve (one point, at the current step), as the browser's explorer does.
        """
        if (
            isinstance(activations, str)
            or not isinstance(activations, Sequence)
            or len(activations) != self.n_layers
        ):
            raise ValueError(
                f"ExplorerModel.configure: activations must be one name per layer "
                f"({self.n_layers}); got {describe(activations)}."
            )
        layers = [
            Dense.from_arrays(old.W, old.b, name)
            for old, name in zip(self.net.layers, activations, strict=True)
        ]
        candidate = Network(layers, loss)
        candidate.backward(self.X, self.T)
        new_loss = candidate.loss_fn.name != self.loss_name
        self.net = candidate
        self._edited()
        if new_loss:  # another loss measures something else: its curve starts afresh
            self.curve = [(self.steps, self._loss)]

    def set_parameter(self, p: Parameter, value) -> None:
        """Set one weight or bias to ``value`` (a finite real number)."""
        where = "ExplorerModel.set_parameter"
        check_parameter(p, self.sizes, where)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{where}: value must be a finite real number; got {describe(value)}.")
        try:  # the float64 the weight will hold (Fraction(1, 3); np.longdouble(10)**400 -> inf)
            with np.errstate(all="ignore"):
                number = float(value)
        except OverflowError:  # an int or Fraction beyond float64, e.g. 10**400
            number = float("inf")
        if not np.isfinite(number):
            raise ValueError(
                f"{where}: value must be a finite real number (within float64, |value| < "
                f"1.8e308); got {describe(value)}; nothing was changed."
            )
        value = number
        layer = self.net.layers[p.layer - 1]
        array, index = (layer.W if p.is_weight else layer.b), p.index
        old = float(array[index])
        array[index] = value
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                self._refresh()
        except FloatingPointError as err:
            array[index] = old
            self._refresh()
            raise ValueError(
                f"{where}: {p.latex} = {value:g} makes the network overflow ({err}); kept {old:g}."
            ) from None
        self._edited()

    # -- internals -------------------------------------------------------------------------

    def _edit(self, X=None, T=None) -> None:
        X = self.X if X is None else X
        T = self.T if T is None else T
        self.net.backward(X, T)  # the library checks them first; refused = nothing changed
        self.X, self.T = X, T
        self._edited()

    def _edited(self) -> None:
        self._refresh()
        self.last_update = None
        if self.curve[-1] != (self.steps, self._loss):
            self.curve.append((self.steps, self._loss))

    def _restore(self, parameters) -> None:
        for layer, (W, b) in zip(self.net.layers, parameters, strict=True):
            layer.W = W.copy()
            layer.b = b.copy()

    def _refresh(self) -> None:
        """Forward and backward at the current weights; the loss from the stored values."""
        self.net.backward(self.X, self.T)
        last = self.net.layers[-1]
        loss = output_loss(last.activation, self.net.loss_fn, last.s, last.o, self.T)
        if not np.isfinite(loss):
            raise FloatingPointError(f"the loss is {loss}")
        self._loss = float(loss)
        self._snapshot = None

    def __repr__(self) -> str:
        return (
            f"ExplorerModel(sizes={list(self.sizes)}, activations={list(self.activations)}, "
            f"loss={self.loss_name!r}, lr={self.lr:g}, seed={self.seed}, step {self.steps}, "
            f"E = {self._loss:.6g})"
        )
