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

from ..hookspecs import hookimpl
from ..results import Finding, Report, jsonable
from .svg import Thresholds, effect_gauge, esc, fmt_num, render_plot

#: Worst first; also the order of the summary counts.
STATUS_ORDER = ("fail", "error", "warn", "insufficient-data", "pass")
_RANK = {s: i for i, s in enumerate(STATUS_ORDER)}
_GLYPH = {"fail": "✖", "error": "⚠", "warn": "▲", "insufficient-data": "○", "pass": "✔"}
_LABEL = {"insufficient-data": "insufficient data"}
_ATTENTION = ("fail", "error", "warn")
_MAX_ATTENTION = 40
_MAX_ITEMS = 60
_MAX_JSON = 4000
_HIDDEN_EVIDENCE = ("plot", "plots", "thresholds")

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

CSS = """
:root{--ink:#1f2328;--muted:#57606a;--line:#d0d7de;--soft:#f6f8fa;
--fail:#cf222e;--fail-bg:#ffebe9;--warn:#9a6700;--warn-bg:#fff8c5;--pass:#1a7f37;
--pass-bg:#dafbe1;--error:#8250df;--error-bg:#fbefff;--insufficient-data:#57606a;
--insufficient-data-bg:#eaeef2;--unknown:#57606a;--unknown-bg:#eaeef2}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;font:14px/1.5 system-ui,-apple-system,"Segoe UI",
Roboto,"Liberation Sans","DejaVu Sans",sans-serif;font-variant-numeric:tabular-nums}
main{max-width:1180px;margin:0 auto;padding:0 24px 40px}
h1{font-size:22px;margin:0}
h2{font-size:18px;margin:36px 0 8px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:20px 0 8px}
a{color:#0969da;text-decoration:none}a:hover{text-decoration:underline}
code{font:12.5px ui-monospace,"DejaVu Sans Mono",monospace;background:var(--soft);
padding:1px 4px;border-radius:4px}
.top{display:flex;gap:20px;align-items:center;padding:20px 24px;margin:0 -24px 8px;
border-bottom:4px solid var(--st);background:var(--st-bg)}
.top .lead{margin:4px 0 0;font-size:15px}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:14px 0 0;
font-size:13px}
.meta dt{color:var(--muted)}.meta dd{margin:0;overflow-wrap:anywhere}
.badge{display:inline-block;white-space:nowrap;font-weight:600;font-size:12px;line-height:18px;
padding:1px 8px;border-radius:999px;color:var(--st);background:var(--st-bg);
border:1px solid var(--st)}
.badge.big{font-size:22px;line-height:30px;padding:8px 18px;border-width:2px;
text-transform:uppercase;letter-spacing:.04em;background:#fff}
.st-fail{--st:var(--fail);--st-bg:var(--fail-bg)}.st-warn{--st:var(--warn);--st-bg:var(--warn-bg)}
.st-pass{--st:var(--pass);--st-bg:var(--pass-bg)}
.st-error{--st:var(--error);--st-bg:var(--error-bg)}
.st-insufficient-data{--st:var(--insufficient-data);--st-bg:var(--insufficient-data-bg)}
.st-unknown{--st:var(--unknown);--st-bg:var(--unknown-bg)}
.counts{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0;padding:0;list-style:none}
.counts li{padding:6px 14px;border-radius:8px;border:1px solid var(--line);min-width:110px}
.counts li b{display:block;font-size:22px;line-height:1.2;color:var(--st)}
.counts li.zero{opacity:.55}.counts li.zero b{color:var(--muted)}
.attention{list-style:none;padding:0;margin:8px 0}
.attention li{padding:8px 12px;border-left:4px solid var(--st);background:var(--st-bg);
margin:0 0 6px;border-radius:0 6px 6px 0}
.attention .where{font-size:12.5px;color:var(--muted);margin-left:6px}
.attention .msg{display:block;margin-top:2px}
table{border-collapse:collapse;width:100%}
.findings{table-layout:fixed}.checks{width:auto;min-width:60%}
th,td{text-align:left;vertical-align:top;padding:6px 8px}
th{font-size:12px;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line);
white-space:nowrap}
td.num,th.num{text-align:right;white-space:nowrap}
.checks td,.checks th{border-bottom:1px solid var(--line)}
.findings{margin-top:6px}
.findings tbody{border-bottom:1px solid var(--line)}
.findings tbody.st-fail,.findings tbody.st-error,.findings tbody.st-warn{
background:linear-gradient(var(--st),var(--st)) left/3px 100% no-repeat}
.findings tr.row td{padding-top:10px}
.findings tr.detail td{padding-top:0;padding-bottom:12px}
.findings .metric{font:12.5px ui-monospace,"DejaVu Sans Mono",monospace;overflow-wrap:anywhere}
.findings .col{font-weight:600;overflow-wrap:anywhere}.findings .col i{font-weight:400;
color:var(--muted)}
.message{margin:0;font-size:14.5px}
.st-fail .message,.st-error .message{font-weight:500}
.reason{color:var(--muted)}
.effect{white-space:nowrap}.effect span{display:block}
svg.gauge{display:block;margin-top:2px}
details{margin-top:6px}
summary{cursor:pointer;color:var(--muted);font-size:13px}
.plots{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0}
figure{margin:0;padding:8px;border:1px solid var(--line);border-radius:8px;background:#fff;
max-width:620px}
figure svg{max-width:100%;height:auto;display:block}
figcaption{font-size:12.5px;color:var(--muted);padding:4px 4px 0;max-width:600px}
.ev{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:8px 0 0;
font-size:13px}
.ev dt{color:var(--muted);font:12.5px ui-monospace,"DejaVu Sans Mono",monospace}
.ev dd{margin:0;overflow-wrap:anywhere}
.chips{display:flex;flex-wrap:wrap;gap:4px}
.chips code{border:1px solid var(--line)}
pre{margin:0;font:12px ui-monospace,"DejaVu Sans Mono",monospace;white-space:pre-wrap;
overflow-wrap:anywhere;max-height:320px;overflow:auto;background:var(--soft);padding:6px 8px;
border-radius:6px}
.notes{background:var(--soft);border:1px solid var(--line);border-radius:8px;padding:8px 16px}
footer{margin-top:40px;padding-top:12px;border-top:1px solid var(--line);color:var(--muted);
font-size:12.5px}
footer dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}
footer dd{margin:0}
@media print{details{display:block}.top{print-color-adjust:exact;-webkit-print-color-adjust:exact}}
"""


