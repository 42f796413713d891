"""Chunked reading and the per-file cache: never a different answer than one whole read."""

from __future__ import annotations

import os
import struct

import pytest
from _loading_helpers import histogram_event, scalar_event, tensor_event, write_with_tensorboard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordlint.loading import load_file
from coordlint.loading.cache import FORMAT_VERSION, Cache

WHOLE = 1 << 30  # one window: the whole-file reference


def _events(n: int = 40, start: int = 0):
    out = []
    for i in range(start, start + n):
        if i % 11 == 5:
            out.append(histogram_event(i))
        elif i % 7 == 3:  # TF2: the plugin metadata only on the tag's first value
            out.append(tensor_event(i, "tf2/loss", float(i), dtype="float32", plugin=i == 3))
        else:
            out.append(scalar_event(i, f"t{i % 3}", float(i) / 3, wall=1.7e9 + i))
    return out


def _points(loaded) -> dict:
    return {
        t: list(zip(c.steps.tolist(), c.values.tolist(), c.wall_times.tolist(), strict=True))
        for t, c in loaded.columns.items()
    }


def _same(a, b) -> None:
    assert _points(a) == _points(b)
    assert a.problems == b.problems
    assert (a.records, a.header_only, a.first_wall_time) == (
        b.records,
        b.header_only,
        b.first_wall_time,
    )


def _record_ends(blob: bytes) -> list[int]:
    pos, out = 0, []
    while pos + 12 <= len(blob):
        pos += 16 + struct.unpack_from("<Q", blob, pos)[0]
        out.append(pos)
    return out


@pytest.fixture
def base(tmp_path_factory):
    directory = tmp_path_factory.mktemp("base")
    return write_with_tensorboard(directory, _events()).read_bytes()


def _put(tmp_path, blob: bytes, name: str = "events.out.tfevents.1.host"):
    path = tmp_path / name
    path.write_bytes(blob)
    return path


# -- chunked reading ------------------------------------------------------------------------------

