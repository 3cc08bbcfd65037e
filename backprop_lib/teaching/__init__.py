r"""Teaching props: data for the chapters, networks with planted mistakes, and the analyses
and runs the chapters show (no widgets: nothing here imports ipywidgets).

``datasets`` and ``bugs`` need numpy alone; :func:`~backprop_lib.teaching.datasets.load_digits`
also needs scikit-learn, which ships the digits (``pip install 'backprop_lib[teaching]'``).
``import backprop_lib`` does not import this subpackage, and this file imports none of its
modules: import each by its path.

``datasets``
    ``load_digits`` (scikit-learn's 8×8 digits, offline) and ``load_mnist`` (the 28×28 MNIST
    files, SHA-256 checked), both returning a ``DigitData``; ``one_hot``, ``parse_idx``,
    ``read_idx``. ``from backprop_lib.teaching.datasets import load_digits``.
``bugs``
    Seven typical mistakes of a backward pass, each one wrong piece (a ``Dense`` or a
    ``Pair`` subclass) planted into the library's one recursion: ``BUGS``, ``with_bug``,
    ``demo_problem``, ``train_demo``. ``from backprop_lib.teaching.bugs import with_bug``.
``pair_catalogue``
    The pairs chapter's analysis: ``PAIR_ADVICE`` and ``pair_verdict`` (what to think of
    each loss/activation pair), ``pair_agreement`` (δ four ways), ``probe_network``,
    ``catalogue_tabs``. Needs sympy (the ``symbolic`` extra).
``training_run``
    The training chapter's run and pictures: ``validation_split``, ``train_digits``,
    ``weight_mosaic``, ``plot_history``, ``plot_weights``, ``weights_animation_html``. Needs
    matplotlib (the ``widgets`` extra).
"""
