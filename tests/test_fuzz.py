"""Property-based fuzzing of all five estimators (hypothesis).

Random estimators and settings meet random data: shapes (one row, one
feature, more features than rows), dtypes (float16/32/64, ints, bools,
big-endian), layouts (Fortran order, non-contiguous views, read-only
memmaps, sparse) and values (huge, tiny, constant columns, duplicated rows,
NaN and infinity). The properties:

- ``fit`` either succeeds with finite parameters and finite predictions, or
  raises a ValueError / TypeError. Input that is bad on its face (NaN, one
  class, negative Poisson targets, lbfgs with L1 or dropout…) must raise, with
  a message naming the problem; clean input may only fail with the documented
  run-time errors (divergence, a too small early-stopping hold-out).
- The memory layout never changes the model: the same values in any layout
  or byte order give bitwise the same parameters.
- The validation path (a hold-out or X_val) on clean data of any scale
  gives validation scores that are not NaN and finite validation losses,
  or fit raises a documented run-time error.
- A call that raises leaves a fitted estimator exactly as it was.
- A stream of partial_fit calls of any sizes keeps the model finite.

The number of examples comes from the hypothesis profile (tests/conftest.py):
30 per test by default, 2000 (derandomized) in CI, 1000 drawn afresh with
HYPOTHESIS_PROFILE=long.
"""

import itertools
import pickle
import re
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import scipy.sparse as sp
from conftest import ALL, MLPS
from hypothesis import assume, given, note
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from sklearn.base import ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from sgdlearn import (
    MLPClassifier,
)

SOLVERS = ["sgd", "adagrad", "rmsprop", "adam", "lbfgs"]

# Messages that a fit on clean input may still raise: the documented
# run-time failures (divergence, a hold-out too small for early stopping).
RUNTIME_ERRORS = r"diverged|validation|hold out"


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def memmap_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("memmaps")


_counter = itertools.count()


def is_clf(Estimator):
    return issubclass(Estimator, ClassifierMixin)


# ---------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------


@st.composite
def estimators(draw, Estimator=None):
    """(estimator, problems): an estimator with drawn settings and the
    regexes of the errors those settings must raise (empty: none)."""
    Estimator = Estimator or draw(st.sampled_from(ALL))
    solver = draw(st.sampled_from(SOLVERS))
    params = {
        "solver": solver,
        "batch_size": draw(
            st.one_of(st.sampled_from(["auto", "full"]), st.integers(1, 12))
        ),
        "penalty": draw(st.sampled_from(["l2", "l1", "elasticnet", None])),
        "alpha": draw(st.sampled_from([0.0, 1e-4, 0.5])),
        "dropout": draw(st.sampled_from([0.0, 0.0, 0.3])),
        "early_stopping": draw(st.booleans()),
        "validation_fraction": draw(st.sampled_from([0.1, 0.3, 0.5])),
        "learning_rate": draw(st.sampled_from(["constant", "invscaling", "adaptive"])),
        "max_iter": draw(st.integers(1, 4)),
        "random_state": draw(st.integers(0, 2**16)),
        "shuffle": draw(st.booleans()),
    }
    if Estimator in MLPS:
        params["hidden_layer_sizes"] = draw(st.sampled_from([(3,), (4, 2)]))
        params["activation"] = draw(
            st.sampled_from(["relu", "tanh", "logistic", "identity"])
        )
    if not is_clf(Estimator):
        params["loss"] = draw(
            st.sampled_from(["squared_error", "squared_error", "poisson"])
        )
    elif draw(st.booleans()):
        params["class_weight"] = "balanced"
    problems = []
    if solver == "lbfgs":
        l1 = params["penalty"] in ("l1", "elasticnet") and params["alpha"] > 0
        if l1:
            problems.append("lbfgs")
        if params["dropout"] > 0:
            problems.append("lbfgs|dropout")
    return Estimator(**params), problems


