"""Tests of the components' interfaces: what each loss knows about itself
(targets, best constant, score, log-probabilities), the activations'
forward/backward from the pre-activation, the workspace that keeps it, and
the weight-init registry.

Expected values come from hand formulas, scipy and scikit-learn functions,
and central finite differences; the engine-wide gradient checks over every
activation live in ``test_engine.py``.
"""

import math

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import erfc, log_expit, log_softmax
from sklearn.metrics import accuracy_score, r2_score

from sgdlearn._activations import ACTIVATIONS
from sgdlearn._losses import LOSSES, REGRESSION_LOSSES
from sgdlearn._networks import (
    RANDOM_WEIGHT_INITS,
    WEIGHT_INITS,
    Layout,
    Network,
)
from sgdlearn._objective import Objective, Params
from sgdlearn._penalties import make_penalty

NEW_ACTIVATIONS = ["gelu", "silu", "leaky_relu"]


def targets(name, rng, n, k):
    """Targets each loss accepts: reals, counts, 0/1 columns, one-hot rows."""
    if name == "squared_error":
        return rng.normal(size=(n, k))
    if name == "poisson":
        return rng.poisson(1.5, size=(n, k)).astype(np.float64)
    if name == "bernoulli_log_loss":
        return rng.integers(0, 2, size=(n, k)).astype(np.float64)
    return np.eye(k)[rng.integers(0, k, size=n)]


# --------------------------------------------------------------------------
# losses: the registry and what each loss knows
# --------------------------------------------------------------------------


def test_registry_round_trip_and_kinds():
    for name, cls in LOSSES.items():
        assert cls.name == name
        assert LOSSES[cls().name] is cls
        # only the non-smooth losses rule L-BFGS out
        assert cls.differentiable is (name not in ("absolute_error", "quantile"))
        assert cls.kind in ("regression", "classification")
    assert set(REGRESSION_LOSSES) == {
        name for name, cls in LOSSES.items() if cls.kind == "regression"
    }
    assert REGRESSION_LOSSES == (
        "squared_error",
        "poisson",
        "absolute_error",
        "quantile",
        "huber",
        "gamma",
        "tweedie",
        "gaussian_nll",
    )
    # losses share links (identity, exp): the names, not the links, are the keys
    assert LOSSES["gamma"].out_activation == LOSSES["poisson"].out_activation
    classification = [c for c in LOSSES.values() if c.kind == "classification"]
    assert len({cls.out_activation for cls in classification}) == len(classification)
    assert hasattr(LOSSES["bernoulli_log_loss"], "log_proba")
    assert hasattr(LOSSES["categorical_log_loss"], "log_proba")


@pytest.mark.parametrize("y_dtype", [np.float64, np.float32])
def test_poisson_check_targets_rejects_negative_y(y_dtype):
    loss = LOSSES["poisson"]()
    loss.check_targets(np.array([0.0, 1.0, 3.5], dtype=y_dtype))
    loss.check_targets([[0, 2], [1, 0]])
    with pytest.raises(ValueError, match="requires non-negative y"):
        loss.check_targets(np.array([1.0, -0.5], dtype=y_dtype))
    # y as given: a tiny negative target that float32 would round to -0.0
    tiny = np.array([2.0, -1e-50])
    assert (tiny.astype(np.float32) >= 0).all()
    with pytest.raises(ValueError, match="loss='squared_error' for signed"):
        loss.check_targets(tiny)


@pytest.mark.parametrize(
    "name", ["squared_error", "bernoulli_log_loss", "categorical_log_loss"]
)
def test_check_targets_is_a_no_op_for_unbounded_or_encoded_targets(name):
    assert LOSSES[name]().check_targets(np.array([-3.0, 1e300, 0.0])) is None


