"""tail-shrinkage end to end through the public API: clean passes, collapse fails, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import human_frame
from scipy import stats

import collapse_guard as cg
from collapse_guard.profile import NumericProfile
from collapse_guard.results import Finding, Report


def _tail(report: Report) -> dict[tuple[str | None, str], Finding]:
    return {(f.column, f.metric): f for f in report.findings if f.check == "tail-shrinkage"}


def _check(batch: pd.DataFrame, ref: cg.Profile) -> dict[tuple[str | None, str], Finding]:
    return _tail(cg.check(batch, ref, select=["tail-shrinkage"]))


@pytest.fixture(scope="module")
def reference() -> cg.Profile:
    return cg.profile(human_frame(20_000, seed=0))


def test_clean_batch_passes(reference: cg.Profile) -> None:
    found = _check(human_frame(5000, seed=1), reference)
    bad = {k: f.message for k, f in found.items() if f.status.value in ("warn", "fail", "error")}
    assert bad == {}
    # Every kind was measured, not skipped.
    assert found[("gauss", "upper_tail_mass_q99")].status.value == "pass"
    assert found[("category", "reference_categories_present")].status.value == "pass"
    assert found[("text", "rare_token_share")].status.value == "pass"
    assert found[("pareto", "hill_tail_index")].status.value == "pass"


def test_halved_upper_tail_fails_and_names_values(reference: cg.Profile) -> None:
    batch = human_frame(5000, seed=2)
    column = reference.column("lognormal")
    assert isinstance(column, NumericProfile)
    t = float(np.quantile(column.values, 0.95))
    x = batch["lognormal"].to_numpy().copy()
    over = np.flatnonzero(x > t)
    x[over] = np.random.default_rng(0).uniform(t * 0.5, t, size=len(over))  # the tail is cut
    batch["lognormal"] = x
    found = _check(batch, reference)
    f = found[("lognormal", "upper_tail_mass_q99")]
    assert f.status.value == "fail"
    assert "p99 fell from" in f.message and "were expected" in f.message
    assert f.measurement.effect is not None and f.measurement.effect < 0.1
    assert found[("lognormal", "hill_tail_index")].status.value == "fail"
    assert found[("gauss", "upper_tail_mass_q99")].status.value == "pass"


def test_gaussian_refit_of_a_skewed_column_fails(reference: cg.Profile) -> None:
    batch = human_frame(5000, seed=3)
    rng = np.random.default_rng(3)
    x = batch["pareto"].to_numpy()
    batch["pareto"] = rng.normal(x.mean(), x.std(ddof=1), size=len(x))
    found = _check(batch, reference)
    assert found[("pareto", "upper_tail_mass_q99")].status.value == "fail"


def test_narrowed_gaussian_fails_on_spread(reference: cg.Profile) -> None:
    batch = human_frame(5000, seed=4)
    batch["gauss"] = 50 + 0.6 * (batch["gauss"] - 50)
    found = _check(batch, reference)
    for metric in ("spread_ratio_iqr", "spread_ratio_q99_q01", "upper_tail_mass_q99", "lower_tail_mass_q01"):
        assert found[("gauss", metric)].status.value == "fail", metric
    assert found[("gauss", "spread_ratio_iqr")].measurement.effect == pytest.approx(0.6, abs=0.05)


def test_small_batch_is_insufficient_with_needed_size(reference: cg.Profile) -> None:
    found = _check(human_frame(300, seed=5), reference)
    f = found[("gauss", "upper_tail_mass_q99")]
    assert f.status.value == "insufficient-data"
    assert "needs about" in (f.measurement.insufficient or "")
    # The extreme q0.999 tail is not measured at all without power.
    assert ("gauss", "upper_tail_mass_q999") not in found


def test_vanished_rare_categories_fail_and_are_named(reference: cg.Profile) -> None:
    batch = human_frame(5000, seed=6)
    rare = ["c35", "c36", "c37", "c38", "c39", "c40"]
    keep = ~batch["category"].isin(rare)
    batch = batch[keep].reset_index(drop=True)
    found = _check(batch, reference)
    f = found[("category", "reference_categories_present")]
    assert f.status.value == "fail"
    assert "6 of 40 reference categories are missing" in f.message
    assert "where an honest batch of this size misses none;" in f.message  # not "0.0 ± 0.0"
    assert 0.0 <= f.measurement.evidence["p_all_vanish_by_chance"] < 1e-6
    assert all(repr(c) in f.message for c in rare)
    assert len(f.measurement.evidence["missing"]) == 6


def test_new_and_overrepresented_categories_are_adherence_findings(
    reference: cg.Profile,
) -> None:
    batch = human_frame(5000, seed=7)
    cats = batch["category"].to_numpy().copy()
    cats[:150] = "zz_invented"
    cats[150:1400] = "c40"  # the rarest category, ~0.2% of the reference, now 25%
    batch["category"] = cats
    found = _check(batch, reference)
    new = found[("category", "new_categories")]
    assert new.status.value == "fail" and "'zz_invented'" in new.message
    over = found[("category", "rare_category_excess")]
    assert over.status.value == "fail" and "'c40'" in over.message
    # One category decided, so value, expected and interval are its own, not the rare set's: the
    # set's share beside c40's ratio read as shrinkage (value below expected, effect 4x).
    m, worst = over.measurement, over.measurement.evidence["most_overrepresented"]
    assert worst["category"] == "c40"
    assert m.value == pytest.approx(worst["batch_count"] / 5000)
    assert m.expected == pytest.approx(worst["expected_batch_count"] / 5000)
    assert m.value > m.expected and m.interval[0] <= m.value <= m.interval[1]


def test_truncated_vocabulary_and_lengths_fail_on_text(reference: cg.Profile) -> None:
    batch = human_frame(5000, seed=8)
    rng = np.random.default_rng(8)
    # A "top-k" generator: only the 60 most frequent words survive, documents are shorter.
    words = np.array([f"w{i}" for i in range(1, 61)])
    batch["text"] = [" ".join(rng.choice(words, size=int(rng.integers(6, 12)))) for _ in range(5000)]
    found = _check(batch, reference)
    for metric in ("rare_token_share", "rare_token_types", "rare_bigram_types"):
        assert found[("text", metric)].status.value == "fail", metric
    for metric in ("rare_token_share", "rare_bigram_share", "rare_token_types", "rare_bigram_types"):
        m = found[("text", metric)].measurement
        lo, hi = m.interval
        # An interval for a share or a count never leaves what the value can be.
        assert 0.0 <= lo <= m.value <= hi and (hi <= 1.0 or metric.endswith("types")), (metric, lo, hi)
    # Two of the commonest words only: no rare word pair at all, and a share of 0 had the
    # interval [-0.0002, 0.0002].
    batch["text"] = [" ".join(rng.choice(words[:2], size=10)) for _ in range(5000)]
    m = _check(batch, reference)[("text", "rare_bigram_share")].measurement
    assert m.value == 0.0 and m.interval[0] == 0.0 < m.interval[1]


def test_short_and_long_document_tails(reference: cg.Profile) -> None:
    rng = np.random.default_rng(9)
    words = np.array([f"w{i}" for i in range(3000)])

    def docs(lengths: np.ndarray) -> list[str]:
        return [" ".join(words[rng.zipf(1.3, size=k) % 3000]) for k in lengths]

    ref_frame = pd.DataFrame({"body": docs(rng.integers(1, 80, size=6000))})
    ref = cg.profile(ref_frame)
    found = _check(pd.DataFrame({"body": docs(rng.integers(20, 40, size=3000))}), ref)
    assert found[("body", "short_document_mass")].status.value == "fail"
    assert found[("body", "long_document_mass")].status.value == "fail"
    assert "words or more" in found[("body", "long_document_mass")].message
    clean = _check(pd.DataFrame({"body": docs(rng.integers(1, 80, size=3000))}), ref)
    assert clean[("body", "long_document_mass")].status.value in ("pass", "insufficient-data")
    assert clean[("body", "short_document_mass")].status.value in ("pass", "insufficient-data")


def test_one_row_batch_is_insufficient_not_a_crash(reference: cg.Profile) -> None:
    report = cg.check(human_frame(1, seed=10), reference, select=["tail-shrinkage"])
    found = _tail(report)
    assert not [f for f in found.values() if f.status.value in ("error", "fail")]
    assert found[("gauss", "upper_tail_mass_q99")].status.value == "insufficient-data"
    assert found[("category", "reference_categories_present")].status.value == ("insufficient-data")
    assert found[("text", "rare_token_share")].status.value == "insufficient-data"


def test_single_category_reference(reference: cg.Profile) -> None:
    ref = cg.profile(pd.DataFrame({"flag": ["yes"] * 500, "x": np.arange(500.0)}))
    found = _check(pd.DataFrame({"flag": ["yes"] * 300 + ["no"] * 5, "x": np.arange(305.0)}), ref)
    f = found[("flag", "reference_categories_present")]
    assert f.status.value == "insufficient-data"
    assert "single category ('yes')" in f.message
    assert "'no'" in found[("flag", "new_categories")].message


@pytest.mark.parametrize("blank", ["", "   \n\t "])
def test_text_batch_without_words(reference: cg.Profile, blank: str) -> None:
    batch = human_frame(200, seed=11)
    batch["text"] = blank
    found = _check(batch, reference)
    f = found[("text", "rare_token_share")]
    assert f.status.value == "insufficient-data"
    assert "holds no words" in f.message
    assert found[("text", "long_document_mass")].status.value == "insufficient-data"


def test_same_inputs_same_findings(reference: cg.Profile) -> None:
    batch = human_frame(2000, seed=12)
    a = cg.check(batch, reference, select=["tail-shrinkage"]).to_dict()
    b = cg.check(batch, reference, select=["tail-shrinkage"]).to_dict()
    assert a["findings"] == b["findings"]


def test_reference_without_row_sample_says_why() -> None:
    import numpy as np
    import pandas as pd

    import collapse_guard as cg

    frame = pd.DataFrame({"x": np.random.default_rng(0).normal(size=3000)})
    ref = cg.profile(frame, config={"profile": {"sample_rows": 0}})
    report = cg.check(frame.iloc[:1000], ref, select=["tail-shrinkage"])
    assert report.status == "warn"  # nothing could be tested: never a silent pass
    assert all("sample_rows = 0" in (f.measurement.insufficient or "") for f in report.findings)


def _zipf_levels(levels: int, exponent: float = 1.1) -> tuple[np.ndarray, np.ndarray]:
    names = np.array([f"c{i:04d}" for i in range(levels)])
    weights = 1.0 / np.arange(1, levels + 1) ** exponent
    return names, weights / weights.sum()


def test_a_small_reference_of_a_long_tailed_column_passes_honest_batches_and_fails_collapse() -> None:
    # Zipf over 2,000 levels: 2,000 reference rows see most rare levels once or never (Good-Turing
    # coverage ~84%). Unconditional nulls made every honest batch fail here, and the check used to
    # answer insufficient-data; conditional on the combined counts it is exact at any coverage.
    levels, weights = _zipf_levels(2000)

    def draw(n: int, seed: int) -> pd.DataFrame:
        return pd.DataFrame({"cat": np.random.default_rng(seed).choice(levels, n, p=weights)})

    small = cg.profile(draw(2000, 1))
    for seed, n in ((2, 2000), (6, 20_000), (7, 300)):
        found = {f.metric: f for f in cg.check(draw(n, seed), small, select=["tail-shrinkage"]).findings}
        assert {m: f.status.value for m, f in found.items()} == dict.fromkeys(found, "pass"), (n, found)
        assert "reference_categories_present" in found and "rare_category_mass" in found
    # Collapse: a generator that only produces the 50 most frequent levels.
    head = draw(8000, 5)
    top = set(levels[:50])
    collapsed = head[head["cat"].isin(top)].head(2000)
    found = {f.metric: f for f in cg.check(collapsed, small, select=["tail-shrinkage"]).findings}
    present = found["reference_categories_present"]
    assert present.status.value == "fail"
    assert "reference categories are missing from a batch of 2,000 rows" in present.message
    assert found["rare_category_mass"].status.value == "fail"
    assert found["good_turing_missing_mass"].status.value == "fail"
    large = cg.profile(draw(40_000, 3))
    honest = cg.check(draw(2000, 4), large, select=["tail-shrinkage"])
    assert {f.status.value for f in honest.findings} == {"pass"}
    collapsed_large = cg.check(collapsed, large, select=["tail-shrinkage"])
    assert {f.metric: f.status.value for f in collapsed_large.findings}[
        "reference_categories_present"
    ] == "fail"


def _statuses_of_counts(ref: dict[str, int], bat: dict[str, int]) -> list[str]:
    """The categorical tail findings' statuses of one column, from counts (no profiling)."""
    return [f.status.value for f in _findings_of_counts(ref, bat).values()]


