"""Framing and CRCs, on files written by tensorboard's own writer, intact and damaged."""

from __future__ import annotations

import struct

import crc32c
import numpy as np
from _loading_helpers import histogram_event, scalar_event
from bench_load import frame, header_event_bytes, scalar_event_bytes
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c as tb_masked

from coordlint.loading import load_file
from coordlint.loading.crc import RESET, masked_crc32c, unmask_crc
from coordlint.loading.tfrecord import scan_records


def test_masked_crc_matches_tensorboard() -> None:
    for data in (b"", b"a", b"brain.Event:2" * 7, bytes(range(256))):
        assert masked_crc32c(data) == tb_masked(data)
        assert unmask_crc(tb_masked(data)) == crc32c.crc32c(data)


def test_reset_word_brings_any_crc_back_to_zero() -> None:
    rng = np.random.default_rng(0)
    for u in rng.integers(0, 2**32, 200).tolist():
        assert crc32c.crc32c(struct.pack("<I", u ^ RESET), u) == 0


def test_bench_writer_bytes_equal_tensorboard_writer(tmp_path, tb_write) -> None:
    cases = [(0, "a", 1.5), (1, "loss", -2.0), (2**40, "é/ü", float("inf")), (-3, "x" * 200, 0.0)]
    path = tb_write(tmp_path, [scalar_event(s, t, v, wall=1.7e9 + s % 7) for s, t, v in cases])
    blob = path.read_bytes()
    header = frame(header_event_bytes(_first_wall(blob)))
    body = b"".join(frame(scalar_event_bytes(1.7e9 + s % 7, s, t, v)) for s, t, v in cases)
    assert blob == header + body


def _first_wall(blob: bytes) -> float:
    return struct.unpack_from("<d", blob, 13)[0]


def _write(tmp_path, tb_write, n=50):
    events = [scalar_event(i, f"t{i % 3}", float(i)) for i in range(n)]
    events.insert(10, histogram_event(10))
    return tb_write(tmp_path, events)


def _record_starts(blob: bytes) -> list[int]:
    pos, out = 0, []
    while pos < len(blob):
        out.append(pos)
        pos += 16 + struct.unpack_from("<Q", blob, pos)[0]
    return out


def test_intact_file_every_record(tmp_path, tb_write) -> None:
    path = _write(tmp_path, tb_write)
    blob = path.read_bytes()
    recs = scan_records(np.frombuffer(bytearray(blob), dtype=np.uint8), str(path))
    assert recs.starts.tolist() == _record_starts(blob)
    assert recs.problems == []
    loaded = load_file(path)
    assert sum(len(c) for c in loaded.columns.values()) == 50
    assert loaded.columns["t1"].steps.tolist() == list(range(1, 50, 3))


def test_truncated_final_record_keeps_everything_before(tmp_path, tb_write) -> None:
    path = _write(tmp_path, tb_write)
    blob = path.read_bytes()
    last = _record_starts(blob)[-1]
    path.write_bytes(blob[:-3])
    loaded = load_file(path)
    assert sum(len(c) for c in loaded.columns.values()) == 49
    (problem,) = loaded.problems
    assert problem.kind == "truncated" and problem.offset == last
    assert f"file ends at {len(blob) - 3}, record needs {len(blob)}" in problem.message


def test_bad_data_crc_skips_one_record(tmp_path, tb_write) -> None:
    path = _write(tmp_path, tb_write)
    blob = bytearray(path.read_bytes())
    start = _record_starts(bytes(blob))[5]  # record 5 = step 4
    blob[start + 14] ^= 0xFF
    path.write_bytes(bytes(blob))
    loaded = load_file(path)
    assert sum(len(c) for c in loaded.columns.values()) == 49
    assert 4 not in loaded.columns["t1"].steps.tolist()
    (problem,) = loaded.problems
    assert (problem.kind, problem.offset, problem.records_skipped) == ("corrupt", start, 1)


def test_bad_length_crc_resyncs_at_next_record(tmp_path, tb_write) -> None:
    path = _write(tmp_path, tb_write)
    blob = bytearray(path.read_bytes())
    starts = _record_starts(bytes(blob))
    blob[starts[20] : starts[20] + 8] = struct.pack("<Q", 2**62)  # huge, and its CRC fails
    path.write_bytes(bytes(blob))
    loaded = load_file(path)
    assert sum(len(c) for c in loaded.columns.values()) == 49
    (problem,) = loaded.problems
    assert problem.kind == "corrupt" and problem.offset == starts[20]
    assert f"to the next intact record at byte {starts[21]}" in problem.message


def test_bad_length_at_the_end_reports_rest_lost(tmp_path, tb_write) -> None:
    path = _write(tmp_path, tb_write)
    blob = bytearray(path.read_bytes())
    last = _record_starts(bytes(blob))[-1]
    blob[last] ^= 0x40
    path.write_bytes(bytes(blob))
    loaded = load_file(path)
    assert sum(len(c) for c in loaded.columns.values()) == 49
    (problem,) = loaded.problems
    assert problem.kind == "corrupt" and "rest of the file" in problem.message


def test_valid_crc_but_not_an_event_is_corrupt(tmp_path, tb_write) -> None:
    path = _write(tmp_path, tb_write, n=5)
    with open(path, "ab") as fh:
        fh.write(frame(b"\xff\xff\xff\xff"))
        fh.write(frame(scalar_event_bytes(1.0, 99, "t0", 7.0)))
    loaded = load_file(path)
    assert loaded.columns["t0"].steps.tolist() == [0, 3, 99]
    (problem,) = loaded.problems
    assert problem.kind == "corrupt" and "not a valid Event" in problem.message


def test_files_that_are_not_read_as_data(tmp_path, tb_write) -> None:
    empty = tmp_path / "events.out.tfevents.1.empty"
    empty.write_bytes(b"")
    lfs = tmp_path / "events.out.tfevents.2.lfs"
    lfs.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 12\n")
    text = tmp_path / "events.out.tfevents.3.txt"
    text.write_text("hello, this is not a record file at all\n")
    tiny = tmp_path / "events.out.tfevents.4.tiny"
    tiny.write_bytes(b"\x18\x00\x00")
    header = tb_write(tmp_path / "h", [])
    adir = tmp_path / "events.out.tfevents.5.dir"
    adir.mkdir()
    kinds = {
        p.name: [x.kind for x in load_file(p).problems] for p in (empty, lfs, text, tiny, adir)
    }
    assert kinds == {
        empty.name: ["empty"],
        lfs.name: ["lfs-pointer"],
        text.name: ["not-tfrecord"],
        tiny.name: ["not-tfrecord"],
        adir.name: ["unreadable"],
    }
    loaded = load_file(header)
    assert [p.kind for p in loaded.problems] == ["header-only"] and loaded.columns == {}
