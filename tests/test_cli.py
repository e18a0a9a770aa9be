"""The command line: the demo, fitted-Q on a user's CSV, evaluation, errors."""

import io
import os
import re
import subprocess
import sys
import time

import joblib
import numpy as np
import pytest

from skfa._cli import (
    IterationProgress,
    ProgressBar,
    _default_network_name,
    _fit_fqi_with_progress,
    main,
)
from skfa.datasets import make_car_on_hill_transitions
from skfa.envs import CarOnHill
from skfa.rl import load_policy, save_policy

pd = pytest.importorskip("pandas")

FQI_ARGS = ["--state", "p,s", "--terminal", "done", "--episode", "episode"]


@pytest.fixture(scope="module")
def car_csv(tmp_path_factory):
    """A car-on-the-hill log as a user would write it, with its own column names."""
    X, y = make_car_on_hill_transitions(n_episodes=20, random_state=0)
    frame = pd.DataFrame(
        {
            "p": X[:, 0],
            "s": X[:, 1],
            "action": y["action"],
            "reward": y["reward"],
            "next_p": y["next_state"][:, 0],
            "next_s": y["next_state"][:, 1],
            "done": y["terminal"].astype(int),
            "episode": y["episode"],
        }
    )
    path = tmp_path_factory.mktemp("logs") / "car.csv"
    frame.to_csv(path, index=False)
    return path


def run(argv, capsys):
    """Run the command line in-process; return (exit code, stdout, stderr)."""
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *fragments):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("skfa ") and ": error: " in lines[0]
    for fragment in fragments:
        assert fragment in lines[0]


