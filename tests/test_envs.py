"""CarOnHill against the equations of Ernst et al. (2005), appendix C.2."""

import math

import numpy as np
import pytest

from skfa.envs import CarOnHill


def hill_slope_by_hand(p):
    if p < 0:
        return 2 * p + 1, 2.0
    return (1 + 5 * p**2) ** -1.5, -15 * p * (1 + 5 * p**2) ** -2.5


def euler_by_hand(p, s, u, n_steps, dt=0.001, m=1.0, g=9.81):
    """The paper's dynamics in plain scalar Python."""
    for _ in range(n_steps):
        h1, h2 = hill_slope_by_hand(p)
        acceleration = (
            u / (m * (1 + h1**2)) - g * h1 / (1 + h1**2) - s**2 * h1 * h2 / (1 + h1**2)
        )
        p, s = p + dt * s, s + dt * acceleration
    return p, s


def test_hill_formula():
    heights = CarOnHill.hill([-1.0, -0.5, 0.0, 0.5, 1.0])
    expected = [0.0, -0.25, 0.0, 0.5 / math.sqrt(2.25), 1 / math.sqrt(6)]
    np.testing.assert_allclose(heights, expected)


def test_hill_derivatives_match_finite_differences():
    p = np.array([-0.9, -0.3, 0.2, 0.7])
    slope, curvature = CarOnHill.hill_slope(p)
    eps = 1e-6
    np.testing.assert_allclose(
        slope,
        (CarOnHill.hill(p + eps) - CarOnHill.hill(p - eps)) / (2 * eps),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        curvature,
        (CarOnHill.hill_slope(p + eps)[0] - CarOnHill.hill_slope(p - eps)[0])
        / (2 * eps),
        rtol=1e-5,
    )
    # The two pieces of the hill join smoothly at p = 0.
    assert CarOnHill.hill_slope(-1e-12)[0] == pytest.approx(
        CarOnHill.hill_slope(0.0)[0]
    )


def test_one_euler_step_by_hand():
    env = CarOnHill()
    env.control_step = env.integration_step  # a single Euler step
    # At the bottom of the valley the slope is 0: only the force acts.
    next_states, _, _ = env.transition([[-0.5, 0.0]], [1])
    np.testing.assert_allclose(next_states, [[-0.5, 0.004]])
    # On the right slope, p = 0.5, s = 1, u = -4: H' = 2.25 ** -1.5 = 8 / 27,
    # H'' = -7.5 * 2.25 ** -2.5 = -7.5 / 7.59375.
    h1, h2 = 8 / 27, -7.5 / 7.59375
    acceleration = (-4 - 9.81 * h1 - 1.0 * h1 * h2) / (1 + h1**2)
    next_states, _, _ = env.transition([[0.5, 1.0]], [0])
    np.testing.assert_allclose(next_states, [[0.501, 1.0 + 0.001 * acceleration]])


def test_control_step_is_100_euler_steps():
    states = np.array([[-0.5, 0.0], [0.3, -1.2], [-0.8, 2.0], [0.6, 0.5]])
    actions = np.array([1, 0, 1, 0])
    next_states, _, _ = CarOnHill().transition(states, actions)
    expected = [
        euler_by_hand(p, s, 8 * a - 4, 100) for (p, s), a in zip(states, actions)
    ]
    np.testing.assert_allclose(next_states, expected, rtol=1e-12)


@pytest.mark.parametrize(
    "state, action, reward, terminal",
    [
        ((0.99, 1.0), 1, 1.0, True),  # over the top at an admissible speed
        ((-0.99, -1.0), 0, -1.0, True),  # off the left edge
        ((-0.8, 2.9), 1, -1.0, True),  # too fast down into the valley
        ((-0.2, -2.9), 0, -1.0, True),  # too fast, backwards
        ((0.95, 3.0), 1, -1.0, True),  # over the top, but too fast
        ((-0.5, 0.0), 1, 0.0, False),
    ],
)
def test_rewards_and_terminals_on_boundary_crossings(state, action, reward, terminal):
    next_states, rewards, terminals = CarOnHill().transition([state], [action])
    p, s = next_states[0]
    assert (rewards[0], terminals[0]) == (reward, terminal)
    assert terminal == (abs(p) > 1 or abs(s) > 3)


def test_terminal_states_are_absorbing():
    state = [[1.2, 0.5]]
    next_states, rewards, terminals = CarOnHill().transition(state, [1])
    np.testing.assert_array_equal(next_states, state)
    assert rewards[0] == 0 and terminals[0]


