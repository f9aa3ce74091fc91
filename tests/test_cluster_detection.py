"""Fast checks of how Dask input is recognised (sgdlearn/_dask_collections.py): NumPy,
SciPy and pandas input never involve Dask, and without Dask imported the
check imports nothing. The cluster itself is tested in test_cluster.py."""

import sys

import numpy as np
import pytest
import scipy.sparse as sp

from sgdlearn import _dask_collections


def in_memory_inputs():
    inputs = [np.zeros((3, 2)), sp.csr_matrix(np.eye(3)), [[1.0, 2.0]], None, 3.0]
    pd = pytest.importorskip("pandas")
    return [*inputs, pd.DataFrame(np.zeros((3, 2))), pd.Series([1, 2])]


def test_in_memory_input_is_not_dask_input():
    for X in in_memory_inputs():
        assert not _dask_collections.is_dask_collection(X), type(X)
    assert not _dask_collections.is_dask_input(*in_memory_inputs())


def test_the_check_imports_no_dask(monkeypatch):
    for name in [m for m in sys.modules if m == "dask" or m.startswith("dask.")]:
        monkeypatch.delitem(sys.modules, name)
    assert not _dask_collections.is_dask_input(*in_memory_inputs())
    assert "dask" not in sys.modules


def test_dask_collections_are_recognised():
    da = pytest.importorskip("dask.array")
    assert _dask_collections.is_dask_collection(da.zeros((4, 2), chunks=2))
    assert _dask_collections.is_dask_input(np.zeros(3), da.zeros(3, chunks=2))
