"""Data-parallel training on Dask input (sgdlearn/_cluster.py).

Every test runs on a real ``dask.distributed.LocalCluster`` of two worker
processes (one thread each) bound to 127.0.0.1, started once per module;
the larger-than-memory test starts its own, with a memory limit. As in
tests/test_dask.py, a watchdog ends the process with every thread's stack
if a test or a cluster's start hangs.
"""

import os
import signal
import time

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import QuietCallback

pytest.importorskip("dask")
pytest.importorskip("distributed")

import _dask_cluster  # noqa: E402
import dask.array as da  # noqa: E402
from _dask_cluster import start_cluster, stop_cluster  # noqa: E402
from sklearn.base import ClassifierMixin, RegressorMixin  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402

from sgdlearn import (  # noqa: E402
    MLPClassifier,
    MLPRegressor,
    SGDLinearRegressor,
    SGDLogisticClassifier,
    SoftmaxClassifier,
)

pytestmark = _dask_cluster.MARKS

TEST_TIMEOUT = 150  # seconds, per test
BLOCK = 1_000


@pytest.fixture(scope="module")
def client():
    yield from _dask_cluster.module_client()


@pytest.fixture(autouse=True)
def watchdog():
    yield from _dask_cluster.watchdog(TEST_TIMEOUT)


