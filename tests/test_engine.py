"""Tests of the private engine: losses, activations, penalties, optimizers,
schedules, the network, the objective and the batch iterator.

Every expected value is derived independently: by hand formulas, central
finite differences, reference loops written from the update rules in the
module docstrings, or ``torch.optim`` where torch is installed.
"""

import math
import pickle
import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import erfc, log_expit, log_softmax, softmax
from sklearn.linear_model import Lasso

import sgdlearn._csr as csr_module
import sgdlearn._losses as losses_module
from sgdlearn._activations import ACTIVATIONS
from sgdlearn._csr import CSRRows
from sgdlearn._losses import LOSSES as LOSS_REGISTRY
from sgdlearn._losses import (
    REGRESSION_LOSSES,
    BinaryLogLoss,
    Poisson,
    SoftmaxCrossEntropy,
    SquaredError,
)
from sgdlearn._networks import Layout, Network
from sgdlearn._objective import Objective, Params
from sgdlearn._optimizers import SGD, Adagrad, Adam, RMSprop, make_optimizer
from sgdlearn._penalties import ElasticNet, make_penalty
from sgdlearn._schedules import (
    Adaptive,
    Constant,
    InvScaling,
    make_schedule,
)
from sgdlearn._training import (
    BatchReader,
    Dataset,
    LoopConfig,
    TrainingState,
    decayed_rate,
    iter_batches,
    record_epoch,
    train_epochs,
)

LOSSES = {
    "squared_error": SquaredError,
    "poisson": Poisson,
    "log_loss": BinaryLogLoss,
    "softmax": SoftmaxCrossEntropy,
}
PENALTIES = [None, "l2", "l1", "elasticnet"]
ALPHA = 0.7
L1_RATIO = 0.3


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def make_targets(loss_name, rng, n_samples, n_outputs):
    """Targets suited to each loss: reals, counts, 0/1 columns, one-hot."""
    if loss_name == "squared_error":
        return rng.normal(size=(n_samples, n_outputs))
    if loss_name == "poisson":
        return rng.poisson(1.5, size=(n_samples, n_outputs)).astype(np.float64)
    if loss_name == "log_loss":
        return rng.integers(0, 2, size=(n_samples, n_outputs)).astype(np.float64)
    labels = rng.integers(0, n_outputs, size=n_samples)
    return np.eye(n_outputs)[labels]


def numerical_grad(f, x, h=1e-6):
    """Central differences of the scalar function f at x."""
    grad = np.empty_like(x)
    for i in range(x.size):
        step = h * max(1.0, abs(x[i]))
        xp = x.copy()
        xm = x.copy()
        xp[i] += step
        xm[i] -= step
        grad[i] = (f(xp) - f(xm)) / (2.0 * step)
    return grad


def hand_forward(coefs, intercepts, activation_name, X):
    """Forward pass with independently written activations.

    Returns the raw output and the list of hidden pre-activations.
    """
    funcs = {
        "identity": lambda z: z,
        "logistic": lambda z: 1.0 / (1.0 + np.exp(-z)),
        "tanh": lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
        "relu": lambda z: np.where(z > 0, z, 0.0),
        "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
        # x·Φ(x) with Φ(x) = ½·erfc(−x/√2), and x·σ(x) = x/(1 + e^{−x})
        "gelu": lambda z: z * 0.5 * erfc(-z / np.sqrt(2.0)),
        "silu": lambda z: z / (1.0 + np.exp(-z)),
    }
    out = np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64)
    pre = []
    for i, (coef, intercept) in enumerate(zip(coefs, intercepts)):
        z = out @ coef + intercept
        if i < len(coefs) - 1:
            pre.append(z)
            out = funcs[activation_name](z)
        else:
            out = z
    return out, pre


