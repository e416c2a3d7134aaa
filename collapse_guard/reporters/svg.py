"""Inline SVG plots for the HTML report, drawn in plain Python.

No JavaScript and no plotting library: each function turns one ``evidence["plot"]`` shape into a
small, self-contained ``<svg>`` string (colours as attributes, so the picture survives being cut out
of the page) plus a one-line caption that says in words what the picture shows. Every function
validates its input and returns None for a shape it cannot draw; the report then simply has no
picture for that finding.

Colours are from the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies)
and reference and batch also differ by line style and fill, so the plots read in greyscale too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np

from ..checks.formatting import num_pair

REF = "#0072B2"
BATCH = "#D55E00"
INK = "#1f2328"
MUTED = "#57606a"
GRID = "#e6e8eb"
ZONE = {"pass": "#c9ecd2", "warn": "#fde7a9", "fail": "#ffc9c2"}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Liberation Sans', 'DejaVu Sans', sans-serif"

#: Bars drawn at most in a "bars" plot; the rest are summarised in the caption.
MAX_BARS = 24
_LOGIT_EPS = 1e-4
_MAX_ABS = 1e150


@dataclass(frozen=True, slots=True)
class Plot:
    """A rendered plot: the ``<svg>`` element and a caption in words (both HTML-safe)."""

    svg: str
    caption: str


def esc(value: object) -> str:
    """Escape any value for HTML text or a double-quoted attribute."""
    return escape(str(value), quote=True)


def fmt_num(x: float | None, digits: int = 4) -> str:
    """Format a number for people: thousands separators, ``digits`` significant digits."""
    if x is None:
        return "–"
    try:
        x = float(x)
    except (TypeError, ValueError, OverflowError):
        # a third-party check may put anything here; show it rather than fail the report
        return str(x)
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    ax = abs(x)
    if (x.is_integer() or ax >= 10**digits) and ax < 1e9:
        return f"{round(x):,}".replace("-", "−")
    if ax >= 1e9 or ax < 1e-4:
        text = f"{x:.{max(digits - 2, 1)}e}"
        mant, _, exp = text.partition("e")
        mant = mant.rstrip("0").rstrip(".") if "." in mant else mant
        return f"{mant}e{int(exp)}".replace("-", "−")
    return f"{x:,.{digits}g}".replace("-", "−")


def fmt_share(x: float) -> str:
    """Format a share in [0, 1] as a percentage with sensible precision."""
    pct = 100.0 * x
    if pct == 0:
        return "0%"
    if abs(pct) < 0.1:
        return f"{pct:.2g}%"
    if abs(pct) < 10:
        return f"{pct:.1f}%".replace(".0%", "%")
    return f"{pct:.0f}%"


def _floats(value: object, size: int | None = None) -> np.ndarray | None:
    """A 1-D float array from a JSON-ish sequence, or None when it is not one."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (Sequence, np.ndarray)):
        return None
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        return None
    if arr.ndim != 1 or arr.size == 0 or (size is not None and arr.size != size):
        return None
    # beyond this, spans of coordinates overflow; no honest plot needs such values
    if (np.abs(arr[np.isfinite(arr)]) > _MAX_ABS).any():
        return None
    return arr


