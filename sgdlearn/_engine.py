"""The fit engine: one fit or partial_fit of any estimator, from its parts.

An estimator hands in its model part (``_models``), its target encoder
(``_regressor.RegressionTargets`` or ``_classifier.ClassTargets``) and its
solver specification (``_solver.SolverSpec``). The engine validates the
data, continues or starts the training state, holds out validation rows,
builds the objective, reports epochs to scikit-learn's callbacks, runs the
training loop, and commits the fitted attributes. It works on a copy of the
training state and commits only at the end: a fit that raises leaves the
estimator exactly as it was (:func:`rollback_on_error`).
"""

import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, validate_data

from . import _cluster
from ._activations import ACTIVATIONS
from ._dask_collections import is_dask_input
from ._input import checked_X_y
from ._losses import make_loss
from ._networks import Layout, Network
from ._newton import train_newton
from ._objective import Objective
from ._params import FULL_BATCH_SOLVERS, LBFGS_SOLVER
from ._threads import blas_threads_for
from ._training import (
    Dataset,
    FitData,
    FitRequest,
    TrainingState,
    Validation,
    astuple_shallow,
    pack_state,
    train_epochs,
    train_lbfgs,
    unpack_state,
    zero_weights_error,
)
from ._validation_check import warn_if_unlike_training

# Attributes that scikit-learn's callback machinery keeps on the estimator
# during fit; they survive the rollback of a failed fit.
_CALLBACK_ATTRIBUTES = ("_callback_fit_ctx", "_skl_callbacks_to_teardown")


@dataclass(frozen=True)
class Parts:
    """What an estimator is made of: model, target encoder, solver spec."""

    model: object
    targets: object
    solver: object


@contextmanager
def rollback_on_error(estimator):
    """Restore the estimator's attributes if the block raises."""
    saved = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        kept = {
            k: estimator.__dict__[k]
            for k in _CALLBACK_ATTRIBUTES
            if k in estimator.__dict__
        }
        estimator.__dict__.clear()
        estimator.__dict__.update(saved)
        estimator.__dict__.update(kept)
        raise


class _EpochCallbacks:
    """Reports each epoch (full-batch solvers: iteration) to callbacks as a
    sub-task."""

    def __init__(self, estimator, context, X, y, metadata, attributes):
        self._estimator = estimator
        self._context = context
        self._kwargs = {"X": X, "y": y, "metadata": metadata}
        self._attributes = attributes
        self._task = None

    def epoch_begin(self, state):
        self._task = self._context.subcontext(task_name="epoch")
        self._task.call_on_fit_task_begin(
            estimator=self._estimator,
            reconstruction_attributes=lambda: self._attributes(state),
            **self._kwargs,
        )

    def epoch_end(self, state):
        task, self._task = self._task, None
        return task.call_on_fit_task_end(
            estimator=self._estimator,
            reconstruction_attributes=lambda: self._attributes(state),
            **self._kwargs,
        )

    def close(self):
        """End a sub-task that was begun but never ran (the full-batch
        solvers' last one)."""
        if self._task is not None:
            self._task.call_on_fit_task_end(estimator=self._estimator)
            self._task = None


