"""The gated checkpoint's own files disagree about its step, or name another run than the logs.

## What it does
Applies to a gated checkpoint (a checkpoint directory given as a RUN). Reports an error when

- the step in its name (``checkpoint-N``, ``…ckpt_N``) and the ``global_step`` of its
  ``trainer_state.json`` differ; or
- its ``args.json`` names a training run (``output_dir``) that is neither the run of the logs'
  ``args.json`` nor a directory of the logs: compared by their last two path components, since
  the checkpoint's paths are usually those of the training machine (split at ``/`` and ``\\``, so
  a Windows machine's paths compare too).

## Why it matters
The gate judges the logs as of the checkpoint's step. A checkpoint renamed by hand, copied from
another run, or merged from another run's adapter is judged on the wrong curve, and every
verdict about it is about something else.

## Data
``name_step`` and ``state_step`` (for a step mismatch); ``checkpoint_run`` and ``logs_run``
(the ``output_dir`` each ``args.json`` names, for a run mismatch).

## Example
``run@1800 CL905 [error] the checkpoint's name says step 1800 but its trainer_state.json says
1600``
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePath

import coordlint

from .cl204_checkpoint_not_best import NOT_A_CHECKPOINT


def _tail(path: str) -> tuple[str, ...]:
    """The last two components of a path written on any machine (``/`` or ``\\`` between)."""
    return tuple(p for p in re.split(r"[\\/]+", path) if p)[-2:]


def _same_run(a: str, b: str) -> bool:
    ta, tb = _tail(a), _tail(b)
    n = min(len(ta), len(tb))
    return n > 0 and ta[-n:] == tb[-n:]


@coordlint.rule("CL905", "checkpoint-step-mismatch", severity="error")
def checkpoint_step_mismatch(run: coordlint.Run) -> Iterator[coordlint.Finding]:
    checkpoint = run.checkpoint
    if checkpoint is None:
        raise coordlint.NotApplicable(NOT_A_CHECKPOINT)
    named, state = checkpoint.name_step, checkpoint.state_step
    if named is not None and state is not None and named != state:
        yield coordlint.Finding(
            f"the checkpoint's name says step {named} but its trainer_state.json says {state}: "
            "it was renamed or copied; gate it with --step and check which run it is",
            step=checkpoint.step,
            data={"name_step": named, "state_step": state},
        )
    theirs = checkpoint.args_output_dir
    ours = run.config.get("output_dir")
    if not theirs or not isinstance(ours, str) or not ours:
        return
    directories = [run.path, *(str(PurePath(f).parent) for f in run.files)]
    if _same_run(theirs, ours) or any(_same_run(theirs, d) for d in directories):
        return
    yield coordlint.Finding(
        f"the checkpoint's args.json names the run {theirs!r}, the logs' args.json {ours!r}: "
        "the logs are not this checkpoint's run; pass --logs with its own logs",
        step=checkpoint.step,
        data={"checkpoint_run": theirs, "logs_run": ours},
    )
