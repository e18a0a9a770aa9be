"""Logged transitions from, and policy returns in, gymnasium environments.

gymnasium is an optional dependency (``pip install gymnasium``); it is imported
only when these functions are called.
"""

from contextlib import contextmanager

import numpy as np
from sklearn.utils import check_random_state

from ._policy import as_policy_function
from ._transitions import pack_transitions

__all__ = ["collect_transitions", "evaluate_policy"]

# At most this many copies of an environment run episodes side by side.
_MAX_COPIES = 64


def collect_transitions(
    env, policy=None, *, n_episodes=100, max_episode_steps=None, random_state=None
):
    """Log transitions of a discrete-action gymnasium environment.

    Parameters
    ----------
    env : gymnasium.Env or str
        An environment with a ``Discrete`` action space, or its id for
        ``gymnasium.make``.
    policy : callable or object with a ``predict`` method, default=None
        Maps states of shape (n, d) to actions of shape (n,); it is called with
        one state at a time. None takes uniformly random actions.
    n_episodes : int, default=100
        Number of episodes.
    max_episode_steps : int, default=None
        Cut episodes after this many steps, on top of any time limit of
        ``env``. Cut episodes are truncated, not terminal.
    random_state : int, RandomState instance or None, default=None
        Seeds each episode's ``reset`` and the random actions.

    Returns
    -------
    X : ndarray of shape (n_transitions, n_features)
        The observations, flattened to vectors.
    y : structured ndarray of shape (n_transitions,)
        See :func:`~skfa.rl.pack_transitions`. ``terminal`` is gymnasium's
        ``terminated``; a truncated last step is not terminal. ``episode``
        numbers the episodes from 0.

    Examples
    --------
    >>> from skfa.rl import collect_transitions  # doctest: +SKIP
    >>> X, y = collect_transitions("CartPole-v1", n_episodes=5,
    ...                            random_state=0)  # doctest: +SKIP
    """
    env, action_space = _make(env)
    rng = check_random_state(random_state)
    act = None if policy is None else as_policy_function(policy)
    logged = []
    for episode in range(n_episodes):
        for state, action, reward, next_state, terminated, _ in _run_episode(
            env, act, action_space, rng, max_episode_steps
        ):
            logged.append((state, action, reward, next_state, terminated, episode))
    if not logged:
        raise ValueError("The episodes produced no transitions.")
    states, actions, rewards, next_states, terminals, episodes = zip(
        *logged, strict=True
    )
    return pack_transitions(
        np.array(states), actions, rewards, np.array(next_states), terminals, episodes
    )


def evaluate_policy(
    env, policy, *, n_episodes=10, gamma=1.0, max_episode_steps=None, random_state=None
):
    """Mean and standard deviation of a policy's return in a gymnasium environment.

    Given an environment's id, the episodes run side by side, each in its own
    copy of the environment, and the policy is asked once per step for the
    actions of all the episodes still running: a policy such as a forest pays
    its fixed cost per call, not per state. Given an environment object, the
    episodes run one after another in it, since an object cannot be copied
    with its wrappers in general.

    Parameters
    ----------
    env : gymnasium.Env or str
        An environment with a ``Discrete`` action space, or its id for
        ``gymnasium.make``.
    policy : callable or object with a ``predict`` method
        Maps states of shape (n, d) to actions of shape (n,), e.g. a fitted
        :class:`~skfa.rl.FittedQIteration`; called with the states of the
        episodes still running.
    n_episodes : int, default=10
        Number of episodes.
    gamma : float, default=1.0
        Discount factor of the return; 1 sums the rewards.
    max_episode_steps : int, default=None
        Cut episodes after this many steps, on top of any time limit of ``env``.
    random_state : int, RandomState instance or None, default=None
        Seeds each episode's ``reset``.

    Returns
    -------
    mean_return : float
    std_return : float

    Examples
    --------
    >>> import numpy as np
    >>> from skfa.rl import evaluate_policy
    >>> always_right = lambda states: np.ones(len(states), dtype=int)
    >>> mean, std = evaluate_policy("CartPole-v1", always_right, n_episodes=3,
    ...                             random_state=0)
    >>> bool(5 < mean < 20)
    True
    """
    rng = check_random_state(random_state)
    act = as_policy_function(policy)
    seeds = [int(rng.randint(np.iinfo(np.int32).max)) for _ in range(n_episodes)]
    returns = []
    with _copies(env, n_episodes) as envs:
        for start in range(0, n_episodes, len(envs)):
            wave = seeds[start : start + len(envs)]
            returns.extend(
                _returns_side_by_side(envs, wave, act, gamma, max_episode_steps)
            )
    return float(np.mean(returns)), float(np.std(returns))


