"""Tests of SGDLinearRegressor against the public contract in API.md.

Every expected value comes from scikit-learn (Ridge, PoissonRegressor, Lasso,
ElasticNet) or from an independent computation in this file, never from
sgdlearn's own output.

The objective (API.md) is J(θ) = Σ s_i ℓ_i + alpha · P(W), with ℓ the squared
error ½(y − ŷ)² averaged over outputs. Its minimiser is therefore
``Ridge(alpha · n_outputs)``'s, ``PoissonRegressor(alpha / Σs)``'s for the
Poisson loss, and ``Lasso(alpha / n)`` / ``ElasticNet(alpha / n, l1_ratio)``'s
for the L1 penalties (scikit-learn divides the data term by n there).
"""

import pickle
import re

import numpy as np
import pytest
import scipy.sparse as sp
from _weights import assign_random_weights
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, PoissonRegressor, Ridge
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sgdlearn import SGDLinearRegressor

STOCHASTIC = ("sgd", "adam", "adagrad", "rmsprop")
# The settings the tests that name it were written for: the linear models'
# defaults before they became the objective of Ridge() (alpha=1.0) and
# solver="auto" with its own batch size and rate.
WRITTEN_FOR = dict(alpha=1e-4, batch_size=256, learning_rate_init=0.01)


# -- data ---------------------------------------------------------------------


def _standardised(X):
    return (X - X.mean(axis=0)) / X.std(axis=0)


def make_data(n_samples, n_features=5, n_outputs=1, noise=0.3, seed=0):
    """A small standardised linear regression problem with an intercept."""
    rng = np.random.default_rng(seed)
    X = _standardised(rng.normal(size=(n_samples, n_features)))
    W = rng.normal(size=(n_features, n_outputs))
    Y = X @ W + 0.5 + noise * rng.normal(size=(n_samples, n_outputs))
    return X, (Y.ravel() if n_outputs == 1 else Y)


def max_param_diff(est, ref):
    """Largest absolute difference of coef_ and intercept_ to a reference."""
    coef = np.abs(np.asarray(est.coef_) - np.asarray(ref.coef_)).max()
    intercept = np.abs(
        np.ravel(est.intercept_) - np.ravel(np.atleast_1d(ref.intercept_))
    ).max()
    return max(coef, intercept)


# -- 1. the L2 optimum is Ridge's for every solver and batch size -------------

ALPHA = 10.0  # strong enough for Ridge(alpha) to differ visibly from Ridge(1.1 alpha)

# (solver, batch_size) -> (settings that converge, tolerance on coef_/intercept_).
# Batch size 1 runs on 40 rows, the others on 192 = 6 · 32 rows (an uneven last
# batch is tested on its own below).
L2_SETTINGS = {
    # L-BFGS with a tiny gradient tolerance: tight.
    ("lbfgs", "full"): (dict(tol=1e-10, max_iter=500), 1e-6),
    # Full-batch gradient descent is deterministic: converges to machine level.
    ("sgd", "full"): (
        dict(learning_rate="adaptive", learning_rate_init=0.1, momentum=0.0),
        1e-6,
    ),
    ("adam", "full"): (
        dict(learning_rate="adaptive", learning_rate_init=0.01, n_iter_no_change=50),
        1e-6,
    ),
    ("adagrad", "full"): (
        dict(learning_rate="adaptive", learning_rate_init=0.3),
        1e-6,
    ),
    ("rmsprop", "full"): (
        dict(learning_rate="adaptive", learning_rate_init=0.01),
        1e-6,
    ),
    # Mini-batches of 32: "adaptive" shrinks η on each plateau until 1e-6.
    ("sgd", 32): (
        dict(learning_rate="adaptive", learning_rate_init=0.01, momentum=0.9),
        1e-3,
    ),
    ("adam", 32): (dict(learning_rate="adaptive", learning_rate_init=0.03), 1e-3),
    ("adagrad", 32): (dict(learning_rate="adaptive", learning_rate_init=0.3), 1e-3),
    # rho close to 1: RMSprop's step is not biased by the current gradient.
    ("rmsprop", 32): (
        dict(learning_rate="adaptive", learning_rate_init=0.01, rho=0.99),
        1e-3,
    ),
    # Pure SGD (one row per step): noisier, looser tolerance.
    ("sgd", 1): (
        dict(learning_rate="adaptive", learning_rate_init=0.003, momentum=0.9),
        5e-3,
    ),
    ("adam", 1): (dict(learning_rate="adaptive", learning_rate_init=0.01), 5e-3),
    ("adagrad", 1): (dict(learning_rate="adaptive", learning_rate_init=0.3), 5e-3),
    ("rmsprop", 1): (
        dict(learning_rate="adaptive", learning_rate_init=0.01, rho=0.999),
        5e-3,
    ),
}