class HtmlReporter:
    """Render a report as one self-contained HTML page with plots."""

    name = "html"
    description = "self-contained HTML page with plots (no scripts, nothing loaded from outside)"

    def render(self, report: Report) -> str:
        """Return the whole page."""
        return render_html(report)


@hookimpl
def register_reporters(register: Callable[[Any], None]) -> None:
    register(HtmlReporter())


def render_html(report: Report) -> str:
    """The HTML page for ``report`` (deterministic: same report, same bytes)."""
    ids = _Ids()
    findings = list(report.findings)
    status = _status_class(report.status)
    batch_name = _batch_title(report.batch)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="collapse-guard">',
        f"<title>collapse-guard: {esc(_label(report.status))} · {esc(batch_name)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        _header(report, status, findings),
        _summary(report, findings),
    ]
    for check, items in _by_check(findings):
        out.append(_check_section(check, items, findings, ids))
    out.append(_footer(report))
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


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


def _badge(status: str, big: bool = False) -> str:
    cls = _status_class(status)
    glyph = _GLYPH.get(cls, "•")
    size = " big" if big else ""
    return (f'<span class="badge{size} st-{cls}"><span aria-hidden="true">{glyph}</span> '
            f"{esc(_label(status))}</span>")


def _batch_title(batch: Mapping[str, Any]) -> str:
    paths = _paths(batch)
    if not paths:
        return "batch"
    return paths[0] if len(paths) == 1 else f"{paths[0]} and {len(paths) - 1} more"


def _paths(side: Mapping[str, Any]) -> list[str]:
    paths = side.get("paths")
    if isinstance(paths, (list, tuple)):
        return [str(p) for p in paths]
    path = side.get("path")
    return [str(path)] if path not in (None, "") else []


