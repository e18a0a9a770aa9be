"""Helpers for data that do not fit in memory: chunked ``partial_fit``."""

from ._chunks import iter_row_chunks, partial_fit_chunks

__all__ = ["iter_row_chunks", "partial_fit_chunks"]
