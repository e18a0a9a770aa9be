"""What fitted-Q iteration and fitted-Q evaluation share: everything but the backup.

Both regress ``Q_k(s, a)`` on ``r + gamma * (1 - terminal) * V_{k-1}(s')`` over
logged transitions, iteration after iteration. Fitted-Q iteration backs up
``V(s') = max_a' Q(s', a')``; fitted-Q evaluation backs up the evaluated
policy's ``V(s') = sum_a' pi(a' | s') Q(s', a')``. Each subclass writes its
backup on one line (``_backup``); the target, the iterations, the regression
problems (one model per action or one on one-hot actions), sample weights,
parallel fits, averaging, independent runs, callbacks, warm starts and
interruptions live here, once.
"""

import copy
import warnings
from collections import deque
from inspect import signature
from numbers import Integral, Real

import numpy as np
from joblib import cpu_count, effective_n_jobs
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, has_fit_parameter
from threadpoolctl import threadpool_limits

from .._compat import (
    CallbackSupportMixin,
    HasMethods,
    Interval,
    StrOptions,
    _check_sample_weight,
    init_callback_context,
    validate_data,
)
from ..utils._validation import is_validated
from ._default import default_q_regressor
from ._transitions import check_transitions

__all__ = []


class _FittedQ(CallbackSupportMixin, BaseEstimator):
    """The shared machinery of FittedQIteration and FittedQEvaluation.

    A subclass defines ``__init__`` (with the parameters below and its own)
    and ``_backup(next_states)``, which returns the function that turns the
    Q-values at the next states, ``next_q[..., a]``, into their values
    ``V(s')``, and which of those Q-values it reads: a boolean mask of shape
    (n_next_states, n_actions), or None for all of them. Only those are
    predicted. The target is the same for both:
    ``r + gamma * (1 - terminal) * V(s')``.
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "gamma": [Interval(Real, 0, 1, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "action_encoding": [StrOptions({"per_action", "onehot"})],
        "average": [Interval(Integral, 1, None, closed="left")],
        "n_runs": [Interval(Integral, 1, None, closed="left")],
        "pessimism": [Interval(Real, 0, None, closed="left")],
        "clip_targets": ["boolean", tuple],
        "warm_start": ["boolean"],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # ------------------------------------------------------------------ fit
    def _fit_q(self, X, y, sample_weight, rng):
        """Validate the transitions and run the iterations; return the data.

        ``rng`` (from ``random_state``) seeds the regressors' clones.
        """
        continuing = self.warm_start and hasattr(self, "averaged_estimators_")
        X = validate_data(self, X, reset=not continuing, dtype=np.float64)
        data = check_transitions(X, y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        if continuing:
            action_index = self._known_action_index(data.actions, "fit")
        else:
            self.actions_, action_index = np.unique(data.actions, return_inverse=True)
            self.action_encoding_ = self.action_encoding
        backup, reads = self._backup(data.next_states)
        problem = self._regression_problem(data, action_index, reads, sample_weight)
        targets = self._td_targets(data, backup)
        if continuing:
            iterations = self._resume(problem, targets)
        else:
            iterations = self._start(problem, targets, sample_weight, rng)
        # scikit-learn's callbacks see one subtask per iteration, and inside it
        # the fits of the regressors, each with its own subtasks (epochs).
        fit_task = init_callback_context(self, max_subtasks=self.max_iter)
        fit_task.call_on_fit_task_begin(estimator=self, X=X, y=y)
        bounds = self._target_bounds(data.rewards)
        self._iterate_until_stopped(iterations, bounds, fit_task)
        self._keep(iterations)
        fit_task.call_on_fit_task_end(estimator=self, X=X, y=y)
        self._warn_if_not_converged()
        return data

    def _td_targets(self, data, backup):
        """The targets on ``data`` as a function of Q-values at its next states.

        ``backup`` is the one ``_backup`` returns for ``data.next_states``.
        Nothing is bootstrapped from a terminal next state. ``next_q`` holds
        one Q-value per action along its last axis, and may stack several
        runs' along its first.
        """

        def td_targets(next_q):
            return data.rewards + self.gamma * (1 - data.terminals) * backup(next_q)

        return td_targets

    def _start(self, problem, targets, sample_weight, rng):
        """Fresh clones of the regressor, one set per run, and Q_0 = 0."""
        estimator = self._resolve_estimator(sample_weight)
        runs = [self._make_models(estimator, rng) for _ in range(self.n_runs)]
        return self._iterations(runs, problem, targets)

    def _resume(self, problem, targets):
        """The iterations as the last fit left them, bootstrapping from its Q."""
        n_runs = self.n_runs_
        changed = {
            "action_encoding": (self.action_encoding, self.action_encoding_),
            "n_runs": (self.n_runs, n_runs),
        }
        for name, (now, fitted) in changed.items():
            if now != fitted:
                raise ValueError(
                    f"warm_start=True continues the fitted models, which have "
                    f"{name}={fitted!r}; got {name}={now!r}. Set warm_start=False "
                    "to start afresh."
                )
        runs = self.averaged_estimators_[-n_runs:]
        iterations = self._iterations(runs, problem, targets, self.history_)
        iterations.kept.extend(self.averaged_estimators_[:-n_runs])
        with _Threads(n_jobs=self.n_jobs) as parallel:
            iterations.resume(parallel)
        return iterations

    def _iterations(self, runs, problem, targets, history=None):
        return _Iterations(
            runs, problem, targets, self._predict_q, self.average, history
        )

    def _iterate_until_stopped(self, iterations, bounds, fit_task):
        """Iterate; on Ctrl-C, keep the last completed iteration and warn."""
        n_before = iterations.n_iter
        try:
            self._iterate(iterations, bounds, fit_task)
        except KeyboardInterrupt:
            if iterations.n_iter == 0:
                raise  # nothing was learned: there is no model to keep
            warnings.warn(
                f"{type(self).__name__} was interrupted; it keeps the Q-function "
                f"of iteration {iterations.n_iter} ({iterations.n_iter - n_before} "
                "completed in this fit).",
                UserWarning,
                stacklevel=4,
            )

    def _iterate(self, iterations, bounds, fit_task):
        """Up to ``max_iter`` iterations: targets, fits, Q-values, record."""
        with (
            _Threads(n_jobs=self.n_jobs) as parallel,
            threadpool_limits(_blas_threads_per_job(self.n_jobs), user_api="blas"),
        ):
            last = iterations.n_iter + self.max_iter
            for _ in range(self.max_iter):
                iteration_task = fit_task.subcontext(
                    task_name="iteration",
                    max_subtasks=iterations.n_models,
                    sequential_subtasks=False,
                )
                iteration_task.call_on_fit_task_begin(estimator=self)
                targets = iterations.td_targets(iterations.next_q)
                if bounds is not None:
                    np.clip(targets, *bounds, out=targets)
                record = iterations.step(parallel, targets, iteration_task)
                self._report(iterations.n_iter, last, record)
                stop = iteration_task.call_on_fit_task_end(
                    estimator=self, reconstruction_attributes=iterations.attributes
                )
                if stop or (self.tol is not None and record["q_change"] < self.tol):
                    break

    def _keep(self, iterations):
        """Store what the iterations learned as fitted attributes."""
        for name, value in iterations.attributes().items():
            setattr(self, name, value)

    def _report(self, iteration, last, record):
        if self.verbose:
            print(
                f"Iteration {iteration}/{last}: TD error {record['td_error']:.4g}, "
                f"Q change {record['q_change']:.4g}, mean Q {record['mean_q']:.4g}"
            )

    def _warn_if_not_converged(self):
        if self.tol is not None and self.history_["q_change"][-1] >= self.tol:
            warnings.warn(
                f"{type(self).__name__} did not converge in {self.max_iter} "
                f"iterations: the last Q change was "
                f"{self.history_['q_change'][-1]:.3g} >= tol={self.tol}. "
                "Increase max_iter or tol.",
                ConvergenceWarning,
                stacklevel=4,
            )

    # -------------------------------------------------------------- predict
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
        if not is_validated(self, X, np.float64):
            check_is_fitted(self)
            X = validate_data(self, X, reset=False, dtype=np.float64)
        return self._q_values(X)

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
            ``-mean((target - Q(s, a))**2)`` with this estimator's target; 0
            for a Q-function that is consistent on the data, higher is better.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        data = check_transitions(X, y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        action_index = self._known_action_index(data.actions, "score")
        q = self._q_values(X)
        next_q = self._q_values(data.next_states)
        q_sa = q[np.arange(len(X)), action_index]
        backup, _ = self._backup(data.next_states)
        td_error = self._td_targets(data, backup)(next_q) - q_sa
        return -float(np.average(td_error**2, weights=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags

    # ------------------------------------------------------------- helpers
    def _q_values(self, states):
        """The mean of the kept iterations' Q-values, shape (n_states, n_actions)."""
        q = self._q_values_of(self.averaged_estimators_[0], states)
        for models in self.averaged_estimators_[1:]:
            q += self._q_values_of(models, states)
        return q / len(self.averaged_estimators_)

    def _q_values_of(self, models, states):
        """The Q-values of one iteration's models, shape (n_states, n_actions).

        In float64 whatever the regressors return (a regressor fitted on
        float32 data may predict in float32), so that averages and users see
        one dtype.
        """
        if self.action_encoding_ == "per_action":
            q = np.column_stack([self._predict_q(model, states) for model in models])
        else:
            n_actions = len(self.actions_)
            inputs = _every_action(states, n_actions)
            q = _q_table(self._predict_q(models[0], inputs), n_actions)
        return q.astype(np.float64, copy=False)

    def _known_action_index(self, actions, method):
        """The column of each action in ``actions_``; unknown actions raise."""
        unknown = np.setdiff1d(actions, self.actions_)
        if unknown.size:
            raise ValueError(
                f"y['action'] holds actions {unknown.tolist()} never seen in fit; "
                f"known actions are {self.actions_.tolist()}"
                + (
                    ". warm_start=True continues with the fitted actions."
                    if method == "fit"
                    else "."
                )
            )
        return np.searchsorted(self.actions_, actions)

    def _resolve_estimator(self, sample_weight):
        estimator = default_q_regressor() if self.estimator is None else self.estimator
        regressor = _final_step(estimator)
        if sample_weight is not None and not has_fit_parameter(
            regressor, "sample_weight"
        ):
            raise ValueError(
                f"{type(regressor).__name__}.fit does not accept sample_weight."
            )
        if (
            self.pessimism
            and "return_std" not in signature(regressor.predict).parameters
        ):
            raise ValueError(
                f"pessimism={self.pessimism} needs a regressor whose "
                "predict(X, return_std=True) gives the spread of its predictions "
                "(e.g. skfa's MLPEnsemble, the default); "
                f"{type(regressor).__name__}.predict has no return_std."
            )
        return estimator

    def _predict_q(self, model, X):
        """A model's Q-values: its prediction, less ``pessimism`` times its spread."""
        if not self.pessimism:
            return model.predict(X)
        mean, std = model.predict(X, return_std=True)
        return mean - self.pessimism * std

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

    def _regression_problem(self, data, action_index, next_actions, sample_weight):
        n_actions = len(self.actions_)
        if next_actions is None:
            next_actions = np.ones((len(data.next_states), n_actions), dtype=bool)
        problem = (
            _PerActionProblem
            if self.action_encoding_ == "per_action"
            else _OneHotProblem
        )
        return problem(data, action_index, next_actions, sample_weight)


