"""
===========================
Dropout against overfitting
===========================

A network much larger than its data, two hidden layers of 100 units for 60
noisy points of the two-moons problem, trained for 500 full-batch epochs with
:class:`~sgdlearn.MLPClassifier`, with and without dropout on the hidden
layers. A separate validation set (``X_val``, ``y_val``) records the
validation loss after every epoch.

Without dropout the network drives its training loss to almost zero by
drawing a boundary around individual noisy points, and its validation loss
climbs back up: it becomes confidently wrong, with probabilities close to 0
and 1 right next to points of the other class. Dropout (inverted dropout, a
fresh random mask for every batch) keeps each unit from relying on the others
and the boundary smooth. See :ref:`regularisation`.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import DecisionBoundaryDisplay

from sgdlearn import LossCurveDisplay, MLPClassifier

X, y = make_moons(n_samples=60, noise=0.35, random_state=0)
X_val, y_val = make_moons(n_samples=300, noise=0.35, random_state=1)

rates = [0.0, 0.3, 0.5]
models = {}
for rate in rates:
    clf = MLPClassifier(
        hidden_layer_sizes=(100, 100),
        dropout=rate,
        batch_size="full",
        learning_rate_init=0.005,
        max_iter=500,
        tol=0.0,
        n_iter_no_change=500,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter on purpose
        models[rate] = clf.fit(X, y, X_val=X_val, y_val=y_val)

# %%
# Top: the predicted probability of the second class, with the training points.
# Bottom: the training and validation loss per epoch (log scale); the dashed
# line marks the epoch of the best validation accuracy.

fig, axes = plt.subplots(2, 3, figsize=(13, 8), layout="constrained")
for rate, ax_top, ax_bottom in zip(rates, axes[0], axes[1]):
    clf = models[rate]
    DecisionBoundaryDisplay.from_estimator(
        clf,
        X,
        response_method="predict_proba",
        cmap="RdBu",
        alpha=0.6,
        ax=ax_top,
        grid_resolution=150,
    )
    ax_top.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu", edgecolor="w", s=30)
    ax_top.set_title(
        f"dropout={rate}: validation accuracy {clf.score(X_val, y_val):.2f},\n"
        f"validation loss {clf.validation_loss_curve_[-1]:.2f}",
        fontsize=10,
    )
    LossCurveDisplay.from_estimator(
        clf, ax=ax_bottom, name=f"dropout={rate}", yscale="log"
    )
    ax_bottom.set_ylim(1e-3, 5)
plt.show()

# %%
# With dropout the *training* loss stays higher: it is the loss of randomly
# thinned networks, not of the full network. The validation loss, computed
# with the full network and no dropout, is what improves. Early stopping
# (:ref:`sphx_glr_auto_examples_regularisation_plot_early_stopping.py`) is
# the other remedy: stop where the validation curve turns up.
