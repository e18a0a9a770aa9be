"""Policy files that are safe to share: skops archives of trusted types.

A joblib or pickle file is a program: unpickling it calls whatever functions
its author wrote into it, so a file crafted by someone else runs their code the
moment it is loaded. A skops file (:mod:`skops.io`) is a zip archive of JSON
and NumPy arrays that names the type of every object it holds; loading it
builds only the types the loader trusts and refuses a file with any other.
``load_policy`` trusts exactly what a skfa policy is made of: skfa's
estimators and the parts of its network, the scikit-learn estimators that
skops trusts already (the regressors :class:`~skfa.rl.FittedQIteration` takes,
pipelines and scalers), NumPy's dtypes, and scikit-learn's tree structure,
whose node numbers are checked before anything uses them.
"""

import inspect
import os
import tempfile
import zipfile

import joblib
import numpy as np
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
from sklearn.tree import BaseDecisionTree

__all__ = ["PolicyFileError", "load_policy", "save_policy"]

PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
SKOPS_SUFFIX = ".skops"
# scikit-learn's tree structure (private module, named only as text here). skops
# does not trust it by default: its nodes hold child and feature numbers that
# scikit-learn follows without bounds checks, so a crafted tree could read
# memory out of bounds; _tree_problem checks every number before any use.
TREE_TYPE = "sklearn.tree._tree.Tree"


class PolicyFileError(ValueError):
    """A policy file that :func:`load_policy` refuses, with the reason in one line.

    Raised for a skops file with untrusted types or malformed trees, for a
    file that is not a skops file when pickles are not trusted, and for a
    skops file that cannot be read.
    """


def save_policy(policy, path):
    """Save a fitted policy, as a skops file unless the name says joblib.

    The file is written to a temporary name beside ``path`` and renamed, so
    ``path`` holds either the old file or the complete new one, never a part.

    Parameters
    ----------
    policy : estimator
        A fitted policy, e.g. :class:`~skfa.rl.FittedQIteration`.
    path : str or path-like
        Where to write. A name ending in ``.joblib``, ``.pkl`` or ``.pickle``
        is written with :func:`joblib.dump` (compressed); any other, e.g.
        ``policy.skops``, with :func:`skops.io.dump`, which
        :func:`load_policy` reads without running code from the file.

    Raises
    ------
    ValueError
        If a skops file would hold types that :func:`load_policy` refuses
        (e.g. a regressor from another library); nothing is written. Such a
        policy can be saved as ``.joblib``, for its author's own use.

    See Also
    --------
    load_policy : Load it back.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from skfa.rl import FittedQIteration, load_policy, pack_transitions
    >>> from skfa.rl import save_policy
    >>> X, y = pack_transitions([[0.0], [1.0]], [0, 1], [0.0, 1.0],
    ...                         [[1.0], [1.0]], [False, True])
    >>> policy = FittedQIteration(DecisionTreeRegressor(), max_iter=2).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "policy.skops")
    >>> save_policy(policy, path)
    >>> load_policy(path).predict([[0.0], [1.0]])
    array([1, 1])
    """
    path = os.fspath(path)
    if _is_pickle_name(path):
        # Fully grown trees are large; light compression makes them 3x smaller.
        _write_atomically(path, lambda file: joblib.dump(policy, file, compress=1))
        return
    import skops.io

    # Level 1, as joblib's compress=1: nearly as small, in half the time.
    data = skops.io.dumps(policy, compression=zipfile.ZIP_DEFLATED, compresslevel=1)
    untrusted = _untrusted_types(skops.io.get_untrusted_types(data=data))
    if untrusted:
        raise ValueError(
            f"{path}: the policy holds types that load_policy does not trust "
            f"({', '.join(untrusted)}); save it as .joblib instead, to load "
            "yourself with trust_pickle=True."
        )
    problem = _tree_problem(policy)
    if problem:
        raise ValueError(f"{path}: {problem}; save the policy as .joblib instead.")
    _write_atomically(path, lambda file: file.write(data))


