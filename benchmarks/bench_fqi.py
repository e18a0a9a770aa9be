"""FittedQIteration's default regressor against the paper's extra-trees, side by side.

Every part runs the default, ``FittedQIteration()``, and the reference,
``FittedQIteration(ExtraTreesRegressor(n_estimators=50, min_samples_leaf=2))``
(Ernst et al. 2005), in one process, with the same ``random_state`` and
``n_jobs``, and prints both.

car       The car on the hill, data sets 0-7 (1,000 random episodes each,
          ``make_car_on_hill_transitions(1000, random_state=d)``), gamma 0.95,
          50 iterations, at one ``random_state`` (0): the paper's score of each
          policy (optimum 0.360). Acceptance: the default's worst >= 0.25 and
          its median >= 0.30. The fit times give the cost acceptance: the
          default's median fit time <= the trees'.
gym       Gymnasium tasks from random episodes (CartPole-v1, Acrobot-v1,
          LunarLander-v3; LunarLander needs ``pip install "gymnasium[box2d]"``),
          gamma 0.99, 100 iterations: the greedy policy's mean return over 50
          episodes. Acceptance: on each task, the default >= the trees minus
          5 % of the task's return range (from a random policy's mean return
          to gymnasium's reward threshold), and the default better on the
          mean of the tasks' normalized returns.
scale     Fit time of the default on 10^4, 10^5 and 10^6 car transitions
          (10 iterations): it should grow no faster than linearly.
predict   One-state ``predict`` (acceptance <= 0.3 ms) and 10,000 states (no
          slower than the trees'), medians.
overhead  FittedQIteration's time over the bare loop of the regressor calls it
          makes, with extra-trees (target <= 1.1).

Run ``python benchmarks/bench_fqi.py`` (all parts: several hours on two cores)
or ``--parts car`` and the like; ``--quick`` runs small versions of each part.
``benchmarks/fqi_default_trials.md`` records how the default was chosen and
its figures.
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import ExtraTreesRegressor

sys.path.insert(0, os.path.dirname(__file__))
from _timing import median_seconds, print_table  # noqa: E402

from skfa.datasets import make_car_on_hill_transitions  # noqa: E402
from skfa.envs import CarOnHill  # noqa: E402
from skfa.rl import FittedQIteration, collect_transitions, evaluate_policy  # noqa: E402

# Gymnasium tasks: logged random episodes, and the return range that 5 % is
# taken of (a random policy's mean return, gymnasium's reward threshold).
GYM_TASKS = {
    "CartPole-v1": {"episodes": 1000, "range": (21.0, 475.0)},
    "Acrobot-v1": {"episodes": 100, "range": (-500.0, -100.0)},
    "LunarLander-v3": {"episodes": 500, "range": (-190.0, 200.0)},
}


def verdict(passed, rule):
    return f"[{'PASS' if passed else 'FAIL'}: {rule}]"


def trees():
    return ExtraTreesRegressor(n_estimators=50, min_samples_leaf=2)


def contenders(args, **params):
    """The default and the reference, with the same FittedQIteration settings.

    With ``--pessimism B`` the default also runs with ``pessimism=B``, as a
    user who tunes that parameter would; the acceptance is judged on the
    default as it is.
    """
    fits = {
        "default": FittedQIteration(**params),
        "extra-trees": FittedQIteration(trees(), **params),
    }
    if args.pessimism:
        fits[f"pessimism={args.pessimism:g}"] = FittedQIteration(
            pessimism=args.pessimism, **params
        )
    return fits


def timed_fit(fqi, X, y):
    start = time.perf_counter()
    fqi.fit(X, y)
    return time.perf_counter() - start


# ----------------------------------------------------------------------- car
def car(args):
    rows, scores, times = [], {}, {}
    for seed in args.car_seeds:
        X, y = make_car_on_hill_transitions(args.episodes, random_state=seed)
        row = {"data": seed, "transitions": len(X)}
        for name, fqi in contenders(
            args, max_iter=args.iterations, n_jobs=args.n_jobs, random_state=0
        ).items():
            seconds = timed_fit(fqi, X, y)
            scores.setdefault(name, []).append(CarOnHill().score_policy(fqi))
            times.setdefault(name, []).append(seconds)
            row[f"{name} score"] = f"{scores[name][-1]:.3f}"
            row[f"{name} fit"] = f"{seconds:.0f} s"
        rows.append(row)
        print(f"  data {seed} done: {row}", flush=True)
    print_table(
        f"Car on the hill ({args.episodes} episodes, {args.iterations} iterations)",
        rows,
        list(rows[0]),
    )
    for name, values in scores.items():
        print(
            f"{name}: median {np.median(values):.3f}, worst {np.min(values):.3f}, "
            f"mean {np.mean(values):.3f}; median fit {np.median(times[name]):.0f} s"
        )
    default = scores["default"]
    print(
        f"default worst {min(default):.3f} {verdict(min(default) >= 0.25, '>= 0.25')}"
    )
    print(
        f"default median {np.median(default):.3f} "
        f"{verdict(np.median(default) >= 0.30, '>= 0.30')}"
    )
    ratio = np.median(times["default"]) / np.median(times["extra-trees"])
    print(f"fit time, default / trees: {ratio:.2f} {verdict(ratio <= 1.0, '<= 1')}")


# ----------------------------------------------------------------------- gym
def gym(args):
    rows, normalized = [], {}
    for task, spec in GYM_TASKS.items():
        if args.gym_tasks and task not in args.gym_tasks:
            continue
        X, y = collect_transitions(task, n_episodes=spec["episodes"], random_state=0)
        low, high = spec["range"]
        row = {"task": task, "transitions": len(X)}
        for name, fqi in contenders(
            args,
            gamma=0.99,
            max_iter=args.gym_iterations,
            n_jobs=args.n_jobs,
            random_state=0,
        ).items():
            seconds = timed_fit(fqi, X, y)
            mean, _ = evaluate_policy(task, fqi, n_episodes=50, random_state=1)
            normalized.setdefault(name, []).append((mean - low) / (high - low))
            row[f"{name} return"] = f"{mean:.1f}"
            row[f"{name} fit"] = f"{seconds:.0f} s"
        gap = (normalized["default"][-1] - normalized["extra-trees"][-1]) * 100
        row["default - trees, % of range"] = f"{gap:+.1f}"
        row["check"] = verdict(gap >= -5, ">= -5 %")
        rows.append(row)
        print(f"  {task} done: {row}", flush=True)
    print_table(
        "Gymnasium tasks from random episodes (gamma 0.99)", rows, list(rows[0])
    )
    means = {name: np.mean(values) for name, values in normalized.items()}
    print(", ".join(f"{name} {mean:.3f}" for name, mean in means.items()))
    print(
        f"mean normalized return: default {means['default']:.3f}, trees "
        f"{means['extra-trees']:.3f} "
        f"{verdict(means['default'] > means['extra-trees'], 'default better')}"
    )


# --------------------------------------------------------------------- scale
def scale(args):
    X, y = make_car_on_hill_transitions(args.scale_episodes, random_state=0)
    rows, per_transition = [], []
    for n in args.scale_sizes:
        rows_taken = np.resize(np.arange(len(X)), n)  # repeats if n > len(X)
        fqi = FittedQIteration(max_iter=10, n_jobs=args.n_jobs, random_state=0)
        seconds = timed_fit(fqi, X[rows_taken], y[rows_taken])
        per_transition.append(seconds / n)
        rows.append(
            {
                "transitions": f"{n:,}",
                "fit (10 iterations)": f"{seconds:.1f} s",
                "µs per transition": f"{seconds / n * 1e6:.1f}",
            }
        )
    print_table(
        "Default fit time against the number of transitions", rows, list(rows[0])
    )
    growth = per_transition[-1] / per_transition[0]
    print(
        f"time per transition, largest / smallest: {growth:.2f} "
        f"{verdict(growth <= 1.2, 'no faster than linear (<= 1.2)')}"
    )


# ------------------------------------------------------------------- predict
def predict(args):
    X, y = make_car_on_hill_transitions(args.episodes, random_state=0)
    fitted = {
        name: fqi.fit(X, y)
        for name, fqi in contenders(
            args, max_iter=3, n_jobs=args.n_jobs, random_state=0
        ).items()
    }
    one, many = X[:1].copy(), X[:10_000].copy()
    calls = 200
    single = median_seconds(
        {
            name: (lambda f=f: [f.predict(one) for _ in range(calls)])
            for name, f in fitted.items()
        },
        args.repeats,
    )
    batch = median_seconds(
        {name: (lambda f=f: f.predict(many)) for name, f in fitted.items()},
        args.repeats,
    )
    rows = [
        {
            "contender": name,
            "one state (ms)": f"{single[name] / calls * 1e3:.3f}",
            "10,000 states (ms)": f"{batch[name] * 1e3:.1f}",
        }
        for name in fitted
    ]
    print_table(f"Predict (medians of {args.repeats})", rows, list(rows[0]))
    one_ms = single["default"] / calls * 1e3
    print(f"default one state {one_ms:.3f} ms {verdict(one_ms <= 0.3, '<= 0.3 ms')}")
    ratio = batch["default"] / batch["extra-trees"]
    print(
        f"10,000 states, default / trees: {ratio:.2f} {verdict(ratio <= 1.0, '<= 1')}"
    )


# ------------------------------------------------------------------ overhead
def bare_loop(models, X, y, gamma, n_iter):
    """The regressor calls FittedQIteration makes, and the target line."""
    actions, rewards = y["action"], y["reward"]
    terminal, next_states = y["terminal"], y["next_state"]
    n, n_actions = len(X), int(actions.max()) + 1
    next_q = np.zeros((n, n_actions))
    rows = [np.flatnonzero(actions == a) for a in range(n_actions)]
    inputs = [np.concatenate([X[r], next_states]) for r in rows]
    for _ in range(n_iter):
        targets = rewards + gamma * (1 - terminal) * next_q.max(axis=1)
        for a, model in enumerate(models):
            model.fit(inputs[a][: len(rows[a])], targets[rows[a]])
            next_q[:, a] = model.predict(inputs[a])[len(rows[a]) :]


def overhead(args):
    X, y = make_car_on_hill_transitions(args.episodes, random_state=0)
    fqi = FittedQIteration(ExtraTreesRegressor(10), max_iter=10, random_state=0)
    fqi.fit(X, y)
    models = [clone(model) for model in fqi.estimators_]
    times = median_seconds(
        {
            "FittedQIteration": lambda: fqi.fit(X, y),
            "bare loop": lambda: bare_loop(models, X, y, fqi.gamma, 10),
        },
        args.repeats,
    )
    ratio = times["FittedQIteration"] / times["bare loop"]
    print(
        f"\nOverhead (extra-trees, 10 trees, 10 iterations, 1 job): FittedQIteration "
        f"{times['FittedQIteration']:.2f} s, bare loop {times['bare loop']:.2f} s, "
        f"ratio {ratio:.3f} {verdict(ratio <= 1.1, '<= 1.1')}"
    )


PARTS = {
    "car": car,
    "gym": gym,
    "scale": scale,
    "predict": predict,
    "overhead": overhead,
}


def main():
    warnings.simplefilter("ignore", UserWarning)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", choices=list(PARTS), default=list(PARTS))
    parser.add_argument("--car-seeds", type=int, nargs="+", default=list(range(8)))
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--gym-tasks", nargs="*", default=[])
    parser.add_argument("--gym-iterations", type=int, default=100)
    parser.add_argument("--scale-episodes", type=int, default=1000)
    parser.add_argument(
        "--scale-sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000]
    )
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pessimism", type=float, default=0.0)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.car_seeds, args.episodes, args.iterations = [0], 200, 10
        args.gym_tasks, args.gym_iterations = ["CartPole-v1"], 10
        args.scale_episodes, args.scale_sizes = 100, [2_000, 20_000]
        args.repeats = 2
    for part in args.parts:
        PARTS[part](args)


if __name__ == "__main__":
    main()