def _l2_estimator(solver, batch_size, **extra):
    settings, tolerance = L2_SETTINGS[(solver, batch_size)]
    params = dict(
        solver=solver,
        alpha=ALPHA,
        penalty="l2",
        batch_size=batch_size,
        tol=0.0,
        n_iter_no_change=30 if batch_size == 1 else 50,
        max_iter=3000,
        random_state=0,
    )
    if batch_size == "full":
        params["n_iter_no_change"] = 20
    params.update(settings)
    params.update(extra)
    return SGDLinearRegressor(**params), tolerance


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize(("solver", "batch_size"), list(L2_SETTINGS))
def test_l2_optimum_is_ridge(solver, batch_size, n_outputs):
    n_samples = 40 if batch_size == 1 else 192
    X, y = make_data(n_samples, n_outputs=n_outputs)
    est, tolerance = _l2_estimator(solver, batch_size)
    est.fit(X, y)

    # squared_error is averaged over outputs: alpha is Ridge(alpha · n_outputs).
    ridge = Ridge(alpha=ALPHA * n_outputs).fit(X, y)
    # The test can tell a wrongly scaled penalty apart from the right one.
    assert max_param_diff(Ridge(alpha=1.1 * ALPHA * n_outputs).fit(X, y), ridge) > (
        3 * tolerance
    )

    if n_outputs == 1:
        assert est.coef_.shape == (5,)
        assert est.intercept_.shape == (1,)
        assert est.predict(X).shape == (n_samples,)
    else:
        assert est.coef_.shape == (n_outputs, 5)
        assert est.intercept_.shape == (n_outputs,)
        assert est.predict(X).shape == (n_samples, n_outputs)
    assert_allclose(est.coef_, ridge.coef_, rtol=0, atol=tolerance)
    assert_allclose(est.intercept_, np.atleast_1d(ridge.intercept_), atol=tolerance)
    assert_allclose(est.predict(X), ridge.predict(X), atol=10 * tolerance)


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("n_samples", [192, 200])
def test_uneven_last_batch_does_not_move_the_optimum(n_samples, shuffle):
    """API.md: the batch size changes the path, never the minimum.

    With 200 rows and batches of 32, the last batch has 8 rows. Without
    shuffling it is always the same 8 rows, which must not weigh more than
    the others at the optimum.
    """
    X, y = make_data(n_samples)
    est = SGDLinearRegressor(
        solver="adam",
        alpha=ALPHA,
        batch_size=32,
        learning_rate="adaptive",
        learning_rate_init=0.03,
        tol=0.0,
        n_iter_no_change=50,
        max_iter=1000,
        shuffle=shuffle,
        random_state=0,
    ).fit(X, y)
    ridge = Ridge(alpha=ALPHA).fit(X, y)
    assert max_param_diff(est, ridge) < 5e-3


# -- 2. Poisson ---------------------------------------------------------------


def _poisson_data(n_samples=200, seed=0):
    rng = np.random.default_rng(seed)
    X = _standardised(rng.normal(size=(n_samples, 5)))
    y = rng.poisson(np.exp(X @ [0.3, -0.2, 0.1, 0.0, 0.4] + 0.5)).astype(float)
    return X, y


@pytest.mark.parametrize("with_weights", [False, True])
def test_poisson_optimum_is_poisson_regressor(with_weights):
    X, y = _poisson_data()
    alpha = 10.0
    sw = None
    if with_weights:
        sw = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y))
    weight_total = len(y) if sw is None else sw.sum()
    # PoissonRegressor: (1/Σs) Σ s·half-deviance + (alpha_p / 2)‖w‖²
    ref = PoissonRegressor(alpha=alpha / weight_total, tol=1e-12, max_iter=1000)
    ref.fit(X, y, sample_weight=sw)
    unpenalised = PoissonRegressor(alpha=0.0, tol=1e-12, max_iter=1000)
    assert np.abs(unpenalised.fit(X, y).coef_ - ref.coef_).max() > 1e-3

    est = SGDLinearRegressor(
        loss="poisson", solver="lbfgs", alpha=alpha, tol=1e-10, max_iter=1000
    ).fit(X, y, sample_weight=sw)
    assert est.coef_.shape == (5,)
    assert_allclose(est.coef_, ref.coef_, atol=1e-6)
    assert_allclose(est.intercept_, [ref.intercept_], atol=1e-6)
    # The prediction is exp(x·w + b).
    assert_allclose(est.predict(X), np.exp(X @ est.coef_ + est.intercept_), rtol=1e-12)
    assert_allclose(est.predict(X), ref.predict(X), rtol=1e-4)


def test_poisson_stochastic_solver_reaches_poisson_regressor():
    X, y = _poisson_data()
    alpha = 10.0
    ref = PoissonRegressor(alpha=alpha / len(y), tol=1e-12, max_iter=1000).fit(X, y)
    est = SGDLinearRegressor(
        loss="poisson",
        solver="adam",
        alpha=alpha,
        batch_size="full",
        learning_rate="adaptive",
        learning_rate_init=0.01,
        tol=0.0,
        n_iter_no_change=20,
        max_iter=3000,
        random_state=0,
    ).fit(X, y)
    assert max_param_diff(est, ref) < 2e-3


def test_poisson_negative_target_raises():
    X, y = _poisson_data(50)
    y[3] = -1.0
    with pytest.raises(ValueError, match="poisson"):
        SGDLinearRegressor(loss="poisson", solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match="poisson"):
        SGDLinearRegressor(loss="poisson", solver="sgd").partial_fit(X, y)


# -- 3. sample weights --------------------------------------------------------


def test_integer_sample_weight_equals_repeated_rows():
    X, y = make_data(60)
    sw = np.random.default_rng(3).integers(0, 4, size=len(y))
    sw[0] = 3
    params = dict(solver="lbfgs", alpha=ALPHA, tol=1e-10, max_iter=500)
    weighted = SGDLinearRegressor(**params).fit(X, y, sample_weight=sw)
    repeated = SGDLinearRegressor(**params).fit(
        np.repeat(X, sw, axis=0), np.repeat(y, sw)
    )
    assert_allclose(weighted.coef_, repeated.coef_, atol=1e-6)
    assert_allclose(weighted.intercept_, repeated.intercept_, atol=1e-6)
    # and both are the weighted ridge solution
    ridge = Ridge(alpha=ALPHA).fit(X, y, sample_weight=sw)
    assert max_param_diff(weighted, ridge) < 1e-6
    # the weights matter
    assert max_param_diff(Ridge(alpha=ALPHA).fit(X, y), ridge) > 1e-2


