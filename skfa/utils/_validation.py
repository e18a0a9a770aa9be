"""Validation that a fitted estimator can skip for inputs already in shape."""

import numpy as np

__all__ = ["is_validated"]


def is_validated(estimator, X, dtype):
    """Whether ``X`` is already what ``validate_data`` would return for ``estimator``.

    Acting with a policy calls ``predict`` on one state at a time, where
    ``validate_data`` costs several times the arithmetic. A finite, non-empty
    2-D array of the given dtype and of the fitted width takes this shortcut;
    anything else, including a DataFrame or an unfitted estimator, is validated.

    Parameters
    ----------
    estimator : fitted estimator
        Its ``n_features_in_`` (and ``feature_names_in_``, if any) are checked.
    X : object
        The input to ``predict``.
    dtype : numpy dtype
        The dtype that validation would convert ``X`` to.

    Returns
    -------
    bool
    """
    return (
        type(X) is np.ndarray
        and X.ndim == 2
        and X.shape[0] > 0
        and X.dtype == dtype
        and X.shape[1] == getattr(estimator, "n_features_in_", None)
        and not hasattr(estimator, "feature_names_in_")
        and bool(np.isfinite(X).all())
    )
