"""Lazy steps of a linear model on sparse data: touch only the batch's features.

A batch of sparse rows has entries in few of the n_features weight rows. A
plain step still moves every weight, through the L2 penalty and the
optimizer's state, but for a weight row whose data gradient is zero that
move is a fixed map of the row's own values, the same at every step of an
epoch when the learning rate is:

- SGD: (θ, v) ← A·(θ, v) with a 2 × 2 matrix A of η, λ, μ (θ ← (1 − ηλ)·θ
  without momentum), so k idle steps are A^k, read from a table, or, when
  A has real, well-separated eigenvalues, the k-th powers of those in its
  eigenbasis;
- Adagrad, whose L2 part is proximal (``_optimizers``): G is unchanged and
  θ ← θ / (1 + ηλ/(√G + ε)), so k idle steps divide by that factor to the
  k-th power.

The optimizer knows its map: ``optimizer.lazy_weights(coef, lr, lam,
n_steps)`` returns the object that applies it (its interface is in
``_optimizers``' docstring), or None when there is no closed form. Adam
and RMSprop decay their moment estimates at every step, which needs the
squared gradient history of each idle row: they return None and stay
dense, O(n_features) per batch.

So each weight row remembers the step it was last brought up to date; a
batch first catches up the rows it touches, computes its outputs, and
steps those rows alone; the end of the epoch catches up every row. Plain
SGD needs no such bookkeeping: it keeps θ = scale·V, and its idle steps
only multiply the scale; nor does SGD with momentum in A's eigenbasis,
whose two modes are kept that way. The
result is the dense steps' result up to rounding, at a cost per batch that
grows with the batch's non-zeros instead of with n_features. The catch-up
and the step run over the batch's features, each once (found without a
sort, :meth:`LazySparseSteps._distinct`), and the gradient is summed into
θ by scipy's compiled transposed product
(``_csr.CSRBatch.add_transposed``).

Used for first-order epochs of a linear model (no hidden layer) on sparse X
whose optimizer has a closed form, with no L1 part, no dropout, no
iterate averaging (the average moves every coordinate at every step), no
gradient clipping (the clip scales by the norm of the whole gradient,
idle coordinates' penalty included) and a rate constant within the epoch
(``"constant"``, ``"invscaling"``, ``"adaptive"``). A schedule evaluated
per step (``"cosine"``, any warmup) would make the idle map a product of
per-step maps; those epochs fall back to the dense steps of
``_training`` instead, as does everything else.
"""

import numpy as np
import scipy.sparse as sp


def lazy_steps(
    objective, optimizer, params, grads, ws, lr, n_steps, X, constant_rate, clipped
):
    """The :class:`LazySparseSteps` of an epoch on X, or None: dense steps.

    ``constant_rate`` says the rate ``lr`` holds for the whole epoch,
    ``clipped`` that the gradient's norm is clipped (module docstring).
    """
    network = objective.network
    if not (
        sp.issparse(X)
        and constant_rate
        and not clipped
        and network.layout.n_layers == 1
        and not network.dropout
        and not objective.penalty.has_l1
        and objective.constant_outputs is None
    ):
        return None
    lam = objective.penalty.l2 / objective.weight_total
    weights = optimizer.lazy_weights(params.coef, lr, lam, n_steps)
    if weights is None:
        return None
    return LazySparseSteps(objective, optimizer, params, grads, ws, lr, weights)


class LazySparseSteps:
    """The steps of one epoch of a linear model on sparse batches.

    Same interface as ``_training.DenseSteps``: ``step`` trains on one
    batch and returns its Σ s ℓ; ``finish`` brings every weight up to date
    and must run before θ is read (the loop calls it in a ``finally``).
    ``weights`` is the optimizer's closed form of the weights' steps
    (``optimizer.lazy_weights``); the intercepts take the optimizer's own
    step on their slice of θ.
    The batch's X comes as a ``_csr.CSRBatch`` (``csr_batch`` asks the
    reader for one), whose products give the raw outputs and add the
    gradient into θ. The catch-up works on flat positions in θ's head
    (feature j, output o at j·K + o): one-dimensional gathers and scatters
    are many times faster than row-wise ones.
    """

    csr_batch = True  # X as a ``_csr.CSRBatch`` (``_training.BatchReader.read``)

    def __init__(self, objective, optimizer, params, grads, ws, lr, weights):
        self.objective = objective
        self.optimizer = optimizer
        self.params = params
        self.ws = ws
        self.lr = lr
        self.n_coef = params.coef.size
        n_features, self.n_outputs = params.coefs[0].shape
        self.outputs = np.arange(self.n_outputs)
        self.weights = weights  # the optimizer's ``lazy_weights``
        self.grad_coef = grads.coef
        self.grad_coef.fill(0.0)  # kept zero between batches
        self.grad_intercept = grads.intercepts[0]
        self.up_to_date = np.zeros(n_features, dtype=np.intp)
        self._slot = np.empty(n_features, dtype=np.intp)  # for ``_distinct``
        self._positions = np.arange(0)
        self.scaled_delta = np.empty_like(ws.deltas[1])
        self.t = 0

    def _per_output(self, per_feature):
        """Repeat per-feature values for each output, in θ's flat order."""
        if self.n_outputs == 1:
            return per_feature
        return np.repeat(per_feature, self.n_outputs)

    def step(self, batch, rng, grad_scale):
        X, Y, sample_weight = batch  # X is a ``_csr.CSRBatch``
        m = X.n_rows
        weights = self.weights
        where = current = None
        if weights.tracks_idle_steps:
            features = self._distinct(X.features())
            if self.n_outputs == 1:
                where = features
            else:
                where = (features[:, None] * self.n_outputs + self.outputs).ravel()
            idle_steps = self._per_output(self.t - self.up_to_date[features])
            current = weights.catch_up(where, idle_steps)

        raw = weights.outputs_into(X, self.ws.acts[1][:m])
        raw += self.params.intercepts[0]
        delta = self.ws.deltas[1][:m]
        loss = self.objective.loss.value_grad(raw, Y, sample_weight, delta, grad_scale)

        self._batch, self._delta = X, delta
        weights.step(where, current, self._add_gradient, self.grad_coef)
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

    def _distinct(self, features):
        """The batch's features, each once (at its last entry), as intp:
        one scatter of the entries' positions into a slot per feature and
        one gather tell each entry whether it is its feature's last, with
        no sort. The catch-up and the step then gather and scatter each
        weight once, where a batch repeats common features many times."""
        n = features.size
        if self._positions.size < n:
            self._positions = np.arange(2 * n)
        positions = self._positions[:n]
        # fancy indexing with int32 converts the index at every use: once
        features = features.astype(np.intp)
        self._slot[features] = positions
        return features[self._slot[features] == positions]

    def _add_gradient(self, target, factor):
        """``target += factor · X_Bᵀ δ`` for the batch being stepped: the
        weights' summed data gradient, times ``factor``, into the flat
        ``target`` of θ's head's shape."""
        delta = self._delta
        if factor != 1.0:
            delta = np.multiply(delta, factor, out=self.scaled_delta[: delta.shape[0]])
        self._batch.add_transposed(delta, target)

    def finish(self):
        self.weights.finish(self._per_output(self.t - self.up_to_date))
        self.up_to_date.fill(0)
        self.t = 0