def test_zero_sample_weight_equals_dropping_rows():
    X, y = make_data(60)
    sw = np.ones(len(y))
    sw[::3] = 0.0
    keep = sw > 0
    params = dict(solver="lbfgs", alpha=ALPHA, tol=1e-10, max_iter=500)
    weighted = SGDLinearRegressor(**params).fit(X, y, sample_weight=sw)
    dropped = SGDLinearRegressor(**params).fit(X[keep], y[keep])
    assert_allclose(weighted.coef_, dropped.coef_, atol=1e-6)
    assert_allclose(weighted.intercept_, dropped.intercept_, atol=1e-6)
    assert max_param_diff(weighted, Ridge(alpha=ALPHA).fit(X[keep], y[keep])) < 1e-6


def test_zero_total_sample_weight_raises():
    X, y = make_data(20)
    with pytest.raises(ValueError, match="(?i)weight"):
        SGDLinearRegressor(solver="lbfgs").fit(X, y, sample_weight=np.zeros(20))


# -- 4. L1 and elastic net: exact zeros ----------------------------------------

RELEVANT = [2, 7, 11]


def _sparse_problem(n_samples=200, seed=0):
    rng = np.random.default_rng(seed)
    X = _standardised(rng.normal(size=(n_samples, 20)))
    w = np.zeros(20)
    w[RELEVANT] = [2.0, -3.0, 1.5]
    y = X @ w + 1.0 + 0.5 * rng.normal(size=n_samples)
    return X, y


L1_ALPHA = 30.0
L1_SOLVERS = {
    # momentum=0: plain proximal gradient descent
    "sgd": dict(solver="sgd", momentum=0.0, learning_rate_init=0.1),
    # heavy ball on full batches: a constant step converges (no plateaus)
    "sgd-momentum": dict(
        solver="sgd",
        momentum=0.9,
        learning_rate="constant",
        learning_rate_init=0.01,
        n_iter_no_change=10_000,
        max_iter=1000,
    ),
    "adam": dict(solver="adam", learning_rate_init=0.01),
    "adagrad": dict(solver="adagrad", learning_rate_init=0.3),
    "rmsprop": dict(solver="rmsprop", learning_rate_init=0.01),
}


def _l1_estimator(name, penalty, **extra):
    params = dict(
        penalty=penalty,
        alpha=L1_ALPHA,
        l1_ratio=0.5,
        batch_size="full",
        learning_rate="adaptive",
        tol=0.0,
        n_iter_no_change=20,
        max_iter=3000,
        random_state=0,
    )
    params.update(L1_SOLVERS[name])
    params.update(extra)
    return SGDLinearRegressor(**params)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", list(L1_SOLVERS))
def test_l1_full_batch_is_lasso_with_exact_zeros(name):
    X, y = _sparse_problem()
    n = len(y)
    lasso = Lasso(alpha=L1_ALPHA / n, tol=1e-12, max_iter=100_000).fit(X, y)
    assert_array_equal(np.flatnonzero(lasso.coef_), RELEVANT)

    est = _l1_estimator(name, "l1").fit(X, y)
    assert np.count_nonzero(est.coef_ == 0.0) == 17
    assert np.all(est.coef_[RELEVANT] != 0.0)
    assert_allclose(est.coef_, lasso.coef_, atol=1e-4)
    assert_allclose(est.intercept_, [lasso.intercept_], atol=1e-4)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", list(L1_SOLVERS))
def test_elasticnet_full_batch_is_sklearn_elasticnet(name):
    X, y = _sparse_problem()
    n = len(y)
    ref = ElasticNet(alpha=L1_ALPHA / n, l1_ratio=0.5, tol=1e-12, max_iter=100_000)
    ref.fit(X, y)
    n_zero = np.count_nonzero(ref.coef_ == 0.0)
    assert n_zero >= 10

    est = _l1_estimator(name, "elasticnet").fit(X, y)
    assert_array_equal(est.coef_ == 0.0, ref.coef_ == 0.0)
    assert_allclose(est.coef_, ref.coef_, atol=1e-4)


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_l1_minibatch_gives_exact_zeros(penalty):
    X, y = _sparse_problem(n_samples=192)
    est = SGDLinearRegressor(
        solver="adam",
        penalty=penalty,
        alpha=L1_ALPHA,
        l1_ratio=0.9,
        batch_size=32,
        learning_rate="adaptive",
        learning_rate_init=0.01,
        tol=0.0,
        n_iter_no_change=20,
        max_iter=1000,
        random_state=0,
    ).fit(X, y)
    irrelevant = np.setdiff1d(np.arange(20), RELEVANT)
    assert np.count_nonzero(est.coef_[irrelevant] == 0.0) == 17
    assert np.all(np.abs(est.coef_[RELEVANT]) > 0.5)


@pytest.mark.parametrize(
    "params",
    [
        dict(penalty="l1"),
        dict(penalty="elasticnet", l1_ratio=0.5),
        dict(dropout=0.2),
    ],
)
def test_lbfgs_rejects_l1_and_dropout(params):
    X, y = make_data(30)
    with pytest.raises(ValueError, match="lbfgs"):
        SGDLinearRegressor(solver="lbfgs", alpha=1.0, **params).fit(X, y)


# -- 5. early stopping ---------------------------------------------------------


