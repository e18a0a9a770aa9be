"""
==============================================================
Regularizing an over-sized network: L2, dropout, normalization
==============================================================

A network with thousands of weights and 25 noisy data points will fit the
noise: its training error keeps falling while its error on new data rises.
This example trains such a network, :class:`~skfa.MLPApproximator` with two
hidden layers of 64 tanh units (4,353 parameters), and compares the three
regularizers the lecture puts on the radar:

- an **L2 penalty** on the weights (``alpha``),
- **dropout** (``dropout``): zero each hidden unit at random in training,
- **normalization** (``normalization='batch'`` or ``'layer'``).

Each is judged by R² on 1,000 held-out samples. The noise alone limits that
R² to about 0.85.
"""

# %%
# A small noisy data set
# ----------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skfa import MLPApproximator

rng = np.random.default_rng(0)
noise = 0.3


def truth(x):
    return np.sin(2 * np.pi * x)


X = rng.uniform(0, 1, size=(25, 1))
y = truth(X[:, 0]) + noise * rng.normal(size=25)
X_test = rng.uniform(0, 1, size=(1000, 1))
y_test = truth(X_test[:, 0]) + noise * rng.normal(size=1000)
best_possible = 1 - noise**2 / y_test.var()
print(f"R² of the true function on the held-out data: {best_possible:.3f}")

# Every network trains for the same 3,000 epochs, long enough to overfit;
# none is meant to meet the stopping tolerance.
warnings.simplefilter("ignore", ConvergenceWarning)


def oversized(alpha=0.0, **params):
    return MLPApproximator(
        hidden_layer_sizes=(64, 64),
        activation="tanh",
        alpha=alpha,
        learning_rate_init=0.003,
        max_iter=3000,
        n_iter_no_change=np.inf,
        random_state=0,
        **params,
    ).fit(X, y)


def report(name, model):
    train, test = model.score(X, y), model.score(X_test, y_test)
    print(f"{name:<28} training R² {train:.3f}   held-out R² {test:.3f}")
    return train, test


unregularized = oversized()
report("no regularization", unregularized)

# %%
# The L2 penalty, with the meaning of ridge regression
# ----------------------------------------------------
# The lecture writes the penalised objective with β‖θ‖². The penalty must be
# *added* to the loss (subtracting it, as on the slide, would reward large
# weights). skfa minimises
#
# .. math::
#
#     J(θ) = \frac{1}{Σ_i w_i}\Big(Σ_i w_i \, ℓ(f_θ(x_i), y_i)
#            + α Σ_l ‖W^{(l)}‖^2\Big),
#
# which for a network without hidden layers is exactly the objective of
# :class:`~sklearn.linear_model.Ridge` divided by Σwᵢ: ``alpha`` means the
# same thing in both, and the penalty weighs less as data accumulate. A
# linear network trained by Adam finds Ridge's coefficients:
from sklearn.linear_model import Ridge

ridge = Ridge(alpha=1.0).fit(X, y)
linear = MLPApproximator(
    hidden_layer_sizes=(),
    alpha=1.0,
    learning_rate_init=0.01,
    max_iter=3000,
    tol=1e-12,
    random_state=0,
).fit(X, y)
print(f"Ridge:           slope {ridge.coef_[0]:.4f}, intercept {ridge.intercept_:.4f}")
print(
    f"MLPApproximator: slope {linear.coefs_[0][0, 0]:.4f}, "
    f"intercept {linear.intercepts_[0][0]:.4f}"
)

# %%
# Sweeping ``alpha``: too little leaves the noise in, too much flattens the
# fit to a constant. In between, held-out R² approaches what the noise allows.
alphas = [1e-3, 1e-2, 1e-1, 1.0]
penalized = {alpha: oversized(alpha=alpha) for alpha in alphas}
scores = [(unregularized.score(X, y), unregularized.score(X_test, y_test))] + [
    report(f"alpha = {alpha:g}", model) for alpha, model in penalized.items()
]

fig, ax = plt.subplots(figsize=(6, 3.8))
positions = np.arange(len(scores))
ax.plot(positions, [train for train, _ in scores], "o-", label="training R²")
ax.plot(positions, [test for _, test in scores], "o-", label="held-out R²")
ax.axhline(best_possible, color="0.5", linestyle=":", label="the noise's limit")
ax.set_xticks(positions, ["0"] + [f"{alpha:g}" for alpha in alphas])
ax.set_xlabel("alpha")
ax.set_ylabel("R²")
ax.set_ylim(0, 1)
ax.legend(loc="lower left")
ax.set_title("L2 penalty on a (64, 64) tanh network, 25 samples")
fig.tight_layout()

# %%
# Dropout and normalization
# -------------------------
# Dropout zeroes each hidden unit with probability p in every training step
# (and scales the others by 1 / (1 − p)), so that no unit can rely on a
# particular other one; prediction uses them all. Normalization standardizes
# each hidden layer's inputs to σ: over the minibatch (batch norm) or over the
# layer's units (layer norm). It is mainly a tool for faster, steadier
# training (see :ref:`sphx_glr_auto_examples_plot_residual_networks.py`);
# its effect as a regularizer depends on the problem.
others = {
    "dropout = 0.1": oversized(dropout=0.1),
    "dropout = 0.3": oversized(dropout=0.3),
    "normalization = 'batch'": oversized(normalization="batch"),
    "normalization = 'layer'": oversized(normalization="layer"),
}
for name, model in others.items():
    report(name, model)

# %%
# The fits
# --------
# Without regularization the network bends to reach individual noisy points;
# the penalised fit follows the sine.
grid = np.linspace(0, 1, 400)[:, np.newaxis]
shown = {
    "no regularization": unregularized,
    "alpha = 0.01": penalized[1e-2],
    "dropout = 0.1": others["dropout = 0.1"],
    "normalization = 'batch'": others["normalization = 'batch'"],
}
fig, axes = plt.subplots(1, 4, figsize=(14, 3.4), sharey=True)
for ax, (name, model) in zip(axes, shown.items()):
    ax.plot(grid, truth(grid), color="black", linewidth=4, alpha=0.25)
    ax.plot(X, y, "o", color="0.4", markersize=4)
    ax.plot(grid, model.predict(grid), color="C3")
    ax.set_title(f"{name}\nheld-out R² {model.score(X_test, y_test):.3f}", fontsize=10)
    ax.set_xlabel("x")
axes[0].set_ylim(-2, 2)
fig.tight_layout()

# %%
# On this problem batch normalization gives the best held-out R² and the L2
# penalty, the easiest to tune, comes close. Here every batch holds all 25
# samples, so batch norm's statistics are not even noisy: its gain comes from
# how it reshapes training, not from the noise usually credited for its
# regularizing effect. Small dropout rates help a little; large ones starve a
# network that has only 25 samples to learn from. Regularizers are
# hyperparameters like any other: choose them on held-out data, e.g. with
# :class:`~sklearn.model_selection.GridSearchCV`, or stop training early with
# ``early_stopping=True``.
