"""The domain in ``bot/`` is testable without Rasa: only its Rasa plug-ins import Rasa.

Allowed to import ``rasa`` / ``rasa_sdk``: ``bot/nlu/`` (the Rasa NLU components and
the spaCy pipeline), ``bot/rasa/`` (our adjustments to Rasa) and ``bot/channels/`` (the
Rasa input channels). Every other module of ``bot/`` is domain code.
"""

from __future__ import annotations

import ast
from pathlib import Path

from harness.model import ROOT

BOT = ROOT / "bot"
RASA_PACKAGES = {"rasa", "rasa_sdk"}
ALLOWED = ("nlu", "rasa", "channels")


def rasa_imports(source: str) -> list[str]:
    """The Rasa modules ``source`` imports, at any depth (lazy imports included)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [n for n in names if n.split(".")[0] in RASA_PACKAGES]
    return found


def domain_modules() -> list[Path]:
    return [
        path for path in sorted(BOT.rglob("*.py")) if path.relative_to(BOT).parts[0] not in ALLOWED
    ]


def test_no_domain_module_imports_rasa() -> None:
    offenders = {
        str(path.relative_to(ROOT)): imports
        for path in domain_modules()
        if (imports := rasa_imports(path.read_text("utf-8")))
    }
    assert offenders == {}


def test_the_check_sees_every_kind_of_rasa_import() -> None:
    source = (
        "import rasa\n"
        "import os, rasa_sdk.events\n"
        "from rasa.core.actions.action import RemoteAction\n"
        "from .rasa import plugin\n"  # relative: our own package, not Rasa
        "def later():\n"
        "    from rasa_sdk import Action\n"
    )
    assert rasa_imports(source) == [
        "rasa",
        "rasa_sdk.events",
        "rasa.core.actions.action",
        "rasa_sdk",
    ]


def test_the_domain_is_most_of_bot() -> None:
    # Guards against the walk silently finding nothing (a moved package, a wrong root).
    names = {str(p.relative_to(BOT)) for p in domain_modules()}
    assert {"catalogue.py", "services/cases.py", "store/cases.py"} <= names
    assert not any(n.startswith(("nlu/", "rasa/", "channels/")) for n in names)
