"""The regression likelihoods of issue 15 as loss objects: absolute error,
quantile (pinball), Huber, Gamma, Tweedie and the Gaussian with a learned
variance.

Every expected value is derived independently of ``_losses``: hand formulas
written with ``np.where`` (not the stable rearrangements the losses use),
central finite differences, scikit-learn's ``sklearn._loss.loss`` classes,
``scipy.stats.norm`` and ``scipy.optimize`` minimisers.
"""

import pickle
import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.optimize import minimize, minimize_scalar
from scipy.special import xlogy
from scipy.stats import norm
from sklearn._loss.loss import (
    AbsoluteError,
    HalfGammaLoss,
    HalfTweedieLoss,
    HuberLoss,
    PinballLoss,
)
from sklearn.metrics import mean_pinball_loss, r2_score

import sgdlearn._losses as losses_module
from sgdlearn._activations import ACTIVATIONS
from sgdlearn._losses import LOSSES, REGRESSION_LOSSES
from sgdlearn._networks import Layout, Network
from sgdlearn._objective import Objective, Params
from sgdlearn._penalties import make_penalty

# id -> (name, constructor arguments)
CASES = {
    "absolute_error": ("absolute_error", {}),
    "quantile": ("quantile", {"quantile": 0.3}),
    "quantile_list": ("quantile", {"quantile": [0.1, 0.5, 0.9]}),
    "huber": ("huber", {"huber_delta": 0.7}),
    "gamma": ("gamma", {}),
    "tweedie_0": ("tweedie", {"power": 0.0}),
    "tweedie_1": ("tweedie", {"power": 1.0}),
    "tweedie_1.5": ("tweedie", {"power": 1.5}),
    "tweedie_2": ("tweedie", {"power": 2.0}),
    "tweedie_3": ("tweedie", {"power": 3.0}),
    "gaussian_nll": ("gaussian_nll", {}),
}
NEW = ("absolute_error", "quantile", "huber", "gamma", "tweedie", "gaussian_nll")
NON_SMOOTH = ("absolute_error", "quantile")


def build(case):
    name, kwargs = CASES[case]
    return LOSSES[name](**kwargs)


def make_case(case, n, k, seed, dtype=np.float64, kink_gap=0.05):
    """(loss, raw, Y, sample_weight) with targets in the loss's range.

    ``quantile_list`` has one target; raw has ``n_raw_outputs`` columns. The
    non-smooth losses' residuals stay at least ``kink_gap`` from 0.
    """
    name, kwargs = CASES[case]
    loss = LOSSES[name](**kwargs)
    rng = np.random.default_rng(seed)
    k = 1 if case == "quantile_list" else k
    m = loss.n_raw_outputs(k)
    power = kwargs.get("power")
    if name == "gamma" or (power is not None and power >= 2):
        Y = rng.gamma(2.0, 1.5, size=(n, k))
    elif power is not None and power >= 1:
        Y = rng.poisson(1.2, size=(n, k)) * rng.gamma(3.0, 0.5, size=(n, k))
    elif power == 0:
        Y = rng.normal(2.0, 1.0, size=(n, k))  # some negative, a positive mean
    else:
        Y = rng.normal(size=(n, k))
    if name in NON_SMOOTH:
        gap = rng.uniform(kink_gap, 2.0, size=(n, m)) * rng.choice([-1, 1], (n, m))
        raw = Y + gap
    elif name in ("gamma", "tweedie"):
        raw = np.log(Y.mean(axis=0) + 0.5) + 0.6 * rng.normal(size=(n, m))
    else:
        raw = rng.normal(size=(n, m))
    sample_weight = rng.uniform(0.2, 3.0, size=n)
    return loss, raw.astype(dtype), Y.astype(dtype), sample_weight.astype(dtype)


