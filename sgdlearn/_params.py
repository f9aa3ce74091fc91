"""The one table of constructor parameters.

Every parameter of every estimator is declared here once: its default (per
family, where the linear models and the MLPs differ), its scikit-learn
constraint and its docstring entry. An estimator class derives from the
table what it needs for the parameters its ``__init__`` takes:

- ``_parameter_constraints`` (run by scikit-learn's ``_fit_context``),
  with :func:`constraints_for`;
- the "Parameters" section of its docstring, with :func:`parameters_doc`;
- ``get_params``/``set_params``, which scikit-learn reads from the
  signature.

Option sets come from the component registries (optimizers, schedules,
activations, weight initialisations, regression losses), so a new
component is a new option everywhere at once. The constructors keep their
explicit signatures (scikit-learn and IDEs read them); a test checks that
their defaults are the table's, and :func:`store_params` stores the
arguments without naming them again.

Adding a parameter: one :class:`Param` line here, the argument in the
signatures that take it, and its use.
"""

import inspect
from dataclasses import dataclass
from functools import cache
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, Options, StrOptions

from ._activations import ACTIVATIONS
from ._losses import REGRESSION_LOSSES
from ._networks import RANDOM_WEIGHT_INITS
from ._optimizers import OPTIMIZERS
from ._schedules import SCHEDULES

FAMILIES = ("linear", "mlp")

# Solvers that are not first-order optimizers: full-batch L-BFGS (scipy)
# for any smooth objective, full-batch Newton for the linear models
# (``_newton``), and the linear models' choice among them and Adagrad.
LBFGS_SOLVER = "lbfgs"
NEWTON_SOLVER = "newton"
FULL_BATCH_SOLVERS = (LBFGS_SOLVER, NEWTON_SOLVER)
AUTO_SOLVER = "auto"


def _options(names):
    """``{'a', 'b'}`` as a docstring shows an option set, in the given order."""
    return "{" + ", ".join(repr(name) for name in names) + "}"


@dataclass(frozen=True)
class Param:
    """One constructor parameter.

    ``default`` and ``doc`` are either one value for every family or a dict
    keyed by family ('linear', 'mlp'). ``options`` is the tuple of string
    options (or a dict of them per family): it becomes a ``StrOptions``
    constraint, the ``{options}`` slot of the doc, and is prepended to
    ``constraint``. The doc's ``{default}`` slot is the default's repr.
    """

    name: str
    default: object
    constraint: tuple = ()
    doc: object = ""
    options: object = None

    def for_family(self, value, family):
        if isinstance(value, dict) and set(value) <= set(FAMILIES):
            return value[family]
        return value

    def default_for(self, family):
        return self.for_family(self.default, family)

    def options_for(self, family):
        return self.for_family(self.options, family)

    def constraints(self, family):
        options = self.options_for(family)
        head = [StrOptions(set(options))] if options is not None else []
        return head + list(self.constraint)

    def docstring(self, family):
        options = self.options_for(family)
        return self.for_family(self.doc, family).format(
            default=repr(self.default_for(family)),
            options=_options(options) if options is not None else "",
        )


def _solver_options(family):
    """The solvers of a family: the linear models add 'auto' and 'newton'."""
    if family == "linear":
        return (AUTO_SOLVER, *OPTIMIZERS, *FULL_BATCH_SOLVERS)
    return (*OPTIMIZERS, LBFGS_SOLVER)


_SOLVER_DOC = """\
solver : {options}, default={default}
    The optimizer. 'lbfgs' is full-batch L-BFGS (scipy) for a smooth
    objective (the L2 penalty, no dropout); the first-order ones step on
    mini-batches."""

_STOPPING_TOL_DOC = """\
tol : float, default={default}
    Training stops when the loss (or the validation score, with early
    stopping) has not improved by at least tol for ``n_iter_no_change``
    epochs in a row. For the full-batch solvers ('lbfgs', and 'newton' for
    the linear models), the gradient tolerance: they stop once no entry of
    the gradient of J/Σs exceeds tol."""

