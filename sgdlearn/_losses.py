"""Losses as negative log-likelihoods, on raw scores.

Each loss works on the raw model output ``raw`` of shape (n_samples,
n_outputs) and a target ``y`` of the same shape (one-hot or 0/1 indicator
columns for the classifiers). ``value_grad`` returns the weighted sum
Σ_i s_i ℓ_i and writes c·s_i ∇_z ℓ_i into ``grad``, with c = ``grad_scale``
(the caller's 1/Σ_B s, folded in to save a pass over the batch).
``sample_weight=None`` means every s_i = 1 (the fast path).
Log-losses are computed from ``raw`` with ``logaddexp`` / ``logsumexp``,
never from clipped probabilities.
"""

import numpy as np
from scipy.special import expit, logsumexp, xlogy


def _weigh(per_sample, grad, sample_weight, loss_scale, grad_scale):
    """Return loss_scale·Σ s_i·per_sample_i; scale grad's rows by
    loss_scale·grad_scale·s_i."""
    scale = loss_scale * grad_scale
    if sample_weight is None:
        if scale != 1.0:
            grad *= scale
        return loss_scale * float(per_sample.sum())
    grad *= (scale * sample_weight)[:, None]
    return loss_scale * float(per_sample @ sample_weight)


class SquaredError:
    """Gaussian negative log-likelihood: ½(y − z)², averaged over outputs."""

    name = "squared_error"
    out_activation = "identity"

    def value_grad(self, raw, y, sample_weight, grad, grad_scale=1.0):
        np.subtract(raw, y, out=grad)
        loss_scale = 1.0 / raw.shape[1]
        if sample_weight is None:  # one pass: Σ (z − y)² is the residuals' norm
            total = 0.5 * loss_scale * float(np.vdot(grad, grad))
            grad *= loss_scale * grad_scale
            return total
        per_sample = 0.5 * np.einsum("ij,ij->i", grad, grad)
        return _weigh(per_sample, grad, sample_weight, loss_scale, grad_scale)

    def inverse_link(self, raw):
        return raw

    def link(self, mean):
        """Raw score whose prediction is ``mean`` (a starting intercept)."""
        return mean


class Poisson:
    """Poisson half deviance y·log(y/ŷ) − y + ŷ with ŷ = exp(z), averaged over outputs.

    It is the Poisson negative log-likelihood up to a constant in y: 0 at a
    perfect fit, gradient ŷ − y.
    """

    name = "poisson"
    out_activation = "exp"

    def value_grad(self, raw, y, sample_weight, grad, grad_scale=1.0):
        np.exp(raw, out=grad)
        deviance = grad - y * raw + xlogy(y, y) - y
        grad -= y
        per_sample = deviance.sum(axis=1)
        return _weigh(per_sample, grad, sample_weight, 1.0 / raw.shape[1], grad_scale)

    def inverse_link(self, raw):
        return np.exp(raw)

    def link(self, mean):
        return np.log(np.maximum(mean, 1e-12))


class BinaryLogLoss:
    """Bernoulli negative log-likelihood log(1 + e^z) − y·z, summed over columns.

    Used for binary, one-vs-rest and multilabel models: each column is its own
    binary problem.
    """

    name = "log_loss"
    out_activation = "logistic"

    def value_grad(self, raw, y, sample_weight, grad, grad_scale=1.0):
        loss = np.logaddexp(0.0, raw, dtype=raw.dtype)
        loss -= y * raw
        expit(raw, out=grad)
        grad -= y
        return _weigh(loss.sum(axis=1), grad, sample_weight, 1.0, grad_scale)

    def inverse_link(self, raw):
        return expit(raw)

    def link(self, mean):
        mean = np.clip(mean, 1e-12, 1 - 1e-12)
        return np.log(mean) - np.log1p(-mean)


class SoftmaxCrossEntropy:
    """Categorical negative log-likelihood logsumexp(z) − z_y of a one-hot y."""

    name = "log_loss"
    out_activation = "softmax"

    def value_grad(self, raw, y, sample_weight, grad, grad_scale=1.0):
        log_norm = logsumexp(raw, axis=1)
        per_sample = log_norm - np.einsum("ij,ij->i", raw, y)
        np.subtract(raw, log_norm[:, None], out=grad)
        np.exp(grad, out=grad)
        grad -= y
        return _weigh(per_sample, grad, sample_weight, 1.0, grad_scale)

    def inverse_link(self, raw):
        return np.exp(raw - logsumexp(raw, axis=1, keepdims=True))

    def link(self, mean):
        log_mean = np.log(np.maximum(mean, 1e-12))
        return log_mean - log_mean.mean()


# The loss of a fitted model, found from its ``out_activation_``.
LOSS_BY_OUTPUT = {
    cls.out_activation: cls
    for cls in (SquaredError, Poisson, BinaryLogLoss, SoftmaxCrossEntropy)
}
