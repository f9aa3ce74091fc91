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

Every optimizer has the same interface: ``from_params(n_params, dtype,
params, proximal)`` builds it from the estimator's parameters (each class
reads its own keys), ``step(theta, grad, lr, part=slice(None))`` updates
``theta`` in place, where ``theta`` and ``grad`` are the slice ``part`` of
the flat parameters (the state arrays are sliced alike), and
``lazy_weights(coef, lr, lam, n_steps)`` answers the lazy sparse steps of
``_lazy``: an object that maps a weight no batch touches over k idle
steps in closed form, or None when there is none (RMSprop and Adam decay
their moments at every step from the squared gradient history). The
objects it returns have this interface:

- ``tracks_idle_steps``: whether ``catch_up`` must bring idle weights up to
  date (plain SGD instead keeps θ = scale·V, and SGD with momentum, where
  it can, two such scaled vectors, and they need no bookkeeping);
- ``outputs_into(batch, out)``: ``out[...] = X_B θ`` for a ``_csr.CSRBatch``
  whose weights are up to date; returns ``out`` of shape (rows, outputs);
- ``catch_up(where, idle_steps)``: apply ``idle_steps`` idle steps to the
  weights at the flat positions ``where``; return their current values;
- ``step(where, current, add_gradient, grad_buffer)``: one data step of
  the weights at the flat positions ``where`` (each once; None when idle
  steps are not tracked), where ``add_gradient(target,
  factor)`` adds ``factor`` times the batch's data gradient of the weights
  (zero off ``where``) into a flat array of their shape, and
  ``grad_buffer`` is such an array, zero, to be left zero;
- ``finish(idle_steps)``: bring every weight up to date (θ in ``coef``).

``OPTIMIZERS`` maps each solver name to its class; ``make_optimizer``
looks it up.

