"""Fitted-Q iteration: offline reinforcement learning with any regressor."""

import copy
import warnings
from collections import deque
from numbers import Integral, Real

import numpy as np
from joblib import cpu_count, effective_n_jobs
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, has_fit_parameter
from threadpoolctl import threadpool_limits

from .._compat import (
    CallbackSupportMixin,
    HasMethods,
    Interval,
    StrOptions,
    _fit_context,
    init_callback_context,
    validate_data,
    with_callbacks,
)
from ._default import (
    DEFAULT_NETWORK_AVERAGE,
    DEFAULT_NETWORK_RUNS,
    default_q_regressor,
)
from ._transitions import check_transitions

__all__ = ["FittedQIteration"]


class FittedQIteration(CallbackSupportMixin, BaseEstimator):
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
        The regressor of Q-values; it is cloned once per model at the start of
        ``fit`` and refitted in every iteration. None means a
        :class:`~sklearn.preprocessing.StandardScaler` followed by skfa's
        :class:`~skfa.neural_network.MLPApproximator` with ``warm_start=True``,
        so each iteration continues from the previous weights for a fixed
        number of epochs (neural fitted-Q, NFQ); see Notes. Its parameters are
        tunable (``estimator__*``) only when it is passed explicitly. A
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
    average : int or "auto", default="auto"
        Iterate averaging: the fitted Q-function is the mean of the Q-functions
        of the last ``average`` iterations (of all of them if fewer ran), which
        :meth:`q_values`, :meth:`predict` and :meth:`score` use. The targets
        of each iteration still come from the previous iteration alone. A
        regressor trained by stochastic gradients ends each iteration at a
        somewhat random point, and the greedy policy swings with it; the mean
        steadies it. ``"auto"`` is 10 for the default network and 1 (no
        averaging, as in Ernst et al.) for an explicit ``estimator``. Every
        averaged iteration's regressors are kept, so ``average`` multiplies
        the memory and prediction time of the fitted estimator: with the
        default network (10 iterations of 3 runs), a call that predicts one
        state takes about 14 ms instead of 0.4 ms, mostly scikit-learn's
        per-call overhead of the 60 pipelines; predict many states per call
        where you can.
    n_runs : int or "auto", default="auto"
        Number of independent runs of fitted-Q iteration, each with its own
        clones of ``estimator`` (seeded one after the other from
        ``random_state``) and bootstrapping from its own Q-function; the fitted
        Q-function is the mean of theirs. A network's Q-values where the data
        end depend on its seed, and the mean over seeds steadies them.
        ``"auto"`` is 3 for the default network and 1 for an explicit
        ``estimator``. The runs iterate side by side, so ``n_jobs`` can fit
        all their models in parallel; a fit costs ``n_runs`` times as much,
        and the fitted estimator keeps ``n_runs`` times as many regressors.
    clip_targets : bool or tuple of (float, float), default=False
        Clip the bootstrapped targets to the range of returns that rewards in
        ``[r_min, r_max]`` allow, ``[min(r_min, r_min / (1 - gamma)),
        max(r_max, r_max / (1 - gamma))]``. True takes ``r_min`` and ``r_max``
        from the training rewards; a tuple gives them. Clipping keeps an
        extrapolating regressor from diverging.
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
        Number of iterations run.
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
    The default estimator is ``make_pipeline(StandardScaler(),
    FunctionTransformer(as_float32), MLPApproximator(hidden_layer_sizes=(64,
    64, 64, 64), activation="tanh", alpha=0.01, batch_size=2048,
    learning_rate_init=0.003, max_iter=40, n_iter_no_change=np.inf,
    average=20, warm_start=True))``, one per action, computing in float32:
    each iteration trains 40 more epochs from the previous weights, as in
    NFQ [2]_, and hands on the mean of the weights over the last 20 of them.
    With it, ``average="auto"`` averages the Q-functions of the last 10
    iterations, and ``n_runs="auto"`` those of 3 seeded runs. On the car on
    the hill (1,000 random episodes, 50 iterations) it scores 0.29-0.32
    (mean 0.30 over four seeds), where one run scores 0.15-0.33 depending on
    its seed and the paper's extra-trees 0.277-0.296 (median 0.284 over nine
    seeds); a fit takes 316-413 s on two cores (289 s with ``n_jobs=2``),
    three to four times the trees' 99-111 s with ``n_jobs=2``. On sets of
    episodes that barely show what lies beyond the data, the runs can
    extrapolate the wrong way together: on two of seven other sets it scored
    0.11 and 0.17, where the trees scored 0.24 and 0.25.
    ``benchmarks/bench_fqi.py`` measures it, and
    ``benchmarks/fqi_default_trials.md`` records what was tried.

    Each iteration fits every model once and calls ``predict`` once per model,
    on the states of the data and on all next states together; the model
    inputs are built once per ``fit``.

    ``y["terminal"]`` marks next states that end the episode (nothing is
    bootstrapped from them); a transition cut by a time limit is not terminal.

    :meth:`score` is the negative mean squared TD error, which ranks candidates
    without a simulator; its scale grows with the returns, so compare it
    between candidates that share ``gamma`` and the rewards.

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

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "gamma": [Interval(Real, 0, 1, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "action_encoding": [StrOptions({"per_action", "onehot"})],
        "average": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_runs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "clip_targets": ["boolean", tuple],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        gamma=0.95,
        max_iter=50,
        tol=None,
        action_encoding="per_action",
        average="auto",
        n_runs="auto",
        clip_targets=False,
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
        self.clip_targets = clip_targets
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

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
        X = validate_data(self, X, reset=True, dtype=np.float64)
        data = check_transitions(X, y)
        sample_weight = self._check_sample_weight(sample_weight, len(X))
        estimator = self._resolve_estimator(sample_weight)
        bounds = self._target_bounds(data.rewards)

        self.actions_, action_index = np.unique(data.actions, return_inverse=True)
        self.action_encoding_ = self.action_encoding
        rng = check_random_state(self.random_state)
        n_runs = self._resolve_auto(self.n_runs, DEFAULT_NETWORK_RUNS)
        runs = [self._make_models(estimator, rng) for _ in range(n_runs)]
        problem = self._regression_problem(data, action_index, sample_weight)
        # scikit-learn's callbacks see one subtask per iteration, and inside it
        # the fits of the regressors, each with its own subtasks (epochs).
        fit_task = init_callback_context(self, max_subtasks=self.max_iter)
        fit_task.call_on_fit_task_begin(estimator=self, X=X, y=y)
        with warnings.catch_warnings():
            if self.estimator is None:
                # The default MLP trains a fixed number of epochs per iteration
                # on purpose; it would warn about convergence at every one.
                warnings.simplefilter("ignore", ConvergenceWarning)
            averaged, history = self._iterate(
                runs, problem, data, sample_weight, bounds, fit_task
            )
        self.averaged_estimators_ = averaged
        self.estimators_ = averaged[-1]
        fit_task.call_on_fit_task_end(estimator=self, X=X, y=y)
        self.n_iter_ = len(history["q_change"])
        self.history_ = {key: np.asarray(values) for key, values in history.items()}
        if self.tol is not None and self.history_["q_change"][-1] >= self.tol:
            warnings.warn(
                f"FittedQIteration did not converge in {self.max_iter} iterations: "
                f"the last Q change was {self.history_['q_change'][-1]:.3g} >= "
                f"tol={self.tol}. Increase max_iter or tol.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def _iterate(self, runs, problem, data, sample_weight, bounds, fit_task):
        """The fitted-Q iterations of every run, side by side.

        ``runs`` holds one list of models per run; each run bootstraps its
        targets from its own Q-function alone. Returns the model lists whose
        Q-functions are averaged (the kept iterations, oldest first, each
        iteration's runs in order) and the history.
        """
        rewards, terminal, gamma = data.rewards, data.terminals, self.gamma
        n_runs, models_per_run = len(runs), len(runs[0])
        # Regressors are refitted in place (and may warm-start), so an earlier
        # iteration's models are kept as copies.
        n_averaged = self._resolve_auto(self.average, DEFAULT_NETWORK_AVERAGE)
        earlier = deque(maxlen=(n_averaged - 1) * n_runs)
        q_sa = np.zeros((n_runs, len(rewards)))
        next_q = np.zeros((n_runs, len(rewards), len(self.actions_)))  # Q_0 = 0
        history = {"td_error": [], "q_change": [], "mean_q": []}
        # Threads share the process's BLAS: with each of n_jobs threads running
        # BLAS on every core, the cores are oversubscribed (an MLP per action
        # ran 15-30x slower on 2 cores). Give each its share, as loky does.
        n_workers = effective_n_jobs(self.n_jobs)
        blas_threads = max(cpu_count() // n_workers, 1) if n_workers > 1 else None
        with (
            Parallel(n_jobs=self.n_jobs, prefer="threads") as parallel,
            threadpool_limits(blas_threads, user_api="blas"),
        ):
            for iteration in range(1, self.max_iter + 1):
                iteration_task = fit_task.subcontext(
                    task_name="iteration",
                    max_subtasks=n_runs * models_per_run,
                    sequential_subtasks=False,
                )
                iteration_task.call_on_fit_task_begin(estimator=self)
                targets = td_target(rewards, terminal, next_q, gamma)
                if bounds is not None:
                    np.clip(targets, *bounds, out=targets)
                # Every run's models fit in one parallel call, run after run.
                jobs = [
                    (model, inputs, run_targets[rows], weights)
                    for models, run_targets in zip(runs, targets, strict=True)
                    for model, (inputs, rows, weights) in zip(
                        models, problem.fits, strict=True
                    )
                ]
                # Each regressor's fit is a leaf of the iteration, which the
                # regressor's own task tree (its epochs) grows from.
                fit_tasks = [
                    iteration_task.subcontext(task_name="regressor fit", task_id=index)
                    for index in range(len(jobs))
                ]
                fitted = parallel(
                    delayed(_fit)(*job, task)
                    for job, task in zip(jobs, fit_tasks, strict=True)
                )
                runs = [
                    fitted[first : first + models_per_run]
                    for first in range(0, len(fitted), models_per_run)
                ]
                previous_q_sa = q_sa
                evaluations = [problem.evaluate(models, parallel) for models in runs]
                q_sa = np.stack([run_q_sa for run_q_sa, _ in evaluations])
                next_q = np.stack([run_next_q for _, run_next_q in evaluations])
                if not (np.isfinite(q_sa).all() and np.isfinite(next_q).all()):
                    raise ValueError(
                        f"The Q-values became NaN or infinite at iteration "
                        f"{iteration}; try clip_targets=True or a smaller gamma."
                    )
                td_error = td_target(rewards, terminal, next_q, gamma) - q_sa
                # Each run's TD error and mean Q, averaged over the runs; the
                # largest change of any run's Q.
                record = {
                    "td_error": np.mean(
                        np.average(td_error**2, axis=1, weights=sample_weight)
                    ),
                    "q_change": np.max(np.abs(q_sa - previous_q_sa)),
                    "mean_q": np.mean(np.average(q_sa, axis=1, weights=sample_weight)),
                }
                for key, value in record.items():
                    history[key].append(value)
                if self.verbose:
                    print(
                        f"Iteration {iteration}/{self.max_iter}: "
                        f"TD error {record['td_error']:.4g}, "
                        f"Q change {record['q_change']:.4g}, "
                        f"mean Q {record['mean_q']:.4g}"
                    )

                def fitted_so_far(runs=runs, earlier=tuple(earlier)):
                    # What fit would leave had it stopped here: the earlier
                    # iterations' copies are never refitted, so they are shared.
                    runs = copy.deepcopy(runs)
                    return {
                        "estimators_": runs[-1],
                        "averaged_estimators_": [*earlier, *runs],
                    }

                stop = iteration_task.call_on_fit_task_end(
                    estimator=self, reconstruction_attributes=fitted_so_far
                )
                if stop or (self.tol is not None and record["q_change"] < self.tol):
                    break
                if n_averaged > 1 and iteration < self.max_iter:
                    earlier.extend(copy.deepcopy(runs))
        return [*earlier, *runs], history

    def q_values(self, X):
        """Q-value of every action in each state.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            States.

        Returns
        -------
        q : ndarray of shape (n_samples, n_actions)
            Column ``j`` holds ``Q(s, actions_[j])``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self._q_values(X)

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

    def score(self, X, y, sample_weight=None):
        """Negative mean squared TD error of the fitted Q on transitions.

        Parameters
        ----------
        X : array-like of shape (n_transitions, n_features)
            The states.
        y : structured ndarray of shape (n_transitions,)
            What followed each state; see :func:`~skfa.rl.pack_transitions`.
        sample_weight : array-like of shape (n_transitions,), default=None
            Weights of the squared errors.

        Returns
        -------
        score : float
            ``-mean((r + gamma (1 - terminal) max_a' Q(s', a') - Q(s, a))**2)``;
            0 for a Q-function that is consistent on the data, higher is better.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        data = check_transitions(X, y)
        sample_weight = self._check_sample_weight(sample_weight, len(X))
        unknown = np.setdiff1d(data.actions, self.actions_)
        if unknown.size:
            raise ValueError(
                f"y['action'] holds actions {unknown.tolist()} never seen in fit; "
                f"known actions are {self.actions_.tolist()}."
            )
        q = self._q_values(X)
        next_q = self._q_values(data.next_states)
        q_sa = q[np.arange(len(X)), np.searchsorted(self.actions_, data.actions)]
        rewards, terminal, gamma = data.rewards, data.terminals, self.gamma
        td_error = td_target(rewards, terminal, next_q, gamma) - q_sa
        return -float(np.average(td_error**2, weights=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags

    # ----------------------------------------------------------------- helpers
    def _q_values(self, states):
        q = self._q_values_of(self.averaged_estimators_[0], states)
        for models in self.averaged_estimators_[1:]:
            q += self._q_values_of(models, states)
        return q / len(self.averaged_estimators_)

    def _q_values_of(self, models, states):
        """The Q-values of one iteration's models, shape (n_states, n_actions).

        In float64 whatever the regressors return (the default network
        predicts in float32), so that averages and users see one dtype.
        """
        if self.action_encoding_ == "per_action":
            q = np.column_stack([model.predict(states) for model in models])
        else:
            n_actions = len(self.actions_)
            q = _q_table(models[0].predict(_every_action(states, n_actions)), n_actions)
        return q.astype(np.float64, copy=False)

    def _resolve_auto(self, value, network_default):
        """An ``"auto"`` count: ``network_default`` for the default network, 1
        (nothing averaged) for an explicit estimator."""
        if value != "auto":
            return value
        return network_default if self.estimator is None else 1

    def _resolve_estimator(self, sample_weight):
        if self.estimator is None:
            estimator = default_q_regressor()
        else:
            estimator = self.estimator
        if sample_weight is not None and not has_fit_parameter(
            _final_step(estimator), "sample_weight"
        ):
            raise ValueError(
                f"{type(_final_step(estimator)).__name__}.fit does not accept "
                "sample_weight."
            )
        return estimator

    def _make_models(self, estimator, rng):
        n_models = len(self.actions_) if self.action_encoding_ == "per_action" else 1
        models = [clone(estimator) for _ in range(n_models)]
        if self.random_state is not None:
            for model in models:
                _seed(model, rng)
        return models

    def _target_bounds(self, rewards):
        if self.clip_targets is False:
            return None
        if self.clip_targets is True:
            r_min, r_max = rewards.min(), rewards.max()
        else:
            try:
                r_min, r_max = (float(bound) for bound in self.clip_targets)
            except (TypeError, ValueError) as error:
                raise ValueError(
                    "clip_targets must be a bool or a tuple (r_min, r_max), "
                    f"got {self.clip_targets!r}."
                ) from error
            if not (np.isfinite([r_min, r_max]).all() and r_min <= r_max):
                raise ValueError(
                    f"clip_targets=(r_min, r_max) needs finite r_min <= r_max, "
                    f"got {self.clip_targets!r}."
                )
        horizon = 1 / (1 - self.gamma)
        return min(r_min, r_min * horizon), max(r_max, r_max * horizon)

    def _regression_problem(self, data, action_index, sample_weight):
        if self.action_encoding_ == "per_action":
            return _PerActionProblem(data, action_index, sample_weight)
        return _OneHotProblem(data, action_index, sample_weight)

    @staticmethod
    def _check_sample_weight(sample_weight, n_samples):
        if sample_weight is None:
            return None
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        if sample_weight.shape != (n_samples,):
            raise ValueError(
                f"sample_weight must have shape ({n_samples},), got "
                f"{sample_weight.shape}."
            )
        if not np.isfinite(sample_weight).all() or (sample_weight < 0).any():
            raise ValueError("sample_weight must be finite and non-negative.")
        if not sample_weight.sum() > 0:
            raise ValueError("sample_weight must not be all zero.")
        return sample_weight


class _PerActionProblem:
    """One model per action; each sees the states where its action was taken.

    ``fits[j]`` is ``(inputs, rows, weights)`` for model ``j``: its inputs are
    the states of action ``j`` followed by all next states, built once, so one
    ``predict`` per model and iteration returns both ``Q(s, a_j)`` on its own
    rows and ``Q(s', a_j)`` for every next state.
    """

    def __init__(self, data, action_index, sample_weight):
        self.n_samples = len(data.states)
        self.fits = []
        self._stacked = []
        for action in range(action_index.max() + 1):
            rows = np.flatnonzero(action_index == action)
            stacked = np.concatenate([data.states[rows], data.next_states])
            weights = None if sample_weight is None else sample_weight[rows]
            self.fits.append((stacked[: len(rows)], rows, weights))
            self._stacked.append(stacked)

    def evaluate(self, models, parallel):
        predictions = parallel(
            delayed(model.predict)(stacked)
            for model, stacked in zip(models, self._stacked, strict=True)
        )
        q_sa = np.empty(self.n_samples)
        next_q = np.empty((self.n_samples, len(models)))
        for action, ((_, rows, _), q) in enumerate(
            zip(self.fits, predictions, strict=True)
        ):
            q_sa[rows] = q[: len(rows)]
            next_q[:, action] = q[len(rows) :]
        return q_sa, next_q


class _OneHotProblem:
    """One model on ``[state, one-hot action]``.

    The design matrix and the next-state inputs for every action are stacked
    once per fit, so one ``predict`` per iteration returns ``Q(s, a)`` and
    ``Q(s', a')`` for all ``a'``.
    """

    def __init__(self, data, action_index, sample_weight):
        self.n_samples = len(data.states)
        self.n_actions = action_index.max() + 1
        self._stacked = np.vstack(
            [
                _with_onehot(data.states, action_index, self.n_actions),
                _every_action(data.next_states, self.n_actions),
            ]
        )
        rows = slice(None)
        self.fits = [(self._stacked[: self.n_samples], rows, sample_weight)]

    def evaluate(self, models, parallel):
        q = models[0].predict(self._stacked).astype(np.float64, copy=False)
        return q[: self.n_samples], _q_table(q[self.n_samples :], self.n_actions)


def _every_action(states, n_actions):
    """Each state with each action's one-hot code appended, action by action.

    Rows ``a * n_states`` to ``(a + 1) * n_states`` pair every state with
    action ``a``; :func:`_q_table` turns one prediction per row back into a
    table of Q-values.
    """
    return _with_onehot(
        np.tile(states, (n_actions, 1)),
        np.repeat(np.arange(n_actions), len(states)),
        n_actions,
    )


def _with_onehot(states, action_index, n_actions):
    """Each state followed by the one-hot code of its action (an index)."""
    n_samples, n_features = states.shape
    inputs = np.zeros((n_samples, n_features + n_actions))
    inputs[:, :n_features] = states
    inputs[np.arange(n_samples), n_features + action_index] = 1.0
    return inputs


def _q_table(predictions, n_actions):
    """Predictions on :func:`_every_action`'s rows as (n_states, n_actions)."""
    return predictions.reshape(n_actions, -1).T


def td_target(rewards, terminal, next_q, gamma):
    """The bootstrapped target ``r + gamma (1 - terminal) max_a' Q(s', a')``.

    ``next_q`` holds one Q-value per action along its last axis (and may
    stack several runs' along its first); nothing is bootstrapped from a
    terminal next state.
    """
    return rewards + gamma * (1 - terminal) * next_q.max(axis=-1)


def _fit(model, inputs, targets, sample_weight, task):
    fit_params = {}
    if sample_weight is not None:
        name = f"{model.steps[-1][0]}__" if isinstance(model, Pipeline) else ""
        fit_params = {f"{name}sample_weight": sample_weight}
    with task.propagate_callback_context(model):
        return model.fit(inputs, targets, **fit_params)


def _final_step(estimator):
    """The regressor that receives ``sample_weight``: a Pipeline's last step."""
    return estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator


def _seed(estimator, rng):
    """Set every ``random_state`` parameter of ``estimator`` from ``rng``.

    Seeds are drawn in sorted parameter order, so they depend only on ``rng``,
    not on which worker later fits the estimator.
    """
    seeds = {
        key: rng.randint(np.iinfo(np.int32).max)
        for key in sorted(estimator.get_params(deep=True))
        if key == "random_state" or key.endswith("__random_state")
    }
    if seeds:
        estimator.set_params(**seeds)
