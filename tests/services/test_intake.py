"""What a customer message fills in the intake form."""

import pytest

from bot.services.corrections import parse_correction
from bot.services.intake import company_problem, extract, name_problem, read_turn
from bot.services.wording import wording
from tests.services.entities import spans

NOT_PROVIDED = wording().not_provided

ENTS = [
    {"entity": "product", "value": "DB2"},
    {"entity": "version", "value": "11.5.8"},
    {"entity": "os", "value": "aix 7.2"},
    {"entity": "error_code", "value": "sql1042c"},
]


def test_first_report_fills_every_slot_it_mentions():
    r = extract(
        None, "生产库DB2 11.5.8 在AIX 7.2上起不来，报SQL1042C，急！", "report_outage", ENTS, {}
    )
    assert r.values == {
        "product": "DB2",
        "version": "11.5.8",
        "os": "aix 7.2",
        "error_log": "sql1042c",
        "symptoms": "生产库DB2 11.5.8 在AIX 7.2上起不来，报SQL1042C，急！",
    }


@pytest.mark.parametrize(
    "opening, thin",
    [
        ("DB2挂了", True),
        ("was起不来 帮忙报修", True),
        ("MQ 宕机了！！", True),
        ("数据库连不上了，所有应用都报错", False),
        ("生产库DB2 11.5.8 在AIX 7.2上起不来，报SQL1042C，急！", False),
    ],
)
def test_a_thin_opening_is_kept_and_the_symptoms_still_asked(opening, thin):
    """A blind tester's case was opened with "DB2挂了" as its whole description."""
    from bot.services.intake import with_opening

    r = read_turn(None, opening, "report_outage", 0.9, [], {})
    assert ("symptoms" in r.values) is not thin
    # The request to report is no part of it (an eighth tester's "我要报修 Informix坏了").
    opening = opening.replace(" 帮忙报修", "")
    assert (r.values.get("fault_opening") == opening) is thin
    if thin:
        # The symptom answered later follows the opening in the case's description.
        current = {"fault_opening": opening}
        answer = read_turn("symptoms", "所有连接都被拒绝", "inform", 0.9, [], current)
        merged = with_opening(answer.values, current)
        assert merged["symptoms"] == f"{opening}；所有连接都被拒绝"
        assert with_opening(merged, current) == merged  # added once
    assert with_opening({"version": "11.5"}, {"fault_opening": opening}) == {"version": "11.5"}


def test_entities_do_not_overwrite_earlier_answers_without_a_correction_cue():
    current = {"version": "11.5.8"}
    r = extract(
        "trigger_action",
        "升级到 11.5.9 以后出现",
        "inform",
        [{"entity": "version", "value": "11.5.9"}],
        current,
    )
    assert r.values == {"trigger_action": "升级到 11.5.9 以后出现"}


def test_correction_overwrites_and_does_not_answer_the_current_question():
    current = {"phone": "13800000001", "company": "演示"}
    r = extract(
        "version",
        "电话写错了，是13912345678",
        "inform",
        [{"entity": "phone", "value": "13912345678"}],
        current,
    )
    assert r.values == {"phone": "13912345678"} and r.corrected == ["phone"]


def test_text_correction_without_entity():
    assert parse_correction("公司名写错了，应该是杭州示例科技有限公司") == (
        "company",
        "杭州示例科技有限公司",
    )
    assert parse_correction("随便说说") == (None, None)


def test_skip_words_accepted_for_optional_fields_only():
    assert extract("other_info", "没有", "inform", [], {}).values == {"other_info": NOT_PROVIDED}
    assert extract("symptoms", "跳过", "inform", [], {}).values == {"symptoms": "跳过"}


def test_faq_interrupts():
    r = read_turn("version", "补丁在哪下载", "faq", 0.95, [], {})
    assert r.values == {} and r.outcome is None and r.replies == []


def test_low_confidence_faq_is_an_answer():
    r = read_turn("repro_steps", "先停实例再启动就报错", "faq", 0.3, [], {})
    assert r.values == {"repro_steps": "先停实例再启动就报错"}


def test_names_companies_phones():
    assert extract("contact_name", "我叫王芳", "inform", [], {}).values == {"contact_name": "王芳"}
    assert extract("company", "我们公司是某某银行", "inform", [], {}).values == {
        "company": "某某银行"
    }
    assert extract("phone", "138 0000 1234", "inform", [], {}).values == {"phone": "13800001234"}
    # an unusable answer still goes to the validator, which says what is wrong
    assert extract("phone", "不告诉你", "inform", [], {}).values == {"phone": "不告诉你"}


def test_a_bare_value_answers_the_question_asked():
    ents = [{"entity": "customer_number", "value": "12345"}]
    assert extract("phone", "12345", "inform", ents, {}).values == {"phone": "12345"}
    ents = [{"entity": "version", "value": "FP7"}]
    assert extract("patch_level", "FP7", "inform", ents, {}).values == {"patch_level": "FP7"}


def test_acceptance_words_confirm_a_suggestion():
    current = {"suggested_severity": "2"}
    for word in ("好", "可以", "确认", "OK"):
        assert extract("severity", word, "inform", [], current).values == {"severity": "2"}


def test_long_error_log_is_kept_whole():
    log = "SQL1042C An unexpected system error occurred.\n" * 600
    assert extract("error_log", log, "inform", [], {}).values["error_log"] == log


def test_severity_answers():
    assert extract("severity", "2", "inform", [], {}).values == {"severity": "2"}
    assert extract("severity", "好", "affirm", [], {"suggested_severity": "1"}).values == {
        "severity": "1"
    }


def test_name_problems():
    assert name_problem("王芳") is None
    assert name_problem("13912345678") and name_problem("x" * 30)


# -- whole turns (read_turn) --------------------------------------------------
from bot.services.intake import CANCEL_QUESTION, Outcome  # noqa: E402

FILLED = {"intake_id": "i1", "contact_name": "王芳", "company": "某某银行", "phone": "13800000001"}
SUMMARY = {**FILLED, "product": "DB2", "severity": "1", "suggested_severity": "1"}


def test_opening_request_is_not_the_symptom():
    r = read_turn(None, "我想报个修", "report_outage", 0.9, [], {})
    assert "symptoms" not in r.values


def test_long_first_stage2_answer_fills_every_field_and_the_real_symptom():
    text = (
        "DB2 11.5.8，补丁FP7，跑在AIX 7.2上，HADR主备，每天凌晨备份时出现，"
        "备份作业失败并且整个实例挂起，报SQL2062N"
    )
    ents = [
        {"entity": "product", "value": "DB2"},
        {"entity": "version", "value": "11.5.8"},
        {"entity": "os", "value": "AIX 7.2"},
        {"entity": "error_code", "value": "SQL2062N"},
    ]
    r = read_turn("product", text, "inform", 0.5, ents, FILLED)
    assert r.values == {
        "product": "DB2",
        "version": "11.5.8",
        "os": "AIX 7.2",
        "error_log": "SQL2062N",
        "patch_level": "FP7",
        "configuration": "HADR主备",
        "frequency": "每天凌晨备份时出现",
        "trigger_action": "每天凌晨备份时出现",
        "symptoms": "备份作业失败并且整个实例挂起",
    }


def test_cancel_with_nothing_collected_ends_at_once():
    r = read_turn("contact_name", "算了", "cancel", 0.9, [], {"intake_id": "i1"})
    assert r.outcome is Outcome.CANCEL


