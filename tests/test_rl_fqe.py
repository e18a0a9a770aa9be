"""FittedQEvaluation, policy_value_scorer and behavior_value: known values."""

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score
from sklearn.tree import DecisionTreeRegressor

from skfa.datasets import make_car_on_hill_transitions
from skfa.rl import (
    FittedQEvaluation,
    FittedQIteration,
    behavior_value,
    pack_transitions,
    policy_value_scorer,
)

N_CHAIN, SLIP, GAMMA = 5, 0.25, 0.9
STEP_REWARD, GOAL_REWARD = -0.1, 1.0


def chain_outcomes():
    """``outcomes[s][a]``: (probability, reward, next state, done) of a slippery chain.

    Action 0 moves left, 1 right; the chain slips against the action with
    probability SLIP; moving right off the last state reaches the goal.
    """

    def move(state, direction):
        if state + direction >= N_CHAIN:
            return GOAL_REWARD, state, True
        return STEP_REWARD, max(state + direction, 0), False

    return [
        [[(1 - SLIP, *move(s, 2 * a - 1)), (SLIP, *move(s, 1 - 2 * a))] for a in (0, 1)]
        for s in range(N_CHAIN)
    ]


def exact_q(policy):
    """Q^pi of the chain by solving its Bellman equation; ``policy[s, a]`` = pi(a|s)."""
    n = 2 * N_CHAIN
    transition, reward = np.zeros((n, n)), np.zeros(n)
    for s, per_action in enumerate(chain_outcomes()):
        for a, outcomes in enumerate(per_action):
            for p, r, s2, done in outcomes:
                reward[2 * s + a] += p * r
                if not done:
                    transition[2 * s + a, 2 * s2 : 2 * s2 + 2] += p * GAMMA * policy[s2]
    return np.linalg.solve(np.eye(n) - transition, reward).reshape(N_CHAIN, 2)


def chain_data(episodes=True):
    """Each (state, action) four times, one of them a slip: frequencies = model."""
    rows = []
    for s, per_action in enumerate(chain_outcomes()):
        for a, ((_, r, s2, done), (_, r_slip, s2_slip, done_slip)) in enumerate(
            per_action
        ):
            rows += [(s, a, r, s2, done)] * 3 + [(s, a, r_slip, s2_slip, done_slip)]
    states, actions, rewards, next_states, terminals = map(np.array, zip(*rows))
    eye = np.eye(N_CHAIN)
    ids = np.arange(len(rows)) if episodes else None
    return pack_transitions(
        eye[states], actions, rewards, eye[next_states], terminals, ids
    )


def lookup_table():
    # A fully grown tree on one-hot states is a table of Q-values.
    return DecisionTreeRegressor(random_state=0)


class TablePolicy(ClassifierMixin, BaseEstimator):
    """A stochastic policy on one-hot chain states: ``table[s]`` = pi(.|s)."""

    def __init__(self, table=None, classes=(0, 1)):
        self.table = table
        self.classes = classes

    def fit(self, X=None, y=None):
        self.classes_ = np.asarray(self.classes)
        return self

    def predict_proba(self, X):
        return np.asarray(self.table)[np.argmax(X, axis=1)]

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def fqe(policy, **params):
    params = {"gamma": GAMMA, "tol": 1e-12, "max_iter": 500, **params}
    return FittedQEvaluation(policy, lookup_table(), **params)


# ------------------------------------------------------------ known values
@pytest.mark.parametrize("encoding", ["per_action", "onehot"])
@pytest.mark.parametrize(
    "actions_by_state", [[1, 1, 1, 1, 1], [0, 1, 0, 1, 1], [0, 0, 0, 0, 0]]
)
def test_deterministic_policy_has_its_exact_q(actions_by_state, encoding):
    X, y = chain_data()
    chosen = np.asarray(actions_by_state)

    def policy(states):
        return chosen[np.argmax(states, axis=1)]

    fitted = fqe(policy, action_encoding=encoding).fit(X, y)
    expected = exact_q(np.eye(2)[chosen])
    eye = np.eye(N_CHAIN)
    np.testing.assert_allclose(fitted.q_values(eye), expected, atol=1e-9)
    values = expected[np.arange(N_CHAIN), chosen]
    np.testing.assert_allclose(fitted.predict(eye), values, atol=1e-9)
    # value_: the mean over the episodes' first states (here, every row).
    per_row = values[np.argmax(X, axis=1)]
    assert fitted.value_ == pytest.approx(per_row.mean(), abs=1e-9)


