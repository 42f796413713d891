"""Line plots as inline SVG, for the HTML report: no plotting library, nothing fetched.

A :class:`Plot` is layers over one step axis, drawn in order: :class:`Band` (the area between
two curves, e.g. a reference run's envelope), :class:`Line` (a curve; a gap where a value is
not finite), :class:`HLine` (a threshold), :class:`VLine` (a step, e.g. a non-finite value)
and :class:`Mark` (a point, e.g. a finding's key step). :func:`svg` draws it with nice axis
ticks (numbers in 4 significant digits) into a fixed ``viewBox`` that scales with the page.

A curve with more points than the plot has pixel columns keeps, per column, its first, lowest,
highest and last point (the drawn shape is the same, spikes included), so a 100k-point curve
is a few thousand SVG coordinates, not a megabyte.

Only numbers and colours this module chooses reach the SVG's attributes; text (a title, a
label) is escaped for HTML and made printable (see
:func:`~coordlint.formatters.safe_text.printable`): a tag cannot inject markup or script.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import numpy as np

from coordlint.formatters.safe_text import printable

__all__ = ["Band", "HLine", "Line", "Mark", "Plot", "number", "svg"]

WIDTH, HEIGHT = 720, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 16, 12, 34
_AXIS = "#59636e"
_GRID = "#d8dee4"


def number(value: float | np.number) -> str:
    """A number in at most 4 significant digits: ``4.19``, ``0.08034``, ``8.483e-05``,
    ``1830`` (whole numbers below a million as they are)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value)) if abs(int(value)) < 1_000_000 else f"{int(value):.4g}"
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1_000_000:
        return str(int(value))
    return f"{value:.4g}"


def _text(value: object) -> str:
    return html.escape(printable(value), quote=True)


@dataclass(frozen=True)
class Line:
    """A curve: ``values`` at ``steps`` (sorted), drawn with a gap at each non-finite value."""

    steps: np.ndarray
    values: np.ndarray
    color: str
    label: str = ""
    width: float = 1.6


@dataclass(frozen=True)
class Band:
    """The area between ``lower`` and ``upper`` at ``steps`` (a reference envelope)."""

    steps: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    color: str
    label: str = ""
    opacity: float = 0.18


@dataclass(frozen=True)
class HLine:
    """A horizontal line at ``value`` (a threshold), dashed."""

    value: float
    color: str
    label: str = ""


@dataclass(frozen=True)
class VLine:
    """A vertical line at ``step`` (a non-finite value, a step of interest)."""

    step: float
    color: str
    label: str = ""
    dashed: bool = False


@dataclass(frozen=True)
class Mark:
    """A point at (``step``, ``value``) with a dotted line down to the axis and a label;
    ``value`` ``None``: only the line (a step where the curve has no finite value)."""

    step: float
    value: float | None
    color: str
    label: str = ""