class _Threads(Parallel):
    """scikit-learn's ``Parallel`` on threads, leaving the warning filters as
    it found them.

    Before Python 3.14 the warning filters are one list shared by all
    threads, and each task of scikit-learn's ``Parallel`` (ours, and those
    inside the regressors' fits) replaces it and restores it on its own
    (``warnings.catch_warnings``). Two threads doing so at once can leave the
    list as one of them had set it for its task: the user's filters lost, or a
    filter meant for one task left in force for the rest of the process. Each
    call restores the list the caller had.
    """

    def __init__(self, n_jobs):
        super().__init__(n_jobs=n_jobs, prefer="threads")

    def __call__(self, iterable):
        with warnings.catch_warnings():
            return super().__call__(iterable)


class _Iterations:
    """The state of the iterations of every run, side by side.

    ``runs`` holds one list of models per run, each run bootstrapping its
    targets from its own Q-function alone (``td_targets`` maps Q-values at the
    next states to targets); ``q_sa`` and ``next_q`` are their
    Q-values on the data, shape (n_runs, n) and (n_runs, n, n_actions). Each
    iteration fits successors of the models (:func:`_successor`) and leaves the
    earlier ones as they were: ``kept`` holds the earlier iterations' models
    whose Q-functions are averaged with the last one's, and an iteration
    changes the state only once it is complete, so an interrupted one leaves
    the last completed iteration whole.
    """

    def __init__(self, runs, problem, td_targets, predict, n_averaged, history=None):
        self.runs = runs
        self.problem = problem
        self.td_targets = td_targets
        self.predict = predict
        n_runs, n_samples = len(runs), problem.n_samples
        self.kept = deque(maxlen=(n_averaged - 1) * n_runs)
        self.q_sa = np.zeros((n_runs, n_samples))
        self.next_q = np.zeros((n_runs, n_samples, problem.n_actions))  # Q_0 = 0
        self.history = {"td_error": [], "q_change": [], "mean_q": []}
        for key, values in (history or {}).items():
            self.history[key].extend(values)

    @property
    def n_iter(self):
        return len(self.history["q_change"])

    @property
    def n_models(self):
        return sum(len(models) for models in self.runs)

    def step(self, parallel, targets, iteration_task):
        """One iteration: fit every run's models to ``targets``; the record."""
        runs = self._fit(parallel, targets, iteration_task)
        q_sa, next_q = self._evaluate(parallel, runs)
        record = self._record(q_sa, next_q)
        if self.n_iter:  # Q_0 = 0 has no models to keep
            self.kept.extend(self.runs)
        self.runs, self.q_sa, self.next_q = runs, q_sa, next_q
        for key, value in record.items():
            self.history[key].append(value)
        return record

    def resume(self, parallel):
        """Recompute the last models' Q-values, from which the next targets come."""
        self.q_sa, self.next_q = self._evaluate(parallel, self.runs)

    def _fit(self, parallel, targets, iteration_task):
        """Successors of every run's models fitted to its targets, in one call."""
        jobs = [
            (model, inputs, run_targets[rows], weights)
            for models, run_targets in zip(self.runs, targets, strict=True)
            for model, (inputs, rows, weights) in zip(
                models, self.problem.fits, strict=True
            )
        ]
        # Each regressor's fit is a leaf of the iteration, which the
        # regressor's own task tree (its epochs) grows from.
        fit_tasks = [
            iteration_task.subcontext(task_name="regressor fit", task_id=index)
            for index in range(len(jobs))
        ]
        fitted = parallel(
            delayed(_fit)(_successor(model), inputs, run_targets, weights, task)
            for (model, inputs, run_targets, weights), task in zip(
                jobs, fit_tasks, strict=True
            )
        )
        per_run = len(self.runs[0])
        return [fitted[i : i + per_run] for i in range(0, len(fitted), per_run)]

    def _evaluate(self, parallel, runs):
        """Every run's Q-values on the data; NaN or infinity raises."""
        evaluations = [
            self.problem.evaluate(models, parallel, self.predict) for models in runs
        ]
        q_sa = np.stack([run_q_sa for run_q_sa, _ in evaluations])
        next_q = np.stack([run_next_q for _, run_next_q in evaluations])
        if not (np.isfinite(q_sa).all() and np.isfinite(next_q).all()):
            raise ValueError(
                f"The Q-values became NaN or infinite at iteration "
                f"{self.n_iter + 1}; try clip_targets=True or a smaller gamma."
            )
        return q_sa, next_q

    def _record(self, q_sa, next_q):
        """Each run's TD error on itself and mean Q, averaged; the largest
        change of any run's Q."""
        weights = self.problem.sample_weight
        td_error = self.td_targets(next_q) - q_sa
        return {
            "td_error": np.mean(np.average(td_error**2, axis=1, weights=weights)),
            "q_change": np.max(np.abs(q_sa - self.q_sa)),
            "mean_q": np.mean(np.average(q_sa, axis=1, weights=weights)),
        }

    def attributes(self):
        """The fitted attributes of the estimator as of the last iteration."""
        return {
            "estimators_": self.runs[-1],
            "averaged_estimators_": [*self.kept, *self.runs],
            "n_runs_": len(self.runs),
            "n_iter_": self.n_iter,
            "history_": {key: np.asarray(v) for key, v in self.history.items()},
        }


