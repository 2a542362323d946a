"""action_handoff against a real database: queue and mute, or hotline and callback offer."""

from __future__ import annotations

from actions.handoff import ActionHandoff
from bot.store.handoffs import HandoffRepository
from bot.store.staff import StaffRepository
from tests.actions.helpers import DOMAIN, texts, tracker


async def _run(t):  # type: ignore[no-untyped-def]
    from rasa_sdk.executor import CollectingDispatcher

    d = CollectingDispatcher()
    events = await ActionHandoff().run(d, t, DOMAIN)
    return d, events


async def test_nobody_available_hotline_and_callback_offer(services, db):  # type: ignore[no-untyped-def]
    d, events = await _run(tracker("转人工", "human_handoff", slots={"severity": "1"}))
    assert events == []  # the bot keeps answering
    assert "800-810-1818" in texts(d) and "留言" in texts(d) and "7×24" in texts(d)
    assert await HandoffRepository(db).list() == []


async def test_available_agent_queues_and_pauses(services, db):  # type: ignore[no-untyped-def]
    staff = StaffRepository(db)
    await staff.add("alice", "agent", "hash")
    await staff.set_available("alice", True)
    slots = {"product": "DB2", "phone": "13800000001", "last_case_id": "PMR-261126-0001"}
    d, events = await _run(tracker("转人工", "human_handoff", slots=slots, sender="s1"))
    assert events == [{"event": "pause", "timestamp": None}]
    assert "第 1 位" in texts(d) and "取消" in texts(d)
    queued = await HandoffRepository(db).list(status="waiting")
    assert [(h.conversation_id, h.product, h.case_id) for h in queued] == [
        ("s1", "DB2", "PMR-261126-0001")
    ]
    assert queued[0].context["identity_verified"] is True
    d, events = await _run(tracker("人工", "human_handoff", slots=slots, sender="s1"))
    assert "第 1 位" in texts(d) and events == [{"event": "pause", "timestamp": None}]
    assert len(await HandoffRepository(db).list()) == 1


async def test_nobody_available_and_a_number_given_is_a_callback(services, db):  # type: ignore[no-untyped-def]
    """A seventh blind tester's "能不能让工程师直接打给我，我电话139…" was asked to send the
    number again as "留言 + 手机号"."""
    text = "能不能让工程师直接打给我，我电话13911112222"
    ents = [{"entity": "phone", "value": "13911112222"}]
    d, events = await _run(tracker(text, "human_handoff", entities=ents, sender="cb1"))
    assert events == []
    assert "800-810-1818" in texts(d) and "13911112222" in texts(d)
    saved = await HandoffRepository(db).list(status="callback")
    assert [(h.conversation_id, h.callback_phone) for h in saved] == [("cb1", "13911112222")]
    # The customer's words go with the callback, for the engineer who calls back.
    assert saved[0].context["request"] == text


async def test_an_outage_asked_for_a_person_is_severity_1_with_its_words(services, db):  # type: ignore[no-untyped-def]
    """An eleventh blind tester's "生产数据库宕机了…赶紧转人工" queued with no severity and
    nothing of what they wrote, behind two idle requests."""
    staff = StaffRepository(db)
    await staff.add("alice", "agent", "hash")
    await staff.set_available("alice", True)
    await _run(tracker("转人工", "human_handoff", sender="idle"))
    text = "生产数据库宕机了，所有用户都连不上！！！赶紧转人工"
    d, _ = await _run(tracker(text, "human_handoff", sender="outage"))
    assert "第 1 位" in texts(d)
    queued = await HandoffRepository(db).list(status="waiting")
    assert [(h.conversation_id, h.severity) for h in queued] == [("outage", 1), ("idle", None)]
    assert queued[0].context["request"] == text


async def test_a_report_waits_kept_while_a_person_is_asked_for(services, db):  # type: ignore[no-untyped-def]
    """After the agent closed, an eleventh blind tester's survey score "5" was stored as
    the operating system: the report had gone on under the queue."""
    staff = StaffRepository(db)
    await staff.add("alice", "agent", "hash")
    await staff.set_available("alice", True)
    slots = {"product": "DB2", "contact_name": "张演示", "requested_slot": "os"}
    t = tracker("转人工", "human_handoff", slots=slots, sender="mid", active_loop="outage_form")
    _, events = await _run(t)
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    assert {"event": "slot", "name": "requested_slot", "value": None, "timestamp": None} in events
    assert not any(e.get("name") == "contact_name" for e in events)  # the answers stay


