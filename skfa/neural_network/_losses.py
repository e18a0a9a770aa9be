"""Losses: the mean over samples of a per-element loss, optionally weighted.

Every loss here is one definition with and without sample weights::

    L(z, y) = Σᵢ wᵢ Σₖ ℓ(zᵢₖ, yᵢₖ) / Σᵢ wᵢ

with wᵢ = 1 when no weights are given, so the unweighted loss is the plain mean
over samples. For several outputs the per-output losses are summed, so that a
multi-output fit is the same as one fit per output (as in ridge regression).

z is the network's raw output (its last layer is linear). The prediction is
``inverse_link(z)``: z itself for the squared error and Huber's loss, exp(z)
for the Poisson deviance, whose log link keeps the predicted mean positive.
A loss's value and gradient are in terms of z, so the network never sees the
link.
"""

import numpy as np
from scipy.special import xlogy

__all__ = ["LOSSES", "SquaredError", "Huber", "Poisson"]


class _Loss:
    """A mean over samples of ``pointwise(z, y)``, summed over outputs.

    Subclasses give ``pointwise``: the per-element loss ℓ(z, y) and its
    derivative ∂ℓ/∂z, as two arrays of the shape of z.
    """

    def __init__(self, **params):
        self.__dict__.update(params)

    @staticmethod
    def inverse_link(raw_output):
        """The prediction from the network's raw output z: z itself."""
        return raw_output

    def value(self, raw_output, y, sample_weight=None):
        """The loss L(z, y), a float."""
        return self.value_and_gradient(raw_output, y, sample_weight)[0]

    def value_and_gradient(self, raw_output, y, sample_weight=None):
        """L(z, y) and ∂L/∂z together, from one pass over the elements."""
        per_element, grad = self.pointwise(raw_output, y)
        per_sample = per_element.sum(axis=1)
        if sample_weight is None:
            value = per_sample.sum() / raw_output.shape[0]
            grad /= raw_output.shape[0]
        else:
            total = sample_weight.sum()
            value = per_sample @ sample_weight / total
            grad *= (sample_weight / total)[:, np.newaxis]
        return float(value), grad


class _ResidualLoss(_Loss):
    """A loss of the residual r = z − y alone: ℓ(z, y) = ``elementwise(r)``."""

    def pointwise(self, raw_output, y):
        residual = raw_output - y
        per_element = self.elementwise(residual)
        # Last: elementwise_derivative may overwrite the residual.
        return per_element, self.elementwise_derivative(residual)


class SquaredError(_ResidualLoss):
    """ℓ(r) = r², the squared residual; L is the (weighted) mean squared error."""

    name = "squared_error"

    def elementwise(self, residual):
        return residual * residual

    def elementwise_derivative(self, residual):
        residual *= 2  # the caller's residual is not needed after this
        return residual


class Huber(_ResidualLoss):
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


class Poisson(_Loss):
    """The Poisson deviance of the mean μ = exp(z), for counts and rates.

    ℓ(z, y) = 2 (y log(y / μ) − y + μ) = 2 (eᶻ − y z + y log y − y), with
    0 log 0 = 0, and ∂ℓ/∂z = 2 (eᶻ − y). The log link makes every prediction
    eᶻ positive, and lets the network model the log of the mean, on which
    effects add up where on the mean they multiply.

    ℓ is the whole deviance, as the squared error is the whole deviance of
    the normal distribution: twice MLPRegressor's "half Poisson deviance",
    so that, as with the squared error, ``loss_`` is twice MLPRegressor's and
    the same ``alpha`` is the same penalty. The term y log y − y, which does
    not depend on z, is kept: ℓ is then zero where μ = y and positive
    elsewhere, the property the divergence guard relies on when it compares
    the loss with a multiple of its first value. y must not be negative (the
    estimator checks it), where y log y is not defined.

    Where z is beyond what exp represents (about 709 in float64, 88 in
    float32), ℓ is infinite, and training stops as diverged.
    """

    name = "poisson"

    @staticmethod
    def inverse_link(raw_output):
        """The predicted mean exp(z)."""
        return np.exp(raw_output)

    def pointwise(self, raw_output, y):
        mean = np.exp(raw_output)
        per_element = xlogy(y, y)
        per_element -= y * (raw_output + 1)
        per_element += mean
        per_element *= 2
        mean -= y
        mean *= 2
        return per_element, mean


LOSSES = {"squared_error": SquaredError, "huber": Huber, "poisson": Poisson}