def test_stochastic_policy_is_evaluated_in_expectation():
    X, y = chain_data()
    table = np.array([[0.2, 0.8], [0.5, 0.5], [0.9, 0.1], [0.3, 0.7], [0.0, 1.0]])
    fitted = fqe(TablePolicy(table).fit()).fit(X, y)
    expected = exact_q(table)
    eye = np.eye(N_CHAIN)
    np.testing.assert_allclose(fitted.q_values(eye), expected, atol=1e-9)
    np.testing.assert_allclose(
        fitted.predict(eye), (expected * table).sum(axis=1), atol=1e-9
    )


def test_probability_columns_follow_classes_not_their_order():
    X, y = chain_data()
    table = np.array([[0.2, 0.8], [0.5, 0.5], [0.9, 0.1], [0.3, 0.7], [0.0, 1.0]])
    reversed_classes = TablePolicy(table[:, ::-1], classes=(1, 0)).fit()
    a = fqe(TablePolicy(table).fit()).fit(X, y)
    b = fqe(reversed_classes).fit(X, y)
    np.testing.assert_allclose(a.q_values(X), b.q_values(X), atol=1e-12)


class RowCountingTree(DecisionTreeRegressor):
    """A lookup table that records how many rows each ``predict`` call gets."""

    def predict(self, X, check_input=True):
        self.predicted_rows_ = [*getattr(self, "predicted_rows_", []), len(X)]
        return super().predict(X, check_input)


@pytest.mark.parametrize("encoding", ["per_action", "onehot"])
def test_only_the_q_values_the_policy_reads_are_predicted(encoding):
    # FQI backs up the max over both actions: it predicts Q(s', a') for each;
    # a deterministic policy's backup reads one action per next state, and a
    # stochastic one those of positive probability (state 4: action 1 only).
    X, y = chain_data()
    n = len(X)
    table = np.array([[0.2, 0.8], [0.5, 0.5], [0.9, 0.1], [0.3, 0.7], [0.0, 1.0]])
    rows_of_policy = np.asarray(table > 0)[np.argmax(y["next_state"], axis=1)].sum()
    settings = {"action_encoding": encoding, "max_iter": 1, "gamma": GAMMA}
    expected = {
        FittedQIteration(RowCountingTree(), **settings): n + 2 * n,
        FittedQEvaluation(
            lambda s: np.ones(len(s), int), RowCountingTree(), **settings
        ): n + n,
        FittedQEvaluation(TablePolicy(table).fit(), RowCountingTree(), **settings): n
        + rows_of_policy,
    }
    for estimator, n_rows in expected.items():
        models = estimator.fit(X, y).estimators_
        assert sum(model.predicted_rows_[0] for model in models) == n_rows


def test_the_greedy_policy_of_fitted_q_iteration_is_worth_its_q():
    # Q* is the Q-function of its own greedy policy.
    X, y = chain_data()
    fqi = FittedQIteration(lookup_table(), gamma=GAMMA, tol=1e-12, max_iter=500)
    fqi.fit(X, y)
    fitted = fqe(fqi).fit(X, y)
    np.testing.assert_allclose(fitted.q_values(X), fqi.q_values(X), atol=1e-9)


def test_initial_states_given_to_fit():
    X, y = chain_data(episodes=False)
    fitted = fqe(lambda s: np.ones(len(s), dtype=int))
    fitted.fit(X, y, initial_states=np.eye(N_CHAIN)[:1])
    assert fitted.value_ == pytest.approx(exact_q(np.eye(2)[[1] * 5])[0, 1])
    np.testing.assert_array_equal(fitted.initial_states_, np.eye(N_CHAIN)[:1])


