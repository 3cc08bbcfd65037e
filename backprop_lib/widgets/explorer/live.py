r"""The weight-update explorer that computes in the reader's browser: an anywidget.

:class:`ExplorerWidget` is an :class:`anywidget.AnyWidget` whose ES module (``engine.js``,
then ``explorer.js``, both next to this file) holds a small float64 JavaScript port of
``backprop_lib``'s maths for one sample, with the library's names (``s``, ``o``, ``delta``,
``dW``, ``db``, ``lr``) and its stable forms (the sigmoid from :math:`e^{-|s|}`,
log-sum-exp, the cross-entropy pairs from :math:`s`). The module travels inside the saved
widget state, so on a static page (no kernel, no network) every control works: Step,
Play/Pause, Reset, the sliders, the activation and loss dropdowns, the formula panel's
choosers and the loss curve.

What JavaScript cannot know it gets from Python, computed by the library when the widget
is made: the seeded start weights (``Network.from_sizes``) and the reason the library gives
for every refused activation or pair (``refusals``). So an invalid pair is refused in the
browser with the library's own message.

In a live kernel the widget syncs its state to Python after every action. The weights the
browser computed are then in ``widget.W`` and ``widget.b``; :meth:`ExplorerWidget.verify`
replays the steps since the last edit with ``Network.backward`` and ``Network.step`` and
asserts that they agree (``rtol=1e-12``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import anywidget
import numpy as np
import traitlets

from ..._validate import check_positive_int
from ...activations import ACTIVATION_NAMES
from ...layers import Dense
from ...losses import LOSS_NAMES
from ...network import Network
from ...optimizers import SGD, Adam
from .model import (
    ExplorerModel,
    Parameter,
    Unit,
    check_parameter,
    check_unit,
    parameters_of,
)
from .tables import engine_source

_HERE = Path(__file__).parent


@lru_cache(maxsize=None)
def esm_source() -> str:
    """The widget's ES module: the engine (its tables printed from the sympy side, then
    ``engine.js``: :func:`~backprop_lib.widgets.explorer.tables.engine_source`) followed by
    ``explorer.js``."""
    return "\n".join((engine_source(), (_HERE / "explorer.js").read_text(encoding="utf-8")))


def parameter_key(p: Parameter) -> str:
    """The JavaScript side's name of a parameter: ``"w,l,i,j"`` or ``"b,l,i"``."""
    return f"w,{p.layer},{p.i},{p.j}" if p.is_weight else f"b,{p.layer},{p.i}"


def refusals(model: ExplorerModel) -> dict:
    r"""The library's reason for every activation it refuses in a layer and every loss it
    refuses after an output activation: ``{"layer": {"1": {name: reason}}, "pair":
    {activation: {loss: reason}}}`` (an empty string where it accepts).

    Each reason is the message of the ``ValueError`` that ``Dense.from_arrays`` or
    ``Network`` raises, so the browser shows what a kernel would."""
    layers = {}
    for k, layer in enumerate(model.net.layers, start=1):
        layers[str(k)] = {}
        for name in ACTIVATION_NAMES:
            try:
                Dense.from_arrays(layer.W, layer.b, name)
                layers[str(k)][name] = ""
            except ValueError as err:
                layers[str(k)][name] = str(err)
    pair = {}
    hidden = [Dense.from_arrays(la.W, la.b, "linear") for la in model.net.layers[:-1]]
    last = model.net.layers[-1]
    for name in ACTIVATION_NAMES:
        pair[name] = {}
        try:
            output = Dense.from_arrays(last.W, last.b, name)
        except ValueError as err:  # refused in the layer already
            pair[name] = {loss: str(err) for loss in LOSS_NAMES}
            continue
        for loss in LOSS_NAMES:
            try:
                Network([*hidden, output], loss)
                pair[name][loss] = ""
            except ValueError as err:
                pair[name][loss] = str(err)
    return {"layer": layers, "pair": pair}


#: The explorer's update rules (issue 23) and their settings, sent to the page: the engine's
#: description of each (engine.js, optimizerStep), the rate being the widget's ``lr``.
OPTIMIZER_CHOICES = {
    "sgd": {"kind": "sgd"},
    "momentum": {"kind": "momentum", "momentum": 0.9, "nesterov": False},
    "adam": {"kind": "adam", "betas": [0.9, 0.999], "eps": 1e-8},
}
#: The engine's state names and the library optimizer's, per rule.
STATE_NAMES = {"sgd": {}, "momentum": {"v": "velocity"}, "adam": {"m": "m", "v": "v"}}


