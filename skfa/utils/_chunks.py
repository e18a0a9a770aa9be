"""Feed ``partial_fit`` chunk by chunk from arrays that need not fit in memory.

Three kinds of arrays are read the same way, one slice of rows at a time:
NumPy arrays, memory-mapped arrays (``np.memmap``, ``np.load(...,
mmap_mode="r")``), whose slices are views that the operating system pages in
as they are read, and Dask arrays, whose slices are computed one at a time.
Only one chunk of ``X``, ``y`` and ``sample_weight`` is ever held in memory.
"""

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["iter_row_chunks", "partial_fit_chunks"]


def iter_row_chunks(*arrays, chunk_size=100_000, order=None):
    """Yield the arrays' rows ``start:stop`` together, one chunk at a time.

    Parameters
    ----------
    *arrays : array-like or None
        Arrays with the same number of rows: NumPy arrays, memory maps, Dask
        arrays or pandas objects. None entries are passed through as None.
    chunk_size : int, default=100_000
        The number of rows per chunk; the last chunk may be shorter.
    order : array-like of int, default=None
        The order in which to visit the chunks, as chunk indices; None visits
        them first to last.

    Yields
    ------
    chunk : tuple
        One in-memory slice (a NumPy array, or a memory-map view, or a pandas
        object) per entry of ``arrays``, in their order. Dask slices are
        computed together, so work they share is done once.

    Examples
    --------
    >>> import numpy as np
    >>> from skfa.utils import iter_row_chunks
    >>> X, y = np.arange(10).reshape(5, 2), np.arange(5)
    >>> [yc.tolist() for _, yc in iter_row_chunks(X, y, chunk_size=2)]
    [[0, 1], [2, 3], [4]]
    """
    n_samples = _n_rows(arrays)
    if not isinstance(chunk_size, Integral) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}.")
    starts = range(0, n_samples, chunk_size)
    if order is not None:
        starts = [starts[i] for i in order]
    lazy = [i for i, array in enumerate(arrays) if _is_dask(array)]
    for start in starts:
        stop = min(start + chunk_size, n_samples)
        chunk = [_row_slice(array, start, stop) for array in arrays]
        if lazy:
            import dask

            computed = dask.compute(*(chunk[i] for i in lazy))
            for i, value in zip(lazy, computed, strict=True):
                chunk[i] = value
        yield tuple(chunk)


