"""The sine / cosine basis arithmetic shared by SineFeatures and LinearFeatureRegressor.

Everything about the feature map β lives here: the scaling of the inputs into
[0, 1], the coefficient vectors c of each term, the chunked feature builder and
the feature names. The estimators only validate parameters and data and decide
what to do with the blocks of features this module hands them.

Each trigonometric feature is g(π c·x̃) with g = sin or cos, x̃ the input scaled
into [0, 1] and c a vector of non-negative integer frequencies. With
``coupling='independent'`` the vectors are c = k eⱼ, k = 1..n, one input
dimension at a time; with ``coupling='full'`` they are every c ∈ {0..n}ᵈ except
0 (Konidaris et al.'s Fourier basis of order n).

Speed: NumPy's float64 ``sin`` costs many times a multiply and a subtract
(``benchmarks/bench_basis.py`` measures both), so for independent coupling only
sin(t) and cos(t) are evaluated and the higher terms follow from the Chebyshev
recurrence

    g((k+1)t) = 2 cos t · g(kt) − g((k−1)t),

which holds for g = sin and g = cos alike and costs a multiply and a subtract.
"""

from math import prod

import numpy as np

__all__ = [
    "BASIS_FAMILIES",
    "MAX_FULL_TERMS",
    "SineBasis",
    "make_sine_basis",
]

# Basis name -> the families of features, in output order. 'linear' is the
# scaled input x̃ⱼ itself, one feature per input dimension.
BASIS_FAMILIES = {
    "sine": ("sin",),
    "cosine": ("cos",),
    "fourier": ("sin", "cos"),
    "sine_linear": ("linear", "sin"),
}

TRIG = {"sin": np.sin, "cos": np.cos}

# 'full' coupling has (n_basis + 1) ** n_features - 1 terms per family. Past this
# count the Gram matrix alone takes 4096² × 8 bytes = 134 MB (four times that for
# 'fourier', which has two families) and its solve grows as the cube of the
# count, so we refuse before allocating anything.
MAX_FULL_TERMS = 4096

# Rows per block: about 2 MiB of float64 features, small enough to stay in cache
# between the feature recurrence and the Gram product that consumes it.
BLOCK_BYTES = 2**21
MIN_BLOCK_ROWS = 64


def input_bounds_from_param(input_bounds, n_features):
    """Turn the ``input_bounds`` parameter into float64 arrays ``low``, ``high``.

    ``input_bounds`` is a pair (low, high) of scalars or of arrays of length
    ``n_features``.
    """
    try:
        low, high = (
            np.broadcast_to(np.asarray(bound, dtype=np.float64), (n_features,))
            for bound in input_bounds
        )
    except (TypeError, ValueError) as error:
        raise ValueError(
            "input_bounds must be a pair (low, high) of scalars or of arrays of "
            f"length n_features={n_features}; got {input_bounds!r}."
        ) from error
    if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
        raise ValueError(f"input_bounds must be finite; got {input_bounds!r}.")
    bad = np.flatnonzero(~(low < high))
    if bad.size:
        j = bad[0]
        raise ValueError(
            "input_bounds must have low < high in every input dimension; "
            f"dimension {j} has low={float(low[j])}, high={float(high[j])}."
        )
    if not np.all(np.isfinite(high - low)):
        raise ValueError(
            f"input_bounds span a range too wide for float64: {input_bounds!r}."
        )
    return low.copy(), high.copy()


def input_bounds_from_data(X):
    """The per-dimension min and max of ``X``, as float64 arrays ``low``, ``high``.

    A constant dimension (min == max) gets ``high = low + 1``: its range is taken
    to be 1, so it maps to x̃ = 0 on the training data instead of dividing by 0.
    """
    low = X.min(axis=0).astype(np.float64)
    high = X.max(axis=0).astype(np.float64)
    constant = high == low
    high[constant] = low[constant] + 1.0
    return low, high


