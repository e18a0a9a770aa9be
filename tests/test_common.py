"""scikit-learn's common estimator checks over every public estimator.

No check is expected to fail but those named below, each with its reason. Each
estimator appears with its defaults and with the options that change its code
paths, one instance per option.
FittedQIteration is not here: its y is a structured array of transitions,
which the common checks cannot generate; tests/test_rl_fqi.py checks its
scikit-learn behaviour (clone, parameters, pickling, GridSearchCV) directly.
"""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skfa import LinearFeatureRegressor, MLPApproximator, SineFeatures
from skfa.neural_network import MLPEnsemble

ESTIMATORS = [
    MLPApproximator(random_state=0),
    # The checks' data are not scaled; SGD needs a smaller step than Adam there.
    MLPApproximator(solver="sgd", learning_rate_init=1e-4, random_state=0),
    MLPApproximator(solver="rmsprop", loss="huber", random_state=0),
    MLPApproximator(early_stopping=True, random_state=0),
    MLPApproximator(
        hidden_layer_sizes=(8, 8), activation=["tanh", "elu"], random_state=0
    ),
    MLPApproximator(dropout=0.2, random_state=0),
    MLPApproximator(normalization="batch", random_state=0),
    MLPApproximator(normalization="layer", random_state=0),
    MLPApproximator(hidden_layer_sizes=(16, 16), skip_connections=True, random_state=0),
    MLPApproximator(learning_rate="cosine", warmup_epochs=2, random_state=0),
    MLPApproximator(learning_rate="adaptive", random_state=0),
    MLPApproximator(learning_rate="invscaling", power_t=0.25, random_state=0),
    MLPApproximator(max_grad_norm=1.0, random_state=0),
    MLPApproximator(average=3, random_state=0),
    MLPApproximator(solver="lbfgs", random_state=0),
    # The checks shift their targets to at least 1 for loss='poisson' (its
    # positive_only tag); the log of the mean must climb from 0 to about log 4
    # in their 200 Adam steps, which takes a larger step than the default.
    MLPApproximator(loss="poisson", learning_rate_init=0.01, random_state=0),
    MLPApproximator(loss="poisson", solver="lbfgs", random_state=0),
    SineFeatures(),
    SineFeatures(n_basis=1, basis="fourier", coupling="full"),
    SineFeatures(basis="cosine", input_bounds=(-3, 3)),
    LinearFeatureRegressor(),
    # Fixed bounds make partial_fit available, so its checks run too.
    LinearFeatureRegressor(basis="cosine", input_bounds=(-5, 5), alpha=1.0),
    # max_iter=50 keeps the checks fast.
    LinearFeatureRegressor(
        solver="adam", learning_rate_init=0.05, max_iter=50, random_state=0
    ),
    # Small, so that the checks' many fits stay fast.
    MLPEnsemble((16,), n_members=3, n_steps=300, batch_size=32, random_state=0),
    MLPEnsemble((8,), n_members=1, dtype="float64", alpha=0.01, random_state=0),
]


def expected_failed_checks(estimator):
    if isinstance(estimator, MLPApproximator) and estimator.early_stopping:
        # partial_fit refuses early_stopping=True, as MLPRegressor's does; these
        # checks call it.
        reason = "partial_fit refuses early_stopping=True"
        return {
            "check_fit_score_takes_y": reason,
            "check_n_features_in_after_fitting": reason,
            "check_estimators_partial_fit_n_features": reason,
        }
    if isinstance(estimator, MLPApproximator) and estimator.loss == "poisson":
        # This check draws make_regression's targets, negative ones included,
        # without consulting the positive_only tag; Poisson refuses them.
        return {"check_regressor_multioutput": "negative targets for Poisson"}
    if isinstance(estimator, MLPEnsemble):
        # Its minibatches draw rows in proportion to their weights: a weight of
        # 2 equals a repeated row in distribution, not draw for draw.
        return {
            "check_sample_weight_equivalence_on_dense_data": "weights drive sampling"
        }
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