def test_demo_prints_the_table_and_writes_the_figure(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    figure = tmp_path / "demo.png"
    code, out, err = run(["demo", "--out-figure", figure], capsys)
    assert code == 0
    for name in ["LinearFeatureRegressor", "MLPApproximator", "FittedQIteration"]:
        assert name in out
    r2 = [float(word) for word in out.split() if word.startswith("0.99")]
    assert len(r2) >= 2, out
    policy = float(re.search(r"FittedQIteration\(.*policy (-?[0-9.]+)", out)[1])
    assert policy > 0.1  # always pushing right scores 0.036
    assert figure.stat().st_size > 10_000
    assert "25/25" in err  # the progress bar's final state


def test_fqi_then_evaluate_on_car_on_hill(car_csv, tmp_path, capsys):
    policy_path = tmp_path / "policy.skops"
    code, out, err = run(
        [
            "fqi",
            car_csv,
            *FQI_ARGS,
            "--max-iter",
            "3",
            "--n-estimators",
            "10",
            "--out",
            policy_path,
        ],
        capsys,
    )
    assert code == 0, err
    assert "transitions from" in out
    assert "episodes: 20" in out
    assert "3/3" in err
    assert f"skfa evaluate {policy_path} --env" in out
    policy = load_policy(policy_path)
    assert policy.n_iter_ == 3 and policy.n_features_in_ == 2
    assert policy.verbose == 0  # the progress bar's verbosity is not saved
    assert not hasattr(policy, "_skl_callbacks")  # nor its callback

    code, out, err = run(["evaluate", policy_path, "--env", "car-on-hill"], capsys)
    assert code == 0, err
    score = float(out.split("score: ")[1].split()[0])
    assert score == pytest.approx(CarOnHill().score_policy(policy), abs=1e-3)
    rollout = CarOnHill().rollout(policy)
    if rollout.terminated[0]:
        assert f"after {rollout.n_steps[0]} steps" in out
        assert f"return {rollout.returns[0]:.3f}." in out
    else:
        assert "never leaves the valley" in out


def test_fqi_writes_skops_by_default(car_csv, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["fqi", car_csv, *FQI_ARGS, "--max-iter", "1", "--n-estimators", "2"]
    code, out, err = run(args, capsys)
    assert code == 0, err
    assert "Saved the policy to policy.skops" in out
    assert load_policy(tmp_path / "policy.skops").n_iter_ == 1
    # A .joblib name saves with joblib, and says how to load it.
    code, out, err = run([*args, "--out", "policy.joblib"], capsys)
    assert code == 0, err
    assert "skfa evaluate policy.joblib --trust-pickle --env" in out
    assert load_policy("policy.joblib", trust_pickle=True).n_iter_ == 1
    assert joblib.load("policy.joblib").n_iter_ == 1


def test_fqi_checks_the_output_folder_before_training(car_csv, tmp_path, capsys):
    out_path = tmp_path / "no" / "policy.skops"
    code, out, err = run(["fqi", car_csv, *FQI_ARGS, "--out", out_path], capsys)
    assert_one_line_error(code, err, "--out", "no such directory")
    assert "iterations [" not in err


def test_fqi_with_the_mlp_and_default_column_names(tmp_path, capsys):
    X, y = make_car_on_hill_transitions(n_episodes=5, random_state=0)
    path = tmp_path / "log.csv"
    pd.DataFrame(
        {
            "p": X[:, 0],
            "s": X[:, 1],
            "next_p": y["next_state"][:, 0],
            "next_s": y["next_state"][:, 1],
            "action": y["action"],
            "reward": y["reward"],
            "terminal": y["terminal"],
        }
    ).to_csv(path, index=False)
    out_path = tmp_path / "nfq.skops"
    code, out, err = run(
        [
            "fqi",
            path,
            "--state",
            "p,s",
            "--estimator",
            "mlp",
            "--max-iter",
            "1",
            "--gamma",
            "0.9",
            "--out",
            out_path,
        ],
        capsys,
    )
    assert code == 0, err
    network = _default_network_name()  # MLPApproximator, in a pipeline or not
    assert network in out and "γ = 0.9" in out
    q_function = load_policy(out_path).estimators_[0]
    assert network in repr(q_function)


def test_evaluate_a_gymnasium_policy(tmp_path, capsys):
    pytest.importorskip("gymnasium")
    from sklearn.tree import DecisionTreeRegressor

    from skfa.rl import FittedQIteration, collect_transitions

    X, y = collect_transitions("CartPole-v1", n_episodes=5, random_state=0)
    policy = FittedQIteration(DecisionTreeRegressor(max_depth=3), max_iter=2)
    save_policy(policy.fit(X, y), tmp_path / "cartpole.skops")
    code, out, err = run(
        [
            "evaluate",
            tmp_path / "cartpole.skops",
            "--env",
            "CartPole-v1",
            "--episodes",
            "2",
        ],
        capsys,
    )
    assert code == 0, err
    assert "CartPole-v1: mean return" in out and "over 2 episodes" in out


# ------------------------------------------------------------------- errors
def write(tmp_path, text, name="log.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def edit_csv(car_csv, tmp_path, column, row, value):
    """A copy of the car log with one cell replaced, written as text."""
    lines = car_csv.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[row + 1].split(",")
    cells[header.index(column)] = value
    lines[row + 1] = ",".join(cells)
    return write(tmp_path, "\n".join(lines) + "\n", name=f"bad_{column}.csv")


@pytest.mark.parametrize(
    "column, value, fragments",
    [
        ("s", "fast", ["column 's' is not numeric", "row 4", "'fast'"]),
        ("reward", "", ["column 'reward' has a missing", "row 4"]),
        ("action", "0.5", ["column 'action' must hold integer", "row 4"]),
        ("done", "2", ["column 'done' must hold 0/1", "row 4"]),
    ],
)
def test_bad_values_name_the_column_and_row(
    car_csv, tmp_path, capsys, column, value, fragments
):
    path = edit_csv(car_csv, tmp_path, column, 3, value)
    code, _, err = run(["fqi", path, *FQI_ARGS, "--out", tmp_path / "p"], capsys)
    assert_one_line_error(code, err, str(path), *fragments)


def test_missing_column_lists_the_columns(car_csv, tmp_path, capsys):
    code, _, err = run(
        ["fqi", car_csv, "--state", "p,speed", "--terminal", "done"], capsys
    )
    assert_one_line_error(
        code, err, "no column 'speed', 'next_speed'", "the columns are p, s, action"
    )
    code, _, err = run(["fqi", car_csv, *FQI_ARGS, "--reward", "gain"], capsys)
    assert_one_line_error(code, err, "no column 'gain'")


def test_next_state_columns_must_match_the_state(car_csv, capsys):
    code, _, err = run(["fqi", car_csv, *FQI_ARGS, "--next-state", "next_p"], capsys)
    assert_one_line_error(code, err, "--next-state names 1 columns")


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "the file is empty"),
        ("p,s,action,reward,next_p,next_s,done\n", "has a header but no rows"),
        ('p,s\n1,2\n"3,4\n', "not a readable CSV file"),
    ],
)
def test_unreadable_files(tmp_path, capsys, text, fragment):
    path = write(tmp_path, text)
    code, _, err = run(["fqi", path, *FQI_ARGS], capsys)
    assert_one_line_error(code, err, fragment)


