"""LossCurveDisplay: curves, the best epoch, errors."""

import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sgdlearn import (
    LossCurveDisplay,
    MLPClassifier,
    MLPRegressor,
    SGDLinearRegressor,
    SGDLogisticClassifier,
    SoftmaxClassifier,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _regression():
    X, y = make_regression(n_samples=120, n_features=4, noise=5.0, random_state=0)
    return StandardScaler().fit_transform(X), y / y.std()


def _classification():
    X, y = make_classification(
        n_samples=150, n_features=5, n_informative=3, n_classes=3, random_state=0
    )
    return StandardScaler().fit_transform(X), y


def _fit(est, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **fit_params)


ESTIMATORS = [
    (SGDLinearRegressor, _regression, {}),
    (SGDLogisticClassifier, _classification, {}),
    (SoftmaxClassifier, _classification, {}),
    (MLPRegressor, _regression, {"hidden_layer_sizes": (8,)}),
    (MLPClassifier, _classification, {"hidden_layer_sizes": (8,)}),
]


@pytest.mark.parametrize("cls, data, params", ESTIMATORS)
def test_from_estimator_without_validation(cls, data, params):
    X, y = data()
    est = _fit(cls(max_iter=15, random_state=0, **params), X, y)
    display = LossCurveDisplay.from_estimator(est)

    assert est.validation_scores_ is None
    assert len(display.lines_) == 1
    (line,) = display.lines_
    np.testing.assert_allclose(line.get_ydata(), est.loss_curve_)
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, est.n_iter_ + 1))
    # no validation data: the best epoch is that of the lowest training loss
    assert display.best_epoch == int(np.argmin(est.loss_curve_)) + 1
    assert display.best_epoch_line_.get_xdata()[0] == display.best_epoch
    assert display.ax_.figure is display.figure_
    assert display.estimator_name == cls.__name__
    assert display.ax_.get_title() == cls.__name__


@pytest.mark.parametrize("cls, data, params", ESTIMATORS)
def test_from_estimator_with_validation_data(cls, data, params):
    X, y = data()
    est = cls(max_iter=20, random_state=0, **params)
    _fit(est, X[:100], y[:100], X_val=X[100:], y_val=y[100:])
    display = LossCurveDisplay.from_estimator(est)

    train, val = display.lines_
    assert train.get_label() == "training loss"
    assert val.get_label() == "validation loss"
    np.testing.assert_allclose(val.get_ydata(), est.validation_loss_curve_)
    # the best epoch is that of best_validation_score_, not of the lowest loss
    scores = est.validation_scores_
    assert display.best_epoch == scores.index(est.best_validation_score_) + 1
    assert display.best_epoch == int(np.argmax(scores)) + 1


def test_best_epoch_is_the_one_early_stopping_restores():
    X, y = _classification()
    est = MLPClassifier(
        (16,), early_stopping=True, n_iter_no_change=3, max_iter=200, random_state=0
    )
    _fit(est, X, y)
    display = LossCurveDisplay.from_estimator(est)
    best = display.best_epoch
    assert est.validation_scores_[best - 1] == est.best_validation_score_
    # the first epoch reaching the best score: its θ is the one restored
    earlier = est.validation_scores_[: best - 1]
    assert all(score < est.best_validation_score_ for score in earlier)
    # training ran past the best epoch, so the marker is not at the end
    assert best < est.n_iter_
    assert "best epoch" in display.best_epoch_line_.get_label()


def test_best_epoch_without_validation_is_argmin_of_the_loss():
    display = LossCurveDisplay([3.0, 2.0, 1.5, 1.7, 1.6], best_epoch=3).plot()
    assert display.best_epoch_line_.get_xdata()[0] == 3
    from sgdlearn._plotting import _best_epoch

    assert _best_epoch([3.0, 2.0, 1.5, 1.7, 1.6], None) == 3
    assert _best_epoch([3.0, 2.0, 1.5, 1.7, 1.6], [0.5, 0.9, 0.7, 0.9, 0.8]) == 2


def test_plot_from_curves_on_given_axes():
    fig, (ax1, ax2) = plt.subplots(1, 2)
    display = LossCurveDisplay(
        loss_curve=[1.0, 0.5, 0.25],
        validation_loss_curve=[1.1, 0.7, 0.6],
        estimator_name="mine",
    )
    assert display.plot(ax=ax2, yscale="log") is display
    assert display.ax_ is ax2
    assert display.figure_ is fig
    assert display.best_epoch_line_ is None
    assert len(display.lines_) == 2
    assert ax2.get_yscale() == "log"
    assert ax2.get_title() == "mine"
    assert not ax1.lines
    # name overrides estimator_name; keyword arguments reach the lines
    display.plot(ax=ax1, name="other", line_kw={"color": "red"})
    assert ax1.get_title() == "other"
    assert display.lines_[0].get_color() == "red"


