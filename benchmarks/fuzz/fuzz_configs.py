"""Hostile and broken configs: ``coordlint.yaml`` and ``pyproject.toml``.

Each case writes one config into its own directory and checks a small run (a NaN in it, so
with default settings CL902 fails the check), with ``--config FILE`` or by discovery from the
case directory. Configs come from a small grammar of trouble, then (often) bytes flipped,
inserted or deleted:

- YAML: every known key and junk keys (``1``, ``true``, ``~``, ``<<``, a list as a key, the
  same key twice), scalars of every type (huge numbers, ``.nan``, ``.inf``, timestamps,
  ``!!binary``, ``!!set``, ``!!python/object`` tags, control characters), flow and block
  nesting up to thousands deep, anchors and alias bombs, several documents;
- TOML ``[tool.coordlint]``: the same keys as tables, dotted keys, inline tables and arrays,
  ``inf``/``nan``, dates, deep arrays, ``tool = 5``, duplicate keys, and text that is not UTF-8;
- an unrelated ``pyproject.toml`` (no ``[tool.coordlint]``), as broken as the above: it must
  not matter at all (the case must exit 1, as without a config).

A case fails on any problem :mod:`cli_harness` finds (an internal error, a traceback, an exit 2
that is not one line), on a config error that names neither the config file nor a plugin, or
when it takes over :data:`SLOW` seconds.

    python benchmarks/fuzz/fuzz_configs.py [--cases N] [--seed S]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli_harness import Tally, run_cli, run_problems

from coordlint.core.config import CONFIG_KEYS
from coordlint.testing import write_events

CASES = 1500
SEED = 8
SLOW = 5.0  # seconds: a case slower than this counts as a hang

KEYS = CONFIG_KEYS  # every key a config may hold, as the config module lists them
JUNK_KEYS = ("bogus", "1", "true", "null", "~", "<<", "''", '"\\x1b[2J"', "select ", "é")
CODES = ("CL902", "CL9", "CL", "ALL", "CL201", "CL101", "ZZ9", "cl902", "", "CL902,CL201")
YAML_SCALARS = (
    "0",
    "-1",
    "1e400",
    "123456789012345678901234567890",
    "0x1F",
    "0o17",
    ".nan",
    ".inf",
    "-.inf",
    "true",
    "no",
    "null",
    "~",
    "2001-12-14t21:59:43.10-05:00",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!python/object/apply:os.system ['true']",
    "!!str 5",
    "!!int '7'",
    "!!float x",
    "!!int 0x",
    "!!bool maybe",
    "!!timestamp junk",
    "!!binary ~~~",
    '"\\x1b[2J\\u202e"',
    '"\\ud800"',
    "'single'",
    "|\n  block\n  text",
    ">-\n  folded",
    "info",
    "warning",
    "error",
    "never",
    "sometimes",
    "0.05",
    "1e-300",
    "-0.0",
)
TOML_SCALARS = (
    "0",
    "-1",
    "1e400",
    "123456789012345678901234567890",
    "inf",
    "-inf",
    "nan",
    "true",
    "1979-05-27T07:32:00Z",
    "07:32:00",
    '"\\u001b[2J"',
    "'''multi\nline'''",
    '"""basic\nmulti"""',
    '"info"',
    '"never"',
    '"CL902"',
    '"ALL"',
    '"\\uD800"',
    "0.05",
    "1e-300",
    "[]",
    "{}",
)
PLUGIN_NAMES = ('"no_such_plugin_fz"', '"./missing_fz.py"', '""', '"."', '"a b"', "5")


def _yaml_value(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if depth > 3 or roll < 0.45:
        return rng.choice(YAML_SCALARS + CODES)
    if roll < 0.6:
        items = [_yaml_value(rng, depth + 1).replace("\n", " ") for _ in range(rng.randint(0, 4))]
        return "[" + ", ".join(items) + "]"
    if roll < 0.75:
        keys = [rng.choice(CODES + KEYS + JUNK_KEYS) or "k" for _ in range(rng.randint(0, 3))]
        return "{" + ", ".join(f"{k}: {rng.choice(YAML_SCALARS[:12])}" for k in keys) + "}"
    if roll < 0.85:
        n = rng.choice((5, 40, 200, 5000, 100_000))
        return "[" * n + "]" * n
    pad = "  " * (depth + 1)
    lines = [
        f"\n{pad}{rng.choice(CODES + JUNK_KEYS + ('min_rise', 'metrics')) or 'k'}: "
        + _yaml_value(rng, depth + 1).replace("\n", "\n" + pad)
        for _ in range(rng.randint(1, 3))
    ]
    return "".join(lines)


def _alias_bomb(rng: random.Random) -> str:
    levels = rng.randint(2, 9)
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    lines.append(f"{rng.choice(KEYS)}: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def _yaml(rng: random.Random) -> str:
    if rng.random() < 0.08:
        return _alias_bomb(rng)
    entries = []
    for _ in range(rng.randint(0, 6)):
        key = rng.choice(KEYS) if rng.random() < 0.8 else rng.choice(JUNK_KEYS)
        value = _yaml_value(rng, 0)
        if rng.random() < 0.1:
            value = f"&anchor{len(entries)} {value}" if "\n" not in value else value
        entries.append(f"{key}: {value}")
    if entries and rng.random() < 0.1:
        entries.append("ignore: *anchor0")
    text = "\n".join(entries) + "\n"
    if rng.random() < 0.05:
        text += "---\n" + text
    return text


def _toml_value(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if depth > 3 or roll < 0.5:
        return rng.choice(TOML_SCALARS)
    if roll < 0.7:
        return "[" + ", ".join(_toml_value(rng, depth + 1) for _ in range(rng.randint(0, 3))) + "]"
    if roll < 0.85:
        names = ("min_rise", "metrics", "x", '"CL902"')
        keys = [rng.choice(names) for _ in range(rng.randint(0, 3))]
        return "{" + ", ".join(f"{k} = {_toml_value(rng, depth + 1)}" for k in keys) + "}"
    n = rng.choice((5, 40, 200, 5000))
    return "[" * n + "]" * n


def _toml(rng: random.Random, section: bool) -> str:
    head = rng.choice(("[project]\nname = 'x'\n", "", "tool = 5\n", "[tool.black]\nline = 1\n"))
    if not section:
        body = "".join(f"k{i} = {_toml_value(rng, 0)}\n" for i in range(rng.randint(0, 5)))
        return head + rng.choice(("[tool.other]\n", "[build-system]\n", "")) + body
    lines = [rng.choice(("[tool.coordlint]", "[ tool . 'coordlint' ]", "[tool]"))]
    prefix = "coordlint." if lines[0] == "[tool]" else ""
    for _ in range(rng.randint(0, 5)):
        key = rng.choice(KEYS) if rng.random() < 0.85 else rng.choice(("bogus", "1", '"é"'))
        value = rng.choice(PLUGIN_NAMES) if key == "plugins" else _toml_value(rng, 0)
        lines.append(f"{prefix}{key} = {value}")
    if rng.random() < 0.3:
        lines.append(f"[tool.coordlint.{rng.choice(('params.CL201', 'severity', 'tag-aliases'))}]")
        lines.append(f"{rng.choice(('min_rise', 'CL902', 'x'))} = {_toml_value(rng, 0)}")
    return head + "\n".join(lines) + "\n"


def _mutate(rng: random.Random, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        where = rng.randint(0, len(data))
        roll = rng.random()
        if roll < 0.4 and data:
            data[min(where, len(data) - 1)] ^= 1 << rng.randint(0, 7)
        elif roll < 0.7:
            data[where:where] = bytes([rng.choice((0x00, 0x1B, 0x80, 0xFF, 0x0A, 0x22, 0x5B))])
        else:
            del data[where : where + rng.randint(1, 8)]
    return bytes(data)


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def run(cases: int = CASES, seed: int = SEED, workdir: Path | None = None) -> Tally:
    """Run ``cases`` cases from ``seed`` in ``workdir`` (a temporary directory if None)."""
    rng = random.Random(seed)
    tally = Tally("configs", seed)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="coordlint-fuzz-configs-") as tmp:
        base = Path(workdir or tmp)
        run_dir = base / "run"
        write_events(run_dir, {"train/loss": {1: 2.0, 2: math.nan}, "eval/loss": {1: 1.0}})
        for i in range(cases):
            case = base / f"case{i}"
            case.mkdir()
            kind = rng.choice(("yaml", "yaml", "toml", "unrelated"))
            if kind == "yaml":
                config, data = case / "coordlint.yaml", _yaml(rng).encode("utf-8", "replace")
            else:
                config = case / "pyproject.toml"
                data = _toml(rng, section=kind == "toml").encode("utf-8", "replace")
            if rng.random() < 0.35:
                data = _mutate(rng, data)
            config.write_bytes(data)
            explicit = kind != "unrelated" and rng.random() < 0.5
            args = ["check", "--no-cache", str(run_dir), "-f", "json"]
            args += ["--config", str(config)] if explicit else []
            with _cwd(case):
                outcome = run_cli(args)
            problems = run_problems(outcome)
            if outcome.seconds > SLOW:
                problems.append(f"slow: {outcome.seconds:.1f} s")
            if kind == "unrelated" and outcome.exit_code != 1:
                problems.append(f"unrelated: exit {outcome.exit_code}: {outcome.stderr[:200]}")
            line = outcome.stderr.strip()
            if outcome.exit_code == 2 and str(config) not in line and "plugin" not in line:
                problems.append(f"unnamed: {line[:200]}")
            tally.judge(f"case {i} ({kind}, {data[:60]!r})", outcome, problems)
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
