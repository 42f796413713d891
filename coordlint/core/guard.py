"""Run one rule call so that nothing the rule does can stop the check or defeat the gate.

:class:`RuleGuard` wraps every call the engine makes into plugin code:

- **Every escape is caught.** ``SystemExit``, ``KeyboardInterrupt`` and ``GeneratorExit`` raised
  by a rule are results like any exception (the engine turns them into ``CL900``), so
  ``sys.exit(0)`` in a rule cannot end the check with exit 0. A real Ctrl-C is told apart: it
  arrives through the SIGINT handler, which the guard wraps while it is active, and it still
  stops the check.
- **stdout belongs to the report.** While a rule runs, ``sys.stdout`` is ``sys.stderr``, so a
  rule's ``print`` cannot corrupt ``-f json`` on stdout. (Writes to file descriptor 1 from C
  code or ``os.write(1, ...)`` are not redirected.)
- **A time limit** (``--rule-timeout``, config ``rule-timeout``): a call still running after
  ``timeout`` seconds is stopped and reported as timed out.

How a call is stopped. On the main thread (the CLI, a notebook) the rule runs right there and a
``SIGALRM`` interval timer raises :class:`RuleTimeout` inside it when the limit passes. That
interrupts Python loops, ``time.sleep``, blocking reads and C code that checks for signals (the
``re`` module does, so a catastrophic regex is stopped too), and the rule's ``finally`` blocks
run. :class:`RuleTimeout` is a ``BaseException``: ``except Exception`` in the rule does not
swallow it. A rule that catches even that is interrupted again every second; if it is still
running :data:`STOP_GRACE` seconds after its limit, the process ends with exit 2 and one line on
stderr (a rule that refuses to stop has defeated every other way to end the check; exiting 0
or hanging would be worse). An interrupt that lands in a finalizer or weakref callback is lost
there, unseen; the next comes a second later.

Off the main thread (the Python API called from a worker thread), or where ``SIGALRM`` does not
exist, or when the caller already has an alarm pending, a signal cannot be used: the rule runs
in a daemon thread the caller waits for. At the limit the caller gives up on it (reported as
timed out, the check goes on), asks it to stop by raising :class:`RuleTimeout` in it
asynchronously (seen at its next Python bytecode), and abandons it if it does not. An abandoned
thread may still print (to whatever ``sys.stdout`` is then) and burns a core until it ends.

Limits, both paths: C code that holds the GIL and never checks for signals (a C extension's
endless loop) cannot be interrupted by anything in-process: the check waits for it. ``os._exit``
in a rule ends the process; plugins are code, and the guard is against accidents and bugs, not
a sandbox.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import Any

__all__ = [
    "DEFAULT_TIMEOUT",
    "ESCAPES",
    "STOP_GRACE",
    "CallResult",
    "RuleGuard",
    "RuleTimeout",
    "describe",
]

#: Seconds a rule call may take by default: generous (the built-in rules take milliseconds).
DEFAULT_TIMEOUT = 60.0
#: Seconds after its limit a rule that keeps catching :class:`RuleTimeout` is given before the
#: process ends (main-thread path).
STOP_GRACE = 10.0
_REPEAT = 1.0  # seconds between interrupts once the limit passed
_LONGEST = 1e8  # seconds: a longer time limit is no limit
#: What plugin code may raise that must not end the process: every exception, and the
#: ``BaseException``s a plugin can raise by accident (``sys.exit``, ``raise KeyboardInterrupt``,
#: a generator's ``GeneratorExit``).
ESCAPES = (Exception, SystemExit, KeyboardInterrupt, GeneratorExit)


def describe(exc: BaseException) -> str:
    """``str(exc)``, which runs the plugin's code: never raises."""
    try:
        return str(exc)
    except Exception:
        return f"<{type(exc).__name__} whose message cannot be shown>"


class RuleTimeout(BaseException):
    """Raised inside a rule call whose time limit passed."""


@dataclass(frozen=True)
class CallResult:
    """How a guarded call ended: its value, or the exception it raised (``timed_out`` when the
    limit passed, whatever the call then did)."""

    value: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    abandoned: bool = False  # the call's thread was left running (thread path only)