def _scalar(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    out = float(value)
    return out if math.isfinite(out) and abs(out) <= _MAX_ABS else None


def _text(value: object, default: str) -> str:
    return value if isinstance(value, str) and value.strip() else default


# --- axes -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Axis:
    """Maps data values on ``[lo, hi]`` to pixels on ``[px0, px1]`` (linear, log10 or logit)."""

    kind: str
    lo: float
    hi: float
    px0: float
    px1: float

    def t(self, v: float) -> float:
        if self.kind == "log":
            return math.log10(max(v, 1e-300))
        if self.kind == "logit":
            p = min(max(v, _LOGIT_EPS), 1.0 - _LOGIT_EPS)
            return math.log(p / (1.0 - p))
        return v

    def __call__(self, v: float) -> float:
        t0, t1 = self.t(self.lo), self.t(self.hi)
        frac = (self.t(v) - t0) / (t1 - t0) if t1 != t0 else 0.5
        return self.px0 + frac * (self.px1 - self.px0)


def _nice_step(span: float, n: int) -> float:
    raw = span / max(n, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= m * mag * (1 + 1e-9):
            return m * mag
    return 10.0 * mag


def linear_ticks(lo: float, hi: float, n: int = 5) -> tuple[float, float, list[float]]:
    """A "nice" domain covering ``[lo, hi]`` and its tick values (Heckbert's nice numbers)."""
    scale = max(abs(lo), abs(hi))
    if not hi - lo > max(scale * 1e-9, 1e-200):
        pad = scale * 0.1 if scale > 1e-200 else 1.0
        lo, hi = lo - pad, hi + pad
    step = _nice_step(hi - lo, n)
    i0, i1 = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    ticks = [round(i * step, 12) for i in range(i0, i1 + 1)]
    return ticks[0], ticks[-1], ticks


def log_ticks(lo: float, hi: float) -> tuple[float, float, list[float]]:
    """Powers of ten covering ``[lo, hi]`` (both > 0), with 2 and 5 when there are few decades."""
    e0, e1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    if e1 == e0:
        e1 += 1
    every = max(1, math.ceil((e1 - e0) / 8))
    e1 = e0 + every * math.ceil((e1 - e0) / every)
    ticks = [10.0**e for e in range(e0, e1 + 1, every)]
    if e1 - e0 <= 2:
        ticks = [*sorted(t * m for t in ticks[:-1] for m in (1, 2, 5)), ticks[-1]]
    return ticks[0], ticks[-1], ticks


# in order of importance: the median, then the tails the checks test, then the rest
_LOGIT_TICKS = (0.5, 0.01, 0.99, 0.001, 0.999, 0.1, 0.9, 0.25, 0.75, 0.05, 0.95)


def _thin(x: Axis, ticks: Sequence[tuple[float, str]]) -> list[tuple[float, str]]:
    """Keep ticks in the given order of importance while their labels do not collide."""
    kept: list[tuple[float, str]] = []
    for value, label in ticks:
        half = _text_width(label) / 2 + 5
        px = x(value)
        if all(abs(px - x(v)) >= half + _text_width(lab) / 2 for v, lab in kept):
            kept.append((value, label))
    return sorted(kept)


def _p_label(p: float) -> str:
    return f"{100 * p:g}%"


def _n(v: float) -> str:
    """Pixel coordinate with one decimal, without a trailing ``.0`` (keeps the file small)."""
    out = f"{v:.1f}"
    return out.removesuffix(".0")


def _txt(
    x: float,
    y: float,
    text: str,
    *,
    anchor: str = "start",
    size: int = 11,
    fill: str = MUTED,
    weight: str = "",
    extra: str = "",
) -> str:
    bold = f' font-weight="{weight}"' if weight else ""
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{fill}"{bold}{extra}>{esc(text)}</text>'
    )


def _text_width(text: str, size: int = 11) -> float:
    return 0.6 * size * len(text)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _svg(width: int, height: int, uid: str, title: str, desc: str, body: list[str], cls: str = "plot") -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{cls}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{uid}-t {uid}-d" '
        f'font-family="{FONT}">'
        f'<title id="{uid}-t">{esc(title)}</title><desc id="{uid}-d">{esc(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _legend(items: Sequence[tuple[str, str, str]], x: float, y: float, opacity: str = "0.35") -> list[str]:
    """Swatches and labels in one row; ``items`` are (style, colour, label)."""
    out: list[str] = []
    for style, colour, label in items:
        if style == "fill":
            out.append(
                f'<rect x="{_n(x)}" y="{_n(y - 8)}" width="14" height="10" fill="{colour}" '
                f'fill-opacity="{opacity}" stroke="{colour}" stroke-width="1.5"/>'
            )
        else:
            dash = ' stroke-dasharray="5 3"' if style == "dash" else ""
            out.append(
                f'<line x1="{_n(x)}" y1="{_n(y - 3)}" x2="{_n(x + 16)}" y2="{_n(y - 3)}" '
                f'stroke="{colour}" stroke-width="2.5"{dash}/>'
            )
        out.append(_txt(x + 21, y, label, fill=INK, size=12))
        x += 21 + _text_width(label, 12) + 18
    return out


def _frame(
    x: Axis,
    y: Axis,
    xticks: Sequence[tuple[float, str]],
    yticks: Sequence[tuple[float, str]],
    xlabel: str,
    ylabel: str,
) -> list[str]:
    """Grid, tick labels, axis lines and axis titles for a plot area."""
    left, right = x.px0, x.px1
    top, bottom = y.px1, y.px0
    out = [
        (
            f'<rect x="{_n(left)}" y="{_n(top)}" width="{_n(right - left)}" '
            f'height="{_n(bottom - top)}" fill="#ffffff"/>'
        )
    ]
    for value, label in yticks:
        py = y(value)
        out.append(f'<line x1="{_n(left)}" y1="{_n(py)}" x2="{_n(right)}" y2="{_n(py)}" stroke="{GRID}"/>')
        out.append(_txt(left - 6, py + 4, label, anchor="end"))
    for value, label in xticks:
        px = x(value)
        out.append(f'<line x1="{_n(px)}" y1="{_n(top)}" x2="{_n(px)}" y2="{_n(bottom)}" stroke="{GRID}"/>')
        out.append(_txt(px, bottom + 15, label, anchor="middle"))
    out.append(f'<path d="M{_n(left)} {_n(top)}V{_n(bottom)}H{_n(right)}" fill="none" stroke="{MUTED}"/>')
    out.append(_txt((left + right) / 2, bottom + 32, xlabel, anchor="middle", fill=INK, size=12))
    cy = (top + bottom) / 2
    out.append(
        _txt(
            14, cy, ylabel, anchor="middle", fill=INK, size=12, extra=f' transform="rotate(-90 14 {_n(cy)})"'
        )
    )
    return out


def _value_axis(
    values: np.ndarray, px0: float, px1: float, allow_log: bool = True
) -> tuple[Axis, list[tuple[float, str]]]:
    """A y axis for data values: log10 when all positive with max/min >= 20 (e.g. incomes)."""
    lo, hi = float(values.min()), float(values.max())
    if allow_log and lo > 0 and hi / lo >= 20:
        dlo, dhi, ticks = log_ticks(lo, hi)
        return Axis("log", dlo, dhi, px0, px1), [(t, fmt_num(t, 3)) for t in ticks]
    dlo, dhi, ticks = linear_ticks(lo, hi)
    return Axis("linear", dlo, dhi, px0, px1), [(t, fmt_num(t, 4)) for t in ticks]


def _share_axis(top: float, px0: float, px1: float) -> tuple[Axis, list[tuple[float, str]]]:
    """An axis from 0 for shares (percent labels) or, above 1, plain numbers."""
    _dlo, dhi, ticks = linear_ticks(0.0, top if top > 0 else 1.0, 5)
    as_share = dhi <= 1.0
    labels = [(t, fmt_share(t) if as_share else fmt_num(t, 3)) for t in ticks]
    return Axis("linear", 0.0, dhi, px0, px1), labels


# --- plot types ---------------------------------------------------------------------------------

_W, _H = 600, 280
_L, _R, _T, _B = 70, 18, 40, 48


def quantiles_plot(spec: Mapping[str, Any], uid: str, subject: str) -> Plot | None:
    """Quantile curves of reference and batch on a logit-scaled probability axis.

    The logit axis spreads the extreme levels (1%, 99%, 0.1%, 99.9%) as far apart as the middle
    ones, so a shrunken tail shows as curves that part at the edges.
    """
    probs = _floats(spec.get("probs"))
    if probs is None:
        return None
    ref = _floats(spec.get("reference"), probs.size)
    bat = _floats(spec.get("batch"), probs.size)
    if ref is None or bat is None:
        return None
    keep = np.isfinite(probs) & (probs >= 0) & (probs <= 1)
    keep &= np.isfinite(ref) | np.isfinite(bat)
    if not keep.any():
        return None
    order = np.argsort(probs[keep], kind="stable")
    probs, ref, bat = probs[keep][order], ref[keep][order], bat[keep][order]
    values = np.concatenate([ref[np.isfinite(ref)], bat[np.isfinite(bat)]])
    plo = max(float(probs[0]), _LOGIT_EPS)
    phi = min(float(probs[-1]), 1 - _LOGIT_EPS)
    if phi <= plo:
        plo, phi = max(plo / 2, _LOGIT_EPS), min(1 - (1 - phi) / 2, 1 - _LOGIT_EPS)
        if phi <= plo:
            plo, phi = 0.25, 0.75
    x = Axis("logit", plo, phi, _L, _W - _R)
    y, yticks = _value_axis(values, _H - _B, _T)
    xticks = _thin(x, [(p, _p_label(p)) for p in _LOGIT_TICKS if plo - 1e-12 <= p <= phi + 1e-12])
    if len(xticks) < 2:
        xticks = [(plo, _p_label(plo)), (phi, _p_label(phi))]
    body = _frame(
        x,
        y,
        xticks,
        yticks,
        _text(spec.get("x_label"), "quantile level (logit scale)"),
        _text(spec.get("y_label"), subject),
    )
    body += _tail_bands(x, y, plo, phi)
    body.append(_curve(x, y, probs, ref, REF, dash=False))
    body.append(_curve(x, y, probs, bat, BATCH, dash=True))
    body += _legend([("line", REF, "reference"), ("dash", BATCH, "batch")], _L, 20)
    lo_i, hi_i = 0, probs.size - 1
    caption = (
        f"At the {_p_label(probs[lo_i])} quantile: reference {fmt_num(ref[lo_i])}, batch "
        f"{fmt_num(bat[lo_i])}; at the {_p_label(probs[hi_i])} quantile: reference "
        f"{fmt_num(ref[hi_i])}, batch {fmt_num(bat[hi_i])}."
    )
    if y.kind == "log":
        caption += " Values on a log scale."
    title = _text(spec.get("title"), f"Quantiles of {subject}: reference vs batch")
    return Plot(_svg(_W, _H, uid, title, caption, body), esc(caption))


def _tail_bands(x: Axis, y: Axis, plo: float, phi: float) -> list[str]:
    """Shade the tails so the eye goes there; the cut is the most extreme one that is visible."""
    width = x.px1 - x.px0
    out: list[str] = []
    for cut in (0.01, 0.05, 0.1):
        if plo < cut and x(cut) - x.px0 >= 0.06 * width and cut < phi:
            out.append(_band(x.px0, x(cut), y, f"lowest {_p_label(cut)}", at_top=True))
            break
    for cut in (0.99, 0.95, 0.9):
        if phi > cut and x.px1 - x(cut) >= 0.06 * width and cut > plo:
            out.append(_band(x(cut), x.px1, y, f"highest {_p_label(1 - cut)}", at_top=False))
            break
    return out


def _band(a: float, b: float, y: Axis, label: str, at_top: bool) -> str:
    # quantile curves rise left to right, so the lower tail's label goes on top and the upper
    # tail's at the bottom, away from the curves
    top, bottom = y.px1, y.px0
    return (
        f'<rect x="{_n(a)}" y="{_n(top)}" width="{_n(b - a)}" height="{_n(bottom - top)}" '
        f'fill="#f6f8fa" stroke="none"/>'
        + _txt((a + b) / 2, top + 13 if at_top else bottom - 6, label, anchor="middle", size=10)
    )


def _curve(x: Axis, y: Axis, probs: np.ndarray, values: np.ndarray, colour: str, dash: bool) -> str:
    """A polyline with point markers; non-finite values break the line."""
    segments: list[list[tuple[float, float]]] = [[]]
    for p, v in zip(probs.tolist(), values.tolist(), strict=True):
        if not math.isfinite(v) or (y.kind == "log" and v <= 0):
            segments.append([])
            continue
        segments[-1].append((x(p), y(v)))
    dash_attr = ' stroke-dasharray="6 4"' if dash else ""
    out = []
    for seg in segments:
        if len(seg) >= 2:
            d = "M" + "L".join(f"{_n(a)} {_n(b)}" for a, b in seg)
            out.append(
                f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2.2"'
                f'{dash_attr} stroke-linejoin="round"/>'
            )
    marks = [pt for seg in segments for pt in seg]
    if len(marks) <= 60:
        shape = (
            '<rect x="{x}" y="{y}" width="6" height="6" fill="{c}"/>'
            if dash
            else '<circle cx="{x}" cy="{y}" r="3.2" fill="{c}"/>'
        )
        off = 3.0 if dash else 0.0
        out += [shape.format(x=_n(a - off), y=_n(b - off), c=colour) for a, b in marks]
    return "".join(out)


def _count(value: object, at_least: int) -> int | None:
    """An optional whole-number count from a plot shape (``total``, ``absent``), or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    v = float(value)
    if not math.isfinite(v) or not v.is_integer() or v < at_least:
        return None
    return int(v)


def select_bars(ref: np.ndarray, bat: np.ndarray, limit: int = MAX_BARS) -> np.ndarray:
    """Indices of the bars to draw when there are more than ``limit``, in their original order.

    Categories the batch lost (reference share > 0, batch share 0) are first-class: up to half
    the bars go to them, largest reference share first, however small their share. The other
    bars go to the largest absolute changes in share (ties: the larger reference share).
    """
    n = ref.size
    if n <= limit:
        return np.arange(n)
    change = np.abs(bat - ref)
    vanished = np.flatnonzero((ref > 0) & (bat <= 0))
    vanished = vanished[np.lexsort((vanished, -ref[vanished]))][: limit // 2]
    chosen = set(vanished.tolist())
    # lexsort: the last key is primary; then the larger reference share, then the original order
    for i in np.lexsort((np.arange(n), -np.abs(ref), -change)).tolist():
        if len(chosen) >= limit:
            break
        chosen.add(i)
    return np.array(sorted(chosen), dtype=np.int64)


def _categories(k: int) -> str:
    return f"{k} categor{'y' if k == 1 else 'ies'}"


def _be(k: int) -> str:
    return "is" if k == 1 else "are"


def _quoted(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(f"“{_clip(m, 30)}”" for m in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def bars_plot(spec: Mapping[str, Any], uid: str, subject: str) -> Plot | None:
    """Grouped horizontal bars of shares per label (reference vs batch).

    Labels the batch lost are marked "missing" and labels the reference never had "new". With more
    than ``MAX_BARS`` labels, :func:`select_bars` picks the vanished ones and the largest changes
    in share. A check that passes only some of its categories says how many there are in all
    with ``"total"`` and how many reference categories the batch lacks with ``"absent"``, so the
    caption can say what the picture leaves out.
    """
    labels_in = spec.get("labels")
    if isinstance(labels_in, (str, bytes, Mapping)) or not isinstance(labels_in, Sequence):
        return None
    n = len(labels_in)
    ref = _floats(spec.get("reference"), n)
    bat = _floats(spec.get("batch"), n)
    if n == 0 or ref is None or bat is None:
        return None
    ref = np.where(np.isfinite(ref), ref, 0.0)
    bat = np.where(np.isfinite(bat), bat, 0.0)
    labels = [str(label) for label in labels_in]
    idx = select_bars(ref, bat)
    shown = [_clip(labels[i], 28) for i in idx]
    label_w = min(220.0, max(_text_width(s, 11) for s in shown) + 14)
    row = 24
    top = 40
    height = int(top + row * idx.size + 44)
    left = max(float(_L), label_w)
    x, xticks = _share_axis(float(max(ref.max(), bat.max(), 0.0)), left, _W - _R - 44)
    y = Axis("linear", 0.0, 1.0, height - 44, top)
    body = _frame(x, y, xticks, [], _text(spec.get("x_label"), "share of rows"), "")
    for k, i in enumerate(idx.tolist()):
        y0 = top + k * row
        r, b = float(ref[i]), float(bat[i])
        body.append(
            f'<text x="{_n(left - 8)}" y="{_n(y0 + 15)}" text-anchor="end" font-size="11" '
            f'fill="{INK}"><title>{esc(labels[i])}</title>{esc(shown[k])}</text>'
        )
        body.append(_hbar(x, y0 + 3, 8, r, REF, fill_opacity="0.85"))
        body.append(_hbar(x, y0 + 12, 8, b, BATCH, fill_opacity="0.85"))
        end = max(x(r), x(b)) + 4
        fmt = fmt_share if x.hi <= 1 else (lambda v: fmt_num(v, 3))
        ref_text = fmt(r) if r > 0 or b <= 0 else "new in batch"
        bat_text = fmt(b) if b > 0 or r <= 0 else "missing"
        for text, colour, dy in ((ref_text, REF, 10.5), (bat_text, BATCH, 20.0)):
            flagged = text in ("missing", "new in batch")
            body.append(
                _txt(
                    end,
                    y0 + dy,
                    text,
                    fill=colour,
                    size=10 if flagged else 9,
                    weight="bold" if flagged else "",
                )
            )
    body += _legend([("fill", REF, "reference"), ("fill", BATCH, "batch")], left, 22, "0.85")
    caption = _bars_caption(spec, labels, ref, bat, idx, subject)
    title = _text(spec.get("title"), f"Shares of {subject}: reference vs batch")
    return Plot(_svg(_W, height, uid, title, caption, body), esc(caption))


def _bars_caption(
    spec: Mapping[str, Any],
    labels: list[str],
    ref: np.ndarray,
    bat: np.ndarray,
    idx: np.ndarray,
    subject: str,
) -> str:
    """What the bars show and what they leave out, in words.

    With the shape's ``total`` and ``absent``: "Showing 20 of 47 categories of country. 23
    reference categories are absent from the batch, of which 2 shown: ...". Without them the
    caption speaks only of the categories the plot was given, never of the column as a whole.
    """
    n, drawn = len(labels), idx.size
    total = _count(spec.get("total"), n)
    absent = _count(spec.get("absent"), 0)
    shown_set = set(idx.tolist())
    vanished = [labels[i] for i in range(n) if bat[i] <= 0 < ref[i]]
    vanished_shown = [labels[i] for i in range(n) if bat[i] <= 0 < ref[i] and i in shown_set]
    picked = " (the vanished ones first, then the largest changes in share)" if drawn < n else ""
    if total is None:
        if drawn == n:
            caption = f"{_categories(n)} of {subject}."
            if vanished:
                k = len(vanished)
                caption += f" {k} of them {_be(k)} absent from the batch: {_quoted(vanished)}."
        else:
            caption = f"Showing {drawn} of the {n} categories of {subject} this plot was given{picked}."
            if vanished:
                k = len(vanished)
                caption += f" {k} of the {n} {_be(k)} absent from the batch" + _of_which(vanished_shown, k)
    else:
        caption = (
            f"Showing {drawn} of {total} categories of {subject}{picked}."
            if total > drawn
            else f"All {_categories(drawn)} of {subject}."
        )
        if absent is None and total == n:
            absent = len(vanished)
        if absent:
            caption += (
                f" {_categories(absent)} of the reference {_be(absent)} absent from the batch"
                + _of_which(vanished_shown, absent)
            )
        elif absent == 0:
            caption += " No reference category is absent from the batch."
        elif vanished_shown:
            k = len(vanished_shown)
            caption += f" Of those shown, {k} {_be(k)} absent from the batch: {_quoted(vanished_shown)}."
    if drawn < n:
        caption += " The full lists are in the evidence."
    return caption


def _of_which(shown: list[str], of: int) -> str:
    if not shown:
        return ", none of them shown."
    if len(shown) >= of:
        return f"{', all shown' if of > 1 else ''}: {_quoted(shown)}."
    return f", {len(shown)} of them shown: {_quoted(shown)}."


def _hbar(x: Axis, y0: float, h: float, value: float, colour: str, fill_opacity: str) -> str:
    w = max(x(max(value, 0.0)) - x.px0, 0.0)
    if value > 0:
        w = max(w, 1.5)
    return (
        f'<rect x="{_n(x.px0)}" y="{_n(y0)}" width="{_n(w)}" height="{_n(h)}" '
        f'fill="{colour}" fill-opacity="{fill_opacity}"/>'
    )


def hist_plot(spec: Mapping[str, Any], uid: str, subject: str) -> Plot | None:
    """Overlaid step histograms of the share of rows per bin (reference filled, batch line)."""
    edges = _floats(spec.get("edges"))
    if edges is None or edges.size < 2:
        return None
    nb = edges.size - 1
    ref = _floats(spec.get("reference"), nb)
    bat = _floats(spec.get("batch"), nb)
    if ref is None or bat is None:
        return None
    edges = edges.copy()
    # open-ended outer bins (-inf/inf) are drawn one neighbouring bin wide
    if nb >= 2 and not math.isfinite(edges[0]) and math.isfinite(edges[1] + edges[2]):
        edges[0] = edges[1] - (edges[2] - edges[1])
    if nb >= 2 and not math.isfinite(edges[-1]) and math.isfinite(edges[-2] + edges[-3]):
        edges[-1] = edges[-2] + (edges[-2] - edges[-3])
    if not np.isfinite(edges).all() or not (np.diff(edges) > 0).all():
        return None
    ref = np.where(np.isfinite(ref), np.maximum(ref, 0), 0.0)
    bat = np.where(np.isfinite(bat), np.maximum(bat, 0), 0.0)
    log_x = spec.get("x_scale") == "log" and edges[0] > 0
    if log_x:
        xlo, xhi, ticks = log_ticks(float(edges[0]), float(edges[-1]))
        x = Axis("log", xlo, xhi, _L, _W - _R)
        xticks = [(t, fmt_num(t, 3)) for t in ticks]
    else:
        xlo, xhi, ticks = linear_ticks(float(edges[0]), float(edges[-1]), 6)
        x = Axis("linear", xlo, xhi, _L, _W - _R)
        xticks = [(t, fmt_num(t, 4)) for t in ticks]
    y, yticks = _share_axis(float(max(ref.max(), bat.max())) * 1.08, _H - _B, _T)
    body = _frame(
        x, y, xticks, yticks, _text(spec.get("x_label"), subject), _text(spec.get("y_label"), "share of rows")
    )
    ref_d = _step_path(x, y, edges, ref)
    body.append(
        f'<path d="{ref_d}V{_n(y.px0)}H{_n(x(edges[0]))}Z" fill="{REF}" fill-opacity="0.22" stroke="none"/>'
    )
    body.append(f'<path d="{ref_d}" fill="none" stroke="{REF}" stroke-width="1.5"/>')
    body.append(
        f'<path d="{_step_path(x, y, edges, bat)}" fill="none" stroke="{BATCH}" '
        f'stroke-width="2.4" stroke-dasharray="6 3"/>'
    )
    body += _legend([("fill", REF, "reference"), ("dash", BATCH, "batch")], _L, 20)
    empty = [(edges[i], edges[i + 1]) for i in range(nb) if ref[i] > 0 and bat[i] <= 0]
    caption = f"Share of rows per bin of {subject} ({nb} bins)."
    if empty:
        a, b = empty[0]
        caption += (
            f" {len(empty)} bin(s) with reference data are empty in the batch, e.g. "
            f"{fmt_num(a)} to {fmt_num(b)}."
        )
    title = _text(spec.get("title"), f"Histogram of {subject}: reference vs batch")
    return Plot(_svg(_W, _H, uid, title, caption, body), esc(caption))


def _step_path(x: Axis, y: Axis, edges: np.ndarray, heights: np.ndarray) -> str:
    parts = [f"M{_n(x(edges[0]))} {_n(y(0.0))}"]
    for i, h in enumerate(heights.tolist()):
        parts.append(f"V{_n(y(h))}H{_n(x(edges[i + 1]))}")
    parts.append(f"V{_n(y(0.0))}")
    return "".join(parts)


def null_plot(spec: Mapping[str, Any], uid: str, subject: str) -> Plot | None:
    """Histogram of a size-matched null distribution with the observed value as a marker line."""
    null = _floats(spec.get("null"))
    observed = _scalar(spec.get("observed"))
    if null is None or observed is None:
        return None
    null = null[np.isfinite(null)]
    if null.size == 0:
        return None
    nlo, nhi = float(null.min()), float(null.max())
    lo, hi = min(nlo, observed), max(nhi, observed)
    xlo, xhi, ticks = linear_ticks(lo, hi, 6)
    x = Axis("linear", xlo, xhi, _L, _W - _R)
    bins = int(min(40, max(10, round(math.sqrt(null.size)))))
    # when the observed value is far from a narrow null, keep each bin at least ~4 px wide
    bins = max(1, min(bins, int((x(nhi) - x(nlo)) / 4)))
    if nhi > nlo:
        counts, edges = np.histogram(null, bins=bins, range=(nlo, nhi))
    else:
        # a constant null still gets a visible bar, one fiftieth of the axis wide
        half = (xhi - xlo) / 100
        counts, edges = np.array([null.size]), np.array([nlo - half, nlo + half])
    _, y_hi, yt = linear_ticks(0.0, float(counts.max()), 4)
    y = Axis("linear", 0.0, y_hi, _H - _B, _T)
    yticks = [(t, fmt_num(t, 3)) for t in yt if float(t).is_integer()]
    body = _frame(
        x,
        y,
        [(t, fmt_num(t, 4)) for t in ticks],
        yticks,
        _text(spec.get("x_label"), subject),
        _text(spec.get("y_label"), "null draws"),
    )
    for c, a, b in zip(counts.tolist(), edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        if c > 0:
            body.append(
                f'<rect x="{_n(x(a))}" y="{_n(y(c))}" width="{_n(max(x(b) - x(a), 3))}" '
                f'height="{_n(y.px0 - y(c))}" fill="{REF}" fill-opacity="0.35" '
                f'stroke="{REF}" stroke-width="0.6"/>'
            )
    ox = x(observed)
    body.append(
        f'<line x1="{_n(ox)}" y1="{_n(y.px1)}" x2="{_n(ox)}" y2="{_n(y.px0)}" '
        f'stroke="{BATCH}" stroke-width="3"/>'
    )
    label = f"observed {fmt_num(observed)}"
    right_side = ox + 6 + _text_width(label, 11) < x.px1
    body.append(
        _txt(
            ox + 6 if right_side else ox - 6,
            y.px1 + 12,
            label,
            anchor="start" if right_side else "end",
            fill=BATCH,
            weight="bold",
        )
    )
    body += _legend([("fill", REF, "honest samples of the batch's size"), ("line", BATCH, "batch")], _L, 20)
    q_lo, q_hi = np.quantile(null, [0.025, 0.975]).tolist()
    below = int((null <= observed).sum())
    caption = (
        f"Observed {fmt_num(observed)}; {null.size} honest samples of the same size gave "
        f"{fmt_num(q_lo)} to {fmt_num(q_hi)} (central 95%); {below} of {null.size} were at "
        f"or below the observed value."
    )
    title = _text(spec.get("title"), f"Null distribution of {subject} with the observed value")
    return Plot(_svg(_W, _H, uid, title, caption, body), esc(caption))


_PLOTS: dict[str, Callable[[Mapping[str, Any], str, str], Plot | None]] = {
    "quantiles": quantiles_plot,
    "bars": bars_plot,
    "hist": hist_plot,
    "null": null_plot,
}

#: Plot types the HTML report can draw; other types are ignored.
PLOT_TYPES = tuple(_PLOTS)


def render_plot(spec: object, uid: str, subject: str, metric: str | None = None) -> Plot | None:
    """Draw one ``evidence["plot"]`` shape, or return None for an unknown or malformed one.

    Parameters
    ----------
    spec
        A mapping with ``"type"`` in :data:`PLOT_TYPES` and that type's arrays (see the HTML
        report docs); optional ``"title"``, ``"x_label"``, ``"y_label"`` (and ``"x_scale": "log"``
        for histograms) override the defaults.
    uid
        A prefix unique within the page, for the SVG's title/desc ids.
    subject
        What the values are (usually the column name), used in labels and titles.
    metric
        The finding's metric; a null distribution is a distribution of the metric, so its axis
        is named after it.
    """
    if not isinstance(spec, Mapping):
        return None
    kind = spec.get("type")
    draw = _PLOTS.get(kind) if isinstance(kind, str) else None
    if draw is None:
        return None
    if kind == "null" and metric:
        subject = f"{metric} of {subject}" if subject != metric else metric
    return draw(spec, uid, subject)


# --- effect gauge -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The policy's warn/fail thresholds for one finding's effect."""

    warn: float
    fail: float
    worse: str

    @staticmethod
    def parse(value: object) -> Thresholds | None:
        """Read ``evidence["thresholds"]``; None when absent or malformed."""
        if not isinstance(value, Mapping):
            return None
        warn, fail = _scalar(value.get("warn")), _scalar(value.get("fail"))
        worse = value.get("worse")
        if warn is None or fail is None or worse not in ("lower", "higher"):
            return None
        return Thresholds(warn, fail, str(worse))

    def describe(self) -> str:
        sign = "≤" if self.worse == "lower" else "≥"
        return (
            f"warn at {sign} {fmt_num(self.warn)}, fail at {sign} {fmt_num(self.fail)} "
            f"({self.worse} is worse)"
        )