def _findings_of_counts(ref: dict[str, int], bat: dict[str, int]) -> dict[str, Finding]:
    """The categorical tail findings of one column by metric, from counts (no profiling)."""
    from collapse_guard.checks.tail_shrinkage import TailShrinkage, categorical
    from collapse_guard.config import Config
    from collapse_guard.context import CheckContext
    from collapse_guard.policy import decide
    from collapse_guard.profile import CategoricalProfile

    class _Counts:
        def __init__(self, counts: dict[str, int]) -> None:
            self.col = CategoricalProfile("cat", counts)

        def column(self, name: str) -> CategoricalProfile:
            return self.col

    check, config = TailShrinkage(), Config()
    ctx = CheckContext(reference=_Counts(ref), batch=_Counts(bat), config=config, check=check)  # type: ignore[arg-type]
    found = decide([(check.name, m) for m in categorical.measure(ctx, "cat")], {check.name: check}, config)
    return {f.metric: f for f in found}


def _counts(names: np.ndarray, counts: np.ndarray) -> dict[str, int]:
    return {str(c): int(k) for c, k in zip(names, counts, strict=True) if k}


def test_honest_categorical_batches_rarely_warn_and_almost_never_fail() -> None:
    # Two cells where the unconditional nulls cried wolf (Zipf: gated as insufficient-data;
    # uniform-ish: 79% of honest batches failed): 500 levels, 2,000 reference and batch rows.
    names = np.array([f"c{i:04d}" for i in range(500)])
    zipf = _zipf_levels(500)[1]
    flat = np.random.default_rng([7, 500]).uniform(0.5, 1.5, 500)
    flat /= flat.sum()
    worst = []
    for cell, p in enumerate((zipf, flat)):
        for rep in range(100):
            rng = np.random.default_rng([2024, cell, rep])
            ref, bat = rng.multinomial(2000, p), rng.multinomial(2000, p)
            statuses = _statuses_of_counts(_counts(names, ref), _counts(names, bat))
            worst.append("fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass")
    assert worst.count("fail") / len(worst) < 0.01
    assert (worst.count("fail") + worst.count("warn")) / len(worst) < 0.05


