"""sgdlearn: scikit-learn estimators trained by gradient descent, in NumPy."""

from ._linear import SGDLinearRegressor, SGDLogisticClassifier, SoftmaxClassifier
from ._mlp import MLPClassifier, MLPRegressor
from ._plotting import LossCurveDisplay
from ._version import __version__

__all__ = [
    "LossCurveDisplay",
    "MLPClassifier",
    "MLPRegressor",
    "SGDLinearRegressor",
    "SGDLogisticClassifier",
    "SoftmaxClassifier",
    "__version__",
]
