"""Stage 1 given in one message: "张演示，演示科技有限公司，13800000001，客户号8800001".

Customers who have called support before give their name, company, phone and number
in one go, separated by commas, slashes or spaces. The phone and the numbers are
entities; this module finds the name and the company among the other pieces: a piece
with a company word (有限公司, 银行, 大学 …) is the company, a short run of Chinese
characters that is no request or fault word is the name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.services.wording import alternation, wording

IDENTITY_ENTITIES = {"phone", "contract_number", "customer_number", "email"}
_PIECES = re.compile(r"[，,。；;！!？?、/|｜:：\s]+")
_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,4}$")


def spelled(text: str, ent: Mapping[str, Any]) -> str:
    """The entity as written in ``text`` (its value when the offsets do not fit)."""
    start, end = ent.get("start"), ent.get("end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        return text[start:end]
    return str(ent.get("value") or "")


def pieces_without_values(text: str, entities: Sequence[Mapping[str, Any]]) -> list[str]:
    """The pieces of ``text`` that hold no phone, e-mail or customer / contract number.

    A piece that is only a field's label ("客户号是", "姓名") goes too.
    """
    values = [spelled(text, e).lower() for e in entities if e.get("entity") in IDENTITY_ENTITIES]
    labels = {w for words in wording().field_words.values() for w in words}
    joiners = alternation(wording()["prefix_joiners"])
    return [
        piece
        for piece in _PIECES.split(text)
        if piece
        and not any(v and v in piece.lower() for v in values)
        and re.sub(rf"(?:{joiners})$", "", piece) not in labels
    ]


def has_identity_values(entities: Sequence[Mapping[str, Any]]) -> bool:
    """True when the message gives a phone, an e-mail or a customer / contract number."""
    return any(e.get("entity") in IDENTITY_ENTITIES for e in entities)


def read_contact_details(pieces: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """``contact_name`` and ``company`` among ``pieces``, and the pieces they came from."""
    w = wording()
    found: dict[str, str] = {}
    used: list[str] = []
    trailing = rf"(?:{alternation(w['detail_trailers'])})$"
    for piece in pieces:
        lowered = piece.lower()
        company = re.sub(trailing, "", w.without_prefix(piece, "company_prefixes"))
        if "company" not in found and w.has_any("company_words", lowered) and len(company) >= 2:
            found["company"] = company
            used.append(piece)
            continue
        name = re.sub(trailing, "", w.without_prefix(piece, "name_prefixes"))
        if (
            "contact_name" not in found
            and _NAME.match(name)
            and not w.has_any("request_words", name)
            and not w.has_any("fault_words", name)
            and not w.has_any("not_names", name)
        ):
            found["contact_name"] = name
            used.append(piece)
    return found, used
