"""The one objective every solver minimises.

    J(θ) = Σ_i s_i · ℓ(y_i, f_θ(x_i)) + alpha · P(W)

Of q mini-batches a batch B estimates the gradient of J/Σs as
(q/Σs)·Σ_B s_i ∇ℓ_i + (alpha/Σs)·∇P — (1/Σ_B s_i)·Σ_B s_i ∇ℓ_i + … when
the batches weigh the same — so learning rates do not depend on the data
set's size, and batches of unequal weight do not move the minimum. The L1
part of P is left to the proximal step (see ``_penalties``) except in
:meth:`Objective.value_grad` used by L-BFGS and gradient checks, which
includes its subgradient.
"""

import numpy as np

# A whole-data evaluation (L-BFGS) runs over row blocks of about this many
# entries in the widest layer (see Objective.full_batch_rows).
FULL_BATCH_BLOCK = 2**18


class Params:
    """The flat vector ``theta`` with its per-layer views.

    ``coef`` is the weight slice ``theta[:n_coef]`` that the penalty acts
    on; ``coefs`` and ``intercepts`` are the per-layer views.
    """

    def __init__(self, theta, layout):
        self.theta = theta
        self.coef = theta[: layout.n_coef]
        self.coefs = layout.coefs(theta)
        self.intercepts = layout.intercepts(theta)


class Objective:
    """J(θ) of one estimator on one training set.

    Parameters
    ----------
    network : _networks.Network
    loss : a loss from ``_losses``
    penalty : _penalties.ElasticNet
    weight_total : float
        Σs over the training set: the scale of the penalty per sample.
    fit_intercept : bool, default=True
        False keeps the output layer's intercept at its starting value (0).
    constant_outputs : slice or None, default=None
        Output columns that depend on no input: their incoming weights get
        no gradient and stay at their start (0), so only their intercepts
        are fitted (a constant σ of ``loss='gaussian_nll'``).
    """

    def __init__(
        self,
        network,
        loss,
        penalty,
        weight_total,
        fit_intercept=True,
        constant_outputs=None,
    ):
        self.network = network
        self.loss = loss
        self.penalty = penalty
        self.weight_total = float(weight_total)
        self.fit_intercept = fit_intercept
        self.constant_outputs = constant_outputs
        self._block_grads = None  # value_grad's buffer, made when first needed

    def batch_grad(
        self, params, grads, X, Y, sample_weight, ws, rng, grad_scale, with_l2=True
    ):
        """Write a batch's gradient estimate into ``grads``; return Σ_B s ℓ.

        The data term's gradient is ``grad_scale``·Σ_B s_i ∇ℓ_i; the L2 part
        of the penalty adds (alpha/Σs)·∇P unless ``with_l2`` is false (an
        optimizer that applies it as a proximal step). ``params`` and
        ``grads`` are :class:`Params` of θ and of the gradient buffer; ``ws``
        a workspace of the network large enough for the batch.
        """
        m = X.shape[0]
        raw = self.network.forward(params.coefs, params.intercepts, X, ws, rng)
        # a workspace that shares the output with its gradient: the loss
        # must see ``grad is raw`` to read each score before overwriting it
        dz = raw if ws.deltas[-1] is ws.acts[-1] else ws.deltas[-1][:m]
        batch_loss = self.loss.value_grad(raw, Y, sample_weight, dz, grad_scale)
        self.network.backward(params.coefs, grads.coefs, grads.intercepts, ws, m)
        if not self.fit_intercept:
            grads.intercepts[-1].fill(0.0)
        if self.constant_outputs is not None:
            # these outputs are constants: their incoming weights stay at 0
            grads.coefs[-1][:, self.constant_outputs] = 0.0
        if with_l2:
            self.penalty.add_smooth_grad(
                params.coef, grads.coef, 1.0 / self.weight_total
            )
        return batch_loss

    def penalty_per_sample(self, params):
        """alpha·P(W)/Σs."""
        return self.penalty.value(params.coef) / self.weight_total

    def predict_raw(self, params, X):
        """Raw outputs for X at θ, without dropout."""
        return self.network.predict_raw(params.coefs, params.intercepts, X)

    def mean_loss(self, raw, Y, sample_weight):
        """Σ s ℓ / Σ s of raw outputs against Y, without penalty.

        Overwrites ``raw`` (with the loss's gradient, unused).
        """
        total = self.loss.value_grad(raw, Y, sample_weight, raw)
        return total / (
            len(raw) if sample_weight is None else float(sample_weight.sum())
        )

    def full_batch_rows(self, n_samples):
        """Rows of the blocks a whole-data evaluation runs over.

        About :data:`FULL_BATCH_BLOCK` entries in the widest layer (at least
        1,024 rows), so that its buffers stay small whatever n_samples is.
        """
        widest = max(self.network.layout.layer_units[1:])
        return min(n_samples, max(1024, FULL_BATCH_BLOCK // widest))

    def value_grad(self, params, grads, X, Y, sample_weight, ws):
        """Full-batch J/Σs and its (sub)gradient written into ``grads``.

        Runs over row blocks as large as the workspace ``ws`` holds (all rows
        at once when it holds them) and adds up their losses and gradients,
        so a whole-data evaluation needs the buffers of one block only. The
        network must have no dropout. The L1 part enters as its
        subgradient: this is for L-BFGS (L2 only) and for gradient checks.
        """
        scale = 1.0 / self.weight_total
        n, rows = X.shape[0], ws.acts[-1].shape[0]
        if rows >= n:
            loss = self.batch_grad(params, grads, X, Y, sample_weight, ws, None, scale)
        else:
            if self._block_grads is None:
                self._block_grads = Params(
                    np.empty_like(grads.theta), self.network.layout
                )
            block = self._block_grads
            grads.theta.fill(0.0)
            loss = 0.0
            for start in range(0, n, rows):
                part = slice(start, start + rows)
                weight = None if sample_weight is None else sample_weight[part]
                loss += self.batch_grad(
                    params, block, X[part], Y[part], weight, ws, None, scale, False
                )
                grads.theta += block.theta
            self.penalty.add_smooth_grad(params.coef, grads.coef, scale)
        self.penalty.add_l1_subgradient(params.coef, grads.coef, scale)
        return loss / self.weight_total + self.penalty_per_sample(params)
