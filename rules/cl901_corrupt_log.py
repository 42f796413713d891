"""A log file was damaged or unreadable; coordlint kept every valid point around the damage.

## What it does
Reports what the loader could not read: a truncated final record (a job still writing), damaged
bytes in an event file (a record whose CRC fails, a length that runs past the end or over the
1 GiB record limit, junk between records: the loader skips to the next intact record and says
exactly which bytes it skipped), a scalar tensor that does not hold exactly one valid value of
its dtype (its value is skipped: ``bad-tensor``), a file that is empty, holds only its header,
is a Git LFS pointer, is not a TFRecord file at all, is not a regular file (a FIFO, a device),
is too large to read whole, or cannot be read; for JSON logs, a line that is not JSON or not an
object, has no step that fits int64, or a number beyond float64's range; a config file that is
not a JSON object; a file coordlint itself failed on (``loader-error``: please report it).

A run from which no scalar point could be read at all is an error: each of its log files is
reported at ``error`` with the reason (its damage, or that it holds no scalar point), so the
default gate (``--fail-on error``) fails instead of passing a run nothing was checked on.
**Operating range**: any; it reports the loader's findings, not a statistic. It stays silent on
the undamaged files of ``benchmarks/accuracy`` (all three float32 encodings, resumes).

## Why it matters
Findings on a partly read run may miss the points that were lost. An LFS pointer means the real
log was never fetched (``git lfs pull``). Empty and header-only files (aborted runs) are reported
as info; real damage as a warning; a run with nothing readable as an error, since every other
rule is then "not applicable" and a green check would be a lie.

## Data
``file``, ``kind``, ``offset`` (byte offset of the damage, -1 when not applicable),
``records_skipped`` (records, or log lines, lost: in an event file, the records identifiable in
the skipped bytes, by a length field or a data checksum that still checks out),
``bytes_skipped`` and ``ranges`` (``[start, stop)`` byte offsets of the skipped spans).

## Example
``run CL901 [warning] events.out.tfevents.1600154935: truncated record at byte 40 ...``

``run CL901 [error] events.out.tfevents.1: a Git LFS pointer, not the event file ...; no scalar
point could be read from this run``
"""

from __future__ import annotations

from collections.abc import Iterator

import coordlint

_BENIGN = {"empty", "header-only"}


@coordlint.rule("CL901", "corrupt-log", severity="warning", whole_run=True)
def corrupt_log(run: coordlint.Run) -> Iterator[coordlint.Finding]:
    blind = run.points == 0  # nothing readable: every file's reason is an error
    for problem in run.problems:
        severity = coordlint.Severity.INFO if problem.kind in _BENIGN else None
        yield coordlint.Finding(
            f"{_short(problem.file, run.path)}: {problem.message}" + (_NOTHING if blind else ""),
            severity=coordlint.Severity.ERROR if blind else severity,
            data={
                "file": problem.file,
                "kind": problem.kind,
                "offset": -1 if problem.offset is None else problem.offset,
                "records_skipped": problem.records_skipped,
                "bytes_skipped": problem.bytes_skipped,
                "ranges": [list(r) for r in problem.ranges],
            },
        )
    if not blind:
        return
    damaged = {p.file for p in run.problems}
    config_files = set(run.config.sources)
    for file in run.files:
        if file not in damaged and file not in config_files:
            yield coordlint.Finding(
                f"{_short(file, run.path)}: holds no scalar point" + _NOTHING,
                severity=coordlint.Severity.ERROR,
                data={
                    "file": file,
                    "kind": "no-scalars",
                    "offset": -1,
                    "records_skipped": 0,
                    "bytes_skipped": 0,
                    "ranges": [],
                },
            )


_NOTHING = "; no scalar point could be read from this run"


def _short(file: str, run_path: str) -> str:
    """The file as the reader knows it: relative to the run directory when it is inside it."""
    prefix = run_path.rstrip("/") + "/"
    return file[len(prefix) :] if file.startswith(prefix) else file