def problem(kind, n_samples=4_000, n_features=10, seed=0):
    """Standard normal X; 3 noisy linear classes, 2 classes, or a noisy
    linear target."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    W = np.random.default_rng(99).standard_normal((n_features, 3))
    scores = X @ W / np.sqrt(n_features) + 0.5 * rng.standard_normal((n_samples, 3))
    if kind == "multiclass":
        return X, np.argmax(scores, axis=1)
    if kind == "binary":
        return X, (scores[:, 0] > 0.3).astype(int)
    return X, scores[:, 0]


def dask(*arrays):
    return [
        None if a is None else da.from_array(a, chunks=(BLOCK, *np.shape(a)[1:]))
        for a in arrays
    ]


def flat(est):
    arrays = (
        est.coefs_ + est.intercepts_
        if hasattr(est, "coefs_")
        else [
            est.coef_,
            est.intercept_,
        ]
    )
    return np.concatenate([np.ravel(a) for a in arrays])


def assert_same_optimum(local, remote, rtol=1e-6):
    a, b = flat(local), flat(remote)
    assert np.abs(a - b).max() <= rtol * np.abs(a).max(), (a, b)


LBFGS = dict(solver="lbfgs", tol=1e-10, max_iter=2_000)


# -- L-BFGS: the single-machine optimum -------------------------------------------


@pytest.mark.parametrize(
    "Estimator, kind, params, weighted",
    [
        (SGDLogisticClassifier, "binary", {}, False),
        (SGDLogisticClassifier, "multiclass", {"class_weight": "balanced"}, True),
        (SoftmaxClassifier, "multiclass", {"class_weight": {0: 2.0, 1: 0.5}}, False),
        (SGDLinearRegressor, "regression", {"alpha": 10.0}, True),
    ],
)
def test_lbfgs_reaches_the_single_machine_optimum(
    client, Estimator, kind, params, weighted
):
    X, y = problem(kind)
    weight = np.random.default_rng(3).uniform(0, 2, len(y)) if weighted else None
    local = Estimator(**LBFGS, **params).fit(X, y, sample_weight=weight)
    remote = Estimator(**LBFGS, **params).fit(
        *dask(X, y), sample_weight=dask(weight)[0]
    )
    assert_same_optimum(local, remote)
    # fitted attributes are the same kinds of small objects as a NumPy fit's
    assert type(remote.coef_) is np.ndarray and remote.n_features_in_ == 10
    assert type(remote.loss_) is np.float64 and remote.solver_ == "lbfgs"
    assert all(type(v) is np.float64 for v in remote.loss_curve_)
    if kind != "regression":
        np.testing.assert_array_equal(remote.classes_, local.classes_)
    assert remote.loss_ == pytest.approx(local.loss_, rel=1e-9)


@pytest.mark.parametrize(
    "Estimator, kind, params",
    [
        (SGDLogisticClassifier, "binary", {"class_weight": "balanced"}),
        (SoftmaxClassifier, "multiclass", {}),
        (SGDLinearRegressor, "counts", {"loss": "poisson"}),
        (SGDLinearRegressor, "regression", {"loss": "gaussian_nll"}),
    ],
)
def test_lbfgs_takes_the_iterations_of_one_machine_whatever_the_blocks(
    client, Estimator, kind, params
):
    """The intercept starts at the best constant of all the rows, from the
    blocks' summaries (not an average of the blocks' constants, which
    depends on the blocks under a non-linear link), so every iterate, the
    stopping iteration and the loss curve are those in memory, to rounding,
    with uneven blocks of weighted rows and the default tol."""
    X, y = problem("regression" if kind == "counts" else kind)
    if kind == "counts":
        y = np.random.default_rng(2).poisson(np.exp(0.3 * X[:, 0] + 0.5))
    weight = np.random.default_rng(3).uniform(0.2, 2.0, len(y))
    chunks = (700, 1300, 300, 1700)
    local = Estimator(solver="lbfgs", **params).fit(X, y, sample_weight=weight)
    remote = Estimator(solver="lbfgs", **params).fit(
        da.from_array(X, chunks=(chunks, -1)),
        da.from_array(y, chunks=(chunks,)),
        sample_weight=da.from_array(weight, chunks=(chunks,)),
    )
    assert remote.n_iter_ == local.n_iter_
    np.testing.assert_allclose(remote.loss_curve_, local.loss_curve_, rtol=1e-9)
    assert_same_optimum(local, remote, rtol=1e-8)


def test_integer_and_boolean_X(client):
    """Integer and boolean Dask X train in float64, as in memory."""
    X, y = problem("binary")
    Xi = np.round(10 * X).astype(np.int64)
    for data in (Xi, Xi > 0):
        local = SGDLogisticClassifier(**LBFGS).fit(data, y)
        remote = SGDLogisticClassifier(**LBFGS).fit(*dask(data, y))
        assert remote.coef_.dtype == np.float64
        assert_same_optimum(local, remote)
    adam = SGDLogisticClassifier(solver="adam", max_iter=2, tol=0).fit(*dask(Xi, y))
    assert adam.coef_.dtype == np.float64


def test_a_block_whose_rows_all_weigh_nothing(client):
    """Only a total weight of 0 is an error: a block of zero weights (a
    period left out, say) is fitted as in memory, in training and
    validation data."""
    X, y = problem("multiclass")
    weight = np.ones(len(y))
    weight[:BLOCK] = 0.0
    local = SoftmaxClassifier(**LBFGS).fit(X, y, sample_weight=weight)
    dX, dy, dw = dask(X, y, weight)
    remote = SoftmaxClassifier(**LBFGS).fit(dX, dy, sample_weight=dw)
    assert_same_optimum(local, remote)
    est = SoftmaxClassifier(solver="adam", max_iter=2, tol=0, early_stopping=True)
    est.fit(dX, dy, X_val=dX, y_val=dy, sample_weight_val=dw)
    assert len(est.validation_scores_) == 2


def test_predictions_and_scores_on_filtered_blocks(client):
    """A boolean mask leaves blocks of unknown size, some of them empty:
    predictions are empty there, score computes the sizes and skips them;
    both equal the results in memory."""
    X, y = problem("multiclass")
    keep = np.ones(len(y), dtype=bool)
    keep[BLOCK : 2 * BLOCK] = False  # the second block goes away
    keep[::7] = False
    dX, dy = dask(X, y)
    mask = da.from_array(keep, chunks=BLOCK)
    classifier = SoftmaxClassifier(**LBFGS).fit(X, y)
    regressor = SGDLinearRegressor(**LBFGS).fit(X, X[:, 0])
    assert classifier.score(dX[mask], dy[mask]) == pytest.approx(
        classifier.score(X[keep], y[keep]), rel=1e-12
    )
    Xm, ym = dX[mask], dy[mask]
    Xm.compute_chunk_sizes()
    ym.compute_chunk_sizes()
    assert 0 in Xm.chunks[0]
    for method in ("predict", "predict_proba", "decision_function"):
        np.testing.assert_allclose(
            getattr(classifier, method)(Xm).compute(),
            getattr(classifier, method)(X[keep]),
            rtol=1e-12,
        )
    assert regressor.predict(Xm).compute() == pytest.approx(regressor.predict(X[keep]))
    assert regressor.score(Xm, Xm[:, 0]) == pytest.approx(
        regressor.score(X[keep], X[keep, 0]), rel=1e-12
    )


def test_score_errors_name_the_problem(client):
    X, y = problem("regression")
    est = SGDLinearRegressor(**LBFGS).fit(X, y)
    with pytest.raises(TypeError, match="X must be a Dask array"):
        est.score(X, dask(y)[0])
    quantiles = SGDLinearRegressor(loss="quantile", quantile=[0.1, 0.9], max_iter=2)
    quantiles.fit(X, y)
    with pytest.raises(ValueError, match="different number of output"):
        quantiles.score(X, y)  # scikit-learn's r2_score
    with pytest.raises(ValueError, match=r"different number of output \(1!=2\)"):
        quantiles.score(*dask(X, y))


def test_the_fit_goes_on_with_tasks_when_no_actor_can_be_created(client, monkeypatch):
    """When an actor fails as it is created (distributed fails every actor
    of a worker lost at that moment: "Worker holding Actor was lost"),
    lbfgs evaluates with tasks instead and reaches the same model."""
    from distributed import get_task_stream

    from sgdlearn import _cluster

    class ActorOnALostWorker:
        def __init__(self, *blocks):
            raise RuntimeError("Worker holding Actor was lost")

    X, y = problem("binary")
    params = dict(solver="lbfgs", max_iter=6, tol=0)
    reference = SGDLogisticClassifier(**params).fit(*dask(X, y))
    monkeypatch.setattr(_cluster, "ShardEvaluation", ActorOnALostWorker)
    with get_task_stream(client) as stream:
        est = SGDLogisticClassifier(**params).fit(*dask(X, y))
    assert "shard_value_grad" in task_names(stream)
    assert_same_optimum(reference, est, rtol=1e-12)


def task_names(stream):
    """The function names of the tasks a ``get_task_stream`` recorded."""
    return {
        (d["key"] if isinstance(d["key"], str) else d["key"][0]).rsplit("-", 5)[0]
        for d in stream.data
    }


def test_lbfgs_evaluates_through_one_actor_per_worker(client):
    """The evaluations are method calls of the shards' actors, not tasks:
    besides the preparation, the only tasks of an lbfgs fit create the
    actors (one per worker)."""
    from distributed import get_task_stream

    X, y = problem("binary")
    with get_task_stream(client) as stream:
        est = SGDLogisticClassifier(**LBFGS).fit(*dask(X, y))
    assert est.n_iter_ > 3
    names = task_names(stream)
    assert "ShardEvaluation" in names
    assert "shard_value_grad" not in names
    assert sum(1 for d in stream.data if "ShardEvaluation" in str(d["key"])) == 2


@pytest.mark.parametrize(
    "Estimator, params",
    [
        (SGDLogisticClassifier, {"class_weight": {7: 3.0, 1: 0.5}}),
        (SoftmaxClassifier, {"class_weight": "balanced"}),
        (SoftmaxClassifier, {}),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_label_summaries_give_the_encoded_blocks_statistics(Estimator, params, dtype):
    """A classifier's blocks encoded from their labels are the blocks a fit
    in memory encodes (targets, class-weighted sample weights); their Σs
    and best constants, computed on the client from each block's Σ
    sample_weight per label, are those of the encoded blocks (on NumPy
    blocks, without a cluster)."""
    from sgdlearn import _cluster
    from sgdlearn._losses import make_loss

    X, y = problem("multiclass" if Estimator is SoftmaxClassifier else "binary")
    y = np.where(y == 0, 7, y)  # labels that are not their index
    weight = np.random.default_rng(5).uniform(0, 2, len(y))
    parts = [
        (slice(0, 1500), weight),
        (slice(1500, 2000), None),
        (slice(2000, None), weight),
    ]
    est = Estimator(**params)
    targets = est._target_encoder(est.get_params())
    checked = [
        _cluster._labelled_block(
            X[rows], y[rows], w if w is None else w[rows], np.dtype(dtype)
        )
        for rows, w in parts
    ]
    summaries = [_cluster._label_summary(block) for block in checked]
    labels = np.unique(y)
    Y, encoding = targets.encode(labels, dtype)
    class_weights = None
    if targets.uses_class_weight(encoding, incremental=False):
        counts = np.bincount(np.searchsorted(labels, y))
        class_weights = targets.class_weights(labels, counts)
    loss = make_loss(encoding["_loss_"])
    preparation = _cluster._BlockPreparation(targets, encoding, np.dtype(dtype), loss)
    from_labels = preparation.label_stats(summaries, labels, Y, class_weights)
    for stats, block, (rows, w) in zip(from_labels, checked, parts):
        encoded = _cluster._encoded_block(block, preparation, class_weights)
        Y_rows, _ = targets.encode(y[rows], dtype, known=encoding)
        assert encoded.Y.dtype == Y_rows.dtype
        np.testing.assert_array_equal(encoded.Y, Y_rows)
        expected = None if w is None else w[rows]
        if class_weights is not None:  # the weights of the classes of all rows
            factor = class_weights[np.searchsorted(labels, y[rows])]
            expected = factor * (1.0 if expected is None else expected)
        if expected is None:
            assert encoded.sample_weight is None
        else:
            assert encoded.sample_weight.dtype == dtype
            np.testing.assert_allclose(encoded.sample_weight, expected, rtol=1e-6)
        rows, total, constant, columns = _cluster._block_stats(encoded, loss)
        assert stats[0] == rows and stats[3] == columns
        assert stats[1] == pytest.approx(
            total, rel=1e-6 if dtype == np.float32 else 1e-12
        )
        np.testing.assert_allclose(stats[2], constant, rtol=1e-5, atol=1e-6)


def test_regression_targets_checked_on_the_workers(client):
    """A regressor's encoding is read on the client from y's columns alone:
    its warnings are raised there, and the targets' values are checked by
    each block's worker (a Poisson target below 0 in the last block)."""
    from sklearn.exceptions import DataConversionWarning

    X, y = problem("regression")
    est = SGDLinearRegressor(**LBFGS)
    with pytest.warns(DataConversionWarning):
        est.fit(*dask(X, y.reshape(-1, 1)))
    assert est.coef_.shape == (10,)
    counts = np.abs(np.round(y * 3))
    counts[-1] = -1.0
    with pytest.raises(ValueError, match="Poisson|negative|non-negative"):
        SGDLinearRegressor(loss="poisson", **LBFGS).fit(*dask(X, counts))


