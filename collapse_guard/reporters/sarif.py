"""SARIF 2.1.0 reporter: findings as code-scanning results located at the data file.

Validates against the OASIS SARIF 2.1.0 JSON schema. GitHub code scanning, Azure DevOps and the
VS Code SARIF viewer read it. Mapping:

- one rule per check and metric (``tail-shrinkage/upper_tail_mass_q99``), described from the
  check's ``MetricSpec`` when the check is installed;
- one result per finding that is not ``pass``: ``fail`` and ``error`` are level ``error``,
  ``warn`` is ``warning``, ``insufficient-data`` is ``note``;
- the location is the data file (line 1, the header row, for columns of a table) with the
  column as a logical location; ``partialFingerprints`` keep a result's identity stable across
  runs so code scanning can track it;
- a file that could not be read is a result of rule ``collapse-guard/read-error``; an image
  carrying generator markers one of rule ``image-provenance/generator_markers``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from ..hookspecs import hookimpl
from ..results import Finding, Report, Status
from ..scan import FileResult, ScanReport, file_results

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {
    Status.FAIL: "error",
    Status.ERROR: "error",
    Status.WARN: "warning",
    Status.INSUFFICIENT: "note",
}
_FILE_LEVEL = {"fail": "error", "error": "error", "warn": "warning", "insufficient-data": "note"}
READ_ERROR = "collapse-guard/read-error"
IMAGE_RULE = "image-provenance/generator_markers"


class SarifReporter:
    """Render a report or a scan as SARIF 2.1.0."""

    name = "sarif"
    description = "SARIF 2.1.0 for GitHub code scanning and other SARIF viewers"
    supports_scan = True  # render() also accepts a ScanReport

    def __init__(self, describe: Callable[[str, str], str | None] | None = None) -> None:
        # describe(check, metric) -> rule description; the default asks the installed checks.
        self._describe = describe or _describe_installed

    def render(self, report: Report | ScanReport) -> str:
        rules: dict[str, dict[str, Any]] = {}
        results: list[dict[str, Any]] = []
        for fr in file_results(report):
            results.extend(self._file(fr, rules))
        ordered = sorted(rules)
        index = {rule_id: i for i, rule_id in enumerate(ordered)}
        for r in results:
            r["ruleIndex"] = index[r["ruleId"]]
        status = report.status
        run: dict[str, Any] = {
            "tool": {
                "driver": {
                    "name": "collapse-guard",
                    "semanticVersion": report.tool_version,
                    "version": report.tool_version,
                    "rules": [rules[r] for r in ordered],
                }
            },
            "invocations": [
                {
                    "executionSuccessful": True,
                    "properties": {"status": status, "seed": report.seed},
                }
            ],
            "results": results,
            "columnKind": "unicodeCodePoints",
        }
        if isinstance(report, ScanReport):
            run["properties"] = {"root": report.root, "summary": report.counts()}
        log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
        return json.dumps(log, indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    def _file(self, fr: FileResult, rules: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        if fr.kind == "unreadable" or (fr.status == "error" and not fr.findings):
            rules.setdefault(READ_ERROR, _rule(READ_ERROR, "The file could not be read."))
            return [_result(READ_ERROR, "error", fr.reason, fr.locations, None, "read")]
        if fr.kind == "image":
            if fr.status not in _FILE_LEVEL:
                return []
            rules.setdefault(
                IMAGE_RULE,
                _rule(IMAGE_RULE, "The image carries metadata written by an image generator."),
            )
            return [_result(IMAGE_RULE, _FILE_LEVEL[fr.status], fr.reason, fr.locations, None, "image")]
        out = []
        for f in fr.findings:
            if f.status is Status.PASS:
                continue
            rule_id = f"{f.check}/{f.metric}"
            if rule_id not in rules:
                text = self._describe(f.check, f.metric) or f"{f.check}: {f.metric}"
                rules[rule_id] = _rule(rule_id, text)
            result = _result(rule_id, _LEVEL[f.status], f.display_message(), fr.locations, f.column, f.metric)
            result["properties"] = _properties(f)
            out.append(result)
        return out


def _rule(rule_id: str, text: str) -> dict[str, Any]:
    return {
        "id": rule_id,
        "name": rule_id.replace("/", "_").replace("-", "_"),
        "shortDescription": {"text": text},
    }


def _result(
    rule_id: str,
    level: str,
    message: str,
    paths: tuple[str, ...],
    column: str | None,
    metric: str,
) -> dict[str, Any]:
    locations = []
    for path in paths:
        artifact: dict[str, Any] = (
            {"uri": "file://" + quote(path)}
            if path.startswith("/")
            else {"uri": quote(path), "uriBaseId": "%SRCROOT%"}
        )
        location: dict[str, Any] = {
            "physicalLocation": {"artifactLocation": artifact, "region": {"startLine": 1}}
        }
        if column is not None:
            location["logicalLocations"] = [{"name": column, "kind": "member"}]
        locations.append(location)
    identity = "\x1f".join((rule_id, *paths, column or "", metric))
    return {
        "ruleId": rule_id,
        "level": level,
        "message": {"text": message or rule_id},
        "locations": locations,
        "partialFingerprints": {
            "collapseGuardFinding/v1": hashlib.sha256(identity.encode()).hexdigest()[:32]
        },
    }


def _properties(f: Finding) -> dict[str, Any]:
    d = f.to_dict()
    return {
        k: d[k]
        for k in ("status", "column", "value", "expected", "interval", "p_value", "effect", "insufficient")
        if d[k] is not None
    }


def _describe_installed(check: str, metric: str) -> str | None:
    try:
        from ..plugins import get_checks

        spec = get_checks()[check].metrics.get(metric)
    except Exception:  # a description is optional; never fail a report for it
        return None
    return None if spec is None else f"{check}: {spec.description}"


@hookimpl
def register_reporters(register: Callable[[object], None]) -> None:
    register(SarifReporter())
