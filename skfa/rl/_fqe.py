"""Fitted-Q evaluation: the value of a given policy, from logged data alone."""

from numbers import Integral, Real

import numpy as np
from scipy.stats import norm
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._compat import HasMethods, Interval, _fit_context, validate_data, with_callbacks
from ..utils._validation import is_validated
from ._episodes import episode_rows, first_rows
from ._fitted_q import _FittedQ
from ._policy import as_policy_function

__all__ = ["FittedQEvaluation"]


class FittedQEvaluation(_FittedQ):
    """Fitted-Q evaluation: estimate a policy's value from logged transitions.

    Starting from ``Q_0 = 0``, each iteration regresses the state-action pairs
    of the data onto the targets

    ``r + gamma * (1 - terminal) * sum_a' pi(a' | s') Q_k(s', a')``

    with the regressor ``estimator``, so that ``Q_k`` converges to the
    Q-function of the evaluated policy ``pi`` [1]_. This is fitted-Q
    iteration with the policy's action in place of the greedy one: the two
    estimators share everything else, parameters included. The logged data
    may come from any other policy; no simulator is needed. At the next
    states it predicts only the Q-values of the actions the policy may take,
    where fitted-Q iteration's max needs every action's, so an iteration
    costs no more than one of fitted-Q iteration with the same regressor.

    Parameters
    ----------
    policy : object with ``predict``, callable, or None
        The policy to evaluate, fitted: a :class:`FittedQIteration`, a
        pipeline or a classifier, or a function from states of shape (n, d)
        to actions of shape (n,). An object with ``predict_proba`` and
        ``classes_`` is a stochastic policy, evaluated in expectation over its
        action probabilities (this is how the logging policy itself is
        evaluated). None is a placeholder for :func:`policy_value_scorer`,
        which sets it; ``fit`` needs a policy.
    estimator : regressor, default=None
        The regressor of Q-values, as in :class:`FittedQIteration` (None: the
        same default).
    gamma : float, default=0.95
        Discount factor, in [0, 1): the value estimated is the expected
        discounted return with this factor.
    max_iter : int, default=50
        Number of iterations; Q looks ``max_iter`` steps ahead, so rewards
        beyond it, discounted by ``gamma**max_iter`` or more, are left out.
    tol : float, default=None
        Stop once the largest change of Q on the data falls below ``tol``.
    action_encoding : {"per_action", "onehot"}, default="per_action"
        One regressor per action, or one on the states and one-hot actions.
    average : int, default=1
        The fitted Q-function is the mean of the last ``average`` iterations'.
    n_runs : int, default=1
        Number of independently seeded runs whose Q-functions are averaged.
    pessimism : float, default=0.0
        Bootstrap on ``Q - pessimism * spread``, the spread from the
        regressor's ``predict(X, return_std=True)``: a value that is lower
        where the regressor's members disagree.
    clip_targets : bool or tuple of (float, float), default=False
        Clip the targets to the range of returns the rewards allow.
    n_bootstrap : int, default=0
        Number of bootstrap refits over episodes behind :meth:`value_interval`;
        0 fits none. Each is a fit as costly as this one.
    warm_start : bool, default=False
        Continue the fitted Q-function for ``max_iter`` more iterations.
    n_jobs : int, default=None
        Number of threads fitting the regressors in parallel.
    random_state : int, RandomState instance or None, default=None
        Seeds the regressors' clones and the bootstrap's draws of episodes.
    verbose : int, default=0
        If positive, print one line per iteration.

    Attributes
    ----------
    value_ : float
        The estimated value of the policy: the mean of ``V(s)`` over the
        initial states (the first state of each logged episode, or the
        ``initial_states`` given to ``fit``).
    initial_states_ : ndarray of shape (n_initial_states, n_features)
        The states ``value_`` averages over.
    bootstrap_values_ : ndarray of shape (n_bootstrap,)
        The value estimated by each bootstrap refit; empty for
        ``n_bootstrap=0``.
    actions_, action_encoding_, estimators_, averaged_estimators_, n_iter_, \
n_runs_, history_, n_features_in_, feature_names_in_
        As in :class:`FittedQIteration`.

    See Also
    --------
    FittedQIteration : Learns the policy this estimator can evaluate.
    policy_value_scorer : Scores candidates of a grid search by their value.
    behavior_value : The discounted return of the logged episodes.

    Notes
    -----
    Fitted-Q evaluation can only be right where the data show what follows
    the policy's actions: it assumes *coverage*, that the logged transitions
    include the states the policy reaches and the actions it takes there. Where
    the policy leaves the logged states, the regressor extrapolates, and the
    estimate carries whatever error that extrapolation makes.

    The evaluated policy is asked once per ``fit``, for its actions (or their
    probabilities) at every next state of the data; an action it chooses
    must have been logged, since nothing else tells its value.

    A clone of this estimator clones the policy too, and a clone of a fitted
    estimator is not fitted: to clone it with a fitted policy (in
    ``cross_val_score``, say), wrap the policy in
    :class:`sklearn.frozen.FrozenEstimator`.

    References
    ----------
    .. [1] H. M. Le, C. Voloshin and Y. Yue, "Batch Policy Learning under
       Constraints", ICML 2019.

    Examples
    --------
    A three-state chain: moving right (action 1) from the last state ends the
    episode with reward 1. The policy that always moves right is worth
    ``gamma**2`` from the first state.

    >>> import numpy as np
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from skfa.rl import FittedQEvaluation, pack_transitions
    >>> X, y = pack_transitions(
    ...     states=[[0], [0], [1], [1], [2], [2]],
    ...     actions=[0, 1, 0, 1, 0, 1],
    ...     rewards=[0, 0, 0, 0, 0, 1],
    ...     next_states=[[0], [1], [0], [2], [1], [2]],
    ...     terminals=[False, False, False, False, False, True],
    ...     episodes=[0, 0, 0, 0, 0, 0])
    >>> def always_right(states):
    ...     return np.ones(len(states), dtype=int)
    >>> fqe = FittedQEvaluation(always_right, DecisionTreeRegressor(), gamma=0.5)
    >>> fqe.fit(X, y).predict([[0], [1], [2]])
    array([0.25, 0.5 , 1.  ])
    >>> fqe.value_
    0.25
    """

    _parameter_constraints = {
        **_FittedQ._parameter_constraints,
        "policy": [callable, HasMethods(["predict"]), None],
        "n_bootstrap": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        policy,
        estimator=None,
        *,
        gamma=0.95,
        max_iter=50,
        tol=None,
        action_encoding="per_action",
        average=1,
        n_runs=1,
        pessimism=0.0,
        clip_targets=False,
        n_bootstrap=0,
        warm_start=False,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.policy = policy
        self.estimator = estimator
        self.gamma = gamma
        self.max_iter = max_iter
        self.tol = tol
        self.action_encoding = action_encoding
        self.average = average
        self.n_runs = n_runs
        self.pessimism = pessimism
        self.clip_targets = clip_targets
        self.n_bootstrap = n_bootstrap
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _backup(self, next_states):
        """The policy's backup: ``V(s') = sum_a' pi(a' | s') Q(s', a')``; it
        reads the Q-values of the actions the policy may take."""
        next_policy = self._action_probabilities(next_states)
        return (lambda next_q: (next_q * next_policy).sum(axis=-1)), next_policy > 0

    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, *, initial_states=None):
        """Estimate the policy's Q-function and value from logged transitions.

        Parameters
        ----------
        X : array-like of shape (n_transitions, n_features)
            The states.
        y : structured ndarray of shape (n_transitions,)
            What followed each state; see :func:`~skfa.rl.pack_transitions`.
            Its ``episode`` field gives the initial states, unless
            ``initial_states`` does.
        sample_weight : array-like of shape (n_transitions,), default=None
            Weights of the transitions in every iteration's regression.
        initial_states : array-like of shape (n_states, n_features), \
default=None
            The states whose mean value is ``value_``; by default the first
            state of each logged episode.

        Returns
        -------
        self : FittedQEvaluation
            The fitted estimator.
        """
        if self.policy is None:
            raise ValueError(
                "FittedQEvaluation needs the policy to evaluate: "
                "FittedQEvaluation(policy, ...)."
            )
        rng = check_random_state(self.random_state)
        data = self._fit_q(X, y, sample_weight, rng)
        self.initial_states_ = self._initial_states(data, initial_states)
        self.value_ = float(np.mean(self._values(self.initial_states_)))
        self.bootstrap_values_ = self._bootstrap(data, y, sample_weight, rng)
        return self

    def predict(self, X):
        """The policy's value ``V(s) = sum_a pi(a | s) Q(s, a)`` in each state.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            States.

        Returns
        -------
        values : ndarray of shape (n_samples,)
        """
        if not is_validated(self, X, np.float64):
            check_is_fitted(self)
            X = validate_data(self, X, reset=False, dtype=np.float64)
        return self._values(X)

    def value_interval(self, confidence=0.95):
        """An interval for ``value_`` from the bootstrap over episodes.

        Each of the ``n_bootstrap`` refits, made in ``fit``, draws as many
        episodes as were logged, with replacement, and estimates the value on
        them. The interval is ``value_ ± z · s``, with ``s`` the standard
        deviation of those estimates and ``z`` the normal quantile of the
        confidence.

        It covers the error that comes from *which* episodes happened to be
        logged: with other episodes of the same logging, the estimate would
        move about that much. It does not cover the error of extrapolation:
        where the policy goes beyond the logged states, every refit
        extrapolates alike, and the truth may lie outside the interval. It
        costs ``n_bootstrap`` more fits, made in ``fit``; twenty give a
        usable width.

        Parameters
        ----------
        confidence : float, default=0.95
            In (0, 1).

        Returns
        -------
        low, high : float
        """
        check_is_fitted(self)
        if not (isinstance(confidence, Real) and 0 < confidence < 1):
            raise ValueError(f"confidence must be in (0, 1), got {confidence!r}.")
        if len(self.bootstrap_values_) < 2:
            raise ValueError(
                "value_interval needs bootstrap refits: set n_bootstrap to 2 or "
                "more (20 is a good start; each costs one more fit) and fit again."
            )
        half_width = norm.ppf(0.5 + confidence / 2) * np.std(
            self.bootstrap_values_, ddof=1
        )
        return self.value_ - half_width, self.value_ + half_width

    # ------------------------------------------------------------- helpers
    def _values(self, states):
        probabilities = self._action_probabilities(states)
        return (self._q_values(states) * probabilities).sum(axis=1)

    def _action_probabilities(self, states):
        """``pi(a | s)`` for each state and each action of ``actions_``."""
        if hasattr(self.policy, "predict_proba") and hasattr(self.policy, "classes_"):
            return _stochastic_policy(self.policy, states, self.actions_)
        return _deterministic_policy(self.policy, states, self.actions_)

    def _initial_states(self, data, initial_states):
        if initial_states is not None:
            return validate_data(self, initial_states, reset=False, dtype=np.float64)
        if data.episodes is None:
            raise ValueError(
                "FittedQEvaluation's value_ is the mean value of the initial "
                "states, which y does not show: give y an 'episode' field "
                "(pack_transitions(..., episodes=...)), or pass the states to "
                "fit(X, y, initial_states=...)."
            )
        return data.states[first_rows(data.episodes)]

    def _bootstrap(self, data, y, sample_weight, rng):
        """The values of ``n_bootstrap`` refits on episodes drawn with replacement."""
        if not self.n_bootstrap:
            return np.empty(0)
        if data.episodes is None:
            raise ValueError(
                "n_bootstrap resamples episodes: give y an 'episode' field "
                "(pack_transitions(..., episodes=...))."
            )
        episodes = episode_rows(data.episodes)
        # A clone would clone the policy too, and a cloned estimator is unfitted.
        settings = {"n_bootstrap": 0, "warm_start": False, "verbose": 0}
        refit = type(self)(**{**self.get_params(deep=False), **settings})
        values = []
        for _ in range(self.n_bootstrap):
            drawn = rng.randint(len(episodes), size=len(episodes))
            rows = np.concatenate([episodes[e] for e in drawn])
            starts = data.states[[episodes[e][0] for e in drawn]]
            refit.set_params(random_state=rng.randint(np.iinfo(np.int32).max))
            weights = None if sample_weight is None else sample_weight[rows]
            refit.fit(data.states[rows], y[rows], weights, initial_states=starts)
            values.append(refit.value_)
        return np.asarray(values)


