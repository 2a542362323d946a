"""CharNgramBlend: DIET's ranking blended with a character n-gram model's."""

import io
from collections.abc import Sequence

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from bot.nlu.blend import (
    INITIALS,
    SYLLABLE,
    WORD,
    CharNgramBlend,
    CharNgramModel,
    blend,
    char_ngrams,
    sound_ngrams,
    word_ngrams,
)
from bot.nlu.pinyin import syllables
from tests.nlu.rasa_messages import rasa_message

# Two intents whose texts share no characters: the character model is sure of each.
EXAMPLES = [
    ("热线电话多少", "find_hotline"),
    ("客服热线号码", "find_hotline"),
    ("热线是几号", "find_hotline"),
    ("合同到期了吗", "check_contract"),
    ("查一下合同有效期", "check_contract"),
    ("合同还有效吗", "check_contract"),
]


def test_the_blend_weighs_both_and_ranks_best_first():
    ranking = [{"name": "inform", "confidence": 0.8}, {"name": "find_hotline", "confidence": 0.2}]
    blended = blend(ranking, {"find_hotline": 0.9, "inform": 0.1}, weight=0.5)
    assert [r["name"] for r in blended] == ["find_hotline", "inform"]
    assert blended[0]["confidence"] == pytest.approx(0.55)
    assert blended[1]["confidence"] == pytest.approx(0.45)


def test_an_intent_missing_from_either_side_counts_as_zero_there():
    blended = blend([{"name": "greet", "confidence": 1.0}], {"thank": 1.0}, weight=0.3)
    assert blended == [
        {"name": "greet", "confidence": pytest.approx(0.7)},
        {"name": "thank", "confidence": pytest.approx(0.3)},
    ]


def test_weight_zero_keeps_diets_order():
    ranking = [{"name": "a", "confidence": 0.6}, {"name": "b", "confidence": 0.4}]
    assert [r["name"] for r in blend(ranking, {"b": 1.0}, weight=0.0)] == ["a", "b"]


def test_one_intent_is_nothing_to_learn():
    assert CharNgramModel.fit([("你好", "greet"), ("您好", "greet")], c=1.0) is None


def test_ngrams_cross_word_boundaries_and_fold_case_and_spaces():
    assert char_ngrams("DB2  挂") == [
        "d",
        "b",
        "2",
        " ",
        "挂",
        "db",
        "b2",
        "2 ",
        " 挂",
        "db2",
        "b2 ",
        "2 挂",
    ]


def test_sounds_are_syllables_pairs_and_initials():
    features = sound_ngrams("nihao DB2 热线")
    syllables = [f[len(SYLLABLE) :] for f in features if f.startswith(SYLLABLE)]
    # "nihao" is pinyin typed as Latin; "db" is not and is left out.
    assert syllables == ["ni", "hao", "re", "xian", "ni_hao", "hao_re", "re_xian"]
    initials = [f[len(INITIALS) :] for f in features if f.startswith(INITIALS)]
    assert "rx" in initials and "db2" in initials
    assert not set(char_ngrams("nihao DB2 热线")) & set(features)


def _top(model: CharNgramModel, text: str, words: Sequence[str] = ()) -> str:
    return max(model.probabilities(text, words).items(), key=lambda kv: kv[1])[0]


@pytest.mark.parametrize(
    ("typed", "intent"),
    [
        ("鹤桶", "check_contract"),  # a homophone typo shares no character with 合同
        ("rx", "find_hotline"),  # initials of 热线
        ("rexian", "find_hotline"),  # pinyin typed as Latin
    ],
)
def test_the_model_with_sounds_hears_typos_initials_and_pinyin(typed, intent):
    with_sounds = CharNgramModel.fit(EXAMPLES, c=100.0, sounds=True)
    assert _top(with_sounds, typed) == intent
    # The same model without sounds has nothing to go on: it does not decide so.
    without = CharNgramModel.fit(EXAMPLES, c=100.0).probabilities(typed)
    assert with_sounds.probabilities(typed)[intent] > without[intent] + 0.2


def test_the_character_model_reads_across_segmentation():
    model = CharNgramModel.fit(EXAMPLES, c=100.0)
    assert model is not None
    # Unseen texts: only the characters they share with the examples decide.
    assert _top(model, "请问热线") == "find_hotline"
    assert _top(model, "合同期限") == "check_contract"


@pytest.mark.parametrize("intents", [2, 3])
def test_probabilities_equal_scikit_learns_pipeline(intents):
    examples = [*EXAMPLES, ("谢谢你们", "thank"), ("多谢了", "thank")][: 6 if intents == 2 else 8]
    ours = CharNgramModel.fit(examples, c=10.0)
    texts, labels = zip(*examples, strict=True)
    theirs = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
        LogisticRegression(C=10.0, solver="newton-cg", max_iter=1000),
    ).fit(list(texts), list(labels))
    for text in ["热线  多少", "合同到期", "谢谢", "完全无关的话", ""]:
        expected = dict(zip(theirs.classes_, theirs.predict_proba([text])[0], strict=True))
        assert ours.probabilities(text) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("sounds", [False, True])
def test_the_model_survives_its_bytes(sounds):
    model = CharNgramModel.fit(EXAMPLES, c=100.0, sounds=sounds)
    again = CharNgramModel.from_bytes(model.to_bytes())
    assert again.classes == model.classes
    assert again.vocabulary == model.vocabulary
    assert again.sounds is sounds
    assert again.probabilities("热线鹤桶") == model.probabilities("热线鹤桶")


