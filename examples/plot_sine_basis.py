"""
======================================
The sine basis and why the ends matter
======================================

A linear function approximator f(x) = θᵀβ(x̃) + b with the sine basis
β_k(x̃) = sin(kπx̃), where x̃ is the input scaled into [0, 1], can only
represent functions that take the value b at both ends of the range: every
sine term vanishes there. This example shows the basis, a function it
represents exactly, and a function it cannot - eˣ - fitted with the sine basis
alone, with the cosine basis of Konidaris et al. (2011), and with skfa's
default, the sine basis plus one linear term.
"""

# %%
# The basis
# ---------
# :class:`~skfa.linear_model.SineFeatures` scales the inputs into [0, 1] (here
# they already span it) and returns sin(kπx̃), k = 1..n.
import matplotlib.pyplot as plt
import numpy as np

from skfa.linear_model import LinearFeatureRegressor, SineFeatures

x = np.linspace(0, 1, 400).reshape(-1, 1)
features = SineFeatures(n_basis=4, basis="sine").fit(x)

fig, ax = plt.subplots(figsize=(6, 3))
names = features.get_feature_names_out()
for column, name in zip(features.transform(x).T, names, strict=True):
    ax.plot(x, column, label=name)
ax.set_xlabel("x")
ax.legend(loc="lower left", fontsize="small")
ax.set_title("The first four sine features")
fig.tight_layout()

# %%
# A function in the span of the basis is recovered exactly
# --------------------------------------------------------
# Noisy samples of 2 sin(3πx): the least-squares fit puts its weight on the
# third term and almost nothing elsewhere.
rng = np.random.default_rng(0)
X_train = rng.uniform(0, 1, (200, 1))
y_train = 2 * np.sin(3 * np.pi * X_train[:, 0]) + 0.1 * rng.standard_normal(200)

model = LinearFeatureRegressor(n_basis=10, basis="sine").fit(X_train, y_train)
print("weights:", np.round(model.coef_, 2))

# %%
# The boundary problem
# --------------------
# eˣ is 1 at x = 0 and e at x = 1. With the sine basis the fit is pulled back
# to the intercept at both ends and rings in between; the cosine
# basis has no such constraint, but converges slowly (its coefficients decay
# as 1/k²). The default basis, 'sine_linear', adds x̃ to the sine terms: the
# line absorbs the end values, and the sine series only has to fit a remainder
# that vanishes at both ends, whose coefficients decay as 1/k³.
y = np.exp(x[:, 0])
fig, (ax_fit, ax_error) = plt.subplots(1, 2, figsize=(10, 3.5))
ax_fit.plot(x, y, color="black", linewidth=3, alpha=0.3, label="eˣ")
for basis in ["sine", "cosine", "sine_linear"]:
    fit = LinearFeatureRegressor(n_basis=20, basis=basis).fit(x, y)
    error = np.abs(fit.predict(x) - y)
    print(f"{basis:>12s}: max error {error.max():.1e}")
    ax_fit.plot(x, fit.predict(x), label=basis)
    ax_error.semilogy(x, error, label=basis)
ax_fit.set_title("Fits of eˣ with 20 terms")
ax_fit.legend()
ax_error.set_title("Absolute error")
ax_error.set_xlabel("x")
ax_fit.set_xlabel("x")
fig.tight_layout()
plt.show()