def test_binary_file(tmp_path, capsys):
    path = tmp_path / "log.csv"
    path.write_bytes(b"\xff\xfe\x00\x81" * 100)
    code, _, err = run(["fqi", path, *FQI_ARGS], capsys)
    assert_one_line_error(code, err, "log.csv")


def test_missing_file_and_directory(tmp_path, capsys):
    code, _, err = run(["fqi", tmp_path / "nope.csv", *FQI_ARGS], capsys)
    assert_one_line_error(code, err, "nope.csv: no such file")
    code, _, err = run(["fqi", tmp_path, *FQI_ARGS], capsys)
    assert_one_line_error(code, err, "is a directory")
    code, _, err = run(["evaluate", tmp_path / "nope.joblib", "--env", "x"], capsys)
    assert_one_line_error(code, err, "nope.joblib: no such file")


def test_evaluate_rejects_what_is_not_a_policy(tmp_path, capsys):
    garbage = write(tmp_path, "not a pickle", name="garbage.joblib")
    code, _, err = run(
        ["evaluate", garbage, "--trust-pickle", "--env", "car-on-hill"], capsys
    )
    assert_one_line_error(code, err, "not a saved policy")

    joblib.dump({"weights": [1, 2]}, tmp_path / "dict.joblib")
    code, _, err = run(
        [
            "evaluate",
            tmp_path / "dict.joblib",
            "--trust-pickle",
            "--env",
            "car-on-hill",
        ],
        capsys,
    )
    assert_one_line_error(code, err, "holds a dict, which has no predict method")

    import skops.io

    skops.io.dump({"weights": [1, 2]}, tmp_path / "dict.skops")
    code, _, err = run(
        ["evaluate", tmp_path / "dict.skops", "--env", "car-on-hill"], capsys
    )
    assert_one_line_error(code, err, "holds a dict, which has no predict method")


def test_evaluate_refuses_a_pickle_without_trust_pickle(tmp_path, capsys):
    from sklearn.dummy import DummyClassifier

    joblib.dump(DummyClassifier().fit([[0.0, 0.0]], [1]), tmp_path / "p.joblib")
    code, out, err = run(["evaluate", tmp_path / "p.joblib", "--env", "x"], capsys)
    assert_one_line_error(code, err, "not a skops file", "--trust-pickle")
    assert out == ""
    code, out, err = run(
        ["evaluate", tmp_path / "p.joblib", "--trust-pickle", "--env", "car-on-hill"],
        capsys,
    )
    assert code == 0, err
    assert "car-on-hill score: 0.036" in out  # always u = +4


def test_evaluate_checks_the_state_width(tmp_path, capsys):
    from sklearn.dummy import DummyRegressor

    policy = DummyRegressor().fit(np.zeros((3, 4)), [0, 1, 1])
    save_policy(policy, tmp_path / "wide.skops")
    code, _, err = run(
        ["evaluate", tmp_path / "wide.skops", "--env", "car-on-hill"], capsys
    )
    assert_one_line_error(code, err, "takes 4 state features", "has 2")


def test_evaluate_without_gymnasium(tmp_path, capsys, monkeypatch):
    from sklearn.dummy import DummyClassifier

    save_policy(DummyClassifier().fit([[0.0]], [0]), tmp_path / "p.skops")
    monkeypatch.setitem(sys.modules, "gymnasium", None)
    code, _, err = run(
        ["evaluate", tmp_path / "p.skops", "--env", "CartPole-v1"], capsys
    )
    assert_one_line_error(code, err, "pip install gymnasium")


def test_unknown_gymnasium_id(tmp_path, capsys):
    pytest.importorskip("gymnasium")
    from sklearn.dummy import DummyClassifier

    save_policy(DummyClassifier().fit([[0.0]], [0]), tmp_path / "p.skops")
    code, _, err = run(
        ["evaluate", tmp_path / "p.skops", "--env", "NoSuchEnv-v0"], capsys
    )
    assert_one_line_error(code, err, "--env NoSuchEnv-v0")


