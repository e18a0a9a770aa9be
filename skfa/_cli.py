"""The ``skfa`` command line: ``skfa demo``, ``skfa fqi`` and ``skfa evaluate``.

``python -m skfa`` runs the same commands. Mistakes in the user's files or
column names end the command with a one-line message and exit code 2, as
argparse does for mistakes in the arguments themselves.
"""

import argparse
import copy
import os
import sys
import time
import warnings

import numpy as np

__all__ = ["main"]

DEMO_FIGURE = "skfa-demo.png"
DEFAULT_POLICY = "policy.skops"


class CommandError(Exception):
    """A problem reported in one line: the input's (exit code 2) or training's (1)."""

    def __init__(self, message, status=2):
        super().__init__(message)
        self.status = status


# ------------------------------------------------------------------ progress
class ProgressBar:
    """A plain-text progress bar, ``[#####-----] 5/10 note  1.2 s``.

    On a terminal the bar redraws itself in place; elsewhere (a log file, a
    pipe, a test) only the final state is written, as one line.

    Parameters
    ----------
    total : int
        The number of steps.
    label : str
        Written before the bar.
    stream : file-like, default=sys.stderr
        Where the bar goes; standard error keeps standard output for results.
    width : int, default=24
        The number of characters between the brackets.

    Examples
    --------
    >>> import io
    >>> stream = io.StringIO()
    >>> bar = ProgressBar(4, "fitting", stream=stream, width=8)
    >>> for step in range(1, 5):
    ...     bar.update(step)
    >>> bar.close()
    >>> stream.getvalue().split("]")[0]
    'fitting [########'
    """

    def __init__(self, total, label, *, stream=None, width=24):
        self.total = max(int(total), 1)
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        self.width = width
        self.done = 0
        self.note = ""
        self._start = time.perf_counter()
        isatty = getattr(self.stream, "isatty", None)
        self._live = bool(isatty and isatty())
        # What was printed before the bar should appear before it.
        sys.stdout.flush()

    def line(self):
        """The bar as text."""
        filled = round(self.width * min(self.done, self.total) / self.total)
        bar = "#" * filled + "-" * (self.width - filled)
        seconds = time.perf_counter() - self._start
        note = f"  {self.note}" if self.note else ""
        return f"{self.label} [{bar}] {self.done}/{self.total}{note}  {seconds:.1f} s"

    def update(self, done, note=""):
        """Advance the bar to ``done`` steps, with an optional note."""
        self.done, self.note = done, note
        if self._live:
            self.stream.write("\r" + self.line() + "\033[K")
            self.stream.flush()

    def close(self):
        """Finish the bar's line."""
        if self._live:
            self.stream.write("\r" + self.line() + "\033[K\n")
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()


class IterationProgress:
    """A scikit-learn fit callback that shows FittedQIteration's iterations.

    :class:`~skfa.rl.FittedQIteration` reports its fit to scikit-learn's
    callback API (:mod:`sklearn.callback`) as a task with one ``"iteration"``
    subtask per iteration; the regressors' fits and their epochs are tasks
    further down. The bar advances when an iteration task of the root task
    ends, so nothing deeper is counted. The callback is not auto-propagated:
    the regressors never call it.

    Parameters
    ----------
    label : str
        Written before the bar.
    stream : file-like, default=None
        Where the bar goes; None means standard error.
    """

    def __init__(self, label, *, stream=None):
        self.label = label
        self.stream = stream

    def setup(self, estimator, context):
        self._fit_task = context
        total = context.max_subtasks or estimator.max_iter
        self.bar = ProgressBar(total, self.label, stream=self.stream)

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        if context.parent is self._fit_task and context.task_name == "iteration":
            self.bar.update(self.bar.done + 1)
        return False  # never asks the fit to stop

    def teardown(self, estimator, context):
        self.bar.close()