def effect_text(effect: float | None, thresholds: Thresholds | None = None) -> str:
    """The effect as the report prints it: ``fmt_num``, with more digits when it would otherwise
    print the same as a threshold it differs from (0.69999 against a fail threshold of 0.7 is
    "0.69999", not "0.7")."""
    text = fmt_num(effect)
    if thresholds is None or effect is None:
        return text
    try:
        value = float(effect)
    except (TypeError, ValueError, OverflowError):
        return text
    for t in (thresholds.fail, thresholds.warn):
        if value != t and math.isfinite(value) and fmt_num(t) == text:
            return num_pair(value, t)[0].replace("-", "−")
    return text


def _zone_of(effect: float, t: Thresholds) -> str:
    if t.worse == "lower":
        return "fail" if effect <= t.fail else "warn" if effect <= t.warn else "pass"
    return "fail" if effect >= t.fail else "warn" if effect >= t.warn else "pass"


def _tick_labels(items: list[tuple[float, str]], width: float, pad: float = 3.0) -> list[tuple[float, str]]:
    """Centres for the threshold labels under a gauge: each at its tick unless two would
    collide, then pushed apart around their midpoint; always kept inside ``[0, width]``."""
    items = sorted(items)
    if len(items) == 2:
        (c1, l1), (c2, l2) = items
        w1, w2 = _text_width(l1, 9), _text_width(l2, 9)
        gap = (c2 - w2 / 2) - (c1 + w1 / 2)
        if gap < pad:
            mid = (c1 + w1 / 2 + c2 - w2 / 2) / 2
            c1, c2 = mid - pad / 2 - w1 / 2, mid + pad / 2 + w2 / 2
        shift = max(0.0, -(c1 - w1 / 2)) - max(0.0, c2 + w2 / 2 - width)
        items = [(c1 + shift, l1), (c2 + shift, l2)]
    out = []
    for c, label in items:
        half = _text_width(label, 9) / 2
        out.append((min(max(c, half), width - half), label))
    return out


