"""Hostile names through every output format.

Each case writes one run whose names come from a palette of trouble: a run directory name with
bytes that are not UTF-8, newlines, terminal escapes (clear screen, set title, colours), bidi
overrides, GitHub workflow commands (``::error ::``, ``##[add-mask]``), HTML/XML/markdown
metacharacters, matplotlib mathtext (``$...$``), percent signs; tags with the same (event files,
written with tensorboard's writer) or lone surrogates (``logging.jsonl`` keys as ``\\udcXX``
escapes). A plugin rule echoes every tag into a finding's message, tag, data and series, and
raises with a hostile message on one (a CL900 whose traceback the text format shows with
``--debug``). One tag holds a NaN, so CL902 must fail the check.

The run is checked in a random format, on stdout and with ``-o FILE``; the case fails on any
problem :mod:`cli_harness` finds, on an exit code other than 1, on a report file that differs
from stdout, or when the NaN's CL902 is missing from a JSON report.

Directory names never hold ``::``: fsspec reads ``a::b`` as a chained URL, a loading matter
outside this campaign (noted in the issue).

    python benchmarks/fuzz/fuzz_names.py [--cases N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli_harness import FORMATS, Tally, output_problems, run_cli, run_problems

from coordlint.testing import write_events

CASES = 400
SEED = 15

# Pieces of trouble: each name is a few of these glued together.
TEXT_PIECES = (
    "\n",
    "\r\n",
    "\r",
    "\t",
    "\x1b[2J",
    "\x1b]0;owned\x07",
    "\x1b[31m",
    "\x9b2J",
    "\x00",
    "\x7f",
    "\x85",
    "\u2028",
    "\u202e",
    "\u2066",
    "\ufeff",
    "::error ::injected",
    "::warning file=x,line=1::w",
    "##[add-mask]secret",
    "##[error]e",
    "::stop-commands::tok",
    "<script>alert(1)</script>",
    "&amp;",
    "]]>",
    "<![CDATA[",
    '"',
    "'",
    "|",
    "*bold*",
    "`code`",
    "[link](x)",
    "$\\frac{$",
    "$x^2$",
    "\\$",
    "%",
    "%0A",
    ",",
    ":",
    "=",
    "\\",
    "é",
    "中文",
    "🙂",
    "\ufffd",
    "x" * 300,
    " ",
    "",
)
DIR_BYTES = (b"\xff", b"\xfe\xfd", b"\xc3(", b"\xed\xa0\x80", b"\x80")
SURROGATES = ("\udc80", "\udcff", "\ud800", "\udfff")
PLUGIN = '''
import coordlint

@coordlint.rule("FZ001", "echo-tags", severity="warning")
def echo_tags(run, params):
    """Echoes every tag into a finding."""
    for tag in run.tags:
        series = run.series(tag)
        yield coordlint.Finding(
            f"tag {tag} seen in {run.name} at {run.path}",
            tag=tag,
            step=int(series.index[0]) if len(series) else None,
            data={tag: 1.0, "name": run.name, "threshold": 0.5},
            series=series,
        )


@coordlint.rule("FZ002", "crash-on-tags", severity="info")
def crash_on_tags(run, params):
    """Raises with the first tag in its message."""
    if run.tags:
        raise ValueError(f"bad tag {run.tags[0]}\\n{run.name}")


@coordlint.rule("FZ003", "not-applicable", severity="info")
def not_applicable(run, params):
    """Skips with the run's name as the reason."""
    raise coordlint.NotApplicable(f"no {run.name}")


@coordlint.hookimpl
def coordlint_rules():
    return [echo_tags, crash_on_tags, not_applicable]