def fit(estimator, parts, X, y, sample_weight, *, validation, incremental, classes):
    """Fit (or continue, for ``incremental``) ``estimator`` made of ``parts``.

    ``validation`` is (X_val, y_val, sample_weight_val) or None. Returns
    the estimator with its fitted attributes committed.
    """
    model, targets, spec = parts.model, parts.targets, parts.solver
    spec.check(None)  # the parameters alone rule 'lbfgs' out: before the data
    # As scikit-learn's MLP: partial_fit and warm_start continue from the
    # public weights whenever they exist, also when assigned by hand to an
    # estimator never fitted (then with a fresh optimizer and history).
    continuing = (incremental or estimator.warm_start) and model.has_weights(estimator)
    packed = getattr(estimator, "_state", None) if continuing else None
    old_state = None if packed is None else unpack_state(packed)
    known = None if old_state is None else targets.known_encoding(estimator)
    request = FitRequest(
        X, y, sample_weight, validation, incremental, classes, old_state, known
    )
    dask_input = is_dask_input(X, y, sample_weight, *(validation or ()))
    prepare = _cluster.prepare_data if dask_input else prepare_data
    data = prepare(estimator, parts, request)
    X, y, sample_weight = data.X, data.y, data.sample_weight
    train, val, encoding, loss = data.train, data.val, data.encoding, data.loss
    solver = spec.resolve(
        X.shape[0], X.shape[1], incremental, loss, distributed=dask_input
    )
    layout = Layout((X.shape[1], *model.hidden_layer_sizes, encoding["n_outputs_"]))
    if continuing:
        theta = theta_from_weights(estimator, model, layout, X.dtype, "continue from")
        if old_state is None:
            state = new_state(estimator, model, spec, layout, X.dtype, solver)
        else:
            state = continued_state(
                estimator, spec, old_state, layout, incremental, solver
            )
        state.continue_from(theta)
    else:
        state = new_state(estimator, model, spec, layout, X.dtype, solver)
        model.start(state.theta, layout, loss, train)

    objective = make_objective(
        model,
        spec,
        layout,
        loss,
        train.weight_total,
        model.constant_outputs(loss, train.n_targets),
    )
    model.check_batch_size(spec.params["batch_size"], solver, train.n_samples)
    config = spec.loop_config(
        train.n_samples, incremental, val is not None, model.auto_batch_size
    )
    first_epoch = state.n_iter

    def attributes(current):
        return fitted_attributes(
            estimator,
            model,
            current,
            layout,
            encoding,
            val is not None,
            first_epoch,
            solver,
        )

    full_batch = solver in FULL_BATCH_SOLVERS
    max_subtasks = config.max_epochs + 1 if full_batch else config.max_epochs
    context = estimator._init_callback_context(max_subtasks=max_subtasks)
    metadata = {"sample_weight": sample_weight}
    context.call_on_fit_task_begin(estimator=estimator, X=X, y=y, metadata=metadata)
    hooks = _EpochCallbacks(estimator, context, X, y, metadata, attributes)
    rows = (
        objective.full_batch_rows(train.n_samples) if full_batch else config.batch_size
    )
    with blas_threads_for(rows, layout.layer_units):
        if solver == LBFGS_SOLVER:
            converged = train_lbfgs(
                objective, state, train, val, config, model.max_fun, hooks
            )
        elif full_batch:
            converged = train_newton(objective, state, train, val, config, hooks)
        else:
            converged = train_epochs(objective, state, train, val, config, hooks)
    hooks.close()
    if not converged and not incremental:
        message = model.convergence_message(
            solver,
            config.max_epochs,
            state.n_iter - first_epoch,
            model.max_fun,
            type(estimator).__name__,
        )
        # stacklevel 3: the estimator's fit, so a filter on module 'sgdlearn' works
        warnings.warn(message, ConvergenceWarning, stacklevel=3)

    for name, value in attributes(state).items():
        setattr(estimator, name, value)
    estimator._state = pack_state(state)  # plain data: skops trusts it
    context.call_on_fit_task_end(
        estimator=estimator, X=X, y=y, metadata=metadata, reconstruction_attributes={}
    )
    return estimator


def prepare_data(estimator, parts, request):
    """:class:`FitData` of in-memory data (the cluster's: ``_cluster``)."""
    X, y, sample_weight, validation, incremental, classes, old_state, known = (
        astuple_shallow(request)
    )
    targets, spec = parts.targets, parts.solver
    X, y = validate_training_data(estimator, X, y, old_state, targets.y_numeric)
    sample_weight = checked_weights(sample_weight, X)
    if known is not None and not incremental:
        targets.check_warm_start(y, known)
    Y, encoding = targets.encode(y, X.dtype, known=known, classes=classes)
    loss = make_loss(encoding["_loss_"])
    spec.check(loss)
    class_factor = targets.class_weight_factor(y, encoding, incremental, sample_weight)
    if class_factor is not None:
        sample_weight = class_factor.astype(X.dtype) * (
            1.0 if sample_weight is None else sample_weight
        )
    if sample_weight is not None and not sample_weight.sum() > 0:
        raise zero_weights_error()
    train, val = split_validation(
        estimator, parts, X, Y, sample_weight, validation, incremental, encoding, loss
    )
    return FitData(X, y, sample_weight, train, val, encoding, loss)


def validate_training_data(estimator, X, y, old_state, y_numeric):
    """Checked X (dense C-ordered or CSR) and y; a continued fit keeps its dtype."""
    dtype = float_dtypes(X) if old_state is None else old_state.theta.dtype
    with explain_conversion_errors():
        X, y = checked_X_y(
            estimator,
            X,
            y,
            reset=old_state is None,
            accept_sparse="csr",
            dtype=dtype,
            order="C",
            multi_output=True,
            y_numeric=y_numeric,
        )
    return X, y


