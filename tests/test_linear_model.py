"""Tests of SineFeatures and LinearFeatureRegressor against known answers."""

import itertools
import tracemalloc
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge

from skfa.linear_model import LinearFeatureRegressor, SineFeatures
from skfa.linear_model._iterative import TrainingCoordinates


def sine_matrix(x, n_basis, g=np.sin):
    """g(kπx), k = 1..n_basis, evaluated directly: the reference values."""
    return g(np.pi * np.outer(x, np.arange(1, n_basis + 1)))


@pytest.fixture
def unit_grid():
    return np.linspace(0.0, 1.0, 501).reshape(-1, 1)


# ------------------------------------------------------------------ the basis


def test_sine_basis_is_exactly_sin_k_pi_x(unit_grid):
    features = SineFeatures(n_basis=5, basis="sine").fit_transform(unit_grid)
    assert_allclose(features, sine_matrix(unit_grid[:, 0], 5), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("n_basis, atol", [(50, 1e-12), (200, 5e-12)])
def test_recurrence_stays_accurate_for_many_terms(n_basis, atol):
    # The recurrence's rounding error grows as k² (benchmarks/bench_basis.py).
    x = np.random.default_rng(0).uniform(0, 1, 2000)
    x[:2] = 0.0, 1.0
    features = SineFeatures(n_basis=n_basis, basis="fourier").fit_transform(
        x.reshape(-1, 1)
    )
    assert_allclose(features[:, :n_basis], sine_matrix(x, n_basis), atol=atol)
    assert_allclose(features[:, n_basis:], sine_matrix(x, n_basis, np.cos), atol=atol)


def test_default_basis_is_linear_then_sine(unit_grid):
    features = SineFeatures(n_basis=3).fit_transform(unit_grid)
    assert_array_equal(features[:, 0], unit_grid[:, 0])
    assert_allclose(features[:, 1:], sine_matrix(unit_grid[:, 0], 3), atol=1e-14)


def test_inputs_are_scaled_by_the_bounds():
    X = np.array([[-1.0, 10.0], [0.0, 15.0], [3.0, 20.0]])
    features = SineFeatures(n_basis=2, basis="cosine", input_bounds=([-1, 10], [3, 20]))
    unit = np.array([[0.0, 0.0], [0.25, 0.5], [1.0, 1.0]])
    expected = np.hstack([sine_matrix(unit[:, j], 2, np.cos) for j in range(2)])
    assert_allclose(features.fit_transform(X), expected, atol=1e-15)


def test_learned_bounds_and_constant_dimension():
    X = np.array([[2.0, 5.0], [4.0, 5.0], [3.0, 5.0]])
    features = SineFeatures(n_basis=1, basis="sine_linear").fit(X)
    assert_array_equal(features.low_, [2.0, 5.0])
    # The constant dimension gets a range of 1: x̃ = x - 5, clipped to [0, 1].
    assert_array_equal(features.high_, [4.0, 6.0])
    assert_allclose(features.transform([[3.0, 5.5]])[0, :2], [0.5, 0.5])


def test_out_of_bounds_clip_and_error():
    X = np.array([[-0.5], [0.5], [1.5]])
    clipped = SineFeatures(n_basis=2, input_bounds=(0, 1)).fit_transform(X)
    assert_allclose(
        clipped,
        SineFeatures(n_basis=2).fit([[0], [1]]).transform([[0.0], [0.5], [1.0]]),
    )
    strict = SineFeatures(n_basis=2, input_bounds=(0, 1), out_of_bounds="error")
    assert strict.fit_transform(X[1:2]).shape == (1, 3)
    with pytest.raises(ValueError, match="outside input_bounds in feature 0"):
        strict.transform(X)


def test_full_coupling_terms_and_names():
    X = np.random.default_rng(0).uniform(0, 1, (40, 2))
    features = SineFeatures(n_basis=2, basis="cosine", coupling="full").fit(X)
    expected = [c for c in itertools.product(range(3), repeat=2) if any(c)]
    assert_array_equal(features.frequencies_, expected)
    unit = (X - X.min(0)) / (X.max(0) - X.min(0))
    assert_allclose(
        features.transform(X), np.cos(np.pi * unit @ np.array(expected).T), atol=1e-14
    )
    names = features.get_feature_names_out(["a", "b"])
    assert list(names[:4]) == ["cos(pi*b)", "cos(pi*2*b)", "cos(pi*a)", "cos(pi*(a+b))"]
    assert names[-1] == "cos(pi*(2*a+2*b))"


def test_full_coupling_refuses_to_explode():
    with pytest.raises(ValueError, match=r"\(n_basis \+ 1\) \*\* n_features - 1"):
        SineFeatures(n_basis=9, coupling="full").fit(np.zeros((2, 4)))


def test_feature_names_with_dataframe():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"position": [0.0, 1.0], "velocity": [-1.0, 1.0]})
    names = SineFeatures(n_basis=2).fit(X).get_feature_names_out()
    assert list(names) == [
        "position",
        "velocity",
        "sin(pi*position)",
        "sin(pi*2*position)",
        "sin(pi*velocity)",
        "sin(pi*2*velocity)",
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transform_keeps_dtype(unit_grid, dtype):
    features = SineFeatures(n_basis=4).fit(unit_grid)
    out = features.transform(unit_grid.astype(dtype))
    assert out.dtype == dtype
    assert_allclose(out, features.transform(unit_grid), rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------- the regressor


def test_default_basis_fits_exp_on_unit_interval(unit_grid):
    y = np.exp(unit_grid[:, 0])
    model = LinearFeatureRegressor(n_basis=20).fit(unit_grid, y)
    assert np.abs(model.predict(unit_grid) - y).max() < 1e-2
    # The reason for the default: sine terms alone cannot follow eˣ to the ends.
    sine_only = LinearFeatureRegressor(n_basis=20, basis="sine").fit(unit_grid, y)
    assert np.abs(sine_only.predict(unit_grid) - y).max() > 0.5


def test_sine_basis_reproduces_a_sine(unit_grid):
    y = 2 * np.sin(3 * np.pi * unit_grid[:, 0])
    model = LinearFeatureRegressor(n_basis=20, basis="sine").fit(unit_grid, y)
    assert np.abs(model.predict(unit_grid) - y).max() < 1e-8
    assert_allclose(model.coef_, 2.0 * (np.arange(1, 21) == 3), atol=1e-8)
    assert model.solver_ == "cholesky"


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("solver", ["cholesky", "lstsq"])
def test_matches_ridge_on_explicit_features(fit_intercept, solver):
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 3, (300, 2))
    y = np.column_stack([np.sin(X[:, 0]) * X[:, 1], X[:, 0] ** 2])
    weights = rng.uniform(0.5, 2.0, 300)
    params = dict(n_basis=6, basis="fourier", alpha=0.3, fit_intercept=fit_intercept)
    features = SineFeatures(**{k: params[k] for k in ("n_basis", "basis")})
    ridge = Ridge(alpha=0.3, fit_intercept=fit_intercept, solver="cholesky").fit(
        features.fit_transform(X), y, sample_weight=weights
    )
    model = LinearFeatureRegressor(**params, solver=solver).fit(
        X, y, sample_weight=weights
    )
    assert_allclose(model.coef_, ridge.coef_, rtol=1e-8, atol=1e-10)
    assert_allclose(model.intercept_, ridge.intercept_, rtol=1e-8, atol=1e-10)
    assert_allclose(model.predict(X), ridge.predict(features.transform(X)), atol=1e-9)


def test_blocks_agree_with_lstsq_on_the_full_matrix():
    # 20,000 rows and 52 features make several blocks of the builder.
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 1, (20_000, 1))
    y = np.exp(X[:, 0]) + np.sin(7 * X[:, 0])
    model = LinearFeatureRegressor(n_basis=50, input_bounds=(0, 1)).fit(X, y)
    design = np.hstack([X, sine_matrix(X[:, 0], 50), np.ones_like(X)])
    expected, *_ = np.linalg.lstsq(design, y, rcond=None)
    assert_allclose(model.coef_, expected[:-1], rtol=1e-8, atol=1e-9)
    assert_allclose(model.intercept_, expected[-1], atol=1e-9)


