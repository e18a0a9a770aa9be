"""MLPEnsemble: stacked members, their gradients, warm starts and persistence."""

import io
import pickle

import joblib
import numpy as np
import pytest

from skfa.neural_network import MLPEnsemble
from skfa.neural_network._activations import ACTIVATIONS
from skfa.neural_network._ensemble import make_stacked_mlp


def data(n=300, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    return X, np.sin(3 * X[:, 0]) + X[:, 1] ** 2


def member_forward(network, j, X):
    """Member ``j`` of a stacked network, computed as a plain MLP."""
    h = X
    dense = [layer for layer in network.layers if hasattr(layer, "weights")]
    for depth, layer in enumerate(dense):
        h = h @ layer.weights[j] + layer.bias[j]
        if depth < len(dense) - 1:
            h = np.tanh(h)
    return h


def test_each_member_is_its_own_plain_network():
    rng = np.random.RandomState(0)
    network = make_stacked_mlp(3, [5, 4], 2, 4, "tanh", rng, np.float64)
    X = rng.normal(size=(7, 3))
    out = network.forward(X)
    assert out.shape == (4, 7, 2)
    for j in range(4):
        np.testing.assert_allclose(out[j], member_forward(network, j, X), rtol=1e-12)


def test_gradients_match_central_differences_member_by_member():
    rng = np.random.RandomState(1)
    network = make_stacked_mlp(2, [4, 3], 1, 3, "tanh", rng, np.float64)
    X = rng.normal(size=(3, 6, 2))  # each member its own rows
    y = rng.normal(size=(3, 6, 1))

    def loss():
        return 0.5 * np.sum((network.forward(X, training=True) - y) ** 2)

    residual = network.forward(X, training=True) - y
    network.backward(residual)
    analytic = network.flat_grads.copy()
    numeric = np.empty_like(analytic)
    for index in range(network.flat_params.size):
        original = network.flat_params[index]
        network.flat_params[index] = original + 1e-6
        plus = loss()
        network.flat_params[index] = original - 1e-6
        minus = loss()
        network.flat_params[index] = original
        numeric[index] = (plus - minus) / 2e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def test_a_members_loss_moves_only_its_own_weights():
    rng = np.random.RandomState(2)
    network = make_stacked_mlp(2, [4], 1, 3, "tanh", rng, np.float64)
    X, y = rng.normal(size=(3, 5, 2)), rng.normal(size=(3, 5, 1))
    residual = network.forward(X, training=True) - y
    residual[[0, 2]] = 0  # only member 1 has an error
    network.backward(residual)
    for layer in network.layers:
        for grad in getattr(layer, "grads", ()):
            assert not grad[[0, 2]].any() and grad[1].any()


def test_predict_is_the_members_mean_and_std_their_spread():
    X, y = data()
    model = MLPEnsemble((16,), n_members=4, n_steps=50, random_state=0).fit(X, y)
    members = (
        np.stack(
            [
                member_forward(model._network, j, (X - model.x_mean_) / model.x_scale_)
                for j in range(4)
            ]
        )[..., 0]
        * model.y_scale_[0]
        + model.y_mean_[0]
    )
    mean, std = model.predict(X, return_std=True)
    np.testing.assert_allclose(mean, members.mean(axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(std, members.std(axis=0), rtol=1e-4, atol=1e-6)
    # One row at a time (the stacked shortcut) gives the same numbers.
    one_by_one = np.array([model.predict(X[i : i + 1])[0] for i in range(10)])
    np.testing.assert_allclose(one_by_one, mean[:10], rtol=1e-6)


def test_fits_and_spreads_where_the_data_end():
    X, y = data(400)
    model = MLPEnsemble(
        (32, 32), n_steps=1500, learning_rate_init=0.003, random_state=0
    )
    model.fit(X, y)
    assert model.score(X, y) > 0.99
    _, std = model.predict(np.array([[0.0, 0.0], [6.0, -6.0]]), return_std=True)
    assert std[1] > 10 * std[0]


def test_warm_start_rescales_the_last_layer_to_keep_the_predictions():
    X, y = data()
    model = MLPEnsemble((8,), n_steps=30, warm_start=True, random_state=0).fit(X, y)
    before = model.predict(X)
    model._standardize_targets((100 * y + 7)[:, None], None, rescale=True)
    np.testing.assert_allclose(model.predict(X), before, rtol=1e-5, atol=1e-5)
    assert model.y_scale_[0] == pytest.approx(100 * np.std(y))


def test_warm_start_continues_and_counts_steps():
    X, y = data()
    model = MLPEnsemble((8,), n_steps=30, warm_start=True, random_state=0)
    model.fit(X, y).fit(X, y)
    assert model.n_steps_ == 60 and len(model.loss_curve_) == 2
    once = MLPEnsemble((8,), n_steps=60, random_state=0).fit(X, y)
    # Same steps, same draws: only the target scaling (unchanged) is redone.
    np.testing.assert_allclose(model.predict(X), once.predict(X), rtol=1e-5)
    model.set_params(warm_start=False).fit(X, y)
    assert model.n_steps_ == 30


def test_rows_of_zero_weight_are_never_drawn():
    X, y = data()
    corrupted = y.copy()
    corrupted[::2] = 1e6
    weights = np.ones(len(y))
    weights[::2] = 0
    params = {"hidden_layer_sizes": (8,), "n_steps": 40, "random_state": 0}
    weighted = MLPEnsemble(**params).fit(X, corrupted, sample_weight=weights)
    clean = MLPEnsemble(**params).fit(X[1::2], y[1::2])
    assert weighted.y_mean_[0] == pytest.approx(clean.y_mean_[0])
    assert np.abs(weighted.predict(X)).max() < 10


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("serializer", ["joblib", "pickle"])
def test_a_loaded_ensemble_keeps_training_exactly(serializer, dtype):
    X, y = data()
    model = MLPEnsemble((8,), n_steps=20, warm_start=True, dtype=dtype, random_state=0)
    model.fit(X, y)
    if serializer == "joblib":
        buffer = io.BytesIO()
        joblib.dump(model, buffer)
        buffer.seek(0)
        loaded = joblib.load(buffer)
    else:
        loaded = pickle.loads(pickle.dumps(model))
    model.fit(X, y)
    loaded.fit(X, y)
    np.testing.assert_array_equal(
        loaded._network.flat_params, model._network.flat_params
    )
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert all(np.shares_memory(w, loaded._network.flat_params) for w in loaded.coefs_)


def test_bad_input():
    X, y = data()
    model = MLPEnsemble((8,), n_steps=5, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="y has 2 outputs"):
        model.fit(X, np.column_stack([y, y]))
    with pytest.raises(ValueError, match="n_members"):
        MLPEnsemble(n_members=0).fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        MLPEnsemble().fit(np.where(X > 0.9, np.nan, X), y)
    assert "tanh" in ACTIVATIONS
