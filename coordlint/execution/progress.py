"""A progress line on stderr, shown only when work takes longer than about a second.

Never on stdout (it carries only the report) and never when stderr is not a terminal (CI logs).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import IO, TypeVar

T = TypeVar("T")
DELAY_SECONDS = 1.0


def progress(
    items: Iterable[T], total: int, label: str, stream: IO[str] | None = None
) -> Iterator[T]:
    """Yield ``items``; after DELAY_SECONDS, redraw ``label: k/total`` on ``stream``."""
    stream = stream or sys.stderr
    enabled = total > 0 and hasattr(stream, "isatty") and stream.isatty()
    start = time.monotonic()
    shown = False
    for done, item in enumerate(items):
        if enabled and time.monotonic() - start > DELAY_SECONDS:
            stream.write(f"\r{label}: {done}/{total}")
            stream.flush()
            shown = True
        yield item
    if shown:
        stream.write(f"\r{label}: {total}/{total}\n")
        stream.flush()
