"""SARIF 2.1.0 reporter: findings as code-scanning results located at the data file.

Validates against the OASIS SARIF 2.1.0 JSON schema. GitHub code scanning, Azure DevOps and the
VS Code SARIF viewer read it. Mapping:

- one rule per check and metric (``tail-shrinkage/upper_tail_mass_q99``), described from the
  check's ``MetricSpec`` when the check is installed, with ``helpUri`` at the check's page;
- one result per finding that warns or fails: ``fail`` and ``error`` are level ``error``,
  ``warn`` is ``warning``. An ``insufficient-data`` finding is no alert (code scanning would
  keep it open on every clean batch): it is a ``note`` among the invocation's
  ``toolExecutionNotifications``;
- the location is the data file (line 1, the header row, for columns of a table) with the
  column as a logical location, its URI relative to the repository root (``%SRCROOT%``, what
  code scanning resolves) when the file is in a git work tree; ``partialFingerprints`` keep a
  result's identity stable across runs so code scanning can track it;
- a file that could not be read is a result of rule ``collapse-guard/read-error`` and makes the
  invocation unsuccessful, with an ``error`` notification naming it; an image carrying generator
  markers is a result of rule ``image-provenance/generator_markers``;
- ``automationDetails.id`` names the command (``collapse-guard/check/``, ``collapse-guard/scan/``)
  so that uploads of both for one commit are separate analyses.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from ..hookspecs import hookimpl
from ..results import Finding, Report, Status
from ..scan import FileResult, ScanReport, file_results
from ._locations import artifact_uri

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Status.FAIL: "error", Status.ERROR: "error", Status.WARN: "warning"}
_FILE_LEVEL = {"fail": "error", "error": "error", "warn": "warning"}
READ_ERROR = "collapse-guard/read-error"
IMAGE_RULE = "image-provenance/generator_markers"
# [project.urls] Homepage in pyproject.toml (a test keeps them equal); the docs of a release
# live at the same paths.
DOCS = "https://github.com/collapse-guard/collapse-guard/blob/main/docs/"
HELP_PAGES = {
    "diversity-loss": "checks/diversity-loss.md",
    "semantic-diversity": "checks/diversity-loss.md#semantic-diversity-optional",
    "synthetic-contamination": "checks/synthetic-contamination.md",
    "tail-shrinkage": "checks/tail-shrinkage.md",
    "image-provenance": "scan.md#images",
    "collapse-guard": "scan.md#exit-codes",
}


class SarifReporter:
    """Render a report or a scan as SARIF 2.1.0."""

    name = "sarif"
    description = "SARIF 2.1.0 for GitHub code scanning and other SARIF viewers"
    supports_scan = True  # render() also accepts a ScanReport

    def __init__(
        self,
        describe: Callable[[str, str], str | None] | None = None,
        environ: Mapping[str, str] | None = None,
        cwd: str | None = None,
    ) -> None:
        # describe(check, metric) -> what the metric measures; the default asks the installed
        # checks. environ and cwd (default: the process's) place file URIs; tests pin them.
        self._describe = describe or _describe_installed
        self._environ = environ
        self._cwd = cwd

    def render(self, report: Report | ScanReport) -> str:
        environ = os.environ if self._environ is None else self._environ
        found = _Findings(self._describe, os.getcwd() if self._cwd is None else self._cwd, environ)
        for fr in file_results(report):
            found.results.extend(found.file(fr))
        rules, results, notifications = found.rules, found.results, found.notifications
        ordered = sorted(rules)
        index = {rule_id: i for i, rule_id in enumerate(ordered)}
        for r in results:
            r["ruleIndex"] = index[r["ruleId"]]
        # Crashed checks and unreadable files: the run did not check everything it was given.
        failed = any(n["level"] == "error" for n in notifications)
        invocation: dict[str, Any] = {
            "executionSuccessful": not failed,
            "properties": {"status": report.status, "seed": report.seed},
        }
        if notifications:
            invocation["toolExecutionNotifications"] = notifications
        command = "scan" if isinstance(report, ScanReport) else "check"
        run: dict[str, Any] = {
            "tool": {
                "driver": {
                    "name": "collapse-guard",
                    "semanticVersion": report.tool_version,
                    "version": report.tool_version,
                    "informationUri": DOCS.split("/blob/")[0],
                    "rules": [rules[r] for r in ordered],
                }
            },
            # The category (up to the last "/") tells code scanning which analysis a result
            # belongs to, so a `check` upload does not close the alerts of a `scan` one.
            "automationDetails": {"id": f"collapse-guard/{command}/"},
            "invocations": [invocation],
            "results": results,
            "columnKind": "unicodeCodePoints",
        }
        if isinstance(report, ScanReport):
            run["properties"] = {"root": report.root, "summary": report.counts()}
        log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
        return json.dumps(log, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


class _Findings:
    """Rules, results and notifications collected over one report's files."""

    def __init__(
        self, describe: Callable[[str, str], str | None], cwd: str, environ: Mapping[str, str]
    ) -> None:
        self._describe = describe
        self._cwd = cwd
        self._environ = environ
        self._uris: dict[str, dict[str, str]] = {}
        self.rules: dict[str, dict[str, Any]] = {}
        self.results: list[dict[str, Any]] = []
        self.notifications: list[dict[str, Any]] = []

    def _place(self, path: str) -> dict[str, str]:
        if path not in self._uris:  # one walk up to .git per file
            self._uris[path] = artifact_uri(path, self._cwd, self._environ)
        return self._uris[path]

    def file(self, fr: FileResult) -> list[dict[str, Any]]:
        """The results of one file; its rules and notifications are collected on the way."""
        rules, notifications = self.rules, self.notifications
        if fr.kind == "unreadable" or (fr.status == "error" and not fr.findings):
            rules.setdefault(READ_ERROR, _rule(READ_ERROR, "The file could not be read.", "collapse-guard"))
            notifications.append(self._notification("error", fr.reason, fr.locations, None, READ_ERROR))
            return [self._result(READ_ERROR, "error", fr.reason, fr.locations, None, "read")]
        if fr.kind == "image":
            if fr.status not in _FILE_LEVEL:
                return []
            rules.setdefault(
                IMAGE_RULE,
                _rule(
                    IMAGE_RULE,
                    "The image carries metadata written by an image generator.",
                    "image-provenance",
                ),
            )
            return [self._result(IMAGE_RULE, _FILE_LEVEL[fr.status], fr.reason, fr.locations, None, "image")]
        out = []
        for f in fr.findings:
            rule_id = f"{f.check}/{f.metric}"
            if f.status is Status.INSUFFICIENT or f.status is Status.ERROR:
                # A notification's associatedRule must name a rule of the run (SARIF 3.52).
                rules.setdefault(rule_id, _rule(rule_id, self._describe(f.check, f.metric), f.check))
                level = "note" if f.status is Status.INSUFFICIENT else "error"
                note = self._notification(level, f.display_message(), fr.locations, f.column, rule_id)
                note["properties"] = _properties(f)  # the reason, as a result would carry it
                notifications.append(note)
            if f.status not in _LEVEL:
                continue
            if rule_id not in rules:
                rules[rule_id] = _rule(rule_id, self._describe(f.check, f.metric), f.check)
            result = self._result(
                rule_id, _LEVEL[f.status], f.display_message(), fr.locations, f.column, f.metric
            )
            result["properties"] = _properties(f)
            out.append(result)
        return out

    def _locations(self, paths: tuple[str, ...], column: str | None) -> list[dict[str, Any]]:
        locations = []
        for path in paths:
            location: dict[str, Any] = {
                "physicalLocation": {
                    "artifactLocation": dict(self._place(path)),
                    "region": {"startLine": 1},
                }
            }
            if column is not None:
                location["logicalLocations"] = [{"name": column, "kind": "member"}]
            locations.append(location)
        return locations

    def _result(
        self,
        rule_id: str,
        level: str,
        message: str,
        paths: tuple[str, ...],
        column: str | None,
        metric: str,
    ) -> dict[str, Any]:
        # The identity uses the located paths, not the paths as typed, so the same file checked
        # from another folder is the same alert; unquoted, so that it is the path as typed when
        # that was relative to the repository root (fingerprints of earlier versions hold).
        where = [unquote(self._place(p)["uri"]).removeprefix("file://") for p in paths]
        identity = "\x1f".join((rule_id, *where, column or "", metric))
        return {
            "ruleId": rule_id,
            "level": level,
            "message": {"text": message or rule_id},
            "locations": self._locations(paths, column),
            "partialFingerprints": {
                # surrogateescape: a file name that is not UTF-8 (bytes the OS handed over as-is)
                "collapseGuardFinding/v1": hashlib.sha256(
                    identity.encode("utf-8", "surrogateescape")
                ).hexdigest()[:32]
            },
        }

    def _notification(
        self, level: str, message: str, paths: tuple[str, ...], column: str | None, rule_id: str
    ) -> dict[str, Any]:
        return {
            "level": level,
            "message": {"text": message or rule_id},
            "locations": self._locations(paths, column),
            "associatedRule": {"id": rule_id},
        }


def _rule(rule_id: str, description: str | None, check: str) -> dict[str, Any]:
    check_name, _, metric = rule_id.partition("/")
    rule: dict[str, Any] = {
        "id": rule_id,
        "name": rule_id.replace("/", "_").replace("-", "_"),
        "shortDescription": {"text": f"{check_name}: {metric.replace('_', ' ')}"},
    }
    if description:
        rule["fullDescription"] = {"text": description}
    page = HELP_PAGES.get(check)
    if page is not None:
        rule["helpUri"] = DOCS + page
    return rule


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
    return None if spec is None else spec.description


@hookimpl
def register_reporters(register: Callable[[object], None]) -> None:
    register(SarifReporter())
