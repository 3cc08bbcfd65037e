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

    One ``HTMLMath`` panel per snapshot in an ``ipywidgets.Stack``; a slider picks
    the panel through ``ipywidgets.jslink``, which runs in the browser, so it works on a
    static page. (No ``Play`` button here: the widget manager of static pages,
    ``@jupyter-widgets/html-manager`` 1.0, raises a JavaScript error when a ``Play`` is
    pressed or moved by a link.) One numbering, the steps: the slider
    (``SelectionSlider``, its ``index`` linked to the stack) reads "after step k" and the
    panel it shows begins "After step k". Returns a ``VBox`` whose ``link`` attribute is
    the :class:`ipywidgets.Link`.
    """
    snapshots = list(snapshots)
    if not snapshots or not all(isinstance(s, Snapshot) for s in snapshots):
        raise TypeError("formula_scrubber: snapshots must be a non-empty list of Snapshot objects.")
    check_parameter(parameter, snapshots[0].sizes, "formula_scrubber: parameter")
    check_unit(unit, snapshots[0].sizes, hidden=False, where="formula_scrubber: unit")
    panels = [widgets.HTMLMath(formulas.panel_html(s, parameter, unit)) for s in snapshots]
    stack = widgets.Stack(panels, selected_index=0)
    # The slider picks a panel by its position (index) and reads the step the panel is after,
    # so the page numbers the run one way only: "after step k", on the slider and the panel.
    slider = widgets.SelectionSlider(
        options=[(str(s.step), k) for k, s in enumerate(snapshots)],
        index=0,
        description="after step",
        style={"description_width": "initial"},
        layout=widgets.Layout(width="420px", max_width="100%"),
    )
    scrubber = widgets.VBox([slider, stack])
    scrubber.link = widgets.jslink((slider, "index"), (stack, "selected_index"))
    return scrubber
