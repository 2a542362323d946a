"""Reply templates from ``bot/data/replies.yml``: the Chinese text the services build."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

REPLIES_PATH = Path(__file__).with_name("data") / "replies.yml"


@functools.lru_cache(maxsize=1)
def _templates() -> dict[str, str]:
    with open(REPLIES_PATH, encoding="utf-8") as fh:
        return dict(yaml.safe_load(fh))


def render(key: str, **values: Any) -> str:
    """Fill template ``key``; a missing placeholder is a bug and raises ``KeyError``."""
    return _templates()[key].format(**values)


def template(key: str) -> str:
    """The unfilled template ``key``, for code that fills it later (``str.format``)."""
    return _templates()[key]