@contextmanager
def _copies(env, n_episodes):
    """The environments that run the episodes: copies of an id, closed after
    use, or ``env`` itself, left open for its owner."""
    if not isinstance(env, str):
        yield [_make(env)[0]]
        return
    copies = [_make(env)[0] for _ in range(min(n_episodes, _MAX_COPIES))]
    try:
        yield copies
    finally:
        for copy in copies:
            copy.close()


def _returns_side_by_side(envs, seeds, act, gamma, max_episode_steps):
    """The discounted return of one episode per seed, each in its own env."""
    states = [_reset(env, seed) for env, seed in zip(envs, seeds)]
    returns = np.zeros(len(seeds))
    running = list(range(len(seeds)))
    t = 0
    while running:
        actions = np.asarray(act(np.stack([states[i] for i in running]))).reshape(-1)
        if len(actions) != len(running):
            raise ValueError(
                f"The policy returned {len(actions)} actions for {len(running)} "
                "states; it must return one action per state."
            )
        discount, t = gamma**t, t + 1
        still_running = []
        for i, action in zip(running, actions, strict=True):
            observation, reward, terminated, truncated, _ = envs[i].step(action)
            returns[i] += discount * float(reward)
            states[i] = _as_state(observation)
            cut = max_episode_steps is not None and t >= max_episode_steps
            if not (terminated or truncated or cut):
                still_running.append(i)
        running = still_running
    return returns


def _reset(env, seed):
    return _as_state(env.reset(seed=seed)[0])


def _as_state(observation):
    """An observation as the flat float64 vector the policy and the log see."""
    return np.asarray(observation, dtype=np.float64).reshape(-1)


def _run_episode(env, act, action_space, rng, max_episode_steps):
    """Yield ``(state, action, reward, next_state, terminated, truncated)``."""
    state = _reset(env, int(rng.randint(np.iinfo(np.int32).max)))
    t = 0
    while True:
        if act is None:
            action = action_space.start + rng.randint(action_space.n)
        else:
            action = np.asarray(act(state[None, :])).reshape(-1)[0]
        observation, reward, terminated, truncated, _ = env.step(action)
        next_state = _as_state(observation)
        t += 1
        truncated = truncated or (
            max_episode_steps is not None and t >= max_episode_steps
        )
        yield state, int(action), float(reward), next_state, bool(terminated), truncated
        if terminated or truncated:
            return
        state = next_state


def _make(env):
    """The environment (made from an id if need be) and its discrete action space."""
    gymnasium = _import_gymnasium()
    if isinstance(env, str):
        env = gymnasium.make(env)
    if not isinstance(env.action_space, gymnasium.spaces.Discrete):
        raise ValueError(
            "Only environments with a Discrete action space are supported, got "
            f"{env.action_space}."
        )
    return env, env.action_space


def _import_gymnasium():
    try:
        import gymnasium
    except ImportError as error:
        raise ImportError(
            "This function needs gymnasium, an optional dependency of skfa: "
            "pip install gymnasium (or pip install 'skfa[rl]')."
        ) from error
    return gymnasium
