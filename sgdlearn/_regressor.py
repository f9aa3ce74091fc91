"""What the regressors share: numeric targets, the output's inverse link, R²."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils.validation import column_or_1d

from ._losses import LOSSES


class RegressorGlue(RegressorMixin):
    """Mixin for ``BaseSGDEstimator`` regressors with a ``loss`` parameter."""

    def _encode_targets(self, y, dtype, *, known=None, classes=None):
        if np.ndim(y) == 2 and np.shape(y)[1] == 1:
            # as scikit-learn's MLPRegressor: a DataConversionWarning, then one
            # output (predict gives shape (n_samples,))
            y = column_or_1d(y, warn=True)
        Y = np.asarray(y, dtype=dtype)
        Y = Y.reshape(-1, 1) if Y.ndim == 1 else Y
        if known is not None and Y.shape[1] != known["n_outputs_"]:
            raise ValueError(
                f"y has {Y.shape[1]} outputs but the model was fitted with "
                f"{known['n_outputs_']}."
            )
        loss = LOSSES[self.loss]()
        loss.check_targets(y)  # y as given, before the cast to dtype
        return Y, {
            "n_outputs_": Y.shape[1],
            "out_activation_": loss.out_activation,
            "_loss_name_": loss.name,
        }

    def _score_raw(self, raw, Y, sample_weight, encoding):
        """The loss's score: R² of the predictions (see ``Loss.score``)."""
        return self._make_loss(encoding).score(raw, Y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def predict(self, X):
        """Predict targets: the inverse link of the raw output.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            float32 for a model fitted on float32 data.
        """
        raw = self._raw_output(X)
        y_pred = LOSSES[self._loss_name_]().inverse_link(raw)
        return y_pred.ravel() if y_pred.shape[1] == 1 else y_pred
