"""The Rasa side of the live handoff: a small wrap of ``MessageProcessor.handle_message``.

``action_handoff`` pauses the conversation (Rasa's ``ConversationPaused``) when it
queues it; Rasa then logs every customer message in the tracker (the transcript)
and predicts nothing. Around each message this wrap, for conversations that ever
had a handoff (all others pay two indexed queries: latest handoff, waiting staff messages):

* while muted, copies the message to the handoff transcript the desk shows live,
  and on 取消 in the queue closes the handoff and resumes the bot;
* un-mutes a paused conversation whose handoff was closed while Rasa was
  unreachable (so a failed resume call never leaves a customer talking to nobody);
* takes a pending CSAT answer (1–5 plus an optional comment) without the bot;
* adds agent messages that could not be pushed (REST, API down) to the reply.

"留言 <phone>" after the bot offered a callback stores the request (any time: a
customer may leave a number whenever nobody answers). ``bot.rasa.plugin.install``
applies the wrap with the other adjustments (``python -m bot.rasa``).
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationResumed, UserUttered

from bot.channels import mask_id
from bot.config import Settings
from bot.desk.config import DeskSettings
from bot.services.handoff import HandoffService, find_phone, request_words, urgent_level
from bot.store import Database, StoreUnavailable
from bot.store.handoffs import HandoffRepository, NewHandoff
from bot.store.staff import StaffRepository

logger = logging.getLogger(__name__)
_MARK = "_ppa_handoff_gate"
CALLBACK_WORDS = re.compile(r"^\s*(留言|回电|请回电)")
# "我刚才留言的号码写错了，是139…": the callback request's number, corrected.
CALLBACK_MENTION = re.compile(r"留言")


def is_callback_message(text: str | None) -> bool:
    """A callback request ("留言 138…"), or a message about it that holds a phone."""
    text = text or ""
    if CALLBACK_WORDS.match(text):
        return True
    return CALLBACK_MENTION.search(text) is not None and find_phone(text) is not None


@functools.lru_cache(maxsize=1)
def _service() -> HandoffService:
    db = Database.from_settings(Settings.from_env())
    desk = DeskSettings.from_env()
    return HandoffService(HandoffRepository(db), StaffRepository(db), survey_ttl=desk.survey_ttl)


def _listening(tracker: Any) -> None:
    """End a turn the gate answered as Rasa ends its own: with ``action_listen``.

    Without it the next turn follows ``action_handoff`` directly, no rule matches, and
    the customer's "继续报修" after the survey was "not understood" and queued again
    (a thirteenth blind tester).
    """
    if tracker.latest_action_name != ACTION_LISTEN_NAME:
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))


async def _reply(message: UserMessage, tracker: Any, text: str) -> None:
    tracker.update(BotUttered(text))
    await message.output_channel.send_text_message(message.sender_id, text)


async def _muted(
    processor: MessageProcessor, message: UserMessage, service: HandoffService
) -> None:
    """A message of a conversation with an open handoff; the bot answers only if not muted."""
    text = message.text or ""
    if not text.startswith("/"):  # button payloads are no customer words
        resume, reply = await service.customer_turn(message.sender_id, text)
    else:
        resume, reply = False, None
    tracker = await processor.log_message(message, should_save_tracker=False)
    if resume and tracker.is_paused():
        tracker.update(ConversationResumed())
    if reply:
        await _reply(message, tracker, reply)
    if tracker.is_paused() or reply:
        _listening(tracker)
        await processor.save_tracker(tracker)
        return
    # Not muted after all (the pause never reached the tracker, or it was stale): the
    # rest of Rasa's own handle_message, on the message logged once above.
    tracker = await processor.run_action_extract_slots(message.output_channel, tracker)
    await processor._run_prediction_loop(message.output_channel, tracker)
    await processor.run_anonymization_pipeline(tracker)
    await processor.save_tracker(tracker)


def installed() -> bool:
    """Whether this process's ``MessageProcessor`` has the gate."""
    return bool(getattr(MessageProcessor.handle_message, _MARK, False))


