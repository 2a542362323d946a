"""Which listed choice a reply names: "2", "第2个", "第二个", "最后一个", "倒数第二个".

Text channels show buttons as a numbered list, and customers answer with the number
or with words for it (a twelfth blind tester's "第二个" and "最后一个" were not
understood, "3" was). A bare "二" stays text: it is also an answer ("严重程度二").
"""

from __future__ import annotations

import re
import unicodedata

_NUMERALS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_COUNTER = r"\s*(?:个|项|号|条|种|位)?"
_END = r"\s*(?:吧|啊|呀|呢)?\s*[.。、)）!！]?$"
_LEAD = r"^(?:请)?(?:选择|选|要|就)?\s*"
# One or two digits: longer numbers (phones, customer numbers) are answers, not choices.
_DIGITS = re.compile(_LEAD + r"第?\s*(\d{1,2})" + _COUNTER + _END)
_WORDS = re.compile(_LEAD + r"第\s*([一二两三四五六七八九十]{1,3})" + _COUNTER + r"(?:吧)?" + _END)
_FROM_END = re.compile(
    _LEAD + r"倒数第\s*([一二两三四五六七八九十]{1,3}|\d{1,2})" + _COUNTER + _END
)
_LAST = re.compile(_LEAD + r"最后(?:一|1)?(?:个|项|条|种|那个|那项|那条)" + _END)
_FIRST = re.compile(_LEAD + r"(?:头一|第一)(?:个|项|条|种)" + _END)
# With two choices, "后面那个" / "前面那个" point at one of them.
_LATTER = re.compile(_LEAD + r"(?:后面|后边|后一|下面|下边)(?:那|的那|一)?(?:个|项|条)" + _END)
_FORMER = re.compile(_LEAD + r"(?:前面|前边|前一|上面|上边)(?:那|的那|一)?(?:个|项|条)" + _END)


def chinese_number(text: str) -> int | None:
    """1–99 written in Chinese numerals ("二", "十二", "二十"), or digits; else None."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return _NUMERALS.get(text) if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    value = (_NUMERALS.get(tens, 0) if tens else 1) * 10 + (_NUMERALS.get(ones, 0) if ones else 0)
    valid_tens = not tens or tens in _NUMERALS
    valid_ones = not ones or ones in _NUMERALS
    return value if valid_tens and valid_ones else None


def choice_number(text: str, count: int | None = None) -> int | None:
    """The 1-based choice ``text`` names, else None.

    ``count`` is how many choices were shown; without it only words that do not
    depend on it ("2", "第二个") are read. A number may be past ``count``: the caller
    answers that with the list again.
    """
    normal = unicodedata.normalize("NFKC", text).strip()
    for pattern in (_DIGITS, _WORDS):
        if match := pattern.match(normal):
            return chinese_number(match.group(1))
    if _FIRST.match(normal):
        return 1
    if count is None or count < 1:
        return None
    if _LAST.match(normal):
        return count
    if (match := _FROM_END.match(normal)) and (n := chinese_number(match.group(1))):
        return count - n + 1 if n <= count else None
    if count == 2 and _LATTER.match(normal):
        return 2
    if count == 2 and _FORMER.match(normal):
        return 1
    return None


def may_be_choice(text: str) -> bool:
    """Cheap check before looking up the list shown: could ``text`` name a choice?"""
    normal = unicodedata.normalize("NFKC", text).strip()
    return len(normal) <= 12 and any(
        p.match(normal) for p in (_DIGITS, _WORDS, _FIRST, _LAST, _FROM_END, _LATTER, _FORMER)
    )
