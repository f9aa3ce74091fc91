"""The benchmark data sets: generated with fixed seeds, standardised, split train/test.

Every workload is a :class:`Workload`: train and test arrays, the task, and
the strength of the L2 penalty that every contender uses, given per sample
(``penalty_per_sample``, scikit-learn's ``SGDRegressor(alpha=...)`` scale)
so that each library's own ``alpha`` / ``C`` can be derived from it.
"""

import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score
from sklearn.preprocessing import StandardScaler

# Per-sample L2 strength of the linear workloads (scikit-learn SGD's alpha).
LINEAR_PENALTY = 1e-5
# scikit-learn's MLP default alpha=1e-4 is divided by the batch size (256).
MLP_PENALTY = 1e-4 / 256


@dataclass
class Workload:
    """One benchmark problem: data, task and the shared hyperparameters."""

    name: str
    task: str  # "regression", "binary" or "multiclass"
    description: str
    X_train: object
    y_train: np.ndarray
    X_test: object = None
    y_test: np.ndarray = None
    penalty_per_sample: float = LINEAR_PENALTY
    hidden_layer_sizes: tuple = ()
    batch_size: int = 256
    meta: dict = field(default_factory=dict)

    @property
    def n_train(self):
        return self.X_train.shape[0]

    @property
    def n_features(self):
        return self.X_train.shape[1]

    @property
    def dtype(self):
        return self.X_train.dtype

    @property
    def is_sparse(self):
        return sp.issparse(self.X_train)

    @property
    def is_mlp(self):
        return bool(self.hidden_layer_sizes)

    @property
    def classes(self):
        return None if self.task == "regression" else np.unique(self.y_train)

    @property
    def alpha(self):
        """The L2 strength on sgdlearn's sum scale (Ridge's alpha, 1/C)."""
        return self.penalty_per_sample * self.n_train

    @property
    def x_bytes(self):
        """Bytes of X_train (data, indices and indptr for CSR)."""
        X = self.X_train
        if sp.issparse(X):
            return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
        return X.nbytes

    @property
    def n_params(self):
        """Number of trained parameters (weights and intercepts)."""
        n_out = 1 if self.task != "multiclass" else len(self.classes)
        sizes = [self.n_features, *self.hidden_layer_sizes, n_out]
        return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))

    def shape_text(self):
        kind = f"CSR, {self.X_train.nnz:,} non-zeros" if self.is_sparse else "dense"
        return (
            f"{self.n_train:,} × {self.n_features:,} {self.dtype} ({kind}, "
            f"{self.x_bytes / 1e6:.0f} MB), test {self.X_test.shape[0]:,} rows"
        )


# -- evaluation ---------------------------------------------------------------


def predicted(model, workload, X):
    """The model's predictions used by the loss: values or class probabilities."""
    if workload.task == "regression":
        return np.asarray(model.predict(X), dtype=np.float64).ravel()
    return np.asarray(model.predict_proba(X), dtype=np.float64)


def test_loss(model, workload):
    """Mean squared error (regression) or log-loss / cross-entropy on the test set."""
    out = predicted(model, workload, workload.X_test)
    if workload.task == "regression":
        return float(mean_squared_error(workload.y_test, out))
    return float(log_loss(workload.y_test, out, labels=workload.classes))


def test_score(model, workload):
    """R² (regression) or accuracy on the test set."""
    out = predicted(model, workload, workload.X_test)
    if workload.task == "regression":
        return float(r2_score(workload.y_test, out))
    labels = workload.classes[np.argmax(out, axis=1)]
    return float(accuracy_score(workload.y_test, labels))


