"""The NumPy backpropagation core and the MLPApproximator estimator."""

from ._mlp import MLPApproximator, TrainingDivergedError

__all__ = ["MLPApproximator", "TrainingDivergedError"]
