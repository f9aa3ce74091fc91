"""The machine: thread limits, its measured limits, and what it runs.

- :func:`limit_threads`: 2 BLAS/OpenMP threads for every library
  (threadpoolctl) and for torch (``torch.set_num_threads``).
- :func:`gemm_gflops`, :func:`read_bandwidth`: what the hardware allows,
  measured in the same run as the contenders.
- :func:`mlp_matmul_epoch`: the matrix products of one MLP epoch alone, the
  "matmul-only" reference row.
- :func:`environment`: versions, threadpoolctl's view, CPU, load.
"""

import importlib.metadata
import os
import platform
import resource
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

_LIMITS = []  # keep the threadpoolctl controller alive for the whole run


def limit_threads(n_threads, with_torch=True):
    """Limit BLAS and OpenMP pools (and torch's, if importable) to ``n_threads``."""
    if with_torch:
        try:
            import torch

            torch.set_num_threads(n_threads)
        except ImportError:
            pass
    _LIMITS.append(threadpool_limits(limits=n_threads))


def _best_seconds(function, repeats):
    function()  # warm-up: page faults, thread start, kernel selection
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def gemm_gflops(dtype, size=2048, repeats=5):
    """GFLOP/s of a ``size``² matrix product (2·size³ flops), best of ``repeats``."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size)).astype(dtype)
    b = rng.standard_normal((size, size)).astype(dtype)
    out = np.empty_like(a)
    seconds = _best_seconds(lambda: np.matmul(a, b, out=out), repeats)
    return 2.0 * size**3 / seconds / 1e9


def read_bandwidth(megabytes=1024, repeats=5):
    """GB/s of ``np.sum`` over a float64 array of ``megabytes`` (one thread)."""
    array = np.ones(megabytes * 2**20 // 8)
    seconds = _best_seconds(array.sum, repeats)
    return array.nbytes / seconds / 1e9


def contention_probe(repeats=400):
    """Milliseconds of three small float32 products (256×50·50×256, ·256×128, ᵀ·).

    Other processes on the cores make the BLAS threads wait for each other
    and multiply it. Measured at the start and the end of a run.
    """
    rng = np.random.default_rng(0)
    x = rng.random((256, 50), dtype=np.float32)
    w1 = rng.random((50, 256), dtype=np.float32)
    w2 = rng.random((256, 128), dtype=np.float32)

    def products():
        hidden = x @ w1
        return hidden.T @ (hidden @ w2)

    products()
    start = time.perf_counter()
    for _ in range(repeats):
        products()
    return (time.perf_counter() - start) / repeats * 1e3


def fault_in_bandwidth(megabytes=256, repeats=3):
    """GB/s of allocating and first writing a fresh float64 array (median).

    Fresh memory must be page-faulted in; on virtual machines that hand freed
    memory back to the host this can be much slower than rewriting memory
    already owned, and it taxes every contender that allocates large
    temporaries (a centred copy of X, a shuffled copy per epoch).
    """
    n = megabytes * 2**20 // 8
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        array = np.ones(n)
        seconds.append(time.perf_counter() - start)
        del array
    return n * 8 / float(np.median(seconds)) / 1e9


def mlp_epoch_flops(n_samples, n_params):
    """About 6 flops per sample and parameter: 2 forward, 4 backward."""
    return 6.0 * n_samples * n_params


def mlp_matmul_epoch(n_samples, n_features, hidden, dtype, batch_size=256, repeats=3):
    """Seconds of the eight matrix products per batch of one MLP epoch alone.

    Plain NumPy on contiguous batches into preallocated outputs: per batch
    three forward products, three weight gradients and two backpropagated
    deltas (for two hidden layers). Returns the seconds of ``repeats`` epochs.
    """
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_samples, n_features)).astype(dtype)
    sizes = [n_features, *hidden, 1]
    weights = [
        rng.standard_normal((a, b)).astype(dtype) for a, b in zip(sizes, sizes[1:])
    ]
    grads = [np.empty_like(w) for w in weights]
    acts = [np.empty((batch_size, s), dtype) for s in sizes[1:]]
    deltas = [np.ones((batch_size, s), dtype) for s in sizes[1:]]

    def epoch():
        for start in range(0, n_samples, batch_size):
            x = X[start : start + batch_size]
            m = x.shape[0]
            inputs = [x] + [a[:m] for a in acts[:-1]]
            for layer, w in enumerate(weights):
                np.matmul(inputs[layer], w, out=acts[layer][:m])
            for layer in reversed(range(len(weights))):
                np.matmul(inputs[layer].T, deltas[layer][:m], out=grads[layer])
                if layer > 0:
                    np.matmul(
                        deltas[layer][:m], weights[layer].T, out=deltas[layer - 1][:m]
                    )

    epoch()  # warm-up
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        epoch()
        seconds.append(time.perf_counter() - start)
    return seconds


def measure_limits(gemm_size=2048, bandwidth_mb=1024):
    """GEMM GFLOP/s (float32, float64) and memory read bandwidth (GB/s)."""
    return {
        "contention_probe_ms": contention_probe(),
        "gemm_gflops": {
            "float32": gemm_gflops(np.float32, gemm_size),
            "float64": gemm_gflops(np.float64, gemm_size),
        },
        "gemm_size": gemm_size,
        "read_bandwidth_gbs": read_bandwidth(bandwidth_mb),
        "fault_in_gbs": fault_in_bandwidth(min(bandwidth_mb, 256)),
        "bandwidth_array_mb": bandwidth_mb,
    }


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _cpu_seconds():
    """(busy CPU seconds of the whole machine, CPU seconds of this process and
    its finished children), or None where /proc/stat is missing."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    own = sum(
        usage.ru_utime + usage.ru_stime
        for usage in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )
    return busy, own


