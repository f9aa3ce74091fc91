"""The one training loop: batches, epochs, monitoring, early stopping, L-BFGS.

(Newton's method, in ``_newton``, shares its framing: :class:`FullBatchRun`.)

Nothing here knows about estimators or scikit-learn: the estimator glue in
``_base`` hands in an objective, a :class:`TrainingState` to advance, the
training and validation data, a :class:`LoopConfig`, and a hook called after
each epoch (callbacks). Training mutates the state it is given; the glue
passes a copy and commits it only when training returns.
"""

import copy
import warnings
from dataclasses import dataclass, fields

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize

from . import _optimizers, _schedules
from ._averaging import IterateAverage
from ._csr import CSRBatch, CSRRows
from ._lazy import lazy_steps
from ._objective import Params


class TrainingState:
    """What a fit leaves behind for ``partial_fit`` and ``warm_start``.

    Besides θ, the optimizer's and schedule's state and the generator, it holds
    what mirrors the fitted attributes: ``t`` samples seen, ``n_iter`` epochs
    of all calls, the loss and validation curves, the stopping counters, and
    the best θ seen on the validation data (early stopping). ``average`` is the
    :class:`~sgdlearn._averaging.IterateAverage` of θ, or None.

    The schedule's clock (``_schedules``): ``step`` is the steps taken in
    the schedule's run (it goes on across ``partial_fit`` calls),
    ``schedule_samples`` the samples seen when the current epoch began as
    the schedule counts them (0 until the run's first epoch ends), and
    ``plateaus`` the plateaus that divided η (``"adaptive"``). All three
    start again with the schedule (:meth:`restart_schedule`).
    """

    def __init__(self, theta, optimizer, schedule, rng, average=None):
        self.theta = theta
        self.average = average
        self.optimizer = optimizer
        self.restart_schedule(schedule)
        self.rng = rng
        self.t = 0
        self.n_iter = 0
        self.initial_loss = None
        self.loss = None
        self.loss_curve = []
        self.best_loss = np.inf
        self.validation_scores = []
        self.validation_loss_curve = []
        self.best_validation_score = -np.inf
        self.no_improvement_count = 0
        self.best_theta = None

    def restart_schedule(self, schedule):
        """Start a new run of ``schedule`` (a new fit, or ``warm_start``)."""
        self.schedule = schedule
        self.step = 0
        self.schedule_samples = 0
        self.plateaus = 0

    def model_theta(self):
        """The parameters the model reports: θ, or its average when averaging."""
        if self.average is None:
            return self.theta
        return self.average.model_theta(self.theta)

    def restore(self, theta):
        """Go back to ``theta`` (early stopping's best), average included."""
        np.copyto(self.theta, theta)
        if self.average is not None:
            self.average.reset_to(theta)

    def continue_from(self, theta):
        """Continue from the public weights ``theta``: nothing changes when
        they are what the state reports; weights assigned by hand become θ
        (and the start of a new average)."""
        if not np.array_equal(theta, self.model_theta()):
            self.restore(theta)


# The classes whose instances a TrainingState holds, by name: what
# ``pack_state`` writes and ``unpack_state`` rebuilds.
_COMPONENTS = {
    cls.__name__: cls
    for cls in (
        *_optimizers.OPTIMIZERS.values(),
        *_schedules.SCHEDULES.values(),
        IterateAverage,
    )
}


def pack_component(component):
    if component is None:
        return None
    return {"kind": type(component).__name__, "fields": dict(vars(component))}


def unpack_component(packed):
    if packed is None:
        return None
    component = object.__new__(_COMPONENTS[packed["kind"]])
    vars(component).update(packed["fields"])
    return component


def pack_state(state):
    """The state as built-in containers of NumPy arrays and scalars.

    This is what an estimator keeps between calls, so that a fitted model
    holds nothing but its own class and such plain data: ``skops.io``
    loads it after trusting the estimator's class alone. The optimizer,
    schedule and average become ``{"kind": class name, "fields": their
    attributes}``, whose attributes are numbers, arrays and None.
    """
    packed = dict(vars(state))
    for name in ("optimizer", "schedule", "average"):
        packed[name] = pack_component(packed[name])
    return packed


