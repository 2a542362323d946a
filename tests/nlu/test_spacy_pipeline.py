"""The spaCy pipeline's segmentation and rule entities (normalised input)."""

import pytest

from bot.nlu.spacy_pipeline import build_pipeline, entities
from bot.nlu.vocabulary import default_vocabulary
from bot.textnorm import SpacingFixer, normalise

NLP = build_pipeline()
FIXER = SpacingFixer(default_vocabulary().product_terms())


def ents(text):
    return entities(NLP, normalise(text, FIXER).text.lower())


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "生产库DB2 11.5.8 在AIX 7.2上起不来，报SQL1042C，急！",
            [
                ("product", "db2"),
                ("version", "11.5.8"),
                ("os", "aix 7.2"),
                ("error_code", "sql1042c"),
            ],
        ),
        ("Web Sphere 的热线", [("product", "websphere")]),
        (
            "ＷＡＳ８.５ 报 WASX7017E",
            [("product", "was"), ("version", "8.5"), ("error_code", "wasx7017e")],
        ),
        ("電話021-61234567轉8023", [("phone", "021-61234567转8023")]),
        ("手机 139 1234 5678", [("phone", "139 1234 5678")]),
        # a landline read out in groups, with an extension
        ("座机0755-2633 8192-806", [("phone", "0755-2633 8192-806")]),
        ("推荐一款x86服务器", []),
        ("邮箱 Zhang.Wei@Example.com", [("email", "zhang.wei@example.com")]),
        (
            "客户号8800001，合同号：PPA-2025-0001",
            [("customer_number", "8800001"), ("contract_number", "ppa-2025-0001")],
        ),
        ("PMR-261126-0427 进展如何", [("case_id", "pmr-261126-0427")]),
        ("我在沈阳，Cognos电话多少", [("region", "沈阳"), ("product", "cognos")]),
        ("选一级吧", [("severity", "一级")]),
        ("Message Broker 消息堆积", [("product", "messagebroker")]),
        (
            "Windows Server 2012 R2 上的 Cognos 报 RSV-SRV-0066",
            [
                ("os", "windows server 2012 r2"),
                ("product", "cognos"),
                ("error_code", "rsv-srv-0066"),
            ],
        ),
        (
            "informix 12.10.FC14 报 -271",
            [("product", "informix"), ("version", "12.10.fc14"), ("error_code", "-271")],
        ),
        ("合同 CN-PPA-23-0456 还有效吗", [("contract_number", "cn-ppa-23-0456")]),
        ("8809921", [("customer_number", "8809921")]),
    ],
)
def test_rule_entities(text, expected):
    assert ents(text) == expected


def test_tokens_never_include_whitespace():
    doc = NLP("db2   热线  was")
    assert all(t.text.strip() for t in doc if not t.is_space)
