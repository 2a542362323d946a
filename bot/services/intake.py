"""Reading a fault report: what one customer message does to the intake.

Pure functions over the message text, intent and entities, so the whole logic is
testable without Rasa. The form validation action calls :func:`read_turn` once a
turn; it answers the question asked, applies corrections (a field "changed to" a
value) wherever they come, confirms a cancel, and pauses the intake for a contract or case
question. The words customers use are data (:mod:`bot.services.wording`).
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.catalogue import Catalogue, default_catalogue
from bot.replies import render
from bot.services.cases import INTAKE_FIELDS_ALL, STAGE1_FIELDS, STAGE2_FIELDS
from bot.services.contact_details import (
    has_identity_values,
    is_greeting,
    pieces_without_values,
    read_contact_details,
    sentence_like,
    text_without,
)
from bot.services.corrections import (
    has_correction_cue,
    is_acceptance,
    is_cancel,
    is_resume,
    parse_corrections,
    value_swap,
)
from bot.services.description import (
    describes_fault,
    is_long_answer,
    is_thin,
    patch_level,
    read_details,
)
from bot.services.products import match_product
from bot.services.severity import (
    description_of,
    find_severity,
    is_non_production,
    suggest_severity,
)
from bot.services.wording import (
    alternation,
    clauses,
    clean,
    is_unknown_answer,
    wording,
    words_pattern,
)
from bot.textnorm import has_digit, has_han, normalise, to_simplified
from bot.validators import mask_phone, parse_phone

# Asked (as the form's requested slot) while a cancel waits for its confirmation.
CANCEL_QUESTION = "intake_cancel"
# Intents answered by a rule inside a form (the intake reads cancels itself first).
INTERRUPTIONS = {"cancel", "faq", "find_hotline", "human_handoff", "bot_challenge", "repeat"}
INTERRUPTION_CONFIDENCE = 0.6
# "好的" / "谢谢" / "你好" at a question asking for a name or a detail acknowledges it:
# no answer (a blind tester's case was opened with "好的" as every detail).
ACKNOWLEDGEMENTS = frozenset({"affirm", "thank", "greet"})
WAIT_CHARS = 16  # "等一下，老板叫我": a longer message says more than "wait"
# A question this short at a detail question asks something instead of answering.
QUESTION_CHARS = 14
ACKNOWLEDGED_FIELDS = (*STAGE1_FIELDS, *STAGE2_FIELDS)
NO_ANSWER_REPLIES = {"contact_name": "intake_bad_name", "company": "intake_bad_company"}
SKIPPABLE = set(STAGE2_FIELDS) - {"product", "symptoms"}
# Fields whose answer is a value ("11.5.8", "FP7", "AIX 7.2"), never a question.
ASKED_VALUES = ("version", "patch_level", "os")
# Short descriptions, where a short question asks rather than answers ("这个单号多少").
SHORT_DESCRIPTIONS = ("configuration", "other_info", "frequency")
# The short detail questions: another field's label there is that field's value, and a
# correction may name their old value instead of the field (not the product: its own
# correction also resets its details; not the description or the log).
SHORT_DETAILS = (*ASKED_VALUES, *SHORT_DESCRIPTIONS)
# Where a filler ("还有呢") is asked again rather than stored.
HELD_AT = (*SHORT_DETAILS, "trigger_action", "repro_steps")
FILLED_FROM_LONG_ANSWER = 2  # this many fields read: the message was not one answer
# A paste of this many lines with a log's marks is a log, whatever was asked.
LOG_LINES = 3
_LOG_MARKS = re.compile(
    r"\d{1,2}:\d{2}:\d{2}|error|exception|fail|fatal|sqlstate|warn|traceback|\bat [a-z]", re.I
)
# A name or company has letters: "👍" or "？？" is no answer.
_LETTERS = re.compile(r"[\u4e00-\u9fffA-Za-z]")

# Entity → intake field it fills.
ENTITY_FIELDS = {
    "phone": "phone",
    "contract_number": "contract_number",
    "customer_number": "contract_number",
    "product": "product",
    "version": "version",
    "os": "os",
    "error_code": "error_log",
}
# Answers in free text. A message that also gives identity values ahead of their
# questions answers with its other parts only ("张三，电话 138…": the name is 张三).
FREE_TEXT_FIELDS = ("contact_name", "company")
# Where a field named at a clause's start labels its value (bot/services/corrections.py).
LABELLED_AT = ("case_confirmed", "severity")
# What belongs to one product: asked again when the product is corrected.
PRODUCT_DETAILS = ("version", "patch_level")
# What is said of one product: not the next one's when the product changes or is refused.
SAID_OF_PRODUCT = (*PRODUCT_DETAILS, "symptoms", "fault_opening")
# Asked fields that keep every clause of a long answer no other field took (an eleventh
# blind tester's symptom lost two of its three clauses).
CLAUSE_FIELDS = (*SHORT_DESCRIPTIONS, "trigger_action", "repro_steps", "symptoms")
# Entities that make a message an answer to the intake rather than a new request.
ANSWER_ENTITIES = set(ENTITY_FIELDS) | {"email"}
RAW_ENTITY_TYPES = {
    "os",
    "version",
    "error_code",
    "contract_number",
    "customer_number",
    "email",
    "phone",
}


class Outcome(enum.Enum):
    """How the intake ends this turn: cancelled, or paused for another question."""

    CANCEL = "cancel"
    CONTRACT = "contract"
    CASE = "case"
    PAUSE = "pause"  # the customer leaves; the report is kept for "继续报修"
    HOLD = "hold"  # stopped (answers that failed, the store down); kept for "继续报修"


PAUSES = {
    "check_contract": Outcome.CONTRACT,
    "check_case_status": Outcome.CASE,
    "escalate_case": Outcome.CASE,
}


@dataclass
class Extraction:
    """What one message does: slot values, corrected fields, replies, what comes next.

    ``replies`` are keys of ``bot/data/replies.yml`` to say before the next question;
    ``ask`` is a question to ask instead of the form's next one; ``outcome`` ends
    (cancel) or pauses (contract, case) the intake.
    """

    values: dict[str, Any] = field(default_factory=dict)
    corrected: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    ask: str | None = None
    outcome: Outcome | None = None


def with_original_text(text: str, entities: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Entities whose values are the customer's own spelling ("AIX 7.2", "SQL1042C").

    The NLU sees lower-cased text; for free-form values the slot should hold what
    the customer typed. Synonym-mapped values (products, regions) are kept as mapped.
    """
    out = []
    for ent in entities:
        ent = dict(ent)
        start, end = ent.get("start"), ent.get("end")
        if (
            ent.get("entity") in RAW_ENTITY_TYPES
            and isinstance(start, int)
            and isinstance(end, int)
        ):
            piece = text[start:end]
            if piece.lower() == str(ent.get("value", "")).lower():
                ent["value"] = piece
        out.append(ent)
    return out


