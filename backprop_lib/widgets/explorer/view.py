r"""The explorer's picture: the network and its loss curve.

:class:`NetworkView` draws a :class:`~backprop_lib.widgets.explorer.model.Snapshot`:

- each unit shows its output :math:`o` inside the circle and, below it, its pre-activation
  :math:`s`, its bias :math:`b` and its delta :math:`\delta` (inputs show :math:`x`; outputs
  also the target :math:`t`);
- each edge's colour (red positive, blue negative) and width show its weight :math:`w`; its
  label shows :math:`w` and, after a step, the change :math:`\Delta w` that step made (in
  layers of more than :data:`MAX_LABELLED_EDGES` edges only the highlighted edge has a
  label);
- the loss curve :math:`E` grows as the model steps (on a log scale once the losses span
  more than three decades).

Speed (a step must redraw in well under 50 ms): the shapes are matplotlib artists on an Agg
canvas (a :class:`matplotlib.figure.Figure`, no pyplot, so nothing is shown by accident and
no figure manager keeps it alive). Everything that does not change from step to step (axes,
ticks, layer titles) is rendered once into a background that each frame restores; only the
edges, circles and the loss line are redrawn. The numbers, which change every step, are
written with Pillow's FreeType text (the same DejaVu Sans font matplotlib uses), far faster
than matplotlib's text layout.

:func:`training_animation_html` turns a run of snapshots into a scrubbable JavaScript
animation (``FuncAnimation.to_jshtml``) for pages without a kernel.
"""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps, font_manager, rc_context
from matplotlib.animation import FuncAnimation
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from matplotlib.text import Text
from matplotlib.ticker import LogLocator, NullLocator
from PIL import Image, ImageDraw, ImageFont

from ..._validate import check_positive_float, describe
from .model import Parameter, Snapshot, Unit, layer_name, subscript

_MINUS = "\u2212"
_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
# Layout in data units of the network axes.
_GAP_X, _GAP_Y, _RADIUS = 4.0, 2.8, 0.55
#: Font sizes (points). At the default ``dpi=80`` a 9-inch picture is 720 px wide and the
#: book shows it 672 px wide: 10 pt is 11 px in the PNG, 10.4 px on the page (the book's
#: figures keep their text at 10 px or more, tests/book/test_site_layout.py).
_TEXT_PT, _VALUE_PT, _TITLE_PT = 10.0, 11.0, 10.5
# The loss axis ends here at most: a diverging run's losses may approach the float64 limit.
_LARGEST_LOSS_SHOWN = 1e200


def _text(value: float, digits: int = 3) -> str:
    """A short label for a number, with a true minus sign."""
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", _MINUS)