def test_cancel_after_answers_is_confirmed_first():
    r = read_turn("os", "不用了", "deny", 0.9, [], FILLED)
    assert r.outcome is None and r.ask == CANCEL_QUESTION and r.values == {"intake_resume": "os"}
    pending = {**FILLED, "intake_resume": "os"}
    assert read_turn(CANCEL_QUESTION, "确认取消", "inform", 0.9, [], pending).outcome is (
        Outcome.CANCEL
    )
    assert read_turn(CANCEL_QUESTION, "是的", "affirm", 0.9, [], pending).outcome is Outcome.CANCEL
    kept = read_turn(CANCEL_QUESTION, "继续", "inform", 0.9, [], pending)
    assert kept.outcome is None and kept.ask == "os" and kept.values == {"intake_resume": None}


def test_severity_changed_at_the_summary():
    r = read_turn(
        "case_confirmed", "等一下，严重程度改成二级", "check_case_status", 0.8, [], SUMMARY
    )
    assert r.values == {"severity": "2"} and r.corrected == ["severity"] and r.outcome is None


def test_phone_entity_at_the_summary_is_a_correction():
    ents = [{"entity": "phone", "value": "13912345678"}]
    r = read_turn("case_confirmed", "电话 13912345678", "inform", 0.9, ents, SUMMARY)
    assert r.values == {"phone": "13912345678"}


def test_summary_only_confirms_on_a_yes():
    assert read_turn("case_confirmed", "好的", "affirm", 0.9, [], SUMMARY).values == {
        "case_confirmed": "yes"
    }
    unclear = read_turn("case_confirmed", "嗯？这是什么", "inform", 0.6, [], SUMMARY)
    assert unclear.values == {"case_confirmed": None} and unclear.replies == ["intake_summary_hint"]


def test_a_contract_question_pauses_the_intake():
    r = read_turn("version", "查一下我们的合同", "check_contract", 0.9, [], FILLED)
    assert r.outcome is Outcome.CONTRACT and r.replies == ["intake_kept"] and r.values == {}


AHEAD = "我们的客户号是8800001 合同号PPA-DEMO-0001"


AHEAD_ENTS = spans(AHEAD, ("customer_number", "8800001"), ("contract_number", "PPA-DEMO-0001"))


def test_values_given_ahead_are_an_answer_not_a_contract_check():
    # Asked for the company, the customer gives the numbers asked next: the classifier
    # reads a contract check, but nothing is asked, so the intake keeps going.
    r = read_turn("company", AHEAD, "check_contract", 0.9, AHEAD_ENTS, {"contact_name": "张演示"})
    assert r.outcome is None
    assert r.values == {"contract_number": "8800001"}  # not the company
    assert r.replies == ["noted_ahead"]


def test_values_with_a_question_still_pause_the_intake():
    for text in ("合同PPA-DEMO-0001还有效吗", "合同PPA-DEMO-0001幾時到期"):
        ents = spans(text, ("contract_number", "PPA-DEMO-0001"))
        r = read_turn("company", text, "check_contract", 0.9, ents, {"contact_name": "张演示"})
        assert r.outcome is Outcome.CONTRACT, text


def test_a_free_text_answer_keeps_only_the_parts_without_identity_values():
    text = "我是张演示，电话13800000001"
    phone = spans(text, ("phone", "13800000001"))
    r = read_turn("contact_name", text, "inform", 0.9, phone, {})
    assert r.values == {"phone": "13800000001", "contact_name": "张演示"}
    text = "演示科技有限公司 客户号8800001"
    ents = spans(text, ("customer_number", "8800001"))
    r = read_turn("company", text, "inform", 0.9, ents, {})
    assert r.values == {"contract_number": "8800001", "company": "演示科技有限公司"}


def test_suggestion_accepted_in_a_sentence():
    current = {**FILLED, "suggested_severity": "2"}
    r = read_turn("severity", "好的，就按你建议的", "inform", 0.5, [], current)
    assert r.values == {"severity": "2"}
    assert read_turn("severity", "按3级来吧", "inform", 0.5, [], current).values == {
        "severity": "3"
    }


def test_product_typo_waits_for_a_yes():
    r = read_turn("product", "infomix", "inform", 0.6, [], FILLED)
    assert r.values == {"product_candidate": "Informix"}
    pending = {**FILLED, "product_candidate": "Informix"}
    assert read_turn("product", "是的", "affirm", 0.9, [], pending).values == {
        "product": "Informix",
        "product_candidate": None,
    }
    assert read_turn("product", "不是", "deny", 0.9, [], pending).values == {
        "product_candidate": None
    }


def test_resuming_says_so():
    assert read_turn(None, "继续报修", "report_outage", 0.9, [], FILLED).replies == [
        "intake_resumed"
    ]


@pytest.mark.parametrize(
    "requested, text",
    [
        ("frequency", "哎 你会讲笑话不"),
        ("contact_name", "北京天气怎么样"),
        ("version", "食咗飯未呀你"),
    ],
)
def test_an_off_topic_question_is_answered_not_stored(requested, text):
    r = read_turn(requested, text, "out_of_scope", 1.0, [], FILLED)
    assert r.values == {requested: None} and r.replies == ["intake_aside"]


@pytest.mark.parametrize("requested, text", [("company", "中国银行"), ("company", "华为")])
def test_answers_the_classifier_calls_off_topic_are_still_answers(requested, text):
    assert read_turn(requested, text, "out_of_scope", 0.97, [], {}).values == {requested: text}


def test_no_letters_is_no_name_or_company():
    assert (
        name_problem("👍") == "intake_bad_name" and company_problem("？？") == "intake_bad_company"
    )
    assert name_problem("张演示") is None and company_problem("华为") is None


@pytest.mark.parametrize("text", ["我只是问问 不报修", "不是报修！我要filenet的电话"])
def test_not_a_report_after_all_cancels(text):
    assert read_turn("contact_name", text, "nlu_fallback", 0.5, [], {}).outcome is Outcome.CANCEL


def test_the_patch_level_given_with_the_version_is_kept():
    text = "11.1.7，补丁是IF3"
    r = read_turn("version", text, "inform", 0.9, spans(text, ("version", "11.1.7")), FILLED)
    assert r.values == {"version": "11.1.7", "patch_level": "IF3"}
    text = "9.0.1 FP10, win2016"
    ents = spans(text, ("version", "9.0.1"), ("os", "win2016"))
    r = read_turn("version", text, "inform", 0.9, ents, FILLED)
    assert r.values == {"version": "9.0.1", "patch_level": "FP10", "os": "win2016"}
    r = read_turn("patch_level", "刚说了IF3啊", "inform", 0.9, [], FILLED)
    assert r.values == {"patch_level": "IF3"}
    # Already given: a later answer naming a fix pack does not overwrite it.
    done = {**FILLED, "patch_level": "IF3"}
    r = read_turn("trigger_action", "打了FP4以后出现", "inform", 0.9, [], done)
    assert "patch_level" not in r.values


