"""Runs whose soft-CE-family metrics are compared were configured differently.

## What it does
Among the runs that log soft-CE-family metrics (``soft_ce``, ``w1``, ``gate`` under
``coord_softce_w1/*`` or ``coord_diag/*``) and have a known config, compares

- ``coord_soft_ce_w1.temperature``, ``target_sigma`` and ``target_truncate`` (they set the soft
  target, hence the level ``soft_ce`` can reach), across all of them;
- the loss weights ``ce_weight``, ``soft_ce_weight``, ``w1_weight``, ``gate_weight`` and
  ``text_gate_weight`` (the logged terms are already multiplied by them), across the runs where
  the soft-CE loss is not disabled (in pure-CE runs these terms are unweighted diagnostics).

A key is compared only between runs whose config gives it. Numbers equal up to float32 rounding
are the same setting (a config that went through float32 stores 0.9 as 0.8999999761581421).
For each key whose values differ, the runs that differ from the most common value are reported
(all of them on a tie). Not applicable when fewer than two such runs have a config.

**Operating range**: any; it reads configs, not curves. On ``benchmarks/accuracy`` precision
and recall are 1.0.

## Why it matters
``soft_ce`` is bounded below by the entropy of its Gaussian target: about 2.11 nats at sigma 2,
1.82 at 1.5 and 1.42 at 1; a change of temperature or truncation moves it too. A run with a
narrower target, or a larger ``soft_ce_weight``, shows a different ``soft_ce`` level for reasons
unrelated to how well it learned. Compare shapes within each run, or levels only between runs
with equal settings.

## Data
``keys`` (the differing config keys, comma-separated), ``other_runs`` (the runs compared).

## Example
``run-b CL502 [warning] soft-CE settings differ from the other compared runs: target_sigma is
1.0 here but 2.0 in run-a; compare soft-CE-family curves' shapes, not their levels, ...``
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import numpy as np

import coordlint

from . import _coord as m

_FAMILY = ("soft_ce", "w1", "gate")


def _logs_family(run: coordlint.Run) -> bool:
    return any(m.coord_tag(run, metric) is not None for metric in _FAMILY)


def _short(key: str) -> str:
    return key.split(".", 1)[-1]


@coordlint.rule("CL502", "coord-config-mismatch", severity="warning", scope="runs")
def coord_config_mismatch(runs: list[coordlint.Run], params: dict) -> Iterator[coordlint.Finding]:
    compared = [
        r
        for r in runs
        if any(m.config_value(r, k) is not None for k in (*m.TARGET_KEYS, *m.WEIGHT_KEYS))
        and _logs_family(r)
    ]
    if len(compared) < 2:
        raise coordlint.NotApplicable("fewer than two runs with soft-CE metrics and a config")
    trained = [r for r in compared if m.config_value(r, m.CFG_SOFTCE_ENABLED) is not False]
    differing: dict[str, list[str]] = {}  # run name -> keys
    details: dict[str, list[str]] = {}
    for keys, group in ((m.TARGET_KEYS, compared), (m.WEIGHT_KEYS, trained)):
        for key in keys:
            known = [(r.name, v) for r in group if (v := m.config_value(r, key)) is not None]
            if len(known) < 2:
                continue
            counts = Counter(_hashable(v) for _, v in known)
            if len(counts) == 1:
                continue
            top = counts.most_common()
            tie = len(top) > 1 and top[0][1] == top[1][1]
            for name, value in known:
                if tie or _hashable(value) != top[0][0]:
                    others = ", ".join(
                        f"{v!r} in {n}" for n, v in known if _hashable(v) != _hashable(value)
                    )
                    differing.setdefault(name, []).append(key)
                    details.setdefault(name, []).append(
                        f"{_short(key)} is {value!r} here but {others}"
                    )
    names = [r.name for r in compared]
    for name in names:
        if name not in differing:
            continue
        others = ", ".join(n for n in names if n != name)
        yield coordlint.Finding(
            f"soft-CE settings differ from the other compared runs: {'; '.join(details[name])}; "
            "compare soft-CE-family curves' shapes, not their levels, across these runs",
            run=name,
            data={"keys": ", ".join(differing[name]), "other_runs": others},
        )


def _hashable(value: object) -> object:
    """The value as compared: numbers equal up to float32 rounding are one value."""
    if isinstance(value, (list, dict)):
        return repr(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        # A config written through float32 (0.9 -> 0.8999999761581421) means the same setting.
        return float(np.float32(value))
    return value
