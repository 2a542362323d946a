"""Stage 1 given in one message: "张演示，演示科技有限公司，13800000001，客户号8800001".

Customers who have called support before give their name, company, phone and number
in one go, separated by commas, slashes or spaces. The phone and the numbers are
entities; this module finds the name and the company among the other pieces: a piece
with a company word (有限公司, 银行, 大学 …) is the company, a short run of Chinese
characters that is no request or fault word is the name.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.catalogue import default_catalogue
from bot.services.wording import alternation, wording, words_pattern
from bot.textnorm import has_han, to_simplified

IDENTITY_ENTITIES = {"phone", "contract_number", "customer_number", "email"}
# Split at punctuation and at spaces, except a space inside a Latin phrase ("Demo Tech
# HK Ltd", "John Smith" are one piece each).
_PIECES = re.compile(
    r"[，,。；;！!？?、/|｜:：（）()]+\s*|(?<![Cc]o)(?<![Ii]nc)\.\s+|(?<![A-Za-z.])\s+|\s+(?![A-Za-z])"
)
# "Demo Tech Co., Ltd.": the comma before a company's legal form splits nothing (a
# tenth blind tester's company was stored as "Ltd.").
_LEGAL_FORM_COMMA = re.compile(r"[,，]\s*(?=(?:ltd|limited|inc|llc|corp|co)\b)", re.I)
_LATIN_NAME = re.compile(r"^[A-Z][a-z]+(?: [A-Z][a-z]+){1,3}$")
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
    labels |= set(wording()["english_labels"])
    joiners = alternation(wording()["prefix_joiners"])
    pieces = []
    for piece in _PIECES.split(_LEGAL_FORM_COMMA.sub(" ", text)):
        if piece and any(v and v in piece.lower() for v in values):
            piece = _owner_of_value(piece, values)
        if piece and to_simplified(re.sub(rf"(?:{joiners})$", "", piece)).lower() not in labels:
            pieces.append(piece)
    return pieces


def _owner_of_value(piece: str, values: Sequence[str]) -> str:
    """What is left of a piece with a value when the value names its owner, else "".

    "我是8800001的张演示" introduces the contact behind a customer number (a sixteenth
    blind tester's name was lost with the number's piece); any other piece holding a
    value is only that value and its label.
    """
    for value in values:
        at = piece.lower().find(value) if value else -1
        if at < 0:
            continue
        rest = piece[at + len(value) :]
        joiner = next((j for j in wording()["value_owner_joiners"] if rest.startswith(j)), None)
        if joiner and _NAME.match(rest[len(joiner) :]):
            return piece[:at] + rest[len(joiner) :]
    return ""


def has_identity_values(entities: Sequence[Mapping[str, Any]]) -> bool:
    """True when the message gives a phone, an e-mail or a customer / contract number."""
    return any(e.get("entity") in IDENTITY_ENTITIES for e in entities)


def _is_name(name: str) -> bool:
    """True when ``name`` reads as a person's name, no request.

    Two to four Chinese characters, or two to four capitalised Latin words ("John Smith").
    """
    w = wording()
    simplified = to_simplified(name)  # "此致 敬禮": the word lists are simplified
    if _LATIN_NAME.match(name):
        # "Cognos Analytics" is a product, not a person (a seventeenth blind tester's
        # contact).
        return (
            not w.has_any("company_words", name.lower())
            and not any(word.lower() in w["english_labels"] for word in name.split())
            and not default_catalogue().find_products(name)
        )
    return bool(
        _NAME.match(name)
        and not sentence_like(simplified)
        and not w.has_any("request_words", simplified)
        and not w.has_any("fault_words", simplified)
        and not w.has_any("not_names", simplified)
        and not w.has_any("company_words", name)
    )


def sentence_like(text: str) -> bool:
    """True for Chinese with characters of a sentence (``not_name_chars``), not of a name."""
    return has_han(text) and any(c in wording()["not_name_chars"] for c in text)


@functools.lru_cache(maxsize=1)
def _introduction_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The patterns "<company>的<name>" and "在<company>工作", from the word lists."""
    w = wording()
    ending = alternation(w["company_endings"])
    company_then_name = re.compile(
        rf"^(?P<company>.{{1,40}}?(?:{ending}))(?:{alternation(w['company_name_joiners'])})?"
        r"(?P<name>[\u4e00-\u9fff·]{2,4})$"
    )
    workplace = re.compile(
        rf"^(?:{alternation(w['workplace_before'])})(?P<company>.{{1,40}}?(?:{ending}))"
        rf"(?:{alternation(w['workplace_after'])})$"
    )
    # "华信的陈工": a short company without a company word, then a joiner and the name.
    short_company_then_name = re.compile(
        rf"^(?P<company>\S{{2,20}}?)(?:{alternation(w['company_name_joiners'])})"
        r"(?P<name>[\u4e00-\u9fff·]{2,4})$"
    )
    return company_then_name, workplace, short_company_then_name