@pytest.mark.parametrize(
    "text, intent, level",
    [
        ("生产环境的，间歇性报错，应该算2吧", "inform", "2"),
        ("能跑完的 不影响业务 3吧", "inform", "3"),
        ("成個系統都用唔到啊，應該係最緊急嗰級", "out_of_scope", "1"),
        ("不行 我们很急 要定一级", "escalate_case", "1"),
    ],
)
def test_a_severity_said_in_a_sentence_answers_the_question(text, intent, level):
    current = {**FILLED, "suggested_severity": "3"}
    r = read_turn("severity", text, intent, 0.95, [], current)
    assert r.values == {"severity": level} and r.outcome is None


@pytest.mark.parametrize("text", ["11.5.3", "改成11.5.9", "星期三", "每天备份2次"])
def test_numbers_that_are_no_severity(text):
    from bot.services.severity import find_severity

    assert find_severity(text) is None


@pytest.mark.parametrize(
    "description, level",
    [
        ("我哋嘅Informix數據庫連唔到，成個系統用唔到", 1),  # Cantonese: 连不到, 整个系统
        ("全部client連唔到，報-908", 1),
        ("runstats很慢，但是能跑完", 3),  # the guide's 3: 仍然可以运行
        ("数据库很慢", 2),
        ("测试环境连不上", 3),
    ],
)
def test_suggested_severity_follows_the_guide(description, level):
    from bot.services.severity import suggest_severity

    assert suggest_severity(description).level == level


def test_a_corrected_log_keeps_the_whole_new_text():
    text = "错误日志改为 AMQ9208E: Error on receive from host"
    ents = spans(text, ("error_code", "AMQ9208E"))
    current = {**FILLED, "error_log": "AMQ9999E", "requested_slot": "case_confirmed"}
    r = read_turn("case_confirmed", text, "inform", 0.9, ents, current)
    assert r.values == {"error_log": "AMQ9208E: Error on receive from host"}
    assert r.corrected == ["error_log"]


@pytest.mark.parametrize("text", ["冇", "唔知", "没得", "暂时没有"])
def test_none_in_other_words_is_not_provided(text):
    r = read_turn("configuration", text, "deny", 0.9, [], FILLED)
    assert r.values == {"configuration": NOT_PROVIDED}


@pytest.mark.parametrize(
    "text, intent, level",
    [
        ("生产系统完全不能用", "out_of_scope", "1"),
        ("生产完全用不了了 很急", "escalate_case", "1"),
        ("部分用户时好时坏", "inform", "2"),
    ],
)
def test_the_impact_at_the_severity_question_is_its_level(text, intent, level):
    current = {**FILLED, "suggested_severity": "3"}
    r = read_turn("severity", text, intent, 0.95, [], current)
    assert r.values == {"severity": level} and r.outcome is None
    assert r.replies == ["severity_from_impact"]


def test_a_higher_level_for_a_test_system_is_kept_with_the_guides_note():
    test_system = {**FILLED, "symptoms": "测试环境的DB2起不来", "suggested_severity": "3"}
    r = read_turn("severity", "1", "inform", 0.95, [], test_system)
    assert r.values == {"severity": "1"} and r.replies == ["severity_non_production"]
    # In production, or at the guide's level, nothing is added.
    r = read_turn("severity", "3", "inform", 0.95, [], test_system)
    assert r.values == {"severity": "3"} and r.replies == []
    r = read_turn("severity", "1", "inform", 0.95, [], {**FILLED, "suggested_severity": "1"})
    assert r.values == {"severity": "1"} and r.replies == []


def test_the_next_report_of_a_conversation_keeps_its_contact():
    from bot.services.intake import contact_carried_over, contact_to_keep

    stage1 = {**FILLED, "contract_number": "PPA-DEMO-0001"}
    kept = contact_to_keep({**stage1, "contract_as_given": None, "product": "DB2"})
    assert kept == {k: v for k, v in stage1.items() if k != "intake_id"}
    # A caller who is not the registered contact gave another number: that one is kept.
    stranger = contact_to_keep({**stage1, "contract_as_given": "8800001"})
    assert stranger["contract_number"] == "8800001"
    # Carried over only when the new report names no contact of its own.
    assert contact_carried_over(kept, {"product": "DB2"}, {}) == kept
    assert contact_carried_over(kept, {"phone": "13900000000"}, {}) == {}
    assert contact_carried_over(kept, {}, {"contact_name": "李四"}) == {}
    assert contact_carried_over(None, {}, {}) == {}


@pytest.mark.parametrize("text", ["报SQL1042C", "无", "嗯…我再想想"])
def test_no_level_at_the_severity_question_says_how_to_answer(text):
    current = {**FILLED, "suggested_severity": "1"}
    r = read_turn("severity", text, "inform", 0.95, [], current)
    assert r.values == {"severity": None} and r.replies == ["intake_bad_severity"]


def test_no_log_is_not_provided_like_the_other_skipped_fields():
    r = read_turn("error_log", "无", "deny", 0.95, [], FILLED)
    assert r.values == {"error_log": "未提供"}
    log = "无\nSQL1042C  An unexpected system error occurred."
    assert read_turn("error_log", log, "inform", 0.95, [], FILLED).values["error_log"] == log


def test_a_corrected_log_that_says_was_leaves_the_product_alone():
    text = "错误日志改为 SQL1032N No start database manager command was issued"
    was = text.index("was")
    entities = [
        {
            "entity": "product",
            "value": "WebSphere Application Server",
            "start": was,
            "end": was + 3,
        },
        {"entity": "error_code", "value": "SQL1032N", "start": 6, "end": 14},
    ]
    summary = {**SUMMARY, "requested_slot": "case_confirmed", "error_log": "old"}
    r = read_turn("case_confirmed", text, "inform", 0.9, entities, summary)
    assert r.values == {"error_log": text[7:]} and r.corrected == ["error_log"]


def test_a_level_argued_at_the_severity_question_is_no_correction_of_the_os():
    current = {**FILLED, "os": "AIX 7.2", "suggested_severity": "3"}
    text = "这是生产系统 主要功能用不了 我觉得应该是二级"
    r = read_turn("severity", text, "inform", 0.9, [], current)
    assert r.values["severity"] == "2" and "os" not in r.values


@pytest.mark.parametrize(
    "requested, text",
    [("version", "版本号在哪看啊"), ("os", "这个要填啥？"), ("patch_level", "补丁是什么意思呢")],
)
def test_a_question_at_a_value_question_is_no_value(requested, text):
    r = read_turn(requested, text, "inform", 0.9, [], {**FILLED, "product": "DB2"})
    assert r.values == {requested: None} and r.replies == ["intake_detail_question"]


def test_a_product_corrected_at_the_version_question_is_the_product():
    current = {**FILLED, "product": "DB2"}
    text = "哦不对 不是db2 是informix"
    r = read_turn("version", text, "inform", 0.9, [], current)
    assert r.values.get("product", "").lower() == "informix" and "version" not in r.values


@pytest.mark.parametrize(
    "name",
    ["filenet", "spss呢", "北方呢", "好 继续报修", "我喺深圳", "我要报修", "演示科技", "测试"],
)
def test_what_is_no_name_is_not_stored_as_one(name):
    from bot.services.intake import name_problem

    assert name_problem(name) == "intake_bad_name"


@pytest.mark.parametrize(
    "name",
    ["张演示", "欧阳娜娜", "Kelvin Chan", "陈小姐", "张工", "赵测试", "我叫赵测试", "Vincent Li"],
)
def test_names_still_pass(name):
    from bot.services.intake import name_problem

    assert name_problem(name) is None


