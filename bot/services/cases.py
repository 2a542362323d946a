"""Opening, reading, escalating and closing support cases (the guide's stages 1–3)."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.catalogue import Catalogue, default_catalogue
from bot.config import DEFAULT_CASE_REOPEN_DAYS
from bot.replies import render
from bot.services.hotline import HotlineService
from bot.services.hours import Clock, SupportHours, utc_now
from bot.services.identity import IdentityGuard, conversation_key
from bot.services.wording import alternation, clean, wording
from bot.store.case_desk import NEW_DESK_STATUS, CaseDeskRepository
from bot.store.cases import CaseRecord, CaseRepository, NewCase
from bot.store.models import DESK_CASE_STATUSES, DESK_CLOSED
from bot.validators import normalise_case_id, same_phone

STAGE1_FIELDS = ("contact_name", "company", "phone", "contract_number")
STAGE2_FIELDS = (
    "product",
    "version",
    "patch_level",
    "os",
    "configuration",
    "other_info",
    "frequency",
    "trigger_action",
    "repro_steps",
    "symptoms",
    "error_log",
)
DETAIL_FIELDS = STAGE2_FIELDS[1:]  # product has its own column
INTAKE_FIELDS_ALL = (*STAGE1_FIELDS, *STAGE2_FIELDS)
SUMMARY_VALUE_CHARS = 300  # longer values are cut in the confirmation message


def state_label(status: str) -> str:
    """A case status as the customer reads it (the raw value when unknown)."""
    labels = {
        "open": render("case_state_open"),
        "escalated": render("case_state_escalated"),
        "closed": render("case_state_closed"),
    }
    return labels.get(status, status)


def staff_status_hint(status: str, case_id: str) -> str:
    """What a desk status means for the customer ("waiting for you": send it here)."""
    working, waiting, solved = DESK_CASE_STATUSES[:3]
    if status == working:
        return render("case_staff_working")
    if status == waiting:
        return render("case_staff_waiting", case_id=case_id)
    if status == solved:
        return render("case_staff_solved", case_id=case_id)
    return ""


def _without_label(note: str, label: str) -> str:
    """A note without its own label in front: "补充信息：…" under 补充信息 reads once."""
    for colon in ("：", ":"):
        if note.startswith(label + colon):
            return note[len(label) + 1 :].lstrip()
    return note


def event_label(kind: str) -> str:
    """A history event's kind as the customer reads it (the raw value when unknown)."""
    labels = {
        "opened": render("case_event_opened"),
        "info_added": render("case_event_info_added"),
        "escalated": render("case_event_escalated"),
        "closed": render("case_event_closed"),
        "reopened": render("case_event_reopened"),
    }
    return labels.get(kind, kind)


def idempotency_key(channel: str, sender_id: str, intake_id: str) -> str:
    """The same intake of the same sender always maps to the same key."""
    return hashlib.sha256(f"{channel}\x1f{sender_id}\x1f{intake_id}".encode()).hexdigest()


class Access(enum.Enum):
    """Whether a caller may see a case."""

    GRANTED = "granted"
    NEED_PROOF = "need_proof"
    NOT_FOUND = "not_found"
    LOCKED = "locked"  # too many failed proofs: say nothing about the case


@dataclass(frozen=True)
class CaseLookup:
    """A case-lookup result: access decision and, when granted, the case."""

    access: Access
    case: CaseRecord | None = None


