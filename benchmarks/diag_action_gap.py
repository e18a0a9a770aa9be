"""How large FittedQIteration's action gaps are against its members' noise.

A diagnosis for the default's choice (benchmarks/fqi_default_trials.md): on
logged random episodes of a gymnasium task, fit FittedQIteration with the
extra-trees reference and with MLPEnsemble regressors, and print each one's
greedy return, its mean Q-value and the median action gap (best minus
second-best Q) over the logged states; for an ensemble also the standard
deviation of one member's gap and how often all members pick the same action.
Beside them, the maximization's bias: the greedy policy's claimed value, the
mean of max_a Q over the logged episodes' first states, against its true
value, the mean discounted return of fresh episodes cut at as many steps as
there were iterations (the horizon Q looks ahead).

    python benchmarks/diag_action_gap.py CartPole-v1 --data-seed 1 \\
        --ensemble '{}' '{"n_steps": 300}' '{"n_members": 9}'

Each JSON object changes the default's settings (skfa.rl.default_q_regressor
as a base). ``--variants`` fits each ensemble also in these forms:

- ``onehot``: one ensemble on states and one-hot actions;
- ``double``: double fitted-Q over two runs;
- ``clip``: each iteration's targets clipped to the returns its horizon allows;
- ``baseline``: a baseline shared by the actions plus one residual ensemble
  per action;
- ``gap``: the advantage-learning backup, which widens the action gaps.

Use data seeds other than 0 while choosing: seed 0 is the acceptance data of
bench_fqi.py.
"""

import argparse
import json
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.exceptions import ConvergenceWarning

from skfa.rl import FittedQIteration, collect_transitions, evaluate_policy
from skfa.rl._default import default_q_regressor
from skfa.rl._episodes import episode_rows, first_rows

EPISODES = {"CartPole-v1": 1000, "Acrobot-v1": 100, "LunarLander-v3": 500}


def member_gaps(fqi, states):
    """Each member's Q(s, a1) - Q(s, a0), shape (n_members, n_states)."""
    first, second = (
        model._member_predictions(np.asarray(states, dtype=float))[..., 0]
        for model in fqi.estimators_[:2]
    )
    return second - first


def claimed_and_true_value(fqi, task, X, y):
    """max_a Q at the logged first states, and the greedy policy's return."""
    claimed = fqi.q_values(X[first_rows(y["episode"])]).max(axis=1).mean()
    true, _ = evaluate_policy(
        task,
        fqi,
        n_episodes=200,
        gamma=fqi.gamma,
        max_episode_steps=fqi.n_iter_,
        random_state=2,
    )
    return claimed, true


def how_cartpole_episodes_end(fqi, X, n_episodes=30):
    """Median length of greedy CartPole episodes (up to gymnasium's 500
    steps), how many ended with the cart out of bounds, the pole down or the
    time up, and the share of their steps with each state variable outside
    the logged 0.5-99.5 % range."""
    states, y = collect_transitions(
        "CartPole-v1", fqi, n_episodes=n_episodes, random_state=3
    )
    low, high = np.percentile(X, [0.5, 99.5], axis=0)
    outside = (states < low) | (states > high)
    rows = episode_rows(y["episode"])
    last = [episode[-1] for episode in rows]
    cart_out = np.abs(y["next_state"][last, 0]) > 2.4
    ends = {
        "cart out": int(np.sum(y["terminal"][last] & cart_out)),
        "pole down": int(np.sum(y["terminal"][last] & ~cart_out)),
        "time up": int(np.sum(~y["terminal"][last])),
    }
    lengths = [len(episode) for episode in rows]
    shares = np.mean([outside[episode].mean(axis=0) for episode in rows], axis=0)
    return (
        f"greedy episodes: median length {np.median(lengths):.0f}, ends {ends}, "
        f"steps outside the logged range per variable "
        + ", ".join(f"{share:.0%}" for share in shares)
    )


