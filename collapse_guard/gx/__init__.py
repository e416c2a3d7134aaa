"""Great Expectations 1.x expectations backed by the collapse-guard checks.

Importing this package registers, in Great Expectations' global registries:

- ``ExpectColumnTailsNotToShrink`` (``expect_column_tails_not_to_shrink``), the
  ``tail-shrinkage`` check for one column;
- ``ExpectColumnDiversityNotToDrop`` (``expect_column_diversity_not_to_drop``), the
  ``diversity-loss`` check for one column;
- ``ExpectBatchDiversityNotToDrop`` (``expect_batch_diversity_not_to_drop``), the table-level
  findings of ``diversity-loss`` (the coverage of reference rows by batch rows);
- ``ExpectBatchSyntheticShareToBeBelow`` (``expect_batch_synthetic_share_to_be_below``), every
  finding of the ``synthetic-contamination`` check, headed by the estimated synthetic share;

and the table metrics ``collapse_guard.tail_shrinkage``, ``collapse_guard.diversity_loss`` and
``collapse_guard.synthetic_contamination`` behind them. The metrics call ``collapse_guard.check``,
the same function as the command line, so Great Expectations and ``collapse-guard check`` report
the same numbers. :func:`require_evaluated` guards a run against expectations that Great
Expectations left out of a suite loaded without this import. See ``docs/great-expectations.md``.

Great Expectations is an optional dependency: ``pip install 'collapse-guard[gx]'``. Fully custom
expectations are semi-private API in GX 1.x, so the supported range is pinned (``>=1.24,<2``).
"""

from __future__ import annotations

_INSTALL_HINT = (
    "collapse_guard.gx needs Great Expectations 1.x; install it with pip install 'collapse-guard[gx]'"
)

try:
    import great_expectations as _gx
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(f"{_INSTALL_HINT} ({exc})", name="great_expectations") from None

_GX_VERSION = str(getattr(_gx, "__version__", "0"))
if not _GX_VERSION.startswith("1."):
    raise ImportError(
        f"collapse_guard.gx supports Great Expectations 1.x, found {_GX_VERSION}; "
        "install a supported version with pip install 'collapse-guard[gx]'"
    )

# Import order matters only in that both modules must run: defining the classes is what registers
# them with Great Expectations.
from .expectations import (  # noqa: E402
    ExpectBatchDiversityNotToDrop,
    ExpectBatchSyntheticShareToBeBelow,
    ExpectColumnDiversityNotToDrop,
    ExpectColumnTailsNotToShrink,
)
from .guard import count_evaluated, require_evaluated  # noqa: E402
from .metrics import (  # noqa: E402
    METRIC_DIVERSITY,
    METRIC_SYNTHETIC,
    METRIC_TAILS,
    register_reference,
)

__all__ = [
    "METRIC_DIVERSITY",
    "METRIC_SYNTHETIC",
    "METRIC_TAILS",
    "ExpectBatchDiversityNotToDrop",
    "ExpectBatchSyntheticShareToBeBelow",
    "ExpectColumnDiversityNotToDrop",
    "ExpectColumnTailsNotToShrink",
    "count_evaluated",
    "register_reference",
    "require_evaluated",
]
