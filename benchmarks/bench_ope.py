"""Offline policy evaluation: FittedQEvaluation against the exact values.

Every figure here is computed from logged data alone and then compared with
the truth, which a simulator gives (the car on the hill is deterministic, so
one rollout from a state is its exact value).

1. Ranking on the car on the hill. 1,000 random episodes (data seed 0, the
   paper's setting) and deterministic policies of varied quality: FittedQIteration
   with extra-trees after 1 to 50 iterations, the two fixed pushes and hand
   rules. For each, FQE's mean V over the paper's 289 score states against
   the exact score (Spearman rank correlation; acceptance >= 0.9), FQE's
   value at the logged start state (-0.5, 0) against the exact return from
   it (acceptance: every |error| <= 0.05), and whether the 95 % interval of
   the bootstrap over episodes covers it (acceptance: >= 70 % of the
   policies). The reference, side by side: a plain loop of fitted-Q
   evaluation with extra-trees (20 trees).
2. The uniform-random logging policy, given as an object with
   ``predict_proba``: FQE's ``value_`` against its Monte Carlo value from the
   start state (20,000 fresh random episodes; acceptance: within 0.03), and
   ``behavior_value`` of the logged episodes beside it.
3. Model selection: GridSearchCV over FittedQIteration(extra-trees) with
   max_iter in {1, 3, 10, 30} and min_samples_leaf in {2, 20}, GroupKFold(3)
   by episode, scored by ``policy_value_scorer()`` (at the initial states and,
   with ``states="all"``, at every held-out state) and by the TD error
   (``FittedQIteration.score``); each candidate refitted on all the data and
   scored exactly. Acceptance: the scorer's pick within 0.03 of the best.
4. A second task: the same ranking on CartPole-v1 from 1,000 random episodes
   (data seed 0), thirteen deterministic policies (fixed pushes, hand rules
   of varied quality, extra-trees FQI after 1 to 30 iterations), the truth by
   Monte Carlo rollouts (gamma 0.95; acceptance: Spearman >= 0.9).
5. Cost: FittedQEvaluation against FittedQIteration with the same estimator
   and iterations, alternating, medians (acceptance: ratio <= 1).

Run ``python benchmarks/bench_ope.py`` (all parts, about an hour and a half
on two cores without the bootstrap, ``--bootstrap 0``; its twenty refits per
policy make part 1 alone five to eight hours), or ``--parts 1 2`` and ``--quick``
(200 episodes, fewer bootstrap refits) for a first look. ``--results FILE``
appends each policy of part 1 to a JSON lines file as it is done, and a rerun
with the same settings takes those from the file: part 1 can be run over
several sittings. ``--evaluator trees`` evaluates with
extra-trees instead of FittedQEvaluation's default regressor;
``--fqe-iterations`` (100) sets the evaluator's iterations (at gamma 0.95,
60 leave out at most 0.95^60 = 0.046 of a reward).
"""

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
from scipy.stats import spearmanr
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, GroupKFold, ParameterGrid

sys.path.insert(0, os.path.dirname(__file__))
from _timing import median_seconds, print_table  # noqa: E402

from skfa.datasets import make_car_on_hill_transitions  # noqa: E402
from skfa.envs import CarOnHill  # noqa: E402
from skfa.rl import (  # noqa: E402
    FittedQEvaluation,
    FittedQIteration,
    behavior_value,
)

GAMMA = 0.95
START = np.array([[-0.5, 0.0]])


def verdict(passed, rule):
    """``[PASS: rule]`` or ``[FAIL: rule]``."""
    return f"[{'PASS' if passed else 'FAIL'}: {rule}]"


# ------------------------------------------------------------------ truth
def car_return_from(policy, states, horizon=400):
    """The exact discounted return of a deterministic policy from each state."""
    env = CarOnHill()
    states = np.array(states, dtype=float)
    returns = np.zeros(len(states))
    active = np.arange(len(states))
    for t in range(horizon):
        actions = np.asarray(policy(states[active])).reshape(-1)
        next_states, rewards, terminals = env.transition(states[active], actions)
        returns[active] += GAMMA**t * rewards
        states[active] = next_states
        active = active[~terminals]
        if not active.size:
            break
    return returns


