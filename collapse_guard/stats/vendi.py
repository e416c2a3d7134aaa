"""Vendi score (Friedman & Dieng 2023) of documents under TF-IDF cosine similarity.

``VS(K) = exp(-sum_i lambda_i log lambda_i)`` where ``lambda_i`` are the eigenvalues of ``K / n``
and ``K`` is an ``n x n`` positive semi-definite similarity matrix with unit diagonal: the
exponential of the Shannon entropy of the similarity spectrum, "the effective number of unique
elements". It ranges from 1 (all documents alike) to ``n`` (all orthogonal) and grows with ``n``,
so compare it only at equal ``n``.

With TF-IDF rows ``X`` normalised to unit length, ``K = X X^T`` is the cosine similarity; no
language model is needed, and the TF-IDF vectors are built from hashed tokens, so the reference side
needs no raw text.

References
----------
Friedman, D. & Dieng, A. B. (2023). The Vendi Score: a diversity evaluation metric for machine
learning. TMLR. arXiv:2210.02410. Reference implementation: vertaix/Vendi-Score.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse


def vendi_score(similarity: np.ndarray) -> float:
    """Vendi score of a PSD similarity matrix with unit diagonal (order q = 1)."""
    k = np.asarray(similarity, dtype=np.float64)
    if k.ndim != 2 or k.shape[0] != k.shape[1] or k.shape[0] == 0:
        raise ValueError("similarity must be a non-empty square matrix")
    n = k.shape[0]
    eig = np.linalg.eigvalsh((k + k.T) / (2.0 * n))
    # Round-off can give tiny negative eigenvalues; they carry no mass.
    eig = eig[eig > 1e-12]
    eig = eig / eig.sum()
    return float(np.exp(-np.sum(eig * np.log(eig))))


@dataclass(frozen=True, slots=True)
class IdfTable:
    """Inverse document frequencies fitted on the reference, keyed by token hash.

    ``idf = log((1 + N) / (1 + df)) + 1`` (scikit-learn's smoothed IDF); tokens the reference never
    had get the largest IDF, ``log(1 + N) + 1``.
    """

    hashes: np.ndarray
    idf: np.ndarray
    n_docs: int

    def lookup(self, tokens: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.hashes, tokens)
        pos = np.minimum(pos, max(len(self.hashes) - 1, 0))
        found = len(self.hashes) > 0
        hit = (self.hashes[pos] == tokens) if found else np.zeros(len(tokens), dtype=bool)
        unseen = np.log(1.0 + self.n_docs) + 1.0
        return np.where(hit, self.idf[pos] if found else unseen, unseen)


def fit_idf(tokens: np.ndarray, offsets: np.ndarray) -> IdfTable:
    """Document frequencies of token hashes over a set of documents."""
    tok = np.asarray(tokens, dtype=np.uint64)
    off = np.asarray(offsets, dtype=np.int64)
    n_docs = len(off) - 1
    docs = np.repeat(np.arange(n_docs), np.diff(off))
    pairs = np.unique(np.stack([tok, docs.astype(np.uint64)]), axis=1)
    hashes, df = np.unique(pairs[0], return_counts=True)
    idf = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
    return IdfTable(hashes=hashes, idf=idf, n_docs=n_docs)


def tfidf_rows(tokens: np.ndarray, offsets: np.ndarray, idf: IdfTable) -> sparse.csr_matrix:
    """L2-normalised TF-IDF rows (raw term counts times IDF), columns indexed by token hash.

    Empty documents give zero rows.
    """
    from scipy import sparse  # here: only text columns need it, and it costs 10 ms to import

    tok = np.asarray(tokens, dtype=np.uint64)
    off = np.asarray(offsets, dtype=np.int64)
    n_docs = len(off) - 1
    docs = np.repeat(np.arange(n_docs), np.diff(off))
    vocab, cols = np.unique(tok, return_inverse=True)
    weights = idf.lookup(vocab)[cols]
    mat = sparse.csr_matrix((weights, (docs, cols)), shape=(n_docs, len(vocab)))
    mat.sum_duplicates()
    norms = np.sqrt(np.asarray(mat.multiply(mat).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ mat)


def tfidf_vendi(tokens: np.ndarray, offsets: np.ndarray, idf: IdfTable) -> float:
    """Vendi score of documents under TF-IDF cosine similarity.

    Empty documents are left out (they have no direction). Returns NaN for fewer than two
    non-empty documents.
    """
    off = np.asarray(offsets, dtype=np.int64)
    x = tfidf_rows(tokens, off, idf)
    x = x[np.diff(off) > 0]
    if x.shape[0] < 2:
        return float("nan")
    k = (x @ x.T).toarray()
    np.fill_diagonal(k, 1.0)
    return vendi_score(k)
