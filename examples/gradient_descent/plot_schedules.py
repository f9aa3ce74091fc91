"""
=============================================
Step-size schedules: the rate at every step
=============================================

``learning_rate`` chooses how the step size :math:`\\eta` evolves during a
run, and ``warmup_fraction`` ramps it up linearly at the start. The left
panel plots :math:`\\eta` at each step of a run of 20 epochs of 50 batches
(1,000 steps), as the training loop evaluates it, with
``learning_rate_init=0.01``:

- ``"constant"``: :math:`\\eta_0` throughout;
- ``"invscaling"``: :math:`\\eta_0/(t+1)^{0.5}` with :math:`t` the samples
  seen when the epoch began, so it is constant within an epoch (steps of
  the staircase) and falls fast after the first epoch;
- ``"cosine"``: :math:`\\eta_0 \\cdot \\tfrac12(1 + \\cos(\\pi k/K))` at step
  :math:`k` of :math:`K`, from :math:`\\eta_0` to 0;
- ``"cosine"`` with ``warmup_fraction=0.1``: the first 100 steps multiply
  it by :math:`(k+1)/100`.

The right panel trains the same small MLP with each of them (Adam, batches
of 50 rows, 20 epochs) and plots the training loss per epoch. The rates
come from the schedule objects the estimators use
(``sgdlearn._schedules``: a private module, read here only to draw them).

See :ref:`gradient-descent`.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sgdlearn import MLPRegressor
from sgdlearn._schedules import make_schedule

# every run takes exactly 20 epochs, on purpose: no warning about it
warnings.filterwarnings("ignore", category=ConvergenceWarning)

n_rows, batch_size, epochs = 2500, 50, 20
steps_per_epoch = n_rows // batch_size
n_steps = epochs * steps_per_epoch

settings = {
    "constant": {"learning_rate": "constant"},
    "invscaling": {"learning_rate": "invscaling"},
    "cosine": {"learning_rate": "cosine"},
    "cosine, warmup 0.1": {"learning_rate": "cosine", "warmup_fraction": 0.1},
}

X, y = make_regression(n_samples=n_rows, n_features=10, noise=5.0, random_state=0)
X = StandardScaler().fit_transform(X)
y = (y - y.mean()) / y.std()

fig, (ax_rate, ax_loss) = plt.subplots(1, 2, figsize=(10, 4))
for label, setting in settings.items():
    params = {
        "learning_rate_init": 0.01,
        "power_t": 0.5,
        "warmup_fraction": 0.0,
        **setting,
    }
    schedule = make_schedule(params)
    rates = [
        schedule.rate(step, n_steps, (step // steps_per_epoch) * n_rows)
        for step in range(n_steps)
    ]
    ax_rate.plot(np.arange(n_steps), rates, label=label)

    reg = MLPRegressor(
        hidden_layer_sizes=(32,),
        batch_size=batch_size,
        max_iter=epochs,
        learning_rate_init=params["learning_rate_init"],
        n_iter_no_change=epochs,
        random_state=0,
        **setting,
    )
    reg.fit(X, y)
    ax_loss.plot(np.arange(1, len(reg.loss_curve_) + 1), reg.loss_curve_, label=label)

ax_rate.set(xlabel="step", ylabel="learning rate η", title="η per step")
ax_loss.set(xlabel="epoch", ylabel="training loss", yscale="log", title="training loss")
ax_rate.legend()
ax_loss.legend()
fig.tight_layout()
plt.show()
