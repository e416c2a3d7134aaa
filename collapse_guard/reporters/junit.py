"""JUnit XML reporter: one test case per check and column, so CI test tabs show collapse.

The output validates against the Jenkins xunit-plugin ``junit-10.xsd`` (the schema Jenkins,
GitLab and Azure Pipelines read; pytest tests its own output against it). Mapping:

- one ``<testsuite>`` per data file (a ``check`` run has one; a batch of several files is one
  suite named ``batch of N files`` listing each file as a ``path`` property, as its findings
  describe the files together);
- one ``<testcase>`` per (check, column); ``classname`` is ``FILE.CHECK`` (the check alone for a
  batch of several files), ``name`` the column (``(table)`` for table-level findings). CI
  systems key a test's history on (classname, name), so the file must be in it: otherwise the
  cases of every file of a scan would be one test. Jenkins splits the classname at its last dot,
  which shows the file as the package and the check as the class;
- a failed finding gives ``<failure>``, a crashed check ``<error>``, a test that could not be run
  on this batch size ``<skipped>``; warnings pass and are listed in ``<system-out>``;
- a file that could not be read gives one ``<error>`` test case named ``read``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import groupby
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from ..hookspecs import hookimpl
from ..results import Finding, Report, Status
from ..scan import FileResult, ScanReport, file_results

if TYPE_CHECKING:
    from collections.abc import Callable

# XML 1.0 forbids most control characters even when escaped; data values quoted in messages may
# contain them, so they are replaced.
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_RANK = {Status.ERROR: 0, Status.FAIL: 1, Status.WARN: 2, Status.INSUFFICIENT: 3, Status.PASS: 4}


class JUnitReporter:
    """Render a report or a scan as JUnit XML."""

    name = "junit"
    description = "JUnit XML: one test case per check and column (Jenkins, GitLab, Azure)"
    supports_scan = True  # render() also accepts a ScanReport

    def render(self, report: Report | ScanReport) -> str:
        files = file_results(report)
        version = report.tool_version
        root = ET.Element("testsuites", name="collapse-guard")
        totals = {"tests": 0, "failures": 0, "errors": 0}
        for fr in files:
            suite = _suite(fr, version)
            root.append(suite)
            for key in totals:
                totals[key] += int(suite.get(key, "0"))
        for key, value in totals.items():
            root.set(key, str(value))
        root.set("time", "0")
        _sanitize(root)
        ET.indent(root)
        body = ET.tostring(root, encoding="unicode")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _suite(fr: FileResult, version: str) -> ET.Element:
    if len(fr.locations) == 1:
        suite = ET.Element("testsuite", name=fr.path, file=fr.path)
    else:
        suite = ET.Element("testsuite", name=f"batch of {len(fr.locations)} files")
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="collapse-guard.version", value=version)
    if len(fr.locations) > 1:
        for path in fr.locations:
            ET.SubElement(props, "property", name="path", value=path)
    ET.SubElement(props, "property", name="status", value=fr.status)
    if fr.rows is not None:
        ET.SubElement(props, "property", name="rows", value=str(fr.rows))
    cases = list(_cases(fr))
    for case in cases:
        suite.append(case)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    suite.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
    suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    suite.set("time", "0")
    return suite


def _cases(fr: FileResult) -> Iterable[ET.Element]:
    prefix = f"{fr.path}." if len(fr.locations) == 1 else ""
    if fr.kind == "unreadable" or (fr.status == "error" and not fr.findings):
        case = ET.Element("testcase", classname=f"{prefix}collapse-guard", name="read", time="0")
        ET.SubElement(case, "error", type="InputError", message=fr.reason).text = fr.reason
        yield case
        return
    if fr.kind == "image":
        case = ET.Element("testcase", classname=f"{prefix}image-provenance", name="(image)", time="0")
        if fr.status in ("fail", "warn"):
            tag = "failure" if fr.status == "fail" else "system-out"
            el = ET.SubElement(case, tag)
            if tag == "failure":
                el.set("type", "image-provenance")
                el.set("message", fr.reason)
            el.text = fr.reason
        yield case
        return

    def key(f: Finding) -> tuple[str, str]:
        return (f.check, f.column or "")

    for (check, column), group in groupby(sorted(fr.findings, key=key), key=key):
        yield _case(prefix + check, column, list(group))


def _case(classname: str, column: str, findings: list[Finding]) -> ET.Element:
    case = ET.Element("testcase", classname=classname, name=column or "(table)", time="0")
    worst = min(findings, key=lambda f: _RANK[f.status])
    lines = [_line(f) for f in findings]
    if worst.status in (Status.FAIL, Status.ERROR):
        bad = [f for f in findings if f.status is worst.status]
        tag = "failure" if worst.status is Status.FAIL else "error"
        el = ET.SubElement(case, tag, type=bad[0].metric, message=bad[0].display_message())
        el.text = "\n".join(lines)
    elif worst.status is Status.INSUFFICIENT and all(f.status is Status.INSUFFICIENT for f in findings):
        ET.SubElement(case, "skipped", message=worst.display_message()).text = "\n".join(lines)
    else:
        ET.SubElement(case, "system-out").text = "\n".join(lines)
    return case


def _sanitize(root: ET.Element) -> None:
    for el in root.iter():
        if el.text:
            el.text = _XML_BAD.sub("\ufffd", el.text)
        for k, v in el.attrib.items():
            el.set(k, _XML_BAD.sub("\ufffd", v))


def _line(f: Finding) -> str:
    return f"{f.status.value}: {f.metric}: {f.display_message()}"


@hookimpl
def register_reporters(register: Callable[[object], None]) -> None:
    register(JUnitReporter())
