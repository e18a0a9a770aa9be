"""The candidates for FittedQIteration's default regressor, on tuning data sets.

The default was chosen with this script on car-on-the-hill data sets 10-17
(``make_car_on_hill_transitions(1000, random_state=d)``), never on data sets
0-7, which ``bench_fqi.py --parts car`` keeps for the acceptance. Each
candidate is an ``MLPEnsemble`` (warm-started, Adam at 0.003, tanh) of
``n_members`` networks of the given hidden layers, trained ``n_steps`` steps on
minibatches of ``batch_size`` rows per iteration, and FittedQIteration's
``pessimism``; "trees" is the paper's reference (50 extra-trees,
min_samples_leaf 2). Every fit: 50 iterations, gamma 0.95, ``random_state=0``,
``n_jobs=2``. It prints each fit's score (the paper's mean discounted return
over 289 start states; optimum 0.360) and fit time, and each candidate's
median, worst and mean.

Run ``python benchmarks/tune_fqi_default.py --candidates G0 G trees
--data-seeds 10 11 12 13 14 15 16 17`` (about 3 minutes per fit and data set
on two cores); ``benchmarks/fqi_default_trials.md`` has the figures.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.ensemble import ExtraTreesRegressor

from skfa.datasets import make_car_on_hill_transitions
from skfa.envs import CarOnHill
from skfa.neural_network import MLPEnsemble
from skfa.rl import FittedQIteration

# name: (hidden layers, n_members, n_steps, batch_size, pessimism)
CANDIDATES = {
    "A": ((64,) * 4, 1, 570, 2048, 0.0),
    "B": ((64,) * 4, 3, 190, 2048, 0.0),
    "C": ((64,) * 4, 3, 190, 2048, 1.0),
    "D": ((64,) * 2, 5, 200, 1024, 1.0),
    "G0": ((64,) * 4, 3, 100, 2048, 0.0),
    "G": ((64,) * 4, 3, 100, 2048, 1.0),
    "H": ((64,) * 4, 3, 190, 1024, 1.0),
    "I": ((64,) * 4, 3, 50, 4096, 1.0),
    "J": ((64,) * 4, 3, 100, 2048, 2.0),
    "K": ((64,) * 4, 5, 60, 2048, 1.0),
}


def candidate(name):
    if name == "trees":
        return FittedQIteration(
            ExtraTreesRegressor(n_estimators=50, min_samples_leaf=2)
        )
    layers, members, steps, batch, pessimism = CANDIDATES[name]
    ensemble = MLPEnsemble(
        hidden_layer_sizes=layers,
        n_members=members,
        n_steps=steps,
        batch_size=batch,
        learning_rate_init=0.003,
        warm_start=True,
    )
    return FittedQIteration(ensemble, pessimism=pessimism)


def main():
    warnings.simplefilter("ignore", UserWarning)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--candidates",
        nargs="+",
        default=["G0", "G", "trees"],
        choices=[*CANDIDATES, "trees"],
    )
    parser.add_argument(
        "--data-seeds", type=int, nargs="+", default=list(range(10, 18))
    )
    args = parser.parse_args()
    data = {
        d: make_car_on_hill_transitions(1000, random_state=d) for d in args.data_seeds
    }
    for name in args.candidates:
        scores, seconds = [], []
        for seed, (X, y) in data.items():
            fqi = candidate(name).set_params(max_iter=50, n_jobs=2, random_state=0)
            start = time.perf_counter()
            fqi.fit(X, y)
            seconds.append(time.perf_counter() - start)
            scores.append(CarOnHill().score_policy(fqi))
            print(
                f"{name} data {seed}: {scores[-1]:.3f} ({seconds[-1]:.0f} s)",
                flush=True,
            )
        print(
            f"== {name}: median {np.median(scores):.3f}, worst {np.min(scores):.3f}, "
            f"mean {np.mean(scores):.3f}; median fit {np.median(seconds):.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
