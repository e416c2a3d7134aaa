"""The ``html`` reporter: one self-contained HTML page with inline SVG plots.

The page has no scripts and loads nothing (inline CSS, inline SVG, a Content-Security-Policy that
forbids everything else), so it opens offline and is safe to attach to a CI run. The output is a
pure function of the report: the same report gives byte-identical HTML.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..checks.formatting import and_list
from ..hookspecs import hookimpl
from ..images import MARKERS
from ..policy import untested_checks
from ..results import Finding, Report, jsonable
from ..scan import ScanReport
from . import code_spans
from .html_style import CSS
from .markdown import NO_MARKER_NOTE
from .svg import PLOT_TYPES, Thresholds, effect_gauge, effect_text, esc, fmt_num, render_plot
from .text import untested_sentence

#: Worst first; also the order of the summary counts.
STATUS_ORDER = ("fail", "error", "warn", "insufficient-data", "pass")
_RANK = {s: i for i, s in enumerate(STATUS_ORDER)}
_GLYPH = {"fail": "✖", "error": "⚠", "warn": "▲", "insufficient-data": "○", "pass": "✔"}
_LABEL = {"insufficient-data": "insufficient data"}
_ATTENTION = ("fail", "error", "warn")
_MAX_ATTENTION = 100
_SHOW_ATTENTION = 10
_MAX_ITEMS = 60
_MAX_JSON = 4000
_HIDDEN_EVIDENCE = ("plot", "plots", "thresholds")

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


class HtmlReporter:
    """Render a report (or a folder scan) as one self-contained HTML page with plots."""

    name = "html"
    description = "self-contained HTML page with plots (no scripts, nothing loaded from outside)"
    supports_scan = True

    def render(self, report: Report | ScanReport) -> str:
        """Return the whole page."""
        return render_html(report)


@hookimpl
def register_reporters(register: Callable[[Any], None]) -> None:
    register(HtmlReporter())


def render_html(report: Report | ScanReport) -> str:
    """The HTML page for a report or a scan (deterministic: same input, same bytes)."""
    if isinstance(report, ScanReport):
        return _scan_page(report)
    ids = _Ids()
    findings = list(report.findings)
    parts = [_header(report, findings), _summary(report, findings)]
    for check, items in _by_check(findings):
        parts.append(_check_section(check, items, ids, prefix="", level=2))
    title = f"collapse-guard: {_label(report.status)} · {_batch_title(report.batch)}"
    return _page(title, parts, report.tool_version, report.seed)


def _page(title: str, parts: list[str], version: str, seed: object) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="generator" content="collapse-guard">',
            f"<title>{esc(title)}</title>",
            f"<style>{CSS}</style>",
            "</head>",
            "<body>",
            "<main>",
            *parts,
            _footer(version, seed),
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


# --- parts of the page ---------------------------------------------------------------------------


class _Ids:
    """Deterministic ids for SVG title/desc elements."""

    def __init__(self) -> None:
        self._n = 0

    def __call__(self) -> str:
        self._n += 1
        return f"svg{self._n}"


def _status_of(f: Finding) -> str:
    return str(getattr(f.status, "value", f.status))


def _status_class(status: str) -> str:
    return status if status in _RANK else "unknown"


def _label(status: str) -> str:
    return _LABEL.get(status, status)


def _badge(status: str, big: bool = False, count: int | None = None) -> str:
    cls = _status_class(status)
    glyph = _GLYPH.get(cls, "•")
    size = " big" if big else ""
    n = "" if count is None else f"{count} "
    return (
        f'<span class="badge{size} st-{cls}"><span aria-hidden="true">{glyph}</span> '
        f"{n}{esc(_label(status))}</span>"
    )


def _batch_title(batch: Mapping[str, Any]) -> str:
    paths = _paths(batch)
    if not paths:
        return "batch"
    return paths[0] if len(paths) == 1 else f"{paths[0]} and {len(paths) - 1} more"


def _paths(side: Mapping[str, Any] | None) -> list[str]:
    if not isinstance(side, Mapping):
        return []
    paths = side.get("paths")
    if isinstance(paths, (list, tuple)):
        return [str(p) for p in paths]
    path = side.get("path")
    return [str(path)] if path not in (None, "") else []


def _rows(side: Mapping[str, Any] | None) -> str:
    rows = side.get("rows") if isinstance(side, Mapping) else None
    if isinstance(rows, (int, float)) and not isinstance(rows, bool):
        return f"{fmt_num(float(rows))} row{'' if rows == 1 else 's'}"
    return ""


def _reference_cell(ref: Mapping[str, Any] | None) -> str:
    paths = _paths(ref)
    if not isinstance(ref, Mapping) or not (paths or ref.get("sha256")):
        return "<i>none (reference-free checks only)</i>"
    out = f"<code>{path_html(paths[0])}</code>" if paths else "<i>in memory</i>"
    sha = ref.get("sha256")
    detail = []
    if isinstance(sha, str) and sha:
        detail.append(f'sha256 <code title="{esc(sha)}">{esc(sha[:12])}</code>')
    if _rows(ref):
        detail.append(_rows(ref))
    return out + (" (" + ", ".join(detail) + ")" if detail else "")


def _top(status: str, heading: str, lead: str, meta: list[tuple[str, str]]) -> str:
    rows = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in meta)
    return (
        f'<header class="top st-{_status_class(status)}">{_badge(status, big=True)}'
        f'<div><h1>{esc(heading)}</h1><p class="lead">{esc(lead)}</p>'
        f'<dl class="meta">{rows}</dl></div></header>'
    )


def _header(report: Report, findings: list[Finding]) -> str:
    batch_paths = _paths(report.batch)
    shown = " ".join(f"<code>{path_html(p)}</code>" for p in batch_paths[:5])
    if len(batch_paths) > 5:
        shown += f" and {len(batch_paths) - 5} more"
    if _rows(report.batch):
        shown += f" ({_rows(report.batch)})"
    meta = [
        ("Reference", _reference_cell(report.reference)),
        ("Batch", shown or "<i>in-memory data</i>"),
        ("Seed", esc(report.seed)),
        ("Tool", f"collapse-guard {esc(report.tool_version)}"),
    ]
    return _top(report.status, "collapse-guard report", _lead(findings), meta)


def _lead(findings: list[Finding]) -> str:
    """The sentence under the status badge: the counts that matter and, when the run is a warn
    because a check could test nothing (``policy.untested_checks``), which checks those are."""
    counts = _counts(findings)
    total = len(findings)
    if total == 0:
        return "No check produced a finding."
    bits = [f"{counts[s]} {_label(s)}" for s in ("fail", "error", "warn") if counts[s]]
    if bits:
        lead = f"{', '.join(bits)} of {total} findings."
    elif counts["pass"] == total:
        lead = f"All {total} findings passed."
    else:
        untestable = total - counts["pass"]
        lead = (
            f"{counts['pass']} of {total} findings passed; {untestable} could not be tested."
            if counts["pass"]
            else f"None of the {total} findings could be tested."
        )
    untested = untested_checks(findings)
    if untested:
        lead += f" {untested_sentence(untested)}."
    return lead


def _counts(findings: Iterable[Finding]) -> dict[str, int]:
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for f in findings:
        s = _status_of(f)
        counts[s] = counts.get(s, 0) + 1
    return counts


def _where(f: Finding) -> str:
    column = "table" if f.column is None else f"column {f.column}"
    return f"{f.check} · {column} · {f.metric}"


def _count_chips(counts: Mapping[str, int], order: Sequence[str]) -> str:
    out = ['<ul class="counts">']
    for s in order:
        zero = " zero" if counts.get(s, 0) == 0 else ""
        out.append(f'<li class="st-{_status_class(s)}{zero}"><b>{counts.get(s, 0)}</b>{_badge(s)}</li>')
    out.append("</ul>")
    return "".join(out)


def _excess(f: Finding) -> float | None:
    """How far the effect is beyond the threshold of the finding's status (relative to the
    threshold, so metrics on different scales compare); None without an effect or thresholds."""
    m = f.measurement
    evidence = m.evidence if isinstance(m.evidence, Mapping) else {}
    t = Thresholds.parse(evidence.get("thresholds"))
    effect = _finite(m.effect)
    if t is None or effect is None:
        return None
    at = t.fail if _status_of(f) == "fail" else t.warn
    beyond = at - effect if t.worse == "lower" else effect - at
    return beyond / abs(at) if abs(at) > 1e-12 else beyond


def _urgency(findings: list[Finding], i: int) -> tuple[int, float, float, int]:
    """Sort key, worst first: status, then the adjusted p-value (smallest first), then the
    effect's distance beyond its threshold (largest first), then report order."""
    f = findings[i]
    p = _finite(f.p_adjusted)
    excess = _excess(f)
    return (
        _RANK.get(_status_of(f), 9),
        math.inf if p is None else p,
        math.inf if excess is None else -excess,
        i,
    )


