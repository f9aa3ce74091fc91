"""Peak extra memory of one fit, measured in a fresh process.

The parent saves the training data once (:func:`workloads.save_training_data`)
and runs, per contender, ``python -m benchmarks.memory DIR ID EPOCHS THREADS``.
The child loads X and y, builds the contender, runs a warm-up fit on a few
hundred rows (so that lazily imported modules and code paths are already
loaded), then measures::

    peak extra = peak RSS during fit − RSS just before fit

with the peak taken as the larger of a sampling thread's maximum (every
millisecond, psutil or /proc/self/statm) and ``getrusage(RUSAGE_SELF).ru_maxrss``
when the fit raised it. It prints one JSON line.
"""

import gc
import json
import os
import resource
import subprocess
import sys
import threading
import warnings
from pathlib import Path

from .contenders import contenders_for
from .machine import limit_threads
from .measure import warm_up
from .workloads import load_training_data

REPO_ROOT = Path(__file__).resolve().parents[1]


def _rss_reader():
    try:
        import psutil

        process = psutil.Process()
        return lambda: process.memory_info().rss
    except ImportError:
        page = os.sysconf("SC_PAGE_SIZE")

        def statm():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * page

        return statm


def _max_rss():
    """ru_maxrss in bytes (Linux reports KiB, macOS bytes)."""
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return value if sys.platform == "darwin" else value * 1024


class PeakSampler:
    """A daemon thread that records the largest RSS seen until stopped."""

    def __init__(self, interval=0.001):
        self.interval = interval
        self.read = _rss_reader()
        self.peak = self.read()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.read())
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.read())


def measure_in_this_process(contender, workload, epochs):
    """Peak extra bytes of ``contender.make(epochs).fit(X, y)`` in this process.

    Full-batch contenders fit with their default ``max_iter`` instead.
    """
    if contender.mode != "epochs":
        epochs = contender.default_max_iter
    warm_up(contender, workload)
    estimator = contender.make(epochs)
    gc.collect()
    reader = _rss_reader()
    before = reader()
    max_rss_before = _max_rss()
    with PeakSampler() as sampler:
        estimator.fit(workload.X_train, workload.y_train)
    max_rss_after = _max_rss()
    peak = sampler.peak
    if max_rss_after > max_rss_before:
        peak = max(peak, max_rss_after)
    return {
        "rss_after_load_mb": before / 1e6,
        "peak_rss_mb": peak / 1e6,
        "peak_extra_mb": max(peak - before, 0) / 1e6,
        "x_mb": workload.x_bytes / 1e6,
        "max_iter": epochs,
        "sampler": "psutil" if "psutil" in sys.modules else "/proc/self/statm",
    }


def measure_in_fresh_process(data_dir, contender_id, epochs, threads, timeout=900):
    """Run the child for one contender; its JSON result, or {'error': ...}."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p
    )
    command = [
        sys.executable,
        "-m",
        "benchmarks.memory",
        str(data_dir),
        contender_id,
        str(epochs),
        str(threads),
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {done.returncode}: {tail}"}
    return json.loads(lines[-1])


def main(argv):
    data_dir, contender_id, epochs, threads = (
        argv[0],
        argv[1],
        int(argv[2]),
        int(argv[3]),
    )
    warnings.simplefilter("ignore")
    workload = load_training_data(data_dir)
    contenders, _ = contenders_for(workload)
    (contender,) = [c for c in contenders if c.id == contender_id]
    limit_threads(threads, with_torch=contender.library == "PyTorch")
    result = measure_in_this_process(contender, workload, epochs)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