def effect_gauge(
    effect: float | None, thresholds: Thresholds | None, uid: str, label: str | None = None
) -> str | None:
    """A small horizontal gauge: pass/warn/fail zones with a marker at the effect.

    The drawn range always contains the effect and both thresholds; the thresholds are labelled
    under their ticks. The SVG ``<title>`` (the browser's tooltip) gives the effect and the
    thresholds in words. Without thresholds the track is neutral grey and only the position is
    shown. ``label`` is the effect as printed next to the gauge (default :func:`effect_text`).
    """
    if effect is None or not math.isfinite(effect) or abs(effect) > _MAX_ABS:
        return None
    shown = label if label is not None else effect_text(effect, thresholds)
    width, height, pad = 150, 30, 6
    values = [effect] + ([thresholds.warn, thresholds.fail] if thresholds else [0.0, 1.0])
    lo, hi = min(values), max(values)
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    lo, hi = lo - 0.35 * span, hi + 0.35 * span
    if min(values) >= 0:
        lo = max(lo, 0.0)
    x = Axis("linear", lo, hi, pad, width - pad)
    bar_y, bar_h = 5.0, 9.0
    body: list[str] = []
    if thresholds is None:
        body.append(
            f'<rect x="{pad}" y="{_n(bar_y)}" width="{width - 2 * pad}" height="{bar_h}" '
            f'rx="2" fill="{GRID}"/>'
        )
        title = f"Effect {shown}; no warn/fail thresholds were recorded"
        desc = "The mark shows the effect on a neutral track."
    else:
        w, f = thresholds.warn, thresholds.fail
        if thresholds.worse == "lower":
            zones = [("fail", lo, f), ("warn", f, w), ("pass", w, hi)]
        else:
            zones = [("pass", lo, w), ("warn", w, f), ("fail", f, hi)]
        for name, a, b in zones:
            a, b = max(a, lo), min(b, hi)
            if b > a:
                body.append(
                    f'<rect x="{_n(x(a))}" y="{_n(bar_y)}" width="{_n(x(b) - x(a))}" '
                    f'height="{bar_h}" fill="{ZONE[name]}"/>'
                )
        ticks = sorted({w, f})
        for t in ticks:
            body.append(
                f'<line x1="{_n(x(t))}" y1="{_n(bar_y)}" x2="{_n(x(t))}" '
                f'y2="{_n(bar_y + bar_h + 3)}" stroke="{MUTED}" stroke-width="1"/>'
            )
        labels = [(x(t), fmt_num(t, 3)) for t in ticks]
        if len(labels) == 2 and labels[0][1] == labels[1][1]:
            labels = [(x(t), fmt_num(t)) for t in ticks]
        for cx, text in _tick_labels(labels, width):
            body.append(_txt(cx, height - 2, text, anchor="middle", size=9))
        title = f"Effect {shown}; {thresholds.describe()}"
        desc = f"The mark is in the {_zone_of(effect, thresholds)} zone."
    mx = x(effect)
    body.append(
        f'<line x1="{_n(mx)}" y1="{_n(bar_y - 3)}" x2="{_n(mx)}" '
        f'y2="{_n(bar_y + bar_h + 3)}" stroke="{INK}" stroke-width="2.5"/>'
    )
    return _svg(width, height, uid, title, desc, body, cls="gauge")