def test_value_interval_is_value_plus_minus_z_times_the_bootstrap_spread():
    X, y = make_car_on_hill_transitions(40, random_state=0)
    trees = ExtraTreesRegressor(n_estimators=5, min_samples_leaf=2)
    fitted = FittedQEvaluation(
        lambda s: (s[:, 1] >= 0).astype(int),
        trees,
        max_iter=15,
        n_bootstrap=8,
        random_state=0,
    ).fit(X, y)
    values = fitted.bootstrap_values_
    assert values.shape == (8,) and np.ptp(values) > 0
    low, high = fitted.value_interval(0.9)
    half = norm.ppf(0.95) * np.std(values, ddof=1)
    assert (low, high) == pytest.approx((fitted.value_ - half, fitted.value_ + half))
    # The same seed draws the same episodes and seeds the same refits.
    again = clone(fitted).fit(X, y)
    np.testing.assert_array_equal(again.bootstrap_values_, values)
    # A fitted estimator as the policy is used as it is, not cloned.
    policy = FittedQIteration(trees, max_iter=3, random_state=0).fit(X, y)
    evaluated = clone(fitted).set_params(policy=policy, n_bootstrap=2).fit(X, y)
    assert evaluated.bootstrap_values_.shape == (2,)


def test_cloned_with_a_frozen_policy_in_cross_validation():
    X, y = chain_data()
    fqi = FittedQIteration(lookup_table(), gamma=GAMMA, max_iter=30).fit(X, y)
    scores = cross_val_score(
        fqe(FrozenEstimator(fqi)), X, y, groups=y["episode"], cv=GroupKFold(2)
    )
    assert scores.shape == (2,) and np.isfinite(scores).all()


# ------------------------------------------------------------------ scorer
def test_scorer_returns_the_evaluators_value_on_the_held_out_data():
    X, y = make_car_on_hill_transitions(30, random_state=0)
    trees = ExtraTreesRegressor(n_estimators=5, random_state=0)
    policy = FittedQIteration(trees, max_iter=5, random_state=0).fit(X, y)
    evaluator = FittedQEvaluation(None, trees, max_iter=10, random_state=0)
    X_held, y_held = make_car_on_hill_transitions(20, random_state=1)
    score = policy_value_scorer(evaluator)(policy, X_held, y_held)
    direct = FittedQEvaluation(policy, trees, max_iter=10, random_state=0)
    assert score == direct.fit(X_held, y_held).value_
    assert evaluator.policy is None  # the template is left alone
    everywhere = policy_value_scorer(evaluator, states="all")(policy, X_held, y_held)
    assert everywhere == direct.predict(X_held).mean()
    assert everywhere != score


def test_scorer_default_and_bad_evaluator():
    scorer = policy_value_scorer()
    evaluator = scorer.__closure__[0].cell_contents
    assert isinstance(evaluator, FittedQEvaluation)
    assert evaluator.random_state == 0 and evaluator.estimator is None
    with pytest.raises(ValueError, match="evaluator must be a FittedQEvaluation"):
        policy_value_scorer(FittedQIteration())
    with pytest.raises(ValueError, match="states must be 'initial' or 'all'"):
        policy_value_scorer(states="first")


def test_grid_search_by_policy_value_prefers_longer_horizons():
    # One iteration only sees the next reward: on the car, where rewards come
    # at the end, it is a poor policy; the scorer must see that.
    X, y = make_car_on_hill_transitions(80, random_state=0)
    trees = ExtraTreesRegressor(n_estimators=5, min_samples_leaf=2, random_state=0)
    evaluator = FittedQEvaluation(None, trees, max_iter=30, random_state=0)
    search = GridSearchCV(
        FittedQIteration(trees, random_state=0),
        {"max_iter": [1, 30]},
        cv=GroupKFold(n_splits=2),
        scoring=policy_value_scorer(evaluator),
    ).fit(X, y, groups=y["episode"])
    scores = search.cv_results_["mean_test_score"]
    assert search.best_params_ == {"max_iter": 30}
    assert scores[1] > scores[0]