def test_fit_does_not_build_the_feature_matrix():
    X = np.random.default_rng(0).uniform(0, 1, (200_000, 1))
    y = np.sin(3 * X[:, 0])
    tracemalloc.start()
    try:
        LinearFeatureRegressor(n_basis=50).fit(X, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    full_matrix = X.shape[0] * 51 * 8  # 82 MB
    assert peak < full_matrix / 8


def test_multi_output_equals_separate_fits(unit_grid):
    Y = np.column_stack([np.exp(unit_grid[:, 0]), np.cos(5 * unit_grid[:, 0])])
    joint = LinearFeatureRegressor(n_basis=8, alpha=0.1).fit(unit_grid, Y)
    assert joint.coef_.shape == (2, 9)
    assert joint.predict(unit_grid).shape == (501, 2)
    for k in range(2):
        alone = LinearFeatureRegressor(n_basis=8, alpha=0.1).fit(unit_grid, Y[:, k])
        assert_allclose(joint.coef_[k], alone.coef_, rtol=1e-10, atol=1e-12)
        assert_allclose(joint.intercept_[k], alone.intercept_, rtol=1e-10)
    column = LinearFeatureRegressor(n_basis=8).fit(unit_grid, Y[:, :1])
    assert column.coef_.shape == (1, 9)
    assert column.predict(unit_grid).shape == (501, 1)


def test_integer_sample_weights_equal_repeated_rows():
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, (60, 2))
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
    weights = rng.integers(0, 4, 60)
    weighted = LinearFeatureRegressor(n_basis=5).fit(X, y, sample_weight=weights)
    repeated = LinearFeatureRegressor(n_basis=5).fit(
        np.repeat(X, weights, axis=0), np.repeat(y, weights)
    )
    # Zero-weight rows are not data: they do not stretch the learned bounds.
    assert_array_equal(weighted.low_, repeated.low_)
    assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-9, atol=1e-10)
    assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-9)


