"""
=======================================================
Prediction intervals from one MLP: the quantile loss
=======================================================

The pinball loss of level :math:`\\tau` is the negative log-likelihood of an
asymmetric Laplace distribution, and its minimiser is the conditional
:math:`\\tau`-quantile of :math:`y` (:ref:`more-likelihoods`).
:class:`~sgdlearn.MLPRegressor` with ``loss="quantile"`` and a *list* of
levels, ``quantile=[0.05, 0.5, 0.95]``, fits one output per level on shared
hidden layers: one network gives the median and a 90% prediction interval.

The data are heteroscedastic: the noise grows with :math:`x`, so a good
interval widens from left to right.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.exceptions import ConvergenceWarning
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

# %%
# The pinball loss is not smooth: its gradient does not shrink near the
# optimum, so a constant step hovers around it (:ref:`non-smooth-losses`).
# Cosine annealing takes the step to 0 over the run; the run must then go to
# its end (``n_iter_no_change=max_iter``: the training loss of a hovering fit
# stalls long before the step has decayed), and reaching ``max_iter`` is the
# plan, not a failure to converge.

levels = [0.05, 0.5, 0.95]
model = make_pipeline(
    StandardScaler(),
    MLPRegressor(
        loss="quantile",
        quantile=levels,
        hidden_layer_sizes=(64, 64),
        activation="tanh",
        alpha=1e-4,
        batch_size=64,
        learning_rate="cosine",
        learning_rate_init=0.01,
        max_iter=200,
        n_iter_no_change=200,
        random_state=0,
    ),
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # 200 epochs on purpose
    model.fit(X, y)

# %%
# ``predict`` returns one column per level, in the order given. The dashed
# lines are the true quantiles, :math:`f(x) \pm 1.645\,\sigma(x)`.

x_plot = np.linspace(0, 10, 400)
low, median, high = model.predict(x_plot[:, None]).T

fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
ax.scatter(X[:, 0], y, s=6, color="0.6", alpha=0.5, label="training data")
ax.fill_between(x_plot, low, high, color="C0", alpha=0.25, label="fitted 5%–95%")
ax.plot(x_plot, median, "C0", label="fitted median")
z = norm.ppf(0.95)
for sign in (-1, 1):
    ax.plot(x_plot, f(x_plot) + sign * z * sigma(x_plot), "k--", linewidth=1)
ax.plot([], [], "k--", linewidth=1, label="true 5% and 95% quantiles")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend(loc="upper left")
plt.show()

# %%
# On 5,000 held-out rows, the share of targets below each fitted quantile
# should be close to its level, and the interval should cover about 90% of
# them.

pred = model.predict(X_test)
for level, column in zip(levels, pred.T):
    print(f"below the {level:.2f} quantile: {np.mean(y_test < column):.3f}")
inside = (pred[:, 0] <= y_test) & (y_test <= pred[:, 2])
print(f"coverage of the 90% interval: {inside.mean():.3f}")

# %%
# Each column is fitted on its own pinball loss, and nothing ties the columns
# together: the fitted quantiles may cross, most often where data are scarce
# or the levels close. Sorting each row gives valid quantiles, and never takes
# them further from the true ones (the rearrangement of Chernozhukov,
# Fernández-Val and Galichon, 2010):

crossed = np.any(np.diff(pred, axis=1) < 0, axis=1)
print(f"rows whose quantiles cross: {crossed.sum()} of {len(pred)}")
pred = np.sort(pred, axis=1)
