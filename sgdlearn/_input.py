"""scikit-learn's input checks, short-cut for plain NumPy arrays.

``validate_data`` and ``type_of_target`` accept every container (lists,
DataFrames through narwhals, sparse matrices, array-API arrays), and find
out which one they were given by asking each library in turn. On a small
fit that costs more than the fit itself: on 455 × 30 breast-cancer rows,
one Newton fit calls ``check_array`` five times, and the checks took about
a quarter of its time. A grid search gives the estimator the same input in
every fit: a C-ordered float ndarray from the scaler before it, labels or
targets as a 1-D numeric ndarray.

For exactly that input these functions give scikit-learn's result in a few
lines. Everything else, and anything they would reject (non-finite values,
no rows, a feature count that does not match the fitted one, feature names
to compare), goes to scikit-learn's functions, so that errors, warnings
and conversions stay scikit-learn's own. ``tests/test_input.py`` checks
that both roads give the same answer.
"""

import numpy as np
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d, validate_data

__all__ = ["as_1d", "checked_X", "checked_X_y", "label_type"]


def _finite(a):
    """Whether every entry of a float array is finite (any integer array is).

    The sum is finite only if every entry is (an inf or NaN makes it inf or
    NaN); a sum that overflows says no, and the caller's fallback decides.
    """
    if a.dtype.kind != "f":
        return True
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(a.sum()))


def _plain_X(X, dtypes):
    """A 2-D C-ordered ndarray, of a dtype kept as it is, with rows,
    features and finite values: what ``check_array`` returns unchanged."""
    return (
        type(X) is np.ndarray
        and X.ndim == 2
        and X.dtype in dtypes
        and X.flags.c_contiguous
        and X.shape[0] >= 1
        and X.shape[1] >= 1
        and _finite(X)
    )


def _plain_y(y, n_samples):
    """A 1-D numeric ndarray of n_samples finite entries."""
    return (
        type(y) is np.ndarray
        and y.ndim == 1
        and y.dtype.kind in "buif"
        and y.shape[0] == n_samples
        and _finite(y)
    )


def _features_known(estimator, X, reset):
    """Set (``reset``) or check the fitted features as ``validate_data`` does
    for an array without feature names; False when only its own checks can
    say what to do (a feature count to reject, fitted feature names)."""
    if reset:
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
        estimator.n_features_in_ = X.shape[1]
        return True
    return (
        getattr(estimator, "feature_names_in_", None) is None
        and getattr(estimator, "n_features_in_", None) == X.shape[1]
    )


def _dtypes(dtype):
    return tuple(map(np.dtype, dtype if isinstance(dtype, list) else [dtype]))


def checked_X(estimator, X, *, reset, dtype, **check_params):
    """``validate_data(estimator, X, reset=reset, dtype=dtype, **check_params)``
    for arrays that need no conversion (module docstring)."""
    if _plain_X(X, _dtypes(dtype)) and _features_known(estimator, X, reset):
        return X
    return validate_data(estimator, X, reset=reset, dtype=dtype, **check_params)


def checked_X_y(estimator, X, y, *, reset, dtype, **check_params):
    """``validate_data(estimator, X, y, ...)`` for arrays that need no
    conversion: X as in :func:`checked_X`, y a 1-D numeric ndarray of as
    many finite entries (returned as it is, as ``multi_output=True`` does)."""
    if (
        _plain_X(X, _dtypes(dtype))
        and _plain_y(y, X.shape[0])
        and _features_known(estimator, X, reset)
    ):
        return X, y
    return validate_data(estimator, X, y, reset=reset, dtype=dtype, **check_params)


def label_type(y):
    """``type_of_target(y)`` of labels that passed validation.

    A 1-D array of integers, booleans or integral floats is "binary" with at
    most two distinct values and "multiclass" with more; floats with a
    fractional part are "continuous" (their values are finite after
    validation). Other input, and non-finite or no labels, asks
    ``type_of_target``.
    """
    if not (
        type(y) is np.ndarray
        and y.ndim == 1
        and y.dtype.kind in "buif"
        and y.size
        and _finite(y)
    ):
        return type_of_target(y, input_name="y")
    if y.dtype.kind == "f" and np.any(y != y.astype(np.int64)):
        return "continuous"
    return "binary" if np.unique(y).size <= 2 else "multiclass"


def as_1d(y):
    """``column_or_1d(y, warn=True)``; a 1-D ndarray is returned as it is."""
    if type(y) is np.ndarray and y.ndim == 1:
        return y
    return column_or_1d(y, warn=True)
