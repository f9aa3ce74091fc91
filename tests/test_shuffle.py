"""``shuffle=True`` shuffles the rows: training never depends on row order.

Each epoch's batches are a fresh random partition of the rows, as in
scikit-learn's MLP and PyTorch's ``DataLoader(shuffle=True)``. Rows that
come sorted by class, or in a period (class 0, 1, …, 9, 0, 1, …), train as
well as rows in random order, and as well as scikit-learn's MLP on the same
rows. (Strided batches, which this replaced, put one class in every batch
when the number of batches was a multiple of the period: 0.29 test accuracy
against scikit-learn's 0.43 on the periodic case below.)
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLPClassifier

from sgdlearn import MLPClassifier, SoftmaxClassifier
from sgdlearn._training import iter_batches

N_CLASSES = 10


def _ordered_problem(order, n_train=4000, seed=0):
    """A 10-class problem whose training rows come in the given order."""
    X, y = make_classification(
        n_train + 2000,
        20,
        n_informative=10,
        n_classes=N_CLASSES,
        random_state=seed,
    )
    X_train, y_train, X_test, y_test = (
        X[:n_train],
        y[:n_train],
        X[n_train:],
        y[n_train:],
    )
    if order == "sorted":
        rows = np.argsort(y_train, kind="stable")
    elif order == "periodic":  # 0, 1, …, 9, 0, 1, …, 9, …
        per_class = [np.flatnonzero(y_train == c) for c in range(N_CLASSES)]
        m = min(len(rows) for rows in per_class)
        rows = np.stack([rows[:m] for rows in per_class], axis=1).ravel()
    else:
        rows = np.arange(n_train)
    return X_train[rows], y_train[rows], X_test, y_test


def _mean_score(make, X_train, y_train, X_test, y_test, seeds=(0, 1)):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return np.mean(
            [make(seed).fit(X_train, y_train).score(X_test, y_test) for seed in seeds]
        )


def _mlp(cls):
    return lambda seed: cls((64,), batch_size=200, max_iter=10, random_state=seed)


@pytest.fixture(scope="module")
def random_order_score():
    return _mean_score(_mlp(MLPClassifier), *_ordered_problem("random"))


@pytest.mark.parametrize("order", ["sorted", "periodic"])
def test_row_order_does_not_change_training_quality(order, random_order_score):
    """Sorted and periodic rows: as good as random order, and as scikit-learn's
    MLP on the same rows (the periodic case has 20 batches of 200, a
    multiple of the period 10)."""
    data = _ordered_problem(order)
    ours = _mean_score(_mlp(MLPClassifier), *data)
    theirs = _mean_score(_mlp(SkMLPClassifier), *data)
    assert ours >= theirs - 0.02
    assert abs(ours - random_order_score) <= 0.02


@pytest.mark.parametrize("order", ["sorted", "periodic"])
def test_linear_model_trains_the_same_on_ordered_rows(order):
    def make(seed):
        return SoftmaxClassifier(
            solver="adam", batch_size=200, max_iter=5, alpha=1.0, random_state=seed
        )

    ordered = _mean_score(make, *_ordered_problem(order))
    shuffled = _mean_score(make, *_ordered_problem("random"))
    assert abs(ordered - shuffled) <= 0.02


def test_each_epoch_is_a_fresh_random_partition():
    """No two epochs share their batches, and every batch mixes the rows."""
    rng = np.random.default_rng(0)
    epochs = [
        [frozenset(rows.tolist()) for rows in iter_batches(400, 20, rng, True)]
        for _ in range(3)
    ]
    assert not set(epochs[0]) & set(epochs[1])
    assert not set(epochs[1]) & set(epochs[2])
    for batch in epochs[0]:  # periodic labels: every batch holds several
        assert len({row % 10 for row in batch}) >= 5


def test_unshuffled_batches_are_contiguous_blocks_in_order():
    rng = np.random.default_rng(0)
    batches = list(iter_batches(10, 4, rng, False))
    assert batches == [slice(0, 4), slice(4, 8), slice(8, 10)]