def hand(case, raw, Y):
    """Per-row loss ℓ_i (averaged over the outputs) and ∂ℓ_i/∂raw, by hand."""
    name, kwargs = CASES[case]
    raw = raw.astype(np.float64)
    Y = Y.astype(np.float64)
    if name == "absolute_error":
        r = raw - Y
        loss, grad = np.abs(r), np.sign(r)
    elif name == "quantile":
        q = np.atleast_1d(kwargs["quantile"])
        u = Y - raw
        loss = np.where(u >= 0, q * u, (q - 1) * u)
        grad = np.where(u >= 0, -q, 1 - q) + 0 * u
    elif name == "huber":
        d = kwargs["huber_delta"]
        r = raw - Y
        loss = np.where(np.abs(r) <= d, 0.5 * r**2, d * (np.abs(r) - 0.5 * d))
        grad = np.where(r > d, d, np.where(r < -d, -d, r))
    elif name == "gaussian_nll":
        k = Y.shape[1]
        mu, s = raw[:, :k], raw[:, k:]
        loss = 0.5 * (s + (Y - mu) ** 2 * np.exp(-s))
        grad = np.hstack(
            [-(Y - mu) * np.exp(-s), 0.5 * (1 - (Y - mu) ** 2 * np.exp(-s))]
        )
        return loss.mean(axis=1), grad / k
    else:
        p = 2.0 if name == "gamma" else kwargs["power"]
        mu = np.exp(raw)
        if p == 0:
            loss = 0.5 * (Y - mu) ** 2
        elif p == 1:
            loss = xlogy(Y, Y / mu) - Y + mu
        elif p == 2:
            loss = Y / mu + np.log(mu / Y) - 1
        else:
            loss = (
                Y ** (2 - p) / ((1 - p) * (2 - p))
                - Y * mu ** (1 - p) / (1 - p)
                + mu ** (2 - p) / (2 - p)
            )
        grad = mu ** (1 - p) * (mu - Y)
    return loss.mean(axis=1), grad / raw.shape[1]


def numerical_grad(f, x, h=1e-6):
    """Central differences of the scalar function f at the 2-D x."""
    grad = np.empty_like(x)
    for index in np.ndindex(x.shape):
        step = h * max(1.0, abs(x[index]))
        xp, xm = x.copy(), x.copy()
        xp[index] += step
        xm[index] -= step
        grad[index] = (f(xp) - f(xm)) / (2.0 * step)
    return grad


# --------------------------------------------------------------------------
# values and gradients
# --------------------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("case", list(CASES))
def test_gradient_matches_finite_differences_and_hand_formulas(case, weighted):
    """Σ s_i ℓ_i and c·s_i∇ℓ_i on several outputs: the gradient against
    central differences of the value (the non-smooth losses away from their
    kinks), both against the hand formulas."""
    loss, raw, Y, sw = make_case(case, 6, 3, seed=1)
    w = sw if weighted else None
    c = 0.3
    grad = np.full_like(raw, np.nan)
    value = loss.value_grad(raw.copy(), Y, w, grad, c)
    assert isinstance(value, float)

    def f(z):
        return loss.value_grad(z, Y, w, np.empty_like(z))

    numeric = numerical_grad(f, raw)
    assert_allclose(grad, c * numeric, rtol=1e-6, atol=1e-9)
    per_row, dz = hand(case, raw, Y)
    weights = np.ones(len(raw)) if w is None else w
    assert value == pytest.approx(float(per_row @ weights), rel=1e-12, abs=1e-14)
    assert_allclose(grad, c * weights[:, None] * dz, rtol=1e-12, atol=1e-15)


def sklearn_loss(case):
    """scikit-learn's loss object for a case, and the column's quantile."""
    name, kwargs = CASES[case]
    if name == "absolute_error":
        return [AbsoluteError()]
    if name == "quantile":
        return [PinballLoss(quantile=q) for q in np.atleast_1d(kwargs["quantile"])]
    if name == "huber":
        return [HuberLoss(delta=kwargs["huber_delta"])]
    if name == "gamma":
        return [HalfGammaLoss()]
    return [HalfTweedieLoss(power=kwargs["power"])]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("case", [c for c in CASES if c != "gaussian_nll"])
def test_values_and_gradients_are_scikit_learns(case, weighted):
    """Our ℓ per entry is scikit-learn's ``loss`` plus its
    ``constant_to_optimal_zero`` (the term it skips; 0 for the identity-link
    losses), so that J differs from scikit-learn's GLM objectives only by
    the documented scaling; the gradients are its ``gradient`` (away from
    y = z, where scikit-learn's absolute error takes −1 and ours 0, its
    pinball loss −q and ours ½ − q). Our
    value averages the entries over the outputs and sums s_i times them."""
    loss, raw, Y, sw = make_case(case, 20, 2, seed=2)
    w = sw if weighted else None
    grad = np.empty_like(raw)
    value = loss.value_grad(raw, Y, w, grad)
    references = sklearn_loss(case)
    m = raw.shape[1]
    expected = 0.0
    expected_grad = np.empty_like(raw)
    for j in range(m):
        reference = references[j % len(references)]
        y = np.ascontiguousarray(Y[:, 0] if case == "quantile_list" else Y[:, j])
        z = np.ascontiguousarray(raw[:, j])
        entry = reference.loss(y, z) + reference.constant_to_optimal_zero(y)
        expected += float(entry @ (np.ones(len(y)) if w is None else w)) / m
        expected_grad[:, j] = reference.gradient(y, z, sample_weight=w) / m
    assert value == pytest.approx(expected, rel=1e-12)
    assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-15)


