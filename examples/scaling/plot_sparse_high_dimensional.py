"""
=====================================
Sparse, high-dimensional data as CSR
=====================================

Bag-of-words and hashed features give very wide, very sparse matrices:
here 30,000 documents over 2^18 = 262,144 hashed word columns, with about 35
distinct words each. Dense, the matrix would take 63 GB; as a
:class:`scipy.sparse.csr_matrix` it takes 13 MB, and sgdlearn trains on it
as it is: each batch is a slice of the CSR matrix, multiplied into the
weights without ever being densified.

What does grow with the number of columns is the model: the weight vector,
its gradient and the optimizer's state have one entry per column, and every
step updates all of them. The second part of the example measures that cost.
See :ref:`out-of-core`.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from sgdlearn import SGDLogisticClassifier

# %%
# A synthetic corpus
# ------------------
#
# Word ids follow a Zipf law, as words in text do: a few are very frequent,
# most are rare. Each document draws 50 words; repeated words are summed
# and the counts log-scaled. The labels come from a logistic model over all
# the words.

rng = np.random.default_rng(0)
n_docs, n_columns, words_per_doc = 40_000, 2**18, 50
word_ids = (rng.zipf(1.2, size=n_docs * words_per_doc) - 1) % n_columns
X = sp.csr_matrix(
    (
        np.ones(word_ids.size),
        word_ids.astype(np.int32),
        np.arange(0, word_ids.size + 1, words_per_doc),
    ),
    shape=(n_docs, n_columns),
)
X.sum_duplicates()
X.data = np.log1p(X.data)
z = X @ rng.standard_normal(n_columns)
z = 3 * (z - z.mean()) / z.std()
y = (rng.random(n_docs) < 1 / (1 + np.exp(-z))).astype(int)
X_train, y_train, X_val, y_val = X[:30_000], y[:30_000], X[30_000:], y[30_000:]

sparse_mb = (X_train.data.nbytes + X_train.indices.nbytes + X_train.indptr.nbytes) / 1e6
dense_gb = X_train.shape[0] * X_train.shape[1] * 8 / 1e9
print(
    f"X_train: {X_train.shape[0]:,} x {X_train.shape[1]:,}, "
    f"{X_train.nnz / X_train.shape[0]:.1f} non-zeros per row; "
    f"CSR {sparse_mb:.0f} MB, dense {dense_gb:.0f} GB"
)

# %%
# Three solvers on the sparse matrix
# ----------------------------------
#
# The validation set is passed as ``X_val``, ``y_val`` (also sparse), so each
# fit records the validation accuracy after every epoch. Plain SGD needs a
# larger step than the adaptive solvers; each gets a step size that suits
# it.

solvers = {
    "sgd": dict(solver="sgd", learning_rate_init=0.1, momentum=0.0),
    "adagrad": dict(solver="adagrad", learning_rate_init=0.1),
    "adam": dict(solver="adam", learning_rate_init=0.01),
}
fits, seconds = {}, {}
for name, params in solvers.items():
    clf = SGDLogisticClassifier(max_iter=3, tol=0.0, random_state=0, **params)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 3 epochs on purpose
        clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    seconds[name] = (time.perf_counter() - start) / clf.n_iter_
    fits[name] = clf
    print(
        f"{name:8s} {seconds[name]:.2f} s per epoch, validation accuracy "
        f"{clf.validation_scores_[-1]:.3f}"
    )

# %%
# The cost of a step grows with the number of columns
# ---------------------------------------------------
#
# A batch of 256 rows touches about 9,000 of the columns, but each step
# updates the whole weight vector: ``sgd`` does one pass over it (the step),
# Adam several (its two moving averages and its per-coordinate step size, all
# dense). So an epoch costs about (rows / batch size) x n_columns on top of
# the sparse products. Here the same 10,000 rows are hashed into more and
# more columns.

widths = [2**k for k in (14, 16, 18, 20)]
rows = X_train[:10_000].tocoo()
epoch_seconds = {"sgd": [], "adam": []}
for width in widths:
    X_wide = sp.csr_matrix(
        (rows.data, (rows.row, rows.col % width)), shape=(rows.shape[0], width)
    )
    for name in epoch_seconds:
        clf = SGDLogisticClassifier(
            max_iter=1, tol=0.0, random_state=0, **solvers[name]
        )
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X_wide, y_train[:10_000])
        epoch_seconds[name].append(time.perf_counter() - start)

# %%
# Left: all three solvers learn from the sparse matrix; the adaptive ones
# (per-coordinate steps) do well on rare words in fewer epochs. Right: the
# time of an epoch over the same rows grows with the width of the model,
# faster for Adam. Larger batches take fewer steps per epoch, and so pay
# this cost less often.

fig, (ax_val, ax_cost) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
for name, clf in fits.items():
    epochs = np.arange(1, clf.n_iter_ + 1)
    ax_val.plot(
        epochs,
        clf.validation_scores_,
        marker="o",
        label=f"{name} ({seconds[name]:.2f} s / epoch)",
    )
ax_val.set_xlabel("epoch")
ax_val.set_ylabel("validation accuracy")
ax_val.set_xticks([1, 2, 3])
ax_val.set_title(f"CSR {sparse_mb:.0f} MB (dense: {dense_gb:.0f} GB)")
ax_val.legend()

for name, times in epoch_seconds.items():
    ax_cost.plot(widths, times, marker="o", label=name)
ax_cost.set_xscale("log", base=2)
ax_cost.set_yscale("log")
ax_cost.set_xlabel("number of columns (the same 10,000 rows)")
ax_cost.set_ylabel("seconds per epoch")
ax_cost.set_title("the dense part of each step")
ax_cost.legend()
plt.show()
