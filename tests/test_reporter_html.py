"""The html reporter: structure, plots, escaping, determinism, and a headless-browser render."""

from __future__ import annotations

import math
import re
import subprocess
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collapse_guard.protocols import Reporter
from collapse_guard.reporters import html as html_reporter
from collapse_guard.reporters.html import HtmlReporter, render_html
from collapse_guard.reporters.svg import (
    BATCH,
    REF,
    ZONE,
    Axis,
    Thresholds,
    effect_gauge,
    fmt_num,
    linear_ticks,
    log_ticks,
    render_plot,
)
from collapse_guard.results import Finding, Measurement, Report, Status

CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = '<script>alert("x")</script>'


# --- building reports directly from results objects ------------------------------------------


def _quantiles_spec(seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    probs = [0.001, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999]
    ref = rng.lognormal(3.0, 1.0, 20_000)
    bat = rng.lognormal(3.0, 0.6, 5_000)
    return {
        "type": "quantiles",
        "probs": probs,
        "reference": np.quantile(ref, probs).tolist(),
        "batch": np.quantile(bat, probs).tolist(),
    }


BARS = {
    "type": "bars",
    "labels": ["us", "de", "is", "mt"],
    "reference": [0.6, 0.3, 0.06, 0.04],
    "batch": [0.65, 0.35, 0.0, 0.0],
}
HIST = {
    "type": "hist",
    "edges": [0.0, 1.0, 2.0, 3.0, 4.0],
    "reference": [0.1, 0.4, 0.4, 0.1],
    "batch": [0.0, 0.5, 0.5, 0.0],
}
NULL = {"type": "null", "null": [0.60 + 0.001 * i for i in range(100)], "observed": 0.48}
LOWER = {"warn": 0.75, "fail": 0.5, "worse": "lower"}


def _finding(
    check: str,
    status: Status,
    column: str | None = "income",
    metric: str = "m",
    evidence: dict[str, Any] | None = None,
    message: str = "something vanished.",
    effect: float | None = 0.4,
    **kw: Any,
) -> Finding:
    m = Measurement(
        column=column,
        metric=metric,
        value=kw.pop("value", 0.002),
        expected=kw.pop("expected", 0.01),
        interval=kw.pop("interval", (0.001, 0.004)),
        p_value=kw.pop("p_value", 1.2e-9),
        effect=effect,
        message=message,
        evidence=evidence or {},
        insufficient=kw.pop("insufficient", None),
    )
    return Finding(check, m, status, kw.pop("p_adjusted", 3.4e-8))


def _report(findings: list[Finding], status: str = "fail", **kw: Any) -> Report:
    return Report(
        findings=tuple(findings),
        status=status,
        reference=kw.get("reference", {"path": "ref.json", "sha256": "ab12cd34ef567890aa", "rows": 20_000}),
        batch=kw.get("batch", {"paths": ["batch.csv"], "rows": 5_000}),
        seed=7,
        tool_version=kw.get("tool_version", "9.9.9"),
        notes=kw.get("notes", ()),
    )


def _full_report() -> Report:
    return _report(
        [
            _finding(
                "tail-shrinkage",
                Status.PASS,
                metric="spread",
                evidence={"plot": HIST},
                message="spread is fine.",
            ),
            _finding(
                "tail-shrinkage",
                Status.FAIL,
                metric="upper_tail_mass_q99",
                evidence={"plot": _quantiles_spec(), "thresholds": LOWER, "q99": 812.0},
                message="p99 fell from 812 to 640; 10 rows above it where 50 were expected.",
            ),
            _finding(
                "tail-shrinkage",
                Status.WARN,
                column="country",
                metric="coverage",
                evidence={"plot": BARS, "thresholds": LOWER, "missing": ["is", "mt"]},
                message="2 of 4 reference categories of country are missing: is, mt.",
            ),
            _finding(
                "diversity-loss",
                Status.WARN,
                column="body",
                metric="distinct_2",
                evidence={"plot": NULL, "thresholds": {"warn": 0.85, "fail": 0.7, "worse": "lower"}},
                message="distinct-2 is 27% below expected.",
            ),
            _finding(
                "diversity-loss",
                Status.INSUFFICIENT,
                column="age",
                metric="entropy",
                effect=None,
                insufficient="a batch of 40 rows cannot detect it; needs 400",
                message="",
            ),
            _finding(
                "synthetic-contamination",
                Status.FAIL,
                column=None,
                metric="synthetic_share",
                effect=0.34,
                evidence={"thresholds": {"warn": 0.1, "fail": 0.25, "worse": "higher"}},
                message="estimated synthetic share 34% [28%, 41%].",
            ),
        ],
        notes=("sampled 5,000 of 80,000 rows",),
    )


class _Tree(HTMLParser):
    """Records start tags (with attributes), text and the tag stack, and checks nesting."""

    VOID = frozenset({"meta", "br", "col", "img", "hr", "input", "link", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None], tuple[str, ...]]] = []
        self.stack: list[str] = []
        self.text: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs), tuple(self.stack)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs), tuple(self.stack)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a
            for t, a, _ in self.tags
            if t == tag and all(k in a and attr_has(a[k], v) for k, v in attrs.items())
        ]


def attr_has(value: str | None, wanted: str) -> bool:
    return value is not None and wanted in value.split()


def _parse(page: str) -> _Tree:
    tree = _Tree()
    tree.feed(page)
    tree.close()
    assert tree.errors == [], tree.errors[:5]
    assert tree.stack == [], tree.stack
    return tree


# --- registration ------------------------------------------------------------------------------


def test_registers_as_html_reporter_through_the_hook() -> None:
    registered: list[Any] = []
    html_reporter.register_reporters(registered.append)
    assert len(registered) == 1
    reporter = registered[0]
    assert reporter.name == "html" and reporter.description
    assert isinstance(reporter, Reporter)