def test_partial_fit_over_chunks_equals_fit():
    rng = np.random.default_rng(3)
    X = rng.uniform(-2, 2, (5000, 2))
    y = np.column_stack([np.exp(X[:, 0]) * np.cos(X[:, 1]), X[:, 1]])
    weights = rng.uniform(0, 3, 5000)
    params = dict(n_basis=8, input_bounds=(-2, 2), alpha=1e-3)
    batch = LinearFeatureRegressor(**params).fit(X, y, sample_weight=weights)
    stream = LinearFeatureRegressor(**params)
    for chunk in np.array_split(rng.permutation(5000), 10):
        stream.partial_fit(X[chunk], y[chunk], sample_weight=weights[chunk])
    assert stream.n_samples_seen_ == 5000
    scale = np.abs(batch.coef_).max()
    assert np.abs(stream.coef_ - batch.coef_).max() / scale < 1e-6
    assert_allclose(stream.intercept_, batch.intercept_, rtol=1e-6)


def test_partial_fit_needs_fixed_bounds():
    model = LinearFeatureRegressor()
    assert not hasattr(model, "partial_fit")
    with pytest.raises(AttributeError) as error:
        model.partial_fit([[0.0]], [0.0])
    # available_if shows our reason as the direct cause in the traceback.
    assert "partial_fit needs fixed input_bounds" in str(error.value.__cause__)


def test_partial_fit_checks_the_chunks():
    model = LinearFeatureRegressor(input_bounds=(0, 1)).partial_fit(
        np.zeros((3, 2)), np.zeros(3)
    )
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(np.zeros((3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="dimension"):
        model.partial_fit(np.zeros((3, 2)), np.zeros((3, 1)))


def test_auto_falls_back_to_lstsq_when_singular():
    # Three samples, 21 features: the minimum-norm interpolant.
    X = np.array([[0.0], [0.5], [1.0]])
    y = np.array([1.0, 2.0, 0.0])
    model = LinearFeatureRegressor(n_basis=20).fit(X, y)
    assert model.solver_ == "lstsq"
    assert_allclose(model.predict(X), y, atol=1e-10)
    with pytest.raises(ValueError, match="singular"):
        LinearFeatureRegressor(n_basis=20, solver="cholesky").fit(X, y)


def test_adam_reaches_the_closed_form_fit():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 3, (500, 1))
    y = np.sin(2 * X[:, 0]) + 0.5 * X[:, 0] + 0.1 * rng.standard_normal(500)
    closed = LinearFeatureRegressor(n_basis=10).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        adam = LinearFeatureRegressor(
            n_basis=10, solver="adam", learning_rate_init=0.02, random_state=0
        ).fit(X, y)
    assert closed.score(X, y) - adam.score(X, y) < 0.01


def exp_problem(n_samples=500, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, (n_samples, 1))
    return X, np.exp(X[:, 0]) + 0.1 * rng.standard_normal(n_samples)


def sine_slope_problem(n_samples=500, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 3, (n_samples, 1))
    y = np.sin(2 * X[:, 0]) + 0.5 * X[:, 0] + 0.1 * rng.standard_normal(n_samples)
    return X, y


def plane_problem(n_samples=500, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n_samples, 2))
    y = X[:, 0] ** 2 - X[:, 1] + np.sin(3 * X[:, 0] * X[:, 1])
    return X, y + 0.1 * rng.standard_normal(n_samples)


