r"""Record, in each chapter figure's PNG, the size of its smallest text.

``book/matplotlibrc`` (read by matplotlib from the working directory: the chapters run in
``book/``, on the site build, in JupyterLab and on Binder alike) names
``record_smallest_text`` as a ``figure.hooks`` entry, so it runs on every figure that
``pyplot`` creates. When the notebook displays the figure, the PNG gets two text chunks:

- ``smallest-text-pt``: the smallest font size, in points, of the figure's visible texts
  (titles, labels, tick labels, annotations, legends);
- ``smallest-text-px``: the same in pixels of the PNG, ``pt * dpi / 72``.

``tests/book/test_site_layout.py`` reads them and, with the width the browser displays
the PNG at, checks that every text of every figure is at least 10 CSS pixels tall. This
module changes nothing that is drawn.
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.text import Text


def smallest_text_pt(fig: Figure) -> float | None:
    r"""The smallest font size (points) of the visible, non-empty texts of ``fig``."""
    fig.canvas.draw()  # tick labels exist only once the figure is drawn
    renderer = fig.canvas.get_renderer()
    sizes = [
        text.get_fontsize()
        for text in fig.findobj(Text)
        if text.get_visible()
        and text.get_text().strip()
        and text.get_window_extent(renderer).width > 0
    ]
    return min(sizes) if sizes else None


def record_smallest_text(fig: Figure) -> None:
    r"""``figure.hooks`` entry: when ``fig`` is printed, add the text chunks above."""
    canvas = fig.canvas
    print_figure = canvas.print_figure

    def print_with_sizes(*args, **kwargs):
        if kwargs.get("format", "png") == "png":
            pt = smallest_text_pt(fig)
            if pt is not None:
                dpi = kwargs.get("dpi") or fig.dpi
                metadata = dict(kwargs.get("metadata") or {})
                metadata["smallest-text-pt"] = f"{pt:.2f}"
                metadata["smallest-text-px"] = f"{pt * float(dpi) / 72:.2f}"
                kwargs["metadata"] = metadata
        return print_figure(*args, **kwargs)

    canvas.print_figure = print_with_sizes
