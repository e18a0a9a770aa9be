"""Linear function approximation on sine, cosine and Fourier bases."""

from ._features import SineFeatures
from ._regressor import LinearFeatureRegressor

__all__ = ["LinearFeatureRegressor", "SineFeatures"]
