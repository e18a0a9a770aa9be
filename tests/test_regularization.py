"""Dropout, normalization, residual connections, schedules and clipping."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone

from skfa import MLPApproximator
from skfa.neural_network._schedules import LearningRateSchedule

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

OPTIONS = [
    {"dropout": 0.2},
    {"normalization": "batch"},
    {"normalization": "layer"},
    {"skip_connections": True},
    {"skip_connections": True, "normalization": "layer", "dropout": 0.1},
    {"activation": ["tanh", "relu"]},
    {"learning_rate": "cosine", "warmup_epochs": 1},
    {"learning_rate": "invscaling", "solver": "sgd", "learning_rate_init": 0.05},
    {"learning_rate": "adaptive"},
    {"max_grad_norm": 1.0},
]


def option_id(options):
    return "-".join(f"{k}={v}" for k, v in options.items())


def smooth_2d(n_samples, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.5, 1.5, size=(n_samples, 2))
    return X, np.sin(3 * X[:, 0]) * np.cos(3 * X[:, 1])


def test_residual_connections_make_a_deep_tanh_network_trainable():
    """The lecture's point: depth alone stalls; skips and normalization train."""
    X, y = smooth_2d(2000, seed=0)
    X_test, y_test = smooth_2d(1000, seed=1)
    settings = dict(
        hidden_layer_sizes=(32,) * 12,
        activation="tanh",
        solver="sgd",
        learning_rate_init=0.01,
        batch_size=64,
        max_iter=40,
        random_state=0,
    )
    plain = MLPApproximator(**settings).fit(X, y)
    residual = MLPApproximator(
        skip_connections=True, normalization="layer", **settings
    ).fit(X, y)
    assert plain.score(X_test, y_test) < 0.8
    assert residual.score(X_test, y_test) > 0.95


def test_l2_raises_held_out_score_of_an_oversized_network():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(30, 1))
    y = np.sin(2 * np.pi * X[:, 0]) + 0.3 * rng.normal(size=30)
    X_test = np.linspace(0, 1, 500)[:, None]
    y_test = np.sin(2 * np.pi * X_test[:, 0])
    settings = dict(
        hidden_layer_sizes=(128, 128),
        max_iter=600,
        learning_rate_init=0.01,
        batch_size=30,
        tol=0,
        n_iter_no_change=np.inf,
    )
    scores = {}
    for alpha in [0.0, 0.3]:
        scores[alpha] = np.mean(
            [
                MLPApproximator(alpha=alpha, random_state=seed, **settings)
                .fit(X, y)
                .score(X_test, y_test)
                for seed in range(2)
            ]
        )
    assert scores[0.3] > scores[0.0] + 0.03
    assert scores[0.3] > 0.93


@pytest.mark.parametrize("options", OPTIONS, ids=option_id)
def test_options_work_with_everything_else(options):
    """partial_fit, warm_start, early stopping, weights, float32, pickle, clone."""
    X, y = smooth_2d(300, seed=0)
    X = X.astype(np.float32)
    weights = np.random.default_rng(0).integers(1, 3, size=300)
    settings = {"hidden_layer_sizes": (16, 16), "max_iter": 5, "random_state": 0}
    model = MLPApproximator(early_stopping=True, **settings, **options)
    model.fit(X, y, sample_weight=weights)
    assert all(w.dtype == np.float32 for w in model.coefs_)
    prediction = model.predict(X)
    assert prediction.dtype == np.float32 and np.isfinite(prediction).all()
    # Prediction is deterministic (no dropout, running statistics of batch norm)
    # and each row's prediction depends on that row only.
    np.testing.assert_array_equal(model.predict(X), prediction)
    np.testing.assert_allclose(model.predict(X[:1]), prediction[:1], rtol=1e-6)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), prediction)
    # partial_fit refuses early_stopping=True (it has nothing to hold out).
    restored.set_params(early_stopping=False).partial_fit(X, y, sample_weight=weights)
    assert restored.n_iter_ == model.n_iter_ + 1
    model.set_params(warm_start=True, early_stopping=False)
    n_before = len(model.loss_curve_)
    model.fit(X, y)
    # n_iter_ counts this fit's epochs (as in MLPRegressor); the record goes on.
    assert model.n_iter_ == 5
    assert len(model.loss_curve_) == n_before + 5
    assert clone(model).get_params() == model.get_params()


@pytest.mark.parametrize("options", OPTIONS[:5], ids=option_id)
def test_integer_weights_equal_repeated_rows(options):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(25, 2))
    y = X[:, 0] * X[:, 1]
    weights = rng.integers(0, 3, size=25)
    settings = dict(
        hidden_layer_sizes=(6, 6),
        max_iter=10,
        batch_size=100,
        shuffle=False,
        random_state=0,
    )
    weighted = MLPApproximator(**settings, **options).fit(X, y, sample_weight=weights)
    repeated = MLPApproximator(**settings, **options).fit(
        np.repeat(X, weights, axis=0), np.repeat(y, weights)
    )
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-7)


