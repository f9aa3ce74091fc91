"""The one parameter table: constructors, constraints and docs agree with it."""

import inspect

import pytest
from conftest import ALL
from sklearn.utils._param_validation import StrOptions

from sgdlearn import MLPClassifier
from sgdlearn._activations import ACTIVATIONS
from sgdlearn._losses import REGRESSION_LOSSES
from sgdlearn._optimizers import OPTIMIZERS
from sgdlearn._params import PARAMS, PARAMS_BY_NAME, parameter_names
from sgdlearn._schedules import SCHEDULES


def _str_options(Estimator, name):
    (options,) = [
        c for c in Estimator._parameter_constraints[name] if isinstance(c, StrOptions)
    ]
    return options.options


@pytest.mark.parametrize("Estimator", ALL)
def test_signature_defaults_are_the_tables(Estimator):
    signature = inspect.signature(Estimator.__init__).parameters
    for name in parameter_names(Estimator):
        expected = PARAMS_BY_NAME[name].default_for(Estimator._family)
        assert signature[name].default == expected, name


@pytest.mark.parametrize("Estimator", ALL)
def test_every_parameter_is_constrained_and_documented(Estimator):
    names = parameter_names(Estimator)
    assert set(Estimator._parameter_constraints) == set(names)
    doc = Estimator.__doc__
    positions = [doc.index(f"\n    {name} : ") for name in names]
    assert positions == sorted(positions)  # in signature order
    assert "{" + "parameters}" not in doc and "{" + "fitted}" not in doc


@pytest.mark.parametrize("Estimator", ALL)
def test_option_sets_come_from_the_registries(Estimator):
    solvers = _str_options(Estimator, "solver")
    linear = Estimator._family == "linear"
    assert solvers - {"auto", "lbfgs", "newton"} == set(OPTIMIZERS)
    assert ("newton" in solvers) == linear == ("auto" in solvers)
    assert _str_options(Estimator, "learning_rate") == set(SCHEDULES)
    assert "cosine" in SCHEDULES
    if "activation" in parameter_names(Estimator):
        assert _str_options(Estimator, "activation") == set(ACTIVATIONS)
        assert {"gelu", "silu", "leaky_relu"} <= set(ACTIVATIONS)
    if "loss" in parameter_names(Estimator):
        assert _str_options(Estimator, "loss") == set(REGRESSION_LOSSES)
    for option in _str_options(Estimator, "learning_rate"):
        assert repr(option) in Estimator.__doc__


def test_every_table_entry_is_used():
    used = {name for Estimator in ALL for name in parameter_names(Estimator)}
    assert used == {param.name for param in PARAMS}


def test_get_params_follows_the_signature():
    est = MLPClassifier(warmup_fraction=0.25, max_grad_norm=1.0)
    params = est.get_params()
    assert params["warmup_fraction"] == 0.25 and params["max_grad_norm"] == 1.0
    assert list(params) == sorted(parameter_names(MLPClassifier))