def attention_order(findings: list[Finding], show: int = _SHOW_ATTENTION) -> tuple[list[int], list[int]]:
    """The fail, error and warn findings as (shown, folded) index lists.

    Both lists are worst first (:func:`_urgency`). The shown ones are the ``show`` worst, except
    that every check's worst finding is among them when there are at most ``show`` checks (the
    ``show`` worst checks' otherwise): one check with many failures does not hide another's.
    """
    urgent = sorted(
        (i for i, f in enumerate(findings) if _status_of(f) in _ATTENTION),
        key=lambda i: _urgency(findings, i),
    )
    leaders: dict[str, int] = {}
    for i in urgent:
        leaders.setdefault(str(findings[i].check), i)
    keep = set(list(leaders.values())[:show])
    for i in urgent:
        if len(keep) >= show:
            break
        keep.add(i)
    return [i for i in urgent if i in keep], [i for i in urgent if i not in keep]


def _attention(findings: list[Finding], prefix: str) -> list[str]:
    """The fail, error and warn findings, worst first, each linked to its row."""
    top, folded = attention_order(findings)
    urgent = top + folded
    if not urgent:
        return []
    items = []
    for i in urgent[:_MAX_ATTENTION]:
        f = findings[i]
        s = _status_of(f)
        items.append(
            f'<li class="st-{s}">{_badge(s)}<span class="msg">{prose(_message(f))}</span>'
            f'<a class="where" href="#{prefix}f{i}">{esc(_where(f))}</a></li>'
        )
    # the worst few stay in view; the rest are one click away so the plots are not pushed far down
    out = ['<ol class="attention">', *items[:_SHOW_ATTENTION], "</ol>"]
    if len(items) > _SHOW_ATTENTION:
        rest = len(urgent) - _SHOW_ATTENTION
        counts = _counts(findings[i] for i in urgent[_SHOW_ATTENTION:])
        what = ", ".join(f"{counts[s]} {_label(s)}" for s in _ATTENTION if counts[s])
        out += [
            f'<details class="more"><summary>{rest} more need attention ({what})</summary>',
            f'<ol class="attention" start="{_SHOW_ATTENTION + 1}">',
            *items[_SHOW_ATTENTION:],
            "</ol>",
        ]
        if len(urgent) > _MAX_ATTENTION:
            out.append(f"<p>… and {len(urgent) - _MAX_ATTENTION} more in the sections below.</p>")
        out.append("</details>")
    return out


