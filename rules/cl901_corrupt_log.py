"""A log file was damaged or unreadable; coordlint kept every valid point around the damage.

## What it does
Reports what the loader could not read: a truncated final record (a job still writing), a record
whose CRC fails, a file that is empty, holds only its header, is a Git LFS pointer, is not a
TFRecord file at all, or cannot be read; for JSON logs, a line that is not JSON.

**Operating range**: any; it reports the loader's findings, not a statistic. It stays silent on
the undamaged files of ``benchmarks/accuracy`` (all three float32 encodings, resumes).

## Why it matters
Findings on a partly read run may miss the points that were lost. An LFS pointer means the real
log was never fetched (``git lfs pull``). Empty and header-only files (aborted runs) are reported
as info; real damage as a warning.

## Data
``file``, ``kind``, ``offset`` (byte offset of the damage, -1 when not applicable),
``records_skipped``.

## Example
``run CL901 [warning] events.out.tfevents.1600154935: truncated record at byte 40 ...``
"""

from __future__ import annotations

from collections.abc import Iterator

import coordlint

_BENIGN = {"empty", "header-only"}


@coordlint.rule("CL901", "corrupt-log", severity="warning")
def corrupt_log(run: coordlint.Run, params: dict) -> Iterator[coordlint.Finding]:
    for problem in run.problems:
        yield coordlint.Finding(
            f"{_short(problem.file, run.path)}: {problem.message}",
            severity=coordlint.Severity.INFO if problem.kind in _BENIGN else None,
            data={
                "file": problem.file,
                "kind": problem.kind,
                "offset": -1 if problem.offset is None else problem.offset,
                "records_skipped": problem.records_skipped,
            },
        )


def _short(file: str, run_path: str) -> str:
    """The file as the reader knows it: relative to the run directory when it is inside it."""
    prefix = run_path.rstrip("/") + "/"
    return file[len(prefix) :] if file.startswith(prefix) else file