def test_usage_errors_exit_with_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fqi", "log.csv"])  # --state is required
    assert exit_info.value.code == 2
    assert "--state" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["fqi", "log.csv", "--state", "p,,s"])
    assert exit_info.value.code == 2


def test_progress_bar_redraws_only_on_a_terminal():
    class Terminal:
        def __init__(self):
            self.text = ""

        def write(self, text):
            self.text += text

        def flush(self):
            pass

        def isatty(self):
            return True

    terminal = Terminal()
    bar = ProgressBar(3, "work", stream=terminal, width=3)
    for step in (1, 2, 3):
        bar.update(step, note=f"step {step}")
    bar.close()
    assert terminal.text.count("\r") == 4
    assert "work [###] 3/3  step 3" in terminal.text
    assert terminal.text.endswith("\n")


def test_python_dash_m_skfa():
    result = subprocess.run(
        [sys.executable, "-m", "skfa", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    for command in ["demo", "fqi", "evaluate"]:
        assert command in result.stdout


def test_a_training_failure_is_one_line_with_exit_code_1(
    car_csv, tmp_path, capsys, monkeypatch
):
    from skfa import TrainingDivergedError
    from skfa.rl import FittedQIteration

    def diverge(self, X, y, sample_weight=None):
        raise TrainingDivergedError("Training diverged in epoch 1: the loss ...\nmore")

    monkeypatch.setattr(FittedQIteration, "fit", diverge)
    out_path = tmp_path / "p.joblib"
    code, _, err = run(["fqi", car_csv, *FQI_ARGS, "--out", out_path], capsys)
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert last == (
        "skfa fqi: error: training failed: Training diverged in epoch 1: the loss ..."
    )
    assert not out_path.exists()


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--gamma", "1", "must be in [0, 1)"),
        ("--gamma", "high", "not a number"),
        ("--max-iter", "0", "must be at least 1"),
    ],
)
def test_bad_option_values_exit_with_2(car_csv, capsys, option, value, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["fqi", str(car_csv), *FQI_ARGS, option, value])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_demo_checks_the_figure_folder_before_fitting(tmp_path, capsys):
    code, out, err = run(["demo", "--out-figure", tmp_path / "no" / "demo.png"], capsys)
    assert_one_line_error(code, err, "no such directory")
    assert out == ""


# ----------------------------------------------------------------- progress
def small_fqi(**params):
    from sklearn.tree import DecisionTreeRegressor

    from skfa.rl import FittedQIteration

    X, y = make_car_on_hill_transitions(n_episodes=5, random_state=0)
    return FittedQIteration(DecisionTreeRegressor(max_depth=4), **params), X, y


class Terminal(io.StringIO):
    def isatty(self):
        return True


FULL_BAR = "iterations [" + "#" * 24 + "] 3/3"


def test_progress_on_a_terminal_redraws_after_each_iteration(capsys):
    fqi, X, y = small_fqi(max_iter=3)
    terminal = Terminal()
    _fit_fqi_with_progress(fqi, X, y, "iterations", stream=terminal)
    frames = terminal.getvalue().split("\r")[1:]
    assert len(frames) == 4  # one per iteration, then the finished line
    for done, frame in enumerate(frames[:3], start=1):
        assert f"] {done}/3  " in frame
    assert frames[-1].startswith(FULL_BAR) and frames[-1].endswith("\033[K\n")
    # The bar comes from scikit-learn's callbacks: FittedQIteration printed
    # nothing, and keeps no callback after the fit.
    assert capsys.readouterr().out == ""
    assert fqi.verbose == 0 and not hasattr(fqi, "_skl_callbacks")


def test_progress_in_a_pipe_is_one_final_line():
    fqi, X, y = small_fqi(max_iter=3)
    pipe = io.StringIO()
    _fit_fqi_with_progress(fqi, X, y, "iterations", stream=pipe)
    assert "\r" not in pipe.getvalue()
    lines = pipe.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith(FULL_BAR + "  "), lines


