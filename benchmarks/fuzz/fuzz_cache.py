"""Campaign ``cache``: corrupted and hand-edited cache entries, and checks running at once.

*Corruption* (each case): a real event file is cached, then its entry is damaged: bytes
flipped, cut short or appended to; replaced by a FIFO, a symlink to ``/dev/zero`` or a
directory; or *hand-edited with the checksums recomputed*: one field of the segment header
given a wrong type, an out-of-range value or a count that disagrees with the rest, a tag's
facts changed, the header nested 100,000 deep, or a tag block's values changed (with its CRC
recomputed) so that they disagree with the facts the header keeps. Every such edit breaks a
rule :mod:`coordlint.loading.cache.header` or the block reader checks, so the load must give
exactly what a load without the cache gives (every column read), never raise, never hang.

*Concurrency*: worker processes load the same files with one shared cache directory, again and
again, while this process appends records to one of them: every load must give each tag's
points as a prefix of the final file's, in order, with nothing else.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import shutil
import struct
import sys
from pathlib import Path

import crc32c
import numpy as np

from coordlint.loading import load_file
from coordlint.loading.cache import Cache

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_harness import REALRUNS, Tally, Timer, frame, main, ordered, time_limit

CASES = 1200
SEED = 10
TIME_LIMIT = 20.0
ROUNDS = 6  # concurrency rounds, each WORKERS processes x LOADS loads
WORKERS = 3
LOADS = 8
_PREFIX = 24  # magic, version, 0, entry id
_SEGMENT = struct.Struct("<IIQ")


def _files(realruns: Path) -> list[Path]:
    files = [p for p in realruns.rglob("*tfevents*") if 2_000 < p.stat().st_size < 200_000]
    return sorted(files)


def _result(loaded) -> tuple:
    """Everything a load gives, every column read."""
    return (ordered(loaded.columns), loaded.problems, loaded.records, loaded.first_wall_time)


def header_of(blob: bytes) -> dict:
    """The first segment's header."""
    header_len = _SEGMENT.unpack_from(blob, _PREFIX)[0]
    start = _PREFIX + _SEGMENT.size
    return json.loads(blob[start : start + header_len])


def with_header(blob: bytes, header: bytes, blocks: bytes | None = None) -> bytes:
    """The entry with its first segment's header replaced, checksums recomputed."""
    old_len, _, payload_len = _SEGMENT.unpack_from(blob, _PREFIX)
    start = _PREFIX + _SEGMENT.size
    data_at = (start + old_len + 7) & ~7
    payload = blob[data_at : data_at + payload_len] if blocks is None else blocks
    pad = (-(start + len(header))) % 8
    seg = _SEGMENT.pack(len(header), crc32c.crc32c(header), len(payload))
    return blob[:_PREFIX] + seg + header + b"\0" * pad + payload


def _edits(rng: random.Random, d: dict) -> list[tuple[str, object]]:
    """(field path, new value) edits that each break one of the header's rules."""
    n_tags = len(d["tags"])
    out: list[tuple[str, object]] = [
        ("size", rng.choice(("1", -1, 10**400, True, d["offset"] - 1))),
        ("offset", rng.choice((0, d["size"] + 1, float(d["offset"])))),
        ("records", rng.choice((0, -1, d["offset"], "5"))),
        ("header_records", d["records"] + 1),
        ("samples", rng.choice(([], [[1, 2, 3]], [[0, d["offset"], 2**33]]))),
        ("first_wall_time", rng.choice(("x", 10**400, [1.0]))),
        ("plugins", rng.choice(({"a": 1}, [], "scalars"))),
        ("corrupt_count", rng.choice((-1, 5, d["offset"] + 1))),
        ("corrupt_summary", ["corrupt", "x", 0, 1, 1, [[0, 1]]]),
        ("scan_problems", rng.choice(([[1, 2, 3]], [["BAD KIND", "m", 0, 0, 0, []]]))),
        ("decode_problems", [["corrupt", "m", d["offset"] + 5, 0, 0, []]]),
        ("decode_problems", [["corrupt", "m", 0, -1, 0, []]]),
        ("decode_problems", [["corrupt", "m", 0, 0, 0, [[5, 1]]]]),
        ("path", rng.choice((None, d["path"] + "x", 5))),
        ("extra-key", 1),
        ("missing-key", None),
        ("deep", None),
    ]
    if n_tags:
        k = rng.randrange(n_tags)
        tag = d["tags"][k]
        n = tag[2]
        out += [
            (f"tags.{k}.2", rng.choice((0, -1, n + 1, True))),  # point count
            (f"tags.{k}.1", rng.choice((-1, 2**32, "0"))),  # block crc
            (f"tags.{k}.6", n + 1),  # more non-finite values than points
            (f"tags.{k}.7", [0, 1.0]),  # a first non-finite value that is finite
            (f"tags.{k}.0", rng.choice((1, None, ["x"]))),  # the tag
            (f"tags.{k}.3", 1),  # "increasing" not a bool
            ("tags.dup", k),
            ("block-nan", k),
            ("block-steps", k),
        ]
        if n > 1:
            out.append((f"tags.{k}.5", tag[4] - 1 if tag[3] else tag[4]))  # last step
    return out


