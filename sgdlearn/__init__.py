"""sgdlearn: scikit-learn estimators trained by gradient descent, in NumPy."""

from ._linear import SGDLinearRegressor, SGDLogisticClassifier, SoftmaxClassifier

__version__ = "0.1.0.dev0"

__all__ = [
    "SGDLinearRegressor",
    "SGDLogisticClassifier",
    "SoftmaxClassifier",
    "__version__",
]
