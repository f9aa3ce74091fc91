"""Lazy steps of a linear model on sparse data: touch only the batch's features.

A batch of sparse rows has entries in few of the n_features weight rows. A
plain step still moves every weight, through the L2 penalty and the
optimizer's state, but for a weight row whose data gradient is zero that
move is a fixed map of the row's own values, the same at every step of an
epoch (the learning rate only changes between epochs):

- SGD: (θ, v) ← A·(θ, v) with a 2 × 2 matrix A of η, λ, μ (θ ← (1 − ηλ)·θ
  without momentum), so k idle steps are A^k, read from a table;
- Adagrad, whose L2 part is proximal (``_optimizers``): G is unchanged and
  θ ← θ / (1 + ηλ/(√G + ε)), so k idle steps divide by that factor to the
  k-th power.

So each weight row remembers the step it was last brought up to date; a
batch first catches up the rows it touches, computes its outputs, and
steps those rows alone; the end of the epoch catches up every row. Plain
SGD needs no such bookkeeping: it keeps θ = scale·V, and its idle steps
only multiply the scale. The
result is the dense steps' result up to rounding, at a cost per batch that
grows with the batch's non-zeros instead of with n_features. The work runs
over the batch's stored entries, repeated features included: gathers and
scatters of the same row write the same value, and gradients are summed
with ``np.add.at``, so no sort or ``np.unique`` is needed.

Used for first-order epochs of a linear model (no hidden layer) on sparse X
with ``"sgd"`` or ``"adagrad"``, no L1 part and no dropout; everything else
takes the dense steps of ``_training``. Adam and RMSprop decay their moment
estimates at every step, which needs the squared gradient history of each
idle row: no closed form, so they stay dense, O(n_features) per batch.
"""

import numpy as np
import scipy.sparse as sp

from ._networks import matmul_into
from ._optimizers import SGD, Adagrad


def lazy_steps_apply(objective, optimizer, X):
    """Whether :class:`LazySparseSteps` can train on X with this optimizer."""
    network = objective.network
    return (
        sp.issparse(X)
        and network.layout.n_layers == 1
        and not network.dropout
        and not objective.penalty.has_l1
        and type(optimizer) in (SGD, Adagrad)
    )


class _PlainSGDWeights:
    """Plain SGD: θ ← (1 − ηλ)·θ − η·g, kept as θ = scale·V.

    The idle step only multiplies ``scale``; a data step adds −η·g/scale to
    V at the batch's positions (scikit-learn's SGD keeps its weights the
    same way). ``coef`` holds V during the epoch and θ again after
    ``finish``.
    """

    tracks_idle_steps = False  # so ``catch_up`` is never called

    def __init__(self, optimizer, coef, lr, lam, n_steps):
        self.coef = coef
        self.lr = lr
        self.decay = 1.0 - lr * lam
        self.scale = 1.0

    def step(self, where, current, contributions, grad_buffer):
        self.scale *= self.decay
        contributions *= -self.lr / self.scale
        np.add.at(self.coef, where, contributions)
        if self.scale < 1e-9:  # fold the scale in before V grows too large
            self.finish(None)

    def finish(self, idle_steps):
        self.coef *= self.scale
        self.scale = 1.0


class _MomentumSGDWeights:
    """SGD with (Nesterov) momentum on weights at flat positions of θ's head.

    The idle step is (θ, v) ← A·(θ, v), A = [[1 − ηλ, μ], [−ηλ, μ]] for heavy
    ball (v ← μv − η(g + λθ), θ ← θ + v) and [[1 − ηλ(1 + μ), μ²], [−ηλ, μ]]
    for Nesterov (θ ← θ + μv' − η(g + λθ)); a data step is one idle step plus
    (cθ, cv)·g with cv = −η and cθ = −η, or −η(1 + μ) for Nesterov.
    """

    tracks_idle_steps = True
    scale = 1.0

    def __init__(self, optimizer, coef, lr, lam, n_steps):
        self.coef = coef
        self.velocity = optimizer.velocity[: coef.size]
        mu, decay = optimizer.momentum, lr * lam
        if optimizer.nesterov:
            idle = np.array([[1.0 - decay * (1.0 + mu), mu * mu], [-decay, mu]])
            self.coef_step = -lr * (1.0 + mu)
        else:
            idle = np.array([[1.0 - decay, mu], [-decay, mu]])
            self.coef_step = -lr
        self.velocity_step = -lr
        self.idle = idle.tolist()
        powers = np.empty((n_steps + 1, 2, 2))
        powers[0] = np.eye(2)
        for k in range(n_steps):
            powers[k + 1] = idle @ powers[k]
        # the four entries of A^k, k = 0 … n_steps, each as an array in θ's dtype
        self.powers = [
            [np.ascontiguousarray(powers[:, i, j], dtype=coef.dtype) for j in (0, 1)]
            for i in (0, 1)
        ]

    def catch_up(self, where, idle_steps):
        """Apply ``idle_steps`` idle steps to the weights at ``where``;
        return their new values (θ, v)."""
        (a, b), (c, d) = self.powers
        theta_before, v = self.coef[where], self.velocity[where]
        theta = a[idle_steps] * theta_before
        theta += b[idle_steps] * v
        v *= d[idle_steps]
        v += c[idle_steps] * theta_before
        self.coef[where] = theta
        self.velocity[where] = v
        return theta, v

    def step(self, where, current, contributions, grad_buffer):
        """One data step of the weights at ``where`` (values ``current``)
        with the gradient entries ``contributions``, one per position."""
        theta, v = current
        (a, b), (c, d) = self.idle
        new_v = d * v
        new_v += c * theta
        theta *= a
        theta += b * v
        self.velocity[where] = new_v
        self.coef[where] = theta
        np.add.at(self.velocity, where, self.velocity_step * contributions)
        np.add.at(self.coef, where, self.coef_step * contributions)

    def finish(self, idle_steps):
        self.catch_up(slice(None), idle_steps)