def test_values_at_hand_picked_points():
    """A few values worked out by hand."""
    grad = np.empty((1, 1))

    def value(name, z, y, **kwargs):
        return LOSSES[name](**kwargs).value_grad(
            np.array([[z]]), np.array([[y]]), None, grad
        )

    assert value("absolute_error", 1.0, -2.5) == 3.5
    assert value("quantile", 0.0, 2.0, quantile=0.9) == pytest.approx(1.8)
    assert value("quantile", 2.0, 0.0, quantile=0.9) == pytest.approx(0.2)
    assert value("huber", 0.5, 0.0, huber_delta=1.0) == pytest.approx(0.125)
    assert value("huber", 3.0, 0.0, huber_delta=1.0) == pytest.approx(2.5)
    # a perfect fit costs 0 under every deviance
    for power in (0.0, 1.0, 1.5, 2.0, 3.0):
        assert value("tweedie", np.log(2.0), 2.0, power=power) == pytest.approx(
            0.0, abs=1e-15
        )
    assert value("gamma", np.log(3.0), 3.0) == pytest.approx(0.0, abs=1e-15)
    # gamma: y/ŷ + log(ŷ/y) − 1 at ŷ = e, y = 1
    assert value("gamma", 1.0, 1.0) == pytest.approx(np.exp(-1.0))
    assert grad[0, 0] == pytest.approx(1.0 - np.exp(-1.0))
    # tweedie 1.5 at y = 0: ŷ^{0.5}/0.5 = 2·√ŷ
    assert value("tweedie", np.log(4.0), 0.0, power=1.5) == pytest.approx(4.0)
    # the Gaussian NLL with its ½ log 2π: scipy's −logpdf
    mu, log_var, y = 0.3, np.log(2.0), 1.7
    nll = LOSSES["gaussian_nll"]().value_grad(
        np.array([[mu, log_var]]), np.array([[y]]), None, np.empty((1, 2))
    )
    expected = -norm.logpdf(y, mu, np.sqrt(2.0)) - 0.5 * np.log(2 * np.pi)
    assert nll == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("case", list(CASES))
