"""
=========================================================
A neural network is layers h(x) = σ(Wx + b), composed
=========================================================

The linear approximator of the previous lecture, f(x) = θᵀβ(x), needs someone
to choose the features β. A neural network learns them: each layer is

.. math::

    h(x) = σ(Wx + b),

an affine map followed by an element-wise nonlinearity σ, and the network is
layers composed, f_θ(x) = h₃(h₂(h₁(x))), whose last layer is linear:

.. math::

    f_θ(x) = W^{(3)} σ^{(2)}\\big(W^{(2)} σ^{(1)}(W^{(1)} x + b^{(1)}) + b^{(2)}\\big)
    + b^{(3)}.

This example looks at the nonlinearities σ that
:class:`~skfa.MLPApproximator` offers, at what one layer computes, and at a
fitted network read as a linear model on features it learned itself.

skfa, like scikit-learn, stores a batch of inputs as the rows of ``X``, so in
code a layer is ``sigma(X @ W + b)``: the same map with W transposed.
"""

# %%
# The nonlinearities
# ------------------
# skfa's seven activations, with their derivatives (what backpropagation
# multiplies by). Without a nonlinearity, layers compose to one affine map:
# ``identity`` networks are linear models, however deep. ``logistic`` and
# ``tanh`` saturate, so their derivatives vanish for large ∣z∣; the rectifiers
# (``relu``, ``leaky_relu``, ``elu``) do not saturate for z > 0, and
# ``softplus`` is a smooth ``relu``.
import matplotlib.pyplot as plt
import numpy as np

from skfa.neural_network._activations import ACTIVATIONS

