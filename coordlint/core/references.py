"""Reference runs for a check: taken from loaded runs, or read from a reference file.

A reference keeps what rules compare and nothing else: the config keys plugins name
(``coordlint_reference_config``), every ``eval/*`` tag exactly, and every other tag (train
curves: thousands of points, noisy step to step) as at most :data:`BIN_POINTS` bin medians.
``check --reference`` and ``reference build`` both go through :func:`reference_from_run`, so a
reference file judges exactly as the runs it was built from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from coordlint.core.reference_file import read_reference_file
from coordlint.errors import InputError
from coordlint.execution.collect import LoadOptions, Targets, collect_runs
from coordlint.loading.spec import TRAINER_STATE
from coordlint.reference import Curve, Reference
from coordlint.runconfig import RunConfig
from coordlint.rundata import RunData

__all__ = [
    "BIN_POINTS",
    "EXACT_PREFIX",
    "is_reference_file",
    "load_references",
    "median_binned",
    "reference_from_run",
]

#: The most points a binned (non-eval) curve keeps.
BIN_POINTS = 500
#: Tags kept exactly, point for point.
EXACT_PREFIX = "eval/"


def median_binned(steps: np.ndarray, values: np.ndarray, bins: int = BIN_POINTS) -> Curve:
    """``steps``/``values`` (sorted by step) in at most ``bins`` bins of consecutive points,
    equal in count to within one: each bin's median finite value (NaN when it has none; float32
    precision, what TensorBoard logs) at the step of its middle point (the lower of two).
    Fewer points than ``bins``: kept as they are."""
    n = len(steps)
    if n <= bins:
        return Curve(np.array(steps, dtype=np.int64), np.array(values, dtype=np.float64))
    starts = np.arange(bins, dtype=np.int64) * n // bins
    sizes = np.diff(np.append(starts, n))
    finite = np.isfinite(values)
    clean = np.where(finite, values, np.nan)  # non-finite values sort last in their bin
    order = np.lexsort((clean, np.repeat(np.arange(bins), sizes)))
    ranked = clean[order]
    counts = np.add.reduceat(finite.astype(np.int64), starts)
    lower = starts + np.maximum(counts - 1, 0) // 2
    upper = starts + np.maximum(counts, 1) // 2
    with np.errstate(invalid="ignore"):
        medians = np.where(counts > 0, (ranked[lower] + ranked[upper]) / 2, np.nan)
    middle = steps[starts + (sizes - 1) // 2]
    # Rounded to float32, as a reference file stores them: a file and its runs judge alike.
    rounded = medians.astype(np.float32).astype(np.float64)
    return Curve(np.array(middle, dtype=np.int64), rounded, binned=True)


def reference_from_run(
    data: RunData,
    keys: Mapping[str, Sequence[str]],
    *,
    bins: int = BIN_POINTS,
    tag_aliases: Mapping[str, Sequence[str]] | None = None,
) -> Reference:
    """``data`` as a reference: the config ``keys`` (each from the first of its paths the
    run's config holds), ``eval/*`` tags exactly, other tags median-binned to ``bins`` points.
    A run gated as of a checkpoint is the run as of its step."""
    if data.checkpoint is not None:
        data = data.as_of(data.checkpoint.step)
    config = data.config if isinstance(data.config, RunConfig) else RunConfig(data.config)
    kept = {}
    for key, paths in keys.items():
        value = next((v for p in paths if (v := config.get(p)) is not None), None)
        if value is not None:
            kept[key] = value
    curves = {}
    for tag, column in data.columns.items():
        steps, values = column.steps, column.values
        if tag.startswith(EXACT_PREFIX):
            curves[tag] = Curve(np.array(steps, dtype=np.int64), np.array(values, np.float64))
        else:
            curves[tag] = median_binned(steps, values, bins)
    return Reference(data.name, curves, kept, origin=data.path, tag_aliases=tag_aliases)


def is_reference_file(item: str) -> bool:
    """Whether a ``--reference`` argument names a reference file (a local ``.json`` file other
    than a trainer's ``trainer_state.json``) rather than a run."""
    if "://" in item:
        return False
    path = Path(item)
    return path.suffix == ".json" and path.name != TRAINER_STATE and path.is_file()


def load_references(
    items: Sequence[str],
    keys: Mapping[str, Sequence[str]],
    options: LoadOptions,
    targets: Targets | None = None,
    tag_aliases: Mapping[str, Sequence[str]] | None = None,
) -> tuple[Reference, ...]:
    """The references ``items`` name: each reference file's runs, in order, then the runs the
    other arguments name (loaded together, like checked runs: ``options``, ``targets``).
    Raises InputError for a bad file or argument, and when two references share a name."""
    files = [item for item in items if is_reference_file(item)]
    runs = [item for item in items if item not in files]
    found: list[Reference] = []
    for item in files:
        found += [
            r.with_aliases(tag_aliases or {}) for r in read_reference_file(Path(item)).references
        ]
    if runs:
        found += [
            reference_from_run(data, keys, tag_aliases=tag_aliases)
            for data in collect_runs(runs, options, targets=targets)
        ]
    seen: dict[str, str] = {}
    for ref in found:
        if ref.name in seen:
            raise InputError(
                f"two references are named {ref.name!r} (from {seen[ref.name]} and "
                f"{ref.origin}); give each reference run once"
            )
        seen[ref.name] = ref.origin
    return tuple(found)