class _AdagradWeights:
    """Adagrad with its proximal L2 on weights at flat positions of θ's head.

    The idle step divides θ by 1 + ηλ/(√G + ε); a data step accumulates the
    summed gradient of each position into G, steps, and divides likewise.
    """

    tracks_idle_steps = True
    scale = 1.0

    def __init__(self, optimizer, coef, lr, lam, n_steps):
        self.coef = coef
        self.acc = optimizer.acc[: coef.size]
        self.epsilon = optimizer.epsilon
        self.lr = lr
        self.shrink = lr * lam  # θ ← θ / (1 + shrink / (√G + ε))

    def catch_up(self, where, idle_steps):
        theta = self.coef[where]
        if self.shrink:
            denom = np.sqrt(self.acc[where])
            denom += self.epsilon
            factor = np.divide(self.shrink, denom, out=denom)
            factor += 1.0
            theta *= factor ** -idle_steps.astype(theta.dtype)
            self.coef[where] = theta
        return theta

    def step(self, where, theta, contributions, grad_buffer):
        np.add.at(grad_buffer, where, contributions)
        g = grad_buffer[where]
        grad_buffer[where] = 0.0
        acc = self.acc[where]
        acc += g * g
        self.acc[where] = acc
        denom = np.sqrt(acc, out=acc)
        denom += self.epsilon
        g /= denom
        g *= self.lr
        theta -= g
        if self.shrink:
            theta /= 1.0 + self.shrink / denom
        self.coef[where] = theta

    def finish(self, idle_steps):
        self.catch_up(slice(None), idle_steps)


class LazySparseSteps:
    """The steps of one epoch of a linear model on sparse batches.

    Same interface as ``_training.DenseSteps``: ``step`` trains on one
    batch and returns its Σ s ℓ; ``finish`` brings every weight up to date
    and must run before θ is read (the loop calls it in a ``finally``).
    Everything works on flat positions in θ's head (feature j, output o at
    j·K + o): one-dimensional gathers, scatters and ``np.add.at`` are many
    times faster than row-wise ones.
    """

    def __init__(self, objective, optimizer, params, grads, ws, lr, n_steps):
        self.objective = objective
        self.optimizer = optimizer
        self.params = params
        self.ws = ws
        self.lr = lr
        self.n_coef = params.coef.size
        n_features, self.n_outputs = params.coefs[0].shape
        self.outputs = np.arange(self.n_outputs)
        lam = objective.penalty.l2 / objective.weight_total
        if isinstance(optimizer, Adagrad):
            kind = _AdagradWeights
        elif optimizer.velocity is None:
            kind = _PlainSGDWeights
        else:
            kind = _MomentumSGDWeights
        self.weights = kind(optimizer, params.coef, lr, lam, n_steps)
        self.grad_coef = grads.coef
        self.grad_coef.fill(0.0)  # kept zero between batches
        self.grad_intercept = grads.intercepts[0]
        self.up_to_date = np.zeros(n_features, dtype=np.intp)
        self.t = 0

    def _per_output(self, per_feature):
        """Repeat per-feature values for each output, in θ's flat order."""
        if self.n_outputs == 1:
            return per_feature
        return np.repeat(per_feature, self.n_outputs)

    def step(self, batch, rng, grad_scale):
        X, Y, sample_weight = batch
        # fancy indexing with int32 converts the index at every use: convert once
        m, features = X.shape[0], X.indices.astype(np.intp)
        if self.n_outputs == 1:
            where = features
        else:
            where = (features[:, None] * self.n_outputs + self.outputs).ravel()
        weights = self.weights
        current = None
        if weights.tracks_idle_steps:
            idle_steps = self._per_output(self.t - self.up_to_date[features])
            current = weights.catch_up(where, idle_steps)

        raw = self.ws.acts[1][:m]
        if self.n_outputs == 1:  # scipy's matrix-vector product is the fastest
            raw[:, 0] = X @ self.params.coef
        else:
            matmul_into(X, self.params.coefs[0], raw)
        if weights.scale != 1.0:
            raw *= weights.scale
        raw += self.params.intercepts[0]
        delta = self.ws.deltas[1][:m]
        loss = self.objective.loss.value_grad(raw, Y, sample_weight, delta, grad_scale)

        row_of_entry = np.repeat(np.arange(m), np.diff(X.indptr))
        if self.n_outputs == 1:
            contributions = delta[:, 0][row_of_entry]
            contributions *= X.data
        else:
            contributions = (X.data[:, None] * delta[row_of_entry]).ravel()
        weights.step(where, current, contributions, self.grad_coef)
        self.t += 1
        if weights.tracks_idle_steps:
            self.up_to_date[features] = self.t

        np.add.reduce(delta, axis=0, out=self.grad_intercept)
        if not self.objective.fit_intercept:
            self.grad_intercept.fill(0.0)
        self.optimizer.step(
            self.params.intercepts[0],
            self.grad_intercept,
            self.lr,
            part=slice(self.n_coef, None),
        )
        return loss

    def finish(self):
        self.weights.finish(self._per_output(self.t - self.up_to_date))
        self.up_to_date.fill(0)
        self.t = 0
