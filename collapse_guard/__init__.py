"""collapse-guard: stop model collapse at the door of a data pipeline.

>>> import collapse_guard as cg
>>> ref = cg.profile(human_df)                     # doctest: +SKIP
>>> report = cg.check(batch_df, ref)               # doctest: +SKIP
>>> report.raise_for_status()                      # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

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
