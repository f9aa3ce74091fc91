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
"""

import argparse
import json
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


def in_fresh_process(threads, repeats):
    """Run ``measure_all`` in a new interpreter, with OPENBLAS_NUM_THREADS set
    when ``threads`` is given (it must be set before NumPy loads)."""
    env = dict(os.environ)
    env.pop("OPENBLAS_NUM_THREADS", None)
    if threads is not None:
        env["OPENBLAS_NUM_THREADS"] = str(threads)
    command = [sys.executable, __file__, "--child", "--repeats", str(repeats)]
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure_all(args.repeats)))
        return
    by_setting = {
        "as loaded": in_fresh_process(None, args.repeats),
        "OPENBLAS_NUM_THREADS=1": in_fresh_process(1, args.repeats),
    }
    text = table(by_setting)
    print(text)
    report.write_results(args.out, "gridsearch", {"md": text})


if __name__ == "__main__":
    main()
