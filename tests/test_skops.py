"""Saving with skops.io, the secure alternative to pickle.

A fitted model keeps its training state (θ, the optimizer's moments, the
schedule, the average, the generator) as built-in containers of NumPy data,
so ``skops.io`` loads it after trusting the estimator's own class alone.
"""

import warnings

import numpy as np
import pytest
from conftest import ALL
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from sgdlearn import (
    MLPClassifier,
    MLPRegressor,
)

sio = pytest.importorskip("skops.io")

SETTINGS = {
    "adam": dict(solver="adam"),
    "sgd-momentum-invscaling": dict(solver="sgd", learning_rate="invscaling"),
    "adagrad-averaged": dict(solver="adagrad", average=True),
    "rmsprop-adaptive": dict(solver="rmsprop", learning_rate="adaptive"),
    "lbfgs": dict(solver="lbfgs"),
}


def _data(Estimator, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 4))
    if hasattr(Estimator, "predict_proba"):
        return X, np.arange(60) % 3
    return X, X @ [1.0, -2.0, 0.5, 0.0]


def _fitted(Estimator, settings):
    X, y = _data(Estimator)
    params = dict(settings, max_iter=5, random_state=0)
    if Estimator in (MLPRegressor, MLPClassifier):
        params["hidden_layer_sizes"] = (5,)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Estimator(**params).fit(X, y)


@pytest.mark.parametrize("setting", list(SETTINGS))
@pytest.mark.parametrize("Estimator", ALL)
def test_skops_trusts_only_the_estimators_class(Estimator, setting):
    est = _fitted(Estimator, SETTINGS[setting])
    dump = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=dump)
    assert untrusted == [f"{Estimator.__module__}.{Estimator.__name__}"]
    loaded = sio.loads(dump, trusted=untrusted)
    X, _ = _data(Estimator, seed=1)
    assert_array_equal(loaded.predict(X), est.predict(X))
    if hasattr(est, "predict_proba"):
        assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s != "lbfgs"])
@pytest.mark.parametrize("Estimator", ALL)
def test_a_loaded_model_goes_on_training_as_the_original(Estimator, setting):
    """partial_fit after a skops round trip continues the optimizer's state:
    bitwise the model that never left memory."""
    est = _fitted(Estimator, SETTINGS[setting])
    dump = sio.dumps(est)
    loaded = sio.loads(dump, trusted=sio.get_untrusted_types(data=dump))
    X, y = _data(Estimator, seed=2)
    for model in (est, loaded):
        model.partial_fit(X, y)
    X_new, _ = _data(Estimator, seed=3)
    assert_array_equal(loaded.predict(X_new), est.predict(X_new))
    assert loaded.t_ == est.t_
    assert loaded.loss_curve_ == est.loss_curve_