def _overfitting_problem(seed=0):
    """Few noisy rows, many features: training past a point hurts validation."""
    rng = np.random.default_rng(seed)
    n_features = 30
    w = np.zeros(n_features)
    w[:3] = [1.0, -1.0, 0.5]

    def sample(n):
        X = rng.normal(size=(n, n_features))
        return X, X @ w + 1.0 * rng.normal(size=n)

    X, y = sample(40)
    X_val, y_val = sample(200)
    return X, y, X_val, y_val


def _early_stopping_estimator(**extra):
    params = dict(
        solver="sgd",
        momentum=0.0,
        alpha=0.0,
        batch_size=4,
        learning_rate_init=0.01,
        early_stopping=True,
        n_iter_no_change=10,
        tol=0.0,
        max_iter=500,
        random_state=0,
    )
    params.update(extra)
    return SGDLinearRegressor(**params)


def test_early_stopping_restores_best_parameters_on_given_validation_set():
    X, y, X_val, y_val = _overfitting_problem()
    est = _early_stopping_estimator().fit(X, y, X_val=X_val, y_val=y_val)

    assert est.n_iter_ < est.max_iter
    assert len(est.validation_scores_) == est.n_iter_
    assert len(est.validation_loss_curve_) == est.n_iter_
    assert len(est.loss_curve_) == est.n_iter_
    assert est.best_loss_ is None
    best = int(np.argmax(est.validation_scores_))
    assert est.best_validation_score_ == pytest.approx(max(est.validation_scores_))
    # Training went on after the best epoch and got worse on the validation set
    assert est.validation_scores_[-1] < est.best_validation_score_ - 1e-3
    # ... but the model is the one of the best epoch, scored on the given set.
    assert est.score(X_val, y_val) == pytest.approx(est.best_validation_score_)
    assert r2_score(y_val, est.predict(X_val)) == pytest.approx(
        est.validation_scores_[best]
    )
    # The validation loss is the objective per sample on the validation set:
    # ½ mean squared error (alpha = 0, no penalty).
    val_loss = 0.5 * np.mean((y_val - X_val @ est.coef_ - est.intercept_) ** 2)
    assert est.validation_loss_curve_[best] == pytest.approx(val_loss)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_early_stopping_with_random_hold_out():
    X, y, _, _ = _overfitting_problem()
    X = np.vstack([X] * 3)
    y = np.concatenate([y] * 3)
    est = _early_stopping_estimator(validation_fraction=0.2, max_iter=50)
    est.fit(X, y)
    # 24 of the 120 rows are held out: each epoch trains on the other 96
    assert est.t_ == 96 * est.n_iter_
    assert est.best_loss_ is None
    assert len(est.validation_scores_) == est.n_iter_
    assert len(est.validation_loss_curve_) == est.n_iter_
    assert est.best_validation_score_ == pytest.approx(max(est.validation_scores_))


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_given_validation_set_is_recorded_without_early_stopping(solver):
    X, y, X_val, y_val = _overfitting_problem()
    est = SGDLinearRegressor(
        solver=solver, max_iter=20, tol=0.0, random_state=0, **WRITTEN_FOR
    )
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y, X_val=X_val, y_val=y_val)
    assert len(est.validation_scores_) == est.n_iter_
    assert len(est.validation_loss_curve_) == est.n_iter_
    # no early stopping: the final model's score is the last one recorded
    assert est.score(X_val, y_val) == pytest.approx(est.validation_scores_[-1])


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_no_validation_data_means_no_validation_attributes(solver):
    X, y = make_data(50)
    est = SGDLinearRegressor(solver=solver, max_iter=300, random_state=0).fit(X, y)
    assert est.validation_scores_ is None
    assert est.best_validation_score_ is None
    assert est.validation_loss_curve_ is None
    assert est.best_loss_ is not None
    assert np.isfinite(est.best_loss_)


def test_too_small_hold_out_raises():
    X, y = make_data(5)
    est = SGDLinearRegressor(early_stopping=True, validation_fraction=0.1)
    with pytest.raises(ValueError, match="(?i)valid"):
        est.fit(X, y)


def test_x_val_without_y_val_raises():
    X, y = make_data(20)
    with pytest.raises(ValueError):
        SGDLinearRegressor(early_stopping=True).fit(X, y, X_val=X)


# -- 6. partial_fit ------------------------------------------------------------


@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.parametrize("shuffle", [False, True])
def test_partial_fit_stream_equals_fit(solver, shuffle):
    X, y = make_data(50)
    sw = np.random.default_rng(0).uniform(0.5, 1.5, size=len(y))
    n_epochs = 7
    params = dict(
        solver=solver,
        alpha=1.0,
        batch_size=8,
        learning_rate="invscaling",
        learning_rate_init=0.05,
        shuffle=shuffle,
        random_state=0,
    )
    stream = SGDLinearRegressor(**params)
    for k in range(1, n_epochs + 1):
        stream.partial_fit(X, y, sample_weight=sw)
        # scikit-learn's MLP semantics: n_iter_ counts this call's epochs, t_
        # the samples seen by all calls, and the loss curve goes on.
        assert stream.n_iter_ == 1
        assert stream.t_ == k * len(y)
        assert len(stream.loss_curve_) == k

    with pytest.warns(ConvergenceWarning):
        full = SGDLinearRegressor(
            **params, max_iter=n_epochs, tol=0.0, n_iter_no_change=1000
        ).fit(X, y, sample_weight=sw)
    assert full.n_iter_ == n_epochs
    assert full.t_ == n_epochs * len(y)
    assert_allclose(stream.coef_, full.coef_, rtol=1e-12, atol=1e-14)
    assert_allclose(stream.intercept_, full.intercept_, rtol=1e-12, atol=1e-14)
    assert_allclose(stream.loss_curve_, full.loss_curve_, rtol=1e-12)


