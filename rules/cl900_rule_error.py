"""A rule raised an exception while checking a run.

## What it does
Reports, as an error, every rule that crashed, naming the rule, its plugin and the exception.
The engine produces this finding itself; the other rules keep running.

**Operating range**: any; it is not a statistic. No rule crashed on ``benchmarks/accuracy``.

## Why it matters
A crashed rule checked nothing: a green report would be a lie. Run with ``--debug`` to see the
traceback, and report it to the rule's plugin.

## Example
``run-a CL900 [error] rule TM001 final-eval-loss-high raised KeyError: 'max_loss'``
"""

from __future__ import annotations

import coordlint


@coordlint.rule("CL900", "rule-error", severity="error")
def rule_error(run: coordlint.Run, params: dict) -> list[coordlint.Finding]:
    return []
