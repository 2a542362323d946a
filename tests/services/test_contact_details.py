"""Stage 1 in one message: the name and the company among the pieces."""

import pytest

from bot.services.contact_details import pieces_without_values, read_contact_details
from bot.services.intake import read_turn
from tests.services.entities import spans


@pytest.mark.parametrize(
    "text, found, name, company",
    [
        (
            "张演示，演示科技有限公司，13800000001，客户号8800001",
            [("phone", "13800000001"), ("customer_number", "8800001")],
            "张演示",
            "演示科技有限公司",
        ),
        (
            "姓名：王样例 公司：样例数据有限公司 合同号：PPA-DEMO-0003",
            [("contract_number", "PPA-DEMO-0003")],
            "王样例",
            "样例数据有限公司",
        ),
        (
            "我叫李示例，示例软件有限公司的，电话13800000002，客户号8800002",
            [("phone", "13800000002"), ("customer_number", "8800002")],
            "李示例",
            "示例软件有限公司",
        ),
        (
            "报障：王样例/样例数据有限公司/13800000003/8800003",
            [("phone", "13800000003"), ("customer_number", "8800003")],
            "王样例",
            "样例数据有限公司",
        ),
        (
            "招商银行信息技术部 陈晓 0755-88886666",
            [("phone", "0755-88886666")],
            "陈晓",
            "招商银行信息技术部",
        ),
    ],
)
def test_name_and_company_among_the_pieces(text, found, name, company):
    details, _ = read_contact_details(pieces_without_values(text, spans(text, *found)))
    assert details.get("contact_name") == name
    assert details.get("company") == company


@pytest.mark.parametrize(
    "text", ["我们db2挂了，要报障", "你好，在吗", "生产环境，数据库连不上", "急急急，服务器宕了"]
)
def test_requests_and_faults_are_no_names(text):
    details, _ = read_contact_details(pieces_without_values(text, []))
    assert "contact_name" not in details


def test_the_whole_stage_one_answers_the_name_question():
    text = "张演示，演示科技有限公司，13800000001，客户号8800001"
    ents = spans(text, ("phone", "13800000001"), ("customer_number", "8800001"))
    r = read_turn("contact_name", text, "inform", 0.9, ents, {})
    assert r.values == {
        "contact_name": "张演示",
        "company": "演示科技有限公司",
        "phone": "13800000001",
        "contract_number": "8800001",
    }


def test_a_first_message_with_the_details_is_not_the_fault_description():
    text = "报障：王样例/样例数据有限公司/13800000003/8800003"
    ents = spans(text, ("phone", "13800000003"), ("customer_number", "8800003"))
    r = read_turn(None, text, "report_outage", 0.9, ents, {})
    assert r.values["contact_name"] == "王样例" and r.values["company"] == "样例数据有限公司"
    assert "symptoms" not in r.values  # nothing is said about the fault yet


@pytest.mark.parametrize(
    "text, name, company, symptom",
    [
        (
            "您好，我是演示科技有限公司的张演示，DB2 生产库起不来了",
            "张演示",
            "演示科技有限公司",
            "DB2 生产库起不来了",
        ),
        ("本人系演示科技有限公司的张演示。我司WAS无法启动", "张演示", "演示科技有限公司", None),
        ("我叫王小明，在上海华信软件公司工作，MQ队列堵了", "王小明", "上海华信软件公司", None),
        ("我是中国银行上海分行的李四，Domino宕机了", "李四", "中国银行上海分行", None),
        ("你好，我是华信的陈工，Domino邮件发不出去", "陈工", "华信", "Domino邮件发不出去"),
        ("FileNet 起不来了，我系李演示，示例软件有限公司", "李演示", "示例软件有限公司", None),
    ],
)
def test_a_fault_report_that_introduces_the_customer(text, name, company, symptom):
    """A blind tester's formal openings: the name and company were asked again (or the
    whole sentence was stored as the company) and the introduction was the symptom."""
    r = read_turn(None, text, "report_outage", 0.9, [], {})
    assert r.values.get("contact_name") == name
    assert r.values.get("company") == company
    described = r.values.get("symptoms") or r.values.get("fault_opening")
    assert name not in described and company not in described
    if symptom:
        assert described == symptom


@pytest.mark.parametrize(
    "text",
    [
        "我是运维，数据库挂了",  # a job, not a name
        "我是生产环境的王总，DB2挂了",  # a place, not a company
        "我们公司的DB2挂了",
        "公司的数据库服务器宕机了，急",
        "DB2挂了，影响整个公司",
        "我是说DB2连不上",
    ],
)
def test_without_an_introduction_nothing_is_taken_for_a_name_or_company(text):
    r = read_turn(None, text, "report_outage", 0.9, [], {})
    assert "contact_name" not in r.values and "company" not in r.values


def test_an_introduction_answers_the_name_question():
    r = read_turn("contact_name", "我是演示科技有限公司的张演示", "inform", 0.9, [], {})
    assert r.values == {"contact_name": "张演示", "company": "演示科技有限公司"}


def test_a_formal_letter_gives_the_full_name_the_company_and_its_clauses():
    """An eighth blind tester's letter: the name was stored as "不胜感激", the company as
    the introducing sentence, and the configuration and frequency were asked again."""
    text = (
        "尊敬的IBM技术支持团队：您好！我是演示科技有限公司信息中心的王工（王建国），"
        "联系电话010-62345678转8021。我司生产环境WAS 9.0.2.5 ND集群两节点，"
        "每天大约三到四次出现应用无响应，恳请贵司安排工程师协助分析，不胜感激！"
    )
    r = read_turn(
        None, text, "report_outage", 0.9, spans(text, ("phone", "010-62345678转8021")), {}
    )
    assert r.values["contact_name"] == "王建国"
    assert r.values["company"] == "演示科技有限公司信息中心"
    assert r.values["configuration"] == "我司生产环境WAS 9.0.2.5 ND集群两节点"
    assert r.values["frequency"] == "每天大约三到四次"
    assert "王建国" not in r.values["symptoms"] and "8021" not in r.values["symptoms"]


