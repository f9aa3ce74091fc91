"""Beyond one machine's memory, part 1: sparse input and out-of-core training.

- Sparse X (CSR, CSC, COO; float32 and float64) gives the same model as the
  same X dense, for all five estimators, and is never densified: the
  matrix methods that densify are patched to raise, and a wide problem
  (200,000 x 2^18 with 50 non-zeros per row, 420 GB dense) is fitted in a
  fresh subprocess whose peak memory is measured.
- ``partial_fit`` over chunks read from an ``np.memmap`` file, or from a
  generator of chunks, reaches the quality of ``fit`` in memory with the same
  number of epochs; scikit-learn callbacks report on each call.

The memory measurement runs this file as a script, which prints one JSON
line per fit; run it by hand to see the figures (they are quoted in
docs/user_guide/out_of_core.rst; ``--help`` lists the options)::

    OPENBLAS_NUM_THREADS=1 python tests/test_scaling.py --estimator logistic \
        --solvers sgd,adagrad,rmsprop,adam --n-samples 200000 \
        --log2-features 18 --epochs 3

The Dask tests are in test_dask.py.
"""

import argparse
import gc
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import ALL, CLASSIFIERS, MLPS, QuietCallback, several_iterations
from sklearn.exceptions import ConvergenceWarning

from sgdlearn import (
    MLPClassifier,
    MLPRegressor,
    SGDLinearRegressor,
    SGDLogisticClassifier,
    SoftmaxClassifier,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# the estimators whose loss has a diagonal Hessian: solver='newton' fits them
LINEAR_NEWTON = (SGDLinearRegressor, SGDLogisticClassifier)


def make_estimator(Estimator, **params):
    """A small, seeded estimator; MLPs get one hidden layer of 8 units."""
    if Estimator in MLPS:
        params.setdefault("hidden_layer_sizes", (8,))
    params.setdefault("random_state", 0)
    return Estimator(**params)


def parameters(est):
    """Every fitted weight and intercept of ``est``, as one flat vector."""
    if hasattr(est, "coefs_"):
        arrays = est.coefs_ + est.intercepts_
    else:
        arrays = [est.coef_, est.intercept_]
    return np.concatenate([np.ravel(a) for a in arrays])


def assert_same_model(a, b, rtol):
    """Parameters equal up to ``rtol`` of their largest magnitude."""
    pa, pb = parameters(a), parameters(b)
    assert pa.dtype == pb.dtype
    scale = np.abs(pb).max()
    assert np.abs(pa - pb).max() <= rtol * scale, np.abs(pa - pb).max() / scale


def sparse_problem(n_samples=300, n_features=40, density=0.1, seed=0):
    """Sparse CSR X and targets for every estimator: real, 3 classes, binary."""
    rng = np.random.default_rng(seed)
    X = sp.random(
        n_samples, n_features, density=density, format="csr", random_state=seed
    )
    score = X @ rng.standard_normal(n_features)
    targets = {
        "regression": score + 0.1 * rng.standard_normal(n_samples),
        "multiclass": np.digitize(score, np.quantile(score, [1 / 3, 2 / 3])),
        "binary": (score > np.median(score)).astype(int),
    }
    return X, targets


def target_for(Estimator, targets):
    return targets["multiclass" if Estimator in CLASSIFIERS else "regression"]


X_SPARSE, TARGETS = sparse_problem()


# -- sparse and dense X give the same model --------------------------------------

# (rtol for float64, rtol for float32) of the parameters of the two fits.
# Sparse and dense products sum in different orders, so they agree to
# rounding; L-BFGS's line searches amplify float32 rounding the most.
TOLERANCES = {"lbfgs": (1e-7, 1e-3), "sgd": (1e-9, 1e-4), "adam": (1e-9, 1e-4)}


@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
@pytest.mark.parametrize("Estimator", ALL)
def test_sparse_and_dense_input_fit_the_same_model(Estimator, fmt, dtype, solver):
    X = X_SPARSE.asformat(fmt).astype(dtype)
    y = target_for(Estimator, TARGETS)
    # sgd in order; adam shuffled (both fits draw the same batches)
    params = {"solver": solver, "max_iter": 20, "shuffle": solver == "adam"}
    sparse_fit = make_estimator(Estimator, **params).fit(X, y)
    dense_fit = make_estimator(Estimator, **params).fit(X.toarray(), y)

    assert parameters(sparse_fit).dtype == dtype
    rtol = TOLERANCES[solver][dtype == np.float32]
    assert_same_model(sparse_fit, dense_fit, rtol)
    assert sparse_fit.n_iter_ == dense_fit.n_iter_

    # predictions on sparse X are those on dense X, in the training dtype
    if Estimator in CLASSIFIERS:
        proba = sparse_fit.predict_proba(X)
        assert proba.dtype == dtype
        np.testing.assert_allclose(
            proba, dense_fit.predict_proba(X.toarray()), atol=10 * rtol
        )
    else:
        pred = sparse_fit.predict(X)
        assert pred.dtype == dtype
        np.testing.assert_allclose(
            pred,
            dense_fit.predict(X.toarray()),
            atol=10 * rtol * np.abs(pred).max(),
        )


# -- nothing densifies ----------------------------------------------------------


def _refuse_to_densify(monkeypatch):
    """Make every scipy.sparse densifying method raise for the test's duration.

    Except for a square matrix of at most n_features + 1 rows: the Hessian
    of a Newton step (``_newton``), a product of the data, not the data.
    """
    side = X_SPARSE.shape[1] + 1

    def refusing(original):
        def densify(self, *args, **kwargs):
            if self.shape[0] == self.shape[1] <= side:
                return original(self, *args, **kwargs)
            raise AssertionError(f"{type(self).__name__} was densified")

        return densify

    kinds = [sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array, sp.coo_array]
    for kind in kinds:
        for cls in kind.__mro__:
            for name in ("toarray", "todense"):
                if name in cls.__dict__:
                    monkeypatch.setattr(cls, name, refusing(cls.__dict__[name]))


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "csr_array"])
@pytest.mark.parametrize("Estimator", ALL)
def test_no_code_path_densifies_sparse_input(Estimator, fmt, monkeypatch):
    """fit (plain, weighted, with early stopping, with a validation set, with
    dropout), partial_fit, warm_start and every predicting method."""
    if fmt == "csr_array":
        X = sp.csr_array(X_SPARSE)
    else:
        X = X_SPARSE.asformat(fmt)
    y = target_for(Estimator, TARGETS)
    weight = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[0])
    _refuse_to_densify(monkeypatch)

    fits = [
        ({}, {}),
        ({}, {"sample_weight": weight}),
        ({"early_stopping": True}, {}),
        ({}, {"X_val": X, "y_val": y}),
        ({"dropout": 0.2}, {}),
        ({"solver": "lbfgs"}, {}),
        ({"solver": "newton"}, {}) if Estimator in LINEAR_NEWTON else ({}, {}),
        ({"warm_start": True}, {}),
    ]
    for params, fit_params in fits:
        est = make_estimator(Estimator, max_iter=3, **params).fit(X, y, **fit_params)
        if params.get("warm_start"):
            est.fit(X, y)

    est = make_estimator(Estimator)
    classes = {"classes": np.unique(y)} if Estimator in CLASSIFIERS else {}
    est.partial_fit(X, y, **classes)
    est.partial_fit(X, y, sample_weight=weight)
    est.predict(X)
    est.score(X, y)
    if Estimator in CLASSIFIERS:
        est.predict_proba(X)
        est.predict_log_proba(X)
        if hasattr(est, "decision_function"):  # not MLPClassifier (issue 13)
            est.decision_function(X)