def test_newton_is_for_data_in_memory(client):
    """'auto' takes lbfgs on small Dask input where it takes Newton in memory;
    an explicit 'newton' on Dask input names the alternatives."""
    X, y = problem("binary")
    assert SGDLogisticClassifier().fit(X, y).solver_ == "newton"
    remote = SGDLogisticClassifier().fit(*dask(X, y))
    assert remote.solver_ == "lbfgs"
    with pytest.raises(ValueError, match="solver='newton' trains on data in memory"):
        SGDLogisticClassifier(solver="newton").fit(*dask(X, y))


def test_mlp_lbfgs_takes_the_single_machine_path(client):
    """Non-convex, but from the same start the iterates are the same up to
    the order of the sums."""
    X, y = problem("multiclass")
    params = dict(solver="lbfgs", hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    local = MLPClassifier(**params).fit(X, y)
    remote = MLPClassifier(**params).fit(*dask(X, y))
    assert_same_optimum(local, remote)
    assert remote.n_iter_ == local.n_iter_


def _bytes_sent_to(since, workers, dask_worker=None):
    """Bytes this worker sent to ``workers`` in transfers started after
    ``since`` (run on every worker by ``client.run``)."""
    return sum(
        transfer["total"]
        for transfer in dask_worker.transfer_outgoing_log
        if transfer["start"] >= since and transfer["who"] in workers
    )


@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_blocks_train_where_they_are(client, solver):
    """X and y persisted block by block on alternating workers: each block is
    prepared, and trained on, where it is: no block moves between workers."""
    import time

    from distributed import wait

    workers = sorted(client.nthreads())
    X, y = problem("binary", n_samples=16_000, n_features=20)
    X_parts, y_parts = [], []
    for i, start in enumerate(range(0, len(X), 2_000)):
        rows = slice(start, start + 2_000)
        x_part, y_part = client.scatter([X[rows], y[rows]], workers=[workers[i % 2]])
        X_parts.append(da.from_delayed(x_part, (2_000, X.shape[1]), X.dtype))
        y_parts.append(da.from_delayed(y_part, (2_000,), y.dtype))
    X_d, y_d = client.persist([da.concatenate(X_parts), da.concatenate(y_parts)])
    wait([X_d, y_d])
    since = time.time()
    est = SGDLogisticClassifier(solver=solver, max_iter=5, tol=0, random_state=0)
    est.fit(X_d, y_d)
    sent = client.run(_bytes_sent_to, since, workers)
    assert sum(sent.values()) < X.nbytes / 100, sent


def test_sparse_blocks_reach_the_optimum(client):
    rng = np.random.default_rng(0)
    X = sp.random(4_000, 50, density=0.1, format="csr", random_state=0)
    y = (X @ rng.standard_normal(50) > 0).astype(int)
    dX = da.from_array(X, chunks=(BLOCK, 50), asarray=False)
    local = SGDLogisticClassifier(**LBFGS).fit(X, y)
    remote = SGDLogisticClassifier(**LBFGS).fit(dX, dask(y)[0])
    assert_same_optimum(local, remote)
    # and a stochastic epoch on the CSR blocks
    sgd = SGDLogisticClassifier(solver="adagrad", max_iter=10, random_state=0)
    assert sgd.fit(dX, dask(y)[0]).score(X, y) > 0.8


def test_dataframe_input_keeps_the_feature_names(client):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    X, y = problem("regression")
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(10)])
    dX = dd.from_pandas(frame, npartitions=4)
    dy = dd.from_pandas(pd.Series(y), npartitions=4)
    remote = SGDLinearRegressor(**LBFGS).fit(dX, dy)
    local = SGDLinearRegressor(**LBFGS).fit(frame, y)
    assert_same_optimum(local, remote)
    np.testing.assert_array_equal(remote.feature_names_in_, frame.columns)
    np.testing.assert_allclose(remote.predict(dX).compute(), local.predict(frame))


