"""A saved and loaded MLPApproximator keeps training exactly as the original.

joblib stores every array of a pickle on its own, so a loaded network whose
layers and flat parameter buffer were tied by object identity would come back
untied: the optimizer would update the buffer and the forward pass read stale
arrays. These tests train the original and its copy side by side and compare
the weights bit for bit.
"""

import io
import pickle
import warnings

import joblib
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skfa import MLPApproximator

OPTIONS = {
    "plain": {},
    "dropout": {"dropout": 0.2},
    "batch-norm": {"normalization": "batch"},
    "layer-norm": {"normalization": "layer"},
    "skip": {"skip_connections": True, "hidden_layer_sizes": (6, 4)},
    "skip+batch-norm": {"skip_connections": True, "normalization": "batch"},
    "average": {"average": 3},
    "sgd": {"solver": "sgd"},
    "rmsprop": {"solver": "rmsprop"},
}


def joblib_round_trip(model):
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


def pickle_round_trip(model):
    return pickle.loads(pickle.dumps(model))


def weights(model):
    return [*model.coefs_, *model.intercepts_, model._network.flat_params]


def assert_same_weights(model, other):
    for a, b in zip(weights(model), weights(other), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(120, 3))
    y = np.sin(3 * X[:, 0]) + X[:, 1] * X[:, 2]
    return X, y


def fitted(options, X, y, dtype):
    params = {"hidden_layer_sizes": (6,), "max_iter": 4, "batch_size": 32}
    model = MLPApproximator(**{**params, **options}, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X.astype(dtype), y)


@pytest.mark.parametrize("round_trip", [joblib_round_trip, pickle_round_trip])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
def test_ten_partial_fits_after_loading_equal_ten_without(
    round_trip, dtype, options, data
):
    X, y = data
    X = X.astype(dtype)
    model = fitted(options, X, y, dtype)
    loaded = round_trip(model)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    before = model.predict(X)
    for _ in range(10):
        model.partial_fit(X, y)
        loaded.partial_fit(X, y)
    assert not np.array_equal(model.predict(X), before)  # training did move it
    assert_same_weights(model, loaded)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.coefs_[0].dtype == dtype


@pytest.mark.parametrize("round_trip", [joblib_round_trip, pickle_round_trip])
@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
def test_warm_start_fit_after_loading_equals_one_without(round_trip, options, data):
    X, y = data
    model = fitted(options, X, y, np.float64).set_params(warm_start=True)
    loaded = round_trip(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
        loaded.fit(X, y)
    assert_same_weights(model, loaded)
    assert loaded.loss_curve_ == model.loss_curve_


def test_the_exposed_coefficients_are_the_trained_arrays_after_loading(data):
    X, y = data
    loaded = joblib_round_trip(fitted({}, X, y, np.float64))
    buffer = loaded._network.flat_params
    assert all(np.shares_memory(w, buffer) for w in loaded.coefs_)
    assert all(np.shares_memory(b, buffer) for b in loaded.intercepts_)
    # Setting the weights through coefs_ changes the predictions.
    loaded.coefs_[-1][...] = 0
    loaded.intercepts_[-1][...] = 2.5
    np.testing.assert_array_equal(loaded.predict(X), np.full(len(X), 2.5))


@pytest.mark.parametrize("round_trip", [joblib_round_trip, pickle_round_trip])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lbfgs_warm_start_after_loading_equals_one_without(round_trip, dtype, data):
    """lbfgs has no partial_fit: a warm-started fit continues instead."""
    X, y = data
    X = X.astype(dtype)
    model = fitted({"solver": "lbfgs"}, X, y, dtype).set_params(warm_start=True)
    loaded = round_trip(model)
    before = model.predict(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
        loaded.fit(X, y)
    assert not np.array_equal(model.predict(X), before)  # training did move it
    assert_same_weights(model, loaded)
    assert loaded.loss_curve_ == model.loss_curve_
    assert loaded.coefs_[0].dtype == dtype
