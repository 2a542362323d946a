"""The last answer, said again on "再说一遍"."""

from bot.services.repeat import last_answer

BUTTONS = [{"title": "查询合同", "payload": "/check_contract"}]


def _user(text: str) -> dict:
    return {"event": "user", "text": text}


def _bot(text: str, **data) -> dict:
    return {"event": "bot", "text": text, "data": data}


def test_the_last_turn_is_said_again_with_its_buttons():
    events = [
        {"event": "session_started"},
        _user("你好"),
        _bot("您好！"),
        _user("8800001"),
        _bot("收到您的客户号。"),
        {"event": "action", "name": "action_listen"},
        _bot("请问是要查询合同状态，还是报修故障？", buttons=BUTTONS),
        _user("再说一遍"),
    ]
    assert last_answer(events) == [
        {"text": "收到您的客户号。"},
        {"text": "请问是要查询合同状态，还是报修故障？", "buttons": BUTTONS},
    ]


def test_a_turn_without_an_answer_is_skipped():
    """During a handoff Rasa answers nothing; the last thing the bot said is repeated."""
    events = [_user("DB2热线"), _bot("DB2 热线：800-810-1818-5200"), _user("喂"), _user("再说一遍")]
    assert last_answer(events) == [{"text": "DB2 热线：800-810-1818-5200"}]


def test_nothing_before_the_session_or_the_first_message():
    assert last_answer([_user("再说一遍")]) == []
    old = [_user("DB2热线"), _bot("800-810-1818-5200"), {"event": "session_started"}]
    assert last_answer([*old, _user("再说一遍")]) == []


def test_a_custom_payload_is_sent_as_it_was():
    events = [_user("x"), _bot("", custom={"menu": 1}), _user("再说一遍")]
    assert last_answer(events) == [{"json_message": {"menu": 1}}]
