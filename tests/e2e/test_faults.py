"""Faults with the real servers: action server down, Rasa server restarted mid-form.

This module stops and restarts servers, so it has a stack of its own rather than
the package's shared one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.servers import Stack
from tests.e2e.conftest import running_stack
from tests.e2e.test_conversations import case_rows, texts

pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Servers of this module's own, on their own database."""
    yield from running_stack(tmp_path_factory.mktemp("faults"), trained_model)


def test_action_server_down_then_back(stack):
    sender = "fault-actions"
    assert "姓名" in texts(stack.say(sender, "DB2 生产库宕机了，我要报修"))
    stack.stop("actions")
    try:
        reply = texts(stack.say(sender, "张三"))
        assert "系统繁忙" in reply and "800-810-1818-5200" in reply
    finally:
        stack.start_actions()
    # The conversation survived: the form is still there, takes the name and asks
    # the next question.
    assert "公司" in texts(stack.say(sender, "张三"))


def test_rasa_restart_mid_form_carries_on(stack):
    sender = "fault-restart"
    stack.say(sender, "我要报修，Informix 起不来")
    stack.say(sender, "李雷")
    assert "电话" in texts(stack.say(sender, "韩梅梅科技有限公司"))
    stack.stop("rasa")
    stack.start_rasa()
    # The tracker is in the SQL store: the form asks the next question, not the first.
    reply = texts(stack.say(sender, "13700000000"))
    assert "客户号" in reply and "姓名" not in reply


@pytest.mark.parametrize(
    "message",
    ["", "   ", "😀😀😀", "\x01\x02\x03", "报错" * 10000],
)
def test_garbage_in_gets_an_answer(stack, message):
    replies = stack.say(f"garbage-{len(message)}-{message[:1]!r}", message)
    assert texts(replies).strip(), f"no answer to {message[:20]!r}"


def test_no_case_is_written_by_garbage(stack):
    assert not [r for r in case_rows(stack.db_url) if r["sender_id"].startswith("garbage")]
