"""Docstring pieces built for the estimators.

An estimator's docstring holds ``{parameters}`` and ``{fitted}`` where its
Parameters entries and the fitted attributes every estimator shares go;
:func:`fill_doc` fills them in: the parameters from the one parameter
table (``_params``), in the order of the class's signature, each with the
default of the class's family.
"""

import textwrap

from ._params import parameters_doc

FITTED = """\
solver_ : str
    The solver the last call used (what 'auto' chose).
n_iter_ : int
    Epochs run by the last call (iterations for 'lbfgs'; 1 after
    ``partial_fit``), as in scikit-learn.
t_ : int
    Training samples seen.
loss_ : numpy.float64
    The objective per sample J/Σs at the end of training. Losses and scores
    are NumPy floats, as in scikit-learn's MLP.
loss_curve_ : list of numpy.float64
    J/Σs per epoch, accumulated over the epoch's batches.
best_loss_ : numpy.float64 or None
    The lowest ``loss_curve_`` value; None when stopping on validation data.
validation_scores_ : list of numpy.float64 or None
    Score on the validation data after each epoch, higher is better:
    accuracy, R² (of the mean for ``loss='gaussian_nll'``), or minus the
    mean pinball loss for ``loss='quantile'``; None without validation
    data.
best_validation_score_ : numpy.float64 or None
    The best of ``validation_scores_``.
validation_loss_curve_ : list of numpy.float64 or None
    The objective per sample on the validation data after each epoch (its
    mean weighted loss plus the training penalty per sample).
n_features_in_ : int
    Number of features seen during fit.
feature_names_in_ : ndarray of shape (``n_features_in_``,)
    Names of the features, when X was a DataFrame with string column names.
n_outputs_ : int
    Number of model outputs.
out_activation_ : str
    The output's inverse link: 'identity', 'exp', 'logistic' or 'softmax'."""


def fill_doc(cls):
    """Fill the ``{parameters}`` and ``{fitted}`` slots of ``cls.__doc__``."""
    pieces = {"parameters": parameters_doc(cls), "fitted": FITTED}
    cls.__doc__ = cls.__doc__.format(
        **{
            name: textwrap.indent(text, "    ").lstrip()
            for name, text in pieces.items()
        }
    )
    return cls
