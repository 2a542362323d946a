"""Fewer glibc malloc arenas for the Rasa server (issue #14: its resident memory).

TensorFlow allocates from many threads, and glibc gives threads their own arenas (up
to 8 per core), which keep freed memory instead of returning it. With
``MALLOC_ARENA_MAX=2`` a loaded model's process stayed at 1.20–1.26 GB resident here
instead of 1.24–1.32 GB (README, "Issue #14" has the benchmark's figures). glibc
reads the variable when a process starts, so ``python -m bot.rasa`` re-executes
itself once with it set; a value already in the environment is kept.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

ARENAS_VARIABLE = "MALLOC_ARENA_MAX"
DEFAULT_ARENAS = "2"


def environment_with_arena_limit(env: Mapping[str, str]) -> dict[str, str] | None:
    """``env`` plus ``MALLOC_ARENA_MAX=2``; None when it already has a value (or not Linux)."""
    if env.get(ARENAS_VARIABLE) or not sys.platform.startswith("linux"):
        return None
    return {**env, ARENAS_VARIABLE: DEFAULT_ARENAS}


def reexec_with_arena_limit(argv: Sequence[str]) -> None:
    """Replace this process by ``python -m bot.rasa argv…`` with the limit set (same PID).

    Returns only when nothing needs to change.
    """
    env = environment_with_arena_limit(os.environ)
    if env is None:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    # the same interpreter and module, our own arguments: nothing from outside
    os.execve(sys.executable, [sys.executable, "-m", "bot.rasa", *argv], env)  # noqa: S606