def test_loss_is_averaged_over_the_outputs(case):
    """k copies of a one-output problem cost what the one output costs (ℓ is
    averaged over the outputs, as squared_error and poisson); a quantile
    list costs the mean of its quantiles' losses."""
    loss, raw, Y, sw = make_case(case, 15, 1, seed=3)
    one = loss.value_grad(raw, Y, sw, np.empty_like(raw))
    if case == "quantile_list":
        singles = [
            LOSSES["quantile"](quantile=q).value_grad(
                raw[:, [j]], Y, sw, np.empty((len(Y), 1))
            )
            for j, q in enumerate(loss.quantile)
        ]
        assert one == pytest.approx(np.mean(singles), rel=1e-12)
        return
    if case == "gaussian_nll":
        raw3 = np.hstack([raw[:, :1]] * 3 + [raw[:, 1:]] * 3)
    else:
        raw3 = np.hstack([raw] * 3)
    three = loss.value_grad(raw3, np.hstack([Y] * 3), sw, np.empty_like(raw3))
    assert three == pytest.approx(one, rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("case", list(CASES))
def test_blocks_in_place_and_float32(case, weighted, monkeypatch):
    """Row blocks (of a few rows, one row, a short last one), strided batch
    views of y and the weights, ``grad is raw`` (bitwise the separate
    gradient) and float32 (kept, and close to float64) change nothing."""
    n, k, c = 501, 3, 0.3
    loss, raw, Y, sw = make_case(case, n, k, seed=4)
    w = sw if weighted else None
    grad = np.full_like(raw, np.nan)
    expected = loss.value_grad(raw, Y, w, grad, c)
    rows = np.zeros((2 * n, Y.shape[1]))
    rows[1::2] = Y
    sw_rows = np.zeros(2 * n)
    sw_rows[1::2] = sw
    for block in (10**9, 64, 7, 1):
        monkeypatch.setattr(losses_module, "BLOCK", block)
        for y, weights in ((Y, w), (rows[1::2], None if w is None else sw_rows[1::2])):
            blocked = np.full_like(raw, np.nan)
            assert loss.value_grad(raw, y, weights, blocked, c) == pytest.approx(
                expected, rel=1e-12
            )
            assert_allclose(blocked, grad, rtol=1e-12, atol=1e-15)
        grad_here = np.empty_like(raw)
        value = loss.value_grad(raw, Y, w, grad_here, c)
        in_place = raw.copy()
        assert loss.value_grad(in_place, Y, w, in_place, c) == value
        assert_array_equal(in_place, grad_here)
    monkeypatch.undo()
    raw32, Y32 = raw.astype(np.float32), Y.astype(np.float32)
    w32 = None if w is None else w.astype(np.float32)
    grad32 = np.empty_like(raw32)
    value32 = loss.value_grad(raw32, Y32, w32, grad32, c)
    assert grad32.dtype == np.float32
    assert loss.predict(raw32).dtype == np.float32
    grad64 = np.empty(raw.shape)
    w64 = None if w32 is None else w32.astype(np.float64)
    value64 = loss.value_grad(
        raw32.astype(np.float64), Y32.astype(np.float64), w64, grad64, c
    )
    assert value32 == pytest.approx(value64, rel=1e-5)
    assert_allclose(grad32, grad64, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(CASES))
def test_whole_data_allocates_no_data_sized_arrays(case, dtype):
    """A whole-data evaluation (L-BFGS) works block by block."""
    n = 100_000
    name, kwargs = CASES[case]
    if case == "quantile_list":
        kwargs = {"quantile": list(np.linspace(0.05, 0.95, 10))}
    loss = LOSSES[name](**kwargs)
    _, raw, Y, sw = make_case(case, n, 10, seed=5, dtype=dtype)
    raw = np.ascontiguousarray(
        np.resize(raw, (n, loss.n_raw_outputs(Y.shape[1]))), dtype=dtype
    )
    grad = np.empty_like(raw)
    loss.value_grad(raw[:10], Y[:10], sw[:10], grad[:10])
    for w in (None, sw):
        tracemalloc.start()
        try:
            loss.value_grad(raw, Y, w, grad, 0.5)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < raw.nbytes / 4, (peak, raw.nbytes)
        assert grad.dtype == dtype


def test_extreme_scores_are_finite_or_diverge_visibly():
    """Where the loss is finite, no overflow turns it into NaN; where it is
    infinite (a variance or a Gamma mean driven to 0), the value is inf —
    never clipped to a finite number."""
    grad = np.empty((2, 1))
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        # ŷ^{-1}, ŷ^{-2} underflow to 0 at z = 800 while ŷ itself overflows
        value = LOSSES["tweedie"](power=3.0).value_grad(
            np.array([[800.0], [-30.0]]), np.array([[1.0], [2.0]]), None, grad
        )
    assert np.isfinite(value) and np.isfinite(grad).all()
    with np.errstate(over="ignore"):
        value = LOSSES["gamma"]().value_grad(
            np.array([[-800.0], [0.0]]), np.array([[1.0], [1.0]]), None, grad
        )
        assert value == np.inf
        value = LOSSES["gaussian_nll"]().value_grad(
            np.array([[0.0, -800.0]]), np.array([[1.0]]), None, np.empty((1, 2))
        )
        assert value == np.inf
        raw32 = np.array([[0.0, -100.0]], dtype=np.float32)
        value = LOSSES["gaussian_nll"]().value_grad(
            raw32, np.array([[1.0]], dtype=np.float32), None, np.empty_like(raw32)
        )
        assert value == np.inf


# --------------------------------------------------------------------------
# the full network: θ-gradients through backprop
# --------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [(), (4,)])
@pytest.mark.parametrize("case", list(CASES))
def test_objective_gradient_through_the_network(case, hidden):
    """J/Σs and its θ-gradient through a linear model and an MLP (tanh, L2)
    whose output has ``n_raw_outputs`` columns, against central
    differences; a workspace sharing the output with its gradient (``grad
    is raw``) gives the same gradient."""
    name, kwargs = CASES[case]
    loss = LOSSES[name](**kwargs)
    rng = np.random.default_rng(7)
    n, n_features, k = 12, 3, 2
    _, _, Y, sw = make_case(case, n, k, seed=8)
    X = rng.normal(size=(n, n_features))
    layout = Layout((n_features, *hidden, loss.n_raw_outputs(Y.shape[1])))
    network = Network(layout, ACTIVATIONS["tanh"])
    objective = Objective(network, loss, make_penalty("l2", 0.7, 0.0), sw.sum())
    for _ in range(100):
        theta = layout.initial_theta(rng, np.float64, "glorot", "tanh")
        theta += rng.uniform(-0.3, 0.3, size=theta.size)
        params = Params(theta, layout)
        raw = network.predict_raw(params.coefs, params.intercepts, X)
        if name not in NON_SMOOTH or np.abs(raw - Y).min() > 1e-3:
            break
    else:  # pragma: no cover
        raise RuntimeError("could not draw a theta away from the kinks")
    results = []
    for share_output in (False, True):
        ws = network.workspace(n, np.float64, share_output=share_output)
        buffer = np.zeros(layout.size)
        grad_buffer = np.full(layout.size, np.nan)

        def f(t, want_grad=False, buffer=buffer, grad_buffer=grad_buffer, ws=ws):
            np.copyto(buffer, t)
            grads = Params(grad_buffer, layout)
            value = objective.value_grad(Params(buffer, layout), grads, X, Y, sw, ws)
            return (value, grad_buffer.copy()) if want_grad else value

        results.append(f(theta, True))
    (value, grad), (value_shared, grad_shared) = results
    assert value_shared == pytest.approx(value, rel=1e-14)
    assert_allclose(grad_shared, grad, rtol=1e-12, atol=1e-15)
    numeric = numerical_grad(f, theta.copy())
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


# --------------------------------------------------------------------------
# best constant, score, targets, parameters
# --------------------------------------------------------------------------


def mean_loss(loss, constants, Y, sw):
    """Σ s ℓ / Σ s of the constant raw output ``constants``."""
    raw = np.tile(np.asarray(constants, dtype=np.float64), (len(Y), 1))
    total = loss.value_grad(raw, Y, sw, np.empty_like(raw))
    return total / (len(Y) if sw is None else sw.sum())


def single_column_losses(case, loss, Y):
    """(loss, y column) pairs: the separate 1-D problems of best_constant."""
    name, kwargs = CASES[case]
    if case == "quantile_list":
        return [(LOSSES[name](quantile=q), Y) for q in kwargs["quantile"]]
    return [(loss, Y[:, [j]]) for j in range(Y.shape[1])]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("case", list(CASES))
def test_best_constant_minimises_the_mean_loss(case, weighted):
    """``best_constant`` has ``n_raw_outputs`` values, each minimising its
    column's mean loss: the piecewise-linear losses against every data
    point (where their minimum lies), the smooth ones against scipy's
    minimisers."""
    loss, _, Y, sw = make_case(case, 41, 2, seed=9)
    w = sw if weighted else None
    constants = loss.best_constant(Y, w)
    assert constants.shape == (loss.n_raw_outputs(Y.shape[1]),)
    name = CASES[case][0]
    if name == "gaussian_nll":
        for j in range(Y.shape[1]):
            pair = constants[[j, Y.shape[1] + j]]
            column = Y[:, [j]]
            found = minimize(
                lambda c, column=column: mean_loss(loss, c, column, w),
                x0=[0.0, 0.0],
                method="Nelder-Mead",
                options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 10000},
            )
            assert_allclose(pair, found.x, atol=1e-6)
            assert mean_loss(loss, pair, column, w) <= found.fun + 1e-12
        return
    for j, (column_loss, column) in enumerate(single_column_losses(case, loss, Y)):
        c = constants[j]

        def f(value, column_loss=column_loss, column=column):
            return mean_loss(column_loss, [value], column, w)

        if name in NON_SMOOTH:
            best = min(f(y) for y in column[:, 0])
            assert f(c) <= best + 1e-12
        else:
            low, high = column.min(), column.max()
            if name != "huber":
                low, high = np.log(max(low, 1e-3)), np.log(high)
            found = minimize_scalar(
                f, bounds=(low, high), method="bounded", options={"xatol": 1e-10}
            )
            assert c == pytest.approx(found.x, abs=1e-6)
            assert f(c) <= found.fun + 1e-12


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("case", list(CASES))
def test_best_constant_over_blocks(case, weighted):
    """The best constant of rows in blocks (training on Dask input), from
    each block's ``constant_summary`` and Σs: that of all the rows at once
    for the losses whose constant is the link of a mean (and the Gaussian's
    mean and variance), whatever the blocks, one of them weighing nothing;
    the blocks' constants averaged by their Σs for the median, quantile and
    Huber losses, which have no summary that adds up."""
    loss, _, Y, sw = make_case(case, 41, 2, seed=9)
    w = sw.copy() if weighted else np.ones(len(Y))
    w[30:35] = 0.0  # a block that weighs nothing
    cuts = [(0, 7), (7, 30), (30, 35), (35, 41)]
    summaries = [loss.constant_summary(Y[a:b], w[a:b]) for a, b in cuts]
    weights = [w[a:b].sum() for a, b in cuts]
    combined = loss.combined_constant(summaries, weights)
    if CASES[case][0] in ("absolute_error", "quantile", "huber"):
        expected = (
            sum(
                w[a:b].sum() * loss.best_constant(Y[a:b], w[a:b])
                for a, b in cuts
                if w[a:b].sum() > 0
            )
            / w.sum()
        )
        assert_allclose(combined, expected, rtol=1e-12)
    else:
        assert_allclose(combined, loss.best_constant(Y, w), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "name", ["squared_error", "poisson", "bernoulli_log_loss", "categorical_log_loss"]
)
def test_best_constant_over_blocks_of_the_classic_losses(name):
    """The same for the first likelihoods, class indicators (uint8) and the
    counts' and classes' half pseudo-observation included."""
    rng = np.random.default_rng(3)
    if name in ("bernoulli_log_loss", "categorical_log_loss"):
        Y = np.eye(3, dtype=np.uint8)[rng.integers(0, 3, 50)]
        Y = Y[:, :1] if name == "bernoulli_log_loss" else Y
    else:
        Y = rng.poisson(2.0, size=(50, 2)).astype(np.float64)
    loss = LOSSES[name]()
    w = rng.uniform(0.5, 2.0, 50)
    cuts = [(0, 3), (3, 20), (20, 50)]
    summaries = [loss.constant_summary(Y[a:b], w[a:b]) for a, b in cuts]
    combined = loss.combined_constant(summaries, [w[a:b].sum() for a, b in cuts])
    assert_allclose(combined, loss.best_constant(Y, w), rtol=1e-12, atol=1e-12)
    averaged = np.average(
        [loss.best_constant(Y[a:b], w[a:b]) for a, b in cuts],
        axis=0,
        weights=[w[a:b].sum() for a, b in cuts],
    )
    assert name == "squared_error" or np.abs(averaged - combined).max() > 1e-3


