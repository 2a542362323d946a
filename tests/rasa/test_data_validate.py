"""``rasa data validate`` runs clean on the training data, with a reviewer's export added.

CI's check of issue #13: the domain, rules, stories and NLU files (and a
``data/nlu_reviewed.yml`` as ``python -m bot nlu review export`` writes it) must load
and validate with no error and no warning other than Rasa's known false positives,
each of which is checked to be one (see ``_explained``). Needs the venv, no model;
Rasa loads TensorFlow, so this takes ≈ 30 s.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from bot.services.nlu_review import training_yaml

ROOT = Path(__file__).resolve().parents[2]
WARNING = re.compile(r"UserWarning: (.*)")
UNUSED = re.compile(r"The utterance '(utter_[\w/]+)' is not used in any story or rule\.")
# Rasa adds the retrieval intents of the NLU data to the domain and then warns that
# ``faq``, which the domain lists as Rasa's docs say, is there twice.
RETRIEVAL_DUPLICATE = (
    "The following duplicated intents have been found across multiple domain files: faq"
)


def _uttered_by_code() -> set[str]:
    """Responses the actions or forms utter: Rasa's validator only looks at stories and rules."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    slots = {s for f in domain["forms"].values() for s in f["required_slots"]}
    names = {f"utter_ask_{slot}" for slot in slots}
    for path in (ROOT / "actions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        names |= set(re.findall(r'response="(utter_\w+)"', source))
        # A retrieval intent's responses by topic (actions.faq: f"utter_faq/{topic}").
        names |= set(re.findall(r'response=f"(utter_\w+)/\{', source))
    names.add("utter_restart")  # what Rasa's action_restart says ("/restart")
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    policies = config.get("policies") or []
    if any(p.get("core_fallback_action_name") == "action_default_fallback" for p in policies):
        names.add("utter_default")  # what Rasa's action_default_fallback says
    return names


def _explained(warning: str, uttered: set[str]) -> bool:
    unused = UNUSED.fullmatch(warning)
    if unused:
        return unused.group(1) in uttered
    return warning == RETRIEVAL_DUPLICATE


def test_rasa_data_validate_is_clean_with_a_reviewed_export(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    (data / "nlu_reviewed.yml").write_text(
        training_yaml({"find_hotline": ["IBM总机号码 [多少]"], "faq/what_is_ppa": ["ppa 是啥"]}),
        encoding="utf-8",
    )
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.rasa", "data", "validate", "--data", str(data)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )
    output = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)
    assert done.returncode == 0, output[-3000:]
    assert "Validating intents" in output and "No story structure conflicts found" in output
    uttered = _uttered_by_code()
    unexplained = [w for w in WARNING.findall(output) if not _explained(w.strip(), uttered)]
    assert unexplained == [], unexplained
