"""The one place that imports scikit-learn's private helpers.

scikit-learn's parameter-validation machinery (``Interval``, ``StrOptions``,
``_fit_context``) and ``validate_data`` are not part of its public API. Keeping
every such import here means a scikit-learn release that moves them breaks one
file, not the whole package.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Hidden, Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    _check_sample_weight,
    validate_data,
)

__all__ = [
    "_check_feature_names_in",
    "_check_sample_weight",
    "Hidden",
    "Interval",
    "Options",
    "StrOptions",
    "_fit_context",
    "validate_data",
]
