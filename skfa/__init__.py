"""skfa: function approximation for reinforcement learning, the scikit-learn way."""

from .neural_network import MLPApproximator, TrainingDivergedError

__version__ = "0.1.0.dev0"

__all__ = ["MLPApproximator", "TrainingDivergedError", "__version__"]
