"""Layers: each a forward pass and its backward pass, the chain rule read in reverse.

A layer has

- ``params``: the arrays the optimizer updates, read from the layer's named
  attributes (``weights``, ``bias``, ``gamma``, …), and ``grads``, arrays of
  the same shapes that ``backward`` fills with ∂L/∂param;
- ``penalized``: one flag per parameter, True where L2 regularization applies;
- ``buffers``: state that is learned but not by gradient (batch norm's running
  statistics), saved and restored with the parameters;
- ``bind(params, grads)``: take the given arrays, in the order of ``params``, as
  its parameters and gradients from now on. The network calls it once, with
  views into its two flat buffers, so that one optimizer step over a flat
  buffer updates every layer; the views are handed over explicitly, never
  found by identity;
- ``forward(X, training, batch)``: the layer's output. In training mode the
  layer keeps what its backward pass needs, and ``batch`` (a :class:`Batch`)
  tells it what it may need to know about the minibatch as a whole.
  ``forward`` may overwrite ``X`` only where the network guarantees nobody else
  holds it (see :class:`ActivationLayer`);
- ``backward(grad_output, need_input_grad=True)``: given ∂L/∂output, fill
  ``grads`` and return ∂L/∂input (or None when the caller does not need it).
  ``backward`` may overwrite ``grad_output``.
"""

from functools import cached_property

import numpy as np

__all__ = [
    "Batch",
    "Dense",
    "ActivationLayer",
    "Dropout",
    "BatchNorm",
    "LayerNorm",
    "Residual",
    "bind_in_order",
    "initialize_dense",
]


def _mix64(z):
    """SplitMix64's finaliser: a bijection on uint64 that scrambles every bit."""
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


class Batch:
    """What a training pass knows about its minibatch as a whole.

    Parameters
    ----------
    inputs : ndarray of shape (n_samples, n_features)
        The network's inputs for the batch.
    sample_weight : ndarray of shape (n_samples,) or None
        The batch's sample weights; batch statistics are weighted by them.
    """

    def __init__(self, inputs, sample_weight=None):
        self.inputs = inputs
        self.sample_weight = sample_weight

    @cached_property
    def row_keys(self):
        """A 64-bit hash of each input row: equal rows, equal keys."""
        rows = np.ascontiguousarray(self.inputs)
        bits = rows.view(np.uint64 if rows.itemsize == 8 else np.uint32)
        keys = np.zeros(rows.shape[0], dtype=np.uint64)
        for column in bits.T:
            keys = _mix64(keys ^ column.astype(np.uint64))
        return keys


def _reusable(cache, name, shape, dtype, fill=None):
    """An array of the given shape from ``cache``, allocated only when it changes.

    Training repeats the same matrix products batch after batch. Writing them
    into arrays kept from the previous batch spares NumPy a fresh allocation of
    the output, which for arrays of a few hundred kilobytes is a sizeable part
    of the cost of the product itself (benchmarks/bench_mlp_kernels.md
    measures it). A fresh array is filled with ``fill`` when given, and left
    uninitialised otherwise.
    """
    array = cache.get(name)
    if array is None or array.shape != shape or array.dtype != dtype:
        array = cache[name] = np.empty(shape, dtype=dtype)
        if fill is not None:
            array.fill(fill)
    return array


class _Layer:
    """The layer contract's defaults: no parameters, no buffers, nothing to bind."""

    _parameter_names = ()
    _buffer_names = ()
    penalized = ()
    grads = ()

    @property
    def params(self):
        return [getattr(self, name) for name in self._parameter_names]

    @property
    def buffers(self):
        return [getattr(self, name) for name in self._buffer_names]

    def bind(self, params, grads):
        """Take ``params`` and ``grads`` as this layer's arrays, in order."""
        for name, value in zip(self._parameter_names, params, strict=True):
            setattr(self, name, value)
        if self._parameter_names:
            self.grads = list(grads)


