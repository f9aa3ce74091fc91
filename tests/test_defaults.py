"""The linear models' defaults: the objective of ``Ridge()`` and
``LogisticRegression()``, reached.

``alpha=1.0`` is ``Ridge()``'s alpha and ``LogisticRegression()``'s C = 1 on
sgdlearn's sum scale; ``solver="auto"`` takes Newton (few features) or
L-BFGS on small data and
Adagrad (``learning_rate_init=0.03``, ``batch_size="auto"``) on large data
and in ``partial_fit``.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    make_classification,
    make_regression,
)
from sklearn.linear_model import (
    LogisticRegression,
    Ridge,
    SGDClassifier,
    SGDRegressor,
)
from sklearn.model_selection import cross_val_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

import sgdlearn._engine as engine_module
import sgdlearn._solver as solver_module
from sgdlearn import SGDLinearRegressor, SGDLogisticClassifier, SoftmaxClassifier
from sgdlearn import _threads as threads_module
from sgdlearn._threads import MIN_PARALLEL_PRODUCT, blas_threads_for

# (data set, sgdlearn's default estimator, scikit-learn's counterpart)
SMALL_DATA = {
    "diabetes": (load_diabetes, SGDLinearRegressor, Ridge),
    "breast cancer, logistic": (
        load_breast_cancer,
        SGDLogisticClassifier,
        LogisticRegression,
    ),
    "breast cancer, softmax": (
        load_breast_cancer,
        SoftmaxClassifier,
        LogisticRegression,
    ),
    "digits, one-vs-rest": (
        load_digits,
        SGDLogisticClassifier,
        lambda: OneVsRestClassifier(LogisticRegression()),
    ),
    "digits, softmax": (load_digits, SoftmaxClassifier, LogisticRegression),
}


@pytest.mark.parametrize("case", list(SMALL_DATA))
def test_defaults_score_as_scikit_learn_without_warning(case):
    """Standardised, 5-fold CV: within 0.5 points of the counterpart's
    default fit, and no ConvergenceWarning (warnings are errors here)."""
    load, ours, theirs = SMALL_DATA[case]
    X, y = load(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        score = cross_val_score(make_pipeline(StandardScaler(), ours()), X, y, cv=5)
    reference = cross_val_score(make_pipeline(StandardScaler(), theirs()), X, y, cv=5)
    assert score.mean() >= reference.mean() - 0.005


def test_default_regressor_is_ridge():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ours = SGDLinearRegressor().fit(X, y)
    ridge = Ridge().fit(X, y)
    assert ours.solver_ == "newton"
    assert_allclose(ours.coef_, ridge.coef_, rtol=1e-4, atol=1e-3)
    assert_allclose(ours.intercept_, ridge.intercept_, rtol=1e-6)


def _objective(coef, intercept, X, y, softmax):
    """LogisticRegression's objective at C = 1: Σ log-loss + ½‖W‖², for the
    multinomial model or summed over the one-vs-rest binary problems."""
    raw = X @ coef.T + intercept
    if softmax:
        shifted = raw - raw.max(axis=1, keepdims=True)
        log_proba = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        data = -log_proba[np.arange(len(y)), y].sum()
    else:
        Y = np.eye(coef.shape[0])[y]
        data = (np.logaddexp(0, raw) - Y * raw).sum()
    return data + 0.5 * (coef**2).sum()


@pytest.mark.parametrize("Estimator", [SGDLogisticClassifier, SoftmaxClassifier])
def test_default_classifiers_reach_logistic_regressions_objective(Estimator):
    """The default fit reaches LogisticRegression()'s optimum to 1e-3 of its
    objective, as closely as LogisticRegression()'s own default fit (both
    stop L-BFGS when the gradient of J/n is below tol = 1e-4)."""
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    softmax = Estimator is SoftmaxClassifier
    ours = Estimator().fit(X, y)

    def reference(**params):
        model = LogisticRegression(**params)
        if softmax:
            model.fit(X, y)
            return model.coef_, model.intercept_
        model = OneVsRestClassifier(model).fit(X, y)  # one binary problem a class
        coef = np.vstack([m.coef_ for m in model.estimators_])
        return coef, np.concatenate([m.intercept_ for m in model.estimators_])

    optimum = _objective(*reference(tol=1e-10, max_iter=10_000), X, y, softmax)
    default = _objective(*reference(), X, y, softmax)
    reached = _objective(ours.coef_, ours.intercept_, X, y, softmax)
    assert reached <= optimum * (1 + 1e-3)
    assert reached <= default * (1 + 1e-4)


def _regression_stream(seed):
    X, y = make_regression(3000, 20, noise=10, random_state=seed)
    y = y / y.std()
    return X[:2250], y[:2250], X[2250:], y[2250:]


def _classification_stream(seed):
    X, y = make_classification(3000, 20, random_state=seed)
    return X[:2250], y[:2250], X[2250:], y[2250:]


def _one_pass(est, X, y, chunk, **kwargs):
    for start in range(0, len(y), chunk):
        est.partial_fit(X[start : start + chunk], y[start : start + chunk], **kwargs)
    return est


@pytest.mark.parametrize("chunk", [50, 250, 1000])
@pytest.mark.parametrize("seed", [0, 1])
def test_one_pass_over_a_stream_learns_as_much_as_scikit_learn_sgd(chunk, seed):
    """One pass of partial_fit over chunks of 3,000 rows (the last 750 held
    out): within 0.05 of scikit-learn's SGD with its defaults."""
    X, y, X_test, y_test = _regression_stream(seed)
    ours = _one_pass(SGDLinearRegressor(random_state=seed), X, y, chunk)
    theirs = _one_pass(SGDRegressor(random_state=seed), X, y, chunk)
    assert ours.score(X_test, y_test) >= theirs.score(X_test, y_test) - 0.05

    X, y, X_test, y_test = _classification_stream(seed)
    for Estimator in (SGDLogisticClassifier, SoftmaxClassifier):
        ours = _one_pass(Estimator(random_state=seed), X, y, chunk, classes=[0, 1])
        theirs = _one_pass(
            SGDClassifier(loss="log_loss", random_state=seed),
            X,
            y,
            chunk,
            classes=[0, 1],
        )
        assert ours.score(X_test, y_test) >= theirs.score(X_test, y_test) - 0.05


