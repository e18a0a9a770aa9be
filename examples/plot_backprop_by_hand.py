"""
=======================================================
Backpropagation by hand, and why unscaled inputs hurt
=======================================================

The lecture works backpropagation through the smallest model there is, a line
fitted to house prices,

.. math::

    \\hat y = θ_2 x + θ_1, \\qquad ℓ(\\hat y, y) = (\\hat y - y)^2,

for one house of x = 2,500 square feet, and finds the gradient
∂ℓ/∂θ₁ = −85,000 and ∂ℓ/∂θ₂ = −2.125 × 10⁸. This example redoes that
computation step by step, checks it against finite differences, and shows what
those two numbers mean for training: the same step size cannot suit two
parameters whose gradients differ by a factor of 2,500, gradient descent
diverges ("keep calm and lower your learning rate"), and scaling the input
fixes it.
"""

# %%
# The forward pass: calculate values
# ----------------------------------
# Break the model into elementary operations, each a node of the computation
# graph: c₁ = θ₂·x, ŷ = c₁ + θ₁, c₂ = ŷ − y and ℓ = c₂². We take a line of
# $100 per square foot plus $7,500, and a house that sold for $300,000.
import matplotlib.pyplot as plt
import numpy as np

x, y = 2_500.0, 300_000.0
theta_1, theta_2 = 7_500.0, 100.0

c_1 = theta_2 * x
y_pred = c_1 + theta_1
c_2 = y_pred - y
loss = c_2**2
print(f"c1 = θ2·x      = {c_1:>15,.0f}")
print(f"ŷ  = c1 + θ1   = {y_pred:>15,.0f}")
print(f"c2 = ŷ − y     = {c_2:>15,.0f}")
print(f"ℓ  = c2²       = {loss:>15,.0f}")

# %%
# The backward pass: the chain rule, from ℓ back to each θ
# --------------------------------------------------------
# Each node multiplies the gradient arriving from above by its own local
# derivative: ∂ℓ/∂c₂ = 2c₂, ∂c₂/∂ŷ = 1, ∂ŷ/∂θ₁ = 1, ∂ŷ/∂c₁ = 1 and
# ∂c₁/∂θ₂ = x. The two products are the lecture's numbers.
dloss_dc2 = 2 * c_2
dc2_dypred = 1.0
dypred_dtheta1 = 1.0
dypred_dc1 = 1.0
dc1_dtheta2 = x

grad_theta_1 = dloss_dc2 * dc2_dypred * dypred_dtheta1
grad_theta_2 = dloss_dc2 * dc2_dypred * dypred_dc1 * dc1_dtheta2
print(f"∂ℓ/∂θ1 = {dloss_dc2:,.0f} · 1 · 1         = {grad_theta_1:,.0f}")
print(f"∂ℓ/∂θ2 = {dloss_dc2:,.0f} · 1 · 1 · {x:,.0f} = {grad_theta_2:.4g}")

# %%
# The graph with its values (black, computed left to right) and gradients
# (red, computed right to left):
nodes = {
    "θ₂": (0.0, 1.0, theta_2, grad_theta_2),
    "x": (0.0, 0.0, x, None),
    "c₁ = θ₂x": (1.5, 0.5, c_1, grad_theta_1),
    "θ₁": (1.5, -0.5, theta_1, grad_theta_1),
    "ŷ = c₁ + θ₁": (3.0, 0.0, y_pred, grad_theta_1),
    "y": (3.0, -1.0, y, None),
    "c₂ = ŷ − y": (4.5, -0.5, c_2, dloss_dc2),
    "ℓ = c₂²": (6.0, -0.5, loss, 1.0),
}
edges = [
    ("θ₂", "c₁ = θ₂x"),
    ("x", "c₁ = θ₂x"),
    ("c₁ = θ₂x", "ŷ = c₁ + θ₁"),
    ("θ₁", "ŷ = c₁ + θ₁"),
    ("ŷ = c₁ + θ₁", "c₂ = ŷ − y"),
    ("y", "c₂ = ŷ − y"),
    ("c₂ = ŷ − y", "ℓ = c₂²"),
]
fig, ax = plt.subplots(figsize=(10, 3.6))
for start, end in edges:
    (x0, y0, *_), (x1, y1, *_) = nodes[start], nodes[end]
    ax.annotate(
        "",
        xy=(x1 - 0.35, y1),
        xytext=(x0 + 0.35, y0),
        arrowprops={"arrowstyle": "->", "color": "0.5"},
    )
