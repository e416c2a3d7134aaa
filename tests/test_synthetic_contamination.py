"""synthetic-contamination end to end: both directions with fixed seeds, bad input, scan mode."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import collapse_guard as cg
from collapse_guard.checks.synthetic_contamination import (
    SyntheticContamination,
    load_markers,
    surface_counts,
)
from collapse_guard.config import Config
from collapse_guard.kinds import Kind
from collapse_guard.profile import ProfileSettings, build_profile
from collapse_guard.runner import run_checks

NAME = "synthetic-contamination"
FAST = {"checks": {NAME: {"n_boot": 100, "max_rows": 3000}}}
VOCAB = np.array([f"w{i}" for i in range(800)])


def _markov(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    trans = np.zeros((VOCAB.size, VOCAB.size))
    for i in range(VOCAB.size):
        nxt = rng.choice(VOCAB.size, 25, replace=False, p=_zipf(VOCAB.size))
        trans[i, nxt] = rng.dirichlet(np.full(25, 0.3))
    return trans


def _zipf(k: int) -> np.ndarray:
    p = np.arange(1, k + 1) ** -1.1
    return p / p.sum()


TRANS = _markov()


def _human(n: int, seed: int) -> list[str]:
    """First-order Markov text: each word has 25 possible successors."""
    return _sample(TRANS, n, seed)


def _sample(trans: np.ndarray, n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(15, 50, n)
    state = rng.choice(VOCAB.size, n, p=_zipf(VOCAB.size))
    out = np.empty((n, lengths.max()), dtype=np.int64)
    cum = np.cumsum(trans, axis=1)
    for t in range(lengths.max()):
        out[:, t] = state
        u = rng.random(n) * cum[state, -1]
        state = np.minimum((cum[state] < u[:, None]).sum(axis=1), VOCAB.size - 1)
    return [" ".join(VOCAB[out[i, : lengths[i]]]) for i in range(n)]


def _bigram_generator() -> np.ndarray:
    """A bigram model fitted to other human text, sharpened to temperature 0.5."""
    idx = {w: i for i, w in enumerate(VOCAB)}
    counts = np.zeros((VOCAB.size, VOCAB.size))
    for d in _human(1500, 1000):
        ids = [idx[w] for w in d.split()]
        np.add.at(counts, (ids[:-1], ids[1:]), 1.0)
    sharpened = counts**2
    sharpened[sharpened.sum(axis=1) == 0] = 1.0
    return sharpened / sharpened.sum(axis=1, keepdims=True)


GENERATOR = _bigram_generator()


def _machine(n: int, seed: int) -> list[str]:
    """Machine text: the same fitted generator for the batch and the synthetic sample."""
    return _sample(GENERATOR, n, seed)


@pytest.fixture(scope="module")
def text_reference() -> cg.Profile:
    return cg.profile(pd.DataFrame({"text": _human(1500, 1)}))


def _mixed(n: int, alpha: float, seed: int) -> pd.DataFrame:
    k = round(alpha * n)
    docs = _human(n - k, seed) + _machine(k, seed + 7) if k else _human(n, seed)
    return pd.DataFrame({"text": docs})


def _registry(check: SyntheticContamination) -> dict[str, Any]:
    return {NAME: check}


def _findings(report: Any) -> dict[tuple[str | None, str], Any]:
    return {(f.column, f.metric): f for f in report.findings if f.check == NAME}


def _headline(report: Any) -> Any:
    return _findings(report)[(None, "synthetic_share")]


def test_text_with_synthetic_reference_both_directions(text_reference: cg.Profile) -> None:
    synthetic = pd.DataFrame({"text": _machine(500, 99)})
    dirty = cg.check(
        _mixed(600, 0.3, 5),
        text_reference,
        select=[NAME],
        config=FAST,
        synthetic_reference=synthetic,
    )
    head = _headline(dirty)
    lo, hi = head.measurement.interval
    assert lo <= 0.3 <= hi
    assert abs(head.measurement.value - 0.3) < 0.08
    assert head.status.value == "fail"
    assert "mixture MLE" in head.measurement.evidence["method"]
    # Against a known machine sample the estimate is a share of machine text, with its interval.
    assert head.message.startswith("an estimated ") and "(95% interval " in head.message
    assert "of the batch is machine-generated (" in head.message
    clean = cg.check(
        _mixed(600, 0.0, 6),
        text_reference,
        select=[NAME],
        config=FAST,
        synthetic_reference=synthetic,
    )
    assert _headline(clean).measurement.value <= 0.03
    assert clean.status == "pass"


def test_text_without_synthetic_reference_both_directions(text_reference: cg.Profile) -> None:
    dirty = cg.check(_mixed(600, 0.3, 8), text_reference, select=[NAME], config=FAST)
    head = _headline(dirty)
    assert head.status.value in ("warn", "fail")
    assert head.measurement.evidence["kind"] == "lower bound"
    # Without one it is rows unlike the reference: machine text explains them, and so does a shift.
    assert "of the batch is unlike the reference: machine-generated, or a data shift (" in head.message
    assert "100%]" not in head.message and "is machine-generated (" not in head.message
    # a lower bound: not far above the truth
    assert head.measurement.value <= 0.3 + 0.05
    found = _findings(dirty)
    assert found[("text", "loglik_typicality_shift")].measurement.value > 0
    assert "plot" in found[("text", "loglik_typicality_shift")].measurement.evidence
    clean = cg.check(_mixed(600, 0.0, 9), text_reference, select=[NAME], config=FAST)
    assert clean.status == "pass", [f.message for f in clean.findings if f.status.value != "pass"]


def _repetitive_reviews(n: int, seed: int) -> list[str]:
    """Short reviews, half of them stock phrases that recur many times (as real reviews do)."""
    rng = np.random.default_rng(seed)
    words = VOCAB[:40]
    stock_rng = np.random.default_rng(0)  # the same stock phrases for every sample
    stock = [" ".join(stock_rng.choice(words, stock_rng.integers(3, 7))) for _ in range(300)]
    weights = 1.0 / np.arange(1, 301) ** 0.9
    picks = rng.choice(300, n, p=weights / weights.sum())
    fresh = [" ".join(rng.choice(words, rng.integers(3, 9))) for _ in range(n)]
    return [stock[i] if rng.random() < 0.5 else fresh[j] for j, i in enumerate(picks)]


def test_honest_batches_of_repetitive_short_reviews_pass() -> None:
    # Exact repeats between reference and batch are the rule here. Sending each batch copy to
    # the fold of one reference twin (tried, to stop the reference's own documents reading as
    # machine-generated) made these read as 25% machine-generated in every honest batch.
    reference = cg.profile(pd.DataFrame({"text": _repetitive_reviews(6000, 1)}))
    for seed in (2, 3):
        report = cg.check(pd.DataFrame({"text": _repetitive_reviews(1500, seed)}), reference, select=[NAME])
        head = _headline(report)
        assert head.status.value == "pass", head.message
        assert head.measurement.value < 0.05
        copies = _findings(report)[("text", "reference_copies")]
        assert copies.status.value == "pass" and copies.measurement.value > 0.2, copies.message


def test_the_reference_data_checked_against_itself_is_not_called_machine_generated() -> None:
    """Every batch document repeats a reference document: the likelihood comparison has nothing
    left to compare (insufficient-data saying why), not "most of it is machine-generated"."""
    docs = _human(800, 51)
    reference = cg.profile(pd.DataFrame({"text": docs}))
    report = cg.check(pd.DataFrame({"text": docs[:500]}), reference, select=[NAME], config=FAST)
    text = _findings(report)[("text", "unexplained_share")]
    assert text.status.value == "insufficient-data"
    assert (
        "500 of the batch's 500 'text' documents with words repeat reference documents word for word"
        in text.message
    )
    assert _headline(report).status.value != "fail"
    copies = _findings(report)[("text", "reference_copies")]
    assert copies.status.value == "fail" and copies.measurement.value == 1.0
    assert "a generator may be reproducing its training text" in copies.message


@pytest.mark.parametrize("empty", ["", None])
def test_the_copy_share_ignores_empty_documents(empty: str | None) -> None:
    """Copies are searched among the documents with words, so the "is this the reference's own
    data?" gate divides by those too: 200 copies and 300 empty documents are all copies (it once
    divided by all 500, saw 40%, and called the reference's own data 47% machine-generated)."""
    docs = _human(800, 51)
    reference = cg.profile(pd.DataFrame({"text": docs}))
    batch = pd.DataFrame({"text": docs[:200] + [empty] * 300})
    report = cg.check(batch, reference, select=[NAME], config=FAST)
    text = _findings(report)[("text", "unexplained_share")]
    assert text.status.value == "insufficient-data", text.message
    assert "200 of the batch's 200 'text' documents with words repeat reference documents" in text.message
    assert _headline(report).status.value == "pass"