'''


def _name(rng: random.Random, pieces: int) -> str:
    return "".join(rng.choice(TEXT_PIECES) for _ in range(pieces)) or "empty"


def _dir_name(rng: random.Random) -> bytes:
    """A file-system name: no ``/``, no NUL, no ``::`` (see the module docstring), not
    ``.``/``..``, at most 200 bytes; often not UTF-8."""
    name = _name(rng, rng.randint(1, 4)).replace("/", "_").replace("\x00", "_")
    while "::" in name:
        name = name.replace("::", ":_")
    raw = name.encode("utf-8", "surrogatepass")
    if rng.random() < 0.5:
        raw = rng.choice(DIR_BYTES) + raw
    raw = raw[:200]
    return raw if raw.strip(b".") else b"dots" + raw


def _tag(rng: random.Random, surrogates: bool) -> str:
    tag = _name(rng, rng.randint(1, 3))
    if surrogates and rng.random() < 0.6:
        tag += rng.choice(SURROGATES)
    return "eval/" + tag


def _write_run(rng: random.Random, directory: Path) -> Path:
    """One run under ``directory`` (event file or logging.jsonl) with hostile names; a NaN."""
    use_jsonl = rng.random() < 0.4
    tags = {_tag(rng, surrogates=use_jsonl) for _ in range(rng.randint(1, 4))}
    scratch = directory / "scratch"
    if use_jsonl:
        scratch.mkdir(parents=True)
        rows = [{"loss": 2.0, "global_step/max_steps": "1/2"}]
        rows.append({"loss": math.nan, "global_step/max_steps": "2/2"})
        for i, tag in enumerate(sorted(tags)):
            rows[i % 2][tag] = float(i)
        text = "".join(json.dumps(row) + "\n" for row in rows)  # lone surrogates as \\udcXX
        (scratch / "logging.jsonl").write_text(text, encoding="ascii")
    else:
        scalars: dict[str, dict[int, float]] = {"train/loss": {1: 2.0, 2: math.nan}}
        scalars.update({tag: {1: 1.0, 2: 3.0} for tag in tags})
        write_events(scratch, scalars)
    logs = directory / "logs"
    logs.mkdir()
    os.rename(scratch, os.fsencode(logs) + b"/" + _dir_name(rng))
    return logs


def _nan_found(report: bytes) -> bool:
    try:
        doc = json.loads(report)
    except ValueError:  # already counted by output_problems
        return True
    return any(f["code"] == "CL902" and f["severity"] == "error" for f in doc["findings"])


def run(cases: int = CASES, seed: int = SEED, workdir: Path | None = None) -> Tally:
    """Run ``cases`` cases from ``seed`` in ``workdir`` (a temporary directory if None)."""
    rng = random.Random(seed)
    tally = Tally("names", seed)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="coordlint-fuzz-names-") as tmp:
        base = Path(workdir or tmp)
        plugin = base / "fuzz_echo_rules.py"
        plugin.write_text(PLUGIN)
        for i in range(cases):
            case = base / f"case{i}"
            case.mkdir()
            logs = _write_run(rng, case)
            fmt = rng.choice(FORMATS)
            debug = rng.random() < 0.3
            color = rng.choice(("never", "always"))
            args = ["check", "--isolated", "--no-cache", "--plugin", str(plugin), str(logs)]
            args += ["-f", fmt, "--color", color] + (["--debug"] if debug else [])
            outcome = run_cli(args)
            colored = color == "always"
            problems = run_problems(outcome, debug)
            problems += output_problems(fmt, outcome.stdout, colored)
            if outcome.exit_code != 1:
                problems.append(f"exit: {outcome.exit_code}, not 1: {outcome.stderr[:200]}")
            report = case / f"report.{fmt}"
            written = run_cli([*args, "-o", str(report)])
            problems += run_problems(written, debug)
            if report.exists():
                problems += output_problems(fmt, report.read_bytes())
                same = report.read_bytes() == outcome.stdout
                if not same and color == "never" and fmt not in ("github",):
                    problems.append("file: the report file differs from stdout")
                if fmt == "json" and not _nan_found(report.read_bytes()):
                    problems.append("gate: the NaN's CL902 is missing")
            elif written.exit_code != 2:
                problems.append("file: no report file written")
            tally.judge(f"case {i} ({fmt})", outcome, problems)
    tally.seconds = time.perf_counter() - start
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=CASES)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    tally = run(args.cases, args.seed)
    print(tally.row())
    for example in tally.examples:
        print(f"    {example}")
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())