def test_partial_fit_moves_towards_the_optimum():
    X, y = make_data(64)
    est = SGDLinearRegressor(
        solver="sgd",
        momentum=0.0,
        batch_size="full",
        alpha=1.0,
        learning_rate_init=0.1,
    )
    ridge = Ridge(alpha=1.0).fit(X, y)
    est.partial_fit(X, y)
    first = max_param_diff(est, ridge)
    for _ in range(30):
        est.partial_fit(X, y)
    assert max_param_diff(est, ridge) < 0.5 * first


def test_partial_fit_with_early_stopping_raises():
    X, y = make_data(30)
    with pytest.raises(ValueError, match="early_stopping"):
        SGDLinearRegressor(early_stopping=True).partial_fit(X, y)


def test_partial_fit_with_other_number_of_features_raises():
    X, y = make_data(30)
    est = SGDLinearRegressor(random_state=0).partial_fit(X, y)
    coef = est.coef_.copy()
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(X[:, :3], y)
    assert_array_equal(est.coef_, coef)
    assert est.n_iter_ == 1


def test_partial_fit_only_for_stochastic_solvers():
    assert not hasattr(SGDLinearRegressor(solver="lbfgs"), "partial_fit")
    for solver in STOCHASTIC:
        assert hasattr(SGDLinearRegressor(solver=solver), "partial_fit")


# -- 7. warm start -------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_warm_start_continues_from_previous_coefficients():
    X, y = make_data(100)
    params = dict(solver="adam", random_state=0, tol=0.0, **WRITTEN_FOR)
    with pytest.warns(ConvergenceWarning):
        cold_first = SGDLinearRegressor(**params, max_iter=1).fit(X, y)

    est = SGDLinearRegressor(**params, max_iter=200, warm_start=True).fit(X, y)
    n_first = len(est.loss_curve_)
    fitted_coef = est.coef_.copy()
    est.set_params(max_iter=1)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    assert est.n_iter_ == 1
    assert len(est.loss_curve_) == n_first + 1  # the curve goes on
    # the continued fit's epoch starts far below a cold first epoch
    assert est.loss_curve_[-1] < 0.5 * cold_first.loss_curve_[0]

    # with a vanishing learning rate, the continued fit stays where it was
    est.set_params(solver="sgd", learning_rate_init=1e-12)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    assert np.abs(est.coef_).min() > 0.1
    assert np.abs(est.coef_ - fitted_coef).max() < 0.1
    cold = SGDLinearRegressor(solver="sgd", learning_rate_init=1e-12, max_iter=1)
    with pytest.warns(ConvergenceWarning):
        cold.fit(X, y)
    assert np.abs(cold.coef_).max() < 1e-6


def test_warm_start_lbfgs_restarts_at_optimum():
    X, y = make_data(100)
    est = SGDLinearRegressor(solver="lbfgs", alpha=ALPHA, tol=1e-10, warm_start=True)
    est.fit(X, y)
    est.fit(X, y)
    # starting at the optimum, L-BFGS has little to do
    assert est.n_iter_ <= 2
    assert max_param_diff(est, Ridge(alpha=ALPHA).fit(X, y)) < 1e-6


# -- 8. dtypes -----------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["lbfgs", "adam", "sgd"])
@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.int64, np.float64),
        (np.int32, np.float64),
    ],
)
def test_dtype(solver, dtype, expected):
    X, y = make_data(60)
    X = (X * 3).astype(dtype)
    est = SGDLinearRegressor(
        solver=solver,
        batch_size=256,
        learning_rate_init=0.01,
        max_iter=20,
        random_state=0,
    )
    est.fit(X, y)
    assert est.coef_.dtype == expected
    assert est.intercept_.dtype == expected
    assert est.predict(X).dtype == expected
    assert np.isfinite(est.coef_).all()


def test_float32_multi_output_predict_dtype():
    X, Y = make_data(60, n_outputs=2)
    est = SGDLinearRegressor(solver="lbfgs").fit(X.astype(np.float32), Y)
    assert est.coef_.dtype == np.float32
    assert est.predict(X.astype(np.float32)).dtype == np.float32
    assert est.predict(X.astype(np.float32)).shape == (60, 2)


# -- 9. determinism, pickling, clone --------------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_same_random_state_is_bitwise_identical(solver):
    X, y = make_data(100)
    params = dict(solver=solver, batch_size=16, max_iter=15, dropout=0.1)
    a = SGDLinearRegressor(**params, random_state=7).fit(X, y)
    b = SGDLinearRegressor(**params, random_state=7).fit(X, y)
    c = SGDLinearRegressor(**params, random_state=8).fit(X, y)
    assert_array_equal(a.coef_, b.coef_)
    assert_array_equal(a.intercept_, b.intercept_)
    assert a.loss_curve_ == b.loss_curve_
    assert not np.array_equal(a.coef_, c.coef_)

    d = clone(a).fit(X, y)
    assert_array_equal(a.coef_, d.coef_)
    assert_array_equal(a.intercept_, d.intercept_)

    restored = pickle.loads(pickle.dumps(a))
    assert_array_equal(restored.predict(X), a.predict(X))
    assert_array_equal(restored.coef_, a.coef_)


def test_random_state_instance_and_pickled_estimator_continue_identically():
    X, y = make_data(80)
    est = SGDLinearRegressor(solver="adam", batch_size=16, random_state=0)
    est.partial_fit(X, y)
    copy = pickle.loads(pickle.dumps(est))
    est.partial_fit(X, y)
    copy.partial_fit(X, y)
    assert_array_equal(est.coef_, copy.coef_)
    assert_array_equal(est.predict(X), copy.predict(X))