def _introduction(piece: str) -> dict[str, str]:
    """The company, and the name, a sentence introducing the customer gives.

    "我是演示科技有限公司的张演示" → both; "在上海华信软件公司工作" → the company.
    """
    company_then_name, workplace, short_company_then_name = _introduction_patterns()
    body = wording().without_prefix(piece.lower(), "name_prefixes")
    original = piece[len(piece) - len(body) :]  # the company as written (Latin case kept)
    m = workplace.match(body)
    if m:
        return {"company": original[m.start("company") : m.end("company")]}
    introduced = body != piece.lower()  # "我是 / 本人系 …"
    surnames = wording()["surnames"]
    m = company_then_name.match(body)
    if m and _is_name(m["name"]) and (introduced or m["name"].startswith(surnames)):
        return {"company": original[: m.end("company")], "contact_name": m["name"]}
    # "我是华信的陈工": a company without a company word, when a surname follows 的.
    m = short_company_then_name.match(body)
    if (
        introduced
        and m
        and _is_name(m["name"])
        and m["name"].startswith(surnames)
        and not wording().has_any("not_names", m["company"])  # "生产环境的王总"
    ):
        return {"company": original[: m.end("company")], "contact_name": m["name"]}
    return {}


def _introduced_name(piece: str, name: str) -> str | None:
    """The name (``piece`` without its prefix) after "我叫 / 本人 / 姓名：…".

    After a bare "我是" only one with a surname.
    """
    w = wording()
    if name == piece or not _is_name(name):
        return None
    weak = re.match(rf"(?:{alternation(w['weak_name_prefixes'])})", piece) is not None
    if weak and not name.startswith(w["surnames"]):
        return None  # "我是运维"
    return name