def _summary(report: Report, findings: list[Finding]) -> str:
    out = ['<section id="summary"><h2>Summary</h2>', _count_chips(_counts(findings), STATUS_ORDER)]
    urgent = _attention(findings, "")
    # Only a run against a reference is a warn for it (policy.report_status): a reference-free
    # pass may hold an untested check too, and "which makes the run a warn" was then untrue.
    untested = untested_checks(findings) if report.status == "warn" else []
    if urgent:
        out += ["<h3>Needs attention</h3>", *urgent]
    elif findings and untested:
        out.append(
            f"<p>No finding failed or warned, but {esc(and_list(untested))} could "
            "test nothing on this batch, which makes the run a warn.</p>"
        )
    elif findings:
        out.append("<p>No finding failed or warned.</p>")
    else:
        out.append(
            "<p>No check produced a finding: check the selected checks and the columns "
            "shared by the batch and the reference.</p>"
        )
    groups = _by_check(findings)
    if groups:
        out.append('<h3>Checks</h3><div class="scroll"><table class="checks"><thead><tr><th>check</th>')
        out += [f'<th class="num">{esc(_label(s))}</th>' for s in STATUS_ORDER]
        out.append("</tr></thead><tbody>")
        for check, items in groups:
            c = _counts(f for _, f in items)
            cells = "".join(f'<td class="num">{c[s] or ""}</td>' for s in STATUS_ORDER)
            out.append(f'<tr><td><a href="#{_check_id(check, "")}">{esc(check)}</a></td>{cells}</tr>')
        out.append("</tbody></table></div>")
    out += _notes(report.notes)
    out.append("</section>")
    return "\n".join(out)


