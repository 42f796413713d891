"""Reference envelopes, shared by CL601–CL604 (not a rule: no module-level Rule here).

Which references a run can be compared with (:func:`comparable`: the same coord config where
both say, the same CL101 objective), and the band they give at the run's evals
(:func:`envelope`): each reference is aligned to the run's eval steps by linear interpolation
between its own evals, only inside its own step range (never extrapolated), and at each step
the aligned values give ``center ± half-width`` (:mod:`._spread`). A tag's eval noise, the
floor of its spread, is the median over the references of each one's eval-to-eval noise
(as :func:`~._curves.short_noise` computes it, of its values: the robust sd of second
differences, which a curve's trend barely moves, over √6). Config values compare as CL502
compares them (numbers equal up to float32 rounding are one setting).
"""

from __future__ import annotations

import fnmatch
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

import coordlint

from . import _coord as m
from . import _spread
from .cl101_coord_ce_mode import objective
from .cl502_coord_config_mismatch import _hashable as compared

TOLERANCE_FIELDS = ("k", "rtol", "atol")
ROBUST_SD = 1.4826  # the MAD of normal data, times this, is its sd


def better(tag: str) -> str | None:
    """Which way ``tag`` is better, ``"lower"`` or ``"higher"``: the coord metrics say (see
    ``_coord.SUMMARY_METRICS``), and losses are lower-better; ``None`` for any other tag."""
    for _, metric, way in m.SUMMARY_METRICS:
        if tag in m.metric_tags(metric):
            return way
    leaf = tag.rsplit("/", 1)[-1]
    return "lower" if leaf == "loss" or leaf.endswith("_loss") else None


# -- which references a run can be compared with --------------------------------------------
@dataclass(frozen=True)
class LeftOut:
    """A reference left out of a run's envelope, and why (``keys``: the config keys that
    differ, ``objective`` when the CL101 objective differs)."""

    reference: coordlint.Reference
    reason: str
    keys: tuple[str, ...] = ()


def comparable(run: coordlint.Run) -> tuple[list[coordlint.Reference], list[LeftOut]]:
    """The run's references that it can be compared with, and those left out and why: the run
    itself; a reference whose soft-target settings or loss weights (the keys CL502 compares)
    differ from the run's where both configs say; one whose CL101 objective differs."""
    kept: list[coordlint.Reference] = []
    left: list[LeftOut] = []
    mine, settings = objective(run), _settings(run)
    for ref in run.references:
        if ref.origin and str(ref.origin) == str(run.path):
            left.append(LeftOut(ref, "it is this run"))
            continue
        theirs = _reference_settings(ref)
        trained = settings.get(m.CFG_SOFTCE_ENABLED) is not False
        trained = trained and theirs.get(m.CFG_SOFTCE_ENABLED) is not False
        differ = []
        for key in m.TARGET_KEYS + (m.WEIGHT_KEYS if trained else ()):
            here, there = settings.get(key), theirs.get(key)
            if here is not None and there is not None and compared(here) != compared(there):
                differ.append((key, f"{key.split('.', 1)[-1]} is {there!r} there, {here!r} here"))
        reasons = [text for _, text in differ]
        other = _objective(ref)
        if mine not in (None, "unknown") and other not in (None, "unknown") and mine != other:
            reasons.append(f"its objective is {other}, this run's is {mine} (CL101)")
            differ.append(("objective", ""))
        if reasons:
            left.append(LeftOut(ref, "; ".join(reasons), tuple(k for k, _ in differ)))
        else:
            kept.append(ref)
    return kept, left


def _settings(run: m.Logged) -> dict[str, object]:
    """The coord settings CL502 compares (and whether soft-CE trains), where the config says."""
    keys = (m.CFG_SOFTCE_ENABLED, *m.TARGET_KEYS, *m.WEIGHT_KEYS)
    return {key: value for key in keys if (value := m.config_value(run, key)) is not None}


@functools.lru_cache(maxsize=1024)
def _reference_settings(ref: coordlint.Reference) -> dict[str, object]:
    """A reference's :func:`_settings`, worked out once per check (references do not change)."""
    return _settings(ref)


@functools.lru_cache(maxsize=1024)
def _objective(ref: coordlint.Reference) -> str | None:
    """A reference's CL101 objective, worked out once per check (references do not change)."""
    return objective(ref)


def references_for(run: coordlint.Run) -> list[coordlint.Reference]:
    """The comparable references, or NotApplicable saying why there are none."""
    if not run.references:
        raise coordlint.NotApplicable("no reference runs (check --reference FILE_OR_RUN)")
    kept, _ = comparable(run)
    if not kept:
        raise coordlint.NotApplicable("no reference run is comparable with this run (see CL604)")
    return kept


# -- tolerances ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Tolerance:
    """A band's half-width is ``max(k × spread, rtol × |center|, atol)``."""

    k: float
    rtol: float
    atol: float


#: The band CL601 and CL603 judge with by default, and CL602 draws.
DEFAULT_TOLERANCE = Tolerance(k=4.0, rtol=0.02, atol=0.0)


def check_overrides(overrides: Mapping[str, object]) -> None:
    """Refuse a ``tag_overrides`` param that is not ``{tag glob: {k|rtol|atol: number}}``."""
    for pattern, fields in overrides.items():
        if not isinstance(fields, Mapping):
            raise ValueError(f"tag_overrides[{pattern!r}] must be a mapping of k, rtol, atol")
        for name, value in fields.items():
            if name not in TOLERANCE_FIELDS:
                raise ValueError(
                    f"tag_overrides[{pattern!r}] has no field {name!r} (fields: k, rtol, atol)"
                )
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"tag_overrides[{pattern!r}][{name!r}] must be a number >= 0")


