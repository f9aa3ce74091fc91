"""
============================================
Streaming a file larger than a memory budget
============================================

Out-of-core learning: the training data sits in a file on disk, four times
larger than the memory we allow ourselves, and
:class:`~sgdlearn.SGDLogisticClassifier` learns from it one chunk at a time
with ``partial_fit``. Each call runs one epoch over its chunk and keeps the
optimizer's state, so a pass over all chunks is one epoch over the file.

The chunks are read through :class:`numpy.memmap`: each chunk maps just its
own rows of the file, so only one chunk is ever resident. A scikit-learn
callback scores the model on held-out rows after every ``partial_fit`` call,
which gives the learning curve. See :ref:`out-of-core`.

The file is kept modest (200 MB) so that the example runs in a few seconds;
nothing in the loop depends on its size.
"""

import os
import tempfile
import time
import tracemalloc

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import expit
from sklearn.metrics import log_loss

from sgdlearn import SGDLogisticClassifier

MEMORY_BUDGET = 50e6  # bytes we allow the training loop to hold at once
N_ROWS, N_FEATURES = 250_000, 100  # 250,000 rows x 100 float64 = 200 MB
CHUNK_ROWS = 10_000  # 8 MB per chunk: well inside the budget
EPOCHS = 2
ROW_BYTES = N_FEATURES * np.dtype(np.float64).itemsize

# %%
# Writing the data set to disk
# ----------------------------
#
# The rows come from a logistic model with known weights, so the best
# possible log-loss and accuracy (those of the true probabilities) are
# known. The file is
# written chunk by chunk, so it is never in memory either: ``X.f64`` holds
# the features row after row (raw float64, C order) and ``y.i8`` the labels.

rng = np.random.default_rng(0)
true_w = rng.standard_normal(N_FEATURES) * 0.3
true_b = 0.3

workdir = tempfile.TemporaryDirectory()
x_path = os.path.join(workdir.name, "X.f64")
y_path = os.path.join(workdir.name, "y.i8")
with open(x_path, "wb") as x_file, open(y_path, "wb") as y_file:
    for _ in range(N_ROWS // CHUNK_ROWS):
        X = rng.standard_normal((CHUNK_ROWS, N_FEATURES))
        y = rng.random(CHUNK_ROWS) < expit(X @ true_w + true_b)
        X.tofile(x_file)
        y.astype(np.int8).tofile(y_file)

file_bytes = os.path.getsize(x_path) + os.path.getsize(y_path)
print(f"data on disk: {file_bytes / 1e6:.0f} MB, budget: {MEMORY_BUDGET / 1e6:.0f} MB")

# held-out rows from the same model, and the best any model can do on them:
# the log-loss and accuracy of the true probabilities
X_test = rng.standard_normal((10_000, N_FEATURES))
p_test = expit(X_test @ true_w + true_b)
y_test = (rng.random(10_000) < p_test).astype(np.int8)
best_log_loss = log_loss(y_test, p_test)
best_accuracy = np.mean((p_test > 0.5) == y_test)

# %%
# Reading one chunk at a time
# ---------------------------
#
# A generator yields the chunks. Each :class:`numpy.memmap` covers just its
# chunk's rows (``offset`` and ``shape``) and is dropped before the next one
# is opened, so the pages of the file that were read can be released.
# sgdlearn reads the memmap like any array: C-ordered float64 (or float32)
# is used in place, without a copy; other dtypes are converted chunk by
# chunk.


def chunks(x_path, y_path, chunk_rows):
    """Yield (X, y) chunks of the files, each through its own memmap."""
    n_rows = os.path.getsize(y_path)  # one byte per label
    for start in range(0, n_rows, chunk_rows):
        rows = min(chunk_rows, n_rows - start)
        X = np.memmap(
            x_path,
            dtype=np.float64,
            mode="r",
            offset=start * ROW_BYTES,
            shape=(rows, N_FEATURES),
        )
        y = np.memmap(y_path, dtype=np.int8, mode="r", offset=start, shape=(rows,))
        yield X, y
        del X, y


# %%
# Progress through a callback
# ---------------------------
#
# Each ``partial_fit`` call is one fit task for scikit-learn's callback API
# (:ref:`monitoring`), with its epoch as a sub-task. This small callback
# scores the model on the held-out rows when a call ends; the estimator is
# complete by then.


class HeldOutScore:
    """Record samples seen, held-out log-loss and accuracy after each call."""

    def __init__(self, X, y):
        self.X, self.y = X, y
        self.seen, self.log_loss, self.accuracy = [], [], []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, **kwargs):
        if context.parent is None:  # the whole call, not its epoch
            self.seen.append(estimator.t_)
            proba = estimator.predict_proba(self.X)
            self.log_loss.append(log_loss(self.y, proba))
            predicted = estimator.classes_[proba.argmax(axis=1)]
            self.accuracy.append(np.mean(predicted == self.y))


