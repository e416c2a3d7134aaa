"""Where the relative paths of an expectation (``reference``, ``config``, ``synthetic_reference``)
point: the Great Expectations project root, else the working directory.

A stored suite is run by whoever runs the checkpoint: a scheduler, a notebook, a CI job, each
from its own working directory. Resolving ``reference="reference.json.gz"`` against the working
directory made the same stored checkpoint pass from the project folder and error from anywhere
else. The project root (the folder given to ``gx.get_context(project_root_dir=...)``, which holds
``gx/``) moves with the suite, so a path relative to it works for every runner and after the
project is checked out elsewhere. An ephemeral context has no folder; there, and without Great
Expectations in the loop (:func:`collapse_guard.gx.metrics.run_check` called directly), the
working directory is the only base there is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def project_root(execution_engine: Any) -> Path | None:
    """The project root of the data context that owns the batch being validated, or None.

    GX 1.x gives a metric only the execution engine; the context is reached through the active
    batch's data source (``Datasource.data_context``, documented for library implementers). Its
    ``root_directory`` is the ``gx/`` folder; the project root is its parent, as GX itself derives
    it. Any other shape (an ephemeral or cloud context, a future GX) falls back to None.
    """
    try:
        batch = execution_engine.batch_manager.active_batch
        context = batch.datasource.data_context
        root = context.root_directory
    except AttributeError:
        return None
    return Path(root).parent if root else None


def resolve(value: str, root: Path | None) -> Path:
    """``value`` as a path: ``~`` expanded, and a relative path joined to ``root`` (else the
    working directory, made absolute so that error messages say where it was looked up)."""
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    return (root if root is not None else Path.cwd()) / path


def looked_up(value: str, resolved: Path, root: Path | None) -> str:
    """For a "not found" message: where a relative path was looked up, and against what; empty for
    an absolute path, whose own text says it all."""
    if Path(value).expanduser().is_absolute():
        return ""
    if root is not None:
        base = f"the Great Expectations project root {root} (the folder that holds gx/)"
    else:
        base = f"the working directory {Path.cwd()}, as the data context has no project folder"
    return f" (looked up as {resolved}: a relative path is resolved against {base})"