def test_listed_by_the_plugin_registry() -> None:
    plugins = pytest.importorskip("collapse_guard.plugins")
    assert "collapse_guard.reporters.html" in plugins.DEFAULT_PLUGINS


# --- page structure ----------------------------------------------------------------------------


def test_golden_structure_of_a_full_report() -> None:
    report = _full_report()
    page = HtmlReporter().render(report)
    assert page.startswith("<!DOCTYPE html>")
    tree = _parse(page)
    text = " ".join(tree.text)

    header = tree.find("header")
    assert len(header) == 1 and attr_has(header[0]["class"], "st-fail")
    big = tree.find("span", **{"class": "big"})
    assert len(big) == 1
    # the sha256 prefix is shown; the full hash is only in the hover title
    assert "ab12cd34ef56" in text and "ab12cd34ef567890aa" not in text
    assert "batch.csv" in text and "5,000 rows" in text and "20,000 rows" in text
    assert "9.9.9" in text and "Seed" in text

    # summary: counts per status, failing findings before warnings; within a status (equal
    # adjusted p-values here) the effect furthest beyond its threshold first
    assert tree.find("section", id="summary")
    attention = [a["href"] for a in tree.find("a", **{"class": "where"})]
    assert attention == ["#f5", "#f1", "#f3", "#f2"]
    assert "sampled 5,000 of 80,000 rows" in text

    # one section per check, in report order, each with a findings table
    sections = [a["id"] for a in tree.find("section")][1:]
    assert sections == ["check-tail-shrinkage", "check-diversity-loss", "check-synthetic-contamination"]
    assert len(tree.find("table", **{"class": "findings"})) == 3
    assert [a["id"] for a in tree.find("tbody") if a.get("id")] == [
        "f1",
        "f2",
        "f0",
        "f3",
        "f4",
        "f5",
    ]  # worst first within each check
    headers = [t for t in text.split() if t in {"interval", "adj.", "effect", "expected"}]
    assert headers.count("interval") == 3

    # every plot type drawn once, each svg titled; one gauge per finding with an effect
    plots = tree.find("svg", **{"class": "plot"})
    gauges = tree.find("svg", **{"class": "gauge"})
    assert len(plots) == 4
    assert len(gauges) == 5
    svg_ids = {a["aria-labelledby"] for a in plots + gauges}
    assert len(svg_ids) == 9
    svg_titles = [stack for t, _, stack in tree.tags if t == "title" and stack[-1] == "svg"]
    assert len(svg_titles) == 9

    # evidence disclosures: open for fail/warn, closed for pass
    details = tree.find("details")
    assert len(details) == 5
    assert sum(1 for d in details if "open" in d) == 4
    assert "a batch of 40 rows cannot detect it; needs 400" in text
    assert "warn at ≤ 0.75, fail at ≤ 0.5 (lower is worse)" in text


def test_status_is_shown_by_text_as_well_as_colour() -> None:
    tree = _parse(render_html(_full_report()))
    badges = tree.find("span", **{"class": "badge"})
    texts = " ".join(tree.text)
    for word in ("fail", "warn", "pass", "insufficient data", "error"):
        assert word in texts
    assert all(a["class"] and "st-" in a["class"] for a in badges)


def test_empty_report_renders_a_clear_page() -> None:
    page = render_html(_report([], status="warn"))
    tree = _parse(page)
    text = " ".join(tree.text)
    assert "No check produced a finding" in text
    assert not tree.find("table", **{"class": "findings"})
    assert not tree.find("svg")
    assert attr_has(tree.find("header")[0]["class"], "st-warn")


def test_all_passing_report_says_so_and_keeps_evidence_closed() -> None:
    findings = [
        _finding(
            "tail-shrinkage",
            Status.PASS,
            metric=f"m{i}",
            evidence={"plot": HIST, "thresholds": LOWER},
            effect=0.95,
        )
        for i in range(3)
    ]
    tree = _parse(render_html(_report(findings, status="pass")))
    text = " ".join(tree.text)
    assert "All 3 findings passed." in text and "No finding failed or warned." in text
    assert tree.find("details") and not any("open" in d for d in tree.find("details"))


def test_error_finding_and_unknown_status_render() -> None:
    findings = [
        _finding(
            "third-party",
            Status.ERROR,
            metric="crash",
            effect=None,
            message="check third-party crashed: ValueError: boom",
            evidence={"traceback": "Traceback...\n  File x\nValueError: boom"},
        )
    ]
    tree = _parse(render_html(_report(findings, status="something-new")))
    assert tree.find("tbody", **{"class": "st-error"})
    assert attr_has(tree.find("header")[0]["class"], "st-unknown")
    assert "ValueError: boom" in " ".join(tree.text)


def test_evidence_is_rendered_for_people() -> None:
    evidence = {
        "missing": [
            {"category": "is", "reference_count": 12, "reference_share": 0.0006},
            {"category": "mt", "reference_count": 9, "reference_share": 0.00045},
        ],
        "counts": {"kept": 3, "dropped": 1},
        "tokens": ["delve", "tapestry"],
        "traceback": "Traceback (most recent call last):\n  ValueError: boom",
        "batch_rows": 5000,
        "nested": {"deep": [{"x": [1, 2]}]},
    }
    tree = _parse(render_html(_report([_finding("c", Status.FAIL, evidence=evidence)])))
    text = " ".join(tree.text)
    # the list of records becomes a table: one header per key, one row per record
    assert len(tree.find("div", **{"class": "records"})) == 1
    record_rows = [
        t for t, _, stack in tree.tags if t == "tr" and "tbody" in stack and stack.count("tbody") == 2
    ]
    assert len(record_rows) == 2
    assert "reference_count" in text and "0.00045" in text
    assert len(tree.find("table", **{"class": "kv"})) == 1 and "dropped" in text
    assert len(tree.find("span", **{"class": "chips"})) == 1 and "tapestry" in text
    assert "5,000" in text
    pres = [t for t, _, _ in tree.tags if t == "pre"]
    assert len(pres) == 2  # the multi-line traceback and the nested structure


