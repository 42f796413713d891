"""TF2 tensor scalars: the column-wise path reads every layout TF2 writers emit exactly as
protobuf does, and a 0-d tensor without exactly one valid value is a CL901 for its record."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest
from _loading_helpers import (
    histogram_event,
    records,
    reference_read,
    scalar_event,
    tf2_scalar_event,
    write_with_tensorboard,
)
from bench_load import frame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2

from coordlint.loading import load_file
from coordlint.loading.cache import Cache
from coordlint.loading.fast_decode import decode_fast
from coordlint.loading.tfrecord import scan_records

WHOLE = 1 << 30


def _points(loaded) -> dict[str, list[tuple[int, float, float]]]:
    return {
        tag: list(zip(c.steps.tolist(), c.values.tolist(), c.wall_times.tolist(), strict=True))
        for tag, c in loaded.columns.items()
    }


def _assert_same_points(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for tag in a:
        assert len(a[tag]) == len(b[tag]), tag
        for (s1, v1, w1), (s2, v2, w2) in zip(a[tag], b[tag], strict=True):
            assert (s1, w1) == (s2, w2)
            assert v1 == v2 or (math.isnan(v1) and math.isnan(v2))
            assert math.copysign(1, v1) == math.copysign(1, v2)


def _assert_fast_equals_protobuf(path, chunk_size: int = WHOLE) -> None:
    fast = load_file(path, chunk_size=chunk_size)
    slow = load_file(path, fast=False, chunk_size=WHOLE)
    _assert_same_points(_points(fast), _points(slow))
    assert fast.problems == slow.problems
    assert (fast.records, fast.header_only) == (slow.records, slow.header_only)
    assert fast.first_wall_time == slow.first_wall_time or (
        math.isnan(fast.first_wall_time) and math.isnan(slow.first_wall_time)
    )


def _slow_records(path) -> int:
    """How many of the file's records the column-wise decoder leaves to protobuf."""
    buf = np.fromfile(path, dtype=np.uint8)
    recs = scan_records(buf, str(path))
    _, slow = decode_fast(buf, recs.starts + 12, recs.lengths)
    return len(slow)


def _tensor(dtype: int, *, shape: bool = True, **fields) -> tensor_pb2.TensorProto:
    tensor = tensor_pb2.TensorProto(dtype=dtype, **fields)
    if shape:
        tensor.tensor_shape.CopyFrom(tensor_shape_pb2.TensorShapeProto())
    return tensor


def _event(step: int, tag: str, *, tensor=None, plugin: str | None = "scalars", wall=1.7e9):
    val = summary_pb2.Summary.Value(tag=tag, tensor=tensor)
    if plugin is not None:
        val.metadata.plugin_data.plugin_name = plugin
    return event_pb2.Event(wall_time=wall, step=step, summary=summary_pb2.Summary(value=[val]))


# -- the layouts TF2 writers emit ------------------------------------------------------------


def test_bench_tf2_writer_bytes_equal_tensorboard_protos() -> None:
    from bench_load import tensor_scalar_event_bytes
    from tensorboard.plugins.scalar import summary_v2

    for step, tag, value in [(0, "a", 1.5), (3, "epoch_loss", -2.0), (2**40, "é/ü", math.inf)]:
        content = tf2_scalar_event(step, tag, value, wall=1.7e9 + step % 7)
        got = tensor_scalar_event_bytes(1.7e9 + step % 7, step, tag, value)
        assert got == content.SerializeToString()
        # tensorboard's own scalar_pb (make_tensor_proto): float_val
        summary = summary_v2.scalar_pb(tag, np.float32(value))
        event = event_pb2.Event(wall_time=1.7e9 + step % 7, step=step, summary=summary)
        got = tensor_scalar_event_bytes(1.7e9 + step % 7, step, tag, value, value_field="float_val")
        assert got == event.SerializeToString()


_LAYOUTS = [
    (field, dtype)
    for field in ("tensor_content", "val", "torch")
    for dtype in ("float32", "float64", "float16", "bfloat16")
    if field != "torch" or dtype in ("float32", "float64")  # PyTorch writes no others
]