def _signed(value: float, digits: int = 2) -> str:
    text = _text(value, digits)
    return text if text.startswith(_MINUS) else "+" + text


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is >= ``value`` (> 0)."""
    power = 10.0 ** math.floor(math.log10(value))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * power >= value * (1 - 1e-12):
            return m * power
    return 10.0 * power


def default_figsize(sizes) -> tuple[float, float]:
    r"""9 inches wide; the height keeps the network's units as large as in a 2-2-2
    network (5.2 inches), within 4.3 to 9 inches."""
    width_units = _GAP_X * (len(sizes) - 1) + 2.0
    height_units = _GAP_Y * (max(sizes) - 1) + 4.0
    reference = (_GAP_Y + 4.0) / (_GAP_X * 2 + 2.0)  # the 2-2-2 network
    height = 5.2 * (height_units / width_units) / reference
    return 9.0, float(min(9.0, max(4.3, height)))


#: Edges are labelled with w and Δw in layers with at most this many edges; in denser
#: layers only the highlighted edge is (the colours and widths still show every weight).
MAX_LABELLED_EDGES = 6


def encode_png(rgb: np.ndarray, text: dict[str, str] | None = None) -> bytes:
    r"""An 8-bit RGB image ``(H, W, 3)`` as PNG bytes, written for speed.

    No per-row filters and zlib level 1: about twice as fast as Pillow's fastest setting on
    the explorer's pictures (mostly white, with flat colours), and about as small.
    ``text``: keyword -> value pairs written as PNG ``tEXt`` chunks (Latin-1).
    """
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"encode_png: rgb must have shape (H, W, 3); got {rgb.shape}.")
    height, width, _ = rgb.shape
    rows = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # filter byte 0 ("None")
    rows[:, 1:] = rgb.reshape(height, 3 * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + b"".join(
            chunk(b"tEXt", key.encode("latin-1") + b"\0" + value.encode("latin-1"))
            for key, value in (text or {}).items()
        )
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1))
        + chunk(b"IEND", b"")
    )


@dataclass
class _Label:
    """A number label, written with Pillow at a point of the network axes."""

    x: float  # data coordinates
    y: float
    valign: str  # "top", "middle", "bottom": which side of the text block sits at (x, y)
    size: float  # points
    bold: bool = False
    box: bool = False
    lines: tuple[str, ...] = ()
    outline: str | None = None  # box edge colour


def check_figsize(figsize, where: str) -> tuple[float, float]:
    r"""``figsize`` as two positive finite inches ``(width, height)``; anything else is
    refused with a message (``(0, 0)`` would make an empty canvas and fail later)."""
    try:
        width, height = figsize
    except (TypeError, ValueError):
        raise TypeError(
            f"{where}: figsize must be two positive numbers (width, height) in inches; got "
            f"{describe(figsize)}."
        ) from None
    return (
        check_positive_float(width, "figsize[0] (width)", where),
        check_positive_float(height, "figsize[1] (height)", where),
    )


class NetworkView:
    r"""A picture of a small network and its loss curve, redrawn fast from snapshots.

    Parameters
    ----------
    sizes : sequence of int
        ``[n_0, ..., n_L]``, the layer sizes of the snapshots it will draw.
    figsize : (float, float) or None
        Inches. ``None``: 9 inches wide and as tall as the network needs (5.2 inches for
        a 2-2-2 network, more for wider layers), see :func:`default_figsize`.
    dpi : float
        Pixels per inch of the rendered image.
    weight_scale : float
        :math:`|w|` at which an edge has its darkest colour and greatest width.

    Notes
    -----
    Use :meth:`draw` then :meth:`render` (an RGB array) or :meth:`png` (PNG bytes).
    """

    def __init__(self, sizes, figsize=None, dpi=80, weight_scale=2.0):
        where = "NetworkView"
        self.sizes = tuple(int(n) for n in sizes)
        self.n_layers = len(self.sizes) - 1
        self.dpi = check_positive_float(dpi, "dpi", where)
        self.weight_scale = check_positive_float(weight_scale, "weight_scale", where)
        if figsize is None:
            figsize = default_figsize(self.sizes)
        figsize = check_figsize(figsize, where)
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        grid = self.figure.add_gridspec(
            1,
            2,
            width_ratios=(2.7, 1.0),
            left=0.0,
            right=0.98,
            bottom=0.12,
            top=0.88,
            wspace=0.18,
        )
        self.ax_net = self.figure.add_subplot(grid[0, 0])
        self.ax_loss = self.figure.add_subplot(grid[0, 1])
        self._cmap = colormaps["RdBu_r"]
        self._fonts: dict[tuple[float, bool], ImageFont.FreeTypeFont] = {}
        self._background = None
        self._background_key = None
        self._background_key_wanted = None
        self._highlight: tuple[Parameter | None, Unit | None] = (None, None)
        self._title = ""
        self._build_network()
        self._build_loss()

    # -- building --------------------------------------------------------------------------

    def _position(self, layer: int, i: int) -> tuple[float, float]:
        n = self.sizes[layer]
        return _GAP_X * layer, _GAP_Y * ((n - 1) / 2 - (i - 1))

    def _build_network(self) -> None:
        ax = self.ax_net
        self.edge_parameters: list[Parameter] = []
        self.edge_labels: dict[Parameter, _Label] = {}
        segments = []
        for layer in range(1, self.n_layers + 1):
            for j in range(1, self.sizes[layer - 1] + 1):
                for i in range(1, self.sizes[layer] + 1):
                    p = Parameter("w", layer, i, j)
                    (x0, y0), (x1, y1) = self._position(layer - 1, j), self._position(layer, i)
                    self.edge_parameters.append(p)
                    segments.append([(x0, y0), (x1, y1)])
                    # Edges into the first receiver are labelled near their sender, edges
                    # into the last near their receiver: the labels of edges that leave or
                    # reach one unit spread apart, and none sits where edges cross.
                    n_out = self.sizes[layer]
                    f = 0.5 if n_out == 1 else 0.3 + 0.4 * (i - 1) / (n_out - 1)
                    self.edge_labels[p] = _Label(
                        x0 + f * (x1 - x0), y0 + f * (y1 - y0), "middle", _TEXT_PT, box=True
                    )
        # One artist for all edges and one for all units: two draws per frame.
        self.edge_lines = LineCollection(segments, capstyle="round", zorder=1, animated=True)
        ax.add_collection(self.edge_lines)
        self.units: list[Unit] = []
        self.node_labels: dict[Unit, tuple[_Label, _Label, _Label]] = {}
        circles = []
        for layer, n in enumerate(self.sizes):
            for i in range(1, n + 1):
                x, y = self._position(layer, i)
                unit = Unit(layer, i)
                self.units.append(unit)
                circles.append(Circle((x, y), _RADIUS))
                self.node_labels[unit] = (
                    _Label(x, y, "middle", _VALUE_PT, bold=True),
                    _Label(x, y + _RADIUS + 0.08, "bottom", _TEXT_PT),
                    _Label(x, y - _RADIUS - 0.08, "top", _TEXT_PT),
                )
        self.unit_circles = PatchCollection(
            circles,
            facecolors="white",
            edgecolors="black",
            linewidths=1.0,
            zorder=2,
            animated=True,
        )
        ax.add_collection(self.unit_circles)
        top = _GAP_Y * (max(self.sizes) - 1) / 2
        self.layer_titles = [
            ax.text(_GAP_X * layer, -top - 1.75, "", ha="center", va="top", fontsize=_TEXT_PT)
            for layer in range(self.n_layers + 1)
        ]
        ax.set_xlim(-1.0, _GAP_X * self.n_layers + 1.0)
        ax.set_ylim(-top - 2.5, top + 0.8)
        ax.text(
            0.5,
            0.0,
            "edge colour: red w > 0, blue w < 0; width: |w|",
            transform=ax.transAxes,
            ha="center",
            va="top",
            fontsize=_TEXT_PT,
            color="0.35",
        )
        ax.set_aspect("equal")
        ax.axis("off")

    def _build_loss(self) -> None:
        ax = self.ax_loss
        (self.loss_line,) = ax.plot([], [], color="C0", lw=1.5, animated=True)
        (self.loss_point,) = ax.plot([], [], "o", color="C3", ms=4, animated=True)
        ax.set_xlabel("step", fontsize=_TEXT_PT)
        ax.set_ylabel("loss E", fontsize=_TEXT_PT)
        ax.tick_params(labelsize=_TEXT_PT)
        ax.grid(True, lw=0.4, alpha=0.5)
        ax.set_title("loss curve", fontsize=_TITLE_PT)

    # -- drawing ---------------------------------------------------------------------------

    def highlight(self, parameter: Parameter | None = None, unit: Unit | None = None) -> None:
        """Mark a parameter (its edge, or its unit for a bias) and a unit, e.g. those of the
        formula panel. Takes effect at the next :meth:`draw`."""
        self._highlight = (parameter, unit)

    def draw(self, snapshot: Snapshot) -> None:
        r"""Set every artist and label from ``snapshot``; :meth:`render` paints them."""
        if tuple(snapshot.sizes) != self.sizes:
            raise ValueError(
                f"NetworkView.draw: this view draws sizes {list(self.sizes)}; the snapshot has "
                f"sizes {list(snapshot.sizes)}."
            )
        chosen, chosen_unit = self._highlight
        L = self.n_layers
        weights = np.array([snapshot.value(p) for p in self.edge_parameters])
        self.edge_lines.set_color(
            self._cmap(np.clip((weights / self.weight_scale + 1.0) / 2.0, 0.0, 1.0))
        )
        self.edge_lines.set_linewidth(
            0.6 + 4.4 * np.minimum(np.abs(weights) / self.weight_scale, 1.0)
        )
        for p, w in zip(self.edge_parameters, weights, strict=True):
            label = self.edge_labels[p]
            dense = self.sizes[p.layer - 1] * self.sizes[p.layer] > MAX_LABELLED_EDGES
            if dense and p != chosen:
                label.lines = ()
                continue
            applied = snapshot.applied(p)
            label.lines = (f"w {_text(w)}",) + (
                () if applied is None else (f"Δ {_signed(applied)}",)
            )
            label.outline = "black" if p == chosen else None
        bias_unit = None if chosen is None or chosen.is_weight else Unit(chosen.layer, chosen.i)
        self.unit_circles.set_linewidth(
            [2.6 if unit in (chosen_unit, bias_unit) else 1.0 for unit in self.units]
        )
        self.unit_circles.set_edgecolor(
            ["C2" if unit == chosen_unit else "black" for unit in self.units]
        )
        for unit in self.units:
            layer, i = unit.layer, unit.i
            inside, above, below = self.node_labels[unit]
            if layer == 0:
                inside.lines = (_text(snapshot.x[i - 1]),)
                above.lines = (f"x{subscript(i)}",)
                continue
            k = layer - 1
            inside.lines = (_text(snapshot.o[k][i - 1]),)
            below.lines = (
                f"s {_text(snapshot.s[k][i - 1])}   b {_text(snapshot.b[k][i - 1])}",
                f"δ {_text(snapshot.delta[k][i - 1])}",
            ) + ((f"t {_text(snapshot.t[i - 1])}",) if layer == L else ())
        for layer, title in enumerate(self.layer_titles):
            name = layer_name(layer, L)
            if layer == 0:
                title.set_text(f"{name}  o⁰ = x")
            else:
                sup = str(layer).translate(_SUPERSCRIPTS)
                title.set_text(f"{name}  o{sup}: {snapshot.activations[layer - 1]}")
        self._title = (
            f"step {snapshot.step}    E = {_text(snapshot.loss, 5)}    η = {_text(snapshot.lr)}"
            f"    loss: {snapshot.loss_name}    (in each unit: o; edge labels: w, the last "
            f"step's Δw)"
        )
        steps = np.array([point[0] for point in snapshot.curve], dtype=float)
        losses = np.array([point[1] for point in snapshot.curve], dtype=float)
        self.loss_line.set_data(steps, losses)
        self.loss_point.set_data(steps[-1:], losses[-1:])
        # Limits that change rarely, so the background (ticks) is seldom redrawn: the step
        # axis doubles; the loss axis starts at 0, or is logarithmic once the losses span
        # more than three decades (a run converging or diverging).
        x_max = 10.0
        while x_max < steps.max():
            x_max *= 2.0
        low, high = float(losses.min()), min(float(losses.max()), _LARGEST_LOSS_SHOWN)
        if low > 0 and high > 1e3 * low:
            scale = "log"  # whole decades; the top grows four decades at a time
            y_min = 10.0 ** math.floor(math.log10(low))
            y_max = 10.0 ** (4 * math.ceil(math.log10(high) / 4))
        else:
            scale, y_min = "linear", 0.0
            y_max = _nice_ceiling(1.05 * max(high, 1e-12))
        ax = self.ax_loss
        if ax.get_yscale() != scale:
            ax.set_yscale(scale)
            ax.set_title(
                "loss curve" + (" (log scale)" if scale == "log" else ""), fontsize=_TITLE_PT
            )
            if scale == "log":  # major ticks only: fewer labels to lay out
                ax.yaxis.set_major_locator(LogLocator(numticks=6))
                ax.yaxis.set_minor_locator(NullLocator())
        ax.set_xlim(0.0, x_max)
        ax.set_ylim(y_min, y_max)
        self._background_key_wanted = (x_max, y_min, y_max, scale, snapshot.activations)

    def render(self) -> np.ndarray:
        """Paint the last :meth:`draw` and return the image, an RGB array ``(H, W, 3)``."""
        if self._background_key_wanted is None:
            raise RuntimeError("NetworkView.render: call draw(snapshot) first.")
        canvas = self.canvas
        if self._background is None or self._background_key != self._background_key_wanted:
            canvas.draw()  # everything but the animated artists
            self._background = canvas.copy_from_bbox(self.figure.bbox)
            self._background_key = self._background_key_wanted
            self._pixels = self._label_pixels()
        else:
            canvas.restore_region(self._background)
        self.ax_net.draw_artist(self.edge_lines)
        self.ax_net.draw_artist(self.unit_circles)
        self.ax_loss.draw_artist(self.loss_line)
        self.ax_loss.draw_artist(self.loss_point)
        width, height = canvas.get_width_height()
        image = Image.frombuffer(
            "RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1
        ).convert("RGB")
        self._write_labels(image)
        return np.asarray(image)

    def png(self) -> bytes:
        """The rendered image as PNG bytes (see :func:`encode_png`), with the size of its
        smallest text recorded as ``book/figure_text.py`` does for the book's figures: text
        chunks ``smallest-text-px`` (pixels of the PNG) and ``smallest-text-pt``."""
        rgb = self.render()
        px = self.smallest_text_px()
        return encode_png(
            rgb,
            {"smallest-text-pt": f"{px * 72 / self.dpi:.2f}", "smallest-text-px": f"{px:.2f}"},
        )

    def smallest_text_px(self) -> float:
        """The size in pixels of the smallest text drawn by the last :meth:`render`: the
        matplotlib texts (titles, axis and tick labels) and the labels Pillow writes (their
        font size in whole pixels)."""
        sizes = [
            text.get_fontsize() * self.dpi / 72
            for text in self.figure.findobj(Text)
            if text.get_visible() and text.get_text().strip()
        ]
        sizes += [
            float(self._font(label.size, label.bold).size)
            for label in self._all_labels()
            if label.lines
        ]
        if self._title:
            sizes.append(float(self._font(_TITLE_PT, False).size))
        return min(sizes)

    # -- labels ----------------------------------------------------------------------------

    def _all_labels(self) -> list[_Label]:
        labels = list(self.edge_labels.values())
        for triple in self.node_labels.values():
            labels.extend(triple)
        return labels

    def _label_pixels(self) -> np.ndarray:
        """Pixel positions (origin top left) of every label, after a full draw."""
        points = np.array([(label.x, label.y) for label in self._all_labels()])
        pixels = self.ax_net.transData.transform(points)
        pixels[:, 1] = self.canvas.get_width_height()[1] - pixels[:, 1]
        return pixels

    def _font(self, size: float, bold: bool) -> ImageFont.FreeTypeFont:
        key = (size, bold)
        if key not in self._fonts:
            weight = "bold" if bold else "normal"
            path = font_manager.findfont(
                font_manager.FontProperties(family="DejaVu Sans", weight=weight)
            )
            self._fonts[key] = ImageFont.truetype(path, max(1, round(size * self.dpi / 72)))
        return self._fonts[key]

    def _write_labels(self, image: Image.Image) -> None:
        draw = ImageDraw.Draw(image)
        for label, (x, y) in zip(self._all_labels(), self._pixels, strict=True):
            if not label.lines:
                continue
            font = self._font(label.size, label.bold)
            step = font.size * 1.15
            height = step * len(label.lines)
            top = {"top": y, "middle": y - height / 2, "bottom": y - height}[label.valign]
            centres = [(x, top + step * (k + 0.5)) for k in range(len(label.lines))]
            if label.box:
                boxes = [
                    draw.textbbox(c, line, font=font, anchor="mm")
                    for c, line in zip(centres, label.lines, strict=True)
                ]
                left = min(b[0] for b in boxes) - 2
                right = max(b[2] for b in boxes) + 2
                draw.rectangle(
                    (left, top - 1, right, top + height + 1),
                    fill="white",
                    outline=label.outline,
                    width=1 if label.outline else 0,
                )
            for centre, line in zip(centres, label.lines, strict=True):
                draw.text(centre, line, font=font, fill="black", anchor="mm")
        font = self._font(_TITLE_PT, False)
        draw.text((6, 5), self._title, font=font, fill="black", anchor="la")


class _FrameFigure(Figure):
    r"""A figure that holds one precomputed frame (an RGB array) and shows it.

    Its ``savefig`` writes PNG frames as 64-colour palette images: the explorer's pictures
    (white, flat colours, text) lose nothing visible, and a frame is about four times
    smaller than matplotlib's RGBA PNG. ``HTMLWriter`` saves each frame with ``savefig``.
    """

    colors = 64

    def show_frame(self, frame: np.ndarray) -> None:
        self.frame = frame
        self.image.set_data(frame)

    def savefig(self, fname, *args, **kwargs):
        r"""PNG into a file object (what ``HTMLWriter`` asks for): the frame as a palette
        image. Anything else: matplotlib's own ``savefig``."""
        if kwargs.get("format") == "png" and hasattr(fname, "write"):
            palette = Image.fromarray(self.frame).quantize(
                self.colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
            )
            palette.save(fname, format="png")
            return None
        return super().savefig(fname, *args, **kwargs)


