"""
===========================================
Full batch, SGD and mini-batches: the noise
===========================================

Three ways to estimate the gradient of the same least-squares objective with
:class:`~sgdlearn.SGDLinearRegressor` and the plain SGD update
(``solver="sgd"``, ``momentum=0``):

- ``batch_size="full"``: the exact gradient, one step per epoch;
- ``batch_size=1``: one sample per step (stochastic gradient descent), as many
  steps per epoch as samples;
- ``batch_size=16``: mini-batches, in between.

The data have two correlated features, so the objective's contours are
elongated ellipses, and no intercept, so the parameters are a point in the
plane. See :ref:`gradient-descent`.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sgdlearn import SGDLinearRegressor

rng = np.random.default_rng(0)
n = 200
cov = [[1.0, 0.8], [0.8, 1.0]]
X = rng.multivariate_normal([0, 0], cov, size=n)
w_true = np.array([2.0, -1.0])
y = X @ w_true + rng.normal(scale=0.5, size=n)

w_opt = np.linalg.lstsq(X, y, rcond=None)[0]


def mean_objective(w1, w2):
    """J(w)/n = ½ mean((y − Xw)²) on a grid of (w1, w2)."""
    residuals = y[:, None, None] - X[:, :1, None] * w1 - X[:, 1:, None] * w2
    return 0.5 * np.mean(residuals**2, axis=0)


# %%
# The path of the parameters, step by step. ``partial_fit`` on a set of rows
# with ``batch_size="full"`` takes one gradient step on them, as ``fit`` does
# on each of its batches. Feeding it batches formed as ``fit`` forms them
# (with :math:`q` batches, batch :math:`k` holds rows
# :math:`k, k + q, \dots`, visited in a random order each epoch) draws the
# kind of path ``fit`` follows.

eta, n_epochs = 0.2, 4
settings = {"full batch": n, "mini-batches of 16": 16, "SGD (batch of 1)": 1}


def path(batch_size):
    reg = SGDLinearRegressor(
        solver="sgd",
        momentum=0.0,
        penalty=None,
        fit_intercept=False,
        batch_size="full",
        learning_rate_init=eta,
    )
    order = np.random.default_rng(1)
    n_batches = -(-n // batch_size)
    points = [np.zeros(2)]
    for _ in range(n_epochs):
        for k in order.permutation(n_batches):
            batch = slice(k, None, n_batches)
            reg.partial_fit(X[batch], y[batch])
            points.append(reg.coef_.copy())
    return np.array(points)


fig, (ax_path, ax_loss) = plt.subplots(1, 2, figsize=(12, 5), layout="constrained")
w1, w2 = np.meshgrid(np.linspace(-0.5, 3.0, 120), np.linspace(-2.5, 1.0, 120))
levels = np.quantile(mean_objective(w1, w2), np.linspace(0.0, 0.9, 12))
ax_path.contour(w1, w2, mean_objective(w1, w2), levels=levels, colors="0.75")
for (label, batch_size), color in zip(settings.items(), ["C0", "C1", "C3"]):
    points = path(batch_size)
    steps = len(points) - 1
    ax_path.plot(
        points[:, 0],
        points[:, 1],
        "-",
        color=color,
        linewidth=0.8 if batch_size == 1 else 1.5,
        marker="o" if batch_size == n else None,
        markersize=4,
        label=f"{label}: {steps} steps",
    )
ax_path.plot(*w_opt, "k*", markersize=12, label="optimum")
ax_path.set_xlabel("w1")
ax_path.set_ylabel("w2")
ax_path.set_title(f"{n_epochs} epochs with η = {eta}")
ax_path.legend(loc="lower left", fontsize=9)

# %%
# The loss curves of ``fit`` over 40 epochs. Per epoch, the full batch takes
# one careful step while SGD takes 200 noisy ones: SGD is far ahead at first,
# then stalls at a noise floor, where the gradients of single samples keep
# kicking the parameters around the optimum. Mini-batches of 16 average the
# noise down (by about 16 in variance) while still taking 13 steps per epoch,
# and the full batch, noise-free, creeps along the valley.

J_opt = 0.5 * np.mean((y - X @ w_opt) ** 2)
for (label, batch_size), color in zip(settings.items(), ["C0", "C1", "C3"]):
    reg = SGDLinearRegressor(
        solver="sgd",
        momentum=0.0,
        penalty=None,
        fit_intercept=False,
        batch_size=batch_size,
        learning_rate_init=eta,
        max_iter=40,
        tol=0.0,
        n_iter_no_change=40,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter on purpose
        reg.fit(X, y)
    gap = np.array(reg.loss_curve_) - J_opt
    ax_loss.semilogy(np.arange(1, len(gap) + 1), np.abs(gap), color=color, label=label)
ax_loss.set_xlabel("epoch")
ax_loss.set_ylabel("|J/n − J*/n| (loss curve)")
ax_loss.set_title("Loss per epoch")
ax_loss.legend()
plt.show()

# %%
# The loss curve of SGD is the mean of its per-sample losses along the epoch,
# which hover above the optimum's: its floor is set by :math:`\eta`. A
# decreasing step size (``learning_rate="invscaling"``) or larger batches
# lower it.