class _LayerWithParameters(_Layer):
    """Gradient allocation and pickling shared by the layers that have parameters.

    Gradients are scratch for the next backward pass, not learned state: a
    pickle leaves them out, and loading allocates them again (the network then
    binds new views of its flat buffer). ``_pickled_scratch`` names the other
    scratch attributes and what a pickle stores in their place.
    """

    def _allocate_gradients(self):
        # Uninitialised: backward fills them.
        self.grads = [np.empty_like(p) for p in self.params]

    def _pickled_scratch(self):
        return {}

    def __getstate__(self):
        state = {**self.__dict__, **self._pickled_scratch()}
        state.pop("grads", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._allocate_gradients()


class Dense(_LayerWithParameters):
    """The affine map Z = X W + b.

    Forward: Z = X W + b. Backward, with G = ∂L/∂Z::

        ∂L/∂W = Xᵀ G,   ∂L/∂b = Σ_rows G,   ∂L/∂X = G Wᵀ

    In training, Z and ∂L/∂X are written into arrays the layer reuses from
    batch to batch; each is consumed before the next batch overwrites it.

    Parameters
    ----------
    weights : ndarray of shape (fan_in, fan_out)
    bias : ndarray of shape (fan_out,)
    """

    _parameter_names = ("weights", "bias")
    penalized = (True, False)

    def __init__(self, weights, bias):
        self.weights = weights
        self.bias = bias
        self._allocate_gradients()
        self._work = {}

    def forward(self, X, training=False, batch=None):
        if not training:
            return X @ self.weights + self.bias
        self._input = X
        shape = (X.shape[0], self.weights.shape[1])
        Z = _reusable(self._work, "output", shape, self.weights.dtype)
        np.matmul(X, self.weights, out=Z)
        Z += self.bias
        return Z

    def backward(self, grad_output, need_input_grad=True):
        grad_weights, grad_bias = self.grads
        np.matmul(self._input.T, grad_output, out=grad_weights)
        # The column sums as a product with a vector of ones: BLAS's
        # matrix-vector product is faster than NumPy's reduction over rows
        # (benchmarks/bench_mlp_kernels.md).
        ones = _reusable(
            self._work, "ones", grad_output.shape[:1], grad_bias.dtype, fill=1
        )
        np.matmul(ones, grad_output, out=grad_bias)
        self._input = None  # release the batch: the layer keeps no data once done
        if not need_input_grad:
            return None
        shape = (grad_output.shape[0], self.weights.shape[0])
        grad_input = _reusable(self._work, "grad_input", shape, self.weights.dtype)
        if self.weights.shape[1] == 1:
            # One output (a regression head): G Wᵀ is an outer product, which a
            # broadcast multiplication computes faster than BLAS's general
            # product with an inner dimension of 1 (bench_mlp_kernels.md).
            return np.multiply(grad_output, self.weights.T, out=grad_input)
        return np.matmul(grad_output, self.weights.T, out=grad_input)

    def _pickled_scratch(self):
        # A fresh dict per pickle: layers must not share their work arrays.
        return {"_work": {}, "_input": None}


class ActivationLayer(_Layer):
    """An element-wise nonlinearity A = σ(Z).

    Backward: ∂L/∂Z = ∂L/∂A ⊙ σ'(Z), with σ'(Z) computed from the kept output A.

    It computes σ in place, so it must follow a layer whose output is a fresh
    array (a :class:`Dense` layer), never the network's input.

    Parameters
    ----------
    activation : Activation
        An entry of ``ACTIVATIONS``.
    """

    def __init__(self, activation):
        self.activation = activation

    def forward(self, Z, training=False, batch=None):
        A = self.activation.forward(Z)
        if training:
            self._output = A
        return A

    def backward(self, grad_output, need_input_grad=True):
        # The derivative may overwrite the output: the layer after this one,
        # the only other holder of it, has already run its backward pass.
        grad_output *= self.activation.derivative(self._output)
        self._output = None
        return grad_output


class Dropout(_Layer):
    """Inverted dropout: in training, zero each unit with probability ``rate``.

    Training: Y = X ⊙ M with M = (U ≥ rate) / (1 − rate), U uniform on [0, 1),
    so that E[Y] = X and prediction needs no rescaling. Prediction: Y = X.
    Backward: ∂L/∂X = ∂L/∂Y ⊙ M, with the mask of the forward pass.

    U is drawn per step from the layer's generator and made a function of each
    sample's input row: repeats of a sample in a batch share a mask. A sample
    of weight k is then exactly k repeats of it, dropout included.

    Parameters
    ----------
    rate : float in [0, 1)
    random_state : numpy.random.RandomState
        Draws each step's seed; the estimator passes its own generator.
    """

    def __init__(self, rate, random_state):
        self.rate = rate
        self.random_state = random_state

    def forward(self, X, training=False, batch=None):
        if not training:
            return X
        if batch is None:
            batch = Batch(X)
        seed = np.uint64(self.random_state.randint(np.iinfo(np.int64).max))
        units = _mix64(np.arange(X.shape[1], dtype=np.uint64) ^ seed)
        bits = _mix64(batch.row_keys[:, np.newaxis] ^ units)
        uniform = (bits >> np.uint64(11)) * 2.0**-53
        keep = uniform >= self.rate
        self._mask = keep.astype(X.dtype) / X.dtype.type(1.0 - self.rate)
        # Not in place: the activation before this layer keeps X for its backward.
        return X * self._mask

    def backward(self, grad_output, need_input_grad=True):
        grad_output *= self._mask
        self._mask = None
        return grad_output


class _Normalization(_LayerWithParameters):
    """Shared arithmetic of batch and layer normalization: Y = γ X̂ + β.

    With X̂ = (X − μ) / s, s = √(σ² + ε), and μ, σ² the (weighted) means over
    the normalized axis with weights p summing to one, the backward pass is::

        ∂L/∂γ = Σ_rows ∂L/∂Y ⊙ X̂,    ∂L/∂β = Σ_rows ∂L/∂Y
        G = ∂L/∂Y ⊙ γ
        ∂L/∂X = (G − p ⊙ (Σ G + X̂ ⊙ Σ G ⊙ X̂)) / s

    (the last two sums over the normalized axis; ∂s/∂x_j = p_j x̂_j because the
    weighted deviations from μ sum to zero).
    """

    _parameter_names = ("gamma", "beta")
    penalized = (False, False)

    def __init__(self, width, dtype, epsilon=1e-5):
        self.gamma = np.ones(width, dtype=dtype)
        self.beta = np.zeros(width, dtype=dtype)
        self.epsilon = epsilon
        self._allocate_gradients()

    def _normalize(self, X, mean, variance):
        scale = np.sqrt(variance + self.epsilon)
        return (X - mean) / scale, scale

    def _affine(self, X_hat, training, weights, scale):
        if training:
            self._X_hat, self._weights, self._scale = X_hat, weights, scale
        return X_hat * self.gamma + self.beta

    def backward(self, grad_output, need_input_grad=True):
        X_hat, weights, scale = self._X_hat, self._weights, self._scale
        grad_gamma, grad_beta = self.grads
        np.sum(grad_output * X_hat, axis=0, out=grad_gamma)
        np.sum(grad_output, axis=0, out=grad_beta)
        self._X_hat = self._weights = self._scale = None
        if not need_input_grad:
            return None
        G = grad_output * self.gamma
        sum_G = np.sum(G, axis=self.axis, keepdims=True)
        sum_G_X_hat = np.sum(G * X_hat, axis=self.axis, keepdims=True)
        return (G - weights * (sum_G + X_hat * sum_G_X_hat)) / scale


class BatchNorm(_Normalization):
    """Batch normalization (Ioffe & Szegedy, 2015): each unit scaled over the batch.

    Training mode normalizes with the mean and variance of the batch (weighted
    by the sample weights, so integer weights act as repeated rows) and updates
    running estimates: running ← (1 − momentum) running + momentum batch.
    Prediction mode normalizes with the running estimates, so a prediction
    depends on its own row only.

    Parameters
    ----------
    width : int
    dtype : numpy dtype
    momentum : float, default=0.1
    epsilon : float, default=1e-5
    """

    axis = 0
    _buffer_names = ("running_mean", "running_var")

    def __init__(self, width, dtype, momentum=0.1, epsilon=1e-5):
        super().__init__(width, dtype, epsilon)
        self.momentum = momentum
        self.running_mean = np.zeros(width, dtype=dtype)
        self.running_var = np.ones(width, dtype=dtype)

    def forward(self, X, training=False, batch=None):
        if not training:
            X_hat, _ = self._normalize(X, self.running_mean, self.running_var)
            return X_hat * self.gamma + self.beta
        sample_weight = None if batch is None else batch.sample_weight
        if sample_weight is None:
            weights = np.full((X.shape[0], 1), 1.0 / X.shape[0], dtype=X.dtype)
        else:
            weights = (sample_weight / sample_weight.sum())[:, np.newaxis]
        mean = np.sum(weights * X, axis=0)
        variance = np.sum(weights * (X - mean) ** 2, axis=0)
        self.running_mean *= 1 - self.momentum
        self.running_mean += self.momentum * mean
        self.running_var *= 1 - self.momentum
        self.running_var += self.momentum * variance
        X_hat, scale = self._normalize(X, mean, variance)
        return self._affine(X_hat, training, weights, scale)


class LayerNorm(_Normalization):
    """Layer normalization (Ba, Kiros & Hinton, 2016): each sample over its units.

    The same in training and prediction: every row is normalized by its own
    mean and variance across the layer's units.

    Parameters
    ----------
    width : int
    dtype : numpy dtype
    epsilon : float, default=1e-5
    """

    axis = 1

    def forward(self, X, training=False, batch=None):
        mean = X.mean(axis=1, keepdims=True)
        variance = X.var(axis=1, keepdims=True)
        X_hat, scale = self._normalize(X, mean, variance)
        weights = X.dtype.type(1.0 / X.shape[1])
        return self._affine(X_hat, training, weights, scale)


class Residual(_LayerWithParameters):
    """A residual block (He et al., 2016): h ← h P + F(h), P = I when widths match.

    F is a list of layers (Dense, normalization, activation, dropout). Where
    F changes the width, a learned projection P (no bias) carries h across.
    Backward: ∂L/∂h = F's backward of G, plus G Pᵀ (or G itself when P = I),
    with G = ∂L/∂output; ∂L/∂P = hᵀ G.

    Parameters
    ----------
    layers : list
        The layers of F.
    projection : ndarray of shape (fan_in, fan_out) or None
    """

    def __init__(self, layers, projection=None):
        self.layers = list(layers)
        self.projection = projection
        self._allocate_gradients()

    @property
    def params(self):
        own = [] if self.projection is None else [self.projection]
        return [p for layer in self.layers for p in layer.params] + own

    @property
    def grads(self):
        own = [] if self.projection is None else [self._projection_grad]
        return [g for layer in self.layers for g in layer.grads] + own

    @property
    def penalized(self):
        own = [] if self.projection is None else [True]
        return [flag for layer in self.layers for flag in layer.penalized] + own

    @property
    def buffers(self):
        return [b for layer in self.layers for b in layer.buffers]

    def bind(self, params, grads):
        """Hand each inner layer its share of the arrays; the last are P's."""
        n_inner = bind_in_order(self.layers, params, grads)
        if self.projection is not None:
            self.projection = params[n_inner]
            self._projection_grad = grads[n_inner]

    def _allocate_gradients(self):
        # The inner layers allocate their own.
        self._projection_grad = (
            None if self.projection is None else np.empty_like(self.projection)
        )

    def _pickled_scratch(self):
        return {"_input": None, "_projection_grad": None}

    def forward(self, X, training=False, batch=None):
        if training:
            self._input = X
        out = X
        for layer in self.layers:
            out = layer.forward(out, training=training, batch=batch)
        # A new array, not ``out +=``: ``out`` is held by F's last layer for
        # its own backward pass.
        return out + (X if self.projection is None else X @ self.projection)

    def backward(self, grad_output, need_input_grad=True):
        if self.projection is None:
            skip_grad = grad_output.copy() if need_input_grad else None
        else:
            np.matmul(self._input.T, grad_output, out=self._projection_grad)
            skip_grad = grad_output @ self.projection.T if need_input_grad else None
        self._input = None
        # The inner layers may overwrite the gradient they are given: they get
        # the original only after the skip path has taken what it needs.
        grad = grad_output
        for depth in range(len(self.layers) - 1, -1, -1):
            grad = self.layers[depth].backward(
                grad, need_input_grad=need_input_grad or depth > 0
            )
        if not need_input_grad:
            return None
        grad += skip_grad
        return grad


def bind_in_order(layers, params, grads):
    """Hand each of ``layers`` its share of ``params`` and ``grads``, in order.

    Returns how many arrays the layers took.
    """
    start = 0
    for layer in layers:
        stop = start + len(layer.params)
        layer.bind(params[start:stop], grads[start:stop])
        start = stop
    return start


def initialize_dense(fan_in, fan_out, random_state, dtype):
    """A Dense layer with weights and bias drawn uniformly on [−r, r].

    r = √(6 / (fan_in + fan_out)), Glorot & Bengio's (2010) bound, which
    scikit-learn's MLPRegressor uses for every activation but the logistic. It
    serves the rectifiers too: He et al.'s (2015) larger √(6 / fan_in), made
    for deep rectifier networks without normalization, fitted worse at the
    depths an MLP regressor has (benchmarks/bench_mlp_parity.md). The bias is
    drawn too, not set to zero: with zero biases every rectifier in the first
    layer would bend at the origin of the inputs, and a one-dimensional input
    in [0, 1] would see no bend at all.
    """
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    weights = random_state.uniform(-bound, bound, size=(fan_in, fan_out))
    bias = random_state.uniform(-bound, bound, size=fan_out)
    return Dense(weights.astype(dtype), bias.astype(dtype))
