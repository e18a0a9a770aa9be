"""MLPApproximator(loss='poisson'): the Poisson deviance with a log link.

The network's raw output z is the log of the predicted mean; ``predict``
returns exp(z). With no hidden layer (or one identity unit) the model is
Poisson regression, which scikit-learn's PoissonRegressor solves by its own
means: the two must agree.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import PoissonRegressor
from sklearn.metrics import mean_poisson_deviance
from sklearn.neural_network import MLPRegressor
from test_gradients import assert_gradients_match, numerical_gradients

from skfa import MLPApproximator, TrainingDivergedError
from skfa.neural_network._losses import LOSSES
from skfa.neural_network._network import make_mlp

GLM_SETTINGS = {
    "loss": "poisson",
    "hidden_layer_sizes": (1,),
    "activation": "identity",
    "alpha": 0.0,
    "solver": "lbfgs",
    "tol": 1e-7,
}


def count_data(n_samples=150, seed=0):
    """Counts whose log-mean is linear in two features, zeros included."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n_samples, 2))
    y = rng.poisson(np.exp(0.8 * X[:, 0] - 1.2 * X[:, 1] + 0.5)).astype(float)
    return X, y


def fit_quietly(model, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(*args, **kwargs)


def raw_output(model, X):
    """The network's last layer, from coefs_ and intercepts_ alone (relu)."""
    hidden = X
    for W, b in zip(model.coefs_[:-1], model.intercepts_[:-1]):
        hidden = np.maximum(hidden @ W + b, 0)
    return hidden @ model.coefs_[-1] + model.intercepts_[-1]


# ----------------------------------------------------------------- the loss


@pytest.mark.parametrize("weighted", [False, True])
def test_loss_is_the_mean_poisson_deviance(weighted):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(12, 2))
    y = rng.poisson(3.0, size=(12, 2)).astype(float)
    y[:3, 0] = 0.0  # 0 log 0 = 0
    weights = rng.uniform(0.2, 3.0, size=12) if weighted else None
    expected = sum(
        mean_poisson_deviance(y[:, k], np.exp(z[:, k]), sample_weight=weights)
        for k in range(2)
    )
    loss = LOSSES["poisson"]()
    assert loss.value(z, y, weights) == pytest.approx(expected, rel=1e-12)
    # Zero at the targets, where they are positive.
    assert loss.value(np.log(y[3:]), y[3:]) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_loss_gradient_matches_finite_differences(weighted):
    rng = np.random.default_rng(1)
    z = rng.normal(size=(7, 3))
    y = rng.poisson(2.0, size=(7, 3)).astype(float)
    weights = rng.uniform(0.2, 3.0, size=7) if weighted else None
    loss = LOSSES["poisson"]()
    _, gradient = loss.value_and_gradient(z, y, weights)
    (numeric,) = numerical_gradients(lambda: loss.value(z, y, weights), [z])
    np.testing.assert_allclose(gradient, numeric, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("weighted", [False, True])
def test_network_gradients_with_poisson_loss(weighted):
    rng = np.random.RandomState(2)
    X = rng.normal(size=(9, 3))
    y = rng.poisson(2.0, size=(9, 2)).astype(float)
    weights = rng.uniform(0.2, 3.0, size=9) if weighted else None
    network = make_mlp(3, (5, 4), 2, ["tanh", "softplus"], rng, np.float64)
    assert_gradients_match(network, X, y, LOSSES["poisson"](), weights, 0.2)


def test_only_poisson_has_a_link():
    z = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_array_equal(LOSSES["squared_error"].inverse_link(z), z)
    np.testing.assert_array_equal(LOSSES["huber"].inverse_link(z), z)
    np.testing.assert_array_equal(LOSSES["poisson"].inverse_link(z), np.exp(z))


# ------------------------------------------------- known answers: the GLM


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("weighted", [False, True])
def test_one_identity_unit_is_poisson_regression(seed, weighted):
    X, y = count_data(seed=seed)
    weights = np.random.default_rng(seed).uniform(0.5, 2, size=len(y))
    weights = weights if weighted else None
    glm = PoissonRegressor(alpha=0, tol=1e-7).fit(X, y, sample_weight=weights)
    model = MLPApproximator(**GLM_SETTINGS, random_state=seed).fit(X, y, weights)
    np.testing.assert_allclose(model.predict(X), glm.predict(X), rtol=1e-4)


@pytest.mark.parametrize("weighted", [False, True])
def test_linear_network_objective_is_twice_poisson_regressors(weighted):
    """No hidden layer and α > 0: J is twice PoissonRegressor's with α / Σw."""
    X, y = count_data(seed=2)
    weights = np.random.default_rng(2).uniform(0.5, 3, size=len(y))
    weights = weights if weighted else np.ones(len(y))
    alpha, total = 6.0, weights.sum()
    glm = PoissonRegressor(
        alpha=alpha / total, solver="newton-cholesky", tol=1e-12, max_iter=1000
    ).fit(X, y, sample_weight=weights)
    model = MLPApproximator(
        hidden_layer_sizes=(),
        loss="poisson",
        alpha=alpha,
        solver="lbfgs",
        tol=1e-10,
        random_state=0,
    ).fit(X, y, weights)
    # L-BFGS-B also stops when J changes by less than a relative 2.2e-9, which
    # leaves the coefficients accurate to about its square root.
    np.testing.assert_allclose(model.coefs_[0].ravel(), glm.coef_, rtol=1e-4)
    np.testing.assert_allclose(model.intercepts_[0], [glm.intercept_], rtol=1e-4)
    glm_deviance = mean_poisson_deviance(y, glm.predict(X), sample_weight=weights)
    glm_objective = glm_deviance + alpha / total * np.sum(glm.coef_**2)
    assert model.loss_ == pytest.approx(glm_objective, rel=1e-8)


def test_loss_and_penalty_are_twice_mlpregressors():
    """The same alpha is the same penalty; loss_ is the deviance, not half."""
    X, y = count_data(seed=3)
    # With identity units the predictions at the optimum are unique, however
    # the two networks were initialised.
    settings = {
        "hidden_layer_sizes": (3,),
        "activation": "identity",
        "alpha": 0.5,
        "solver": "lbfgs",
        "tol": 1e-9,
        "max_iter": 2000,
        "random_state": 0,
    }
    theirs = MLPRegressor(loss="poisson", **settings).fit(X, y)
    ours = MLPApproximator(loss="poisson", **settings).fit(X, y)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-6)
    assert ours.loss_ == pytest.approx(2 * theirs.loss_, rel=1e-8)


