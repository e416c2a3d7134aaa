"""CI reporters (junit, sarif, github, markdown): golden files and schema validation.

Golden files live in tests/golden/. After an intended change of output, regenerate them with
``CG_UPDATE_GOLDEN=1 pytest tests/test_reporters_ci.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import xmlschema

from collapse_guard.images import ImageMarkers, summarize_images
from collapse_guard.reporters.github import GitHubReporter
from collapse_guard.reporters.junit import JUnitReporter
from collapse_guard.reporters.markdown import MarkdownReporter, render_markdown
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


NO_REPO = "/nonexistent-collapse-guard-test"


def _describe(check: str, metric: str) -> str:
    return f"{check}: {metric.replace('_', ' ')}"


RENDERERS: dict[str, tuple[JUnitReporter | SarifReporter | GitHubReporter | MarkdownReporter, str]] = {
    "junit": (JUnitReporter(), "xml"),
    # A folder outside any git work tree, and no GITHUB_WORKSPACE: URIs stay as the paths given.
    "sarif": (SarifReporter(describe=_describe, environ={}, cwd=NO_REPO), "json"),
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
    f = "data/batch 2024 ü.csv."
    assert set(cases) == {
        (f + "diversity-loss", "comment"),
        (f + "synthetic-contamination", "(table)"),
        (f + "tail-shrinkage", "country"),
        (f + "tail-shrinkage", "größe"),
        (f + "my-plugin-check", "comment"),
    }
    failure = cases[(f + "tail-shrinkage", "größe")].find("failure")
    assert failure is not None and failure.get("message", "").startswith("p99 fell from 812 to 640")
    assert "\x07" not in failure.get("message", "")
    assert cases[(f + "my-plugin-check", "comment")].find("error") is not None
    assert cases[(f + "tail-shrinkage", "country")].find("skipped") is not None
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
    log = json.loads(SarifReporter(describe=_describe, environ={}, cwd=NO_REPO).render(REPORT))
    results = log["runs"][0]["results"]
    assert [r["level"] for r in results] == ["warning", "error", "error"]
    loc = results[1]["locations"][0]
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


# ----- GitHub: which annotations survive the 10-per-step limit -------------------------------------


def _file(path: str, findings: list[Finding], rows: int = 100) -> FileResult:
    worst = {s.value for s in (f.status for f in findings)}
    status = "fail" if worst & {"fail", "error"} else "warn" if "warn" in worst else "pass"
    rep = Report(tuple(findings), status, {}, {"paths": [path], "rows": rows}, 0, "0.1.0")
    return FileResult.from_report(rep, path=path)


def _failing(path: str, rng: np.random.Generator, columns: int = 6, warns: int = 3) -> FileResult:
    # Column failures far more significant than the table-level headline: the headline must
    # still come first.
    findings = [
        _f("tail-shrinkage", f"c{i}", "upper_tail_mass_q99", Status.FAIL, f"c{i} lost its tail.", p_value=p)
        for i, p in enumerate(rng.uniform(1e-12, 1e-6, columns))
    ]
    findings.append(
        _f("synthetic-contamination", None, "synthetic_share", Status.FAIL, "40% synthetic.", p_value=0.01)
    )
    findings += [
        _f("diversity-loss", f"w{i}", "distinct_2", Status.WARN, f"w{i} repeats.", p_value=p)
        for i, p in enumerate(rng.uniform(0.001, 0.01, warns))
    ]
    findings.append(_f("tail-shrinkage", "n", "rare_category_coverage", Status.INSUFFICIENT, "too few rows."))
    return _file(path, findings)


def _scan_of(files: list[FileResult]) -> ScanReport:
    return ScanReport(
        root="data", files=tuple(files), status="fail", reference=None, seed=0, tool_version="0.1.0"
    )


def _lines(text: str, command: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(f"::{command} ")]


def test_github_annotations_most_important_first_within_the_limit() -> None:
    rng = np.random.default_rng(20240601)
    files = [_failing(f"data/a_{i:02}.csv", rng) for i in range(12)]
    passing = _file(
        "data/b_pass.csv",
        [
            _f("tail-shrinkage", f"x{i}", "rare_token_share", Status.INSUFFICIENT, "no rare words.")
            for i in range(5)
        ],
    )
    unreadable = FileResult(
        "data/zz_broken.csv", "error", "data/zz_broken.csv is not UTF-8.", kind="unreadable"
    )
    out = GitHubReporter(environ={}).render(_scan_of([*files, passing, unreadable]))
    errors, warnings_, notices = (_lines(out, c) for c in ("error", "warning", "notice"))
    assert len(errors) == 10 and len(warnings_) == 10 and len(notices) <= 10
    # The unreadable file first, although its name sorts last; then one headline per file.
    assert errors[0].startswith("::error file=data/zz_broken.csv,")
    assert all(
        "synthetic_share" in line and "(and 6 more errors for this file)" in line for line in errors[1:]
    )
    assert [line.split(",")[0] for line in errors[1:]] == [
        f"::error file=data/a_{i:02}.csv" for i in range(9)
    ]
    assert not any("b_pass.csv" in line for line in out.splitlines())
    # The closing notice counts what was left out and comes just before the summary line.
    *_, pointer, last = out.splitlines()
    assert pointer.startswith("::notice title=collapse-guard%3A more findings::")
    # 12 files × 7 failures + 1 unreadable = 85 errors, 10 shown; 36 warnings, 10 shown;
    # 12 insufficient-data notices of failing files, 9 shown (one slot kept for this notice).
    assert "75 error, 26 warning and 3 notice annotations left out" in pointer
    assert last.startswith("collapse-guard: fail — ")


def test_github_annotations_fill_free_slots_by_importance() -> None:
    rng = np.random.default_rng(7)
    first, second = (
        _failing("data/a.csv", rng, columns=7, warns=0),
        _failing("data/b.csv", rng, columns=7, warns=0),
    )
    out = GitHubReporter(environ={}).render(_scan_of([first, second]))
    errors = _lines(out, "error")
    assert len(errors) == 10
    a = [line for line in errors if "data/a.csv" in line]
    b = [line for line in errors if "data/b.csv" in line]
    assert len(a) == 8 and len(b) == 2 and "(and 6 more errors for this file)" in b[-1]
    # Within a file: the table-level headline, then columns by adjusted p.
    assert "synthetic_share" in a[0]
    columns = [line.split("(")[1].split(")")[0] for line in a[1:]]
    by_p = sorted(
        (f for f in first.findings if f.column and f.status is Status.FAIL), key=lambda f: f.p_adjusted or 1
    )
    assert columns == [f.column for f in by_p]
    assert out.splitlines()[-2].startswith(
        "::notice title=collapse-guard%3A more findings::6 error annotations"
    )


def test_github_no_pointer_notice_when_everything_fits() -> None:
    out = GitHubReporter(environ={}).render(REPORT)
    assert "more findings" not in out


# ----- GitHub: the job summary --------------------------------------------------------------------


def test_github_summary_stays_under_the_limit(tmp_path: Path) -> None:
    from collapse_guard.reporters.github import SUMMARY_LIMIT

    rng = np.random.default_rng(3)
    long = "the batch lost its tail; " * 12
    files = [
        _file(
            f"data/f{i:03}.csv",
            [
                _f("tail-shrinkage", f"col{j}", "upper_tail_mass_q99", Status.FAIL, long, p_value=p)
                for j, p in enumerate(rng.uniform(0, 1e-6, 40))
            ],
        )
        for i in range(300)
    ]
    summary = tmp_path / "summary.md"
    summary.write_text("x" * 50_000 + "\n", encoding="utf-8")  # an earlier command of the step
    GitHubReporter(environ={"GITHUB_STEP_SUMMARY": str(summary)}).render(_scan_of(files))
    size = summary.stat().st_size
    assert 800 * 1024 < size <= SUMMARY_LIMIT < 1024 * 1024
    text = summary.read_text(encoding="utf-8")
    assert "## collapse-guard scan of `data`" in text and "| file | status | rows | reason |" in text
    assert all(f"`data/f{i:03}.csv`" in text for i in range(300))  # the files table is whole
    assert "more files with findings not shown; see the JSON report (`--format json`)." in text
    assert text.rstrip().endswith("not shown; see the JSON report (`--format json`).")


def test_markdown_limit_cuts_a_large_check_report() -> None:
    findings = tuple(
        _f("tail-shrinkage", f"c{i}", "upper_tail_mass_q99", Status.FAIL, "lost " * 30) for i in range(5000)
    )
    rep = Report(findings, "fail", {}, {"paths": ["big.csv"], "rows": 10}, 0, "0.1.0", notes=("a note.",))
    md = render_markdown(rep, limit=50_000)
    assert len(md.encode()) <= 50_000
    assert md.startswith("## collapse-guard: ❌ fail") and "- a note." in md
    assert "more findings not shown; see the JSON report" in md
    assert render_markdown(rep) == MarkdownReporter().render(rep)  # no limit: everything


def test_markdown_limit_holds_when_many_tables_are_cut() -> None:
    # Each file's table is cut after one short row, so each adds its own "… N more" line: those
    # lines are paid for, not only the three the budget sets aside at the start.
    short = _f("tail-shrinkage", "a", "upper_tail_mass_q99", Status.FAIL, "x", p_value=1e-9)
    long = _f("tail-shrinkage", "b", "upper_tail_mass_q99", Status.FAIL, "y" * 3000, p_value=1e-8)
    scan = _scan_of([_file(f"f{i}.csv", [short, long]) for i in range(12)])
    for limit in range(500, 6000, 7):
        assert len(render_markdown(scan, limit=limit).encode()) <= limit, limit


def test_github_unwritable_summary_is_a_warning(tmp_path: Path) -> None:
    from collapse_guard.errors import CollapseGuardWarning

    path = tmp_path / "missing" / "summary.md"
    with pytest.warns(CollapseGuardWarning, match="cannot write the job summary to .*summary.md"):
        out = GitHubReporter(environ={"GITHUB_STEP_SUMMARY": str(path)}).render(REPORT)
    assert out == GitHubReporter(environ={}).render(REPORT)


def test_cli_unwritable_summary_keeps_the_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from collapse_guard.cli import main

    data = tmp_path / "batch.csv"
    rng = np.random.default_rng(5)
    data.write_text("x\n" + "\n".join(f"{v:.3f}" for v in rng.normal(size=300)) + "\n", encoding="utf-8")
    args = ["scan", str(data), "--format", "github", "--select", "tail-shrinkage"]
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    expected = main(args)
    capsys.readouterr()
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing" / "summary.md"))
    assert main(args) == expected
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if "job summary" in line] == [
        f"collapse-guard: warning: cannot write the job summary to {tmp_path}/missing/summary.md "
        "(No such file or directory); the annotations are printed anyway"
    ]


# ----- JUnit: one identity per test case ----------------------------------------------------------


def test_junit_cases_are_unique_and_stable_across_a_scan() -> None:
    import xml.etree.ElementTree as ET

    rng = np.random.default_rng(11)
    scan = _scan_of([_failing(f"data/f{i}.csv", rng) for i in range(4)] + list(SCAN.files))
    xml = JUnitReporter().render(scan)
    ids = [(c.get("classname"), c.get("name")) for c in ET.fromstring(xml).iter("testcase")]
    assert len(ids) == len(set(ids))
    assert ("data/f0.csv.tail-shrinkage", "c0") in ids and (
        "data/broken.parquet.collapse-guard",
        "read",
    ) in ids
    assert JUnitReporter().render(scan) == xml


# ----- a check of several files -------------------------------------------------------------------


def test_batch_of_several_files(
    sarif_validator: jsonschema.Draft7Validator, junit_schema: xmlschema.XMLSchema
) -> None:
    import xml.etree.ElementTree as ET

    rep = Report((FINDINGS[3],), "fail", {}, {"paths": ["a.csv", "b/c.csv"], "rows": 10}, 0, "0.1.0")
    log = json.loads(SarifReporter(describe=_describe, environ={}, cwd=NO_REPO).render(rep))
    assert not list(sarif_validator.iter_errors(log))
    (result,) = log["runs"][0]["results"]
    uris = [loc["physicalLocation"]["artifactLocation"]["uri"] for loc in result["locations"]]
    assert uris == ["a.csv", "b/c.csv"]
    # GitHub: the finding describes both files together, so it is pinned on neither.
    (line, _summary) = GitHubReporter(environ={}).render(rep).splitlines()
    assert line.startswith("::error title=tail-shrinkage (größe)%3A upper_tail_mass_q99::p99 fell")
    xml = JUnitReporter().render(rep)
    junit_schema.validate(xml)
    assert "a.csv, b/c.csv" not in xml
    (suite,) = ET.fromstring(xml).iter("testsuite")
    assert suite.get("name") == "batch of 2 files" and suite.get("file") is None
    assert [p.get("value") for p in suite.iter("property") if p.get("name") == "path"] == ["a.csv", "b/c.csv"]
    assert {c.get("classname") for c in suite.iter("testcase")} == {"tail-shrinkage"}


# ----- SARIF for code scanning --------------------------------------------------------------------


def _uris(log: dict[str, object]) -> list[str]:
    results = log["runs"][0]["results"]  # type: ignore[index]
    return [loc["physicalLocation"]["artifactLocation"]["uri"] for r in results for loc in r["locations"]]


def test_sarif_uris_are_relative_to_the_repository_root(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "tools").mkdir()
    inside = ScanReport(
        root="../data",
        files=(FileResult.from_report(REPORT, path="../data/x y.csv"),),
        status="fail",
        reference=None,
        seed=0,
        tool_version="0.1.0",
    )
    from_tools = json.loads(
        SarifReporter(describe=_describe, environ={}, cwd=str(repo / "tools")).render(inside)
    )
    assert set(_uris(from_tools)) == {"data/x%20y.csv"}
    # The same file by absolute path, from elsewhere: the same URI and the same fingerprints.
    same = _file(str(repo / "data" / "x y.csv"), list(REPORT.findings))
    absolute = json.loads(
        SarifReporter(describe=_describe, environ={}, cwd=str(tmp_path)).render(_scan_of([same]))
    )
    assert set(_uris(absolute)) == {"data/x%20y.csv"}

    def prints(log: dict[str, object]) -> list[str]:
        return [r["partialFingerprints"]["collapseGuardFinding/v1"] for r in log["runs"][0]["results"]]  # type: ignore[index]

    assert prints(absolute) == prints(from_tools)


def test_sarif_uris_fall_back_to_the_workspace_then_as_given(tmp_path: Path) -> None:
    work = tmp_path / "ws"
    (work / "sub").mkdir(parents=True)
    scan = _scan_of([_file("../data/a.csv", list(REPORT.findings))])
    env = {"GITHUB_WORKSPACE": str(work)}
    in_ws = json.loads(SarifReporter(describe=_describe, environ=env, cwd=str(work / "sub")).render(scan))
    assert set(_uris(in_ws)) == {"data/a.csv"}
    outside = json.loads(SarifReporter(describe=_describe, environ={}, cwd=str(work / "sub")).render(scan))
    assert set(_uris(outside)) == {"../data/a.csv"}
    absolute = _scan_of([_file(str(tmp_path / "elsewhere.csv"), list(REPORT.findings))])
    log = json.loads(SarifReporter(describe=_describe, environ={}, cwd=str(work)).render(absolute))
    assert set(_uris(log)) == {f"file://{tmp_path}/elsewhere.csv"}


def test_sarif_nested_repositories_and_non_utf8_names(tmp_path: Path) -> None:
    outer = tmp_path / "repo"
    (outer / ".git").mkdir(parents=True)
    (outer / "vendor" / "ext" / ".git").mkdir(parents=True)  # a vendored clone or submodule
    nested = _scan_of([_file(str(outer / "vendor/ext/data/x.csv"), list(REPORT.findings))])
    top = _scan_of([_file(str(outer / "data/x.csv"), list(REPORT.findings))])
    for env in ({}, {"GITHUB_WORKSPACE": str(outer)}):
        log = json.loads(SarifReporter(describe=_describe, environ=env, cwd=str(tmp_path)).render(nested))
        assert set(_uris(log)) == {"vendor/ext/data/x.csv"}, env
        other = json.loads(SarifReporter(describe=_describe, environ=env, cwd=str(tmp_path)).render(top))
        prints = {r["partialFingerprints"]["collapseGuardFinding/v1"] for r in log["runs"][0]["results"]}
        assert prints.isdisjoint(
            r["partialFingerprints"]["collapseGuardFinding/v1"] for r in other["runs"][0]["results"]
        )
    # A file name that is not UTF-8 (os.fsdecode gives lone surrogates) is percent-encoded.
    odd = _scan_of([_file(os.fsdecode(b"data/caf\xe9.csv"), list(REPORT.findings))])
    log = json.loads(SarifReporter(describe=_describe, environ={}, cwd=NO_REPO).render(odd))
    assert set(_uris(log)) == {"data/caf%E9.csv"}


def test_sarif_notifications_name_rules_of_the_run() -> None:
    log = json.loads(SarifReporter(environ={}, cwd=NO_REPO).render(SCAN))
    (run,) = log["runs"]
    rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes and all(n["associatedRule"]["id"] in rules for n in notes if "associatedRule" in n)


def test_github_summary_near_the_limit_is_left_alone(tmp_path: Path) -> None:
    from collapse_guard.errors import CollapseGuardWarning
    from collapse_guard.reporters.github import GITHUB_SUMMARY_MAX

    summary = tmp_path / "summary.md"
    summary.write_bytes(b"x" * (GITHUB_SUMMARY_MAX - 200))  # other commands of the step
    with pytest.warns(CollapseGuardWarning, match="near GitHub's limit"):
        GitHubReporter(environ={"GITHUB_STEP_SUMMARY": str(summary)}).render(REPORT)
    assert summary.stat().st_size == GITHUB_SUMMARY_MAX - 200


def test_sarif_code_scanning_details(sarif_validator: jsonschema.Draft7Validator) -> None:
    scan = json.loads(SarifReporter(environ={}, cwd=NO_REPO).render(SCAN))  # installed checks describe
    check = json.loads(SarifReporter(environ={}, cwd=NO_REPO).render(CLEAN))
    for log in (scan, check):
        assert not list(sarif_validator.iter_errors(log))
    (run,) = scan["runs"]
    assert run["automationDetails"] == {"id": "collapse-guard/scan/"}
    assert check["runs"][0]["automationDetails"] == {"id": "collapse-guard/check/"}
    # (b) insufficient data is a note among the notifications, not an alert.
    assert all(r["level"] != "note" for r in run["results"])
    (invocation,) = run["invocations"]
    notes = [n for n in invocation["toolExecutionNotifications"] if n["level"] == "note"]
    assert [n["associatedRule"]["id"] for n in notes] == ["tail-shrinkage/rare_category_coverage"]
    # (c) built-in rules link to their check's page and say what the metric measures.
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    tail = rules["tail-shrinkage/upper_tail_mass_q99"]
    assert tail["helpUri"].endswith("/blob/main/docs/checks/tail-shrinkage.md")
    assert (
        tail["fullDescription"]["text"]
        and tail["shortDescription"]["text"] == "tail-shrinkage: upper tail mass q99"
    )
    assert "helpUri" not in rules["my-plugin-check/crash"]  # a plugin's check: no page of ours
    # (d) an unreadable file makes the run unsuccessful and is named.
    assert invocation["executionSuccessful"] is False
    errors = [n for n in invocation["toolExecutionNotifications"] if n["level"] == "error"]
    assert any(
        n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "data/broken.parquet"
        and "bad magic bytes" in n["message"]["text"]
        for n in errors
    )
    assert check["runs"][0]["invocations"][0]["executionSuccessful"] is True
    assert "toolExecutionNotifications" not in check["runs"][0]["invocations"][0]


def test_sarif_help_pages_exist_at_the_project_url() -> None:
    import tomllib

    from collapse_guard.reporters.sarif import DOCS, HELP_PAGES

    urls = tomllib.loads((HERE.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    assert urls["Homepage"] + "/blob/main/docs/" == DOCS
    for page in HELP_PAGES.values():
        path, _, anchor = page.partition("#")
        text = (HERE.parent / "docs" / path).read_text(encoding="utf-8")
        if anchor:
            headings = [
                re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-")
                for h in re.findall(r"^#+ (.+)$", text, re.M)
            ]
            assert anchor in headings, page
    from collapse_guard.plugins import get_checks

    documented = {p.stem for p in (HERE.parent / "docs" / "checks").glob("*.md")}
    assert documented <= set(HELP_PAGES) and set(get_checks()) <= set(HELP_PAGES)


# ----- Markdown -----------------------------------------------------------------------------------


def test_markdown_escapes_pipes_only_in_tables() -> None:
    rng = np.random.default_rng(1)
    odd = _failing("data/pipe|name 100%.csv", rng)
    tick = _failing("data/a`b.csv", rng)
    md = render_markdown(_scan_of([odd, tick]))
    assert "### `data/pipe|name 100%.csv`: ❌ fail" in md
    assert "| `data/pipe\\|name 100%.csv` | ❌ fail |" in md
    assert "### ``data/a`b.csv``: ❌ fail" in md


def test_markdown_passing_files_get_no_detail_section() -> None:
    passing = _file(
        "data/ok.csv", [_f("tail-shrinkage", "x", "rare_token_share", Status.INSUFFICIENT, "no rare words.")]
    )
    warn = _file("data/warn.csv", [_f("diversity-loss", "w", "distinct_2", Status.WARN, "repeats.")])
    md = render_markdown(_scan_of([passing, warn]))
    assert "### `data/warn.csv`" in md and "### `data/ok.csv`" not in md
    assert "| `data/ok.csv` | ✅ pass |" in md


# ----- scan's text output -------------------------------------------------------------------------


def test_scan_text_respects_columns_and_has_no_trailing_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    from collapse_guard.commands.scan import render_text

    # Below 80 columns the table cannot show a path and a status ("e…"): 80 is the least.
    for columns, width in (("20", 80), ("90", 90), ("", 120), ("wide", 120), ("0", 120), ("200", 200)):
        monkeypatch.setenv("COLUMNS", columns)
        text = render_text(SCAN)
        lines = text.splitlines()
        # The files table fits the width; finding lines are not wrapped (one finding, one line).
        table = [line for line in lines if "│" in line or "━" in line]
        assert table and max(len(line) for line in table) <= width, columns
        assert max(len(line) for line in table) > width - 10 or width == 200, columns
        assert not any(line.endswith(" ") for line in lines)
    monkeypatch.setenv("COLUMNS", "60")
    assert render_text(SCAN, width=100) != render_text(SCAN)


def test_a_warn_from_an_untested_check_is_explained_in_markdown_and_github() -> None:
    tested = _f("tail-shrinkage", "a", "upper_tail_mass_q99", Status.PASS, "fine", p_value=0.5)
    untested = _f("diversity-loss", None, "coverage", Status.INSUFFICIENT, "too few rows")
    rep = Report((tested, untested), "warn", {}, {"paths": ["one.csv"], "rows": 1}, 0, "0.1.0")
    why = "diversity-loss could test nothing on this batch: see the insufficient-data findings"
    md = render_markdown(rep)
    assert f"\n{why}.\n" in md and "· 1 row ·" in md
    last = GitHubReporter(environ={}).render(rep).splitlines()[-1]
    assert last == f"collapse-guard: warn — 1 pass, 1 insufficient-data; {why}"