def theta_from_weights(estimator, model, layout, dtype, action):
    """θ packed from the public weights, after checking their shapes."""
    model.check_weight_shapes(estimator, layout.layer_units, action)
    coefs, intercepts = model.layers(estimator)
    return layout.pack(coefs, intercepts, dtype)


def make_objective(model, spec, layout, loss, weight_total, constant_outputs):
    network = Network(
        layout,
        ACTIVATIONS[model.activation],
        dropout=spec.params["dropout"],
        dropout_input=model.dropout_input,
    )
    return Objective(
        network,
        loss,
        spec.penalty,
        weight_total=weight_total,
        fit_intercept=model.fit_intercept,
        constant_outputs=constant_outputs,
    )


def split_validation(
    estimator, parts, X, Y, sample_weight, validation, incremental, encoding, loss
):
    """Training rows and the validation rows (given, held out, or none)."""
    targets = parts.targets
    X_val, y_val, sw_val = validation if validation is not None else (None,) * 3
    if X_val is not None:
        X_val, y_val = validate_data(
            estimator,
            X_val,
            y_val,
            reset=False,
            accept_sparse="csr",
            dtype=X.dtype,
            order="C",
            multi_output=True,
            y_numeric=targets.y_numeric,
        )
        Y_val, _ = targets.encode(y_val, X.dtype, known=encoding, name="y_val")
        sw_val = checked_weights(sw_val, X_val, name="sample_weight_val")
        warn_if_unlike_training(X, X_val)
        train, val = Dataset(X, Y, sample_weight), Dataset(X_val, Y_val, sw_val)
    elif parts.solver.holds_out(incremental):
        train, val = hold_out(
            estimator, Dataset(X, Y, sample_weight), targets.stratify(Y, encoding)
        )
    else:
        return Dataset(X, Y, sample_weight), None
    return train, Validation(
        val,
        lambda raw: targets.score(loss, raw, val.Y, val.sample_weight, encoding),
    )


def hold_out(estimator, data, stratification):
    """(training, validation) Datasets: ``validation_fraction`` of the rows
    held out for early stopping, stratified by the labels given (when they
    cannot be and the stratification is not ``required``, at random)."""
    fraction, n = estimator.validation_fraction, data.n_samples
    stratify, strata, required = stratification
    seed = new_rng(estimator).integers(np.iinfo(np.int32).max)

    def split(stratify):
        try:
            return train_test_split(
                np.arange(n), test_size=fraction, random_state=seed, stratify=stratify
            )
        except ValueError as exc:
            if stratify is not None and not required:
                return split(None)
            raise ValueError(
                f"Cannot hold out validation_fraction={fraction} of {n} samples "
                f"for early stopping: {exc}{strata}. Increase validation_fraction, "
                "give more data, or pass X_val and y_val."
            ) from exc

    rows_train, rows_val = split(stratify)
    if rows_val.size < 2:
        raise ValueError(
            "The validation set is too small for early stopping "
            f"({rows_val.size} sample). Increase validation_fraction or the "
            "size of your data set, or pass X_val and y_val."
        )
    train, val = data.take(np.sort(rows_train)), data.take(np.sort(rows_val))
    for part, rows in (("training", train), ("validation", val)):
        if not rows.weight_total > 0:
            raise ValueError(
                f"The sample weights of the {part} rows sum to zero after holding "
                f"out validation_fraction={fraction} for early stopping. Give "
                "weight to more samples, or pass X_val and y_val."
            )
    return train, val


def new_rng(estimator):
    """The fit's own generator, drawn once from ``random_state``."""
    seed = check_random_state(estimator.random_state).randint(np.iinfo(np.int32).max)
    return np.random.default_rng(seed)


def new_state(estimator, model, spec, layout, dtype, solver):
    rng = new_rng(estimator)
    activation = ACTIVATIONS[model.activation]
    theta = layout.initial_theta(rng, dtype, model.weight_init, activation)
    return TrainingState(
        theta,
        spec.make_optimizer(layout.size, dtype, solver),
        spec.make_schedule(),
        rng,
        average=spec.make_average(theta),
    )


