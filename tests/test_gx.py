"""Great Expectations integration: the real GX 1.x flow, CLI parity, suite round-trip, errors."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

gx = pytest.importorskip("great_expectations")

import collapse_guard as cg  # noqa: E402
import collapse_guard.gx as cgx  # noqa: E402
from collapse_guard.cli import main as cli_main  # noqa: E402
from collapse_guard.errors import InputError  # noqa: E402
from collapse_guard.gx.metrics import resolve_profile, run_check  # noqa: E402
from collapse_guard.gx.outcome import decisive, outcome  # noqa: E402
from collapse_guard.gx.rendering import observed_headline, prescriptive  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CATEGORIES = [f"c{i:02d}" for i in range(30)]


def human_rows(n: int, seed: int) -> pd.DataFrame:
    """Trusted data: a skewed and a gamma column, a Zipf-like categorical with rare levels."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, 31) ** 1.1
    return pd.DataFrame(
        {
            "income": np.round(rng.lognormal(10, 0.6, n), 2),
            "minutes": np.round(rng.gamma(2.0, 8.0, n), 2),
            "country": rng.choice(CATEGORIES, n, p=p / p.sum()),
        }
    )


def collapsed_rows(n: int, seed: int) -> pd.DataFrame:
    """A collapsed generation: income tails cut at p10/p90, only the 8 commonest countries left."""
    df = human_rows(5 * n, seed)
    lo, hi = df["income"].quantile([0.1, 0.9])
    keep = (df["income"] > lo) & (df["income"] < hi) & df["country"].isin(CATEGORIES[:8])
    return df[keep].head(n).reset_index(drop=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("gxdata")
    paths = {name: root / f"{name}.csv" for name in ("human", "clean", "collapsed")}
    human_rows(4000, 1).to_csv(paths["human"], index=False)
    human_rows(1000, 2).to_csv(paths["clean"], index=False)
    collapsed_rows(1000, 3).to_csv(paths["collapsed"], index=False)
    paths["reference"] = root / "reference.json"
    cg.profile_files([paths["human"]]).save(paths["reference"])
    paths["root"] = root
    return paths


def _whole_dataframe(context: Any) -> Any:
    """A batch definition for a whole in-memory DataFrame in ``context`` (pandas source "p")."""
    return (
        context.data_sources.add_pandas("p")
        .add_dataframe_asset("a")
        .add_batch_definition_whole_dataframe("w")
    )


def _suite_expectations(reference: str) -> list[Any]:
    return [
        cgx.ExpectColumnTailsNotToShrink(column="income", reference=reference),
        cgx.ExpectColumnTailsNotToShrink(column="country", reference=reference),
        cgx.ExpectColumnDiversityNotToDrop(column="country", reference=reference),
        cgx.ExpectBatchDiversityNotToDrop(reference=reference),
        cgx.ExpectBatchSyntheticShareToBeBelow(reference=reference, max_share={"$PARAMETER": "max_share"}),
    ]


def _by_key(result: Any) -> dict[tuple[str, str | None], Any]:
    out = {}
    for run in result.run_results.values():
        for r in run.results:
            out[(r.expectation_config.type, r.expectation_config.kwargs.get("column"))] = r
    return out


@pytest.fixture(scope="module")
def flow(files: dict[str, Path]) -> dict[str, Any]:
    """File context + pandas source + suite + validation definition + checkpoint, run on both batches."""
    project = files["root"] / "project"
    context = gx.get_context(mode="file", project_root_dir=str(project))
    batch_definition = (
        context.data_sources.add_pandas("ingest")
        .add_dataframe_asset("incoming")
        .add_batch_definition_whole_dataframe("whole")
    )
    suite = context.suites.add(gx.ExpectationSuite(name="collapse"))
    for expectation in _suite_expectations(str(files["reference"])):
        suite.add_expectation(expectation)
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name="batch", data=batch_definition, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name="guard",
            validation_definitions=[validation],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="docs")],
        )
    )
    results = {
        name: checkpoint.run(
            batch_parameters={"dataframe": pd.read_csv(files[name])},
            expectation_parameters={"max_share": 0.15},
        )
        for name in ("clean", "collapsed")
    }
    return {"project": project, "suite": suite, "results": results}


# ----- the real GX flow ------------------------------------------------------------------------------


def test_checkpoint_passes_the_clean_batch(flow: dict[str, Any]) -> None:
    result = flow["results"]["clean"]
    assert result.success is True
    by_key = _by_key(result)
    assert len(by_key) == 5
    for key, r in by_key.items():
        assert r.success, (key, r.result)
        assert r.result["details"]["status"] in {"pass", "insufficient-data", "warn"}


def test_checkpoint_fails_the_collapsed_batch_naming_what_vanished(flow: dict[str, Any]) -> None:
    result = flow["results"]["collapsed"]
    assert result.success is False
    by_key = _by_key(result)
    for key in [
        ("expect_column_tails_not_to_shrink", "income"),
        ("expect_column_tails_not_to_shrink", "country"),
        ("expect_column_diversity_not_to_drop", "country"),
        ("expect_batch_diversity_not_to_drop", None),
        ("expect_batch_synthetic_share_to_be_below", None),
    ]:
        r = by_key[key]
        assert r.success is False, key
        details = r.result["details"]
        assert details["status"] == "fail"
        assert details["p_adjusted"] is None or details["p_adjusted"] <= 0.01
        assert details["message"]
    country = by_key[("expect_column_tails_not_to_shrink", "country")].result["details"]
    vanished = next(f for f in country["findings"] if f["metric"] == "reference_categories_present")
    # The rare countries the generator dropped are the ones named in the evidence message.
    assert "c29" in vanished["message"] or "more" in vanished["message"]
    assert "missing" in vanished["message"]
    share = by_key[("expect_batch_synthetic_share_to_be_below", None)].result
    assert share["observed_value"] == share["details"]["value"]
    assert share["observed_value"] >= 0.15
    low, high = share["details"]["interval"]
    assert low <= share["observed_value"] <= high


