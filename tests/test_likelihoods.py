"""Reference tests of the likelihood family (issue 15): absolute_error,
quantile, huber, gamma, tweedie and gaussian_nll.

Every expected value comes from scikit-learn (GammaRegressor,
TweedieRegressor, QuantileRegressor, mean_tweedie_deviance,
mean_pinball_loss), from scipy, or from a formula written out in this file,
never from sgdlearn's own output.

The objective (API.md) is J = Σ s_i ℓ_i + alpha · P(W), ℓ averaged over the
outputs. scikit-learn's GLMs minimise (1/Σs) Σ s·half-deviance +
(alpha_sk / 2)‖w‖², and ``QuantileRegressor`` (1/Σs) Σ s·pinball +
alpha_sk·‖w‖₁, so both correspond to alpha = alpha_sk · Σs here (with
``penalty="l1"`` for the quantile regressor). The objectives below are the
mean per unit weight, J/Σs, computed here on both fits from their
predictions and coefficients.

The stochastic settings that the tests name (``GLM_STOCHASTIC``,
``PINBALL_STOCHASTIC``) are the ones the docs recommend for reaching the
optimum: each reaches the reference's objective to 1%.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.optimize import minimize
from sklearn.linear_model import GammaRegressor, QuantileRegressor, TweedieRegressor
from sklearn.metrics import mean_pinball_loss, mean_tweedie_deviance, r2_score

from sgdlearn import MLPRegressor, SGDLinearRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# -- objectives, written out --------------------------------------------------


def pinball(y, pred, q):
    """ρ_q(y − ŷ) entry by entry: q·r for r ≥ 0, (q − 1)·r below (r = y − ŷ)."""
    r = np.asarray(y, dtype=float) - np.asarray(pred, dtype=float)
    return np.maximum(q * r, (q - 1.0) * r)


def pinball_objective(X, y, coef, intercept, q, alpha_sk, sample_weight=None):
    """QuantileRegressor's objective: (1/Σs) Σ s·ρ_q + alpha_sk·‖w‖₁.

    Equal to sgdlearn's J/Σs with ``penalty="l1"`` and alpha = alpha_sk·Σs.
    """
    pred = X @ np.ravel(coef) + np.ravel(intercept)[0]
    data = np.average(pinball(y, pred, q), weights=sample_weight)
    return data + alpha_sk * np.abs(coef).sum()


def half_deviance(y, mean, power, sample_weight=None):
    """(1/Σs) Σ s·½ deviance: scikit-learn's own Tweedie deviance, halved."""
    return 0.5 * mean_tweedie_deviance(
        y, mean, power=power, sample_weight=sample_weight
    )


def glm_objective(y, mean, coef, power, alpha, sample_weight=None):
    """sgdlearn's J/Σs for gamma / tweedie: mean half deviance + alpha/Σs · ½‖w‖²."""
    total = len(y) if sample_weight is None else np.sum(sample_weight)
    penalty = 0.5 * alpha / total * np.sum(np.asarray(coef) ** 2)
    return half_deviance(y, mean, power, sample_weight) + penalty


def huber(r, delta):
    """Huber's loss: ½r² for |r| ≤ δ, δ(|r| − ½δ) beyond."""
    a = np.abs(r)
    return np.where(a <= delta, 0.5 * r**2, delta * (a - 0.5 * delta))


def gaussian_nll(y, mean, std):
    """½ log σ² + (y − μ)²/(2σ²): the Gaussian NLL without its ½ log 2π."""
    return np.log(std) + 0.5 * ((y - mean) / std) ** 2


def mean_loss(loss, params, y, pred, std=None):
    """The loss ℓ averaged over rows (and outputs), from predictions alone."""
    if loss == "absolute_error":
        return np.mean(np.abs(y - pred))
    if loss == "quantile":
        q = np.atleast_1d(params.get("quantile", 0.5))
        pred = pred.reshape(len(y), -1)
        return np.mean(pinball(y[:, None], pred, q[None, :]))
    if loss == "huber":
        return np.mean(huber(y - pred, params.get("huber_delta", 1.35)))
    if loss == "gamma":
        return half_deviance(y, pred, 2)
    if loss == "tweedie":
        return half_deviance(y, pred, params.get("power", 0.0))
    if loss == "gaussian_nll":
        return np.mean(gaussian_nll(y, pred, std))
    raise AssertionError(loss)


def predictions(est, X):
    """(prediction, std or None) of a fitted regressor."""
    if est.loss == "gaussian_nll":
        return est.predict(X, return_std=True)
    return est.predict(X), None


def relative_diff(est, coef, intercept):
    """max |Δ| of coefficients and intercept, relative to the reference's largest."""
    ours = np.r_[np.ravel(est.coef_), np.ravel(est.intercept_)]
    ref = np.r_[np.ravel(coef), np.ravel(intercept)]
    return np.abs(ours - ref).max() / np.abs(ref).max()


