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