def test_observed_value_is_the_decisive_findings_effect(flow: dict[str, Any]) -> None:
    for r in _by_key(flow["results"]["collapsed"]).values():
        details = r.result["details"]
        if r.expectation_config.type == "expect_batch_synthetic_share_to_be_below":
            continue
        assert r.result["observed_value"] == details["effect"]
        assert details == {**details, **{k: decisive(details["findings"])[k] for k in ("metric", "effect")}}


def test_data_docs_show_readable_expectations_and_evidence(flow: dict[str, Any]) -> None:
    site = flow["project"] / "gx" / "uncommitted" / "data_docs" / "local_site"
    pages = sorted((site / "validations").rglob("*.html"))
    assert len(pages) == 2
    text = re.sub(r"<[^>]+>", " ", "\n".join(p.read_text(encoding="utf-8") for p in pages))
    text = re.sub(r"\s+", " ", text)
    assert "The tails of income must not shrink" in text
    assert "The diversity of country must not drop" in text
    assert "The diversity of the batch's rows must not drop" in text
    assert "machine-generated rows must stay low" in text
    assert "upper_tail_mass_q99" in text or "lower_tail_mass_q01" in text
    assert "FAIL" in text and "PASS" in text


# ----- same numbers as the CLI ------------------------------------------------------------------------


def _cli_json(files: dict[str, Path], check: str, out: Path, *extra: str) -> dict[str, Any]:
    code = cli_main(
        [
            "check",
            str(files["collapsed"]),
            "-r",
            str(files["reference"]),
            "--select",
            check,
            "--format",
            "json",
            "-o",
            str(out),
            *extra,
        ]
    )
    assert code in (0, 1)
    return json.loads(out.read_text(encoding="utf-8"))


FIELDS = ("metric", "value", "expected", "interval", "p_value", "p_adjusted", "effect", "status", "message")


@pytest.mark.parametrize(
    ("check", "expectation", "column"),
    [
        ("tail-shrinkage", "expect_column_tails_not_to_shrink", "income"),
        ("tail-shrinkage", "expect_column_tails_not_to_shrink", "country"),
        ("diversity-loss", "expect_column_diversity_not_to_drop", "country"),
        ("diversity-loss", "expect_batch_diversity_not_to_drop", None),
        ("synthetic-contamination", "expect_batch_synthetic_share_to_be_below", None),
    ],
)
def test_gx_numbers_equal_cli_json(
    flow: dict[str, Any],
    files: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    check: str,
    expectation: str,
    column: str | None,
) -> None:
    monkeypatch.chdir(tmp_path)  # no collapse-guard.toml or pyproject.toml to pick up
    report = _cli_json(files, check, tmp_path / "report.json")
    # The synthetic-share expectation judges every finding of its check, so that it fails exactly
    # when `check --select synthetic-contamination` does; the others judge their column (or the
    # table-level findings).
    every = expectation == "expect_batch_synthetic_share_to_be_below"
    cli = {(f["column"], f["metric"]): f for f in report["findings"] if every or f["column"] == column}
    r = _by_key(flow["results"]["collapsed"])[(expectation, column)]
    details = r.result["details"]
    gx_findings = details["findings"]
    assert len(gx_findings) == len(cli) > 0
    for f in gx_findings:
        expected = cli[(f["column"], f["metric"])]
        assert {k: f[k] for k in FIELDS} == {k: expected[k] for k in FIELDS}
        assert f["evidence"] == expected["evidence"]
    decisive_cli = cli[(details["column"], details["metric"])]
    assert details["status"] == decisive_cli["status"]
    if every:
        assert r.result["observed_value"] == cli[(None, "synthetic_share")]["value"]
        assert r.success is (report["status"] != "fail")
    else:
        assert r.result["observed_value"] == decisive_cli["effect"]
    assert details["reference"]["sha256"] == report["reference"]["sha256"]


def test_thresholds_map_onto_the_config_and_take_suite_parameters(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = gx.get_context(mode="ephemeral")
    batch_definition = _whole_dataframe(context)
    suite = context.suites.add(gx.ExpectationSuite(name="thresholds"))
    suite.add_expectation(
        cgx.ExpectColumnTailsNotToShrink(
            column="income",
            reference=str(files["reference"]),
            metric="spread_ratio_iqr",
            fail={"$PARAMETER": "iqr_fail"},
        )
    )
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name="v", data=batch_definition, suite=suite)
    )
    df = pd.read_csv(files["collapsed"])
    loose = validation.run(batch_parameters={"dataframe": df}, expectation_parameters={"iqr_fail": 0.3})
    strict = validation.run(batch_parameters={"dataframe": df}, expectation_parameters={"iqr_fail": 0.95})
    loose_d, strict_d = (v.results[0].result["details"] for v in (loose, strict))
    assert loose_d["metric"] == strict_d["metric"] == "spread_ratio_iqr"
    assert loose_d["effect"] == strict_d["effect"]
    assert strict_d["evidence"]["thresholds"]["fail"] == 0.95
    # fail above the default warn (0.85) pulls warn up with it instead of raising a config error
    assert strict_d["evidence"]["thresholds"]["warn"] == 0.95
    assert loose_d["evidence"]["thresholds"] == {"warn": 0.85, "fail": 0.3, "worse": "lower"}
    assert strict_d["effect"] < 0.95 and strict_d["status"] == "fail" and not strict.success
    assert loose_d["status"] != "fail"

    # The same thresholds written in collapse-guard.toml give the CLI the same statuses.
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "strict.toml"
    config.write_text(
        "[columns.income.checks.tail-shrinkage.thresholds.spread_ratio_iqr]\nwarn = 0.95\nfail = 0.95\n",
        encoding="utf-8",
    )
    report = _cli_json(files, "tail-shrinkage", tmp_path / "r.json", "--config", str(config))
    cli = next(f for f in report["findings"] if f["column"] == "income" and f["metric"] == "spread_ratio_iqr")
    assert {k: cli[k] for k in FIELDS} == {k: strict_d[k] for k in FIELDS}