def car_policies(X, y, seed, skip=()):
    """Deterministic policies of varied quality, by name; those in ``skip``
    (already evaluated) are left out, so that no FQI is fitted for them."""
    policies = {
        "always -4": lambda s: np.zeros(len(s), dtype=int),
        "always +4": lambda s: np.ones(len(s), dtype=int),
        "push along the speed": lambda s: (s[:, 1] >= 0).astype(int),
        "push against the speed": lambda s: (s[:, 1] < 0).astype(int),
        "back up, then go": lambda s: ((s[:, 1] > 0) | (s[:, 0] < -0.8)).astype(int),
    }
    for n_iter in (1, 2, 3, 5, 10, 20, 50):
        name = f"FQI trees, {n_iter} it."
        if name not in skip:
            trees = ExtraTreesRegressor(n_estimators=50, min_samples_split=2)
            fqi = FittedQIteration(trees, max_iter=n_iter, n_jobs=2, random_state=seed)
            policies[name] = fqi.fit(X, y).predict
    return {name: policy for name, policy in policies.items() if name not in skip}


# --------------------------------------------------------------- estimates
def make_evaluator(kind, n_bootstrap, seed, max_iter=100):
    estimator = None
    if kind == "trees":
        estimator = ExtraTreesRegressor(n_estimators=50, min_samples_leaf=2)
    return FittedQEvaluation(
        None,
        estimator,
        gamma=GAMMA,
        max_iter=max_iter,
        n_bootstrap=n_bootstrap,
        n_jobs=2,
        random_state=seed,
    )


def evaluate_on_the_car(policy, X, y, args):
    """One policy's exact values, FQE's and the plain loop's, by name."""
    grid = CarOnHill.score_states()
    evaluator = make_evaluator(
        args.evaluator, args.bootstrap, seed=0, max_iter=args.fqe_iterations
    )
    start = time.perf_counter()
    fqe = evaluator.set_params(policy=policy).fit(X, y)
    seconds = time.perf_counter() - start
    # Without bootstrap refits (--bootstrap 0) there is no interval.
    low, high = fqe.value_interval(0.95) if args.bootstrap > 1 else (np.nan,) * 2
    reference = plain_tree_fqe(policy, X, y, n_iter=args.fqe_iterations)
    record = {
        "exact_score": car_return_from(policy, grid).mean(),
        "exact_start": car_return_from(policy, START)[0],
        "fqe_mean": fqe.predict(grid).mean(),
        "fqe_start": fqe.value_,
        "low": low,
        "high": high,
        "trees_mean": reference(grid).mean(),
        "trees_start": reference(START)[0],
        "seconds": seconds,
    }
    return {key: float(value) for key, value in record.items()}


def saved_records(path, settings):
    """The records saved in ``path`` (JSON lines) under the same settings."""
    if path is None or not os.path.exists(path):
        return {}
    with open(path) as lines:
        saved = [json.loads(line) for line in lines if line.strip()]
    return {s["policy"]: s["record"] for s in saved if s["settings"] == settings}


def save_record(path, settings, name, record):
    """Append one policy's record to ``path``, so that a rerun skips it."""
    if path is not None:
        with open(path, "a") as lines:
            entry = {"settings": settings, "policy": name, "record": record}
            lines.write(json.dumps(entry) + "\n")


def plain_tree_fqe(policy, X, y, n_iter=100, seed=0):
    """The reference: fitted-Q evaluation as a plain loop over extra-trees."""
    actions, rewards, terminal = y["action"], y["reward"], y["terminal"]
    next_states = y["next_state"]
    next_actions = np.asarray(policy(next_states))
    models = [
        ExtraTreesRegressor(n_estimators=20, random_state=seed + a) for a in (0, 1)
    ]
    next_q = np.zeros(len(X))
    for _ in range(n_iter):
        targets = rewards + GAMMA * (1 - terminal) * next_q
        for a, model in enumerate(models):
            model.fit(X[actions == a], targets[actions == a])
        next_q = np.choose(next_actions, [m.predict(next_states) for m in models])

    def value(states):
        chosen = np.asarray(policy(states))
        return np.choose(chosen, [m.predict(states) for m in models])

    return value


