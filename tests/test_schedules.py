"""Step-size schedules as functions of the run's clock, warmup, the plateau
rule in the monitor, and gradient clipping.

The estimators do not take ``warmup_fraction`` and ``max_grad_norm`` yet:
those are tested through the loop (``train_epochs``) directly.
"""

import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge

from sgdlearn import SGDLinearRegressor, SoftmaxClassifier
from sgdlearn._activations import ACTIVATIONS
from sgdlearn._losses import SquaredError
from sgdlearn._networks import Layout, Network
from sgdlearn._objective import Objective
from sgdlearn._optimizers import OPTIMIZERS, SGD, make_optimizer
from sgdlearn._penalties import make_penalty
from sgdlearn._schedules import SCHEDULES, Constant, Cosine, make_schedule
from sgdlearn._training import (
    Dataset,
    LoopConfig,
    TrainingState,
    clip_gradient,
    pack_state,
    train_epochs,
    unpack_state,
)

LR0 = 0.3


def cosine(step, n_steps, lr0=LR0):
    return lr0 * 0.5 * (1.0 + math.cos(math.pi * step / n_steps))


# -- the schedules as functions ------------------------------------------------


def test_registry_names_every_schedule_and_make_schedule_reads_its_keys():
    assert set(SCHEDULES) == {"constant", "invscaling", "adaptive", "cosine"}
    params = dict(learning_rate_init=0.2, power_t=0.25)
    for name, cls in SCHEDULES.items():
        schedule = make_schedule(dict(params, learning_rate=name))
        assert type(schedule) is cls
        assert schedule.lr0 == 0.2 and schedule.warmup_fraction == 0.0
    schedule = make_schedule(dict(params, learning_rate="invscaling"))
    assert schedule.power_t == 0.25
    warm = make_schedule(dict(params, learning_rate="cosine", warmup_fraction=0.1))
    assert warm.warmup_fraction == 0.1
    with pytest.raises(ValueError, match="learning_rate"):
        make_schedule(dict(params, learning_rate="cyclic"))
    with pytest.raises(ValueError, match="warmup_fraction"):
        Constant(0.1, warmup_fraction=1.0)


@pytest.mark.parametrize("n_steps", [1, 7, 100])
def test_cosine_rate_is_the_formula_at_every_step(n_steps):
    schedule = Cosine(LR0)
    assert schedule.varies_per_step
    for step in range(n_steps + 1):
        assert schedule.rate(step, n_steps, 1234) == pytest.approx(
            cosine(step, n_steps), rel=1e-14, abs=1e-300
        )
    assert schedule.rate(0, n_steps, 0) == LR0
    assert schedule.rate(n_steps, n_steps, 0) == 0.0
    # past the run η stays at 0
    assert schedule.rate(n_steps + 5, n_steps, 0) == 0.0


@pytest.mark.parametrize("name", ["constant", "cosine", "invscaling"])
def test_warmup_ramps_up_linearly_over_the_first_steps(name):
    n_steps, fraction = 40, 0.22  # ⌈8.8⌉ = 9 warmup steps
    params = dict(learning_rate=name, learning_rate_init=LR0, power_t=0.5)
    plain = make_schedule(params)
    warm = make_schedule(dict(params, warmup_fraction=fraction))
    assert warm.varies_per_step
    assert warm.warmup_steps(n_steps) == 9
    for step in range(n_steps):
        factor = (step + 1) / 9 if step < 9 else 1.0
        expected = plain.rate(step, n_steps, 50) * factor
        assert warm.rate(step, n_steps, 50) == pytest.approx(expected, rel=1e-14)
    if name == "constant":
        assert [warm.rate(s, n_steps, 0) for s in (0, 4, 8, 9)] == pytest.approx(
            [LR0 / 9, 5 * LR0 / 9, LR0, LR0], rel=1e-14
        )
    if name == "cosine":
        assert warm.rate(3, n_steps, 0) == pytest.approx(
            cosine(3, n_steps) * 4 / 9, rel=1e-14
        )


# -- the loop evaluates the schedule per step ---------------------------------


class _NoHooks:
    def epoch_begin(self, state):
        pass

    def epoch_end(self, state):
        return False


class RecordingSGD(SGD):
    """Plain SGD that records the rate of each step."""

    def __init__(self, n_params, dtype):
        super().__init__(n_params, dtype)
        self.lrs = []

    def step(self, theta, grad, lr, part=slice(None)):
        self.lrs.append(lr)
        super().step(theta, grad, lr, part)


