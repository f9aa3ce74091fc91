"""
=================================
Counts: Poisson or squared error?
=================================

The loss is a choice of likelihood (:ref:`objective`). For counts, the
Poisson likelihood with a log link, ``loss="poisson"`` of
:class:`~sgdlearn.SGDLinearRegressor`, models the mean as
:math:`\\hat y = e^{x w + b}`: always positive, and multiplicative in the
features. The squared error (a Gaussian likelihood) fits a straight line
through the counts, which goes negative where counts are small and ignores
that their spread grows with their mean.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import mean_poisson_deviance

from sgdlearn import SGDLinearRegressor

rng = np.random.default_rng(0)
x = rng.uniform(0, 3, size=400)
true_mean = np.exp(-1.0 + 1.1 * x)
y = rng.poisson(true_mean)
X = x[:, None]

poisson = SGDLinearRegressor(loss="poisson", solver="lbfgs", alpha=1e-3).fit(X, y)
gaussian = SGDLinearRegressor(loss="squared_error", solver="lbfgs", alpha=1e-3)
gaussian.fit(X, y)

# %%
# The Poisson fit recovers the exponential mean (its coefficient estimates the
# true 1.1); the straight line cannot bend and predicts negative counts for
# small :math:`x`.

x_plot = np.linspace(0, 3, 200)[:, None]
fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
ax.scatter(x, y, s=8, color="0.6", alpha=0.6, label="counts")
ax.plot(x_plot, np.exp(-1.0 + 1.1 * x_plot), "k--", label="true mean")
w, b = poisson.coef_[0], poisson.intercept_[0]
label = f"loss='poisson': exp({w:.2f} x {b:+.2f})"
ax.plot(x_plot, poisson.predict(x_plot), "C0", label=label)
w, b = gaussian.coef_[0], gaussian.intercept_[0]
label = f"loss='squared_error': {w:.2f} x {b:+.2f}"
ax.plot(x_plot, gaussian.predict(x_plot), "C3", label=label)
ax.axhline(0, color="k", linewidth=0.5)
ax.set_xlabel("x")
ax.set_ylabel("count")
ax.legend(loc="upper left")
plt.show()

# %%
# The mean Poisson deviance, the natural score of a count model, is undefined
# for negative predictions: clip them to compare.

for name, model in [("poisson", poisson), ("squared_error", gaussian)]:
    pred = np.clip(model.predict(X), 1e-6, None)
    print(f"{name:>13}: mean Poisson deviance {mean_poisson_deviance(y, pred):.3f}")
