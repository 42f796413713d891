"""Hostile plugins: rules, hooks and formats that do everything a plugin should not.

Each case writes a ``--plugin`` file assembled from pieces of trouble and checks a run that
holds a NaN (so the built-in CL902 must fail the check):

- at import: prints, ``sys.exit``, ``KeyboardInterrupt``, ``GeneratorExit``, exceptions with
  hostile messages (or nothing);
- ``coordlint_rules``: raises, returns junk, a generator, a duplicate or reserved code;
- each rule: returns findings with a tag, step, data, series or severity of the wrong type,
  a series of words, a 2-D array, data whose ``str`` raises, an object that is not a
  Finding, a non-iterable; raises every kind of exception (``SystemExit``, ``KeyboardInterrupt``,
  ``GeneratorExit``, one whose ``str`` raises); prints on stdout; spins, sleeps, backtracks in
  a regex, swallows the first interrupt; writes into the run's series, config and params;
  yields without end; a ``scope="runs"`` rule names runs that do not exist;
- sometimes ``coordlint_formatters`` (a format that exits, prints, returns bytes) or
  ``coordlint_config_keys`` (good, bad types, raising).

Never generated: a rule that catches the interrupt forever (the guard then ends the process,
by design: ``tests/test_guard.py`` covers it in a subprocess) and writes to file descriptor 1.

A case fails on any problem :mod:`cli_harness` finds; on exit 0 (the NaN always fails the
check); on an exit 2 whose error does not name a plugin or an output format; on a JSON report
without the NaN's CL902; or when it takes longer than its hanging rules' time limits allow.

    python benchmarks/fuzz/fuzz_plugins.py [--cases N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli_harness import Tally, output_problems, run_cli, run_problems

from coordlint.testing import write_events

CASES = 500
SEED = 7
TIMEOUT = 0.3  # --rule-timeout of every case (seconds)

QUIET_IMPORTS = ("", "print('import chatter {')", "sys.stdout.write('::error ::from import\\n')")
HOSTILE_IMPORTS = (
    "sys.stdout.write('::error ::from import\\n')",
    "sys.exit(0)",
    "sys.exit(3)",
    "raise SystemExit('bye')",
    "raise KeyboardInterrupt",
    "raise GeneratorExit",
    "raise ImportError('no torch here')",
    "raise RuntimeError('x\\n::error ::import\\x1b[2J')",
    "raise BadStr()",
)
FINDINGS = (
    "coordlint.Finding('fine', tag='train/loss', step=1, data={'v': 1.0})",
    "coordlint.Finding(5)",
    "coordlint.Finding('t', tag=5)",
    "coordlint.Finding('t', tag=b'bytes')",
    "coordlint.Finding('t', tag='\\udcff\\x1b[2J::error ::x')",
    "coordlint.Finding('s', step='x')",
    "coordlint.Finding('s', step=float('nan'))",
    "coordlint.Finding('s', step=1.5)",
    "coordlint.Finding('s', step=10**30)",
    "coordlint.Finding('s', step=True)",
    "coordlint.Finding('d', data=5)",
    "coordlint.Finding('d', data={'x': object(), 1: [1, 2], 'n': float('inf')})",
    "coordlint.Finding('d', data={'k': BadStr()})",
    "coordlint.Finding('d', data={BadStr(): 1})",
    "coordlint.Finding('r', series=['a', 'b'])",
    "coordlint.Finding('r', series={'a': 1.0})",
    "coordlint.Finding('r', series=[[1, 2], [3, 4]])",
    "coordlint.Finding('r', series=np.zeros((2, 2)))",
    "coordlint.Finding('r', series=iter([1.0, 2.0]))",
    "coordlint.Finding('r', series=object())",
    "coordlint.Finding('r', series=5)",
    "coordlint.Finding('r', series=pd.Series(['x', 'y']))",
    "coordlint.Finding('r', series={1: 'x'})",
    "coordlint.Finding('r', series=[1e308 * 10, -1e308 * 10, float('nan')])",
    "coordlint.Finding('r', series={2**70: 1.0})",
    "coordlint.Finding('r', series=run.series('train/loss'), tag='$\\\\frac{$')",
    "coordlint.Finding('v', severity='loud')",
    "coordlint.Finding('v', severity=5)",
    "coordlint.Finding('v', run='nope')",
    "'not a finding'",
    "None",
)
BODIES = (
    "return [{finding}]",
    "yield {finding}",
    "yield {finding}\n    yield {finding}",
    "yield {finding}\n    raise RuntimeError('after one')",
    "while True:\n        pass",
    "time.sleep(60)",
    "re.match(r'(a+)+$', 'a' * 60 + 'b')",
    "try:\n        while True:\n            pass\n"
    "    except BaseException:\n        time.sleep(60)",  # swallows the first interrupt
    "sys.exit(0)",
    "raise SystemExit(None)",
    "raise KeyboardInterrupt",
    "raise GeneratorExit",
    "raise ValueError('boom\\n::error ::x\\x1b[2J ##[add-mask]s')",
    "raise BadError()",
    "raise coordlint.NotApplicable('na \\x1b[2J\\n::error ::x')",
    "print('rule chatter')\n    print('{{\"findings\": []}}')\n    return []",
    "return 5",
    "return 'abc'",
    "return [None]",
    "while True:\n        yield coordlint.Finding('again')",
    "s = run.series('train/loss')\n    s.iloc[:] = 0.0\n    params.clear()\n    return []",
    "run.config.get('training', {{}}).clear()\n    return []",
    "run._data.columns['train/loss'].values[:] = 0.0\n    return []",
    "return iter([{finding}])",
)
RUNS_BODIES = (
    "yield coordlint.Finding('x', run='nope')",
    "yield coordlint.Finding('x')",
    "yield coordlint.Finding('x', run=runs[0].name, tag=7)",
    "return [coordlint.Finding('x', run=r.name) for r in runs]",
    "raise SystemExit(0)",
    "while True:\n        pass",
)
GOOD_HOOKS = ("return RULES", "yield from RULES")
HOSTILE_HOOKS = (
    "return RULES + RULES",
    "return None",
    "return [5]",
    "raise SystemExit(0)",
    "raise KeyboardInterrupt",
    "raise BadError()",
)
FORMATTERS = (
    "def fmt(report):\n    return 'plain {}'.format(len(report.findings))\n",
    "def fmt(report):\n    sys.exit(0)\n",
    "def fmt(report):\n    print('chatter')\n    return 'x\\n'\n",
    "def fmt(report):\n    return b'bytes'\n",
    "def fmt(report):\n    raise KeyboardInterrupt\n",
    "def fmt(report):\n    return '\\udcff::error ::x\\n'\n",
)
CONFIG_KEYS = (
    "return {'x.y': int}",
    "return {'save_steps': int}",
    "return {'x': list}",
    "raise SystemExit(0)",
    "return 5",
)
PRELUDE = """
import re, sys, time
import numpy as np
import pandas as pd
import coordlint