def test_plots_under_any_evidence_key_are_drawn_not_dumped() -> None:
    evidence = {"plot": NULL, "bars": BARS, "more": [HIST, HIST], "pie": {"type": "pie"}}
    tree = _parse(render_html(_report([_finding("c", Status.FAIL, evidence=evidence)])))
    assert len(tree.find("svg", **{"class": "plot"})) == 4
    keys = [t for t in tree.text if t in {"bars", "more", "pie", "plot"}]
    # drawn shapes are not repeated as raw evidence; the unknown one is shown as data
    assert set(keys) == {"pie"}


def test_long_attention_list_keeps_the_worst_in_view_and_folds_the_rest() -> None:
    findings = [_finding("c", Status.WARN, metric=f"w{i}") for i in range(8)]
    findings += [_finding("c", Status.FAIL, metric=f"f{i}") for i in range(5)]
    tree = _parse(render_html(_report(findings)))
    lists = tree.find("ol", **{"class": "attention"})
    assert len(lists) == 2 and lists[1].get("start") == "11"
    hrefs = [a["href"] for a in tree.find("a", **{"class": "where"})]
    assert hrefs[:5] == [f"#f{i}" for i in range(8, 13)]  # the five failures come first
    assert len(hrefs) == 13
    assert "3 more need attention (3 warn)" in " ".join(tree.text)


def test_insufficient_reason_is_not_repeated() -> None:
    reason = "no reference value lies above its p99 (5)"
    f = _finding("c", Status.INSUFFICIENT, effect=None, insufficient=reason, message=f"rating: {reason}")
    text = " ".join(_parse(render_html(_report([f], status="warn"))).text)
    assert f"Insufficient data: rating: {reason}" in text
    assert text.count(reason) == 1


def test_malformed_measurement_from_a_third_party_check_still_renders() -> None:
    odd: Any = {
        "value": "<u>abc</u>",
        "expected": [1, 2],
        "interval": "wide",
        "p_value": "low",
        "effect": "high",
        "evidence": ["not", "a", "mapping"],
    }
    m = Measurement(column=None, metric="odd", **odd)
    page = render_html(_report([Finding("third-party", m, Status.WARN, p_adjusted=None)]))
    tree = _parse(page)
    assert "<u>" not in page and "&lt;u&gt;abc&lt;/u&gt;" in page
    assert tree.find("tbody", **{"class": "st-warn"})


def test_output_is_deterministic() -> None:
    assert render_html(_full_report()) == render_html(_full_report())


def test_self_contained_no_scripts_or_external_resources() -> None:
    page = render_html(_full_report())
    tree = _parse(page)
    assert not tree.find("script") and not tree.find("link") and not tree.find("img")
    for _, attrs, _ in tree.tags:
        assert "src" not in attrs
        assert not any(k.startswith("on") for k in attrs)
        href = attrs.get("href")
        assert href is None or href.startswith("#")
    assert "url(" not in page and "@import" not in page
    csp = tree.find("meta", **{"http-equiv": "Content-Security-Policy"})
    assert csp and "default-src 'none'" in (csp[0]["content"] or "")


def test_hostile_strings_are_escaped_everywhere() -> None:
    evil_plot = dict(BARS, labels=[HOSTILE, "de", "is", "mt"], title=HOSTILE)
    finding = _finding(
        HOSTILE,
        Status.FAIL,
        column=HOSTILE,
        metric=HOSTILE,
        message=HOSTILE,
        evidence={HOSTILE: [HOSTILE, 1], "plot": evil_plot, "nested": {"k": HOSTILE}, "thresholds": LOWER},
    )
    report = _report(
        [finding],
        reference={"path": HOSTILE, "sha256": HOSTILE, "rows": 3},
        batch={"paths": [HOSTILE], "rows": 1},
        tool_version=HOSTILE,
        notes=(HOSTILE,),
    )
    page = render_html(report)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page
    tree = _parse(page)
    assert not tree.find("script")
    for _, attrs, _ in tree.tags:
        assert not any(k.startswith("on") for k in attrs)
    # the hostile text survives as text (escaped, not dropped)
    assert sum(HOSTILE in t for t in tree.text) >= 6


def test_message_and_numbers_are_formatted_for_people() -> None:
    tree = _parse(render_html(_full_report()))
    text = " ".join(tree.text)
    assert "[0.001, 0.004]" in "".join(tree.text)
    assert "1.2e−9" in text and "3.4e−8" in text
    assert fmt_num(1_234_567.0) == "1,234,567"
    assert fmt_num(1 / 6) == "0.1667"
    assert fmt_num(-2.5) == "−2.5"
    assert fmt_num(0.000012345) == "1.23e−5"
    assert fmt_num(None) == "–" and fmt_num(math.nan) == "–" and fmt_num(math.inf) == "∞"


# --- folder scans ------------------------------------------------------------------------------


