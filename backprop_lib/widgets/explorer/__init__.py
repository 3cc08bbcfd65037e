r"""The weight-update explorer: watch gradient descent change every weight of a small network.

Import it explicitly (``import backprop_lib`` does not: it needs anywidget, ipywidgets,
matplotlib and Pillow, which the library itself does not)::

    from backprop_lib.widgets.explorer import ExplorerWidget

    ExplorerWidget()   # a 2-2-2 sigmoid network, squared error, one sample

The parts, each importable on its own:

``model``
    :class:`ExplorerModel` (the state: a :class:`~backprop_lib.Network`, one sample
    :math:`(x, t)`, the learning rate; Step = ``Network.backward`` + ``Network.step``),
    :class:`Snapshot` (copies of the library's numbers at one moment), :class:`Parameter`,
    :class:`Unit`. Pure numpy: no drawing, no widgets.
``formulas``
    The update :math:`\Delta w^l_{ji} = -\eta\,\delta^l_i\,o^{l-1}_j` and the δ recursion as
    LaTeX with a snapshot's numbers substituted.
``view``
    :class:`NetworkView` (matplotlib + Pillow picture, redrawn in milliseconds) and
    :func:`training_animation_html` (a kernel-free JavaScript animation of a run).
``live``
    :class:`ExplorerWidget` (an anywidget): the explorer computing in the browser, in
    JavaScript (``engine.js``, ``explorer.js``), so it works on a static page with no kernel;
    in a kernel it syncs its state to Python and :meth:`~ExplorerWidget.verify` checks it.
``paths_live``
    :class:`PathsWidget` (an anywidget): the paths of gradient descent, momentum and Adam on
    the loss surface of one linear unit, computed in the browser (``paths.js``), with a
    learning-rate slider per rule.
``scrubber``
    :func:`formula_scrubber` (panels flipped by ``jslink``-ed controls, for static pages).
``tables``
    ``engine_source()``: the browser engine as every explorer's widget sends it, its
    activation and loss tables printed from the sympy side (sympy's ``JavascriptCodePrinter``)
    before ``engine.js``.

The names below are imported on first use, so ``from backprop_lib.widgets.explorer import
ExplorerModel`` does not import ipywidgets or matplotlib.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "ExplorerModel": "model",
    "Snapshot": "model",
    "Parameter": "model",
    "Unit": "model",
    "UpdateTerms": "model",
    "DeltaTerms": "model",
    "OutputDeltaTerms": "model",
    "NetworkView": "view",
    "training_animation_html": "view",
    "ExplorerWidget": "live",
    "PathsWidget": "paths_live",
    "formula_scrubber": "scrubber",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