def test_row_condition_and_reference_parameter_reach_the_check(files: dict[str, Path]) -> None:
    df = pd.concat(
        [
            pd.read_csv(files["clean"]).assign(src="human"),
            pd.read_csv(files["collapsed"]).assign(src="model"),
        ],
        ignore_index=True,
    )
    from great_expectations.expectations.row_conditions import Column

    context = gx.get_context(mode="ephemeral")
    batch_definition = _whole_dataframe(context)
    suite = context.suites.add(gx.ExpectationSuite(name="rows"))
    for source in ("human", "model"):
        suite.add_expectation(
            cgx.ExpectColumnTailsNotToShrink(
                column="income", reference={"$PARAMETER": "ref"}, row_condition=Column("src") == source
            )
        )
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name="v", data=batch_definition, suite=suite)
    )
    result = validation.run(
        batch_parameters={"dataframe": df}, expectation_parameters={"ref": str(files["reference"])}
    )
    human, model = result.results
    assert human.result["details"]["batch_rows"] == model.result["details"]["batch_rows"] == 1000
    assert human.success is True and model.success is False


def test_warn_and_fail_without_metric_set_every_ratio_metric(files: dict[str, Path]) -> None:
    df = pd.read_csv(files["clean"])
    base = run_check(df, "tail-shrinkage", reference=str(files["reference"]))
    from collapse_guard.gx.expectations import threshold_overrides

    overrides = threshold_overrides("tail-shrinkage", "income", None, 0.99, 0.98, None)
    strict = run_check(df, "tail-shrinkage", reference=str(files["reference"]), overrides=overrides)
    for before, after in zip(base["findings"], strict["findings"], strict=True):
        assert before["value"] == after["value"] and before["p_value"] == after["p_value"]
        thresholds = after["evidence"]["thresholds"]
        if after["column"] == "income" and thresholds["worse"] == "lower":
            assert (thresholds["warn"], thresholds["fail"]) == (0.99, 0.98)
        else:
            assert thresholds == before["evidence"]["thresholds"]


# ----- suites ----------------------------------------------------------------------------------------


def test_suite_round_trips_through_json(flow: dict[str, Any], files: dict[str, Path]) -> None:
    gx.get_context(mode="ephemeral")
    suite = gx.ExpectationSuite(name="round-trip")
    for expectation in _suite_expectations(str(files["reference"])):
        suite.add_expectation(expectation)
    suite.add_expectation(
        cgx.ExpectColumnTailsNotToShrink(
            column="minutes",
            reference=str(files["reference"]),
            warn={"$PARAMETER": "w"},
            thresholds={"upper_tail_mass_q99": {"fail": 0.4}},
            fail_on="warn",
        )
    )
    text = json.dumps(suite.to_json_dict())
    loaded = gx.ExpectationSuite(**json.loads(text))
    assert loaded == suite
    assert [type(e) for e in loaded.expectations] == [type(e) for e in suite.expectations]
    last = loaded.expectations[-1]
    assert isinstance(last, cgx.ExpectColumnTailsNotToShrink)
    assert last.warn == {"$PARAMETER": "w"} and last.fail_on == "warn"
    assert last.thresholds == {"upper_tail_mass_q99": {"fail": 0.4}}
    kinds = {e["type"] for e in json.loads(text)["expectations"]}
    assert kinds == {
        "expect_column_tails_not_to_shrink",
        "expect_column_diversity_not_to_drop",
        "expect_batch_diversity_not_to_drop",
        "expect_batch_synthetic_share_to_be_below",
    }
    # The suite the file context wrote to disk loads back into the same expectations.
    context = gx.get_context(mode="file", project_root_dir=str(flow["project"]))
    assert context.suites.get("collapse").expectations == flow["suite"].expectations


# ----- bad input ---------------------------------------------------------------------------------------


def _batch(df: pd.DataFrame) -> Any:
    """A whole-DataFrame batch in a fresh ephemeral context."""
    return _whole_dataframe(gx.get_context(mode="ephemeral")).get_batch(batch_parameters={"dataframe": df})


def _validate_one(df: pd.DataFrame, expectation: Any) -> Any:
    return _batch(df).validate(expectation)


