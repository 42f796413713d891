"""Write a ``RunSpec`` as a real run directory: TensorBoard event files and a resolved config.

Events are built from tensorboard's own protos and framed by its ``RecordWriter``, one scalar per
event as trainers log them, in one of three float32 encodings:

- ``simple_value``: PyTorch / tensorboardX / HF's ``SummaryWriter.add_scalar``;
- ``tensor_content``: a TF2 0-d ``DT_FLOAT`` tensor holding its 4 bytes in ``tensor_content``;
- ``float_val``: a TF2 0-d ``DT_FLOAT`` tensor holding its value in ``float_val``.

TF2 writes a tag's ``scalars`` plugin metadata with its first value in each file only. A resumed
run gets a second event file, named with a later timestamp, that rewrites the steps from the
resume point on with a fresh noise draw (the resumed attempt saw other batches).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

from .curves import apply
from .families import RunSpec

DT_FLOAT = 1
START_TIME = 1_770_000_000
SECONDS_PER_STEP = 5.0

# metric -> (tag in a run with the soft-CE block, tag in a pure-CE run, how noise enters)
TAGS = {
    "soft_ce": ("eval/coord_softce_w1/soft_ce", "eval/coord_diag/soft_ce", "level"),
    "ce": ("eval/coord_softce_w1/ce", None, "level"),
    "expected_bin_mae": (
        "eval/coord_diag/expected_bin_mae",
        "eval/coord_diag/expected_bin_mae",
        "level",
    ),
    "coord_vocab_mass": (
        "eval/coord_diag/coord_vocab_mass",
        "eval/coord_diag/coord_vocab_mass",
        "mass",
    ),
    "flip": (
        "eval/coord_monitor/flip_coord_to_noncoord",
        "eval/coord_monitor/flip_coord_to_noncoord",
        "rate",
    ),
    "text_token_acc": ("eval/text_token_acc", "eval/text_token_acc", "level"),
    "loss": ("eval/loss", "eval/loss", "level"),
}


def _value(tag: str, value: np.float32, encoding: str, first: bool) -> summary_pb2.Summary.Value:
    if encoding == "simple_value":
        return summary_pb2.Summary.Value(tag=tag, simple_value=float(value))
    shape = tensor_shape_pb2.TensorShapeProto()
    if encoding == "tensor_content":
        tensor = tensor_pb2.TensorProto(
            dtype=DT_FLOAT, tensor_shape=shape, tensor_content=value.tobytes()
        )
    else:
        tensor = tensor_pb2.TensorProto(dtype=DT_FLOAT, tensor_shape=shape, float_val=[value])
    proto = summary_pb2.Summary.Value(tag=tag, tensor=tensor)
    if first:
        proto.metadata.plugin_data.plugin_name = "scalars"
    return proto


def _series(spec: RunSpec, rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each tag's (steps, noisy float32 values) for one attempt, all on the run's eval grid."""
    steps = spec.steps
    block = spec.mode != "pure_ce"
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for metric, (with_block, without, kind) in TAGS.items():
        tag = with_block if block else without
        if tag is None or metric in spec.missing:
            continue
        clean = spec.curves[metric](steps.astype(float))
        if metric == "ce" and spec.mode == "soft_only":
            values = np.zeros(len(steps))  # logged as exactly 0 when ce_weight is 0
        else:
            values = apply(kind, clean, spec.noise, spec.noise.draw(rng, len(steps)))
        out[tag] = (steps, values.astype(np.float32))
    if block:  # the soft-CE block mirrors its terms into coord_diag/* too
        out["eval/coord_diag/soft_ce"] = out["eval/coord_softce_w1/soft_ce"]
    if spec.decode_tag is not None:
        out[spec.decode_tag] = (steps, np.linspace(0.05, 0.3, len(steps), dtype=np.float32))
    return out


def _write_file(
    directory: Path,
    start: int,
    series: dict[str, tuple[np.ndarray, np.ndarray]],
    lo: int,
    hi: int,
    encoding: str,
) -> None:
    """One event file holding every tag's points with ``lo <= step <= hi``, step by step."""
    path = directory / f"events.out.tfevents.{start}.accuracy-bench.{start % 9973}.0"
    seen: set[str] = set()
    with open(path, "wb") as f:
        writer = RecordWriter(f)
        header = event_pb2.Event(wall_time=float(start), file_version="brain.Event:2")
        writer.write(header.SerializeToString())
        grid = next(iter(series.values()))[0]
        for i, step in enumerate(grid.tolist()):
            if not lo <= step <= hi:
                continue
            wall = float(start) + (step - lo) * SECONDS_PER_STEP
            for tag, (_, values) in series.items():
                value = _value(tag, values[i], encoding, tag not in seen)
                seen.add(tag)
                event = event_pb2.Event(
                    wall_time=wall, step=step, summary=summary_pb2.Summary(value=[value])
                )
                writer.write(event.SerializeToString())


def _resolved_config(spec: RunSpec) -> dict:
    assert spec.config is not None
    custom: dict[str, dict] = {"coord_soft_ce_w1": {}, "token_type_metrics": {}}
    for key, value in spec.config.items():
        section, _, name = key.partition(".")
        custom.setdefault(section, {})[name] = value
    custom["token_type_metrics"].setdefault("enabled", spec.token_types)
    training = {"eval_steps": spec.interval, "save_steps": spec.interval * 2}
    return {"resolved": {"custom": custom, "training": training}}


def write_run(spec: RunSpec, root: Path) -> Path:
    """Write ``spec`` under ``root/group/name``; return the run directory."""
    directory = root / spec.group / spec.name
    directory.mkdir(parents=True)
    rng = np.random.default_rng(spec.seed)
    first = _series(spec, rng)
    if spec.resume_steps is None:
        _write_file(directory, START_TIME, first, 0, spec.length, spec.encoding)
    else:
        resumed_from, first_end = spec.resume_steps
        _write_file(directory, START_TIME, first, 0, first_end, spec.encoding)
        second = _series(spec, rng)  # the resumed attempt: same curves, other noise
        later = START_TIME + 10_000_000
        _write_file(directory, later, second, resumed_from, spec.length, spec.encoding)
    if spec.config is not None:
        text = json.dumps(_resolved_config(spec), indent=1)
        (directory / "resolved_config.json").write_text(text, encoding="utf-8")
    return directory
