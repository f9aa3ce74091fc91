"""
==================================
Training on a local Dask cluster
==================================

The same logistic regression, fitted three ways: on a NumPy array in this
process, and on a Dask array whose blocks live on the two workers
of a :class:`~distributed.LocalCluster`, once with data-parallel L-BFGS and
once with local SGD and parameter averaging. L-BFGS on the cluster reaches
the optimum of the fit in one process; the averaged stochastic fit lands
close to it. See :ref:`cluster`.

The data is kept small (40,000 rows) so that the example runs in a few
seconds; on data this size one process is faster than a cluster.
"""

import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster, wait

from sgdlearn import SGDLogisticClassifier

# %%
# A cluster of two workers
# ------------------------
#
# Two workers with one thread each. Here they run in this process
# (``processes=False``), so that the example runs as it is, as a script or in
# a notebook: worker processes are started by re-importing the main script,
# which needs the code under ``if __name__ == "__main__":``. Everything below
# is the same with worker processes, or on a real cluster, with the client
# connected to its scheduler (``Client("tcp://scheduler:8786")``).

cluster = LocalCluster(
    n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
)
client = Client(cluster)

# %%
# Data made on the workers
# ------------------------
#
# Features drawn by ``da.random`` in four blocks of 10,000 rows, labels from a
# logistic model with known weights. ``persist`` computes the blocks on the
# workers and keeps them there; this session holds only references to them.

n_rows, n_features = 40_000, 10
true_w = np.linspace(-1.0, 1.0, n_features)
state = da.random.RandomState(0)
X = state.standard_normal((n_rows, n_features), chunks=(10_000, n_features))
p = 1.0 / (1.0 + da.exp(-(X @ true_w)))
y = (state.random_sample(n_rows, chunks=10_000) < p).astype(int)
X, y = client.persist([X, y])
wait([X, y])

# %%
# Three fits of the same objective
# --------------------------------
#
# ``alpha=1`` is ``LogisticRegression(C=1)``'s penalty. The in-memory fit
# gets the same rows as NumPy arrays (small enough to bring here).

in_memory = SGDLogisticClassifier(solver="lbfgs").fit(X.compute(), y.compute())
lbfgs = SGDLogisticClassifier(solver="lbfgs").fit(X, y)
local_sgd = SGDLogisticClassifier(solver="adagrad", random_state=0).fit(X, y)

for name, model in [("L-BFGS on the cluster", lbfgs), ("local SGD", local_sgd)]:
    gap = np.max(np.abs(model.coef_ - in_memory.coef_))
    print(f"{name}: largest coefficient difference {gap:.1e}")

# %%
# Predictions on a Dask array are lazy: a Dask array of the same blocks,
# computed when asked for.

proba = lbfgs.predict_proba(X)
print(type(proba).__name__, proba.chunks[0])
print("accuracy on the training blocks:", round(lbfgs.score(X, y), 4))

# %%
# The coefficients
# ----------------

fig, ax = plt.subplots(figsize=(5.5, 4))
ax.plot(true_w, in_memory.coef_.ravel(), "o", label="one process (NumPy)")
ax.plot(true_w, lbfgs.coef_.ravel(), "x", ms=9, label="L-BFGS on the cluster")
ax.plot(true_w, local_sgd.coef_.ravel(), "+", ms=9, label="local SGD, averaged")
ax.set_xlabel("true weight")
ax.set_ylabel("fitted weight")
ax.legend()
fig.tight_layout()
plt.show()

# %%
# Close the client and the cluster, which ends the worker processes.

client.close()
cluster.close()
