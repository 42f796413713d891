"""The progress line: only on a terminal, only after a delay, never on stdout."""

from __future__ import annotations

import io

from coordlint.execution import progress as progress_module
from coordlint.execution.progress import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_silent_when_not_a_terminal(monkeypatch):
    monkeypatch.setattr(progress_module, "DELAY_SECONDS", 0.0)
    stream = io.StringIO()
    assert list(progress(range(3), 3, "loading", stream)) == [0, 1, 2]
    assert stream.getvalue() == ""


def test_drawn_on_a_terminal_after_the_delay(monkeypatch):
    monkeypatch.setattr(progress_module, "DELAY_SECONDS", -1.0)
    stream = Terminal()
    assert list(progress(["a", "b"], 2, "loading runs", stream)) == ["a", "b"]
    assert stream.getvalue() == "\rloading runs: 0/2\rloading runs: 1/2\rloading runs: 2/2\n"


def test_quiet_for_fast_work_even_on_a_terminal():
    stream = Terminal()
    assert list(progress(range(5), 5, "loading", stream)) == list(range(5))
    assert stream.getvalue() == ""
