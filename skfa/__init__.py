"""skfa: function approximation for reinforcement learning, the scikit-learn way."""

from .linear_model import LinearFeatureRegressor, SineFeatures
from .neural_network import MLPApproximator, TrainingDivergedError
from .rl import FittedQIteration

__version__ = "0.1.0.dev0"

__all__ = [
    "FittedQIteration",
    "LinearFeatureRegressor",
    "MLPApproximator",
    "SineFeatures",
    "TrainingDivergedError",
    "__version__",
]
