"""Predictions and scores on Dask input: lazy, block by block, never gathered.

``predict``, ``predict_proba``, ``predict_log_proba`` and
``decision_function`` return lazy Dask arrays with one block per block of
X, each block computed by the estimator's own NumPy method
(:func:`blockwise`). ``score`` on Dask input adds up per-block statistics
(the classifiers' weighted count of right predictions; the regressors'
Σw, weighted mean, weighted squares about the mean and squared error per
output, merged with Chan's parallel update) and computes accuracy or R²
from them: neither X nor y is gathered. The regressors' and classifiers'
``score`` stays scikit-learn's own function when looked up on the class
(:class:`DaskAwareScore`): dask-ml's wrappers recognise it by identity and
use their own scorers.
"""

import functools
import warnings

import numpy as np
from sklearn.utils.validation import _check_feature_names, _check_n_features

from ._dask_collections import (
    aligned,
    delayed,
    is_dask_collection,
    is_dask_input,
    pandas_meta,
    require_dask_X,
    row_blocks,
)

_NAMES_WARNING = "X does not have valid feature names"


def _prediction_input(estimator, X):
    """X as a Dask array with one column chunk, its feature names checked."""
    _check_feature_names(estimator, pandas_meta(X), reset=False)
    if hasattr(X, "to_dask_array"):
        X = X.to_dask_array()
    _check_n_features(estimator, X, reset=False)
    return X.rechunk({1: -1}) if X.numblocks[1] > 1 else X


def _on_block(method, estimator, block, args, kwargs, index=None):
    """``method`` of the estimator on one NumPy block (on a worker)."""
    with warnings.catch_warnings():
        # the names were checked on the client, against the Dask DataFrame
        warnings.filterwarnings("ignore", message=_NAMES_WARNING)
        result = method(estimator, block, *args, **kwargs)
    return result if index is None else result[index]


def _predict_block(block, method, estimator, args, kwargs, index, meta_block):
    """The method's result on a block; on an empty block (a filtered array
    may have some), ``meta_block``, an empty result of the right columns
    and dtype, as scikit-learn's checks refuse zero rows."""
    if block.shape[0] == 0:
        return meta_block
    return _on_block(method, estimator, block, args, kwargs, index)


def blockwise(method):
    """Decorate a prediction method: on a Dask array or DataFrame it returns
    a lazy Dask array (a tuple of them for a tuple), one block per block of
    X, each block computed by the method itself; other input goes straight
    to the method."""

    @functools.wraps(method)
    def dispatch(self, X, *args, **kwargs):
        if not is_dask_collection(X):
            return method(self, X, *args, **kwargs)
        X = _prediction_input(self, X)
        probe = _on_block(
            method, self, np.zeros((1, X.shape[1]), X.dtype), args, kwargs
        )
        if isinstance(probe, tuple):
            return tuple(
                _mapped(method, self, X, args, kwargs, part, index)
                for index, part in enumerate(probe)
            )
        return _mapped(method, self, X, args, kwargs, probe, None)

    return dispatch


def _mapped(method, estimator, X, args, kwargs, probe, index):
    """X.map_blocks of the method, shaped like ``probe`` (its one-row result)."""
    if probe.ndim == 1:
        chunks, drop_axis = (X.chunks[0],), 1
    else:
        chunks, drop_axis = (X.chunks[0], (probe.shape[1],)), None
    empty = np.empty((0, *probe.shape[1:]), dtype=probe.dtype)
    return X.map_blocks(
        _predict_block,
        method=method,
        estimator=estimator,
        args=args,
        kwargs=kwargs,
        index=index,
        meta_block=empty,
        dtype=probe.dtype,
        chunks=chunks,
        drop_axis=drop_axis,
        meta=np.empty((0,) * probe.ndim, dtype=probe.dtype),
    )