def ranking_on_the_car(args):
    X, y = make_car_on_hill_transitions(args.episodes, random_state=0)
    print(f"1. Car on the hill: {args.episodes} random episodes, {len(X)} transitions")
    settings = {
        "episodes": args.episodes,
        "bootstrap": args.bootstrap,
        "fqe_iterations": args.fqe_iterations,
        "evaluator": args.evaluator,
    }
    records = saved_records(args.results, settings)
    for name, policy in car_policies(X, y, seed=0, skip=records).items():
        records[name] = evaluate_on_the_car(policy, X, y, args)
        r = records[name]
        print(
            f"  {name}: exact at start {r['exact_start']:.3f}, FQE {r['fqe_start']:.3f}"
            f" [{r['low']:.3f}, {r['high']:.3f}], {r['seconds']:.0f} s",
            flush=True,
        )
        save_record(args.results, settings, name, records[name])
    rows = [
        {
            "policy": name,
            "exact score": f"{r['exact_score']:.3f}",
            "FQE mean V": f"{r['fqe_mean']:.3f}",
            "trees' mean V": f"{r['trees_mean']:.3f}",
            "exact at start": f"{r['exact_start']:.3f}",
            "FQE at start": f"{r['fqe_start']:.3f}",
            "95 % interval": f"[{r['low']:.3f}, {r['high']:.3f}]",
            "trees at start": f"{r['trees_start']:.3f}",
            "FQE fit": f"{r['seconds']:.0f} s",
        }
        for name, r in records.items()
    ]
    print_table(
        "Policies (FQE: FittedQEvaluation; trees: the plain loop)", rows, list(rows[0])
    )
    column = {
        key: np.array([r[key] for r in records.values()])
        for key in next(iter(records.values()))
    }
    truth, fqe_means, ref_means = (
        column["exact_score"],
        column["fqe_mean"],
        column["trees_mean"],
    )
    start_errors = column["fqe_start"] - column["exact_start"]
    ref_start_errors = column["trees_start"] - column["exact_start"]
    covered = (column["low"] <= column["exact_start"]) & (
        column["exact_start"] <= column["high"]
    )
    rho = spearmanr(fqe_means, truth).statistic
    rho_ref = spearmanr(ref_means, truth).statistic
    worst = np.max(np.abs(start_errors))
    coverage = np.mean(covered)
    print(
        f"Spearman over the 289 score states: FQE {rho:.3f}, trees {rho_ref:.3f}"
        f"  {verdict(rho >= 0.9, '>= 0.9')}"
    )
    print(
        f"Largest |FQE - exact| at the start state: {worst:.3f} (trees "
        f"{np.max(np.abs(ref_start_errors)):.3f})  {verdict(worst <= 0.05, '<= 0.05')}"
    )
    print(
        f"Largest |error| of the mean V over the grid: FQE "
        f"{np.max(np.abs(np.subtract(fqe_means, truth))):.3f}, trees "
        f"{np.max(np.abs(np.subtract(ref_means, truth))):.3f}"
    )
    if args.bootstrap > 1:
        print(
            f"95 % intervals covering the exact start value: {coverage:.0%}"
            f"  {verdict(coverage >= 0.7, '>= 70 %')}"
        )


