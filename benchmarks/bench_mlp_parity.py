"""Accuracy of MLPApproximator against scikit-learn's MLPRegressor, side by side.

Both get the same keyword arguments (MLPRegressor's settings, the rest at each
class's defaults: what swapping the class in working code gives), inside the
same pipeline: StandardScaler on X, and on y (TransformedTargetRegressor). Each
cell is the 5-fold CV R² (KFold shuffled with the seed, the model seeded with
it too), averaged over the seeds; ``ours - theirs`` must be ≥ -0.01, and
``s.e.`` is the standard error of that mean difference over the seeds (how
much of it is the luck of the seeds).

Data sets: Friedman #1 (2,000 samples, noise 1), diabetes (442), and California
housing (a 5,000-row subsample per seed) when scikit-learn has it on disk. It
cannot be downloaded here, so without it a clearly labelled substitute runs in
its place: Friedman #3 (5,000 samples, noise 0.1), four features of very
different scales and a bounded target.

Settings: ``adam`` is (64, 64), Adam, learning rate 1e-3, alpha 1e-4, batches
of 64, 200 epochs; ``lbfgs`` is (64, 64), L-BFGS, alpha 1e-4, max_iter 200.
``--he-relu`` adds the former initialization of rectifier layers (He's bound
√(6 / fan_in)) on Friedman #1, Adam, relu, to show what the change to Glorot's
bound did.

Every fit runs with one BLAS thread (threadpoolctl): L-BFGS-B's small vector
operations are far slower with a multithreaded OpenBLAS on a busy machine,
which would only slow this script down; the scores do not depend on it.

Run: ``python benchmarks/bench_mlp_parity.py [--seeds 0 1 2] [--he-relu]
[--only friedman1 diabetes california] [--solvers adam lbfgs]``.
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import (
    fetch_california_housing,
    load_diabetes,
    make_friedman1,
    make_friedman3,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.dirname(__file__))
from _timing import print_table  # noqa: E402

from skfa import MLPApproximator  # noqa: E402

SETTINGS = {
    "adam": dict(
        hidden_layer_sizes=(64, 64),
        solver="adam",
        learning_rate_init=1e-3,
        alpha=1e-4,
        batch_size=64,
        max_iter=200,
    ),
    "lbfgs": dict(
        hidden_layer_sizes=(64, 64), solver="lbfgs", alpha=1e-4, max_iter=200
    ),
}
TOLERANCE = 0.01


class HeInitialized(MLPApproximator):
    """MLPApproximator with the former bound of its hidden layers: √(6 / fan_in).

    The same draws as Glorot's bound, scaled by √((fan_in + fan_out) / fan_in):
    the uniform draws of the former code, number for number.
    """

    def _initialize(self, X, y):
        super()._initialize(X, y)
        for layer in self._network.dense_layers()[:-1]:
            fan_in, fan_out = layer.weights.shape
            scale = np.sqrt((fan_in + fan_out) / fan_in)
            layer.weights *= scale
            layer.bias *= scale


def load(name, seed):
    """The data set ``name`` for one seed, and the label it is reported under."""
    if name == "friedman1":
        X, y = make_friedman1(n_samples=2000, noise=1.0, random_state=seed)
        return X, y, "Friedman #1 (2,000)"
    if name == "diabetes":
        X, y = load_diabetes(return_X_y=True)
        return X, y, "diabetes (442)"
    try:
        X, y = fetch_california_housing(return_X_y=True, download_if_missing=False)
    except OSError:
        X, y = make_friedman3(n_samples=5000, noise=0.1, random_state=seed)
        return X, y, "SUBSTITUTE for California: Friedman #3 (5,000)"
    rows = np.random.RandomState(seed).choice(len(y), 5000, replace=False)
    return X[rows], y[rows], "California housing (5,000 of 20,640)"


def cv_r2(model_class, settings, X, y, seed):
    model = TransformedTargetRegressor(
        regressor=make_pipeline(
            StandardScaler(), model_class(**settings, random_state=seed)
        ),
        transformer=StandardScaler(),
    )
    cv = KFold(5, shuffle=True, random_state=seed)
    return cross_val_score(model, X, y, cv=cv).mean()


def compare(data, solver, activation, seeds, contenders):
    """Each contender's 5-fold R² for each seed, and the data set's label."""
    settings = {**SETTINGS[solver], "activation": activation}
    scores = {name: [] for name in contenders}
    for seed in seeds:
        X, y, label = load(data, seed)
        for name, model_class in contenders.items():
            scores[name].append(cv_r2(model_class, settings, X, y, seed))
    return {name: np.array(values) for name, values in scores.items()}, label


def standard_error(values):
    """The standard error of the mean of ``values`` (nan for a single one)."""
    if len(values) < 2:
        return float("nan")
    return float(np.std(values, ddof=1) / np.sqrt(len(values)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--only", nargs="+", default=["friedman1", "diabetes", "california"]
    )
    parser.add_argument("--solvers", nargs="+", default=["adam", "lbfgs"])
    parser.add_argument("--he-relu", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)

    start = time.perf_counter()
    rows = []
    with threadpool_limits(limits=1, user_api="blas"):
        for data in args.only:
            for solver in args.solvers:
                for activation in ["relu", "tanh"]:
                    contenders = {"theirs": MLPRegressor, "ours": MLPApproximator}
                    if args.he_relu and (data, solver, activation) == (
                        "friedman1",
                        "adam",
                        "relu",
                    ):
                        contenders["he"] = HeInitialized
                    scores, label = compare(
                        data, solver, activation, args.seeds, contenders
                    )
                    differences = scores["ours"] - scores["theirs"]
                    difference = differences.mean()
                    row = {
                        "data": label,
                        "solver": solver,
                        "activation": activation,
                        "MLPRegressor": f"{scores['theirs'].mean():.4f}",
                        "MLPApproximator": f"{scores['ours'].mean():.4f}",
                        "ours - theirs": f"{difference:+.4f}",
                        "s.e.": f"{standard_error(differences):.4f}",
                        "holds": "yes" if difference >= -TOLERANCE else "NO",
                    }
                    if "he" in scores:
                        row["He's bound"] = f"{scores['he'].mean():.4f}"
                    rows.append(row)
    columns = ["data", "solver", "activation", "MLPRegressor", "MLPApproximator"]
    columns += ["ours - theirs", "s.e.", "holds"]
    columns += ["He's bound"] if args.he_relu else []
    seeds = ", ".join(map(str, args.seeds))
    print_table(f"5-fold CV R², mean over seeds {seeds}", rows, columns)
    print(f"\n(total {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
