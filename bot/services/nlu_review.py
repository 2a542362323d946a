"""Learning from what the bot misunderstood: record (masked), label, export for training.

The action server records every message that ended in ``action_fallback``, and every
request the DomainGate turned into ``out_of_scope`` (kind ``gated``: answered as
off-topic, which a reviewer may find was a real request); staff
review them with ``python -m bot nlu review`` (or on the desk's report), label them
with an intent of ``domain.yml`` and export a Rasa NLU file the next training reads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from bot.replies import render
from bot.store.nlu_misses import NluMissRepository
from bot.validators import mask_text

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_FILE = ROOT / "domain.yml"
EXPORT_FILE = ROOT / "data" / "nlu_reviewed.yml"
FALLBACK_INTENT = "nlu_fallback"
RETRIEVAL_INTENT = "faq"  # trained as faq/<topic>, one per utter_faq/<topic> response
# Intents nobody can train on: Rasa's own fallback label.
UNTRAINABLE = frozenset({FALLBACK_INTENT})
# Rasa reads "[text](entity)" in examples as an entity annotation; customers' brackets
# become full-width ones (the normaliser maps them back before features are built).
_BRACKETS = str.maketrans({"[": "［", "]": "］"})


def miss_outcome(kind: str) -> str:
    """What the bot did with a recorded message (``MISS_KINDS``), as staff read it."""
    labels = {
        "fallback": render("nlu_miss_fallback"),
        "handoff": render("nlu_miss_handoff"),
        "gated": render("nlu_miss_gated"),
    }
    return labels.get(kind, kind)


def top_guess(ranking: Sequence[Mapping[str, Any]]) -> tuple[str | None, float | None]:
    """The model's best intent other than ``nlu_fallback``, and its confidence."""
    for entry in ranking:
        name = entry.get("name")
        if name and name != FALLBACK_INTENT:
            return str(name), float(entry.get("confidence") or 0.0)
    return None, None


async def record_miss(
    repo: NluMissRepository,
    conversation_id: str,
    text: str,
    kind: str,
    ranking: Sequence[Mapping[str, Any]],
    at: datetime,
) -> bool:
    """Store ``text`` masked with the model's guess; False (logged) if it could not be.

    Never raises: a store that is down must not cost the customer the turn.
    """
    masked = " ".join(mask_text(text).split())
    if not masked:
        return False
    guess, confidence = top_guess(ranking)
    try:
        await repo.record(conversation_id, masked, kind, guess, confidence, at)
    except Exception:
        log.warning("could not record a misunderstood message (%s)", masked, exc_info=True)
        return False
    return True


def trainable_labels(domain_file: Path = DOMAIN_FILE) -> set[str]:
    """Every label a reviewer may give: the domain's intents and ``faq/<topic>``."""
    domain = yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}
    intents = {next(iter(i)) if isinstance(i, dict) else str(i) for i in domain.get("intents", [])}
    topics = {
        f"{RETRIEVAL_INTENT}/{name.split('/', 1)[1]}"
        for name in domain.get("responses", {})
        if name.startswith(f"utter_{RETRIEVAL_INTENT}/")
    }
    return (intents - UNTRAINABLE - {RETRIEVAL_INTENT}) | topics


def check_label(intent: str, labels: Iterable[str]) -> None:
    """Raise ``ValueError`` with what is allowed unless ``intent`` is a trainable label."""
    allowed = sorted(labels)
    if intent in allowed:
        return
    if intent == RETRIEVAL_INTENT:
        topics = ", ".join(a for a in allowed if a.startswith(f"{RETRIEVAL_INTENT}/"))
        raise ValueError(f"faq needs its topic, one of: {topics}")
    raise ValueError(f"unknown intent {intent!r}; one of: {', '.join(allowed)}")


def training_yaml(labelled: Mapping[str, Sequence[str]]) -> str:
    """A Rasa 3 NLU training file with the labelled texts, grouped per intent."""
    lines = ['version: "3.1"', "", "# Written by `python -m bot nlu review export`."]
    lines.append("nlu:" if labelled else "nlu: []")
    for intent in sorted(labelled):
        examples = sorted({" ".join(t.split()).translate(_BRACKETS) for t in labelled[intent]})
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in examples if text]
    return "\n".join(lines) + "\n"


async def export_training_file(repo: NluMissRepository, path: Path = EXPORT_FILE) -> int:
    """Write the labelled texts to ``path``; how many examples were written."""
    labelled = await repo.labelled()
    await asyncio.to_thread(path.write_text, training_yaml(labelled), encoding="utf-8")
    return sum(len(set(texts)) for texts in labelled.values())