# -- local SGD with parameter averaging --------------------------------------------


@pytest.mark.parametrize("solver", ["sgd", "adagrad", "adam"])
def test_local_sgd_reaches_the_optimum_test_loss(client, solver):
    """Convex: the averaged model's test log-loss is within 1% of the
    optimum's."""
    X, y = problem("binary", n_samples=20_000)
    X_test, y_test = problem("binary", n_samples=5_000, seed=1)
    optimum = SGDLogisticClassifier(**LBFGS).fit(X, y)
    best = log_loss(y_test, optimum.predict_proba(X_test))
    rate = {"sgd": 0.01, "adagrad": 0.1, "adam": 0.01}[solver]
    est = SGDLogisticClassifier(
        solver=solver, max_iter=15, tol=0, random_state=0, learning_rate_init=rate
    )
    est.fit(*dask(X, y))
    assert log_loss(y_test, est.predict_proba(X_test)) <= 1.01 * best
    assert est.n_iter_ == 15 and est.t_ == 15 * len(y)
    assert len(est.loss_curve_) == 15 and est.loss_curve_[-1] < est.loss_curve_[0]


def test_partial_fit_runs_one_round(client):
    X, y = problem("multiclass")
    est = SoftmaxClassifier(solver="sgd", random_state=0)
    est.partial_fit(*dask(X, y), classes=[0, 1, 2])
    est.partial_fit(*dask(X, y))
    assert est.n_iter_ == 1 and est.t_ == 2 * len(y) and len(est.loss_curve_) == 2
    assert est.score(X, y) > 0.6
    with pytest.raises(ValueError, match="labels not in classes_"):
        est.partial_fit(*dask(X, np.where(y == 2, 7, y)))


