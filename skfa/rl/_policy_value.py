"""Judging policies from logged data: a scorer for model selection, a baseline."""

from numbers import Real

import numpy as np
from sklearn.base import clone

from ._episodes import discounted_returns
from ._fqe import FittedQEvaluation
from ._transitions import check_transitions

__all__ = ["behavior_value", "policy_value_scorer"]


def policy_value_scorer(evaluator=None, *, states="initial"):
    """A scorer that rates a fitted policy by its value on held-out episodes.

    ``scorer(estimator, X, y)`` fits a clone of ``evaluator`` on the
    transitions ``(X, y)`` with ``estimator`` as the policy to evaluate, and
    returns the estimated value at the initial states of ``y``'s episodes
    (or at all of its states, with ``states="all"``).
    Passed as ``scoring`` to :class:`~sklearn.model_selection.GridSearchCV`
    or :func:`~sklearn.model_selection.cross_val_score` over
    :class:`FittedQIteration`, with a splitter that keeps episodes whole
    (``GroupKFold`` on ``y["episode"]``), it chooses between candidates by
    the value of their greedy policies, estimated by fitted-Q evaluation on
    the episodes each candidate did not learn from. The TD error, which
    ``FittedQIteration.score`` returns, measures how well a Q-function agrees
    with the data instead, and ranks policies poorly.

    Parameters
    ----------
    evaluator : FittedQEvaluation, default=None
        The evaluation to run; its ``policy`` is replaced by the scored
        estimator. None means ``FittedQEvaluation(None, random_state=0)``:
        the default regressor, with one seed for every candidate, so that
        candidates differ in their policies, not in the evaluator's draws.
        Its ``gamma`` defines the value compared: keep it the discount of
        your objective, whatever ``gamma`` the candidates learn with.
    states : {"initial", "all"}, default="initial"
        Where the value is estimated and averaged. ``"initial"``: the first
        state of each held-out episode, the value a deployed policy earns
        when episodes start as they were logged. ``"all"``: every held-out
        state, the value from anywhere the data go. Choose ``"all"`` when the
        policy must do well from states other than the logged starts, or
        when the starts are too few or too alike to tell candidates apart
        (all episodes starting in one state give a single value per
        candidate, the same for any two that succeed from there).

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)``, higher is better.

    See Also
    --------
    FittedQEvaluation : The estimate behind each score.

    Examples
    --------
    >>> from sklearn.ensemble import ExtraTreesRegressor
    >>> from sklearn.model_selection import GridSearchCV, GroupKFold
    >>> from skfa.datasets import make_car_on_hill_transitions
    >>> from skfa.rl import FittedQEvaluation, FittedQIteration, policy_value_scorer
    >>> X, y = make_car_on_hill_transitions(60, random_state=0)
    >>> trees = ExtraTreesRegressor(n_estimators=5, random_state=0)
    >>> scorer = policy_value_scorer(
    ...     FittedQEvaluation(None, trees, max_iter=10, random_state=0))
    >>> search = GridSearchCV(
    ...     FittedQIteration(trees, random_state=0), {"max_iter": [1, 10]},
    ...     cv=GroupKFold(n_splits=3), scoring=scorer,
    ... ).fit(X, y, groups=y["episode"])
    >>> search.best_params_
    {'max_iter': 10}
    """
    if evaluator is None:
        evaluator = FittedQEvaluation(None, random_state=0)
    if not isinstance(evaluator, FittedQEvaluation):
        raise ValueError(
            f"evaluator must be a FittedQEvaluation, got {type(evaluator).__name__}."
        )
    if states not in ("initial", "all"):
        raise ValueError(f"states must be 'initial' or 'all', got {states!r}.")

    def score_policy_value(estimator, X, y):
        fitted = clone(evaluator).set_params(policy=estimator).fit(X, y)
        return fitted.value_ if states == "initial" else float(fitted.predict(X).mean())

    return score_policy_value


def behavior_value(X, y, gamma=0.95):
    """The mean discounted return of the logged episodes from their first state.

    This is the value of the policy that logged the data (the behaviour
    policy) at its initial states, the baseline a learned policy must beat:
    ``mean over episodes of sum_t gamma**t r_t``.

    Parameters
    ----------
    X : array-like of shape (n_transitions, n_features)
        The states.
    y : structured ndarray of shape (n_transitions,)
        What followed each state, with an ``episode`` field; each episode's
        transitions in time order.
    gamma : float, default=0.95
        Discount factor, in [0, 1].

    Returns
    -------
    value : float

    Notes
    -----
    An episode that was cut short (its last transition is not terminal, e.g.
    by a time limit) counts with the rewards it logged: what would have come
    after is unknown, so its return, and the mean, leave it out. With
    ``gamma < 1`` that omission is worth at most ``gamma**T`` times the
    largest value, for an episode of ``T`` steps.

    Examples
    --------
    >>> from skfa.rl import behavior_value, pack_transitions
    >>> X, y = pack_transitions(
    ...     states=[[0], [1], [0]], actions=[0, 0, 1], rewards=[0, 1, 2],
    ...     next_states=[[1], [2], [2]], terminals=[False, True, True],
    ...     episodes=[0, 0, 1])
    >>> behavior_value(X, y, gamma=0.5)  # (0 + 0.5 * 1 + 2) / 2
    1.25
    """
    if not (isinstance(gamma, Real) and 0 <= gamma <= 1):
        raise ValueError(f"gamma must be in [0, 1], got {gamma!r}.")
    data = check_transitions(X, y)
    if data.episodes is None:
        raise ValueError(
            "behavior_value needs y's 'episode' field to tell where episodes "
            "start (pack_transitions(..., episodes=...))."
        )
    return float(np.mean(discounted_returns(data.episodes, data.rewards, gamma)))
