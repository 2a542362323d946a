"""One intake field list: the domain's form, the services and the store agree."""

from dataclasses import fields
from pathlib import Path

import yaml

from actions.intake import FORM_SLOTS
from bot.services.cases import DETAIL_FIELDS, INTAKE_FIELDS_ALL, STAGE1_FIELDS, STAGE2_FIELDS
from bot.store import models as m
from bot.store.cases import NewCase

ROOT = Path(__file__).resolve().parents[1]
COLUMN_FIELDS = (*STAGE1_FIELDS, "product")  # the rest lives in ``details``


def test_the_domain_form_asks_exactly_the_intake_fields():
    with open(ROOT / "domain.yml", encoding="utf-8") as fh:
        domain = yaml.safe_load(fh)
    assert tuple(domain["forms"]["outage_form"]["required_slots"]) == FORM_SLOTS
    assert (*INTAKE_FIELDS_ALL, "severity", "case_confirmed") == FORM_SLOTS
    for slot in FORM_SLOTS:
        assert slot in domain["slots"], slot


def test_every_intake_field_has_a_place_in_the_store():
    new_case = {f.name for f in fields(NewCase)}
    columns = set(m.Case.__table__.columns.keys())
    for name in COLUMN_FIELDS:
        assert name in new_case and name in columns, name
    assert "details" in new_case and "details" in columns
    assert set(DETAIL_FIELDS) | set(COLUMN_FIELDS) == set(INTAKE_FIELDS_ALL)
    assert not set(DETAIL_FIELDS) & set(COLUMN_FIELDS)
    assert set(STAGE2_FIELDS) - {"product"} == set(DETAIL_FIELDS)


def test_no_chinese_string_literal_in_the_intake_code():
    import ast
    import re

    cjk = re.compile(r"[\u4e00-\u9fff]")
    for path in ("actions/intake.py", "bot/services/intake.py"):
        tree = ast.parse((ROOT / path).read_text("utf-8"))
        literals = [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        ]
        assert not [s for s in literals if cjk.search(s)], path
