"""Background imports for heavy check dependencies: harmless when a module is missing or loaded."""

from __future__ import annotations

import subprocess
import sys

from collapse_guard.preload import preload_in_background


def test_nothing_to_do_when_already_imported() -> None:
    assert preload_in_background(["json", "sys"]) is None


def test_imports_in_a_thread_and_swallows_missing_modules() -> None:
    code = (
        "import sys\n"
        "from collapse_guard.preload import preload_in_background\n"
        "t = preload_in_background(['no_such_module_cg', 'colorsys'])\n"
        "t.join()\n"
        "print('colorsys' in sys.modules, 'no_such_module_cg' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # The first failure stops the list: the check's own import will report the real error.
    assert out.stdout.strip() == "False False"
    code = code.replace("['no_such_module_cg', 'colorsys']", "['colorsys']")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True False"
