"""JUnit XML, for CI dashboards. The only module that touches junit-xml (unmaintained since 2020).

One testcase per (run, rule) that ran: passed, failed (one ``<failure>`` per finding at or above
the fail level), or skipped (not applicable). Testcase names are ``RUN::CODE rule-name``: unique
and stable across runs. Characters XML 1.0 cannot hold are escaped as ``\\xNN``, not deleted.
"""

from __future__ import annotations

import re

from junit_xml import TestCase, TestSuite, to_xml_report_string

from coordlint.report import Report

# Everything XML 1.0 forbids (junit-xml would silently delete these).
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def _escape(text: str) -> str:
    return _ILLEGAL_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def format_report(report: Report) -> str:
    suites = []
    for run in report.runs:
        cases = []
        for outcome in (o for o in report.outcomes if o.run == run.name):
            rule = report.rules.get(outcome.code)
            name = f"{outcome.code} {rule.name if rule else ''}".strip()
            case = TestCase(_escape(f"{run.name}::{name}"), classname=_escape(run.name))
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
