"""Epochs to the optimum: which settings reach it fastest on the dense workloads.

For each dense linear workload of the suite and each setting of a grid,
train one epoch per ``partial_fit`` call and record after how many epochs
the test loss is first within 1% of the optimum's (the target of
``run.py``), up to ``--max-epochs``. The grid crosses solvers, learning
rates and batch sizes; ``--seeds`` repeats each setting. It prints a
markdown table per workload, best settings first. This is the measurement
behind the linear models' defaults (docs/user_guide/performance.rst,
"The linear models' defaults")::

    python benchmarks/sweep.py                      # the default grid, 1 seed
    python benchmarks/sweep.py --seeds 5 --solver adagrad --lr 0.03 \\
        --batch-size 512

It counts epochs, not seconds, so it can run with one BLAS thread on a busy
machine; ``run.py`` times the defaults.
"""

import argparse
import itertools
import math
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sgdlearn  # noqa: E402
from benchmarks.workloads import make_workload, optimum, test_loss  # noqa: E402

ESTIMATORS = {
    "regression": sgdlearn.SGDLinearRegressor,
    "binary": sgdlearn.SGDLogisticClassifier,
    "multiclass": sgdlearn.SoftmaxClassifier,
}
WORKLOADS = ("dense-regression", "dense-binary", "dense-10class")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", action="append", choices=WORKLOADS)
    parser.add_argument(
        "--solver", action="append", help="default: sgd, adagrad, rmsprop, adam"
    )
    parser.add_argument("--lr", action="append", type=float, help="default: 0.003-0.1")
    parser.add_argument(
        "--batch-size", action="append", type=int, help="default: 256, 512, 2048"
    )
    parser.add_argument("--seeds", type=int, default=1, help="random_state 0 … n-1")
    parser.add_argument("--max-epochs", type=int, default=15)
    parser.add_argument("--scale", type=float, default=1.0, help="row-count factor")
    return parser.parse_args(argv)


def epochs_to_target(estimator, workload, target, max_epochs):
    """(epochs until the test loss ≤ target or None, the best test loss)."""
    fit_params = {} if workload.task == "regression" else {"classes": workload.classes}
    best = math.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in range(1, max_epochs + 1):
            estimator.partial_fit(workload.X_train, workload.y_train, **fit_params)
            loss = test_loss(estimator, workload)
            best = min(best, loss)
            if loss <= target:
                return epoch, best
    return None, best


def sweep(name, args):
    workload = make_workload(name, scale=args.scale)
    reference = optimum(workload)
    target = 1.01 * reference["loss"]
    grid = itertools.product(
        args.solver or ["sgd", "adagrad", "rmsprop", "adam"],
        args.lr or [0.003, 0.01, 0.03, 0.1],
        args.batch_size or [256, 512, 2048],
    )
    rows = []
    for solver, lr, batch_size in grid:
        epochs, best = [], math.inf
        for seed in range(args.seeds):
            estimator = ESTIMATORS[workload.task](
                solver=solver,
                learning_rate_init=lr,
                batch_size=batch_size,
                alpha=workload.alpha,
                random_state=seed,
            )
            reached, seed_best = epochs_to_target(
                estimator, workload, target, args.max_epochs
            )
            epochs.append(reached)
            best = min(best, seed_best)
        rows.append((solver, lr, batch_size, epochs, best / reference["loss"]))
        print(f"{name} {solver} lr={lr:g} batch={batch_size}: {epochs}", flush=True)

    def worst(row):
        return max(math.inf if e is None else e for e in row[3])

    print(f"\n### {name}: target {target:.5g} = 1.01 × {reference['solver']}'s")
    print(
        "\n| solver | learning_rate_init | batch_size | epochs to target "
        "(per seed) | best test loss ÷ optimum's |"
    )
    print("|---|---|---|---|---|")
    for solver, lr, batch_size, epochs, ratio in sorted(rows, key=worst):
        shown = ", ".join("—" if e is None else str(e) for e in epochs)
        print(f"| {solver} | {lr:g} | {batch_size} | {shown} | {ratio:.4f} |")
    print()


def main(argv=None):
    args = parse_args(argv)
    np.seterr(all="ignore")
    for name in args.workload or WORKLOADS:
        sweep(name, args)


if __name__ == "__main__":
    main()