class Checkpoints:
    """A scikit-learn fit callback that saves the policy every few iterations.

    At the end of each iteration task, the callback API can hand a callback
    the estimator as that iteration left it (``fitted_estimator``); every
    ``every``-th time, it is written with :func:`~skfa.rl.save_policy`, to a
    temporary file renamed over ``path``, so ``path`` always holds a whole
    policy. ``skfa fqi --resume`` continues from it.

    Parameters
    ----------
    path : str
        The policy file.
    every : int
        Iterations between two saves.
    """

    def __init__(self, path, every):
        self.path = path
        self.every = every

    def setup(self, estimator, context):
        self._fit_task = context
        self.n_iterations = 0

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        from .rl import save_policy

        if context.parent is self._fit_task and context.task_name == "iteration":
            self.n_iterations += 1
            if self.n_iterations % self.every == 0:
                save_policy(_without_callbacks(fitted_estimator), self.path)
        return False

    def teardown(self, estimator, context):
        pass


def _without_callbacks(estimator):
    """A shallow copy of a fitting estimator without its callback machinery."""
    estimator = copy.copy(estimator)
    for name in ["_skl_callbacks", "_skl_callbacks_to_teardown", "_callback_fit_ctx"]:
        vars(estimator).pop(name, None)
    return estimator


def _fit_fqi_with_progress(fqi, X, y, label, *, stream=None, callbacks=()):
    """Fit ``fqi``, showing its iterations on a progress bar; return the seconds.

    ``callbacks`` are more scikit-learn fit callbacks, e.g. :class:`Checkpoints`.
    """
    # scikit-learn < 1.9 has no callback API, and so no bar.
    with_bar = hasattr(fqi, "set_callbacks")
    if with_bar:
        fqi.set_callbacks(IterationProgress(label, stream=stream), *callbacks)
    start = time.perf_counter()
    try:
        fqi.fit(X, y)
    finally:
        if with_bar:
            fqi.set_callbacks()  # the saved policy keeps no callback
    return time.perf_counter() - start


# ---------------------------------------------------------------------- demo
def _demo(args):
    """Fit the three estimators on built-in problems and print what they did."""
    folder = os.path.dirname(os.path.abspath(args.out_figure))
    if not args.no_figure and not os.path.isdir(folder):
        raise CommandError(f"--out-figure {args.out_figure}: no such directory")
    seed = args.random_state
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, size=(2000, 1))
    y = np.sin(2 * np.pi * X[:, 0]) + 0.1 * rng.normal(size=2000)
    X_test = np.linspace(0, 1, 401)[:, np.newaxis]
    y_test = np.sin(2 * np.pi * X_test[:, 0])

    _print_demo_introduction()
    models, rows = _demo_regression(X, y, X_test, y_test, seed)
    fqi, env, control_rows, n_transitions = _demo_control(seed)
    _print_demo_table(rows + control_rows, n_transitions)
    if args.no_figure:
        return 0
    try:
        # A bare Figure draws without pyplot, so no GUI backend is touched.
        from matplotlib.figure import Figure
    except ImportError:
        print("Figure skipped: matplotlib is not installed (pip install matplotlib).")
        return 0
    fig = Figure(figsize=(15, 4.3), layout="tight")
    _demo_figure(fig, X, y, X_test, y_test, models, fqi, env)
    try:
        fig.savefig(args.out_figure, dpi=100)
    except (OSError, ValueError) as error:
        raise CommandError(f"cannot write the figure: {error}") from error
    print(f"Figure written to {args.out_figure}")
    return 0


DEMO_EPISODES, DEMO_TREES, DEMO_ITERATIONS = 400, 15, 25


def _print_demo_introduction():
    print("skfa demo: three function approximators on built-in problems")
    print()
    print("Regression: y = sin(2πx) + noise (σ = 0.1), 2,000 samples of x in [0, 1];")
    print("  R² against the noiseless function on 401 points.")
    print(
        f"Control: fitted-Q iteration on the car on the hill, {DEMO_EPISODES} random-"
        "action episodes"
    )
    print(
        "  (Ernst et al. 2005); Q by ExtraTreesRegressor("
        f"n_estimators={DEMO_TREES}), {DEMO_ITERATIONS} iterations,"
    )
    print(
        "  γ = 0.95. Policy score: mean discounted return from the paper's 289 "
        "start states"
    )
    print("  (the optimal policy scores 0.360).")
    print()


