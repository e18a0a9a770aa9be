"""MLPApproximator: learning, the training record, dtypes, weights and bad input."""

import pickle
import re
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neural_network import MLPRegressor

from skfa import MLPApproximator, TrainingDivergedError
from skfa.neural_network._network import make_mlp
from skfa.neural_network._optimizers import OPTIMIZERS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def noisy_sine(n_samples=2000, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, size=(n_samples, 1))
    y = np.sin(2 * np.pi * X[:, 0]) + noise * rng.normal(size=n_samples)
    return X, y


def test_default_stopping_fits_noisy_sine():
    """max_iter=300 and the default stopping rule must not stop too early."""
    X, y = noisy_sine()
    model = MLPApproximator(hidden_layer_sizes=(64, 64), max_iter=300, random_state=0)
    model.fit(X, y)
    assert model.score(X, y) > 0.97
    X_test = np.linspace(0, 1, 201)[:, None]
    assert model.score(X_test, np.sin(2 * np.pi * X_test[:, 0])) > 0.99


def test_friedman1_matches_or_beats_scikit_learn():
    X, y = make_friedman1(n_samples=2000, noise=1.0, random_state=0)
    cv = KFold(5, shuffle=True, random_state=0)
    settings = dict(
        hidden_layer_sizes=(64, 64),
        solver="adam",
        max_iter=200,
        learning_rate_init=0.001,
        random_state=0,
    )
    ours = cross_val_score(MLPApproximator(**settings), X, y, cv=cv).mean()
    theirs = cross_val_score(MLPRegressor(**settings), X, y, cv=cv).mean()
    assert ours > theirs - 0.02
    assert ours > 0.85


def test_linear_network_is_ridge_regression():
    """No hidden layers and full-batch descent converge to Ridge's solution."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 3))
    y = X @ [1.5, -2.0, 0.5] + 0.3 + 0.1 * rng.normal(size=50)
    model = MLPApproximator(
        hidden_layer_sizes=(),
        alpha=5.0,
        solver="sgd",
        learning_rate_init=0.05,
        batch_size=50,
        max_iter=3000,
        tol=0.0,
        n_iter_no_change=np.inf,
        shuffle=False,
        random_state=0,
    ).fit(X, y)
    ridge = Ridge(alpha=5.0).fit(X, y)
    np.testing.assert_allclose(model.coefs_[0].ravel(), ridge.coef_, atol=1e-8)
    np.testing.assert_allclose(model.intercepts_[0], ridge.intercept_, atol=1e-8)


def test_house_prices_with_sgd_diverge_with_advice():
    """The lecture's unscaled house sizes: SGD at learning rate 1.0 must blow up."""
    rng = np.random.default_rng(0)
    X = rng.uniform(500, 2500, size=(200, 1))
    y = 100 * X[:, 0] + 20_000 + rng.normal(scale=5_000, size=200)
    model = MLPApproximator(
        hidden_layer_sizes=(), solver="sgd", learning_rate_init=1.0, random_state=0
    )
    with pytest.raises(TrainingDivergedError, match=r"epoch \d+.*learning_rate_init"):
        model.fit(X, y)
    assert isinstance(TrainingDivergedError("x"), ValueError)
    # The estimator keeps the last finite weights, never NaN ones.
    assert all(np.isfinite(w).all() for w in model.coefs_ + model.intercepts_)
    assert np.isfinite(model.predict(X)).all()


def test_divergence_in_a_later_epoch_keeps_the_previous_epoch():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 2))
    y = X.sum(axis=1)
    model = MLPApproximator(
        hidden_layer_sizes=(8,),
        solver="sgd",
        momentum=0.0,
        learning_rate_init=0.3,
        max_iter=5,
        random_state=0,
        batch_size=100,
        shuffle=False,
    )
    model.fit(X, y)  # stable
    before = [w.copy() for w in model.coefs_]
    model.set_params(warm_start=True, learning_rate_init=1e6)
    with pytest.raises(TrainingDivergedError, match=r"epoch \d+") as error:
        model.fit(X, y)
    epoch = int(re.search(r"epoch (\d+)", str(error.value)).group(1))
    assert epoch > 5  # the epochs of the first fit were counted
    assert len(model.loss_curve_) == epoch - 1
    assert all(np.isfinite(w).all() for w in model.coefs_ + model.intercepts_)
    assert not np.array_equal(before[0], model.coefs_[0]) or epoch == 6


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    X, y = noisy_sine(200)
    model = MLPApproximator(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    model.fit(X.astype(dtype), y.astype(dtype))
    assert all(w.dtype == dtype for w in model.coefs_ + model.intercepts_)
    assert model.predict(X.astype(dtype)).dtype == dtype


def test_float32_training_reaches_float64_loss():
    X, y = noisy_sine(1000)
    settings = dict(hidden_layer_sizes=(32, 32), max_iter=100, random_state=0)
    loss64 = MLPApproximator(**settings).fit(X, y).loss_curve_[-1]
    loss32 = MLPApproximator(**settings).fit(X.astype(np.float32), y).loss_curve_[-1]
    assert abs(loss32 - loss64) <= 0.01 * loss64


def test_multi_output():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(400, 2))
    Y = np.column_stack([X[:, 0] * X[:, 1], np.cos(2 * X[:, 0]), X[:, 1]])
    model = MLPApproximator(
        hidden_layer_sizes=(32,), max_iter=300, random_state=0, learning_rate_init=0.01
    ).fit(X, Y)
    assert model.n_outputs_ == 3
    assert model.predict(X).shape == (400, 3)
    assert model.score(X, Y) > 0.9


