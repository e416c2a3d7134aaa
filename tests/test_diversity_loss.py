"""The diversity-loss check: fixed-seed detection both ways, reference-free mode and bad input."""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd
import pytest

import collapse_guard as cg
from collapse_guard.checks.diversity_loss import DiversityLoss
from collapse_guard.config import Config
from collapse_guard.profile import build_profile
from collapse_guard.profile.settings import ProfileSettings
from collapse_guard.protocols import Check
from collapse_guard.results import Report, Status
from collapse_guard.runner import run_checks

WORDS = np.array([f"w{i}" for i in range(3000)])
CONFIG = {"checks": {"diversity-loss": {"null_draws": 25, "coverage_draws": 12}}}


def frame(n: int, seed: int, vocab: int = 3000, n_categories: int = 40, modes: int = 8) -> pd.DataFrame:
    """Human-like rows: an 8-mode 2-D mixture, a Zipf categorical, Zipf word documents."""
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, n_categories + 1)
    p = 1.0 / ranks
    angle = 2 * np.pi * rng.choice(modes, n) / 8
    words = (rng.zipf(1.2, size=(n, 15)) - 1) % vocab
    return pd.DataFrame(
        {
            "x": 6 * np.cos(angle) + rng.standard_normal(n),
            "y": 6 * np.sin(angle) + rng.standard_normal(n),
            "category": rng.choice([f"c{i:02d}" for i in ranks], size=n, p=p / p.sum()),
            "text": [" ".join(WORDS[row]) for row in words],
        }
    )


@pytest.fixture(scope="module")
def reference() -> cg.Profile:
    return cg.profile(frame(3000, 1))


def run(batch: pd.DataFrame, reference: cg.Profile, **kw: object) -> Report:
    return cg.check(batch, reference, select=["diversity-loss"], config=CONFIG, **kw)  # type: ignore[arg-type]


def statuses(report: Report) -> dict[tuple[str | None, str], str]:
    return {(f.column, f.metric): f.status.value for f in report.findings}


def finding(report: Report, column: str | None, metric: str) -> cg.results.Finding:
    return next(f for f in report.findings if f.column == column and f.metric == metric)


@pytest.mark.parametrize("seed", [2, 3])
def test_clean_batches_pass(reference: cg.Profile, seed: int) -> None:
    report = run(frame(800, seed), reference)
    bad = {k: v for k, v in statuses(report).items() if v != "pass"}
    assert bad == {}
    assert report.status == "pass"
    metrics = {f.metric for f in report.findings}
    assert {
        "entropy",
        "hill_q0",
        "hill_q2",
        "distinct_1",
        "distinct_2",
        "distinct_3",
        "compression_ratio",
        "self_repetition",
        "token_entropy",
        "token_hill_q2",
        "near_duplicate_share",
        "exact_duplicate_share",
        "coverage",
    } <= metrics
    # Every finding is calibrated at the batch's size and carries a null plot.
    for f in report.findings:
        assert f.measurement.p_value is not None
        assert f.measurement.evidence["plot"]["type"] == "null"
        assert len(f.measurement.evidence["plot"]["null"]) <= 50


def test_duplicated_documents_fail_with_example_pairs(reference: cg.Profile) -> None:
    batch = frame(800, 4)
    batch.loc[:39, "text"] = batch["text"].iloc[40:80].to_numpy() + " again"
    report = run(batch, reference)
    near = finding(report, "text", "near_duplicate_share")
    assert near.status is Status.FAIL
    assert near.measurement.value == pytest.approx(40 / 800)
    pair = near.measurement.evidence["pairs"][0]
    assert pair["texts"][0] in batch["text"].tolist() or pair["texts"][1] in batch["text"].tolist()
    assert "are near-duplicates of another document" in near.message
    assert 'e.g. "' in near.message
    assert finding(report, "text", "exact_duplicate_share").status is Status.PASS


def test_the_near_duplicate_example_is_a_pair_that_differs_when_there_is_one() -> None:
    from collapse_guard.checks.diversity_loss.duplicates import _pair_phrase

    same = {"documents": [1, 2], "texts": ["The hinge broke.", "The hinge broke."]}
    near = {"documents": [3, 4], "texts": ["A fine day out", "A fine day out!"]}
    assert _pair_phrase([same, near]) == '; e.g. "A fine day out" ≈ "A fine day out!"'
    assert _pair_phrase([same]) == '; e.g. "The hinge broke.", copied word for word'
    assert _pair_phrase([{"documents": [1, 2], "jaccard": 1.0}]) == ""  # no raw text kept


def test_narrow_vocabulary_fails_distinct_n_and_entropy(reference: cg.Profile) -> None:
    report = run(frame(800, 5, vocab=300), reference)
    s = statuses(report)
    assert s[("text", "distinct_1")] == "fail"
    assert s[("text", "token_entropy")] == "fail"
    assert s[("text", "compression_ratio")] in ("warn", "fail")
    assert s[("category", "entropy")] == "pass"
    assert report.status == "fail"


def test_concentrated_categories_fail_with_top_share_evidence(reference: cg.Profile) -> None:
    report = run(frame(800, 6, n_categories=6), reference)
    ent = finding(report, "category", "entropy")
    assert ent.status is Status.FAIL
    assert "top 5 categories hold" in ent.message
    ev = ent.measurement.evidence
    assert ev["top_share_batch"] > ev["top_share_reference"]
    assert ev["bars"]["type"] == "bars" and len(ev["bars"]["labels"]) <= 20
    q0 = finding(report, "category", "hill_q0")
    assert q0.status is Status.FAIL
    assert "c07" in q0.measurement.evidence["absent_categories"]


