"""BLAS thread limits through one cached threadpoolctl controller.

``threadpoolctl.threadpool_limits`` looks up the loaded BLAS and OpenMP libraries on every call
(about 2 ms; one diversity check made 23 calls). The libraries that matter here are loaded with
numpy, before any check runs, so one controller made on first use serves the whole process.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from functools import cache
from typing import Any


@cache
def _controller() -> Any:
    import os

    # threadpoolctl's import sets KMP_DUPLICATE_LIB_OK=True in os.environ (for Intel OpenMP on
    # macOS); the Python API must leave the caller's environment as it found it.
    had = "KMP_DUPLICATE_LIB_OK" in os.environ
    from threadpoolctl import ThreadpoolController

    if not had:
        os.environ.pop("KMP_DUPLICATE_LIB_OK", None)
    return ThreadpoolController()


def blas_threads(limit: int | None) -> AbstractContextManager[Any]:
    """Context manager capping BLAS/OpenMP threads at ``limit`` (``None``: leave them alone)."""
    if limit is None:
        return nullcontext()
    return _controller().limit(limits=limit)  # type: ignore[no-any-return]
