"""SGDLogisticClassifier and SoftmaxClassifier against scikit-learn.

Every expectation comes from scikit-learn (``LogisticRegression``,
``OneVsRestClassifier``, ``compute_sample_weight``…) or from an independent
NumPy/SciPy computation on the fitted ``coef_`` / ``intercept_``; none is a
pasted sgdlearn output.

The optimum of ``penalty="l2"`` is ``LogisticRegression(C=1/alpha)``'s
(API.md, "The objective"). The problems are small (a few hundred standardised
rows) and ``alpha=10`` is used for the optimum checks: there, changing alpha
by 20% moves the optimal coefficients by ~0.05, so the tolerances below
(at most 5e-3) detect a wrongly scaled penalty.

Tolerances (max absolute difference of coef_ and intercept_ from the optimum):

- ``"lbfgs"`` with ``tol=1e-10``: rtol 1e-5, atol 1e-6 (float64 objective
  values pin the parameters down to ~1e-7).
- first-order solvers, full batches, ``learning_rate="adaptive"``,
  ``tol=0``: 1e-5 (they get to ~1e-6 to 1e-9); Adam with "invscaling": 1e-3.
- first-order solvers, mini-batches of 100, "adaptive": 3e-3 (5e-3 for
  RMSprop); they get to ~2e-4 to 3e-3 (mini-batch noise).
- cross-checks that go through L-BFGS (one-vs-rest, class weights):
  ``XCHECK`` = rtol 1e-4, atol 1e-4.

Run ``pytest -s tests/test_linear_classifiers.py`` to see the measured
distances and the real-data accuracies.
"""

import pickle
import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _weights import assign_random_weights
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, log_expit, log_softmax, logsumexp
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    make_blobs,
    make_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight

from sgdlearn import SGDLogisticClassifier, SoftmaxClassifier

ESTIMATORS = [SGDLogisticClassifier, SoftmaxClassifier]
STOCHASTIC_SOLVERS = ["sgd", "adam", "adagrad", "rmsprop"]

# lbfgs with tol=1e-10 reaches the optimum to ~1e-7. This needs tol to
# control every stopping rule of scipy's L-BFGS-B, ftol included: its default
# (2.2e-9 relative change of J) alone stops ~1e-5 away.
TIGHT = {"rtol": 1e-5, "atol": 1e-6}
# Comparisons that go through L-BFGS but test something else (one-vs-rest
# bookkeeping, class weights): loose enough for L-BFGS's stopping precision.
XCHECK = {"rtol": 1e-4, "atol": 1e-4}
LBFGS = {"solver": "lbfgs", "tol": 1e-10, "max_iter": 1000}

ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


# -- data (fresh arrays per call: no shared mutable state) --------------------


def _standardise(X):
    return StandardScaler().fit_transform(X)


def binary_data():
    X, y = make_classification(
        n_samples=300,
        n_features=5,
        n_informative=3,
        n_redundant=0,
        flip_y=0.1,
        random_state=0,
    )
    return _standardise(X), y


def multiclass_data(weights=None):
    X, y = make_classification(
        n_samples=300,
        n_features=5,
        n_informative=4,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=1,
        weights=weights,
        flip_y=0.05,
        random_state=0,
    )
    return _standardise(X), y


def easy_data(n_classes):
    """Well separated blobs: LogisticRegression scores >= 0.99 on them."""
    X, y = make_blobs(
        n_samples=200, centers=n_classes, n_features=4, cluster_std=1.5, random_state=0
    )
    return _standardise(X), y


def reference_lr(X, y, C, **kwargs):
    """scikit-learn's LogisticRegression solved to high precision."""
    return LogisticRegression(C=C, tol=1e-12, max_iter=10_000, **kwargs).fit(X, y)


def centred(a):
    """Softmax parameters modulo the common shift of the class rows."""
    return a - a.mean(axis=0)


def raw_scores(clf, X):
    """x·W + b from the public coef_ and intercept_, shape (n, n_rows)."""
    return np.asarray(X) @ clf.coef_.T + clf.intercept_


def expected_log_proba(clf, X):
    """Log-probabilities computed independently from coef_ and intercept_."""
    raw = raw_scores(clf, X)
    if isinstance(clf, SoftmaxClassifier):
        return log_softmax(raw, axis=1)
    if raw.shape[1] == 1:
        return np.hstack([log_expit(-raw), log_expit(raw)])
    log_p = log_expit(raw)  # one-vs-rest: normalised per-class sigmoids
    return log_p - logsumexp(log_p, axis=1, keepdims=True)


# -- 1. the L2 optimum is LogisticRegression(C=1/alpha)'s ---------------------


@pytest.mark.parametrize("alpha", [1.0, 10.0])
def test_lbfgs_binary_reaches_logistic_regression(alpha):
    X, y = binary_data()
    ref = reference_lr(X, y, C=1 / alpha)
    clf = SGDLogisticClassifier(alpha=alpha, **LBFGS).fit(X, y)
    print(
        f"\nlbfgs binary alpha={alpha}: |coef - LR| = "
        f"{np.abs(clf.coef_ - ref.coef_).max():.2e}, |intercept - LR| = "
        f"{np.abs(clf.intercept_ - ref.intercept_).max():.2e}"
    )
    assert clf.coef_.shape == (1, X.shape[1])
    assert clf.intercept_.shape == (1,)
    assert_allclose(clf.coef_, ref.coef_, **TIGHT)
    assert_allclose(clf.intercept_, ref.intercept_, **TIGHT)


