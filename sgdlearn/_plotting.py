"""LossCurveDisplay: the loss per epoch of a fitted estimator, in scikit-learn's
Display style.

matplotlib is an optional dependency: it is imported inside the methods that
draw, and a clear ImportError says how to install it when it is missing.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

# The x-axis label of the full-batch solvers' curves (one entry per
# iteration), by the solver a fit used (``solver_``).
_ITERATION_LABELS = {"lbfgs": "L-BFGS iteration", "newton": "Newton iteration"}

_MISSING_MATPLOTLIB = "LossCurveDisplay requires matplotlib: pip install matplotlib"


def _import_pyplot():
    """matplotlib.pyplot, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(_MISSING_MATPLOTLIB) from exc
    return plt


def _final_estimator(estimator):
    """The model to plot: a fitted search's ``best_estimator_`` (GridSearchCV,
    RandomizedSearchCV…), then the last step of a Pipeline; the estimator
    itself otherwise."""
    if hasattr(estimator, "best_estimator_"):
        estimator = estimator.best_estimator_
    elif hasattr(estimator, "cv_results_"):
        raise ValueError(
            f"{type(estimator).__name__} was fitted with refit=False: it has no "
            "best_estimator_ whose loss curve could be plotted. Refit it with "
            "refit=True, or pass one of its estimators fitted on its own."
        )
    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list) and steps:
        return steps[-1][1]
    return estimator


def _best_epoch(loss_curve, validation_scores):
    """1-based epoch of the best validation score, else of the lowest loss."""
    if validation_scores is not None and len(validation_scores) > 0:
        return int(np.argmax(validation_scores)) + 1
    return int(np.argmin(loss_curve)) + 1