def _rows(side: Mapping[str, Any]) -> str:
    rows = side.get("rows")
    if isinstance(rows, (int, float)) and not isinstance(rows, bool):
        return f"{fmt_num(float(rows))} rows"
    return ""


def _header(report: Report, status: str, findings: list[Finding]) -> str:
    counts = _counts(findings)
    total = len(findings)
    if total == 0:
        lead = "No check produced a finding."
    else:
        bits = [f"{counts[s]} {_label(s)}" for s in ("fail", "error", "warn") if counts[s]]
        lead = (f"{', '.join(bits)} of {total} findings." if bits else
                f"All {total} findings passed or could not be tested.")
        if not bits and counts["pass"] == total:
            lead = f"All {total} findings passed."
    ref = report.reference
    ref_bits = []
    ref_paths = _paths(ref)
    ref_bits.append(f"<code>{esc(ref_paths[0])}</code>" if ref_paths else "<i>none</i>")
    sha = ref.get("sha256")
    detail = []
    if isinstance(sha, str) and sha:
        detail.append(f'sha256 <code title="{esc(sha)}">{esc(sha[:12])}</code>')
    if _rows(ref):
        detail.append(_rows(ref))
    if detail:
        ref_bits.append(" (" + ", ".join(detail) + ")")
    batch_paths = _paths(report.batch)
    shown = " ".join(f"<code>{esc(p)}</code>" for p in batch_paths[:5])
    if len(batch_paths) > 5:
        shown += f" and {len(batch_paths) - 5} more"
    if _rows(report.batch):
        shown += f" ({_rows(report.batch)})"
    meta = [
        ("Reference", "".join(ref_bits)),
        ("Batch", shown or "<i>in-memory data</i>"),
        ("Seed", esc(report.seed)),
        ("Tool", f"collapse-guard {esc(report.tool_version)}"),
    ]
    rows = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in meta)
    return (
        f'<header class="top st-{status}">'
        f"{_badge(report.status, big=True)}"
        f'<div><h1>collapse-guard report</h1><p class="lead">{esc(lead)}</p>'
        f'<dl class="meta">{rows}</dl></div></header>'
    )


def _counts(findings: Iterable[Finding]) -> dict[str, int]:
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for f in findings:
        s = _status_of(f)
        counts[s] = counts.get(s, 0) + 1
    return counts


def _where(f: Finding) -> str:
    column = "table" if f.column is None else f"column {f.column}"
    return f"{f.check} · {column} · {f.metric}"


def _summary(report: Report, findings: list[Finding]) -> str:
    counts = _counts(findings)
    out = ['<section id="summary"><h2>Summary</h2><ul class="counts">']
    for s in STATUS_ORDER:
        zero = " zero" if counts[s] == 0 else ""
        out.append(f'<li class="st-{s}{zero}"><b>{counts[s]}</b>{_badge(s)}</li>')
    out.append("</ul>")
    urgent = sorted(
        (i for i, f in enumerate(findings) if _status_of(f) in _ATTENTION),
        key=lambda i: (_RANK[_status_of(findings[i])], i),
    )
    if urgent:
        out.append("<h3>Needs attention</h3><ol class=\"attention\">")
        for i in urgent[:_MAX_ATTENTION]:
            f = findings[i]
            s = _status_of(f)
            out.append(
                f'<li class="st-{s}">{_badge(s)}<a class="where" href="#f{i}">{esc(_where(f))}</a>'
                f'<span class="msg">{esc(_message(f))}</span></li>'
            )
        out.append("</ol>")
        if len(urgent) > _MAX_ATTENTION:
            out.append(f"<p>… and {len(urgent) - _MAX_ATTENTION} more in the sections below.</p>")
    elif findings:
        out.append("<p>No finding failed or warned.</p>")
    else:
        out.append("<p>No check produced a finding: check the selected checks and the columns "
                   "shared by the batch and the reference.</p>")
    groups = _by_check(findings)
    if groups:
        out.append('<h3>Checks</h3><table class="checks"><thead><tr><th>check</th>')
        out += [f'<th class="num">{esc(_label(s))}</th>' for s in STATUS_ORDER]
        out.append("</tr></thead><tbody>")
        for check, items in groups:
            c = _counts(f for _, f in items)
            cells = "".join(f'<td class="num">{c[s] or ""}</td>' for s in STATUS_ORDER)
            out.append(f'<tr><td><a href="#{_check_id(check)}">{esc(check)}</a></td>{cells}</tr>')
        out.append("</tbody></table>")
    if report.notes:
        out.append('<h3>Notes</h3><div class="notes"><ul>')
        out += [f"<li>{esc(n)}</li>" for n in report.notes]
        out.append("</ul></div>")
    out.append("</section>")
    return "\n".join(out)