def _scan() -> Any:
    from collapse_guard.images import ImageSummary
    from collapse_guard.scan import FileResult, ScanReport

    bad = _full_report()
    files = (
        FileResult(
            "a/clean.csv",
            "pass",
            "all 6 tested findings passed",
            rows=100,
            findings=(_finding("tail-shrinkage", Status.PASS, metric="m"),),
        ),
        FileResult(
            "b/collapsed.csv",
            "fail",
            "tail-shrinkage on `income`: p99 fell.",
            rows=5_000,
            findings=bad.findings,
            report=bad,
        ),
        FileResult("c/broken.csv", "error", "cannot parse line 3; fix the quoting", kind="unreadable"),
    )
    images = ImageSummary(
        images=10,
        unreadable=1,
        counts={"c2pa": 3},
        with_generator_marker=2,
        share=0.2,
        interval=(0.057, 0.51),
    )
    return ScanReport(
        root="data/",
        files=files,
        status="fail",
        reference=None,
        seed=3,
        tool_version="9.9.9",
        images=images,
        skipped={"not a data file": 4},
        notes=("scanned without a reference",),
    )


def test_scan_page_lists_files_worst_first_and_details_the_failing_ones() -> None:
    reporter = HtmlReporter()
    assert reporter.supports_scan
    tree = _parse(reporter.render(_scan()))
    text = " ".join(tree.text)
    assert "collapse-guard scan" in text
    assert "3 files: 1 error, 1 fail, 1 pass; 2 of 10 images" in text
    assert "none (reference-free checks only)" in text
    rows = [a["class"] for a in tree.find("tr") if (a.get("class") or "").startswith("st-")]
    assert rows == ["st-error", "st-fail", "st-pass"]
    # only the file that failed with findings gets a section; anchors are unique across files
    assert [a["id"] for a in tree.find("section", **{"class": "file"})] == ["file1"]
    assert [a["href"] for a in tree.find("a") if a.get("href") == "#file1"] == ["#file1"]
    ids = [a["id"] for _, a, _ in tree.tags if a.get("id")]
    assert len(ids) == len(set(ids))
    assert "file1-f1" in ids and "file1-check-tail-shrinkage" in ids
    assert len(tree.find("svg", **{"class": "plot"})) == 4
    assert "2 of 10 readable images (20.0%, 95% interval 5.7% to 51.0%)" in text
    assert "Skipped: 4 not a data file." in text and "scanned without a reference" in text
    assert "cannot parse line 3; fix the quoting" in text


def test_empty_scan_renders() -> None:
    from collapse_guard.scan import ScanReport

    page = render_html(
        ScanReport(root="empty/", files=(), status="pass", reference=None, seed=0, tool_version="1")
    )
    assert "No data file was found." in " ".join(_parse(page).text)


# --- plots -------------------------------------------------------------------------------------


def _svg_tree(svg: str) -> _Tree:
    return _parse(svg)


