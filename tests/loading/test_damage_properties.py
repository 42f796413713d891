"""Damage of any kind: load_run never raises, never invents points, keeps what is intact."""

from __future__ import annotations

import struct
from collections import Counter

from _loading_helpers import histogram_event, scalar_event, tensor_event, write_with_tensorboard
from event_mutations import MUTATIONS, Blob, Catalogue, Source
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from load_harness import loaded_points, ordered

from coordlint.execution.discover import RunSpec
from coordlint.loading import load_file, load_run

N_POINTS = 12


def _make(tmp_path_factory):
    directory = tmp_path_factory.mktemp("base")
    events = [scalar_event(i, f"t{i % 2}", float(i)) for i in range(N_POINTS)]
    events.insert(4, histogram_event(4))
    path = write_with_tensorboard(directory, events)
    blob = path.read_bytes()
    ends, pos, points = [], 0, []  # record end offsets; points carried by each record
    while pos < len(blob):
        pos += 16 + struct.unpack_from("<Q", blob, pos)[0]
        ends.append(pos)
    points = [0, *[1] * 4, 0, *[1] * (N_POINTS - 4)]  # header, 4 scalars, histogram, rest
    return blob, ends, points


_BASE: dict = {}


def _base(tmp_path_factory):
    if not _BASE:
        _BASE["v"] = _make(tmp_path_factory)
    return _BASE["v"]


def _load(tmp_path_factory, blob: bytes):
    directory = tmp_path_factory.mktemp("d")
    path = directory / "events.out.tfevents.1.host"
    path.write_bytes(blob)
    return load_run(RunSpec("d", directory, (path,)))


def _intact_prefix_points(ends, points, first_damaged_byte: int) -> int:
    return sum(p for end, p in zip(ends, points, strict=True) if end <= first_damaged_byte)


def test_truncation_at_every_offset(tmp_path_factory) -> None:
    blob, ends, points = _base(tmp_path_factory)
    for cut in range(len(blob) + 1):
        run = _load(tmp_path_factory, blob[:cut])
        assert run.points == _intact_prefix_points(ends, points, cut)
        assert (run.problems == []) == (cut in ends and cut > ends[0])


SETTINGS = settings(max_examples=60, deadline=2000, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(data=st.data())
def test_random_byte_flips(tmp_path_factory, data) -> None:
    blob, ends, points = _base(tmp_path_factory)
    flips = data.draw(
        st.lists(
            st.tuples(st.integers(0, len(blob) - 1), st.integers(1, 255)),
            min_size=1,
            max_size=4,
            unique_by=lambda t: t[0],
        )
    )
    damaged = bytearray(blob)
    for pos, x in flips:
        damaged[pos] ^= x
    run = _load(tmp_path_factory, bytes(damaged))
    assert run.points <= N_POINTS
    assert run.points >= _intact_prefix_points(ends, points, min(p for p, _ in flips))
    assert run.problems  # every flip lands in a checksummed byte


@SETTINGS
@given(record=st.integers(0, N_POINTS), length=st.integers(0, 2**64 - 1))
def test_corrupted_length_fields(tmp_path_factory, record, length) -> None:
    blob, ends, points = _base(tmp_path_factory)
    start = 0 if record == 0 else ends[record - 1]
    original = struct.unpack_from("<Q", blob, start)[0]
    damaged = bytearray(blob)
    damaged[start : start + 8] = struct.pack("<Q", length)
    run = _load(tmp_path_factory, bytes(damaged))
    assert run.points <= N_POINTS
    if length == original:
        assert run.points == N_POINTS and run.problems == []
    else:
        assert run.points >= _intact_prefix_points(ends, points, start)
        assert run.problems
        if record > 0:  # resync finds every record after the damaged one
            assert run.points == N_POINTS - points[record]


# -- every record the damage did not touch comes back ------------------------------------------

_CORPUS: dict = {}


def _corpus(tmp_path_factory):
    """Two files written by tensorboard's writer (PyTorch scalars, TF2 tensors whose plugin
    metadata comes only with a tag's first value, histograms), as mutation sources."""
    if not _CORPUS:
        blobs = []
        for k in range(2):
            events = []
            for i in range(30):
                if i % 9 == 4:
                    events.append(histogram_event(i))
                elif i % 4 == 1:
                    events.append(tensor_event(i, f"tf2/{k}", i / 7, "float32", plugin=i == 1))
                else:
                    events.append(scalar_event(i, f"t{k}/{i % 3}", i / 3, wall=1.7e9 + i))
            directory = tmp_path_factory.mktemp(f"corpus{k}")
            blobs.append(write_with_tensorboard(directory, events).read_bytes())
        sources = [Source.of(i, b) for i, b in enumerate(blobs)]
        _CORPUS["v"] = (Catalogue(sources), [Blob.of(s.blob, s.index) for s in sources])
    return _CORPUS["v"]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    damage=st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=1, max_size=4),
    rnd=st.randoms(use_true_random=False),
    glue=st.sampled_from(["none", "after-a-cut", "whole"]),
    chunk=st.sampled_from([1 << 30, 4096, 61]),
)
def test_every_record_the_damage_did_not_touch_comes_back(
    tmp_path_factory, damage, rnd, glue, chunk
) -> None:
    """Truncation, bit flips, deletions, insertions, zeroed pages, duplicated chunks, length
    fields rewritten with a stale or a recomputed CRC, CRC-valid records that are not Events,
    and a second file glued on (whole, or after a cut): every record whose bytes the damage left
    in one piece comes back, with exact values and in record order, and no other point does."""
    catalogue, (first, second) = _corpus(tmp_path_factory)
    blob = first
    if glue != "none":
        cut = rnd.randrange(len(first) + 1) if glue == "after-a-cut" else len(first)
        blob = first[:cut] + second
    for name in damage:
        blob = MUTATIONS[name](rnd, blob, catalogue)
    path = tmp_path_factory.mktemp("m") / "events.out.tfevents.1.mutated"
    path.write_bytes(blob.data)
    got = load_file(path, chunk_size=chunk)
    expected, in_order, _ = catalogue.expected(blob)
    loaded = loaded_points(got.columns)
    assert expected - loaded == Counter()  # nothing intact is lost
    for point, n in (loaded - expected).items():  # only records rebuilt byte for byte by chance
        assert n <= catalogue.copies(blob, point) - expected[point]
    if loaded == expected:
        want: dict[str, list] = {}
        for tag, *rest in in_order:
            want.setdefault(tag, []).append(tuple(rest))
        assert ordered(got.columns) == want
    assert all(p.kind != "loader-error" for p in got.problems)
    for p in got.problems:  # the counts of a skipped span add up
        assert p.bytes_skipped == sum(b - a for a, b in p.ranges)