def test_schedules():
    constant = LearningRateSchedule("constant", 0.1)
    assert constant.rate(0) == constant.rate(1000) == 0.1
    inverse = LearningRateSchedule("invscaling", 0.1, power_t=0.5)
    assert inverse.rate(3) == pytest.approx(0.1 / 2)
    cosine = LearningRateSchedule("cosine", 0.1, total_steps=100)
    assert cosine.rate(0) == pytest.approx(0.1)
    assert cosine.rate(50) == pytest.approx(0.05)
    assert cosine.rate(100) == pytest.approx(0.0, abs=1e-15)
    warm = LearningRateSchedule("constant", 0.1, warmup_steps=4)
    assert [warm.rate(t) for t in range(5)] == pytest.approx(
        [0.025, 0.05, 0.075, 0.1, 0.1]
    )
    adaptive = LearningRateSchedule("adaptive", 1e-5)
    assert adaptive.on_plateau() and adaptive.rate(7) == pytest.approx(2e-6)
    assert adaptive.on_plateau() and adaptive.rate(7) == pytest.approx(4e-7)
    assert not adaptive.on_plateau()
    assert not constant.on_plateau()
    with pytest.raises(ValueError, match="Unknown schedule"):
        LearningRateSchedule("step", 0.1)


@pytest.mark.parametrize("kind", ["constant", "invscaling", "adaptive", "cosine"])
def test_schedule_rates_are_python_floats(kind):
    # A NumPy float64 rate would make float32 training compute its updates in
    # float64 and cast back, which took float32 epochs several percent longer.
    schedule = LearningRateSchedule(kind, 0.1, total_steps=10, warmup_steps=3)
    assert all(type(schedule.rate(step)) is float for step in range(12))


def test_adaptive_schedule_lowers_the_rate_instead_of_stopping(capsys):
    X, y = smooth_2d(200, seed=0)
    settings = dict(
        hidden_layer_sizes=(8,),
        tol=10.0,
        n_iter_no_change=2,
        max_iter=12,
        random_state=0,
    )
    constant = MLPApproximator(**settings).fit(X, y)
    adaptive = MLPApproximator(learning_rate="adaptive", verbose=1, **settings)
    adaptive.fit(X, y)
    assert constant.n_iter_ == 3
    assert adaptive.n_iter_ == 12
    assert "Learning rate lowered to 0.0002" in capsys.readouterr().out


def test_gradient_clipping_bounds_every_step():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3))
    y = 100 * X[:, 0]  # large targets, large gradients
    model = MLPApproximator(
        hidden_layer_sizes=(),
        solver="sgd",
        momentum=0.0,
        learning_rate_init=0.1,
        max_grad_norm=0.5,
        batch_size=64,
        max_iter=1,
        random_state=0,
    )
    model.partial_fit(X, y)
    before = np.concatenate([model.coefs_[0].ravel(), model.intercepts_[0]])
    model.partial_fit(X, y)
    after = np.concatenate([model.coefs_[0].ravel(), model.intercepts_[0]])
    np.testing.assert_allclose(np.linalg.norm(after - before), 0.1 * 0.5)


def test_cosine_schedule_reaches_zero_at_max_iter():
    X, y = smooth_2d(100, seed=0)
    model = MLPApproximator(
        hidden_layer_sizes=(4,),
        learning_rate="cosine",
        max_iter=3,
        batch_size=50,
        tol=0,
        n_iter_no_change=np.inf,
        random_state=0,
    ).fit(X, y)
    assert model._optimizer.n_steps == 6
    assert model._schedule.rate(6) == pytest.approx(0.0, abs=1e-15)


def test_weight_averaging_is_the_mean_of_the_last_epochs():
    # With a constant rate and a fixed seed, fitting for k epochs retraces the
    # first k epochs of a longer fit, so those fits give the weights after
    # epochs 1 to 5 of one run.
    X, y = smooth_2d(200, seed=0)
    settings = {"hidden_layer_sizes": (8,), "batch_size": 32, "random_state": 0}
    after_epoch = {
        k: MLPApproximator(max_iter=k, **settings).fit(X, y).coefs_ for k in range(1, 6)
    }

    def mean_of_epochs(epochs, layer):
        return sum(after_epoch[k][layer] for k in epochs) / len(epochs)

    averaged = MLPApproximator(max_iter=5, average=3, **settings).fit(X, y)
    for layer, coef in enumerate(averaged.coefs_):
        np.testing.assert_allclose(coef, mean_of_epochs([3, 4, 5], layer), rtol=1e-12)
    assert not np.allclose(averaged.coefs_[0], after_epoch[5][0])
    # A window longer than the fit averages over every epoch of it.
    everything = MLPApproximator(max_iter=2, average=10, **settings).fit(X, y)
    np.testing.assert_allclose(everything.coefs_[1], mean_of_epochs([1, 2], 1))
    # The window ends where a stopping rule ends the fit: here the loss cannot
    # improve by tol, so training stops after n_iter_no_change + 1 epochs.
    stopped = MLPApproximator(
        max_iter=50, average=2, tol=1e6, n_iter_no_change=3, **settings
    ).fit(X, y)
    assert stopped.n_iter_ == 4
    np.testing.assert_allclose(stopped.coefs_[0], mean_of_epochs([3, 4], 0))


def test_weight_averaging_leaves_partial_fit_alone_and_refuses_early_stopping():
    X, y = smooth_2d(100, seed=1)
    settings = {"hidden_layer_sizes": (8,), "random_state": 0}
    plain = MLPApproximator(**settings).partial_fit(X, y).partial_fit(X, y)
    averaged = (
        MLPApproximator(average=2, **settings).partial_fit(X, y).partial_fit(X, y)
    )
    np.testing.assert_array_equal(averaged.coefs_[0], plain.coefs_[0])
    with pytest.raises(ValueError, match="average=2 and early_stopping=True"):
        MLPApproximator(average=2, early_stopping=True, **settings).fit(X, y)