def test_axis_mappings_and_ticks_known_values() -> None:
    lin = Axis("linear", 0.0, 10.0, 100.0, 200.0)
    assert lin(0.0) == 100.0 and lin(10.0) == 200.0 and lin(2.5) == 125.0
    logit = Axis("logit", 0.01, 0.99, 0.0, 100.0)
    assert logit(0.5) == pytest.approx(50.0)
    assert logit(0.1) == pytest.approx(100.0 - logit(0.9))
    log = Axis("log", 1.0, 1000.0, 0.0, 300.0)
    assert log(10.0) == pytest.approx(100.0) and log(100.0) == pytest.approx(200.0)
    assert linear_ticks(0.0, 0.87) == (0.0, 1.0, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert linear_ticks(3.0, 97.0) == (0.0, 100.0, [0.0, 20.0, 40.0, 60.0, 80.0, 100.0])
    assert log_ticks(0.9, 430.0)[2] == [0.1, 1.0, 10.0, 100.0, 1000.0]
    assert log_ticks(2.0, 30.0)[2] == [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]


def test_quantile_plot_shows_both_curves_and_the_tails() -> None:
    spec = _quantiles_spec()
    plot = render_plot(spec, "q", "income")
    assert plot is not None
    tree = _svg_tree(plot.svg)
    strokes = [a.get("stroke") for a in tree.find("path")]
    assert REF in strokes and BATCH in strokes
    text = " ".join(tree.text)
    assert "reference" in text and "batch" in text and "income" in text
    assert "lowest 1%" in text and "highest 1%" in text  # tail bands labelled
    assert "99.9%" in text and "0.1%" in text
    # skewed positive values (max/min >= 20) get a log value axis
    assert "log scale" in plot.caption
    top = spec["probs"][-1]
    assert f"{100 * top:g}%" in plot.caption
    assert fmt_num(spec["reference"][-1]) in plot.caption
    assert fmt_num(spec["batch"][-1]) in plot.caption


def test_bars_plot_marks_vanished_and_new_labels() -> None:
    spec = {"type": "bars", "labels": ["a", "b", "c"], "reference": [0.5, 0.5, 0.0], "batch": [0.9, 0.0, 0.1]}
    plot = render_plot(spec, "b", "country")
    assert plot is not None
    tree = _svg_tree(plot.svg)
    text = " ".join(tree.text)
    assert "missing" in text and "new in batch" in text
    assert "3 categories of country. 1 of them is absent from the batch: “b”." in unescape(plot.caption)
    bars = [a for a in tree.find("rect") if a.get("fill") in (REF, BATCH)]
    assert len(bars) == 6 + 2  # two per label plus two legend swatches
    # rows are 24 px from y=40; the reference bar sits 3 px, the batch bar 12 px into the row
    width = {(a["fill"], float(a["y"] or 0)): float(a["width"] or 0) for a in bars}
    assert width[(BATCH, 40 + 24 + 12)] == 0 and width[(REF, 40 + 24 + 3)] > 0  # "b" vanished
    assert width[(REF, 40 + 48 + 3)] == 0 and width[(BATCH, 40 + 48 + 12)] > 0  # "c" is new
    assert width[(BATCH, 40 + 12)] > width[(REF, 40 + 3)]  # "a" grew from 50% to 90%


def test_bars_plot_caps_many_labels_and_keeps_the_vanished_ones() -> None:
    n = 100
    labels = [f"cat{i:03d}" for i in range(n)]
    ref = np.full(n, 1.0 / n)
    bat = ref.copy()
    bat[[7, 93]] = 0.0  # two vanished categories must be among the bars drawn
    plot = render_plot(
        {"type": "bars", "labels": labels, "reference": ref.tolist(), "batch": bat.tolist()}, "b", "c"
    )
    assert plot is not None
    text = " ".join(_svg_tree(plot.svg).text)
    assert "cat007" in text and "cat093" in text
    caption = unescape(plot.caption)
    assert "Showing 24 of the 100 categories of c this plot was given" in caption
    assert "2 of the 100 are absent from the batch, all shown: “cat007”, “cat093”." in caption


def test_hist_plot_draws_steps_and_names_emptied_bins() -> None:
    plot = render_plot(HIST, "h", "age")
    assert plot is not None
    tree = _svg_tree(plot.svg)
    paths = tree.find("path")
    assert sum(a.get("stroke") == REF for a in paths) == 1
    assert sum(a.get("stroke") == BATCH for a in paths) == 1
    assert "2 bin(s) with reference data are empty in the batch, e.g. 0 to 1." in plot.caption
    # open-ended outer bins are accepted
    open_ended = dict(HIST, edges=[-math.inf, 1.0, 2.0, 3.0, math.inf])
    assert render_plot(open_ended, "h2", "age") is not None


def test_null_plot_marks_the_observed_value() -> None:
    plot = render_plot(NULL, "n", "distinct_2")
    assert plot is not None
    tree = _svg_tree(plot.svg)
    lines = [a for a in tree.find("line") if a.get("stroke") == BATCH]
    assert len(lines) == 2  # marker line + legend swatch
    assert "observed 0.48" in " ".join(tree.text)
    null = np.asarray(NULL["null"])
    lo, hi = np.quantile(null, [0.025, 0.975])
    assert f"{fmt_num(lo)} to {fmt_num(hi)} (central 95%)" in plot.caption
    assert "0 of 100 were at or below the observed value" in plot.caption
    # bars of the null histogram hold every draw once
    assert render_plot(dict(NULL, null=[0.5] * 10), "n2", "x") is not None


BAD_SPECS: list[Any] = [
    None,
    "quantiles",
    [1, 2],
    {"type": "pie", "values": [1]},
    {"type": 3},
    {},
    {"type": "quantiles", "probs": "abc", "reference": [1], "batch": [1]},
    {"type": "quantiles", "probs": [0.1, 0.9], "reference": [1.0], "batch": [1.0, 2.0]},
    {"type": "quantiles", "probs": [math.nan], "reference": [1.0], "batch": [1.0]},
    {"type": "quantiles", "probs": [[0.1]], "reference": [[1.0]], "batch": [[1.0]]},
    {"type": "bars", "labels": "ab", "reference": [1, 2], "batch": [1, 2]},
    {"type": "bars", "labels": [], "reference": [], "batch": []},
    {"type": "bars", "labels": ["a"], "reference": ["x"], "batch": [1]},
    {"type": "hist", "edges": [2.0, 1.0, 0.0], "reference": [1, 1], "batch": [1, 1]},
    {"type": "hist", "edges": [0.0], "reference": [], "batch": []},
    {"type": "null", "null": [0.1, 0.2], "observed": "high"},
    {"type": "null", "null": [math.nan], "observed": 0.1},
    {"type": "null", "null": [1e300, -1e300], "observed": 0.0},
]


@pytest.mark.parametrize("spec", BAD_SPECS)
def test_unknown_or_malformed_plots_are_ignored(spec: Any) -> None:
    assert render_plot(spec, "x", "col") is None
    finding = _finding("tail-shrinkage", Status.FAIL, evidence={"plot": spec})
    tree = _parse(render_html(_report([finding])))
    assert not tree.find("svg", **{"class": "plot"})


_num = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**6), 10**6))
_scalar = st.one_of(st.none(), st.booleans(), _num, st.text(max_size=4))
_value = st.one_of(
    _scalar,
    st.lists(_num, max_size=10),
    st.lists(_scalar, max_size=5),
    st.dictionaries(st.text(max_size=3), _scalar, max_size=2),
)
_spec = st.fixed_dictionaries(
    {"type": st.sampled_from(["quantiles", "bars", "hist", "null", "pie"])},
    optional={
        k: _value
        for k in ("probs", "reference", "batch", "labels", "edges", "null", "observed", "x_scale", "title")
    },
)


@settings(max_examples=150, deadline=None)
@given(spec=_spec)
def test_plots_never_crash_on_arbitrary_evidence(spec: dict[str, Any]) -> None:
    plot = render_plot(spec, "z", "col")
    if plot is not None:
        assert plot.svg.startswith("<svg") and plot.svg.endswith("</svg>")
        assert "nan" not in re.sub(r">[^<]*<", "><", plot.svg).lower()
        _parse(plot.svg)


