"""A validation set that does not look like the training data gets a warning.

Issue 12, point 5: ``fit(..., X_val=, y_val=)`` given through a Pipeline
(``mlpclassifier__X_val=...``) skips the earlier steps, so early stopping
scores an untransformed X_val. ``sgdlearn._validation_check`` flags features
whose validation values mostly lie outside the training range, or whose
validation range holds a sliver of the training values (exact rank tests),
and warns when most features are flagged. These tests check that the
Pipeline case warns for every estimator, that validation sets drawn like the
training data never do, and that the tests' p-values are what they claim.
"""

import itertools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import ALL, REGRESSORS
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler, StandardScaler

import sgdlearn._validation_check as validation_check
from sgdlearn import (
    MLPClassifier,
)
from sgdlearn._validation_check import (
    MIN_FRACTION,
    compare_to_training,
    span_probability,
    warn_if_unlike_training,
)


def _breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, stratify=y, random_state=0)
    X_fit, X_val, y_fit, y_val = train_test_split(
        X_tr, y_tr, test_size=0.2, stratify=y_tr, random_state=0
    )
    return X_fit, y_fit, X_val, y_val, X_te, y_te


class _NoXValWarning:
    """Turn every warning but ConvergenceWarning into an error."""

    def __enter__(self):
        self._context = warnings.catch_warnings()
        self._context.__enter__()
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)

    def __exit__(self, *exc):
        return self._context.__exit__(*exc)


# --------------------------------------------------------------------------
# the p-values


@pytest.mark.parametrize("N", [4, 7, 10])
def test_span_probability_matches_enumeration(N):
    for k in range(2, N + 1):
        subsets = itertools.combinations(range(N), k)
        spans = np.array([s[-1] - s[0] + 1 for s in subsets])
        for span in range(N + 1):
            assert span_probability(span, k, N) == pytest.approx(
                np.mean(spans <= span), abs=1e-12
            ), (N, k, span)


@pytest.mark.parametrize("kind", ["continuous", "ties"])
def test_p_values_are_valid_under_exchangeability(kind):
    # Drawn like the training data, P(p ≤ v) = v at every value v the
    # p-value takes for continuous data, and P(p ≤ v) ≤ v with ties.
    rng = np.random.default_rng(0)
    n, n_val, trials = 15, 4, 4000
    if kind == "continuous":
        Z = rng.normal(size=(n + n_val, trials))
    else:
        Z = rng.integers(0, 3, size=(n + n_val, trials)).astype(float)
    result = compare_to_training(Z[:n], Z[n:])
    for name in ("p_outside", "p_coverage"):
        p = result[name]
        levels = [v for v in np.unique(p) if 0.005 < v < 0.9]
        assert len(levels) >= 2, (name, np.unique(p))
        for v in levels:
            rate = np.mean(p <= v * (1 + 1e-9))
            sd = np.sqrt(v * (1 - v) / trials)
            assert rate <= v + 4 * sd, (name, v, rate)
            if kind == "continuous":  # exact, so not below either
                assert rate >= v - 4 * sd, (name, v, rate)


# --------------------------------------------------------------------------
# the Pipeline case warns, the fix does not


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_pipeline_X_val_warns_and_names_X_val():
    X_fit, y_fit, X_val, y_val, _, _ = _breast_cancer()
    pipe = make_pipeline(
        StandardScaler(), MLPClassifier(early_stopping=True, random_state=0)
    )
    with pytest.warns(UserWarning, match="X_val") as record:
        pipe.fit(X_fit, y_fit, mlpclassifier__X_val=X_val, mlpclassifier__y_val=y_val)
    messages = [
        str(w.message)
        for w in record
        if w.category is UserWarning and "X_val" in str(w.message)
    ]
    assert len(messages) == 1
    assert "Pipeline" in messages[0]
    assert "transform" in messages[0]
    assert "validation_fraction" in messages[0]


def test_hand_scaled_X_val_does_not_warn_and_scores_well():
    X_fit, y_fit, X_val, y_val, X_te, y_te = _breast_cancer()
    pipe = make_pipeline(
        StandardScaler(), MLPClassifier(early_stopping=True, random_state=0)
    )
    X_val_t = pipe[:-1].fit(X_fit, y_fit).transform(X_val)  # the documented fix
    with _NoXValWarning():
        pipe.fit(X_fit, y_fit, mlpclassifier__X_val=X_val_t, mlpclassifier__y_val=y_val)
    assert pipe.score(X_te, y_te) > 0.9
    # ... and validation_fraction, the other fix, does not warn either
    pipe.set_params(mlpclassifier__validation_fraction=0.2)
    with _NoXValWarning():
        pipe.fit(X_fit, y_fit)


