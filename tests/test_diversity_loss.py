"""The diversity-loss check: fixed-seed detection both ways, reference-free mode and bad input."""

from __future__ import annotations

import math
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
from collapse_guard.stats.entropy import rarefied_hill

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
    # A passing distinct-n below the null's centre is "within the range", not "repeats more".
    for n in (1, 2, 3):
        f = finding(report, "text", f"distinct_{n}")
        assert f.measurement.value >= f.measurement.interval[0] or f.status is not Status.PASS
        assert "repeats its" not in f.message, f.message
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
    bars = ev["bars"]
    assert bars["type"] == "bars" and len(bars["labels"]) <= 40
    assert bars["total"] == 40 and bars["absent"] == 34  # the batch holds 6 of 40 categories
    assert all(share == 0 for share in bars["batch"][:12])  # vanished ones lead
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
    # Named in the coverage finding, not one insufficient-data finding per wide column per run.
    assert not [f for f in report.findings if f.metric == "coverage" and f.column == "comment"]
    table = finding(report, None, "coverage")
    assert table.status is Status.PASS
    assert "Left out: `comment` (1,500 categories), more than the 100" in table.message
    assert "comment" not in table.measurement.evidence["categorical_columns"]
    assert table.measurement.evidence["left_out_columns"] == {"comment": 1500}


def test_coverage_with_every_column_too_wide_is_insufficient_data_naming_them() -> None:
    rng = np.random.default_rng(0)
    ref = cg.profile(
        pd.DataFrame({"sku": [f"s{i}" for i in rng.integers(0, 900, 1500)]}), columns={"sku": "categorical"}
    )
    batch = pd.DataFrame({"sku": [f"s{i}" for i in rng.integers(0, 900, 500)]})
    cov = finding(run(batch, ref, columns={"sku": "categorical"}), None, "coverage")
    assert cov.status is Status.INSUFFICIENT and "no column is left to compare rows on" in cov.message
    assert "`sku`" in cov.message


def test_large_batch_duplicates_use_whole_batch_against_the_reference_bound() -> None:
    # A batch of 800 documents against a reference sample of 1,000: more than half the reference
    # sample, so the null is the reference sample's own duplicate count (Poisson error) scaled by
    # the growth bound, 800 / 1,000 going down.
    small_reference = cg.profile(frame(1000, 20))
    batch = frame(800, 16)
    batch.loc[:79, "text"] = batch["text"].iloc[80:160].to_numpy()
    report = run(batch, small_reference)
    near = finding(report, "text", "near_duplicate_share")
    assert near.status is Status.FAIL
    assert near.measurement.value == pytest.approx(0.1)
    assert near.measurement.evidence["growth_bound"] == pytest.approx(0.8)
    assert near.measurement.evidence["null_draws"] == 0
    assert "bounded from the reference sample's own count" in near.measurement.evidence["null_note"]
    assert "at most" in near.message
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
    assert near.measurement.evidence["growth_bound"] > 1


def test_split_null_matches_exact_enumeration_on_a_tiny_pool() -> None:
    # Reference counts (2, 1, 1), batch (1, 1, 0): N = 4, n = 2, m = 2. Under H0 the batch is a
    # uniformly random 2 of the 6 pooled rows; enumerate all 15 and compare the Hill q0 / q2
    # log-ratio laws and the permutation p-value with the sampler's.
    import itertools
    import math

    from collapse_guard.stats.entropy import (
        diversity_differences,
        diversity_split_null,
        matched_diversity,
    )

    r, b = np.array([2, 1, 1]), np.array([1, 1, 0])
    pool = r + b
    rows = np.repeat(np.arange(3), pool)
    exact = []
    for pick in itertools.combinations(range(len(rows)), 2):
        bat = np.bincount(rows[list(pick)], minlength=3)
        d = diversity_differences(*matched_diversity(pool - bat, bat, 2, np.random.default_rng(0), "count"))
        exact.append((round(d[1], 9), round(d[2], 9)))
    (ref_s, bat_s), null = diversity_split_null(r, b, 6000, np.random.default_rng(3))
    assert ref_s[1] == pytest.approx(rarefied_hill(r, 2, 0)) and ref_s[2] == pytest.approx(
        rarefied_hill(r, 2, 2)
    )
    assert bat_s[1] == 2 and bat_s[2] == 2
    sampled = [(round(a, 9), round(c, 9)) for a, c in null[:, 1:]]
    for value in set(exact):
        assert sampled.count(value) / len(sampled) == pytest.approx(exact.count(value) / 15, abs=0.02)
    observed = diversity_differences(ref_s, bat_s)
    # exact holds values rounded to 9 decimals: compare with a tolerance above that rounding
    p_exact = sum(e[1] <= observed[2] + 1e-8 for e in exact) / 15
    assert np.mean(null[:, 2] <= observed[2] + 1e-8) == pytest.approx(p_exact, abs=0.02)
    assert math.isfinite(observed[0])


