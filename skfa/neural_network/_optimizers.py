"""First-order optimizers that update parameter arrays in place.

Every optimizer follows one contract, the one scikit-learn's MLP uses:
``update_params(params, grads)`` changes each array of ``params`` in place, and
any per-parameter state (velocities, moment estimates) lives in lists aligned
with ``params``. The learning rate is the attribute ``learning_rate``, so a
schedule can change it between steps without knowing which optimizer it drives.
Each class names its other settings in ``hyperparameters``: an estimator builds
any optimizer of ``OPTIMIZERS`` from its name alone, passing those settings by
name.

The arithmetic is written in place, through one scratch array per parameter,
so that a step allocates nothing: at hundreds of steps an epoch, temporary
arrays the size of the weights cost more than the update itself.
"""

import math

import numpy as np

__all__ = ["SGD", "RMSProp", "Adam", "OPTIMIZERS", "flush_subnormals"]

# Magnitudes below this are set to zero by ``flush_subnormals``: far above the
# subnormal range (below about 2.2e-308 in float64, 1.2e-38 in float32), far
# below anything that changes a prediction.
FLUSH_THRESHOLD = {np.dtype(np.float64): 1e-200, np.dtype(np.float32): 1e-30}


def flush_subnormals(arrays):
    """Set the entries of tiny magnitude to zero, in place.

    A moment estimate of a unit that has stopped receiving gradient decays
    geometrically: β₁ᵗ falls below the smallest normal float64, 2.2e-308, once
    t > 308 ln 10 / ln(1 / β₁), about 6,700 steps for β₁ = 0.9. Arithmetic on
    subnormal numbers is many times slower on most CPUs. Flushing every hundred
    or so steps keeps the values out of that range at the cost of one pass over
    the arrays.
    """
    for array in arrays:
        tiny = np.abs(array) < FLUSH_THRESHOLD[array.dtype]
        array[tiny] = 0


class _Optimizer:
    """Shared bookkeeping: the learning rate, the step count, scratch space."""

    #: The keyword arguments of the constructor besides ``learning_rate``.
    hyperparameters = ()

    def __init__(self, params, learning_rate=0.001):
        self.learning_rate = float(learning_rate)
        self.n_steps = 0
        self._scratch = None

    def update_params(self, params, grads):
        """Apply one step to every array in ``params`` in place."""
        if self._scratch is None:
            self._scratch = [np.empty_like(p) for p in params]
        self.n_steps += 1
        for index, (param, grad) in enumerate(zip(params, grads)):
            self._update(index, param, grad, self._scratch[index])

    def _update(self, index, param, grad, scratch):
        raise NotImplementedError

    def state_arrays(self):
        """The per-parameter state (velocities, moments), for flushing."""
        return []

    def __getstate__(self):
        # Scratch space is not state: pickle without it.
        return {**self.__dict__, "_scratch": None}


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
    nesterovs_momentum : bool, default=True
        Whether to use Nesterov's accelerated gradient.
    """

    hyperparameters = ("momentum", "nesterovs_momentum")

    def __init__(
        self, params, learning_rate=0.001, momentum=0.9, nesterovs_momentum=True
    ):
        super().__init__(params, learning_rate)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterovs_momentum)
        self.velocities = [np.zeros_like(p) for p in params]

    def state_arrays(self):
        return self.velocities

    def _update(self, index, param, grad, scratch):
        step = np.multiply(grad, self.learning_rate, out=scratch)  # α g
        if self.momentum == 0.0:
            param -= step
            return
        velocity = self.velocities[index]
        velocity *= self.momentum
        velocity -= step
        if self.nesterov:
            param -= step
            step = np.multiply(velocity, self.momentum, out=scratch)
            param += step
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

    hyperparameters = ("rho", "epsilon")

    def __init__(self, params, learning_rate=0.001, rho=0.9, epsilon=1e-8):
        super().__init__(params, learning_rate)
        self.rho = float(rho)
        self.epsilon = float(epsilon)
        self.mean_squares = [np.zeros_like(p) for p in params]

    def state_arrays(self):
        return self.mean_squares

    def _update(self, index, param, grad, scratch):
        mean_square = self.mean_squares[index]
        mean_square *= self.rho
        np.multiply(grad, grad, out=scratch)
        scratch *= 1.0 - self.rho
        mean_square += scratch
        denominator = np.sqrt(mean_square, out=scratch)
        denominator += self.epsilon
        np.divide(grad, denominator, out=scratch)  # g / (ε + √s)
        scratch *= self.learning_rate
        param -= scratch


class Adam(_Optimizer):
    """Adam: adaptive moment estimation with bias-corrected moments.

    With first and second moments ``m`` and ``v`` (zero at the start), step
    count t (1 on the first step), decays β₁, β₂ and learning rate α::

        m ← β₁ m + (1 − β₁) g
        v ← β₂ v + (1 − β₂) g ⊙ g
        m̂ = m / (1 − β₁ᵗ),   v̂ = v / (1 − β₂ᵗ)
        θ ← θ − α m̂ / (√v̂ + ε)

    This is the update of Kingma & Ba (2015), Algorithm 1, and of PyTorch's
    ``torch.optim.Adam``. The moments are stored divided by (1 − β₁) and
    (1 − β₂), u = m / (1 − β₁) and w = v / (1 − β₂), whose updates
    u ← β₁ u + g and w ← β₂ w + g ⊙ g take fewer passes over the arrays; the
    constants move into the step::

        θ ← θ − α (1 − β₁) / ((1 − β₁ᵗ) c) · u / (√w + ε / c),
        c = √((1 − β₂) / (1 − β₂ᵗ))

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

    hyperparameters = ("beta_1", "beta_2", "epsilon")

    def __init__(
        self, params, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8
    ):
        super().__init__(params, learning_rate)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.first_moments = [np.zeros_like(p) for p in params]  # u = m / (1 − β₁)
        self.second_moments = [np.zeros_like(p) for p in params]  # w = v / (1 − β₂)

    def state_arrays(self):
        return self.first_moments + self.second_moments

    def update_params(self, params, grads):
        # The constants depend only on the step count: once per step, not once
        # per parameter array. They are Python floats, as the learning rate is
        # (see LearningRateSchedule.rate), so float32 arrays stay in float32.
        t = self.n_steps + 1
        c = math.sqrt((1.0 - self.beta_2) / (1.0 - self.beta_2**t))
        self._step_size = (
            self.learning_rate * (1.0 - self.beta_1) / ((1.0 - self.beta_1**t) * c)
        )
        self._scaled_epsilon = self.epsilon / c
        super().update_params(params, grads)

    def _update(self, index, param, grad, scratch):
        u = self.first_moments[index]
        w = self.second_moments[index]
        u *= self.beta_1
        u += grad
        np.multiply(grad, grad, out=scratch)
        w *= self.beta_2
        w += scratch
        denominator = np.sqrt(w, out=scratch)
        denominator += self._scaled_epsilon
        step = np.divide(u, denominator, out=scratch)
        step *= self._step_size
        param -= step


OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSProp, "adam": Adam}
