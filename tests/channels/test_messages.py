"""Splitting a long message for a channel's size limit."""

from __future__ import annotations

from bot.channels.messages import split_text


def test_a_long_message_is_cut_at_a_sentence_end_when_no_line_break_is_near():
    """An agent's long reply was cut inside a sentence (a thirteenth blind tester)."""
    text = "第一句说明问题的原因。" * 3 + "第二句说明要做的事情，请按步骤操作"
    parts = split_text(text, 40)
    assert "".join(parts) == text and all(len(p) <= 40 for p in parts)
    assert parts[0].endswith("。")
    # A line break near the cut still wins, and is dropped.
    assert split_text("甲" * 30 + "\n" + "乙" * 30, 40) == ["甲" * 30, "乙" * 30]
    # Without either, the cut is at the limit.
    assert split_text("丙" * 50, 40) == ["丙" * 40, "丙" * 10]
