"""The estimator facade shared by every sgdlearn estimator.

:class:`BaseSGDEstimator` is what scikit-learn sees: the parameter
constraints and the docstring's Parameters section, built from the one
parameter table (``_params``) when a subclass is defined; ``fit``,
``partial_fit`` and the raw predictions; tags and pickling. An estimator
class adds its parts, which the fit engine (``_engine``) trains:

- ``_model_part()``: the model (``_models.LinearModel`` or ``_models.MLP``);
- ``_target_encoder(params)``: its targets (``_regressor.RegressionTargets`` or
  ``_classifier.ClassTargets``), which also choose the loss;

and the solver specification (``_solver.SolverSpec``) comes from the
shared parameters.
"""

import warnings
from functools import cache

from sklearn.base import BaseEstimator, _fit_context
from sklearn.callback import CallbackSupportMixin
from sklearn.utils.validation import check_is_fitted

from . import _engine
from ._activations import ACTIVATIONS
from ._docstrings import fill_doc
from ._input import checked_X
from ._losses import make_loss
from ._networks import predict_raw
from ._params import (
    FULL_BATCH_SOLVERS,
    ValidatedSettings,
    constraints_for,
    parameter_names,
)
from ._solver import SolverSpec
from ._threads import blas_threads_for
from ._version import __version__


@cache
def _param_names_once(cls):
    """``BaseEstimator._get_param_names`` of ``cls`` (its checks included)."""
    return tuple(BaseEstimator._get_param_names.__func__(cls))


def stochastic_solver(estimator):
    """partial_fit exists for the stochastic solvers and 'auto' (which takes
    Adagrad's steps there); not for the full-batch 'lbfgs' (as in
    scikit-learn's MLP) and 'newton'."""
    if estimator.solver in FULL_BATCH_SOLVERS:
        raise AttributeError(
            f"partial_fit is only available for stochastic solvers; "
            f"solver={estimator.solver!r} is full-batch."
        )
    return True


class BaseSGDEstimator(CallbackSupportMixin, BaseEstimator):
    """Shared fit / partial_fit / predict machinery. Not for direct use.

    A subclass sets ``_family`` ('linear' or 'mlp': which defaults and doc
    lines of the parameter table apply) and defines ``_model_part`` and
    ``_target_encoder``.
    """

    _family = None
    _parameter_constraints = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in vars(cls):
            cls._parameter_constraints = constraints_for(cls)
        cls._validated_settings = ValidatedSettings()
        if cls.__doc__ and "{parameters}" in cls.__doc__:
            fill_doc(cls)

    @classmethod
    def _get_param_names(cls):
        """scikit-learn's own answer, computed once a class: ``get_params``
        runs at every fit's validation and every clone, and scikit-learn
        reads the signature each time."""
        return list(_param_names_once(cls))

    def _validate_params(self):
        """scikit-learn's parameter check, once per setting of plain values
        (:class:`~sgdlearn._params.ValidatedSettings`)."""
        settings = type(self)._validated_settings
        key = settings.key(self.get_params(deep=False))
        if not settings.known(key):
            super()._validate_params()
            settings.add(key)

    def _parts(self):
        params = {name: getattr(self, name) for name in parameter_names(type(self))}
        return _engine.Parts(
            self._model_part(), self._target_encoder(params), SolverSpec(params)
        )

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
            Training data. float32 data is trained in float32. A Dask array
            or DataFrame (with y, sample_weight and the validation data as
            Dask or in-memory arrays) is trained where its blocks are, on
            the workers of the current ``dask.distributed`` Client, and is
            never gathered: L-BFGS data-parallel, the other solvers by local
            SGD with parameter averaging (see the out-of-core user guide).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values (class labels for classifiers).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights s_i of the objective; None means 1.
        X_val : array-like of shape (n_val_samples, n_features), default=None
            A validation set used for early stopping and for
            ``validation_scores_`` and ``validation_loss_curve_`` instead of a
            random hold-out of the training data. X_val must be in X's
            feature space: in a Pipeline, ``step__X_val`` skips the earlier
            steps, so transform it yourself (``pipe[:-1].transform``) or use
            ``validation_fraction``. A ``UserWarning`` names X_val when its
            features look nothing like X's (see the early-stopping section
            of the user guide).
        y_val : array-like of shape (n_val_samples,) or (n_val_samples, n_outputs), \
default=None
            The targets of X_val; given together with it.
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
        with _engine.rollback_on_error(self):
            return _engine.fit(
                self,
                self._parts(),
                X,
                y,
                sample_weight,
                validation=validation,
                incremental=incremental,
                classes=classes,
            )

    # -- predict ------------------------------------------------------------

    def _fitted_loss(self):
        """The loss the model was fitted with."""
        return make_loss(self._loss_)

    def _raw_output(self, X):
        """Raw scores z for X from the public fitted attributes."""
        check_is_fitted(self)
        with _engine.explain_conversion_errors():
            X = checked_X(
                self, X, reset=False, accept_sparse="csr", dtype=_engine.float_dtypes(X)
            )
        model = self._model_part()
        units = model.weight_units(self)
        model.check_weight_shapes(self, units, "predict with")
        coefs, intercepts = model.layers(self)
        with blas_threads_for(X.shape[0], units):
            return predict_raw(coefs, intercepts, ACTIVATIONS[model.activation], X)

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
