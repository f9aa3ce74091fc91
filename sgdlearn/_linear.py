"""The linear models: SGDLinearRegressor, SGDLogisticClassifier, SoftmaxClassifier.

Each is the network without hidden layers: raw scores x·W + b, trained on
its negative log-likelihood. Their defaults fit the objective of ``Ridge()``
and ``LogisticRegression()`` with their defaults (``alpha=1.0``) and reach
it: ``solver='auto'`` takes L-BFGS on small smooth problems and Adagrad at
η₀ = 0.03 in batches of at most 512 rows on large data and in
``partial_fit`` (the performance guide, "The linear models' defaults",
explains the choice).
"""

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import StrOptions

from ._base import STOCHASTIC_SOLVERS, BaseSGDEstimator
from ._classifier import ClassifierGlue
from ._docstrings import fill_doc
from ._regressor import RegressorGlue


def _stochastic_solver(estimator):
    """partial_fit exists for the stochastic solvers and 'auto' (which takes
    Adagrad's steps there); not for 'lbfgs' (as in scikit-learn's MLP)."""
    if estimator.solver == "lbfgs":
        raise AttributeError(
            f"partial_fit is only available for stochastic solvers; "
            f"solver={estimator.solver!r} is full-batch."
        )
    return True


class _LinearModel(BaseSGDEstimator):
    """Linear glue: one layer, input dropout, zero start, coef_/intercept_."""

    _parameter_constraints = {
        **BaseSGDEstimator._parameter_constraints,
        "solver": [StrOptions({"auto", *STOCHASTIC_SOLVERS, "lbfgs"})],
        "fit_intercept": ["boolean"],
    }

    def _fit_intercept(self):
        return self.fit_intercept

    def _auto_batch_size(self, n_samples):
        """``batch_size='auto'``: at least 64 steps per epoch, at most 512 rows.

        A small chunk given to ``partial_fit`` still gets 64 steps (one step
        of 512 rows would learn little from it); large data gets batches of
        512, which reach the optimum's test loss in about an epoch with
        Adagrad at the default rate.
        """
        return min(512, max(1, n_samples // 64))

    def _start_intercept(self, state, layout, loss, Y, sample_weight):
        """Start b at the loss's best constant (the link of the mean target)."""
        if self.fit_intercept:
            start = loss.best_constant(Y, sample_weight)
            layout.intercepts(state.theta)[0][...] = start

    def _model_attributes(self, layout, theta):
        coef = layout.coefs(theta)[0].T.copy()
        intercept = layout.intercepts(theta)[0].copy()
        return {"coef_": self._public_coef(coef), "intercept_": intercept}

    def _public_coef(self, coef):
        return coef

    def _layers(self):
        coef = np.reshape(self.coef_, (-1, self.n_features_in_))
        return [coef.T], [self.intercept_]

    def _has_weights(self):
        return hasattr(self, "coef_") and hasattr(self, "intercept_")

    def _weight_units(self):
        return self.n_features_in_, self.n_outputs_

    def _check_weight_shapes(self, layer_units, action):
        n_features, n_outputs = layer_units
        # the public shape of a (n_outputs, n_features) coef, without allocating it
        coef_shape = self._public_coef(
            np.broadcast_to(np.empty(()), (n_outputs, n_features))
        ).shape
        for name, value, expected in (
            ("coef_", self.coef_, coef_shape),
            ("intercept_", self.intercept_, (n_outputs,)),
        ):
            if np.shape(value) != expected:
                raise ValueError(
                    f"Cannot {action} the weights: {name} has shape "
                    f"{np.shape(value)}, but {n_features} features and "
                    f"{n_outputs} output(s) need coef_ of shape {coef_shape} and "
                    f"intercept_ of shape {(n_outputs,)}."
                )


# The constructor parameters every linear model shares.
_SHARED_PARAMS = (
    "solver",
    "alpha",
    "penalty",
    "l1_ratio",
    "dropout",
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
    "rho",
    "average",
    "n_iter_no_change",
    "fit_intercept",
)


@fill_doc
class SGDLinearRegressor(RegressorGlue, _LinearModel):
    """Linear regression trained by gradient descent: y ≈ x·W + b.

    Minimises Σ s_i ℓ(y_i, x_i·W + b) + alpha·P(W) with ℓ the squared error
    ½(y − ŷ)² (the Gaussian negative log-likelihood) or the Poisson half
    deviance with ŷ = exp(x·W + b), averaged over outputs. With
    ``penalty='l2'`` its optimum is ``Ridge(alpha)``'s (``Ridge(alpha ·
    n_outputs)`` for several outputs) whatever the solver or batch size.

    Parameters
    ----------
    loss : {{'squared_error', 'poisson'}}, default='squared_error'
        The negative log-likelihood: Gaussian, or Poisson with a log link
        (y must be non-negative).
    {solver_auto}
    {penalty}
    {dropout_linear}
    {steps}
    {rho}
    fit_intercept : bool, default=True
        Fit the intercept b (never penalised); False keeps b = 0.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_outputs, n_features)
        The weights W, transposed as in scikit-learn.
    intercept_ : ndarray of shape (1,) or (n_outputs,)
        The intercept b.
    {fitted}

    See Also
    --------
    sklearn.linear_model.SGDRegressor, sklearn.linear_model.Ridge,
    sklearn.linear_model.PoissonRegressor

    Notes
    -----
    Each of the q mini-batches B of an epoch takes a step along
    (q/Σs)·Σ_B s_i ∇ℓ_i + (alpha/Σs)·∇P. In ``partial_fit``, Σs is the
    weight of the data passed to that call: a stream of chunks of c rows out
    of n is penalised n/c times more than ``fit`` on all n rows; pass
    ``alpha * c / n`` to ``partial_fit`` to train the model ``fit`` would.

    Examples
    --------
    >>> import numpy as np
    >>> from sgdlearn import SGDLinearRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = X @ [1.0, -2.0, 0.5] + 3.0
    >>> reg = SGDLinearRegressor(solver="lbfgs", alpha=0.0).fit(X, y)
    >>> np.round(reg.coef_, 3).tolist(), np.round(reg.intercept_, 3).tolist()
    ([1.0, -2.0, 0.5], [3.0])
    """

    _parameter_constraints = {
        **_LinearModel._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
        *,
        solver="auto",
        alpha=1.0,
        penalty="l2",
        l1_ratio=0.15,
        dropout=0.0,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.03,
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
        rho=0.9,
        average=False,
        n_iter_no_change=5,
        fit_intercept=True,
    ):
        self.loss = loss
        _set_shared_params(self, locals())

    def _public_coef(self, coef):
        return coef[0] if coef.shape[0] == 1 else coef

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


class _LinearClassifier(ClassifierGlue, _LinearModel):
    _parameter_constraints = {
        **_LinearModel._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    def __init__(
        self,
        *,
        solver="auto",
        alpha=1.0,
        penalty="l2",
        l1_ratio=0.15,
        dropout=0.0,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.03,
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
        rho=0.9,
        average=False,
        n_iter_no_change=5,
        fit_intercept=True,
        class_weight=None,
    ):
        _set_shared_params(self, locals())

    @available_if(_stochastic_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch over X, y, continuing from the previous call.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Every label of the stream: required on the first call, checked on
            later ones.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        return self._classifier_partial_fit(X, y, sample_weight, classes)

    def decision_function(self, X):
        """Raw scores x·W + b: the log-odds, or one score per class.

        Only the linear classifiers have it, as in scikit-learn (its
        ``MLPClassifier`` has none, and neither has sgdlearn's).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            One column for two classes, else one per class.
            For two classes, positive favours ``classes_[1]``.
        """
        raw = self._raw_output(X)
        if raw.shape[1] == 1:
            return raw[:, 0]
        if raw.shape[1] == 2:  # SoftmaxClassifier's two rows
            return raw[:, 1] - raw[:, 0]
        return raw


@fill_doc
class SGDLogisticClassifier(_LinearClassifier):
    """Logistic regression trained by gradient descent; one-vs-rest for several classes.

    A linear model squeezed through a sigmoid, p = σ(x·w + b), trained on the
    Bernoulli negative log-likelihood (log-loss, computed from the raw score
    with ``logaddexp``). With more than two classes it fits one binary
    column per class at once (one-vs-rest as one vectorised model) and
    ``predict_proba`` normalises the per-class probabilities, as
    scikit-learn's one-vs-rest does. With ``penalty='l2'`` its optimum is
    ``LogisticRegression(C=1/alpha)``'s (per class for one-vs-rest).

    Parameters
    ----------
    {solver_auto}
    {penalty}
    {dropout_linear}
    {steps}
    {rho}
    fit_intercept : bool, default=True
        Fit the intercepts (never penalised); False keeps them at 0.
    class_weight : dict, 'balanced' or None, default=None
        Weights per class multiplying ``sample_weight``: 'balanced' is
        n_samples / (n_classes · count of the class). Not 'balanced' in
        ``partial_fit``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels, sorted.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        One row for two classes (the log-odds of ``classes_[1]``), else one
        per class.
    intercept_ : ndarray of shape (1,) or (n_classes,)
    {fitted}

    See Also
    --------
    sklearn.linear_model.SGDClassifier, sklearn.linear_model.LogisticRegression,
    SoftmaxClassifier

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sgdlearn import SGDLogisticClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), SGDLogisticClassifier(random_state=0))
    >>> clf.fit(X, y).score(X, y) > 0.97
    True
    """

    _binary_one_column = True
    _multiclass_activation = "logistic"


@fill_doc
class SoftmaxClassifier(_LinearClassifier):
    """Multinomial logistic regression (softmax) trained by gradient descent.

    p = softmax(x·W + b), trained on the categorical negative log-likelihood
    (cross-entropy from the raw scores with ``logsumexp``). Two classes work
    too, with one row per class. Softmax coefficients are defined only up to
    a common shift of the rows; the L2 penalty picks the centred solution
    (rows summing to zero), so the optimum with ``penalty='l2'`` is
    ``LogisticRegression(C=1/alpha)``'s multinomial solution, and for two
    classes ``LogisticRegression(C=2/alpha)``'s, its w split evenly between
    the two rows.

    Parameters
    ----------
    {solver_auto}
    {penalty}
    {dropout_linear}
    {steps}
    {rho}
    fit_intercept : bool, default=True
        Fit the intercepts (never penalised); False keeps them at 0.
    class_weight : dict, 'balanced' or None, default=None
        Weights per class multiplying ``sample_weight``: 'balanced' is
        n_samples / (n_classes · count of the class). Not 'balanced' in
        ``partial_fit``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels, sorted.
    coef_ : ndarray of shape (n_classes, n_features)
        One row per class, also for two classes.
    intercept_ : ndarray of shape (n_classes,)
    {fitted}

    See Also
    --------
    sklearn.linear_model.LogisticRegression, SGDLogisticClassifier

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sgdlearn import SoftmaxClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxClassifier(solver="lbfgs", alpha=1.0, max_iter=500).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape, clf.coef_.shape
    ((2, 3), (3, 4))
    """

    _binary_one_column = False
    _multiclass_activation = "softmax"


def _set_shared_params(estimator, arguments):
    """Store the shared constructor arguments (scikit-learn's convention)."""
    for name in _SHARED_PARAMS:
        setattr(estimator, name, arguments[name])
    if "class_weight" in arguments:
        estimator.class_weight = arguments["class_weight"]
