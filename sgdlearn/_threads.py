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

from contextlib import nullcontext

from threadpoolctl import ThreadpoolController

MIN_PARALLEL_PRODUCT = 2**22

_controller = None
_blas_pools = ()


def _blas_controller():
    global _controller, _blas_pools
    if _controller is None:  # finding the pools is slow: once a process
        _controller = ThreadpoolController()
        _blas_pools = tuple(
            pool for pool in _controller.lib_controllers if pool.user_api == "blas"
        )
    return _controller


def largest_product(rows, layer_units):
    """Multiply-adds of the largest product of ``rows`` rows through the layers."""
    return rows * max(a * b for a, b in zip(layer_units[:-1], layer_units[1:]))


def blas_threads_for(rows, layer_units):
    """A context that runs products of ``rows`` rows through ``layer_units``
    with one BLAS thread when they are too small to share (a no-op else)."""
    if largest_product(rows, layer_units) >= MIN_PARALLEL_PRODUCT:
        return nullcontext()
    controller = _blas_controller()
    if all(pool.num_threads == 1 for pool in _blas_pools):
        return nullcontext()
    return controller.limit(limits=1, user_api="blas")