Adam's ε sits as in scikit-learn's MLP (added to √v before the bias
correction of v), not as in ``torch.optim.Adam`` (added after it): ours acts
like torch's ε/√(1 − β₂ᵗ), about 32 times torch's at the first step with
β₂ = 0.999, and the same as t grows.
"""

import numpy as np


class _Optimizer:
    # True: the L2 part of the penalty is left out of g and applied by prox
    prox_l2 = False

    @classmethod
    def from_params(cls, n_params, dtype, params, proximal=False):
        """The optimizer for ``n_params`` parameters of ``dtype``, with the
        settings it reads from the estimator's ``params`` mapping.

        ``proximal`` says an L1 penalty will follow each step with ``prox``.
        """
        raise NotImplementedError

    def lazy_weights(self, coef, lr, lam, n_steps):
        """The closed form of this optimizer's idle steps for ``_lazy``
        (module docstring), or None: no closed form, take dense steps.

        ``coef`` is θ's head (the weights), ``lr`` the epoch's constant
        rate, ``lam`` the L2 strength per sample and ``n_steps`` the
        epoch's number of steps.
        """
        return None

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

    @classmethod
    def from_params(cls, n_params, dtype, params, proximal=False):
        return cls(
            n_params,
            dtype,
            params["momentum"],
            params["nesterovs_momentum"],
            proximal=proximal,
        )

    def lazy_weights(self, coef, lr, lam, n_steps):
        if self.velocity is None:
            return _PlainSGDWeights(coef, lr, lam)
        idle, data_step = self._lazy_map(lr, lam)
        velocity = self.velocity[: coef.size]
        modes = _MomentumSGDModes.eigenbasis(idle)
        if modes is not None:
            return _MomentumSGDModes(coef, velocity, *modes, data_step)
        return _MomentumSGDWeights(coef, velocity, idle, data_step, n_steps)

    def _lazy_map(self, lr, lam):
        """(A, c): a step of (θ, v) is (θ, v) ← A·(θ, v) + c·g for the data
        gradient g at θ (penalty left out), at rate ``lr`` and L2 strength
        ``lam``: for heavy ball v ← μv − η(g + λθ), θ ← θ + v, and for
        Nesterov θ ← θ + μv' − η(g + λθ) with v' the new velocity."""
        mu, decay = self.momentum, lr * lam
        if self.nesterov:
            idle = [[1.0 - decay * (1.0 + mu), mu * mu], [-decay, mu]]
            return np.array(idle), np.array([-lr * (1.0 + mu), -lr])
        return np.array([[1.0 - decay, mu], [-decay, mu]]), np.array([-lr, -lr])

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

    @classmethod
    def from_params(cls, n_params, dtype, params, proximal=False):
        return cls(n_params, dtype, params["epsilon"])

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

    def lazy_weights(self, coef, lr, lam, n_steps):
        return _AdagradWeights(self, coef, lr, lam)

    def _accumulate(self, acc, grad_sq):
        acc += grad_sq


class RMSprop(_RootScaled):
    """RMSprop: acc is a running mean of squared gradients with decay ρ."""

    def __init__(self, n_params, dtype, rho=0.9, epsilon=1e-8):
        super().__init__(n_params, dtype, epsilon)
        self.rho = float(rho)

    @classmethod
    def from_params(cls, n_params, dtype, params, proximal=False):
        return cls(n_params, dtype, params["rho"], params["epsilon"])

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

    @classmethod
    def from_params(cls, n_params, dtype, params, proximal=False):
        return cls(
            n_params, dtype, params["beta_1"], params["beta_2"], params["epsilon"]
        )

    def step(self, theta, grad, lr, part=slice(None)):
        """One update of ``theta``, the slice ``part`` of the parameters.

        The step count t (of the bias corrections) advances once per call:
        a step of θ in several parts would count as several steps, so Adam
        is always stepped on the whole θ (it takes no lazy steps).
        """
        self.t += 1
        m, v, denom, tmp = (
            self.m[part],
            self.v[part],
            self._denom[part],
            self._tmp[part],
        )
        m *= self.beta_1
        m += np.multiply(grad, 1.0 - self.beta_1, out=tmp)
        np.multiply(grad, grad, out=tmp)
        tmp *= 1.0 - self.beta_2
        v *= self.beta_2
        v += tmp
        self._lr_t = (
            lr * np.sqrt(1.0 - self.beta_2**self.t) / (1.0 - self.beta_1**self.t)
        )
        np.sqrt(v, out=denom)
        denom += self.epsilon
        np.divide(m, denom, out=tmp)
        tmp *= self._lr_t
        theta -= tmp

    def step_size(self, lr):
        return self._lr_t / self._denom


# -- the closed forms of idle steps, for the lazy sparse steps of ``_lazy`` --
# (the interface is in the module docstring; each class is returned by its
# optimizer's ``lazy_weights``)


class _PlainSGDWeights:
    """Plain SGD: θ ← (1 − ηλ)·θ − η·g, kept as θ = scale·V.

    The idle step only multiplies ``scale``; a data step adds −η·g/scale to
    V at the batch's positions (scikit-learn's SGD keeps its weights the
    same way). ``coef`` holds V during the epoch and θ again after
    ``finish``.
    """

    tracks_idle_steps = False  # so ``catch_up`` is never called

    def __init__(self, coef, lr, lam):
        self.coef = coef
        self.lr = lr
        self.decay = 1.0 - lr * lam
        self.scale = 1.0

    def outputs_into(self, batch, out):
        batch.product_into(self.coef, out)
        out *= self.scale
        return out

    def step(self, where, current, add_gradient, grad_buffer):
        self.scale *= self.decay
        add_gradient(self.coef, -self.lr / self.scale)
        if self.scale < 1e-9:  # fold the scale in before V grows too large
            self.finish(None)

    def finish(self, idle_steps):
        self.coef *= self.scale
        self.scale = 1.0


class _CaughtUpWeights:
    """Weights whose idle steps ``catch_up`` applies before a batch uses
    them, so ``coef`` holds the batch's θ."""

    tracks_idle_steps = True

    def outputs_into(self, batch, out):
        return batch.product_into(self.coef, out)


