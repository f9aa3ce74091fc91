"""Losses as negative log-likelihoods, on raw scores, keyed by name.

:data:`LOSSES` maps each loss's ``name`` to its class (as scikit-learn's
``_loss`` package); :data:`REGRESSION_LOSSES` names those a regressor's
``loss`` parameter may take. Besides its value and gradient, a loss knows
everything the estimators need about it, so that nothing else branches on
a concrete loss (see :class:`Loss`): its link (``out_activation``,
``link``, ``inverse_link``), whether it is ``differentiable`` (L-BFGS needs
a smooth objective), the valid targets (``check_targets``), the constant
that fits the targets best (``best_constant``, the intercept's start) and
the default validation score (``score``); the log-losses add ``log_proba``.

Each loss works on the raw model output ``raw`` of shape (n_samples,
n_outputs) and a target ``y`` of the same shape (one-hot or 0/1 indicator
columns for the classifiers). ``value_grad`` returns the weighted sum
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

import numpy as np
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
    """

    name = None
    out_activation = None
    kind = "regression"
    differentiable = True
    # Half a pseudo-observation (this much target on this much weight) added
    # to the mean that ``best_constant`` takes the link of: 0 for none.
    _prior_total = 0.0
    _prior_weight = 0.0

    @classmethod
    def from_params(cls, params):
        """The loss from the estimator's parameters (a mapping); the losses
        with parameters of their own read them."""
        return cls()

    def spec(self):
        """Plain data naming the loss and its settings: what a fitted model
        keeps, and what :func:`make_loss` rebuilds the loss from."""
        return {"name": self.name, **vars(self)}

    def n_raw_outputs(self, n_targets):
        """Raw output columns the model needs for ``n_targets`` targets."""
        return n_targets

    def variance_outputs(self, n_targets):
        """The raw columns that model a variance (None: none do)."""
        return None

    def predict(self, raw):
        """The prediction from raw scores: the inverse link."""
        return self.inverse_link(raw)

    def predict_std(self, raw):
        """A standard deviation per prediction, for the losses that model one."""
        raise ValueError(
            f"loss={self.name!r} predicts no standard deviation: return_std=True "
            "needs loss='gaussian_nll'."
        )

    def value_grad(self, raw, y, sample_weight, grad, grad_scale=1.0):
        """Σ_i s_i ℓ_i, writing c·s_i ∇_z ℓ_i into ``grad`` (module docstring).

        Large inputs, and a ``grad`` that is ``raw`` itself, go through
        ``_block`` a row block at a time; small ones in one call.
        """
        if raw.size > BLOCK or grad is raw:
            return _by_blocks(self._block, raw, y, sample_weight, grad, grad_scale)
        return self._block(raw, y, sample_weight, grad, grad_scale)

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
        if sample_weight is None:
            total = Y.sum(axis=0)
        else:
            total = np.array([sample_weight @ column for column in Y.T])
        weight = len(Y) if sample_weight is None else sample_weight.sum()
        if self._prior_weight:
            mean = (total + self._prior_total) / (weight + self._prior_weight)
        else:
            mean = total / weight
        return self.link(mean)

    def score(self, raw, Y, sample_weight):
        """Default validation score (higher is better) of raw scores against Y.

        Regression losses: R² of the predictions ``inverse_link(raw)``
        (uniform average over outputs), computed in float64: the squares of
        float32 targets beyond ~1e19 overflow, and R² = NaN.
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


LOSSES = {
    cls.name: cls for cls in (SquaredError, Poisson, BinaryLogLoss, SoftmaxCrossEntropy)
}


def make_loss(spec):
    """The loss :meth:`Loss.spec` describes."""
    fields = dict(spec)
    return LOSSES[fields.pop("name")](**fields)


REGRESSION_LOSSES = tuple(
    name for name, cls in LOSSES.items() if cls.kind == "regression"
)
