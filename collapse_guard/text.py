"""Fast tokenisation and n-gram hashing for text columns.

Tokens are NFC-normalised, lower-cased runs of letters, combining marks, digits and underscores;
apostrophes inside words are dropped ("don't" -> "dont"). All work happens in pyarrow and numpy
kernels: there is no Python loop per token
(only one per *distinct* token, to keep a hash -> string vocabulary for evidence).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .hashing import combine, hash_strings

_APOSTROPHES = "['\u2019]"
_SEPARATORS = r"[^\p{L}\p{M}\p{N}_]+"  # combining marks belong to words (Devanagari, Arabic...)


@dataclass(frozen=True, slots=True)
class TokenizedDocs:
    """Documents as concatenated token hashes.

    Attributes
    ----------
    tokens
        uint64 token hashes of all documents, concatenated.
    offsets
        int64, length ``n_docs + 1``; document i is ``tokens[offsets[i]:offsets[i + 1]]``.
    vocab
        hash -> token string for every distinct token seen.
    """

    tokens: np.ndarray
    offsets: np.ndarray
    vocab: dict[int, str]

    @property
    def n_docs(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)


def _as_arrow(texts: Sequence[str | None] | pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if not isinstance(texts, pa.Array):
        texts = pa.array(list(texts) if not hasattr(texts, "__array__") else texts, type=pa.large_string())
    if not pa.types.is_large_string(texts.type):
        texts = texts.cast(pa.large_string())
    return texts


def split_tokens(texts: Sequence[str | None] | pa.Array | pa.ChunkedArray) -> pa.LargeListArray:
    """Tokenise into an Arrow list array of token strings (nulls become empty documents)."""
    arr = pc.fill_null(_as_arrow(texts), "")
    # NFC first, so a decomposed "café" and a composed one are the same token.
    arr = pc.utf8_normalize(arr, "NFC")
    arr = pc.utf8_lower(arr)
    arr = pc.replace_substring_regex(arr, pattern=_APOSTROPHES, replacement="")
    arr = pc.replace_substring_regex(arr, pattern=_SEPARATORS, replacement=" ")
    arr = pc.utf8_trim_whitespace(arr)
    lists = pc.utf8_split_whitespace(arr)
    if isinstance(lists, pa.ChunkedArray):
        lists = lists.combine_chunks()
    return lists


def tokenize(texts: Sequence[str | None] | pa.Array | pa.ChunkedArray) -> TokenizedDocs:
    """Tokenise documents and hash every token (see module docstring for the rules)."""
    lists = split_tokens(texts)
    offsets = np.asarray(lists.offsets, dtype=np.int64)
    offsets = offsets - offsets[0]
    flat = lists.flatten()
    # An empty document splits into one empty string; drop those so it has no token.
    nonempty = np.asarray(pc.greater(pc.binary_length(flat), 0), dtype=bool)
    if not nonempty.all():
        counts = np.bincount(doc_index(offsets)[nonempty], minlength=len(offsets) - 1)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        flat = flat.filter(pa.array(nonempty))
    if len(flat) == 0:
        return TokenizedDocs(np.zeros(0, dtype=np.uint64), offsets, {})
    encoded = pc.dictionary_encode(flat)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    words = encoded.dictionary.to_pylist()
    word_hashes = hash_strings(words)
    indices = np.asarray(encoded.indices, dtype=np.int64)
    tokens = word_hashes[indices]
    vocab = dict(zip(word_hashes.tolist(), words, strict=True))
    return TokenizedDocs(tokens, offsets, vocab)


def token_hash(words: Sequence[str]) -> np.ndarray:
    """Hash words exactly as the tokenizer does (each word should be a single token)."""
    tokens = split_tokens(list(words))
    normalised = [parts[0] if parts else "" for parts in tokens.to_pylist()]
    return hash_strings(normalised)


def doc_index(offsets: np.ndarray) -> np.ndarray:
    """The document number of every token position."""
    lengths = np.diff(offsets)
    return np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)


def ngram_hashes(tokens: np.ndarray, offsets: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of all n-grams that lie inside one document, with the document of each.

    Returns ``(hashes, doc)``: uint64 n-gram hashes in document order and the int64 document index of
    each. ``n == 1`` returns the tokens themselves.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n!r}")
    docs = doc_index(offsets)
    if n == 1 or len(tokens) == 0:
        return np.asarray(tokens, dtype=np.uint64), docs
    if len(tokens) < n:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    starts = np.arange(len(tokens) - n + 1)
    valid = docs[starts] == docs[starts + n - 1]
    starts = starts[valid]
    h = np.asarray(tokens, dtype=np.uint64)[starts]
    for j in range(1, n):
        h = combine(h, tokens[starts + j])
    return h, docs[starts]


# UTF-8 of U+2014 (em dash) and U+2018/2019/201C/201D (curly quotes): E2 80 then one byte.
_EM_DASH_LAST = 0x94
_CURLY_QUOTE_LAST = (0x98, 0x99, 0x9C, 0x9D)


def surface_counts(texts: Sequence[str | None] | pa.Array | pa.ChunkedArray) -> dict[str, int]:
    """Characters that the tokenizer drops: em dashes and curly quotes, with document counts.

    Profiles count them over all of a text column's documents (the tokens they keep have no
    punctuation). The markers are found in the UTF-8 bytes with numpy, one pass for all five:
    UTF-8 never starts a character inside another, so the byte triple is exact, and Arrow's
    substring and regex kernels took longer than tokenising.

    Returns ``{"chars", "em_dash", "em_dash_docs", "curly_quote", "curly_quote_docs",
    "marker_docs", "docs"}`` (``marker_docs``: documents with either); these add up over chunks,
    so a profile can store them and merge exactly.
    """
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if not isinstance(texts, pa.Array):
        texts = pa.array(list(texts), type=pa.large_string())
    arr = pc.fill_null(texts.cast(pa.large_string()), "")
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    start, stop = (int(offsets[0]), int(offsets[-1])) if n else (0, 0)
    data = (
        np.frombuffer(arr.buffers()[2], dtype=np.uint8)[start:stop] if stop > start else np.zeros(0, np.uint8)
    )
    lead = np.flatnonzero(data[:-2] == 0xE2)  # rare in most text: one pass, then look closer
    lead = lead[data[lead + 1] == 0x80]
    last = data[lead + 2]
    doc = np.searchsorted(offsets, lead + start, side="right") - 1
    em_np = np.bincount(doc[last == _EM_DASH_LAST], minlength=n)
    cu_np = np.bincount(doc[np.isin(last, _CURLY_QUOTE_LAST)], minlength=n)
    return {
        "docs": n,
        "chars": int(pc.sum(pc.utf8_length(arr)).as_py() or 0),
        "em_dash": int(em_np.sum()),
        "em_dash_docs": int((em_np > 0).sum()),
        "curly_quote": int(cu_np.sum()),
        "curly_quote_docs": int((cu_np > 0).sum()),
        "marker_docs": int(((em_np > 0) | (cu_np > 0)).sum()),
    }