def _deterministic_policy(policy, states, actions):
    """One-hot ``pi(a | s)`` of a policy that returns one action per state."""
    chosen = np.asarray(as_policy_function(policy)(states))
    if chosen.shape != (len(states),):
        raise ValueError(
            f"The policy returned actions of shape {chosen.shape} for "
            f"{len(states)} states; it must return one action per state."
        )
    unknown = np.setdiff1d(chosen, actions)
    if unknown.size:
        raise ValueError(
            f"The policy chose actions {unknown.tolist()} that the data never "
            f"took (they took {actions.tolist()}); their values cannot be "
            "estimated from these data."
        )
    probabilities = np.zeros((len(states), len(actions)))
    probabilities[np.arange(len(states)), np.searchsorted(actions, chosen)] = 1.0
    return probabilities


def _stochastic_policy(policy, states, actions):
    """``pi(a | s)`` of a policy with ``predict_proba`` and ``classes_``."""
    proba = np.asarray(policy.predict_proba(states), dtype=np.float64)
    classes = np.asarray(policy.classes_)
    if proba.shape != (len(states), len(classes)):
        raise ValueError(
            f"The policy's predict_proba returned shape {proba.shape} for "
            f"{len(states)} states, but its classes_ has {len(classes)} "
            f"actions {classes.tolist()}; it must return one column per class."
        )
    if not (np.isfinite(proba).all() and (proba >= 0).all()):
        raise ValueError("The policy's predict_proba returned NaN or negative values.")
    if not np.allclose(proba.sum(axis=1), 1.0):
        raise ValueError("The policy's predict_proba rows must sum to 1.")
    used = proba.max(axis=0) > 0
    unknown = np.setdiff1d(classes[used], actions)
    if unknown.size:
        raise ValueError(
            f"The policy gives probability to actions {unknown.tolist()} that the "
            f"data never took (they took {actions.tolist()}); their values cannot "
            "be estimated from these data."
        )
    probabilities = np.zeros((len(states), len(actions)))
    for column, label in zip(proba.T[used], classes[used], strict=True):
        probabilities[:, np.searchsorted(actions, label)] += column
    return probabilities
