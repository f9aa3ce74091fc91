"""
====================================================
An MLP that predicts its own uncertainty: ±2σ bands
====================================================

The squared error is the Gaussian negative log-likelihood with one fixed
:math:`\\sigma`. With ``loss="gaussian_nll"``, :class:`~sgdlearn.MLPRegressor`
gets a second output head that predicts :math:`\\log \\sigma^2(x)` for every
sample, and is trained on the full Gaussian likelihood
(:ref:`more-likelihoods`): residuals where the predicted noise is large count
less, and the variance head learns how large the noise is.

``predict(X)`` returns the mean; ``predict(X, return_std=True)`` returns the
pair ``(mean, std)``, as ``BayesianRidge`` and ``GaussianProcessRegressor``
do. The data are :math:`y = f(x) + \\sigma(x)\\,\\varepsilon` with a noise
level :math:`\\sigma(x)` that grows with :math:`x`.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sgdlearn import MLPRegressor

rng = np.random.default_rng(0)


def f(x):
    return 2 * np.sin(x) + 0.3 * x


def sigma(x):
    return 0.1 + 0.12 * x


def sample(n):
    x = rng.uniform(0, 10, n)
    return x[:, None], f(x) + sigma(x) * rng.normal(size=n)


X, y = sample(1000)
X_test, y_test = sample(5000)

model = make_pipeline(
    StandardScaler(),
    MLPRegressor(
        loss="gaussian_nll",
        hidden_layer_sizes=(64, 64),
        alpha=1e-4,
        batch_size=64,
        learning_rate_init=0.01,
        random_state=0,
    ),
).fit(X, y)

# %%
# The mean with a band of two predicted standard deviations on each side
# (left), and the predicted standard deviation against the true
# :math:`\sigma(x)` (right).

x_plot = np.linspace(0, 10, 400)
mean, std = model.predict(x_plot[:, None], return_std=True)

fig, (ax_band, ax_std) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
ax_band.scatter(X[:, 0], y, s=6, color="0.6", alpha=0.5, label="training data")
ax_band.fill_between(
    x_plot, mean - 2 * std, mean + 2 * std, color="C0", alpha=0.25, label="mean ± 2σ"
)
ax_band.plot(x_plot, mean, "C0", label="predicted mean")
ax_band.plot(x_plot, f(x_plot), "k--", linewidth=1, label="f(x)")
ax_band.set_xlabel("x")
ax_band.set_ylabel("y")
ax_band.legend(loc="upper left")

ax_std.plot(x_plot, std, "C0", label="predicted std")
ax_std.plot(x_plot, sigma(x_plot), "k--", linewidth=1, label="true σ(x)")
ax_std.set_xlabel("x")
ax_std.set_ylabel("standard deviation")
ax_std.set_ylim(0, None)
ax_std.legend(loc="upper left")
plt.show()

# %%
# If the predicted Gaussians are right, about 68% of held-out targets fall
# within one predicted standard deviation of the mean, and 95% within two.
# ``score`` is still the :math:`R^2` of the mean.

mean, std = model.predict(X_test, return_std=True)
distance = np.abs(y_test - mean) / std
print(f"within 1 std: {np.mean(distance < 1):.3f}")
print(f"within 2 std: {np.mean(distance < 2):.3f}")
print(
    f"correlation of the predicted std with σ(x): "
    f"{np.corrcoef(std, sigma(X_test[:, 0]))[0, 1]:.3f}"
)
print(f"R² of the mean: {model.score(X_test, y_test):.3f}")

# %%
# The same network trained on the squared error predicts the mean alone; a
# single :math:`\sigma`, the standard deviation of its training residuals,
# is all it can say about the noise. The held-out negative log-likelihood
# (lower is better) measures the whole predicted distribution.


def gaussian_nll(y, mean, std):
    return np.mean(0.5 * np.log(2 * np.pi * std**2) + 0.5 * ((y - mean) / std) ** 2)


squared = make_pipeline(
    StandardScaler(),
    MLPRegressor(
        hidden_layer_sizes=(64, 64),
        alpha=1e-4,
        batch_size=64,
        learning_rate_init=0.01,
        random_state=0,
    ),
).fit(X, y)
one_sigma = np.std(y - squared.predict(X))
print(f"held-out NLL, gaussian_nll: {gaussian_nll(y_test, mean, std):.3f}")
print(
    "held-out NLL, squared_error with one σ: "
    f"{gaussian_nll(y_test, squared.predict(X_test), one_sigma):.3f}"
)