class OtherLoad:
    """Share of the machine's CPU used by other processes during a ``with`` block.

    ``share`` is (machine busy seconds − our own CPU seconds) ÷ (wall seconds ×
    cores): 0 on an otherwise idle machine, 0.5 when others kept one of two
    cores busy. None where /proc/stat is unavailable or the block took less
    than a second.
    """

    def __enter__(self):
        self.share = None
        self._start = (time.perf_counter(), _cpu_seconds())
        return self

    def __exit__(self, *exc):
        wall_start, cpu_start = self._start
        cpu_end = _cpu_seconds()
        wall = time.perf_counter() - wall_start
        if cpu_start is None or cpu_end is None or wall < 1.0:
            return  # /proc/stat counts in ticks of 10 ms: too coarse below a second
        others = (cpu_end[0] - cpu_start[0]) - (cpu_end[1] - cpu_start[1])
        self.share = max(others, 0.0) / (wall * os.cpu_count())


def load_average():
    try:
        return list(os.getloadavg())
    except OSError:
        return None


def blas_kernels():
    """'library: architecture (threads)' for each BLAS that threadpoolctl sees."""
    return [
        f"{info.get('internal_api')} {info.get('version')}: "
        f"{info.get('architecture', '?')} ({info.get('num_threads')} threads, "
        f"{os.path.basename(info.get('filepath', ''))})"
        for info in threadpool_info()
        if info.get("user_api") == "blas"
    ]


def environment():
    """Versions, thread pools, CPU and OpenBLAS variables, for the JSON."""
    import scipy
    import sklearn

    import sgdlearn

    versions = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "sgdlearn": sgdlearn.__version__,
    }
    try:
        versions["torch"] = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        versions["torch"] = None
    torch = sys.modules.get("torch")  # imported only when an MLP workload runs
    torch_threads = torch.get_num_threads() if torch else None
    return {
        "versions": versions,
        "threadpoolctl": threadpool_info(),
        "blas_kernels": blas_kernels(),
        "torch_threads": torch_threads,
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "openblas_env": {
            key: os.environ.get(key)
            for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
        },
    }
