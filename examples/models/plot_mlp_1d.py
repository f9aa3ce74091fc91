"""
=============================
An MLP fitting a 1-D function
=============================

:class:`~sgdlearn.MLPRegressor` with one hidden layer fits
:math:`f(x) = \\sin(2x) + 0.3x` from 200 noisy samples. Each hidden unit
computes :math:`\\varphi(x w_j + b_j)`, and the output adds them up with
weights: the network's prediction is a weighted sum of shifted, scaled copies
of the activation :math:`\\varphi`. With ReLU units the prediction is a
piecewise linear function with one kink per unit; with ``tanh`` or
``logistic`` units it is a sum of smooth steps.

The fits use ``solver="lbfgs"`` (full batch, a small problem). See
:ref:`backprop`.
"""

import matplotlib.pyplot as plt
import numpy as np

from sgdlearn import MLPRegressor

rng = np.random.default_rng(0)
x = np.sort(rng.uniform(-3, 3, 200))
X = x[:, None]


def f(x):
    return np.sin(2 * x) + 0.3 * x


y = f(x) + rng.normal(scale=0.1, size=x.size)
x_plot = np.linspace(-3.5, 3.5, 500)
X_plot = x_plot[:, None]

# %%
# More units, more pieces: ReLU networks of 3, 10 and 50 hidden units. The
# dotted vertical lines of the 10-unit fit mark where each unit switches on,
# :math:`x = -b_j / w_j`.

fig, (ax_width, ax_act) = plt.subplots(1, 2, figsize=(13, 5), layout="constrained")
ax_width.scatter(x, y, s=8, color="0.6", label="data")
ax_width.plot(x_plot, f(x_plot), "k--", linewidth=1, label="f(x)")
for units in (3, 10, 50):
    reg = MLPRegressor(
        hidden_layer_sizes=(units,),
        activation="relu",
        solver="lbfgs",
        alpha=1e-3,
        max_iter=2000,
        random_state=0,
    ).fit(X, y)
    ax_width.plot(x_plot, reg.predict(X_plot), label=f"{units} ReLU units")
    if units == 10:
        w, b = reg.coefs_[0][0], reg.intercepts_[0]
        kinks = -b / w
        for kink in kinks[(kinks > -3.5) & (kinks < 3.5)]:
            ax_width.axvline(kink, color="C1", linestyle=":", linewidth=0.8)
ax_width.set_title("Width: one kink per ReLU unit")
ax_width.set_xlabel("x")
ax_width.legend(loc="upper left")

# %%
# The activation sets the shape of the pieces: 10 hidden units each.

ax_act.scatter(x, y, s=8, color="0.6", label="data")
ax_act.plot(x_plot, f(x_plot), "k--", linewidth=1, label="f(x)")
for activation in ("relu", "tanh", "logistic", "identity"):
    reg = MLPRegressor(
        hidden_layer_sizes=(10,),
        activation=activation,
        solver="lbfgs",
        alpha=1e-3,
        max_iter=2000,
        random_state=0,
    ).fit(X, y)
    ax_act.plot(
        x_plot,
        reg.predict(X_plot),
        label=f"{activation}: R² = {reg.score(X, y):.3f}",
    )
ax_act.set_title("Activation: the shape of the pieces (10 units)")
ax_act.set_xlabel("x")
ax_act.legend(loc="upper left")
plt.show()

# %%
# With ``activation="identity"`` the network is a product of linear maps, a
# linear model: hidden layers only add expressive power through their
# nonlinearity. Outside the data (:math:`|x| > 3`) the fits part ways with
# :math:`f` and with each other: a network knows nothing of the function
# beyond its samples, and extrapolates with the shape of its units (straight
# lines for ReLU, slowly saturating curves for ``tanh`` and ``logistic``).
