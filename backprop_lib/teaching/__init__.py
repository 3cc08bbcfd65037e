r"""Teaching props: data for the chapters, and networks with planted mistakes.

Needs numpy alone; :func:`~backprop_lib.teaching.datasets.load_digits` also needs
scikit-learn, which ships the digits (``pip install 'backprop_lib[teaching]'``).
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
"""
