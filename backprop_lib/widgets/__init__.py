r"""The book's widgets: the explorers and the training chapter's panels.

Extra: ``pip install 'backprop_lib[widgets]'`` (ipywidgets, anywidget, matplotlib, Pillow,
sympy). ``import backprop_lib`` does not import this subpackage; without the extra,
importing it raises an ``ImportError`` that names what is missing.

``explorer/``
    The weight-update explorer: ``ExplorerModel`` (pure numpy), its picture and formulas,
    ``WeightUpdateExplorer`` (ipywidgets, a kernel) and ``ExplorerWidget`` (an anywidget
    computing in the browser: ``engine.js``, ``explorer.js``, ``explorer.css``).
``pair_explorer``
    Verdicts and the numeric agreement of every (activation, loss) pair, the catalogue and
    the ``PairExplorer`` widget (ipywidgets).
``pair_live``
    ``PairWidget``, the pair explorer of the static site (anywidget; ``pair_explorer.js``).
``training_view``
    The training chapter's run and pictures (``train_swinn``, ``plot_history``, ...) and
    the ``RetrainPanel`` widget.
``retrain_live``
    ``RetrainGridWidget``, the retrain panel of the static site (anywidget; ``retrain.js``).

Import each by its path, e.g. ``from backprop_lib.widgets.pair_explorer import
PairExplorer``. The modules are looked up here, not imported, so ``from
backprop_lib.widgets.explorer import ExplorerModel`` still imports neither ipywidgets nor
matplotlib.
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