@pytest.mark.parametrize(
    "requested, text, found, expected",
    [
        # An eighth blind tester: "John Smith" was refused, "Demo Tech HK Ltd" stored as
        # "Ltd", and "敝姓林，林志明" as the name "敝姓林".
        ("contact_name", "My name is John Smith", [], {"contact_name": "John Smith"}),
        ("company", "Demo Tech HK Ltd", [], {"company": "Demo Tech HK Ltd"}),
        (
            "contact_name",
            "John Smith, Demo Tech Ltd. Customer number 8800001. Phone 13800000001",
            [("customer_number", "8800001"), ("phone", "13800000001")],
            {
                "contact_name": "John Smith",
                "company": "Demo Tech Ltd",
                "contract_number": "8800001",
                "phone": "13800000001",
            },
        ),
        (
            "contact_name",
            "敝姓林，林志明，示例軟體有限公司",
            [],
            {"contact_name": "林志明", "company": "示例軟體有限公司"},
        ),
    ],
)
def test_english_and_formal_answers_at_the_name_question(requested, text, found, expected):
    r = read_turn(requested, text, "inform", 0.9, spans(text, *found), {"product": "DB2"})
    assert r.values == expected


def test_a_sentence_piece_is_no_name():
    text = "案例号没记，我电话13800000001，你自己查"
    details, _ = read_contact_details(
        pieces_without_values(text, spans(text, ("phone", "13800000001")))
    )
    assert "contact_name" not in details


def test_a_fifteenth_blind_testers_letters_give_the_contact_not_the_greeting():
    """ "敬啟者：…懇請貴公司協助處理。聯絡人：陳大文…" stored 敬啟者 and 懇請貴公司協助處理; "Our
    Cognos Analytics … I'm Mike Lee … company Acme Shanghai." stored the first."""
    text = "敬啟者：本公司之Informix資料庫伺服器發生異常。懇請貴公司協助處理。聯絡人：陳大文，電話：13800000004。順頌商祺"
    r = read_turn(None, text, "report_outage", 0.9, spans(text, ("phone", "13800000004")), {})
    assert r.values["contact_name"] == "陳大文" and "company" not in r.values
    text = (
        "Hi, I need to open a ticket. Our Cognos Analytics reports are failing. "
        "I'm Mike Lee, phone 13800000002, company Acme Shanghai."
    )
    r = read_turn(None, text, "report_outage", 0.9, spans(text, ("phone", "13800000002")), {})
    assert r.values["contact_name"] == "Mike Lee" and r.values["company"] == "Acme Shanghai"


def test_a_sixteenth_blind_testers_name_after_his_customer_number():
    """ "我是8800001的张演示": the piece with the number held the name, and both were lost."""
    text = "我是8800001的张演示，电话13800000001，Cognos报表打不开了要报修"
    found = spans(text, ("customer_number", "8800001"), ("phone", "13800000001"))
    pieces = pieces_without_values(text, found)
    assert "电话13800000001" not in pieces
    details, _ = read_contact_details(pieces, cued_only=True)
    assert details == {"contact_name": "张演示"}


def test_a_full_name_after_a_nickname_and_the_company_said_as_such():
    """A sixteenth blind tester's "运维小王，王小明，我们公司叫演示科技" was filed as 小王 of
    the bank he introduced himself from, and the rest went into the symptoms."""
    text = (
        "你好，我是上海某银行的运维小王，王小明，我们公司叫演示科技，客户号8800001，"
        "我手机13800000001。生产的WebSphere MQ 频繁断开"
    )
    found = spans(text, ("customer_number", "8800001"), ("phone", "13800000001"))
    r = read_turn(None, text, "report_outage", 0.9, found, {})
    assert r.values["contact_name"] == "王小明"
    assert r.values["company"] == "演示科技"
    described = r.values.get("symptoms") or r.values.get("fault_opening")
    assert "王小明" not in described and "演示科技" not in described
    # No cue, no company: "公司的DB2挂了" names none.
    assert read_contact_details(["公司的DB2挂了"])[0] == {}


def test_a_product_name_is_no_contact():
    """ "Cognos Analytics 11.1 报表服务起不来，客户号8800001，张演示" had the contact
    "Cognos Analytics" (a seventeenth blind tester)."""
    details, _ = read_contact_details(["Cognos Analytics 11.1 报表服务起不来", "张演示"])
    assert details.get("contact_name") == "张演示"
    assert read_contact_details(["John Smith"])[0] == {"contact_name": "John Smith"}


def test_our_product_after_a_company_word_is_no_company():
    """ "我哋公司個WebSphere Application Server 8.5.5 成日死機 … 演示科技有限公司": the
    company was "個WebSphere Application Server" (a seventeenth blind tester)."""
    text = "我哋公司個WebSphere Application Server 8.5.5 成日死機，我係張演示，演示科技有限公司，電話13800000001"
    found = spans(text, ("phone", "13800000001"))
    r = read_turn(None, text, "report_outage", 0.9, found, {})
    assert r.values["company"] == "演示科技有限公司"