class _MomentumSGDWeights(_CaughtUpWeights):
    """SGD with (Nesterov) momentum on weights at flat positions of θ's head,
    idle steps applied from a table of A^k (``SGD._lazy_map`` gives A and
    the data step's factors c; see also :class:`_MomentumSGDModes`).
    """

    def __init__(self, coef, velocity, idle, data_step, n_steps):
        self.coef, self.velocity = coef, velocity
        self.idle = idle.tolist()
        self.coef_step, self.velocity_step = data_step.tolist()
        powers = np.empty((n_steps + 1, 2, 2))
        powers[0] = np.eye(2)
        for k in range(n_steps):
            powers[k + 1] = idle @ powers[k]
        # the four entries of A^k, k = 0 … n_steps, each as an array in θ's dtype
        self.powers = [
            [np.ascontiguousarray(powers[:, i, j], dtype=coef.dtype) for j in (0, 1)]
            for i in (0, 1)
        ]

    def catch_up(self, where, idle_steps):
        """Apply ``idle_steps`` idle steps to the weights at ``where``;
        return their new values (θ, v)."""
        (a, b), (c, d) = self.powers
        theta_before, v = self.coef[where], self.velocity[where]
        theta = a[idle_steps] * theta_before
        theta += b[idle_steps] * v
        v *= d[idle_steps]
        v += c[idle_steps] * theta_before
        self.coef[where] = theta
        self.velocity[where] = v
        return theta, v

    def step(self, where, current, add_gradient, grad_buffer):
        """One data step of the weights at ``where`` (values ``current``)
        with the batch's gradient (``add_gradient``)."""
        theta, v = current
        (a, b), (c, d) = self.idle
        new_v = d * v
        new_v += c * theta
        theta *= a
        theta += b * v
        self.velocity[where] = new_v
        self.coef[where] = theta
        add_gradient(self.velocity, self.velocity_step)
        add_gradient(self.coef, self.coef_step)

    def finish(self, idle_steps):
        self.catch_up(slice(None), idle_steps)


