"""Hidden-layer activations, computed in place.

Each activation is a class of static methods, found by name in
:data:`ACTIVATIONS` (the estimators' ``activation`` options are its keys):

``name``
    The registry key.
``needs_input``
    True when the derivative must be computed from the pre-activation z:
    the workspace then keeps z in a buffer of its own. False when it is an
    exact function of the output a (identity, logistic, tanh, relu,
    leaky_relu): z is then overwritten by a and never kept, which costs
    nothing more than the activation itself.
``glorot_factor``
    The numerator of the Glorot-uniform bound √(factor/(fan_in + fan_out)):
    2 for the logistic function, 6 otherwise (scikit-learn's MLP).
``forward(z, out)``
    Writes a = f(z) into ``out`` and returns it. ``out`` may be ``z``
    itself (in place).
``backward(z, a, delta)``
    Multiplies the back-propagated ``delta`` in place by f'(z) and returns
    it. ``a`` is the output of ``forward``; ``z`` the pre-activation, or
    None when ``needs_input`` is False. Neither is modified.

Everything keeps the dtype of its arguments (float32 stays float32). The
output-only activations allocate a temporary or two per call (as before
for identity, logistic, tanh and relu); gelu and silu allocate two arrays
of the layer's size in backward, and one in an in-place forward.
"""

import math

import numpy as np
from scipy.special import expit, ndtr


class Activation:
    """The defaults: an output-only derivative and the Glorot factor 6."""

    name = None
    needs_input = False
    glorot_factor = 6.0


class Identity(Activation):
    name = "identity"

    @staticmethod
    def forward(z, out):
        if out is not z:
            np.copyto(out, z)
        return out

    @staticmethod
    def backward(z, a, delta):
        return delta


class Logistic(Activation):
    name = "logistic"
    glorot_factor = 2.0

    @staticmethod
    def forward(z, out):
        return expit(z, out=out)

    @staticmethod
    def backward(z, a, delta):
        # σ' = σ(1 − σ) = a(1 − a)
        delta *= a
        delta *= 1.0 - a
        return delta


class Tanh(Activation):
    name = "tanh"

    @staticmethod
    def forward(z, out):
        return np.tanh(z, out=out)

    @staticmethod
    def backward(z, a, delta):
        # tanh' = 1 − tanh² = 1 − a²
        delta *= 1.0 - a * a
        return delta


class Relu(Activation):
    name = "relu"

    @staticmethod
    def forward(z, out):
        return np.maximum(z, 0.0, out=out)

    @staticmethod
    def backward(z, a, delta):
        # a > 0 exactly where z > 0; multiplying by the 0/1 mask is ~20x
        # faster than boolean indexing
        return np.multiply(delta, a > 0.0, out=delta)


class LeakyRelu(Activation):
    """max(z, 0) + 0.01·min(z, 0): PyTorch's default negative slope."""

    name = "leaky_relu"
    negative_slope = 0.01

    @classmethod
    def forward(cls, z, out):
        # max(z, 0.01·z) is z above 0 and 0.01·z below; one temporary, and
        # much faster than a masked (where=) multiply of random signs
        return np.maximum(z, np.multiply(z, cls.negative_slope), out=out)

    @classmethod
    def backward(cls, z, a, delta):
        # a has z's sign, so the slope is read off the output: the factor
        # 0.01 + 0.99·[a > 0] is exactly 1 or 0.01 (0.01 at 0, as PyTorch)
        factor = np.multiply(a > 0.0, 1.0 - cls.negative_slope, dtype=delta.dtype)
        factor += cls.negative_slope
        delta *= factor
        return delta


class _InputGated(Activation):
    """z·g(z), z scaled by a gate of itself: non-monotone, so the backward
    pass needs the input. Subclasses give the gate g as ``gate(z, out=None)``."""

    needs_input = True

    @classmethod
    def forward(cls, z, out):
        if out is z:
            return np.multiply(z, cls.gate(z), out=out)
        cls.gate(z, out=out)
        out *= z
        return out


class Gelu(_InputGated):
    """The exact GELU z·Φ(z), Φ the standard normal CDF."""

    name = "gelu"
    gate = staticmethod(ndtr)

    @staticmethod
    def backward(z, a, delta):
        # f' = Φ(z) + z·φ(z), φ(z) = exp(−z²/2)/√(2π); for large |z| the
        # exponential underflows to 0 and f' is Φ's 0 or 1
        with np.errstate(over="ignore"):
            density = np.multiply(z, z)
        density *= -0.5
        np.exp(density, out=density)
        density *= z
        density *= 1.0 / math.sqrt(2.0 * math.pi)
        density += ndtr(z)
        delta *= density
        return delta


class Silu(_InputGated):
    """The SiLU (swish) z·σ(z), σ the logistic function."""

    name = "silu"
    gate = staticmethod(expit)

    @staticmethod
    def backward(z, a, delta):
        # f' = σ(z)·(1 + z·(1 − σ(z))), with 1 − σ(z) = σ(−z) computed
        # without cancellation for large z
        factor = np.negative(z)
        expit(factor, out=factor)
        factor *= z
        factor += 1.0
        factor *= expit(z)
        delta *= factor
        return delta


ACTIVATIONS = {
    cls.name: cls for cls in (Identity, Logistic, Tanh, Relu, LeakyRelu, Gelu, Silu)
}