def uniform_logging_policy(args):
    X, y = make_car_on_hill_transitions(args.episodes, random_state=0)
    uniform = DummyClassifier(strategy="uniform").fit(X, y["action"])
    fqe = make_evaluator(
        args.evaluator, 0, seed=0, max_iter=args.fqe_iterations
    ).set_params(policy=uniform)
    fqe.fit(X, y)
    X_mc, y_mc = make_car_on_hill_transitions(20_000, random_state=12345)
    monte_carlo = behavior_value(X_mc, y_mc, gamma=GAMMA)
    logged = behavior_value(X, y, gamma=GAMMA)
    error = abs(fqe.value_ - monte_carlo)
    print("\n2. The uniform-random logging policy (predict_proba)")
    print(
        f"FQE value {fqe.value_:.4f}; Monte Carlo (20,000 episodes) {monte_carlo:.4f};"
        f" behavior_value of the logged episodes {logged:.4f}"
    )
    print(f"|FQE - Monte Carlo| = {error:.4f}  {verdict(error <= 0.03, '<= 0.03')}")


def model_selection(args):
    X, y = make_car_on_hill_transitions(args.episodes, random_state=0)
    grid = {"max_iter": [1, 3, 10, 30], "estimator__min_samples_leaf": [2, 20]}
    base = FittedQIteration(
        ExtraTreesRegressor(n_estimators=50), n_jobs=2, random_state=0
    )
    evaluator = make_evaluator(args.evaluator, 0, seed=0, max_iter=args.fqe_iterations)
    picks, rows = {}, []
    for name, scoring in {
        "policy value": policy_values(evaluator),
        "TD error": None,
    }.items():
        search = GridSearchCV(
            base, grid, cv=GroupKFold(3), scoring=scoring, refit=False
        )
        search.fit(X, y, groups=y["episode"])
        results = search.cv_results_
        for metric in [key[10:] for key in results if key.startswith("rank_test_")]:
            metric_name = name if metric == "score" else metric
            ranks = results[f"rank_test_{metric}"]
            picks[metric_name] = results["params"][int(np.argmin(ranks))]
            for params, score in zip(
                results["params"], results[f"mean_test_{metric}"], strict=True
            ):
                rows.append(
                    {
                        "scoring": metric_name,
                        **{k.split("__")[-1]: v for k, v in params.items()},
                        "CV score": f"{score:.4f}",
                    }
                )
    exact, at_start = {}, {}
    for params in ParameterGrid(grid):
        model = clone(base).set_params(**params).fit(X, y)
        key = tuple(sorted(params.items()))
        exact[key] = CarOnHill().score_policy(model)
        at_start[key] = car_return_from(model.predict, START)[0]
    for row in rows:
        key = tuple(
            sorted(
                {
                    "max_iter": row["max_iter"],
                    "estimator__min_samples_leaf": row["min_samples_leaf"],
                }.items()
            )
        )
        row["exact score"] = f"{exact[key]:.3f}"
        row["exact at start"] = f"{at_start[key]:.3f}"
    print("\n3. Model selection (GroupKFold(3) by episode)")
    print_table("Candidates", rows, list(rows[0]))
    best = max(exact.values())
    for name, params in picks.items():
        key = tuple(sorted(params.items()))
        check = verdict(exact[key] >= best - 0.03, "within 0.03")
        print(
            f"{name} picks {params}: exact score {exact[key]:.3f}, best {best:.3f}, "
            f"exact at start {at_start[key]:.3f}"
            + (f"  {check}" if name.startswith("policy value") else "")
        )


def policy_values(evaluator):
    """policy_value_scorer(evaluator) and its states="all", from one FQE fit each.

    Both scorers would fit the same evaluation twice; one multi-metric scorer
    fits it once and reads both values (tests/test_rl_fqe.py checks that each
    scorer returns exactly these).
    """

    def score(estimator, X, y):
        fitted = clone(evaluator).set_params(policy=estimator).fit(X, y)
        return {
            "policy value": fitted.value_,
            "policy value, all states": float(fitted.predict(X).mean()),
        }

    return score


