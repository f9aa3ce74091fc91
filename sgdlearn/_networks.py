"""The parameter layout and the network: forward and backward passes.

A model of any depth is one flat vector ``theta``: all weight matrices
first (layer by layer, each of shape (fan_in, fan_out), C order), then all
intercepts. :class:`Layout` knows where each piece sits and hands out
reshaped views; :class:`Network` runs the forward and backward passes on
lists of those views. A linear model is the network without hidden layers.
"""

import numpy as np
import scipy.sparse as sp

from ._activations import ACTIVATIONS


class Layout:
    """Positions of the weights and intercepts of each layer inside ``theta``.

    Parameters
    ----------
    layer_units : sequence of int
        Units per layer, input first: ``(n_features, *hidden, n_outputs)``.
    """

    def __init__(self, layer_units):
        self.layer_units = tuple(int(u) for u in layer_units)
        self.shapes = list(zip(self.layer_units[:-1], self.layer_units[1:]))
        coef_ends = np.cumsum([0] + [a * b for a, b in self.shapes])
        self.n_coef = int(coef_ends[-1])
        bias_ends = self.n_coef + np.cumsum([0] + [b for _, b in self.shapes])
        self.size = int(bias_ends[-1])
        self._coef_slices = [slice(a, b) for a, b in zip(coef_ends, coef_ends[1:])]
        self._bias_slices = [slice(a, b) for a, b in zip(bias_ends, bias_ends[1:])]

    @property
    def n_layers(self):
        """Number of weight layers (hidden layers + 1)."""
        return len(self.shapes)

    def coefs(self, theta):
        """Views of ``theta``: one (fan_in, fan_out) weight matrix per layer."""
        return [
            theta[s].reshape(shape) for s, shape in zip(self._coef_slices, self.shapes)
        ]

    def intercepts(self, theta):
        """Views of ``theta``: one (fan_out,) intercept vector per layer."""
        return [theta[s] for s in self._bias_slices]

    def pack(self, coefs, intercepts, dtype):
        """A new ``theta`` holding copies of the given per-layer arrays."""
        theta = np.empty(self.size, dtype=dtype)
        for view, value in zip(
            self.coefs(theta) + self.intercepts(theta), coefs + intercepts
        ):
            view[...] = value
        return theta

    def initial_theta(self, rng, dtype, scheme, activation):
        """Starting weights and intercepts: the scheme ``WEIGHT_INITS[scheme]``.

        ``activation`` (a name in ``ACTIVATIONS``, or its class) sets the
        Glorot factor; layers are drawn in order, each layer's weights
        before its intercepts.
        """
        init = WEIGHT_INITS[scheme]
        if isinstance(activation, str):
            activation = ACTIVATIONS[activation]
        theta = np.zeros(self.size, dtype=dtype)
        if init.draws:
            for coef, intercept in zip(self.coefs(theta), self.intercepts(theta)):
                init.init_layer(coef, intercept, rng, activation)
        return theta


class GlorotUniform:
    """scikit-learn's MLP scheme: weights and intercepts uniform in ±bound,
    bound = √(factor/(fan_in + fan_out)) with the activation's
    ``glorot_factor`` (2 for logistic, 6 otherwise)."""

    name = "glorot"
    draws = True

    @staticmethod
    def init_layer(coef, intercept, rng, activation):
        fan_in, fan_out = coef.shape
        bound = np.sqrt(activation.glorot_factor / (fan_in + fan_out))
        coef[...] = rng.uniform(-bound, bound, coef.shape)
        intercept[...] = rng.uniform(-bound, bound, fan_out)


class HeNormal:
    """Weights from N(0, 2/fan_in), intercepts 0: for deep relu networks."""

    name = "he"
    draws = True

    @staticmethod
    def init_layer(coef, intercept, rng, activation):
        coef[...] = rng.normal(0.0, np.sqrt(2.0 / coef.shape[0]), coef.shape)


class Zeros:
    """Everything 0: the start of a linear (convex) model, no draw."""

    name = "zeros"
    draws = False

    @staticmethod
    def init_layer(coef, intercept, rng, activation):
        pass


# Starting-weight schemes by name. ``draws``: random, so they break the
# symmetry of hidden units (the MLPs' ``weight_init`` options); "zeros" is
# for the linear models only.
WEIGHT_INITS = {cls.name: cls for cls in (GlorotUniform, HeNormal, Zeros)}
RANDOM_WEIGHT_INITS = tuple(name for name, cls in WEIGHT_INITS.items() if cls.draws)


def matmul_into(a, b, out):
    """``out[...] = a @ b`` for a dense or sparse ``a``, without densifying it."""
    if sp.issparse(a):
        out[...] = a @ b
    else:
        np.matmul(a, b, out=out)
    return out


def predict_raw(coefs, intercepts, activation, X):
    """Raw output z of the network with these weights for X (no dropout)."""
    out = X
    last = len(coefs) - 1
    for i, (coef, intercept) in enumerate(zip(coefs, intercepts)):
        out = out @ coef
        out += intercept
        if i < last:
            activation.forward(out, out)
    return out


