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
        return self.value_and_gradient(y_pred, y, sample_weight)[0]

    def value_and_gradient(self, y_pred, y, sample_weight=None):
        """L(ŷ, y) and ∂L/∂ŷ together, from one computation of the residual."""
        residual = y_pred - y
        per_sample = self.elementwise(residual).sum(axis=1)
        grad = self.elementwise_derivative(residual)
        if sample_weight is None:
            value = per_sample.sum() / y_pred.shape[0]
            grad /= y_pred.shape[0]
        else:
            total = sample_weight.sum()
            value = per_sample @ sample_weight / total
            grad *= (sample_weight / total)[:, np.newaxis]
        return float(value), grad


class SquaredError(_Loss):
    """ℓ(r) = r², the squared residual; L is the (weighted) mean squared error."""

    name = "squared_error"

    def elementwise(self, residual):
        return residual * residual

    def elementwise_derivative(self, residual):
        residual *= 2  # the caller's residual is not needed after this
        return residual


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
