"""
==========================
Why standardise the inputs
==========================

The breast cancer features range from hundredths (smoothness) to thousands
(area). One step size has to suit every coordinate of the gradient, and with
features this uneven none does: the largest features dictate how small the
step must be, and the smallest ones then barely move. Standardising (mean 0,
variance 1, with :class:`~sklearn.preprocessing.StandardScaler` in a
pipeline) makes the problem well conditioned. See :ref:`standardising`.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sgdlearn import SGDLogisticClassifier

X_raw, y = load_breast_cancer(return_X_y=True)
X_std = StandardScaler().fit_transform(X_raw)

# %%
# Plain SGD and Adam, 50 epochs in batches of 32, on the raw and on the
# standardised features. For plain SGD on raw features, a step size that works
# for standardised data (0.01) makes the loss jump around at a high level,
# and one small enough for the largest features (1e-6) leaves the others
# untrained. Adam's per-coordinate steps cope better with uneven scales, but
# it too is faster and more accurate on standardised data.

runs = {
    "SGD, η = 0.01, raw": ("sgd", 0.01, X_raw),
    "SGD, η = 1e-6, raw": ("sgd", 1e-6, X_raw),
    "SGD, η = 0.01, standardised": ("sgd", 0.01, X_std),
    "Adam, η = 0.01, raw": ("adam", 0.01, X_raw),
    "Adam, η = 0.01, standardised": ("adam", 0.01, X_std),
}

fig, (ax_scale, ax_loss) = plt.subplots(
    1, 2, figsize=(12, 4.5), layout="constrained", width_ratios=[1, 2]
)
ax_scale.barh(np.arange(X_raw.shape[1]), X_raw.std(axis=0), color="C0")
ax_scale.set_xscale("log")
ax_scale.set_xlabel("standard deviation of the raw feature")
ax_scale.set_ylabel("feature")
ax_scale.set_title("Feature scales")

for (label, (solver, eta, X)), style in zip(runs.items(), ["-", "-", "-", "--", "--"]):
    clf = SGDLogisticClassifier(
        solver=solver,
        momentum=0.0,
        learning_rate_init=eta,
        batch_size=32,
        max_iter=50,
        tol=0.0,
        n_iter_no_change=50,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 50 epochs on purpose
        clf.fit(X, y)
    ax_loss.semilogy(
        np.arange(1, 51),
        clf.loss_curve_,
        style,
        label=f"{label}: accuracy {clf.score(X, y):.3f}",
    )
ax_loss.set_xlabel("epoch")
ax_loss.set_ylabel("loss per sample")
ax_loss.set_title("SGDLogisticClassifier: loss curves")
ax_loss.legend(fontsize=8)
plt.show()