def continued_state(estimator, spec, old_state, layout, incremental, solver):
    """The last training state (unpacked: a copy already), to continue from."""
    if old_state.theta.size != layout.size:
        raise ValueError(
            "The data does not fit the model being continued: it has "
            f"{layout.size} parameters for this data but {old_state.theta.size} "
            "were fitted. Refit without warm_start."
        )
    state, dtype = old_state, old_state.theta.dtype
    if not incremental:
        # warm_start, as scikit-learn's MLP: keep θ and the history (the
        # curves go on), restart the optimizer and the schedule.
        state.rng = new_rng(estimator)
        state.optimizer = spec.make_optimizer(layout.size, dtype, solver)
        state.restart_schedule(spec.make_schedule())
    elif state.optimizer is None and solver not in FULL_BATCH_SOLVERS:
        state.optimizer = spec.make_optimizer(layout.size, dtype, solver)
    # the average goes on (scikit-learn's SGD): made or dropped only when
    # ``average`` was switched on or off between the calls
    if not spec.params["average"]:
        state.average = None
    elif state.average is None:
        state.average = spec.make_average(state.theta)
    return state


def fitted_attributes(
    estimator, model, state, layout, encoding, has_validation, first_epoch, solver
):
    """Every fitted attribute as a dict: committed after fit, and given to
    callbacks to build a ready-to-predict copy mid-fit.

    ``n_iter_`` counts the epochs of this call only (so 1 after a
    ``partial_fit``), as in scikit-learn; ``t_`` and the curves go on.
    """
    stopped_on_validation = (
        estimator.early_stopping and has_validation and solver not in FULL_BATCH_SOLVERS
    )
    attributes = dict(encoding)
    attributes.update(model.attributes(layout, state.model_theta()))
    attributes.update(
        solver_=solver,
        n_iter_=state.n_iter - first_epoch,
        t_=state.t,
        loss_=_numpy_float(state.loss),
        loss_curve_=_numpy_floats(state.loss_curve),
        best_loss_=None if stopped_on_validation else _numpy_float(state.best_loss),
        validation_scores_=_numpy_floats(state.validation_scores)
        if has_validation
        else None,
        best_validation_score_=_numpy_float(state.best_validation_score)
        if has_validation
        else None,
        validation_loss_curve_=_numpy_floats(state.validation_loss_curve)
        if has_validation
        else None,
    )
    return attributes


def _numpy_float(value):
    """np.float64, as scikit-learn's MLP reports losses and scores (so that
    ``loss_.round(4)`` works); None stays None."""
    return None if value is None else np.float64(value)


def _numpy_floats(values):
    """A new list of np.float64 (the curves)."""
    return [np.float64(value) for value in values]


def checked_weights(sample_weight, X, name="sample_weight"):
    """Validated non-negative weights in X's dtype, or None when all are 1."""
    if sample_weight is None:
        return None
    try:
        # checked as given: float32 would round tiny weights to zero first
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
    except ValueError as exc:
        if name == "sample_weight":
            raise
        raise ValueError(str(exc).replace("sample_weight", name)) from exc
    sample_weight = sample_weight.astype(X.dtype, copy=False)
    if not sample_weight.any():
        raise ValueError(
            f"{name} has positive values, but all of them round to zero in "
            f"{X.dtype.name}, the dtype X is trained in. Scale {name} up (and "
            "alpha by the same factor: the objective is the same), or pass X "
            "as float64."
        )
    return None if np.all(sample_weight == 1) else sample_weight


def float_dtypes(X):
    """The dtypes validate_data may keep: float32 of either byte order stays
    float32 (scikit-learn would widen big-endian float32 to float64)."""
    dtype = getattr(X, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind == "f" and dtype.itemsize == 4:
        return np.float32
    return [np.float64, np.float32]


# Messages NumPy gives when data cannot become a float array, which say
# nothing about which argument was wrong.
_CONVERSION_MESSAGES = (
    "could not convert",
    "float() argument",
    "inhomogeneous",
    "setting an array element with a sequence",
)


@contextmanager
def explain_conversion_errors():
    """Re-raise NumPy's conversion errors with what was expected of the data."""
    try:
        yield
    except (TypeError, ValueError) as exc:
        if not any(text in str(exc) for text in _CONVERSION_MESSAGES):
            raise
        raise type(exc)(
            "X (and y, for a regressor) must be numeric: a 2-D array-like of "
            "numbers with rows of equal length, or a sparse matrix. Encode "
            f"strings or categories first (e.g. OneHotEncoder). NumPy said: {exc}"
        ) from exc
