"""
===============================
Step sizes on linear regression
===============================

Batch gradient descent (``solver="sgd"``, ``momentum=0``,
``batch_size="full"``) on the standardised diabetes data with
:class:`~sgdlearn.SGDLinearRegressor`. For least squares the Hessian of the
objective per sample is :math:`X^\\top X / n`, so the largest eigenvalue
:math:`L` of that matrix decides which step sizes work: gradient descent
converges for :math:`\\eta < 2/L` and fastest around :math:`\\eta \\approx 1/L`.

See :ref:`gradient-descent`.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sgdlearn import SGDLinearRegressor

X, y = load_diabetes(return_X_y=True)
X = StandardScaler().fit_transform(X)
y = (y - y.mean()) / y.std()

curvatures = np.linalg.eigvalsh(X.T @ X / len(X))
L, mu = curvatures.max(), curvatures.min()
print(f"largest curvature L = {L:.2f}: 1/L = {1 / L:.3f}, 2/L = {2 / L:.3f}")
print(f"smallest curvature mu = {mu:.4f}: condition number L/mu = {L / mu:.0f}")

# %%
# The optimum's objective per sample :math:`J^\star`, from L-BFGS, which
# minimises the same objective.

optimum = SGDLinearRegressor(solver="lbfgs", tol=1e-12).fit(X, y)
J_star = optimum.loss_


def gradient_descent(eta, n_epochs):
    """Batch gradient descent with step ``eta``: (loss curve, error or None).

    ``fit`` runs ``n_epochs`` full-batch steps (``tol=0`` and
    ``n_iter_no_change=n_epochs`` switch the stopping rule off). A fit that
    blows up raises a ValueError; for those, ``partial_fit`` (one epoch per
    call, keeping the last good state when a call fails) gives the curve up
    to the divergence.
    """
    params = dict(solver="sgd", momentum=0.0, batch_size="full", shuffle=False)
    reg = SGDLinearRegressor(**params, learning_rate_init=eta)
    try:
        reg.set_params(max_iter=n_epochs, tol=0.0, n_iter_no_change=n_epochs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # on purpose
            reg.fit(X, y)
        return np.array(reg.loss_curve_), None
    except ValueError as error:
        reg = SGDLinearRegressor(**params, learning_rate_init=eta)
        try:
            for _ in range(n_epochs):
                reg.partial_fit(X, y)
        except ValueError:
            pass
        return np.array(reg.loss_curve_), error


# %%
# Four step sizes, 60 epochs each. The loss curve records
# :math:`J(\theta)/n` at each epoch; its distance to :math:`J^\star` shrinks
# for :math:`\eta < 2/L` and grows geometrically for :math:`\eta > 2/L`,
# until sgdlearn stops the diverging fit with a ``ValueError``.
#
# The converging curves all flatten onto the same plateau: the flattest
# direction, with curvature :math:`\mu`, shrinks by only
# :math:`1 - \eta\mu` per step, and with a condition number :math:`L/\mu`
# in the hundreds no admissible step size makes that fast. The step size is
# limited by the steepest direction, the speed by the flattest one; momentum
# and L-BFGS (:ref:`sphx_glr_auto_examples_gradient_descent_plot_optimizer_race.py`)
# are the remedies.

step_sizes = {
    "too small": 0.02,
    "right (≈ 1/L)": round(1 / L, 2),
    "too large (just below 2/L)": 0.48,
    "diverging (above 2/L)": 0.55,
}
n_epochs = 60

fig, (ax_curves, ax_sweep) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
for label, eta in step_sizes.items():
    curve, error = gradient_descent(eta, n_epochs)
    if error is not None:
        print(f"η = {eta}: {error}")
    gap = curve - J_star
    ax_curves.semilogy(np.arange(1, len(gap) + 1), gap, label=f"{label}, η = {eta}")
ax_curves.set_xlabel("epoch (one full-batch step)")
ax_curves.set_ylabel("J/n − J*/n")
ax_curves.set_title("Loss curves")
ax_curves.legend(fontsize=8)

# %%
# A sweep over :math:`\eta`: the gap left after 60 epochs. It is smallest
# around :math:`1/L`; below, the steps are too short, above, the steepest
# direction oscillates, and beyond :math:`2/L` the fit blows up. sgdlearn
# stops a fit whose loss becomes non-finite or grows by orders of magnitude
# with a ``ValueError``; those fits are drawn as crosses at the top.

etas = np.linspace(0.01, 0.6, 40)
gaps = []
for eta in etas:
    curve, error = gradient_descent(eta, n_epochs)
    gaps.append(np.inf if error is not None else curve[-1] - J_star)
gaps = np.array(gaps)
finite = np.isfinite(gaps)
ax_sweep.semilogy(etas[finite], gaps[finite], "o-", markersize=3)
top = gaps[finite].max() * 10
ax_sweep.plot(etas[~finite], np.full((~finite).sum(), top), "x", color="C3")
ax_sweep.axvline(1 / L, color="C2", linestyle="--", label="1/L")
ax_sweep.axvline(2 / L, color="C3", linestyle="--", label="2/L")
ax_sweep.set_xlabel("step size η")
ax_sweep.set_ylabel(f"gap after {n_epochs} epochs")
ax_sweep.set_title("Which step size? (× = diverged, ValueError)")
ax_sweep.legend()
plt.show()
