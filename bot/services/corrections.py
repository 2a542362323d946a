"""What a customer means besides answering: corrections, yes, cancel, "继续".

Pure functions over the message text and intent; the word lists are data
(:mod:`bot.services.wording`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.services.products import match_product
from bot.services.severity import find_severity
from bot.services.wording import alternation, clauses, clean, wording
from bot.textnorm import cantonese_mapper, to_simplified
from bot.validators import parse_phone

CANCEL_CONFIDENCE = 0.6
_VERSION = re.compile(r"v?\d+(?:\.\d+)+")


def _field_pattern() -> str:
    return alternation(w for words in wording().field_words.values() for w in words)


def _cue(text: str) -> tuple[int, int] | None:
    """Where the correction cue of ``text`` is (start, end), if it has one."""
    w = wording()
    low = text.lower()
    wrong = alternation(w["wrong_words"])
    stop = re.escape("".join(w["field_gap_stop"]))
    m = (
        re.search(rf"(?P<cue>{alternation(w['correction_cues'])})", low)
        or re.match(rf"\s*(?:{alternation(w['fillers'])})?[，, ]*(?P<cue>{wrong})", low)
        or re.search(rf"(?:{_field_pattern()})[^，,。\s{stop}]?(?P<cue>{wrong})", low)
    )
    return m.span("cue") if m else None


def _mandarin(text: str | None) -> str:
    """Simplified Mandarin, Cantonese words mapped first ("公司名錯咗，係…" is "错了，是…").

    A seventeenth blind tester's company was stored as "错咗，系演示科技有限公司".
    """
    return to_simplified(cantonese_mapper().apply(text or ""))


def has_correction_cue(text: str | None) -> bool:
    """True when ``text`` corrects something ("电话改成…", "不对，是…")."""
    return bool(text) and _cue(_mandarin(text)) is not None


def _field_before(text: str) -> str | None:
    """The field named last in ``text`` (the longest word when two end together)."""
    best: tuple[int, int, str] | None = None
    for slot, words in wording().field_words.items():
        for word in words:
            end = text.rfind(word)
            if end >= 0:
                key = (end + len(word), len(word), slot)
                best = key if best is None or key[:2] > best[:2] else best
    return best[2] if best else None


def _is_remark(clause: str) -> bool:
    """True for a clause that only says something was wrong: "你搞错了", "又弄错了吧"."""
    w, rest = wording(), clause.lower()
    if not w.has_any("wrong_words", rest):
        return False
    for word in sorted([*w["wrong_words"], *w["remark_fillers"]], key=len, reverse=True):
        rest = rest.replace(word, "")
    return not re.sub(r"[\W_]+", "", rest)


def _without_trailing_remark(words: list[str]) -> list[str]:
    while len(words) > 1 and _is_remark(words[-1]):
        words = words[:-1]
    return words


def _strip_value(value: str) -> str:
    w = wording()
    prefixes = alternation(w["value_prefixes"])
    parts = clauses(value) or [""]
    # "11.7.1 你搞错了": a remark after a space ends the value too.
    trimmed = [" ".join(_without_trailing_remark(p.split())) for p in parts]
    if trimmed != [" ".join(p.split()) for p in parts]:
        parts, value = trimmed, "，".join(trimmed)
    said = [p for p in parts if p and not _is_remark(p)]
    if said and len(said) < len(parts):
        # "操作系统是RHEL 8，你搞错了": the remark is no value (a fourteenth blind
        # tester's OS was stored as "你搞错了").
        parts, value = said, "，".join(said)
    kept = [p for p in parts if not w.has_prefix("negated_value_starts", p)]
    if kept and len(kept) < len(parts):
        # "其实是WAS，不是Informix": the clause saying what it is not is the old value.
        parts, value = kept, "，".join(kept)
    if len(parts) > 1 and (
        w.has_any("wrong_words", value.lower()) or re.match(rf"(?:{prefixes})", parts[-1])
    ):
        # "不是 DB2，是 Informix": the last clause is the new value. Otherwise the whole
        # rest is ("错误现象改为：队列管理器偶尔报2009错误，客户端断开").
        value = parts[-1]
    else:
        value = value.strip(" ，,：:。；;")
    if w.has_any("wrong_words", value.lower()):
        value = re.split(rf"\s+(?=(?:{prefixes}))", value)[-1]
    return re.sub(rf"^(?:{prefixes})\s*", "", value).strip(
        " ，,：:。" + "".join(w["value_trailers"])
    )


def _infer_field(value: str) -> str | None:
    if parse_phone(value):
        return "phone"
    if find_severity(value) is not None or find_severity(next(iter(clauses(value)), "")):
        return "severity"
    if match_product(value) is not None:
        return "product"
    if _VERSION.fullmatch(value):
        return "version"
    # Without a field word or a telling value the message is an answer, not a correction.
    return None


def parse_correction(text: str | None) -> tuple[str | None, str | None]:
    """``(field, value)`` from "公司名写错了，应该是 XX 公司" or "不对，是 2 级", else ``(None, None)``.

    Read in Mandarin; the value is returned as written (see :func:`_as_typed`).
    """
    slot, value = _read_correction(text)
    return slot, _as_typed(value, text)


def _read_correction(text: str | None) -> tuple[str | None, str | None]:
    """``(field, value)`` from "公司名写错了，应该是 XX 公司" or "不对，是 2 级", else ``(None, None)``.

    The field is the one named before the cue (or right after it); without one it is
    inferred from the value (a phone, a severity, a product, a version).
    """
    text = _mandarin(text)  # "補丁級別改成 FP1": the field words are simplified
    cue = _cue(text)
    if cue is None:
        return None, None
    start, end = cue
    slot = _field_before(text[:start])
    value = _strip_value(text[end:])
    head = re.match(rf"(?:{_field_pattern()})", value)
    if head and slot in (None, _field_before(head.group())):
        # "姓名错了，联络人是张演示": the field named again before its value.
        slot = _field_before(head.group())
        value = _strip_value(value[head.end() :])
    if not value:
        return None, None
    return _checked(slot or _infer_field(value), value)


def _checked(slot: str | None, value: str) -> tuple[str | None, str | None]:
    """``(slot, value)`` with a phone or level read from the value; (None, None) if none."""
    if slot == "phone":
        phone = parse_phone(value) or parse_phone(next(iter(clauses(value)), ""))
        return ("phone", phone) if phone else (None, None)
    if slot == "severity":
        # "改成三吧 别浪费你们资源": the level, then a remark.
        # "改成三吧，测试环境不急": the level in the first clause.
        level = (
            find_severity(value)
            or find_severity((value.split() or [""])[0])
            or find_severity(next(iter(clauses(value)), ""))
        )
        return ("severity", str(level)) if level else (None, None)
    if slot == "product":
        # "不是WAS是MQ，我搞混了": the product after the last "是" (a fifteenth blind
        # tester's product became "WAS是MQ，我搞混了" and stayed WAS).
        pieces = re.split(alternation(wording()["swap_is"]), value)
        named = [p.strip(" ，,。") for p in pieces if match_product(p.strip(" ，,。"))]
        value = named[-1] if named else value
    return (slot, value) if slot and value else (None, None)


def parse_corrections(text: str | None, labelled: bool = False) -> list[tuple[str, str]]:
    """Every ``(field, value)`` a message corrects, in order, values as written.

    See :func:`_read_corrections`.
    """
    return [
        (slot, _as_typed(value, text) or value) for slot, value in _read_corrections(text, labelled)
    ]


def _as_typed(value: str | None, text: str | None) -> str | None:
    """``value``, read from the Mandarin form of ``text``, as the customer wrote it.

    The Cantonese mapping keeps lengths, so the same span of the simplified text is
    the value typed: "冇" stays "冇" while "錯咗，係…" is read as "错了，是…".
    """
    if not value or not text:
        return value
    at = _mandarin(text).find(value)
    return to_simplified(text)[at : at + len(value)] if at >= 0 else value


def _read_corrections(text: str | None, labelled: bool = False) -> list[tuple[str, str]]:
    """Every ``(field, value)`` a message corrects, in order.

    "补丁级别改为FC15，操作系统改为CentOS 7" names two fields, each followed by its cue
    ("改为", or after the first real cue also "是": "…，补丁级别是FP8"); each value runs
    to the next field's name. A message naming one field is :func:`parse_correction`'s.

    ``labelled`` (at the summary and the severity question, where every message is
    about the report): a field named at the start of a clause labels its value without
    a cue ("操作系统是RHEL 8.4，补丁级别CSU 5", "错误日志：-908 …"). A tenth blind
    tester's second and third fields were dropped, and a log at the severity question.
    """
    text = _mandarin(text)
    if _cue(text) is None and not labelled:
        return []
    w = wording()
    cues = alternation([*w["correction_cues"], *w["value_prefixes"]])
    joiner = alternation(w["field_joiners"])
    cue = f"(?:{cues})?" if labelled else f"(?:{cues})"
    pattern = rf"(?:{_field_pattern()})\s*(?:{joiner})?\s*{cue}\s*[：:]?"
    heads = list(re.finditer(pattern, text.lower()))
    if labelled:
        heads = [h for h in heads if _starts_clause(text, h.start())]
        if len(heads) == 1 and heads[0].start() == len(text) - len(text.lstrip()):
            slot, value = _checked(
                _field_before(heads[0].group()), _strip_value(text[heads[0].end() :])
            )
            return [(slot, value)] if slot and value else []
    if len(heads) >= 2:
        pairs: list[tuple[str, str]] = []
        for head, after in zip(heads, [*heads[1:], None], strict=True):
            # "联系人改为李雷、电话改为…": a list's separators end a value too.
            raw = text[head.end() : after.start() if after else len(text)]
            value = _strip_value(raw.strip(" ；;、"))
            slot, checked = _checked(_field_before(head.group()), value)
            if slot and checked:
                pairs.append((slot, checked))
        if len(pairs) >= 2:
            return pairs
    named, said = parse_correction(text)
    return [(named, said)] if named and said else []


def _starts_clause(text: str, start: int) -> bool:
    """True when ``start`` begins ``text`` or follows a clause separator."""
    before = text[:start].rstrip(" ")
    return not before or before[-1] in CLAUSE_ENDS


CLAUSE_ENDS = "，,；;。.、\n：:"


def is_acceptance(text: str | None, intent: str | None) -> bool:
    """A yes to the bot's proposal: "好", "可以", "就按你建议的", or intent ``affirm``."""
    w = wording()
    cleaned = clean(text)
    if w.has_any("negations", cleaned) or any(q in (text or "") for q in "?？"):
        return False  # "嗯？这是什么" asks, it does not agree
    if find_severity(cleaned) is not None and w.has_any("accept_phrases", cleaned):
        # "那就按2" at the summary chooses a level; it submitted a fifteenth blind
        # tester's case while he was still choosing.
        return False
    first = clean(next(iter(clauses(cleaned)), ""))
    return (
        intent == "affirm"
        or cleaned in w["accept_words"]
        or first in w["accept_words"]
        or w.has_any("accept_phrases", cleaned)
    )