def test_from_estimator_on_a_pipeline_and_named():
    X, y = _regression()
    pipe = _fit(make_pipeline(StandardScaler(), SGDLinearRegressor(max_iter=5)), X, y)
    display = LossCurveDisplay.from_estimator(pipe, name="pipe")
    np.testing.assert_allclose(display.lines_[0].get_ydata(), pipe[-1].loss_curve_)
    assert display.ax_.get_title() == "pipe"


@pytest.mark.parametrize("search", ["grid", "randomized"])
@pytest.mark.parametrize("in_pipeline", [False, True])
def test_from_estimator_on_a_search_plots_its_best_estimator(search, in_pipeline):
    X, y = _classification()
    model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    prefix = ""
    if in_pipeline:
        model, prefix = make_pipeline(StandardScaler(), model), "mlpclassifier__"
    grid = {f"{prefix}alpha": [1e-4, 10.0]}
    if search == "grid":
        searcher = GridSearchCV(model, grid, cv=2)
    else:
        searcher = RandomizedSearchCV(model, grid, n_iter=2, cv=2, random_state=0)
    _fit(searcher, X, y)
    best = searcher.best_estimator_[-1] if in_pipeline else searcher.best_estimator_
    display = LossCurveDisplay.from_estimator(searcher)
    np.testing.assert_allclose(display.lines_[0].get_ydata(), best.loss_curve_)
    assert display.ax_.get_title() == "MLPClassifier"


def test_search_without_best_estimator_is_a_clear_error():
    X, y = _regression()
    search = GridSearchCV(SGDLinearRegressor(max_iter=3), {"alpha": [1.0]}, cv=2)
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(search)
    _fit(search.set_params(refit=False), X, y)
    with pytest.raises(ValueError, match="refit=False"):
        LossCurveDisplay.from_estimator(search)


@pytest.mark.parametrize(
    ("solver", "label"),
    [("lbfgs", "L-BFGS iteration"), ("newton", "Newton iteration"), ("auto", None)],
)
def test_full_batch_curves_are_per_iteration(solver, label):
    X, y = _regression()
    est = SGDLinearRegressor(solver=solver).fit(X, y)
    display = LossCurveDisplay.from_estimator(est)
    assert len(display.lines_[0].get_ydata()) == est.n_iter_
    # 'auto' is labelled by the solver it used
    expected = (
        label
        or {"lbfgs": "L-BFGS iteration", "newton": "Newton iteration"}[est.solver_]
    )
    assert display.ax_.get_xlabel() == expected


def test_warm_start_continues_the_curve():
    X, y = _regression()
    # 'lbfgs': 'auto' takes Newton, which converges in one iteration
    est = SGDLinearRegressor(
        solver="lbfgs", max_iter=3, tol=0, warm_start=True, random_state=0
    )
    _fit(est, X, y)
    _fit(est, X, y)
    display = LossCurveDisplay.from_estimator(est)
    assert len(display.lines_[0].get_ydata()) == 6


@pytest.mark.parametrize("cls", [SGDLinearRegressor, MLPClassifier])
def test_unfitted_estimator_raises_not_fitted(cls):
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(cls())


def test_estimator_without_loss_curve_raises():
    from sklearn.linear_model import Ridge

    X, y = _regression()
    with pytest.raises(ValueError, match="no loss_curve_"):
        LossCurveDisplay.from_estimator(Ridge().fit(X, y))


def test_empty_curve_raises():
    with pytest.raises(ValueError, match="non-empty"):
        LossCurveDisplay([]).plot()


def test_clear_error_without_matplotlib(monkeypatch):
    X, y = _regression()
    est = _fit(SGDLinearRegressor(max_iter=3), X, y)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    message = "LossCurveDisplay requires matplotlib: pip install matplotlib"
    with pytest.raises(ImportError, match=message):
        LossCurveDisplay.from_estimator(est)
    with pytest.raises(ImportError, match=message):
        LossCurveDisplay([1.0, 0.5]).plot()


@pytest.mark.slow  # a fresh interpreter
def test_importing_sgdlearn_does_not_import_matplotlib():
    import subprocess

    code = (
        "import sys; import sgdlearn; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