@pytest.mark.parametrize("Estimator", [MLPRegressor, MLPClassifier])
def test_mlps_train_through_local_sgd(client, Estimator):
    kind = "regression" if Estimator is MLPRegressor else "multiclass"
    X, y = problem(kind)
    est = Estimator(
        hidden_layer_sizes=(16,), max_iter=20, learning_rate_init=0.01, random_state=0
    )
    est.fit(*dask(X, y))
    assert est.n_iter_ == 20 and len(est.coefs_) == 2
    assert est.loss_curve_[-1] < 0.8 * est.loss_curve_[0]
    assert est.score(X, y) > (0.65 if kind == "regression" else 0.6)


# -- predictions and scores -------------------------------------------------------


def test_predictions_are_lazy_blockwise_and_equal_numpy(client):
    X, y = problem("multiclass")
    clf = SGDLogisticClassifier(**LBFGS).fit(X, y)
    reg = SGDLinearRegressor(**LBFGS).fit(*problem("regression"))
    (dX,) = dask(X)
    for method, est in [
        ("predict", clf),
        ("predict_proba", clf),
        ("predict_log_proba", clf),
        ("decision_function", clf),
        ("predict", reg),
    ]:
        lazy = getattr(est, method)(dX)
        assert isinstance(lazy, da.Array), method
        assert lazy.chunks[0] == dX.chunks[0] and lazy.numblocks[0] == 4
        np.testing.assert_allclose(lazy.compute(), getattr(est, method)(X), rtol=1e-12)


