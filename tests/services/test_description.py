"""A long answer fills every field it speaks of; an opening request describes nothing."""

from bot.services.description import describes_fault, is_long_answer, read_details

LONG = (
    "版本11.5.8，补丁FP7，跑在AIX 7.2上，HADR主备，每天凌晨备份时出现，"
    "备份作业失败并且整个实例挂起，报SQL2062N"
)


def test_long_answer_fills_each_field_from_its_clause():
    assert is_long_answer(LONG)
    details = read_details(LONG)
    assert details["patch_level"] == "FP7"
    assert details["configuration"] == "HADR主备"
    assert details["frequency"] == "每天凌晨备份时出现"
    assert details["trigger_action"] == "每天凌晨备份时出现"
    assert details["symptoms"] == "备份作业失败并且整个实例挂起"


def test_short_answers_are_one_answer():
    assert not is_long_answer("单实例，没有做HA")
    assert not is_long_answer("FP7")


def test_opening_requests_describe_no_fault():
    for text in ("我想报个修", "想报个修", "我要报修", "报修", "WebSphere 出问题了，想报修"):
        assert not describes_fault(text), text
    for text in ("生产库DB2 11.5.8 在AIX 7.2上起不来，报SQL1042C，急！", "db2 数据库连不上"):
        assert describes_fault(text), text


def test_an_informix_fix_pack_is_the_patch_level():
    """An eighth blind tester's "14.10.FC9" and "頭先講咗啦，FC9" (the patch asked again)."""
    from bot.services.description import patch_level

    assert patch_level("14.10.FC9，喺Linux度跑") == "FC9"
    assert patch_level("頭先講咗啦，FC9") == "FC9"
    assert patch_level("12.10.FC14W1") == "FC14W1"


def test_the_faults_own_sentence_is_no_configuration_or_frequency():
    """A thirteenth blind tester's opening "WAS 9.0.5 集群所有节点宕机" was filed as 配置
    (the configuration question was skipped) and "…偶尔失败" as the whole frequency."""
    details = read_details("WAS 9.0.5 集群所有节点宕机")
    assert "configuration" not in details and details["symptoms"] == "WAS 9.0.5 集群所有节点宕机"
    details = read_details("Cognos Analytics 11.2.4 报表导出 PDF 偶尔失败")
    assert details["frequency"] == "偶尔"
    # A set-up clause beside the fault is still the configuration.
    assert read_details("两节点集群，所有节点宕机")["configuration"] == "两节点集群"