def test_the_copy_note_counts_documents_with_words(text_reference: cg.Profile) -> None:
    """The 5% note uses the same population: 12 copies among 200 documents with words (6%) is
    noted even when 300 empty documents would make it 2.4% of all of them."""
    docs = _human(1500, 1)  # text_reference's own documents
    batch = pd.DataFrame({"text": docs[:12] + _human(188, 61) + [""] * 300})
    report = cg.check(batch, text_reference, select=[NAME], config=FAST)
    copies = _findings(report)[("text", "reference_copies")]
    assert copies.measurement.evidence["batch_documents"] == 200
    assert copies.measurement.evidence["copies"] >= 12
    notes = _headline(report).measurement.evidence["not_measured"]
    assert any("of the batch's 200 'text' documents with words repeat reference" in n for n in notes), notes


def test_marker_vocabulary_and_assistant_phrases(text_reference: cg.Profile) -> None:
    docs = _human(500, 11)
    rng = np.random.default_rng(0)
    for i in rng.choice(500, 100, replace=False):
        docs[i] = "we delve into the intricate realm of " + docs[i]
    for i in range(5):
        docs[i] += ". As an AI language model, I hope this helps"
    report = cg.check(pd.DataFrame({"text": docs}), text_reference, select=[NAME], config=FAST)
    found = _findings(report)
    markers = found[("text", "excess_marker_docs")]
    assert markers.measurement.value == pytest.approx(0.2, abs=0.03)
    assert markers.status.value == "fail"
    assert "'delve'" in markers.message or "'intricate'" in markers.message
    phrases = found[("text", "assistant_phrase_docs")]
    assert phrases.measurement.evidence["documents_with_phrase"] == 5
    assert phrases.status.value in ("warn", "fail")