# -- 10. divergence and atomic failure -------------------------------------------


def _unscaled_data():
    X, y = make_data(100)
    return X * 1000.0 + 500.0, y * 1000.0


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("lr", [1e3, 1e6])
def test_divergence_raises_naming_epoch_and_learning_rate(lr, early_stopping):
    X, y = _unscaled_data()
    est = SGDLinearRegressor(
        solver="sgd",
        learning_rate_init=lr,
        batch_size=10,
        early_stopping=early_stopping,
        random_state=0,
    )
    with pytest.raises(ValueError) as excinfo:
        est.fit(X, y)
    message = str(excinfo.value)
    assert re.search(r"epoch \d+", message)
    assert "learning_rate_init" in message
    assert not hasattr(est, "coef_")


@pytest.mark.parametrize("early_stopping", [False, True])
def test_divergence_with_one_step_per_epoch_is_not_silent(early_stopping):
    """One batch per epoch: the loss grows ~1e20-fold per epoch.

    The stopping rule ("no improvement for n_iter_no_change epochs") ends the
    fit before the loss overflows; a diverged fit must still not come back
    as a silently fitted model with astronomically large coefficients.
    """
    X, y = _unscaled_data()
    est = SGDLinearRegressor(
        solver="sgd",
        learning_rate_init=1e3,
        early_stopping=early_stopping,
        random_state=0,
    )
    with pytest.raises(ValueError, match="learning_rate_init"):
        est.fit(X, y)


def _assert_unchanged(est, snapshot, X):
    coef, intercept, n_iter, loss_curve, prediction = snapshot
    assert_array_equal(est.coef_, coef)
    assert_array_equal(est.intercept_, intercept)
    assert est.n_iter_ == n_iter
    assert est.loss_curve_ == loss_curve
    assert_array_equal(est.predict(X), prediction)


def _snapshot(est, X):
    return (
        est.coef_.copy(),
        est.intercept_.copy(),
        est.n_iter_,
        list(est.loss_curve_),
        est.predict(X),
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("early_stopping", [False, True])
def test_failed_fit_leaves_fitted_estimator_unchanged(early_stopping):
    X, y = _unscaled_data()
    Xs = StandardScaler().fit_transform(X)
    est = SGDLinearRegressor(
        solver="sgd",
        learning_rate_init=1e-3,
        batch_size=10,
        early_stopping=early_stopping,
        max_iter=30,
        random_state=0,
    )
    est.fit(Xs, y)
    snapshot = _snapshot(est, Xs)

    # a diverging continued fit
    est.set_params(learning_rate_init=1e6, warm_start=True)
    with pytest.raises(ValueError, match="epoch"):
        est.fit(X, y)
    _assert_unchanged(est, snapshot, Xs)

    # a diverging cold fit
    est.set_params(warm_start=False)
    with pytest.raises(ValueError, match="epoch"):
        est.fit(X, y)
    _assert_unchanged(est, snapshot, Xs)

    # bad input
    X_nan = Xs.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est.fit(X_nan, y)
    _assert_unchanged(est, snapshot, Xs)
    y_inf = y.copy()
    y_inf[0] = np.inf
    with pytest.raises(ValueError, match="(?i)inf"):
        est.fit(Xs, y_inf)
    _assert_unchanged(est, snapshot, Xs)


def test_failed_partial_fit_leaves_estimator_unchanged():
    X, y = _unscaled_data()
    Xs = StandardScaler().fit_transform(X)
    params = dict(solver="sgd", batch_size=1, random_state=0)
    est = SGDLinearRegressor(**params, learning_rate_init=1e-4)
    est.partial_fit(Xs, y)
    est.partial_fit(Xs, y)
    snapshot = _snapshot(est, Xs)
    t = est.t_

    est.set_params(learning_rate_init=1e6)
    with pytest.raises(ValueError, match="epoch"):
        est.partial_fit(X, y)
    _assert_unchanged(est, snapshot, Xs)
    assert est.t_ == t

    # the optimizer state is intact too: continuing equals a never-failed twin
    twin = SGDLinearRegressor(**params, learning_rate_init=1e-4)
    twin.partial_fit(Xs, y)
    twin.partial_fit(Xs, y)
    est.set_params(learning_rate_init=1e-4)
    est.partial_fit(Xs, y)
    twin.partial_fit(Xs, y)
    assert_array_equal(est.coef_, twin.coef_)


# -- 11. sparse input and dropout ------------------------------------------------


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_lbfgs_equals_dense(fmt):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 6)) * (rng.uniform(size=(80, 6)) < 0.4)
    y = X @ rng.normal(size=6) + 0.3 + 0.1 * rng.normal(size=80)
    Xs = sp.coo_matrix(X).asformat(fmt)
    params = dict(solver="lbfgs", alpha=1.0, tol=1e-10, max_iter=500)
    dense = SGDLinearRegressor(**params).fit(X, y)
    sparse = SGDLinearRegressor(**params).fit(Xs, y)
    assert_allclose(sparse.coef_, dense.coef_, atol=1e-8)
    assert_allclose(sparse.intercept_, dense.intercept_, atol=1e-8)
    assert_allclose(sparse.predict(Xs), dense.predict(X), atol=1e-8)
    assert max_param_diff(sparse, Ridge(alpha=1.0).fit(X, y)) < 1e-6


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_sgd_equals_dense(fmt, shuffle):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 6)) * (rng.uniform(size=(80, 6)) < 0.4)
    y = X @ rng.normal(size=6) + 0.1 * rng.normal(size=80)
    Xs = sp.coo_matrix(X).asformat(fmt)
    params = dict(solver="sgd", batch_size=10, max_iter=10, tol=0.0, shuffle=shuffle)
    with pytest.warns(ConvergenceWarning):
        dense = SGDLinearRegressor(**params, random_state=0).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        sparse = SGDLinearRegressor(**params, random_state=0).fit(Xs, y)
    assert_allclose(sparse.coef_, dense.coef_, rtol=1e-10, atol=1e-12)
    assert_allclose(sparse.intercept_, dense.intercept_, rtol=1e-10, atol=1e-12)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("sparse_input", [False, True])