def test_a_model_saved_before_sounds_existed_reads_characters_only():
    model = CharNgramModel.fit(EXAMPLES, c=100.0)
    with np.load(io.BytesIO(model.to_bytes())) as arrays:
        old = {name: arrays[name] for name in arrays.files if name != "sounds"}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **old)
    again = CharNgramModel.from_bytes(buffer.getvalue())
    assert again.sounds is False
    assert again.probabilities("热线合同") == model.probabilities("热线合同")


def _trained(tmp_path, config: dict) -> CharNgramBlend:
    storage, resource = LocalModelStorage(tmp_path), Resource("blend")
    context = ExecutionContext(GraphSchema({}), "test")
    full = {**CharNgramBlend.get_default_config(), **config}
    component = CharNgramBlend.create(full, storage, resource, context)
    component.train(TrainingData([rasa_message(t, i) for t, i in EXAMPLES]))
    # What the server uses: the model as persisted with the Rasa model.
    return CharNgramBlend.load(full, storage, resource, context)


def test_an_unsure_diet_is_overruled_by_the_persisted_character_model(tmp_path):
    diet = [
        {"name": "find_hotline", "confidence": 0.55},
        {"name": "check_contract", "confidence": 0.45},
    ]
    message = rasa_message("合同有效期到哪天", ranking=diet)
    _trained(tmp_path, {"weight": 0.5, "c": 100.0}).process([message])
    assert message.get(INTENT)["name"] == "check_contract"
    ranking = message.get(INTENT_RANKING_KEY)
    assert [r["name"] for r in ranking] == ["check_contract", "find_hotline"]
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)


def test_a_sure_diet_stands_when_the_character_model_has_little_weight(tmp_path):
    diet = [
        {"name": "find_hotline", "confidence": 0.99},
        {"name": "check_contract", "confidence": 0.01},
    ]
    message = rasa_message("合同有效期到哪天", ranking=diet)
    _trained(tmp_path, {"weight": 0.2, "c": 100.0}).process([message])
    assert message.get(INTENT)["name"] == "find_hotline"


def test_an_untrained_blend_passes_messages_through(tmp_path):
    storage, resource = LocalModelStorage(tmp_path), Resource("never_trained")
    context = ExecutionContext(GraphSchema({}), "test")
    component = CharNgramBlend.load(CharNgramBlend.get_default_config(), storage, resource, context)
    diet = [{"name": "greet", "confidence": 0.9}]
    message = rasa_message("你好", ranking=diet)
    component.process([message])
    assert message.get(INTENT) == diet[0]
    assert message.get(INTENT_RANKING_KEY) == diet


@pytest.mark.parametrize("sounds", [True, False])
def test_the_syllable_list_is_built_at_load_only_for_a_model_that_reads_sounds(tmp_path, sounds):
    # Built at load, the first message with a Latin word does not pay ≈ 0.14 s for it.
    syllables.cache_clear()
    _trained(tmp_path, {"sounds": sounds})
    assert syllables.cache_info().currsize == (1 if sounds else 0)


def test_words_are_the_tokens_and_their_pairs_with_their_own_prefix():
    assert word_ngrams(["DB2", "热线", " ", "多少"]) == [
        WORD + "db2",
        WORD + "热线",
        WORD + "多少",
        WORD + "db2 热线",
        WORD + "热线 多少",
    ]
    assert word_ngrams([]) == []


# The same characters, cut two ways: only the words tell the intents apart.
SEGMENTED = [
    ("报修", "report_outage", ["报修"]),
    ("报 修", "report_outage", ["报修"]),
    ("报修单", "report_outage", ["报修", "单"]),
    ("报修", "check_case_status", ["报", "修"]),
    ("报 修", "check_case_status", ["报", "修"]),
    ("报修单", "check_case_status", ["报", "修单"]),
]


def test_a_model_with_words_reads_the_tokens_and_keeps_them_through_its_bytes():
    examples = [(text, intent) for text, intent, _ in SEGMENTED]
    tokens = [words for _, _, words in SEGMENTED]
    model = CharNgramModel.fit(examples, c=100.0, tokens=tokens)
    assert model is not None and model.words
    assert _top(model, "报修", ["报修"]) == "report_outage"
    assert _top(model, "报修", ["报", "修"]) == "check_case_status"
    again = CharNgramModel.from_bytes(model.to_bytes())
    assert again.words is True
    assert again.probabilities("报修", ["报修"]) == model.probabilities("报修", ["报修"])
    # Without words, the tokens are not read at all.
    plain = CharNgramModel.fit(examples, c=100.0)
    assert not plain.words
    assert plain.probabilities("报修", ["报修"]) == plain.probabilities("报修", ["报", "修"])


def _tokenized(text: str, words: list[str], **kwargs) -> Message:
    made = rasa_message(text, **kwargs)
    tokens, start = [], 0
    for word in words:
        start = text.index(word[0], start)
        tokens.append(Token(word, start))
        start += len(word)
    made.set(TOKENS_NAMES[TEXT], tokens)
    return made


def test_the_blend_with_words_trains_on_and_reads_the_messages_tokens(tmp_path):
    storage, resource = LocalModelStorage(tmp_path), Resource("blend")
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**CharNgramBlend.get_default_config(), "words": True, "weight": 1.0, "c": 100.0}
    component = CharNgramBlend.create(config, storage, resource, context)
    component.train(TrainingData([_tokenized(t, w, intent=i) for t, i, w in SEGMENTED]))
    loaded = CharNgramBlend.load(config, storage, resource, context)
    diet = [{"name": "greet", "confidence": 1.0}]
    whole = _tokenized("报修", ["报修"], ranking=diet)
    cut = _tokenized("报修", ["报", "修"], ranking=diet)
    loaded.process([whole, cut])
    assert whole.get(INTENT)["name"] == "report_outage"
    assert cut.get(INTENT)["name"] == "check_case_status"