def test_best_constant_medians_and_quantiles():
    """The unweighted median of an even count is np.median's midpoint;
    integer weights act as repeated rows; a quantile list gives one
    constant per quantile."""
    y = np.array([[4.0], [1.0], [3.0], [10.0]])
    assert LOSSES["absolute_error"]().best_constant(y, None) == [3.5]
    w = np.array([1.0, 3.0, 1.0, 2.0])
    repeated = np.repeat(y, w.astype(int), axis=0)
    for q in (0.2, 0.5, 0.8):
        loss = LOSSES["quantile"](quantile=q)
        weighted = loss.best_constant(y, w)
        # a minimiser of the repeated rows' mean pinball loss
        assert (
            mean_loss(loss, weighted, repeated, None)
            <= min(mean_loss(loss, [v], repeated, None) for v in y[:, 0]) + 1e-12
        )
    loss = LOSSES["quantile"](quantile=[0.25, 0.75])
    assert_allclose(loss.best_constant(y, None), [2.0, 7.0])
    with pytest.raises(ValueError, match="quantile"):
        loss.best_constant(np.hstack([y, y]), None)
    # Huber: within δ of every point, the mean; a far outlier moves it little
    assert LOSSES["huber"](huber_delta=100.0).best_constant(y, None) == pytest.approx(
        [4.5]
    )
    assert LOSSES["huber"]().best_constant(
        np.array([[0.0], [0.1], [-0.1], [1e6]]), None
    )[0] == pytest.approx(0.45, abs=0.05)
    # a constant column
    assert LOSSES["huber"]().best_constant(np.full((3, 1), 2.0), None) == [2.0]


