"""MLPApproximator: the scikit-learn estimator around the NumPy backprop core.

The estimator validates data and parameters and keeps the fitted state. It
trains in one of two ways: epochs of minibatch steps with a first-order
optimizer (``MLPApproximator._fit_stochastic``), or L-BFGS on the whole data
(``MLPApproximator._fit_lbfgs``). The parts of minibatch training each have
one place: the batches (``_minibatches``), the step size (the schedule in
:mod:`._schedules`), divergence (:class:`_DivergenceGuard`), the weights a fit
ends with (:class:`_FinalWeights`: early stopping's best epoch, or weight
averaging), the stopping rule (``_stopping_rule_fired``) and what the world
sees of a fit (:class:`_Progress`: callbacks and verbose lines). The arithmetic
lives in the core: :mod:`._network`, :mod:`._layers`, :mod:`._activations`,
:mod:`._losses` and :mod:`._optimizers`.
"""

import collections
import copy
import time
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.optimize
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from .._compat import (
    CallbackSupportMixin,
    Interval,
    Options,
    StrOptions,
    _check_optimize_result,
    _check_sample_weight,
    _fit_context,
    init_callback_context,
    validate_data,
    with_callbacks,
)
from ._activations import ACTIVATIONS
from ._losses import LOSSES
from ._network import NORMALIZATIONS, NetworkViews, make_mlp
from ._optimizers import OPTIMIZERS, flush_subnormals
from ._schedules import SCHEDULES, LearningRateSchedule

__all__ = ["MLPApproximator", "TrainingDivergedError"]

# How many times worse than at its start the objective may get before training
# counts as diverged (see ``_DivergenceGuard``).
DIVERGENCE_FACTOR = 1e6

# How often the weights and optimizer state are cleared of subnormal numbers
# (see ``flush_subnormals``).
FLUSH_EVERY_STEPS = 100

# The solver that is not a minibatch optimizer: L-BFGS takes the whole data at
# every step (``MLPApproximator._fit_lbfgs``).
LBFGS = "lbfgs"

# Options that switch on a part of minibatch training, with the value that
# leaves it off. L-BFGS needs the same deterministic objective at every step
# of its line search, so with it these have no meaning: setting one is an
# error, not silently ignored. (normalization='batch' is one too; see
# ``_check_lbfgs_options``.)
MINIBATCH_ONLY_OPTIONS = {
    "early_stopping": False,
    "average": 0,
    "dropout": 0.0,
    "max_grad_norm": None,
    "warmup_epochs": 0,
    "learning_rate": "constant",
}


class TrainingDivergedError(ValueError, FloatingPointError):
    """Training stopped because the loss exploded or stopped being finite.

    A subclass of both :class:`ValueError` (the settings do not suit the data)
    and :class:`FloatingPointError` (what actually happened). The estimator
    keeps the last weights that were finite.

    Examples
    --------
    The lecture's unscaled house sizes, with plain SGD at learning rate 1:

    >>> import numpy as np
    >>> from skfa import MLPApproximator, TrainingDivergedError
    >>> X = np.array([[500.0], [1500.0], [2500.0]])
    >>> y = np.array([70_000.0, 170_000.0, 270_000.0])
    >>> model = MLPApproximator(hidden_layer_sizes=(), solver="sgd",
    ...                         learning_rate_init=1.0)
    >>> try:
    ...     model.fit(X, y)
    ... except TrainingDivergedError as error:
    ...     print(str(error)[:29])
    Training diverged in epoch 2:
    >>> bool(np.isfinite(model.predict(X)).all())
    True
    """


def _has_minibatch_solver(estimator):
    """Whether ``partial_fit`` exists: only minibatch solvers continue by epochs."""
    if estimator.solver == LBFGS:
        raise AttributeError(
            "partial_fit needs a minibatch solver ('sgd', 'rmsprop' or 'adam'): "
            "solver='lbfgs' optimizes over the whole data at once and cannot "
            "continue one chunk at a time."
        )
    return True


