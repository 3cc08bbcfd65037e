r"""Precomputed formula panels of a run, flipped through in the browser with no kernel.

:func:`formula_scrubber` is built for static pages: a slider linked in the browser
(``ipywidgets.jslink``) flips through formula panels
(:mod:`~backprop_lib.widgets.explorer.formulas`) precomputed from
:class:`~backprop_lib.widgets.explorer.model.Snapshot` objects. The interactive explorer
itself is :class:`~backprop_lib.widgets.explorer.live.ExplorerWidget`.
"""

from __future__ import annotations

import ipywidgets as widgets

from . import formulas
from .model import Parameter, Snapshot, Unit, check_parameter, check_unit


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
