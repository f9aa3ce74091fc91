"""
=======================================
Step sizes on a one-dimensional problem
=======================================

Gradient descent on :math:`J(x) = x^2 - 6x + 5`, whose minimum is at
:math:`x^\\star = 3`. Its derivative is :math:`J'(x) = 2x - 6`, so one step
:math:`x \\leftarrow x - \\eta J'(x)` multiplies the distance to the minimum
by :math:`1 - 2\\eta`:

- :math:`\\eta = 0.05`, too small: the iterates creep towards 3;
- :math:`\\eta = 0.4`, about right (:math:`\\eta = 0.5` would land on 3 in one
  step);
- :math:`\\eta = 0.9`, too large: each step overshoots, the iterates oscillate
  around 3 and converge slowly;
- :math:`\\eta = 1.05`, diverging: each overshoot is larger than the last.

See :ref:`gradient-descent`.
"""

import matplotlib.pyplot as plt
import numpy as np


def J(x):
    return x**2 - 6 * x + 5


def dJ(x):
    return 2 * x - 6


def gradient_descent(x0, eta, n_steps):
    """The iterates x_0, x_1, ..., x_n of gradient descent."""
    xs = [x0]
    for _ in range(n_steps):
        xs.append(xs[-1] - eta * dJ(xs[-1]))
    return np.array(xs)


# %%
# Twelve steps from :math:`x_0 = 0` with each step size. The top row draws the
# path on the parabola, the bottom row the distance to the minimum, which
# shrinks (or grows) by the factor :math:`|1 - 2\eta|` each step.

step_sizes = {
    "too small (η = 0.05)": 0.05,
    "right (η = 0.4)": 0.4,
    "too large (η = 0.9)": 0.9,
    "diverging (η = 1.05)": 1.05,
}
x0, n_steps = 0.0, 12

fig, axes = plt.subplots(2, 4, figsize=(13, 6), layout="constrained")
grid = np.linspace(-1.5, 7.5, 200)
for (title, eta), ax_path, ax_gap in zip(step_sizes.items(), axes[0], axes[1]):
    xs = gradient_descent(x0, eta, n_steps)
    ax_path.plot(grid, J(grid), color="0.7")
    ax_path.plot(xs, J(xs), "o-", color="C3", markersize=4, linewidth=1)
    ax_path.plot(xs[0], J(xs[0]), "o", color="k", markersize=6)
    ax_path.set_xlim(grid[0], grid[-1])
    ax_path.set_ylim(-5, 30)
    ax_path.set_title(title)
    ax_path.set_xlabel("x")

    ax_gap.semilogy(np.abs(xs - 3) + 1e-16, "o-", color="C0", markersize=4)
    ax_gap.set_xlabel("step k")
    ax_gap.set_ylim(1e-6, 1e2)
    ax_gap.set_title(f"|1 − 2η| = {abs(1 - 2 * eta):.2f}", fontsize=10)
axes[0, 0].set_ylabel("J(x)")
axes[1, 0].set_ylabel("|x_k − 3|")
plt.show()

# %%
# The same picture holds in many dimensions: along each direction of a
# quadratic the curvature plays the role of 2, so gradient descent converges
# for :math:`\eta < 2/L` with :math:`L` the largest curvature, and the
# smallest curvature sets how slowly the flattest direction converges.
