"""Vendi score (Friedman & Dieng 2023) and the optional semantic-diversity check."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import collapse_guard as cg
from collapse_guard.api import resolve_config
from collapse_guard.checks.vendi import SemanticDiversity
from collapse_guard.results import Status
from collapse_guard.stats.vendi import fit_idf, tfidf_rows, tfidf_vendi, vendi_score
from collapse_guard.text import tokenize


def test_vendi_hand_values() -> None:
    # Orthogonal items: n distinct; identical items: 1; two equal blocks: 2.
    assert vendi_score(np.eye(7)) == pytest.approx(7.0)
    assert vendi_score(np.ones((5, 5))) == pytest.approx(1.0)
    blocks = np.kron(np.eye(2), np.ones((3, 3)))
    assert vendi_score(blocks) == pytest.approx(2.0)
    # K = [[1, s], [s, 1]]: eigenvalues of K/2 are (1 +- s)/2.
    s = 0.6
    lam = np.array([(1 + s) / 2, (1 - s) / 2])
    expected = math.exp(-np.sum(lam * np.log(lam)))
    assert vendi_score(np.array([[1, s], [s, 1]])) == pytest.approx(expected)
    with pytest.raises(ValueError, match="square"):
        vendi_score(np.ones((2, 3)))


def test_tfidf_vendi_on_documents() -> None:
    same = tokenize(["the cat sat"] * 6)
    idf = fit_idf(same.tokens, same.offsets)
    assert tfidf_vendi(same.tokens, same.offsets, idf) == pytest.approx(1.0)
    apart = tokenize(["alpha beta", "gamma delta", "eps zeta", "eta theta", ""])
    idf = fit_idf(apart.tokens, apart.offsets)
    # The empty document is left out; the other four share no token.
    assert tfidf_vendi(apart.tokens, apart.offsets, idf) == pytest.approx(4.0)
    rows = tfidf_rows(apart.tokens, apart.offsets, idf)
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    assert norms.tolist() == pytest.approx([1, 1, 1, 1, 0])
    one = tokenize(["lonely"])
    assert math.isnan(tfidf_vendi(one.tokens, one.offsets, fit_idf(one.tokens, one.offsets)))


def test_idf_matches_scikit_learn_smoothing() -> None:
    docs = tokenize(["a b", "a c", "a", "d"])
    idf = fit_idf(docs.tokens, docs.offsets)
    a = tokenize(["a"]).tokens
    d = tokenize(["d"]).tokens
    unseen = tokenize(["zzz"]).tokens
    assert idf.lookup(a)[0] == pytest.approx(math.log(5 / 4) + 1)
    assert idf.lookup(d)[0] == pytest.approx(math.log(5 / 2) + 1)
    assert idf.lookup(unseen)[0] == pytest.approx(math.log(5) + 1)


TOPICS = [[f"t{t}w{i}" for i in range(40)] for t in range(60)]


def topical(n: int, seed: int, topics: int = 60) -> pd.DataFrame:
    """Documents each drawn from one of ``topics`` word pools (fewer topics = less diverse)."""
    rng = np.random.default_rng(seed)
    pools = rng.integers(0, topics, n)
    docs = [" ".join(rng.choice(TOPICS[p], 12)) for p in pools]
    return pd.DataFrame({"text": docs})


CONFIG = {"checks": {"semantic-diversity": {"enabled": True, "max_docs": 120, "null_draws": 20}}}


@pytest.fixture(scope="module")
def reference() -> cg.Profile:
    return cg.profile(topical(1000, 1))


def test_check_is_off_by_default_and_on_in_config(reference: cg.Profile) -> None:
    check = SemanticDiversity()
    assert check.default_enabled is False
    assert not resolve_config(None).check_enabled(check)
    assert resolve_config(CONFIG).check_enabled(check)
    report = cg.check(topical(300, 2), reference, config=CONFIG, select=["semantic-diversity"])
    assert len(report.findings) == 1
    assert report.findings[0].status is Status.PASS
    assert report.findings[0].measurement.evidence["documents"] == 120


def test_check_detects_topic_collapse(reference: cg.Profile) -> None:
    report = cg.check(topical(300, 3, topics=4), reference, config=CONFIG, select=["semantic-diversity"])
    f = report.findings[0]
    assert f.status is Status.FAIL
    assert f.measurement.effect is not None and f.measurement.effect < 0.75
    assert "the batch says the same things in different words" in f.message


def test_too_few_documents_is_insufficient(reference: cg.Profile) -> None:
    report = cg.check(topical(5, 4), reference, config=CONFIG, select=["semantic-diversity"])
    assert report.findings[0].status is Status.INSUFFICIENT
