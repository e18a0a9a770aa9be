"""GridSearchCV over MLPApproximator: one core, two loky workers, a Dask cluster.

A grid of 12 candidates (2 widths x 2 alphas x 3 learning rates), 3-fold
cross-validation (36 fits and a refit), on a moderate regression problem. Timed:

- ``n_jobs=1``: the baseline; NumPy's BLAS uses its default thread count;
- ``n_jobs=1, BLAS 1 thread``: the same under ``threadpool_limits(1)``, to
  separate the gain of running fits side by side from that of not threading
  small matrix products;
- ``n_jobs=2``: joblib's loky processes (which limit BLAS to
  ``cpu_count // n_jobs`` threads each);
- ``dask, 2 workers``: ``joblib.parallel_backend("dask")`` on a
  ``LocalCluster(n_workers=2, threads_per_worker=1)`` (whose workers run BLAS
  on one thread); the cluster's start-up is reported apart.

The contenders alternate within each repeat and the medians are reported (see
``_timing.py``). Every run must find the same best parameters.

Run: ``python benchmarks/bench_scale.py [--n-samples N] [--max-iter E]
[--repeats R]``; the defaults take about 3 minutes per repeat on 2 cores.
Needs ``pip install "dask[distributed]"``.
"""

import argparse
import contextlib
import os
import sys
import time
import warnings

import joblib
import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold
from threadpoolctl import threadpool_limits

from skfa import MLPApproximator

sys.path.insert(0, os.path.dirname(__file__))
from _timing import median_seconds, print_table  # noqa: E402

PARAM_GRID = {
    "hidden_layer_sizes": [(32,), (64, 64)],
    "alpha": [1e-4, 1e-2],
    "learning_rate_init": [1e-3, 3e-3, 1e-2],
}


def make_data(n_samples, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n_samples, 4))
    y = np.sin(np.pi * X[:, 0]) * X[:, 1] + np.cos(2 * X[:, 2]) + 0.5 * X[:, 3] ** 2
    return X, y + 0.05 * rng.standard_normal(n_samples)


def make_search(max_iter, n_jobs=None):
    model = MLPApproximator(max_iter=max_iter, batch_size=64, random_state=0)
    cv = KFold(3, shuffle=True, random_state=0)
    return GridSearchCV(model, PARAM_GRID, cv=cv, n_jobs=n_jobs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=6_000)
    parser.add_argument("--max-iter", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    X, y = make_data(args.n_samples)
    searches = {}

    def run(name, n_jobs=None, backend=None, blas_threads=None):
        def fit():
            search = make_search(args.max_iter, n_jobs)
            with (
                joblib.parallel_backend(backend)
                if backend
                else contextlib.nullcontext(),
                threadpool_limits(blas_threads, user_api="blas"),
            ):
                searches[name] = clone(search).fit(X, y)

        return fit

    print(
        f"GridSearchCV: {_candidates()} "
        f"candidates x 3 folds, {args.n_samples} samples, {args.max_iter} epochs, "
        f"{os.cpu_count()} CPUs"
    )
    start = time.perf_counter()
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = Client(cluster)
    startup = time.perf_counter() - start
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            contenders = {
                "n_jobs=1": run("n_jobs=1"),
                "n_jobs=1, BLAS 1 thread": run(
                    "n_jobs=1, BLAS 1 thread", None, None, 1
                ),
                "n_jobs=2 (loky)": run("n_jobs=2 (loky)", n_jobs=2),
                "dask, 2 workers": run("dask, 2 workers", backend="dask"),
            }
            times = median_seconds(contenders, args.repeats)
    finally:
        client.close()
        cluster.close()

    baseline = times["n_jobs=1"]
    reference = searches["n_jobs=1"]
    rows = []
    for name, seconds in times.items():
        search = searches[name]
        same_best = search.best_params_ == reference.best_params_
        score_gap = np.max(
            np.abs(
                search.cv_results_["mean_test_score"]
                - reference.cv_results_["mean_test_score"]
            )
        )
        rows.append(
            {
                "run": name,
                "seconds": f"{seconds:.1f}",
                "speed-up": f"{baseline / seconds:.2f}",
                "same best": "yes" if same_best else "NO",
                "max |score diff|": f"{score_gap:.1e}",
            }
        )
    print_table(
        f"Median of {args.repeats} repeat(s); cluster start-up {startup:.1f} s",
        rows,
        ["run", "seconds", "speed-up", "same best", "max |score diff|"],
    )
    print(f"\nbest parameters: {reference.best_params_}")
    if not all(row["same best"] == "yes" for row in rows):
        raise SystemExit("The runs disagree on the best parameters.")


def _candidates():
    return int(np.prod([len(values) for values in PARAM_GRID.values()]))


if __name__ == "__main__":
    main()