def build_problem(
    loss_name,
    penalty_name,
    activation_name,
    hidden,
    fit_intercept=True,
    seed=0,
    n_samples=12,
    n_features=3,
    n_outputs=3,
):
    """Data, network, objective and a safe θ (no L1 weight at 0, no relu kink)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    Y = make_targets(loss_name, rng, n_samples, n_outputs)
    sample_weight = rng.uniform(0.2, 3.0, size=n_samples)
    layout = Layout((n_features, *hidden, n_outputs))
    network = Network(layout, ACTIVATIONS[activation_name])
    for _ in range(1000):
        theta = layout.initial_theta(rng, np.float64, "glorot", activation_name)
        # keep every weight away from 0 (L1 kink), then jitter everything
        coef = theta[: layout.n_coef]
        coef += np.where(coef >= 0, 0.05, -0.05)
        theta += rng.uniform(-0.02, 0.02, size=theta.size) * np.sign(theta)
        if not fit_intercept:
            layout.intercepts(theta)[-1][...] = 0.0
        _, pre = hand_forward(
            layout.coefs(theta), layout.intercepts(theta), activation_name, X
        )
        if all(np.abs(z).min() > 1e-3 for z in pre) and (
            np.abs(theta[: layout.n_coef]).min() > 1e-3
        ):
            break
    else:  # pragma: no cover
        raise RuntimeError("could not draw a theta away from the kinks")
    penalty = make_penalty(penalty_name, ALPHA, L1_RATIO)
    objective = Objective(
        network,
        LOSSES[loss_name](),
        penalty,
        weight_total=sample_weight.sum(),
        fit_intercept=fit_intercept,
    )
    return X, Y, sample_weight, layout, network, objective, theta


def objective_function(objective, layout, X, Y, sample_weight):
    """(f, f_and_grad) evaluating Objective.value_grad at a given θ."""
    ws = objective.network.workspace(X.shape[0], np.float64)
    buffer = np.zeros(layout.size)
    grad_buffer = np.full(layout.size, np.nan)
    params = Params(buffer, layout)
    grads = Params(grad_buffer, layout)

    def f_and_grad(theta):
        np.copyto(buffer, theta)
        grad_buffer.fill(np.nan)  # stale entries must be overwritten
        value = objective.value_grad(params, grads, X, Y, sample_weight, ws)
        return value, grad_buffer.copy()

    def f(theta):
        return f_and_grad(theta)[0]

    return f, f_and_grad


# --------------------------------------------------------------------------
# 1. the objective: finite-difference gradient checks and hand formulas
# --------------------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("hidden", [(), (4,)])
@pytest.mark.parametrize("loss_name", list(LOSSES))
def test_value_grad_over_row_blocks_is_the_whole_batch_value_grad(
    loss_name, hidden, weighted
):
    """L-BFGS evaluates J over row blocks of the workspace's size (5 rows of
    12 here, the last block short); value and gradient are those of one
    pass over all rows, and the block buffers are reused between calls."""
    X, Y, sample_weight, layout, network, objective, theta = build_problem(
        loss_name, "elasticnet", "tanh", hidden
    )
    weight = sample_weight if weighted else None
    results = []
    for rows in (X.shape[0], 5):
        ws = network.workspace(rows, np.float64, share_output=True)
        params = Params(theta.copy(), layout)
        grads = Params(np.full(layout.size, np.nan), layout)
        for _ in range(2):
            value = objective.value_grad(params, grads, X, Y, weight, ws)
        results.append((value, grads.theta.copy()))
    (whole, whole_grad), (blocks, blocks_grad) = results
    assert blocks == pytest.approx(whole, rel=1e-13)
    assert_allclose(blocks_grad, whole_grad, rtol=1e-12, atol=1e-15)
    assert np.isfinite(whole_grad).all()


def test_full_batch_blocks_hold_about_a_quarter_million_entries():
    """A whole-data workspace is at most FULL_BATCH_BLOCK entries wide in its
    widest layer (at least 1,024 rows), whatever the number of rows."""
    from sgdlearn._objective import FULL_BATCH_BLOCK

    for units, n_samples, expected in [
        ((100, 1), 500_000, FULL_BATCH_BLOCK),
        ((100, 10), 200_000, FULL_BATCH_BLOCK // 10),
        ((50, 256, 128, 1), 100_000, 1024),
        ((5, 3), 700, 700),
    ]:
        network = Network(Layout(units), ACTIVATIONS["relu"])
        objective = Objective(
            network, LOSSES["squared_error"](), make_penalty(None, 0, 0), 1.0
        )
        assert objective.full_batch_rows(n_samples) == expected


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("penalty_name", PENALTIES)
@pytest.mark.parametrize("loss_name", list(LOSSES))
def test_objective_gradient_linear(loss_name, penalty_name, fit_intercept):
    X, Y, sw, layout, _, objective, theta = build_problem(
        loss_name, penalty_name, "identity", (), fit_intercept=fit_intercept
    )
    f, f_and_grad = objective_function(objective, layout, X, Y, sw)
    _, grad = f_and_grad(theta)
    numeric = numerical_grad(f, theta)
    free = np.ones(layout.size, dtype=bool)
    if not fit_intercept:
        free[layout.n_coef :] = False
        # the intercept is held at 0: no gradient on it
        assert_array_equal(grad[~free], 0.0)
    assert np.isfinite(grad).all()
    assert_allclose(grad[free], numeric[free], rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("depth", [1, 2])
@pytest.mark.parametrize("activation_name", list(ACTIVATIONS))
@pytest.mark.parametrize("penalty_name", PENALTIES)
@pytest.mark.parametrize("loss_name", list(LOSSES))
def test_objective_gradient_mlp(loss_name, penalty_name, activation_name, depth):
    hidden = (4, 3)[:depth]
    X, Y, sw, layout, _, objective, theta = build_problem(
        loss_name, penalty_name, activation_name, hidden, seed=depth
    )
    f, f_and_grad = objective_function(objective, layout, X, Y, sw)
    _, grad = f_and_grad(theta)
    numeric = numerical_grad(f, theta)
    assert np.isfinite(grad).all()
    # the check must not be vacuous
    assert np.abs(numeric).max() > 1e-3
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def hand_loss_and_dz(loss_name, Z, Y):
    """Per-sample loss and ∂ℓ/∂z from the formulas of API.md."""
    k = Z.shape[1]
    if loss_name == "squared_error":
        return (0.5 * (Y - Z) ** 2).sum(axis=1) / k, (Z - Y) / k
    if loss_name == "poisson":
        mu = np.exp(Z)
        ylog = np.zeros_like(Y)
        pos = Y > 0
        ylog[pos] = Y[pos] * np.log(Y[pos] / mu[pos])
        return (ylog - Y + mu).sum(axis=1) / k, (mu - Y) / k
    if loss_name == "log_loss":
        per = -(Y * log_expit(Z) + (1 - Y) * log_expit(-Z))
        return per.sum(axis=1), 1.0 / (1.0 + np.exp(-Z)) - Y
    per = -(Y * log_softmax(Z, axis=1)).sum(axis=1)
    return per, softmax(Z, axis=1) - Y


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("penalty_name", PENALTIES)
@pytest.mark.parametrize("loss_name", list(LOSSES))
def test_objective_value_matches_hand_formula(loss_name, penalty_name, fit_intercept):
    X, Y, sw, layout, _, objective, theta = build_problem(
        loss_name, penalty_name, "identity", (), fit_intercept=fit_intercept
    )
    _, f_and_grad = objective_function(objective, layout, X, Y, sw)
    value, grad = f_and_grad(theta)

    W = theta[: layout.n_coef].reshape(X.shape[1], Y.shape[1])
    b = theta[layout.n_coef :]
    Z = X @ W + b
    per_sample, dz = hand_loss_and_dz(loss_name, Z, Y)
    alpha, ratio = {
        None: (0.0, 0.0),
        "l2": (ALPHA, 0.0),
        "l1": (ALPHA, 1.0),
        "elasticnet": (ALPHA, L1_RATIO),
    }[penalty_name]
    P = (1 - ratio) * 0.5 * np.sum(W**2) + ratio * np.sum(np.abs(W))
    expected = (np.sum(sw * per_sample) + alpha * P) / sw.sum()
    assert value == pytest.approx(expected, rel=1e-12)

    grad_W = X.T @ (sw[:, None] * dz) + alpha * ((1 - ratio) * W + ratio * np.sign(W))
    grad_b = (sw[:, None] * dz).sum(axis=0) if fit_intercept else 0.0 * b
    expected_grad = np.concatenate([grad_W.ravel(), grad_b]) / sw.sum()
    assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("depth", [0, 1])
def test_objective_sparse_matches_dense(depth):
    hidden = (5,)[:depth]
    X, Y, sw, layout, _, objective, theta = build_problem(
        "log_loss", "elasticnet", "tanh", hidden, n_samples=15, n_features=6
    )
    X[np.abs(X) < 0.8] = 0.0
    assert (X == 0).mean() > 0.3
    _, dense = objective_function(objective, layout, X, Y, sw)
    value, grad = dense(theta)
    for fmt in (sp.csr_matrix, sp.csr_array):
        Xs = fmt(X)
        _, sparse = objective_function(objective, layout, Xs, Y, sw)
        value_s, grad_s = sparse(theta)
        assert value_s == pytest.approx(value, rel=1e-12)
        assert_allclose(grad_s, grad, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("loss_name", list(LOSSES))
def test_objective_float32_matches_float64(loss_name):
    X, Y, sw, layout, _, objective, theta = build_problem(
        loss_name, "elasticnet", "tanh", (5,)
    )
    _, f64 = objective_function(objective, layout, X, Y, sw)
    value, grad = f64(theta)
    f32 = objective.network.workspace(X.shape[0], np.float32)
    theta32 = theta.astype(np.float32)
    grad32 = np.zeros_like(theta32)
    params, grads = Params(theta32, layout), Params(grad32, layout)
    value32 = objective.value_grad(
        params,
        grads,
        X.astype(np.float32),
        Y.astype(np.float32),
        sw.astype(np.float32),
        f32,
    )
    assert grad32.dtype == np.float32
    assert value32 == pytest.approx(value, rel=1e-5)
    assert_allclose(grad32, grad, rtol=1e-3, atol=1e-5)


# --------------------------------------------------------------------------
# 2. losses
# --------------------------------------------------------------------------


@pytest.mark.parametrize("loss_name", list(LOSSES))
def test_loss_gradient_wrt_raw(loss_name):
    rng = np.random.default_rng(3)
    n, k = 6, 3
    raw = rng.normal(size=(n, k))
    Y = make_targets(loss_name, rng, n, k)
    sw = rng.uniform(0.3, 2.0, size=n)
    loss = LOSSES[loss_name]()
    grad = np.empty_like(raw)
    value = loss.value_grad(raw.copy(), Y, sw, grad)

    def f(flat):
        return loss.value_grad(flat.reshape(n, k), Y, sw, np.empty((n, k)))

    numeric = numerical_grad(f, raw.ravel()).reshape(n, k)
    assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)
    # the value is the weighted sum of the hand formula
    per_sample, dz = hand_loss_and_dz(loss_name, raw, Y)
    assert value == pytest.approx(float(sw @ per_sample), rel=1e-12)
    assert_allclose(grad, sw[:, None] * dz, rtol=1e-12, atol=1e-15)


def test_binary_log_loss_extreme_scores():
    loss = BinaryLogLoss()
    raw = np.array([[1000.0, -1000.0], [1000.0, -1000.0]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    sw = np.array([1.0, 2.0])
    grad = np.empty_like(raw)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = loss.value_grad(raw, Y, sw, grad)
        proba = loss.inverse_link(raw)
    # row 0 is perfectly right (loss 0), row 1 wrong by 1000 in both columns
    assert value == pytest.approx(1.0 * 0.0 + 2.0 * 2000.0, rel=1e-12)
    # gradient σ(z) − y, weighted: σ(±1000) is 1 / 0
    assert_allclose(grad, [[0.0, 0.0], [2.0, -2.0]], atol=1e-300)
    assert_allclose(proba, [[1.0, 0.0], [1.0, 0.0]], atol=1e-300)
    assert np.isfinite(grad).all() and np.isfinite(proba).all()


def test_softmax_extreme_scores():
    loss = SoftmaxCrossEntropy()
    raw = np.array([[1000.0, -1000.0, 0.0], [1000.0, -1000.0, 0.0]])
    Y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    sw = np.array([1.0, 3.0])
    grad = np.empty_like(raw)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = loss.value_grad(raw, Y, sw, grad)
        proba = loss.inverse_link(raw)
    # row 0: -log softmax = 0; row 1: 1000 - (-1000) = 2000
    assert value == pytest.approx(3.0 * 2000.0, rel=1e-12)
    assert_allclose(grad, [[0.0, 0.0, 0.0], [3.0, -3.0, 0.0]], atol=1e-300)
    assert_allclose(proba, [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]], atol=1e-300)
    assert np.isfinite(grad).all() and np.isfinite(proba).all()


@pytest.mark.parametrize("loss_name", list(LOSSES))
def test_link_inverse_link_round_trip(loss_name):
    loss = LOSSES[loss_name]()
    rng = np.random.default_rng(5)
    if loss_name == "softmax":
        mean = rng.dirichlet(np.ones(4))  # class frequencies, 1-D
        raw = loss.link(mean)
        assert_allclose(loss.inverse_link(raw[None, :])[0], mean, rtol=1e-12)
        raw = rng.normal(size=(5, 4))
        proba = loss.inverse_link(raw)
        assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
        assert_allclose(proba, softmax(raw, axis=1), rtol=1e-12)
        return
    if loss_name == "log_loss":
        mean = rng.uniform(0.01, 0.99, size=(5, 3))
        expected_mean = 1.0 / (1.0 + np.exp(-rng.normal(size=(5, 3))))
    elif loss_name == "poisson":
        mean = rng.uniform(0.1, 20.0, size=(5, 3))
        expected_mean = None
    else:
        mean = rng.normal(size=(5, 3))
        expected_mean = None
    assert_allclose(loss.inverse_link(loss.link(mean)), mean, rtol=1e-12)
    raw = rng.normal(size=(5, 3))
    assert_allclose(loss.link(loss.inverse_link(raw)), raw, rtol=1e-9, atol=1e-12)
    if expected_mean is not None:
        z = np.log(expected_mean) - np.log1p(-expected_mean)
        assert_allclose(loss.inverse_link(z), expected_mean, rtol=1e-12)


def test_loss_registry_by_name():
    """Losses are found by name, never by link: each name is its class's, the
    links are those of the fitted ``out_activation_``, and the regression
    losses are the ones a regressor's ``loss`` may name."""
    # (the likelihoods of issue 15 are checked in tests/test_losses_family.py)
    old = ("squared_error", "poisson", "bernoulli_log_loss", "categorical_log_loss")
    assert {name: LOSS_REGISTRY[name] for name in old} == {
        "squared_error": SquaredError,
        "poisson": Poisson,
        "bernoulli_log_loss": BinaryLogLoss,
        "categorical_log_loss": SoftmaxCrossEntropy,
    }
    for name in old:
        cls = LOSS_REGISTRY[name]
        loss = cls()
        assert loss.name == name
        assert LOSS_REGISTRY[loss.name] is cls
        assert loss.differentiable is True
    assert {name: LOSS_REGISTRY[name].out_activation for name in old} == {
        "squared_error": "identity",
        "poisson": "exp",
        "bernoulli_log_loss": "logistic",
        "categorical_log_loss": "softmax",
    }
    assert REGRESSION_LOSSES[:2] == ("squared_error", "poisson")