def ranking_on_cartpole(args):
    from skfa.rl import collect_transitions

    X, y = collect_transitions("CartPole-v1", n_episodes=args.episodes, random_state=0)
    print(f"\n4. CartPole-v1: {args.episodes} random episodes, {len(X)} transitions")
    policies = {
        "always left": lambda s: np.zeros(len(s), dtype=int),
        "always right": lambda s: np.ones(len(s), dtype=int),
        "push toward the lean": lambda s: (s[:, 2] > 0).astype(int),
        "lean and its speed": lambda s: (s[:, 2] + 0.5 * s[:, 3] > 0).astype(int),
        "push away from the lean": lambda s: (s[:, 2] < 0).astype(int),
        "follow the pole's spin": lambda s: (s[:, 3] > 0).astype(int),
        "push toward the cart's side": lambda s: (s[:, 0] > 0).astype(int),
    }
    for n_iter in (1, 2, 3, 5, 10, 30):
        trees = ExtraTreesRegressor(n_estimators=50, min_samples_leaf=2)
        fqi = FittedQIteration(
            trees, gamma=GAMMA, max_iter=n_iter, n_jobs=2, random_state=0
        )
        policies[f"FQI trees, {n_iter} it."] = fqi.fit(X, y).predict
    truth, estimates, rows = [], [], []
    for name, policy in policies.items():
        true = cartpole_value(policy, n_episodes=200)
        fqe = (
            make_evaluator(args.evaluator, 0, seed=0, max_iter=args.fqe_iterations)
            .set_params(policy=policy)
            .fit(X, y)
        )
        truth.append(true)
        estimates.append(fqe.value_)
        rows.append(
            {"policy": name, "Monte Carlo": f"{true:.2f}", "FQE": f"{fqe.value_:.2f}"}
        )
        print(f"  {name}: done", flush=True)
    print_table("Policies (discounted return, gamma 0.95)", rows, list(rows[0]))
    rho = spearmanr(estimates, truth).statistic
    print(f"Spearman: {rho:.3f}  {verdict(rho >= 0.9, '>= 0.9')}")
    error = np.max(np.abs(np.subtract(estimates, truth)))
    print(f"Largest |FQE - Monte Carlo|: {error:.2f}")


def cartpole_value(policy, n_episodes, seed=1):
    from skfa.rl import evaluate_policy

    mean, _ = evaluate_policy(
        "CartPole-v1",
        policy,
        n_episodes=n_episodes,
        gamma=GAMMA,
        max_episode_steps=300,
        random_state=seed,
    )
    return mean


def cost(args):
    X, y = make_car_on_hill_transitions(args.episodes, random_state=0)
    estimator = make_evaluator(args.evaluator, 0, 0).estimator
    policy = FittedQIteration(ExtraTreesRegressor(10), max_iter=5, random_state=0).fit(
        X, y
    )
    fqi = FittedQIteration(
        estimator, max_iter=args.iterations, n_jobs=2, random_state=0
    )
    fqe = FittedQEvaluation(
        policy, estimator, max_iter=args.iterations, n_jobs=2, random_state=0
    )
    times = median_seconds(
        {"FQI": lambda: fqi.fit(X, y), "FQE": lambda: fqe.fit(X, y)}, args.repeats
    )
    ratio = times["FQE"] / times["FQI"]
    print(
        f"\n5. Cost ({args.iterations} iterations, medians of {args.repeats}): FQI "
        f"{times['FQI']:.1f} s, FQE {times['FQE']:.1f} s, ratio {ratio:.2f}"
        f"  {verdict(ratio <= 1.0, '<= 1')}"
    )


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--bootstrap", type=int, default=20)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--fqe-iterations", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--evaluator", choices=["default", "trees"], default="default")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--results", help="JSON lines file of part 1's policies")
    args = parser.parse_args()
    if args.quick:
        args.episodes, args.bootstrap, args.iterations, args.repeats = 200, 4, 10, 1
    parts = {
        1: ranking_on_the_car,
        2: uniform_logging_policy,
        3: model_selection,
        4: ranking_on_cartpole,
        5: cost,
    }
    for part in args.parts:
        parts[part](args)


if __name__ == "__main__":
    main()