def frequency_vectors(n_features, n_basis, coupling):
    """The coefficient vectors c, one row per term, as an int array.

    'independent': c = k eⱼ for each dimension j, k = 1..n_basis (j outer).
    'full': every c ∈ {0..n_basis}^n_features except 0, in lexicographic order.
    """
    if coupling == "independent":
        frequencies = np.zeros((n_features * n_basis, n_features), dtype=np.intp)
        for j in range(n_features):
            frequencies[j * n_basis : (j + 1) * n_basis, j] = np.arange(1, n_basis + 1)
        return frequencies
    # Python integers: the count must not overflow before it is checked.
    n_terms = prod([n_basis + 1] * n_features) - 1
    if n_terms > MAX_FULL_TERMS:
        raise ValueError(
            f"coupling='full' with n_basis={n_basis} and {n_features} input "
            f"dimensions needs (n_basis + 1) ** n_features - 1 = {n_terms} terms "
            f"per family, more than the limit of {MAX_FULL_TERMS}. Use "
            "coupling='independent', a smaller n_basis, or fewer input dimensions."
        )
    grid = np.indices((n_basis + 1,) * n_features).reshape(n_features, -1).T
    return np.ascontiguousarray(grid[1:], dtype=np.intp)


def make_sine_basis(X, *, n_basis, basis, coupling, input_bounds, out_of_bounds):
    """Build the :class:`SineBasis` the estimators' parameters describe.

    ``X`` supplies the number of input dimensions and, when ``input_bounds`` is
    None, the bounds themselves (its per-dimension min and max).
    """
    n_features = X.shape[1]
    if input_bounds is None:
        low, high = input_bounds_from_data(X)
    else:
        low, high = input_bounds_from_param(input_bounds, n_features)
    return SineBasis(
        low=low,
        high=high,
        frequencies=frequency_vectors(n_features, n_basis, coupling),
        families=BASIS_FAMILIES[basis],
        independent=coupling == "independent",
        out_of_bounds=out_of_bounds,
    )