for name, (px, py, value, grad) in nodes.items():
    ax.text(
        px,
        py,
        name,
        ha="center",
        va="center",
        bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "0.3"},
    )
    ax.text(px, py + 0.28, f"{value:,.6g}", ha="center", fontsize=9)
    if grad is not None:
        ax.text(px, py - 0.32, f"∂ℓ: {grad:,.6g}", ha="center", fontsize=9, color="C3")
ax.set_xlim(-0.6, 6.7)
ax.set_ylim(-1.5, 1.5)
ax.axis("off")
ax.set_title("Forward values (black) and ∂ℓ/∂node (red) for one house")
fig.tight_layout()

# %%
# Checking the gradient with finite differences
# ---------------------------------------------
# The central difference [ℓ(θ + h eᵢ) − ℓ(θ − h eᵢ)] / 2h approximates each
# partial derivative without any chain rule. This check is how every layer,
# activation and loss of skfa's backprop core is tested.


def squared_error(theta_1, theta_2):
    return (theta_2 * x + theta_1 - y) ** 2


h = 1e-3
numeric_1 = squared_error(theta_1 + h, theta_2) - squared_error(theta_1 - h, theta_2)
numeric_2 = squared_error(theta_1, theta_2 + h) - squared_error(theta_1, theta_2 - h)
numeric_1, numeric_2 = numeric_1 / (2 * h), numeric_2 / (2 * h)
print(f"∂ℓ/∂θ1: backprop {grad_theta_1:.6e}, finite difference {numeric_1:.6e}")
print(f"∂ℓ/∂θ2: backprop {grad_theta_2:.6e}, finite difference {numeric_2:.6e}")

# %%
# What the gradient does to a gradient-descent step
# -------------------------------------------------
# With the learning rate α = 0.001 that suits most networks, one step of
# θ ← θ − α∇ℓ moves the intercept by $85 but the price per square foot
# from 100 to over 212,000: the next prediction is off by half a billion
# dollars, the gradient after that is larger still, and training diverges.
alpha = 1e-3
print(f"θ1: {theta_1:,.0f} -> {theta_1 - alpha * grad_theta_1:,.0f}")
print(f"θ2: {theta_2:,.0f} -> {theta_2 - alpha * grad_theta_2:,.0f}")

# %%
# The root cause is the input's scale, not this particular house. On a data
# set of houses the loss is a quadratic bowl in (θ₁, θ₂) whose curvature along
# θ₂ is about x² times its curvature along θ₁: the bowl is a narrow trench.
# Gradient descent is stable only if α is below 2 / (the largest curvature),
# and with such an α it takes steps along the trench floor that are millions
# of times too small. Standardising x (subtract its mean, divide by its
# standard deviation; the target too, so that both numbers are about 1) turns
# the trench into a round bowl that the same algorithm crosses in a few steps.
rng = np.random.default_rng(0)
sizes = rng.uniform(800, 4_000, 200)
prices = 50_000 + 100 * sizes + rng.normal(0, 25_000, 200)


def gradient_descent(inputs, targets, start, n_steps):
    """Full-batch gradient descent on the mean squared error of a line."""
    design = np.column_stack([np.ones_like(inputs), inputs])
    hessian = 2 * design.T @ design / len(inputs)
    curvatures = np.linalg.eigvalsh(hessian)
    step = 1.0 / curvatures.max()  # half the largest stable step
    theta = np.array(start, dtype=float)
    path = [theta.copy()]
    for _ in range(n_steps):
        theta -= step * 2 * design.T @ (design @ theta - targets) / len(inputs)
        path.append(theta.copy())
    return np.array(path), curvatures.max() / curvatures.min()


def loss_surface(inputs, targets, theta_1_grid, theta_2_grid):
    t1, t2 = np.meshgrid(theta_1_grid, theta_2_grid)
    residuals = t2[..., None] * inputs + t1[..., None] - targets
    return t1, t2, np.mean(residuals**2, axis=-1)