def contact_to_keep(current: Mapping[str, Any]) -> dict[str, str]:
    """Stage 1 of a report just opened, to offer the conversation's next report.

    The contract number is the one the caller gave when they are not its registered
    contact ("contract_as_given"), so the next report shows them nothing new.
    """
    kept = {f: current.get(f) for f in STAGE1_FIELDS}
    kept["contract_number"] = current.get("contract_as_given") or current.get("contract_number")
    return {k: str(v) for k, v in kept.items() if v}


def contact_carried_over(
    last: Any, values: Mapping[str, Any], current: Mapping[str, Any], text: str = ""
) -> dict[str, str]:
    """The last report's stage 1 for a new report of the same conversation.

    Only when the message starting it gives none of stage 1 itself (nor introduces
    someone) and the intake has none yet: a new name or phone means a different
    contact, who is asked in full.
    """
    if (
        not isinstance(last, Mapping)
        or any(values.get(f) or current.get(f) for f in STAGE1_FIELDS)
        or wording().has_any("name_prefixes", text.lower())
    ):
        return {}
    return {f: str(last[f]) for f in STAGE1_FIELDS if last.get(f)}


def is_interruption(intent: str | None, confidence: float) -> bool:
    """True when the message asks something else rather than answering."""
    return (
        intent is not None
        and intent.split("/")[0] in INTERRUPTIONS
        and confidence >= INTERRUPTION_CONFIDENCE
    )


def gives_values_only(text: str, entities: Sequence[Mapping[str, Any]]) -> bool:
    """True when ``text`` carries values the intake reads and asks nothing.

    A customer and contract number given while the form asks for the company reads like
    a contract check to the classifier, but it is the customer answering ahead.
    """
    gives = any(e.get("entity") in ANSWER_ENTITIES for e in entities)
    return gives and not wording().has_any("question_cues", (text or "").lower())


def collected(current: Mapping[str, Any]) -> bool:
    """True when the intake holds something the customer would lose by cancelling."""
    return any(current.get(s) for s in (*INTAKE_FIELDS_ALL, "severity"))