# -- data ---------------------------------------------------------------------

W5 = np.array([0.3, -0.2, 0.1, 0.0, 0.4])


def positive_data(n_samples=3000, seed=0, zeros=False):
    """Gamma-distributed y with a log-linear mean: valid for every new loss."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, 5))
    mean = np.exp(X @ W5 + 0.5)
    y = mean * rng.gamma(2.0, 0.5, size=n_samples)
    if zeros:
        y[::10] = 0.0
    return X, y


def quantile_data(n_samples=5000, n_features=5, seed=0):
    """y = x·w + 1 + (1 + 0.5·|x₀|)·ε: heteroscedastic, with a Gaussian ε."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    w = rng.standard_normal(n_features)
    y = X @ w + 1.0 + (1.0 + 0.5 * np.abs(X[:, 0])) * rng.standard_normal(n_samples)
    return X, y


# -- 1. gamma and tweedie against scikit-learn's GLMs --------------------------

GLMS = {
    "gamma": ({"loss": "gamma"}, 2.0),
    "tweedie-1.5": ({"loss": "tweedie", "power": 1.5}, 1.5),
    "tweedie-0": ({"loss": "tweedie", "power": 0.0}, 0.0),
    "tweedie-3": ({"loss": "tweedie", "power": 3.0}, 3.0),
}
GLM_ALPHA = 10.0


def glm_reference(power, alpha_sk, X, y, sample_weight=None):
    if power == 2.0:
        ref = GammaRegressor(alpha=alpha_sk, solver="newton-cholesky")
    else:
        ref = TweedieRegressor(
            power=power, link="log", alpha=alpha_sk, solver="newton-cholesky"
        )
    ref.set_params(tol=1e-12, max_iter=10_000)
    return ref.fit(X, y, sample_weight=sample_weight)


def glm_data(power):
    # zeros are valid targets for powers 0 and 1.5 (and test that they are)
    return positive_data(zeros=power in (0.0, 1.5))


@pytest.mark.parametrize("with_weights", [False, True])
@pytest.mark.parametrize("name", GLMS)
def test_glm_lbfgs_matches_sklearn(name, with_weights):
    params, power = GLMS[name]
    X, y = glm_data(power)
    sw = None
    if with_weights:
        sw = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y))
    total = len(y) if sw is None else sw.sum()
    ref = glm_reference(power, GLM_ALPHA / total, X, y, sw)
    est = SGDLinearRegressor(
        **params, solver="lbfgs", alpha=GLM_ALPHA, tol=1e-12, max_iter=10_000
    ).fit(X, y, sample_weight=sw)
    assert relative_diff(est, ref.coef_, ref.intercept_) < 1e-4
    # the penalty matters at this tolerance: the unpenalised fit is 5e-4 away
    unpenalised = glm_reference(power, 0.0, X, y, sw)
    assert relative_diff(est, unpenalised.coef_, unpenalised.intercept_) > 5e-4
    # the log link, and the reported loss is J/Σs with the half deviance
    assert_allclose(est.predict(X), np.exp(X @ est.coef_ + est.intercept_), rtol=1e-12)
    expected = glm_objective(y, est.predict(X), est.coef_, power, GLM_ALPHA, sw)
    assert_allclose(est.loss_, expected, rtol=1e-8)


# Settings that reach the GLM optimum's objective to 1% in 30 epochs of
# 256-row batches (all reach it to 0.2% on this data). Adagrad at 0.01 is
# too slow (4-14% above after 30 epochs), adam at a constant 0.1 and SGD at
# a constant 0.03 without averaging stall 1-3% above.
GLM_STOCHASTIC = {
    "adagrad-0.1": dict(solver="adagrad", learning_rate_init=0.1),
    "adagrad-0.1-cosine": dict(
        solver="adagrad", learning_rate_init=0.1, learning_rate="cosine"
    ),
    "sgd-0.03-average": dict(solver="sgd", learning_rate_init=0.03, average=True),
    "sgd-0.01-cosine": dict(
        solver="sgd", learning_rate_init=0.01, learning_rate="cosine"
    ),
    "adam-0.03-cosine": dict(
        solver="adam", learning_rate_init=0.03, learning_rate="cosine"
    ),
}


@pytest.mark.parametrize("setting", GLM_STOCHASTIC)
@pytest.mark.parametrize("name", GLMS)
def test_glm_stochastic_reaches_the_optimum_objective(name, setting):
    params, power = GLMS[name]
    X, y = glm_data(power)
    ref = glm_reference(power, GLM_ALPHA / len(y), X, y)
    optimum = glm_objective(y, ref.predict(X), ref.coef_, power, GLM_ALPHA)
    est = SGDLinearRegressor(
        **params,
        **GLM_STOCHASTIC[setting],
        alpha=GLM_ALPHA,
        batch_size=256,
        max_iter=30,
        tol=0.0,
        random_state=0,
    ).fit(X, y)
    reached = glm_objective(y, est.predict(X), est.coef_, power, GLM_ALPHA)
    assert reached <= 1.01 * optimum, (reached, optimum)


