"""Run the sgdlearn benchmark suite: ``python benchmarks/run.py [options]``.

Every contender of a workload runs on the same data with the same
hyperparameters. Prints a markdown table and writes it, a JSON file and a
bar chart of the ratios to ``--out`` (timestamped names plus ``latest.*``).
See benchmarks/README.md for what is measured and how.
"""

import argparse
import datetime
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (
    None,
    "",
):  # run as a script: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import machine, measure, report  # noqa: E402
from benchmarks.contenders import contenders_for, select  # noqa: E402
from benchmarks.memory import measure_in_fresh_process  # noqa: E402
from benchmarks.workloads import (  # noqa: E402
    WORKLOADS,
    make_workload,
    optimum,
    save_training_data,
)

DEFAULT_OUT = Path(__file__).resolve().parent / "results"
_START = time.perf_counter()


def log(message):
    print(
        f"[{time.perf_counter() - _START:7.1f} s] {message}",
        file=sys.stderr,
        flush=True,
    )


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workload",
        action="append",
        choices=list(WORKLOADS),
        help="a workload to run (repeatable; default: all)",
    )
    parser.add_argument(
        "--contender",
        action="append",
        help="a contender id or fnmatch pattern: sgdlearn, 'sgdlearn*', 'sklearn*', "
        "sklearn-sgd, torch, numpy-loop, ... (repeatable; default: all available)",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="timed fits per contender"
    )
    parser.add_argument(
        "--epochs", type=int, default=3, help="epochs of each timed fit"
    )
    parser.add_argument(
        "--max-target-epochs",
        type=int,
        default=15,
        help="epochs at most when measuring the time to the target test loss "
        "(0: skip the time to target and the optimum)",
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiplies the row counts"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument(
        "--threads", type=int, default=2, help="BLAS/OpenMP/torch threads"
    )
    parser.add_argument(
        "--no-memory",
        dest="memory",
        action="store_false",
        help="skip the peak-memory fits in fresh processes",
    )
    parser.add_argument(
        "--bandwidth-mb",
        type=int,
        default=None,
        help="size of the array summed to measure the memory bandwidth "
        "(default 1024; 64 when --scale < 0.1)",
    )
    return parser.parse_args(argv)


# -- one workload -------------------------------------------------------------


def hardware_bound(workload, limits):
    """Seconds per epoch the hardware allows at best, and how it was derived."""
    if workload.is_mlp:
        flops = machine.mlp_epoch_flops(workload.n_train, workload.n_params)
        gflops = limits["gemm_gflops"][workload.dtype.name]
        return {
            "seconds": flops / (gflops * 1e9),
            "basis": f"6 × {workload.n_train:,} samples × {workload.n_params:,} "
            f"params = {flops / 1e9:.1f} GFLOP at {gflops:.0f} GFLOP/s",
        }
    bandwidth = limits["read_bandwidth_gbs"]
    return {
        "seconds": workload.x_bytes / (bandwidth * 1e9),
        "basis": f"read X once: {workload.x_bytes / 1e6:.0f} MB "
        f"at {bandwidth:.1f} GB/s",
    }


def run_contender(contender, workload, args, target, data_dir):
    entry = {
        "id": contender.id,
        "label": contender.label,
        "library": contender.library,
        "settings": contender.settings,
        "mode": contender.mode,
    }
    try:
        log(f"  {contender.label}: {args.repeats} timed fits")
        with machine.OtherLoad() as other:
            entry["timing"] = measure.time_fits(
                contender, workload, args.epochs, args.repeats
            )
        entry["timing"]["other_load"] = other.share
        if args.max_target_epochs > 0:
            log(f"  {contender.label}: time to target")
            if contender.mode == "epochs":
                curve = measure.epoch_curve(
                    contender, workload, args.max_target_epochs, target
                )
            else:
                curve = measure.iteration_curve(contender, workload, target)
            entry["curve"] = curve
            entry["time_to_target"] = measure.time_to_target(
                curve, target, contender.mode
            )
        if data_dir is not None:
            log(f"  {contender.label}: peak memory in a fresh process")
            entry["memory"] = measure_in_fresh_process(
                data_dir, contender.id, 1, args.threads
            )
    except Exception as error:  # report it in the table, keep going
        entry["error"] = f"{type(error).__name__}: {error}"
        log(f"  {contender.label}: {entry['error']}")
    return entry


def matmul_epochs(workload, args):
    """Seconds of epochs of the MLP's matrix products alone, and the other load."""
    log("  matrix products of one epoch alone")
    with machine.OtherLoad() as other:
        seconds = machine.mlp_matmul_epoch(
            workload.n_train,
            workload.n_features,
            workload.hidden_layer_sizes,
            workload.dtype,
            workload.batch_size,
            repeats=max(args.repeats, 3),
        )
    return seconds, other.share


def matmul_reference(before, after):
    """The matmul-only row, from epochs timed before and after the contenders.

    Timing it on both sides of the contenders' fits evens out slow drifts of
    the machine's speed during the workload.
    """
    seconds = before[0] + after[0]
    shares = [share for _, share in (before, after) if share is not None]
    return {
        "id": "matmul-only",
        "label": "matrix products alone (NumPy, reference)",
        "library": "NumPy",
        "settings": "the 8 matmuls per batch of 256 (3 forward, 3 weight gradients, "
        "2 deltas), contiguous batches, preallocated outputs; epochs timed before "
        "and after the contenders",
        "mode": "reference",
        "timing": {
            "per_epoch": measure.summary(seconds),
            "other_load": max(shares) if shares else None,
        },
    }