@st.composite
def _shaped(draw: st.DrawFn) -> dict[str, Any]:
    """Well-formed plot shapes filled with wild numbers (ties, zeros, huge, tiny, nan, inf)."""
    kind = draw(st.sampled_from(["quantiles", "bars", "hist", "null"]))
    n = draw(st.integers(1, 30))
    wild = st.one_of(
        st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, 1.0, -1.0, 1e-300, 1e12])
    )

    def arr(k: int, elements: st.SearchStrategy[float] = wild) -> list[float]:
        return draw(st.lists(elements, min_size=k, max_size=k))

    if kind == "quantiles":
        return {"type": kind, "probs": sorted(arr(n, st.floats(0, 1))), "reference": arr(n), "batch": arr(n)}
    if kind == "bars":
        return {
            "type": kind,
            "labels": draw(st.lists(st.text(max_size=40), min_size=n, max_size=n)),
            "reference": arr(n),
            "batch": arr(n),
        }
    if kind == "hist":
        edges = sorted(set(arr(n + 1, st.floats(-1e9, 1e9))))
        return {
            "type": kind,
            "edges": edges,
            "reference": arr(len(edges) - 1),
            "batch": arr(len(edges) - 1),
            "x_scale": draw(st.sampled_from(["log", None])),
        }
    return {"type": kind, "null": arr(n), "observed": draw(wild)}


@settings(max_examples=200, deadline=None)
@given(spec=_shaped())
def test_well_formed_plots_with_wild_numbers_draw_or_decline(spec: dict[str, Any]) -> None:
    plot = render_plot(spec, "w", "col", metric="m")
    if plot is not None:
        markup = re.sub(r">[^<]*<", "><", plot.svg).lower()
        assert "nan" not in markup and "inf" not in markup
        _parse(plot.svg)


@settings(max_examples=60, deadline=None)
@given(effect=_num, warn=_num, fail=_num, worse=st.sampled_from(["lower", "higher", "x"]))
def test_gauge_never_crashes(effect: float, warn: float, fail: float, worse: str) -> None:
    thresholds = Thresholds.parse({"warn": warn, "fail": fail, "worse": worse})
    svg = effect_gauge(float(effect), thresholds, "g")
    if svg is not None:
        assert "nan" not in re.sub(r">[^<]*<", "><", svg).lower()
        _parse(svg)


def _zones(svg: str) -> dict[str, tuple[float, float]]:
    names = {v: k for k, v in ZONE.items()}
    out = {}
    for a in _svg_tree(svg).find("rect"):
        if a.get("fill") in names:
            x, w = float(a["x"] or 0), float(a["width"] or 0)
            out[names[a["fill"] or ""]] = (x, x + w)
    return out


def _marker(svg: str) -> float:
    marks = [a for a in _svg_tree(svg).find("line") if a.get("stroke-width") == "2.5"]
    assert len(marks) == 1
    return float(marks[0]["x1"] or 0)


def test_gauge_places_the_effect_in_the_right_zone() -> None:
    lower = Thresholds(warn=0.75, fail=0.5, worse="lower")
    svg = effect_gauge(0.2, lower, "g1")
    assert svg is not None
    zones = _zones(svg)
    assert zones["fail"][1] <= zones["warn"][0] + 0.11 <= zones["pass"][0] + 0.11  # fail on left
    assert zones["fail"][0] <= _marker(svg) <= zones["fail"][1]
    higher = Thresholds(warn=0.1, fail=0.25, worse="higher")
    svg = effect_gauge(0.34, higher, "g2")
    assert svg is not None
    zones = _zones(svg)
    assert zones["pass"][1] <= zones["fail"][0] + 0.11  # fail on the right
    assert zones["fail"][0] <= _marker(svg) <= zones["fail"][1]
    svg = effect_gauge(0.8, lower, "g3")
    assert svg is not None
    assert _zones(svg)["pass"][0] <= _marker(svg)
    assert "warn at ≤ 0.75, fail at ≤ 0.5" in svg


def test_gauge_without_thresholds_and_without_effect() -> None:
    svg = effect_gauge(0.9, None, "g")
    assert svg is not None and "no warn/fail thresholds were recorded" in svg
    assert _zones(svg) == {}
    assert effect_gauge(None, None, "g") is None
    assert effect_gauge(math.nan, None, "g") is None
    assert Thresholds.parse({"warn": 1, "fail": "x", "worse": "lower"}) is None
    assert Thresholds.parse({"warn": 1, "fail": 2, "worse": "sideways"}) is None


# --- through the real pipeline ------------------------------------------------------------------


def test_report_from_the_real_pipeline_shows_its_plots_and_status() -> None:
    import pandas as pd

    import collapse_guard as cg

    rng = np.random.default_rng(1)
    cats = np.array([f"c{i}" for i in range(30)])
    p = 1 / np.arange(1, 31)
    p /= p.sum()
    human = pd.DataFrame({"income": rng.lognormal(3, 1, 4000), "country": rng.choice(cats, 4000, p=p)})
    clean = pd.DataFrame({"income": rng.lognormal(3, 1, 2000), "country": rng.choice(cats, 2000, p=p)})
    # a collapsed generation: narrower spread and only the 12 commonest categories survive
    collapsed = pd.DataFrame(
        {
            "income": rng.lognormal(3, 0.5, 2000),
            "country": rng.choice(cats[:12], 2000, p=p[:12] / p[:12].sum()),
        }
    )
    ref = cg.profile(human)
    for batch, status in ((clean, "pass"), (collapsed, "fail")):
        report = cg.check(batch, ref, select=["tail-shrinkage"])
        assert report.status == status
        tree = _parse(render_html(report))
        assert attr_has(tree.find("header")[0]["class"], f"st-{status}")
        assert len(tree.find("svg", **{"class": "gauge"})) == sum(
            1 for f in report.findings if f.measurement.effect is not None
        )
        assert len(tree.find("svg", **{"class": "plot"})) >= 2  # quantiles and category bars
        attention = tree.find("a", **{"class": "where"})
        assert (len(attention) > 0) == (status == "fail")


