"""Supervisor pages: reports (with charts), CSV export, audit log, staff, contracts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from aiohttp import web

from bot.desk.app import Route, render_page, services
from bot.desk.charts import bar_svg
from bot.store.records import utc_now

DEFAULT_DAYS = 30
MAX_DAYS = 366


def _days(request: web.Request) -> int:
    raw = request.query.get("days", "")
    return min(int(raw), MAX_DAYS) if raw.isdigit() and int(raw) > 0 else DEFAULT_DAYS


async def reports(request: web.Request) -> web.Response:
    """Conversations, containment, handoffs, cases, CSAT, fallback rate; ECharts charts."""
    days = _days(request)
    report = await services(request).reports.report(utc_now() - timedelta(days=days))
    charts = {
        "cases_per_day": await bar_svg(dict(report.cases_per_day)),
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
    out = io.StringIO()
    writer = csv.writer(out)
    fields = ("case_id", "desk_status", "severity", "product", "company", "contact_name", "phone")
    writer.writerow([*fields, "email", "created_at", "response_due_at", "assignee"])
    for row in rows:
        writer.writerow(
            [getattr(row, f) for f in fields]
            + [row.email or "", row.created_at.isoformat(), row.response_due_at.isoformat()]
            + [row.assignee or ""]
        )
    return web.Response(
        body=out.getvalue().encode("utf-8-sig"),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="cases.csv"'},
    )


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
    Route("GET", "/audit", audit, "supervisor"),
    Route("GET", "/staff", staff, "supervisor"),
    Route("GET", "/contracts/{number}", contract, "supervisor"),
]
