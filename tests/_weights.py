"""Assigning a linear model's weights by hand, for the tests that continue from them."""

import numpy as np


def assign_random_weights(est, in_place, seed=0):
    """Give ``est`` random ``coef_``/``intercept_`` of its shapes, written into
    the fitted arrays (``in_place``) or as new arrays; return copies."""
    rng = np.random.default_rng(seed)
    coef = rng.normal(size=est.coef_.shape)
    intercept = rng.normal(size=est.intercept_.shape)
    if in_place:
        est.coef_[...] = coef
        est.intercept_[...] = intercept
    else:
        est.coef_, est.intercept_ = coef.copy(), intercept.copy()
    return coef, intercept