class BadStr:
    def __str__(self):
        raise RuntimeError("no str for you")

    __repr__ = __str__


class BadError(Exception):
    def __str__(self):
        raise RuntimeError("no message for you")
"""


def _plugin(rng: random.Random, prefix: str) -> tuple[str, int, bool]:
    """Plugin source, how many of its rules may hang, whether it registers format ``fz``."""
    parts = [PRELUDE, rng.choice(HOSTILE_IMPORTS if rng.random() < 0.15 else QUIET_IMPORTS), ""]
    names = []
    hangs = 0
    for i in range(rng.randint(1, 4)):
        runs_scope = rng.random() < 0.15
        body = rng.choice(RUNS_BODIES if runs_scope else BODIES)
        hangs += any(s in body for s in ("while True", "sleep", "re.match"))
        body = body.format(finding=rng.choice(FINDINGS))
        code = f"{prefix}{i + 1:03d}" if rng.random() < 0.97 else rng.choice(("CL999", "tm1"))
        scope = ', scope="runs"' if runs_scope else ""
        parts.append(
            f'@coordlint.rule("{code}", "hostile-{i}"{scope})\n'
            f"def rule{i}({'runs' if runs_scope else 'run'}, params):\n    {body}\n"
        )
        names.append(f"rule{i}")
    parts.append(f"RULES = [{', '.join(names)}]\n")
    hook = rng.choice(HOSTILE_HOOKS if rng.random() < 0.15 else GOOD_HOOKS)
    parts.append(f"@coordlint.hookimpl\ndef coordlint_rules():\n    {hook}\n")
    formats = rng.random() < 0.2
    if formats:
        parts.append(rng.choice(FORMATTERS))
        parts.append("@coordlint.hookimpl\ndef coordlint_formatters():\n    return {'fz': fmt}\n")
    if rng.random() < 0.1:
        body = rng.choice(CONFIG_KEYS)
        parts.append(f"@coordlint.hookimpl\ndef coordlint_config_keys():\n    {body}\n")
    return "\n".join(parts), hangs, formats


def _nan_found(stdout: bytes) -> bool:
    doc = json.loads(stdout)
    return any(f["code"] == "CL902" and f["severity"] == "error" for f in doc["findings"])


def run(cases: int = CASES, seed: int = SEED, workdir: Path | None = None) -> Tally:
    """Run ``cases`` cases from ``seed`` in ``workdir`` (a temporary directory if None)."""
    rng = random.Random(seed)
    tally = Tally("plugins", seed)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="coordlint-fuzz-plugins-") as tmp:
        base = Path(workdir or tmp)
        run_dir = base / "run"
        write_events(run_dir, {"train/loss": {1: 2.0, 2: math.nan}, "eval/loss": {1: 1.0}})
        (run_dir / "resolved_config.json").write_text(
            json.dumps({"resolved": {"training": {"save_steps": 100}}})
        )
        for i in range(cases):
            source, hangs, formats = _plugin(rng, "FZ")
            plugin = base / f"fuzz_plugin_{seed}_{i}.py"
            plugin.write_text(textwrap.dedent(source))
            fmt = "fz" if formats and rng.random() < 0.5 else "json"
            args = ["check", "--isolated", "--no-cache", "--plugin", str(plugin), str(run_dir)]
            args += ["-f", fmt, "--rule-timeout", str(TIMEOUT)]
            outcome = run_cli(args)
            problems = run_problems(outcome)
            if outcome.exit_code == 0:
                problems.append("gate: exit 0 with a NaN in the run")
            error = outcome.stderr.strip()
            if outcome.exit_code == 2 and not ("plugin" in error or "output format" in error):
                problems.append(f"exit 2: {error[:200]}")
            if outcome.exit_code == 1 and fmt == "json":
                problems += output_problems("json", outcome.stdout)
                if not problems and not _nan_found(outcome.stdout):
                    problems.append("gate: the NaN's CL902 is missing")
            budget = 10 + hangs * (TIMEOUT + 1.5)  # a swallowed interrupt costs one more second
            if outcome.seconds > budget:
                problems.append(f"slow: {outcome.seconds:.1f} s over {budget:.1f} s")
            tally.judge(f"case {i} ({plugin.name})", outcome, problems)
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