def test_integer_sample_weights_equal_repeated_rows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    y = np.tanh(X[:, 0]) + X[:, 1] ** 2
    weights = rng.integers(0, 4, size=30)
    settings = dict(
        hidden_layer_sizes=(6,),
        max_iter=20,
        batch_size=500,
        shuffle=False,
        random_state=0,
        alpha=0.5,
    )
    weighted = MLPApproximator(**settings).fit(X, y, sample_weight=weights)
    repeated = MLPApproximator(**settings).fit(
        np.repeat(X, weights, axis=0), np.repeat(y, weights)
    )
    for a, b in zip(weighted.coefs_, repeated.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-10)


def test_partial_fit_continues_weights_and_optimizer_state():
    X, y = noisy_sine(300)
    settings = dict(hidden_layer_sizes=(8,), shuffle=False, random_state=0)
    fitted = MLPApproximator(max_iter=3, **settings).fit(X, y)
    streamed = MLPApproximator(**settings)
    for _ in range(3):
        streamed.partial_fit(X, y)
    assert streamed.n_iter_ == 3
    assert streamed.t_ == 900
    np.testing.assert_allclose(streamed.loss_curve_, fitted.loss_curve_, rtol=1e-12)
    for a, b in zip(streamed.coefs_, fitted.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_warm_start_continues_from_current_weights():
    X, y = noisy_sine(300)
    model = MLPApproximator(
        hidden_layer_sizes=(8,),
        max_iter=2,
        shuffle=False,
        random_state=0,
        warm_start=True,
    ).fit(X, y)
    first = model.loss_curve_[-1]
    before = [w.copy() for w in model.coefs_]
    model.fit(X, y)
    assert model.n_iter_ == 2  # this fit's epochs, as in MLPRegressor
    assert len(model.loss_curve_) == 4
    assert model.loss_curve_[2] < first  # continued, not restarted
    assert not np.array_equal(before[0], model.coefs_[0])
    cold = MLPApproximator(
        hidden_layer_sizes=(8,), max_iter=2, shuffle=False, random_state=0
    ).fit(X, y)
    assert cold.n_iter_ == 2


def test_early_stopping_restores_the_best_weights():
    X, y = noisy_sine(600, noise=0.3)
    X_val, y_val = noisy_sine(300, noise=0.3, seed=1)
    model = MLPApproximator(
        hidden_layer_sizes=(64, 64),
        early_stopping=True,
        n_iter_no_change=5,
        max_iter=200,
        random_state=0,
        learning_rate_init=0.01,
    )
    model.fit(X, y, X_val=X_val, y_val=y_val)
    assert model.best_loss_ is None
    assert len(model.validation_scores_) == model.n_iter_
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert model.score(X_val, y_val) == pytest.approx(model.best_validation_score_)


def test_early_stopping_on_a_held_out_fraction():
    X, y = noisy_sine(500)
    model = MLPApproximator(
        hidden_layer_sizes=(16,),
        early_stopping=True,
        validation_fraction=0.2,
        max_iter=30,
        random_state=0,
    )
    model.fit(X, y)
    assert len(model.validation_scores_) == model.n_iter_
    assert model.t_ == 400 * model.n_iter_


@pytest.mark.parametrize("seed", range(5))
def test_the_held_out_fraction_is_spread_over_the_data(seed):
    # Not one edge of it: a validation set beyond the training data measures
    # extrapolation, and stops training for the wrong reason.
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, size=(2000, 2))
    y = X.sum(axis=1)
    model = MLPApproximator(early_stopping=True, validation_fraction=0.2)
    model._random_state = np.random.RandomState(seed)
    X_train, _, _, (X_val, _, _) = model._split_validation(X, y[:, None], None)
    assert len(X_val) == pytest.approx(400, abs=2)
    for column in range(2):  # each quarter of each input holds about a fifth
        counts = np.histogram(X_val[:, column], bins=4, range=(0, 1))[0]
        np.testing.assert_allclose(counts / len(X_val), 0.25, atol=0.06)