class CaseService:
    """Case operations on top of :class:`CaseRepository` and the guide's rules."""

    def __init__(
        self,
        cases: CaseRepository,
        hours: SupportHours | None = None,
        catalogue: Catalogue | None = None,
        clock: Clock = utc_now,
        notify_urls: Sequence[str] = (),
        guard: IdentityGuard | None = None,
        desk: CaseDeskRepository | None = None,
        reopen_days: int = DEFAULT_CASE_REOPEN_DAYS,
    ) -> None:
        """Cases in ``cases``; due times by ``hours``; new cases notify ``notify_urls``.

        ``guard`` limits failed phone proofs (no limit without one, as in unit tests);
        ``desk`` is the staff desk's view, told when the customer closes or reopens a
        case; a case closed at most ``reopen_days`` ago can be reopened.
        """
        self._reopen_within = dt.timedelta(days=reopen_days)
        self._cases = cases
        self._desk = desk
        self._catalogue = catalogue or default_catalogue()
        self._hours = hours or SupportHours.from_catalogue(self._catalogue)
        self._clock = clock
        self._notify_urls = tuple(notify_urls)
        self._guard = guard

    def _call_text(self, case: CaseRecord) -> str:
        """Whom to call about ``case`` now: its product's line, in hours unless severity 1.

        The guide's 7×24 rule. A fourteenth blind tester's severity-2 case was told at night "如需立即通话，请拨打
        技术支持热线" with no number, though the line takes only severity 1 then.
        """
        product = self._catalogue.product(case.product) if case.product else None
        line = (
            HotlineService(self._catalogue, self._hours).line_text(product, None)
            if product is not None
            else render("case_call_product_line")
        )
        if case.severity == 1 or self._hours.is_open(self._clock()):
            return render("case_call_now", line=line)
        sh = self._catalogue.service_hours
        return render(
            "case_call_in_hours",
            line=line,
            days=sh["business_days"],
            start=sh["start"],
            end=sh["end"],
        )

    def severity_name(self, level: int) -> str:
        """The guide's name of a severity level."""
        return self._catalogue.severity(level).name

    def format_due(self, due: dt.datetime) -> str:
        """A due time as the customer reads it (local time)."""
        return self._hours.local(due).strftime("%Y-%m-%d %H:%M")

    async def open(
        self,
        fields: Mapping[str, str | None],
        severity: int,
        channel: str,
        sender_id: str,
        intake_id: str,
        customer_number: str | None = None,
    ) -> tuple:
        """Open the case once per intake; returns ``(record, created)``."""
        now = self._clock()
        new = NewCase(
            idempotency_key=idempotency_key(channel, sender_id, intake_id),
            severity=severity,
            product=fields.get("product") or "",
            contact_name=fields.get("contact_name") or "",
            company=fields.get("company") or "",
            phone=fields.get("phone") or "",
            customer_number=customer_number,
            contract_number=fields.get("contract_number"),
            channel=channel,
            sender_id=sender_id,
            details={k: fields.get(k) or "" for k in DETAIL_FIELDS},
            response_due_at=self._hours.response_due(now, severity),
            created_at=now,
        )
        return await self._cases.open(new, notify_urls=self._notify_urls)

    def opened_text(self, case: CaseRecord, created: bool) -> str:
        """What the customer is told once the case exists."""
        key = "case_opened" if created else "case_already_opened"
        return render(
            key,
            case_id=case.case_id,
            severity_name=self.severity_name(case.severity),
            due=self.format_due(case.response_due_at),
            phone=case.phone,
        )

    async def lookup(
        self, case_id: str, channel: str, sender_id: str, proof: str | None = None
    ) -> CaseLookup:
        """A case for its owner: the sender who opened it, or whoever knows its phone.

        A wrong ``proof`` (also for an unknown id) counts as a failure; once the
        conversation or the case id is locked the answer is ``LOCKED`` either way.
        """
        canonical = normalise_case_id(case_id)
        case = await self._cases.get(canonical) if canonical else None
        if case is not None and case.channel == channel and case.sender_id == sender_id:
            return CaseLookup(Access.GRANTED, case)
        conversation = conversation_key(channel, sender_id)
        subject = canonical or case_id
        denied = CaseLookup(Access.NEED_PROOF if case is not None else Access.NOT_FOUND)
        if not proof:
            locked = self._guard is not None and await self._guard.is_locked(
                conversation, "case", subject
            )
            return CaseLookup(Access.LOCKED) if locked else denied

        async def proven() -> CaseRecord | None:
            return case if case is not None and same_phone(proof, case.phone) else None

        if self._guard is None:
            granted = await proven()
        else:
            verdict = await self._guard.check(conversation, "case", subject, proven)
            if verdict.locked:
                return CaseLookup(Access.LOCKED)
            granted = verdict.value
        return CaseLookup(Access.GRANTED, granted) if granted is not None else denied

    async def of_conversation(
        self, channel: str, sender_id: str, product: str | None = None
    ) -> list[CaseRecord]:
        """The cases opened in this conversation (about ``product``), newest first.

        "MQ那个单子进度呢", "案例号多少来着": the caller's own cases need no number and
        no proof; nobody else's are searched.
        """
        found = self._catalogue.product(product) if product else None
        name = found.name if found else product
        return await self._cases.of_sender(channel, sender_id, name)

    def list_text(self, cases: Sequence[CaseRecord]) -> str:
        """One line a case: id, product, severity, state, when opened."""
        lines = "\n".join(
            render(
                "case_list_line",
                case_id=c.case_id,
                product=c.product,
                severity_name=self.severity_name(c.severity),
                status=state_label(c.status),
                opened=self.format_due(c.created_at),
            )
            for c in cases
        )
        return render("case_list", lines=lines)

    async def status_for_customer(self, case: CaseRecord) -> str:
        """:meth:`status_text` with the status staff set on the desk, when they set one.

        An eleventh blind tester was told "等待客户" by the desk and "处理中 … the engineer
        will call by …" by the bot in the same minute.
        """
        desk = await self._desk.state(case.case_id) if self._desk is not None else None
        staff_status = None
        if desk is not None and desk.desk_status in DESK_CASE_STATUSES and case.status != "closed":
            staff_status = desk.desk_status
        return self.status_text(case, staff_status)

    def status_text(self, case: CaseRecord, staff_status: str | None = None) -> str:
        """Status and history of a case; ``staff_status`` is the desk's, when staff set one."""
        history = "\n".join(
            render(
                "case_event_line_note" if e.note else "case_event_line",
                time=self.format_due(e.created_at),
                kind=event_label(e.kind),
                note=_without_label(e.note, event_label(e.kind)),
            )
            for e in case.events
        )
        text = render(
            "case_status",
            case_id=case.case_id,
            product=case.product,
            severity_name=self.severity_name(case.severity),
            status=staff_status or state_label(case.status),
            history=history,
        )
        if staff_status is not None:
            # Staff are on it: what their status asks of the customer, not the promise.
            return text + staff_status_hint(staff_status, case.case_id)
        if case.status in ("open", "escalated") and case.response_due_at > self._clock():
            # "工程师什么时候联系我": the promise made when the case was opened, which an
            # escalation does not take back (a fourteenth blind tester lost it there).
            text += render("case_status_due", due=self.format_due(case.response_due_at))
        if case.status == "closed" and self._reopenable(case):
            text += render("case_status_reopen_hint", case_id=case.case_id)
        return text

    async def escalate(
        self, case: CaseRecord, note: str, wanted_severity: int | None = None
    ) -> str:
        """Answer a request for more on an open case; stage 3 only when it asks for that.

        The guide's stage 3 brings in more resources when a problem needs them, so a
        blind tester's "催一下" minutes after opening, a complaint or a level asked for
        did not belong there. Each is added to the case's history for the engineers
        and answered for what it is:

        * a level ("这个单改成一级"): noted, the engineers review it against the guide's
          definitions (the level is changed from the desk); level 1 gets the 7×24 line
          from the caller;
        * a complaint: noted, with a person offered by the caller;
        * chasing ("催一下", "加急") before the promised response time: noted, and the
          time repeated;
        * otherwise ("还是没解决，要求升级", or chasing past the promised time): stage 3.

        * the escalation undone ("请撤销第三阶段"), or a manager or another engineer asked
          for: noted (a ninth blind tester's case was closed, or escalated, by them);
        * asked again on a case already in stage 3: noted as chasing, not escalated twice.

        A closed case is worked again (:meth:`reopen`) when the customer says the
        problem is back; "升级处理" alone just after closing reopened a blind tester's
        case, so that is told how to reopen instead.
        """
        if case.status == "closed":
            if wording().has_any("reopen_words", clean(note)):
                return await self.reopen(case, note)
            return self._closed_text(case)
        w, said = wording(), clean(note)
        if w.has_any("undo_escalation_words", said):
            await self._cases.add_event(case.case_id, "info_added", note)
            return render("case_undo_escalation_noted", case_id=case.case_id)
        if wanted_severity is not None:
            await self._cases.add_event(case.case_id, "info_added", note)
            # A lower number is a higher level: severity 1 is the most urgent.
            if wanted_severity < case.severity:
                key = "case_severity_higher"
            elif wanted_severity == case.severity:
                key = "case_severity_same"
            else:
                key = "case_severity_lower"
            return render(
                key, case_id=case.case_id, severity_name=self.severity_name(wanted_severity)
            )
        asks_more = w.has_any("escalation_words", said)  # "升级", "找更高级的工程师"
        if w.has_any("when_words", said) and not asks_more and not w.has_any("chase_words", said):
            # "when will the engineer call me?" is a question, not stage 3 (a fifteenth
            # blind tester's case was escalated by it): the status, with by when.
            return self.status_text(case)
        if w.has_any("manager_words", said) and not asks_more:
            await self._cases.add_event(case.case_id, "info_added", note)
            return render("case_manager_noted", case_id=case.case_id)
        if w.has_any("complaint_words", said) and not asks_more:
            await self._cases.add_event(case.case_id, "info_added", note)
            return render("case_complaint_noted", case_id=case.case_id)
        if case.status == "escalated":
            await self._cases.add_event(case.case_id, "info_added", note)
            return render(
                "case_already_escalated", case_id=case.case_id, call=self._call_text(case)
            )
        due = case.response_due_at
        not_due_yet = due is not None and self._clock() < due
        if w.has_any("chase_words", said) and not asks_more and not_due_yet:
            await self._cases.add_event(case.case_id, "info_added", note)
            return render(
                "case_chased",
                case_id=case.case_id,
                due=self.format_due(due),
                call=self._call_text(case),
            )
        await self._cases.add_event(case.case_id, "escalated", note)
        return render("case_escalated", case_id=case.case_id)

    async def close(self, case: CaseRecord, note: str) -> str:
        """Close the case at the customer's request ("问题解决了，可以关单了") and say so.

        The desk shows it closed with the customer's words (no staff name), and
        ``case.updated`` is queued like a status change made by staff.
        """
        if case.status == "closed":
            return self._closed_text(case)
        closed = await self._cases.add_event(case.case_id, "closed", note) or case
        await self._customer_changed(closed, DESK_CLOSED, render("case_closed_note", note=note))
        return render(
            "case_closed_by_customer", case_id=case.case_id, days=self._reopen_within.days
        )

    async def reopen(self, case: CaseRecord, note: str) -> str:
        """Work a closed case again ("PMR-… 的问题又出现了", "重新打开"), with a new promise.

        Only within ``reopen_days`` of its closing; an older one is reported again with
        its number (the engineers need today's details). The desk shows it 待受理 again,
        with the customer's words, and ``case.updated`` is queued. On a case not closed
        the words are added to its history.
        """
        if case.status != "closed":  # "问题又出现了" on an open case: noted
            await self._cases.add_event(case.case_id, "info_added", note)
            return render("case_not_closed", case_id=case.case_id)
        if not self._reopenable(case):
            return self._closed_text(case)
        due = self._hours.response_due(self._clock(), case.severity)
        reopened = await self._cases.add_event(case.case_id, "reopened", note, due) or case
        text = render("case_reopened_note", note=note)
        await self._customer_changed(reopened, NEW_DESK_STATUS, text)
        return render("case_reopened", case_id=case.case_id, due=self.format_due(due))

    async def _customer_changed(self, case: CaseRecord, desk_status: str, text: str) -> None:
        """The desk's status set by the customer (no staff name); ``case.updated`` queued."""
        if self._desk is not None:
            await self._desk.change(
                case,
                None,
                kind="status",
                text=text,
                desk_status=desk_status,
                notify_urls=self._notify_urls,
            )

    def _closed_text(self, case: CaseRecord) -> str:
        """A closed case: how to reopen it, or, closed too long ago, to report again."""
        if self._reopenable(case):
            return render("case_already_closed", case_id=case.case_id)
        return render("case_too_old_to_reopen", case_id=case.case_id, days=self._reopen_within.days)

    def _reopenable(self, case: CaseRecord) -> bool:
        """Whether ``case`` was closed recently enough to be reopened."""
        closed = [e.created_at for e in case.events if e.kind == "closed"]
        return bool(closed) and self._clock() - max(closed) <= self._reopen_within

    async def add_info(self, case: CaseRecord, note: str) -> str:
        """Add what the customer adds ("补充：db2diag里有 ADM7519W") to the case's history.

        An announcement alone ("我要补充日志") is not stored: the customer is asked to
        send the content with "补充：" in front (a blind tester's log was lost).
        """
        if announces_only(note):
            return render("case_info_what", case_id=case.case_id)
        if case.status == "closed":
            if wording().has_any("reopen_words", clean(note)):  # "问题又出现了：…"
                return await self.reopen(case, note)
            await self._cases.add_event(case.case_id, "info_added", note)
            # Kept, but nobody works a closed case: a blind tester was told the
            # engineer would see it.
            key = "case_info_added_closed" if self._reopenable(case) else "case_info_added_old"
            return render(key, case_id=case.case_id)
        await self._cases.add_event(case.case_id, "info_added", note)
        desk = await self._desk.state(case.case_id) if self._desk is not None else None
        if desk is not None and desk.desk_status == DESK_CASE_STATUSES[1]:
            # The answer staff waited for: the case waits for staff again (a thirteenth
            # blind tester's reply left it 等待客户, hidden from whoever works the queue).
            await self._customer_changed(
                case, NEW_DESK_STATUS, render("case_customer_answered", note=note)
            )
        if case.status == "escalated":  # already in stage 3: no "say 升级处理"
            return render("case_info_added_escalated", case_id=case.case_id)
        return render("case_info_added", case_id=case.case_id)

    def summary_fields(self, fields: dict[str, str | None]) -> dict[str, str]:
        """Every summary placeholder filled ("—" where a field is empty).

        A long value (a pasted log of 50 000 characters) is shown by its beginning:
        the case keeps it whole, the chat message need not repeat it.
        """
        return {k: _shortened(v) if v else "—" for k, v in fields.items()}


