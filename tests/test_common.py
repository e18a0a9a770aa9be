"""scikit-learn's common estimator checks over every public estimator.

No check is expected to fail. Each estimator appears with its defaults and with
the options that change its code paths, one instance per option.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skfa import MLPApproximator

ESTIMATORS = [
    MLPApproximator(random_state=0),
    # The checks' data are not scaled; SGD needs a smaller step than Adam there.
    MLPApproximator(solver="sgd", learning_rate_init=1e-4, random_state=0),
    MLPApproximator(solver="rmsprop", loss="huber", random_state=0),
    MLPApproximator(early_stopping=True, random_state=0),
    MLPApproximator(
        hidden_layer_sizes=(8, 8), activation=["tanh", "elu"], random_state=0
    ),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
