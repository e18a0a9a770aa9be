"""Learning-rate schedules: the step size α_t for update number t (0, 1, 2, …).

=========== ==============================================================
name        α_t
=========== ==============================================================
constant    α₀
invscaling  α₀ / (t + 1)^power_t
adaptive    α₀, divided by 5 each time training stops improving (a plateau)
cosine      α₀ · ½ (1 + cos(π · min(t / T, 1))), T the planned total of steps
=========== ==============================================================

With a warm-up of W steps, α_t is further multiplied by min(1, (t + 1) / W),
a linear ramp that keeps the first steps, taken with poor moment estimates
and large gradients, small.
"""

import numpy as np

__all__ = ["LearningRateSchedule", "SCHEDULES"]

SCHEDULES = ("constant", "invscaling", "adaptive", "cosine")

# 'adaptive' gives up once the step size falls below this (scikit-learn's value).
ADAPTIVE_MIN_LEARNING_RATE = 1e-6
ADAPTIVE_DIVISOR = 5.0


class LearningRateSchedule:
    """The step size at every update, and what a plateau does to it.

    Parameters
    ----------
    kind : {'constant', 'invscaling', 'adaptive', 'cosine'}
    learning_rate_init : float
        α₀.
    power_t : float, default=0.5
        The exponent of 'invscaling'.
    total_steps : int, default=1
        T, the number of updates 'cosine' anneals over.
    warmup_steps : int, default=0
        W, the length of the linear warm-up.
    """

    def __init__(
        self, kind, learning_rate_init, *, power_t=0.5, total_steps=1, warmup_steps=0
    ):
        if kind not in SCHEDULES:
            raise ValueError(f"Unknown schedule {kind!r}; choose from {SCHEDULES}.")
        self.kind = kind
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.total_steps = max(int(total_steps), 1)
        self.warmup_steps = int(warmup_steps)
        self.current = learning_rate_init  # where 'adaptive' has got to

    def plan(self, n_epochs, steps_per_epoch, warmup_epochs=0):
        """Set T and W from epochs of ``steps_per_epoch`` updates each.

        T = n_epochs · steps_per_epoch (the horizon of 'cosine'), and
        W = round(warmup_epochs · steps_per_epoch).
        """
        self.total_steps = max(int(n_epochs * steps_per_epoch), 1)
        self.warmup_steps = round(warmup_epochs * steps_per_epoch)

    def rate(self, step):
        """α_t for update number ``step`` (counting from 0)."""
        if self.kind == "constant":
            rate = self.learning_rate_init
        elif self.kind == "invscaling":
            rate = self.learning_rate_init / (step + 1) ** self.power_t
        elif self.kind == "adaptive":
            rate = self.current
        else:
            progress = min(step / self.total_steps, 1.0)
            rate = self.learning_rate_init * 0.5 * (1.0 + np.cos(np.pi * progress))
        if step < self.warmup_steps:
            rate *= (step + 1) / self.warmup_steps
        # A Python float, never a NumPy float64: the optimizers multiply arrays
        # by it, and NumPy computes a float32 array times a float64 scalar in
        # float64, through a slow casting loop.
        return float(rate)

    def on_plateau(self):
        """Training stopped improving: return True to go on, False to stop.

        Only 'adaptive' goes on, with a step size five times smaller, until
        that falls below 1e-6.
        """
        if self.kind != "adaptive" or self.current <= ADAPTIVE_MIN_LEARNING_RATE:
            return False
        self.current /= ADAPTIVE_DIVISOR
        return True
