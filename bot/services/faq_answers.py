"""What an FAQ answer says first when the question asks something of it directly.

The ResponseSelector picks a topic and its answer is the guide's general text. Some
questions ask a yes or no, or a level, that the text only implies: "一个用户连不上算
几级" got all three definitions (a sixteenth blind tester), "过期了还能下补丁吗" the
patch sites with no "no". The lead answers that first; the topic's text follows.
"""

from __future__ import annotations

from bot.catalogue import default_catalogue
from bot.replies import render
from bot.services.description import describes_fault
from bot.services.intake import asks_level
from bot.services.severity import suggest_severity
from bot.services.wording import clean, wording

SEVERITY_TOPIC = "severity_levels"
# What an expired contract should do: renew (the guide's answer for a contract at its end).
RENEWAL_TOPIC = "contract_renewal"
# Hours topics that may name the line of the product just answered.
HOURS_TOPICS = frozenset({"after_hours_urgent", "support_hours"})


def topic_of(retrieval_intent: str | None) -> str | None:
    """``severity_levels`` of "faq/severity_levels"; None for anything else."""
    if not retrieval_intent or "/" not in retrieval_intent:
        return None
    return retrieval_intent.split("/", 1)[1]


def asks_after_expiry(text: str) -> bool:
    """True for "合同过期了还能…吗": a question of what an expired contract still gives."""
    said = clean(text)
    w = wording()
    return w.has_any("expiry_words", said) and w.has_any("still_can_words", said)


def answer_for(topic: str, text: str) -> tuple[str | None, str]:
    """The direct answer to say first (or None) and the topic whose text follows.

    Asked what an expired contract still gives, whatever topic the benefit belongs
    to, the answer is no (the guide gives upgrades, downloads and support "PPA 许可权
    有效期内") and the topic is renewal.
    """
    if asks_after_expiry(text):
        return render("faq_expired_lead"), RENEWAL_TOPIC
    if topic == SEVERITY_TOPIC and asks_level(text) and describes_fault(text):
        s = suggest_severity(text)
        key = "faq_level_for_described" if s.matched else "faq_level_for_described_default"
        name = default_catalogue().severity(s.level).name
        return render(key, matched=s.matched, name=name, definition=s.definition), topic
    return None, topic