def _by_check(findings: list[Finding]) -> list[tuple[str, list[tuple[int, Finding]]]]:
    groups: dict[str, list[tuple[int, Finding]]] = {}
    for i, f in enumerate(findings):
        groups.setdefault(str(f.check), []).append((i, f))
    return list(groups.items())


def _check_id(check: str) -> str:
    # ids only from safe characters; the check name itself is shown escaped
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in check)
    return f"check-{safe}"


def _message(f: Finding) -> str:
    m = f.measurement
    if m.insufficient and _status_of(f) == "insufficient-data":
        return f"Insufficient data: {m.insufficient}" + (f" ({m.message})" if m.message else "")
    return m.message or "(no message)"


_HEAD = ("status", "column", "metric", "value", "expected", "interval", "p", "adj. p", "effect")
_NUMERIC_HEAD = {"value", "expected", "interval", "p", "adj. p"}
# fixed widths so that the tables of all checks line up
_COLGROUP = "<colgroup>" + "".join(
    f'<col style="width:{w}px">' for w in (150, 150, 210, 80, 80, 140, 72, 72, 170)
) + "</colgroup>"


def _check_section(check: str, items: list[tuple[int, Finding]], findings: list[Finding],
                   ids: _Ids) -> str:
    c = _counts(f for _, f in items)
    tally = " ".join(_badge(s).replace("</span> ", f"</span> {c[s]} ", 1)
                     for s in STATUS_ORDER if c[s])
    out = [f'<section id="{_check_id(check)}"><h2>{esc(check)}</h2><p>{tally}</p>',
           f'<table class="findings">{_COLGROUP}<thead><tr>']
    out += [f'<th class="num">{h}</th>' if h in _NUMERIC_HEAD else f"<th>{h}</th>" for h in _HEAD]
    out.append("</tr></thead>")
    ordered = sorted(items, key=lambda it: (_RANK.get(_status_of(it[1]), 9), it[0]))
    for i, f in ordered:
        out.append(_finding(i, f, ids))
    out.append("</table></section>")
    return "\n".join(out)


def _finding(i: int, f: Finding, ids: _Ids) -> str:
    m = f.measurement
    s = _status_of(f)
    cls = _status_class(s)
    column = "<i>table</i>" if m.column is None else esc(m.column)
    interval = "–"
    if m.interval is not None and len(m.interval) == 2:
        interval = f"[{fmt_num(m.interval[0])}, {fmt_num(m.interval[1])}]"
    evidence = m.evidence if isinstance(m.evidence, Mapping) else {}
    thresholds = Thresholds.parse(evidence.get("thresholds"))
    gauge = effect_gauge(_finite(m.effect), thresholds, ids())
    effect = f"<span>{fmt_num(m.effect)}</span>{gauge or ''}"
    cells = [
        f"<td>{_badge(s)}</td>",
        f'<td class="col">{column}</td>',
        f'<td class="metric">{esc(m.metric)}</td>',
        f'<td class="num">{fmt_num(m.value)}</td>',
        f'<td class="num">{fmt_num(m.expected)}</td>',
        f'<td class="num">{interval}</td>',
        f'<td class="num">{_fmt_p(m.p_value)}</td>',
        f'<td class="num">{_fmt_p(f.p_adjusted)}</td>',
        f'<td class="effect">{effect}</td>',
    ]
    subject = m.column if m.column is not None else m.metric
    plots = []
    for spec in _plot_specs(evidence):
        plot = render_plot(spec, ids(), str(subject))
        if plot is not None:
            plots.append(f"<figure>{plot.svg}<figcaption>{plot.caption}</figcaption></figure>")
    body = [f'<p class="message">{esc(_message(f))}</p>']
    rest = _evidence_list(evidence)
    if thresholds is not None:
        rest = f"<dt>thresholds</dt><dd>{esc(thresholds.describe())}</dd>" + rest
    if plots or rest:
        is_open = " open" if s in _ATTENTION else ""
        label = "Evidence and plot" if plots else "Evidence"
        body.append(f"<details{is_open}><summary>{label}</summary>")
        if plots:
            body.append(f'<div class="plots">{"".join(plots)}</div>')
        if rest:
            body.append(f'<dl class="ev">{rest}</dl>')
        body.append("</details>")
    return (
        f'<tbody id="f{i}" class="st-{cls}"><tr class="row">{"".join(cells)}</tr>'
        f'<tr class="detail"><td></td><td colspan="{len(_HEAD) - 1}">{"".join(body)}</td></tr>'
        "</tbody>"
    )


