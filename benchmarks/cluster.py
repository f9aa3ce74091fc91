"""Data-parallel training on a Dask cluster: sgdlearn against dask-ml and scikit-learn.

``python benchmarks/cluster.py`` starts ``LocalCluster``\\ s of worker
processes with one thread each (``--workers``, 2) and measures:

1. **Logistic regression, 200,000 × 50** (``--rows``, ``--features``) in four
   blocks of rows, C = 1: the fit time of ``SGDLogisticClassifier(solver=
   "lbfgs", alpha=1/C)`` on the Dask arrays, of dask-ml's
   ``LogisticRegression(solver="lbfgs", C=1)`` on the same Dask arrays, and of
   scikit-learn's ``LogisticRegression(C=1)`` in this process on the NumPy
   copy (``--threads`` BLAS threads, 2: the cores the two workers use). The
   three minimise Σ log-loss + ½‖w‖²/C (dask-ml also penalises its
   intercept). For reference, the sgdlearn lbfgs fit on the NumPy copy in
   this process too. Reported for each: test accuracy, the objective per training
   row at its coefficients, and the largest coefficient difference from
   scikit-learn's, relative to the largest of scikit-learn's coefficients.
   Also the stochastic path, ``SGDLogisticClassifier(solver="adagrad")``
   (the solver ``"auto"`` picks above 100,000 rows; local SGD with parameter
   averaging on the cluster), with its test log-loss beside the lbfgs
   optimum's.
2. **Scaling**: seconds per L-BFGS iteration (fit time ÷ ``n_iter_``) on
   2,000,000 × 50 rows (800 MB, ``--scaling-rows``) in eight blocks, on a
   cluster of one worker and on one of two; these fits run until L-BFGS
   stops improving, at most 20 iterations (``max_iter=20``,
   ``tol=1e-12``), so that the setup of a fit weighs little. Beside it,
   the share of the wall time the workers spent on a CPU (psutil): other
   processes on the machine starve them.
3. **Larger than a worker's memory**: an lbfgs fit on 4,000,000 × 50 rows
   (1.6 GB, ``--memory-rows``) in twenty blocks on two workers whose
   ``memory_limit`` is 1.5 GB (``--memory-limit-mb``), so neither could hold
   the data. Spilling to disk and pausing are off, so a worker whose memory
   passes the limit is restarted by its nanny and the fit cannot complete
   unnoticed; a worker's own memory (its imports and buffers, a few hundred
   MB) comes on top of its share, which is why the limit is not set just
   under the data's size. Each worker's peak resident memory during the
   fit is sampled by a thread started on the workers (``client.run``), and
   so is this
   process's, which must stay far below the data's size (the client never
   gathers X).

The data is generated on the workers, block by block and round robin, so
that each worker holds its share (NumPy generators seeded by the seed and
the block's index: standard normal features, labels drawn from a logistic
model with fixed weights), and kept there before any clock starts; test rows
come from a second seed. sgdlearn and
scikit-learn fits are the best of ``--repeats`` (3); dask-ml's is timed once
(``--skip-dask-ml`` leaves it out). ``--quick`` shrinks every size for a
smoke test. The markdown table is printed and written to ``--out``
(``cluster-<timestamp>.md`` and ``cluster-latest.md``).
"""

import argparse
import gc
import importlib.metadata
import operator
import sys
import time
import warnings
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks import machine, memory, report  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "results"
MB = 1e6
TARGET_VS_DASK_ML = 0.1  # the targets for the ratios of fit times
TARGET_VS_SKLEARN = 2.0
SECTIONS = ("logistic", "scaling", "memory")
# The scaling fits run lbfgs until it stops improving (tol too small to stop
# it sooner), at most max_iter iterations, so that the fit's setup (checking
# and preparing the blocks on the workers) is a small part of the time per
# iteration.
SCALING_ITERATIONS = {"max_iter": 20, "tol": 1e-12}


# -- data ------------------------------------------------------------------------