def test_stops_when_the_loss_stops_improving():
    X, y = noisy_sine(200)
    model = MLPApproximator(
        hidden_layer_sizes=(4,),
        tol=10.0,
        n_iter_no_change=3,
        max_iter=100,
        random_state=0,
    ).fit(X, y)
    assert model.n_iter_ == 4
    assert model.best_loss_ == min(model.loss_curve_)


def test_max_iter_warns():
    X, y = noisy_sine(100)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        MLPApproximator(hidden_layer_sizes=(4,), max_iter=2).fit(X, y)


def test_verbose_prints_one_line_per_epoch(capsys):
    X, y = noisy_sine(100)
    X_val, y_val = noisy_sine(50, seed=1)
    MLPApproximator(hidden_layer_sizes=(4,), max_iter=3, verbose=1, random_state=0).fit(
        X, y, X_val=X_val, y_val=y_val
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert re.match(r"Epoch 1: loss = \S+, validation R² = \S+, \d+\.\d+ s", lines[0])


def test_same_seed_same_model_and_global_seed_untouched():
    X, y = noisy_sine(200)
    state = np.random.get_state()[1].copy()  # noqa: NPY002 (checking it is untouched)
    a = MLPApproximator(hidden_layer_sizes=(8,), max_iter=3, random_state=7).fit(X, y)
    b = MLPApproximator(hidden_layer_sizes=(8,), max_iter=3, random_state=7).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_pickle_and_clone():
    X, y = noisy_sine(200)
    model = MLPApproximator(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    model.fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    restored.partial_fit(X, y)  # the live arrays survive pickling
    assert restored.coefs_[0] is restored._network.layers[0].weights
    assert clone(model).get_params() == model.get_params()


def test_per_layer_activations():
    X, y = noisy_sine(300)
    model = MLPApproximator(
        hidden_layer_sizes=(8, 8),
        activation=["tanh", "relu"],
        max_iter=5,
        random_state=0,
    ).fit(X, y)
    names = [layer.activation.name for layer in model._network.layers[1::2]]
    assert names == ["tanh", "relu"]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"activation": ["tanh"]}, "one activation per hidden layer"),
        ({"activation": ["tanh", "swish"]}, "Unknown activation"),
        ({"hidden_layer_sizes": (4, 0)}, "hidden_layer_sizes"),
        ({"solver": "newton"}, "solver"),
        ({"learning_rate_init": 0.0}, "learning_rate_init"),
        ({"loss": "poisson"}, "loss"),
    ],
)
def test_invalid_parameters(params, message):
    X, y = noisy_sine(50)
    model = MLPApproximator(**{"hidden_layer_sizes": (4, 4), **params})
    with pytest.raises(ValueError, match=message):
        model.fit(X, y)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_input_is_rejected(bad):
    X, y = noisy_sine(50)
    X_bad = X.copy()
    X_bad[3, 0] = bad
    y_bad = y.copy()
    y_bad[7] = bad
    model = MLPApproximator(hidden_layer_sizes=(4,), max_iter=2)
    with pytest.raises(ValueError, match="(NaN|infinity)"):
        model.fit(X_bad, y)
    with pytest.raises(ValueError, match="(NaN|infinity)"):
        model.fit(X, y_bad)


def test_other_bad_input():
    X, y = noisy_sine(50)
    model = MLPApproximator(hidden_layer_sizes=(4,), max_iter=2)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        model.fit(X, y[:-1])
    with pytest.raises(ValueError, match="(?i)sample.weight"):
        model.fit(X, y, sample_weight=np.zeros(50))
    with pytest.raises(ValueError, match="X_val and y_val"):
        model.fit(X, y, X_val=X)
    model.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(np.hstack([X, X]))
    with pytest.raises(ValueError, match="outputs"):
        model.partial_fit(X, np.column_stack([y, y]))


