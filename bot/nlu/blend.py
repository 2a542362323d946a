"""A second opinion on the intent from character n-grams of the whole message.

DIET reads jieba's tokens: a typo or a pinyin word changes the segmentation, and its
character n-grams stop at token boundaries ("合同" cut as "合" + "同" loses "合同").
A TF-IDF + logistic-regression model over the message's own characters (1–3-grams,
across token boundaries) does not depend on the segmentation. On the development
sets it was right on half of DIET's errors; blending the two rankings keeps DIET's
answer where it is sure and lets the character model decide where it is not.
"""

from __future__ import annotations

import pickle
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from bot.nlu.persisted import PersistedComponent, labelled_texts

MODEL_FILE = "char_ngrams.pkl"


def train_char_model(examples: list[tuple[str, str]], c: float) -> Pipeline | None:
    """Char 1–3-gram TF-IDF + logistic regression; None for fewer than two intents."""
    if len({intent for _, intent in examples}) < 2:
        return None
    model = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
        LogisticRegression(C=c, solver="newton-cg", max_iter=1000),
    )
    texts, intents = zip(*examples, strict=True)
    model.fit(list(texts), list(intents))
    return model


def blend(
    ranking: list[dict[str, Any]], char_probs: dict[str, float], weight: float
) -> list[dict[str, Any]]:
    """(1 − weight) × DIET's confidence + weight × the character model's, best first.

    An intent missing from DIET's (truncated) ranking counts as 0 there.
    """
    diet = {str(r["name"]): float(r.get("confidence") or 0.0) for r in ranking}
    names = set(diet) | set(char_probs)
    scored = [
        {"name": n, "confidence": (1 - weight) * diet.get(n, 0.0) + weight * char_probs.get(n, 0.0)}
        for n in names
    ]
    return sorted(scored, key=lambda r: (-r["confidence"], r["name"]))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class CharNgramBlend(PersistedComponent):
    """Blends DIET's intent ranking with a character n-gram model's."""

    FILE = MODEL_FILE

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The character model's share of the blend, its regularisation, ranking length."""
        return {"weight": 0.3, "c": 10.0, "ranking_length": 10}

    def __init__(
        self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource
    ) -> None:
        """No character model until trained or restored: messages pass through."""
        super().__init__(config, model_storage, resource)
        self._model: Pipeline | None = None

    def restore(self, data: bytes) -> None:
        """The character model persisted with the Rasa model."""
        # Our own file inside our own model archive, written by train().
        self._model = pickle.loads(data)  # noqa: S301

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the character model on the (normalised) training texts and persist it."""
        self._model = train_char_model(labelled_texts(training_data), float(self._config["c"]))
        if self._model is None:
            return self._resource
        return self.persist(pickle.dumps(self._model))

    def process(self, messages: list[Message]) -> list[Message]:
        """Replace DIET's intent and ranking by the blend."""
        if self._model is None:
            return messages
        weight = float(self._config["weight"])
        length = int(self._config["ranking_length"])
        classes = [str(c) for c in self._model.classes_]
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            probs = dict(zip(classes, self._model.predict_proba([text])[0].tolist(), strict=True))
            ranking = blend(message.get(INTENT_RANKING_KEY) or [], probs, weight)[:length]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
