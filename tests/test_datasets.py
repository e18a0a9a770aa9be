"""make_car_on_hill_transitions: the paper's random-action episodes."""

import numpy as np
import pytest

from skfa.datasets import make_car_on_hill_transitions
from skfa.envs import CarOnHill
from skfa.rl import check_transitions


def test_size_is_close_to_the_papers_58090():
    X, y = make_car_on_hill_transitions(random_state=0)
    assert 50_000 <= len(X) <= 66_000
    assert y["terminal"].sum() == 1000
    np.testing.assert_array_equal(np.unique(y["episode"]), np.arange(1000))


def test_episodes_are_contiguous_random_walks_from_the_start_state():
    X, y = make_car_on_hill_transitions(n_episodes=40, random_state=1)
    data = check_transitions(X, y)
    starts = np.flatnonzero(np.diff(data.episodes, prepend=-1))
    np.testing.assert_array_equal(data.episodes[starts], np.arange(40))
    np.testing.assert_array_equal(X[starts], np.tile([-0.5, 0.0], (40, 1)))
    # Every episode ends with its only terminal transition, the only rewarded one.
    ends = np.append(starts[1:] - 1, len(X) - 1)
    np.testing.assert_array_equal(np.flatnonzero(data.terminals), ends)
    np.testing.assert_array_equal(np.flatnonzero(data.rewards), ends)
    # Inside an episode each next state is the following state.
    inner = np.setdiff1d(np.arange(len(X)), ends)
    np.testing.assert_array_equal(data.next_states[inner], X[inner + 1])
    assert set(np.unique(data.actions)) == {0, 1}
    # The logged steps are the simulator's.
    next_states, rewards, terminals = CarOnHill().transition(X, data.actions)
    np.testing.assert_array_equal(next_states, data.next_states)
    np.testing.assert_array_equal(rewards, data.rewards)
    np.testing.assert_array_equal(terminals, data.terminals)


def test_random_state_makes_it_reproducible():
    X1, y1 = make_car_on_hill_transitions(n_episodes=5, random_state=3)
    X2, y2 = make_car_on_hill_transitions(n_episodes=5, random_state=3)
    X3, _ = make_car_on_hill_transitions(n_episodes=5, random_state=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert X1.shape != X3.shape or not np.array_equal(X1, X3)


@pytest.mark.parametrize("n_episodes", [0, -3, 2.5, "10"])
def test_bad_n_episodes(n_episodes):
    with pytest.raises(ValueError, match="n_episodes"):
        make_car_on_hill_transitions(n_episodes=n_episodes)