@pytest.mark.parametrize("weighted", [False, True])
def test_best_constant_formulas(weighted):
    """The link of the weighted mean: plain for squared error, with half a
    pseudo-observation (0.5 of target on a weight of 1) for the others."""
    rng = np.random.default_rng(0)
    n, k = 50, 3
    sw = rng.uniform(0.2, 3.0, size=n) if weighted else None
    s = np.ones(n) if sw is None else sw
    W = s.sum()

    Y = targets("squared_error", rng, n, k)
    start = LOSSES["squared_error"]().best_constant(Y, sw)
    assert start.shape == (k,)
    assert_allclose(start, np.average(Y, axis=0, weights=s), rtol=1e-13)

    Y = targets("poisson", rng, n, k)
    start = LOSSES["poisson"]().best_constant(Y, sw)
    assert_allclose(np.exp(start), (s @ Y + 0.5) / (W + 1.0), rtol=1e-13)

    Y = targets("bernoulli_log_loss", rng, n, k)
    start = LOSSES["bernoulli_log_loss"]().best_constant(Y, sw)
    p = (s @ Y + 0.5) / (W + 1.0)
    assert_allclose(start, np.log(p / (1.0 - p)), rtol=1e-12)

    Y = targets("categorical_log_loss", rng, n, k)
    start = LOSSES["categorical_log_loss"]().best_constant(Y, sw)
    p = (s @ Y + 0.5) / (W + 1.0)
    assert_allclose(start, np.log(p) - np.log(p).mean(), rtol=1e-12)
    assert start.sum() == pytest.approx(0.0, abs=1e-12)


def test_best_constant_is_the_squared_error_minimiser():
    """Squared error: at the best constant the weighted gradient vanishes."""
    rng = np.random.default_rng(1)
    Y = rng.normal(3.0, 2.0, size=(40, 2))
    sw = rng.uniform(0.1, 2.0, size=40)
    loss = LOSSES["squared_error"]()
    raw = np.broadcast_to(loss.best_constant(Y, sw), Y.shape).copy()
    grad = np.empty_like(raw)
    loss.value_grad(raw, Y, sw, grad)
    assert_allclose(grad.sum(axis=0), 0.0, atol=1e-12)


@pytest.mark.parametrize("name", ["bernoulli_log_loss", "categorical_log_loss"])
@pytest.mark.parametrize("weighted", [False, True])
def test_best_constant_of_uint8_indicators(name, weighted):
    """0/1 indicators stored as uint8 (as the classifiers keep them) give the
    same start as float targets, strided too; one class seen, or none of a
    column, still gives a finite start."""
    rng = np.random.default_rng(2)
    n, k = 30, 4
    Y = targets(name, rng, n, k)
    sw = rng.uniform(0.5, 2.0, size=n) if weighted else None
    loss = LOSSES[name]()
    expected = loss.best_constant(Y, sw)
    rows = np.zeros((2 * n, k), dtype=np.uint8)
    rows[::2] = Y
    for small in (Y.astype(np.uint8), rows[::2]):
        assert_allclose(loss.best_constant(small, sw), expected, rtol=1e-14)
    one_class = np.zeros((n, k), dtype=np.uint8)
    one_class[:, 0] = 1
    start = loss.best_constant(one_class, sw)
    assert np.isfinite(start).all() and np.abs(start).max() < 10


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name", ["squared_error", "poisson"])
def test_regression_score_is_r2_of_the_inverse_link(name, weighted, dtype):
    rng = np.random.default_rng(3)
    n, k = 60, 2
    raw = rng.normal(size=(n, k)).astype(dtype)
    Y = targets(name, rng, n, k).astype(dtype)
    sw = rng.uniform(0.2, 3.0, size=n) if weighted else None
    loss = LOSSES[name]()
    mean = np.exp(raw.astype(np.float64)) if name == "poisson" else raw
    expected = r2_score(Y.astype(np.float64), mean.astype(np.float64), sample_weight=sw)
    score = loss.score(raw, Y, sw)
    assert type(score) is float
    assert score == pytest.approx(expected, rel=1e-6 if dtype == np.float32 else 1e-15)


