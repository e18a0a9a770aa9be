"""
===============================================
Fitting data larger than memory, chunk by chunk
===============================================

:class:`~skfa.linear_model.LinearFeatureRegressor` with fixed ``input_bounds``
learns exactly from chunks: any split of the data through ``partial_fit`` gives
the coefficients of one ``fit`` on all of it. ``skfa.utils.partial_fit_chunks``
feeds it one slice of rows at a time from a memory-mapped file (or a Dask
array), so the data never have to be in memory at once.

Here a million noisy samples are written to a ``.npy`` file on disk, mapped
back without reading them, and fitted with 30 sine terms. Their full feature
matrix would take 1M x 31 x 8 bytes = 248 MB; the streamed fit needs a few MB.
"""

# %%
import shutil
import tempfile
import tracemalloc
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from skfa import LinearFeatureRegressor
from skfa.utils import partial_fit_chunks

n_samples, chunk = 1_000_000, 250_000
folder = Path(tempfile.mkdtemp())
X = np.lib.format.open_memmap(
    folder / "X.npy", mode="w+", dtype=np.float64, shape=(n_samples, 1)
)
y = np.lib.format.open_memmap(
    folder / "y.npy", mode="w+", dtype=np.float64, shape=(n_samples,)
)
rng = np.random.default_rng(0)
for start in range(0, n_samples, chunk):
    x = rng.uniform(0, 1, size=chunk)
    X[start : start + chunk, 0] = x
    y[start : start + chunk] = (
        np.sin(6 * x) * np.exp(-2 * x) + (x > 0.6) + 0.3 * rng.standard_normal(chunk)
    )
X.flush()
y.flush()
del X, y

# %%
# Stream the memory-mapped file through ``partial_fit``
# -----------------------------------------------------
# ``np.load(..., mmap_mode="r")`` reads nothing yet; each slice is a view that
# the operating system pages in as the fit reads it.
X = np.load(folder / "X.npy", mmap_mode="r")
y = np.load(folder / "y.npy", mmap_mode="r")

tracemalloc.start()
streamed = partial_fit_chunks(
    LinearFeatureRegressor(n_basis=30, input_bounds=(0, 1)), X, y, chunk_size=100_000
)
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
feature_bytes = n_samples * streamed.n_output_features_ * 8
print(f"peak memory {peak / 1e6:.1f} MB; feature matrix {feature_bytes / 1e6:.0f} MB")

# %%
# The same coefficients as a fit in memory
# ----------------------------------------
in_memory = LinearFeatureRegressor(n_basis=30, input_bounds=(0, 1))
in_memory.fit(np.asarray(X), np.asarray(y))
gap = np.max(np.abs(streamed.coef_ - in_memory.coef_) / np.abs(in_memory.coef_))
print(f"largest relative difference of the coefficients: {gap:.1e}")

grid = np.linspace(0, 1, 500).reshape(-1, 1)
fig, ax = plt.subplots(figsize=(6, 3.5), constrained_layout=True)
ax.plot(X[:2000, 0], y[:2000], ".", color="0.7", markersize=2, label="2,000 samples")
ax.plot(grid[:, 0], streamed.predict(grid), color="C0", label="streamed fit")
ax.set(xlabel="x", ylabel="y", title=f"{n_samples:,} samples, fitted in chunks")
ax.legend(loc="lower left")
plt.show()

# %%
# The maps must be closed (their arrays deleted) before the files are removed.
del X, y
shutil.rmtree(folder)