def install() -> None:
    """Wrap ``MessageProcessor.handle_message``; idempotent."""
    if getattr(MessageProcessor.handle_message, _MARK, False):
        return
    original = MessageProcessor.handle_message

    async def handle_message(self: MessageProcessor, message: UserMessage) -> Any:
        try:
            service = _service()
            latest, waiting = await service.handoffs.turn_state(message.sender_id)
            # Staff messages that could not be pushed (REST, API down) go first.
            flushed = waiting and await _flush_pending(message, service)
        except StoreUnavailable:
            logger.warning(
                "handoff state unavailable; the bot answers %s", mask_id(message.sender_id)
            )
            return await original(self, message)
        handled = False
        if latest is not None:
            try:
                handled = await _gate(self, message, service, latest.status, flushed)
            except StoreUnavailable:
                logger.warning("handoff store down for %s", mask_id(message.sender_id))
        if handled:
            return _collected(message)
        if is_callback_message(message.text):
            return await _callback(self, message, service)
        return await original(self, message)

    setattr(handle_message, _MARK, True)
    MessageProcessor.handle_message = handle_message  # type: ignore[method-assign]


async def _gate(
    processor: MessageProcessor,
    message: UserMessage,
    service: HandoffService,
    status: str,
    flushed: bool,
) -> bool:
    if status in ("waiting", "active"):
        await _muted(processor, message, service)
        return True
    tracker = await processor.tracker_store.retrieve(message.sender_id)
    if tracker is not None and tracker.is_paused():
        # Closed while Rasa could not be told: un-mute before the bot answers.
        tracker.update(ConversationResumed())
        _listening(tracker)
        await processor.save_tracker(tracker)
    if flushed:
        # The survey question only now reached a REST customer: this message is no answer.
        return False
    thanks = await service.survey_answer(message.sender_id, message.text or "")
    if thanks is None:
        return False
    tracker = await processor.log_message(message, should_save_tracker=False)
    await _reply(message, tracker, thanks)
    _listening(tracker)
    await processor.save_tracker(tracker)
    return True


async def _callback(
    processor: MessageProcessor, message: UserMessage, service: HandoffService
) -> Any:
    tracker = await processor.get_tracker(message.sender_id)
    # The customer's words with the number ("留言 139… informix备份失败，明天上午回电"),
    # after those that asked for a person ("生产库宕机了…转人工"): a thirteenth blind
    # tester's agent saw only "留言 138…", and the outage was not put first.
    asked = str((tracker.latest_message.text if tracker.latest_message else None) or "")
    words = f"{asked} / {message.text}" if asked and not asked.startswith("/") else message.text
    severity = tracker.get_slot("severity")
    new = NewHandoff(
        conversation_id=message.sender_id,
        channel=message.input_channel or "rest",
        product=tracker.get_slot("product") or tracker.get_slot("last_case_product"),
        severity=int(severity) if str(severity).isdigit() else urgent_level(words or ""),
        case_id=tracker.get_slot("last_case_id"),
        context={"reason": "callback", "request": request_words(words)},
    )
    reply = await service.leave_callback(new, message.text or "")
    tracker.update(UserUttered(message.text, input_channel=message.input_channel))
    await _reply(message, tracker, reply)
    _listening(tracker)
    await processor.save_tracker(tracker)
    return _collected(message)


async def _flush_pending(message: UserMessage, service: HandoffService) -> bool:
    """Send agent messages that wait for this turn; True if there were any."""
    pending = await service.handoffs.take_pending(message.sender_id)
    for item in pending:
        await message.output_channel.send_text_message(message.sender_id, item.text)
    return bool(pending)


def _collected(message: UserMessage) -> Any:
    messages = getattr(message.output_channel, "messages", None)
    return messages if messages is not None else None
