r"""The weight-update explorer as ipywidgets 8: controls, the picture, the formula panel.

:class:`WeightUpdateExplorer` is an ``ipywidgets.VBox``: display it (it is the last
expression of a cell, or ``display(explorer)``). Its controls call
:class:`~backprop_lib.widgets.explorer.model.ExplorerModel`; the picture comes from
:class:`~backprop_lib.widgets.explorer.view.NetworkView` and the formulas from
:mod:`~backprop_lib.widgets.explorer.formulas`. Nothing here computes a number of the maths.

Python callbacks need a live kernel (JupyterLab, Binder). On a static page the widgets
render from their saved state and show the picture and the formulas of the moment the page
was built, but moving a control changes nothing there. :func:`formula_scrubber` is built
for static pages: a slider linked in the browser (``ipywidgets.jslink``) flips through
precomputed formula panels with no kernel at all.
"""

from __future__ import annotations

import html
import math
from contextlib import contextmanager

import ipywidgets as widgets

from ...activations import ACTIVATION_NAMES
from ...losses import LOSS_NAMES
from . import formulas
from .model import (
    ExplorerModel,
    Parameter,
    Snapshot,
    Unit,
    check_parameter,
    check_unit,
    layer_name,
    subscript,
)
from .view import NetworkView

_ERROR_STYLE = "color: #b00020"


def unit_options(sizes) -> list[tuple[str, Unit]]:
    """Dropdown options for the δ panel: every hidden unit, then every output unit."""
    L = len(sizes) - 1
    return [
        (f"{layer_name(layer, L)} unit {i}", Unit(layer, i))
        for layer in range(1, L + 1)
        for i in range(1, sizes[layer] + 1)
    ]