@pytest.mark.parametrize(("field", "dtype"), _LAYOUTS)
@pytest.mark.parametrize("metadata", ["every", "first", "none"])
def test_tf2_layouts_take_the_column_path(tmp_path, field, dtype, metadata) -> None:
    values = [0.0, -0.0, 0.25, -3.5, 1e-3, 65504.0, math.inf, -math.inf, math.nan, 1e-8]
    events = []
    for step, value in enumerate(values):
        for tag in ("epoch_loss", "a" * 140):  # a 2-byte length varint too
            meta = metadata == "every" or (metadata == "first" and step == 0)
            events.append(
                tf2_scalar_event(step, tag, value, dtype=dtype, field=field, metadata=meta)
            )
    events.insert(3, histogram_event(1))
    path = write_with_tensorboard(tmp_path, events)
    _assert_fast_equals_protobuf(path)
    _assert_fast_equals_protobuf(path, chunk_size=97)  # the plugin carried across windows
    assert _slow_records(path) == 2  # the file_version header and the histogram
    got = load_file(path).columns["epoch_loss"]
    assert got.steps.tolist() == list(range(len(values)))
    expected = np.array(values, dtype=np.float32 if dtype == "bfloat16" else dtype)
    if dtype == "bfloat16":  # rounded toward zero to a float32's top 16 bits
        expected = (expected.view(np.uint32) & np.uint32(0xFFFF0000)).view(np.float32)
    np.testing.assert_array_equal(got.values, expected.astype(np.float64))


def test_real_tf2_files_take_the_column_path(realruns) -> None:
    tutorial = realruns / "TheCodeheadMT__TensorBoard-Tutorial" / "archive"
    hparams = next((tutorial / "hparam_tuning" / "Experiment 0_adam_200_0.2").glob("*.v2"))
    _assert_fast_equals_protobuf(hparams)
    # batch_loss and batch_accuracy 15,000 points each, accuracy one
    assert sum(len(c) for c in load_file(hparams).columns.values()) == 30_001
    assert _slow_records(hparams) == 2  # the header and the hparams session record
    for path in sorted(tutorial.rglob("*.v2")):
        _assert_fast_equals_protobuf(path)
        _assert_fast_equals_protobuf(path, chunk_size=4096)
        reference, _ = reference_read(path)
        _assert_same_points(_points(load_file(path)), reference)


def test_encodings_alternating_per_tag_and_plugin_order(tmp_path) -> None:
    events = [
        # "hist": a 0-d float tensor read as a scalar (no plugin yet), then a histograms
        # metadata from a record protobuf decodes (several values) makes later ones not scalars.
        _event(0, "hist", tensor=_tensor(1, tensor_content=struct.pack("<f", 1.0)), plugin=None),
        _event(1, "other", tensor=_tensor(1, float_val=[2.0])),
        event_pb2.Event(
            wall_time=1.7e9,
            step=2,
            summary=summary_pb2.Summary(
                value=[
                    summary_pb2.Summary.Value(
                        tag="hist",
                        tensor=_tensor(1, float_val=[9.0]),
                        metadata=summary_pb2.SummaryMetadata(
                            plugin_data=summary_pb2.SummaryMetadata.PluginData(
                                plugin_name="histograms"
                            )
                        ),
                    ),
                    summary_pb2.Summary.Value(tag="pair", simple_value=3.0),
                ]
            ),
        ),
        _event(3, "hist", tensor=_tensor(1, tensor_content=struct.pack("<f", 4.0))),
        _event(4, "hist", tensor=_tensor(1, float_val=[5.0]), plugin=None),
        # "simple": a simple_value is a scalar whatever its tag's plugin.
        _event(5, "simple", tensor=_tensor(1, float_val=[6.0]), plugin="images"),
        scalar_event(6, "simple", 7.0),
        # "late": the plugin set by a column-path record applies to the protobuf ones after it.
        _event(7, "late", tensor=_tensor(2, double_val=[8.0]), plugin="text"),
        _event(8, "late", tensor=_tensor(1, float_val=[9.0, 9.5]), plugin="scalars"),
        scalar_event(9, "torch", 10.0),
        tf2_scalar_event(10, "tf2", 11.0),
        tf2_scalar_event(11, "tf2v", 12.0, field="val"),
    ]
    path = write_with_tensorboard(tmp_path, events)
    for chunk in (WHOLE, 1, 60):
        _assert_fast_equals_protobuf(path, chunk_size=chunk)
    got = {t: c.values.tolist() for t, c in load_file(path).columns.items()}
    assert got == {
        "hist": [1.0],
        "other": [2.0],
        "pair": [3.0],
        "simple": [7.0],
        "torch": [10.0],
        "tf2": [11.0],
        "tf2v": [12.0],
    }
    assert load_file(path).problems == []  # "late" is a text tensor: not a scalar, no problem


# -- strict tensors ---------------------------------------------------------------------------

_BAD = {
    "bfloat16 content of 1 byte": _tensor(14, tensor_content=b"\x01"),
    "float content of 8 bytes": _tensor(1, tensor_content=struct.pack("<d", 1.0)),
    "double content of 4 bytes": _tensor(2, tensor_content=struct.pack("<f", 1.0)),
    "two float_val": _tensor(1, float_val=[1.0, 2.0]),
    "negative half_val (half)": _tensor(19, half_val=[-1]),
    "negative half_val (bfloat16)": _tensor(14, half_val=[-16192]),
    "half_val above 16 bits": _tensor(19, half_val=[0x10000]),
    "uint8 of 300": _tensor(4, int_val=[300]),
    "int8 of -129": _tensor(6, int_val=[-129]),
    "uint16 of 70000": _tensor(17, int_val=[70000]),
    "bool byte 2": _tensor(10, tensor_content=b"\x02"),
    "content and float_val": _tensor(1, tensor_content=struct.pack("<f", 1.0), float_val=[2.0]),
    "float in double_val": _tensor(1, double_val=[1.0]),
}


