r"""The training chapter's retrain panel for pages without a kernel: a precomputed grid.

:func:`precompute_grid` trains the digits network
(:func:`~backprop_lib.teaching.training_run.train_digits`) once for every combination of a
few learning rates, hidden-layer sizes and batch sizes, for ``max(epochs)`` epochs, and
keeps what the page shows: the per-epoch training and validation
loss and accuracy (``History``, entry 0 before training) and pictures of :math:`W^1` after
each of the offered epoch counts. A run of fewer epochs is the beginning of the longest run
(one seeded generator draws the weights and then shuffles every epoch), so one run per
(rate, hidden units, batch) serves every epoch count.

:class:`RetrainGridWidget` (an anywidget) shows one run of the grid at a time: its menus
choose the settings, and the page draws that run's curves, its figures after the chosen
number of epochs and its :math:`W^1`, in JavaScript (``retrain.js``), with no kernel. It says
on the page that the grid is precomputed. Test hook: ``window.backpropRetrainPanels[k]
.state()``.
"""

from __future__ import annotations

import base64
import io
import itertools
import time
from pathlib import Path

import anywidget
import numpy as np
import traitlets
from PIL import Image

from .._validate import check_positive_int, describe
from ..teaching.training_run import WEIGHT_CMAP as _WEIGHT_CMAP
from ..teaching.training_run import train_digits, weight_mosaic

_VIEW = Path(__file__).with_name("retrain.js")


def js_number(x) -> str:
    r"""``x`` as JavaScript's ``String(x)`` writes a number: the shortest digits that read
    back as the same float64, positional for :math:`10^{-6} \le |x| < 10^{21}`
    (``0.00001``, ``2``, ``0.5``), else exponential (``1e-7``, ``1.5e+21``). The page builds
    a run's key with ``String``, so both sides name every run alike."""
    x = float(x)
    if x == 0:
        return "0"
    if 1e-6 <= abs(x) < 1e21:
        return np.format_float_positional(x, unique=True, trim="-")
    return np.format_float_scientific(x, unique=True, trim="-", exp_digits=1)


def key(lr, n_hidden, batch_size) -> str:
    """The grid's name of a run: ``"lr|n_hidden|batch_size"``, e.g. ``"2|64|16"``, with
    ``lr`` written as JavaScript writes it (:func:`js_number`: ``1e-5`` is ``"0.00001"``),
    as ``retrain.js`` builds the key."""
    return f"{js_number(lr)}|{int(n_hidden)}|{int(batch_size)}"