class WeightUpdateExplorer(widgets.VBox):
    r"""Watch gradient descent change every weight of a small network, one step at a time.

    Parameters
    ----------
    model : ExplorerModel, optional
        The state to explore; by default ``ExplorerModel(**model_options)`` (a 2-2-2
        sigmoid network with squared error, ``x = (1, 0.5)``, ``t = (1, 0)``, ``η = 0.5``).
    parameter : Parameter, optional
        The weight shown in the formula panel at first (default: :math:`w^L_{11}`).
    unit : Unit, optional
        The unit whose δ the panel shows at first (default: hidden unit 1 of layer 1).
    max_steps : int
        How far the Play button counts.
    interval : int
        Milliseconds between two steps while playing.
    figsize, dpi
        Of the picture (``figsize=None``: as tall as the network needs).

    Attributes (the controls, for scripts and tests)
    ------------------------------------------------
    input_sliders, target_sliders, activation_dropdowns (one per layer), loss_dropdown,
    lr_slider, parameter_dropdown, value_slider, unit_dropdown, step_button, reset_button,
    play, image, formula_panel, message.
    """

    def __init__(
        self,
        model: ExplorerModel | None = None,
        *,
        parameter: Parameter | None = None,
        unit: Unit | None = None,
        max_steps: int = 500,
        interval: int = 300,
        figsize=None,
        dpi=80,
        **model_options,
    ):
        if model is None:
            model = ExplorerModel(**model_options)
        elif model_options:
            raise TypeError(
                f"WeightUpdateExplorer: pass either a model or model options, not both; got "
                f"model and {sorted(model_options)}."
            )
        if not isinstance(model, ExplorerModel):
            raise TypeError(
                f"WeightUpdateExplorer: model must be an ExplorerModel; got {type(model).__name__}."
            )
        self.model = model
        self.view = NetworkView(model.sizes, figsize=figsize, dpi=dpi)
        self._syncing = False
        sizes, L = model.sizes, model.n_layers
        parameters = model.parameters()
        if parameter is None:
            parameter = Parameter("w", L, 1, 1)
        if unit is None:
            unit = Unit(1, 1)
        check_parameter(parameter, sizes, "WeightUpdateExplorer: parameter")
        check_unit(unit, sizes, hidden=False, where="WeightUpdateExplorer: unit")
        units = unit_options(sizes)
        snapshot = model.snapshot()
        narrow = widgets.Layout(width="280px")
        style = {"description_width": "80px"}

        def slider(value, low, high, description):
            low, high = min(low, value), max(high, value)
            return widgets.FloatSlider(
                value=value,
                min=low,
                max=high,
                step=0.05,
                description=description,
                continuous_update=False,
                readout_format=".2f",
                layout=narrow,
                style=style,
            )

        self.input_sliders = [
            slider(float(v), -2.0, 2.0, f"input x{subscript(j)}")
            for j, v in enumerate(snapshot.x, start=1)
        ]
        self.target_sliders = [
            slider(float(v), -1.0, 1.0, f"target t{subscript(i)}")
            for i, v in enumerate(snapshot.t, start=1)
        ]
        self.activation_dropdowns = [
            widgets.Dropdown(
                options=list(ACTIVATION_NAMES),
                value=name,
                layout=narrow,
                style=style,
                description=f"{layer_name(layer, L)} f",
            )
            for layer, name in enumerate(model.activations, start=1)
        ]
        self.loss_dropdown = widgets.Dropdown(
            options=list(LOSS_NAMES),
            value=model.loss_name,
            description="loss E",
            layout=narrow,
            style=style,
        )
        # The exponent range must hold the model's rate, or the slider would show a clipped
        # value (31.6 for a model training at 1e3).
        exponent = math.log10(model.lr)
        self.lr_slider = widgets.FloatLogSlider(
            value=model.lr,
            base=10,
            min=min(-3.0, math.floor(exponent)),
            max=max(1.5, math.ceil(exponent)),
            step=0.05,
            description="rate η",
            readout_format=".3g",
            continuous_update=False,
            layout=narrow,
            style=style,
        )
        self.step_button = widgets.Button(
            description="Step",
            icon="step-forward",
            button_style="primary",
            tooltip="one gradient step",
        )
        self.reset_button = widgets.Button(
            description="Reset", icon="undo", tooltip="back to the seeded start weights"
        )
        self.play = widgets.Play(
            value=0, min=0, max=max_steps, step=1, interval=interval, show_repeat=False
        )
        self.parameter_dropdown = widgets.Dropdown(
            options=[(p.describe(L), p) for p in parameters],
            value=parameter,
            description="parameter",
            layout=widgets.Layout(width="330px"),
            style=style,
        )
        self.value_slider = widgets.FloatSlider(
            value=model.value(parameter),
            min=-4.0,
            max=4.0,
            step=0.01,
            description="value",
            continuous_update=False,
            readout_format=".3f",
            layout=widgets.Layout(width="330px"),
            style=style,
        )
        self.unit_dropdown = widgets.Dropdown(
            options=units,
            value=unit,
            description="δ of",
            layout=widgets.Layout(width="330px"),
            style=style,
        )
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.formula_panel = widgets.HTMLMath(layout=widgets.Layout(min_width="420px"))
        self.message = widgets.HTML()

        for s in self.input_sliders:
            s.observe(self._on_inputs, "value")
        for s in self.target_sliders:
            s.observe(self._on_targets, "value")
        for layer, dropdown in enumerate(self.activation_dropdowns, start=1):
            dropdown.observe(
                lambda change, layer=layer: self._on_activation(layer, change), "value"
            )
        self.loss_dropdown.observe(self._on_loss, "value")
        self.lr_slider.observe(self._on_lr, "value")
        self.parameter_dropdown.observe(self._on_choice, "value")
        self.unit_dropdown.observe(self._on_choice, "value")
        self.value_slider.observe(self._on_value, "value")
        self.step_button.on_click(lambda _: self.step())
        self.reset_button.on_click(lambda _: self.reset())
        self.play.observe(self._on_play, "value")

        def box(title, children):
            return widgets.VBox([widgets.HTML(f"<b>{title}</b>"), *children])

        controls = widgets.VBox(
            [
                box("Data", self.input_sliders + self.target_sliders),
                box("Network", self.activation_dropdowns + [self.loss_dropdown]),
                box(
                    "Gradient descent",
                    [
                        self.lr_slider,
                        widgets.HBox([self.step_button, self.reset_button]),
                        widgets.HBox([widgets.Label("play:"), self.play]),
                    ],
                ),
            ],
            layout=widgets.Layout(width="300px", margin="0 12px 0 0"),
        )
        formulas_box = widgets.VBox(
            [
                box("Formulas", [self.parameter_dropdown, self.value_slider, self.unit_dropdown]),
                self.formula_panel,
            ],
            layout=widgets.Layout(flex="1 1 420px"),
        )
        super().__init__(
            [
                self.image,
                self.message,
                # Side by side where there is room, one below the other on a narrow page.
                widgets.HBox([controls, formulas_box], layout=widgets.Layout(flex_flow="row wrap")),
            ]
        )
        self.refresh()

    # -- actions ---------------------------------------------------------------------------

    def step(self, n: int = 1) -> bool:
        """Take ``n`` gradient steps and redraw. On overflow show why, stop playing and
        return False."""
        try:
            self.model.step(n)
        except FloatingPointError as err:
            self.play.playing = False
            self._show_error(err)
            self.refresh(clear_message=False)
            return False
        self.refresh()
        return True

    def reset(self) -> None:
        """Back to the seeded start weights; stop playing."""
        with self._sync():
            self.play.playing = False
            self.play.value = 0
        self.model.reset()
        self.refresh()

    def refresh(self, clear_message: bool = True) -> None:
        """Redraw the picture and the formulas from the model."""
        snapshot = self.model.snapshot()
        parameter, unit = self.parameter_dropdown.value, self.unit_dropdown.value
        self.view.highlight(parameter, unit)
        self.view.draw(snapshot)
        self.image.value = self.view.png()
        self.formula_panel.value = formulas.panel_html(snapshot, parameter, unit)
        with self._sync():
            value = snapshot.value(parameter)
            self.value_slider.min = min(self.value_slider.min, value)
            self.value_slider.max = max(self.value_slider.max, value)
            self.value_slider.value = value
        if clear_message:
            self.message.value = ""

    @property
    def snapshot(self) -> Snapshot:
        """The model's current :class:`Snapshot`."""
        return self.model.snapshot()

    # -- callbacks -------------------------------------------------------------------------

    @contextmanager
    def _sync(self):
        """Set controls from the model without their callbacks acting on the model."""
        previous, self._syncing = self._syncing, True
        try:
            yield
        finally:
            self._syncing = previous

    def _show_error(self, err: Exception) -> None:
        self.message.value = f'<span style="{_ERROR_STYLE}">Refused: {html.escape(str(err))}</span>'

    def _apply(self, change, action) -> None:
        """Run ``action``; if the library refuses, show its message and set the control that
        fired back to ``change['old']`` (the model is unchanged)."""
        if self._syncing:
            return
        try:
            action()
        except (ValueError, TypeError) as err:
            with self._sync():
                change["owner"].value = change["old"]
            self._show_error(err)
            return
        self.refresh()

    def _on_inputs(self, change) -> None:
        self._apply(change, lambda: self.model.set_inputs([s.value for s in self.input_sliders]))

    def _on_targets(self, change) -> None:
        self._apply(change, lambda: self.model.set_targets([s.value for s in self.target_sliders]))

    def _on_activation(self, layer: int, change) -> None:
        self._apply(change, lambda: self.model.set_activation(layer, change["new"]))

    def _on_loss(self, change) -> None:
        self._apply(change, lambda: self.model.set_loss(change["new"]))

    def _on_lr(self, change) -> None:
        self._apply(change, lambda: self.model.set_lr(change["new"]))

    def _on_value(self, change) -> None:
        parameter = self.parameter_dropdown.value
        self._apply(change, lambda: self.model.set_parameter(parameter, float(change["new"])))

    def _on_choice(self, change) -> None:
        if not self._syncing:
            self.refresh(clear_message=False)

    def _on_play(self, change) -> None:
        if self._syncing:
            return
        n = change["new"] - change["old"]
        if n > 0:  # the stop button sets the counter back to 0: no step then
            self.step(n)


