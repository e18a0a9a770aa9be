"""Policy files: skops round trips, and files that must not run or load."""

import builtins
import os
import pathlib
import warnings
import zipfile

import joblib
import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import ExtraTreesRegressor, GradientBoostingRegressor
from sklearn.preprocessing import FunctionTransformer

from skfa._cli import main
from skfa.datasets import make_car_on_hill_transitions
from skfa.linear_model import LinearFeatureRegressor, SineFeatures
from skfa.neural_network import MLPApproximator
from skfa.rl import FittedQIteration, load_policy, save_policy
from skfa.rl._persistence import PolicyFileError, _trusted_types

skops_io = pytest.importorskip("skops.io")


@pytest.fixture(scope="module")
def car_data():
    return make_car_on_hill_transitions(n_episodes=30, random_state=0)


@pytest.fixture(scope="module")
def states():
    """10,000 states spread over the car's state space."""
    rng = np.random.default_rng(1)
    return np.column_stack(
        [rng.uniform(-1, 1, size=10_000), rng.uniform(-3, 3, size=10_000)]
    )


@pytest.fixture(scope="module")
def tree_policy(car_data):
    fqi = FittedQIteration(ExtraTreesRegressor(n_estimators=10), max_iter=5)
    return fqi.set_params(random_state=0).fit(*car_data)


