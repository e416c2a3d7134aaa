"""CI reporters (junit, sarif, github, markdown): golden files and schema validation.

Golden files live in tests/golden/. After an intended change of output, regenerate them with
``CG_UPDATE_GOLDEN=1 pytest tests/test_reporters_ci.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from collapse_guard.images import ImageMarkers, summarize_images
from collapse_guard.reporters.github import GitHubReporter
from collapse_guard.reporters.junit import JUnitReporter
from collapse_guard.reporters.markdown import MarkdownReporter
from collapse_guard.reporters.sarif import SarifReporter
from collapse_guard.results import Finding, Measurement, Report, Status
from collapse_guard.scan import FileResult, ScanReport

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
SCHEMAS = HERE / "schemas"


def _f(check: str, column: str | None, metric: str, status: Status, message: str, **kw: object) -> Finding:
    m = Measurement(column=column, metric=metric, message=message, **kw)  # type: ignore[arg-type]
    return Finding(check, m, status, p_adjusted=kw.get("p_value"))  # type: ignore[arg-type]


FINDINGS = (
    _f(
        "diversity-loss",
        "comment",
        "distinct_2",
        Status.WARN,
        "distinct-2 is 18% below expected (0.41 vs 0.50 ± 0.02); repeated: 'great product | fast'.",
        value=0.41,
        expected=0.5,
        interval=(0.39, 0.43),
        p_value=0.004,
        effect=0.82,
    ),
    _f(
        "synthetic-contamination",
        None,
        "synthetic_share",
        Status.PASS,
        "estimated synthetic share 2% [0%, 6%].",
        value=0.02,
        expected=0.0,
        interval=(0.0, 0.06),
        p_value=0.31,
        effect=0.02,
    ),
    _f(
        "tail-shrinkage",
        "country",
        "rare_category_coverage",
        Status.INSUFFICIENT,
        "a batch of 40 rows cannot detect a halved rare-category coverage; needs 400.",
        insufficient="batch too small",
    ),
    _f(
        "tail-shrinkage",
        "größe",
        "upper_tail_mass_q99",
        Status.FAIL,
        "p99 fell from 812 to 640; 3 rows above the reference p99 where 50 were expected "
        "(100% → 6%, <&> \x07).",
        value=0.0006,
        expected=0.01,
        interval=(0.0001, 0.0018),
        p_value=1.2e-9,
        effect=0.06,
        evidence={"reference_q99": 812.0, "batch_q99": 640.0},
    ),
    _f(
        "tail-shrinkage",
        "größe",
        "spread_ratio_q99_q01",
        Status.PASS,
        "q99−q01 spread is 0.97 of the reference's.",
        value=0.97,
        expected=1.0,
        p_value=0.4,
        effect=0.97,
    ),
    _f(
        "my-plugin-check",
        "comment",
        "crash",
        Status.ERROR,
        "check my-plugin-check crashed: ZeroDivisionError: division by zero; report it to the plugin.",
    ),
)

REPORT = Report(
    findings=FINDINGS,
    status="fail",
    reference={"path": "reference.json.gz", "sha256": "ab" * 32, "rows": 20000},
    batch={"paths": ["data/batch 2024 ü.csv"], "rows": 5000},
    seed=0,
    tool_version="0.1.0",
    notes=("column `id` looks like an identifier and was not checked.",),
)

CLEAN = Report(
    findings=(FINDINGS[1], FINDINGS[4]),
    status="pass",
    reference={"path": "reference.json.gz", "sha256": "ab" * 32, "rows": 20000},
    batch={"paths": ["data/clean.csv"], "rows": 3000},
    seed=0,
    tool_version="0.1.0",
)

_IMAGES = (
    ImageMarkers(
        "imgs/gen 1.png",
        "PNG",
        ("c2pa", "iptc-trained-algorithmic-media"),
        {"c2pa": "PNG caBX chunk (C2PA manifest store)"},
    ),
    ImageMarkers("imgs/photo.jpg", "JPEG"),
    ImageMarkers("imgs/broken.png", None, error="not a readable image: cannot identify"),
)

SCAN = ScanReport(
    root="data",
    files=(
        FileResult.from_report(REPORT, path="data/batch 2024 ü.csv"),
        FileResult.from_report(CLEAN, path="data/clean.csv"),
        FileResult(
            "data/broken.parquet",
            "error",
            "data/broken.parquet is not a Parquet file (bad magic bytes); re-export it.",
            kind="unreadable",
        ),
        FileResult(
            "data/imgs/gen 1.png",
            "warn",
            "carries c2pa, iptc-trained-algorithmic-media: the image was likely generated.",
            kind="image",
            markers=_IMAGES[0],
        ),
        FileResult(
            "data/imgs/photo.jpg",
            "pass",
            "no provenance marker (not proof of a human origin).",
            kind="image",
            markers=_IMAGES[1],
        ),
    ),
    status="fail",
    reference={"path": "reference.json.gz", "sha256": "ab" * 32, "rows": 20000},
    seed=0,
    tool_version="0.1.0",
    images=summarize_images(_IMAGES),
    skipped={"excluded": 2, "not a data file": 3},
)


def _describe(check: str, metric: str) -> str:
    return f"{check}: {metric.replace('_', ' ')}"


RENDERERS: dict[str, tuple[JUnitReporter | SarifReporter | GitHubReporter | MarkdownReporter, str]] = {
    "junit": (JUnitReporter(), "xml"),
    "sarif": (SarifReporter(describe=_describe), "json"),
    "github": (GitHubReporter(environ={}), "txt"),
    "markdown": (MarkdownReporter(), "md"),
}


def _golden(name: str, text: str) -> str:
    path = GOLDEN / name
    if os.environ.get("CG_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
@pytest.mark.parametrize("which", ["report", "scan"])
def test_golden(fmt: str, which: str) -> None:
    reporter, ext = RENDERERS[fmt]
    text = reporter.render(REPORT if which == "report" else SCAN)
    assert text == _golden(f"{which}.{fmt}.{ext}", text)


@pytest.fixture(scope="module")
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd"))


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft7Validator:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("report", [REPORT, CLEAN, SCAN], ids=["fail", "pass", "scan"])
def test_junit_validates_against_schema(junit_schema: xmlschema.XMLSchema, report: object) -> None:
    junit_schema.validate(JUnitReporter().render(report))  # type: ignore[arg-type]


def test_junit_one_case_per_check_and_column() -> None:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(JUnitReporter().render(REPORT))
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    assert set(cases) == {
        ("diversity-loss", "comment"),
        ("synthetic-contamination", "(table)"),
        ("tail-shrinkage", "country"),
        ("tail-shrinkage", "größe"),
        ("my-plugin-check", "comment"),
    }
    failure = cases[("tail-shrinkage", "größe")].find("failure")
    assert failure is not None and failure.get("message", "").startswith("p99 fell from 812 to 640")
    assert "\x07" not in failure.get("message", "")
    assert cases[("my-plugin-check", "comment")].find("error") is not None
    assert cases[("tail-shrinkage", "country")].find("skipped") is not None
    assert root.get("tests") == "5" and root.get("failures") == "1" and root.get("errors") == "1"


def test_junit_scan_unreadable_file_is_an_error_case() -> None:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(JUnitReporter().render(SCAN))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert len(suites) == 5
    broken = suites["data/broken.parquet"]
    assert broken.get("errors") == "1"
    assert "bad magic bytes" in (broken.find("testcase/error").get("message") or "")  # type: ignore[union-attr]


@pytest.mark.parametrize("report", [REPORT, CLEAN, SCAN], ids=["fail", "pass", "scan"])
def test_sarif_validates_against_schema(sarif_validator: jsonschema.Draft7Validator, report: object) -> None:
    log = json.loads(SarifReporter(describe=_describe).render(report))  # type: ignore[arg-type]
    errors = sorted(sarif_validator.iter_errors(log), key=str)
    assert not errors, errors[0].message if errors else ""


def test_sarif_results_located_at_the_data_file() -> None:
    log = json.loads(SarifReporter(describe=_describe).render(REPORT))
    results = log["runs"][0]["results"]
    assert [r["level"] for r in results] == ["warning", "note", "error", "error"]
    loc = results[2]["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "data/batch%202024%20%C3%BC.csv"
    assert loc["logicalLocations"] == [{"name": "größe", "kind": "member"}]
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    fingerprints = {r["partialFingerprints"]["collapseGuardFinding/v1"] for r in results}
    assert len(fingerprints) == len(results)


def test_sarif_clean_report_has_no_results() -> None:
    log = json.loads(SarifReporter(describe=_describe).render(CLEAN))
    assert log["runs"][0]["results"] == []


def test_github_annotations_are_escaped() -> None:
    out = GitHubReporter(environ={}).render(REPORT).splitlines()
    fail = next(line for line in out if "upper_tail_mass_q99" in line)
    assert fail.startswith("::error file=data/batch 2024 ü.csv,line=1,title=tail-shrinkage (größe)%3A ")
    assert "100%25 → 6%25" in fail
    assert out[-1].startswith("collapse-guard: fail — ")
    assert not any("synthetic_share" in line for line in out)  # passing findings stay quiet
    warning = next(line for line in out if "distinct_2" in line)
    assert warning.startswith("::warning ")
    assert all("\n" not in line for line in out)


def test_github_message_newlines_are_encoded() -> None:
    f = _f("tail-shrinkage", "a,b:c", "m", Status.FAIL, "line one\nline two\r")
    rep = Report((f,), "fail", {}, {"paths": ["x.csv"]}, 0, "0.1.0")
    (line, _summary) = GitHubReporter(environ={}).render(rep).splitlines()
    assert line == "::error file=x.csv,line=1,title=tail-shrinkage (a%2Cb%3Ac)%3A m::line one%0Aline two%0D"


def test_github_writes_step_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("previous step\n", encoding="utf-8")
    GitHubReporter(environ={"GITHUB_STEP_SUMMARY": str(summary)}).render(SCAN)
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("previous step\n")
    assert MarkdownReporter().render(SCAN) in text


def test_github_without_summary_variable_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.chdir(tmp_path)
    GitHubReporter().render(REPORT)
    assert list(tmp_path.iterdir()) == []


def test_markdown_escapes_table_cells() -> None:
    md = MarkdownReporter().render(REPORT)
    assert "great product \\| fast" in md
    assert "<details><summary>2 findings passed</summary>" in md
    scan_md = MarkdownReporter().render(SCAN)
    assert "1 of 2 readable images (50.0%" in scan_md
    assert "not proven human" in scan_md


def test_batch_of_several_files_is_located_at_each(sarif_validator: jsonschema.Draft7Validator) -> None:
    rep = Report((FINDINGS[3],), "fail", {}, {"paths": ["a.csv", "b/c.csv"], "rows": 10}, 0, "0.1.0")
    log = json.loads(SarifReporter(describe=_describe).render(rep))
    assert not list(sarif_validator.iter_errors(log))
    (result,) = log["runs"][0]["results"]
    uris = [loc["physicalLocation"]["artifactLocation"]["uri"] for loc in result["locations"]]
    assert uris == ["a.csv", "b/c.csv"]
    (line, _summary) = GitHubReporter(environ={}).render(rep).splitlines()
    assert line.startswith("::error file=a.csv,")
    assert 'name="a.csv, b/c.csv"' in JUnitReporter().render(rep)
