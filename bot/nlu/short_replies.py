"""A short reply made only of one intent's words gets that intent.

Customers answer a question in every register: "好嘞", "冇啊", "拉倒吧，不整了",
"承蒙关照 不胜感激", "confirm". The classifiers learn these from a few examples each
and, for a wording they have not seen, are often unsure (the customer is asked to
rephrase a plain "yes") or guess an answer to a form (``inform``). A lexicon of such
words (``bot/data/short_replies.yml``, six intents) reads them exactly:

* a message is split at spaces and punctuation; each piece must be one of the
  lexicon's words, after leading fillers ("哦", "那") and trailing particles ("吧",
  "了", "啊") are set aside, or a run of its words of two or more characters
  ("对对对没错", "谢谢辛苦了"); pieces of particles alone ("哈哈") say nothing;
* every piece must belong to the same intent, except a polite close: yes, thanks and
  goodbye together ("好的谢谢，拜拜") are a goodbye (thanks without one, "好的 谢谢");
  any other mix ("好的 不用"), a word outside the lexicon or an entity is left to the
  models.

Single characters combine only as whole pieces, so "不错" is not 不 + 错 (a "no").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.components import InferenceComponent
from bot.nlu.memory import set_sure_intent
from bot.textnorm import normalise

LEXICON_PATH = Path(__file__).resolve().parent.parent / "data" / "short_replies.yml"
# Longer messages are not short replies: the models decide.
MAX_CHARS = 24
# Latin words joined back when a lexicon entry has spaces ("thank you", "of course").
MAX_JOINED = 3
_PIECES = re.compile(r"[^\W_]+")
# A yes, thanks and goodbye in one short message ("好的谢谢，拜拜", "ok thx bye") is a
# close: the goodbye when there is one, else the thanks (a blind tester's "好的谢谢，
# 拜拜" got "please rephrase" and once the handoff text).
CLOSING_MIX = frozenset({"goodbye", "thank", "affirm"})
CLOSING_ORDER = ("goodbye", "thank")


def lexicon_key(text: str) -> str:
    """``text`` as the component compares it: normalised, lower-case, letters and digits."""
    return "".join(_PIECES.findall(normalise(text).text.lower()))


class ShortReplies:
    """The lexicon's words by intent, and which intent a short message's words make."""

    def __init__(
        self,
        lexicon: Mapping[str, Iterable[Any]],
        particles: Iterable[str] = (),
        fillers: Iterable[str] = (),
    ) -> None:
        """Index the words; a word listed under two intents says nothing.

        ``particles`` (single characters: "吧", "了") are set aside at the end of a piece
        and between its words; ``fillers`` ("哦", "那") at its start.
        """
        self._particles = frozenset("".join(particles))
        self._fillers = tuple(sorted(fillers, key=len, reverse=True))
        seen: dict[str, set[str]] = {}
        for intent, words in lexicon.items():
            for word in words:
                key = lexicon_key(str(word))
                if key:
                    seen.setdefault(key, set()).add(intent)
        self._intent = {key: intents.pop() for key, intents in seen.items() if len(intents) == 1}
        self._longest = max((len(k) for k in self._intent), default=0)

    def intent_of(self, text: str) -> str | None:
        """The one intent every piece of ``text`` (normalised) belongs to, or None."""
        pieces = _PIECES.findall(text.lower())
        if not pieces or sum(len(p) for p in pieces) > MAX_CHARS:
            return None
        found: set[str] = set()
        i = 0
        while i < len(pieces):
            for n in range(min(MAX_JOINED, len(pieces) - i), 1, -1):
                joined = self._intent.get("".join(pieces[i : i + n]))
                if joined is not None:
                    found.add(joined)
                    i += n
                    break
            else:
                intents = self._piece(pieces[i])
                if intents is None:
                    return None
                found |= intents
                i += 1
        if len(found) == 1:
            return found.pop()
        if found and found <= CLOSING_MIX:  # "好的谢谢，拜拜": a polite close
            return next(i for i in CLOSING_ORDER if i in found)
        return None

    def _piece(self, piece: str) -> set[str] | None:
        """The intents a piece can be (empty: particles only), or None: not a reply."""
        core = self._without_leading(piece)
        for form in (piece, *self._trimmed(core)):
            if form in self._intent:
                return {self._intent[form]}
        if all(c in self._particles for c in core):
            return set()
        intents = {i for i in set(self._intent.values()) if self._covers(core, {i})}
        if len(intents) == 1:
            return intents
        if not intents and self._covers(core, CLOSING_MIX):  # "好的谢谢"
            return {
                self._intent[core[i:j]]
                for i in range(len(core))
                for j in range(i + 2, min(len(core), i + self._longest) + 1)
                if self._intent.get(core[i:j]) in CLOSING_MIX
            }
        return None

    def _covers(self, text: str, intents: Iterable[str]) -> bool:
        """``text`` is a run of ``intents``' words of two or more characters (particles between)."""
        intents = frozenset(intents)

        @functools.cache
        def from_(i: int) -> bool:
            if i == len(text):
                return True
            if i > 0 and text[i] in self._particles and from_(i + 1):
                return True
            for j in range(min(len(text), i + self._longest), i + 1, -1):
                if self._intent.get(text[i:j]) in intents and from_(j):
                    return True
            return False

        return from_(0)

    def _without_leading(self, piece: str) -> str:
        """``piece`` without the fillers it starts with ("哦 好的", "那算了")."""
        changed = True
        while changed:
            changed = False
            for filler in self._fillers:
                if piece.startswith(filler) and len(piece) > len(filler):
                    piece, changed = piece[len(filler) :], True
                    break
        return piece

    def _trimmed(self, piece: str) -> list[str]:
        """``piece``, then without one, two … trailing particles ("算了吧" → "算了")."""
        forms = [piece]
        while piece and piece[-1] in self._particles:
            piece = piece[:-1]
            forms.append(piece)
        return forms


@functools.lru_cache(maxsize=4)
def load_lexicon(path: Path = LEXICON_PATH) -> dict[str, list[str]]:
    """The lexicon file (intent → words), read once per process."""
    with path.open(encoding="utf-8") as f:
        return {str(k): [str(w) for w in v] for k, v in (yaml.safe_load(f) or {}).items()}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ShortReplyIntent(InferenceComponent):
    """Gives a short reply made of one intent's lexicon words that intent, sure."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Particles and fillers set aside around the lexicon's words (config.yml)."""
        return {"particles": [], "fillers": []}

    def __init__(self, config: dict[str, Any]) -> None:
        """Load the lexicon once."""
        super().__init__(config)
        self._replies = ShortReplies(
            load_lexicon(),
            [str(p) for p in config.get("particles", ())],
            [str(f) for f in config.get("fillers", ())],
        )

    def process(self, messages: list[Message]) -> list[Message]:
        """Set the lexicon's intent on a short reply without entities."""
        for message in messages:
            if message.get(ENTITIES):
                continue  # "8888" as a customer number is an answer, not goodbye
            intent = self._replies.intent_of(message.get(TEXT) or "")
            if intent is not None:
                set_sure_intent(message, intent)
        return messages
