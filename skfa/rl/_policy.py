"""Policies: anything that maps a batch of states to a batch of actions."""

__all__ = ["as_policy_function"]


def as_policy_function(policy):
    """Return ``policy`` as a function from states (n, d) to actions (n,).

    Parameters
    ----------
    policy : callable or object with a ``predict`` method
        A fitted estimator such as :class:`~skfa.rl.FittedQIteration` is used
        through its ``predict``; any other callable is used as it is.

    Returns
    -------
    function : callable
    """
    if hasattr(policy, "predict"):
        return policy.predict
    if callable(policy):
        return policy
    raise ValueError(
        "policy must be a callable or an object with a predict method, "
        f"got {type(policy).__name__}."
    )
