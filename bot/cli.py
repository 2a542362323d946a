"""Staff command line: ``python -m bot …`` (database, demo data, contracts, cases, NLU review).

Exit codes: 0 success, 1 not found or rejected input, 2 usage error (argparse),
3 database unavailable. Output is not masked (a staff tool); logs are.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import exc

from bot.config import Settings
from bot.store import Database, StoreUnavailable
from bot.store.cases import CaseRecord, CaseRepository
from bot.store.contracts import ContractRecord, ContractRepository
from bot.store.demo import seed_demo
from bot.store.models import CASE_STATUSES

EXIT_OK, EXIT_FAILED, EXIT_UNAVAILABLE = 0, 1, 3
TIME_FORMAT = "%Y-%m-%d %H:%M"

log = logging.getLogger(__name__)


# -- text layout --------------------------------------------------------------------


def display_width(text: str) -> int:
    """Terminal columns of ``text``: wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns."""
    return text + " " * max(0, width - display_width(text))


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An aligned plain-text table."""
    widths = [display_width(h) for h in headers]
    for row in rows:
        widths = [max(w, display_width(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = [headers, ["-" * w for w in widths], *rows]
    return "\n".join(
        "  ".join(pad(c, w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def format_fields(fields: Sequence[tuple[str, str]]) -> str:
    """Aligned ``label  value`` lines; continuation lines of a value are indented."""
    width = max((display_width(label) for label, _ in fields), default=0)
    out = []
    for label, value in fields:
        first, *rest = (value or "-").split("\n")
        out.append(f"{pad(label, width)}  {first}")
        out.extend(f"{' ' * width}  {line}" for line in rest)
    return "\n".join(out)


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


class Output:
    """Where commands write, and how they show times."""

    def __init__(self, settings: Settings, out: TextIO, err: TextIO) -> None:
        """Write to ``out`` / ``err``; show times in ``settings.timezone``."""
        self.settings = settings
        self.tz = ZoneInfo(settings.timezone)
        self.out, self.err = out, err

    def print(self, text: str = "") -> None:
        """A line of normal output."""
        print(text, file=self.out)

    def error(self, text: str) -> None:
        """A line on the error stream."""
        print(text, file=self.err)

    def time(self, value: datetime) -> str:
        """``value`` as the desk's local time."""
        return value.astimezone(self.tz).strftime(TIME_FORMAT)

    def today(self) -> date:
        """Today at the desk."""
        return datetime.now(self.tz).date()


# -- commands -----------------------------------------------------------------------


def _contract_fields(record: ContractRecord, today: date) -> list[tuple[str, str]]:
    days = (record.end_date - today).days
    remaining = (
        f"剩余 {days} 天 {days} days left" if days >= 0 else f"已过期 expired {-days} 天 days ago"
    )
    return [
        ("客户号 Customer", record.customer_number),
        ("合同号 Contract", record.contract_number),
        ("公司名称 Company", record.company),
        ("姓名 Contact", record.contact_name),
        ("注册 Email", record.contact_email),
        ("联系电话 Phone", record.contact_phone),
        ("服务起始日期 Start", record.start_date.isoformat()),
        ("服务截止日期 End", f"{record.end_date.isoformat()}  ({remaining})"),
        ("支持的产品 Products", ", ".join(record.products)),
    ]


async def cmd_seed_demo(db: Database, args: argparse.Namespace, out: Output) -> int:
    """``seed-demo``: write the demo contracts relative to ``--today``."""
    today = args.today or out.today()
    records = await seed_demo(db, today)
    rows = [
        [
            r.customer_number,
            r.contract_number,
            r.company,
            r.end_date.isoformat(),
            ", ".join(r.products),
        ]
        for r in records
    ]
    out.print(f"已写入 {len(records)} 个演示合同 seeded {len(records)} demo contracts:")
    out.print(format_table(["客户号", "合同号", "公司", "截止日期", "产品"], rows))
    return EXIT_OK


async def cmd_contracts_import(db: Database, args: argparse.Namespace, out: Output) -> int:
    """``contracts import FILE``: every row or none."""
    # Imported here: the catalogue (OpenCC, YAML) is slow to load and only this command needs it.
    from bot.contracts_import import import_contracts

    try:
        report = await import_contracts(db, args.file)
    except OSError as error:
        out.error(f"无法读取文件 cannot read {args.file}: {error.strerror or error}")
        return EXIT_FAILED
    if not report.ok:
        for problem in report.errors:
            out.error(str(problem))
        out.error(f"未导入任何合同 nothing imported: {len(report.errors)} error(s)")
        return EXIT_FAILED
    out.print(f"导入完成 imported: {report.inserted} 新增 new, {report.updated} 更新 updated")
    return EXIT_OK


async def cmd_contracts_show(db: Database, args: argparse.Namespace, out: Output) -> int:
    """``contracts show NUMBER``."""
    record = await ContractRepository(db).get(args.number)
    if record is None:
        out.error(f"找不到合同 no contract {args.number!r}")
        return EXIT_FAILED
    out.print(
        _json(record.to_dict())
        if args.json
        else format_fields(_contract_fields(record, out.today()))
    )
    return EXIT_OK


async def cmd_cases_list(db: Database, args: argparse.Namespace, out: Output) -> int:
    """``cases list``: newest first, optionally by status."""
    records = await CaseRepository(db, tz=out.settings.timezone).list(status=args.status)
    if args.json:
        out.print(_json([record.to_dict() for record in records]))
        return EXIT_OK
    if not records:
        out.print("没有案例 no cases")
        return EXIT_OK
    headers = [
        "案例号 Case",
        "状态 Status",
        "级别 Sev",
        "产品 Product",
        "公司 Company",
        "联系人 Contact",
        "创建 Created",
        "响应期限 Due",
    ]
    rows = [
        [
            r.case_id,
            r.status,
            str(r.severity),
            r.product,
            r.company,
            r.contact_name,
            out.time(r.created_at),
            out.time(r.response_due_at),
        ]
        for r in records
    ]
    out.print(format_table(headers, rows))
    return EXIT_OK


def _case_fields(record: CaseRecord, out: Output) -> list[tuple[str, str]]:
    return [
        ("案例号 Case", record.case_id),
        ("状态 Status", record.status),
        ("严重程度 Severity", str(record.severity)),
        ("产品 Product", record.product),
        ("客户号 Customer", record.customer_number or ""),
        ("合同号 Contract", record.contract_number or ""),
        ("公司名称 Company", record.company),
        ("姓名 Contact", record.contact_name),
        ("联系电话 Phone", record.phone),
        ("Email", record.email or ""),
        ("渠道 Channel", f"{record.channel} ({record.sender_id})"),
        ("创建 Created", out.time(record.created_at)),
        ("响应期限 Due", out.time(record.response_due_at)),
    ]


async def cmd_cases_show(db: Database, args: argparse.Namespace, out: Output) -> int:
    """``cases show CASE_ID``: the case, its details and history."""
    record = await CaseRepository(db, tz=out.settings.timezone).get(args.case_id)
    if record is None:
        out.error(f"找不到案例 no case {args.case_id!r}")
        return EXIT_FAILED
    if args.json:
        out.print(_json(record.to_dict()))
        return EXIT_OK
    out.print(format_fields(_case_fields(record, out)))
    if record.details:
        out.print("\n详细信息 Details")
        out.print(format_fields(list(record.details.items())))
    out.print("\n历史 History")
    out.print(
        format_fields(
            [(out.time(e.created_at), f"{e.kind}  {e.note}".rstrip()) for e in record.events]
        )
    )
    return EXIT_OK


async def cmd_privacy_purge(db: Database, args: argparse.Namespace, out: Output) -> int:
    """``privacy purge``: delete conversation events older than ``--older-than`` days."""
    from bot.services.retention import purge

    days = args.older_than or out.settings.retention_days
    report = await purge(db, days, dry_run=args.dry_run)
    when = f"{out.time(report.cutoff)} ({days} 天 days)"
    if not report.events_table:
        out.print("没有对话事件表 no Rasa events table yet (the Rasa server has not run)")
    verb = "将删除 would delete" if report.dry_run else "已删除 deleted"
    out.print(
        f"{verb} {report.events.events} 条对话事件 conversation events of "
        f"{report.events.conversations} 个会话 conversations older than {when}"
    )
    out.print(f"{verb} {report.identity_attempts} 条验证失败记录 failed identity proofs")
    out.print(f"{verb} {report.nlu_misses} 条未理解消息 misunderstood messages (nlu review)")
    out.print("案例及其记录未改动 cases and their history are kept")
    return EXIT_OK


# -- wiring -------------------------------------------------------------------------

Command = Callable[[Database, argparse.Namespace, Output], Awaitable[int]]


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {value!r}") from error


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        days = 0
    if days < 1:
        raise argparse.ArgumentTypeError(f"not a whole number of days (at least 1): {value!r}")
    return days


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m bot`` argument parser."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="PPA 智能客服 staff tool")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="database schema").add_subparsers(
        dest="action", required=True
    )
    db.add_parser("upgrade", help="create or upgrade the ppa_ tables (idempotent)")

    seed = commands.add_parser("seed-demo", help="insert or refresh the demo contracts")
    seed.add_argument("--today", type=_iso_date, help="date the demo is relative to")
    seed.set_defaults(run=cmd_seed_demo)

    contracts = commands.add_parser("contracts", help="PPA contracts").add_subparsers(
        dest="action", required=True
    )
    imp = contracts.add_parser("import", help="import a contracts CSV (all rows or none)")
    imp.add_argument("file")
    imp.set_defaults(run=cmd_contracts_import)
    show = contracts.add_parser("show", help="show one contract")
    show.add_argument("number")
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=cmd_contracts_show)

    cases = commands.add_parser("cases", help="support cases").add_subparsers(
        dest="action", required=True
    )
    listing = cases.add_parser("list", help="list cases, newest first")
    listing.add_argument("--status", choices=CASE_STATUSES)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=cmd_cases_list)
    one = cases.add_parser("show", help="show a case with its history")
    one.add_argument("case_id")
    one.add_argument("--json", action="store_true")
    one.set_defaults(run=cmd_cases_show)

    privacy = commands.add_parser("privacy", help="retention of conversation data").add_subparsers(
        dest="action", required=True
    )
    purge = privacy.add_parser(
        "purge", help="delete Rasa conversation events older than DAYS (cases are kept)"
    )
    purge.add_argument(
        "--older-than", type=_days, metavar="DAYS", help="default PPA_RETENTION_DAYS (180)"
    )
    purge.add_argument("--dry-run", action="store_true", help="only count what would go")
    purge.set_defaults(run=cmd_privacy_purge)

    # Late: bot.cli_desk and bot.cli_nlu import this module.
    from bot.cli_desk import register
    from bot.cli_nlu import register as register_nlu

    register(commands, cases)
    register_nlu(commands)
    return parser


async def _run(command: Command, args: argparse.Namespace, settings: Settings, out: Output) -> int:
    db = Database.from_settings(settings)
    try:
        return await command(db, args, out)
    finally:
        await db.dispose()


def main(
    argv: Sequence[str] | None = None,
    settings: Settings | None = None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Run one command; returns the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    settings = settings or Settings.from_env()
    output = Output(settings, out, err)
    try:
        if args.command == "db":
            # Alembic is imported only for this command: it doubles every other command's start-up.
            from bot.store.migrate import current_revision, upgrade

            upgrade(settings.db_url)
            output.print(f"数据库已升级 database at revision {current_revision(settings.db_url)}")
            return EXIT_OK
        return asyncio.run(_run(args.run, args, settings, output))
    except (StoreUnavailable, exc.ProgrammingError) as error:
        # A missing table is ProgrammingError on PostgreSQL and OperationalError on SQLite.
        output.error(
            f"数据库不可用 {error}\n"
            "请检查 PPA_DB_URL 并确认已运行 check PPA_DB_URL and run: python -m bot db upgrade"
        )
        return EXIT_UNAVAILABLE
