"""The open-world gate: FAQ answers and unsure flows need domain evidence."""

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.components import DomainGate
from bot.nlu.evidence import DomainEvidence, Sounds, _Matcher, default_evidence
from bot.textnorm import normalise

FLOWS = ["find_hotline", "report_outage", "check_contract"]


def _gate(**config) -> DomainGate:
    return DomainGate({**DomainGate.get_default_config(), "flow_intents": FLOWS, **config})


def _message(text, intent, confidence, faq_key=None, faq_confidence=0.0, entities=()):
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence})
    message.set(
        "intent_ranking",
        [{"name": intent, "confidence": confidence}, {"name": "out_of_scope", "confidence": 0.01}],
    )
    message.set("entities", list(entities))
    if faq_key:
        response = {"intent_response_key": faq_key, "confidence": faq_confidence}
        message.set("response_selector", {"faq": {"response": response, "ranking": []}})
    return message


def _intent(message):
    return message.get("intent")["name"]


def test_what_is_x_about_something_else_is_off_topic():
    msg = _message("区块链是什么", "faq", 0.9, "faq/what_is_ppa", 0.95)
    _gate().process([msg])
    assert _intent(msg) == "out_of_scope"
    ranking = [r["name"] for r in msg.get("intent_ranking")]
    assert ranking[0] == "out_of_scope" and "faq" in ranking and ranking.count("out_of_scope") == 1
    # What it turned away, by topic, for the review list (bot/services/nlu_review.py).
    assert msg.get("domain_gate") == {"name": "faq/what_is_ppa", "confidence": 0.95}


def test_faq_about_ppa_stands():
    msg = _message("ppa是什么", "faq", 0.9, "faq/what_is_ppa", 0.95)
    _gate().process([msg])
    assert _intent(msg) == "faq"
    assert msg.get("domain_gate") is None


def test_faq_topic_words_are_evidence():
    msg = _message("你们几点上班", "faq", 0.9, "faq/support_hours", 0.9)
    _gate().process([msg])
    assert _intent(msg) == "faq"


def test_an_faq_without_the_selectors_topic_is_gated_as_plain_faq():
    msg = _message("区块链是什么", "faq", 0.9)  # no response selector output at all
    _gate().process([msg])
    assert _intent(msg) == "out_of_scope"
    assert msg.get("domain_gate") == {"name": "faq", "confidence": 0.0}


def test_unsure_faq_selector_is_off_topic_even_with_evidence():
    msg = _message("ppa是什么", "faq", 0.9, "faq/what_is_ppa", 0.3)
    _gate().process([msg])
    assert _intent(msg) == "out_of_scope"


def test_a_less_sure_faq_stands_when_the_message_names_the_domain():
    gate = _gate(faq_domain_threshold=0.4)
    # "PAO" is the domain itself: a selector at 0.46 is enough.
    msg = _message("PAO网站一直提示账号锁定", "faq", 0.99, "faq/pao_login_help", 0.46)
    gate.process([msg])
    assert _intent(msg) == "faq"
    # The topic's own everyday words ("账号", "登录") are not enough below faq_threshold …
    msg = _message("微信账号登录不了", "faq", 0.99, "faq/pao_login_help", 0.6)
    gate.process([msg])
    assert _intent(msg) == "out_of_scope"
    # … and below faq_domain_threshold nothing is.
    msg = _message("PAO网站一直提示账号锁定", "faq", 0.99, "faq/pao_login_help", 0.35)
    gate.process([msg])
    assert _intent(msg) == "out_of_scope"


def test_without_a_domain_tier_an_unsure_faq_is_off_topic_even_naming_the_domain():
    msg = _message("PAO网站一直提示账号锁定", "faq", 0.99, "faq/pao_login_help", 0.46)
    _gate(faq_domain_threshold=None).process([msg])
    assert _intent(msg) == "out_of_scope"


def test_unsure_flow_without_evidence_is_off_topic():
    msg = _message("昨晚那部电影结局好惨", "check_contract", 0.6)
    _gate().process([msg])
    assert _intent(msg) == "out_of_scope"
    assert msg.get("domain_gate") == {"name": "check_contract", "confidence": 0.6}


def test_unsure_flow_with_a_product_entity_stands():
    entities = [{"entity": "product", "value": "DB2", "start": 0, "end": 3}]
    msg = _message("db2那个怎么弄", "find_hotline", 0.6, entities=entities)
    _gate().process([msg])
    assert _intent(msg) == "find_hotline"


def test_confident_flow_stands_and_other_intents_are_untouched():
    confident = _message("昨晚那部电影结局好惨", "check_contract", 0.95)
    greeting = _message("你好", "greet", 0.4)
    _gate().process([confident, greeting])
    assert _intent(confident) == "check_contract"
    assert _intent(greeting) == "greet"


