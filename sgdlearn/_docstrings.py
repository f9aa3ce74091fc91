"""Parameter and attribute descriptions shared by the estimators' docstrings.

Each estimator's docstring names the pieces it shares as ``{solver}``,
``{fitted}``… and :func:`fill_doc` fills them in, so one description serves
all five estimators.
"""

import textwrap

SHARED = {
    "solver": """\
solver : {{'sgd', 'adagrad', 'rmsprop', 'adam', 'lbfgs'}}, default={solver!r}
    The optimizer. 'lbfgs' is full-batch L-BFGS (scipy) for the L2 penalty
    only, without dropout; the others step on mini-batches.""",
    "solver_auto": """\
solver : {{'auto', 'sgd', 'adagrad', 'rmsprop', 'adam', 'lbfgs'}}, \
default={solver!r}
    The optimizer. 'lbfgs' is full-batch L-BFGS (scipy) for the L2 penalty
    only, without dropout; the others step on mini-batches. 'auto' is
    'lbfgs' for a ``fit`` on up to 100,000 rows with a smooth objective (no
    L1 part, dropout, averaging or early stopping), which reaches the
    optimum itself, and 'adagrad' otherwise and in ``partial_fit``; the
    solver used is ``solver_``.""",
    "penalty": """\
alpha : float, default={alpha}
    Strength of the penalty: the objective is Σ s_i ℓ_i + alpha·P(W), on the
    sum scale, so alpha means what it means in ``Ridge(alpha)`` or
    ``LogisticRegression(C=1/alpha)``. ``partial_fit`` scales it by the
    chunk it is given: for a stream of chunks of c rows out of n, pass
    ``alpha * c / n`` to train the model ``fit`` would.
penalty : {{'l2', 'l1', 'elasticnet'}} or None, default='l2'
    P(W) = (1 − l1_ratio)·½‖W‖² + l1_ratio·‖W‖₁ on the weights (never the
    intercepts): 'l2' is l1_ratio=0, 'l1' is l1_ratio=1. The L1 part is a
    proximal soft-threshold step after each update, so it gives exact zeros.
l1_ratio : float in [0, 1], default=0.15
    The L1 share for ``penalty='elasticnet'``.""",
    "dropout_linear": """\
dropout : float in [0, 1), default=0.0
    Inverted dropout on the input features during training; prediction is
    deterministic.""",
    "dropout_mlp": """\
dropout : float in [0, 1), default=0.0
    Inverted dropout on every hidden layer's output during training;
    prediction is deterministic.""",
    "steps": """\
batch_size : int, 'auto' or 'full', default={batch_size!r}
    Rows per mini-batch: 1 is SGD, 'full' is batch gradient descent. 'auto'
    is min(200, n_samples) for the MLPs (scikit-learn's rule) and
    min(512, max(1, n_samples // 64)) for the linear models: at least 64
    steps per epoch, so that a small chunk given to ``partial_fit`` still
    trains, and batches of 512 on large data. An int larger than the
    training rows is clipped to them: the MLPs warn, as scikit-learn's; the
    linear models, which have no scikit-learn counterpart with a batch
    size, do so silently.
learning_rate : {{'constant', 'invscaling', 'adaptive'}}, default='constant'
    Step-size schedule for every first-order solver: 'invscaling' is
    η₀/(t + 1)^power_t with t the samples seen, updated each epoch (so after
    a first epoch of n rows, η drops by n^power_t: 707 times for n = 500,000
    and the default 0.5); 'adaptive' divides η by 5 each time the stopping
    criterion stalls, until η < 1e-6.
learning_rate_init : float, default={learning_rate_init}
    The step size η₀.
power_t : float, default=0.5
    Exponent of 'invscaling'.
max_iter : int, default={max_iter}
    Epochs (iterations for 'lbfgs').
shuffle : bool, default=True
    Permute the rows anew every epoch, so that each epoch's batches are a
    fresh random partition of the rows (scikit-learn's MLP and PyTorch's
    ``DataLoader(shuffle=True)`` do the same): training does not depend on
    the order of the rows. Each batch is gathered into a buffer of
    ``batch_size`` rows made once per fit, so an epoch never copies X.
    False takes contiguous batches in order.
random_state : int, RandomState instance or None, default=None
    Seeds initialisation, shuffling, dropout and the early-stopping split:
    the same seed on the same data gives bitwise the same model.
tol : float, default={tol}
    Training stops when the loss (or the validation score, with early
    stopping) has not improved by at least tol for ``n_iter_no_change``
    epochs in a row. For 'lbfgs', the gradient tolerance.
verbose : bool or int, default=False
    Print the loss after each epoch.
warm_start : bool, default=False
    Start ``fit`` from the previous solution. As in scikit-learn's MLP, the
    optimizer's state and the schedule restart while ``loss_curve_``, ``t_``
    and the stopping counters go on.
momentum : float in [0, 1], default={momentum}
    Momentum of 'sgd'; 0 is plain SGD (the cheapest step on sparse data,
    see the performance guide).
nesterovs_momentum : bool, default={nesterovs_momentum}
    Nesterov's momentum for 'sgd' (no effect when ``momentum=0``).
early_stopping : bool, default=False
    Hold out ``validation_fraction`` of the training data (stratified for
    classifiers), or use ``X_val``/``y_val`` given to ``fit``; stop when its
    score stalls and restore the parameters of the best epoch.
validation_fraction : float in [0, 1), default=0.1
    Share of the training data held out for early stopping.
beta_1, beta_2 : float in [0, 1), default=0.9, 0.999
    Adam's decay rates of the gradient's first and second moments.
epsilon : float, default=1e-8
    Guards the division of Adam, Adagrad and RMSprop.
n_iter_no_change : int, default={n_iter_no_change}
    Epochs without improvement by tol before stopping.""",
    "rho": """\
rho : float in [0, 1), default=0.9
    RMSprop's decay of the running mean of squared gradients.
average : bool or int, default=False
    Polyak–Ruppert averaging, as in scikit-learn's SGD: True averages the
    parameters over every step, an int n over the steps taken once n
    training samples have been seen. The fitted parameters (and the
    validation scores) are the average, which lets a constant step reach
    the optimum instead of hovering around it; ``partial_fit`` and
    ``warm_start`` continue it. For the first-order solvers ('lbfgs' raises
    a ValueError). On sparse data it moves every weight at every step, so
    the lazy sparse steps of 'sgd' and 'adagrad' are not used.""",
    "fitted": """\
solver_ : str
    The solver the last call used (what 'auto' chose).
n_iter_ : int
    Epochs run by the last call (iterations for 'lbfgs'; 1 after
    ``partial_fit``), as in scikit-learn.
t_ : int
    Training samples seen.
loss_ : numpy.float64
    The objective per sample J/Σs at the end of training. Losses and scores
    are NumPy floats, as in scikit-learn's MLP.
loss_curve_ : list of numpy.float64
    J/Σs per epoch, accumulated over the epoch's batches.
best_loss_ : numpy.float64 or None
    The lowest ``loss_curve_`` value; None when stopping on validation data.
validation_scores_ : list of numpy.float64 or None
    Score on the validation data after each epoch (R² or accuracy); None
    without validation data.
best_validation_score_ : numpy.float64 or None
    The best of ``validation_scores_``.
validation_loss_curve_ : list of numpy.float64 or None
    The objective per sample on the validation data after each epoch (its
    mean weighted loss plus the training penalty per sample).
n_features_in_ : int
    Number of features seen during fit.
feature_names_in_ : ndarray of shape (``n_features_in_``,)
    Names of the features, when X was a DataFrame with string column names.
n_outputs_ : int
    Number of model outputs.
out_activation_ : str
    The output's inverse link: 'identity', 'exp', 'logistic' or 'softmax'.""",
}


def fill_doc(cls):
    """Fill the ``{name}`` pieces of ``cls.__doc__`` from SHARED.

    A piece's own ``{default}`` slots are filled from the class's
    ``__init__`` defaults.
    """
    import inspect

    defaults = {
        name: p.default
        for name, p in inspect.signature(cls.__init__).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    pieces = {}
    for name, text in SHARED.items():
        filled = text.format(**defaults) if "{" in text else text
        pieces[name] = textwrap.indent(filled, "    ").lstrip()
    cls.__doc__ = cls.__doc__.format(**pieces)
    return cls
