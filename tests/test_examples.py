"""The gallery examples run, and print what their text says they show.

Each example runs as a script in a subprocess with matplotlib's Agg backend,
as sphinx-gallery runs it. Every example takes seconds, so all of them run in
every test session: the gallery is proven to run in CI time.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ALL = sorted(path.name for path in EXAMPLES.glob("plot_*.py"))


def run_example(name, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize("name", ALL)
def test_example_runs(name, tmp_path):
    stdout = run_example(name, tmp_path)
    check = CHECKS.get(name)
    if check is not None:
        check(stdout)


def test_every_example_is_in_the_gallery_order():
    sys.path.insert(0, str(EXAMPLES.parent / "docs" / "sphinxext"))
    try:
        from gallery_order import LECTURE_ORDER
    finally:
        sys.path.pop(0)
    assert sorted(LECTURE_ORDER) == ALL


def r2_after(label, stdout):
    match = re.search(re.escape(label) + r".*?R² = (-?[0-9.]+)", stdout)
    assert match, f"{label!r} not in the output:\n{stdout}"
    return float(match.group(1))


def check_backprop(stdout):
    # The lecture's numbers, computed by hand and by finite differences.
    assert "∂ℓ/∂θ1 = -85,000 · 1 · 1         = -85,000" in stdout
    assert "= -2.125e+08" in stdout
    assert "finite difference -8.500000e+04" in stdout
    assert "finite difference -2.125000e+08" in stdout
    assert "Keep calm and lower your learning rate" in stdout
    assert "raw inputs, learning rate 0.1: diverged" in stdout
    assert (
        float(re.search(r"standardised, learning rate 0.1: R² ([0-9.]+)", stdout)[1])
        > 0.9
    )


def check_optimizers(stdout):
    assert "sgd, α = 1: Training diverged in epoch" in stdout
    assert "adam, α = 1e-" not in stdout  # Adam never diverges in the sweep


def check_residual(stdout):
    assert r2_after("plain:", stdout) < 0.2
    assert r2_after("skip connections + layer norm:", stdout) > 0.95
    assert r2_after("24 layers, skip connections + layer norm:", stdout) > 0.95
    assert "skip connections: diverged" in stdout


def check_regularization(stdout):
    none = float(re.search(r"no regularization .* held-out R² ([0-9.]+)", stdout)[1])
    l2 = float(re.search(r"alpha = 0.01 .* held-out R² ([0-9.]+)", stdout)[1])
    assert l2 > none + 0.05
    ridge = re.search(r"Ridge: +slope (\S+), intercept (\S+)", stdout).groups()
    mlp = re.search(r"MLPApproximator: slope (\S+), intercept (\S+)", stdout).groups()
    assert ridge == mlp


CHECKS = {
    "plot_backprop_by_hand.py": check_backprop,
    "plot_optimizers.py": check_optimizers,
    "plot_residual_networks.py": check_residual,
    "plot_regularization.py": check_regularization,
}