@pytest.mark.parametrize("company", ["我要報修", "问这么多干嘛 直接给我电话"])
def test_what_is_no_company_is_not_stored_as_one(company):
    from bot.services.intake import company_problem

    assert company_problem(company) == "intake_bad_company"
    assert company_problem("上海浦东发展银行") is None


def test_a_mistaken_product_said_so_is_corrected():
    current = {**FILLED, "product": None}
    r = read_turn("product", "哦 搞错了 是domino", "inform", 0.9, [], current)
    assert str(r.values.get("product", "")).lower() == "domino"


def test_a_question_at_the_cancel_question_is_answered_and_it_is_asked_again():
    pending = {**FILLED, "intake_resume": "os"}
    r = read_turn(CANCEL_QUESTION, "DB2热线多少", "find_hotline", 0.95, [], pending)
    # Nothing read: the question's own rule answers it and the form asks again.
    assert r.values == {} and r.outcome is None and r.ask is None


def test_a_cancel_at_the_cancel_question_is_its_yes():
    pending = {**FILLED, "intake_resume": "os"}
    r = read_turn(CANCEL_QUESTION, "确认取消", "cancel", 0.95, [], pending)
    assert r.outcome is Outcome.CANCEL


@pytest.mark.parametrize(
    "description, level",
    [
        ("全公司的外发邮件都卡在mail.box里 发不出去", 1),
        ("router: Connection refused", 1),
        ("部分邮件发不出去", 2),
    ],
)
def test_company_wide_and_refused_connections_are_severity_1(description, level):
    from bot.services.severity import suggest_severity

    assert suggest_severity(description).level == level


def test_a_level_with_a_remark_at_the_summary_is_changed():
    summary = {**SUMMARY, "requested_slot": "case_confirmed", "severity": "1"}
    text = "严重程度还是改成三吧 别浪费你们资源"
    r = read_turn("case_confirmed", text, "inform", 0.9, [], summary)
    assert r.values.get("severity") == "3"


def test_a_bare_phone_at_the_name_question_is_kept_as_the_phone():
    phone = [{"entity": "phone", "value": "13800000004", "start": 0, "end": 11}]
    r = read_turn("contact_name", "13800000004", "inform", 1.0, phone, {"intake_id": "i1"})
    assert r.values == {"phone": "13800000004"} and r.replies == ["noted_ahead"]


def test_a_cantonese_typo_correction_names_the_product():
    current = {**FILLED, "product": "Informix"}
    r = read_turn("contract_number", "唔好意思 打错 产品是datastage", "inform", 0.9, [], current)
    assert str(r.values.get("product", "")).lower() == "datastage" and r.corrected == ["product"]


@pytest.mark.parametrize(
    "requested, text, intent",
    [
        ("contact_name", "好的", "affirm"),
        ("contact_name", "好嘞", "affirm"),
        ("company", "谢谢", "thank"),
    ],
)
def test_an_acknowledgement_at_the_name_or_company_question_is_no_answer(requested, text, intent):
    r = read_turn(requested, text, intent, 1.0, [], {"intake_id": "i1"})
    assert r.values == {requested: None} and r.outcome is None
    assert r.replies == ["intake_bad_name" if requested == "contact_name" else "intake_bad_company"]
    # A name the model happens to read as a greeting, unsure, is still a name.
    r = read_turn("contact_name", "何好", "greet", 0.4, [], {"intake_id": "i1"})
    assert r.values == {"contact_name": "何好"}


@pytest.mark.parametrize(
    "requested, text, intent, reply",
    [
        ("version", "好滴", "affirm", "intake_need_detail_skippable"),
        ("configuration", "ok", "affirm", "intake_need_detail_skippable"),
        ("symptoms", "谢谢", "thank", "intake_need_detail"),
        ("phone", "唔該", "thank", "intake_need_detail"),  # not "号码格式不对"
    ],
)
def test_an_acknowledgement_is_no_technical_detail(requested, text, intent, reply):
    """Found by a blind tester: a case was opened with "好的 / 谢谢 / ok" as its details."""
    r = read_turn(requested, text, intent, 1.0, [], {"intake_id": "i1", "product": "DB2"})
    assert r.values == {requested: None} and r.replies == [reply]


def test_goodbye_mid_report_keeps_it_for_later():
    r = read_turn("contact_name", "拜拜", "goodbye", 1.0, [], {"intake_id": "i1"})
    assert r.outcome is Outcome.PAUSE and r.values == {}


@pytest.mark.parametrize("text", ["繼續", "算了還是繼續吧", "继续"])
def test_carry_on_in_traditional_characters_keeps_the_report(text):
    """Found by a blind tester: "繼續" at "确定取消吗" cancelled the report."""
    current = {"intake_id": "i1", "contact_name": "张演示", "intake_resume": "company"}
    r = read_turn(CANCEL_QUESTION, text, "affirm", 0.9, [], current)
    assert r.outcome is None and r.replies == ["intake_cancel_kept"]


@pytest.mark.parametrize("text", ["唔清楚", "木有", "唔知"])
def test_dont_know_in_dialect_is_not_provided(text):
    r = read_turn("patch_level", text, "inform", 0.9, [], {"intake_id": "i1", "product": "DB2"})
    assert r.values == {"patch_level": wording().not_provided}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("补丁级别改为FC15，操作系统改为CentOS 7", {"patch_level": "FC15", "os": "CentOS 7"}),
        (
            "其他信息改成没有，配置改成单机无HA，补丁级别是FP8",
            {"other_info": "未提供", "configuration": "单机无HA", "patch_level": "FP8"},
        ),
        ("联系人改为李雷，电话改为13911112222", {"contact_name": "李雷", "phone": "13911112222"}),
    ],
)
def test_several_corrections_in_one_message_each_change_their_field(text, expected):
    """Found by a blind tester: only the first changed, with the rest as its value."""
    summary = {**SUMMARY, "requested_slot": "case_confirmed"}
    entities = spans(text)
    r = read_turn("case_confirmed", text, "inform", 0.9, entities, summary)
    assert {k: r.values.get(k) for k in expected} == expected
    assert sorted(r.corrected) == sorted(expected)


def test_a_corrected_description_keeps_its_numbers_and_its_whole_text():
    """Found by a blind tester: "2009" in the new description replaced the contract."""
    text = "错误现象改为：队列管理器偶尔报2009错误，客户端断开"
    at = text.index("2009")
    number = [{"entity": "customer_number", "value": "2009", "start": at, "end": at + 4}]
    summary = {**SUMMARY, "requested_slot": "case_confirmed"}
    r = read_turn("case_confirmed", text, "inform", 0.9, number, summary)
    assert r.values == {"symptoms": "队列管理器偶尔报2009错误，客户端断开"}


@pytest.mark.parametrize(
    "requested, text, value",
    [
        ("contact_name", "我係張演示", "張演示"),
        ("contact_name", "鄙人张演示", "张演示"),
        ("company", "公司係演示科技有限公司", "演示科技有限公司"),
    ],
)
def test_how_one_introduces_oneself_is_not_part_of_the_name(requested, text, value):
    """Found by a blind tester: "我係張演示" was stored with the "我係"."""
    assert read_turn(requested, text, "inform", 0.9, [], {"intake_id": "i1"}).values == {
        requested: value
    }


