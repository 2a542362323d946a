"""Report charts draw Chinese legends with a CJK font whenever the machine has one."""

from __future__ import annotations

import pytest
from matplotlib import font_manager

from bot.desk.charts import CJK_FONT_FILES, CJK_FONTS, _font_family


def test_a_cjk_font_on_the_machine_is_used_even_when_matplotlib_never_indexed_it() -> None:
    files = [
        p
        for p in font_manager.findSystemFonts()
        if any(mark in p.rsplit("/", 1)[-1].lower() for mark in CJK_FONT_FILES)
    ]
    if not files:
        pytest.skip("no CJK font installed: the charts fall back to DejaVu Sans")
    family = _font_family()
    assert family[0] in CJK_FONTS, family  # not DejaVu Sans: 其他 would be boxes
    assert family[-1] == "DejaVu Sans"