# --- a real browser ----------------------------------------------------------------------------


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium")
def test_renders_in_headless_chromium(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(_full_report()), encoding="utf-8")
    shot = tmp_path / "shot.png"
    profile = tmp_path / "profile"
    profile.mkdir()
    cmd = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--screenshot={shot}",
        "--window-size=1200,2000",
        page.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=False)
    assert shot.exists(), proc.stderr[-2000:]
    image_mod = pytest.importorskip("PIL.Image")
    with image_mod.open(shot) as im:
        rgb = np.asarray(im.convert("RGB")).astype(int)
    assert rgb.shape[:2] == (2000, 1200)
    non_white = (rgb.sum(axis=2) < 720).mean()
    assert non_white > 0.03, "screenshot is (nearly) blank"

    def near(hex_colour: str, tol: int = 40) -> int:
        target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
        return int((np.abs(rgb - target).sum(axis=2) < tol).sum())

    assert near("#cf222e") > 200, "the fail status colour is not visible"
    assert near(REF) > 200 and near(BATCH) > 200, "plots (reference/batch colours) not drawn"


# --- review fixes: what the chart leaves out, layout, print, ordering, gauges, wording -----------


def _plain(page: str) -> str:
    """The page's text as a reader sees it (tags dropped, no spaces added between elements)."""
    return "".join(_parse(page).text)


def test_bars_plot_draws_the_largest_changes_and_the_vanished_categories() -> None:
    n = 40
    labels = [f"c{i:02d}" for i in range(n)]
    ref = np.full(n, 0.02)
    bat = ref.copy()
    ref[0], bat[0] = 0.03, 0.0  # vanished: a change of 3 points
    bat[1] = 0.2  # the largest absolute change
    for i in range(2, 20):  # big relative but tiny absolute changes among rare categories
        ref[i], bat[i] = 0.0004, 0.0012
    for i in range(20, n):
        bat[i] = 0.02 + 0.00001 * (i - 20)
    plot = render_plot(
        {"type": "bars", "labels": labels, "reference": ref.tolist(), "batch": bat.tolist()}, "b", "country"
    )
    assert plot is not None
    drawn = [t for t in _svg_tree(plot.svg).text if t in labels]
    assert len(set(drawn)) == 24 and "c00" in drawn and "c01" in drawn
    # the absolute changes of 0.08 points (c02..c19) rank above the 0.001-0.019 point ones
    assert all(f"c{i:02d}" in drawn for i in range(2, 20))
    assert set(drawn) - {f"c{i:02d}" for i in range(20)} == {"c36", "c37", "c38", "c39"}
    caption = unescape(plot.caption)
    assert caption.startswith("Showing 24 of the 40 categories of country this plot was given")
    assert "1 of the 40 is absent from the batch: “c00”." in caption


def test_bars_caption_says_what_a_check_left_out() -> None:
    spec = {
        "type": "bars",
        "labels": ["us", "de", "se", "mx"],
        "reference": [0.5, 0.3, 0.014, 0.011],
        "batch": [0.6, 0.3, 0.0, 0.0],
        "total": 47,
        "absent": 23,
    }
    plot = render_plot(spec, "b", "country")
    assert plot is not None
    caption = unescape(plot.caption)
    assert caption == (
        "Showing 4 of 47 categories of country. 23 categories of the reference are absent from "
        "the batch, 2 of them shown: “se”, “mx”."
    )
    # without totals the caption speaks only of the categories it was given
    spec = {k: v for k, v in spec.items() if k not in ("total", "absent")}
    plot = render_plot(spec, "b", "country")
    assert plot is not None
    assert unescape(plot.caption) == (
        "4 categories of country. 2 of them are absent from the batch: “se”, “mx”."
    )
    all_given = render_plot(dict(spec, total=4), "b", "country")
    assert all_given is not None
    assert unescape(all_given.caption).startswith(
        "All 4 categories of country. 2 categories of the reference"
    )


def test_evidence_wraps_instead_of_being_clipped() -> None:
    long_key = "expected_rows_in_rare_reference_categories"
    evidence = {long_key: 496.8, "interval": [{"bound": "upper", "interval": [0, 0.000667497]}]}
    page = render_html(_report([_finding("c", Status.FAIL, evidence=evidence)]))
    # long keys may break after underscores, numbers never break inside
    assert "expected_<wbr>rows_<wbr>in_<wbr>rare_<wbr>reference_<wbr>categories" in page
    assert '<span class="nb">496.8</span>' in page
    assert '<td class="nb">[0, 0.000667497]</td>' in page
    assert "min-width:1000px" not in page
    assert ".ev dd{margin:0;min-width:0;overflow-wrap:break-word}" in page
    assert "grid-template-columns:fit-content(45%) minmax(0,1fr)" in page


def test_print_styles_expand_everything() -> None:
    page = render_html(_full_report())
    print_css = "".join(re.findall(r"@media print\{(.*?\})\}", page, flags=re.S))
    assert "details::details-content{content-visibility:visible;display:block}" in print_css
    assert "max-height:none" in print_css and ".findings{min-width:0}" in print_css
    assert "overflow:visible" in print_css


def test_narrow_screens_stack_findings_and_keep_the_reason_readable() -> None:
    page = render_html(_scan())
    assert "@media (max-width:900px)" in page
    tree = _parse(page)
    labels = [a["data-label"] for a in tree.find("td") if a.get("data-label")]
    assert labels[:6] == ["value", "expected", "interval", "p", "adj. p", "effect"]
    assert len(tree.find("td", **{"class": "why"})) == 3
    assert ".files .why{min-width:14em}" in page