def _near_unique(n: int, seed: int) -> pd.DataFrame:
    """Product-title-like column: about 95% distinct values, a few repeated ones."""
    rng = np.random.default_rng(seed)
    common = rng.choice(40, size=n, p=np.r_[np.full(20, 0.04), np.full(20, 0.01)] / 1.0)
    unique = rng.random(n) < 0.93
    return pd.DataFrame(
        {
            "title": [
                f"t{seed}-{i}" if u else f"c{c}" for i, (u, c) in enumerate(zip(unique, common, strict=True))
            ]
        }
    )


@pytest.mark.parametrize(("ref_rows", "batch_rows"), [(2000, 2000), (600, 3000)])
def test_honest_splits_of_a_near_unique_column_do_not_fail_or_reach_tiny_p(
    ref_rows: int, batch_rows: int
) -> None:
    pool = _near_unique(ref_rows + batch_rows, 0)
    ps = []
    for seed in range(6):
        order = np.random.default_rng(seed).permutation(len(pool))
        ref = cg.profile(pool.iloc[order[:ref_rows]], columns={"title": "categorical"})
        report = cg.check(
            pool.iloc[order[ref_rows:]], ref, select=["diversity-loss"], columns={"title": "categorical"}
        )
        for f in report.findings:
            if f.metric in ("entropy", "hill_q0", "hill_q2"):
                # Exact p-values: an honest split warns at about the policy's warn level (its
                # effect gate does not hold back a column this noisy), never fails.
                assert f.status is not Status.FAIL, f.message
                ps.append(f.measurement.p_value)
                lo, hi = f.measurement.interval
                assert lo <= f.measurement.expected <= hi
    assert min(ps) > 1e-3  # the multinomial null gave p down to 1e-36 here


def _zipf_column(
    n: int, rng: np.random.Generator, sharpen: float = 1.0, drop_rare_half: bool = False
) -> pd.DataFrame:
    p = 1.0 / np.arange(1, 61) ** sharpen
    if drop_rare_half:
        p[30:] = 0.0
    return pd.DataFrame({"category": rng.choice([f"c{i:02d}" for i in range(60)], size=n, p=p / p.sum())})


@pytest.mark.parametrize(("ref_rows", "batch_rows"), [(3000, 600), (400, 6000)])
def test_collapsed_categories_fail_both_ways_of_sizes(ref_rows: int, batch_rows: int) -> None:
    rng = np.random.default_rng(11)
    ref = cg.profile(_zipf_column(ref_rows, rng))
    sharp = cg.check(_zipf_column(batch_rows, rng, sharpen=1.6), ref, select=["diversity-loss"])
    assert finding(sharp, "category", "entropy").status is Status.FAIL
    assert finding(sharp, "category", "hill_q2").status is Status.FAIL
    dropped = cg.check(_zipf_column(batch_rows, rng, drop_rare_half=True), ref, select=["diversity-loss"])
    assert finding(dropped, "category", "hill_q0").status is Status.FAIL
    honest = cg.check(_zipf_column(batch_rows, rng), ref, select=["diversity-loss"])
    assert all(
        finding(honest, "category", m).status is Status.PASS for m in ("entropy", "hill_q0", "hill_q2")
    )


