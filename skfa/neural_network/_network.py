"""A network: a list of layers, run forward, then backward in reverse order.

Nothing here knows about scikit-learn; the estimators build a :class:`Network`
and drive it batch by batch.
"""

import numpy as np

from ._activations import ACTIVATIONS
from ._layers import ActivationLayer, initialize_dense

__all__ = ["Network", "make_mlp"]


class Network:
    """Layers composed in sequence, f(x) = layer_L(…layer_1(x)).

    Parameters
    ----------
    layers : list
        Objects with the layer interface of :mod:`skfa.neural_network._layers`.

    Attributes
    ----------
    params, grads : list of ndarray
        Every layer's parameters and gradients, in layer order; the optimizer's
        state is aligned with these lists.
    """

    def __init__(self, layers):
        self.layers = list(layers)
        self.params = [p for layer in self.layers for p in layer.params]
        self.grads = [g for layer in self.layers for g in layer.grads]
        self._penalized = [
            p
            for layer in self.layers
            for p, penalized in zip(layer.params, layer.penalized)
            if penalized
        ]
        self._penalized_grads = [
            g
            for layer in self.layers
            for g, penalized in zip(layer.grads, layer.penalized)
            if penalized
        ]

    def forward(self, X, training=False):
        """The network's output for inputs X."""
        for layer in self.layers:
            X = layer.forward(X, training=training)
        return X

    def backward(self, grad_output):
        """Fill every layer's ``grads`` from ∂L/∂output (after a training forward)."""
        for depth in range(len(self.layers) - 1, -1, -1):
            grad_output = self.layers[depth].backward(
                grad_output, need_input_grad=depth > 0
            )

    def l2_penalty(self):
        """Σ ‖W‖² over the penalized parameters (the weights, not the biases)."""
        return sum(float(np.vdot(p, p)) for p in self._penalized)

    def compute_gradients(self, X, y, loss, sample_weight=None, l2_scale=0.0):
        """Forward and backward on one batch; fills ``grads``, returns the objective.

        The objective is ``loss.value(f(X), y, sample_weight) + l2_scale Σ‖W‖²``.
        """
        y_pred = self.forward(X, training=True)
        objective = loss.value(y_pred, y, sample_weight)
        self.backward(loss.gradient(y_pred, y, sample_weight))
        if l2_scale:
            objective += l2_scale * self.l2_penalty()
            for param, grad in zip(self._penalized, self._penalized_grads):
                grad += (2.0 * l2_scale) * param
        return objective


def make_mlp(
    n_features, hidden_layer_sizes, n_outputs, activations, random_state, dtype
):
    """A multilayer perceptron: Dense + activation per hidden layer, a Dense output.

    Parameters
    ----------
    n_features, n_outputs : int
    hidden_layer_sizes : sequence of int
        Width of each hidden layer; empty for a linear model.
    activations : sequence of str
        One activation name per hidden layer.
    random_state : numpy.random.Generator or RandomState
    dtype : numpy dtype
    """
    layers = []
    fan_in = n_features
    for width, name in zip(hidden_layer_sizes, activations):
        activation = ACTIVATIONS[name]
        layers.append(
            initialize_dense(
                fan_in, width, activation.initialization, random_state, dtype
            )
        )
        layers.append(ActivationLayer(activation))
        fan_in = width
    layers.append(initialize_dense(fan_in, n_outputs, "glorot", random_state, dtype))
    return Network(layers)
