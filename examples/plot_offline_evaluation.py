"""
==============================================
Evaluating policies without a simulator (FQE)
==============================================

Users of fitted-Q iteration have logged data and, as a rule, no simulator:
they must judge a learned policy from the same kind of data it was learned
from. :class:`~skfa.rl.FittedQEvaluation` estimates a policy's value by
fitted-Q *evaluation*: fitted-Q iteration with the policy's own action in the
bootstrapped target, ``r + γ Q(s', π(s'))``, in place of the best one.

The car on the hill lets us check the estimates, since its dynamics are
deterministic: one rollout from a state *is* that state's value. We learn
several policies of varied quality from 150 random episodes, estimate each
one's value from the same episodes, and put the estimates beside the truth.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import spearmanr
from sklearn.ensemble import ExtraTreesRegressor

from skfa.datasets import make_car_on_hill_transitions
from skfa.envs import CarOnHill
from skfa.rl import FittedQEvaluation, FittedQIteration, behavior_value

X, y = make_car_on_hill_transitions(n_episodes=150, random_state=0)
env = CarOnHill()


def trees():
    return ExtraTreesRegressor(n_estimators=5, min_samples_leaf=2, random_state=0)


policies = {
    "always -4": lambda s: np.zeros(len(s), dtype=int),
    "push along the speed": lambda s: (s[:, 1] >= 0).astype(int),
}
for n_iter in (3, 10, 30):
    fqi = FittedQIteration(trees(), max_iter=n_iter, n_jobs=2, random_state=0)
    policies[f"FQI, {n_iter} iterations"] = fqi.fit(X, y)

# %%
# Estimates beside the truth
# --------------------------
# All the logged episodes start at (-0.5, 0), so ``value_``, the mean value at
# the episodes' first states, estimates the return from there. The bootstrap
# over episodes gives an interval. ``predict`` gives the value in any state:
# its mean over the paper's 289 score states estimates the paper's score,
# where most states lie far from the logged ones.
grid = env.score_states()
rows = []
for name, policy in policies.items():
    fqe = FittedQEvaluation(
        policy, trees(), max_iter=40, n_bootstrap=3, n_jobs=2, random_state=0
    ).fit(X, y)
    low, high = fqe.value_interval(0.95)
    rows.append(
        (
            name,
            env.rollout(policy).returns[0],
            fqe.value_,
            (low, high),
            env.score_policy(policy),
            fqe.predict(grid).mean(),
        )
    )
    print(
        f"{name:<22} start: exact {rows[-1][1]:6.3f}, FQE {fqe.value_:6.3f} "
        f"[{low:6.3f}, {high:6.3f}];  score: exact {rows[-1][4]:6.3f}, "
        f"FQE {rows[-1][5]:6.3f}"
    )
print(f"The logged (random) behaviour: {behavior_value(X, y):.3f} from the start")
exact_start, fqe_start, intervals, exact_score, fqe_score = (
    np.array(column, dtype=object) for column in list(zip(*rows))[1:]
)
print(f"Spearman, score states: {spearmanr(fqe_score, exact_score).statistic:.2f}")

fig, (ax_start, ax_grid) = plt.subplots(1, 2, figsize=(9, 4), constrained_layout=True)
errors = np.abs(np.array([list(i) for i in intervals]).T - fqe_start.astype(float))
ax_start.errorbar(exact_start, fqe_start, yerr=errors, fmt="o", capsize=3)
ax_grid.plot(exact_score, fqe_score, "s", color="C1")
for ax, title in [
    (ax_start, "from the start state"),
    (ax_grid, "mean over 289 states"),
]:
    ax.axline((0, 0), slope=1, color="0.6", linestyle="--")
    ax.set(xlabel="exact value (one rollout)", ylabel="FQE estimate", title=title)
plt.show()

# %%
# At the start state the estimates follow the truth for the poor policies,
# whose paths the random episodes cover, and fall short for the good ones:
# few of 150 random episodes climb the hill the way they do, so their values
# are learned from little data (FQE assumes the logged data cover where the
# policy goes). Over the 289 score states the values are extrapolations,
# larger in error, but they nearly keep the policies' order, which is what
# model selection needs. The interval covers the sampling of episodes, not
# the error of extrapolation, so it can miss the truth where every refit
# extrapolates alike.
