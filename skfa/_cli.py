"""The ``skfa`` command line: ``python -m skfa demo`` and friends."""

import argparse
import sys
import time

import numpy as np

__all__ = ["main"]


def _demo(args):
    """Fit the estimators on built-in problems and print what they learned."""
    from .neural_network import MLPApproximator

    rng = np.random.default_rng(args.random_state)
    X = rng.uniform(0, 1, size=(2000, 1))
    y = np.sin(2 * np.pi * X[:, 0]) + 0.1 * rng.normal(size=2000)
    X_test = np.linspace(0, 1, 401)[:, np.newaxis]
    y_test = np.sin(2 * np.pi * X_test[:, 0])

    print("skfa demo: learn y = sin(2πx) from 2,000 noisy samples (noise σ = 0.1)")
    print()
    model = MLPApproximator(
        hidden_layer_sizes=(64, 64), max_iter=300, random_state=args.random_state
    )
    start = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - start
    print(f"{'estimator':<34}{'train R²':>10}{'test R²':>10}{'epochs':>8}{'time':>9}")
    print(
        f"{'MLPApproximator((64, 64), relu)':<34}{model.score(X, y):>10.4f}"
        f"{model.score(X_test, y_test):>10.4f}{model.n_iter_:>8}{seconds:>8.2f}s"
    )
    print()
    print("What it learned, at a few points:")
    print(f"{'x':>8}{'sin(2πx)':>12}{'f(x)':>12}")
    for x in np.linspace(0, 1, 9):
        prediction = model.predict([[x]])[0]
        print(f"{x:>8.3f}{np.sin(2 * np.pi * x):>12.4f}{prediction:>12.4f}")
    return 0


def _parser():
    parser = argparse.ArgumentParser(
        prog="skfa",
        description="Function approximation for reinforcement learning.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="fit the estimators on built-in data")
    demo.add_argument("--random-state", type=int, default=0)
    demo.set_defaults(run=_demo)
    return parser


def main(argv=None):
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
