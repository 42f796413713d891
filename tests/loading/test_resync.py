"""Resynchronisation after damage: one damaged spot costs only its own records, and CL901
counts exactly what was skipped (issue 15, item 3); long records are read once (item 2)."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from _loading_helpers import histogram_event, scalar_event, write_with_tensorboard
from bench_load import frame, header_event_bytes, scalar_event_bytes

from coordlint.loading import load_file
from coordlint.loading.crc import masked_crc32c
from coordlint.loading.damage import MAX_REPORTED
from coordlint.loading.resync import MAX_RECORD_BYTES
from coordlint.loading.tfrecord import ScanState, scan_chunk

CHUNKS = (1, 7, 100, 4096)


def _file(tmp_path, n: int = 60, tag: str = "t", name: str = "w"):
    events = [scalar_event(i, f"{tag}{i % 2}", float(i)) for i in range(n)]
    events.insert(7, histogram_event(7))
    return write_with_tensorboard(tmp_path / name, events).read_bytes()


def _starts(blob: bytes) -> list[int]:
    pos, out = 0, []
    while pos + 12 <= len(blob):
        out.append(pos)
        pos += 16 + struct.unpack_from("<Q", blob, pos)[0]
    return out


def _load(tmp_path, blob: bytes):
    """The load, checked equal in windows of every size in CHUNKS."""
    path = tmp_path / "events.out.tfevents.1.damaged"
    path.write_bytes(blob)
    whole = load_file(path, chunk_size=1 << 30)
    for chunk in CHUNKS:
        got = load_file(path, chunk_size=chunk)
        assert got.problems == whole.problems, chunk
        assert {t: c.steps.tolist() for t, c in got.columns.items()} == {
            t: c.steps.tolist() for t, c in whole.columns.items()
        }
    return whole


def _steps(loaded) -> list[int]:
    return sorted(s for c in loaded.columns.values() for s in c.steps.tolist())


def _length_field(length: int, *, recompute: bool, old_crc: bytes = b"") -> bytes:
    head = struct.pack("<Q", length)
    return head + (struct.pack("<I", masked_crc32c(head)) if recompute else old_crc)


def test_one_flipped_bit_in_byte_0_loses_only_the_header(tmp_path) -> None:
    blob = bytearray(_file(tmp_path))
    first = _starts(bytes(blob))[1]
    blob[0] ^= 0x01
    loaded = _load(tmp_path, bytes(blob))
    assert _steps(loaded) == list(range(60))
    (p,) = loaded.problems
    assert (p.kind, p.offset, p.records_skipped, p.bytes_skipped) == ("corrupt", 0, 1, first)
    assert p.ranges == ((0, first),)
    assert f"to the next intact record at byte {first}" in p.message


def test_a_zeroed_first_page_loses_only_the_records_on_it(tmp_path) -> None:
    blob = bytearray(_file(tmp_path, n=400))
    starts = _starts(bytes(blob))
    blob[:4096] = bytes(4096)
    loaded = _load(tmp_path, bytes(blob))
    after = next(s for s in starts if s >= 4096)  # the first record the page left whole
    # Every record starting after the page comes back (the histogram, record 8, is in it).
    assert len(_steps(loaded)) == sum(1 for s in starts if s >= 4096)
    (p,) = loaded.problems
    assert (p.kind, p.offset, p.ranges, p.bytes_skipped) == ("corrupt", 0, ((0, after),), after)
    # The page took the headers of every record it touched: none can be counted, and the
    # message does not pretend otherwise.
    assert p.records_skipped == 0 and "no record header left" in p.message


def test_a_file_cut_mid_record_with_another_writer_appended_keeps_every_appended_record(
    tmp_path,
) -> None:
    blob = _file(tmp_path)
    starts = _starts(blob)
    cut = starts[20] + 20  # inside record 20: its length field is intact, its data is not
    other = write_with_tensorboard(
        tmp_path / "o", [scalar_event(i, "other", float(i)) for i in range(48)]
    ).read_bytes()
    loaded = _load(tmp_path, blob[:cut] + other)
    assert loaded.columns["other"].steps.tolist() == list(range(48))
    (p,) = loaded.problems
    assert (p.kind, p.offset, p.records_skipped) == ("corrupt", starts[20], 1)
    assert (p.bytes_skipped, p.ranges) == (cut - starts[20], ((starts[20], cut),))
    assert "data checksum mismatch" in p.message


@pytest.mark.parametrize("recompute", [True, False])
def test_a_length_past_the_end_loses_only_its_record(tmp_path, recompute) -> None:
    blob = bytearray(_file(tmp_path))
    starts = _starts(bytes(blob))
    at = starts[10]
    old_crc = bytes(blob[at + 8 : at + 12])
    blob[at : at + 12] = _length_field(10**9, recompute=recompute, old_crc=old_crc)
    loaded = _load(tmp_path, bytes(blob))
    assert len(_steps(loaded)) == 59
    (p,) = loaded.problems
    assert (p.offset, p.records_skipped, p.ranges) == (at, 1, ((at, starts[11]),))
    assert ("past the end" in p.message) == recompute


def test_a_length_over_the_record_limit_is_not_trusted(tmp_path) -> None:
    blob = bytearray(_file(tmp_path))
    starts = _starts(bytes(blob))
    at = starts[10]
    blob[at : at + 12] = _length_field(MAX_RECORD_BYTES + 1, recompute=True)
    loaded = _load(tmp_path, bytes(blob))
    assert len(_steps(loaded)) == 59
    (p,) = loaded.problems
    assert (p.kind, p.offset, p.ranges) == ("too-large", at, ((at, starts[11]),))
    assert "limit" in p.message


def test_a_shorter_length_with_a_recomputed_crc_skips_only_its_record(tmp_path) -> None:
    blob = bytearray(_file(tmp_path))
    starts = _starts(bytes(blob))
    at = starts[30]
    (length,) = struct.unpack_from("<Q", blob, at)
    blob[at : at + 12] = _length_field(length - 5, recompute=True)
    loaded = _load(tmp_path, bytes(blob))
    assert len(_steps(loaded)) == 59
    (p,) = loaded.problems
    assert (p.records_skipped, p.ranges) == (1, ((at, starts[31]),))


def test_counts_of_a_span_are_exact(tmp_path) -> None:
    blob = _file(tmp_path)
    starts = _starts(blob)
    # Junk between two records: no record lost.
    junk = blob[: starts[5]] + b"\x00junk!" * 3 + blob[starts[5] :]
    (p,) = _load(tmp_path, junk).problems
    assert (p.records_skipped, p.bytes_skipped, p.ranges) == (0, 18, ((starts[5], starts[5] + 18),))
    # A flipped length field: its data still checks out, so one record is counted.
    flipped = bytearray(blob)
    flipped[starts[5] + 1] ^= 0x10
    (p,) = _load(tmp_path, bytes(flipped)).problems
    assert (p.records_skipped, p.ranges) == (1, ((starts[5], starts[6]),))
    # Three neighbours whose data is damaged: one span of three records.
    span = bytearray(blob)
    for k in (5, 6, 7):
        span[starts[k] + 14] ^= 0xFF
    (p,) = _load(tmp_path, bytes(span)).problems
    assert (p.records_skipped, p.ranges) == (3, ((starts[5], starts[8]),))
    assert "3 records lost" in p.message


def test_spans_beyond_the_reported_ones_are_summed_exactly(tmp_path) -> None:
    blob = bytearray(_file(tmp_path, n=200))
    starts = _starts(bytes(blob))
    damaged = starts[10:150:2]  # 70 records, each its own span
    for at in damaged:
        blob[at + 14] ^= 0xFF
    loaded = _load(tmp_path, bytes(blob))
    assert len(_steps(loaded)) == 200 - 70
    *each, summary = loaded.problems
    assert len(each) == MAX_REPORTED
    extra = damaged[MAX_REPORTED:]
    assert summary.records_skipped == len(extra)
    ranges = tuple((a, starts[starts.index(a) + 1]) for a in extra)
    assert summary.ranges == ranges
    assert summary.bytes_skipped == sum(b - a for a, b in ranges)
    assert f"{len(extra)} more damaged spans" in summary.message


def test_a_text_file_is_not_a_tfrecord_file(tmp_path) -> None:
    text = b"step,loss\n" + b"".join(b"%d,%f\n" % (i, 1 / (i + 1)) for i in range(500))
    (p,) = _load(tmp_path, text).problems
    assert (p.kind, p.bytes_skipped, p.ranges) == ("not-tfrecord", len(text), ((0, len(text)),))


def test_a_long_record_is_asked_for_whole_then_read_once(tmp_path) -> None:
    """A window holding the start of a long record says how many bytes it needs: the loader
    reads them in one window instead of carrying the record through every window."""
    long_data = b"\x09" * (3 << 20)
    blob = frame(header_event_bytes(1.7e9)) + frame(long_data)
    blob += frame(scalar_event_bytes(1.7e9, 5, "after", 2.0))
    buf = np.frombuffer(bytearray(blob[: 1 << 20]), dtype=np.uint8)
    recs = scan_chunk(buf, "f", 0, final=False, state=ScanState())
    at = len(frame(header_event_bytes(1.7e9)))
    assert (len(recs), recs.stop, recs.need) == (1, at, 16 + len(long_data))
    path = tmp_path / "events.out.tfevents.1.long"
    path.write_bytes(blob)
    loaded = load_file(path, chunk_size=1 << 16)
    assert loaded.bytes_read == len(blob)
    assert loaded.columns["after"].steps.tolist() == [5]
    (p,) = loaded.problems  # 0x09 bytes are not an Event: reported, its neighbours kept
    assert p.offset == at and "not a valid Event" in p.message