# -- 2. quantile and absolute error against QuantileRegressor ------------------

# QuantileRegressor's alpha: (1/n)Σρ + alpha_sk‖w‖₁. Strong enough that the
# conversion matters: a fit with alpha = alpha_sk (not alpha_sk·n) misses the
# objective by 6%, and one coefficient is 0 at the optimum.
QUANTILE_ALPHA_SK = 0.03

# Settings that reach QuantileRegressor's objective to 1% on 5,000 rows in
# 30 epochs. Averaging with a constant step, a cosine schedule, or
# Adagrad's own decay all do; plain SGD at a constant 0.1 on 64-row
# batches does not (it stalls about 1% above), nor does invscaling from
# 0.01 (its steps decay too soon).
PINBALL_STOCHASTIC = {
    "defaults": {},
    "sgd-0.1-average": dict(
        solver="sgd", learning_rate_init=0.1, average=True, batch_size=256
    ),
    "sgd-0.03-cosine": dict(
        solver="sgd", learning_rate_init=0.03, learning_rate="cosine", batch_size=256
    ),
    "adagrad-0.1": dict(solver="adagrad", learning_rate_init=0.1, batch_size=256),
    "adam-0.03-cosine": dict(
        solver="adam", learning_rate_init=0.03, learning_rate="cosine", batch_size=256
    ),
    "sgd-0.03-invscaling": dict(
        solver="sgd", learning_rate_init=0.03, learning_rate="invscaling", batch_size=64
    ),
}


@pytest.fixture(scope="module")
def quantile_problem():
    return quantile_data()


@pytest.fixture(scope="module")
def quantile_optima(quantile_problem):
    """QuantileRegressor(solver="highs") at each tested quantile, and its objective."""
    X, y = quantile_problem
    optima = {}
    for q in (0.5, 0.9):
        ref = QuantileRegressor(quantile=q, alpha=QUANTILE_ALPHA_SK, solver="highs")
        ref.fit(X, y)
        objective = pinball_objective(
            X, y, ref.coef_, ref.intercept_, q, QUANTILE_ALPHA_SK
        )
        optima[q] = (ref, objective)
    return optima


@pytest.mark.parametrize("setting", PINBALL_STOCHASTIC)
@pytest.mark.parametrize("loss", ["quantile", "absolute_error"])
def test_pinball_reaches_quantile_regressor_objective(
    loss, setting, quantile_problem, quantile_optima
):
    X, y = quantile_problem
    q = 0.9 if loss == "quantile" else 0.5
    ref, optimum = quantile_optima[q]
    extra = {"quantile": q} if loss == "quantile" else {}
    settings = {"max_iter": 30, "tol": 0.0, **PINBALL_STOCHASTIC[setting]}
    if setting == "defaults":
        settings = {}
    # |r| is twice the pinball loss at 0.5: the same optimum takes twice alpha
    scale = 2.0 if loss == "absolute_error" else 1.0
    est = SGDLinearRegressor(
        loss=loss,
        **extra,
        penalty="l1",
        alpha=scale * QUANTILE_ALPHA_SK * len(y),
        random_state=0,
        **settings,
    ).fit(X, y)
    reached = pinball_objective(X, y, est.coef_, est.intercept_, q, QUANTILE_ALPHA_SK)
    assert reached <= 1.01 * optimum, (reached / optimum - 1, est.n_iter_)
    # ½|r| is the pinball loss at 0.5: absolute error's optimum is the median's
    assert relative_diff(est, ref.coef_, ref.intercept_) < 0.1


def test_pinball_reference_is_sklearns_pinball_loss(quantile_problem):
    """The objective function of this file agrees with scikit-learn's metric."""
    X, y = quantile_problem
    pred = X @ np.arange(5.0) / 10
    assert_allclose(
        pinball_objective(X, y, np.zeros(5), [0.0], 0.9, 0.0),
        mean_pinball_loss(y, np.zeros_like(y), alpha=0.9),
    )
    assert_allclose(
        np.mean(pinball(y, pred, 0.3)), mean_pinball_loss(y, pred, alpha=0.3)
    )


