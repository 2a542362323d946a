"""Reading a fault report: which intake fields a customer message fills.

Pure functions over the message text, intent and entities, so the whole extraction
logic is testable without Rasa. The form validation action calls :func:`extract`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.catalogue import Catalogue, default_catalogue
from bot.services.cases import STAGE1_FIELDS, STAGE2_FIELDS
from bot.services.severity import parse_severity
from bot.validators import parse_phone

INTAKE_FIELDS = (*STAGE1_FIELDS, *STAGE2_FIELDS)
# Intents that interrupt the form (answered by a rule, then the form resumes).
INTERRUPTIONS = {"cancel", "faq", "find_hotline", "human_handoff", "bot_challenge", "out_of_scope"}
INTERRUPTION_CONFIDENCE = 0.6
SKIP_WORDS = {
    "没有",
    "无",
    "跳过",
    "不清楚",
    "不知道",
    "暂无",
    "没",
    "略",
    "skip",
    "none",
    "n/a",
    "不确定",
}
SKIPPABLE = set(STAGE2_FIELDS) - {"product", "symptoms"}
NOT_PROVIDED = "未提供"
CORRECTION_CUE = re.compile(r"写错|错了|改成|改为|改一下|更正|应该是|更新为|换成")

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
# Words naming a field in a correction ("公司改成…").
FIELD_WORDS = {
    "contact_name": ["姓名", "名字"],
    "company": ["公司名称", "公司名", "公司"],
    "phone": ["电话", "手机", "联系电话"],
    "contract_number": ["合同号", "客户号"],
    "product": ["产品"],
    "version": ["版本号", "版本"],
    "patch_level": ["补丁级别", "补丁"],
    "os": ["操作系统", "系统"],
    "configuration": ["配置"],
    "other_info": ["其他信息"],
    "frequency": ["频率"],
    "trigger_action": ["操作"],
    "repro_steps": ["步骤"],
    "symptoms": ["现象"],
    "error_log": ["日志", "错误信息"],
}
_NAME_PREFIX = re.compile(r"^(我叫|我是|姓名[:：是]?|名字[:：是]?|叫)\s*")
_COMPANY_PREFIX = re.compile(r"^(我们?公司[是叫:：]?|公司名称?[是:：]?|单位[是:：]?|来自)\s*")


@dataclass
class Extraction:
    """Slot values read from one message, and the fields it corrected."""

    values: dict[str, Any] = field(default_factory=dict)
    corrected: list[str] = field(default_factory=list)
    interrupted: bool = False


RAW_ENTITY_TYPES = {
    "os",
    "version",
    "error_code",
    "contract_number",
    "customer_number",
    "email",
    "phone",
}


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


def is_interruption(intent: str | None, confidence: float) -> bool:
    """True when the message asks something else rather than answering."""
    return (
        intent is not None
        and intent.split("/")[0] in INTERRUPTIONS
        and confidence >= INTERRUPTION_CONFIDENCE
    )


def _entity_values(entities: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for ent in entities:
        target = ENTITY_FIELDS.get(ent.get("entity", ""))
        if target and target not in values and ent.get("value") is not None:
            values[target] = str(ent["value"])
    return values


def _answer(
    slot: str, raw: str, entity_values: Mapping[str, str], catalogue: Catalogue
) -> str | None:
    """The candidate answer for ``slot``; the form's validators judge it."""
    text = raw.strip()
    if not text:
        return None
    if slot == "error_log":
        return raw  # a pasted log is stored exactly as sent
    if slot in entity_values:
        return entity_values[slot]
    if slot in SKIPPABLE and text.lower().strip("。.!！ ") in SKIP_WORDS:
        return NOT_PROVIDED
    if slot == "contact_name":
        return _NAME_PREFIX.sub("", text).strip("。，, ") or text
    if slot == "company":
        return _COMPANY_PREFIX.sub("", text).strip("。，, ") or text
    if slot == "phone":
        return parse_phone(text) or text  # a bad number is refused with the reason
    if slot == "contract_number":
        m = re.search(r"[A-Za-z0-9][A-Za-z0-9-]{3,29}", text)
        return m.group() if m and re.search(r"\d", m.group()) else text
    if slot == "product":
        found = catalogue.find_products(text)
        return found[0].name if found else text
    return text


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a person's name, or None when it will do."""
    if not 1 <= len(name) <= 20 or re.search(r"\d", name):
        return "请告诉我您的姓名（例如：张伟）。"
    return None