class _PerActionProblem:
    """One model per action; each sees the states where its action was taken.

    ``fits[j]`` is ``(inputs, rows, weights)`` for model ``j``: its inputs are
    the states of action ``j`` followed by the next states whose ``Q(s', a_j)``
    the backup reads (``next_actions[:, j]``), built once, so one ``predict``
    per model and iteration returns both. The Q-values not read stay 0.
    """

    def __init__(self, data, action_index, next_actions, sample_weight):
        self.n_samples = len(data.states)
        self.n_actions = next_actions.shape[1]
        self.sample_weight = sample_weight
        self.fits, self._stacked, self._next_rows = [], [], []
        for action in range(self.n_actions):
            rows = np.flatnonzero(action_index == action)
            next_rows = np.flatnonzero(next_actions[:, action])
            stacked = np.concatenate([data.states[rows], data.next_states[next_rows]])
            weights = None if sample_weight is None else sample_weight[rows]
            self.fits.append((stacked[: len(rows)], rows, weights))
            self._stacked.append(stacked)
            self._next_rows.append(next_rows)

    def evaluate(self, models, parallel, predict):
        predictions = parallel(
            delayed(predict)(model, stacked)
            for model, stacked in zip(models, self._stacked, strict=True)
        )
        q_sa = np.empty(self.n_samples)
        next_q = np.zeros((self.n_samples, self.n_actions))
        for action, ((_, rows, _), next_rows, q) in enumerate(
            zip(self.fits, self._next_rows, predictions, strict=True)
        ):
            q_sa[rows] = q[: len(rows)]
            next_q[next_rows, action] = q[len(rows) :]
        return q_sa, next_q


