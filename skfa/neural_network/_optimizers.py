"""First-order optimizers that update parameter arrays in place.

Every optimizer follows one contract, the one scikit-learn's MLP uses:
``update_params(params, grads)`` changes each array of ``params`` in place, and
any per-parameter state (velocities, moment estimates) lives in lists aligned
with ``params``. The learning rate is the attribute ``learning_rate``, so a
schedule can change it between steps without knowing which optimizer it drives.
"""

import numpy as np

__all__ = ["SGD", "RMSProp", "Adam", "OPTIMIZERS"]


class _Optimizer:
    """Shared bookkeeping: the learning rate and the number of steps taken."""

    def __init__(self, params, learning_rate=0.001):
        self.learning_rate = float(learning_rate)
        self.n_steps = 0

    def update_params(self, params, grads):
        """Apply one step to every array in ``params`` in place."""
        self.n_steps += 1
        for index, (param, grad) in enumerate(zip(params, grads)):
            self._update(index, param, grad)

    def _update(self, index, param, grad):
        raise NotImplementedError


class SGD(_Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum.

    With velocity ``v`` (zero at the start), learning rate α and momentum μ::

        v ← μ v − α g
        θ ← θ + v                 (classical momentum)
        θ ← θ + μ v − α g         (Nesterov momentum, the look-ahead form)

    With μ = 0 both reduce to plain SGD, θ ← θ − α g.

    Parameters
    ----------
    params : list of ndarray
        The arrays the optimizer will update; used to allocate its state.
    learning_rate : float, default=0.001
        The step size α.
    momentum : float, default=0.9
        The momentum μ, in [0, 1].
    nesterov : bool, default=True
        Whether to use Nesterov's accelerated gradient.
    """

    def __init__(self, params, learning_rate=0.001, momentum=0.9, nesterov=True):
        super().__init__(params, learning_rate)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.velocities = [np.zeros_like(p) for p in params]

    def _update(self, index, param, grad):
        if self.momentum == 0.0:
            param -= self.learning_rate * grad
            return
        velocity = self.velocities[index]
        velocity *= self.momentum
        velocity -= self.learning_rate * grad
        if self.nesterov:
            param += self.momentum * velocity
            param -= self.learning_rate * grad
        else:
            param += velocity


class RMSProp(_Optimizer):
    """RMSProp: scale each step by a running root-mean-square of the gradient.

    With running mean square ``s`` (zero at the start), decay ρ, learning rate α::

        s ← ρ s + (1 − ρ) g ⊙ g
        θ ← θ − α g / (ε + √s)

    Parameters
    ----------
    params : list of ndarray
        The arrays the optimizer will update; used to allocate its state.
    learning_rate : float, default=0.001
        The step size α.
    rho : float, default=0.9
        The decay ρ of the running mean square, in [0, 1).
    epsilon : float, default=1e-8
        ε, which keeps the step finite where ``s`` is zero.
    """

    def __init__(self, params, learning_rate=0.001, rho=0.9, epsilon=1e-8):
        super().__init__(params, learning_rate)
        self.rho = float(rho)
        self.epsilon = float(epsilon)
        self.mean_squares = [np.zeros_like(p) for p in params]

    def _update(self, index, param, grad):
        mean_square = self.mean_squares[index]
        mean_square *= self.rho
        mean_square += (1.0 - self.rho) * grad * grad
        param -= self.learning_rate * grad / (self.epsilon + np.sqrt(mean_square))


class Adam(_Optimizer):
    """Adam: adaptive moment estimation with bias-corrected moments.

    With first and second moments ``m`` and ``v`` (zero at the start), step
    count t (1 on the first step), decays β₁, β₂ and learning rate α::

        m ← β₁ m + (1 − β₁) g
        v ← β₂ v + (1 − β₂) g ⊙ g
        m̂ = m / (1 − β₁ᵗ),   v̂ = v / (1 − β₂ᵗ)
        θ ← θ − α m̂ / (√v̂ + ε)

    This is the update of Kingma & Ba (2015), Algorithm 1, and of PyTorch's
    ``torch.optim.Adam``.

    Parameters
    ----------
    params : list of ndarray
        The arrays the optimizer will update; used to allocate its state.
    learning_rate : float, default=0.001
        The step size α.
    beta_1, beta_2 : float, default=0.9, 0.999
        The decays of the first and second moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        ε, which keeps the step finite where ``v̂`` is zero.
    """

    def __init__(
        self, params, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8
    ):
        super().__init__(params, learning_rate)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.first_moments = [np.zeros_like(p) for p in params]
        self.second_moments = [np.zeros_like(p) for p in params]

    def update_params(self, params, grads):
        # The bias corrections depend only on the step count: compute them once
        # per step, not once per parameter array.
        t = self.n_steps + 1
        self._first_correction = 1.0 - self.beta_1**t
        self._second_correction = 1.0 - self.beta_2**t
        super().update_params(params, grads)

    def _update(self, index, param, grad):
        m = self.first_moments[index]
        v = self.second_moments[index]
        m *= self.beta_1
        m += (1.0 - self.beta_1) * grad
        v *= self.beta_2
        v += (1.0 - self.beta_2) * grad * grad
        denominator = np.sqrt(v / self._second_correction)
        denominator += self.epsilon
        param -= (self.learning_rate / self._first_correction) * m / denominator


OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSProp, "adam": Adam}