def cartpole_decisions_near_upright(fqi):
    """The greedy action (L or R) with the cart at rest in the middle: one row
    per pole angle from -0.1 to 0.1 rad, one column per spin from -1 to 1."""
    angle, spin = np.meshgrid(
        np.linspace(-0.1, 0.1, 9), np.linspace(-1, 1, 9), indexing="ij"
    )
    states = np.column_stack(
        [np.zeros(angle.size), np.zeros(angle.size), angle.ravel(), spin.ravel()]
    )
    actions = np.asarray(fqi.predict(states)).reshape(angle.shape)
    return "\n".join("".join("LR"[a] for a in row) for row in actions)


def report(name, fqi, seconds, task, X, y):
    returns, _ = evaluate_policy(task, fqi, n_episodes=50, random_state=1)
    q = np.sort(fqi.q_values(X), axis=1)
    claimed, true = claimed_and_true_value(fqi, task, X, y)
    line = (
        f"{name}: return {returns:.1f}, fit {seconds:.0f} s, mean Q {q.mean():.2f}, "
        f"median gap {np.median(q[:, -1] - q[:, -2]):.3f}, value at the first "
        f"states claimed {claimed:.2f}, true {true:.2f}"
    )
    if hasattr(fqi.estimators_[0], "_member_predictions") and len(fqi.estimators_) == 2:
        gaps = member_gaps(fqi, X)
        agree = np.mean(np.all(np.sign(gaps) == np.sign(gaps[0]), axis=0))
        line += (
            f", one member's gap s.d. {gaps.std(axis=0).mean():.3f}, "
            f"all members agree on {agree:.0%} of the states"
        )
    if task == "CartPole-v1":
        line += "; " + how_cartpole_episodes_end(fqi, X)
        line += "\ngreedy action near upright (rows: angle -0.1 to 0.1 rad; "
        line += "columns: spin -1 to 1 rad/s)\n" + cartpole_decisions_near_upright(fqi)
    print(line, flush=True)


class DoubleFittedQ(FittedQIteration):
    """For diagnosis only: double fitted-Q over ``n_runs >= 2`` runs.

    Run i's targets take the action that run i + 1 rates best and value it
    with run i's own Q (van Hasselt 2010): the max of one noisy estimate is
    biased upward, the cross-valued choice is not.
    """

    def _backup(self, next_states):
        def cross_valued(next_q):
            chosen = np.roll(next_q, 1, axis=0).argmax(axis=-1)
            return np.take_along_axis(next_q, chosen[..., np.newaxis], axis=-1)[..., 0]

        return cross_valued, None


class HorizonClippedFittedQ(FittedQIteration):
    """For diagnosis only: iteration k's targets clipped to the k-step returns
    the rewards allow, ``[min(r, 0), max(r, 0)] * (1 - gamma**k) / (1 - gamma)``,
    where ``clip_targets`` allows the infinite horizon's."""

    def fit(self, X, y, sample_weight=None):
        self._rewards = np.asarray(y["reward"], dtype=float)
        return super().fit(X, y, sample_weight)

    def _iterations(self, runs, problem, targets, history=None):
        low, high = min(self._rewards.min(), 0), max(self._rewards.max(), 0)

        def clipped(next_q):
            k = iterations.n_iter + 1  # the iteration these targets are for
            steps = (1 - self.gamma**k) / (1 - self.gamma)
            return np.clip(targets(next_q), low * steps, high * steps)

        iterations = super()._iterations(runs, problem, clipped, history)
        return iterations


class AdvantageLearning(FittedQIteration):
    """For diagnosis only: the advantage-learning backup of Baird (1999),
    ``r + gamma max Q(s', .) - alpha (max Q(s, .) - Q(s, a))``, which keeps
    the greedy policy and widens the action gaps by up to 1 / (1 - alpha)
    (Bellemare et al. 2016), so that a regressor's errors flip fewer of them;
    ``alpha = 0.9``, their setting."""

    alpha = 0.9

    def fit(self, X, y, sample_weight=None):
        self._states = np.asarray(X, dtype=float)
        return super().fit(X, y, sample_weight)

    def _iterations(self, runs, problem, targets, history=None):
        def widened(next_q):
            if iterations.n_iter == 0:  # Q_0 = 0: no gaps yet
                return targets(next_q)
            best_here = np.stack(
                [self._q_values_of(models, self._states) for models in iterations.runs]
            ).max(axis=-1)
            return targets(next_q) - self.alpha * (best_here - iterations.q_sa)

        iterations = super()._iterations(runs, problem, widened, history)
        return iterations


