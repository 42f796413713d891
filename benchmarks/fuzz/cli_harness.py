"""What the check-side campaigns share (``fuzz_names``, ``fuzz_configs``, ``fuzz_plugins``):
run ``coordlint`` in this process, judge what it wrote, tally what went wrong.

The judgement is the promise of issue 15: whatever the input, the command ends with exit 0, 1
or 2; never "internal error" (kept for coordlint's own bugs) or a traceback; an exit 2 is one
line on stderr; stdout is valid UTF-8 in which the data cannot act (no terminal control
characters, no line a GitHub runner would execute) and which parses in its format.
"""

from __future__ import annotations

import json
import re
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from click.testing import CliRunner

from coordlint.cli import cli

FORMATS = ("text", "json", "junit", "github", "gitlab", "sarif", "markdown", "html")
_RAW_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_SGR = re.compile("\x1b\\[[0-9;]*m")  # colours, as click.style writes them
_ANNOTATION = re.compile(r"::(error|warning|notice) (file=[^,:]*,)?title=[^,:]*::")
_EXAMPLES_KEPT = 5


@dataclass
class Outcome:
    """One command's exit code, output and time."""

    exit_code: int
    stdout: bytes
    stderr: str
    seconds: float
    exception: BaseException | None = None


def run_cli(args: Sequence[str], env: Mapping[str, str] | None = None) -> Outcome:
    """``coordlint ARGS`` in this process (click's runner: stdout and stderr apart)."""
    start = time.perf_counter()
    result = CliRunner().invoke(cli, list(args), env=dict(env or {}))
    seconds = time.perf_counter() - start
    stderr = result.stderr_bytes.decode("utf-8", "replace") if result.stderr_bytes else ""
    escaped = None if isinstance(result.exception, SystemExit) else result.exception
    return Outcome(result.exit_code, result.stdout_bytes, stderr, seconds, escaped)


def run_problems(outcome: Outcome, debug: bool = False) -> list[str]:
    """What is wrong with how the command ended, whatever it was asked."""
    problems = []
    if outcome.exception is not None:
        problems.append(f"escaped: {type(outcome.exception).__name__}: {outcome.exception}")
    if outcome.exit_code not in (0, 1, 2):
        problems.append(f"exit code {outcome.exit_code}")
    if "internal error" in outcome.stderr:
        problems.append(f"internal error: {outcome.stderr.strip()[:300]}")
    if "Traceback" in outcome.stderr and not debug:
        problems.append("a traceback without --debug")
    if outcome.exit_code == 2 and not debug:
        lines = outcome.stderr.strip().splitlines()
        errors = [line for line in lines if line.startswith("coordlint: error: ")]
        usage = [line for line in lines if line.startswith(("Usage:", "Try '", "Error:"))]
        if len(errors) != 1 or usage:  # (what a plugin printed may be there too)
            problems.append(f"exit 2 without one error line: {outcome.stderr.strip()[:300]!r}")
    return problems


def output_problems(fmt: str, data: bytes, colored: bool = False) -> list[str]:
    """What is wrong with a report in format ``fmt`` as bytes on stdout or in a file
    (``colored``: coordlint's own colour sequences are expected in it)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [f"{fmt}: not valid UTF-8 ({exc})"]
    problems = []
    raw = _RAW_CONTROLS.search(_SGR.sub("", text) if colored else text)
    if raw:
        problems.append(f"{fmt}: raw control character U+{ord(raw.group()):04X}")
    for line in text.split("\n"):
        if "##[" in line:
            problems.append(f"{fmt}: a legacy workflow command: {line[:120]!r}")
        if line.lstrip().startswith("::") and not (fmt == "github" and _ANNOTATION.match(line)):
            problems.append(f"{fmt}: a workflow command: {line[:120]!r}")
    try:
        if fmt in ("json", "gitlab", "sarif"):
            json.loads(text)
        elif fmt == "junit":
            ET.fromstring(text)
        elif fmt == "html" and not text.rstrip().endswith("</html>"):
            problems.append("html: not a whole document")
    except (ValueError, ET.ParseError) as exc:
        problems.append(f"{fmt}: does not parse: {exc}")
    return problems


@dataclass
class Tally:
    """What one campaign found: cases run, failures by kind, the first examples."""

    name: str
    seed: int
    cases: int = 0
    failed_cases: int = 0
    failures_by_kind: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)  # what the cases did (exit codes)
    slowest: float = 0.0
    seconds: float = 0.0

    def judge(self, case: str, outcome: Outcome, problems: Sequence[str]) -> None:
        """Count one case: its exit code, its time, and each problem found."""
        self.cases += 1
        self.outcomes[f"exit {outcome.exit_code}"] += 1
        self.slowest = max(self.slowest, outcome.seconds)
        self.failed_cases += bool(problems)
        for problem in problems:
            self.failures_by_kind[problem.split(":", 1)[0]] += 1
            if len(self.examples) < _EXAMPLES_KEPT:
                self.examples.append(f"{case}: {problem}")

    @property
    def failures(self) -> int:
        return sum(self.failures_by_kind.values())

    def row(self) -> str:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.failures_by_kind.items()))
        did = ", ".join(f"{k}: {n}" for k, n in sorted(self.outcomes.items()))
        return (
            f"{self.name:<8} seed {self.seed:<6} {self.cases:>6} cases, {self.failed_cases} "
            f"failed: {self.failures} failures{f' ({kinds})' if kinds else ''}  [{did}]  "
            f"slowest {self.slowest:.2f} s, {self.seconds:.0f} s in all"
        )
