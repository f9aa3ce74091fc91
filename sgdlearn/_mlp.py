"""MLPRegressor and MLPClassifier: drop-in replacements for scikit-learn's.

"Where is my network?": the linear model x·W + b replaced by a dense
network, trained by backprop on the same negative log-likelihoods. The
constructors take every parameter of scikit-learn 1.9's classes with the
same position, default and meaning; the keyword-only additions
(``penalty``, ``l1_ratio``, ``dropout``, ``rho``, ``average``,
``weight_init``, ``warmup_fraction``, ``max_grad_norm``, ``class_weight``)
default to what scikit-learn does.

One difference in meaning, by design (see the migration guide): the penalty
is scaled by the training set's total weight, not by each mini-batch's, so
``alpha`` means the same for every batch size; the two agree for full
batches and 'lbfgs'.
"""

from sklearn.base import _fit_context
from sklearn.utils._available_if import available_if

from ._base import BaseSGDEstimator, stochastic_solver
from ._classifier import ClassifierGlue, ClassTargets
from ._losses import LOSSES
from ._models import MLP
from ._params import store_params
from ._regressor import RegressionTargets, RegressorGlue

_WEIGHTS_DOC = """\
    coefs_ : list of ndarray
        coefs_[i] has shape (units of layer i, units of layer i + 1).
        Weights assigned here (new arrays, or edited in place) are what
        ``predict`` uses and what ``partial_fit`` and ``warm_start`` continue
        from; shapes that do not fit the data are a ``ValueError``.
    intercepts_ : list of ndarray
        intercepts_[i] has shape (units of layer i + 1,); assignable as
        ``coefs_``.
    n_layers_ : int
        Layers, input and output included."""


class _MLPBase(BaseSGDEstimator):
    """The MLP family: hidden layers, hidden-unit dropout, random start, coefs_."""

    _family = "mlp"

    def _model_part(self):
        return MLP(
            self.hidden_layer_sizes, self.activation, self.weight_init, self.max_fun
        )


class MLPRegressor(RegressorGlue, _MLPBase):
    __doc__ = (
        """Multi-layer perceptron regressor: scikit-learn's, plus dropout, L1 and more.

    Trained by backprop on a negative log-likelihood, averaged over
    outputs, plus alpha·P(W): the squared error (Gaussian) as scikit-learn's,
    or any other regression loss of sgdlearn (Poisson, Gamma, Tweedie,
    absolute error, quantiles, Huber, or a Gaussian whose variance a second
    output head predicts).

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
"""
        + _WEIGHTS_DOC
        + """
    {fitted}

    See Also
    --------
    sklearn.neural_network.MLPRegressor : The scikit-learn class this replaces.
    SGDLinearRegressor : The model without hidden layers.

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
        warmup_fraction=0.0,
        max_grad_norm=None,
        quantile=0.5,
        huber_delta=1.35,
        power=0.0,
    ):
        store_params(self, locals())

    def _target_encoder(self, params):
        return RegressionTargets(LOSSES[self.loss].from_params(params))


class MLPClassifier(ClassifierGlue, _MLPBase):
    __doc__ = (
        """Multi-layer perceptron classifier: scikit-learn's, plus dropout, L1 and more.

    A softmax output trained on the categorical cross-entropy for several
    classes; one logistic output for two classes; one logistic output per
    label for multilabel (indicator) targets. y with a single class is
    fitted as scikit-learn's MLP fits it: ``predict`` returns that class, and
    ``predict_proba`` has two columns (the class and its complement).

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels (for multilabel targets, 0 … n_labels − 1).
"""
        + _WEIGHTS_DOC
        + """
    {fitted}

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The scikit-learn class this replaces.
    SoftmaxClassifier : The model without hidden layers.

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
        warmup_fraction=0.0,
        max_grad_norm=None,
        class_weight=None,
    ):
        store_params(self, locals())

    def _target_encoder(self, params):
        return ClassTargets(
            binary_one_column=True,
            multiclass_loss="categorical_log_loss",
            multilabel=True,
            fits_one_class=True,
            class_weight=self.class_weight,
            name=type(self).__name__,
        )

    @available_if(stochastic_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Run one epoch over X, y, continuing from the previous call.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The chunk's samples.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            The chunk's labels (an indicator matrix for multilabel targets).
        sample_weight : array-like of shape (n_samples,), default=None
            The chunk's sample weights (None means 1), multiplied by
            ``class_weight``.
        classes : array-like of shape (n_classes,), default=None
            Every label of the stream: required on the first call (except
            for multilabel indicator targets), checked on later ones.

        Returns
        -------
        self : object
            The classifier, trained one more epoch on the chunk.
        """
        return self._classifier_partial_fit(X, y, sample_weight, classes)