def _demo_regression(X, y, X_test, y_test, seed):
    """Fit the two regressors to sin(2πx); return them and their table rows."""
    from .linear_model import LinearFeatureRegressor
    from .neural_network import MLPApproximator

    models = {
        "LinearFeatureRegressor(n_basis=10)": LinearFeatureRegressor(n_basis=10),
        "MLPApproximator((32, 32), relu)": MLPApproximator(
            hidden_layer_sizes=(32, 32),
            learning_rate_init=0.01,
            max_iter=300,
            random_state=seed,
        ),
    }
    rows = []
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
        score = f"R² {model.score(X_test, y_test):.4f}"
        rows.append((name, "sin(2πx)", score, seconds))
    return models, rows


def _demo_control(seed):
    """Fitted-Q iteration on the car on the hill; return it and its table rows."""
    from sklearn.ensemble import ExtraTreesRegressor

    from .datasets import make_car_on_hill_transitions
    from .envs import CarOnHill
    from .rl import FittedQIteration

    start = time.perf_counter()
    X, y = make_car_on_hill_transitions(DEMO_EPISODES, random_state=seed)
    fqi = FittedQIteration(
        ExtraTreesRegressor(n_estimators=DEMO_TREES),
        gamma=0.95,
        max_iter=DEMO_ITERATIONS,
        n_jobs=2,
        random_state=seed,
    )
    _fit_fqi_with_progress(fqi, X, y, "FittedQIteration")
    env = CarOnHill()
    score = env.score_policy(fqi)
    seconds = time.perf_counter() - start
    always_right = env.score_policy(lambda states: np.ones(len(states), dtype=int))
    name = f"FittedQIteration(ExtraTrees, {DEMO_ITERATIONS} it.)"
    rows = [
        (name, "car on hill", f"policy {score:.3f}", seconds),
        (
            "  for comparison: always u = +4",
            "car on hill",
            f"policy {always_right:.3f}",
            None,
        ),
    ]
    return fqi, env, rows, len(X)


def _print_demo_table(rows, n_transitions):
    print()
    print(f"{'estimator':<38}{'problem':<13}{'score':>14}{'time':>9}")
    for name, problem, result, seconds in rows:
        timing = "" if seconds is None else f"{seconds:.2f} s"
        print(f"{name:<38}{problem:<13}{result:>14}{timing:>9}")
    print(
        f"({n_transitions:,} transitions; each iteration fits one regressor "
        "per action.)"
    )
    print()


def _demo_figure(fig, X, y, X_test, y_test, models, fqi, env):
    ax_fit, ax_value, ax_policy = fig.subplots(1, 3)
    ax_fit.plot(X[::10, 0], y[::10], ".", color="0.7", label="samples (1 in 10)")
    ax_fit.plot(X_test, y_test, color="black", linewidth=4, alpha=0.3, label="sin(2πx)")
    for name, model in models.items():
        ax_fit.plot(X_test, model.predict(X_test), label=name.split("(")[0])
    ax_fit.set(xlabel="x", title="Regression on a 1-D function")
    ax_fit.legend(fontsize="small", loc="upper right")

    positions, speeds = np.meshgrid(np.linspace(-1, 1, 121), np.linspace(-3, 3, 121))
    grid = np.column_stack([positions.ravel(), speeds.ravel()])
    q = fqi.q_values(grid)
    extent = (-1, 1, -3, 3)
    image = ax_value.imshow(
        q.max(axis=1).reshape(positions.shape),
        origin="lower",
        extent=extent,
        aspect="auto",
        cmap="viridis",
    )
    fig.colorbar(image, ax=ax_value)
    ax_value.set(xlabel="position p", ylabel="speed s", title="max_a Q(s, a)")

    ax_policy.imshow(
        fqi.actions_[q.argmax(axis=1)].reshape(positions.shape),
        origin="lower",
        extent=extent,
        aspect="auto",
        cmap="coolwarm",
        vmin=0,
        vmax=1,
    )
    path = env.rollout(fqi, horizon=100).path[:, 0]
    ax_policy.plot(path[:, 0], path[:, 1], "w.-", markersize=4)
    ax_policy.plot(*path[0], "wo")
    ax_policy.set(
        xlim=(-1, 1),
        ylim=(-3, 3),
        xlabel="position p",
        ylabel="speed s",
        title="greedy action (blue −4, red +4), path from (−0.5, 0)",
    )