def _notes(notes: Iterable[str]) -> list[str]:
    notes = list(notes)
    if not notes:
        return []
    return ['<h3>Notes</h3><div class="notes"><ul>', *[f"<li>{prose(n)}</li>" for n in notes], "</ul></div>"]


def _by_check(findings: list[Finding]) -> list[tuple[str, list[tuple[int, Finding]]]]:
    groups: dict[str, list[tuple[int, Finding]]] = {}
    for i, f in enumerate(findings):
        groups.setdefault(str(f.check), []).append((i, f))
    return list(groups.items())


def _check_id(check: str, prefix: str) -> str:
    # ids only from safe characters; the check name itself is shown escaped
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in check)
    return f"{prefix}check-{safe}"


def prose(text: object) -> str:
    """A message, note or reason as HTML: escaped, with its Markdown code spans (`country`) as
    ``<code>`` elements (their text escaped too)."""
    return "".join(
        f"<code>{esc(piece)}</code>" if is_code else esc(piece) for piece, is_code in code_spans(str(text))
    )


def _message(f: Finding) -> str:
    m = f.measurement
    reason = m.insufficient if _status_of(f) == "insufficient-data" else None
    if reason:
        if m.message and reason in m.message:
            return f"Insufficient data: {m.message}"
        return f"Insufficient data: {reason}" + (f" ({m.message})" if m.message else "")
    return m.message or "(no message)"


_HEAD = ("status", "column", "metric", "value", "expected", "interval", "p", "adj. p", "effect")
_NUMERIC_HEAD = {"value", "expected", "interval", "p", "adj. p"}
# fixed shares of the width so that the tables of all checks line up (at 1,132 px: 147, 136,
# 192, 85, 85, 136, 79, 79, 193)
_COLGROUP = (
    "<colgroup>"
    + "".join(f'<col style="width:{w}%">' for w in (13, 12, 17, 7.5, 7.5, 12, 7, 7, 17))
    + "</colgroup>"
)


def _check_section(check: str, items: list[tuple[int, Finding]], ids: _Ids, prefix: str, level: int) -> str:
    c = _counts(f for _, f in items)
    tally = " ".join(_badge(s, count=c[s]) for s in STATUS_ORDER if c[s])
    h = f"h{level}"
    out = [
        f'<section id="{_check_id(check, prefix)}"><{h}>{esc(check)}</{h}><p>{tally}</p>',
        f'<div class="scroll"><table class="findings">{_COLGROUP}<thead><tr>',
    ]
    out += [f'<th class="num">{h}</th>' if h in _NUMERIC_HEAD else f"<th>{h}</th>" for h in _HEAD]
    out.append("</tr></thead>")
    ordered = sorted(items, key=lambda it: (_RANK.get(_status_of(it[1]), 9), it[0]))
    for i, f in ordered:
        out.append(_finding(f"{prefix}f{i}", f, ids))
    out.append("</table></div></section>")
    return "\n".join(out)


# --- folder scans --------------------------------------------------------------------------------

_MAX_FILE_SECTIONS = 100
# a file that could not be read or checked comes first (as in collapse_guard.scan)
_FILE_ORDER = ("error", "fail", "warn", "insufficient-data", "pass")


