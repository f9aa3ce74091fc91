"""The options the component redesign added, through the public estimators:
``learning_rate="cosine"``, ``warmup_fraction``, ``max_grad_norm`` and the
activations gelu, silu and leaky_relu."""

import numpy as np
import pytest
from conftest import ALL, MLPS
from numpy.testing import assert_allclose
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import Ridge
from sklearn.preprocessing import StandardScaler

from sgdlearn import MLPClassifier, MLPRegressor, SGDLinearRegressor


def _regression(n=300, seed=0):
    X, y = make_regression(n_samples=n, n_features=5, noise=5.0, random_state=seed)
    return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()


@pytest.mark.parametrize("Estimator", ALL)
@pytest.mark.parametrize(
    "params",
    [
        {"warmup_fraction": 1.0},
        {"warmup_fraction": -0.1},
        {"max_grad_norm": 0.0},
        {"max_grad_norm": -1.0},
        {"learning_rate": "cosinus"},
    ],
)
def test_bad_values_are_rejected_by_name(Estimator, params):
    X, y = _regression(40)
    if Estimator in (MLPClassifier,) or "Classifier" in Estimator.__name__:
        y = (y > 0).astype(int)
    (name,) = params
    with pytest.raises(ValueError, match=name):
        Estimator(**params).fit(X, y)


def test_cosine_with_warmup_reaches_the_ridge_optimum():
    X, y = _regression()
    ridge = Ridge(alpha=1.0).fit(X, y)
    est = SGDLinearRegressor(
        solver="sgd",
        momentum=0.0,
        learning_rate="cosine",
        warmup_fraction=0.1,
        learning_rate_init=0.05,
        batch_size=10,
        max_iter=100,
        tol=0.0,
        n_iter_no_change=100,
        random_state=0,
    ).fit(X, y)
    assert_allclose(est.coef_, ridge.coef_, atol=5e-3)


def test_gradient_clipping_keeps_the_ridge_optimum():
    X, y = _regression()
    ridge = Ridge(alpha=1.0).fit(X, y)
    est = SGDLinearRegressor(
        solver="sgd",
        momentum=0.0,
        batch_size="full",
        learning_rate_init=0.5,
        max_grad_norm=0.05,
        max_iter=2000,
        tol=0.0,
        n_iter_no_change=2000,
    ).fit(X, y)
    assert_allclose(est.coef_, ridge.coef_, rtol=1e-6, atol=1e-8)


def test_clipping_changes_the_path():
    X, y = _regression()
    common = dict(solver="sgd", momentum=0.0, max_iter=3, random_state=0)
    free = SGDLinearRegressor(**common).fit(X, y)
    clipped = SGDLinearRegressor(max_grad_norm=1e-3, **common).fit(X, y)
    assert np.abs(clipped.coef_).max() < np.abs(free.coef_).max()


@pytest.mark.parametrize("activation", ["gelu", "silu", "leaky_relu"])
def test_new_activations_train_mlps(activation):
    X, y = _regression(400)
    reg = MLPRegressor(
        hidden_layer_sizes=(16,),
        activation=activation,
        solver="lbfgs",
        random_state=0,
        max_iter=500,
    ).fit(X, y)
    assert reg.score(X, y) > 0.95
    Xc, yc = make_classification(n_samples=300, n_features=6, random_state=0)
    clf = MLPClassifier((16,), activation, random_state=0, max_iter=300).fit(Xc, yc)
    assert clf.score(Xc, yc) > 0.9


@pytest.mark.parametrize("Estimator", MLPS)
def test_warmup_scales_the_first_step(Estimator):
    """The first of 100 steps (max_iter=100 partial_fit calls of one batch)
    under a warmup over half of them is the step of η₀/50."""
    X, y = _regression(200)
    extra = {}
    if Estimator is MLPClassifier:
        y = (y > 0).astype(int)
        extra = {"classes": [0, 1]}
    common = dict(
        solver="sgd", momentum=0.0, max_iter=100, batch_size=200, random_state=0
    )
    warm = Estimator(warmup_fraction=0.5, learning_rate_init=0.1, **common)
    small = Estimator(learning_rate_init=0.1 / 50, **common)
    start = Estimator(learning_rate_init=1e-300, **common)
    moved = [
        est.partial_fit(X, y, **extra).coefs_[0]
        - start.partial_fit(X, y, **extra).coefs_[0]
        for est in (warm, small)
    ]
    assert np.abs(moved[1]).max() > 0
    assert_allclose(moved[0], moved[1], rtol=1e-10)
