"""Offline reinforcement learning from logged transitions.

Transitions are ``(X, y)``: the states in ``X`` and, in the structured array
``y``, what followed each of them (see :func:`pack_transitions`).
"""

from ._fqe import FittedQEvaluation
from ._fqi import FittedQIteration
from ._gym import collect_transitions, evaluate_policy
from ._persistence import load_policy, save_policy
from ._policy_value import behavior_value, policy_value_scorer
from ._transitions import (
    Transitions,
    check_transitions,
    load_transitions_csv,
    pack_transitions,
    transition_dtype,
    transitions_from_dataframe,
)

__all__ = [
    "FittedQEvaluation",
    "FittedQIteration",
    "Transitions",
    "behavior_value",
    "check_transitions",
    "collect_transitions",
    "evaluate_policy",
    "load_policy",
    "load_transitions_csv",
    "pack_transitions",
    "policy_value_scorer",
    "save_policy",
    "transition_dtype",
    "transitions_from_dataframe",
]