def test_quantile_intercept_starts_at_the_quantile():
    """One epoch at a tiny rate barely moves the start: a q-quantile of y
    (any minimiser of the mean pinball loss over constants)."""
    X, y = quantile_data(2001)
    for loss, q in (("quantile", 0.9), ("absolute_error", 0.5), ("quantile", 0.37)):
        extra = {"quantile": q} if loss == "quantile" else {}
        est = SGDLinearRegressor(
            loss=loss, **extra, solver="sgd", learning_rate_init=1e-9, max_iter=1
        ).fit(X, y)
        best = np.quantile(y, q, method="inverted_cdf")
        assert_allclose(
            np.mean(pinball(y, est.intercept_[0], q)),
            np.mean(pinball(y, best, q)),
            rtol=1e-7,
        )
        assert abs(est.intercept_[0] - best) < 0.01


# -- 3. huber against scipy ----------------------------------------------------


def huber_data(n_samples=2000, seed=0):
    """A linear signal with Student-t noise (3 degrees of freedom): outliers."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, 5))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0, 3.0]) + 1.0 + rng.standard_t(3, n_samples)
    return X, y


def huber_minimum(X, y, delta, alpha):
    """argmin over (w, b) of Σ Huber(y − Xw − b) + alpha·½‖w‖², by scipy."""
    n, p = X.shape

    def objective(theta):
        w, b = theta[:p], theta[p]
        r = y - X @ w - b
        psi = np.clip(r, -delta, delta)
        value = huber(r, delta).sum() + 0.5 * alpha * w @ w
        grad = np.r_[-(X.T @ psi) + alpha * w, -psi.sum()]
        return value / n, grad / n

    result = minimize(
        objective,
        np.zeros(p + 1),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 10_000, "ftol": 1e-15, "gtol": 1e-12},
    )
    return result.x[:p], result.x[p], result.fun


@pytest.mark.parametrize("delta", [1.35, 0.5])
def test_huber_lbfgs_reaches_scipy_minimum(delta):
    X, y = huber_data()
    alpha = 20.0
    coef, intercept, minimum = huber_minimum(X, y, delta, alpha)
    est = SGDLinearRegressor(
        loss="huber",
        huber_delta=delta,
        solver="lbfgs",
        alpha=alpha,
        tol=1e-12,
        max_iter=10_000,
    ).fit(X, y)
    r = y - est.predict(X)
    reached = (huber(r, delta).sum() + 0.5 * alpha * est.coef_ @ est.coef_) / len(y)
    assert abs(reached - minimum) <= 1e-4 * minimum
    assert relative_diff(est, coef, [intercept]) < 1e-4
    assert_allclose(est.loss_, reached, rtol=1e-8)


def test_huber_is_robust_where_squared_error_is_not():
    X, y = huber_data()
    y[:40] += 200.0  # gross outliers
    params = dict(solver="lbfgs", alpha=0.0, penalty=None, tol=1e-10, max_iter=1000)
    robust = SGDLinearRegressor(loss="huber", **params).fit(X, y)
    squared = SGDLinearRegressor(loss="squared_error", **params).fit(X, y)
    truth = np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    assert np.abs(robust.coef_ - truth).max() < 0.15
    assert abs(robust.intercept_[0] - 1.0) < 0.15
    assert abs(squared.intercept_[0] - 1.0) > 2.0


# -- 4. interval coverage of quantile=[0.05, 0.95] -----------------------------


def interval_data(n_samples, seed):
    """y = x·w + (2 + x₀)·ε with x₀ ∈ [−1, 1]: every quantile is linear in x.

    (x₀ is centred: with x₀ ∈ [0, 2] the slope and the intercept trade off,
    and the default fit is still far from the optimum's coefficients, though
    near its objective.)
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, 3))
    X[:, 0] = rng.uniform(-1.0, 1.0, n_samples)
    noise = (2.0 + X[:, 0]) * rng.standard_normal(n_samples)
    return X, X @ np.array([1.0, -1.0, 0.5]) + noise


