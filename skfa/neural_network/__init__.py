"""The NumPy backpropagation core and the MLPApproximator estimator."""

from ._ensemble import MLPEnsemble
from ._mlp import MLPApproximator, TrainingDivergedError

__all__ = ["MLPApproximator", "MLPEnsemble", "TrainingDivergedError"]
