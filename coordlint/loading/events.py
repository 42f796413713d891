"""Decode the scalar points of an event file's records, column-wise where the layout allows.

Almost every record a training writes is one scalar, serialised by protobuf as::

    09 <wall_time f64>  [10 <step varint>]  2a L1  0a L2  0a TL <tag>  <value>  [4a ML <metadata>]

where ``<value>`` is either a ``simple_value`` (PyTorch, tensorboardX, HF: ``15 <f32>``) or a
0-d tensor (``42 TN 08 <dtype> [12 00] <field> FL <bytes>``) holding one DT_FLOAT, DT_DOUBLE,
DT_HALF or DT_BFLOAT16 value in ``tensor_content`` (TF2's C++ writer: ``tf.summary.scalar``,
Keras, Flax) or in its value field (``float_val``/``double_val``/``half_val``:
``make_tensor_proto``, PyTorch's ``new_style``), and ``<metadata>`` the summary metadata TF2
writers repeat on every event (its plugin name decides whether a tensor is a scalar; each
distinct metadata blob is parsed once by protobuf). Every record is checked against that layout
with numpy, byte for byte, including that the lengths add up to the record's length; the
matching ones are decoded with a handful of array operations. Every other record (the
file_version header, summaries with several values, histograms, images, text, other dtypes,
anything malformed...) is decoded by tensorboard's protobuf classes, one record at a time. Tests
check that both paths give exactly what a full protobuf decode gives, damaged files included.

A 0-d numeric tensor that does not hold exactly one valid value of its dtype (content of the
wrong size, several values, a value out of the dtype's range, values in another dtype's field)
is not read as a value: it is a ``bad-tensor`` problem (CL901) for its record. Only records
that pass every check take the fast path, so both paths agree on this too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from coordlint.columns import Problem, ScalarColumns
from coordlint.loading.fast_decode import FastColumns, decode_fast
from coordlint.loading.tensors import SCALAR_PLUGINS, tensor_scalar

__all__ = ["DecodeState", "FileScalars", "bad_tensor_summary", "decode_records"]

#: Bad-tensor problems reported one by one per file; the rest are counted in one summary.
_MAX_REPORTED = 20


@dataclass
class FileScalars:
    """The scalar points of one file, per tag (raw, not normalised), in record order."""

    columns: dict[str, ScalarColumns] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    records: int = 0
    header_only: bool = False
    first_wall_time: float | None = None
    #: Bytes of the event file read to get this result (not counting the cache's sampled
    #: blocks): the whole file cold, only the bytes past the cached offset when cached.
    bytes_read: int = 0
    #: ``off`` (no cache), ``miss``, ``hit`` (nothing new), ``append`` (cached + new bytes), or
    #: ``stale:REASON`` / ``corrupt:REASON`` (entry discarded, file re-read from the start).
    cache_status: str = "off"


@dataclass
class DecodeState:
    """What decoding carries from one chunk of a file to the next."""

    #: Each tag's plugin, from its first value with metadata (TF2 repeats the metadata on every
    #: event; TF1-style writers write it only once).
    plugins: dict[str, str] = field(default_factory=dict)
    records: int = 0
    header_records: int = 0
    first_wall_time: float | None = None
    #: Scalar tensors rejected so far (the first ``_MAX_REPORTED`` are reported one by one).
    bad_tensors: int = 0


def bad_tensor_summary(state: DecodeState, file: str) -> list[Problem]:
    """The one problem summarising bad scalar tensors beyond those reported one by one."""
    if state.bad_tensors <= _MAX_REPORTED:
        return []
    extra = state.bad_tensors - _MAX_REPORTED
    msg = f"{extra} more scalar tensors that hold no valid value skipped"
    return [Problem(file, "bad-tensor", msg, None, 0)]


def _event_pb2():  # imported lazily: most files never need it beyond the header
    from tensorboard.compat.proto import event_pb2

    return event_pb2


class _SlowPoints:
    """Points decoded one record at a time by protobuf."""

    def __init__(self, state: DecodeState) -> None:
        self.by_tag: dict[str, tuple[list[int], list[int], list[float], list[float]]] = {}
        self.state = state
        # A tag's plugin comes from its first value with metadata: shared by a file's chunks.
        self.plugins = state.plugins
        #: Record index at which each tag's plugin was set in this chunk.
        self.plugin_set_at: dict[str, int] = {}
        self.header_records = 0
        self.first_wall_time: float | None = None
        self.first_record_index: int | None = None

    def set_plugin(self, index: int, tag: str, plugin: str) -> None:
        if tag not in self.plugins:
            self.plugins[tag] = plugin
            self.plugin_set_at[tag] = index

    def add(self, index: int, data: bytes, offset: int, file: str, problems: list[Problem]) -> None:
        event_pb2 = _event_pb2()
        try:
            event = event_pb2.Event.FromString(data)
        except Exception as exc:  # protobuf raises DecodeError (or RuntimeError from upb)
            problems.append(
                Problem(
                    file,
                    "corrupt",
                    f"record at byte {offset} passes its checksum but is not a valid Event"
                    f" ({type(exc).__name__}); skipped",
                    offset,
                    1,
                )
            )
            return
        if self.first_record_index is None or index < self.first_record_index:
            self.first_record_index = index
            self.first_wall_time = event.wall_time
        what = event.WhichOneof("what")
        if what == "file_version":
            self.header_records += 1
            return
        if what != "summary":
            return
        step, wall = event.step, event.wall_time
        plugins = self.plugins
        for value in event.summary.value:
            tag = value.tag
            if value.HasField("metadata"):
                self.set_plugin(index, tag, value.metadata.plugin_data.plugin_name)
            kind = value.WhichOneof("value")
            if kind == "simple_value":
                number = value.simple_value
            elif kind == "tensor":
                if plugins.get(tag, "") not in SCALAR_PLUGINS:
                    continue
                number, why = tensor_scalar(value.tensor)
                if why is not None:
                    self._bad_tensor(tag, why, offset, file, problems)
                if number is None:
                    continue
            else:
                continue
            cols = self.by_tag.get(tag)
            if cols is None:
                cols = self.by_tag[tag] = ([], [], [], [])
            cols[0].append(index)
            cols[1].append(step)
            cols[2].append(number)
            cols[3].append(wall)

    def _bad_tensor(self, tag: str, why: str, offset: int, file: str, problems: list[Problem]):
        self.state.bad_tensors += 1
        if self.state.bad_tensors <= _MAX_REPORTED:
            msg = f"scalar tensor of tag {tag!r} in the record at byte {offset}: {why}; skipped"
            problems.append(Problem(file, "bad-tensor", msg, offset, 0))


def decode_records(
    buf: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    file: str,
    *,
    fast: bool = True,
    state: DecodeState | None = None,
    base: int = 0,
) -> FileScalars:
    """Decode the records at ``starts`` (data at ``starts + 12``) into per-tag columns.

    ``fast=False`` decodes every record with protobuf (the reference the fast path must match).
    A chunk of a file passes the file's ``state`` and its offset ``base`` (for problem offsets);
    ``header_only`` and ``first_wall_time`` then describe the file so far.
    """
    n = len(starts)
    if state is None:
        state = DecodeState()
    result = FileScalars(records=n)
    slow = _SlowPoints(state)
    if fast and n:
        fast_cols, slow_idx = decode_fast(buf, starts + 12, lengths)
    else:
        fast_cols, slow_idx = None, np.arange(n)
    # A tag's plugin is set by its first value with metadata, whichever path decodes it: the
    # fast path's first ones are applied in record order between the slow records.
    settings = fast_cols.plugin_settings(state.plugins) if fast_cols is not None else []
    k = 0
    for i in slow_idx.tolist():
        while k < len(settings) and settings[k][0] < i:
            slow.set_plugin(*settings[k])
            k += 1
        a = int(starts[i]) + 12
        slow.add(i, bytes(buf[a : a + int(lengths[i])]), base + a - 12, file, result.problems)
    for setting in settings[k:]:
        slow.set_plugin(*setting)
    # The header (record 0) is usually decoded slowly; else take the fast path's wall time.
    if fast_cols is not None and fast_cols.first_index is not None:
        if slow.first_record_index is None or fast_cols.first_index < slow.first_record_index:
            slow.first_wall_time = fast_cols.first_wall
        fast_cols = fast_cols.scalar_points(slow.plugins, slow.plugin_set_at)
    if state.first_wall_time is None:
        state.first_wall_time = slow.first_wall_time
    state.records += n
    state.header_records += slow.header_records
    result.first_wall_time = state.first_wall_time
    result.header_only = state.records == 1 and state.header_records == 1
    result.columns = _merge(fast_cols, slow)
    return result


def _merge(fast: FastColumns | None, slow: _SlowPoints) -> dict[str, ScalarColumns]:
    """Per-tag columns in record order, from both decoders."""
    out: dict[str, ScalarColumns] = {}
    if fast is not None and len(fast.codes):
        ntags = len(fast.tags)
        code_dtype = np.int16 if ntags < 2**15 else np.int64
        order = np.argsort(fast.codes.astype(code_dtype), kind="stable")
        bounds = np.concatenate(([0], np.cumsum(np.bincount(fast.codes, minlength=ntags))))
        steps, values, walls = fast.steps[order], fast.values[order], fast.walls[order]
        index = fast.index[order] if slow.by_tag else None
        for c, tag in enumerate(fast.tags):
            a, b = int(bounds[c]), int(bounds[c + 1])
            if a == b:
                continue
            cols = ScalarColumns(steps[a:b], values[a:b], walls[a:b])
            extra = slow.by_tag.pop(tag, None)
            if extra is not None:
                assert index is not None
                cols = _merge_in_order(index[a:b], cols, extra)
            if tag in out:  # cannot happen (codes are distinct tags); keep it safe
                out[tag] = ScalarColumns.concat([out[tag], cols])
            else:
                out[tag] = cols
    for tag, (_idx, steps_l, values_l, walls_l) in slow.by_tag.items():
        out[tag] = ScalarColumns(
            np.array(steps_l, dtype=np.int64),
            np.array(values_l, dtype=np.float64),
            np.array(walls_l, dtype=np.float64),
        )
    return out


def _merge_in_order(
    index: np.ndarray,
    cols: ScalarColumns,
    extra: tuple[list[int], list[int], list[float], list[float]],
) -> ScalarColumns:
    idx = np.concatenate((index, np.array(extra[0], dtype=np.int64)))
    order = np.argsort(idx, kind="stable")
    return ScalarColumns(
        np.concatenate((cols.steps, np.array(extra[1], dtype=np.int64)))[order],
        np.concatenate((cols.values, np.array(extra[2], dtype=np.float64)))[order],
        np.concatenate((cols.wall_times, np.array(extra[3], dtype=np.float64)))[order],
    )
