"""The case queue and the case page: assign, note, message, status, escalate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.desk.app import JINJA, Route, form_text, refused, render_page, services
from bot.replies import render
from bot.services.handoff import HandoffError
from bot.store.cases import CaseRecord
from bot.store.models import DESK_CASE_STATUSES
from bot.store.records import utc_now
from bot.store.transcripts import transcript

# The guide: an engineer calls back within 2 hours (severity 1 at once); the due
# time stored with each case already applies it, "overdue" compares with that.
FILTER_STATUSES = ("待受理", *DESK_CASE_STATUSES)


def _int_or_none(value: str) -> int | None:
    return int(value) if value.isdigit() else None


async def case_list(request: web.Request) -> web.Response:
    """Cases with filters: desk status, severity, product, overdue."""
    q = request.query
    status = q.get("status") or None
    if status is not None and status not in FILTER_STATUSES:
        status = None
    rows = await services(request).case_desk_repo.queue(
        desk_status=status,
        severity=_int_or_none(q.get("severity", "")),
        product=q.get("product") or None,
        overdue_at=utc_now() if q.get("overdue") == "1" else None,
    )
    now = utc_now()
    return render_page(
        request,
        "cases.html",
        rows=rows,
        now=now,
        statuses=FILTER_STATUSES,
        q={k: q.get(k, "") for k in ("status", "severity", "product", "overdue")},
    )


async def _case_id(request: web.Request) -> str:
    return request.match_info["case_id"]


async def _case_or_404(request: web.Request) -> CaseRecord:
    case = await services(request).cases.get(await _case_id(request))
    if case is None:
        raise web.HTTPNotFound(text="没有这个案例 no such case")
    return case


async def case_page(request: web.Request) -> web.Response:
    """Stage 1 and 2 data, severity, due, history, notes, transcript; audit-logged."""
    svc = services(request)
    case = await _case_or_404(request)
    await svc.audit.record(request["staff"].name, "view_case", case.case_id)
    return render_page(
        request,
        "case.html",
        case=case,
        entitlement=await svc.contract_service.entitlement_text(
            case.contract_number or case.customer_number,
            case.product,
            case.phone,
            utc_now().astimezone(ZoneInfo(svc.settings.timezone)).date(),
        ),
        state=await svc.case_desk_repo.state(case.case_id),
        notes=await svc.case_desk_repo.notes(case.case_id),
        lines=await transcript(svc.db, case.sender_id, with_agents=True),
        statuses=DESK_CASE_STATUSES,
        overdue=case.response_due_at < utc_now(),
        due_in=case.response_due_at - utc_now(),
        zero=timedelta(0),
    )


async def case_transcript(request: web.Request) -> web.Response:
    """The case's whole conversation as a UTF-8 text file (audit-logged)."""
    svc = services(request)
    case = await _case_or_404(request)
    lines = await transcript(svc.db, case.sender_id, with_agents=True)
    await svc.audit.record(request["staff"].name, "export_transcript", case.case_id)
    text = request.app[JINJA].get_template("transcript.txt").render(case=case, lines=lines)
    return web.Response(
        body=text.encode("utf-8"),
        content_type="text/plain",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{case.case_id}.txt"'},
    )


async def _act(request: web.Request, action: Any) -> web.StreamResponse:
    case_id = await _case_id(request)
    form = await request.post()
    seen = form_text(form, "seen")
    if seen:
        # Changed by a colleague since this page was loaded: look first (a thirteenth blind
        # tester's 已解决 overwrote a colleague's 等待客户 seconds later, both sent).
        now = await services(request).case_desk_repo.state(case_id)
        if seen != f"{now.desk_status}|{now.assignee or ''}":
            text = render(
                "staff_case_changed", status=now.desk_status, assignee=now.assignee or "—"
            )
            return refused(request, text, f"/cases/{case_id}")
    try:
        await action(services(request).case_desk, case_id, request["staff"].name, form)
    except HandoffError as error:
        return refused(request, str(error), f"/cases/{case_id}")
    raise web.HTTPFound(f"/cases/{case_id}")


async def assign(request: web.Request) -> web.StreamResponse:
    """Assign the case to me."""
    return await _act(request, lambda s, c, n, f: s.assign(c, n))


async def note(request: web.Request) -> web.StreamResponse:
    """Add an internal note."""
    return await _act(request, lambda s, c, n, f: s.note(c, n, form_text(f, "text")))


async def message(request: web.Request) -> web.StreamResponse:
    """Write to the customer in their channel."""
    return await _act(request, lambda s, c, n, f: s.message(c, n, form_text(f, "text")))


async def status(request: web.Request) -> web.StreamResponse:
    """Change the desk status; the customer is told, ``case.updated`` is queued."""
    return await _act(
        request,
        lambda s, c, n, f: s.set_status(c, form_text(f, "status"), n, form_text(f, "note")),
    )


async def escalate(request: web.Request) -> web.StreamResponse:
    """Escalate to stage 3."""
    return await _act(request, lambda s, c, n, f: s.escalate(c, n, form_text(f, "note")))


ROUTES = [
    Route("GET", "/cases", case_list, "agent"),
    Route("GET", "/cases/{case_id}", case_page, "agent"),
    Route("GET", "/cases/{case_id}/transcript.txt", case_transcript, "agent"),
    Route("POST", "/cases/{case_id}/assign", assign, "agent"),
    Route("POST", "/cases/{case_id}/note", note, "agent"),
    Route("POST", "/cases/{case_id}/message", message, "agent"),
    Route("POST", "/cases/{case_id}/status", status, "agent"),
    Route("POST", "/cases/{case_id}/escalate", escalate, "agent"),
]