def test_with_no_flow_threshold_even_a_sure_flow_needs_evidence():
    # What config.yml sets: off-topic messages can be classified as sure as real ones.
    film = _message("昨晚那部电影结局好惨", "report_outage", 1.0)
    outage = _message("生产库宕机了", "report_outage", 1.0)
    entities = [{"entity": "product", "value": "DB2", "start": 0, "end": 3}]
    named = _message("db2那个怎么弄", "find_hotline", 1.0, entities=entities)
    _gate(flow_threshold=None).process([film, outage, named])
    assert [_intent(m) for m in (film, outage, named)] == [
        "out_of_scope",
        "report_outage",
        "find_hotline",
    ]


def test_training_examples_of_flows_nearly_all_carry_evidence():
    # The gate must not undo what the model learnt: the training data itself is the
    # sample of how customers start a flow (entities aside, which the gate also takes).
    from bot.nlu.baseline import training_examples

    evidence = default_evidence()
    flows = [(t, i) for t, i in training_examples() if i in FLOWS]
    missing = [t for t, i in flows if not evidence.supports(normalise(t).text, i)]
    assert len(flows) > 300 and len(missing) / len(flows) < 0.03, missing


def test_latin_words_match_whole_words_only():
    evidence = DomainEvidence(domain=_Matcher(["mq", "热线"]), topics={})
    assert evidence.supports("mq 连不上")
    assert not evidence.supports("mqtt 是什么")
    assert evidence.supports("热线多少")


def test_project_evidence_knows_products_and_keywords():
    evidence = default_evidence()
    assert evidence.supports("websphere 起不来")
    assert evidence.supports("合同号是多少")
    assert not evidence.supports("为什么冬天手会干裂", "faq/what_is_ppa")


@pytest.mark.parametrize(
    ("text", "is_evidence"),
    [
        # What to prepare, asked without the programme's words (dev-set misses).
        ("打电话报障要提供哪些东西", True),
        ("打电话过去会问我什么信息", True),
        ("要不要先把日志备好", True),
        # The same shape about a bank: its words are not the topic's.
        ("去银行开户要提供哪些信息", False),
    ],
)
def test_what_to_prepare_is_support_process_evidence(text: str, is_evidence: bool) -> None:
    assert default_evidence().supports(text, "faq/support_process") is is_evidence


@pytest.mark.parametrize(
    ("text", "topic", "is_evidence"),
    [
        # Pressing on a ticket without naming it a case: 单子, 升个级, more people.
        ("单子拖了半个月还没动静", "escalate_case", True),
        ("能不能帮忙升个级", "escalate_case", True),
        ("叫多点人一起看看吧", "escalate_case", True),
        ("the engineer on my case has gone quiet", "escalate_case", True),
        # 人工客服 as pinyin initials, a whole word only.
        ("rgkf", "human_handoff", True),
        ("rgkfx", "human_handoff", False),
        # A PMR is the support desk's own word, whatever the topic.
        ("what do i need before opening a pmr", "faq/support_process", True),
        ("升个级吧，这手机太卡了", "faq/what_is_ppa", False),
    ],
)
def test_words_for_pressing_a_ticket_and_asking_for_a_person(
    text: str, topic: str, is_evidence: bool
) -> None:
    assert default_evidence().supports(text, topic) is is_evidence


def test_a_homophone_typed_by_the_ime_is_evidence():
    evidence = DomainEvidence(domain=_Matcher(["电话", "合同"]), topics={})
    assert evidence.supports("半夜能打电化吗")  # 电化 dian4 hua4 = 电话
    assert evidence.supports("和同还有效吗")  # 和同 he2 tong2 = 合同
    # Same syllables, other tones: 基数 ji1 shu4 is not 技术 ji4 shu4.
    assert not DomainEvidence(domain=_Matcher(["技术"]), topics={}).supports("什么是基数")
    # One character says too little to match by sound: 包 bao1 is also 报 / 保 / 宝.
    assert not DomainEvidence(domain=_Matcher(["包"]), topics={}).supports("宝宝睡了")


def test_pinyin_spelled_out_is_evidence_inside_a_latin_word():
    evidence = DomainEvidence(domain=_Matcher(["热线"]), topics={"t": _Matcher(["续约"])})
    assert evidence.supports("kefu rexian多少")
    assert evidence.supports("怎么xuyue", "t")
    assert not evidence.supports("怎么xuyue", "other topic")
    # Short spellings hide in English words: "fuwu" (服务) is not looked for.
    assert not DomainEvidence(domain=_Matcher(["服务"]), topics={}).supports("fuwu")


