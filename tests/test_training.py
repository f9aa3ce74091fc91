"""The training loop seen from outside: interruption, callbacks, progress bars."""

import warnings

import numpy as np
import pytest
from conftest import ALL, QuietCallback, several_iterations
from numpy.testing import assert_allclose
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.preprocessing import StandardScaler

from sgdlearn import (
    MLPClassifier,
    SGDLogisticClassifier,
    SoftmaxClassifier,
)

X, y = make_classification(n_samples=300, n_features=6, random_state=0)


class InterruptAt(QuietCallback):
    """A callback that raises KeyboardInterrupt at the end of epoch ``epoch``."""

    def __init__(self, epoch):
        self.epoch = epoch
        self.ends = 0

    def on_fit_task_end(self, estimator, context):
        if context.parent is not None:
            self.ends += 1
            if self.ends == self.epoch:
                raise KeyboardInterrupt


class StopAt(InterruptAt):
    """A callback asking the estimator to stop after epoch ``epoch``."""

    def on_fit_task_end(self, estimator, context):
        if context.parent is not None:
            self.ends += 1
            return self.ends >= self.epoch
        return False


@pytest.mark.parametrize("Estimator", ALL)
def test_keyboard_interrupt_stops_with_a_warning_and_a_usable_model(Estimator):
    est = Estimator(max_iter=50, tol=0, random_state=0, **several_iterations(Estimator))
    est.set_callbacks(InterruptAt(3))
    with pytest.warns(UserWarning, match="interrupted"):
        est.fit(X, y)
    assert est.n_iter_ == 3
    assert len(est.loss_curve_) == 3
    prediction = est.predict(X)
    assert prediction.shape == (X.shape[0],)
    assert np.all(np.isfinite(prediction.astype(float)))


@pytest.mark.parametrize("Estimator", ALL)
def test_a_callback_can_stop_training(Estimator):
    est = Estimator(max_iter=50, tol=0, random_state=0, **several_iterations(Estimator))
    est.set_callbacks(StopAt(4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # stopping is not a convergence failure
        est.fit(X, y)
    assert est.n_iter_ == 4


@pytest.mark.parametrize("Callback", [StopAt, InterruptAt])
def test_newton_reports_each_iteration_and_can_be_stopped(Callback):
    """Newton frames its iterations like L-BFGS (one sub-task each)."""
    data, target = load_breast_cancer(return_X_y=True)
    data = StandardScaler().fit_transform(data)
    est = SGDLogisticClassifier(solver="newton", max_iter=100, tol=0)
    est.set_callbacks(Callback(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the interruption's
        est.fit(data, target)
    assert est.n_iter_ == 3
    assert len(est.loss_curve_) == 3
    assert np.all(np.diff(est.loss_curve_) < 0)
    full = SGDLogisticClassifier(solver="newton", max_iter=3, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full.fit(data, target)
    assert_allclose(est.coef_, full.coef_)


def test_lbfgs_reports_each_iteration_and_can_be_stopped():
    est = SoftmaxClassifier(solver="lbfgs", max_iter=100, tol=0)
    est.set_callbacks(StopAt(5))
    est.fit(X, y)
    assert est.n_iter_ == 5
    assert len(est.loss_curve_) == 5
    assert np.all(np.diff(est.loss_curve_) <= 0)


def test_progress_bar_runs_when_rich_is_installed():
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    est = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    est.set_callbacks(ProgressBar())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    assert est.n_iter_ == 5


class EpochCounter(QuietCallback):
    """An auto-propagated callback counting the epochs of sgdlearn estimators."""

    max_propagation_depth = None

    def __init__(self):
        self.epochs = 0

    def on_fit_task_end(self, estimator, context):
        if context.task_name == "epoch":
            self.epochs += 1


def test_callbacks_propagate_through_a_grid_search():
    from sklearn.callback import AutoPropagatedCallback
    from sklearn.model_selection import GridSearchCV

    counter = EpochCounter()
    assert isinstance(counter, AutoPropagatedCallback)
    search = GridSearchCV(
        SGDLogisticClassifier(solver="adam", max_iter=3, tol=0, random_state=0),
        {"alpha": [1e-4, 1e-2]},
        cv=2,
        n_jobs=1,
    )
    search.set_callbacks(counter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    # 2 candidates x 2 folds + the refit, 3 epochs each
    assert counter.epochs == (2 * 2 + 1) * 3


def test_scoring_monitor_scores_each_epoch():
    from sklearn.callback import ScoringMonitor

    monitor = ScoringMonitor(scoring="accuracy")
    est = SGDLogisticClassifier(max_iter=4, tol=0, random_state=0)
    est.set_callbacks(monitor)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    epochs = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    assert len(epochs) == 4
    # each epoch is scored on a model as it was then: the last one is the final model
    assert epochs[-1]["accuracy"] == pytest.approx(est.score(X, y))
    assert len({row["accuracy"] for row in epochs}) > 1
