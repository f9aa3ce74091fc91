"""The linear models: SGDLinearRegressor, SGDLogisticClassifier, SoftmaxClassifier.

Each is the network without hidden layers: raw scores x·W + b, trained on
its negative log-likelihood. Their defaults fit the objective of ``Ridge()``
and ``LogisticRegression()`` with their defaults (``alpha=1.0``) and reach
it: ``solver='auto'`` takes L-BFGS on small smooth problems and Adagrad on
large data and in ``partial_fit`` (the performance guide, "The linear
models' defaults", explains the choice).
"""

from sklearn.base import _fit_context
from sklearn.utils._available_if import available_if

from ._base import BaseSGDEstimator, stochastic_solver
from ._classifier import ClassifierGlue, ClassTargets
from ._cluster_predict import blockwise
from ._losses import LOSSES
from ._models import LinearModel
from ._params import store_params
from ._regressor import RegressionTargets, RegressorGlue


class _LinearModel(BaseSGDEstimator):
    """The linear family: one layer, input dropout, zero start, coef_/intercept_."""

    _family = "linear"
    _flat_single_output = False  # the regressor's coef_ of one output is 1-D

    def _model_part(self):
        return LinearModel(self.fit_intercept, self._flat_single_output)


class SGDLinearRegressor(RegressorGlue, _LinearModel):
    """Linear regression trained by gradient descent: y ≈ x·W + b.

    Minimises Σ s_i ℓ(y_i, x_i·W + b) + alpha·P(W) with ℓ a negative
    log-likelihood, averaged over outputs: the squared error ½(y − ŷ)² (the
    Gaussian's) by default; Poisson, Gamma and Tweedie deviances with
    ŷ = exp(x·W + b); the absolute error (Laplace), the pinball loss of
    quantile regression and Huber's loss for robust fits; or a Gaussian
    with a learned variance (the user guide's objective page has the table).
    With ``penalty='l2'`` and the squared error its optimum is
    ``Ridge(alpha)``'s (``Ridge(alpha · n_outputs)`` for several outputs)
    whatever the solver or batch size.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_outputs, n_features)
        The weights W, transposed as in scikit-learn. One row per output:
        per quantile for a list of quantiles; for ``loss='gaussian_nll'``
        the k mean rows, then the k log-variance rows (zeros with
        ``variance='constant'``).
    intercept_ : ndarray of shape (1,) or (n_outputs,)
        The intercept b.
    {fitted}

    See Also
    --------
    sklearn.linear_model.SGDRegressor : The linear SGD of scikit-learn.
    sklearn.linear_model.Ridge : The same L2 objective, solved directly.
    sklearn.linear_model.PoissonRegressor : The Poisson objective, by L-BFGS.
    sklearn.linear_model.QuantileRegressor : Quantiles, as a linear program.
    sklearn.linear_model.HuberRegressor : Huber's loss with a learned scale.

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

    def __init__(
        self,
        loss="squared_error",
        *,
        quantile=0.5,
        huber_delta=1.35,
        power=0.0,
        variance="linear",
        solver="auto",
        alpha=1.0,
        penalty="l2",
        l1_ratio=0.15,
        dropout=0.0,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.03,
        power_t=0.5,
        warmup_fraction=0.0,
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
        max_grad_norm=None,
        n_iter_no_change=5,
        fit_intercept=True,
    ):
        store_params(self, locals())

    def _model_part(self):
        return LinearModel(self.fit_intercept, True, self.variance)

    def _target_encoder(self, params):
        return RegressionTargets(LOSSES[self.loss].from_params(params))


class _LinearClassifier(ClassifierGlue, _LinearModel):
    # How the subclass models the classes (see _classifier.ClassTargets).
    _binary_one_column = True
    _multiclass_loss = "categorical_log_loss"

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
        warmup_fraction=0.0,
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
        max_grad_norm=None,
        n_iter_no_change=5,
        fit_intercept=True,
        class_weight=None,
    ):
        store_params(self, locals())

    def _target_encoder(self, params):
        return ClassTargets(
            binary_one_column=self._binary_one_column,
            multiclass_loss=self._multiclass_loss,
            multilabel=False,
            fits_one_class=False,
            class_weight=self.class_weight,
            name=type(self).__name__,
        )

    @available_if(stochastic_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch over X, y, continuing from the previous call.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The chunk's samples.
        y : array-like of shape (n_samples,)
            The chunk's labels.
        classes : array-like of shape (n_classes,), default=None
            Every label of the stream: required on the first call, checked on
            later ones.
        sample_weight : array-like of shape (n_samples,), default=None
            The chunk's sample weights (None means 1), multiplied by
            ``class_weight``.

        Returns
        -------
        self : object
            The classifier, trained one more epoch on the chunk.
        """
        return self._classifier_partial_fit(X, y, sample_weight, classes)

    @blockwise
    def decision_function(self, X):
        """Raw scores x·W + b: the log-odds, or one score per class.

        Only the linear classifiers have it, as in scikit-learn (its
        ``MLPClassifier`` has none, and neither has sgdlearn's).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples to score.

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
    {parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels, sorted.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        One row for two classes (the log-odds of ``classes_[1]``), else one
        per class.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        The intercepts.
    {fitted}

    See Also
    --------
    sklearn.linear_model.SGDClassifier : The linear SGD of scikit-learn.
    sklearn.linear_model.LogisticRegression : The same objective, by L-BFGS.
    SoftmaxClassifier : The multinomial model.

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
    _multiclass_loss = "bernoulli_log_loss"


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
    {parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels, sorted.
    coef_ : ndarray of shape (n_classes, n_features)
        One row per class, also for two classes.
    intercept_ : ndarray of shape (n_classes,)
        The intercepts.
    {fitted}

    See Also
    --------
    sklearn.linear_model.LogisticRegression : The same objective, by L-BFGS.
    SGDLogisticClassifier : One-vs-rest logistic regression.

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
    _multiclass_loss = "categorical_log_loss"
