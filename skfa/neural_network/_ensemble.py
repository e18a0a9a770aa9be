"""MLPEnsemble: several small networks trained side by side, for their mean and spread.

The members' weights are stacked, ``(n_members, fan_in, fan_out)`` per layer,
in one flat buffer that one optimizer updates; each member sees its own
minibatches. The ensemble's prediction is the members' mean; their standard
deviation says where they disagree, which is where the data do not decide.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from .._compat import (
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    validate_data,
)
from ..utils._validation import is_validated
from ._activations import ACTIVATIONS
from ._layers import ActivationLayer, _reusable
from ._network import Network, NetworkViews
from ._optimizers import Adam

__all__ = ["MLPEnsemble", "StackedDense"]

# Up to this many rows, a prediction multiplies all members in one call.
FEW_ROWS = 16

# Rows predicted at a time: bounds the activations held in memory, which are
# n_members times those of one network.
PREDICT_CHUNK_ROWS = 8192


class StackedDense:
    """Affine maps of ``k`` members side by side: Z[j] = X[j] W[j] + b[j].

    Forward takes inputs of shape (k, n, fan_in), or (n, fan_in) shared by all
    members, and returns (k, n, fan_out). Backward, with G = ∂L/∂Z, member by
    member::

        ∂L/∂W[j] = X[j]ᵀ G[j],   ∂L/∂b[j] = Σ_rows G[j],   ∂L/∂X[j] = G[j] W[j]ᵀ

    Each member's products are separate BLAS calls: a stacked ``matmul`` is no
    faster, and its transposed operands are slower.

    Parameters
    ----------
    weights : ndarray of shape (k, fan_in, fan_out)
    bias : ndarray of shape (k, fan_out)
    """

    _parameter_names = ("weights", "bias")
    penalized = (True, False)
    buffers = ()

    def __init__(self, weights, bias):
        self.weights = weights
        self.bias = bias
        self.grads = [np.empty_like(weights), np.empty_like(bias)]
        self._work = {}

    @property
    def params(self):
        return [self.weights, self.bias]

    def bind(self, params, grads):
        """Take ``params`` and ``grads`` as this layer's arrays, in order."""
        self.weights, self.bias = params
        self.grads = list(grads)

    def _member_inputs(self, X):
        return X if X.ndim == 3 else [X] * len(self.weights)

    def forward(self, X, training=False, batch=None):
        k, _, fan_out = self.weights.shape
        shape = (k, X.shape[-2], fan_out)
        if not training and X.shape[-2] <= FEW_ROWS:
            # For a few rows the calls, not the arithmetic, take the time:
            # one stacked product instead of one per member.
            return np.matmul(X, self.weights) + self.bias[:, np.newaxis, :]
        if training:
            self._input = X
            Z = _reusable(self._work, "output", shape, self.weights.dtype)
        else:
            Z = np.empty(shape, dtype=self.weights.dtype)
        inputs = self._member_inputs(X)
        for j in range(k):
            np.matmul(inputs[j], self.weights[j], out=Z[j])
        Z += self.bias[:, np.newaxis, :]
        return Z

    def backward(self, grad_output, need_input_grad=True):
        grad_weights, grad_bias = self.grads
        inputs = self._member_inputs(self._input)
        for j in range(len(self.weights)):
            np.matmul(inputs[j].T, grad_output[j], out=grad_weights[j])
        np.sum(grad_output, axis=1, out=grad_bias)
        self._input = None
        if not need_input_grad:
            return None
        k, fan_in, _ = self.weights.shape
        shape = (k, grad_output.shape[1], fan_in)
        grad_input = _reusable(self._work, "grad_input", shape, self.weights.dtype)
        for j in range(k):
            np.matmul(grad_output[j], self.weights[j].T, out=grad_input[j])
        return grad_input

    def __getstate__(self):
        return {**self.__dict__, "grads": None, "_input": None, "_work": {}}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.grads = [np.empty_like(self.weights), np.empty_like(self.bias)]


def make_stacked_mlp(
    n_features,
    hidden_layer_sizes,
    n_outputs,
    n_members,
    activation,
    random_state,
    dtype,
):
    """``n_members`` MLPs with tanh-style hidden layers, stacked into one network.

    Weights and biases are drawn uniformly on [−r, r] with Glorot's
    r = √(6 / (fan_in + fan_out)), independently for every member.
    """
    layers = []
    widths = [n_features, *hidden_layer_sizes, n_outputs]
    for depth, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        weights = random_state.uniform(-bound, bound, (n_members, fan_in, fan_out))
        bias = random_state.uniform(-bound, bound, (n_members, fan_out))
        layers.append(StackedDense(weights.astype(dtype), bias.astype(dtype)))
        if depth < len(hidden_layer_sizes):
            layers.append(ActivationLayer(ACTIVATIONS[activation]))
    return Network(layers)