def test_dropped_mixture_modes_fail_coverage(reference: cg.Profile) -> None:
    # Two of eight modes gone: about 25% of reference rows lose their batch neighbours.
    report = run(frame(800, 7, modes=6), reference)
    cov = finding(report, None, "coverage")
    assert cov.status in (Status.WARN, Status.FAIL)
    assert cov.measurement.effect is not None and cov.measurement.effect < 0.9
    assert "deterministic subsample" in cov.message
    assert cov.measurement.evidence["uncovered_regions"]


def _batch_profile(df: pd.DataFrame) -> cg.Profile:
    return build_profile([df], settings=ProfileSettings.batch())


def test_reference_free_reports_duplicates_on_effect_alone() -> None:
    batch = frame(400, 8)[["text"]]
    batch.loc[:99, "text"] = batch["text"].iloc[100:200].to_numpy()
    check = DiversityLoss()
    report = run_checks(None, _batch_profile(batch), {check.name: cast(Check, check)}, Config())
    s = statuses(report)
    assert s == {
        ("text", "near_duplicate_share"): "fail",
        ("text", "exact_duplicate_share"): "fail",
    }
    exact = finding(report, "text", "exact_duplicate_share")
    assert exact.measurement.p_value is None
    assert exact.measurement.value == pytest.approx(0.25)
    registry = {check.name: cast(Check, check)}
    clean = run_checks(None, _batch_profile(frame(400, 9)[["text"]]), registry, Config())
    assert clean.status == "pass"


def test_single_document_is_insufficient_not_a_crash(reference: cg.Profile) -> None:
    report = run(frame(1, 10), reference)
    assert not report.by_status("error")
    text = {f.metric: f.status.value for f in report.findings if f.column == "text"}
    assert text == {"distinct_2": "insufficient-data", "near_duplicate_share": "insufficient-data"}
    assert "non-empty batch documents" in finding(report, "text", "distinct_2").message


def test_identical_documents_and_all_duplicates_fail(reference: cg.Profile) -> None:
    batch = frame(300, 11)
    batch["text"] = batch["text"].iloc[0]
    report = run(batch, reference)
    assert not report.by_status("error")
    near = finding(report, "text", "near_duplicate_share")
    assert near.status is Status.FAIL
    assert near.measurement.value == pytest.approx(299 / 300)
    batch["text"] = np.tile(frame(5, 12)["text"].to_numpy(), 60)
    report = run(batch, reference)
    assert finding(report, "text", "exact_duplicate_share").measurement.value == pytest.approx(295 / 300)
    assert finding(report, "text", "distinct_3").status is Status.FAIL


def test_empty_text_column_is_insufficient(reference: cg.Profile) -> None:
    batch = frame(200, 13)
    batch["text"] = ""
    report = run(batch, reference)
    assert not report.by_status("error")
    text = [f for f in report.findings if f.column == "text"]
    assert text and all(f.status is Status.INSUFFICIENT for f in text)


def test_one_hot_width_explosion_is_refused_with_a_clear_message() -> None:
    ref_df = frame(1500, 14)
    ref_df["comment"] = [f"note {i} from a customer" for i in range(len(ref_df))]
    ref = cg.profile(ref_df, columns={"comment": "categorical"})
    batch = frame(500, 15)
    batch["comment"] = [f"note {i} from a customer" for i in range(len(batch))]
    report = run(batch, ref, columns={"comment": "categorical"})
    refused = finding(report, "comment", "coverage")
    assert refused.status is Status.INSUFFICIENT
    assert "'comment' has 1,500 distinct values" in refused.message
    assert "--column comment=text" in refused.message
    table = finding(report, None, "coverage")
    assert table.status is Status.PASS
    assert "comment" not in table.measurement.evidence["categorical_columns"]


def test_large_batch_duplicates_use_whole_batch_against_a_scaled_null() -> None:
    # A batch of 800 documents against a reference sample of 1,000: the null is drawn at 500
    # documents (half the reference sample) and scaled up by 800 / 500.
    small_reference = cg.profile(frame(1000, 20))
    batch = frame(800, 16)
    batch.loc[:79, "text"] = batch["text"].iloc[80:160].to_numpy()
    report = run(batch, small_reference)
    near = finding(report, "text", "near_duplicate_share")
    assert near.status is Status.FAIL
    assert near.measurement.value == pytest.approx(0.1)
    assert near.measurement.evidence["null_scaled_by"] == pytest.approx(1.6)
    assert "scaled linearly" in near.measurement.evidence["null_note"]
    clean = run(frame(800, 17), small_reference)
    assert clean.status == "pass", [f.message for f in clean.findings if f.status.value != "pass"]


def test_one_word_documents_make_bigram_statistics_insufficient(reference: cg.Profile) -> None:
    batch = frame(1200, 18)
    batch["text"] = [f"w{i % 400}" for i in range(len(batch))]
    report = run(batch, reference)
    assert not report.by_status("error")
    assert finding(report, "text", "distinct_2").status is Status.INSUFFICIENT
    assert "shorter than 2 words" in finding(report, "text", "distinct_2").message
    assert finding(report, "text", "distinct_1").status in (Status.WARN, Status.FAIL)


def test_batch_larger_than_the_reference_is_matched_down_and_passes(
    reference: cg.Profile,
) -> None:
    report = run(frame(4000, 19), reference)
    assert report.status == "pass", [f.message for f in report.findings if f.status.value != "pass"]
    ent = finding(report, "category", "entropy")
    assert "rarefied to the reference's 3,000 rows" in ent.message
    d2 = finding(report, "text", "distinct_2")
    assert d2.measurement.evidence["batch_subsampled"] is True
    assert "subsampled to match" in d2.message
    near = finding(report, "text", "near_duplicate_share")
    assert near.measurement.evidence["null_scaled_by"] > 1
