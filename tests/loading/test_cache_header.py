"""The cache does not trust a header because its CRC matches (issue 15, item 10): a hand-edited
entry with recomputed checksums is checked structurally, and any doubt means the event file is
decoded again."""

from __future__ import annotations

import json
import math
import struct

import crc32c
import numpy as np
import pytest
from _loading_helpers import scalar_event, write_with_tensorboard
from fuzz_cache import header_of, with_header

from coordlint.loading import load_file
from coordlint.loading.cache import Cache


@pytest.fixture
def cached(tmp_path):
    """An event file (an increasing tag with a NaN, and a tag written out of order), its
    reference load, and a cache holding it."""
    events = [scalar_event(i, "loss", math.nan if i == 3 else i / 4) for i in range(8)]
    events += [scalar_event(s, "lr", 0.1) for s in (5, 2, 9)]
    path = write_with_tensorboard(tmp_path / "run", events)
    cache = Cache(tmp_path / "cache", min_size=0)
    load_file(path, cache=cache)
    return path, load_file(path), cache


def _result(loaded) -> tuple:
    cols = {
        tag: (c.steps.tolist(), np.asarray(c.values).view(np.int64).tolist())
        for tag, c in loaded.columns.items()
    }
    return cols, loaded.problems, loaded.records, loaded.first_wall_time


def _tag(d: dict, name: str) -> list:
    return next(t for t in d["tags"] if t[0] == name)


EDITS = {
    "size as a string": lambda d: d.update(size=str(d["size"])),
    "a bool for an int": lambda d: d.update(records=True),
    "an integer of 400 digits": lambda d: d.update(size=10**400),
    "offset past the size": lambda d: d.update(offset=d["size"] + 1),
    "no records": lambda d: d.update(records=0),
    "more records than bytes allow": lambda d: d.update(records=d["offset"]),
    "more header records than records": lambda d: d.update(header_records=d["records"] + 1),
    "samples that do not match the offset": lambda d: d["samples"][0].__setitem__(0, 4),
    "a wall time of another type": lambda d: d.update(first_wall_time="soon"),
    "a plugin that is not a string": lambda d: d.update(plugins={"loss": 1}),
    "damaged spans without their problems": lambda d: d.update(corrupt_count=3),
    "a summary without enough spans": lambda d: d.update(
        corrupt_summary=["corrupt", "x", 0, 1, 1, [[0, 1]]]
    ),
    "a problem past the offset": lambda d: d["decode_problems"].append(
        ["corrupt", "x", d["offset"] + 1, 1, 0, []]
    ),
    "a problem range backwards": lambda d: d["decode_problems"].append(
        ["corrupt", "x", 0, 0, 0, [[9, 3]]]
    ),
    "a problem kind that is not a kind": lambda d: d["decode_problems"].append(
        ["<script>", "x", 0, 0, 0, []]
    ),
    "an unknown key": lambda d: d.update(note="hand edited"),
    "a missing key": lambda d: d.pop("plugins"),
    "a tag twice": lambda d: d["tags"].append(list(d["tags"][0])),
    "no points in a block": lambda d: _tag(d, "loss").__setitem__(2, 0),
    "a block CRC beyond 32 bits": lambda d: _tag(d, "loss").__setitem__(1, 2**32),
    "more non-finite values than points": lambda d: _tag(d, "loss").__setitem__(6, 9),
    "a finite first non-finite value": lambda d: _tag(d, "loss").__setitem__(7, [3, 1.5]),
    "steps that cannot increase": lambda d: _tag(d, "loss").__setitem__(5, 2),
    "no non-finite value but a first one": lambda d: _tag(d, "loss").__setitem__(6, 0),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_hand_edited_header_with_recomputed_crc_is_not_used(cached, edit) -> None:
    path, reference, cache = cached
    entry = cache.entry_path(str(path))
    blob = entry.read_bytes()
    header = header_of(blob)
    EDITS[edit](header)
    entry.write_bytes(with_header(blob, json.dumps(header).encode()))
    got = load_file(path, cache=cache)
    assert got.cache_status.startswith("corrupt:bad header")
    assert _result(got) == _result(reference)


def test_a_header_nested_100000_deep_does_not_crash(cached) -> None:
    path, reference, cache = cached
    entry = cache.entry_path(str(path))
    blob = entry.read_bytes()
    header = json.dumps({**header_of(blob), "plugins": "@"}).encode()
    header = header.replace(b'"@"', b"[" * 100_000 + b"]" * 100_000)
    entry.write_bytes(with_header(blob, header))
    got = load_file(path, cache=cache)
    assert got.cache_status == "corrupt:bad header: not JSON: nested deeper than 100 levels"
    assert _result(got) == _result(reference)


def test_block_values_that_disagree_with_the_facts_are_decoded_again(cached) -> None:
    """A block edited with its CRC recomputed passes its checksum, but not its facts: the
    NaN the header counts is gone, so the tag is decoded again and the entry deleted."""
    path, reference, cache = cached
    entry = cache.entry_path(str(path))
    blob = entry.read_bytes()
    header = header_of(blob)
    header_len = struct.unpack_from("<I", blob, 24)[0]
    data_at = (24 + 16 + header_len + 7) & ~7
    payload = bytearray(blob[data_at:])
    k = [t[0] for t in header["tags"]].index("loss")
    at = sum(24 * t[2] for t in header["tags"][:k])
    n = header["tags"][k][2]
    values = np.frombuffer(payload, np.float64, n, at + 8 * n).copy()
    values[3] = 0.75  # the NaN, gone
    payload[at + 8 * n : at + 16 * n] = values.tobytes()
    header["tags"][k][1] = crc32c.crc32c(bytes(payload[at : at + 24 * n]))
    entry.write_bytes(with_header(blob, json.dumps(header).encode(), bytes(payload)))
    got = load_file(path, cache=cache)
    assert got.cache_status == "hit"
    assert got.columns["loss"].facts.non_finite == 1  # what the header says, unread
    assert _result(got) == _result(reference)  # reading the block found the lie
    assert not entry.exists()


def test_an_untouched_entry_still_passes_every_check(cached) -> None:
    path, reference, cache = cached
    got = load_file(path, cache=cache)
    assert got.cache_status == "hit"
    assert _result(got) == _result(reference)
    assert cache.entry_path(str(path)).exists()
