"""Import the heavy libraries that enabled checks will need in a background thread.

scikit-learn (and the ``scipy.stats`` it imports) takes about 0.7 s to import, all of it Python
bytecode. Reading and profiling a batch is mostly Arrow and numpy work that releases the GIL, so
importing while the batch is read hides most of that time on a machine with two or more cores.
A check declares what to warm up with an optional ``preload`` attribute (a tuple of module names);
nothing depends on it having happened, since the check's own import simply waits for, or repeats,
the work.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterable


def preload_in_background(modules: Iterable[str]) -> threading.Thread | None:
    """Start importing ``modules`` in a daemon thread; ``None`` when all are already imported."""
    names = [m for m in dict.fromkeys(modules) if m not in sys.modules]
    if not names:
        return None

    def work() -> None:
        for name in names:
            try:
                importlib.import_module(name)
            except Exception:  # the check's own import reports the real error
                return

    thread = threading.Thread(target=work, name="collapse-guard-preload", daemon=True)
    thread.start()
    return thread