def company_problem(company: str) -> str | None:
    """Why ``company`` is not a company name, or None when it will do."""
    if not 2 <= len(company) <= 80:
        return "请告诉我贵公司的全称（例如：某某科技有限公司）。"
    return None


def extract(
    requested: str | None,
    text: str,
    intent: str | None,
    confidence: float,
    entities: Sequence[Mapping[str, Any]],
    current: Mapping[str, Any],
    catalogue: Catalogue | None = None,
) -> Extraction:
    """Which intake fields ``text`` fills when the bot asked for ``requested``.

    Entities fill their empty fields (so a first report like "DB2 11.5.8 在 AIX 7.2
    上起不来，报 SQL1042C" fills product, version, OS and error log at once); with a
    correction cue ("电话写错了，是 139…") they overwrite the earlier answer instead
    of answering the current question.
    """
    cat = catalogue or default_catalogue()
    result = Extraction()
    from_entities = _entity_values(entities)
    correcting = bool(CORRECTION_CUE.search(text or ""))
    # "电话写错了，是139…" may look like a hotline question to the classifier; a
    # correction cue with something to correct wins over the interruption.
    if is_interruption(intent, confidence) and not (
        correcting and (from_entities or parse_text_correction(text)[0])
    ):
        result.interrupted = True
        return result
    whole = (text or "").strip()
    for slot, value in from_entities.items():
        if slot == requested:
            continue
        if not correcting and requested and len(str(value)) >= 0.8 * len(whole):
            # The message is just this value: it answers the question asked
            # ("12345" for the phone), whatever the NLU thought it was.
            continue
        if correcting and current.get(slot) not in (None, value):
            result.values[slot] = value
            result.corrected.append(slot)
        elif current.get(slot) is None:
            result.values[slot] = value
    if correcting and not result.corrected:
        slot, value = parse_text_correction(text)
        if slot and value:
            result.values[slot] = value
            result.corrected.append(slot)
    if requested in INTAKE_FIELDS and not result.corrected:
        answer = _answer(requested, text or "", from_entities, cat)
        if answer is not None:
            result.values[requested] = answer
    elif requested == "severity" and not result.corrected:
        level = parse_severity(text) if text else None
        if level is None:
            sev = next((e for e in entities if e.get("entity") == "severity"), None)
            level = int(sev["value"]) if sev and str(sev.get("value")) in "123" else None
        if level is None and is_acceptance(text, intent) and current.get("suggested_severity"):
            level = int(current["suggested_severity"])
        if level is not None:
            result.values["severity"] = str(level)
    return result


ACCEPT_WORDS = {
    "好",
    "好的",
    "好吧",
    "可以",
    "行",
    "嗯",
    "嗯嗯",
    "对",
    "是",
    "是的",
    "确认",
    "确定",
    "同意",
    "ok",
    "okay",
    "没问题",
    "就这样",
    "提交",
    "确认提交",
    "yes",
}


def is_acceptance(text: str | None, intent: str | None) -> bool:
    """A yes to the bot's proposal ("好", "确认", or any message classified ``affirm``)."""
    cleaned = (text or "").strip().strip("。.!！~～ ").lower()
    return intent == "affirm" or cleaned in ACCEPT_WORDS


def parse_text_correction(text: str) -> tuple:
    """``(field, value)`` from "公司名写错了，应该是 XX 公司", else ``(None, None)``."""
    for slot, words in FIELD_WORDS.items():
        for word in words:
            m = re.search(
                rf"{word}.*?(?:写错了?|错了|改成|改为|更正为|应该是|更新为|换成)[，,:： ]*(?:应该是|应为|是|为)?\s*(.+)$",
                text,
            )
            if m and m.group(1).strip("。 "):
                value = m.group(1).strip("。 ")
                if slot == "phone":
                    value = parse_phone(value) or ""
                return (slot, value) if value else (None, None)
    return None, None