@pytest.mark.parametrize("solver", ["sgd", "rmsprop", "adam"])
@pytest.mark.parametrize(
    "problem, params",
    [
        (exp_problem, {}),
        (sine_slope_problem, {}),
        (plane_problem, {"n_basis": 5, "coupling": "full"}),
        (lambda: exp_problem(n_samples=100), {"basis": "cosine"}),
    ],
)
def test_iterative_solvers_reach_the_closed_form_at_their_defaults(
    solver, problem, params
):
    # Within 0.01 of the closed form's training R², stopped by the tol rule
    # (no ConvergenceWarning). The earlier defaults fell short on every one
    # on these problems (see benchmarks/bench_linear_solvers.py).
    X, y = problem()
    closed = LinearFeatureRegressor(**params).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        iterative = LinearFeatureRegressor(**params, solver=solver, random_state=0).fit(
            X, y
        )
    assert closed.score(X, y) - iterative.score(X, y) < 0.01


@pytest.mark.parametrize("solver", ["sgd", "rmsprop", "adam"])
def test_iterative_fit_does_not_depend_on_the_units_of_y(solver):
    # The network trains on standardized targets: y in other units and with
    # another offset gives the same fit in those units.
    X, y = exp_problem()
    fit = LinearFeatureRegressor(solver=solver, random_state=0).fit(X, y)
    converted = LinearFeatureRegressor(solver=solver, random_state=0).fit(
        X, 1000 * y - 7
    )
    assert_allclose(converted.coef_, 1000 * fit.coef_, rtol=1e-7)
    assert_allclose(converted.intercept_, 1000 * fit.intercept_ - 7, rtol=1e-7)
    assert converted.n_iter_ == fit.n_iter_


