"""Does a given validation set look like the training data?

``fit(..., X_val=, y_val=)`` trusts the caller to give validation rows in the
training data's feature space. Through a ``Pipeline`` they are not: a fit
parameter such as ``mlpclassifier__X_val`` goes to the last step unchanged,
past the scaler or other transformers in front of it. Early stopping then
scores an untransformed X_val, its score stays flat, and the restored "best"
epoch is an early one: a worse model, without an error. This module notices
such a validation set and warns.

The statistic
-------------

For every feature with more than one value in the training data (constant
features carry no scale and are skipped), two questions are asked, each
answered with an effect size and an exact p-value:

- **Outside**: K, the number of validation values strictly outside the
  training range [min, max]. The feature is flagged when more than half of
  its validation values lie outside (K > n_val / 2) *and* P(K' ≥ K) < ALPHA.
- **Coverage**: T, the number of training values inside the validation range
  [min, max]. The feature is flagged when that range holds less than a tenth
  of the training values (T < n / 10) *and* P(T' ≤ T) < ALPHA.

The p-values are those of a validation set drawn like the training data: if
the n training and n_val validation values of a feature are exchangeable
(i.i.d. from any distribution), the validation rows take a uniformly random
n_val-subset of the N = n + n_val pooled ranks. A random k-subset of
{1..N} spans at most L consecutive ranks with probability

    P(span ≤ L) = C(L−1, k−1) · (N − (k−1)·L/k) / C(N, k)

(the count of k-subsets of span exactly s+1 is (N−s)·C(s−1, k−2); sum over
s). K ≥ k means the training rows span at most N − k ranks, and T ≤ t means
the validation rows span at most n_val + t ranks. Ties (binary, one-hot,
count or sparse features) only make K smaller and T larger than under a
random tie-break, so the p-values stay valid, conservatively. No
distribution is assumed: heavy tails, skew and atoms are all covered.

The validation set gets the warning when more than half of these features
(MIN_FRACTION) are flagged: the whole feature space is off, not a few
features that drift.

Why these thresholds:

- the effect sizes (over half outside the training range; a range holding
  under 10% of the training values) describe a gross mismatch; drift of a
  few standard deviations in a large validation set, however significant,
  is not flagged. For normal data and 10³ training rows, "outside" needs a
  shift of more than 3.2 standard deviations, the edge of the training range;
- ALPHA = 1e-4 protects small validation sets: with 2 rows, a range holding
  under 10% of the training values happens 1 time in 5 by chance, and with
  one row and 20 training rows a value outside the range happens 1 time in
  10. With ALPHA, a one-feature data set drawn like the training data is
  flagged at most 2 times in 10⁴ (both tests), and a data set with several
  independent features needs most of them flagged at once;
- a validation set of one row has no range: only "outside" applies, and it
  needs more than 2·10⁴ training rows to reach ALPHA.

Against standardised training data an unscaled validation set fails both
ways: features measured in large units lie outside the training range, and
features measured in small units (values ~0.1, spread ~0.01) sit in a sliver
of it.

Cost: two passes over the training data and two over the validation data,
in blocks (no copy of X); sparse CSR data is read through its stored entries,
the implicit zeros counted per column.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from scipy.special import gammaln

ALPHA = 1e-4
OUTSIDE_FRACTION = 0.5
COVERAGE_FRACTION = 0.1
MIN_FRACTION = 0.5

_BLOCK_ELEMENTS = 1 << 18  # values per block of a dense pass (2 MiB of float64)


def _log_binom(n, k):
    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


def span_probability(span, k, N):
    """P(a uniformly random k-subset of {1..N} spans at most ``span`` ranks).

    Vectorised over ``span`` (and ``k``); ``k ≥ 2``. The span of a subset is
    max − min + 1.
    """
    span = np.asarray(span, dtype=float)
    k = np.asarray(k, dtype=float)
    span_ok = np.minimum(np.maximum(span, k), N)  # keep the logs finite
    log_p = (
        _log_binom(span_ok - 1, k - 1)
        + np.log(N - (k - 1) * span_ok / k)
        - _log_binom(N, k)
    )
    return np.where(span < k, 0.0, np.minimum(np.exp(log_p), 1.0))


def _dense_blocks(X):
    step = max(1, _BLOCK_ELEMENTS // max(1, X.shape[1]))
    for start in range(0, X.shape[0], step):
        yield X[start : start + step]


def _sparse_blocks(X):
    """(column indices, values) of CSR X's stored entries, block by block."""
    for start in range(0, X.nnz, _BLOCK_ELEMENTS):
        stop = start + _BLOCK_ELEMENTS
        yield X.indices[start:stop], X.data[start:stop]


