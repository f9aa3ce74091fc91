"""Smoke tests of the benchmark harness (benchmarks/run.py) on tiny data.

They check that the harness runs and writes its table and JSON with every
selected workload; they assert nothing about timings.
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each test runs the harness in a new process

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "benchmarks" / "run.py"
WORKLOADS = [
    "dense-regression",
    "dense-binary",
    "dense-10class",
    "mlp-float32",
    "mlp-float64",
    "sparse-binary",
]
HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def run_harness(out, *options):
    command = [
        sys.executable,
        str(RUN),
        "--scale", "0.002",
        "--epochs", "1",
        "--repeats", "1",
        "--bandwidth-mb", "16",
        "--out", str(out),
        *options,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    table = (out / "latest.md").read_text()
    results = json.loads((out / "latest.json").read_text())
    assert done.stdout.strip() == table.strip()
    assert len(list(out.glob("2*.json"))) == 1 and len(list(out.glob("2*.md"))) == 1
    assert (out / "latest.png").exists() == HAS_MATPLOTLIB
    return table, results


def contender_ids(results, workload):
    return [c["id"] for c in results["workloads"][workload]["contenders"]]


def test_every_workload_runs_and_is_reported(tmp_path):
    table, results = run_harness(
        tmp_path,
        "--max-target-epochs", "0",
        "--no-memory",
        "--contender", "sgdlearn",
        "--contender", "sgdlearn-sgd",
        "--contender", "sgdlearn-adagrad",
        "--contender", "sklearn-sgd",
        "--contender", "sklearn-mlp",
        "--contender", "numpy-loop",
        "--contender", "torch",
    )  # fmt: skip
    assert list(results["workloads"]) == WORKLOADS
    for name in WORKLOADS:
        assert f"| {name} |" in table
        for contender in results["workloads"][name]["contenders"]:
            assert not contender.get("error"), contender
            assert contender["timing"]["per_epoch"]["median"] > 0, contender
            assert "curve" not in contender  # --max-target-epochs 0
    assert "sklearn-sgd" in contender_ids(results, "sparse-binary")
    assert "sgdlearn-adagrad" in contender_ids(results, "sparse-binary")
    mlp = contender_ids(results, "mlp-float32")
    assert {"sgdlearn", "sklearn-mlp", "matmul-only"} <= set(mlp)
    assert ("torch" in mlp) == HAS_TORCH
    if not HAS_TORCH:
        assert "torch is not installed" in table
    meta = results["meta"]
    assert meta["machine"]["gemm_gflops"]["float32"] > 0
    assert meta["machine"]["read_bandwidth_gbs"] > 0
    assert meta["environment"]["versions"]["numpy"]
    assert meta["environment"]["threadpoolctl"]


def test_time_to_target_and_memory_on_one_workload(tmp_path):
    table, results = run_harness(
        tmp_path,
        "--workload", "dense-binary",
        "--max-target-epochs", "2",
        "--contender", "sgdlearn",
        "--contender", "sklearn-lbfgs",
        "--contender", "numpy-loop",
    )  # fmt: skip
    assert list(results["workloads"]) == ["dense-binary"]
    workload = results["workloads"]["dense-binary"]
    assert workload["optimum"]["loss"] > 0
    ids = ["sgdlearn", "sklearn-lbfgs", "numpy-loop"]
    assert contender_ids(results, "dense-binary") == ids
    for contender in workload["contenders"]:
        assert not contender.get("error"), contender
        assert contender["time_to_target"] is not None
        assert contender["memory"]["peak_extra_mb"] >= 0, contender["memory"]
    assert workload["contenders"][0]["ratios"]["per_epoch"] == 1.0  # the reference


def test_sweep_prints_epochs_to_target_per_setting():
    """benchmarks/sweep.py on tiny data: one row per setting of the grid."""
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "sweep.py"),
        "--workload", "dense-binary",
        "--solver", "adagrad", "--solver", "sgd",
        "--lr", "0.03",
        "--batch-size", "32",
        "--seeds", "2",
        "--max-epochs", "3",
        "--scale", "0.002",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    rows = [
        line
        for line in done.stdout.splitlines()
        if line.startswith("| adagrad") or line.startswith("| sgd")
    ]
    assert len(rows) == 2
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[1:3] == ["0.03", "32"]
        assert len(cells[3].split(", ")) == 2  # one entry per seed
        assert 0.5 < float(cells[4]) < 5  # a ratio of test losses


def run_benchmark(name, out, *options):
    """Run ``benchmarks/<name>.py`` writing to ``out``; its printed table,
    checked to be the ``<name>-latest.md`` it wrote."""
    command = [sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), *options]
    command += ["--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-4000:]
    table = (out / f"{name}-latest.md").read_text()
    assert done.stdout.strip() == table.strip()
    return table


def table_rows(text, first_cell):
    """The cells of the markdown rows whose first cell starts with ``first_cell``."""
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith(f"| {first_cell}")
    ]


def test_cluster_benchmark_quick(tmp_path):
    """benchmarks/cluster.py --quick: every row of its table, on a LocalCluster
    of two worker processes; the fits agree with scikit-learn's optimum and the
    client's process receives far less than the data during the large fit."""
    pytest.importorskip("distributed")
    pytest.importorskip("dask_ml")
    table = run_benchmark("cluster", tmp_path, "--quick")

    lbfgs = table_rows(table, 'sgdlearn SGDLogisticClassifier(solver="lbfgs"')
    assert [row[0].endswith("Dask arrays") for row in lbfgs] == [True, False]
    dask_ml = table_rows(table, "dask-ml LogisticRegression")
    stochastic = table_rows(table, 'sgdlearn SGDLogisticClassifier(solver="adagrad")')
    sklearn = table_rows(table, "scikit-learn LogisticRegression")
    assert len(dask_ml) == len(stochastic) == len(sklearn) == 1
    optimum = float(sklearn[0][4])
    for row in lbfgs + dask_ml:
        assert float(row[4]) == pytest.approx(optimum, rel=1e-4), row
        assert float(row[5]) < 0.02, row  # the same coefficients
    assert float(stochastic[0][4]) < 1.05 * optimum
    ratios = table_rows(table, "sgdlearn lbfgs ÷")
    assert [row[0] for row in ratios] == [
        "sgdlearn lbfgs ÷ dask-ml lbfgs",
        "sgdlearn lbfgs ÷ scikit-learn",
    ]
    assert all(row[1].endswith("met)") for row in ratios)

    scaling = [table_rows(table, f"{n} |") for n in (1, 2)]
    assert all(len(rows) == 1 and float(rows[0][3]) > 0 for rows in scaling)
    assert len(table_rows(table, "1 worker ÷ 2 workers")) == 1

    (large,) = table_rows(table, "40,000 × 50")
    data_mb = float(large[0].split(", ")[1].removesuffix(" MB"))
    assert large[-1] == "yes"
    assert float(large[5]) < 0.01 * data_mb  # X never reached the client
    assert float(large[6]) >= 0  # what moved between the workers


def test_gridsearch_benchmark_tables(tmp_path):
    """benchmarks/gridsearch.py: a timing row per workload and thread setting,
    and the random-start rows (the MLPs) with a score per seed summarised."""
    table = run_benchmark("gridsearch", tmp_path, "--repeats", "1", "--seeds", "2")
    timing, seeds = table.split("Best CV scores over random starts:")
    for setting in ("as loaded", "OPENBLAS_NUM_THREADS=1"):
        rows = table_rows(timing, "")
        assert sum(row[1] == setting for row in rows) == 6, timing
    seed_rows = [row for row in table_rows(seeds, "") if row[1] == "2"]
    assert [row[0].split(",")[1].strip().split("(")[0] for row in seed_rows] == [
        "MLPClassifier",
        "MLPRegressor",
    ]
    for row in seed_rows:
        assert "±" in row[2] and "±" in row[3]
        float(row[4])  # the difference of the means in standard errors