REGIMES = {
    "moderate": st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
    "unit": st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False),
    "tiny": st.floats(-1e-30, 1e-30, allow_nan=False, allow_infinity=False),
    "huge": st.sampled_from([1e30, -1e30, 3e15, -7e20, 0.0, 1.0]),
    "mixed": st.one_of(
        st.floats(-10, 10, allow_nan=False, allow_infinity=False),
        st.sampled_from([1e30, -1e30, 1e-30, 0.0]),
    ),
}
FLOAT_DTYPES = ["float64", "float32", "float16", ">f8", ">f4"]
OTHER_DTYPES = ["int8", "int32", "int64", "uint8", "bool"]
LAYOUTS = ["C", "F", "strided", "memmap", "csr", "csc"]


@st.composite
def matrices(draw):
    """(X values as float64, dtype, regime, clean) — before any layout."""
    n_rows = draw(st.integers(1, 24))
    wide = draw(st.booleans())
    n_features = draw(
        st.integers(n_rows + 1, n_rows + 12) if wide else st.integers(1, 6)
    )
    dtype = draw(st.sampled_from(FLOAT_DTYPES + OTHER_DTYPES))
    shape = (n_rows, n_features)
    if np.dtype(dtype).kind == "f":
        regime = draw(st.sampled_from(sorted(REGIMES)))
        elements = REGIMES[regime]
        if np.dtype(dtype).itemsize == 2 and regime in ("huge", "mixed"):
            elements = st.floats(
                -6e4, 6e4, allow_nan=False, allow_infinity=False, width=16
            )
        X = draw(hnp.arrays(np.float64, shape, elements=elements))
        X = X.astype(dtype)
        with np.errstate(over="ignore"):
            assume(
                np.all(np.isfinite(X))
            )  # float32 overflow of 1e30 is fine; of 1e300 not drawn
    else:
        regime = dtype
        X = draw(hnp.arrays(np.dtype(dtype), shape))
    # structure: constant columns, duplicated rows
    if draw(st.booleans()) and n_features > 1:
        X[:, draw(st.integers(0, n_features - 1))] = X[0, 0]
    if draw(st.booleans()) and n_rows > 1:
        half = (n_rows + 1) // 2
        X[half:] = X[: n_rows - half]
    # NaN / infinity somewhere (float dtypes only)
    bad = None
    if np.dtype(dtype).kind == "f" and draw(st.integers(0, 5)) == 0:
        bad = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
        X[draw(st.integers(0, n_rows - 1)), draw(st.integers(0, n_features - 1))] = bad
    return X, regime, bad


def with_layout(X, layout, memmap_dir):
    """The same values in another memory layout (or sparse format)."""
    if layout == "C":
        return np.ascontiguousarray(X)
    if layout == "F":
        return np.asfortranarray(X)
    if layout == "strided":
        wide = np.zeros((X.shape[0] * 2, X.shape[1] * 2), dtype=X.dtype)
        wide[::2, ::2] = X
        view = wide[::2, ::2]
        assert X.size < 2 or not view.flags.c_contiguous
        return view
    if layout == "memmap":
        path = memmap_dir / f"X{next(_counter)}.npy"
        np.save(path, X)
        view = np.load(path, mmap_mode="r")
        assert not view.flags.writeable
        return view
    if X.dtype.kind == "f" and X.dtype.itemsize == 2:
        X = X.astype(np.float32)  # scipy.sparse does not take float16
    if not X.dtype.isnative:
        X = X.astype(X.dtype.newbyteorder("="))
    return sp.csr_matrix(X) if layout == "csr" else sp.csc_matrix(X)