@pytest.mark.parametrize(
    "requested, text, reply",
    [
        ("version", "继续报修", "intake_resumed"),  # was stored as the version
        ("patch_level", "我回来了，继续", "intake_resumed"),
        ("version", "等一下，老板叫我", "intake_wait"),
        ("company", "等下，我再去确认一下", "intake_wait"),
        ("severity", "严重程度一和二有什么区别？", "intake_severity_explained"),
        ("severity", "我们这种算几级啊", "intake_severity_explained"),
        # A second blind tester's: read as a wait, and as choosing level 3.
        ("version", "请稍候，我去机房查看版本号", "intake_wait"),
        ("severity", "三级的话多久响应？", "intake_severity_response"),
    ],
)
def test_messages_that_hold_the_question_are_no_answer(requested, text, reply):
    """A blind tester's "继续报修" and "等一下，老板叫我" became the version; a question
    about the levels chose severity 1."""
    r = read_turn(requested, text, "inform", 0.9, [], {"contact_name": "张演示"})
    assert r.values == {requested: None} and r.replies == [reply]


@pytest.mark.parametrize(
    "requested, text, stored",
    [
        ("symptoms", "重启后继续报错", "symptoms"),  # "继续" inside an answer
        ("contact_name", "叫我小张就行", "contact_name"),
        ("version", "等下 是11.5.8", "version"),  # a value after the wait word
        ("severity", "应该算2吧", "severity"),
    ],
)
def test_answers_with_those_words_are_still_answers(requested, text, stored):
    r = read_turn(requested, text, "inform", 0.9, [], {"contact_name": "张演示"})
    assert r.values.get(stored), r


def test_a_thankful_yes_to_the_cancel_question_cancels():
    """A blind tester's "好的谢谢" to "cancel the report?" kept them in the report."""
    from bot.services.intake import CANCEL_QUESTION, Outcome

    for text in ("好的谢谢", "好的 谢谢", "ok thanks"):
        r = read_turn(CANCEL_QUESTION, text, "thank", 0.9, [], {"intake_resume": "version"})
        assert r.outcome is Outcome.CANCEL, text


def test_a_greeting_that_asks_for_a_report_is_no_symptom():
    """A second blind tester's formal opening became the symptom; the real one landed in
    the error log."""
    opening = "您好，本人欲申报一项技术故障，烦请协助登记。"
    r = read_turn(None, opening, "report_outage", 0.9, [], {})
    assert "symptoms" not in r.values


def test_every_word_in_the_word_lists_is_a_word():
    """An unquoted "补充:" in a YAML list is a one-key mapping, not the word: the
    additions written "补充：…" were missed."""
    import yaml

    from bot.services.wording import WORDS_PATH

    raw = yaml.safe_load(WORDS_PATH.read_text(encoding="utf-8"))
    odd = [
        (name, word)
        for name, words in raw.items()
        if isinstance(words, list)
        for word in words
        if not isinstance(word, (str, int, float))
    ]
    assert not odd


@pytest.mark.parametrize(
    "text, field, value",
    [
        # A sixth blind tester's: the first set the version to "FP1" and severity 1.
        ("補丁級別改成 FP1", "patch_level", "FP1"),
        ("錯誤現象改為：實例起不來", "symptoms", "实例起不来"),
        ("錯誤日誌改做：冇", "error_log", NOT_PROVIDED),
    ],
)
def test_corrections_in_traditional_characters_change_their_field(text, field, value):
    current = {"version": "11.7.1", "patch_level": NOT_PROVIDED, "severity": "2"}
    r = read_turn("case_confirmed", text, "inform", 0.9, [], current)
    assert r.values == {field: value} and r.corrected == [field]


def test_the_symptom_again_for_a_test_system_is_no_choice_of_level():
    """A blind tester repeated "就是起不来啊，刚说了" at the suggestion of 3 for a test
    system: it was read as choosing 1, against the guide, and a 7x24 case was opened."""
    test_system = {**FILLED, "symptoms": "测试环境的DB2起不来", "suggested_severity": "3"}
    r = read_turn("severity", "就是起不来啊，刚说了", "inform", 0.9, [], test_system)
    assert r.values == {"severity": None}
    assert r.replies == ["severity_impact_non_production"]
    # Production hit too: the impact is the level, with the guide's note.
    r = read_turn("severity", "生产也受影响了，全部用户连不上", "inform", 0.9, [], test_system)
    assert r.values == {"severity": "1"}


@pytest.mark.parametrize(
    "field, text",
    [("trigger_action", "没做什么操作，自己挂的"), ("frequency", "不知道为什么，隔一阵就来一次")],
)
def test_a_negated_what_answers_the_question(field, text):
    """A seventh blind tester's "没做什么操作，自己挂的" (read as off-topic) got "I cannot
    help with that" at the trigger question: 什么 after a negation asks nothing."""
    r = read_turn(field, text, "out_of_scope", 0.8, [], {**FILLED, field: None})
    assert r.values.get(field) == text and "intake_aside" not in r.replies


def test_only_asking_cancels_and_a_goodbye_at_the_cancel_question_leaves():
    """An eighth blind tester's "我没要报修，只是问问" was stored as the name, and "拜拜" at
    "cancel the report?" was read as "carry on"."""
    r = read_turn("contact_name", "我没要报修，只是问问", "inform", 0.9, [], {"product": "DB2"})
    assert r.ask == CANCEL_QUESTION and "contact_name" not in r.values
    asked = {"product": "DB2", "intake_resume": "contact_name"}
    r = read_turn(CANCEL_QUESTION, "拜拜", "goodbye", 0.95, [], asked)
    assert r.outcome is Outcome.PAUSE


@pytest.mark.parametrize("text", ["你自己查", "没记", "我不知道呢", "帮我查下"])
def test_a_sentence_is_no_name(text):
    """An eighth blind tester's "案例号没记，我电话138…，你自己查" at the name question
    stored "你自己查" as the name."""
    assert name_problem(text) in ("intake_bad_name", "intake_name_required")


def test_the_asked_field_keeps_every_clause_a_long_answer_gives_no_other_field():
    """A ninth blind tester's configuration lost everything after its first clause."""
    text = "单机，没有HA；另外备份是用TSM做的，TSM版本8.1"
    r = read_turn("configuration", text, "inform", 0.9, [], FILLED)
    assert r.values["configuration"] == "单机，没有HA，另外备份是用TSM做的，TSM版本8.1"
    text = "两节点HADR，主备都在AIX上，每天晚上跑批的时候实例就挂掉"
    r = read_turn("configuration", text, "inform", 0.9, [], FILLED)
    assert r.values["configuration"] == "两节点HADR，主备都在AIX上"
    assert r.values["frequency"] == "每天晚上跑批的时候"


def test_a_corrected_product_asks_its_version_and_patch_again():
    """A ninth blind tester's Informix version stayed on the WAS case."""
    current = {**SUMMARY, "product": "Informix", "version": "14.10.FC8", "patch_level": "FC8"}
    ents = [{"entity": "product", "value": "WAS"}, {"entity": "product", "value": "Informix"}]
    text = "哦不对，搞错了，出问题的其实是WAS，不是Informix"
    r = read_turn("case_confirmed", text, "inform", 0.9, ents, current)
    assert r.values["product"] == "WAS"
    assert r.values["version"] is None and r.values["patch_level"] is None