names = ["identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "softplus"]
z = np.linspace(-4, 4, 401)

fig, axes = plt.subplots(2, 4, figsize=(11, 5), sharex=True)
for ax, name in zip(axes.ravel(), names):
    activation = ACTIVATIONS[name]
    # ``forward`` overwrites its argument (the core saves memory that way).
    a = activation.forward(z.copy())
    ax.plot(z, a, label="σ(z)")
    ax.plot(z, activation.derivative(a.copy()), "--", label="σ′(z)")
    ax.axhline(0, color="0.8", linewidth=0.8)
    ax.axvline(0, color="0.8", linewidth=0.8)
    ax.set_title(name)
    ax.set_ylim(-2, 4)
axes[0, 0].legend(loc="upper left", fontsize="small")
axes[-1, -1].axis("off")
fig.suptitle("skfa's activations σ and their derivatives")
fig.tight_layout()

# %%
# One unit: σ(wx + b)
# -------------------
# A single hidden unit with one input is a bent copy of σ: the weight w sets
# how sharp the bend is (and flips it when negative), the bias b where it
# sits, at x = −b / w.
x = np.linspace(-2, 2, 401)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for w, b in [(1, 0), (4, 0), (4, -4), (-2, 1)]:
    for ax, name in zip(axes, ["tanh", "relu"]):
        ax.plot(x, ACTIVATIONS[name].forward(w * x + b), label=f"w = {w}, b = {b}")
for ax, name in zip(axes, ["tanh", "relu"]):
    ax.set_title(f"h(x) = {name}(wx + b)")
    ax.set_xlabel("x")
axes[0].legend(fontsize="small")
fig.tight_layout()

# %%
# Composing layers
# ----------------
# A layer of many units gives many bent copies; the next layer mixes them
# linearly and bends the mixtures again. Random weights already show how the
# functions a network can represent grow more intricate with depth: each
# curve below is a random tanh network of width 16 with 1 to 4 hidden layers.
rng = np.random.default_rng(0)


def random_network(x, depth, width=16):
    """f(x) for random Glorot-like weights, with a linear last layer."""
    h = x[:, np.newaxis]
    for _ in range(depth):
        W = rng.normal(0, 2.5 / np.sqrt(h.shape[1]), size=(h.shape[1], width))
        b = rng.normal(0, 1, size=width)
        h = np.tanh(h @ W + b)
    return h @ rng.normal(0, 1 / np.sqrt(width), size=width)


fig, axes = plt.subplots(1, 4, figsize=(12, 3), sharey=True)
for depth, ax in enumerate(axes, start=1):
    for _ in range(3):
        ax.plot(x, random_network(x, depth))
    ax.set_title(f"{depth} hidden layer{'s' if depth > 1 else ''}")
    ax.set_xlabel("x")
fig.tight_layout()

# %%
# A fitted network is a linear model on learned features
# ------------------------------------------------------
# Fit a network with one hidden layer of 8 tanh units to y = sin(2πx). Its
# output is f(x) = Σⱼ w⁽²⁾ⱼ hⱼ(x) + b⁽²⁾: exactly the linear approximator
# θᵀβ(x), except that the features βⱼ = hⱼ were fitted too. Recomputing
# the hidden layer from ``coefs_`` and ``intercepts_`` shows them: one unit
# makes the big bend, the others are gentle curves that correct it.
import warnings

from sklearn.exceptions import ConvergenceWarning

from skfa import MLPApproximator

# The fits below stop at max_iter on purpose, to keep the example fast.
warnings.simplefilter("ignore", ConvergenceWarning)

X = rng.uniform(0, 1, size=(400, 1))
y = np.sin(2 * np.pi * X[:, 0])
model = MLPApproximator(
    hidden_layer_sizes=(8,),
    activation="tanh",
    learning_rate_init=0.02,
    max_iter=1000,
    random_state=0,
).fit(X, y)
print(f"training R²: {model.score(X, y):.4f} after {model.n_iter_} epochs")

grid = np.linspace(0, 1, 200)[:, np.newaxis]
(W1, W2), (b1, b2) = model.coefs_, model.intercepts_
features = np.tanh(grid @ W1 + b1)  # β(x) = h(x), shape (200, 8)
by_hand = features @ W2[:, 0] + b2[0]
print("max |by hand − predict|:", np.abs(by_hand - model.predict(grid)).max())

fig, (ax_features, ax_fit) = plt.subplots(1, 2, figsize=(10, 3.8))
for j in range(features.shape[1]):
    ax_features.plot(grid, W2[j, 0] * features[:, j])
ax_features.set_title("the learned features, each times its weight w⁽²⁾ⱼ")
ax_features.set_xlabel("x")
ax_fit.plot(grid, np.sin(2 * np.pi * grid), color="black", linewidth=4, alpha=0.3)
ax_fit.plot(grid, by_hand, color="C3", label="Σⱼ w⁽²⁾ⱼ hⱼ(x) + b⁽²⁾")
ax_fit.set_title("their sum: the network's output")
ax_fit.set_xlabel("x")
ax_fit.legend()
fig.tight_layout()

# %%
# The choice of nonlinearity shapes the fit
# -----------------------------------------
# The same two-hidden-layer network with each activation, fitted to a
# function with a kink and a smooth bump. ``identity`` can only fit a line;
# ``relu`` fits are piecewise linear (its units are hinges); the smooth
# activations give smooth fits.
X = rng.uniform(-1, 1, size=(500, 1))


def target(x):
    return np.abs(x) + 0.5 * np.exp(-20 * (x - 0.5) ** 2)


y = target(X[:, 0])
grid = np.linspace(-1, 1, 400)[:, np.newaxis]
fig, axes = plt.subplots(2, 4, figsize=(12, 5), sharex=True, sharey=True)
for ax, name in zip(axes.ravel(), names):
    fit = MLPApproximator(
        hidden_layer_sizes=(16, 16),
        activation=name,
        learning_rate_init=0.01,
        max_iter=300,
        random_state=0,
    ).fit(X, y)
    ax.plot(grid, target(grid), color="black", linewidth=4, alpha=0.3)
    ax.plot(grid, fit.predict(grid), color="C0")
    ax.set_title(f"{name}: R² = {fit.score(X, y):.3f}", fontsize=10)
axes[-1, -1].axis("off")
fig.suptitle("MLPApproximator(hidden_layer_sizes=(16, 16), activation=...)")
fig.tight_layout()
