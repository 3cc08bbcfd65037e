r"""Response time of the weight-update explorer of the book, ``ExplorerWidget``: one Step.

The explorer (an anywidget: the JavaScript engine ``engine.js`` and view ``explorer.js``)
runs in Debian's chromium driven by playwright. A local page loads the widget's ES module
with a minimal stand-in for the widget model (get, set, on, save_changes), renders a 2-2-2
and a 2-5-5-3 explorer, and times ``--steps`` clicks on Step in the page with
``performance.now()``: the click handler (forward, deltas, step, forward again, every
control, the SVG picture, the loss curve and the formula panel rewritten) plus a forced
layout (``offsetHeight``), so the time includes the browser's style and layout work for the
redraw. Target: a median of at most 16 ms (one frame at 60 Hz).

Run: ``.venv/bin/python benchmarks/bench_explorer.py`` (``--browser`` is accepted and is
the only mode: the ipywidgets twin of the explorer, which a Python mode timed, is gone).
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np

from backprop_lib.widgets.explorer import ExplorerModel

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


BROWSER_TARGET_MS = 16.0

# The page: the widget's module, imported from a Blob URL as anywidget does, rendered with a
# stand-in model. window.benchmark(k, n) clicks Step n times and returns each click's ms.
_BROWSER_PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>%(css)s</style>
</head><body><div id="a"></div><div id="b"></div><script type="module">
const states = %(states)s;
function fakeModel(state) {
  const handlers = {};
  return {
    get: (k) => state[k],
    set: (k, v) => { state[k] = v; (handlers["change:" + k] || []).forEach((f) => f()); },
    on: (e, f) => { (handlers[e] = handlers[e] || []).push(f); },
    off: () => {},
    save_changes: () => { throw new Error("no kernel"); },
  };
}
const url = URL.createObjectURL(new Blob([%(esm)s], {type: "text/javascript"}));
const mod = await import(url);
["a", "b"].forEach((id, k) =>
  mod.default.render({model: fakeModel(states[k]), el: document.getElementById(id)}));
window.benchmark = (k, n) => {
  const hook = window.backpropExplorers[k];
  const button = hook.el.querySelector('[data-control="step"]');
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    button.click();
    void hook.el.offsetHeight;  // force style and layout of the redraw
    times.push(performance.now() - t0);
  }
  return {times, steps: hook.state().steps, message: hook.state().message};
};
window.ready = true;
</script></body></html>"""


def browser_main(args) -> int:
    """Median in-browser Step time of ``ExplorerWidget`` on 2-2-2 and 2-5-5-3 networks."""
    import json
    import tempfile
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    from backprop_lib.widgets.explorer.live import ExplorerWidget, esm_source

    states, names = [], []
    for name, options in CONFIGURATIONS.items():
        widget = ExplorerWidget(ExplorerModel(lr=0.1, seed=0, **options))
        states.append({k: v for k, v in widget.get_state().items() if not k.startswith("_")})
        names.append(name)
    css = (
        Path(__file__).resolve().parents[1] / "backprop_lib/widgets/explorer" / "explorer.css"
    ).read_text(encoding="utf-8")
    html = _BROWSER_PAGE % {
        "css": css,
        "states": json.dumps(states),
        "esm": json.dumps(esm_source()),
    }
    met = True
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        page_file = Path(tmp) / "bench.html"
        page_file.write_text(html, encoding="utf-8")
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1800})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri())
        page.wait_for_function("() => window.ready === true", timeout=30000)
        print(
            f"chromium {browser.version}; one Step click (compute + redraw + layout), "
            f"{args.steps} clicks after {args.warmup} warm-up clicks; target: median <= "
            f"{BROWSER_TARGET_MS:.0f} ms\n"
        )
        for k, name in enumerate(names):
            page.evaluate("([k, n]) => window.benchmark(k, n)", [k, args.warmup])
            result = page.evaluate("([k, n]) => window.benchmark(k, n)", [k, args.steps])
            times = result["times"]
            median = statistics.median(times)
            met &= median <= BROWSER_TARGET_MS
            print(f"{name}")
            print(
                f"  median {median:6.2f} ms   90th percentile {np.percentile(times, 90):6.2f}"
                f" ms   worst {max(times):6.2f} ms   (steps taken {result['steps']}"
                f"{', refused: ' + result['message'] if result['message'] else ''})"
            )
        browser.close()
    if errors:
        print("JavaScript errors:", *errors, sep="\n  ")
        return 1
    print(f"\nTarget (median <= {BROWSER_TARGET_MS:.0f} ms): {'met' if met else 'NOT met'}.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=50, help="timed clicks (default 50)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed clicks first")
    parser.add_argument(
        "--browser",
        action="store_true",
        help="the only mode (kept for old command lines): ExplorerWidget in chromium",
    )
    args = parser.parse_args(argv)
    return browser_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