def training_animation_html(
    snapshots,
    figsize=None,
    dpi=80,
    interval=250,
    default_mode="once",
    highlight: tuple[Parameter | None, Unit | None] = (None, None),
) -> str:
    r"""A scrubbable JavaScript animation (``FuncAnimation.to_jshtml``) of ``snapshots``.

    Each frame is exactly the picture :class:`NetworkView` renders for one snapshot (with
    the given ``highlight``), stored as a 64-colour PNG. Returns the HTML to show with
    ``IPython.display.HTML``; it plays in the browser with no kernel. Its player buttons use
    FontAwesome 4 icons, which matplotlib links from a CDN; the book's ``offline_site``
    extension points that link at the vendored copy. About 15 kB per frame at ``dpi=80``.
    """
    snapshots = list(snapshots)
    if not snapshots or not all(isinstance(s, Snapshot) for s in snapshots):
        raise TypeError(
            "training_animation_html: snapshots must be a non-empty list of Snapshot objects."
        )
    view = NetworkView(snapshots[0].sizes, figsize=figsize, dpi=dpi)
    view.highlight(*highlight)
    frames = []
    for snapshot in snapshots:
        view.draw(snapshot)
        frames.append(view.render().copy())
    height, width = frames[0].shape[:2]
    player = _FrameFigure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(player)
    # The frames are finished pictures: the writer takes them from savefig, so the image
    # is "animated" (left out of the canvas's own redraw after every frame).
    player.image = player.figimage(frames[0], origin="upper", animated=True)
    player.show_frame(frames[0])

    def show(k: int):
        player.show_frame(frames[k])
        return [player.image]

    animation = FuncAnimation(player, show, frames=len(frames), interval=interval, repeat=False)
    with rc_context({"animation.frame_format": "png"}):
        return animation.to_jshtml(default_mode=default_mode)
