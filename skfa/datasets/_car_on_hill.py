"""The logged car-on-the-hill data of Ernst, Geurts and Wehenkel (2005)."""

import numpy as np
from sklearn.utils import check_random_state

from ..envs import CarOnHill
from ..rl import pack_transitions

__all__ = ["make_car_on_hill_transitions"]


def make_car_on_hill_transitions(n_episodes=1000, random_state=None):
    """Random-action episodes of the car on the hill, as in Ernst et al. (2005).

    Every episode starts at ``(p, s) = (-0.5, 0)`` and takes uniformly random
    actions until it reaches a terminal state. The paper's 1,000 episodes gave
    58,090 transitions.

    Parameters
    ----------
    n_episodes : int, default=1000
        Number of episodes.
    random_state : int, RandomState instance or None, default=None
        Draws the actions.

    Returns
    -------
    X : ndarray of shape (n_transitions, 2)
        The states (position, speed), episode after episode.
    y : structured ndarray of shape (n_transitions,)
        Fields ``action``, ``reward``, ``next_state``, ``terminal`` and
        ``episode`` (0 to ``n_episodes - 1``); see
        :func:`skfa.rl.pack_transitions`. Only the last transition of each
        episode is terminal.

    See Also
    --------
    skfa.envs.CarOnHill : The simulator.
    skfa.rl.FittedQIteration : Learns a policy from these data.

    References
    ----------
    .. [1] D. Ernst, P. Geurts and L. Wehenkel, "Tree-Based Batch Mode
       Reinforcement Learning", Journal of Machine Learning Research 6,
       pp. 503-556, 2005, section 5.3 and appendix C.2.

    Examples
    --------
    >>> import numpy as np
    >>> from skfa.datasets import make_car_on_hill_transitions
    >>> X, y = make_car_on_hill_transitions(n_episodes=3, random_state=0)
    >>> X.shape[1], int(y["terminal"].sum()), np.unique(y["episode"])
    (2, 3, array([0, 1, 2]))
    """
    if not (isinstance(n_episodes, (int, np.integer)) and n_episodes >= 1):
        raise ValueError(f"n_episodes must be a positive integer, got {n_episodes!r}.")
    rng = check_random_state(random_state)
    env = CarOnHill()
    states = np.tile(np.asarray(env.start_state, dtype=float), (n_episodes, 1))
    episodes = np.arange(n_episodes)
    logged = []  # per step: episodes, states, actions, rewards, next, terminals
    # All episodes advance together, one vectorised step at a time, until the
    # last one ends; episodes that ended drop out of ``states``.
    while len(episodes):
        actions = rng.randint(env.n_actions, size=len(episodes))
        next_states, rewards, terminals = env.transition(states, actions)
        logged.append((episodes, states, actions, rewards, next_states, terminals))
        states, episodes = next_states[~terminals], episodes[~terminals]

    columns = [np.concatenate(column) for column in zip(*logged, strict=True)]
    # Episode after episode, each in time order.
    order = np.argsort(columns[0], kind="stable")
    episodes, states, actions, rewards, next_states, terminals = (
        column[order] for column in columns
    )
    return pack_transitions(states, actions, rewards, next_states, terminals, episodes)