def optimum(workload):
    """The convex optimum's test loss, from an exact or tightly converged solver.

    Returns a dict (loss, score, seconds, solver) or None for the MLPs, whose
    problem has no computable optimum.
    """
    if workload.is_mlp:
        return None
    if workload.task == "regression":
        model = Ridge(alpha=workload.alpha, solver="auto")
        solver = f"Ridge(alpha={workload.alpha:g})"
    else:
        model = LogisticRegression(C=1.0 / workload.alpha, tol=1e-6, max_iter=1000)
        solver = f"LogisticRegression(C={1.0 / workload.alpha:g}, lbfgs, tol=1e-6)"
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(workload.X_train, workload.y_train)
    seconds = time.perf_counter() - start
    return {
        "solver": solver,
        "loss": test_loss(model, workload),
        "score": test_score(model, workload),
        "seconds": seconds,
    }


# -- generators ---------------------------------------------------------------


def _n_test(n_train):
    return max(n_train // 10, 50)


def _standardise(X, n_train, dtype=np.float64):
    scaler = StandardScaler().fit(X[:n_train])
    X = scaler.transform(X).astype(dtype, copy=False)
    return np.ascontiguousarray(X[:n_train]), np.ascontiguousarray(X[n_train:])


def _split_y(y, n_train, dtype=None):
    y = y if dtype is None else y.astype(dtype)
    return np.ascontiguousarray(y[:n_train]), np.ascontiguousarray(y[n_train:])


def _standardised_target(y, n_train):
    return (y - y[:n_train].mean()) / y[:n_train].std()


def dense_regression(n_train, seed=0):
    n = n_train + _n_test(n_train)
    X, y = make_regression(n, 100, n_informative=60, noise=150.0, random_state=seed)
    X_train, X_test = _standardise(X, n_train)
    y_train, y_test = _split_y(_standardised_target(y, n_train), n_train)
    return Workload(
        "dense-regression",
        "regression",
        "make_regression: 100 features, 60 informative, noise 150; "
        "X and y standardised",
        X_train,
        y_train,
        X_test,
        y_test,
    )


def _classification(name, description, n_train, seed, **params):
    n = n_train + _n_test(n_train)
    X, y = make_classification(n, 100, random_state=seed, **params)
    X_train, X_test = _standardise(X, n_train)
    y_train, y_test = _split_y(y, n_train)
    task = "multiclass" if params.get("n_classes", 2) > 2 else "binary"
    return Workload(name, task, description, X_train, y_train, X_test, y_test)


def dense_binary(n_train, seed=1):
    return _classification(
        "dense-binary",
        "make_classification: 100 features, 20 informative, 20 redundant, "
        "class_sep 0.8, flip_y 0.02; X standardised",
        n_train,
        seed,
        n_informative=20,
        n_redundant=20,
        class_sep=0.8,
        flip_y=0.02,
    )


def dense_multiclass(n_train, seed=2):
    return _classification(
        "dense-10class",
        "make_classification: 10 classes, 100 features, 30 informative, "
        "20 redundant, one cluster per class; X standardised",
        n_train,
        seed,
        n_classes=10,
        n_informative=30,
        n_redundant=20,
        n_clusters_per_class=1,
    )


def mlp_regression(n_train, dtype, seed=3):
    """A teacher network (50 → 32 tanh → 1) plus a linear part and noise."""
    rng = np.random.default_rng(seed)
    n = n_train + _n_test(n_train)
    X = rng.standard_normal((n, 50))
    hidden = np.tanh(X @ rng.standard_normal((50, 32)) / np.sqrt(50) * 2.0)
    y = hidden @ rng.standard_normal(32) + 0.3 * X[:, :5].sum(axis=1)
    y += 0.3 * y.std() * rng.standard_normal(n)
    X_train, X_test = _standardise(X, n_train, dtype)
    y_train, y_test = _split_y(_standardised_target(y, n_train), n_train, dtype)
    name = f"mlp-{np.dtype(dtype).name}"
    return Workload(
        name,
        "regression",
        "teacher network 50 → 32 tanh → 1 plus a linear part and 30% noise; "
        "X and y standardised; trained net 50 → 256 → 128 → 1 relu, Adam",
        X_train,
        y_train,
        X_test,
        y_test,
        penalty_per_sample=MLP_PENALTY,
        hidden_layer_sizes=(256, 128),
    )


def sparse_binary(n_train, seed=4, n_features=2**18, nnz_per_row=50):
    """CSR rows of 50 non-zeros; columns drawn with Zipf-like frequencies.

    The labels come from a sparse true weight vector (2,000 non-zeros among
    the 20,000 most frequent columns) through a logistic link; the rows are
    scaled to unit L2 norm (sparse data cannot be centred without densifying).
    """
    rng = np.random.default_rng(seed)
    n = n_train + _n_test(n_train)
    frequency = 1.0 / (np.arange(n_features) + 10.0)
    column_of_rank = rng.permutation(n_features)
    ranks = np.searchsorted(
        np.cumsum(frequency / frequency.sum()), rng.random((n, nnz_per_row))
    )
    columns = np.sort(column_of_rank[np.minimum(ranks, n_features - 1)], axis=1)
    values = rng.standard_normal((n, nnz_per_row))
    values /= np.linalg.norm(values, axis=1, keepdims=True)
    indptr = np.arange(0, n * nnz_per_row + 1, nnz_per_row)
    X = sp.csr_matrix(
        (values.ravel(), columns.ravel().astype(np.int32), indptr),
        shape=(n, n_features),
    )
    X.sum_duplicates()
    true_coef = np.zeros(n_features)
    informative = column_of_rank[rng.choice(20_000, 2_000, replace=False)]
    true_coef[informative] = rng.standard_normal(informative.size)
    logit = X @ true_coef
    logit *= 3.0 / logit.std()
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    return Workload(
        "sparse-binary",
        "binary",
        f"CSR, {nnz_per_row} non-zeros per row, Zipf-like column frequencies, "
        "rows of unit norm; labels from a sparse true weight vector (logistic)",
        X[:n_train],
        y[:n_train],
        X[n_train:],
        y[n_train:],
    )


# name -> (full-size number of training rows, builder(n_train))
WORKLOADS = {
    "dense-regression": (500_000, dense_regression),
    "dense-binary": (500_000, dense_binary),
    "dense-10class": (200_000, dense_multiclass),
    "mlp-float32": (100_000, lambda n: mlp_regression(n, np.float32)),
    "mlp-float64": (100_000, lambda n: mlp_regression(n, np.float64)),
    "sparse-binary": (200_000, sparse_binary),
}


def make_workload(name, scale=1.0):
    """Generate workload ``name`` with ``scale`` times its row count (at least 100)."""
    n_rows, builder = WORKLOADS[name]
    workload = builder(max(int(round(n_rows * scale)), 100))
    workload.meta["scale"] = scale
    return workload


# -- hand-over to the fresh processes of the memory measurement ---------------


def save_training_data(workload, folder):
    """Write X_train, y_train and the metadata to ``folder`` (for the memory runs)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if workload.is_sparse:
        sp.save_npz(folder / "X.npz", workload.X_train, compressed=False)
    else:
        np.save(folder / "X.npy", workload.X_train)
    np.save(folder / "y.npy", workload.y_train)
    meta = {
        "name": workload.name,
        "task": workload.task,
        "description": workload.description,
        "penalty_per_sample": workload.penalty_per_sample,
        "hidden_layer_sizes": list(workload.hidden_layer_sizes),
        "batch_size": workload.batch_size,
    }
    (folder / "meta.json").write_text(json.dumps(meta))


def load_training_data(folder):
    """The workload saved by :func:`save_training_data`, without its test set."""
    folder = Path(folder)
    meta = json.loads((folder / "meta.json").read_text())
    if (folder / "X.npz").exists():
        X = sp.load_npz(folder / "X.npz").tocsr()
    else:
        X = np.load(folder / "X.npy")
    y = np.load(folder / "y.npy")
    meta["hidden_layer_sizes"] = tuple(meta["hidden_layer_sizes"])
    return Workload(X_train=X, y_train=y, **meta)
