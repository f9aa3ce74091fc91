"""Who runs on each workload, and with which settings.

A :class:`Contender` is a factory ``make(max_iter) -> unfitted estimator``
plus how it is timed (``mode``):

- ``"epochs"``: a first-order method. Seconds per epoch come from
  ``fit`` with ``max_iter=epochs`` and no early stop (scikit-learn's SGD:
  ``tol=None``; sgdlearn and scikit-learn's MLP: ``tol=0`` and
  ``n_iter_no_change`` unreachable), divided by the epochs run
  (``n_iter_``). The time to the target comes from ``partial_fit``, one
  epoch per call.
- ``"iterations"``: full-batch L-BFGS. No epochs; the time to the target is
  the time of a fresh fit with the smallest ``max_iter`` that reaches it.
- ``"closed-form"``: Ridge's direct solver, timed once per fit.

Every contender of a workload shares its data, dtype and L2 penalty
(converted to each library's scale), and batch size 256 where the method has
batches (scikit-learn's SGD has none: it updates per sample).
"""

import fnmatch
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import (
    LogisticRegression,
    Ridge,
    SGDClassifier,
    SGDRegressor,
)
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor

import sgdlearn

from .loops import NumpyMiniBatchLinear, SparseSGDFloor, TorchMLPRegressor

NEVER = np.inf  # n_iter_no_change for sgdlearn: never stop early


@dataclass
class Contender:
    id: str
    label: str
    library: str
    settings: str
    make: Callable[[int], object]
    mode: str = "epochs"  # "epochs", "iterations" or "closed-form"
    default_max_iter: int = 100  # for the timed fit of non-"epochs" modes


def torch_status():
    """(available, note): whether the PyTorch loop can run, and why not."""
    if importlib.util.find_spec("torch") is None:
        return (
            False,
            "PyTorch loop skipped: torch is not installed (pip install torch==2.13.0).",
        )
    try:
        import torch  # noqa: F401
    except Exception as error:  # a broken install must not stop the suite
        return False, f"PyTorch loop skipped: import torch failed ({error!r})."
    return True, None


def contenders_for(workload):
    """(contenders, notes) for ``workload``; the first sgdlearn one is the reference."""
    if workload.is_mlp:
        return _mlp(workload)
    if workload.is_sparse:
        return _sparse(workload), []
    return _dense_linear(workload), []


# -- sgdlearn -----------------------------------------------------------------


def _sgdlearn_linear(workload, cls, contender_id, **overrides):
    """sgdlearn's linear model with its defaults (``solver="auto"``: Adagrad at
    0.03 in batches of 512 on these sizes) and the workload's alpha; the
    ``overrides`` name what differs from the defaults."""
    if overrides.get("solver") == "lbfgs":

        def make(max_iter):
            return cls(solver="lbfgs", alpha=workload.alpha, max_iter=max_iter)

        return Contender(
            contender_id,
            f"sgdlearn {cls.__name__} (lbfgs)",
            "sgdlearn",
            f"solver='lbfgs' (defaults, tol 1e-4), alpha={workload.alpha:g}",
            make,
            mode="iterations",
        )

    def make(max_iter):
        return cls(
            alpha=workload.alpha,
            max_iter=max_iter,
            tol=0.0,
            n_iter_no_change=NEVER,
            random_state=0,
            **overrides,
        )

    described = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
    label = f"sgdlearn {cls.__name__}"
    label += f" ({described})" if overrides else " (defaults)"
    text = f"{described or 'defaults'}, alpha={workload.alpha:g}"
    return Contender(contender_id, label, "sgdlearn", text, make)


# -- dense linear ---------------------------------------------------------------


def _dense_linear(workload):
    regression = workload.task == "regression"
    multiclass = workload.task == "multiclass"
    if regression:
        main = sgdlearn.SGDLinearRegressor
    elif multiclass:
        main = sgdlearn.SoftmaxClassifier
    else:
        main = sgdlearn.SGDLogisticClassifier
    contenders = [_sgdlearn_linear(workload, main, "sgdlearn")]
    if multiclass:
        ovr = _sgdlearn_linear(workload, sgdlearn.SGDLogisticClassifier, "sgdlearn-ovr")
        ovr.label += " (one-vs-rest)"
        contenders.append(ovr)
    contenders += [
        # the cost of the shuffle: the same steps over contiguous batches
        _sgdlearn_linear(workload, main, "sgdlearn-unshuffled", shuffle=False),
        _sklearn_sgd(workload),
        _sgdlearn_linear(workload, main, "sgdlearn-lbfgs", solver="lbfgs"),
        _ridge(workload) if regression else _logistic_regression(workload),
        _numpy_loop(workload),
        _numpy_loop(workload, batches="strided"),
    ]
    return contenders


def _sklearn_sgd(workload):
    lam = workload.penalty_per_sample
    if workload.task == "regression":

        def make(max_iter):
            return SGDRegressor(alpha=lam, max_iter=max_iter, tol=None, random_state=0)

        label = "scikit-learn SGDRegressor"
        settings = (
            f"defaults (invscaling, eta0 0.01, one sample per step), alpha={lam:g}"
        )
    else:

        def make(max_iter):
            return SGDClassifier(
                loss="log_loss", alpha=lam, max_iter=max_iter, tol=None, random_state=0
            )

        label = "scikit-learn SGDClassifier(log_loss)"
        if workload.task == "multiclass":
            label += " (one-vs-rest)"
        settings = (
            f"defaults ('optimal' schedule, one sample per step, n_jobs=None), "
            f"alpha={lam:g}"
        )
    return Contender("sklearn-sgd", label, "scikit-learn", settings, make)


