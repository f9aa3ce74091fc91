"""
===============================
Softmax decision regions in 2-D
===============================

:class:`~sgdlearn.SoftmaxClassifier` computes one linear score per class,
:math:`z_c = x \\cdot w_c + b_c`, and turns them into probabilities with the
softmax, :math:`p_c = e^{z_c} / \\sum_j e^{z_j}`. It predicts the class with
the largest score, so the boundary between two classes is the line
:math:`z_c = z_{c'}`, and each class's region is a convex polygon. The
probability of the predicted class (the shading) is lowest near the
boundaries and where three regions meet.

A network (:class:`~sgdlearn.MLPClassifier`) keeps the softmax output and
cross-entropy loss but computes its scores with hidden layers, so its regions
can bend (a little here, where straight lines already separate the classes
well). See :ref:`objective`.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_iris, make_blobs
from sklearn.preprocessing import StandardScaler

from sgdlearn import MLPClassifier, SoftmaxClassifier

X_blobs, y_blobs = make_blobs(n_samples=400, centers=4, cluster_std=1.6, random_state=3)
X_blobs = StandardScaler().fit_transform(X_blobs)

iris = load_iris()
X_iris = StandardScaler().fit_transform(iris.data[:, 2:])  # petal length, width
y_iris = iris.target

# %%
# The models: the softmax regression by L-BFGS (the optimum of its objective),
# and a small network for comparison.

problems = [
    ("four blobs", X_blobs, y_blobs),
    ("iris, petal length and width", X_iris, y_iris),
]
models = {
    "SoftmaxClassifier": lambda: SoftmaxClassifier(solver="lbfgs", alpha=1.0),
    "MLPClassifier (16, 16)": lambda: MLPClassifier(
        hidden_layer_sizes=(16, 16),
        solver="lbfgs",
        alpha=1.0,
        tol=1e-3,
        max_iter=1000,
        random_state=0,
    ),
}


def plot_regions(clf, X, y, ax):
    """Predicted regions, shaded by the probability of the predicted class."""
    grid_x, grid_y = np.meshgrid(
        np.linspace(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, 250),
        np.linspace(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5, 250),
    )
    grid = np.c_[grid_x.ravel(), grid_y.ravel()]
    proba = clf.predict_proba(grid)
    colors = plt.cm.tab10(clf.predict(grid)).reshape(*grid_x.shape, 4)
    colors[..., 3] = 0.15 + 0.6 * (proba.max(axis=1).reshape(grid_x.shape) - 0.25)
    ax.imshow(
        colors,
        origin="lower",
        extent=(grid_x.min(), grid_x.max(), grid_y.min(), grid_y.max()),
        aspect="auto",
    )
    ax.scatter(X[:, 0], X[:, 1], c=plt.cm.tab10(y), edgecolor="k", s=15)


fig, axes = plt.subplots(2, 2, figsize=(11, 10), layout="constrained")
for row, (model_name, make_model) in zip(axes, models.items()):
    for ax, (data_name, X, y) in zip(row, problems):
        clf = make_model().fit(X, y)
        plot_regions(clf, X, y, ax)
        ax.set_title(
            f"{model_name}\n{data_name}: accuracy {clf.score(X, y):.2f}", fontsize=10
        )
plt.show()

# %%
# The softmax's scores are defined only up to a common shift of the rows of
# ``coef_`` (adding the same vector to every :math:`w_c` changes no
# probability); the L2 penalty picks the solution whose rows sum to zero.

clf = SoftmaxClassifier(solver="lbfgs", alpha=1.0).fit(X_iris, y_iris)
print("coef_ =\n", clf.coef_.round(3))
print("column sums:", clf.coef_.sum(axis=0).round(12))