def formula_scrubber(snapshots, parameter: Parameter, unit: Unit):
    r"""Precomputed formula panels of a run, flipped through in the browser with no kernel.

    One ``HTMLMath`` panel per snapshot in an ``ipywidgets.Stack``; an ``IntSlider`` picks
    the panel through ``ipywidgets.jslink``, which runs in the browser, so it works on a
    static page. (No ``Play`` button here: the widget manager of static pages,
    ``@jupyter-widgets/html-manager`` 1.0, raises a JavaScript error when a ``Play`` is
    pressed or moved by a link.) Returns a ``VBox`` whose ``link`` attribute is the
    :class:`ipywidgets.Link`.
    """
    snapshots = list(snapshots)
    if not snapshots or not all(isinstance(s, Snapshot) for s in snapshots):
        raise TypeError("formula_scrubber: snapshots must be a non-empty list of Snapshot objects.")
    check_parameter(parameter, snapshots[0].sizes, "formula_scrubber: parameter")
    check_unit(unit, snapshots[0].sizes, hidden=False, where="formula_scrubber: unit")
    panels = [
        widgets.HTMLMath(
            f"<p><i>Snapshot {k + 1} of {len(snapshots)}, after step {s.step}.</i></p>"
            + formulas.panel_html(s, parameter, unit)
        )
        for k, s in enumerate(snapshots)
    ]
    stack = widgets.Stack(panels, selected_index=0)
    slider = widgets.IntSlider(
        value=0,
        min=0,
        max=len(snapshots) - 1,
        description="snapshot",
        layout=widgets.Layout(width="420px"),
    )
    scrubber = widgets.VBox([slider, stack])
    scrubber.link = widgets.jslink((slider, "value"), (stack, "selected_index"))
    return scrubber
