"""Data-parallel L-BFGS on a Dask cluster against one process.

``python benchmarks/cluster.py`` fits the issue's workload, a logistic
regression on 200,000 × 50 standard normal features (float64, labels from a
noisy linear score) with L-BFGS to the default tolerance, three ways:

- ``SGDLogisticClassifier(solver="lbfgs")`` on a Dask array of 4 row chunks
  already persisted on a LocalCluster of 2 worker processes × 1 thread (each
  fit prepares its own blocks from them on the workers, sgdlearn/_cluster.py);
- the same estimator on the NumPy array in this process;
- scikit-learn's ``LogisticRegression(C=1/alpha)`` (lbfgs) in this process;

and, with ``--dask-ml``, dask-ml's ``LogisticRegression(solver="lbfgs")``
on the Dask array. It prints the best of ``--repeats`` fit times and the
largest difference of the coefficients from scikit-learn's, and the
iterations of each sgdlearn fit.
"""

import argparse
import time
import warnings


def best_time(fit, repeats):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fit()
        times.append(time.perf_counter() - start)
    return min(times), result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dask-ml", action="store_true")
    args = parser.parse_args(argv)

    import dask.array as da
    import numpy as np
    from dask.distributed import Client, LocalCluster
    from sklearn.linear_model import LogisticRegression

    from sgdlearn import SGDLogisticClassifier

    rng = np.random.default_rng(0)
    n, d, alpha = 200_000, 50, 1.0
    X = rng.standard_normal((n, d))
    y = (X @ rng.standard_normal(d) + rng.standard_normal(n) > 0).astype(int)
    dX, dy = da.from_array(X, chunks=n // 4), da.from_array(y, chunks=n // 4)

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    # the data already on the workers, as when it is loaded there
    dX, dy = client.persist([dX, dy])
    try:
        rows = []
        est = SGDLogisticClassifier(solver="lbfgs", alpha=alpha)
        rows.append(
            (
                "sgdlearn, Dask array, 2 workers",
                *best_time(lambda: est.fit(dX, dy).coef_.ravel(), args.repeats),
            )
        )
        rows.append(
            (
                "sgdlearn, NumPy, 1 process",
                *best_time(
                    lambda: (
                        SGDLogisticClassifier(solver="lbfgs", alpha=alpha)
                        .fit(X, y)
                        .coef_.ravel()
                    ),
                    args.repeats,
                ),
            )
        )
        rows.append(
            (
                "scikit-learn LogisticRegression",
                *best_time(
                    lambda: LogisticRegression(C=1 / alpha).fit(X, y).coef_.ravel(),
                    args.repeats,
                ),
            )
        )
        if args.dask_ml:
            from dask_ml.linear_model import LogisticRegression as DaskLR

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rows.append(
                    (
                        "dask-ml LogisticRegression, 2 workers",
                        *best_time(
                            lambda: (
                                DaskLR(solver="lbfgs", C=1 / alpha)
                                .fit(dX, dy)
                                .coef_.ravel()
                            ),
                            1,
                        ),
                    )
                )
        reference = rows[2][2]
        print("| fit | seconds | max abs coef difference from scikit-learn |")
        print("|---|---|---|")
        for name, seconds, coef in rows:
            gap = np.abs(coef - reference).max()
            print(f"| {name} | {seconds:.3f} | {gap:.1e} |")
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