def is_cancel(text: str | None, intent: str | None, confidence: float) -> bool:
    """A cancel: intent ``cancel``, or a message that starts with a cancel word ("不用了")."""
    if intent == "cancel" and confidence >= CANCEL_CONFIDENCE:
        return True
    if intent == "human_handoff" and confidence >= CANCEL_CONFIDENCE:
        # "算了太麻烦了，直接给我转人工吧": a person, with what was filled (an eleventh
        # blind tester's report was cancelled and nobody was asked).
        return False
    w = wording()
    cleaned = re.sub(rf"^(?:{alternation(w['fillers'])})+", "", clean(text))
    return any(cleaned.startswith(word) for word in w["cancel_words"])


def is_resume(text: str | None) -> bool:
    """A "keep going" at the cancel question ("继续", "不取消")."""
    return wording().has_any("resume_words", clean(text))


# "it is HDR, not HA" / "not HA, it is HDR": the new value and the old one it replaces.
_VALUE = r"[A-Za-z0-9\u4e00-\u9fff][\w.\-]{0,29}?"
_VALUE_END = r"(?=$|[\s，,。！!；;])"


@functools.cache
def _swaps() -> tuple[re.Pattern[str], ...]:
    """The two orders of a value swap, with ``swap_is`` / ``swap_is_not`` words."""
    w = wording()
    is_, is_not = alternation(w["swap_is"]), alternation(w["swap_is_not"])
    new, old = rf"(?P<new>{_VALUE})", rf"(?P<old>{_VALUE})"
    return (
        re.compile(rf"(?:{is_})\s*{new}\s*[，,]?\s*(?:{is_not})\s*{old}{_VALUE_END}"),
        re.compile(rf"(?:{is_not})\s*{old}\s*[，,]?\s*(?:{is_})\s*{new}{_VALUE_END}"),
    )


def value_swap(
    text: str | None, current: Mapping[str, Any], fields: Iterable[str]
) -> tuple[str, str] | None:
    """``(field, new value)`` when ``text`` replaces a value one of ``fields`` holds.

    "That one above is HDR, not HA, change it" names no field but the old value: the
    field whose value holds "HA" (one field only, as a whole word) gets "HDR" in its
    place. A twelfth blind tester's was stored as the answer to the question asked.
    """
    said = to_simplified(text or "")
    for pattern in _swaps():
        match = pattern.search(said)
        if match is None:
            continue
        old, new = match.group("old"), match.group("new")
        if old.lower() == new.lower():
            return None
        word = re.compile(rf"(?<![A-Za-z0-9]){re.escape(old)}(?![A-Za-z0-9])", re.IGNORECASE)
        holders = [f for f in fields if isinstance(current.get(f), str) and word.search(current[f])]
        if len(holders) != 1:
            return None
        return holders[0], word.sub(new, current[holders[0]], count=1)
    return None
