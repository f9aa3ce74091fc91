"""The model parts: what a linear model and an MLP put around the one network.

A model part says, for its family of estimators, how the network is laid
out (hidden layers, activation, starting weights, where dropout applies),
how θ maps to the public weight attributes (``coef_``/``intercept_`` or
``coefs_``/``intercepts_``) and back, how the intercept starts, and the
family's own conventions (``batch_size='auto'``, the warnings scikit-learn's
MLP gives). The fit engine (``_engine``) trains whatever part it is given.
"""

import warnings
from numbers import Integral

import numpy as np


class LinearModel:
    """One layer, raw scores x·W + b, started at zero.

    Parameters
    ----------
    fit_intercept : bool
        Fit b; False keeps it at 0.
    variance : {'linear', 'constant'}
        For a loss that models a variance: 'constant' makes its outputs
        depend on no feature (only their intercepts are fitted).
    flat_single_output : bool
        ``coef_`` of one output is 1-D (the regressor, as scikit-learn's
        linear regressors); the classifiers keep (n_outputs, n_features).
    """

    hidden_layer_sizes = ()
    activation = "identity"
    weight_init = "zeros"
    dropout_input = True  # dropout acts on the input features
    max_fun = 15000

    def __init__(self, fit_intercept, flat_single_output, variance="linear"):
        self.fit_intercept = fit_intercept
        self.flat_single_output = flat_single_output
        self.variance = variance

    def constant_outputs(self, loss, n_targets):
        """Output columns fitted as constants (None: none)."""
        if self.variance == "constant":
            return loss.variance_outputs(n_targets)
        return None

    def start(self, theta, layout, loss, train):
        """Start b at the constant that best fits the training targets
        (``train.best_constant``) under the loss."""
        if self.fit_intercept:
            layout.intercepts(theta)[0][...] = train.best_constant(loss)

    @staticmethod
    def auto_batch_size(n_samples):
        """``batch_size='auto'``: at least 64 steps per epoch, at most 512 rows.

        A small chunk given to ``partial_fit`` still gets 64 steps (one step
        of 512 rows would learn little from it); large data gets batches of
        512 (the performance guide, "The linear models' defaults").
        """
        return min(512, max(1, n_samples // 64))

    def check_batch_size(self, batch_size, solver, n_samples):
        """An int beyond the rows is clipped silently (no scikit-learn
        counterpart has a batch size to warn like)."""

    @staticmethod
    def convergence_message(solver, max_iter, n_iter, max_fun, name):
        return (
            f"{name}: the maximum number of iterations (max_iter={max_iter}) was "
            "reached and the optimization has not converged yet. Increase "
            "max_iter, or adjust learning_rate_init or tol."
        )

    def attributes(self, layout, theta):
        """``coef_`` and ``intercept_`` as copies out of θ."""
        coef = layout.coefs(theta)[0].T.copy()
        intercept = layout.intercepts(theta)[0].copy()
        return {"coef_": self._public_coef(coef), "intercept_": intercept}

    def _public_coef(self, coef):
        if self.flat_single_output and coef.shape[0] == 1:
            return coef[0]
        return coef

    @staticmethod
    def layers(estimator):
        """Per-layer (coefs, intercepts) lists from the public attributes."""
        coef = np.reshape(estimator.coef_, (-1, estimator.n_features_in_))
        return [coef.T], [estimator.intercept_]

    @staticmethod
    def has_weights(estimator):
        return hasattr(estimator, "coef_") and hasattr(estimator, "intercept_")

    @staticmethod
    def weight_units(estimator):
        """Units per layer the public weights describe, input first."""
        return estimator.n_features_in_, estimator.n_outputs_

    def check_weight_shapes(self, estimator, layer_units, action):
        """Raise a ValueError naming the attribute whose shape does not fit
        layers of ``layer_units``; ``action`` says what they were wanted for."""
        n_features, n_outputs = layer_units
        # the public shape of a (n_outputs, n_features) coef, without allocating it
        coef_shape = self._public_coef(
            np.broadcast_to(np.empty(()), (n_outputs, n_features))
        ).shape
        for name, expected in (("coef_", coef_shape), ("intercept_", (n_outputs,))):
            value = getattr(estimator, name)
            if np.shape(value) != expected:
                raise ValueError(
                    f"Cannot {action} the weights: {name} has shape "
                    f"{np.shape(value)}, but {n_features} features and "
                    f"{n_outputs} output(s) need coef_ of shape {coef_shape} and "
                    f"intercept_ of shape {(n_outputs,)}."
                )


class MLP:
    """Hidden layers, dropout on their outputs, a random start; scikit-learn's
    MLP conventions.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int
    activation : str
        A name in ``_activations.ACTIVATIONS``.
    weight_init : str
        'glorot' or 'he' (``_networks.WEIGHT_INITS``).
    max_fun : int
        L-BFGS's budget of loss evaluations.
    """

    dropout_input = False  # dropout acts on the hidden units
    fit_intercept = True

    def __init__(self, hidden_layer_sizes, activation, weight_init, max_fun):
        self.hidden_layer_sizes = _checked_sizes(hidden_layer_sizes)
        self.activation = activation
        self.weight_init = weight_init
        self.max_fun = max_fun

    def start(self, theta, layout, loss, train):
        """The random start stands (scikit-learn's MLP does the same)."""

    @staticmethod
    def constant_outputs(loss, n_targets):
        """Every output of an MLP depends on the hidden units."""
        return None

    @staticmethod
    def auto_batch_size(n_samples):
        """``batch_size='auto'``: min(200, n), scikit-learn's MLP rule."""
        return min(200, n_samples)

    @staticmethod
    def check_batch_size(batch_size, solver, n_samples):
        """scikit-learn's MLP warning for an int batch_size beyond the rows."""
        if (
            solver != "lbfgs"
            and isinstance(batch_size, Integral)
            and batch_size > n_samples
        ):
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is "
                f"going to be clipped (batch_size={batch_size}, "
                f"{n_samples} training samples).",
                UserWarning,
                stacklevel=4,  # the estimator's fit
            )

    @staticmethod
    def convergence_message(solver, max_iter, n_iter, max_fun, name):
        """scikit-learn's MLP sentence first, so that filters on it match."""
        if solver == "lbfgs":
            return (
                f"lbfgs failed to converge after {n_iter} iteration(s). Increase "
                f"max_iter (max_iter={max_iter}) or max_fun (max_fun="
                f"{max_fun}), or scale the features."
            )
        return (
            f"Stochastic Optimizer: Maximum iterations ({max_iter}) reached and "
            "the optimization hasn't converged yet. Increase max_iter, or "
            "adjust learning_rate_init or tol."
        )

    @staticmethod
    def attributes(layout, theta):
        """``coefs_``, ``intercepts_`` (copies out of θ) and ``n_layers_``."""
        return {
            "coefs_": [c.copy() for c in layout.coefs(theta)],
            "intercepts_": [b.copy() for b in layout.intercepts(theta)],
            "n_layers_": len(layout.layer_units),
        }

    @staticmethod
    def layers(estimator):
        return estimator.coefs_, estimator.intercepts_

    @staticmethod
    def has_weights(estimator):
        return hasattr(estimator, "coefs_") and hasattr(estimator, "intercepts_")

    @staticmethod
    def weight_units(estimator):
        hidden = [np.shape(c)[-1] if np.ndim(c) else 0 for c in estimator.coefs_[:-1]]
        return (estimator.n_features_in_, *hidden, estimator.n_outputs_)

    @staticmethod
    def check_weight_shapes(estimator, layer_units, action):
        coefs, intercepts = estimator.coefs_, estimator.intercepts_
        shapes = list(zip(layer_units[:-1], layer_units[1:]))
        if len(coefs) == len(intercepts) == len(shapes) and all(
            np.shape(coef) == shape and np.shape(intercept) == shape[1:]
            for coef, intercept, shape in zip(coefs, intercepts, shapes)
        ):
            return
        needed = (
            f"layers of {tuple(layer_units)} units need coefs_ of shapes {shapes} "
            f"and intercepts_ of shapes {[shape[1:] for shape in shapes]}"
        )
        if len(coefs) != len(shapes) or len(intercepts) != len(shapes):
            raise ValueError(
                f"Cannot {action} the weights: coefs_ has {len(coefs)} and "
                f"intercepts_ {len(intercepts)} entries, but {needed}."
            )
        for i, (coef, intercept, shape) in enumerate(zip(coefs, intercepts, shapes)):
            for name, value, expected in (
                (f"coefs_[{i}]", coef, shape),
                (f"intercepts_[{i}]", intercept, shape[1:]),
            ):
                if np.shape(value) != expected:
                    raise ValueError(
                        f"Cannot {action} the weights: {name} has shape "
                        f"{np.shape(value)}, but {needed}."
                    )


def _checked_sizes(sizes):
    """``hidden_layer_sizes`` as a tuple of positive ints (ValueError otherwise)."""
    sizes = [sizes] if np.isscalar(sizes) else list(sizes)
    if not all(isinstance(s, Integral | np.integer) and s > 0 for s in sizes):
        raise ValueError(f"hidden_layer_sizes must be positive integers, got {sizes}.")
    return tuple(int(s) for s in sizes)