def _shortened(value: str) -> str:
    if len(value) <= SUMMARY_VALUE_CHARS:
        return value
    return value[:SUMMARY_VALUE_CHARS] + render("summary_truncated", total=len(value))


def is_close_request(text: str | None) -> bool:
    """True when the customer asks to close or withdraw a case, not why it was closed.

    "问题解决了 可以关单了" / "把单子撤了" / "please close my ticket" close it;
    "为什么被关闭了" / "先别关" do not.
    """
    w = wording()
    cleaned = clean(text)
    return w.has_any("case_close_words", cleaned) and not w.has_any("case_close_not", cleaned)


def is_case_addition(text: str | None) -> bool:
    """True when the customer adds to a case ("补充一下：…", "加个备注", "更新一下案例描述")."""
    return wording().has_any("case_addition_words", clean(text))


def is_complaint(text: str | None) -> bool:
    """True when the customer complains ("投诉", "不满意") rather than only chases."""
    return wording().has_any("complaint_words", clean(text))


ANNOUNCEMENT_CHARS = 4  # fewer characters of its own: "我要补充日志" says nothing yet


def announces_only(text: str | None) -> bool:
    """True when an addition has no content besides the wish to add ("我想补充点信息")."""
    w = wording()
    rest = clean(text)
    for name in ("case_addition_words", "addition_fillers"):
        rest = re.sub(alternation(w[name]), "", rest)
    return len(re.sub(r"[\W_]+", "", rest)) < ANNOUNCEMENT_CHARS
