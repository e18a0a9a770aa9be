"""The default Q-value regressor of FittedQIteration."""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

__all__ = ["default_q_regressor"]


def default_q_regressor():
    """A standardizing pipeline into skfa's MLP, warm-started as in NFQ.

    The settings were tuned on the car on the hill (benchmarks/bench_fqi.py):
    tanh units fit its sharp value boundaries better than rectifiers, and 20
    epochs of large, fast minibatches per iteration, continued from the previous
    iteration's weights, train the network for 1,000 epochs over 50 iterations.
    The inputs are standardized because positions and speeds differ in scale.

    TODO(issue 5): it scores 0.23-0.27 there (random_state 0 and 1), short of
    the 0.28 target; the greedy policy's score swings by +-0.05 from one
    iteration to the next, and smaller learning rates, SGD, wider or deeper
    networks and 80 epochs per iteration did not steady it.
    """
    from ..neural_network import MLPApproximator

    return Pipeline(
        [
            ("scale", StandardScaler()),
            (
                "mlp",
                MLPApproximator(
                    hidden_layer_sizes=(64, 64),
                    activation="tanh",
                    batch_size=2048,
                    learning_rate_init=0.003,
                    max_iter=40,  # epochs per fitted-Q iteration
                    n_iter_no_change=np.inf,  # always the full 40 epochs
                    warm_start=True,
                ),
            ),
        ]
    )