# -- penalties and per-coordinate optimizers with sparse gradients ---------------


@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
@pytest.mark.parametrize(
    "solver", ["sgd", "sgd-momentum", "adagrad", "rmsprop", "adam"]
)
@pytest.mark.parametrize("Estimator", [SGDLogisticClassifier, MLPRegressor])
def test_penalties_and_optimizers_are_exact_on_sparse_gradients(
    Estimator, solver, penalty
):
    """Sparse and dense X give the same model for every optimizer and penalty,
    and L1 zeroes the same weights."""
    X = X_SPARSE
    y = TARGETS["binary" if Estimator in CLASSIFIERS else "regression"]
    params = {
        "solver": "sgd" if solver.startswith("sgd") else solver,
        "momentum": 0.9 if solver == "sgd-momentum" else 0.0,
        "penalty": penalty,
        # strong enough (alpha / n_samples per sample) for L1 to zero weights
        "alpha": 5.0,
        "l1_ratio": 0.5,
        "max_iter": 15,
        "learning_rate_init": 0.05,
    }
    if Estimator not in MLPS:
        params["batch_size"] = 256  # one batch: the equality holds to 1e-9
    sparse_fit = make_estimator(Estimator, **params).fit(X, y)
    dense_fit = make_estimator(Estimator, **params).fit(X.toarray(), y)
    assert_same_model(sparse_fit, dense_fit, 1e-9)
    if penalty != "l2":
        zeros = parameters(sparse_fit) == 0
        assert zeros.any()
        np.testing.assert_array_equal(zeros, parameters(dense_fit) == 0)


