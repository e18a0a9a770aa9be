"""
==================================================
Skip connections make a deep network trainable
==================================================

More layers should never hurt: extra layers could always learn to pass their
input through unchanged. In practice a deep *plain* network trains worse than a
shallow one, because the gradient that reaches its first layers is a product
of one factor per layer, and with saturating nonlinearities such as tanh those
factors are mostly below one: the gradient vanishes, and the first layers stop
learning.

A *residual* layer adds its input to its output,

.. math::

    h ← h + σ(hW + b),

so doing nothing is the default, each layer learns a correction, and the
gradient flows back through the additions undiminished (He et al., 2016).
Normalizing each layer (``normalization='layer'``, Ba et al., 2016) keeps the
sum from growing layer after layer. This example trains 12- and 24-layer tanh
networks with :class:`~skfa.MLPApproximator`, with and without
``skip_connections=True``.
"""

# %%
# A smooth two-dimensional function
# ---------------------------------
# y = cos(3π‖x‖): concentric ripples on the square [−1, 1]², 1,000 samples,
# a quarter of them held out.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skfa import MLPApproximator, TrainingDivergedError


def ripples(X):
    return np.cos(3 * np.pi * np.hypot(X[:, 0], X[:, 1]))


rng = np.random.default_rng(0)
X = rng.uniform(-1, 1, size=(1000, 2))
X_train, X_test, y_train, y_test = train_test_split(X, ripples(X), random_state=0)

# The runs below train for a fixed budget of epochs; some stop improving
# before, which is the point, and none needs the convergence warning.
warnings.simplefilter("ignore", ConvergenceWarning)

variants = {
    "plain": {},
    "skip connections": {"skip_connections": True},
    "layer norm": {"normalization": "layer"},
    "skip connections + layer norm": {
        "skip_connections": True,
        "normalization": "layer",
    },
}


def network(depth, **params):
    """tanh layers of 16 units, trained by SGD with Nesterov momentum."""
    return MLPApproximator(
        hidden_layer_sizes=(16,) * depth,
        activation="tanh",
        solver="sgd",
        learning_rate_init=0.01,
        max_iter=200,
        random_state=0,
        **params,
    )


# %%
# The gradient, layer by layer
# ----------------------------
# One step of plain gradient descent (no momentum, no penalty, the whole data
# set as one batch) moves each weight matrix by −α ∂J/∂W⁽ˡ⁾, so dividing the
# step by α reads off the gradient. At initialization, the plain network's
# gradient shrinks by orders of magnitude from the last layer back to the
# first; with skip connections it stays about the same size throughout.
step = 1e-8


def gradient_norms(depth, **params):
    probe = network(depth, **params).set_params(
        momentum=0.0, alpha=0.0, batch_size=len(X_train), learning_rate_init=step
    )
    probe.partial_fit(X_train, y_train)  # draws the weights (and a tiny step)
    before = [W.copy() for W in probe.coefs_]
    probe.partial_fit(X_train, y_train)  # one full-batch step
    return [np.linalg.norm(W - W0) / step for W, W0 in zip(probe.coefs_, before)]


fig, ax = plt.subplots(figsize=(7, 3.8))
for name in ["plain", "skip connections + layer norm"]:
    norms = gradient_norms(12, **variants[name])
    ax.semilogy(range(1, len(norms) + 1), norms, "o-", label=name)
ax.set_xlabel("layer (1 = first hidden layer, 13 = output)")
ax.set_ylabel("‖∂J/∂W‖ at initialization")
ax.set_title("12 hidden tanh layers: where the gradient goes")
ax.legend()
fig.tight_layout()

# %%
# Training 12 hidden layers
# -------------------------
# The same depth, the same initial draw and the same learning rate, four ways.
# The plain network's loss stalls at the variance of y: it predicts a nearly
# constant function (held-out R² ≈ 0). Skip connections alone add up the
# layers' outputs without bound, and at this learning rate training diverges
# (a smaller rate trains it). Layer normalization alone already helps at this
# depth; skip connections with layer normalization fit best.
fig, ax = plt.subplots(figsize=(7, 4))
fitted = {}
for name, params in variants.items():
    model = network(12, **params)
    epochs = None
    try:
        model.fit(X_train, y_train)
        label = f"{name}: held-out R² = {model.score(X_test, y_test):.3f}"
        fitted[name] = model
    except TrainingDivergedError:
        epochs = len(model.loss_curve_) + 1
        label = f"{name}: diverged in epoch {epochs}"
    (line,) = ax.plot(
        range(1, len(model.loss_curve_) + 1), model.loss_curve_, label=label
    )
    if epochs is not None:
        ax.plot(
            epochs,
            0.95,
            "x",
            color=line.get_color(),
            markersize=12,
            markeredgewidth=3,
            transform=ax.get_xaxis_transform(),
        )
    print(label)
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.set_title("MLPApproximator(hidden_layer_sizes=(16,) * 12, activation='tanh')")
ax.legend(fontsize="small", loc="lower left")
fig.tight_layout()

# %%
# What they learned
# -----------------
grid = np.linspace(-1, 1, 101)
g0, g1 = np.meshgrid(grid, grid)
points = np.column_stack([g0.ravel(), g1.ravel()])
surfaces = {"y = cos(3π‖x‖)": ripples(points)}
for name in ["plain", "skip connections + layer norm"]:
    surfaces[f"12 layers, {name}"] = fitted[name].predict(points)
fig, axes = plt.subplots(1, 3, figsize=(12, 4))
for ax, (title, values) in zip(axes, surfaces.items()):
    ax.imshow(
        values.reshape(g0.shape),
        origin="lower",
        extent=(-1, 1, -1, 1),
        vmin=-1,
        vmax=1,
        cmap="RdBu_r",
    )
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()

# %%
# Twice as deep
# -------------
# At 24 hidden layers layer normalization alone is not enough within 100
# epochs; with skip connections as well, the network trains as easily as a
# shallow one.
for name in ["layer norm", "skip connections + layer norm"]:
    deep = network(24, **variants[name]).set_params(max_iter=100)
    deep.fit(X_train, y_train)
    print(f"24 layers, {name}: held-out R² = {deep.score(X_test, y_test):.3f}")

# %%
# With Adam instead of SGD the plain networks fare better, because Adam
# rescales each parameter's step by the size of its recent gradients, which
# partly undoes the vanishing; but depth still pays off most reliably with skip
# connections and normalization, which is why every very deep network since
# ResNet uses them.