@pytest.mark.parametrize("alpha", [1.0, 10.0])
def test_lbfgs_softmax_reaches_multinomial_logistic_regression(alpha):
    X, y = multiclass_data()
    ref = reference_lr(X, y, C=1 / alpha)  # multinomial: sklearn 1.9's default
    clf = SoftmaxClassifier(alpha=alpha, **LBFGS).fit(X, y)
    print(
        f"\nlbfgs softmax alpha={alpha}: |centred coef - LR| = "
        f"{np.abs(centred(clf.coef_) - centred(ref.coef_)).max():.2e}, "
        f"|proba - LR| = "
        f"{np.abs(clf.predict_proba(X) - ref.predict_proba(X)).max():.2e}"
    )
    assert clf.coef_.shape == (3, X.shape[1])
    assert_allclose(centred(clf.coef_), centred(ref.coef_), **TIGHT)
    assert_allclose(centred(clf.intercept_), centred(ref.intercept_), **TIGHT)
    assert_allclose(clf.predict_proba(X), ref.predict_proba(X), **TIGHT)
    # The L2 penalty picks the centred solution: rows sum to zero.
    assert_allclose(clf.coef_.sum(axis=0), 0.0, atol=1e-8)


def test_lbfgs_binary_softmax_reaches_logistic_regression_with_c_2_over_alpha():
    X, y = binary_data()
    alpha = 10.0
    ref = reference_lr(X, y, C=2 / alpha)
    clf = SoftmaxClassifier(alpha=alpha, **LBFGS).fit(X, y)
    assert clf.coef_.shape == (2, X.shape[1])
    assert clf.intercept_.shape == (2,)
    assert_allclose(clf.coef_[1] - clf.coef_[0], ref.coef_[0], **TIGHT)
    assert_allclose(clf.coef_[1], -clf.coef_[0], atol=1e-10)
    assert_allclose(clf.intercept_[1] - clf.intercept_[0], ref.intercept_[0], **TIGHT)
    assert_allclose(clf.predict_proba(X), ref.predict_proba(X), **TIGHT)
    assert clf.decision_function(X).shape == (X.shape[0],)
    assert_allclose(clf.decision_function(X), ref.decision_function(X), **TIGHT)


_COMMON_STOCHASTIC = {"tol": 0.0, "n_iter_no_change": 30, "max_iter": 500}

# (solver, settings, tolerance on the max abs distance to the optimum).
# Measured over random_state 0-4 (strided batches of 100): sgd 0.8-4.7e-4,
# adam 1.4-4.5e-4, adagrad 2.1-3.0e-3, rmsprop 6.1-6.2e-3 (the per-coordinate
# preconditioners differ between the fixed batches; "adaptive" has not
# shrunk η to 0 when the 500 epochs end).
STOCHASTIC_OPTIMUM_CASES = [
    ("sgd", {"batch_size": 100, "learning_rate_init": 0.1, "momentum": 0.9}, 3e-3),
    ("adam", {"batch_size": 100, "learning_rate_init": 0.1}, 3e-3),
    ("adagrad", {"batch_size": 100, "learning_rate_init": 0.3}, 5e-3),
    ("rmsprop", {"batch_size": 100, "learning_rate_init": 0.01}, 1e-2),
    ("sgd", {"batch_size": "full", "learning_rate_init": 0.03, "momentum": 0.9}, 1e-5),
    ("adam", {"batch_size": "full", "learning_rate_init": 0.01}, 1e-5),
    ("adagrad", {"batch_size": "full", "learning_rate_init": 0.3}, 1e-5),
    ("rmsprop", {"batch_size": "full", "learning_rate_init": 0.03}, 1e-5),
    (
        "adam",
        {
            "batch_size": "full",
            "learning_rate": "invscaling",
            "learning_rate_init": 1.0,
            # the first big Adam step raises the loss above J(θ₀) for more
            # than 30 epochs: don't let the stall rule stop it
            "n_iter_no_change": 500,
        },
        1e-3,
    ),
]


def _case_id(case):
    solver, settings, _ = case
    return "-".join(
        [solver, str(settings["batch_size"]), settings.get("learning_rate", "adaptive")]
    )


@ignore_convergence
@pytest.mark.parametrize(
    "solver, settings, tolerance",
    STOCHASTIC_OPTIMUM_CASES,
    ids=[_case_id(c) for c in STOCHASTIC_OPTIMUM_CASES],
)
def test_stochastic_solvers_reach_logistic_regression(solver, settings, tolerance):
    X, y = binary_data()
    alpha = 10.0
    ref = reference_lr(X, y, C=1 / alpha)
    params = {"learning_rate": "adaptive", **_COMMON_STOCHASTIC, **settings}
    clf = SGDLogisticClassifier(
        solver=solver, alpha=alpha, random_state=0, **params
    ).fit(X, y)
    got = np.r_[clf.coef_.ravel(), clf.intercept_]
    expected = np.r_[ref.coef_.ravel(), ref.intercept_]
    distance = np.abs(got - expected).max()
    print(f"\n{solver} {settings}: distance to optimum {distance:.2e} (<= {tolerance})")
    assert distance <= tolerance


