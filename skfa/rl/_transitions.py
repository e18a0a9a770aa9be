"""Logged transitions as ``(X, y)``: states in X, what followed them in y.

``X`` holds the states, shape (n, d). ``y`` is a structured NumPy array with one
record per state saying what followed it: the ``action`` taken, the ``reward``
received, the ``next_state`` reached, whether that next state is ``terminal``,
and optionally the ``episode`` it belongs to. Keeping the target in one array
lets scikit-learn's splitters, ``cross_val_score`` and ``GridSearchCV`` index
``X`` and ``y`` together, as scikit-survival does for its (event, time) targets.

A value of the wrong kind is reported with the column (or field) and the row
that holds it; rows are counted from 1, the header of a CSV file not counted,
so a message points at the line a spreadsheet shows.
"""

from collections import namedtuple

import numpy as np
from sklearn.utils import check_array, check_consistent_length

__all__ = [
    "Transitions",
    "check_transitions",
    "load_transitions_csv",
    "pack_transitions",
    "transition_dtype",
    "transitions_from_dataframe",
]

REQUIRED_FIELDS = ("action", "reward", "next_state", "terminal")

Transitions = namedtuple(
    "Transitions",
    ["states", "actions", "rewards", "next_states", "terminals", "episodes"],
)
Transitions.__doc__ = """Validated fields of logged transitions.

``states`` and ``next_states`` are float arrays of shape (n, d); ``actions`` is
an integer array, ``rewards`` a float array and ``terminals`` a bool array, all
of shape (n,); ``episodes`` is an integer array of shape (n,) or None.

Examples
--------
>>> import numpy as np
>>> from skfa.rl import check_transitions, pack_transitions
>>> X, y = pack_transitions(
...     states=[[0.0], [1.0]], actions=[0, 1], rewards=[0.0, 1.0],
...     next_states=[[1.0], [2.0]], terminals=[False, True])
>>> fields = check_transitions(X, y)
>>> fields.rewards, fields.terminals
(array([0., 1.]), array([False,  True]))
"""


def transition_dtype(n_features, *, episodes=False):
    """The structured dtype of ``y`` for states with ``n_features`` features.

    Parameters
    ----------
    n_features : int
        Width of a state vector.
    episodes : bool, default=False
        Whether to include the ``episode`` field.

    Returns
    -------
    dtype : numpy.dtype
        Fields ``action`` (int64), ``reward`` (float64), ``next_state``
        (float64, shape ``(n_features,)``), ``terminal`` (bool) and, if asked
        for, ``episode`` (int64).

    Examples
    --------
    >>> from skfa.rl import transition_dtype
    >>> transition_dtype(2).names
    ('action', 'reward', 'next_state', 'terminal')
    >>> transition_dtype(2)["next_state"].shape
    (2,)
    """
    fields = [
        ("action", np.int64),
        ("reward", np.float64),
        ("next_state", np.float64, (int(n_features),)),
        ("terminal", np.bool_),
    ]
    if episodes:
        fields.append(("episode", np.int64))
    return np.dtype(fields)


def pack_transitions(states, actions, rewards, next_states, terminals, episodes=None):
    """Pack logged transitions into ``X`` (the states) and a structured ``y``.

    Parameters
    ----------
    states : array-like of shape (n_transitions, n_features)
        The state each transition starts from.
    actions : array-like of shape (n_transitions,)
        Integer action labels.
    rewards : array-like of shape (n_transitions,)
        Rewards received.
    next_states : array-like of shape (n_transitions, n_features)
        States reached.
    terminals : array-like of shape (n_transitions,)
        True where the episode ended at the next state, so nothing is
        bootstrapped from it. A time-limit truncation is *not* terminal.
    episodes : array-like of shape (n_transitions,), default=None
        Integer episode ids, e.g. for ``GroupKFold``.

    Returns
    -------
    X : ndarray of shape (n_transitions, n_features)
        The states, as float64.
    y : structured ndarray of shape (n_transitions,)
        Fields ``action``, ``reward``, ``next_state``, ``terminal`` and, when
        ``episodes`` is given, ``episode``; see :func:`transition_dtype`.

    Examples
    --------
    >>> from skfa.rl import pack_transitions
    >>> X, y = pack_transitions(
    ...     states=[[0.0], [1.0]], actions=[1, 1], rewards=[0.0, 1.0],
    ...     next_states=[[1.0], [2.0]], terminals=[False, True])
    >>> X.shape, y["action"], y["terminal"]
    ((2, 1), array([1, 1]), array([False,  True]))
    >>> y["next_state"]
    array([[1.],
           [2.]])
    """
    states = check_array(states, dtype=np.float64, input_name="states")
    next_states = check_array(next_states, dtype=np.float64, input_name="next_states")
    actions = _check_integers(actions, "actions")
    rewards = _check_finite_vector(rewards, "rewards")
    terminals = _check_bools(terminals, "terminals")
    arrays = [states, actions, rewards, next_states, terminals]
    if episodes is not None:
        episodes = _check_integers(episodes, "episodes")
        arrays.append(episodes)
    check_consistent_length(*arrays)
    _check_next_state_width(next_states, states.shape[1])

    y = np.empty(
        len(states),
        dtype=transition_dtype(states.shape[1], episodes=episodes is not None),
    )
    y["action"] = actions
    y["reward"] = rewards
    y["next_state"] = next_states
    y["terminal"] = terminals
    if episodes is not None:
        y["episode"] = episodes
    return states, y


