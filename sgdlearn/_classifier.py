"""What the classifiers share: label encoding, class weights, probabilities.

Labels of any type are encoded against ``classes_``: one 0/1 column for a
binary model with a single logistic output, one-hot columns otherwise, the
indicator matrix itself for multilabel targets. Probabilities come from the
raw scores in log space (``logaddexp`` / ``log_softmax``).
"""

import numpy as np
from scipy.special import log_softmax
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import column_or_1d


def log_sigmoid(raw):
    """log σ(z), computed stably."""
    return -np.logaddexp(0.0, -raw)


class ClassifierGlue(ClassifierMixin):
    """Mixin for ``BaseSGDEstimator`` classifiers with a ``class_weight`` parameter.

    Class attributes say how a subclass models the classes:
    ``_binary_one_column`` (one logistic output for two classes),
    ``_multiclass_activation`` ("logistic" one-vs-rest or "softmax") and
    ``_multilabel`` (indicator targets accepted).
    """

    _binary_one_column = True
    _multiclass_activation = "softmax"
    _multilabel = False
    # True: y with a single class is fitted (as scikit-learn's MLP does: one
    # logistic output trained towards "not the class"); False: ValueError.
    _fits_one_class = False

    def _is_classifier(self):
        return True

    def _classifier_partial_fit(self, X, y, sample_weight, classes):
        """partial_fit with ``classes`` required on the first call."""
        if getattr(self, "_state", None) is None and classes is None:
            if type_of_target(y) != "multilabel-indicator":
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: "
                    "the labels of the whole stream, e.g. np.unique(y_all)."
                )
        return self._partial_fit(X, y, sample_weight, classes=classes)

    def _check_warm_start_targets(self, y, known):
        """A warm-started fit needs the classes of the fit it continues.

        The same check and message as scikit-learn's MLP (also for a subset
        of the classes); multilabel mix-ups are left to ``_encode_targets``.
        """
        if (type_of_target(y) == "multilabel-indicator") != known["_multilabel_"]:
            return
        previous, labels = known["classes_"], unique_labels(y)
        if set(labels) != set(previous):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in "
                f"the previous call to fit. Previously got {previous}, `y` has "
                f"{labels}"
            )

    def _encode_targets(self, y, dtype, *, known=None, classes=None):
        check_classification_targets(y)
        multilabel = type_of_target(y) == "multilabel-indicator"
        if known is not None:
            if multilabel != known["_multilabel_"]:
                raise ValueError(
                    "y is multilabel but the model was fitted on single labels, or "
                    "the other way round."
                )
            encoding = known
            if classes is not None and not np.array_equal(
                np.unique(classes), known["classes_"]
            ):
                raise ValueError(
                    f"classes={classes!r} differs from classes_={known['classes_']!r} "
                    "of the first call to partial_fit."
                )
        elif multilabel:
            if not self._multilabel:
                raise ValueError(
                    f"{type(self).__name__} does not support multilabel y."
                )
            encoding = self._encoding(np.arange(y.shape[1]), multilabel=True)
        else:
            labels = np.unique(column_or_1d(y) if classes is None else classes)
            if labels.size < 2 and not (self._fits_one_class and labels.size):
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes, but "
                    f"the data contains only one class: {labels.tolist()[0]!r}."
                )
            encoding = self._encoding(labels, multilabel=False)
        # 0/1 indicators as uint8, whatever X's dtype: an eighth of float64's
        # memory; the losses convert them per batch
        if multilabel:
            return np.asarray(y, dtype=np.uint8), encoding
        return self._one_hot(column_or_1d(y, warn=True), encoding), encoding

    def _encoding(self, classes, multilabel):
        if multilabel:
            activation, n_outputs = "logistic", classes.size
        elif classes.size == 1 or (classes.size == 2 and self._binary_one_column):
            activation, n_outputs = "logistic", 1
        else:
            activation, n_outputs = self._multiclass_activation, classes.size
        return {
            "classes_": classes,
            "n_outputs_": n_outputs,
            "out_activation_": activation,
            "_multilabel_": multilabel,
            "_loss_name_": "categorical_log_loss"
            if activation == "softmax"
            else "bernoulli_log_loss",
        }

    @staticmethod
    def _one_hot(y, encoding):
        """Indicator columns (uint8) of the labels y: one, or one per class."""
        classes = encoding["classes_"]
        unknown = ~np.isin(y, classes)
        if unknown.any():
            raise ValueError(
                f"y contains labels not in classes_ {classes.tolist()}: "
                f"{np.unique(y[unknown]).tolist()}. The classes are fixed by the "
                "first fit (or by classes= on the first call to partial_fit); "
                "refit without warm_start to learn new ones."
            )
        index = np.searchsorted(classes, y)
        if encoding["n_outputs_"] == 1:
            return (index == 1).view(np.uint8).reshape(-1, 1)
        return (index[:, None] == np.arange(classes.size)).view(np.uint8)

    def _class_weight_factor(self, y, encoding, incremental):
        if self.class_weight is None:
            return None
        if encoding["_multilabel_"]:
            raise ValueError("class_weight is not supported for multilabel y.")
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported for partial_fit: the "
                "class frequencies of the whole stream are unknown. Pass a dict, "
                "e.g. from sklearn.utils.class_weight.compute_class_weight."
            )
        if isinstance(self.class_weight, dict):
            values = np.asarray(list(self.class_weight.values()), dtype=float)
            if not (np.isfinite(values).all() and (values >= 0).all()):
                raise ValueError(
                    "class_weight values must be finite and non-negative, got "
                    f"{self.class_weight!r}."
                )
        y = column_or_1d(y)
        weights = compute_class_weight(
            self.class_weight, classes=encoding["classes_"], y=y
        )
        return weights[np.searchsorted(encoding["classes_"], y)]

    def _score_raw(self, raw, Y, sample_weight, encoding):
        """Accuracy (exact match for multilabel), weighted by sample_weight."""
        if encoding["classes_"].size == 1:  # predict always gives the class
            correct = np.ones(len(Y), dtype=bool)
        elif Y.shape[1] > 1 and not encoding["_multilabel_"]:
            # exclusive classes: predict takes the largest score, also for
            # one-vs-rest logistic columns
            correct = raw.argmax(axis=1) == Y.argmax(axis=1)
        else:  # one column, or multilabel: the loss's exact-match accuracy
            return self._make_loss(encoding).score(raw, Y, sample_weight)
        return float(np.average(correct, weights=sample_weight))

    def predict(self, X):
        """Predict class labels (an indicator matrix for multilabel models).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        raw = self._raw_output(X)
        if self._multilabel_:
            return (raw > 0).astype(int)
        if self.classes_.size == 1:
            return np.repeat(self.classes_, raw.shape[0])
        index = (raw[:, 0] > 0).astype(int) if raw.shape[1] == 1 else raw.argmax(axis=1)
        return self.classes_[index]

    def predict_log_proba(self, X):
        """Log of the class probabilities, computed stably from the raw scores.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``. A model fitted on a single
            class gives two columns, as scikit-learn's MLP: that class and
            its complement.
        """
        raw = self._raw_output(X)
        if raw.shape[1] == 1:
            return np.hstack([log_sigmoid(-raw), log_sigmoid(raw)])
        if self.out_activation_ == "softmax":
            # log_softmax subtracts each row's maximum before the log of the
            # sum: raw − logsumexp(raw) would lose the log 2 of a tie at 1e298
            return log_softmax(raw, axis=1)
        log_p = log_sigmoid(raw)
        if self._multilabel_:
            return log_p
        return log_softmax(log_p, axis=1)  # log of the normalised sigmoids

    def predict_proba(self, X):
        """Class probabilities.

        Softmax models give the softmax; one-vs-rest models normalise the
        per-class sigmoids to sum to 1; multilabel models give each label's
        own probability.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``. A model fitted on a single
            class gives two columns, as scikit-learn's MLP: that class's
            probability and its complement.
        """
        return np.exp(self.predict_log_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = self._multilabel
        return tags

    def _stratify_labels(self, Y, encoding):
        """Labels to stratify by, and how an error should name them.

        Several classes: the original labels. Two classes: the binarised
        target (``y == classes_[1]``), as scikit-learn's MLP stratifies, so
        that an error names them 'True' and 'False' as scikit-learn's does;
        the note says which labels those are.
        """
        if encoding["_multilabel_"]:
            return None, ""
        classes = encoding["classes_"]
        if Y.shape[1] == 1:
            positive, negative = classes[-1:].tolist() + classes[:1].tolist()
            note = f" ('True' is the class {positive!r}, 'False' {negative!r})"
            return Y[:, 0].astype(bool).astype(str), note
        return classes[Y.argmax(axis=1)], ""
