"""Element-wise nonlinearities σ and their derivatives.

Each activation computes its output in place and expresses its derivative
through that output a = σ(z), so the backward pass needs to keep only the
layer's output, never its input. The derivative may overwrite a, which the
backward pass no longer needs: temporaries the size of a layer's output, at
every batch, cost more than the arithmetic (``benchmarks/bench_activations.py``
times an epoch with tanh's derivative in place and with temporaries). For each,
σ'(z) written in terms of a:

=========== ============================== ==============================
name        σ(z)                           σ'(z) in terms of a = σ(z)
=========== ============================== ==============================
identity    z                              1
logistic    1 / (1 + e^(−z))               a (1 − a)
tanh        tanh z                         1 − a²
relu        max(z, 0)                      1 if a > 0 else 0
leaky_relu  z if z > 0 else 0.01 z         1 if a > 0 else 0.01
elu         z if z > 0 else e^z − 1        1 if a > 0 else a + 1
softplus    log(1 + e^z)                   1 − e^(−a)
=========== ============================== ==============================
"""

import numpy as np
from scipy.special import expit

__all__ = ["ACTIVATIONS", "Activation"]

LEAKY_RELU_SLOPE = 0.01


class Activation:
    """An activation function: ``forward`` in place, ``derivative`` from the output.

    Parameters
    ----------
    name : str
        The registry name, e.g. ``'tanh'``.
    forward : callable
        ``forward(z)`` overwrites ``z`` with σ(z) and returns it.
    derivative : callable
        ``derivative(a)`` returns σ'(z) given the output ``a = σ(z)``; it may
        overwrite ``a`` (pass a copy to keep it).
    initialization : {'glorot', 'he'}
        The weight initialisation suited to the activation: He et al. (2015)
        for the rectifier family, Glorot & Bengio (2010) for the rest.
    """

    def __init__(self, name, forward, derivative, initialization):
        self.name = name
        self.forward = forward
        self.derivative = derivative
        self.initialization = initialization

    def __repr__(self):
        return f"Activation({self.name!r})"

    def __reduce__(self):
        # A fitted network pickles its activations by name, not by function.
        return (_registered_activation, (self.name,))


def _registered_activation(name):
    return ACTIVATIONS[name]


def _identity(z):
    return z


def _logistic(z):
    return expit(z, out=z)


def _tanh(z):
    return np.tanh(z, out=z)


def _relu(z):
    # Against a row of zeros, not the scalar 0: NumPy vectorises a broadcast
    # row but not a broadcast scalar (benchmarks/bench_activations.py).
    return np.maximum(z, np.zeros(z.shape[-1:], z.dtype), out=z)


def _leaky_relu(z):
    negative = z < 0
    z[negative] *= LEAKY_RELU_SLOPE
    return z


def _elu(z):
    negative = z < 0
    z[negative] = np.expm1(z[negative])
    return z


def _softplus(z):
    # log(1 + e^z) = max(z, 0) + log1p(e^(−|z|)), which never overflows.
    softplus = np.log1p(np.exp(-np.abs(z)))
    np.maximum(z, 0, out=z)
    z += softplus
    return z


def _logistic_derivative(a):
    return a * (1 - a)


def _tanh_derivative(a):
    np.square(a, out=a)
    return np.subtract(1, a, out=a)


def _relu_derivative(a):
    # A boolean array: multiplying by it needs no float temporary.
    return a > 0


def _leaky_relu_derivative(a):
    return np.where(a > 0, 1.0, LEAKY_RELU_SLOPE).astype(a.dtype)


def _elu_derivative(a):
    return np.where(a > 0, 1.0, a + 1.0).astype(a.dtype, copy=False)


def _softplus_derivative(a):
    np.negative(a, out=a)
    np.expm1(a, out=a)
    return np.negative(a, out=a)


ACTIVATIONS = {
    activation.name: activation
    for activation in [
        Activation("identity", _identity, np.ones_like, "glorot"),
        Activation("logistic", _logistic, _logistic_derivative, "glorot"),
        Activation("tanh", _tanh, _tanh_derivative, "glorot"),
        Activation("relu", _relu, _relu_derivative, "he"),
        Activation("leaky_relu", _leaky_relu, _leaky_relu_derivative, "he"),
        Activation("elu", _elu, _elu_derivative, "he"),
        Activation("softplus", _softplus, _softplus_derivative, "he"),
    ]
}