def read_contact_details(
    pieces: Sequence[str], cued_only: bool = False
) -> tuple[dict[str, str], list[str]]:
    """``contact_name`` and ``company`` among ``pieces``, and the pieces they came from.

    With ``cued_only`` (no phone or number says these are contact details) a piece
    counts only when it introduces the customer: "我叫…", "我是…公司的…", "在…公司工作".
    """
    w = wording()
    found: dict[str, str] = {}
    used: list[str] = []
    trailing = rf"(?:{alternation(w['detail_trailers'])})$"
    ending = alternation(w["company_endings"])
    introduced_company = None
    for piece in pieces:
        intro = {k: v for k, v in _introduction(piece).items() if k not in found}
        if intro:
            found.update(intro)
            used.append(piece)
            introduced_company = intro.get("company")
            continue
        stripped = w.without_prefix(piece, "company_prefixes")
        company = re.sub(trailing, "", stripped)
        # "我们公司是…有限公司" is cued, and so is any name after "我们公司叫 / 公司名称："
        # ("我们公司叫演示科技"); "公司的DB2挂了" names no company.
        cued_company = stripped != piece and (
            re.search(rf"(?:{ending})$", company.lower()) is not None or _named_company(piece)
        )
        # "我是上海某银行的运维小王 … 我们公司叫演示科技": the company said as such wins
        # over the one an introduction implied (a sixteenth blind tester's case went to
        # the bank he worked at).
        restated = cued_company and found.get("company") == introduced_company
        if (
            ("company" not in found or restated)
            and (cued_company or (not cued_only and w.has_any("company_words", piece.lower())))
            and len(company) >= 2
            and not w.has_any("company_not_words", to_simplified(piece))
            # "本公司之Informix資料庫伺服器發生異常" is the fault, not the company.
            and not words_pattern(w["fault_words"]).search(to_simplified(piece).lower())
            # "我哋公司個WebSphere Application Server" names our product, not the company
            # (a seventeenth blind tester's company).
            and (cued_company or not default_catalogue().find_products(company))
        ):
            found["company"] = company.rstrip(".。")  # "company Acme Shanghai."
            used.append(piece)
            continue
        if "contact_name" in found:
            continue
        name = re.sub(trailing, "", w.without_prefix(piece, "name_prefixes"))
        introduced = _introduced_name(piece, name)
        if introduced or (not cued_only and _is_name(name)):
            found["contact_name"] = introduced or name
            used.append(piece)
    _full_name_after(pieces, found, used)
    if cued_only and "contact_name" in found and "company" not in found:
        # "我系李演示，示例软件有限公司": next to an introduced name, a piece that is
        # only a company name is the company.
        bare = re.compile(rf"^[^\s]{{2,30}}?(?:{ending})$")
        for piece in pieces:
            if (
                piece not in used
                and bare.match(piece.lower())
                and not w.has_any("fault_words", piece)
                and not w.has_any("request_words", piece)
                and not w.has_any("not_company_words", piece)
            ):
                found["company"] = piece
                used.append(piece)
                break
    return found, used


def _named_company(piece: str) -> bool:
    """True for "我们公司叫… / 公司名称：…": a company word, then a joiner, then the name."""
    w = wording()
    named = re.match(
        rf"(?:{alternation(w['company_prefixes'])})\s*(?:{alternation(w['prefix_joiners'])})",
        piece.lower(),
    )
    return named is not None


def _full_name_after(pieces: Sequence[str], found: dict[str, str], used: list[str]) -> None:
    """The full name right after a short one with its surname wins ("王工（王建国）")."""
    name = found.get("contact_name")
    if not name or not used:
        return
    source = next((piece for piece in used if name in piece), used[-1])
    at = pieces.index(source) if source in pieces else -1
    following = pieces[at + 1] if 0 <= at < len(pieces) - 1 else ""
    # "运维小王，王小明": a nickname's surname is its second character.
    nickname = len(name) == 2 and name[0] in wording()["nickname_prefixes"]
    surname = name[1] if nickname else name[0]
    if following.startswith(surname) and len(following) > len(name) and _is_name(following):
        found["contact_name"] = following
        used.append(following)


def text_without(text: str, kept: Sequence[str], used: Sequence[str]) -> str:
    """``text`` without its pieces that are not ``kept`` or were ``used``, punctuation kept.

    The fault's description stays in the customer's own clauses ("…两节点，每天三到四次…"),
    which the long-answer reading needs; joining the pieces with spaces had lost them.
    """
    out = text
    for piece in _PIECES.split(text):
        if piece and (piece not in kept or piece in used or is_greeting(piece)):
            out = out.replace(piece, "", 1)
    out = _LEFTOVER_PUNCT.sub(lambda m: _joiner(m.group()), out)
    return out.strip("，,。；;！!？?、/|｜:：（）() ")


_LEFTOVER_PUNCT = re.compile(r"[，,。；;！!？?、/|｜:：（）()\s]{2,}")


def _joiner(run: str) -> str:
    """One separator for a run left where pieces were taken out."""
    for mark in "。！!？?；;":
        if mark in run:
            return mark
    return "，" if any(c in run for c in "，,、") else " "


def is_greeting(piece: str) -> bool:
    """True when ``piece`` only greets ("您好", "在吗")."""
    return piece.strip().lower() in wording()["greeting_pieces"]