class MLPApproximator(
    NetworkViews, CallbackSupportMixin, RegressorMixin, BaseEstimator
):
    """Multilayer perceptron regressor trained by backpropagation in NumPy.

    The network computes f(x) = h⁽ᴸ⁾(…h⁽¹⁾(x)) with hidden layers
    h(x) = σ(xW + b) and a linear output layer, and is trained by minibatch
    SGD (with momentum or Nesterov momentum), RMSProp or Adam, or by L-BFGS on
    the whole data, on the objective

    .. math::

        J(θ) = \\frac{1}{Σ_i w_i} \\Big( Σ_i w_i \\, ℓ(f_θ(x_i), y_i)
               + α \\, Σ_l ‖W^{(l)}‖² \\Big)

    where ℓ is the squared error, Huber's loss or the Poisson deviance summed
    over outputs, wᵢ the sample weights (all 1 by default) and α the L2
    penalty on the weights (not the biases). For a network without hidden
    layers this is exactly the objective of :class:`sklearn.linear_model.Ridge`
    divided by Σwᵢ (with the squared error), or twice that of
    :class:`sklearn.linear_model.PoissonRegressor` with its α = α / Σwᵢ (with
    the Poisson deviance). The prediction is f(x), or exp f(x) with the
    Poisson deviance (its log link).

    Parameters
    ----------
    hidden_layer_sizes : int or array-like of int, default=(100,)
        The width of each hidden layer; an int n is one hidden layer of n units
        (as in MLPRegressor). An empty tuple gives a linear model.
    activation : str or list of str, default='relu'
        The hidden layers' nonlinearity σ: 'identity', 'logistic', 'tanh',
        'relu', 'leaky_relu', 'elu' or 'softplus'; a list gives one per hidden
        layer.
    solver : {'adam', 'sgd', 'rmsprop', 'lbfgs'}, default='adam'
        The optimizer. 'lbfgs' minimizes J over the whole data with SciPy's
        L-BFGS-B, often the best choice for small data sets; the parameters
        marked "minibatch solvers" below are not used by it, and those that
        switch on a part of minibatch training (``early_stopping``,
        ``average``, ``dropout``, ``normalization='batch'``,
        ``max_grad_norm``, ``warmup_epochs``, a ``learning_rate`` schedule)
        are an error with it, as is ``partial_fit``.
    alpha : float, default=0.0001
        Strength α of the L2 penalty on the weights. In J above the penalty is
        divided by the weight of the whole training data, Σwᵢ (n without
        sample weights), whatever the batch size. MLPRegressor divides it by
        the size of each minibatch instead: with batches of b of n samples,
        its ``alpha=a`` penalizes as much as ``alpha=a * n / b`` here. With
        'lbfgs' (one batch of all the data) the same alpha is the same penalty.
    dropout : float, default=0.0
        The probability of zeroing each hidden unit in training (inverted
        dropout: the kept units are scaled by 1 / (1 − dropout), so prediction,
        which drops nothing, needs no rescaling and is deterministic).
        Minibatch solvers.
    normalization : {None, 'batch', 'layer'}, default=None
        Normalize each hidden layer before its activation. 'batch' uses the
        minibatch's (weighted) mean and variance in training and running
        averages of them in prediction (minibatch solvers); 'layer' normalizes
        each sample across the layer's units, the same way in training and
        prediction.
    skip_connections : bool, default=False
        Make each hidden layer residual, h ← h P + σ(h W + b), with P the
        identity where the widths match and a learned projection elsewhere.
        Residual connections let deep networks train.
    batch_size : int or 'auto', default='auto'
        Minibatch size; 'auto' is ``min(200, n_samples)``. Minibatch solvers.
    learning_rate_init : float, default=0.001
        The initial step size α₀ of the optimizer. Minibatch solvers.
    learning_rate : {'constant', 'invscaling', 'adaptive', 'cosine'}, \
            default='constant'
        How the step size changes over the updates t = 0, 1, …: 'constant'
        keeps α₀; 'invscaling' uses α₀ / (t + 1)^power_t; 'adaptive' divides
        it by 5 each time training stops improving (see ``tol``) instead of
        stopping, until it falls below 1e-6; 'cosine' anneals it from α₀ to 0
        along half a cosine over ``max_iter`` epochs. Minibatch solvers.
    power_t : float, default=0.5
        The exponent of 'invscaling'.
    warmup_epochs : float, default=0
        Ramp the step size up linearly over this many epochs first. Minibatch
        solvers.
    max_grad_norm : float or None, default=None
        Scale each minibatch's gradient down so that its norm, over all
        parameters together, is at most this. Minibatch solvers.
    max_iter : int, default=200
        The maximum number of epochs (passes over the training data) of a fit;
        for 'lbfgs', the maximum number of its iterations.
    max_fun : int, default=15000
        'lbfgs' only: the maximum number of evaluations of J (each a forward
        and backward pass over the data), as in MLPRegressor.
    shuffle : bool, default=True
        Whether to shuffle the samples before each epoch. Minibatch solvers.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the shuffling and the validation split.
    tol : float, default=1e-5
        Minibatch solvers stop when the training objective (or, with early
        stopping, the validation score) has not improved by at least ``tol``
        for ``n_iter_no_change`` consecutive epochs. 'lbfgs' stops when no
        component of the gradient of J is larger than ``tol``.
    n_iter_no_change : int or np.inf, default=20
        See ``tol``. ``np.inf`` switches the rule off: every fit trains
        ``max_iter`` epochs, on purpose, and reaching them raises no
        ConvergenceWarning. Minibatch solvers.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (or use the
        ``X_val``, ``y_val`` passed to ``fit``), stop when its R² stops
        improving, and restore the weights of the best epoch. Repeats of a
        sample are held out together, so none leaks into the validation data.
        Minibatch solvers, and not ``partial_fit``, which has nothing to hold
        out.
    validation_fraction : float, default=0.1
        The fraction held out for early stopping.
    average : int, default=0
        Stochastic weight averaging (Izmailov et al., 2018): ``fit`` ends by
        setting the weights to their mean over the ends of its last
        ``average`` epochs (all of them if it ran fewer), whatever stopped it.
        The mean smooths out the jitter of the last minibatch steps. 0 turns
        averaging off; ``partial_fit`` never averages. It cannot be combined
        with ``early_stopping``, which chooses the final weights its own way.
        Batch normalization's running statistics are not averaged. Minibatch
        solvers.
    warm_start : bool, default=False
        If True, ``fit`` continues from the current weights (with a fresh
        optimizer state) instead of initialising new ones.
    momentum : float, default=0.9
        Momentum of the 'sgd' solver.
    nesterovs_momentum : bool, default=True
        Whether the 'sgd' solver uses Nesterov's momentum.
    beta_1, beta_2 : float, default=0.9, 0.999
        Decays of Adam's first and second moment estimates.
    epsilon : float, default=1e-8
        The ε that keeps RMSProp's and Adam's steps finite.
    rho : float, default=0.9
        Decay of RMSProp's running mean square of the gradient.
    loss : {'squared_error', 'huber', 'poisson'}, default='squared_error'
        The loss ℓ. 'poisson' is the Poisson deviance of the mean exp f(x),
        for non-negative targets such as counts, and makes ``predict`` return
        exp f(x), always positive (a log link, as in MLPRegressor).
    huber_delta : float, default=1.0
        Where Huber's loss turns from quadratic to linear.
    verbose : bool or int, default=False
        Print one line per epoch (per iteration for 'lbfgs'): loss, validation
        score, elapsed time.

    Attributes
    ----------
    coefs_ : list of ndarray of shape (fan_in, fan_out)
        The weight matrix of each layer (not the projections of residual
        blocks, nor the scales of the normalization layers).
    intercepts_ : list of ndarray of shape (fan_out,)
        The bias of each layer.
    loss_ : float
        The training objective J after the last epoch (or 'lbfgs' iteration).
    loss_curve_ : list of float
        The training objective J of every epoch since the weights were
        initialised, averaged over each epoch's minibatches (for 'lbfgs', J
        after each iteration). Warm-started fits and ``partial_fit`` calls
        append to it; epochs are numbered by their place in it (in messages
        and verbose lines).
    best_loss_ : float or None
        The lowest value of ``loss_curve_``; None with early stopping.
    validation_scores_ : list of float or None
        R² on the validation data after each epoch of the last fit; None
        without validation data.
    best_validation_score_ : float or None
        The best of ``validation_scores_``.
    n_iter_ : int
        The number of epochs (for 'lbfgs', iterations) the last ``fit`` ran,
        counted from 0 with or without ``warm_start``, as in MLPRegressor, so
        ``n_iter_ == max_iter`` says that ``max_iter`` ended the fit. Each
        ``partial_fit`` adds one.
    t_ : int
        The number of training samples the minibatch solvers have seen, over
        all epochs since the weights were initialised.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.
    n_outputs_ : int
        The number of outputs.

    See Also
    --------
    sklearn.neural_network.MLPRegressor : scikit-learn's multilayer perceptron.

    Notes
    -----
    Every layer's weights and biases are drawn uniformly with Glorot's bound
    √(6 / (fan_in + fan_out)), for every activation. float32 inputs give
    float32 weights and predictions ('lbfgs' included: SciPy works in float64,
    and the parameters are cast at the boundary); the dtype is fixed by the
    first fit, and later inputs are cast to it.

    If the objective stops being finite, or grows a million-fold above its
    starting value (or above the loss of a zero output), training stops with
    :class:`TrainingDivergedError`, naming the epoch, and the estimator keeps
    the last finite weights: lower ``learning_rate_init`` or scale the inputs.

    **Coming from MLPRegressor.** The parameters the two share have the same
    names and defaults, and ``MLPApproximator`` can take its place in working
    code, with these differences, all on purpose:

    - ℓ is the squared error (or the Poisson deviance), not half of it, so
      ``loss_``, ``loss_curve_`` and the gradient (which ``tol`` bounds for
      'lbfgs') are twice MLPRegressor's; ``alpha`` is relative to the whole
      data (see above).
    - ``tol=1e-5`` and ``n_iter_no_change=20`` by default (MLPRegressor: 1e-4
      and 10), and a fit stops after ``n_iter_no_change`` epochs without
      progress, where MLPRegressor waits one more. With
      ``n_iter_no_change=np.inf`` reaching ``max_iter`` is no ConvergenceWarning.
    - Divergence raises :class:`TrainingDivergedError`, a ValueError, during
      training, and keeps finite weights; MLPRegressor raises a ValueError
      once its solver ends with non-finite weights, or records NaN validation
      scores.
    - ``partial_fit`` adds one to ``n_iter_``; MLPRegressor sets it to 1.
    - The early-stopping split keeps repeated samples on one side and holds
      out a fraction of the sample weight; MLPRegressor uses
      :func:`~sklearn.model_selection.train_test_split`.
    - Sparse input is not supported; the logistic activation's bound is
      Glorot's too, where MLPRegressor uses √(2 / (fan_in + fan_out)).

    References
    ----------
    Rumelhart, Hinton & Williams (1986), "Learning representations by
    back-propagating errors". Kingma & Ba (2015), "Adam: a method for
    stochastic optimization". Glorot & Bengio (2010), "Understanding the
    difficulty of training deep feedforward neural networks". Byrd, Lu,
    Nocedal & Zhu (1995), "A limited memory algorithm for bound constrained
    optimization".

    Examples
    --------
    >>> import numpy as np
    >>> from skfa import MLPApproximator
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0, 1, size=(500, 1))
    >>> y = np.sin(2 * np.pi * X[:, 0])
    >>> model = MLPApproximator(hidden_layer_sizes=(32, 32), max_iter=300,
    ...                         random_state=0).fit(X, y)
    >>> model.score(X, y) > 0.95
    True
    >>> [w.shape for w in model.coefs_]
    [(1, 32), (32, 32), (32, 1)]

    L-BFGS on the whole data, for a small problem:

    >>> model = MLPApproximator(hidden_layer_sizes=16, solver="lbfgs",
    ...                         max_iter=500, random_state=0).fit(X, y)
    >>> model.score(X, y) > 0.99
    True

    Counts, whose log-mean is 1 + 2x, with the Poisson deviance; without
    hidden layers this is Poisson regression:

    >>> from sklearn.linear_model import PoissonRegressor
    >>> counts = rng.poisson(np.exp(1 + 2 * X[:, 0]))
    >>> model = MLPApproximator(hidden_layer_sizes=(), loss="poisson",
    ...                         solver="lbfgs", random_state=0).fit(X, counts)
    >>> bool((model.predict(X) > 0).all())
    True
    >>> glm = PoissonRegressor(alpha=0).fit(X, counts)
    >>> np.allclose(model.predict(X), glm.predict(X), rtol=1e-3)
    True
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS)), list, tuple],
        "solver": [StrOptions({*OPTIMIZERS, LBFGS})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "learning_rate": [StrOptions(set(SCHEDULES))],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "warmup_epochs": [Interval(Real, 0, None, closed="left")],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "normalization": [StrOptions(set(NORMALIZATIONS)), None],
        "skip_connections": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "average": [Interval(Integral, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "rho": [Interval(Real, 0, 1, closed="left")],
        "loss": [StrOptions(set(LOSSES))],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
        "verbose": ["verbose"],
    }

    # Longer than 60 lines, as scikit-learn's convention has it: one line per
    # parameter in the signature and one storing it, nothing else.
    def __init__(
        self,
        hidden_layer_sizes=(100,),
        *,
        activation="relu",
        solver="adam",
        alpha=0.0001,
        dropout=0.0,
        normalization=None,
        skip_connections=False,
        batch_size="auto",
        learning_rate_init=0.001,
        learning_rate="constant",
        power_t=0.5,
        warmup_epochs=0,
        max_grad_norm=None,
        max_iter=200,
        max_fun=15000,
        shuffle=True,
        random_state=None,
        tol=1e-5,
        n_iter_no_change=20,
        early_stopping=False,
        validation_fraction=0.1,
        average=0,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        rho=0.9,
        loss="squared_error",
        huber_delta=1.0,
        verbose=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.dropout = dropout
        self.normalization = normalization
        self.skip_connections = skip_connections
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.power_t = power_t
        self.warmup_epochs = warmup_epochs
        self.max_grad_norm = max_grad_norm
        self.max_iter = max_iter
        self.max_fun = max_fun
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.average = average
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.rho = rho
        self.loss = loss
        self.huber_delta = huber_delta
        self.verbose = verbose

    # ------------------------------------------------------------------ public

    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Train the network on (X, y) for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; the loss is their weighted mean.
        X_val, y_val : array-like, default=None
            Validation data. When given, its R² is recorded after each epoch in
            ``validation_scores_`` and, with ``early_stopping=True``, used for
            stopping instead of a held-out fraction of the training data.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation samples.

        Returns
        -------
        self : MLPApproximator
        """
        self._check_fit_options(X_val, y_val, sample_weight_val)
        continuing = self.warm_start and hasattr(self, "coefs_")
        X, y, sample_weight = self._validate_training_data(
            X, y, sample_weight, reset=not continuing
        )
        if not continuing:
            self._initialize(X, y)
        X, y, sample_weight, validation = self._validation_data(
            X, y, sample_weight, X_val, y_val, sample_weight_val
        )
        self.validation_scores_ = None if validation is None else []
        self.best_validation_score_ = None
        self.n_iter_ = 0
        if self.solver == LBFGS:
            self._fit_lbfgs(X, y, sample_weight, validation)
            return self
        self._optimizer = self._make_optimizer()
        self._fit_stochastic(
            X,
            y,
            sample_weight,
            validation,
            max_epochs=self.max_iter,
            average_epochs=self.average,
            warn_at_max_iter=True,
        )
        return self

    @available_if(_has_minibatch_solver)
    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch over (X, y), continuing from the current state.

        The weights and the optimizer state carry over between calls; the first
        call initialises them. There is no early stopping. Only the minibatch
        solvers have this method.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : MLPApproximator
        """
        if self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: one epoch on "
                "the data given leaves nothing to hold out. Set "
                "early_stopping=False to train chunk by chunk, or call fit."
            )
        first_call = not hasattr(self, "coefs_")
        X, y, sample_weight = self._validate_training_data(
            X, y, sample_weight, reset=first_call
        )
        if first_call:
            self._initialize(X, y)
            self.validation_scores_ = None
            self.best_validation_score_ = None
        if getattr(self, "_optimizer", None) is None:
            self._optimizer = self._make_optimizer()
        self._fit_stochastic(X, y, sample_weight, validation=None, max_epochs=1)
        return self

    def predict(self, X):
        """The prediction: the network's output f(X), or exp f(X) for 'poisson'.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            In the dtype of the weights.
        """
        if not self._needs_no_validation(X):
            check_is_fitted(self)
            X = validate_data(
                self, X, reset=False, dtype=self._dtype, ensure_all_finite=True
            )
        return self._forward(X)

    def _needs_no_validation(self, X):
        """Whether X is already what ``validate_data`` would return.

        Acting with a policy calls ``predict`` on one state at a time, where
        ``validate_data`` costs several times the arithmetic; an array of the
        right dtype, width and finite values takes this shortcut. Anything
        else, including a DataFrame or an unfitted model, is validated.
        """
        return (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.shape[0] > 0
            and X.dtype == getattr(self, "_dtype", None)
            and X.shape[1] == getattr(self, "n_features_in_", None)
            and not hasattr(self, "feature_names_in_")
            and np.isfinite(X).all()
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.target_tags.multi_output = True
        # The common checks then draw non-negative targets, as for PoissonRegressor.
        tags.target_tags.positive_only = self.loss == "poisson"
        return tags

    # ------------------------------------------------- validation and set-up

    def _check_fit_options(self, X_val, y_val, sample_weight_val):
        """Refuse combinations of fit's arguments and options that mean nothing."""
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together.")
        if sample_weight_val is not None and X_val is None:
            raise ValueError("sample_weight_val was given without X_val and y_val.")
        if self.average and self.early_stopping:
            raise ValueError(
                f"average={self.average} and early_stopping=True both choose the "
                "final weights; set average=0 or early_stopping=False."
            )
        if self.solver == LBFGS:
            self._check_lbfgs_options()

    def _check_lbfgs_options(self):
        """L-BFGS has no minibatches: refuse the options that need them."""
        offending = {
            name: off
            for name, off in MINIBATCH_ONLY_OPTIONS.items()
            if getattr(self, name) != off
        }
        if self.normalization == "batch":
            offending["normalization"] = "layer"
        if offending:
            settings = ", ".join(
                f"{name}={getattr(self, name)!r}" for name in offending
            )
            instead = ", ".join(f"{name}={off!r}" for name, off in offending.items())
            raise ValueError(
                f"solver='lbfgs' takes the whole data at every step, so {settings} "
                "(a part of minibatch training) has no meaning with it. Set "
                f"{instead}, or choose solver='adam', 'sgd' or 'rmsprop'."
            )

    def _validate_training_data(self, X, y, sample_weight, reset):
        dtype = [np.float64, np.float32] if reset else self._dtype
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=dtype,
            multi_output=True,
            y_numeric=True,
            ensure_all_finite=True,
        )
        y = np.asarray(y, dtype=X.dtype)
        if y.ndim == 1:
            y = y.reshape(-1, 1)
        if not reset and y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} outputs, but {self.__class__.__name__} was "
                f"fitted with {self.n_outputs_}."
            )
        if self.loss == "poisson" and (y < 0).any():
            raise ValueError(
                "Some value(s) of y are negative, which is not allowed for "
                "Poisson regression (loss='poisson'): its targets are counts or "
                "rates, and it predicts a positive mean."
            )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
            if not sample_weight.sum() > 0:
                raise ValueError("sample_weight must have a positive sum.")
        return X, y, sample_weight

    def _hidden_activations(self):
        """The hidden layers' widths and activation names, one of each per layer."""
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if any(not isinstance(s, Integral) or s < 1 for s in sizes):
            raise ValueError(
                "hidden_layer_sizes must contain positive integers, got "
                f"{self.hidden_layer_sizes!r}."
            )
        if isinstance(self.activation, str):
            return sizes, [self.activation] * len(sizes)
        names = list(self.activation)
        if len(names) != len(sizes):
            raise ValueError(
                f"activation has {len(names)} entries but there are {len(sizes)} "
                "hidden layers; give one activation per hidden layer or a single "
                "name."
            )
        unknown = [name for name in names if name not in ACTIVATIONS]
        if unknown:
            raise ValueError(
                f"Unknown activation(s) {unknown}; choose from {sorted(ACTIVATIONS)}."
            )
        return sizes, names

    def _initialize(self, X, y):
        """Draw new weights, and reset the training record."""
        sizes, activations = self._hidden_activations()
        self._random_state = check_random_state(self.random_state)
        self._dtype = X.dtype
        self.n_outputs_ = y.shape[1]
        self._network = make_mlp(
            X.shape[1],
            sizes,
            self.n_outputs_,
            activations,
            self._random_state,
            X.dtype,
            normalization=self.normalization,
            dropout=self.dropout,
            skip_connections=self.skip_connections,
        )
        self._bind_fitted_parameters()
        self._optimizer = None
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self.best_loss_ = np.inf
        self._no_improvement_count = 0

    def _bind_fitted_parameters(self):
        """Expose the dense layers' arrays as ``coefs_`` and ``intercepts_``.

        They are the very arrays the optimizer updates, not copies.
        """
        dense_layers = self._network.dense_layers()
        self.coefs_ = [layer.weights for layer in dense_layers]
        self.intercepts_ = [layer.bias for layer in dense_layers]

    def _make_optimizer(self):
        """A fresh optimizer, found by the solver's name alone, and its schedule.

        Each optimizer names the estimator parameters it takes
        (``hyperparameters``); the schedule drives its ``learning_rate``.
        """
        optimizer = OPTIMIZERS[self.solver]
        settings = {name: getattr(self, name) for name in optimizer.hyperparameters}
        self._schedule = LearningRateSchedule(
            self.learning_rate, self.learning_rate_init, power_t=self.power_t
        )
        return optimizer(
            [self._network.flat_params],
            learning_rate=self.learning_rate_init,
            **settings,
        )

    def _make_loss(self):
        if self.loss == "huber":
            return LOSSES["huber"](delta=self.huber_delta)
        return LOSSES[self.loss]()

    def _l2_scale(self, sample_weight, n_samples):
        """α / Σw, the factor of Σ‖W‖² in J (see the class docstring)."""
        total_weight = n_samples if sample_weight is None else sample_weight.sum()
        return self.alpha / total_weight

    def _validation_data(self, X, y, sample_weight, X_val, y_val, sample_weight_val):
        """The data to train on, and the validation data (None without)."""
        if X_val is not None:
            validation = self._validate_training_data(
                X_val, y_val, sample_weight_val, reset=False
            )
            return X, y, sample_weight, validation
        if self.early_stopping:
            return self._split_validation(X, y, sample_weight)
        return X, y, sample_weight, None

    def _scattered_keys(self, distinct, candidates):
        """A random key in [0, 1) for each distinct sample, from its values alone.

        The key depends on the sample's values only, not on its position, its
        repeats or the samples of zero weight, so that integer weights and
        repeated rows give the same split. A random projection alone would
        rank the samples along one direction and hold out one edge of the
        data; the fractional part of a steep multiple of it scatters the keys
        over [0, 1) with no relation to where a sample lies.
        """
        projection = distinct.astype(np.float64) @ self._random_state.normal(
            size=distinct.shape[1]
        )
        if not candidates.size:
            return projection
        low, spread = projection[candidates].min(), np.ptp(projection[candidates])
        return np.mod((projection - low) * (1e6 / (spread or 1.0)), 1.0)

    def _split_validation(self, X, y, sample_weight):
        """Hold out about ``validation_fraction`` of the weight for validation.

        Identical samples (same x and y) always land on the same side: the
        split is drawn over distinct samples, each given a random key. So a
        repeated sample never leaks into the validation data, and integer
        sample weights give the same split as repeated rows.
        """
        weights = np.ones(X.shape[0]) if sample_weight is None else sample_weight
        distinct, group = np.unique(np.hstack([X, y]), axis=0, return_inverse=True)
        group = group.ravel()
        group_weight = np.bincount(group, weights=weights, minlength=len(distinct))
        # Samples of zero weight stay in training, where they change nothing, so
        # that they cannot change which samples are held out.
        candidates = np.flatnonzero(group_weight > 0)
        keys = self._scattered_keys(distinct, candidates)
        group_order = candidates[np.argsort(keys[candidates], kind="stable")]
        cumulative = np.cumsum(group_weight[group_order])
        n_groups_held_out = max(
            2,
            np.searchsorted(cumulative, self.validation_fraction * cumulative[-1]) + 1,
        )
        if n_groups_held_out >= len(group_order):
            raise ValueError(
                "The validation set is too small: early_stopping needs at least 2 "
                "distinct samples to validate on and 1 with positive weight to "
                f"train on; got {X.shape[0]} sample{'s' if X.shape[0] != 1 else ''} "
                f"({len(distinct)} distinct)."
            )
        held_out = np.zeros(len(distinct), dtype=bool)
        held_out[group_order[:n_groups_held_out]] = True
        validate = held_out[group]
        train = ~validate
        if sample_weight is None:
            return X[train], y[train], None, (X[validate], y[validate], None)
        return (
            X[train],
            y[train],
            sample_weight[train],
            (X[validate], y[validate], sample_weight[validate]),
        )

    def _forward(self, X):
        """The prediction: the loss's inverse link of the network's output."""
        y_pred = LOSSES[self.loss].inverse_link(self._network.forward(X))
        if self.n_outputs_ == 1:
            return y_pred.ravel()
        return y_pred

    # ------------------------------------------------------ minibatch solvers

    def _fit_stochastic(
        self,
        X,
        y,
        sample_weight,
        validation,
        max_epochs,
        *,
        average_epochs=0,
        warn_at_max_iter=False,
    ):
        """Minibatch training: up to ``max_epochs`` passes over the data.

        Each epoch is the minibatch steps of :meth:`_run_epoch`, then the
        record of it and the checks between epochs. ``average_epochs`` asks for
        the mean of the weights of the last epochs at the end (see ``average``).
        """
        n_samples = X.shape[0]
        batch_size = self._batch_size(n_samples)
        self._schedule.plan(
            self.max_iter, -(-n_samples // batch_size), self.warmup_epochs
        )
        loss = self._make_loss()
        l2_scale = self._l2_scale(sample_weight, n_samples)
        guard = _DivergenceGuard(self, loss)
        early_stopping = self.early_stopping and validation is not None
        final_weights = _FinalWeights(self._network, early_stopping, average_epochs)
        progress = _Progress(self, X, y, max_epochs, unit="epoch")
        for _ in range(max_epochs):
            progress.begin_step()
            guard.begin_epoch(len(self.loss_curve_) + 1)
            objective = self._run_epoch(
                X, y, sample_weight, batch_size, loss, l2_scale, guard
            )
            guard.end_epoch()
            self.t_ += n_samples
            self._record(objective, validation)
            improved = self._count_stalled_epochs(early_stopping)
            final_weights.end_epoch(improved)
            if progress.end_step() or self._stopping_rule_fired():
                break
        else:
            if warn_at_max_iter:
                self._warn_max_iter_reached()
        final_weights.apply()
        progress.end()

    def _batch_size(self, n_samples):
        """'auto' is min(200, n_samples); no batch is larger than the data."""
        size = 200 if self.batch_size == "auto" else self.batch_size
        return min(size, n_samples)

    def _minibatches(self, n_samples, batch_size):
        """The sample indices of each minibatch of one epoch, shuffled if asked."""
        order = (
            self._random_state.permutation(n_samples)
            if self.shuffle
            else np.arange(n_samples)
        )
        for start in range(0, n_samples, batch_size):
            yield order[start : start + batch_size]

    def _run_epoch(self, X, y, sample_weight, batch_size, loss, l2_scale, guard):
        """One pass of minibatch steps over the data; returns the mean objective.

        The hot loop of training: per batch, only what each step needs.
        """
        network, optimizer, schedule = self._network, self._optimizer, self._schedule
        params, grads = [network.flat_params], [network.flat_grads]
        max_grad_norm = self.max_grad_norm
        total = 0.0
        # Overflow is caught by the guard and reported with advice; NumPy's
        # warnings on the way there would only repeat it less clearly.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for batch in self._minibatches(X.shape[0], batch_size):
                weight = None if sample_weight is None else sample_weight[batch]
                objective = network.compute_gradients(
                    X[batch], y[batch], loss, weight, l2_scale
                )
                if not objective <= guard.threshold:
                    guard.check(objective, y[batch], weight)
                if max_grad_norm is not None:
                    network.clip_gradients(max_grad_norm)
                optimizer.learning_rate = schedule.rate(optimizer.n_steps)
                optimizer.update_params(params, grads)
                if optimizer.n_steps % FLUSH_EVERY_STEPS == 0:
                    flush_subnormals([network.flat_params, *optimizer.state_arrays()])
                total += objective * (len(batch) if weight is None else weight.sum())
        return total / (X.shape[0] if sample_weight is None else sample_weight.sum())

    def _count_stalled_epochs(self, early_stopping):
        """Count the epochs in a row that made no progress by ``tol``.

        Progress is a validation score better by ``tol`` with early stopping,
        a training objective lower by ``tol`` otherwise. Returns whether this
        epoch's weights are the best validated so far.
        """
        if early_stopping:
            *earlier, score = self.validation_scores_
            best = max(earlier, default=-np.inf)
            stalled, improved = score < best + self.tol, score > best
            self.best_loss_ = None
        else:
            # After a fit with early stopping, best_loss_ is None: start afresh.
            best = np.inf if self.best_loss_ is None else self.best_loss_
            stalled, improved = self.loss_ > best - self.tol, False
            self.best_loss_ = min(best, self.loss_)
        self._no_improvement_count = self._no_improvement_count + 1 if stalled else 0
        return improved

    def _stopping_rule_fired(self):
        """Whether training has stopped making progress for good.

        After ``n_iter_no_change`` epochs in a row without progress training
        stops; the 'adaptive' schedule lowers the step size instead and goes
        on, until the step size gets too small.
        """
        if self._no_improvement_count < self.n_iter_no_change:
            return False
        if not self._schedule.on_plateau():
            return True
        self._no_improvement_count = 0
        if self.verbose:
            print(f"Learning rate lowered to {self._schedule.current:.3g}")
        return False

    def _warn_max_iter_reached(self):
        """Warn that ``max_iter`` ended the fit before the stopping rule did.

        With ``n_iter_no_change=np.inf`` there is no stopping rule: the fit
        trains ``max_iter`` epochs on purpose, and reaching them is no news.
        """
        if self.n_iter_no_change == np.inf:
            return
        warnings.warn(
            f"{type(self).__name__} reached max_iter={self.max_iter} epochs "
            f"(n_iter_={self.n_iter_}) before {self.n_iter_no_change} epochs in "
            f"a row without progress by tol={self.tol}; consider raising "
            "max_iter, or set n_iter_no_change=np.inf to train max_iter epochs "
            "on purpose.",
            ConvergenceWarning,
            stacklevel=3,
        )

    # ------------------------------------------------------------------ lbfgs

    def _fit_lbfgs(self, X, y, sample_weight, validation):
        """Minimize J over the whole data with SciPy's L-BFGS-B.

        As MLPRegressor's lbfgs: ``maxiter=max_iter``, ``maxfun=max_fun``,
        ``gtol=tol``, and a ConvergenceWarning when L-BFGS-B did not
        converge. J and its gradient are the network's own forward and
        backward pass over all the data, with the L2 term
        (:meth:`_objective_and_gradient`).
        """
        network = self._network
        start = network.snapshot()
        self._optimizer = None  # a later partial_fit (after set_params) starts afresh
        objective_and_gradient = self._objective_and_gradient(X, y, sample_weight)
        progress = _Progress(self, X, y, self.max_iter, unit="iteration")

        def end_iteration(intermediate_result):
            network.flat_params[...] = intermediate_result.x
            progress.begin_step()
            self._record(intermediate_result.fun, validation)
            if progress.end_step():
                raise StopIteration  # SciPy ends the minimization

        # L-BFGS-B's own arithmetic is many tiny vector operations, which a
        # multithreaded BLAS slows down by far more than the network's products
        # gain from threads (benchmarks/bench_mlp_kernels.md), as in
        # scikit-learn's KMeans.
        with threadpool_limits(limits=1, user_api="blas"):
            result = scipy.optimize.minimize(
                objective_and_gradient,
                network.flat_params.astype(np.float64),
                method="L-BFGS-B",
                jac=True,
                callback=end_iteration,
                options={
                    "maxfun": self.max_fun,
                    "maxiter": self.max_iter,
                    "gtol": self.tol,
                },
            )
        network.flat_params[...] = result.x
        if not (np.isfinite(result.fun) and np.isfinite(network.flat_params).all()):
            network.restore(start)
            raise TrainingDivergedError(
                f"Training diverged: L-BFGS reached a loss of {result.fun:.3g}. "
                "Scale the inputs and targets (e.g. with StandardScaler). The "
                "weights from before this fit were kept."
            )
        self.loss_ = self.best_loss_ = float(result.fun)
        if not progress.stopped:
            self.n_iter_ = _check_optimize_result(LBFGS, result, self.max_iter)
        progress.end()

    def _objective_and_gradient(self, X, y, sample_weight):
        """The function L-BFGS minimizes: θ ↦ (J(θ), ∇J(θ)), in float64.

        θ is the network's flat parameter vector; the network computes in its
        own dtype, and θ and the gradient are cast at the boundary. The
        gradient is a copy: the network's buffer is overwritten at the next
        call, while L-BFGS keeps the vectors it is given.
        """
        network, loss = self._network, self._make_loss()
        l2_scale = self._l2_scale(sample_weight, X.shape[0])

        def objective_and_gradient(theta):
            network.flat_params[...] = theta
            # A non-finite J is L-BFGS's to handle (it shortens its step) and
            # ours to report if it ends there; NumPy's warnings add nothing.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                value = network.compute_gradients(X, y, loss, sample_weight, l2_scale)
            return value, network.flat_grads.astype(np.float64)

        return objective_and_gradient

    # ------------------------------------------------------ the training record

    def _record(self, objective, validation):
        """Add an epoch (or L-BFGS iteration) with this objective to the record."""
        self.n_iter_ += 1
        self.loss_ = float(objective)
        self.loss_curve_.append(self.loss_)
        if validation is not None:
            self.validation_scores_.append(self._validation_score(validation))
            self.best_validation_score_ = max(self.validation_scores_)

    def _validation_score(self, validation):
        X_val, y_val, sw_val = validation
        return float(
            r2_score(
                y_val.ravel() if self.n_outputs_ == 1 else y_val,
                self._forward(X_val),
                sample_weight=sw_val,
            )
        )

    def _fitted_copy_attributes(self):
        """What a copy of this estimator needs to predict as it is now.

        Callbacks that score the model during training build such a copy.
        """
        network = copy.deepcopy(self._network)
        dense_layers = network.dense_layers()
        return {
            "_network": network,
            "coefs_": [layer.weights for layer in dense_layers],
            "intercepts_": [layer.bias for layer in dense_layers],
        }

    def _progress_line(self, unit, elapsed):
        """One verbose line: the last epoch's loss, validation score and time."""
        line = f"{unit.capitalize()} {len(self.loss_curve_)}: loss = {self.loss_:.6g}"
        if self.validation_scores_:
            line += f", validation R² = {self.validation_scores_[-1]:.4f}"
        return f"{line}, {elapsed:.2f} s"


class _DivergenceGuard:
    """Stops minibatch training when the objective explodes, keeping finite weights.

    Training has exploded when the objective stops being finite or exceeds
    DIVERGENCE_FACTOR times the larger of the first batch's objective and the
    loss of predicting zero: a run that gets that much worse is diverging
    even while its numbers are still finite (they would overflow a few steps
    later, and the no-improvement rule might stop training first, silently).
    The hot loop compares each batch's objective with ``threshold`` and calls
    :meth:`check` only when it is not below: on the first batch (the threshold
    starts at −∞) and when training explodes.
    """

    def __init__(self, estimator, loss):
        self._estimator = estimator
        self._loss = loss
        self.threshold = -np.inf

    def begin_epoch(self, epoch):
        self._epoch = epoch
        self._last_finite = self._estimator._network.snapshot()

    def check(self, objective, y, sample_weight):
        """Set the threshold on the first batch; stop training above it."""
        if self.threshold == -np.inf:
            zero_loss = self._loss.value(np.zeros_like(y), y, sample_weight)
            reference = max(objective, zero_loss, np.finfo(np.float64).tiny)
            self.threshold = DIVERGENCE_FACTOR * reference
            if objective <= self.threshold:
                return
        self._stop(objective)

    def end_epoch(self):
        """Stop training if any learned number has stopped being finite."""
        network = self._estimator._network
        if not all(
            np.isfinite(a).all() for a in [network.flat_params, *network.buffers]
        ):
            self._stop(np.inf)

    def _stop(self, objective):
        estimator, epoch = self._estimator, self._epoch
        estimator._network.restore(self._last_finite)
        # The optimizer's moments may hold infinities too: start afresh next time.
        estimator._optimizer = None
        raise TrainingDivergedError(
            f"Training diverged in epoch {epoch}: the loss reached {objective:.3g}. "
            "Keep calm and lower your learning rate: try a smaller "
            f"learning_rate_init (now {estimator.learning_rate_init}), or scale "
            "the inputs and targets (e.g. with StandardScaler). The weights from "
            f"before epoch {epoch} were kept."
        )


class _FinalWeights:
    """Which weights a minibatch fit ends with: the last, the best, or a mean.

    With early stopping, the weights of the epoch with the best validation
    score; with weight averaging, the mean of the weights after each of the
    last ``average_epochs`` epochs (which epoch is the last is known only once
    a stopping rule has fired); otherwise the last weights.
    """

    def __init__(self, network, early_stopping, average_epochs):
        self._network = network
        self._early_stopping = early_stopping
        self._best = None
        self._recent = collections.deque(maxlen=average_epochs)

    def end_epoch(self, improved):
        if self._early_stopping and improved:
            self._best = self._network.snapshot()
        if self._recent.maxlen:
            self._recent.append(self._network.flat_params.copy())

    def apply(self):
        if self._best is not None:
            self._network.restore(self._best)
        if self._recent:
            np.mean(self._recent, axis=0, out=self._network.flat_params)


class _Progress:
    """What the world sees of a fit: scikit-learn's callbacks and verbose lines.

    The callbacks (progress bars, scoring monitors) see the fit as a task with
    one subtask per epoch (per iteration for L-BFGS), and may ask to stop after
    any of them. With ``verbose``, each prints a line.
    """

    def __init__(self, estimator, X, y, max_steps, unit):
        self._estimator, self._X, self._y = estimator, X, y
        self._unit = unit
        self._start = time.perf_counter()
        self.stopped = False
        self._task = init_callback_context(estimator, max_subtasks=max_steps)
        self._task.call_on_fit_task_begin(estimator=estimator, X=X, y=y)

    def begin_step(self):
        self._step = self._task.subcontext(task_name=self._unit)
        self._step.call_on_fit_task_begin(
            estimator=self._estimator, X=self._X, y=self._y
        )

    def end_step(self):
        """Report the step just recorded; return whether a callback asked to stop."""
        estimator = self._estimator
        if estimator.verbose:
            elapsed = time.perf_counter() - self._start
            print(estimator._progress_line(self._unit, elapsed))
        self.stopped = bool(
            self._step.call_on_fit_task_end(
                estimator=estimator,
                X=self._X,
                y=self._y,
                reconstruction_attributes=estimator._fitted_copy_attributes,
            )
        )
        return self.stopped

    def end(self):
        self._task.call_on_fit_task_end(estimator=self._estimator, X=self._X, y=self._y)
