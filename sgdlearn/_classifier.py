"""What the classifiers share: label encoding, class weights, probabilities.

Labels of any type are encoded against ``classes_``: one 0/1 column for a
binary model with a single logistic output, one-hot columns otherwise, the
indicator matrix itself for multilabel targets. Probabilities come from the
raw scores in log space, through the loss's ``log_proba``.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import log_softmax
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import column_or_1d

from ._cluster_predict import (
    DaskAwareScore,
    accuracy_from,
    accuracy_statistics,
    blockwise,
)
from ._input import as_1d, label_type
from ._losses import LOSSES

# The loss of one logistic column per class or label.
BINARY_LOSS = "bernoulli_log_loss"

# The target types of labels (scikit-learn's ``check_classification_targets``
# rejects every other type, with its own message).
_LABEL_TYPES = (
    "binary",
    "multiclass",
    "multiclass-multioutput",
    "multilabel-indicator",
    "multilabel-sequences",
)

# The fitted attributes that describe a classifier's targets.
_ENCODING = (
    "classes_",
    "n_outputs_",
    "out_activation_",
    "_multilabel_",
    "_sparse_labels_",  # multilabel y given sparse: predict returns CSR too
    "_loss_",
)


@dataclass(frozen=True)
class ClassTargets:
    """The target encoder of a classifier: labels as indicator columns.

    Parameters
    ----------
    binary_one_column : bool
        Two classes get one logistic output (else one output per class).
    multiclass_loss : str
        The loss of several classes: 'categorical_log_loss' (softmax) or
        'bernoulli_log_loss' (one-vs-rest, one logistic column per class).
    multilabel : bool
        Indicator targets are accepted (one logistic output per label).
    fits_one_class : bool
        y with a single class is fitted as scikit-learn's MLP fits it (one
        logistic output trained towards "not the class"); False: ValueError.
    class_weight : dict, 'balanced' or None
        The estimator's ``class_weight``.
    name : str
        The estimator's class name, for messages.
    """

    binary_one_column: bool
    multiclass_loss: str
    multilabel: bool
    fits_one_class: bool
    class_weight: object
    name: str

    y_numeric = False

    @staticmethod
    def known_encoding(estimator):
        """The encoding a fitted ``estimator`` holds."""
        return {name: getattr(estimator, name) for name in _ENCODING}

    @staticmethod
    def check_warm_start(y, known):
        """A warm-started fit needs the classes of the fit it continues.

        The same check and message as scikit-learn's MLP (also for a subset
        of the classes); multilabel mix-ups are left to :meth:`encode`.
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

    def encode(self, y, dtype, *, known=None, classes=None, name="y"):
        """(Y, encoding): indicator columns (uint8) and the attributes describing them.

        ``known`` is the encoding of the fit being continued or of the
        training data (for validation labels, ``name`` "y_val");
        ``classes`` the argument of a first ``partial_fit``.
        """
        target_type = label_type(y)
        if target_type not in _LABEL_TYPES:
            check_classification_targets(y)  # scikit-learn's error for the others
        multilabel = target_type == "multilabel-indicator"
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
            if not self.multilabel:
                raise ValueError(f"{self.name} does not support multilabel y.")
            encoding = self._encoding(
                np.arange(y.shape[1]), multilabel=True, sparse=sp.issparse(y)
            )
        # 0/1 indicators as uint8, whatever X's dtype: an eighth of float64's
        # memory; the losses convert them per batch. A sparse indicator
        # matrix (as scikit-learn's MLP accepts) is made dense: it has one
        # column per label, as the network has one output.
        if multilabel:
            if sp.issparse(y):
                y = y.toarray()
            return np.asarray(y, dtype=np.uint8), encoding
        y = as_1d(y)
        if known is None and classes is None:
            labels, index = np.unique(y, return_inverse=True)
        else:
            labels = encoding["classes_"] if known is not None else np.unique(classes)
            index = _class_index(y, labels, name)
        if known is None:
            if labels.size < 2 and not (self.fits_one_class and labels.size):
                raise ValueError(
                    f"{self.name} needs samples of at least 2 classes, but "
                    f"the data contains only one class: {labels.tolist()[0]!r}."
                )
            encoding = self._encoding(labels, multilabel=False)
        return _one_hot(index, encoding), encoding

    def _encoding(self, classes, multilabel, sparse=False):
        if multilabel:
            loss, n_outputs = BINARY_LOSS, classes.size
        elif classes.size == 1 or (classes.size == 2 and self.binary_one_column):
            loss, n_outputs = BINARY_LOSS, 1
        else:
            loss, n_outputs = self.multiclass_loss, classes.size
        return {
            "classes_": classes,
            "n_outputs_": n_outputs,
            "out_activation_": LOSSES[loss].out_activation,
            "_multilabel_": multilabel,
            "_sparse_labels_": sparse,
            "_loss_": {"name": loss},
        }

    def class_weight_factor(self, y, encoding, incremental, sample_weight=None):
        """Per-sample class weights multiplying sample_weight (None: all 1)."""
        if not self.uses_class_weight(encoding, incremental):
            return None
        classes = encoding["classes_"]
        index = np.searchsorted(classes, column_or_1d(y))
        totals = np.bincount(index, weights=sample_weight, minlength=classes.size)
        return self.class_weights(classes, totals)[index]

    def uses_class_weight(self, encoding, incremental):
        """Whether the fit weighs classes; the ValueError of a class_weight
        that cannot be used with these targets or this kind of fit."""
        if self.class_weight is None:
            return False
        if encoding["_multilabel_"]:
            raise ValueError("class_weight is not supported for multilabel y.")
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported for partial_fit: the "
                "class frequencies of the whole stream are unknown. Pass a dict, "
                "e.g. from sklearn.utils.class_weight.compute_class_weight."
            )
        return True

    def class_weights(self, classes, totals):
        """The weight of each class: ``class_weight``'s dict, or 'balanced'
        from ``totals``, each class's Σ sample_weight (its count without
        weights): Σ totals / (n_classes · total), as scikit-learn's
        ``LogisticRegression`` computes it (``compute_class_weight`` with
        ``sample_weight``), so that every class weighs the same in J. A
        class of total weight 0 gets the weight 0 (its rows count for
        nothing anyway)."""
        if self.class_weight == "balanced":
            totals = np.asarray(totals, dtype=np.float64)
            weights = np.zeros_like(totals)
            present = totals > 0
            weights[present] = totals.sum() / (classes.size * totals[present])
            return weights
        values = np.asarray(list(self.class_weight.values()), dtype=float)
        if not (np.isfinite(values).all() and (values >= 0).all()):
            raise ValueError(
                "class_weight values must be finite and non-negative, got "
                f"{self.class_weight!r}."
            )
        return compute_class_weight(self.class_weight, classes=classes, y=classes)

    @staticmethod
    def score(loss, raw, Y, sample_weight, encoding):
        """Accuracy, weighted by sample_weight: the loss's score (each
        column's sign, all right for multilabel), except that exclusive
        classes in several columns are right when the largest score is the
        class's (one-vs-rest as softmax), and a model of one class always
        predicts it."""
        if encoding["classes_"].size == 1:
            return 1.0
        if Y.shape[1] > 1 and not encoding["_multilabel_"]:
            correct = raw.argmax(axis=1) == Y.argmax(axis=1)
            return float(np.average(correct, weights=sample_weight))
        return loss.score(raw, Y, sample_weight)

    @staticmethod
    def stratify(Y, encoding):
        """Labels to stratify the early-stopping hold-out by, how an error
        should name them, and whether the stratification is required.

        Two classes: the binarised target (``y == classes_[1]``), as
        scikit-learn's MLP stratifies, so that an error names them 'True'
        and 'False' as scikit-learn's does (the note says which labels
        those are); required, as there. Several classes: the original
        labels, where they can be stratified; scikit-learn's MLP does not
        stratify them, so a class too small to split leaves the hold-out
        random instead of failing. Multilabel: not stratified.
        """
        if encoding["_multilabel_"]:
            return None, "", False
        classes = encoding["classes_"]
        if Y.shape[1] == 1:
            positive, negative = classes[-1:].tolist() + classes[:1].tolist()
            note = f" ('True' is the class {positive!r}, 'False' {negative!r})"
            return Y[:, 0].astype(bool).astype(str), note, True
        return classes[Y.argmax(axis=1)], "", False


