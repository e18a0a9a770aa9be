"""SineFeatures: the sine / cosine / Fourier basis as a scikit-learn transformer."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._compat import (
    Interval,
    StrOptions,
    _check_feature_names_in,
    _fit_context,
    validate_data,
)
from ._basis import BASIS_FAMILIES, make_sine_basis

__all__ = ["SineFeatures", "fit_sine_basis"]


def fit_sine_basis(estimator, X):
    """Fix the basis that ``estimator``'s basis parameters describe, on ``X``.

    Shared by both estimators: stores the :class:`._basis.SineBasis` they
    compute features with as ``_sine_basis``, and its bounds, frequencies and
    feature count as fitted attributes.
    """
    sine_basis = make_sine_basis(
        X,
        n_basis=estimator.n_basis,
        basis=estimator.basis,
        coupling=estimator.coupling,
        input_bounds=estimator.input_bounds,
        out_of_bounds=estimator.out_of_bounds,
    )
    estimator._sine_basis = sine_basis
    estimator.low_ = sine_basis.low
    estimator.high_ = sine_basis.high
    estimator.frequencies_ = sine_basis.frequencies
    estimator.n_output_features_ = sine_basis.n_output_features


class SineFeatures(TransformerMixin, BaseEstimator):
    """Map inputs to a sine, cosine or Fourier basis on their scaled range.

    Each input x is first scaled into the unit box, x̃ = (x − low) / (high − low),
    and then mapped to features g(π c·x̃) with g = sin or cos and c a vector of
    non-negative integer frequencies. In one dimension the 'sine' basis is
    sin(kπx̃), k = 1..n, and the 'cosine' basis is cos(kπx̃), the Fourier basis
    of Konidaris et al. (2011). The default, 'sine_linear', adds the linear term
    x̃ to the sine terms (see Notes for why).

    Parameters
    ----------
    n_basis : int, default=10
        The highest frequency n: with ``coupling='independent'``, the number of
        terms per input dimension and family; with ``coupling='full'``, the
        order of the basis.
    basis : {'sine_linear', 'sine', 'cosine', 'fourier'}, default='sine_linear'
        The families of features, in output order:

        - 'sine': sin(π c·x̃);
        - 'cosine': cos(π c·x̃) (Konidaris et al.'s Fourier basis);
        - 'fourier': the sine terms, then the cosine terms;
        - 'sine_linear': one linear term x̃ⱼ per input dimension, then the sine
          terms.

        The constant term (c = 0) is never included: an intercept plays its
        role.
    coupling : {'independent', 'full'}, default='independent'
        Which frequency vectors c with several input dimensions:

        - 'independent': c = k eⱼ, k = 1..n, for each dimension j in turn, so
          ``n_basis * n_features`` terms per family and no interactions;
        - 'full': every c ∈ {0, …, n}ᵈ except 0, so (n + 1)ᵈ − 1 terms per
          family, with all interactions. More than 4096 terms raise a
          ``ValueError`` before anything is allocated.
    input_bounds : (low, high) or None, default=None
        The box the inputs are scaled from. ``low`` and ``high`` are scalars or
        arrays of length ``n_features``, with low < high. None learns each
        dimension's min and max in ``fit``; a dimension that is constant in
        ``fit`` is given a range of 1 (high = low + 1).
    out_of_bounds : {'clip', 'error'}, default='clip'
        What ``transform`` does with inputs outside ``input_bounds``: 'clip'
        maps them to the nearest bound (the features are constant beyond the
        box), 'error' raises a ``ValueError``.

    Attributes
    ----------
    low_, high_ : ndarray of shape (n_features_in_,)
        The bounds the inputs are scaled from.
    frequencies_ : ndarray of shape (n_terms, n_features_in_)
        The frequency vector c of each trigonometric term, in output order
        within each family.
    n_output_features_ : int
        The number of output features.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    LinearFeatureRegressor : A linear model on these features, fitted in closed
        form without building the feature matrix.
    sklearn.kernel_approximation.RBFSampler : Random Fourier features.
    sklearn.preprocessing.SplineTransformer : A B-spline basis.

    Notes
    -----
    **Why 'sine_linear' is the default.** Every sin(kπx̃) vanishes at x̃ = 0 and
    x̃ = 1, so a sine series plus an intercept cannot follow a function whose
    values at the two ends differ: it is pulled to the intercept at both ends
    and rings in between. The cosine basis has no such constraint, but its even
    extension has a kink at the ends, so its coefficients decay only as 1/k².
    Adding the linear term removes the straight line through the end values,
    f(0) + (f(1) − f(0)) x̃; what is left vanishes at both ends, its odd
    extension is continuous with a continuous derivative, and its sine
    coefficients decay as 1/k³. These features stay well conditioned, while
    'fourier' - sines and cosines together on half their period - is nearly
    linearly dependent. :ref:`choosing_a_basis` gives the errors and condition
    numbers.

    **Accuracy.** Only sin(πx̃ⱼ) and cos(πx̃ⱼ) are evaluated directly for
    independent coupling; the higher terms come from the recurrence
    g((k+1)t) = 2 cos t · g(kt) − g((k−1)t), whose rounding error grows about
    as k² times the float64 rounding unit (``benchmarks/bench_basis.py``
    measures it against ``np.sin(k * np.pi * x)`` and ``np.cos``).
    Computation is in float64; ``transform`` returns the input's dtype.

    References
    ----------
    G. Konidaris, S. Osentoski and P. Thomas (2011), "Value Function
    Approximation in Reinforcement Learning using the Fourier Basis", AAAI.

    Examples
    --------
    >>> import numpy as np
    >>> from skfa.linear_model import SineFeatures
    >>> X = np.array([[0.0], [0.25], [0.5], [1.0]])
    >>> features = SineFeatures(n_basis=2, basis="sine").fit(X)
    >>> features.get_feature_names_out()
    array(['sin(pi*x0)', 'sin(pi*2*x0)'], dtype=object)
    >>> np.round(features.transform(X), 4) + 0.0
    array([[0.    , 0.    ],
           [0.7071, 1.    ],
           [1.    , 0.    ],
           [0.    , 0.    ]])
    >>> full = SineFeatures(n_basis=3, coupling="full").fit(np.zeros((1, 2)))
    >>> full.n_output_features_  # 2 linear terms and (3 + 1)² - 1 sine terms
    17
    """

    _parameter_constraints: dict = {
        "n_basis": [Interval(Integral, 1, None, closed="left")],
        "basis": [StrOptions(set(BASIS_FAMILIES))],
        "coupling": [StrOptions({"independent", "full"})],
        "input_bounds": [None, "array-like"],
        "out_of_bounds": [StrOptions({"clip", "error"})],
    }

    def __init__(
        self,
        n_basis=10,
        *,
        basis="sine_linear",
        coupling="independent",
        input_bounds=None,
        out_of_bounds="clip",
    ):
        self.n_basis = n_basis
        self.basis = basis
        self.coupling = coupling
        self.input_bounds = input_bounds
        self.out_of_bounds = out_of_bounds

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fix the input bounds (learned from ``X`` if not given) and the terms.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs.
        y : None
            Ignored.

        Returns
        -------
        self : SineFeatures
            The fitted transformer.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        fit_sine_basis(self, X)
        return self

    def transform(self, X):
        """Compute the features of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs; values outside the bounds are handled as ``out_of_bounds``
            says.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_output_features_)
            The features, in the dtype of ``X`` (float32 or float64).
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return self._sine_basis.transform(X, dtype=X.dtype)

    def get_feature_names_out(self, input_features=None):
        """Names of the output features, e.g. 'x0', 'sin(pi*2*x0)'.

        The names describe the features of the scaled inputs x̃.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names. If None, ``feature_names_in_`` is used when
            defined, and ``x0, x1, …`` otherwise.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output feature.
        """
        check_is_fitted(self)
        input_features = _check_feature_names_in(self, input_features)
        return np.asarray(
            self._sine_basis.feature_names(list(input_features)), dtype=object
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
