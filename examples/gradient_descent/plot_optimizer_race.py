"""
=================
An optimizer race
=================

Every solver of sgdlearn minimises the same objective, so on a convex problem
they race to the same finish line. Here a multinomial logistic regression
(:class:`~sgdlearn.SoftmaxClassifier`, ``alpha=1``) on the standardised
digits, with each first-order solver on mini-batches of 128 rows and L-BFGS
on the full batch. The finish line :math:`J^\\star` comes from a long L-BFGS fit.

Each first-order solver uses the best learning rate of the coarse grid
{0.003, 0.01, 0.03, 0.1, 0.3} for this problem. See :ref:`optimizers`.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sgdlearn import SoftmaxClassifier

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)

optimum = SoftmaxClassifier(solver="lbfgs", alpha=1.0, tol=1e-8, max_iter=1000)
J_star = optimum.fit(X, y).loss_

# %%
# The contestants. ``momentum=0`` is plain SGD; ``nesterovs_momentum=False``
# is the heavy ball.

n_epochs = 40
contestants = {
    "SGD": dict(solver="sgd", momentum=0.0, learning_rate_init=0.3),
    "SGD + momentum": dict(
        solver="sgd", momentum=0.9, nesterovs_momentum=False, learning_rate_init=0.1
    ),
    "SGD + Nesterov": dict(solver="sgd", momentum=0.9, learning_rate_init=0.1),
    "Adagrad": dict(solver="adagrad", learning_rate_init=0.3),
    "RMSprop": dict(solver="rmsprop", learning_rate_init=0.003),
    "Adam": dict(solver="adam", learning_rate_init=0.01),
    "L-BFGS (full batch)": dict(solver="lbfgs"),
}

curves = {}
for name, params in contestants.items():
    params = {"tol": 0.0, "n_iter_no_change": n_epochs, **params}
    if params["solver"] == "lbfgs":
        params["tol"] = 1e-8
    clf = SoftmaxClassifier(
        alpha=1.0, batch_size=128, max_iter=n_epochs, random_state=0, **params
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    curves[name] = np.array(clf.loss_curve_) - J_star

# %%
# The loss curves, as the distance to the optimum per sample (log scale). An
# epoch of a first-order solver is 15 steps on batches of 128 rows; an
# iteration of L-BFGS is one (or a few) passes over the full data, about the
# same arithmetic as an epoch.

fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
styles = {
    "SGD + momentum": "--",
    "L-BFGS (full batch)": "k-",
}
for name, gap in curves.items():
    gap = np.maximum(gap, 1e-12)
    ax.semilogy(np.arange(1, len(gap) + 1), gap, styles.get(name, "-"), label=name)
ax.set_xlabel("epoch (L-BFGS: iteration)")
ax.set_ylabel("J/n − J*/n")
ax.set_title("SoftmaxClassifier on the digits, alpha = 1")
ax.set_ylim(1e-6, 2)
ax.legend(ncols=2, fontsize=9)
plt.show()

# %%
# What the race shows:
#
# - L-BFGS, with its curvature estimates and exact gradients, reaches the
#   optimum to many digits in a few dozen iterations: on data that fit in
#   memory and with an L2 penalty it is the solver to beat.
# - The stochastic solvers with a constant step size close most of the gap
#   within a few epochs and then stall at a noise floor set by the variance of
#   the mini-batch gradients. Momentum (heavy ball or Nesterov, nearly the
#   same here), Adagrad and Adam get there first. A decreasing step size
#   pushes through the floor: ``learning_rate="adaptive"`` or
#   ``"invscaling"``, which apply to every solver in sgdlearn.
# - Plain SGD needs the largest step size and is still the slowest, the effect
#   of the problem's conditioning; Adagrad's steps shrink on their own.
