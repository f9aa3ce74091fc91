"""First-order optimizers on the flat parameter vector.

Each optimizer owns its state arrays (allocated once, same shape and dtype
as ``theta``) and updates ``theta`` in place with ``step(theta, grad, lr)``.
``step_size(lr)`` gives the effective step of the last update (a scalar or
one value per parameter); ``prox(coef, penalty, lr, scale)`` then applies the
L1 part of the penalty as a soft-threshold scaled by it.

Update rules (g is the gradient, η the learning rate, t the step count):

- SGD:       v ← μ·v − η·g;  θ ← θ + v, or with Nesterov θ ← θ + μ·v − η·g
- Adagrad:   G ← G + g²;  θ ← θ − η·g / (√G + ε)
- RMSprop:   v ← ρ·v + (1 − ρ)·g²;  θ ← θ − η·g / (√v + ε)
- Adam:      m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
             θ ← θ − η·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε)

The L2 part of the penalty normally enters g. Adagrad instead applies it
as a proximal step after the update (composite mirror descent, Duchi, Hazan
& Singer, 2011): G accumulates the data gradient only and
θ ← θ / (1 + η·λ/(√G + ε)). The fixed points are the same optimum of J, and
a coordinate that no batch touches then just shrinks by a known factor per
step, which is what lets ``_lazy`` update sparse data lazily. SGD needs no
such change: its idle coordinates follow a linear recurrence already.

Adam's ε sits as in scikit-learn's MLP (added to √v before the bias
correction of v), not as in ``torch.optim.Adam`` (added after it): ours acts
like torch's ε/√(1 − β₂ᵗ), about 32 times torch's at the first step with
β₂ = 0.999, and the same as t grows.
"""

import numpy as np


class _Optimizer:
    # True: the L2 part of the penalty is left out of g and applied by prox
    prox_l2 = False

    def needs_prox(self, penalty):
        """Whether ``prox`` must follow each step under this penalty."""
        return penalty.has_l1 or (self.prox_l2 and penalty.l2 > 0)

    def prox(self, coef, penalty, lr, scale):
        """Apply the penalty's proximal step to the weights ``coef`` (θ's head)."""
        step = self.step_size(lr)
        if np.ndim(step):
            step = step[: coef.size]
        penalty.prox(coef, step * scale, with_l2=self.prox_l2)


class SGD(_Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum.

    With ``proximal=True`` (an L1 penalty) momentum is Polyak's heavy ball on
    the proximal step: θ ← prox(θ + μ·v − η·g) and v ← the displacement that
    was actually taken, shrinkage included. Its fixed points are the
    optimum of J; Nesterov's variant has no such simple proximal form, so it
    is not used then.
    """

    def __init__(self, n_params, dtype, momentum=0.0, nesterov=False, proximal=False):
        self.momentum = float(momentum)
        self.proximal = bool(proximal)
        self.nesterov = bool(nesterov) and self.momentum > 0 and not self.proximal
        self.velocity = np.zeros(n_params, dtype=dtype) if self.momentum else None

    def step(self, theta, grad, lr, part=slice(None)):
        """One update of ``theta``, the slice ``part`` of the parameters."""
        if self.velocity is None:
            theta -= lr * grad
            return
        v = self.velocity[part]
        v *= self.momentum
        v -= lr * grad
        if self.nesterov:
            theta += self.momentum * v
            theta -= lr * grad
        else:
            theta += v

    def step_size(self, lr):
        return lr

    def prox(self, coef, penalty, lr, scale):
        if self.velocity is None:
            penalty.prox(coef, lr * scale)
            return
        before = coef.copy()
        penalty.prox(coef, lr * scale)
        velocity = self.velocity[: coef.size]
        velocity += coef
        velocity -= before


class _RootScaled(_Optimizer):
    """Steps η·g / (√acc + ε), per parameter; subclasses accumulate g² in acc."""

    def __init__(self, n_params, dtype, epsilon=1e-8):
        self.epsilon = float(epsilon)
        self.acc = np.zeros(n_params, dtype=dtype)
        self._denom = np.empty(n_params, dtype=dtype)
        self._tmp = np.empty(n_params, dtype=dtype)

    def step(self, theta, grad, lr, part=slice(None)):
        """One update of ``theta``, the slice ``part`` of the parameters."""
        tmp, acc, denom = self._tmp[part], self.acc[part], self._denom[part]
        self._accumulate(acc, np.multiply(grad, grad, out=tmp))
        np.sqrt(acc, out=denom)
        denom += self.epsilon
        np.divide(grad, denom, out=tmp)
        tmp *= lr
        theta -= tmp

    def step_size(self, lr):
        return lr / self._denom


class Adagrad(_RootScaled):
    """Adagrad: acc is the sum of all squared gradients, so steps only shrink.

    The L2 penalty is applied by ``prox`` (module docstring).
    """

    prox_l2 = True

    def _accumulate(self, acc, grad_sq):
        acc += grad_sq


class RMSprop(_RootScaled):
    """RMSprop: acc is a running mean of squared gradients with decay ρ."""

    def __init__(self, n_params, dtype, rho=0.9, epsilon=1e-8):
        super().__init__(n_params, dtype, epsilon)
        self.rho = float(rho)

    def _accumulate(self, acc, grad_sq):
        grad_sq *= 1.0 - self.rho
        acc *= self.rho
        acc += grad_sq


class Adam(_Optimizer):
    """Adam (Kingma & Ba, 2015) with scikit-learn's placement of ε."""

    def __init__(self, n_params, dtype, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.t = 0
        self.m = np.zeros(n_params, dtype=dtype)
        self.v = np.zeros(n_params, dtype=dtype)
        self._denom = np.empty(n_params, dtype=dtype)
        self._tmp = np.empty(n_params, dtype=dtype)
        self._lr_t = 0.0

    def step(self, theta, grad, lr):
        self.t += 1
        tmp = self._tmp
        self.m *= self.beta_1
        self.m += np.multiply(grad, 1.0 - self.beta_1, out=tmp)
        np.multiply(grad, grad, out=tmp)
        tmp *= 1.0 - self.beta_2
        self.v *= self.beta_2
        self.v += tmp
        self._lr_t = (
            lr * np.sqrt(1.0 - self.beta_2**self.t) / (1.0 - self.beta_1**self.t)
        )
        np.sqrt(self.v, out=self._denom)
        self._denom += self.epsilon
        np.divide(self.m, self._denom, out=tmp)
        tmp *= self._lr_t
        theta -= tmp

    def step_size(self, lr):
        return self._lr_t / self._denom


def make_optimizer(solver, n_params, dtype, params, proximal=False):
    """Build the optimizer named ``solver`` from the estimator's ``params`` dict.

    ``proximal`` says an L1 penalty will follow each step with ``prox``.
    """
    if solver == "sgd":
        return SGD(
            n_params,
            dtype,
            params["momentum"],
            params["nesterovs_momentum"],
            proximal=proximal,
        )
    if solver == "adagrad":
        return Adagrad(n_params, dtype, params["epsilon"])
    if solver == "rmsprop":
        return RMSprop(n_params, dtype, params["rho"], params["epsilon"])
    if solver == "adam":
        return Adam(
            n_params, dtype, params["beta_1"], params["beta_2"], params["epsilon"]
        )
    raise ValueError(f"{solver!r} is not a first-order solver")