def _column_range(X):
    """Per-column (min, max), implicit zeros of sparse X included."""
    if sp.issparse(X):
        d = X.shape[1]
        lo = np.full(d, np.inf)
        hi = np.full(d, -np.inf)
        stored = np.zeros(d, dtype=np.int64)
        for cols, values in _sparse_blocks(X):
            np.minimum.at(lo, cols, values)
            np.maximum.at(hi, cols, values)
            stored += np.bincount(cols, minlength=d)
        has_zero = stored < X.shape[0]
        lo[has_zero] = np.minimum(lo[has_zero], 0.0)
        hi[has_zero] = np.maximum(hi[has_zero], 0.0)
        return lo, hi
    lo = np.full(X.shape[1], np.inf)
    hi = np.full(X.shape[1], -np.inf)
    for block in _dense_blocks(X):
        np.minimum(lo, block.min(axis=0), out=lo)
        np.maximum(hi, block.max(axis=0), out=hi)
    return lo, hi


def _count_inside(X, lo, hi):
    """Per column, how many values of X lie in [lo, hi] (implicit zeros too)."""
    if sp.issparse(X):
        d = X.shape[1]
        count = np.zeros(d, dtype=np.int64)
        stored = np.zeros(d, dtype=np.int64)
        for cols, values in _sparse_blocks(X):
            inside = (values >= lo[cols]) & (values <= hi[cols])
            count += np.bincount(cols[inside], minlength=d)
            stored += np.bincount(cols, minlength=d)
        implicit = X.shape[0] - stored
        return count + np.where((lo <= 0) & (0 <= hi), implicit, 0)
    count = np.zeros(X.shape[1], dtype=np.int64)
    for block in _dense_blocks(X):
        count += ((block >= lo) & (block <= hi)).sum(axis=0)
    return count


def _canonical(X):
    """CSR without duplicate entries (a copy only if there are duplicates)."""
    if sp.issparse(X) and not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X


def compare_to_training(X, X_val):
    """Per-feature evidence that X_val was not drawn like X.

    X and X_val are validated 2-D arrays or CSR matrices with the same number
    of columns. Returns a dict of per-feature arrays: ``tested`` (not
    constant in X), ``outside`` (fraction of X_val's values outside X's
    range), ``p_outside``, ``coverage`` (fraction of X's values inside X_val's
    range), ``p_coverage`` and ``flagged``; and ``fraction``, the share of
    tested features flagged (0 when none is tested).
    """
    X, X_val = _canonical(X), _canonical(X_val)
    n, n_val = X.shape[0], X_val.shape[0]
    N = n + n_val
    lo, hi = _column_range(X)
    lo_val, hi_val = _column_range(X_val)
    tested = hi > lo

    n_outside = n_val - _count_inside(X_val, lo, hi)
    # K ≥ n_outside  ⇔  the n training rows span at most N − n_outside ranks.
    p_outside = np.where(n_outside > 0, span_probability(N - n_outside, n, N), 1.0)
    n_inside = _count_inside(X, lo_val, hi_val)
    # T ≤ n_inside  ⇔  the n_val validation rows span at most n_val + n_inside.
    if n_val >= 2:
        p_coverage = span_probability(n_val + n_inside, n_val, N)
    else:
        p_coverage = np.ones(X.shape[1])  # one row has no range to test

    outside = n_outside / n_val
    coverage = n_inside / n
    flagged = tested & (
        ((outside > OUTSIDE_FRACTION) & (p_outside < ALPHA))
        | ((coverage < COVERAGE_FRACTION) & (p_coverage < ALPHA))
    )
    n_tested = int(tested.sum())
    return {
        "tested": tested,
        "outside": outside,
        "p_outside": p_outside,
        "coverage": coverage,
        "p_coverage": p_coverage,
        "flagged": flagged,
        "fraction": flagged.sum() / n_tested if n_tested else 0.0,
    }


def warn_if_unlike_training(X, X_val):
    """Warn (UserWarning) when X_val looks nothing like the training data X."""
    result = compare_to_training(X, X_val)
    if result["fraction"] <= MIN_FRACTION:
        return
    warnings.warn(
        f"X_val does not look like the training data: for "
        f"{int(result['flagged'].sum())} of {int(result['tested'].sum())} "
        "features, most validation values lie outside the training range or "
        "all of them lie in a sliver of it. Early stopping and the "
        "validation scores are then meaningless. Was X_val transformed like "
        "X? In a Pipeline, a fit parameter such as `mlpclassifier__X_val` "
        "reaches the last step unchanged, past the earlier steps (a scaler, "
        "an encoder). Transform X_val yourself, for example "
        "`pipe[:-1].fit(X, y).transform(X_val)`, or drop X_val and let "
        "early_stopping=True hold out validation_fraction of the transformed "
        "training data.",
        UserWarning,
        stacklevel=7,
    )
