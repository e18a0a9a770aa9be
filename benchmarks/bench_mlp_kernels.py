"""The small choices inside the MLP's layers and solvers, each against its plain form.

Each row times one operation of a training step the way skfa's core does it
and the plain way, 500 times on a minibatch of 256 rows (medians; the
ratio is skfa's time over the plain one):

- ``reuse output``: ``np.matmul(X, W, out=Z)`` into an array kept from the
  previous batch (``_layers._reusable``) against ``X @ W``, which allocates;
- ``column sums``: ``ones @ G`` (BLAS's matrix-vector product, ``Dense``'s
  bias gradient) against ``G.sum(axis=0)``;
- ``outer product``: ``np.multiply(G, W.T, out=...)`` for a one-output head's
  ``G Wᵀ`` against ``np.matmul(G, W.T, out=...)`` with an inner dimension of 1;
- ``lbfgs threads``: 20 iterations of L-BFGS-B on a (width, width) network's
  J over 500 rows, once (not 500 times), under one BLAS thread as
  ``MLPApproximator._fit_lbfgs`` runs it, against the BLAS's default threads.

Run: ``python benchmarks/bench_mlp_kernels.py [--repeats 7]``.
"""

import argparse
import os
import sys
import warnings

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.dirname(__file__))
from _timing import median_seconds, print_table  # noqa: E402

from skfa import MLPApproximator  # noqa: E402

BATCH = 256
LOOPS = 500


def repeated(operation, loops=LOOPS):
    def run():
        for _ in range(loops):
            operation()

    return run


def reuse_output(width, dtype):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(BATCH, width)).astype(dtype)
    W = rng.normal(size=(width, width)).astype(dtype)
    Z = np.empty((BATCH, width), dtype)
    return {
        "skfa": repeated(lambda: np.matmul(X, W, out=Z)),
        "plain": repeated(lambda: X @ W),
    }


def column_sums(width, dtype):
    G = np.random.default_rng(0).normal(size=(BATCH, width)).astype(dtype)
    ones = np.ones(BATCH, dtype)
    out = np.empty(width, dtype)
    return {
        "skfa": repeated(lambda: np.matmul(ones, G, out=out)),
        "plain": repeated(lambda: np.sum(G, axis=0, out=out)),
    }


def outer_product(width, dtype):
    rng = np.random.default_rng(0)
    G = rng.normal(size=(BATCH, 1)).astype(dtype)
    W = rng.normal(size=(width, 1)).astype(dtype)
    out = np.empty((BATCH, width), dtype)
    return {
        "skfa": repeated(lambda: np.multiply(G, W.T, out=out)),
        "plain": repeated(lambda: np.matmul(G, W.T, out=out)),
    }


def lbfgs_threads(width, dtype):
    """20 L-BFGS-B iterations on a network's J: one BLAS thread, and the default."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(500, 5)).astype(dtype)
    y = (np.sin(3 * X[:, 0]) + X[:, 1] * X[:, 2]).reshape(-1, 1)
    model = MLPApproximator(hidden_layer_sizes=(width, width), solver="lbfgs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.set_params(max_iter=1, random_state=0).fit(X, y.ravel())
    function = model._objective_and_gradient(X, y.astype(dtype), None)
    start = model._network.flat_params.astype(np.float64)

    def minimize():
        scipy.optimize.minimize(
            function,
            start,
            method="L-BFGS-B",
            jac=True,
            options={"maxiter": 20, "gtol": 0.0},
        )

    def one_thread():  # as MLPApproximator._fit_lbfgs runs it
        with threadpool_limits(limits=1, user_api="blas"):
            minimize()

    return {"skfa": one_thread, "plain": minimize}


OPERATIONS = {
    "reuse output": reuse_output,
    "column sums": column_sums,
    "outer product": outer_product,
    "lbfgs threads": lbfgs_threads,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rows = []
    for name, make in OPERATIONS.items():
        for width in (64, 256):
            for dtype in (np.float64, np.float32):
                times = median_seconds(make(width, dtype), args.repeats)
                rows.append(
                    {
                        "operation": name,
                        "width": width,
                        "dtype": np.dtype(dtype).name,
                        "skfa ms": f"{1e3 * times['skfa']:.1f}",
                        "plain ms": f"{1e3 * times['plain']:.1f}",
                        "skfa / plain": f"{times['skfa'] / times['plain']:.2f}",
                    }
                )
    columns = ["operation", "width", "dtype", "skfa ms", "plain ms", "skfa / plain"]
    print_table(
        f"Kernel choices, batch {BATCH}, {LOOPS} calls per timing (medians)",
        rows,
        columns,
    )


if __name__ == "__main__":
    main()