def _entity_values(entities: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for ent in entities:
        target = ENTITY_FIELDS.get(ent.get("entity", ""))
        if target and target not in values and ent.get("value") is not None:
            values[target] = str(ent["value"])
    return values


def _without_prefix(text: str, list_name: str) -> str:
    return wording().without_prefix(text, list_name).strip("。，, ") or text


def _skipped(slot: str, text: str) -> bool:
    """True when ``text`` says an optional field has nothing (the skip words, normalised)."""
    if slot not in SKIPPABLE:
        return False
    w, said = wording(), clean(to_simplified(text))
    if said in w["skip_words"]:
        return True
    # "不知道补丁", "冇patch", "重现步骤不清楚": the field named with its skip word (a
    # fifteenth blind tester's were stored as typed instead of "未提供").
    labels = (*w.field_words.get(slot, ()), *w["skip_labels"])
    for label in sorted(labels, key=len, reverse=True):
        said = said.replace(label.lower(), "")
    return bool(said) and said in w["skip_words"]


def _answer(
    slot: str, raw: str, entity_values: Mapping[str, str], catalogue: Catalogue
) -> str | None:
    """The candidate answer for ``slot``; the form's validators judge it."""
    text = raw.strip()
    if not text:
        return None
    if _skipped(slot, text):
        return wording().not_provided  # "无" as the log too: nothing to store
    if slot == "error_log":
        return raw  # a pasted log is stored exactly as sent
    if slot in entity_values:
        return entity_values[slot]
    if slot == "patch_level":
        return patch_level(text) or text  # "刚说了IF3啊" → IF3
    if slot == "contact_name":
        return _without_prefix(text, "name_prefixes")
    if slot == "company":
        return _without_prefix(text, "company_prefixes")
    if slot == "phone":
        return parse_phone(text) or text  # a bad number is refused with the reason
    if slot == "contract_number":
        m = re.search(r"[A-Za-z0-9][A-Za-z0-9-]{3,29}", text)
        return m.group() if m and re.search(r"\d", m.group()) else text
    if slot == "product":
        found = catalogue.find_products(text)
        return found[0].name if found else text
    return text


def asks_level(text: str) -> bool:
    """True when ``text`` asks which severity its problem is (``severity_asked_words``)."""
    return wording().has_any("severity_asked_words", clean(text))


def is_aside(text: str) -> bool:
    """True when ``text`` is a question (read as off-topic, it is not an answer)."""
    w = wording()
    stripped = text.strip().rstrip(" 。.!！~～…").lower()
    ends = any(stripped.endswith(end) for end in w["aside_question_ends"])
    # "没做什么操作，自己挂的" answers the trigger question: 什么 after a negation asks nothing.
    said = re.sub(alternation(w["aside_not_questions"]), "", stripped)
    return ends or w.has_any("aside_question_words", said)


def name_problem(name: str) -> str | None:
    """The reply key saying why ``name`` is not a person's name, or None when it will do.

    A question, a product, a place or words no name has (a request to report, to carry
    on) are the customer saying something else: asked again, not stored.
    """
    if not 1 <= len(name) <= 20 or re.search(r"\d", name) or not _LETTERS.search(name):
        return "intake_bad_name"
    low = normalise(name).text.lower()
    w = wording()
    if clean(low) in w["skip_words"] or is_unknown_answer(low):
        # "跳過" / "不知道" were stored as the name (a fifteenth blind tester's case
        # opened under "跳過"): stage 1 needs it.
        return "intake_name_required"
    if (
        is_aside(name)
        or low.startswith(w["command_starts"])
        or match_product(name) is not None
        or default_catalogue().region_of(low) is not None  # "我喺深圳"
        # Whole words only: a real name may hold one of them (the demo contact 赵测试).
        or clean(low) in w["not_names"]
        # "作業系統 RHEL 8.6" at the name question: the OS's label, not a name.
        or any(clean(low) == word for words in w.field_words.values() for word in words)
        or sentence_like(w.without_prefix(name, "name_prefixes"))
        or words_pattern(w["company_words"]).search(low) is not None  # "inc" not in "vincent"
        or w.has_any("report_words", low)
        or w.has_any("resume_words", low)
        # "生产库每隔一小时就断一次，应用间歇报错" at the name question was the name (a
        # seventeenth blind tester); Latin names are left alone ("Li Hang" holds "hang").
        or (has_han(name) and w.has_any("fault_words", low))
    ):
        return "intake_bad_name"
    return None


def company_problem(company: str) -> str | None:
    """The reply key saying why ``company`` is not a company name, or None when it will do.

    A question or a request to report is no company.
    """
    if not 2 <= len(company) <= 80 or not _LETTERS.search(company):
        return "intake_bad_company"
    low = normalise(company).text.lower()
    w = wording()
    if clean(low) in w["skip_words"] or is_unknown_answer(low):
        return "intake_company_required"
    if (
        is_aside(company)
        or low.startswith(w["command_starts"])
        or w.has_any("report_words", low)
        # "OK, go on, the version is 11.5.7 …" (a twelfth blind tester's company)
        or w.has_any("resume_words", low)
        or _detail_labels().search(low) is not None
    ):
        return "intake_bad_company"
    return None


@functools.cache
def _detail_labels() -> re.Pattern[str]:
    """A stage-2 field's explicit label with a value after it ("version is 11.5.7")."""
    w = wording()
    labels = [
        label
        for field_name in STAGE2_FIELDS
        for label in w.field_words.get(field_name, ())
        if label not in w["loose_field_words"]
    ]
    joiners = alternation(w["prefix_joiners"])
    return re.compile(rf"(?:{alternation(labels)})\s*(?:{joiners})?\s*[a-z0-9]")


def _corrections(
    requested: str | None,
    text: str,
    entities: Sequence[Mapping[str, Any]],
    current: Mapping[str, Any],
    result: Extraction,
) -> None:
    """Entities fill their empty fields; with a cue (or at the summary) they overwrite."""
    cue = has_correction_cue(text)
    correcting = cue or requested == "case_confirmed"
    whole = text.strip()
    # "补丁级别改为FC15，操作系统改为CentOS 7": each named field gets its own value.
    labelled = requested in LABELLED_AT
    pairs = dict(parse_corrections(text, labelled)) if cue or labelled else {}
    if requested == "severity" and any(find_severity(v) is not None for v in pairs.values()):
        # "这是生产系统…我觉得应该是二级" answers the severity question: "系统" is no
        # operating system being corrected.
        pairs = {}
    for named, said in list(pairs.items()):
        outside = _outside(entities, text.rfind(said), len(said))
        own = [
            e
            for e in entities
            if e not in outside and ENTITY_FIELDS.get(e.get("entity", "")) == named
        ]
        if own and named in (*ASKED_VALUES, "product"):
            # "产品说错了，是MQ，WebSphere MQ 9.1": the product named, and the version with
            # it is the new version; "MQ版本是9.1" is version 9.1 (a seventeenth blind
            # tester's were asked again and stored as typed).
            pairs[named] = str(max(own, key=lambda e: len(str(e.get("value"))))["value"])
            entities = [e for e in entities if e not in own]
            continue
        # "错误日志改为 … command was issued": the new value is the named field's; the
        # "was" in it (WebSphere Application Server) is no correction of the product.
        entities = outside
        if _skipped(named, said) or wording().has_prefix("clear_words", clean(said)):
            pairs[named] = wording().not_provided  # "其他信息改成没有", "引发操作清空"
    for slot, value in _entity_values(entities).items():
        if slot in pairs:
            # "错误日志改为 AMQ9208E: Error on receive…": the whole new value, not the code.
            value = pairs[slot]
        if slot == requested:
            continue
        if not correcting and requested and len(str(value)) >= 0.8 * len(whole):
            # The message is just this value: it answers the question asked
            # ("12345" for the phone), whatever the NLU thought it was.
            continue
        if slot == "product" and _same_product(value, current.get(slot)):
            continue  # "MQ版本是9.1" of the report's WebSphere MQ corrects the version only
        if correcting and current.get(slot) not in (None, value):
            result.values[slot] = value
            result.corrected.append(slot)
        elif current.get(slot) is None:
            result.values[slot] = value
    for named, said in pairs.items():
        if named not in result.values and current.get(named) != said:
            result.values[named] = said
            result.corrected.append(named)
    if not result.corrected:
        # "it is HDR, not HA, change it" names the old value, not its field.
        swapped = value_swap(text, current, SHORT_DETAILS)
        if swapped is not None:
            result.values[swapped[0]] = swapped[1]
            result.corrected.append(swapped[0])
    if "product" in result.corrected and current.get("product"):
        # "出问题的其实是WAS，不是Informix": Informix's "14.10.FC8" is no WAS version
        # (a ninth blind tester's was kept); the form asks for them again.
        for slot in PRODUCT_DETAILS:
            if current.get(slot) is not None:
                result.values.setdefault(slot, None)


def _same_product(one: Any, other: Any) -> bool:
    """True when both name the same catalogue product ("MQ", "WebSphere MQ")."""
    if one is None or other is None:
        return False
    a, b = match_product(str(one)), match_product(str(other))
    return a is not None and b is not None and a.product.name == b.product.name


def _outside(
    entities: Sequence[Mapping[str, Any]], start: int, length: int
) -> list[Mapping[str, Any]]:
    """The entities not inside ``text[start:start + length]`` (all when start is -1)."""
    if start < 0:
        return list(entities)
    end = start + length
    return [
        e
        for e in entities
        if not (isinstance(e.get("start"), int) and start <= e["start"] and e.get("end", 0) <= end)
    ]


def _long_answer(text: str, current: Mapping[str, Any], result: Extraction) -> int:
    """Fill every empty field a long answer speaks of; returns how many it filled."""
    filled = 0
    for slot, value in read_details(text).items():
        if current.get(slot) is None and slot not in result.values:
            result.values[slot] = value
            filled += 1
    return filled + sum(1 for s in result.values if s in ENTITY_FIELDS.values())


def _keep_rest_for_asked(requested: str, text: str, before: set[str], result: Extraction) -> None:
    """The asked field gets every clause the long answer gave no other field.

    A ninth blind tester's configuration answer (single server, no HA; backups by TSM
    8.1) was stored as its first clause with a configuration word.
    """
    taken = {str(v) for s, v in result.values.items() if s not in before and s != requested}
    rest = [c for c in clauses(text) if c not in taken]
    if rest:
        result.values[requested] = "，".join(rest)


def _contact_details(
    pieces: Sequence[str], current: Mapping[str, Any], result: Extraction, cued_only: bool = False
) -> list[str]:
    """Fill the empty name and company from ``pieces``; returns the pieces used."""
    found, used = read_contact_details(pieces, cued_only)
    for slot, value in found.items():
        if current.get(slot) is None and slot not in result.values:
            result.values[slot] = value
    return used


def _fuzzy_product(text: str, current: Mapping[str, Any], result: Extraction) -> None:
    """A product name with a typo: exact is taken, a near miss waits for a yes."""
    if current.get("product") or "product" in result.values:
        return
    match = match_product(text)
    if match is None:
        return
    key = "product" if match.exact else "product_candidate"
    result.values[key] = match.product.name


def extract(
    requested: str | None,
    text: str,
    intent: str | None,
    entities: Sequence[Mapping[str, Any]],
    current: Mapping[str, Any],
    catalogue: Catalogue | None = None,
) -> Extraction:
    """Which intake fields ``text`` fills when the bot asked for ``requested``.

    Entities fill their empty fields (so a first report naming product, version, OS
    and error code fills all four at once); with a correction cue (the phone "was
    wrong, it is 139...") they overwrite the earlier answer instead of answering the
    current question. A long answer fills every field it speaks of.
    """
    cat = catalogue or default_catalogue()
    result = Extraction()
    from_entities = _entity_values(entities)
    _corrections(requested, text, entities, current, result)
    if result.corrected:
        result.replies.append("intake_updated")
        return result
    if requested is None and not current.get("intake_id"):
        # "报障：王样例/样例数据有限公司/138…/8800003"; without a phone or a number only a
        # piece that introduces the customer counts ("我是演示科技有限公司的张演示").
        identity = has_identity_values(entities)
        pieces = pieces_without_values(text, entities)
        used = _contact_details(pieces, current, result, cued_only=not identity)
        # "我要报修 Informix坏了": the request is no part of the fault's description.
        asks_only = [
            p for p in pieces if wording().has_any("report_words", p) and not describes_fault(p)
        ]
        if identity or used or asks_only or any(is_greeting(p) for p in pieces):
            text = text_without(text, [p for p in pieces if p not in asks_only], used)
        if describes_fault(text):
            # The customer's own words of the fault; a word or two ("DB2挂了") is kept
            # as the opening, and the symptom question still asked (with_opening).
            result.values["fault_opening" if is_thin(text) else "symptoms"] = text
            if is_long_answer(text):
                _long_answer(text, current, result)
        _fuzzy_product(text, current, result)
        return result
    if requested is None:
        result.replies.append("intake_resumed")
        return result
    ahead = _labelled_for_others(requested, text)
    if ahead:
        # "the error log has SQL1224N" at the patch question is the log, given ahead;
        # a twelfth blind tester's was stored as the patch level.
        result.values.update(ahead)
        result.replies.append("noted_ahead")
        return result
    if (
        requested in INTAKE_FIELDS_ALL
        and requested != "patch_level"
        and not current.get("patch_level")
    ):
        # "11.1.7，补丁是IF3" answers the version and, ahead, the patch level.
        patch = patch_level(text)
        if patch and "patch_level" not in result.values:
            result.values["patch_level"] = patch
    if requested in STAGE2_FIELDS and is_long_answer(text):
        before = set(result.values)
        filled = _long_answer(text, current, result)
        _fuzzy_product(text, current, result)
        if requested not in result.values and requested in from_entities:
            # "11.1.7，打了IF3，跑在Windows Server 2019上" at the version question: the
            # version too (a tenth blind tester was asked for it again).
            result.values[requested] = from_entities[requested]
        if filled >= FILLED_FROM_LONG_ANSWER and requested not in result.values:
            return result  # the question asked was not answered: the form asks again
        if requested in CLAUSE_FIELDS and requested in result.values and requested not in before:
            _keep_rest_for_asked(requested, text, before, result)
    if requested == "product" and "product" not in from_entities:
        _fuzzy_product(text, current, result)
        if "product_candidate" in result.values:
            return result
    if requested in FREE_TEXT_FIELDS:
        pieces = pieces_without_values(text, entities)
        if len(pieces) >= 2 or has_identity_values(entities):
            _contact_details(pieces, current, result)
            if requested in result.values:
                return result
            text = " ".join(pieces)
        elif (
            _contact_details(pieces, current, result, cued_only=True) and requested in result.values
        ):
            return result  # "我是演示科技有限公司的张演示" at the name question
        if not text:  # only values for later questions: the form asks again
            # A bare phone at the name question is the phone, whatever it was asked for
            # (kept, or Rasa rejected the turn and the message was lost).
            for slot, value in from_entities.items():
                if current.get(slot) is None and slot not in result.values:
                    result.values[slot] = value
            result.replies.append("noted_ahead")
            return result
    if requested in SKIPPABLE and wording().has_any("skip_rest_words", clean(text)):
        # "后面的都跳过，直接提交吧" was stored as the patch level, "剩下的都不知道" as the
        # OS (a seventeenth blind tester): every optional detail left is "未提供".
        for field in STAGE2_FIELDS[STAGE2_FIELDS.index(requested) :]:
            if field in SKIPPABLE and not current.get(field):
                result.values[field] = wording().not_provided
        result.replies.append("intake_rest_skipped")
        return result
    if (
        requested in ASKED_VALUES
        and requested not in result.values
        and is_aside(text)
        and not has_digit(text)
    ):
        # A question about the field ("where do I find the version?"), not its value.
        result.values[requested] = None
        result.replies.append("intake_detail_question")
        return result
    if (
        requested == "version"
        and "os" in from_entities
        and "version" not in from_entities
        and requested not in result.values
    ):
        # "RHEL 7.9" at the version question was stored as the version (a seventeenth
        # blind tester): it is the operating system, kept, and the version asked again.
        result.values["os"] = from_entities["os"]
        result.values[requested] = None
        result.replies.append("intake_os_at_version")
        return result
    if (
        requested == "version"
        and requested not in result.values
        and not has_digit(text)
        and not _skipped(requested, text)
    ):
        # "那MQ" was stored as the version (a tenth blind tester).
        result.values[requested] = None
        result.replies.append("intake_version_needs_number")
        return result
    if requested in INTAKE_FIELDS_ALL and requested not in result.values:
        answer = _answer(requested, text, from_entities, cat)
        if answer is not None:
            result.values[requested] = answer
    elif requested == "severity":
        level = find_severity(text)
        if level is None and is_acceptance(text, intent) and current.get("suggested_severity"):
            level = int(current["suggested_severity"])
        if level is None:
            # "生产系统完全不能用": the impact rather than a level; the guide's level for it.
            impact = suggest_severity(text, cat)
            # "生产也受影响了" lifts the test system's 3: the answer is read as given.
            production_now = wording().has_any("production_words", text) and not (
                is_non_production(text, cat)
            )
            non_production = is_non_production(f"{description_of(current)} {text}", cat)
            if impact.matched and non_production and not production_now and impact.level < 3:
                # "就是起不来啊" about a test system: the symptom again, not a choice of
                # level 1 against the guide's 3 for non-production faults; asked again.
                result.values["severity"] = None
                result.replies.append("severity_impact_non_production")
                return result
            if impact.matched:
                level = impact.level
                result.replies.append("severity_from_impact")
        if level is None:
            # Not a level: say how to answer. Without an answer event Rasa rejected the
            # form's turn and the customer got "我没有理解" or the menu.
            result.values["severity"] = None
            result.replies.append("intake_bad_severity")
        else:
            result.values["severity"] = str(level)
            if level < 3 and is_non_production(f"{description_of(current)} {text}", cat):
                result.replies.append("severity_non_production")
    return result


# What a first message filled, read back before the next question (in this order).
NOTED_FIELDS = (*STAGE1_FIELDS, "product", "version", "patch_level", "os")


def _noted_label(field_name: str, value: str) -> str:
    """The field's name; the contract field holding a customer number (digits) says so."""
    words = wording().field_words[field_name]
    if field_name == "contract_number" and value.isdigit() and len(words) > 1:
        return words[1]  # field_words: contract_number: [合同号, 客户号]
    return words[0]


def noted_text(values: Mapping[str, Any]) -> str | None:
    """The report's opening when the first message introduced the customer, else None.

    A first message with the name (and company, phone ...) skips the name question,
    whose text opens the report; this says the report started and what was taken (the
    phone masked), so the customer sees why the next question is not the name.
    """
    if not values.get("contact_name"):
        return None
    items = []
    for f in NOTED_FIELDS:
        if values.get(f):
            value = str(values[f])
            shown = mask_phone(value) if f == "phone" else value
            items.append(render("intake_noted_item", label=_noted_label(f, value), value=shown))
    return render("intake_started_noted", details=render("detail_separator").join(items))


def _cancel_answer(text: str, intent: str | None, current: Mapping[str, Any]) -> Extraction:
    """The answer to the cancel question: a yes cancels, anything else carries on."""
    if not is_resume(text) and (
        is_acceptance(text, intent)
        or intent == "cancel"
        or wording().has_any("cancel_words", clean(text))
    ):
        return Extraction(outcome=Outcome.CANCEL)
    resume = current.get("intake_resume")
    return Extraction(
        values={"intake_resume": None},
        replies=["intake_cancel_kept"],
        ask=resume if resume in (*INTAKE_FIELDS_ALL, "severity", "case_confirmed") else None,
    )


def _summary_answer(text: str, intent: str | None) -> Extraction:
    """At the summary only a yes opens the case; anything unclear shows it again."""
    if is_acceptance(text, intent):
        return Extraction(values={"case_confirmed": "yes"})
    level = find_severity(text)
    if level is not None and wording().has_any("accept_phrases", clean(text)):
        # "那就按2": the level chosen, and the summary shown again to confirm.
        return Extraction(
            values={"case_confirmed": None, "severity": str(level)}, corrected=["severity"]
        )
    key = "intake_what_to_change" if intent == "deny" else "intake_summary_hint"
    return Extraction(values={"case_confirmed": None}, replies=[key])


def _keeps_pasted_log(read: Callable[..., Extraction]) -> Callable[..., Extraction]:
    """A log pasted at another question is kept whole as the error log.

    A ninth blind tester's Cognos log was stored as its first error code, the root
    cause lost.
    """

    @functools.wraps(read)
    def reading(requested: str | None, text: str | None, *args: Any, **kwargs: Any) -> Extraction:
        result = read(requested, text, *args, **kwargs)
        entities = args[2] if len(args) > 2 else kwargs.get("entities", ())
        current = args[3] if len(args) > 3 else kwargs.get("current", {})
        if (
            # At the opening too: a fourteenth blind tester's report began with the
            # log, and only "I1001E456" of it reached the case.
            (requested is None or requested in STAGE2_FIELDS or requested in STAGE1_FIELDS)
            and requested != "error_log"
            and current.get("error_log") is None
            and is_pasted_log(text or "", entities)
        ):
            result.values["error_log"] = (text or "").strip()
        return result

    return reading


def _switches_product(text: str, entities: Sequence[Mapping[str, Any]]) -> bool:
    """True for a cancel word naming another product to report: not a cancel."""
    # "那算了，其实DataStage也有问题，就报DataStage吧": a fourteenth blind tester, told
    # Cognos was not on the contract, was asked whether to cancel the report.
    names_product = any(e.get("entity") == "product" for e in entities)
    return names_product and wording().has_any("product_switch_words", clean(text))


def _switches_now(
    requested: str | None,
    text: str,
    entities: Sequence[Mapping[str, Any]],
    current: Mapping[str, Any],
) -> bool:
    """True for a request to report another product first (a switch word and a product).

    At the number question another product alone is that too: it follows "this product
    is not on the contract" ("DB2" had been looked up as a number, for its digit).
    """
    products = [str(e.get("value")) for e in entities if e.get("entity") == "product"]
    if not products or not current.get("product"):
        return False
    other = match_product(products[0])
    mine = match_product(str(current["product"]))
    if other is None or (mine is not None and other.product.name == mine.product.name):
        return False
    if requested == "contract_number":
        return not any(ENTITY_FIELDS.get(e.get("entity", "")) == requested for e in entities)
    return wording().has_any("product_switch_now_words", clean(text))


def _product_switch(
    entities: Sequence[Mapping[str, Any]], current: Mapping[str, Any]
) -> Extraction:
    """The report's product replaced; what was said of the old one is asked again."""
    product = next(str(e.get("value")) for e in entities if e.get("entity") == "product")
    if current.get("product") in (None, product):
        return Extraction(values={"product": product})
    # The old product's version, patch and fault are not the new one's (the tester's
    # DataStage case kept "我司Cognos报表服务宕机" and its severity-1 suggestion).
    reset = dict.fromkeys(SAID_OF_PRODUCT)
    return Extraction(
        values={**reset, "product": product}, corrected=["product"], replies=["intake_updated"]
    )


def is_pasted_log(text: str, entities: Sequence[Mapping[str, Any]]) -> bool:
    """True for several lines of a log (an error code, a time stamp or a log word in them)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < LOG_LINES:
        return False
    has_code = any(e.get("entity") == "error_code" for e in entities)
    return has_code or _LOG_MARKS.search(text) is not None


@_keeps_pasted_log
def read_turn(
    requested: str | None,
    text: str | None,
    intent: str | None,
    confidence: float,
    entities: Sequence[Mapping[str, Any]],
    current: Mapping[str, Any],
    catalogue: Catalogue | None = None,
) -> Extraction:
    """Everything one message does to the intake (see :class:`Extraction`)."""
    text = text or ""
    if requested == CANCEL_QUESTION:
        asks_else = intent != "cancel" and is_interruption(intent, confidence)
        if asks_else and not is_resume(text):
            # A hotline or FAQ question at "cancel the report?": its rule answers it and
            # the question is asked again; it is neither a yes nor a "carry on".
            return Extraction()
        if intent == "goodbye" and confidence >= INTERRUPTION_CONFIDENCE and not is_resume(text):
            # "拜拜" at "cancel the report?": leaving, with the report kept for "继续报修"
            # (an eighth blind tester's goodbye was read as "carry on").
            return Extraction(values={"intake_resume": None}, outcome=Outcome.PAUSE)
        return _cancel_answer(text, intent, current)
    # "算了，先帮我查一下合同": the contract check the report pauses for, not a cancel
    # (a blind tester's report was dropped and no contract was checked).
    switches = intent in PAUSES and confidence >= INTERRUPTION_CONFIDENCE
    if is_cancel(text, intent, confidence) and _switches_product(text, entities):
        return _product_switch(entities, current)
    if _switches_now(requested, text, entities, current):
        # "等一下，WAS那边更急…先报WAS的" at the patch question: stored as the patch level
        # (a fifteenth blind tester), now the report's product.
        return _product_switch(entities, current)
    if not switches and is_cancel(text, intent, confidence):
        if collected(current):
            return Extraction(values={"intake_resume": requested}, ask=CANCEL_QUESTION)
        return Extraction(outcome=Outcome.CANCEL)
    # At the severity question a level, or the impact ("生产完全不能用了 很急"), is the
    # answer, however urgent it sounds ("不行 我们很急 要定一级" reads as an escalation).
    answers_severity = requested == "severity" and (
        find_severity(text) is not None or suggest_severity(text, catalogue).matched is not None
    )
    # "合同号是多少来着。。。PPA-DEMO-0002" at the contract question answers it, though
    # it reads as a contract check (a tenth blind tester's report was paused for one).
    answers_asked = any(ENTITY_FIELDS.get(e.get("entity", "")) == requested for e in entities)
    if not has_correction_cue(text) and not answers_severity and not answers_asked:
        if is_interruption(intent, confidence):
            return Extraction()
        pause = PAUSES.get(intent or "") if confidence >= INTERRUPTION_CONFIDENCE else None
        if pause is not None and requested is not None and not gives_values_only(text, entities):
            return Extraction(outcome=pause, replies=["intake_kept"])
    # At the summary or the severity a question is about them: their own hints answer.
    if (
        intent == "out_of_scope"
        and requested in INTAKE_FIELDS_ALL
        and is_aside(text)
        # "不清楚什么操作引起的" is the answer "unknown", not a question (a fourteenth
        # blind tester got the off-topic answer).
        and not is_unknown_answer(text)
    ):
        return Extraction(values={requested: None}, replies=["intake_aside"])
    candidate = current.get("product_candidate")
    if requested == "product" and candidate:
        if is_acceptance(text, intent):
            return Extraction(values={"product": candidate, "product_candidate": None})
        if intent == "deny" and not match_product(text):
            return Extraction(values={"product_candidate": None})
    if requested in SHORT_DETAILS and _only_an_identity(text, entities):
        # "PPA-DEMO-0001" at the patch question, sent by a customer who has both numbers,
        # was stored as the patch level (a thirteenth blind tester).
        return Extraction(values={requested: None}, replies=["intake_identity_not_detail"])
    held = _holding_reply(requested, text)
    if requested is not None and held is not None:
        return Extraction(values={requested: None}, replies=[held])
    if (
        requested in ACKNOWLEDGED_FIELDS
        and intent in ACKNOWLEDGEMENTS
        and confidence >= INTERRUPTION_CONFIDENCE
        and not gives_values_only(text, entities)
    ):
        # Asked again (an empty reading would be rejected by Rasa's form and answered
        # with the fallback).
        skippable = "intake_need_detail_skippable" if requested in SKIPPABLE else None
        bad = NO_ANSWER_REPLIES.get(requested) or skippable or "intake_need_detail"
        return Extraction(values={requested: None}, replies=[bad])
    if intent == "goodbye" and confidence >= INTERRUPTION_CONFIDENCE and requested is not None:
        # "拜拜" mid-report: nothing is stored as an answer; the report waits for "继续报修".
        return Extraction(outcome=Outcome.PAUSE)
    result = extract(requested, text, intent, entities, current, catalogue)
    if requested == "product" and candidate and "product_candidate" not in result.values:
        result.values["product_candidate"] = None
    if requested == "case_confirmed" and not result.values:
        return _summary_answer(text, intent)
    return result


def _labelled_for_others(requested: str, text: str) -> dict[str, str]:
    """Other fields' values when ``text`` starts with their label, at a short question.

    Only explicit labels count (``loose_field_words`` such as "system" or "steps" start
    descriptions as often as they label a field), and not when the asked field is
    among them or the value says to empty it.
    """
    if requested not in SHORT_DETAILS:
        return {}
    pairs = parse_corrections(text, labelled=True)
    if not pairs or any(field_name == requested for field_name, _ in pairs):
        return {}
    w = wording()
    start = clean(text).lstrip()
    first = pairs[0][0]
    labels = [x for x in w.field_words.get(first, []) if x not in w["loose_field_words"]]
    if not any(start.startswith(label) for label in labels):
        return {}
    return {
        field_name: value
        for field_name, value in pairs
        if field_name in STAGE2_FIELDS and not w.has_any("clear_words", value)
    }


IDENTITY_ENTITIES = frozenset({"phone", "contract_number", "customer_number", "email", "case_id"})


def _only_an_identity(text: str, entities: Sequence[Mapping[str, Any]]) -> bool:
    """True when the whole message is one number or address of stage 1 (or a case id)."""
    found = [e for e in entities if e.get("entity") in IDENTITY_ENTITIES]
    if len(found) != 1 or len(entities) != 1:
        return False
    start, end = found[0].get("start"), found[0].get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        return False
    rest = text[:start] + text[end:]
    return not re.sub(r"[\W_]+", "", rest)


def _holding_reply(requested: str | None, text: str) -> str | None:
    """The reply to a message that answers nothing but holds the question open, else None.

    Found by a blind tester, each stored as an answer before: the "carry on with the
    report" phrase the bot itself offers, stored as the version; "wait, my boss is
    calling me", stored as the version; at the severity question, a question about
    the difference between two levels, read as a choice of the first level it named.
    """
    if requested not in (*ACKNOWLEDGED_FIELDS, "severity"):
        return None
    w = wording()
    bare = re.sub(r"[\W_]+", "", clean(text))
    if bare in w["resume_phrases"]:
        return "intake_resumed"
    digits = has_digit(bare)
    if not digits and len(bare) <= WAIT_CHARS and w.has_any("wait_words", bare):
        return "intake_wait"
    if requested == "severity" and w.has_any("response_time_words", bare):
        return "intake_severity_response"
    if requested == "severity" and w.has_any("severity_question_words", bare):
        return "intake_severity_explained"
    if requested != "severity" and not digits and w.has_any("callback_request_words", bare):
        # "太慢了，你让工程师直接打我电话吧" at the patch level question was stored as
        # the patch level (a ninth blind tester): the engineer calls once it is submitted.
        return "intake_callback_after_submit"
    if requested == "symptoms" and bare in w["skip_words"]:
        return "intake_symptoms_needed"  # "跳过" was stored as the symptom
    if requested in HELD_AT and not digits and not is_unknown_answer(bare):
        # "what's the case number" or "and then?" at the configuration or frequency
        # question was stored as its answer (a twelfth blind tester).
        if bare in w["no_answer_fillers"]:
            return "intake_need_detail_skippable"
        if requested not in SHORT_DESCRIPTIONS:
            # A question at a value question is about the field (extract answers it);
            # a trigger or steps may well be worded as one ("重启后啥也干不了").
            return None
        if len(bare) <= QUESTION_CHARS and (
            is_aside(text) or w.has_any("detail_question_words", bare)
        ):
            return "intake_question_held"
        if w.has_any("when_words", bare) and ("?" in text or "？" in text) and is_aside(text):
            # "我就想问下，这个工程师几点会联系我？现在是凌晨" was stored as the
            # configuration (a seventeenth blind tester): a question of when, however long.
            return "intake_question_held"
    return None


def with_opening(
    values: dict[str, Any], current: Mapping[str, Any], corrected: Sequence[str] = ()
) -> dict[str, Any]:
    """``values`` with a thin opening (a product and a fault word) before its symptoms.

    The case's description is then the customer's first words and their answer. A
    symptom the customer corrects replaces both: a tenth blind tester's Informix case
    still began with the opening it corrected.
    """
    opening = current.get("fault_opening")
    symptoms = values.get("symptoms")
    if "symptoms" in corrected:
        return {**values, "fault_opening": None} if opening else values
    if not opening or not symptoms or str(opening) in str(symptoms):
        return values
    joined = render("intake_opening_then_symptoms", opening=opening, symptoms=symptoms)
    return {**values, "symptoms": joined}
