"""FittedQIteration: known optimal Q-values, the data contract, sklearn integration."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score
from sklearn.tree import DecisionTreeRegressor

from skfa.datasets import make_car_on_hill_transitions
from skfa.envs import CarOnHill
from skfa.rl import FittedQIteration, pack_transitions
from skfa.rl._default import default_q_regressor

# --------------------------------------------------------------------- helpers
N_CHAIN = 5
SLIP = 0.25  # probability that the chain moves against the chosen action
STEP_REWARD, GOAL_REWARD = -0.1, 1.0


def chain_model():
    """Tabular model of a slippery chain: ``outcomes[s][a]`` lists (p, r, s', done).

    Action 0 moves left, 1 right; moving right off the last state reaches the
    goal (terminal, reward 1); moving left at state 0 bumps into a wall.
    """

    def move(state, direction):
        target = state + direction
        if target >= N_CHAIN:
            return GOAL_REWARD, state, True
        return STEP_REWARD, max(target, 0), False

    return [
        [
            [
                (1 - SLIP, *move(s, 1 if a == 1 else -1)),
                (SLIP, *move(s, -1 if a == 1 else 1)),
            ]
            for a in (0, 1)
        ]
        for s in range(N_CHAIN)
    ]


def chain_optimal_q(gamma):
    """Q* of the chain by value iteration on the tabular model."""
    outcomes = chain_model()
    q = np.zeros((N_CHAIN, 2))
    for _ in range(2000):
        q = np.array(
            [
                [
                    sum(
                        p * (r + gamma * (1 - done) * q[s2].max())
                        for p, r, s2, done in out
                    )
                    for out in outcomes[s]
                ]
                for s in range(N_CHAIN)
            ]
        )
    return q


def chain_transitions(actions=(0, 1)):
    """Logged chain data whose empirical frequencies equal the slip probability.

    Each (state, action) pair appears four times: three intended moves and one
    slip. States are one-hot encoded, so a fully grown tree is a lookup table.
    ``actions`` relabels the two actions.
    """
    rows = []
    for s, per_action in enumerate(chain_model()):
        for a, ((_, r, s2, done), (_, r_slip, s2_slip, done_slip)) in enumerate(
            per_action
        ):
            rows += [(s, actions[a], r, s2, done)] * 3
            rows.append((s, actions[a], r_slip, s2_slip, done_slip))
    states, labels, rewards, next_states, terminals = map(np.array, zip(*rows))
    eye = np.eye(N_CHAIN)
    return pack_transitions(
        eye[states], labels, rewards, eye[next_states], terminals, np.arange(len(rows))
    )


class RecordingRegressor(RegressorMixin, BaseEstimator):
    """Predicts ``scale`` times the weighted mean target; records every call.

    With ``warm_start=True`` FittedQIteration hands each iteration a copy of
    the previous iteration's regressor, so the record spans the iterations.
    """

    def __init__(self, scale=1.0, warm_start=True):
        self.scale = scale
        self.warm_start = warm_start

    def fit(self, X, y, sample_weight=None):
        self.fits_ = [*getattr(self, "fits_", []), (X, y.copy(), sample_weight)]
        self.mean_ = np.average(y, weights=sample_weight)
        self.n_predicts_ = 0
        return self

    def predict(self, X):
        self.n_predicts_ = getattr(self, "n_predicts_", 0) + 1
        return np.full(len(X), self.scale * self.mean_)

    def __deepcopy__(self, memo):
        # The copy records the arrays it was given, not copies of them, so
        # that tests can see which arrays each iteration received.
        twin = clone(self)
        twin.__dict__.update(self.__dict__)
        if hasattr(self, "fits_"):
            twin.fits_ = list(self.fits_)
        return twin


class NoWeightRegressor(RegressorMixin, BaseEstimator):
    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.zeros(len(X))


class NaNRegressor(NoWeightRegressor):
    def predict(self, X):
        return np.full(len(X), np.nan)


def fqi_by_hand(regressor, X, y, n_iter, gamma=0.95):
    """Plain fitted-Q iteration: one regressor per action, refitted in place."""
    models = [clone(regressor), clone(regressor)]
    actions, rewards = y["action"], y["reward"]
    next_q = np.zeros((len(X), 2))
    for _ in range(n_iter):
        targets = rewards + gamma * (1 - y["terminal"]) * next_q.max(axis=1)
        for action, model in enumerate(models):
            taken = actions == action
            model.fit(X[taken], targets[taken])
        next_q = np.column_stack([model.predict(y["next_state"]) for model in models])
    return np.column_stack([model.predict(X) for model in models])


@pytest.fixture(scope="module")
def car_data():
    return make_car_on_hill_transitions(n_episodes=30, random_state=0)


def small_trees(**params):
    return ExtraTreesRegressor(n_estimators=5, **params)


# ----------------------------------------------------------- known answers
@pytest.mark.parametrize("action_encoding", ["per_action", "onehot"])
def test_chain_optimal_q(action_encoding):
    gamma = 0.9
    X, y = chain_transitions()
    fqi = FittedQIteration(
        DecisionTreeRegressor(),
        gamma=gamma,
        max_iter=500,
        tol=1e-8,
        action_encoding=action_encoding,
    ).fit(X, y)
    assert fqi.n_iter_ < 500
    np.testing.assert_allclose(
        fqi.q_values(np.eye(N_CHAIN)), chain_optimal_q(gamma), atol=1e-3
    )
    np.testing.assert_array_equal(fqi.predict(np.eye(N_CHAIN)), [1] * N_CHAIN)
    # Q* is consistent: the TD error on the data is only the slip's own noise.
    q = chain_optimal_q(gamma)
    states, next_states = X.argmax(axis=1), y["next_state"].argmax(axis=1)
    td = y["reward"] + gamma * (1 - y["terminal"]) * q[next_states].max(axis=1)
    td -= q[states, y["action"]]
    assert fqi.score(X, y) == pytest.approx(-np.mean(td**2), abs=1e-3)


def test_chain_q_values_closed_form_without_slip():
    # Deterministic 3-state chain, gamma = 0.5: Q(s, right) = 0.5 ** (2 - s) and
    # Q(s, left) = 0.5 * V(max(s - 1, 0)).
    X, y = pack_transitions(
        states=[[0], [0], [1], [1], [2], [2]],
        actions=[0, 1, 0, 1, 0, 1],
        rewards=[0, 0, 0, 0, 0, 1],
        next_states=[[0], [1], [0], [2], [1], [2]],
        terminals=[False, False, False, False, False, True],
    )
    fqi = FittedQIteration(DecisionTreeRegressor(), gamma=0.5, max_iter=1).fit(X, y)
    # After one iteration Q_1 = r; the only TD error is 0.5 * Q_1(2, right) at
    # the (1, right) transition, so the score is -(0.5 ** 2) / 6.
    np.testing.assert_allclose(fqi.q_values([[0], [1], [2]]), [[0, 0], [0, 0], [0, 1]])
    assert fqi.score(X, y) == pytest.approx(-0.25 / 6)
    fqi.set_params(max_iter=10).fit(X, y)
    np.testing.assert_allclose(
        fqi.q_values([[0], [1], [2]]), [[0.125, 0.25], [0.125, 0.5], [0.25, 1.0]]
    )
    assert fqi.score(X, y) == 0


@pytest.mark.parametrize("action_encoding", ["per_action", "onehot"])
def test_three_actions_keep_their_columns(action_encoding):
    # Two steps, three actions with unsorted labels: from state 0 every action
    # leads to state 1, from where every action ends the episode. So
    # Q(1, a) = r1[a] and Q(0, a) = r0[a] + gamma * max(r1); the columns follow
    # the sorted labels in actions_.
    labels = np.array([7, 3, 5])
    r0, r1, gamma = np.array([0.1, 0.2, 0.3]), np.array([1.0, -1.0, 0.5]), 0.5
    X, y = pack_transitions(
        states=[[0.0]] * 3 + [[1.0]] * 3,
        actions=np.tile(labels, 2),
        rewards=np.concatenate([r0, r1]),
        next_states=[[1.0]] * 6,
        terminals=[False] * 3 + [True] * 3,
    )
    fqi = FittedQIteration(
        DecisionTreeRegressor(),
        gamma=gamma,
        max_iter=3,
        action_encoding=action_encoding,
    ).fit(X, y)
    order = np.argsort(labels)
    np.testing.assert_array_equal(fqi.actions_, [3, 5, 7])
    np.testing.assert_allclose(
        fqi.q_values([[0.0], [1.0]]),
        [(r0 + gamma * r1.max())[order], r1[order]],
    )
    np.testing.assert_array_equal(fqi.predict([[0.0], [1.0]]), [5, 7])
    assert fqi.score(X, y) == 0


def test_history_records_each_iteration():
    X, y = chain_transitions()
    fqi = FittedQIteration(DecisionTreeRegressor(), gamma=0.9, max_iter=7).fit(X, y)
    assert fqi.n_iter_ == 7
    assert set(fqi.history_) == {"td_error", "q_change", "mean_q"}
    assert all(values.shape == (7,) for values in fqi.history_.values())
    # Iteration 1 fits the expected rewards: Q_0 = 0, so the change is max |E[r]|.
    assert fqi.history_["q_change"][0] == pytest.approx(0.75 * 1.0 + 0.25 * -0.1)
    assert fqi.history_["mean_q"][0] == pytest.approx(np.mean(y["reward"]))
    # The last entries match the final model.
    assert fqi.history_["td_error"][-1] == pytest.approx(-fqi.score(X, y))


def test_tol_stops_early_and_warns_when_not_reached():
    X, y = chain_transitions()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fqi = FittedQIteration(DecisionTreeRegressor(), tol=1e-6, max_iter=500)
        assert fqi.fit(X, y).n_iter_ < 500
    assert fqi.history_["q_change"][-1] < 1e-6
    assert (fqi.history_["q_change"][:-1] >= 1e-6).all()
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        FittedQIteration(DecisionTreeRegressor(), tol=1e-6, max_iter=3).fit(X, y)


@pytest.mark.parametrize("action_encoding", ["per_action", "onehot"])
def test_average_is_the_mean_of_the_last_iterations_q_functions(action_encoding):
    X, y = chain_transitions()
    tree = DecisionTreeRegressor(random_state=0)  # a lookup table: exact iterates

    def fit(max_iter, average):
        return FittedQIteration(
            tree,
            gamma=0.9,
            max_iter=max_iter,
            average=average,
            action_encoding=action_encoding,
        ).fit(X, y)

    averaged = fit(6, average=3)
    iterates = [fit(k, average=1) for k in (4, 5, 6)]

    def mean_q(states):
        return np.mean([fqi.q_values(states) for fqi in iterates], axis=0)

    q = mean_q(X)
    assert not np.allclose(iterates[0].q_values(X), q)  # values still propagate
    np.testing.assert_allclose(averaged.q_values(X), q)
    # predict and score follow the averaged Q-function.
    np.testing.assert_array_equal(averaged.predict(X), q.argmax(1))
    td_error = (
        y["reward"]
        + 0.9 * ~y["terminal"] * mean_q(y["next_state"]).max(1)
        - q[np.arange(len(X)), y["action"]]
    )
    assert averaged.score(X, y) == pytest.approx(-np.mean(td_error**2))
    # The earlier iterations are kept as copies, not as the refitted models.
    kept = averaged.averaged_estimators_
    assert len(kept) == 3 and kept[-1] is averaged.estimators_
    assert len({id(model) for models in kept for model in models}) == 3 * len(kept[0])
    single = fit(6, average=1)
    assert single.averaged_estimators_ == [single.estimators_]
    # history_ describes the iterates themselves, as without averaging.
    np.testing.assert_array_equal(
        averaged.history_["td_error"], single.history_["td_error"]
    )


@pytest.mark.parametrize("action_encoding", ["per_action", "onehot"])
def test_runs_are_independent_fits_whose_q_functions_are_averaged(
    car_data, action_encoding
):
    # n_runs=2 is two fits seeded one after the other from one generator:
    # each run bootstraps from its own Q, and the fitted Q is their mean.
    X, y = car_data

    def fit(n_runs, rng):
        return FittedQIteration(
            small_trees(),
            max_iter=4,
            average=2,
            n_runs=n_runs,
            action_encoding=action_encoding,
            random_state=rng,
        ).fit(X, y)

    both = fit(2, np.random.RandomState(0))
    rng = np.random.RandomState(0)
    first, second = fit(1, rng), fit(1, rng)
    q = (first.q_values(X) + second.q_values(X)) / 2
    assert not np.allclose(first.q_values(X), second.q_values(X))
    np.testing.assert_allclose(both.q_values(X), q)
    np.testing.assert_array_equal(both.predict(X), both.actions_[q.argmax(1)])
    # Two iterations of two runs are averaged; estimators_ is the last run's.
    assert len(both.averaged_estimators_) == 4
    assert both.averaged_estimators_[-1] is both.estimators_
    # The history averages the runs' TD errors and mean Q-values, and records
    # the largest change of either run's Q.
    for key in ("td_error", "mean_q"):
        np.testing.assert_allclose(
            both.history_[key],
            np.mean([first.history_[key], second.history_[key]], axis=0),
        )
    np.testing.assert_allclose(
        both.history_["q_change"],
        np.maximum(first.history_["q_change"], second.history_["q_change"]),
    )


def test_runs_stop_together_when_every_run_is_below_tol():
    X, y = chain_transitions()
    tree = DecisionTreeRegressor(random_state=0)
    fqi = FittedQIteration(tree, gamma=0.5, tol=1e-9, max_iter=500, n_runs=3)
    fqi.fit(X, y)
    single = FittedQIteration(tree, gamma=0.5, tol=1e-9, max_iter=500).fit(X, y)
    # A lookup table is deterministic: three runs find the same Q, as fast.
    assert fqi.n_iter_ == single.n_iter_ < 500
    np.testing.assert_allclose(fqi.q_values(X), single.q_values(X))


def test_average_over_fewer_iterations_when_tol_stops_early():
    X, y = chain_transitions()
    tree = DecisionTreeRegressor(random_state=0)
    fqi = FittedQIteration(tree, gamma=0.5, tol=1e-9, max_iter=500, average=1000)
    fqi.fit(X, y)
    assert len(fqi.averaged_estimators_) == fqi.n_iter_ < 500


def test_average_and_n_runs_are_one_for_every_estimator():
    X, y = chain_transitions()
    for estimator in (DecisionTreeRegressor(), None):
        fqi = FittedQIteration(estimator, max_iter=2, random_state=0).fit(X, y)
        assert fqi.get_params()["average"] == fqi.get_params()["n_runs"] == 1
        assert len(fqi.averaged_estimators_) == 1


def test_predict_returns_labels_from_y():
    X, y = chain_transitions(actions=(7, 3))
    fqi = FittedQIteration(DecisionTreeRegressor(), gamma=0.9, max_iter=60).fit(X, y)
    np.testing.assert_array_equal(fqi.actions_, [3, 7])
    q = fqi.q_values(np.eye(N_CHAIN))
    # Label 3 is "right", the optimal action, and comes first in actions_.
    np.testing.assert_allclose(q, chain_optimal_q(0.9)[:, ::-1], atol=1e-2)
    np.testing.assert_array_equal(fqi.predict(np.eye(N_CHAIN)), [3] * N_CHAIN)


# ------------------------------------------------------------------ targets
@pytest.mark.parametrize(
    "clip_targets, expected",
    [(False, 2.5), (True, 2.0), ((-1.0, 1.0), 2.0), ((-1.0, 0.5), 1.0)],
)
def test_clip_targets(clip_targets, expected):
    # Reward 1 on a self-loop. The regressor overshoots 3x, so the second
    # target is 1 + 0.5 * 3 = 2.5; rewards up to r_max bound returns by
    # r_max / (1 - gamma).
    X, y = pack_transitions([[0.0]] * 4, [0] * 4, [1.0] * 4, [[0.0]] * 4, [False] * 4)
    fqi = FittedQIteration(
        RecordingRegressor(scale=3.0), gamma=0.5, max_iter=2, clip_targets=clip_targets
    ).fit(X, y)
    targets = fqi.estimators_[0].fits_[1][1]
    np.testing.assert_allclose(targets, expected)


def test_terminal_transitions_do_not_bootstrap():
    X, y = pack_transitions(
        [[0.0], [0.0]], [0, 0], [1.0, 1.0], [[0.0], [0.0]], [True, False]
    )
    fqi = FittedQIteration(RecordingRegressor(), gamma=0.5, max_iter=2).fit(X, y)
    np.testing.assert_allclose(fqi.estimators_[0].fits_[1][1], [1.0, 1.5])


def test_non_finite_q_values_raise():
    X, y = chain_transitions()
    with pytest.raises(ValueError, match="NaN or infinite at iteration 1"):
        FittedQIteration(NaNRegressor()).fit(X, y)


# ----------------------------------------------------- cost and sample weights
@pytest.mark.parametrize(
    "action_encoding, n_models", [("per_action", 2), ("onehot", 1)]
)
def test_one_model_per_action_fitted_and_queried_once_per_iteration(
    action_encoding, n_models
):
    X, y = chain_transitions()
    fqi = FittedQIteration(
        RecordingRegressor(), max_iter=4, action_encoding=action_encoding
    ).fit(X, y)
    assert len(fqi.estimators_) == n_models
    for model in fqi.estimators_:
        assert len(model.fits_) == 4
        assert model.n_predicts_ == 1  # since its last fit
        # The training inputs are the same arrays in every iteration.
        assert all(fit[0] is model.fits_[0][0] for fit in model.fits_)
    if action_encoding == "onehot":
        inputs = fqi.estimators_[0].fits_[0][0]
        np.testing.assert_array_equal(inputs[:, :N_CHAIN], X)
        np.testing.assert_array_equal(inputs[:, N_CHAIN:], np.eye(2)[y["action"]])


def test_sample_weight_split_by_action():
    X, y = chain_transitions()
    weights = np.arange(1.0, len(X) + 1)
    fqi = FittedQIteration(RecordingRegressor(), max_iter=2).fit(X, y, weights)
    for action, model in enumerate(fqi.estimators_):
        for _, _, received in model.fits_:
            np.testing.assert_array_equal(received, weights[y["action"] == action])
    fqi.set_params(action_encoding="onehot").fit(X, y, weights)
    np.testing.assert_array_equal(fqi.estimators_[0].fits_[-1][2], weights)


@pytest.mark.parametrize("action_encoding", ["per_action", "onehot"])
def test_integer_sample_weight_equals_repeating_rows(action_encoding):
    X, y = make_car_on_hill_transitions(n_episodes=5, random_state=0)
    counts = np.random.RandomState(0).randint(0, 3, size=len(X))
    params = dict(gamma=0.9, max_iter=5, action_encoding=action_encoding)
    weighted = FittedQIteration(LinearRegression(), **params).fit(X, y, counts)
    repeated = FittedQIteration(LinearRegression(), **params).fit(
        np.repeat(X, counts, axis=0), np.repeat(y, counts)
    )
    np.testing.assert_allclose(weighted.q_values(X), repeated.q_values(X), atol=1e-8)
    np.testing.assert_allclose(
        weighted.history_["td_error"], repeated.history_["td_error"], rtol=1e-6
    )


def test_sample_weight_needs_a_regressor_that_takes_it():
    X, y = chain_transitions()
    with pytest.raises(ValueError, match="does not accept sample_weight"):
        FittedQIteration(NoWeightRegressor()).fit(X, y, np.ones(len(X)))
    with pytest.raises(ValueError, match="sample_weight"):
        FittedQIteration(DecisionTreeRegressor()).fit(X, y, np.ones(3))


# ----------------------------------------------------------- randomness, jobs
def test_n_jobs_and_random_state_give_identical_results(car_data):
    X, y = car_data
    fits = [
        FittedQIteration(small_trees(), max_iter=3, n_jobs=n_jobs, random_state=0).fit(
            X, y
        )
        for n_jobs in (1, 2, 1)
    ]
    for fqi in fits[1:]:
        np.testing.assert_array_equal(fqi.q_values(X), fits[0].q_values(X))
    seeds = [model.random_state for model in fits[0].estimators_]
    assert seeds[0] != seeds[1]
    other = FittedQIteration(small_trees(), max_iter=3, random_state=1).fit(X, y)
    assert not np.array_equal(other.q_values(X), fits[0].q_values(X))


def test_models_are_cloned_once_and_refit():
    X, y = chain_transitions()
    base = RecordingRegressor()
    fqi = FittedQIteration(base, max_iter=3, average=3).fit(X, y)
    assert not hasattr(base, "fits_")
    assert [len(model.fits_) for model in fqi.estimators_] == [3, 3]
    # Each iteration fitted a copy of the last: the earlier ones kept their fits.
    kept = fqi.averaged_estimators_
    assert [[len(model.fits_) for model in models] for models in kept] == [
        [1, 1],
        [2, 2],
        [3, 3],
    ]


def test_a_regressor_without_warm_start_is_cloned_for_each_iteration():
    X, y = chain_transitions()
    fqi = FittedQIteration(
        RecordingRegressor(warm_start=False), max_iter=3, average=3
    ).fit(X, y)
    models = [model for iteration in fqi.averaged_estimators_ for model in iteration]
    assert len({id(model) for model in models}) == 6
    assert all(len(model.fits_) == 1 for model in models)
    # A clone keeps the parameters, so it fits as the refitted model would.
    tree = DecisionTreeRegressor(max_depth=2, random_state=0)
    cloned = FittedQIteration(tree, max_iter=3).fit(X, y)
    np.testing.assert_array_equal(cloned.q_values(X), fqi_by_hand(tree, X, y, 3))


def test_default_estimator_is_a_warm_started_ensemble():
    from skfa.neural_network import MLPEnsemble

    X, y = chain_transitions()
    fqi = FittedQIteration(max_iter=2, random_state=0)
    assert fqi.get_params()["estimator"] is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to warn about per iteration
        fqi.fit(X, y, sample_weight=np.ones(len(X)))
    assert fqi.action_encoding_ == "per_action" and len(fqi.estimators_) == 2
    ensemble = fqi.estimators_[0]
    assert isinstance(ensemble, MLPEnsemble) and ensemble.warm_start
    # Warm-started: the second iteration continued the first one's steps.
    assert ensemble.n_steps_ == 2 * ensemble.n_steps
    assert fqi.get_params()["estimator"] is None
    assert fqi.q_values(X).dtype == np.float64
    assert np.isfinite(fqi.q_values(X)).all()


def test_the_default_written_out_fits_the_same_model():
    X, y = make_car_on_hill_transitions(n_episodes=5, random_state=0)
    implicit = FittedQIteration(max_iter=3, random_state=0).fit(X, y)
    explicit = FittedQIteration(default_q_regressor(), max_iter=3, random_state=0)
    explicit.fit(X, y)
    np.testing.assert_array_equal(implicit.q_values(X), explicit.q_values(X))
    for a, b in zip(implicit.estimators_, explicit.estimators_, strict=True):
        assert a.get_params() == b.get_params()


def test_pipeline_receives_sample_weight_in_its_last_step():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = chain_transitions()
    weights = np.arange(1.0, len(X) + 1)
    fqi = FittedQIteration(
        make_pipeline(StandardScaler(), RecordingRegressor()), max_iter=2
    ).fit(X, y, weights)
    received = fqi.estimators_[1][-1].fits_[-1][2]
    np.testing.assert_array_equal(received, weights[y["action"] == 1])


# --------------------------------------------------------- sklearn integration
def test_grid_search_over_estimator_params_and_gamma_grouped_by_episode(car_data):
    X, y = car_data
    search = GridSearchCV(
        FittedQIteration(small_trees(), max_iter=3, random_state=0),
        {"estimator__min_samples_leaf": [1, 20], "gamma": [0.9, 0.95]},
        cv=GroupKFold(n_splits=3),
    ).fit(X, y, groups=y["episode"])
    assert search.best_params_["gamma"] in (0.9, 0.95)
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (4,) and np.isfinite(scores).all() and (scores < 0).all()
    assert search.best_estimator_.n_features_in_ == 2
    assert set(search.predict(X)) <= {0, 1}


def test_cross_val_score_ranks_by_td_error(car_data):
    X, y = car_data
    scores = cross_val_score(
        FittedQIteration(small_trees(), max_iter=3, random_state=0),
        X,
        y,
        groups=y["episode"],
        cv=GroupKFold(n_splits=3),
    )
    assert scores.shape == (3,) and (scores < 0).all()


def test_clone_get_set_params_and_pickle(car_data):
    X, y = car_data
    fqi = FittedQIteration(small_trees(), gamma=0.9, max_iter=2, random_state=0)
    params = fqi.get_params()
    assert params["gamma"] == 0.9 and params["estimator__n_estimators"] == 5
    fqi.set_params(estimator__n_estimators=3, gamma=0.8)
    assert fqi.estimator.n_estimators == 3 and fqi.gamma == 0.8
    copy = clone(fqi)
    assert copy.get_params()["estimator__n_estimators"] == 3
    assert copy.estimator is not fqi.estimator
    fqi.fit(X, y)
    restored = pickle.loads(pickle.dumps(fqi))
    np.testing.assert_array_equal(restored.q_values(X), fqi.q_values(X))
    np.testing.assert_array_equal(restored.predict(X), fqi.predict(X))


def test_feature_names_with_dataframes(car_data):
    pd = pytest.importorskip("pandas")
    X, y = car_data
    frame = pd.DataFrame(X, columns=["position", "speed"])
    fqi = FittedQIteration(small_trees(), max_iter=2, random_state=0).fit(frame, y)
    np.testing.assert_array_equal(fqi.feature_names_in_, ["position", "speed"])
    assert fqi.n_features_in_ == 2
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        np.testing.assert_array_equal(fqi.predict(frame), fqi.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        fqi.predict(frame.rename(columns={"speed": "velocity"}))


def test_not_fitted_and_wrong_width_at_predict(car_data):
    X, y = car_data
    fqi = FittedQIteration(small_trees(), max_iter=2)
    for method in (fqi.predict, fqi.q_values):
        with pytest.raises(NotFittedError):
            method(X)
    fqi.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        fqi.predict(X[:, :1])
    with pytest.raises(ValueError, match="features"):
        fqi.q_values(np.hstack([X, X]))


def test_tags_require_y():
    assert FittedQIteration().__sklearn_tags__().target_tags.required


# ------------------------------------------------------------------ bad input
def bad_inputs():
    X, y = chain_transitions()
    nan_rewards = y.copy()
    nan_rewards["reward"][3] = np.nan
    _, wide = pack_transitions(
        np.hstack([X, X]), y["action"], y["reward"], np.hstack([X, X]), y["terminal"]
    )
    return {
        "nan reward": (X, nan_rewards, "reward.* NaN"),
        "plain y": (X, y["reward"], "structured array"),
        "next_state width": (
            X,
            wide,
            "next_state has 10 features but the states have 5",
        ),
        "length": (X[:-1], y, "inconsistent numbers of samples"),
        "missing field": (
            X,
            y[["action", "reward", "next_state"]],
            "missing .*terminal",
        ),
    }


@pytest.mark.parametrize("case", list(bad_inputs()))
def test_bad_transitions_raise_value_error(case):
    X, y, message = bad_inputs()[case]
    with pytest.raises(ValueError, match=message):
        FittedQIteration(DecisionTreeRegressor()).fit(X, y)


@pytest.mark.parametrize(
    "params",
    [
        {"gamma": 1.0},
        {"gamma": -0.1},
        {"max_iter": 0},
        {"tol": -1.0},
        {"action_encoding": "table"},
        {"average": 0},
        {"average": "last"},
        {"n_runs": 0},
        {"n_runs": "many"},
        {"clip_targets": (1.0, -1.0)},
        {"clip_targets": ("a", "b")},
        {"estimator": "tree"},
    ],
)
def test_bad_parameters_raise_value_error(params):
    X, y = chain_transitions()
    with pytest.raises(ValueError):
        FittedQIteration(DecisionTreeRegressor()).set_params(**params).fit(X, y)


def test_score_rejects_unknown_actions():
    X, y = chain_transitions()
    fqi = FittedQIteration(DecisionTreeRegressor(), max_iter=2).fit(X, y)
    y_other = y.copy()
    y_other["action"][0] = 5
    with pytest.raises(ValueError, match=r"actions \[5\] never seen in fit"):
        fqi.score(X, y_other)


# ------------------------------------------------------------- car on the hill
def test_learns_a_car_on_hill_policy_better_than_fixed_ones():
    # A small version of the paper's experiment (the full one is in
    # benchmarks/bench_fqi.py): it beats both constant policies by a margin.
    X, y = make_car_on_hill_transitions(n_episodes=100, random_state=0)
    fqi = FittedQIteration(
        ExtraTreesRegressor(n_estimators=10, max_features=1.0),
        max_iter=20,
        random_state=0,
    ).fit(X, y)
    env = CarOnHill()
    constant = max(
        env.score_policy(lambda states, a=a: np.full(len(states), a)) for a in (0, 1)
    )
    assert env.score_policy(fqi) > constant + 0.05


class QuietCallback:
    """A scikit-learn callback whose hooks do nothing; tests override some."""

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        pass


def test_callbacks_nest_the_regressor_epochs_inside_iterations():
    callback = pytest.importorskip("sklearn.callback")
    from skfa import MLPApproximator
    from skfa.datasets import make_car_on_hill_transitions

    class Recorder(QuietCallback):
        """An auto-propagated callback that records the tasks that end."""

        max_propagation_depth = None

        def __init__(self):
            self.ended = []

        def on_fit_task_end(self, estimator, context):
            self.ended.append((type(estimator).__name__, context.task_name))

    recorder = Recorder()
    assert isinstance(recorder, callback.AutoPropagatedCallback)
    X, y = make_car_on_hill_transitions(20, random_state=0)
    model = MLPApproximator((4,), max_iter=2, random_state=0)
    FittedQIteration(model, max_iter=2).set_callbacks(recorder).fit(X, y)
    one_regressor = [("MLPApproximator", "epoch")] * 2 + [("MLPApproximator", "fit")]
    one_iteration = one_regressor * 2 + [("FittedQIteration", "iteration")]
    assert recorder.ended == one_iteration * 2 + [("FittedQIteration", "fit")]


def test_callbacks_get_the_averaged_model_as_of_each_iteration():
    pytest.importorskip("sklearn.callback")
    X, y = chain_transitions()
    tree = DecisionTreeRegressor(random_state=0)

    class QRecorder(QuietCallback):
        """Records the Q-values of the model as fit would leave it."""

        def __init__(self):
            self.q = []

        def on_fit_task_end(self, estimator, context, *, fitted_estimator):
            if context.task_name == "iteration":
                self.q.append(fitted_estimator.q_values(X))

    recorder = QRecorder()
    fqi = FittedQIteration(tree, gamma=0.9, max_iter=5, average=3)
    fqi.set_callbacks(recorder).fit(X, y)
    np.testing.assert_allclose(recorder.q[-1], fqi.q_values(X))
    stopped = FittedQIteration(tree, gamma=0.9, max_iter=2, average=3).fit(X, y)
    np.testing.assert_allclose(recorder.q[1], stopped.q_values(X))


def test_parallel_fits_leave_the_warning_filters_as_they_were():
    # Before Python 3.14 the filters are one list for all threads, and each
    # task of scikit-learn's Parallel (the trees' own, inside our threads)
    # replaces and restores it; unguarded, two threads at once left it
    # changed (a ComplexWarning "error" filter of a task stayed in force).
    X, y = make_car_on_hill_transitions(100, random_state=0)
    trees = ExtraTreesRegressor(n_estimators=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        before = list(warnings.filters)
        for _ in range(3):
            FittedQIteration(trees, max_iter=10, n_jobs=2, random_state=0).fit(X, y)
        assert warnings.filters == before
