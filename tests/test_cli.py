"""bot.cli, run as ``python -m bot`` in a subprocess against a temporary database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.cli import display_width, format_fields, format_table
from bot.store import Database
from bot.store.cases import CaseRepository, NewCase
from bot.store.migrate import head_revision
from tests.conftest import sqlite_url
from tests.test_contracts_import import GOOD_ROWS, csv_text

ROOT = Path(__file__).resolve().parent.parent
SUBPROCESS_TIMEOUT_S = 60


def bot(
    db_url: str, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS`` on ``db_url``; ``env`` adds variables, ``stdin`` is typed in."""
    full_env = {**os.environ, **(env or {}), "PPA_DB_URL": db_url, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=full_env,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )


def ok(db_url: str, *args: str) -> str:
    done = bot(db_url, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def open_case(db_url: str, key: str, **details: str) -> str:
    database = Database(db_url)
    try:
        record, _ = await CaseRepository(database).open(
            NewCase(
                idempotency_key=key,
                severity=1,
                product="DB2",
                contact_name="张演示",
                company="演示科技有限公司(DEMO)",
                phone="13800000001",
                customer_number="8800001",
                contract_number="PPA-DEMO-0001",
                channel="rest",
                sender_id="tester",
                details=details or {"error_log": "SQL1224N"},
                response_due_at=datetime.now(timezone.utc) + timedelta(hours=2),
                email="zhang.demo@example.com",
            )
        )
        return record.case_id
    finally:
        await database.dispose()


def test_db_upgrade_and_seed_demo(blank_db_url: str) -> None:
    at_head = f"revision {head_revision()}"
    assert at_head in ok(blank_db_url, "db", "upgrade")
    assert at_head in ok(blank_db_url, "db", "upgrade")  # idempotent

    seeded = ok(blank_db_url, "seed-demo", "--today", "2025-03-01")
    assert "PPA-DEMO-0001" in seeded and "演示科技有限公司(DEMO)" in seeded
    ok(blank_db_url, "seed-demo")  # idempotent, relative to today

    shown = json.loads(ok(blank_db_url, "contracts", "show", "ppa-demo-0001", "--json"))
    assert shown["customer_number"] == "8800001"
    assert "WebSphere MQ" in shown["products"]

    human = ok(blank_db_url, "contracts", "show", "PPA-DEMO-0004")
    assert "已过期 expired" in human and "测试制造有限公司(DEMO)" in human


def test_contracts_import_good_and_bad(db_url: str, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(csv_text(*GOOD_ROWS), encoding="utf-8-sig")
    assert "3 新增 new, 0 更新 updated" in ok(db_url, "contracts", "import", str(good))
    assert "0 新增 new, 3 更新 updated" in ok(db_url, "contracts", "import", str(good))

    bad = tmp_path / "bad.csv"
    bad_row = "8800103,PPA-T-0050,公司,张,a@example.com,12345,2025-01-01,2026-01-01,DB2;Oracle"
    new_good = GOOD_ROWS[0].replace("PPA-T-0001", "PPA-T-0051")
    bad.write_text(csv_text(new_good, bad_row, bad_row.replace("0050", "0052")), "utf-8")
    done = bot(db_url, "contracts", "import", str(bad))
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert any(line.startswith("line 3: ") and "malformed phone" in line for line in lines)
    assert any(line.startswith("line 3: ") and "'Oracle'" in line for line in lines)
    assert any(line.startswith("line 4: ") for line in lines)
    assert "nothing imported" in done.stderr
    assert bot(db_url, "contracts", "show", "PPA-T-0051").returncode == 1  # not imported

    missing = bot(db_url, "contracts", "import", str(tmp_path / "nope.csv"))
    assert missing.returncode == 1 and "nope.csv" in missing.stderr


def test_contracts_show_unknown(db_url: str) -> None:
    done = bot(db_url, "contracts", "show", "PPA-NOPE")
    assert done.returncode == 1
    assert "PPA-NOPE" in done.stderr and done.stdout == ""


async def test_cases_list_and_show(db_url: str) -> None:
    assert json.loads(ok(db_url, "cases", "list", "--json")) == []
    assert "no cases" in ok(db_url, "cases", "list")
    long_log = "WASX7017E 错误\n" * 3000
    first = await open_case(db_url, "cli-1")
    second = await open_case(db_url, "cli-2", error_log=long_log)

    listed = json.loads(ok(db_url, "cases", "list", "--json"))
    assert [c["case_id"] for c in listed] == [second, first]
    required = {
        "case_id", "status", "severity", "product", "customer_number", "contract_number",
        "contact_name", "company", "phone", "channel", "sender_id", "created_at",
        "response_due_at", "details", "events",
    }  # fmt: skip
    assert all(required <= set(c) for c in listed)
    assert datetime.fromisoformat(listed[0]["created_at"]).tzinfo is not None
    assert listed[0]["details"]["error_log"] == long_log
    assert json.loads(ok(db_url, "cases", "list", "--status", "closed", "--json")) == []

    table = ok(db_url, "cases", "list")
    assert first in table and second in table and "演示科技有限公司(DEMO)" in table

    human = ok(db_url, "cases", "show", first.lower())
    assert first in human and "13800000001" in human  # staff output is not masked
    assert "opened" in human.split("History", 1)[1]
    shown = json.loads(ok(db_url, "cases", "show", first, "--json"))
    assert [e["kind"] for e in shown["events"]] == ["opened"]

    unknown = bot(db_url, "cases", "show", "PMR-250101-0000")
    assert unknown.returncode == 1 and "PMR-250101-0000" in unknown.stderr


def test_unavailable_database(tmp_path: Path) -> None:
    done = bot(sqlite_url(tmp_path / "missing" / "dir"), "cases", "list")
    assert done.returncode == 3
    assert "database unavailable" in done.stderr
    assert "Traceback" not in done.stderr


def test_database_not_upgraded(blank_db_url: str) -> None:
    done = bot(blank_db_url, "cases", "list")
    assert done.returncode == 3
    assert "db upgrade" in done.stderr and "Traceback" not in done.stderr


def test_usage_errors() -> None:
    done = bot("sqlite:///unused.db", "cases", "list", "--status", "bogus")
    assert done.returncode == 2


# -- layout helpers (in process) ----------------------------------------------------


def test_display_width_counts_cjk_as_two() -> None:
    assert display_width("abc") == 3
    assert display_width("演示") == 4
    assert display_width("ＤＢ２") == 6
    assert display_width("演示(DEMO)") == 10


@pytest.mark.parametrize("cells", [["演示科技", "x"], ["ab", "演示"]])
def test_table_columns_line_up(cells: list[str]) -> None:
    table = format_table(["公司 Company", "B"], [cells, ["x", "y"]]).splitlines()
    second_column = [display_width(line[: line.rindex(" ") + 1]) for line in table]
    assert len(set(second_column)) == 1


def test_fields_indent_continuation_lines() -> None:
    text = format_fields([("错误 Error", "line one\nline two"), ("x", "")])
    first, second, third = text.splitlines()
    assert second.strip() == "line two"
    assert display_width(first) - len("line one") == display_width(second) - len("line two")
    assert third.endswith("-")
