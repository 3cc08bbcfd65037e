r"""Training speed of backprop_lib against a minimal hand-fused numpy loop.

The network of Swinn's note: 784 inputs, 64 sigmoid hidden units, 10 softmax outputs,
cross-entropy loss (``Network.from_sizes([784, 64, 10], ["sigmoid", "softmax"],
"cross_entropy")``). Each measurement is one call of ``net.fit(X, T, epochs=1, ...)`` on
20,000 samples, at batch sizes 1, 32 and 256, in float64 and float32.

The hand loop does exactly the arithmetic ``fit`` does, written out flat in one function:
the loss and accuracy on the whole training set before and after the epoch (what ``fit``
records in its History), the shuffle (one permutation per epoch, each batch gathered with
``X[rows]``), and for every batch the forward pass (stable sigmoid, max-shifted softmax),
the fused output delta :math:`(o - t)/B`, the backward pass and the gradient step. Both
start from the same weights and shuffle with the same seed, and the script asserts that
they end with bit-identical weights and the same recorded losses, so the two really compute
the same thing. The ratio therefore measures what the library's structure costs: method
calls, attribute look-ups, the output-delta dispatch and the argument checks of ``fit``.

Data: synthetic and seeded: pixels uniform in [0, 1), labels uniform over the 10 classes
(speed does not depend on the values). Each configuration is timed ``--repeats`` times,
library and hand loop alternating, and the fastest run of each is reported (the usual
choice for timing on a shared machine: slower runs measure other processes).

BLAS runs on one thread by default (``--threads 1``, via threadpoolctl), and the timer is
then the CPU time of this process (``time.process_time``), so that other processes on a
shared machine do not count: a multi-threaded BLAS on busy cores, and wall-clock time, make
the timings noise. Both sides use the same BLAS either way. ``--threads 0`` leaves BLAS at
its default and times wall-clock seconds.

Run: ``.venv/bin/python benchmarks/bench_train.py`` (under two minutes on 2 cores).
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

#: The timer: CPU seconds of this process while BLAS runs on one thread (other processes on a
#: shared machine then cost nothing), wall-clock seconds otherwise (set in ``main``).
clock = time.process_time


def make_data(dtype, n_samples=N_SAMPLES, seed=SEED):
    """Seeded synthetic images ``X`` (N, 784) in [0, 1) and one-hot targets ``T`` (N, 10)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 1.0, size=(n_samples, SIZES[0])).astype(dtype)
    T = np.eye(SIZES[-1], dtype=dtype)[rng.integers(0, SIZES[-1], size=n_samples)]
    return X, T


def hand_evaluate(W1, b1, W2, b2, X, T):
    """The loss and accuracy on the whole set, as ``fit`` records them."""
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


def hand_train_epoch(W1, b1, W2, b2, X, T, lr, batch_size, rng):
    """One epoch of mini-batch gradient descent, hand-fused; updates the arrays in place."""
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        rows = order[start : start + batch_size]
        x, t = X[rows], T[rows]
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


def time_library(net, X, T, batch_size):
    """Seconds for ``net.fit`` (one epoch) and for the training steps inside it.

    The steps are timed by wrapping the network's ``_train_epoch`` (the loop ``fit`` runs once
    per epoch) on this instance: one extra Python call per epoch.
    """
    train_epoch = net._train_epoch
    steps_time = []

    def timed_train_epoch(*args):
        start = clock()
        steps = train_epoch(*args)
        steps_time.append(clock() - start)
        return steps

    net._train_epoch = timed_train_epoch
    start = clock()
    history = net.fit(X, T, epochs=1, lr=LR, batch_size=batch_size, rng=SEED)
    total = clock() - start
    del net._train_epoch
    return total, steps_time[0], (history.loss, history.accuracy)


def time_hand(params, X, T, batch_size):
    """Seconds for the hand loop's epoch (with fit's two evaluations) and for its steps."""
    start = clock()
    rng = np.random.default_rng(SEED)
    before = hand_evaluate(*params, X, T)
    steps_start = clock()
    hand_train_epoch(*params, X, T, LR, batch_size, rng)
    steps = clock() - steps_start
    after = hand_evaluate(*params, X, T)
    total = clock() - start
    return total, steps, ([before[0], after[0]], [before[1], after[1]])


def run(dtype, batch_size, repeats):
    """Best samples/s of (library fit, hand fit, library steps, hand steps)."""
    X, T = make_data(dtype)
    initial = Network.from_sizes(
        SIZES, ["sigmoid", "softmax"], "cross_entropy", rng=SEED, dtype=dtype
    )
    best = np.full(4, np.inf)
    for _ in range(repeats):
        net = initial.copy()
        lib_total, lib_steps, lib_record = time_library(net, X, T, batch_size)
        params = [array.copy() for pair in initial.parameters() for array in pair]
        hand_total, hand_steps, hand_record = time_hand(params, X, T, batch_size)
        best = np.minimum(best, [lib_total, hand_total, lib_steps, hand_steps])
        # the same arithmetic: bit-identical weights and the same recorded loss and accuracy
        for got, want in zip(
            [array for pair in net.parameters() for array in pair], params, strict=True
        ):
            np.testing.assert_array_equal(got, want)
        assert lib_record == hand_record, (lib_record, hand_record)
    return N_SAMPLES / best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per configuration")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 32, 256])
    parser.add_argument(
        "--threads", type=int, default=1, help="BLAS threads (0: leave BLAS at its default)"
    )
    args = parser.parse_args()
    global clock
    if args.threads > 0:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    if args.threads != 1:
        clock = time.perf_counter  # several BLAS threads: CPU time would add them up

    print(
        f"784-64-10 sigmoid/softmax cross-entropy, one epoch of {N_SAMPLES:,} samples; "
        f"best of {args.repeats}"
    )
    print(
        f"numpy {np.__version__}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"BLAS threads {args.threads or 'default'}, timer {clock.__name__}, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print()
    header = f"{'':8} {'':>5} | {'fit (epoch + 2 evaluations)':^30} | {'training steps only':^30}"
    columns = f"{'dtype':8} {'batch':>5} |" + f" {'library':>10} {'hand':>10} {'ratio':>6} |" * 2
    print(header)
    print(columns)
    print("-" * len(columns))
    for dtype in (np.float64, np.float32):
        for batch_size in args.batch_sizes:
            lib, hand, lib_steps, hand_steps = run(dtype, batch_size, args.repeats)
            print(
                f"{np.dtype(dtype).name:8} {batch_size:5d} |"
                f" {lib:10,.0f} {hand:10,.0f} {lib / hand:6.2f} |"
                f" {lib_steps:10,.0f} {hand_steps:10,.0f} {lib_steps / hand_steps:6.2f} |",
                flush=True,
            )
    print("\nsamples/s: 20,000 / the fastest run's seconds; ratio = library / hand loop.")


if __name__ == "__main__":
    main()
