"""Fit 1,000,000 one-dimensional inputs with 50 sine terms: time and peak memory.

Compares, in one process and on the same data:

- skfa: ``LinearFeatureRegressor(n_basis=50, basis='sine')``, which builds the
  features block by block and folds them into the Gram matrix;
- the floor: the least work any closed-form fit must do with the whole feature
  matrix in memory - build the features (by the same sin(kt) recurrence, in one
  go), one Gram product, one Cholesky solve;
- the same floor with the features built by NumPy's ``sin``;
- scikit-learn: ``Pipeline(FunctionTransformer(sine features), Ridge)``.

Each is timed ``--repeats`` times (median reported); peak memory comes from a
separate run under ``tracemalloc``, which sees NumPy's allocations. The full
feature matrix alone takes n × 51 × 8 bytes = 408 MB.

Run: ``python benchmarks/bench_linear.py [--n-samples N] [--repeats R]``.
"""

import argparse
import time
import tracemalloc

import numpy as np
import scipy.linalg
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skfa.linear_model import LinearFeatureRegressor

N_BASIS = 50


def skfa_fit(x, y):
    model = LinearFeatureRegressor(
        n_basis=N_BASIS, basis="sine", input_bounds=(0.0, 1.0), solver="cholesky"
    ).fit(x.reshape(-1, 1), y)
    return np.append(model.coef_, model.intercept_)


def full_matrix_by_recurrence(x):
    """Rows sin(kπx), k = 1..N_BASIS, then a row of ones: shape (N_BASIS + 1, n)."""
    features = np.empty((N_BASIS + 1, x.size))
    t = np.pi * x
    two_cos = 2.0 * np.cos(t)
    np.sin(t, out=features[0])
    np.multiply(two_cos, features[0], out=features[1])
    for k in range(2, N_BASIS):
        np.multiply(two_cos, features[k - 1], out=features[k])
        features[k] -= features[k - 2]
    features[N_BASIS] = 1.0
    return features


def full_matrix_by_numpy_sin(x):
    features = np.empty((N_BASIS + 1, x.size))
    np.sin(np.pi * np.outer(np.arange(1, N_BASIS + 1), x), out=features[:N_BASIS])
    features[N_BASIS] = 1.0
    return features


def solve_from_full_matrix(features, y):
    """One Gram product and one Cholesky solve (intercept as a free column)."""
    gram = features @ features.T
    return scipy.linalg.cho_solve(scipy.linalg.cho_factor(gram), features @ y)


def floor_fit(x, y):
    return solve_from_full_matrix(full_matrix_by_recurrence(x), y)


def floor_numpy_sin_fit(x, y):
    return solve_from_full_matrix(full_matrix_by_numpy_sin(x), y)


def sine_features(X):
    return np.sin(np.pi * X * np.arange(1, N_BASIS + 1))


def sklearn_fit(x, y):
    pipeline = make_pipeline(
        FunctionTransformer(sine_features), Ridge(alpha=1e-12, solver="cholesky")
    ).fit(x.reshape(-1, 1), y)
    ridge = pipeline[-1]
    return np.append(ridge.coef_, ridge.intercept_)


METHODS = {
    "skfa LinearFeatureRegressor": skfa_fit,
    "floor (recurrence, full matrix)": floor_fit,
    "floor (np.sin, full matrix)": floor_numpy_sin_fit,
    "sklearn Pipeline(FunctionTransformer + Ridge)": sklearn_fit,
}


def median_time(fit, x, y, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fit(x, y)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def peak_memory(fit, x, y):
    tracemalloc.start()
    try:
        coef = fit(x, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, coef


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    x = rng.uniform(0.0, 1.0, args.n_samples)
    # Exactly representable by the basis up to noise, so every method has
    # a well-conditioned problem with a known answer.
    y = 2.0 * np.sin(3 * np.pi * x) + 0.1 * rng.standard_normal(args.n_samples)

    # Warm up: page in NumPy, BLAS and the first large allocations.
    for fit in METHODS.values():
        fit(x[:10_000], y[:10_000])

    # The reference answer: an SVD least-squares fit on the full design matrix.
    reference, *_ = np.linalg.lstsq(full_matrix_by_numpy_sin(x).T, y, rcond=None)

    full_matrix_mb = args.n_samples * (N_BASIS + 1) * 8 / 1e6
    print(
        f"{args.n_samples:,} samples x 1 input, {N_BASIS} sine terms + intercept; "
        f"the full feature matrix takes {full_matrix_mb:.0f} MB. "
        f"Median of {args.repeats} runs."
    )
    print(
        f"{'method':48s} {'time (s)':>9s} {'vs floor':>9s} {'peak MB':>8s} "
        f"{'max |coef - lstsq|':>19s}"
    )
    times = {
        name: median_time(fit, x, y, args.repeats) for name, fit in METHODS.items()
    }
    floor = times["floor (recurrence, full matrix)"]
    for name, fit in METHODS.items():
        peak, coef = peak_memory(fit, x, y)
        error = np.abs(coef - reference).max()
        print(
            f"{name:48s} {times[name]:9.3f} {times[name] / floor:8.2f}x "
            f"{peak / 1e6:8.1f} {error:19.1e}"
        )


if __name__ == "__main__":
    main()
