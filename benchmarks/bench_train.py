r"""Training speed of ``Network.fit`` against a plain numpy loop that only trains.

The network of Swinn's note: 784 inputs, 64 sigmoid hidden units, 10 softmax outputs,
cross-entropy loss (``Network.from_sizes([784, 64, 10], ["sigmoid", "softmax"],
"cross_entropy")``). Each measurement is one call of ``net.fit(X, T, epochs, lr,
batch_size)`` with its defaults (no full-set evaluation; the History records the mean of
the batch losses and accuracies the forward passes computed), at batch sizes 1, 32, 256
and 1024, in float64 and float32, for one epoch and for five. Batches of 32 and more use
20,000 samples; batch 1 uses 2,000 (one step per sample: 20,000 would take minutes).

The hand loop does only the training, written out flat in one function: the shuffle (one
permutation per epoch, each batch gathered with ``X[rows]``), and for every batch the
forward pass (stable sigmoid, max-shifted softmax), the fused output delta
:math:`(o - t)/B`, the backward pass and the gradient step. It records nothing: no loss,
no accuracy. Both start from the same weights and shuffle with the same seed, and the
script asserts that they end with bit-identical weights, so they take the same steps. The
ratio (fit's samples/s over the hand loop's) therefore measures everything ``fit`` adds to
the training: its argument checks, method calls and attribute look-ups, the output-delta
dispatch, the per-batch loss and accuracy it records, and the per-epoch weight copy that
lets it restore the last epoch on divergence.

GEMM-bound limit: at batch 256, the time of the matrix products of one step alone (the
forward :math:`o^{l-1} W^l` of both layers, both :math:`(o^{l-1})^\top \delta^l`, and
:math:`\delta^2 (W^2)^\top`; the library never computes :math:`\delta^1 (W^1)^\top`, which
no layer needs), on preallocated arrays of the same shapes, over the time of one step of
``fit`` and of the hand loop. 1.0 would mean nothing but GEMMs.

PyTorch: if ``import torch`` works (it is not a requirement), the same network trained the
idiomatic way (``nn.Sequential``, ``nn.CrossEntropyLoss``, ``torch.optim.SGD``, one thread)
is timed too, for one epoch; otherwise those columns are skipped.

Data: synthetic and seeded: pixels uniform in [0, 1), labels uniform over the 10 classes
(speed does not depend on the values). Each configuration is timed ``--repeats`` times,
library and hand loop alternating, and the fastest run of each is reported (the usual
choice on a shared machine: slower runs measure other processes). BLAS runs on one thread
(threadpoolctl if installed, and the usual environment variables, set before numpy is
imported), and the timer is the CPU time of this process (``time.process_time``), so other
processes on the machine do not count.

Run: ``.venv/bin/python benchmarks/bench_train.py`` (about two minutes on 2 cores).
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"  # before numpy is imported: one BLAS thread

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from backprop_lib import Network  # noqa: E402

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # the environment variables above already hold BLAS to one thread
    threadpool_limits = None

SIZES = [784, 64, 10]
N_SAMPLES = 20_000
N_SAMPLES_BATCH_1 = 2_000
LR = 0.1
SEED = 2023
clock = time.process_time  # CPU seconds of this process: one BLAS thread, others not counted


def make_data(dtype, n_samples, seed=SEED):
    """Seeded synthetic images ``X`` (N, 784) in [0, 1) and one-hot targets ``T`` (N, 10)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 1.0, size=(n_samples, SIZES[0])).astype(dtype)
    T = np.eye(SIZES[-1], dtype=dtype)[rng.integers(0, SIZES[-1], size=n_samples)]
    return X, T


def hand_train(W1, b1, W2, b2, X, T, lr, batch_size, epochs, rng):
    """``epochs`` epochs of mini-batch gradient descent, flat numpy, nothing recorded;
    updates the arrays in place."""
    for _ in range(epochs):
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


def time_fit(net, X, T, batch_size, epochs):
    """CPU seconds of ``net.fit`` with its defaults."""
    start = clock()
    net.fit(X, T, epochs=epochs, lr=LR, batch_size=batch_size, rng=SEED)
    return clock() - start


def time_hand(params, X, T, batch_size, epochs):
    """CPU seconds of the hand loop (its generator created inside, as ``fit`` does)."""
    start = clock()
    hand_train(*params, X, T, LR, batch_size, epochs, np.random.default_rng(SEED))
    return clock() - start


def run(dtype, batch_size, epochs, repeats):
    """Best seconds of (fit, hand loop); asserts bit-identical weights after every run."""
    n_samples = N_SAMPLES_BATCH_1 if batch_size == 1 else N_SAMPLES
    X, T = make_data(dtype, n_samples)
    initial = Network.from_sizes(
        SIZES, ["sigmoid", "softmax"], "cross_entropy", rng=SEED, dtype=dtype
    )
    best = np.full(2, np.inf)
    for repeat in range(repeats):
        net = initial.copy()
        params = [array.copy() for pair in initial.parameters() for array in pair]
        if repeat % 2 == 0:  # alternate which side runs first
            times = [time_fit(net, X, T, batch_size, epochs)]
            times.append(time_hand(params, X, T, batch_size, epochs))
        else:
            hand = time_hand(params, X, T, batch_size, epochs)
            times = [time_fit(net, X, T, batch_size, epochs), hand]
        best = np.minimum(best, times)
        for got, want in zip(
            [array for pair in net.parameters() for array in pair], params, strict=True
        ):
            np.testing.assert_array_equal(got, want)  # the same steps, bit for bit
    return n_samples, best


