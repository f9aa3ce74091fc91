"""
======================================
Outliers: Huber against squared error
======================================

A few gross errors in :math:`y` pull a least-squares line towards them: the
squared error grows quadratically, so one point far away outweighs many near
the line. Huber's loss, ``loss="huber"`` of
:class:`~sgdlearn.SGDLinearRegressor`, is quadratic for residuals up to
``huber_delta`` and linear beyond (:ref:`more-likelihoods`): each outlier
pulls with a force of at most :math:`\\delta`, and the fit follows the bulk of
the data.

The transition point is in the units of :math:`y` and is not learned
(:ref:`huber-delta`). Here the noise of the inliers has a standard deviation
of 0.5, so ``huber_delta=1.35 * 0.5`` is the usual choice of 1.35 noise
standard deviations.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import HuberRegressor

from sgdlearn import SGDLinearRegressor

rng = np.random.default_rng(0)
n = 200
x = rng.uniform(0, 10, n)
y = 1.0 + 0.5 * x + rng.normal(scale=0.5, size=n)
# about 10% of the targets, all at x > 5, are gross errors
outlier = (x > 5) & (rng.random(n) < 0.2)
y[outlier] += rng.uniform(6, 12, outlier.sum())
X = x[:, None]

squared = SGDLinearRegressor(solver="lbfgs", alpha=1e-3).fit(X, y)
huber = SGDLinearRegressor(
    loss="huber", huber_delta=1.35 * 0.5, solver="lbfgs", alpha=1e-3
).fit(X, y)

# %%
# The fitted lines (left), and the losses of a residual :math:`r` with their
# derivatives, the pull of one point on the fit (right).

x_plot = np.linspace(0, 10, 2)[:, None]
fig, (ax_fit, ax_loss) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
ax_fit.scatter(x[~outlier], y[~outlier], s=10, color="0.6", label="data")
ax_fit.scatter(x[outlier], y[outlier], s=14, color="C3", marker="x", label="outliers")
ax_fit.plot(x_plot, 1.0 + 0.5 * x_plot, "k--", linewidth=1, label="true line")
for name, model, color in [("squared_error", squared, "C1"), ("huber", huber, "C0")]:
    w, b = model.coef_[0], model.intercept_[0]
    label = f"loss='{name}': {w:.2f} x {b:+.2f}"
    ax_fit.plot(x_plot, model.predict(x_plot), color, label=label)
ax_fit.set_xlabel("x")
ax_fit.set_ylabel("y")
ax_fit.legend(loc="upper left")

delta = huber.huber_delta
r = np.linspace(-3, 3, 301)
huber_loss = np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta))
ax_loss.plot(r, 0.5 * r**2, "C1", label="squared error ½r²")
ax_loss.plot(r, huber_loss, "C0", label=f"Huber, δ = {delta:.3g}")
ax_loss.plot(r, r, "C1:", label="its derivative r")
ax_loss.plot(r, np.clip(r, -delta, delta), "C0:", label="its derivative clip(r, ±δ)")
ax_loss.axhline(0, color="k", linewidth=0.5)
ax_loss.set_ylim(-3, 4.5)
ax_loss.set_xlabel("residual r")
ax_loss.legend(loc="upper center")
plt.show()

# %%
# Away from the outliers the two losses agree, so on clean data Huber's fit
# is nearly least squares; the outliers, all above the line at large
# :math:`x`, tilt the least-squares slope upwards.
#
# scikit-learn's ``HuberRegressor`` estimates a noise scale :math:`\sigma`
# (``scale_``) jointly with the line, and puts the transition at
# ``epsilon * scale_``. Given that scale, sgdlearn's loss with
# ``huber_delta = epsilon * scale_`` and ``alpha = alpha * scale_`` has the
# same optimum (:ref:`migrating-robust-glm`):

theirs = HuberRegressor(epsilon=1.35, alpha=1e-3).fit(X, y)
ours = SGDLinearRegressor(
    loss="huber",
    huber_delta=1.35 * theirs.scale_,
    alpha=1e-3 * theirs.scale_,
    solver="lbfgs",
    tol=1e-10,
).fit(X, y)
print(f"HuberRegressor: scale_ = {theirs.scale_:.4f}")
print(
    f"HuberRegressor:     coef {theirs.coef_[0]:.6f}, intercept {theirs.intercept_:.6f}"
)
print(
    f"SGDLinearRegressor: coef {ours.coef_[0]:.6f}, intercept {ours.intercept_[0]:.6f}"
)