def _finite(x: float | None) -> float | None:
    try:
        return float(x) if x is not None and math.isfinite(float(x)) else None
    except (TypeError, ValueError):
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


def _plot_specs(evidence: Mapping[str, Any]) -> list[object]:
    specs: list[object] = []
    for key in ("plot", "plots"):
        value = evidence.get(key)
        if isinstance(value, Mapping):
            specs.append(value)
        elif isinstance(value, (list, tuple)):
            specs += [v for v in value if isinstance(v, Mapping)]
    return specs


def _evidence_list(evidence: Mapping[str, Any]) -> str:
    out = []
    for key, value in evidence.items():
        if key in _HIDDEN_EVIDENCE:
            continue
        out.append(f"<dt>{esc(key)}</dt><dd>{_evidence_value(jsonable(value))}</dd>")
    return "".join(out)


def _evidence_value(value: Any) -> str:
    if value is None or isinstance(value, (bool, str)):
        return f"<code>{esc(json.dumps(value, ensure_ascii=False))}</code>" if not isinstance(
            value, str) else esc(value)
    if isinstance(value, (int, float)):
        return esc(fmt_num(float(value), 6))
    if isinstance(value, Sequence) and all(
            v is None or isinstance(v, (str, int, float, bool)) for v in value):
        if not value:
            return "<i>none</i>"
        chips = "".join(f"<code>{esc(_scalar_text(v))}</code>" for v in value[:_MAX_ITEMS])
        more = f" … and {len(value) - _MAX_ITEMS} more" if len(value) > _MAX_ITEMS else ""
        return f'<span class="chips">{chips}</span>{more}'
    text = json.dumps(value, ensure_ascii=False, indent=1, sort_keys=False)
    if len(text) > _MAX_JSON:
        text = text[:_MAX_JSON] + f"\n… ({len(text) - _MAX_JSON} more characters)"
    return f"<pre>{esc(text)}</pre>"


def _scalar_text(v: str | float | bool | None) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    return fmt_num(float(v), 6)


def _footer(report: Report) -> str:
    legend = [
        ("✖ fail", ("significant after multiple-testing control and the effect is beyond the "
                   "fail threshold")),
        ("▲ warn", "significant at the warn level and the effect is beyond the warn threshold"),
        ("✔ pass", "no collapse of practical size was detected"),
        ("○ insufficient data", "the batch is too small to detect the configured effect"),
        ("⚠ error", "the check could not run; treated as a failure"),
        ("plots", ("reference in blue (solid or filled), batch in orange-red (dashed); "
                  "effect gauges show green/amber/red zones with the effect as a black mark")),
    ]
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in legend)
    return (f"<footer><dl>{rows}</dl><p>Generated by collapse-guard {esc(report.tool_version)} "
            f"with seed {esc(report.seed)}. This page contains no scripts and loads nothing from "
            "the network.</p></footer>")