def test_gaussian_best_constant_floors_the_variance():
    """A constant column gets a variance floor, finite e^{−s} in float32."""
    loss = LOSSES["gaussian_nll"]()
    for Y in (np.full((5, 1), 3.0), np.zeros((5, 1))):
        mean, log_var = loss.best_constant(Y, None)
        assert mean == Y[0, 0]
        assert np.isfinite(np.exp(np.float32(-log_var)))


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("case", list(CASES))
def test_score(case, weighted):
    """R² of ``predict(raw)`` (the means, for gaussian_nll); minus the
    weighted mean pinball loss for quantile (averaged over a list's
    quantiles): higher is better."""
    loss, raw, Y, sw = make_case(case, 30, 2, seed=10)
    w = sw if weighted else None
    score = loss.score(raw, Y, w)
    assert type(score) is float
    name, kwargs = CASES[case]
    if name == "quantile":
        levels = np.atleast_1d(kwargs["quantile"])
        expected = -np.mean(
            [
                mean_pinball_loss(
                    Y[:, 0 if len(levels) > 1 else j],
                    raw[:, j],
                    alpha=levels[j % len(levels)],
                    sample_weight=w,
                )
                for j in range(raw.shape[1])
            ]
        )
        assert score == pytest.approx(expected, rel=1e-12)
        assert loss.score(np.tile(loss.best_constant(Y, w), (len(Y), 1)), Y, w) > score
        return
    prediction = {
        "gaussian_nll": raw[:, : Y.shape[1]],
        "gamma": np.exp(raw),
        "tweedie": np.exp(raw),
    }.get(name, raw)
    assert score == pytest.approx(r2_score(Y, prediction, sample_weight=w), rel=1e-12)


