"""FittedQIteration(pessimism=β): act and bootstrap on Q − β · spread."""

import numpy as np
import pytest
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF
from sklearn.tree import DecisionTreeRegressor

from skfa.neural_network import MLPEnsemble
from skfa.rl import FittedQIteration, pack_transitions


def one_step_data():
    """States in [0, 1]; action 1 is never logged at x > 0.5.

    Every transition ends the episode, so Q(x, a) is the expected reward:
    action 0 pays 0.6 everywhere, action 1 pays 1.0 where it was logged.
    """
    left = np.linspace(0, 0.5, 11)
    everywhere = np.linspace(0, 1, 21)
    states = np.concatenate([everywhere, left])[:, None]
    actions = np.r_[np.zeros(21, dtype=int), np.ones(11, dtype=int)]
    rewards = np.where(actions == 0, 0.6, 1.0)
    return pack_transitions(states, actions, rewards, states, np.ones(32, bool))


def gp():
    # A fixed kernel: the fit is exact and deterministic, and so is its spread.
    return GaussianProcessRegressor(RBF(0.15), optimizer=None, alpha=1e-6)


def test_pessimism_subtracts_beta_times_the_regressors_spread():
    X, y = one_step_data()
    grid = np.linspace(0, 1, 41)[:, None]
    greedy = FittedQIteration(gp(), max_iter=1).fit(X, y)
    careful = FittedQIteration(gp(), max_iter=1, pessimism=2.0).fit(X, y)
    for action, model in enumerate(careful.estimators_):
        mean, std = model.predict(grid, return_std=True)
        np.testing.assert_allclose(careful.q_values(grid)[:, action], mean - 2 * std)
        np.testing.assert_allclose(greedy.q_values(grid)[:, action], mean)
    # Just beyond x = 0.5 the unlogged action still looks better on average,
    # but not once its uncertainty counts.
    beyond = np.array([[0.7]])
    assert greedy.predict(beyond)[0] == 1 and careful.predict(beyond)[0] == 0
    # Where both actions were logged, the better one is kept.
    assert careful.predict([[0.25]])[0] == 1


def test_pessimism_bootstraps_on_the_lower_bound():
    # Two steps: from s, action 0 leads to the one-step data's states.
    X, y = one_step_data()
    fqi = FittedQIteration(gp(), gamma=0.5, max_iter=2, pessimism=1.0).fit(X, y)
    lower = fqi.q_values(X)
    np.testing.assert_allclose(
        fqi.history_["mean_q"][-1], lower[np.arange(len(X)), y["action"]].mean()
    )


def test_pessimism_with_the_default_ensemble_runs_and_changes_the_policy_there():
    X, y = one_step_data()
    ensemble = MLPEnsemble((16,), n_steps=300, random_state=0, warm_start=True)
    fitted = FittedQIteration(ensemble, max_iter=1, pessimism=3.0, random_state=0)
    fitted.fit(X, y)
    mean, std = fitted.estimators_[1].predict(np.array([[0.9]]), return_std=True)
    assert fitted.q_values([[0.9]])[0, 1] == pytest.approx(mean[0] - 3 * std[0])


def test_pessimism_needs_a_spread():
    X, y = one_step_data()
    with pytest.raises(ValueError, match="return_std"):
        FittedQIteration(DecisionTreeRegressor(), pessimism=1.0).fit(X, y)
    with pytest.raises(ValueError, match="pessimism"):
        FittedQIteration(gp(), pessimism=-1.0).fit(X, y)