def test_reference_free_scan_mode_uses_wordfreq_baseline() -> None:
    docs = [f"a plain sentence about the weather number {i} and nothing else at all" for i in range(400)]
    for i in range(0, 400, 4):
        docs[i] = "this pivotal study delves into the multifaceted realm " + docs[i]
    batch = build_profile([pd.DataFrame({"text": docs})], settings=ProfileSettings.batch())
    check = SyntheticContamination()
    report = run_checks(None, batch, _registry(check), Config(checks={NAME: {"n_boot": 100}}))
    found = _findings(report)
    assert found[("text", "excess_marker_docs")].measurement.value > 0.2
    assert "wordfreq" in found[("text", "excess_marker_docs")].message
    head = _headline(report)
    assert head.measurement.value > 0.2 and head.status.value == "fail"


def test_synthetic_reference_in_another_language_gives_a_warning_not_a_number(
    text_reference: cg.Profile,
) -> None:
    german = pd.DataFrame(
        {
            "text": [
                f"der schnelle braune fuchs springt über den faulen hund nummer {i} und läuft weiter"
                for i in range(200)
            ]
        }
    )
    report = cg.check(
        _mixed(400, 0.0, 12), text_reference, select=[NAME], config=FAST, synthetic_reference=german
    )
    mix = _findings(report)[("text", "mixture_share")]
    assert mix.status.value == "insufficient-data"
    assert "another language" in mix.measurement.insufficient
    assert mix.measurement.value is None
    assert _headline(report).measurement.evidence["kind"] == "lower bound"


