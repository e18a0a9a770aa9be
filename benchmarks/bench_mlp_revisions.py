"""Epoch time of MLPApproximator at two revisions, side by side in one process.

``bench_mlp.py`` run once per revision compares runs minutes apart, and on a
shared machine the speed of the cores changes between them by more than the
differences worth measuring. Here both revisions are imported into one process
(the other one's package under the name ``skfa_before``) and their epochs
alternate, so a slow phase hits both. Same problem as ``bench_mlp.py``:
100,000 × 20 inputs, relu, Adam, batch 256, one epoch per ``partial_fit``.

Run, for a revision REV of the repository::

    git worktree add /tmp/before REV
    python benchmarks/bench_mlp_revisions.py /tmp/before [--repeats 15]
    git worktree remove /tmp/before

It prints each network's and dtype's median epoch time before and after, the
ratio of the medians and the median of the ratios of consecutive pairs.
"""

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import print_table  # noqa: E402
from bench_mlp import BATCH, make_data  # noqa: E402

import skfa  # noqa: E402


def import_before(checkout):
    """The package of another checkout, imported as ``skfa_before``.

    skfa imports its own modules relatively, so the copy runs its own code.
    """
    package = Path(checkout) / "skfa"
    spec = importlib.util.spec_from_file_location(
        "skfa_before",
        package / "__init__.py",
        submodule_search_locations=[str(package)],
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["skfa_before"] = module
    spec.loader.exec_module(module)
    return module


def epoch_of(package, sizes, dtype):
    X, y = make_data(dtype)
    model = package.MLPApproximator(
        hidden_layer_sizes=sizes, batch_size=BATCH, random_state=0
    )
    model.partial_fit(X[:BATCH], y[:BATCH])
    return lambda: model.partial_fit(X, y)


def alternate(before, after, repeats):
    """Seconds of ``repeats`` runs of each, alternating which goes first."""
    times = {"before": [], "after": []}
    for repeat in range(repeats):
        order = [("before", before), ("after", after)]
        for name, run in order if repeat % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", help="a checkout of the revision to compare")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--sizes", nargs="+", default=["256,256", "64,64"])
    args = parser.parse_args()
    before = import_before(args.checkout)
    rows = []
    for text in args.sizes:
        sizes = tuple(int(s) for s in text.split(","))
        for dtype in (np.float64, np.float32):
            times = alternate(
                epoch_of(before, sizes, dtype),
                epoch_of(skfa, sizes, dtype),
                args.repeats,
            )
            b, a = (statistics.median(times[k]) for k in ("before", "after"))
            pairs = [y / x for x, y in zip(times["before"], times["after"])]
            rows.append(
                {
                    "network": str(sizes),
                    "dtype": np.dtype(dtype).name,
                    "before s/epoch": f"{b:.3f}",
                    "after s/epoch": f"{a:.3f}",
                    "ratio of medians": f"{a / b:.3f}",
                    "median of pair ratios": f"{statistics.median(pairs):.3f}",
                }
            )
            print(rows[-1], flush=True)
    print_table(
        f"One epoch, before ({args.checkout}) and after, alternating, "
        f"medians of {args.repeats}",
        rows,
        list(rows[0]),
    )


if __name__ == "__main__":
    main()
