"""Scaling out and out of core: pickles, a real Dask cluster, memory-mapped data.

- Every fitted estimator pickles small (no training data, no scratch buffers)
  and predicts identically after unpickling.
- ``GridSearchCV`` under ``joblib.parallel_backend("dask")`` on a two-worker
  ``LocalCluster`` finds the best parameters and scores of the local run.
- ``partial_fit_chunks`` streams memory maps and Dask arrays chunk by chunk;
  ten million memory-mapped rows fit with a few MB of memory and give the
  coefficients of an in-memory fit.
"""

import pickle
import tracemalloc
import warnings

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, GroupKFold, KFold
from sklearn.tree import DecisionTreeRegressor

from skfa import LinearFeatureRegressor, MLPApproximator, SineFeatures
from skfa.datasets import make_car_on_hill_transitions
from skfa.rl import FittedQIteration
from skfa.utils import iter_row_chunks, partial_fit_chunks

# The car on the hill's states lie in [-1, 1] x [-3, 3] (terminal next states
# slightly beyond; the features clip them).
CAR_BOUNDS = ([-1.0, -3.0], [1.0, 3.0])


def smooth_regression(n_samples, n_features=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, size=(n_samples, n_features))
    y = np.sin(2 * np.pi * X[:, 0]) + X.sum(axis=1) ** 2
    return X, y + 0.05 * rng.standard_normal(n_samples)


def save_and_map(tmp_path, name, array):
    """Write ``array`` to ``tmp_path/name.npy`` and reopen it as a read-only map."""
    path = tmp_path / f"{name}.npy"
    np.save(path, array)
    return np.load(path, mmap_mode="r")


# -------------------------------------------------------------------- pickles
def fitted_mlp(n_samples):
    X, y = smooth_regression(n_samples)
    model = MLPApproximator(
        hidden_layer_sizes=(16, 16), max_iter=3, batch_size=100, random_state=0
    )
    return model.fit(X, y), X