def test_check_targets():
    """Target ranges: a ValueError naming the loss, the power and the range."""
    positive = np.array([0.5, 2.0])
    zeros = np.array([0.0, 2.0])
    negative = np.array([-0.5, 2.0])
    LOSSES["gamma"]().check_targets(positive)
    for y in (zeros, negative):
        with pytest.raises(ValueError, match=r"loss='gamma'.*y > 0"):
            LOSSES["gamma"]().check_targets(y)
    for power in (1.0, 1.5):
        loss = LOSSES["tweedie"](power=power)
        loss.check_targets(zeros)
        with pytest.raises(ValueError, match=rf"power={power}.*y >= 0"):
            loss.check_targets(negative)
    for power in (2.0, 3.0):
        loss = LOSSES["tweedie"](power=power)
        loss.check_targets(positive)
        for y in (zeros, negative):
            with pytest.raises(ValueError, match=rf"power={power}.*y > 0"):
                loss.check_targets(y)
    LOSSES["tweedie"](power=0).check_targets(negative)
    for name in ("absolute_error", "quantile", "huber", "gaussian_nll"):
        LOSSES[name]().check_targets(negative)


@pytest.mark.parametrize(
    "name, key, bad",
    [
        ("quantile", "quantile", 0.0),
        ("quantile", "quantile", 1.0),
        ("quantile", "quantile", 1.5),
        ("quantile", "quantile", float("nan")),
        ("quantile", "quantile", [0.5, 1.0]),
        ("quantile", "quantile", []),
        ("huber", "huber_delta", 0.0),
        ("huber", "huber_delta", -1.0),
        ("huber", "huber_delta", float("nan")),
        ("huber", "huber_delta", float("inf")),
        ("tweedie", "power", 0.5),
        ("tweedie", "power", -1.0),
        ("tweedie", "power", float("nan")),
        ("tweedie", "power", float("inf")),
    ],
)
def test_bad_parameters_are_named(name, key, bad):
    for make in (
        lambda: LOSSES[name](**{key: bad}),
        lambda: LOSSES[name].from_params({key: bad}),
    ):
        with pytest.raises(ValueError, match=key):
            make()


def test_parameters_of_the_wrong_type_are_named():
    for name, key in (
        ("quantile", "quantile"),
        ("huber", "huber_delta"),
        ("tweedie", "power"),
    ):
        for bad in ("0.5", None, True):
            with pytest.raises(TypeError, match=key):
                LOSSES[name](**{key: bad})


def test_from_params_reads_its_own_keys_with_the_defaults():
    params = {"quantile": [0.1, 0.9], "huber_delta": 2.0, "power": 1.5, "alpha": 3.0}
    assert LOSSES["quantile"].from_params(params).quantile == [0.1, 0.9]
    assert LOSSES["huber"].from_params(params).huber_delta == 2.0
    assert LOSSES["tweedie"].from_params(params).power == 1.5
    assert LOSSES["quantile"].from_params({}).quantile == 0.5
    assert LOSSES["huber"].from_params({}).huber_delta == 1.35
    assert LOSSES["tweedie"].from_params({}).power == 0.0
    for name in LOSSES:
        assert isinstance(LOSSES[name].from_params(params), LOSSES[name])


