"""LinearFeatureRegressor's iterative solvers at their defaults against the closed form.

For each problem and each of ``--seeds`` data sets (the seed draws the inputs,
the noise and the solver's ``random_state``), the training R² of the closed
form (``solver='auto'``) is compared with that of 'sgd', 'rmsprop' and 'adam':

- at the current defaults, ``LinearFeatureRegressor(solver=s)``;
- at the earlier defaults (``learning_rate_init=0.001``, ``max_iter=200``,
  the network trained on the raw features and targets, without averaging),
  rebuilt here from ``MLPApproximator`` as the regressor used to call it.

Each cell is the largest shortfall R²(closed form) − R²(solver) over the
seeds (0 is as good as the closed form; the acceptance is below 0.01), and for
the current defaults the most epochs any seed ran. The problems vary one thing
at a time from a base problem (eˣ on [0, 1], 1,000 samples, noise 0.1,
``n_basis=10``, 'sine_linear'): the function (also in two and three inputs),
the noise, the units of y, ``n_basis``, the basis, the coupling and the number
of samples.

Run: ``python benchmarks/bench_linear_solvers.py [--seeds S] [--large]``; the
defaults take about two minutes; ``--large`` adds 100,000 samples (a few
minutes more).
"""

import argparse
import os
import sys
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score

from skfa import MLPApproximator
from skfa.linear_model import LinearFeatureRegressor, SineFeatures

sys.path.insert(0, os.path.dirname(__file__))
from _timing import print_table  # noqa: E402

SOLVERS = ("sgd", "rmsprop", "adam")

FUNCTIONS = {
    # name: (f, low, high, number of inputs)
    "exp": (lambda X: np.exp(X[:, 0]), 0.0, 1.0, 1),
    "exp on [0, 3]": (lambda X: np.exp(X[:, 0]), 0.0, 3.0, 1),
    "sin(2x) + x/2": (lambda X: np.sin(2 * X[:, 0]) + 0.5 * X[:, 0], -2.0, 3.0, 1),
    "tanh step": (lambda X: np.tanh(10 * (X[:, 0] - 0.5)), 0.0, 1.0, 1),
    "2-D": (
        lambda X: X[:, 0] ** 2 - X[:, 1] + np.sin(3 * X[:, 0] * X[:, 1]),
        -1.0,
        1.0,
        2,
    ),
    "3-D": (
        lambda X: np.exp(X[:, 0]) + np.sin(3 * X[:, 1]) + X[:, 2] ** 2,
        0.0,
        2.0,
        3,
    ),
}

BASE = {
    "function": "exp",
    "n_samples": 1000,
    "noise": 0.1,
    "units": 1.0,
    "n_basis": 10,
    "basis": "sine_linear",
    "coupling": "independent",
}


def problems(large):
    """The base problem, then one or two changes from it at a time."""
    changes = [{}]
    changes += [{"function": name} for name in FUNCTIONS if name != "exp"]
    changes += [{"function": "2-D", "coupling": "full", "n_basis": 5}]
    changes += [{"noise": 0.0}, {"noise": 1.0}, {"units": 1e-3}, {"units": 1e3}]
    for n_basis in (3, 30, 50):
        changes += [{"n_basis": n_basis}]
    changes += [{"n_basis": 30, "n_samples": 200}]
    for basis in ("sine", "cosine", "fourier"):
        changes += [{"basis": basis}, {"function": "sin(2x) + x/2", "basis": basis}]
    changes += [{"basis": "fourier", "n_samples": 100}]
    for n_samples in (20, 50, 100, 200, 300, 10_000) + ((100_000,) if large else ()):
        changes += [{"n_samples": n_samples}]
    changes += [{"function": "sin(2x) + x/2", "n_samples": n} for n in (20, 100)]
    changes += [{"function": "2-D", "n_samples": 10_000}]
    changes += [{"function": "3-D", "n_samples": 100}]
    return [{**BASE, **change} for change in changes]


def describe(problem):
    changed = [
        f"{key}={value}"
        for key, value in problem.items()
        if key != "function" and value != BASE[key]
    ]
    return " ".join([problem["function"], *changed])


def make_data(problem, seed):
    f, low, high, n_inputs = FUNCTIONS[problem["function"]]
    rng = np.random.default_rng(seed)
    X = rng.uniform(low, high, (problem["n_samples"], n_inputs))
    noise = problem["noise"] * rng.standard_normal(problem["n_samples"])
    return X, problem["units"] * (f(X) + noise)


def basis_params(problem):
    return {key: problem[key] for key in ("n_basis", "basis", "coupling")}


def earlier_defaults_fit(X, y, problem, solver, seed):
    """The regressor's iterative fit before the change, R² and epochs."""
    features = SineFeatures(**basis_params(problem)).fit(X)
    scales = np.ones(features.n_output_features_)
    if solver == "sgd":
        scales = features._sine_basis.frequency_norms() ** -0.5
    z = features.transform(X) * scales
    network = MLPApproximator(
        hidden_layer_sizes=(),
        solver=solver,
        alpha=0.0,
        learning_rate_init=0.001,
        max_iter=200,
        tol=1e-5,
        random_state=np.random.RandomState(seed),
    )
    try:
        network.fit(z, y)
    except ValueError:  # training diverged: no usable fit
        return -np.inf, network.n_iter_
    return r2_score(y, network.predict(z)), network.n_iter_


def current_defaults_fit(X, y, problem, solver, seed):
    model = LinearFeatureRegressor(
        **basis_params(problem), solver=solver, random_state=seed
    ).fit(X, y)
    return model.score(X, y), model.n_iter_


def compare(problem, seeds):
    """One table row: the closed form's R² and each solver's largest shortfall."""
    row = {"problem": describe(problem)}
    shortfalls = {}
    for seed in range(seeds):
        X, y = make_data(problem, seed)
        closed = LinearFeatureRegressor(**basis_params(problem)).fit(X, y).score(X, y)
        row.setdefault("closed R²", f"{closed:.4f}")
        for solver in SOLVERS:
            for era, fit in (
                ("old", earlier_defaults_fit),
                ("new", current_defaults_fit),
            ):
                score, epochs = fit(X, y, problem, solver, seed)
                gap, most = shortfalls.get((solver, era), (-np.inf, 0))
                shortfalls[solver, era] = (max(gap, closed - score), max(most, epochs))
    for (solver, era), (gap, epochs) in shortfalls.items():
        row[f"{solver} {era}"] = (
            f"{gap:.4f}" if era == "old" else f"{gap:.4f} ({epochs})"
        )
    return row, shortfalls


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--large", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)

    rows, worst = [], {}
    for problem in problems(args.large):
        row, shortfalls = compare(problem, args.seeds)
        rows.append(row)
        print(" ".join(str(value) for value in row.values()), flush=True)
        for key, (gap, epochs) in shortfalls.items():
            worst_gap, most = worst.get(key, (-np.inf, 0))
            worst[key] = (max(worst_gap, gap), max(most, epochs))
    rows.append(
        {"problem": "largest shortfall"}
        | {
            f"{s} {e}": f"{gap:.4f} ({epochs})"
            for (s, e), (gap, epochs) in worst.items()
        }
    )
    columns = ["problem", "closed R²"] + [
        f"{s} {e}" for s in SOLVERS for e in ("old", "new")
    ]
    print_table(
        f"Training R² shortfall against the closed form, largest over {args.seeds} "
        "seeds (new: most epochs run, in parentheses)",
        rows,
        columns,
    )


if __name__ == "__main__":
    main()
