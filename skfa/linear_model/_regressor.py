"""LinearFeatureRegressor: a ridge regression on the sine / Fourier basis."""

from numbers import Integral, Real

import numpy as np
import scipy.linalg
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._compat import (
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    validate_data,
)
from ..neural_network import MLPApproximator
from ..neural_network._optimizers import OPTIMIZERS
from ._features import SineFeatures, fit_sine_basis
from ._iterative import (
    ADAPTIVE_STEP_SIZES,
    PLATEAU_EPOCHS,
    TrainingCoordinates,
    sgd_step_size,
)

__all__ = ["LinearFeatureRegressor"]

CLOSED_FORM_SOLVERS = ("auto", "cholesky", "lstsq")


def _partial_fit_is_available(estimator):
    # Raising AttributeError (rather than returning False) lets the message
    # reach the user through ``available_if``.
    if estimator.input_bounds is None:
        raise AttributeError(
            "partial_fit needs fixed input_bounds: every chunk must be scaled "
            "into [0, 1] the same way, and bounds learned from the first chunk "
            "would not cover the others. Set input_bounds=(low, high)."
        )
    return True


class LinearFeatureRegressor(RegressorMixin, BaseEstimator):
    """Linear function approximation f(x) = θᵀβ(x̃) + b on a sine / Fourier basis.

    The features β are those of :class:`SineFeatures` (same parameters) and θ,
    b minimise the ridge objective of :class:`sklearn.linear_model.Ridge`

    .. math::

        Σ_i w_i \\, (y_i − θᵀβ(x̃_i) − b)² + α ‖θ‖²

    with sample weights wᵢ (1 by default) and the intercept b not penalised.
    The closed-form solvers never build the full feature matrix: features are
    computed in blocks of a few thousand rows and folded into the weighted
    second moments of (β, 1, y), so memory does not grow with the number of
    samples, and :meth:`partial_fit` on chunks gives the same coefficients as
    one :meth:`fit` on all the data.

    Parameters
    ----------
    n_basis : int, default=10
        The highest frequency; see :class:`SineFeatures`.
    basis : {'sine_linear', 'sine', 'cosine', 'fourier'}, default='sine_linear'
        The feature families; see :class:`SineFeatures`, whose Notes explain
        why the default adds a linear term to the sine series.
    coupling : {'independent', 'full'}, default='independent'
        The frequency vectors for several input dimensions; see
        :class:`SineFeatures`.
    input_bounds : (low, high) or None, default=None
        The box the inputs are scaled from; None learns each dimension's min
        and max (over the samples with positive weight) in ``fit``.
        :meth:`partial_fit` requires fixed bounds.
    out_of_bounds : {'clip', 'error'}, default='clip'
        What to do with inputs outside ``input_bounds``; see
        :class:`SineFeatures`.
    alpha : float, default=0.0
        The ridge penalty α on θ. The default fits by ordinary least squares;
        the default basis is well conditioned, so no penalty is needed for
        stability, but noisy targets or many features may want one.
    fit_intercept : bool, default=True
        Whether to fit the unpenalised intercept b; if False, b = 0.
    solver : {'auto', 'cholesky', 'lstsq', 'sgd', 'rmsprop', 'adam'}, \
            default='auto'
        How θ and b are found:

        - 'cholesky': the normal equations (G + αI) θ = r, solved by Cholesky.
          Raises ``ValueError`` if G + αI is not positive definite.
        - 'lstsq': the minimum-norm solution of the same normal equations, by
          an eigendecomposition that treats eigenvalues at the rounding level
          of the accumulated sums (p·eps times their size) as zero; for
          rank-deficient problems, e.g. fewer samples than features, constant
          inputs, or the nearly dependent 'fourier' basis with α = 0.
        - 'auto': 'cholesky', unless the factorisation fails or its pivots
          show G + αI to be numerically singular; then 'lstsq'.
        - 'sgd', 'rmsprop', 'adam': minibatch training through
          :class:`~skfa.neural_network.MLPApproximator` without hidden layers,
          whose L2 penalty is this α with the same meaning (see Notes). These
          build the full feature matrix.
    max_iter : int, default=500
        Iterative solvers only: the maximum number of epochs. With up to 200
        samples and ``batch_size='auto'`` an epoch is a single step; the
        ``tol`` rule stops most fits long before this.
    learning_rate_init : float or 'auto', default='auto'
        Iterative solvers only: the step size, in the training coordinates
        (centered features, standardized targets; see Notes). For 'sgd' it is
        Konidaris' base rate, divided by ‖c‖ for each term. 'auto' is 0.1 for
        'adam', 0.03 for 'rmsprop' and, for 'sgd', the inverse of a bound on
        the curvature of every minibatch's objective; the Notes give the
        reasons.
    batch_size : int or 'auto', default='auto'
        Iterative solvers only: the minibatch size; 'auto' is
        ``min(200, n_samples)``.
    tol : float, default=1e-5
        Iterative solvers only: training stops when the objective in the
        training coordinates, whose targets have unit variance, has not
        improved by ``tol`` for 20 consecutive epochs.
    random_state : int, RandomState instance or None, default=None
        Iterative solvers only: seeds the initial weights and the shuffling.

    Attributes
    ----------
    coef_ : ndarray of shape (n_output_features,) or (n_targets, n_output_features)
        The weights θ of the features, in the order of
        ``SineFeatures(...).get_feature_names_out()``.
    intercept_ : float or ndarray of shape (n_targets,)
        The intercept b; 0.0 if ``fit_intercept=False``.
    solver_ : str
        The solver actually used ('auto' resolves to 'cholesky' or 'lstsq').
    n_iter_ : int
        The epochs run by an iterative solver; 1 for the closed-form solvers,
        which pass over the data once.
    learning_rate_ : float
        Iterative solvers only: the step size used, 'auto' resolved.
    low_, high_ : ndarray of shape (n_features_in_,)
        The bounds the inputs are scaled from.
    frequencies_ : ndarray of shape (n_terms, n_features_in_)
        The frequency vector c of each trigonometric term.
    n_output_features_ : int
        The number of features β.
    n_samples_seen_ : int
        The number of samples with positive weight fitted, over all
        :meth:`partial_fit` calls.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    SineFeatures : The feature map on its own.
    sklearn.linear_model.Ridge : Ridge regression on explicit features.
    skfa.neural_network.MLPApproximator : Trains the iterative solvers.

    Notes
    -----
    **Closed form and streaming.** Each block of features is extended by a row
    of ones and the targets, z = (β, 1, y), and the weighted second moments
    Σ wᵢ zᵢ zᵢᵀ are accumulated with one symmetric product per block (the
    block scaled by √wᵢ). They hold Σw, Σwβ, Σwy, Σwββᵀ and Σwβy; the
    intercept is handled at solve time by centering with the weighted means.
    Since the moments are sums, any split of the data into :meth:`partial_fit`
    chunks gives the same moments, up to floating-point summation order, and
    so the same coefficients as :meth:`fit`: data larger than memory can be
    fitted chunk by chunk. Integer sample weights are equivalent to repeated
    rows.

    **Iterative solvers.** The features are computed in full and fitted by
    ``MLPApproximator(hidden_layer_sizes=(), ...)``, whose objective
    [Σwᵢ(yᵢ − θᵀβᵢ − b)² + α‖θ‖²] / Σwᵢ is the ridge objective above divided by
    Σw, so they approach the closed-form solution. The network trains in
    coordinates fixed on the first data it sees: the features centered with
    their weighted means μ, as the closed form centers them, and each target
    standardized with its weighted mean m and standard deviation σ; its weights
    φ and bias b̃ give θ = σφ and b = m + σb̃ − θᵀμ. The change is exact (the
    intercept is not penalised, and scaling y scales the whole objective, α
    included), and it gives the step size and ``tol`` one meaning for every
    data set, whatever the units and offset of y.

    **Their defaults.** Every feature lies in [-1, 1] and the targets have
    unit variance, so the coefficients that matter are of order one. Adam and
    RMSProp move each weight by about the step size per step, whatever the
    gradient's size: 0.1 lets Adam cross that range within the few hundred
    steps that a few hundred samples give. RMSProp has no momentum, and where
    the gradient is only minibatch noise its steps keep their full size, so it
    takes 0.03. SGD's steps follow the gradient's size, and 'auto' takes 1/L,
    where L = 2(maxᵢ‖zᵢ‖² + 1 + α/Σw), with zᵢ the network's input for sample
    i, bounds the curvature of every minibatch's objective: the step of
    scikit-learn's SAG solver, stable for any batch, momentum included. A
    constant step leaves the weights jittering around the minimum with the
    noise of the minibatch gradients; ``fit`` ends with the mean of the weights
    over the last 20 epochs (``MLPApproximator``'s ``average``), the plateau
    that stopped training, which lies much closer to the minimum (Polyak and
    Juditsky, 1992). ``benchmarks/bench_linear_solvers.py`` compares these
    defaults with the closed form over functions, noise levels, bases and
    sample sizes.

    For 'sgd', the per-term step size η/‖c‖ of Konidaris et al. is realised
    by training on the inputs scaled by sᵢ = ‖cᵢ‖^(-1/2), z = s ⊙ (β − μ), and
    returning θᵢ = σ sᵢ φᵢ: a gradient step of size η on φ is a step of size
    η sᵢ² = η/‖cᵢ‖ on θ, exactly, momentum included. The linear terms
    (c = eⱼ) and the intercept keep η. The limitation: the L2 penalty then
    acts on φ, which in the units of y is α Σ ‖cᵢ‖ θᵢ², a penalty that grows
    with frequency; with α = 0 (the default) the objectives agree. RMSProp and
    Adam adapt the step size per weight already and train on unscaled inputs.
    :meth:`partial_fit` with an iterative solver runs one epoch over the chunk
    (``MLPApproximator.partial_fit``), without averaging; the first chunk
    fixes the training coordinates and the step size.

    References
    ----------
    G. Konidaris, S. Osentoski and P. Thomas (2011), "Value Function
    Approximation in Reinforcement Learning using the Fourier Basis", AAAI.

    B. T. Polyak and A. B. Juditsky (1992), "Acceleration of Stochastic
    Approximation by Averaging", SIAM Journal on Control and Optimization 30(4).

    Examples
    --------
    >>> import numpy as np
    >>> from skfa.linear_model import LinearFeatureRegressor
    >>> X = np.linspace(0, 1, 200).reshape(-1, 1)
    >>> y = np.exp(X[:, 0])
    >>> model = LinearFeatureRegressor(n_basis=20).fit(X, y)
    >>> bool(np.abs(model.predict(X) - y).max() < 1e-3)
    True

    Streaming: chunks through :meth:`partial_fit` give the coefficients of one
    :meth:`fit`.

    >>> stream = LinearFeatureRegressor(n_basis=20, input_bounds=(0, 1))
    >>> for chunk in np.array_split(np.arange(200), 4):
    ...     stream = stream.partial_fit(X[chunk], y[chunk])
    >>> bool(np.allclose(stream.coef_, model.coef_))
    True
    """

    _parameter_constraints: dict = {
        **SineFeatures._parameter_constraints,
        "alpha": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "solver": [StrOptions({*CLOSED_FORM_SOLVERS, *OPTIMIZERS})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [
            StrOptions({"auto"}),
            Interval(Real, 0, None, closed="neither"),
        ],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_basis=10,
        *,
        basis="sine_linear",
        coupling="independent",
        input_bounds=None,
        out_of_bounds="clip",
        alpha=0.0,
        fit_intercept=True,
        solver="auto",
        max_iter=500,
        learning_rate_init="auto",
        batch_size="auto",
        tol=1e-5,
        random_state=None,
    ):
        self.n_basis = n_basis
        self.basis = basis
        self.coupling = coupling
        self.input_bounds = input_bounds
        self.out_of_bounds = out_of_bounds
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.tol = tol
        self.random_state = random_state

    # ------------------------------------------------------------------ public

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit θ and b on all of (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights wᵢ, with a positive sum.

        Returns
        -------
        self : LinearFeatureRegressor
            The fitted regressor.
        """
        return self._fit_data(X, y, sample_weight, start=True, partial=False)

    @available_if(_partial_fit_is_available)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Add a chunk of data to the fit.

        With a closed-form solver the result after any sequence of chunks is
        that of :meth:`fit` on all of them together; with an iterative solver
        each call trains for one epoch over the chunk. Available only with
        fixed ``input_bounds``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Its targets; the number of targets must not change between calls.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the chunk's samples.

        Returns
        -------
        self : LinearFeatureRegressor
            The updated regressor.
        """
        first_call = not hasattr(self, "coef_")
        return self._fit_data(X, y, sample_weight, start=first_call, partial=True)

    def predict(self, X):
        """Predict f(x) = θᵀβ(x̃) + b, building the features block by block.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs; values outside the bounds are handled as ``out_of_bounds``
            says.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            The predictions, in float64.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        coef = np.atleast_2d(self.coef_)
        y_pred = np.empty((X.shape[0], coef.shape[0]))
        for start, stop, block in self._sine_basis.blocks(X):
            np.matmul(block.T, coef.T, out=y_pred[start:stop])
        y_pred += self.intercept_
        return y_pred.ravel() if self.coef_.ndim == 1 else y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    # --------------------------------------------------------------- internals

    def _fit_data(self, X, y, sample_weight, *, start, partial):
        """Validate (X, y), start afresh if ``start``, and fold the data in."""
        X, y, sample_weight = self._validate_training_data(
            X, y, sample_weight, reset=start
        )
        if start:
            self._start(X)
        self._learn(X, y, sample_weight, partial=partial)
        return self

    def _validate_training_data(self, X, y, sample_weight, reset):
        if not self.fit_intercept and self.solver not in CLOSED_FORM_SOLVERS:
            raise ValueError(
                f"solver={self.solver!r} always fits an intercept; use "
                "fit_intercept=True or a closed-form solver."
            )
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=[np.float64, np.float32],
            multi_output=True,
            y_numeric=True,
        )
        y = np.asarray(y, dtype=np.float64)
        if not reset and y.ndim != self._y_ndim:
            raise ValueError(
                f"y has {y.ndim} dimension(s) but earlier chunks had {self._y_ndim}."
            )
        targets = y.reshape(X.shape[0], -1)
        if not reset and targets.shape[1] != self._n_targets:
            raise ValueError(
                f"y has {targets.shape[1]} targets, but {self.__class__.__name__} "
                f"was fitted with {self._n_targets}."
            )
        if sample_weight is not None:
            # Also rejects all-zero weights, so Σw > 0 from here on.
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
            if not sample_weight.all():
                # Samples of zero weight are not part of the data: they must
                # not stretch the learned bounds, nor trip out_of_bounds='error'.
                seen = sample_weight > 0
                X, targets, sample_weight = X[seen], targets[seen], sample_weight[seen]
        if reset:
            self._y_ndim = y.ndim
            self._n_targets = targets.shape[1]
        return X, targets, sample_weight

    def _start(self, X):
        """Fix the basis on ``X`` and empty the accumulated fit."""
        fit_sine_basis(self, X)
        self.n_samples_seen_ = 0
        n_moments = self.n_output_features_ + 1 + self._n_targets
        self._moments = np.zeros((n_moments, n_moments))
        self._mlp = None
        self._coordinates = None

    def _learn(self, X, y, sample_weight, *, partial):
        """Fold (X, y) into the fit and update ``coef_`` and ``intercept_``."""
        self.n_samples_seen_ += X.shape[0]
        if self.solver in CLOSED_FORM_SOLVERS:
            self._accumulate_moments(X, y, sample_weight)
            coef, intercept = self._solve_normal_equations()
            self.n_iter_ = 1
        else:
            coef, intercept = self._train_iteratively(
                X, y, sample_weight, partial=partial
            )
        # coef has shape (n_output_features, n_targets) until here.
        if self._y_ndim == 1:
            self.coef_, self.intercept_ = coef[:, 0], float(intercept[0])
        else:
            self.coef_, self.intercept_ = coef.T.copy(), intercept

    def _accumulate_moments(self, X, y, sample_weight):
        """Add Σ wᵢ zᵢ zᵢᵀ, z = (β(x̃), 1, y), over the rows of X to the moments."""
        n_features_out = self.n_output_features_
        for start, stop, block in self._sine_basis.blocks(
            X, extra_rows=1 + self._n_targets
        ):
            block[n_features_out] = 1.0
            block[n_features_out + 1 :] = y[start:stop].T
            if sample_weight is not None:
                block *= np.sqrt(sample_weight[start:stop])
            # block @ block.T is recognised by NumPy as a symmetric rank-k
            # update (BLAS syrk), half the work of a general product.
            self._moments += block @ block.T

    def _solve_normal_equations(self):
        """Solve the ridge normal equations from the accumulated moments."""
        p = self.n_output_features_
        moments = self._moments
        gram = moments[:p, :p]
        cross = moments[:p, p + 1 :]
        if self.fit_intercept:
            # Centering with the weighted means: Σw(β − β̄)(β − β̄)ᵀ and
            # Σw(β − β̄)(y − ȳ) from the uncentered sums.
            total_weight = moments[p, p]
            feature_sums = moments[:p, p]
            target_sums = moments[p, p + 1 :]
            gram = gram - np.outer(feature_sums, feature_sums) / total_weight
            cross = cross - np.outer(feature_sums, target_sums) / total_weight
        else:
            gram = gram.copy()
        gram.flat[:: p + 1] += self.alpha
        coef = self._solve(gram, cross)
        if self.fit_intercept:
            intercept = (target_sums - feature_sums @ coef) / total_weight
        else:
            intercept = np.zeros(self._n_targets)
        return coef, intercept

    def _solve(self, gram, cross):
        """θ from (G + αI) θ = r, by Cholesky or by eigendecomposition."""
        # Every feature lies in [-1, 1], so Σw bounds the entries of the
        # accumulated sums, and their rounding leaves eigenvalues of order
        # eps·Σw where the exact matrix has zeros: anything below p·eps·Σw is
        # indistinguishable from 0.
        total_weight = self._moments[len(gram), len(gram)]
        noise_floor = len(gram) * np.finfo(np.float64).eps * (total_weight + self.alpha)
        if self.solver in ("auto", "cholesky"):
            try:
                factor = scipy.linalg.cho_factor(gram, lower=True)
            except np.linalg.LinAlgError:
                factor = None
            # The squared pivots bound the spectrum of G + αI from inside; a
            # pivot at the noise floor means Cholesky would solve for rounding.
            if (
                factor is not None
                and self.solver == "auto"
                and (np.diag(factor[0]) ** 2).min() <= noise_floor
            ):
                factor = None
            if factor is not None:
                self.solver_ = "cholesky"
                return scipy.linalg.cho_solve(factor, cross)
            if self.solver == "cholesky":
                raise ValueError(
                    "The normal equations (G + alpha I) theta = r are singular: "
                    "the features are linearly dependent on these samples. Use "
                    "alpha > 0, or solver='lstsq' or 'auto'."
                )
        self.solver_ = "lstsq"
        # The minimum-norm solution: invert G + αI on the eigenvectors whose
        # eigenvalues stand above the noise floor, and ignore the rest.
        eigenvalues, eigenvectors = np.linalg.eigh(gram)
        signal = eigenvalues > noise_floor
        kept = eigenvectors[:, signal]
        return kept @ ((kept.T @ cross) / eigenvalues[signal, None])

    def _train_iteratively(self, X, y, sample_weight, *, partial):
        """Train an MLPApproximator without hidden layers on the features."""
        features = self._sine_basis.transform(X)
        first_data = self._mlp is None
        if first_data:
            self._coordinates = TrainingCoordinates(
                features, y, sample_weight, self._step_scales()
            )
        z, targets = self._coordinates.transform(features, y)
        if first_data:
            self.learning_rate_ = self._step_size(z, sample_weight)
            self._mlp = MLPApproximator(
                hidden_layer_sizes=(),
                solver=self.solver,
                alpha=self.alpha,
                batch_size=self.batch_size,
                learning_rate_init=self.learning_rate_,
                max_iter=self.max_iter,
                tol=self.tol,
                n_iter_no_change=PLATEAU_EPOCHS,
                average=PLATEAU_EPOCHS,
                random_state=check_random_state(self.random_state),
            )
        if partial:
            # One epoch, continuing from the weights and optimizer state that
            # the previous chunks left.
            self._mlp.partial_fit(z, targets, sample_weight)
        else:
            self._mlp.fit(z, targets, sample_weight)
        self.n_iter_ = self._mlp.n_iter_
        return self._coordinates.coefficients(
            self._mlp.coefs_[0], self._mlp.intercepts_[0]
        )

    def _step_size(self, z, sample_weight):
        """``learning_rate_init`` with 'auto' resolved, for the network's inputs z."""
        if self.learning_rate_init != "auto":
            return float(self.learning_rate_init)
        if self.solver in ADAPTIVE_STEP_SIZES:
            return ADAPTIVE_STEP_SIZES[self.solver]
        total_weight = len(z) if sample_weight is None else sample_weight.sum()
        return sgd_step_size(z, self.alpha / total_weight)

    def _step_scales(self):
        """Feature scales that turn an SGD step α into α/‖c‖ for each term."""
        if self.solver != "sgd":
            return np.ones(self.n_output_features_)
        return self._sine_basis.frequency_norms() ** -0.5