@dataclass
class Plot:
    """What one SVG shows; ``title`` is its accessible name."""

    title: str
    lines: list[Line] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    hlines: list[HLine] = field(default_factory=list)
    vlines: list[VLine] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)

    def has_data(self) -> bool:
        """Whether any line or band has a finite point to draw."""
        return any(np.isfinite(line.values).any() for line in self.lines) or any(
            (np.isfinite(b.lower) & np.isfinite(b.upper)).any() for b in self.bands
        )


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values (1, 2 or 5 times a power of ten apart) in
    [``low``, ``high``]."""
    if not high > low:
        return [low]
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(0.0 if abs(value) < step * 1e-9 else value)
        value += step
    return ticks


def _bounds(values: list[np.ndarray], pad: float) -> tuple[float, float]:
    finite = [v[np.isfinite(v)] for v in values]
    finite = [v for v in finite if len(v)]
    if not finite:
        return 0.0, 1.0
    low = float(min(v.min() for v in finite))
    high = float(max(v.max() for v in finite))
    if high == low:
        spread = abs(low) * 0.05 or 1.0
        return low - spread, high + spread
    margin = (high - low) * pad
    return low - margin, high + margin


def _thin(x: np.ndarray, y: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """At most the first, lowest, highest and last point per pixel column (``x`` in pixels,
    increasing)."""
    if len(x) <= 4 * columns:
        return x, y
    pixel = np.floor(x).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, pixel[1:] != pixel[:-1]])
    ends = np.r_[starts[1:], len(x)] - 1
    lows = np.minimum.reduceat(y, starts)
    highs = np.maximum.reduceat(y, starts)
    middle = (x[starts] + x[ends]) / 2
    xs = np.column_stack([x[starts], middle, middle, x[ends]]).ravel()
    ys = np.column_stack([y[starts], lows, highs, y[ends]]).ravel()
    return xs, ys


def _runs(finite: np.ndarray) -> list[slice]:
    """The slices of consecutive ``True`` in ``finite``."""
    edges = np.flatnonzero(np.diff(np.r_[False, finite, False].astype(np.int8)))
    return [slice(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _points(x: np.ndarray, y: np.ndarray) -> str:
    return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x.tolist(), y.tolist(), strict=True))


@dataclass(frozen=True)
class _Frame:
    """Data coordinates to the SVG's pixels."""

    x0: float
    x1: float
    y0: float
    y1: float
    width: int
    height: int

    @property
    def inner_w(self) -> int:
        return self.width - _LEFT - _RIGHT

    @property
    def bottom(self) -> int:
        return self.height - _BOTTOM

    @property
    def right(self) -> int:
        return self.width - _RIGHT

    def px(self, step: np.ndarray | float) -> np.ndarray:
        offset = np.asarray(step, dtype=np.float64) - self.x0
        return _LEFT + offset / (self.x1 - self.x0) * self.inner_w

    def py(self, value: np.ndarray | float) -> np.ndarray:
        offset = self.y1 - np.asarray(value, dtype=np.float64)
        return _TOP + offset / (self.y1 - self.y0) * (self.bottom - _TOP)


def _frame(plot: Plot, width: int, height: int) -> _Frame:
    xs = [np.asarray(ln.steps, dtype=np.float64) for ln in plot.lines]
    xs += [np.asarray(b.steps, dtype=np.float64) for b in plot.bands]
    xs += [np.array([v.step for v in plot.vlines] + [m.step for m in plot.marks], float)]
    ys = [np.asarray(ln.values, dtype=np.float64) for ln in plot.lines]
    ys += [np.asarray(b.lower, dtype=np.float64) for b in plot.bands]
    ys += [np.asarray(b.upper, dtype=np.float64) for b in plot.bands]
    ys += [np.array([h.value for h in plot.hlines], dtype=np.float64)]
    ys += [np.array([m.value for m in plot.marks if m.value is not None], float)]
    x0, x1 = _bounds(xs, 0.0)
    y0, y1 = _bounds(ys, 0.06)
    return _Frame(x0, x1, y0, y1, width, height)


def _axes(f: _Frame) -> list[str]:
    out = []
    for tick in nice_ticks(f.y0, f.y1):
        y = float(f.py(tick))
        out.append(
            f'<line x1="{_LEFT}" x2="{f.right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{_GRID}"/>'
            f'<text class="tick" x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_text(number(tick))}</text>"
        )
    for tick in nice_ticks(f.x0, f.x1, 6):
        x = float(f.px(tick))
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{f.bottom}" y2="{f.bottom + 4}" '
            f'stroke="{_AXIS}"/><text class="tick" x="{x:.1f}" y="{f.bottom + 16}" '
            f'text-anchor="middle">{_text(number(tick))}</text>'
        )
    out.append(
        f'<rect x="{_LEFT}" y="{_TOP}" width="{f.inner_w}" height="{f.bottom - _TOP}" '
        f'fill="none" stroke="{_AXIS}" stroke-width="0.8"/>'
        f'<text class="axis" x="{f.right}" y="{f.height - 4}" text-anchor="end">step</text>'
    )
    return out


