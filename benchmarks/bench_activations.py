"""The two element-wise shortcuts of ``skfa/neural_network/_activations.py``, measured.

- tanh's derivative 1 − a², computed in place in the layer's output, against
  the same formula with temporaries (``1 - a * a``): the time of one epoch of
  a (64, 64) tanh network (20,000 × 20 inputs, Adam, batch 256), whose
  backward pass calls the derivative once a layer and a minibatch;
- relu as ``np.maximum(z, row_of_zeros, out=z)`` against
  ``np.maximum(z, 0, out=z)``: the time of one call on a (256, 64) array.

Each in float64 and float32. The contenders alternate within every repeat;
the table shows medians and the ratio of the alternative's time to skfa's.

Run: ``python benchmarks/bench_activations.py [--repeats 7]``.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import median_seconds, print_table  # noqa: E402

from skfa import MLPApproximator  # noqa: E402
from skfa.neural_network._activations import ACTIVATIONS  # noqa: E402

N_SAMPLES, N_FEATURES, BATCH = 20_000, 20, 256
RELU_SHAPE, RELU_CALLS = (256, 64), 2_000


def tanh_epochs(dtype):
    """Two callables: an epoch with skfa's tanh derivative, one with temporaries."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES)).astype(dtype)
    y = (np.sin(X[:, 0]) + X[:, 1] * X[:, 2]).astype(dtype)
    model = MLPApproximator(
        hidden_layer_sizes=(64, 64), activation="tanh", batch_size=BATCH, random_state=0
    )
    model.partial_fit(X[:BATCH], y[:BATCH])
    tanh = ACTIVATIONS["tanh"]
    in_place = tanh.derivative

    def with_temporaries():
        tanh.derivative = lambda a: 1 - a * a
        try:
            model.partial_fit(X, y)
        finally:
            tanh.derivative = in_place

    return lambda: model.partial_fit(X, y), with_temporaries


def relu_calls(dtype):
    """Two callables: ``RELU_CALLS`` relus against a row of zeros, and against 0."""
    z = np.random.default_rng(0).normal(size=RELU_SHAPE).astype(dtype)
    zeros_row = np.zeros(RELU_SHAPE[-1:], dtype)

    def against_row():
        for _ in range(RELU_CALLS):
            np.maximum(z, zeros_row, out=z)

    def against_scalar():
        for _ in range(RELU_CALLS):
            np.maximum(z, 0, out=z)

    return against_row, against_scalar


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rows = []
    cases = [
        ("tanh derivative, one epoch", tanh_epochs, "temporaries", 1),
        (f"relu, one call on {RELU_SHAPE}", relu_calls, "against 0", RELU_CALLS),
    ]
    for title, make, alternative, calls in cases:
        for dtype in (np.float64, np.float32):
            skfa_run, other_run = make(dtype)
            # One untimed call of each: page in data and warm up the caches.
            skfa_run()
            other_run()
            times = median_seconds(
                {"skfa": skfa_run, alternative: other_run}, args.repeats
            )
            rows.append(
                {
                    "case": title,
                    "dtype": np.dtype(dtype).name,
                    "skfa (ms)": f"{1e3 * times['skfa'] / calls:.4f}",
                    "alternative (ms)": f"{1e3 * times[alternative] / calls:.4f}",
                    "alternative / skfa": f"{times[alternative] / times['skfa']:.2f}",
                }
            )
    print_table(
        f"Median of {args.repeats} repeats",
        rows,
        ["case", "dtype", "skfa (ms)", "alternative (ms)", "alternative / skfa"],
    )


if __name__ == "__main__":
    main()