def weights_png(W, image_shape, scale: int = 3) -> str:
    r""":math:`W^1` (``(n_0, n_hidden)``) as a mosaic of one tile per hidden unit, red for
    positive and blue for negative weights on a scale symmetric about 0, as a PNG data URI
    (each pixel ``scale`` times enlarged)."""
    mosaic = weight_mosaic(W, image_shape)
    vmax = float(np.nanmax(np.abs(mosaic))) or 1.0
    rgba = _WEIGHT_CMAP((mosaic / vmax + 1.0) / 2.0, bytes=True)
    rgba = rgba.repeat(scale, axis=0).repeat(scale, axis=1)
    buffer = io.BytesIO()
    # zlib's default level: the same pixels, 2 % more bytes than optimize=True, 9 times faster
    # (the chapter's grid encodes 36 of these when the page is built)
    Image.fromarray(rgba[..., :3]).save(buffer, format="PNG", compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def precompute_grid(
    X_fit, T_fit, X_val, T_val, image_shape, *, lrs, hidden_units, batch_sizes, epochs, seed=0
) -> dict:
    r"""Train every combination of ``lrs`` × ``hidden_units`` × ``batch_sizes`` for
    ``max(epochs)`` epochs with ``train_digits`` (seed ``seed``).

    Returns ``{"lrs", "hidden_units", "batch_sizes", "epochs", "seed", "n_fit", "n_val",
    "seconds", "runs"}``; ``runs[key(lr, n_hidden, batch)]`` holds the lists ``loss``,
    ``accuracy``, ``val_loss``, ``val_accuracy`` (one entry per epoch, entry 0 before
    training) and ``weights`` (``{str(e): PNG data URI of W^1 after epoch e}`` for each
    ``e`` in ``epochs``). A run that diverges (``FloatingPointError``) is stored as
    ``{"error": message}``.
    """
    where = "precompute_grid"
    epochs = sorted({check_positive_int(e, "epochs[...]", where) for e in epochs})
    for name, values in (
        ("lrs", lrs),
        ("hidden_units", hidden_units),
        ("batch_sizes", batch_sizes),
    ):
        if isinstance(values, str) or len(values) == 0:
            raise ValueError(f"{where}: {name} must be a non-empty list; got {describe(values)}.")
    start = time.perf_counter()
    runs = {}
    for lr, n_hidden, batch in itertools.product(lrs, hidden_units, batch_sizes):
        try:
            run = train_digits(
                X_fit,
                T_fit,
                X_val,
                T_val,
                n_hidden=n_hidden,
                lr=lr,
                batch_size=batch,
                epochs=epochs[-1],
                seed=seed,
            )
        except FloatingPointError as err:
            runs[key(lr, n_hidden, batch)] = {"error": str(err)}
            continue
        h = run.history
        runs[key(lr, n_hidden, batch)] = {
            "loss": [float(v) for v in h.loss],
            "accuracy": [float(v) for v in h.accuracy],
            "val_loss": [float(v) for v in h.val_loss],
            "val_accuracy": [float(v) for v in h.val_accuracy],
            "weights": {str(e): weights_png(run.weights[e], image_shape) for e in epochs},
        }
    return {
        "lrs": [float(v) for v in lrs],
        "hidden_units": [int(v) for v in hidden_units],
        "batch_sizes": [int(v) for v in batch_sizes],
        "epochs": epochs,
        "seed": seed,
        "n_fit": int(len(X_fit)),
        "n_val": int(len(X_val)),
        "seconds": time.perf_counter() - start,
        "runs": runs,
    }


_CSS = """
.bp-retrain { font-size: 0.9rem; max-width: 100%; }
.bp-retrain .bp-retrain-controls { display: flex; flex-wrap: wrap; gap: 4px 16px; }
.bp-retrain .bp-row { display: flex; gap: 6px; align-items: center; }
.bp-retrain .bp-retrain-pictures { display: flex; flex-wrap: wrap; gap: 8px; }
.bp-retrain .bp-plot { flex: 1 1 240px; max-width: 300px; }
.bp-retrain svg text { font-family: sans-serif; font-size: 10px; fill: #222; }
.bp-retrain .bp-weights-figure { flex: 1 1 200px; margin: 0; }
.bp-retrain .bp-weights { max-width: 100%; image-rendering: pixelated; }
.bp-retrain .bp-note { font-size: 0.8rem; color: #555; margin: 4px 0; }
"""


class RetrainGridWidget(anywidget.AnyWidget):
    r"""Choose a learning rate, hidden units, batch size and epochs; see that precomputed
    run. ``grid``: the result of :func:`precompute_grid`; ``lr``, ``n_hidden``,
    ``batch_size``, ``epochs``: the run shown first (values of the grid)."""

    _esm = traitlets.Unicode(_VIEW.read_text(encoding="utf-8")).tag(sync=True)
    _css = traitlets.Unicode(_CSS).tag(sync=True)
    grid = traitlets.Dict().tag(sync=True)
    lr = traitlets.Float().tag(sync=True)
    n_hidden = traitlets.Int().tag(sync=True)
    batch_size = traitlets.Int().tag(sync=True)
    epochs = traitlets.Int().tag(sync=True)

    def __init__(self, grid: dict, *, lr, n_hidden, batch_size, epochs):
        where = "RetrainGridWidget"
        fields = ("lrs", "hidden_units", "batch_sizes", "epochs", "runs")
        if not isinstance(grid, dict) or any(f not in grid for f in fields):
            raise TypeError(
                f"{where}: grid must be the dict precompute_grid returns, with the keys "
                f"{', '.join(map(repr, fields))}; got {describe(grid)}."
            )
        for name, value, options in (
            ("lr", lr, grid["lrs"]),
            ("n_hidden", n_hidden, grid["hidden_units"]),
            ("batch_size", batch_size, grid["batch_sizes"]),
            ("epochs", epochs, grid["epochs"]),
        ):
            if value not in options:
                raise ValueError(f"{where}: {name} must be one of {options}; got {value!r}.")
        missing = [
            key(*combination)
            for combination in itertools.product(
                grid["lrs"], grid["hidden_units"], grid["batch_sizes"]
            )
            if key(*combination) not in grid["runs"]
        ]
        if missing:
            raise ValueError(
                f"{where}: grid['runs'] has no run for {', '.join(map(repr, missing[:3]))}"
                f"{' and more' if len(missing) > 3 else ''} (keys lr|n_hidden|batch_size, "
                f"as precompute_grid writes them); it has {sorted(grid['runs'])[:6]}."
            )
        super().__init__(
            grid=grid,
            lr=float(lr),
            n_hidden=int(n_hidden),
            batch_size=int(batch_size),
            epochs=int(epochs),
        )

    def run(self) -> dict:
        """The run shown: ``grid["runs"][key(lr, n_hidden, batch_size)]``."""
        return self.grid["runs"][key(self.lr, self.n_hidden, self.batch_size)]
