"""Losses: the mean over samples of a per-element loss, optionally weighted.

Every loss here is one definition with and without sample weights::

    L(ŷ, y) = Σᵢ wᵢ Σₖ ℓ(ŷᵢₖ − yᵢₖ) / Σᵢ wᵢ

with wᵢ = 1 when no weights are given, so the unweighted loss is the plain mean
over samples. For several outputs the per-output losses are summed, so that a
multi-output fit is the same as one fit per output (as in ridge regression).
"""

import numpy as np

__all__ = ["LOSSES", "SquaredError", "Huber"]


class _Loss:
    """A mean over samples of ``elementwise(residual)``, summed over outputs."""

    def __init__(self, **params):
        self.__dict__.update(params)

    def value(self, y_pred, y, sample_weight=None):
        """The loss L(ŷ, y), a float."""
        per_sample = self.elementwise(y_pred - y).sum(axis=1)
        return float(np.average(per_sample, weights=sample_weight))

    def gradient(self, y_pred, y, sample_weight=None):
        """∂L/∂ŷ, an array shaped like ``y_pred``."""
        grad = self.elementwise_derivative(y_pred - y)
        if sample_weight is None:
            grad /= y_pred.shape[0]
        else:
            grad *= (sample_weight / sample_weight.sum())[:, np.newaxis]
        return grad


class SquaredError(_Loss):
    """ℓ(r) = r², the squared residual; L is the (weighted) mean squared error."""

    name = "squared_error"

    def elementwise(self, residual):
        return residual * residual

    def elementwise_derivative(self, residual):
        return 2 * residual


class Huber(_Loss):
    """Huber's loss: quadratic for small residuals, linear beyond ``delta``.

    ℓ(r) = r² / 2 where |r| ≤ δ, and δ (|r| − δ / 2) elsewhere (Huber, 1964; as in
    ``torch.nn.HuberLoss``). Large residuals, from outliers or from bootstrapped
    targets early in fitted-Q iteration, pull on the fit with a bounded force δ.
    """

    name = "huber"

    def __init__(self, delta=1.0):
        super().__init__(delta=float(delta))

    def elementwise(self, residual):
        magnitude = np.abs(residual)
        quadratic = np.minimum(magnitude, self.delta)
        return quadratic * (magnitude - 0.5 * quadratic)

    def elementwise_derivative(self, residual):
        return np.clip(residual, -self.delta, self.delta)


LOSSES = {"squared_error": SquaredError, "huber": Huber}