def tolerance_for(
    tag: str, base: Tolerance, overrides: Mapping[str, Mapping[str, float]]
) -> Tolerance:
    """``base`` with the first override whose glob matches ``tag`` applied."""
    for pattern, fields in overrides.items():
        if fnmatch.fnmatchcase(tag, pattern):
            return replace(base, **{k: float(v) for k, v in fields.items()})
    return base


# -- the band ---------------------------------------------------------------------------
def aligned(refs: Sequence[coordlint.Reference], tag: str, steps: np.ndarray) -> np.ndarray:
    """Each reference's ``tag`` at ``steps`` (references × steps): linearly interpolated
    between its finite points, NaN outside its own first..last finite step."""
    out = np.full((len(refs), len(steps)), np.nan)
    at = steps.astype(np.float64)
    for i, ref in enumerate(refs):
        curve = ref.curve(tag)
        finite = np.isfinite(curve.values)
        xs, ys = curve.steps[finite].astype(np.float64), curve.values[finite]
        if not len(xs):
            continue
        inside = (at >= xs[0]) & (at <= xs[-1])
        out[i, inside] = np.interp(at[inside], xs, ys)
    return out


def eval_noise(refs: Sequence[coordlint.Reference], tag: str) -> float:
    """The median over ``refs`` of each one's eval-to-eval noise on ``tag`` (0 if unknown)."""
    noises = [n for ref in refs if (n := _noise(ref, tag)) is not None]
    return float(np.median(noises)) if noises else 0.0


@functools.lru_cache(maxsize=8192)
def _noise(ref: coordlint.Reference, tag: str) -> float | None:
    """One reference's eval-to-eval noise on ``tag`` (as :func:`~._curves.short_noise` of
    its values: an absolute noise), once per check; ``None`` under three finite evals."""
    values = ref.curve(tag).values
    y = values[np.isfinite(values)]
    if len(y) < 3:
        return None
    second = y[2:] - 2.0 * y[1:-1] + y[:-2]
    return ROBUST_SD * _median(np.abs(second - _median(second))) / math.sqrt(6.0)


def _median(x: np.ndarray) -> float:
    """The median of a short array (np.median's overhead is ten times the sort here)."""
    ordered = np.sort(x)
    half = len(ordered) // 2
    return float(ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2)


@dataclass(frozen=True, eq=False)
class Envelope:
    """The references' band at the run's steps (only where at least one reference says)."""

    tag: str
    steps: np.ndarray
    values: np.ndarray  # the aligned references, references × steps
    center: np.ndarray
    half: np.ndarray
    count: np.ndarray
    names: tuple[str, ...]

    @property
    def low(self) -> np.ndarray:
        return self.center - self.half

    @property
    def high(self) -> np.ndarray:
        return self.center + self.half

    def band(self) -> coordlint.Band:
        return coordlint.Band(self.steps, self.center, self.low, self.high, self.names)

    def refs_at(self, i: int) -> str:
        """The references' values at step index ``i``, named: ``run-a 21.02, run-b 20.97``."""
        return ", ".join(
            f"{name} {value:.4g}"
            for name, value in zip(self.names, self.values[:, i], strict=True)
            if math.isfinite(value)
        )


def half_width(
    center: np.ndarray, spread: np.ndarray, count: np.ndarray, tol: Tolerance, noise: float
) -> np.ndarray:
    """The band's half-width (see :func:`._spread.half_width`) under ``tol``."""
    return _spread.half_width(center, spread, count, tol.k, tol.rtol, tol.atol, noise)


def envelope(
    refs: Sequence[coordlint.Reference], tag: str, steps: np.ndarray, tol: Tolerance
) -> Envelope | None:
    """The band ``refs`` give for ``tag`` at ``steps``; ``None`` when no step is inside any
    reference's range."""
    values = aligned(refs, tag, steps)
    inside = np.isfinite(values).any(axis=0)
    if not inside.any():
        return None
    values = values[:, inside]
    center, _, spread, count = _spread.center_spread(values)
    half = half_width(center, spread, count, tol, eval_noise(refs, tag))
    names = tuple(r.name for r in refs)
    return Envelope(tag, steps[inside], values, center, half, count, names)


def center_word(count: int) -> str:
    """What the band's center is for ``count`` references."""
    return "median" if count >= 3 else ("mean" if count == 2 else "value")


def deviation(values: np.ndarray, env: Envelope) -> np.ndarray:
    """How far ``values`` (at ``env.steps``) are from the center, in band half-widths (signed:
    above the center is positive); 1 is the band's edge."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            env.half > 0, (values - env.center) / env.half, np.sign(values - env.center) * np.inf
        )


def worse(dev: np.ndarray, way: str | None) -> np.ndarray:
    """Where ``dev`` (in bands) is outside the band on the worse side (both sides for an
    unknown direction)."""
    if way == "lower":
        return dev > 1
    if way == "higher":
        return dev < -1
    return np.abs(dev) > 1


def stretches(flags: np.ndarray, sustain: int) -> list[tuple[int, int]]:
    """``[start, end)`` of every run of at least ``sustain`` consecutive True ``flags``."""
    padded = np.concatenate([[False], flags.astype(bool), [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [
        (int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True) if b - a >= sustain
    ]