def test_score_from_block_statistics(client):
    X, y = problem("regression")
    w = np.random.default_rng(1).uniform(0, 2, len(y))
    reg = SGDLinearRegressor(**LBFGS).fit(X, y)
    # scikit-learn's function on the class: dask-ml's wrappers check it
    assert SGDLinearRegressor.score is RegressorMixin.score
    assert SoftmaxClassifier.score is ClassifierMixin.score
    dX, dy, dw = dask(X, y, w)
    assert reg.score(dX, dy) == pytest.approx(reg.score(X, y), rel=1e-10)
    assert reg.score(dX, dy, dw) == pytest.approx(reg.score(X, y, w), rel=1e-10)
    Xc, yc = problem("multiclass")
    clf = SoftmaxClassifier(**LBFGS).fit(Xc, yc)
    dXc, dyc = dask(Xc, yc)
    assert clf.score(dXc, dyc) == pytest.approx(clf.score(Xc, yc), rel=1e-12)
    assert clf.score(dXc, dyc, dw) == pytest.approx(clf.score(Xc, yc, w), rel=1e-12)


# -- validation and callbacks --------------------------------------------------


def test_early_stopping_on_a_dask_validation_set(client):
    X, y = problem("regression")
    X_val, y_val = problem("regression", n_samples=2_000, seed=1)
    est = SGDLinearRegressor(
        solver="sgd",
        early_stopping=True,
        n_iter_no_change=2,
        max_iter=50,
        learning_rate_init=0.05,
        random_state=0,
    )
    dX_val, dy_val = dask(X_val, y_val)
    est.fit(*dask(X, y), X_val=dX_val, y_val=dy_val)
    assert len(est.validation_scores_) == est.n_iter_ < 50
    # the best parameters were restored: their score is the best one
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.score(X_val, y_val) == pytest.approx(est.best_validation_score_, 1e-9)
    assert len(est.validation_loss_curve_) == est.n_iter_
    # a validation set in memory is sent to the workers: the same fit
    same = SGDLinearRegressor(**est.get_params()).fit(
        *dask(X, y), X_val=X_val, y_val=y_val
    )
    assert same.validation_scores_ == pytest.approx(est.validation_scores_, 1e-12)


class EpochCount(QuietCallback):
    def __init__(self):
        self.epochs = 0

    def on_fit_task_end(self, estimator, context, **kwargs):
        if context.parent is not None:
            self.epochs += 1


@pytest.mark.parametrize("solver", ["adagrad", "lbfgs"])
def test_callbacks_see_one_sub_task_per_epoch(client, solver):
    """As many epoch sub-tasks as a NumPy fit (L-BFGS: one per iteration,
    and the last one begun, closed)."""
    X, y = problem("binary")
    counts = []
    for data in [(X, y), dask(X, y)]:
        counter = EpochCount()
        est = SGDLogisticClassifier(solver=solver, max_iter=4, tol=0, random_state=0)
        est.set_callbacks(counter)
        est.fit(*data)
        assert est.n_iter_ == 4
        counts.append(counter.epochs)
    assert counts[1] == counts[0] == (4 if solver == "adagrad" else 5)


# -- bad input ---------------------------------------------------------------------