# --------------------------------------------------------- behaviour value
def test_behavior_value_discounts_each_episode_from_its_first_step():
    X, y = pack_transitions(
        states=[[0], [1], [5], [2], [6]],
        actions=[0, 0, 1, 0, 1],
        rewards=[1.0, 2.0, 10.0, 4.0, 20.0],
        next_states=[[1], [2], [6], [3], [7]],
        terminals=[False, False, False, True, False],  # episode 7 is cut short
        episodes=[3, 3, 7, 3, 7],  # interleaved, each in time order
    )
    expected = np.mean([1 + 0.5 * 2 + 0.25 * 4, 10 + 0.5 * 20])
    assert behavior_value(X, y, gamma=0.5) == pytest.approx(expected)
    assert behavior_value(X, y, gamma=1.0) == pytest.approx(np.mean([7.0, 30.0]))


def test_fqe_of_the_logging_policy_agrees_with_the_behavior_value():
    # Random-action episodes of a chain, evaluated with the uniform policy.
    rng = np.random.RandomState(0)
    outcomes = chain_outcomes()
    rows = []
    for episode in range(400):
        state = 0
        for _ in range(200):
            action = rng.randint(2)
            p, r, s2, done = outcomes[state][action][rng.rand() < SLIP]
            rows.append((state, action, r, s2, done, episode))
            if done:
                break
            state = s2
    s, a, r, s2, done, episodes = map(np.array, zip(*rows))
    eye = np.eye(N_CHAIN)
    X, y = pack_transitions(eye[s], a, r, eye[s2], done, episodes)
    uniform = TablePolicy(np.full((N_CHAIN, 2), 0.5)).fit()
    fitted = fqe(uniform).fit(X, y)
    exact = (exact_q(np.full((N_CHAIN, 2), 0.5))[0]).mean()
    assert fitted.value_ == pytest.approx(exact, abs=0.05)
    assert behavior_value(X, y, gamma=GAMMA) == pytest.approx(exact, abs=0.05)


# ---------------------------------------------------------------- bad input
def test_policy_choosing_unlogged_actions_raises():
    X, y = chain_data()
    with pytest.raises(ValueError, match=r"chose actions \[2\] that the data never"):
        fqe(lambda s: np.full(len(s), 2)).fit(X, y)


def test_policy_returning_the_wrong_number_of_actions_raises():
    X, y = chain_data()
    with pytest.raises(ValueError, match="one action per state"):
        fqe(lambda s: np.ones(len(s) + 1, dtype=int)).fit(X, y)
    with pytest.raises(ValueError, match="one action per state"):
        fqe(lambda s: np.ones((len(s), 2), dtype=int)).fit(X, y)


def test_predict_proba_columns_must_match_classes():
    X, y = chain_data()
    three_columns = TablePolicy(np.full((N_CHAIN, 3), 1 / 3)).fit()
    with pytest.raises(ValueError, match="classes_ has 2 actions"):
        fqe(three_columns).fit(X, y)
    unlogged = TablePolicy(np.tile([0.5, 0.5], (N_CHAIN, 1)), classes=(0, 4)).fit()
    with pytest.raises(ValueError, match=r"probability to actions \[4\]"):
        fqe(unlogged).fit(X, y)
    # A class of zero probability everywhere is allowed.
    never = TablePolicy(np.tile([1.0, 0.0], (N_CHAIN, 1)), classes=(0, 4)).fit()
    assert np.isfinite(fqe(never).fit(X, y).value_)


def test_no_episodes_and_no_initial_states_raises():
    X, y = chain_data(episodes=False)
    with pytest.raises(ValueError, match="initial_states=|'episode' field"):
        fqe(lambda s: np.ones(len(s), dtype=int)).fit(X, y)


def test_value_interval_bad_confidence_and_no_bootstrap():
    X, y = chain_data()
    fitted = fqe(lambda s: np.ones(len(s), dtype=int), tol=None, max_iter=5)
    fitted.fit(X, y)
    for confidence in (0, 1, 1.5, -0.1, "high"):
        with pytest.raises(ValueError, match=r"confidence must be in \(0, 1\)"):
            fitted.value_interval(confidence)
    with pytest.raises(ValueError, match="set n_bootstrap"):
        fitted.value_interval()


def test_missing_policy_raises():
    X, y = chain_data()
    with pytest.raises(ValueError, match="needs the policy to evaluate"):
        FittedQEvaluation(None, lookup_table()).fit(X, y)
    with pytest.raises(ValueError, match="policy"):
        FittedQEvaluation("right", lookup_table()).fit(X, y)