def _band(f: _Frame, band: Band) -> list[str]:
    steps = np.asarray(band.steps, np.float64)
    lower = np.asarray(band.lower, np.float64)
    upper = np.asarray(band.upper, np.float64)
    out = []
    for part in _runs(np.isfinite(steps) & np.isfinite(lower) & np.isfinite(upper)):
        xs = f.px(steps[part])
        polygon = _points(np.r_[xs, xs[::-1]], np.r_[f.py(upper[part]), f.py(lower[part])[::-1]])
        out.append(
            f'<polygon class="band" points="{polygon}" fill="{band.color}" '
            f'fill-opacity="{band.opacity}" stroke="none"/>'
        )
    return out


def _rules(f: _Frame, plot: Plot) -> list[str]:
    out = []
    for hline in plot.hlines:
        y = float(f.py(hline.value))
        out.append(
            f'<line class="hline" x1="{_LEFT}" x2="{f.right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{hline.color}" stroke-width="1.2" stroke-dasharray="6 4"/>'
        )
    for vline in plot.vlines:
        x = float(f.px(vline.step))
        dash = ' stroke-dasharray="3 3"' if vline.dashed else ""
        out.append(
            f'<line class="vline" x1="{x:.1f}" x2="{x:.1f}" y1="{_TOP}" y2="{f.bottom}" '
            f'stroke="{vline.color}" stroke-width="1" stroke-opacity="0.7"{dash}/>'
        )
    return out


def _line(f: _Frame, line: Line) -> list[str]:
    steps = np.asarray(line.steps, np.float64)
    values = np.asarray(line.values, np.float64)
    out = []
    for part in _runs(np.isfinite(steps) & np.isfinite(values)):
        xs, ys = _thin(f.px(steps[part]), f.py(values[part]), f.inner_w)
        if len(xs) == 1:
            out.append(f'<circle cx="{xs[0]:.1f}" cy="{ys[0]:.1f}" r="2.5" fill="{line.color}"/>')
        else:
            out.append(
                f'<polyline points="{_points(xs, ys)}" fill="none" stroke="{line.color}" '
                f'stroke-width="{line.width}" stroke-linejoin="round"/>'
            )
    return out


def _mark(f: _Frame, mark: Mark) -> list[str]:
    x = float(f.px(mark.step))
    out = [
        f'<line class="mark" x1="{x:.1f}" x2="{x:.1f}" y1="{_TOP}" y2="{f.bottom}" '
        f'stroke="{mark.color}" stroke-width="1" stroke-dasharray="2 3"/>'
    ]
    if mark.value is not None:
        y = float(f.py(mark.value))
        out.append(
            f'<circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{mark.color}" '
            f'stroke="#fff" stroke-width="1.5"/>'
        )
    if mark.label:
        anchor = "end" if x > _LEFT + f.inner_w * 0.7 else "start"
        dx = -7 if anchor == "end" else 7
        out.append(
            f'<text class="mark-label" x="{x + dx:.1f}" y="{_TOP + 14}" '
            f'text-anchor="{anchor}" fill="{mark.color}">{_text(mark.label)}</text>'
        )
    return out


def svg(plot: Plot, width: int = WIDTH, height: int = HEIGHT) -> str:
    """``plot`` as an ``<svg class="plot">`` element: axes, then bands, threshold and step
    lines, curves and marks, each drawn over the ones before."""
    f = _frame(plot, width, height)
    out = [
        f'<svg class="plot" role="img" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{_text(plot.title)}</title>',
        *_axes(f),
    ]
    for band in plot.bands:
        out += _band(f, band)
    out += _rules(f, plot)
    for line in plot.lines:
        out += _line(f, line)
    for mark in plot.marks:
        out += _mark(f, mark)
    out.append("</svg>")
    return "".join(out)
