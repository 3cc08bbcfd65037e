r"""Training the book's network on digits: the run and its pictures.

The helpers of the chapter *Training a network on real digits*
(``book/training-digits.md``) and of its tests:

- :func:`validation_split` sets part of a training set aside to watch training with.
- :func:`train_digits` builds the digits network, :math:`n_0` inputs, ``n_hidden``
  sigmoid units and 10 softmax outputs with the cross-entropy, and trains it with
  :meth:`~backprop_lib.Network.fit`, keeping a copy of :math:`W^1` after every epoch.
- :func:`weight_mosaic` lays the columns of :math:`W^1` (one per hidden unit) out as images.
- :func:`plot_history`, :func:`plot_weights` draw a run; :func:`weights_animation_html` turns
  its epochs into a scrubbable JavaScript animation that needs no kernel.

The chapter's retrain panel, which shows a grid of such runs, is
:class:`~backprop_lib.widgets.retrain_live.RetrainGridWidget`.

Everything numerical comes from ``backprop_lib``; this module only runs and draws it.
``import backprop_lib`` does not import this module (it needs matplotlib, of the
``widgets`` extra); import it as ``from backprop_lib.teaching.training_run import
train_digits``.
"""

from __future__ import annotations

from .._extras import require

require("backprop_lib.teaching.training_run", "widgets", {"matplotlib": "matplotlib"})

import math  # noqa: E402  (after require: without matplotlib, an ImportError naming the extra)
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import matplotlib  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.animation import FuncAnimation  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.colors import SymLogNorm  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FormatStrFormatter  # noqa: E402

from .._validate import (  # noqa: E402
    as_float_array,
    as_generator,
    as_real_array,
    check_positive_float,
    check_positive_int,
    describe,
)
from ..network import History, Network  # noqa: E402

__all__ = [
    "TrainingRun",
    "WEIGHT_CMAP",
    "plot_history",
    "plot_weights",
    "train_digits",
    "validation_split",
    "weight_mosaic",
    "weights_animation_html",
]

#: The colour map of the weight pictures: blue negative, red positive, grey where undefined.
WEIGHT_CMAP = matplotlib.colormaps["RdBu_r"].with_extremes(bad="0.88")


def validation_split(X, T, fraction: float = 0.2, rng=0):
    r"""Split the rows of a training set in two: ``((X_fit, T_fit), (X_val, T_val))``.

    ``X`` has shape ``(N, n_0)`` and ``T`` ``(N, n_L)``. ``round(fraction * N)`` rows, drawn
    at random with ``rng`` (a seed or a Generator), form the validation set; the others are
    the rows to fit. Both parts keep the rows' original order and dtype. The validation rows
    are never trained on: they show how the network does on images it has not seen, while
    the test set stays untouched until the end.
    """
    where = "validation_split"
    X = as_real_array(X, "X", where, "(N, n_0)")
    T = as_real_array(T, "T", where, "(N, n_L)")
    if X.ndim != 2 or T.ndim != 2 or len(X) != len(T):
        raise ValueError(
            f"{where}: X and T must be 2-D with one row per sample; got shapes {X.shape} and "
            f"{T.shape}."
        )
    if isinstance(fraction, bool) or not isinstance(
        fraction, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"{where}: fraction must be a number in (0, 1); got {describe(fraction)}.")
    if not 0 < fraction < 1:  # also refuses NaN and inf
        raise ValueError(f"{where}: fraction must be in (0, 1); got {describe(fraction)}.")
    n_val = round(float(fraction) * len(X))
    if not 0 < n_val < len(X):
        raise ValueError(
            f"{where}: fraction={fraction} of {len(X)} rows gives {n_val} validation rows; "
            f"both parts need at least one row."
        )
    order = as_generator(rng, "rng", where).permutation(len(X))
    val = np.sort(order[:n_val])
    fit = np.sort(order[n_val:])
    return (X[fit], T[fit]), (X[val], T[val])


