"""Supervisor pages: reports (with charts), CSV export, audit log, staff, contracts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.desk.app import Route, render_page, services
from bot.desk.charts import SEVERITY_COLORS, bar_svg, stacked_bar_svg
from bot.store import transcripts
from bot.store.records import utc_now

DEFAULT_DAYS = 30
CSV_CHUNK = 64 * 1024  # bytes buffered before a streamed CSV is written out
MAX_DAYS = 366


def _days(request: web.Request) -> int:
    raw = request.query.get("days", "")
    return min(int(raw), MAX_DAYS) if raw.isdigit() and int(raw) > 0 else DEFAULT_DAYS


async def reports(request: web.Request) -> web.Response:
    """Conversations, containment, handoffs, cases, CSAT, fallback rate; ECharts charts."""
    days = _days(request)
    report = await services(request).reports.report(utc_now() - timedelta(days=days))

    def by_day(per_day: dict[str, Any]) -> dict[str, Any]:
        return {day[5:]: n for day, n in per_day.items()}  # MM-DD along the axis

    charts = {
        "conversations_per_day": await bar_svg(by_day(report.conversations_per_day)),
        "cases_per_day_by_severity": await stacked_bar_svg(
            by_day(report.cases_per_day_by_severity), "S{}", SEVERITY_COLORS
        ),
        "cases_per_day_by_product": await stacked_bar_svg(by_day(report.cases_per_day_by_product)),
        "cases_by_severity": await bar_svg(
            {f"S{k}": v for k, v in report.cases_by_severity.items()}
        ),
        "cases_by_product": await bar_svg(dict(list(report.cases_by_product.items())[:10]), True),
        "csat": await bar_svg(dict(report.csat_distribution)),
    }
    return render_page(request, "reports.html", r=report, days=days, charts=charts)


async def cases_csv(request: web.Request) -> web.StreamResponse:
    """Every case in the period as CSV (supervisors: it holds contact details)."""
    svc = services(request)
    rows = await svc.case_desk_repo.queue(limit=100_000)
    await svc.audit.record(request["staff"].name, "export_cases", f"{len(rows)} cases")
    # In the desk's time zone with its offset, as the transcripts: a supervisor read the
    # UTC times as local ones (a thirteenth blind tester).
    tz = ZoneInfo(svc.settings.timezone)
    out = io.StringIO()
    writer = csv.writer(out)
    fields = ("case_id", "desk_status", "severity", "product", "company", "contact_name", "phone")
    writer.writerow([*fields, "email", "created_at", "response_due_at", "assignee"])
    for row in rows:
        times = [
            t.astimezone(tz).isoformat(timespec="seconds")
            for t in (row.created_at, row.response_due_at)
        ]
        writer.writerow(
            [getattr(row, f) for f in fields] + [row.email or "", *times, row.assignee or ""]
        )
    return web.Response(
        body=out.getvalue().encode("utf-8-sig"),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="cases.csv"'},
    )


TRANSCRIPT_FIELDS = ("conversation_id", "channel", "time", "author", "agent", "text")
AUTHORS = {"customer": "客户", "bot": "机器人", "agent": "工程师"}


async def transcripts_csv(request: web.Request) -> web.StreamResponse:
    """Every conversation of the last ``days`` as CSV, streamed (supervisors; audit-logged)."""
    svc = services(request)
    days = _days(request)
    tz = ZoneInfo(svc.settings.timezone)
    await svc.audit.record(request["staff"].name, "export_transcripts", f"{days} days")
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="transcripts-{days}d.csv"',
        }
    )
    await response.prepare(request)
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")  # Excel reads UTF-8 only with the mark
    writer.writerow(TRANSCRIPT_FIELDS)
    async for line in transcripts.export(svc.db, utc_now() - timedelta(days=days)):
        writer.writerow(
            [
                line.conversation_id,
                line.channel,
                line.at.astimezone(tz).isoformat(timespec="seconds"),
                AUTHORS[line.author],
                line.agent or "",
                line.text,
            ]
        )
        if out.tell() > CSV_CHUNK:
            await response.write(out.getvalue().encode("utf-8"))
            out.seek(0)
            out.truncate()
    await response.write(out.getvalue().encode("utf-8"))
    await response.write_eof()
    return response


async def audit(request: web.Request) -> web.Response:
    """Who viewed or changed what, newest first."""
    return render_page(request, "audit.html", entries=await services(request).audit.recent())


async def staff(request: web.Request) -> web.Response:
    """Desk accounts (create them with ``python -m bot staff add``)."""
    return render_page(request, "staff.html", accounts=await services(request).staff.list())


async def contract(request: web.Request) -> web.Response:
    """One contract, in full; audit-logged."""
    svc = services(request)
    number = request.match_info["number"]
    found = await svc.contracts.get(number)
    if found is None:
        raise web.HTTPNotFound(text="没有这个合同 no such contract")
    await svc.audit.record(request["staff"].name, "view_contract", found.contract_number)
    return render_page(request, "contract.html", c=found)


ROUTES = [
    Route("GET", "/reports", reports, "supervisor"),
    Route("GET", "/reports/cases.csv", cases_csv, "supervisor"),
    Route("GET", "/reports/transcripts.csv", transcripts_csv, "supervisor"),
    Route("GET", "/audit", audit, "supervisor"),
    Route("GET", "/staff", staff, "supervisor"),
    Route("GET", "/contracts/{number}", contract, "supervisor"),
]