class _OneHotProblem:
    """One model on ``[state, one-hot action]``.

    The design matrix and the next-state inputs of the actions the backup
    reads (``next_actions``) are stacked once per fit, so one ``predict`` per
    iteration returns ``Q(s, a)`` and those ``Q(s', a')``. The Q-values not
    read stay 0.
    """

    def __init__(self, data, action_index, next_actions, sample_weight):
        self.n_samples = len(data.states)
        self.n_actions = next_actions.shape[1]
        self.sample_weight = sample_weight
        # Action by action, as _every_action orders its rows.
        self._next_actions, self._next_rows = np.nonzero(next_actions.T)
        self._stacked = np.vstack(
            [
                _with_onehot(data.states, action_index, self.n_actions),
                _with_onehot(
                    data.next_states[self._next_rows],
                    self._next_actions,
                    self.n_actions,
                ),
            ]
        )
        rows = slice(None)
        self.fits = [(self._stacked[: self.n_samples], rows, sample_weight)]

    def evaluate(self, models, parallel, predict):
        q = np.asarray(predict(models[0], self._stacked), dtype=np.float64)
        next_q = np.zeros((self.n_samples, self.n_actions))
        next_q[self._next_rows, self._next_actions] = q[self.n_samples :]
        return q[: self.n_samples], next_q


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