# %%
# The training loop
# -----------------
#
# ``classes=`` names every label of the stream on the first call. A step
# size of 0.001 (a tenth of the default) learns more slowly, but the steps
# keep less noise, so the model ends closer to the best one. The loop
# holds one mapped chunk, the model and the optimizer's state.
# ``tracemalloc`` measures the peak of what it allocated (NumPy reports its
# allocations to it; the mapped pages of the file are not allocations and
# are counted separately). sgdlearn reads each batch straight from the
# mapped chunk, so little is allocated beyond the model.

progress = HeldOutScore(X_test, y_test)
clf = SGDLogisticClassifier(learning_rate_init=0.001, random_state=0)
clf.set_callbacks(progress)

tracemalloc.start()
start = time.perf_counter()
for _epoch in range(EPOCHS):
    for X_chunk, y_chunk in chunks(x_path, y_path, CHUNK_ROWS):
        clf.partial_fit(X_chunk, y_chunk, classes=[0, 1])
seconds = time.perf_counter() - start
_, peak_bytes = tracemalloc.get_traced_memory()
tracemalloc.stop()
workdir.cleanup()

chunk_bytes = CHUNK_ROWS * (ROW_BYTES + 1)
print(
    f"{EPOCHS} epochs over {N_ROWS:,} rows in {seconds:.1f} s; peak memory "
    f"allocated while streaming: {peak_bytes / 1e6:.1f} MB, plus the chunk "
    f"mapped from the file: {chunk_bytes / 1e6:.1f} MB "
    f"(budget {MEMORY_BUDGET / 1e6:.0f} MB, data {file_bytes / 1e6:.0f} MB)"
)
print(
    f"held-out log-loss {progress.log_loss[-1]:.4f} (best possible "
    f"{best_log_loss:.4f}), accuracy {progress.accuracy[-1]:.4f} (best possible "
    f"{best_accuracy:.4f})"
)
assert peak_bytes + chunk_bytes < MEMORY_BUDGET

# %%
# The learning curve
# ------------------
#
# The held-out log-loss in excess of the true model's falls steadily over
# the stream, by more than a factor of 100 in two passes over the file; the
# accuracy gets within a fraction of a percent of the best possible. The
# dotted line is the end of the first pass.

fig, (ax_loss, ax_acc) = plt.subplots(
    2, 1, figsize=(8, 6), sharex=True, layout="constrained"
)
seen = np.array(progress.seen)
ax_loss.semilogy(seen, np.array(progress.log_loss) - best_log_loss, marker=".")
ax_loss.set_ylabel("held-out log-loss\nminus the best possible")
ax_loss.set_title(
    f"partial_fit over {file_bytes / 1e6:.0f} MB on disk in "
    f"{CHUNK_ROWS * ROW_BYTES / 1e6:.0f} MB chunks "
    f"(budget {MEMORY_BUDGET / 1e6:.0f} MB)"
)
ax_acc.plot(seen, progress.accuracy, marker=".", label="held-out accuracy")
ax_acc.axhline(best_accuracy, color="k", ls="--", lw=1, label="best possible")
ax_acc.set_ylabel("accuracy")
ax_acc.set_xlabel("samples seen")
ax_acc.legend(loc="lower right")
for ax in (ax_loss, ax_acc):
    for epoch in range(1, EPOCHS):
        ax.axvline(epoch * N_ROWS, color="grey", lw=0.8, ls=":")
plt.show()
