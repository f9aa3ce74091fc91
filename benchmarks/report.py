"""Turn one run's results into the markdown table, the JSON file and the chart."""

import json
import math
import time
from pathlib import Path

import numpy as np

NOISY = 0.10  # other processes' share of the CPU that marks a timing with †


def seconds_text(value):
    if value is None or not math.isfinite(value):
        return "—"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def ratio_text(value):
    return "—" if value is None else f"{value:.2f}×"


def _per_epoch_cell(contender):
    timing = contender.get("timing") or {}
    if "per_epoch" in timing:
        low, high = timing["per_epoch"]["min"], timing["per_epoch"]["max"]
        median = timing["per_epoch"]["median"]
        busy = (timing.get("other_load") or 0.0) > NOISY
        mark = " †" if busy else ""
        return (
            f"{seconds_text(median)} ({seconds_text(low)}–{seconds_text(high)}){mark}"
        )
    if "fit_seconds" in timing:
        fit = timing["fit_seconds"]
        iterations = max(timing["iterations"])
        unit = "" if contender["mode"] == "closed-form" else f", {iterations} it"
        return f"full batch: fit {seconds_text(fit['median'])} s{unit}"
    return "—"


def _target_cell(contender):
    reached = contender.get("time_to_target")
    if not reached:
        return "—"
    unit = "ep" if contender["mode"] == "epochs" else "it"
    if contender["mode"] == "closed-form":
        return f"{seconds_text(reached['seconds'])} (one fit)"
    if reached["reached"]:
        return f"{seconds_text(reached['seconds'])} ({reached['steps']} {unit})"
    lower = reached.get("seconds")
    bound = f"> {seconds_text(lower)}, " if lower is not None else ""
    return f"{bound}not reached in {reached['steps']} {unit}"


def _memory_cell(contender):
    memory = contender.get("memory")
    if not memory:
        return "—"
    if "error" in memory:
        return "error"
    share = memory["peak_extra_mb"] / memory["x_mb"] if memory["x_mb"] else float("nan")
    return f"{memory['peak_extra_mb']:.0f} MB ({share:.0%})"


def _score_cell(contender):
    timing = contender.get("timing") or {}
    return f"{timing['test_score']:.4f}" if "test_score" in timing else "—"


HEADER = (
    "| workload | contender | s/epoch median (min–max) | × HW bound | × sgdlearn "
    "| test score | time to target, s | × sgdlearn | peak extra memory (% of X) |"
)


def _row(workload, contender):
    if contender.get("error"):
        return (
            f"| {workload} | {contender['label']} | error: {contender['error']} |||||||"
        )
    ratios = contender.get("ratios", {})
    cells = [
        workload,
        contender["label"],
        _per_epoch_cell(contender),
        ratio_text(ratios.get("hardware")),
        ratio_text(ratios.get("per_epoch")),
        _score_cell(contender),
        _target_cell(contender),
        ratio_text(ratios.get("time_to_target")),
        _memory_cell(contender),
    ]
    return "| " + " | ".join(cells) + " |"


def results_table(results):
    lines = [HEADER, "|" + "---|" * 9]
    for name, workload in results.items():
        for contender in workload["contenders"]:
            lines.append(_row(name, contender))
    return "\n".join(lines)


def workload_notes(results):
    lines = []
    for name, w in results.items():
        lines.append(f"- **{name}**: {w['shape']}. {w['description']}.")
        lines.append(f"  - HW bound: {w['hardware_bound']['basis']}.")
        if w.get("optimum"):
            o = w["optimum"]
            lines.append(
                f"  - Target test loss {w['target_loss']:.5g} = 1.01 × the optimum's "
                f"{o['loss']:.5g} ({o['solver']}, {seconds_text(o['seconds'])} s; "
                f"score {o['score']:.4f})."
            )
        elif w.get("target_loss") is not None:
            lines.append(
                f"  - Target test loss {w['target_loss']:.5g}: {w['target_basis']}."
            )
        for note in w.get("notes", []):
            lines.append(f"  - {note}")
    return "\n".join(lines)


def settings_list(results):
    lines = []
    for name, w in results.items():
        for c in w["contenders"]:
            lines.append(
                f"- {name} / {c['label']} (`{c['id']}`): {c.get('settings', '')}"
            )
    return "\n".join(lines)


def _loads(loads):
    return "n/a" if not loads else ", ".join(f"{value:.1f}" for value in loads)


def _load_line(meta):
    limits = meta["machine"]
    probe_after = limits.get("contention_probe_ms_after", float("nan"))
    return (
        f"- Other load: load average (1, 5, 15 min) before "
        f"{_loads(meta['load_before'])}, after {_loads(meta.get('load_after'))}; "
        "contention probe (three small float32 products, ≈0.26 ms when idle) "
        f"{limits['contention_probe_ms']:.2f} ms before, {probe_after:.2f} ms after; "
        f"other processes used {_share(meta.get('other_load'))} of the CPU during "
        "the run"
    )


def _share(value):
    return "n/a" if value is None else f"{value:.0%}"