def test_progress_counts_the_iterations_that_ran():
    # With a large tol, fitted-Q stops after its first iteration.
    fqi, X, y = small_fqi(max_iter=3, tol=1e9)
    pipe = io.StringIO()
    _fit_fqi_with_progress(fqi, X, y, "iterations", stream=pipe)
    assert fqi.n_iter_ == 1
    assert "] 1/3  " in pipe.getvalue()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_progress_ignores_the_regressors_own_tasks():
    from skfa.neural_network import MLPApproximator
    from skfa.rl import FittedQIteration

    class Propagated(IterationProgress):
        """Propagated to the networks too, so that their epochs reach it."""

        max_propagation_depth = None

        def on_fit_task_end(self, estimator, context):
            self.seen.append(type(estimator).__name__)
            return super().on_fit_task_end(estimator, context)

    X, y = make_car_on_hill_transitions(n_episodes=5, random_state=0)
    network = MLPApproximator(hidden_layer_sizes=(4,), max_iter=3, tol=0.0)
    fqi = FittedQIteration(network, max_iter=2, random_state=0)
    progress = Propagated("iterations", stream=io.StringIO())
    progress.seen = []
    fqi.set_callbacks(progress).fit(X, y)
    assert progress.seen.count("MLPApproximator") >= 2 * 2 * 3  # their epochs
    assert progress.bar.done == 2


def skfa_fqi_command(car_csv, tmp_path):
    return [
        sys.executable,
        "-m",
        "skfa",
        "fqi",
        str(car_csv),
        *FQI_ARGS,
        "--max-iter",
        "3",
        "--n-estimators",
        "5",
        "--out",
        str(tmp_path / "policy.skops"),
    ]


