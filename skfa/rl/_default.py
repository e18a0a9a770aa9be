"""The default Q-value regressor of FittedQIteration."""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

__all__ = ["DEFAULT_NETWORK_AVERAGE", "DEFAULT_NETWORK_RUNS", "default_q_regressor"]

# FittedQIteration(average="auto") averages the default network's Q-functions
# over this many final iterations (see default_q_regressor).
DEFAULT_NETWORK_AVERAGE = 10
# FittedQIteration(n_runs="auto") averages the Q-functions of this many
# independently seeded runs of the default network (see default_q_regressor).
DEFAULT_NETWORK_RUNS = 3


def as_float32(X):
    """``X`` as a float32 array: the network then trains and predicts in float32."""
    return np.asarray(X, dtype=np.float32)


def default_q_regressor():
    """A standardizing pipeline into skfa's MLP, warm-started as in NFQ.

    The settings were tuned on the car on the hill (benchmarks/bench_fqi.py,
    one network per action): four layers of 64 tanh units (tanh fits its
    sharp value boundaries better than rectifiers); each fitted-Q iteration
    trains 40 more epochs of large, fast minibatches from the previous
    iteration's weights, and hands on the mean of the weights over the last
    20 of them (``average=20``). The inputs are standardized because
    positions and speeds differ in scale, and the network computes in
    float32, which finds the same policies as float64 in less than half the
    time.

    Where the data end, the network extrapolates, and its greedy policy there
    swings from one iteration to the next and from one seed to another; a
    third of the car's score states lie far from any logged state, and most
    of the lost score is lost there. Four settings steady it: the weight
    average above, a stronger L2 penalty (``alpha=0.01``), and
    FittedQIteration's means of the Q-functions of the last
    DEFAULT_NETWORK_AVERAGE iterations (``average="auto"``) and of
    DEFAULT_NETWORK_RUNS independently seeded runs (``n_runs="auto"``). On
    the benchmark's episodes one run scores 0.15-0.33 depending on its seed,
    the mean of three 0.28-0.33. Where the logged episodes barely show what
    lies beyond the data, the mean of the runs can extrapolate the wrong way
    together; benchmarks/fqi_default_trials.md has the figures, and what
    else was tried.
    """
    from ..neural_network import MLPApproximator

    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("float32", FunctionTransformer(as_float32)),
            (
                "mlp",
                MLPApproximator(
                    hidden_layer_sizes=(64, 64, 64, 64),
                    activation="tanh",
                    batch_size=2048,
                    learning_rate_init=0.003,
                    max_iter=40,  # epochs per fitted-Q iteration
                    n_iter_no_change=np.inf,  # always the full 40 epochs
                    average=20,  # hand on the mean of the last 20 epochs
                    alpha=0.01,  # smoother where the data end
                    warm_start=True,
                ),
            ),
        ]
    )