def _scan_page(scan: ScanReport) -> str:
    ids = _Ids()
    counts = scan.counts()
    files = list(scan.files)
    rank = {st: i for i, st in enumerate(_FILE_ORDER)}
    order = sorted(range(len(files)), key=lambda k: (rank.get(files[k].status, 9), files[k].path))
    detailed = [k for k in order if files[k].status != "pass" and files[k].findings]
    shown = set(detailed[:_MAX_FILE_SECTIONS])
    meta = [
        ("Folder", f"<code>{path_html(scan.root)}</code>"),
        ("Reference", _reference_cell(scan.reference)),
        ("Seed", esc(scan.seed)),
        ("Tool", f"collapse-guard {esc(scan.tool_version)}"),
    ]
    parts = [_top(scan.status, "collapse-guard scan", scan.summary_sentence() + ".", meta)]
    summary = ['<section id="summary"><h2>Summary</h2>', _count_chips(counts, _FILE_ORDER)]
    if files:
        summary.append(
            '<h3>Files</h3><table class="files"><thead><tr><th>status</th>'
            '<th>file</th><th class="num">rows</th><th>reason</th></tr></thead><tbody>'
        )
        for k in order:
            f = files[k]
            path = path_html(f.path)
            link = f'<a href="#file{k}">{path}</a>' if k in shown else path
            rows = "" if f.rows is None else fmt_num(float(f.rows))
            kind = "" if f.kind == "data" else f' <span class="kind">{esc(f.kind)}</span>'
            summary.append(
                f'<tr class="st-{_status_class(f.status)}"><td>{_badge(f.status)}</td>'
                f'<td class="path">{link}{kind}</td><td class="num">{rows}</td>'
                f'<td class="why">{prose(f.reason)}</td></tr>'
            )
        summary.append("</tbody></table>")
        if len(detailed) > len(shown):
            summary.append(
                f"<p>Details are shown for the first {len(shown)} of {len(detailed)} "
                "files that need attention; the JSON report has them all.</p>"
            )
    else:
        summary.append("<p>No data file was found.</p>")
    images = _images(scan)
    summary += images
    if scan.skipped:
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(scan.skipped.items()))
        summary.append(f"<p>Skipped: {esc(skipped)}.</p>")
    # the Images section already gives the caveat about images without markers, next to the counts
    summary += _notes(n for n in scan.notes if not (images and _is_image_caveat(n)))
    summary.append("</section>")
    parts.append("\n".join(summary))
    for k in order:
        if k not in shown:
            continue
        f = files[k]
        findings = list(f.findings)
        prefix = f"file{k}-"
        block = [
            f'<section id="file{k}" class="file"><h2>{_badge(f.status)} '
            f"<code>{path_html(f.path)}</code></h2><p>{prose(f.reason)}</p>"
        ]
        block += _attention(findings, prefix)
        for check, items in _by_check(findings):
            block.append(_check_section(check, items, ids, prefix=prefix, level=3))
        block.append("</section>")
        parts.append("\n".join(block))
    return _page(
        f"collapse-guard scan: {_label(scan.status)} · {scan.root}", parts, scan.tool_version, scan.seed
    )


def _images(scan: ScanReport) -> list[str]:
    s = scan.images
    if s is None or not (s.images or s.unreadable):
        return []
    out = ["<h3>Images</h3>"]
    if s.images and s.share is not None and s.interval is not None:
        lo, hi = s.interval
        out.append(
            f"<p>{s.with_generator_marker} of {s.images} readable images "
            f"({_pct(s.share)}, 95% interval {_pct(lo)} to "
            f"{_pct(hi)}) carry at least one generator marker"
            + (f"; {s.unreadable} could not be read." if s.unreadable else ".")
            + "</p>"
        )
    if s.counts:
        out.append(
            '<div class="scroll"><table class="checks"><thead><tr><th>marker</th>'
            '<th class="num">images</th><th>meaning</th></tr></thead><tbody>'
        )
        for marker, n in s.counts.items():
            out.append(
                f'<tr><td><code>{esc(marker)}</code></td><td class="num">{n}</td>'
                f"<td>{esc(MARKERS.get(marker, ''))}</td></tr>"
            )
        out.append("</tbody></table></div>")
    out.append(f"<p>{esc(NO_MARKER_NOTE)}</p>")
    return out