def unpack_state(packed):
    """A new :class:`TrainingState` from :func:`pack_state`'s dict (copies)."""
    state = object.__new__(TrainingState)
    vars(state).update(copy.deepcopy(packed))
    for name in ("optimizer", "schedule", "average"):
        setattr(state, name, unpack_component(getattr(state, name)))
    return state


@dataclass(frozen=True)
class Dataset:
    """Rows to train or validate on: X (dense or CSR), 2-D Y, sample weights.

    ``sample_weight`` None means every weight is 1.
    """

    X: object
    Y: np.ndarray
    sample_weight: np.ndarray | None

    @property
    def n_samples(self):
        return self.X.shape[0]

    @property
    def n_targets(self):
        """Columns of the encoded targets Y."""
        return self.Y.shape[1]

    @property
    def weight_total(self):
        if self.sample_weight is None:
            return float(self.n_samples)
        return float(self.sample_weight.sum())

    def __sizeof__(self):
        """Bytes of the arrays held (what Dask counts for a block it keeps)."""
        arrays = [self.Y, self.sample_weight]
        if sp.issparse(self.X):
            arrays += [self.X.data, self.X.indices, self.X.indptr]
        else:
            arrays.append(self.X)
        return object.__sizeof__(self) + sum(
            a.nbytes for a in arrays if isinstance(a, np.ndarray)
        )

    def take(self, indices):
        """A new Dataset of the rows at ``indices`` (a copy)."""
        return Dataset(*self.rows(indices))

    def rows(self, rows):
        """(X, Y, sample_weight) of the selected rows: views for a slice."""
        return self.X[rows], *self.targets(rows)

    def targets(self, rows):
        """(Y, sample_weight) of the selected rows: views for a slice."""
        weight = None if self.sample_weight is None else self.sample_weight[rows]
        return self.Y[rows], weight

    # What the loops ask of their training data. A Dataset answers in this
    # process; ``_cluster.ClusterData`` answers the same questions from
    # blocks held on the workers of a Dask cluster.

    def best_constant(self, loss):
        """The raw output per column that fits Y best under ``loss``."""
        return loss.best_constant(self.Y, self.sample_weight)

    def full_batch(self, objective, dtype):
        """A function ``value_grad(params, grads)``: J/Σs at θ, its gradient
        written into ``grads`` (``Objective.value_grad`` on every row)."""
        ws = objective.network.workspace(
            objective.full_batch_rows(self.n_samples), dtype, share_output=True
        )

        def value_grad(params, grads):
            return objective.value_grad(
                params, grads, self.X, self.Y, self.sample_weight, ws
            )

        return value_grad

    def epoch_runner(self, objective, state, config):
        """A function running one epoch (:func:`run_epoch`) over the rows,
        advancing ``state``; it returns the epoch's loss J/Σs."""
        layout = objective.network.layout
        params = Params(state.theta, layout)
        grads = Params(np.zeros_like(state.theta), layout)
        batch_size = min(config.batch_size, self.n_samples)
        ws = objective.network.workspace(batch_size, state.theta.dtype)
        reader = BatchReader(self, batch_size)
        return lambda: run_epoch(objective, state, params, grads, reader, config, ws)

    def sample_loss(self, objective, params):
        """Σ s ℓ / Σ s (no penalty) at θ on a strided sample of at most
        about 1,000 rows (:func:`check_final`)."""
        step = max(1, self.n_samples // 1000)
        X, Y, w = self.rows(slice(0, None, step))
        return objective.mean_loss(objective.predict_raw(params, X), Y, w)

    def predict_raw(self, objective, params):
        """Raw outputs of every row at θ (validation)."""
        return objective.predict_raw(params, self.X)


@dataclass(frozen=True)
class LoopConfig:
    """Settings of one call to the loop (resolved from the estimator's params).

    ``run_epochs`` is the length of the schedule's run in epochs
    (``max_iter``; None: ``max_epochs``): a run has ``run_epochs`` × the
    batches per epoch steps, also when ``partial_fit`` trains one epoch per
    call (``_schedules``). ``max_grad_norm`` (None: no clipping) clips the
    Euclidean norm of each step's gradient before the optimizer sees it
    (:func:`clip_gradient`); epochs that clip take the dense steps, and
    L-BFGS ignores it.
    """

    batch_size: int
    shuffle: bool
    max_epochs: int
    tol: float
    n_iter_no_change: int
    stop_on_validation: bool
    verbose: bool = False
    run_epochs: int | None = None
    max_grad_norm: float | None = None


def iter_batches(n_samples, batch_size, rng, shuffle):
    """Yield the rows of each batch of an epoch.

    In order, batch k is the slice of contiguous rows [k·b, (k + 1)·b).
    Shuffled, the rows are permuted anew each epoch (as scikit-learn's MLP
    and PyTorch's ``DataLoader(shuffle=True)`` do) and each batch is an
    index array of b rows of that permutation, sorted (the order within a
    batch changes nothing but the memory access pattern of the gather). So
    every epoch's batches are a fresh random partition of the rows, and the
    training does not depend on the order the rows come in. A single batch
    holding every row is the slice of all rows either way.
    """
    if not shuffle or batch_size >= n_samples:
        for start in range(0, n_samples, batch_size):
            yield slice(start, min(start + batch_size, n_samples))
        return
    order = rng.permutation(n_samples)
    for start in range(0, n_samples, batch_size):
        yield np.sort(order[start : start + batch_size])


class BatchReader:
    """Reads the batches of a :class:`Dataset` without copying X per epoch.

    A slice of rows is read as views (scipy copies a slice of a sparse
    matrix; a :class:`~sgdlearn._csr.CSRBatch` of it, which the lazy sparse
    steps ask for, holds views). Rows given as an index array (a shuffled
    batch) are gathered into buffers made on the first such read and
    reused after: dense arrays with ``np.take(..., out=)`` into buffers of
    ``batch_size`` rows, so a shuffled epoch of dense data allocates
    nothing; sparse X by :class:`~sgdlearn._csr.CSRRows`. A gathered batch
    is valid until the next read.
    """

    def __init__(self, data, batch_size):
        self.data = data
        self.batch_size = batch_size
        self._buffers = None

    def read(self, rows, csr_batch=False):
        """(X, Y, sample_weight) of the batch at ``rows``; with ``csr_batch``
        sparse X comes as a :class:`~sgdlearn._csr.CSRBatch`, not a matrix."""
        data = self.data
        if isinstance(rows, slice):
            if not (csr_batch and sp.issparse(data.X)):
                return data.rows(rows)
            return CSRBatch.of_slice(data.X, rows), *data.targets(rows)
        arrays = (data.X, data.Y, data.sample_weight)
        if self._buffers is None:
            self._buffers = [_row_buffer(a, self.batch_size) for a in arrays]
        return tuple(
            _take_rows(a, rows, b, csr_batch) for a, b in zip(arrays, self._buffers)
        )


def _row_buffer(array, n_rows):
    """A buffer for ``n_rows`` rows of ``array``: an array, a
    :class:`~sgdlearn._csr.CSRRows` for sparse X, None for None."""
    if array is None:
        return None
    if sp.issparse(array):
        return CSRRows(array)
    return np.empty((n_rows, *array.shape[1:]), dtype=array.dtype)


def _take_rows(array, rows, buffer, csr_batch=False):
    """The rows of ``array`` (None stays None), gathered into ``buffer``;
    sparse rows as a :class:`~sgdlearn._csr.CSRBatch` with ``csr_batch``."""
    if array is None:
        return None
    if isinstance(buffer, CSRRows):
        return buffer.take_batch(rows) if csr_batch else buffer.take(rows)
    return np.take(array, rows, axis=0, out=buffer[: len(rows)])


# A loss this many times the loss at the starting θ (at least 1) means the
# steps blow up, even while it is still finite: training that works never
# climbs that far above where it started, and a stall would otherwise stop
# it there silently.
DIVERGENCE_FACTOR = 1e4


def _diverged(loss, state):
    if not np.isfinite(loss) or not np.isfinite(state.theta).all():
        return True
    start = state.initial_loss if state.initial_loss is not None else loss
    return loss > DIVERGENCE_FACTOR * max(start, 1.0)


def divergence_error(epoch, lbfgs=False):
    advice = (
        "Try to scale the features (for example with sklearn.preprocessing."
        "StandardScaler) or the targets."
        if lbfgs
        else "Use a smaller learning_rate_init, or scale the features (for "
        "example with sklearn.preprocessing.StandardScaler)."
    )
    # scikit-learn's MLP sentence is kept, so that code matching it still works
    return ValueError(
        f"Training diverged at epoch {epoch}: the loss or the parameters became "
        "NaN, infinite or exploded. Solver produced non-finite parameter weights. "
        f"The input data may contain large values and need to be preprocessed. {advice}"
    )


def check_final(objective, params, state, train):
    """Raise the divergence error if θ at the end of training blows up.

    The epoch losses are taken before each step, so a last step that
    overflows would go unseen: evaluate the loss at the final θ on a strided
    sample of at most 1,000 training rows. (L-BFGS needs no such sample:
    its final loss is J/Σs at the final θ.)
    """
    with np.errstate(all="ignore"):
        loss = train.sample_loss(objective, params)
    if _diverged(loss + objective.penalty_per_sample(params), state):
        raise divergence_error(max(state.n_iter, 1))


def _validate(objective, params, val, epoch):
    """(score, mean validation loss + penalty per sample) at the current θ.

    Finite raw outputs can still overflow through the link (ŷ = exp(z)), and
    a score of infinite predictions is meaningless: an infinite validation
    loss is the divergence error, checked before scoring.
    """
    raw = val.data.predict_raw(objective, params)
    # mean_loss overwrites its input; the score needs the raw outputs
    loss = objective.mean_loss(raw.copy(), val.data.Y, val.data.sample_weight)
    if not (np.isfinite(raw).all() and np.isfinite(loss)):
        raise divergence_error(epoch)
    return val.score(raw), loss + objective.penalty_per_sample(params)


@dataclass(frozen=True)
class FitRequest:
    """What a fit was called with: the data as given, the validation data
    (X_val, y_val, sample_weight_val) or None, whether it continues
    (``partial_fit``), the classes of a first ``partial_fit``, and the state
    and target encoding of the fit being continued (or None)."""

    X: object
    y: object
    sample_weight: object
    validation: tuple | None
    incremental: bool
    classes: object
    old_state: object
    known: dict | None


def astuple_shallow(instance):
    """A dataclass's fields as a tuple, in order, not copied."""
    return tuple(getattr(instance, f.name) for f in fields(instance))


@dataclass(frozen=True)
class FitData:
    """A fit's data, checked and encoded: X, y and sample_weight as the
    callbacks see them, the training rows, the validation rows (a
    :class:`Validation` or None), the targets' encoding and the loss."""

    X: object
    y: object
    sample_weight: object
    train: object
    val: object
    encoding: dict
    loss: object


def zero_weights_error():
    return ValueError("The sample weights sum to zero: there is nothing to fit.")


@dataclass(frozen=True)
class Validation:
    """Validation rows and the estimator's score of raw outputs on them."""

    data: Dataset
    score: object


def record_epoch(state, objective, params, loss, val, config, n_samples):
    """Append an epoch's figures; update the stopping rule. True means stop."""
    state.n_iter += 1
    state.t += n_samples
    if _diverged(loss, state):
        raise divergence_error(state.n_iter)
    state.loss = loss
    state.loss_curve.append(loss)
    if config.verbose:
        print(f"Iteration {state.n_iter}, loss = {loss:.8f}")
    if state.average is not None:
        params = Params(state.model_theta(), objective.network.layout)
    if val is not None:
        score, val_loss = _validate(objective, params, val, state.n_iter)
        state.validation_scores.append(score)
        state.validation_loss_curve.append(val_loss)
        if config.verbose:
            print(f"Validation score: {score:f}")
    if config.stop_on_validation:
        improved = score >= state.best_validation_score + config.tol
        if score > state.best_validation_score:
            state.best_theta = state.model_theta().copy()
    else:
        improved = loss <= state.best_loss - config.tol
    if val is not None:
        state.best_validation_score = max(state.best_validation_score, score)
    state.best_loss = min(state.best_loss, loss)
    state.no_improvement_count = 0 if improved else state.no_improvement_count + 1
    state.schedule_samples = state.t
    if state.no_improvement_count > config.n_iter_no_change:
        return _on_plateau(state, config)
    return False


def _on_plateau(state, config):
    """The plateau rule, once the criterion stalled; True means stop.

    A schedule without a ``plateau_divisor`` stops. One with it
    (``"adaptive"``) has η divided by it, unless η₀ so divided
    (:func:`decayed_rate`) is already at most its ``min_lr``: then it stops.
    With ``verbose``, says which, in scikit-learn's MLP's words.
    """
    schedule = state.schedule
    if schedule.plateau_divisor is None:
        _say_plateau(config, "Stopping.")
        return True
    if decayed_rate(schedule.lr0, state) <= schedule.min_lr:
        _say_plateau(config, "Learning rate too small. Stopping.")
        return True
    state.plateaus += 1
    state.no_improvement_count = 0
    _say_plateau(
        config, f"Setting learning rate to {decayed_rate(schedule.lr0, state):f}"
    )
    return False


def _say_plateau(config, outcome):
    if config.verbose:
        criterion = "Validation score" if config.stop_on_validation else "Training loss"
        print(
            f"{criterion} did not improve more than tol={config.tol:f} for "
            f"{config.n_iter_no_change} consecutive epochs. {outcome}"
        )


def decayed_rate(lr, state):
    """``lr`` divided by the schedule's ``plateau_divisor`` once per plateau.

    Division after division, so that "adaptive" gives η₀/5/5… to the bit.
    """
    for _ in range(state.plateaus):
        lr /= state.schedule.plateau_divisor
    return lr


def epoch_rates(state, n_steps, n_batches):
    """(η of the epoch's first step, the list of each step's η or None).

    The list is None when the schedule holds η for the whole epoch, else
    it has one float per batch. ``n_steps`` is the run's planned steps; the
    epoch's steps are numbered from ``state.step``.
    """
    schedule, first, samples = state.schedule, state.step, state.schedule_samples
    if not schedule.varies_per_step:
        return decayed_rate(schedule.rate(first, n_steps, samples), state), None
    rates = [
        decayed_rate(schedule.rate(step, n_steps, samples), state)
        for step in range(first, first + n_batches)
    ]
    return rates[0], rates


def clip_gradient(grad, max_norm):
    """Scale ``grad`` in place to the Euclidean norm ``max_norm`` if longer.

    ``grad`` is the flat gradient the optimizer is about to see (Adagrad's
    leaves the L2 part out: it is applied by the proximal step). Clipping
    changes the path, not the minimum: full-batch steps keep their fixed
    points, as ∇J = 0 there is never clipped. With mini-batches a clip that
    still acts near the optimum biases the average step, so ``max_norm``
    should sit above the batch gradients' norms there.

    The norm is one dot product of the flat vector; only when its square
    overflows is it taken again from the gradient scaled by its largest
    entry.
    """
    squared = float(np.dot(grad, grad))
    if not squared > max_norm * max_norm:  # also NaN: let divergence show
        return
    if np.isfinite(squared):
        norm = np.sqrt(squared)
    else:
        largest = float(np.max(np.abs(grad)))
        scaled = grad / largest
        norm = largest * np.sqrt(float(np.dot(scaled, scaled)))
    grad *= max_norm / norm


class DenseSteps:
    """The steps of one epoch on dense (or any) batches: the whole θ each step.

    ``step`` computes the gradient of the batch ``(X, Y, sample_weight)``,
    clips its norm to ``max_grad_norm`` (None: no clipping), takes the
    optimizer's step with the rate ``lr`` (the loop sets it before each
    step when the schedule changes it per step) and the proximal step when
    the penalty needs one, and returns the batch's Σ s ℓ; ``finish`` has
    nothing to do (see ``_lazy.LazySparseSteps``).
    """

    def __init__(self, objective, optimizer, params, grads, ws, lr, max_grad_norm):
        self.objective = objective
        self.optimizer = optimizer
        self.params = params
        self.grads = grads
        self.ws = ws
        self.lr = lr
        self.max_grad_norm = max_grad_norm
        self.with_l2 = not optimizer.prox_l2
        self.prox = optimizer.needs_prox(objective.penalty)
        self.prox_scale = 1.0 / objective.weight_total

    def step(self, batch, rng, grad_scale):
        X, Y, sample_weight = batch
        params, grads = self.params, self.grads
        loss = self.objective.batch_grad(
            params, grads, X, Y, sample_weight, self.ws, rng, grad_scale, self.with_l2
        )
        if self.max_grad_norm is not None:
            clip_gradient(grads.theta, self.max_grad_norm)
        self.optimizer.step(params.theta, grads.theta, self.lr)
        if self.prox:
            self.optimizer.prox(
                params.coef, self.objective.penalty, self.lr, self.prox_scale
            )
        return loss

    csr_batch = False  # sparse X as a matrix (``BatchReader.read``)

    def finish(self):
        pass


def run_epoch(objective, state, params, grads, reader, config, ws):
    """One pass over the training rows; returns the epoch's loss J/Σs.

    Each of the q batches steps along (q/Σs)·Σ_B s_i ∇ℓ_i + (alpha/Σs)·∇P:
    an unbiased estimate of ∇(J/Σs) that counts every row equally over an
    epoch, so batches of unequal weight (a short last batch) do not move
    the minimum. The loss is Σ_B s ℓ over the batches, each at the θ its
    gradient was taken at, divided by Σs, plus the penalty per sample at
    the θ the epoch started from (J(θ)/Σs itself for a full batch). Sparse
    batches of a linear model with ``"sgd"`` or ``"adagrad"`` take lazy
    steps (``_lazy``) unless θ is averaged (the average moves every
    coordinate at every step), the gradient clipped or the rate changes
    per step; the others dense ones.

    The rate comes from the schedule (:func:`epoch_rates`), once for the
    epoch or, for a schedule evaluated per step, before each step; each
    step taken advances ``state.step``.
    """
    optimizer, train, rng = state.optimizer, reader.data, state.rng
    n = train.n_samples
    n_batches = -(-n // min(config.batch_size, n))
    grad_scale = n_batches / objective.weight_total
    penalty_loss = objective.penalty_per_sample(params)
    average = state.average
    n_steps = (config.run_epochs or config.max_epochs) * n_batches
    lr, rates = epoch_rates(state, n_steps, n_batches)
    steps = None
    if average is None:
        steps = lazy_steps(
            objective,
            optimizer,
            params,
            grads,
            ws,
            lr,
            n_batches,
            train.X,
            constant_rate=rates is None,
            clipped=config.max_grad_norm is not None,
        )
    if steps is None:
        steps = DenseSteps(
            objective, optimizer, params, grads, ws, lr, config.max_grad_norm
        )
    data_loss, seen, taken = 0.0, state.t, 0
    try:
        for rows in iter_batches(n, config.batch_size, rng, config.shuffle):
            if rates is not None:
                steps.lr = rates[taken]
            batch = reader.read(rows, steps.csr_batch)
            batch_loss = steps.step(batch, rng, grad_scale)
            taken += 1
            if average is not None:
                seen += len(batch[1])
                average.update(params.theta, seen)
            data_loss += batch_loss
            if state.initial_loss is None:  # the estimate of J/Σs at the start
                state.initial_loss = batch_loss * grad_scale + penalty_loss
    finally:
        state.step += taken
        steps.finish()
    return data_loss / objective.weight_total + penalty_loss


def train_epochs(objective, state, train, val, config, hooks):
    """Run up to ``config.max_epochs`` epochs of a first-order solver.

    ``hooks.epoch_begin(state)`` and ``hooks.epoch_end(state)`` frame each
    epoch; a true answer from ``epoch_end`` stops training (callbacks).
    Returns True when a stopping rule ended training, False when the epochs
    ran out. A KeyboardInterrupt stops after the current batch with a
    warning, keeping what was learned.
    """
    params = Params(state.theta, objective.network.layout)
    epoch = train.epoch_runner(objective, state, config)
    stopped = False
    with np.errstate(all="ignore"):
        try:
            for _ in range(config.max_epochs):
                hooks.epoch_begin(state)
                loss = epoch()
                stopped = record_epoch(
                    state, objective, params, loss, val, config, train.n_samples
                )
                stopped = bool(hooks.epoch_end(state)) or stopped
                if stopped:
                    break
        except KeyboardInterrupt:
            warn_interrupted()
            stopped = True
        if config.stop_on_validation and state.best_theta is not None:
            state.restore(state.best_theta)
        check_final(objective, params, state, train)
    return stopped


# L-BFGS's tolerance on the relative decrease of J (scipy's ``ftol``): a few
# float64 epsilons, so that it stops on the gradient unless J/Σs cannot tell
# a decrease any more (Newton's method stops there too).
LBFGS_FTOL = 64 * np.finfo(float).eps


class FullBatchRun:
    """What the full-batch solvers share: L-BFGS here, Newton in ``_newton``.

    It holds the buffers of a whole-data evaluation of J/Σs and its
    gradient at ``state.theta`` (:meth:`evaluate`), and frames the
    iterations like epochs: :meth:`begin` opens the first one,
    :meth:`end_iteration` records an iteration's loss (one loss-curve
    entry, the validation figures) and opens the next (the last one
    opened never runs), and :meth:`finish` sets the final loss and raises
    the divergence error. Early stopping, the schedule and
    ``max_grad_norm`` do not apply: the solver stops on the gradient.
    """

    def __init__(self, objective, state, train, val, config, hooks):
        layout = objective.network.layout
        self.objective, self.state, self.train, self.val = objective, state, train, val
        self.hooks = hooks
        self.params = Params(state.theta, layout)
        self.grads = Params(np.zeros_like(state.theta), layout)
        self._value_grad = train.full_batch(objective, state.theta.dtype)
        self.config = LoopConfig(1, False, 1, config.tol, 0, False, config.verbose)

    def evaluate(self):
        """J/Σs at ``state.theta``, its gradient written into ``grads``."""
        return self._value_grad(self.params, self.grads)

    def begin(self):
        self.hooks.epoch_begin(self.state)

    def end_iteration(self, loss):
        """Record an iteration ending at ``state.theta`` with J/Σs ``loss``;
        True when a hook asks to stop."""
        state = self.state
        record_epoch(
            state,
            self.objective,
            self.params,
            loss,
            self.val,
            self.config,
            self.train.n_samples,
        )
        stop = self.hooks.epoch_end(state)
        self.hooks.epoch_begin(state)
        return bool(stop)

    def finish(self, loss):
        """Set the final J/Σs; raise the divergence error when it blew up."""
        state = self.state
        state.loss = float(loss)
        if _diverged(state.loss, state):
            raise divergence_error(max(state.n_iter, 1), lbfgs=True)


def warn_interrupted():
    """The warning of a fit stopped by KeyboardInterrupt (at the estimator's fit)."""
    warnings.warn("Training interrupted by user.", UserWarning, stacklevel=4)


def train_lbfgs(objective, state, train, val, config, max_fun, hooks):
    """Full-batch L-BFGS (scipy) on J/Σs; one loss-curve entry per iteration.

    Early stopping does not apply (as in scikit-learn's MLP); validation
    curves are recorded when validation data is given. The schedule and
    ``max_grad_norm`` do not apply either (the line search sets the step).
    Each iteration is framed by the hooks like an epoch (:class:`FullBatchRun`).
    Returns True when scipy reports convergence or a hook stopped it.
    """
    run = FullBatchRun(objective, state, train, val, config, hooks)
    overflowed = False
    last = {}  # the point evaluated last, and J/Σs there

    def fun(x):
        nonlocal overflowed
        np.copyto(state.theta, x, casting="unsafe")
        value = run.evaluate()
        overflowed = overflowed or not np.isfinite(value)
        if state.initial_loss is None:  # scipy evaluates the start first
            state.initial_loss = value
        last.update(x=x.copy(), value=value)
        return value, run.grads.theta.astype(np.float64)

    stopped_by_hook = False
    last_iterate = state.theta.astype(np.float64)

    def callback(intermediate_result):
        nonlocal stopped_by_hook
        last_iterate[...] = intermediate_result.x
        np.copyto(state.theta, intermediate_result.x, casting="unsafe")
        if run.end_iteration(float(intermediate_result.fun)):
            stopped_by_hook = True
            raise StopIteration

    with np.errstate(all="ignore"):
        run.begin()
        state.initial_loss = None
        try:
            result = minimize(
                fun,
                last_iterate.copy(),
                jac=True,
                method="L-BFGS-B",
                callback=callback,
                options={
                    "maxiter": config.max_epochs,
                    "maxfun": max_fun,
                    "gtol": config.tol,
                    # stop on the gradient, not on a small relative change of J
                    "ftol": LBFGS_FTOL,
                },
            )
            final, success = result.x, bool(result.success)
            if overflowed and not success:  # the line search ran into overflow
                raise divergence_error(state.n_iter + 1, lbfgs=True)
        except KeyboardInterrupt:
            warn_interrupted()
            final, success = last_iterate, True
        # the loss of the θ returned: scipy's last evaluation, unless that
        # was a line-search trial it did not accept
        if "x" not in last or not np.array_equal(final, last["x"]):
            fun(final)
        np.copyto(state.theta, final, casting="unsafe")
        run.finish(last["value"])
        return success or stopped_by_hook