PARAMS = (
    Param(
        "loss",
        "squared_error",
        options=tuple(REGRESSION_LOSSES),
        doc="""\
loss : {options}, default={default}
    The negative log-likelihood minimised (the user guide's objective page
    lists each with its likelihood, link and use): 'squared_error'
    (Gaussian), 'poisson', 'gamma' and 'tweedie' (half deviances, log link;
    y ≥ 0 or y > 0 as the family needs), 'absolute_error' (Laplace) and
    'quantile' (pinball; both non-smooth, so not with 'lbfgs'), 'huber'
    (robust), 'gaussian_nll' (a Gaussian whose variance is learned too:
    ``predict(X, return_std=True)``).""",
    ),
    Param(
        "quantile",
        0.5,
        (Interval(Real, 0, 1, closed="neither"), "array-like"),
        """\
quantile : float in (0, 1) or list of them, default={default}
    For ``loss='quantile'``: the quantile of y given x that the model
    predicts. A list fits one output per quantile (for y of one column),
    and ``predict`` returns a column per quantile; nothing keeps the
    columns from crossing (the user guide's objective page says what to do
    about it).""",
    ),
    Param(
        "huber_delta",
        1.35,
        (Interval(Real, 0, None, closed="neither"),),
        """\
huber_delta : float, default={default}
    For ``loss='huber'``: the residual beyond which the loss grows linearly
    instead of quadratically, in units of y. It is fixed, not learned
    (scikit-learn's ``HuberRegressor`` estimates a scale jointly): scale y
    first, or choose it in units of y's noise.""",
    ),
    Param(
        "power",
        0.0,
        (Options(Real, {0.0}), Interval(Real, 1, None, closed="left")),
        """\
power : float, default={default}
    For ``loss='tweedie'``: the Tweedie power, 0 or at least 1 (0 is the
    squared error with the log link, 1 Poisson, 2 Gamma, values in (1, 2)
    compound Poisson–Gamma). y ≥ 0 for powers in [1, 2), y > 0 from 2.""",
    ),
    Param(
        "variance",
        "linear",
        options=("linear", "constant"),
        doc="""\
variance : {options}, default={default}
    For ``loss='gaussian_nll'``: 'linear' learns log σ² as a linear
    function of x (σ per sample), 'constant' one σ per target.""",
    ),
    Param(
        "hidden_layer_sizes",
        (100,),
        ("array-like", Interval(Integral, 1, None, closed="left")),
        """\
hidden_layer_sizes : array-like of shape (n_layers - 2,), default={default}
    Units of each hidden layer.""",
    ),
    Param(
        "activation",
        "relu",
        options=tuple(ACTIVATIONS),
        doc="""\
activation : {options}, default={default}
    Activation of the hidden layers: 'gelu' is x·Φ(x) (exact, Φ the normal
    CDF), 'silu' x·σ(x), 'leaky_relu' has slope 0.01 below zero.""",
    ),
    Param(
        "solver",
        {"linear": AUTO_SOLVER, "mlp": "adam"},
        options={family: _solver_options(family) for family in FAMILIES},
        doc={
            "linear": _SOLVER_DOC
            + """ 'newton' is full-batch Newton's method
    (a Cholesky solve of the Hessian per output, with a line search), for
    the losses whose curvature is known ('squared_error', 'poisson',
    'gamma', 'tweedie', the log-loss of ``SGDLogisticClassifier``): a few
    iterations of cost n_samples·n_features² each. 'auto' is 'newton' for a
    ``fit`` on up to 100,000 rows and few features (see the user guide's
    optimizer page) with an objective it suits, else 'lbfgs' for such a fit
    with a smooth objective (no L1 part, dropout, averaging or early
    stopping), both of which reach the optimum themselves, and 'adagrad'
    otherwise and in ``partial_fit``; the solver used is ``solver_``.""",
            "mlp": _SOLVER_DOC,
        },
    ),
    Param(
        "alpha",
        {"linear": 1.0, "mlp": 0.0001},
        (Interval(Real, 0, None, closed="left"),),
        """\
alpha : float, default={default}
    Strength of the penalty: the objective is Σ s_i ℓ_i + alpha·P(W), on the
    sum scale, so alpha means what it means in ``Ridge(alpha)`` or
    ``LogisticRegression(C=1/alpha)``. ``partial_fit`` scales it by the
    chunk it is given: for a stream of chunks of c rows out of n, pass
    ``alpha * c / n`` to train the model ``fit`` would.""",
    ),
    Param(
        "batch_size",
        "auto",
        (StrOptions({"auto", "full"}), Interval(Integral, 1, None, closed="left")),
        """\
batch_size : int, 'auto' or 'full', default={default}
    Rows per mini-batch: 1 is SGD, 'full' is batch gradient descent. 'auto'
    is min(200, n_samples) for the MLPs (scikit-learn's rule) and
    min(512, max(1, n_samples // 64)) for the linear models: at least 64
    steps per epoch, so that a small chunk given to ``partial_fit`` still
    trains. An int larger than the training rows is clipped to them: the
    MLPs warn, as scikit-learn's; the linear models, which have no
    scikit-learn counterpart with a batch size, do so silently.""",
    ),
    Param(
        "learning_rate",
        "constant",
        options=tuple(SCHEDULES),
        doc="""\
learning_rate : {options}, default={default}
    Step-size schedule for every first-order solver: 'invscaling' is
    η₀/(t + 1)^power_t with t the samples seen, updated each epoch (so after
    a first epoch of n rows, η drops by n^power_t); 'adaptive' divides η by
    5 each time the stopping criterion stalls, until η < 1e-6; 'cosine'
    anneals η from η₀ to 0 over the run's steps, η₀·½(1 + cos(π·k/K)) at
    step k of K = max_iter epochs' steps, evaluated per step.""",
    ),
    Param(
        "learning_rate_init",
        {"linear": 0.03, "mlp": 0.001},
        (Interval(Real, 0, None, closed="neither"),),
        """\
learning_rate_init : float, default={default}
    The step size η₀.""",
    ),
    Param(
        "power_t",
        0.5,
        (Interval(Real, 0, None, closed="left"),),
        """\
power_t : float, default={default}
    Exponent of 'invscaling'.""",
    ),
    Param(
        "warmup_fraction",
        0.0,
        (Interval(Real, 0, 1, closed="left"),),
        """\
warmup_fraction : float in [0, 1), default={default}
    A linear warmup of the step size over this share of the run's steps,
    for any ``learning_rate``: step k of the first w multiplies η by
    (k + 1)/w.""",
    ),
    Param(
        "max_iter",
        200,
        (Interval(Integral, 1, None, closed="left"),),
        """\
max_iter : int, default={default}
    Epochs (iterations for the full-batch solvers).""",
    ),
    Param(
        "shuffle",
        True,
        ("boolean",),
        """\
shuffle : bool, default={default}
    Permute the rows anew every epoch, so that each epoch's batches are a
    fresh random partition of the rows (scikit-learn's MLP and PyTorch's
    ``DataLoader(shuffle=True)`` do the same): training does not depend on
    the order of the rows. Each batch is gathered into a buffer of
    ``batch_size`` rows made once per fit, so an epoch never copies X.
    False takes contiguous batches in order.""",
    ),
    Param(
        "random_state",
        None,
        ("random_state",),
        """\
random_state : int, RandomState instance or None, default={default}
    Seeds initialisation, shuffling, dropout and the early-stopping split:
    the same seed on the same data gives bitwise the same model.""",
    ),
    Param("tol", 1e-4, (Interval(Real, 0, None, closed="left"),), _STOPPING_TOL_DOC),
    Param(
        "verbose",
        False,
        ("verbose",),
        """\
verbose : bool or int, default={default}
    Print the loss after each epoch (and the validation score, with
    validation data), and, when the stopping criterion stalls, whether
    training stops or the adaptive rate is divided, in scikit-learn's
    words.""",
    ),
    Param(
        "warm_start",
        False,
        ("boolean",),
        """\
warm_start : bool, default={default}
    Start ``fit`` from the previous solution. As in scikit-learn's MLP, the
    optimizer's state and the schedule restart while ``loss_curve_``, ``t_``
    and the stopping counters go on.""",
    ),
    Param(
        "momentum",
        0.9,
        (Interval(Real, 0, 1, closed="both"),),
        """\
momentum : float in [0, 1], default={default}
    Momentum of 'sgd'; 0 is plain SGD (the cheapest step on sparse data,
    see the performance guide).""",
    ),
    Param(
        "nesterovs_momentum",
        True,
        ("boolean",),
        """\
nesterovs_momentum : bool, default={default}
    Nesterov's momentum for 'sgd' (no effect when ``momentum=0``).""",
    ),
    Param(
        "early_stopping",
        False,
        ("boolean",),
        """\
early_stopping : bool, default={default}
    Hold out ``validation_fraction`` of the training data (stratified for
    classifiers), or use ``X_val``/``y_val`` given to ``fit``; stop when its
    score stalls and restore the parameters of the best epoch. It does not
    apply to ``solver="lbfgs"`` or ``"newton"`` (as in scikit-learn's MLP):
    they hold nothing out and train on all the rows.""",
    ),
    Param(
        "validation_fraction",
        0.1,
        (Interval(Real, 0, 1, closed="left"),),
        """\
validation_fraction : float in [0, 1), default={default}
    Share of the training data held out for early stopping.""",
    ),
    Param(
        "beta_1",
        0.9,
        (Interval(Real, 0, 1, closed="left"),),
        """\
beta_1 : float in [0, 1), default={default}
    Adam's decay rate of the gradient's first moment.""",
    ),
    Param(
        "beta_2",
        0.999,
        (Interval(Real, 0, 1, closed="left"),),
        """\
beta_2 : float in [0, 1), default={default}
    Adam's decay rate of the gradient's second moment.""",
    ),
    Param(
        "epsilon",
        1e-8,
        (Interval(Real, 0, None, closed="neither"),),
        """\
epsilon : float, default={default}
    Guards the division of Adam, Adagrad and RMSprop.""",
    ),
    Param(
        "n_iter_no_change",
        {"linear": 5, "mlp": 10},
        (Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})),
        """\
n_iter_no_change : int, default={default}
    Epochs without improvement by tol before stopping.""",
    ),
    Param(
        "max_fun",
        15000,
        (Interval(Integral, 1, None, closed="left"),),
        """\
max_fun : int, default={default}
    For 'lbfgs': the maximum number of loss evaluations.""",
    ),
    Param(
        "penalty",
        "l2",
        (StrOptions({"l2", "l1", "elasticnet"}), None),
        """\
penalty : {{'l2', 'l1', 'elasticnet'}} or None, default={default}
    P(W) = (1 − l1_ratio)·½‖W‖² + l1_ratio·‖W‖₁ on the weights (never the
    intercepts): 'l2' is l1_ratio=0, 'l1' is l1_ratio=1. The L1 part is a
    proximal soft-threshold step after each update, so it gives exact zeros.""",
    ),
    Param(
        "l1_ratio",
        0.15,
        (Interval(Real, 0, 1, closed="both"),),
        """\
l1_ratio : float in [0, 1], default={default}
    The L1 share for ``penalty='elasticnet'``.""",
    ),
    Param(
        "dropout",
        0.0,
        (Interval(Real, 0, 1, closed="left"),),
        {
            "linear": """\
dropout : float in [0, 1), default={default}
    Inverted dropout on the input features during training; prediction is
    deterministic.""",
            "mlp": """\
dropout : float in [0, 1), default={default}
    Inverted dropout on every hidden layer's output during training;
    prediction is deterministic.""",
        },
    ),
    Param(
        "max_grad_norm",
        None,
        (Interval(Real, 0, None, closed="neither"), None),
        """\
max_grad_norm : float or None, default={default}
    Clip each step's gradient to this Euclidean norm before the optimizer
    sees it (first-order solvers; the full-batch ones ignore it). It changes the path
    of training, not the objective's minimum (the optimizers guide says how
    mini-batches interact with it).""",
    ),
    Param(
        "rho",
        0.9,
        (Interval(Real, 0, 1, closed="left"),),
        """\
rho : float in [0, 1), default={default}
    RMSprop's decay of the running mean of squared gradients.""",
    ),
    Param(
        "average",
        False,
        ("boolean", Interval(Integral, 1, None, closed="left")),
        """\
average : bool or int, default={default}
    Polyak–Ruppert averaging, as in scikit-learn's SGD: True averages the
    parameters over every step, an int n over the steps taken once n
    training samples have been seen. The fitted parameters (and the
    validation scores) are the average, which lets a constant step reach
    the optimum instead of hovering around it; ``partial_fit`` and
    ``warm_start`` continue it. For the first-order solvers ('lbfgs' and
    'newton' raise a ValueError). On sparse data it moves every weight at every step, so
    the lazy sparse steps of 'sgd' and 'adagrad' are not used.""",
    ),
    Param(
        "weight_init",
        "glorot",
        options=RANDOM_WEIGHT_INITS,
        doc="""\
weight_init : {options}, default={default}
    'glorot' is scikit-learn's scheme exactly: weights and intercepts
    uniform in ±√(6/(fan_in + fan_out)) (±√(2/…) for 'logistic');
    'he' draws weights from N(0, 2/fan_in) with zero intercepts, better
    for deep relu networks.""",
    ),
    Param(
        "fit_intercept",
        True,
        ("boolean",),
        """\
fit_intercept : bool, default={default}
    Fit the intercepts (never penalised); False keeps them at 0.""",
    ),
    Param(
        "class_weight",
        None,
        (StrOptions({"balanced"}), dict, None),
        """\
class_weight : dict, 'balanced' or None, default={default}
    Weights per class multiplying ``sample_weight``: 'balanced' is
    n_samples / (n_classes · count of the class), with counts and n_samples
    summing ``sample_weight`` when it is given (as ``LogisticRegression``
    does; ``SGDClassifier`` counts rows), so every class weighs the same.
    Not 'balanced' in ``partial_fit``, nor for multilabel targets.""",
    ),
)

