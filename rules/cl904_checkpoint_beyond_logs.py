"""The gated checkpoint is past the run's logs, or no eval was logged shortly before it.

## What it does
Applies to a gated checkpoint (a checkpoint directory given as a RUN, or ``--step``) and reads
the whole run. Reports an error when the checkpoint's step is past the last step logged for any
tag, or when no eval (a tag under ``eval/``) was logged in the last ``evals_within`` eval
intervals up to the checkpoint's step. The eval interval is the config's ``eval_steps``, else
the median distance between the run's evals.

## Why it matters
A gate that cannot see the checkpoint's neighbourhood is blind: every other rule would judge
the checkpoint on evals long before it, or on none. Logs that end before the checkpoint are
incomplete (a copy taken mid-run, a missing resume), or are not this checkpoint's run at all.

## Data
``step`` (the checkpoint's), ``last_step`` (the last logged), ``last_eval`` (the last eval at
or before ``step``, -1 when none), ``eval_steps`` (the interval used, -1 when unknown).

## Example
``run@2400 CL904 [error] checkpoint step 2400 is past the last logged step (1932): the logs
are incomplete, or not this checkpoint's run``

## Options
- ``evals_within`` (default ``2``): how many eval intervals before the checkpoint may pass
  without an eval.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

import coordlint

from . import _coord as m
from .cl204_checkpoint_not_best import NOT_A_CHECKPOINT


@coordlint.rule(
    "CL904",
    "checkpoint-beyond-logs",
    severity="error",
    params={"evals_within": 2},
    whole_run=True,
)
def checkpoint_beyond_logs(run: coordlint.Run, evals_within: int) -> Iterator[coordlint.Finding]:
    checkpoint = run.checkpoint
    if checkpoint is None:
        raise coordlint.NotApplicable(NOT_A_CHECKPOINT)
    ends = [s for s in (run.last_step(t) for t in run.tags) if s is not None]
    if not ends:
        return  # nothing readable: CL901 says so
    step, last = checkpoint.step, max(ends)
    data: dict[str, object] = {"step": step, "last_step": last, "last_eval": -1, "eval_steps": -1}
    if step > last:
        yield coordlint.Finding(
            f"checkpoint step {step} is past the last logged step ({last}): the logs are "
            "incomplete, or not this checkpoint's run",
            step=step,
            data=data,
        )
        return
    steps = [run.series(t).index.to_numpy() for t in run.tags if t.startswith("eval/")]
    evals = np.unique(np.concatenate(steps)) if steps else np.empty(0, dtype=np.int64)
    before = evals[evals <= step]
    interval = _eval_interval(run, evals)
    if interval is not None:
        data["eval_steps"] = interval
    if len(before):
        data["last_eval"] = int(before[-1])
    window = None if interval is None else evals_within * interval
    if len(before) and (window is None or step - int(before[-1]) <= window):
        return
    if len(before):
        why = f"the last eval was at step {int(before[-1])}, more than {window} steps before it"
    else:
        why = "no eval was logged at or before it"
    yield coordlint.Finding(
        f"checkpoint step {step}: {why} (eval_steps={data['eval_steps']}): the gate cannot see "
        "this checkpoint; the logs are incomplete, or not this checkpoint's run",
        step=step,
        data=data,
    )


def _eval_interval(run: coordlint.Run, evals: np.ndarray) -> int | None:
    configured = m.config_value(run, m.CFG_EVAL_STEPS)
    if isinstance(configured, (int, float)) and not isinstance(configured, bool) and configured > 0:
        return int(configured)
    if len(evals) < 2:
        return None
    return int(np.median(np.diff(evals)))