@ignore_convergence
@pytest.mark.parametrize(
    "solver, settings, tolerance",
    [
        ("sgd", {"batch_size": 100, "learning_rate_init": 0.1, "momentum": 0.9}, 3e-3),
        ("adam", {"batch_size": "full", "learning_rate_init": 0.03}, 1e-5),
    ],
    ids=["sgd-100", "adam-full"],
)
def test_stochastic_softmax_reaches_multinomial_logistic_regression(
    solver, settings, tolerance
):
    X, y = multiclass_data()
    alpha = 10.0
    ref = reference_lr(X, y, C=1 / alpha)
    params = {"learning_rate": "adaptive", **_COMMON_STOCHASTIC, **settings}
    clf = SoftmaxClassifier(solver=solver, alpha=alpha, random_state=0, **params)
    clf.fit(X, y)
    distance = max(
        np.abs(centred(clf.coef_) - centred(ref.coef_)).max(),
        np.abs(centred(clf.intercept_) - centred(ref.intercept_)).max(),
    )
    print(f"\nsoftmax {solver} {settings}: distance to optimum {distance:.2e}")
    assert distance <= tolerance
    assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=tolerance)


# -- 2. one-vs-rest -----------------------------------------------------------


@pytest.mark.parametrize(
    "settings, tolerance",
    [
        (LBFGS, XCHECK),
        (
            {
                "solver": "rmsprop",
                "batch_size": "full",
                "learning_rate": "adaptive",
                "learning_rate_init": 0.03,
                "random_state": 0,
                **_COMMON_STOCHASTIC,
            },
            {"rtol": 0, "atol": 1e-5},
        ),
    ],
    ids=["lbfgs", "rmsprop-full"],
)
@ignore_convergence
def test_one_vs_rest_matches_sklearn(settings, tolerance):
    X, y = multiclass_data()
    alpha = 10.0
    ovr = OneVsRestClassifier(
        LogisticRegression(C=1 / alpha, tol=1e-12, max_iter=10_000)
    ).fit(X, y)
    clf = SGDLogisticClassifier(alpha=alpha, **settings).fit(X, y)
    assert clf.coef_.shape == (3, X.shape[1])
    assert clf.intercept_.shape == (3,)
    for k, est in enumerate(ovr.estimators_):
        assert_allclose(clf.coef_[k], est.coef_[0], **tolerance)
        assert_allclose(clf.intercept_[k], est.intercept_[0], **tolerance)
    assert_allclose(clf.decision_function(X), ovr.decision_function(X), **tolerance)
    assert_allclose(clf.predict_proba(X), ovr.predict_proba(X), **tolerance)
    assert_array_equal(clf.predict(X), ovr.predict(X))


# -- 3. class weights ---------------------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_class_weight_balanced_equals_sample_weight(Estimator, n_classes):
    if n_classes == 2:
        X, y = make_classification(
            n_samples=300, n_features=5, weights=[0.8], random_state=0
        )
        X = _standardise(X)
    else:
        X, y = multiclass_data(weights=[0.6, 0.3, 0.1])
    balanced = Estimator(alpha=1.0, class_weight="balanced", **LBFGS).fit(X, y)
    weighted = Estimator(alpha=1.0, **LBFGS).fit(
        X, y, sample_weight=compute_sample_weight("balanced", y)
    )
    plain = Estimator(alpha=1.0, **LBFGS).fit(X, y)
    assert_allclose(balanced.coef_, weighted.coef_, rtol=1e-10, atol=1e-12)
    assert_allclose(balanced.intercept_, weighted.intercept_, rtol=1e-10, atol=1e-12)
    # The weights matter on this imbalanced data (else the test proves nothing).
    assert np.abs(balanced.intercept_ - plain.intercept_).max() > 0.05


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_class_weight_dict_times_sample_weight(Estimator):
    X, y = multiclass_data(weights=[0.6, 0.3, 0.1])
    class_weight = {0: 0.5, 1: 2.0, 2: 3.0}
    sample_weight = np.random.default_rng(0).uniform(0.5, 2.0, size=y.size)
    both = Estimator(alpha=1.0, class_weight=class_weight, **LBFGS)
    both.fit(X, y, sample_weight=sample_weight)
    product = Estimator(alpha=1.0, **LBFGS).fit(
        X, y, sample_weight=sample_weight * compute_sample_weight(class_weight, y)
    )
    dict_only = Estimator(alpha=1.0, class_weight=class_weight, **LBFGS).fit(X, y)
    only_sw = Estimator(alpha=1.0, **LBFGS).fit(X, y, sample_weight=sample_weight)
    assert_allclose(both.coef_, product.coef_, rtol=1e-10, atol=1e-12)
    assert_allclose(both.intercept_, product.intercept_, rtol=1e-10, atol=1e-12)
    # Neither factor alone gives that model.
    assert np.abs(both.coef_ - dict_only.coef_).max() > 1e-3
    assert np.abs(both.coef_ - only_sw.coef_).max() > 1e-3