PARAMS_BY_NAME = {param.name: param for param in PARAMS}


@cache
def parameter_names(cls):
    """The names of ``cls.__init__``'s parameters, in signature order."""
    signature = inspect.signature(cls.__init__)
    return tuple(name for name in signature.parameters if name != "self")


def store_params(estimator, arguments):
    """Store each constructor argument as the attribute of its name.

    ``arguments`` is the constructor's ``locals()``; scikit-learn's
    convention is that ``__init__`` does nothing else.
    """
    for name in parameter_names(type(estimator)):
        setattr(estimator, name, arguments[name])


def constraints_for(cls):
    """``_parameter_constraints`` of the parameters ``cls.__init__`` takes."""
    return {
        name: PARAMS_BY_NAME[name].constraints(cls._family)
        for name in parameter_names(cls)
    }


def parameters_doc(cls):
    """The docstring's Parameters entries of ``cls``, in signature order."""
    return "\n".join(
        PARAMS_BY_NAME[name].docstring(cls._family) for name in parameter_names(cls)
    )


# The types of parameter values that are immutable and compared by value:
# a setting made of them can be remembered once its check has passed.
_PLAIN_TYPES = (type(None), bool, int, float, str)

# How many settings a class remembers (a grid search has a few dozen).
_MAX_REMEMBERED = 1024


def _plain(value):
    if type(value) is tuple:
        return all(map(_plain, value))
    return type(value) in _PLAIN_TYPES


class ValidatedSettings:
    """The parameter settings of a class that passed scikit-learn's checks.

    scikit-learn checks every parameter against its constraints at every
    fit, rebuilding the constraint objects each time, a cost a small fit in
    a grid search notices.
    The outcome depends on the values alone, so a setting that passed once
    passes again: :meth:`known` says so for settings of plain immutable
    values (None, bool, int, float, str, and tuples of them), keyed with
    each value's type (``True`` and ``1`` are different settings). Settings
    holding anything else (a dict, a callable, a RandomState) are checked
    every time.
    """

    def __init__(self):
        self._passed = set()

    @staticmethod
    def key(params):
        """A hashable key of the setting, or None when it holds a value
        that is not plain."""
        if not all(map(_plain, params.values())):
            return None
        return tuple(sorted((name, type(v), v) for name, v in params.items()))

    def known(self, key):
        return key is not None and key in self._passed

    def add(self, key):
        if key is not None and len(self._passed) < _MAX_REMEMBERED:
            self._passed.add(key)