def _is_image_caveat(note: str) -> bool:
    """The scan's note that an image without markers is not proven human (worded differently
    from ``NO_MARKER_NOTE``, which the Images section shows)."""
    return "not proven human" in note


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _finding(anchor: str, f: Finding, ids: _Ids) -> str:
    m = f.measurement
    s = _status_of(f)
    cls = _status_class(s)
    column = "<i>table</i>" if m.column is None else _key_html(m.column)
    interval = "–"
    if isinstance(m.interval, Sequence) and len(m.interval) == 2:
        # a break only after the comma, never inside a number
        interval = (
            f'<span class="nb">[{esc(fmt_num(m.interval[0], 3))},</span> '
            f'<span class="nb">{esc(fmt_num(m.interval[1], 3))}]</span>'
        )
    evidence = m.evidence if isinstance(m.evidence, Mapping) else {}
    thresholds = Thresholds.parse(evidence.get("thresholds"))
    effect_value = _finite(m.effect)
    shown_effect = effect_text(effect_value, thresholds) if effect_value is not None else fmt_num(m.effect)
    gauge = effect_gauge(effect_value, thresholds, ids(), label=shown_effect)
    effect = f"<span>{esc(shown_effect)}</span>{gauge or ''}"
    cells = [
        f"<td>{_badge(s)}</td>",
        f'<td class="col">{column}</td>',
        f'<td class="metric">{_key_html(m.metric)}</td>',
        f'<td class="num" data-label="value">{esc(fmt_num(m.value))}</td>',
        f'<td class="num" data-label="expected">{esc(fmt_num(m.expected))}</td>',
        f'<td class="num wrap" data-label="interval">{interval}</td>',
        f'<td class="num" data-label="p">{_fmt_p(m.p_value)}</td>',
        f'<td class="num" data-label="adj. p">{_fmt_p(f.p_adjusted)}</td>',
        f'<td class="effect" data-label="effect">{effect}</td>',
    ]
    subject = str(m.column if m.column is not None else m.metric)
    plots, drawn = [], []
    for key in _plot_keys(evidence):
        value = evidence[key]
        drawn_here = False
        for spec in value if isinstance(value, (list, tuple)) else [value]:
            plot = render_plot(spec, ids(), subject, metric=str(m.metric))
            if plot is not None:
                drawn_here = True
                plots.append(f"<figure>{plot.svg}<figcaption>{plot.caption}</figcaption></figure>")
        if drawn_here:
            drawn.append(key)
    body = [f'<p class="message">{prose(_message(f))}</p>']
    rest = _evidence_list(evidence, drawn)
    if thresholds is not None:
        rest = f"<dt>thresholds</dt><dd>{esc(thresholds.describe())}</dd>" + rest
    if plots or rest:
        is_open = " open" if s in _ATTENTION else ""
        label = "Evidence and plot" if plots else "Evidence"
        body.append(f'<details{is_open}><summary>{label}</summary><div class="evidence">')
        if plots:
            body.append(f'<div class="plots">{"".join(plots)}</div>')
        if rest:
            body.append(f'<dl class="ev">{rest}</dl>')
        body.append("</div></details>")
    return (
        f'<tbody id="{anchor}" class="st-{cls}"><tr class="row">{"".join(cells)}</tr>'
        f'<tr class="detail"><td></td><td colspan="{len(_HEAD) - 1}">{"".join(body)}</td></tr>'
        "</tbody>"
    )


def _finite(x: float | None) -> float | None:
    try:
        return float(x) if x is not None and math.isfinite(float(x)) else None
    except (TypeError, ValueError, OverflowError):
        return None


def _fmt_p(p: float | None) -> str:
    p = _finite(p)
    if p is None:
        return "–"
    if p == 0 or p < 1e-300:
        return "&lt;1e−300"
    if p < 1e-3:
        mant, _, exp = f"{p:.1e}".partition("e")
        return f"{mant}e−{abs(int(exp))}"
    return f"{p:.3g}"


def _is_plot(value: object) -> bool:
    return isinstance(value, Mapping) and value.get("type") in PLOT_TYPES


def _plot_keys(evidence: Mapping[str, Any]) -> list[str]:
    """Evidence keys holding plot shapes: ``plot`` first, then any other key whose value is one
    (or a list of them), so a check may attach several pictures."""
    keys = [k for k in ("plot", "plots") if k in evidence]
    keys += [k for k in evidence if k not in keys]
    out = []
    for key in keys:
        value = evidence[key]
        if _is_plot(value) or (
            isinstance(value, (list, tuple)) and value and all(_is_plot(v) for v in value)
        ):
            out.append(key)
    return out


def _evidence_list(evidence: Mapping[str, Any], drawn: Iterable[str]) -> str:
    hidden = set(_HIDDEN_EVIDENCE) | set(drawn)
    out = []
    for key, value in evidence.items():
        if key in hidden:
            continue
        out.append(f"<dt>{_key_html(key)}</dt><dd>{_evidence_value(jsonable(value))}</dd>")
    return "".join(out)


def _is_scalar(v: object) -> bool:
    return v is None or isinstance(v, (str, int, float, bool))


def _is_cell(v: object) -> bool:
    """A value that fits in a table cell: a scalar or a short list of scalars (an interval)."""
    return _is_scalar(v) or (
        isinstance(v, (list, tuple))
        and len(v) <= 4
        and all(_is_scalar(x) and not isinstance(x, str) for x in v)
    )


