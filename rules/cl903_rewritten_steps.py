"""Some steps were written again with another value; the latest write of each was kept.

## What it does
Counts the writes that changed the value of a (tag, step) already written: a run resumed after
a crash, a re-run into the same directory, or a step counter that went backwards. A step
written again with the same value (within float32 rounding) is one point, not a rewrite: HF
and ms-swift repeat ``epoch`` in an eval row at the train row's step, and an eval row's copy of
the train side's bookkeeping (``memory(GiB)``, ``train_speed(iter/s)``, ...) is not read as a
point where the train row logged it.

**Operating range**: any; it counts what the loader resolved. On ``benchmarks/accuracy``
(resumed runs in all three float32 encodings) precision and recall are 1.0.

## Why it matters
Usually harmless, but a curve that mixes two attempts may not be the run you think it is: check
that the resumed part continued from the right checkpoint.

## Data
``count`` (writes that changed a value), ``tags`` (how many tags were affected).

## Example
``run CL903 [info] 20 points were rewritten in 2 tags (first: train/loss); the latest write
of each step was kept``
"""

from __future__ import annotations

from collections.abc import Iterator

import coordlint


@coordlint.rule("CL903", "rewritten-steps", severity="info")
def rewritten_steps(run: coordlint.Run) -> Iterator[coordlint.Finding]:
    if not run.rewritten:
        return
    count = sum(run.rewritten.values())
    tags = sorted(run.rewritten)
    yield coordlint.Finding(
        f"{count} point{'s were' if count != 1 else ' was'} rewritten in {len(tags)} "
        f"tag{'s' if len(tags) != 1 else ''} (first: {tags[0]}); "
        "the latest write of each step was kept",
        tag=tags[0] if len(tags) == 1 else None,
        data={"count": count, "tags": len(tags)},
    )