# ------------------------------------------------------------- predictions


def test_predictions_are_exp_of_the_raw_output():
    X, y = count_data(seed=4)
    Y = np.column_stack([y, 3 * y])
    model = MLPApproximator(
        hidden_layer_sizes=(8,), loss="poisson", max_iter=50, random_state=0
    )
    fit_quietly(model, X, Y)
    predicted = model.predict(X)
    assert predicted.shape == Y.shape
    assert (predicted > 0).all()
    np.testing.assert_allclose(predicted, np.exp(raw_output(model, X)), rtol=1e-12)
    # The squared error has no link: the same weights predict the raw output.
    model.set_params(loss="squared_error")
    np.testing.assert_allclose(model.predict(X), raw_output(model, X), rtol=1e-12)


def test_negative_targets_are_refused():
    X, y = count_data(seed=5)
    y_negative = y.copy()
    y_negative[7] = -1.0
    model = MLPApproximator(loss="poisson", max_iter=5, random_state=0)
    message = "Some value\\(s\\) of y are negative.*Poisson"
    with pytest.raises(ValueError, match=message):
        model.fit(X, y_negative)
    with pytest.raises(ValueError, match=message):
        model.partial_fit(X, y_negative)
    with pytest.raises(ValueError, match=message):
        fit_quietly(model, X, y, X_val=X[:20], y_val=y_negative[:20])
    # Zeros are counts like any other; the squared error takes negative targets.
    y_zero = np.where(y > 0, y, 0.0)
    assert fit_quietly(model, X, y_zero).n_iter_ == 5
    assert fit_quietly(model.set_params(loss="squared_error"), X, y_negative)


def test_integer_weights_equal_repeated_rows():
    """The same J at every step, so L-BFGS takes the same steps."""
    X, y = count_data(n_samples=60, seed=6)
    counts = np.random.default_rng(6).integers(0, 4, size=60)
    settings = {
        "hidden_layer_sizes": (4,),
        "activation": "tanh",
        "alpha": 0.1,
        "solver": "lbfgs",
        # Few iterations: a nonconvex fit run to its end would magnify
        # rounding differences between the two sums.
        "max_iter": 10,
        "loss": "poisson",
        "random_state": 0,
    }
    weighted = fit_quietly(MLPApproximator(**settings), X, y, sample_weight=counts)
    repeated = fit_quietly(
        MLPApproximator(**settings), np.repeat(X, counts, axis=0), np.repeat(y, counts)
    )
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-7)
    assert weighted.loss_curve_ == pytest.approx(repeated.loss_curve_, rel=1e-10)


