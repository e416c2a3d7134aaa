"""The package surface: lazy public names, and the console script's process set-up."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import collapse_guard as cg


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"} | env
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=full_env,
        check=False,
        stdin=subprocess.DEVNULL,  # PYTHONINSPECT's prompt reads it
    )


def test_every_public_name_resolves_to_its_object() -> None:
    from collapse_guard import api
    from collapse_guard.profile.model import Profile

    assert cg.profile is api.profile  # the function, not the subpackage of the same name
    assert cg.Profile is Profile
    for name in cg.__all__:
        assert getattr(cg, name) is not None
    assert set(cg.__all__) <= set(dir(cg))


def test_submodules_are_reachable_as_attributes_and_unknown_names_are_not() -> None:
    out = _python(
        "import collapse_guard as cg\n"
        "print(cg.errors.InputError.__name__, cg.readers.__name__)\n"
        "try:\n    cg.no_such_thing\nexcept AttributeError as exc:\n    print('AttributeError', exc)"
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "InputError collapse_guard.readers"
    assert lines[1].startswith("AttributeError") and "no_such_thing" in lines[1]


def _loaded_after(code: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has imported after running ``code``."""
    out = _python(f"import sys\n{code}\nprint(sorted(m for m in {modules!r} if m in sys.modules))")
    assert out.returncode == 0, out.stderr
    return list(ast.literal_eval(out.stdout.strip()))


def test_importing_the_package_or_the_cli_module_loads_no_data_library() -> None:
    # So that the console script can choose Arrow's allocator before pyarrow loads.
    assert _loaded_after("import collapse_guard", ("pandas", "pyarrow", "numpy")) == []


def test_the_console_script_uses_the_system_allocator_unless_told_otherwise() -> None:
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print(__import__('pyarrow').default_memory_pool().backend_name))\n"
        "sys.argv = ['collapse-guard', 'readers']\n"
        "from collapse_guard.entry import run\n"
        "run()\n"
    )
    default = _python(code)
    assert default.returncode == 0, default.stderr
    assert default.stdout.strip().splitlines()[-1] == "system"
    chosen = _python(code, ARROW_DEFAULT_MEMORY_POOL="mimalloc")
    assert chosen.stdout.strip().splitlines()[-1] == "mimalloc"


def test_the_console_script_starts_blas_single_threaded_unless_told_otherwise() -> None:
    show = (
        "def show():\n"
        "    from threadpoolctl import threadpool_info\n"
        "    blas = [i for i in threadpool_info() if i['internal_api'] == 'openblas']\n"
        "    print(sorted({i['num_threads'] for i in blas}))\n"
    )
    console = (
        f"import atexit, sys\n{show}atexit.register(show)\n"
        "sys.argv = ['collapse-guard', 'checks']\n"
        "from collapse_guard.entry import run\n"
        "run()\n"
    )
    plain = f"{show}import numpy, scipy.linalg\nshow()\n"
    unset = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")
    }

    def last_line(code: str, env: dict[str, str]) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    assert last_line(console, unset) == "[1]"
    # A count the user set is left to OpenBLAS, as in any other process.
    told = unset | {"OMP_NUM_THREADS": "2"}
    assert last_line(console, told) == last_line(plain, told)


def test_a_library_process_keeps_arrows_default_allocator() -> None:
    show = "import pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    plain = _python(show)
    with_library = _python("import collapse_guard as cg; cg.profile; " + show)
    assert with_library.returncode == 0, with_library.stderr
    assert with_library.stdout == plain.stdout


def test_loading_the_plugins_leaves_heavy_modules_for_when_they_are_used() -> None:
    register = (
        "from collapse_guard.plugins import get_checks, get_readers, get_reporters\n"
        "get_checks(); get_readers(); get_reporters()"
    )
    heavy = (
        "rich",
        "PIL",
        "scipy.spatial",
        "scipy.sparse",
        "collapse_guard.checks.synthetic_contamination.text",
    )
    assert _loaded_after(register, heavy) == []


def test_the_console_script_limits_glibc_to_one_malloc_arena_unless_told_otherwise() -> None:
    code = (
        "from collapse_guard.entry import _is_glibc, limit_malloc_arenas\n"
        "print(_is_glibc(), limit_malloc_arenas())"
    )
    default = _python(code)
    assert default.returncode == 0, default.stderr
    is_glibc = default.stdout.split()[0] == "True"
    assert default.stdout.split()[1] == str(is_glibc)  # set exactly where glibc runs
    assert _python(code, MALLOC_ARENA_MAX="4").stdout.split()[1] == "False"  # the user's value wins
    tunables = _python(code, GLIBC_TUNABLES="glibc.malloc.arena_max=4")
    assert tunables.stdout.split()[1] == "False"


