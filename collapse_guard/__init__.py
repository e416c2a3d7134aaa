"""collapse-guard: stop model collapse at the door of a data pipeline.

>>> import collapse_guard as cg
>>> ref = cg.profile(human_df)                     # doctest: +SKIP
>>> report = cg.check(batch_df, ref)               # doctest: +SKIP
>>> report.raise_for_status()                      # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import check, check_files, load_reference, profile, profile_files
    from .config import Config, load_config
    from .errors import (
        CheckFailed,
        CollapseGuardError,
        ConfigError,
        InputError,
        PluginError,
        ReferenceFileError,
    )
    from .hookspecs import hookimpl
    from .kinds import Kind
    from .profile import Profile, ProfileSettings
    from .protocols import MetricSpec, OptionSpec
    from .results import Finding, Measurement, Report, Status

# The public names load on first use (PEP 562), so that ``import collapse_guard.cli`` can set up
# the process (Arrow's allocator) before pandas and pyarrow are imported, and so that a plugin or
# a tool importing one submodule does not pay for the whole API.
_HOME = {
    "check": "api",
    "check_files": "api",
    "load_reference": "api",
    "profile": "api",
    "profile_files": "api",
    "Config": "config",
    "load_config": "config",
    "CheckFailed": "errors",
    "CollapseGuardError": "errors",
    "ConfigError": "errors",
    "InputError": "errors",
    "PluginError": "errors",
    "ReferenceFileError": "errors",
    "hookimpl": "hookspecs",
    "Kind": "kinds",
    "Profile": "profile",
    "ProfileSettings": "profile",
    "MetricSpec": "protocols",
    "OptionSpec": "protocols",
    "Finding": "results",
    "Measurement": "results",
    "Report": "results",
    "Status": "results",
}


# Under TYPE_CHECKING the imports above declare the names; hiding __getattr__ from type checkers
# keeps a typo such as ``cg.chek`` an error for them instead of an ``Any``.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        home = _HOME.get(name)
        if home is not None:
            value = getattr(importlib.import_module(f".{home}", __name__), name)
            globals()[name] = value  # later lookups skip this function
            return value
        if importlib.util.find_spec(f"{__name__}.{name}") is not None:
            # ``collapse_guard.errors`` and friends, as when this file imported them eagerly
            return importlib.import_module(f".{name}", __name__)
        raise AttributeError(f"module 'collapse_guard' has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(_HOME))


# The subpackage ``collapse_guard.profile`` shares its name with the function ``profile``: loading
# it now (it is light) means no later import rebinds the name to the module, and deleting the
# binding its import made sends ``collapse_guard.profile`` to ``__getattr__``, i.e. the function.
importlib.import_module(".profile", __name__)
del globals()["profile"]


__all__ = [
    "CheckFailed",
    "CollapseGuardError",
    "Config",
    "ConfigError",
    "Finding",
    "InputError",
    "Kind",
    "Measurement",
    "MetricSpec",
    "OptionSpec",
    "PluginError",
    "Profile",
    "ProfileSettings",
    "ReferenceFileError",
    "Report",
    "Status",
    "__version__",
    "check",
    "check_files",
    "hookimpl",
    "load_config",
    "load_reference",
    "profile",
    "profile_files",
]
