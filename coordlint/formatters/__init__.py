"""Built-in output formats, registered through the ``coordlint_formatters`` hook like a plugin's."""

from __future__ import annotations

from collections.abc import Callable

import coordlint
from coordlint.formatters import json_format, junit_format, text_format
from coordlint.report import Report


@coordlint.hookimpl
def coordlint_formatters() -> dict[str, Callable[[Report], str]]:
    return {
        "text": text_format.format_report,
        "json": json_format.format_report,
        "junit": junit_format.format_report,
    }
