"""Losses as negative log-likelihoods, on raw scores, keyed by name.

:data:`LOSSES` maps each loss's ``name`` to its class (as scikit-learn's
``_loss`` package); :data:`REGRESSION_LOSSES` names those a regressor's
``loss`` parameter may take. Besides its value and gradient, a loss knows
everything the estimators need about it, so that nothing else branches on
a concrete loss (see :class:`Loss`): its link (``out_activation``,
``link``, ``inverse_link``), whether it is ``differentiable`` (L-BFGS needs
a smooth objective), its curvature when it is diagonal in the raw scores
(``hessian_diag``, which the Newton solver needs), the valid targets
(``check_targets``), the constant that fits the targets best
(``best_constant``, the intercept's start) and the default validation score
(``score``); the log-losses add ``log_proba``.

A loss with parameters (``quantile``, ``huber_delta``, ``power``) is built
from the estimator's parameters by ``from_params`` and keeps exactly its
constructor's arguments as attributes (numbers or lists of floats), so that
``LOSSES[name](**vars(loss))`` rebuilds it from a saved model. Its raw
output may have more columns than the targets (``n_raw_outputs``: one per
quantile of a list, a mean and a log-variance per target for
``gaussian_nll``), and ``predict`` (``predict_std``) turns raw scores into
predictions.

Each loss works on the raw model output ``raw`` of shape (n_samples,
n_raw_outputs) and a target ``y`` of shape (n_samples, n_targets), the same
shape but for ``quantile`` lists and ``gaussian_nll`` (one-hot or 0/1
indicator columns for the classifiers). ``value_grad`` returns the weighted sum
Σ_i s_i ℓ_i (a float) and writes c·s_i ∇_z ℓ_i into ``grad``, with
c = ``grad_scale`` (the caller's 1/Σ_B s, folded in to save a pass over the
batch). ``sample_weight=None`` means every s_i = 1 (the fast path).
``grad`` may be ``raw`` itself: the gradient then overwrites the scores,
and a whole-data evaluation needs no second array of the scores' size.
Log-losses are computed stably from ``raw`` — softplus(z) =
max(z, 0) + log1p(e^{−|z|}) and a max-shifted log-sum-exp — never from
clipped probabilities, without overflow for any finite score.

``value_grad`` is called once per mini-batch, where each NumPy call counts,
and once per L-BFGS iteration on the whole training set, where each pass
over the data and each temporary counts. So the code uses few calls, only
NumPy's vectorised (SIMD) ufuncs (not ``logaddexp``, ``expit`` or
``logsumexp``, which are several times slower), works in the dtype of
``raw`` (float32 stays float32), and takes large inputs in row blocks of
about :data:`BLOCK` entries so that its temporaries stay small and in cache.
"""

from numbers import Real

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit, log_softmax
from sklearn.metrics import r2_score

# Large inputs are processed in row blocks of about this many entries: the
# scratch array of a block is then 512 kB at most, and a whole-data
# evaluation allocates nothing of the data's size.
BLOCK = 65536

_ONES = {}


def _ones(k, dtype):
    """A cached read-only vector of k ones: ``a @ ones`` sums a's rows fast."""
    ones = _ONES.get((k, dtype))
    if ones is None:
        ones = np.ones(k, dtype=dtype)
        ones.flags.writeable = False
        _ONES[(k, dtype)] = ones
    return ones


_FLOOR = {}


def _floor(dtype):
    """(tiny, √tiny) of a float dtype."""
    floor = _FLOOR.get(dtype)
    if floor is None:
        tiny = np.finfo(dtype).tiny
        floor = _FLOOR[dtype] = (tiny, float(np.sqrt(tiny)))
    return floor