def test_auto_solver_is_newton_or_lbfgs_where_the_objective_suits_it(monkeypatch):
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    assert SGDLinearRegressor().fit(X, y).solver_ == "newton"
    # a smooth loss without a diagonal Hessian, and too many features: L-BFGS
    assert SGDLinearRegressor(loss="huber").fit(X, y).solver_ == "lbfgs"
    assert SoftmaxClassifier().fit(X, y > 140).solver_ == "lbfgs"
    with monkeypatch.context() as patch:
        patch.setattr(solver_module, "AUTO_NEWTON_MAX_FEATURES", X.shape[1])
        assert SGDLinearRegressor().fit(X, y).solver_ == "lbfgs"
    adagrad = {
        "penalty": dict(penalty="l1"),
        "dropout": dict(dropout=0.1),
        "average": dict(average=True),
        "early stopping": dict(early_stopping=True),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for params in adagrad.values():
            assert SGDLinearRegressor(**params).fit(X, y).solver_ == "adagrad"
        assert SGDLinearRegressor().partial_fit(X, y).solver_ == "adagrad"
    # elastic net without its L1 part is smooth
    smooth = SGDLinearRegressor(penalty="elasticnet", l1_ratio=0.0).fit(X, y)
    assert smooth.solver_ == "newton"


def test_auto_solver_is_adagrad_on_large_data(monkeypatch):
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    monkeypatch.setattr(solver_module, "AUTO_LBFGS_MAX_SAMPLES", len(y) - 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = SGDLinearRegressor().fit(X, y)
    assert est.solver_ == "adagrad"
    assert est.t_ == len(y) * est.n_iter_


@pytest.mark.parametrize(
    ("n_samples", "batch_size"), [(1, 1), (100, 1), (250, 3), (6400, 100), (10**6, 512)]
)
def test_auto_batch_size_takes_64_steps_up_to_512_rows(n_samples, batch_size):
    assert SGDLinearRegressor()._model_part().auto_batch_size(n_samples) == batch_size


def _blas_threads():
    return {
        pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"
    }


def test_small_fits_and_predictions_run_on_one_blas_thread(monkeypatch):
    """L-BFGS on digits-sized data runs with every BLAS pool at one thread (two
    pools spinning against each other slow its products down)."""
    seen = {}
    original = engine_module.train_lbfgs

    def recording(*args, **kwargs):
        seen["during"] = _blas_threads()
        return original(*args, **kwargs)

    monkeypatch.setattr(engine_module, "train_lbfgs", recording)
    X, y = load_digits(return_X_y=True)
    est = SoftmaxClassifier().fit(StandardScaler().fit_transform(X), y)
    assert seen["during"] == {1}
    assert est.solver_ == "lbfgs"


def test_pools_already_at_one_thread_enter_no_limit(monkeypatch):
    """A small product with every BLAS pool at one thread needs no limit:
    none is entered (one is, on the pools with more threads)."""
    calls = []
    original = threads_module.one_thread_each

    def counting(pools):
        calls.append([pool.num_threads for pool in pools])
        return original(pools)

    monkeypatch.setattr(threads_module, "one_thread_each", counting)
    with threadpool_limits(limits=1, user_api="blas"):
        with blas_threads_for(10, (100, 1)):
            assert _blas_threads() == {1}
    assert calls == []
    with threadpool_limits(limits=2, user_api="blas"):
        if _blas_threads() != {1}:  # a BLAS built without threads stays at 1
            with blas_threads_for(10, (100, 1)):
                assert _blas_threads() == {1}
            assert calls == [[2] * len(threads_module.blas_pools())]
            assert _blas_threads() == {2}  # given back


def test_large_products_keep_the_blas_threads():
    before = _blas_threads()
    rows = MIN_PARALLEL_PRODUCT // 100 + 1
    with blas_threads_for(rows, (100, 1)):
        assert _blas_threads() == before
    with blas_threads_for(rows - 1, (100, 1)):
        assert _blas_threads() == {1}
    assert _blas_threads() == before
