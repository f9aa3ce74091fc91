"""MLPRegressor and MLPClassifier: drop-in replacements for scikit-learn's.

"Where is my network?": the linear model x·W + b replaced by a dense
network, trained by backprop on the same negative log-likelihoods. The
constructors take every parameter of scikit-learn 1.9's classes with the
same position, default and meaning; the keyword-only additions
(``penalty``, ``l1_ratio``, ``dropout``, ``rho``, ``weight_init``,
``class_weight``) default to what scikit-learn does.

One difference in meaning, by design (see the migration guide): the penalty
is scaled by the training set's total weight, not by each mini-batch's, so
``alpha`` means the same for every batch size; the two agree for full
batches and 'lbfgs'.
"""

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseSGDEstimator
from ._classifier import ClassifierGlue
from ._docstrings import fill_doc
from ._linear import _stochastic_solver
from ._regressor import RegressorGlue

# The constructor parameters both MLPs share, scikit-learn's first.
_SHARED_PARAMS = (
    "hidden_layer_sizes",
    "activation",
    "solver",
    "alpha",
    "batch_size",
    "learning_rate",
    "learning_rate_init",
    "power_t",
    "max_iter",
    "shuffle",
    "random_state",
    "tol",
    "verbose",
    "warm_start",
    "momentum",
    "nesterovs_momentum",
    "early_stopping",
    "validation_fraction",
    "beta_1",
    "beta_2",
    "epsilon",
    "n_iter_no_change",
    "max_fun",
    "penalty",
    "l1_ratio",
    "dropout",
    "rho",
    "average",
    "weight_init",
)

_MLP_DOC = """
    Parameters
    ----------
{first}
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Units of each hidden layer.
    activation : {{{{'identity', 'logistic', 'tanh', 'relu'}}}}, default='relu'
        Activation of the hidden layers.
    {{solver}}
    {{penalty}}
    {{steps}}
    max_fun : int, default=15000
        For 'lbfgs': the maximum number of loss evaluations.
    {{dropout_mlp}}
    {{rho}}
    weight_init : {{{{'glorot', 'he'}}}}, default='glorot'
        'glorot' is scikit-learn's scheme exactly: weights and intercepts
        uniform in ±√(6/(fan_in + fan_out)) (±√(2/…) for 'logistic');
        'he' draws weights from N(0, 2/fan_in) with zero intercepts, better
        for deep relu networks.
{extra}
    Attributes
    ----------
{attrs}
    coefs_ : list of ndarray
        coefs_[i] has shape (units of layer i, units of layer i + 1).
        Weights assigned here (new arrays, or edited in place) are what
        ``predict`` uses and what ``partial_fit`` and ``warm_start`` continue
        from; shapes that do not fit the data are a ``ValueError``.
    intercepts_ : list of ndarray
        intercepts_[i] has shape (units of layer i + 1,); assignable as
        ``coefs_``.
    n_layers_ : int
        Layers, input and output included.
    {{fitted}}
"""


class _MLPBase(BaseSGDEstimator):
    """MLP glue: hidden layers, hidden-unit dropout, random start, coefs_."""

    _dropout_input = False
    _parameter_constraints = {
        **BaseSGDEstimator._parameter_constraints,
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "weight_init": [StrOptions({"glorot", "he"})],
    }

    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if np.isscalar(sizes) else list(sizes)
        if not all(isinstance(s, Integral | np.integer) and s > 0 for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must be positive integers, got {sizes}."
            )
        return tuple(int(s) for s in sizes)

    def _activation_name(self):
        return self.activation

    def _weight_init_scheme(self):
        return self.weight_init

    def _max_fun(self):
        return self.max_fun

    def _model_attributes(self, layout, theta):
        return {
            "coefs_": [c.copy() for c in layout.coefs(theta)],
            "intercepts_": [b.copy() for b in layout.intercepts(theta)],
            "n_layers_": len(layout.layer_units),
        }

    def _layers(self):
        return self.coefs_, self.intercepts_

    def _check_batch_size(self, n_samples):
        """scikit-learn's MLP warning for an int batch_size beyond the rows."""
        if (
            self.solver != "lbfgs"
            and isinstance(self.batch_size, Integral)
            and self.batch_size > n_samples
        ):
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is "
                f"going to be clipped (batch_size={self.batch_size}, "
                f"{n_samples} training samples).",
                UserWarning,
                stacklevel=4,
            )

    def _warn_not_converged(self, max_iter, n_iter):
        """scikit-learn's MLP sentence first, so that filters on it match."""
        if self.solver == "lbfgs":
            message = (
                f"lbfgs failed to converge after {n_iter} iteration(s). Increase "
                f"max_iter (max_iter={max_iter}) or max_fun (max_fun="
                f"{self.max_fun}), or scale the features."
            )
        else:
            message = (
                f"Stochastic Optimizer: Maximum iterations ({max_iter}) reached and "
                "the optimization hasn't converged yet. Increase max_iter, or "
                "adjust learning_rate_init or tol."
            )
        warnings.warn(message, ConvergenceWarning, stacklevel=4)

    def _has_weights(self):
        return hasattr(self, "coefs_") and hasattr(self, "intercepts_")

    def _weight_units(self):
        hidden = [np.shape(c)[-1] if np.ndim(c) else 0 for c in self.coefs_[:-1]]
        return (self.n_features_in_, *hidden, self.n_outputs_)

    def _check_weight_shapes(self, layer_units, action):
        coefs, intercepts = self.coefs_, self.intercepts_
        shapes = list(zip(layer_units[:-1], layer_units[1:]))
        if len(coefs) == len(intercepts) == len(shapes) and all(
            np.shape(coef) == shape and np.shape(intercept) == shape[1:]
            for coef, intercept, shape in zip(coefs, intercepts, shapes)
        ):
            return
        needed = (
            f"layers of {tuple(layer_units)} units need coefs_ of shapes {shapes} "
            f"and intercepts_ of shapes {[shape[1:] for shape in shapes]}"
        )
        if len(coefs) != len(shapes) or len(intercepts) != len(shapes):
            raise ValueError(
                f"Cannot {action} the weights: coefs_ has {len(coefs)} and "
                f"intercepts_ {len(intercepts)} entries, but {needed}."
            )
        for i, (coef, intercept, shape) in enumerate(zip(coefs, intercepts, shapes)):
            for name, value, expected in (
                (f"coefs_[{i}]", coef, shape),
                (f"intercepts_[{i}]", intercept, shape[1:]),
            ):
                if np.shape(value) != expected:
                    raise ValueError(
                        f"Cannot {action} the weights: {name} has shape "
                        f"{np.shape(value)}, but {needed}."
                    )


