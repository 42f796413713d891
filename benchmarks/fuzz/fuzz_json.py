"""Campaign ``json``: hostile ``logging.jsonl``, ``trainer_state.json``, ``resolved_config.json``
and ``args.json``, and files that are not files.

Each case is a run directory whose logs mix well-formed rows (each with its own tags, so their
points are known) with hostile lines: nesting ~100,000 deep, integers of 400 and 5,000 digits,
steps beyond int64 or of non-ASCII digits (``"²/10"``), lines that are JSON but not objects,
lone surrogates, invalid UTF-8, a truncated last line; config files that are deep, ``null``, an
array or not UTF-8; and, now and then, a log or config that is a FIFO, a symlink to
``/dev/zero`` or a directory. :func:`coordlint.loading.load_run` must return (no exception, no
hang, no ``loader-error``) with every well-formed row's points, and a problem for every hostile
line and file.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import sys
from pathlib import Path

from coordlint.loading import RunSpec, load_run

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_harness import Tally, Timer, main, time_limit

CASES = 600
SEED = 11
TIME_LIMIT = 20.0
DEEP = 100_000

#: Hostile ``logging.jsonl`` lines: (bytes, whether the line must be reported).
_LINES: tuple[tuple[bytes, bool], ...] = (
    (b"[" * DEEP + b"]" * DEEP, True),
    (b'{"a":' * DEEP + b"1" + b"}" * DEEP, True),
    (b'{"global_step": 5, "h_v": ' + b"[" * 2000 + b"]" * 2000 + b"}", True),
    (b'{"global_step": 1' + b"0" * 400 + b', "h_loss": 1.0}', True),
    (b'{"global_step": 3, "h_loss": 1' + b"0" * 400 + b"}", True),
    (b'{"global_step": 3, "h_loss": 1' + b"0" * 5000 + b"}", True),
    (b'{"global_step": 9223372036854775808, "h_loss": 1.0}', True),
    (b'{"global_step": -9223372036854775809, "h_loss": 1.0}', True),
    (b'{"global_step": 1e30, "h_loss": 1.0}', True),
    ('{"global_step/max_steps": "²/10", "h_loss": 1.0}'.encode(), True),
    ('{"global_step/max_steps": "٣/10", "h_loss": 1.0}'.encode(), True),
    (b'{"global_step/max_steps": "99999999999999999999999/10", "h_loss": 1.0}', True),
    (b"[1, 2, 3]", True),
    (b"null", True),
    (b'"a string"', True),
    (b"42", True),
    (b"true", True),
    (b'{"global_step": 7, "\\ud800": 1.0, "h_x\\udfff": 2.0}', False),
    (b'{"global_step": 8, "h_s": "\\ud800"}', False),
    (b'{"global_step": 4, "h_loss": NaN, "h_inf": Infinity, "h_big": 1e400}', False),
    (b"\xff\xfe\x00garbage", True),
    (b'{"global_step": 2, "h_loss": 1.0, "h_loss": 2.0}', False),
    (b"\xef\xbb\xbf{}", True),
    (b"{}", True),
    (b'{"global_step": 6, "h_' + b"k" * 100_000 + b'": 1.0}', False),
)

_DOCS: tuple[bytes, ...] = (
    b"[" * DEEP + b"]" * DEEP,
    b'{"resolved": ' + b"[" * DEEP + b"]" * DEEP + b"}",
    b"null",
    b"[]",
    b'"x"',
    b'{"resolved": null}',
    b'{"resolved": {"a": 1' + b"0" * 5000 + b"}}",
    b'{"resolved": {"a": 1' + b"0" * 400 + b"}}",
    b"\xff\xfe\xfd",
    b'{"resolved": {"\\ud800": 1}}',
    b"",
)


def _valid_rows(rng: random.Random) -> list[dict]:
    rows, step = [], 0
    for _ in range(rng.randrange(0, 20)):
        step += rng.randrange(1, 5)
        style = rng.random()
        row: dict = {"v_loss": rng.uniform(0, 3), "v_lr": rng.uniform(0, 1e-3)}
        if style < 0.4:
            row["global_step/max_steps"] = f"{step}/1000"
        elif style < 0.8:
            row["global_step"] = step
        else:
            row["step"] = float(step)
        rows.append(row)
    return rows


def _not_a_file(rng: random.Random, path: Path) -> None:
    kind = rng.choice(("fifo", "zero", "dir"))
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "zero":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()


def run(cases: int, seed: int, workdir: Path, realruns: Path | None = None) -> Tally:
    del realruns
    tally = Tally("json", seed)
    timer = Timer(tally)
    for case in range(cases):
        rng = random.Random(f"{seed}:{case}")
        top = workdir / f"c{case % 4}"
        shutil.rmtree(top, ignore_errors=True)
        run_dir = top / "run"
        run_dir.mkdir(parents=True)
        rows = _valid_rows(rng)
        lines: list[bytes] = [json.dumps(r).encode() for r in rows]
        reported: set[int] = set()
        for _ in range(rng.randrange(0, 5)):
            line, must = rng.choice(_LINES)
            at = rng.randrange(len(lines) + 1)
            lines.insert(at, line)
            reported = {n + 1 if n >= at else n for n in reported}
            if must:
                reported.add(at)
        jsonl = run_dir / "logging.jsonl"
        special = rng.random() < 0.1
        if special:
            _not_a_file(rng, jsonl)
        else:
            jsonl.write_bytes(b"\n".join(lines) + (b"\n" if rng.random() < 0.8 else b""))
        state = run_dir / "trainer_state.json"
        history = [{"ts_loss": rng.random(), "step": k + 1} for k in range(rng.randrange(0, 5))]
        hostile_state = rng.random() < 0.4
        if hostile_state:
            doc = rng.choice(_DOCS)
            if rng.random() < 0.5:
                doc = json.dumps({"log_history": history}).encode()[:-2] + b", " + doc + b"]}"
            state.write_bytes(doc)
        else:
            state.write_bytes(json.dumps({"log_history": history}).encode())
        for name in ("resolved_config.json", "args.json"):
            where = rng.choice((run_dir, top))
            if rng.random() < 0.1:
                _not_a_file(rng, where / name)
            elif rng.random() < 0.7:
                (where / name).write_bytes(rng.choice(_DOCS))
        spec = RunSpec("fuzz", run_dir, (), jsonl, (state,))
        with timer.case():
            try:
                with time_limit(TIME_LIMIT):
                    got = load_run(spec)
            except Exception as exc:
                tally.crash(f"case {case}", exc)
                continue
        _judge(tally, case, got, rows, reported, special, history, hostile_state)
    return tally


def _judge(tally, case, got, rows, reported, special, history, hostile_state) -> None:
    if any(p.kind == "loader-error" for p in got.problems):
        tally.fail("loader_errors", f"case {case}: {got.problems}")
    expected = {}
    if not special:
        for row in rows:
            step = row.get("global_step") or row.get("step")
            if step is None:
                step = int(row["global_step/max_steps"].split("/")[0])
            for key in ("v_loss", "v_lr"):
                expected.setdefault(f"train/{key}", {})[int(step)] = row[key]
    if not hostile_state:
        for entry in history:
            expected.setdefault("train/ts_loss", {})[entry["step"]] = entry["ts_loss"]
    for tag, points in expected.items():
        tally.points_expected += len(points)
        cols = got.columns.get(tag)
        have = {}
        if cols is not None:
            have = dict(zip(cols.steps.tolist(), cols.values.tolist(), strict=True))
        kept = sum(1 for s, v in points.items() if have.get(s) == v)
        tally.points_kept += kept
        if kept != len(points):
            tally.fail("lost_points", f"case {case}: {tag}", len(points) - kept)
    jsonl_lines = {
        int(m.group(1))
        for p in got.problems
        if p.file.endswith("logging.jsonl") and (m := re.match(r"line (\d+)", p.message))
    }
    if not special and not reported <= {n - 1 for n in jsonl_lines}:
        missing = sorted(reported - {n - 1 for n in jsonl_lines})
        tally.fail("other_failures", f"case {case}: hostile lines {missing} not reported")
    if special and not any(p.file.endswith("logging.jsonl") for p in got.problems):
        tally.fail("other_failures", f"case {case}: a logging.jsonl that is not a file, unreported")


if __name__ == "__main__":
    sys.exit(main(run, CASES, SEED, __doc__))