async def test_a_customer_with_an_open_severity_1_case_goes_first(services, db):  # type: ignore[no-untyped-def]
    """A thirteenth blind tester's "转人工" with an open severity-1 case waited behind an
    idle request."""
    from tests.services.test_cases import FIELDS

    staff = StaffRepository(db)
    await staff.add("alice", "agent", "hash")
    await staff.set_available("alice", True)
    await _run(tracker("转人工", "human_handoff", sender="idle2"))
    case, _ = await services.cases.open(FIELDS, 1, "rest", "owner1", "handoff-sev1")
    slots = {"last_case_id": case.case_id}
    d, _ = await _run(tracker("转人工", "human_handoff", slots=slots, sender="owner1"))
    assert "第 1 位" in texts(d)
    queued = await HandoffRepository(db).list(status="waiting")
    assert [(h.conversation_id, h.severity) for h in queued] == [("owner1", 1), ("idle2", None)]


async def test_asking_when_someone_calls_about_the_case_just_opened_is_its_status(services, db):  # type: ignore[no-untyped-def]
    """ "那多久有人打电话给我" after the case opened got the no-agent callback offer (a
    fifteenth blind tester); it is the case's status, with by when."""
    slots = {"last_case_id": "PMR-261208-4634"}
    d, events = await _run(tracker("那多久有人打电话给我", "human_handoff", slots=slots))
    assert not d.messages and events[-1] == {
        "event": "followup",
        "name": "case_form",
        "timestamp": None,
    }
    assert await HandoffRepository(db).list() == []
    d, _ = await _run(tracker("转人工", "human_handoff", slots=slots))
    assert "留言" in texts(d)


async def test_what_follows_a_callback_request_reaches_it(services, db):  # type: ignore[no-untyped-def]
    """A sixteenth blind tester left "留言 13912345678"; then his name and product were
    "not understood", "什么时候回我" was off-topic and "算了 电话改成13912345679" got "收到",
    the old number kept."""
    from rasa_sdk.executor import CollectingDispatcher

    from actions.hotline import ActionFallback
    from actions.routing import ActionOutOfScope, ActionRouteInform

    text = "能不能让工程师直接打给我，我电话13912345678"
    ents = [{"entity": "phone", "value": "13912345678"}]
    await _run(tracker(text, "human_handoff", entities=ents, sender="cb2"))
    repo = HandoffRepository(db)

    async def say(action, text, intent, **kw):  # type: ignore[no-untyped-def]
        d = CollectingDispatcher()
        await action.run(d, tracker(text, intent, sender="cb2", **kw), DOMAIN)
        return texts(d)

    said = await say(ActionFallback(), "我叫李雷，是informix的问题，麻烦早点回", "nlu_fallback")
    assert "补充到回电请求" in said and "13912345678" in said
    asked = await say(ActionOutOfScope(), "什么时候回我", "out_of_scope")
    assert "13912345678" in asked and ("工作时间" in asked or "下一个工作日" in asked)
    new = [{"entity": "phone", "value": "13912345679"}]
    changed = await say(ActionRouteInform(), "算了 电话改成13912345679", "inform", entities=new)
    assert "13912345679" in changed
    (callback,) = await repo.list(status="callback")
    assert callback.callback_phone == "13912345679"
    notes = [m.text for m in await repo.messages(callback.id)]
    assert notes == ["我叫李雷，是informix的问题，麻烦早点回", "算了 电话改成13912345679"]
    # Read back (a seventeenth blind tester's got the product menu).
    from actions.hotline import ActionFindHotline

    back = await say(ActionFindHotline(), "我刚才留的号码是多少", "find_hotline")
    assert "13912345679" in back and "2 条" in back
    # Inside a form its question comes first; another conversation has no callback.
    inside = await say(
        ActionOutOfScope(), "什么时候回我", "out_of_scope", active_loop="outage_form"
    )
    assert "13912345678" not in inside and "回电" not in inside
    d = CollectingDispatcher()
    await ActionOutOfScope().run(d, tracker("什么时候回我", "out_of_scope", sender="x9"), DOMAIN)
    assert "回电" not in texts(d)
