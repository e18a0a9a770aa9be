"""The one place that imports scikit-learn's private helpers.

scikit-learn's parameter-validation machinery (``Interval``, ``StrOptions``,
``_fit_context``) and ``validate_data`` are not part of its public API. Keeping
every such import here means a scikit-learn release that moves them breaks one
file, not the whole package.
"""

import contextlib

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    HasMethods,
    Hidden,
    Interval,
    Options,
    StrOptions,
)
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import (
    _check_feature_names_in,
    _check_sample_weight,
    validate_data,
)

try:  # scikit-learn >= 1.9: the callback API (progress bars, scoring monitors)
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # pragma: no cover - older scikit-learn

    class CallbackSupportMixin:
        """Stand-in for scikit-learn < 1.9, which has no callback API."""

    def with_callbacks(method):
        return method


class _NoCallbacks:
    """A callback context that does nothing, for scikit-learn < 1.9."""

    def subcontext(self, **kwargs):
        return self

    def call_on_fit_task_begin(self, **kwargs):
        return self

    def call_on_fit_task_end(self, **kwargs):
        return False

    def propagate_callback_context(self, sub_estimator):
        return contextlib.nullcontext()


def init_callback_context(estimator, **kwargs):
    """The estimator's root callback context, or a do-nothing stand-in."""
    if hasattr(estimator, "_init_callback_context"):
        return estimator._init_callback_context(**kwargs)
    return _NoCallbacks()


__all__ = [
    "CallbackSupportMixin",
    "init_callback_context",
    "with_callbacks",
    "_check_feature_names_in",
    "_check_optimize_result",
    "_check_sample_weight",
    "HasMethods",
    "Hidden",
    "Interval",
    "Options",
    "StrOptions",
    "_fit_context",
    "validate_data",
]