def check_transitions(X, y):
    """Validate logged transitions ``(X, y)`` and return their fields.

    Parameters
    ----------
    X : array-like of shape (n_transitions, n_features)
        The states.
    y : structured ndarray of shape (n_transitions,)
        What followed each state, as built by :func:`pack_transitions`.

    Returns
    -------
    transitions : Transitions
        Named tuple ``(states, actions, rewards, next_states, terminals,
        episodes)``; ``episodes`` is None when ``y`` has no ``episode`` field.

    Raises
    ------
    ValueError
        If ``y`` is not a structured array with the required fields, if a field
        holds NaN or infinite values or values of the wrong kind, if
        ``next_state`` is not as wide as ``X``, or if lengths differ.

    Examples
    --------
    >>> from skfa.rl import check_transitions, pack_transitions
    >>> X, y = pack_transitions([[0.0, 1.0]], [0], [0.5], [[1.0, 1.0]], [True])
    >>> check_transitions(X, y).rewards
    array([0.5])
    """
    states = check_array(X, dtype=np.float64)
    names = getattr(getattr(y, "dtype", None), "names", None)
    if not isinstance(y, np.ndarray) or names is None:
        raise ValueError(
            "y must be a structured array with fields "
            f"{', '.join(REQUIRED_FIELDS)} (and optionally episode), "
            f"got {type(y).__name__}"
            + (f" of dtype {y.dtype}" if hasattr(y, "dtype") else "")
            + ". Build it with skfa.rl.pack_transitions."
        )
    missing = [name for name in REQUIRED_FIELDS if name not in names]
    if missing:
        raise ValueError(
            f"y is missing the field(s) {', '.join(missing)}; it has {names}. "
            "Build it with skfa.rl.pack_transitions."
        )
    if y.ndim != 1:
        raise ValueError(f"y must be one-dimensional, got shape {y.shape}.")
    check_consistent_length(states, y)

    next_states = np.asarray(y["next_state"], dtype=np.float64)
    if next_states.ndim == 1:
        next_states = next_states[:, None]
    if next_states.ndim != 2:
        raise ValueError(
            "y['next_state'] must hold one vector per transition, got shape "
            f"{next_states.shape}."
        )
    _check_next_state_width(next_states, states.shape[1])
    if not np.isfinite(next_states).all():
        raise ValueError("y['next_state'] contains NaN or infinity.")
    episodes = None
    if "episode" in names:
        episodes = _check_integers(y["episode"], "y['episode']")
    return Transitions(
        states=states,
        actions=_check_integers(y["action"], "y['action']"),
        rewards=_check_finite_vector(y["reward"], "y['reward']"),
        next_states=next_states,
        terminals=_check_bools(y["terminal"], "y['terminal']"),
        episodes=episodes,
    )


def transitions_from_dataframe(
    df,
    *,
    state_columns,
    next_state_columns=None,
    action_column="action",
    reward_column="reward",
    terminal_column="terminal",
    episode_column=None,
):
    """Build ``(X, y)`` from a pandas DataFrame of logged transitions.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per transition.
    state_columns : list of str
        Columns holding the state vector.
    next_state_columns : list of str, default=None
        Columns holding the next state, in the order of ``state_columns``.
        None means ``"next_" + column`` for each state column.
    action_column, reward_column, terminal_column : str
        Columns holding the integer action, the reward and the terminal flag
        (True or 1 where the episode ended; a time-limit truncation is not
        terminal).
    episode_column : str, default=None
        Column holding integer episode ids, if any.

    Returns
    -------
    X : pandas.DataFrame of shape (n_transitions, n_features)
        The state columns as float64, so a fitted estimator records
        ``feature_names_in_``.
    y : structured ndarray of shape (n_transitions,)
        See :func:`pack_transitions`.

    Examples
    --------
    >>> import pandas as pd
    >>> from skfa.rl import transitions_from_dataframe
    >>> df = pd.DataFrame({"x": [0.0, 1.0], "next_x": [1.0, 2.0],
    ...                    "action": [1, 1], "reward": [0.0, 1.0],
    ...                    "terminal": [0, 1]})
    >>> X, y = transitions_from_dataframe(df, state_columns=["x"])
    >>> list(X.columns), y["terminal"]
    (['x'], array([False,  True]))
    """
    state_columns = list(state_columns)
    if next_state_columns is None:
        next_state_columns = [f"next_{column}" for column in state_columns]
    next_state_columns = list(next_state_columns)
    columns = [
        *state_columns,
        *next_state_columns,
        action_column,
        reward_column,
        terminal_column,
    ]
    if episode_column is not None:
        columns.append(episode_column)
    missing = [column for column in columns if column not in df.columns]
    if missing:
        raise ValueError(
            f"The data has no column {', '.join(map(repr, missing))}; "
            f"the columns are {', '.join(map(str, df.columns))}."
        )
    # Each column is checked on its own, so that a message names it and the row.
    numbers = {
        column: _check_finite_vector(
            df[column].to_numpy(na_value=np.nan), f"column {column!r}"
        )
        for column in columns
    }
    states, y = pack_transitions(
        np.column_stack([numbers[column] for column in state_columns]),
        _check_integers(numbers[action_column], f"column {action_column!r}"),
        numbers[reward_column],
        np.column_stack([numbers[column] for column in next_state_columns]),
        _check_bools(numbers[terminal_column], f"column {terminal_column!r}"),
        None
        if episode_column is None
        else _check_integers(numbers[episode_column], f"column {episode_column!r}"),
    )
    X = df[state_columns].astype(np.float64).reset_index(drop=True)
    return X, y


