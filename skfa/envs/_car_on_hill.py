"""The car-on-the-hill control problem of Ernst, Geurts and Wehenkel (2005)."""

from collections import namedtuple

import numpy as np

from ..rl._policy import as_policy_function

__all__ = ["CarOnHill", "Rollout"]

Rollout = namedtuple("Rollout", ["returns", "n_steps", "terminated", "path"])
Rollout.__doc__ = """What a policy did from each start state, from CarOnHill.rollout.

``returns`` holds the discounted return from each start state and ``n_steps``
the control steps taken, both of shape (n_states,); ``terminated`` says whether
the car reached a terminal state within the horizon; ``path``, of shape
(n_steps.max() + 1, n_states, 2), holds the states visited, each start state's
last state repeated once it is terminal.
"""


class CarOnHill:
    """Car on the hill, exactly as in Ernst et al. (2005), appendix C.2.

    A car of mass 1 moves on the hill ``Hill(p) = p**2 + p`` for ``p < 0`` and
    ``p / sqrt(1 + 5 p**2)`` otherwise. Its state is the position ``p`` and the
    speed ``s``; the action pushes with a force ``u = -4`` (action 0) or
    ``u = +4`` (action 1), held for a 0.1 s control step that is integrated by
    100 Euler steps of 0.001 s. The state is terminal when ``|p| > 1`` or
    ``|s| > 3``. The reward of a step is -1 when the car leaves on the left or
    too fast (``p' < -1`` or ``|s'| > 3``), +1 when it reaches the top at an
    admissible speed (``p' > 1`` and ``|s'| <= 3``) and 0 otherwise. The
    discount factor is 0.95.

    The force is too weak to drive straight up the hill from the bottom: a good
    policy first backs up the left slope to gather momentum.

    Attributes
    ----------
    n_features : int
        Length of a state vector, 2: position and speed.
    n_actions : int
        Number of actions, 2.
    gamma : float
        Discount factor of the problem, 0.95.
    state : ndarray of shape (2,) or None
        The current state for the gymnasium-style :meth:`reset` / :meth:`step`
        interface; None before the first reset.

    See Also
    --------
    skfa.datasets.make_car_on_hill_transitions : The paper's logged data.
    skfa.rl.FittedQIteration : Learns a policy from such data.

    Notes
    -----
    The dynamics are the equations of the paper's appendix C.2,

    .. math::

        \\dot p = s, \\qquad
        \\dot s = \\frac{u}{m (1 + H'^2)} - \\frac{g H'}{1 + H'^2}
                 - \\frac{s^2 H' H''}{1 + H'^2},

    with ``H = Hill(p)``, ``m = 1`` and ``g = 9.81``. A terminal state is
    absorbing: :meth:`transition` maps it to itself with reward 0, so the
    discounted return of a policy is the discounted reward of its terminal step.

    References
    ----------
    .. [1] D. Ernst, P. Geurts and L. Wehenkel, "Tree-Based Batch Mode
       Reinforcement Learning", Journal of Machine Learning Research 6,
       pp. 503-556, 2005.

    Examples
    --------
    >>> import numpy as np
    >>> from skfa.envs import CarOnHill
    >>> env = CarOnHill()
    >>> state, info = env.reset()
    >>> state
    array([-0.5,  0. ])
    >>> next_state, reward, terminated, truncated, info = env.step(1)
    >>> next_state.round(3), reward, terminated
    (array([-0.481,  0.387]), 0.0, False)
    >>> def push_along(states):  # push in the direction of motion
    ...     return (states[:, 1] >= 0).astype(int)
    >>> round(env.score_policy(push_along), 3)
    -0.389
    """

    n_features = 2
    n_actions = 2
    gamma = 0.95

    mass = 1.0
    gravity = 9.81
    forces = (-4.0, 4.0)
    control_step = 0.1
    integration_step = 0.001
    max_position = 1.0
    max_speed = 3.0
    start_state = (-0.5, 0.0)

    def __init__(self):
        self.state = None

    # ------------------------------------------------------------------ physics
    @staticmethod
    def hill(positions):
        """Height of the hill at ``positions``.

        Parameters
        ----------
        positions : array-like
            Positions ``p``.

        Returns
        -------
        heights : ndarray
            ``p**2 + p`` where ``p < 0`` and ``p / sqrt(1 + 5 p**2)`` elsewhere.

        Examples
        --------
        >>> from skfa.envs import CarOnHill
        >>> CarOnHill.hill([-1.0, -0.5, 0.0, 1.0])
        array([ 0.        , -0.25      ,  0.        ,  0.40824829])
        """
        p = np.asarray(positions, dtype=float)
        return np.where(p < 0, p**2 + p, p / np.sqrt(1 + 5 * p**2))

    @staticmethod
    def hill_slope(positions):
        """First and second derivatives ``Hill'(p)`` and ``Hill''(p)``.

        Parameters
        ----------
        positions : array-like
            Positions ``p``.

        Returns
        -------
        slope : ndarray
            ``2 p + 1`` where ``p < 0`` and ``(1 + 5 p**2) ** -1.5`` elsewhere.
        curvature : ndarray
            ``2`` where ``p < 0`` and ``-15 p (1 + 5 p**2) ** -2.5`` elsewhere.
        """
        p = np.asarray(positions, dtype=float)
        left = p < 0
        # Powers of 1 / sqrt(1 + 5 p**2) by multiplication: this runs 100 times
        # per control step, and np.power is several times slower.
        inverse_root = 1 / np.sqrt(1 + 5 * p * p)
        right_slope = inverse_root * inverse_root * inverse_root
        slope = np.where(left, 2 * p + 1, right_slope)
        curvature = np.where(
            left, 2.0, -15 * p * right_slope * inverse_root * inverse_root
        )
        return slope, curvature

    def acceleration(self, positions, speeds, forces):
        """Time derivative of the speed, the paper's equation for ``ds/dt``."""
        slope, curvature = self.hill_slope(positions)
        denominator = 1 + slope**2
        return (
            forces / (self.mass * denominator)
            - self.gravity * slope / denominator
            - speeds**2 * slope * curvature / denominator
        )

    def is_terminal(self, states):
        """Whether each state is terminal: ``|p| > 1`` or ``|s| > 3``."""
        states = np.asarray(states, dtype=float)
        return (np.abs(states[..., 0]) > self.max_position) | (
            np.abs(states[..., 1]) > self.max_speed
        )

    def transition(self, states, actions):
        """Apply one 0.1 s control step to many states at once.

        Parameters
        ----------
        states : array-like of shape (n_states, 2)
            Positions and speeds.
        actions : array-like of shape (n_states,)
            Action indices: 0 pushes with ``u = -4``, 1 with ``u = +4``.

        Returns
        -------
        next_states : ndarray of shape (n_states, 2)
            States after the control step; a terminal state stays put.
        rewards : ndarray of shape (n_states,)
            -1, 0 or +1 (0 from a terminal state).
        terminals : ndarray of shape (n_states,) of bool
            Whether each next state is terminal.

        Examples
        --------
        >>> from skfa.envs import CarOnHill
        >>> next_states, rewards, terminals = CarOnHill().transition(
        ...     [[-0.5, 0.0], [0.95, 2.0]], [0, 1])
        >>> next_states.round(3)
        array([[-0.519, -0.387],
               [ 1.167,  2.344]])
        >>> rewards, terminals
        (array([0., 1.]), array([False,  True]))
        """
        states = np.asarray(states, dtype=float)
        actions = np.asarray(actions)
        if states.ndim != 2 or states.shape[1] != self.n_features:
            raise ValueError(
                f"states must have shape (n_states, 2), got {states.shape}."
            )
        if actions.shape != (states.shape[0],):
            raise ValueError(
                f"actions must have shape ({states.shape[0]},), got {actions.shape}."
            )
        if not np.isin(actions, (0, 1)).all():
            raise ValueError("actions must be 0 (u = -4) or 1 (u = +4).")

        forces = np.asarray(self.forces)[actions.astype(int)]
        p, s = states[:, 0].copy(), states[:, 1].copy()
        n_euler_steps = round(self.control_step / self.integration_step)
        dt = self.integration_step
        for _ in range(n_euler_steps):
            p, s = p + dt * s, s + dt * self.acceleration(p, s, forces)
        next_states = np.column_stack([p, s])

        too_fast = np.abs(s) > self.max_speed
        rewards = np.where(
            (p < -self.max_position) | too_fast,
            -1.0,
            np.where(p > self.max_position, 1.0, 0.0),
        )
        already_terminal = self.is_terminal(states)
        next_states[already_terminal] = states[already_terminal]
        rewards[already_terminal] = 0.0
        return next_states, rewards, self.is_terminal(next_states)

    # ------------------------------------------------- gymnasium-style interface
    def reset(self, *, seed=None, options=None):
        """Start an episode at the paper's start state ``(-0.5, 0)``.

        Parameters
        ----------
        seed : None
            Accepted for gymnasium compatibility; the problem is deterministic.
        options : dict or None
            ``{"state": (p, s)}`` starts from another state.

        Returns
        -------
        state : ndarray of shape (2,)
        info : dict
            Empty.
        """
        start = self.start_state if options is None else options["state"]
        self.state = np.array(start, dtype=float).reshape(self.n_features)
        return self.state.copy(), {}

    def step(self, action):
        """Apply one action to the current state, gymnasium-style.

        Returns
        -------
        state : ndarray of shape (2,)
        reward : float
        terminated : bool
        truncated : bool
            Always False: the problem has no time limit.
        info : dict
            Empty.
        """
        if self.state is None:
            raise RuntimeError("Call reset() before step().")
        next_states, rewards, terminals = self.transition(
            self.state[None, :], np.array([action])
        )
        self.state = next_states[0]
        return self.state.copy(), float(rewards[0]), bool(terminals[0]), False, {}

    # --------------------------------------------------------------- evaluation
    @staticmethod
    def score_states():
        """The paper's 289 evaluation states ``(0.125 i, 0.375 j)``, i, j = -8..8.

        Returns
        -------
        states : ndarray of shape (289, 2)
        """
        grid = np.arange(-8, 9)
        i, j = np.meshgrid(grid, grid, indexing="ij")
        return np.column_stack([0.125 * i.ravel(), 0.375 * j.ravel()])

    def score_policy(self, policy, *, horizon=400):
        """The paper's score: mean discounted return from the 289 score states.

        Parameters
        ----------
        policy : callable or object with a ``predict`` method
            Maps states of shape (n, 2) to actions of shape (n,), e.g. a fitted
            :class:`~skfa.rl.FittedQIteration`.
        horizon : int, default=400
            Number of control steps simulated. Only the terminal step is
            rewarded and rewards lie in [-1, 1], so truncating the infinite
            sum changes the score by at most ``0.95 ** 400``, about 1e-9.

        Returns
        -------
        score : float
            Between -1 and 1; the paper reports 0.360 for the optimal policy.
        """
        rollout = self.rollout(policy, self.score_states(), horizon=horizon)
        return float(rollout.returns.mean())

    def rollout(self, policy, start_states=None, *, horizon=400):
        """Follow ``policy`` from each start state until the state is terminal.

        All start states move together, one call of ``policy`` per control
        step on the states not yet terminal.

        Parameters
        ----------
        policy : callable or object with a ``predict`` method
            Maps states of shape (n, 2) to actions of shape (n,).
        start_states : array-like of shape (n_states, 2), default=None
            None starts once from :attr:`start_state`, ``(-0.5, 0)``.
        horizon : int, default=400
            The most control steps simulated, as in :meth:`score_policy`.

        Returns
        -------
        rollout : Rollout
            Named tuple ``(returns, n_steps, terminated, path)``: the
            discounted return and the number of steps from each start state,
            whether its car reached a terminal state, and the states visited.

        Examples
        --------
        >>> from skfa.envs import CarOnHill
        >>> def push_along(states):  # push in the direction of motion
        ...     return (states[:, 1] >= 0).astype(int)
        >>> rollout = CarOnHill().rollout(push_along)
        >>> rollout.returns.round(3), rollout.n_steps, rollout.terminated
        (array([-0.513]), array([14]), array([ True]))
        >>> rollout.path.shape  # the start state and 14 more
        (15, 1, 2)

        The car leaves on the left: its only reward, -1 at the 14th step, is
        discounted by ``0.95 ** 13``.
        """
        policy = as_policy_function(policy)
        if start_states is None:
            start_states = [self.start_state]
        states = np.array(start_states, dtype=float).reshape(-1, self.n_features)
        returns = np.zeros(len(states))
        n_steps = np.zeros(len(states), dtype=int)
        active = np.flatnonzero(~self.is_terminal(states))
        path = [states.copy()]
        for t in range(horizon):
            if active.size == 0:
                break
            actions = np.asarray(policy(states[active])).reshape(-1)
            next_states, rewards, terminals = self.transition(states[active], actions)
            returns[active] += self.gamma**t * rewards
            n_steps[active] += 1
            states[active] = next_states
            path.append(states.copy())
            active = active[~terminals]
        return Rollout(returns, n_steps, self.is_terminal(states), np.array(path))
