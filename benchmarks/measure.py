"""Clocks: seconds per epoch, and the time to reach a target test loss.

Only training is timed. Evaluations of the test loss between epochs (or
between L-BFGS runs) happen with the clock stopped.
"""

import gc
import math
import time
import warnings
from contextlib import contextmanager

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .workloads import test_loss, test_score


@contextmanager
def quiet():
    """Hide convergence warnings: the fits are cut short on purpose."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        yield


def iterations_run(estimator, default):
    """Epochs / iterations of the last fit (max over classes for one-vs-rest)."""
    n_iter = getattr(estimator, "n_iter_", None)
    if n_iter is None:
        return default
    return int(np.max(n_iter))


def _timed_fit(estimator, workload):
    gc.collect()
    with quiet():
        start = time.perf_counter()
        estimator.fit(workload.X_train, workload.y_train)
        return time.perf_counter() - start


def summary(values):
    return {
        "median": float(np.median(values)),
        "min": float(np.min(values)),
        "max": float(np.max(values)),
        "values": [float(v) for v in values],
    }


def warm_up(contender, workload, rows=1024):
    """One short fit on the first rows: imports, first-call costs, thread start."""
    rows = min(rows, workload.n_train)
    with quiet():
        contender.make(1).fit(workload.X_train[:rows], workload.y_train[:rows])


def time_fits(contender, workload, epochs, repeats):
    """Fit ``repeats`` times (after a warm-up); seconds per epoch or per fit.

    Full-batch contenders fit once, with their default ``max_iter``.

    Returns the per-epoch (or per-fit) summary, the iterations each fit ran,
    and the test score and loss of the last fit.
    """
    max_iter = epochs if contender.mode == "epochs" else contender.default_max_iter
    if contender.mode != "epochs":
        repeats = 1  # full batch: its timings come from the iteration scan
    warm_up(contender, workload)
    seconds, iterations = [], []
    for _ in range(repeats):
        estimator = contender.make(max_iter)
        seconds.append(_timed_fit(estimator, workload))
        iterations.append(iterations_run(estimator, max_iter))
    result = {
        "max_iter": max_iter,
        "iterations": iterations,
        "fit_seconds": summary(seconds),
        "test_score": test_score(estimator, workload),
        "test_loss": test_loss(estimator, workload),
    }
    if contender.mode == "epochs":
        result["per_epoch"] = summary([s / n for s, n in zip(seconds, iterations)])
    return result


def epoch_curve(contender, workload, max_epochs, target=None):
    """Train one epoch per ``partial_fit`` call; [epoch, train seconds, test loss] rows.

    Stops at ``max_epochs``, at a non-finite loss, or once ``target`` is reached.
    """
    estimator = contender.make(1)
    extra = {} if workload.task == "regression" else {"classes": workload.classes}
    elapsed, curve = 0.0, []
    with quiet():
        for epoch in range(1, max_epochs + 1):
            gc.collect()
            start = time.perf_counter()
            estimator.partial_fit(workload.X_train, workload.y_train, **extra)
            elapsed += time.perf_counter() - start
            loss = test_loss(estimator, workload)
            curve.append([epoch, elapsed, loss])
            if not math.isfinite(loss) or (target is not None and loss <= target):
                break
    return curve


def iteration_curve(contender, workload, target, max_iter_cap=1024):
    """Fresh fits with max_iter 1, 2, 4, … then bisection down to the fewest
    iterations (within 10%) whose fit reaches ``target``.

    Returns [max_iter, fit seconds, test loss] rows sorted by max_iter, and
    whether a fit stopped by itself (its own tol) before ``max_iter``.
    """
    runs = {}

    def attempt(max_iter):
        estimator = contender.make(max_iter)
        seconds = _timed_fit(estimator, workload)
        runs[max_iter] = [max_iter, seconds, test_loss(estimator, workload)]
        return runs[max_iter][2], iterations_run(estimator, max_iter)

    if contender.mode == "closed-form":
        attempt(1)
        return list(runs.values())
    low, high = 0, 1
    while True:
        loss, ran = attempt(high)
        if target is not None and loss <= target:
            break
        if ran < high or high >= max_iter_cap or target is None:
            return sorted(runs.values())  # converged (or capped) above the target
        low, high = high, 2 * high
    while high - low > max(1, high // 10):
        middle = (low + high) // 2
        loss, _ = attempt(middle)
        if loss <= target:
            high = middle
        else:
            low = middle
    return sorted(runs.values())


def time_to_target(curve, target, mode):
    """Seconds and steps at the first row of ``curve`` at or below ``target``.

    For an epoch curve the seconds are cumulative; for an iteration curve each
    row is its own fit, so the answer is the row with the fewest iterations
    that reaches the target.
    """
    if target is None or not curve:
        return None
    reached = [row for row in curve if row[2] <= target]
    if not reached:
        return {
            "reached": False,
            "best_loss": min(row[2] for row in curve),
            "seconds": curve[-1][1] if mode == "epochs" else None,
            "steps": curve[-1][0],
        }
    step, seconds, loss = min(reached, key=lambda row: row[0])
    return {"reached": True, "seconds": seconds, "steps": step, "loss": loss}
