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
        n, p = train.X.shape
        rows = max(1, HESSIAN_BLOCK // (p + self.with_intercept))
        self._blocks = [
            slice(start, min(start + rows, n)) for start in range(0, n, rows)
        ]
        self._transposed = None  # Xᵀ in float64 when X is one dense block

    def direction(self, params, grads):
        """δ = −H⁻¹g per output, as a flat vector like θ (float64)."""
        layout = self.objective.network.layout
        coef_grad = grads.coefs[0]
        p, k = coef_grad.shape
        gradient = np.empty((p + self.with_intercept, k))
        gradient[:p] = coef_grad
        if self.with_intercept:
            gradient[p] = grads.intercepts[0]
        hessians = self.hessians(params)
        if len(hessians) == 1:  # one Hessian for every output
            delta = _Solver(hessians[0]).solve(gradient)
        else:
            delta = np.empty_like(gradient)
            for j, hessian in enumerate(hessians):
                delta[:, j] = _Solver(hessian).solve(gradient[:, j])
        step = np.zeros(grads.theta.shape, dtype=np.float64)
        np.negative(delta[:p], out=layout.coefs(step)[0])
        if self.with_intercept:
            np.negative(delta[p], out=layout.intercepts(step)[0])
        return step

    def hessians(self, params):
        """The Hessians of J/Σs in (W[:, j], b_j) at θ, m = n_features (+ 1):
        shape (n_outputs, m, m), or (1, m, m) when every output's rows are
        weighted alike (squared error), so that they share one.

        Summed over row blocks of about :data:`HESSIAN_BLOCK` entries of
        [X 1], each converted to float64 on its own, so that no copy of X
        is made (except Xᵀ of an X of one block).
        """
        objective, X, Y = self.objective, self.train.X, self.train.Y
        n_outputs = objective.network.layout.layer_units[-1]
        shared, per_output = 0.0, None
        for part in self._blocks:
            raw = objective.predict_raw(params, X[part])
            curvature = objective.loss.hessian_diag(raw, Y[part])
            np.maximum(curvature, 0.0, out=curvature)
            curvature *= self.row_weight[part, None]
            if per_output is None and (
                n_outputs == 1 or (curvature == curvature[:, :1]).all()
            ):
                shared = shared + self._gram(part, curvature[:, 0])
                continue
            if per_output is None:
                m = X.shape[1] + self.with_intercept
                per_output = np.zeros((n_outputs, m, m)) + shared
            for j, hessian in enumerate(per_output):
                hessian += self._gram(part, curvature[:, j])
        hessians = shared[None] if per_output is None else per_output
        diagonal = np.arange(X.shape[1])
        hessians[:, diagonal, diagonal] += self.ridge
        return hessians

    def _gram(self, part, weights):
        """Aᵀ diag(weights) A of the rows ``part`` of A = [X 1] (of X alone
        without the intercept), in float64.

        One product of (Xᵀ·weights) with X (BLAS's gemm on dense X); the
        intercept's row and column are Xᵀ·weights summed, and Σ weights.
        """
        X = self.train.X[part]
        p = X.shape[1]
        m = p + self.with_intercept
        gram = np.empty((m, m))
        if sp.issparse(X):
            weighted = (sp.diags(weights) @ X).T
            gram[:p, :p] = (weighted @ X).toarray()
        else:
            X = X.astype(np.float64, copy=False)
            weighted = self._transpose(X) * weights
            np.matmul(weighted, X, out=gram[:p, :p])
        if self.with_intercept:
            gram[:p, p] = gram[p, :p] = np.asarray(weighted.sum(axis=1)).ravel()
            gram[p, p] = weights.sum()
        return gram

    def _transpose(self, X):
        """Xᵀ of the dense float64 block X: C-ordered and kept when X is
        the only block (Xᵀ·weights is then a row-wise product, faster than
        on the strided view); the strided view otherwise."""
        if len(self._blocks) > 1:
            return X.T
        if self._transposed is None:
            self._transposed = np.ascontiguousarray(X.T)
        return self._transposed


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
