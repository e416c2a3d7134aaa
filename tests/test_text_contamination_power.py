"""Text contamination without a synthetic sample: the tail-deficit bound and the long-context score.

Human text here is a "phrase language" (documents are runs of fixed multi-word phrases, so a word
depends on more than the two before it); machine text is a trigram model fitted to other human
documents and sampled with nucleus (top-p) truncation, as in the contamination benchmark.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import collapse_guard as cg
from collapse_guard.checks.synthetic_contamination.text_scoring import (
    CONTEXT_BASE,
    CONTEXT_ORDER,
    _balanced_folds,
    _features,
)
from collapse_guard.profile.text import TokenSample
from collapse_guard.stats.mixture import tail_deficit_bound
from collapse_guard.stats.mpe import auc
from collapse_guard.stats.ngram_lm import train_kneser_ney
from collapse_guard.text import tokenize

NAME = "synthetic-contamination"
FAST = {"checks": {NAME: {"n_boot": 100, "max_rows": 3000}}}

_VOCAB = 60
_rng = np.random.default_rng(42)
_zipf = np.arange(1, _VOCAB + 1) ** -0.8
# a small vocabulary, so word pairs recur across phrases and two words of context are ambiguous
PHRASES = [_rng.choice(_VOCAB, _rng.integers(4, 8), p=_zipf / _zipf.sum()) for _ in range(150)]
PHRASE_P = np.arange(1, 151) ** -1.0 / np.sum(np.arange(1, 151) ** -1.0)


def _human(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    docs = []
    for _ in range(n):
        ids = np.concatenate([PHRASES[i] for i in rng.choice(150, rng.integers(3, 9), p=PHRASE_P)])
        docs.append(" ".join(f"w{i}" for i in ids))
    return docs


def _trigram_sampler(train: list[str], n: int, seed: int, top_p: float = 0.9) -> list[str]:
    """Machine text: a trigram model of other human documents, nucleus-sampled."""
    rng = np.random.default_rng(seed)
    table: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for doc in train:
        t = ["<s>", "<s>", *doc.split(), "</s>"]
        for i in range(2, len(t)):
            table[(t[i - 2], t[i - 1])][t[i]] += 1
    docs = []
    for _ in range(n):
        a, b, out = "<s>", "<s>", []
        while len(out) < 80:
            words, freq = zip(*table[(a, b)].most_common(), strict=True)
            p = np.array(freq, float) / sum(freq)
            keep = int(np.searchsorted(np.cumsum(p), top_p)) + 1
            word = words[rng.choice(keep, p=p[:keep] / p[:keep].sum())]
            if word == "</s>":
                break
            out.append(word)
            a, b = b, word
        docs.append(" ".join(out))
    return docs


def _sample(texts: list[str]) -> TokenSample:
    tok = tokenize(texts)
    return TokenSample(tok.tokens, tok.offsets, np.zeros(tok.n_docs, dtype=np.uint64))


# ---------------------------------------------------------------------------- the bound itself


def test_tail_deficit_bound_by_hand() -> None:
    # reference 0..999; batch: 700 documents below 500, 300 at or above. One region (share 0.5):
    # t = 500, p_r = 0.5, p_b = 0.3, kappa = 0.6. Smoothed shares 500.5/1001 and 300.5/1001;
    # Var(log kappa) = (1 - s_b)/(1000 s_b) + (1 - s_r)/(1000 s_r); z = 1.6449 (one test).
    ref = np.arange(1000.0)
    batch = np.r_[np.full(700, 10.0), np.full(300, 600.0)]
    res = tail_deficit_bound([ref], [batch], shares=(0.5,), level=0.95)
    s_r, s_b = 500.5 / 1001, 300.5 / 1001
    se = np.sqrt((1 - s_b) / (1000 * s_b) + (1 - s_r) / (1000 * s_r))
    z = stats.norm.isf(0.05)
    assert res.z == pytest.approx(z)
    assert res.estimate == pytest.approx(0.4)
    assert res.alpha == pytest.approx(1 - 0.6 * np.exp(z * se))  # 0.3403
    assert res.alpha == pytest.approx(0.3403, abs=1e-4)
    assert res.upper == pytest.approx(1 - 0.6 * np.exp(-z * se))
    assert (res.reference_share, res.batch_share) == (0.5, 0.3)
    # pooled two-proportion test: (0.5 - 0.3) / sqrt(0.4 * 0.6 * (2 / 1000)) = 9.13
    assert res.p_value == pytest.approx(stats.norm.sf(0.2 / np.sqrt(0.24 * 0.002)))


def test_tail_deficit_bound_variance_factor_widens_the_limit() -> None:
    # same numbers as above with the variance doubled: the standard error grows by sqrt(2)
    ref = np.arange(1000.0)
    batch = np.r_[np.full(700, 10.0), np.full(300, 600.0)]
    res = tail_deficit_bound([ref], [batch], shares=(0.5,), variance_factors=(2.0,))
    s_r, s_b = 500.5 / 1001, 300.5 / 1001
    se = np.sqrt(2 * ((1 - s_b) / (1000 * s_b) + (1 - s_r) / (1000 * s_r)))
    assert res.alpha == pytest.approx(1 - 0.6 * np.exp(stats.norm.isf(0.05) * se))
    assert res.p_value == pytest.approx(stats.norm.sf(0.2 / np.sqrt(2 * 0.24 * 0.002)))
    with pytest.raises(ValueError, match="variance factor"):
        tail_deficit_bound([ref], [batch], variance_factors=(0.5,))


def test_tail_deficit_bound_splits_the_level_over_every_test() -> None:
    rng = np.random.default_rng(0)
    ref, batch = rng.normal(size=(2, 500))
    res = tail_deficit_bound([ref, ref], [batch, batch], shares=(0.5, 0.6, 0.7, 0.8, 0.9))
    assert res.n_tests == 10
    assert res.z == pytest.approx(stats.norm.isf(0.005))
    assert res.alpha == 0.0  # same distribution: no deficit beyond chance
    # ties (tree classifiers give few distinct scores): the region takes every tied document
    tied = tail_deficit_bound([np.round(ref)], [np.round(batch)], shares=(0.5,))
    assert tied.reference_share == pytest.approx(np.mean(np.round(ref) >= 0.0))


@pytest.mark.parametrize("alpha", [0.0, 0.2])
def test_tail_deficit_bound_stays_below_the_truth(alpha: float) -> None:
    # machine scores are less reference-like; 300 batches: the 95% bound exceeds the truth rarely
    rng = np.random.default_rng(int(alpha * 10))
    values, p_values = [], []
    for _ in range(300):
        k = round(alpha * 1500)
        batch = np.r_[rng.normal(size=1500 - k), rng.normal(-2.5, 1.0, k)]
        res = tail_deficit_bound([rng.normal(size=3000)], [batch])
        values.append(res.alpha)
        p_values.append(res.p_value)
    values_a = np.array(values)
    assert np.mean(values_a > alpha) <= 0.06
    assert np.mean(values_a > alpha + 0.03) <= 0.01
    if alpha == 0:
        assert np.mean(np.array(p_values) <= 0.05) <= 0.07
    else:
        assert values_a.mean() > 0.12  # and informative
        assert np.all(np.array(p_values) < 1e-4)


def test_tail_deficit_bound_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="one reference and one batch"):
        tail_deficit_bound([np.zeros(3)], [])
    with pytest.raises(ValueError, match="shares"):
        tail_deficit_bound([np.zeros(3)], [np.zeros(3)], shares=(0.0, 0.5))


# ---------------------------------------------------------------------------- the scores


def test_batch_documents_are_dealt_to_folds_in_the_reference_proportions() -> None:
    folds = _balanced_folds(1001, np.random.default_rng(3))
    counts = np.bincount(folds)
    assert counts.max() - counts.min() <= 1


def test_long_context_gain_separates_trigram_sampled_text() -> None:
    # The reference's 5-gram model explains human phrase text better than its trigram model does;
    # the trigram sampler's text gains nothing. Mean trigram log-likelihood barely separates them.
    train = _sample(_human(1500, 1))
    lm = train_kneser_ney(train.tokens, train.offsets, order=CONTEXT_ORDER)
    human = _sample(_human(400, 2))
    machine = _sample(_trigram_sampler(_human(1500, 3), 400, 4))
    none = np.zeros(0, dtype=np.uint64)
    fh, gh = _features(lm.order_logprobs(human.tokens, human.offsets), 2, human, none, -10.0)
    fm, gm = _features(lm.order_logprobs(machine.tokens, machine.offsets), 2, machine, none, -10.0)
    assert CONTEXT_BASE == 3
    assert auc(gh, gm) > 0.8
    assert abs(auc(fh[:, 0], fm[:, 0]) - 0.5) < 0.25
    assert np.median(gh) > np.median(gm)


# ---------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def phrase_reference() -> cg.Profile:
    return cg.profile(pd.DataFrame({"text": _human(2000, 2)}))


def _check(reference: cg.Profile, alpha: float, seed: int) -> dict[str, object]:
    k = round(alpha * 600)
    machine = _trigram_sampler(_human(2000, 1002), k, 7) if k else []
    batch = pd.DataFrame({"text": _human(600 - k, seed) + machine})
    report = cg.check(batch, reference, select=[NAME], config=FAST)
    return {(f.column, f.metric): f for f in report.findings}  # type: ignore[misc]


def test_clean_phrase_text_passes_without_a_synthetic_sample(phrase_reference: cg.Profile) -> None:
    found = _check(phrase_reference, 0.0, 6)
    head = found[(None, "synthetic_share")]
    assert head.status.value == "pass"  # type: ignore[attr-defined]
    assert head.measurement.value < 0.03  # type: ignore[attr-defined]


def test_quarter_trigram_text_is_flagged_without_a_synthetic_sample(phrase_reference: cg.Profile) -> None:
    found = _check(phrase_reference, 0.25, 8)
    head = found[(None, "synthetic_share")]
    bound = found[("text", "unexplained_share")].measurement  # type: ignore[attr-defined]
    assert head.status.value in ("warn", "fail")  # type: ignore[attr-defined]
    assert head.measurement.evidence["kind"] == "lower bound"  # type: ignore[attr-defined]
    # a lower bound: informative, and not above the truth by more than the benchmark's tolerance
    assert 0.1 < bound.value <= 0.25 + 0.03
    assert bound.interval == (bound.value, 1.0)  # one-sided: the data cannot bound it from above
    assert bound.value <= bound.evidence["estimate_upper"]
    assert bound.evidence["score"] in bound.evidence["scores"]
    assert bound.evidence["context_gain_median_batch"] < bound.evidence["context_gain_median_reference"]
