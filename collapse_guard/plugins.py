"""The plugin host: builds the pluggy manager and owns the registries of checks, readers, reporters.

Built-in features are plugins too (``DEFAULT_PLUGINS``), registered through the same hooks as
third-party packages, which load from the ``collapse_guard`` entry-point group.

Environment variables:
- ``COLLAPSE_GUARD_LOAD_PLUGINS``: comma-separated distribution or entry-point names to load (empty
  means no third-party plugin); unset loads all installed ones.
- ``COLLAPSE_GUARD_TRACE_PLUGINS=1``: print every hook call to stderr.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

import pluggy

from . import hookspecs
from .errors import PluginError
from .protocols import Check, Reader, Reporter

ENTRY_POINT_GROUP = "collapse_guard"

DEFAULT_PLUGINS: tuple[str, ...] = (
    "collapse_guard.readers.builtin",
    "collapse_guard.reporters.text",
    "collapse_guard.reporters.json",
    "collapse_guard.reporters.junit",
    "collapse_guard.reporters.sarif",
    "collapse_guard.reporters.github",
    "collapse_guard.reporters.markdown",
    "collapse_guard.reporters.html",
    "collapse_guard.checks.tail_shrinkage",
    "collapse_guard.checks.diversity_loss",
    "collapse_guard.checks.vendi",
    "collapse_guard.checks.synthetic_contamination",
    "collapse_guard.commands.scan",
)


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    wanted_env = os.environ.get("COLLAPSE_GUARD_LOAD_PLUGINS")
    wanted = None if wanted_env is None else {w.strip() for w in wanted_env.split(",") if w.strip()}
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = ep.dist.name if ep.dist is not None else ep.name
        if wanted is not None and ep.name not in wanted and dist not in wanted:
            continue
        try:
            plugin = ep.load()
        except Exception as exc:
            raise PluginError(
                f"plugin {dist!r} (entry point {ep.name!r}) failed to import: {type(exc).__name__}: {exc}; "
                f"fix or uninstall it, or exclude it with COLLAPSE_GUARD_LOAD_PLUGINS"
            ) from None
        if pm.is_registered(plugin) or pm.get_plugin(ep.name) is not None:
            continue
        pm.register(plugin, name=ep.name)


def get_plugin_manager(
    load_entry_points: bool = True, extra: tuple[object, ...] = ()
) -> pluggy.PluginManager:
    """Build a fresh plugin manager: specs, built-ins, entry points, then validation."""
    pm = pluggy.PluginManager("collapse_guard")
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # an optional built-in that is not part of this installation
            raise
        pm.register(module, name=module_name)
    if load_entry_points:
        _load_entry_points(pm)
    for plugin in extra:
        pm.register(plugin)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) or repr(exc.plugin)
        raise PluginError(
            f"plugin {name!r} implements a hook that does not exist ({exc}); "
            "check the hook name against the plugin docs (docs/plugins.md)"
        ) from None
    if os.environ.get("COLLAPSE_GUARD_TRACE_PLUGINS") == "1":
        pm.trace.root.setwriter(lambda msg: sys.stderr.write(str(msg)))
        pm.enable_tracing()
    return pm


@dataclass(frozen=True)
class Registry:
    """Everything the plugins registered, keyed by name (sorted, for stable output)."""

    checks: dict[str, Check]
    readers: dict[str, Reader]
    reporters: dict[str, Reporter]
    owners: dict[tuple[str, str], str]


def _collect(
    pm: pluggy.PluginManager, hook: str, kind: str, required: tuple[str, ...]
) -> tuple[dict[str, Any], dict[tuple[str, str], str]]:
    items: dict[str, Any] = {}
    owners: dict[tuple[str, str], str] = {}

    def register_for(_plugin: str) -> dict[str, Any]:
        def register(obj: Any) -> None:
            for attr in required:
                if not hasattr(obj, attr):
                    raise PluginError(
                        f"plugin {_plugin!r} registered a {kind} without {attr!r}: {obj!r}; "
                        f"see docs/plugins.md for what a {kind} must provide"
                    )
            name = obj.name
            if name in items:
                raise PluginError(
                    f"plugin {_plugin!r} registered {kind} {name!r}, which plugin "
                    f"{owners[(kind, name)]!r} already registered; rename one of them"
                )
            items[name] = obj
            owners[(kind, name)] = _plugin

        return {"register": register}

    call_each_plugin(pm, hook, register_for)
    return dict(sorted(items.items())), owners


def call_each_plugin(
    pm: pluggy.PluginManager,
    hook: str,
    arguments: Callable[[str], dict[str, Any]],
    after: Callable[[str], None] | None = None,
) -> None:
    """Call ``hook`` one plugin at a time, each with ``arguments(plugin_name)``, then
    ``after(plugin_name)``.

    A registration needs to know which plugin made it (for the errors that name it), so the
    implementations are called apart; through pluggy's hook callers, not directly, so that
    ``COLLAPSE_GUARD_TRACE_PLUGINS=1`` shows every call.
    """
    impls = getattr(pm.hook, hook).get_hookimpls()
    for impl in impls:
        others = [other.plugin for other in impls if other is not impl]
        pm.subset_hook_caller(hook, remove_plugins=others)(**arguments(impl.plugin_name))
        if after is not None:
            after(impl.plugin_name)


def build_registry(pm: pluggy.PluginManager) -> Registry:
    """Call the three registration hooks and validate what they return."""
    checks, o1 = _collect(
        pm, "register_checks", "check", ("name", "description", "metrics", "options", "run")
    )
    readers, o2 = _collect(pm, "register_readers", "reader", ("name", "suffixes", "read"))
    reporters, o3 = _collect(pm, "register_reporters", "reporter", ("name", "description", "render"))
    suffix_owner: dict[str, str] = {}
    for name, reader in readers.items():
        for suffix in reader.suffixes:
            if suffix.lower() in suffix_owner:
                raise PluginError(
                    f"reader {name!r} (plugin {o2[('reader', name)]!r}) claims suffix {suffix!r}, which "
                    f"reader {suffix_owner[suffix.lower()]!r} already reads; remove one of them"
                )
            suffix_owner[suffix.lower()] = name
    return Registry(checks, readers, reporters, {**o1, **o2, **o3})


@lru_cache(maxsize=1)
def default_plugin_manager() -> pluggy.PluginManager:
    """The plugin manager used by the CLI and the Python API (built once per process)."""
    return get_plugin_manager()


def third_party_plugins() -> list[str]:
    """Names of the plugins from outside collapse-guard that this process has loaded so far."""
    if not default_plugin_manager.cache_info().currsize:
        return []
    return [name for name, _ in default_plugin_manager().list_name_plugin() if name not in DEFAULT_PLUGINS]


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The registry used by the CLI and the Python API (built once per process)."""
    return build_registry(default_plugin_manager())


def get_checks() -> dict[str, Check]:
    return default_registry().checks


def get_readers() -> dict[str, Reader]:
    return default_registry().readers


def get_reporters() -> dict[str, Reporter]:
    return default_registry().reporters


RegisterFn = Callable[[Any], None]