# ------------------------------------------- every solver, dtype, continuing


@pytest.mark.parametrize(
    "solver, learning_rate_init",
    [("sgd", 0.02), ("rmsprop", 0.003), ("adam", 0.01)],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_minibatch_solvers_reach_the_glms_deviance(solver, learning_rate_init, dtype):
    X, y = count_data(seed=7)
    glm = PoissonRegressor(alpha=0, tol=1e-7).fit(X, y)
    best = mean_poisson_deviance(y, glm.predict(X))
    settings = {**GLM_SETTINGS, "tol": 1e-5, "solver": solver}
    model = MLPApproximator(
        **settings,
        learning_rate_init=learning_rate_init,
        batch_size=32,
        max_iter=300,
        random_state=0,
    )
    fit_quietly(model, X.astype(dtype), y)
    predicted = model.predict(X.astype(dtype))
    assert predicted.dtype == dtype
    # The GLM's is the lowest deviance this model can reach.
    assert mean_poisson_deviance(y, predicted) < 1.01 * best


def test_float32_lbfgs_agrees_with_float64():
    X, y = count_data(seed=8)
    double = MLPApproximator(**GLM_SETTINGS, random_state=0).fit(X, y)
    single = fit_quietly(
        MLPApproximator(**GLM_SETTINGS, random_state=0), X.astype(np.float32), y
    )
    assert single.predict(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(
        single.predict(X.astype(np.float32)), double.predict(X), rtol=1e-3
    )


def test_partial_fit_calls_equal_one_fit():
    X, y = count_data(seed=9)
    settings = {"hidden_layer_sizes": (6,), "loss": "poisson", "random_state": 0}
    streamed = MLPApproximator(**settings, learning_rate_init=0.01)
    for _ in range(4):
        streamed.partial_fit(X, y)
    fitted = MLPApproximator(
        **settings, learning_rate_init=0.01, max_iter=4, n_iter_no_change=np.inf
    ).fit(X, y)
    np.testing.assert_allclose(streamed.predict(X), fitted.predict(X), rtol=1e-12)
    assert streamed.loss_curve_ == pytest.approx(fitted.loss_curve_, rel=1e-12)
    assert streamed.loss_curve_[-1] < streamed.loss_curve_[0]


def test_warm_start_continues_to_the_glm():
    X, y = count_data(seed=10)
    glm = PoissonRegressor(alpha=0, tol=1e-7).fit(X, y)
    model = MLPApproximator(**GLM_SETTINGS, max_iter=2, random_state=0)
    fit_quietly(model, X, y)
    assert not np.allclose(model.predict(X), glm.predict(X), rtol=1e-2)
    model.set_params(warm_start=True, max_iter=200).fit(X, y)
    np.testing.assert_allclose(model.predict(X), glm.predict(X), rtol=1e-4)
    assert len(model.loss_curve_) == 2 + model.n_iter_


# -------------------------------------------------------------- divergence


def test_overflowing_minibatch_training_raises_and_keeps_finite_weights():
    X, y = count_data(seed=11)
    model = MLPApproximator(
        hidden_layer_sizes=(8,),
        loss="poisson",
        solver="sgd",
        learning_rate_init=5.0,
        random_state=0,
    )
    with pytest.raises(TrainingDivergedError, match="the loss reached inf"):
        model.fit(X, y)
    assert np.isfinite(model._network.flat_params).all()
    # The weights kept are finite, but so large after one epoch at this rate
    # that exp of the output may overflow: infinite means, never NaN.
    with np.errstate(over="ignore"):
        assert not np.isnan(model.predict(X)).any()


def test_overflowing_lbfgs_raises_and_keeps_the_starting_weights():
    X, y = count_data(seed=12)
    model = MLPApproximator(loss="poisson", solver="lbfgs", random_state=0)
    model.set_params(max_iter=1)
    fit_quietly(model, X, y)
    before = model._network.snapshot()
    # Inputs of a million make exp(z) overflow at once.
    with pytest.raises(TrainingDivergedError, match="L-BFGS reached a loss of"):
        model.set_params(warm_start=True, max_iter=50).fit(1e6 * X, y)
    for kept, saved in zip(model._network.snapshot(), before):
        np.testing.assert_array_equal(kept, saved)
