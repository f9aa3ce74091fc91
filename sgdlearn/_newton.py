"""Newton's method for the linear models: ``solver='newton'``.

It minimises the same J/Σs as every solver (``_objective``), for a loss
whose Hessian in the raw scores is diagonal (``Loss.has_hessian``): each
output column j of z = x·W + b is then its own problem, with the Hessian
of J/Σs in (W[:, j], b_j)

    H_j = (1/Σs)·[X 1]ᵀ diag(s_i·ℓ''(z_ij)) [X 1] + (l2/Σs)·diag(1, …, 1, 0),

the intercept unpenalised (and left out with ``fit_intercept=False``,
which keeps it fixed). Each iteration solves H_j δ_j = −g_j for every
output (Cholesky), then backtracks along δ until J/Σs decreases enough
(Armijo), and stops once the gradient's largest entry is at most ``tol``:
scipy's criterion for L-BFGS (``gtol``), so the two solvers stop at the
same distance from the optimum. Like L-BFGS (``ftol``), it also counts as
converged a line search that finds no decrease where the step promises
less than J/Σs can resolve. The Hessian is accumulated in float64
whatever the dtype of X; sparse X is multiplied as CSR.

A loss that is not convex everywhere (Tweedie with power 0 or > 2) can
have a negative ℓ'' far from the fit: it is floored at 0, so H_j stays
positive semi-definite and δ a descent direction. A singular H_j (no
penalty and collinear features, or a separable class whose ℓ'' vanishes)
fails the Cholesky factorisation; δ is then the least-squares solution of
minimum norm (``scipy.linalg.lstsq``), still a descent direction unless
the gradient has no component H_j can see, when the line search finds no
decrease and the fit stops with a ConvergenceWarning.
"""

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from ._training import LBFGS_FTOL, FullBatchRun, warn_interrupted

# Armijo's sufficient decrease: a step t·δ must lower J/Σs by at least
# this fraction of what the slope g·δ promises.
ARMIJO = 1e-4

# Halvings of the step before the line search gives up.
MAX_HALVINGS = 40

# The Hessian is summed over row blocks of about this many entries of
# [X 1] (512 kB in float64), so that its float64 copies stay small.
HESSIAN_BLOCK = 2**16


