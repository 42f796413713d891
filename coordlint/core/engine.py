"""Run the enabled rules over the runs, isolate failures, stamp findings.

A rule that raises never stops the others: it becomes a ``CL900 rule-error`` finding, as does
one that runs over its time limit or reports more than :data:`MAX_FINDINGS` findings on a run.
A rule is *not applicable* to a run when it raised :class:`~coordlint.NotApplicable`, or found
nothing after asking only for tags the run does not log.
"""

from __future__ import annotations

import copy
import itertools
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from coordlint.core.config import Settings
from coordlint.core.engine_findings import RULE_ERROR
from coordlint.core.guard import CallResult, RuleGuard, describe
from coordlint.core.selection import enabled_codes
from coordlint.core.stamp import stamp
from coordlint.report import Outcome, Report, Suppressed
from coordlint.rule import Finding, NotApplicable, Rule, Severity
from coordlint.run import Run
from coordlint.rundata import RunData

#: Findings one rule may report on one run (a scope="runs" rule: this many per run).
MAX_FINDINGS = 10_000


def select_rules(rules: Mapping[str, Rule], settings: Settings) -> list[Rule]:
    """The rules the settings enable, in code order."""
    select = [*settings.select, *settings.extend_select]
    ignore = [*settings.ignore, *settings.extend_ignore]
    return [rules[c] for c in enabled_codes(rules, select, ignore)]


Suppress = Callable[[Finding], "str | None"]


def check(
    runs: Iterable[RunData | Run],
    rules: Mapping[str, Rule],
    settings: Settings,
    version: str = "",
    suppress: Sequence[Suppress] = (),
    config_types: Mapping[str, type] | None = None,
) -> Report:
    """Run every enabled rule on ``runs`` and return the report.

    ``runs`` (loaded :class:`RunData`, or :class:`Run` faces) may be an iterator that is still
    loading: each run's own rules run as soon as it arrives (while worker processes decode the
    next runs), the rules over all runs at the end. Each rule sees its own :class:`Run` face
    over the run, with the configured tag aliases, so the tags it asks for are tracked.
    Each ``suppress`` callable may claim a finding by returning a reason (a baseline, say);
    config ignore entries with a reason are applied first. ``config_types`` are the run-config
    keys the plugins read, with their types: a run whose config holds one with a value of
    another type has it hidden from the rules and reported (CL901).

    Every rule call is guarded (:mod:`coordlint.core.guard`): whatever it raises, prints or
    however long it runs (``settings.rule_timeout``), the other rules still run.
    """
    report = Report(runs=[], rules=dict(rules), fail_on=settings.fail_on, version=version)
    enabled = select_rules(rules, settings)
    params = {rule.code: settings.params_for(rule) for rule in enabled}
    per_run = [rule for rule in enabled if rule.scope != "runs"]
    aliases = settings.tag_aliases
    with RuleGuard(settings.rule_timeout) as guard:
        for item in runs:
            run = _face(item, aliases, config_types or {})
            report.runs.append(run)
            for rule in per_run:
                outcome = _check_one(rule, run, params[rule.code], settings, report, guard)
                report.outcomes.append(outcome)
        for rule in enabled:
            if rule.scope == "runs":
                runs_now = list(report.runs)
                outcomes = _check_runs(rule, runs_now, params[rule.code], settings, report, guard)
                report.outcomes.extend(outcomes)
    position = {r.name: i for i, r in enumerate(report.runs)}
    report.outcomes.sort(key=lambda o: (position[o.run], o.code))
    filters: list[Suppress] = [_config_suppressions(settings), *suppress]
    for outcome in report.outcomes:
        kept = []
        for finding in outcome.findings:
            if finding.code == RULE_ERROR.code:  # a crashed rule is never hidden
                kept.append(finding)
                continue
            reason = next((r for r in (f(finding) for f in filters) if r), None)
            if reason is None:
                kept.append(finding)
            else:
                report.suppressed.append(Suppressed(finding, reason))
        if len(kept) != len(outcome.findings):
            outcome.findings = kept
            outcome.status = "failed" if any(report.fails(f) for f in kept) else "passed"
    report.findings = [f for o in report.outcomes for f in o.findings]
    return report


def _config_suppressions(settings: Settings) -> Suppress:
    def suppress(finding: Finding) -> str | None:
        for entry in settings.suppressions:
            if entry.matches(finding.code, finding.run or ""):
                return entry.reason
        return None

    return suppress


def _face(
    item: RunData | Run, aliases: Mapping[str, Sequence[str]], config_types: Mapping[str, type]
) -> Run:
    run = item if isinstance(item, Run) else Run(item, tag_aliases=aliases)
    return run._config_checked(config_types) if config_types else run


