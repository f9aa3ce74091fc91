"""Polyak–Ruppert averaging of the iterates (scikit-learn SGD's ``average``).

A constant step makes SGD hover around the optimum in a cloud whose width
grows with the step; the running mean of the iterates sits near the cloud's
centre, so a constant step reaches the optimum on average (Polyak &
Juditsky, 1992; Ruppert, 1988). The average starts once ``start`` training
samples have been seen (1: from the first step) and weighs every step
after that equally.
"""

import numpy as np


class IterateAverage:
    """The running mean of θ over the steps taken after ``start`` samples.

    Parameters
    ----------
    theta : ndarray of shape (n_params,)
        The parameters it averages; the mean starts as a copy.
    start : int
        Samples seen before the averaging begins; 1 is from the first step.
    """

    def __init__(self, theta, start):
        self.start = int(start)
        self.mean = theta.copy()
        self.count = 0
        self._diff = np.empty_like(theta)

    def update(self, theta, seen):
        """Fold in θ after a step that brought the samples seen to ``seen``."""
        if seen < self.start:
            return
        self.count += 1
        diff = np.subtract(theta, self.mean, out=self._diff)
        diff *= 1.0 / self.count
        self.mean += diff

    def model_theta(self, theta):
        """What the model reports: the mean once averaging began, else θ."""
        return self.mean if self.count else theta

    def reset_to(self, theta):
        """Start the average again from ``theta`` (a restored best θ)."""
        np.copyto(self.mean, theta)
        self.count = 0
