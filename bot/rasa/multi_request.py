"""Two requests in one message, handled in order: a small wrap of ``handle_message``.

"DB2热线多少？另外我们合同什么时候到期" used to get one answer (the model picks one
intent per message). When ``bot.services.multi_request.split`` finds clear
boundaries (sentence ends, 另外 / 还有 / 顺便 …) and the model reads the parts as
different requests with confidence (``accept``: flow or FAQ intents above the
threshold; inside a form only an answer followed by a clear interruption), each part
is handled as its own user turn of the same conversation, one after the other,
through Rasa's own ``handle_message``, so the replies come in order. Otherwise — most
messages, which have no boundary and cost only a regex — the message is handled whole
as before. Button payloads ("/intent…") are never split.

``bot.rasa.plugin.install`` applies it before ``handoff_gate`` wraps the result, so a
conversation a person has taken is never split.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor

from bot.channels import mask_id
from bot.services.multi_request import accept, split

logger = logging.getLogger(__name__)
_MARK = "_ppa_multi_request"


async def parts_to_handle(processor: MessageProcessor, message: UserMessage) -> list[UserMessage]:
    """The parts of ``message`` as messages with their parses, or ``[]`` to handle it whole."""
    text = message.text or ""
    if text.startswith("/") or message.parse_data:
        return []
    parts = split(text)
    if len(parts) < 2:
        return []
    tracker = await processor.get_tracker(message.sender_id)
    in_form = bool(tracker.active_loop_name)
    messages = [
        UserMessage(
            part,
            message.output_channel,
            message.sender_id,
            input_channel=message.input_channel,
            message_id=f"{message.message_id}-{i}" if message.message_id else None,
            metadata=message.metadata,
        )
        for i, part in enumerate(parts)
    ]
    parses = [await processor.parse_message(m, tracker) for m in messages]
    if not accept(parses, in_form):
        return []
    for part_message, parse in zip(messages, parses, strict=True):
        part_message.parse_data = parse
    return messages


def installed() -> bool:
    """Whether this process's ``MessageProcessor`` splits two requests."""
    # Marked on the class: handoff_gate wraps this wrapper, hiding a mark on the function.
    return bool(getattr(MessageProcessor, _MARK, False))


def install() -> None:
    """Wrap ``MessageProcessor.handle_message``; idempotent."""
    if installed():
        return
    original = MessageProcessor.handle_message

    async def handle_message(self: MessageProcessor, message: UserMessage) -> Any:
        parts = await parts_to_handle(self, message)
        if not parts:
            return await original(self, message)
        logger.info("%d requests in one message of %s", len(parts), mask_id(message.sender_id))
        result = None
        for part in parts:
            # The output channel collects (REST) or sends (WeChat …) each reply in turn.
            result = await original(self, part)
        return result

    MessageProcessor.handle_message = handle_message  # type: ignore[method-assign]
    setattr(MessageProcessor, _MARK, True)
