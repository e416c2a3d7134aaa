"""Shared data for the detection benchmarks: human sources, collapse generators, helpers.

Every ``benchmarks/detection/<topic>.py`` module builds its cases from this file, so that the
tail, diversity and contamination benchmarks measure the same data. The names below are a stable
interface (other modules import them); add new functions rather than renaming.

Randomness
    ``rng_for(seed, *keys)`` gives a ``numpy.random.Generator`` that depends only on the seed and
    the keys (strings or ints), so one case can be re-run on its own.

Human ("clean") sources -- each returns a fresh sample of ``n`` rows
    ``gaussian(n, rng)``, ``lognormal(n, rng)``, ``pareto(n, rng)`` -- 1-D float arrays.
    ``zipf_probs(k, s)`` and ``zipf_categories(n, rng, n_categories, s)`` -- Zipf categorical labels.
    ``zipf_text(n_docs, rng, vocab_size, s, mean_tokens)`` -- documents whose words follow a Zipf
    law over a fixed pseudo-word vocabulary.
    ``human_table(n, rng)`` -- a DataFrame with one column of each generated kind.
    ``GENERATED_SOURCES`` -- name -> ``f(n, rng) -> pd.DataFrame`` (one column each, plus "mixed").
    ``human_records(n, rng)`` -- a realistic customer table (integer, rounded, zero-inflated and
    count columns; categories tied to numbers; non-linear dependence), unlike ``human_table``'s
    independent near-parametric columns.

Table synthesizers (fit on human training rows, draw ``n``; both round to each column's observed
precision and clip to its observed range, as SDV does by default)
    ``sdv_gaussian_copula(train, n, rng)`` -- beta margins, categories as frequency intervals.
    ``sdv_gmm(train, n, rng, components=10)`` -- one Gaussian mixture over standardised numbers
    and one-hot categories (categories drawn jointly with the numbers).

Real human data that ships on this machine (no downloads)
    ``real_table(name)`` -- scikit-learn's bundled tables: "diabetes", "wine", "breast_cancer",
    "digits" (as DataFrames of their feature columns; ``REAL_TABLES`` lists the names).
    ``real_texts(source, max_docs, seed)`` -- paragraphs of Debian man pages ("man") or of the
    Python documentation ("python-doc", only when the ``python3-doc`` package is installed; see
    ``available_text_sources()``).
    ``normalise_texts(docs)`` -- lower-cased word tokens joined by single spaces. Use it on the
    reference *and* the batch when the batch comes from ``NgramLM`` (which emits that form), so
    that only the word distribution differs, not casing or punctuation.

Splits
    ``disjoint_split(data, sizes, rng)`` -- disjoint random parts of an array, list or DataFrame
    (sizes are capped at what the data holds; parts never share a row).

Collapse generators (one generation: fit on ``prev``, draw ``n``)
    ``refit_gaussian(prev, n, rng)`` -- normal (multivariate for 2-D input) with fitted mean/cov.
    ``refit_gmm(prev, n, rng, components=3)`` -- Gaussian mixture (scikit-learn, EM).
    ``refit_kde(prev, n, rng)`` -- Gaussian KDE with Scott's bandwidth (widens the distribution).
    ``resample(prev, n, rng)`` -- bootstrap of the previous generation (any dtype; loses rare
    categories and values, fills the batch with duplicates).
    ``GENERATORS`` -- name -> one of the above.
    ``recursive(generator, gen0, n, generations, rng)`` -- list of generations 1..G, each fitted
    on the previous one (generation 0 is ``gen0``, a human sample that is not the reference).

Text collapse
    ``NgramLM(order=3).fit(docs)`` then ``.sample(n_docs, rng, top_k=None, top_p=None,
    temperature=1.0, max_tokens=200)`` -- a word n-gram language model with stupid-backoff-style
    fallback to lower orders, sampled with top-k, nucleus or temperature truncation, vectorised
    over documents (no Python loop per token).
    ``recursive_text(docs, n_docs, generations, rng, order=3, **sampling)`` -- generations 1..G.

Perturbations of a known severity (for targets such as "the upper 1% tail halved")
    ``thin_tail(batch, ref, q, keep, rng, upper=True)`` -- drop a share of batch rows beyond the
    reference quantile ``q`` and refill from the body, keeping the batch size.
    ``drop_categories(batch, categories, rng)`` -- replace the named categories by draws from the
    remaining ones.

Running and reporting
    ``evaluate(reference_df, batch_df, checks=None, seed=0)`` -- profile the reference and check the
    batch through the public API (``collapse_guard.profile`` / ``collapse_guard.check``); returns
    a ``CaseResult`` with the report status, the statuses of the selected checks and the seconds.
    ``rate_table(rows, by, title)`` -- markdown table of warn/fail rates grouped by ``by`` keys.

Result rows (``run`` in each topic module returns ``list[dict]``) use these keys where they apply:
``topic, case ("clean"|"collapse"), source, generator, generation, size, rep, status`` (report
status restricted to the topic's checks), ``warn`` (bool: warn or fail), ``fail`` (bool),
``insufficient`` (bool), ``seconds``.
"""

from __future__ import annotations

import gzip
import html
import re
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