def _check_one(
    rule: Rule,
    run: Run,
    params: dict[str, Any],
    settings: Settings,
    report: Report,
    guard: RuleGuard,
) -> Outcome:
    asked: list[str] = []
    face = run._for_rule(asked, whole=rule.whole_run)

    def call() -> list[Finding]:
        found = _bounded(rule.run_with(face, _fresh(params)), MAX_FINDINGS)
        severity = settings.severity.get(rule.code)
        return [_as_logged(stamp(f, rule, run.name, severity), face) for f in found]

    result = guard.call(call, _label(rule))
    if result.error is not None:
        if isinstance(result.error, NotApplicable) and not result.timed_out:
            reason = describe(result.error) or "not applicable"
            return Outcome(run.name, rule.code, "skipped", reason=reason)
        return _rule_error(rule, run.name, result, settings, report)
    findings: list[Finding] = result.value
    if not findings and asked and not any(face.logged_as(t) for t in asked):
        run._lacked(rule.code, asked)
        lacked = ", ".join(dict.fromkeys(asked))
        return Outcome(run.name, rule.code, "skipped", reason=f"run lacks {lacked}")
    return _outcome(run.name, rule.code, findings, report)


def _check_runs(
    rule: Rule,
    runs: list[Run],
    params: dict[str, Any],
    settings: Settings,
    report: Report,
    guard: RuleGuard,
) -> list[Outcome]:
    names = [r.name for r in runs]
    faces = {r.name: r._for_rule(None, whole=rule.whole_run) for r in runs}

    def call() -> list[Finding]:
        given = list(faces.values())
        found = _bounded(rule.run_with(given, _fresh(params)), MAX_FINDINGS * len(faces))
        severity = settings.severity.get(rule.code)
        stamped = []
        for f in found:
            run = f.run if isinstance(f, Finding) else None
            if not isinstance(run, str) or run not in names:
                raise ValueError(
                    f"a scope='runs' finding must name one of the runs, got run={run!r}"
                )
            stamped.append(_as_logged(stamp(f, rule, run, severity), faces[run]))
        return stamped

    result = guard.call(call, _label(rule))
    if result.error is not None:
        if isinstance(result.error, NotApplicable) and not result.timed_out:
            reason = describe(result.error) or "not applicable"
            return [Outcome(n, rule.code, "skipped", reason=reason) for n in names]
        return [_rule_error(rule, names[0], result, settings, report)] + [
            Outcome(n, rule.code, "skipped", reason="rule error") for n in names[1:]
        ]
    findings: list[Finding] = result.value
    return [_outcome(n, rule.code, [f for f in findings if f.run == n], report) for n in names]


def _fresh(params: dict[str, Any]) -> dict[str, Any]:
    """The rule's own params for one call: what it changes there, no later call sees."""
    if all(isinstance(v, (int, float, str, bool, type(None))) for v in params.values()):
        return dict(params)
    return copy.deepcopy(params)


def _bounded(returned: Iterable[Any] | None, limit: int) -> list[Any]:
    """What a rule returned, as a list; more than ``limit`` items is an error (a rule that
    yields without end would otherwise fill the memory before its time limit)."""
    found = list(itertools.islice(returned or (), limit + 1))
    if len(found) > limit:
        raise RuntimeError(f"more than {limit} findings on one run; stopped reading them")
    return found


def _label(rule: Rule) -> str:
    return f"{rule.code} {rule.name}"


def _outcome(run: str, code: str, findings: list[Finding], report: Report) -> Outcome:
    failed = any(report.fails(f) for f in findings)
    return Outcome(run, code, "failed" if failed else "passed", findings)


def _rule_error(
    rule: Rule, run: str, result: CallResult, settings: Settings, report: Report
) -> Outcome:
    exc = result.error
    assert exc is not None
    data: dict[str, Any] = {"rule": rule.code, "plugin": rule.plugin}
    if result.timed_out:
        message = (
            f"rule {rule.code} {rule.name} did not finish within its time limit of "
            f"{settings.rule_timeout:g} s (--rule-timeout) and was "
            + ("abandoned" if result.abandoned else "stopped")
        )
        data.update(exception="RuleTimeout", timeout=settings.rule_timeout)
    else:
        said = describe(exc)
        message = f"rule {rule.code} {rule.name} raised {type(exc).__name__}"
        message += f": {said}" if said else ""
        data["exception"] = type(exc).__name__
    finding = Finding(
        message,
        data=data,
        severity=Severity.ERROR,
        run=run,
        code=RULE_ERROR.code,
        rule=RULE_ERROR.name,
    )
    try:
        report.tracebacks[id(finding)] = "".join(traceback.format_exception(exc))
    except Exception:
        report.tracebacks[id(finding)] = f"{type(exc).__name__} (traceback cannot be shown)"
    return _outcome(run, rule.code, [finding], report)


def _as_logged(finding: Finding, run: Run) -> Finding:
    """A finding about a tag the run logs under an alias names the tag as the log spells it
    (in ``tag``, the message and the evidence), so the user finds it in their own logs."""
    tag = finding.tag
    logged = run.logged_as(tag) if tag else None
    if not tag or logged is None or logged == tag:
        return finding
    data = {k: logged if v == tag else v for k, v in finding.data.items()}
    return replace(finding, tag=logged, message=finding.message.replace(tag, logged), data=data)
