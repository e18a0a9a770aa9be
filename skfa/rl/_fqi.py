"""Fitted-Q iteration: offline reinforcement learning with any regressor."""

import numpy as np
from sklearn.utils import check_random_state

from .._compat import _fit_context, with_callbacks
from ._fitted_q import _FittedQ

__all__ = ["FittedQIteration"]


class FittedQIteration(_FittedQ):
    """Fitted-Q iteration: learn a Q-function and a policy from logged data.

    Starting from ``Q_0 = 0``, each iteration regresses the state-action pairs
    of the data onto the bootstrapped targets

    ``r + gamma * (1 - terminal) * max_a' Q_k(s', a')``

    with a clone of ``estimator`` [1]_. With a neural network warm-started across
    iterations this is neural fitted Q-iteration (NFQ) [2]_.

    The data follow skfa's transition contract: ``X`` holds the states and ``y``
    is a structured array saying what followed each state (see
    :func:`~skfa.rl.pack_transitions`), so scikit-learn's splitters,
    ``cross_val_score`` and ``GridSearchCV`` work unchanged.

    Parameters
    ----------
    estimator : regressor, default=None
        The regressor of Q-values. Each model (one per action and run) starts
        as a clone of it, and each iteration fits a successor of the previous
        iteration's model: a clone, or a deep copy for a regressor with
        ``warm_start=True`` (in any step of a pipeline), which continues from
        the previous weights. The previous iteration's models stay as they
        were. None means skfa's default regressor, an ensemble of small
        networks warm-started from iteration to iteration (see Notes). A
        ``Pipeline`` receives ``sample_weight`` in its last step.
    gamma : float, default=0.95
        Discount factor, in [0, 1).
    max_iter : int, default=50
        Number of iterations, i.e. of regressions per action model.
    tol : float, default=None
        Stop once the largest change of Q on the data between two iterations,
        ``max |Q_k(s, a) - Q_{k-1}(s, a)|``, falls below ``tol``. None runs all
        ``max_iter`` iterations, as in Ernst et al.
    action_encoding : {"per_action", "onehot"}, default="per_action"
        ``"per_action"`` fits one clone of ``estimator`` per action on the
        states where that action was taken, as Ernst et al. do; ``"onehot"``
        fits a single model on the states followed by a one-hot encoding of
        the action.
    average : int, default=1
        Iterate averaging: the fitted Q-function is the mean of the Q-functions
        of the last ``average`` iterations (of all of them if fewer ran), which
        :meth:`q_values`, :meth:`predict` and :meth:`score` use. The targets
        of each iteration still come from the previous iteration alone. A
        regressor trained by stochastic gradients ends each iteration at a
        somewhat random point, and the greedy policy swings with it; the mean
        steadies it. Every averaged iteration's regressors are kept, so
        ``average`` multiplies the memory and prediction time of the fitted
        estimator.
    n_runs : int, default=1
        Number of independent runs of fitted-Q iteration, each with its own
        clones of ``estimator`` (seeded one after the other from
        ``random_state``) and bootstrapping from its own Q-function; the fitted
        Q-function is the mean of theirs. The runs iterate side by side, so
        ``n_jobs`` can fit all their models in parallel; a fit costs ``n_runs``
        times as much, and the fitted estimator keeps ``n_runs`` times as many
        regressors.
    pessimism : float, default=0.0
        Act, and bootstrap, on ``Q(s, a) - pessimism * spread(s, a)``, where
        the regressor's ``predict(X, return_std=True)`` gives the spread: for
        :class:`~skfa.neural_network.MLPEnsemble`, the standard deviation of
        its members' predictions, which is large where the data do not decide
        and the members extrapolate each their own way. A positive value
        steers the policy away from actions whose value the data do not show
        (a lower confidence bound, as in Jin et al. 2021 and Ghasemipour et
        al. 2022). Tune it without a simulator with
        :func:`~skfa.rl.policy_value_scorer`.
    clip_targets : bool or tuple of (float, float), default=False
        Clip the bootstrapped targets to the range of returns that rewards in
        ``[r_min, r_max]`` allow, ``[min(r_min, r_min / (1 - gamma)),
        max(r_max, r_max / (1 - gamma))]``. True takes ``r_min`` and ``r_max``
        from the training rewards; a tuple gives them. Clipping keeps an
        extrapolating regressor from diverging.
    warm_start : bool, default=False
        If True and the estimator is fitted, ``fit`` continues the iterations
        from the fitted Q-function for ``max_iter`` more, on the data it is
        given (which must have the fitted actions). Twenty iterations and then
        thirty more fit the same models as fifty in one ``fit``.
    n_jobs : int, default=None
        Number of joblib workers fitting and evaluating the per-action models
        in parallel (threads by default; see ``joblib.parallel_backend``).
        None means 1. With several jobs, BLAS gets ``cpu_count // n_jobs``
        threads per job during ``fit``. Results do not depend on it, up to the
        rounding of BLAS products, which may depend on their thread count.
    random_state : int, RandomState instance or None, default=None
        Seeds the clones: if not None, every ``random_state`` parameter of each
        clone of ``estimator`` is set to a seed drawn from it.
    verbose : int, default=0
        If positive, print one line per iteration.

    Attributes
    ----------
    actions_ : ndarray of shape (n_actions,)
        The sorted action labels seen in ``y["action"]``; the columns of
        :meth:`q_values` follow this order.
    action_encoding_ : {"per_action", "onehot"}
        The action encoding used by ``fit``, which ``predict`` follows.
    estimators_ : list of fitted regressors
        The last iteration's (of the last run): one per action for
        ``"per_action"``, a single one for ``"onehot"``.
    averaged_estimators_ : list of lists of fitted regressors
        The regressors whose Q-values are averaged, each list like
        ``estimators_``: the kept iterations, oldest first, and within each
        iteration its ``n_runs`` runs in order; the last is ``estimators_``.
    n_iter_ : int
        Number of iterations behind the fitted Q-function, over all the fits
        that ``warm_start`` continued: Q looks ``n_iter_`` steps ahead.
    n_runs_ : int
        Number of runs.
    history_ : dict of ndarray of shape (n_iter_,)
        Per iteration on the training data: ``"td_error"``, the mean squared
        TD error of ``Q_k`` on itself (what :meth:`score` negates, when
        nothing is averaged);
        ``"q_change"``, ``max |Q_k - Q_{k-1}|``; and ``"mean_q"``, the mean of
        ``Q_k(s, a)``. With several runs, each run's ``Q_k``: the TD error and
        mean Q averaged over the runs, the largest change of any.
    n_features_in_ : int
        Number of state features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the state features, when ``X`` has string column names.

    See Also
    --------
    skfa.rl.pack_transitions : Build ``(X, y)`` from logged arrays.
    skfa.datasets.make_car_on_hill_transitions : The paper's benchmark data.
    skfa.envs.CarOnHill : Simulator that scores a fitted policy.

    Notes
    -----
    The default estimator, ``default_q_regressor()``, is an
    :class:`~skfa.neural_network.MLPEnsemble`: a few small tanh networks
    trained side by side on standardized inputs and targets, each on its own
    minibatches, warm-started from one iteration to the next for a fixed
    number of optimizer steps, as in neural fitted-Q iteration [2]_. Fitted-Q
    iteration acts on their mean, which is steadier where the data end than
    any one network, and ``pessimism`` on their spread. A fixed number of
    steps per iteration keeps the work per iteration independent of the size
    of the data, and one state is one small computation.
    ``benchmarks/bench_fqi.py`` measures it against the paper's extra-trees,
    and ``benchmarks/fqi_default_trials.md`` records how it was chosen.

    Each iteration fits every model once and calls ``predict`` once per model,
    on the states of the data and on all next states together; the model
    inputs are built once per ``fit``.

    On ``KeyboardInterrupt`` (Ctrl-C), ``fit`` stops, warns, and keeps the
    Q-function of the last completed iteration, as scikit-learn's MLP keeps
    its weights; a later ``fit`` with ``warm_start=True`` continues from it.

    ``y["terminal"]`` marks next states that end the episode (nothing is
    bootstrapped from them); a transition cut by a time limit is not terminal.

    :meth:`score` is the negative mean squared TD error: it measures how well
    the Q-function agrees with the data, not how good its policy is where the
    data end, and it ranks policies poorly. To choose between policies without
    a simulator, score them with :func:`~skfa.rl.policy_value_scorer`, which
    estimates each policy's value by fitted-Q evaluation.

    References
    ----------
    .. [1] D. Ernst, P. Geurts and L. Wehenkel, "Tree-Based Batch Mode
       Reinforcement Learning", Journal of Machine Learning Research 6,
       pp. 503-556, 2005.
    .. [2] M. Riedmiller, "Neural Fitted Q Iteration - First Experiences with a
       Data Efficient Neural Reinforcement Learning Method", ECML 2005.

    Examples
    --------
    A three-state chain: moving right (action 1) from the last state ends the
    episode with reward 1.

    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from skfa.rl import FittedQIteration, pack_transitions
    >>> X, y = pack_transitions(
    ...     states=[[0], [0], [1], [1], [2], [2]],
    ...     actions=[0, 1, 0, 1, 0, 1],
    ...     rewards=[0, 0, 0, 0, 0, 1],
    ...     next_states=[[0], [1], [0], [2], [1], [2]],
    ...     terminals=[False, False, False, False, False, True])
    >>> fqi = FittedQIteration(DecisionTreeRegressor(), gamma=0.5, tol=1e-9)
    >>> fqi.fit(X, y).predict([[0], [1], [2]])
    array([1, 1, 1])
    >>> fqi.q_values([[0], [1], [2]])
    array([[0.125, 0.25 ],
           [0.125, 0.5  ],
           [0.25 , 1.   ]])
    >>> fqi.score(X, y)
    -0.0
    """

    def __init__(
        self,
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
        warm_start=False,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.gamma = gamma
        self.max_iter = max_iter
        self.tol = tol
        self.action_encoding = action_encoding
        self.average = average
        self.n_runs = n_runs
        self.pessimism = pessimism
        self.clip_targets = clip_targets
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _backup(self, next_states):
        """The greedy backup: ``V(s') = max_a' Q(s', a')``; it reads every action's."""
        return (lambda next_q: next_q.max(axis=-1)), None

    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Run fitted-Q iteration on logged transitions.

        Parameters
        ----------
        X : array-like of shape (n_transitions, n_features)
            The states.
        y : structured ndarray of shape (n_transitions,)
            What followed each state; see :func:`~skfa.rl.pack_transitions`.
        sample_weight : array-like of shape (n_transitions,), default=None
            Weights passed to every iteration's regression (split by action
            for ``"per_action"``) and used in ``history_``.

        Returns
        -------
        self : FittedQIteration
            The fitted estimator.
        """
        self._fit_q(X, y, sample_weight, check_random_state(self.random_state))
        return self

    def predict(self, X):
        """Greedy action in each state.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            States.

        Returns
        -------
        actions : ndarray of shape (n_samples,)
            The action label, from ``actions_``, of largest Q-value; ties go to
            the first.
        """
        q = self.q_values(X)
        return self.actions_[np.argmax(q, axis=1)]
