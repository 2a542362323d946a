"""One home for what customers read: replies.yml for the code, domain.yml for Rasa.

Keys are found with an AST walk over every module of ``bot/`` and ``actions/``, so
a key rendered from any file counts, and a key the walk cannot read fails the test
rather than slipping through.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from bot.replies import REPLIES_PATH, render

ROOT = Path(__file__).resolve().parents[1]
CODE_DIRS = ("bot", "actions")
# Where no customer sentence may be a literal (bot/ modules like the CLI talk to staff).
NO_LITERAL_DIRS = ("actions", "bot/services")
# Chinese words (ideographs); full-width punctuation alone is not a sentence.
CJK = re.compile(r"[\u3400-\u9fff]")
FAQ = "utter_faq/"


def modules(*dirs: str) -> list[Path]:
    return sorted(p for d in dirs for p in (ROOT / d).rglob("*.py"))


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"


Names = dict[str, list[str]]


def string_options(node: ast.expr, names: Names) -> list[str] | None:
    """The strings an expression can be: a constant, a conditional of constants, or a
    local name only ever assigned such expressions in its module."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = string_options(node.body, names), string_options(node.orelse, names)
        if body is not None and orelse is not None:
            return body + orelse
    if isinstance(node, ast.Name) and node.id in names:
        return names[node.id]
    if isinstance(node, ast.JoinedStr) and node.values:
        # f"utter_faq/{topic}" (actions.faq): the ResponseSelector's family, by topic.
        head = node.values[0]
        if isinstance(head, ast.Constant) and head.value == FAQ:
            return [FAQ]
    return None


def string_names(tree: ast.Module) -> Names:
    """Names whose every assignment in the module is a string (or a choice of strings)."""
    names: Names = {}
    unresolved: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    options = string_options(node.value, {})
                    if options is None:
                        unresolved.add(target.id)
                    else:
                        names.setdefault(target.id, []).extend(options)
    return {k: v for k, v in names.items() if k not in unresolved}


def is_render(call: ast.Call) -> bool:
    func = call.func
    names = ("render", "template")  # template(key): the raw sentence, filled later
    return (isinstance(func, ast.Name) and func.id in names) or (
        isinstance(func, ast.Attribute) and func.attr in names
    )


def calls() -> Iterator[tuple[Path, ast.Call, Names]]:
    for path in modules(*CODE_DIRS):
        tree = parse(path)
        names = string_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                yield path, node, names


def keys_at(pick: Callable[[ast.Call], ast.expr | None], what: str) -> dict[str, str]:
    """Every string ``pick`` finds in a call of the code → where it is first used."""
    keys: dict[str, str] = {}
    unreadable = []
    for path, call, names in calls():
        expr = pick(call)
        if expr is None:
            continue
        options = string_options(expr, names)
        if options is None:
            unreadable.append(where(path, call))
            continue
        for key in options:
            keys.setdefault(key, where(path, call))
    assert not unreadable, f"{what} the test cannot read: {unreadable}"
    return keys


def render_key(call: ast.Call) -> ast.expr | None:
    return call.args[0] if is_render(call) and call.args else None


def response_name(call: ast.Call) -> ast.expr | None:
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "utter_message"):
        return None
    return next((kw.value for kw in call.keywords if kw.arg == "response"), None)


def rendered_keys() -> dict[str, str]:
    """Every ``render(key, …)`` key in the code."""
    return keys_at(render_key, "render() keys")


def response_keys() -> dict[str, str]:
    """Every ``utter_message(response=…)`` name in the code."""
    return keys_at(response_name, "response= names")


def load_yaml(relative: str) -> dict:
    return yaml.safe_load((ROOT / relative).read_text(encoding="utf-8")) or {}


