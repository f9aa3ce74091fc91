"""The solver specification: which solver a fit runs, and its parts.

:class:`SolverSpec` reads the estimator's optimisation parameters (the
solver, the penalty, the schedule, the batch size, the stopping rule) and
builds what the training loop takes: the resolved solver name, the
penalty, the optimizer, the schedule, the iterate average and the
:class:`~sgdlearn._training.LoopConfig`. It holds the one list of what
rules out L-BFGS.
"""

from ._averaging import IterateAverage
from ._optimizers import make_optimizer
from ._params import AUTO_SOLVER, FULL_BATCH_SOLVER
from ._penalties import make_penalty
from ._schedules import make_schedule
from ._training import LoopConfig

# solver='auto' uses L-BFGS up to this many training rows (see SolverSpec.resolve):
# beyond it, a few epochs of Adagrad reach the optimum's test loss sooner.
AUTO_LBFGS_MAX_SAMPLES = 100_000

# What solver='auto' takes when L-BFGS does not suit the fit.
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

    def resolve(self, n_samples, incremental, loss):
        """The solver a fit on ``n_samples`` rows uses: ``solver`` itself,
        unless it is 'auto' (the linear models' default).

        'auto' is 'lbfgs' when the objective suits it and the data is small
        enough for full-batch iterations to be cheap: a ``fit`` (not
        ``partial_fit``) of at most :data:`AUTO_LBFGS_MAX_SAMPLES` rows,
        with nothing :meth:`lbfgs_obstacle` rules out and no early
        stopping. Otherwise it is 'adagrad', whose steps decay by themselves
        (so a constant rate still settles) and which takes lazy steps on
        sparse data.
        """
        solver = self.params["solver"]
        if solver != AUTO_SOLVER:
            return solver
        full_batch = not (
            incremental
            or n_samples > AUTO_LBFGS_MAX_SAMPLES
            or self.params["early_stopping"]
            or self.lbfgs_obstacle(loss)
        )
        return FULL_BATCH_SOLVER if full_batch else AUTO_STOCHASTIC_SOLVER

    def check(self, loss):
        """Raise the ValueError of an explicit 'lbfgs' that cannot work."""
        if self.params["solver"] == FULL_BATCH_SOLVER:
            obstacle = self.lbfgs_obstacle(loss)
            if obstacle is not None:
                raise ValueError(obstacle)

    def lbfgs_obstacle(self, loss):
        """Why 'lbfgs' cannot minimise this objective (None: it can).

        The one list of what full-batch L-BFGS rules out: 'solver="lbfgs"'
        raises it, and 'solver="auto"' takes a stochastic solver instead.
        ``loss`` is the loss object, or None before the targets are known.
        """
        params = self.params
        if loss is not None and not loss.differentiable:
            return (
                f"solver='lbfgs' needs a differentiable loss, got "
                f"loss={loss.name!r}. Use a stochastic solver such as 'adam' or "
                "'sgd'."
            )
        if self.penalty.has_l1:
            return (
                "solver='lbfgs' supports only the L2 penalty, got "
                f"penalty={params['penalty']!r}: L1 needs a proximal step. Use a "
                "stochastic solver such as 'adam' or 'sgd'."
            )
        if params["average"]:
            return (
                f"solver='lbfgs' does not average its iterates (got average="
                f"{params['average']!r}): averaging is for the first-order "
                "solvers. Use average=False, or a solver such as 'sgd' or "
                "'adagrad'."
            )
        if params["dropout"] > 0:
            return (
                "solver='lbfgs' does not support dropout (got "
                f"dropout={params['dropout']}): "
                "dropout needs stochastic mini-batches. Use a stochastic solver."
            )
        return None

    def make_optimizer(self, n_params, dtype, solver):
        """The first-order optimizer of ``solver`` (None for 'lbfgs')."""
        if solver == FULL_BATCH_SOLVER:
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
