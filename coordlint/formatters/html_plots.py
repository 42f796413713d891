"""What the HTML report plots: one overlay per summary metric across runs, and the curve of
every finding that names a tag, with the finding's step marked (and, for a finding judged
against reference runs, their band shaded behind it).

Plots are :class:`~coordlint.formatters.svg_plot.Plot` objects, drawn as inline SVG by
:mod:`~coordlint.formatters.svg_plot`; a legend is a list of ``(colour, style, text)`` entries
the page writes as HTML (it wraps, unlike SVG text). Each run keeps one colour in every plot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from coordlint.formatters.sparkline import as_series
from coordlint.formatters.svg_plot import Band, HLine, Line, Mark, Plot, VLine, number
from coordlint.reference import Band as ReferenceBand
from coordlint.report import Report
from coordlint.rule import Finding
from coordlint.run import Run

__all__ = ["Figure", "LegendEntry", "finding_figure", "metric_figures", "run_colours"]

#: Tableau 10: distinct, and readable on white.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
CURVE, KEY, THRESHOLD, NON_FINITE = "#0969da", "#cf222e", "#8250df", "#bf8700"
REFERENCE = "#1a7f37"  # a finding's reference band
#: At most this many non-finite steps are drawn as lines on one plot (the legend counts all).
MAX_NON_FINITE_LINES = 200


@dataclass(frozen=True)
class LegendEntry:
    colour: str
    style: Literal["line", "dashed", "dot", "bar"]
    text: str


@dataclass
class Figure:
    """A plot (``None``: nothing to draw), its heading, what it shows and its legend."""

    heading: str
    plot: Plot | None
    caption: str = ""
    legend: list[LegendEntry] = field(default_factory=list)


def run_colours(runs: Sequence[Run]) -> dict[str, str]:
    """One colour per run name, in report order (the palette repeats past ten runs)."""
    return {run.name: PALETTE[i % len(PALETTE)] for i, run in enumerate(runs)}


def _logged_tag(run: Run, tags: Sequence[str]) -> str | None:
    return next((tag for tag in tags if run.logged_as(tag) is not None), None)


def _line(series: object, colour: str, label: str) -> Line:
    curve = as_series(series)
    return Line(
        curve.index.to_numpy(dtype=np.float64), curve.to_numpy(dtype=np.float64), colour, label
    )


def metric_figures(report: Report, colours: dict[str, str]) -> list[Figure]:
    """Per summary column that at least one run logs: every run's curve of it, overlaid."""
    figures = []
    for column, tags in report.summary_columns:
        lines, legend, used = [], [], []
        for run in report.runs:
            tag = _logged_tag(run, tags)
            if tag is None:
                continue
            line = _line(run.series(tag), colours[run.name], run.name)
            lines.append(line)
            finite = line.values[np.isfinite(line.values)]
            last = f": last {number(finite[-1])}" if len(finite) else ""
            legend.append(LegendEntry(colours[run.name], "line", f"{run.name}{last}"))
            used.append(tag)
        plot = Plot(column, lines=lines)
        if not plot.has_data():
            continue
        shown = list(dict.fromkeys(used))
        better = report.summary_better.get(column)
        caption = " or ".join(shown) + (f"; {better} is better" if better else "")
        figures.append(Figure(column, plot, caption, legend))
    return figures


def _threshold(finding: Finding) -> float | None:
    value = finding.data.get("threshold")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _reference_band(band: ReferenceBand) -> tuple[list[Band], LegendEntry]:
    """A finding's reference band (CL601–CL603) as a shaded area behind its curve."""
    n = len(band.references)
    text = f"reference band ({n} run{'s' if n != 1 else ''})" if n else "reference band"
    steps = band.steps.astype(np.float64)
    return [Band(steps, band.low, band.high, REFERENCE, text)], LegendEntry(REFERENCE, "bar", text)


def finding_figure(finding: Finding, run: Run | None) -> Figure | None:
    """The curve ``finding`` was read from (its ``series``, else its run's ``tag``), with its
    step, threshold and non-finite values marked; ``None`` when it names no curve."""
    if finding.series is not None:
        source = finding.series
    elif finding.tag is not None and run is not None and run.logged_as(finding.tag) is not None:
        source = run.series(finding.tag)
    else:
        return None
    line = _line(source, CURVE, finding.tag or "")
    label = finding.tag or "series"
    plot = Plot(f"{finding.code} {finding.rule} {label}", lines=[line])
    legend = [LegendEntry(CURVE, "line", label)]
    if finding.band is not None and len(finding.band.steps):
        plot.bands, entry = _reference_band(finding.band)
        legend.append(entry)
    bad = line.steps[~np.isfinite(line.values)]
    plot.vlines = [VLine(float(s), NON_FINITE) for s in bad[:MAX_NON_FINITE_LINES]]
    if len(bad):
        legend.append(LegendEntry(NON_FINITE, "bar", f"non-finite value ({len(bad)})"))
    if finding.step is not None:
        at = np.flatnonzero(line.steps == float(finding.step))
        value = float(line.values[at[0]]) if len(at) else math.nan
        shown = value if math.isfinite(value) else None
        text = f"step {finding.step}" + (f": {number(value)}" if len(at) else "")
        plot.marks = [Mark(float(finding.step), shown, KEY, text)]
        legend.append(LegendEntry(KEY, "dot" if shown is not None else "bar", text))
    threshold = _threshold(finding)
    if threshold is not None:
        plot.hlines = [HLine(threshold, THRESHOLD)]
        legend.append(LegendEntry(THRESHOLD, "dashed", f"threshold {number(threshold)}"))
    if not plot.has_data() and not len(bad):
        return Figure(label, None, "the curve has no finite value to plot", legend)
    return Figure(label, plot, "", legend)