def load_transitions_csv(path, *, state_columns, **columns):
    r"""Load logged transitions from a CSV file with one row per transition.

    Parameters
    ----------
    path : str or path-like
        The CSV file, read with :func:`pandas.read_csv`.
    state_columns : list of str
        Columns holding the state vector.
    **columns
        ``next_state_columns``, ``action_column``, ``reward_column``,
        ``terminal_column`` and ``episode_column``, as in
        :func:`transitions_from_dataframe`.

    Returns
    -------
    X : pandas.DataFrame of shape (n_transitions, n_features)
    y : structured ndarray of shape (n_transitions,)

    Notes
    -----
    Requires pandas (``pip install pandas``).

    Examples
    --------
    >>> import tempfile, os
    >>> from skfa.rl import load_transitions_csv
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> with open(path, "w") as log:
    ...     _ = log.write("p,next_p,action,reward,terminal\n")
    ...     _ = log.write("0.0,0.5,1,0.0,0\n0.5,1.0,1,1.0,1\n")
    >>> X, y = load_transitions_csv(
    ...     path, state_columns=["p"], next_state_columns=["next_p"],
    ...     action_column="action", reward_column="reward",
    ...     terminal_column="terminal")
    >>> X.shape, y["reward"].tolist(), y["terminal"].tolist()
    ((2, 1), [0.0, 1.0], [False, True])
    """
    try:
        import pandas as pd
    except ImportError as error:  # pragma: no cover - depends on the install
        raise ImportError(
            "load_transitions_csv requires pandas: pip install pandas"
        ) from error
    return transitions_from_dataframe(
        pd.read_csv(path), state_columns=state_columns, **columns
    )


def _check_next_state_width(next_states, n_features):
    if next_states.shape[1] != n_features:
        raise ValueError(
            f"next_state has {next_states.shape[1]} features but the states "
            f"have {n_features}; they must be equally wide."
        )


def _check_vector(values, name):
    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {values.shape}.")
    return values


def _raise_at_first(bad, values, problem):
    """Raise ``problem`` naming the first row (counted from 1) where ``bad``."""
    rows = np.flatnonzero(bad)
    if rows.size:
        value = values[rows[0]]
        value = value.item() if isinstance(value, np.generic) else value
        raise ValueError(f"{problem} (row {rows[0] + 1}: {value!r}).")


def _check_finite_vector(values, name):
    """Finite numbers as float64, e.g. rewards, or a column of a data frame."""
    values = _check_vector(values, name)
    try:
        numbers = values.astype(np.float64)
    except (TypeError, ValueError):
        numbers = _to_float(values, name)
    problem = f"{name} has a missing or infinite value, NaN or inf"
    _raise_at_first(~np.isfinite(numbers), values, problem)
    return numbers


def _to_float(values, name):
    """Convert one value at a time, to name the first that is not a number."""
    numbers = np.empty(len(values))
    numeric = np.ones(len(values), dtype=bool)
    for row, value in enumerate(values):
        try:
            numbers[row] = float(value)
        except (TypeError, ValueError):
            numeric[row] = False
    _raise_at_first(~numeric, values, f"{name} is not numeric")
    return numbers


def _check_integers(values, name):
    values = _check_vector(values, name)
    if values.dtype.kind in "iu":
        return values.astype(np.int64, copy=False)
    integral = np.zeros(len(values), dtype=bool)
    if values.dtype.kind == "f":
        finite = np.isfinite(values)
        integral[finite] = values[finite] == np.round(values[finite])
    _raise_at_first(~integral, values, f"{name} must hold integers")
    return values.astype(np.int64)


def _check_bools(values, name):
    values = _check_vector(values, name)
    if values.dtype.kind == "b":
        return values
    flags = np.zeros(len(values), dtype=bool)
    if values.dtype.kind in "iuf":
        flags = np.isin(values, (0, 1))
    _raise_at_first(~flags, values, f"{name} must hold 0/1 or True/False")
    return values.astype(bool)
