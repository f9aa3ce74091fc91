"""BLAS thread pools sized to the products of a fit or a prediction.

NumPy and SciPy each bundle an OpenBLAS with a pool of threads. On small
products the threads cost more than they save, and two pools that take turns
(NumPy's products, then SciPy's L-BFGS update) spin against each other, and
every small product slows down many times over. So a fit or prediction whose
largest matrix product is small runs with one BLAS thread in every pool; large
products keep the pools as they are.

The limit: a product of an (m × a) by an (a × b) matrix costs m·a·b
multiply-adds; below :data:`MIN_PARALLEL_PRODUCT` (2²² ≈ 4·10⁶) one
thread does it. When every BLAS pool already has one thread (say,
``OPENBLAS_NUM_THREADS=1``, or inside a caller's ``threadpool_limits``), no
limit is entered: reading the pools' sizes costs a fraction of setting and
restoring them, which small fits and predictions would pay every call.
"""

from contextlib import contextmanager, nullcontext

from threadpoolctl import ThreadpoolController

MIN_PARALLEL_PRODUCT = 2**22

_blas_pools = None


def blas_pools():
    """The BLAS pools of this process (threadpoolctl's library controllers),
    found once: finding them is slow."""
    global _blas_pools
    if _blas_pools is None:
        _blas_pools = tuple(
            pool
            for pool in ThreadpoolController().lib_controllers
            if pool.user_api == "blas"
        )
    return _blas_pools


@contextmanager
def one_thread_each(pools):
    """Run the block with one thread in each of ``pools``, then give each
    its size back. (threadpoolctl's ``limit`` would find the pools again on
    every entry, which costs small fits more than the limit itself.)"""
    before = [pool.num_threads for pool in pools]
    try:
        for pool in pools:
            pool.set_num_threads(1)
        yield
    finally:
        for pool, n_threads in zip(pools, before):
            pool.set_num_threads(n_threads)


def largest_product(rows, layer_units):
    """Multiply-adds of the largest product of ``rows`` rows through the layers."""
    return rows * max(a * b for a, b in zip(layer_units[:-1], layer_units[1:]))


def blas_threads_for(rows, layer_units):
    """A context that runs products of ``rows`` rows through ``layer_units``
    with one BLAS thread when they are too small to share (a no-op else)."""
    if largest_product(rows, layer_units) >= MIN_PARALLEL_PRODUCT:
        return nullcontext()
    pools = [pool for pool in blas_pools() if pool.num_threads != 1]
    if not pools:
        return nullcontext()
    return one_thread_each(pools)
