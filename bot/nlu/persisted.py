"""The Rasa boilerplate of a trainable component whose state is one file in the model."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

T = TypeVar("T", bound="PersistedComponent")


class PersistedComponent(GraphComponent):
    """Trained state written to ``FILE`` by :meth:`persist`, read back by :meth:`load`.

    A subclass sets ``FILE``, starts from an untrained state in ``__init__`` and turns
    the file's bytes back into its state in :meth:`restore`.
    """

    FILE = "state"

    def __init__(
        self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource
    ) -> None:
        """Keep the configuration and where the state is persisted."""
        self._config = config
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(
        cls: type[T],
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> T:
        """An untrained component, to be trained."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls: type[T],
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> T:
        """The component with the state persisted in the model (untrained when none)."""
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                component.restore((directory / cls.FILE).read_bytes())
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)
        return component

    @abstractmethod
    def restore(self, data: bytes) -> None:
        """Take the state back from the bytes :meth:`persist` wrote."""

    def persist(self, data: bytes) -> Resource:
        """Write the state into the model; the resource for ``train`` to return."""
        with self._model_storage.write_to(self._resource) as directory:
            (directory / self.FILE).write_bytes(data)
        return self._resource


def labelled_examples(training_data: TrainingData) -> list[Message]:
    """Every training example that has both a text and an intent."""
    return [e for e in training_data.intent_examples if e.get(TEXT) and e.get(INTENT)]


def labelled_texts(training_data: TrainingData) -> list[tuple[str, str]]:
    """(text, intent) of every training example that has both."""
    return [(str(e.get(TEXT)), str(e.get(INTENT))) for e in labelled_examples(training_data)]
