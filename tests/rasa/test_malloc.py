"""python -m bot.rasa runs Rasa with glibc's malloc arenas limited, once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.rasa.malloc import ARENAS_VARIABLE, environment_with_arena_limit

ROOT = Path(__file__).resolve().parents[2]


def test_the_limit_is_added_once_and_an_operators_value_kept() -> None:
    added = environment_with_arena_limit({"PATH": "/bin"})
    assert added == {"PATH": "/bin", ARENAS_VARIABLE: "2"}
    assert environment_with_arena_limit(added) is None
    assert environment_with_arena_limit({ARENAS_VARIABLE: "8"}) is None


def test_the_rasa_process_runs_with_the_limit_and_the_same_arguments(tmp_path: Path) -> None:
    """The real entry point: one re-execution, with the variable and the same arguments.

    A ``sitecustomize`` records every interpreter start: the first without the
    variable, the second (the re-executed Rasa) with it.
    """
    starts = tmp_path / "starts.txt"
    (tmp_path / "sitecustomize.py").write_text(
        "import os, sys\n"
        f"with open({str(starts)!r}, 'a') as f:\n"
        "    f.write(f\"{os.environ.get('MALLOC_ARENA_MAX')} {sys.argv[1:]}\\n\")\n"
    )
    env = {k: v for k, v in os.environ.items() if k != ARENAS_VARIABLE}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(ROOT)])
    out = subprocess.run(
        [sys.executable, "-m", "bot.rasa", "--version"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Rasa Version" in out.stdout
    assert starts.read_text().splitlines() == ["None ['--version']", "2 ['--version']"]