def fitted_mlp_partial(n_samples):
    X, y = smooth_regression(n_samples)
    model = MLPApproximator(hidden_layer_sizes=(16, 16), batch_size=100, random_state=0)
    return partial_fit_chunks(model, X, y, chunk_size=max(n_samples // 4, 1)), X


def fitted_linear(n_samples):
    X, y = smooth_regression(n_samples)
    return LinearFeatureRegressor(n_basis=6, coupling="full").fit(X, y), X


def fitted_linear_adam(n_samples):
    X, y = smooth_regression(n_samples)
    model = LinearFeatureRegressor(n_basis=6, solver="adam", max_iter=3, random_state=0)
    return model.fit(X, y), X


def fitted_sine_features(n_samples):
    X, _ = smooth_regression(n_samples)
    return SineFeatures(n_basis=6, coupling="full").fit(X), X


def fitted_fqi(n_samples):
    # About 63 transitions per episode.
    X, y = make_car_on_hill_transitions(max(n_samples // 63, 1), random_state=0)
    model = FittedQIteration(
        LinearFeatureRegressor(n_basis=4, coupling="full", input_bounds=CAR_BOUNDS),
        max_iter=3,
        random_state=0,
    )
    return model.fit(X, y), X


def fitted_fqi_mlp(n_samples):
    X, y = make_car_on_hill_transitions(max(n_samples // 63, 1), random_state=0)
    mlp = MLPApproximator(hidden_layer_sizes=(16,), max_iter=2, warm_start=True)
    return FittedQIteration(mlp, max_iter=2, random_state=0).fit(X, y), X


def outputs(model, X):
    if hasattr(model, "transform"):
        return model.transform(X)
    if isinstance(model, FittedQIteration):
        return model.q_values(X)
    return model.predict(X)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "make_fitted",
    [
        fitted_mlp,
        fitted_mlp_partial,
        fitted_linear,
        fitted_linear_adam,
        fitted_sine_features,
        fitted_fqi,
        fitted_fqi_mlp,
    ],
)
def test_pickle_is_small_and_predicts_identically(make_fitted):
    small, _ = make_fitted(500)
    large, X_large = make_fitted(50_000)
    sizes = [len(pickle.dumps(model)) for model in (small, large)]
    # What a fitted model stores must not grow with the data: no copies of X,
    # no cached feature matrices, no per-sample buffers.
    assert abs(sizes[1] - sizes[0]) <= 0.01 * sizes[0] + 64, sizes
    assert sizes[1] < X_large.nbytes / 5, (sizes, X_large.nbytes)

    restored = pickle.loads(pickle.dumps(large))
    np.testing.assert_array_equal(outputs(restored, X_large), outputs(large, X_large))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_mlp_pickle_holds_parameters_and_adam_state_only():
    X, y = smooth_regression(2_000)
    model = MLPApproximator(
        hidden_layer_sizes=(64, 64), max_iter=3, batch_size=100, random_state=0
    ).fit(X, y)
    param_bytes = sum(a.nbytes for a in model.coefs_ + model.intercepts_)
    # The weights, Adam's two moments per weight and the random generator's
    # state (about 5 kB); no gradients, no optimizer scratch buffers (with
    # the gradients it was 4.2 times the weights).
    assert len(pickle.dumps(model)) <= 3.3 * param_bytes + 8_000
    # The restored optimizer carries on exactly where the original would.
    restored = pickle.loads(pickle.dumps(model))
    X_chunk, y_chunk = smooth_regression(300, seed=1)
    model.partial_fit(X_chunk, y_chunk)
    restored.partial_fit(X_chunk, y_chunk)
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


# ------------------------------------------------------- chunks from any array
def test_iter_row_chunks_slices_rows_together():
    X, y = np.arange(20).reshape(10, 2), np.arange(10)
    chunks = list(iter_row_chunks(X, y, None, chunk_size=4))
    assert [len(c[0]) for c in chunks] == [4, 4, 2]
    assert all(c[2] is None for c in chunks)
    np.testing.assert_array_equal(np.concatenate([c[1] for c in chunks]), y)
    reordered = list(iter_row_chunks(y, chunk_size=4, order=[2, 0, 1]))
    assert [c[0][0] for c in reordered] == [8, 0, 4]


@pytest.mark.parametrize(
    "arrays, message",
    [
        ((np.zeros((3, 1)), np.zeros(4)), "different numbers of rows"),
        ((np.zeros((3, 1)),), "chunk_size"),
    ],
)
def test_iter_row_chunks_rejects_bad_input(arrays, message):
    chunk_size = 0 if message == "chunk_size" else 2
    with pytest.raises(ValueError, match=message):
        list(iter_row_chunks(*arrays, chunk_size=chunk_size))


def test_partial_fit_chunks_needs_partial_fit():
    with pytest.raises(TypeError, match="no partial_fit"):
        partial_fit_chunks(DecisionTreeRegressor(), np.zeros((2, 1)), np.zeros(2))


def test_linear_from_memmap_with_weights_equals_fit(tmp_path):
    X, y = smooth_regression(5_000)
    weights = np.random.default_rng(1).uniform(0, 2, size=len(y))
    streamed = partial_fit_chunks(
        LinearFeatureRegressor(n_basis=8, input_bounds=(0, 1)),
        save_and_map(tmp_path, "X", X),
        save_and_map(tmp_path, "y", y),
        sample_weight=save_and_map(tmp_path, "w", weights),
        chunk_size=777,
    )
    batch = LinearFeatureRegressor(n_basis=8, input_bounds=(0, 1))
    batch.fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(streamed.coef_, batch.coef_, rtol=1e-9)
    np.testing.assert_allclose(streamed.intercept_, batch.intercept_, rtol=1e-9)


def test_mlp_partial_fit_from_memmap_equals_in_memory(tmp_path):
    X, y = smooth_regression(2_000)

    def stream(X, y):
        model = MLPApproximator(hidden_layer_sizes=(8,), random_state=0)
        return partial_fit_chunks(
            model, X, y, chunk_size=500, n_epochs=3, shuffle=True, random_state=0
        )

    from_memory = stream(X, y)
    from_disk = stream(save_and_map(tmp_path, "X", X), save_and_map(tmp_path, "y", y))
    assert from_memory.n_iter_ == 12  # 3 epochs of 4 chunks
    for a, b in zip(from_disk.coefs_, from_memory.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_linear_from_ten_million_memmapped_rows(tmp_path):
    """10M rows on disk (80 MB of X, 80 MB of y); features never held whole.

    n_basis=20 gives 21 features, a feature matrix of 10M x 21 x 8 B = 1.68 GB;
    the streamed fit peaks at a few MB and takes a couple of seconds.
    """
    n_samples, chunk = 10_000_000, 1_000_000
    X = np.lib.format.open_memmap(
        tmp_path / "X.npy", mode="w+", dtype=np.float64, shape=(n_samples, 1)
    )
    y = np.lib.format.open_memmap(
        tmp_path / "y.npy", mode="w+", dtype=np.float64, shape=(n_samples,)
    )
    rng = np.random.default_rng(0)
    for start in range(0, n_samples, chunk):
        x = rng.uniform(0, 1, size=chunk)
        X[start : start + chunk, 0] = x
        y[start : start + chunk] = (
            np.sin(2 * np.pi * x) + x**2 + 0.1 * rng.standard_normal(chunk)
        )
    X.flush()
    y.flush()
    del X, y
    X = np.load(tmp_path / "X.npy", mmap_mode="r")
    y = np.load(tmp_path / "y.npy", mmap_mode="r")

    model = LinearFeatureRegressor(n_basis=20, input_bounds=(0, 1))
    tracemalloc.start()
    try:
        partial_fit_chunks(model, X, y, chunk_size=100_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    feature_matrix_bytes = n_samples * model.n_output_features_ * 8
    assert model.n_samples_seen_ == n_samples
    assert peak < 32e6  # measured 2.6 MB
    assert peak < feature_matrix_bytes / 50

    in_memory = LinearFeatureRegressor(n_basis=20, input_bounds=(0, 1))
    in_memory.fit(np.array(X), np.array(y))
    np.testing.assert_allclose(model.coef_, in_memory.coef_, rtol=1e-6)
    np.testing.assert_allclose(model.intercept_, in_memory.intercept_, rtol=1e-6)


def test_fqi_accepts_read_only_memmapped_transitions(tmp_path):
    X, y = make_car_on_hill_transitions(n_episodes=40, random_state=0)
    X_map, y_map = save_and_map(tmp_path, "X", X), save_and_map(tmp_path, "y", y)
    assert not X_map.flags.writeable and not y_map.flags.writeable

    def fqi():
        return FittedQIteration(
            LinearFeatureRegressor(n_basis=3, coupling="full", input_bounds=CAR_BOUNDS),
            max_iter=4,
        )

    from_disk, from_memory = fqi().fit(X_map, y_map), fqi().fit(X, y)
    np.testing.assert_array_equal(from_disk.q_values(X), from_memory.q_values(X))
    assert from_disk.score(X_map, y_map) == from_memory.score(X, y)


# ----------------------------------------------------------------- Dask arrays
def test_partial_fit_chunks_computes_dask_arrays_chunk_by_chunk():
    da = pytest.importorskip("dask.array")
    n_samples, chunk_size = 40_000, 6_000
    inputs = np.random.default_rng(0).uniform(0, 1, size=(n_samples, 1))
    X = da.from_array(inputs, chunks=(3_000, 1))
    y = da.sin(2 * np.pi * X[:, 0]) + X[:, 0] ** 2

    seen = []

    class Recorder(LinearFeatureRegressor):
        def partial_fit(self, X, y, sample_weight=None):
            seen.append((type(X), type(y), len(X)))
            return super().partial_fit(X, y, sample_weight)

    streamed = partial_fit_chunks(
        Recorder(n_basis=10, input_bounds=(0, 1)), X, y, chunk_size=chunk_size
    )
    assert all(x is np.ndarray and t is np.ndarray for x, t, _ in seen)
    assert [n for *_, n in seen] == [chunk_size] * 6 + [4_000]

    X_all, y_all = da.compute(X, y)
    batch = LinearFeatureRegressor(n_basis=10, input_bounds=(0, 1)).fit(X_all, y_all)
    # Noise-free targets: the high-frequency coefficients are tiny, so compare
    # them on the scale of the large ones.
    np.testing.assert_allclose(streamed.coef_, batch.coef_, rtol=1e-9, atol=1e-12)


def test_mlp_partial_fit_from_dask_equals_in_memory():
    da = pytest.importorskip("dask.array")
    X, y = smooth_regression(2_000)

    def stream(X, y):
        model = MLPApproximator(hidden_layer_sizes=(8,), random_state=0)
        return partial_fit_chunks(model, X, y, chunk_size=500, n_epochs=2)

    lazy = stream(da.from_array(X, chunks=(250, 2)), da.from_array(y, chunks=250))
    for a, b in zip(lazy.coefs_, stream(X, y).coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_partial_fit_chunks_rejects_unknown_dask_chunk_sizes():
    da = pytest.importorskip("dask.array")
    X = da.from_array(np.arange(10.0).reshape(5, 2), chunks=2)
    X = X[X[:, 0] > 2]  # filtering leaves the row count unknown
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        partial_fit_chunks(LinearFeatureRegressor(input_bounds=(0, 10)), X, None)


# ------------------------------------------------- a real Dask cluster (2 workers)
@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def grid_search_both_ways(search, X, y, **fit_params):
    """The fitted search run locally (n_jobs=1) and under the Dask backend."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        local = clone(search).fit(X, y, **fit_params)
        with joblib.parallel_backend("dask"):
            on_cluster = clone(search).fit(X, y, **fit_params)
    return local, on_cluster


def assert_same_search(local, on_cluster):
    assert on_cluster.best_params_ == local.best_params_
    # Bit-for-bit equality is not guaranteed: the workers' BLAS runs one thread
    # and the local one may run several, which sums in another order.
    np.testing.assert_allclose(
        on_cluster.cv_results_["mean_test_score"],
        local.cv_results_["mean_test_score"],
        rtol=1e-9,
    )
    np.testing.assert_allclose(on_cluster.best_score_, local.best_score_, rtol=1e-9)


def test_grid_search_mlp_on_dask_cluster_equals_local(dask_client):
    X, y = smooth_regression(600)
    search = GridSearchCV(
        MLPApproximator(hidden_layer_sizes=(8,), max_iter=15, random_state=0),
        {"alpha": [1e-4, 1e-1], "learning_rate_init": [1e-3, 1e-2]},
        cv=KFold(3, shuffle=True, random_state=0),
    )
    local, on_cluster = grid_search_both_ways(search, X, y)
    assert_same_search(local, on_cluster)
    np.testing.assert_allclose(
        on_cluster.predict(X), local.predict(X), rtol=1e-9, atol=1e-12
    )


def test_grid_search_fqi_on_dask_cluster_equals_local(dask_client):
    X, y = make_car_on_hill_transitions(n_episodes=100, random_state=0)
    search = GridSearchCV(
        FittedQIteration(DecisionTreeRegressor(), max_iter=4, random_state=0),
        {"estimator__min_samples_leaf": [1, 10, 50], "gamma": [0.9, 0.95]},
        cv=GroupKFold(n_splits=3),
    )
    local, on_cluster = grid_search_both_ways(search, X, y, groups=y["episode"])
    assert_same_search(local, on_cluster)
    np.testing.assert_array_equal(on_cluster.predict(X), local.predict(X))


def test_fqi_per_action_fits_run_on_dask_cluster(dask_client):
    X, y = make_car_on_hill_transitions(n_episodes=50, random_state=0)
    fqi = FittedQIteration(DecisionTreeRegressor(), max_iter=3, random_state=0)
    local = fqi.fit(X, y).q_values(X)
    with joblib.parallel_backend("dask"):
        on_cluster = fqi.set_params(n_jobs=-1).fit(X, y).q_values(X)
    np.testing.assert_array_equal(on_cluster, local)
