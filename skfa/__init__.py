"""skfa: function approximation for reinforcement learning, the scikit-learn way."""

from .linear_model import LinearFeatureRegressor, SineFeatures
from .neural_network import MLPApproximator, MLPEnsemble, TrainingDivergedError
from .rl import FittedQEvaluation, FittedQIteration

__version__ = "0.1.0.dev0"

__all__ = [
    "FittedQEvaluation",
    "FittedQIteration",
    "LinearFeatureRegressor",
    "MLPApproximator",
    "MLPEnsemble",
    "SineFeatures",
    "TrainingDivergedError",
    "__version__",
]