def test_class_weight_balanced_matches_logistic_regression():
    X, y = multiclass_data(weights=[0.6, 0.3, 0.1])
    alpha = 1.0
    ref = reference_lr(X, y, C=1 / alpha, class_weight="balanced")
    clf = SoftmaxClassifier(alpha=alpha, class_weight="balanced", **LBFGS).fit(X, y)
    assert_allclose(centred(clf.coef_), centred(ref.coef_), **XCHECK)
    assert_allclose(clf.predict_proba(X), ref.predict_proba(X), **XCHECK)

    yb = (y == 2).astype(int)
    ref = reference_lr(X, yb, C=1 / alpha, class_weight="balanced")
    clf = SGDLogisticClassifier(alpha=alpha, class_weight="balanced", **LBFGS)
    clf.fit(X, yb)
    assert_allclose(clf.coef_, ref.coef_, **XCHECK)
    assert_allclose(clf.intercept_, ref.intercept_, **XCHECK)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_class_weight_balanced_counts_sample_weight(Estimator):
    """With sample weights, 'balanced' divides by each class's Σ
    sample_weight, as LogisticRegression does (compute_class_weight with
    sample_weight), so each class weighs the same; not by its row count."""
    X, y = multiclass_data(weights=[0.6, 0.3, 0.1])
    if Estimator is SGDLogisticClassifier:
        y = (y == 2).astype(int)
    sample_weight = np.random.default_rng(0).uniform(0.2, 3.0, size=y.size)
    sample_weight[y == y.max()] *= 3.0  # far from the counts' proportions
    alpha = 2.0
    clf = Estimator(alpha=alpha, class_weight="balanced", **LBFGS)
    clf.fit(X, y, sample_weight=sample_weight)
    ref = reference_lr(X, y, C=1 / alpha, class_weight="balanced")
    ref.fit(X, y, sample_weight=sample_weight)
    assert_allclose(clf.predict_proba(X), ref.predict_proba(X), **XCHECK)
    class_weight = compute_class_weight(
        "balanced", classes=np.unique(y), y=y, sample_weight=sample_weight
    )
    by_hand = Estimator(alpha=alpha, **LBFGS).fit(
        X, y, sample_weight=sample_weight * class_weight[y]
    )
    assert_allclose(clf.coef_, by_hand.coef_, rtol=1e-10, atol=1e-12)
    by_counts = compute_class_weight("balanced", classes=np.unique(y), y=y)
    assert np.abs(class_weight - by_counts).max() > 0.1  # the test can fail


def test_class_weight_balanced_with_a_class_of_zero_weight():
    """A class whose rows all weigh 0 gets the class weight 0 (its rows
    count for nothing either way) instead of a division by zero."""
    X, y = multiclass_data(weights=[0.6, 0.3, 0.1])
    sample_weight = np.where(y == 2, 0.0, 1.0)
    clf = SoftmaxClassifier(class_weight="balanced", **LBFGS)
    clf.fit(X, y, sample_weight=sample_weight)
    assert np.isfinite(clf.coef_).all()
    totals = np.bincount(y, weights=sample_weight)
    class_weight = np.zeros(3)
    class_weight[:2] = totals.sum() / (3 * totals[:2])
    by_hand = SoftmaxClassifier(**LBFGS)
    by_hand.fit(X, y, sample_weight=sample_weight * class_weight[y])
    assert_allclose(clf.coef_, by_hand.coef_, rtol=1e-10, atol=1e-12)


# -- 4. labels ----------------------------------------------------------------

LABEL_KINDS = {
    # codes 0, 1, 2 -> labels whose sorted order differs from the codes'
    "str": np.array(["eel", "cat", "dog"]),
    "object": np.array(["eel", "cat", "dog"], dtype=object),
    "negative-int": np.array([-3, -10, 5]),
    "bool": np.array([True, False]),
}


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("kind", list(LABEL_KINDS))
def test_labels_of_any_type(Estimator, kind):
    names = LABEL_KINDS[kind]
    X, codes = binary_data() if names.size == 2 else multiclass_data()
    y = names[codes]
    on_codes = Estimator(alpha=1.0, **LBFGS).fit(X, codes)
    on_labels = Estimator(alpha=1.0, **LBFGS).fit(X, y)

    assert_array_equal(on_labels.classes_, np.sort(names))
    pred = on_labels.predict(X)
    assert pred.dtype.kind == y.dtype.kind
    assert_array_equal(pred, names[on_codes.predict(X)])
    assert on_labels.score(X, y) == pytest.approx(accuracy_score(y, pred))
    assert on_labels.score(X, y) == pytest.approx(on_codes.score(X, codes))
    # Column k of predict_proba belongs to classes_[k].
    code_of = {name: code for code, name in enumerate(names)}
    order = [code_of[c] for c in on_labels.classes_]
    assert_allclose(
        on_labels.predict_proba(X), on_codes.predict_proba(X)[:, order], atol=1e-6
    )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_one_class_raises(Estimator):
    X, _ = binary_data()
    with pytest.raises(ValueError, match="class"):
        Estimator().fit(X, np.full(X.shape[0], "only"))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_classes(Estimator):
    X, y = multiclass_data()
    labels = np.array(["ant", "bee", "cow"])[y]
    with pytest.raises(ValueError, match="classes"):
        Estimator(random_state=0).partial_fit(X, labels)

    clf = Estimator(random_state=0)
    first = labels == "bee"  # a first chunk with a single class
    clf.partial_fit(X[first], labels[first], classes=["cow", "ant", "bee"])
    assert_array_equal(clf.classes_, ["ant", "bee", "cow"])
    assert clf.coef_.shape == (3, X.shape[1])
    clf.partial_fit(X, labels)
    assert set(clf.predict(X)) <= {"ant", "bee", "cow"}

    coef = clf.coef_.copy()
    unseen = labels.astype(object)
    unseen[:3] = "zebra"
    with pytest.raises(ValueError, match="zebra"):
        clf.partial_fit(X, unseen)
    assert_array_equal(clf.coef_, coef)  # a failed call changes nothing


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_binary_first_chunk_one_class(Estimator):
    X, y = binary_data()
    clf = Estimator(random_state=0).partial_fit(X[y == 1], y[y == 1], classes=[0, 1])
    assert_array_equal(clf.classes_, [0, 1])
    n_rows = 1 if Estimator is SGDLogisticClassifier else 2
    assert clf.coef_.shape == (n_rows, X.shape[1])
    clf.partial_fit(X[y == 0], y[y == 0])
    assert clf.predict_proba(X).shape == (X.shape[0], 2)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_availability_and_balanced(Estimator):
    assert not hasattr(Estimator(solver="lbfgs"), "partial_fit")
    for solver in STOCHASTIC_SOLVERS:
        assert hasattr(Estimator(solver=solver), "partial_fit")
    X, y = multiclass_data()
    with pytest.raises(ValueError, match="balanced"):
        Estimator(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])


