"""The regulariser P(W) = (1 − l1_ratio)·½‖W‖²₂ + l1_ratio·‖W‖₁ on the weights.

``coef`` is always the weight slice ``theta[:n_coef]`` of the flat parameter
vector: intercepts are never penalised. The smooth L2 part enters the
gradient (except for Adagrad, which applies it as a proximal step too, see
``_optimizers``); the L1 part is applied after each optimizer step as a
proximal soft-threshold, which sets small weights exactly to zero.
"""

import numpy as np


class ElasticNet:
    """alpha·P(W) with P as in the module docstring.

    Parameters
    ----------
    alpha : float
        Overall strength.
    l1_ratio : float in [0, 1]
        Share of the L1 part: 0 is pure L2 (ridge), 1 pure L1 (lasso).
    """

    def __init__(self, alpha, l1_ratio):
        self.alpha = float(alpha)
        self.l1_ratio = float(l1_ratio)
        self.l2 = self.alpha * (1.0 - self.l1_ratio)
        self.l1 = self.alpha * self.l1_ratio

    @property
    def has_l1(self):
        return self.l1 > 0.0

    def value(self, coef):
        """alpha·P(W) for the weight vector ``coef``."""
        total = 0.0
        if self.l2:
            # einsum, not a BLAS dot: this runs every batch, and a threaded
            # dot over a wide model stalls when the cores are busy
            total += 0.5 * self.l2 * float(np.einsum("i,i->", coef, coef))
        if self.l1:
            total += self.l1 * float(np.abs(coef).sum())
        return total

    def add_smooth_grad(self, coef, grad, scale):
        """grad += scale · ∇(L2 part); the L1 part is left to ``prox``."""
        if self.l2:
            grad += (scale * self.l2) * coef

    def add_l1_subgradient(self, coef, grad, scale):
        """grad += scale · l1 · sign(W): the L1 part's subgradient.

        Training never uses it (it applies ``prox``); it completes the full
        gradient for gradient checks away from W = 0.
        """
        if self.l1:
            grad += (scale * self.l1) * np.sign(coef)

    def prox(self, coef, step, with_l2=False):
        """Apply the proximal map of step·(L1 part) to ``coef`` in place.

        That is a soft-threshold by ``step``·l1 (``step`` scalar or array: the
        optimizer's effective step size times the penalty's per-sample
        scale, per coordinate for the adaptive optimizers). ``with_l2``
        makes it the map of the whole penalty, the L2 part included:
        soft-threshold, then divide by 1 + ``step``·l2.
        """
        if self.l1:
            threshold = step * self.l1
            shrunk = np.abs(coef)
            shrunk -= threshold
            np.maximum(shrunk, 0.0, out=shrunk)
            np.copysign(shrunk, coef, out=coef)
        if with_l2 and self.l2:
            coef /= 1.0 + step * self.l2


def make_penalty(penalty, alpha, l1_ratio):
    """Map the estimator's ``penalty`` name to an :class:`ElasticNet`."""
    ratio = {None: 0.0, "l2": 0.0, "l1": 1.0, "elasticnet": l1_ratio}[penalty]
    return ElasticNet(0.0 if penalty is None else alpha, ratio)
