"""Beyond one machine's memory, part 2: Dask.

Every test runs on a real ``dask.distributed.LocalCluster`` of two worker
processes bound to 127.0.0.1, started once per test module (so once per
pytest-xdist worker) and closed at its end:

- ``dask_ml.wrappers.Incremental`` trains each estimator with
  ``partial_fit`` over the blocks of a ``dask.array`` (``classes=`` passed
  through), on the workers, and gives the model of the same ``partial_fit``
  calls made locally; dense and sparse blocks.
- ``dask_ml.wrappers.ParallelPostFit`` predicts over a large dask array
  without bringing it to the client.
- scikit-learn's ``GridSearchCV`` fans its fits out over the cluster under
  ``joblib.parallel_backend("dask")``.
- Two upstream dask-ml bugs with current Dask releases, each checked to be
  upstream's (scikit-learn's own estimators fail the same way, before any
  sgdlearn code runs): ``HyperbandSearchCV`` (dask/dask-ml#1016) and the
  R² scoring of dask arrays (dask/dask-ml#1012).

Time is bounded by hand (pytest-timeout is not a dependency): the client
connects with a timeout, and a watchdog ends the test process with a
traceback of every thread if a test, or the cluster's start, hangs.
"""

import os
import re
import traceback

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import ALL, CLASSIFIERS, QuietCallback

dask = pytest.importorskip("dask")
pytest.importorskip("distributed")
pytest.importorskip("dask_ml")

import _dask_cluster  # noqa: E402
import dask.array as da  # noqa: E402
import joblib  # noqa: E402
from dask_ml.wrappers import Incremental, ParallelPostFit  # noqa: E402
from sklearn.metrics import accuracy_score, r2_score  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from sgdlearn import (  # noqa: E402
    MLPClassifier,
    MLPRegressor,
    SGDLinearRegressor,
    SGDLogisticClassifier,
    SoftmaxClassifier,
)

pytestmark = _dask_cluster.MARKS

TEST_TIMEOUT = 120  # seconds, per test


@pytest.fixture(scope="module")
def client():
    yield from _dask_cluster.module_client()


@pytest.fixture(autouse=True)
def watchdog():
    """End the process, dumping every thread's stack, if the test hangs."""
    yield from _dask_cluster.watchdog(TEST_TIMEOUT)


@pytest.fixture(scope="module")
def worker_pids(client):
    return set(client.run(os.getpid).values())


