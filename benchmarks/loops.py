"""Hand-written training loops used as reference contenders.

- :class:`NumpyMiniBatchLinear`: a straightforward NumPy mini-batch loop for
  the linear workloads (shuffle, gather a batch, gradient, Adam step), the
  "numpy-loop"; with ``batches="strided"`` the leanest loop we
  could write in NumPy instead ("numpy-floor"): strided batch views (fixed
  batches, no gather: not a true shuffle), preallocated buffers, in-place
  Adam, no loss value, a floor for what any NumPy implementation of these
  steps costs.
- :class:`SparseSGDFloor`: the same kind of floor for plain SGD on sparse
  rows ("numpy-sparse-floor"): strided CSR row slices, scipy's product,
  ``np.add.at`` into the touched weights, L2 as a scale of the weights.
- :class:`TorchMLPRegressor`: a plain PyTorch CPU loop (``nn.Sequential`` of
  ``Linear``/``ReLU``, ``torch.optim.Adam``), imported only when torch is.

Both have the small estimator surface the harness uses: ``fit`` (``max_iter``
epochs), ``partial_fit`` (one epoch), ``predict`` / ``predict_proba``,
``classes_`` and ``n_iter_``.
"""

import numpy as np
from scipy.special import expit, softmax


class NumpyMiniBatchLinear:
    """Linear model, squared error / log-loss / softmax cross-entropy, Adam.

    The gradient of a batch B is (1/|B|)·Σ_B ∇ℓ_i + (alpha/n)·W, sgdlearn's
    objective (alpha on the sum scale, intercepts not penalised). Parameters
    live in one flat vector ``theta`` (W then b) so that Adam is a handful of
    in-place calls per batch.
    """

    def __init__(
        self,
        task,
        *,
        alpha=0.0,
        learning_rate_init=0.01,
        batch_size=256,
        max_iter=1,
        random_state=0,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        batches="gather",
    ):
        self.task = task
        self.batches = batches
        self.alpha = alpha
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.random_state = random_state
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    # -- public surface -------------------------------------------------------

    def fit(self, X, y):
        self._start(X, y, None)
        Y = self._encode(y)
        for _ in range(self.max_iter):
            self._epoch(X, Y)
        self.n_iter_ = self.max_iter
        return self

    def partial_fit(self, X, y, classes=None):
        if not hasattr(self, "theta_"):
            self._start(X, y, classes)
        self._epoch(X, self._encode(y))
        self.n_iter_ = 1
        return self

    def predict(self, X):
        raw = self._raw(X)
        if self.task == "regression":
            return raw.ravel()
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def predict_proba(self, X):
        raw = self._raw(X)
        if self.task == "binary":
            p = expit(raw.ravel())
            return np.column_stack([1.0 - p, p])
        return softmax(raw, axis=1)

    # -- the loop -------------------------------------------------------------

    def _start(self, X, y, classes):
        if self.task != "regression":
            self.classes_ = np.unique(y) if classes is None else np.asarray(classes)
        n_out = len(self.classes_) if self.task == "multiclass" else 1
        n_features = X.shape[1]
        self.n_coef_ = n_features * n_out
        self.theta_ = np.zeros(self.n_coef_ + n_out, dtype=X.dtype)
        self.coef_ = self.theta_[: self.n_coef_].reshape(n_features, n_out)
        self.intercept_ = self.theta_[self.n_coef_ :]
        self._grad = np.zeros_like(self.theta_)
        self._grad_coef = self._grad[: self.n_coef_].reshape(n_features, n_out)
        self._m = np.zeros_like(self.theta_)
        self._v = np.zeros_like(self.theta_)
        self._step = 0
        self._rng = np.random.default_rng(self.random_state)

    def _encode(self, y):
        if self.task == "regression":
            return np.asarray(y, dtype=self.theta_.dtype).reshape(-1, 1)
        if self.task == "binary":
            return (y == self.classes_[1]).astype(self.theta_.dtype).reshape(-1, 1)
        return (y[:, None] == self.classes_[None, :]).astype(self.theta_.dtype)

    def _raw(self, X):
        return X @ self.coef_ + self.intercept_

    def _raw_gradient(self, raw, Y):
        """∂ℓ/∂raw for each row of the batch, in place in ``raw``."""
        if self.task == "binary":
            expit(raw, out=raw)
        elif self.task == "multiclass":
            raw -= raw.max(axis=1, keepdims=True)
            np.exp(raw, out=raw)
            raw /= raw.sum(axis=1, keepdims=True)
        raw -= Y
        return raw

    def _epoch(self, X, Y):
        if self.batches == "strided":
            return self._strided_epoch(X, Y)
        n = X.shape[0]
        decay = self.alpha / n
        order = self._rng.permutation(n)
        for start in range(0, n, self.batch_size):
            rows = order[start : start + self.batch_size]
            X_batch = X[rows]
            delta = self._raw_gradient(X_batch @ self.coef_ + self.intercept_, Y[rows])
            delta /= len(rows)
            np.matmul(X_batch.T, delta, out=self._grad_coef)
            self._grad_coef += decay * self.coef_
            self._grad[self.n_coef_ :] = delta.sum(axis=0)
            self._adam_step()

    def _strided_epoch(self, X, Y):
        """Batch k holds rows k, k + q, k + 2q, … (views), in a random order."""
        n = X.shape[0]
        q = -(-n // self.batch_size)
        decay = self.alpha / n
        raw = np.empty((self.batch_size, Y.shape[1]), dtype=X.dtype)
        tmp, denom = np.empty_like(self.theta_), np.empty_like(self.theta_)
        grad_intercept = self._grad[self.n_coef_ :]
        coef, grad_coef = self.theta_[: self.n_coef_], self._grad[: self.n_coef_]
        tmp_coef = tmp[: self.n_coef_]
        b1, b2, m, v = self.beta_1, self.beta_2, self._m, self._v
        for k in self._rng.permutation(q):
            X_batch, Y_batch = X[k::q], Y[k::q]
            delta = np.matmul(X_batch, self.coef_, out=raw[: len(X_batch)])
            delta += self.intercept_
            delta = self._raw_gradient(delta, Y_batch)
            delta *= q / n
            np.matmul(X_batch.T, delta, out=self._grad_coef)
            np.multiply(coef, decay, out=tmp_coef)
            grad_coef += tmp_coef
            np.add.reduce(delta, axis=0, out=grad_intercept)
            self._step += 1
            m *= b1
            m += np.multiply(self._grad, 1.0 - b1, out=tmp)
            np.multiply(self._grad, self._grad, out=tmp)
            tmp *= 1.0 - b2
            v *= b2
            v += tmp
            lr = (
                self.learning_rate_init
                * np.sqrt(1.0 - b2**self._step)
                / (1.0 - b1**self._step)
            )
            np.sqrt(v, out=denom)
            denom += self.epsilon
            np.divide(m, denom, out=tmp)
            tmp *= lr
            self.theta_ -= tmp

    def _adam_step(self):
        self._step += 1
        b1, b2 = self.beta_1, self.beta_2
        self._m *= b1
        self._m += (1.0 - b1) * self._grad
        self._v *= b2
        self._v += (1.0 - b2) * self._grad**2
        lr = (
            self.learning_rate_init
            * np.sqrt(1.0 - b2**self._step)
            / (1.0 - b1**self._step)
        )
        self.theta_ -= lr * self._m / (np.sqrt(self._v) + self.epsilon)


class SparseSGDFloor:
    """Plain SGD on CSR rows, binary log-loss, the leanest loop we could write.

    Per batch: the strided rows (a scipy slice), their product with the
    weights, the log-loss gradient (no loss value), and ``np.add.at`` of the
    entries' gradients into the weights, which are kept as scale × V so
    that the L2 step only changes the scale.
    """

    def __init__(self, *, alpha=0.0, learning_rate_init=0.01, batch_size=256,
                 max_iter=1, random_state=0):  # fmt: skip
        self.alpha = alpha
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y):
        self.partial_fit(X, y)
        for _ in range(self.max_iter - 1):
            self._epoch(X, self._y)
        self.n_iter_ = self.max_iter
        return self

    def partial_fit(self, X, y, classes=None):
        if not hasattr(self, "coef_"):
            self.classes_ = np.unique(y) if classes is None else np.asarray(classes)
            self.coef_ = np.zeros(X.shape[1])
            self.intercept_ = 0.0
            self._rng = np.random.default_rng(self.random_state)
        self._y = (y == self.classes_[1]).astype(np.float64)
        self._epoch(X, self._y)
        self.n_iter_ = 1
        return self

    def predict_proba(self, X):
        p = expit(X @ self.coef_ + self.intercept_)
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        return self.classes_[(X @ self.coef_ + self.intercept_ > 0).astype(int)]

    def _epoch(self, X, y):
        n = X.shape[0]
        q = -(-n // self.batch_size)
        lr = self.learning_rate_init
        decay = 1.0 - lr * self.alpha / n
        scale, weights = 1.0, self.coef_
        for k in self._rng.permutation(q):
            batch = X[k::q]
            delta = expit(scale * (batch @ weights) + self.intercept_)
            delta -= y[k::q]
            delta *= q / n
            rows = np.repeat(np.arange(batch.shape[0]), np.diff(batch.indptr))
            entries = delta[rows]
            entries *= batch.data
            scale *= decay
            entries *= -lr / scale
            np.add.at(weights, batch.indices.astype(np.intp), entries)
            self.intercept_ -= lr * delta.sum()
        weights *= scale


class TorchMLPRegressor:
    """A plain PyTorch CPU loop: nn.Sequential(Linear, ReLU, …), Adam, MSE/2.

    Weight decay ``penalty_per_sample`` is added to the weights' gradients
    (not the biases'), the per-batch penalty of sgdlearn and scikit-learn.
    The network's dtype follows X (float32 or float64); X and y are shared
    with NumPy through ``torch.from_numpy`` (no copy).
    """

    def __init__(
        self,
        hidden_layer_sizes=(256, 128),
        *,
        penalty_per_sample=0.0,
        learning_rate_init=1e-3,
        batch_size=256,
        max_iter=1,
        random_state=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.penalty_per_sample = penalty_per_sample
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y):
        self._start(X)
        for _ in range(self.max_iter):
            self._epoch(X, y)
        self.n_iter_ = self.max_iter
        return self

    def partial_fit(self, X, y, classes=None):
        if not hasattr(self, "net_"):
            self._start(X)
        self._epoch(X, y)
        self.n_iter_ = 1
        return self

    def predict(self, X):
        import torch

        with torch.no_grad():
            return self.net_(torch.from_numpy(X)).numpy().ravel()

    def _start(self, X):
        import torch
        from torch import nn

        torch.manual_seed(self.random_state)
        sizes = [X.shape[1], *self.hidden_layer_sizes]
        layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(n_in, n_out), nn.ReLU()]
        layers.append(nn.Linear(sizes[-1], 1))
        dtype = torch.float32 if X.dtype == np.float32 else torch.float64
        self.net_ = nn.Sequential(*layers).to(dtype)
        weights = [p for name, p in self.net_.named_parameters() if "weight" in name]
        biases = [p for name, p in self.net_.named_parameters() if "bias" in name]
        self.optimizer_ = torch.optim.Adam(
            [
                {"params": weights, "weight_decay": self.penalty_per_sample},
                {"params": biases, "weight_decay": 0.0},
            ],
            lr=self.learning_rate_init,
        )
        self.generator_ = torch.Generator().manual_seed(self.random_state)

    def _epoch(self, X, y):
        import torch

        X_all = torch.from_numpy(X)
        y_all = torch.from_numpy(np.asarray(y, dtype=X.dtype)).reshape(-1, 1)
        order = torch.randperm(X.shape[0], generator=self.generator_)
        for start in range(0, X.shape[0], self.batch_size):
            rows = order[start : start + self.batch_size]
            X_batch, y_batch = X_all[rows], y_all[rows]
            self.optimizer_.zero_grad(set_to_none=True)
            loss = 0.5 * torch.mean((self.net_(X_batch) - y_batch) ** 2)
            loss.backward()
            self.optimizer_.step()
