"""solver='newton': the same optimum as L-BFGS and scikit-learn, in few iterations.

Newton's method (``sgdlearn._newton``) needs each loss's curvature
(``Loss.hessian_diag``), checked here by finite differences of the
gradient; its fits are compared with L-BFGS's at a tight tolerance and with
scikit-learn's closed-form or Newton-type solvers (``Ridge(alpha)``,
``LogisticRegression(C=1/alpha)``, the GLMs with alpha divided by Σs as
their objectives are means), on dense and sparse data, with sample and
class weights, without an intercept and with several outputs.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import (
    GammaRegressor,
    LogisticRegression,
    PoissonRegressor,
    Ridge,
    TweedieRegressor,
)
from sklearn.preprocessing import StandardScaler

from sgdlearn import (
    MLPClassifier,
    MLPRegressor,
    SGDLinearRegressor,
    SGDLogisticClassifier,
    SoftmaxClassifier,
    _newton,
)
from sgdlearn._losses import LOSSES

TIGHT = {"tol": 1e-10, "max_iter": 2000}

# the losses with a diagonal Hessian, and settings that cover their branches
CURVED = [
    ("squared_error", {}),
    ("poisson", {}),
    ("bernoulli_log_loss", {}),
    ("gamma", {}),
    ("tweedie", {"power": 0.0}),
    ("tweedie", {"power": 1.0}),
    ("tweedie", {"power": 1.5}),
    ("tweedie", {"power": 2.0}),
    ("tweedie", {"power": 3.0}),
]


def test_the_losses_with_a_hessian_are_the_smooth_uncoupled_ones():
    with_hessian = {name for name, cls in LOSSES.items() if cls.has_hessian}
    assert with_hessian == {
        "squared_error",
        "poisson",
        "bernoulli_log_loss",
        "gamma",
        "tweedie",
    }


@pytest.mark.parametrize(("name", "params"), CURVED, ids=lambda v: str(v))
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_hessian_diag_is_the_derivative_of_the_gradient(name, params, n_outputs):
    """Central differences of value_grad's gradient in each raw score (the
    Hessian is diagonal, so all entries can move at once)."""
    rng = np.random.default_rng(0)
    loss = LOSSES[name](**params)
    raw = rng.normal(scale=0.7, size=(11, n_outputs))
    if name == "bernoulli_log_loss":
        y = (rng.random(raw.shape) < 0.5).astype(float)
    else:
        y = rng.gamma(2.0, size=raw.shape)

    def grad(r):
        out = np.empty_like(r)
        loss.value_grad(r.copy(), y, None, out)
        return out

    eps = 1e-6
    numeric = (grad(raw + eps) - grad(raw - eps)) / (2 * eps)
    hessian = loss.hessian_diag(raw, y)
    assert hessian.shape == raw.shape
    assert hessian.dtype == np.float64
    assert_allclose(hessian, numeric, rtol=1e-6, atol=1e-8)


def _regression(n_outputs=1, positive=False):
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    rng = np.random.default_rng(0)
    Y = np.column_stack(
        [y + 30 * rng.normal(size=len(y)) * j for j in range(n_outputs)]
    )
    if positive:
        Y = np.exp((Y - Y.mean()) / Y.std())
    return X, (Y[:, 0] if n_outputs == 1 else Y)


def _weights(n):
    return np.random.default_rng(1).uniform(0.2, 3.0, size=n)


def _same_fit(newton, lbfgs, rtol=1e-5):
    """The same weights to ``rtol`` of the largest weight, the same J/Σs.

    ``rtol`` is L-BFGS's own precision at tol=1e-10 on these correlated
    features (it stops on the relative change of J/Σs near machine
    precision first); the comparisons with scikit-learn below are tighter.
    """
    assert newton.solver_ == "newton"
    assert lbfgs.solver_ == "lbfgs"
    scale = max(np.abs(lbfgs.coef_).max(), np.abs(lbfgs.intercept_).max())
    assert_allclose(newton.coef_, lbfgs.coef_, rtol=0, atol=rtol * scale)
    assert_allclose(newton.intercept_, lbfgs.intercept_, rtol=0, atol=rtol * scale)
    assert_allclose(newton.loss_, lbfgs.loss_, rtol=1e-10)


REGRESSION_CASES = {
    "squared_error": ({}, {}),
    "no intercept": ({"fit_intercept": False}, {}),
    "sample weights": ({}, {"weighted": True}),
    "sparse": ({}, {"sparse": True}),
    "two outputs": ({}, {"n_outputs": 2}),
    "two outputs, weighted, sparse": (
        {},
        {"n_outputs": 2, "weighted": True, "sparse": True},
    ),
    "alpha 0": ({"alpha": 0.0}, {}),
    "poisson": ({"loss": "poisson"}, {"positive": True}),
    "poisson, weighted, no intercept": (
        {"loss": "poisson", "fit_intercept": False},
        {"positive": True, "weighted": True},
    ),
    "gamma": ({"loss": "gamma"}, {"positive": True}),
    "tweedie 1.5": ({"loss": "tweedie", "power": 1.5}, {"positive": True}),
    "tweedie 0": ({"loss": "tweedie", "power": 0.0}, {"positive": True}),
    "tweedie 3": ({"loss": "tweedie", "power": 3.0}, {"positive": True}),
}


CLASSIFICATION_CASES = {
    "binary": ({}, {}),
    "binary, no intercept": ({"fit_intercept": False}, {}),
    "binary, balanced": ({"class_weight": "balanced"}, {}),
    "binary, weighted, sparse": ({}, {"weighted": True, "sparse": True}),
    "one-vs-rest": ({}, {"multiclass": True}),
    "one-vs-rest, class weights": (
        {"class_weight": {0: 2.0, 1: 0.5}},
        {"multiclass": True},
    ),
}


def _classification(multiclass):
    if multiclass:
        X, y = load_iris(return_X_y=True)
    else:
        X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _case(case):
    """(estimator class, its parameters, X, y, sample weights) of a case."""
    if case in REGRESSION_CASES:
        params, data = REGRESSION_CASES[case]
        Estimator = SGDLinearRegressor
        X, y = _regression(data.get("n_outputs", 1), data.get("positive", False))
    else:
        params, data = CLASSIFICATION_CASES[case]
        Estimator = SGDLogisticClassifier
        X, y = _classification(data.get("multiclass", False))
    if data.get("sparse"):
        X = sp.csr_matrix(np.where(np.abs(X) < 0.5, 0.0, X))
    weight = _weights(len(y)) if data.get("weighted") else None
    return Estimator, params, X, y, weight


@pytest.mark.parametrize("case", [*REGRESSION_CASES, *CLASSIFICATION_CASES])
def test_reaches_the_lbfgs_optimum(case):
    Estimator, params, X, y, weight = _case(case)
    fits = {
        solver: Estimator(solver=solver, **TIGHT, **params).fit(
            X, y, sample_weight=weight
        )
        for solver in ("newton", "lbfgs")
    }
    _same_fit(fits["newton"], fits["lbfgs"])
    assert len(fits["newton"].loss_curve_) == fits["newton"].n_iter_


@pytest.mark.parametrize("alpha", [0.1, 1.0, 10.0])
@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("data", ["dense", "sparse, weighted", "no intercept"], ids=str)
def test_squared_error_is_ridge_in_one_iteration(alpha, n_outputs, data):
    X, y = _regression(n_outputs)
    weight, fit_intercept = None, data != "no intercept"
    if data == "sparse, weighted":
        X = sp.csr_matrix(np.where(np.abs(X) < 0.5, 0.0, X))
        weight = _weights(len(y))
    ours = SGDLinearRegressor(
        solver="newton", alpha=alpha, tol=1e-8, fit_intercept=fit_intercept
    ).fit(X, y, sample_weight=weight)
    # alpha is per output: Ridge's is n_outputs times as large (API.md)
    # (dense: scikit-learn's sparse Ridge with an intercept is iterative)
    ridge = Ridge(alpha=alpha * n_outputs, fit_intercept=fit_intercept).fit(
        X.toarray() if sp.issparse(X) else X, y, sample_weight=weight
    )
    assert ours.n_iter_ == 1
    assert_allclose(ours.coef_, ridge.coef_, rtol=1e-8, atol=1e-8)
    assert_allclose(ours.intercept_, ridge.intercept_, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("alpha", [0.1, 1.0, 10.0])
@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_binary_logistic_is_logistic_regression(alpha, class_weight):
    X, y = _classification(False)
    ours = SGDLogisticClassifier(
        solver="newton", alpha=alpha, class_weight=class_weight, tol=1e-10
    ).fit(X, y)
    theirs = LogisticRegression(
        C=1 / alpha, class_weight=class_weight, solver="newton-cholesky", tol=1e-12
    ).fit(X, y)
    assert ours.n_iter_ <= 12
    assert_allclose(ours.coef_, theirs.coef_, rtol=1e-5, atol=1e-6)
    assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("loss", "Theirs"),
    [
        ({"loss": "poisson"}, PoissonRegressor),
        ({"loss": "gamma"}, GammaRegressor),
        (
            {"loss": "tweedie", "power": 1.5},
            lambda alpha, **kw: TweedieRegressor(
                power=1.5, link="log", alpha=alpha, **kw
            ),
        ),
    ],
    ids=["poisson", "gamma", "tweedie"],
)
def test_glms_reach_scikit_learn(loss, Theirs):
    """scikit-learn's GLMs minimise the mean deviance/2 + alpha/2·‖w‖²: our
    alpha divided by Σs."""
    X, y = _regression(positive=True)
    weight = _weights(len(y))
    ours = SGDLinearRegressor(solver="newton", alpha=1.0, tol=1e-10, **loss).fit(
        X, y, sample_weight=weight
    )
    theirs = Theirs(
        alpha=1.0 / weight.sum(), solver="newton-cholesky", tol=1e-12, max_iter=1000
    ).fit(X, y, sample_weight=weight)
    assert_allclose(ours.coef_, theirs.coef_, rtol=1e-5, atol=1e-7)
    assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-6)


def test_float32_and_csr_give_the_float64_fit():
    X, y = _classification(False)
    dense = SGDLogisticClassifier(solver="newton", tol=1e-8).fit(X, y)
    single = SGDLogisticClassifier(solver="newton").fit(X.astype(np.float32), y)
    sparse = SGDLogisticClassifier(solver="newton", tol=1e-8).fit(sp.csr_matrix(X), y)
    assert single.coef_.dtype == np.float32
    assert_allclose(single.coef_, dense.coef_, rtol=1e-3, atol=1e-3)
    assert_allclose(sparse.coef_, dense.coef_, rtol=1e-9, atol=1e-10)


def test_float32_stops_where_its_steps_stop_moving_theta():
    """A tol float32 cannot reach: the line search finds no strict decrease
    and the fit stops with a warning, instead of running max_iter steps."""
    X, y = _classification(False)
    with pytest.warns(ConvergenceWarning):
        est = SGDLogisticClassifier(solver="newton", tol=1e-9).fit(
            X.astype(np.float32), y
        )
    assert est.n_iter_ < 20


def test_stops_on_the_gradient_like_lbfgs():
    """Both stop once J/Σs's gradient has no entry above tol: a looser tol
    takes fewer Newton iterations, and the stopping point is as close to
    the optimum as tol asks."""
    X, y = _classification(False)
    loose = SGDLogisticClassifier(solver="newton", tol=1e-2).fit(X, y)
    tight = SGDLogisticClassifier(solver="newton", tol=1e-10).fit(X, y)
    assert loose.n_iter_ < tight.n_iter_
    assert loose.loss_ >= tight.loss_
    assert len(tight.loss_curve_) == tight.n_iter_
    assert np.all(np.diff(tight.loss_curve_) <= 0)


def test_too_few_iterations_warn():
    X, y = _classification(False)
    with pytest.warns(ConvergenceWarning):
        est = SGDLogisticClassifier(solver="newton", max_iter=1).fit(X, y)
    assert est.n_iter_ == 1


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_full_batch_solvers_train_on_all_rows_under_early_stopping(solver):
    """Early stopping does not apply to 'newton' and 'lbfgs' (as in
    scikit-learn's MLP with 'lbfgs'): no rows are held out, and the model is
    the one without it; a validation set given to fit still gets its curve."""
    X, y = _classification(False)
    est = SGDLogisticClassifier(solver=solver, early_stopping=True).fit(X, y)
    plain = SGDLogisticClassifier(solver=solver).fit(X, y)
    assert est.solver_ == solver
    np.testing.assert_array_equal(est.coef_, plain.coef_)
    assert est.t_ == plain.t_ == est.n_iter_ * X.shape[0]
    assert est.validation_scores_ is None
    assert est.best_loss_ is not None
    est.fit(X[:150], y[:150], X_val=X[150:], y_val=y[150:])
    assert len(est.validation_scores_) == est.n_iter_


@pytest.mark.parametrize(
    "settings",
    [
        {"penalty": "l1"},
        {"penalty": "elasticnet", "l1_ratio": 0.5},
        {"dropout": 0.1},
        {"average": True},
        {"loss": "huber"},
        {"loss": "absolute_error"},
        {"loss": "quantile"},
        {"loss": "gaussian_nll"},
    ],
    ids=str,
)
def test_what_rules_newton_out_is_a_value_error(settings):
    X, y = _regression()
    with pytest.raises(ValueError, match="solver='newton'"):
        SGDLinearRegressor(solver="newton", **settings).fit(X, y)


def test_softmax_has_no_diagonal_hessian():
    X, y = _classification(True)
    with pytest.raises(ValueError, match="solver='newton' needs a loss"):
        SoftmaxClassifier(solver="newton").fit(X, y)


@pytest.mark.parametrize("Estimator", [MLPRegressor, MLPClassifier])
def test_the_mlps_do_not_offer_newton(Estimator):
    X, y = _classification(False)
    with pytest.raises(ValueError, match="solver"):
        Estimator(solver="newton").fit(X, y)
    assert "'newton'" not in Estimator.__doc__.split("solver :")[1].split("\n")[0]


def test_newton_is_full_batch_without_partial_fit():
    assert not hasattr(SGDLinearRegressor(solver="newton"), "partial_fit")
    assert hasattr(SGDLinearRegressor(), "partial_fit")


def test_warm_start_continues_from_the_optimum():
    X, y = _classification(False)
    est = SGDLogisticClassifier(solver="newton", warm_start=True).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit(X, y)
    assert est.n_iter_ == 0


def _captured_system(monkeypatch, Estimator, params, X, y, weight):
    """The NewtonSystem of a fit, and θ at its first step."""
    captured = {}
    original = _newton.NewtonSystem.direction

    def spy(system, theta_params, grads):
        captured.setdefault("system", system)
        captured.setdefault("params", theta_params)
        return original(system, theta_params, grads)

    monkeypatch.setattr(_newton.NewtonSystem, "direction", spy)
    Estimator(solver="newton", max_iter=1, **params).fit(X, y, sample_weight=weight)
    return captured["system"], captured["params"]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "case",
    [
        "two outputs, weighted, sparse",
        "two outputs",
        "poisson, weighted, no intercept",
        "one-vs-rest, class weights",
        "binary, weighted, sparse",
    ],
)
@pytest.mark.parametrize("block", [10**6, 100], ids=["one block", "many blocks"])
def test_hessians_are_the_weighted_gram_of_each_output(monkeypatch, case, block):
    """Aᵀ diag(s·ℓ''/Σs) A + ridge, A = [X 1], summed over any row blocks;
    one shared Hessian exactly when every output weighs its rows alike."""
    monkeypatch.setattr(_newton, "HESSIAN_BLOCK", block)
    Estimator, params, X, y, weight = _case(case)
    system, theta = _captured_system(monkeypatch, Estimator, params, X, y, weight)
    assert (len(system._blocks) > 1) == (block == 100)
    objective, train = system.objective, system.train
    curvature = objective.loss.hessian_diag(
        objective.predict_raw(theta, train.X), train.Y
    )
    row_weight = np.ones(len(y)) if train.sample_weight is None else train.sample_weight
    A = train.X.toarray() if sp.issparse(train.X) else np.asarray(train.X)
    if objective.fit_intercept:
        A = np.column_stack([A, np.ones(len(A))])
    ridge = np.zeros(A.shape[1])
    ridge[: X.shape[1]] = objective.penalty.l2 / objective.weight_total
    expected = [
        A.T @ (A * (row_weight * c / objective.weight_total)[:, None]) + np.diag(ridge)
        for c in np.maximum(curvature, 0.0).T
    ]
    hessians = system.hessians(theta)
    shared = case.startswith("two outputs")  # squared error
    assert len(hessians) == (1 if shared else len(expected))
    for j, hessian in enumerate(expected):
        assert_allclose(hessians[0 if shared else j], hessian, rtol=1e-10, atol=1e-12)