def test_pinyin_typed_by_syllable_is_evidence_when_run_together():
    evidence = DomainEvidence(domain=_Matcher(["人工"]), topics={"t": _Matcher(["合同"])})
    assert evidence.supports("zhuan ren gong")
    assert evidence.supports("he tong guo qi mei you", "t")
    # Only pinyin words join: "hello" is not one, so "hello tong" spells nothing.
    assert Sounds.of("hello tong xue").latin_words == ("hello", "tong", "xue", "tongxue")
    assert not evidence.supports("i love you")


def test_sounds_of_a_message_keep_chinese_runs_and_latin_words_apart():
    sounds = Sounds.of("DB2 挂了, 打dianhua")
    assert sounds.latin_words == ("db", "dianhua")
    assert sounds.han_runs == (("gua4", "le5"), ("da3",))


def test_another_companys_product_is_off_topic_unless_something_of_ours_is_named():
    gate = _gate(flow_threshold=None)
    # A sure classifier and topic words ("热线", "宕机") do not make it ours.
    msg = _message("思科交换机的技术热线", "find_hotline", 0.99)
    gate.process([msg])
    assert _intent(msg) == "out_of_scope"
    msg = _message("gmail密码忘了怎么找回", "faq", 0.99, "faq/pao_login_help", 0.95)
    gate.process([msg])
    assert _intent(msg) == "out_of_scope"
    # Ours next to theirs: a catalogue product, PAO, or an OS entity.
    for text, entities in [
        ("从oracle迁到db2以后一直报错", []),
        ("pao在chrome里打不开", []),
        ("redis旁边那台aix 7.2上的库起不来了", [{"entity": "os", "value": "aix 7.2"}]),
    ]:
        msg = _message(text, "report_outage", 0.99, entities=entities)
        gate.process([msg])
        assert _intent(msg) == "report_outage", text


def test_no_training_example_of_a_gated_intent_names_only_another_company():
    """The vendor list must not swallow what customers of ours say (it stays a list of
    other companies' products, not of words support messages share). Stricter than the
    gate: entities aside, as in the flows' evidence test above."""
    from bot.nlu.baseline import training_examples

    evidence = default_evidence()
    ungated = ("out_of_scope", "inform", "greet", "goodbye", "thank")
    blocked = [
        f"{intent}: {text}"
        for text, intent in training_examples()
        if intent not in ungated and evidence.elsewhere(normalise(text).text)
    ]
    assert not blocked, blocked


def _split(text, ranking, intent_confidence=0.99):
    """An FAQ message whose selector ranks ``ranking`` (topic, confidence), best first."""
    top, confidence = ranking[0]
    message = _message(text, "faq", intent_confidence, top, confidence)
    rows = [{"intent_response_key": key, "confidence": c} for key, c in ranking]
    message.get("response_selector")["faq"]["ranking"] = rows
    return message


def test_a_question_split_between_topics_it_has_words_for_stands():
    # "网页" is faq/websites' word, "资料" faq/online_support's: 0.55 + 0.45 ≥ 0.7.
    msg = _split("有没有官方网页可以查资料", [("faq/websites", 0.55), ("faq/online_support", 0.45)])
    _gate().process([msg])
    assert _intent(msg) == "faq"


def test_a_split_question_is_off_topic_when_its_top_topic_has_no_words_in_it():
    msg = _split("有没有官方网页可以查资料", [("faq/what_is_ppa", 0.55), ("faq/websites", 0.45)])
    _gate().process([msg])
    assert _intent(msg) == "out_of_scope"


def test_a_split_question_is_off_topic_when_the_topics_with_words_are_not_sure_enough():
    # faq/severity_levels has no word in the message: only 0.55 has evidence.
    msg = _split(
        "有没有官方网页可以查资料", [("faq/websites", 0.55), ("faq/severity_levels", 0.45)]
    )
    _gate().process([msg])
    assert _intent(msg) == "out_of_scope"


def test_domain_words_alone_do_not_count_for_a_split_question():
    # "你们" is a domain word, not a topic's own: the split tier ignores it.
    msg = _split("你们那个东西怎么弄", [("faq/websites", 0.55), ("faq/online_support", 0.45)])
    _gate(faq_domain_threshold=0.6).process([msg])
    assert _intent(msg) == "out_of_scope"


def test_named_topics_are_found_written_or_by_sound_but_not_by_domain_words():
    evidence = default_evidence()
    topics = ["faq/websites", "faq/severity_levels", "faq/what_is_ppa"]
    # "网业" sounds like 网页 (websites); "ppa" is a domain word, not what_is_ppa's own.
    assert evidence.named_topics("ppa的网业在哪", topics) == {"faq/websites"}
    assert evidence.named_topics("ppa的网页在哪", topics) == {"faq/websites"}
    assert evidence.named_topics("ppa的网页在哪", ["faq/no_such_topic"]) == set()