def regression(n=60, p=4, seed=0, sparse=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    if sparse:
        X[rng.uniform(size=X.shape) < 0.6] = 0.0
        X = sp.csr_matrix(X)
    y = X @ rng.normal(size=p) + 0.1 * rng.normal(size=n) + 0.5
    return X, y


def loop_problem(X, alpha=1.0):
    """(objective, layout, train data) of ½Σ(y − z)² + ½·alpha·‖w‖² on X."""
    n, p = X.shape
    layout = Layout((p, 1))
    network = Network(layout, ACTIVATIONS["identity"])
    objective = Objective(network, SquaredError(), make_penalty("l2", alpha, 0.0), n)
    return objective, layout


def run_loop(X, y, schedule, config, optimizer=None, alpha=1.0, state=None):
    objective, layout = loop_problem(X, alpha)
    if state is None:
        rng = np.random.default_rng(0)
        theta = layout.initial_theta(rng, np.float64, "zeros", "identity")
        optimizer = optimizer or RecordingSGD(layout.size, np.float64)
        state = TrainingState(theta, optimizer, schedule, rng, None)
    train = Dataset(X, y[:, None], np.ones(X.shape[0]))
    train_epochs(objective, state, train, None, config, _NoHooks())
    return state


def test_the_loop_takes_each_step_at_the_schedules_rate():
    X, y = regression(n=60)
    # 60 rows in batches of 8: 8 batches per epoch (the last of 4 rows)
    config = LoopConfig(8, True, 5, 0.0, 10**6, False)
    state = run_loop(X, y, Cosine(LR0, warmup_fraction=0.1), config)
    n_steps = 5 * 8
    expected = [cosine(k, n_steps) * min(1.0, (k + 1) / 4) for k in range(n_steps)]
    assert_allclose(state.optimizer.lrs, expected, rtol=1e-14)
    assert state.step == n_steps
    # a constant rate without warmup is read once per epoch: one value
    state = run_loop(X, y, Constant(LR0), config)
    assert state.optimizer.lrs == [LR0] * n_steps


def test_warmup_path_is_gradient_descent_at_the_ramped_rates():
    """Full batch, 4 epochs, warmup over half of them: η₀/2, η₀, η₀, η₀."""
    X, y = regression(n=30)
    config = LoopConfig(30, False, 4, 0.0, 10**6, False)
    state = run_loop(X, y, Constant(0.05, warmup_fraction=0.5), config, alpha=2.0)
    assert state.optimizer.lrs == [0.025, 0.05, 0.05, 0.05]
    # by hand: θ ← θ − η·∇(J/n), J = ½‖y − Xw − b‖² + ½·alpha·‖w‖²
    n = X.shape[0]
    w, b = np.zeros(X.shape[1]), 0.0
    for lr in (0.025, 0.05, 0.05, 0.05):
        r = X @ w + b - y
        w, b = w - lr * (X.T @ r + 2.0 * w) / n, b - lr * r.sum() / n
    assert_allclose(state.theta, [*w, b], rtol=1e-12)


def test_plateau_decay_lives_in_the_state_and_applies_to_the_rate():
    """ "adaptive" through the loop: each plateau divides η by 5 (the state
    counts them), and training stops once η₀/5^k ≤ 1e-6."""
    X, y = regression(n=20)
    schedule = make_schedule(
        dict(learning_rate="adaptive", learning_rate_init=1e-3, power_t=0.5)
    )
    # tol so large that no epoch improves: a plateau at every epoch but the first
    config = LoopConfig(20, False, 100, 1e9, 0, False)
    state = run_loop(X, y, schedule, config)
    assert state.plateaus == 5
    # the 7th epoch's plateau stops: η₀/5⁵ = 3.2e-7 ≤ 1e-6
    assert state.n_iter == 7
    expected = [1e-3, 1e-3, 2e-4, 4e-5, 8e-6, 1.6e-6, 3.2e-7]
    assert_allclose(state.optimizer.lrs, expected, rtol=1e-12)
    assert vars(schedule) == {"lr0": 1e-3, "warmup_fraction": 0.0}  # no decay


@pytest.mark.parametrize("name", ["constant", "invscaling", "cosine"])
def test_other_schedules_stop_at_the_first_plateau(name):
    X, y = regression(n=20)
    schedule = make_schedule(
        dict(learning_rate=name, learning_rate_init=1e-3, power_t=0.5)
    )
    config = LoopConfig(20, False, 100, 1e9, 0, False)
    state = run_loop(X, y, schedule, config)
    assert state.n_iter == 2 and state.plateaus == 0


def test_schedules_and_their_clock_pack_to_plain_data():
    X, y = regression(n=20)
    config = LoopConfig(5, True, 3, 0.0, 10**6, False)
    optimizer = SGD(5, np.float64)
    state = run_loop(X, y, Cosine(LR0, warmup_fraction=0.2), config, optimizer)
    packed = pack_state(state)
    assert packed["schedule"] == {
        "kind": "Cosine",
        "fields": {"lr0": LR0, "warmup_fraction": 0.2},
    }
    assert (packed["step"], packed["schedule_samples"], packed["plateaus"]) == (
        12,
        60,
        0,
    )
    clone = unpack_state(packed)
    assert type(clone.schedule) is Cosine and clone.step == 12


# -- the run: fit, partial_fit, warm_start --------------------------------------


def _quiet_fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def test_cosine_fit_reaches_the_ridge_optimum():
    """Mini-batch SGD at a constant rate hovers around the optimum; annealed
    to 0 by the cosine schedule over the run it reaches Ridge's."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    y = X @ rng.normal(size=5) + 0.5 * rng.normal(size=400) + 1.0
    ridge = Ridge(alpha=10.0).fit(X, y)
    params = dict(solver="sgd", momentum=0.0, alpha=10.0, batch_size=20)
    params.update(learning_rate_init=0.05, max_iter=200, tol=0.0, random_state=0)
    params.update(n_iter_no_change=1000)

    def error(est):
        return max(
            np.abs(est.coef_ - ridge.coef_).max(),
            np.abs(est.intercept_ - ridge.intercept_).max(),
        )

    annealed = _quiet_fit(SGDLinearRegressor(learning_rate="cosine", **params), X, y)
    constant = _quiet_fit(SGDLinearRegressor(learning_rate="constant", **params), X, y)
    assert error(annealed) < 5e-4
    assert error(constant) > 3e-3


def test_partial_fit_stream_anneals_like_fit():
    """max_iter partial_fit calls on the same data are the fit of max_iter
    epochs: the step count goes on across calls and the run has max_iter ×
    the batches of a call."""
    X, y = regression(n=90, p=5)
    params = dict(solver="sgd", learning_rate="cosine", learning_rate_init=0.05)
    params.update(max_iter=6, batch_size=10, tol=0.0, n_iter_no_change=100)
    params.update(random_state=0)
    fitted = _quiet_fit(SGDLinearRegressor(**params), X, y)
    stream = SGDLinearRegressor(**params)
    for _ in range(6):
        stream.partial_fit(X, y)
    assert_allclose(stream.coef_, fitted.coef_, rtol=1e-12)
    assert_allclose(stream.intercept_, fitted.intercept_, rtol=1e-12)
    assert_allclose(stream.loss_curve_, fitted.loss_curve_, rtol=1e-12)
    # each call annealing over its own epoch would be another path
    short = SGDLinearRegressor(**{**params, "max_iter": 1})
    for _ in range(6):
        short.partial_fit(X, y)
    assert np.abs(short.coef_ - fitted.coef_).max() > 1e-6
    assert unpack_state(stream._state).step == 6 * 9


def test_warm_start_restarts_the_run():
    X, y = regression(n=90, p=5)
    params = dict(solver="sgd", learning_rate="cosine", learning_rate_init=0.05)
    params.update(max_iter=4, batch_size=10, tol=0.0, random_state=0)
    est = _quiet_fit(SGDLinearRegressor(warm_start=True, **params), X, y)
    assert unpack_state(est._state).step == 4 * 9
    _quiet_fit(est, X, y)
    assert unpack_state(est._state).step == 4 * 9


# -- the lazy sparse path -----------------------------------------------------


@pytest.mark.parametrize("solver", ["sgd", "adagrad"])
def test_per_step_schedules_on_sparse_data_take_the_dense_steps(
    solver, lazy_step_counter
):
    X, y = regression(n=80, p=6, sparse=True)
    labels = (y > 0.5).astype(int) + (y > 1.5)
    params = dict(solver=solver, alpha=2.0, batch_size=8, max_iter=4)
    params.update(learning_rate_init=0.05, random_state=0)
    counter = lazy_step_counter
    _quiet_fit(SoftmaxClassifier(learning_rate="constant", **params), X, labels)
    assert counter["batches"] == 4 * 10  # the lazy path is taken ...
    counter["batches"] = 0
    sparse_fit = _quiet_fit(
        SoftmaxClassifier(learning_rate="cosine", **params), X, labels
    )
    assert counter["batches"] == 0  # ... but not with a per-step schedule
    dense_fit = _quiet_fit(
        SoftmaxClassifier(learning_rate="cosine", **params), X.toarray(), labels
    )
    assert_allclose(sparse_fit.coef_, dense_fit.coef_, rtol=1e-10, atol=1e-12)


def test_optimizers_give_their_lazy_map_or_none():
    params = dict(momentum=0.9, nesterovs_momentum=True, epsilon=1e-8)
    params.update(rho=0.9, beta_1=0.9, beta_2=0.999)
    coef = np.zeros(3)
    for name, has_closed_form in [
        ("sgd", True),
        ("adagrad", True),
        ("rmsprop", False),
        ("adam", False),
    ]:
        optimizer = make_optimizer(name, 4, np.float64, params)
        assert type(optimizer) is OPTIMIZERS[name]
        weights = optimizer.lazy_weights(coef, 0.1, 0.01, 5)
        assert (weights is not None) == has_closed_form


# -- gradient clipping ----------------------------------------------------------


def test_clip_gradient_scales_long_gradients_to_the_bound():
    rng = np.random.default_rng(0)
    grad = rng.normal(size=50)
    norm = np.linalg.norm(grad)
    clipped = grad.copy()
    clip_gradient(clipped, 0.5)
    assert np.linalg.norm(clipped) == pytest.approx(0.5, rel=1e-12)
    assert_allclose(clipped, grad * (0.5 / norm), rtol=1e-12)
    short = grad.copy()
    clip_gradient(short, 2 * norm)
    assert_array_equal(short, grad)
    # float32 with a squared norm beyond the float32 range
    big = np.array([3e20, -4e20, 0.0], dtype=np.float32)
    with np.errstate(over="ignore"):
        clip_gradient(big, 1.0)
    assert big.dtype == np.float32
    assert_allclose(big, [0.6, -0.8, 0.0], rtol=1e-6)


def test_clipped_steps_are_at_most_max_grad_norm_times_lr():
    X, y = regression(n=40)
    y = 100 * y  # far from θ = 0: the first gradient is long
    lr, bound = 0.1, 0.5
    steps = []
    for max_grad_norm in (None, bound):
        config = LoopConfig(40, False, 1, 0.0, 10**6, False)
        config = LoopConfig(**{**vars(config), "max_grad_norm": max_grad_norm})
        state = run_loop(X, y, Constant(lr), config)
        steps.append(np.linalg.norm(state.theta))  # one step from θ = 0
    unclipped, clipped = steps
    assert unclipped > 10 * bound * lr
    assert clipped == pytest.approx(bound * lr, rel=1e-12)
    # mini-batches: every step's length is bounded
    config = LoopConfig(8, True, 3, 0.0, 10**6, False, max_grad_norm=bound)
    objective, layout = loop_problem(X)
    rng = np.random.default_rng(0)
    theta = layout.initial_theta(rng, np.float64, "zeros", "identity")
    optimizer = SGD(layout.size, np.float64)
    lengths = []
    original = optimizer.step

    def step(theta, grad, lr, part=slice(None)):
        before = theta.copy()
        original(theta, grad, lr, part)
        lengths.append(np.linalg.norm(theta - before))

    optimizer.step = step
    state = TrainingState(theta, optimizer, Constant(lr), rng, None)
    train = Dataset(X, y[:, None], np.ones(X.shape[0]))
    train_epochs(objective, state, train, None, config, _NoHooks())
    assert len(lengths) == 15
    assert max(lengths) <= bound * lr * (1 + 1e-12)


@pytest.mark.parametrize("sparse", [False, True])
def test_a_clipped_fit_reaches_the_same_optimum(sparse, lazy_step_counter):
    """Full-batch gradient descent with its gradient clipped far below its
    starting norm still converges to Ridge's optimum; sparse data then
    takes the dense steps."""
    X, y = regression(n=50, p=4, sparse=sparse)
    y = 20 * y
    alpha = 3.0
    counter = lazy_step_counter
    config = LoopConfig(50, False, 3000, 0.0, 10**6, False, max_grad_norm=0.5)
    state = run_loop(X, y, Constant(0.5), config, alpha=alpha)
    assert counter["batches"] == 0
    ridge = Ridge(alpha=alpha).fit(X, y)
    assert_allclose(state.theta, [*ridge.coef_, ridge.intercept_], atol=1e-8)
    # it did clip: the unclipped first step is longer than the bound allows
    first = run_loop(
        X, y, Constant(0.5), LoopConfig(50, False, 1, 0.0, 10**6, False), alpha=alpha
    )
    assert np.linalg.norm(first.theta) > 10 * 0.5 * 0.5
