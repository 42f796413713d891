"""The column-wise decoder: every record of a one-scalar layout decoded with array operations.

See :mod:`coordlint.loading.events` for the layouts taken; the byte-level checks are in
:mod:`coordlint.loading.layout`. Records not taken are left to protobuf: what this decoder
returns must be exactly what protobuf makes of the records it takes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from coordlint.loading import layout
from coordlint.loading.layout import F32, tensor_layout, varint2, view
from coordlint.loading.tensors import SCALAR_PLUGINS

__all__ = ["FastColumns", "decode_fast"]

_WORD_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
_HASH_MUL = np.uint64(0x9E3779B97F4A7C15)


@dataclass
class FastColumns:
    """The points of one chunk's one-scalar records, in record order, before their tags'
    plugins are known (:meth:`scalar_points` drops the tensors a plugin makes no scalars)."""

    tags: list[str]
    codes: np.ndarray  # per point: index into tags
    index: np.ndarray  # per point: record index
    steps: np.ndarray
    values: np.ndarray
    walls: np.ndarray
    first_index: int | None
    first_wall: float | None
    #: Per point: whether its value is a tensor (counted only under a scalar plugin).
    tensor: np.ndarray
    #: Per point: the index of its metadata's plugin name in ``plugins``, or -1 (no metadata).
    plugin: np.ndarray
    plugins: list[str]

    def plugin_settings(self, known: dict[str, str]) -> list[tuple[int, str, str]]:
        """``(record index, tag, plugin)`` of each tag's first point with metadata, in record
        order, for the tags whose plugin is not ``known`` yet."""
        unknown = np.array([tag not in known for tag in self.tags], dtype=bool)
        if not unknown.any():
            return []
        with_meta = np.flatnonzero((self.plugin >= 0) & unknown[self.codes])
        if not len(with_meta):
            return []
        _, first = _factorize(self.codes[with_meta])
        at = with_meta[first]
        return [
            (i, self.tags[c], self.plugins[p])
            for i, c, p in zip(
                self.index[at].tolist(),
                self.codes[at].tolist(),
                self.plugin[at].tolist(),
                strict=True,
            )
        ]

    def scalar_points(self, plugins: dict[str, str], set_at: dict[str, int]) -> FastColumns:
        """Without the tensor points of tags whose plugin (when the point was written) is not
        a scalar plugin: what the protobuf path keeps."""
        if not self.tensor.any():
            return self
        # Per tag: from which record index on its plugin holds, and whether it is a scalar one.
        never = np.iinfo(np.int64).max
        since = np.array(
            [set_at.get(t, -1 if t in plugins else never) for t in self.tags], dtype=np.int64
        )
        scalar = np.array([plugins.get(t, "") in SCALAR_PLUGINS for t in self.tags], dtype=bool)
        if scalar.all():
            return self
        drop = self.tensor & ~scalar[self.codes] & (self.index >= since[self.codes])
        if not drop.any():
            return self
        keep = np.flatnonzero(~drop)
        return dataclasses.replace(
            self,
            codes=self.codes[keep],
            index=self.index[keep],
            steps=self.steps[keep],
            values=self.values[keep],
            walls=self.walls[keep],
            tensor=self.tensor[keep],
            plugin=self.plugin[keep],
        )


def decode_fast(
    buf: np.ndarray, data: np.ndarray, lengths: np.ndarray
) -> tuple[FastColumns | None, np.ndarray]:
    """Decode the records with a one-scalar layout; return them and the other records' indexes."""
    n = len(data)
    end = data + lengths

    def at(pos: np.ndarray) -> np.ndarray:
        return buf.take(pos, mode="clip")  # out-of-range only for records that do not match

    ok = (lengths >= 20) & (at(data) == 0x09)
    p = data + 9
    has_step = at(p) == 0x10
    # The step varint (1..10 bytes), decoded a byte position at a time over the records left.
    step = np.zeros(n, dtype=np.uint64)
    vlen = np.zeros(n, dtype=np.int64)
    sub = np.flatnonzero(has_step)
    q = p + 1
    for k in range(10):
        if not len(sub):
            break
        byte = at(q[sub] + k)
        step[sub] |= (byte & 0x7F).astype(np.uint64) << np.uint64(7 * k)
        vlen[sub] = k + 1
        sub = sub[byte >= 0x80]
    if len(sub):  # varints longer than 10 bytes: let protobuf judge
        ok[sub] = False
    r = np.where(has_step, q + vlen, p)
    # PyTorch's layout, at fixed offsets: one-byte lengths, a simple_value, no metadata (most
    # records of most files). The other records take the general parse, on their own.
    l1 = at(r + 1).astype(np.int64)
    tl = at(r + 5).astype(np.int64)
    tag_at = r + 6
    plain = (at(r) == 0x2A) & (l1 < 0x80) & (at(r + 2) == 0x0A) & (at(r + 4) == 0x0A)
    plain &= (at(r + 3) == l1 - 2) & (l1 == tl + 9) & (end == r + 2 + l1)
    plain &= ok & (at(tag_at + tl) == 0x15)  # Value.simple_value, then the record ends
    rest = np.flatnonzero(ok & ~plain)
    ok = plain
    plugins: list[str] = []
    g = _general(buf, at, r[rest], end[rest]) if len(rest) else None
    every_plain = g is None or not g.ok.any()
    if not every_plain:  # per-record columns, the plain records' filled in, then the others'
        assert g is not None
        ok = plain.copy()
        kind = np.where(plain, F32, 0).astype(np.uint8)
        val_at = tag_at + tl + 1
        simple, plugin = plain.copy(), np.full(n, -1, dtype=np.int64)
        ok[rest], tl[rest], tag_at[rest], kind[rest] = g.ok, g.tl, g.tag_at, g.kind
        val_at[rest], plugin[rest], plugins = g.val_at, g.plugin, g.plugins
        simple[rest] = g.simple
        half_bits = None
        if g.half_bits is not None:
            half_bits = np.zeros(n, dtype=np.uint32)
            half_bits[rest] = g.half_bits

    good = np.flatnonzero(ok)
    if len(good) == 0:
        return None, np.arange(n)
    cols = {"data": data, "tl": tl, "tag_at": tag_at, "step": step}
    if not every_plain:
        cols |= {"kind": kind, "val_at": val_at, "simple": simple, "plugin": plugin}
        if half_bits is not None:
            cols["half_bits"] = half_bits
    if len(good) < n:
        cols = {name: col[good] for name, col in cols.items()}
    if every_plain:  # the same for every point: made, not gathered
        m = len(good)
        cols["kind"] = np.full(m, F32, dtype=np.uint8)
        cols["val_at"] = cols["tag_at"] + cols["tl"] + 1
        cols["simple"] = np.ones(m, dtype=bool)
        cols["plugin"] = np.full(m, -1, dtype=np.int64)
    # Tags: factorised by their bytes; a tag that is not valid UTF-8 goes to protobuf.
    tag_at, tl = cols["tag_at"], cols["tl"]
    codes, first, same = _blob_codes(buf, tag_at, tl)
    tags: list[str] = []
    bad_codes = []
    for c, i in enumerate(first.tolist()):
        a = int(tag_at[i])
        try:
            tags.append(bytes(buf[a : a + int(tl[i])]).decode("utf-8"))
        except UnicodeDecodeError:  # protobuf rejects it: let the slow path report it
            tags.append("")
            bad_codes.append(c)
    if bad_codes:
        same &= ~np.isin(codes, bad_codes)
    if not same.all():
        keep = np.flatnonzero(same)
        ok[good[~same]] = False
        good, codes = good[keep], codes[keep]
        cols = {name: col[keep] for name, col in cols.items()}
    walls = view(buf, "<f8")[cols["data"] + 1]
    values = layout.values(buf, cols["kind"], cols["val_at"], cols.get("half_bits"))
    fast = FastColumns(
        tags=tags,
        codes=codes,
        index=good,
        steps=cols["step"].view(np.int64),
        values=values,
        walls=walls,
        first_index=int(good[0]) if len(good) else None,
        first_wall=float(walls[0]) if len(good) else None,
        tensor=~cols["simple"],
        plugin=cols["plugin"],
        plugins=plugins,
    )
    return fast, np.flatnonzero(~ok)


