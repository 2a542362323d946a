"""The trained model's path, and the test suite's single training step.

``rasa train`` fingerprints the config, domain and data: when ``models/ppa.tar.gz``
matches them it is reused, so the suite trains at most once per data change.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "ppa.tar.gz"


def ensure_trained_model() -> Path:
    """Train (or reuse) the model and return its path.

    ``make test`` has just built the NLU resources and run ``rasa train`` (its ``nlu``
    and ``train`` targets) and says so with ``PPA_MODEL_FRESH=1``: the check is not
    repeated then (fingerprinting alone imports TensorFlow, ~15-30 s).
    """
    if os.environ.get("PPA_MODEL_FRESH") == "1" and MODEL.exists():
        return MODEL
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    subprocess.run([sys.executable, "-m", "bot.nlu.build"], cwd=ROOT, check=True, env=env)
    subprocess.run(
        [sys.executable, "-m", "rasa", "train", "--out", "models", "--fixed-model-name", "ppa"],
        cwd=ROOT,
        check=True,
        env=env,
    )
    if not MODEL.exists():
        raise RuntimeError("rasa train produced no model")
    return MODEL
