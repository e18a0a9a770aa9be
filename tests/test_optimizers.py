"""Each optimizer's first steps against its update equation, computed by hand."""

import numpy as np
import pytest

from skfa.neural_network._optimizers import SGD, Adam, RMSProp

THETA = np.array([1.0, -2.0, 0.5])
GRADS = [np.array([0.5, -1.0, 2.0]), np.array([-0.25, 3.0, 1.0])]


def run(optimizer_class, **settings):
    theta = THETA.copy()
    optimizer = optimizer_class([theta], **settings)
    history = []
    for grad in GRADS:
        optimizer.update_params([theta], [grad.copy()])
        history.append(theta.copy())
    return history


def test_plain_sgd():
    history = run(SGD, learning_rate=0.1, momentum=0.0)
    np.testing.assert_allclose(history[0], THETA - 0.1 * GRADS[0])
    np.testing.assert_allclose(history[1], THETA - 0.1 * (GRADS[0] + GRADS[1]))


def test_sgd_classical_momentum():
    lr, mu = 0.1, 0.9
    history = run(SGD, learning_rate=lr, momentum=mu, nesterovs_momentum=False)
    v1 = -lr * GRADS[0]
    v2 = mu * v1 - lr * GRADS[1]
    np.testing.assert_allclose(history[0], THETA + v1)
    np.testing.assert_allclose(history[1], THETA + v1 + v2)


def test_sgd_nesterov_momentum():
    lr, mu = 0.1, 0.9
    history = run(SGD, learning_rate=lr, momentum=mu, nesterovs_momentum=True)
    v1 = -lr * GRADS[0]
    theta1 = THETA + mu * v1 - lr * GRADS[0]
    v2 = mu * v1 - lr * GRADS[1]
    theta2 = theta1 + mu * v2 - lr * GRADS[1]
    np.testing.assert_allclose(history[0], theta1)
    np.testing.assert_allclose(history[1], theta2)


def test_rmsprop_defaults_and_steps():
    optimizer = RMSProp([THETA.copy()])
    assert optimizer.rho == 0.9
    assert optimizer.learning_rate == 0.001
    lr, rho, eps = 0.01, 0.9, 1e-8
    history = run(RMSProp, learning_rate=lr, rho=rho, epsilon=eps)
    s1 = (1 - rho) * GRADS[0] ** 2
    theta1 = THETA - lr * GRADS[0] / (eps + np.sqrt(s1))
    s2 = rho * s1 + (1 - rho) * GRADS[1] ** 2
    theta2 = theta1 - lr * GRADS[1] / (eps + np.sqrt(s2))
    np.testing.assert_allclose(history[0], theta1, rtol=1e-14)
    np.testing.assert_allclose(history[1], theta2, rtol=1e-14)
    # The first RMSProp step has magnitude lr / sqrt(1 - rho) in every coordinate.
    np.testing.assert_allclose(
        np.abs(history[0] - THETA), lr / np.sqrt(1 - rho), rtol=1e-6
    )


def test_adam_steps():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    history = run(Adam, learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=eps)
    m = np.zeros(3)
    v = np.zeros(3)
    theta = THETA.copy()
    for t, (grad, result) in enumerate(zip(GRADS, history), start=1):
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad**2
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        np.testing.assert_allclose(result, theta, rtol=1e-14)
    # Bias correction makes the first step lr * sign(g) in every coordinate.
    np.testing.assert_allclose(history[0], THETA - lr * np.sign(GRADS[0]), rtol=1e-6)


def test_adam_keeps_float32_arithmetic_in_float32():
    """The per-step constants are Python floats, never NumPy float64 scalars.

    NumPy computes a float32 array times a float64 scalar in float64 and casts
    back, in a slow loop.
    """
    theta = THETA.astype(np.float32)
    optimizer = Adam([theta], learning_rate=0.01)
    optimizer.update_params([theta], [GRADS[0].astype(np.float32)])
    assert type(optimizer._step_size) is float
    assert type(optimizer._scaled_epsilon) is float
    assert theta.dtype == np.float32


@pytest.mark.parametrize("optimizer_class", [SGD, RMSProp, Adam])
def test_learning_rate_is_read_at_each_step(optimizer_class):
    """A schedule changes ``learning_rate`` between steps; zero means no change."""
    theta = THETA.copy()
    optimizer = optimizer_class([theta], learning_rate=0.1)
    optimizer.learning_rate = 0.0
    optimizer.update_params([theta], [GRADS[0].copy()])
    np.testing.assert_array_equal(theta, THETA)


def test_flush_subnormals():
    from skfa.neural_network._optimizers import flush_subnormals

    a64 = np.array([1e-310, -1e-250, 1e-100, -2.0, 0.0])
    a32 = np.array([1e-40, -1e-35, 1e-20, 3.0], dtype=np.float32)
    flush_subnormals([a64, a32])
    np.testing.assert_array_equal(a64, [0.0, 0.0, 1e-100, -2.0, 0.0])
    np.testing.assert_array_equal(a32, np.array([0, 0, 1e-20, 3], dtype=np.float32))


def test_training_keeps_weights_and_moments_out_of_the_subnormal_range():
    from skfa import MLPApproximator

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = X[:, 0]
    model = MLPApproximator(hidden_layer_sizes=(8,), batch_size=4, random_state=0)
    model.partial_fit(X, y)
    # A dead unit's state, decaying towards the subnormal range.
    model.coefs_[0][:, 0] = 1e-300
    model._optimizer.first_moments[0][:8] = 1e-305
    model.partial_fit(X, y)  # 100 steps: one flush
    arrays = model._network.params + model._optimizer.state_arrays()
    smallest = min(np.abs(a[a != 0]).min() for a in arrays)
    assert smallest > 1e-200