T = TypeVar("T", np.ndarray, pd.DataFrame, list)

WORD_RE = re.compile(r"\w+(?:'\w+)*")


# --------------------------------------------------------------------------- randomness


def rng_for(seed: int, *keys: str | int) -> np.random.Generator:
    """A generator that depends only on ``seed`` and ``keys`` (stable across runs and Pythons)."""
    words = [int(seed) & 0xFFFFFFFF]
    for key in keys:
        words.append(zlib.crc32(str(key).encode("utf-8")))
    return np.random.default_rng(np.random.SeedSequence(words))


# --------------------------------------------------------------------------- generated sources


def gaussian(n: int, rng: np.random.Generator, loc: float = 50.0, scale: float = 10.0) -> np.ndarray:
    """Normal sample (light tails; the hardest case for tail tests, which have least room)."""
    return rng.normal(loc, scale, size=n)


def lognormal(n: int, rng: np.random.Generator, sigma: float = 1.0) -> np.ndarray:
    """Lognormal sample (skewed, moderately heavy right tail; incomes, sizes, durations)."""
    return rng.lognormal(mean=3.0, sigma=sigma, size=n)


def pareto(n: int, rng: np.random.Generator, alpha: float = 2.5) -> np.ndarray:
    """Classical Pareto sample with x_m = 1 and tail index ``alpha`` (heavy right tail)."""
    return rng.pareto(alpha, size=n) + 1.0


def zipf_probs(k: int, s: float = 1.1) -> np.ndarray:
    """Probabilities p_i proportional to i**-s for ranks i = 1..k."""
    p = np.arange(1, k + 1, dtype=float) ** -float(s)
    return p / p.sum()


def category_labels(k: int) -> np.ndarray:
    """Readable labels for ``k`` categories, most frequent first: "cat_0001", ..."""
    width = max(4, len(str(k)))
    return np.array([f"cat_{i:0{width}d}" for i in range(1, k + 1)], dtype=object)


def zipf_categories(n: int, rng: np.random.Generator, n_categories: int = 200, s: float = 1.1) -> np.ndarray:
    """``n`` draws of Zipf-distributed category labels (object array of str)."""
    idx = rng.choice(n_categories, size=n, p=zipf_probs(n_categories, s))
    return category_labels(n_categories)[idx]


