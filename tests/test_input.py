"""The short-cut input checks (``sgdlearn._input``) give scikit-learn's answers.

For every input, the short cut and scikit-learn's own function must agree:
the same arrays back (the very objects, when no conversion is needed), the
same ``n_features_in_`` and ``feature_names_in_`` on the estimator, or the
same exception with the same message. The parameter checks remembered per
setting (``_params.ValidatedSettings``) must still reject every bad
setting, every time.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d, validate_data

from sgdlearn import MLPClassifier, SGDLinearRegressor, SGDLogisticClassifier
from sgdlearn._input import as_1d, checked_X, checked_X_y, label_type

rng = np.random.default_rng(0)
DENSE = rng.standard_normal((6, 3))

X_CASES = {
    "float64": DENSE,
    "float32": DENSE.astype(np.float32),
    "Fortran order": np.asfortranarray(DENSE),
    "int": np.arange(18).reshape(6, 3),
    "nan": np.where(DENSE > 1.0, np.nan, DENSE),
    "inf": np.where(DENSE > 1.0, np.inf, DENSE),
    "huge (the sum overflows)": np.full((6, 3), 1e308),
    "no features": np.empty((6, 0)),
    "1-D": DENSE[:, 0],
    "list": DENSE.tolist(),
    "DataFrame": pd.DataFrame(DENSE, columns=["a", "b", "c"]),
    "CSR": sp.csr_matrix(DENSE),
    "ndarray subclass": DENSE.view(np.recarray),
    "strided view": np.zeros((6, 6))[:, ::2],
}

Y_CASES = {
    "int": np.array([0, 1, 0, 1, 2, 2]),
    "float integral": np.array([0.0, 1.0, 0.0, 1.0, 1.0, 0.0]),
    "float": np.linspace(0.1, 0.6, 6),
    "bool": np.array([True, False] * 3),
    "nan": np.array([0.0, np.nan, 1.0, 1.0, 0.0, 0.0]),
    "strings": np.array(list("abcabc")),
    "column": np.arange(6.0).reshape(6, 1),
    "too short": np.arange(5),
    "list": [0, 1, 0, 1, 1, 0],
}


class Probe(BaseEstimator):
    """An estimator for validate_data to set its attributes on."""


def _outcome(function, *args, **kwargs):
    """(result or None, the exception's type and message or None, the
    attributes validation sets on the estimator and the warnings given)."""
    estimator = args[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result, error = function(*args, **kwargs), None
        except (TypeError, ValueError) as exc:
            result, error = None, (type(exc), str(exc))
    names = getattr(estimator, "feature_names_in_", None)
    attributes = (
        getattr(estimator, "n_features_in_", None),
        None if names is None else list(names),
        [(w.category, str(w.message)) for w in caught],
    )
    return result, error, attributes


def _same(ours, theirs):
    (result, error, attributes), (expected, expected_error, expected_attributes) = (
        ours,
        theirs,
    )
    assert error == expected_error
    assert attributes == expected_attributes
    if expected is None:
        return
    if not isinstance(expected, tuple):
        result, expected = (result,), (expected,)
    for got, want in zip(result, expected, strict=True):
        if sp.issparse(want):
            got, want = got.toarray(), want.toarray()
        np.testing.assert_array_equal(got, want)
        assert np.asarray(got).dtype == np.asarray(want).dtype


CHECKS = {"accept_sparse": "csr", "dtype": [np.float64, np.float32], "order": "C"}


def _fitted_probe(names):
    """A Probe that has seen 3 features, with names or without."""
    probe = Probe()
    validate_data(
        probe, pd.DataFrame(DENSE, columns=["a", "b", "c"]) if names else DENSE
    )
    return probe


@pytest.mark.parametrize("x_case", X_CASES)
@pytest.mark.parametrize("y_case", Y_CASES)
def test_checked_X_y_is_validate_data(x_case, y_case):
    X, y = X_CASES[x_case], Y_CASES[y_case]
    kwargs = dict(reset=True, multi_output=True, **CHECKS)
    ours = _outcome(checked_X_y, _fitted_probe(True), X, y, **kwargs)
    theirs = _outcome(validate_data, _fitted_probe(True), X, y, **kwargs)
    _same(ours, theirs)


@pytest.mark.parametrize("x_case", X_CASES)
@pytest.mark.parametrize("names", [False, True], ids=["fitted on an array", "on names"])
@pytest.mark.parametrize("reset", [True, False])
def test_checked_X_is_validate_data(x_case, names, reset):
    X = X_CASES[x_case]
    ours = _outcome(checked_X, _fitted_probe(names), X, reset=reset, **CHECKS)
    theirs = _outcome(validate_data, _fitted_probe(names), X, reset=reset, **CHECKS)
    _same(ours, theirs)


def test_plain_input_comes_back_unconverted():
    probe = Probe()
    y = Y_CASES["int"]
    X_back, y_back = checked_X_y(probe, DENSE, y, reset=True, **CHECKS)
    assert X_back is DENSE and y_back is y
    assert checked_X(probe, DENSE, reset=False, **CHECKS) is DENSE


@pytest.mark.parametrize(
    "y",
    [
        *Y_CASES.values(),
        np.array([3, 3, 3]),
        np.array([1e20, 0.0]),
        np.array([-1.5, 2.0, 2.0]),
        np.array([0, 1], dtype=np.uint8),
        np.array([0.0, np.inf]),
        np.empty(0),
        np.eye(3, dtype=int),
        np.array([[0, 1], [2, 3]]),
    ],
    ids=repr,
)
def test_label_type_is_type_of_target(y):
    try:
        expected = type_of_target(y, input_name="y")
    except ValueError as exc:
        with pytest.raises(ValueError, match=str(exc)[:20]):
            label_type(y)
    else:
        assert label_type(y) == expected


@pytest.mark.parametrize("y", [np.arange(4), np.arange(4.0).reshape(4, 1), [1, 2]])
def test_as_1d_is_column_or_1d(y):
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        expected = column_or_1d(y, warn=True)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        np.testing.assert_array_equal(as_1d(y), expected)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]


# -- parameter checks remembered per setting -------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "Estimator, bad",
    [
        (SGDLinearRegressor, {"alpha": -1.0}),
        (SGDLogisticClassifier, {"solver": "nope"}),
        (SGDLogisticClassifier, {"fit_intercept": 1}),
        (MLPClassifier, {"hidden_layer_sizes": (4, -1)}),
    ],
)
def test_a_bad_setting_is_rejected_every_time(Estimator, bad):
    X, y = DENSE, np.array([0, 1] * 3)
    Estimator(max_iter=3).fit(X, y)  # a good setting, remembered
    for _ in range(2):
        with pytest.raises(ValueError, match=next(iter(bad))):
            Estimator(max_iter=3, **bad).fit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_mutable_value_is_checked_again():
    """A list is not remembered: changed in place, it is checked again."""
    X, y = DENSE, np.array([0, 1] * 3)
    sizes = [4]
    estimator = MLPClassifier(hidden_layer_sizes=sizes, max_iter=3)
    estimator.fit(X, y)
    sizes.append(-1)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        estimator.fit(X, y)


def test_settings_are_told_apart_by_type():
    settings = SGDLogisticClassifier._validated_settings
    assert settings.key({"a": True}) != settings.key({"a": 1})
    assert settings.key({"a": 1.0}) != settings.key({"a": 1})
    assert settings.key({"a": {"b": 1}}) is None
    assert settings.key({"a": (1, [2])}) is None
    assert settings.key({"a": (1, 2)}) is not None
