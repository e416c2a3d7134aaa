"""Tabular synthetic-contamination: the bounds, the copula contrast, the fast paths, both directions.

The end-to-end cases use a small "customer" table with the structure real tables have (whole
years, incomes rounded to 100 with zeros, a plan set by income bands, spend in cents) and a Gaussian
copula synthesizer that behaves like SDV's default (categories as frequency intervals, rounding to
the observed precision, clipping to the observed range).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import collapse_guard as cg
from collapse_guard.stats import dcr, mpe

NAME = "synthetic-contamination"
FAST = {"checks": {NAME: {"n_boot": 100}}}


def _records(n: int, rng: np.random.Generator) -> pd.DataFrame:
    age = np.minimum(18 + np.floor(rng.gamma(2.0, 9.0, n)), 90)
    region = rng.choice(["north", "south", "east", "west"], n, p=[0.5, 0.25, 0.15, 0.1])
    a = (age - 18) / 10
    income = np.round(np.exp(9.9 + 0.5 * a - 0.07 * a**2 + rng.normal(0, 0.5, n)), -2)
    income[rng.random(n) < 0.06] = 0.0
    band = np.digitize(income, [25_000, 70_000])
    band = np.where(rng.random(n) < 0.1, rng.integers(0, 3, n), band)
    plan = np.array(["basic", "plus", "premium"], dtype=object)[band]
    spend = np.round((12 + 0.45 * np.sqrt(income) + 25 * (band == 2)) * rng.lognormal(0, 0.3, n), 2)
    return pd.DataFrame({"age": age, "region": region, "income": income, "plan": plan, "spend": spend})


def _sdv_like_copula(train: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Gaussian copula; categories as frequency intervals; interpolated margins, then rounded and
    clipped like SDV's defaults (so only the lost dependence is left to detect)."""
    cols = list(train.columns)
    m = len(train)
    z = np.empty((m, len(cols)))
    for j, c in enumerate(cols):
        if pd.api.types.is_numeric_dtype(train[c]):
            u = (stats.rankdata(train[c]) - 0.5) / m
        else:
            freq = train[c].value_counts(normalize=True)
            upper = np.cumsum(freq.to_numpy())
            pos = freq.index.get_indexer(train[c])
            u = upper[pos] - rng.random(m) * freq.to_numpy()[pos]
        z[:, j] = stats.norm.ppf(np.clip(u, 1e-6, 1 - 1e-6))
    u = stats.norm.cdf(rng.multivariate_normal(np.zeros(len(cols)), np.corrcoef(z.T), n, method="eigh"))
    out = {}
    for j, c in enumerate(cols):
        if pd.api.types.is_numeric_dtype(train[c]):
            x = np.sort(train[c].to_numpy(dtype=float))
            value = np.interp(u[:, j], (np.arange(m) + 0.5) / m, x)
            decimals = 2 if c == "spend" else (-2 if c == "income" else 0)
            out[c] = np.clip(np.round(value, decimals), x[0], x[-1])
        else:
            freq = train[c].value_counts(normalize=True)
            at = np.minimum(np.searchsorted(np.cumsum(freq.to_numpy()), u[:, j]), len(freq) - 1)
            out[c] = freq.index.to_numpy()[at]
    return pd.DataFrame(out)[cols]


def _rows(report: cg.Report) -> dict[str, object]:
    return {f.metric: f for f in report.findings if f.check == NAME and f.column is None}


