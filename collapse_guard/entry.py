"""The console script and ``python -m collapse_guard``: set up the process, then run the CLI.

Kept apart from ``cli`` so that the set-up happens before pandas and pyarrow are imported.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import NoReturn


def run() -> None:
    """Run the command line in a process of its own."""
    # Arrow's default allocator (mimalloc) keeps the pages of freed record batches, so a
    # streamed file's peak RSS grows with every batch it has decoded; the C library's allocator
    # returns them. Measured on a 1M-row Parquet check: 35-40 MiB lower peak, and reading it
    # faster. A value the user set wins; a library user's process is not touched.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    single_threaded_blas()
    limit_malloc_arenas()
    defer_unused_numpy_submodules()
    from .cli import main

    try:
        code = main()
    except BrokenPipeError:
        # stderr shares the closed pipe (`2>&1 | head`), so even the error line could not be
        # written; still "could not run" (2), not "checks failed" (1).
        _silence_standard_streams()
        code = 2
    exit_without_teardown(code)


# Variables OpenBLAS reads for its thread count, in the order it reads them.
_BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")


def single_threaded_blas() -> bool:
    """Start OpenBLAS with one thread (as ``OPENBLAS_NUM_THREADS=1``); True if it was set.

    numpy and scipy each load their own OpenBLAS, and each starts a thread per core when it
    loads: 0.04-0.05 s apiece on 2 cores (more with more cores), paid by every command, even
    ``collapse-guard checks``, plus threads spinning after each call. collapse-guard's matrices
    are small (bounded samples) and its checks already run side by side with BLAS held to one
    thread each (``runner``), so the pool bought nothing. Measured on the 1M-row check: 0.2 s
    less CPU, 0.05-0.1 s less wall time. A thread count the user set wins.
    """
    if any(name in os.environ for name in _BLAS_THREAD_VARIABLES):
        return False
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    return True


def exit_without_teardown(code: int) -> NoReturn:
    """End the process with ``code``, skipping the interpreter's teardown once the work is done.

    Finalising every module and freeing the objects one by one took 0.12-0.13 s after a 1M-row
    check (8% of it); the operating system takes the memory back at once. Exit handlers still
    run (logging flushes its files; coverage saves its data there), then stdout and stderr are
    flushed. What is skipped is what only the teardown does: closing files left open and running
    ``__del__`` methods. collapse-guard closes everything it writes; a third-party plugin might
    not, so with one loaded the exit is the normal one. So it is with another thread still
    running, under a tracer or profiler (``python -m cProfile`` writes its results after the
    program returns), and with ``python -i``.
    """
    import atexit

    if _normal_exit_wanted():
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the descriptor closed (`>&-`)
            continue
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # a pipe closed by its reader, a closed stream
            pass
        except OSError as exc:  # a full disk: output was lost, so the run did not succeed
            code = 2
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.write(f"collapse-guard: error: cannot write the output ({exc.strerror})\n")
                sys.stderr.flush()
    os._exit(code)


def _normal_exit_wanted() -> bool:
    import threading

    if threading.active_count() > 1 or sys.flags.inspect or os.environ.get("PYTHONINSPECT"):
        return True
    if sys.gettrace() is not None or sys.getprofile() is not None:
        return True
    monitoring = getattr(sys, "monitoring", None)  # Python 3.12+: coverage may use it instead
    if monitoring is not None and any(monitoring.get_tool(tool) for tool in range(6)):
        return True
    plugins = sys.modules.get("collapse_guard.plugins")
    return plugins is not None and bool(plugins.third_party_plugins())


def _silence_standard_streams() -> None:
    """Point stdout and stderr at the null device, so that nothing more is written to a closed
    pipe (the interpreter would report the failed flush at exit)."""
    null = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(null, stream.fileno())
    os.close(null)


# numpy submodules that scipy.special's array-API layer imports (it copies every name in
# numpy.__all__, and numpy loads these on first access) but no collapse-guard code path uses.
_UNUSED_NUMPY_SUBMODULES = ("numpy.f2py", "numpy.testing")


def defer_unused_numpy_submodules() -> list[str]:
    """Make ``numpy.f2py`` and ``numpy.testing`` load on first use; the names deferred.

    ``import scipy.special`` touches every name in ``numpy.__all__``, which imports numpy's
    Fortran wrapper generator and test helpers (their imports also pull in ``unittest`` and, where
    installed, ``charset_normalizer``): 0.06-0.07 s of every check, about a tenth of the startup.
    A module made by :class:`importlib.util.LazyLoader` runs its code on its first attribute
    access, so anything that does use them still gets the real modules. Skipped for a module
    already imported, or one that cannot be found.
    """
    import importlib.util

    import numpy

    deferred = []
    for name in _UNUSED_NUMPY_SUBMODULES:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            continue
        spec.loader = importlib.util.LazyLoader(spec.loader)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        # numpy's module __getattr__ imports the submodule on access; bound as an attribute,
        # the lazy module is returned instead.
        setattr(numpy, name.rpartition(".")[2], module)
        deferred.append(name)
    return deferred


# glibc's mallopt parameter for the number of arenas (M_ARENA_MAX in malloc.h).
_M_ARENA_MAX = -8


def limit_malloc_arenas() -> bool:
    """Give every thread of this process glibc's one main malloc arena; True if it was set.

    The reader thread (collapse_guard.readahead) decodes chunks that the main thread frees; with
    an arena per thread, glibc keeps the freed chunks in the reader's arena instead of reusing
    them (measured: 35-45 MiB more peak RSS on a 1M-row Parquet check, the same speed with one
    arena). ``MALLOC_ARENA_MAX`` or an ``arena_max`` in ``GLIBC_TUNABLES`` wins. No-op on other
    C libraries. Measured on 2 cores only: with many threads allocating at once one arena could
    serialise them; a user who sees that can set ``MALLOC_ARENA_MAX``.
    """
    user_set = "MALLOC_ARENA_MAX" in os.environ or "arena_max" in os.environ.get("GLIBC_TUNABLES", "")
    if user_set or not _is_glibc():
        return False
    import ctypes

    try:
        return bool(ctypes.CDLL(None).mallopt(_M_ARENA_MAX, 1))
    except (OSError, AttributeError):
        return False


def _is_glibc() -> bool:
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (ValueError, OSError, AttributeError):  # not a GNU system, or no confstr at all
        return False
