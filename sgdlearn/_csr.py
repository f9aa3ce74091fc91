"""Batches of CSR rows as raw arrays, and the two products a linear step needs.

A shuffled epoch on sparse X reads each batch's rows by an index array.
scipy's row indexing (``X[rows]``) runs a compiled gather, but around it
validates the index, allocates three new arrays and builds a matrix per
batch; on 512-row batches of 50 non-zeros a row that overhead is about
half its time. :class:`CSRRows` runs the same compiled gather
(``csr_row_index``, the routine ``X[rows]`` itself calls) into buffers
allocated once and grown only when a batch has more non-zeros than any
before. A gather in NumPy (``np.repeat`` of the rows' offsets, then
``np.take`` of indices and data) is slower than ``X[rows]``
there, so none is used.

The lazy sparse steps (``_lazy``) need two products per batch: the raw
outputs X_B·W and the gradient's sum Xᵀ_B·δ added into a flat array of
θ's shape. :class:`CSRBatch` holds a batch as the three CSR arrays, no
matrix object, and runs both with scipy's compiled kernels (``csr_matvec``
and ``csc_matvec``, the latter reading the rows of X_B as the columns of
its transpose, and their several-vector forms for several outputs): the
transposed product scatters the gradient into θ in one call, where
``np.add.at`` of per-entry contributions needed a repeat, a gather and a
product before it and ran several times slower. A batch of contiguous rows
(an epoch in order) is a view of X's own arrays: the kernels read the
row offsets from ``indptr`` as they are, so they need not start at 0.

When those routines are missing (they live in a private scipy module),
``X[rows]`` reads the batch and scipy's matrix products compute them.
"""

import numpy as np
import scipy.sparse as sp

try:
    from scipy.sparse._sparsetools import (
        csc_matvec,
        csc_matvecs,
        csr_matvec,
        csr_matvecs,
        csr_row_index,
    )
except ImportError:  # pragma: no cover - scipy moved its private routines
    csr_row_index = None


class CSRBatch:
    """Rows of a CSR matrix: ``indptr`` (n_rows + 1 offsets into ``indices``
    and ``data``, from any start), ``indices``, ``data``, and ``n_features``.

    Built by :meth:`of_slice` or :meth:`CSRRows.take_batch`; a gathered
    batch is valid until the reader's next gather.
    """

    __slots__ = ("indptr", "indices", "data", "n_features")

    def __init__(self, indptr, indices, data, n_features):
        self.indptr = indptr
        self.indices = indices
        self.data = data
        self.n_features = n_features

    @classmethod
    def of_slice(cls, X, rows):
        """The contiguous rows ``rows`` (a slice of step 1) of X, as views."""
        start, stop, _ = rows.indices(X.shape[0])
        indptr = X.indptr[start : max(start, stop) + 1]
        return cls(indptr, X.indices, X.data, X.shape[1])

    @property
    def n_rows(self):
        return self.indptr.size - 1

    def features(self):
        """The column of each stored entry, in order (repeats kept)."""
        return self.indices[self.indptr[0] : self.indptr[-1]]

    def matrix(self, container):
        """The rows as a matrix of class ``container``, built on the
        batch's arrays (``indptr`` shifted to start at 0)."""
        start, end = self.indptr[0], self.indptr[-1]
        indptr = self.indptr - start if start else self.indptr
        return container(
            (self.data[start:end], self.indices[start:end], indptr),
            shape=(self.n_rows, self.n_features),
        )

    def product_into(self, coef, out):
        """``out[...] = X_B @ coef``: coef is (n_features, k) or flat (as the
        target of :meth:`add_transposed`), out (n_rows, k), both C-contiguous
        in the dtype of ``data``."""
        m, k = out.shape
        coef = coef.reshape(self.n_features, k)
        if csr_row_index is None:
            out[...] = self.matrix(sp.csr_matrix) @ coef
        elif k == 1:
            out.fill(0.0)  # the kernel adds to what ``out`` holds
            csr_matvec(
                m, self.n_features, self.indptr, self.indices, self.data, coef, out
            )
        else:
            out.fill(0.0)
            csr_matvecs(
                m, self.n_features, k, self.indptr, self.indices, self.data, coef, out
            )
        return out

    def add_transposed(self, delta, target):
        """``target += X_Bᵀ @ delta`` with ``target`` flat (n_features · k,
        C order) and ``delta`` (n_rows, k), C-contiguous in the dtype of
        ``data``; the entries of a feature are summed, repeats included."""
        m, k = delta.shape
        if csr_row_index is None:
            target += (self.matrix(sp.csr_matrix).T @ delta).ravel()
        elif k == 1:
            csc_matvec(
                self.n_features, m, self.indptr, self.indices, self.data, delta, target
            )
        else:
            csc_matvecs(
                self.n_features,
                m,
                k,
                self.indptr,
                self.indices,
                self.data,
                delta,
                target,
            )


class CSRRows:
    """Gathers rows of the CSR matrix ``X`` into reused buffers.

    :meth:`take_batch` returns a :class:`CSRBatch` of the rows,
    :meth:`take` a CSR matrix of X's class; both share the buffers and are
    valid until the next call, which overwrites them. (scipy copies a
    matrix holding less than half of the buffers' entries into arrays of
    its own, so the short last batch of an epoch may be a copy.)
    """

    def __init__(self, X):
        self.X = X
        self._indptr = np.zeros(1, dtype=X.indptr.dtype)
        self._indices = np.empty(0, dtype=X.indices.dtype)
        self._data = np.empty(0, dtype=X.data.dtype)

    def take_batch(self, rows):
        """The rows of X at ``rows`` (an integer array, any order)."""
        X = self.X
        if csr_row_index is None:
            picked = X[rows]
            return CSRBatch(picked.indptr, picked.indices, picked.data, X.shape[1])
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
        return CSRBatch(indptr, indices, data, X.shape[1])

    def take(self, rows):
        """The rows of X at ``rows`` as a CSR matrix of X's own class (a
        csr_array stays an array, a csr_matrix a matrix)."""
        if csr_row_index is None:
            return self.X[rows]
        return self.take_batch(rows).matrix(type(self.X))
