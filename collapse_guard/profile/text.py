"""Text column summary: exact counts and length histogram, plus a hashed-token document sample.

Privacy: by default a reference keeps no raw text. Documents are stored as 64-bit token hashes, and
plain strings are kept only for tokens that occur in at least ``VOCAB_MIN_DOCS`` sampled documents,
so a word used by a single author in a single document is never written to the reference file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..kinds import Kind
from ..text import TokenizedDocs, doc_index
from .codec import decode_array, encode_array

VOCAB_MIN_DOCS = 5


def gather_docs(tokens: np.ndarray, offsets: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Token hashes and offsets of the selected documents, in the given order."""
    docs = np.asarray(docs, dtype=np.int64)
    starts = offsets[docs]
    lengths = offsets[docs + 1] - starts
    new_offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    if new_offsets[-1] == 0:
        return np.zeros(0, dtype=np.uint64), new_offsets
    index = np.repeat(starts - new_offsets[:-1], lengths) + np.arange(new_offsets[-1])
    return tokens[index], new_offsets


@dataclass
class TokenSample:
    """A bounded, seeded sample of documents as hashed tokens (see module docstring)."""

    tokens: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    priorities: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    vocab: dict[int, str] = field(default_factory=dict)
    texts: list[str] | None = None

    @property
    def n_docs(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_tokens(self) -> int:
        return int(self.offsets[-1])

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def doc(self, i: int) -> np.ndarray:
        return self.tokens[self.offsets[i] : self.offsets[i + 1]]

    def subset(self, docs: np.ndarray) -> TokenSample:
        """The sample restricted to the given document indices (in that order)."""
        tokens, offsets = gather_docs(self.tokens, self.offsets, docs)
        texts = None if self.texts is None else [self.texts[i] for i in docs]
        return TokenSample(tokens, offsets, self.priorities[docs], self.vocab, texts)

    def words(self, hashes: np.ndarray | list[int]) -> list[str | None]:
        """Plain strings for token hashes where the sample knows them (None otherwise)."""
        return [self.vocab.get(int(h)) for h in hashes]

    def combined(self, other: TokenSample, max_docs: int, max_tokens: int) -> TokenSample:
        """Union of two samples cut back to the caps by priority (exactly mergeable)."""
        prio = np.concatenate([self.priorities, other.priorities])
        tokens = np.concatenate([self.tokens, other.tokens])
        offsets = np.concatenate([self.offsets[:-1], other.offsets[:-1] + self.offsets[-1], [len(tokens)]])
        texts = None
        if self.texts is not None and other.texts is not None:
            texts = self.texts + other.texts
        both = TokenSample(tokens, offsets.astype(np.int64), prio, {**self.vocab, **other.vocab}, texts)
        return both.capped(max_docs, max_tokens)

    def capped(self, max_docs: int, max_tokens: int) -> TokenSample:
        """Keep the lowest-priority documents within both caps (at least one document)."""
        if self.n_docs == 0:
            return self
        order = np.lexsort((np.arange(self.n_docs), self.priorities))[: max(max_docs, 0)]
        cumulative = np.cumsum(self.lengths[order])
        keep = max(int(np.searchsorted(cumulative, max_tokens, side="right")), 1 if max_docs > 0 else 0)
        order = order[:keep]
        if len(order) == self.n_docs and np.all(order == np.arange(self.n_docs)):
            return self
        return self.subset(order)

    def shareable_vocab(self, min_docs: int) -> dict[int, str]:
        """Plain strings only for tokens seen in at least ``min_docs`` sampled documents."""
        if len(self.tokens) == 0:
            return {}
        pairs = np.unique(np.stack([doc_index(self.offsets).astype(np.uint64), self.tokens]), axis=1)
        hashes, doc_freq = np.unique(pairs[1], return_counts=True)
        frequent = hashes[doc_freq >= min_docs].tolist()
        return {h: self.vocab[h] for h in frequent if h in self.vocab}

    def prune_vocab(self, min_docs: int) -> None:
        """Forget plain strings of tokens seen in fewer than ``min_docs`` sampled documents."""
        self.vocab = self.shareable_vocab(min_docs)

    def to_json(self, private: bool = False) -> dict[str, Any]:
        """JSON form; ``private`` drops raw texts and strings of rarely used tokens (see module)."""
        table, index = np.unique(self.tokens, return_inverse=True)
        # Number the token table by decreasing frequency so the index stream compresses well.
        freq = np.bincount(index, minlength=len(table))
        by_freq = np.lexsort((table, -freq))
        rank = np.empty_like(by_freq)
        rank[by_freq] = np.arange(len(by_freq))
        out: dict[str, Any] = {
            "priorities": encode_array(self.priorities.astype(np.uint64)),
            "offsets": encode_array(self.offsets.astype(np.int64)),
            "token_table": encode_array(table[by_freq].astype(np.uint64)),
            "token_index": encode_array(rank[index].astype(np.uint32)),
            "vocab": {
                str(k): v
                for k, v in sorted((self.shareable_vocab(VOCAB_MIN_DOCS) if private else self.vocab).items())
            },
        }
        if self.texts is not None and not private:
            out["texts"] = list(self.texts)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TokenSample:
        table = decode_array(data["token_table"])
        index = decode_array(data["token_index"]).astype(np.int64)
        offsets = decode_array(data["offsets"])
        priorities = decode_array(data["priorities"])
        if len(offsets) != len(priorities) + 1 or offsets[-1] != len(index):
            raise ValueError("text sample offsets do not match its tokens")
        if len(index) and index.max() >= len(table):
            raise ValueError("text sample token index out of range")
        vocab = {int(k): str(v) for k, v in data["vocab"].items()}
        return cls(table[index], offsets, priorities, vocab, data.get("texts"))


@dataclass
class TextProfile:
    """Summary of a text column.

    Attributes
    ----------
    docs, nulls, empty
        Non-null documents, missing values, and documents with no token.
    tokens
        Total tokens over all documents.
    length_counts
        Exact histogram of document lengths in tokens, over all documents.
    sample
        The hashed-token document sample.
    """

    name: str
    docs: int = 0
    nulls: int = 0
    empty: int = 0
    tokens: int = 0
    length_counts: dict[int, int] = field(default_factory=dict)
    sample: TokenSample = field(default_factory=TokenSample)
    surface_counts: dict[str, int] = field(default_factory=dict)
    kind: Kind = Kind.TEXT

    @property
    def count(self) -> int:
        return self.docs

    @property
    def is_constant(self) -> bool:
        return False

    def update(
        self,
        tok: TokenizedDocs,
        priorities: np.ndarray,
        present: np.ndarray,
        texts: list[str] | None,
        max_docs: int,
        max_tokens: int,
    ) -> None:
        """Add one chunk. ``present`` marks non-null rows; tokens cover present rows only."""
        lengths = tok.lengths
        self.docs += len(lengths)
        self.nulls += int((~present).sum())
        self.empty += int((lengths == 0).sum())
        self.tokens += int(lengths.sum())
        values, counts = np.unique(lengths, return_counts=True)
        for v, c in zip(values.tolist(), counts.tolist(), strict=True):
            self.length_counts[v] = self.length_counts.get(v, 0) + c
        prio = priorities[present]
        # Only documents that can still enter the sample are gathered.
        candidates = np.lexsort((np.arange(len(prio)), prio))[:max_docs]
        if self.sample.n_docs >= max_docs and len(candidates):
            cutoff = self.sample.priorities.max()
            candidates = candidates[prio[candidates] <= cutoff]
        if len(candidates) == 0:
            return
        tokens, offsets = gather_docs(tok.tokens, tok.offsets, candidates)
        vocab = {int(h): tok.vocab[int(h)] for h in np.unique(tokens).tolist()}
        chunk_texts = None if texts is None else [texts[i] for i in candidates]
        new = TokenSample(tokens, offsets, prio[candidates], vocab, chunk_texts)
        if self.sample.n_docs == 0 and self.sample.texts is None:
            self.sample = new.capped(max_docs, max_tokens)
        else:
            self.sample = self.sample.combined(new, max_docs, max_tokens)
        if len(self.sample.vocab) > 4 * max(self.sample.n_tokens, 1000):
            self.sample.prune_vocab(1)  # forget words of documents that left the sample

    def add_surface(self, counts: dict[str, int]) -> None:
        """Add per-column counts of surface markers (em dashes, curly quotes...) over all documents."""
        for key, value in counts.items():
            self.surface_counts[key] = self.surface_counts.get(key, 0) + int(value)

    def merged(self, other: TextProfile, max_docs: int, max_tokens: int) -> TextProfile:
        lengths = dict(self.length_counts)
        for k, v in other.length_counts.items():
            lengths[k] = lengths.get(k, 0) + v
        return TextProfile(
            self.name,
            self.docs + other.docs,
            self.nulls + other.nulls,
            self.empty + other.empty,
            self.tokens + other.tokens,
            lengths,
            self.sample.combined(other.sample, max_docs, max_tokens),
            {
                k: self.surface_counts.get(k, 0) + other.surface_counts.get(k, 0)
                for k in sorted(set(self.surface_counts) | set(other.surface_counts))
            },
        )

    def to_json(self, private: bool = True) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "docs": self.docs,
            "nulls": self.nulls,
            "empty": self.empty,
            "tokens": self.tokens,
            "length_counts": {str(k): v for k, v in sorted(self.length_counts.items())},
            "sample": self.sample.to_json(private),
            "surface_counts": dict(sorted(self.surface_counts.items())),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TextProfile:
        return cls(
            name=data["name"],
            docs=int(data["docs"]),
            nulls=int(data["nulls"]),
            empty=int(data["empty"]),
            tokens=int(data["tokens"]),
            length_counts={int(k): int(v) for k, v in data["length_counts"].items()},
            sample=TokenSample.from_json(data["sample"]),
            surface_counts={str(k): int(v) for k, v in data.get("surface_counts", {}).items()},
        )