# ----------------------------------------------------------------------- fqi
def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _discount(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {value}")
    return value


def _columns(text):
    """Split a comma-separated list of column names."""
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"empty column name in {text!r}")
    return names


def _read_csv(path):
    try:
        import pandas as pd
    except ImportError as error:
        raise CommandError("reading a CSV needs pandas: pip install pandas") from error
    if not os.path.exists(path):
        raise CommandError(f"{path}: no such file")
    if os.path.isdir(path):
        raise CommandError(f"{path}: is a directory, not a CSV file")
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError as error:
        raise CommandError(f"{path}: the file is empty") from error
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        reason = str(error).strip().splitlines()[0]
        raise CommandError(f"{path}: not a readable CSV file ({reason})") from error
    if frame.empty:
        raise CommandError(f"{path}: the file has a header but no rows")
    return frame


def _read_transitions(args, path):
    """The logged transitions of ``path`` as ``(X, y)``, X as a plain array."""
    from .rl import transitions_from_dataframe

    frame = _read_csv(path)
    if args.next_state is not None and len(args.next_state) != len(args.state):
        raise CommandError(
            f"--next-state names {len(args.next_state)} columns but --state names "
            f"{len(args.state)}; give one next-state column per state column"
        )
    try:
        X, y = transitions_from_dataframe(
            frame,
            state_columns=args.state,
            next_state_columns=args.next_state,
            action_column=args.action,
            reward_column=args.reward,
            terminal_column=args.terminal,
            episode_column=args.episode,
        )
    except ValueError as error:
        message = str(error).splitlines()[0]
        raise CommandError(f"{path}: {message}") from error
    # The policy is fitted on plain arrays, so that it takes states as arrays
    # (a simulator's or gymnasium's) without feature-name warnings.
    return X.to_numpy(), y


def _q_estimator(args):
    if args.estimator == "mlp":
        return None  # FittedQIteration's default: a warm-started ensemble (NFQ)
    from sklearn.ensemble import ExtraTreesRegressor

    # Ernst et al. (2005): 50 extremely randomised trees, grown until n_min = 2.
    return ExtraTreesRegressor(n_estimators=args.n_estimators, min_samples_split=2)


def _fqi(args):
    """Fitted-Q iteration on the user's logged transitions; save the policy."""
    folder = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(folder):  # before training, not after it
        raise CommandError(f"--out {args.out}: no such directory")
    fqi = None if args.resume is None else _policy_to_resume(args)
    X, y = _read_transitions(args, args.log)
    _print_data_summary(args.log, args, X, y)
    fqi = _new_policy(args) if fqi is None else fqi
    checkpoints = []
    if args.checkpoint_every is not None:
        checkpoints.append(Checkpoints(args.out, args.checkpoint_every))
    try:
        seconds = _fit_fqi_with_progress(fqi, X, y, "iterations", callbacks=checkpoints)
    except ValueError as error:  # e.g. TrainingDivergedError, NaN Q-values
        message = str(error).splitlines()[0]
        raise CommandError(f"training failed: {message}", status=1) from error
    interrupted = fqi.n_iter_ < args.max_iter  # Ctrl-C: fit kept what it had
    if interrupted:
        print(f"Interrupted after {fqi.n_iter_} of {args.max_iter} iterations.")
    _print_fit_diagnostics(fqi, X, args, seconds)
    _save(fqi, args.out)
    if interrupted:
        print(f"Continue with the same command and --resume {args.out}.")
        return INTERRUPTED
    return 0


INTERRUPTED = 130  # the shell's status for a command ended by Ctrl-C (SIGINT)


def _new_policy(args):
    from .rl import FittedQIteration

    print(
        f"Fitted-Q iteration: {args.max_iter} iterations of {_regressor_name(args)} "
        f"per action, γ = {args.gamma}"
    )
    return FittedQIteration(
        _q_estimator(args),
        gamma=args.gamma,
        max_iter=args.max_iter,
        n_jobs=args.n_jobs,
        random_state=args.random_state,
    )


def _regressor_name(args):
    if args.estimator == "mlp":
        return f"{_default_network_name()} (fitted-Q's default network, warm-started)"
    return f"ExtraTreesRegressor(n_estimators={args.n_estimators})"