def test_empty_synthetic_sample_is_insufficient(text_reference: cg.Profile) -> None:
    empty = build_profile(
        [pd.DataFrame({"text": ["!!! ???"] * 40})], kinds={"text": Kind.TEXT}, synthetic=True
    )
    report = cg.check(
        _mixed(300, 0.0, 13), text_reference, select=[NAME], config=FAST, synthetic_reference=empty
    )
    mix = _findings(report)[("text", "mixture_share")]
    assert mix.status.value == "insufficient-data"
    assert "0 non-empty documents" in mix.measurement.insufficient


def _copula(human: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Gaussian copula with parametric margins (normal, or lognormal for skewed positive columns),
    as synthetic-data libraries fit by default: correlations kept, whole numbers lost."""
    from scipy import stats

    x = human.to_numpy(dtype=float)
    z = stats.norm.ppf((stats.rankdata(x, axis=0) - 0.5) / len(x))
    u = stats.norm.cdf(rng.multivariate_normal(np.zeros(x.shape[1]), np.corrcoef(z.T), n))
    cols = {}
    for j, c in enumerate(human.columns):
        v = x[:, j]
        if v.min() > 0 and stats.skew(v) > 1:
            cols[c] = np.exp(stats.norm.ppf(u[:, j], np.log(v).mean(), np.log(v).std()))
        else:
            cols[c] = stats.norm.ppf(u[:, j], v.mean(), v.std())
    return pd.DataFrame(cols)


def _table(n: int, rng: np.random.Generator) -> pd.DataFrame:
    age = rng.integers(18, 90, n)
    return pd.DataFrame(
        {
            "age": age.astype(float),
            "income": rng.lognormal(10 + 0.01 * age, 0.7),
            "visits": rng.poisson(3, n).astype(float),
        }
    )


def test_tabular_copula_rows_detected_and_clean_passes() -> None:
    rng = np.random.default_rng(21)
    ref = cg.profile(_table(3000, rng))
    fake = _copula(_table(2000, rng), 600, rng)
    dirty = pd.concat([_table(1400, rng), fake], ignore_index=True)
    report = cg.check(dirty, ref, select=[NAME], config=FAST)
    rows = _findings(report)[(None, "unexplained_share")]
    assert rows.status.value == "fail"
    assert 0.1 < rows.measurement.value <= 0.3 + 0.05
    assert any("whole numbers" in h for h in rows.measurement.evidence["hints"])
    clean = cg.check(_table(2000, rng), ref, select=[NAME], config=FAST)
    assert clean.status == "pass"


def test_copies_of_reference_rows_and_single_column_table() -> None:
    rng = np.random.default_rng(5)
    human = pd.DataFrame({"x": rng.normal(size=3000)})
    ref = cg.profile(human)
    leaked = pd.concat([pd.DataFrame({"x": rng.normal(size=800)}), human.iloc[:200]], ignore_index=True)
    report = cg.check(leaked, ref, select=[NAME], config=FAST)
    copies = _findings(report)[(None, "reference_copies")]
    assert copies.measurement.evidence["exact_share"] > 0.1
    assert copies.status.value == "fail"
    assert "exact copies" in copies.message
    assert _headline(report).measurement.value is not None


def test_provenance_column_declares_machine_rows() -> None:
    rng = np.random.default_rng(3)
    ref = cg.profile(pd.DataFrame({"x": rng.normal(size=500), "language_creators": ["found"] * 500}))
    batch = pd.DataFrame(
        {
            "x": rng.normal(size=400),
            "language_creators": ["machine-generated"] * 100 + ["found"] * 300,
        }
    )
    report = cg.check(batch, ref, select=[NAME], config=FAST)
    prov = _findings(report)[("language_creators", "declared_synthetic_share")]
    assert prov.measurement.value == pytest.approx(0.25)
    assert "machine-generated" in prov.message
    assert _headline(report).measurement.value >= 0.25


def test_a_provenance_column_the_reference_lacks_is_still_read() -> None:
    # A `model` column added to the data after the reference was built: the rows that name a
    # generator must not be skipped with the column ("not in the reference") and the batch pass.
    rng = np.random.default_rng(4)
    ref = cg.profile(pd.DataFrame({"x": rng.normal(size=500)}))
    batch = pd.DataFrame(
        {
            "x": rng.normal(size=400),
            "model": ["gpt-4o"] * 134 + [None] * 266,
            "comment": [f"note {i}" for i in range(400)],
        }
    )
    report = cg.check(batch, ref, select=[NAME], config=FAST)
    prov = _findings(report)[("model", "declared_synthetic_share")]
    assert prov.measurement.value == pytest.approx(134 / 400) and prov.status.value == "fail"
    head = _headline(report)
    assert head.status.value == "fail"
    assert head.message == (
        "34% of the batch's rows declare machine generation (declared provenance, column 'model')"
    )
    assert report.status == "fail"
    # Only the provenance column is read: other new columns are skipped as before.
    assert any("'comment'" in n and "not in the reference" in n for n in report.notes)
    # Not read when synthetic-contamination does not run.
    others = cg.check(batch, ref, select=["tail-shrinkage"])
    assert any("'model'" in n and "not in the reference" in n for n in others.notes)


def test_an_unreferenced_provenance_column_never_stops_a_check() -> None:
    rng = np.random.default_rng(5)
    ref = cg.profile(pd.DataFrame({"x": rng.normal(size=500)}))
    base = pd.DataFrame({"x": rng.normal(size=400)})
    keep = build_profile([base], settings=ProfileSettings.batch(), reference=ref)
    ids = base.assign(source=[f"doc-{i}" for i in range(400)])  # ids, not provenance labels
    prof = build_profile(
        [ids[:200], ids[200:]],
        settings=ProfileSettings.batch(max_categories=100),
        reference=ref,
        keep_unreferenced=lambda name: name == "source",
    )
    assert "source" not in prof.columns and "distinct values" in prof.skipped["source"]
    # Dropping one such column mid-chunk must not skip the next one (a list changed while looped).
    two = ids.assign(generator="gpt-4o")
    both = build_profile(
        [two[:200], two[200:]],
        settings=ProfileSettings.batch(max_categories=100),
        reference=ref,
        keep_unreferenced=lambda name: name in ("source", "generator"),
    )
    assert "source" in both.skipped and both.columns["generator"].counts == {"gpt-4o": 400}
    report = cg.check(two, ref, select=[NAME], config={**FAST, "profile": {"max_categories": 100}})
    assert _findings(report)[("generator", "declared_synthetic_share")].measurement.value == 1.0
    empty = build_profile(
        [base.assign(model=None)],
        settings=ProfileSettings.batch(),
        reference=ref,
        keep_unreferenced=lambda name: name == "model",
    )
    assert "model" not in empty.columns and "missing" in empty.skipped["model"]
    # The counted column stays out of the row sample, so the rest of the profile is unchanged.
    labelled = build_profile(
        [base.assign(model="gpt-4o")],
        settings=ProfileSettings.batch(),
        reference=ref,
        keep_unreferenced=lambda name: name == "model",
    )
    assert labelled.columns["model"].counts == {"gpt-4o": 400}
    assert list(labelled.sample.columns) == ["x"] and labelled.sample.equals(keep.sample)


def test_nothing_to_measure_is_insufficient_not_pass() -> None:
    batch = build_profile(
        [pd.DataFrame({"text": ["short text here ok"] * 5})], settings=ProfileSettings.batch()
    )
    report = run_checks(None, batch, _registry(SyntheticContamination()), Config())
    head = _headline(report)
    assert head.status.value == "insufficient-data"
    assert "documents" in head.measurement.insufficient


def test_marker_list_cites_sources_and_surface_counts() -> None:
    data = load_markers()
    for section in ("style_words", "stock_phrases", "cutoff_disclaimers", "characters"):
        assert "source" in data[section] and len(data[section]["source"]) > 40
    assert "delve" in data["style_words"]["words"]
    counts = surface_counts(["a \u2014 b \u201cquoted\u201d", None, "plain"])
    chunked = pa.chunked_array([["a \u2014 b \u201cquoted\u201d", None], ["plain"]])
    assert (
        surface_counts(chunked)
        == counts
        == surface_counts(pa.array([None, "a \u2014 b \u201cquoted\u201d", None, "plain"])[1:])
    )
    assert counts == {
        "docs": 3,
        "chars": 19,
        "em_dash": 1,
        "em_dash_docs": 1,
        "curly_quote": 2,
        "curly_quote_docs": 1,
        "marker_docs": 1,
    }


def test_em_dash_rate_against_a_reference_that_keeps_text() -> None:
    human = _human(400, 31)
    ref = build_profile([pd.DataFrame({"text": human})], settings=ProfileSettings.reference(store_text=True))
    styled = [d.replace(" ", " \u2014 ", 1) + " \u201cok\u201d" for d in _human(300, 32)]
    report = cg.check(pd.DataFrame({"text": styled}), ref, select=[NAME], config=FAST)
    typo = _findings(report)[("text", "typography_rate_ratio")]
    assert typo.measurement.expected == 0.0
    assert typo.status.value == "fail"
    assert "em dashes" in typo.message


def test_em_dash_share_against_a_default_reference_both_ways() -> None:
    """References keep the marker counts of all their documents (no raw text needed): a batch
    styled with em dashes and curly quotes fails, an honest batch of the same habits passes."""

    def with_habits(docs: list[str], seed: int, share: float) -> list[str]:
        rng = np.random.default_rng(seed)
        # some writers use many dashes, most none: documents, not characters, are independent
        return [
            d.replace(" ", " \u2014 ", int(rng.integers(1, 6))) if rng.random() < share else d for d in docs
        ]

    ref = cg.profile(pd.DataFrame({"text": with_habits(_human(2_000, 41), 1, 0.05)}))
    counts = ref.column("text").surface_counts
    assert (
        counts["docs"] == 2_000
        and 60 <= counts["marker_docs"] <= 140
        and counts["em_dash"] > counts["marker_docs"]
    )
    honest = cg.check(
        pd.DataFrame({"text": with_habits(_human(1_000, 42), 2, 0.05)}), ref, select=[NAME], config=FAST
    )
    assert _findings(honest)[("text", "typography_rate_ratio")].status.value == "pass"
    styled = [d + " \u201cok\u201d" if i % 2 else d for i, d in enumerate(_human(1_000, 43))]
    typo = _findings(cg.check(pd.DataFrame({"text": styled}), ref, select=[NAME], config=FAST))[
        ("text", "typography_rate_ratio")
    ]
    assert typo.status.value == "fail" and typo.measurement.value == 0.5
    assert "at least" in typo.message and typo.measurement.effect >= 5


def test_the_check_never_imports_scikit_learn_or_scipy_stats() -> None:
    """The classifiers are numpy (stats.boosting): scikit-learn and scipy.stats (0.75 s and 80 MiB
    to import) stay out of the tabular and the text path (mixture classifier and two-sample test),
    and the tabular path stays off scipy.spatial (0.12 s; the copy search's distances are numpy)."""
    code = """
import sys, numpy as np, pandas as pd
import collapse_guard as cg
rng = np.random.default_rng(0)
age = rng.integers(18, 80, 3000)
df = pd.DataFrame({"x": rng.lognormal(size=3000), "age": age,
                   "c": np.where(age > 50, "old", rng.choice(list("abcdef"), 3000))})
report = cg.check(df.iloc[:1500], cg.profile(df.iloc[1500:]), select=["synthetic-contamination"])
rows = [f for f in report.findings if f.metric == "unexplained_share"][0].measurement
assert rows.value is not None and rows.evidence["copula_contrast_auc"] is not None
assert "scipy.spatial" not in sys.modules
human = np.array([f"h{i}" for i in range(300)])
machine = np.array([f"h{i}" for i in range(150)] + [f"m{i}" for i in range(150)])
docs = lambda words, n: [" ".join(rng.choice(words, 30)) for _ in range(n)]
ref = cg.profile(pd.DataFrame({"t": docs(human, 600)}))
batch = pd.DataFrame({"t": docs(human, 300) + docs(machine, 100)})
report = cg.check(batch, ref, select=["synthetic-contamination"],
                  synthetic_reference=pd.DataFrame({"t": docs(machine, 300)}))
mix = [f for f in report.findings if f.metric == "mixture_share"][0].measurement
assert len(mix.evidence["methods"]) == 2  # the boosted classifier's estimate is one of them
assert [f for f in report.findings if f.metric == "unexplained_share"]  # the text two-sample test
print(sorted(m for m in sys.modules if m == "scipy.stats" or m.startswith("sklearn")))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_documents_without_words_are_named_as_such(text_reference: cg.Profile) -> None:
    report = cg.check(
        pd.DataFrame({"text": ["\u2014\u2014\u2014", "!!! ???", "..."] * 100}), text_reference, select=[NAME]
    )
    head = _headline(report)
    assert (
        "has 300 documents, none with a word (only punctuation, digits or spaces) (need 30 with words)"
        in head.message
    )


_POOL_RNG = np.random.default_rng(99)
_POOL = pd.DataFrame(
    {"x": np.round(_POOL_RNG.normal(size=200), 2), "c": "common", "n": _POOL_RNG.integers(0, 5, 200)}
)


def _orders(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Mostly unique rows; a fifth repeat one of 200 standard orders (natural exact duplicates)."""
    own = pd.DataFrame(
        {
            "x": np.round(rng.normal(size=n), 4),
            "c": rng.choice(["x1", "x2", "x3"], n),
            "n": rng.integers(0, 5, n),
        }
    )
    pick = rng.random(n) < 0.2
    own.loc[pick, :] = _POOL.iloc[rng.integers(0, 200, int(pick.sum()))].to_numpy()
    return own.astype({"x": float, "n": int})


def test_reference_copies_with_natural_duplicates_both_ways() -> None:
    """A fifth of honest rows are exact duplicates, so the hold-out's 1% distance quantile is 0
    and "near" once meant "exact" on 750 rows: an honest batch read "a generator may be leaking
    its training rows", and 10% of rows copied from the reference went unflagged (p = 0.21).
    Exact copies are now hashed over all rows and compared with held-out rows' rate."""
    rng = np.random.default_rng(0)
    human = _orders(8000, rng)
    ref = cg.profile(human)
    honest = _findings(cg.check(_orders(2000, rng), ref, select=[NAME], config=FAST))[
        (None, "reference_copies")
    ]
    assert honest.status.value == "pass" and "leaking" not in honest.message, honest.message
    assert honest.measurement.evidence["expected_exact_share"] > 0.15
    leaked = pd.concat([_orders(1800, rng), human.sample(200, random_state=1)], ignore_index=True)
    copies = _findings(cg.check(leaked, ref, select=[NAME], config=FAST))[(None, "reference_copies")]
    assert copies.status.value in ("warn", "fail") and "leaking" in copies.message, copies.message
    ev = copies.measurement.evidence
    assert ev["exact_share"] - ev["expected_exact_share"] > 0.03 and ev["exact_p_value"] < 0.01