def test_missing_reference_fails_with_the_fix(files: dict[str, Path], tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    r = _validate_one(
        pd.read_csv(files["clean"]), cgx.ExpectColumnTailsNotToShrink(column="income", reference=str(missing))
    )
    assert r.success is False
    messages = [v["exception_message"] for v in r.exception_info.values() if isinstance(v, dict)]
    assert any(f"reference file {missing} not found" in m and "collapse-guard profile" in m for m in messages)


def test_column_the_check_cannot_measure_fails_with_a_reason(files: dict[str, Path]) -> None:
    df = pd.read_csv(files["clean"]).assign(extra=np.arange(1000.0))
    r = _validate_one(df, cgx.ExpectColumnTailsNotToShrink(column="extra", reference=str(files["reference"])))
    assert r.success is False
    assert r.result["details"]["status"] == "error"
    assert "column 'extra'" in r.result["details"]["message"]
    assert "rebuild the reference" in r.result["details"]["message"]


def _exception_messages(result: Any) -> list[str]:
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return [str(info.get("exception_message"))]
    return [
        str(v.get("exception_message"))
        for v in info.values()
        if isinstance(v, dict) and v.get("raised_exception")
    ]


def _assert_income_as_cli_ignoring_minutes(income: Any, df: pd.DataFrame, ref: str, batch_file: Path) -> None:
    """The GX result for `income` has the CLI's findings, field for field, when the CLI leaves
    out `minutes` with --column minutes=ignore (its one way past a missing or empty column)."""
    df.to_csv(batch_file, index=False)
    out = batch_file.with_suffix(".report.json")
    argv = ["check", str(batch_file), "-r", ref, "--select", "tail-shrinkage", "--format", "json"]
    assert cli_main([*argv, "--column", "minutes=ignore", "-o", str(out)]) == 1
    cli = {
        f["metric"]: f
        for f in json.loads(out.read_text(encoding="utf-8"))["findings"]
        if f["column"] == "income"
    }
    gx_findings = income.result["details"]["findings"]
    assert len(gx_findings) == len(cli) > 0
    for f in gx_findings:
        assert {k: f[k] for k in FIELDS} == {k: cli[f["metric"]][k] for k in FIELDS}


def test_batch_missing_a_reference_column_is_judged_on_the_columns_it_has(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ref = str(files["reference"])
    df = pd.read_csv(files["collapsed"]).drop(columns=["minutes"])
    batch = _batch(df)
    income = batch.validate(cgx.ExpectColumnTailsNotToShrink(column="income", reference=ref))
    country = batch.validate(cgx.ExpectColumnDiversityNotToDrop(column="country", reference=ref))
    share = batch.validate(cgx.ExpectBatchSyntheticShareToBeBelow(reference=ref, max_share=0.15))
    minutes = batch.validate(cgx.ExpectColumnTailsNotToShrink(column="minutes", reference=ref))

    # Expectations about columns the batch has are judged on them, not failed over 'minutes'.
    for r in (income, country, share):
        assert _exception_messages(r) == [], r.exception_info
        details = r.result["details"]
        assert details["status"] == "fail" and r.success is False
        assert details["absent_columns"] == ["minutes"]
        assert any("no column 'minutes'" in n and "other columns" in n for n in details["notes"])
    assert share.result["observed_value"] == share.result["details"]["value"] >= 0.15
    # ... with the same numbers as the CLI given the one way out it has, --column minutes=ignore.
    _assert_income_as_cli_ignoring_minutes(income, df, ref, tmp_path / "no_minutes.csv")

    # Only the expectation about the missing column fails over it, and says what to do in GX.
    assert _exception_messages(minutes) == []
    assert minutes.success is False and minutes.result["observed_value"] is None
    details = minutes.result["details"]
    assert details["status"] == "error" and details["findings"] == []
    assert details["message"] == (
        "the batch has no column 'minutes', which the reference profile has, so collapse-guard "
        "tail-shrinkage cannot judge it; fix the data or the batch definition if the column was lost "
        "upstream, or remove this expectation from the suite if the column is gone for good"
    )
    assert "--column" not in details["message"]


def test_full_batch_reports_no_absent_columns(files: dict[str, Path]) -> None:
    report = run_check(pd.read_csv(files["clean"]), "tail-shrinkage", reference=str(files["reference"]))
    assert "absent_columns" not in report["batch"]
    r = outcome(report, check_name="tail-shrinkage", column="income", metric=None, fail_on="fail")
    assert "absent_columns" not in r["result"]["details"]


def test_batch_with_none_of_the_reference_columns_raises_a_clear_error(files: dict[str, Path]) -> None:
    df = pd.DataFrame({"other": np.arange(100.0)})
    r = _validate_one(
        df, cgx.ExpectColumnTailsNotToShrink(column="income", reference=str(files["reference"]))
    )
    assert r.success is False
    assert any(
        m.startswith("the batch has none of the reference's columns ('income', 'minutes', 'country')")
        for m in _exception_messages(r)
    )


def test_bad_thresholds_are_rejected_when_the_expectation_is_built(files: dict[str, Path]) -> None:
    from great_expectations.compatibility.pydantic import ValidationError

    ref = str(files["reference"])
    with pytest.raises(ValidationError, match=r"no metric 'p99'.*upper_tail_mass_q99"):
        cgx.ExpectColumnTailsNotToShrink(column="income", reference=ref, metric="p99")
    with pytest.raises(ValidationError, match=r"fail=1.5 is outside \[0.0, 1.0\]"):
        cgx.ExpectColumnDiversityNotToDrop(column="country", reference=ref, fail=1.5)
    with pytest.raises(ValidationError, match="use warn and fail"):
        cgx.ExpectColumnTailsNotToShrink(
            column="income", reference=ref, thresholds={"hill_tail_index": {"x": 1}}
        )
    with pytest.raises(ValidationError, match="fail_on"):
        cgx.ExpectColumnTailsNotToShrink(column="income", reference=ref, fail_on="sometimes")  # type: ignore[arg-type]
    # A warn/fail pair the wrong way round for the metric's worse direction is rejected here too,
    # not only when the expectation runs.
    with pytest.raises(
        ValidationError,
        match=re.escape(
            "fail=0.9 and warn=0.5 are the wrong way round for the ratio metrics of tail-shrinkage "
            "(warn and fail without metric= set all of them): lower values are worse, so fail must be "
            "at or below warn; swap them"
        ),
    ):
        cgx.ExpectColumnTailsNotToShrink(column="income", reference=ref, warn=0.5, fail=0.9)
    with pytest.raises(ValidationError, match=r"fail=0.9 and warn=0.5 .* metric 'spread_ratio_iqr'"):
        cgx.ExpectColumnTailsNotToShrink(
            column="income", reference=ref, metric="spread_ratio_iqr", warn=0.5, fail=0.9
        )
    with pytest.raises(ValidationError, match=r"thresholds\['compression_ratio'\]\['fail'\]=1.1 and "):
        cgx.ExpectColumnDiversityNotToDrop(
            column="country", reference=ref, thresholds={"compression_ratio": {"warn": 1.3, "fail": 1.1}}
        )
    with pytest.raises(
        ValidationError,
        match=re.escape(
            "max_share=0.01 and warn_share=0.5 are the wrong way round for metric 'synthetic_share' of "
            "synthetic-contamination: higher values are worse, so max_share must be at or above "
            "warn_share; swap them"
        ),
    ):
        cgx.ExpectBatchSyntheticShareToBeBelow(reference=ref, max_share=0.01, warn_share=0.5)
    with pytest.raises(ValidationError, match=r"max_share=2.0 is outside \[0.0, 1.0\]"):
        cgx.ExpectBatchSyntheticShareToBeBelow(reference=ref, max_share=2.0)
    # The right way round (and equal levels) builds; a suite parameter is checked when it runs.
    cgx.ExpectColumnTailsNotToShrink(column="income", reference=ref, warn=0.9, fail=0.5)
    cgx.ExpectBatchSyntheticShareToBeBelow(reference=ref, max_share=0.2, warn_share=0.2)
    with_parameter = cgx.ExpectBatchSyntheticShareToBeBelow(
        reference=ref, max_share={"$PARAMETER": "m"}, warn_share=0.5
    )
    batch = _batch(pd.read_csv(files["clean"]))
    with pytest.raises(ValidationError, match=r"max_share=0.01 and warn_share=0.5 are the wrong way round"):
        batch.validate(with_parameter, expectation_parameters={"m": 0.01})


def test_in_memory_profile_gives_the_same_result_as_its_file(files: dict[str, Path]) -> None:
    df = pd.read_csv(files["collapsed"])
    profile = cg.Profile.load(files["reference"])
    in_memory = cgx.ExpectColumnTailsNotToShrink(column="income", reference=profile)
    assert in_memory.reference == f"memory:{profile.sha256}"
    from_memory = _validate_one(df, in_memory)
    from_file = _validate_one(
        df, cgx.ExpectColumnTailsNotToShrink(column="income", reference=str(files["reference"]))
    )
    assert from_memory.success is from_file.success is False
    assert from_memory.result == from_file.result
    with pytest.raises(InputError, match=r"profile.save\('reference.json'\)"):
        resolve_profile("memory:" + "0" * 64)


def test_import_without_the_extra_names_it() -> None:
    code = (
        "import sys; sys.modules['great_expectations'] = None\n"
        "try:\n    import collapse_guard.gx\nexcept ImportError as exc:\n    print(exc)\n    sys.exit(3)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr
    assert "pip install 'collapse-guard[gx]'" in proc.stdout
    assert "Traceback" not in proc.stderr


# ----- result logic and rendering (pure) ---------------------------------------------------------------


def _finding(metric: str, status: str, p: float | None, effect: float | None = 0.5) -> dict[str, Any]:
    return {
        "check": "tail-shrinkage",
        "column": "x",
        "metric": metric,
        "value": effect,
        "expected": 1.0,
        "interval": None,
        "p_value": p,
        "p_adjusted": p,
        "effect": effect,
        "status": status,
        "message": f"{metric} {status}",
        "insufficient": "too few rows" if status == "insufficient-data" else None,
        "evidence": {},
    }


def _report(*findings: dict[str, Any]) -> dict[str, Any]:
    return {
        "findings": list(findings),
        "reference": {"path": "r", "sha256": "s", "rows": 1},
        "batch": {"rows": 10},
        "seed": 0,
        "tool": {"version": cg.__version__},
        "notes": [],
    }


@pytest.mark.parametrize(
    ("statuses", "fail_on", "success", "status"),
    [
        (["pass", "insufficient-data"], "fail", True, "pass"),
        (["insufficient-data", "insufficient-data"], "fail", True, "insufficient-data"),
        (["insufficient-data", "insufficient-data"], "warn", False, "insufficient-data"),
        (["pass", "warn"], "fail", True, "warn"),
        (["pass", "warn"], "warn", False, "warn"),
        (["warn", "fail"], "fail", False, "fail"),
        (["pass", "error"], "fail", False, "error"),
    ],
)
def test_outcome_follows_the_report_status_rules(
    statuses: list[str], fail_on: str, success: bool, status: str
) -> None:
    findings = [_finding(f"m{i}", s, 0.001 * (i + 1)) for i, s in enumerate(statuses)]
    result = outcome(
        _report(*findings), check_name="tail-shrinkage", column="x", metric=None, fail_on=fail_on
    )
    assert result["success"] is success
    assert result["result"]["details"]["status"] == status
    assert len(result["result"]["details"]["findings"]) == len(statuses)
    reason = result["result"]["details"]["insufficient"]
    assert reason == ("too few rows" if status == "insufficient-data" else None)


def test_decisive_prefers_the_worst_then_the_most_significant() -> None:
    findings = [_finding("a", "fail", 0.004), _finding("b", "fail", 0.0001), _finding("c", "warn", 1e-9)]
    assert decisive(findings)["metric"] == "b"
    only = outcome(_report(*findings), check_name="tail-shrinkage", column="x", metric="c", fail_on="fail")
    assert only["success"] is True and only["result"]["details"]["metric"] == "c"


def test_rendering_reads_as_a_sentence() -> None:
    template, params = prescriptive(
        "tails",
        {
            "column": "income",
            "reference": "ref.json",
            "metric": "upper_tail_mass_q99",
            "fail": {"$PARAMETER": "f"},
        },
    )
    text = re.sub(r"\$(\w+)", lambda m: params[m.group(1)], template)
    assert text == (
        "The tails of income must not shrink against reference ref.json on upper_tail_mass_q99 "
        "(fail at effect the suite parameter f) (collapse-guard tail-shrinkage)."
    )
    result = outcome(
        _report(_finding("upper_tail_mass_q99", "fail", 1e-6, 0.2)),
        check_name="tail-shrinkage",
        column="x",
        metric=None,
        fail_on="fail",
    )["result"]
    assert observed_headline(result) == "upper_tail_mass_q99 = 0.2 (FAIL): upper_tail_mass_q99 fail"
    assert observed_headline(None) == "--"
    # GX's own (atomic) renderer goes through the same template.
    expectation = cgx.ExpectBatchSyntheticShareToBeBelow(reference="ref.json", max_share=0.2)
    expectation.render()
    assert expectation.rendered_content is not None
    assert expectation.rendered_content[0].value.template == (
        "Estimated share of machine-generated rows must stay low, and rows must not copy the "
        "reference, against reference $reference: fail at $max_share (collapse-guard $check)."
    )


# ----- the example -------------------------------------------------------------------------------------


def test_example_script_exits_like_a_pipeline_task(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = ROOT / "examples" / "great_expectations" / "run_checkpoint.py"
    spec = importlib.util.spec_from_file_location("run_checkpoint", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    common = [
        "--human",
        str(files["human"]),
        "--project-dir",
        str(tmp_path / "project"),
        "--tails",
        "income,country",
        "--diversity",
        "country",
    ]
    code = module.main([str(files["clean"]), str(files["collapsed"]), *common])
    out = capsys.readouterr().out
    assert code == 1
    assert f"{files['clean']}: PASS" in out
    assert f"{files['collapsed']}: FAIL" in out
    assert "FAIL expect_column_tails_not_to_shrink[country] fail:" in out
    assert (tmp_path / "project" / "reference.json.gz").is_file()
    assert module.main([str(tmp_path / "missing.csv"), *common]) == 2
    bad_reference = tmp_path / "bad.json"
    bad_reference.write_text('{"not": "a reference"}')
    capsys.readouterr()
    assert module.main([str(files["clean"]), *common, "--reference", str(bad_reference)]) == 2
    assert "is not a collapse-guard reference file" in capsys.readouterr().err
    # an expectation that raises (a column the batch lacks) cannot be judged: 2, not 1
    code = module.main([str(files["clean"]), *common, "--tails", "no_such_column"])
    captured = capsys.readouterr()
    assert code == 2, captured.out
    assert "could not be evaluated" in captured.err


def test_a_profile_of_machine_data_is_refused_as_the_reference_and_a_human_one_as_the_sample(
    tmp_path: Path,
) -> None:
    data = tmp_path / "rows.csv"
    pd.DataFrame({"x": np.random.default_rng(0).normal(size=300)}).to_csv(data, index=False)
    human, machine = tmp_path / "human.json", tmp_path / "machine.json"
    assert cli_main(["profile", str(data), "-o", str(human)]) == 0
    assert cli_main(["profile", str(data), "--synthetic", "-o", str(machine)]) == 0
    with pytest.raises(InputError, match=r"reference '.*machine\.json' is a profile of machine-generated"):
        resolve_profile(str(machine))
    with pytest.raises(InputError, match=r"synthetic_reference '.*human\.json' is a profile of human data"):
        resolve_profile(str(human), "synthetic_reference")
    assert resolve_profile(str(machine), "synthetic_reference").synthetic
    # cg.profile(df) of a machine sample carries no mark; in memory it is taken on trust, as in the API.
    handle = cgx.register_reference(cg.profile(pd.read_csv(data)))
    assert resolve_profile(handle, "synthetic_reference") is not None


# ----- every finding is judged by some expectation ------------------------------------------------------


def test_rows_copied_from_the_reference_fail_the_synthetic_share_expectation(files: dict[str, Path]) -> None:
    """A batch of reference rows copied verbatim: the share of machine-like rows is 0, but the CLI
    fails it on reference_copies, and so must the batch expectation."""
    ref = str(files["reference"])
    copied = pd.read_csv(files["human"]).sample(1000, random_state=0).reset_index(drop=True)
    batch = _batch(copied)
    r = batch.validate(cgx.ExpectBatchSyntheticShareToBeBelow(reference=ref, max_share=0.15))
    assert r.success is False
    details = r.result["details"]
    assert details["status"] == "fail" and details["metric"] == "reference_copies"
    assert "exact copies of reference rows" in details["message"]
    # observed_value stays the synthetic share, the number a dashboard tracks, and says so.
    share = next(f for f in details["findings"] if f["metric"] == "synthetic_share" and f["column"] is None)
    assert r.result["observed_value"] == share["value"] < 0.15
    assert details["observed_metric"] == "synthetic_share"
    assert observed_headline(r.result).startswith(
        f"synthetic_share = {share['value']:.4g}; reference_copies (FAIL)"
    )
    assert {f["metric"] for f in details["findings"] if f["column"] is None} >= {
        "synthetic_share",
        "reference_copies",
        "unexplained_share",
    }
    # metric= narrows the expectation to one metric, as before this fix for synthetic_share.
    narrowed = batch.validate(
        cgx.ExpectBatchSyntheticShareToBeBelow(reference=ref, max_share=0.15, metric="synthetic_share")
    )
    assert narrowed.success is True
    assert {f["metric"] for f in narrowed.result["details"]["findings"]} == {"synthetic_share"}
    assert "observed_metric" not in narrowed.result["details"]


def test_synthetic_share_thresholds_with_another_metric_are_refused(files: dict[str, Path]) -> None:
    from great_expectations.compatibility.pydantic import ValidationError

    ref = str(files["reference"])
    with pytest.raises(ValidationError, match=r"max_share is a threshold on synthetic_share, which metric="):
        cgx.ExpectBatchSyntheticShareToBeBelow(reference=ref, max_share=0.2, metric="reference_copies")
    with pytest.raises(ValidationError, match=r"has no metric 'copies'"):
        cgx.ExpectBatchSyntheticShareToBeBelow(reference=ref, metric="copies")
    cgx.ExpectBatchSyntheticShareToBeBelow(
        reference=ref, metric="reference_copies", thresholds={"reference_copies": {"fail": 0.5}}
    )


def test_batch_diversity_judges_the_row_coverage(files: dict[str, Path]) -> None:
    ref = str(files["reference"])
    clean = _validate_one(pd.read_csv(files["clean"]), cgx.ExpectBatchDiversityNotToDrop(reference=ref))
    collapsed = _validate_one(
        pd.read_csv(files["collapsed"]), cgx.ExpectBatchDiversityNotToDrop(reference=ref, metric="coverage")
    )
    assert clean.success is True and clean.result["details"]["metric"] == "coverage"
    assert collapsed.success is False
    details = collapsed.result["details"]
    assert details["status"] == "fail" and details["column"] is None
    assert [f["metric"] for f in details["findings"]] == ["coverage"]
    assert collapsed.result["observed_value"] == details["effect"] < 0.85
    # Thresholds go where [checks.diversity-loss.thresholds.coverage] would put them.
    loose = _validate_one(
        pd.read_csv(files["collapsed"]), cgx.ExpectBatchDiversityNotToDrop(reference=ref, fail=0.1)
    )
    assert loose.result["details"]["evidence"]["thresholds"]["fail"] == 0.1
    assert loose.result["details"]["status"] != "fail"
    template, params = prescriptive("batch diversity", {"reference": "ref.json", "fail": 0.5})
    text = re.sub(r"\$(\w+)", lambda m: params[m.group(1)], template)
    assert text == (
        "The diversity of the batch's rows must not drop against reference ref.json "
        "(fail at effect 0.5) (collapse-guard diversity-loss)."
    )


def test_every_expectation_is_documented_and_counted() -> None:
    from collapse_guard.gx.guard import EXPECTATION_TYPES

    doc = (ROOT / "docs" / "great-expectations.md").read_text(encoding="utf-8")
    classes = [getattr(cgx, name) for name in cgx.__all__ if name.startswith("Expect")]
    assert {c.expectation_type for c in classes} == EXPECTATION_TYPES
    for cls in classes:
        assert f"| `{cls.__name__}` |" in doc, f"docs/great-expectations.md's table lacks {cls.__name__}"


# ----- a suite loaded without the import ---------------------------------------------------------------


def test_a_suite_loaded_without_the_import_loses_its_expectations_and_the_guard_says_so(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """GX 1.x does not raise: it logs, drops the expectations and passes the collapsed batch."""
    project = tmp_path / "project"
    context = gx.get_context(mode="file", project_root_dir=str(project))
    batch_definition = _whole_dataframe(context)
    suite = context.suites.add(gx.ExpectationSuite(name="s"))
    suite.add_expectation(
        cgx.ExpectColumnTailsNotToShrink(column="income", reference=str(files["reference"]))
    )
    suite.add_expectation(cgx.ExpectBatchSyntheticShareToBeBelow(reference=str(files["reference"])))
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name="v", data=batch_definition, suite=suite)
    )
    context.checkpoints.add(gx.Checkpoint(name="c", validation_definitions=[validation]))
    code = f"""
import logging, warnings, json
logging.disable(logging.CRITICAL); warnings.filterwarnings("ignore")
import great_expectations as gx, pandas as pd  # no import of collapse_guard.gx
context = gx.get_context(mode="file", project_root_dir={str(project)!r})
batch = pd.read_csv({str(files["collapsed"])!r})
result = context.checkpoints.get("c").run(batch_parameters={{"dataframe": batch}})
import collapse_guard.gx as cgx  # too late for the suite; the guard still reads the result
try:
    cgx.require_evaluated(result, 2)
    message = None
except Exception as exc:
    message = str(exc)
print(json.dumps({{"success": result.success, "counted": cgx.count_evaluated(result), "message": message}}))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["success"] is True and out["counted"] == 0
    assert out["message"].startswith(
        "0 collapse-guard expectation(s) evaluated where the suite should hold at least 2"
    )
    assert "import collapse_guard.gx before loading" in out["message"]


def test_require_evaluated_counts_the_collapse_guard_results(
    files: dict[str, Path], flow: dict[str, Any]
) -> None:
    from collapse_guard.errors import ConfigError

    assert (
        cgx.require_evaluated(flow["results"]["clean"], 5)
        == cgx.count_evaluated(flow["results"]["clean"])
        == 5
    )
    with pytest.raises(ConfigError, match=r"^5 collapse-guard expectation\(s\) evaluated where the suite"):
        cgx.require_evaluated(flow["results"]["clean"], 6)
    plain = _batch(pd.read_csv(files["clean"])).validate(
        gx.ExpectationSuite(
            name="plain", expectations=[gx.expectations.ExpectTableRowCountToBeBetween(min_value=1)]
        )
    )
    assert cgx.count_evaluated(plain) == 0
    with pytest.raises(ConfigError, match=r"^0 collapse-guard"):
        cgx.require_evaluated(plain)
    with pytest.raises(TypeError, match=r"checkpoint.run"):
        cgx.count_evaluated(object())


# ----- relative paths ----------------------------------------------------------------------------------


def test_relative_paths_resolve_against_the_project_root_from_any_working_directory(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(files["reference"], project / "reference.json")
    (project / "guard.toml").write_text(
        "[columns.income.checks.tail-shrinkage.thresholds.spread_ratio_iqr]\nwarn = 0.99\nfail = 0.98\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(project)  # where a user builds the suite
    context = gx.get_context(mode="file", project_root_dir=str(project))
    batch_definition = _whole_dataframe(context)
    suite = context.suites.add(gx.ExpectationSuite(name="s"))
    suite.add_expectation(
        cgx.ExpectColumnTailsNotToShrink(
            column="income", reference="reference.json", config="guard.toml", metric="spread_ratio_iqr"
        )
    )
    suite.add_expectation(cgx.ExpectColumnTailsNotToShrink(column="minutes", reference="nope.json"))
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name="v", data=batch_definition, suite=suite)
    )
    checkpoint = context.checkpoints.add(gx.Checkpoint(name="c", validation_definitions=[validation]))
    elsewhere = tmp_path / "scheduler"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # where a scheduler runs it
    result = checkpoint.run(batch_parameters={"dataframe": pd.read_csv(files["clean"])})
    by_column = {
        r.expectation_config.kwargs["column"]: r for r in next(iter(result.run_results.values())).results
    }
    income, minutes = by_column["income"], by_column["minutes"]
    assert _exception_messages(income) == []
    assert income.result["details"]["evidence"]["thresholds"]["fail"] == 0.98  # the config was read
    assert income.result["details"]["reference"]["sha256"] == cg.Profile.load(files["reference"]).sha256
    (message,) = _exception_messages(minutes)
    assert message.startswith(
        f"reference file nope.json not found (looked up as {project / 'nope.json'}: a relative path is "
        f"resolved against the Great Expectations project root {project} (the folder that holds gx/))"
    )
    # Without a project folder (an ephemeral context) the working directory is the base, and says so.
    r = _validate_one(
        pd.read_csv(files["clean"]), cgx.ExpectColumnTailsNotToShrink(column="income", reference="nope.json")
    )
    (message,) = _exception_messages(r)
    base = f"a relative path is resolved against the working directory {elsewhere}"
    assert f"looked up as {elsewhere / 'nope.json'}: {base}" in message
    r = _validate_one(
        pd.read_csv(files["clean"]),
        cgx.ExpectColumnTailsNotToShrink(
            column="income", reference=str(files["reference"]), config="guard.toml"
        ),
    )
    (message,) = _exception_messages(r)
    assert message.startswith(f"config file guard.toml not found (looked up as {elsewhere / 'guard.toml'}")


# ----- a column without values -------------------------------------------------------------------------


def test_an_all_missing_column_is_left_out_like_a_missing_one(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ref = str(files["reference"])
    df = pd.read_csv(files["collapsed"]).assign(minutes=np.nan)
    batch = _batch(df)
    income = batch.validate(cgx.ExpectColumnTailsNotToShrink(column="income", reference=ref))
    share = batch.validate(cgx.ExpectBatchSyntheticShareToBeBelow(reference=ref, max_share=0.15))
    minutes = batch.validate(cgx.ExpectColumnTailsNotToShrink(column="minutes", reference=ref))
    for r in (income, share):
        assert _exception_messages(r) == [], r.exception_info
        assert r.result["details"]["status"] == "fail"
        assert r.result["details"]["empty_columns"] == ["minutes"]
        assert "absent_columns" not in r.result["details"]
        assert any("'minutes' has no values" in n for n in r.result["details"]["notes"])
    assert _exception_messages(minutes) == []
    assert minutes.success is False and minutes.result["observed_value"] is None
    details = minutes.result["details"]
    assert details["status"] == "error" and details["findings"] == []
    assert details["message"].startswith(
        "the batch's column 'minutes' has no values (every cell is missing), so collapse-guard "
        "tail-shrinkage cannot judge it"
    )
    assert "--column" not in details["message"]
    # The other columns' numbers are the CLI's with --column minutes=ignore.
    _assert_income_as_cli_ignoring_minutes(income, df, ref, tmp_path / "empty_minutes.csv")
    # No reference column with values left: the wrong data, said as such.
    nothing = df.assign(income=np.nan, country=None).drop(columns=["minutes"])
    r = _validate_one(nothing, cgx.ExpectColumnTailsNotToShrink(column="income", reference=ref))
    assert any(
        m.startswith("the batch has no values in any of the reference's columns")
        for m in _exception_messages(r)
    )


# ----- messages in Great Expectations terms ------------------------------------------------------------


def test_errors_name_expectation_arguments_not_command_line_options(
    files: dict[str, Path], tmp_path: Path
) -> None:
    from collapse_guard.gx.messages import for_gx

    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('{"not": "a reference"}', encoding="utf-8")
    clean = pd.read_csv(files["clean"])
    cases = {
        "corrupt": (clean, str(corrupt)),
        "empty": (clean.iloc[0:0], str(files["reference"])),
        "infinite": (
            clean.assign(income=clean["income"].replace(clean["income"].iloc[0], np.inf)),
            str(files["reference"]),
        ),
    }
    messages = {}
    for name, (df, ref) in cases.items():
        (messages[name],) = _exception_messages(
            _validate_one(df, cgx.ExpectColumnTailsNotToShrink(column="income", reference=ref))
        )
    assert messages["corrupt"] == (
        f"{corrupt}: is not a collapse-guard reference file; pass as reference= the file written by "
        "`collapse-guard profile`"
    )
    assert messages["empty"].startswith("the batch: no rows; check the batch definition")
    assert messages["infinite"].startswith("the batch: column 'income' has 1 infinite value(s)")
    for message in messages.values():
        assert not re.search(r"(^|\s)(-r|--column|--config|--synthetic-reference)\b", message), message
        assert "give a file" not in message
    assert for_gx("too wide; leave columns out with --column NAME=ignore") == (
        'too wide; leave columns out with [columns.NAME] kind = "ignore" in the config file given as config='
    )
    assert for_gx("declare it with --column my col=text, or --column my col=ignore") == (
        'declare it with [columns."my col"] kind = "text" in the config file given as config=, or '
        '[columns."my col"] kind = "ignore" in the config file given as config='
    )
    # Rebuilding the reference is done with the CLI, so that advice keeps its command.
    assert for_gx("or rebuild the reference with --column x=categorical if") == (
        "or rebuild the reference with `collapse-guard profile --column x=categorical` if"
    )
    # Messages about a DataFrame spell the fix as the Python API's columns=, which GX has not either.
    assert for_gx("fix those values, or declare it with columns={'x': 'categorical'}") == (
        'fix those values, or declare it with [columns.x] kind = "categorical" in the config file given '
        "as config="
    )
    assert for_gx("leave it out with --column x=ignore (in Python: columns={'x': 'ignore'})") == (
        'leave it out with [columns.x] kind = "ignore" in the config file given as config='
    )
    assert for_gx("it crashed, or rerun with --traceback") == "it crashed"
    assert for_gx("check the --config path") == "check the config= path"


def test_a_column_the_check_does_not_judge_is_told_its_kind(files: dict[str, Path], tmp_path: Path) -> None:
    ref = str(files["reference"])
    r = _validate_one(
        pd.read_csv(files["clean"]), cgx.ExpectColumnDiversityNotToDrop(column="income", reference=ref)
    )
    message = r.result["details"]["message"]
    assert r.success is False and r.result["details"]["status"] == "error"
    assert message.startswith(
        "collapse-guard diversity-loss measured nothing for column 'income': it is a numeric column in the "
        "reference, and diversity-loss judges categorical and text columns one at a time; numeric columns "
        "count in the coverage of reference rows, which ExpectBatchDiversityNotToDrop judges"
    )
    assert "rebuild" not in message
    config = tmp_path / "ignore.toml"
    config.write_text('[columns.minutes]\nkind = "ignore"\n', encoding="utf-8")
    r = _validate_one(
        pd.read_csv(files["clean"]),
        cgx.ExpectColumnTailsNotToShrink(column="minutes", reference=ref, config=str(config)),
    )
    assert "the config file given as config= ignores it" in r.result["details"]["message"]
    report = {"notes": [], "reference_kinds": {"income": "numeric"}, "ignored_columns": []}
    from collapse_guard.gx.messages import nothing_measured

    assert "it is not in the reference profile; rebuild the reference" in nothing_measured(
        "tail-shrinkage", "other", report
    )


# ----- same threads as the CLI -------------------------------------------------------------------------


def test_the_check_runs_with_one_blas_thread_as_the_cli_does(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI starts OpenBLAS with one thread; more threads sum in another order and moved
    values in the last digits, so the metric holds BLAS to one thread while the check runs."""
    from threadpoolctl import threadpool_info, threadpool_limits

    import collapse_guard.gx.metrics as gx_metrics

    seen: list[set[int]] = []
    original = gx_metrics._cg_check

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append({int(lib["num_threads"]) for lib in threadpool_info() if lib["user_api"] == "blas"})
        return original(*args, **kwargs)

    monkeypatch.setattr(gx_metrics, "_cg_check", recording)
    with threadpool_limits(limits=2, user_api="blas"):
        run_check(pd.read_csv(files["clean"]), "tail-shrinkage", reference=str(files["reference"]))
    assert seen == [{1}]
