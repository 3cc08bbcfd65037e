r"""Response time of the weight-update explorer: one Step, computed and redrawn.

What a click on **Step** does in ``WeightUpdateExplorer``: ``Network.backward`` and
``Network.step`` (through ``ExplorerModel.step``), a forward and backward pass at the new
weights, a snapshot of the library's numbers, the picture updated and rendered to PNG bytes
(into the ``Image`` widget), and the formula panel rewritten (into the ``HTMLMath`` widget).
The script clicks the button ``--steps`` times (after a few warm-up clicks) and reports the
median, the 90th percentile and the worst click. The target is a median of at most 50 ms.

Two clocks: wall-clock time (what a reader waits for) and the CPU time of this process
(``time.process_time``), which other processes on a shared machine do not inflate. A
breakdown over the same number of steps shows where the time goes.

The figure size and resolution are the explorer's defaults (9 x 4.2 inches at 80 dpi, a
720 x 336 picture); matplotlib renders with Agg and no pyplot figure is made. With no kernel
connected, setting a widget's value sends nothing; in a live kernel each step also sends
the PNG (about 40 kB) and the formulas to the browser.

Run: ``.venv/bin/python benchmarks/bench_explorer.py`` (a few seconds).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import numpy as np  # noqa: E402

from backprop_lib.explorer import (  # noqa: E402
    ExplorerModel,
    WeightUpdateExplorer,
    formulas,
)
from backprop_lib.explorer.view import encode_png  # noqa: E402

TARGET_MS = 50.0

CONFIGURATIONS = {
    "2-2-2 sigmoid, squared error (the default)": dict(
        sizes=(2, 2, 2), activations=("sigmoid", "sigmoid"), loss="squared_error"
    ),
    "2-5-5-3 tanh, softmax + cross-entropy (the largest kind)": dict(
        sizes=(2, 5, 5, 3),
        activations=("tanh", "tanh", "softmax"),
        loss="cross_entropy",
        t=(0.0, 1.0, 0.0),
    ),
}


def time_clicks(explorer: WeightUpdateExplorer, n: int) -> tuple[list[float], list[float]]:
    """Click Step ``n`` times; the wall-clock and CPU milliseconds of each click."""
    wall, cpu = [], []
    for _ in range(n):
        w0, c0 = time.perf_counter(), time.process_time()
        explorer.step_button.click()
        wall.append(1e3 * (time.perf_counter() - w0))
        cpu.append(1e3 * (time.process_time() - c0))
    return wall, cpu


def breakdown(explorer: WeightUpdateExplorer, n: int) -> dict[str, float]:
    """Median milliseconds of each part of a click, over ``n`` steps."""
    parts = {"model step": [], "snapshot": [], "draw + render": [], "PNG": [], "formulas": []}
    view, model = explorer.view, explorer.model
    p, unit = explorer.parameter_dropdown.value, explorer.unit_dropdown.value
    for _ in range(n):
        t0 = time.perf_counter()
        model.step()
        t1 = time.perf_counter()
        snapshot = model.snapshot()
        t2 = time.perf_counter()
        view.draw(snapshot)
        pixels = view.render()
        t3 = time.perf_counter()
        encode_png(pixels)
        t4 = time.perf_counter()
        formulas.panel_html(snapshot, p, unit)
        t5 = time.perf_counter()
        for name, a, b in zip(parts, (t0, t1, t2, t3, t4), (t1, t2, t3, t4, t5), strict=True):
            parts[name].append(1e3 * (b - a))
    return {name: statistics.median(values) for name, values in parts.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=50, help="timed clicks (default 50)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed clicks first")
    args = parser.parse_args(argv)

    print(f"Python {platform.python_version()}, numpy {np.__version__}, matplotlib "
          f"{matplotlib.__version__}, ipywidgets {ipywidgets.__version__}, "
          f"{platform.machine()}")
    print(f"One Step click (compute + redraw), {args.steps} clicks after {args.warmup} "
          f"warm-up clicks; target: median <= {TARGET_MS:.0f} ms\n")
    met = True
    for name, options in CONFIGURATIONS.items():
        # lr 0.1: a long, quiet run (no divergence during the timing)
        explorer = WeightUpdateExplorer(ExplorerModel(lr=0.1, seed=0, **options))
        time_clicks(explorer, args.warmup)
        wall, cpu = time_clicks(explorer, args.steps)
        median = statistics.median(wall)
        met &= median <= TARGET_MS
        print(f"{name}")
        print(f"  wall clock: median {median:6.1f} ms   90th percentile "
              f"{np.percentile(wall, 90):6.1f} ms   worst {max(wall):6.1f} ms")
        print(f"  CPU time:   median {statistics.median(cpu):6.1f} ms")
        parts = breakdown(explorer, args.steps)
        print("  median by part: " + ", ".join(f"{k} {v:.1f} ms" for k, v in parts.items()))
        ipywidgets.Widget.close_all()
    print(f"\nTarget (median <= {TARGET_MS:.0f} ms): {'met' if met else 'NOT met'}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
