"""A scalar was logged as NaN or ±inf.

## What it does
For every tag holding non-finite values, reports the tag and step of the first one and how many
there are.

**Operating range**: any; a value is finite or it is not. It stays silent on the finite
curves of ``benchmarks/accuracy``.

## Why it matters
A NaN loss usually means the run diverged (learning rate, fp16 overflow, a bad batch); rules that
summarise a curve cannot trust it past that point.

## Data
``count`` (non-finite points in the tag), ``first`` (``nan``, ``inf`` or ``-inf``).

## Example
``run CL902 [error] train/loss is NaN at step 1200 (3 non-finite points)``
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import coordlint


@coordlint.rule("CL902", "non-finite-scalar", severity="error")
def non_finite_scalar(run: coordlint.Run) -> Iterator[coordlint.Finding]:
    for tag in run.tags:
        # Counted once when decoded (and kept by the cache), so a cached run is checked
        # without reading a single array.
        bad = run.non_finite(tag)
        if bad is None:
            continue
        count, step, value = bad.count, bad.step, bad.value
        spelled = "NaN" if math.isnan(value) else ("+inf" if value > 0 else "-inf")
        yield coordlint.Finding(
            f"{tag} is {spelled} at step {step} ({count} non-finite point"
            f"{'s' if count != 1 else ''})",
            tag=tag,
            step=step,
            data={"count": count, "first": spelled.lstrip("+").lower()},
        )