def test_dropping_rare_categories_and_inventing_new_ones_is_flagged(reference: cg.Profile) -> None:
    # The rare set now comes from the combined counts and can hold invented categories, which
    # would mask the loss in rare_category_mass; the vanished and the new categories both fail.
    batch = human_frame(5000, seed=13)
    cats = batch["category"].to_numpy().copy()
    rare = [f"c{i}" for i in range(31, 41)]
    gone = np.isin(cats, rare)
    cats[gone] = np.random.default_rng(13).choice([f"zz{i}" for i in range(10)], size=int(gone.sum()))
    batch["category"] = cats
    found = _check(batch, reference)
    assert found[("category", "reference_categories_present")].status.value == "fail"
    assert (
        "10 of 40 reference categories are missing"
        in found[("category", "reference_categories_present")].message
    )
    new = found[("category", "new_categories")]
    assert new.status.value == "fail" and "10 categories the reference never had" in new.message
    assert "'zz0'" in new.message


def test_a_vanished_large_category_is_seen_despite_invented_ones() -> None:
    """40 typo categories in the batch raise the count's null expectation (each could have been
    a reference category), but one category holding 20% of the reference vanishing is still a
    failure: the largest vanished category has its own bound."""
    ref = pd.DataFrame({"c": ["a"] * 500 + ["b"] * 300 + ["c"] * 200})
    batch = pd.DataFrame({"c": ["a"] * 200 + ["b"] * 100 + [f"typo{i}" for i in range(40)]})
    report = cg.check(batch, cg.profile(ref, columns={"c": "categorical"}), select=["tail-shrinkage"])
    present = next(f for f in report.findings if f.metric == "reference_categories_present")
    assert present.status.value == "fail", present.message
    assert present.measurement.evidence["p_largest_vanishes_by_chance"] < 1e-20
    assert 2.5 < present.measurement.expected <= 3.0  # about all 3 expected present