def test_skfa_fqi_progress_in_a_pipe(car_csv, tmp_path):
    result = subprocess.run(
        skfa_fqi_command(car_csv, tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stderr
    bars = [line for line in result.stderr.splitlines() if "iterations [" in line]
    assert len(bars) == 1 and bars[0].startswith(FULL_BAR), result.stderr


def test_skfa_fqi_progress_on_a_terminal(car_csv, tmp_path):
    pty = pytest.importorskip("pty")
    terminal, child_end = pty.openpty()
    process = subprocess.Popen(
        skfa_fqi_command(car_csv, tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=child_end,
    )
    os.close(child_end)
    output = b""
    while True:
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(terminal)
    assert process.wait() == 0
    frames = output.decode().split("\r")
    for done in (1, 2, 3):
        assert any(
            frame.startswith("iterations [") and f"] {done}/3" in frame
            for frame in frames
        ), output


# ------------------------------------------------- checkpoints and resuming
def trees_that_fail_at_fit(monkeypatch, call, error):
    """Make the ``call``-th fit of an extra-trees regressor raise ``error``."""
    from sklearn.ensemble import ExtraTreesRegressor

    original = ExtraTreesRegressor.fit
    calls = []

    def fit(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise error
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ExtraTreesRegressor, "fit", fit)


TREES = ["--n-estimators", "3"]


def test_checkpoints_are_written_every_n_iterations(
    car_csv, tmp_path, capsys, monkeypatch
):
    out_path = tmp_path / "policy.skops"
    # Two action models per iteration: the 7th fit is in the 4th iteration.
    trees_that_fail_at_fit(monkeypatch, 7, MemoryError("out of memory"))
    args = ["fqi", car_csv, *FQI_ARGS, *TREES, "--max-iter", "6"]
    with pytest.raises(MemoryError):
        main([str(a) for a in [*args, "--checkpoint-every", "2", "--out", out_path]])
    assert load_policy(out_path).n_iter_ == 2  # the checkpoint after iteration 2
    assert os.listdir(tmp_path) == ["policy.skops"]  # no temporary file left
    capsys.readouterr()


def test_resume_continues_to_the_policy_of_one_run(car_csv, tmp_path, capsys):
    states = CarOnHill.score_states()
    args = ["fqi", car_csv, *FQI_ARGS, *TREES]
    code, _, err = run(
        [*args, "--max-iter", "4", "--out", tmp_path / "a.skops"], capsys
    )
    assert code == 0, err
    code, _, err = run(
        [*args, "--max-iter", "2", "--out", tmp_path / "b.skops"], capsys
    )
    assert code == 0, err
    code, out, err = run(
        [
            *args,
            "--max-iter",
            "4",
            "--resume",
            tmp_path / "b.skops",
            "--out",
            tmp_path / "c.skops",
        ],
        capsys,
    )
    assert code == 0, err
    assert "resuming" in out and "after iteration 2, 2 more" in out
    assert "] 2/2" in err
    straight, resumed = (
        load_policy(tmp_path / "a.skops"),
        load_policy(tmp_path / "c.skops"),
    )
    assert resumed.n_iter_ == 4
    np.testing.assert_array_equal(resumed.q_values(states), straight.q_values(states))

    code, _, err = run(
        [*args, "--max-iter", "4", "--resume", tmp_path / "c.skops"], capsys
    )
    assert_one_line_error(code, err, "has 4 iterations already", "--max-iter above 4")


def test_ctrl_c_saves_the_completed_iterations(car_csv, tmp_path, capsys, monkeypatch):
    out_path = tmp_path / "policy.skops"
    trees_that_fail_at_fit(monkeypatch, 5, KeyboardInterrupt())
    code, out, err = run(
        ["fqi", car_csv, *FQI_ARGS, *TREES, "--max-iter", "6", "--out", out_path],
        capsys,
    )
    assert code == 130
    assert "Interrupted after 2 of 6 iterations." in out
    assert f"--resume {out_path}" in out
    assert load_policy(out_path).n_iter_ == 2
    warning = [line for line in err.splitlines() if "warning" in line]
    assert warning == [
        "skfa fqi: warning: FittedQIteration was interrupted; it keeps the "
        "Q-function of iteration 2 (2 completed in this fit)."
    ]


def read_until(fd, pattern, timeout=60.0):
    """Read a pseudo-terminal until ``pattern`` appears; return what was read."""
    import select

    seen, deadline = b"", time.monotonic() + timeout
    while not re.search(pattern, seen):
        ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
        if not ready:
            raise AssertionError(f"no {pattern!r} in {seen.decode()!r}")
        seen += os.read(fd, 4096)
    return seen


@pytest.mark.skipif(os.name != "posix", reason="SIGINT and a pseudo-terminal")
def test_sigint_during_iteration_12_leaves_a_checkpoint_that_resumes(
    car_csv, tmp_path, capsys
):
    import pty
    import signal

    # Enough trees, and iterations after the 12th, that the run is still going
    # when the signal arrives, even on a busy machine.
    args = ["fqi", car_csv, *FQI_ARGS, "--n-estimators", "60", "--max-iter", "18"]
    out_path = tmp_path / "policy.skops"
    # The progress bar is live on a terminal: it shows each finished iteration.
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "skfa", *map(str, args)]
        + ["--checkpoint-every", "5", "--out", str(out_path)],
        stdout=subprocess.PIPE,
        stderr=secondary,
        text=True,
        # A test run in the background ignores SIGINT, and its children inherit
        # that; the command must see Ctrl-C as a user's terminal delivers it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    os.close(secondary)
    read_until(primary, rb"\] 11/18")  # iteration 12 has begun
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=60)
    os.close(primary)

    assert process.returncode == 130, out
    completed = int(re.search(r"Interrupted after (\d+) of 18 iterations", out)[1])
    assert completed >= 11
    assert load_policy(out_path).n_iter_ == completed
    code, _, err = run(["evaluate", out_path, "--env", "car-on-hill"], capsys)
    assert code == 0, err

    resumed = tmp_path / "resumed.skops"
    code, _, err = run([*args, "--resume", out_path, "--out", resumed], capsys)
    assert code == 0, err
    straight = tmp_path / "straight.skops"
    code, _, err = run([*args, "--out", straight], capsys)
    assert code == 0, err
    states = CarOnHill.score_states()
    np.testing.assert_array_equal(
        load_policy(resumed).q_values(states), load_policy(straight).q_values(states)
    )


def test_ctrl_c_in_the_first_iteration_saves_nothing(
    car_csv, tmp_path, capsys, monkeypatch
):
    out_path = tmp_path / "policy.skops"
    trees_that_fail_at_fit(monkeypatch, 1, KeyboardInterrupt())
    code, _, err = run(["fqi", car_csv, *FQI_ARGS, "--out", out_path], capsys)
    assert code == 130
    assert err.strip().splitlines()[-1] == "skfa fqi: interrupted; nothing was saved"
    assert not out_path.exists()


def test_resume_needs_a_fitted_q_iteration(car_csv, tmp_path, capsys):
    from sklearn.dummy import DummyRegressor

    save_policy(DummyRegressor().fit([[0.0, 0.0]], [0]), tmp_path / "dummy.skops")
    code, _, err = run(
        ["fqi", car_csv, *FQI_ARGS, "--resume", tmp_path / "dummy.skops"], capsys
    )
    assert_one_line_error(code, err, "holds a DummyRegressor, not a FittedQIteration")


# ------------------------------------------------------ evaluate --data (FQE)
EVALUATE_ARGS = [*FQI_ARGS, "--n-estimators", "5", "--max-iter", "20"]


@pytest.fixture(scope="module")
def saved_policy(car_csv, tmp_path_factory):
    from sklearn.ensemble import ExtraTreesRegressor

    from skfa.rl import FittedQIteration

    frame = pd.read_csv(car_csv)
    X = frame[["p", "s"]].to_numpy()
    y = make_car_on_hill_transitions(n_episodes=20, random_state=0)[1]
    fqi = FittedQIteration(ExtraTreesRegressor(5), max_iter=10, random_state=0)
    path = tmp_path_factory.mktemp("policies") / "policy.skops"
    save_policy(fqi.fit(X, y), path)
    return path


def test_evaluate_on_logged_data_prints_value_baseline_and_verdict(
    car_csv, saved_policy, capsys
):
    from sklearn.ensemble import ExtraTreesRegressor

    from skfa.rl import FittedQEvaluation, behavior_value

    argv = ["evaluate", saved_policy, "--data", car_csv, *EVALUATE_ARGS]
    code, out, err = run([*argv, "--bootstrap", "3"], capsys)
    assert code == 0, err
    value = float(re.search(r"Policy value: (-?[0-9.]+) \(95 % interval", out)[1])
    low, high = map(
        float, re.search(r"interval (-?[0-9.]+) to (-?[0-9.]+)", out).groups()
    )
    baseline = float(re.search(r"Logged behaviour's value: (-?[0-9.]+)", out)[1])
    # The same numbers as the Python API with the same settings.
    X, y = make_car_on_hill_transitions(n_episodes=20, random_state=0)
    policy = load_policy(saved_policy)
    fqe = FittedQEvaluation(
        policy,
        ExtraTreesRegressor(5, min_samples_split=2),
        gamma=policy.gamma,
        max_iter=20,
        n_bootstrap=3,
        random_state=0,
    ).fit(X, y)
    assert value == pytest.approx(fqe.value_, abs=1e-3)
    assert (low, high) == pytest.approx(fqe.value_interval(0.95), abs=1e-3)
    assert baseline == pytest.approx(behavior_value(X, y, gamma=0.95), abs=1e-3)
    verdict = [line for line in out.splitlines() if line.startswith("Verdict: ")]
    assert len(verdict) == 1
    expected = (
        "better" if low > baseline else "worse" if high < baseline else "no clear"
    )
    assert expected in verdict[0]


def test_evaluate_on_logged_data_errors(car_csv, saved_policy, capsys):
    base = ["evaluate", saved_policy, "--data", car_csv]
    code, _, err = run([*base, "--state", "p,s", "--terminal", "done"], capsys)
    assert_one_line_error(code, err, "--data needs --state", "--episode")
    code, _, err = run([*base, *EVALUATE_ARGS, "--bootstrap", "1"], capsys)
    assert_one_line_error(code, err, "--bootstrap must be at least 2")
    with pytest.raises(SystemExit):
        main([*map(str, base), "--env", "car-on-hill"])  # one or the other
    assert "not allowed with argument --data" in capsys.readouterr().err
    # A policy that pushes with an action the log never took.
    odd = pd.read_csv(car_csv)
    odd["action"] = odd["action"] + 5
    odd_path = car_csv.parent / "odd_actions.csv"
    odd.to_csv(odd_path, index=False)
    code, _, err = run(
        ["evaluate", saved_policy, "--data", odd_path, *EVALUATE_ARGS], capsys
    )
    assert_one_line_error(code, err, "odd_actions.csv", "never took")
