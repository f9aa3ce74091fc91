"""sgdlearn: scikit-learn estimators trained by gradient descent, in NumPy."""

from ._linear import SGDLinearRegressor, SGDLogisticClassifier, SoftmaxClassifier
from ._mlp import MLPClassifier, MLPRegressor

__version__ = "0.1.0.dev0"

__all__ = [
    "MLPClassifier",
    "MLPRegressor",
    "SGDLinearRegressor",
    "SGDLogisticClassifier",
    "SoftmaxClassifier",
    "__version__",
]