@pytest.mark.parametrize(
    "requested, text, reply",
    [
        ("patch_level", "太慢了，你让工程师直接打我电话吧", "intake_callback_after_submit"),
        ("configuration", "别问了 直接打我手机", "intake_callback_after_submit"),
        ("symptoms", "跳过", "intake_symptoms_needed"),
    ],
)
def test_what_holds_the_question_open_is_not_stored_as_its_answer(requested, text, reply):
    """A ninth blind tester's request for a call was stored as the patch level."""
    r = read_turn(requested, text, "inform", 0.9, [], {**FILLED, "product": "DB2"})
    assert r.values.get(requested) is None and r.replies == [reply]


def test_a_log_pasted_at_another_question_is_kept_whole_as_the_error_log():
    """A ninth blind tester's pasted Cognos log was stored as its first error code."""
    log = (
        "单机部署，日志如下：\n"
        "2026-12-07 16:20:11 RSV-SRV-0042 Trace back:\n"
        "SQL0204N 'CGRS.SALES_FACT' is an undefined name. SQLSTATE=42704\n"
        "at com.cognos.rsvp.Run(Unknown Source)"
    )
    ents = [{"entity": "error_code", "value": "RSV-SRV-0042"}]
    current = {**FILLED, "product": "Cognos"}
    r = read_turn("configuration", log, "inform", 0.9, ents, current)
    assert r.values["error_log"] == log and "SQL0204N" in r.values["error_log"]
    # One line is an answer as before; a log already given is not replaced.
    one = read_turn("configuration", "单机部署 RSV-SRV-0042", "inform", 0.9, ents, current)
    assert one.values.get("error_log") != "单机部署 RSV-SRV-0042"
    kept = read_turn("configuration", log, "inform", 0.9, ents, {**current, "error_log": "x"})
    assert "error_log" not in kept.values


def test_a_log_that_opens_the_report_is_kept_whole():
    """A fourteenth blind tester began with a db2diag paste: only "I1001E456" of it
    reached the case."""
    line = "2026-12-07-17.0{}.11.123456+480 I100{}E456 LEVEL: Severe MESSAGE: SQL1042C"
    log = "\n".join(line.format(i, i) for i in range(1, 5))
    ents = [{"entity": "error_code", "value": "I1001E456"}]
    r = read_turn(None, log, "inform", 0.9, ents, {})
    assert r.values["error_log"] == log


def test_a_corrected_symptom_replaces_the_opening_too():
    """A tenth blind tester's Informix case still began with "DB2报错了" after the fix."""
    from bot.services.intake import with_opening

    current = {**SUMMARY, "fault_opening": "DB2报错了", "symptoms": "DB2报错了；连不上"}
    text = "错误现象改为：执行复杂多表join时报错-271，然后Informix实例崩溃"
    r = read_turn("case_confirmed", text, "inform", 0.9, [], current)
    assert "symptoms" in r.corrected
    values = with_opening(r.values, current, r.corrected)
    assert values["symptoms"] == "执行复杂多表join时报错-271，然后Informix实例崩溃"
    assert values["fault_opening"] is None


def test_a_log_labelled_at_the_severity_question_is_kept_and_the_level_asked_again():
    """A tenth blind tester's "錯誤日誌：-908 …" at the severity question was lost."""
    log = "錯誤日誌：-908 Attempt to connect to database server (ol_prod) failed."
    current = {**SUMMARY, "severity": None, "error_log": "未提供"}
    r = read_turn("severity", log, "inform", 0.9, [], current)
    assert r.values["error_log"] == log[5:] and r.values.get("severity") is None


def test_version_answers_a_long_answer_and_a_word_without_digits():
    """A tenth blind tester: the version asked again after a long answer; "那MQ" stored."""
    text = "11.1.7，打了IF3，跑在Windows Server 2019上，单机部署"
    ents = [
        {"entity": "version", "value": "11.1.7"},
        {"entity": "os", "value": "Windows Server 2019"},
    ]
    r = read_turn("version", text, "inform", 0.9, ents, {**FILLED, "product": "Informix"})
    assert r.values["version"] == "11.1.7" and r.values["patch_level"] == "IF3"
    assert r.values["os"] == "Windows Server 2019"
    r = read_turn("version", "那MQ", "inform", 0.9, [], {**FILLED, "product": "DB2"})
    assert r.values.get("version") is None and r.replies == ["intake_version_needs_number"]
    r = read_turn("version", "不清楚", "inform", 0.9, [], {**FILLED, "product": "DB2"})
    assert r.values["version"] == NOT_PROVIDED


def test_an_english_company_with_its_legal_form_is_kept_whole():
    """A tenth blind tester's "Demo Tech Co., Ltd." was stored as "Ltd."."""
    r = read_turn("company", "Demo Tech Co., Ltd.", "inform", 0.9, [], {"intake_id": "i1"})
    assert r.values["company"].startswith("Demo Tech Co") and "Ltd" in r.values["company"]


def test_the_value_asked_for_inside_a_question_is_the_answer():
    """A tenth blind tester's "合同号是多少来着。。。PPA-DEMO-0002" paused the report."""
    text = "合同号是多少来着。。。PPA-DEMO-0002"
    ents = [{"entity": "contract_number", "value": "PPA-DEMO-0002", "start": 11, "end": 24}]
    r = read_turn("contract_number", text, "check_contract", 0.95, ents, FILLED)
    assert r.outcome is None and r.values["contract_number"] == "PPA-DEMO-0002"
    # Asked something else, a contract check is still one.
    r = read_turn("version", "我们合同什么时候到期", "check_contract", 0.95, [], FILLED)
    assert r.outcome is not None


# A twelfth blind tester's report (qa12-02, qa12-34): each was stored as the answer to
# the question asked.
STAGE2 = {**FILLED, "product": "DB2", "version": "11.5.7", "configuration": "HA 主备"}


def test_another_fields_label_at_a_detail_question_is_that_field_ahead():
    log = [{"entity": "error_code", "value": "SQL1224N", "start": 6, "end": 14}]
    r = read_turn("patch_level", "错误日志里有SQL1224N", "inform", 0.9, log, STAGE2)
    assert r.values == {"error_log": "SQL1224N"} and r.replies == ["noted_ahead"]
    # A description starting with a loose word is still the answer.
    r = read_turn("configuration", "系统是双机热备", "inform", 0.9, [], STAGE2)
    assert r.values == {"configuration": "系统是双机热备"}


@pytest.mark.parametrize(
    ("requested", "text", "reply"),
    [
        ("configuration", "这个单号多少", "intake_question_held"),
        ("other_info", "为什么要问这个", "intake_question_held"),
        ("frequency", "还有呢", "intake_need_detail_skippable"),
        ("frequency", "然后呢", "intake_need_detail_skippable"),
        ("trigger_action", "还有呢", "intake_need_detail_skippable"),
    ],
)
def test_a_question_or_a_filler_at_a_detail_question_is_asked_again(requested, text, reply):
    r = read_turn(requested, text, "inform", 0.9, [], STAGE2)
    assert r.values == {requested: None} and r.replies == [reply]


@pytest.mark.parametrize(
    ("requested", "text", "value"),
    [
        ("frequency", "每天两三次", "每天两三次"),
        ("frequency", "偶尔", "偶尔"),
        ("configuration", "单机，没有集群", "单机，没有集群"),
        ("trigger_action", "重启后啥也干不了", "重启后啥也干不了"),
    ],
)
def test_plain_detail_answers_are_kept(requested, text, value):
    r = read_turn(requested, text, "inform", 0.9, [], STAGE2)
    assert r.values[requested] == value


