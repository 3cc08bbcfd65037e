r"""The book's widgets: one explorer per idea, each an anywidget computing in the browser.

Extra: ``pip install 'backprop_lib[widgets]'`` (ipywidgets, anywidget, matplotlib, Pillow,
sympy). ``import backprop_lib`` does not import this subpackage; without the extra,
importing it raises an ``ImportError`` that names what is missing. What is not a widget
(the pair verdicts and agreement, the training chapter's run and pictures) lives in
:mod:`backprop_lib.teaching`, so nothing outside this subpackage imports ipywidgets.

``explorer/``
    The weight-update explorer: ``ExplorerModel`` (pure numpy), its picture and formulas,
    ``formula_scrubber`` (precomputed panels for static pages) and ``ExplorerWidget`` (an
    anywidget computing in the browser: ``engine.js``, ``explorer.js``, ``explorer.css``).
``pair_live``
    ``PairWidget``, the pair explorer (anywidget; ``pair_explorer.js``).
``retrain_live``
    ``RetrainGridWidget``, the training chapter's retrain panel (anywidget; ``retrain.js``).

Import each by its path, e.g. ``from backprop_lib.widgets.pair_live import PairWidget``. The
modules are looked up here, not imported, so ``from backprop_lib.widgets.explorer import
ExplorerModel`` still imports neither ipywidgets nor matplotlib.
"""

from .._extras import require

require(
    "backprop_lib.widgets",
    "widgets",
    {
        "ipywidgets": "ipywidgets",
        "anywidget": "anywidget",
        "matplotlib": "matplotlib",
        "PIL": "pillow",
        "sympy": "sympy",
    },
)
del require