def library_optimizer(name: str, lr: float):
    """The library's optimizer for the explorer's rule ``name`` at rate ``lr``."""
    if name == "sgd":
        return SGD(lr)
    if name == "momentum":
        return SGD(lr, momentum=OPTIMIZER_CHOICES[name]["momentum"])
    settings = OPTIMIZER_CHOICES[name]
    return Adam(lr, betas=tuple(settings["betas"]), eps=settings["eps"])


def zero_state(W: list, b: list, name: str) -> dict:
    """The engine's ``optimizerState``: ``{"t": 0, "W": {key: zeros like W}, "b": {...}}``."""
    keys = STATE_NAMES[name]
    return {
        "t": 0,
        "W": {key: [np.zeros(np.shape(Wl)).tolist() for Wl in W] for key in keys},
        "b": {key: [np.zeros(np.shape(bl)).tolist() for bl in b] for key in keys},
    }


def _units(sizes) -> list[Unit]:
    """Every unit of layers 1 to L (what the formula panel's "δ of" chooser offers)."""
    return [Unit(layer, i) for layer in range(1, len(sizes)) for i in range(1, sizes[layer] + 1)]


def _lists(arrays) -> list:
    return [np.asarray(a, dtype=np.float64).tolist() for a in arrays]


class ExplorerWidget(anywidget.AnyWidget):
    r"""Watch gradient descent change every weight of a small network, in the browser.

    Parameters
    ----------
    model : ExplorerModel, optional
        The start: sizes, activations, loss, the sample :math:`(x, t)`, :math:`\eta` and the
        seeded weights. By default ``ExplorerModel(**model_options)`` (a 2-2-2 sigmoid
        network, squared error, ``x = (1, 0.5)``, ``t = (1, 0)``, ``η = 0.5``, seed 0).
    parameter, unit
        The weight and the unit the formula panel shows first (default :math:`w^L_{11}` and
        hidden unit 1 of layer 1).
    max_steps : int
        Play stops after this many steps.
    interval : int
        Milliseconds between two steps while playing.

    Notes
    -----
    Synced state (traits; lists, layer :math:`l` at index ``l - 1``): ``sizes``, ``start``
    (the seeded ``[{"W", "b"}, ...]``), ``W`` (``W[l-1][j][i]`` is :math:`w^l_{ji}`), ``b``,
    ``x``, ``t``, ``lr``, ``activations``, ``loss``, ``steps``, ``curve`` (``[step, E]``
    points), ``anchor_W``/``anchor_b`` and ``steps_since_edit`` (the weights after the last
    edit or reset and the steps taken since: what :meth:`verify` replays), ``message`` (the
    last refusal), ``parameter``, ``unit``, ``optimizer`` (the update rule, a key of
    :data:`OPTIMIZER_CHOICES`: ``"sgd"``, ``"momentum"``, ``"adam"``; chosen on the page or
    with ``optimizer=``) and ``optimizer_state`` (the engine's state of it: ``t`` and, per
    parameter, the velocity or the two moments; zero after every edit or reset, and checked
    by :meth:`verify` against ``Network.fit(..., optimizer=...)``).
    """

    # Made when the first widget is (printing the engine's tables imports sympy), not on import.
    _esm = traitlets.Unicode().tag(sync=True)

    @traitlets.default("_esm")
    def _default_esm(self) -> str:
        return esm_source()

    _css = traitlets.Unicode((_HERE / "explorer.css").read_text(encoding="utf-8")).tag(sync=True)

    sizes = traitlets.List(traitlets.Int()).tag(sync=True)
    start = traitlets.List().tag(sync=True)
    W = traitlets.List().tag(sync=True)
    b = traitlets.List().tag(sync=True)
    x = traitlets.List(traitlets.Float()).tag(sync=True)
    t = traitlets.List(traitlets.Float()).tag(sync=True)
    lr = traitlets.Float().tag(sync=True)
    activations = traitlets.List(traitlets.Unicode()).tag(sync=True)
    loss = traitlets.Unicode().tag(sync=True)
    steps = traitlets.Int(0).tag(sync=True)
    curve = traitlets.List().tag(sync=True)
    anchor_W = traitlets.List().tag(sync=True)
    anchor_b = traitlets.List().tag(sync=True)
    steps_since_edit = traitlets.Int(0).tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    refusals = traitlets.Dict().tag(sync=True)
    activation_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    loss_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    parameter = traitlets.Unicode().tag(sync=True)
    unit = traitlets.Unicode().tag(sync=True)
    max_steps = traitlets.Int(500).tag(sync=True)
    interval = traitlets.Int(300).tag(sync=True)
    #: The update rule (a key of OPTIMIZER_CHOICES) and the engine's state of it.
    optimizer = traitlets.Unicode("sgd").tag(sync=True)
    optimizer_state = traitlets.Dict().tag(sync=True)
    optimizer_choices = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        model: ExplorerModel | None = None,
        *,
        parameter: Parameter | None = None,
        unit: Unit | None = None,
        max_steps: int = 500,
        interval: int = 300,
        optimizer: str = "sgd",
        **model_options,
    ):
        if model is None:
            model = ExplorerModel(**model_options)
        elif model_options:
            raise TypeError(
                f"ExplorerWidget: pass either a model or model options, not both; got model "
                f"and {sorted(model_options)}."
            )
        if not isinstance(model, ExplorerModel):
            raise TypeError(
                f"ExplorerWidget: model must be an ExplorerModel; got {type(model).__name__}."
            )
        sizes, L = model.sizes, model.n_layers
        parameter = Parameter("w", L, 1, 1) if parameter is None else parameter
        unit = Unit(1, 1) if unit is None else unit
        check_parameter(parameter, sizes, "ExplorerWidget: parameter")
        check_unit(unit, sizes, hidden=False, where="ExplorerWidget: unit")
        max_steps = check_positive_int(max_steps, "max_steps", "ExplorerWidget")
        if optimizer not in OPTIMIZER_CHOICES:
            raise ValueError(
                f"ExplorerWidget: optimizer must be one of "
                f"{', '.join(map(repr, OPTIMIZER_CHOICES))}; got {optimizer!r}."
            )
        interval = check_positive_int(interval, "interval", "ExplorerWidget")
        weights = [(layer.W, layer.b) for layer in model.net.layers]
        W, b = _lists(w for w, _ in weights), _lists(v for _, v in weights)
        super().__init__(
            sizes=list(sizes),
            start=[
                {"W": Ws, "b": bs}
                for Ws, bs in zip(
                    _lists(w for w, _ in model.start),
                    _lists(v for _, v in model.start),
                    strict=True,
                )
            ],
            W=W,
            b=b,
            anchor_W=W,
            anchor_b=b,
            x=model.X[0].tolist(),
            t=model.T[0].tolist(),
            lr=model.lr,
            activations=list(model.activations),
            loss=model.loss_name,
            steps=model.steps,
            curve=[list(point) for point in model.curve],
            refusals=refusals(model),
            activation_names=list(ACTIVATION_NAMES),
            loss_names=list(LOSS_NAMES),
            parameter=parameter_key(parameter),
            unit=f"{unit.layer},{unit.i}",
            max_steps=max_steps,
            interval=interval,
            optimizer=optimizer,
            optimizer_state=zero_state(W, b, optimizer),
            optimizer_choices=OPTIMIZER_CHOICES,
        )

    # -- values set from Python are checked like the page's controls: refused with a
    # message (traitlets.TraitError), the old value kept ---------------------------------

    def _refuse(self, name, value, valid):
        raise traitlets.TraitError(
            f"ExplorerWidget: {name} must be {valid}; got {value!r}. Kept {getattr(self, name)!r}."
        )

    @traitlets.validate("lr")
    def _valid_lr(self, proposal):
        value = proposal["value"]
        if not (np.isfinite(value) and value > 0):
            self._refuse("lr", value, "a positive finite number")
        return value

    @traitlets.validate("x", "t")
    def _valid_row(self, proposal):
        name, value = proposal["trait"].name, proposal["value"]
        n = self.sizes[0] if name == "x" else self.sizes[-1]
        if self.sizes and (len(value) != n or not np.isfinite(value).all()):
            self._refuse(name, value, f"{n} finite numbers")
        if name == "t" and self.loss:
            try:
                self.network().loss_fn.check_targets(np.array([value]), "t", "ExplorerWidget")
            except ValueError as err:
                raise traitlets.TraitError(str(err)) from None
        return value

    @traitlets.validate("W", "b")
    def _valid_weights(self, proposal):
        r"""``W``: one ``(n_{l-1}, n_l)`` nested list per layer, ``b``: one ``(n_l,)`` list
        per layer, finite reals; with the activations, loss and sample, a network whose
        backward pass does not overflow (the library's own checks)."""
        name, value = proposal["trait"].name, proposal["value"]
        if not self.sizes:
            return value  # during __init__, before sizes: the model made these
        sizes = self.sizes
        shapes = [
            (sizes[k], sizes[k + 1]) if name == "W" else (sizes[k + 1],)
            for k in range(len(sizes) - 1)
        ]
        valid = f"one finite real array per layer, of shapes {shapes}"
        if not isinstance(value, (list, tuple)) or len(value) != len(shapes):
            self._refuse(name, value, valid)
        arrays = []
        for part, shape in zip(value, shapes, strict=True):
            try:
                array = np.asarray(part)
            except (ValueError, TypeError):
                self._refuse(name, value, valid)
            if array.dtype.kind not in "iuf" or array.shape != shape:
                self._refuse(name, value, valid)
            with np.errstate(all="ignore"):
                array = array.astype(np.float64)
            if not np.isfinite(array).all():
                self._refuse(name, value, valid)
            arrays.append(array)
        if self.activations and self.loss and len(self.activations) == len(shapes):
            W = arrays if name == "W" else [np.array(w) for w in self.W]
            b = arrays if name == "b" else [np.array(v) for v in self.b]
            try:
                layers = [
                    Dense.from_arrays(Wl, bl, a)
                    for Wl, bl, a in zip(W, b, self.activations, strict=True)
                ]
                Network(layers, self.loss).backward(np.array([self.x]), np.array([self.t]))
            except (ValueError, TypeError, FloatingPointError) as err:
                raise traitlets.TraitError(
                    f"ExplorerWidget: {name} refused ({err}); kept the old {name}."
                ) from None
        return [array.tolist() for array in arrays]

    @traitlets.validate("max_steps", "interval")
    def _valid_positive(self, proposal):
        name, value = proposal["trait"].name, proposal["value"]
        try:
            return check_positive_int(value, name, "ExplorerWidget")
        except (TypeError, ValueError) as err:
            raise traitlets.TraitError(str(err)) from None

    @traitlets.validate("unit", "parameter")
    def _valid_choice(self, proposal):
        name, value = proposal["trait"].name, proposal["value"]
        if not self.sizes:
            return value
        keys = (
            [f"{u.layer},{u.i}" for u in _units(self.sizes)]
            if name == "unit"
            else [parameter_key(p) for p in parameters_of(self.sizes)]
        )
        if value not in keys:
            self._refuse(name, value, f"one of {keys}")
        return value

    @traitlets.validate("activations", "loss")
    def _valid_network(self, proposal):
        name, value = proposal["trait"].name, proposal["value"]
        if self.sizes and self.W:
            activations = value if name == "activations" else self.activations
            loss = value if name == "loss" else self.loss
            try:
                layers = [
                    Dense.from_arrays(np.array(Wl), np.array(bl), a)
                    for Wl, bl, a in zip(self.W, self.b, activations, strict=True)
                ]
                Network(layers, loss).backward(np.array([self.x]), np.array([self.t]))
            except (ValueError, TypeError) as err:
                raise traitlets.TraitError(f"ExplorerWidget: {err}") from None
        return value

    @traitlets.observe("x", "t", "lr", "activations", "loss", "W", "b")
    def _edited_from_python(self, change):
        r"""A change made in Python (not synced from the page) is an edit, as the page's
        controls make one: the replay of :meth:`verify` starts from here, and the loss curve
        gets the new point (a new loss starts a new curve). (Changes from the page arrive
        under ``_property_lock``; the page has done this itself.)"""
        if change["name"] in self._property_lock or not (self.sizes and self.W and self.loss):
            return
        if len(self.activations) != len(self.W):
            return  # during __init__
        loss = self.network().loss(np.array([self.x]), np.array([self.t]))
        with self.hold_sync():
            self.anchor_W, self.anchor_b = self.W, self.b
            self.steps_since_edit = 0
            if change["name"] == "loss":  # another loss: a new curve, as on the page
                self.curve = [[self.steps, loss]]
            elif self.curve and self.curve[-1] != [self.steps, loss]:
                self.curve = [*self.curve, [self.steps, loss]]

    @traitlets.validate("optimizer")
    def _valid_optimizer(self, proposal):
        if proposal["value"] not in OPTIMIZER_CHOICES:
            self._refuse("optimizer", proposal["value"], f"one of {list(OPTIMIZER_CHOICES)}")
        return proposal["value"]

    @traitlets.observe("optimizer")
    def _optimizer_from_python(self, change):
        """A rule chosen in Python is an edit, as on the page: the replay starts here, with
        the rule's state at zero."""
        if change["name"] in self._property_lock or not self.W:
            return
        with self.hold_sync():
            self.anchor_W, self.anchor_b = self.W, self.b
            self.steps_since_edit = 0
            self.optimizer_state = zero_state(self.W, self.b, self.optimizer)

    def network(self, W=None, b=None) -> Network:
        """A library :class:`~backprop_lib.Network` with the widget's activations and loss
        and the given weights (default: the current ones)."""
        W = self.W if W is None else W
        b = self.b if b is None else b
        layers = [
            Dense.from_arrays(np.array(Wl, dtype=np.float64), np.array(bl, dtype=np.float64), name)
            for Wl, bl, name in zip(W, b, self.activations, strict=True)
        ]
        return Network(layers, self.loss)

    def verify(self, rtol: float = 1e-12) -> int:
        r"""Replay the steps since the last edit with ``backprop_lib`` and assert that the
        weights, biases and loss the browser computed are the library's (``rtol``).

        From ``anchor_W``/``anchor_b``, ``steps_since_edit`` times ``Network.backward(x, t)``
        then ``Network.step(lr)``; each array to ``rtol``, plus ``1e-14`` times its largest
        entry (at least 1) for entries that cancel to near 0. Returns the number of steps
        checked. Raises
        ``AssertionError`` naming the first array that differs."""
        net = self.network(self.anchor_W, self.anchor_b)
        X, T = np.array([self.x]), np.array([self.t])
        if self.optimizer != "sgd":  # the rule's steps: fit on the one sample
            self._verify_optimizer(net, X, T, rtol)
        for _ in range(self.steps_since_edit if self.optimizer == "sgd" else 0):
            net.backward(X, T)
            net.step(self.lr)
        for k, (layer, Wl, bl) in enumerate(zip(net.layers, self.W, self.b, strict=True), 1):
            for name, got, want in (("W", Wl, layer.W), ("b", bl, layer.b)):
                # an entry that cancels to near 0 keeps the rounding of the larger numbers
                # it came from: allow 1e-14 of the array's largest entry (at least 1)
                atol = 1e-14 * max(1.0, float(np.abs(want).max()))
                np.testing.assert_allclose(
                    np.array(got),
                    want,
                    rtol=rtol,
                    atol=atol,
                    err_msg=f"{name}^{k} differs from backprop_lib's",
                )
        loss = net.loss(X, T)
        np.testing.assert_allclose(
            self.curve[-1][1], loss, rtol=rtol, err_msg="the loss differs from backprop_lib's"
        )
        return self.steps_since_edit

    def _verify_optimizer(self, net: Network, X, T, rtol: float) -> None:
        r"""Take ``steps_since_edit`` steps of the chosen rule on ``net`` with
        ``Network.fit(..., optimizer=...)`` (one sample, so one step per epoch) and assert
        that the browser's optimizer state is the library optimizer's (``rtol``)."""
        opt = library_optimizer(self.optimizer, self.lr)
        if self.steps_since_edit:
            net.fit(X, T, epochs=self.steps_since_edit, batch_size=1, optimizer=opt, rng=0)
        state = self.optimizer_state
        assert state["t"] == opt.t, f"the browser took {state['t']} steps, the library {opt.t}"
        for js_name, lib_name in STATE_NAMES[self.optimizer].items():
            for k in range(len(net.layers)):
                for kind, index in (("W", 2 * k), ("b", 2 * k + 1)):
                    want = opt.state[index][lib_name]
                    np.testing.assert_allclose(
                        np.array(state[kind][js_name][k]),
                        want,
                        rtol=rtol,
                        atol=1e-14 * max(1.0, float(np.abs(want).max())),
                        err_msg=f"{js_name} of {kind}^{k + 1} differs from backprop_lib's",
                    )
