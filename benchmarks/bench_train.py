r"""Training speed of backprop_lib against a minimal hand-fused numpy loop.

The network of Swinn's note: 784 inputs, 64 sigmoid hidden units, 10 softmax outputs,
cross-entropy loss (``Network.from_sizes([784, 64, 10], ["sigmoid", "softmax"],
"cross_entropy")``). Each measurement is one call of ``net.fit(X, T, epochs=1, ...)`` on
20,000 samples, at batch sizes 1, 32 and 256, in float64 and float32.

The hand loop does exactly the arithmetic ``fit`` does, written out flat in one function:
the loss and accuracy on the whole training set before and after the epoch (what ``fit``
records in its History), the shuffle, and for every batch the forward pass (stable sigmoid,
max-shifted softmax), the fused output delta :math:`(o - t)/B`, the backward pass and the
gradient step. Both start from the same weights and shuffle with the same seed, and the
script asserts that they end with the same weights, so the two really compute the same thing.

Data: synthetic and seeded: pixels uniform in [0, 1), labels uniform over the 10 classes
(speed does not depend on the values). Each configuration is timed ``--repeats`` times,
library and hand loop alternating, and the fastest run of each is reported (the usual
choice for timing on a shared machine: slower runs measure other processes).

Run: ``.venv/bin/python benchmarks/bench_train.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from backprop_lib import Network

SIZES = [784, 64, 10]
N_SAMPLES = 20_000
LR = 0.1
SEED = 2023


def make_data(dtype, n_samples=N_SAMPLES, seed=SEED):
    """Seeded synthetic images ``X`` (N, 784) in [0, 1) and one-hot targets ``T`` (N, 10)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 1.0, size=(n_samples, SIZES[0])).astype(dtype)
    T = np.eye(SIZES[-1], dtype=dtype)[rng.integers(0, SIZES[-1], size=n_samples)]
    return X, T


def hand_fit_one_epoch(W1, b1, W2, b2, X, T, lr, batch_size, rng):
    """One epoch of what ``Network.fit`` does, hand-fused; updates the arrays in place.

    Returns the (loss, accuracy) before and after the epoch.
    """

    def evaluate():
        s1 = X @ W1 + b1
        e1 = np.exp(-np.abs(s1))
        o1 = np.where(s1 >= 0, 1.0, e1) / (1.0 + e1)
        s2 = o1 @ W2 + b2
        e2 = np.exp(s2 - s2.max(axis=-1, keepdims=True))
        o2 = e2 / e2.sum(axis=-1, keepdims=True)
        m = s2.max(axis=-1, keepdims=True)
        lse = m + np.log(np.exp(s2 - m).sum(axis=-1, keepdims=True))
        loss = float(np.sum(T * (lse - s2)) / len(T))
        accuracy = float(np.mean(np.argmax(o2, axis=1) == np.argmax(T, axis=1)))
        return loss, accuracy

    before = evaluate()
    order = rng.permutation(len(X))
    X_epoch, T_epoch = X[order], T[order]
    for start in range(0, len(X), batch_size):
        x = X_epoch[start : start + batch_size]
        t = T_epoch[start : start + batch_size]
        s1 = x @ W1 + b1
        e1 = np.exp(-np.abs(s1))
        o1 = np.where(s1 >= 0, 1.0, e1) / (1.0 + e1)
        s2 = o1 @ W2 + b2
        e2 = np.exp(s2 - s2.max(axis=-1, keepdims=True))
        o2 = e2 / e2.sum(axis=-1, keepdims=True)
        d2 = (o2 - t) / len(t)
        dW2 = o1.T @ d2
        db2 = d2.sum(axis=0)
        d1 = (d2 @ W2.T) * o1 * (1.0 - o1)
        dW1 = x.T @ d1
        db1 = d1.sum(axis=0)
        W1 -= lr * dW1
        b1 -= lr * db1
        W2 -= lr * dW2
        b2 -= lr * db2
    return before, evaluate()


def time_library(net, X, T, batch_size):
    rng = np.random.default_rng(SEED)
    start = time.perf_counter()
    history = net.fit(X, T, epochs=1, lr=LR, batch_size=batch_size, rng=rng)
    return time.perf_counter() - start, history


def time_hand(params, X, T, batch_size):
    rng = np.random.default_rng(SEED)
    start = time.perf_counter()
    before, after = hand_fit_one_epoch(*params, X, T, LR, batch_size, rng)
    return time.perf_counter() - start, (before, after)


def run(dtype, batch_size, repeats):
    X, T = make_data(dtype)
    initial = Network.from_sizes(
        SIZES, ["sigmoid", "softmax"], "cross_entropy", rng=SEED, dtype=dtype
    )
    best_lib = best_hand = np.inf
    for _ in range(repeats):
        net = initial.copy()
        elapsed, history = time_library(net, X, T, batch_size)
        best_lib = min(best_lib, elapsed)
        params = [array.copy() for pair in initial.parameters() for array in pair]
        elapsed, (before, after) = time_hand(params, X, T, batch_size)
        best_hand = min(best_hand, elapsed)
        # the same arithmetic: same weights and the same recorded loss and accuracy
        for got, want in zip(
            [array for pair in net.parameters() for array in pair], params, strict=True
        ):
            np.testing.assert_array_equal(got, want)
        assert (history.loss, history.accuracy) == ([before[0], after[0]], [before[1], after[1]])
    return N_SAMPLES / best_lib, N_SAMPLES / best_hand


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per configuration")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 32, 256])
    args = parser.parse_args()

    print(
        f"784-64-10 sigmoid/softmax cross-entropy, one epoch of {N_SAMPLES:,} samples; "
        f"best of {args.repeats}"
    )
    print(
        f"numpy {np.__version__}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    print()
    header = f"{'dtype':8} {'batch':>5} {'backprop_lib':>14} {'hand loop':>14} {'ratio':>7}"
    print(header)
    print(f"{'':8} {'':>5} {'samples/s':>14} {'samples/s':>14}")
    print("-" * len(header))
    for dtype in (np.float64, np.float32):
        for batch_size in args.batch_sizes:
            lib, hand = run(dtype, batch_size, args.repeats)
            print(
                f"{np.dtype(dtype).name:8} {batch_size:5d} {lib:14,.0f} {hand:14,.0f} "
                f"{lib / hand:7.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