def _hand_edit(rng: random.Random, blob: bytes) -> tuple[str, bytes]:
    d = header_of(blob)
    what, value = rng.choice(_edits(rng, d))
    blocks = None
    if what == "extra-key":
        d["unexpected"] = value
    elif what == "missing-key":
        del d[rng.choice(sorted(d))]
    elif what == "deep":
        d["plugins"] = "@@DEEP@@"
    elif what == "tags.dup":
        d["tags"].append(d["tags"][value])
    elif what.startswith("block-"):
        blocks, ok = _edit_block(rng, blob, d, int(value), what)
        if not ok:
            return "unchanged", blob
    elif what.startswith("tags."):
        _, k, i = what.split(".")
        d["tags"][int(k)][int(i)] = value
    else:
        d[what] = value
    header = json.dumps(d).encode()
    header = header.replace(b'"@@DEEP@@"', b"[" * 100_000 + b"]" * 100_000)
    return what, with_header(blob, header, blocks)


def _edit_block(rng: random.Random, blob: bytes, d: dict, k: int, what: str):
    """A tag block changed so its arrays disagree with its facts, its CRC recomputed."""
    header_len, _, payload_len = _SEGMENT.unpack_from(blob, _PREFIX)
    data_at = (_PREFIX + _SEGMENT.size + header_len + 7) & ~7
    payload = bytearray(blob[data_at : data_at + payload_len])
    at = sum(24 * t[2] for t in d["tags"][:k])
    n = d["tags"][k][2]
    steps = np.frombuffer(payload, np.int64, n, at).copy()
    values = np.frombuffer(payload, np.float64, n, at + 8 * n).copy()
    if what == "block-nan":
        values[rng.randrange(n)] = np.nan if d["tags"][k][6] == 0 else 1.0
        if d["tags"][k][6] == n:  # all non-finite already: one finite value changes the count
            values[0] = 1.0
    else:
        if n < 2 or not d["tags"][k][3]:
            return None, False
        steps[0], steps[1] = steps[1], steps[0]
    payload[at : at + 8 * n] = steps.tobytes()
    payload[at + 8 * n : at + 16 * n] = values.tobytes()
    crc = crc32c.crc32c(bytes(payload[at : at + 24 * n]))
    d["tags"][k][1] = crc
    return bytes(payload), True


def _corrupt(rng: random.Random, entry: Path) -> str:
    blob = entry.read_bytes()
    kind = rng.choice(("flip", "cut", "append", "fifo", "zero", "dir", "edit", "edit", "edit"))
    if kind == "flip":
        data = bytearray(blob)
        for _ in range(rng.randrange(1, 5)):
            data[rng.randrange(len(data))] ^= rng.randrange(1, 256)
        blob = bytes(data)
    elif kind == "cut":
        blob = blob[: rng.randrange(len(blob))]
    elif kind == "append":
        blob += rng.randbytes(rng.randrange(1, 100))
    elif kind == "edit":
        what, blob = _hand_edit(rng, blob)
        kind = f"edit:{what}"
    entry.unlink()
    if kind == "fifo":
        os.mkfifo(entry)
    elif kind == "zero":
        entry.symlink_to("/dev/zero")
    elif kind == "dir":
        entry.mkdir()
    else:
        entry.write_bytes(blob)
    return kind