def curved_data(n_samples, seed):
    """y = 2 sin(x) + (0.2 + 0.3|x|)·ε, x ∈ [−3, 3]: for the MLP."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3.0, 3.0, n_samples)
    y = 2.0 * np.sin(x) + (0.2 + 0.3 * np.abs(x)) * rng.standard_normal(n_samples)
    return x[:, None], y


# All 60 epochs (tol=0 and n_iter_no_change=60: no early stop), the cosine
# schedule annealing over them. With the defaults' tol the fit stops when the
# loss stalls for 10 epochs, at a step still large, and the coverage of the
# same model moves by ±0.04 from seed to seed.
MLP_SETTINGS = dict(
    hidden_layer_sizes=(32, 32),
    learning_rate_init=0.01,
    learning_rate="cosine",
    max_iter=60,
    tol=0.0,
    n_iter_no_change=60,
)


def coverage(pred, y):
    assert pred.shape == (len(y), 2)
    return np.mean((pred[:, 0] <= y) & (y <= pred[:, 1]))


def test_interval_coverage_linear():
    X, y = interval_data(10_000, seed=0)
    X_test, y_test = interval_data(10_000, seed=1)
    est = SGDLinearRegressor(loss="quantile", quantile=[0.05, 0.95], random_state=0)
    est.fit(X, y)
    assert est.coef_.shape == (2, 3) and est.intercept_.shape == (2,)
    assert abs(coverage(est.predict(X_test), y_test) - 0.90) <= 0.03
    # each bound alone covers its own level
    pred = est.predict(X_test)
    assert abs(np.mean(y_test <= pred[:, 0]) - 0.05) <= 0.02
    assert abs(np.mean(y_test <= pred[:, 1]) - 0.95) <= 0.02


def test_interval_coverage_mlp():
    X, y = curved_data(5000, seed=0)
    X_test, y_test = curved_data(10_000, seed=1)
    est = MLPRegressor(
        loss="quantile",
        quantile=[0.05, 0.95],
        **MLP_SETTINGS,
        random_state=0,
    ).fit(X, y)
    pred = est.predict(X_test)
    assert abs(coverage(pred, y_test) - 0.90) <= 0.03
    # the band follows the noise: wider at |x| = 3 than at 0
    width = pred[:, 1] - pred[:, 0]
    assert (
        width[np.abs(X_test[:, 0]) > 2.5].mean()
        > 2 * width[np.abs(X_test[:, 0]) < 0.5].mean()
    )


# -- 5. gaussian_nll -----------------------------------------------------------


def log_linear_noise_data(n_samples, seed):
    """y = x·w + 1 + σ(x)·ε with log σ² = x·v − 1: the linear model's own form."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, 3))
    sigma = np.exp(0.5 * (X @ np.array([0.8, -0.6, 0.0]) - 1.0))
    y = X @ np.array([1.0, 2.0, -1.0]) + 1.0 + sigma * rng.standard_normal(n_samples)
    return X, y, sigma


def check_gaussian_fit(est, X, y, X_test, y_test, sigma_test):
    mean, std = est.predict(X_test, return_std=True)
    assert mean.shape == std.shape == y_test.shape
    assert_allclose(est.predict(X_test), mean)
    assert np.all(std > 0)
    # the predicted std tracks σ(x)
    assert np.corrcoef(std, sigma_test)[0, 1] >= 0.9
    # 68% of a Gaussian lies within one std
    assert 0.63 <= np.mean(np.abs(y_test - mean) <= std) <= 0.73
    # score is R² of the mean
    assert_allclose(est.score(X_test, y_test), r2_score(y_test, mean))
    # the held-out NLL beats squared error with one constant σ
    plain = est.__class__(**{**est.get_params(), "loss": "squared_error"})
    plain.fit(X, y)
    sigma_plain = np.sqrt(np.mean((y - plain.predict(X)) ** 2))
    nll = np.mean(gaussian_nll(y_test, mean, std))
    nll_plain = np.mean(gaussian_nll(y_test, plain.predict(X_test), sigma_plain))
    assert nll < nll_plain


@pytest.mark.parametrize("solver", ["auto", "adagrad"])  # auto: lbfgs here
def test_gaussian_nll_linear_recovers_sigma(solver):
    X, y, _ = log_linear_noise_data(5000, seed=0)
    X_test, y_test, sigma_test = log_linear_noise_data(5000, seed=1)
    est = SGDLinearRegressor(
        loss="gaussian_nll", solver=solver, alpha=1e-3, random_state=0
    )
    est.fit(X, y)
    check_gaussian_fit(est, X, y, X_test, y_test, sigma_test)
    _, std = est.predict(X_test, return_std=True)
    assert np.median(np.abs(std / sigma_test - 1)) < 0.2


def test_gaussian_nll_linear_constant_variance():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4000, 3))
    y = X @ np.array([1.0, 2.0, -1.0]) + 0.7 * rng.standard_normal(4000)
    est = SGDLinearRegressor(
        loss="gaussian_nll", variance="constant", alpha=1e-3, random_state=0
    ).fit(X, y)
    mean, std = est.predict(X[:500], return_std=True)
    assert_allclose(std, std[0], rtol=1e-10)  # one σ for every row
    assert abs(std[0] - 0.7) < 0.05
    assert_allclose(mean, est.predict(X[:500]))
    assert est.score(X, y) > 0.9


def test_gaussian_nll_mlp_recovers_sigma():
    X, y = curved_data(5000, seed=0)
    X_test, y_test = curved_data(5000, seed=1)
    sigma_test = 0.2 + 0.3 * np.abs(X_test[:, 0])
    est = MLPRegressor(
        loss="gaussian_nll",
        **MLP_SETTINGS,
        random_state=0,
    ).fit(X, y)
    check_gaussian_fit(est, X, y, X_test, y_test, sigma_test)