class SharedBaseline(RegressorMixin, BaseEstimator):
    """For diagnosis only: Q(s, a) = V(s) + R_a(s) on one-hot action inputs.

    ``V`` is fitted to every transition's target, each ``R_a`` to its action's
    residuals: an error of ``V`` is shared by all actions and cancels in the
    action gap, which the ``R_a`` fit on the residuals' smaller scale. The
    last ``n_actions`` columns of X are the one-hot action.
    """

    def __init__(self, estimator, n_actions):
        self.estimator = estimator
        self.n_actions = n_actions

    def _split(self, X):
        X = np.asarray(X, dtype=float)
        return X[:, : -self.n_actions], X[:, -self.n_actions :].argmax(axis=1)

    def fit(self, X, y):
        states, actions = self._split(X)
        if not hasattr(self, "baseline_"):  # else warm-started, as the estimator
            seed = self.estimator.get_params()["random_state"] or 0
            self.baseline_ = clone(self.estimator)
            self.residuals_ = [
                clone(self.estimator).set_params(random_state=seed + 1 + action)
                for action in range(self.n_actions)
            ]
        self.baseline_.fit(states, y)
        residuals = np.asarray(y) - self.baseline_.predict(states)
        for action, model in enumerate(self.residuals_):
            model.fit(states[actions == action], residuals[actions == action])
        return self

    def predict(self, X):
        states, actions = self._split(X)
        q = self.baseline_.predict(states)
        for action, model in enumerate(self.residuals_):
            if np.any(actions == action):
                q[actions == action] += model.predict(states[actions == action])
        return q


def shared_baseline(ensemble, settings, n_actions):
    return FittedQIteration(
        SharedBaseline(ensemble, n_actions), action_encoding="onehot", **settings
    )


VARIANTS = {
    "onehot": lambda ensemble, settings, _: FittedQIteration(
        ensemble, action_encoding="onehot", **settings
    ),
    "double": lambda ensemble, settings, _: DoubleFittedQ(
        ensemble, n_runs=2, **settings
    ),
    "clip": lambda ensemble, settings, _: HorizonClippedFittedQ(ensemble, **settings),
    "baseline": shared_baseline,
    "gap": lambda ensemble, settings, _: AdvantageLearning(ensemble, **settings),
}


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=list(EPISODES))
    parser.add_argument("--data-seed", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--episodes", type=int)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--ensemble", nargs="*", default=["{}"])
    parser.add_argument(
        "--variants",
        nargs="*",
        choices=list(VARIANTS),
        default=[],
        help="fit each ensemble also with these changes of fitted-Q iteration",
    )
    parser.add_argument("--skip-trees", action="store_true")
    args = parser.parse_args()
    X, y = collect_transitions(
        args.task,
        n_episodes=args.episodes or EPISODES[args.task],
        random_state=args.data_seed,
    )
    print(f"{args.task}, data seed {args.data_seed}: {len(X)} transitions")
    settings = {
        "gamma": 0.99,
        "max_iter": args.iterations,
        "n_jobs": args.n_jobs,
        "random_state": 0,
    }
    contenders = {}
    if not args.skip_trees:
        trees = ExtraTreesRegressor(50, min_samples_leaf=2)
        contenders["extra-trees"] = FittedQIteration(trees, **settings)
    for params in args.ensemble:
        changes = json.loads(params)
        ensemble = clone(default_q_regressor()).set_params(**changes)
        contenders[f"ensemble {changes}"] = FittedQIteration(ensemble, **settings)
        for variant in args.variants:
            contenders[f"ensemble {changes}, {variant}"] = VARIANTS[variant](
                ensemble, settings, len(np.unique(y["action"]))
            )
    for name, fqi in contenders.items():
        start = time.perf_counter()
        fqi.fit(X, y)
        report(name, fqi, time.perf_counter() - start, args.task, X, y)


if __name__ == "__main__":
    main()
