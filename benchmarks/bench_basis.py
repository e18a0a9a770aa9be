"""The figures behind SineFeatures' design: accuracy, conditioning and cost.

1. How well each basis fits eˣ on [0, 1] with 20 terms (and an intercept):
   the maximum error of the least-squares fit on 400 evenly spaced points,
   as in ``examples/plot_sine_basis.py``.
2. The condition number of each basis' feature matrix, 20 terms per family
   and a column of ones, on the same points.
3. The rounding error of the sin(kt) / cos(kt) recurrence that SineFeatures
   uses for independent coupling: the largest difference from NumPy's
   ``np.sin(k * np.pi * x)`` and ``np.cos(...)`` over 2,000 random x, at a few
   frequencies k.
4. What the recurrence saves: nanoseconds per feature element of
   ``np.sin`` on a float64 array against one step of the recurrence (a
   multiply and a subtract), on 1,000,000 elements (median of ``--repeats``,
   alternating).

Run: ``python benchmarks/bench_basis.py [--repeats 7]``.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import median_seconds, print_table  # noqa: E402

from skfa.linear_model import LinearFeatureRegressor, SineFeatures  # noqa: E402

N_TERMS = 20
FREQUENCIES = (50, 200, 1000)
N_ELEMENTS = 1_000_000


def fit_errors(x):
    rows = []
    y = np.exp(x[:, 0])
    for basis in ("sine", "cosine", "sine_linear", "fourier"):
        model = LinearFeatureRegressor(n_basis=N_TERMS, basis=basis).fit(x, y)
        features = SineFeatures(n_basis=N_TERMS, basis=basis).fit_transform(x)
        with_ones = np.hstack([features, np.ones((len(x), 1))])
        rows.append(
            {
                "basis": basis,
                "max error for eˣ": f"{np.abs(model.predict(x) - y).max():.2g}",
                "condition number": f"{np.linalg.cond(with_ones):.2g}",
            }
        )
    return rows


def recurrence_errors():
    x = np.random.default_rng(0).uniform(0, 1, 2000)
    x[:2] = 0.0, 1.0
    features = SineFeatures(n_basis=max(FREQUENCIES), basis="fourier").fit_transform(
        x.reshape(-1, 1)
    )
    rows = []
    for k in FREQUENCIES:
        sine, cosine = features[:, k - 1], features[:, max(FREQUENCIES) + k - 1]
        sine_error = np.abs(sine - np.sin(k * np.pi * x)).max()
        cosine_error = np.abs(cosine - np.cos(k * np.pi * x)).max()
        rows.append(
            {
                "k": k,
                "max |sin error|": f"{sine_error:.1g}",
                "max |cos error|": f"{cosine_error:.1g}",
            }
        )
    return rows


def element_costs(repeats):
    t = np.random.default_rng(0).uniform(0, np.pi, N_ELEMENTS)
    two_cos, previous, current, out = (np.cos(t) * 2, np.sin(t), np.sin(2 * t), t * 0)

    def numpy_sin():
        np.sin(t, out=out)

    def recurrence_step():
        np.multiply(two_cos, current, out=out)
        np.subtract(out, previous, out=out)

    times = median_seconds(
        {"np.sin": numpy_sin, "recurrence step": recurrence_step}, repeats
    )
    return [
        {"operation": name, "ns per element": f"{1e9 * seconds / N_ELEMENTS:.2f}"}
        for name, seconds in times.items()
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    x = np.linspace(0, 1, 400).reshape(-1, 1)
    print_table(
        f"eˣ on [0, 1], {N_TERMS} terms per family",
        fit_errors(x),
        ["basis", "max error for eˣ", "condition number"],
    )
    print_table(
        "The recurrence against NumPy",
        recurrence_errors(),
        ["k", "max |sin error|", "max |cos error|"],
    )
    print_table(
        f"Cost per element, {N_ELEMENTS:,} float64 elements, median of {args.repeats}",
        element_costs(args.repeats),
        ["operation", "ns per element"],
    )


if __name__ == "__main__":
    main()
