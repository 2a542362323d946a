"""TrainingMemory: a message written as a training example gets that example's intent."""

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.memory import TrainingMemory, memory_key, remembered_intents
from tests.nlu.rasa_messages import rasa_message


def test_the_key_drops_spaces_punctuation_and_symbols():
    assert memory_key("好的。") == "好的"
    assert memory_key(" 886~ ") == "886"
    assert memory_key("ok!!") == "ok"
    assert memory_key("🙂 …") == ""


def test_a_text_given_two_intents_is_not_remembered():
    memory = remembered_intents(
        [("88", "goodbye"), ("88！", "goodbye"), ("没有", "deny"), ("没有。", "inform"), ("?", "x")]
    )
    assert memory == {"88": "goodbye"}


def _trained(tmp_path) -> TrainingMemory:
    storage, resource = LocalModelStorage(tmp_path), Resource("memory")
    context = ExecutionContext(GraphSchema({}), "test")
    memory = TrainingMemory.create({}, storage, resource, context)
    memory.train(TrainingData([rasa_message("88", "goodbye"), rasa_message("拜拜", "goodbye")]))
    # What the server uses: the memory as persisted with the model.
    return TrainingMemory.load({}, storage, resource, context)


def test_a_remembered_text_gets_its_intent_for_sure(tmp_path):
    guess = [{"name": "inform", "confidence": 0.95}, {"name": "goodbye", "confidence": 0.04}]
    message = rasa_message("88!", ranking=guess)
    _trained(tmp_path).process([message])
    assert message.get(INTENT) == {"name": "goodbye", "confidence": 1.0}
    assert message.get(INTENT_RANKING_KEY) == [
        {"name": "goodbye", "confidence": 1.0},
        {"name": "inform", "confidence": 0.0},
    ]


def test_any_other_text_is_left_to_the_model(tmp_path):
    guess = [{"name": "inform", "confidence": 0.95}]
    message = rasa_message("8899", ranking=guess)
    _trained(tmp_path).process([message])
    assert message.get(INTENT) == guess[0]
    assert message.get(INTENT_RANKING_KEY) == guess