def true_weights(n_features, seed=0):
    """The logistic model's weights and intercept (about unit-scale scores)."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n_features) / np.sqrt(n_features), 0.25


def _block(seed, index, rows, w, b):
    """Block ``index`` of the rows, (X, y), generated on a worker."""
    rng = np.random.default_rng([seed, index])
    X = rng.standard_normal((rows, w.size))
    y = (rng.random(rows) < 1.0 / (1.0 + np.exp(-(X @ w + b)))).astype(np.int64)
    return X, y


def make_data(client, n_rows, n_features, n_blocks, seed=0):
    """(X, y) Dask arrays of ``n_blocks`` blocks of rows, each generated on a
    worker (round robin, so every worker holds its share) and kept there;
    returns once every block is in memory."""
    import dask.array as da
    from distributed import wait

    w, b = true_weights(n_features)
    workers = sorted(client.scheduler_info()["workers"])
    sizes = [len(r) for r in np.array_split(np.arange(n_rows), n_blocks)]
    X_parts, y_parts = [], []
    for index, rows in enumerate(sizes):
        where = [workers[index % len(workers)]]
        both = client.submit(_block, seed, index, rows, w, b, workers=where)
        X_part = client.submit(operator.itemgetter(0), both, workers=where)
        y_part = client.submit(operator.itemgetter(1), both, workers=where)
        X_parts.append(da.from_delayed(X_part, (rows, n_features), np.float64))
        y_parts.append(da.from_delayed(y_part, (rows,), np.int64))
    X, y = da.concatenate(X_parts), da.concatenate(y_parts)
    X, y = client.persist([X, y])
    wait([X, y])
    return X, y


def data_mb(X):
    return X.size * X.dtype.itemsize / MB


def start_cluster(n_workers, memory_limit="auto"):
    """A LocalCluster of ``n_workers`` one-thread worker processes and its
    client; with a ``memory_limit``, spilling and pausing are off (the
    nanny restarts a worker that passes it)."""
    import dask
    from distributed import Client, LocalCluster

    settings = {}
    if memory_limit != "auto":
        settings = {
            f"distributed.worker.memory.{name}": False
            for name in ("target", "spill", "pause")
        }
    with dask.config.set(settings):
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit,
            host="127.0.0.1",
            dashboard_address=None,
        )
    client = Client(cluster)
    client.wait_for_workers(n_workers)
    return cluster, client


# -- fitting and scoring -----------------------------------------------------------


def best_fit(make, X, y, repeats):
    """(best seconds of ``repeats`` fits, the last fitted estimator)."""
    best, estimator = np.inf, None
    for _ in range(repeats):
        estimator = make()
        gc.collect()
        start = time.perf_counter()
        estimator.fit(X, y)
        best = min(best, time.perf_counter() - start)
    return best, estimator


def linear_part(estimator):
    """(coef as a vector, intercept as a float) of any of the three models."""
    coef = np.asarray(estimator.coef_, dtype=float).ravel()
    return coef, float(np.ravel(estimator.intercept_)[0])


def evaluate(coef, intercept, train, test, C):
    """Objective per training row, test accuracy and test log-loss."""
    from sklearn.metrics import log_loss

    (X, y), (X_test, y_test) = train, test
    z = X @ coef + intercept
    objective = np.logaddexp(0.0, z).sum() - y @ z + 0.5 * coef @ coef / C
    z_test = X_test @ coef + intercept
    return {
        "objective": float(objective / len(y)),
        "accuracy": float(np.mean((z_test > 0) == y_test)),
        "test_log_loss": float(log_loss(y_test, 1.0 / (1.0 + np.exp(-z_test)))),
    }


def contender(name, seconds, estimator, train, test, C, **extra):
    coef, intercept = linear_part(estimator)
    n_iter = getattr(estimator, "n_iter_", None)
    return {
        "name": name,
        "seconds": seconds,
        "n_iter": None if n_iter is None else int(np.max(n_iter)),
        "coef": coef,
        **evaluate(coef, intercept, train, test, C),
        **extra,
    }


def logistic_comparison(args):
    """Section 1: the three lbfgs fits and the stochastic path, 200,000 × 50."""
    from sklearn.linear_model import LogisticRegression

    from sgdlearn import SGDLogisticClassifier

    C, results = 1.0, []
    cluster, client = start_cluster(args.workers)
    try:
        X, y = make_data(client, args.rows, args.features, args.blocks)
        X_test, y_test = make_data(client, args.rows // 4, args.features, 1, seed=1)
        train = (X.compute(), y.compute())
        test = (X_test.compute(), y_test.compute())
        note(f"logistic: {args.rows:,} × {args.features}, {data_mb(X):.0f} MB")

        seconds, est = best_fit(
            lambda: SGDLogisticClassifier(solver="lbfgs", alpha=1.0 / C),
            X, y, args.repeats,
        )  # fmt: skip
        results.append(
            contender(
                f'sgdlearn SGDLogisticClassifier(solver="lbfgs", alpha={1 / C:g}), '
                "Dask arrays",
                seconds, est, train, test, C, key="sgdlearn",
            )
        )  # fmt: skip
        note(f"  sgdlearn lbfgs: {seconds:.2f} s")
        if not args.skip_dask_ml:
            from dask_ml.linear_model import LogisticRegression as DaskLogistic

            seconds, est = best_fit(lambda: DaskLogistic(solver="lbfgs", C=C), X, y, 1)
            results.append(
                contender(
                    f'dask-ml LogisticRegression(solver="lbfgs", C={C:g}), '
                    "Dask arrays",
                    seconds, est, train, test, C, key="dask-ml",
                )
            )  # fmt: skip
            note(f"  dask-ml: {seconds:.2f} s")
        seconds, est = best_fit(
            lambda: SGDLogisticClassifier(solver="adagrad", random_state=0),
            X, y, args.repeats,
        )  # fmt: skip
        results.append(
            contender(
                'sgdlearn SGDLogisticClassifier(solver="adagrad"), Dask arrays '
                "(local SGD, parameter averaging)",
                seconds, est, train, test, C, key="sgdlearn-stochastic",
            )
        )  # fmt: skip
        note(f"  sgdlearn stochastic: {seconds:.2f} s")
    finally:
        client.close()
        cluster.close()

    machine.limit_threads(args.threads, with_torch=False)
    seconds, est = best_fit(
        lambda: SGDLogisticClassifier(solver="lbfgs", alpha=1.0 / C),
        *train, args.repeats,
    )  # fmt: skip
    results.append(
        contender(
            f'sgdlearn SGDLogisticClassifier(solver="lbfgs", alpha={1 / C:g}), '
            f"NumPy, one process, {args.threads} BLAS threads",
            seconds, est, train, test, C, key="sgdlearn-numpy",
        )
    )  # fmt: skip
    note(f"  sgdlearn lbfgs, NumPy: {seconds:.2f} s")
    seconds, est = best_fit(
        lambda: LogisticRegression(C=C), train[0], train[1], args.repeats
    )
    results.append(
        contender(
            f"scikit-learn LogisticRegression(C={C:g}), NumPy, one process, "
            f"{args.threads} BLAS threads",
            seconds, est, train, test, C, key="sklearn",
        )
    )  # fmt: skip
    note(f"  scikit-learn: {seconds:.2f} s")
    reference = results[-1]["coef"]
    for row in results:
        gap = np.max(np.abs(row.pop("coef") - reference))
        row["coef_difference"] = float(gap / np.max(np.abs(reference)))
    return results


def scaling(args):
    """Section 2: seconds per lbfgs iteration on one worker and on two."""
    from sgdlearn import SGDLogisticClassifier

    rows = []
    for n_workers in sorted({1, args.workers}):
        cluster, client = start_cluster(n_workers)
        try:
            X, y = make_data(client, args.scaling_rows, args.features, 8)
            cpu_before, wall = sum(client.run(_cpu_seconds).values()), time.time()
            seconds, est = best_fit(
                lambda: SGDLogisticClassifier(
                    solver="lbfgs", alpha=1.0, **SCALING_ITERATIONS
                ),
                X, y, args.repeats,
            )  # fmt: skip
            wall = time.time() - wall
            cpu = sum(client.run(_cpu_seconds).values()) - cpu_before
            rows.append(
                {
                    "workers": n_workers,
                    "cpu_share": cpu / (wall * n_workers),
                    "mb": data_mb(X),
                    "seconds": seconds,
                    "n_iter": int(est.n_iter_),
                    "per_iteration": seconds / int(est.n_iter_),
                }
            )
            note(f"scaling, {n_workers} worker(s): {seconds:.2f} s")
        finally:
            client.close()
            cluster.close()
    return rows


def _cpu_seconds():
    """CPU seconds this process has used so far (run on each worker)."""
    import psutil

    times = psutil.Process().cpu_times()
    return times.user + times.system


def _start_sampler(dask_worker):
    dask_worker.peak_sampler = memory.PeakSampler(interval=0.005).__enter__()


def _stop_sampler(dask_worker):
    sampler = dask_worker.peak_sampler
    sampler.__exit__(None, None, None)
    return sampler.peak


def _bytes_sent(since, addresses, dask_worker=None):
    """(bytes sent to other workers, bytes sent elsewhere: the scheduler, which
    runs in the client's process, or the client) in the transfers this
    worker started after ``since`` (time.time())."""
    to_workers = elsewhere = 0
    for transfer in dask_worker.transfer_outgoing_log:
        if transfer["start"] >= since:
            if transfer["who"] in addresses:
                to_workers += transfer["total"]
            else:
                elsewhere += transfer["total"]
    return to_workers, elsewhere


def larger_than_memory(args):
    """Section 3: a fit on more data than one worker's memory_limit."""
    from sgdlearn import SGDLogisticClassifier

    limit = args.memory_limit_mb * MB
    cluster, client = start_cluster(args.workers, memory_limit=limit)
    result = {"memory_limit_mb": args.memory_limit_mb, "workers": args.workers}
    try:
        X, y = make_data(client, args.memory_rows, args.features, args.memory_blocks)
        result.update(mb=data_mb(X), blocks=X.numblocks[0], shape=X.shape)
        since = time.time()
        client.run(_start_sampler)
        with memory.PeakSampler(interval=0.005) as local:
            before = local.peak
            start = time.perf_counter()
            try:
                est = SGDLogisticClassifier(solver="lbfgs", alpha=1.0).fit(X, y)
                result.update(completed=True, n_iter=int(est.n_iter_))
            except Exception as error:  # report it in the table
                result.update(completed=False, error=f"{type(error).__name__}: {error}")
            result["seconds"] = time.perf_counter() - start
        result["worker_peaks_mb"] = [
            peak / MB for peak in client.run(_stop_sampler).values()
        ]
        result["client_extra_mb"] = (local.peak - before) / MB
        workers = list(client.scheduler_info()["workers"])
        sent = list(client.run(_bytes_sent, since, workers).values())
        # a restarted worker has no transfer log of the fit: counted as none
        totals = np.sum(sent, 0) if sent else np.zeros(2)
        result["to_workers_mb"], result["to_client_mb"] = totals / MB
    finally:
        client.close()
        cluster.close()
    note(f"larger than memory: {result}")
    return result


# -- the table ---------------------------------------------------------------------


def note(text):
    print(text, file=sys.stderr, flush=True)


def versions():
    names = ("numpy", "scipy", "scikit-learn", "dask", "distributed", "dask-ml")
    found = {"python": sys.version.split()[0]}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return ", ".join(f"{name} {version}" for name, version in found.items())


def ratio_cell(numerator, denominator, target):
    if numerator is None or denominator is None:
        return "—"
    ratio = numerator / denominator
    verdict = "met" if ratio <= target else "not met"
    return f"{ratio:.3g}× (target ≤ {target:g}×: {verdict})"


def header(args, meta):
    env = meta["environment"]
    return "\n".join(
        [
            f"# Training on a cluster, {meta['date']}",
            "",
            f"Command: `{meta['command']}` ({meta['duration_s']:.0f} s). "
            f"{env['cpu']} ({env['cpu_count']} cores); LocalCluster of worker "
            "processes with 1 thread each; the data is generated and persisted on "
            f"the workers before timing. Other processes used "
            f"{report._share(meta['other_load'])} of the CPU during the run.",
            "",
            f"Versions: {versions()}.",
        ]
    )


def logistic_rows(results, args):
    by_key = {row["key"]: row for row in results}
    lines = [
        "",
        f"## Logistic regression, {args.rows:,} × {args.features}, "
        f"{args.blocks} blocks, C = 1, {args.workers} workers",
        "",
        "| contender | fit, s | iterations | test accuracy | objective per row "
        "| max coef. difference vs scikit-learn | test log-loss |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in results:
        n_iter = "—" if row["n_iter"] is None else str(row["n_iter"])
        lines.append(
            f"| {row['name']} | {report.seconds_text(row['seconds'])} | {n_iter} "
            f"| {row['accuracy']:.4f} | {row['objective']:.6f} "
            f"| {row['coef_difference']:.1e} | {row['test_log_loss']:.5f} |"
        )
    seconds = {key: row["seconds"] for key, row in by_key.items()}
    ours = seconds.get("sgdlearn")
    lines += [
        "",
        "| ratio of fit times | value |",
        "|---|---|",
        "| sgdlearn lbfgs ÷ dask-ml lbfgs | "
        f"{ratio_cell(ours, seconds.get('dask-ml'), TARGET_VS_DASK_ML)} |",
        "| sgdlearn lbfgs ÷ scikit-learn | "
        f"{ratio_cell(ours, seconds.get('sklearn'), TARGET_VS_SKLEARN)} |",
    ]
    stochastic = by_key.get("sgdlearn-stochastic")
    if stochastic and "sgdlearn" in by_key:
        gap = stochastic["test_log_loss"] / by_key["sgdlearn"]["test_log_loss"]
        lines.append(
            f"| sgdlearn stochastic: test log-loss ÷ the lbfgs optimum's | {gap:.4f} |"
        )
    return lines


def scaling_rows(rows, args):
    lines = [
        "",
        f"## Scaling: seconds per L-BFGS iteration, {args.scaling_rows:,} × "
        f"{args.features} ({rows[0]['mb']:.0f} MB), 8 blocks, "
        f"max_iter={SCALING_ITERATIONS['max_iter']}, "
        f"tol={SCALING_ITERATIONS['tol']:g}",
        "",
        "| workers | fit, s | iterations | s / iteration "
        "| workers' CPU time ÷ (wall time × workers) |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['workers']} | {report.seconds_text(row['seconds'])} "
            f"| {row['n_iter']} | {row['per_iteration']:.4f} "
            f"| {row['cpu_share']:.0%} |"
        )
    if len(rows) == 2:
        speedup = rows[0]["per_iteration"] / rows[1]["per_iteration"]
        lines.append(
            f"| 1 worker ÷ {rows[1]['workers']} workers (per iteration) "
            f"| | | {speedup:.2f}× | |"
        )
    return lines


def memory_rows(result):
    completed = "yes" if result["completed"] else f"no: {result['error'][:160]}"
    peaks = ", ".join(f"{peak:.0f}" for peak in result["worker_peaks_mb"])
    n_iter = result.get("n_iter", "—")
    return [
        "",
        "## Larger than one worker's memory",
        "",
        "| data | blocks | memory_limit per worker | workers' peak RSS, MB "
        "| client's extra RSS during fit, MB | sent by the workers during fit "
        "to the client's process, MB | to other workers, MB | fit, s | iterations "
        "| completed |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| {result['shape'][0]:,} × {result['shape'][1]}, {result['mb']:.0f} MB "
        f"| {result['blocks']} | {result['memory_limit_mb']:.0f} MB | {peaks} "
        f"| {result['client_extra_mb']:.0f} | {result['to_client_mb']:.2f} "
        f"| {result['to_workers_mb']:.1f} | "
        f"{report.seconds_text(result['seconds'])} | {n_iter} | {completed} |",
    ]


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--scaling-rows", type=int, default=2_000_000)
    parser.add_argument("--memory-rows", type=int, default=4_000_000)
    parser.add_argument("--memory-blocks", type=int, default=20)
    parser.add_argument("--memory-limit-mb", type=float, default=1536)
    parser.add_argument("--threads", type=int, default=2, help="scikit-learn's BLAS")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-dask-ml", action="store_true")
    parser.add_argument(
        "--section",
        action="append",
        choices=SECTIONS,
        help="run only this part (repeatable; default: all three)",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.scaling_rows, args.memory_rows = 20_000, 40_000, 40_000
        args.memory_limit_mb = min(args.memory_limit_mb, 512)
        args.repeats = 1
    return args


def main(argv=None):
    args = parse(argv)
    started = time.perf_counter()
    warnings.simplefilter("ignore")  # ConvergenceWarnings, dask's start-up notes
    parts = {
        "logistic": lambda: logistic_rows(logistic_comparison(args), args),
        "scaling": lambda: scaling_rows(scaling(args), args),
        "memory": lambda: memory_rows(larger_than_memory(args)),
    }
    with machine.OtherLoad() as load:
        sections = [line for name in args.section or SECTIONS for line in parts[name]()]
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join(["python benchmarks/cluster.py", *(argv or sys.argv[1:])]),
        "duration_s": time.perf_counter() - started,
        "environment": machine.environment(),
        "other_load": load.share,
    }
    text = "\n".join([header(args, meta), *sections])
    print(text)
    report.write_results(args.out, "cluster", {"md": text})


if __name__ == "__main__":
    main()
