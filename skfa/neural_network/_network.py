"""A network: a list of layers, run forward, then backward in reverse order.

Nothing here knows about scikit-learn; the estimators build a :class:`Network`
and drive it batch by batch.
"""

import numpy as np

from ._activations import ACTIVATIONS
from ._layers import (
    ActivationLayer,
    Batch,
    BatchNorm,
    Dense,
    Dropout,
    LayerNorm,
    Residual,
    bind_in_order,
    initialize_dense,
)

__all__ = ["Network", "NetworkViews", "make_mlp", "NORMALIZATIONS"]

NORMALIZATIONS = {"batch": BatchNorm, "layer": LayerNorm}


class Network:
    """Layers composed in sequence, f(x) = layer_L(…layer_1(x)).

    Parameters
    ----------
    layers : list
        Objects with the layer interface of :mod:`skfa.neural_network._layers`.

    Attributes
    ----------
    params, grads : list of ndarray
        Every layer's parameters and gradients, in layer order.
    flat_params, flat_grads : ndarray of shape (n_parameters,)
        The same numbers as one contiguous array each: every array of
        ``params`` (``grads``) is a view into ``flat_params`` (``flat_grads``).
        The optimizer updates the flat arrays, in one call per operation
        instead of one per layer and operation: for small networks the calls,
        not the arithmetic, would take the time.
    buffers : list of ndarray
        Learned state outside the gradient (batch norm's running statistics).

    Notes
    -----
    Every layer holds its parameters as its own attributes; the network hands
    it views into the flat buffers (:meth:`_bind_flat_buffers`). A pickle
    stores each layer's parameters once, and loading binds them again, so the
    layers and the buffers never drift apart, whatever the serializer.
    """

    def __init__(self, layers):
        self.layers = list(layers)
        self._bind_flat_buffers()

    def _bind_flat_buffers(self):
        """Copy the layers' parameters into one flat buffer and bind them to it.

        Each layer receives, in the order of its ``params``, views into
        ``flat_params`` holding its values and views into ``flat_grads`` for
        its backward pass to fill. The weights come first in both buffers, so
        that the L2 term is one pass over one slice of them.
        """
        params = [p for layer in self.layers for p in layer.params]
        flags = [flag for layer in self.layers for flag in layer.penalized]
        layout = sorted(range(len(params)), key=lambda index: not flags[index])
        dtype = params[0].dtype if params else np.float64
        self.flat_params = np.empty(sum(p.size for p in params), dtype=dtype)
        self.flat_grads = np.empty_like(self.flat_params)
        self.params = [None] * len(params)
        self.grads = [None] * len(params)
        offset = 0
        for index in layout:
            shape, size = params[index].shape, params[index].size
            self.params[index] = self.flat_params[offset : offset + size].reshape(shape)
            self.params[index][...] = params[index]
            self.grads[index] = self.flat_grads[offset : offset + size].reshape(shape)
            offset += size
        bind_in_order(self.layers, self.params, self.grads)
        n_penalized = sum(p.size for p, flag in zip(params, flags) if flag)
        self._penalized = self.flat_params[:n_penalized]
        self._penalized_grads = self.flat_grads[:n_penalized]
        self._scratch = None

    @property
    def buffers(self):
        """Learned state outside the gradient (batch norm's running statistics)."""
        return [b for layer in self.layers for b in layer.buffers]

    def snapshot(self):
        """A copy of everything learned: parameters and buffers."""
        return [a.copy() for a in [self.flat_params, *self.buffers]]

    def restore(self, snapshot):
        """Put back, in place, what :meth:`snapshot` saved."""
        for array, saved in zip([self.flat_params, *self.buffers], snapshot):
            array[...] = saved

    def clip_gradients(self, max_norm):
        """Scale all gradients together so that their joint norm is ≤ max_norm."""
        norm = float(np.sqrt(np.vdot(self.flat_grads, self.flat_grads)))
        if norm > max_norm:
            self.flat_grads *= max_norm / norm
        return norm

    def dense_layers(self):
        """The Dense layers in order, including those inside residual blocks."""
        return [layer for layer in _walk(self.layers) if isinstance(layer, Dense)]

    def forward(self, X, training=False, sample_weight=None):
        """The network's output for inputs X.

        ``training=True`` keeps what the backward pass needs, draws dropout
        masks and uses batch statistics; ``sample_weight`` weights those.
        """
        batch = Batch(X, sample_weight) if training else None
        for layer in self.layers:
            X = layer.forward(X, training=training, batch=batch)
        return X

    def backward(self, grad_output):
        """Fill every layer's ``grads`` from ∂L/∂output (after a training forward)."""
        for depth in range(len(self.layers) - 1, -1, -1):
            grad_output = self.layers[depth].backward(
                grad_output, need_input_grad=depth > 0
            )

    def _penalty_scratch(self):
        # Kept between batches: a fresh temporary the size of the weights,
        # every batch, would cost more than the arithmetic.
        if getattr(self, "_scratch", None) is None:
            self._scratch = np.empty_like(self._penalized)
        return self._scratch

    def __getstate__(self):
        # The layers hold the parameters; the flat buffers would store the same
        # numbers twice. Gradients are scratch, not state.
        state = {**self.__dict__, "_scratch": None}
        for name in ["flat_params", "flat_grads", "params", "grads"]:
            del state[name]
        del state["_penalized"], state["_penalized_grads"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._bind_flat_buffers()

    def l2_penalty(self):
        """Σ ‖W‖² over the penalized parameters (weights, not biases or norms)."""
        return float(np.vdot(self._penalized, self._penalized))

    def compute_gradients(self, X, y, loss, sample_weight=None, l2_scale=0.0):
        """Forward and backward on one batch; fills ``grads``, returns the objective.

        The objective is ``loss.value(f(X), y, sample_weight) + l2_scale Σ‖W‖²``.
        """
        y_pred = self.forward(X, training=True, sample_weight=sample_weight)
        objective, grad_output = loss.value_and_gradient(y_pred, y, sample_weight)
        self.backward(grad_output)
        if l2_scale:
            objective += l2_scale * self.l2_penalty()
            scratch = np.multiply(
                self._penalized, 2.0 * l2_scale, out=self._penalty_scratch()
            )
            self._penalized_grads += scratch
        return objective


class NetworkViews:
    """Pickling for an estimator whose ``coefs_`` and ``intercepts_`` are views.

    The estimator keeps its network in ``_network`` and exposes the network's
    own weight and bias arrays as ``coefs_`` and ``intercepts_`` (bound by its
    ``_bind_fitted_parameters``). A serializer that stores arrays one by one
    (joblib) would keep copies of them that the optimizer no longer updates:
    they are left out of the pickle and bound again on loading.
    """

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: it may be self.__dict__
        state.pop("coefs_", None)
        state.pop("intercepts_", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if hasattr(self, "_network"):
            self._bind_fitted_parameters()


def _walk(layers):
    """Every layer, including those inside residual blocks."""
    for layer in layers:
        yield layer
        if isinstance(layer, Residual):
            yield from _walk(layer.layers)


def make_mlp(
    n_features,
    hidden_layer_sizes,
    n_outputs,
    activations,
    random_state,
    dtype,
    *,
    normalization=None,
    dropout=0.0,
    skip_connections=False,
):
    """A multilayer perceptron.

    Each hidden layer is Dense → normalization (optional) → activation →
    dropout (optional); with ``skip_connections`` each is wrapped in a
    :class:`Residual` block, h ← h P + F(h). A Dense layer makes the output.

    Parameters
    ----------
    n_features, n_outputs : int
    hidden_layer_sizes : sequence of int
        Width of each hidden layer; empty for a linear model.
    activations : sequence of str
        One activation name per hidden layer.
    random_state : numpy.random.RandomState
        Draws the initial weights and, later, the dropout masks.
    dtype : numpy dtype
    normalization : {None, 'batch', 'layer'}
    dropout : float in [0, 1)
    skip_connections : bool
    """
    layers = []
    fan_in = n_features
    for width, name in zip(hidden_layer_sizes, activations):
        block = [initialize_dense(fan_in, width, random_state, dtype)]
        if normalization is not None:
            block.append(NORMALIZATIONS[normalization](width, dtype))
        block.append(ActivationLayer(ACTIVATIONS[name]))
        if dropout:
            # A stream of its own, so that the masks do not depend on how many
            # numbers the shuffling of the data has drawn (which depends on n).
            mask_stream = np.random.RandomState(random_state.randint(2**31 - 1))
            block.append(Dropout(dropout, mask_stream))
        if skip_connections:
            projection = None
            if fan_in != width:
                projection = initialize_dense(
                    fan_in, width, random_state, dtype
                ).weights
            layers.append(Residual(block, projection))
        else:
            layers.extend(block)
        fan_in = width
    if skip_connections and normalization is not None and hidden_layer_sizes:
        # A residual stream adds up its blocks' outputs, so its scale grows with
        # depth; normalizing it once before the output layer keeps the output
        # layer's first steps (and so the usable learning rate) independent of
        # depth, as in pre-norm transformers.
        layers.append(NORMALIZATIONS[normalization](fan_in, dtype))
    layers.append(initialize_dense(fan_in, n_outputs, random_state, dtype))
    return Network(layers)