def _set_shared_params(estimator, arguments):
    for name in _SHARED_PARAMS:
        setattr(estimator, name, arguments[name])


@fill_doc
class MLPRegressor(RegressorGlue, _MLPBase):
    __doc__ = (
        """Multi-layer perceptron regressor: scikit-learn's, plus dropout, L1 and more.

    Trained by backprop on the squared error (Gaussian) or the Poisson half
    deviance (log link), averaged over outputs, plus alpha·P(W).
"""
        + _MLP_DOC.format(
            first="""    loss : {{'squared_error', 'poisson'}}, default='squared_error'
        The negative log-likelihood minimised.""",
            extra="",
            attrs="",
        )
        + """
    See Also
    --------
    sklearn.neural_network.MLPRegressor, SGDLinearRegressor

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sgdlearn import MLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs", random_state=0)
    >>> reg.fit(X, y / y.std()).score(X, y / y.std()) > 0.99
    True
    """
    )

    _parameter_constraints = {
        **_MLPBase._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        penalty="l2",
        l1_ratio=0.15,
        dropout=0.0,
        rho=0.9,
        average=False,
        weight_init="glorot",
    ):
        self.loss = loss
        _set_shared_params(self, locals())

    @available_if(_stochastic_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Run one epoch over X, y, continuing from the previous call.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        return self._partial_fit(X, y, sample_weight)


@fill_doc
class MLPClassifier(ClassifierGlue, _MLPBase):
    __doc__ = (
        """Multi-layer perceptron classifier: scikit-learn's, plus dropout, L1 and more.

    A softmax output trained on the categorical cross-entropy for several
    classes; one logistic output for two classes; one logistic output per
    label for multilabel (indicator) targets. y with a single class is
    fitted as scikit-learn's MLP fits it: ``predict`` returns that class, and
    ``predict_proba`` has two columns (the class and its complement).
"""
        + _MLP_DOC.format(
            first="",
            extra="""    class_weight : dict, 'balanced' or None, default=None
        Weights per class multiplying ``sample_weight`` (not for multilabel
        targets, nor 'balanced' in ``partial_fit``).
""",
            attrs="""    classes_ : ndarray of shape (n_classes,)
        The labels (for multilabel targets, 0 … n_labels − 1).""",
        )
        + """
    See Also
    --------
    sklearn.neural_network.MLPClassifier, SoftmaxClassifier

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sgdlearn import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier((16,), solver="lbfgs", random_state=0, max_iter=300)
    >>> clf.fit(X, y).predict_proba(X[:3]).shape
    (3, 3)
    """
    )

    _multilabel = True
    _fits_one_class = True
    _parameter_constraints = {
        **_MLPBase._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        penalty="l2",
        l1_ratio=0.15,
        dropout=0.0,
        rho=0.9,
        average=False,
        weight_init="glorot",
        class_weight=None,
    ):
        self.class_weight = class_weight
        _set_shared_params(self, locals())

    @available_if(_stochastic_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Run one epoch over X, y, continuing from the previous call.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
        sample_weight : array-like of shape (n_samples,), default=None
        classes : array-like of shape (n_classes,), default=None
            Every label of the stream: required on the first call (except
            for multilabel indicator targets), checked on later ones.

        Returns
        -------
        self : object
        """
        return self._classifier_partial_fit(X, y, sample_weight, classes)
