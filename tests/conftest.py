"""Shared test configuration: the estimator lists, a do-nothing callback and
the hypothesis profiles.

Test modules import the lists and the callback from here (pytest puts
``tests/`` on ``sys.path``)::

    from conftest import ALL, CLASSIFIERS, MLPS, QuietCallback

The property-based tests (tests/test_fuzz.py) run a bounded number of
examples by default so the suite stays fast. Select a longer search with::

    HYPOTHESIS_PROFILE=long python -m pytest tests/test_fuzz.py

Profiles:

- ``default``: 30 examples per test, no deadline (a first fit pays for
  imports and BLAS warm-up, so timings are not stable enough for one). A
  smoke test: it finds only bugs that many inputs trigger.
- ``ci``: 2000 examples per test, derandomized (the same examples on every
  run, so a failure reproduces); the default when the ``CI`` environment
  variable is set. The bugs the fuzz tests find need several rare draws at
  once: the early-stopping overflow of issue 12 (a Poisson regressor with
  early stopping on large values) turned up about once in 700 examples of
  the validation-path test and once in 1,100-1,900 of the fit test, so 30
  examples never met it. With 2000, the ``ci`` run finds it (in two tests)
  on the code before the fix. A failing run takes longer, while hypothesis
  shrinks the example.
- ``long``: 1000 examples per test, drawn afresh on every run (not
  derandomized), for a search beyond the examples CI repeats: before a
  release, or after touching input validation or the training loop. Run it
  more than once.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

from sgdlearn import (
    MLPClassifier,
    MLPRegressor,
    SGDLinearRegressor,
    SGDLogisticClassifier,
    SoftmaxClassifier,
)

# -- the estimators ------------------------------------------------------------

ALL = (
    SGDLinearRegressor,
    SGDLogisticClassifier,
    SoftmaxClassifier,
    MLPRegressor,
    MLPClassifier,
)
CLASSIFIERS = (SGDLogisticClassifier, SoftmaxClassifier, MLPClassifier)
REGRESSORS = (SGDLinearRegressor, MLPRegressor)
MLPS = (MLPRegressor, MLPClassifier)


def several_iterations(Estimator):
    """Parameters that keep a fit with ``tol=0`` iterating on small data.

    'auto' takes Newton there, which solves the squared error in one
    iteration and then stops (no step can decrease J any more); tests of
    what happens between iterations pin 'lbfgs', what 'auto' took before.
    """
    return {"solver": "lbfgs"} if Estimator is SGDLinearRegressor else {}


class QuietCallback:
    """Follows scikit-learn's FitCallback protocol with hooks that do nothing.

    Tests subclass it and override the hook they watch, usually
    ``on_fit_task_end`` (whose context has a parent for an epoch sub-task).
    """

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, **kwargs):
        pass


# -- hypothesis profiles -------------------------------------------------------

_COMMON = {
    "deadline": None,
    # Estimators are built inside the tests from drawn parameters; the data
    # strategies are composite and sometimes filter (a few rows per class).
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}

settings.register_profile("default", max_examples=30, **_COMMON)
settings.register_profile("ci", max_examples=2000, derandomize=True, **_COMMON)
settings.register_profile("long", max_examples=1000, **_COMMON)
# CI (which sets CI=true) runs the reproducible profile unless told otherwise.
_DEFAULT = "ci" if os.environ.get("CI") else "default"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", _DEFAULT))


@pytest.fixture
def lazy_step_counter(monkeypatch):
    """{"batches": n}: how many batches took the lazy sparse steps."""
    from sgdlearn import _lazy

    counter = {"batches": 0}
    original = _lazy.LazySparseSteps.step

    def counting(self, *args, **kwargs):
        counter["batches"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(_lazy.LazySparseSteps, "step", counting)
    return counter
