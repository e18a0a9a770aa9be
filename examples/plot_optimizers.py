"""
=================================================================
SGD, RMSProp and Adam, and a learning rate that is too large
=================================================================

Training minimises the summed loss over the data,

.. math::

    θ^* = \\arg\\min_θ \\sum_{(x, y) ∈ \\mathcal D} ℓ(f_θ(x), y),

one minibatch gradient g = ∇_θ ℓ at a time. The optimizers differ in what they
do with g:

- **SGD**: θ ← θ − α g (skfa's ``'sgd'`` adds momentum, Nesterov's by
  default; ``momentum=0`` is the plain rule).
- **RMSProp** keeps a running estimate of g ⊙ g,
  ŝ ← ρ ŝ + (1 − ρ) g ⊙ g, and divides each parameter's step by its root:
  θᵢ ← θᵢ − α gᵢ / (ε + √ŝᵢ). Each parameter gets a step of about α,
  whatever the scale of its gradient.
- **Adam** (adaptive moment estimation) keeps decaying estimates of both the
  gradient, v ← β₁ v + (1 − β₁) g, and its square,
  s ← β₂ s + (1 − β₂) g ⊙ g, corrects their bias towards zero in the first
  steps, and steps by α v̂ / (ε + √ŝ).

This example compares their training curves (``loss_curve_``) on one problem
and then sweeps the learning rate α until training diverges.
"""

# %%
# A two-dimensional regression problem
# ------------------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skfa import MLPApproximator, TrainingDivergedError

rng = np.random.default_rng(0)
X = rng.uniform(-1, 1, size=(1000, 2))
y = np.sin(3 * X[:, 0]) * np.cos(2 * X[:, 1]) + 0.05 * rng.normal(size=1000)

# Every run below trains for a fixed number of epochs, to compare curves of
# equal length; none is meant to meet the stopping tolerance.
warnings.simplefilter("ignore", ConvergenceWarning)


def network(**params):
    return MLPApproximator(
        hidden_layer_sizes=(32, 32),
        activation="tanh",
        max_iter=150,
        n_iter_no_change=np.inf,
        random_state=0,
        **params,
    )


def epochs(curve):
    """Epoch numbers 1, 2, ... for a loss curve."""
    return np.arange(1, len(curve) + 1)


# %%
# The same network, the same initial weights and the same minibatches; only
# the optimizer changes. At the learning rate 0.001 of the lecture's RMSProp
# slide, plain SGD barely moves, momentum helps, and the two adaptive methods,
# whose steps do not depend on the gradient's scale, are far ahead.
solvers = {
    "SGD (momentum=0)": {"solver": "sgd", "momentum": 0.0},
    "SGD + Nesterov momentum 0.9": {"solver": "sgd"},
    "RMSProp (ρ = 0.9)": {"solver": "rmsprop"},
    "Adam (β₁ = 0.9, β₂ = 0.999)": {"solver": "adam"},
}
fig, ax = plt.subplots(figsize=(7, 4))
for label, params in solvers.items():
    model = network(learning_rate_init=0.001, **params).fit(X, y)
    ax.plot(
        epochs(model.loss_curve_),
        model.loss_curve_,
        label=f"{label}: R² = {model.score(X, y):.3f}",
    )
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss (mean squared error)")
ax.set_title("learning_rate_init=0.001")
ax.legend(fontsize="small")
fig.tight_layout()

# %%
# Keep calm and lower your learning rate
# --------------------------------------
# A larger step learns faster, up to a point. Past it, each step overshoots
# the minimum by more than the last and the loss explodes. skfa notices (the
# loss stops being finite or grows a million-fold) and raises
# :class:`~skfa.TrainingDivergedError`, keeping the last finite weights; a
# cross at the top marks the epoch in which a run diverged.
rates = [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for ax, solver in zip(axes, ["sgd", "adam"]):
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(rates)))
    for rate, color in zip(rates, colors):
        model = network(solver=solver, learning_rate_init=rate)
        try:
            model.fit(X, y)
            ax.plot(
                epochs(model.loss_curve_),
                model.loss_curve_,
                color=color,
                label=f"α = {rate:g}",
            )
        except TrainingDivergedError as error:
            # loss_curve_ holds the epochs completed before the divergence;
            # the cross marks the epoch that diverged, at the top of the plot.
            ax.plot(epochs(model.loss_curve_), model.loss_curve_, color=color)
            ax.plot(
                len(model.loss_curve_) + 1,
                0.95,
                "x",
                color=color,
                markersize=12,
                markeredgewidth=3,
                transform=ax.get_xaxis_transform(),
                label=f"α = {rate:g}: diverged in epoch {len(model.loss_curve_) + 1}",
            )
            print(f"{solver}, α = {rate:g}: {str(error).split(':')[0]}")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_title(f"solver={solver!r}")
    ax.legend(fontsize="small")
axes[0].set_ylabel("training loss")
fig.tight_layout()

# %%
# For SGD, too small a rate is slow, too large a rate diverges, and the best
# rate sits just below where divergence begins. Adam's steps are bounded by
# about α whatever the gradient, so it does not blow up here even at α = 10,
# but too large a rate leaves it bouncing around a poor loss. When a run
# diverges, lower
# ``learning_rate_init`` by a factor of 3 to 10 (and check that inputs and
# targets are scaled; see :ref:`sphx_glr_auto_examples_plot_backprop_by_hand.py`).