class _MomentumSGDModes:
    """SGD with (Nesterov) momentum, in the eigenbasis of its idle map.

    When A = P·diag(λ₁, λ₂)·P⁻¹ with real, well separated eigenvalues (the
    usual case: λ₁ ≈ 1 − ηλ/(1 − μ), λ₂ ≈ μ for a small ηλ), the modes
    (u₁, u₂) = P⁻¹(θ, v) step independently: u_i ← λ_i·u_i + β_i·g with
    β = P⁻¹c. Each mode is kept as u_i = s_i·U_i, as plain SGD keeps θ, so
    an idle step only multiplies the two scales and no weight needs
    catching up: a step costs two products with the batch and two
    transposed ones. U₁ lives in ``coef`` and U₂ in the velocity's head
    during the epoch; ``finish`` turns them back into θ and v.
    """

    tracks_idle_steps = False  # so ``catch_up`` is never called
    MAX_CONDITION = 1e3  # of P: beyond it, the table of A^k
    MIN_EIGENVALUE = 1e-3  # |λ_i|: a scale must not vanish in a few steps

    @classmethod
    def eigenbasis(cls, idle):
        """(eigenvalues, P) of A = ``idle`` if they are real, both of
        magnitude at least MIN_EIGENVALUE, and P's condition is at most
        MAX_CONDITION; else None (then :class:`_MomentumSGDWeights`)."""
        eigenvalues, basis = np.linalg.eig(idle)
        if (
            np.isrealobj(eigenvalues)
            and np.abs(eigenvalues).min() >= cls.MIN_EIGENVALUE
            and np.linalg.cond(basis) <= cls.MAX_CONDITION
        ):
            return eigenvalues, basis
        return None

    def __init__(self, coef, velocity, eigenvalues, basis, data_step):
        self.coef, self.velocity = coef, velocity
        self.eigenvalues = eigenvalues.tolist()
        self.basis = basis.tolist()  # P: (θ, v) = P·(u₁, u₂)
        inverse = np.linalg.inv(basis)
        self.data_step = (inverse @ data_step).tolist()  # β
        self.scales = [1.0, 1.0]
        self._transform(inverse.tolist())  # coef, velocity ← U₁, U₂
        self._second = None  # X_B U₂, for ``outputs_into``

    def _transform(self, matrix):
        """(coef, velocity) ← matrix·(coef, velocity), elementwise."""
        (a, b), (c, d) = matrix
        first = self.coef.copy()
        self.coef *= a
        self.coef += b * self.velocity
        self.velocity *= d
        self.velocity += c * first

    def outputs_into(self, batch, out):
        if self._second is None or self._second.shape[0] < out.shape[0]:
            self._second = np.empty_like(out)
        second = self._second[: out.shape[0]]
        batch.product_into(self.coef, out)
        batch.product_into(self.velocity, second)
        (p11, p12), _ = self.basis
        out *= p11 * self.scales[0]
        out += (p12 * self.scales[1]) * second
        return out

    def step(self, where, current, add_gradient, grad_buffer):
        for mode, target in enumerate((self.coef, self.velocity)):
            self.scales[mode] *= self.eigenvalues[mode]
            add_gradient(target, self.data_step[mode] / self.scales[mode])
            if not 1e-9 < abs(self.scales[mode]) < 1e9:  # fold it in
                target *= self.scales[mode]
                self.scales[mode] = 1.0

    def finish(self, idle_steps):
        self.coef *= self.scales[0]
        self.velocity *= self.scales[1]
        self.scales = [1.0, 1.0]
        self._transform(self.basis)


class _AdagradWeights(_CaughtUpWeights):
    """Adagrad with its proximal L2 on weights at flat positions of θ's head.

    The idle step divides θ by 1 + ηλ/(√G + ε); a data step accumulates the
    summed gradient of each position into G, steps, and divides likewise.
    """

    def __init__(self, optimizer, coef, lr, lam):
        self.coef = coef
        self.acc = optimizer.acc[: coef.size]
        self.epsilon = optimizer.epsilon
        self.lr = lr
        self.shrink = lr * lam  # θ ← θ / (1 + shrink / (√G + ε))

    def catch_up(self, where, idle_steps):
        theta = self.coef[where]
        if self.shrink:
            denom = np.sqrt(self.acc[where])
            denom += self.epsilon
            factor = np.divide(self.shrink, denom, out=denom)
            factor += 1.0
            theta *= factor ** -idle_steps.astype(theta.dtype)
            self.coef[where] = theta
        return theta

    def step(self, where, theta, add_gradient, grad_buffer):
        add_gradient(grad_buffer, 1.0)
        g = grad_buffer[where]
        grad_buffer[where] = 0.0
        acc = self.acc[where]
        acc += g * g
        self.acc[where] = acc
        denom = np.sqrt(acc, out=acc)
        denom += self.epsilon
        g /= denom
        g *= self.lr
        theta -= g
        if self.shrink:
            theta /= 1.0 + self.shrink / denom
        self.coef[where] = theta

    def finish(self, idle_steps):
        self.catch_up(slice(None), idle_steps)


OPTIMIZERS = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam}


def make_optimizer(solver, n_params, dtype, params, proximal=False):
    """Build the optimizer named ``solver`` from the estimator's ``params`` dict.

    ``proximal`` says an L1 penalty will follow each step with ``prox``.
    """
    try:
        cls = OPTIMIZERS[solver]
    except KeyError:
        raise ValueError(f"{solver!r} is not a first-order solver") from None
    return cls.from_params(n_params, dtype, params, proximal=proximal)