class RuleGuard:
    """Guards rule calls for the duration of a ``with`` block (one check).

    ``timeout`` is in seconds; ``None``, ``0`` or more than three years means no time limit.
    """

    def __init__(self, timeout: float | None = DEFAULT_TIMEOUT, grace: float = STOP_GRACE) -> None:
        # beyond years a limit is none (and the OS timer could not hold it)
        self.timeout = timeout if timeout and 0 < timeout <= _LONGEST else None
        self.grace = grace
        self._signals = False
        self._armed = False
        self._fired = False
        self._label = ""
        self._deadline = 0.0
        self._user_interrupt = False
        self._saved: dict[int, Any] = {}
        self._unraisable = sys.unraisablehook

    # -- the block ------------------------------------------------------------------------
    def __enter__(self) -> RuleGuard:
        self._unraisable = sys.unraisablehook
        sys.unraisablehook = self._on_unraisable
        on_main = threading.current_thread() is threading.main_thread()
        if on_main:
            previous_int = signal.getsignal(signal.SIGINT)
            if callable(previous_int):  # tell a real Ctrl-C from a rule raising one
                self._saved[signal.SIGINT] = previous_int
                signal.signal(signal.SIGINT, self._on_interrupt)
        self._signals = (
            on_main
            and self.timeout is not None
            and hasattr(signal, "setitimer")
            and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # nobody else's alarm
        )
        if self._signals:
            self._saved[signal.SIGALRM] = signal.signal(signal.SIGALRM, self._on_alarm)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._armed = False
        if self._signals:
            signal.setitimer(signal.ITIMER_REAL, 0)
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)
        self._saved.clear()
        sys.unraisablehook = self._unraisable

    # -- one call -------------------------------------------------------------------------
    def call(self, func: Callable[[], Any], label: str) -> CallResult:
        """Run ``func()`` for the rule named ``label``; never raises, except a real Ctrl-C."""
        self._user_interrupt = False
        if self.timeout is not None and not self._signals:
            return self._call_in_thread(func, label, self.timeout)
        saved = sys.stdout
        self._fired = False
        self._label = label
        try:
            try:
                sys.stdout = sys.stderr
                if self.timeout is not None:
                    self._deadline = time.monotonic() + self.timeout
                    self._armed = True
                    signal.setitimer(signal.ITIMER_REAL, self.timeout, _REPEAT)
                value = func()
            finally:
                self._armed = False
                if self.timeout is not None:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                sys.stdout = saved
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt) and self._user_interrupt:
                raise
            return CallResult(error=exc, timed_out=self._fired)
        if self._user_interrupt:  # the rule swallowed a real Ctrl-C: still stop
            raise KeyboardInterrupt
        if self._fired:  # it swallowed the interrupt and returned late
            return CallResult(error=RuleTimeout(), timed_out=True)
        return CallResult(value=value)

    def _call_in_thread(self, func: Callable[[], Any], label: str, timeout: float) -> CallResult:
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                box["value"] = func()
            except BaseException as exc:  # every escape is a result
                box["error"] = exc

        worker = threading.Thread(target=target, name=f"coordlint rule {label}", daemon=True)
        saved = sys.stdout
        sys.stdout = sys.stderr
        try:
            worker.start()
            worker.join(timeout)
        finally:
            sys.stdout = saved
        if worker.is_alive():
            _raise_in(worker, RuleTimeout)
            worker.join(0.05)
            return CallResult(
                error=box.get("error", RuleTimeout()),
                timed_out=True,
                abandoned=worker.is_alive(),
            )
        if "error" in box:
            return CallResult(error=box["error"])
        return CallResult(value=box.get("value"))

    # -- signal handlers (main thread) ----------------------------------------------------
    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        if not self._armed:
            return
        self._fired = True
        late = time.monotonic() - self._deadline
        if late > self.grace:
            _give_up(self._label, self.timeout or 0.0, late)
        raise RuleTimeout(f"time limit of {self.timeout:g} s passed")

    def _on_unraisable(self, info: Any) -> None:
        # An interrupt that landed in a finalizer or weakref callback is lost there (Python
        # prints "Exception ignored in ..."): say nothing, the next one comes a second later.
        if not isinstance(info.exc_value, RuleTimeout):
            self._unraisable(info)

    def _on_interrupt(self, signum: int, frame: FrameType | None) -> None:
        self._user_interrupt = True
        previous = self._saved.get(signal.SIGINT)
        if callable(previous):
            previous(signum, frame)


def _raise_in(thread: threading.Thread, kind: type[BaseException]) -> None:
    """Ask ``thread`` to raise ``kind`` at its next bytecode (CPython; best effort)."""
    if thread.ident is None:
        return
    set_async_exc = getattr(ctypes.pythonapi, "PyThreadState_SetAsyncExc", None)
    if set_async_exc is not None:
        set_async_exc(ctypes.c_ulong(thread.ident), ctypes.py_object(kind))


def _give_up(label: str, timeout: float, late: float) -> None:
    """End the process: a rule keeps catching the interrupt long after its limit."""
    try:
        sys.__stdout__.flush()  # type: ignore[union-attr]
    except (AttributeError, OSError, ValueError):
        pass
    message = (
        f"coordlint: error: rule {label} still running {late:.0f} s after its time limit of "
        f"{timeout:g} s (it catches the interrupt); stopping the check\n"
    )
    os.write(2, message.encode("utf-8", "replace"))
    os._exit(2)
