"""The column-wise fast path must give exactly what a full protobuf decode gives."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _loading_helpers import histogram_event, reference_read, scalar_event, tensor_event
from tensorboard.compat.proto import event_pb2, summary_pb2

from coordlint.loading import load_file


def _as_points(columns) -> dict[str, list[tuple[int, float, float]]]:
    return {
        tag: list(zip(c.steps.tolist(), c.values.tolist(), c.wall_times.tolist(), strict=True))
        for tag, c in columns.items()
    }


def _same(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for tag in a:
        if len(a[tag]) != len(b[tag]):
            return False
        for (s1, v1, w1), (s2, v2, w2) in zip(a[tag], b[tag], strict=True):
            if s1 != s2 or w1 != w2 or not (v1 == v2 or (math.isnan(v1) and math.isnan(v2))):
                return False
    return True


def _varied_events(seed: int) -> list[event_pb2.Event]:
    rng = np.random.default_rng(seed)
    tags = [
        "a",
        "loss",
        "eval_loss",
        "train/learning_rate",
        "é/ü/😀",
        "x" * 60,
        "y" * 118,
        "z" * 130,
    ]
    steps = [0, 1, 127, 128, 2**21, 2**35, 2**62, -1, -(2**40)]
    values = [0.0, -0.0, 1.5, float("nan"), float("inf"), -float("inf"), 3.4e38, 1e-45]
    events = []
    for i in range(400):
        kind = rng.integers(0, 10)
        step = int(rng.choice(steps)) if rng.random() < 0.3 else i
        tag = str(rng.choice(tags))
        if kind == 0:
            events.append(histogram_event(step, "hist/" + tag))
        elif kind == 1:
            events.append(tensor_event(step, "tensor/" + tag, float(rng.normal()), dtype="float32"))
        elif kind == 2:  # two values in one summary
            v = [
                summary_pb2.Summary.Value(tag=tag, simple_value=float(rng.normal())),
                summary_pb2.Summary.Value(tag="pair", simple_value=1.0),
            ]
            events.append(
                event_pb2.Event(
                    wall_time=1.6e9 + i, step=step, summary=summary_pb2.Summary(value=v)
                )
            )
        else:
            events.append(scalar_event(step, tag, float(rng.choice(values)), wall=1.6e9 + i / 7))
    events.append(
        event_pb2.Event(
            step=5,
            summary=summary_pb2.Summary(
                value=[summary_pb2.Summary.Value(tag="nowall", simple_value=2.0)]
            ),
        )
    )
    return events


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fast_path_equals_protobuf(tmp_path, tb_write, seed) -> None:
    path = tb_write(tmp_path, _varied_events(seed))
    fast = _as_points(load_file(path).columns)
    slow = _as_points(load_file(path, fast=False).columns)
    reference, _ = reference_read(path)
    assert _same(fast, slow)
    assert _same(fast, reference)
    assert "y" * 118 in fast or seed  # long tags take the fallback and still come back


@pytest.mark.parametrize(
    ("dtype", "value", "expected"),
    [
        ("float32", 0.25, 0.25),
        ("float64", 1 / 3, 1 / 3),
        ("float16", 1.5, 1.5),
        ("bfloat16", 2.5, 2.5),
        ("int32", -7, -7.0),
        ("int64", 2**40, float(2**40)),
        ("int8", -3, -3.0),
        ("uint8", 200, 200.0),
    ],
)
def test_tf2_tensor_scalars(tmp_path, tb_write, dtype, value, expected) -> None:
    build = "float32" if dtype == "bfloat16" else dtype
    events = [tensor_event(s, "epoch_loss", value, dtype=build, plugin=s == 0) for s in range(3)]
    if dtype == "bfloat16":  # make_tensor_proto cannot build it: bfloat16 bits go in half_val
        bits = int(np.array([value], dtype=np.float32).view(np.uint32)[0] >> 16)
        for e in events:
            e.summary.value[0].tensor.Clear()
            e.summary.value[0].tensor.dtype = 14
            e.summary.value[0].tensor.half_val.append(bits)
    loaded = load_file(tb_write(tmp_path, events))
    cols = loaded.columns["epoch_loss"]
    assert cols.steps.tolist() == [0, 1, 2]
    assert cols.values.tolist() == [expected] * 3


def test_tensor_content_encoding(tmp_path, tb_write) -> None:
    from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2

    events = []
    for dt, raw in [
        (1, np.float32(0.5)),
        (2, np.float64(-2.25)),
        (9, np.int64(-5)),
        (19, np.float16(0.125)),
    ]:
        tensor = tensor_pb2.TensorProto(
            dtype=dt, tensor_shape=tensor_shape_pb2.TensorShapeProto(), tensor_content=raw.tobytes()
        )
        val = summary_pb2.Summary.Value(tag=f"dt{dt}", tensor=tensor)
        val.metadata.plugin_data.plugin_name = "scalars"
        events.append(
            event_pb2.Event(wall_time=1.0, step=1, summary=summary_pb2.Summary(value=[val]))
        )
        events.append(
            event_pb2.Event(
                wall_time=2.0,
                step=2,
                summary=summary_pb2.Summary(
                    value=[summary_pb2.Summary.Value(tag=f"dt{dt}", tensor=tensor)]
                ),
            )
        )
    loaded = load_file(tb_write(tmp_path, events))
    assert {t: c.values.tolist() for t, c in loaded.columns.items()} == {
        "dt1": [0.5, 0.5],
        "dt2": [-2.25, -2.25],
        "dt9": [-5.0, -5.0],
        "dt19": [0.125, 0.125],
    }


def test_non_scalar_summaries_are_skipped(tmp_path, tb_write) -> None:
    from tensorboard.util import tensor_util

    text = summary_pb2.Summary.Value(
        tag="args/text_summary", tensor=tensor_util.make_tensor_proto(["hello"])
    )
    text.metadata.plugin_data.plugin_name = "text"
    # A 0-d float tensor under a non-scalar plugin, then the same tag without metadata.
    other = tensor_event(1, "img_stat", 1.0, dtype="float32", plugin=False)
    other.summary.value[0].metadata.plugin_data.plugin_name = "histograms"
    again = tensor_event(2, "img_stat", 2.0, dtype="float32", plugin=False)
    events = [
        event_pb2.Event(wall_time=1.0, step=0, summary=summary_pb2.Summary(value=[text])),
        other,
        again,
        histogram_event(3),
        scalar_event(4, "ok", 4.0),
    ]
    loaded = load_file(tb_write(tmp_path, events))
    assert list(loaded.columns) == ["ok"]
    assert loaded.problems == []
