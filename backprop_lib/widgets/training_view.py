r"""Training the notes' network on digits: the run, its pictures and a retrain panel.

The helpers of the chapter *Training the notes' network on real digits*
(``book/training-digits.md``) and of its tests:

- :func:`validation_split` sets part of a training set aside to watch training with.
- :func:`train_swinn` builds Swinn's network, :math:`n_0` inputs, ``n_hidden`` sigmoid units
  and 10 softmax outputs with the cross-entropy, and trains it with
  :meth:`~backprop_lib.Network.fit`, keeping a copy of :math:`W^1` after every epoch.
- :func:`weight_mosaic` lays the columns of :math:`W^1` (one per hidden unit) out as images.
- :func:`plot_history`, :func:`plot_weights` draw a run; :func:`weights_animation_html` turns
  its epochs into a scrubbable JavaScript animation that needs no kernel.
- :class:`RetrainPanel` is an ipywidgets panel: learning rate, batch size, hidden units and
  epochs, and a button that trains again (in a live kernel).

Everything numerical comes from ``backprop_lib``; this module only runs and draws it.
``import backprop_lib`` does not import this module (it needs matplotlib and ipywidgets);
import it as ``from backprop_lib.widgets.training_view import train_swinn``.
"""

from __future__ import annotations

import html
import io
import math
import time
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .._validate import (
    as_float_array,
    as_generator,
    as_real_array,
    check_positive_float,
    check_positive_int,
    describe,
)
from ..network import History, Network

__all__ = [
    "BATCH_SIZES",
    "HIDDEN_UNITS",
    "LEARNING_RATES",
    "RetrainPanel",
    "TrainingRun",
    "plot_history",
    "plot_weights",
    "train_swinn",
    "validation_split",
    "weight_mosaic",
    "weights_animation_html",
]

#: The learning rates the panel offers.
LEARNING_RATES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
#: The hidden-layer sizes the panel offers (Swinn's note uses 64).
HIDDEN_UNITS = (4, 8, 16, 32, 64, 128, 256)
#: The batch sizes the panel offers, besides the whole training set.
BATCH_SIZES = (1, 4, 16, 32, 64, 256)

# Positive weights red, negative blue; the gaps between the tiles light grey.
_WEIGHT_CMAP = matplotlib.colormaps["RdBu_r"].with_extremes(bad="0.88")


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
    r"""One training run of Swinn's network.

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


def train_swinn(
    X_fit, T_fit, X_val, T_val, *, n_hidden=64, lr=1.0, batch_size=32, epochs=30, seed=0
) -> TrainingRun:
    r"""Build Swinn's network and train it by mini-batch gradient descent.

    The network is ``Network.from_sizes([n_0, n_hidden, 10], ["sigmoid", "softmax"],
    "cross_entropy")``: :math:`o^1 = \sigma(x W^1 + b^1)`, :math:`o^2 =
    \operatorname{softmax}(o^1 W^2 + b^2)`, :math:`E = -\frac1B \sum_n \sum_k t_{nk} \ln
    o^2_{nk}`. One generator, ``numpy.random.default_rng(seed)``, draws the initial weights
    and then shuffles the rows every epoch, so a seed fixes the whole run.
    :meth:`~backprop_lib.Network.fit` trains on ``X_fit`` ``(N, n_0)`` and one-hot ``T_fit``
    ``(N, 10)`` and records the loss and accuracy on ``(X_val, T_val)`` after every epoch;
    a callback keeps a copy of :math:`W^1` after every epoch.
    """
    where = "train_swinn"
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
    image = ax.imshow(mosaic, cmap=_WEIGHT_CMAP, vmin=-vmax, vmax=vmax, interpolation="nearest")
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
    (all zero at epoch 0); with ``change=False``, :math:`W^1(e)` itself. One colour scale
    serves all frames, so weights that grow show as deeper colours. Returns the HTML of
    ``FuncAnimation.to_jshtml()``, to show with ``IPython.display.HTML``: it plays in the
    browser with no kernel. About 45 kB per frame at ``dpi=60``.
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
    label = r"$w^1_{ji}(e) - w^1_{ji}(0)$" if change else "$w^1_{ji}(e)$"
    fig.colorbar(image, ax=ax_weights, shrink=0.8, label=label)
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
    title = ax_weights.set_title(" ")
    fig.tight_layout()

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
        what = "change of $W^1$" if change else "$W^1$"
        title.set_text(f"{what} after epoch {history.epoch[e]}")
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


def _run_png(run: TrainingRun, image_shape, dpi: int = 64) -> bytes:
    """The panel's picture of a run: loss, accuracy and :math:`W^1`, as PNG bytes."""
    fig = Figure(figsize=(10.5, 3.2), dpi=dpi)
    FigureCanvasAgg(fig)
    ax_loss, ax_accuracy, ax_weights = fig.subplots(1, 3)
    plot_history(run.history, ax_loss, ax_accuracy)
    plot_weights(ax_weights, run.net.layers[0].W, image_shape)
    ax_weights.set_title(f"$W^1$: {run.n_hidden} hidden units")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