scaled_sizes = (sizes - sizes.mean()) / sizes.std()
scaled_prices = (prices - prices.mean()) / prices.std()
problems = {
    "unscaled: x in ft², y in $": (sizes, prices, (0.0, 0.0)),
    "standardised x and y": (scaled_sizes, scaled_prices, (-1.5, -1.5)),
}
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for ax, (title, (inputs, targets, start)) in zip(axes, problems.items()):
    path, condition = gradient_descent(inputs, targets, start, n_steps=50)
    design = np.column_stack([np.ones_like(inputs), inputs])
    best = np.linalg.lstsq(design, targets, rcond=None)[0]
    span = np.abs(np.array(best) - np.array(start)).max() * 1.3 + 1e-12
    grid_1 = np.linspace(best[0] - span, best[0] + span, 200)
    grid_2 = np.linspace(best[1] - span, best[1] + span, 200)
    if title.startswith("unscaled"):
        grid_2 = np.linspace(best[1] - 60, best[1] + 60, 200)
    t1, t2, surface = loss_surface(inputs, targets, grid_1, grid_2)
    ax.contour(t1, t2, np.log10(surface), levels=20, cmap="viridis")
    ax.plot(path[:, 0], path[:, 1], "o-", color="C3", markersize=3, label="50 steps")
    ax.plot(*best, "k*", markersize=12, label="least squares")
    ax.set_xlabel("θ₁ (intercept)")
    ax.set_ylabel("θ₂ (slope)")
    ax.set_title(f"{title}\ncondition number {condition:.3g}", fontsize=10)
    ax.legend(loc="upper left", fontsize="small")
    print(f"{title}: after 50 steps θ = {path[-1].round(3)}, best θ = {best.round(3)}")
fig.tight_layout()

# %%
# In the unscaled problem (condition number, the ratio of largest to smallest
# curvature, 6 × 10⁷), 50 steps of a safe size fit the slope but leave the
# intercept where it started, at 0.09 instead of 52,759: the trench floor is
# too flat for a step sized for its walls. In the standardised problem the
# contours are circles, and the same rule lands on the minimum in one step.
#
# The same lesson with MLPApproximator
# ------------------------------------
# A network without hidden layers is this linear model. Trained by SGD on the
# raw houses it diverges, and skfa stops with
# :class:`~skfa.TrainingDivergedError` instead of returning NaN weights. Its
# message gives Karpathy's advice.
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfa import MLPApproximator, TrainingDivergedError

X = sizes[:, np.newaxis]
line = MLPApproximator(
    hidden_layer_sizes=(), solver="sgd", learning_rate_init=1.0, random_state=0
)
try:
    line.fit(X, prices)
except TrainingDivergedError as error:
    print(error)

# %%
# Lowering the learning rate does help, but it has to go very low: on the raw
# inputs the rates down to 1e-5 diverge within two epochs, 1e-7 oscillates
# with a loss that grows every epoch (an R² far below zero after 50 epochs),
# and the first rate that is stable, 1e-8, leaves the intercept near its
# random start. Standardising the input and the target, with a
# :class:`~sklearn.preprocessing.StandardScaler` in a pipeline, trains at a
# rate of 0.1. (The SGD solver's Nesterov momentum of 0.9 makes its effective
# step about ten times the rate, which is why a rate of 1 is too much even
# for standardised data.)
import warnings

from sklearn.exceptions import ConvergenceWarning

# Fifty epochs are enough to make the point; SGD's noise would need more to
# meet the stopping tolerance.
warnings.simplefilter("ignore", ConvergenceWarning)
for rate in [1e-1, 1e-3, 1e-5, 1e-7, 1e-8]:
    raw = MLPApproximator(
        hidden_layer_sizes=(),
        solver="sgd",
        learning_rate_init=rate,
        max_iter=50,
        random_state=0,
    )
    try:
        raw.fit(X, prices)
        outcome = (
            f"R² {raw.score(X, prices):.4g}, θ₁ = {raw.intercepts_[0][0]:,.2f}, "
            f"θ₂ = {raw.coefs_[0][0, 0]:.2f}"
        )
    except TrainingDivergedError:
        outcome = "diverged"
    print(f"raw inputs, learning rate {rate:g}: {outcome}")

scaled = TransformedTargetRegressor(
    make_pipeline(
        StandardScaler(),
        MLPApproximator(
            hidden_layer_sizes=(),
            solver="sgd",
            learning_rate_init=0.1,
            max_iter=50,
            random_state=0,
        ),
    ),
    transformer=StandardScaler(),
)
scaled.fit(X, prices)
print(f"standardised, learning rate 0.1: R² {scaled.score(X, prices):.3f}")

# %%
# The stable rate still fits a decent line here because 100 $/ft² explains
# most of the price, but only by luck: the intercept cannot learn. For a
# network with hidden layers the same imbalance hits every first-layer
# weight. Scale inputs (and targets) before training; it costs one line of a
# pipeline.
