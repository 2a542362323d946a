"""Fixed channel texts, menu keys and the shaping of bot messages into plain text.

WeChat and Weibo text messages have no buttons or rich elements, so every bot
message is flattened into text here: buttons become a numbered list under the
text, images and attachments become their URL. The polite fixed replies are
``channel_*`` in ``bot/data/replies.yml`` and the menu keys are configuration
(``menu.yml``), not literals in the connectors.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from bot.replies import render, template

DEFAULT_PATH = Path(__file__).with_name("menu.yml")
# Several bot messages of one turn are sent as one text, separated like paragraphs.
MESSAGE_SEPARATOR = "\n\n"


class Reaction(NamedTuple):
    """What a channel does with a push: send ``text`` to the bot, or answer with it."""

    text: str
    ask_bot: bool


@dataclass(frozen=True)
class MenuItem:
    """A custom-menu entry: its CLICK key, its label and what it sends to the bot."""

    key: str
    label: str
    message: str


@dataclass(frozen=True)
class ChannelTexts:
    """The fixed texts the channels answer without asking the bot."""

    please_type: str
    voice_unrecognised: str
    welcome: str
    menu: Mapping[str, MenuItem]
    choice_out_of_range: str
    pending_note: str

    def welcome_text(self) -> str:
        """The greeting for a new follower, with the menu labels one per line."""
        items = [render("channel_menu_item", label=item.label) for item in self.menu.values()]
        return "\n".join([self.welcome, *items])

    def menu_message(self, key: str | None) -> str | None:
        """The user message a menu CLICK key stands for, or None for unknown keys."""
        item = self.menu.get(key or "")
        return item.message if item else None


def _menu_item(key: str, raw: Any) -> MenuItem:
    if not isinstance(raw, Mapping) or not raw.get("label"):
        raise ValueError(f"menu key {key!r} needs a label")
    text, intent = raw.get("text"), raw.get("intent")
    if bool(text) == bool(intent):
        raise ValueError(f"menu key {key!r} needs exactly one of text / intent")
    # "/intent" is how Rasa accepts an intent in place of text
    return MenuItem(key=key, label=str(raw["label"]), message=text or f"/{intent}")


@functools.lru_cache(maxsize=4)
def load_texts(path: Path = DEFAULT_PATH) -> ChannelTexts:
    """Read (once) and validate the menu file; the sentences come from the replies."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(raw.get("menu"), Mapping) or not raw["menu"]:
        raise ValueError(f"{path}: missing menu")
    return ChannelTexts(
        please_type=render("channel_please_type"),
        voice_unrecognised=render("channel_voice_unrecognised"),
        welcome=render("channel_welcome"),
        menu={str(k): _menu_item(str(k), v) for k, v in raw["menu"].items()},
        choice_out_of_range=template("channel_choice_out_of_range"),
        pending_note=render("channel_pending_note"),
    )


def button_title(button: Any) -> str:
    """What a button shows: its title (or payload when it has none)."""
    if isinstance(button, Mapping):
        return str(button.get("title") or button.get("payload") or "")
    return str(button)


def button_payload(button: Any) -> str:
    """What pressing a button sends: its payload (or title when it has none)."""
    if isinstance(button, Mapping):
        return str(button.get("payload") or button.get("title") or "")
    return str(button)


def message_buttons(message: Mapping[str, Any]) -> list[Any]:
    """The buttons (or quick replies) of one collected Rasa message."""
    return list(message.get("buttons") or message.get("quick_replies") or [])


def numbered(titles: Iterable[str]) -> list[str]:
    """``1. title`` lines: how text channels show buttons (the customer types the number)."""
    return [f"{i}. {title}" for i, title in enumerate(titles, start=1)]


def render_bot_message(message: Mapping[str, Any]) -> str:
    """One collected Rasa message as plain text (buttons numbered, media as URL)."""
    lines: list[str] = []
    if message.get("text"):
        lines.append(str(message["text"]).strip())
    lines.extend(numbered(button_title(b) for b in message_buttons(message)))
    if message.get("image"):
        lines.append(str(message["image"]))
    attachment = message.get("attachment")
    if isinstance(attachment, Mapping):
        attachment = attachment.get("url") or attachment.get("payload")
    if attachment:
        lines.append(str(attachment))
    custom = message.get("custom")
    # custom payloads are for rich front-ends; only an explicit text is shown here
    if isinstance(custom, Mapping) and isinstance(custom.get("text"), str):
        lines.append(custom["text"].strip())
    return "\n".join(line for line in lines if line)


def join_bot_messages(messages: Iterable[Mapping[str, Any]]) -> str:
    """All messages of one turn as a single text, separated by blank lines."""
    texts = (render_bot_message(m) for m in messages)
    return MESSAGE_SEPARATOR.join(t for t in texts if t)


def utf8_size(text: str) -> int:
    """Length of ``text`` in UTF-8 bytes."""
    return len(text.encode("utf-8"))


def _longest_prefix(text: str, limit: int, size: Callable[[str], int]) -> int:
    """Largest n with size(text[:n]) <= limit (at least 1, to always progress)."""
    low, high = 1, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if size(text[:mid]) <= limit:
            low = mid
        else:
            high = mid - 1
    return low


# Where a long message may be cut when no line break is near: after a sentence's end.
SENTENCE_ENDS = ("\u3002", "\uff01", "\uff1f", "\uff1b", "!", "?", ";", ". ")


def split_text(text: str, limit: int, size: Callable[[str], int] = len) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` (as measured by ``size``).

    Cuts fall between characters, never inside one; a cut moves back to the last
    line break when that keeps at least half of the part (the break is dropped), else
    to the last sentence end that does.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    parts: list[str] = []
    rest = text
    while rest:
        if size(rest) <= limit:
            parts.append(rest)
            break
        cut = _longest_prefix(rest, limit, size)
        newline = rest.rfind("\n", 0, cut)
        sentence = max(rest.rfind(mark, 0, cut) for mark in SENTENCE_ENDS) + 1
        if newline >= cut // 2 and newline > 0:
            parts.append(rest[:newline])
            rest = rest[newline + 1 :]
        elif sentence > cut // 2:
            # At a sentence's end rather than inside a word (an agent's long reply was
            # cut mid-sentence, a thirteenth blind tester).
            parts.append(rest[:sentence])
            rest = rest[sentence:]
        else:
            parts.append(rest[:cut])
            rest = rest[cut:]
    return [part for part in parts if part.strip()]


# Rasa reads a text starting with "/" as an intent ("/inform{...}"), bypassing NLU.
_INTENT_PREFIX = "/"
_FULLWIDTH_SOLIDUS = "\uff0f"


def user_text(text: str) -> str:
    """User-typed text safe to hand to Rasa: a leading "/" cannot inject an intent.

    Menu keys may still send "/intent" on purpose; this is only for typed text.
    """
    stripped = text.strip()
    if stripped.startswith(_INTENT_PREFIX):
        return _FULLWIDTH_SOLIDUS + stripped[1:]
    return stripped
