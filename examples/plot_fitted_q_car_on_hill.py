"""
==========================================
Fitted-Q iteration on the car on the hill
==========================================

Ernst, Geurts and Wehenkel (2005) learn to drive an underpowered car up a hill
from nothing but logged random episodes: fitted-Q iteration turns any regressor
into an offline reinforcement-learning algorithm. The car's engine is too weak
to climb straight up, so a good policy first backs up the left slope to gather
momentum.

This example reproduces the paper's setting at a smaller scale so it runs in
seconds: 300 random episodes instead of 1,000, 10 trees instead of 50 and 30
iterations instead of 50, with gamma = 0.95 (the full-size run, in
``benchmarks/bench_fqi.py``, scores about 0.3; the optimal policy scores 0.360).
It then draws the learned Q-function and greedy policy over the state space, as
in the paper's figures.
"""

# %%
# Logged data: random episodes from the bottom of the valley
# -----------------------------------------------------------
# Each episode starts at position -0.5 with zero speed and takes uniformly
# random actions (push left, u = -4, or right, u = +4) until the car leaves the
# state space. ``X`` holds the states and ``y`` what followed each of them.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.ensemble import ExtraTreesRegressor

from skfa.datasets import make_car_on_hill_transitions
from skfa.envs import CarOnHill
from skfa.rl import FittedQIteration

X, y = make_car_on_hill_transitions(n_episodes=300, random_state=0)
print(f"{len(X)} transitions; fields of y: {y.dtype.names}")
print(f"episodes reaching the top: {(y['reward'] == 1).sum()} of 300")

# %%
# Fitted-Q iteration with extra-trees, one model per action
# ----------------------------------------------------------
fqi = FittedQIteration(
    ExtraTreesRegressor(n_estimators=10, min_samples_split=2, max_features=1.0),
    gamma=0.95,
    max_iter=30,
    n_jobs=2,
    random_state=0,
).fit(X, y)

env = CarOnHill()
print(f"score of the greedy policy: {env.score_policy(fqi):.3f}")

# %%
# How the iterations went
# -----------------------
# Each iteration looks one step further ahead. The mean Q-value climbs while the
# rewards of the few successful episodes propagate back through the state space
# (the TD error rises meanwhile), then both settle.
fig, axes = plt.subplots(1, 2, figsize=(9, 3), constrained_layout=True)
iterations = np.arange(1, fqi.n_iter_ + 1)
axes[0].semilogy(iterations, fqi.history_["td_error"])
axes[0].set(xlabel="iteration", title="mean squared TD error")
axes[1].plot(iterations, fqi.history_["mean_q"])
axes[1].set(xlabel="iteration", title="mean Q(s, a) on the data")

# %%
# The learned Q-function and the greedy policy
# --------------------------------------------
# Q over a grid of positions and speeds, for each action, and the action the
# greedy policy picks (as in figures 6 to 8 of the paper). The white curve is
# the greedy trajectory from the start state (-0.5, 0): it swings left first.
positions, speeds = np.meshgrid(np.linspace(-1, 1, 201), np.linspace(-3, 3, 201))
grid = np.column_stack([positions.ravel(), speeds.ravel()])
q = fqi.q_values(grid)

trajectory = [env.reset()[0]]
for _ in range(100):
    state, _, terminated, _, _ = env.step(fqi.predict(trajectory[-1][None])[0])
    trajectory.append(state)
    if terminated:
        break
trajectory = np.array(trajectory)

fig, axes = plt.subplots(1, 3, figsize=(13, 4), constrained_layout=True)
extent = (-1, 1, -3, 3)
for action, (ax, force) in enumerate(zip(axes[:2], env.forces)):
    image = ax.imshow(
        q[:, action].reshape(positions.shape),
        origin="lower",
        extent=extent,
        aspect="auto",
        cmap="RdBu",
        vmin=-1,
        vmax=1,
    )
    ax.set(title=f"Q(p, s, u = {force:+.0f})", xlabel="position p", ylabel="speed s")
fig.colorbar(image, ax=axes[:2], shrink=0.8)

greedy = fqi.predict(grid).reshape(positions.shape)
axes[2].imshow(
    greedy,
    origin="lower",
    extent=extent,
    aspect="auto",
    cmap="coolwarm",
    vmin=0,
    vmax=1,
)
axes[2].plot(trajectory[:, 0], trajectory[:, 1], "w.-", markersize=3)
axes[2].plot(*trajectory[0], "wo")
axes[2].set(
    title="greedy action: blue u = -4, red u = +4",
    xlabel="position p",
    ylabel="speed s",
    xlim=(-1, 1),
    ylim=(-3, 3),
)
plt.show()