def test_transition_rejects_bad_input():
    env = CarOnHill()
    with pytest.raises(ValueError, match="shape"):
        env.transition([[0.0, 0.0, 0.0]], [0])
    with pytest.raises(ValueError, match="actions must have shape"):
        env.transition([[0.0, 0.0]], [0, 1])
    with pytest.raises(ValueError, match="0 .* or 1"):
        env.transition([[0.0, 0.0]], [2])


def test_reset_and_step():
    env = CarOnHill()
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    state, info = env.reset()
    np.testing.assert_array_equal(state, [-0.5, 0.0])
    state, reward, terminated, truncated, _ = env.step(1)
    np.testing.assert_allclose(state, euler_by_hand(-0.5, 0.0, 4.0, 100))
    assert (reward, terminated, truncated) == (0.0, False, False)
    state, _ = env.reset(options={"state": (0.99, 1.0)})
    _, reward, terminated, _, _ = env.step(1)
    assert (reward, terminated) == (1.0, True)


def test_score_states_are_the_papers_grid():
    states = CarOnHill.score_states()
    assert states.shape == (289, 2)
    np.testing.assert_allclose(states.min(axis=0), [-1.0, -3.0])
    np.testing.assert_allclose(states.max(axis=0), [1.0, 3.0])
    assert len(np.unique(states, axis=0)) == 289
    assert not CarOnHill().is_terminal(states).any()


def test_score_policy_is_the_discounted_return_from_the_grid():
    env = CarOnHill()

    def policy(states):
        return (states[:, 1] > 0).astype(int)

    states = env.score_states()
    next_states, rewards, terminals = env.transition(states, policy(states))
    assert env.score_policy(policy, horizon=1) == pytest.approx(rewards.mean())
    _, second_rewards, _ = env.transition(next_states, policy(next_states))
    two_steps = rewards + 0.95 * np.where(terminals, 0, second_rewards)
    assert env.score_policy(policy, horizon=2) == pytest.approx(two_steps.mean())


def test_score_policy_accepts_an_object_with_predict():
    class PushAlong:
        def predict(self, states):
            return (states[:, 1] >= 0).astype(int)

    env = CarOnHill()
    score = env.score_policy(PushAlong())
    assert score == pytest.approx(env.score_policy(PushAlong().predict))
    assert score == pytest.approx(-0.389, abs=1e-3)
    with pytest.raises(ValueError, match="callable"):
        env.score_policy(3)


def test_rollout_follows_step_and_discounts_the_terminal_reward():
    env = CarOnHill()

    def push_along(states):
        return (states[:, 1] >= 0).astype(int)

    rollout = env.rollout(push_along)
    state, _ = env.reset()
    path, reward, terminated = [state], 0.0, False
    while not terminated:
        state, reward, terminated, _, _ = env.step(int(push_along(state[None])[0]))
        path.append(state)
    np.testing.assert_array_equal(rollout.path[:, 0], path)
    assert rollout.n_steps[0] == len(path) - 1 == 14
    assert rollout.terminated[0]
    assert rollout.returns[0] == pytest.approx(reward * env.gamma ** (len(path) - 2))


def test_rollout_from_many_states_and_the_horizon():
    env = CarOnHill()
    starts = [[-0.5, 0.0], [0.9, 2.5], [1.5, 0.0]]  # the last is terminal already
    rollout = env.rollout(lambda states: np.ones(len(states), dtype=int), starts)
    # Pushing right from the bottom, the car never gets out of the valley.
    np.testing.assert_array_equal(rollout.terminated, [False, True, True])
    assert rollout.n_steps[0] == 400 and rollout.returns[0] == 0.0
    assert rollout.n_steps[2] == 0 and rollout.returns[2] == 0.0
    assert rollout.n_steps[1] == 1 and rollout.returns[1] == 1.0
    # A terminal state stays in the path once reached.
    np.testing.assert_array_equal(rollout.path[-1, 1], rollout.path[1, 1])
    short = env.rollout(lambda states: np.zeros(len(states), dtype=int), horizon=3)
    assert short.n_steps[0] == 3 and not short.terminated[0]
    assert short.returns[0] == 0.0 and short.path.shape == (4, 1, 2)
    # score_policy is the mean return of the rollouts from the score states.
    grid = env.rollout(
        lambda states: np.ones(len(states), dtype=int), env.score_states()
    )
    assert env.score_policy(lambda s: np.ones(len(s), dtype=int)) == grid.returns.mean()