@pytest.mark.parametrize("name", list(_BAD))
def test_malformed_scalar_tensor_is_a_problem_not_a_value(tmp_path, name) -> None:
    events = [scalar_event(0, "loss", 1.0), _event(1, "loss", tensor=_BAD[name])]
    events += [scalar_event(2, "loss", 2.0), tf2_scalar_event(3, "loss", 3.0)]
    path = write_with_tensorboard(tmp_path, events)
    blob = path.read_bytes()
    offset = sum(16 + len(r) for r in records(blob)[:2])  # header, first scalar
    for chunk in (WHOLE, 5):
        loaded = load_file(path, chunk_size=chunk)
        assert loaded.columns["loss"].values.tolist() == [1.0, 2.0, 3.0]
        (problem,) = loaded.problems
        assert (problem.kind, problem.file, problem.offset) == ("bad-tensor", str(path), offset)
        assert f"'loss' in the record at byte {offset}" in problem.message
        _assert_fast_equals_protobuf(path, chunk_size=chunk)


@pytest.mark.parametrize(
    ("tensor", "expected"),
    [
        (_tensor(1), 0.0),  # no value at all: TensorFlow's all-zero tensor
        (_tensor(19, half_val=[0xFFFF]), math.nan),
        (_tensor(14, half_val=[0x3FC0]), 1.5),
        (_tensor(4, int_val=[255]), 255.0),
        (_tensor(6, int_val=[-128]), -128.0),
        (_tensor(10, tensor_content=b"\x01"), 1.0),
        (_tensor(9, int64_val=[-(2**63)]), -(2.0**63)),
        (_tensor(23, uint64_val=[2**64 - 1]), 2.0**64),
        (_tensor(1, shape=False, version_number=3, float_val=[0.5]), 0.5),
    ],
)
def test_valid_edge_tensors_are_values(tmp_path, tensor, expected) -> None:
    path = write_with_tensorboard(tmp_path, [_event(1, "t", tensor=tensor)])
    loaded = load_file(path)
    assert loaded.problems == []
    (value,) = loaded.columns["t"].values.tolist()
    assert value == expected or (math.isnan(value) and math.isnan(expected))
    _assert_fast_equals_protobuf(path)


def test_bad_tensors_are_reported_20_then_counted_and_cached(tmp_path) -> None:
    events = [_event(s, "t", tensor=_tensor(4, int_val=[256 + s])) for s in range(25)]
    events.append(tf2_scalar_event(25, "t", 1.0))
    path = write_with_tensorboard(tmp_path / "run", events)
    cache = Cache(tmp_path / "cache", min_size=0)
    for chunk, use_cache in [(WHOLE, None), (7, None), (WHOLE, cache), (WHOLE, cache)]:
        loaded = load_file(path, chunk_size=chunk, cache=use_cache)
        assert [p.kind for p in loaded.problems] == ["bad-tensor"] * 21
        assert loaded.problems[-1].message == (
            "5 more scalar tensors that hold no valid value skipped"
        )
        assert loaded.problems[-1].offset is None
        assert loaded.columns["t"].values.tolist() == [1.0]
    assert loaded.cache_status == "hit"


def test_an_older_cache_entry_is_decoded_again(tmp_path) -> None:
    """An entry written before tensors were strict may hold a malformed tensor's value."""
    from coordlint.loading.cache import FORMAT_VERSION

    events = [_event(0, "t", tensor=_tensor(4, int_val=[300])), scalar_event(1, "t", 1.0)]
    path = write_with_tensorboard(tmp_path / "run", events)
    cache = Cache(tmp_path / "cache", min_size=0)
    load_file(path, cache=cache)
    entry = cache.entry_path(str(path))
    blob = bytearray(entry.read_bytes())
    assert struct.unpack_from("<I", blob, 8)[0] == FORMAT_VERSION == 5
    blob[8:12] = struct.pack("<I", 3)
    entry.write_bytes(bytes(blob))
    loaded = load_file(path, cache=cache)
    assert loaded.cache_status == "corrupt:version 3"
    assert [p.kind for p in loaded.problems] == ["bad-tensor"]
    assert loaded.columns["t"].values.tolist() == [1.0]


# -- properties: any mix of layouts, and damage, read the same both ways -----------------------

