"""The estimator glue shared by every sgdlearn estimator.

:class:`BaseSGDEstimator` validates parameters and data, builds the network,
optimizer, schedule and objective, calls the training loop, reports to
scikit-learn callbacks, raises the divergence error and the
``ConvergenceWarning``, and sets the fitted attributes. A fit works on a copy
of the training state and commits it only at the end: a fit that raises
leaves a fitted estimator exactly as it was.

Subclasses add their model and loss: the hooks are the methods that raise
``NotImplementedError`` below.
"""

import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.callback import CallbackSupportMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._activations import ACTIVATIONS
from ._averaging import IterateAverage
from ._losses import LOSS_BY_OUTPUT
from ._networks import Layout, Network, predict_raw
from ._objective import Objective
from ._optimizers import make_optimizer
from ._penalties import make_penalty
from ._schedules import SCHEDULES, make_schedule
from ._threads import blas_threads_for
from ._training import (
    Dataset,
    LoopConfig,
    TrainingState,
    Validation,
    pack_state,
    train_epochs,
    train_lbfgs,
    unpack_state,
)
from ._validation_check import warn_if_unlike_training
from ._version import __version__

STOCHASTIC_SOLVERS = ("sgd", "adagrad", "rmsprop", "adam")

# solver='auto' uses L-BFGS up to this many training rows (see _fit_solver):
# beyond it, a few epochs of Adagrad reach the optimum's test loss sooner.
AUTO_LBFGS_MAX_SAMPLES = 100_000

# Attributes that scikit-learn's callback machinery keeps on the estimator
# during fit; they survive the rollback of a failed fit.
_CALLBACK_ATTRIBUTES = ("_callback_fit_ctx", "_skl_callbacks_to_teardown")


@contextmanager
def _rollback_on_error(estimator):
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
    """Reports each epoch (L-BFGS: iteration) to callbacks as a sub-task."""

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
        """End a sub-task that was begun but never ran (L-BFGS's last one)."""
        if self._task is not None:
            self._task.call_on_fit_task_end(estimator=self._estimator)
            self._task = None