ROUND_TRIPS = [
    ("quantile", {"quantile": np.float32(0.25)}),
    ("quantile", {"quantile": (0.1, np.float64(0.5), 0.9)}),
    ("quantile", {"quantile": np.array([0.05, 0.95])}),
    ("quantile", {"quantile": np.array(0.7)}),
    ("huber", {"huber_delta": 2}),
    ("tweedie", {"power": 1}),
    ("tweedie", {"power": np.float64(1.5)}),
    *[(name, {}) for name in LOSSES],
]


@pytest.mark.parametrize("name, kwargs", ROUND_TRIPS)
def test_registry_round_trip(name, kwargs):
    """``{"name": loss.name, **vars(loss)}`` holds plain floats and lists of
    floats, and ``LOSSES[name](**fields)`` rebuilds the same loss."""
    loss = LOSSES[name](**kwargs)
    fields = {"name": loss.name, **vars(loss)}
    for value in list(fields.values())[1:]:
        assert type(value) is float or (
            type(value) is list and all(type(v) is float for v in value)
        )
    rebuilt = LOSSES[fields.pop("name")](**fields)
    assert type(rebuilt) is type(loss) and vars(rebuilt) == vars(loss)
    assert vars(pickle.loads(pickle.dumps(loss))) == vars(loss)


def test_registry_holds_the_new_regression_losses():
    for name in NEW:
        cls = LOSSES[name]
        assert cls.name == name and cls.kind == "regression"
        assert name in REGRESSION_LOSSES
        assert cls.differentiable is (name not in NON_SMOOTH)
    assert {name: LOSSES[name].out_activation for name in NEW} == {
        "absolute_error": "identity",
        "quantile": "identity",
        "huber": "identity",
        "gamma": "exp",
        "tweedie": "exp",
        "gaussian_nll": "identity",
    }


def test_n_raw_outputs_predict_and_predict_std():
    rng = np.random.default_rng(11)
    for name in LOSSES:
        if name not in ("quantile", "gaussian_nll"):
            assert LOSSES[name]().n_raw_outputs(3) == 3
    assert LOSSES["quantile"](quantile=0.3).n_raw_outputs(3) == 3
    listed = LOSSES["quantile"](quantile=[0.1, 0.5, 0.9])
    assert listed.n_raw_outputs(1) == 3
    with pytest.raises(ValueError, match="quantile"):
        listed.n_raw_outputs(2)
    raw = rng.normal(size=(5, 3))
    assert_array_equal(listed.predict(raw), raw)
    gaussian = LOSSES["gaussian_nll"]()
    assert gaussian.n_raw_outputs(2) == 4
    raw = rng.normal(size=(5, 4))
    assert_array_equal(gaussian.predict(raw), raw[:, :2])
    assert_allclose(gaussian.predict_std(raw), np.sqrt(np.exp(raw[:, 2:])), rtol=1e-14)
    assert gaussian.predict_std(raw.astype(np.float32)).dtype == np.float32
    # the link pair: means and variances ↔ means and log-variances
    assert_allclose(gaussian.link(gaussian.inverse_link(raw)), raw, rtol=1e-12)
    for name in ("gamma", "tweedie"):
        assert_allclose(LOSSES[name]().predict(raw), np.exp(raw))
    for name in ("absolute_error", "huber"):
        assert_array_equal(LOSSES[name]().predict(raw), raw)
    for name in LOSSES:
        if name != "gaussian_nll":
            with pytest.raises(ValueError, match="gaussian_nll"):
                LOSSES[name]().predict_std(raw)


def test_subgradients_at_the_kinks():
    """At y = z the absolute error takes the subgradient 0 (sign), the
    pinball loss ½ − q (the mean of its one-sided slopes; scikit-learn's
    ``PinballLoss`` takes −q)."""
    raw = np.array([[1.0, -2.0], [0.5, 3.0]])
    Y = raw.copy()
    grad = np.empty_like(raw)
    assert LOSSES["absolute_error"]().value_grad(raw, Y, None, grad) == 0.0
    assert_array_equal(grad, 0.0)
    assert LOSSES["quantile"](quantile=0.8).value_grad(raw, Y, None, grad) == 0.0
    assert_allclose(grad, (0.5 - 0.8) / 2)
