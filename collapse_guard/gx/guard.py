"""A run-time guard against collapse-guard expectations that silently dropped out of a suite.

Great Expectations 1.x builds a stored suite's expectations from a global registry that
``import collapse_guard.gx`` fills. A process that loads a suite without that import does not
raise: GX logs ``InvalidExpectationConfigurationError`` and leaves the expectation out, so the
checkpoint passes a collapsed batch, and saving the suite from that process deletes the
expectations from its JSON for every later run. Nothing in the result says so, except that
fewer expectations were evaluated; this module counts them.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError

#: The ``type`` of each collapse-guard expectation, as stored in a suite's JSON.
EXPECTATION_TYPES = frozenset(
    {
        "expect_column_tails_not_to_shrink",
        "expect_column_diversity_not_to_drop",
        "expect_batch_diversity_not_to_drop",
        "expect_batch_synthetic_share_to_be_below",
    }
)


def _results(result: Any) -> list[Any]:
    """Expectation results of a checkpoint result or of one suite validation result."""
    runs = getattr(result, "run_results", None)
    if runs is not None:
        return [r for run in runs.values() for r in run.results]
    results = getattr(result, "results", None)
    if results is None:
        raise TypeError(
            "pass the result of checkpoint.run(...), validation_definition.run(...) or "
            f"batch.validate(suite); got {type(result).__name__}"
        )
    return list(results)


def count_evaluated(result: Any) -> int:
    """How many collapse-guard expectations a checkpoint or validation result evaluated."""
    return sum(1 for r in _results(result) if r.expectation_config.type in EXPECTATION_TYPES)


def require_evaluated(result: Any, at_least: int = 1) -> int:
    """Raise unless ``result`` evaluated at least ``at_least`` collapse-guard expectations.

    Call it after ``checkpoint.run(...)`` with the number of collapse-guard expectations the suite
    should hold: a suite loaded or saved by a process that had not imported
    ``collapse_guard.gx`` has fewer, and the run passes without them.

    Returns
    -------
    int
        The number evaluated.

    Raises
    ------
    ConfigError
        When fewer were evaluated, with the likely cause and the fix.
    """
    found = count_evaluated(result)
    if found < at_least:
        raise ConfigError(
            f"{found} collapse-guard expectation(s) evaluated where the suite should hold at least "
            f"{at_least}; Great Expectations leaves out (and a later suite.save() deletes) "
            "expectations whose class was not registered when the suite was loaded: import "
            "collapse_guard.gx before loading the context's suites or checkpoints in every process "
            "that loads or saves them, and add the lost expectations back to the suite"
        )
    return found