class NewtonSystem:
    """The Newton step of a linear model's objective on its training data.

    Parameters
    ----------
    objective : _objective.Objective
        Of a network with one layer and a loss with ``has_hessian``.
    train : _training.Dataset
    """

    def __init__(self, objective, train):
        if objective.network.layout.n_layers != 1:
            raise ValueError(
                "solver='newton' is for the linear models; use 'lbfgs' or a "
                "first-order solver."
            )
        self.objective = objective
        self.train = train
        self.with_intercept = objective.fit_intercept
        # s_i/Σs, the weight of each row in J/Σs
        weight = (
            np.ones(train.n_samples)
            if train.sample_weight is None
            else train.sample_weight.astype(np.float64)
        )
        self.row_weight = weight / objective.weight_total
        self.ridge = objective.penalty.l2 / objective.weight_total
        self._scaled = None  # the buffer of a block of √weight-scaled [X 1]

    def direction(self, params, grads):
        """δ = −H⁻¹g per output, as a flat vector like θ (float64)."""
        layout = self.objective.network.layout
        step = np.zeros(grads.theta.shape, dtype=np.float64)
        step_coef, step_intercept = layout.coefs(step)[0], layout.intercepts(step)[0]
        coef_grad, intercept_grad = grads.coefs[0], grads.intercepts[0]
        p = len(step_coef)
        solver, previous = None, None
        for j, hessian in enumerate(self.hessians(params)):
            if previous is None or not np.array_equal(hessian, previous):
                solver, previous = _Solver(hessian), hessian
            rhs = coef_grad[:, j].astype(np.float64)
            if self.with_intercept:
                rhs = np.append(rhs, intercept_grad[j])
            delta = solver.solve(rhs)
            step_coef[:, j] = -delta[:p]
            if self.with_intercept:
                step_intercept[j] = -delta[p]
        return step

    def hessians(self, params):
        """The Hessian of J/Σs in (W[:, j], b_j) of each output j at θ:
        an array of shape (n_outputs, m, m), m = n_features (+ 1).

        Summed over row blocks of about :data:`HESSIAN_BLOCK` entries of
        [X 1], each converted to float64 on its own, so that no copy of X
        is made. Outputs whose rows are weighted alike (squared error)
        share one product per block.
        """
        objective, X, Y = self.objective, self.train.X, self.train.Y
        n, p = X.shape
        m = p + self.with_intercept
        hessians = np.zeros((objective.network.layout.layer_units[-1], m, m))
        rows = max(1, HESSIAN_BLOCK // m)
        for start in range(0, n, rows):
            part = slice(start, min(start + rows, n))
            raw = objective.predict_raw(params, X[part])
            curvature = objective.loss.hessian_diag(raw, Y[part])
            np.maximum(curvature, 0.0, out=curvature)
            curvature *= self.row_weight[part, None]
            if len(hessians) == 1 or (curvature == curvature[:, :1]).all():
                hessians += self._gram(X[part], curvature[:, 0])
            else:
                for j, hessian in enumerate(hessians):
                    hessian += self._gram(X[part], curvature[:, j])
        diagonal = np.arange(p)
        hessians[:, diagonal, diagonal] += self.ridge
        return hessians

    def _gram(self, X, weights):
        """Aᵀ diag(weights) A of the rows X, A = [X 1] (X alone without the
        intercept), in float64.

        Dense A is scaled by √weights (ℓ'' ≥ 0), so that the product is the
        Gram matrix of one array, which NumPy computes with BLAS's
        symmetric rank-k update (half the work of a product).
        """
        p = X.shape[1]
        m = p + self.with_intercept
        if sp.issparse(X):
            gram = np.empty((m, m))
            weighted = sp.diags(weights) @ X
            gram[:p, :p] = (X.T @ weighted).toarray()
            if self.with_intercept:
                gram[:p, p] = gram[p, :p] = np.asarray(weighted.sum(axis=0)).ravel()
                gram[p, p] = weights.sum()
            return gram
        if self._scaled is None or len(self._scaled) < len(X):
            self._scaled = np.empty((len(X), m))  # reused by later calls
        scaled = self._scaled[: len(X)]
        root = np.sqrt(weights)
        np.multiply(X, root[:, None], out=scaled[:, :p])
        if self.with_intercept:
            scaled[:, p] = root
        return scaled.T @ scaled


class _Solver:
    """Solves H·x = b for a positive semi-definite H: by its Cholesky factor
    (LAPACK's potrf/potrs, without scipy's checks: H is small and finite
    by construction), or, when H is singular, by least squares of minimum
    norm."""

    def __init__(self, hessian):
        self.hessian = hessian
        self.factor, info = scipy.linalg.lapack.dpotrf(hessian)
        self.positive_definite = info == 0

    def solve(self, rhs):
        if self.positive_definite:
            return scipy.linalg.lapack.dpotrs(self.factor, rhs)[0]
        return scipy.linalg.lstsq(self.hessian, rhs, check_finite=False)[0]


def line_search(run, start, direction, slope, loss):
    """Backtrack from a full step until J/Σs falls by Armijo's condition.

    ``start`` is θ where J/Σs is ``loss``, its gradient ``run.grads`` and
    the gradient's slope along ``direction`` ``slope``; the state's θ moves
    along ``direction``. Returns the new J/Σs (with θ and the gradient
    there), or None with θ back at ``start`` when no step of the halvings
    decreases J/Σs enough. The decrease must also be strict: once the steps
    are below the resolution of θ's dtype, θ stops moving and so does
    training.
    """
    theta = run.state.theta
    t = 1.0
    for _ in range(MAX_HALVINGS):
        np.copyto(theta, start + t * direction, casting="unsafe")
        value = run.evaluate()
        if value < loss and value <= loss + ARMIJO * t * slope:
            return value
        t *= 0.5
    np.copyto(theta, start, casting="unsafe")
    run.evaluate()
    return None


def _small_gradient(grads, tol):
    return float(np.max(np.abs(grads.theta), initial=0.0)) <= tol


def _beyond_precision(slope, loss):
    """Whether the decrease a Newton step promises, −slope/2, is within
    L-BFGS's relative tolerance on J (``ftol``, a few float64 epsilons):
    the optimum as closely as J/Σs can tell, which L-BFGS also reports as
    convergence."""
    return -0.5 * slope <= LBFGS_FTOL * max(abs(loss), 1.0)


def train_newton(objective, state, train, val, config, hooks):
    """Full-batch Newton on J/Σs; one loss-curve entry per iteration.

    The contract of :func:`~sgdlearn._training.train_lbfgs`: it advances
    ``state`` by up to ``config.max_epochs`` iterations framed by the
    hooks, early stopping does not apply, and it returns True when the
    gradient's largest entry fell to ``config.tol``, when the line search
    found no decrease where the step's promise is below J/Σs's precision
    (as L-BFGS's ``ftol``), or when a hook stopped it; False when the
    iterations ran out or the line search found no decrease before that.
    A KeyboardInterrupt keeps the last iterate with a warning.
    """
    run = FullBatchRun(objective, state, train, val, config, hooks)
    system = NewtonSystem(objective, train)
    with np.errstate(all="ignore"):
        run.begin()
        loss = state.initial_loss = run.evaluate()
        accepted = state.theta.astype(np.float64)
        converged = False
        try:
            for _ in range(config.max_epochs):
                if _small_gradient(run.grads, config.tol):
                    converged = True
                    break
                direction = system.direction(run.params, run.grads)
                slope = float(np.dot(run.grads.theta.astype(np.float64), direction))
                value = None
                if slope < 0.0:
                    value = line_search(run, accepted, direction, slope, loss)
                if value is None:
                    converged = _beyond_precision(slope, loss)
                    break
                loss = value
                accepted[...] = state.theta
                if run.end_iteration(loss):
                    converged = True
                    break
            else:
                converged = _small_gradient(run.grads, config.tol)
        except KeyboardInterrupt:
            warn_interrupted()
            np.copyto(state.theta, accepted, casting="unsafe")
            converged = True
        run.finish(loss)
    return converged
