"""Regular expressions for structured values, over normalised (lower-case, half-width) text.

Shared by the segmenter (to keep each value one token) and the spaCy entity ruler (to
label it), so the two can never disagree about what a phone number looks like.
"""

from __future__ import annotations

# Order matters where shapes overlap: earlier entries win at the same position.
STRUCTURED: dict[str, str] = {
    "email": r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+",
    "case_id": r"(?<![a-z0-9])pmr[\s-]?\d{6}[\s-]?\d{4}(?!\d)",
    "phone_landline": (
        # The subscriber number may be split as customers read it out ("2633 8192").
        r"(?<![\d-])0\d{2,3}[\s-]?\d{3,4}[\s-]?\d{4}(?:\s*(?:转|-|ext\.?|分机)\s*\d{1,6})?(?![\d-])"
    ),
    "phone_mobile": r"(?<![\d-])(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?![\d-])",
    "error_code": (
        r"(?<![a-z0-9])(?:sql\d{4,5}[a-z]|sql-\d{3,5}|[a-z][a-z0-9]{2,4}\d{4}[a-z])(?![a-z0-9])"
        # Informix / SQLCODE style negative codes ("报-271", "sqlcode -911")
        r"|(?<![0-9a-z.\-])-\d{3,5}(?![\d.])"
        # Cognos style ("RSV-SRV-0066", "CAM-CRP-1315")
        r"|(?<![a-z0-9-])[a-z]{3}-[a-z]{3}-\d{4}(?![\d-])"
    ),
    "version": (
        r"(?<![0-9.])(?:v\s?)?\d{1,2}(?:\.\d{1,4}){1,3}(?:\.?(?:fc|uc|xc|tc)\d{1,2}[a-z]?)?(?![\d.])"
        r"|(?<![a-z0-9])(?:fp|fix\s?pack\s?|tl)\d{1,2}(?:sp\d{1,2})?(?![\d])"
    ),
}

# Identifiers such as contract numbers: letters then digits, often hyphenated
# ("ppa-2025-0001", "c12345678"). Tried after product names so "was8.5" stays "was".
IDENTIFIER = (
    r"(?<![a-z0-9])[a-z]{1,6}(?:-[a-z]{1,6}){0,2}-?\d{2,10}(?:-[a-z0-9]{1,10}){0,3}(?![a-z0-9])"
)
# A bare 7-digit number is a customer number in this desk's numbering.
CUSTOMER_NUMBER = r"\d{7}"

# Entity label for each structured shape.
LABELS: dict[str, str] = {
    "email": "email",
    "case_id": "case_id",
    "phone_landline": "phone",
    "phone_mobile": "phone",
    "error_code": "error_code",
    "version": "version",
}