def test_a_correction_naming_the_old_value_changes_the_field_holding_it():
    text = "上面说的那个是HDR不是HA，改一下"
    for requested in ("trigger_action", "severity"):
        r = read_turn(requested, text, "inform", 0.9, [], STAGE2)
        assert r.values == {"configuration": "HDR 主备"} and r.replies == ["intake_updated"]
    # A value no field holds, or one two fields hold, changes nothing of theirs.
    r = read_turn("trigger_action", "是HDR不是Oracle", "inform", 0.9, [], STAGE2)
    assert "configuration" not in r.values


def test_a_company_answer_holding_the_details_is_no_company():
    from bot.services.intake import company_problem

    assert company_problem("好的 继续 版本是11.5.7 补丁fp0 AIX 7.2") == "intake_bad_company"
    assert company_problem("日志软件有限公司") is None
    assert company_problem("演示科技有限公司") is None


def test_emptying_a_field_named_with_its_row():
    """ "配置那栏清空" at the summary stored "那栏清空" as the configuration."""
    from bot.services.wording import wording

    r = read_turn("case_confirmed", "配置那栏清空", "inform", 0.9, [], {**SUMMARY, **STAGE2})
    assert r.values == {"configuration": wording().not_provided}


def test_a_person_asked_for_with_a_cancel_word_is_no_cancel():
    """An eleventh blind tester's "算了太麻烦了，直接给我转人工吧" cancelled the report and
    nobody was asked; the handoff takes the report's fields with it."""
    from bot.services.corrections import is_cancel

    assert not is_cancel("算了太麻烦了，直接给我转人工吧", "human_handoff", 1.0)
    assert is_cancel("算了，不报了", "cancel", 0.9)
    assert is_cancel("算了", "inform", 0.4)


@pytest.mark.parametrize(
    "text, intent, outcome",
    [
        ("算了，先帮我查一下合同", "check_contract", Outcome.CONTRACT),
        ("不报了，先查下合同有没有过期", "check_contract", Outcome.CONTRACT),
        ("算了 我先看看之前那个单子的进度", "check_case_status", Outcome.CASE),
    ],
)
def test_a_cancel_word_before_another_request_pauses_for_it(text, intent, outcome):
    """ "算了还是先查合同吧" in a report dropped the report and checked nothing."""
    r = read_turn("phone", text, intent, 0.9, [], {"name": "王工", "company": "某公司"})
    assert r.outcome is outcome and r.replies == ["intake_kept"]
    # A plain cancel still cancels (here: asks first, since answers were given).
    r = read_turn("phone", "算了不报了", "cancel", 1.0, [], {"name": "王工", "company": "某公司"})
    assert r.ask == CANCEL_QUESTION and r.outcome is None


def test_a_long_symptom_keeps_every_clause_no_other_field_took():
    """An eleventh blind tester's "数据库服务器停机，所有用户都连不上，业务全停了" was stored
    as "所有用户都连不上"."""
    text = "数据库服务器停机，所有用户都连不上，业务全停了"
    r = read_turn("symptoms", text, "report_outage", 0.9, [], {**STAGE2, "frequency": "一直"})
    assert r.values["symptoms"] == text


@pytest.mark.parametrize(
    "requested, text, kind",
    [
        ("patch_level", "PPA-DEMO-0001", "contract_number"),
        ("os", "13800000002", "phone"),
        ("configuration", "8800001。", "customer_number"),
    ],
)
def test_a_stage_1_number_at_a_detail_question_is_no_detail(requested, text, kind):
    """A thirteenth blind tester's "PPA-DEMO-0001", sent at the patch question by a
    customer who has both numbers, was stored as the patch level."""
    value = text.rstrip("。")
    ents = [{"entity": kind, "value": value, "start": 0, "end": len(value)}]
    r = read_turn(requested, text, "inform", 0.9, ents, STAGE2)
    assert r.values == {requested: None} and r.replies == ["intake_identity_not_detail"]
    # The field's own kind of value is its answer.
    version = [{"entity": "version", "value": "11.5.8", "start": 0, "end": 6}]
    assert read_turn("version", "11.5.8", "inform", 0.9, version, STAGE2).values


def test_a_fourteenth_blind_testers_traditional_letter_and_corrections():
    """The name was read from the letter's close ("此致 敬禮"), "作業系統 RHEL 8.6" at
    the name question became the name, and the corrections "操作系统是RHEL 8，你搞错了"
    and "姓名錯了，聯絡人是張演示" stored "你搞错了" and "联络人是张演示"."""
    from bot.services.intake import name_problem

    text = "本公司（演示科技有限公司）Informix無法啟動。聯絡人張演示，電話13800000001。此致 敬禮"
    at = text.index("138")
    phone = [{"entity": "phone", "value": "13800000001", "start": at, "end": at + 11}]
    r = read_turn(None, text, "report_outage", 0.99, phone, {})
    assert r.values["contact_name"] == "張演示"
    assert name_problem("作業系統") == "intake_bad_name"
    at = "版本是11.5.8，操作系统是RHEL 8，你搞错了".index("RHEL")
    os_ = [{"entity": "os", "value": "RHEL 8", "start": at, "end": at + 6}]
    r = read_turn(
        "case_confirmed", "版本是11.5.8，操作系统是RHEL 8，你搞错了", "inform", 0.9, os_, SUMMARY
    )
    assert r.values["os"] == "RHEL 8"
    r = read_turn("case_confirmed", "姓名錯了，聯絡人是張演示", "inform", 0.9, [], SUMMARY)
    assert r.values["contact_name"] == "张演示"


def test_giving_up_on_one_product_for_another_switches_the_report():
    """A fourteenth blind tester, told Cognos was not on his contract: "那算了，其实
    DataStage也有问题，就报DataStage吧" was asked "cancel the report?"."""
    text = "那算了，其实DataStage也有问题，就报DataStage吧"
    at = text.index("DataStage")
    ents = [{"entity": "product", "value": "DataStage", "start": at, "end": at + 9}]
    current = {**SUMMARY, "product": "Cognos", "contract_number": None}
    r = read_turn("contract_number", text, "cancel", 0.8, ents, current)
    assert r.ask is None and r.outcome is None
    assert r.values["product"] == "DataStage" and r.values["symptoms"] is None
    # Without another product it is the cancel question, as before.
    r = read_turn("contract_number", "那算了", "cancel", 0.8, [], current)
    assert r.ask == CANCEL_QUESTION


def test_an_objection_to_the_suggested_level_is_no_choice_of_it():
    """A fourteenth blind tester's "为什么是一级？只是跑批卡住，白天系统正常" went into
    the summary as severity 1."""
    current = {**SUMMARY, "severity": None}
    r = read_turn(
        "severity", "为什么是一级？只是跑批卡住，白天系统正常", "inform", 0.9, [], current
    )
    assert r.values == {"severity": None} and r.replies == ["intake_severity_explained"]
    assert read_turn("severity", "按一级来", "inform", 0.9, [], current).values["severity"] == "1"


def test_not_knowing_the_trigger_is_an_answer_not_an_aside():
    """A fourteenth blind tester's "不清楚什么操作引起的" got the off-topic answer."""
    current = {**SUMMARY, "trigger_action": None}
    r = read_turn("trigger_action", "不清楚什么操作引起的", "out_of_scope", 0.9, [], current)
    assert r.replies == [] and r.values["trigger_action"] == "不清楚什么操作引起的"


