"""``average``: Polyak–Ruppert averaging, with scikit-learn SGD's meaning."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import ALL
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge

from sgdlearn import (
    SGDLinearRegressor,
)
from sgdlearn._training import unpack_state

STOCHASTIC = ["sgd", "adagrad", "rmsprop", "adam"]
ALPHA = 10.0


def _regression(n=2000, d=10, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return X, X @ rng.normal(size=d) + rng.normal(size=n)


def _objective(X, y, coef, intercept):
    residual = y - X @ coef - intercept
    return (0.5 * residual @ residual + ALPHA * 0.5 * coef @ coef) / len(y)


def _fit(X, y, **params):
    settings = dict(
        batch_size=10,
        alpha=ALPHA,
        max_iter=20,
        tol=0.0,
        n_iter_no_change=1000,
        random_state=0,
    )
    settings.update(params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return SGDLinearRegressor(**settings).fit(X, y)


def test_averaging_brings_a_constant_step_10_times_closer_to_the_optimum():
    """Plain SGD with a constant step hovers around the optimum; the average
    of its iterates gets at least 10× closer in objective, same epochs."""
    X, y = _regression()
    ridge = Ridge(alpha=ALPHA).fit(X, y)
    optimum = _objective(X, y, ridge.coef_, ridge.intercept_)
    gaps = {}
    for average in (False, True):
        est = _fit(
            X, y, solver="sgd", momentum=0.0, learning_rate_init=0.05, average=average
        )
        gaps[average] = _objective(X, y, est.coef_, est.intercept_[0]) - optimum
    assert gaps[False] > 0
    assert gaps[True] * 10 <= gaps[False]


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_fitted_weights_are_the_average_of_the_iterates(solver):
    """coef_ is the mean of θ over the steps, not the last iterate."""
    X, y = _regression(200, 3)
    est = _fit(X, y, solver=solver, average=True, max_iter=3)
    state = unpack_state(est._state)
    assert state.average.count == 3 * 20  # 3 epochs of 20 batches
    assert_array_equal(est.coef_, state.average.mean[:3])
    assert not np.allclose(est.coef_, state.theta[:3], rtol=0, atol=1e-12)
    plain = _fit(X, y, solver=solver, average=False, max_iter=3)
    assert_allclose(plain.coef_, state.theta[:3], rtol=1e-12)  # same iterates


def test_average_as_int_starts_after_that_many_samples():
    X, y = _regression(200, 3)
    late = _fit(X, y, solver="sgd", average=1000, max_iter=10)
    # batches of 10: step k has seen 10·k samples, so steps 100 to 200 count
    assert unpack_state(late._state).average.count == 101
    never = _fit(X, y, solver="sgd", average=10**6, max_iter=2)
    assert unpack_state(never._state).average.count == 0
    assert_array_equal(never.coef_, never._state["theta"][:3])  # θ until it starts


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_partial_fit_and_warm_start_continue_the_average(solver):
    X, y = _regression(200, 3)
    params = dict(solver=solver, average=True, batch_size=10, alpha=ALPHA)
    params.update(random_state=0, learning_rate_init=0.01)
    stream = SGDLinearRegressor(**params)
    for _ in range(4):
        stream.partial_fit(X, y)
    full = _fit(X, y, **params, max_iter=4)
    assert unpack_state(stream._state).average.count == 80
    assert_allclose(stream.coef_, full.coef_, rtol=1e-12)
    assert_allclose(stream.intercept_, full.intercept_, rtol=1e-12)

    warm = _fit(X, y, **params, max_iter=2, warm_start=True)  # 2 × 20 steps
    count = unpack_state(warm._state).average.count
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.fit(X, y)
    assert unpack_state(warm._state).average.count == count + 40


@pytest.mark.parametrize(
    "Estimator",
    ALL,
)
def test_every_estimator_reports_the_averaged_weights(Estimator):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = (X[:, 0] > 0).astype(int) if hasattr(Estimator, "predict_proba") else X[:, 0]
    est = Estimator(solver="adam", average=True, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    state = unpack_state(est._state)
    assert state.average.count > 0
    layout_coef = state.average.mean[: X.shape[1]]
    first = est.coefs_[0] if hasattr(est, "coefs_") else est.coef_.reshape(-1, 4).T
    assert_allclose(first.ravel()[: layout_coef.size], layout_coef, rtol=1e-12)


def test_early_stopping_scores_and_restores_the_average():
    X, y = _regression(400, 3)
    est = _fit(
        X,
        y,
        solver="sgd",
        learning_rate_init=0.05,
        average=True,
        early_stopping=True,
        n_iter_no_change=3,
        max_iter=30,
    )
    assert est.best_validation_score_ == max(est.validation_scores_)
    # the restored parameters are the average whose score was best
    assert_array_equal(est.coef_, est._state["best_theta"][:3])


def test_sparse_data_averages_with_dense_steps():
    """The lazy sparse steps do not average: with ``average`` the sparse fit
    takes dense steps, and equals the fit on the same data densified."""
    X, y = _regression(200, 6)
    X[np.abs(X) < 1.0] = 0.0
    params = dict(solver="adagrad", average=True, max_iter=3, learning_rate_init=0.1)
    sparse = _fit(sp.csr_matrix(X), y, **params)
    dense = _fit(X, y, **params)
    assert_allclose(sparse.coef_, dense.coef_, rtol=1e-10)


def test_lbfgs_refuses_average():
    X, y = _regression(50, 3)
    with pytest.raises(ValueError, match="average"):
        SGDLinearRegressor(solver="lbfgs", average=True).fit(X, y)