@dataclass
class TrainingRun:
    r"""One training run of the digits network.

    ``net``: the trained :class:`~backprop_lib.Network`. ``history``: its
    :class:`~backprop_lib.History` (``fit(..., evaluate=True)``: exact losses, entry 0
    before training). ``weights[e]``: a copy of the
    first layer's :math:`W^1`, shape ``(n_0, n_hidden)``, at the end of epoch ``e``
    (``weights[0]``: the initial weights), one per ``history.epoch``. ``seconds``: the
    wall-clock time of :meth:`~backprop_lib.Network.fit`.
    """

    net: Network
    history: History
    weights: list[np.ndarray]
    n_hidden: int
    lr: float
    batch_size: int
    epochs: int
    seed: int
    seconds: float

    def describe(self) -> str:
        """The settings and the result in one line, e.g. for a figure title."""
        h = self.history
        text = (
            f"η = {self.lr:g}, batch {self.batch_size}, {self.n_hidden} hidden units, "
            f"{h.epoch[-1]} epochs: training accuracy {h.accuracy[-1]:.1%}"
        )
        if h.val_accuracy:
            text += f", validation accuracy {h.val_accuracy[-1]:.1%}"
        return text


def train_digits(
    X_fit, T_fit, X_val, T_val, *, n_hidden=64, lr=1.0, batch_size=32, epochs=30, seed=0
) -> TrainingRun:
    r"""Build the digits network and train it by mini-batch gradient descent.

    The network is ``Network.from_sizes([n_0, n_hidden, 10], ["sigmoid", "softmax"],
    "cross_entropy")``: :math:`o^1 = \sigma(x W^1 + b^1)`, :math:`o^2 =
    \operatorname{softmax}(o^1 W^2 + b^2)`, :math:`E = -\frac1B \sum_n \sum_k t_{nk} \ln
    o^2_{nk}`. One generator, ``numpy.random.default_rng(seed)``, draws the initial weights
    and then shuffles the rows every epoch, so a seed fixes the whole run.
    :meth:`~backprop_lib.Network.fit` trains on ``X_fit`` ``(N, n_0)`` and one-hot ``T_fit``
    ``(N, 10)`` and records the loss and accuracy on ``(X_val, T_val)`` after every epoch;
    a callback keeps a copy of :math:`W^1` after every epoch.
    """
    where = "train_digits"
    n_hidden = check_positive_int(n_hidden, "n_hidden", where)
    lr = check_positive_float(lr, "lr", where)
    batch_size = check_positive_int(batch_size, "batch_size", where)
    epochs = check_positive_int(epochs, "epochs", where)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{where}: seed must be an int; got {describe(seed)}.")
    X_fit = np.asarray(X_fit)
    if X_fit.ndim != 2:
        raise ValueError(f"{where}: X_fit must have shape (N, n_0); got shape {X_fit.shape}.")
    rng = np.random.default_rng(seed)
    net = Network.from_sizes(
        [X_fit.shape[1], n_hidden, 10], ["sigmoid", "softmax"], "cross_entropy", rng=rng
    )
    weights = [net.layers[0].W.copy()]

    def keep_weights(net: Network, history: History) -> bool:
        weights.append(net.layers[0].W.copy())
        return False  # never stop early

    start = time.perf_counter()
    history = net.fit(
        X_fit,
        T_fit,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        rng=rng,
        callback=keep_weights,
        validation_data=(X_val, T_val),
        evaluate=True,
    )
    seconds = time.perf_counter() - start
    return TrainingRun(net, history, weights, n_hidden, lr, batch_size, epochs, int(seed), seconds)


