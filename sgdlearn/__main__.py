"""Demo: ``python -m sgdlearn``.

Fits each sgdlearn estimator on a data set bundled with scikit-learn (no
downloads), beside its scikit-learn counterpart with comparable settings, and
prints one table: test score (R² for regressors, accuracy for classifiers),
fit time in seconds and the number of epochs (``n_iter_``).

Every model is ``make_pipeline(StandardScaler(), estimator)``, fitted on the
same split, ``train_test_split(test_size=0.25, random_state=0)``, stratified
for classifiers. An sgdlearn estimator that does not exist yet is skipped.
"""

import importlib
import time
import warnings
from functools import partial

import numpy as np
from sklearn.base import is_classifier
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier, SGDRegressor
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def load_diabetes_scaled():
    """Diabetes with y divided by its std (R² is unchanged by the scaling):
    gradient-descent solvers, scikit-learn's too, want targets of unit scale."""
    X, y = load_diabetes(return_X_y=True)
    return X, y / y.std()


DATASETS = {
    "diabetes, y/std": load_diabetes_scaled,
    "breast_cancer": partial(load_breast_cancer, return_X_y=True),
    "digits": partial(load_digits, return_X_y=True),
}


def sgdlearn_factory(name, **params):
    """Return a factory for sgdlearn's estimator ``name``, or None if missing."""
    try:
        cls = getattr(importlib.import_module("sgdlearn"), name)
    except (ImportError, AttributeError):
        return None
    return partial(cls, **params)


def make_rows():
    """(label, data set, estimator factory or None), sgdlearn first in a group."""
    mlp = {"hidden_layer_sizes": (64,), "random_state": 0}
    return [
        ("sgdlearn SGDLinearRegressor", "diabetes, y/std",
         sgdlearn_factory("SGDLinearRegressor", random_state=0)),
        ("sgdlearn SGDLinearRegressor(adagrad, average)", "diabetes, y/std",
         sgdlearn_factory("SGDLinearRegressor", solver="adagrad", average=True,
                          random_state=0)),
        ("sklearn Ridge()", "diabetes, y/std", partial(Ridge, random_state=0)),
        ("sklearn SGDRegressor", "diabetes, y/std",
         partial(SGDRegressor, random_state=0)),
        ("sgdlearn SGDLogisticClassifier", "breast_cancer",
         sgdlearn_factory("SGDLogisticClassifier", random_state=0)),
        ("sklearn SGDClassifier(loss='log_loss')", "breast_cancer",
         partial(SGDClassifier, loss="log_loss", random_state=0)),
        ("sklearn LogisticRegression", "breast_cancer",
         partial(LogisticRegression, random_state=0)),
        ("sgdlearn SoftmaxClassifier", "digits",
         sgdlearn_factory("SoftmaxClassifier", random_state=0)),
        ("sgdlearn SoftmaxClassifier(adagrad, average)", "digits",
         sgdlearn_factory("SoftmaxClassifier", solver="adagrad", average=True,
                          random_state=0)),
        ("sklearn LogisticRegression", "digits",
         partial(LogisticRegression, random_state=0)),
        ("sgdlearn MLPRegressor((64,))", "diabetes, y/std",
         sgdlearn_factory("MLPRegressor", max_iter=500, **mlp)),
        ("sklearn MLPRegressor((64,))", "diabetes, y/std",
         partial(MLPRegressor, max_iter=500, **mlp)),
        ("sgdlearn MLPClassifier((64,))", "digits",
         sgdlearn_factory("MLPClassifier", **mlp)),
        ("sklearn MLPClassifier((64,))", "digits", partial(MLPClassifier, **mlp)),
    ]  # fmt: skip


def run_row(dataset, factory):
    """Fit one pipeline; return (test score, fit seconds, epochs, converged)."""
    X, y = DATASETS[dataset]()
    estimator = factory()
    stratify = y if is_classifier(estimator) else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=stratify
    )
    model = make_pipeline(StandardScaler(), estimator)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
    converged = True
    for w in caught:  # keep ConvergenceWarnings quiet, pass any other on
        if issubclass(w.category, ConvergenceWarning):
            converged = False
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    n_iter = getattr(estimator, "n_iter_", None)
    epochs = None if n_iter is None else int(np.max(n_iter))
    return model.score(X_test, y_test), seconds, epochs, converged


def main():
    """Print the comparison table."""
    rows = make_rows()
    width = max(len(label) for label, _, _ in rows)
    row_format = "{:<" + str(width) + "} {:<16} {:>10} {:>9} {:>7}"
    header = row_format.format("estimator", "data set", "test score", "fit s", "epochs")
    print(header)
    print("-" * len(header))
    skipped = []
    previous = None
    for label, dataset, factory in rows:
        group = (dataset, label.split()[1].startswith("MLP"))
        if previous is not None and group != previous:
            print()  # a blank line between comparisons
        previous = group
        if factory is None:
            skipped.append(label.split()[1].split("(")[0])
            continue
        score, seconds, epochs, converged = run_row(dataset, factory)
        epochs_text = "-" if epochs is None else f"{epochs}{'' if converged else '*'}"
        cells = (label, dataset, f"{score:.4f}", f"{seconds:.3f}", epochs_text)
        print(row_format.format(*cells))
    print("-" * len(header))
    print("test score: R² for regressors, accuracy for classifiers (25% hold-out)")
    print("ConvergenceWarnings were suppressed; * marks a fit that raised one")
    if skipped:
        print("not yet in sgdlearn, skipped: " + ", ".join(skipped))


if __name__ == "__main__":
    main()