def _logistic_regression(workload):
    C = 1.0 / workload.alpha

    def make(max_iter):
        return LogisticRegression(C=C, max_iter=max_iter)

    kind = "multinomial" if workload.task == "multiclass" else "binary"
    return Contender(
        "sklearn-lbfgs",
        f"scikit-learn LogisticRegression (lbfgs, {kind})",
        "scikit-learn",
        f"defaults (lbfgs, tol 1e-4), C={C:g}",
        make,
        mode="iterations",
    )


def _ridge(workload):
    def make(max_iter):
        return Ridge(alpha=workload.alpha)

    return Contender(
        "sklearn-ridge",
        "scikit-learn Ridge (direct solver)",
        "scikit-learn",
        f"solver='auto' (Cholesky), alpha={workload.alpha:g}",
        make,
        mode="closed-form",
    )


def _numpy_loop(workload, batches="gather"):
    def make(max_iter):
        return NumpyMiniBatchLinear(
            workload.task,
            alpha=workload.alpha,
            max_iter=max_iter,
            random_state=0,
            batches=batches,
        )

    kind = {"regression": "squared error", "binary": "log-loss"}.get(
        workload.task, "softmax cross-entropy"
    )
    if batches == "strided":
        return Contender(
            "numpy-floor",
            "NumPy loop, strided views, in place (floor)",
            "NumPy",
            f"{kind}, Adam, lr 0.01, batch 256, strided batch views (no gather), "
            "preallocated buffers, no loss value",
            make,
        )
    return Contender(
        "numpy-loop",
        "NumPy mini-batch loop (reference)",
        "NumPy",
        f"{kind}, Adam, lr 0.01, batch 256, X[perm[batch]] gathers",
        make,
    )


# -- sparse ---------------------------------------------------------------------


def _sparse_floor(workload):
    def make(max_iter):
        return SparseSGDFloor(alpha=workload.alpha, max_iter=max_iter)

    return Contender(
        "numpy-sparse-floor",
        "NumPy/scipy plain SGD loop, strided rows (floor)",
        "NumPy",
        "log-loss, plain SGD, lr 0.01, batch 256, strided CSR row slices, "
        "np.add.at into the touched weights, L2 as a scale, no loss value",
        make,
    )


def _sparse(workload):
    cls = sgdlearn.SGDLogisticClassifier
    nesterov = _sgdlearn_linear(workload, cls, "sgdlearn-sgd-nesterov", solver="sgd")
    nesterov.label = f"sgdlearn {cls.__name__} (sgd, momentum 0.9, Nesterov)"
    return [
        _sgdlearn_linear(workload, cls, "sgdlearn-sgd", solver="sgd", momentum=0.0),
        nesterov,
        # what the defaults (solver="auto") use on data this large
        _sgdlearn_linear(workload, cls, "sgdlearn-adagrad", solver="adagrad"),
        _sgdlearn_linear(workload, cls, "sgdlearn-adam", solver="adam"),
        _sklearn_sgd(workload),
        _logistic_regression(workload),
        _sparse_floor(workload),
    ]


# -- MLP ------------------------------------------------------------------------


def _mlp(workload):
    hidden = workload.hidden_layer_sizes
    shared = f"hidden {hidden}, relu, Adam lr 1e-3, batch 256, {workload.dtype}"

    def make_sgdlearn(max_iter):
        return sgdlearn.MLPRegressor(
            hidden_layer_sizes=hidden,
            alpha=workload.alpha,
            batch_size=workload.batch_size,
            max_iter=max_iter,
            tol=0.0,
            n_iter_no_change=NEVER,
            random_state=0,
        )

    def make_sklearn(max_iter):
        return SklearnMLPRegressor(
            hidden_layer_sizes=hidden,
            alpha=workload.penalty_per_sample * workload.batch_size,
            batch_size=workload.batch_size,
            max_iter=max_iter,
            tol=0.0,
            n_iter_no_change=10**9,
            random_state=0,
        )

    def make_torch(max_iter):
        return TorchMLPRegressor(
            hidden,
            penalty_per_sample=workload.penalty_per_sample,
            batch_size=workload.batch_size,
            max_iter=max_iter,
        )

    contenders = [
        Contender(
            "sgdlearn",
            "sgdlearn MLPRegressor",
            "sgdlearn",
            f"{shared}, alpha={workload.alpha:g} (sum scale)",
            make_sgdlearn,
        ),
        Contender(
            "sklearn-mlp",
            "scikit-learn MLPRegressor",
            "scikit-learn",
            f"{shared}, alpha={workload.penalty_per_sample * workload.batch_size:g} "
            "(per-batch scale)",
            make_sklearn,
        ),
    ]
    available, note = torch_status()
    if available:
        contenders.append(
            Contender(
                "torch",
                "PyTorch loop (nn.Sequential, CPU)",
                "PyTorch",
                f"{shared}, weight_decay={workload.penalty_per_sample:g} on weights, "
                "default init, torch.set_num_threads(2)",
                make_torch,
            )
        )
    return contenders, [note] if note else []


def select(contenders, wanted):
    """The contenders whose id matches one of the ``wanted`` patterns (fnmatch)."""
    if not wanted:
        return list(contenders)
    return [c for c in contenders if any(fnmatch.fnmatch(c.id, w) for w in wanted)]
