"""Run the enabled rules over the runs, isolate failures, stamp findings.

A rule that raises never stops the others: it becomes a ``CL900 rule-error`` finding. A rule
is *not applicable* to a run when it raised :class:`~coordlint.NotApplicable`, or found nothing
after asking only for tags the run does not log.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from coordlint.core.config import Settings
from coordlint.core.engine_findings import RULE_ERROR
from coordlint.core.selection import enabled_codes
from coordlint.report import Outcome, Report, Suppressed
from coordlint.rule import Finding, NotApplicable, Rule, Severity
from coordlint.run import Run
from coordlint.rundata import RunData


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
) -> Report:
    """Run every enabled rule on ``runs`` and return the report.

    ``runs`` (loaded :class:`RunData`, or :class:`Run` faces) may be an iterator that is still
    loading: each run's own rules run as soon as it arrives (while worker processes decode the
    next runs), the rules over all runs at the end. Each rule sees its own :class:`Run` face
    over the run, with the configured tag aliases, so the tags it asks for are tracked.
    Each ``suppress`` callable may claim a finding by returning a reason (a baseline, say);
    config ignore entries with a reason are applied first.
    """
    report = Report(runs=[], rules=dict(rules), fail_on=settings.fail_on, version=version)
    enabled = select_rules(rules, settings)
    params = {rule.code: settings.params_for(rule) for rule in enabled}
    per_run = [rule for rule in enabled if rule.scope != "runs"]
    aliases = settings.tag_aliases
    for item in runs:
        run = _face(item, aliases)
        report.runs.append(run)
        for rule in per_run:
            report.outcomes.append(_check_one(rule, run, params[rule.code], settings, report))
    for rule in enabled:
        if rule.scope == "runs":
            outcomes = _check_runs(rule, list(report.runs), params[rule.code], settings, report)
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


def _face(item: RunData | Run, aliases: Mapping[str, Sequence[str]]) -> Run:
    if isinstance(item, Run):
        return item
    return Run(item, tag_aliases=aliases)


def _check_one(
    rule: Rule, run: Run, params: dict[str, Any], settings: Settings, report: Report
) -> Outcome:
    asked: list[str] = []
    face = run._for_rule(asked, whole=rule.whole_run)
    try:
        found = list(rule.run_with(face, params) or ())
    except NotApplicable as exc:
        return Outcome(run.name, rule.code, "skipped", reason=str(exc) or "not applicable")
    except Exception as exc:  # a broken rule must not stop the others
        return _rule_error(rule, run.name, exc, report)
    if not found and asked and not any(face.logged_as(t) for t in asked):
        run._lacked(rule.code, asked)
        lacked = ", ".join(dict.fromkeys(asked))
        return Outcome(run.name, rule.code, "skipped", reason=f"run lacks {lacked}")
    try:
        findings = [_as_logged(_stamp(f, rule, run.name, settings), face) for f in found]
    except Exception as exc:
        return _rule_error(rule, run.name, exc, report)
    return _outcome(run.name, rule.code, findings, report)


def _check_runs(
    rule: Rule, runs: list[Run], params: dict[str, Any], settings: Settings, report: Report
) -> list[Outcome]:
    names = [r.name for r in runs]
    faces = {r.name: r._for_rule(None, whole=rule.whole_run) for r in runs}
    try:
        found = list(rule.run_with(list(faces.values()), params) or ())
        for f in found:
            if f.run not in names:
                raise ValueError(
                    f"a scope='runs' finding must name one of the runs, got run={f.run!r}"
                )
        findings = [
            _as_logged(_stamp(f, rule, f.run or "", settings), faces[str(f.run)]) for f in found
        ]
    except NotApplicable as exc:
        reason = str(exc) or "not applicable"
        return [Outcome(n, rule.code, "skipped", reason=reason) for n in names]
    except Exception as exc:
        return [_rule_error(rule, names[0], exc, report)] + [
            Outcome(n, rule.code, "skipped", reason="rule error") for n in names[1:]
        ]
    return [_outcome(n, rule.code, [f for f in findings if f.run == n], report) for n in names]


def _outcome(run: str, code: str, findings: list[Finding], report: Report) -> Outcome:
    failed = any(report.fails(f) for f in findings)
    return Outcome(run, code, "failed" if failed else "passed", findings)


def _rule_error(rule: Rule, run: str, exc: BaseException, report: Report) -> Outcome:
    finding = Finding(
        f"rule {rule.code} {rule.name} raised {type(exc).__name__}: {exc}",
        data={"rule": rule.code, "plugin": rule.plugin, "exception": type(exc).__name__},
        severity=Severity.ERROR,
        run=run,
        code=RULE_ERROR.code,
        rule=RULE_ERROR.name,
    )
    report.tracebacks[id(finding)] = "".join(traceback.format_exception(exc))
    return _outcome(run, rule.code, [finding], report)


def _stamp(finding: Finding, rule: Rule, run: str, settings: Settings) -> Finding:
    if not isinstance(finding, Finding):
        raise TypeError(f"rules must yield coordlint.Finding, got {type(finding).__name__}")
    severity = settings.severity.get(rule.code)  # the user's config beats the rule's own choice
    if severity is None:
        severity = rule.severity if finding.severity is None else finding.severity
    return replace(
        finding,
        code=rule.code,
        rule=rule.name,
        run=run,
        severity=Severity.parse(severity),
        tag=finding.tag,
        step=None if finding.step is None else int(finding.step),
        data=_flat_data(finding.data),
    )


def _as_logged(finding: Finding, run: Run) -> Finding:
    """A finding about a tag the run logs under an alias names the tag as the log spells it
    (in ``tag``, the message and the evidence), so the user finds it in their own logs."""
    tag = finding.tag
    logged = run.logged_as(tag) if tag else None
    if not tag or logged is None or logged == tag:
        return finding
    data = {k: logged if v == tag else v for k, v in finding.data.items()}
    return replace(finding, tag=logged, message=finding.message.replace(tag, logged), data=data)


def _flat_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Evidence as plain JSON numbers and strings (numpy scalars unwrapped, non-finite spelled)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            value = str(value)
        elif value is not None and not isinstance(value, (int, float, str, bool)):
            value = str(value)
        out[str(key)] = value
    return out