def test_messages_say_which_side_each_number_is_and_list_only_present_categories() -> None:
    rng = np.random.default_rng(12)
    ref = cg.profile(_zipf_column(500, rng))
    large = cg.check(_zipf_column(4000, rng, sharpen=1.6), ref, select=["diversity-loss"])
    msg = finding(large, "category", "entropy").message
    assert msg.startswith("`category`: the batch, rarefied to the reference's 500 rows, has ")
    assert "an honest batch of 500 rows next to this reference would have about" in msg
    assert "the reference at 500 rows:" in msg
    # Chao-Shen effective numbers above the row count are said to be population estimates.
    pool = _near_unique(1000, 1)
    unique_ref = cg.profile(pool.iloc[:500], columns={"title": "categorical"})
    near = cg.check(pool.iloc[500:], unique_ref, select=["diversity-loss"], columns={"title": "categorical"})
    ent = finding(near, "title", "entropy")
    assert math.exp(ent.measurement.value) > 500
    assert (
        "estimates the effective number of the population sampled, which can exceed the 500 rows"
        in ent.message
    )
    # A single-category batch lists that category only.
    single = cg.check(pd.DataFrame({"category": ["c03"] * 200}), ref, select=["diversity-loss"])
    ent = finding(single, "category", "entropy")
    assert ent.measurement.evidence["top_categories"] == ["c03"]
    assert "its only category holds 100% of the batch" in ent.message
    assert ent.status is Status.FAIL


def test_count_frequencies_agree_for_small_and_huge_counts() -> None:
    from collapse_guard.stats.entropy import count_frequencies

    for x in (np.array([0, 3, 3, 1, 2, 1]), np.array([0, 3, 3, 1, 5_000_000, 2])):
        k, f = count_frequencies(x)
        values, counts = np.unique(x[x > 0], return_counts=True)
        assert np.array_equal(k, values) and np.array_equal(f, counts)


def test_one_rare_category_missing_from_a_batch_is_not_called_impossible() -> None:
    """An honest split can miss a category the reference saw 9 times in 2,000 rows (about one
    batch of 500 in seven); a few dozen split draws may never show it, and the tail fitted beyond
    them called it p = 1e-22 (a false fail on Python docstrings' node types). The richness of a
    batch no larger than the reference is now floored by its exact chance of missing that many."""
    labels = ["FunctionDef", "ClassDef", "Module", "AsyncFunctionDef"]
    ref = cg.profile(pd.DataFrame({"source": np.repeat(labels, [700, 650, 641, 9])}))
    batch = pd.DataFrame({"source": np.repeat(labels, [175, 163, 162, 0])})
    # Seed 29 with 20 draws is a run whose draws never show it absent (it failed, p = 4.5e-12).
    few_draws = {"checks": {"diversity-loss": {"null_draws": 20}}}
    report = cg.check(batch, ref, select=["diversity-loss"], seed=29, config=few_draws)
    (q0,) = [f for f in report.findings if f.metric == "hill_q0" and f.column == "source"]
    assert q0.status.value == "pass"
    assert q0.measurement.p_value > 0.05
    # Losing most categories is still a fail.
    wide = [f"k{i}" for i in range(60)]
    ref = cg.profile(pd.DataFrame({"k": np.repeat(wide, 40)}))
    collapsed = pd.DataFrame({"k": np.repeat(wide[:20], 30)})
    report = cg.check(collapsed, ref, select=["diversity-loss"])
    (q0,) = [f for f in report.findings if f.metric == "hill_q0" and f.column == "k"]
    assert q0.status.value == "fail"


def test_category_bars_lead_with_vanished_categories_and_say_how_many_there_are(
    reference: cg.Profile,
) -> None:
    batch = frame(2000, 9)
    # c05 is common (about 4% of rows); losing it must show in the picture, not only the top 20.
    batch = batch[~batch["category"].isin(["c05", "c30", "c31"])]
    bars = finding(run(batch, reference), "category", "entropy").measurement.evidence["bars"]
    absent = {"c05", "c30", "c31"}
    assert bars["total"] == 40 and bars["absent"] == 3
    assert set(bars["labels"][:3]) == absent and bars["labels"][0] == "c05"
    shown = dict(zip(bars["labels"], bars["batch"], strict=True))
    assert all(shown[c] == 0 for c in absent)