def machine_text(meta):
    limits, env = meta["machine"], meta["environment"]
    gflops = limits["gemm_gflops"]
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v)
    return "\n".join(
        [
            f"- CPU: {env['cpu']} ({env['cpu_count']} cores); {meta['threads']} "
            f"threads for every library (threadpoolctl; torch: {env['torch_threads']})",
            f"- BLAS: {'; '.join(env['blas_kernels'])}",
            f"- GEMM ({limits['gemm_size']}²): float32 {gflops['float32']:.0f} "
            f"GFLOP/s, float64 {gflops['float64']:.0f} GFLOP/s",
            f"- Memory read bandwidth (np.sum over {limits['bandwidth_array_mb']} MB, "
            f"one thread): {limits['read_bandwidth_gbs']:.1f} GB/s; allocating and "
            f"first writing fresh memory: {limits['fault_in_gbs']:.1f} GB/s",
            f"- Versions: {versions}",
            f"- OpenBLAS variables: {env['openblas_env']}",
            _load_line(meta),
        ]
    )


def legend(meta):
    return (
        "× HW bound: s/epoch ÷ the hardware's lower bound (linear: read X once at "
        "the measured bandwidth; MLP: 6 × n_samples × n_params flops at the "
        "measured GEMM rate). × sgdlearn: the contender's time ÷ sgdlearn's (above "
        "1: sgdlearn is faster). Test score: R² (regression) or accuracy after the "
        f"timed fit ({meta['epochs']} epochs; full batch: default settings). Time "
        "to target: training seconds until the test loss is within 1% of the "
        f"optimum's (at most {meta['max_target_epochs']} epochs; the evaluations "
        "are not timed). Peak extra memory: a fresh process per fit (1 epoch; full "
        "batch: default max_iter), peak RSS minus RSS after loading X. † other "
        f"processes used more than {NOISY:.0%} of the machine's CPU during these "
        "timed fits (the share is in the JSON): treat them as noisy."
    )


def markdown(meta, results):
    sections = [
        f"# sgdlearn benchmarks, {meta['date']}",
        f"Command: `{meta['command']}` ({meta['duration_s']:.0f} s)",
        "## Machine\n\n" + machine_text(meta),
        "## Results\n\n" + results_table(results),
        legend(meta),
        "## Workloads\n\n" + workload_notes(results),
        "## Contender settings\n\n" + settings_list(results),
    ]
    return "\n\n".join(sections) + "\n"


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def write_json(path, meta, results):
    payload = {"meta": meta, "workloads": results}
    Path(path).write_text(json.dumps(payload, indent=1, default=_json_default))


def _chart_bars(results, key):
    labels, values = [], []
    for name, workload in results.items():
        for c in workload["contenders"]:
            value = c.get("ratios", {}).get(key)
            if value is not None and c["id"] != workload.get("reference"):
                labels.append(f"{name}: {c['label']}")
                values.append(value)
    return labels, values


def _draw_ratio_panel(axis, title, labels, values):
    """Horizontal bars from 1 to each ratio on a log axis, value printed at the end."""
    from matplotlib.ticker import FuncFormatter

    colors = ["tab:green" if v >= 1 else "tab:red" for v in values]
    axis.barh(range(len(values)), [v - 1.0 for v in values], left=1.0, color=colors)
    axis.set_yticks(range(len(values)), labels, fontsize=8)
    axis.invert_yaxis()
    axis.axvline(1.0, color="black", linewidth=1)
    axis.set_title(
        f"{title}: contender ÷ sgdlearn (green: sgdlearn faster)", fontsize=10
    )
    if not values:
        return
    axis.set_xscale("log")
    axis.set_xlim(min(min(values), 1.0) / 1.6, max(max(values), 1.0) * 1.6)
    axis.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}×"))
    axis.xaxis.set_minor_formatter(FuncFormatter(lambda x, _: ""))
    for y, v in enumerate(values):
        axis.text(
            v,
            y,
            f" {v:.2g}× ",
            va="center",
            ha="left" if v >= 1 else "right",
            fontsize=7,
        )


def write_chart(path, results):
    """A PNG of every contender's time ÷ sgdlearn's; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    panels = [("per_epoch", "seconds per epoch"), ("time_to_target", "time to target")]
    panels = [(key, title, *_chart_bars(results, key)) for key, title in panels]
    panels = [p for p in panels if p[2]] or [("per_epoch", "seconds per epoch", [], [])]
    height = max(3.0, 0.3 * sum(len(p[2]) for p in panels) + 1.5 * len(panels))
    figure, axes = plt.subplots(len(panels), 1, figsize=(10, height), squeeze=False)
    for axis, (_, title, labels, values) in zip(axes[:, 0], panels):
        _draw_ratio_panel(axis, title, labels, values)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def write_results(out, prefix, texts):
    """Write each ``{suffix: text}`` to ``out`` twice: as
    ``<prefix>-<timestamp>.<suffix>`` and as ``<prefix>-latest.<suffix>``."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for stem in (f"{prefix}-{stamp}", f"{prefix}-latest"):
        for suffix, text in texts.items():
            (out / f"{stem}.{suffix}").write_text(text + "\n")