# -- 5. shapes and probabilities ----------------------------------------------


@ignore_convergence
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_output_shapes_and_probabilities(Estimator, n_classes):
    X, y = easy_data(n_classes)
    n, n_features = X.shape
    clf = Estimator(random_state=0).fit(X, y)

    n_rows = 1 if (Estimator is SGDLogisticClassifier and n_classes == 2) else n_classes
    assert clf.coef_.shape == (n_rows, n_features)
    assert clf.intercept_.shape == (n_rows,)

    decision = clf.decision_function(X)
    raw = raw_scores(clf, X)
    if n_classes == 2:
        assert decision.shape == (n,)
        binary_raw = raw[:, 0] if n_rows == 1 else raw[:, 1] - raw[:, 0]
        assert_allclose(decision, binary_raw, rtol=1e-10, atol=1e-12)
    else:
        assert decision.shape == (n, n_classes)
        assert_allclose(decision, raw, rtol=1e-10, atol=1e-12)

    proba = clf.predict_proba(X)
    assert proba.shape == (n, n_classes)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert_allclose(proba, np.exp(expected_log_proba(clf, X)), rtol=1e-10, atol=1e-15)
    log_proba = clf.predict_log_proba(X)
    assert log_proba.shape == (n, n_classes)
    assert_allclose(log_proba, np.log(proba), rtol=1e-10, atol=1e-12)
    assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, y) >= 0.95


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_log_proba_finite_for_extreme_scores(Estimator, n_classes):
    X, y = easy_data(n_classes)
    clf = Estimator(alpha=1.0, **LBFGS).fit(X, y)
    X_far = X * 1e4
    proba = clf.predict_proba(X_far)
    log_proba = clf.predict_log_proba(X_far)
    assert (proba == 0).any()  # log(predict_proba) would be -inf here
    assert np.isfinite(log_proba).all()
    # atol: the top class's log-probability is about −e^(−gap), which
    # log-sum-exp with log1p keeps (−7.7e-74) and log_softmax rounds to 0
    assert_allclose(log_proba, expected_log_proba(clf, X_far), rtol=1e-10, atol=1e-12)
    finite = proba > 0
    assert_allclose(log_proba[finite], np.log(proba[finite]), rtol=1e-10, atol=1e-12)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    # The predicted class has the largest probability (one-vs-rest may tie
    # there: saturated sigmoids, so no argmax comparison).
    index = np.searchsorted(clf.classes_, clf.predict(X_far))
    predicted = np.take_along_axis(log_proba, index[:, None], axis=1)[:, 0]
    assert_array_equal(predicted, log_proba.max(axis=1))


