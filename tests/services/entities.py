"""Entities the way the NLU hands them to the actions, for the services' tests."""

from __future__ import annotations


def spans(text: str, *found: tuple[str, str]) -> list[dict[str, object]]:
    """Entities as the NLU gives them: lower-cased value, offsets into ``text``."""
    out: list[dict[str, object]] = []
    for entity, written in found:
        start = text.index(written)
        out.append(
            {
                "entity": entity,
                "value": written.lower(),
                "start": start,
                "end": start + len(written),
            }
        )
    return out
