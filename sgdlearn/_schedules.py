"""Step-size schedules: the learning rate as a function of the training clock.

A schedule is a pure function of where training stands, read from three
numbers the loop keeps (``TrainingState.step`` and
``TrainingState.schedule_samples`` in ``_training``):

- ``step``: the steps (batches) taken so far in this run of the schedule;
- ``n_steps``: the run's planned number of steps;
- ``samples``: the training samples seen when the current epoch began, as
  the schedule counts them (0 in the first epoch of a run, then the
  samples seen by all calls so far, so ``warm_start``'s first epoch
  restarts at η₀ while the later ones go on from the samples seen, as in
  scikit-learn's MLP).

``rate(step, n_steps, samples)`` gives η for the step numbered ``step``
(from 0). A schedule whose ``varies_per_step`` is false (``"constant"``,
``"invscaling"`` and ``"adaptive"`` without warmup) is constant within an
epoch: the loop reads it once per epoch, and the lazy sparse steps of
``_lazy`` may use it. The others are read before every step. Schedules
hold only numbers, so a fitted model's state packs into plain data
(``_training.pack_state``).

The run
    For ``fit`` the run is that call: ``step`` counts from 0 and
    ``n_steps`` is ``max_iter`` × the batches per epoch (early stopping may
    end it sooner). ``warm_start`` restarts the run. ``partial_fit`` trains
    one epoch per call and its run spans the calls: ``step`` goes on from
    call to call (after a ``fit``, from where the fit ended) and
    ``n_steps`` is ``max_iter`` × the batches of the current call, so
    ``max_iter`` calls on chunks of the same size anneal as one ``fit`` of
    ``max_iter`` epochs would. Past ``n_steps`` a schedule stays where it
    ended (``"cosine"`` at 0).

Warmup
    ``warmup_fraction`` w ∈ [0, 1), for every schedule: the first
    ⌈w·n_steps⌉ steps multiply η by (step + 1)/⌈w·n_steps⌉, a linear ramp
    up to the schedule's own rate.

Plateaus
    When the stopping criterion stalls for ``n_iter_no_change`` epochs,
    training stops, unless the schedule's ``plateau_divisor`` is set
    (``"adaptive"``): then the training loop's monitor divides η by it (the
    count of such plateaus lives in the training state) and stops only once
    η ≤ ``min_lr``. Schedules do not decide when to stop.
"""

import math


class Schedule:
    """The base of the schedules: η₀, the warmup, and what a plateau means.

    Parameters
    ----------
    lr0 : float
        η₀, the step size at the start (``learning_rate_init``).
    warmup_fraction : float in [0, 1), default=0.0
        The fraction of the run's steps that ramp η up linearly.

    Subclasses define ``base_rate(step, n_steps, samples)`` and, if it
    changes within an epoch, set ``per_step = True``.
    """

    #: whether the rate changes from step to step within an epoch
    per_step = False
    #: η is divided by this at each plateau (None: a plateau stops training)
    plateau_divisor = None
    #: with a ``plateau_divisor``, a plateau stops training once η ≤ min_lr
    min_lr = 1e-6

    def __init__(self, lr0, warmup_fraction=0.0):
        warmup_fraction = float(warmup_fraction)
        if not 0.0 <= warmup_fraction < 1.0:
            raise ValueError(
                f"warmup_fraction must be in [0, 1), got {warmup_fraction!r}"
            )
        self.lr0 = float(lr0)
        self.warmup_fraction = warmup_fraction

    @classmethod
    def from_params(cls, params):
        """The schedule from the estimator's parameters (a mapping)."""
        return cls(params["learning_rate_init"], _warmup(params))

    @property
    def varies_per_step(self):
        """Whether η must be evaluated at every step (else once per epoch)."""
        return self.per_step or self.warmup_fraction > 0.0

    def warmup_steps(self, n_steps):
        """The number of warmup steps of a run of ``n_steps`` steps."""
        return math.ceil(self.warmup_fraction * n_steps)

    def rate(self, step, n_steps, samples):
        """η for step number ``step`` (from 0) of a run of ``n_steps`` steps,
        in an epoch that began after ``samples`` training samples."""
        lr = self.base_rate(step, n_steps, samples)
        if self.warmup_fraction > 0.0:
            warmup = self.warmup_steps(n_steps)
            if step < warmup:
                lr *= (step + 1) / warmup
        return lr

    def base_rate(self, step, n_steps, samples):
        """The schedule's own η, before warmup and plateau decays."""
        raise NotImplementedError


class Constant(Schedule):
    """η = η₀ throughout; a plateau stops training."""

    def base_rate(self, step, n_steps, samples):
        return self.lr0


class InvScaling(Schedule):
    """η = η₀ / (samples + 1)^power_t, samples seen at the epoch's start.

    Constant within an epoch and updated between epochs, as scikit-learn's
    MLP does.
    """

    def __init__(self, lr0, power_t=0.5, warmup_fraction=0.0):
        super().__init__(lr0, warmup_fraction)
        self.power_t = float(power_t)

    @classmethod
    def from_params(cls, params):
        return cls(params["learning_rate_init"], params["power_t"], _warmup(params))

    def base_rate(self, step, n_steps, samples):
        return self.lr0 / (samples + 1) ** self.power_t


class Adaptive(Constant):
    """η stays η₀ while training improves; each plateau divides it by 5.

    A plateau stops training once η ≤ 1e-6 (the monitor in ``_training``
    applies both rules).
    """

    plateau_divisor = 5.0


class Cosine(Schedule):
    """Cosine annealing from η₀ to 0 over the run: η₀·½(1 + cos(π·step/n_steps)).

    Evaluated at every step; after ``n_steps`` steps η stays 0.
    """

    per_step = True

    def base_rate(self, step, n_steps, samples):
        progress = min(step, n_steps) / n_steps if n_steps else 1.0
        return self.lr0 * 0.5 * (1.0 + math.cos(math.pi * progress))


SCHEDULES = {
    "constant": Constant,
    "invscaling": InvScaling,
    "adaptive": Adaptive,
    "cosine": Cosine,
}


def _warmup(params):
    """``warmup_fraction`` from the parameters; missing or None is 0."""
    return params.get("warmup_fraction") or 0.0


def make_schedule(params):
    """The schedule named by ``params["learning_rate"]``.

    ``params`` maps the estimator's parameter names to values (as
    ``get_params()``); each schedule reads its own: ``learning_rate_init``,
    ``power_t`` (``"invscaling"``) and ``warmup_fraction`` (missing: 0).
    """
    name = params["learning_rate"]
    try:
        cls = SCHEDULES[name]
    except KeyError:
        raise ValueError(
            f"Unknown learning_rate {name!r}; expected one of {sorted(SCHEDULES)}"
        ) from None
    return cls.from_params(params)