def test_rare_category_excess_tests_only_the_rows_its_effect_counts() -> None:
    """Invented categories fall in the rare set (it is chosen on the combined counts). The set's
    effect leaves their rows to new_categories, but its p-value counted them: 100 invented
    categories next to unchanged rare ones read "p = 1e-65" beside "0.93x". Effect, value and
    p-value now all describe the reference categories' rows; the invented ones are reported apart."""
    ref = {f"a{i:02d}": 490 for i in range(20)} | {f"r{i}": 20 for i in range(10)}
    invented = {f"new{i:03d}": 3 for i in range(100)}
    found = _findings_of_counts(
        ref, {f"a{i:02d}": 98 for i in range(20)} | {f"r{i}": 5 for i in range(10)} | invented
    )
    assert found["new_categories"].status.value == "fail"
    excess = found["rare_category_excess"]
    m = excess.measurement
    assert excess.status.value == "pass"
    assert m.evidence["batch_rows_in_rare_new_categories"] == 300
    k_ref = m.evidence["batch_rows_in_rare_reference_categories"]
    assert k_ref + 300 == m.evidence["batch_rows_in_rare"]
    assert m.effect == pytest.approx(0.93, abs=0.005) and m.value == k_ref / m.evidence["batch_rows"]
    assert m.value < m.expected and m.p_value == 1.0  # was 1.4e-65 with the invented rows counted
    assert "(0.93x; 12.99% of the batch in categories the reference never had, not counted)" in m.message
    # Rare reference categories that did grow, next to invented ones: the p-value is the set's upper
    # hypergeometric tail at the reference categories' rows alone (an upper bound for their law).
    grown = {f"a{i:02d}": 8 for i in range(20)} | {f"r{i}": 2 for i in range(10)}
    found = _findings_of_counts(ref, grown | {f"new{i}": 3 for i in range(10)})
    m = found["rare_category_excess"].measurement
    ev = m.evidence
    total = sum(ref.values()) + ev["batch_rows"]
    k_ref = ev["batch_rows_in_rare_reference_categories"]
    assert ev["batch_rows_in_rare_new_categories"] == 30
    p_set = stats.hypergeom.sf(k_ref - 1, total, ev["combined_rows"], ev["batch_rows"])
    assert ev["p_value_rare_set"] == pytest.approx(p_set, rel=1e-9)
    assert m.p_value == pytest.approx(2 * p_set, rel=1e-9)
    assert m.effect == pytest.approx(1.93, abs=0.005)
    assert found["rare_category_excess"].status.value == "warn"
