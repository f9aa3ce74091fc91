"""A worker's shard of the training blocks, evaluated for L-BFGS on the worker.

:class:`ShardEvaluation` holds the prepared blocks one worker trains on
(its *shard*, see ``_cluster``) and the objective's data term Σ s ℓ
(penalty left out), and answers (Σ s ℓ, Σ s ∇ℓ) at θ. During an L-BFGS fit
it lives on the worker as a Dask actor: an evaluation is then one method
call that goes straight to the worker and back (through the scheduler's
proxy unless the client talks to workers directly), without the task's
trips through the scheduler's state machine, which take several times as
long as the evaluation of a block of a few MB. It also keeps the
workspaces between evaluations. :func:`shard_value_grad` is the same
evaluation as a task, used once an actor is lost.

Each block is read in sub-blocks of about :data:`CACHE_BYTES` of X, so that
the product with θ and the product of the residuals with X find the rows
still in cache, which is faster than two passes over a block too large
for the cache. A CSR block is read whole (slicing its rows would copy
them).
"""

import numpy as np
import scipy.sparse as sp

from ._objective import Params

# Bytes of X's rows one sub-block of a dense evaluation reads (a part of a
# core's L2 and L3 cache).
CACHE_BYTES = 2**21


def sub_block_rows(objective, X):
    """Rows of the sub-blocks :class:`ShardEvaluation` reads X in."""
    rows = objective.full_batch_rows(X.shape[0])
    if sp.issparse(X):
        return rows
    row_bytes = max(1, X.shape[1] * X.dtype.itemsize)
    return min(rows, max(256, CACHE_BYTES // row_bytes))


class ShardEvaluation:
    """(Σ s ℓ, Σ s ∇ℓ) of a worker's blocks at θ.

    Parameters
    ----------
    *blocks : Dataset or tuple
        The shard's blocks, summed in this order: prepared Datasets, or
        blocks that the ``encoder`` of the first call makes Datasets.
    """

    def __init__(self, *blocks):
        self.blocks = blocks
        self.objective = None
        self._encoded = False
        self._workspaces = {}

    def _workspace(self, X, dtype):
        rows = sub_block_rows(self.objective, X)
        key = (rows, np.dtype(dtype))
        if key not in self._workspaces:
            network = self.objective.network
            self._workspaces[key] = network.workspace(rows, dtype, share_output=True)
        return self._workspaces[key]

    def value_grad(self, theta, setup=None):
        """(Σ s ℓ, Σ s ∇ℓ) over the blocks, one after the other.

        ``setup``, given with a fit's first call, is (the data term, weight
        total 1 and no penalty; None or ``(encoder, *args)``, which makes
        each block a Dataset: ``encoder(block, *args)``, once).
        """
        if setup is not None:
            self.objective, encoder = setup
            self._workspaces = {}
            if encoder is not None and not self._encoded:
                function, *args = encoder
                self.blocks = [function(block, *args) for block in self.blocks]
                self._encoded = True
        objective = self.objective
        layout = objective.network.layout
        params = Params(theta, layout)
        grads = Params(np.empty_like(theta), layout)
        value, total = 0.0, np.zeros_like(theta)
        with np.errstate(all="ignore"):
            for data in self.blocks:
                ws = self._workspace(data.X, theta.dtype)
                value += objective.value_grad(
                    params, grads, data.X, data.Y, data.sample_weight, ws
                )
                total += grads.theta
        return value, total


def shard_value_grad(objective, theta, *blocks):
    """:meth:`ShardEvaluation.value_grad` of prepared blocks, as a task."""
    return ShardEvaluation(*blocks).value_grad(theta, (objective, None))
