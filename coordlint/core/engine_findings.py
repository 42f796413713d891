"""The engine's own finding, ``CL900``: documented like a rule, but not one.

It is always on: a crashed rule checked nothing, so no selection, ignore entry, severity
override or baseline can hide it, and it never appears as a rule of its own in reports (JUnit
shows it as the failure of the rule that crashed). ``coordlint rules`` lists it and
``coordlint explain CL900`` prints this documentation.
"""

from __future__ import annotations

from coordlint.errors import ConfigError
from coordlint.rule import Finding, Rule, Severity
from coordlint.run import Run

__all__ = ["ENGINE_RULES", "RULE_ERROR", "refuse_engine_code"]


def rule_error(run: Run) -> list[Finding]:
    """A rule raised an exception while checking a run.

    ## What it does
    Reports, as an error, every rule that crashed, naming the rule, its plugin and the
    exception. The engine produces this finding itself; the other rules keep running.

    It is coordlint's own finding, not a rule: it cannot be selected, ignored, baselined or
    given another severity (a config or command line that tries is an error), and in JUnit it
    is the failure of the crashed rule's own testcase.

    ## Why it matters
    A crashed rule checked nothing: a green report would be a lie. Run with ``--debug`` to see
    the traceback, and report it to the rule's plugin.

    ## Example
    ``run-a CL900 [error] rule TM001 final-eval-loss-high raised KeyError: 'max_loss'``
    """
    return []


RULE_ERROR = Rule("CL900", "rule-error", rule_error, Severity.ERROR, plugin="coordlint", takes=())
#: The engine's own findings, by code (documented, listed, never selectable).
ENGINE_RULES = {RULE_ERROR.code: RULE_ERROR}


def refuse_engine_code(entry: str, where: str) -> None:
    """A config or command-line entry naming an engine code exactly is an error."""
    code = str(entry).strip().upper()
    if code in ENGINE_RULES:
        raise ConfigError(
            f"{where}: {code} is coordlint's own finding (a rule crashed): it is always "
            "reported and cannot be selected, ignored or given a severity or params"
        )
