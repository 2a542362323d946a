"""Reading a customer's own description of a fault, clause by clause.

One long answer ("11.5.8 FP7，AIX 7.2，HADR 主备，每天凌晨备份时出现，备份失败，报
SQL2062N") says several things at once; :func:`read_details` files each clause under
the intake field it answers, and takes the longest clause that describes the fault
as the symptom. :func:`describes_fault` tells an opening that describes the fault
from one that only asks for a report ("我想报个修").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.services.wording import alternation, clauses, wording

LONG_ANSWER_CLAUSES = 3  # fewer clauses are one answer to the question asked
LONG_ANSWER_CHARS = 40
MIN_DESCRIPTION_CHARS = 4  # what is left of an opening once request words are gone
# An opening with fewer words of its own than this ("DB2挂了") names the fault but does
# not describe it: the symptom question is still asked, and the answer adds to it.
FULL_DESCRIPTION_CHARS = 6
_PATCH = re.compile(
    # Informix writes its fix packs into the version ("14.10.FC9"): the FC part is the patch.
    r"(?i)(?<![a-z0-9])(fp\s?\d+[a-z]?|fix\s?pack\s?\d+|cf\s?\d+|ifix\s?\d+|if\d+|"
    # MQ's cumulative security updates ("9.2.0.5 CSU 5", a tenth blind tester's).
    r"interim\s?fix\s?\d+|sp\s?\d+|fc\d+[a-z]?\d*|csu\s?\d+)"
)
_LATIN_TOKEN = re.compile(r"[A-Za-z0-9._/-]+")


def is_long_answer(text: str | None) -> bool:
    """True when ``text`` is several facts in one message rather than one answer."""
    parts = clauses(text)
    return len(parts) >= LONG_ANSWER_CLAUSES or (
        len(parts) > 1 and len(text or "") >= LONG_ANSWER_CHARS
    )


def describes_fault(text: str | None) -> bool:
    """True when ``text`` says what is wrong, not only that the customer wants a report."""
    return len(_own_words(text)) >= MIN_DESCRIPTION_CHARS or wording().has_any(
        "fault_words", (text or "").lower()
    )


def is_thin(text: str | None) -> bool:
    """True when ``text`` names a fault in a word or two ("DB2挂了", "was起不来")."""
    return len(_own_words(text)) < FULL_DESCRIPTION_CHARS


def fault_heard(text: str, current: Mapping[str, Any]) -> dict[str, str]:
    """The fault told at another question, as the report's opening or its symptoms.

    Nothing when the report already has the customer's words of it.
    """
    if current.get("symptoms") or current.get("fault_opening"):
        return {}
    return {"fault_opening" if is_thin(text) else "symptoms": text}


def _own_words(text: str | None) -> str:
    """What ``text`` says of the fault in the customer's own words.

    Request words, Latin tokens (product names, versions, codes) and punctuation go.
    """
    rest = re.sub(alternation(wording()["request_words"]), "", (text or "").lower())
    rest = _LATIN_TOKEN.sub("", rest)
    return re.sub(r"[\W_]+", "", rest)


def patch_level(text: str | None) -> str | None:
    """A fix pack or patch named in ``text`` ("FP7", "Fix Pack 3"), as typed."""
    m = _PATCH.search(text or "")
    return m.group(1) if m else None


def _is_trigger(clause: str) -> bool:
    w = wording()
    low = clause.lower()
    return w.has_any("trigger_cues", low) and any(
        low.endswith(end) or any(f"{end}{then}" in low for then in w["trigger_followers"])
        for end in w["trigger_ends"]
    )


def _frequency_in(clause: str) -> str | None:
    """The words of a fault's sentence that say how often.

    From the frequency word to the end of its time phrase ("每天晚上跑批的时候") or to
    what happens then ("每天大约三到四次 | 出现应用无响应", "偶尔 | 失败").
    """
    w, low = wording(), clause.lower()
    starts = [(low.find(cue), -len(cue)) for cue in w["frequency_cues"] if cue in low]
    if not starts:
        return None
    start, minus_cue = min(starts)
    after = start - minus_cue
    # At one place the longer time end: "的时候", not its "时".
    timed = [(i, -len(end)) for end in w["trigger_ends"] if (i := low.find(end, after)) >= 0]
    ends = [i - minus for i, minus in [min(timed)]] if timed else []
    ends += [
        i
        for name in ("trigger_followers", "fault_words")
        for word in w[name]
        if (i := low.find(word, after)) >= 0
    ]
    return clause[start : min(ends, default=after)].strip()


def symptom(text: str | None) -> str | None:
    """The longest clause of ``text`` that describes the fault, else None."""
    w = wording()
    faulty = [c for c in clauses(text) if w.has_any("fault_words", c.lower())]
    return max(faulty, key=len) if faulty else None


def read_details(text: str | None) -> dict[str, str]:
    """The stage-2 fields a long answer fills: patch, configuration, frequency, trigger, symptom."""
    w = wording()
    found: dict[str, str] = {}
    patch = patch_level(text)
    if patch:
        found["patch_level"] = patch
    described = symptom(text)
    for clause in clauses(text):
        low = clause.lower()
        if clause == described:
            # The fault's own sentence is the symptom, not the set-up: "WAS 9.0.5 集群
            # 所有节点宕机" filed as 配置 skipped the configuration question, and "报表导出
            # PDF 偶尔失败" was the whole frequency (a thirteenth blind tester's D45).
            often = _frequency_in(clause)
            if often and "frequency" not in found:
                found["frequency"] = often
            continue
        if "configuration" not in found and w.has_any("configuration_cues", low):
            found["configuration"] = clause
        if "frequency" not in found and w.has_any("frequency_cues", low):
            found["frequency"] = clause
        if "trigger_action" not in found and _is_trigger(clause):
            found["trigger_action"] = clause
    if described:
        found["symptoms"] = described
    return found