def test_scikit_learn_callbacks_see_every_epoch():
    callback = pytest.importorskip("sklearn.callback")
    X, y = noisy_sine(300)
    monitor = callback.ScoringMonitor(scoring="r2")
    model = MLPApproximator(hidden_layer_sizes=(8,), max_iter=6, random_state=0)
    model.set_callbacks(monitor).fit(X, y)
    scores = [entry["r2"] for entry in monitor.get_logs().data]
    assert len(scores) == model.n_iter_ == 6
    assert scores[-1] == pytest.approx(model.score(X, y))
    assert scores[-1] > scores[0]  # the copies were taken epoch by epoch


def test_an_integer_hidden_layer_size_is_one_layer():
    """hidden_layer_sizes=7 is (7,), as in MLPRegressor."""
    X, y = noisy_sine(200)
    settings = dict(max_iter=3, random_state=0)
    as_int = MLPApproximator(hidden_layer_sizes=7, **settings).fit(X, y)
    as_tuple = MLPApproximator(hidden_layer_sizes=(7,), **settings).fit(X, y)
    assert [w.shape for w in as_int.coefs_] == [(1, 7), (7, 1)]
    np.testing.assert_array_equal(as_int.predict(X), as_tuple.predict(X))


def test_n_iter_counts_the_epochs_of_the_last_fit_and_the_warning_agrees():
    """As in MLPRegressor, n_iter_ == max_iter says that max_iter ended the fit."""
    X, y = noisy_sine(100)
    model = MLPApproximator(
        hidden_layer_sizes=(4,), max_iter=3, tol=0.0, warm_start=True, random_state=0
    )
    for fit_number in (1, 2):
        with pytest.warns(ConvergenceWarning, match=r"max_iter=3 epochs \(n_iter_=3\)"):
            model.fit(X, y)
        assert model.n_iter_ == model.max_iter
        assert len(model.loss_curve_) == 3 * fit_number
        assert model.t_ == 300 * fit_number
    model.partial_fit(X, y)  # one more epoch
    assert model.n_iter_ == 4
    assert len(model.loss_curve_) == 7


def test_partial_fit_refuses_early_stopping():
    """As in MLPRegressor: one epoch on a chunk has nothing to hold out."""
    X, y = noisy_sine(100)
    model = MLPApproximator(hidden_layer_sizes=(4,), early_stopping=True)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        model.partial_fit(X, y)
    assert not hasattr(model, "coefs_")
    model.set_params(early_stopping=False).partial_fit(X, y)
    assert model.n_iter_ == 1


def test_no_convergence_warning_for_a_fixed_number_of_epochs():
    X, y = noisy_sine(100)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = MLPApproximator(
            hidden_layer_sizes=(4,), max_iter=3, n_iter_no_change=np.inf
        ).fit(X, y)
        model.set_params(warm_start=True, early_stopping=True).fit(X, y)
    assert model.n_iter_ == 3


@pytest.mark.parametrize("activation", ["relu", "tanh", "elu", "logistic"])
def test_every_layer_is_drawn_with_glorots_bound(activation):
    network = make_mlp(
        10, [300, 200], 1, [activation] * 2, np.random.RandomState(0), np.float64
    )
    for layer in network.dense_layers():
        fan_in, fan_out = layer.weights.shape
        bound = np.sqrt(6 / (fan_in + fan_out))
        assert np.abs(layer.weights).max() <= bound
        assert np.abs(layer.bias).max() <= bound
        if layer.weights.size >= 1000:  # not the output layer's 200
            # The variance of the uniform distribution on [-r, r] is r² / 3.
            assert layer.weights.var() == pytest.approx(bound**2 / 3, rel=0.1)


EXPECTED_OPTIMIZER_SETTINGS = {
    "sgd": {"momentum": 0.5, "nesterov": False},
    "rmsprop": {"rho": 0.8, "epsilon": 1e-6},
    "adam": {"beta_1": 0.7, "beta_2": 0.99, "epsilon": 1e-6},
}


@pytest.mark.parametrize("solver", sorted(OPTIMIZERS))
def test_each_solver_name_builds_its_optimizer_through_the_registry(solver):
    X, y = noisy_sine(50)
    model = MLPApproximator(
        hidden_layer_sizes=(3,),
        solver=solver,
        learning_rate_init=0.02,
        momentum=0.5,
        nesterovs_momentum=False,
        rho=0.8,
        beta_1=0.7,
        beta_2=0.99,
        epsilon=1e-6,
    ).partial_fit(X, y)
    optimizer = model._optimizer
    assert type(optimizer) is OPTIMIZERS[solver]
    assert optimizer.learning_rate == 0.02
    assert set(optimizer.hyperparameters) <= set(model.get_params())
    for name, value in EXPECTED_OPTIMIZER_SETTINGS[solver].items():
        assert getattr(optimizer, name) == value
