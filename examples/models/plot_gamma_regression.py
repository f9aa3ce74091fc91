"""
==================================================
A positive, skewed target: Gamma or squared error?
==================================================

Costs, durations and claim sizes are positive, skewed to the right, and
spread out more where they are larger. The Gamma likelihood with a log link,
``loss="gamma"`` of :class:`~sgdlearn.SGDLinearRegressor`, models exactly
that: the mean :math:`\\hat y = e^{x w + b}` is positive and multiplicative
in the features, and the standard deviation is proportional to the mean
(:ref:`more-likelihoods`). The squared error fits a straight line, gives
every residual the same weight wherever the target is large or small, and
can predict negative values.

The target below is Gamma-distributed with shape 2 (a coefficient of
variation of :math:`1/\\sqrt 2`) around the mean :math:`e^{0.3 + 0.6 x}`.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import GammaRegressor
from sklearn.metrics import mean_gamma_deviance

from sgdlearn import SGDLinearRegressor

rng = np.random.default_rng(0)


def true_mean(x):
    return np.exp(0.3 + 0.6 * x)


def sample(n):
    x = rng.uniform(0, 4, n)
    return x[:, None], rng.gamma(shape=2.0, scale=true_mean(x) / 2.0)


X, y = sample(500)
X_test, y_test = sample(5000)

gamma = SGDLinearRegressor(loss="gamma", solver="lbfgs", alpha=1e-3).fit(X, y)
squared = SGDLinearRegressor(solver="lbfgs", alpha=1e-3).fit(X, y)

# %%
# On the left, the data and the two fits; on the right, the same on a
# logarithmic axis, where the Gamma model's mean is a straight line and the
# spread of the data around it is the same everywhere.

x_plot = np.linspace(0, 4, 200)[:, None]
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
for ax in axes:
    ax.scatter(X[:, 0], y, s=8, color="0.6", alpha=0.6, label="data")
    ax.plot(x_plot, true_mean(x_plot), "k--", linewidth=1, label="true mean")
    w, b = gamma.coef_[0], gamma.intercept_[0]
    ax.plot(
        x_plot, gamma.predict(x_plot), "C0", label=f"gamma: exp({w:.2f} x {b:+.2f})"
    )
    w, b = squared.coef_[0], squared.intercept_[0]
    label = f"squared_error: {w:.2f} x {b:+.2f}"
    ax.plot(x_plot, squared.predict(x_plot), "C1", label=label)
    ax.set_xlabel("x")
axes[0].set_ylabel("y")
axes[0].legend(loc="upper left")
axes[1].set_yscale("log")
axes[1].set_ylim(0.05, None)
axes[1].set_title("log scale (the line's values below 0.05 are cut off)")
plt.show()

# %%
# The mean Gamma deviance of held-out targets scores a fit on the scale of
# relative errors. It needs positive predictions, and the straight line
# predicts negative values for small :math:`x`: compare the two models on the
# rows where the line is positive.

line = squared.predict(X_test)
positive = line > 0
print(f"share of the line's predictions <= 0: {1 - positive.mean():.3f}")
for name, pred in [("gamma", gamma.predict(X_test)), ("squared_error", line)]:
    deviance = mean_gamma_deviance(y_test[positive], pred[positive])
    print(f"{name:>13}: mean Gamma deviance {deviance:.3f} where the line is > 0")

# %%
# scikit-learn's ``GammaRegressor`` minimises the same half deviance
# *averaged* over the samples, so its ``alpha`` is sgdlearn's divided by the
# number of samples (:ref:`migrating-robust-glm`): the two reach the same
# coefficients.

theirs = GammaRegressor(alpha=1e-3 / len(y), tol=1e-10).fit(X, y)
ours = SGDLinearRegressor(loss="gamma", solver="lbfgs", alpha=1e-3, tol=1e-10)
ours.fit(X, y)
print(
    f"GammaRegressor:     coef {theirs.coef_[0]:.6f}, intercept {theirs.intercept_:.6f}"
)
print(
    f"SGDLinearRegressor: coef {ours.coef_[0]:.6f}, intercept {ours.intercept_[0]:.6f}"
)
