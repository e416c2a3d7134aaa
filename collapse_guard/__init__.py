"""collapse-guard: stop model collapse at the door of a data pipeline.

>>> import collapse_guard as cg
>>> ref = cg.profile(human_df)                     # doctest: +SKIP
>>> report = cg.check(batch_df, ref)               # doctest: +SKIP
>>> report.raise_for_status()                      # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from .api import check, check_files, load_reference, profile, profile_files  # noqa: E402
from .config import Config, load_config  # noqa: E402
from .errors import (  # noqa: E402
    CheckFailed,
    CollapseGuardError,
    ConfigError,
    InputError,
    PluginError,
    ReferenceFileError,
)
from .hookspecs import hookimpl  # noqa: E402
from .kinds import Kind  # noqa: E402
from .profile import Profile, ProfileSettings  # noqa: E402
from .protocols import MetricSpec, OptionSpec  # noqa: E402
from .results import Finding, Measurement, Report, Status  # noqa: E402

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
