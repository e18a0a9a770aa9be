"""How large FittedQIteration's action gaps are against its members' noise.

A diagnosis for the default's choice (benchmarks/fqi_default_trials.md): on
logged random episodes of a gymnasium task, fit FittedQIteration with the
extra-trees reference and with MLPEnsemble regressors, and print each one's
greedy return, its mean Q-value and the median action gap (best minus
second-best Q) over the logged states; for an ensemble also the standard
deviation of one member's gap and how often all members pick the same action.

    python benchmarks/diag_action_gap.py CartPole-v1 --data-seed 1 \\
        --ensemble '{}' '{"n_steps": 300}' '{"n_members": 9}'

Each JSON object changes the default's settings (skfa.rl.default_q_regressor
as a base). Use data seeds other than 0 while choosing: seed 0 is the
acceptance data of bench_fqi.py.
"""

import argparse
import json
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.exceptions import ConvergenceWarning

from skfa.rl import FittedQIteration, collect_transitions, evaluate_policy
from skfa.rl._default import default_q_regressor

EPISODES = {"CartPole-v1": 1000, "Acrobot-v1": 100, "LunarLander-v3": 500}


def member_gaps(fqi, states):
    """Each member's Q(s, a1) - Q(s, a0), shape (n_members, n_states)."""
    first, second = (
        model._member_predictions(np.asarray(states, dtype=float))[..., 0]
        for model in fqi.estimators_[:2]
    )
    return second - first


def report(name, fqi, seconds, task, X):
    returns, _ = evaluate_policy(task, fqi, n_episodes=50, random_state=1)
    q = np.sort(fqi.q_values(X), axis=1)
    line = (
        f"{name}: return {returns:.1f}, fit {seconds:.0f} s, mean Q {q.mean():.2f}, "
        f"median gap {np.median(q[:, -1] - q[:, -2]):.3f}"
    )
    if hasattr(fqi.estimators_[0], "_member_predictions") and len(fqi.actions_) == 2:
        gaps = member_gaps(fqi, X)
        agree = np.mean(np.all(np.sign(gaps) == np.sign(gaps[0]), axis=0))
        line += (
            f", one member's gap s.d. {gaps.std(axis=0).mean():.3f}, "
            f"all members agree on {agree:.0%} of the states"
        )
    print(line, flush=True)


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=list(EPISODES))
    parser.add_argument("--data-seed", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--episodes", type=int)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--ensemble", nargs="*", default=["{}"])
    args = parser.parse_args()
    X, y = collect_transitions(
        args.task,
        n_episodes=args.episodes or EPISODES[args.task],
        random_state=args.data_seed,
    )
    print(f"{args.task}, data seed {args.data_seed}: {len(X)} transitions")
    regressors = {"extra-trees": ExtraTreesRegressor(50, min_samples_leaf=2)}
    for params in args.ensemble:
        changes = json.loads(params)
        regressors[f"ensemble {changes}"] = clone(default_q_regressor()).set_params(
            **changes
        )
    for name, regressor in regressors.items():
        fqi = FittedQIteration(
            regressor,
            gamma=0.99,
            max_iter=args.iterations,
            n_jobs=args.n_jobs,
            random_state=0,
        )
        start = time.perf_counter()
        fqi.fit(X, y)
        report(name, fqi, time.perf_counter() - start, args.task, X)


if __name__ == "__main__":
    main()
