"""Interpolated Kneser-Ney on hashed tokens: normalisation, hand-computed values, scoring."""

from __future__ import annotations

import numpy as np
import pytest

from collapse_guard.stats.ngram_lm import train_kneser_ney


def _pack(docs: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.array([t for d in docs for t in d], dtype=np.uint64),
        np.r_[0, np.cumsum([len(d) for d in docs])].astype(np.int64),
    )


def test_unigram_by_hand() -> None:
    # counts a:2 b:2; n1 = 0, n2 = 2 -> D = 0 is clipped to 0.05; V = 2 types + 1 unknown slot.
    lm = train_kneser_ney(*_pack([[1, 2, 1, 2]]), order=1)
    d = 0.05
    p_a = (2 - d) / 4 + d * 2 / 4 / 3
    p_unk = d * 2 / 4 / 3
    lp = lm.token_logprobs(*_pack([[1, 99]]))
    assert np.exp(lp) == pytest.approx([p_a, p_unk])


def test_bigram_by_hand() -> None:
    # doc "a b a c": bigrams (BOS a) (a b) (b a) (a c). Continuation counts of unigrams:
    # a <- {BOS, b} = 2, b <- {a} = 1, c <- {a} = 1; total 4, 3 types; n1 = 2, n2 = 1 -> D1 = 0.5.
    # Bigram raw counts all 1 -> n1 = 4, n2 = 0 -> D2 = 1 clipped to 0.95.
    lm = train_kneser_ney(*_pack([[1, 2, 1, 3]]), order=2)
    d1, d2, v = 0.5, 0.95, 4
    p1_b = (1 - d1) / 4 + d1 * 3 / 4 / v
    # context "a" is followed by b and c, c(a .) = 2, N1+(a .) = 2
    p2_b_given_a = (1 - d2) / 2 + d2 * 2 / 2 * p1_b
    p1_a = (2 - d1) / 4 + d1 * 3 / 4 / v
    # context BOS is followed by a only
    p2_a_given_bos = (1 - d2) / 1 + d2 * 1 / 1 * p1_a
    lp = lm.token_logprobs(*_pack([[1, 2]]))
    assert np.exp(lp) == pytest.approx([p2_a_given_bos, p2_b_given_a])


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_distribution_sums_to_one_in_every_context(order: int) -> None:
    rng = np.random.default_rng(order)
    tokens = (rng.zipf(1.6, 4000) % 60 + 1).astype(np.uint64)
    offsets = np.array([0, 1500, 2600, 4000])
    lm = train_kneser_ney(tokens, offsets, order=order)
    vocab = np.unique(tokens)
    unknown = np.uint64(10**9)
    for ctx in ([int(tokens[0]), int(tokens[1]), int(tokens[2])], [7, 3, 5], [10**8], []):
        docs = [[*ctx, int(w)] for w in np.r_[vocab, unknown]]
        tok, off = _pack(docs)
        probs = np.exp(lm.token_logprobs(tok, off))[off[1:] - 1]
        # every word of the vocabulary plus the one unknown-word slot
        assert probs.sum() == pytest.approx(1.0, abs=1e-9)


def test_held_out_text_from_the_source_beats_shuffled_text() -> None:
    rng = np.random.default_rng(0)
    # a Markov source: each token strongly predicts the next
    trans = rng.dirichlet(np.full(50, 0.05), size=50)

    def sample(n_docs: int, length: int) -> list[list[int]]:
        docs = []
        for _ in range(n_docs):
            x = [int(rng.integers(50))]
            for _ in range(length - 1):
                x.append(int(rng.choice(50, p=trans[x[-1]])))
            docs.append(x)
        return docs

    lm = train_kneser_ney(*_pack(sample(200, 50)), order=3)
    held = sample(50, 50)
    shuffled = [list(rng.permutation(d)) for d in held]
    s_held = lm.doc_scores(*_pack(held))
    s_shuf = lm.doc_scores(*_pack(shuffled))
    assert np.all(s_held > s_shuf)


def test_empty_documents_score_nan_and_bad_order_raises() -> None:
    lm = train_kneser_ney(*_pack([[1, 2, 3]]), order=2)
    scores = lm.doc_scores(*_pack([[], [1, 2]]))
    assert np.isnan(scores[0]) and np.isfinite(scores[1])
    with pytest.raises(ValueError, match="order"):
        train_kneser_ney(*_pack([[1]]), order=0)


def test_order_logprobs_rows_are_the_lower_order_models() -> None:
    # One order-4 model scores as the order-1..4 models trained on the same data: raw counts at
    # each row's top level, continuation counts below (exact, not approximately).
    rng = np.random.default_rng(7)
    tokens = (rng.zipf(1.4, 3000) % 40 + 1).astype(np.uint64)
    offsets = np.array([0, 700, 1900, 3000])
    held = _pack([[int(t) for t in rng.integers(1, 45, 30)], [1, 2, 3, 1, 2, 3, 99]])
    lm = train_kneser_ney(tokens, offsets, order=4)
    rows = lm.order_logprobs(*held)
    assert rows.shape == (4, held[0].size)
    for k in range(1, 5):
        lower = train_kneser_ney(tokens, offsets, order=k).token_logprobs(*held)
        np.testing.assert_array_equal(rows[k - 1], lower)
    np.testing.assert_array_equal(rows[-1], lm.token_logprobs(*held))
    np.testing.assert_array_equal(lm.order_logprobs(*held, orders=(2, 4)), rows[[1, 3]])


def test_order_logprobs_by_hand() -> None:
    # doc "a b a c" (see test_bigram_by_hand): as a unigram model the unigram level uses raw
    # counts a:2 b:1 c:1 (n1 = 2, n2 = 1 -> D = 0.5), not the continuation counts.
    lm = train_kneser_ney(*_pack([[1, 2, 1, 3]]), order=2)
    d, v = 0.5, 4
    p_a = (2 - d) / 4 + d * 3 / 4 / v
    rows = lm.order_logprobs(*_pack([[1]]))
    assert np.exp(rows[0, 0]) == pytest.approx(p_a)


@pytest.mark.parametrize("orders", [(), (0, 1), (2, 1), (1, 5), (3, 3)])
def test_order_logprobs_rejects_bad_orders(orders: tuple[int, ...]) -> None:
    lm = train_kneser_ney(*_pack([[1, 2, 1, 3]]), order=3)
    with pytest.raises(ValueError, match="orders"):
        lm.order_logprobs(*_pack([[1, 2]]), orders=orders)