# -- 6. early stopping ---------------------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_hold_out_is_stratified(Estimator):
    # Constant features: the model predicts the majority class, so its
    # accuracy on the hold-out is that class's share of it: 30/40 exactly when
    # the 20% hold-out of 150 + 50 samples is stratified.
    X = np.zeros((200, 2))
    y = np.r_[np.zeros(150, dtype=int), np.ones(50, dtype=int)]
    for seed in range(5):
        clf = Estimator(
            early_stopping=True, validation_fraction=0.2, random_state=seed, max_iter=10
        ).fit(X, y)
        assert clf.validation_scores_, "no validation scores recorded"
        assert_allclose(clf.validation_scores_, 0.75, rtol=0, atol=1e-12)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_stops_early_on_easy_problem(Estimator):
    X, y = easy_data(3)
    clf = Estimator(
        early_stopping=True,
        learning_rate_init=0.1,
        batch_size=32,
        max_iter=200,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.n_iter_ < 200
    scores = np.asarray(clf.validation_scores_)
    assert len(scores) == clf.n_iter_
    assert ((scores >= 0) & (scores <= 1)).all()
    # 10% of 200 rows are held out: accuracies are multiples of 1/20.
    assert_allclose(scores * 20, np.round(scores * 20), atol=1e-9)
    assert clf.best_validation_score_ == pytest.approx(scores.max())
    assert clf.best_validation_score_ >= 0.95
    assert clf.best_loss_ is None


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("weighted", [False, True])
def test_early_stopping_restores_best_parameters(Estimator, weighted):
    X, y = make_classification(
        n_samples=400, n_features=10, n_informative=4, flip_y=0.2, random_state=0
    )
    X = _standardise(X)
    y = np.array(["no", "yes"])[y]  # string labels with X_val / y_val
    X_val, y_val = X[300:], y[300:]
    sw_val = np.random.default_rng(1).uniform(0.2, 3.0, 100) if weighted else None
    # Plain SGD on single samples with a large step: a noisy validation curve.
    clf = Estimator(
        solver="sgd",
        batch_size=1,
        learning_rate_init=0.1,
        early_stopping=True,
        n_iter_no_change=3,
        max_iter=100,
        random_state=0,
    ).fit(X[:300], y[:300], X_val=X_val, y_val=y_val, sample_weight_val=sw_val)
    scores = clf.validation_scores_
    assert scores[-1] < clf.best_validation_score_, "precondition: a noisy curve"
    assert clf.best_validation_score_ == pytest.approx(max(scores))
    assert clf.score(X_val, y_val, sample_weight=sw_val) == pytest.approx(
        clf.best_validation_score_, rel=0, abs=1e-12
    )


# -- 7. every solver, batch size, penalty; dropout ----------------------------

_FIT_GRID = (
    [(s, {"batch_size": b}) for s in STOCHASTIC_SOLVERS for b in (1, "auto", "full")]
    + [
        (s, {"penalty": p})
        for s in STOCHASTIC_SOLVERS
        for p in ("l1", "elasticnet", None)
    ]
    + [(s, {"dropout": 0.2}) for s in STOCHASTIC_SOLVERS]
    + [("lbfgs", {}), ("lbfgs", {"penalty": None})]
)


@ignore_convergence
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize(
    "solver, settings", _FIT_GRID, ids=[f"{s}-{p}" for s, p in _FIT_GRID]
)
def test_every_setting_fits_an_easy_problem(Estimator, n_classes, solver, settings):
    X, y = easy_data(n_classes)
    # Few epochs for single-sample batches: 200 updates each.
    max_iter = 10 if settings.get("batch_size") == 1 else 100
    clf = Estimator(
        solver=solver,
        learning_rate_init=0.05,
        max_iter=max_iter,
        random_state=0,
        **settings,
    ).fit(X, y)
    assert np.isfinite(clf.coef_).all()
    assert clf.score(X, y) >= 0.95


def _sparse_logistic_data():
    """Features 0-2 carry the signal, 3-7 are pure noise."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 8))
    logits = X[:, :3] @ np.array([2.0, -1.5, 1.0])
    y = (rng.random(400) < expit(logits)).astype(int)
    return X, y


# (solver, settings, tolerance); measured distances: ~1e-12 (sgd without
# momentum, adagrad), ~5e-8 (adam), ~4e-6 (rmsprop, whose full-batch steps
# oscillate around the kink).
L1_CASES = [
    # momentum=0.9: proximal heavy ball (measured 2e-13)
    ("sgd", {"learning_rate_init": 0.01, "momentum": 0.9}, 1e-5),
    ("sgd", {"learning_rate_init": 0.1, "momentum": 0.0}, 1e-5),
    ("adam", {"learning_rate_init": 0.01}, 1e-5),
    ("adagrad", {"learning_rate_init": 0.3}, 1e-5),
    ("rmsprop", {"learning_rate_init": 0.01, "n_iter_no_change": 20}, 1e-4),
]


@ignore_convergence
@pytest.mark.parametrize(
    "solver, settings, tolerance",
    L1_CASES,
    ids=["sgd", "sgd-no-momentum", "adam", "adagrad", "rmsprop"],
)
def test_l1_reaches_saga_optimum_with_exact_zeros(solver, settings, tolerance):
    X, y = _sparse_logistic_data()
    alpha = 20.0
    ref = LogisticRegression(
        l1_ratio=1.0, solver="saga", C=1 / alpha, tol=1e-12, max_iter=100_000
    ).fit(X, y)
    assert (ref.coef_[0, 3:] == 0).all() and (ref.coef_[0, :3] != 0).all()
    params = {
        "batch_size": "full",
        "learning_rate": "adaptive",
        "tol": 0.0,
        "n_iter_no_change": 50,
        "max_iter": 3000,
        **settings,
    }
    clf = SGDLogisticClassifier(
        solver=solver, penalty="l1", alpha=alpha, random_state=0, **params
    ).fit(X, y)
    distance = np.abs(clf.coef_ - ref.coef_).max()
    print(f"\nL1 {solver} {settings}: distance to saga's optimum {distance:.2e}")
    assert_array_equal(clf.coef_[0, 3:], 0.0)  # exact zeros (proximal step)
    assert (clf.coef_[0, :3] != 0).all()
    assert distance <= tolerance


@ignore_convergence
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["adam", "rmsprop"])
def test_l1_zeros_irrelevant_features(Estimator, solver):
    X, y = _sparse_logistic_data()
    clf = Estimator(
        solver=solver,
        penalty="l1",
        alpha=20.0,
        batch_size="full",
        learning_rate="adaptive",
        learning_rate_init=0.05,
        tol=0.0,
        n_iter_no_change=20,
        max_iter=1000,
        random_state=0,
    ).fit(X, y)
    assert_array_equal(clf.coef_[:, 3:], 0.0)
    assert (clf.coef_[:, :3] != 0).all()


def test_elasticnet_reaches_saga_optimum():
    X, y = _sparse_logistic_data()
    alpha = 20.0
    ref = LogisticRegression(
        l1_ratio=0.5, solver="saga", C=1 / alpha, tol=1e-12, max_iter=100_000
    ).fit(X, y)
    clf = SGDLogisticClassifier(
        solver="adagrad",
        penalty="elasticnet",
        l1_ratio=0.5,
        alpha=alpha,
        batch_size="full",
        learning_rate="adaptive",
        learning_rate_init=0.3,
        tol=0.0,
        n_iter_no_change=50,
        max_iter=3000,
        random_state=0,
    ).fit(X, y)
    assert_allclose(clf.coef_, ref.coef_, rtol=0, atol=1e-5)
    assert_array_equal(clf.coef_ == 0, ref.coef_ == 0)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("settings", [{"penalty": "l1"}, {"dropout": 0.1}])
def test_lbfgs_rejects_l1_and_dropout(Estimator, settings):
    X, y = easy_data(2)
    with pytest.raises(ValueError, match="lbfgs"):
        Estimator(solver="lbfgs", **settings).fit(X, y)


# -- 8. sparse input and float32 ----------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_lbfgs_same_model_as_dense(Estimator, fmt):
    X, y = multiclass_data()
    X[np.abs(X) < 0.5] = 0.0  # a genuinely sparse matrix
    X_sparse = sp.csr_matrix(X).asformat(fmt)
    dense = Estimator(alpha=1.0, **LBFGS).fit(X, y)
    sparse = Estimator(alpha=1.0, **LBFGS).fit(X_sparse, y)
    # L-BFGS runs to the optimum from either: equal up to its precision.
    assert_allclose(sparse.coef_, dense.coef_, **TIGHT)
    assert_allclose(sparse.intercept_, dense.intercept_, **TIGHT)
    assert_allclose(sparse.predict_proba(X_sparse), dense.predict_proba(X), **TIGHT)


@ignore_convergence
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_sparse_stochastic_same_model_as_dense(Estimator, solver):
    X, y = multiclass_data()
    X[np.abs(X) < 0.5] = 0.0
    params = {"solver": solver, "batch_size": 32, "max_iter": 20, "random_state": 0}
    dense = Estimator(**params).fit(X, y)
    sparse = Estimator(**params).fit(sp.csr_matrix(X), y)
    assert_allclose(sparse.coef_, dense.coef_, rtol=1e-7, atol=1e-9)
    assert_allclose(sparse.intercept_, dense.intercept_, rtol=1e-7, atol=1e-9)


@ignore_convergence
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_float32_stays_float32(Estimator, solver, n_classes):
    X, y = easy_data(n_classes)
    X32 = X.astype(np.float32)
    params = {"solver": solver, "alpha": 1.0, "random_state": 0}
    clf32 = Estimator(**params).fit(X32, y)
    clf64 = Estimator(**params).fit(X, y)
    assert clf32.coef_.dtype == np.float32
    assert clf32.intercept_.dtype == np.float32
    for method in ("predict_proba", "predict_log_proba", "decision_function"):
        out = getattr(clf32, method)(X32)
        assert out.dtype == np.float32, method
    # Trained in float32, it is still the float64 model up to rounding.
    assert_allclose(clf32.predict_proba(X32), clf64.predict_proba(X), atol=1e-3)


# -- 9. accuracy on real data ---------------------------------------------------


def _real_split(name):
    loader = {"breast_cancer": load_breast_cancer, "digits": load_digits}[name]
    X, y = loader(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@pytest.mark.parametrize(
    "Estimator, dataset",
    [
        (SGDLogisticClassifier, "breast_cancer"),
        (SoftmaxClassifier, "breast_cancer"),
        (SoftmaxClassifier, "digits"),
    ],
)
@pytest.mark.parametrize("settings", ["default", "lbfgs"])
def test_accuracy_on_real_data(Estimator, dataset, settings):
    X_train, X_test, y_train, y_test = _real_split(dataset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # LR on digits
        reference = LogisticRegression().fit(X_train, y_train)
    # the same objective as LogisticRegression(C=1.0): alpha = 1/C
    if settings == "default":  # the default solver and step sizes
        clf = Estimator(random_state=0, alpha=1.0)
    else:
        clf = Estimator(solver="lbfgs", alpha=1.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        clf.fit(X_train, y_train)
    n_convergence_warnings = sum(
        issubclass(w.category, ConvergenceWarning) for w in caught
    )
    ours = clf.score(X_test, y_test)
    theirs = reference.score(X_test, y_test)
    print(
        f"\n{dataset:13s} {Estimator.__name__:21s} {settings:7s}: "
        f"test accuracy {ours:.4f} vs LogisticRegression() {theirs:.4f} "
        f"(diff {ours - theirs:+.4f}; n_iter_={clf.n_iter_}, "
        f"ConvergenceWarnings={n_convergence_warnings})"
    )
    assert abs(ours - theirs) <= 0.01


# -- 10. determinism and pickling -----------------------------------------------


@ignore_convergence
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_same_random_state_same_model(Estimator, solver):
    X, y = multiclass_data()
    params = {
        "solver": solver,
        "batch_size": 16,
        "dropout": 0.1,
        "early_stopping": True,
        "max_iter": 15,
    }
    a = Estimator(random_state=7, **params).fit(X, y)
    b = Estimator(random_state=7, **params).fit(X, y)
    c = Estimator(random_state=8, **params).fit(X, y)
    assert_array_equal(a.coef_, b.coef_)
    assert_array_equal(a.intercept_, b.intercept_)
    assert a.validation_scores_ == b.validation_scores_
    assert not np.array_equal(a.coef_, c.coef_)  # the seed is used


@ignore_convergence
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_pickle_round_trip(Estimator):
    X, y = multiclass_data()
    labels = np.array(["a", "b", "c"])[y]
    clf = Estimator(random_state=0, max_iter=5).fit(X, labels)
    restored = pickle.loads(pickle.dumps(clf))
    assert_array_equal(restored.predict(X), clf.predict(X))
    assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert_array_equal(restored.decision_function(X), clf.decision_function(X))
    # The training state survives too: continuing gives the same model.
    clf.partial_fit(X, labels)
    restored.partial_fit(X, labels)
    assert_array_equal(restored.coef_, clf.coef_)


# -- 11. Pipeline and GridSearchCV ------------------------------------------------


def _unscaled_multiclass_data():
    X, y = multiclass_data()
    return X * [1.0, 10.0, 100.0, 0.1, 3.0] + [5.0, -20.0, 300.0, 0.0, 1.0], y


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_pipeline(Estimator):
    X, y = _unscaled_multiclass_data()
    pipe = make_pipeline(StandardScaler(), Estimator(alpha=1.0, **LBFGS)).fit(X, y)
    X_scaled = StandardScaler().fit_transform(X)
    alone = Estimator(alpha=1.0, **LBFGS).fit(X_scaled, y)
    assert_allclose(pipe[-1].coef_, alone.coef_, rtol=1e-8, atol=1e-10)
    assert_allclose(pipe.predict_proba(X), alone.predict_proba(X_scaled), atol=1e-10)
    assert_array_equal(pipe.predict(X), alone.predict(X_scaled))
    reference = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    assert np.mean(pipe.predict(X) == reference.predict(X)) >= 0.95


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_grid_search_over_alpha(Estimator):
    X, y = _unscaled_multiclass_data()
    pipe = make_pipeline(StandardScaler(), Estimator(solver="lbfgs"))
    name = f"{pipe.steps[-1][0]}__alpha"
    grid = [0.1, 10.0, 1e5]
    search = GridSearchCV(pipe, {name: grid}, cv=3).fit(X, y)
    means = search.cv_results_["mean_test_score"]
    for alpha, mean in zip(grid, means, strict=True):
        expected = cross_val_score(
            clone(pipe).set_params(**{name: alpha}), X, y, cv=3
        ).mean()
        assert mean == pytest.approx(expected)
    # alpha=1e5 all but switches the features off: the search must avoid it.
    assert search.best_params_[name] != 1e5
    assert means[-1] < means.max() - 0.2
    assert search.best_estimator_.score(X, y) >= 0.8


# -- 12. drop-in fidelity (issue 13) --------------------------------------------

# A learning rate so small that an epoch leaves the weights where it starts.
STILL = dict(solver="sgd", momentum=0.0, learning_rate_init=1e-12, tol=0.0)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("how", ["partial_fit", "warm_start", "in_place"])
def test_training_continues_from_assigned_coef(Estimator, how):
    X, y = multiclass_data()
    est = Estimator(max_iter=1, warm_start=how == "warm_start", **STILL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
        coef, intercept = assign_random_weights(est, in_place=how == "in_place")
        # predict uses them
        assert_allclose(est.predict_log_proba(X), expected_log_proba(est, X))
        est.fit(X, y) if how == "warm_start" else est.partial_fit(X, y)
    assert_allclose(est.coef_, coef, atol=1e-9)
    assert_allclose(est.intercept_, intercept, atol=1e-9)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_assigned_coef_of_the_wrong_shape_is_a_clear_error(Estimator):
    X, y = binary_data()
    est = Estimator(max_iter=2, **STILL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    est.coef_ = est.coef_[:, :3]
    message = r"coef_ has shape \(\d, 3\), but 5 features"
    with pytest.raises(ValueError, match=message):
        est.partial_fit(X, y)
    with pytest.raises(ValueError, match=message):
        est.predict(X)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_warm_start_with_other_classes_raises_sklearns_error(Estimator):
    X, y = multiclass_data()
    est = Estimator(solver="lbfgs", max_iter=5, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y).fit(X, 2 - y)  # the same classes
        expected = re.escape(
            "warm_start can only be used where `y` has the same classes as in "
            "the previous call to fit. Previously got [0 1 2], `y` has [0 1]"
        )
        with pytest.raises(ValueError, match=expected):
            est.fit(X, np.minimum(y, 1))
        with pytest.raises(ValueError, match=r"Previously got \[0 1 2\], `y` has "):
            est.fit(X, np.where(y == 2, 7, y))


@ignore_convergence
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_losses_and_scores_are_numpy_floats(Estimator, solver):
    X, y = binary_data()
    est = Estimator(solver=solver, max_iter=3, random_state=0)
    for fitted in (est.fit(X, y), est.fit(X, y, X_val=X[:50], y_val=y[:50])):
        for name in ("loss_", "best_loss_", "best_validation_score_"):
            value = getattr(fitted, name)
            assert value is None or type(value) is np.float64, name
        for name in ("loss_curve_", "validation_scores_", "validation_loss_curve_"):
            values = getattr(fitted, name) or []
            assert all(type(v) is np.float64 for v in values), name
        assert fitted.loss_.round(4) == round(float(fitted.loss_), 4)


@ignore_convergence
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_default_batch_size_beyond_small_data_is_clipped_silently(Estimator):
    """The linear models' default batch_size (256) exceeds small data sets:
    unlike the MLPs, they clip it without a warning (documented)."""
    X, y = binary_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)  # a UserWarning
        Estimator(max_iter=2, random_state=0).fit(X[:100], y[:100])
