"""SARIF 2.1.0, for code-scanning dashboards (GitHub code scanning, IDE viewers).

One SARIF run whose ``tool.driver`` lists every rule that ran (id, name, short and full
description and help from the rule's documentation, default level). Each finding is a result:
``ruleId``/``ruleIndex``, ``level`` (error, warning, note), ``message.text`` (``RUN: message``),
one location per file of its run (relative URIs when the file lies under the working
directory), a ``partialFingerprints`` entry (the GitLab fingerprint: run, code and tag), and
``properties`` with run, tag, step and data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from coordlint.formatters.gitlab_format import display_path, fingerprints
from coordlint.formatters.safe_text import json_safe
from coordlint.report import Report
from coordlint.rule import Finding, Rule, Severity

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def artifact_uri(path: str) -> str:
    """A URI reference for ``path``: relative and percent-encoded, or ``file://`` if absolute.
    A name that is not valid UTF-8 (decoded with surrogateescape) is encoded as its own bytes."""
    shown = display_path(path)
    encoded = _path_bytes(shown)
    if Path(shown).is_absolute():
        try:
            return Path(shown).as_uri()
        except UnicodeEncodeError:  # a lone surrogate no file system name decodes to
            return "file://" + quote(encoded, safe="/")
    return quote(encoded, safe="/")


def _path_bytes(path: str) -> bytes:
    try:
        return path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate no file system name decodes to
        return path.encode("utf-8", "replace")


def _descriptor(code: str, rule: Rule | None, finding: Finding | None) -> dict[str, Any]:
    if rule is None:  # a code no registered rule carries: describe it from its finding
        name = finding.rule if finding is not None and finding.rule else code
        return {"id": code, "name": name, "shortDescription": {"text": name}}
    doc = rule.doc
    return {
        "id": code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": doc},
        "help": {"text": doc},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"plugin": rule.plugin} if rule.plugin else {},
    }


def report_dict(report: Report) -> dict[str, Any]:
    codes = sorted({o.code for o in report.outcomes} | {f.code for f in report.findings})
    first = {f.code: f for f in reversed(report.findings)}
    descriptors = [_descriptor(c, report.rules.get(c), first.get(c)) for c in codes]
    index = {c: i for i, c in enumerate(codes)}
    runs = {r.name: r for r in report.runs}
    results = []
    for f, fingerprint in zip(report.findings, fingerprints(report), strict=True):
        run = runs.get(f.run or "")
        paths = [str(p) for p in run.files] if run is not None and run.files else []
        if not paths and run is not None:
            paths = [run.path]
        results.append(
            {
                "ruleId": f.code,
                "ruleIndex": index[f.code],
                "level": LEVELS[f.severity or Severity.INFO],
                "message": {"text": f"{f.run}: {f.message}"},
                "locations": [
                    {"physicalLocation": {"artifactLocation": {"uri": artifact_uri(p)}}}
                    for p in paths
                ],
                "partialFingerprints": {"coordlintRunCodeTag/v1": fingerprint},
                "properties": {
                    "run": f.run,
                    "rule": f.rule,
                    "tag": f.tag,
                    "step": f.step,
                    "data": dict(f.data),
                },
            }
        )
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "coordlint",
                        "version": report.version or "0",
                        "rules": descriptors,
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def format_report(report: Report) -> str:
    document = json.dumps(report_dict(report), indent=2, ensure_ascii=False, allow_nan=False)
    return json_safe(document) + "\n"