def _class_index(y, classes, name="y"):
    """The position of each label of y in ``classes`` (a ValueError names
    the labels that are not there, and ``name``: "y_val" for validation
    labels)."""
    unknown = ~np.isin(y, classes)
    if unknown.any():
        if name == "y":
            why = (
                "The classes are fixed by the first fit (or by classes= on the "
                "first call to partial_fit); refit without warm_start to learn "
                "new ones."
            )
        else:
            why = f"The labels of {name} must be classes of the training y."
        raise ValueError(
            f"{name} contains labels not in classes_ {classes.tolist()}: "
            f"{np.unique(y[unknown]).tolist()}. {why}"
        )
    return np.searchsorted(classes, y)


def _one_hot(index, encoding):
    """Indicator columns (uint8) of the class positions: one, or one per class."""
    if encoding["n_outputs_"] == 1:
        return (index == 1).view(np.uint8).reshape(-1, 1)
    return (index[:, None] == np.arange(encoding["classes_"].size)).view(np.uint8)


class ClassifierGlue(ClassifierMixin):
    """Mixin for the classifiers: predictions, probabilities, the first
    ``partial_fit``'s classes, the multilabel tag."""

    _multilabel = False

    # scikit-learn's score on the class (dask-ml's wrappers recognise it);
    # accuracy from per-block counts on Dask input (``_cluster_predict``)
    score = DaskAwareScore(ClassifierMixin.score, accuracy_statistics, accuracy_from)

    def _classifier_partial_fit(self, X, y, sample_weight, classes):
        """partial_fit with ``classes`` required on the first call."""
        if getattr(self, "_state", None) is None and classes is None:
            if type_of_target(y) != "multilabel-indicator":
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: "
                    "the labels of the whole stream, e.g. np.unique(y_all)."
                )
        return self._partial_fit(X, y, sample_weight, classes=classes)

    @blockwise
    def predict(self, X):
        """Predict class labels (an indicator matrix for multilabel models).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The labels (0/1 indicators for multilabel models; a CSR matrix
            when the model was fitted on a sparse indicator matrix, as
            scikit-learn's MLP returns).
        """
        raw = self._raw_output(X)
        if self._multilabel_:
            indicators = (raw > 0).astype(int)
            return sp.csr_matrix(indicators) if self._sparse_labels_ else indicators
        if self.classes_.size == 1:
            return np.repeat(self.classes_, raw.shape[0])
        index = (raw[:, 0] > 0).astype(int) if raw.shape[1] == 1 else raw.argmax(axis=1)
        return self.classes_[index]

    @blockwise
    def predict_log_proba(self, X):
        """Log of the class probabilities, computed stably from the raw scores.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples whose class log-probabilities are wanted.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``. A model fitted on a single
            class gives two columns, as scikit-learn's MLP: that class and
            its complement.
        """
        raw = self._raw_output(X)
        loss = self._fitted_loss()
        if raw.shape[1] == 1:
            return np.hstack([loss.log_proba(-raw), loss.log_proba(raw)])
        log_p = loss.log_proba(raw)
        if self._multilabel_ or loss.normalised:
            return log_p
        return log_softmax(log_p, axis=1)  # one-vs-rest: normalise the sigmoids

    @blockwise
    def predict_proba(self, X):
        """Class probabilities.

        Softmax models give the softmax; one-vs-rest models normalise the
        per-class sigmoids to sum to 1; multilabel models give each label's
        own probability.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples whose class probabilities are wanted.

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
