"""Dask collections on the client: recognising them, and their row blocks.

Dask is an optional dependency. A collection is recognised only when
``dask`` was already imported (``"dask" in sys.modules``), so without Dask
nothing here imports it, and it is recognised before scikit-learn's input
validation (which would compute it). Training on Dask input
(``_cluster``) and predicting and scoring on it (``_cluster_predict``)
share these helpers, which never compute a block.
"""

import sys

import numpy as np


def is_dask_collection(obj):
    """Whether ``obj`` is a Dask collection; never imports Dask itself."""
    if obj is None or "dask" not in sys.modules:
        return False
    return sys.modules["dask"].is_dask_collection(obj)


def is_dask_input(*objects):
    """Whether any of ``objects`` is a Dask collection."""
    return any(is_dask_collection(obj) for obj in objects)


def current_client():
    """The ``dask.distributed`` Client a fit on Dask input runs on."""
    try:
        from distributed import get_client

        return get_client()
    except (ImportError, ValueError) as exc:
        raise ValueError(
            "Fitting on Dask collections needs a dask.distributed Client: create "
            "one first (from dask.distributed import Client; client = Client() "
            "or Client(cluster)), or compute the data into NumPy arrays. sgdlearn "
            "does not fall back to the local scheduler, which would gather the "
            "data into this process."
        ) from exc


def as_array(collection, name):
    """A Dask array of a Dask array or DataFrame (row lengths computed)."""
    if hasattr(collection, "to_dask_array"):  # DataFrame or Series
        collection = collection.to_dask_array(lengths=True)
    if any(np.isnan(c) for c in collection.chunks[0]):
        raise ValueError(
            f"{name} is a Dask array of unknown chunk sizes: call "
            f"{name}.compute_chunk_sizes() first (or to_dask_array(lengths=True) "
            "on a DataFrame)."
        )
    return collection


def require_dask_X(X):
    """The TypeError of in-memory X beside Dask y, weights or validation data
    (whose blocks would have nothing to line up with)."""
    if not is_dask_collection(X):
        raise TypeError(
            "X must be a Dask array or DataFrame when y, sample_weight or the "
            f"validation data are Dask collections; got {type(X).__name__}."
        )


def pandas_meta(X):
    """A Dask DataFrame's empty pandas frame (its column names), else X."""
    return X._meta if hasattr(X, "to_dask_array") else X


def aligned(values, X, name):
    """y or a weight vector as a Dask array with X's row chunks (None stays
    None; a NumPy array is split along them)."""
    import dask.array as da

    if values is None:
        return None
    if not is_dask_collection(values):
        values = np.asarray(values)
        if values.shape[:1] != X.shape[:1]:
            raise ValueError(
                f"{name} has {values.shape[:1] or 'no'} rows but X has {X.shape[0]}."
            )
        return da.from_array(values, chunks=(X.chunks[0], *values.shape[1:]))
    values = as_array(values, name)
    if values.chunks[0] != X.chunks[0]:
        raise ValueError(
            f"X and {name} must have the same row chunks, got {X.chunks[0]} and "
            f"{values.chunks[0]}: rechunk one like the other, e.g. "
            f"{name}.rechunk({{0: X.chunks[0]}})."
        )
    if values.ndim > 1 and values.numblocks[1] > 1:
        values = values.rechunk({1: -1})
    return values


def row_blocks(array):
    """The Delayed blocks of ``array`` along its rows (None: all None)."""
    if array is None:
        return None
    return list(array.to_delayed().reshape(array.numblocks[0], -1)[:, 0])


def delayed(function):
    import dask

    return dask.delayed(function, pure=True)