class SineBasis:
    """A fitted feature map x ↦ β(x̃), computed block by block.

    Parameters
    ----------
    low, high : ndarray of shape (n_features,)
        The input bounds; x̃ = (x − low) / (high − low).
    frequencies : ndarray of shape (n_terms, n_features)
        The coefficient vectors c of the trigonometric terms.
    families : tuple of {'linear', 'sin', 'cos'}
        The feature families, in output order.
    independent : bool
        Whether ``frequencies`` is the independent layout k eⱼ, k = 1..n, which
        allows the recurrence.
    out_of_bounds : {'clip', 'error'}
        What to do with inputs outside [low, high].
    """

    def __init__(self, *, low, high, frequencies, families, independent, out_of_bounds):
        self.low = low
        self.high = high
        self.frequencies = frequencies
        self.families = families
        self.independent = independent
        self.out_of_bounds = out_of_bounds
        self.n_features = low.shape[0]
        n_terms = frequencies.shape[0]
        self.n_output_features = sum(
            self.n_features if family == "linear" else n_terms for family in families
        )

    # ------------------------------------------------------------- per feature

    def feature_names(self, input_names):
        """One name per output feature, e.g. 'x0', 'sin(pi*2*x0)', 'cos(pi*(x0+x1))'.

        The names refer to the scaled inputs x̃.
        """
        names = []
        for family in self.families:
            if family == "linear":
                names.extend(input_names)
                continue
            for c in self.frequencies:
                parts = [
                    name if k == 1 else f"{k}*{name}"
                    for k, name in zip(c, input_names, strict=True)
                    if k
                ]
                argument = parts[0] if len(parts) == 1 else f"({'+'.join(parts)})"
                names.append(f"{family}(pi*{argument})")
        return names

    def frequency_norms(self):
        """‖c‖₂ of each output feature; 1 for the linear terms (c = eⱼ)."""
        term_norms = np.linalg.norm(self.frequencies, axis=1)
        return np.concatenate(
            [
                np.ones(self.n_features) if family == "linear" else term_norms
                for family in self.families
            ]
        )

    # ------------------------------------------------------------------ blocks

    def block_rows(self, extra_rows=0):
        """How many samples go into one block of ``n_output_features + extra_rows``."""
        row_bytes = 8 * (self.n_output_features + extra_rows)
        return max(MIN_BLOCK_ROWS, BLOCK_BYTES // row_bytes)

    def blocks(self, X, *, extra_rows=0, block_rows=None):
        """Yield ``(start, stop, block)`` over the rows of ``X``.

        ``block`` is a float64 array of shape
        ``(n_output_features + extra_rows, stop - start)`` - features along the
        first axis, so that every feature is a contiguous row for the
        recurrence - holding β(x̃)ᵀ for ``X[start:stop]`` in its first
        ``n_output_features`` rows. The caller may fill the ``extra_rows`` and
        overwrite the block freely: it is one buffer reused for every block, so
        it must be consumed before the next one is requested.
        """
        n_samples = X.shape[0]
        if block_rows is None:
            block_rows = self.block_rows(extra_rows)
        block_rows = min(block_rows, max(n_samples, 1))
        buffer = np.empty((self.n_output_features + extra_rows, block_rows))
        unit_buffer = np.empty((self.n_features, block_rows))
        for start in range(0, n_samples, block_rows):
            stop = min(start + block_rows, n_samples)
            width = stop - start
            block = buffer if width == block_rows else buffer[:, :width]
            unit = unit_buffer[:, :width]
            self._scale(X[start:stop], out=unit)
            self._fill(unit, block)
            yield start, stop, block

    def transform(self, X, dtype=np.float64):
        """β(x̃) for every row of ``X``, as an array of shape (n, n_output_features)."""
        features = np.empty((X.shape[0], self.n_output_features), dtype=dtype)
        for start, stop, block in self.blocks(X):
            features[start:stop] = block.T
        return features

    def _scale(self, X, out):
        """Write x̃ᵀ = ((X − low) / (high − low))ᵀ into ``out``, shape (d, rows)."""
        np.subtract(X.T, self.low[:, None], out=out)
        out /= (self.high - self.low)[:, None]
        # x ≤ high implies x − low ≤ high − low after rounding, so data inside
        # the bounds always lands in [0, 1] exactly and never trips this check.
        if self.out_of_bounds == "clip":
            np.clip(out, 0.0, 1.0, out=out)
        elif out.size and (out.min() < 0.0 or out.max() > 1.0):
            outside = np.flatnonzero((out < 0.0).any(axis=1) | (out > 1.0).any(axis=1))
            j = outside[0]
            raise ValueError(
                f"X has values outside input_bounds in feature {j}: values from "
                f"{float(X[:, j].min())} to {float(X[:, j].max())} against bounds "
                f"[{float(self.low[j])}, {float(self.high[j])}]. Widen input_bounds, "
                "or set "
                "out_of_bounds='clip' to map such values to the nearest bound."
            )

    def _fill(self, unit, block):
        """Write the features of the scaled inputs ``unit`` (d, rows) into ``block``."""
        row = 0
        angles = None
        for family in self.families:
            if family == "linear":
                block[row : row + self.n_features] = unit
                row += self.n_features
                continue
            n_terms = self.frequencies.shape[0]
            out = block[row : row + n_terms]
            if self.independent:
                self._fill_independent(unit, family, out)
            else:
                if angles is None:
                    angles = np.pi * (self.frequencies @ unit)
                TRIG[family](angles, out=out)
            row += n_terms

    def _fill_independent(self, unit, family, out):
        """g(kπx̃ⱼ) for k = 1..n and each dimension j, by the Chebyshev recurrence."""
        g = TRIG[family]
        n_basis = out.shape[0] // self.n_features
        for j in range(self.n_features):
            t = np.pi * unit[j]
            two_cos = 2.0 * np.cos(t)
            terms = out[j * n_basis : (j + 1) * n_basis]  # terms[k - 1] = g(k t)
            g(t, out=terms[0])
            if n_basis > 1:
                # g(0) is 0 for sin and 1 for cos.
                np.multiply(two_cos, terms[0], out=terms[1])
                if family == "cos":
                    terms[1] -= 1.0
            # The rounding error grows about as k² times the rounding unit
            # (benchmarks/bench_basis.py), mostly from the rounding of cos t
            # near t = 0 and π, which restarting the recurrence from exact
            # values does not remove.
            for k in range(3, n_basis + 1):
                np.multiply(two_cos, terms[k - 2], out=terms[k - 1])
                terms[k - 1] -= terms[k - 3]