def test_the_console_script_defers_numpys_f2py_and_testing_until_used() -> None:
    setup = (
        "from collapse_guard.entry import defer_unused_numpy_submodules\n"
        "print(defer_unused_numpy_submodules())\n"
    )
    deferred = _python(
        setup + "import scipy.special, sys\n"
        "print(sorted(m for m in sys.modules if m.startswith(('numpy.f2py.', 'numpy.testing.'))))"
    )
    assert deferred.returncode == 0, deferred.stderr
    names, loaded = deferred.stdout.strip().splitlines()
    assert ast.literal_eval(names) == ["numpy.f2py", "numpy.testing"]
    assert ast.literal_eval(loaded) == []  # scipy.special no longer executes them
    used = _python(
        setup + "import numpy, numpy.testing\n"
        "numpy.testing.assert_allclose(1.0, 1.0)\n"
        "print(callable(numpy.f2py.run_main), numpy.f2py is __import__('sys').modules['numpy.f2py'])"
    )
    assert used.returncode == 0, used.stderr
    assert used.stdout.strip().splitlines()[-1] == "True True"  # the real modules, on first use
    already = _python("import numpy.testing\n" + setup)
    assert ast.literal_eval(already.stdout.strip()) == ["numpy.f2py"]  # an imported module is left alone


def test_the_console_script_exits_without_teardown_after_exit_handlers_and_flushed_output() -> None:
    out = _python(
        "import atexit, sys\n"
        "sys.settrace(None)\n"  # as if no coverage tracer had followed the test into this process
        "from collapse_guard.entry import exit_without_teardown\n"
        "atexit.register(lambda: print('exit handler ran'))\n"
        "class Noisy:\n    def __del__(self):\n        print('teardown ran')\n"
        "kept = Noisy()\n"
        "sys.stdout.write('report without a newline')\n"
        "sys.stderr.write('a note')\n"
        "exit_without_teardown(3)\n"
        "print('not reached')\n"
    )
    assert out.returncode == 3
    assert out.stdout == "report without a newlineexit handler ran\n"  # flushed; no teardown ran
    assert out.stderr == "a note"


def test_the_console_script_exits_normally_under_a_profiler_or_with_threads_still_running() -> None:
    ends = (
        "\ntry:\n    exit_without_teardown(4)\n"
        "except SystemExit as exc:\n    print('normal exit', exc.code)\n"
    )
    setup = "import sys, threading\nfrom collapse_guard.entry import exit_without_teardown\n"
    profiled = _python(setup + "sys.setprofile(lambda *args: None)" + ends)
    assert profiled.stdout.strip() == "normal exit 4"  # cProfile, coverage: they write at teardown
    threaded = _python(
        setup + "stop = threading.Event()\nthreading.Thread(target=stop.wait).start()" + ends + "stop.set()\n"
    )
    assert threaded.stdout.strip() == "normal exit 4"  # a running thread is not cut off
    interactive = _python(setup + ends, PYTHONINSPECT="1")
    assert interactive.stdout.strip() == "normal exit 4"  # `python -i` still gets its prompt
    plugin = _python(
        setup + "import types\nfrom collapse_guard.plugins import default_plugin_manager\n"
        "default_plugin_manager().register(types.ModuleType('someones_plugin'), name='someones_plugin')"
        + ends
    )
    assert plugin.stdout.strip() == "normal exit 4"  # its files may still be open: let them close


def test_a_check_leaves_the_callers_environment_as_it_was() -> None:
    # threadpoolctl's import sets KMP_DUPLICATE_LIB_OK; the Python API undoes that.
    code = (
        "import os, numpy as np, pandas as pd, collapse_guard as cg\n"
        "before = dict(os.environ)\n"
        "df = pd.DataFrame({'x': np.random.default_rng(0).normal(size=300)})\n"
        "cg.check(df, cg.profile(df), select='diversity-loss')\n"
        "print(sorted(set(os.environ.items()) ^ set(before.items())))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "KMP_DUPLICATE_LIB_OK"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
