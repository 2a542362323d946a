"""Parsing and masking of what customers type: phones, e-mails, case and contract ids.

Pure functions with no Rasa or database dependency; each returns a canonical form or
``None`` so that callers can store one spelling and ask again on ``None``.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.textnorm import to_halfwidth

# Dash look-alikes that IMEs and word processors substitute for "-".
_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−"})
# Punctuation customers put after a value ("13912345678。").
_TRAILING = " \t\r\n.,;:!?。，；：！？、"

_MOBILE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")
# Hong Kong and Macau numbers are 8 digits, Taiwan's 8–9 after its code; only with
# the country code, since 8 bare digits are also a mainland number without its area.
_REGIONAL = re.compile(r"(?:\+|00)?(?P<cc>852|853|886)0?(?P<number>[2-9]\d{7,8})")
_REGIONAL_DIGITS = {"852": (8,), "853": (8,), "886": (8, 9)}
# A Taiwan number as dialled there: a one-digit area code written apart ("02-2345-6789",
# "(04)2345-6789"). The mainland has no one-digit area code, so the separator after
# "0X" tells it from "022-3456789" (Tianjin).
_TAIWAN_LOCAL = re.compile(
    r"(?:\(0(?P<paren>[2-9])\)|0(?P<area>[2-9])[\s-])\s*(?P<head>\d{3,4})[\s-]?(?P<tail>\d{4})"
)
# 010 and 02x are the only three-digit area codes; all others are 0 + three digits.
_LANDLINE = re.compile(
    r"(?P<area>010|02\d|0[3-9]\d{2})-?(?P<number>[1-9]\d{6,7})"
    r"(?:(?:-|转|ext\.?|分机号?):?(?P<ext>\d{1,6}))?"
)
_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)
_EMAIL_MAX = 254
_EMAIL_LOCAL_MAX = 64
_CASE_ID = re.compile(r"PMR(\d{6})(\d{4})")


def _prepare(text: str) -> str:
    return to_halfwidth(text).translate(_DASHES).strip().rstrip(_TRAILING)


def parse_phone(text: str | None) -> str | None:
    """A mainland mobile (11 digits) or landline ("0AA-NNNNNNNN[-EXT]"), else ``None``.

    Accepts spaces, hyphens, full-width digits, a +86 / 86 prefix on mobiles, a
    parenthesised area code and an extension written 转, -, ext or 分机. Hong Kong,
    Macau and Taiwan numbers with their country code become "+852-23456789"; a Taiwan
    number as dialled there ("02-2345-6789") becomes "+886-223456789".
    """
    if not text:
        return None
    prepared = _prepare(text).lower()
    bare = re.sub(r"[\s()\-]", "", prepared)
    mobile = _MOBILE.fullmatch(bare)
    if mobile:
        return mobile.group(1)
    regional = _REGIONAL.fullmatch(bare)
    if regional and len(regional["number"]) in _REGIONAL_DIGITS[regional["cc"]]:
        return f"+{regional['cc']}-{regional['number']}"
    taiwan = _TAIWAN_LOCAL.fullmatch(prepared.strip())
    if taiwan:
        area = taiwan["paren"] or taiwan["area"]
        return f"+886-{area}{taiwan['head']}{taiwan['tail']}"
    landline = _LANDLINE.fullmatch(re.sub(r"[\s()]", "", prepared))
    if landline is None:
        return None
    canonical = f"{landline['area']}-{landline['number']}"
    return f"{canonical}-{landline['ext']}" if landline["ext"] else canonical


def same_phone(given: str | None, registered: str | None) -> bool:
    """True when ``given`` is a phone and the same number as ``registered``, however written."""
    phone = parse_phone(given)
    return phone is not None and phone == parse_phone(registered)


def parse_email(text: str | None) -> str | None:
    """A lower-cased e-mail address, or ``None`` if ``text`` is not one."""
    if not text:
        return None
    candidate = _prepare(text).lower()
    if len(candidate) > _EMAIL_MAX or not _EMAIL.fullmatch(candidate):
        return None
    if len(candidate.split("@", 1)[0]) > _EMAIL_LOCAL_MAX:
        return None
    return candidate


_ACCOUNT_ID = re.compile(r"[A-Z0-9][A-Z0-9-]{3,39}")
# Shared with the spaCy rules (bot.nlu.spacy_pipeline), so both draw the same line.
ACCOUNT_ID_MIN_DIGITS = 4


def parse_account_id(text: str | None) -> str | None:
    """A customer or contract number's stored form, or ``None`` if ``text`` cannot be one.

    The desk's numbers vary ("8800001", "PPA-2025-0001", "C12345678", "HX-PPA-2023-015")
    but are all letters, digits and hyphens with at least four digits; "88" (byebye)
    and "x86" (an architecture) are not.
    """
    candidate = normalise_contract_number(text)
    if not _ACCOUNT_ID.fullmatch(candidate):
        return None
    if sum(c.isdigit() for c in candidate) < ACCOUNT_ID_MIN_DIGITS:
        return None
    return candidate


def mask_phone(phone: str | None) -> str:
    """A phone fit for logs: first three and last four digits kept ("139****5678")."""
    if not phone:
        return ""
    total = sum(ch.isdigit() for ch in phone)
    keep_head, keep_tail = (3, 4) if total >= 8 else (0, 0)
    out, seen = [], 0
    for ch in phone:
        if ch.isdigit():
            ch = ch if seen < keep_head or seen >= total - keep_tail else "*"
            seen += 1
        out.append(ch)
    return "".join(out)


def mask_email(email: str | None) -> str:
    """An e-mail fit for lists and logs: first letter and domain kept ("z***@example.com")."""
    if not email:
        return ""
    local, at, domain = email.partition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


def normalise_case_id(text: str | None) -> str | None:
    """``PMR-YYMMDD-NNNN`` from any spelling of it (case, spaces, hyphens, width), else ``None``."""
    if not text:
        return None
    compact = re.sub(r"[\s\-_]", "", _prepare(text)).upper()
    match = _CASE_ID.fullmatch(compact)
    if match is None:
        return None
    try:
        datetime.strptime(match.group(1), "%y%m%d")
    except ValueError:
        return None
    return f"PMR-{match.group(1)}-{match.group(2)}"


def normalise_contract_number(text: str | None) -> str:
    """The stored form of a contract number: half-width, upper case, no whitespace."""
    return re.sub(r"\s+", "", _prepare(text or "")).upper()


def normalise_customer_number(text: str | None) -> str:
    """The stored form of a customer number: half-width, upper case, no whitespace."""
    return normalise_contract_number(text)


# Free-text masking: e-mails first (they may hold digits), then phones, then any
# other run of digits long enough to be an id (contract, customer, card number).
_EMAIL_IN_TEXT = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?!\d)")
_LANDLINE_IN_TEXT = re.compile(r"(?<!\d)0\d{2,3}[\s-]?[1-9]\d{6,7}(?!\d)")
_REGIONAL_IN_TEXT = re.compile(r"(?<!\d)(?:\+|00)?(?:852|853|886)[\s-]?\d{4}[\s-]?\d{4,5}(?!\d)")
_TAIWAN_IN_TEXT = re.compile(r"(?<!\d)(?:\(0[2-9]\)|0[2-9][\s-])\s*\d{3,4}[\s-]?\d{4}(?!\d)")
_DIGIT_RUN = re.compile(r"\d{6,}")


def mask_text(text: str | None) -> str:
    """``text`` fit for storing: e-mails, phones and runs of 6+ digits masked.

    Phones keep the same shape as :func:`mask_phone`, e-mails that of
    :func:`mask_email`; other long digit runs become ``*``. Full-width digits are
    made half-width first so they are caught too.
    """
    if not text:
        return ""
    out = _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0).lower()), to_halfwidth(text))
    out = _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), out)
    out = _LANDLINE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), out)
    out = _REGIONAL_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), out)
    out = _TAIWAN_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), out)
    return _DIGIT_RUN.sub(lambda m: "*" * len(m.group(0)), out)
