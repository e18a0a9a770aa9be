"""The default Q-value regressor of FittedQIteration and FittedQEvaluation."""

__all__ = ["default_q_regressor"]


def default_q_regressor():
    """An ensemble of small tanh networks, warm-started from iteration to iteration.

    Five networks of two hidden layers of 64 tanh units, trained side by side
    (:class:`~skfa.neural_network.MLPEnsemble`); fitted-Q iteration acts on
    their mean. Each iteration continues from the previous iteration's
    weights for a fixed number of optimizer steps (neural fitted-Q
    iteration), so the work per iteration does not grow with the data. The
    inputs and targets are standardized inside the estimator, so the same
    settings serve states and rewards of any scale, and one state is one
    small computation. Where the data end, the members extrapolate each
    their own way: their mean is steadier than any one of them, and their
    spread is what ``pessimism`` acts on.
    """
    from ..neural_network import MLPEnsemble

    return MLPEnsemble(
        hidden_layer_sizes=(64, 64),
        n_members=5,
        n_steps=150,
        batch_size=2048,
        learning_rate_init=0.003,
        warm_start=True,
    )