def _successor(model):
    """The regressor an iteration fits in place of ``model``.

    A regressor with ``warm_start=True`` (in any step of a pipeline) continues
    from its previous fit, so it gets a deep copy of ``model``; any other
    regressor forgets its previous fit when refitted, so a clone (which keeps
    the parameters, the seeds included) fits exactly as ``model`` refitted
    would, without copying its fitted state. Either way ``model`` itself stays
    as it was.
    """
    warm_starts = any(
        value is True
        for key, value in model.get_params(deep=True).items()
        if key == "warm_start" or key.endswith("__warm_start")
    )
    return copy.deepcopy(model) if warm_starts else clone(model)


def _fit(model, inputs, targets, sample_weight, task):
    fit_params = {}
    if sample_weight is not None:
        name = f"{model.steps[-1][0]}__" if isinstance(model, Pipeline) else ""
        fit_params = {f"{name}sample_weight": sample_weight}
    with task.propagate_callback_context(model):
        return model.fit(inputs, targets, **fit_params)


def _blas_threads_per_job(n_jobs):
    """BLAS threads for each of ``n_jobs`` threads fitting side by side.

    Threads share the process's BLAS: with each of n_jobs threads running BLAS
    on every core, the cores are oversubscribed. Each gets its share, as loky
    gives its processes. None (no limit) for a single job.
    """
    n_workers = effective_n_jobs(n_jobs)
    return max(cpu_count() // n_workers, 1) if n_workers > 1 else None


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
