"""Rasa messages as the NLU components see them, for the component tests."""

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message


def rasa_message(text: str, intent: str | None = None, ranking: list | None = None) -> Message:
    """A message with ``text``, a training ``intent`` or a classifier's ``ranking``."""
    made = Message(data={TEXT: text})
    if intent:
        made.set(INTENT, intent)
    if ranking is not None:
        made.set(INTENT, ranking[0])
        made.set(INTENT_RANKING_KEY, ranking)
    return made
