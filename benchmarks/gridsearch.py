"""Grid searches on small data: sgdlearn against scikit-learn, fit for fit.

``python benchmarks/gridsearch.py`` times
``GridSearchCV(make_pipeline(StandardScaler(), est), grid, cv=5)`` (``n_jobs``
None) on scikit-learn's bundled data sets, for each sgdlearn estimator and
its scikit-learn counterpart, once with the BLAS pools as they are and once
with ``OPENBLAS_NUM_THREADS=1`` (each in a fresh process, the variable set
before NumPy loads). The linear models get a 3-value grid over their
regularisation strength, the MLPs 2 values (``max_iter`` 100 for the
classifier, 200 for the regressor). It prints a markdown table of the best
of ``--repeats`` search times, their ratio and the best CV scores, and
writes it to ``--out``.

The MLPs' scores depend on their random start, by more than the 0.002 the
linear rows are compared at: one search's score lands on either side of
the other library's. So a second table gives, for each row whose models
start at random, the best CV score of one search per ``random_state`` in
0 … ``--seeds`` − 1 (5; one BLAS thread, a fresh process) for both
libraries: the mean and standard deviation over the seeds, and the
difference of the means in units of its standard error.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import report  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "results"
# The estimators whose models start at random (the linear models' solvers
# here, Newton and L-BFGS from the best constant, do not).
RANDOM_START = ("MLPClassifier", "MLPRegressor")


def rows():
    """(name, load, sgdlearn search, scikit-learn search): the estimators and
    grids, built on demand so the parent process imports no NumPy."""
    from sklearn import linear_model, neural_network
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits

    import sgdlearn

    strengths = {"alpha": [0.1, 1.0, 10.0]}
    sgd_strengths = {"alpha": [1e-5, 1e-4, 1e-3]}
    mlp_strengths = {"alpha": [1e-4, 1e-3]}
    return [
        (
            "digits, SoftmaxClassifier() vs LogisticRegression()",
            load_digits,
            (sgdlearn.SoftmaxClassifier(), strengths),
            (linear_model.LogisticRegression(), {"C": [10.0, 1.0, 0.1]}),
        ),
        (
            'digits, SoftmaxClassifier(solver="lbfgs") vs LogisticRegression()',
            load_digits,
            (sgdlearn.SoftmaxClassifier(solver="lbfgs"), strengths),
            (linear_model.LogisticRegression(), {"C": [10.0, 1.0, 0.1]}),
        ),
        (
            'breast cancer, SGDLogisticClassifier() vs SGDClassifier(loss="log_loss")',
            load_breast_cancer,
            (sgdlearn.SGDLogisticClassifier(), strengths),
            (linear_model.SGDClassifier(loss="log_loss"), sgd_strengths),
        ),
        (
            "diabetes, SGDLinearRegressor() vs SGDRegressor()",
            load_diabetes,
            (sgdlearn.SGDLinearRegressor(), strengths),
            (linear_model.SGDRegressor(), sgd_strengths),
        ),
        (
            "digits, MLPClassifier((64,), max_iter=100)",
            load_digits,
            (sgdlearn.MLPClassifier((64,), max_iter=100), mlp_strengths),
            (neural_network.MLPClassifier((64,), max_iter=100), mlp_strengths),
        ),
        (
            "diabetes, MLPRegressor((32,), max_iter=200)",
            load_diabetes,
            (
                sgdlearn.MLPRegressor(hidden_layer_sizes=(32,), max_iter=200),
                mlp_strengths,
            ),
            (
                neural_network.MLPRegressor(hidden_layer_sizes=(32,), max_iter=200),
                mlp_strengths,
            ),
        ),
    ]


def time_search(load, estimator, grid, repeats):
    """(best seconds of ``repeats`` searches, best CV score)."""
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load(return_X_y=True)
    step = type(estimator).__name__.lower()
    param_grid = {f"{step}__{name}": values for name, values in grid.items()}
    best, score = float("inf"), None
    for _ in range(repeats):
        search = GridSearchCV(
            make_pipeline(StandardScaler(), clone(estimator)), param_grid, cv=5
        )
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search.fit(X, y)
        best = min(best, time.perf_counter() - start)
        score = search.best_score_
    return best, score


def seed_scores(n_seeds):
    """For each row whose models start at random: the best CV score of one
    search per ``random_state`` in range(n_seeds), for both libraries."""
    results = []
    for name, load, ours, theirs in rows():
        if type(ours[0]).__name__ not in RANDOM_START:
            continue
        scores = {}
        for side, (estimator, grid) in (("sgdlearn", ours), ("sklearn", theirs)):
            scores[side] = [
                time_search(load, estimator.set_params(random_state=seed), grid, 1)[1]
                for seed in range(n_seeds)
            ]
        results.append({"workload": name, **scores})
        print(f"  {name}: scores over {n_seeds} seeds", file=sys.stderr)
    return results


def measure_all(repeats):
    """Every row in this process: a list of dicts."""
    results = []
    for name, load, ours, theirs in rows():
        t_ours, s_ours = time_search(load, *ours, repeats)
        t_theirs, s_theirs = time_search(load, *theirs, repeats)
        results.append(
            {
                "workload": name,
                "sgdlearn_s": t_ours,
                "sklearn_s": t_theirs,
                "sgdlearn_score": s_ours,
                "sklearn_score": s_theirs,
            }
        )
        print(f"  {name}: {t_ours:.3f} s vs {t_theirs:.3f} s", file=sys.stderr)
    return results


def in_fresh_process(threads, *child_args):
    """Run this script's ``child_args`` (``--child`` …) in a new interpreter,
    with OPENBLAS_NUM_THREADS set when ``threads`` is given (it must be set
    before NumPy loads); returns what it printed, read as JSON."""
    env = dict(os.environ)
    env.pop("OPENBLAS_NUM_THREADS", None)
    if threads is not None:
        env["OPENBLAS_NUM_THREADS"] = str(threads)
    command = [sys.executable, __file__, *child_args]
    output = subprocess.run(command, env=env, capture_output=True, text=True)
    sys.stderr.write(output.stderr)
    output.check_returncode()
    return json.loads(output.stdout)


def table(by_setting):
    lines = [
        "| workload | BLAS threads | sgdlearn, s | scikit-learn, s | ratio "
        "| best CV score: sgdlearn | scikit-learn |",
        "|---|---|---|---|---|---|---|",
    ]
    for setting, results in by_setting.items():
        for row in results:
            ratio = row["sgdlearn_s"] / row["sklearn_s"]
            lines.append(
                f"| {row['workload']} | {setting} | {row['sgdlearn_s']:.2f} "
                f"| {row['sklearn_s']:.2f} | {ratio:.2f}× "
                f"| {row['sgdlearn_score']:.4f} | {row['sklearn_score']:.4f} |"
            )
    return "\n".join(lines)


def _mean_sd(values):
    mean = sum(values) / len(values)
    variance = sum((v - mean) ** 2 for v in values) / max(len(values) - 1, 1)
    return mean, math.sqrt(variance)


def seeds_table(results):
    lines = [
        "| workload | seeds | best CV score: sgdlearn, mean ± sd "
        "| scikit-learn, mean ± sd | difference of means ÷ its standard error |",
        "|---|---|---|---|---|",
    ]
    for row in results:
        (m_ours, sd_ours), (m_theirs, sd_theirs) = (
            _mean_sd(row["sgdlearn"]),
            _mean_sd(row["sklearn"]),
        )
        n = len(row["sgdlearn"])
        error = math.sqrt((sd_ours**2 + sd_theirs**2) / n)
        z = (m_ours - m_theirs) / error if error > 0 else 0.0
        lines.append(
            f"| {row['workload']} | {n} | {m_ours:.4f} ± {sd_ours:.4f} "
            f"| {m_theirs:.4f} ± {sd_theirs:.4f} | {z:+.2f} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=5, help="0: no seeds table")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-seeds", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure_all(args.repeats)))
        return
    if args.child_seeds:
        print(json.dumps(seed_scores(args.seeds)))
        return
    timing = ("--child", "--repeats", str(args.repeats))
    by_setting = {
        "as loaded": in_fresh_process(None, *timing),
        "OPENBLAS_NUM_THREADS=1": in_fresh_process(1, *timing),
    }
    text = table(by_setting)
    if args.seeds > 0:
        seeds = in_fresh_process(1, "--child-seeds", "--seeds", str(args.seeds))
        text += "\n\nBest CV scores over random starts:\n\n" + seeds_table(seeds)
    print(text)
    report.write_results(args.out, "gridsearch", {"md": text})


if __name__ == "__main__":
    main()