def run(
    cases: int, seed: int, workdir: Path, realruns: Path = REALRUNS, rounds: int = ROUNDS
) -> Tally:
    tally = Tally("cache", seed)
    files = _files(realruns)
    timer = Timer(tally)
    references = {f: _result(load_file(f)) for f in files}
    for case in range(cases):
        rng = random.Random(f"{seed}:{case}")
        event_file = rng.choice(files)
        directory = workdir / "cache"
        shutil.rmtree(directory, ignore_errors=True)
        cache = Cache(directory, min_size=0)
        load_file(event_file, cache=cache)
        entry = cache.entry_path(str(event_file))
        kind = _corrupt(rng, entry)
        with timer.case():
            try:
                with time_limit(TIME_LIMIT):
                    first = load_file(event_file, cache=cache)
                    got = _result(first)  # reads every column: a bad block is found here
                    rejected = first.cache_status.startswith("corrupt") or not entry.is_file()
                    again = _result(load_file(event_file, cache=cache))
            except Exception as exc:
                tally.crash(f"case {case} ({kind})", exc)
                continue
        if kind.startswith("edit:") and kind != "edit:unchanged" and not rejected:
            tally.fail("other_failures", f"case {case}: {kind} was not rejected")
        want = references[event_file]
        n = sum(len(v) for v in want[0].values())
        tally.points_expected += n
        if got != want or again != want:
            tally.fail("wrong_values", f"case {case}: {kind} changed the result")
        else:
            tally.points_kept += n
    _concurrent(tally, seed, workdir, files, rounds)
    return tally


def _worker(args: tuple[list[str], str, int]) -> list[tuple[str, dict]]:
    paths, cache_dir, loads = args
    cache = Cache(cache_dir, min_size=0)
    out = []
    for k in range(loads):
        path = paths[k % len(paths)]
        got = load_file(path, cache=cache)
        out.append((path, ordered(got.columns)))
    return out


def _concurrent(tally: Tally, seed: int, workdir: Path, files: list[Path], rounds: int) -> None:
    """Workers loading with one cache while a file grows: each load a prefix of the final."""
    rng = random.Random(f"{seed}:concurrent")
    ctx = multiprocessing.get_context("spawn")
    for round_ in range(rounds):
        directory = workdir / f"con{round_}"
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir()
        sources = rng.sample(files, min(3, len(files)))
        paths = [directory / f"events.out.tfevents.{i}.x" for i in range(len(sources))]
        for src, dst in zip(sources, paths, strict=True):
            shutil.copyfile(src, dst)
        growing = paths[0]
        extra = [frame(_scalar(1.7e9 + i, 10**6 + i, "grown", float(i))) for i in range(200)]
        cache_dir = str(directory / "cache")
        with ctx.Pool(WORKERS) as pool:
            pending = pool.map_async(
                _worker, [([str(p) for p in paths], cache_dir, LOADS)] * WORKERS
            )
            for record in extra:  # append in pieces, sometimes mid-record
                with open(growing, "ab") as fh:
                    cut = rng.randrange(len(record) + 1)
                    fh.write(record[:cut])
                    fh.flush()
                    fh.write(record[cut:])
            results = pending.get(timeout=120)
        finals = {str(p): ordered(load_file(p).columns) for p in paths}
        for loads in results:
            for path, points in loads:
                tally.cases += 1
                final = finals[path]
                for tag, seq in points.items():
                    if final.get(tag, [])[: len(seq)] != seq:
                        tally.fail("wrong_values", f"concurrent round {round_}: {tag} not a prefix")


def _scalar(wall: float, step: int, tag: str, value: float) -> bytes:
    from tensorboard.compat.proto import event_pb2, summary_pb2

    val = summary_pb2.Summary.Value(tag=tag, simple_value=value)
    event = event_pb2.Event(wall_time=wall, step=step, summary=summary_pb2.Summary(value=[val]))
    return event.SerializeToString()


if __name__ == "__main__":
    sys.exit(main(run, CASES, SEED, __doc__))