def test_attention_orders_by_adjusted_p_and_shows_every_checks_worst() -> None:
    findings = [
        _finding("tail-shrinkage", Status.FAIL, metric=f"t{i}", p_adjusted=10.0 ** -(i + 1))
        for i in range(12)
    ]
    findings.append(_finding("diversity-loss", Status.FAIL, metric="d", p_adjusted=0.01))
    findings.append(_finding("synthetic-contamination", Status.WARN, metric="s", p_adjusted=1e-30))
    top, folded = html_reporter.attention_order(findings)
    assert len(top) == 10 and len(folded) == 4
    # fails before warns, smallest adjusted p first; each check's worst is in view
    assert top[:3] == [11, 10, 9]
    assert 12 in top and 13 in top and top[-1] == 13
    tree = _parse(render_html(_report(findings)))
    hrefs = [a["href"] for a in tree.find("a", **{"class": "where"})]
    assert hrefs[:10] == [f"#f{i}" for i in top]


def test_attention_breaks_p_value_ties_by_effect_beyond_threshold() -> None:
    near = _finding("c", Status.FAIL, metric="near", effect=0.49, evidence={"thresholds": LOWER})
    far = _finding("c", Status.FAIL, metric="far", effect=0.1, evidence={"thresholds": LOWER})
    top, _ = html_reporter.attention_order([near, far])
    assert top == [1, 0]


def test_gauge_tooltip_names_the_value_and_thresholds_and_labels_close_ticks() -> None:
    svg = effect_gauge(4.239, Thresholds(warn=1.5, fail=2.0, worse="higher"), "g")
    assert svg is not None
    tree = _svg_tree(svg)
    titles = [t for t, _, _ in tree.tags if t == "title"]
    assert titles == ["title"]
    assert '<title id="g-t">Effect 4.239; warn at ≥ 1.5, fail at ≥ 2 (higher is worse)</title>' in svg
    texts = tree.text
    assert "1.5" in texts and "2" in texts  # both tick labels, although the ticks are close
    xs = [float(a["x"] or 0) for a in tree.find("text")]
    assert len(xs) == 2 and xs[1] - xs[0] >= 0.6 * 9 * 2 + 3 - 1e-6  # they do not overlap
    assert all(0 <= x <= 150 for x in xs)


def test_effect_equal_to_a_threshold_at_four_digits_shows_more() -> None:
    t = {"warn": 0.85, "fail": 0.7, "worse": "lower"}
    findings = [
        _finding("c", Status.FAIL, metric="a", effect=0.69999, evidence={"thresholds": t}),
        _finding("c", Status.WARN, metric="b", effect=0.70001, evidence={"thresholds": t}),
    ]
    page = render_html(_report(findings))
    effects = re.findall(r'<td class="effect" data-label="effect"><span>([^<]*)</span>', page)
    assert effects == ["0.69999", "0.70001"]
    assert "Effect 0.69999; warn at ≤ 0.85, fail at ≤ 0.7" in page


def test_footer_legend_matches_the_plots() -> None:
    page = render_html(_full_report())
    footer = page[page.index("<footer>") :]
    assert "batch in orange-red (dashed)" not in footer
    assert "as lines the reference is solid and the batch dashed" in footer
    assert "as bars each category has the reference bar above the batch bar" in footer
    bars = render_plot(BARS, "b", "country")
    assert bars is not None and "stroke-dasharray" not in bars.svg  # bars are filled, not dashed


def test_numbers_and_paths_break_only_where_they_should() -> None:
    page = render_html(_scan())
    assert '<span class="nb">[0.001,</span> <span class="nb">0.004]</span>' in page
    # a path breaks after its slashes; a hyphenated name is kept whole while it fits
    assert '<span class="seg">b/</span><wbr><span class="seg">collapsed.csv</span>' in page
    assert ".seg{display:inline-block;max-width:100%;overflow-wrap:anywhere}" in page
    assert html_reporter.path_html("data/2024-02/batch-final.csv") == (
        '<span class="seg">data/</span><wbr><span class="seg">2024-02/</span><wbr>'
        '<span class="seg">batch-final.csv</span>'
    )


def test_scan_states_the_image_caveat_once() -> None:
    from dataclasses import replace

    scan = _scan()
    caveat = (
        "An image without provenance markers is not proven human: generators can omit them "
        "and re-encoding strips them."
    )
    scan = replace(scan, notes=(*scan.notes, caveat))
    text = _plain(render_html(scan))
    assert text.count("not proven human") == 1
    assert "scanned without a reference" in text
    # without an Images section the note is the only place that says it, so it stays
    no_images = replace(scan, images=None)
    assert _plain(render_html(no_images)).count("not proven human") == 1


def test_lead_names_the_checks_that_could_test_nothing() -> None:
    findings = [
        _finding("tail-shrinkage", Status.PASS, metric="m"),
        _finding("tail-shrinkage", Status.PASS, metric="n"),
        _finding("diversity-loss", Status.INSUFFICIENT, effect=None, insufficient="too few rows"),
        _finding("synthetic-contamination", Status.INSUFFICIENT, effect=None, insufficient="1 row"),
    ]
    tree = _parse(render_html(_report(findings, status="warn", batch={"paths": ["b1.csv"], "rows": 1})))
    lead = "".join(tree.text[tree.text.index("collapse-guard report") + 1 :][:1])
    assert lead == (
        "2 of 4 findings passed; 2 could not be tested. diversity-loss and synthetic-contamination "
        "could test nothing on this batch: see the insufficient-data findings."
    )
    assert "passed or could not be tested" not in " ".join(tree.text)
    assert "(1 row)" in "".join(tree.text)
    only_untested = [findings[2]]
    text = _plain(render_html(_report(only_untested, status="warn")))
    assert "None of the 1 findings could be tested. diversity-loss could test nothing" in text
    assert "No finding failed or warned, but diversity-loss could test nothing on this batch" in text
    # A reference-free run passes with an untested check: the summary must not call it a warn.
    free = _plain(render_html(_report(findings, status="pass")))
    assert "which makes the run a warn" not in free and "No finding failed or warned." in free