class BaseSGDEstimator(CallbackSupportMixin, BaseEstimator):
    """Shared fit / partial_fit / predict machinery. Not for direct use."""

    _parameter_constraints = {
        "solver": [StrOptions({"sgd", "adagrad", "rmsprop", "adam", "lbfgs"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_size": [
            StrOptions({"auto", "full"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions(set(SCHEDULES))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "rho": [Interval(Real, 0, 1, closed="left")],
        "average": ["boolean", Interval(Integral, 1, None, closed="left")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
    }

    # -- hooks for subclasses -------------------------------------------------

    _dropout_input = True  # linear models drop inputs, MLPs hidden units

    def _hidden_layer_sizes(self):
        return ()

    def _activation_name(self):
        return "identity"

    def _weight_init_scheme(self):
        return "zeros"

    def _max_fun(self):
        return 15000

    def _encode_targets(self, y, dtype, *, known=None, classes=None):
        """(Y, encoding): 2-D targets in ``dtype`` and the attributes describing them.

        ``encoding`` (``classes_``, ``n_outputs_``…) is committed with the fit;
        ``known`` is the encoding of the fit being continued or of the
        training data (for validation targets), ``classes`` the argument of
        a first ``partial_fit``.
        """
        raise NotImplementedError

    def _class_weight_factor(self, y, encoding, incremental):
        """Per-sample class weights multiplying sample_weight (None: all 1)."""
        return None

    def _make_loss(self, encoding):
        """The loss of the output named by ``encoding["out_activation_"]``."""
        return LOSS_BY_OUTPUT[encoding["out_activation_"]]()

    def _score_raw(self, raw, Y, sample_weight, encoding):
        """Validation score (higher is better) of raw outputs against encoded Y."""
        raise NotImplementedError

    def _model_attributes(self, layout, theta):
        """Public parameter attributes (coef_, coefs_…) as copies out of θ."""
        raise NotImplementedError

    def _layers(self):
        """Per-layer (coefs, intercepts) lists from the public attributes."""
        raise NotImplementedError

    def _has_weights(self):
        """Whether the public weight attributes (fitted or assigned) exist."""
        raise NotImplementedError

    def _weight_units(self):
        """Units per layer the public weights describe, input first (for
        predict's shape check)."""
        raise NotImplementedError

    def _check_weight_shapes(self, layer_units, action):
        """Raise a ValueError naming the public attribute whose shape does not
        fit layers of ``layer_units`` units; ``action`` says what the weights
        were wanted for."""
        raise NotImplementedError

    def _check_batch_size(self, n_samples):
        """Warn about a batch_size larger than the training rows (MLPs)."""

    def _check_warm_start_targets(self, y, known):
        """Classifiers: a warm-started fit must see the classes fitted before."""

    def _fit_intercept(self):
        return True

    def _start_intercept(self, state, layout, loss, Y, sample_weight):
        """Linear models start the intercept at the link of the mean target."""

    # -- fit ---------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Fit the model to X, y by minimising the objective.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 data is trained in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values (class labels for classifiers).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights s_i of the objective; None means 1.
        X_val, y_val : array-like, default=None
            A validation set used for early stopping and for
            ``validation_scores_`` and ``validation_loss_curve_`` instead of a
            random hold-out of the training data. X_val must be in X's
            feature space: in a Pipeline, ``step__X_val`` skips the earlier
            steps, so transform it yourself (``pipe[:-1].transform``) or use
            ``validation_fraction``. A ``UserWarning`` names X_val when its
            features look nothing like X's (see the early-stopping section
            of the user guide).
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation samples.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        validation = (X_val, y_val, sample_weight_val)
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together.")
        return self._fit(X, y, sample_weight, validation=validation, incremental=False)

    def _partial_fit(self, X, y, sample_weight, classes=None):
        if self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: it runs one "
                "epoch per call. Use fit(..., X_val=..., y_val=...) or stop the "
                "stream yourself."
            )
        return self._fit(
            X, y, sample_weight, validation=None, incremental=True, classes=classes
        )

    def _fit(self, X, y, sample_weight, *, validation, incremental, classes=None):
        with _rollback_on_error(self):
            return self._fit_atomic(
                X, y, sample_weight, validation, incremental, classes
            )

    def _fit_atomic(self, X, y, sample_weight, validation, incremental, classes):
        self._check_solver_options()
        # As scikit-learn's MLP: partial_fit and warm_start continue from the
        # public weights whenever they exist, also when assigned by hand to an
        # estimator never fitted (then with a fresh optimizer and history).
        continuing = (incremental or self.warm_start) and self._has_weights()
        old_state = getattr(self, "_state", None) if continuing else None
        old_state = None if old_state is None else unpack_state(old_state)
        X, y = self._validate_training_data(X, y, old_state)
        solver = self._fit_solver(X.shape[0], incremental)
        sample_weight = _checked_weights(sample_weight, X)
        known = old_state.encoding if old_state is not None else None
        if known is not None and not incremental:
            self._check_warm_start_targets(y, known)
        Y, encoding = self._encode_targets(y, X.dtype, known=known, classes=classes)
        class_factor = self._class_weight_factor(y, encoding, incremental)
        if class_factor is not None:
            sample_weight = class_factor.astype(X.dtype) * (
                1.0 if sample_weight is None else sample_weight
            )
        if sample_weight is not None and not sample_weight.sum() > 0:
            raise ValueError("The sample weights sum to zero: there is nothing to fit.")

        train, val = self._split_validation(
            X, Y, sample_weight, validation, incremental, encoding, solver
        )
        layout = Layout((X.shape[1], *self._hidden_layer_sizes(), Y.shape[1]))
        loss = self._make_loss(encoding)
        if continuing:
            theta = self._theta_from_weights(layout, X.dtype, "continue from")
            if old_state is None:
                state = self._new_state(layout, X.dtype, encoding, solver)
            else:
                state = self._continued_state(old_state, layout, incremental, solver)
            state.continue_from(theta)
        else:
            state = self._new_state(layout, X.dtype, encoding, solver)
            self._start_intercept(state, layout, loss, train.Y, train.sample_weight)

        objective = self._make_objective(layout, loss, train.weight_total)
        self._check_batch_size(train.n_samples)
        config = self._loop_config(train.n_samples, incremental, val is not None)
        first_epoch = state.n_iter

        def attributes(current):
            return self._fitted_attributes(
                current, layout, encoding, val is not None, first_epoch, solver
            )

        lbfgs = solver == "lbfgs"
        max_subtasks = config.max_epochs + 1 if lbfgs else config.max_epochs
        context = self._init_callback_context(max_subtasks=max_subtasks)
        metadata = {"sample_weight": sample_weight}
        context.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)
        hooks = _EpochCallbacks(self, context, X, y, metadata, attributes)
        rows = (
            objective.full_batch_rows(train.n_samples) if lbfgs else config.batch_size
        )
        with blas_threads_for(rows, layout.layer_units):
            if lbfgs:
                converged = train_lbfgs(
                    objective, state, train, val, config, self._max_fun(), hooks
                )
            else:
                converged = train_epochs(objective, state, train, val, config, hooks)
        hooks.close()
        if not converged and not incremental:
            self._warn_not_converged(config.max_epochs, state.n_iter - first_epoch)

        for name, value in attributes(state).items():
            setattr(self, name, value)
        self._state = pack_state(state)  # plain data: skops trusts it
        context.call_on_fit_task_end(
            estimator=self, X=X, y=y, metadata=metadata, reconstruction_attributes={}
        )
        return self

    # -- pieces of fit --------------------------------------------------------

    def _theta_from_weights(self, layout, dtype, action):
        """θ packed from the public weights, after checking their shapes."""
        self._check_weight_shapes(layout.layer_units, action)
        coefs, intercepts = self._layers()
        return layout.pack(coefs, intercepts, dtype)

    def _make_objective(self, layout, loss, weight_total):
        network = Network(
            layout,
            ACTIVATIONS[self._activation_name()],
            dropout=self.dropout,
            dropout_input=self._dropout_input,
        )
        return Objective(
            network,
            loss,
            make_penalty(self.penalty, self.alpha, self.l1_ratio),
            weight_total=weight_total,
            fit_intercept=self._fit_intercept(),
        )

    def _validate_training_data(self, X, y, old_state):
        """Checked X (dense C-ordered or CSR) and y; a continued fit keeps its dtype."""
        dtype = _float_dtypes(X) if old_state is None else old_state.theta.dtype
        with _explain_conversion_errors():
            X, y = validate_data(
                self,
                X,
                y,
                reset=old_state is None,
                accept_sparse="csr",
                dtype=dtype,
                order="C",
                multi_output=True,
                y_numeric=not self._is_classifier(),
            )
        return X, y

    def _is_classifier(self):
        return False

    def _split_validation(
        self, X, Y, sample_weight, validation, incremental, encoding, solver
    ):
        """Training rows and the validation rows (given, held out, or none)."""
        X_val, y_val, sw_val = (
            validation if validation is not None else (None, None, None)
        )
        if X_val is not None:
            X_val, y_val = validate_data(
                self,
                X_val,
                y_val,
                reset=False,
                accept_sparse="csr",
                dtype=X.dtype,
                order="C",
                multi_output=True,
                y_numeric=not self._is_classifier(),
            )
            Y_val, _ = self._encode_targets(y_val, X.dtype, known=encoding)
            sw_val = _checked_weights(sw_val, X_val, name="sample_weight_val")
            warn_if_unlike_training(X, X_val)
            val = Dataset(X_val, Y_val, sw_val)
            train = Dataset(X, Y, sample_weight)
        elif self.early_stopping and not incremental and solver != "lbfgs":
            stratify, strata = self._stratify_labels(Y, encoding)
            try:
                rows_tr, rows_v = train_test_split(
                    np.arange(X.shape[0]),
                    test_size=self.validation_fraction,
                    random_state=self._new_rng().integers(np.iinfo(np.int32).max),
                    stratify=stratify,
                )
            except ValueError as exc:
                raise ValueError(
                    f"Cannot hold out validation_fraction={self.validation_fraction} "
                    f"of {X.shape[0]} samples for early stopping: {exc}{strata}. "
                    "Increase "
                    "validation_fraction, give more data, or pass X_val and y_val."
                ) from exc
            if rows_v.size < 2:
                raise ValueError(
                    "The validation set is too small for early stopping "
                    f"({rows_v.size} sample). Increase validation_fraction or the "
                    "size of your data set, or pass X_val and y_val."
                )
            train = Dataset(X, Y, sample_weight).take(np.sort(rows_tr))
            val = Dataset(X, Y, sample_weight).take(np.sort(rows_v))
            for part, rows in (("training", train), ("validation", val)):
                if not rows.weight_total > 0:
                    raise ValueError(
                        f"The sample weights of the {part} rows sum to zero "
                        "after holding out validation_fraction="
                        f"{self.validation_fraction} for early stopping. Give "
                        "weight to more samples, or pass X_val and y_val."
                    )
        else:
            return Dataset(X, Y, sample_weight), None
        return train, Validation(
            val, lambda raw: self._score_raw(raw, val.Y, val.sample_weight, encoding)
        )

    def _stratify_labels(self, Y, encoding):
        """Labels to stratify the early-stopping hold-out by (None: don't),
        and a note on how an error names them."""
        return None, ""

    def _new_rng(self):
        """The fit's own generator, drawn once from ``random_state``."""
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        return np.random.default_rng(seed)

    def _new_state(self, layout, dtype, encoding, solver):
        rng = self._new_rng()
        theta = layout.initial_theta(
            rng, dtype, self._weight_init_scheme(), self._activation_name()
        )
        optimizer = self._make_optimizer(layout.size, dtype, solver)
        return TrainingState(
            theta,
            optimizer,
            self._make_schedule(),
            rng,
            encoding,
            average=self._make_average(theta),
        )

    def _make_average(self, theta):
        """The iterate average ``average`` asks for, starting at θ (or None)."""
        if not self.average:
            return None
        start = 1 if isinstance(self.average, bool) else int(self.average)
        return IterateAverage(theta, start)

    def _continued_state(self, old_state, layout, incremental, solver):
        """A copy of the last training state to continue from."""
        if old_state.theta.size != layout.size:
            raise ValueError(
                "The data does not fit the model being continued: it has "
                f"{layout.size} parameters for this data but {old_state.theta.size} "
                "were fitted. Refit without warm_start."
            )
        state = old_state  # unpacked: a copy already
        if not incremental:
            # warm_start, as scikit-learn's MLP: keep θ and the history (the
            # curves go on), restart the optimizer and the schedule.
            state.rng = self._new_rng()
            state.optimizer = self._make_optimizer(
                layout.size, state.theta.dtype, solver
            )
            state.restart_schedule(self._make_schedule())
        elif state.optimizer is None and solver != "lbfgs":
            state.optimizer = self._make_optimizer(
                layout.size, state.theta.dtype, solver
            )
        # the average goes on (scikit-learn's SGD): made or dropped only when
        # ``average`` was switched on or off between the calls
        if not self.average:
            state.average = None
        elif state.average is None:
            state.average = self._make_average(state.theta)
        return state

    def _make_optimizer(self, n_params, dtype, solver):
        if solver == "lbfgs":
            return None
        penalty = make_penalty(self.penalty, self.alpha, self.l1_ratio)
        return make_optimizer(
            solver, n_params, dtype, self.get_params(), proximal=penalty.has_l1
        )

    def _fit_solver(self, n_samples, incremental):
        """The solver a fit on ``n_samples`` rows uses: ``solver`` itself,
        unless it is 'auto' (the linear models' default).

        'auto' is 'lbfgs' when the objective suits it and the data is small
        enough for full-batch iterations to be cheap: a ``fit`` (not
        ``partial_fit``) of at most :data:`AUTO_LBFGS_MAX_SAMPLES` rows,
        with no L1 part in the penalty, no dropout, no averaging and no
        early stopping. Otherwise it is 'adagrad', whose steps decay by
        themselves (so a constant rate still settles) and which takes lazy
        steps on sparse data.
        """
        if self.solver != "auto":
            return self.solver
        full_batch = not (
            incremental
            or n_samples > AUTO_LBFGS_MAX_SAMPLES
            or self.early_stopping
            or self._lbfgs_obstacle()
        )
        return "lbfgs" if full_batch else "adagrad"

    def _make_schedule(self):
        return make_schedule(self.get_params())

    def _check_solver_options(self):
        obstacle = self._lbfgs_obstacle() if self.solver == "lbfgs" else None
        if obstacle is not None:
            raise ValueError(obstacle)

    def _lbfgs_obstacle(self):
        """Why 'lbfgs' cannot minimise this objective (None: it can).

        The one list of what full-batch L-BFGS rules out: 'solver="lbfgs"'
        raises it, and 'solver="auto"' takes a stochastic solver instead.
        """
        if make_penalty(self.penalty, self.alpha, self.l1_ratio).has_l1:
            return (
                "solver='lbfgs' supports only the L2 penalty, got "
                f"penalty={self.penalty!r}: L1 needs a proximal step. Use a "
                "stochastic solver such as 'adam' or 'sgd'."
            )
        if self.average:
            return (
                f"solver='lbfgs' does not average its iterates (got average="
                f"{self.average!r}): averaging is for the first-order solvers. "
                "Use average=False, or a solver such as 'sgd' or 'adagrad'."
            )
        if self.dropout > 0:
            return (
                "solver='lbfgs' does not support dropout (got "
                f"dropout={self.dropout}): "
                "dropout needs stochastic mini-batches. Use a stochastic solver."
            )
        return None

    def _loop_config(self, n_samples, incremental, has_validation):
        if self.batch_size == "full":
            batch_size = n_samples
        elif self.batch_size == "auto":
            batch_size = self._auto_batch_size(n_samples)
        else:
            batch_size = min(self.batch_size, n_samples)
        return LoopConfig(
            batch_size=batch_size,
            shuffle=self.shuffle,
            max_epochs=1 if incremental else self.max_iter,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            stop_on_validation=self.early_stopping
            and has_validation
            and not incremental,
            verbose=bool(self.verbose),
            run_epochs=self.max_iter,
            max_grad_norm=getattr(self, "max_grad_norm", None),
        )

    def _auto_batch_size(self, n_samples):
        """``batch_size='auto'``: min(200, n), scikit-learn's MLP rule."""
        return min(200, n_samples)

    def _warn_not_converged(self, max_iter, n_iter):
        """The linear models' own message (the MLPs start with scikit-learn's)."""
        warnings.warn(
            f"{type(self).__name__}: the maximum number of iterations "
            f"(max_iter={max_iter}) was reached and the optimization has not "
            "converged yet. Increase max_iter, or adjust learning_rate_init or tol.",
            ConvergenceWarning,
            stacklevel=4,
        )

    def _fitted_attributes(
        self, state, layout, encoding, has_validation, first_epoch, solver
    ):
        """Every fitted attribute as a dict: committed after fit, and given to
        callbacks to build a ready-to-predict copy mid-fit.

        ``n_iter_`` counts the epochs of this call only (so 1 after a
        ``partial_fit``), as in scikit-learn; ``t_`` and the curves go on.
        """
        stopped_on_validation = (
            self.early_stopping and has_validation and solver != "lbfgs"
        )
        attributes = dict(encoding)
        attributes.update(self._model_attributes(layout, state.model_theta()))
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

    # -- predict ------------------------------------------------------------

    def _raw_output(self, X):
        """Raw scores z for X from the public fitted attributes."""
        check_is_fitted(self)
        with _explain_conversion_errors():
            X = validate_data(
                self, X, reset=False, accept_sparse="csr", dtype=_float_dtypes(X)
            )
        units = self._weight_units()
        self._check_weight_shapes(units, "predict with")
        coefs, intercepts = self._layers()
        with blas_threads_for(X.shape[0], units):
            return predict_raw(
                coefs, intercepts, ACTIVATIONS[self._activation_name()], X
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -- pickling ---------------------------------------------------------------

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: never edit the estimator
        state["_sgdlearn_version"] = __version__
        return state

    def __setstate__(self, state):
        """Warn when the pickle was written by another version of sgdlearn."""
        pickled = state.pop("_sgdlearn_version", "unknown")
        if pickled != __version__:
            warnings.warn(
                f"Loading a {type(self).__name__} pickled with sgdlearn {pickled} "
                f"into sgdlearn {__version__}: its training state may not be "
                "compatible. Refit it, or use the version it was saved with.",
                UserWarning,
                stacklevel=2,
            )
        super().__setstate__(state)


def _numpy_float(value):
    """np.float64, as scikit-learn's MLP reports losses and scores (so that
    ``loss_.round(4)`` works); None stays None."""
    return None if value is None else np.float64(value)


def _numpy_floats(values):
    """A new list of np.float64 (the curves)."""
    return [np.float64(value) for value in values]


def _checked_weights(sample_weight, X, name="sample_weight"):
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


def _float_dtypes(X):
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
def _explain_conversion_errors():
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