def _default_network_name():
    """The class of FittedQIteration's default regressor (a pipeline's last step)."""
    from .rl._default import default_q_regressor

    network = default_q_regressor()
    if hasattr(network, "steps"):
        network = network.steps[-1][1]
    return type(network).__name__


def _policy_to_resume(args):
    """The policy --resume names, set to run the iterations it lacks."""
    from .rl import FittedQIteration

    fqi = _load_policy(args.resume, args.trust_pickle)
    if not isinstance(fqi, FittedQIteration):
        raise CommandError(
            f"--resume {args.resume}: holds a {type(fqi).__name__}, not a "
            "FittedQIteration"
        )
    remaining = args.max_iter - fqi.n_iter_
    if remaining < 1:
        raise CommandError(
            f"--resume {args.resume}: the policy has {fqi.n_iter_} iterations "
            f"already; give a --max-iter above {fqi.n_iter_} to continue"
        )
    # The policy keeps its own settings (γ, regressor, seeds); --max-iter
    # counts all iterations, those before the interruption included.
    fqi.set_params(warm_start=True, max_iter=remaining, n_jobs=args.n_jobs)
    print(
        f"Fitted-Q iteration: resuming {args.resume} after iteration "
        f"{fqi.n_iter_}, {remaining} more, γ = {fqi.gamma}"
    )
    return fqi


def _save(fqi, path):
    from .rl import save_policy
    from .rl._persistence import PICKLE_SUFFIXES

    try:
        save_policy(fqi, path)
    except (OSError, ValueError) as error:
        message = str(error).splitlines()[0]
        raise CommandError(f"cannot save the policy: {message}", status=1) from error
    size = os.path.getsize(path)
    size = f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size / 1e3:.0f} kB"
    print(f"Saved the policy to {path} ({size}).")
    trust = " --trust-pickle" if path.lower().endswith(PICKLE_SUFFIXES) else ""
    print(
        f"Evaluate it with: skfa evaluate {path}{trust} --env car-on-hill (or a gym id)"
    )


def _print_data_summary(path, args, X, y):
    actions, counts = np.unique(y["action"], return_counts=True)
    n = len(X)
    print(f"Read {n:,} transitions from {path}.")
    print(f"  state: {', '.join(args.state)} ({X.shape[1]} features)")
    print(
        "  actions: "
        + ", ".join(f"{a} ({c:,}, {c / n:.0%})" for a, c in zip(actions, counts))
    )
    rewards = y["reward"]
    print(
        f"  rewards: min {rewards.min():.4g}, mean {rewards.mean():.4g}, "
        f"max {rewards.max():.4g}; {np.count_nonzero(rewards)} non-zero"
    )
    terminal = int(y["terminal"].sum())
    print(f"  terminal next states: {terminal:,} ({terminal / n:.1%})")
    if "episode" in y.dtype.names:
        print(f"  episodes: {len(np.unique(y['episode'])):,}")
    if len(actions) < 2:
        print("  warning: only one action was ever taken; there is nothing to choose.")


def _print_fit_diagnostics(fqi, X, args, seconds):
    history = fqi.history_
    print(f"Done in {seconds:.1f} s ({fqi.n_iter_} iterations).")
    print(
        f"  last iteration: mean squared TD error {history['td_error'][-1]:.4g}, "
        f"largest Q change {history['q_change'][-1]:.4g}, "
        f"mean Q {history['mean_q'][-1]:.4g}"
    )
    # After N iterations Q looks N steps ahead: rewards further away, worth
    # γ^N or less of their value now, are not in it yet.
    print(
        f"  horizon: Q looks {fqi.n_iter_} steps ahead; rewards further away are "
        f"discounted by γ^{fqi.n_iter_} = {args.gamma**fqi.n_iter_:.3g} or more"
    )
    q_range = np.ptp(history["mean_q"]) or 1.0
    if history["q_change"][-1] > 0.05 * max(abs(history["mean_q"][-1]), q_range):
        print(
            "  note: Q still changes a lot between iterations; more iterations "
            "(--max-iter) may help."
        )
    chosen, counts = np.unique(fqi.predict(X), return_counts=True)
    print(
        "  greedy action on the logged states: "
        + ", ".join(f"{a} ({c / len(X):.0%})" for a, c in zip(chosen, counts))
    )