def test_dropout_changes_training_but_predict_is_deterministic(sparse_input):
    X, y = make_data(100)
    Xf = sp.csr_matrix(X) if sparse_input else X
    params = dict(solver="adam", batch_size=16, max_iter=30, random_state=0)
    plain = SGDLinearRegressor(**params).fit(Xf, y)
    dropped = SGDLinearRegressor(**params, dropout=0.3).fit(Xf, y)
    assert not np.allclose(plain.coef_, dropped.coef_)
    first = dropped.predict(Xf)
    assert_array_equal(first, dropped.predict(Xf))
    # no dropout at prediction time: the plain linear model
    assert_allclose(first, X @ dropped.coef_ + dropped.intercept_, rtol=1e-12)


# -- 12. verbose, convergence warning, loss curve --------------------------------


def test_verbose_prints_one_line_per_epoch(capsys):
    X, y = make_data(50)
    est = SGDLinearRegressor(solver="adam", max_iter=7, tol=0.0, verbose=True)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == est.n_iter_ == 7


def test_not_verbose_prints_nothing(capsys):
    X, y = make_data(50)
    with pytest.warns(ConvergenceWarning):
        # 'lbfgs': 'auto' takes Newton, which converges in one iteration
        SGDLinearRegressor(solver="lbfgs", max_iter=3, tol=0.0).fit(X, y)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("solver", ["lbfgs", *STOCHASTIC])
def test_convergence_warning_when_max_iter_too_small(solver):
    X, y = make_data(100)
    with pytest.warns(ConvergenceWarning):
        SGDLinearRegressor(solver=solver, max_iter=2, tol=1e-12).fit(X, y)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_loss_curve_and_loss_stochastic(solver):
    X, y = make_data(100)
    est = SGDLinearRegressor(
        solver=solver, max_iter=12, tol=0.0, random_state=0, **WRITTEN_FOR
    )
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    assert len(est.loss_curve_) == est.n_iter_ == 12
    assert est.loss_ == est.loss_curve_[-1]
    assert est.best_loss_ == pytest.approx(min(est.loss_curve_))


def test_loss_curve_full_batch_is_the_objective_per_sample():
    """With full batches, epoch k reports J/n at the parameters before step k."""
    X, y = make_data(100)
    alpha = 3.0
    est = SGDLinearRegressor(
        solver="sgd",
        momentum=0.0,
        batch_size="full",
        alpha=alpha,
        learning_rate_init=0.1,
        max_iter=3,
        tol=0.0,
    )
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    # the start: coef 0, intercept at the mean target
    assert est.loss_curve_[0] == pytest.approx(0.5 * np.var(y), rel=1e-10)

    # gradient descent by hand on J/n
    n = len(y)
    w, b = np.zeros(5), y.mean()
    for _ in range(3):
        r = X @ w + b - y
        w, b = w - 0.1 * (X.T @ r / n + alpha * w / n), b - 0.1 * r.mean()
    assert_allclose(est.coef_, w, rtol=1e-10)
    assert_allclose(est.intercept_, [b], rtol=1e-10)
    r = X @ w + b - y
    # ... whose objective the next epoch would report
    objective = 0.5 * np.mean(r**2) + 0.5 * alpha * (w @ w) / n
    assert objective < est.loss_curve_[-1]


def test_lbfgs_loss_is_objective_per_sample():
    X, y = make_data(100)
    est = SGDLinearRegressor(solver="lbfgs", alpha=ALPHA, tol=1e-10).fit(X, y)
    w, b = est.coef_, est.intercept_[0]
    objective = 0.5 * np.mean((X @ w + b - y) ** 2) + 0.5 * ALPHA * (w @ w) / len(y)
    assert est.loss_ == pytest.approx(objective, rel=1e-9)
    assert len(est.loss_curve_) == est.n_iter_


# -- 13. scikit-learn integration -------------------------------------------------


def test_pipeline_and_grid_search():
    X, y = make_data(120)
    X = X * [1, 10, 100, 0.1, 5] + 3.0
    pipe = make_pipeline(StandardScaler(), SGDLinearRegressor(solver="lbfgs"))
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.9

    search = GridSearchCV(
        make_pipeline(StandardScaler(), SGDLinearRegressor(solver="lbfgs")),
        {"sgdlinearregressor__alpha": [0.1, 1e4]},
        cv=3,
    ).fit(X, y)
    assert search.best_params_ == {"sgdlinearregressor__alpha": 0.1}
    assert search.best_estimator_[-1].alpha == 0.1


def test_grid_search_stochastic_solver():
    X, y = make_data(120)
    search = GridSearchCV(
        SGDLinearRegressor(batch_size=32, max_iter=200, random_state=0),
        {"alpha": [1e-3, 3e3]},
        cv=3,
    ).fit(X, y)
    assert search.best_params_ == {"alpha": 1e-3}


