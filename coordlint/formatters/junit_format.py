"""JUnit XML, for CI dashboards. The only module that touches junit-xml (unmaintained since 2020).

One testcase per (run, rule) that ran: passed, failed (one ``<failure>`` per finding at or above
the fail level, every one kept), or skipped (not applicable). Testcase names are
``RUN::CODE rule-name``: unique and stable across runs. Text is written with control characters
(which XML 1.0 cannot hold, or which would start a new line) as visible escapes, not deleted,
and lone surrogates as U+FFFD (see :func:`~coordlint.formatters.safe_text.printable`).
"""

from __future__ import annotations

import re

from junit_xml import TestCase, TestSuite, to_xml_report_string

from coordlint.formatters.safe_text import printable
from coordlint.report import Report

# What XML 1.0 forbids beyond the control characters and surrogates printable() escapes
# (junit-xml would silently delete these).
_NONCHARACTERS = re.compile("[\ufffe\uffff]")


def _escape(text: str) -> str:
    return _NONCHARACTERS.sub(lambda m: f"\\u{ord(m.group()):04x}", printable(text))


def format_report(report: Report) -> str:
    suites = []
    for run in report.runs:
        cases = []
        for outcome in (o for o in report.outcomes if o.run == run.name):
            rule = report.rules.get(outcome.code)
            name = f"{outcome.code} {rule.name if rule else ''}".strip()
            case = TestCase(
                _escape(f"{run.name}::{name}"),
                classname=_escape(run.name),
                allow_multiple_subelements=True,  # one <failure> per failing finding
            )
            if outcome.status == "skipped":
                case.add_skipped_info(_escape(outcome.reason or "not applicable"))
            below = []
            for f in outcome.findings:
                line = _escape(f"{f.code} [{f.severity}] {f.message}")
                if report.fails(f):
                    case.add_failure_info(message=line, failure_type=str(f.severity))
                else:
                    below.append(line)
            if below:
                case.stdout = "\n".join(below)
            cases.append(case)
        if not cases:
            case = TestCase(_escape(f"{run.name}::no rules ran"), classname=_escape(run.name))
            case.add_skipped_info("no rule was selected")
            cases.append(case)
        suites.append(TestSuite(_escape(f"coordlint {run.name}"), cases))
    return to_xml_report_string(suites, encoding="utf-8")