# ------------------------------------------------------------------ evaluate
def _evaluate(args):
    """Report a saved policy's value: on logged data, or by running it in an env."""
    if args.data is not None and (args.state is None or args.episode is None):
        raise CommandError(
            "--data needs --state (the state columns) and --episode (the episode "
            "ids, which tell where episodes start)"
        )
    if args.data is not None and args.bootstrap < 2:
        raise CommandError("--bootstrap must be at least 2 for an interval")
    policy = _load_policy(args.policy, args.trust_pickle)
    print(f"Policy: {type(policy).__name__} from {args.policy}")
    if args.data is not None:
        _evaluate_on_logged_data(policy, args)
    elif args.env == "car-on-hill":
        _evaluate_on_car_on_hill(policy, args.policy)
    else:
        _evaluate_on_gymnasium(policy, args)
    return 0


def _evaluate_on_logged_data(policy, args):
    """Fitted-Q evaluation of the policy beside the logged behaviour's value."""
    from .rl import FittedQEvaluation, behavior_value

    X, y = _read_transitions(args, args.data)
    gamma = args.gamma if args.gamma is not None else getattr(policy, "gamma", 0.95)
    print(
        f"Read {len(X):,} transitions of {len(np.unique(y['episode'])):,} episodes "
        f"from {args.data}."
    )
    print(
        f"Fitted-Q evaluation: {args.max_iter} iterations of "
        f"{_regressor_name(args)} per action, γ = {gamma}, "
        f"{args.bootstrap} bootstrap refits over episodes"
    )
    fqe = FittedQEvaluation(
        policy,
        _q_estimator(args),
        gamma=gamma,
        max_iter=args.max_iter,
        n_bootstrap=args.bootstrap,
        n_jobs=args.n_jobs,
        random_state=args.random_state,
    )
    try:
        fqe.fit(X, y)
    except ValueError as error:  # e.g. actions the data never took
        raise CommandError(f"{args.data}: {str(error).splitlines()[0]}") from error
    low, high = fqe.value_interval(0.95)
    baseline = behavior_value(X, y, gamma=gamma)
    print(f"Policy value: {fqe.value_:.4g} (95 % interval {low:.4g} to {high:.4g})")
    print(f"Logged behaviour's value: {baseline:.4g}")
    print(f"Verdict: {_verdict(low, high, baseline)}")


def _verdict(low, high, baseline):
    """One line comparing the policy's interval with the behaviour's value."""
    if low > baseline:
        verdict = "better than the logged behaviour (its whole interval is above)"
    elif high < baseline:
        verdict = "worse than the logged behaviour (its whole interval is below)"
    else:
        verdict = "no clear difference from the logged behaviour"
    return verdict + "; an estimate from the data, where they cover what it does."


def _load_policy(path, trust_pickle):
    from .rl import load_policy
    from .rl._persistence import PolicyFileError

    try:
        policy = load_policy(path, trust_pickle=trust_pickle)
    except FileNotFoundError as error:
        raise CommandError(f"{path}: no such file") from error
    except PolicyFileError as error:
        raise CommandError(str(error).splitlines()[0]) from error
    except Exception as error:  # unpickling a trusted file can raise anything
        reason = str(error).strip().splitlines()[0] if str(error) else ""
        raise CommandError(
            f"{path}: not a saved policy ({type(error).__name__}: {reason})"
        ) from error
    if not hasattr(policy, "predict"):
        raise CommandError(
            f"{path}: holds a {type(policy).__name__}, which has no predict method"
        )
    return policy


def _evaluate_on_car_on_hill(policy, path):
    from .envs import CarOnHill

    n_features = getattr(policy, "n_features_in_", None)
    if n_features is not None and n_features != CarOnHill.n_features:
        raise CommandError(
            f"{path}: the policy takes {n_features} state features but the car "
            "on the hill has 2 (position, speed)"
        )
    env = CarOnHill()
    score = env.score_policy(policy)
    print(
        f"car-on-hill score: {score:.3f} (mean discounted return from the 289 "
        "start states of Ernst et al. 2005; the optimal policy scores 0.360)"
    )
    rollout = env.rollout(policy)  # from the start state, as long as scored
    n_steps, discounted_return = rollout.n_steps[0], rollout.returns[0]
    if rollout.terminated[0]:
        outcome = "reaches the top" if discounted_return > 0 else "fails"
        print(
            f"From the start state (-0.5, 0) the car {outcome} after {n_steps} "
            f"steps: return {discounted_return:.3f}."
        )
    else:
        print("From the start state (-0.5, 0) the car never leaves the valley.")