def _evidence_value(value: Any) -> str:
    """Evidence as people read it: numbers formatted, lists as chips, records as a table."""
    if isinstance(value, str):
        if "\n" in value or len(value) > 300:
            return f"<pre>{esc(_truncate(value))}</pre>"
        return esc(value)
    if _is_scalar(value):
        return _scalar_html(value)
    if isinstance(value, Sequence) and all(_is_scalar(v) for v in value):
        if not value:
            return "<i>none</i>"
        chips = "".join(f"<code>{_scalar_html(v)}</code>" for v in value[:_MAX_ITEMS])
        more = f" … and {len(value) - _MAX_ITEMS} more" if len(value) > _MAX_ITEMS else ""
        return f'<span class="chips">{chips}</span>{more}'
    if (
        isinstance(value, Mapping)
        and 0 < len(value) <= _MAX_ITEMS
        and all(_is_scalar(v) for v in value.values())
    ):
        cells = "".join(
            f"<tr><th>{esc(k)}</th><td>{esc(_scalar_text(v))}</td></tr>" for k, v in value.items()
        )
        return f'<div class="kvs"><table class="kv">{cells}</table></div>'
    if (
        isinstance(value, Sequence)
        and value
        and all(isinstance(v, Mapping) and all(_is_cell(x) for x in v.values()) for v in value)
    ):
        return _records(value)
    return f"<pre>{esc(_truncate(json.dumps(value, ensure_ascii=False, indent=1)))}</pre>"


def _records(records: Sequence[Mapping[str, Any]]) -> str:
    """A list of flat records (e.g. vanished categories with their counts) as a small table."""
    keys: list[str] = []
    for r in records:
        keys += [k for k in r if k not in keys]
    keys = keys[:8]
    head = "".join(f"<th>{esc(k)}</th>" for k in keys)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{esc(_scalar_text(r.get(k)))}</td>'
            if isinstance(r.get(k), (int, float)) and not isinstance(r.get(k), bool)
            else f'<td class="nb">{esc(_scalar_text(r.get(k)))}</td>'
            if isinstance(r.get(k), (list, tuple))
            else f"<td>{esc(_scalar_text(r.get(k)))}</td>"
            for k in keys
        )
        + "</tr>"
        for r in records[:_MAX_ITEMS]
    )
    more = f"<p>… and {len(records) - _MAX_ITEMS} more</p>" if len(records) > _MAX_ITEMS else ""
    return (
        f'<div class="records"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{more}'
    )


def _scalar_html(v: object) -> str:
    """A scalar for an evidence cell; numbers (and true/false/null) never break across lines."""
    text = esc(_scalar_text(v))
    return text if isinstance(v, str) else f'<span class="nb">{text}</span>'


def _key_html(key: object) -> str:
    """An evidence key that may break after its underscores (``batch_rows_in_rare_...``)."""
    return "_<wbr>".join(esc(part) for part in str(key).split("_"))


def path_html(path: object) -> str:
    """A file path that breaks after a ``/`` rather than at a hyphen or inside a name: each
    piece up to and including its slash is kept whole unless it is wider than the line."""
    pieces = str(path).split("/")
    parts = [p + "/" for p in pieces[:-1]] + [pieces[-1]]
    return "<wbr>".join(f'<span class="seg">{esc(p)}</span>' for p in parts if p)


def _truncate(text: str) -> str:
    if len(text) <= _MAX_JSON:
        return text
    return text[:_MAX_JSON] + f"\n… ({len(text) - _MAX_JSON} more characters)"


def _scalar_text(v: object) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_scalar_text(x) for x in v) + "]"
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, (int, float)):
        return fmt_num(float(v), 6)
    return str(v)


def _footer(version: str, seed: object) -> str:
    legend = [
        (
            "✖ fail",
            ("significant after multiple-testing control and the effect is beyond the fail threshold"),
        ),
        ("▲ warn", "significant at the warn level and the effect is beyond the warn threshold"),
        ("✔ pass", "no collapse of practical size was detected"),
        ("○ insufficient data", "the batch is too small to detect the configured effect"),
        ("⚠ error", "the check could not run; treated as a failure"),
        (
            "plots",
            (
                "reference in blue, batch in orange-red; as lines the reference is solid and the "
                "batch dashed, as bars each category has the reference bar above the batch bar, "
                "and a null distribution's observed batch value is a solid line; "
                "effect gauges show green/amber/red zones with the effect as a black mark "
                "(hover for the thresholds)"
            ),
        ),
    ]
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in legend)
    return (
        f"<footer><dl>{rows}</dl><p>Generated by collapse-guard {esc(version)} "
        f"with seed {esc(seed)}. This page contains no scripts and loads nothing from "
        "the network.</p></footer>"
    )