def test_a_fifteenth_blind_testers_summary_answers():
    """ "那就按2" submitted the case; "不是WAS是MQ，我搞混了" stored the product "WAS是MQ，
    我搞混了" and it stayed WAS; "版本是11.7.1 你搞错了" kept the remark; "不同意…应该是2"
    at the severity question got the definitions (its "不同")."""
    r = read_turn("case_confirmed", "那就按2", "inform", 0.9, [], SUMMARY)
    assert r.values == {"case_confirmed": None, "severity": "2"}
    text = "不是WAS是MQ，我搞混了"
    r = read_turn("case_confirmed", text, "inform", 0.9, [], {**SUMMARY, "product": "WAS"})
    assert r.values["product"] == "MQ"
    r = read_turn("case_confirmed", "版本是11.7.1 你搞错了", "inform", 0.9, [], SUMMARY)
    assert r.values["version"] == "11.7.1"
    text = "不同意，生产批处理每天都跑不完，应该是2"
    r = read_turn("severity", text, "inform", 0.9, [], {**SUMMARY, "severity": None})
    assert r.values == {"severity": "2"}


@pytest.mark.parametrize("text", ["跳過", "不知道", "skip", "唔知"])
def test_a_skip_or_dont_know_is_no_name_or_company(text):
    """A fifteenth blind tester's case opened under the name "跳過", company "不知道"."""
    from bot.services.intake import company_problem, name_problem

    assert name_problem(text) == "intake_name_required"
    assert company_problem(text) == "intake_company_required"


def test_report_this_product_first_switches_the_report():
    """ "等一下，WAS那边更急，整个网站都打不开了，先报WAS的" at the patch question was
    stored as a fifteenth blind tester's patch level."""
    text = "等一下，WAS那边更急，整个网站都打不开了，先报WAS的"
    at = text.index("WAS")
    ents = [{"entity": "product", "value": "WAS", "start": at, "end": at + 3}]
    r = read_turn("patch_level", text, "inform", 0.9, ents, {**SUMMARY, "product": "DB2"})
    assert r.values["product"] == "WAS" and r.values.get("patch_level") is None
    # The report's own product named again changes nothing.
    r = read_turn(
        "patch_level",
        "先报DB2的，FP7",
        "inform",
        0.9,
        [{**ents[0], "value": "DB2"}],
        {**SUMMARY, "product": "DB2"},
    )
    assert r.values.get("product") in (None, "DB2")


@pytest.mark.parametrize("text", ["DB2", "那就报DB2吧"])
def test_another_product_at_the_number_question_switches_the_report(text):
    """After "Cognos 不在合同中 … 请提供其合同号", a sixteenth blind tester's "DB2" was
    looked up as a contract number (for its digit) and refused."""
    at = text.index("DB2")
    ents = [{"entity": "product", "value": "DB2", "start": at, "end": at + 3}]
    current = {"product": "Cognos", "symptoms": "Cognos报表打不开了"}
    r = read_turn("contract_number", text, "inform", 0.9, ents, current)
    assert r.values["product"] == "DB2" and r.values.get("symptoms") is None


@pytest.mark.parametrize(
    "slot, text",
    [
        ("patch_level", "不知道补丁"),
        ("patch_level", "冇patch"),
        ("patch_level", "tiao guo"),
        ("repro_steps", "唔識重現"),
        ("repro_steps", "重现步骤不清楚"),
    ],
)
def test_a_skip_with_the_fields_name_is_not_provided(slot, text):
    """A fifteenth blind tester's "不知道补丁", "冇patch", "tiao guo" were stored as typed."""
    from bot.services.intake import _skipped

    assert _skipped(slot, text)
    assert not _skipped(slot, "FP7") and not _skipped(slot, "补丁")


@pytest.mark.parametrize("text", ["查一下我的留言记录", "帮我看看案子", "给我转人工"])
def test_a_request_to_the_bot_is_no_company_or_name(text):
    """ "查一下我的留言记录" at the company question was a sixteenth blind tester's company."""
    from bot.services.intake import company_problem, name_problem

    assert company_problem(text) == "intake_bad_company"
    assert name_problem(text) == "intake_bad_name"
    assert company_problem("查氏集团") is None  # a company may start with 查


def test_a_seventeenth_blind_testers_remarks_are_no_answers():
    """A fault sentence was the name, "讲个笑话" the company, "后面的都跳过，直接提交吧" the
    patch level and a question of when the configuration."""
    from bot.services.intake import company_problem, name_problem

    assert name_problem("生产库每隔一小时就断一次，应用间歇报错") == "intake_bad_name"
    assert name_problem("Li Hang") is None and name_problem("张演示") is None
    assert company_problem("讲个笑话") == "intake_bad_company"
    current = {**SUMMARY, "product": "DB2", "version": "11.5"}
    for field in ("patch_level", "os", "configuration", "other_info", "frequency"):
        current.pop(field, None)
    r = read_turn("patch_level", "后面的都跳过，直接提交吧", "inform", 0.9, [], current)
    skipped = {k for k, v in r.values.items() if v == "未提供"}
    assert {"patch_level", "os", "configuration", "other_info", "frequency"} <= skipped
    assert "symptoms" not in r.values and r.replies == ["intake_rest_skipped"]
    question = "我就想问下，这个工程师几点会联系我？现在是凌晨"
    r = read_turn("configuration", question, "inform", 0.9, [], current)
    assert r.values.get("configuration") is None
    r = read_turn("patch_level", "刚才都说了啊", "inform", 0.9, [], current)
    assert r.values.get("patch_level") is None


def _spans(text, *pairs):  # type: ignore[no-untyped-def]
    return [
        {"entity": e, "value": v, "start": text.find(w), "end": text.find(w) + len(w)}
        for e, v, w in pairs
    ]


def test_a_seventeenth_blind_testers_product_and_version_corrections():
    """ "产品说错了，是MQ，WebSphere MQ 9.1" lost the 9.1, "RHEL 7.9" at the version question
    was the version, and "版本不对，MQ版本是9.1" was stored as typed."""
    text = "产品说错了，是MQ，WebSphere MQ 9.1"
    ents = _spans(
        text,
        ("product", "MQ", "MQ"),
        ("product", "websphere mq", "WebSphere MQ"),
        ("version", "9.1", "9.1"),
    )
    was = {**SUMMARY, "product": "WebSphere Application Server", "version": "9.0.5"}
    r = read_turn("patch_level", text, "inform", 0.7, ents, was)
    assert r.values["version"] == "9.1" and r.values["product"].lower() == "websphere mq"
    r = read_turn(
        "version", "RHEL 7.9", "inform", 1.0, _spans("RHEL 7.9", ("os", "RHEL 7.9", "RHEL 7.9")), {}
    )
    assert r.values == {"os": "RHEL 7.9", "version": None}
    text = "版本不对，MQ版本是9.1"
    ents = _spans(text, ("product", "MQ", "MQ"), ("version", "9.1", "9.1"))
    mq = {**SUMMARY, "product": "WebSphere MQ", "version": "RHEL 7.9"}
    r = read_turn("case_confirmed", text, "inform", 0.7, ents, mq)
    assert r.values == {"version": "9.1"}