def _evaluate_on_gymnasium(policy, args):
    from .rl import evaluate_policy

    try:
        mean, std = evaluate_policy(
            args.env,
            policy,
            n_episodes=args.episodes,
            random_state=args.random_state,
        )
    except ImportError as error:
        raise CommandError(
            f"--env {args.env}: gymnasium environments need gymnasium "
            "(pip install gymnasium), or use --env car-on-hill"
        ) from error
    except Exception as error:  # gymnasium's errors for unknown ids vary
        reason = str(error).strip().splitlines()[0] if str(error) else ""
        raise CommandError(
            f"--env {args.env}: {type(error).__name__}: {reason}"
        ) from error
    print(
        f"{args.env}: mean return {mean:.4g} ± {std:.3g} (standard deviation) "
        f"over {args.episodes} episodes"
    )


# -------------------------------------------------------------------- parser
TRUST_PICKLE_WHY = (
    "unpickling runs whatever code the file holds, so a file crafted by "
    "someone else runs their code on this machine: use this only for a file "
    "you made or whose source you trust. Policy files in the skops format "
    "(skfa fqi's default) load without it and never run code from the file"
)
TRUST_PICKLE_HELP = "load a joblib or pickle file; " + TRUST_PICKLE_WHY


def _parser():
    parser = argparse.ArgumentParser(
        prog="skfa",
        description="Function approximation for reinforcement learning.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_demo_command(commands)
    _add_fqi_command(commands)
    _add_evaluate_command(commands)
    return parser


def _add_demo_command(commands):
    demo = commands.add_parser(
        "demo",
        help="fit the estimators on built-in data (under a minute)",
        description="Fit LinearFeatureRegressor and MLPApproximator on a 1-D "
        "function and FittedQIteration on car-on-the-hill data; print a table "
        "and write a figure.",
    )
    demo.add_argument("--random-state", type=int, default=0, metavar="SEED")
    demo.add_argument(
        "--out-figure",
        default=DEMO_FIGURE,
        metavar="PATH",
        help=f"where to write the figure (default: {DEMO_FIGURE})",
    )
    demo.add_argument(
        "--no-figure", action="store_true", help="do not write the figure"
    )
    demo.set_defaults(run=_demo)


def _add_fqi_command(commands):
    fqi = commands.add_parser(
        "fqi",
        help="fitted-Q iteration on logged transitions in a CSV file",
        description="Learn a policy by fitted-Q iteration from a CSV file with one "
        "row per transition (state, action, reward, next state, terminal).",
    )
    fqi.add_argument("log", metavar="LOG.csv", help="the logged transitions")
    _add_column_options(fqi)
    _add_training_options(fqi)
    _add_checkpoint_options(fqi)
    fqi.add_argument(
        "--out",
        default=DEFAULT_POLICY,
        metavar="PATH",
        help=f"where to save the policy (default: {DEFAULT_POLICY}); a skops "
        "file, which others can load without risk, unless the name ends in "
        ".joblib, .pkl or .pickle",
    )
    fqi.set_defaults(run=_fqi)


def _add_column_options(fqi, required=True):
    fqi.add_argument(
        "--state",
        type=_columns,
        required=required,
        metavar="COLS",
        help="comma-separated state columns, e.g. p,s",
    )
    fqi.add_argument(
        "--next-state",
        type=_columns,
        metavar="COLS",
        help="next-state columns in the same order (default: next_<col> for each)",
    )
    fqi.add_argument(
        "--action",
        default="action",
        metavar="COL",
        help="integer action labels (default: action)",
    )
    fqi.add_argument(
        "--reward", default="reward", metavar="COL", help="(default: reward)"
    )
    fqi.add_argument(
        "--terminal",
        default="terminal",
        metavar="COL",
        help="1/True where the next state ends the episode, not for a time "
        "limit (default: terminal)",
    )
    fqi.add_argument("--episode", metavar="COL", help="episode ids (optional)")


def _add_training_options(fqi, gamma=0.95):
    fqi.add_argument(
        "--gamma",
        type=_discount,
        default=gamma,
        metavar="G",
        help="discount factor in [0, 1) (default: "
        + ("0.95)" if gamma is not None else "the policy's, or 0.95)"),
    )
    fqi.add_argument(
        "--estimator",
        choices=["extra-trees", "mlp"],
        default="extra-trees",
        help="the Q-function regressor (default: extra-trees, as Ernst et al.)",
    )
    fqi.add_argument(
        "--n-estimators",
        type=_positive_int,
        default=50,
        metavar="N",
        help="trees per action model for extra-trees (default: 50)",
    )
    fqi.add_argument(
        "--max-iter",
        type=_positive_int,
        default=50,
        metavar="N",
        help="fitted-Q iterations (default: 50)",
    )
    fqi.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        metavar="N",
        help="fit the action models in parallel threads (default: 1)",
    )
    fqi.add_argument("--random-state", type=int, default=0, metavar="SEED")