def test_gaussian_nll_two_targets_give_two_stds():
    X, y, sigma = log_linear_noise_data(2000, seed=0)
    Y = np.c_[y, 2 * y]
    est = SGDLinearRegressor(loss="gaussian_nll", alpha=1e-3, random_state=0)
    mean, std = est.fit(X, Y).predict(X, return_std=True)
    assert mean.shape == std.shape == (2000, 2)
    assert_allclose(std[:, 1] / std[:, 0], 2.0, rtol=0.15)


def test_return_std_needs_gaussian_nll():
    X, y = positive_data(200)
    est = SGDLinearRegressor(loss="huber", solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match="gaussian_nll"):
        est.predict(X, return_std=True)


# -- 6. every new loss: weights, partial_fit, early stopping, sparse, errors ---

NEW_LOSSES = {
    "absolute_error": {"loss": "absolute_error"},
    "quantile": {"loss": "quantile", "quantile": 0.8},
    "quantile-list": {"loss": "quantile", "quantile": [0.1, 0.9]},
    "huber": {"loss": "huber"},
    "gamma": {"loss": "gamma"},
    "tweedie": {"loss": "tweedie", "power": 1.5},
    "gaussian_nll": {"loss": "gaussian_nll"},
}
SMOOTH = ("huber", "gamma", "tweedie", "gaussian_nll")


def loss_params(name):
    params = dict(NEW_LOSSES[name])
    return params.pop("loss"), params


@pytest.mark.parametrize("name", NEW_LOSSES)
def test_integer_sample_weight_equals_repeated_rows(name):
    """Full batches: the weighted gradient is the repeated rows' gradient."""
    X, y = positive_data(300)
    sw = np.random.default_rng(3).integers(0, 4, size=len(y))
    sw[0] = 3
    if name in SMOOTH:
        params = dict(solver="lbfgs", tol=1e-12, max_iter=2000)
        atol = 1e-6
    else:
        params = dict(
            solver="adagrad", batch_size="full", learning_rate_init=0.1, max_iter=200
        )
        params["tol"] = 0.0
        atol = 1e-8
    est = SGDLinearRegressor(**NEW_LOSSES[name], alpha=1.0, **params)
    weighted = est.fit(X, y, sample_weight=sw)
    w_coef, w_intercept = weighted.coef_.copy(), weighted.intercept_.copy()
    repeated = est.fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))
    assert_allclose(w_coef, repeated.coef_, atol=atol)
    assert_allclose(w_intercept, repeated.intercept_, atol=atol)
    unweighted = est.fit(X, y)
    assert np.abs(unweighted.coef_ - w_coef).max() > 100 * atol


