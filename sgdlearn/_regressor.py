"""What the regressors share: numeric targets, and predictions through the
loss's inverse link."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._available_if import available_if
from sklearn.utils.validation import column_or_1d

from ._base import stochastic_solver
from ._cluster_predict import DaskAwareScore, blockwise, r2_from, r2_statistics


class RegressionTargets:
    """The target encoder of a regressor: y as 2-D columns in X's dtype.

    Parameters
    ----------
    loss : Loss
        The loss object (``_losses``); it checks y's range and says how many
        raw outputs the targets need.
    """

    y_numeric = True

    def __init__(self, loss):
        self.loss = loss

    def encode(self, y, dtype, *, known=None, classes=None, name="y"):
        """(Y, encoding): 2-D targets in ``dtype`` and the attributes describing them.

        ``encoding`` (``n_outputs_``: the model's raw outputs,
        ``out_activation_`` and the loss's spec) is committed with the fit;
        ``known`` is the encoding of the fit being continued or of the
        training data (for validation targets).
        """
        if np.ndim(y) == 2 and np.shape(y)[1] == 1:
            # as scikit-learn's MLPRegressor: a DataConversionWarning, then one
            # output (predict gives shape (n_samples,))
            y = column_or_1d(y, warn=True)
        Y = np.asarray(y, dtype=dtype)
        Y = Y.reshape(-1, 1) if Y.ndim == 1 else Y
        loss = self.loss
        n_outputs = loss.n_raw_outputs(Y.shape[1])
        if known is not None and n_outputs != known["n_outputs_"]:
            raise ValueError(
                f"y has {Y.shape[1]} target column(s), which need {n_outputs} "
                f"output(s), but the model was fitted with {known['n_outputs_']}."
            )
        # y as given: float32 would round a tiny negative target to -0.0
        loss.check_targets(np.asarray(y))
        return Y, {
            "n_outputs_": n_outputs,
            "out_activation_": loss.out_activation,
            "_loss_": loss.spec(),
        }

    @staticmethod
    def known_encoding(estimator):
        """The encoding a fitted ``estimator`` holds."""
        return {
            name: getattr(estimator, name)
            for name in ("n_outputs_", "out_activation_", "_loss_")
        }

    @staticmethod
    def class_weight_factor(y, encoding, incremental, sample_weight=None):
        """Regressors have no class weights."""
        return None

    @staticmethod
    def check_warm_start(y, known):
        """Any numeric y may continue a fit (its outputs are checked by encode)."""

    @staticmethod
    def stratify(Y, encoding):
        """Regression targets are not stratified."""
        return None, "", False

    @staticmethod
    def score(loss, raw, Y, sample_weight, encoding):
        """The loss's own score (R² for the regression losses)."""
        return loss.score(raw, Y, sample_weight)


class RegressorGlue(RegressorMixin):
    """Mixin for the regressors: ``partial_fit``, ``predict`` and the
    multi-output tag."""

    @available_if(stochastic_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Run one epoch over X, y, continuing from the previous call.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The chunk's samples.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The chunk's targets.
        sample_weight : array-like of shape (n_samples,), default=None
            The chunk's sample weights; None means 1.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.
        """
        return self._partial_fit(X, y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    # scikit-learn's score on the class (dask-ml's wrappers recognise it);
    # R² from per-block statistics on Dask input (``_cluster_predict``)
    score = DaskAwareScore(RegressorMixin.score, r2_statistics, r2_from)

    @blockwise
    def predict(self, X, return_std=False):
        """Predict targets: the inverse link of the raw output.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples whose targets are predicted.
        return_std : bool, default=False
            Also return the predicted standard deviation of each target
            (``loss='gaussian_nll'`` only, as ``BayesianRidge``'s).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predictions: float32 for a model fitted on float32 data. The
            mean for ``loss='gaussian_nll'``; one column per quantile for a
            list of quantiles.
        y_std : ndarray of shape (n_samples,) or (n_samples, n_targets)
            The standard deviations, when ``return_std`` is True.
        """
        raw = self._raw_output(X)
        loss = self._fitted_loss()
        y_pred = _squeezed(loss.predict(raw))
        if not return_std:
            return y_pred
        return y_pred, _squeezed(loss.predict_std(raw))


def _squeezed(columns):
    """One column as a 1-D array (scikit-learn's shape for one output)."""
    return columns.ravel() if columns.shape[1] == 1 else columns