def _add_checkpoint_options(fqi):
    fqi.add_argument(
        "--checkpoint-every",
        type=_positive_int,
        metavar="N",
        help="also save the policy (to --out) after every N iterations, "
        "replacing the file whole, so an interrupted run can be resumed",
    )
    fqi.add_argument(
        "--resume",
        metavar="PATH",
        help="continue the iterations of a policy saved by skfa fqi (e.g. a "
        "checkpoint) up to --max-iter in all; the policy keeps its own γ and "
        "regressor",
    )
    fqi.add_argument(
        "--trust-pickle",
        action="store_true",
        help="let --resume load a joblib or pickle file; " + TRUST_PICKLE_WHY,
    )


def _add_evaluate_command(commands):
    evaluate = commands.add_parser(
        "evaluate",
        help="report a saved policy's value, from logged data or in an env",
        description="Load a policy saved by 'skfa fqi' (or any saved object with "
        "predict) and report its value: with --data, estimated from logged "
        "transitions by fitted-Q evaluation, beside the value of the logged "
        "behaviour, with no simulator; with --env, by running it. A skops file "
        "is loaded only if it holds nothing but the types a skfa policy is made "
        "of; a joblib or pickle file only with --trust-pickle.",
    )
    evaluate.add_argument(
        "policy", metavar="POLICY.skops", help="a policy saved by skfa fqi"
    )
    where = evaluate.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--env",
        metavar="ENV",
        help="car-on-hill, or a gymnasium id such as CartPole-v1",
    )
    where.add_argument(
        "--data",
        metavar="LOG.csv",
        help="logged transitions, with the same column options as skfa fqi "
        "(--episode is required)",
    )
    _add_column_options(evaluate, required=False)
    _add_training_options(evaluate, gamma=None)
    evaluate.add_argument(
        "--bootstrap",
        type=_positive_int,
        default=10,
        metavar="N",
        help="refits on episodes drawn with replacement, for the interval; each "
        "costs one more fit (default: 10)",
    )
    evaluate.add_argument(
        "--episodes",
        type=_positive_int,
        default=10,
        metavar="N",
        help="episodes to average, for a gymnasium environment (default: 10)",
    )
    evaluate.add_argument("--trust-pickle", action="store_true", help=TRUST_PICKLE_HELP)
    evaluate.set_defaults(run=_evaluate)


def main(argv=None):
    """Run the command line and return its exit code.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments; None reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 2 for a usage error or a problem with the input files,
        1 if training fails (e.g. diverges), 130 if Ctrl-C interrupted it.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    prefix = f"skfa {args.command}"
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning(prefix)
            return args.run(args)
    except CommandError as error:
        print(f"{prefix}: error: {error}", file=sys.stderr)
        return error.status
    except KeyboardInterrupt:
        print(f"{prefix}: interrupted; nothing was saved", file=sys.stderr)
        return INTERRUPTED


def _one_line_warning(prefix):
    """Show a warning as one line on standard error, without source lines."""

    def show(message, category, filename, lineno, file=None, line=None):
        text = str(message).strip().splitlines()[0] if str(message) else ""
        print(f"{prefix}: warning: {text}", file=sys.stderr)

    return show


if __name__ == "__main__":
    sys.exit(main())
