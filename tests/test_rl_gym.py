"""Logged transitions from gymnasium, and policy returns in it."""

import sys

import numpy as np
import pytest
from sklearn.tree import DecisionTreeRegressor

from skfa.rl import FittedQIteration, collect_transitions, evaluate_policy


def test_clear_import_error_without_gymnasium(monkeypatch):
    monkeypatch.setitem(sys.modules, "gymnasium", None)
    with pytest.raises(ImportError, match="pip install gymnasium"):
        collect_transitions("CartPole-v1")


def test_terminal_and_truncated_are_kept_apart():
    pytest.importorskip("gymnasium")
    # Random CartPole episodes fall over well before the 500-step time limit.
    X, y = collect_transitions("CartPole-v1", n_episodes=5, random_state=0)
    assert X.shape[1] == 4
    ends = np.flatnonzero(np.diff(y["episode"], append=5))
    np.testing.assert_array_equal(np.flatnonzero(y["terminal"]), ends)
    np.testing.assert_array_equal(y["reward"], 1.0)
    # Cut after 3 steps: the episodes are truncated, never terminal.
    X, y = collect_transitions(
        "CartPole-v1", n_episodes=4, max_episode_steps=3, random_state=0
    )
    assert len(X) == 12 and not y["terminal"].any()
    np.testing.assert_array_equal(y["episode"], np.repeat(np.arange(4), 3))
    np.testing.assert_array_equal(y["next_state"][:2], X[1:3])


def test_evaluate_policy_matches_the_logged_episodes():
    pytest.importorskip("gymnasium")

    def push_left(states):
        return np.zeros(len(states), dtype=int)

    _, y = collect_transitions("CartPole-v1", push_left, n_episodes=3, random_state=0)
    lengths = np.bincount(y["episode"])
    mean, std = evaluate_policy("CartPole-v1", push_left, n_episodes=3, random_state=0)
    assert (mean, std) == pytest.approx((lengths.mean(), lengths.std()))
    discounted, _ = evaluate_policy(
        "CartPole-v1", push_left, n_episodes=3, gamma=0.5, random_state=0
    )
    expected = np.mean([(1 - 0.5**n) / (1 - 0.5) for n in lengths])
    assert discounted == pytest.approx(expected)


def test_evaluate_policy_runs_the_episodes_side_by_side():
    pytest.importorskip("gymnasium")
    calls = []

    def push_toward_the_lean(states):
        calls.append(len(states))
        return (states[:, 2] > 0).astype(int)

    # 70 episodes of varied length: one wave of 64 side by side, then 6.
    _, y = collect_transitions(
        "CartPole-v1", push_toward_the_lean, n_episodes=70, random_state=1
    )
    lengths = np.bincount(y["episode"])
    assert len(set(lengths)) > 5
    calls.clear()
    mean, std = evaluate_policy(
        "CartPole-v1", push_toward_the_lean, n_episodes=70, gamma=0.9, random_state=1
    )
    returns = (1 - 0.9**lengths) / (1 - 0.9)
    assert (mean, std) == pytest.approx((returns.mean(), returns.std()))
    # One call per step of each wave, with the states of the running episodes.
    assert len(calls) == lengths[:64].max() + lengths[64:].max()
    assert calls[0] == 64 and sum(calls) == lengths.sum()


def test_evaluate_policy_needs_one_action_per_state():
    pytest.importorskip("gymnasium")
    with pytest.raises(ValueError, match="returned 1 actions for 3 states"):
        evaluate_policy("CartPole-v1", lambda s: np.zeros(1, int), n_episodes=3)


def test_fqi_solves_deterministic_frozen_lake():
    gymnasium = pytest.importorskip("gymnasium")
    env = gymnasium.make("FrozenLake-v1", is_slippery=False)
    X, y = collect_transitions(env, n_episodes=300, random_state=0)
    fqi = FittedQIteration(DecisionTreeRegressor(), gamma=0.9, max_iter=30)
    fqi.fit(X, y)
    # The shortest path to the goal takes 6 steps; every one of them is greedy.
    mean, std = evaluate_policy(env, fqi, n_episodes=3, gamma=0.9, random_state=0)
    assert mean == pytest.approx(0.9**5) and std == 0
    assert fqi.q_values([[14]])[0].max() == pytest.approx(1.0)


def test_only_discrete_actions():
    gymnasium = pytest.importorskip("gymnasium")
    with pytest.raises(ValueError, match="Discrete action space"):
        collect_transitions(gymnasium.make("Pendulum-v1"), n_episodes=1)
