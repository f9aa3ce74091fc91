"""
============================================
Monitoring a fit with scikit-learn callbacks
============================================

Every sgdlearn estimator reports each epoch to scikit-learn's callbacks
(:mod:`sklearn.callback`) as a sub-task of its fit. Here
:class:`sklearn.callback.ScoringMonitor` records scores after every epoch,
first for one network, then for every fit of a grid search, through a
pipeline. See :ref:`monitoring`.
"""

import warnings
from collections import defaultdict

import matplotlib.pyplot as plt
import numpy as np
from sklearn.callback import ScoringMonitor
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sgdlearn import MLPClassifier, SoftmaxClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# %%
# Scores per epoch
# ----------------
#
# The monitor evaluates its scorers on the training data passed to ``fit``,
# with the model as it was at the end of each epoch. Rows of its log whose
# ``task_name`` is ``"epoch"`` are the epochs; ``task_id`` numbers them from 0.

monitor = ScoringMonitor(scoring=["accuracy", "neg_log_loss"])
net = MLPClassifier(hidden_layer_sizes=(32,), max_iter=40, random_state=0)
net.set_callbacks(monitor)
model = make_pipeline(StandardScaler(), net)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # 40 epochs on purpose
    model.fit(X_train, y_train)

log = monitor.get_logs()
epochs = [row for row in log.data if row["task_name"] == "epoch"]
epoch_number = [row["task_id"] + 1 for row in epochs]
print(f"run of {log.estimator_name}: {len(epochs)} epochs logged")

fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
ax_acc.plot(epoch_number, [row["accuracy"] for row in epochs], "o-", markersize=3)
ax_acc.set_xlabel("epoch")
ax_acc.set_ylabel("training accuracy (ScoringMonitor)")
ax_acc.set_title(f"test accuracy after training: {model.score(X_test, y_test):.3f}")

ax_loss.plot(
    epoch_number,
    [-row["neg_log_loss"] for row in epochs],
    "o-",
    markersize=3,
    label="log-loss of the model at the end of the epoch (ScoringMonitor)",
)
ax_loss.plot(
    np.arange(1, net.n_iter_ + 1),
    net.loss_curve_,
    label="loss_curve_ (mean over the epoch's batches, + penalty)",
)
ax_loss.set_yscale("log")
ax_loss.set_xlabel("epoch")
ax_loss.set_ylabel("log-loss per sample")
ax_loss.legend(fontsize=8)
plt.show()

# %%
# ``loss_curve_`` averages the batch losses *during* each epoch, while the
# parameters move; the monitor scores the model at the *end* of the epoch, so
# its log-loss is a little lower.
#
# Through a grid search
# ---------------------
#
# The same monitor set on an estimator inside a pipeline inside
# :class:`~sklearn.model_selection.GridSearchCV` logs every fit of the search
# (each candidate on each fold, then the refit) as one run. The epochs of one
# fit share their ``parent_task_id_path``; the search evaluates the
# candidate-fold pairs in the order candidates × folds.

monitor = ScoringMonitor(scoring="accuracy")
softmax = SoftmaxClassifier(max_iter=25, random_state=0).set_callbacks(monitor)
alphas = [1e-4, 10.0, 300.0]
search = GridSearchCV(
    make_pipeline(StandardScaler(), softmax),
    {"softmaxclassifier__alpha": alphas},
    cv=3,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)

log = monitor.get_logs()
fits = defaultdict(list)
for row in log.data:
    if row["task_name"] == "epoch":
        fits[row["parent_task_id_path"]].append(row["accuracy"])

fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
refit_path = max(fits, key=lambda path: path[1])  # the refit comes after the CV
for path, scores in sorted(fits.items()):
    if path == refit_path:
        ax.plot(range(1, len(scores) + 1), scores, "k-", linewidth=2.5, label="refit")
        continue
    candidate = path[2] // 3  # task ids of the CV fits: candidate × 3 folds
    ax.plot(
        range(1, len(scores) + 1),
        scores,
        color=f"C{candidate}",
        label=f"alpha={alphas[candidate]:g}" if path[2] % 3 == 0 else None,
    )
ax.set_xlabel("epoch")
ax.set_ylabel("training accuracy")
ax.set_title(
    f"{log.estimator_name}: {len(fits)} fits; best alpha = "
    f"{search.best_params_['softmaxclassifier__alpha']:g}"
)
ax.legend()
plt.show()
