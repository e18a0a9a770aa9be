"""Epoch time of MLPApproximator against scikit-learn's MLPRegressor (and PyTorch).

100,000 × 20 inputs, relu, Adam, batch 256; one epoch is one ``partial_fit``
call on a network that has already been initialised. Each repeat runs every
contender once, alternating; the table shows medians and ratios to
scikit-learn's float64 time, plus the rate the BLAS reaches on the same matrix
products (the floor: 6 × samples × weights floating-point operations an epoch).

Run: ``python benchmarks/bench_mlp.py [--repeats 5] [--sizes 256,256 64,64]``.
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
from sklearn.neural_network import MLPRegressor

sys.path.insert(0, os.path.dirname(__file__))
from _timing import median_seconds, print_table  # noqa: E402

from skfa import MLPApproximator  # noqa: E402

N_SAMPLES, N_FEATURES, BATCH = 100_000, 20, 256


def make_data(dtype):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES)).astype(dtype)
    y = (np.sin(X[:, 0]) + X[:, 1] * X[:, 2]).astype(dtype)
    return X, y


def n_weights(sizes):
    widths = [N_FEATURES, *sizes, 1]
    return sum(a * b for a, b in zip(widths[:-1], widths[1:]))


def skfa_epoch(sizes, dtype):
    X, y = make_data(dtype)
    model = MLPApproximator(hidden_layer_sizes=sizes, batch_size=BATCH, random_state=0)
    model.partial_fit(X[:BATCH], y[:BATCH])
    return lambda: model.partial_fit(X, y)


def sklearn_epoch(sizes):
    X, y = make_data(np.float64)
    model = MLPRegressor(hidden_layer_sizes=sizes, batch_size=BATCH, random_state=0)
    model.partial_fit(X[:BATCH], y[:BATCH])
    return lambda: model.partial_fit(X, y)


def torch_epoch(sizes, dtype):
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    X, y = make_data(dtype)
    X, y = torch.from_numpy(X), torch.from_numpy(y).reshape(-1, 1)
    widths = [N_FEATURES, *sizes]
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    network = torch.nn.Sequential(*layers, torch.nn.Linear(widths[-1], 1))
    network = network.to(torch.float64 if dtype == np.float64 else torch.float32)
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-3, fused=True)
    loss_fn = torch.nn.MSELoss()

    def epoch():
        order = torch.randperm(N_SAMPLES)
        for start in range(0, N_SAMPLES, BATCH):
            batch = order[start : start + BATCH]
            optimizer.zero_grad()
            loss_fn(network(X[batch]), y[batch]).backward()
            optimizer.step()

    return epoch


def blas_epoch(sizes, dtype):
    """The matrix products of one epoch alone: forward, and two for backward.

    Written into preallocated outputs, so that this is the arithmetic alone.
    """
    rng = np.random.default_rng(0)
    widths = [N_FEATURES, *sizes, 1]
    products = []
    for a, b in zip(widths[:-1], widths[1:]):
        W = rng.normal(size=(a, b)).astype(dtype)
        A = rng.normal(size=(BATCH, a)).astype(dtype)
        G = rng.normal(size=(BATCH, b)).astype(dtype)
        products += [
            (A, W, np.empty((BATCH, b), dtype)),
            (A.T, G, np.empty((a, b), dtype)),
            (G, W.T, np.empty((BATCH, a), dtype)),
        ]

    def epoch():
        for _ in range(N_SAMPLES // BATCH):
            for left, right, out in products:
                np.matmul(left, right, out=out)

    return epoch


def one_row_predict(sizes, repeats=2000):
    """Microseconds to predict one row, skfa and scikit-learn on one network."""
    X, y = make_data(np.float64)
    ours = MLPApproximator(hidden_layer_sizes=sizes, max_iter=1, random_state=0)
    theirs = MLPRegressor(hidden_layer_sizes=sizes, max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours.fit(X[:2000], y[:2000])
        theirs.fit(X[:2000], y[:2000])
    row = X[:1]

    def loop(model):
        return lambda: [model.predict(row) for _ in range(repeats)]

    times = median_seconds({"skfa": loop(ours), "sklearn": loop(theirs)}, 5)
    return {name: 1e6 * t / repeats for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", nargs="+", default=["256,256", "64,64"])
    args = parser.parse_args()

    rows = []
    for text in args.sizes:
        sizes = tuple(int(s) for s in text.split(","))
        contenders = {
            "sklearn float64": sklearn_epoch(sizes),
            "skfa float64": skfa_epoch(sizes, np.float64),
            "skfa float32": skfa_epoch(sizes, np.float32),
            "BLAS float64": blas_epoch(sizes, np.float64),
            "BLAS float32": blas_epoch(sizes, np.float32),
        }
        for dtype, label in [(np.float64, "float64"), (np.float32, "float32")]:
            epoch = torch_epoch(sizes, dtype)
            if epoch is not None:
                contenders[f"torch {label}"] = epoch
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            times = median_seconds(contenders, args.repeats)
        gflop = 6 * N_SAMPLES * n_weights(sizes) / 1e9
        reference = times["sklearn float64"]
        for name, seconds in times.items():
            rows.append(
                {
                    "network": str(sizes),
                    "contender": name,
                    "s/epoch": f"{seconds:.3f}",
                    "× sklearn": f"{seconds / reference:.2f}",
                    "GFLOP/s": f"{gflop / seconds:.1f}",
                }
            )
    print_table(
        f"One epoch, {N_SAMPLES:,} × {N_FEATURES}, relu, Adam, batch {BATCH} "
        f"(medians of {args.repeats})",
        rows,
        ["network", "contender", "s/epoch", "× sklearn", "GFLOP/s"],
    )
    predict = one_row_predict((64, 64))
    print_table(
        "One-row predict, (64, 64) network (µs, medians)",
        [
            {
                "skfa": f"{predict['skfa']:.1f}",
                "sklearn": f"{predict['sklearn']:.1f}",
                "ratio": f"{predict['skfa'] / predict['sklearn']:.2f}",
            }
        ],
        ["skfa", "sklearn", "ratio"],
    )


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"\n(total {time.perf_counter() - start:.0f} s)")
