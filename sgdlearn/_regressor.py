"""What the regressors share: numeric targets, the output's inverse link, R²."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.validation import column_or_1d

from ._losses import LOSS_BY_OUTPUT

OUT_ACTIVATION = {"squared_error": "identity", "poisson": "exp"}


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
        # y as given: float32 would round a tiny negative target to -0.0
        if self.loss == "poisson" and (np.asarray(y) < 0).any():
            raise ValueError(
                "loss='poisson' requires non-negative y (counts or rates); y has "
                "negative values. Use loss='squared_error' for signed targets."
            )
        return Y, {
            "n_outputs_": Y.shape[1],
            "out_activation_": OUT_ACTIVATION[self.loss],
        }

    def _score_raw(self, raw, Y, sample_weight, encoding):
        """R² of the predictions (uniform average over outputs), in float64:
        the squares of float32 targets beyond ~1e19 overflow, and R² = NaN."""
        prediction = LOSS_BY_OUTPUT[OUT_ACTIVATION[self.loss]]().inverse_link(raw)
        return float(
            r2_score(
                Y.astype(np.float64, copy=False),
                prediction.astype(np.float64, copy=False),
                sample_weight=sample_weight,
            )
        )

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
        y_pred = LOSS_BY_OUTPUT[self.out_activation_]().inverse_link(raw)
        return y_pred.ravel() if y_pred.shape[1] == 1 else y_pred
