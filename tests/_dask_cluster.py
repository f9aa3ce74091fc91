"""A two-process Dask LocalCluster for the tests that need one
(test_dask.py, test_cluster.py), with a watchdog.

Time is bounded by hand (pytest-timeout is not a dependency): the client
connects with a timeout, and faulthandler ends the test process with a
traceback of every thread if starting or closing the cluster, or a test
(:func:`watchdog`), hangs. Import this module only after
``pytest.importorskip("distributed")``.
"""

import faulthandler

import dask
import pytest
from dask.distributed import Client, LocalCluster

CLUSTER_START_TIMEOUT = 90  # seconds

# A LocalCluster closes the nanny of a worker that left the cluster if no
# worker of its name is back after ``lost-worker-timeout`` (15 s by
# default), so a worker the tests kill stays dead when its restart takes
# longer than that, as it can on a loaded machine; then the cluster has one
# worker for the rest of the module. Wait as long as a test may take.
LOST_WORKER_TIMEOUT = "150s"

# The marks of a test module that runs on the cluster (its ``pytestmark``).
MARKS = [
    pytest.mark.slow,  # a LocalCluster of worker processes
    pytest.mark.filterwarnings(
        "ignore::sklearn.exceptions.ConvergenceWarning",
        # dask warns when a worker is slow to start or a task graph is large
        "ignore::UserWarning:distributed",
    ),
]


def start_cluster(**kwargs):
    """(cluster, client): two worker processes of one thread on 127.0.0.1;
    ``kwargs`` go to LocalCluster (e.g. ``memory_limit``)."""
    dask.config.set({"distributed.deploy.lost-worker-timeout": LOST_WORKER_TIMEOUT})
    faulthandler.dump_traceback_later(CLUSTER_START_TIMEOUT, exit=True)
    try:
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            **kwargs,
        )
        client = Client(cluster, timeout=30)
    finally:
        faulthandler.cancel_dump_traceback_later()
    return cluster, client


def stop_cluster(cluster, client):
    faulthandler.dump_traceback_later(CLUSTER_START_TIMEOUT, exit=True)
    try:
        client.close(timeout=30)
        cluster.close(timeout=30)
    finally:
        faulthandler.cancel_dump_traceback_later()


def module_client():
    """A generator for a module-scoped fixture: a client of the cluster of
    :func:`start_cluster`, closed with it at the end of the module."""
    cluster, client = start_cluster()
    try:
        yield client
    finally:
        stop_cluster(cluster, client)


def watchdog(seconds):
    """A generator for an autouse fixture: end the process, dumping every
    thread's stack, if the test takes more than ``seconds``."""
    faulthandler.dump_traceback_later(seconds, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()