@pytest.mark.parametrize("n_val", [10, 20, None])
def test_unscaled_X_val_is_flagged_on_most_features(n_val):
    X_fit, _, X_val, _, _, _ = _breast_cancer()
    scaler = StandardScaler().fit(X_fit)
    X_train = scaler.transform(X_fit)
    raw = compare_to_training(X_train, X_val[:n_val])
    assert raw["fraction"] > MIN_FRACTION + 0.15
    scaled = compare_to_training(X_train, scaler.transform(X_val[:n_val]))
    assert scaled["fraction"] == 0


@pytest.mark.parametrize("Estimator", ALL, ids=lambda E: E.__name__)
def test_every_estimator_warns(Estimator):
    X_fit, y_fit, X_val, y_val, _, _ = _breast_cancer()
    scaler = StandardScaler().fit(X_fit)
    y_fit = y_fit.astype(float) if Estimator in REGRESSORS else y_fit
    y_val = y_val.astype(float) if Estimator in REGRESSORS else y_val
    est = Estimator(max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.warns(UserWarning, match="X_val does not look like"):
            est.fit(scaler.transform(X_fit), y_fit, X_val=X_val, y_val=y_val)
        with _NoXValWarning():
            est.fit(
                scaler.transform(X_fit),
                y_fit,
                X_val=scaler.transform(X_val),
                y_val=y_val,
            )


# --------------------------------------------------------------------------
# validation sets drawn like the training data never warn


def _draw(kind, rng, n, d):
    size = (n, d)
    if kind == "normal":
        return rng.normal(size=size)
    if kind == "lognormal":
        return rng.lognormal(0.0, 2.0, size=size)
    if kind == "cauchy":
        return rng.standard_cauchy(size=size)
    if kind == "student_t2":
        return rng.standard_t(2, size=size)
    if kind == "pareto":
        return rng.pareto(0.8, size=size)
    if kind == "rare_outliers":
        return rng.normal(size=size) + 1e6 * (rng.random(size) < 0.01)
    if kind == "binary":
        return (rng.random(size) < 0.3).astype(float)
    if kind == "rare_binary":
        return (rng.random(size) < 0.01).astype(float)
    if kind == "one_hot":
        p = np.r_[0.9, np.full(d - 1, 0.1 / (d - 1))] if d > 1 else None
        return np.eye(d)[rng.choice(d, n, p=p)]
    if kind == "poisson":
        return rng.poisson(0.3, size=size).astype(float)
    if kind == "sparse_lognormal":
        return rng.lognormal(0.0, 1.0, size=size) * (rng.random(size) < 0.1)
    if kind == "small_integers":
        return rng.integers(0, 4, size=size).astype(float)
    raise ValueError(kind)


KINDS = [
    "normal",
    "lognormal",
    "cauchy",
    "student_t2",
    "pareto",
    "rare_outliers",
    "binary",
    "rare_binary",
    "one_hot",
    "poisson",
    "sparse_lognormal",
    "small_integers",
]


@pytest.mark.parametrize("kind", KINDS)
def test_draws_like_the_training_data_never_warn(kind):
    sizes = itertools.product((20, 200, 2000), (1, 2, 3, 5, 10, 20, 200), (1, 3, 10))
    n_flagged = n_features = 0
    for (n, n_val, d), seed in itertools.product(sizes, range(5)):
        rng = np.random.default_rng(seed)
        Z = _draw(kind, rng, n + n_val, d)
        X, X_val = Z[:n], Z[n:]
        if seed % 2:
            X, X_val = sp.csr_matrix(X), sp.csr_matrix(X_val)
        result = compare_to_training(X, X_val)
        assert result["fraction"] <= MIN_FRACTION, (n, n_val, d, seed, result)
        n_flagged += int(result["flagged"].sum())
        n_features += d
        with _NoXValWarning():
            warn_if_unlike_training(X, X_val)
    # a flagged feature is a 1e-4 event per test: none in these ~2,000 features
    assert n_flagged == 0, (n_flagged, n_features)


def test_a_few_shifted_features_do_not_warn():
    rng = np.random.default_rng(0)
    X, X_val = rng.normal(size=(500, 10)), rng.normal(size=(15, 10))
    X_val[:, :3] += 10.0  # three of ten features drift far
    result = compare_to_training(X, X_val)
    assert_array_equal(np.flatnonzero(result["flagged"]), [0, 1, 2])
    with _NoXValWarning():
        warn_if_unlike_training(X, X_val)
    X_val[:, 3:6] += 10.0  # six of ten: most of the features
    with pytest.warns(UserWarning, match="X_val"):
        warn_if_unlike_training(X, X_val)


@pytest.mark.parametrize("Estimator", ALL, ids=lambda E: E.__name__)
def test_estimators_fit_small_heavy_tailed_X_val_without_warning(Estimator):
    rng = np.random.default_rng(1)
    n, n_val = 300, 12
    X = np.column_stack(
        [
            rng.standard_t(2, size=n + n_val),
            rng.lognormal(0.0, 2.0, size=n + n_val),
            (rng.random(n + n_val) < 0.05).astype(float),
            np.eye(3)[rng.integers(0, 3, n + n_val)],
        ]
    )
    X = np.column_stack([X, np.ones(n + n_val)])  # a constant feature
    y = (X[:, 0] + rng.normal(size=n + n_val) > 0).astype(int)
    if Estimator in REGRESSORS:
        y = y.astype(float)
    with _NoXValWarning():
        Estimator(max_iter=3, random_state=0).fit(
            X[:n], y[:n], X_val=X[n:], y_val=y[n:]
        )


# --------------------------------------------------------------------------
# sparse data, dtypes, degenerate features


@pytest.mark.parametrize("block", [None, 7])
def test_sparse_and_dense_give_the_same_statistic(block, monkeypatch):
    if block is not None:  # many small blocks: the block boundaries
        monkeypatch.setattr(validation_check, "_BLOCK_ELEMENTS", block)
    rng = np.random.default_rng(0)
    X = rng.lognormal(size=(300, 8)) * (rng.random((300, 8)) < 0.2)
    X_val = rng.lognormal(size=(30, 8)) * (rng.random((30, 8)) < 0.2)
    X[:, 0] = 0.0  # constant: skipped
    X[:, 1] = -X[:, 1]  # negative entries and implicit zeros
    X_val[:, 2] += 50.0  # a shifted feature: a dense column of X_val
    dense = compare_to_training(X, X_val)
    assert not dense["tested"][0] and dense["flagged"][2]
    for X_a, X_b in [
        (sp.csr_matrix(X), sp.csr_matrix(X_val)),
        (sp.csr_matrix(X), X_val),
        (X, sp.csr_matrix(X_val)),
    ]:
        other = compare_to_training(X_a, X_b)
        for key in ("tested", "flagged"):
            assert_array_equal(other[key], dense[key])
        for key in ("outside", "coverage", "p_outside", "p_coverage"):
            assert_allclose(other[key], dense[key], rtol=1e-12)


def test_sparse_with_duplicate_entries():
    X = sp.csr_matrix(
        (np.ones(4), np.array([0, 0, 1, 1]), np.array([0, 2, 4])), shape=(2, 2)
    )  # the two stored entries of each row sum to 2
    assert not X.has_canonical_format
    result = compare_to_training(X, np.array([[2.0, 0.0]]))
    assert_allclose(result["outside"], [0.0, 0.0])
    assert not X.has_canonical_format  # the caller's matrix is untouched


@pytest.mark.parametrize("Estimator", ALL, ids=lambda E: E.__name__)
def test_sparse_unscaled_X_val_warns(Estimator):
    rng = np.random.default_rng(0)
    raw = rng.lognormal(4.0, 0.5, size=(220, 20)) * (rng.random((220, 20)) < 0.6)
    y = (raw[:, 0] > raw[:, 1]).astype(float if Estimator in REGRESSORS else int)
    scaler = MaxAbsScaler().fit(raw[:200])  # what a sparse Pipeline would use
    X = sp.csr_matrix(scaler.transform(raw[:200]))
    X_val = sp.csr_matrix(raw[200:])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.warns(UserWarning, match="X_val"):
            Estimator(max_iter=2).fit(X, y[:200], X_val=X_val, y_val=y[200:])
        with _NoXValWarning():
            Estimator(max_iter=2).fit(
                X,
                y[:200],
                X_val=sp.csr_matrix(scaler.transform(raw[200:])),
                y_val=y[200:],
            )


def test_float32_and_constant_features():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4)).astype(np.float32)
    X[:, 3] = 1.0
    X_val = (rng.normal(size=(10, 4)) * 100 + 500).astype(np.float32)
    result = compare_to_training(X, X_val)
    assert_array_equal(result["tested"], [True, True, True, False])
    assert result["fraction"] == 1.0
    # all features constant: nothing to compare, no warning
    with _NoXValWarning():
        warn_if_unlike_training(np.ones((50, 3)), np.full((5, 3), 7.0))
