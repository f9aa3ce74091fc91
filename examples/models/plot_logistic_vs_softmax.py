"""
=============================================
One-vs-rest logistic vs softmax probabilities
=============================================

Two linear classifiers for three classes, on the same 2-D data:

- :class:`~sgdlearn.SGDLogisticClassifier` fits one binary logistic model per
  class, "class :math:`c` or not", each with its own Bernoulli log-loss, and
  ``predict_proba`` normalises the three sigmoids :math:`\\sigma(z_c)` to sum
  to one (as scikit-learn's one-vs-rest does);
- :class:`~sgdlearn.SoftmaxClassifier` fits one multinomial model, the
  categorical log-loss of :math:`\\operatorname{softmax}(z)`, whose
  probabilities sum to one by construction.

The middle class is the hard case for one-vs-rest: "middle or not" is not
linearly separable (the rest lies on both sides), so its binary model cannot
follow the classes along :math:`x_1` at all. See :ref:`objective`.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs

from sgdlearn import SGDLogisticClassifier, SoftmaxClassifier

centres = [[-3, 0], [0, 0.5], [3, 0]]
X, y = make_blobs(n_samples=300, centers=centres, cluster_std=1.0, random_state=0)

models = {
    "one-vs-rest logistic": SGDLogisticClassifier(solver="lbfgs", alpha=1.0),
    "softmax": SoftmaxClassifier(solver="lbfgs", alpha=1.0),
}
for clf in models.values():
    clf.fit(X, y)

# %%
# The probability of each class over the plane (columns), for each model
# (rows). The black line is where that class's probability is 0.5.

grid_x, grid_y = np.meshgrid(np.linspace(-6, 6, 200), np.linspace(-4, 4, 160))
grid = np.c_[grid_x.ravel(), grid_y.ravel()]
fig, axes = plt.subplots(2, 3, figsize=(13, 7), layout="constrained")
for row, (name, clf) in zip(axes, models.items()):
    proba = clf.predict_proba(grid)
    for c, ax in enumerate(row):
        p = proba[:, c].reshape(grid_x.shape)
        levels = np.linspace(0, 1, 11)
        image = ax.contourf(grid_x, grid_y, p, levels=levels, cmap="viridis")
        ax.contour(grid_x, grid_y, p, levels=[0.5], colors="k", linewidths=1)
        ax.scatter(*X[y == c].T, s=8, color="w", edgecolor="k", linewidth=0.3)
        ax.scatter(*X[y != c].T, s=8, color="0.3", alpha=0.4)
        ax.set_title(f"{name}: P(class {c})", fontsize=10)
fig.colorbar(image, ax=axes, shrink=0.6, label="probability")
plt.show()

# %%
# Along the line :math:`x_2 = 0.5`, through the three centres. Softmax's
# middle-class probability rises and falls with :math:`x_1`: it is a ratio of
# exponentials of *all three* scores. One-vs-rest's "middle or not" sigmoid
# is nearly constant along this line (its best linear split uses
# :math:`x_2`); the middle class peaks only because the two other sigmoids
# vanish there, and far from the centre it keeps a quarter of the probability
# where no middle point lies.

line = np.c_[np.linspace(-6, 6, 300), np.full(300, 0.5)]
fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
for (name, clf), style in zip(models.items(), ["--", "-"]):
    proba = clf.predict_proba(line)
    for c in range(3):
        label = f"{name}, class {c}"
        ax.plot(line[:, 0], proba[:, c], style, color=f"C{c}", label=label)
ax.set_xlabel("x1 (with x2 = 0.5)")
ax.set_ylabel("predicted probability")
ax.legend(fontsize=8, ncols=2)
plt.show()

for name, clf in models.items():
    print(f"{name}: training accuracy {clf.score(X, y):.3f}")
