"""Layers: each a forward pass and its backward pass, the chain rule read in reverse.

A layer has

- ``params``: the arrays the optimizer updates, and ``grads``, arrays of the same
  shapes that ``backward`` fills with ∂L/∂param;
- ``penalized``: one flag per parameter, True where L2 regularization applies;
- ``forward(X, training)``: the layer's output. In training mode the layer keeps
  what its backward pass needs. ``forward`` may overwrite ``X`` only where the
  network guarantees nobody else holds it (see :class:`ActivationLayer`);
- ``backward(grad_output, need_input_grad=True)``: given ∂L/∂output, fill
  ``grads`` and return ∂L/∂input (or None when the caller does not need it).
  ``backward`` may overwrite ``grad_output``.
"""

import numpy as np

__all__ = ["Dense", "ActivationLayer", "initialize_dense"]


class Dense:
    """The affine map Z = X W + b.

    Forward: Z = X W + b. Backward, with G = ∂L/∂Z::

        ∂L/∂W = Xᵀ G,   ∂L/∂b = Σ_rows G,   ∂L/∂X = G Wᵀ

    Parameters
    ----------
    weights : ndarray of shape (fan_in, fan_out)
    bias : ndarray of shape (fan_out,)
    """

    def __init__(self, weights, bias):
        self.weights = weights
        self.bias = bias
        self.params = [weights, bias]
        self.grads = [np.empty_like(weights), np.empty_like(bias)]
        self.penalized = [True, False]

    def forward(self, X, training=False):
        if training:
            self._input = X
        Z = X @ self.weights
        Z += self.bias
        return Z

    def backward(self, grad_output, need_input_grad=True):
        grad_weights, grad_bias = self.grads
        np.matmul(self._input.T, grad_output, out=grad_weights)
        np.sum(grad_output, axis=0, out=grad_bias)
        self._input = None  # release the batch: the layer keeps no data once done
        if need_input_grad:
            return grad_output @ self.weights.T
        return None


class ActivationLayer:
    """An element-wise nonlinearity A = σ(Z).

    Backward: ∂L/∂Z = ∂L/∂A ⊙ σ'(Z), with σ'(Z) computed from the kept output A.

    It computes σ in place, so it must follow a layer whose output is a fresh
    array (a :class:`Dense` layer), never the network's input.

    Parameters
    ----------
    activation : Activation
        An entry of ``ACTIVATIONS``.
    """

    params = ()
    grads = ()
    penalized = ()

    def __init__(self, activation):
        self.activation = activation

    def forward(self, Z, training=False):
        A = self.activation.forward(Z)
        if training:
            self._output = A
        return A

    def backward(self, grad_output, need_input_grad=True):
        grad_output *= self.activation.derivative(self._output)
        self._output = None
        return grad_output


def initialize_dense(fan_in, fan_out, initialization, random_state, dtype):
    """A Dense layer with weights and bias drawn for the given activation.

    Both are uniform on [−r, r]: r = √(6 / fan_in) for ``'he'`` (He et al.,
    2015), r = √(6 / (fan_in + fan_out)) for ``'glorot'`` (Glorot & Bengio,
    2010). The bias is drawn too, not set to zero: with zero biases every
    rectifier in the first layer would bend at the origin of the inputs, and a
    one-dimensional input in [0, 1] would see no bend at all.
    """
    if initialization == "he":
        bound = np.sqrt(6.0 / fan_in)
    else:
        bound = np.sqrt(6.0 / (fan_in + fan_out))
    weights = random_state.uniform(-bound, bound, size=(fan_in, fan_out))
    bias = random_state.uniform(-bound, bound, size=fan_out)
    return Dense(weights.astype(dtype), bias.astype(dtype))
