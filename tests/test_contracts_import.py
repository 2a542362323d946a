"""bot.contracts_import: every bad row reported by line, all rows imported or none."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from bot.contracts_import import HEADER, import_contracts, parse_contracts_csv
from bot.store import Database
from bot.store import models as m
from bot.store.contracts import ContractRepository

HEADER_LINE = ",".join(HEADER)
GOOD_ROWS = [
    (
        "8800101,PPA-T-0001,测试一有限公司,王一,Wang.Yi@Example.com,139 1234 5678,"
        "2025-01-01,2026-01-01,DB2;was;mq"
    ),
    (
        "8800101,ppa-t-0002,测试一有限公司,王一,wang.yi@example.com,010-62345678转12,"
        "2025-02-01,2026-02-01,Informix"
    ),
    (
        '8800102,PPA-T-0003,"测试二有限公司, 北京",李二,li.er@example.com,+86 138 0000 0102,'
        "2024-06-01,2025-06-01,cognos ; Lotus Notes；domino；Notes"
    ),
]


def csv_text(*rows: str, header: str = HEADER_LINE) -> str:
    return "\n".join([header, *rows]) + "\n"


def write(tmp_path: Path, text: str, *, bom: bool = False, name: str = "c.csv") -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def test_good_file_parses(tmp_path: Path) -> None:
    records, errors = parse_contracts_csv(write(tmp_path, csv_text(*GOOD_ROWS), bom=True))
    assert errors == []
    first, second, third = records
    assert first.products == ["DB2", "WebSphere Application Server", "WebSphere MQ"]
    assert first.contact_email == "wang.yi@example.com"
    assert first.contact_phone == "13912345678"
    assert (first.start_date, first.end_date) == (date(2025, 1, 1), date(2026, 1, 1))
    assert second.contract_number == "PPA-T-0002"
    assert second.contact_phone == "010-62345678-12"
    assert third.company == "测试二有限公司, 北京"
    assert third.products == ["Cognos", "Notes", "Domino"]


def test_text_input_and_str_path(tmp_path: Path) -> None:
    assert len(parse_contracts_csv(csv_text(*GOOD_ROWS))[0]) == 3
    path = write(tmp_path, csv_text(*GOOD_ROWS))
    assert len(parse_contracts_csv(str(path))[0]) == 3


def test_bad_rows_are_each_reported_with_line_and_reason(tmp_path: Path) -> None:
    text = csv_text(
        GOOD_ROWS[0],  # line 2
        "8800103,PPA-T-0004,公司,,a@example.com,13800000103,2025-01-01,2026-01-01,DB2",  # 3
        "8800103,PPA-T-0005,公司,张,a@example.com,13800000103,2025-01-01,2026-01-01,DB2;Oracle",
        "8800103,PPA-T-0006,公司,张,a@example.com,13800000103,2025/01/01,2026-01-01,DB2",  # 5
        "8800103,PPA-T-0007,公司,张,a@example.com,13800000103,2025-06-01,2025-01-01,DB2",  # 6
        "8800103,ppa-t-0001,公司,张,a@example.com,13800000103,2025-01-01,2026-01-01,DB2",  # 7
        "8800103,PPA-T-0008,公司,张,a@example.com,12345,2025-01-01,2026-01-01,DB2",  # 8
        "8800103,PPA-T-0009,公司,张,not-an-email,13800000103,2025-01-01,2026-01-01,DB2",  # 9
        "",  # 10: blank, skipped
        "8800103,PPA-T-0010,公司,张,a@example.com,13800000103,2025-01-01",  # 11
        GOOD_ROWS[1],  # 12
    )
    records, errors = parse_contracts_csv(write(tmp_path, text))
    by_line = {e.line: e.reason for e in errors}
    assert sorted(by_line) == [3, 4, 5, 6, 7, 8, 9, 11]
    assert "missing field: contact_name" in by_line[3] and "缺少字段" in by_line[3]
    assert "unknown product" in by_line[4] and "Oracle" in by_line[4]
    assert "bad date" in by_line[5] and "2025/01/01" in by_line[5]
    assert "before start_date" in by_line[6]
    assert "duplicate contract number PPA-T-0001" in by_line[7] and "line 2" in by_line[7]
    assert "malformed phone" in by_line[8] and "12345" in by_line[8]
    assert "malformed email" in by_line[9] and "not-an-email" in by_line[9]
    assert "wrong number of fields" in by_line[11]
    assert str(errors[0]) == f"line 3: {by_line[3]}"
    assert [r.contract_number for r in records] == ["PPA-T-0001", "PPA-T-0002"]


def test_one_row_with_several_problems_reports_them_all() -> None:
    row = "8800103,PPA-T-0004,公司,张,bad,123,2025-13-01,2026-01-01,Foo;DB2;Bar"
    _, errors = parse_contracts_csv(csv_text(row))
    reasons = " | ".join(e.reason for e in errors)
    assert {e.line for e in errors} == {2}
    for expected in ("malformed phone", "malformed email", "bad date", "'Foo'", "'Bar'"):
        assert expected in reasons


def test_wrong_header_is_line_one() -> None:
    header = HEADER_LINE.replace("contact_email", "email")
    records, errors = parse_contracts_csv(csv_text(*GOOD_ROWS, header=header))
    assert records == []
    assert [e.line for e in errors] == [1]
    assert "wrong header" in errors[0].reason and "表头" in errors[0].reason


def test_empty_file(tmp_path: Path) -> None:
    _, errors = parse_contracts_csv(write(tmp_path, ""))
    assert [e.line for e in errors] == [1]


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes((csv_text(GOOD_ROWS[0]) + GOOD_ROWS[1]).encode("gbk"))
    _, errors = parse_contracts_csv(path)
    assert [e.line for e in errors] == [2]
    assert "UTF-8" in errors[0].reason


def test_multiline_quoted_field_keeps_line_numbers() -> None:
    quoted = GOOD_ROWS[0].replace("测试一有限公司", '"测试一\n有限公司"')
    bad = "8800103,PPA-T-0009,公司,张,bad,13800000103,2025-01-01,2026-01-01,DB2"
    _, errors = parse_contracts_csv(csv_text(quoted, bad))
    assert [e.line for e in errors] == [4]


async def _contract_count(db: Database) -> int:
    async with db.transaction() as session:
        count: int = (
            await session.execute(select(func.count()).select_from(m.Contract))
        ).scalar_one()
        return count


async def test_good_file_imports_and_reimport_updates(db: Database, tmp_path: Path) -> None:
    report = await import_contracts(db, write(tmp_path, csv_text(*GOOD_ROWS)))
    assert (report.ok, report.inserted, report.updated) == (True, 3, 0)
    assert await _contract_count(db) == 3

    changed = GOOD_ROWS[0].replace("2026-01-01", "2027-01-01").replace("DB2;was;mq", "DB2")
    new_row = GOOD_ROWS[1].replace("ppa-t-0002", "PPA-T-0099")
    report = await import_contracts(db, write(tmp_path, csv_text(changed, new_row), name="2.csv"))
    assert (report.ok, report.inserted, report.updated) == (True, 1, 1)
    record = await ContractRepository(db).get("PPA-T-0001")
    assert record is not None
    assert (record.end_date, record.products) == (date(2027, 1, 1), ["DB2"])
    assert await _contract_count(db) == 4


async def test_bad_file_imports_nothing(db: Database, tmp_path: Path) -> None:
    bad = "8800103,PPA-T-0004,公司,张,a@example.com,13800000103,2025-01-01,2026-01-01,Oracle"
    report = await import_contracts(db, write(tmp_path, csv_text(*GOOD_ROWS, bad)))
    assert not report.ok
    assert [e.line for e in report.errors] == [5]
    assert (report.inserted, report.updated) == (0, 0)
    assert await _contract_count(db) == 0
