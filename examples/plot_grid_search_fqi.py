"""
================================================================
Tuning fitted-Q iteration with GridSearchCV, without a simulator
================================================================

:class:`~skfa.rl.FittedQIteration` is a true scikit-learn estimator: ``X``
holds the states and ``y`` is a structured array saying what followed each of
them, so ``GridSearchCV`` tunes it unchanged. The question is what to score
the candidates by, with no simulator at hand:

- ``FittedQIteration.score``, the negative mean squared TD error of the
  learned Q-function on held-out transitions, measures how well the
  Q-function agrees with the data;
- :func:`~skfa.rl.policy_value_scorer` estimates the value of each
  candidate's greedy policy by fitted-Q evaluation on the held-out episodes,
  which is what a user cares about.

Transitions of one episode are strongly correlated, so the folds are whole
episodes: ``GroupKFold`` grouped by ``y["episode"]``. The grid is the number
of iterations, the horizon the policy plans over. Because the car on the hill
*has* a simulator, we can also check each candidate's real score, the paper's
mean discounted return, against both.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.model_selection import GridSearchCV, GroupKFold

from skfa.datasets import make_car_on_hill_transitions
from skfa.envs import CarOnHill
from skfa.rl import FittedQEvaluation, FittedQIteration, policy_value_scorer

X, y = make_car_on_hill_transitions(n_episodes=300, random_state=0)


def trees():
    # Fully grown trees, as in the paper: they fit the rare rewards exactly.
    return ExtraTreesRegressor(n_estimators=5, min_samples_split=2, random_state=0)


fqi = FittedQIteration(trees(), n_jobs=2, random_state=0)
param_grid = {"max_iter": [1, 3, 10, 30]}
evaluator = FittedQEvaluation(None, trees(), max_iter=40, n_jobs=2, random_state=0)
scoring = {
    "TD error": lambda estimator, X, y: estimator.score(X, y),
    "policy value": policy_value_scorer(evaluator),
}
search = GridSearchCV(
    fqi, param_grid, cv=GroupKFold(n_splits=3), scoring=scoring, refit=False
)
search.fit(X, y, groups=y["episode"])
cv_scores = {name: search.cv_results_[f"mean_test_{name}"] for name in scoring}

# %%
# The scores against the simulator's verdict
# ------------------------------------------
# Each candidate is refitted on all the data and its greedy policy is scored
# from the paper's 289 start states.
env = CarOnHill()
horizons = param_grid["max_iter"]
policy_scores = [
    env.score_policy(clone(fqi).set_params(max_iter=n).fit(X, y)) for n in horizons
]
for n, td, value, score in zip(
    horizons, cv_scores["TD error"], cv_scores["policy value"], policy_scores
):
    print(
        f"max_iter={n:>2}: CV TD error {-td:.4f}, CV policy value {value:.3f}, "
        f"policy score {score:.3f}"
    )

fig, ax = plt.subplots(figsize=(6, 3.5), constrained_layout=True)
ax.semilogx(horizons, policy_scores, "s-", color="black", label="score (simulator)")
ax.semilogx(horizons, cv_scores["policy value"], "o--", label="CV policy value (FQE)")
ax.set(xlabel="max_iter", title="FQI on the car on the hill")
ax.legend(loc="lower right")
twin = ax.twinx()
twin.semilogx(horizons, -cv_scores["TD error"], "^:", color="C3")
twin.set_ylabel("CV mean squared TD error", color="C3")
plt.show()
for name, values in cv_scores.items():
    print(f"{name} picks max_iter={horizons[np.argmax(values)]}")
print(f"the simulator picks max_iter={horizons[np.argmax(policy_scores)]}")

# %%
# Here neither score finds the simulator's choice, and the reason is the
# data. The TD error measures how self-consistent a Q-function is on unseen
# episodes, not how its policy acts. The estimated policy values are all
# close to zero: each fold holds 100 random episodes, few of which go where a
# good policy goes (up the hill at speed), so fitted-Q evaluation sees almost
# nothing along the candidates' paths and its values there are
# extrapolations (see :ref:`offline_evaluation` on coverage). Differences
# that small are no evidence: compare them with the interval of
# :meth:`~skfa.rl.FittedQEvaluation.value_interval` before trusting a pick.
# The scorer needs held-out episodes that cover where the candidates go:
# more of them, or logging that explores further than random actions.