def make_problem(Estimator, n_samples=4_000, n_features=10, seed=0):
    """Standard normal X; 3 classes from the largest of 3 noisy linear scores,
    or a noisy linear target."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    W = np.random.default_rng(99).standard_normal((n_features, 3))  # one task
    scores = X @ W / np.sqrt(n_features)
    if Estimator in CLASSIFIERS:
        y = np.argmax(scores + 0.2 * rng.standard_normal(scores.shape), axis=1)
    else:
        y = scores[:, 0] + 0.2 * rng.standard_normal(n_samples)
    return X, y


def make_estimator(Estimator, **params):
    if Estimator in (MLPRegressor, MLPClassifier):
        params.setdefault("hidden_layer_sizes", (8,))
        params.setdefault("learning_rate_init", 0.01)
    return Estimator(random_state=0, **params)


def parameters(est):
    if hasattr(est, "coefs_"):
        arrays = est.coefs_ + est.intercepts_
    else:
        arrays = [est.coef_, est.intercept_]
    return np.concatenate([np.ravel(a) for a in arrays])


class CallLog(QuietCallback):
    """A scikit-learn callback appending (process id, samples seen) to a file
    after each fit or partial_fit call, wherever the estimator runs."""

    def __init__(self, path):
        self.path = str(path)

    def on_fit_task_end(self, estimator, context, **kwargs):
        if context.parent is None:
            with open(self.path, "a") as log:
                log.write(f"{os.getpid()} {estimator.t_}\n")

    def read(self):
        with open(self.path) as log:
            return [tuple(int(v) for v in line.split()) for line in log]


# -- Incremental: partial_fit over the blocks of a dask array ----------------------


@pytest.mark.parametrize("Estimator", ALL)
def test_incremental_trains_each_estimator_on_the_workers(
    Estimator, client, worker_pids, tmp_path
):
    X, y = make_problem(Estimator)
    X_test, y_test = make_problem(Estimator, n_samples=2_000, seed=1)
    block, passes = 1_000, 3
    dX, dy = da.from_array(X, chunks=block), da.from_array(y, chunks=block)
    kwargs = {"classes": np.unique(y)} if Estimator in CLASSIFIERS else {}

    est = make_estimator(Estimator)
    log = CallLog(tmp_path / "calls.txt")
    est.set_callbacks(log)
    inc = Incremental(est, shuffle_blocks=False)
    inc.fit(dX, dy, **kwargs)  # one pass over the blocks
    for _ in range(passes - 1):
        inc.partial_fit(dX, dy, **kwargs)  # continues from estimator_
    model = inc.estimator_

    # the same partial_fit calls, made here, give the same model
    local = make_estimator(Estimator)
    for _ in range(passes):
        for start in range(0, len(y), block):
            local.partial_fit(
                X[start : start + block], y[start : start + block], **kwargs
            )
    np.testing.assert_allclose(parameters(model), parameters(local), rtol=1e-10)
    assert model.t_ == passes * len(y)

    # one partial_fit call per block, in order, all on the workers
    calls = log.read()
    assert [seen for _, seen in calls] == [
        block * (k + 1) for k in range(passes * len(y) // block)
    ]
    assert {pid for pid, _ in calls} <= worker_pids
    assert os.getpid() not in {pid for pid, _ in calls}

    # predictions are lazy dask arrays, computed on the workers
    prediction = inc.predict(da.from_array(X_test, chunks=block))
    assert isinstance(prediction, da.Array)
    prediction = prediction.compute()
    if Estimator in CLASSIFIERS:
        assert accuracy_score(y_test, prediction) > 0.75
        np.testing.assert_array_equal(model.classes_, np.unique(y))
    else:
        assert r2_score(y_test, prediction) > 0.85


def test_incremental_trains_on_sparse_blocks(client):
    """A dask array of scipy CSR blocks: partial_fit gets each block sparse."""
    rng = np.random.default_rng(0)
    X = sp.random(4_000, 200, density=0.05, format="csr", random_state=0)
    y = (X @ rng.standard_normal(200) > 0).astype(int)
    dX = da.from_array(X, chunks=(1_000, 200), asarray=False)
    dy = da.from_array(y, chunks=1_000)
    inc = Incremental(
        SGDLogisticClassifier(random_state=0, learning_rate_init=0.1),
        shuffle_blocks=False,
    )
    for _ in range(5):
        inc.partial_fit(dX, dy, classes=[0, 1])

    local = SGDLogisticClassifier(random_state=0, learning_rate_init=0.1)
    for _ in range(5):
        for start in range(0, 4_000, 1_000):
            local.partial_fit(
                X[start : start + 1_000], y[start : start + 1_000], classes=[0, 1]
            )
    np.testing.assert_allclose(inc.estimator_.coef_, local.coef_, rtol=1e-10)
    assert accuracy_score(y, inc.predict(dX).compute()) > 0.8


def test_incremental_trains_in_float32(client):
    X, y = make_problem(SGDLinearRegressor)
    dX = da.from_array(X.astype(np.float32), chunks=1_000)
    inc = Incremental(SGDLinearRegressor(random_state=0))
    inc.fit(dX, da.from_array(y, chunks=1_000))
    assert inc.estimator_.coef_.dtype == np.float32
    assert inc.predict(dX).compute().dtype == np.float32


# -- ParallelPostFit: predicting over a large dask array ------------------------------


def test_parallel_post_fit_predicts_over_a_large_dask_array(client):
    """Fit in memory, predict over 1,000,000 rows made on the workers in 10
    blocks: only the small results come back to the client."""
    X, y = make_problem(SoftmaxClassifier)
    clf = ParallelPostFit(SoftmaxClassifier(random_state=0)).fit(X, y)
    X_reg, y_reg = make_problem(MLPRegressor)
    reg = ParallelPostFit(make_estimator(MLPRegressor)).fit(X_reg, y_reg)

    big = da.random.default_rng(0).standard_normal(
        (1_000_000, X.shape[1]), chunks=(100_000, X.shape[1])
    )
    labels = clf.predict(big)
    proba = clf.predict_proba(big)
    values = reg.predict(big)
    # lazy, with the right shapes and dtypes before anything is computed
    assert labels.shape == (1_000_000,) and labels.dtype == clf.classes_.dtype
    assert proba.shape == (1_000_000, 3) and proba.dtype == np.float64
    assert values.shape == (1_000_000,)

    counts, worst_sum, first_block = dask.compute(
        da.bincount(labels, minlength=3),
        abs(proba.sum(axis=1) - 1).max(),
        big.blocks[0],
    )
    assert counts.sum() == 1_000_000 and np.all(counts > 0)
    assert worst_sum < 1e-12
    # block by block, the predictions are the in-memory estimator's
    np.testing.assert_array_equal(
        labels.blocks[0].compute(), clf.estimator.predict(first_block)
    )
    np.testing.assert_allclose(
        values.blocks[0].compute(), reg.estimator.predict(first_block)
    )
    # dask-ml's accuracy scorer works on dask arrays
    X_test, y_test = make_problem(SoftmaxClassifier, n_samples=2_000, seed=1)
    accuracy = clf.score(da.from_array(X_test, chunks=500), da.from_array(y_test))
    assert accuracy == pytest.approx(clf.estimator.score(X_test, y_test))


# -- GridSearchCV over the cluster -------------------------------------------------


def test_grid_search_fans_out_over_the_cluster(client, worker_pids):
    X, y = make_problem(SGDLogisticClassifier, n_samples=1_500)
    grid = {"alpha": [1e-4, 1e-2, 1.0], "solver": ["sgd", "adam"]}

    def pid(estimator, X, y):
        return os.getpid()

    search = GridSearchCV(
        SGDLogisticClassifier(max_iter=5, tol=0, random_state=0),
        grid,
        cv=3,
        scoring={"accuracy": "accuracy", "pid": pid},
        refit="accuracy",
        n_jobs=-1,
    )
    with joblib.parallel_backend("dask"):
        search.fit(X, y)

    pids = {
        int(search.cv_results_[f"split{k}_test_pid"][i])
        for k in range(3)
        for i in range(len(search.cv_results_["params"]))
    }
    assert pids <= worker_pids and os.getpid() not in pids

    # the same search in this process finds the same scores
    serial = GridSearchCV(
        SGDLogisticClassifier(max_iter=5, tol=0, random_state=0), grid, cv=3
    ).fit(X, y)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_accuracy"],
        serial.cv_results_["mean_test_score"],
        rtol=1e-12,
    )
    assert search.best_params_ == serial.best_params_


# -- upstream dask-ml bugs ------------------------------------------------------------

HYPERBAND_BUG = (
    "Attempting to use an asynchronous Client in a synchronous context of "
    "`dask.compute`"
)


def _raised_upstream(exc):
    """No frame of the exception's traceback is sgdlearn's."""
    frames = traceback.extract_tb(exc.__traceback__)
    return not any(f"{os.sep}sgdlearn{os.sep}" in frame.filename for frame in frames)


def test_hyperband_search_fails_only_for_the_upstream_dask_ml_bug(client):
    """dask-ml's HyperbandSearchCV (and its other adaptive searches) call
    ``dask.persist`` inside the client's event loop, which Dask refuses since
    2025.3: dask/dask-ml#1016. It fails before training any model, the same
    way for scikit-learn's SGDClassifier. When this test fails because the
    search works, replace it by one that checks the search and update
    docs/user_guide/out_of_core.rst."""
    from dask_ml.model_selection import HyperbandSearchCV
    from scipy.stats import loguniform
    from sklearn.linear_model import SGDClassifier

    X, y = make_problem(SGDLogisticClassifier, n_samples=1_000)
    y = (y > 0).astype(int)
    dX, dy = da.from_array(X, chunks=250), da.from_array(y, chunks=250)
    for est in (SGDClassifier(random_state=0), SGDLogisticClassifier(random_state=0)):
        search = HyperbandSearchCV(
            est, {"alpha": loguniform(1e-5, 1e-1)}, max_iter=9, random_state=0
        )
        try:
            search.fit(dX, dy, classes=[0, 1])
        except RuntimeError as exc:
            assert HYPERBAND_BUG in str(exc)
            assert _raised_upstream(exc)
        else:
            pytest.fail(
                f"HyperbandSearchCV({type(est).__name__}) works with this dask-ml and "
                "Dask: dask/dask-ml#1016 is fixed. Test that it works instead, and "
                "update docs/user_guide/out_of_core.rst."
            )


R2_BUG = "cannot broadcast shape (nan,) to shape (nan,)"


def test_r2_scoring_of_dask_arrays_fails_only_for_the_upstream_dask_ml_bug(client):
    """dask-ml's r2_score (the default score of regressors in Incremental and
    ParallelPostFit) fails with current Dask: dask/dask-ml#1012. The same
    for scikit-learn's SGDRegressor; scoring="neg_mean_squared_error" works."""
    from sklearn.linear_model import SGDRegressor

    X, y = make_problem(SGDLinearRegressor)
    dX, dy = da.from_array(X, chunks=1_000), da.from_array(y, chunks=1_000)
    for est in (SGDRegressor(random_state=0), SGDLinearRegressor(random_state=0)):
        inc = Incremental(est).fit(dX, dy)
        with pytest.raises(ValueError, match=re.escape(R2_BUG)) as info:
            inc.score(dX, dy)
        assert _raised_upstream(info.value), info.getrepr()

    inc = Incremental(
        SGDLinearRegressor(random_state=0), scoring="neg_mean_squared_error"
    )
    inc.fit(dX, dy)
    mse = -inc.score(dX, dy)
    assert mse == pytest.approx(np.mean((inc.estimator_.predict(X) - y) ** 2))