def load_policy(path, *, trust_pickle=False):
    """Load a policy saved by :func:`save_policy` or ``skfa fqi``.

    A skops file is loaded only if every type in it is one a skfa policy is
    made of; nothing in the file runs while it is checked. A joblib or pickle
    file can run any code when it is loaded, so it is loaded only with
    ``trust_pickle=True``.

    Parameters
    ----------
    path : str or path-like
        The policy file. Its content, not its name, tells a skops file from
        a pickle; a file named ``.skops`` is never unpickled.
    trust_pickle : bool, default=False
        Load a joblib or pickle file, running whatever code it holds. Pass
        True only for a file you made yourself or whose source you trust.

    Returns
    -------
    policy : estimator
        What was saved, e.g. a fitted :class:`~skfa.rl.FittedQIteration`.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If a skops file holds other types (the message names them) or
        malformed trees, if the file is not a skops file and
        ``trust_pickle`` is False, or if it is named ``.skops`` but is not one.

    See Also
    --------
    save_policy : Save a policy.

    Examples
    --------
    >>> import os, tempfile
    >>> import joblib
    >>> from sklearn.dummy import DummyClassifier
    >>> from skfa.rl import load_policy, save_policy
    >>> folder = tempfile.mkdtemp()
    >>> policy = DummyClassifier().fit([[0.0, 0.0]], [1])
    >>> save_policy(policy, os.path.join(folder, "policy.skops"))
    >>> load_policy(os.path.join(folder, "policy.skops")).predict([[0.5, 0.0]])
    array([1])
    >>> _ = joblib.dump(policy, os.path.join(folder, "policy.joblib"))
    >>> load_policy(os.path.join(folder, "policy.joblib"))
    Traceback (most recent call last):
    ...
    skfa.rl._persistence.PolicyFileError: ...policy.joblib: not a skops file; ...
    >>> load_policy(os.path.join(folder, "policy.joblib"), trust_pickle=True)
    DummyClassifier()
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file")
    if _is_skops_archive(path):
        return _load_skops(path)
    if path.lower().endswith(SKOPS_SUFFIX):
        raise PolicyFileError(
            f"{path}: not a skops file, although its name says so; it was not "
            "loaded (a pickle renamed .skops is never unpickled)."
        )
    if not trust_pickle:
        raise PolicyFileError(
            f"{path}: not a skops file; a joblib or pickle file runs the code it "
            "holds when loaded, so it is loaded only if you trust its source "
            "(trust_pickle=True, or --trust-pickle on the command line)."
        )
    return joblib.load(path)


def _load_skops(path):
    import skops.io

    # Reading the schema builds no object; only then is anything constructed.
    # A malformed archive, or state that a trusted type's __setstate__
    # rejects, can fail in many ways: each is a file that cannot be used.
    try:
        untrusted = _untrusted_types(skops.io.get_untrusted_types(file=path))
        if not untrusted:
            policy = skops.io.load(path, trusted=_trusted_types())
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error) else ""
        raise PolicyFileError(
            f"{path}: not a readable skops file ({type(error).__name__}: {reason})"
        ) from error
    if untrusted:
        raise PolicyFileError(
            f"{path}: holds types a skfa policy is not made of, so it was not "
            f"loaded: {', '.join(untrusted)}."
        )
    problem = _tree_problem(policy)
    if problem:
        raise PolicyFileError(f"{path}: {problem}; it was not used.")
    return policy


def _trusted_types():
    """The names of the types a skfa policy may hold beyond skops' defaults.

    skops trusts scikit-learn's estimators, NumPy's arrays, scalars, random
    generators and ufuncs, and Python's plain types by itself. A skfa policy
    adds its own estimators, the parts of a fitted network (its layers,
    activation functions, optimizer and learning-rate schedule), any function
    the default regressor is built with, NumPy dtypes, and
    scikit-learn's tree structure (checked by ``_tree_problem`` after loading).
    Listing each part, not whole modules, keeps a function such as
    ``FunctionTransformer(func=...)`` from pointing anywhere else in skfa.

    Returns
    -------
    names : list of str
        Sorted ``module.name`` strings, as :func:`skops.io.get_untrusted_types`
        reports them.
    """
    from ..linear_model import LinearFeatureRegressor, SineFeatures
    from ..linear_model._basis import SineBasis
    from ..neural_network import MLPApproximator, MLPEnsemble
    from ..neural_network._activations import ACTIVATIONS, Activation
    from ..neural_network._ensemble import StackedDense
    from ..neural_network._layers import ActivationLayer, Dense, Dropout, Residual
    from ..neural_network._network import NORMALIZATIONS, Network
    from ..neural_network._optimizers import OPTIMIZERS
    from ..neural_network._schedules import LearningRateSchedule
    from ._default import default_q_regressor
    from ._fqi import FittedQIteration

    parts = [
        FittedQIteration,
        MLPApproximator,
        MLPEnsemble,
        LinearFeatureRegressor,
        SineFeatures,
        SineBasis,
        Network,
        Dense,
        ActivationLayer,
        Dropout,
        Residual,
        StackedDense,
        *NORMALIZATIONS.values(),
        *OPTIMIZERS.values(),
        LearningRateSchedule,
        Activation,
    ]
    for activation in ACTIVATIONS.values():
        parts += [activation.forward, activation.derivative]
    # The functions the default regressor is built with (e.g. a
    # FunctionTransformer's), and no others.
    parts += [
        value
        for value in default_q_regressor().get_params(deep=True).values()
        if inspect.isfunction(value)
    ]
    names = {f"{part.__module__}.{part.__name__}" for part in parts}
    return sorted(names | {"numpy.dtype", TREE_TYPE})


def _untrusted_types(found):
    trusted = set(_trusted_types())
    return sorted(name for name in found if name not in trusted)


def _tree_problem(policy):
    """What is wrong with the trees in ``policy``, or None if nothing is.

    scikit-learn walks a tree from node 0, following the child numbers of
    each split and reading the input column its feature number names, with
    no bounds checks. So every split's children must come after it (which
    also rules out cycles) and exist, and its feature must be a column the
    tree is given: fewer than the tree's ``n_features_in_``, and than its
    ensemble's, which hands it inputs unchecked. Gradient boosting walks its
    trees by other unchecked routes, and is refused.
    """
    try:
        for part, owner, attribute in _parts(policy):
            _check_part(part, owner, attribute)
    except (AttributeError, TypeError, ValueError) as error:
        return str(error)
    return None


def _check_part(part, owner, attribute):
    """Check one object of a policy, held by ``owner`` under ``attribute``."""
    if f"{type(part).__module__}.{type(part).__name__}" == TREE_TYPE:
        if not (isinstance(owner, BaseDecisionTree) and attribute == "tree_"):
            raise ValueError("it holds a tree structure outside a decision tree")
    if not (isinstance(part, BaseDecisionTree) and hasattr(part, "tree_")):
        return
    if isinstance(owner, (GradientBoostingRegressor, GradientBoostingClassifier)):
        raise ValueError("skfa does not load the trees of gradient boosting")
    width = part.n_features_in_
    if attribute == "estimators_":
        width = min(width, owner.n_features_in_)
    _check_tree_nodes(part.tree_, int(width))


def _check_tree_nodes(tree, width):
    n_nodes = tree.node_count
    left, right, feature = tree.children_left, tree.children_right, tree.feature
    index = np.arange(n_nodes)
    leaf = (left == -1) & (right == -1)
    split = (
        (left > index)
        & (left < n_nodes)
        & (right > index)
        & (right < n_nodes)
        & (feature >= 0)
        & (feature < width)
    )
    if n_nodes < 1 or not (leaf | split).all():
        raise ValueError(
            "it holds a tree whose node or feature numbers are out of range"
        )


def _parts(root):
    """Every object reachable from ``root``, with the estimator that holds it
    and the name of that estimator's attribute it sits under."""
    seen = set()  # object ids: a loaded object graph may share parts
    stack = [(root, None, None)]
    while stack:
        part, owner, attribute = stack.pop()
        if id(part) in seen:
            continue
        seen.add(id(part))
        yield part, owner, attribute
        if isinstance(part, dict):
            children = [(value, attribute) for value in part.values()]
        elif isinstance(part, (list, tuple, set, frozenset)):
            children = [(value, attribute) for value in part]
        elif isinstance(part, np.ndarray) and part.dtype == object:
            children = [(value, attribute) for value in part.ravel()]
        elif hasattr(part, "__dict__") and not isinstance(part, type):
            if hasattr(part, "get_params"):
                owner = part
            children = list(zip(vars(part).values(), vars(part), strict=True))
        else:
            children = []
        stack.extend((child, owner, name) for child, name in children)


def _is_pickle_name(path):
    return path.lower().endswith(PICKLE_SUFFIXES)


def _is_skops_archive(path):
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return "schema.json" in archive.namelist()


def _write_atomically(path, write):
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(
        dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
