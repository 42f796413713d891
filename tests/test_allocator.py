"""The CLI's allocator tuning: applied on glibc, never over the user's own MALLOC_* settings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from coordlint.cli import allocator

GLIBC = sys.platform == "linux" and os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")


@pytest.mark.skipif(not GLIBC, reason="mallopt tuning is glibc's")
def test_tunes_glibc_unless_the_environment_already_does():
    probe = "from coordlint.cli import allocator; print(allocator.tune())"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    plain = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert plain.stdout.strip() == "True"
    env["MALLOC_MMAP_THRESHOLD_"] = "65536"
    user = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert user.stdout.strip() == "False"


def test_thresholds_keep_a_decode_window_on_the_heap():
    # A 4 MiB window's intermediates must fall under the mmap threshold, and the trim
    # threshold must not hand the heap back between windows.
    from coordlint.loading import CHUNK_SIZE

    assert allocator.MMAP_THRESHOLD > 2 * CHUNK_SIZE
    assert allocator.TRIM_THRESHOLD >= 2 * allocator.MMAP_THRESHOLD
