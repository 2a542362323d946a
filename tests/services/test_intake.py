"""What a customer message fills in the intake form."""

from bot.services.intake import NOT_PROVIDED, extract, name_problem, parse_text_correction

ENTS = [
    {"entity": "product", "value": "DB2"},
    {"entity": "version", "value": "11.5.8"},
    {"entity": "os", "value": "aix 7.2"},
    {"entity": "error_code", "value": "sql1042c"},
]


def test_first_report_fills_every_slot_it_mentions():
    r = extract(
        None, "生产库DB2 11.5.8 在AIX 7.2上起不来，报SQL1042C，急！", "report_outage", 0.9, ENTS, {}
    )
    assert r.values == {
        "product": "DB2",
        "version": "11.5.8",
        "os": "aix 7.2",
        "error_log": "sql1042c",
    }


def test_entities_do_not_overwrite_earlier_answers_without_a_correction_cue():
    current = {"version": "11.5.8"}
    r = extract(
        "trigger_action",
        "升级到 11.5.9 以后出现",
        "inform",
        0.9,
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
        0.9,
        [{"entity": "phone", "value": "13912345678"}],
        current,
    )
    assert r.values == {"phone": "13912345678"} and r.corrected == ["phone"]


def test_text_correction_without_entity():
    assert parse_text_correction("公司名写错了，应该是杭州示例科技有限公司") == (
        "company",
        "杭州示例科技有限公司",
    )
    assert parse_text_correction("随便说说") == (None, None)


def test_skip_words_accepted_for_optional_fields_only():
    assert extract("other_info", "没有", "inform", 0.9, [], {}).values == {
        "other_info": NOT_PROVIDED
    }
    assert extract("symptoms", "跳过", "inform", 0.9, [], {}).values == {"symptoms": "跳过"}


def test_faq_interrupts():
    r = extract("version", "补丁在哪下载", "faq", 0.95, [], {})
    assert r.interrupted and r.values == {}


def test_low_confidence_faq_is_an_answer():
    r = extract("repro_steps", "先停实例再启动就报错", "faq", 0.3, [], {})
    assert r.values == {"repro_steps": "先停实例再启动就报错"}


def test_names_companies_phones():
    assert extract("contact_name", "我叫王芳", "inform", 0.9, [], {}).values == {
        "contact_name": "王芳"
    }
    assert extract("company", "我们公司是某某银行", "inform", 0.9, [], {}).values == {
        "company": "某某银行"
    }
    assert extract("phone", "138 0000 1234", "inform", 0.9, [], {}).values == {
        "phone": "13800001234"
    }
    # an unusable answer still goes to the validator, which says what is wrong
    assert extract("phone", "不告诉你", "inform", 0.9, [], {}).values == {"phone": "不告诉你"}


def test_a_bare_value_answers_the_question_asked():
    ents = [{"entity": "customer_number", "value": "12345"}]
    assert extract("phone", "12345", "inform", 0.9, ents, {}).values == {"phone": "12345"}
    ents = [{"entity": "version", "value": "FP7"}]
    assert extract("patch_level", "FP7", "inform", 0.9, ents, {}).values == {"patch_level": "FP7"}


def test_acceptance_words_confirm_a_suggestion():
    current = {"suggested_severity": "2"}
    for word in ("好", "可以", "确认", "OK"):
        assert extract("severity", word, "inform", 0.4, [], current).values == {"severity": "2"}


def test_long_error_log_is_kept_whole():
    log = "SQL1042C An unexpected system error occurred.\n" * 600
    assert extract("error_log", log, "inform", 0.9, [], {}).values["error_log"] == log


def test_severity_answers():
    assert extract("severity", "2", "inform", 0.9, [], {}).values == {"severity": "2"}
    assert extract("severity", "好", "affirm", 0.9, [], {"suggested_severity": "1"}).values == {
        "severity": "1"
    }


def test_name_problems():
    assert name_problem("王芳") is None
    assert name_problem("13912345678") and name_problem("x" * 30)
