"""Gradient-boosted oblivious trees for binary classification, in numpy.

One job: the two-sample classifiers of the synthetic-contamination check (``stats.mpe``, the text
mixture) need a flexible classifier on a few thousand rows and a dozen features, trained a handful
of times per check. scikit-learn's ``HistGradientBoostingClassifier`` did this, but importing it
costs about 0.75 s and 80 MiB (it pulls in ``scipy.stats``), more than the whole check is allowed.

Design
------
* **Binning.** Each feature is cut once per fit into at most ``max_bins - 1`` bins (127 by
  default): every distinct value its own bin when there are no more, else quantiles of the
  training rows. Missing values take the last bin. Rows become ``uint8`` codes, the trees only
  ever see codes, and new rows are binned with the training edges. 127 bins keep whole-number
  columns such as ages at one value per bin (with 63, detection of 10% Gaussian-mixture rows in
  the benchmark's realistic table fell from 86% to 81% when the check's classifiers were re-run on
  the inputs of 80 benchmark runs; scikit-learn: 86%). A rare class in a narrow range needs more:
  the text mixture (8 human documents per machine one) uses 255 bins, as scikit-learn does.
* **Oblivious (symmetric) trees** of ``depth`` levels, as in CatBoost (Prokhorenkova et al. 2018):
  one ``(feature, bin subset)`` per level, shared by every node of that level, so a tree is
  ``2 ** depth`` leaves addressed by ``depth`` bits. That is what makes them cheap in numpy: the
  gradient, hessian and row-count histograms of *all* nodes of a level come from one
  ``np.add.at`` per feature and one ``np.bincount`` over ``(node, feature, bin)`` (for the
  smaller child of each node; the larger one is parent minus smaller, LightGBM's subtraction
  trick), the best split is one vectorised scan of those histograms, and prediction is ``depth``
  table look-ups per tree. A leaf-wise tree (scikit-learn's) needs a histogram and a scan per
  node, Python overhead that numpy cannot batch. A depth-wise tree (its own split at every node,
  same histograms) took 45% longer per fit; it learned more per level, but one more level of an
  oblivious tree did as well. Depth 3 (8 leaves) reaches the held-out AUC of scikit-learn's 8-leaf
  trees on the check's tables and on the test problems (``tests/test_stats_boosting.py``); the
  text mixture uses depth 4.
* **Splits.** Numeric features split at a bin threshold, missing values going to whichever side
  gains more. Categorical features (small integer codes, ``categorical`` mask) are ordered at each
  level by the gradient-to-hessian ratio of every category summed over the level's nodes, and
  split at a prefix of that order (for one node the best binary partition is such a prefix,
  Fisher 1958; at the first tree's root it is the order of the smoothed target rates) or as one
  category against the rest. Re-ordered at every level, the order follows what the trees have not
  explained yet rather than the raw target rate. Every split is stored as a table over bins, so
  prediction treats numeric and categorical features alike; categories never seen in training
  count as missing.
* **Loss.** Logistic loss, Newton steps: a leaf's value is ``-G / (H + l2_regularization)`` times
  the learning rate, and a split's gain ``G_L^2/(H_L+l2) + G_R^2/(H_R+l2) - G^2/(H+l2)``, summed
  over the level's nodes (Chen & Guestrin 2016). ``min_samples_leaf`` holds per node: a node
  whose chosen split would leave a child with fewer rows does not split (its gain is not counted)
  and its rows keep its value.
* **Deterministic.** No sampling, no threads, no BLAS: the same data give the same model bit for
  bit under any thread limit, with a given numpy (numpy versions may round a sum differently:
  predictions were seen to differ by 1e-14 between numpy 1.26 and 2.4).
* **Gradient and hessian as one complex number** ``g + ih``. Complex addition and subtraction act
  on the real and imaginary parts apart, so a histogram, cumulative sum or difference of these is
  bit for bit the two real ones, in one numpy pass instead of two (``np.add.at`` takes complex
  weights, where ``np.bincount`` does not, and sums in row order as it does). Only a complex sum
  along an array's contiguous axis pairs its terms differently from a real one, so node sums take
  the real and imaginary parts apart.

Speed: on synthetic tables the size of a fold of the tabular check (8,363 rows, 40 rounds,
``TABLE_GBT_PARAMS``) a fit plus a prediction of 4,137 rows takes about 36 ms with 10 numeric
features against 41 ms for scikit-learn with one thread (12 features, 2 of them categorical and 3
with missing values: 48 ms against 52 ms; 14 features with missing values: 53 ms against 56 ms);
scikit-learn's import alone costs 0.75 s, and a check makes four such fits. A fit holds the GIL
throughout: it is many small numpy calls.

References
----------
Chen, T. and Guestrin, C. "XGBoost: A Scalable Tree Boosting System", KDD 2016.
Prokhorenkova, L. et al. "CatBoost: unbiased boosting with categorical features", NeurIPS 2018.
Ke, G. et al. "LightGBM: A Highly Efficient Gradient Boosting Decision Tree", NeurIPS 2017.
Fisher, W. D. "On grouping for maximum homogeneity", JASA 53 (1958).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["BoostedTrees", "fit", "fit_predict"]


@dataclass(frozen=True, slots=True)
class _Bins:
    """Per-feature bin edges (numeric) or levels (categorical); missing values go to ``n_bins - 1``."""

    edges: tuple[np.ndarray, ...]
    categorical: np.ndarray
    n_bins: int

    def codes(self, x: np.ndarray) -> np.ndarray:
        out = np.empty(x.shape, dtype=np.uint8)
        missing = self.n_bins - 1
        for j, edges in enumerate(self.edges):
            # A row's code depends on its value alone, and searching is cheaper among sorted values:
            # each column is coded in sorted order and put back. (NaN-free sort keys: argsort is
            # several times slower with NaN.)
            keys = np.fmin(x[:, j], np.inf)
            order = np.argsort(keys)
            if self.categorical[j]:
                # levels are sorted distinct values; anything else (unseen, NaN) is "missing"
                col = x[order, j]
                pos = np.minimum(np.searchsorted(edges, col), max(edges.size - 1, 0))
                hit = edges[pos] == col if edges.size else np.zeros(col.size, bool)
                out[order, j] = np.where(hit, pos, missing)
            else:
                # bin k holds values in (edges[k - 1], edges[k]]: in sorted order, a run of rows
                # ending where the values pass edges[k]
                ends = np.searchsorted(keys[order], edges, side="right")
                runs = np.diff(ends, prepend=0, append=keys.size)
                out[order, j] = np.repeat(np.arange(edges.size + 1), runs)
                out[np.isnan(x[:, j]), j] = missing
        return out


def _make_bins(x: np.ndarray, categorical: np.ndarray, n_bins: int) -> _Bins:
    """Bin edges from the training rows: every distinct value its own bin when there are at most
    ``n_bins - 1``, else ``n_bins - 2`` quantiles."""
    edges = []
    cat = categorical.copy()
    for j in range(x.shape[1]):
        col = np.sort(x[:, j][~np.isnan(x[:, j])])
        distinct = col[np.r_[True, col[1:] != col[:-1]]] if col.size else col
        if cat[j] and distinct.size <= n_bins - 1:
            edges.append(distinct)
            continue
        cat[j] = False  # too many levels for a bin each: treat the codes as numbers
        if distinct.size <= n_bins - 1:
            # few values: one bin each, cut halfway between neighbours
            edges.append((distinct[:-1] + distinct[1:]) / 2.0)
        else:
            # quantiles; the ties of a point mass collapse into one edge
            q = np.unique(col[(np.arange(1, n_bins - 1) * col.size) // (n_bins - 1)])
            edges.append(q[:-1] if q[-1] == col[-1] else q)
    return _Bins(tuple(edges), cat, n_bins)


@dataclass(frozen=True, slots=True)
class BoostedTrees:
    """A fitted ensemble of oblivious trees (see the module docstring).

    Attributes
    ----------
    features
        ``(trees, depth)`` feature of every level.
    tables
        ``(trees, depth, bins)``: bit of a row at that level, by its bin code.
    values
        ``(trees, 2 ** depth)`` leaf values, learning rate included.
    init
        Starting log-odds (the training base rate's).
    """

    bins: _Bins
    features: np.ndarray
    tables: np.ndarray
    values: np.ndarray
    init: float

    def log_odds(self, x: np.ndarray) -> np.ndarray:
        """Log-odds of class 1 for the rows of ``x`` (same columns as the training matrix)."""
        # (features, rows): each tree level reads whole contiguous rows of this
        codes = np.ascontiguousarray(self.bins.codes(np.asarray(x, dtype=float)).T)
        n_trees, depth = self.features.shape
        n_bins, n_leaves = self.tables.shape[2], self.values.shape[1]
        # flat look-ups: tree t's bin table at a level starts at t * bins, its leaves at t * leaves
        bin_base = (np.arange(n_trees) * n_bins)[:, None]
        leaf_base = (np.arange(n_trees) * n_leaves)[:, None]
        out = np.empty(codes.shape[1])
        for start in range(0, codes.shape[1], 16_384):  # rows in chunks of a few MiB
            part = codes[:, start : start + 16_384]
            leaf = np.zeros((n_trees, part.shape[1]), dtype=np.intp)
            for level in range(depth):
                # every tree's bit for every row at this level
                slot = part.take(self.features[:, level], axis=0) + bin_base
                leaf = 2 * leaf + self.tables[:, level].ravel().take(slot)
            out[start : start + 16_384] = self.init + self.values.ravel().take(leaf + leaf_base).sum(axis=0)
        return out


def fit(
    x: np.ndarray,
    y: np.ndarray,
    *,
    categorical: np.ndarray | None = None,
    rounds: int = 60,
    learning_rate: float = 0.15,
    depth: int = 3,
    min_samples_leaf: int = 40,
    l2_regularization: float = 1.0,
    max_bins: int = 128,
) -> BoostedTrees:
    """Fit gradient-boosted oblivious trees with logistic loss.

    Parameters
    ----------
    x
        Training rows (rows x features), float; NaN allowed.
    y
        Labels, 0 or 1.
    categorical
        Boolean mask of columns holding category codes (small integers).
    rounds, learning_rate
        Number of trees and the shrinkage of each.
    depth
        Levels per tree (``2 ** depth`` leaves).
    min_samples_leaf
        Fewest training rows in a leaf.
    l2_regularization
        L2 penalty on leaf values (added to the hessian sum).
    max_bins
        Bins per feature, the missing-value bin included (3 to 256).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n, d = x.shape
    if y.shape != (n,):
        raise ValueError(f"y must have one label per row, got {y.shape} for {n} rows")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y must hold labels 0 and 1")
    if not 3 <= max_bins <= 256:  # at least two value bins and the missing bin
        raise ValueError(f"max_bins must be between 3 and 256, got {max_bins!r}")
    if depth < 1 or rounds < 0:
        raise ValueError(f"depth must be at least 1 and rounds at least 0, got {depth!r} and {rounds!r}")
    cat = np.zeros(d, bool) if categorical is None else np.asarray(categorical, dtype=bool)
    bins = _make_bins(x, cat, max_bins)
    # (feature, row): a level reads one feature; intp, which add.at, bincount and take would
    # otherwise convert them to every time
    codes = bins.codes(x).T.astype(np.intp, order="C")
    lam, m = float(l2_regularization), max(int(min_samples_leaf), 1)
    splits = _Splits.layout(bins.categorical, np.isnan(x).any(axis=0))
    # (feature, row) -> feature * bins + code: the row's histogram slot for that feature; a node
    # shifts it by node * width. One bincount over these counts every feature's rows at once.
    flat = codes + np.arange(d, dtype=np.intp)[:, None] * max_bins
    width = d * max_bins
    root_rows = np.bincount(flat.ravel(), None, width).reshape(d, max_bins)  # the same every round
    rate = float(np.clip(y.mean(), 1e-6, 1 - 1e-6)) if n else 0.5
    init = float(np.log(rate / (1.0 - rate)))
    raw = np.full(n, init)
    features = np.zeros((rounds, depth), dtype=np.intp)
    tables = np.zeros((rounds, depth, max_bins), dtype=bool)
    values = np.zeros((rounds, 1 << depth))
    gh = np.empty(n, dtype=complex)
    for t in range(rounds):
        p = 1.0 / (1.0 + np.exp(-np.clip(raw, -30.0, 30.0)))
        # gradient g and hessian h as one complex number g + ih (see the module docstring)
        np.subtract(p, y, out=gh.real)
        np.multiply(p, 1.0 - p, out=gh.imag)
        # hist[stat, node, feature, bin] with stat = g + ih, rows (whole numbers, imaginary part 0)
        hist = np.zeros((2, 1, d, max_bins), dtype=complex)
        for j in range(d):
            np.add.at(hist[0, 0, j], codes[j], gh)
        hist[1, 0] = root_rows
        node = np.zeros(n, dtype=np.intp)
        # valid[level][j]: node j of that level is a real node (every split above it kept
        # min_samples_leaf; the root always is); sums[level]: its g + ih sums
        valid = [np.ones(1, dtype=bool)]
        sums = []
        for level in range(depth):
            tot = _node_sums(hist)
            sums.append(tot[0])
            f, table, ok, children = splits.best(hist, tot, valid[-1], lam, m)
            features[t, level] = f
            tables[t, level] = table
            bit = table.take(codes[f])
            if level + 1 < depth:
                small_right = children[1, 1::2].real < children[1, 0::2].real
                hist = _child_histograms(hist, flat, node, bit, small_right, gh)
            node = 2 * node + bit
            valid.append(np.repeat(valid[-1] & ok, 2))
        sums.append(children[0])
        values[t] = learning_rate * _leaf_values(sums, valid, lam)
        raw += values[t][node]
    return BoostedTrees(bins, features, tables, values, init)


def _node_sums(hist: np.ndarray) -> np.ndarray:
    """Every node's ``(g + ih, rows)`` sums, shape ``(2, nodes)``, from its first feature's
    histogram (any feature's would do). The real and imaginary parts are summed apart, as numpy
    pairs the terms of a complex sum differently from those of a real one."""
    first = hist[:, :, 0]
    out = np.empty(first.shape[:2], dtype=complex)
    out.real = first.real.sum(axis=2)
    out.imag = first.imag.sum(axis=2)
    return out


def _child_histograms(
    hist: np.ndarray,
    flat: np.ndarray,
    node: np.ndarray,
    bit: np.ndarray,
    small_right: np.ndarray,
    gh: np.ndarray,
) -> np.ndarray:
    """Histograms of the next level: the smaller child of each node by add.at and bincount, the
    larger one as parent minus smaller (LightGBM's subtraction trick), so at most half the rows are
    read."""
    _, n_nodes, d, n_bins = hist.shape
    width = d * n_bins
    rows = np.flatnonzero(bit == small_right.take(node))
    # the smaller children are binned under their parent's index, then put in their place
    idx = np.take(flat, rows, axis=1, mode="wrap")  # in range anyway: "wrap" skips the checks
    if n_nodes > 1:
        idx += node[rows] * width
    small = np.zeros((2, n_nodes * width), dtype=complex)
    weights = gh[rows]
    for j in range(d):  # one call per feature, so the weights need not be repeated per feature
        np.add.at(small[0], idx[j], weights)
    small[1] = np.bincount(idx.ravel(), None, n_nodes * width)
    small = small.reshape(2, n_nodes, d, n_bins)
    out = np.empty((2, n_nodes, 2, d, n_bins), dtype=complex)
    parents = np.arange(n_nodes)
    right = small_right.astype(np.intp)
    out[:, parents, right] = small
    out[:, parents, 1 - right] = hist - small
    return out.reshape(2, 2 * n_nodes, d, n_bins)


def _as_slice(index: np.ndarray) -> np.ndarray | slice:
    """``index`` as a slice if it is a run of consecutive integers (as the numeric and the
    categorical columns of a table usually are): indexing with a slice takes a view, not a copy."""
    if index.size and index[-1] - index[0] == index.size - 1:
        return slice(int(index[0]), int(index[-1]) + 1)
    return index


@dataclass(frozen=True, slots=True)
class _Splits:
    """Candidate splits, as blocks of ``bins - 1`` candidates per feature.

    ``kind`` per block row: 0 threshold with missing values right, 1 threshold with missing values
    left (only features that had missing values), 2 prefix of the categories ordered by gradient
    ratio, 3 one category against the rest. ``feature`` is the row's feature and ``ends`` the
    first row after the kinds 0, 1 and 2; ``missing_row`` is the kind-0 row of each kind-1 row.
    """

    kind: np.ndarray
    feature: np.ndarray
    ends: tuple[int, int, int]
    numeric: np.ndarray | slice
    missing: np.ndarray | slice
    missing_row: np.ndarray | slice
    categorical: np.ndarray | slice

    @staticmethod
    def layout(categorical: np.ndarray, has_missing: np.ndarray) -> _Splits:
        numeric = np.flatnonzero(~categorical)
        missing = np.flatnonzero(~categorical & has_missing)
        cat = np.flatnonzero(categorical)
        sizes = [numeric.size, missing.size, cat.size, cat.size]
        kind = np.repeat(np.arange(4), sizes)
        ends = (sizes[0], sizes[0] + sizes[1], sizes[0] + sizes[1] + sizes[2])
        feature = np.r_[numeric, missing, cat, cat]
        missing_row = np.searchsorted(numeric, missing)
        blocks = [_as_slice(i) for i in (numeric, missing, missing_row, cat)]
        return _Splits(kind, feature, ends, *blocks)

    def best(
        self, hist: np.ndarray, tot: np.ndarray, valid: np.ndarray, lam: float, m: int
    ) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
        """The level's best split: feature, bin table (True = right child), per node whether it
        may split, and the children's ``(g + ih, rows)`` sums, shape ``(2, 2 * nodes)``.

        ``tot`` holds the nodes' sums, shape ``(2, nodes)``. The gain of a split is summed over the
        level's real nodes that keep ``m`` rows on each side.
        """
        _, n_nodes, _, n_bins = hist.shape
        half = n_bins - 1  # bins 0..half-1 are values (ordered for numeric features), half is missing
        numeric_end, missing_end, prefix_end = self.ends
        # Sums of every candidate split, (sum, node, block row, threshold) with sum = g + ih left
        # of the split, g + ih right of it, rows left of it: the two g + ih side by side for the
        # gain, the left sums in hist's stat order. Those are written block by block (the prefix
        # of a cumulative sum is the cumulative sum of the prefix).
        cand = np.empty((3, n_nodes, self.kind.size, half), dtype=complex)
        left = cand[::2]
        np.cumsum(hist[:, :, self.numeric, :half], axis=3, out=left[:, :, :numeric_end])
        if missing_end > numeric_end:
            # the threshold's left sums plus the missing values
            np.add(
                left[:, :, self.missing_row],
                hist[:, :, self.missing, half:],
                out=left[:, :, numeric_end:missing_end],
            )
        order = None
        n_cat = self.kind.size - prefix_end  # rows of kind 3: one per categorical feature
        if n_cat:
            # Categories ordered by the level's gradient ratio over its real nodes: for one node the
            # best binary partition is a prefix of this order (Fisher 1958), as in LightGBM.
            sub = hist[:, :, self.categorical]
            level = np.where(valid[:, None, None], sub[0], 0.0).sum(axis=0)
            order = np.argsort(level.real / (level.imag + lam), axis=1, kind="stable")
            ordered = sub[:, :, np.arange(n_cat)[:, None], order[:, :half]]
            np.cumsum(ordered, axis=3, out=left[:, :, missing_end:prefix_end])
            left[:, :, prefix_end:] = sub[..., :half]
        cand = cand.reshape(3, n_nodes, -1)
        left, sides = cand[::2], cand[:2]
        np.subtract(tot[0][:, None], cand[0], out=cand[1])
        # Row counts are whole numbers, so a left count within [m, rows - m] is exactly a right
        # count of at least m; a node that is not real gets an empty range.
        low = np.where(valid, float(m), np.inf)[:, None]
        left_rows = cand[2].real
        ok = left_rows >= low
        ok &= left_rows <= tot[1].real[:, None] - low
        score = np.square(sides.real)
        score /= sides.imag + lam
        gain = np.add(score[0], score[1], out=score[0])
        gain -= (tot[0].real ** 2 / (tot[0].imag + lam))[:, None]
        # a candidate that no node may take sums to 0 and cannot pass the threshold below
        total = np.where(ok, gain, 0.0).sum(axis=0)
        c = int(np.argmax(total))
        table = np.zeros(n_bins, bool)
        children = np.zeros((2, n_nodes, 2), dtype=complex)  # np.stack costs more here
        if not total[c] > 1e-12:
            # nothing worth splitting: every row goes left and no node counts as split
            children[:, :, 0] = tot
            return 0, table, np.zeros(n_nodes, bool), children.reshape(2, -1)
        row, k = divmod(c, half)
        kind, f = int(self.kind[row]), int(self.feature[row])
        if kind <= 1:
            table[k + 1 : half] = True  # bins above the threshold go right
            table[half] = kind == 0  # and missing values as chosen
        elif kind == 2:
            assert order is not None
            table[order[row - missing_end, k + 1 :]] = True  # the first k+1 stay left
        else:
            table[:] = True
            table[k] = False  # category k alone goes left
        children[:, :, 0] = left[:, :, c]
        np.subtract(tot, children[:, :, 0], out=children[:, :, 1])
        return f, table, ok[:, c], children.reshape(2, -1)


def _leaf_values(sums: list[np.ndarray], valid: list[np.ndarray], lam: float) -> np.ndarray:
    """Newton value ``-G / (H + lam)`` of every leaf from its ``G + iH``; a leaf that is not a real
    node takes that of its deepest real ancestor (the node that could not split keeps its value for
    all its rows)."""
    out = np.zeros(1)
    for level, (node_sums, real) in enumerate(zip(sums, valid, strict=True)):
        # level by level from the root: a node's own value, or its parent's if it is not real
        inherited = np.repeat(out, 2) if level else out
        out = np.where(real, -node_sums.real / (node_sums.imag + lam), inherited)
    return out


def fit_predict(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_tests: Sequence[np.ndarray],
    *,
    categorical: np.ndarray | None = None,
    params: Mapping[str, float] | None = None,
) -> list[np.ndarray]:
    """Fit on ``x_train`` and return the log-odds of class 1 for each matrix in ``x_tests``.

    ``params`` holds :func:`fit`'s keywords (``rounds``, ``learning_rate``, ``depth``,
    ``min_samples_leaf``, ``l2_regularization``, ``max_bins``); missing ones take its defaults.
    """
    settings: dict[str, Any] = dict(params or {})
    model = fit(x_train, y_train, categorical=categorical, **settings)
    return [model.log_odds(xt) for xt in x_tests]
