"""Shared timing helpers for the benchmark scripts.

The machine is shared and noisy: every benchmark alternates the contenders
within each repeat, so slow phases hit all of them, and reports medians.
"""

import statistics
import time


def median_seconds(contenders, repeats):
    """Time each ``name -> callable`` ``repeats`` times, alternating; medians."""
    samples = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, run in contenders.items():
            start = time.perf_counter()
            run()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in samples.items()}


def print_table(title, rows, columns):
    """Print ``rows`` (a list of dicts) as an aligned table under ``title``."""
    print(f"\n{title}")
    widths = [max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns]
    print("  ".join(c.rjust(w) for c, w in zip(columns, widths)))
    for row in rows:
        print("  ".join(str(row.get(c, "")).rjust(w) for c, w in zip(columns, widths)))