def test_counts_form_of_bbe_and_auc_matches_the_direct_form() -> None:
    # The replicates use bbe_alpha and auc on counts per distinct score; with tied scores the two
    # forms must agree exactly (they pick the same threshold).
    rng = np.random.default_rng(4)
    for _ in range(30):
        n_r, n_b = rng.integers(20, 300, 2)
        ref = np.round(rng.normal(0.3, 1, n_r), 1)
        batch = np.r_[np.round(rng.normal(0, 1, n_b - n_b // 4), 1), np.full(n_b // 4, -2.0)]
        distinct, inverse = np.unique(np.r_[ref, batch], return_inverse=True)
        code = distinct.size - 1 - inverse
        cr = np.bincount(code[:n_r], minlength=distinct.size)[None, :]
        cb = np.bincount(code[n_r:], minlength=distinct.size)[None, :]
        alpha, share_r, share_b = mpe._bbe_counts(cr, cb)
        assert (alpha[0], share_r[0], share_b[0]) == pytest.approx(mpe.bbe_alpha(ref, batch))
        assert mpe._auc_counts(cr, cb)[0] == pytest.approx(mpe.auc(ref, batch))


def test_auc_bound_is_twice_the_auc_excess_and_the_share_takes_the_larger_bound() -> None:
    # Known anchor: batch = 80% reference-like + 20% synthetic rows that every reference row
    # outscores. AUC(R vs B) = 0.8 * 0.5 + 0.2 * 1 = 0.6, so 2 (AUC - 1/2) = 0.2 = the true share.
    rng = np.random.default_rng(0)
    ref = rng.uniform(1, 2, 3000)
    batch = np.r_[rng.uniform(1, 2, 2400), rng.uniform(0, 0.5, 600)]
    scores = mpe.CrossFitScores(ref, batch, rng.integers(0, 3, 3000), rng.integers(0, 3, 3000))
    res = mpe.estimate_mpe(scores, rng, n_boot=100, n_null=50, use_auc_bound=True)
    assert res.auc == pytest.approx(0.6, abs=0.01)
    assert res.auc_bound == pytest.approx(0.2, abs=0.02)
    assert res.alpha == max(res.auc_bound, res.bbe_share)
    # by default (the text check) the share is BBE's alone
    assert mpe.estimate_mpe(scores, rng, n_boot=50, n_null=50).alpha == pytest.approx(res.bbe_share, abs=0.01)
    assert res.interval[0] <= res.alpha <= res.interval[1]
    assert res.interval[0] > 0.15


def test_copula_sample_keeps_exact_margins_and_contrast_sees_lost_structure() -> None:
    rng = np.random.default_rng(1)
    x = np.column_stack([rng.integers(0, 5, 4000), np.round(rng.lognormal(size=4000), 2)]).astype(float)
    x[::50, 1] = np.nan
    draw = mpe.gaussian_copula_sample(x, 4000, rng, np.array([True, False]))
    # every drawn value is a value of the column (rounding, point masses and NaN kept)
    assert np.isin(draw[:, 0], x[:, 0]).all()
    finite = draw[np.isfinite(draw[:, 1]), 1]
    assert np.isin(finite, x[:, 1]).all()
    assert abs(np.isnan(draw[:, 1]).mean() - 0.02) < 0.01
    # Step-function dependence (a category set by a threshold) is what a Gaussian copula loses:
    # the contrast score tells real rows from the copula's, but not real rows from real rows.
    income = rng.lognormal(10, 0.6, 9000)
    real = np.column_stack([income, np.digitize(income, [15_000, 40_000])]).astype(float)
    cat = np.array([False, True])
    fake = mpe.gaussian_copula_sample(real[6000:], 3000, rng, cat)
    s_real, s_fake = mpe.copula_contrast_scores(real[:3000], [real[3000:6000], fake], seed=0, categorical=cat)
    assert mpe.auc(s_real, s_fake) > 0.6
    s_a, s_b = mpe.copula_contrast_scores(
        real[:3000], [real[3000:4500], real[4500:6000]], seed=0, categorical=cat
    )
    assert abs(mpe.auc(s_a, s_b) - 0.5) < 0.04


def test_smoothed_copula_sample_rounds_clips_and_piles_up_at_the_range_ends() -> None:
    # What a synthesizer with smooth margins does: kernel noise, then rounding to the observed
    # precision and clipping to the observed range, which piles mass up at the ends.
    rng = np.random.default_rng(6)
    age = np.minimum(18 + np.floor(rng.gamma(2.0, 9.0, 5000)), 90)
    cents = np.round(rng.lognormal(4, 0.5, 5000), 2)
    x = np.column_stack([age, cents])
    draw = mpe.gaussian_copula_sample(x, 5000, rng, smooth=True)
    assert draw[:, 0].min() == 18 and draw[:, 0].max() <= 90
    np.testing.assert_array_equal(draw[:, 0], np.round(draw[:, 0]))  # whole years stay whole
    np.testing.assert_allclose(draw[:, 1], np.round(draw[:, 1], 2))  # cents stay cents
    assert np.mean(draw[:, 0] == 18) > 2 * np.mean(age == 18)  # the clipped mass at the minimum
    assert mpe._decimals(np.array([100.0, 2500.0, 0.0])) == -2
    assert mpe._decimals(np.array([1.25, 3.5])) == 2


def test_cross_fit_tolerates_all_missing_and_constant_columns() -> None:
    # scikit-learn 1.9's binning crashes on an all-NaN column; such columns carry nothing anyway.
    rng = np.random.default_rng(2)
    ref = np.column_stack([rng.normal(size=300), np.full(300, np.nan), np.ones(300)])
    batch = np.column_stack([rng.normal(1, 1, 300), np.full(300, np.nan), np.ones(300)])
    scores = mpe.cross_fit_scores(ref, batch, seed=0, n_folds=3)
    assert mpe.auc(scores.ref, scores.batch) > 0.65
    flat = mpe.cross_fit_scores(ref[:, 1:], batch[:, 1:], seed=0, n_folds=3)
    assert np.all(flat.ref == 0.5)


def _gower_by_hand(
    rn: np.ndarray, rc: np.ndarray, qn: np.ndarray, qc: np.ndarray, ranges: np.ndarray
) -> np.ndarray:
    d = np.abs(qn[:, None, :] - rn[None, :, :]) / ranges
    q_nan, r_nan = np.isnan(qn)[:, None, :], np.isnan(rn)[None, :, :]
    d = np.where(q_nan & r_nan, 0.0, np.where(q_nan | r_nan, 1.0, np.minimum(d, 1.0)))
    total = d.sum(axis=2) + (qc[:, None, :] != rc[None, :, :]).sum(axis=2)
    return np.asarray(total.min(axis=1) / (rn.shape[1] + rc.shape[1]))


def test_fast_gower_matches_the_definition_with_outliers_and_missing_values() -> None:
    rng = np.random.default_rng(3)
    rn = rng.normal(size=(400, 3))
    rc = rng.integers(0, 3, (400, 2))
    qn = rng.normal(size=(150, 3)) * 2.5  # many values beyond the reference's range: capped
    qc = rng.integers(0, 3, (150, 2))
    ranges = rn.max(axis=0) - rn.min(axis=0)
    got, _ = dcr.gower_closest(rn, rc, qn, qc, ranges, chunk=64)
    np.testing.assert_allclose(got, _gower_by_hand(rn, rc, qn, qc, ranges), atol=1e-12)
    rn[rng.random(rn.shape) < 0.05] = np.nan
    qn[rng.random(qn.shape) < 0.05] = np.nan
    got, _ = dcr.gower_closest(rn, rc, qn, qc, ranges, chunk=64)
    np.testing.assert_allclose(got, _gower_by_hand(rn, rc, qn, qc, ranges), atol=1e-12)


@pytest.fixture(scope="module")
def records_reference() -> cg.Profile:
    return cg.profile(_records(6000, np.random.default_rng(10)))


def test_realistic_table_clean_batch_passes(records_reference: cg.Profile) -> None:
    report = cg.check(
        _records(2500, np.random.default_rng(11)), records_reference, select=[NAME], config=FAST
    )
    rows = _rows(report)
    assert rows["unexplained_share"].status.value == "pass"
    assert rows["synthetic_share"].status.value == "pass"
    assert rows["unexplained_share"].measurement.value < 0.03


def test_realistic_table_copula_rows_are_flagged(records_reference: cg.Profile) -> None:
    rng = np.random.default_rng(12)
    fake = _sdv_like_copula(_records(3000, rng), 625, rng)
    batch = pd.concat([_records(1875, rng), fake], ignore_index=True)  # 25% synthetic
    report = cg.check(batch, records_reference, select=[NAME], config=FAST)
    rows = _rows(report)
    unexplained = rows["unexplained_share"].measurement
    assert rows["unexplained_share"].status.value in ("warn", "fail")
    assert rows["synthetic_share"].status.value in ("warn", "fail")
    # a lower bound: above the warn threshold, not above the truth (with a little noise)
    assert 0.03 <= unexplained.value <= 0.25 + 0.03
    # the interval is honest about the upper end: the data cannot bound the share from above
    assert unexplained.interval[0] <= 0.25 and unexplained.interval[1] == 1.0
    assert unexplained.evidence["copula_contrast_auc"] > 0.55
    assert "copula" in rows["unexplained_share"].message


def test_more_missing_values_are_not_read_as_generated_rows(records_reference: cg.Profile) -> None:
    """An honest batch where an export blanked 20% of `income` and 10% of `plan`: a data-quality
    change the message names, not machine-generated rows; copula rows with the same blanks are
    still caught."""
    rng = np.random.default_rng(13)

    def blank(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame.loc[rng.random(len(frame)) < 0.2, "income"] = np.nan
        frame.loc[rng.random(len(frame)) < 0.1, "plan"] = None
        return frame

    rows = _rows(cg.check(blank(_records(2500, rng)), records_reference, select=[NAME], config=FAST))
    assert rows["unexplained_share"].status.value == "pass"
    assert rows["synthetic_share"].status.value == "pass"
    shares = rows["unexplained_share"].measurement.evidence["missing_shares"]
    assert shares["income"]["reference"] == 0.0 and 0.17 < shares["income"]["batch"] < 0.23
    assert "missing values differ ('income' " in rows["unexplained_share"].message
    fake = _sdv_like_copula(_records(3000, rng), 625, rng)
    mixed = blank(pd.concat([_records(1875, rng), fake], ignore_index=True))
    rows = _rows(cg.check(mixed, records_reference, select=[NAME], config=FAST))
    assert rows["unexplained_share"].status.value in ("warn", "fail")
    joined = _records(2500, rng)
    joined.loc[rng.random(len(joined)) < 0.2, ["income", "plan", "spend"]] = None  # a failed join
    rows = _rows(cg.check(joined, records_reference, select=[NAME], config=FAST))
    assert rows["unexplained_share"].status.value == "pass", rows["unexplained_share"].message


def test_equalise_missingness_gives_both_sides_the_same_missing_patterns() -> None:
    from collapse_guard.checks.synthetic_contamination.tabular import equalise_missingness

    ref = pd.DataFrame({"x": np.arange(1000.0), "c": ["a"] * 1000, "full": np.ones(1000)})
    batch = pd.DataFrame({"x": np.arange(1000.0), "c": ["a"] * 1000, "full": np.ones(1000)})
    batch.loc[:299, ["x", "c"]] = None  # an upstream join blanked two columns together
    r2, b2, shares = equalise_missingness(ref, batch, np.random.default_rng(0))
    assert shares == {"x": (0.0, 0.3), "c": (0.0, 0.3)}  # "full" has no missing value: left out
    assert 0.25 < r2["x"].isna().mean() < 0.35 and r2["full"].notna().all()
    assert (r2["x"].isna() == r2["c"].isna()).all()  # whole patterns move, not single cells
    assert b2 is batch and ref["x"].notna().all()  # nothing to add to the batch; inputs untouched
    assert (r2["x"].dropna() == ref["x"][r2["x"].notna()]).all()  # values are blanked, never changed
    assert r2.equals(equalise_missingness(ref, batch, np.random.default_rng(0))[0])
    same = equalise_missingness(ref, ref, np.random.default_rng(0))
    assert same[0] is ref and same[1] is ref and same[2] == {}
    ints = pd.DataFrame({"n": pd.array([1, 2, 3, 4], dtype="Int64"), "b": [True, False, True, True]})
    gaps = pd.DataFrame({"n": pd.array([1, None, 3, None], dtype="Int64"), "b": [True, None, False, None]})
    r3, _, _ = equalise_missingness(ints, gaps, np.random.default_rng(1))
    assert str(r3["n"].dtype) == "Int64" and r3["n"].isna().any()  # nullable dtypes keep working


def test_many_level_category_encoding_does_not_separate_a_clean_batch() -> None:
    # The reference's sample is the whole reference here, so category frequencies counted over
    # it would include the very rows the classifier compares with the batch: their categories
    # are never unseen and are over-represented where the sample over-represents them. The
    # frequencies must come from other reference rows.
    rng = np.random.default_rng(7)
    labels = np.array([f"k{i:04d}" for i in range(1500)], dtype=object)
    p = 1.0 / np.arange(1, 1501)
    p /= p.sum()

    def table(n: int) -> pd.DataFrame:
        return pd.DataFrame({"x": rng.normal(size=n), "key": labels[rng.choice(1500, n, p=p)]})

    ref = cg.profile(table(4000))
    report = cg.check(table(3000), ref, select=[NAME], config=FAST)
    rows = _rows(report)
    evidence = rows["unexplained_share"].measurement.evidence
    assert abs(evidence["auc"] - 0.5) < 0.02, evidence["auc"]
    assert rows["unexplained_share"].status.value == "pass"


def test_row_message_claims_only_what_the_tests_show() -> None:
    """A shifted batch of independent columns: the share reads as an estimate with its 95% lower
    bound, as rows unlike the reference (not as machine generation); the copula contrast is not
    named without its own significance, the "clearly human region" only when the batch holds
    materially less of it, and a 22% vs 20% missing share in 300 rows is not quoted."""
    rng = np.random.default_rng(21)

    def table(n: int, shift: float) -> pd.DataFrame:
        x = rng.normal(shift, 1, n)
        x[rng.random(n) < 0.2] = np.nan
        return pd.DataFrame({"x": x, "y": rng.normal(size=n), "z": rng.choice(list("abcd"), n)})

    ref = cg.profile(table(6000, 0.0))
    batch = table(300, 0.6)
    batch.loc[rng.random(300) < 0.03, "x"] = np.nan
    rows = _rows(cg.check(batch, ref, select=[NAME], config=FAST))
    m = rows["unexplained_share"].measurement
    msg = rows["unexplained_share"].message
    assert m.value > 0 and m.interval[1] == 1.0
    assert f"an estimated {m.value:.0%}" in msg.replace(".0%", "%") or "an estimated" in msg
    assert (
        "95% lower bound" in msg and "or a shift in the data" in msg and "at least" not in msg.split(":")[0]
    )
    assert "break dependence" not in msg, msg
    assert "holds only 100%" not in msg
    assert "missing values differ" not in msg and m.evidence["missing_shares_differ"] == []


def test_tail_hint_compares_with_the_references_own_share_beyond_p1_p99() -> None:
    """Ratings 1-5: p1 is the minimum, so no row can lie below it; the hint must not expect 2%."""
    from collapse_guard.checks.synthetic_contamination.tabular import _region_hints
    from collapse_guard.kinds import Kind

    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"amount": rng.lognormal(size=4_000), "stars": rng.integers(1, 6, 4_000)})
    honest = pd.DataFrame({"amount": rng.lognormal(size=1_000), "stars": rng.integers(1, 6, 1_000)})
    kinds = {"amount": Kind.NUMERIC, "stars": Kind.NUMERIC}
    assert not [h for h in _region_hints(ref, honest, kinds) if "p1/p99" in h]
    clipped = honest.assign(amount=honest["amount"].clip(*np.quantile(ref["amount"], [0.02, 0.98])))
    (hint,) = [h for h in _region_hints(ref, clipped, kinds) if "p1/p99" in h]
    assert hint.startswith("`amount` has 0.0% of rows beyond") and "where the reference has 2.0%" in hint


def test_row_message_names_the_broken_dependence_and_the_human_region_when_they_show() -> None:
    """The other side of the test above: half the batch's rows lose the reference's non-monotone
    dependence (y = x^2 + noise, y shuffled), which a Gaussian copula cannot hold either, so the
    copula contrast is significant and named, and the batch holds materially less of the human
    region (the parabola), which is quoted with both shares."""
    rng = np.random.default_rng(5)

    def human(n: int) -> pd.DataFrame:
        x = rng.normal(size=n)
        return pd.DataFrame({"x": x, "y": x**2 + rng.normal(0, 0.3, n)})

    ref = cg.profile(human(6000))
    batch = human(2000)
    batch.loc[:999, "y"] = rng.permutation(batch["y"].to_numpy())[:1000]
    finding = _rows(cg.check(batch, ref, select=[NAME], config=FAST))["unexplained_share"]
    evidence = finding.measurement.evidence
    assert finding.status.value == "fail"
    assert evidence["copula_contrast_auc_p_value"] < 1e-10
    assert "rows break dependence between columns" in finding.message
    assert f"copula contrast AUC {evidence['copula_contrast_auc']:.3f}" in finding.message
    region = re.search(
        r"(\d+)% of reference rows fall in a clearly human region that holds only (\d+)%", finding.message
    )
    assert region is not None, finding.message
    assert int(region[2]) <= int(region[1]) - 5