def test_bad_input_gets_clear_errors(client, monkeypatch):
    X, y = problem("binary")
    dX, dy = dask(X, y)
    est = SGDLogisticClassifier()
    with pytest.raises(ValueError, match="same row chunks"):
        est.fit(dX, da.from_array(y, chunks=500))
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        est.fit(dX[dX[:, 0] > 0], dy[dX[:, 0] > 0])
    with pytest.raises(ValueError, match="validation_fraction"):
        SGDLogisticClassifier(early_stopping=True).fit(dX, dy)
    # lbfgs holds nothing out (early stopping does not apply to it)
    SGDLogisticClassifier(solver="lbfgs", early_stopping=True, max_iter=3).fit(dX, dy)
    bad = X.copy()
    bad[3_500, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est.fit(dask(bad)[0], dy)
    with pytest.raises(ValueError, match="at least 2 classes"):
        est.fit(dX, da.zeros(len(y), chunks=BLOCK))
    with pytest.raises(ValueError, match="features"):
        SGDLogisticClassifier(**LBFGS).fit(X, y).predict(dX[:, :5])
    # without a distributed Client: an error that says so
    import distributed

    def no_client():
        raise ValueError("No clients found")

    monkeypatch.setattr(distributed, "get_client", no_client)
    with pytest.raises(ValueError, match="needs a dask.distributed Client"):
        est.fit(dX, dy)


# -- faults --------------------------------------------------------------------------


class AtTheSecondEpoch(QuietCallback):
    """Calls ``action(client)`` at the end of the fit's second epoch and
    keeps what it returns (the address of the worker it acted on)."""

    def __init__(self, client, action):
        self.client = client
        self.action = action
        self.epochs = 0
        self.worker = None

    def on_fit_task_end(self, estimator, context, **kwargs):
        if context.parent is not None:
            self.epochs += 1
            if self.epochs == 2:
                self.worker = self.action(self.client)


def back_to_two_workers(client, lost, timeout=90):
    """Wait until the scheduler has dropped the worker at address ``lost``
    (None: none was lost) and two workers are up again; whether that
    happened within ``timeout`` seconds. (``wait_for_workers`` may count a
    killed worker the scheduler has not dropped yet, and a later
    ``client.run`` would then try to reach it.)"""
    deadline = time.monotonic() + timeout
    while True:
        # a client reconnecting under load may briefly know no workers
        workers = client.scheduler_info().get("workers", {})
        if lost not in workers and len(workers) == 2:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def kill_a_worker(client):
    """Kill one worker process (its nanny restarts it) between tasks."""
    pids = client.run(os.getpid)
    worker, pid = sorted(pids.items())[0]
    os.kill(pid, signal.SIGKILL)
    return worker


@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_a_worker_killed_during_fit(client, solver):
    """The fit recovers (Dask recomputes the lost blocks) and gives the
    model of an undisturbed fit, or raises a RuntimeError and leaves the
    estimator as it was. Never a model of part of the data."""
    X, y = problem("binary")
    params = dict(solver=solver, max_iter=6, tol=0, random_state=0)
    reference = SGDLogisticClassifier(**params).fit(*dask(X, y))
    est = SGDLogisticClassifier(**params).fit(X[:100], y[:100])
    before = flat(est).copy()
    killer = AtTheSecondEpoch(client, kill_a_worker)
    est.set_callbacks(killer)
    try:
        est.fit(*dask(X, y))
    except RuntimeError as exc:
        assert "not changed" in str(exc)
        np.testing.assert_array_equal(flat(est), before)
    else:
        # the lost blocks were recomputed: the model of an undisturbed fit
        assert est.t_ == 6 * len(y)
        assert_same_optimum(reference, est, rtol=1e-12)
    finally:
        recovered = back_to_two_workers(client, killer.worker)
    assert killer.worker is not None
    assert recovered


def _die_in_next_call(owner, name):
    """Make this worker process end itself the next time it runs method
    ``name`` of class ``owner`` (run on one worker by ``client.run``)."""

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    setattr(owner, name, die)


def kill_a_worker_in_its_next(owner, name):
    """An action that makes one worker die in its next call of
    ``owner.name``; it returns that worker's address."""

    def action(client):
        worker = sorted(client.nthreads())[0]
        client.run(_die_in_next_call, owner, name, workers=[worker])
        return worker

    return action


def test_a_lost_worker_dask_gives_up_on_leaves_the_model_unchanged():
    """With no failure allowed (``distributed.scheduler.allowed-failures``
    0), a worker that dies while running a task of the fit (here a round of
    local SGD) makes Dask give up (KilledWorker): the fit raises a
    RuntimeError saying so, and the estimator keeps the model it had."""
    from dask import config

    from sgdlearn._training import Dataset

    with config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster, client = start_cluster()
    try:
        X, y = problem("binary")
        est = SGDLogisticClassifier(solver="sgd", max_iter=6, tol=0)
        est.fit(X[:100], y[:100])
        before, n_iter = flat(est).copy(), est.n_iter_
        killer = AtTheSecondEpoch(
            client, kill_a_worker_in_its_next(Dataset, "epoch_runner")
        )
        est.set_callbacks(killer)
        with pytest.raises(RuntimeError, match="was lost") as raised:
            est.fit(*dask(X, y))
        assert "KilledWorker" in str(raised.value)
        assert "not changed" in str(raised.value)
        assert killer.worker is not None
        np.testing.assert_array_equal(flat(est), before)
        assert est.n_iter_ == n_iter
    finally:
        stop_cluster(cluster, client)


def test_a_worker_lost_in_an_lbfgs_evaluation(client):
    """L-BFGS evaluates through an actor on each worker; a worker that dies
    while its actor evaluates takes the actor with it. The fit goes on with
    tasks on the lost blocks, which Dask recomputes, and gives the model of
    an undisturbed fit."""
    from sgdlearn._objective import Objective

    X, y = problem("binary")
    params = dict(solver="lbfgs", max_iter=6, tol=0)
    reference = SGDLogisticClassifier(**params).fit(*dask(X, y))
    from distributed import get_task_stream

    killer = AtTheSecondEpoch(
        client, kill_a_worker_in_its_next(Objective, "value_grad")
    )
    est = SGDLogisticClassifier(**params)
    est.set_callbacks(killer)
    try:
        with get_task_stream(client) as stream:
            est.fit(*dask(X, y))
    finally:
        recovered = back_to_two_workers(client, killer.worker)
    assert killer.worker is not None
    assert recovered  # the worker died (its address left the cluster)
    assert "shard_value_grad" in task_names(stream)  # the evaluations by tasks
    assert est.n_iter_ == reference.n_iter_
    assert_same_optimum(reference, est, rtol=1e-12)


class _Call:
    """A stand-in for an actor's call: times out ``waits`` times, then
    answers ``value``."""

    def __init__(self, waits, value=None):
        self.waits, self.value = waits, value

    def result(self, timeout=None):
        if self.waits:
            self.waits -= 1
            raise TimeoutError(f"timed out after {timeout} s.")
        return self.value


class _Actor:
    def __init__(self, address):
        self._address = address


def test_an_unanswered_actor_call_fails_once_its_worker_is_gone(client):
    """A call whose actor's worker left the cluster is given up (and the fit
    goes on with tasks, as above); one on a live worker is waited for."""
    from sgdlearn._cluster import ActorLost, _actor_result

    live = sorted(client.scheduler_info()["workers"])[0]
    assert _actor_result(client, _Actor(live), _Call(2, "answer")) == "answer"
    with pytest.raises(ActorLost, match="tcp://127.0.0.1:1"):
        _actor_result(client, _Actor("tcp://127.0.0.1:1"), _Call(10**9))


# -- larger than one worker's memory ------------------------------------------------


def test_fit_on_data_larger_than_a_workers_memory():
    """2 GB of float64 in 50 blocks on two workers of 1.9 GB each (of
    which ~300 MB go to a worker's own imports and buffers): each worker
    holds its share of the prepared blocks, and the client holds none.

    Spilling and pausing are switched off, so that a worker holding more
    than its memory would be killed (terminate at 95%) rather than slowed.
    The blocks are small (40 MB) and the limit leaves some 0.5 GB above a
    worker's share: while blocks are generated, prepared and moved, a
    worker briefly holds more than its share (with 1.6 GB in 80 MB blocks
    on 1.5 GB workers, one CI run in three had a worker restarted).
    """
    import resource

    import dask

    with dask.config.set(
        {
            "distributed.worker.memory.target": False,
            "distributed.worker.memory.spill": False,
            "distributed.worker.memory.pause": False,
        }
    ):
        cluster, client = start_cluster(memory_limit="1.9GB")
    try:
        n, d, blocks = 5_000_000, 50, 50
        rng = da.random.default_rng(0)
        X = rng.standard_normal((n, d), chunks=(n // blocks, d))
        coef = np.linspace(-1, 1, d)
        y = X @ coef + 0.1 * rng.standard_normal(n, chunks=n // blocks)
        assert X.nbytes > 1.9e9
        held = []

        class Holdings(QuietCallback):
            def on_fit_task_end(self, estimator, context, **kwargs):
                if context.parent is not None and not held:
                    held.append(
                        client.run_on_scheduler(
                            lambda dask_scheduler: [
                                w.nbytes for w in dask_scheduler.workers.values()
                            ]
                        )
                    )

        est = SGDLinearRegressor(solver="lbfgs", max_iter=5, tol=0)
        est.set_callbacks(Holdings())
        peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        est.fit(X, y)
        peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        np.testing.assert_allclose(est.coef_, coef, atol=0.01)
        [per_worker] = held
        assert len(per_worker) == 2
        assert sum(per_worker) >= X.nbytes  # the prepared blocks are held ...
        assert max(per_worker) <= 0.6 * X.nbytes  # ... each worker its share
        assert peak_after - peak_before < 0.25 * X.nbytes  # and not the client
    finally:
        stop_cluster(cluster, client)
