"""Finite-difference checks of the backward pass: every activation × loss."""

import pickle

import numpy as np
import pytest

from skfa.neural_network._activations import ACTIVATIONS
from skfa.neural_network._layers import Dropout
from skfa.neural_network._losses import LOSSES
from skfa.neural_network._network import _walk, make_mlp


def numerical_gradients(objective, params, step=1e-6):
    """Central differences of ``objective()`` with respect to every entry."""
    gradients = []
    for param in params:
        gradient = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            original = param[index]
            param[index] = original + step
            plus = objective()
            param[index] = original - step
            minus = objective()
            param[index] = original
            gradient[index] = (plus - minus) / (2 * step)
        gradients.append(gradient)
    return gradients


def relative_error(analytic, numeric):
    a = np.concatenate([g.ravel() for g in analytic])
    n = np.concatenate([g.ravel() for g in numeric])
    return np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-300)


def assert_gradients_match(network, X, y, loss, sample_weight, l2_scale):
    """Analytic gradients against central differences, relative error < 1e-6.

    Dropout layers get the same generator state before every evaluation, so
    the objective sees the same masks each time.
    """
    dropouts = [layer for layer in _walk(network.layers) if isinstance(layer, Dropout)]

    def objective():
        for seed, layer in enumerate(dropouts):
            layer.random_state = np.random.RandomState(seed)
        return network.compute_gradients(X, y, loss, sample_weight, l2_scale)

    objective()
    analytic = [g.copy() for g in network.grads]
    numeric = numerical_gradients(objective, network.params)
    assert relative_error(analytic, numeric) < 1e-6


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss_name", sorted(LOSSES))
@pytest.mark.parametrize("l2_scale", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
# One output takes Dense's outer-product path for ∂L/∂X, two the general one.
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_network_gradients(activation, loss_name, l2_scale, weighted, n_outputs):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(9, 3))
    # Targets far enough from the outputs that Huber's loss uses both branches.
    y = 2.0 * rng.normal(size=(9, n_outputs))
    if loss_name == "poisson":  # its targets are counts or rates: not negative
        y = np.abs(y)
    sample_weight = rng.uniform(0.2, 3.0, size=9) if weighted else None
    network = make_mlp(3, (5, 4), n_outputs, [activation, activation], rng, np.float64)
    loss = LOSSES[loss_name]()
    assert_gradients_match(network, X, y, loss, sample_weight, l2_scale)


def test_mixed_activations_and_linear_network():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(6, 2))
    y = rng.normal(size=(6, 1))
    deep = make_mlp(2, (4, 3, 5), 1, ["tanh", "elu", "softplus"], rng, np.float64)
    assert_gradients_match(deep, X, y, LOSSES["squared_error"](), None, 0.1)
    linear = make_mlp(2, (), 1, [], rng, np.float64)
    assert_gradients_match(linear, X, y, LOSSES["huber"](delta=0.5), None, 0.0)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_derivative_matches_finite_difference(name):
    """σ'(z), computed from the output, against central differences of σ."""
    activation = ACTIVATIONS[name]
    z = np.array([-3.0, -1.2, -0.3, 0.2, 0.7, 2.5])
    step = 1e-6
    numeric = (activation.forward(z + step) - activation.forward(z - step)) / (2 * step)
    analytic = activation.derivative(activation.forward(z.copy()))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize(
    "name, z, expected",
    [
        ("identity", [-2.0, 0.5], [-2.0, 0.5]),
        ("logistic", [0.0, np.log(3.0)], [0.5, 0.75]),
        ("tanh", [0.0, np.log(2.0)], [0.0, 0.6]),
        ("relu", [-2.0, 0.5], [0.0, 0.5]),
        ("leaky_relu", [-2.0, 0.5], [-0.02, 0.5]),
        ("elu", [-np.log(2.0), 0.5], [-0.5, 0.5]),
        (
            "softplus",
            [0.0, np.log(3.0), -800.0, 800.0],
            [np.log(2.0), np.log(4.0), 0.0, 800.0],
        ),
    ],
)
def test_activation_values(name, z, expected):
    result = ACTIVATIONS[name].forward(np.array(z, dtype=float))
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-300)


def test_loss_values_with_and_without_weights():
    y_pred = np.array([[1.0], [2.0], [4.0]])
    y = np.array([[0.0], [2.0], [1.0]])
    squared = LOSSES["squared_error"]()
    assert squared.value(y_pred, y) == pytest.approx((1 + 0 + 9) / 3)
    # Integer weights are the same as repeated rows.
    weights = np.array([2.0, 1.0, 1.0])
    assert squared.value(y_pred, y, weights) == pytest.approx((2 * 1 + 0 + 9) / 4)
    huber = LOSSES["huber"](delta=1.0)
    # residuals 1, 0, 3: 0.5, 0, 1 * (3 - 0.5)
    assert huber.value(y_pred, y) == pytest.approx((0.5 + 0 + 2.5) / 3)
    # Several outputs: per-output losses are summed, samples averaged.
    two = np.hstack([y_pred, y_pred])
    assert squared.value(two, np.hstack([y, y])) == pytest.approx(2 * 10 / 3)


