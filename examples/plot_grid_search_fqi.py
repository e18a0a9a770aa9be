"""
================================================================
Tuning fitted-Q iteration with GridSearchCV, without a simulator
================================================================

:class:`~skfa.rl.FittedQIteration` is a true scikit-learn estimator: ``X``
holds the states and ``y`` is a structured array saying what followed each of
them, so ``GridSearchCV`` tunes the regressor inside it unchanged. Its
``score`` is the negative mean squared TD error of the learned Q-function on
held-out transitions, which needs no simulator.

Transitions of one episode are strongly correlated, so the folds are whole
episodes: ``GroupKFold`` grouped by ``y["episode"]``.

Here the regressor is extra-trees and the grid is its ``min_samples_leaf``.
Because the car on the hill *has* a simulator, we can also check each
candidate's real score, the paper's mean discounted return, against the
cross-validated TD error. The data are small (150 episodes, 20 iterations) so
the example runs in about a minute.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.base import clone
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.model_selection import GridSearchCV, GroupKFold

from skfa.datasets import make_car_on_hill_transitions
from skfa.envs import CarOnHill
from skfa.rl import FittedQIteration

X, y = make_car_on_hill_transitions(n_episodes=150, random_state=0)

fqi = FittedQIteration(
    ExtraTreesRegressor(n_estimators=5, max_features=1.0),
    max_iter=15,
    n_jobs=2,
    random_state=0,
)
param_grid = {"estimator__min_samples_leaf": [1, 10, 100]}
search = GridSearchCV(fqi, param_grid, cv=GroupKFold(n_splits=3))
search.fit(X, y, groups=y["episode"])
print("best parameters:", search.best_params_)

# %%
# Cross-validated TD error against the simulator's verdict
# ---------------------------------------------------------
# Each candidate is refitted on all the data and its greedy policy is scored
# from the paper's 289 start states.
env = CarOnHill()
leaves = param_grid["estimator__min_samples_leaf"]
policy_scores = [
    env.score_policy(clone(fqi).set_params(estimator__min_samples_leaf=leaf).fit(X, y))
    for leaf in leaves
]
td_errors = -search.cv_results_["mean_test_score"]
for leaf, td, score in zip(leaves, td_errors, policy_scores):
    print(f"min_samples_leaf={leaf:>3}: CV TD error {td:.4f}, policy score {score:.3f}")

fig, ax = plt.subplots(figsize=(6, 3.5), constrained_layout=True)
ax.semilogx(leaves, td_errors, "o-", color="C0")
ax.set(xlabel="min_samples_leaf", title="FQI on the car on the hill")
ax.set_ylabel("CV mean squared TD error", color="C0")
twin = ax.twinx()
twin.semilogx(leaves, policy_scores, "s--", color="C1")
twin.set_ylabel("policy score (simulator)", color="C1")
plt.show()

# %%
# The TD error measures how self-consistent the Q-function is on unseen
# episodes; it is a proxy, not the return itself. Compare it only between
# candidates sharing ``gamma`` and rewards: a smaller ``gamma`` shrinks the
# Q-values and with them the TD error, whatever the policy's quality.
