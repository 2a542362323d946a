"""Corrections, yes, cancel and "继续" as customers write them."""

import pytest

from bot.services.corrections import (
    has_correction_cue,
    is_acceptance,
    is_cancel,
    is_resume,
    parse_correction,
    parse_corrections,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("等一下，严重程度改成二级吧", ("severity", "2")),
        ("严重程度改为3", ("severity", "3")),
        ("不对，是2级", ("severity", "2")),
        ("电话写错了，是13912345678", ("phone", "13912345678")),
        ("不对，电话是010-62345678", ("phone", "010-62345678")),
        ("电话错了，13900000000", ("phone", "13900000000")),
        ("名字改成李明", ("contact_name", "李明")),
        ("公司名应该是北方示例科技有限公司", ("company", "北方示例科技有限公司")),
        ("产品应该是 Informix", ("product", "Informix")),
        ("不是DB2，是Informix", ("product", "Informix")),
        ("版本改成11.5.9", ("version", "11.5.9")),
        ("不对，应该是11.5.9", ("version", "11.5.9")),
        ("补丁改为FP8", ("patch_level", "FP8")),
        ("操作系统改成 RHEL 8", ("os", "RHEL 8")),
        ("错误现象改为查询时连接被断开", ("symptoms", "查询时连接被断开")),
        ("频率改成偶发", ("frequency", "偶发")),
        # A blind tester's summary answers: a remark after the level, 改回 as the cue.
        ("严重程度改成三吧，测试环境不急", ("severity", "3")),
        ("还是改回二吧，其实没全停", ("severity", "2")),
        ("电话改成13900000001，原来的停机了", ("phone", "13900000001")),
    ],
)
def test_corrections_name_their_field_and_value(text, expected):
    assert has_correction_cue(text)
    assert parse_correction(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "执行查询时结果不对",
        "应用系统报错了，连接不上",
        "每次启动都报错了",
        "随便说说",
        "内存调到8G后就挂了",
    ],
)
def test_fault_descriptions_are_not_corrections(text):
    assert parse_correction(text) == (None, None)


@pytest.mark.parametrize(
    "text",
    [
        "好",
        "好的，就按你建议的",
        "可以",
        "行",
        "就这样",
        "按你说的",
        "按建议的来",
        "没问题",
        "对",
        "OK",
    ],
)
def test_acceptance_in_many_words(text):
    assert is_acceptance(text, "inform")


@pytest.mark.parametrize("text", ["不好", "不行", "不对，是2", "等一下", "二级", "不同意"])
def test_not_acceptance(text):
    assert not is_acceptance(text, "inform")


@pytest.mark.parametrize(
    "text",
    ["算了", "不用了", "先不报了", "不弄了", "取消", "算了，不报了", "我不报了", "那就算了吧"],
)
def test_cancel_words_whatever_the_intent(text):
    assert is_cancel(text, "deny", 0.9)


def test_cancel_needs_the_word_first_or_a_confident_intent():
    assert not is_cancel("备份任务被取消了", "inform", 0.9)
    assert not is_cancel("嗯", "cancel", 0.3)
    assert is_cancel("停下吧", "cancel", 0.9)


def test_resume_words():
    assert is_resume("继续") and is_resume("不取消，接着填")
    assert not is_resume("确认取消")


@pytest.mark.parametrize(
    ("text", "unknown"),
    [
        ("没有", True),
        ("不知道客户号", True),
        ("忘了", True),
        ("no idea", True),
        ("8800001", False),  # a value, whatever words come with it
        ("没有，是13800000001", False),
        ("zhang.wei@example.com", False),
        ("", False),
        ("PPA-DEMO-0001", False),
    ],
)
def test_is_unknown_answer(text, unknown):
    from bot.services.wording import is_unknown_answer

    assert is_unknown_answer(text) is unknown


@pytest.mark.parametrize(
    "text, expected",
    [
        # A ninth blind tester: "已更新" and nothing changed, or "其实是11.5.7" stored.
        ("哦不对，搞错了，出问题的其实是WAS，不是Informix", ("product", "WAS")),
        ("等一下，版本写错了，其实是11.5.7", ("version", "11.5.7")),
        (
            "错误现象不对，不是WebSphere，是DataStage夜间ETL作业跑一半就abort",
            ("symptoms", "DataStage夜间ETL作业跑一半就abort"),
        ),
    ],
)
def test_the_clause_naming_the_old_value_is_not_the_new_one(text, expected):
    assert parse_correction(text) == expected


def test_labelled_fields_at_the_summary_each_get_their_value():
    """A tenth blind tester's "已更新" changed only the first of three named fields."""
    text = "操作系统是RHEL 8.4，补丁级别CSU 5，错误日志是AMQ6125E和AMQ6184W"
    assert parse_corrections(text, labelled=True) == [
        ("os", "RHEL 8.4"),
        ("patch_level", "CSU 5"),
        ("error_log", "AMQ6125E和AMQ6184W"),
    ]
    assert parse_corrections("操作系統改做AIX 7.2，配置冇", labelled=True) == [
        ("os", "AIX 7.2"),
        ("configuration", "冇"),
    ]
    log = "錯誤日誌：-908 Attempt to connect to database server (ol_prod) failed."
    assert parse_corrections(log, labelled=True) == [("error_log", log[5:])]
    # A field word inside a clause labels nothing: "生产系统" is no operating system.
    assert parse_corrections("生产系统宕机，影响所有用户的日志", labelled=True) == []


def test_a_correction_in_cantonese():
    """ "公司名錯咗，係演示科技有限公司" was stored as "错咗，系演示科技有限公司" and went into
    a seventeenth blind tester's case."""
    assert parse_correction("公司名錯咗，係演示科技有限公司") == ("company", "演示科技有限公司")
    assert has_correction_cue("電話錯咗，係13800000001")