@pytest.mark.parametrize(
    "options",
    [
        {"dropout": 0.3},
        {"normalization": "batch"},
        {"normalization": "layer"},
        {"skip_connections": True},  # widths 3 -> 5 -> 5: with and without P
        {"skip_connections": True, "normalization": "layer", "dropout": 0.2},
        {"skip_connections": True, "normalization": "batch"},
    ],
    ids=lambda options: "-".join(f"{k}={v}" for k, v in options.items()),
)
@pytest.mark.parametrize("weighted", [False, True])
def test_regularization_layer_gradients(options, weighted):
    rng = np.random.RandomState(3)
    X = rng.normal(size=(8, 3))
    y = rng.normal(size=(8, 2))
    sample_weight = rng.uniform(0.2, 3.0, size=8) if weighted else None
    network = make_mlp(3, (5, 5), 2, ["tanh", "softplus"], rng, np.float64, **options)
    # Normalization starts as the identity; move γ and β off it so a mistake
    # in their gradients, or in the terms they multiply, cannot hide.
    for param in network.params:
        param += 0.3 * rng.normal(size=param.shape)
    loss = LOSSES["squared_error"]()
    assert_gradients_match(network, X, y, loss, sample_weight, l2_scale=0.05)


def test_residual_identity_and_projection_blocks():
    from skfa.neural_network._layers import Residual

    rng = np.random.RandomState(4)
    network = make_mlp(
        2, (4, 4), 1, ["relu", "tanh"], rng, np.float64, skip_connections=True
    )
    blocks = [layer for layer in network.layers if isinstance(layer, Residual)]
    assert [block.projection is None for block in blocks] == [False, True]
    # h ← h P + F(h): with F's output layer zeroed, the block is the projection.
    X = rng.normal(size=(5, 2))
    first = blocks[0]
    first.layers[0].weights[...] = 0
    first.layers[0].bias[...] = -1.0  # relu(-1) = 0
    np.testing.assert_allclose(first.forward(X), X @ first.projection)


def test_batch_norm_prediction_uses_running_statistics():
    from skfa.neural_network._layers import Batch, BatchNorm

    layer = BatchNorm(2, np.float64, momentum=0.5)
    X = np.array([[1.0, 10.0], [3.0, 14.0]])
    out = layer.forward(X, training=True)
    # Batch statistics: mean (2, 12), variance (1, 4).
    np.testing.assert_allclose(out, [[-1, -1], [1, 1]], atol=1e-5)
    np.testing.assert_allclose(layer.running_mean, [1.0, 6.0])
    np.testing.assert_allclose(layer.running_var, [1.0, 2.5])
    predicted = layer.forward(np.array([[1.0, 6.0]]))
    np.testing.assert_allclose(predicted, [[0.0, 0.0]])
    # Weighted statistics: weight 3 on the first row is three copies of it.
    weighted = BatchNorm(2, np.float64)
    repeated = BatchNorm(2, np.float64)
    a = weighted.forward(X, training=True, batch=Batch(X, np.array([3.0, 1.0])))
    b = repeated.forward(X[[0, 0, 0, 1]], training=True)
    np.testing.assert_allclose(a, b[[0, 3]])


def test_dropout_scales_in_training_and_is_identity_in_prediction():
    from skfa.neural_network._layers import Dropout

    layer = Dropout(0.25, np.random.RandomState(0))
    X = np.random.default_rng(0).uniform(1, 2, size=(2000, 50))
    out = layer.forward(X, training=True)
    kept = out != 0
    np.testing.assert_allclose(out[kept], X[kept] / 0.75)
    assert abs(kept.mean() - 0.75) < 0.01
    # Masks are independent across units and across distinct rows...
    assert abs(np.corrcoef(kept[:, 0], kept[:, 1])[0, 1]) < 0.05
    assert abs(np.corrcoef(kept[0], kept[1])[0, 1]) < 0.35
    # ... shared by repeats of a row, and new at every step.
    repeated = layer.forward(X[[7, 7, 3]], training=True)
    np.testing.assert_array_equal(repeated[0], repeated[1])
    assert not np.array_equal(repeated[0] != 0, kept[7])
    np.testing.assert_array_equal(layer.forward(X), X)


@pytest.mark.parametrize("pickled", [False, True])
def test_parameters_live_in_the_flat_buffers_weights_first(pickled):
    rng = np.random.RandomState(0)
    network = make_mlp(
        3,
        (4, 5),
        2,
        ["tanh", "relu"],
        rng,
        np.float64,
        normalization="layer",
        skip_connections=True,
    )
    if pickled:  # a pickle leaves the gradients out; loading gathers new ones
        network = pickle.loads(pickle.dumps(network))
    for arrays, flat in [
        (network.params, network.flat_params),
        (network.grads, network.flat_grads),
    ]:
        assert all(np.shares_memory(a, flat) for a in arrays)
        assert sum(a.size for a in arrays) == flat.size
    # Layers inside residual blocks hold the same views as the block.
    for layer in _walk(network.layers):
        assert all(np.shares_memory(g, network.flat_grads) for g in layer.grads)
    # The L2 slice is exactly the weights (dense layers and projections).
    flags = [f for layer in network.layers for f in layer.penalized]
    weights = [p for p, flag in zip(network.params, flags) if flag]
    np.testing.assert_array_equal(
        network._penalized, np.concatenate([w.ravel() for w in weights])
    )
    assert network._penalized.size < network.flat_params.size