SETTINGS = settings(max_examples=60, deadline=5000, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(data=st.data())
def test_chunked_equals_whole_on_damaged_files(tmp_path_factory, data) -> None:
    blob = bytearray(write_with_tensorboard(tmp_path_factory.mktemp("w"), _events()).read_bytes())
    for pos, x in data.draw(
        st.lists(st.tuples(st.integers(0, len(blob) - 1), st.integers(1, 255)), max_size=3)
    ):
        blob[pos] ^= x
    cut = data.draw(st.integers(0, len(blob)))
    if data.draw(st.booleans()):
        blob = blob[:cut]
    path = _put(tmp_path_factory.mktemp("d"), bytes(blob))
    whole = load_file(path, chunk_size=WHOLE)
    for chunk in (1, 7, data.draw(st.integers(1, 400)), 4096):
        _same(load_file(path, chunk_size=chunk), whole)


def test_bad_length_resync_across_windows(tmp_path, base) -> None:
    blob = bytearray(base)
    ends = _record_ends(base)
    blob[ends[3] : ends[3] + 8] = struct.pack("<Q", 2**62)  # resync must span many windows
    blob[ends[-2]] ^= 0x40  # and the last record's length: the rest is unreadable
    path = _put(tmp_path, bytes(blob))
    whole = load_file(path, chunk_size=WHOLE)
    assert [p.kind for p in whole.problems] == ["corrupt", "corrupt"]
    for chunk in (1, 13, 100):
        _same(load_file(path, chunk_size=chunk), whole)


# -- the cache ------------------------------------------------------------------------------------


@pytest.fixture
def cache(tmp_path) -> Cache:
    return Cache(tmp_path / "cache", min_size=0)


def test_unchanged_file_is_served_from_cache(tmp_path, base, cache) -> None:
    path = _put(tmp_path, base)
    first = load_file(path, cache=cache)
    assert (first.cache_status, first.bytes_read) == ("miss", len(base))
    again = load_file(path, cache=cache)
    assert (again.cache_status, again.bytes_read) == ("hit", 0)
    _same(again, first)
    _same(again, load_file(path))


def test_appended_file_reads_only_new_bytes(tmp_path, base, cache) -> None:
    path = _put(tmp_path, base)
    old = load_file(path, cache=cache)
    more = write_with_tensorboard(tmp_path / "more", _events(30, start=40)).read_bytes()
    appended = more[_record_ends(more)[0] :]  # without its file_version header
    with open(path, "ab") as fh:
        fh.write(appended)
    new = load_file(path, cache=cache)
    assert (new.cache_status, new.bytes_read) == ("append", len(appended))
    _same(new, load_file(path))
    # TF2 plugin state survived: the appended tf2/loss values carry no metadata.
    assert len(new.columns["tf2/loss"]) > len(old.columns["tf2/loss"])
    assert sum(map(len, new.columns.values())) == sum(map(len, old.columns.values())) + sum(
        1 for i in range(40, 70) if i % 11 != 5
    )
    assert load_file(path, cache=cache).cache_status == "hit"


class _CountingCache(Cache):
    lookups = 0

    def lookup(self, path: str):
        self.lookups += 1
        return super().lookup(path)


def test_is_current_then_load_reads_the_entry_once_unless_the_file_moved(tmp_path, base) -> None:
    path = _put(tmp_path, base)
    cache = _CountingCache(tmp_path / "cache", min_size=0)
    load_file(path, cache=cache)
    cache.lookups = 0
    assert cache.is_current(str(path), remember=True)
    assert load_file(path, cache=cache).cache_status == "hit"
    assert cache.lookups == 1  # the load took the entry is_current had just checked
    # The file grows between the check and the load: the remembered entry is not used.
    assert cache.is_current(str(path), remember=True)
    more = write_with_tensorboard(tmp_path / "more", _events(5, start=40)).read_bytes()
    with open(path, "ab") as fh:
        fh.write(more[_record_ends(more)[0] :])
    grown = load_file(path, cache=cache)
    assert grown.cache_status == "append"
    _same(grown, load_file(path))


def test_truncated_final_record_is_retried(tmp_path, base, cache) -> None:
    last = _record_ends(base)[-2]
    path = _put(tmp_path, base[:-3])  # a live file: the writer is half way through a record
    live = load_file(path, cache=cache)
    assert [p.kind for p in live.problems] == ["truncated"]
    again = load_file(path, cache=cache)
    assert (again.cache_status, again.bytes_read) == ("hit", len(base) - 3 - last)
    _same(again, live)
    with open(path, "ab") as fh:
        fh.write(base[-3:])
    done = load_file(path, cache=cache)
    assert (done.cache_status, done.bytes_read) == ("append", len(base) - last)
    assert done.problems == []
    _same(done, load_file(path))


def test_damage_survives_the_cache(tmp_path, base, cache) -> None:
    blob = bytearray(base)
    ends = _record_ends(base)
    blob[ends[4] + 14] ^= 0xFF  # a data CRC
    blob[ends[9] : ends[9] + 8] = struct.pack("<Q", 7)  # a length field
    path = _put(tmp_path, bytes(blob))
    first = load_file(path, cache=cache)
    assert [p.kind for p in first.problems] == ["corrupt", "corrupt"]
    again = load_file(path, cache=cache)
    assert again.cache_status == "hit"
    _same(again, first)


def test_shrunk_file_is_read_again(tmp_path, base, cache) -> None:
    path = _put(tmp_path, base)
    load_file(path, cache=cache)
    cut = _record_ends(base)[10]
    path.write_bytes(base[:cut])
    got = load_file(path, cache=cache)
    assert (got.cache_status, got.bytes_read) == ("stale:shrunk", cut)
    _same(got, load_file(path))


@pytest.mark.parametrize("grow", [False, True])
def test_changed_before_offset_is_read_again(tmp_path, base, cache, grow) -> None:
    path = _put(tmp_path, base)
    load_file(path, cache=cache)
    blob = bytearray(base)
    blob[30] ^= 1  # inside the first record (a sampled block)
    if grow:
        blob += base[_record_ends(base)[0] :]
    path.write_bytes(bytes(blob))
    got = load_file(path, cache=cache)
    assert got.cache_status in ("stale:changed-before-offset", "stale:rewritten")
    assert got.bytes_read == len(blob)
    _same(got, load_file(path))


def _corrupt_entry(entry, how: str) -> None:
    blob = bytearray(entry.read_bytes())
    if how == "truncate":
        blob = blob[: len(blob) - 5]
    elif how == "truncate-header":
        blob = blob[:30]
    elif how == "flip-payload":
        blob[-9] ^= 0x10
    elif how == "flip-header":
        blob[40] ^= 0x01
    elif how == "garbage":
        blob = bytearray(os.urandom(len(blob)))
    elif how == "version":
        blob[8:12] = struct.pack("<I", FORMAT_VERSION + 1)
    elif how == "empty":
        blob = bytearray()
    entry.write_bytes(bytes(blob))


@pytest.mark.parametrize(
    "how", ["truncate", "truncate-header", "flip-header", "garbage", "version", "empty"]
)
def test_corrupt_entry_is_discarded(tmp_path, base, cache, how) -> None:
    path = _put(tmp_path, base)
    reference = load_file(path)
    load_file(path, cache=cache)
    entry = cache.entry_path(str(path))
    _corrupt_entry(entry, how)
    got = load_file(path, cache=cache)
    assert got.cache_status.startswith("corrupt:")
    assert got.bytes_read == len(base)
    _same(got, reference)
    assert load_file(path, cache=cache).cache_status == "hit"  # rewritten whole


def test_unreadable_entry_and_cache_dir_never_crash(tmp_path, base) -> None:
    path = _put(tmp_path, base)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    got = load_file(path, cache=Cache(blocker, min_size=0))
    _same(got, load_file(path))
    cache = Cache(tmp_path / "c", min_size=0)
    cache.entry_path(str(path)).parent.mkdir(parents=True)
    cache.entry_path(str(path)).mkdir()  # a directory where the entry should be
    _same(load_file(path, cache=cache), got)


def test_small_files_are_not_cached_by_default(tmp_path, base) -> None:
    path = _put(tmp_path, base)
    cache = Cache(tmp_path / "c")
    assert load_file(path, cache=cache).cache_status == "off"
    assert not (tmp_path / "c").exists()


@SETTINGS
@given(data=st.data())
def test_cache_never_changes_results(tmp_path_factory, data) -> None:
    blob = bytearray(write_with_tensorboard(tmp_path_factory.mktemp("w"), _events()).read_bytes())
    for pos, x in data.draw(
        st.lists(st.tuples(st.integers(0, len(blob) - 1), st.integers(1, 255)), max_size=3)
    ):
        blob[pos] ^= x
    split = data.draw(st.integers(0, len(blob)))
    directory = tmp_path_factory.mktemp("d")
    cache = Cache(directory / "cache", min_size=0)
    chunk = data.draw(st.sampled_from([3, 64, WHOLE]))
    path = _put(directory, bytes(blob[:split]))
    _same(load_file(path, cache=cache, chunk_size=chunk), load_file(path, chunk_size=WHOLE))
    path.write_bytes(bytes(blob))  # appended (a live file), possibly mid-record
    whole = load_file(path, chunk_size=WHOLE)
    got = load_file(path, cache=cache, chunk_size=chunk)
    _same(got, whole)
    _same(load_file(path, cache=cache, chunk_size=chunk), whole)


def test_corrupt_tag_block_is_decoded_again_and_the_entry_deleted(tmp_path, base, cache) -> None:
    # A flipped payload byte passes the header check: the hit is deferred, and the damage is
    # found when the tag's block is read. Its points then come from the event file, not the
    # cache, and the entry is deleted so the next check writes it afresh.
    path = _put(tmp_path, base)
    reference = load_file(path)
    load_file(path, cache=cache)
    entry = cache.entry_path(str(path))
    _corrupt_entry(entry, "flip-payload")
    got = load_file(path, cache=cache)
    assert got.cache_status == "hit"
    assert not any(c.loaded for c in got.columns.values())
    _same(got, reference)
    assert not entry.exists()
    assert load_file(path, cache=cache).cache_status == "miss"
    assert load_file(path, cache=cache).cache_status == "hit"


def test_a_hit_reads_only_the_tags_asked_for(tmp_path, base, cache) -> None:
    path = _put(tmp_path, base)
    reference = load_file(path)
    load_file(path, cache=cache)
    got = load_file(path, cache=cache)
    assert got.cache_status == "hit"
    assert sorted(got.columns) == sorted(reference.columns)
    for tag, cols in got.columns.items():  # counts and facts without reading a block
        assert len(cols) == len(reference.columns[tag])
        assert cols.facts == reference.columns[tag].facts
    assert not any(c.loaded for c in got.columns.values())
    assert got.columns["t1"].values.tolist() == reference.columns["t1"].values.tolist()
    assert [t for t, c in got.columns.items() if c.loaded] == ["t1"]


def test_entry_replaced_after_lookup_is_not_read(tmp_path, base, cache) -> None:
    # Another check rewrote the entry (atomically) between this check's lookup and its read of
    # a block: the block is decoded from the event file, and the new entry is left alone.
    path = _put(tmp_path, base)
    load_file(path, cache=cache)
    got = load_file(path, cache=cache)
    entry = cache.entry_path(str(path))
    blob = bytearray(entry.read_bytes())
    blob[16:24] = os.urandom(8)  # every entry written gets an id of its own
    blob[-9] ^= 0x10  # read as this check's entry, it would fail its checksum and be deleted
    entry.unlink()
    entry.write_bytes(bytes(blob))
    _same(got, load_file(path))
    assert entry.read_bytes() == blob


# -- size limit -----------------------------------------------------------------------------------


def _entries(cache) -> set[str]:
    return {p.name for p in cache.directory.glob("*.clc")}


def test_cache_keeps_under_its_limit_dropping_least_recently_used(tmp_path, base) -> None:
    paths = [_put(tmp_path, base, f"events.out.tfevents.{i}.host") for i in range(3)]
    unlimited = Cache(tmp_path / "c", min_size=0, max_size=0)
    load_file(paths[0], cache=unlimited)
    entry_size = unlimited.entry_path(str(paths[0])).stat().st_size
    cache = Cache(tmp_path / "c", min_size=0, max_size=2 * entry_size + entry_size // 2)
    load_file(paths[1], cache=cache)
    names = [cache.entry_path(str(p)).name for p in paths]
    old = cache.entry_path(str(paths[0]))
    os.utime(old, ns=(1, old.stat().st_mtime_ns))  # used long ago
    assert load_file(paths[1], cache=cache).cache_status == "hit"  # marks its use
    load_file(paths[2], cache=cache)  # a third entry: over the limit, the oldest goes
    assert _entries(cache) == {names[1], names[2]}
    assert load_file(paths[1], cache=cache).cache_status == "hit"
    assert load_file(paths[0], cache=cache).cache_status == "miss"


def test_an_entry_larger_than_the_limit_is_not_written(tmp_path, base) -> None:
    path = _put(tmp_path, base)
    cache = Cache(tmp_path / "c", min_size=0, max_size=64)
    _same(load_file(path, cache=cache), load_file(path))
    assert load_file(path, cache=cache).cache_status == "miss"
    assert not _entries(cache)


def test_prune_removes_temporary_files_of_dead_writers(tmp_path, base) -> None:
    cache = Cache(tmp_path / "c", min_size=0)
    cache.directory.mkdir()
    dead, live = cache.directory / "x.clc.1.tmp", cache.directory / "y.clc.2.tmp"
    dead.write_bytes(b"partial")
    live.write_bytes(b"being written")
    os.utime(dead, (1, 1))
    load_file(_put(tmp_path, base), cache=cache)
    assert not dead.exists() and live.exists()
    entries = list(cache.directory.glob("*.clc"))
    expected = (1 + len(entries), sum(p.stat().st_size for p in [live, *entries]))
    assert cache.clear() == expected
    assert not any(cache.directory.iterdir())


# -- appended segments ----------------------------------------------------------------------------


def _grow(path, blob: bytes, ends: list[int], cache) -> list:
    """Write ``blob`` up to each end in turn, loading with the cache after each."""
    got = []
    for end in ends:
        path.write_bytes(blob[:end])
        got.append(load_file(path, cache=cache))
    return got


def test_a_grown_file_appends_a_segment_and_rewrites_nothing(tmp_path, base, cache) -> None:
    more = write_with_tensorboard(tmp_path / "more", _events(40, start=40)).read_bytes()
    blob = base + more[_record_ends(more)[0] :]  # the second file's records, minus its header
    path = tmp_path / "events.out.tfevents.1.host"
    (first,) = _grow(path, blob, [len(base)], cache)
    entry_file = cache.entry_path(str(path))
    before, inode = entry_file.read_bytes(), entry_file.stat().st_ino
    (grown,) = _grow(path, blob, [len(blob)], cache)
    assert (first.cache_status, grown.cache_status) == ("miss", "append")
    after = entry_file.read_bytes()
    assert entry_file.stat().st_ino == inode and after[: len(before)] == before
    entry = cache.lookup(str(path))
    assert entry.segments == 2 and entry.offset == len(blob) and entry.end == len(after)
    whole = load_file(path)
    again = load_file(path, cache=cache)
    assert again.cache_status == "hit"
    _same(again, whole)
    _same(grown, whole)


def test_a_torn_append_is_ignored_and_the_entry_written_afresh(tmp_path, base, cache) -> None:
    path = _put(tmp_path, base)
    load_file(path, cache=cache)
    entry_file = cache.entry_path(str(path))
    good = entry_file.read_bytes()
    entry_file.write_bytes(good + b"\x50\x00\x00\x00garbage of a writer that died")
    got = load_file(path, cache=cache)
    assert got.cache_status == "hit"
    _same(got, load_file(path))
    more = write_with_tensorboard(tmp_path / "more", _events(5, start=40)).read_bytes()
    path.write_bytes(base + more[_record_ends(more)[0] :])
    grown = load_file(path, cache=cache)
    assert grown.cache_status == "append"
    assert cache.lookup(str(path)).segments == 1  # torn tail: not appended to, rewritten
    _same(load_file(path, cache=cache), load_file(path))


def test_too_many_segments_are_compacted(tmp_path, base, cache, monkeypatch) -> None:
    from coordlint.loading.cache import store as cache_module

    monkeypatch.setattr(cache_module, "MAX_SEGMENTS", 3)
    more = write_with_tensorboard(tmp_path / "more", _events(40, start=40)).read_bytes()
    ends = _record_ends(more)
    blob = base + more[ends[0] :]
    path = tmp_path / "events.out.tfevents.1.host"
    cuts = [len(base) + e - ends[0] for e in ends[5::7]]
    seen = []
    for end in [len(base), *cuts]:
        (got,) = _grow(path, blob, [end], cache)
        seen.append(cache.lookup(str(path)).segments)
        _same(got, load_file(path))
    assert seen[:4] == [1, 2, 3, 1] and max(seen) == 3


@SETTINGS
@given(data=st.data())
def test_growing_in_steps_never_changes_results(tmp_path_factory, data) -> None:
    blob = write_with_tensorboard(tmp_path_factory.mktemp("w"), _events(60)).read_bytes()
    ends = sorted(data.draw(st.lists(st.integers(1, len(blob)), min_size=1, max_size=5)))
    directory = tmp_path_factory.mktemp("d")
    cache = Cache(directory / "cache", min_size=0)
    path = directory / "events.out.tfevents.1.host"
    for end, got in zip(ends, _grow(path, blob, ends, cache), strict=True):
        path.write_bytes(blob[:end])
        _same(got, load_file(path, chunk_size=WHOLE))
    path.write_bytes(blob)
    _same(load_file(path, cache=cache), load_file(path, chunk_size=WHOLE))