@pytest.mark.parametrize("name", SMOOTH)
def test_mlp_integer_sample_weight_equals_repeated_rows(name):
    X, y = positive_data(200)
    sw = np.random.default_rng(3).integers(0, 3, size=len(y))
    est = MLPRegressor(
        **NEW_LOSSES[name],
        hidden_layer_sizes=(5,),
        solver="lbfgs",
        tol=1e-12,
        max_iter=50,
        random_state=0,
    )
    weighted = est.fit(X, y, sample_weight=sw).predict(X)
    repeated = est.fit(np.repeat(X, sw, axis=0), np.repeat(y, sw)).predict(X)
    assert_allclose(weighted, repeated, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", NEW_LOSSES)
def test_partial_fit_stream_runs_and_improves(name):
    X, y = positive_data(2000)
    loss, extra = loss_params(name)
    est = SGDLinearRegressor(
        **NEW_LOSSES[name], solver="adagrad", learning_rate_init=0.05, random_state=0
    )
    values = []
    for _ in range(8):
        for chunk in np.array_split(np.arange(len(y)), 4):
            est.partial_fit(X[chunk], y[chunk])
        values.append(mean_loss(loss, extra, y, *predictions(est, X)))
    assert np.all(np.isfinite(values))
    assert values[-1] < values[0]
    # and the stream gets close to a long fit's loss
    full = SGDLinearRegressor(
        **NEW_LOSSES[name], solver="adagrad", learning_rate_init=0.05, random_state=0
    ).fit(X, y)
    target = mean_loss(loss, extra, y, *predictions(full, X))
    assert values[-1] <= target + 0.05 * abs(target) + 1e-3


@pytest.mark.parametrize("name", NEW_LOSSES)
def test_partial_fit_stream_equals_fit(name):
    X, y = positive_data(500)
    params = dict(solver="adagrad", shuffle=False, learning_rate_init=0.05)
    fitted = SGDLinearRegressor(**NEW_LOSSES[name], **params, max_iter=4, tol=0.0).fit(
        X, y
    )
    streamed = SGDLinearRegressor(**NEW_LOSSES[name], **params)
    for _ in range(4):
        streamed.partial_fit(X, y)
    assert_allclose(streamed.coef_, fitted.coef_, rtol=1e-10, atol=1e-12)
    assert_allclose(streamed.intercept_, fitted.intercept_, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("estimator", ["linear", "mlp"])
@pytest.mark.parametrize("name", NEW_LOSSES)
def test_early_stopping_runs(name, estimator):
    X, y = positive_data(1500)
    if estimator == "linear":
        est = SGDLinearRegressor(**NEW_LOSSES[name], solver="adagrad")
    else:
        est = MLPRegressor(**NEW_LOSSES[name], hidden_layer_sizes=(8,))
    est.set_params(early_stopping=True, max_iter=40, random_state=0)
    est.fit(X, y)
    scores = np.asarray(est.validation_scores_)
    assert len(scores) == est.n_iter_ and np.all(np.isfinite(scores))
    assert est.best_validation_score_ == scores.max()
    assert est.best_loss_ is None
    if NEW_LOSSES[name]["loss"] == "quantile":
        assert np.all(scores <= 0)  # minus the mean pinball loss


def test_quantile_validation_score_is_minus_mean_pinball():
    X, y = quantile_data(3000)
    X_val, y_val = quantile_data(1000, seed=1)
    est = SGDLinearRegressor(
        loss="quantile",
        quantile=[0.2, 0.7],
        solver="adagrad",
        early_stopping=True,
        max_iter=30,
        random_state=0,
    ).fit(X, y, X_val=X_val, y_val=y_val)
    # the best parameters are restored: their validation score is the best
    expected = -mean_loss(
        "quantile", {"quantile": [0.2, 0.7]}, y_val, est.predict(X_val)
    )
    assert_allclose(est.best_validation_score_, expected, rtol=1e-10)


def test_score_of_a_quantile_list_model_raises_clearly():
    """A model of several quantiles has no single R² (the objective page):
    score is scikit-learn's RegressorMixin.score (dask-ml's wrappers
    recognise it), whose r2_score refuses one target against several
    prediction columns."""
    X, y = quantile_data(500)
    est = SGDLinearRegressor(loss="quantile", quantile=[0.2, 0.7], max_iter=5)
    with pytest.raises(ValueError, match="number of output"):
        est.fit(X, y).score(X, y)
    # one quantile: R² of its prediction, as QuantileRegressor's score
    single = SGDLinearRegressor(loss="quantile", quantile=0.7, max_iter=5).fit(X, y)
    assert_allclose(single.score(X, y), r2_score(y, single.predict(X)))


@pytest.mark.parametrize("name", NEW_LOSSES)
def test_sparse_csr_equals_dense(name):
    X, y = positive_data(200)
    X[np.random.default_rng(0).uniform(size=X.shape) < 0.6] = 0.0
    if name in SMOOTH:
        params = dict(solver="lbfgs", tol=1e-12, max_iter=2000)
        atol = 1e-8
    else:
        params = dict(solver="sgd", batch_size=20, max_iter=10, tol=0.0, random_state=0)
        atol = 1e-10
    dense = SGDLinearRegressor(**NEW_LOSSES[name], **params).fit(X, y)
    sparse = SGDLinearRegressor(**NEW_LOSSES[name], **params).fit(sp.csr_matrix(X), y)
    assert_allclose(sparse.coef_, dense.coef_, atol=atol)
    assert_allclose(sparse.intercept_, dense.intercept_, atol=atol)
    assert_allclose(sparse.predict(sp.csr_matrix(X)), dense.predict(X), atol=10 * atol)


@pytest.mark.parametrize("solver", ["adagrad", "adam"])
@pytest.mark.parametrize("name", NEW_LOSSES)
def test_sparse_csr_equals_dense_adaptive_solvers(name, solver):
    X, y = positive_data(200)
    X[np.random.default_rng(0).uniform(size=X.shape) < 0.6] = 0.0
    params = dict(solver=solver, batch_size=20, max_iter=5, tol=0.0, random_state=0)
    dense = SGDLinearRegressor(**NEW_LOSSES[name], **params).fit(X, y)
    sparse = SGDLinearRegressor(**NEW_LOSSES[name], **params).fit(sp.csr_matrix(X), y)
    assert_allclose(sparse.coef_, dense.coef_, rtol=1e-8, atol=1e-10)
    assert_allclose(sparse.intercept_, dense.intercept_, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", NEW_LOSSES)
def test_mlp_sparse_csr_equals_dense(name):
    X, y = positive_data(200)
    X[np.random.default_rng(0).uniform(size=X.shape) < 0.6] = 0.0
    if name in SMOOTH:
        params = dict(solver="lbfgs", max_iter=30)
    else:
        params = dict(solver="adam", batch_size=20, max_iter=5, tol=0.0)
    est = MLPRegressor(**NEW_LOSSES[name], hidden_layer_sizes=(6,), random_state=0)
    dense = est.set_params(**params).fit(X, y).predict(X)
    sparse = est.fit(sp.csr_matrix(X), y).predict(sp.csr_matrix(X))
    assert_allclose(sparse, dense, rtol=1e-8, atol=1e-10)


BAD_TARGETS = [
    ({"loss": "gamma"}, 0.0, "gamma"),
    ({"loss": "gamma"}, -1.0, "gamma"),
    ({"loss": "tweedie", "power": 1.5}, -1.0, "tweedie"),
    ({"loss": "tweedie", "power": 1.0}, -1.0, "tweedie"),
    ({"loss": "tweedie", "power": 3.0}, 0.0, "tweedie"),
    ({"loss": "tweedie", "power": 2.0}, 0.0, "tweedie"),
]


@pytest.mark.parametrize("estimator", [SGDLinearRegressor, MLPRegressor])
@pytest.mark.parametrize(("params", "bad", "word"), BAD_TARGETS)
def test_target_out_of_range_raises(params, bad, word, estimator):
    X, y = positive_data(50)
    y[7] = bad
    with pytest.raises(ValueError, match=word):
        estimator(**params, solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match=word):
        estimator(**params, solver="sgd").partial_fit(X, y)
    with pytest.raises(ValueError, match=word):
        estimator(**params, solver="adam").fit(X, y, X_val=X, y_val=y)


@pytest.mark.parametrize(
    "params",
    [
        {"loss": "tweedie", "power": 1.5},
        {"loss": "tweedie", "power": 0.0},
    ],
)
def test_zero_targets_are_valid_where_the_range_allows(params):
    X, y = positive_data(300, zeros=True)
    est = SGDLinearRegressor(**params, solver="lbfgs").fit(X, y)
    assert np.all(np.isfinite(est.coef_))
    y[3] = -0.5
    if params["power"] == 0.0:  # any real target
        SGDLinearRegressor(**params, solver="lbfgs").fit(X, y)


@pytest.mark.parametrize(
    "params",
    [
        {"loss": "quantile", "quantile": 0.0},
        {"loss": "quantile", "quantile": 1.0},
        {"loss": "quantile", "quantile": [0.1, 1.2]},
        {"loss": "huber", "huber_delta": 0.0},
        {"loss": "huber", "huber_delta": -1.0},
        {"loss": "tweedie", "power": 0.5},
        {"loss": "tweedie", "power": -1.0},
    ],
)
@pytest.mark.parametrize("estimator", [SGDLinearRegressor, MLPRegressor])
def test_invalid_loss_parameter_raises(params, estimator):
    X, y = positive_data(50)
    name = next(key for key in params if key != "loss")
    with pytest.raises(ValueError, match=name):
        estimator(**params).fit(X, y)


@pytest.mark.parametrize("estimator", [SGDLinearRegressor, MLPRegressor])
@pytest.mark.parametrize("loss", ["absolute_error", "quantile"])
def test_lbfgs_refuses_non_smooth_losses(loss, estimator):
    X, y = positive_data(50)
    with pytest.raises(ValueError, match="lbfgs"):
        estimator(loss=loss, solver="lbfgs").fit(X, y)


def test_variance_constant_is_for_gaussian_nll_linear_model():
    """variance='constant' changes nothing for the other losses, or is refused."""
    X, y = positive_data(200)
    params = dict(loss="huber", solver="lbfgs", tol=1e-12)
    try:
        constant = SGDLinearRegressor(**params, variance="constant").fit(X, y)
    except ValueError as error:
        assert "variance" in str(error)
    else:
        linear = SGDLinearRegressor(**params).fit(X, y)
        assert_allclose(constant.coef_, linear.coef_)


def test_quantile_list_needs_one_target():
    X, y = positive_data(100)
    with pytest.raises(ValueError, match="quantile"):
        SGDLinearRegressor(loss="quantile", quantile=[0.1, 0.9]).fit(X, np.c_[y, y])


@pytest.mark.parametrize("name", SMOOTH)
def test_loss_is_the_objective_per_sample(name):
    """The reported loss_ is this file's mean loss at the lbfgs optimum (no penalty)."""
    X, y = positive_data(500)
    loss, extra = loss_params(name)
    est = SGDLinearRegressor(
        **NEW_LOSSES[name], solver="lbfgs", penalty=None, tol=1e-12, max_iter=2000
    ).fit(X, y)
    expected = mean_loss(loss, extra, y, *predictions(est, X))
    assert_allclose(est.loss_, expected, rtol=1e-8)


@pytest.mark.parametrize("name", NEW_LOSSES)
def test_float32_in_float32_out(name):
    X, y = positive_data(300)
    X, y = X.astype(np.float32), y.astype(np.float32)
    est = SGDLinearRegressor(**NEW_LOSSES[name], solver="adagrad", max_iter=5)
    est.fit(X, y)
    pred, std = predictions(est, X)
    assert est.coef_.dtype == np.float32 and pred.dtype == np.float32
    assert std is None or std.dtype == np.float32