_SYLLABLES = np.array(
    [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"], dtype=object
)  # 80 syllables -> pronounceable pseudo-words


def zipf_vocabulary(size: int) -> np.ndarray:
    """``size`` distinct pseudo-words (letters only), rank order fixed."""
    words = []
    base = len(_SYLLABLES)
    for i in range(size):
        j = i
        parts = []
        while True:
            parts.append(_SYLLABLES[j % base])
            j //= base
            if j == 0:
                break
        words.append("".join(parts))
    return np.array(words, dtype=object)


def zipf_text(
    n_docs: int,
    rng: np.random.Generator,
    vocab_size: int = 20_000,
    s: float = 1.1,
    mean_tokens: float = 40.0,
) -> list[str]:
    """Documents of Zipf-distributed pseudo-words; lengths are 1 + Poisson-lognormal."""
    vocab = zipf_vocabulary(vocab_size)
    lengths = 1 + rng.poisson(rng.lognormal(np.log(mean_tokens) - 0.18, 0.6, size=n_docs))
    total = int(lengths.sum())
    idx = rng.choice(vocab_size, size=total, p=zipf_probs(vocab_size, s))
    words = vocab[idx]
    out = []
    start = 0
    for length in lengths.tolist():
        out.append(" ".join(words[start : start + length]))
        start += length
    return out


def human_table(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """One column of each generated kind: gaussian, lognormal, pareto, category."""
    return pd.DataFrame(
        {
            "gaussian": gaussian(n, rng),
            "lognormal": lognormal(n, rng),
            "pareto": pareto(n, rng),
            "category": zipf_categories(n, rng),
        }
    )


GENERATED_SOURCES: dict[str, Callable[[int, np.random.Generator], pd.DataFrame]] = {
    "gaussian": lambda n, rng: pd.DataFrame({"value": gaussian(n, rng)}),
    "lognormal": lambda n, rng: pd.DataFrame({"value": lognormal(n, rng)}),
    "pareto": lambda n, rng: pd.DataFrame({"value": pareto(n, rng)}),
    "zipf_categorical": lambda n, rng: pd.DataFrame({"category": zipf_categories(n, rng)}),
    "zipf_text": lambda n, rng: pd.DataFrame({"text": zipf_text(n, rng)}),
    "mixed": human_table,
}


# --------------------------------------------------------------------------- real data

REAL_TABLES = ("diabetes", "wine", "breast_cancer", "digits")


def real_table(name: str) -> pd.DataFrame:
    """A scikit-learn bundled table (features only, unscaled where sklearn allows)."""
    from sklearn import datasets  # type: ignore[import-untyped]

    if name == "diabetes":
        bunch = datasets.load_diabetes(as_frame=True, scaled=False)
    elif name == "wine":
        bunch = datasets.load_wine(as_frame=True)
    elif name == "breast_cancer":
        bunch = datasets.load_breast_cancer(as_frame=True)
    elif name == "digits":
        bunch = datasets.load_digits(as_frame=True)
        # Keep the middle pixels: the border ones are constant zero.
        frame = bunch.data
        keep = [c for c in frame.columns if frame[c].nunique() > 8][:16]
        return frame[keep].astype(float).reset_index(drop=True)
    else:
        raise ValueError(f"unknown real table {name!r}; choose one of {REAL_TABLES}")
    return bunch.data.astype(float).reset_index(drop=True)


MAN_DIRS = (
    "/usr/share/man/man1",
    "/usr/share/man/man3",
    "/usr/share/man/man5",
    "/usr/share/man/man8",
    "/usr/share/man/man7",
)
_ROFF_ESCAPE = re.compile(r"\\f[BIRP]|\\f\(..|\\\(..|\\[&|^ ]|\\[-e]|\\s[-+]?\d")


def _man_paragraphs(path: Path) -> list[str]:
    try:
        raw = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
    except (OSError, EOFError, ValueError):
        return []
    paragraphs: list[str] = []
    current: list[str] = []
    for line in raw.splitlines():
        if line.startswith((".", "'")):
            macro = line[1:3]
            if macro in ("PP", "LP", "P", "SH", "SS", "TP", "IP", "HP", "") and current:
                paragraphs.append(" ".join(current))
                current = []
            if macro in ("B ", "I ", "BR", "IR", "RB", "RI", "BI", "IB"):
                current.append(line[3:].replace('"', ""))
            continue
        if not line.strip():
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(line)
    if current:
        paragraphs.append(" ".join(current))
    out = []
    for p in paragraphs:
        text = _ROFF_ESCAPE.sub("", p).replace("\\", "")
        text = " ".join(text.split())
        if len(WORD_RE.findall(text)) >= 8:
            out.append(text)
    return out


_TAG = re.compile(r"<[^>]+>")


def _html_paragraphs(path: Path) -> list[str]:
    try:
        raw = path.read_text("utf-8", "replace")
    except OSError:
        return []
    out = []
    for block in re.findall(r"<p>(.*?)</p>", raw, flags=re.DOTALL):
        text = " ".join(html.unescape(_TAG.sub("", block)).split())
        if len(WORD_RE.findall(text)) >= 8:
            out.append(text)
    return out


def _python_doc_files() -> list[Path]:
    # The python3*-doc packages link several directories to one tree: deduplicate by target.
    roots = sorted({d.resolve() for d in Path("/usr/share/doc").glob("python3*/html")})
    files: list[Path] = []
    for d in roots:
        files.extend(sorted(d.rglob("*.html")))
    return files


def available_text_sources() -> list[str]:
    """Real text sources present on this machine ("man", "python-doc")."""
    found = []
    if any(Path(d).is_dir() for d in MAN_DIRS):
        found.append("man")
    if _python_doc_files():
        found.append("python-doc")
    return found


_TEXT_CACHE: dict[tuple[str, int, int], list[str]] = {}


def real_texts(source: str = "man", max_docs: int = 60_000, seed: int = 0) -> list[str]:
    """Paragraphs (>= 8 words) of real human-written documentation, in a seeded file order.

    ``source`` is "man" (Debian man pages under /usr/share/man) or "python-doc" (HTML of the
    ``python3-doc`` package). Files are visited in a seeded random order until ``max_docs``
    paragraphs are collected, so a smaller ``max_docs`` reads fewer files.
    """
    key = (source, max_docs, seed)
    if key in _TEXT_CACHE:
        return list(_TEXT_CACHE[key])
    if source == "man":
        # gcloud's ~16,000 pages are generated from one template; they would swamp the corpus.
        files = sorted(p for d in MAN_DIRS for p in Path(d).glob("*.gz") if not p.name.startswith("gcloud"))
        parse: Callable[[Path], list[str]] = _man_paragraphs
    elif source == "python-doc":
        files = _python_doc_files()
        parse = _html_paragraphs
    else:
        raise ValueError(f"unknown text source {source!r}; choose 'man' or 'python-doc'")
    if not files:
        raise FileNotFoundError(f"text source {source!r} is not installed on this machine")
    order = np.random.default_rng(seed).permutation(len(files))
    docs: list[str] = []
    for i in order.tolist():
        docs.extend(parse(files[i]))
        if len(docs) >= max_docs:
            break
    docs = docs[:max_docs]
    _TEXT_CACHE[key] = docs
    return list(docs)


_APOSTROPHES = re.compile("['\u2019]")
_TOKEN = re.compile(r"[^\W]+")


def tokenize_simple(text: str) -> list[str]:
    """Lower-cased word runs with apostrophes dropped, like ``collapse_guard.text.tokenize``."""
    return _TOKEN.findall(_APOSTROPHES.sub("", text.lower()))


def normalise_texts(docs: Iterable[str]) -> list[str]:
    """Lower-cased word tokens joined by single spaces (the form ``NgramLM`` emits)."""
    return [" ".join(tokenize_simple(d)) for d in docs]


# --------------------------------------------------------------------------- splits


def disjoint_split(data: T, sizes: Sequence[int], rng: np.random.Generator) -> list[T]:
    """Disjoint random parts of ``data`` with the given sizes (capped, in order, at what is left)."""
    total = len(data)
    perm = rng.permutation(total)
    parts: list[Any] = []
    start = 0
    for size in sizes:
        stop = min(total, start + int(size))
        idx = np.sort(perm[start:stop])
        if isinstance(data, pd.DataFrame):
            parts.append(data.iloc[idx].reset_index(drop=True))
        elif isinstance(data, np.ndarray):
            parts.append(data[idx])
        else:
            parts.append([data[i] for i in idx.tolist()])
        start = stop
    return parts


# --------------------------------------------------------------------------- collapse generators


def _as_2d(prev: np.ndarray) -> tuple[np.ndarray, bool]:
    arr = np.asarray(prev, dtype=float)
    return (arr[:, None], True) if arr.ndim == 1 else (arr, False)


def refit_gaussian(prev: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Fit a normal (mean, unbiased covariance) to ``prev`` and draw ``n`` rows."""
    x, flat = _as_2d(prev)
    mean = x.mean(axis=0)
    cov = np.atleast_2d(np.cov(x, rowvar=False, ddof=1))
    out = rng.multivariate_normal(mean, cov, size=n, method="cholesky")
    return out[:, 0] if flat else out


def refit_gmm(prev: np.ndarray, n: int, rng: np.random.Generator, components: int = 3) -> np.ndarray:
    """Fit a Gaussian mixture (EM, full covariances) to ``prev`` and draw ``n`` rows."""
    from sklearn.mixture import GaussianMixture  # type: ignore[import-untyped]

    x, flat = _as_2d(prev)
    seed = int(rng.integers(0, 2**31 - 1))
    gmm = GaussianMixture(n_components=components, covariance_type="full", random_state=seed)
    gmm.fit(x)
    # sklearn's sample() sorts rows by component; shuffle so that order carries no signal.
    draws, _ = gmm.sample(n)
    draws = draws[rng.permutation(n)]
    return draws[:, 0] if flat else draws


def refit_kde(prev: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Gaussian KDE with Scott's bandwidth fitted to ``prev``; draw ``n`` rows.

    Each draw is a random training point plus kernel noise, so every generation adds variance:
    this generator *widens* the distribution (DESIGN §5) rather than shrinking its tails.
    """
    x, flat = _as_2d(prev)
    m, d = x.shape
    factor = m ** (-1.0 / (d + 4))  # Scott's rule
    cov = np.atleast_2d(np.cov(x, rowvar=False, ddof=1)) * factor**2
    centres = x[rng.integers(0, m, size=n)]
    noise = rng.multivariate_normal(np.zeros(d), cov, size=n, method="cholesky")
    out = centres + noise
    return out[:, 0] if flat else out


def resample(prev: Any, n: int, rng: np.random.Generator) -> Any:
    """Bootstrap ``n`` rows of the previous generation (arrays of any dtype, lists, DataFrames)."""
    idx = rng.integers(0, len(prev), size=n)
    if isinstance(prev, pd.DataFrame):
        return prev.iloc[idx].reset_index(drop=True)
    if isinstance(prev, np.ndarray):
        return prev[idx]
    return [prev[i] for i in idx.tolist()]


GENERATORS: dict[str, Callable[[Any, int, np.random.Generator], Any]] = {
    "gaussian_refit": refit_gaussian,
    "gmm_refit": refit_gmm,
    "kde_refit": refit_kde,
    "bootstrap": resample,
}


def recursive(
    generator: Callable[[Any, int, np.random.Generator], Any],
    gen0: Any,
    n: int,
    generations: int,
    rng: np.random.Generator,
) -> list[Any]:
    """Generations 1..``generations``: each is ``generator`` fitted on the previous one."""
    out = []
    prev = gen0
    for _ in range(generations):
        prev = generator(prev, n, rng)
        out.append(prev)
    return out


# --------------------------------------------------------------------------- n-gram LM


@dataclass
class _Table:
    """Next-token distributions for one context order, as CSR arrays sorted by context key."""

    keys: np.ndarray  # uint64 context keys, sorted, unique
    ptr: np.ndarray  # int64, len(keys) + 1
    nxt: np.ndarray  # int64 next-token ids, per context sorted by descending count
    cnt: np.ndarray  # float64 counts aligned with nxt


@dataclass
class NgramLM:
    """Word n-gram language model with backoff, sampled in parallel over documents.

    ``fit`` counts n-grams of lower-cased word tokens with ``<s>`` padding and a ``</s>`` end token.
    Sampling looks up the longest seen context (order-1 words, then shorter; unigram last), applies
    temperature, then top-k and/or nucleus (top-p) truncation to that context's next-token
    distribution, and draws. All documents advance one token per step with numpy kernels.
    """

    order: int = 3
    vocab: list[str] = field(default_factory=list)
    tables: list[_Table] = field(default_factory=list)  # index j: context of j words
    max_doc_tokens: int = 200

    BOS = 0
    EOS = 1

    def fit(self, docs: Iterable[str]) -> NgramLM:
        index: dict[str, int] = {"<s>": 0, "</s>": 1}
        ids: list[int] = []
        lengths: list[int] = []
        for doc in docs:
            toks = tokenize_simple(doc)
            if not toks:
                continue
            ids.extend(index.setdefault(t, len(index)) for t in toks)
            ids.append(self.EOS)
            lengths.append(len(toks))
        if not lengths:
            raise ValueError("NgramLM.fit: no tokens in the training documents")
        self.vocab = list(index)
        self.max_doc_tokens = int(np.percentile(lengths, 99.9)) + 1
        seq = np.asarray(ids, dtype=np.int64)
        ends = np.cumsum(np.asarray(lengths) + 1)
        starts = np.concatenate([[0], ends[:-1]])
        # Position of each token within its document, to pad contexts with <s>.
        pos = np.arange(len(seq)) - np.repeat(starts, np.asarray(lengths) + 1)
        v = np.uint64(len(self.vocab))
        self.tables = []
        for ctx_len in range(self.order):
            key = np.zeros(len(seq), dtype=np.uint64)
            for back in range(ctx_len, 0, -1):
                prev = np.empty(len(seq), dtype=np.int64)
                prev[back:] = seq[:-back]
                prev[:back] = self.BOS
                prev[pos < back] = self.BOS
                key = key * v + prev.astype(np.uint64)
            self.tables.append(_build_table(key, seq))
        return self

    def sample(
        self,
        n_docs: int,
        rng: np.random.Generator,
        top_k: int | None = None,
        top_p: float | None = None,
        temperature: float = 1.0,
        max_tokens: int | None = None,
    ) -> list[str]:
        """Draw ``n_docs`` documents (tokens joined by spaces)."""
        if not self.tables:
            raise ValueError("NgramLM.sample: call fit() first")
        limit = int(max_tokens or self.max_doc_tokens)
        v = np.uint64(len(self.vocab))
        hist = np.full((n_docs, self.order - 1), self.BOS, dtype=np.int64)
        out = np.full((n_docs, limit), -1, dtype=np.int64)
        alive = np.ones(n_docs, dtype=bool)
        prepared = [_truncate(t, top_k, top_p, temperature) for t in self.tables]
        for step in range(limit):
            rows = np.flatnonzero(alive)
            if rows.size == 0:
                break
            choice = np.full(rows.size, -1, dtype=np.int64)
            pending = np.ones(rows.size, dtype=bool)
            for ctx_len in range(self.order - 1, -1, -1):
                if not pending.any():
                    break
                table = prepared[ctx_len]
                sel = np.flatnonzero(pending)
                key = np.zeros(sel.size, dtype=np.uint64)
                for j in range(self.order - 1 - ctx_len, self.order - 1):
                    key = key * v + hist[rows[sel], j].astype(np.uint64)
                if ctx_len == 0:
                    found = np.zeros(sel.size, dtype=np.int64)
                    ok = np.ones(sel.size, dtype=bool)
                else:
                    found = np.searchsorted(table.keys, key)
                    found = np.minimum(found, len(table.keys) - 1)
                    ok = table.keys[found] == key
                if not ok.any():
                    continue
                ctx = found[ok]
                # Global cumulative trick: row r's cumulative probs live in (r, r+1].
                u = rng.random(ctx.size)
                at = np.searchsorted(table.cnt, ctx + u, side="left")
                at = np.clip(at, table.ptr[ctx], table.ptr[ctx + 1] - 1)
                choice[sel[ok]] = table.nxt[at]
                pending[sel[ok]] = False
            if step == 0:
                choice[choice == self.EOS] = self.BOS  # never an empty doc; resample below
                bad = choice == self.BOS
                if bad.any():
                    uni = prepared[0]
                    u = rng.random(int(bad.sum()))
                    at = np.clip(np.searchsorted(uni.cnt, u), 0, len(uni.nxt) - 1)
                    choice[bad] = np.where(uni.nxt[at] == self.EOS, 2, uni.nxt[at])
            out[rows, step] = choice
            ended = choice == self.EOS
            alive[rows[ended]] = False
            if self.order > 1:
                hist[rows] = np.concatenate([hist[rows, 1:], choice[:, None]], axis=1)
        vocab = np.asarray(self.vocab, dtype=object)
        docs = []
        for row in out:
            toks = row[(row >= 2)]
            stop = np.flatnonzero(row == self.EOS)
            if stop.size:
                toks = row[: stop[0]]
                toks = toks[toks >= 2]
            docs.append(" ".join(vocab[toks]))
        return docs


def _build_table(key: np.ndarray, nxt: np.ndarray) -> _Table:
    pair = np.stack([key, nxt.astype(np.uint64)], axis=1)
    uniq, counts = np.unique(pair, axis=0, return_counts=True)
    ctx = uniq[:, 0]
    tok = uniq[:, 1].astype(np.int64)
    # Within each context sort by descending count so that top-k is a prefix.
    order = np.lexsort((-counts, ctx))
    ctx, tok, counts = ctx[order], tok[order], counts[order].astype(float)
    keys, first = np.unique(ctx, return_index=True)
    ptr = np.append(first, len(ctx)).astype(np.int64)
    return _Table(keys=keys, ptr=ptr, nxt=tok, cnt=counts)


def _truncate(table: _Table, top_k: int | None, top_p: float | None, temperature: float) -> _Table:
    """Apply temperature, top-k and nucleus truncation; store per-row cumulative probs + row."""
    n_ctx = len(table.keys)
    row = np.repeat(np.arange(n_ctx), np.diff(table.ptr))
    rank = np.arange(len(table.nxt)) - table.ptr[row]
    weight = table.cnt ** (1.0 / max(temperature, 1e-6))
    keep = np.ones(len(weight), dtype=bool)
    if top_k is not None:
        keep &= rank < int(top_k)
    weight = np.where(keep, weight, 0.0)
    totals = np.bincount(row, weights=weight, minlength=n_ctx)
    prob = weight / totals[row]
    if top_p is not None:
        cum = _segment_cumsum(prob, table.ptr)
        # Keep the smallest prefix whose mass reaches top_p (the first token always stays).
        keep &= (cum - prob) < float(top_p)
        weight = np.where(keep, weight, 0.0)
        totals = np.bincount(row, weights=weight, minlength=n_ctx)
        prob = weight / totals[row]
    cum = _segment_cumsum(prob, table.ptr)
    cum = np.minimum(cum, 1.0)
    # Dropped tokens repeat the previous cumulative value and can never be chosen by
    # searchsorted(side="left") except at an exact tie, which has probability zero.
    return _Table(keys=table.keys, ptr=table.ptr, nxt=table.nxt, cnt=row + cum)


def _segment_cumsum(values: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    total = np.cumsum(values)
    starts = ptr[:-1]
    before = np.concatenate([[0.0], total])[starts]
    row = np.repeat(np.arange(len(starts)), np.diff(ptr))
    return total - before[row]


def recursive_text(
    docs: Sequence[str],
    n_docs: int,
    generations: int,
    rng: np.random.Generator,
    order: int = 3,
    top_k: int | None = None,
    top_p: float | None = None,
    temperature: float = 1.0,
) -> list[list[str]]:
    """Generations 1..G of text: each an ``NgramLM`` trained on the previous generation."""
    out = []
    prev = list(docs)
    for _ in range(generations):
        lm = NgramLM(order=order).fit(prev)
        prev = lm.sample(n_docs, rng, top_k=top_k, top_p=top_p, temperature=temperature)
        out.append(prev)
    return out


# --------------------------------------------------------------------------- perturbations


def thin_tail(
    batch: np.ndarray,
    reference: np.ndarray,
    q: float,
    keep: float,
    rng: np.random.Generator,
    upper: bool = True,
) -> np.ndarray:
    """Keep only a share ``keep`` of batch values beyond the reference quantile ``q``.

    The removed values are replaced by draws from the batch's own values inside the threshold,
    so the batch size is unchanged and only the tail mass moves (``keep=0.5`` halves the tail).
    """
    x = np.asarray(batch, dtype=float).copy()
    t = float(np.quantile(np.asarray(reference, dtype=float), q))
    beyond = x > t if upper else x < t
    idx = np.flatnonzero(beyond)
    drop = idx[rng.random(idx.size) >= keep]
    inside = x[~beyond]
    if drop.size and inside.size:
        x[drop] = rng.choice(inside, size=drop.size)
    return x


def drop_categories(batch: np.ndarray, categories: Iterable[Any], rng: np.random.Generator) -> np.ndarray:
    """Replace every batch value in ``categories`` by a draw from the batch's other values."""
    x = np.asarray(batch, dtype=object).copy()
    gone = np.isin(x, np.asarray(list(categories), dtype=object))
    rest = x[~gone]
    if gone.any() and rest.size:
        x[gone] = rng.choice(rest, size=int(gone.sum()))
    return x


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class CaseResult:
    """Outcome of one benchmark case."""

    status: str  # worst status among the selected checks' findings (pass/warn/fail)
    warn: bool  # warn or fail
    fail: bool
    insufficient: bool  # every finding of the selected checks was insufficient-data
    seconds: float
    findings: tuple[dict[str, Any], ...]  # the selected checks' findings, as in the JSON report


_REFERENCE_CACHE: dict[int, Any] = {}


def evaluate(
    reference_df: pd.DataFrame,
    batch_df: pd.DataFrame,
    checks: Sequence[str] | None = None,
    seed: int = 0,
    reference_profile: Any = None,
) -> CaseResult:
    """Check ``batch_df`` against ``reference_df`` through the public API.

    ``checks`` restricts the run (and the returned status) to those check names; None runs every
    default check. Pass ``reference_profile`` (from ``collapse_guard.profile``) to reuse one
    reference across many batches. Time covers profiling the batch and checking only.
    """
    import collapse_guard as cg

    ref = reference_profile if reference_profile is not None else cg.profile(reference_df)
    start = time.perf_counter()
    kwargs: dict[str, Any] = {}
    if checks is not None:
        kwargs["select"] = list(checks)
    report = cg.check(batch_df, ref, **kwargs)
    seconds = time.perf_counter() - start
    found = [f.to_dict() for f in report.findings if checks is None or f.check in set(checks)]
    statuses = {f["status"] for f in found}
    fail = "fail" in statuses or "error" in statuses
    warn = fail or "warn" in statuses
    status = "fail" if fail else "warn" if warn else "pass"
    insufficient = bool(found) and statuses == {"insufficient-data"}
    return CaseResult(status, warn, fail, insufficient, seconds, tuple(found))


def rate_table(rows: Sequence[dict[str, Any]], by: Sequence[str], title: str = "") -> str:
    """Markdown table of run counts and warn/fail rates (%) grouped by the ``by`` keys."""
    if not rows:
        return f"{title}\n\n(no runs)\n" if title else "(no runs)\n"
    frame = pd.DataFrame(list(rows))
    for key in by:
        if key not in frame:
            frame[key] = ""
    frame["insufficient"] = frame.get("insufficient", False)
    grouped = frame.groupby(list(by), dropna=False, sort=True)
    lines = []
    if title:
        lines += [title, ""]
    lines.append("| " + " | ".join(by) + " | runs | warn or fail | fail | insufficient |")
    lines.append("|" + "---|" * (len(by) + 4))
    for group_key, group in grouped:
        keys = group_key if isinstance(group_key, tuple) else (group_key,)
        cells = [str(k) for k in keys]
        n = len(group)
        cells += [
            str(n),
            f"{100 * group['warn'].mean():.1f}%",
            f"{100 * group['fail'].mean():.1f}%",
            f"{100 * group['insufficient'].astype(bool).mean():.1f}%",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- realistic tables

REGIONS = ("north", "south", "east", "west", "central", "coast", "mountain", "islands")
# log-income offset per region: richer cities first (the biggest regions are not the richest)
_REGION_INCOME = np.array([0.05, -0.15, 0.25, 0.1, -0.05, 0.3, -0.3, -0.2])
PLANS = ("basic", "plus", "premium")


def human_records(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """A customer table with the structure real tables have and parametric generators miss.

    Columns (generated in this order, each depending on the earlier ones):

    ``age``
        whole years, 18 + gamma (right-skewed, median about 35), top-coded at 90 as surveys do.
    ``region``
        8 regions with Zipf frequencies.
    ``income``
        yearly, rounded to 100; log-income rises then falls with age (peak in the fifties) and
        shifts by region; 6% zeros (students and the unemployed, more of them under 25).
    ``plan``
        basic / plus / premium, set by income bands (< 25,000, < 70,000, above) for 90% of
        customers and at random for the rest: a category that is a step function of a number.
    ``spend``
        monthly, in cents; grows like the square root of income, is higher on premium, and moves
        with age non-monotonically (a mid-life bump); lognormal noise.
    ``orders``
        count in the last year, negative binomial with a mean proportional to spend.
    """
    age = np.minimum(18 + np.floor(rng.gamma(2.0, 9.0, n)), 90).astype(float)
    region_idx = rng.choice(len(REGIONS), size=n, p=zipf_probs(len(REGIONS), 1.2))
    a = (age - 18) / 10
    log_income = 9.9 + 0.5 * a - 0.07 * a**2 + _REGION_INCOME[region_idx] + rng.normal(0, 0.5, n)
    income = np.round(np.exp(log_income), -2)
    jobless = rng.random(n) < np.where(age < 25, 0.15, 0.04)
    income[jobless] = 0.0
    band = np.digitize(income, [25_000, 70_000])
    noisy = rng.random(n) < 0.1
    band = np.where(noisy, rng.integers(0, 3, n), band)
    plan = np.asarray(PLANS, dtype=object)[band]
    base = 12 + 0.45 * np.sqrt(income) + 25 * (band == 2)
    life = 1 + 0.35 * np.exp(-(((age - 42) / 8) ** 2))  # spend peaks around 42
    spend = np.round(base * life * rng.lognormal(0, 0.3, n), 2)
    mean_orders = 0.3 + spend / 30
    orders = rng.negative_binomial(3, 3 / (3 + mean_orders)).astype(float)
    return pd.DataFrame(
        {
            "age": age,
            "region": np.asarray(REGIONS, dtype=object)[region_idx],
            "income": income,
            "plan": plan,
            "spend": spend,
            "orders": orders,
        }
    )


def _decimals(values: np.ndarray) -> int:
    """The observed precision of a column: the largest k in [-6, 6] such that every value is a
    multiple of 10**-k (-2 for rounding to hundreds, 2 for cents; 6 if none fits)."""
    v = values[np.isfinite(values)]
    for k in range(-6, 7):
        scaled = v * 10.0**k
        if np.all(np.abs(scaled - np.round(scaled)) < 1e-6 * np.maximum(1.0, np.abs(scaled))):
            return k
    return 6


def _finish_like(fake: dict[str, np.ndarray], train: pd.DataFrame, numeric: list[str]) -> pd.DataFrame:
    """What default synthesizers do last (SDV's ``enforce_rounding`` and ``enforce_min_max_values``):
    round every numeric column to the precision seen in training and clip it to the training range."""
    for c in numeric:
        x = train[c].to_numpy(dtype=float)
        out = np.clip(fake[c], np.nanmin(x), np.nanmax(x))
        fake[c] = np.round(out, _decimals(x))
    return pd.DataFrame(fake)[list(train.columns)]


def _is_numeric(frame: pd.DataFrame, c: str) -> bool:
    return bool(pd.api.types.is_numeric_dtype(frame[c]))


def sdv_gaussian_copula(train: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """A Gaussian copula synthesizer that behaves like SDV's ``GaussianCopulaSynthesizer`` defaults.

    * numeric margins: a beta distribution on the observed range (SDV's default distribution);
    * categorical columns enter the copula as SDV encodes them: each category owns an interval of
      [0, 1] as wide as its frequency, a row gets a uniform draw inside its category's interval,
      and that draw's normal score joins the correlation matrix; sampling maps back by interval;
    * the correlation of the normal scores is the copula; draws are mapped back through the
      margins, then rounded to each column's observed precision and clipped to its observed range.
    """
    from scipy import stats

    cols = list(train.columns)
    numeric = [c for c in cols if _is_numeric(train, c)]
    m = len(train)
    z = np.empty((m, len(cols)))
    margins: dict[str, Any] = {}
    for j, c in enumerate(cols):
        if c in numeric:
            x = train[c].to_numpy(dtype=float)
            lo, hi = float(x.min()), float(x.max())
            pad = 1e-3 * (hi - lo or 1.0)
            loc, scale = lo - pad, hi - lo + 2 * pad
            a, b, _, _ = stats.beta.fit(x, floc=loc, fscale=scale)
            margins[c] = stats.beta(a, b, loc=loc, scale=scale)
            u = margins[c].cdf(x)
        else:
            freq = train[c].astype(str).value_counts(normalize=True)  # most frequent first
            upper = np.cumsum(freq.to_numpy())
            lower = upper - freq.to_numpy()
            pos = freq.index.get_indexer(train[c].astype(str))
            u = lower[pos] + rng.random(m) * (upper[pos] - lower[pos])
            margins[c] = (freq.index.to_numpy(), upper)
        z[:, j] = stats.norm.ppf(np.clip(u, 1e-6, 1 - 1e-6))
    corr = np.corrcoef(z.T)
    u = stats.norm.cdf(rng.multivariate_normal(np.zeros(len(cols)), corr, n, method="eigh"))
    fake: dict[str, np.ndarray] = {}
    for j, c in enumerate(cols):
        if c in numeric:
            fake[c] = margins[c].ppf(u[:, j])
        else:
            labels, upper = margins[c]
            fake[c] = labels[np.minimum(np.searchsorted(upper, u[:, j]), len(labels) - 1)]
    return _finish_like(fake, train, numeric)


def sdv_gmm(train: pd.DataFrame, n: int, rng: np.random.Generator, components: int = 10) -> pd.DataFrame:
    """A Gaussian-mixture synthesizer over all columns at once, categories included.

    Numeric columns are standardised; each categorical column becomes a one-hot block, so the
    mixture draws categories jointly with the numbers (each component has its own category mix).
    10 full-covariance components, as many as CTGAN's mode-specific normaliser allows per column.
    A draw's category is the largest entry of its block; numbers are rounded to the observed
    precision and clipped to the observed range.
    """
    from sklearn.mixture import GaussianMixture  # type: ignore[import-untyped]

    cols = list(train.columns)
    numeric = [c for c in cols if _is_numeric(train, c)]
    blocks: list[np.ndarray] = []
    layout: list[tuple[str, Any]] = []
    for c in cols:
        if c in numeric:
            x = train[c].to_numpy(dtype=float)
            mu, sd = float(x.mean()), float(x.std() or 1.0)
            blocks.append(((x - mu) / sd)[:, None])
            layout.append((c, (mu, sd)))
        else:
            levels = np.array(sorted(train[c].astype(str).unique()), dtype=object)
            onehot = (train[c].astype(str).to_numpy()[:, None] == levels[None, :]).astype(float)
            blocks.append(onehot)
            layout.append((c, levels))
    x_all = np.hstack(blocks)
    seed = int(rng.integers(0, 2**31 - 1))
    gmm = GaussianMixture(components, covariance_type="full", reg_covar=1e-3, random_state=seed)
    gmm.fit(x_all)
    draws, _ = gmm.sample(n)
    draws = draws[rng.permutation(n)]  # sample() groups rows by component
    fake: dict[str, np.ndarray] = {}
    at = 0
    for c, info in layout:
        if c in numeric:
            mu, sd = info
            fake[c] = draws[:, at] * sd + mu
            at += 1
        else:
            width = len(info)
            fake[c] = info[np.argmax(draws[:, at : at + width], axis=1)]
            at += width
    return _finish_like(fake, train, numeric)


def case_row(
    topic: str,
    case: str,
    source: str,
    generator: str,
    generation: int,
    size: int,
    rows: int,
    rep: int,
    res: CaseResult,
    **extra: Any,
) -> dict[str, Any]:
    """One benchmark result row: the case, its parameters, the report's statuses and what flagged."""
    flagged = sorted(
        {f"{f['column']}:{f['metric']}" for f in res.findings if f["status"] in ("warn", "fail")}
    )
    return {
        "topic": topic,
        "case": case,
        "source": source,
        "generator": generator,
        "generation": generation,
        "size": size,
        "rows": rows,
        "rep": rep,
        "status": res.status,
        "warn": res.warn,
        "fail": res.fail,
        "insufficient": res.insufficient,
        "seconds": res.seconds,
        "flagged": ";".join(flagged),
        **extra,
    }
