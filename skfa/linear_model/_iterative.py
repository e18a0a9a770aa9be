"""What the iterative solvers of LinearFeatureRegressor train on, and how fast.

The network of an iterative solver never sees the features β and targets y
themselves but an exact change of variables of them (:class:`TrainingCoordinates`),
fixed on the first data: centered features and standardized targets. In those
coordinates the coefficients and the objective have a known scale, whatever the
units of y, and the default step sizes below can be given once for every data
set.
"""

import numpy as np

__all__ = [
    "ADAPTIVE_STEP_SIZES",
    "PLATEAU_EPOCHS",
    "TrainingCoordinates",
    "sgd_step_size",
]

# learning_rate_init='auto' for the optimizers that scale their steps per
# weight. Both move every weight by about this much per step whatever the
# gradient's size, and in the training coordinates the coefficients are of
# order one: Adam's 0.1 crosses that range within the few hundred steps that
# few samples give (one full batch per epoch). RMSProp has no momentum: where
# the gradient is only minibatch noise its steps keep their full size, so it
# takes a smaller one.
ADAPTIVE_STEP_SIZES = {"rmsprop": 0.03, "adam": 0.1}

# Training stops after this many epochs without improvement, and ends with the
# mean of the weights over as many last epochs: the plateau that stopped it,
# where a constant step only makes the weights jitter around the minimum.
PLATEAU_EPOCHS = 20


class TrainingCoordinates:
    """The exact change of variables the iterative solvers train in.

    The network sees the features z = s ⊙ (β − μ) and, for each target,
    ỹ = (y − m) / σ, with μ, m and σ the weighted means and standard deviation
    of the data it is built from and s the per-feature step scales. Its weights
    φ and bias b̃ give back

        θ = σ s ⊙ φ,    b = m + σ b̃ − θᵀμ.

    The change is exact: the intercept is not penalised, so centering moves
    only b, and scaling y by 1/σ scales the whole ridge objective
    Σw(ỹ − φᵀz − b̃)² + α‖φ‖² by 1/σ², whatever α (with s = 1; with the SGD
    scales s, the penalty acts on φ, see LinearFeatureRegressor's Notes).

    Parameters
    ----------
    features : ndarray of shape (n_samples, n_output_features)
        The features β of the first data.
    y : ndarray of shape (n_samples, n_targets)
        Their targets.
    sample_weight : ndarray of shape (n_samples,) or None
        Their weights.
    feature_scales : ndarray of shape (n_output_features,)
        The step scales s.
    """

    def __init__(self, features, y, sample_weight, feature_scales):
        self.feature_means = np.average(features, axis=0, weights=sample_weight)
        self.feature_scales = feature_scales
        self.target_means = np.average(y, axis=0, weights=sample_weight)
        spread = np.sqrt(
            np.average((y - self.target_means) ** 2, axis=0, weights=sample_weight)
        )
        # A constant target has nothing to standardize: it keeps its scale.
        self.target_scales = np.where(spread > 0, spread, 1.0)

    def transform(self, features, y):
        """(z, ỹ) from (β, y); ``features`` is overwritten with z."""
        features -= self.feature_means
        features *= self.feature_scales
        return features, (y - self.target_means) / self.target_scales

    def coefficients(self, weights, bias):
        """θ of shape (n_output_features, n_targets) and b from φ and b̃."""
        coef = weights * self.feature_scales[:, None] * self.target_scales
        intercept = (
            self.target_means + self.target_scales * bias - self.feature_means @ coef
        )
        return coef, intercept


def sgd_step_size(z, l2_scale):
    """The 'auto' step of 'sgd': 1 / L, L bounding every minibatch's curvature.

    The objective of one minibatch, the weighted mean of (φᵀzᵢ + b̃ − ỹᵢ)² plus
    ``l2_scale`` ‖φ‖², has the Hessian 2 mean(wᵢ z̄ᵢ z̄ᵢᵀ) + 2 ``l2_scale`` I,
    z̄ᵢ = (zᵢ, 1), whose largest eigenvalue is at most
    L = 2 (maxᵢ ‖zᵢ‖² + 1 + ``l2_scale``) for any batch and any weights. The
    step 1/L keeps every step stable, Nesterov momentum included; it is the
    step scikit-learn's SAG solver takes (which writes the loss with a factor
    1/2, hence no 2 there).
    """
    max_squared_norm = np.einsum("ij,ij->i", z, z).max()
    return 1.0 / (2.0 * (max_squared_norm + 1.0 + l2_scale))