@dataclass
class _Parsed:
    """The general parse of some records (any layout :mod:`.layout` takes), per record."""

    ok: np.ndarray
    tl: np.ndarray
    tag_at: np.ndarray
    kind: np.ndarray
    val_at: np.ndarray
    simple: np.ndarray
    plugin: np.ndarray
    plugins: list[str]
    half_bits: np.ndarray | None


def _general(buf: np.ndarray, at, r: np.ndarray, end: np.ndarray) -> _Parsed:
    """Parse the Summary of records whose Summary field starts at ``r`` and that end at ``end``:
    one Value with a tag, then a simple_value or a scalar tensor, then perhaps its metadata."""
    n = len(r)
    ok = np.ones(n, dtype=bool)
    ok &= at(r) == 0x2A  # Event.summary
    l1, p1, ok1 = varint2(at, r + 1)
    ok &= ok1 & (p1 + l1 == end) & (at(p1) == 0x0A)  # Summary.value: the only one
    l2, p2, ok2 = varint2(at, p1 + 1)
    ok &= ok2 & (p2 + l2 == end) & (at(p2) == 0x0A)  # Value.tag
    tl, tag_at, ok3 = varint2(at, p2 + 1)
    ok &= ok3
    v = tag_at + tl
    key = at(v)
    simple = key == 0x15  # Value.simple_value
    ok &= simple | (key == 0x42)  # Value.tensor
    kind = np.where(simple, F32, 0).astype(np.uint8)
    val_at = v + 1
    val_end = v + 5
    half_bits = None
    tens = np.flatnonzero(ok & ~simple)
    if len(tens):
        half_bits = np.zeros(n, dtype=np.uint32)
        kind[tens], val_at[tens], val_end[tens], half_bits[tens] = tensor_layout(buf, at, v[tens])
        ok[tens] = kind[tens] > 0
    # Then the Value ends, or its metadata (Value.metadata) runs to its end.
    plugin, plugins = _metadata(buf, at, val_end, end, ok)

    return _Parsed(ok, tl, tag_at, kind, val_at, simple, plugin, plugins, half_bits)


