"""Rows of a CSR matrix gathered into buffers that are reused batch after batch.

A shuffled epoch on sparse X reads each batch's rows by an index array.
scipy's row indexing (``X[rows]``) runs a compiled gather, but around it
validates the index, allocates three new arrays and builds a matrix per
batch; on 512-row batches of 50 non-zeros a row that overhead is about
half its time. :class:`CSRRows` runs the same compiled gather
(``csr_row_index``, the routine ``X[rows]`` itself calls) into buffers
allocated once and grown only when a batch has more non-zeros than any
before, and wraps them in a matrix without copying. A gather in NumPy
(``np.repeat`` of the rows' offsets, then ``np.take`` of indices and data)
measured twice as slow as ``X[rows]`` there, so none is used. When the
routine is missing (it lives in a private scipy module), ``X[rows]`` reads
the batch.
"""

import numpy as np

try:
    from scipy.sparse._sparsetools import csr_row_index
except ImportError:  # pragma: no cover - scipy moved its private routine
    csr_row_index = None


class CSRRows:
    """Gathers rows of the CSR matrix ``X`` into reused buffers.

    Each :meth:`take` returns a CSR matrix of the rows that shares the
    buffers: it is valid until the next call, which overwrites it. (scipy
    copies a batch holding less than half of the buffers' entries into
    arrays of its own, so the short last batch of an epoch may be a copy.)
    """

    def __init__(self, X):
        self.X = X
        self._indptr = np.zeros(1, dtype=X.indptr.dtype)
        self._indices = np.empty(0, dtype=X.indices.dtype)
        self._data = np.empty(0, dtype=X.data.dtype)

    def take(self, rows):
        """The rows of X at ``rows`` (an integer array, any order) as CSR."""
        X = self.X
        if csr_row_index is None:
            return X[rows]
        # the routine takes the row numbers in the index dtype of X
        rows = np.asarray(rows).astype(X.indptr.dtype, copy=False)
        m = rows.size
        if self._indptr.size < m + 1:
            self._indptr = np.zeros(m + 1, dtype=X.indptr.dtype)
        indptr = self._indptr[: m + 1]
        np.cumsum(X.indptr[rows + 1] - X.indptr[rows], out=indptr[1:])
        nnz = int(indptr[m])
        if self._data.size < nnz:
            self._indices = np.empty(nnz, dtype=X.indices.dtype)
            self._data = np.empty(nnz, dtype=X.data.dtype)
        indices, data = self._indices[:nnz], self._data[:nnz]
        csr_row_index(m, rows, X.indptr, X.indices, X.data, indices, data)
        # X's own class: a csr_array stays an array, a csr_matrix a matrix
        return type(X)((data, indices, indptr), shape=(m, X.shape[1]))