class DaskAwareScore:
    """A ``score`` that is scikit-learn's own function on the class (so that
    ``type(est).score is RegressorMixin.score``, which dask-ml's wrappers
    check) and, called on an estimator with Dask input, scores from
    per-block statistics without gathering X or y.

    Parameters
    ----------
    score : function
        ``RegressorMixin.score`` or ``ClassifierMixin.score``.
    statistics, combine : functions
        A block's statistics from (y, prediction, weights), and the score
        from the list of them.
    """

    def __init__(self, score, statistics, combine):
        self.score = score
        self.statistics = statistics
        self.combine = combine

    def __get__(self, instance, owner=None):
        if instance is None:
            return self.score
        numpy_score = self.score

        @functools.wraps(numpy_score)
        def score(X, y, sample_weight=None):
            if not is_dask_input(X, y, sample_weight):
                return numpy_score(instance, X, y, sample_weight=sample_weight)
            return self._blockwise(instance, X, y, sample_weight)

        return score

    def _blockwise(self, estimator, X, y, sample_weight):
        import dask

        require_dask_X(X)
        X = _with_chunk_sizes(_prediction_input(estimator, X))
        y = aligned(_with_chunk_sizes(y), X, "y")
        sample_weight = aligned(_with_chunk_sizes(sample_weight), X, "sample_weight")
        w_blocks = row_blocks(sample_weight) or [None] * X.numblocks[0]
        tasks = [
            delayed(_score_block)(estimator, x, t, w, self.statistics)
            for x, t, w, rows in zip(
                row_blocks(X), row_blocks(y), w_blocks, X.chunks[0]
            )
            if rows > 0  # an empty block adds nothing (and would not validate)
        ]
        if not tasks:
            raise ValueError("X is an empty Dask array (0 samples): nothing to score.")
        return self.combine(dask.compute(*tasks))


def _with_chunk_sizes(values):
    """A Dask array of unknown row chunk sizes (a boolean mask's result) with
    them computed, as score computes the blocks anyway; anything else as
    it is."""
    chunks = getattr(values, "chunks", None)
    if chunks is not None and any(np.isnan(c) for c in chunks[0]):
        return values.compute_chunk_sizes()
    return values


def _score_block(estimator, X, y, sample_weight, statistics):
    prediction = _on_block(type(estimator).predict, estimator, X, (), {})
    weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
    return statistics(np.asarray(y), prediction, weights.astype(np.float64))


def accuracy_statistics(y, prediction, weights):
    """(Σ w·right, Σ w) of a block."""
    right = prediction == y if y.ndim == 1 else (prediction == y).all(axis=1)
    return float(weights @ right), float(weights.sum())


def accuracy_from(statistics):
    right, total = np.sum(statistics, axis=0)
    return float(right / total)


def r2_statistics(y, prediction, weights):
    """(Σw, weighted mean, Σ w (y − mean)², Σ w (y − ŷ)²) per output of a block."""
    y = y.reshape(len(y), -1).astype(np.float64)
    prediction = np.reshape(prediction, (len(y), -1)).astype(np.float64)
    if prediction.shape[1] != y.shape[1]:  # r2_score's check and message
        raise ValueError(
            "y_true and y_pred have different number of output "
            f"({y.shape[1]}!={prediction.shape[1]})"
        )
    total = weights.sum()
    mean = weights @ y / total if total > 0 else np.zeros(y.shape[1])
    squares = weights @ (y - mean) ** 2
    return total, mean, squares, weights @ (y - prediction) ** 2


def r2_from(statistics):
    """R² (uniform average over outputs, scikit-learn's conventions for a
    constant target) from the blocks' statistics, merged with Chan et al.'s
    parallel update of the sum of squares about the mean."""
    total, mean, squares, residual = statistics[0]
    for n_b, mean_b, squares_b, residual_b in statistics[1:]:
        if n_b == 0:
            continue
        merged = total + n_b
        delta = mean_b - mean
        mean = mean + delta * (n_b / merged)
        squares = squares + squares_b + delta**2 * (total * n_b / merged)
        residual = residual + residual_b
        total = merged
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(squares > 0, 1.0 - residual / squares, 0.0)
    r2 = np.where((squares == 0) & (residual == 0), 1.0, r2)
    return float(np.mean(r2))
