"""The default Q-value regressor of FittedQIteration and FittedQEvaluation."""

__all__ = ["default_q_regressor"]


def default_q_regressor():
    """Three small tanh networks side by side, warm-started between iterations.

    An :class:`~skfa.neural_network.MLPEnsemble` of three networks of four
    hidden layers of 64 tanh units, each on its own minibatches; fitted-Q
    iteration acts on their mean. Each iteration continues from the previous
    iteration's weights for 100 Adam steps on minibatches of 2,048 rows
    (neural fitted-Q iteration), so the work per iteration does not grow with
    the data, and a few thousand transitions are trained as long as a
    million. Tanh units draw the sharp boundaries between states that reach a
    goal and states that fail better than rectifiers do, and large minibatches
    keep each iteration's fit from chasing the noise of the bootstrapped
    targets. The inputs and targets are standardized inside the estimator, so
    the same settings serve states and rewards of any scale. Where the data
    end, the members extrapolate each their own way: their mean is steadier
    than any one of them, and their spread is what ``pessimism`` acts on.
    ``benchmarks/fqi_default_trials.md`` says how these settings were chosen.
    """
    from ..neural_network import MLPEnsemble

    return MLPEnsemble(
        hidden_layer_sizes=(64, 64, 64, 64),
        n_members=3,
        n_steps=100,
        batch_size=2048,
        learning_rate_init=0.003,
        warm_start=True,
    )