@st.composite
def targets(draw, Estimator, estimator, n_rows, valid=False):
    """(y, problem): a target for the estimator and the error it must cause
    (``valid``: none; needs n_rows >= 2)."""
    if is_clf(Estimator):
        n_classes = draw(st.integers(2 if valid else 1, 4))
        codes = draw(
            hnp.arrays(np.int64, n_rows, elements=st.integers(0, n_classes - 1))
        )
        if valid:
            codes[:2] = [0, 1]
        kind = draw(st.sampled_from(["int", "str", "negative", "bool"]))
        if kind == "str":
            y = np.array(["ant", "bee", "cat", "dog"])[codes]
        elif kind == "negative":
            y = -3 * codes - 1
        elif kind == "bool":
            y = codes % 2 == 1
        else:
            y = codes
        # MLPClassifier fits one class, as scikit-learn's MLP (issue 13)
        one_class_fails = Estimator is not MLPClassifier
        problem = "one class" if np.unique(y).size < 2 and one_class_fails else None
        return y, problem
    n_outputs = draw(st.sampled_from([1, 1, 2]))
    regime = draw(st.sampled_from(["moderate", "unit", "huge"]))
    shape = n_rows if n_outputs == 1 else (n_rows, n_outputs)
    y = draw(hnp.arrays(np.float64, shape, elements=REGIMES[regime]))
    problem = None
    if estimator.loss == "poisson":
        if valid or draw(st.booleans()):
            y = np.abs(y)
        if np.any(y < 0):
            problem = "poisson|negative"
    return y, problem


def training_dtype(X):
    """The dtype X is trained in: float32 of either byte order stays float32."""
    return np.float32 if X.dtype.kind == "f" and X.dtype.itemsize == 4 else np.float64


@st.composite
def sample_weights(draw, n_rows, dtype=np.float64):
    """(sample_weight or None, problem); ``dtype`` is the training dtype, in
    which tiny positive weights may round to zero."""
    kind = draw(st.sampled_from(["none", "none", "random", "zeros", "negative"]))
    if kind == "none":
        return None, None
    if kind == "zeros":
        return np.zeros(n_rows), "zero|sum"
    weights = draw(hnp.arrays(np.float64, n_rows, elements=st.floats(0.0, 10.0)))
    if kind == "negative":
        weights[draw(st.integers(0, n_rows - 1))] = -1.0
        return weights, "[Nn]egative"
    if not weights.astype(dtype).sum() > 0:
        return weights, "zero|sum"
    return weights, None


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def parameters(est):
    if hasattr(est, "coefs_"):
        return [*est.coefs_, *est.intercepts_]
    return [est.coef_, est.intercept_]


def assert_finite_model(est, X):
    for p in parameters(est):
        assert np.all(np.isfinite(p)), "non-finite parameters"
    if est.loss_ is not None:
        assert np.isfinite(est.loss_), "non-finite loss_"
    prediction = est.predict(X)
    assert prediction.shape[0] == X.shape[0]
    if isinstance(est, ClassifierMixin):
        assert np.isin(prediction, est.classes_).all()
        proba = est.predict_proba(X)
        assert np.all(np.isfinite(proba)), "non-finite probabilities"
        assert np.allclose(proba.sum(axis=1), 1.0, rtol=1e-3)
        if hasattr(est, "decision_function"):  # not MLPClassifier (issue 13)
            assert np.all(np.isfinite(est.decision_function(X)))
    else:
        assert np.all(np.isfinite(prediction)), "non-finite predictions"


