"""Fitted-Q fits that continue (warm_start) and that survive Ctrl-C."""

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.tree import DecisionTreeRegressor

from skfa.datasets import make_car_on_hill_transitions
from skfa.rl import FittedQIteration


@pytest.fixture(scope="module")
def car_data():
    return make_car_on_hill_transitions(n_episodes=40, random_state=0)


def assert_same_fit(a, b, X):
    np.testing.assert_array_equal(a.q_values(X), b.q_values(X))
    assert a.n_iter_ == b.n_iter_
    for key in a.history_:
        np.testing.assert_array_equal(a.history_[key], b.history_[key])


@pytest.mark.parametrize("average", [1, 4])
def test_twenty_then_thirty_iterations_equal_fifty(car_data, average):
    X, y = car_data
    trees = ExtraTreesRegressor(n_estimators=5, min_samples_leaf=2)
    params = {"estimator": trees, "random_state": 0, "average": average}
    once = FittedQIteration(max_iter=50, **params).fit(X, y)
    twice = FittedQIteration(max_iter=20, warm_start=True, **params).fit(X, y)
    assert twice.n_iter_ == 20
    twice.set_params(max_iter=30).fit(X, y)
    assert_same_fit(once, twice, X)
    assert len(twice.averaged_estimators_) == average


def test_the_default_network_continues_to_the_last_bit():
    X, y = make_car_on_hill_transitions(n_episodes=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        once = FittedQIteration(max_iter=5, random_state=0).fit(X, y)
        twice = FittedQIteration(max_iter=2, warm_start=True, random_state=0)
        twice.fit(X, y).set_params(max_iter=3).fit(X, y)
    assert_same_fit(once, twice, X)


def test_without_warm_start_a_second_fit_starts_afresh(car_data):
    X, y = car_data
    fqi = FittedQIteration(DecisionTreeRegressor(random_state=0), max_iter=3)
    fqi.fit(X, y).fit(X, y)
    assert fqi.n_iter_ == 3


def test_warm_start_refuses_changed_actions_or_settings(car_data):
    X, y = car_data
    fqi = FittedQIteration(DecisionTreeRegressor(), max_iter=2, warm_start=True)
    fqi.fit(X, y)
    other = y.copy()
    other["action"][0] = 7
    with pytest.raises(ValueError, match=r"actions \[7\] never seen in fit"):
        fqi.fit(X, other)
    with pytest.raises(ValueError, match="action_encoding='per_action'"):
        fqi.set_params(action_encoding="onehot").fit(X, y)
    with pytest.raises(ValueError, match="n_runs=1"):
        fqi.set_params(action_encoding="per_action", n_runs=2).fit(X, y)


class InterruptedRegressor(RegressorMixin, BaseEstimator):
    """A tree that raises KeyboardInterrupt at its ``interrupt_at``-th fit.

    ``warm_start=True`` carries the count of fits from iteration to iteration.
    """

    def __init__(self, interrupt_at=3, warm_start=True):
        self.interrupt_at = interrupt_at
        self.warm_start = warm_start

    def fit(self, X, y):
        self.n_fits_ = getattr(self, "n_fits_", 0) + 1
        if self.n_fits_ == self.interrupt_at:
            raise KeyboardInterrupt
        self.tree_ = DecisionTreeRegressor(random_state=0).fit(X, y)
        return self

    def predict(self, X):
        return self.tree_.predict(X)


def test_ctrl_c_keeps_the_last_completed_iteration(car_data):
    X, y = car_data
    fqi = FittedQIteration(InterruptedRegressor(interrupt_at=3), max_iter=10)
    with pytest.warns(UserWarning, match="interrupted.*iteration 2") as record:
        fqi.fit(X, y)
    assert len(record) == 1
    assert fqi.n_iter_ == 2 and len(fqi.history_["q_change"]) == 2
    expected = FittedQIteration(DecisionTreeRegressor(random_state=0), max_iter=2)
    np.testing.assert_array_equal(fqi.q_values(X), expected.fit(X, y).q_values(X))
    # Continuing after the interruption reaches the uninterrupted Q-function.
    for model in fqi.estimators_:
        model.set_params(interrupt_at=0)  # no more Ctrl-C
    fqi.set_params(warm_start=True, max_iter=3).fit(X, y)
    np.testing.assert_array_equal(
        fqi.q_values(X), expected.set_params(max_iter=5).fit(X, y).q_values(X)
    )


def test_ctrl_c_before_any_iteration_is_raised(car_data):
    X, y = car_data
    fqi = FittedQIteration(InterruptedRegressor(interrupt_at=1), max_iter=3)
    with pytest.raises(KeyboardInterrupt):
        fqi.fit(X, y)
    assert not hasattr(fqi, "estimators_")
