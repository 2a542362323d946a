"""The intents a form lets go (actions) and the rules that then leave it (data/rules.yml) agree.

A form that reads nothing for an intent without a rule to leave it gets Rasa's core
fallback; a rule without the form letting go never runs.
"""

from __future__ import annotations

import yaml

from actions.cases import LEAVES_CASE_FORM
from actions.contracts import LEAVES_CONTRACT_FORM
from harness.model import ROOT


def leaving_rules() -> dict[str, set[str]]:
    """For each form, the intents whose rule runs ``action_leave_form`` inside it."""
    rules = yaml.safe_load((ROOT / "data" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    found: dict[str, set[str]] = {}
    for rule in rules:
        steps = rule.get("steps", [])
        if {"action": "action_leave_form"} not in steps:
            continue
        form = next(c["active_loop"] for c in rule["condition"] if "active_loop" in c)
        found.setdefault(form, set()).add(steps[0]["intent"])
    return found


def test_every_intent_a_form_lets_go_has_its_rule_and_no_other():
    assert leaving_rules() == {
        "case_form": set(LEAVES_CASE_FORM),
        "contract_form": set(LEAVES_CONTRACT_FORM),
    }
