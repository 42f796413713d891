"""Errors that end a check with exit code 2: bad usage, bad input, bad config, a broken plugin.

Each carries one line for the user; the CLI prints it (the traceback only with ``--debug``).
"""

from __future__ import annotations


class CoordlintError(Exception):
    """A user-facing error: the message is the whole story, exit code 2."""

    exit_code = 2


class InputError(CoordlintError):
    """A path that does not exist, or one that holds nothing coordlint can read."""


class ConfigError(CoordlintError):
    """An invalid coordlint.yaml / [tool.coordlint] / command-line selection."""


class PluginError(CoordlintError):
    """A plugin that fails to import or registers a malformed or duplicate rule."""