def test_regression_score_in_float64_for_huge_float32_targets():
    """float32 targets beyond ~1e19 square to inf in float32: R² is computed
    in float64 and stays finite."""
    Y = np.array([[1e20], [3e20], [2e20]], dtype=np.float32)
    raw = np.array([[1.1e20], [2.9e20], [2e20]], dtype=np.float32)
    score = LOSSES["squared_error"]().score(raw, Y, None)
    assert np.isfinite(score)
    assert score == pytest.approx(
        r2_score(Y.astype(np.float64), raw.astype(np.float64)), rel=1e-12
    )


@pytest.mark.parametrize("weighted", [False, True])
def test_bernoulli_score_is_exact_match_accuracy(weighted):
    """A row counts when every column's sign matches its 0/1 target."""
    raw = np.array([[1.0, -2.0], [0.5, 0.5], [-1.0, -1.0], [2.0, 3.0]])
    Y = np.array([[1, 0], [1, 0], [0, 0], [1, 1]], dtype=np.uint8)
    sw = np.array([1.0, 2.0, 3.0, 4.0]) if weighted else None
    correct = [True, False, True, True]
    score = LOSSES["bernoulli_log_loss"]().score(raw, Y, sw)
    assert type(score) is float
    assert score == pytest.approx(np.average(correct, weights=sw), rel=1e-15)
    # one column: the sign against the 0/1 target, as accuracy_score
    y = np.array([1, 0, 0, 1])
    z = np.array([[0.3], [-0.1], [0.2], [4.0]])
    assert LOSSES["bernoulli_log_loss"]().score(z, y[:, None], sw) == pytest.approx(
        accuracy_score(y, z[:, 0] > 0, sample_weight=sw)
    )


@pytest.mark.parametrize("weighted", [False, True])
def test_categorical_score_is_argmax_accuracy(weighted):
    rng = np.random.default_rng(4)
    raw = rng.normal(size=(50, 4))
    labels = rng.integers(0, 4, size=50)
    Y = np.eye(4, dtype=np.uint8)[labels]
    sw = rng.uniform(0.2, 3.0, size=50) if weighted else None
    expected = accuracy_score(labels, raw.argmax(axis=1), sample_weight=sw)
    assert LOSSES["categorical_log_loss"]().score(raw, Y, sw) == pytest.approx(
        expected, rel=1e-15
    )