def gemm_seconds_per_step(dtype, batch_size, repeats, n_steps=200):
    """Best CPU seconds per step of the step's five matrix products alone."""
    rng = np.random.default_rng(SEED)
    n0, n1, n2 = SIZES
    x = rng.uniform(size=(batch_size, n0)).astype(dtype)
    W1, W2 = rng.normal(size=(n0, n1)).astype(dtype), rng.normal(size=(n1, n2)).astype(dtype)
    o1 = rng.uniform(size=(batch_size, n1)).astype(dtype)
    d1 = rng.normal(size=(batch_size, n1)).astype(dtype)
    d2 = rng.normal(size=(batch_size, n2)).astype(dtype)
    s1, s2 = np.empty((batch_size, n1), dtype), np.empty((batch_size, n2), dtype)
    dW1, dW2 = np.empty((n0, n1), dtype), np.empty((n1, n2), dtype)
    g1 = np.empty((batch_size, n1), dtype)
    best = np.inf
    for _ in range(repeats):
        start = clock()
        for _ in range(n_steps):
            np.matmul(x, W1, out=s1)  # s^1 = o^0 W^1
            np.matmul(o1, W2, out=s2)  # s^2 = o^1 W^2
            np.matmul(o1.T, d2, out=dW2)  # (o^1)ᵀ δ^2
            np.matmul(d2, W2.T, out=g1)  # δ^2 (W^2)ᵀ
            np.matmul(x.T, d1, out=dW1)  # (o^0)ᵀ δ^1
        best = min(best, (clock() - start) / n_steps)
    return best


def torch_samples_per_second(dtype, batch_size, repeats):
    """Samples/s of one epoch of idiomatic PyTorch CPU training, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    n_samples = N_SAMPLES_BATCH_1 if batch_size == 1 else N_SAMPLES
    X, T = make_data(dtype, n_samples)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(np.argmax(T, axis=1))
    best = np.inf
    for _ in range(repeats):
        model = torch.nn.Sequential(
            torch.nn.Linear(SIZES[0], SIZES[1]),
            torch.nn.Sigmoid(),
            torch.nn.Linear(SIZES[1], SIZES[2]),
        ).to(torch.float64 if dtype == np.float64 else torch.float32)
        optimizer = torch.optim.SGD(model.parameters(), lr=LR)
        loss_fn = torch.nn.CrossEntropyLoss()
        start = clock()
        order = torch.randperm(n_samples)
        for begin in range(0, n_samples, batch_size):
            rows = order[begin : begin + batch_size]
            optimizer.zero_grad()
            loss_fn(model(X_t[rows]), y_t[rows]).backward()
            optimizer.step()
        best = min(best, clock() - start)
    return n_samples / best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per configuration")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 32, 256, 1024])
    args = parser.parse_args()
    if threadpool_limits is not None:
        threadpool_limits(1)

    print(
        f"784-64-10 sigmoid/softmax cross-entropy; {N_SAMPLES:,} samples per epoch "
        f"({N_SAMPLES_BATCH_1:,} at batch 1); best of {args.repeats}"
    )
    print(
        f"numpy {np.__version__}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"1 BLAS thread ({'threadpoolctl' if threadpool_limits else 'environment'}), timer "
        f"{clock.__name__}, load average {os.getloadavg()[0]:.2f}"
    )
    print()
    has_torch = torch_samples_per_second(np.float64, 1024, 1) is not None
    half = f"{'fit':>10} {'hand':>10} {'ratio':>6}"
    header = f"{'':8} {'':>5} | {'one epoch':^29} | {'five epochs':^29} |"
    columns = f"{'dtype':8} {'batch':>5} | {half} | {half} |"
    if has_torch:
        header += f" {'torch, one epoch':^17} |"
        columns += f" {'torch':>10} {'fit/t':>6} |"
    print(header)
    print(columns)
    print("-" * len(columns))
    step_times = {}
    for dtype in (np.float64, np.float32):
        for batch_size in args.batch_sizes:
            line = f"{np.dtype(dtype).name:8} {batch_size:5d} |"
            for epochs in (1, 5):
                n_samples, (fit_s, hand_s) = run(dtype, batch_size, epochs, args.repeats)
                fit, hand = epochs * n_samples / fit_s, epochs * n_samples / hand_s
                line += f" {fit:10,.0f} {hand:10,.0f} {fit / hand:6.2f} |"
                if epochs == 1:
                    steps = -(-n_samples // batch_size)
                    step_times[dtype, batch_size] = (fit_s / steps, hand_s / steps)
                    one_epoch_fit = fit
            if has_torch:
                torch_rate = torch_samples_per_second(dtype, batch_size, args.repeats)
                line += f" {torch_rate:10,.0f} {one_epoch_fit / torch_rate:6.2f} |"
            print(line, flush=True)
    print(
        "\nsamples/s: samples trained on / the fastest run's CPU seconds; ratio = fit / hand "
        "loop" + ("; fit/t = fit / torch" if has_torch else " (torch not installed)") + "."
    )
    if 256 in args.batch_sizes:
        print("\nGEMM-bound limit at batch 256 (the five matrix products of one step alone):")
        for dtype in (np.float64, np.float32):
            gemm = gemm_seconds_per_step(dtype, 256, args.repeats)
            fit_step, hand_step = step_times[dtype, 256]
            print(
                f"  {np.dtype(dtype).name}: GEMMs {gemm * 1e6:7.1f} µs per step; fit step "
                f"{fit_step * 1e6:7.1f} µs ({gemm / fit_step:.0%} of it GEMM), hand step "
                f"{hand_step * 1e6:7.1f} µs ({gemm / hand_step:.0%})"
            )


if __name__ == "__main__":
    main()