_TAGS = ["a", "loss", "é/😀", "x" * 130, ""]
_VALUES = st.one_of(
    st.sampled_from([0.0, -0.0, 1.5, math.nan, math.inf, -math.inf, 3.4e38, 1e-45]),
    st.floats(width=32),
)


@st.composite
def _events(draw) -> event_pb2.Event:
    step = draw(st.sampled_from([0, 1, 127, 128, 2**35, -1]))
    tag = draw(st.sampled_from(_TAGS))
    wall = draw(st.sampled_from([1.7e9, 0.0, 1.6e9 + 0.5]))
    kind = draw(st.integers(0, 11))
    if kind <= 2:
        return scalar_event(step, tag, draw(_VALUES), wall=wall)
    if kind <= 6:
        field = draw(st.sampled_from(["tensor_content", "val", "torch"]))
        dtypes = ["float32", "float64"] + ([] if field == "torch" else ["float16", "bfloat16"])
        return tf2_scalar_event(
            step,
            tag,
            draw(_VALUES),
            dtype=draw(st.sampled_from(dtypes)),
            field=field,
            metadata=draw(st.booleans()),
            description=draw(st.sampled_from([None, "d", "long " * 40])),
            wall=wall,
        )
    if kind == 7:
        return histogram_event(step, tag)
    if kind <= 10:  # a tensor under another plugin, or malformed, or of another dtype
        tensor = draw(
            st.sampled_from([*_BAD.values(), _tensor(3, int_val=[7]), _tensor(1, float_val=[1.0])])
        )
        plugin = draw(st.sampled_from([None, "scalars", "histograms", ""]))
        return _event(step, tag, tensor=tensor, plugin=plugin, wall=wall)
    value = summary_pb2.Summary.Value(tag=tag, simple_value=draw(_VALUES))
    value.metadata.plugin_data.plugin_name = draw(st.sampled_from(["scalars", "images"]))
    return event_pb2.Event(wall_time=wall, step=step, summary=summary_pb2.Summary(value=[value]))


SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(events=st.lists(_events(), min_size=1, max_size=30), chunk=st.integers(1, 300))
def test_any_mix_of_layouts_reads_as_protobuf_does(tmp_path_factory, events, chunk) -> None:
    path = write_with_tensorboard(tmp_path_factory.mktemp("mix"), events)
    _assert_fast_equals_protobuf(path)
    _assert_fast_equals_protobuf(path, chunk_size=chunk)


@SETTINGS
@given(
    events=st.lists(_events(), min_size=1, max_size=12),
    edits=st.lists(
        st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(1, 255)),
        min_size=1,
        max_size=4,
    ),
    chunk=st.integers(1, 300),
)
def test_crc_valid_damage_reads_as_protobuf_does(tmp_path_factory, events, edits, chunk) -> None:
    """Records whose bytes were changed and whose CRCs were then recomputed: whatever protobuf
    makes of them (values, skipped values, bad tensors, invalid Events), so does the fast path."""
    directory = tmp_path_factory.mktemp("dmg")
    blob = write_with_tensorboard(directory, events).read_bytes()
    recs = [bytearray(r) for r in records(blob)]
    for which, pos, x in edits:
        rec = recs[1 + which % (len(recs) - 1)]  # not the header
        rec[pos % len(rec)] ^= x
    path = directory / "events.out.tfevents.2.damaged"
    path.write_bytes(frame(bytes(recs[0])) + b"".join(frame(bytes(r)) for r in recs[1:]))
    _assert_fast_equals_protobuf(path)
    _assert_fast_equals_protobuf(path, chunk_size=chunk)


@SETTINGS
@given(
    dtype=st.sampled_from([1, 2, 3, 4, 5, 6, 9, 10, 14, 17, 19, 22, 23, 7, 8, 0]),
    content=st.binary(max_size=10),
    ints=st.lists(st.integers(-(2**31), 2**31 - 1), max_size=3),
    floats=st.lists(st.floats(width=32), max_size=2),
    shape=st.sampled_from([None, [], [1], [0]]),
)
def test_any_tensor_decodes_without_raising(tmp_path_factory, dtype, content, ints, floats, shape):
    tensor = tensor_pb2.TensorProto(dtype=dtype, tensor_content=content, float_val=floats)
    tensor.int_val.extend(ints)
    tensor.half_val.extend(ints)
    if shape is not None:
        dims = [tensor_shape_pb2.TensorShapeProto.Dim(size=s) for s in shape]
        tensor.tensor_shape.CopyFrom(tensor_shape_pb2.TensorShapeProto(dim=dims))
    path = write_with_tensorboard(tmp_path_factory.mktemp("t"), [_event(1, "t", tensor=tensor)])
    loaded = load_file(path)
    assert [p.kind for p in loaded.problems] in ([], ["bad-tensor"])
    assert sum(len(c) for c in loaded.columns.values()) + len(loaded.problems) <= 1
    _assert_fast_equals_protobuf(path)
