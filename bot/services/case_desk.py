"""What staff do to a case on the desk or the CLI, and what the customer hears of it."""

from __future__ import annotations

from collections.abc import Sequence

from bot.replies import render
from bot.services.handoff import CustomerLink, HandoffError, active_staff
from bot.store.case_desk import CaseDeskRepository, CaseDeskState
from bot.store.cases import CaseRecord, CaseRepository
from bot.store.handoffs import HandoffRepository
from bot.store.models import DESK_CASE_STATUSES, DESK_CLOSED
from bot.store.staff import StaffRecord, StaffRepository
from bot.textnorm import has_content

ESCALATED_STAGE = 3


class CaseDeskService:
    """Assign, annotate, message, re-status and escalate cases."""

    def __init__(
        self,
        cases: CaseRepository,
        desk: CaseDeskRepository,
        staff: StaffRepository,
        handoffs: HandoffRepository,
        link: CustomerLink,
        notify_urls: Sequence[str] = (),
    ) -> None:
        """Use the repositories; ``link`` reaches the customer, ``notify_urls`` the outbox."""
        self.cases = cases
        self.desk = desk
        self.staff = staff
        self.handoffs = handoffs
        self._link = link
        self._notify_urls = tuple(notify_urls)

    async def case(self, case_id: str) -> CaseRecord:
        """The case, or :class:`HandoffError` naming it."""
        found = await self.cases.get(case_id)
        if found is None:
            raise HandoffError(render("staff_no_case", case_id=case_id))
        return found

    async def _agent(self, name: str) -> StaffRecord:
        return await active_staff(self.staff, name)

    async def set_status(
        self, case_id: str, status: str, agent_name: str, note: str = ""
    ) -> CaseDeskState:
        """Change the desk status; the customer is told and ``case.updated`` is queued."""
        if status not in DESK_CASE_STATUSES:
            raise HandoffError(
                render(
                    "staff_bad_status", statuses=render("list_separator").join(DESK_CASE_STATUSES)
                )
            )
        agent = await self._agent(agent_name)
        case = await self.case(case_id)
        if status == DESK_CLOSED and case.status != "closed":
            # The bot's own lifecycle follows, so it stops offering the case as open.
            case = await self.cases.add_event(case.case_id, "closed", note) or case
        elif status != DESK_CLOSED and case.status == "closed":
            # Worked again from the desk: the bot no longer calls it closed.
            case = await self.cases.add_event(case.case_id, "reopened", note) or case
        state = await self.desk.change(
            case,
            agent.id,
            kind="status",
            text=note,
            desk_status=status,
            notify_urls=self._notify_urls,
        )
        text = render("case_status_changed", case_id=case.case_id, status=status, note=note)
        await self._tell(case, text.strip(), agent)
        return state

    async def assign(self, case_id: str, agent_name: str) -> CaseDeskState:
        """Make the agent the case's owner."""
        agent = await self._agent(agent_name)
        case = await self.case(case_id)
        return await self.desk.change(case, agent.id, kind="assign", assignee_id=agent.id)

    async def note(self, case_id: str, agent_name: str, text: str) -> CaseDeskState:
        """An internal note: staff only, the customer never sees it."""
        if not has_content(text):
            raise HandoffError(render("staff_empty_note"))
        agent = await self._agent(agent_name)
        return await self.desk.change(await self.case(case_id), agent.id, kind="note", text=text)

    async def message(self, case_id: str, agent_name: str, text: str) -> str:
        """Write to the case's customer in their channel; the delivery state."""
        if not has_content(text):
            raise HandoffError(render("staff_empty_message"))
        agent = await self._agent(agent_name)
        case = await self.case(case_id)
        await self.desk.change(case, agent.id, kind="message", text=text)
        body = render("case_agent_message", case_id=case.case_id, text=text.strip())
        return await self._tell(case, body, agent)

    async def _tell(self, case: CaseRecord, text: str, agent: StaffRecord) -> str:
        delivery = await self._link.send(case.channel, case.sender_id, text)
        # "pending" (REST, or the platform API is down) goes out with the customer's
        # next turn; every delivery stays in the conversation's record.
        await self.handoffs.add_outside(case.sender_id, text, agent.id, delivery)
        return delivery

    async def escalate(self, case_id: str, agent_name: str, note: str = "") -> CaseDeskState:
        """Bring in stage 3 (more resources, the guide's 第三阶段)."""
        agent = await self._agent(agent_name)
        if (await self.desk.state(case_id)).stage >= ESCALATED_STAGE:
            # Twice listed "升级" to the customer (a thirteenth blind tester's double click).
            raise HandoffError(render("staff_already_escalated", case_id=case_id))
        # The reason is the staff's own (kept in the desk's note); the case's history is
        # what the customer reads when asking the bot ("需要实验室复现…" reached one).
        case = await self.cases.add_event(case_id, "escalated", "")
        if case is None:
            raise HandoffError(render("staff_no_case", case_id=case_id))
        state = await self.desk.change(
            case, agent.id, kind="escalate", text=note, stage=ESCALATED_STAGE
        )
        await self._tell(case, render("case_escalated_by_staff", case_id=case.case_id), agent)
        return state
