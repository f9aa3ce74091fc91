"""
======================================
L1 and L2 coefficient paths over alpha
======================================

How the coefficients of a linear regression on the (standardised) diabetes
data shrink as ``alpha`` grows, with the L2 penalty (ridge) and the L1 penalty
(lasso) of :class:`~sgdlearn.SGDLinearRegressor`.

L2 shrinks every coefficient smoothly towards zero and none reaches it. L1 is
applied as a proximal soft-threshold after each step, so coefficients become
*exactly* zero one after the other: the model selects features. The dots are
scikit-learn's ``lasso_path`` at the same penalties (its ``alpha`` is ours
divided by the number of samples): the proximal gradient method reaches the
same optimum. See :ref:`regularisation`.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import lasso_path
from sklearn.preprocessing import StandardScaler

from sgdlearn import SGDLinearRegressor

data = load_diabetes()
X = StandardScaler().fit_transform(data.data)
y = (data.target - data.target.mean()) / data.target.std()
n = len(y)

# %%
# L2: L-BFGS reaches the ridge optimum of each ``alpha`` directly.

alphas_l2 = np.logspace(-1, 5, 25)
coefs_l2 = np.array(
    [
        SGDLinearRegressor(solver="lbfgs", alpha=alpha, tol=1e-10).fit(X, y).coef_
        for alpha in alphas_l2
    ]
)

# %%
# L1: full-batch proximal gradient descent with heavy-ball momentum
# (``solver="sgd"``, ``batch_size="full"``), from the largest ``alpha`` down,
# each fit warm-started from the previous one for 300 epochs.
# (``warm_start`` carries the stopping rule's counters over from one fit to the
# next, as in scikit-learn's MLP, so a fixed number of epochs per ``alpha``,
# ``n_iter_no_change=np.inf``, is the simplest way to walk a path.)

alphas_l1 = np.logspace(-0.5, 2.5, 25)[::-1]
reg = SGDLinearRegressor(
    solver="sgd",
    penalty="l1",
    batch_size="full",
    learning_rate_init=0.2,
    momentum=0.9,
    max_iter=300,
    tol=0.0,
    n_iter_no_change=np.inf,
    warm_start=True,
)
coefs_l1 = []
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter on purpose
    for alpha in alphas_l1:
        coefs_l1.append(reg.set_params(alpha=alpha).fit(X, y).coef_.copy())
coefs_l1 = np.array(coefs_l1)
n_zero = (coefs_l1 == 0).sum(axis=1)

_, lasso_coefs, _ = lasso_path(X, y, alphas=alphas_l1 / n, tol=1e-10)

# %%
# The paths, one line per feature.

fig, (ax_l2, ax_l1) = plt.subplots(1, 2, figsize=(12, 5), layout="constrained")
colors = plt.cm.tab10(np.arange(X.shape[1]))
for j, name in enumerate(data.feature_names):
    ax_l2.semilogx(alphas_l2, coefs_l2[:, j], color=colors[j], label=name)
    ax_l1.semilogx(alphas_l1, coefs_l1[:, j], color=colors[j])
    ax_l1.semilogx(alphas_l1, lasso_coefs[j], ".", color=colors[j], markersize=4)
ax_l2.set_title("L2 (ridge): smooth shrinkage, no zeros")
ax_l1.set_title("L1 (lasso, proximal step): exact zeros")
for ax in (ax_l2, ax_l1):
    ax.axhline(0, color="k", linewidth=0.5)
    ax.set_xlabel("alpha (sum scale)")
ax_l2.set_ylabel("coefficient")
ax_l2.legend(ncols=2, fontsize=8)

ax_zeros = ax_l1.twinx()
ax_zeros.semilogx(alphas_l1, n_zero, "k--", linewidth=1)
ax_zeros.set_ylabel("coefficients exactly 0 (dashed)")
ax_zeros.set_ylim(0, X.shape[1] + 0.5)
plt.show()

print("max |sgdlearn − lasso_path|:", np.abs(coefs_l1 - lasso_coefs.T).max().round(4))
