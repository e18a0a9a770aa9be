"""MLPApproximator(solver='lbfgs'): L-BFGS-B on the whole data, on the same J."""

import re
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.utils import check_random_state

from skfa import MLPApproximator, TrainingDivergedError
from skfa.neural_network._mlp import MINIBATCH_ONLY_OPTIONS


def smooth_data(n_samples=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n_samples, 3))
    y = np.sin(3 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.05 * rng.normal(size=n_samples)
    return X, y


def fit_quietly(model, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(*args, **kwargs)


def objective_by_hand(model, X, y, sample_weight, alpha):
    """J of the class docstring, from predict and coefs_ alone."""
    residual = model.predict(X) - y
    weights = np.ones(len(y)) if sample_weight is None else sample_weight
    penalty = sum(np.sum(W**2) for W in model.coefs_)
    return (weights @ residual**2 + alpha * penalty) / weights.sum()


@pytest.mark.parametrize("weighted", [False, True])
def test_the_minimized_function_is_j_and_its_gradient(weighted):
    X, y = smooth_data(40)
    weights = np.random.default_rng(1).uniform(0.5, 2, size=40) if weighted else None
    alpha = 0.3
    model = MLPApproximator(
        hidden_layer_sizes=(5, 4), activation="tanh", alpha=alpha, solver="lbfgs"
    )
    fit_quietly(model.set_params(max_iter=3, random_state=0), X, y, weights)
    function = model._objective_and_gradient(X, y.reshape(-1, 1), weights)
    theta = model._network.flat_params.astype(np.float64)
    value, gradient = function(theta.copy())
    model._network.flat_params[...] = theta
    assert value == pytest.approx(objective_by_hand(model, X, y, weights, alpha))
    assert gradient.dtype == np.float64
    step = 1e-6
    for index in np.random.default_rng(0).choice(len(theta), 15, replace=False):
        shift = np.zeros_like(theta)
        shift[index] = step
        numeric = (function(theta + shift)[0] - function(theta - shift)[0]) / (2 * step)
        assert gradient[index] == pytest.approx(numeric, rel=1e-5, abs=1e-8)


def test_linear_network_reaches_ridge_regression():
    """No hidden layers: J is Ridge's objective over n, and L-BFGS solves it."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    y = X @ [1.5, -2.0, 0.5, 0.0] + 0.3 + 0.1 * rng.normal(size=60)
    model = MLPApproximator(
        hidden_layer_sizes=(), solver="lbfgs", alpha=5.0, tol=1e-10, random_state=0
    ).fit(X, y)
    ridge = Ridge(alpha=5.0).fit(X, y)
    # L-BFGS-B stops on a relative change of J of 2.2e-9 (its ftol) too.
    np.testing.assert_allclose(model.coefs_[0].ravel(), ridge.coef_, atol=2e-5)
    np.testing.assert_allclose(model.intercepts_[0], ridge.intercept_, atol=2e-5)
    assert model.n_iter_ == len(model.loss_curve_) > 0
    assert model.loss_ == model.best_loss_ == pytest.approx(model.loss_curve_[-1])


def test_integer_sample_weights_equal_repeated_rows():
    X, y = smooth_data(30)
    weights = np.random.default_rng(0).integers(0, 4, size=30)
    settings = dict(hidden_layer_sizes=(6,), solver="lbfgs", max_iter=30, alpha=0.5)
    weighted = fit_quietly(MLPApproximator(**settings, random_state=0), X, y, weights)
    repeated = fit_quietly(
        MLPApproximator(**settings, random_state=0),
        np.repeat(X, weights, axis=0),
        np.repeat(y, weights),
    )
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-7)
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-9)


def test_float32_keeps_its_dtype_and_reaches_the_float64_fit():
    X, y = smooth_data(300)
    settings = dict(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=150)
    model64 = fit_quietly(MLPApproximator(**settings, random_state=0), X, y)
    model32 = fit_quietly(
        MLPApproximator(**settings, random_state=0), X.astype(np.float32), y
    )
    assert all(a.dtype == np.float32 for a in model32.coefs_ + model32.intercepts_)
    assert model32.predict(X.astype(np.float32)).dtype == np.float32
    assert model32.score(X, y) == pytest.approx(model64.score(X, y), abs=0.01)
    assert model64.score(X, y) > 0.95


def test_max_iter_warns_like_scikit_learn_and_counts_iterations():
    X, y = smooth_data()
    model = MLPApproximator(hidden_layer_sizes=(20,), solver="lbfgs", max_iter=5)
    with pytest.warns(ConvergenceWarning, match=r"(?s)lbfgs failed.*max_iter=5\)"):
        model.fit(X, y)
    assert model.n_iter_ == 5 == len(model.loss_curve_)
    # L-BFGS-B never accepts a step that raises J.
    assert np.all(np.diff(model.loss_curve_) <= 0)


def test_max_fun_limits_the_evaluations_of_j():
    X, y = smooth_data()
    model = MLPApproximator(hidden_layer_sizes=(20,), solver="lbfgs", max_fun=7)
    calls = []
    original = model._objective_and_gradient

    def counting(*args):
        function = original(*args)
        return lambda theta: calls.append(1) or function(theta)

    model._objective_and_gradient = counting
    with pytest.warns(ConvergenceWarning, match="(?s)lbfgs.*EVALUATIONS EXCEEDS LIMIT"):
        model.fit(X, y)
    # SciPy checks the count after each iteration: its line search may go over.
    assert 7 <= len(calls) <= 7 + 20
    assert model.n_iter_ < len(calls)


def test_warm_start_continues_and_counts_this_fit():
    X, y = smooth_data()
    model = MLPApproximator(
        hidden_layer_sizes=(10,), solver="lbfgs", max_iter=10, warm_start=True
    )
    fit_quietly(model.set_params(random_state=0), X, y)
    first = model.loss_
    fit_quietly(model, X, y)
    assert model.n_iter_ == 10
    assert len(model.loss_curve_) == 20
    assert model.loss_ < first


def test_validation_data_are_scored_after_each_iteration():
    X, y = smooth_data(300)
    X_val, y_val = smooth_data(100, seed=1)
    model = fit_quietly(
        MLPApproximator(hidden_layer_sizes=(10,), solver="lbfgs", max_iter=20),
        X,
        y,
        X_val=X_val,
        y_val=y_val,
    )
    assert len(model.validation_scores_) == model.n_iter_ == 20
    assert model.validation_scores_[-1] == pytest.approx(model.score(X_val, y_val))


def test_verbose_prints_one_line_per_iteration(capsys):
    X, y = smooth_data()
    fit_quietly(
        MLPApproximator(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=3, verbose=1),
        X,
        y,
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert re.match(r"Iteration 1: loss = \S+, \d+\.\d+ s", lines[0])


@pytest.mark.parametrize(
    "name, value",
    [
        ("early_stopping", True),
        ("average", 3),
        ("dropout", 0.1),
        ("max_grad_norm", 1.0),
        ("warmup_epochs", 2),
        ("learning_rate", "cosine"),
        ("normalization", "batch"),
    ],
)
def test_options_of_minibatch_training_are_refused(name, value):
    X, y = smooth_data(50)
    model = MLPApproximator(solver="lbfgs", **{name: value})
    with pytest.raises(ValueError, match=rf"solver='lbfgs'.*{name}={value!r}"):
        model.fit(X, y)
    # Every option of the registry is in this test.
    assert name in MINIBATCH_ONLY_OPTIONS or name == "normalization"


def test_the_tested_options_are_the_whole_registry():
    tested = {"early_stopping", "average", "dropout", "max_grad_norm"}
    tested |= {"warmup_epochs", "learning_rate"}
    assert set(MINIBATCH_ONLY_OPTIONS) == tested


def test_layer_normalization_and_skip_connections_are_fine():
    X, y = smooth_data()
    model = fit_quietly(
        MLPApproximator(
            hidden_layer_sizes=(8, 8),
            normalization="layer",
            skip_connections=True,
            solver="lbfgs",
            max_iter=50,
            random_state=0,
        ),
        X,
        y,
    )
    assert model.score(X, y) > 0.9


def test_partial_fit_does_not_exist_for_lbfgs():
    model = MLPApproximator(solver="lbfgs")
    assert not hasattr(model, "partial_fit")
    with pytest.raises(AttributeError) as error:
        model.partial_fit  # noqa: B018 (the attribute access is the test)
    assert "partial_fit needs a minibatch solver" in str(error.value.__cause__)
    assert hasattr(model.set_params(solver="adam"), "partial_fit")


def test_divergence_keeps_the_weights_from_before_the_fit():
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    y = rng.standard_normal(size=10)
    model = MLPApproximator(hidden_layer_sizes=(3,), solver="lbfgs", random_state=0)
    with pytest.raises(TrainingDivergedError, match="L-BFGS.*StandardScaler"):
        model.fit(X, y)
    assert all(np.isfinite(w).all() for w in model.coefs_ + model.intercepts_)
    # The weights kept are the initial ones, drawn from the seed.
    bound = np.sqrt(6 / (2 + 3))
    expected = check_random_state(0).uniform(-bound, bound, size=(2, 3))
    np.testing.assert_array_equal(model.coefs_[0], expected)
