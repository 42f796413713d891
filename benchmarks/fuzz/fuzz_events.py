"""Campaign ``events``: mutated real event files; every intact record must come back, exactly.

Each case takes one event file of ``../shared/realruns`` (or two, concatenated), applies one
to four mutations (truncation, bit flips, deletions, insertions of junk or zeros, a zeroed
page, duplicated chunks, a length field rewritten with its stale or a recomputed CRC, a
CRC-valid record that is not an Event; see :mod:`event_mutations`), writes it, and loads it with
:func:`coordlint.loading.load_file` in windows of a random size. The loaded points must be
exactly those of the records the damage left intact (the mutation tracks every byte's origin),
in record order per tag: any other point is a wrong value, any missing one a lost point. One
case in ten is loaded through a fresh cache and again from it: both loads must agree.
"""

from __future__ import annotations

import random
import shutil
import sys
from collections import Counter
from pathlib import Path

from coordlint.loading import load_file
from coordlint.loading.cache import Cache

sys.path.insert(0, str(Path(__file__).resolve().parent))

from event_mutations import Blob, Catalogue, Source, mutate
from load_harness import REALRUNS, Tally, Timer, main, ordered, time_limit

CASES = 10_000
SEED = 15
TIME_LIMIT = 20.0
#: Window sizes, and how often each is drawn (a few bytes: slow, so one case in seven).
CHUNKS = {4 << 20: 4, 1 << 16: 3, 4096: 3, 333: 1, 97: 1}
#: Share of cases loaded twice through a fresh cache (the second load a hit).
CACHED = 0.1
#: Windows of a few bytes only for files this small (a window costs ~0.3 ms however small).
TINY_WINDOWS_UP_TO = 256 << 10


def sources(realruns: Path) -> list[Source]:
    files = sorted(p for p in realruns.rglob("*tfevents*") if p.is_file())
    blobs = {p.read_bytes() for p in files}  # the same bytes twice would be one source
    return [Source.of(i, b) for i, b in enumerate(sorted(blobs, key=lambda b: (len(b), b)))]


def run(cases: int, seed: int, workdir: Path, realruns: Path = REALRUNS) -> Tally:
    tally = Tally("events", seed)
    srcs = sources(realruns)
    catalogue = Catalogue(srcs)
    bases = [Blob.of(s.blob, s.index) for s in srcs]
    # Small files most of the time; the 2 MB hyperparameter log one case in twenty.
    weights = [0.05 if len(b) > (1 << 20) else 1.0 for b in bases]
    timer = Timer(tally)
    path = workdir / "events.out.tfevents.1.fuzz"
    for case in range(cases):
        rng = random.Random(f"{seed}:{case}")  # each case replays on its own
        base = rng.choices(bases, weights)[0]
        blob = mutate(rng, base, catalogue, bases)
        path.write_bytes(blob.data)
        chunk = rng.choices(list(CHUNKS), list(CHUNKS.values()))[0]
        if len(blob) > TINY_WINDOWS_UP_TO:
            chunk = max(chunk, 4096)
        threaded = rng.random() < 0.3
        cache = None
        if rng.random() < CACHED:  # written by one load, then a hit for the next
            shutil.rmtree(workdir / "cache", ignore_errors=True)
            cache = Cache(workdir / "cache", min_size=0)
        expected, in_order, intact = catalogue.expected(blob)
        tally.records_intact += intact
        tally.points_expected += sum(expected.values())
        with timer.case():
            try:
                with time_limit(TIME_LIMIT):
                    got = load_file(path, chunk_size=chunk, decode_thread=threaded, cache=cache)
                    again = None if cache is None else load_file(path, cache=cache)
            except Exception as exc:
                tally.crash(f"case {case}", exc)
                continue
        check(tally, f"case {case} (chunk {chunk})", got, expected, in_order, blob, catalogue)
        if again is not None and (ordered(again.columns), again.problems) != (
            ordered(got.columns),
            got.problems,
        ):
            tally.fail("other_failures", f"case {case}: the cached load differs")
    return tally


def check(
    tally: Tally,
    case: str,
    got,
    expected: Counter,
    in_order: list,
    blob: Blob,
    catalogue: Catalogue,
) -> None:
    """Compare a load with the intact records' points."""
    if any(p.kind == "loader-error" for p in got.problems):
        tally.fail("loader_errors", f"{case}: {got.problems}")
    loaded: Counter = Counter()
    by_tag = ordered(got.columns)
    for tag, points in by_tag.items():
        loaded.update((tag, *p) for p in points)
    lost = sum((expected - loaded).values())
    extra = loaded - expected
    # A point no origin-intact record holds is right only if a record rebuilt by chance,
    # byte for byte a source record, holds it.
    wrong = sum(
        max(0, n - (catalogue.copies(blob, point) - expected[point])) for point, n in extra.items()
    )
    tally.points_kept += sum(expected.values()) - lost
    if lost:
        tally.fail("lost_points", f"{case}: {lost} points", lost)
    if wrong:
        tally.fail("wrong_values", f"{case}: {wrong} points", wrong)
    if not lost and not extra:
        want: dict[str, list] = {}
        for tag, *rest in in_order:
            want.setdefault(tag, []).append(tuple(rest))
        if want != by_tag:
            tally.fail("other_failures", f"{case}: points out of record order")


if __name__ == "__main__":
    sys.exit(main(run, CASES, SEED, __doc__))