def _by_blocks(block, raw, y, sample_weight, grad, grad_scale, elementwise=False):
    """Σ of ``block(...)`` over row blocks of about BLOCK entries.

    ``block`` has the signature of ``value_grad`` plus a scratch array of
    the block's shape and dtype. ``grad`` may be ``raw`` itself (the
    gradient overwrites the scores): unless ``block`` is ``elementwise``
    (reads each score only before writing its gradient), each block's
    scores are then copied first, into a buffer of one block.
    """
    n, k = raw.shape
    rows = max(1, BLOCK // k)
    scratch = np.empty((min(rows, n), k), dtype=raw.dtype)
    scores = None
    if grad is raw and not elementwise:
        scores = np.empty_like(scratch)
    total = 0.0
    for start in range(0, n, rows):
        block_rows = slice(start, min(start + rows, n))
        m = block_rows.stop - start
        weight = None if sample_weight is None else sample_weight[block_rows]
        block_raw = raw[block_rows]
        if scores is not None:
            np.copyto(scores[:m], block_raw)
            block_raw = scores[:m]
        total += block(
            block_raw,
            y[block_rows],
            weight,
            grad[block_rows],
            grad_scale,
            scratch[:m],
        )
    return total


def _contiguous(y, dtype):
    """y itself, or a C-contiguous copy in ``dtype``.

    A strided batch view is copied once: the two or three passes over y
    that follow are then several times faster. Targets stored in a smaller
    dtype (0/1 indicators as uint8) are converted in the same pass, a
    block at a time, so no pass mixes dtypes.
    """
    if y.dtype == dtype and y.flags.c_contiguous:
        return y
    return np.ascontiguousarray(y, dtype=dtype)


def _weighted_sum(per_entry, sample_weight):
    """Σ_i s_i Σ_j per_entry_ij as a float."""
    if per_entry.shape[1] == 1:
        return float(per_entry[:, 0] @ sample_weight)
    return float((sample_weight @ per_entry).sum())


def _row_weights(sample_weight, scale):
    """The column scale·s_i that multiplies the rows of ``grad``."""
    return (sample_weight * float(scale))[:, None]


class Loss:
    """What every loss has besides ``value_grad``, ``link`` and ``inverse_link``.

    Attributes
    ----------
    name : str
        The key in :data:`LOSSES`.
    out_activation : str
        The name of the inverse link that turns raw scores into predictions.
    kind : {"regression", "classification"}
        Regression losses are the options of a regressor's ``loss``.
    differentiable : bool
        Whether the loss is smooth in the raw scores: only then may L-BFGS
        minimise it.
    has_hessian : bool
        Whether :meth:`hessian_diag` gives the loss's second derivatives:
        only for a smooth loss whose Hessian in the raw scores is diagonal
        (each output its own problem), which the Newton solver needs.

    Notes
    -----
    A loss with parameters takes them as keyword arguments of ``__init__``
    and keeps exactly those as attributes (``from_params`` builds it from an
    estimator's parameters). ``n_raw_outputs`` says how many raw columns
    the network needs per target column, ``predict`` turns raw scores into
    predictions (the inverse link unless overridden) and ``predict_std``
    exists for ``gaussian_nll`` only; ``best_constant`` returns
    ``n_raw_outputs`` values.
    """

    name = None
    out_activation = None
    kind = "regression"
    differentiable = True
    has_hessian = False
    # Half a pseudo-observation (this much target on this much weight) added
    # to the mean that ``best_constant`` takes the link of: 0 for none.
    _prior_total = 0.0
    _prior_weight = 0.0

    @classmethod
    def from_params(cls, params):
        """The loss for an estimator's parameters (a mapping, as ``get_params()``).

        Losses without parameters ignore it; the others read their own keys
        (``quantile``, ``huber_delta``, ``power``) with the defaults of
        API.md and validate them.
        """
        return cls()

    def spec(self):
        """Plain data naming the loss and its settings: what a fitted model
        keeps, and what :func:`make_loss` rebuilds the loss from."""
        return {"name": self.name, **vars(self)}

    def n_raw_outputs(self, n_targets):
        """Columns of raw output the network needs for ``n_targets`` target columns."""
        return n_targets

    def variance_outputs(self, n_targets):
        """The raw columns that model a variance (None: none do)."""
        return None

    def predict(self, raw):
        """The predictions from raw scores: the inverse link."""
        return self.inverse_link(raw)

    def predict_std(self, raw):
        """The predicted standard deviation: only ``gaussian_nll`` has one."""
        raise ValueError(
            f"loss={self.name!r} predicts no standard deviation: only "
            "loss='gaussian_nll' does (return_std=True needs it)."
        )

    def value_grad(self, raw, y, sample_weight, grad, grad_scale=1.0):
        """Σ_i s_i ℓ_i, writing c·s_i ∇_z ℓ_i into ``grad`` (module docstring).

        Large inputs, and a ``grad`` that is ``raw`` itself, go through
        ``_block`` a row block at a time; small ones in one call.
        """
        if raw.size > BLOCK or grad is raw:
            return _by_blocks(self._block, raw, y, sample_weight, grad, grad_scale)
        return self._block(raw, y, sample_weight, grad, grad_scale)

    def hessian_diag(self, raw, y):
        """∂²ℓ_i/∂z_ij² of each entry: (n_samples, n_raw_outputs), float64.

        The second derivatives of the per-sample loss whose weighted sum
        ``value_grad`` returns (so an average over outputs keeps its 1/k),
        for a loss whose Hessian in the raw scores is diagonal
        (``has_hessian``); the off-diagonal entries are zero. Computed in
        float64 whatever the dtype of ``raw``.
        """
        raise NotImplementedError(f"loss={self.name!r} has no diagonal Hessian.")

    def check_targets(self, y):
        """Raise a ValueError when y lies outside the loss's valid range.

        ``y`` is the target as given, before any cast to the training dtype
        (float32 would round a tiny negative target to -0.0).
        """

    def best_constant(self, Y, sample_weight):
        """The raw score per output whose prediction fits Y best.

        The link of the (weighted) mean of each column of Y (n_samples,
        n_outputs); means of counts and class frequencies get half a
        pseudo-observation, so that a first chunk with one class, or no
        counts, does not start at ±27 (the link of 1e-12). Y may hold uint8
        indicators: it is read column by column, never converted whole.
        Returns an array of shape (n_outputs,).
        """
        weight = len(Y) if sample_weight is None else sample_weight.sum()
        return self._constant_of(self.constant_summary(Y, sample_weight), weight)

    def constant_summary(self, Y, sample_weight):
        """What :meth:`combined_constant` needs of a block of rows: here the
        weighted sum of each column of Y (training on Dask input, where each
        block is summarised on its worker, ``_cluster``)."""
        if sample_weight is None:
            return Y.sum(axis=0, dtype=np.float64)
        return np.array([sample_weight @ column for column in Y.T], dtype=np.float64)

    def combined_constant(self, summaries, weights):
        """The best constant of the rows of several blocks, from their
        :meth:`constant_summary` and Σs (``weights``): the same as
        :meth:`best_constant` of all the rows at once, up to rounding, so
        that a fit on Dask blocks starts where the one in memory does."""
        return self._constant_of(np.sum(summaries, axis=0), float(np.sum(weights)))

    def _constant_of(self, total, weight):
        """The link of the mean total / weight, with the pseudo-observation."""
        if self._prior_weight:
            mean = (total + self._prior_total) / (weight + self._prior_weight)
        else:
            mean = total / weight
        return self.link(mean)

    def score(self, raw, Y, sample_weight):
        """Default validation score (higher is better) of raw scores against Y.

        Regression losses: R² of the predictions ``predict(raw)`` (uniform
        average over outputs), computed in float64: the squares of float32
        targets beyond ~1e19 overflow, and R² = NaN.
        """
        prediction = self.predict(raw)
        return float(
            r2_score(
                Y.astype(np.float64, copy=False),
                prediction.astype(np.float64, copy=False),
                sample_weight=sample_weight,
            )
        )


class SquaredError(Loss):
    """Gaussian negative log-likelihood: ½(y − z)², averaged over outputs."""

    name = "squared_error"
    out_activation = "identity"

    def value_grad(self, raw, y, sample_weight, grad, grad_scale=1.0):
        if sample_weight is not None:
            if raw.size > BLOCK:
                return _by_blocks(
                    self._block, raw, y, sample_weight, grad, grad_scale, True
                )
            return self._block(raw, y, sample_weight, grad, grad_scale)
        # one pass: Σ (z − y)² is the residuals' norm; no temporaries
        k = raw.shape[1]
        residual = np.subtract(raw, y, out=grad)
        total = float(np.vdot(residual, residual))
        scale = grad_scale / k
        if scale != 1.0:
            grad *= scale
        return (0.5 / k) * total

    @staticmethod
    def _block(raw, y, sample_weight, grad, grad_scale, scratch=None):
        k = raw.shape[1]
        residual = np.subtract(raw, y, out=grad)
        weighted = np.multiply(residual, sample_weight[:, None], out=scratch)
        total = float(np.vdot(weighted, residual))
        np.multiply(weighted, grad_scale / k, out=grad)
        return (0.5 / k) * total

    has_hessian = True

    def hessian_diag(self, raw, y):
        """1/k: the curvature of ½(y − z)² averaged over k outputs."""
        return np.full(raw.shape, 1.0 / raw.shape[1])

    def inverse_link(self, raw):
        return raw

    def link(self, mean):
        """Raw score whose prediction is ``mean`` (a starting intercept)."""
        return mean


class Poisson(Loss):
    """Poisson half deviance y·log(y/ŷ) − y + ŷ with ŷ = exp(z), averaged over outputs.

    It is the Poisson negative log-likelihood up to a constant in y: 0 at a
    perfect fit, gradient ŷ − y. Targets must be non-negative.
    """

    name = "poisson"
    out_activation = "exp"
    _prior_total = 0.5
    _prior_weight = 1.0

    def check_targets(self, y):
        if (np.asarray(y) < 0).any():
            raise ValueError(
                "loss='poisson' requires non-negative y (counts or rates); y has "
                "negative values. Use loss='squared_error' for signed targets."
            )

    @staticmethod
    def _block(raw, y, sample_weight, grad, grad_scale, scratch=None):
        k = raw.shape[1]
        y = _contiguous(y, raw.dtype)
        # ℓ = ŷ + y·(log y − z − 1), with 0·log 0 = 0 (y is floored at tiny)
        loss = np.maximum(y, _floor(raw.dtype)[0], out=scratch)
        np.log(loss, out=loss)
        loss -= raw
        loss -= 1.0
        loss *= y
        np.exp(raw, out=grad)
        loss += grad
        grad -= y
        if sample_weight is None:
            total = float(loss.sum())
            scale = grad_scale / k
            if scale != 1.0:
                grad *= scale
            return total / k
        grad *= _row_weights(sample_weight, grad_scale / k)
        return _weighted_sum(loss, sample_weight) / k

    has_hessian = True

    def hessian_diag(self, raw, y):
        """ŷ/k = e^z/k."""
        hessian = np.exp(raw, dtype=np.float64)
        hessian /= raw.shape[1]
        return hessian

    def inverse_link(self, raw):
        return np.exp(raw)

    def link(self, mean):
        return np.log(np.maximum(mean, 1e-12))


class _LogLoss(Loss):
    """The classifiers' losses: 0/1 indicator targets, accuracy as score."""

    kind = "classification"
    _prior_total = 0.5
    _prior_weight = 1.0

    def score(self, raw, Y, sample_weight):
        """Accuracy of the predictions, weighted by ``sample_weight``."""
        return float(np.average(self._correct(raw, Y), weights=sample_weight))


class BinaryLogLoss(_LogLoss):
    """Bernoulli negative log-likelihood log(1 + e^z) − y·z, summed over columns.

    Used for binary, one-vs-rest and multilabel models: each column is its own
    binary problem.
    """

    name = "bernoulli_log_loss"
    out_activation = "logistic"
    # log_proba gives each column's own probability (not summing to 1)
    normalised = False

    @staticmethod
    def _correct(raw, Y):
        """A row is right when every column's sign is (its exact match)."""
        return ((raw > 0) == (Y > 0.5)).all(axis=1)

    @staticmethod
    def log_proba(raw):
        """log σ(z) of each column, computed stably: −log(1 + e^{−z})."""
        return -np.logaddexp(0.0, -raw)

    @staticmethod
    def _block(raw, y, sample_weight, grad, grad_scale, scratch=None):
        # With L = log1p(e^{−|z|}): the loss is softplus(z) − y·z with
        # softplus(z) = max(z, 0) + L, and the gradient is σ(z) − y with
        # σ(z) = exp(log σ(z)), log σ(z) = min(z, 0) − L; each is accurate
        # to a few ulps for any z.
        y = _contiguous(y, raw.dtype)
        log1p_exp = np.copysign(raw, -1.0, out=scratch)
        np.exp(log1p_exp, out=log1p_exp)
        np.log1p(log1p_exp, out=log1p_exp)
        softplus = np.maximum(raw, 0.0, out=grad)
        softplus += log1p_exp
        if sample_weight is None:
            total = float(softplus.sum()) - float(np.vdot(y, raw))
        else:
            softplus -= np.multiply(y, raw)  # the loss, entry by entry
            total = _weighted_sum(softplus, sample_weight)
        log_sigmoid = np.minimum(raw, 0.0, out=grad)
        log_sigmoid -= log1p_exp
        np.exp(log_sigmoid, out=grad)
        grad -= y
        if sample_weight is not None:
            grad *= _row_weights(sample_weight, grad_scale)
        elif grad_scale != 1.0:
            grad *= grad_scale
        return total

    has_hessian = True

    @staticmethod
    def hessian_diag(raw, y):
        """σ(z)·(1 − σ(z)) = σ(z)·σ(−z) of each column (summed, no 1/k)."""
        raw = raw.astype(np.float64)
        return expit(raw) * expit(-raw)

    def inverse_link(self, raw):
        return expit(raw)

    def link(self, mean):
        mean = np.clip(mean, 1e-12, 1 - 1e-12)
        return np.log(mean) - np.log1p(-mean)


class SoftmaxCrossEntropy(_LogLoss):
    """Categorical negative log-likelihood logsumexp(z) − z·y of a one-hot y."""

    name = "categorical_log_loss"
    out_activation = "softmax"
    # log_proba gives a distribution over the columns
    normalised = True

    @staticmethod
    def _correct(raw, Y):
        """A row is right when its largest score is its class's."""
        return raw.argmax(axis=1) == Y.argmax(axis=1)

    @staticmethod
    def log_proba(raw):
        """log softmax(z) per row: each row's maximum is subtracted before the
        log of the sum (raw − logsumexp(raw) would lose the log 2 of a tie at
        1e298)."""
        return log_softmax(raw, axis=1)

    @staticmethod
    def _block(raw, y, sample_weight, grad, grad_scale, scratch=None):
        n, k = raw.shape
        ones = _ones(k, raw.dtype)
        y = _contiguous(y, raw.dtype)
        # Shift by the block's largest score: one fast reduction instead of a
        # maximum per row. A row whose own maximum lies so far below that its
        # sum of exponentials nears underflow gets the per-row shift.
        shift = raw.max()
        exp_shifted = np.subtract(raw, shift, out=grad)
        np.exp(exp_shifted, out=exp_shifted)
        norm = exp_shifted @ ones
        if not norm.min() >= _floor(raw.dtype)[1]:
            shift = raw.max(axis=1)
            np.subtract(raw, shift[:, None], out=exp_shifted)
            np.exp(exp_shifted, out=exp_shifted)
            norm = exp_shifted @ ones
        np.divide(exp_shifted, norm[:, None], out=grad)  # the softmax
        grad -= y
        log_norm = np.log(norm, out=norm)  # logsumexp(z_i) − shift_i
        if sample_weight is None:
            total = float(log_norm.sum()) - float(np.vdot(raw, y))
            total += float(shift.sum()) if shift.ndim else n * float(shift)
            if grad_scale != 1.0:
                grad *= grad_scale
            return total
        log_norm += shift
        log_norm -= np.multiply(raw, y, out=scratch) @ ones  # the loss per row
        grad *= _row_weights(sample_weight, grad_scale)
        return float(log_norm @ sample_weight)

    def inverse_link(self, raw):
        proba = np.subtract(raw, raw.max(axis=1, keepdims=True))
        np.exp(proba, out=proba)
        proba /= proba.sum(axis=1, keepdims=True)
        return proba

    def link(self, mean):
        log_mean = np.log(np.maximum(mean, 1e-12))
        return log_mean - log_mean.mean()


# --------------------------------------------------------------------------
# the regression likelihoods of issue 15
# --------------------------------------------------------------------------


def _real(value, name):
    """``value`` as a float, or a TypeError naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {value!r}.")
    return float(value)


def _weighted_quantile(y, sample_weight, q):
    """A minimiser c of Σ_i s_i ρ_q(y_i − c), the pinball loss, for a 1-D y.

    The smallest y_(j) whose cumulative weight reaches q·Σs; where it meets
    q·Σs exactly (every point up to the next y minimises), the midpoint of
    the two, so that the unweighted median of an even count is ``np.median``'s.
    """
    y = np.asarray(y, dtype=np.float64)
    order = np.argsort(y, kind="stable")
    y = y[order]
    if sample_weight is None:
        cumulative = np.arange(1.0, len(y) + 1.0)
    else:
        cumulative = np.cumsum(np.asarray(sample_weight, dtype=np.float64)[order])
    target = q * cumulative[-1]
    j = min(int(np.searchsorted(cumulative, target)), len(y) - 1)
    if j + 1 < len(y) and abs(cumulative[j] - target) <= 1e-12 * cumulative[-1]:
        return 0.5 * (y[j] + y[j + 1])
    return y[j]


class _ConstantAveragedOverBlocks:
    """For a loss whose best constant (a median, a quantile, an
    M-estimate) has no summary that adds up over blocks of rows: the
    blocks' best constants, averaged with their Σs as weights. Close to the
    best constant of all the rows, not equal to it: a fit on Dask blocks
    starts from a point that depends on the blocks (its optimum does not)."""

    def constant_summary(self, Y, sample_weight):
        weight = len(Y) if sample_weight is None else float(np.sum(sample_weight))
        if weight == 0:  # rows that count for nothing: a constant of 0 weight
            return 0.0 * self.best_constant(Y, None)
        return weight * self.best_constant(Y, sample_weight)

    def combined_constant(self, summaries, weights):
        return np.sum(summaries, axis=0) / float(np.sum(weights))


def _columns(Y):
    """The columns of Y as float64 1-D arrays (Y may be 1-D: one column)."""
    Y = np.asarray(Y)
    Y = Y.reshape(-1, 1) if Y.ndim == 1 else Y
    return [np.asarray(column, dtype=np.float64) for column in Y.T]


def _scale_rows(grad, sample_weight, scale):
    """grad *= scale·s_i, row by row (scale = c/k over the outputs' count)."""
    if sample_weight is not None:
        grad *= _row_weights(sample_weight, scale)
    elif scale != 1.0:
        grad *= scale


def _two_slopes(
    raw, y, sample_weight, grad, grad_scale, scratch, half_jump=None, shift=None
):
    """Σ s ℓ / k of a loss linear on each side of y (absolute error, pinball).

    With r = z − y, the (sub)gradient is g = half_jump·sign(r) + shift
    (sign(r) itself when both are None), written into ``grad`` and scaled
    by grad_scale·s/k; ℓ = r·g exactly, as ℓ is 0 at r = 0.
    """
    k = raw.shape[1]
    y = _contiguous(y, raw.dtype)
    residual = np.subtract(raw, y, out=scratch)
    slope = np.sign(residual, out=grad)
    if half_jump is not None:
        slope *= half_jump
    if shift is not None:
        slope += shift
    if sample_weight is None:
        total = float(np.vdot(residual, slope))
    else:
        residual *= slope
        total = _weighted_sum(residual, sample_weight)
    _scale_rows(grad, sample_weight, grad_scale / k)
    return total / k


class AbsoluteError(_ConstantAveragedOverBlocks, Loss):
    """Laplace negative log-likelihood |y − z| (up to constants), averaged over outputs.

    Not differentiable at y = z, so L-BFGS may not minimise it; its
    gradient there is the subgradient 0 (sign(z − y) elsewhere). The best
    constant is the weighted median of each column; the score is R².
    """

    name = "absolute_error"
    out_activation = "identity"
    differentiable = False

    @staticmethod
    def _block(raw, y, sample_weight, grad, grad_scale, scratch=None):
        # |r| = r·sign(r), exactly
        return _two_slopes(raw, y, sample_weight, grad, grad_scale, scratch)

    def best_constant(self, Y, sample_weight):
        """The weighted median of each column of Y."""
        return np.array(
            [_weighted_quantile(c, sample_weight, 0.5) for c in _columns(Y)]
        )

    def inverse_link(self, raw):
        return raw

    def link(self, mean):
        return mean


class Quantile(_ConstantAveragedOverBlocks, Loss):
    """Asymmetric Laplace negative log-likelihood: the pinball loss of quantile q.

    ρ_q(y − z) = q·(y − z) for y ≥ z, (q − 1)·(y − z) otherwise, averaged
    over the raw output's columns; its gradient in z is −q for y > z and
    1 − q for y < z; at y = z it takes the subgradient ½ − q, the mean of
    the two (scikit-learn's ``PinballLoss`` takes −q there), so that
    quantile 0.5 is exactly half of ``absolute_error``.
    ``quantile`` is a float in (0, 1), fitted for each target column, or a
    list of them for one target, fitted each in its own raw column (y of
    shape (n, 1) then broadcasts against the m columns); nothing keeps the
    fitted quantiles from crossing. Not differentiable: no L-BFGS. The best
    constant is the weighted q-quantile of y; the score is minus the
    weighted mean pinball loss (R² says little of a quantile).

    Parameters
    ----------
    quantile : float or list of float, default=0.5
        Each in (0, 1).
    """

    name = "quantile"
    out_activation = "identity"
    differentiable = False

    def __init__(self, quantile=0.5):
        if np.ndim(quantile) == 0:
            if isinstance(quantile, np.ndarray):
                quantile = quantile.item()
            quantile = _real(quantile, "quantile")
            values = [quantile]
        else:
            quantile = values = [_real(q, "quantile") for q in quantile]
            if not values:
                raise ValueError("quantile must not be an empty list.")
        for q in values:
            if not 0.0 < q < 1.0:
                raise ValueError(
                    f"quantile must be in (0, 1) (or a list of such values), got {q!r}."
                )
        self.quantile = quantile

    @classmethod
    def from_params(cls, params):
        return cls(quantile=params.get("quantile", 0.5))

    def _levels(self, dtype):
        """q as a scalar, or the (m,) vector of a list, in ``dtype``."""
        if isinstance(self.quantile, list):
            return np.array(self.quantile, dtype=dtype)
        return self.quantile

    def n_raw_outputs(self, n_targets):
        """The targets' count for one quantile; m for a list of m (one target)."""
        if not isinstance(self.quantile, list):
            return n_targets
        if n_targets != 1:
            raise ValueError(
                f"quantile given as a list ({self.quantile}) fits one target; y "
                f"has {n_targets} columns. Give one float as quantile, or fit "
                "one target."
            )
        return len(self.quantile)

    def _block(self, raw, y, sample_weight, grad, grad_scale, scratch=None):
        # with r = z − y the gradient is g = ½·sign(r) + ½ − q: 1 − q above
        # y, −q below, ½ − q at y = z; and ρ_q = r·g exactly (0 at y = z)
        shift = 0.5 - self._levels(raw.dtype)
        return _two_slopes(
            raw, y, sample_weight, grad, grad_scale, scratch, half_jump=0.5, shift=shift
        )

    def best_constant(self, Y, sample_weight):
        """The weighted q-quantile of each target column, or of y for each q."""
        columns = _columns(Y)
        if isinstance(self.quantile, list):
            self.n_raw_outputs(len(columns))
            return np.array(
                [
                    _weighted_quantile(columns[0], sample_weight, q)
                    for q in self.quantile
                ]
            )
        return np.array(
            [_weighted_quantile(c, sample_weight, self.quantile) for c in columns]
        )

    def score(self, raw, Y, sample_weight):
        """Minus the weighted mean pinball loss (averaged over the columns)."""
        residual = raw.astype(np.float64) - np.asarray(Y, dtype=np.float64)
        loss = np.maximum(residual, 0.0) - residual * self._levels(np.float64)
        return -float(np.average(loss.mean(axis=1), weights=sample_weight))

    def inverse_link(self, raw):
        return raw

    def link(self, mean):
        return mean


class Huber(_ConstantAveragedOverBlocks, Loss):
    """Huber's loss ½r² for |r| ≤ δ, δ(|r| − ½δ) beyond (r = z − y), per output.

    A Gaussian core with Laplace tails, continuously differentiable
    (gradient clip(r, −δ, δ)), so L-BFGS may minimise it. δ =
    ``huber_delta`` is fixed, not estimated with a scale as scikit-learn's
    ``HuberRegressor`` does. The best constant is the Huber M-estimate of
    location of each column; the score is R².

    Parameters
    ----------
    huber_delta : float, default=1.35
        The transition point δ > 0, in the targets' units.
    """

    name = "huber"
    out_activation = "identity"

    def __init__(self, huber_delta=1.35):
        huber_delta = _real(huber_delta, "huber_delta")
        if not huber_delta > 0.0 or not np.isfinite(huber_delta):
            raise ValueError(
                f"huber_delta must be a finite float > 0, got {huber_delta!r}."
            )
        self.huber_delta = huber_delta

    @classmethod
    def from_params(cls, params):
        return cls(huber_delta=params.get("huber_delta", 1.35))

    def _block(self, raw, y, sample_weight, grad, grad_scale, scratch=None):
        k = raw.shape[1]
        delta = self.huber_delta
        y = _contiguous(y, raw.dtype)
        # with g = clip(r, −δ, δ): ℓ = g·(r − ½g) = ½·g·(2r − g); beyond δ,
        # δ|r| − ½δ² ≥ ½δ|r|, so the difference of the two sums loses nothing
        residual = np.subtract(raw, y, out=scratch)
        clipped = np.maximum(residual, -delta, out=grad)
        np.minimum(clipped, delta, out=clipped)
        if sample_weight is None:
            total = float(np.vdot(clipped, residual)) - 0.5 * float(
                np.vdot(clipped, clipped)
            )
        else:
            residual *= 2.0
            residual -= clipped
            residual *= clipped  # 2ℓ, entry by entry
            total = 0.5 * _weighted_sum(residual, sample_weight)
        _scale_rows(grad, sample_weight, grad_scale / k)
        return total / k

    def best_constant(self, Y, sample_weight):
        """The Huber M-estimate of location of each column.

        The root of ψ(c) = Σ_i s_i clip(y_i − c, −δ, δ), decreasing in c,
        bracketed by the column's extremes (Brent's method, from no guess:
        exact to 1e-12 of the column's range).
        """
        delta = self.huber_delta
        weights = None if sample_weight is None else np.asarray(sample_weight, float)

        def psi(c, column):
            clipped = np.clip(column - c, -delta, delta)
            return clipped.sum() if weights is None else clipped @ weights

        constants = []
        for column in _columns(Y):
            low, high = column.min(), column.max()
            if high - low <= 0.0:
                constants.append(low)
                continue
            constants.append(
                brentq(psi, low, high, args=(column,), xtol=1e-12 * (high - low))
            )
        return np.array(constants)

    def inverse_link(self, raw):
        return raw

    def link(self, mean):
        return mean


def _half_gamma_block(raw, y, sample_weight, grad, grad_scale, scratch=None):
    """Half Gamma deviance y·e^{−z} + z − log y − 1 and its gradient 1 − y·e^{−z}.

    Written with w = log y − z as expm1(w) − w and −expm1(w): near the
    optimum (w ≈ 0) the deviance is w²/2, and an error ε in w costs w·ε,
    not ε as in the sum of its four terms.
    """
    k = raw.shape[1]
    y = _contiguous(y, raw.dtype)
    w = np.log(y, out=grad)
    w -= raw
    expm1 = np.expm1(w, out=scratch)
    loss = np.subtract(expm1, w, out=grad)
    if sample_weight is None:
        total = float(loss.sum())
    else:
        total = _weighted_sum(loss, sample_weight)
    np.negative(expm1, out=grad)
    _scale_rows(grad, sample_weight, grad_scale / k)
    return total / k


class _LogLinkDeviance(Loss):
    """A deviance with the log link ŷ = exp(z), started at the log of the
    weighted mean (Gamma, Tweedie)."""

    out_activation = "exp"
    has_hessian = True

    def hessian_diag(self, raw, y):
        """((2 − p)·ŷ^{2−p} − (1 − p)·y·ŷ^{1−p})/k, p the Tweedie power.

        The derivative of the gradient ŷ^{2−p} − y·ŷ^{1−p}. It is positive
        for p in [1, 2] (1: ŷ, Poisson; 2: y/ŷ, Gamma) but may be negative
        for p = 0 or p > 2 where ŷ is far from y: the loss is not convex
        there, and the Newton solver floors the curvature at 0.
        """
        p = self.deviance_power
        raw = raw.astype(np.float64)
        hessian = np.exp((2.0 - p) * raw)
        hessian *= 2.0 - p
        if p != 1.0:
            hessian -= (1.0 - p) * np.exp((1.0 - p) * raw) * y
        hessian /= raw.shape[1]
        return hessian

    def inverse_link(self, raw):
        return np.exp(raw)

    def link(self, mean):
        return np.log(np.maximum(mean, 1e-12))


class Gamma(_LogLinkDeviance):
    """Gamma half deviance y/ŷ + log(ŷ/y) − 1 with ŷ = exp(z), averaged over outputs.

    scikit-learn's ``HalfGammaLoss`` plus the constant it skips (−log y − 1):
    0 at a perfect fit, gradient 1 − y/ŷ. Targets must be positive. The
    best constant is the log of the weighted mean; the score is R² of ŷ.
    """

    name = "gamma"
    deviance_power = 2.0

    def check_targets(self, y):
        if not (np.asarray(y) > 0).all():
            raise ValueError(
                "loss='gamma' requires positive y (y > 0); y has zero or negative "
                "values. Use loss='tweedie' with power in [1, 2) for targets with "
                "zeros."
            )

    _block = staticmethod(_half_gamma_block)


class Tweedie(_LogLinkDeviance):
    """Tweedie half deviance with ŷ = exp(z), averaged over outputs.

    As scikit-learn's ``HalfTweedieLoss`` plus the constant it skips (0 at a
    perfect fit): ½(y − ŷ)² for power 0 (with the log link), the Poisson
    half deviance for 1, the Gamma one for 2, and otherwise
    y^{2−p}/((1−p)(2−p)) − y·ŷ^{1−p}/(1−p) + ŷ^{2−p}/(2−p); the gradient is
    ŷ^{1−p}·(ŷ − y). Powers in (0, 1) have no Tweedie distribution and are
    refused. Targets: any for power 0, y ≥ 0 for power in [1, 2), y > 0 for
    power ≥ 2. The best constant is the log of the weighted mean; the score
    is R² of ŷ.

    Parameters
    ----------
    power : float, default=0.0
        0, or ≥ 1.
    """

    name = "tweedie"

    def __init__(self, power=0.0):
        power = _real(power, "power")
        if not (power == 0.0 or 1.0 <= power < np.inf):
            raise ValueError(
                f"power must be 0 or a finite float >= 1 for loss='tweedie' (no "
                f"Tweedie distribution has a power in (0, 1)), got {power!r}."
            )
        self.power = power

    @classmethod
    def from_params(cls, params):
        return cls(power=params.get("power", 0.0))

    @property
    def deviance_power(self):
        return self.power

    def check_targets(self, y):
        power = self.power
        y = np.asarray(y)
        if 1.0 <= power < 2.0 and not (y >= 0).all():
            raise ValueError(
                f"loss='tweedie' with power={power} requires non-negative y "
                "(y >= 0 for power in [1, 2)); y has negative values."
            )
        if power >= 2.0 and not (y > 0).all():
            raise ValueError(
                f"loss='tweedie' with power={power} requires positive y (y > 0 "
                "for power >= 2); y has zero or negative values."
            )

    def _block(self, raw, y, sample_weight, grad, grad_scale, scratch=None):
        p = self.power
        if p == 1.0:
            return Poisson._block(raw, y, sample_weight, grad, grad_scale, scratch)
        if p == 2.0:
            return _half_gamma_block(raw, y, sample_weight, grad, grad_scale, scratch)
        k = raw.shape[1]
        y = _contiguous(y, raw.dtype)
        if p == 0.0:
            # ½(ŷ − y)², gradient ŷ·(ŷ − y)
            mean = np.exp(raw, out=grad)
            residual = np.subtract(mean, y, out=scratch)
            grad *= residual
            residual *= residual
            if sample_weight is None:
                total = 0.5 * float(residual.sum())
            else:
                total = 0.5 * _weighted_sum(residual, sample_weight)
            _scale_rows(grad, sample_weight, grad_scale / k)
            return total / k
        # ŷ^{2−p} and ŷ^{1−p} as exp((2−p)z), exp((1−p)z): never 0·inf
        power_2 = np.multiply(raw, 2.0 - p, out=scratch)
        np.exp(power_2, out=power_2)
        y_power_1 = np.multiply(raw, 1.0 - p, out=grad)
        np.exp(y_power_1, out=y_power_1)
        y_power_1 *= y
        loss = np.power(y, 2.0 - p)  # one block-sized temporary
        loss *= 1.0 / (2.0 - p)
        loss -= y_power_1
        loss *= 1.0 / (1.0 - p)
        np.subtract(power_2, y_power_1, out=grad)  # ŷ^{2−p} − y·ŷ^{1−p}
        power_2 *= 1.0 / (2.0 - p)
        loss += power_2
        if sample_weight is None:
            total = float(loss.sum())
        else:
            total = _weighted_sum(loss, sample_weight)
        _scale_rows(grad, sample_weight, grad_scale / k)
        return total / k


class GaussianNLL(Loss):
    """Gaussian negative log-likelihood with a learned variance, averaged over targets.

    The raw output holds, for k targets, first the k means μ (identity
    link), then the k log-variances s = log σ² (log link):
    ℓ = ½(s + (y − μ)²·e^{−s}), the Gaussian NLL up to the constant
    ½ log 2π, with gradients −(y − μ)·e^{−s} in μ and ½(1 − (y − μ)²·e^{−s})
    in s. ``predict`` gives the means, ``predict_std`` σ = exp(s/2). The
    best constant is the weighted mean and the log of the weighted
    (biased) variance; the score is R² of the means. A variance driven to
    0 overflows e^{−s}: a non-finite loss, which the training loop treats
    as divergence.
    """

    name = "gaussian_nll"
    out_activation = "identity"

    def n_raw_outputs(self, n_targets):
        """A mean and a log-variance per target."""
        return 2 * n_targets

    def variance_outputs(self, n_targets):
        """The log-variance columns, after the ``n_targets`` means."""
        return slice(n_targets, 2 * n_targets)

    def predict(self, raw):
        """The means, ``raw[:, :k]``."""
        return raw[:, : raw.shape[1] // 2]

    def predict_std(self, raw):
        """The standard deviations exp(s / 2), from ``raw[:, k:]``."""
        return np.exp(raw[:, raw.shape[1] // 2 :] / 2)

    @staticmethod
    def _block(raw, y, sample_weight, grad, grad_scale, scratch=None):
        k = raw.shape[1] // 2
        y = _contiguous(y, raw.dtype)
        if scratch is None:
            scratch = np.empty_like(raw)
        log_var = raw[:, k:]
        grad_mean, grad_log_var = grad[:, :k], grad[:, k:]
        residual = np.subtract(raw[:, :k], y, out=grad_mean)  # μ − y
        precision = np.negative(log_var, out=grad_log_var)
        np.exp(precision, out=precision)  # e^{−s}
        scaled = np.multiply(residual, precision, out=scratch[:, :k])
        squared = np.multiply(scaled, residual, out=scratch[:, k:])  # r²e^{−s}
        np.copyto(grad_mean, scaled)
        np.subtract(1.0, squared, out=grad_log_var)
        grad_log_var *= 0.5
        loss = np.add(log_var, squared, out=scratch[:, k:])
        if sample_weight is None:
            total = 0.5 * float(loss.sum())
        else:
            total = 0.5 * _weighted_sum(loss, sample_weight)
        _scale_rows(grad, sample_weight, grad_scale / k)
        return total / k

    def best_constant(self, Y, sample_weight):
        """The weighted mean of each column, then the log of its weighted variance.

        The variance is floored at 1e-12 of the column's weighted mean
        square (at 1 for an all-zero column), so that e^{−s} stays finite in
        float32.
        """
        means, variances = [], []
        for column in _columns(Y):
            mean = np.average(column, weights=sample_weight)
            means.append(mean)
            variances.append(np.average((column - mean) ** 2, weights=sample_weight))
        return self._constant_of_moments(np.array(means), np.array(variances))

    def constant_summary(self, Y, sample_weight):
        """The weighted sums of each column and of its square."""
        columns = _columns(Y)
        if sample_weight is None:
            sample_weight = np.ones(len(columns[0]))
        return np.array(
            [sample_weight @ c for c in columns]
            + [sample_weight @ (c * c) for c in columns]
        )

    def combined_constant(self, summaries, weights):
        totals = np.sum(summaries, axis=0) / float(np.sum(weights))
        k = totals.size // 2
        means = totals[:k]
        return self._constant_of_moments(means, np.maximum(totals[k:] - means**2, 0.0))

    @staticmethod
    def _constant_of_moments(means, variances):
        """(means, log variances), each variance floored (see best_constant)."""
        squares = variances + means**2
        floored = np.where(squares > 0, np.maximum(variances, 1e-12 * squares), 1.0)
        return np.concatenate([means, np.log(floored)])

    def inverse_link(self, raw):
        """The means and the variances e^{s}: (n, 2k)."""
        k = raw.shape[1] // 2
        return np.concatenate([raw[:, :k], np.exp(raw[:, k:])], axis=1)

    def link(self, mean):
        """Means and variances (…, 2k) to means and log-variances."""
        mean = np.asarray(mean, dtype=float)
        k = mean.shape[-1] // 2
        return np.concatenate(
            [mean[..., :k], np.log(np.maximum(mean[..., k:], 1e-300))], axis=-1
        )


LOSSES = {
    cls.name: cls
    for cls in (
        SquaredError,
        Poisson,
        BinaryLogLoss,
        SoftmaxCrossEntropy,
        AbsoluteError,
        Quantile,
        Huber,
        Gamma,
        Tweedie,
        GaussianNLL,
    )
}


def make_loss(spec):
    """The loss :meth:`Loss.spec` describes."""
    fields = dict(spec)
    return LOSSES[fields.pop("name")](**fields)


REGRESSION_LOSSES = tuple(
    name for name, cls in LOSSES.items() if cls.kind == "regression"
)