def partial_fit_chunks(
    estimator,
    X,
    y=None,
    *,
    chunk_size=100_000,
    sample_weight=None,
    n_epochs=1,
    shuffle=False,
    random_state=None,
    **partial_fit_params,
):
    """Fit ``estimator`` by calling its ``partial_fit`` on one chunk of rows at a time.

    ``X``, ``y`` and ``sample_weight`` may be NumPy arrays, memory-mapped
    arrays or Dask arrays (or a mix): memory maps are sliced without copying,
    Dask arrays are computed one chunk at a time and never whole. So data much
    larger than memory can be fitted, at the memory cost of one chunk.

    Parameters
    ----------
    estimator : estimator with a ``partial_fit`` method
        Updated in place, e.g. :class:`~skfa.LinearFeatureRegressor` with fixed
        ``input_bounds`` (exact: the result equals one ``fit`` on all rows) or
        :class:`~skfa.MLPApproximator` (one epoch of minibatch training per
        chunk).
    X : array-like of shape (n_samples, n_features)
        Training inputs.
    y : array-like of shape (n_samples,) or (n_samples, n_targets), default=None
        Targets; None for estimators whose ``partial_fit`` takes no targets.
    chunk_size : int, default=100_000
        Rows per ``partial_fit`` call. Peak memory grows with it; for Dask
        arrays, a multiple of the array's row chunks avoids computing a block
        twice.
    sample_weight : array-like of shape (n_samples,), default=None
        Passed to ``partial_fit`` chunk by chunk when given.
    n_epochs : int, default=1
        Passes over all the chunks. One pass is all an exact streaming fit
        needs; an iterative one (an MLP) wants more.
    shuffle : bool, default=False
        Visit the chunks in a new random order in each epoch (the rows inside a
        chunk keep their order; ``MLPApproximator`` shuffles those itself).
    random_state : int, RandomState instance or None, default=None
        Draws the chunk orders when ``shuffle=True``.
    **partial_fit_params : dict
        Passed unchanged to every ``partial_fit`` call, e.g. ``classes``.

    Returns
    -------
    estimator : estimator
        The same estimator, fitted.

    See Also
    --------
    iter_row_chunks : The chunk iterator this function is built on.
    skfa.LinearFeatureRegressor.partial_fit : Exact streaming ridge regression.
    skfa.MLPApproximator.partial_fit : One epoch over a chunk.

    Notes
    -----
    A memory map is the simplest way to hold data larger than memory:
    ``np.lib.format.open_memmap(path, mode="w+", dtype=..., shape=...)`` writes
    a ``.npy`` file that ``np.load(path, mmap_mode="r")`` reopens without
    reading it. Slices of it are views: the operating system pages the rows in
    as ``partial_fit`` reads them and may drop them afterwards, so they do not
    count against the process's memory the way a copy would.

    Slices of a Dask array are computed with :func:`dask.compute` on whatever
    scheduler is active (threads by default, or a ``distributed`` client), one
    chunk of ``X``, ``y`` and ``sample_weight`` together.

    Examples
    --------
    >>> import numpy as np
    >>> from skfa import LinearFeatureRegressor
    >>> from skfa.utils import partial_fit_chunks
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0, 1, size=(10_000, 1))
    >>> y = np.sin(2 * np.pi * X[:, 0])
    >>> stream = partial_fit_chunks(
    ...     LinearFeatureRegressor(n_basis=10, input_bounds=(0, 1)),
    ...     X, y, chunk_size=3_000)
    >>> batch = LinearFeatureRegressor(n_basis=10, input_bounds=(0, 1)).fit(X, y)
    >>> bool(np.allclose(stream.coef_, batch.coef_))
    True

    The same with a Dask array, computed one chunk at a time:

    >>> import dask.array as da  # doctest: +SKIP
    >>> X_lazy = da.from_array(X, chunks=(2_500, 1))  # doctest: +SKIP
    >>> stream = partial_fit_chunks(
    ...     LinearFeatureRegressor(n_basis=10, input_bounds=(0, 1)),
    ...     X_lazy, np.sin(2 * np.pi * X_lazy[:, 0]),
    ...     chunk_size=5_000)  # doctest: +SKIP
    """
    if not hasattr(estimator, "partial_fit"):
        raise TypeError(
            f"{type(estimator).__name__} has no partial_fit method; "
            "partial_fit_chunks needs one."
        )
    if not isinstance(n_epochs, Integral) or n_epochs < 1:
        raise ValueError(f"n_epochs must be a positive integer, got {n_epochs!r}.")
    n_samples = _n_rows((X, y, sample_weight))
    if n_samples == 0:
        raise ValueError("X has no rows to fit.")
    n_chunks = -(-n_samples // chunk_size) if isinstance(chunk_size, Integral) else 0
    rng = check_random_state(random_state)
    for _ in range(n_epochs):
        order = rng.permutation(n_chunks) if shuffle else None
        for X_chunk, y_chunk, weight_chunk in iter_row_chunks(
            X, y, sample_weight, chunk_size=chunk_size, order=order
        ):
            params = dict(partial_fit_params)
            if weight_chunk is not None:
                params["sample_weight"] = weight_chunk
            estimator.partial_fit(X_chunk, y_chunk, **params)
    return estimator


def _is_dask(array):
    return hasattr(array, "dask") and hasattr(array, "compute")


def _n_rows(arrays):
    """The common number of rows of the non-None ``arrays``."""
    lengths = []
    for array in arrays:
        if array is None:
            continue
        n = array.shape[0]
        if n is None or (isinstance(n, float) and np.isnan(n)):
            raise ValueError(
                "A Dask array with unknown chunk sizes cannot be sliced by rows; "
                "call its compute_chunk_sizes() method first."
            )
        lengths.append(int(n))
    if not lengths:
        raise ValueError("No array given.")
    if len(set(lengths)) > 1:
        raise ValueError(f"The arrays have different numbers of rows: {lengths}.")
    return lengths[0]


def _row_slice(array, start, stop):
    if array is None:
        return None
    if hasattr(array, "iloc"):  # pandas: positional rows, whatever the index
        return array.iloc[start:stop]
    return array[start:stop]