def best_loss_target(entries):
    """MLP target: 1.01 × the lowest test loss any contender reached."""
    losses = [row[2] for e in entries for row in e.get("curve", [])]
    return 1.01 * min(losses) if losses else None


def metric(contender, name):
    """Seconds per epoch (median) or seconds to the target, or None."""
    if contender is None or contender.get("error"):
        return None
    if name == "per_epoch":
        per_epoch = (contender.get("timing") or {}).get("per_epoch")
        return per_epoch["median"] if per_epoch else None
    reached = contender.get("time_to_target") or {}
    return reached.get("seconds") if reached.get("reached") else None


def add_ratios(result):
    entries = result["contenders"]
    reference = next((e for e in entries if e["library"] == "sgdlearn"), None)
    result["reference"] = reference["id"] if reference else None
    bound = result["hardware_bound"]["seconds"]
    for entry in entries:
        ratios = entry.setdefault("ratios", {})
        per_epoch = metric(entry, "per_epoch")
        if per_epoch is not None:
            ratios["hardware"] = per_epoch / bound
        for key in ("per_epoch", "time_to_target"):
            ours = metric(reference, key)
            theirs = metric(entry, key)
            if ours and theirs is not None:
                ratios[key] = theirs / ours


def run_workload(name, args, limits, scratch):
    log(f"{name}: generating the data (scale {args.scale:g})")
    workload = make_workload(name, args.scale)
    contenders, notes = contenders_for(workload)
    contenders = select(contenders, args.contender)
    result = {
        "name": name,
        "description": workload.description,
        "shape": workload.shape_text(),
        "task": workload.task,
        "n_train": workload.n_train,
        "n_test": workload.X_test.shape[0],
        "n_features": workload.n_features,
        "dtype": workload.dtype.name,
        "x_bytes": workload.x_bytes,
        "n_params": workload.n_params,
        "alpha": workload.alpha,
        "penalty_per_sample": workload.penalty_per_sample,
        "hardware_bound": hardware_bound(workload, limits),
        "notes": notes,
    }
    best = None
    if contenders and not workload.is_mlp and args.max_target_epochs > 0:
        log(f"{name}: the optimum")
        best = optimum(workload)
    result["optimum"] = best
    target = 1.01 * best["loss"] if best else None
    data_dir = None
    if args.memory and contenders:
        data_dir = scratch / name
        save_training_data(workload, data_dir)
    matmul_before = matmul_epochs(workload, args) if workload.is_mlp else None
    entries = [run_contender(c, workload, args, target, data_dir) for c in contenders]
    if workload.is_mlp and args.max_target_epochs > 0:
        target = best_loss_target(entries)
        result["target_basis"] = (
            "no convex optimum: 1.01 × the lowest test loss any contender reached in "
            f"{args.max_target_epochs} epochs"
        )
        for entry in entries:
            entry["time_to_target"] = measure.time_to_target(
                entry.get("curve", []), target, entry["mode"]
            )
    if workload.is_mlp:
        entries.append(matmul_reference(matmul_before, matmul_epochs(workload, args)))
    result["target_loss"] = target
    result["contenders"] = entries
    add_ratios(result)
    if data_dir is not None:
        shutil.rmtree(data_dir, ignore_errors=True)
    return result


# -- the whole run ------------------------------------------------------------


def write_outputs(out, meta, results):
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = report.markdown(meta, results)
    paths = {"md": out / f"{stamp}.md", "json": out / f"{stamp}.json"}
    paths["md"].write_text(text)
    report.write_json(paths["json"], meta, results)
    if report.write_chart(out / f"{stamp}.png", results):
        paths["png"] = out / f"{stamp}.png"
    for suffix, path in paths.items():
        shutil.copyfile(path, out / f"latest.{suffix}")
    return text, paths


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    names = args.workload or list(WORKLOADS)
    machine.limit_threads(
        args.threads, with_torch=any(n.startswith("mlp") for n in names)
    )
    meta = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": shlex.join(["python", "benchmarks/run.py", *argv]),
        "threads": args.threads,
        "epochs": args.epochs,
        "repeats": args.repeats,
        "max_target_epochs": args.max_target_epochs,
        "scale": args.scale,
        "load_before": machine.load_average(),
        "environment": machine.environment(),
    }
    log("machine limits: GEMM and memory bandwidth")
    tiny = args.scale < 0.1  # smoke runs: smaller probes of the machine
    meta["machine"] = machine.measure_limits(
        gemm_size=512 if tiny else 2048,
        bandwidth_mb=args.bandwidth_mb or (64 if tiny else 1024),
    )
    results = {}
    with (
        tempfile.TemporaryDirectory(prefix="sgdlearn-bench-") as scratch,
        machine.OtherLoad() as other,
    ):
        for name in names:
            results[name] = run_workload(name, args, meta["machine"], Path(scratch))
    meta["other_load"] = other.share
    meta["load_after"] = machine.load_average()
    meta["machine"]["contention_probe_ms_after"] = machine.contention_probe()
    meta["duration_s"] = time.perf_counter() - _START
    text, paths = write_outputs(args.out, meta, results)
    print(text)
    log("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
