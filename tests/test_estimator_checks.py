"""scikit-learn's estimator checks, for every sgdlearn estimator.

No check is expected to fail: API.md would allow the two sample-weight
equivalence checks to fail for the stochastic solvers, but they pass with
the default settings, so none is listed.
"""

import pytest
from conftest import ALL
from sklearn.utils.estimator_checks import (
    check_param_validation,
    parametrize_with_checks,
)

from sgdlearn import (
    MLPRegressor,
    SGDLinearRegressor,
    SoftmaxClassifier,
)

ESTIMATORS = [
    *(Estimator(random_state=0) for Estimator in ALL),
    SGDLinearRegressor(solver="lbfgs"),
    SoftmaxClassifier(solver="lbfgs"),
    MLPRegressor(solver="lbfgs", random_state=0),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)