@pytest.fixture(scope="module")
def replies() -> dict[str, str]:
    return yaml.safe_load(REPLIES_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def domain() -> dict:
    return load_yaml("domain.yml")


def test_the_walk_finds_keys() -> None:
    # Guards the tests below against a walk that silently finds nothing.
    assert {"hotline_line", "case_opened", "channel_welcome"} <= set(rendered_keys())
    assert "utter_store_unavailable" in response_keys()


def test_every_rendered_key_is_in_replies(replies: dict[str, str]) -> None:
    missing = {k: at for k, at in rendered_keys().items() if k not in replies}
    assert not missing, f"render() keys missing from replies.yml: {missing}"


def string_constants() -> set[str]:
    """Every string constant in the code (a key may travel to render() in a variable)."""
    return {
        node.value
        for path in modules("bot", "actions")
        for node in ast.walk(parse(path))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def test_every_reply_is_rendered_somewhere(replies: dict[str, str]) -> None:
    unused = sorted(set(replies) - set(rendered_keys()) - string_constants())
    assert not unused, f"replies.yml keys no code renders or names: {unused}"


def test_every_response_named_in_code_is_in_the_domain(domain: dict) -> None:
    family = any(name.startswith(FAQ) for name in domain["responses"])
    missing = {
        k: at
        for k, at in response_keys().items()
        if k not in domain["responses"] and not (k == FAQ and family)
    }
    assert not missing, f"response= names missing from domain.yml: {missing}"


def test_no_sentence_has_two_homes(replies: dict[str, str], domain: dict) -> None:
    # Code renders replies, Rasa utters domain responses: never the same sentence twice.
    uttered = {
        variant["text"].strip()
        for variants in domain["responses"].values()
        for variant in variants
        if "text" in variant
    }
    both = sorted(k for k, text in replies.items() if text.strip() in uttered)
    assert not both, f"replies.yml keys whose text is also a domain response: {both}"


def rasa_uttered(domain: dict) -> set[str]:
    """Responses Rasa utters itself: rules / stories, form questions, its fallback."""
    named: set[str] = set()
    for relative in ("data/rules.yml", "data/stories.yml"):
        data = load_yaml(relative)
        for flow in data.get("rules", []) + data.get("stories", []):
            named.update(step["action"] for step in flow.get("steps", []) if "action" in step)
    for form in domain.get("forms", {}).values():
        named.update(f"utter_ask_{slot}" for slot in form.get("required_slots", []))
    named.add("utter_restart")  # what Rasa's action_restart says ("/restart")
    policies = load_yaml("config.yml").get("policies", [])
    if any(p.get("core_fallback_action_name") == "action_default_fallback" for p in policies):
        named.add("utter_default")  # what Rasa's action_default_fallback says
    return named


def faq_intents() -> set[str]:
    """FAQ topics the ResponseSelector learns, and those a PhraseIntent rule answers."""
    learnt = {
        block["intent"]
        for block in load_yaml("data/nlu.yml").get("nlu", [])
        if str(block.get("intent", "")).startswith("faq/")
    }
    ruled = {
        str(c.get("intent"))
        for c in load_yaml("config.yml")["pipeline"]
        if c["name"].endswith("PhraseIntent") and str(c.get("intent", "")).startswith("faq/")
    }
    return learnt | ruled


def test_every_domain_response_is_used(domain: dict) -> None:
    used = rasa_uttered(domain) | set(response_keys())
    faq_used = FAQ.rstrip("/") in used or FAQ in used
    unused = []
    for name in domain["responses"]:
        if name.startswith(FAQ):
            # The ResponseSelector answers faq/<topic> with utter_faq/<topic>.
            if not (faq_used and name.removeprefix("utter_") in faq_intents()):
                unused.append(name)
        elif name not in used:
            unused.append(name)
    assert not unused, f"domain responses nothing utters: {unused}"


def docstring_nodes(tree: ast.Module) -> set[int]:
    nodes = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                nodes.add(id(body[0].value))
    return nodes


def cjk_literals(source: str) -> list[tuple[int, str]]:
    """``(line, value)`` of string constants with CJK characters, docstrings excluded."""
    tree = ast.parse(source)
    docs = docstring_nodes(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docs
        and CJK.search(node.value)
    ]


def test_the_literal_scan_sees_literals_not_docstrings() -> None:
    source = '"""模块说明。"""\n# 注释\nX = f"共 {1} 条"\n\n\ndef f():\n    """说明。"""\n    return "好的"\n'
    assert cjk_literals(source) == [(3, "共 "), (3, " 条"), (8, "好的")]


@pytest.mark.parametrize("path", modules(*NO_LITERAL_DIRS), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_customer_sentence_is_a_literal(path: Path) -> None:
    found = cjk_literals(path.read_text(encoding="utf-8"))
    listing = "\n".join(f"{path.relative_to(ROOT)}:{line} {value!r}" for line, value in found)
    assert not found, "move these to bot/data/replies.yml:\n" + listing


def test_channel_texts_come_from_the_replies() -> None:
    from bot.channels.messages import load_texts

    texts = load_texts()
    assert texts.welcome == render("channel_welcome")
    assert texts.please_type == render("channel_please_type")
    assert texts.voice_unrecognised == render("channel_voice_unrecognised")
    assert texts.welcome_text().splitlines()[1:] == [
        render("channel_menu_item", label=item.label) for item in texts.menu.values()
    ]


def test_no_reply_key_is_written_twice() -> None:
    """YAML keeps the last of two equal keys: the first text would silently never show."""
    keys = re.findall(r"^([a-z0-9_]+):", REPLIES_PATH.read_text(encoding="utf-8"), re.M)
    twice = sorted({k for k in keys if keys.count(k) > 1})
    assert not twice, f"replies.yml keys written twice: {twice}"