class LossCurveDisplay:
    """Loss curves of a model trained by gradient descent, per epoch.

    Plots the training objective per sample (``loss_curve_``) and, when the
    estimator was fitted with validation data, the objective on the
    validation data (``validation_loss_curve_``), and marks the best epoch.
    Create it with :meth:`from_estimator`, or build it from the curves and
    call :meth:`plot`. All parameters are stored as attributes.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss after each epoch (each L-BFGS or Newton iteration), epoch 1
        first.
    validation_loss_curve : array-like of shape (n_epochs,), default=None
        Validation loss after each epoch; None draws no validation curve.
    best_epoch : int, default=None
        The 1-based epoch to mark, for example the epoch whose parameters
        early stopping restored; None marks nothing.
    estimator_name : str, default=None
        Name shown in the legend and title; None shows none.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the curves.
    figure_ : matplotlib Figure
        Figure containing the curves.
    lines_ : list of matplotlib Line2D
        The training curve, then the validation curve when there is one.
    best_epoch_line_ : matplotlib Line2D or None
        The vertical line at ``best_epoch``; None when no epoch is marked.

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : Scores against the
        training-set size.

    Notes
    -----
    ``loss_curve_`` is accumulated over an epoch's mini-batches while θ
    changes (with dropout active), whereas the validation loss is computed
    at the end of the epoch with the final θ and no dropout: early in
    training the two differ even on the same data.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")  # draw without a display
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sgdlearn import LossCurveDisplay, MLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = MLPClassifier((32,), early_stopping=True, random_state=0).fit(X, y)
    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> best = clf.validation_scores_.index(clf.best_validation_score_) + 1
    >>> display.best_epoch == best
    True
    >>> [line.get_label() for line in display.lines_]
    ['training loss', 'validation loss']
    """

    def __init__(
        self,
        loss_curve,
        *,
        validation_loss_curve=None,
        best_epoch=None,
        estimator_name=None,
    ):
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.best_epoch = best_epoch
        self.estimator_name = estimator_name

    def plot(
        self,
        ax=None,
        *,
        name=None,
        line_kw=None,
        validation_line_kw=None,
        best_epoch_kw=None,
        yscale="linear",
    ):
        """Plot the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure and axes.
        name : str, default=None
            Name for the legend and title; None uses ``estimator_name``.
        line_kw : dict, default=None
            Keyword arguments for the training curve's ``ax.plot``.
        validation_line_kw : dict, default=None
            Keyword arguments for the validation curve's ``ax.plot``.
        best_epoch_kw : dict, default=None
            Keyword arguments for the best epoch's ``ax.axvline``.
        yscale : str, default="linear"
            Scale of the loss axis, e.g. "log" for curves that span decades.

        Returns
        -------
        display : LossCurveDisplay
            The display, with ``ax_``, ``figure_``, ``lines_`` and
            ``best_epoch_line_`` set.
        """
        plt = _import_pyplot()
        if ax is None:
            _, ax = plt.subplots()
        name = self.estimator_name if name is None else name

        loss_curve = np.asarray(self.loss_curve, dtype=float)
        if loss_curve.ndim != 1 or loss_curve.size == 0:
            raise ValueError(
                "loss_curve must be a non-empty 1-D sequence of losses, got "
                f"shape {loss_curve.shape}."
            )
        epochs = np.arange(1, loss_curve.size + 1)
        lines = ax.plot(
            epochs, loss_curve, **{"label": "training loss", **(line_kw or {})}
        )
        if self.validation_loss_curve is not None:
            val_curve = np.asarray(self.validation_loss_curve, dtype=float)
            lines += ax.plot(
                np.arange(1, val_curve.size + 1),
                val_curve,
                **{"label": "validation loss", **(validation_line_kw or {})},
            )

        best_line = None
        if self.best_epoch is not None:
            best_kw = {
                "color": "0.4",
                "linestyle": "--",
                "linewidth": 1,
                "label": f"best epoch ({self.best_epoch})",
                **(best_epoch_kw or {}),
            }
            best_line = ax.axvline(self.best_epoch, **best_kw)

        ax.set_xlabel("epoch")
        ax.set_ylabel("loss per sample")
        ax.set_yscale(yscale)
        if name is not None:
            ax.set_title(name)
        ax.legend(loc="best")

        self.ax_ = ax
        self.figure_ = ax.figure
        self.lines_ = lines
        self.best_epoch_line_ = best_line
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, **kwargs):
        """Plot the loss curves of a fitted estimator.

        Parameters
        ----------
        estimator : estimator instance
            A fitted sgdlearn estimator, a :class:`~sklearn.pipeline.Pipeline`
            ending in one, or a fitted search such as
            :class:`~sklearn.model_selection.GridSearchCV` or
            :class:`~sklearn.model_selection.RandomizedSearchCV` (its
            ``best_estimator_`` is plotted, itself an estimator or a
            Pipeline). Any estimator with a ``loss_curve_`` works (such
            as scikit-learn's MLPs with a stochastic solver);
            ``validation_loss_curve_`` and ``validation_scores_`` are used
            when present.
        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure and axes.
        name : str, default=None
            Name for the legend and title; None uses the estimator's class
            name.
        **kwargs : dict
            Passed to :meth:`plot` (``line_kw``, ``validation_line_kw``,
            ``best_epoch_kw``, ``yscale``).

        Returns
        -------
        display : LossCurveDisplay
            The display. ``best_epoch`` is the epoch of
            ``best_validation_score_`` when there are validation scores (the
            parameters early stopping restores), else the epoch of the lowest
            training loss.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        ValueError
            If the estimator has no ``loss_curve_``, or is a search fitted
            with ``refit=False``.
        ImportError
            If matplotlib is not installed.
        """
        _import_pyplot()
        model = _final_estimator(estimator)
        check_is_fitted(model)
        loss_curve = getattr(model, "loss_curve_", None)
        if loss_curve is None:
            raise ValueError(
                f"{type(model).__name__} has no loss_curve_ to plot; "
                "LossCurveDisplay needs an estimator trained by gradient descent."
            )
        validation_scores = getattr(model, "validation_scores_", None)
        display = cls(
            loss_curve,
            validation_loss_curve=getattr(model, "validation_loss_curve_", None),
            best_epoch=_best_epoch(loss_curve, validation_scores),
            estimator_name=type(model).__name__ if name is None else name,
        )
        display.plot(ax=ax, **kwargs)
        solver = getattr(model, "solver_", getattr(model, "solver", None))
        if solver in _ITERATION_LABELS:
            display.ax_.set_xlabel(_ITERATION_LABELS[solver])
        return display
