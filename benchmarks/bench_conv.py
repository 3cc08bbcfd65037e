r"""Speed of ``Conv2D`` forward + backward against a plain numpy reference (and torch's CPU
conv2d when it is importable), and the peak memory of one training step of a small CNN.

Configurations (issue 22): inputs of shape (64, 1, 28, 28) through 8 filters of 3 × 3, then
the (64, 8, 26, 26) output through 16 filters of 3 × 3; stride 1, no padding, float64. Each
is timed twice:

- **input gradient: yes**: forward, then ``dW``, ``db`` and :math:`\partial E/\partial x`
  (what every layer but the first of a network computes);
- **input gradient: no (below=False)**: forward, then ``dW`` and ``db`` only
  (``Conv2D.backward(g, below=False)``, what ``Network`` asks of its first layer, whose
  input is the data). The other two columns skip the input gradient too: the reference
  does not compute it, and torch's input tensor has ``requires_grad=False``.

Against what, in the same process:

- **library**: ``Conv2D.forward`` then ``Conv2D.backward``: im2col and matrix products;
  the input gradient is each patch's gradient (one matrix product) added back with
  col2im, one strided slice add per kernel offset.
- **reference**: the same results written the plain numpy way: ``np.einsum`` over a
  strided window view for the forward pass and ``dW``, and the input gradient by
  scatter-adding ``g ⊗ W`` for each of the k × k kernel offsets. The script asserts that
  both give the same numbers (rtol 1e-10).
- **torch** (only if ``import torch`` works; it is not a requirement): ``conv2d`` forward
  and ``backward`` on one thread (``torch.set_num_threads(1)``), float64, with
  ``requires_grad`` on the weights and bias (and on the input when its gradient is timed);
  the script asserts that torch gives the library's numbers (rtol 1e-8).

Each is timed ``--repeats`` times, alternating, and the fastest run counts (CPU time of the
process, ``time.process_time``; BLAS on one thread). Printed: milliseconds per forward +
backward, and the library's time divided by each other's (``lib/ref``, ``lib/torch``; below
1: the library is faster). The issue's goal is ``lib/torch`` ≤ 2.

Memory: ``tracemalloc`` peak during one ``Network.backward`` + ``Network.step`` of a small
CNN on a batch of (64, 1, 28, 28) (Conv2D(1, 8, 3, padding=1), ReLU, MaxPool2D(2),
Conv2D(8, 16, 3, padding=1), ReLU, MaxPool2D(2), Flatten, Dense(784, 10, softmax)), with the
size of the arrays the layers keep for the backward pass for comparison. ``Network`` runs its
first Conv2D with ``below=False`` (no input gradient), the second with it. numpy reports its
allocations to tracemalloc, so the peak counts the arrays.

Run: ``.venv/bin/python benchmarks/bench_conv.py`` (under a minute).
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"  # before numpy is imported: one BLAS thread

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from functools import partial  # noqa: E402

import numpy as np  # noqa: E402

from backprop_lib import (  # noqa: E402
    ActivationLayer,
    Conv2D,
    Dense,
    Flatten,
    MaxPool2D,
    Network,
)

try:
    import torch
except ImportError:  # torch is not a requirement: its column is skipped
    torch = None


def reference(x: np.ndarray, W: np.ndarray, b: np.ndarray, g: np.ndarray, input_grad: bool):
    """Forward and backward of a stride-1, unpadded convolution, the plain numpy way
    (``dx`` is None without ``input_grad``)."""
    k = W.shape[2]
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))
    y = np.einsum("bchwuv,ocuv->bohw", windows, W, optimize=True) + b[:, None, None]
    dW = np.einsum("bohw,bchwuv->ocuv", g, windows, optimize=True)
    db = g.sum(axis=(0, 2, 3))
    if not input_grad:
        return y, dW, db, None
    dx = np.zeros_like(x)
    H_out, W_out = g.shape[2:]
    for u in range(k):
        for v in range(k):
            dx[:, :, u : u + H_out, v : v + W_out] += np.einsum(
                "bohw,oc->bchw", g, W[:, :, u, v], optimize=True
            )
    return y, dW, db, dx


def library(layer: Conv2D, x: np.ndarray, g: np.ndarray, input_grad: bool):
    y = layer.forward(x)
    dx = layer.backward(g, below=input_grad)
    return y, layer.dW, layer.db, dx


def with_torch(x: np.ndarray, W: np.ndarray, b: np.ndarray, g: np.ndarray, input_grad: bool):
    xt = torch.tensor(x, requires_grad=input_grad)
    Wt = torch.tensor(W, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    y = torch.nn.functional.conv2d(xt, Wt, bt)
    y.backward(torch.tensor(g))
    dx = xt.grad.numpy() if input_grad else xt.grad
    return y.detach().numpy(), Wt.grad.numpy(), bt.grad.numpy(), dx


def same(mine: tuple, theirs: tuple, rtol: float) -> None:
    """``y``, ``dW``, ``db`` and ``dx`` agree (``dx`` None on both sides without it)."""
    for a, b in zip(mine, theirs, strict=True):
        if a is None or b is None:
            assert a is None and b is None, "one side computed the input gradient"
        else:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-10)


def best_time(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.process_time()
        function()
        times.append(time.process_time() - start)
    return min(times)


def speed(repeats: int) -> None:
    rng = np.random.default_rng(0)
    x1 = rng.random((64, 1, 28, 28))
    first = Conv2D(1, 8, 3, rng=rng)
    x2 = first.forward(x1)
    layers = [("1 -> 8, (64, 1, 28, 28)", first, x1)]
    layers.append(("8 -> 16, (64, 8, 26, 26)", Conv2D(8, 16, 3, rng=rng), x2))
    if torch is not None:
        torch.set_num_threads(1)
    header = (
        f"{'configuration':24s} {'input gradient':>16s} | {'library ms':>10s} | "
        f"{'ref ms':>6s} {'lib/ref':>7s} | {'torch ms':>8s} {'lib/torch':>9s}"
    )
    print(header)
    print("-" * len(header))
    for name, layer, x in layers:
        layer.b = rng.normal(size=layer.b.shape)
        g = rng.normal(size=layer.output_shape(x.shape, "bench", "x"))
        for input_grad in (True, False):
            ours = library(layer, x, g, input_grad)
            same(ours, reference(x, layer.W, layer.b, g, input_grad), 1e-10)
            if torch is not None:
                same(ours, with_torch(x, layer.W, layer.b, g, input_grad), 1e-8)
            args = (x, layer.W, layer.b, g, input_grad)
            t_lib = t_ref = t_torch = np.inf
            for _ in range(repeats):  # alternate, keep the fastest of each
                t_lib = min(t_lib, best_time(partial(library, layer, x, g, input_grad), 1))
                t_ref = min(t_ref, best_time(partial(reference, *args), 1))
                if torch is not None:
                    t_torch = min(t_torch, best_time(partial(with_torch, *args), 1))
            kind = "yes" if input_grad else "no (below=False)"
            line = (
                f"{name:24s} {kind:>16s} | {1e3 * t_lib:10.1f} | {1e3 * t_ref:6.1f} "
                f"{t_lib / t_ref:7.2f}"
            )
            if torch is not None:
                line += f" | {1e3 * t_torch:8.1f} {t_lib / t_torch:9.2f}"
            else:
                line += " | skipped (torch not importable)"
            print(line)
    print(
        "lib/x = the library's time / x's time (< 1: the library is faster); "
        "the issue's goal: lib/torch <= 2"
    )


def memory() -> None:
    rng = np.random.default_rng(1)
    net = Network(
        [
            Conv2D(1, 8, 3, padding=1, rng=rng),
            ActivationLayer("relu"),
            MaxPool2D(2),
            Conv2D(8, 16, 3, padding=1, rng=rng),
            ActivationLayer("relu"),
            MaxPool2D(2),
            Flatten(),
            Dense(784, 10, "softmax", rng=rng),
        ],
        "cross_entropy",
    )
    X = rng.random((64, 1, 28, 28))
    T = np.eye(10)[rng.integers(0, 10, size=64)]
    net.backward(X, T)  # warm up: the layers hold the arrays of one step already
    net.step(0.01)
    for layer in net.layers:  # measure one step from an empty state
        if isinstance(layer, Dense):
            layer.o_prev = layer.s = layer.o = layer.delta = layer.dW = layer.db = None
        else:
            layer.set_stored_values(None)
    tracemalloc.start()
    net.backward(X, T)
    net.step(0.01)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    kept = 0
    for layer in net.layers:
        values = (
            (layer.o_prev, layer.s, layer.o) if isinstance(layer, Dense) else layer.stored_values()
        )
        kept += sum(v.nbytes for v in values if isinstance(v, np.ndarray))
    print(
        f"peak memory of one training step (backward + step, batch 64 of 28 x 28): "
        f"{peak / 2**20:.1f} MiB; arrays the layers keep for the backward pass: "
        f"{kept / 2**20:.1f} MiB; the input batch itself: {X.nbytes / 2**20:.2f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    version = f", torch {torch.__version__}" if torch is not None else ", no torch"
    print(
        f"numpy {np.__version__}, Python {platform.python_version()}{version}, "
        f"{os.cpu_count()} cores, 1 BLAS thread, float64, best of {args.repeats}"
    )
    speed(args.repeats)
    memory()


if __name__ == "__main__":
    main()