def test_log_proba_stable_for_extreme_scores():
    raw = np.array([[1000.0, -1000.0, 0.0], [-40.0, 40.0, 2.5], [3.0, 3.0, 3.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        bernoulli = LOSSES["bernoulli_log_loss"]().log_proba(raw)
        categorical = LOSSES["categorical_log_loss"]().log_proba(raw)
    assert_allclose(bernoulli, log_expit(raw), rtol=1e-14, atol=1e-300)
    assert bernoulli[0, 1] == -1000.0 and bernoulli[0, 0] == 0.0
    assert_allclose(categorical, log_softmax(raw, axis=1), rtol=1e-14)
    assert_allclose(np.exp(categorical).sum(axis=1), 1.0, rtol=1e-14)
    assert np.isfinite(bernoulli).all() and np.isfinite(categorical).all()
    # float32 stays float32
    assert LOSSES["bernoulli_log_loss"]().log_proba(raw.astype(np.float32)).dtype == (
        np.float32
    )


# --------------------------------------------------------------------------
# activations: forward and backward from the pre-activation
# --------------------------------------------------------------------------


def phi(x):
    """The standard normal density."""
    return np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def test_gelu_closed_form_including_large_inputs():
    """x·Φ(x) with Φ(x) = ½·erfc(−x/√2), derivative Φ(x) + x·φ(x), also where
    Φ saturates (|x| ≥ 10) and underflows (x = −40)."""
    gelu = ACTIVATIONS["gelu"]
    x = np.array([-40.0, -10.0, -3.0, -1.0, -1e-3, 0.0, 1e-3, 0.5, 2.0, 10.0, 40.0])
    cdf = 0.5 * erfc(-x / math.sqrt(2.0))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = gelu.forward(x, np.empty_like(x))
        delta = gelu.backward(x, a, np.ones_like(x))
    # (erfc(−x/√2) is itself off by ~x²·ulp: the rounding of x/√2)
    assert_allclose(a, x * cdf, rtol=1e-13, atol=1e-300)
    assert_allclose(delta, cdf + x * phi(x), rtol=1e-13, atol=1e-300)
    assert a[-1] == 40.0 and delta[-1] == 1.0 and delta[0] == 0.0
    assert a[5] == 0.0 and delta[5] == 0.5
    # a known value: GELU(1) = Φ(1) = 0.8413447460685429
    assert gelu.forward(np.array([1.0]), np.empty(1))[0] == pytest.approx(
        0.8413447460685429, rel=1e-15
    )


def test_silu_and_leaky_relu_closed_forms():
    x = np.array([-800.0, -30.0, -2.0, -1e-3, 1e-3, 0.7, 30.0, 800.0])
    with np.errstate(over="ignore"):
        sigma = 1.0 / (1.0 + np.exp(-x))
    silu = ACTIVATIONS["silu"]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = silu.forward(x, np.empty_like(x))
        delta = silu.backward(x, a, np.ones_like(x))
    assert_allclose(a, x * sigma, rtol=1e-13, atol=1e-300)
    assert_allclose(delta, sigma * (1.0 + x * (1.0 - sigma)), rtol=1e-12, atol=1e-300)
    leaky = ACTIVATIONS["leaky_relu"]
    a = leaky.forward(x, np.empty_like(x))
    assert_array_equal(a, np.where(x > 0, x, 0.01 * x))
    assert_array_equal(
        leaky.backward(None, a, np.full_like(x, 2.0)), np.where(x > 0, 2.0, 0.02)
    )
    assert leaky.needs_input is False and leaky.negative_slope == 0.01


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_keeps_float32(name):
    act = ACTIVATIONS[name]
    z = np.linspace(-5, 5, 41, dtype=np.float32)
    a = act.forward(z, np.empty_like(z))
    in_place = z.copy()
    act.forward(in_place, in_place)
    delta = act.backward(z if act.needs_input else None, a, np.ones_like(z))
    assert a.dtype == in_place.dtype == delta.dtype == np.float32
    assert_array_equal(in_place, a)
    # the float64 derivative, to float32's precision
    z64 = z.astype(np.float64)
    a64 = act.forward(z64, np.empty_like(z64))
    d64 = act.backward(z64 if act.needs_input else None, a64, np.ones_like(z64))
    assert_allclose(delta, d64, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "name", [name for name, cls in ACTIVATIONS.items() if not cls.needs_input]
)
def test_output_only_activations_are_exact_from_the_output(name):
    """``needs_input`` false promises the output determines the derivative:
    the derivative computed from z (finite differences) agrees with it on
    both sides of 0, including the saturated tails."""
    act = ACTIVATIONS[name]
    z = np.concatenate([np.linspace(-8, -1e-2, 30), np.linspace(1e-2, 8, 30)])
    a = act.forward(z, np.empty_like(z))
    h = 1e-6
    numeric = (
        act.forward(z + h, np.empty_like(z)) - act.forward(z - h, np.empty_like(z))
    ) / (2 * h)
    assert_allclose(
        act.backward(None, a, np.ones_like(z)), numeric, rtol=1e-6, atol=1e-9
    )


# --------------------------------------------------------------------------
# the workspace and the network with the new activations
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_workspace_keeps_the_pre_activation_only_when_needed(name, dropout):
    """relu, tanh, logistic… overwrite z with a (one array, as before); gelu
    and silu keep z apart. The output's pre-activation is the raw output."""
    act = ACTIVATIONS[name]
    network = Network(Layout((4, 6, 5, 2)), act, dropout=dropout)
    ws = network.workspace(8, np.float64)
    assert ws.pre[-1] is ws.acts[-1]
    for i in (1, 2):
        if act.needs_input:
            assert ws.pre[i] is not ws.acts[i]
            assert not np.shares_memory(ws.pre[i], ws.acts[i])
        else:
            assert ws.pre[i] is ws.acts[i]
    # linear models: no hidden layer, nothing kept
    linear = Network(Layout((4, 2)), act).workspace(8, np.float64)
    assert linear.pre[1] is linear.acts[1]


@pytest.mark.parametrize("name", NEW_ACTIVATIONS)
def test_new_activations_forward_into_the_workspace(name):
    """The training forward pass stores z (when kept) and a = f(z)."""
    layout = Layout((3, 7, 2))
    rng = np.random.default_rng(0)
    theta = rng.normal(size=layout.size)
    X = rng.normal(size=(10, 3))
    network = Network(layout, ACTIVATIONS[name])
    ws = network.workspace(10, np.float64)
    coefs, intercepts = layout.coefs(theta), layout.intercepts(theta)
    raw = network.forward(coefs, intercepts, X, ws, None)
    z = X @ coefs[0] + intercepts[0]
    a = ACTIVATIONS[name].forward(z.copy(), np.empty_like(z))
    if ACTIVATIONS[name].needs_input:
        assert_allclose(ws.pre[1], z, rtol=1e-14)
    assert_allclose(ws.acts[1], a, rtol=1e-14)
    assert_allclose(raw, a @ coefs[1] + intercepts[1], rtol=1e-13)
    assert_allclose(network.predict_raw(coefs, intercepts, X), raw, rtol=1e-14)


def numerical_grad(f, x, h=1e-6):
    grad = np.empty_like(x)
    for i in range(x.size):
        step = h * max(1.0, abs(x[i]))
        xp, xm = x.copy(), x.copy()
        xp[i] += step
        xm[i] -= step
        grad[i] = (f(xp) - f(xm)) / (2.0 * step)
    return grad


def problem(name, hidden, seed=0, n=12):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    Y = rng.normal(size=(n, 2))
    sw = rng.uniform(0.2, 3.0, size=n)
    layout = Layout((3, *hidden, 2))
    theta = layout.initial_theta(rng, np.float64, "glorot", name)
    theta += rng.uniform(-0.3, 0.3, size=theta.size)
    return X, Y, sw, layout, theta


@pytest.mark.parametrize("name", NEW_ACTIVATIONS)
@pytest.mark.parametrize("sparse", [False, True])
def test_new_activations_gradient_with_dropout_and_sparse_input(name, sparse):
    """Backprop through two hidden layers with fixed dropout masks (same
    seed) and sparse input matches central differences."""
    X, Y, sw, layout, theta = problem(name, (5, 4))
    if sparse:
        X[np.abs(X) < 0.6] = 0.0
        X = sp.csr_matrix(X)
    network = Network(layout, ACTIVATIONS[name], dropout=0.3)
    loss = LOSSES["squared_error"]()
    objective = Objective(network, loss, make_penalty("l2", 0.5, 0), sw.sum())
    ws = network.workspace(12, np.float64)
    buffer, grad_buffer = np.zeros(layout.size), np.zeros(layout.size)
    params, grads = Params(buffer, layout), Params(grad_buffer, layout)

    def f_and_grad(x):
        np.copyto(buffer, x)
        rng = np.random.default_rng(7)
        value = objective.batch_grad(params, grads, X, Y, sw, ws, rng, 1 / sw.sum())
        return value / sw.sum() + objective.penalty_per_sample(
            params
        ), grad_buffer.copy()

    _, grad = f_and_grad(theta)
    numeric = numerical_grad(lambda x: f_and_grad(x)[0], theta)
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
    assert (ws.masks[1] == 0).any()  # something was dropped


@pytest.mark.parametrize("name", NEW_ACTIVATIONS)
def test_new_activations_whole_data_blocks_share_output(name):
    """L-BFGS's whole-data evaluation (row blocks, the output's gradient
    overwriting the raw output) gives one pass's value and gradient."""
    X, Y, sw, layout, theta = problem(name, (4,), seed=3)
    network = Network(layout, ACTIVATIONS[name])
    objective = Objective(
        network, LOSSES["squared_error"](), make_penalty("l2", 0.5, 0), sw.sum()
    )
    results = []
    for rows in (12, 5):
        ws = network.workspace(rows, np.float64, share_output=True)
        params = Params(theta.copy(), layout)
        grads = Params(np.full(layout.size, np.nan), layout)
        value = objective.value_grad(params, grads, X, Y, sw, ws)
        results.append((value, grads.theta.copy()))
    assert results[1][0] == pytest.approx(results[0][0], rel=1e-13)
    assert_allclose(results[1][1], results[0][1], rtol=1e-12, atol=1e-15)
    f = lambda x: objective.value_grad(  # noqa: E731
        Params(x.copy(), layout),
        Params(np.empty(layout.size), layout),
        X,
        Y,
        sw,
        network.workspace(12, np.float64),
    )
    assert_allclose(results[0][1], numerical_grad(f, theta), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_network_keeps_float32(name):
    X, Y, sw, layout, theta = problem(name, (5,))
    network = Network(layout, ACTIVATIONS[name])
    theta32 = theta.astype(np.float32)
    ws = network.workspace(12, np.float32)
    coefs, intercepts = layout.coefs(theta32), layout.intercepts(theta32)
    raw = network.forward(coefs, intercepts, X.astype(np.float32), ws, None)
    assert raw.dtype == np.float32
    ws.deltas[-1][:12] = 0.1
    grad = np.empty(layout.size, dtype=np.float32)
    network.backward(coefs, layout.coefs(grad), layout.intercepts(grad), ws, 12)
    assert np.isfinite(grad).all()
    assert network.predict_raw(coefs, intercepts, X.astype(np.float32)).dtype == (
        np.float32
    )


# --------------------------------------------------------------------------
# weight init: a registry; the Glorot factor is the activation's
# --------------------------------------------------------------------------


def test_weight_init_registry():
    assert set(WEIGHT_INITS) == {"glorot", "he", "zeros"}
    assert RANDOM_WEIGHT_INITS == ("glorot", "he")
    for name, cls in WEIGHT_INITS.items():
        assert cls.name == name
    assert {name: cls.glorot_factor for name, cls in ACTIVATIONS.items()} == {
        "identity": 6.0,
        "logistic": 2.0,
        "tanh": 6.0,
        "relu": 6.0,
        "leaky_relu": 6.0,
        "gelu": 6.0,
        "silu": 6.0,
    }


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_glorot_draws_are_those_of_the_old_scheme(activation):
    """Bitwise the draws of the scheme before the registry: per layer,
    weights then intercepts uniform in ±√(factor/(fan_in + fan_out)), with
    factor 2 for logistic, 6 otherwise; the class or its name gives the same."""
    layout = Layout((7, 5, 4, 2))
    theta = layout.initial_theta(
        np.random.default_rng(3), np.float32, "glorot", activation
    )
    rng = np.random.default_rng(3)
    factor = 2.0 if activation == "logistic" else 6.0
    expected = np.zeros(layout.size, dtype=np.float32)
    for coef, intercept in zip(layout.coefs(expected), layout.intercepts(expected)):
        bound = np.sqrt(factor / sum(coef.shape))
        coef[...] = rng.uniform(-bound, bound, coef.shape)
        intercept[...] = rng.uniform(-bound, bound, coef.shape[1])
    assert_array_equal(theta, expected)
    same = layout.initial_theta(
        np.random.default_rng(3), np.float32, "glorot", ACTIVATIONS[activation]
    )
    assert_array_equal(same, theta)