class RetrainPanel(widgets.VBox):
    r"""Controls that retrain Swinn's network in a live kernel, and the result they gave.

    Controls: ``lr_slider`` (the learning rate :math:`\eta`, :data:`LEARNING_RATES`),
    ``batch_slider`` (:data:`BATCH_SIZES` and the whole training set), ``hidden_slider``
    (:data:`HIDDEN_UNITS`), ``epochs_slider`` and ``retrain_button``. Pressing the button
    (or calling :meth:`retrain`) runs :func:`train_swinn` on ``(X_fit, T_fit)`` with the
    controls' values and the panel's ``seed``, then shows the run: ``picture`` (an Image:
    the training curves and :math:`W^1`) and ``status`` (HTML: settings, validation
    accuracy, time). A run that diverges (``FloatingPointError`` from
    :meth:`~backprop_lib.Network.fit`) leaves the last run shown and puts the error in
    ``status``. ``run`` is the run shown.

    Give ``run`` (e.g. the chapter's precomputed run) to show it from the start: on a static
    page, with no kernel, that is all the panel can show, since the button calls Python.
    Only the validation accuracy is reported: choosing settings by the test accuracy would
    make the test set part of training.
    """

    def __init__(
        self,
        X_fit,
        T_fit,
        X_val,
        T_val,
        image_shape,
        run: TrainingRun | None = None,
        *,
        n_hidden=64,
        lr=1.0,
        batch_size=32,
        epochs=30,
        seed=0,
    ):
        where = "RetrainPanel"
        for name, value in (("X_fit", X_fit), ("T_fit", T_fit), ("X_val", X_val), ("T_val", T_val)):
            if np.ndim(value) != 2:
                raise ValueError(
                    f"{where}: {name} must be a 2-D array, one row per sample; got "
                    f"{describe(value)}."
                )
        self.X_fit, self.T_fit, self.X_val, self.T_val = X_fit, T_fit, X_val, T_val
        self.image_shape = tuple(image_shape)
        weight_mosaic(np.zeros((self.X_fit.shape[1], 1)), self.image_shape)  # checks the shape
        if run is not None:
            if not isinstance(run, TrainingRun):
                raise TypeError(f"{where}: run must be a TrainingRun or None; got {describe(run)}.")
            n_hidden, lr, batch_size, epochs, seed = (
                run.n_hidden,
                run.lr,
                run.batch_size,
                run.epochs,
                run.seed,
            )
        n_all = len(self.X_fit)
        batch_options = [(str(b), b) for b in BATCH_SIZES if b < n_all]
        batch_options.append((f"{n_all} (all)", n_all))
        if batch_size not in [b for _, b in batch_options]:
            raise ValueError(
                f"{where}: batch_size must be one of {[b for _, b in batch_options]}; "
                f"got {batch_size!r}."
            )
        if lr not in LEARNING_RATES:
            raise ValueError(f"{where}: lr must be one of {LEARNING_RATES}; got {lr!r}.")
        if n_hidden not in HIDDEN_UNITS:
            raise ValueError(f"{where}: n_hidden must be one of {HIDDEN_UNITS}; got {n_hidden!r}.")
        self.seed = seed
        style = {"description_width": "100px"}
        layout = widgets.Layout(width="340px")
        self.lr_slider = widgets.SelectionSlider(
            options=[(f"{r:g}", r) for r in LEARNING_RATES],
            value=lr,
            description="learning rate η",
            style=style,
            layout=layout,
        )
        self.batch_slider = widgets.SelectionSlider(
            options=batch_options,
            value=batch_size,
            description="batch size B",
            style=style,
            layout=layout,
        )
        self.hidden_slider = widgets.SelectionSlider(
            options=list(HIDDEN_UNITS),
            value=n_hidden,
            description="hidden units",
            style=style,
            layout=layout,
        )
        self.epochs_slider = widgets.IntSlider(
            value=epochs, min=1, max=100, description="epochs", style=style, layout=layout
        )
        self.retrain_button = widgets.Button(
            description="Retrain",
            button_style="primary",
            tooltip="Train the network again with these settings (needs a live kernel)",
        )
        self.status = widgets.HTML()
        self.picture = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.run: TrainingRun | None = None
        rows = widgets.Layout(flex_flow="row wrap")  # two sliders a row; one on a narrow page
        super().__init__(
            [
                widgets.HBox([self.lr_slider, self.hidden_slider], layout=rows),
                widgets.HBox([self.batch_slider, self.epochs_slider], layout=rows),
                self.retrain_button,
                self.status,
                self.picture,
            ]
        )
        self.retrain_button.on_click(lambda _button: self.retrain())
        if run is not None:
            self.show(run, "the run computed when this page was executed")
        else:
            self.status.value = "Press <b>Retrain</b> to train the network."

    def settings(self) -> dict:
        """The controls' values, as keyword arguments of :func:`train_swinn`."""
        return {
            "n_hidden": self.hidden_slider.value,
            "lr": self.lr_slider.value,
            "batch_size": self.batch_slider.value,
            "epochs": self.epochs_slider.value,
            "seed": self.seed,
        }

    def retrain(self) -> TrainingRun | None:
        """Train with the controls' values and show the run; return it (None if it diverged)."""
        settings = self.settings()
        steps = -(-len(self.X_fit) // settings["batch_size"]) * settings["epochs"]
        self.status.value = f"Training: {steps} gradient steps…"
        self.retrain_button.disabled = True
        try:
            run = train_swinn(self.X_fit, self.T_fit, self.X_val, self.T_val, **settings)
        except FloatingPointError as err:
            self.status.value = (
                f"<b>Training diverged</b> with η = {settings['lr']:.3g}: "
                f"{html.escape(str(err))} The picture still shows the previous run."
            )
            return None
        finally:
            self.retrain_button.disabled = False
        self.show(run, "your run, trained just now")
        return run

    def show(self, run: TrainingRun, origin: str) -> None:
        """Show ``run`` in the panel; ``origin`` says where it came from."""
        self.run = run
        self.picture.value = _run_png(run, self.image_shape)
        self.status.value = (
            f"<b>Shown:</b> {html.escape(origin)}. {html.escape(run.describe())} "
            f"({run.history.steps[-1]} steps in {run.seconds:.1f} s)."
        )