def test_feature_names_from_dataframe():
    pd = pytest.importorskip("pandas")
    X, y = make_data(60)
    names = [f"f{i}" for i in range(5)]
    df = pd.DataFrame(X, columns=names)
    est = SGDLinearRegressor(solver="lbfgs").fit(df, y)
    assert_array_equal(est.feature_names_in_, names)
    assert est.n_features_in_ == 5
    assert_allclose(est.predict(df), X @ est.coef_ + est.intercept_)
    with pytest.raises(ValueError, match="feature names"):
        est.predict(df.rename(columns={"f0": "other"}))

    plain = SGDLinearRegressor(solver="lbfgs").fit(X, y)
    assert not hasattr(plain, "feature_names_in_")


def test_dataframe_series_target():
    pd = pytest.importorskip("pandas")
    X, y = make_data(60)
    df = pd.DataFrame(X, columns=list("abcde"))
    a = SGDLinearRegressor(solver="lbfgs").fit(df, pd.Series(y))
    b = SGDLinearRegressor(solver="lbfgs").fit(X, y)
    assert_allclose(a.coef_, b.coef_)


# -- 14. scikit-learn callbacks ----------------------------------------------------


def _epoch_rows(monitor):
    return [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_scoring_monitor_scores_every_epoch(solver):
    callback = pytest.importorskip("sklearn.callback")
    X, y = make_data(80)
    params = dict(solver=solver, batch_size=16, random_state=0)
    est = SGDLinearRegressor(**params, max_iter=5, tol=0.0)
    monitor = callback.ScoringMonitor(scoring="r2")
    est.set_callbacks(monitor)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    rows = _epoch_rows(monitor)
    assert len(rows) == 5 == est.n_iter_
    scores = [row["r2"] for row in rows]

    # epoch k's score is the R² of the model after k epochs (a partial_fit stream)
    stream = SGDLinearRegressor(**params)
    expected = []
    for _ in range(5):
        stream.partial_fit(X, y)
        expected.append(r2_score(y, stream.predict(X)))
    assert_allclose(scores, expected, rtol=1e-10)
    assert scores[-1] == pytest.approx(est.score(X, y))


def test_scoring_monitor_lbfgs_records_iterations():
    callback = pytest.importorskip("sklearn.callback")
    X, y = make_data(80)
    est = SGDLinearRegressor(solver="lbfgs", max_iter=5, tol=0.0)
    monitor = callback.ScoringMonitor(scoring="r2")
    est.set_callbacks(monitor)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    rows = _epoch_rows(monitor)
    assert len(rows) == est.n_iter_ == 5
    assert rows[-1]["r2"] == pytest.approx(est.score(X, y))


def test_scoring_monitor_inside_pipeline():
    callback = pytest.importorskip("sklearn.callback")
    X, y = make_data(80)
    # 'lbfgs': 'auto' takes Newton, which converges in one iteration
    est = SGDLinearRegressor(solver="lbfgs", max_iter=4, tol=0.0, random_state=0)
    monitor = callback.ScoringMonitor(scoring="r2")
    est.set_callbacks(monitor)
    pipe = make_pipeline(StandardScaler(), est)
    with pytest.warns(ConvergenceWarning):
        pipe.fit(X, y)
    rows = _epoch_rows(monitor)
    assert len(rows) == 4
    assert rows[-1]["r2"] == pytest.approx(pipe.score(X, y))


def test_progress_bar_does_not_break_fit():
    callback = pytest.importorskip("sklearn.callback")
    pytest.importorskip("rich")
    X, y = make_data(80)
    params = dict(solver="adam", batch_size=16, max_iter=5, tol=0.0, random_state=0)
    with pytest.warns(ConvergenceWarning):
        plain = SGDLinearRegressor(**params).fit(X, y)
    est = SGDLinearRegressor(**params)
    est.set_callbacks(callback.ProgressBar())
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    assert_array_equal(est.coef_, plain.coef_)
    assert est.n_iter_ == 5


# -- drop-in fidelity (issue 13) -------------------------------------------------


@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("how", ["partial_fit", "warm_start", "in_place"])
def test_training_continues_from_assigned_coef(n_outputs, how):
    X, y = make_data(60, n_outputs=n_outputs)
    still = dict(solver="sgd", momentum=0.0, learning_rate_init=1e-12, tol=0.0)
    est = SGDLinearRegressor(max_iter=1, warm_start=how == "warm_start", **still)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    coef, intercept = assign_random_weights(est, in_place=how == "in_place")
    assert_allclose(est.predict(X), X @ coef.T + intercept)
    if how == "warm_start":
        with pytest.warns(ConvergenceWarning):
            est.fit(X, y)
    else:
        est.partial_fit(X, y)
    assert_allclose(est.coef_, coef, atol=1e-9)
    assert_allclose(est.intercept_, intercept, atol=1e-9)


def test_assigned_coef_of_the_wrong_shape_is_a_clear_error():
    X, y = make_data(60)
    est = SGDLinearRegressor(solver="lbfgs").fit(X, y)
    est.intercept_ = np.zeros(2)
    with pytest.raises(ValueError, match=r"intercept_ has shape \(2,\).*\(1,\)"):
        est.predict(X)


def test_column_vector_y_warns_and_predicts_1d():
    """As scikit-learn's MLPRegressor and SGDRegressor: a DataConversionWarning,
    then the model of the 1-D target."""
    from sklearn.exceptions import DataConversionWarning

    X, y = make_data(60)
    est = SGDLinearRegressor(solver="lbfgs")
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        est.fit(X, y.reshape(-1, 1))
    assert est.predict(X).shape == (60,) and est.coef_.shape == (X.shape[1],)
    assert_array_equal(est.coef_, SGDLinearRegressor(solver="lbfgs").fit(X, y).coef_)
