"""MLPApproximator: the scikit-learn estimator around the NumPy backprop core.

The estimator validates data and parameters, cuts the data into minibatches,
watches the loss (divergence, convergence, early stopping) and keeps the fitted
state. The arithmetic lives in the core: :mod:`._network`, :mod:`._layers`,
:mod:`._activations`, :mod:`._losses` and :mod:`._optimizers`.
"""

import collections
import copy
import time
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._compat import (
    CallbackSupportMixin,
    Interval,
    Options,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    init_callback_context,
    validate_data,
    with_callbacks,
)
from ._activations import ACTIVATIONS
from ._losses import LOSSES
from ._network import NORMALIZATIONS, make_mlp
from ._optimizers import OPTIMIZERS, flush_subnormals
from ._schedules import SCHEDULES, LearningRateSchedule

__all__ = ["MLPApproximator", "TrainingDivergedError"]

# How many times worse than at its start the objective may get before training
# counts as diverged (see ``MLPApproximator._explosion_threshold``).
DIVERGENCE_FACTOR = 1e6

# How often the weights and optimizer state are cleared of subnormal numbers
# (see ``flush_subnormals``).
FLUSH_EVERY_STEPS = 100


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


class MLPApproximator(CallbackSupportMixin, RegressorMixin, BaseEstimator):
    """Multilayer perceptron regressor trained by backpropagation in NumPy.

    The network computes f(x) = h⁽ᴸ⁾(…h⁽¹⁾(x)) with hidden layers
    h(x) = σ(xW + b) and a linear output layer, and is trained by minibatch
    SGD (with momentum or Nesterov momentum), RMSProp or Adam on the objective

    .. math::

        J(θ) = \\frac{1}{Σ_i w_i} \\Big( Σ_i w_i \\, ℓ(f_θ(x_i), y_i)
               + α \\, Σ_l ‖W^{(l)}‖² \\Big)

    where ℓ is the squared error or Huber's loss summed over outputs, wᵢ the
    sample weights (all 1 by default) and α the L2 penalty on the weights (not
    the biases). For a network without hidden layers this is exactly the
    objective of :class:`sklearn.linear_model.Ridge` divided by Σwᵢ.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
        The width of each hidden layer. An empty tuple gives a linear model.
    activation : str or list of str, default='relu'
        The hidden layers' nonlinearity σ: 'identity', 'logistic', 'tanh',
        'relu', 'leaky_relu', 'elu' or 'softplus'; a list gives one per hidden
        layer.
    solver : {'sgd', 'rmsprop', 'adam'}, default='adam'
        The optimizer.
    alpha : float, default=0.0001
        Strength α of the L2 penalty on the weights (see the objective above).
    dropout : float, default=0.0
        The probability of zeroing each hidden unit in training (inverted
        dropout: the kept units are scaled by 1 / (1 − dropout), so prediction,
        which drops nothing, needs no rescaling and is deterministic).
    normalization : {None, 'batch', 'layer'}, default=None
        Normalize each hidden layer before its activation. 'batch' uses the
        minibatch's (weighted) mean and variance in training and running
        averages of them in prediction; 'layer' normalizes each sample across
        the layer's units, the same way in training and prediction.
    skip_connections : bool, default=False
        Make each hidden layer residual, h ← h P + σ(h W + b), with P the
        identity where the widths match and a learned projection elsewhere.
        Residual connections let deep networks train.
    batch_size : int or 'auto', default='auto'
        Minibatch size; 'auto' is ``min(200, n_samples)``.
    learning_rate_init : float, default=0.001
        The initial step size α₀ of the optimizer.
    learning_rate : {'constant', 'invscaling', 'adaptive', 'cosine'}, \
            default='constant'
        How the step size changes over the updates t = 0, 1, …: 'constant'
        keeps α₀; 'invscaling' uses α₀ / (t + 1)^power_t; 'adaptive' divides
        it by 5 each time training stops improving (see ``tol``) instead of
        stopping, until it falls below 1e-6; 'cosine' anneals it from α₀ to 0
        along half a cosine over ``max_iter`` epochs.
    power_t : float, default=0.5
        The exponent of 'invscaling'.
    warmup_epochs : float, default=0
        Ramp the step size up linearly over this many epochs first.
    max_grad_norm : float or None, default=None
        Scale each minibatch's gradient down so that its norm, over all
        parameters together, is at most this.
    max_iter : int, default=200
        The maximum number of epochs (passes over the training data).
    shuffle : bool, default=True
        Whether to shuffle the samples before each epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the shuffling and the validation split.
    tol : float, default=1e-5
        Training stops when the training loss (or, with early stopping, the
        validation score) has not improved by at least ``tol`` for
        ``n_iter_no_change`` consecutive epochs.
    n_iter_no_change : int, default=20
        See ``tol``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (or use the
        ``X_val``, ``y_val`` passed to ``fit``), stop when its R² stops
        improving, and restore the weights of the best epoch. Repeats of a
        sample are held out together, so none leaks into the validation data.
    validation_fraction : float, default=0.1
        The fraction held out for early stopping.
    average : int, default=0
        Stochastic weight averaging (Izmailov et al., 2018): ``fit`` ends by
        setting the weights to their mean over the ends of its last
        ``average`` epochs (all of them if it ran fewer), whatever stopped it.
        The mean smooths out the jitter of the last minibatch steps. 0 turns
        averaging off; ``partial_fit`` never averages. It cannot be combined
        with ``early_stopping``, which chooses the final weights its own way.
        Batch normalization's running statistics are not averaged.
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
    loss : {'squared_error', 'huber'}, default='squared_error'
        The loss ℓ.
    huber_delta : float, default=1.0
        Where Huber's loss turns from quadratic to linear.
    verbose : bool or int, default=False
        Print one line per epoch: loss, validation score, elapsed time.

    Attributes
    ----------
    coefs_ : list of ndarray of shape (fan_in, fan_out)
        The weight matrix of each layer (not the projections of residual
        blocks, nor the scales of the normalization layers).
    intercepts_ : list of ndarray of shape (fan_out,)
        The bias of each layer.
    loss_curve_ : list of float
        The training objective J, averaged over each epoch's minibatches.
    best_loss_ : float or None
        The lowest value of ``loss_curve_``; None with early stopping.
    validation_scores_ : list of float or None
        R² on the validation data after each epoch; None without validation data.
    best_validation_score_ : float or None
        The best of ``validation_scores_``.
    n_iter_ : int
        The number of epochs run.
    t_ : int
        The number of training samples seen, over all epochs.
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
    The weights are drawn with He initialisation for the rectifier family and
    Glorot initialisation otherwise. float32 inputs give float32 weights and
    predictions; the dtype is fixed by the first fit, and later inputs are cast
    to it.

    If the objective stops being finite, or grows a million-fold above its
    starting value (or above the loss of predicting zero), training stops with
    :class:`TrainingDivergedError`, naming the epoch, and the estimator keeps
    the last finite weights: lower ``learning_rate_init`` or scale the inputs.

    References
    ----------
    Rumelhart, Hinton & Williams (1986), "Learning representations by
    back-propagating errors". Kingma & Ba (2015), "Adam: a method for
    stochastic optimization".

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
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS)), list, tuple],
        "solver": [StrOptions(set(OPTIMIZERS))],
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
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together.")
        if sample_weight_val is not None and X_val is None:
            raise ValueError("sample_weight_val was given without X_val and y_val.")
        if self.average and self.early_stopping:
            raise ValueError(
                f"average={self.average} and early_stopping=True both choose the "
                "final weights; set average=0 or early_stopping=False."
            )
        continuing = self.warm_start and hasattr(self, "coefs_")
        X, y, sample_weight = self._validate_training_data(
            X, y, sample_weight, reset=not continuing
        )
        if not continuing:
            self._initialize(X, y)
        self._optimizer = self._make_optimizer()

        validation = None
        if X_val is not None:
            validation = self._validate_training_data(
                X_val, y_val, sample_weight_val, reset=False
            )
        elif self.early_stopping:
            X, y, sample_weight, validation = self._split_validation(
                X, y, sample_weight
            )
        self.validation_scores_ = None if validation is None else []
        self.best_validation_score_ = None
        self._train(
            X,
            y,
            sample_weight,
            validation,
            max_epochs=self.max_iter,
            average_epochs=self.average,
        )
        return self

    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch over (X, y), continuing from the current state.

        The weights and the optimizer state carry over between calls; the first
        call initialises them. There is no early stopping.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : MLPApproximator
        """
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
        self._train(X, y, sample_weight, validation=None, max_epochs=1)
        return self

    def predict(self, X):
        """The network's output f(X).

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
        return tags

    # ------------------------------------------------------------ internals

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
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
            if not sample_weight.sum() > 0:
                raise ValueError("sample_weight must have a positive sum.")
        return X, y, sample_weight

    def _hidden_activations(self):
        sizes = list(self.hidden_layer_sizes)
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
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self.best_loss_ = np.inf
        self._no_improvement_count = 0

    def __getstate__(self):
        # coefs_ and intercepts_ are the network's own arrays: a serializer
        # that stores arrays one by one (joblib) would keep copies that the
        # optimizer no longer updates. They are bound again on loading.
        state = dict(super().__getstate__())  # a copy: it may be self.__dict__
        state.pop("coefs_", None)
        state.pop("intercepts_", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if hasattr(self, "_network"):
            self._bind_fitted_parameters()

    def _bind_fitted_parameters(self):
        """Expose the dense layers' arrays as ``coefs_`` and ``intercepts_``.

        They are the very arrays the optimizer updates, not copies.
        """
        dense_layers = self._network.dense_layers()
        self.coefs_ = [layer.weights for layer in dense_layers]
        self.intercepts_ = [layer.bias for layer in dense_layers]

    def _make_optimizer(self):
        """A fresh optimizer, and the learning-rate schedule that drives it."""
        self._schedule = LearningRateSchedule(
            self.learning_rate, self.learning_rate_init, power_t=self.power_t
        )
        params = [self._network.flat_params]
        if self.solver == "sgd":
            return OPTIMIZERS["sgd"](
                params,
                learning_rate=self.learning_rate_init,
                momentum=self.momentum,
                nesterov=self.nesterovs_momentum,
            )
        if self.solver == "rmsprop":
            return OPTIMIZERS["rmsprop"](
                params,
                learning_rate=self.learning_rate_init,
                rho=self.rho,
                epsilon=self.epsilon,
            )
        return OPTIMIZERS["adam"](
            params,
            learning_rate=self.learning_rate_init,
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
        )

    def _make_loss(self):
        if self.loss == "huber":
            return LOSSES["huber"](delta=self.huber_delta)
        return LOSSES[self.loss]()

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
        # A random projection of each distinct sample is its key: it depends on
        # the sample's values only, not on its position or its repeats.
        keys = distinct.astype(np.float64) @ self._random_state.normal(
            size=distinct.shape[1]
        )
        group_weight = np.bincount(group, weights=weights, minlength=len(distinct))
        # Samples of zero weight stay in training, where they change nothing, so
        # that they cannot change which samples are held out.
        candidates = np.flatnonzero(group_weight > 0)
        group_order = candidates[np.argsort(keys[candidates], kind="stable")]
        cumulative = np.cumsum(group_weight[group_order])
        n_groups_held_out = max(
            2,
            np.searchsorted(cumulative, self.validation_fraction * cumulative[-1]) + 1,
        )
        if n_groups_held_out >= len(group_order):
            raise ValueError(
                "early_stopping needs at least 2 distinct samples to validate on "
                "and 1 with positive weight to train on; "
                f"got {X.shape[0]} sample{'s' if X.shape[0] != 1 else ''} "
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
        y_pred = self._network.forward(X)
        if self.n_outputs_ == 1:
            return y_pred.ravel()
        return y_pred

    def _train(self, X, y, sample_weight, validation, max_epochs, average_epochs=0):
        """Run up to ``max_epochs`` epochs of minibatch training.

        With ``average_epochs``, end with the mean of the weights after each of
        the last ``average_epochs`` epochs run (weight averaging).
        """
        n_samples = X.shape[0]
        batch_size = (
            min(200, n_samples)
            if self.batch_size == "auto"
            else min(self.batch_size, n_samples)
        )
        batches_per_epoch = -(-n_samples // batch_size)
        self._schedule.total_steps = self.max_iter * batches_per_epoch
        self._schedule.warmup_steps = round(self.warmup_epochs * batches_per_epoch)
        total_weight = n_samples if sample_weight is None else sample_weight.sum()
        # The L2 term α‖W‖² / Σw, spread over the batches of an epoch.
        l2_scale = self.alpha / total_weight
        loss = self._make_loss()
        network, optimizer, schedule = self._network, self._optimizer, self._schedule
        early_stopping = self.early_stopping and validation is not None
        best_state = None
        # The weights after each of the last ``average_epochs`` epochs: which
        # epoch is the last is known only once a stopping rule has fired.
        recent_weights = collections.deque(maxlen=average_epochs)
        explosion_threshold = None
        start = time.perf_counter()
        # scikit-learn's callbacks (progress bars, scoring monitors) see the fit
        # as a task with one subtask per epoch.
        fit_task = init_callback_context(self, max_subtasks=max_epochs)
        fit_task.call_on_fit_task_begin(estimator=self, X=X, y=y)

        for _ in range(max_epochs):
            epoch_task = fit_task.subcontext(task_name="epoch")
            epoch_task.call_on_fit_task_begin(estimator=self, X=X, y=y)
            epoch = self.n_iter_ + 1
            last_finite = network.snapshot()
            order = (
                self._random_state.permutation(n_samples)
                if self.shuffle
                else np.arange(n_samples)
            )
            epoch_objective = 0.0
            # Overflow is detected below and reported with advice; NumPy's
            # warnings on the way there would only repeat it less clearly.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                for batch_start in range(0, n_samples, batch_size):
                    batch = order[batch_start : batch_start + batch_size]
                    batch_weight = (
                        None if sample_weight is None else sample_weight[batch]
                    )
                    objective = network.compute_gradients(
                        X[batch], y[batch], loss, batch_weight, l2_scale
                    )
                    if explosion_threshold is None:
                        explosion_threshold = self._explosion_threshold(
                            objective, y[batch], loss, batch_weight
                        )
                    if not objective <= explosion_threshold:
                        self._diverged(epoch, last_finite, objective)
                    if self.max_grad_norm is not None:
                        network.clip_gradients(self.max_grad_norm)
                    optimizer.learning_rate = schedule.rate(optimizer.n_steps)
                    optimizer.update_params([network.flat_params], [network.flat_grads])
                    if optimizer.n_steps % FLUSH_EVERY_STEPS == 0:
                        flush_subnormals(
                            [network.flat_params, *optimizer.state_arrays()]
                        )
                    epoch_objective += objective * (
                        len(batch) if sample_weight is None else batch_weight.sum()
                    )
            learned = [network.flat_params, *network.buffers]
            if not all(np.isfinite(a).all() for a in learned):
                self._diverged(epoch, last_finite, np.inf)

            epoch_objective /= total_weight
            self.n_iter_ = epoch
            self.t_ += n_samples
            self.loss_curve_.append(float(epoch_objective))
            improved = self._record_epoch(epoch_objective, validation, early_stopping)
            if early_stopping and improved:
                best_state = network.snapshot()
            if average_epochs:
                recent_weights.append(network.flat_params.copy())
            if self.verbose:
                self._print_epoch(epoch, epoch_objective, start)
            if epoch_task.call_on_fit_task_end(
                estimator=self,
                X=X,
                y=y,
                reconstruction_attributes=self._fitted_copy_attributes,
            ):
                break  # a callback asked to stop
            if self._no_improvement_count >= self.n_iter_no_change:
                if not schedule.on_plateau():
                    break
                self._no_improvement_count = 0
                if self.verbose:
                    print(f"Learning rate lowered to {schedule.current:.3g}")
        else:
            if max_epochs > 1:
                warnings.warn(
                    f"{self.__class__.__name__} reached max_iter={self.max_iter} "
                    "epochs without converging; consider raising max_iter.",
                    ConvergenceWarning,
                    stacklevel=3,
                )
        if best_state is not None:
            network.restore(best_state)
        if recent_weights:
            np.mean(recent_weights, axis=0, out=network.flat_params)
        fit_task.call_on_fit_task_end(estimator=self, X=X, y=y)

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

    def _record_epoch(self, epoch_objective, validation, early_stopping):
        """Update the stopping counters; return whether this epoch is the best."""
        if validation is not None:
            X_val, y_val, sw_val = validation
            score = r2_score(
                y_val.ravel() if self.n_outputs_ == 1 else y_val,
                self._forward(X_val),
                sample_weight=sw_val,
            )
            self.validation_scores_.append(float(score))
        if early_stopping:
            self.best_loss_ = None
            best = self.best_validation_score_
            if best is None or score > best:
                self.best_validation_score_ = float(score)
            no_progress = best is not None and score < best + self.tol
            self._no_improvement_count = (
                self._no_improvement_count + 1 if no_progress else 0
            )
            return best is None or score > best
        if validation is not None:
            self.best_validation_score_ = max(self.validation_scores_)
        # After a fit with early stopping, best_loss_ is None: start afresh.
        best = np.inf if self.best_loss_ is None else self.best_loss_
        no_progress = epoch_objective > best - self.tol
        self._no_improvement_count = (
            self._no_improvement_count + 1 if no_progress else 0
        )
        self.best_loss_ = min(best, epoch_objective)
        return False

    @staticmethod
    def _explosion_threshold(first_objective, y_first_batch, loss, weight):
        """The objective above which training has exploded.

        A million times the larger of the first batch's objective and the loss of
        predicting zero: a run that gets that much worse is diverging, even while
        its numbers are still finite (they would overflow a few steps later,
        and the no-improvement rule might stop training first, silently).
        """
        zero_loss = loss.value(np.zeros_like(y_first_batch), y_first_batch, weight)
        reference = max(first_objective, zero_loss, np.finfo(np.float64).tiny)
        return DIVERGENCE_FACTOR * reference

    def _diverged(self, epoch, last_finite, objective):
        self._network.restore(last_finite)
        # The optimizer's moments may hold infinities too: start afresh next time.
        self._optimizer = None
        raise TrainingDivergedError(
            f"Training diverged in epoch {epoch}: the loss reached {objective:.3g}. "
            "Keep calm and lower your learning rate: try a smaller "
            f"learning_rate_init (now {self.learning_rate_init}), or scale the "
            "inputs and targets (e.g. with StandardScaler). The weights from "
            f"before epoch {epoch} were kept."
        )

    def _print_epoch(self, epoch, epoch_objective, start):
        line = f"Epoch {epoch}: loss = {epoch_objective:.6g}"
        if self.validation_scores_:
            line += f", validation R² = {self.validation_scores_[-1]:.4f}"
        print(f"{line}, {time.perf_counter() - start:.2f} s")