class MLPEnsemble(NetworkViews, RegressorMixin, BaseEstimator):
    """An ensemble of small MLPs trained side by side; predicts their mean.

    Every member is a network of the same shape with its own initial weights,
    trained on its own minibatches (rows drawn with replacement, in
    proportion to the sample weights) for the squared error. The members'
    weights are stacked, so that one Adam step updates them all. Inputs are
    standardized inside the estimator, so that one state is one small
    computation, and so are the targets.

    Training is counted in optimizer steps, not epochs: ``fit`` runs
    ``n_steps`` steps whatever the size of the data, so that a few thousand
    rows get as much training as a million, and a fit costs the same time per
    step. With ``warm_start=True`` each ``fit`` continues from the previous
    weights, as fitted-Q iteration wants (NFQ): the targets change a little
    from one iteration to the next, and the network follows them.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(64, 64)
        The width of each hidden layer of every member.
    n_members : int, default=5
        Number of networks.
    activation : str, default='tanh'
        The hidden layers' nonlinearity (see :class:`MLPApproximator`).
    n_steps : int, default=300
        Optimizer steps per ``fit``.
    batch_size : int, default=256
        Rows per minibatch of each member.
    learning_rate_init : float, default=0.001
        Adam's step size.
    alpha : float, default=0.0
        L2 penalty on the weights (not the biases), per member: the objective
        adds ``alpha * ||W||²`` to each member's mean squared error on
        standardized targets.
    warm_start : bool, default=False
        Continue from the fitted weights (and input standardization) instead
        of starting afresh. When the targets' mean and scale change, the last
        layer is rescaled so that the predictions stay as they were before
        training continues (as in Pop-Art, van Hasselt et al. 2016).
    dtype : {'float32', 'float64'}, default='float32'
        The precision of the weights and the arithmetic; predictions are
        returned in float64.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights and the minibatches.

    Attributes
    ----------
    coefs_ : list of ndarray of shape (n_members, fan_in, fan_out)
        Each layer's stacked weights, on standardized inputs and targets.
    intercepts_ : list of ndarray of shape (n_members, fan_out)
    x_mean_, x_scale_ : ndarray of shape (n_features_in_,)
        The input standardization, fixed by the first fit.
    y_mean_, y_scale_ : ndarray of shape (n_outputs_,)
        The target standardization of the last fit.
    n_steps_ : int
        Optimizer steps over all fits that ``warm_start`` continued.
    loss_curve_ : list of float
        Each fit's mean training loss over its steps (standardized targets).
    n_features_in_ : int
    feature_names_in_ : ndarray
    n_outputs_ : int

    See Also
    --------
    MLPApproximator : One network, with every training option.

    Examples
    --------
    >>> import numpy as np
    >>> from skfa.neural_network import MLPEnsemble
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, size=(400, 1))
    >>> y = np.sin(3 * X[:, 0])
    >>> model = MLPEnsemble(n_steps=1000, random_state=0).fit(X, y)
    >>> round(model.score(X, y), 2)
    1.0
    >>> mean, std = model.predict(np.array([[0.0], [5.0]]), return_std=True)
    >>> bool(std[1] > 10 * std[0])  # the members disagree far from the data
    True
    """

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like"],
        "n_members": [Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "dtype": [StrOptions({"float32", "float64"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(64, 64),
        *,
        n_members=5,
        activation="tanh",
        n_steps=300,
        batch_size=256,
        learning_rate_init=0.001,
        alpha=0.0,
        warm_start=False,
        dtype="float32",
        random_state=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_members = n_members
        self.activation = activation
        self.n_steps = n_steps
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.alpha = alpha
        self.warm_start = warm_start
        self.dtype = dtype
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the members for ``n_steps`` optimizer steps.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
            Rows are drawn in proportion to their weights.

        Returns
        -------
        self : MLPEnsemble
        """
        continuing = self.warm_start and hasattr(self, "_network")
        X, y = validate_data(
            self,
            X,
            y,
            reset=not continuing,
            dtype=np.float64,
            multi_output=True,
            y_numeric=True,
        )
        y = y.reshape(len(y), -1)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        if continuing:
            self._check_outputs(y)
        else:
            self._initialize(X, y)
        self._standardize_targets(y, sample_weight, rescale=continuing)
        inputs = ((X - self.x_mean_) / self.x_scale_).astype(self.dtype)
        targets = ((y - self.y_mean_) / self.y_scale_).astype(self.dtype)
        self.loss_curve_.append(self._train(inputs, targets, sample_weight))
        return self

    def predict(self, X, return_std=False):
        """The members' mean prediction, and optionally their standard deviation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        return_std : bool, default=False
            Also return the standard deviation of the members' predictions.

        Returns
        -------
        y_mean : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        y_std : ndarray of the same shape
            Only with ``return_std=True``.
        """
        if not is_validated(self, X, np.float64):
            check_is_fitted(self)
            X = validate_data(self, X, reset=False, dtype=np.float64)
        members = self._member_predictions(X)
        mean = np.add.reduce(members, axis=0) / self.n_members
        if self.n_outputs_ == 1:
            members, mean = members[..., 0], mean[:, 0]
        if not return_std:
            return mean
        return mean, members.std(axis=0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    # ------------------------------------------------------------ internals
    def _initialize(self, X, y):
        self._random_state = check_random_state(self.random_state)
        self.x_mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        self.x_scale_ = np.where(scale > 0, scale, 1.0)
        self.n_outputs_ = y.shape[1]
        self.y_mean_ = np.zeros(self.n_outputs_)
        self.y_scale_ = np.ones(self.n_outputs_)
        sizes = [int(size) for size in np.atleast_1d(self.hidden_layer_sizes)]
        self._network = make_stacked_mlp(
            X.shape[1],
            sizes,
            self.n_outputs_,
            self.n_members,
            self.activation,
            self._random_state,
            np.dtype(self.dtype),
        )
        self._optimizer = Adam(
            [self._network.flat_params], learning_rate=self.learning_rate_init
        )
        self.n_steps_ = 0
        self.loss_curve_ = []
        self._bind_fitted_parameters()

    def _bind_fitted_parameters(self):
        layers = [
            layer for layer in self._network.layers if isinstance(layer, StackedDense)
        ]
        self.coefs_ = [layer.weights for layer in layers]
        self.intercepts_ = [layer.bias for layer in layers]

    def _check_outputs(self, y):
        if y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} outputs, but {type(self).__name__} was fitted "
                f"with {self.n_outputs_}; set warm_start=False to start afresh."
            )

    def _standardize_targets(self, y, sample_weight, rescale):
        """Set the target scaling to this fit's targets, keeping the predictions.

        The last layer's weights and bias are rescaled so that the network's
        output, read back through the new scaling, is what it was.
        """
        mean = np.average(y, axis=0, weights=sample_weight)
        scale = np.sqrt(np.average((y - mean) ** 2, axis=0, weights=sample_weight))
        scale = np.where(scale > 0, scale, 1.0)
        if rescale:
            last = self._network.layers[-1]
            ratio = (self.y_scale_ / scale).astype(self.dtype)
            last.weights *= ratio
            last.bias[...] = (last.bias * self.y_scale_ + (self.y_mean_ - mean)) / scale
        self.y_mean_, self.y_scale_ = mean, scale

    def _train(self, inputs, targets, sample_weight):
        """``n_steps`` Adam steps, each member on its own minibatch; mean loss."""
        # The members' products are small: one BLAS thread computes them as
        # fast as several, which would only fight over the cores.
        with threadpool_limits(1, user_api="blas"):
            return self._steps(inputs, targets, sample_weight)

    def _steps(self, inputs, targets, sample_weight):
        draw = _row_sampler(len(inputs), sample_weight, self._random_state)
        shape = (self.n_members, min(self.batch_size, len(inputs)))
        network, total = self._network, 0.0
        for _ in range(self.n_steps):
            rows = draw(shape)
            residual = network.forward(inputs[rows], training=True) - targets[rows]
            total += float(np.mean(residual * residual))
            network.backward(residual * residual.dtype.type(2.0 / shape[1]))
            self._add_l2_gradient()
            self._optimizer.update_params([network.flat_params], [network.flat_grads])
        self.n_steps_ += self.n_steps
        return total / self.n_steps

    def _add_l2_gradient(self):
        if not self.alpha:
            return
        network = self._network
        flags = [flag for layer in network.layers for flag in layer.penalized]
        for param, grad, flag in zip(network.params, network.grads, flags):
            if flag:
                grad += (2.0 * self.alpha) * param

    def _member_predictions(self, X):
        """Every member's prediction, shape (n_members, n_samples, n_outputs)."""
        chunks = [
            self._network.forward(
                (
                    (X[start : start + PREDICT_CHUNK_ROWS] - self.x_mean_)
                    / self.x_scale_
                ).astype(self.dtype)
            )
            for start in range(0, len(X), PREDICT_CHUNK_ROWS)
        ]
        members = chunks[0] if len(chunks) == 1 else np.concatenate(chunks, axis=1)
        return members * self.y_scale_ + self.y_mean_


def _row_sampler(n_rows, sample_weight, random_state):
    """A function drawing row indices of a given shape, in proportion to weight."""
    if sample_weight is None:
        return lambda shape: random_state.randint(n_rows, size=shape)
    cumulative = np.cumsum(sample_weight)
    cumulative /= cumulative[-1]

    def draw(shape):
        rows = np.searchsorted(cumulative, random_state.random_sample(shape), "right")
        return np.minimum(rows, n_rows - 1)

    return draw