LAZY_SOLVERS = {
    "sgd": {"solver": "sgd", "momentum": 0.0},
    "heavy-ball": {"solver": "sgd", "momentum": 0.9, "nesterovs_momentum": False},
    "nesterov": {"solver": "sgd", "momentum": 0.9, "nesterovs_momentum": True},
    "adagrad": {"solver": "adagrad"},
}


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("solver", list(LAZY_SOLVERS))
@pytest.mark.parametrize(
    "Estimator", [SGDLinearRegressor, SGDLogisticClassifier, SoftmaxClassifier]
)
def test_lazy_sparse_steps_are_the_dense_steps(
    Estimator, solver, shuffle, lazy_step_counter
):
    """A linear model on sparse X with 'sgd' or 'adagrad' updates only the
    features each batch touches and catches the others up later; the model
    is the one dense steps give, for one output and several (softmax, three
    one-vs-rest columns), weighted rows, in order or shuffled, and a penalty
    strong enough that the idle shrinkage matters."""
    X = X_SPARSE
    y = target_for(Estimator, TARGETS)
    weight = np.random.default_rng(1).uniform(0.5, 2.0, X.shape[0])
    params = {
        **LAZY_SOLVERS[solver],
        "alpha": 3.0,
        "batch_size": 16,
        "max_iter": 8,
        "learning_rate_init": 0.05,
        "shuffle": shuffle,
    }
    counter = lazy_step_counter
    sparse_fit = make_estimator(Estimator, **params).fit(X, y, sample_weight=weight)
    assert counter["batches"] == 8 * -(-X.shape[0] // 16)
    dense_fit = make_estimator(Estimator, **params).fit(
        X.toarray(), y, sample_weight=weight
    )
    assert counter["batches"] == 8 * -(-X.shape[0] // 16)  # dense: no lazy steps
    assert_same_model(sparse_fit, dense_fit, 1e-9)
    np.testing.assert_allclose(sparse_fit.loss_curve_, dense_fit.loss_curve_, rtol=1e-9)


@pytest.mark.parametrize("solver", list(LAZY_SOLVERS))
def test_lazy_sparse_steps_keep_the_intercept_at_zero_without_fit_intercept(
    solver, lazy_step_counter
):
    """fit_intercept=False on the lazy path: b stays 0 and the weights are
    those of the dense steps."""
    X = X_SPARSE
    y = TARGETS["multiclass"]
    params = {**LAZY_SOLVERS[solver], "alpha": 3.0, "batch_size": 16}
    params.update(max_iter=5, learning_rate_init=0.05, fit_intercept=False)
    counter = lazy_step_counter
    sparse_fit = make_estimator(SGDLogisticClassifier, **params).fit(X, y)
    assert counter["batches"] > 0
    dense_fit = make_estimator(SGDLogisticClassifier, **params).fit(X.toarray(), y)
    assert np.all(sparse_fit.intercept_ == 0.0)
    assert_same_model(sparse_fit, dense_fit, 1e-9)


def test_lazy_plain_sgd_folds_its_scale_back_in(monkeypatch):
    """Plain SGD keeps θ = scale·V on sparse data; a penalty that halves the
    weights at every step drives the scale below 1e-9 within an epoch, and
    folding it back in keeps the model the dense one."""
    X = X_SPARSE
    y = TARGETS["regression"]
    # η·λ = lr·alpha/n = 0.5: each step halves every weight before the data step
    params = {"solver": "sgd", "momentum": 0.0, "batch_size": 4, "max_iter": 3}
    params["random_state"] = 0
    params.update(learning_rate_init=0.1, alpha=5.0 * X.shape[0], tol=0.0)
    sparse_fit = SGDLinearRegressor(**params).fit(X, y)
    dense_fit = SGDLinearRegressor(**params).fit(X.toarray(), y)
    assert_same_model(sparse_fit, dense_fit, 1e-9)
    assert np.isfinite(sparse_fit.coef_).all() and np.abs(sparse_fit.coef_).max() > 0


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize(
    "decay, in_modes",
    [(5e-4, True), (0.05, False)],  # ηλ; at 0.05 the eigenvalues are complex
)
def test_lazy_momentum_steps_in_modes_or_from_a_table(nesterov, decay, in_modes):
    """SGD with momentum steps idle weights in the eigenbasis of its 2 × 2
    idle map when the eigenvalues are real and well separated (two scaled
    modes, no catch-up), else from a table of the map's powers; both give
    the dense steps' model, here with a decay ηλ of 5e-4 and of 0.05."""
    from sgdlearn._optimizers import SGD, _MomentumSGDModes, _MomentumSGDWeights

    lr = 0.05
    optimizer = SGD(10, np.float64, momentum=0.9, nesterov=nesterov)
    weights = optimizer.lazy_weights(np.zeros(8), lr, decay / lr, 10)
    assert type(weights) is (_MomentumSGDModes if in_modes else _MomentumSGDWeights)

    X = X_SPARSE
    y = TARGETS["multiclass"]
    params = {"solver": "sgd", "momentum": 0.9, "nesterovs_momentum": nesterov}
    params.update(batch_size=4, max_iter=3, random_state=0, tol=0.0)
    params.update(learning_rate_init=lr, alpha=decay / lr * X.shape[0])
    sparse_fit = SoftmaxClassifier(**params).fit(X, y)
    dense_fit = SoftmaxClassifier(**params).fit(X.toarray(), y)
    assert_same_model(sparse_fit, dense_fit, 1e-9)


def test_lazy_momentum_modes_fold_their_scales_back_in(monkeypatch):
    """The fast mode of momentum (eigenvalue ≈ μ = 0.5) shrinks its scale
    below 1e-9 in about 30 steps, well within an epoch of 2-row batches;
    folding it back in keeps the model the dense one."""
    from sgdlearn import _optimizers

    folds = {"n": 0}
    original = _optimizers._MomentumSGDModes.step

    def counting(self, *args):
        before = list(self.scales)
        original(self, *args)
        folds["n"] += sum(s == 1.0 != b for s, b in zip(self.scales, before))

    monkeypatch.setattr(_optimizers._MomentumSGDModes, "step", counting)
    X = X_SPARSE
    y = TARGETS["regression"]
    params = {"solver": "sgd", "momentum": 0.5, "batch_size": 2, "max_iter": 2}
    params.update(random_state=0, tol=0.0, alpha=1.0)
    sparse_fit = SGDLinearRegressor(**params).fit(X, y)
    assert folds["n"] > 0
    dense_fit = SGDLinearRegressor(**params).fit(X.toarray(), y)
    assert_same_model(sparse_fit, dense_fit, 1e-9)


def test_lazy_steps_take_each_feature_of_a_batch_once():
    """The catch-up and the step gather each of a batch's features once,
    however often its rows repeat it (found without sorting), batch after
    batch with the same buffers."""
    from sgdlearn._lazy import LazySparseSteps

    steps = LazySparseSteps.__new__(LazySparseSteps)  # the buffers alone
    steps._slot = np.empty(50, dtype=np.intp)
    steps._positions = np.arange(0)
    rng = np.random.default_rng(0)
    for size in (5, 300, 40):
        entries = rng.integers(0, 50, size).astype(np.int32)
        distinct = steps._distinct(entries)
        assert distinct.dtype == np.intp
        assert sorted(distinct.tolist()) == np.unique(entries).tolist()


def test_lazy_steps_bring_every_weight_up_to_date_when_interrupted(monkeypatch):
    """A KeyboardInterrupt in the middle of a lazy epoch still catches up the
    weights that no batch touched since (the loop's ``finally``)."""
    from sgdlearn import _lazy

    original = _lazy.LazySparseSteps.step
    calls = {"n": 0}

    def interrupt_later(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 30:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    X = X_SPARSE
    y = TARGETS["regression"]
    params = {"solver": "sgd", "momentum": 0.9, "batch_size": 4, "alpha": 30.0}
    params["random_state"] = 0
    monkeypatch.setattr(_lazy.LazySparseSteps, "step", interrupt_later)
    with pytest.warns(UserWarning, match="interrupted"):
        sparse_fit = SGDLinearRegressor(**params).fit(X, y)
    monkeypatch.setattr(_lazy.LazySparseSteps, "step", original)

    # the same 29 batches, taken densely
    dense = SGDLinearRegressor(**params, max_iter=1, shuffle=True)
    from sgdlearn import _training

    dense_original = _training.DenseSteps.step
    dense_calls = {"n": 0}

    def dense_interrupt(self, *args, **kwargs):
        dense_calls["n"] += 1
        if dense_calls["n"] == 30:
            raise KeyboardInterrupt
        return dense_original(self, *args, **kwargs)

    monkeypatch.setattr(_training.DenseSteps, "step", dense_interrupt)
    with pytest.warns(UserWarning, match="interrupted"):
        dense.fit(X.toarray(), y)
    assert_same_model(sparse_fit, dense, 1e-9)


@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
@pytest.mark.parametrize("solver", ["sgd", "adagrad", "rmsprop", "adam"])
@pytest.mark.parametrize(
    "Estimator", [SGDLinearRegressor, SGDLogisticClassifier, SoftmaxClassifier]
)
def test_weights_of_absent_features_stay_exactly_zero(Estimator, solver, penalty):
    """A linear model starts at 0; a feature that is 0 in every row gets a zero
    gradient, a zero penalty gradient and a zero L1 step, whatever the
    optimizer's per-coordinate state: its weight stays exactly 0."""
    X = X_SPARSE.tolil()
    absent = [3, 17, 31]
    X[:, absent] = 0
    X = X.tocsr()
    X.eliminate_zeros()
    y = target_for(Estimator, TARGETS)
    est = make_estimator(
        Estimator, solver=solver, penalty=penalty, alpha=0.01, max_iter=10
    ).fit(X, y)
    coef = np.atleast_2d(est.coef_)
    assert np.all(coef[:, absent] == 0)
    assert np.count_nonzero(coef) > 0


def test_sparse_index_variants_are_accepted():
    """64-bit indices, unsorted indices and duplicate entries (summed, as
    scipy defines them) give the model of the canonical matrix."""
    X = X_SPARSE.copy()
    y = TARGETS["binary"]
    reference = make_estimator(SGDLogisticClassifier, max_iter=5).fit(X, y)

    wide = X.copy()
    wide.indices = wide.indices.astype(np.int64)
    wide.indptr = wide.indptr.astype(np.int64)

    # each row's entries reversed and twice, at half the value: unsorted, with
    # duplicates that sum to the original
    data, indices, indptr = [], [], [0]
    for i in range(X.shape[0]):
        start, stop = X.indptr[i], X.indptr[i + 1]
        cols, vals = X.indices[start:stop][::-1], X.data[start:stop][::-1] / 2
        data += [vals, vals]
        indices += [cols, cols]
        indptr.append(indptr[-1] + 2 * (stop - start))
    messy = sp.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.array(indptr)),
        shape=X.shape,
    )
    assert not messy.has_canonical_format

    for variant in (wide, messy):
        est = make_estimator(SGDLogisticClassifier, max_iter=5).fit(variant, y)
        assert_same_model(est, reference, 1e-9)
        np.testing.assert_allclose(
            est.decision_function(variant), reference.decision_function(X)
        )


# -- a wide problem: memory far below the dense size --------------------------------


def _status_kb(key):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def _reset_peak():
    """Reset the peak RSS (VmHWM) of this process; False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def _max_rss_kb():
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def wide_sparse_problem(n_samples, n_features, nnz_per_row, dtype, seed=0):
    """CSR X with ``nnz_per_row`` random columns per row, built with NumPy
    directly, and labels from a true weight vector with 10% non-zeros."""
    rng = np.random.default_rng(seed)
    nnz = n_samples * nnz_per_row
    indices = rng.integers(0, n_features, size=nnz, dtype=np.int32)
    data = rng.standard_normal(nnz, dtype=np.float32).astype(dtype, copy=False)
    indptr = np.arange(0, nnz + 1, nnz_per_row, dtype=np.int64)
    if nnz < np.iinfo(np.int32).max:
        indptr = indptr.astype(np.int32)
    X = sp.csr_matrix((data, indices, indptr), shape=(n_samples, n_features))
    w = np.zeros(n_features, dtype=dtype)
    support = rng.choice(n_features, n_features // 10, replace=False)
    w[support] = rng.standard_normal(support.size)
    y = (X @ w > 0).astype(np.int64)
    return X, y


def measure_wide_sparse_fits(
    estimator,
    solvers,
    n_samples,
    log2_features,
    nnz_per_row,
    epochs,
    hidden,
    dtype,
    batch_size=None,
):
    """Fit a wide sparse problem with each solver in turn; for each, the peak
    memory of the fit and the time per epoch.

    Meant for a fresh process: the peak RSS (VmHWM) is reset after the data
    is built and before each fit, so ``fit_extra_mb`` is what that fit added
    at its peak. Where the peak cannot be reset, the process's lifetime peak
    is used instead, an upper bound.
    """
    dtype = np.dtype(dtype)
    n_features = 2**log2_features
    X, y = wide_sparse_problem(n_samples, n_features, nnz_per_row, dtype)
    batch = {} if batch_size is None else {"batch_size": batch_size}
    results = []
    for solver in solvers:
        if estimator == "logistic":
            est = SGDLogisticClassifier(
                solver=solver, max_iter=epochs, tol=0, random_state=0, **batch
            )
        elif estimator == "mlp":
            est = MLPClassifier(
                hidden_layer_sizes=(hidden,),
                solver=solver,
                max_iter=epochs,
                tol=0,
                random_state=0,
                **batch,
            )
        elif estimator == "sklearn-sgdclassifier":  # a reference for the timings
            from sklearn.linear_model import SGDClassifier

            est = SGDClassifier(
                loss="log_loss", max_iter=epochs, tol=None, random_state=0
            )
        else:
            raise ValueError(estimator)

        gc.collect()
        exact = sys.platform.startswith("linux") and _reset_peak()
        before_kb = _status_kb("VmRSS") if sys.platform.startswith("linux") else 0
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, y)
        seconds = time.perf_counter() - start
        peak_kb = _status_kb("VmHWM") if exact else _max_rss_kb()
        results.append(
            {
                "estimator": estimator,
                "solver": solver if estimator != "sklearn-sgdclassifier" else "sgd",
                "batch_size": getattr(est, "batch_size", 1),
                "dtype": dtype.name,
                "shape": [n_samples, n_features],
                "nnz": int(X.nnz),
                "dense_gb": n_samples * n_features * dtype.itemsize / 1e9,
                "sparse_mb": (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes) / 1e6,
                "rss_before_fit_mb": before_kb / 1e3,
                "peak_mb": peak_kb / 1e3,
                "fit_extra_mb": (peak_kb - before_kb) / 1e3,
                "peak_is_exact": bool(exact),
                "epochs": epochs,
                "seconds_per_epoch": seconds / epochs,
                "train_accuracy": float(est.score(X, y)),
            }
        )
        del est
    return results


def run_measurement(**options):
    """Run :func:`measure_wide_sparse_fits` in a fresh interpreter."""
    args = [sys.executable, os.path.abspath(__file__)]
    for name, value in options.items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    # one BLAS thread: the figure is about memory, and tests run in parallel
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=300, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    for result in results:
        print(json.dumps(result))  # shown with pytest -s or on failure
    return results


@pytest.mark.slow  # a fresh interpreter, 200,000 rows
def test_wide_sparse_logistic_fit_stays_far_below_the_dense_size():
    """200,000 x 2^18 with 50 non-zeros per row: 420 GB dense, 120 MB as CSR."""
    results = run_measurement(
        estimator="logistic",
        solvers="sgd,adagrad",
        n_samples=200_000,
        log2_features=18,
        nnz_per_row=50,
        epochs=2,
    )
    assert [r["solver"] for r in results] == ["sgd", "adagrad"]
    for result in results:
        assert result["dense_gb"] > 400
        # Each fit adds a few MB (θ, its gradient and the optimizer's state
        # are 2 MB each). One densified batch of 256 rows would be 537 MB.
        assert result["fit_extra_mb"] < 500, result
        assert result["train_accuracy"] > 0.65, result  # chance is 0.5


@pytest.mark.slow  # a fresh interpreter
def test_wide_sparse_mlp_first_layer_stays_far_below_the_dense_size():
    """20,000 x 2^16 with 50 non-zeros per row into 16 hidden units: the first
    layer multiplies the sparse batch directly (10.5 GB dense)."""
    (result,) = run_measurement(
        estimator="mlp",
        solvers="adam",
        n_samples=20_000,
        log2_features=16,
        nnz_per_row=50,
        epochs=2,
        hidden=16,
    )
    assert result["dense_gb"] > 10
    # the first layer's weights are 8 MB; Adam keeps three more such vectors
    assert result["fit_extra_mb"] < 500, result
    assert result["train_accuracy"] > 0.65, result  # chance is 0.5


# -- out-of-core: partial_fit over chunks ---------------------------------------------

N_ROWS, N_COLS, CHUNK = 20_000, 20, 2_000


def make_stream_problem(Estimator, n_samples, seed):
    """Dense standardised features and a target of the estimator's kind."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, N_COLS))
    W = np.random.default_rng(1234).standard_normal((N_COLS, 3))  # one task
    scores = X @ W / np.sqrt(N_COLS)
    if Estimator in CLASSIFIERS:
        # the largest of three noisy linear scores
        y = np.argmax(scores + 0.3 * rng.standard_normal(scores.shape), axis=1)
    else:
        y = scores[:, 0] + 0.3 * rng.standard_normal(n_samples)
    return X, y


def write_memmap(directory, X, y):
    """Write X and y to raw binary files; return their paths."""
    x_path, y_path = directory / "X.f64", directory / "y.f64"
    X.astype(np.float64).tofile(x_path)
    y.astype(np.float64).tofile(y_path)
    return x_path, y_path


def memmap_chunks(x_path, y_path, n_cols, chunk_rows):
    """Yield (X, y) chunks of the files, each through a memmap of just that
    chunk: only one chunk is ever mapped (and resident)."""
    itemsize = np.dtype(np.float64).itemsize
    n_rows = os.path.getsize(y_path) // itemsize
    for start in range(0, n_rows, chunk_rows):
        rows = min(chunk_rows, n_rows - start)
        X = np.memmap(
            x_path,
            dtype=np.float64,
            mode="r",
            offset=start * n_cols * itemsize,
            shape=(rows, n_cols),
        )
        y = np.memmap(
            y_path, dtype=np.float64, mode="r", offset=start * itemsize, shape=(rows,)
        )
        yield X, y
        del X, y


# The same settings for the stream and the reference fit. The MLPs learn
# slowly in 5 epochs with scikit-learn's default step of 0.001, so both use
# the linear models' default of 0.01.
STREAM_PARAMS = {"max_iter": 5, "tol": 0, "learning_rate_init": 0.01}


@pytest.mark.parametrize("Estimator", ALL)
def test_partial_fit_over_memmap_chunks_matches_fit_in_memory(Estimator, tmp_path):
    X, y = make_stream_problem(Estimator, N_ROWS, seed=0)
    X_test, y_test = make_stream_problem(Estimator, 5_000, seed=1)
    y_file = y if Estimator not in CLASSIFIERS else y.astype(np.float64)
    x_path, y_path = write_memmap(tmp_path, X, y_file)
    params = STREAM_PARAMS
    epochs = params["max_iter"]

    in_memory = make_estimator(
        Estimator, **params, **several_iterations(Estimator)
    ).fit(X, y)

    streamed = make_estimator(Estimator, **params)
    classes = {"classes": np.unique(y)} if Estimator in CLASSIFIERS else {}
    for _ in range(epochs):
        for X_chunk, y_chunk in memmap_chunks(x_path, y_path, N_COLS, CHUNK):
            if Estimator in CLASSIFIERS:
                y_chunk = y_chunk.astype(np.int64)
            streamed.partial_fit(X_chunk, y_chunk, **classes)

    assert streamed.t_ == in_memory.t_ == epochs * N_ROWS
    assert len(streamed.loss_curve_) == epochs * (N_ROWS // CHUNK)
    s_stream = streamed.score(X_test, y_test)
    s_memory = in_memory.score(X_test, y_test)
    # accuracy, or R² for the regressors (about 0.9 here)
    assert s_memory > (0.8 if Estimator in CLASSIFIERS else 0.85)
    assert abs(s_stream - s_memory) < 0.02, (s_stream, s_memory)


def chunk_generator(Estimator, n_chunks, chunk_rows, seed):
    """Chunks made on the fly from a seeded generator: never stored whole."""
    for k in range(n_chunks):
        yield make_stream_problem(Estimator, chunk_rows, seed=seed * 1000 + k)


@pytest.mark.parametrize("Estimator", [SGDLogisticClassifier, MLPRegressor])
def test_partial_fit_over_a_generator_matches_fit_in_memory(Estimator):
    params = STREAM_PARAMS
    epochs, n_chunks = params["max_iter"], N_ROWS // CHUNK
    X_test, y_test = make_stream_problem(Estimator, 5_000, seed=1)

    streamed = make_estimator(Estimator, **params)
    classes = {"classes": [0, 1, 2]} if Estimator in CLASSIFIERS else {}
    for _ in range(epochs):
        for X_chunk, y_chunk in chunk_generator(Estimator, n_chunks, CHUNK, seed=7):
            streamed.partial_fit(X_chunk, y_chunk, **classes)

    # the same rows, materialised, for the reference fit
    chunks = list(chunk_generator(Estimator, n_chunks, CHUNK, seed=7))
    X = np.vstack([c[0] for c in chunks])
    y = np.concatenate([c[1] for c in chunks])
    in_memory = make_estimator(Estimator, **params).fit(X, y)

    s_stream = streamed.score(X_test, y_test)
    s_memory = in_memory.score(X_test, y_test)
    assert abs(s_stream - s_memory) < 0.02, (s_stream, s_memory)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_chunked_partial_fit_is_fit_when_alpha_is_scaled_to_the_chunk(solver):
    """partial_fit's objective is the one of the data it is given: its penalty
    is alpha / Σs of the chunk. A stream of equal chunks of c rows out of n
    therefore follows fit(alpha)'s path exactly with alpha · c / n (same
    batches: shuffle=False and a batch size dividing the chunk; no intercept,
    which fit and partial_fit start from different data)."""
    X, y = make_stream_problem(SGDLinearRegressor, N_ROWS, seed=0)
    alpha, epochs = 500.0, 3  # Ridge(500) on 20,000 rows: 2.5% shrinkage
    common = {
        "solver": solver,
        "shuffle": False,
        "batch_size": 200,
        "fit_intercept": False,
        "tol": 0,
        "random_state": 0,
    }
    full = SGDLinearRegressor(alpha=alpha, max_iter=epochs, **common).fit(X, y)

    def stream(chunk_alpha):
        est = SGDLinearRegressor(alpha=chunk_alpha, **common)
        for _ in range(epochs):
            for start in range(0, N_ROWS, CHUNK):
                est.partial_fit(X[start : start + CHUNK], y[start : start + CHUNK])
        return est

    scaled = stream(alpha * CHUNK / N_ROWS)
    np.testing.assert_allclose(scaled.coef_, full.coef_, rtol=1e-9, atol=1e-12)
    # unscaled, the stream is Ridge with n / c = 10 times the penalty: about
    # 20% shrinkage instead of 2.5%
    unscaled = stream(alpha)
    assert np.linalg.norm(unscaled.coef_) < 0.9 * np.linalg.norm(full.coef_)


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("Estimator", [SGDLogisticClassifier, MLPRegressor])
def test_fit_reads_a_memmap_in_place(Estimator, shuffle, tmp_path):
    """fit on a whole memmap file: the same model as in memory, and the rows
    are read from the mapping, never copied into memory (validation rows
    given as a memmap too)."""
    import tracemalloc

    X, y = make_stream_problem(Estimator, 100_000, seed=0)  # 16 MB
    X_val, y_val = make_stream_problem(Estimator, 20_000, seed=1)
    X.tofile(tmp_path / "X.f64")
    X_val.tofile(tmp_path / "X_val.f64")
    mm = np.memmap(tmp_path / "X.f64", dtype=np.float64, mode="r", shape=X.shape)
    mm_val = np.memmap(
        tmp_path / "X_val.f64", dtype=np.float64, mode="r", shape=X_val.shape
    )
    params = {"max_iter": 2, "shuffle": shuffle, "tol": 0}

    tracemalloc.start()
    try:
        mapped = make_estimator(Estimator, **params)
        mapped.fit(mm, y, X_val=mm_val, y_val=y_val)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    in_memory = make_estimator(Estimator, **params).fit(X, y, X_val=X_val, y_val=y_val)
    assert_same_model(mapped, in_memory, 1e-12)
    # the encoded targets (one-hot: 2.4 MB), weights and buffers only; a
    # copy of X would be 16 MB
    assert peak < X.nbytes / 2, peak


def test_float32_memmap_chunks_train_in_float32(tmp_path):
    X, y = make_stream_problem(SGDLinearRegressor, 4_000, seed=0)
    path = tmp_path / "X.f32"
    X.astype(np.float32).tofile(path)
    mm = np.memmap(path, dtype=np.float32, mode="r", shape=X.shape)
    est = SGDLinearRegressor(random_state=0)
    for start in range(0, len(y), 1_000):
        est.partial_fit(mm[start : start + 1_000], y[start : start + 1_000])
    assert est.coef_.dtype == np.float32
    assert est.predict(mm[:10]).dtype == np.float32


# -- progress of a stream through callbacks ----------------------------------------


class ChunkProgress(QuietCallback):
    """A scikit-learn callback recording, after each partial_fit call, the
    samples seen so far and that call's loss."""

    def __init__(self):
        self.seen, self.losses, self.epochs = [], [], 0

    def on_fit_task_end(self, estimator, context, **kwargs):
        if context.parent is not None:  # the call's one epoch
            self.epochs += 1
            return
        self.seen.append(estimator.t_)
        self.losses.append(estimator.loss_)


def test_callbacks_report_each_partial_fit_call(tmp_path):
    from sklearn.callback import ScoringMonitor

    X, y = make_stream_problem(SGDLogisticClassifier, N_ROWS, seed=0)
    x_path, y_path = write_memmap(tmp_path, X, y.astype(np.float64))
    progress = ChunkProgress()
    monitor = ScoringMonitor(scoring="accuracy")
    est = SGDLogisticClassifier(random_state=0)
    est.set_callbacks(progress, monitor)

    n_chunks = N_ROWS // CHUNK
    for X_chunk, y_chunk in memmap_chunks(x_path, y_path, N_COLS, CHUNK):
        est.partial_fit(X_chunk, y_chunk.astype(np.int64), classes=[0, 1, 2])

    assert progress.seen == [CHUNK * (k + 1) for k in range(n_chunks)]
    assert progress.losses == est.loss_curve_
    assert progress.epochs == n_chunks
    # ScoringMonitor: one run per call, each scoring the model on its chunk
    runs = monitor.get_logs(select="all")
    assert len(runs) == n_chunks
    first, last = (
        [row["accuracy"] for row in run.data if row["task_name"] == "epoch"]
        for run in (runs[0], runs[-1])
    )
    assert len(first) == len(last) == 1
    assert last[0] > first[0]
    assert last[0] == pytest.approx(est.score(X[-CHUNK:], y[-CHUNK:]))


# -- the memory measurement as a script ---------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=measure_wide_sparse_fits.__doc__)
    parser.add_argument(
        "--estimator",
        choices=["logistic", "mlp", "sklearn-sgdclassifier"],
        default="logistic",
    )
    parser.add_argument(
        "--solvers",
        "--solver",
        default="sgd",
        help="comma-separated: sgd, adagrad, rmsprop, adam",
    )
    parser.add_argument("--n-samples", type=int, default=200_000)
    parser.add_argument("--log2-features", type=int, default=18)
    parser.add_argument("--nnz-per-row", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--batch-size", type=int, default=None)
    options = vars(parser.parse_args(argv))
    options["solvers"] = options["solvers"].split(",")
    for result in measure_wide_sparse_fits(**options):
        print(json.dumps(result))


if __name__ == "__main__":
    main()
