"""Raw CSR batches (``sgdlearn._csr``) and the lazy sparse steps built on them.

Each product is checked with scipy's compiled kernels and with the fallback
that runs when the private routines are missing (scipy's matrix products).
"""

import numpy as np
import pytest
import scipy.sparse as sp
import test_scaling
from numpy.testing import assert_allclose, assert_array_equal

import sgdlearn._csr as csr_module
from sgdlearn import SGDLinearRegressor, SGDLogisticClassifier, SoftmaxClassifier
from sgdlearn._csr import CSRBatch, CSRRows
from sgdlearn._training import BatchReader, Dataset

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(params=["scipy-kernels", "fallback"])
def kernels(request, monkeypatch):
    """Run the test with scipy's private kernels, then without them."""
    if request.param == "fallback":
        monkeypatch.setattr(csr_module, "csr_row_index", None)
    return request.param


def _matrix(dtype=np.float64, container=sp.csr_matrix):
    """A 40 × 9 CSR matrix with empty rows (0, 6, 39), a full row (11) and
    rows whose column indices are stored out of order (11, 17)."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 9)) * (rng.uniform(size=(40, 9)) < 0.35)
    X[[0, 6, 39]] = 0.0
    X[11] = np.arange(1.0, 10.0)
    matrix = container(X.astype(dtype))
    for row in (11, 17):
        part = slice(matrix.indptr[row], matrix.indptr[row + 1])
        matrix.indices[part] = matrix.indices[part][::-1].copy()
        matrix.data[part] = matrix.data[part][::-1].copy()
    matrix.has_sorted_indices = False
    return matrix


ROW_SETS = {
    "slice-from-0": slice(0, 13),
    "slice-inside": slice(7, 23),  # offsets that do not start at 0
    "slice-to-end": slice(30, 40),
    "sorted": np.array([0, 3, 6, 11, 17, 25, 39]),
    "any-order": np.array([17, 2, 39, 11, 8]),
    "empty-rows": np.array([6, 0, 39]),
}


def _batch(X, rows):
    if isinstance(rows, slice):
        return CSRBatch.of_slice(X, rows)
    return CSRRows(X).take_batch(rows)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("rows", list(ROW_SETS))
def test_batch_products_are_scipys(kernels, rows, k, dtype):
    """X_B·W into a buffer holding garbage, and Xᵀ_B·δ added to a target
    that is not zero, for one output and several, float64 and float32."""
    X = _matrix(dtype)
    rows = ROW_SETS[rows]
    batch = _batch(X, rows)
    dense = X.toarray()[rows]
    m = dense.shape[0]
    assert batch.n_rows == m
    rng = np.random.default_rng(0)
    coef = rng.normal(size=(9, k)).astype(dtype)
    out = np.full((m, k), np.nan, dtype=dtype)
    assert batch.product_into(coef, out) is out
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    assert_allclose(out, dense @ coef, rtol=rtol, atol=rtol)

    delta = rng.normal(size=(m, k)).astype(dtype)
    start = rng.normal(size=9 * k).astype(dtype)
    target = start.copy()
    batch.add_transposed(delta, target)
    assert_allclose(target, start + (dense.T @ delta).ravel(), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csr_array])
@pytest.mark.parametrize("rows", list(ROW_SETS))
def test_batch_is_the_rows_entries(kernels, rows, container):
    """A batch, sliced or gathered, holds the rows' entries in their stored
    order: its matrix is ``X[rows]`` and its features are that matrix's
    column indices."""
    X = _matrix(container=container)
    rows = ROW_SETS[rows]
    batch = _batch(X, rows)
    got, expected = batch.matrix(type(X)), X[rows]
    assert type(got) is type(X)
    assert got.shape == expected.shape
    assert_array_equal(got.indptr, expected.indptr)
    assert_array_equal(got.indices, expected.indices)
    assert_array_equal(got.data, expected.data)
    assert_array_equal(batch.features(), expected.indices)


def test_a_slice_of_rows_is_a_view_of_x():
    X = _matrix()
    batch = CSRBatch.of_slice(X, slice(7, 23))
    assert np.shares_memory(batch.indptr, X.indptr)
    assert batch.indices is X.indices and batch.data is X.data


def test_gathered_batches_reuse_the_buffers():
    X = _matrix()
    reader = CSRRows(X)
    first = reader.take_batch(np.arange(40))
    again = reader.take_batch(np.arange(40)[::-1])
    assert np.shares_memory(first.data, again.data)
    assert np.shares_memory(first.indices, again.indices)
    assert_array_equal(again.matrix(sp.csr_matrix).toarray(), X.toarray()[::-1])


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("rows", [slice(4, 12), np.array([1, 5, 9, 33])])
def test_reader_gives_csr_batches_on_request(kernels, rows, weighted):
    """``BatchReader.read(rows, csr_batch=True)``: X as a CSRBatch of the
    rows, Y and the weights as without it; without it X is a matrix."""
    X = _matrix()
    Y = np.arange(80.0).reshape(40, 2)
    weight = np.linspace(0.5, 2.0, 40) if weighted else None
    reader = BatchReader(Dataset(X, Y, weight), 8)
    Xb, Yb, wb = reader.read(rows, csr_batch=True)
    assert isinstance(Xb, CSRBatch)
    assert_array_equal(Xb.matrix(sp.csr_matrix).toarray(), X.toarray()[rows])
    assert_array_equal(Yb, Y[rows])
    assert (wb is None) if weight is None else np.array_equal(wb, weight[rows])
    as_matrix = reader.read(rows)[0]
    assert sp.issparse(as_matrix)
    assert_array_equal(as_matrix.toarray(), X.toarray()[rows])


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("solver", list(test_scaling.LAZY_SOLVERS))
@pytest.mark.parametrize(
    "Estimator", [SGDLinearRegressor, SGDLogisticClassifier, SoftmaxClassifier]
)
def test_lazy_steps_without_scipys_kernels_are_the_dense_steps(
    monkeypatch, Estimator, solver, shuffle, lazy_step_counter
):
    """``test_scaling``'s check that the lazy sparse steps give the dense
    steps' model, run on the fallback (scipy's matrix products)."""
    monkeypatch.setattr(csr_module, "csr_row_index", None)
    test_scaling.test_lazy_sparse_steps_are_the_dense_steps(
        Estimator, solver, shuffle, lazy_step_counter
    )
