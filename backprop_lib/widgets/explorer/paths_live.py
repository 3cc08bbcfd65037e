r"""The optimizers' paths on a loss surface of two weights, live in the browser: an anywidget.

:class:`PathsWidget` draws the loss :math:`E(w, b) = \frac1N \sum_n \frac12 (w x_n + b -
t_n)^2` of one linear unit and the path of each update rule (gradient descent, momentum,
Adam) from the same start, with one learning-rate slider per rule. Its ES module
(``engine.js``, then ``paths.js``) computes every path in the reader's browser with the
engine's ``optimizerStep``, so the sliders work on a static page. :meth:`PathsWidget.paths`
computes the same paths with the library (``Network.fit(..., optimizer=...)``, full batch),
which the tests compare with the page's.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import anywidget
import numpy as np
import traitlets

from ..._validate import as_real_array, check_positive_float, check_positive_int
from ...layers import Dense
from ...network import Network
from .live import OPTIMIZER_CHOICES, library_optimizer
from .tables import engine_source

_HERE = Path(__file__).parent

#: The rates each slider offers.
RATE_CHOICES = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0]


@lru_cache(maxsize=None)
def paths_esm() -> str:
    """The widget's ES module: the engine
    (:func:`~backprop_lib.widgets.explorer.tables.engine_source`) followed by ``paths.js``."""
    return "\n".join((engine_source(), (_HERE / "paths.js").read_text(encoding="utf-8")))


def unit_network(w: float, b: float) -> Network:
    """The two-weight network :math:`o = w x + b` with the half squared error."""
    return Network([Dense.from_arrays([[w]], [b], "linear")], "squared_error")


class PathsWidget(anywidget.AnyWidget):
    r"""The paths of gradient descent, momentum and Adam on :math:`E(w, b)`, in the browser.

    Parameters
    ----------
    x, t : sequences of N finite numbers
        The inputs and targets of the one linear unit.
    start : (w, b)
        Where every path starts.
    steps : int
        Full-batch steps per path.
    rates : dict, optional
        ``{"sgd": lr, "momentum": lr, "adam": lr}``, each one of :data:`RATE_CHOICES`.
    window : (w_min, w_max, b_min, b_max)
        The part of the plane drawn.
    """

    # Made when the first widget is (printing the engine's tables imports sympy), not on import.
    _esm = traitlets.Unicode().tag(sync=True)

    @traitlets.default("_esm")
    def _default_esm(self) -> str:
        return paths_esm()

    x = traitlets.List(traitlets.Float()).tag(sync=True)
    t = traitlets.List(traitlets.Float()).tag(sync=True)
    start = traitlets.List(traitlets.Float()).tag(sync=True)
    steps = traitlets.Int(100).tag(sync=True)
    rules = traitlets.Dict().tag(sync=True)
    rates = traitlets.Dict().tag(sync=True)
    rate_choices = traitlets.List(traitlets.Float()).tag(sync=True)
    window = traitlets.List(traitlets.Float()).tag(sync=True)

    def __init__(self, x, t, start=(-1.0, 2.5), steps=100, rates=None, window=(-1.5, 2.5, -2, 4.5)):
        where = "PathsWidget"
        x = as_real_array(x, "x", where, "(N,)").astype(np.float64).ravel()
        t = as_real_array(t, "t", where, "(N,)").astype(np.float64).ravel()
        if x.shape != t.shape or not (np.isfinite(x).all() and np.isfinite(t).all()):
            raise ValueError(
                f"{where}: x and t must be finite and of one length; got {x.size} and {t.size}."
            )
        steps = check_positive_int(steps, "steps", where)
        rates = {"sgd": 0.2, "momentum": 0.2, "adam": 0.5} if rates is None else dict(rates)
        if set(rates) != set(OPTIMIZER_CHOICES):
            raise ValueError(
                f"{where}: rates must give one rate for each of {sorted(OPTIMIZER_CHOICES)}; "
                f"got {sorted(rates)}."
            )
        for name, lr in rates.items():
            check_positive_float(lr, f"rates[{name!r}]", where)
            if lr not in RATE_CHOICES:
                raise ValueError(
                    f"{where}: rates[{name!r}] must be one of {RATE_CHOICES}; got {lr}."
                )
        super().__init__(
            x=x.tolist(),
            t=t.tolist(),
            start=[float(start[0]), float(start[1])],
            steps=steps,
            rules=OPTIMIZER_CHOICES,
            rates=rates,
            rate_choices=RATE_CHOICES,
            window=[float(v) for v in window],
        )

    def paths(self) -> dict[str, np.ndarray]:
        """``{rule: array (steps + 1, 2)}``: the library's path of every rule at the current
        rates, ``(w, b)`` after each full-batch step, the first row the start."""
        X, T = np.array(self.x)[:, None], np.array(self.t)[:, None]
        out = {}
        for name in self.rules:
            net = unit_network(*self.start)
            points = [tuple(self.start)]

            def record(net, history, points=points):
                points.append((net.layers[0].W[0, 0], net.layers[0].b[0]))

            net.fit(
                X,
                T,
                epochs=self.steps,
                batch_size=len(X),
                rng=0,
                optimizer=library_optimizer(name, self.rates[name]),
                callback=record,
            )
            out[name] = np.array(points)
        return out
