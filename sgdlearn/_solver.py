"""The solver specification: which solver a fit runs, and its parts.

:class:`SolverSpec` reads the estimator's optimisation parameters (the
solver, the penalty, the schedule, the batch size, the stopping rule) and
builds what the training loop takes: the resolved solver name, the
penalty, the optimizer, the schedule, the iterate average and the
:class:`~sgdlearn._training.LoopConfig`. It holds the one list of what
rules out each full-batch solver (L-BFGS, Newton).
"""

from ._averaging import IterateAverage
from ._optimizers import make_optimizer
from ._params import AUTO_SOLVER, FULL_BATCH_SOLVERS, LBFGS_SOLVER, NEWTON_SOLVER
from ._penalties import make_penalty
from ._schedules import make_schedule
from ._training import LoopConfig

# solver='auto' uses L-BFGS up to this many training rows (see SolverSpec.resolve):
# beyond it, a few epochs of Adagrad reach the optimum's test loss sooner.
AUTO_LBFGS_MAX_SAMPLES = 100_000

# solver='auto' uses Newton instead of L-BFGS when, besides, each output's
# Newton system has at most this many unknowns (n_features + 1). A Newton
# iteration costs about n·(p + 1)² (the Hessian) against L-BFGS's n·p (a
# gradient) plus the overhead of scipy's iteration, but Newton needs 1
# (squared error) to about 10 iterations (log-losses) where L-BFGS needs
# tens to hundreds, the more the more correlated the features: Newton is
# the faster while p stays below about the ratio of the iteration counts.
# The constant comes from timing both on standardised synthetic data of
# 10,000 rows for feature counts from 16 to 128: a squared-error fit by
# Newton was the faster throughout; a logistic one up to about this count
# with correlated features, and up to about half of it with independent
# ones (where L-BFGS needs few iterations).
AUTO_NEWTON_MAX_FEATURES = 64

# What solver='auto' takes when no full-batch solver suits the fit.
AUTO_STOCHASTIC_SOLVER = "adagrad"


