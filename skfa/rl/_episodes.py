"""Logged transitions grouped by episode: where episodes start, what they earned.

An episode's transitions are taken to be in time order within the data, as a
log writes them; episodes may interleave.
"""

import numpy as np

__all__ = ["episode_rows", "first_rows", "discounted_returns"]


def episode_rows(episodes):
    """The rows of each episode, in the order the episodes first appear.

    Parameters
    ----------
    episodes : ndarray of shape (n_transitions,)
        Integer episode ids.

    Returns
    -------
    rows : list of ndarray
        ``rows[e]`` holds the rows of the ``e``-th episode, in time order.
    """
    ids, first, group = np.unique(episodes, return_index=True, return_inverse=True)
    by_episode = np.argsort(group, kind="stable")
    bounds = np.cumsum(np.bincount(group, minlength=len(ids)))[:-1]
    rows = np.split(by_episode, bounds)
    return [rows[index] for index in np.argsort(first, kind="stable")]


def first_rows(episodes):
    """The row where each episode starts, in the order the episodes appear."""
    _, first = np.unique(episodes, return_index=True)
    return np.sort(first)


def discounted_returns(episodes, rewards, gamma):
    """Each episode's return ``sum_t gamma**t r_t`` from its first row.

    Parameters
    ----------
    episodes : ndarray of shape (n_transitions,)
        Integer episode ids.
    rewards : ndarray of shape (n_transitions,)
    gamma : float

    Returns
    -------
    returns : ndarray of shape (n_episodes,)
        In the order the episodes first appear.
    """
    returns = []
    for rows in episode_rows(episodes):
        returns.append(np.dot(gamma ** np.arange(len(rows)), rewards[rows]))
    return np.asarray(returns, dtype=np.float64)