def _metadata(
    buf: np.ndarray, at, val_end: np.ndarray, end: np.ndarray, ok: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """Each record's metadata plugin: an index into the returned names, or -1 where the Value
    ends at ``val_end`` (no metadata). A record whose bytes from ``val_end`` on are not one
    Value.metadata field that protobuf parses is taken off ``ok`` (in place).

    Each distinct metadata blob is parsed once. The first record's metadata field (TF2 writes
    the same one on every event) is matched as two 8-byte words; the others are hashed."""
    plugin = np.full(len(end), -1, dtype=np.int64)
    plugins: list[str] = []
    hm = np.flatnonzero(ok & (val_end != end))
    if not len(hm):
        return plugin, plugins
    u64 = view(buf, "<u8")
    last = len(u64) - 1
    first_at, first_end = int(val_end[hm[0]]), int(end[hm[0]])
    size = first_end - first_at
    name = _plugin_name(buf, first_at + 2, size - 2) if 8 <= size <= 16 else None
    if name is not None and buf[first_at] == 0x4A and buf[first_at + 1] == size - 2:
        at0, at1 = val_end[hm], end[hm] - 8
        match = (end[hm] - at0 == size) & (u64[np.minimum(at0, last)] == u64[first_at])
        match &= u64[np.minimum(at1, last)] == u64[first_end - 8]
        plugins.append(name)
        plugin[hm[match]] = 0
        hm = hm[~match]
        if not len(hm):
            return plugin, plugins
    # Any other metadata: its length varint, then one protobuf parse per distinct blob.
    meta_len, meta_at, fine = varint2(at, val_end[hm] + 1)
    fine &= (at(val_end[hm]) == 0x4A) & (meta_at + meta_len == end[hm])
    ok[hm[~fine]] = False
    hm, meta_at, meta_len = hm[fine], meta_at[fine], meta_len[fine]
    if not len(hm):
        return plugin, plugins
    codes, first, same = _blob_codes(buf, meta_at, meta_len)
    names = [_plugin_name(buf, int(meta_at[i]), int(meta_len[i])) for i in first.tolist()]
    number = np.array([-1 if x is None else _index(plugins, x) for x in names], dtype=np.int64)[
        codes
    ]
    ok[hm] = same & (number >= 0)  # unparsable: protobuf reports it
    plugin[hm] = number
    return plugin, plugins


def _index(names: list[str], name: str) -> int:
    """``name``'s index in ``names``, appended if new."""
    if name not in names:
        names.append(name)
    return names.index(name)


def _blob_codes(
    buf: np.ndarray, pos: np.ndarray, length: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Number the distinct byte strings ``buf[pos:pos + length]`` by first appearance: each
    one's code, each code's first index, and per string whether its bytes equal those of its
    code's first string (a hash collision cannot merge two strings: those are False).

    Strings are hashed 8 bytes at a time: the first 16 bytes of every one, then only as far as
    each one goes."""
    u64 = view(buf, "<u8")
    h = length.astype(np.uint64)
    words: list[tuple[np.ndarray | None, np.ndarray]] = []
    live: np.ndarray | None = None  # the strings longer than k (None: all of them)
    max_len = int(length.max()) if len(length) else 0
    if max_len <= 16 and (length == max_len).all():
        # One string repeated (TF2's metadata on every event, one tag): no hashing needed.
        ks = range(0, max_len, 8)
        if all((w == w[0]).all() for w in (_word(buf, u64, pos, length, k, None) for k in ks)):
            zeros = np.zeros(len(pos), dtype=np.int64)
            return zeros, zeros[:1], np.ones(len(pos), dtype=bool)
    for k in range(0, max_len, 8):
        if k >= 16:  # most tags fit in two words: those are read for every string at once
            more = length[live] > k if live is not None else length > k
            if live is not None or not more.all():
                live = np.flatnonzero(more) if live is None else live[more]
        word = _word(buf, u64, pos, length, k, live)
        if live is None:
            h = (h * _HASH_MUL) ^ word
        else:
            h[live] = (h[live] * _HASH_MUL) ^ word
        words.append((live, word))
    h ^= h >> np.uint64(29)
    codes, first = _factorize(h)
    rep = first[codes]
    same = length == length[rep]
    slot = np.zeros(len(pos), dtype=np.int64)  # where each string's word is in a live subset
    for live, word in words:
        if live is None:
            same &= word == word[rep]
        else:  # a string of the same length as its first one is live as long as it is
            slot[live] = np.arange(len(live))
            same[live] &= word == word.take(slot[rep[live]], mode="clip")
    return codes, first, same


def _word(
    buf: np.ndarray,
    u64: np.ndarray,
    pos: np.ndarray,
    length: np.ndarray,
    k: int,
    live: np.ndarray | None,
) -> np.ndarray:
    """Bytes ``k`` to ``k + 8`` of each string (of those ``live``), zero-padded past its end."""
    if live is not None:
        pos, length = pos[live], length[live]
    at = pos + k
    take = np.clip(length - k, 0, 8)  # 0 past a string's end
    last = len(u64) - 1
    word = u64[np.minimum(at, last)] & _WORD_MASKS[take]
    for i in np.flatnonzero(at > last).tolist():  # within 8 bytes of the buffer's end
        a = int(at[i])
        word[i] = int.from_bytes(bytes(buf[a : a + int(take[i])]), "little")
    return word


def _plugin_name(buf: np.ndarray, at: int, length: int) -> str | None:
    """The plugin name in a serialised SummaryMetadata, or None if protobuf rejects it."""
    from tensorboard.compat.proto import summary_pb2

    try:
        meta = summary_pb2.SummaryMetadata.FromString(bytes(buf[at : at + length]))
    except Exception:  # DecodeError, or RuntimeError from upb: the slow path reports it
        return None
    return meta.plugin_data.plugin_name


def _factorize(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes numbering distinct keys by first appearance, and each code's first index."""
    import pandas as pd

    codes, _ = pd.factorize(keys)
    if len(codes) == 0:
        return codes, codes
    running_max = np.maximum.accumulate(codes)
    first = np.flatnonzero(np.concatenate(([True], running_max[1:] > running_max[:-1])))
    return codes, first
