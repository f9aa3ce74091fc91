"""Step-size schedules (scikit-learn MLP semantics), picklable.

A schedule holds the current learning rate ``lr``. ``end_epoch(t)`` is
called after each epoch with t, the number of samples seen so far;
``on_plateau()`` is called when the stopping criterion has stalled for
``n_iter_no_change`` epochs and answers whether training should stop.
"""


class Constant:
    """η = η₀ throughout; a plateau stops training."""

    def __init__(self, lr0, power_t=0.5):
        self.lr0 = float(lr0)
        self.lr = float(lr0)

    def end_epoch(self, t):
        pass

    def on_plateau(self):
        return True


class InvScaling(Constant):
    """η = η₀ / (t + 1)^power_t, with t the samples seen, updated each epoch."""

    def __init__(self, lr0, power_t=0.5):
        super().__init__(lr0)
        self.power_t = float(power_t)

    def end_epoch(self, t):
        self.lr = self.lr0 / (t + 1) ** self.power_t


class Adaptive(Constant):
    """η stays η₀ while training improves; each plateau divides it by 5.

    Training stops at a plateau once η would fall below 1e-6.
    """

    min_lr = 1e-6

    def on_plateau(self):
        if self.lr <= self.min_lr:
            return True
        self.lr /= 5.0
        return False


SCHEDULES = {"constant": Constant, "invscaling": InvScaling, "adaptive": Adaptive}


def make_schedule(name, lr0, power_t):
    return SCHEDULES[name](lr0, power_t)