def loss_case(loss_name, n, k, seed, scale=2.0, dtype=np.float64):
    """Raw scores, targets and sample weights for a loss, in ``dtype``."""
    rng = np.random.default_rng(seed)
    raw = scale * rng.normal(size=(n, k))
    Y = make_targets(loss_name, rng, n, k)
    sw = rng.uniform(0.2, 3.0, size=n)
    return raw.astype(dtype), Y.astype(dtype), sw.astype(dtype)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss_name", list(LOSSES))
def test_loss_blocks_strided_batches_and_grad_scale(loss_name, weighted, monkeypatch):
    """Large inputs are taken in row blocks; y and the weights may be strided
    batch views (as ``iter_batches`` takes them): none of it changes the
    weighted sum Σ s_i ℓ_i or the gradient c·s_i·∇ℓ_i of the hand formulas."""
    n, k, c = 1001, 3, 0.3
    raw, Y, sw = loss_case(loss_name, n, k, seed=11)
    w = sw if weighted else None
    per_sample, dz = hand_loss_and_dz(loss_name, raw, Y)
    expected = float(per_sample.sum() if w is None else per_sample @ w)
    expected_grad = c * (dz if w is None else w[:, None] * dz)
    Y_rows = np.zeros((2 * n, k))
    Y_rows[1::2] = Y
    sw_rows = np.zeros(2 * n)
    sw_rows[1::2] = sw
    strided_w = None if w is None else sw_rows[1::2]
    loss = LOSSES[loss_name]()
    # one block; blocks of a few rows with a short last one; one row per block
    for block in (10**9, 64, 7, 1):
        monkeypatch.setattr(losses_module, "BLOCK", block)
        for y, weights in ((Y, w), (Y_rows[1::2], strided_w)):
            grad = np.full_like(raw, np.nan)
            value = loss.value_grad(raw, y, weights, grad, c)
            assert isinstance(value, float)
            assert value == pytest.approx(expected, rel=1e-12)
            assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("n_samples", [40, 30_000])  # one block, several blocks
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss_name", list(LOSSES))
def test_loss_in_place_and_small_target_dtype(loss_name, weighted, n_samples):
    """``grad`` may be ``raw`` itself (the gradient overwrites the scores), and
    0/1 targets may be stored as uint8 (strided too): the results are
    bitwise those of separate float arrays."""
    k = 4
    raw, Y, sw = loss_case(loss_name, n_samples, k, seed=5)
    w = sw if weighted else None
    loss = LOSSES[loss_name]()
    grad = np.empty_like(raw)
    value = loss.value_grad(raw, Y, w, grad, 0.3)
    in_place = raw.copy()
    assert loss.value_grad(in_place, Y, w, in_place, 0.3) == value
    assert_array_equal(in_place, grad)
    if loss_name in ("log_loss", "softmax"):
        Y_rows = np.zeros((2 * n_samples, k), dtype=np.uint8)
        Y_rows[::2] = Y
        for Y_small in (Y.astype(np.uint8), Y_rows[::2]):
            grad_small = np.empty_like(raw)
            assert loss.value_grad(raw, Y_small, w, grad_small, 0.3) == value
            assert_array_equal(grad_small, grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss_name", ["log_loss", "softmax"])
def test_log_losses_scores_up_to_1e4(loss_name, dtype):
    """No overflow, NaN or warning for |z| up to 1e4, in float32 too; the
    values and gradients are the stable formulas'. The softmax's rows lie
    far apart (each needs its own shift) and far inside (entries that
    underflow)."""
    raw = np.array(
        [
            [1e4, -1e4, 0.0],
            [-1e4, -1e4 + 1.0, -1e4 + 3.0],
            [-3e3, 2.0, 1e4],
            [0.5, -0.25, 1.0],
            [-40.0, 40.0, 15.0],
        ],
        dtype=dtype,
    )
    if loss_name == "softmax":
        Y = np.eye(3, dtype=dtype)[[0, 2, 1, 2, 0]]
    else:
        Y = np.array(
            [[1, 0, 0], [0, 1, 1], [1, 1, 0], [0, 1, 1], [0, 1, 0]], dtype=dtype
        )
    sw = np.array([1.0, 2.0, 0.5, 1.5, 3.0], dtype=dtype)
    loss = LOSSES[loss_name]()
    raw64, Y64 = raw.astype(np.float64), Y.astype(np.float64)
    with np.errstate(over="ignore"):
        per_sample, dz = hand_loss_and_dz(loss_name, raw64, Y64)
    rtol, atol = (1e-12, 1e-15) if dtype == np.float64 else (1e-6, 1e-6)
    for w in (None, sw):
        grad = np.full_like(raw, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                value = loss.value_grad(raw, Y, w, grad, 0.5)
                proba = loss.inverse_link(raw)
        weights = np.ones(len(raw)) if w is None else w.astype(np.float64)
        assert value == pytest.approx(float(per_sample @ weights), rel=rtol)
        assert grad.dtype == dtype and proba.dtype == dtype
        assert_allclose(grad, 0.5 * weights[:, None] * dz, rtol=rtol, atol=atol)
        assert np.isfinite(proba).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss_name", list(LOSSES))
def test_loss_on_whole_data_allocates_no_data_sized_arrays(loss_name, weighted, dtype):
    """A whole-data evaluation (L-BFGS) works block by block: its temporaries
    are a fraction of the data's size, and float32 is never upcast."""
    n, k = 100_000, 10
    raw, Y, sw = loss_case(loss_name, n, k, seed=3, scale=1.0, dtype=dtype)
    w = sw if weighted else None
    loss = LOSSES[loss_name]()
    grad = np.empty_like(raw)
    loss.value_grad(raw[:10], Y[:10], None if w is None else w[:10], grad[:10])
    tracemalloc.start()
    try:
        value = loss.value_grad(raw, Y, w, grad, 0.5)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < raw.nbytes / 4, (peak, raw.nbytes)
    assert grad.dtype == dtype
    grad64 = np.empty(raw.shape)
    w64 = None if w is None else w.astype(np.float64)
    value64 = loss.value_grad(raw.astype(float), Y.astype(float), w64, grad64, 0.5)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert value == pytest.approx(value64, rel=rtol)
    assert_allclose(grad, grad64, rtol=rtol, atol=1e-7)


# --------------------------------------------------------------------------
# activations
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_backward_matches_finite_differences(name):
    """backward multiplies delta in place by f'(z), from the output alone
    when ``needs_input`` is false (z is then None); forward works in place
    on its argument or into another array, with the same result."""
    act = ACTIVATIONS[name]
    rng = np.random.default_rng(1)
    z = 3.0 * rng.normal(size=200)
    z[np.abs(z) < 1e-3] = 0.5  # away from the kinks of relu and leaky relu
    a = act.forward(z, np.empty_like(z))
    h = 1e-6
    deriv = (
        act.forward(z + h, np.empty_like(z)) - act.forward(z - h, np.empty_like(z))
    ) / (2 * h)
    delta = rng.normal(size=200)
    z_before, a_before = z.copy(), a.copy()
    out = delta.copy()
    result = act.backward(z if act.needs_input else None, a, out)
    assert result is out
    assert_allclose(out, delta * deriv, rtol=1e-6, atol=1e-9)
    # backward reads z and a without changing them
    assert_array_equal(z, z_before)
    assert_array_equal(a, a_before)
    # forward works in place on its argument
    buf = z.copy()
    assert act.forward(buf, buf) is buf
    assert_array_equal(buf, a)


# --------------------------------------------------------------------------
# 3. penalties
# --------------------------------------------------------------------------


def test_make_penalty_ratios():
    assert make_penalty(None, 3.0, 0.4).alpha == 0.0
    assert make_penalty("l2", 3.0, 0.4).l1_ratio == 0.0
    assert make_penalty("l1", 3.0, 0.4).l1_ratio == 1.0
    pen = make_penalty("elasticnet", 3.0, 0.4)
    assert pen.l1_ratio == 0.4
    assert pen.l1 == pytest.approx(1.2) and pen.l2 == pytest.approx(1.8)
    assert not make_penalty("l2", 3.0, 0.4).has_l1
    assert make_penalty("l1", 3.0, 0.4).has_l1


@pytest.mark.parametrize(
    "penalty, step", [(make_penalty("l1", 1.0, 0.5), 0.1), (ElasticNet(2.0, 0.25), 0.2)]
)
def test_prox_soft_thresholds(penalty, step):
    threshold = step * penalty.l1  # 0.1 in both cases
    assert threshold == pytest.approx(0.1)
    coef = np.array([0.3, -0.3, 0.05, -0.05, 0.1, -0.0999, 0.0, 1.0, -2.0])
    original = coef.copy()
    penalty.prox(coef, step)
    small = np.abs(original) <= threshold
    assert small.sum() == 5
    assert np.all(coef[small] == 0.0)
    big = ~small
    assert_allclose(
        coef[big], np.sign(original[big]) * (np.abs(original[big]) - 0.1), rtol=1e-14
    )
    assert np.all(np.sign(coef[big]) == np.sign(original[big]))


def test_prox_per_coordinate_threshold():
    penalty = make_penalty("l1", 0.5, None)
    coef = np.array([1.0, 1.0, -1.0, -1.0, 0.2])
    step = np.array([0.4, 4.0, 1.0, 1.9, 0.2])
    thresholds = 0.5 * step
    penalty.prox(coef, step)
    expected = [1.0 - 0.2, 0.0, -(1.0 - 0.5), -(1.0 - 0.95), 0.2 - 0.1]
    assert_allclose(coef, expected, rtol=1e-14)
    assert coef[1] == 0.0
    assert thresholds[1] > 1.0


def test_prox_in_place_on_theta_view_and_noop_without_l1():
    layout = Layout((3, 2))
    theta = np.array([0.05, -0.5, 0.3, 0.01, -0.02, 0.7, 0.01, -0.01])
    params = Params(theta, layout)
    make_penalty("l1", 1.0, None).prox(params.coef, 0.1)
    assert_allclose(theta[:6], [0.0, -0.4, 0.2, 0.0, 0.0, 0.6], rtol=1e-14)
    # the intercepts are never touched
    assert_array_equal(theta[6:], [0.01, -0.01])
    for pen in (make_penalty("l2", 1.0, None), make_penalty(None, 1.0, None)):
        before = theta.copy()
        pen.prox(params.coef, 0.1)
        assert_array_equal(theta, before)


def test_penalty_value_and_smooth_grad():
    coef = np.array([0.5, -2.0, 0.0, 1.5])
    pen = ElasticNet(alpha=2.0, l1_ratio=0.25)
    expected = 2.0 * (0.75 * 0.5 * (0.25 + 4.0 + 2.25) + 0.25 * (0.5 + 2.0 + 1.5))
    assert pen.value(coef) == pytest.approx(expected, rel=1e-14)
    grad = np.ones(4)
    pen.add_smooth_grad(coef, grad, 0.5)
    assert_allclose(grad, 1.0 + 0.5 * 2.0 * 0.75 * coef, rtol=1e-14)
    sub = np.zeros(4)
    pen.add_l1_subgradient(coef, sub, 0.5)
    assert_allclose(sub, 0.5 * 2.0 * 0.25 * np.sign(coef), rtol=1e-14)


@pytest.mark.parametrize("penalty_name", ["l2", "l1", "elasticnet"])
def test_intercepts_not_penalised(penalty_name):
    X, Y, sw, layout, network, penalised, theta = build_problem(
        "squared_error", penalty_name, "tanh", (4,)
    )
    plain = Objective(network, SquaredError(), make_penalty(None, 0, 0), sw.sum())
    _, with_pen = objective_function(penalised, layout, X, Y, sw)
    _, without = objective_function(plain, layout, X, Y, sw)
    v1, g1 = with_pen(theta)
    v0, g0 = without(theta)
    # the intercept gradients are the same, with or without the penalty
    assert_allclose(g1[layout.n_coef :], g0[layout.n_coef :], rtol=1e-14, atol=0)
    assert not np.allclose(g1[: layout.n_coef], g0[: layout.n_coef])
    # the penalty's share of the value does not depend on θ[n_coef:]
    moved = theta.copy()
    moved[layout.n_coef :] += 3.0
    v1m, _ = with_pen(moved)
    v0m, _ = without(moved)
    assert v1 - v0 == pytest.approx(v1m - v0m, rel=1e-10)
    assert v1 - v0 == pytest.approx(
        penalised.penalty.value(theta[: layout.n_coef]) / sw.sum(), rel=1e-10
    )
    params = Params(moved, layout)
    assert penalised.penalty_per_sample(params) == pytest.approx(
        penalised.penalty_per_sample(Params(theta, layout)), rel=1e-15
    )


# --------------------------------------------------------------------------
# 4. optimizers
# --------------------------------------------------------------------------

THETA0 = [0.5, -1.0, 2.0]
GRADS = [
    [0.1, -0.2, 0.3],
    [0.05, 0.4, -0.1],
    [-0.3, 0.1, 0.2],
    [0.2, -0.05, -0.4],
    [0.0, 0.3, 0.1],
]
LRS = [0.1, 0.1, 0.05, 0.05, 0.02]


def reference_sgd(theta, grads, lrs, momentum=0.0, nesterov=False):
    theta = list(theta)
    v = [0.0] * len(theta)
    path = []
    for g, lr in zip(grads, lrs):
        for i in range(len(theta)):
            if momentum == 0.0:
                theta[i] = theta[i] - lr * g[i]
                continue
            v[i] = momentum * v[i] - lr * g[i]
            if nesterov:
                theta[i] = theta[i] + momentum * v[i] - lr * g[i]
            else:
                theta[i] = theta[i] + v[i]
        path.append(list(theta))
    return path


def reference_adagrad(theta, grads, lrs, eps):
    theta = list(theta)
    G = [0.0] * len(theta)
    path = []
    for g, lr in zip(grads, lrs):
        for i in range(len(theta)):
            G[i] += g[i] * g[i]
            theta[i] -= lr * g[i] / (math.sqrt(G[i]) + eps)
        path.append(list(theta))
    return path


def reference_rmsprop(theta, grads, lrs, rho, eps):
    theta = list(theta)
    v = [0.0] * len(theta)
    path = []
    for g, lr in zip(grads, lrs):
        for i in range(len(theta)):
            v[i] = rho * v[i] + (1 - rho) * g[i] * g[i]
            theta[i] -= lr * g[i] / (math.sqrt(v[i]) + eps)
        path.append(list(theta))
    return path


def reference_adam(theta, grads, lrs, beta_1, beta_2, eps):
    theta = list(theta)
    m = [0.0] * len(theta)
    v = [0.0] * len(theta)
    path = []
    for t, (g, lr) in enumerate(zip(grads, lrs), start=1):
        lr_t = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        for i in range(len(theta)):
            m[i] = beta_1 * m[i] + (1 - beta_1) * g[i]
            v[i] = beta_2 * v[i] + (1 - beta_2) * g[i] * g[i]
            theta[i] -= lr_t * m[i] / (math.sqrt(v[i]) + eps)
        path.append(list(theta))
    return path


OPTIMIZER_CASES = {
    "sgd": (
        lambda: SGD(3, np.float64),
        lambda lrs: reference_sgd(THETA0, GRADS, lrs),
    ),
    "momentum": (
        lambda: SGD(3, np.float64, momentum=0.9),
        lambda lrs: reference_sgd(THETA0, GRADS, lrs, momentum=0.9),
    ),
    "nesterov": (
        lambda: SGD(3, np.float64, momentum=0.8, nesterov=True),
        lambda lrs: reference_sgd(THETA0, GRADS, lrs, momentum=0.8, nesterov=True),
    ),
    "adagrad": (
        lambda: Adagrad(3, np.float64, epsilon=1e-3),
        lambda lrs: reference_adagrad(THETA0, GRADS, lrs, 1e-3),
    ),
    "rmsprop": (
        lambda: RMSprop(3, np.float64, rho=0.8, epsilon=1e-3),
        lambda lrs: reference_rmsprop(THETA0, GRADS, lrs, 0.8, 1e-3),
    ),
    "adam": (
        lambda: Adam(3, np.float64, beta_1=0.8, beta_2=0.95, epsilon=1e-3),
        lambda lrs: reference_adam(THETA0, GRADS, lrs, 0.8, 0.95, 1e-3),
    ),
}


@pytest.mark.parametrize("lrs", [LRS, [0.1] * 5], ids=["varying_lr", "constant_lr"])
@pytest.mark.parametrize("name", list(OPTIMIZER_CASES))
def test_optimizer_matches_hand_update_rule(name, lrs):
    make, reference = OPTIMIZER_CASES[name]
    optimizer = make()
    theta = np.array(THETA0)
    expected = reference(lrs)
    for k, (g, lr) in enumerate(zip(GRADS, lrs)):
        optimizer.step(theta, np.array(g), lr)
        assert_allclose(theta, expected[k], rtol=1e-13, atol=1e-15, err_msg=f"{k=}")


@pytest.mark.parametrize("name", list(OPTIMIZER_CASES))
def test_every_optimizer_steps_a_part_of_theta(name):
    """One ``step`` signature: stepping the slice ``part`` of θ with its
    gradient is the step of an optimizer of that slice alone, and leaves
    the other parameters and their state alone."""
    alone = OPTIMIZER_CASES[name][0]()
    whole = type(alone)(*_resized(alone, 5))
    theta = np.array([9.0, *THETA0, 8.0])
    part = slice(1, 4)
    reference = np.array(THETA0)
    for g, lr in zip(GRADS, LRS):
        whole.step(theta[part], np.array(g), lr, part=part)
        alone.step(reference, np.array(g), lr)
    assert_allclose(theta[part], reference, rtol=1e-14)
    assert theta[0] == 9.0 and theta[4] == 8.0
    for state in ("velocity", "acc", "m", "v"):
        if getattr(whole, state, None) is not None:
            assert_array_equal(getattr(whole, state)[[0, 4]], 0.0)


def _resized(optimizer, n_params):
    """The constructor arguments of ``optimizer`` for ``n_params`` parameters."""
    settings = {
        SGD: lambda o: (o.momentum, o.nesterov),
        Adagrad: lambda o: (o.epsilon,),
        RMSprop: lambda o: (o.rho, o.epsilon),
        Adam: lambda o: (o.beta_1, o.beta_2, o.epsilon),
    }[type(optimizer)](optimizer)
    return (n_params, np.float64, *settings)


def test_sgd_momentum_and_plain_differ():
    # momentum must change the path from the second step on
    plain = reference_sgd(THETA0, GRADS, LRS)
    heavy = reference_sgd(THETA0, GRADS, LRS, momentum=0.9)
    nest = reference_sgd(THETA0, GRADS, LRS, momentum=0.9, nesterov=True)
    assert not np.allclose(plain[1], heavy[1])
    assert not np.allclose(heavy[1], nest[1])
    # nesterov without momentum is plain SGD
    theta = np.array(THETA0)
    opt = SGD(3, np.float64, momentum=0.0, nesterov=True)
    for g, lr in zip(GRADS, LRS):
        opt.step(theta, np.array(g), lr)
    assert_allclose(theta, plain[-1], rtol=1e-14)


@pytest.mark.parametrize("name", ["sgd", "adagrad", "rmsprop", "adam"])
def test_step_size_is_effective_step(name):
    optimizer = OPTIMIZER_CASES[name][0]()
    theta = np.array(THETA0)
    m = np.zeros(3)
    for g, lr in zip(GRADS, LRS):
        g = np.array(g)
        before = theta.copy()
        optimizer.step(theta, g, lr)
        step = np.broadcast_to(optimizer.step_size(lr), theta.shape)
        if name == "adam":
            # the step multiplies the first-moment estimate
            m = 0.8 * m + 0.2 * g
            direction = m
        else:
            direction = g
        assert_allclose(before - theta, step * direction, rtol=1e-12, atol=1e-16)
        if name != "sgd":
            assert np.ndim(optimizer.step_size(lr)) == 1
    assert OPTIMIZER_CASES["sgd"][0]().step_size(0.3) == 0.3


@pytest.mark.parametrize(
    "name, lr, tol",
    [
        ("sgd", 0.1, 1e-6),
        ("momentum", 0.05, 1e-6),
        ("nesterov", 0.05, 1e-6),
        ("adagrad", 0.5, 1e-6),
        ("rmsprop", 0.002, 2e-2),
        ("adam", 0.01, 1e-3),
    ],
)
def test_optimizer_converges_on_quadratic(name, lr, tol):
    a = np.array([1.0, 3.0, 0.5])
    c = np.array([-1.0, 2.0, 0.5])
    optimizer = OPTIMIZER_CASES[name][0]()
    theta = np.array(THETA0)
    start = np.abs(theta - c).max()
    for _ in range(3000):
        optimizer.step(theta, a * (theta - c), lr)
    assert np.abs(theta - c).max() < min(tol, 1e-2 * start)


def test_make_optimizer():
    params = dict(
        momentum=0.9,
        nesterovs_momentum=True,
        epsilon=1e-7,
        rho=0.8,
        beta_1=0.7,
        beta_2=0.9,
    )
    sgd = make_optimizer("sgd", 4, np.float32, params)
    assert isinstance(sgd, SGD) and sgd.nesterov and sgd.momentum == 0.9
    assert sgd.velocity.dtype == np.float32 and sgd.velocity.shape == (4,)
    assert isinstance(make_optimizer("adagrad", 4, np.float64, params), Adagrad)
    rms = make_optimizer("rmsprop", 4, np.float64, params)
    assert isinstance(rms, RMSprop) and rms.rho == 0.8 and rms.epsilon == 1e-7
    adam = make_optimizer("adam", 4, np.float64, params)
    assert (adam.beta_1, adam.beta_2, adam.epsilon) == (0.7, 0.9, 1e-7)
    with pytest.raises(ValueError):
        make_optimizer("lbfgs", 4, np.float64, params)


TORCH_GRADS = [
    [0.1, -0.2, 0.3],
    [0.05, 0.4, -0.1],
    [-0.3, 0.1, 0.2],
    [0.2, -0.05, -0.4],
    [0.15, 0.3, 0.1],
]


@pytest.mark.parametrize(
    "name", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
)
def test_optimizer_matches_torch(name):
    torch = pytest.importorskip("torch")
    lr = 0.05
    param = torch.tensor(THETA0, dtype=torch.float64, requires_grad=True)
    ours, torch_opt, rtol = {
        "sgd": (SGD(3, np.float64), torch.optim.SGD([param], lr=lr), 1e-12),
        "momentum": (
            SGD(3, np.float64, momentum=0.9),
            torch.optim.SGD([param], lr=lr, momentum=0.9),
            1e-12,
        ),
        "nesterov": (
            SGD(3, np.float64, momentum=0.9, nesterov=True),
            torch.optim.SGD([param], lr=lr, momentum=0.9, nesterov=True),
            1e-12,
        ),
        "adagrad": (
            Adagrad(3, np.float64, epsilon=1e-6),
            torch.optim.Adagrad([param], lr=lr, eps=1e-6),
            1e-12,
        ),
        "rmsprop": (
            RMSprop(3, np.float64, rho=0.85, epsilon=1e-6),
            torch.optim.RMSprop([param], lr=lr, alpha=0.85, eps=1e-6),
            1e-12,
        ),
        # ε sits differently (scikit-learn's placement): use a tiny ε in both
        "adam": (
            Adam(3, np.float64, beta_1=0.9, beta_2=0.999, epsilon=1e-12),
            torch.optim.Adam([param], lr=lr, betas=(0.9, 0.999), eps=1e-12),
            1e-7,
        ),
    }[name]
    theta = np.array(THETA0)
    for k, g in enumerate(TORCH_GRADS * 2):
        ours.step(theta, np.array(g), lr)
        param.grad = torch.tensor(g, dtype=torch.float64)
        torch_opt.step()
        assert_allclose(
            theta, param.detach().numpy(), rtol=rtol, atol=0, err_msg=f"step {k}"
        )


def test_adam_epsilon_placement_against_torch():
    """sgdlearn adds ε to √v before the bias correction (scikit-learn's way).

    Its step lr·√(1−β₂ᵗ)/(1−β₁ᵗ)·m/(√v + ε) is torch's step with
    ε_t = ε/√(1−β₂ᵗ), so with that ε per step the two agree to rounding;
    with the same ε they differ.
    """
    torch = pytest.importorskip("torch")
    lr, eps, beta_2 = 0.05, 1e-3, 0.999
    same_eps = torch.tensor(THETA0, dtype=torch.float64, requires_grad=True)
    moved_eps = torch.tensor(THETA0, dtype=torch.float64, requires_grad=True)
    opt_same = torch.optim.Adam([same_eps], lr=lr, eps=eps)
    opt_moved = torch.optim.Adam([moved_eps], lr=lr, eps=eps)
    ours = Adam(3, np.float64, beta_2=beta_2, epsilon=eps)
    theta = np.array(THETA0)
    for t, g in enumerate(TORCH_GRADS * 2, start=1):
        ours.step(theta, np.array(g), lr)
        for param in (same_eps, moved_eps):
            param.grad = torch.tensor(g, dtype=torch.float64)
        opt_moved.param_groups[0]["eps"] = eps / math.sqrt(1 - beta_2**t)
        opt_same.step()
        opt_moved.step()
        assert_allclose(theta, moved_eps.detach().numpy(), rtol=1e-12, atol=0)
    assert np.abs(theta - same_eps.detach().numpy()).max() > 1e-6


# --------------------------------------------------------------------------
# 5. schedules
# --------------------------------------------------------------------------


def _schedule(name, lr0, power_t=0.5, **params):
    params.update(learning_rate=name, learning_rate_init=lr0, power_t=power_t)
    return make_schedule(params)


def _stalling_state(schedule):
    """A state whose every epoch after the first stalls (tol 1, the same loss)."""
    theta = np.zeros(2)
    state = TrainingState(theta, None, schedule, np.random.default_rng(0), None)
    return state, LoopConfig(1, False, 1, 1.0, 0, False)


def _rate(state):
    """η of the state's next step (a schedule constant within the epoch)."""
    return decayed_rate(
        state.schedule.rate(state.step, 100, state.schedule_samples), state
    )


def test_constant_schedule():
    schedule = _schedule("constant", 0.02)
    assert isinstance(schedule, Constant)
    assert not schedule.varies_per_step
    for t in (10, 100, 1000):
        assert schedule.rate(t // 10, 1000, t) == 0.02
    # a plateau stops training
    state, config = _stalling_state(schedule)
    assert record_epoch(state, None, None, 1.0, None, config, 10) is False
    assert record_epoch(state, None, None, 1.0, None, config, 10) is True
    assert _rate(state) == 0.02


@pytest.mark.parametrize("power_t", [0.5, 0.25, 1.0])
def test_invscaling_schedule(power_t):
    schedule = _schedule("invscaling", 0.3, power_t)
    assert isinstance(schedule, InvScaling)
    assert not schedule.varies_per_step
    assert schedule.rate(0, 100, 0) == 0.3
    for t in (50, 100, 150, 1000):
        for step in (0, 7):  # constant within an epoch
            assert schedule.rate(step, 100, t) == pytest.approx(
                0.3 / (t + 1) ** power_t, rel=1e-14
            )
    # the epochs' ends move the clock to the samples seen; a plateau stops
    state, config = _stalling_state(schedule)
    assert record_epoch(state, None, None, 1.0, None, config, 50) is False
    assert state.schedule_samples == 50
    assert _rate(state) == pytest.approx(0.3 / 51**power_t, rel=1e-14)
    assert record_epoch(state, None, None, 1.0, None, config, 50) is True


def test_adaptive_schedule():
    schedule = _schedule("adaptive", 1e-3)
    assert isinstance(schedule, Adaptive)
    assert schedule.rate(0, 100, 1000) == 1e-3
    # the monitor divides η by 5 at each plateau, while η > 1e-6:
    # 1e-3 / 5**k: 2e-4, 4e-5, 8e-6, 1.6e-6, 3.2e-7 (<= 1e-6 after 5 divisions)
    state, config = _stalling_state(schedule)
    assert record_epoch(state, None, None, 1.0, None, config, 10) is False
    assert _rate(state) == 1e-3
    expected = [1e-3 / 5**k for k in range(1, 6)]
    for lr in expected:
        assert record_epoch(state, None, None, 1.0, None, config, 10) is False
        assert _rate(state) == pytest.approx(lr, rel=1e-12)
    assert _rate(state) <= 1e-6
    assert record_epoch(state, None, None, 1.0, None, config, 10) is True
    assert _rate(state) == pytest.approx(expected[-1], rel=1e-12)
    # the schedule itself holds no decay: a restart is back at η₀
    state.restart_schedule(schedule)
    assert _rate(state) == 1e-3


def test_schedules_pickle():
    schedule = InvScaling(0.1, 0.5)
    clone = pickle.loads(pickle.dumps(schedule))
    assert clone.power_t == 0.5
    assert clone.rate(3, 10, 99) == schedule.rate(3, 10, 99) == 0.1 / 100**0.5


# --------------------------------------------------------------------------
# 6. networks
# --------------------------------------------------------------------------


def test_layout_sizes_and_views():
    layout = Layout((3, 4, 2))
    assert layout.n_coef == 3 * 4 + 4 * 2
    assert layout.size == layout.n_coef + 4 + 2
    assert layout.n_layers == 2
    theta = np.arange(layout.size, dtype=np.float64)
    coefs = layout.coefs(theta)
    intercepts = layout.intercepts(theta)
    assert [c.shape for c in coefs] == [(3, 4), (4, 2)]
    assert [b.shape for b in intercepts] == [(4,), (2,)]
    # weights first, layer by layer, C order; then the intercepts
    assert_array_equal(coefs[0], np.arange(12).reshape(3, 4))
    assert_array_equal(coefs[1], np.arange(12, 20).reshape(4, 2))
    assert_array_equal(intercepts[0], [20, 21, 22, 23])
    assert_array_equal(intercepts[1], [24, 25])
    for view in coefs + intercepts:
        assert np.shares_memory(view, theta)
    theta[6] = -1.0
    assert coefs[0][1, 2] == -1.0
    theta[25] = -7.0
    assert intercepts[1][1] == -7.0
    coefs[1][3, 0] = 99.0
    assert theta[12 + 6] == 99.0
    intercepts[0][...] = 0.5
    assert_array_equal(theta[20:24], 0.5)


def test_layout_pack_round_trip():
    layout = Layout((5, 3, 4, 2))
    rng = np.random.default_rng(0)
    theta = rng.normal(size=layout.size)
    packed = layout.pack(layout.coefs(theta), layout.intercepts(theta), np.float64)
    assert_array_equal(packed, theta)
    assert not np.shares_memory(packed, theta)
    coefs = [rng.normal(size=s) for s in layout.shapes]
    intercepts = [rng.normal(size=b) for _, b in layout.shapes]
    theta2 = layout.pack(coefs, intercepts, np.float32)
    assert theta2.dtype == np.float32
    for a, b in zip(
        layout.coefs(theta2) + layout.intercepts(theta2), coefs + intercepts
    ):
        assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("activation, factor", [("relu", 6.0), ("logistic", 2.0)])
def test_glorot_bounds(activation, factor):
    layout = Layout((200, 150, 3))
    theta = layout.initial_theta(
        np.random.default_rng(0), np.float64, "glorot", activation
    )
    for coef, intercept in zip(layout.coefs(theta), layout.intercepts(theta)):
        bound = math.sqrt(factor / (coef.shape[0] + coef.shape[1]))
        assert np.abs(coef).max() <= bound
        assert np.abs(intercept).max() <= bound
    coef = layout.coefs(theta)[0]
    bound = math.sqrt(factor / 350)
    # uniform on the whole interval: the bound is nearly reached, mean ~0
    assert np.abs(coef).max() > 0.99 * bound
    assert abs(coef.mean()) < 0.02 * bound
    # uniform variance bound²/3
    assert coef.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)


def test_he_init():
    layout = Layout((400, 300, 1))
    theta = layout.initial_theta(np.random.default_rng(1), np.float64, "he", "relu")
    coef = layout.coefs(theta)[0]
    assert coef.std() == pytest.approx(math.sqrt(2 / 400), rel=0.02)
    assert abs(coef.mean()) < 0.01 * math.sqrt(2 / 400)
    for intercept in layout.intercepts(theta):
        assert_array_equal(intercept, 0.0)
    zeros = layout.initial_theta(np.random.default_rng(1), np.float64, "zeros", "relu")
    assert_array_equal(zeros, 0.0)


def test_initial_theta_dtype_and_seed():
    layout = Layout((4, 3, 2))
    a = layout.initial_theta(np.random.default_rng(7), np.float32, "glorot", "tanh")
    b = layout.initial_theta(np.random.default_rng(7), np.float32, "glorot", "tanh")
    assert a.dtype == np.float32
    assert_array_equal(a, b)


@pytest.mark.parametrize("activation_name", list(ACTIVATIONS))
def test_predict_raw_matches_hand_forward(activation_name):
    layout = Layout((4, 6, 5, 3))
    rng = np.random.default_rng(2)
    theta = rng.normal(size=layout.size)
    X = rng.normal(size=(8, 4))
    network = Network(layout, ACTIVATIONS[activation_name])
    raw = network.predict_raw(layout.coefs(theta), layout.intercepts(theta), X)
    expected, _ = hand_forward(
        layout.coefs(theta), layout.intercepts(theta), activation_name, X
    )
    assert_allclose(raw, expected, rtol=1e-12, atol=1e-14)
    # training forward without dropout gives the same raw output
    ws = network.workspace(10, np.float64)
    out = network.forward(layout.coefs(theta), layout.intercepts(theta), X, ws, None)
    assert out.shape == (8, 3)
    assert_allclose(out, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("depth", [0, 2])
def test_sparse_forward_backward_matches_dense(depth):
    layout = Layout((6, *(5, 4)[:depth], 3))
    rng = np.random.default_rng(4)
    theta = rng.normal(size=layout.size)
    X = rng.normal(size=(9, 6))
    X[rng.random(X.shape) < 0.6] = 0.0
    network = Network(layout, ACTIVATIONS["tanh"])
    results = []
    for data in (X, sp.csr_matrix(X), sp.csr_array(X)):
        ws = network.workspace(9, np.float64)
        coefs, intercepts = layout.coefs(theta), layout.intercepts(theta)
        raw = network.forward(coefs, intercepts, data, ws, None).copy()
        ws.deltas[-1][:9] = np.linspace(-1, 1, 27).reshape(9, 3)
        grad = np.full(layout.size, np.nan)
        network.backward(coefs, layout.coefs(grad), layout.intercepts(grad), ws, 9)
        results.append((raw, grad))
    for raw, grad in results[1:]:
        assert isinstance(grad, np.ndarray) and np.isfinite(grad).all()
        assert_allclose(raw, results[0][0], rtol=1e-12, atol=1e-14)
        assert_allclose(grad, results[0][1], rtol=1e-12, atol=1e-14)


def test_hidden_dropout_masks():
    p = 0.3
    layout = Layout((5, 50, 2))
    rng = np.random.default_rng(0)
    theta = rng.normal(size=layout.size)
    X = rng.normal(size=(2000, 5))
    network = Network(layout, ACTIVATIONS["tanh"], dropout=p)
    ws = network.workspace(2000, np.float64)
    coefs, intercepts = layout.coefs(theta), layout.intercepts(theta)
    raw = network.forward(coefs, intercepts, X, ws, np.random.default_rng(1))
    hidden = np.tanh(X @ coefs[0] + intercepts[0])
    mask = ws.masks[1]
    kept = mask != 0
    # masks hold 0 or 1/(1 − p); about 1 − p of the units are kept
    assert_allclose(mask[kept], 1.0 / (1.0 - p), rtol=1e-15)
    assert kept.mean() == pytest.approx(1.0 - p, abs=0.01)
    assert_allclose(ws.acts[1], hidden, rtol=1e-12)
    assert_allclose(ws.kept[1], hidden * kept / (1.0 - p), rtol=1e-12)
    assert_allclose(raw, ws.kept[1] @ coefs[1] + intercepts[1], rtol=1e-12)
    # a second batch draws a fresh mask
    first = kept.copy()
    network.forward(coefs, intercepts, X, ws, np.random.default_rng(2))
    assert (first != (ws.masks[1] != 0)).mean() > 0.1
    # predictions never drop
    assert_allclose(
        network.predict_raw(coefs, intercepts, X),
        hidden @ coefs[1] + intercepts[1],
        rtol=1e-12,
    )


def test_input_dropout_linear():
    p = 0.4
    layout = Layout((40, 2))
    rng = np.random.default_rng(0)
    theta = rng.normal(size=layout.size)
    X = rng.uniform(0.5, 1.5, size=(1000, 40))  # no zeros
    network = Network(layout, ACTIVATIONS["identity"], dropout=p, dropout_input=True)
    ws = network.workspace(1000, np.float64)
    coefs, intercepts = layout.coefs(theta), layout.intercepts(theta)
    raw = network.forward(coefs, intercepts, X, ws, np.random.default_rng(1))
    dropped = ws.x_batch
    kept = dropped != 0
    assert kept.mean() == pytest.approx(1.0 - p, abs=0.01)
    assert_allclose(dropped[kept], X[kept] / (1.0 - p), rtol=1e-12)
    assert_allclose(raw, dropped @ coefs[0] + intercepts[0], rtol=1e-12)

    # sparse input keeps its pattern; stored entries dropped or rescaled
    Xs = sp.csr_matrix(X * (rng.random(X.shape) < 0.5))
    raw = network.forward(coefs, intercepts, Xs, ws, np.random.default_rng(1))
    dropped = ws.x_batch
    assert sp.issparse(dropped)
    dense, orig = dropped.toarray(), Xs.toarray()
    nz = orig != 0
    kept = dense[nz] != 0
    assert np.all(dense[~nz] == 0)
    assert kept.mean() == pytest.approx(1.0 - p, abs=0.02)
    assert_allclose(dense[nz][kept], orig[nz][kept] / (1.0 - p), rtol=1e-12)
    assert_allclose(raw, dense @ coefs[0] + intercepts[0], rtol=1e-12)
    # the caller's matrix is left alone
    assert_array_equal(Xs.toarray(), orig)


@pytest.mark.parametrize("dropout_input", [False, True])
def test_dropout_gradient_with_fixed_masks(dropout_input):
    """With the masks fixed (same seed), the gradient is the masked network's."""
    hidden = () if dropout_input else (6, 4)
    X, Y, sw, layout, _, _, theta = build_problem(
        "squared_error", "l2", "tanh", hidden, n_samples=10
    )
    network = Network(
        layout, ACTIVATIONS["tanh"], dropout=0.4, dropout_input=dropout_input
    )
    objective = Objective(network, SquaredError(), make_penalty("l2", 0.5, 0), sw.sum())
    ws = network.workspace(10, np.float64)
    buffer, grad_buffer = np.zeros(layout.size), np.zeros(layout.size)
    params, grads = Params(buffer, layout), Params(grad_buffer, layout)

    def f_and_grad(x):
        np.copyto(buffer, x)
        rng = np.random.default_rng(123)
        loss = objective.batch_grad(params, grads, X, Y, sw, ws, rng, 1 / sw.sum())
        return loss / sw.sum() + objective.penalty_per_sample(
            params
        ), grad_buffer.copy()

    _, grad = f_and_grad(theta)
    numeric = numerical_grad(lambda x: f_and_grad(x)[0], theta)
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
    # the masks really drop something: the loss differs from the no-dropout one
    plain = Objective(
        Network(layout, ACTIVATIONS["tanh"]),
        SquaredError(),
        make_penalty("l2", 0.5, 0),
        sw.sum(),
    )
    f_plain, _ = objective_function(plain, layout, X, Y, sw)
    assert f_plain(theta) != pytest.approx(f_and_grad(theta)[0], rel=1e-6)


# --------------------------------------------------------------------------
# 7. batches
# --------------------------------------------------------------------------


@pytest.mark.parametrize("n_samples, batch_size", [(10, 3), (12, 4), (5, 10), (7, 1)])
@pytest.mark.parametrize("shuffle", [True, False])
def test_iter_batches_covers_every_row_once(n_samples, batch_size, shuffle):
    rng = np.random.default_rng(0)
    rows = np.arange(n_samples)
    for _ in range(3):  # several epochs
        batches = list(iter_batches(n_samples, batch_size, rng, shuffle))
        taken = np.concatenate([rows[b] for b in batches])
        assert_array_equal(np.sort(taken), rows)
        n_full, rest = divmod(n_samples, batch_size)
        sizes = [len(rows[b]) for b in batches]
        if shuffle:  # as many batches, none larger than batch_size
            assert len(sizes) == n_full + (rest > 0)
            assert max(sizes) <= batch_size
        else:
            assert sizes == [batch_size] * n_full + ([rest] if rest else [])
            assert_array_equal(taken, rows)


def test_iter_batches_deterministic_and_shuffled():
    def epochs(seed):
        rng = np.random.default_rng(seed)
        rows = np.arange(50)
        return [
            np.concatenate([rows[b] for b in iter_batches(50, 8, rng, True)])
            for _ in range(3)
        ]

    a, b = epochs(42), epochs(42)
    for x, y in zip(a, b):
        assert_array_equal(x, y)
    # the order is actually shuffled and changes between epochs and seeds
    assert not np.array_equal(a[0], np.arange(50))
    assert not np.array_equal(a[0], a[1])
    assert not np.array_equal(a[0], epochs(43)[0])


def test_shuffled_batches_are_spread_over_sorted_data():
    """Each shuffled batch samples the whole data set: sorted labels mix."""
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 100)  # sorted
    for rows in iter_batches(labels.size, 30, rng, True):
        assert set(labels[rows]) == {0, 1, 2}


def test_dataset_rows_are_views_and_take_copies():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(11, 3))
    Y = rng.normal(size=(11, 2))
    w = rng.uniform(size=11)
    data = Dataset(X, Y, w)
    for rows in iter_batches(11, 4, rng, False):
        xb, yb, wb = data.rows(rows)
        assert np.shares_memory(xb, X) and np.shares_memory(yb, Y)
        assert_array_equal(xb, X[rows])
        assert_array_equal(wb, w[rows])
    assert Dataset(X, Y, None).rows(slice(0, 4))[2] is None
    assert Dataset(X, Y, None).weight_total == 11.0
    assert data.weight_total == pytest.approx(w.sum())
    part = data.take(np.array([3, 0, 7]))
    assert_array_equal(part.X, X[[3, 0, 7]])
    assert not np.shares_memory(part.X, X)
    sparse = Dataset(sp.csr_matrix(X), Y, w).rows(slice(1, None, 3))[0]
    assert_array_equal(sparse.toarray(), X[1::3])


@pytest.mark.parametrize("sparse", [False, True])
def test_batch_reader_gathers_shuffled_rows_into_reused_buffers(sparse):
    """Shuffled batches are gathered into buffers made once (dense X), so an
    epoch copies no more than one batch; in-order batches stay views."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(11, 3))
    Y = (rng.uniform(size=(11, 2)) > 0.5).astype(np.uint8)
    w = rng.uniform(size=11)
    data = Dataset(sp.csr_matrix(X) if sparse else X, Y, w)
    reader = BatchReader(data, 4)
    first_buffer = None
    for _ in range(2):
        for rows in iter_batches(11, 4, rng, True):
            xb, yb, wb = reader.read(rows)
            assert_array_equal(xb.toarray() if sparse else xb, X[rows])
            assert_array_equal(yb, Y[rows])
            assert yb.dtype == np.uint8
            assert_array_equal(wb, w[rows])
            assert not np.shares_memory(yb, Y)
            if not sparse:
                first_buffer = xb.base if first_buffer is None else first_buffer
                assert xb.base is first_buffer  # the same buffer every batch
    xb, _, wb = reader.read(slice(0, 4))
    assert sparse or np.shares_memory(xb, X)
    assert np.shares_memory(wb, w)
    assert Dataset(X, Y, None).rows(np.array([1, 2]))[2] is None
    assert BatchReader(Dataset(X, Y, None), 4).read(np.array([1, 2]))[2] is None


def _csr_with_unsorted_rows(container):
    """A 30 × 7 CSR matrix with empty rows (0, 5, 29) and rows whose column
    indices are stored out of order."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 7)) * (rng.uniform(size=(30, 7)) < 0.4)
    X[[0, 5, 29]] = 0.0
    X[7] = np.arange(1.0, 8.0)  # a full row, to reverse
    matrix = container(X)
    for row in (7, 12, 20):
        part = slice(matrix.indptr[row], matrix.indptr[row + 1])
        matrix.indices[part] = matrix.indices[part][::-1].copy()
        matrix.data[part] = matrix.data[part][::-1].copy()
    matrix.has_sorted_indices = False
    return matrix


@pytest.mark.parametrize("scipy_routine", [True, False])
@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csr_array])
def test_csr_rows_gather_what_scipy_row_indexing_gives(
    monkeypatch, container, scipy_routine
):
    """Batches of rows in any order, repeated, empty or with unsorted
    column indices come out as ``X[rows]``: same class, shape, entries and
    stored order; a batch as large as an earlier one reuses its buffers."""
    if not scipy_routine:  # the fallback: scipy's own row indexing
        monkeypatch.setattr(csr_module, "csr_row_index", None)
    X = _csr_with_unsorted_rows(container)
    assert not X.has_sorted_indices
    reader = CSRRows(X)
    rng = np.random.default_rng(0)
    batches = [
        np.array([5, 0, 29]),  # empty rows only, out of order
        np.array([12, 7, 7, 3]),  # unsorted rows, repeated
        rng.permutation(30)[:12],
        np.array([29, 20, 0, 7]),
        np.arange(30),
        np.array([], dtype=np.intp),
    ]
    for rows in batches:
        got, expected = reader.take(rows), X[rows]
        assert type(got) is type(X)
        assert got.shape == expected.shape == (rows.size, 7)
        assert_array_equal(got.toarray(), X.toarray()[rows])
        assert_array_equal(got.indptr, expected.indptr)
        assert_array_equal(got.indices, expected.indices)
        assert_array_equal(got.data, expected.data)
    if scipy_routine:
        first = reader.take(np.arange(30))
        again = reader.take(np.arange(30)[::-1])
        assert np.shares_memory(first.data, again.data)
        assert np.shares_memory(first.indices, again.indices)