def weight_mosaic(W, image_shape, n_columns: int | None = None, pad: int = 1) -> np.ndarray:
    r"""The columns of ``W`` as images, tiled in a grid; the gaps are NaN.

    ``W`` ``(n_0, n_hidden)``: column :math:`i` holds the weights :math:`w^1_{ji}` from every
    pixel :math:`j` to hidden unit :math:`i`; reshaped to ``image_shape`` ``(h, w)`` (with
    ``h * w == n_0``) it is the picture the unit responds to. Unit :math:`i` goes to grid row
    ``i // n_columns`` and column ``i % n_columns``, ``n_columns`` defaulting to
    :math:`\lceil \sqrt{n_\text{hidden}} \rceil`, with ``pad`` NaN pixels between tiles.
    Returns shape ``(rows * (h + pad) - pad, n_columns * (w + pad) - pad)``; empty tiles
    after the last unit are NaN.
    """
    where = "weight_mosaic"
    W = as_float_array(W, "W", where, "(n_0, n_hidden)")  # real and finite, or refused
    W = W.astype(np.float64, copy=False)
    if W.ndim != 2:
        raise ValueError(f"{where}: W must have shape (n_0, n_hidden); got shape {W.shape}.")
    if (
        not isinstance(image_shape, (tuple, list))
        or len(image_shape) != 2
        or not all(isinstance(n, (int, np.integer)) and n > 0 for n in image_shape)
    ):
        raise ValueError(f"{where}: image_shape must be (height, width); got {image_shape!r}.")
    height, width = (int(n) for n in image_shape)
    if height * width != W.shape[0]:
        raise ValueError(
            f"{where}: image_shape {image_shape} holds {height * width} pixels but W has "
            f"{W.shape[0]} rows (one per input pixel)."
        )
    n_units = W.shape[1]
    if n_columns is None:
        n_columns = math.ceil(math.sqrt(n_units))
    n_columns = check_positive_int(n_columns, "n_columns", where)
    if isinstance(pad, bool) or not isinstance(pad, (int, np.integer)) or pad < 0:
        raise ValueError(f"{where}: pad must be an int >= 0; got {pad!r}.")
    n_rows = math.ceil(n_units / n_columns)
    mosaic = np.full((n_rows * (height + pad) - pad, n_columns * (width + pad) - pad), np.nan)
    for unit in range(n_units):
        top = (unit // n_columns) * (height + pad)
        left = (unit % n_columns) * (width + pad)
        mosaic[top : top + height, left : left + width] = W[:, unit].reshape(height, width)
    return mosaic


def plot_history(history: History, ax_loss, ax_accuracy) -> None:
    r"""Draw a training curve: the loss :math:`E` and the accuracy per epoch, on the fitted
    rows and (if recorded) the validation rows."""
    ax_loss.plot(history.epoch, history.loss, color="C0", label="training")
    ax_accuracy.plot(history.epoch, history.accuracy, color="C0", label="training")
    if history.val_loss:
        ax_loss.plot(history.epoch, history.val_loss, color="C1", label="validation")
        ax_accuracy.plot(history.epoch, history.val_accuracy, color="C1", label="validation")
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss $E$ (cross-entropy)")
    ax_accuracy.set_xlabel("epoch")
    ax_accuracy.set_ylabel("accuracy")
    ax_accuracy.set_ylim(0.0, 1.02)
    for ax in (ax_loss, ax_accuracy):
        ax.grid(alpha=0.3)
        ax.legend()


def plot_weights(ax, W, image_shape, vmax: float | None = None):
    r"""Show :func:`weight_mosaic` of ``W`` on ``ax``: red where a pixel's ink raises the unit's
    sum, blue where it lowers it, on a colour scale symmetric about 0 (``vmax``: its end,
    default the largest :math:`|w|`). Returns the image (for a colour bar)."""
    mosaic = weight_mosaic(W, image_shape)
    if vmax is None:
        vmax = float(np.nanmax(np.abs(mosaic)))
    image = ax.imshow(mosaic, cmap=WEIGHT_CMAP, vmin=-vmax, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    return image


def weights_animation_html(
    run: TrainingRun,
    image_shape,
    *,
    epochs=None,
    change=True,
    dpi: int = 60,
    interval: int = 300,
    figsize=(7.6, 3.4),
) -> str:
    r"""A scrubbable animation of a run: :math:`W^1` epoch by epoch, next to the accuracy
    curves with the epoch marked.

    One frame per epoch in ``epochs`` (default: every entry of ``run.weights``). With
    ``change=True`` a frame shows what training has added so far, :math:`W^1(e) - W^1(0)`
    (all zero at epoch 0); with ``change=False``, :math:`W^1(e)` itself, on a colour scale
    that is linear up to the largest initial :math:`|w|` and logarithmic beyond, so that the
    first frame shows the random start. One colour scale serves all frames, so weights that
    grow show as deeper colours. The title sits at the top left, clear of the axes. Returns the
    HTML of ``FuncAnimation.to_jshtml()``, to show with ``IPython.display.HTML``: it plays in
    the browser with no kernel. About 45 kB per frame at ``dpi=60``.
    """
    history = run.history
    if epochs is None:
        epochs = list(history.epoch)
    epochs = [int(e) for e in epochs]
    if not epochs or not all(0 <= e < len(run.weights) for e in epochs):
        raise ValueError(
            f"weights_animation_html: epochs must be a non-empty list of epochs in "
            f"0..{len(run.weights) - 1}; got {epochs!r}."
        )
    if not isinstance(change, bool):
        raise TypeError(f"weights_animation_html: change must be True or False; got {change!r}.")
    start = run.weights[0] if change else np.zeros_like(run.weights[0])
    shown = {e: run.weights[e] - start for e in epochs}
    vmax = max(float(np.abs(W).max()) for W in shown.values()) or 1.0
    fig = Figure(figsize=figsize, dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    ax_weights, ax_accuracy = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.2]})
    image = plot_weights(ax_weights, shown[epochs[0]], image_shape, vmax=vmax)
    if not change:
        # Linear up to the largest initial weight, logarithmic beyond: the small random start
        # stays visible next to the much larger trained weights.
        start_max = float(np.abs(run.weights[0]).max())
        if 0.0 < start_max < vmax:
            image.set_norm(SymLogNorm(linthresh=start_max, vmin=-vmax, vmax=vmax))
    label = "change since epoch 0" if change else "weight"
    colorbar = fig.colorbar(image, ax=ax_weights, shrink=0.8, label=label)
    colorbar.formatter = FormatStrFormatter("%g")  # 0.1, not 10^{-1} in small superscripts
    curves = [(history.accuracy, "C0", "training")]
    if history.val_accuracy:
        curves.append((history.val_accuracy, "C1", "validation"))
    markers = []
    for values, color, label in curves:
        ax_accuracy.plot(history.epoch, values, color=color, label=label)
        markers.append((values, ax_accuracy.plot([], [], "o", color=color)[0]))
    ax_accuracy.set_ylim(0.0, 1.02)
    ax_accuracy.set_xlabel("epoch")
    ax_accuracy.set_ylabel("accuracy")
    ax_accuracy.grid(alpha=0.3)
    ax_accuracy.legend(loc="lower right")
    what = "change of $W^1$" if change else "$W^1$"
    titles = {e: f"{what} after epoch {history.epoch[e]}" for e in epochs}
    # The title sits at the figure's top left, above the axes laid out below it, so that no
    # frame's title is clipped (an axes title centred over the square mosaic ran off the edge).
    title = fig.text(0.02, 0.97, max(titles.values(), key=len), ha="left", va="top")
    fig.tight_layout(rect=(0.0, 0.0, 1.0, 0.88))

    # Draw what stays the same once; per frame, redraw only the parts that change (blitting).
    changing = [image, title] + [marker for _, marker in markers]
    for artist in changing:
        artist.set_animated(True)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    frames = []
    for e in epochs:
        canvas.restore_region(background)
        image.set_data(weight_mosaic(shown[e], image_shape))
        for values, marker in markers:
            marker.set_data([history.epoch[e]], [values[e]])
        title.set_text(titles[e])
        for artist in changing:
            fig.draw_artist(artist)
        frames.append(np.asarray(canvas.buffer_rgba())[:, :, :3].copy())
    return _frames_html(frames, dpi, interval)


def _frames_html(frames: list[np.ndarray], dpi: int, interval: int) -> str:
    """``to_jshtml()`` of finished RGB pictures ``(h, w, 3)``: each frame is drawn once, as a
    figure holding nothing but that picture."""
    height, width = frames[0].shape[:2]
    player = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(player)
    picture = player.figimage(frames[0], origin="upper")

    def show(k: int):
        picture.set_data(frames[k])
        return [picture]

    animation = FuncAnimation(player, show, frames=len(frames), interval=interval, repeat=False)
    with matplotlib.rc_context({"animation.frame_format": "png"}):
        return animation.to_jshtml(default_mode="once")