class Workspace:
    """Buffers for one batch size, allocated once per fit and reused.

    ``pre[i]`` is layer i's pre-activation z, ``acts[i]`` its output before
    dropout, ``kept[i]`` after it (the same array without dropout),
    ``deltas[i]`` the gradient of the batch loss with respect to layer i's
    pre-activation; index 0 is the input. ``pre[i]`` is ``acts[i]`` itself
    (the activation overwrites z) unless ``keep_input`` is true, for an
    activation whose derivative needs z; the output layer's is always its
    raw output ``acts[-1]``. With ``share_output`` the output's gradient
    overwrites the raw output (the backward pass never reads it): one array
    of (batch_size, n_outputs) less, which counts for a whole-data workspace
    (L-BFGS).
    """

    def __init__(
        self,
        layer_units,
        batch_size,
        dtype,
        drop_input,
        drop_hidden,
        share_output,
        keep_input=False,
    ):
        shapes = [(batch_size, units) for units in layer_units]
        self.acts = [None] + [np.empty(s, dtype=dtype) for s in shapes[1:]]
        self.pre = list(self.acts)
        if keep_input:
            for i in range(1, len(layer_units) - 1):
                self.pre[i] = np.empty(shapes[i], dtype=dtype)
        self.deltas = [None] + [np.empty(s, dtype=dtype) for s in shapes[1:-1]]
        self.deltas.append(
            self.acts[-1] if share_output else np.empty(shapes[-1], dtype=dtype)
        )
        self.kept = list(self.acts)
        self.masks = [None] * len(layer_units)
        if drop_input:
            self.masks[0] = np.empty(shapes[0], dtype=dtype)
        if drop_hidden:
            for i in range(1, len(layer_units) - 1):
                self.masks[i] = np.empty(shapes[i], dtype=dtype)
                self.kept[i] = np.empty(shapes[i], dtype=dtype)
        self.x_batch = None


class Network:
    """A dense feed-forward network on per-layer weight lists.

    Parameters
    ----------
    layout : Layout
    activation : activation class from ``_activations`` (hidden layers only;
        the output is raw, the loss applies its inverse link).
    dropout : float in [0, 1)
        Inverted dropout rate during training.
    dropout_input : bool
        Drop input features (the linear models) instead of hidden units.
    """

    def __init__(self, layout, activation, dropout=0.0, dropout_input=False):
        self.layout = layout
        self.activation = activation
        self.dropout = float(dropout)
        self.dropout_input = bool(dropout_input)

    def workspace(self, batch_size, dtype, share_output=False):
        """Buffers for batches of up to ``batch_size`` rows (see :class:`Workspace`)."""
        dropping = self.dropout > 0
        return Workspace(
            self.layout.layer_units,
            batch_size,
            dtype,
            drop_input=dropping and self.dropout_input,
            drop_hidden=dropping and not self.dropout_input,
            share_output=share_output,
            keep_input=self.activation.needs_input,
        )

    def predict_raw(self, coefs, intercepts, X):
        """Raw output z for X with the given weights: no dropout, new arrays."""
        return predict_raw(coefs, intercepts, self.activation, X)

    def _drop(self, source, mask, target, rng):
        """target = source · mask / (1 − p), with a fresh Bernoulli mask."""
        keep = 1.0 - self.dropout
        rng.random(dtype=mask.dtype, out=mask)
        np.less(mask, keep, out=mask, casting="unsafe")
        mask *= 1.0 / keep
        return np.multiply(source, mask, out=target)

    def _drop_input(self, X, ws, rng):
        """Inverted dropout on the input features of a batch (linear models).

        A sparse batch keeps its pattern: only stored entries can be dropped,
        which is the same as dropping entries of the dense matrix.
        """
        if sp.issparse(X):
            X = X.copy()
            keep = 1.0 - self.dropout
            X.data *= (rng.random(X.nnz, dtype=X.dtype) < keep) / X.dtype.type(keep)
            return X
        mask = ws.masks[0][: X.shape[0]]
        return self._drop(X, mask, mask, rng)

    def forward(self, coefs, intercepts, X, ws, rng):
        """Training forward pass of a batch X into ``ws``; returns the raw output.

        With dropout, fresh masks are drawn from ``rng`` for this batch.
        """
        m = X.shape[0]
        if self.dropout and self.dropout_input:
            X = self._drop_input(X, ws, rng)
        ws.x_batch = X
        layer_in = X
        last = len(coefs) - 1
        keeps_z = self.activation.needs_input
        for i, (coef, intercept) in enumerate(zip(coefs, intercepts)):
            z = ws.pre[i + 1][:m]
            # only the input can be sparse
            if i == 0:
                matmul_into(layer_in, coef, z)
            else:
                np.matmul(layer_in, coef, out=z)
            z += intercept
            if i == last:
                return z
            # in place (acts is pre) unless the activation needs z kept
            a = self.activation.forward(z, ws.acts[i + 1][:m] if keeps_z else z)
            if self.dropout and not self.dropout_input:
                layer_in = self._drop(a, ws.masks[i + 1][:m], ws.kept[i + 1][:m], rng)
            else:
                layer_in = a
        raise AssertionError("unreachable")

    def backward(self, coefs, coef_grads, intercept_grads, ws, m):
        """Back-propagate ``ws.deltas[-1][:m]`` (∂loss/∂raw) into the gradients."""
        last = len(coefs) - 1
        needs_input = self.activation.needs_input
        for i in range(last, -1, -1):
            delta = ws.deltas[i + 1][:m]
            np.add.reduce(delta, axis=0, out=intercept_grads[i])
            if i == 0:
                matmul_into(ws.x_batch.T, delta, coef_grads[0])
                return
            np.matmul(ws.kept[i][:m].T, delta, out=coef_grads[i])
            prev = np.matmul(delta, coefs[i].T, out=ws.deltas[i][:m])
            if ws.masks[i] is not None:
                prev *= ws.masks[i][:m]
            z = ws.pre[i][:m] if needs_input else None
            self.activation.backward(z, ws.acts[i][:m], prev)