# --------------------------------------------------------------------------
# the loop: proximal full-batch gradient descent reaches the lasso optimum
# --------------------------------------------------------------------------


class _NoHooks:
    def epoch_begin(self, state):
        pass

    def epoch_end(self, state):
        return False


def test_full_batch_proximal_sgd_reaches_lasso():
    rng = np.random.default_rng(0)
    n, p = 40, 6
    X = rng.normal(size=(n, p))
    w_true = np.array([2.0, -1.5, 0.0, 0.0, 0.5, 0.0])
    y = X @ w_true + 0.3 * rng.normal(size=n) + 1.0
    alpha = 8.0
    layout = Layout((p, 1))
    network = Network(layout, ACTIVATIONS["identity"])
    sw = np.ones(n)
    objective = Objective(network, SquaredError(), make_penalty("l1", alpha, 1.0), n)
    theta = layout.initial_theta(rng, np.float64, "zeros", "identity")
    state = TrainingState(theta, SGD(layout.size, np.float64), Constant(0.1), rng, None)
    config = LoopConfig(n, False, 3000, 0.0, 10**6, False)
    train_epochs(objective, state, Dataset(X, y[:, None], sw), None, config, _NoHooks())
    # J/n = (1/n)Σ½(y−z)² + (alpha/n)‖w‖₁ is Lasso's objective with alpha/n
    lasso = Lasso(alpha=alpha / n, tol=1e-12, max_iter=100_000).fit(X, y)
    coef = state.theta[:p]
    assert_allclose(coef, lasso.coef_, atol=1e-6)
    assert_allclose(state.theta[p:], [lasso.intercept_], atol=1e-6)
    # the L1 prox gives exact zeros where the lasso has them
    assert np.sum(lasso.coef_ == 0) >= 1
    assert_array_equal(coef[lasso.coef_ == 0], 0.0)
