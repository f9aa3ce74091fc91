"""
=====================
Early stopping curves
=====================

A wide network (:class:`~sgdlearn.MLPClassifier` with 256 hidden units) on a
small, noisy classification problem (15% of the labels flipped) overfits
within a few epochs. Early stopping watches the score on validation data
after every epoch, stops when it has not improved for ``n_iter_no_change``
epochs, and **restores the parameters of the best epoch**.

Both models below are fitted on the same rows with the same seed and the same
validation set (``X_val``, ``y_val``), so they follow the same path: the one
with ``early_stopping=True`` simply stops, and goes back to its best epoch.
:class:`~sgdlearn.LossCurveDisplay` draws the curves and marks that epoch.
See :ref:`regularisation`.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

from sgdlearn import LossCurveDisplay, MLPClassifier

X, y = make_classification(
    n_samples=1500,
    n_features=20,
    n_informative=6,
    flip_y=0.15,
    class_sep=0.8,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
X_fit, X_val, y_fit, y_val = train_test_split(
    X_train, y_train, test_size=0.2, stratify=y_train, random_state=0
)

params = dict(
    hidden_layer_sizes=(256,),
    learning_rate_init=0.01,
    max_iter=150,
    n_iter_no_change=10,
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # 150 epochs on purpose
    full = MLPClassifier(tol=0.0, **params, early_stopping=False)
    full.fit(X_fit, y_fit, X_val=X_val, y_val=y_val)
stopped = MLPClassifier(**params, early_stopping=True)
stopped.fit(X_fit, y_fit, X_val=X_val, y_val=y_val)

# %%
# Without early stopping the training loss keeps falling while the validation
# loss turns up after a few epochs. With it, training stops
# ``n_iter_no_change`` epochs after the best validation accuracy, and the
# model returned is the one of the best epoch (the dashed line), not of the
# last one.

fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained", sharey=True)
for model, ax, title in [
    (full, axes[0], "early_stopping=False (validation recorded)"),
    (stopped, axes[1], "early_stopping=True"),
]:
    display = LossCurveDisplay.from_estimator(model, ax=ax, name=title)
    test_loss = log_loss(y_test, model.predict_proba(X_test))
    ax.text(
        0.02,
        0.04,
        f"{model.n_iter_} epochs, best epoch {display.best_epoch}\n"
        f"test accuracy {model.score(X_test, y_test):.3f}, "
        f"test log-loss {test_loss:.3f}",
        transform=ax.transAxes,
        fontsize=9,
        bbox=dict(facecolor="white", alpha=0.8),
    )
axes[1].set_xlim(axes[0].get_xlim())
plt.show()

# %%
# What was restored: the best validation accuracy and the epoch it was reached
# at. ``best_loss_`` is None when stopping on validation data, as in
# scikit-learn.

print(f"best validation accuracy {stopped.best_validation_score_:.3f}")
scores = [round(score, 3) for score in stopped.validation_scores_]
print(f"validation accuracy per epoch: {scores}")
print(f"best_loss_ = {stopped.best_loss_}")
