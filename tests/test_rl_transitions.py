"""The transition contract: X holds the states, a structured y what followed."""

import numpy as np
import pytest

from skfa.rl import (
    check_transitions,
    load_transitions_csv,
    pack_transitions,
    transition_dtype,
    transitions_from_dataframe,
)

STATES = [[0.0, 1.0], [1.0, 2.0], [2.0, 3.0]]
NEXT_STATES = [[1.0, 2.0], [2.0, 3.0], [3.0, 4.0]]


def test_pack_and_check_round_trip():
    X, y = pack_transitions(
        STATES, [1, 0, 1], [0.0, 0.5, 1.0], NEXT_STATES, [0, 0, 1], episodes=[4, 4, 4]
    )
    assert y.dtype == transition_dtype(2, episodes=True)
    data = check_transitions(X, y)
    np.testing.assert_array_equal(data.states, STATES)
    np.testing.assert_array_equal(data.actions, [1, 0, 1])
    np.testing.assert_array_equal(data.rewards, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(data.next_states, NEXT_STATES)
    np.testing.assert_array_equal(data.terminals, [False, False, True])
    np.testing.assert_array_equal(data.episodes, [4, 4, 4])
    # Integer indexing, as splitters do, keeps the records together.
    np.testing.assert_array_equal(y[[2, 0]]["next_state"], [[3.0, 4.0], [1.0, 2.0]])


def test_without_episodes():
    X, y = pack_transitions(STATES, [0] * 3, [0.0] * 3, NEXT_STATES, [False] * 3)
    assert "episode" not in y.dtype.names
    assert check_transitions(X, y).episodes is None


def test_one_feature_states_keep_a_vector_field():
    X, y = pack_transitions([[0.0], [1.0]], [0, 1], [0, 1], [[1.0], [2.0]], [0, 1])
    assert y["next_state"].shape == (2, 1)
    # A scalar next_state field is accepted for one-feature states.
    scalar = np.zeros(
        2,
        dtype=[
            ("action", int),
            ("reward", float),
            ("next_state", float),
            ("terminal", bool),
        ],
    )
    assert check_transitions(X, scalar).next_states.shape == (2, 1)


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"rewards": [0.0, np.nan, 1.0]},
            r"rewards has a missing .*, NaN or inf \(row 2: nan\)",
        ),
        (
            {"rewards": [0.0, np.inf, 1.0]},
            r"rewards .* infinite value, .* \(row 2: inf\)",
        ),
        ({"actions": [0.5, 1, 0]}, r"actions must hold integers \(row 1: 0.5\)"),
        ({"actions": ["a", "b", "c"]}, r"actions must hold integers \(row 1: 'a'\)"),
        (
            {"terminals": [0, 2, 1]},
            r"terminals must hold 0/1 or True/False \(row 2: 2\)",
        ),
        ({"next_states": [[1.0], [2.0], [3.0]]}, "next_state has 1 features but"),
        ({"next_states": NEXT_STATES[:2]}, "inconsistent numbers of samples"),
        ({"rewards": [0.0, 1.0]}, "inconsistent numbers of samples"),
        ({"states": [0.0, 1.0, 2.0]}, "Expected 2D array"),
        ({"states": [[0.0, np.nan]] * 3}, "NaN"),
        ({"episodes": [0.5, 1, 2]}, r"episodes must hold integers \(row 1: 0.5\)"),
    ],
)
def test_pack_rejects_bad_input(change, message):
    arrays = dict(
        states=STATES,
        actions=[0, 1, 0],
        rewards=[0.0, 0.0, 1.0],
        next_states=NEXT_STATES,
        terminals=[False, False, True],
    )
    arrays.update(change)
    with pytest.raises(ValueError, match=message):
        pack_transitions(**arrays)


def test_check_rejects_bad_y():
    X, y = pack_transitions(STATES, [0, 1, 0], [0.0] * 3, NEXT_STATES, [0, 0, 1])
    with pytest.raises(ValueError, match="structured array"):
        check_transitions(X, y["reward"])
    with pytest.raises(ValueError, match="structured array"):
        check_transitions(X, [(0, 0.0)] * 3)
    with pytest.raises(ValueError, match="missing the field.*terminal"):
        check_transitions(X, y[["action", "reward", "next_state"]])
    with pytest.raises(ValueError, match="one-dimensional"):
        check_transitions(X[:1], y.reshape(3, 1)[:1])
    bad = y.copy()
    bad["next_state"][1, 0] = np.nan
    with pytest.raises(ValueError, match=r"y\['next_state'\] contains NaN"):
        check_transitions(X, bad)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        check_transitions(X, y[:2])


def frame():
    pd = pytest.importorskip("pandas")
    return pd.DataFrame(
        {
            "position": [0.0, 1.0, 2.0],
            "speed": [1.0, 2.0, 3.0],
            "next_position": [1.0, 2.0, 3.0],
            "next_speed": [2.0, 3.0, 4.0],
            "a": [1, 0, 1],
            "reward": [0.0, 0.5, 1.0],
            "done": [False, False, True],
            "run": [7, 7, 7],
        }
    )


def test_transitions_from_dataframe():
    X, y = transitions_from_dataframe(
        frame(),
        state_columns=["position", "speed"],
        action_column="a",
        terminal_column="done",
        episode_column="run",
    )
    assert list(X.columns) == ["position", "speed"]
    np.testing.assert_array_equal(X.to_numpy(), STATES)
    np.testing.assert_array_equal(y["next_state"], NEXT_STATES)
    np.testing.assert_array_equal(y["action"], [1, 0, 1])
    np.testing.assert_array_equal(y["terminal"], [False, False, True])
    np.testing.assert_array_equal(y["episode"], [7, 7, 7])


def test_dataframe_with_missing_columns():
    with pytest.raises(ValueError, match="no column 'action', 'terminal'; the columns"):
        transitions_from_dataframe(frame(), state_columns=["position", "speed"])


def test_load_transitions_csv(tmp_path):
    path = tmp_path / "logged.csv"
    frame().to_csv(path, index=False)
    X, y = load_transitions_csv(
        path,
        state_columns=["position", "speed"],
        next_state_columns=["next_position", "next_speed"],
        action_column="a",
        terminal_column="done",
    )
    np.testing.assert_array_equal(X.to_numpy(), STATES)
    np.testing.assert_array_equal(y["reward"], [0.0, 0.5, 1.0])
    assert "episode" not in y.dtype.names