def fit_quietly(est, X, y, sample_weight=None, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # the MLPs warn when batch_size exceeds the rows, as scikit-learn's
        warnings.filterwarnings("ignore", "Got `batch_size`", UserWarning)
        return est.fit(X, y, sample_weight=sample_weight, **fit_params)


def expected_error(problems):
    return "|".join(f"(?:{p})" for p in problems) if problems else None


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------


@given(data=st.data())
def test_fit_succeeds_with_a_finite_model_or_raises_a_clear_error(data, memmap_dir):
    est, problems = data.draw(estimators(), label="estimator")
    Estimator = type(est)
    X_values, regime, bad = data.draw(matrices(), label="X")
    layout = data.draw(st.sampled_from(LAYOUTS), label="layout")
    X = with_layout(X_values, layout, memmap_dir)
    n_rows = X.shape[0]
    y, y_problem = data.draw(targets(Estimator, est, n_rows), label="y")
    sample_weight, w_problem = data.draw(
        sample_weights(n_rows, training_dtype(X)), label="sample_weight"
    )
    problems = list(problems)
    if bad is not None:
        problems.append("NaN" if np.isnan(bad) else "infinity")
    problems += [p for p in (y_problem, w_problem) if p]
    note(f"{est!r} on {X.dtype} {layout} X {X.shape} ({regime}); problems {problems}")

    try:
        fit_quietly(est, X, y, sample_weight)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        note(f"raised {type(exc).__name__}: {message}")
        if problems:
            assert re.search(expected_error(problems), message), message
        else:
            # Clean input: only the documented run-time failures.
            assert re.search(RUNTIME_ERRORS, message), message
        assert not hasattr(est, "n_iter_"), "a failed fit left fitted attributes"
        return
    assert not problems, f"fit accepted input that should fail: {problems}"
    if X.dtype.isnative:  # big-endian float32: see test_reliability
        expected_dtype = np.float32 if X.dtype == np.float32 else np.float64
        assert all(p.dtype == expected_dtype for p in parameters(est))
    assert_finite_model(est, X)


@given(data=st.data())
def test_validation_on_clean_data_of_any_scale_is_finite_or_raises(data, memmap_dir):
    """The validation path on clean data of any scale: a hold-out (early
    stopping, any validation_fraction) or a given X_val. Scores are taken of
    the predictions, through the link (exp for Poisson), which can overflow
    where the raw outputs do not, and a hold-out can take all the weight
    (issue 12). Fit either records validation scores (not NaN) and finite
    validation losses or raises a documented run-time error. The first test
    reaches this path in a fraction of its examples; this one in all."""
    est, problems = data.draw(estimators(), label="estimator")
    assume(not problems)
    X_values, regime, bad = data.draw(matrices(), label="X")
    assume(bad is None and X_values.shape[0] >= 2)
    layout = data.draw(st.sampled_from(LAYOUTS), label="layout")
    X = with_layout(X_values, layout, memmap_dir)
    n_rows = X.shape[0]
    y, _ = data.draw(targets(type(est), est, n_rows, valid=True), label="y")
    sample_weight, w_problem = data.draw(
        sample_weights(n_rows, training_dtype(X)), label="sample_weight"
    )
    if w_problem:
        sample_weight = None
    given = data.draw(st.booleans(), label="X_val given")
    fit_params = {"X_val": X, "y_val": y} if given else {}
    if not given:
        est.set_params(early_stopping=True)
    note(f"{est!r} on {X.dtype} {layout} X {X.shape} ({regime}), X_val given: {given}")

    try:
        fit_quietly(est, X, y, sample_weight, **fit_params)
    except ValueError as exc:
        assert re.search(RUNTIME_ERRORS, str(exc)), str(exc)
        assert not hasattr(est, "n_iter_"), "a failed fit left fitted attributes"
        return
    if est.validation_scores_ is not None:  # lbfgs does not stop early
        # R² may be −inf (targets whose variance underflows), never NaN
        assert not np.isnan(est.validation_scores_).any()
        assert np.all(np.isfinite(est.validation_loss_curve_))
    assert_finite_model(est, X)


@given(data=st.data())
def test_memory_layout_never_changes_the_model(data, memmap_dir):
    """The same values as C-ordered native float64 or float32, Fortran,
    strided, read-only memmap or big-endian: bitwise the same model."""
    Estimator = data.draw(st.sampled_from(ALL), label="Estimator")
    est, problems = data.draw(estimators(Estimator), label="estimator")
    assume(not problems)
    n_rows = data.draw(st.integers(2, 20), label="n_rows")
    n_features = data.draw(st.integers(1, 6), label="n_features")
    native = data.draw(st.sampled_from(["float64", "float32"]), label="dtype")
    X = data.draw(
        hnp.arrays(native, (n_rows, n_features), elements=REGIMES["moderate"]),
        label="X",
    )
    y, _ = data.draw(targets(Estimator, est, n_rows, valid=True), label="y")
    layouts = ["F", "strided", "memmap"] + (
        ["big-endian"] if native == "float64" else []
    )
    layout = data.draw(st.sampled_from(layouts), label="layout")
    if layout == "big-endian":
        other = X.astype(X.dtype.newbyteorder(">"))
    else:
        other = with_layout(X, layout, memmap_dir)
    try:
        reference = fit_quietly(est, X, y)
    except ValueError as exc:
        assert re.search(RUNTIME_ERRORS, str(exc)), str(exc)
        with pytest.raises(ValueError):
            fit_quietly(est, other, y)
        return
    reference_params = [p.copy() for p in parameters(reference)]
    fit_quietly(est, other, y)
    for a, b in zip(reference_params, parameters(est)):
        assert a.dtype == b.dtype
        assert_array_equal(a, b)


def _bad_call(data, est, X, y):
    """A fit, warm fit or partial_fit with drawn, often broken, arguments."""
    method = data.draw(st.sampled_from(["fit", "partial_fit"]), label="method")
    n_rows = data.draw(st.integers(0, 6), label="rows")
    n_features = data.draw(st.sampled_from([X.shape[1], X.shape[1], 1, X.shape[1] + 2]))
    X_new = data.draw(
        hnp.arrays(np.float64, (n_rows, n_features), elements=REGIMES["mixed"]),
        label="X_new",
    )
    if n_rows and data.draw(st.booleans()):
        X_new[0, 0] = data.draw(st.sampled_from([np.nan, np.inf, 1e300]))
    y_new = y[:n_rows] if len(y) >= n_rows else np.resize(y, n_rows)
    if n_rows and data.draw(st.booleans()):
        y_new = y_new.astype(object)
        y_new[0] = "new label"
    if method == "partial_fit" and est.solver == "lbfgs":
        method = "fit"
    return getattr(est, method), X_new, y_new


@given(data=st.data())
def test_a_failed_call_leaves_the_fitted_estimator_unchanged(data):
    Estimator = data.draw(st.sampled_from(ALL), label="Estimator")
    est, problems = data.draw(estimators(Estimator), label="estimator")
    assume(not problems)
    est.set_params(early_stopping=False, warm_start=data.draw(st.booleans()))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = np.arange(20) % 3 if is_clf(Estimator) else np.abs(X @ [1.0, 2.0, -1.0])
    try:
        fit_quietly(est, X, y)
    except ValueError:
        assume(False)  # a diverged fit: nothing fitted to protect
    method, X_new, y_new = _bad_call(data, est, X, y)
    before = pickle.dumps(est)
    keys = set(vars(est))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            method(X_new, y_new)
    except (ValueError, TypeError) as exc:
        note(f"raised {exc}")
        assert set(vars(est)) == keys
        assert pickle.dumps(est) == before
        return
    assert_finite_model(est, X_new)


@given(data=st.data())
def test_partial_fit_streams_of_any_chunk_sizes_stay_finite(data):
    Estimator = data.draw(st.sampled_from(ALL), label="Estimator")
    est, problems = data.draw(estimators(Estimator), label="estimator")
    assume(not problems and est.solver != "lbfgs")
    est.set_params(early_stopping=False)
    est.set_params(
        **({"class_weight": None} if is_clf(Estimator) else {"loss": "squared_error"})
    )
    n = data.draw(st.integers(2, 40), label="n")
    X = data.draw(hnp.arrays(np.float64, (n, 3), elements=REGIMES["unit"]), label="X")
    y = np.arange(n) % 3 if is_clf(Estimator) else X.sum(axis=1)
    cuts = sorted(data.draw(st.sets(st.integers(1, n - 1), max_size=6), label="cuts"))
    kwargs = {"classes": np.arange(3)} if is_clf(Estimator) else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # the MLPs warn when a chunk is smaller than batch_size, as scikit-learn's
        warnings.filterwarnings("ignore", "Got `batch_size`", UserWarning)
        for part in np.split(np.arange(n), cuts):
            est.partial_fit(X[part], y[part], **kwargs)
    assert est.t_ == n
    assert_finite_model(est, X)