class SolverSpec:
    """The optimisation settings of one estimator.

    Parameters
    ----------
    params : dict
        The estimator's parameters (``get_params(deep=False)``).
    """

    def __init__(self, params):
        self.params = params
        self.penalty = make_penalty(
            params["penalty"], params["alpha"], params["l1_ratio"]
        )

    def holds_out(self, incremental):
        """Whether a fit without ``X_val`` holds out ``validation_fraction``
        of its rows: under ``early_stopping``, in ``fit`` (``partial_fit``
        trains on all it is given), and not for an explicit full-batch
        solver. L-BFGS and Newton do not stop on a validation score, so
        they train on all the rows, as scikit-learn's MLP does with
        ``solver="lbfgs"`` ('auto' is stochastic under early stopping)."""
        return (
            self.params["early_stopping"]
            and not incremental
            and self.params["solver"] not in FULL_BATCH_SOLVERS
        )

    def resolve(self, n_samples, n_features, incremental, loss, distributed=False):
        """The solver a fit on ``n_samples`` rows of ``n_features`` uses:
        ``solver`` itself, unless it is 'auto' (the linear models' default).

        'auto' is a full-batch solver when the objective suits it and the
        data is small enough for full-batch iterations to be cheap: a
        ``fit`` (not ``partial_fit``) of at most
        :data:`AUTO_LBFGS_MAX_SAMPLES` rows without early stopping. Then it
        is 'newton' when n_features + 1 is at most
        :data:`AUTO_NEWTON_MAX_FEATURES` and :meth:`obstacle` rules nothing
        out for it, else 'lbfgs' when nothing rules that out. Otherwise it
        is 'adagrad', whose steps decay by themselves (so a constant rate
        still settles) and which takes lazy steps on sparse data.

        ``distributed`` data (Dask input, ``_cluster``) has no Newton
        solver: its Hessian is not summed over the blocks. 'auto' passes
        it by, and an explicit 'newton' is a ``ValueError``.
        """
        solver = self.params["solver"]
        if distributed and solver == NEWTON_SOLVER:
            raise ValueError(
                "solver='newton' trains on data in memory only. On Dask input "
                "use solver='lbfgs' (data-parallel, the same optimum) or a "
                "stochastic solver."
            )
        if solver != AUTO_SOLVER:
            return solver
        if (
            incremental
            or n_samples > AUTO_LBFGS_MAX_SAMPLES
            or self.params["early_stopping"]
        ):
            return AUTO_STOCHASTIC_SOLVER
        if (
            not distributed
            and n_features + 1 <= AUTO_NEWTON_MAX_FEATURES
            and not self.obstacle(NEWTON_SOLVER, loss)
        ):
            return NEWTON_SOLVER
        if not self.obstacle(LBFGS_SOLVER, loss):
            return LBFGS_SOLVER
        return AUTO_STOCHASTIC_SOLVER

    def check(self, loss):
        """Raise the ValueError of an explicit full-batch solver that cannot
        work."""
        solver = self.params["solver"]
        if solver in FULL_BATCH_SOLVERS:
            obstacle = self.obstacle(solver, loss)
            if obstacle is not None:
                raise ValueError(obstacle)

    def obstacle(self, solver, loss):
        """Why the full-batch ``solver`` cannot minimise this objective (None:
        it can).

        The one list of what the full-batch solvers rule out: an explicit
        'lbfgs' or 'newton' raises it, and 'auto' takes another solver
        instead. Both need a smooth objective (a differentiable loss, no L1
        part, no dropout) and do not average; Newton needs the loss's
        curvature besides (``loss.has_hessian``). ``loss`` is the loss
        object, or None before the targets are known. (The MLPs do not
        offer 'newton': their parameter constraint refuses it.)
        """
        params = self.params
        if loss is not None and not loss.differentiable:
            return (
                f"solver={solver!r} needs a differentiable loss, got "
                f"loss={loss.name!r}. Use a stochastic solver such as 'adam' or "
                "'sgd'."
            )
        if self.penalty.has_l1:
            return (
                f"solver={solver!r} supports only the L2 penalty, got "
                f"penalty={params['penalty']!r}: L1 needs a proximal step. Use a "
                "stochastic solver such as 'adam' or 'sgd'."
            )
        if params["average"]:
            return (
                f"solver={solver!r} does not average its iterates (got average="
                f"{params['average']!r}): averaging is for the first-order "
                "solvers. Use average=False, or a solver such as 'sgd' or "
                "'adagrad'."
            )
        if params["dropout"] > 0:
            return (
                f"solver={solver!r} does not support dropout (got "
                f"dropout={params['dropout']}): "
                "dropout needs stochastic mini-batches. Use a stochastic solver."
            )
        if solver == NEWTON_SOLVER and loss is not None and not loss.has_hessian:
            return (
                f"solver='newton' needs a loss whose curvature is diagonal in "
                f"the raw scores, got loss={loss.name!r} (its outputs are coupled "
                "or it is not twice differentiable). Use solver='lbfgs' or a "
                "stochastic solver."
            )
        return None

    def make_optimizer(self, n_params, dtype, solver):
        """The first-order optimizer of ``solver`` (None for a full-batch one)."""
        if solver in FULL_BATCH_SOLVERS:
            return None
        return make_optimizer(
            solver, n_params, dtype, self.params, proximal=self.penalty.has_l1
        )

    def make_schedule(self):
        return make_schedule(self.params)

    def make_average(self, theta):
        """The iterate average ``average`` asks for, starting at θ (or None)."""
        average = self.params["average"]
        if not average:
            return None
        start = 1 if isinstance(average, bool) else int(average)
        return IterateAverage(theta, start)

    def batch_size(self, n_samples, auto_batch_size):
        """Rows per batch: ``batch_size`` resolved against the training rows."""
        batch_size = self.params["batch_size"]
        if batch_size == "full":
            return n_samples
        if batch_size == "auto":
            return auto_batch_size(n_samples)
        return min(batch_size, n_samples)

    def loop_config(self, n_samples, incremental, has_validation, auto_batch_size):
        params = self.params
        return LoopConfig(
            batch_size=self.batch_size(n_samples, auto_batch_size),
            shuffle=params["shuffle"],
            max_epochs=1 if incremental else params["max_iter"],
            tol=params["tol"],
            n_iter_no_change=params["n_iter_no_change"],
            stop_on_validation=params["early_stopping"]
            and has_validation
            and not incremental,
            verbose=bool(params["verbose"]),
            run_epochs=params["max_iter"],
            max_grad_norm=params["max_grad_norm"],
        )