def test_training_coordinates_are_an_exact_change_of_variables():
    # Any weights φ, b̃ of the network, mapped back to θ, b, predict what the
    # network predicts in the original units: σ (φᵀz + b̃) + m = θᵀβ + b.
    rng = np.random.default_rng(0)
    features = rng.uniform(-1, 1, (50, 4))
    y = rng.normal(3.0, 2.0, (50, 2))
    weights = rng.uniform(0.5, 2.0, 50)
    coordinates = TrainingCoordinates(
        features, y, weights, feature_scales=np.array([1.0, 0.5, 2.0, 0.7])
    )
    z, targets = coordinates.transform(features.copy(), y)
    assert_allclose(np.average(z, axis=0, weights=weights), 0, atol=1e-14)
    assert_allclose(np.average(targets**2, axis=0, weights=weights), 1)
    phi, bias = rng.normal(size=(4, 2)), rng.normal(size=2)
    coef, intercept = coordinates.coefficients(phi, bias)
    network_prediction = (z @ phi + bias) * coordinates.target_scales
    assert_allclose(
        network_prediction + coordinates.target_means, features @ coef + intercept
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_auto_sgd_step_is_the_inverse_curvature_bound():
    # 1 / (2 (max‖z‖² + 1 + α/n)) with z = s ⊙ (β − mean β), s = ‖c‖^(-1/2).
    X, y = exp_problem(n_samples=200)
    model = LinearFeatureRegressor(
        n_basis=4, solver="sgd", alpha=3.0, max_iter=1, random_state=0
    ).fit(X, y)
    features = SineFeatures(n_basis=4).fit_transform(X)
    z = (features - features.mean(axis=0)) / np.sqrt([1, 1, 2, 3, 4])
    expected = 1 / (2 * ((z**2).sum(axis=1).max() + 1 + 3.0 / 200))
    assert model.learning_rate_ == pytest.approx(expected, rel=1e-12)
    explicit = LinearFeatureRegressor(
        solver="adam", learning_rate_init=0.02, max_iter=1
    )
    assert explicit.fit(X, y).learning_rate_ == 0.02


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sgd_step_size_is_divided_by_frequency_norm():
    # One full-batch epoch is one Nesterov step from the initial weights θ0:
    # θ1 = θ0 − (1 + μ) (η/‖c‖) ∇J(θ0), the gradient taken in the training
    # coordinates, where the features are centered. The step is linear in η,
    # so two step sizes recover θ0, and Δθᵢ ‖cᵢ‖ / ∂J/∂θᵢ must be the same for
    # every i.
    rng = np.random.default_rng(4)
    X = rng.uniform(0, 1, (64, 2))
    y = np.sin(4 * X[:, 0]) + X[:, 1]
    fits = [
        LinearFeatureRegressor(
            n_basis=4,
            solver="sgd",
            learning_rate_init=rate,
            max_iter=1,
            batch_size=64,
            random_state=0,
        ).fit(X, y)
        for rate in (1e-3, 2e-3)
    ]
    coef0 = 2 * fits[0].coef_ - fits[1].coef_
    intercept0 = 2 * fits[0].intercept_ - fits[1].intercept_
    features = SineFeatures(n_basis=4).fit_transform(X)
    centered = features - features.mean(axis=0)
    gradient = centered.T @ (features @ coef0 + intercept0 - y)
    norms = np.concatenate([[1.0, 1.0], np.tile(np.arange(1.0, 5.0), 2)])
    ratios = (fits[0].coef_ - coef0) * norms / gradient
    assert_allclose(ratios, ratios[0], rtol=1e-8)
    assert ratios[0] < 0


def test_iterative_partial_fit_runs_one_epoch_per_chunk():
    X = np.linspace(0, 1, 100).reshape(-1, 1)
    model = LinearFeatureRegressor(
        solver="rmsprop", input_bounds=(0, 1), random_state=0
    )
    for _ in range(3):
        model.partial_fit(X, np.exp(X[:, 0]))
    assert model.n_iter_ == 3


@pytest.mark.parametrize(
    "params, X, y, message",
    [
        ({}, [[np.nan]], [1.0], "NaN"),
        ({"n_basis": 0}, [[0.0]], [1.0], "n_basis"),
        ({"basis": "wavelet"}, [[0.0]], [1.0], "basis"),
        ({"input_bounds": (1, 1)}, [[0.0]], [1.0], "low < high"),
        ({"input_bounds": (2, [1, 3])}, [[0.0, 0.0]], [1.0], "dimension 0"),
        ({"input_bounds": ((0, 0, 0), 1)}, [[0.0, 0.0]], [1.0], "input_bounds"),
        ({"solver": "adam", "fit_intercept": False}, [[0.0]], [1.0], "intercept"),
    ],
)
def test_bad_input_raises_value_error(params, X, y, message):
    for estimator in (SineFeatures, LinearFeatureRegressor):
        if estimator is SineFeatures and ("solver" in params):
            continue
        with pytest.raises(ValueError, match=message):
            if estimator is SineFeatures:
                estimator(**params).fit(X)
            else:
                estimator(**params).fit(X, y)


def test_bad_sample_weight_raises_value_error():
    X, y = [[0.0], [1.0]], [0.0, 1.0]
    with pytest.raises(ValueError, match="Negative"):
        LinearFeatureRegressor().fit(X, y, sample_weight=[1.0, -1.0])
    with pytest.raises(ValueError, match="non-zero"):
        LinearFeatureRegressor().fit(X, y, sample_weight=[0.0, 0.0])


def test_float32_inputs_give_the_float64_fit(unit_grid):
    y = np.exp(unit_grid[:, 0])
    model64 = LinearFeatureRegressor(n_basis=10).fit(unit_grid, y)
    model32 = LinearFeatureRegressor(n_basis=10).fit(unit_grid.astype(np.float32), y)
    # The features are computed in float64 from the float32 inputs.
    assert_allclose(model32.predict(unit_grid), model64.predict(unit_grid), atol=1e-6)


def test_out_of_bounds_error_in_fit_ignores_zero_weight_rows():
    X = np.array([[0.0], [0.5], [1.0], [7.0]])
    y = np.array([0.0, 1.0, 0.0, 5.0])
    model = LinearFeatureRegressor(
        n_basis=2, input_bounds=(0, 1), out_of_bounds="error"
    )
    with pytest.raises(ValueError, match="outside input_bounds"):
        model.fit(X, y)
    model.fit(X, y, sample_weight=[1, 1, 1, 0])
    assert model.n_samples_seen_ == 3
