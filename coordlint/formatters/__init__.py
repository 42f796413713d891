"""Built-in output formats, registered through the ``coordlint_formatters`` hook like a plugin's."""

from __future__ import annotations

from collections.abc import Callable

import coordlint
from coordlint.formatters import (
    github_format,
    gitlab_format,
    html_format,
    json_format,
    junit_format,
    markdown_format,
    sarif_format,
    text_format,
)
from coordlint.report import Report


@coordlint.hookimpl
def coordlint_formatters() -> dict[str, Callable[[Report], str]]:
    return {
        "text": text_format.format_report,
        "json": json_format.format_report,
        "junit": junit_format.format_report,
        "github": github_format.format_report,
        "auto": github_format.format_auto,
        "gitlab": gitlab_format.format_report,
        "sarif": sarif_format.format_report,
        "markdown": markdown_format.format_report,
        "html": html_format.format_report,
    }