@pytest.fixture(scope="module")
def network_policy(car_data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return FittedQIteration(max_iter=2, random_state=0).fit(*car_data)


def run(argv, capsys):
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(code, err, *fragments):
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("skfa evaluate: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


# ---------------------------------------------------------------- round trips
@pytest.mark.parametrize("policy_name", ["tree_policy", "network_policy"])
def test_round_trip_makes_the_same_decisions(policy_name, states, tmp_path, request):
    policy = request.getfixturevalue(policy_name)
    path = tmp_path / "policy.skops"
    save_policy(policy, path)
    assert zipfile.is_zipfile(path)
    loaded = load_policy(path)
    assert type(loaded) is FittedQIteration
    decisions = policy.predict(states)
    assert 0.05 < decisions.mean() < 0.95  # both actions are chosen somewhere
    np.testing.assert_array_equal(loaded.predict(states), decisions)
    some = states[:500]
    np.testing.assert_array_equal(loaded.q_values(some), policy.q_values(some))


def test_a_loaded_network_trains_on_exactly_as_before(tmp_path):
    """The network, its layers, activations, optimizer state and random state."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3))
    y = np.sin(X).sum(axis=1)
    for params in [
        {"activation": "tanh"},
        {"solver": "sgd", "learning_rate": "invscaling"},
        {"solver": "rmsprop", "normalization": "layer"},
        {"normalization": "batch", "dropout": 0.2, "skip_connections": True},
        {"average": 3, "learning_rate": "adaptive", "loss": "huber"},
    ]:
        model = MLPApproximator(hidden_layer_sizes=(8, 8), random_state=0, **params)
        for _ in range(3):
            model.partial_fit(X, y)
        save_policy(model, tmp_path / "model.skops")
        loaded = load_policy(tmp_path / "model.skops")
        for _ in range(10):
            model.partial_fit(X, y)
            loaded.partial_fit(X, y)
        for original, reloaded in zip(
            model.coefs_ + model.intercepts_, loaded.coefs_ + loaded.intercepts_
        ):
            np.testing.assert_array_equal(reloaded, original, err_msg=str(params))


def mlp_variants():
    activations = ["identity", "logistic", "tanh", "relu", "leaky_relu", "elu"]
    yield from ({"activation": name} for name in [*activations, "softplus"])
    yield from ({"solver": name} for name in ["sgd", "rmsprop", "adam"])
    yield {"normalization": "batch", "dropout": 0.1, "skip_connections": True}
    yield {"normalization": "layer", "learning_rate": "cosine", "loss": "huber"}


def test_the_trusted_types_are_exactly_those_policies_hold(
    tree_policy, network_policy, tmp_path
):
    """Every type a skfa model saves is trusted, and nothing else is."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 2)), rng.normal(size=40)
    models = [tree_policy, network_policy]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for params in mlp_variants():
            models.append(
                MLPApproximator(hidden_layer_sizes=(4,), max_iter=2, **params).fit(X, y)
            )
    models += [LinearFeatureRegressor(n_basis=3).fit(X, y), SineFeatures().fit(X)]
    found = set()
    for model in models:
        found |= set(skops_io.get_untrusted_types(data=skops_io.dumps(model)))
        save_policy(model, tmp_path / "model.skops")
        load_policy(tmp_path / "model.skops")
    assert found == set(_trusted_types())


# ------------------------------------------------------------ hostile files
class TouchOnLoad:
    """Unpickling this creates ``target``: what a hostile pickle could do."""

    def __init__(self, target):
        self.target = pathlib.Path(target)

    def __reduce__(self):
        return pathlib.Path.touch, (self.target,)


@pytest.mark.parametrize("name", ["policy.joblib", "policy", "policy.skops"])
def test_a_hostile_pickle_runs_nothing(name, tmp_path, capsys):
    target = tmp_path / "created-by-the-file"
    hostile = tmp_path / name
    joblib.dump(TouchOnLoad(target), hostile)
    code, out, err = run(["evaluate", hostile, "--env", "car-on-hill"], capsys)
    assert_refused(code, err, str(hostile), "not a skops file")
    assert not target.exists() and out == ""
    if name.endswith(".skops"):  # a file named .skops is never unpickled
        code, _, err = run(
            ["evaluate", hostile, "--trust-pickle", "--env", "car-on-hill"], capsys
        )
        assert_refused(code, err, "not a skops file, although its name says so")
        assert not target.exists()
    # The file is hostile indeed: trusting it runs it.
    joblib.load(hostile)
    assert target.exists()


class FileMakingRegressor(RegressorMixin, BaseEstimator):
    """A regressor from outside skfa and scikit-learn, whose predict writes."""

    def fit(self, X, y):
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict(self, X):
        pathlib.Path(os.environ["SKFA_TEST_TARGET"]).touch()
        return np.zeros(len(X))


def test_a_skops_file_with_other_types_is_refused(
    car_data, tmp_path, capsys, monkeypatch
):
    target = tmp_path / "created-by-the-policy"
    monkeypatch.setenv("SKFA_TEST_TARGET", str(target))
    fqi = FittedQIteration(FileMakingRegressor(), max_iter=1).fit(*car_data)
    target.unlink()
    path = tmp_path / "policy.skops"
    skops_io.dump(fqi, path)
    code, _, err = run(["evaluate", path, "--env", "car-on-hill"], capsys)
    assert_refused(code, err, "not loaded", "FileMakingRegressor")
    assert not target.exists()
    # Nor does save_policy write a file that load_policy would refuse.
    with pytest.raises(ValueError, match="FileMakingRegressor.*save it as .joblib"):
        save_policy(fqi, tmp_path / "other.skops")
    assert not (tmp_path / "other.skops").exists()


def test_a_function_outside_the_policy_is_refused(tmp_path, capsys):
    path = tmp_path / "exec.skops"
    skops_io.dump(FunctionTransformer(builtins.exec), path)
    code, _, err = run(["evaluate", path, "--env", "car-on-hill"], capsys)
    assert_refused(code, err, "builtins.exec")


@pytest.mark.parametrize(
    "array, index, value, problem",
    [
        ("children_left", 0, 10**6, "out of range"),  # past the last node
        ("children_right", 0, 0, "out of range"),  # a cycle back to the root
        ("feature", 0, 2, "out of range"),  # a third column of two
    ],
)
def test_trees_with_bad_numbers_are_refused(
    tree_policy, tmp_path, capsys, array, index, value, problem
):
    import copy

    policy = copy.deepcopy(tree_policy)
    tree = policy.estimators_[1].estimators_[3].tree_
    getattr(tree, array)[index] = value
    path = tmp_path / "tree.skops"
    skops_io.dump(policy, path)
    with pytest.raises(PolicyFileError, match=problem):
        load_policy(path)
    code, _, err = run(["evaluate", path, "--env", "car-on-hill"], capsys)
    assert_refused(code, err, problem)


def test_a_forest_bounds_its_trees_features(tmp_path):
    X = np.random.default_rng(0).normal(size=(20, 3))
    policy = ExtraTreesRegressor(n_estimators=2).fit(X, np.arange(20))
    save_policy(policy, tmp_path / "forest.skops")  # as fitted, it loads
    load_policy(tmp_path / "forest.skops")
    policy.estimators_[0].n_features_in_ = 50  # the forest hands it 3 columns
    policy.estimators_[0].tree_.feature[0] = 7
    skops_io.dump(policy, tmp_path / "forest.skops")
    with pytest.raises(PolicyFileError, match="out of range"):
        load_policy(tmp_path / "forest.skops")


def test_gradient_boosting_trees_are_refused(car_data, tmp_path):
    fqi = FittedQIteration(GradientBoostingRegressor(n_estimators=2), max_iter=1)
    fqi.fit(*car_data)
    with pytest.raises(ValueError, match="gradient boosting"):
        save_policy(fqi, tmp_path / "boosted.skops")
    skops_io.dump(fqi, tmp_path / "boosted.skops")
    with pytest.raises(PolicyFileError, match="gradient boosting"):
        load_policy(tmp_path / "boosted.skops")
    save_policy(fqi, tmp_path / "boosted.joblib")  # for its author's own use
    assert load_policy(tmp_path / "boosted.joblib", trust_pickle=True).n_iter_ == 1


def test_load_policy_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_policy(tmp_path / "missing.skops")
    (tmp_path / "broken.skops").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(PolicyFileError, match="not a skops file"):
        load_policy(tmp_path / "broken.skops")
    with zipfile.ZipFile(tmp_path / "schema.skops", "w") as archive:
        archive.writestr("schema.json", "{not json")
    with pytest.raises(PolicyFileError, match="not a readable skops file"):
        load_policy(tmp_path / "schema.skops")


def test_save_policy_replaces_the_file_whole(tree_policy, tmp_path):
    path = tmp_path / "policy.skops"
    path.write_text("an older policy")
    save_policy(tree_policy, path)
    assert load_policy(path).n_iter_ == 5
    assert os.listdir(tmp_path) == ["policy.skops"]  # no temporary file left

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError("cannot be saved")

    with pytest.raises(RuntimeError):
        save_policy(Unpicklable(), tmp_path / "policy.joblib")
    assert os.listdir(tmp_path) == ["policy.skops"]
