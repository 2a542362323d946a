"""CaseService on a real database: due times, access rules, 100 concurrent submissions."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.services.cases import Access, CaseService
from bot.store.cases import CaseRepository

FIELDS = {
    "contact_name": "张演示",
    "company": "演示",
    "phone": "13800000001",
    "contract_number": "PPA-DEMO-0001",
    "product": "DB2",
    "version": "11.5.8",
    "error_log": "SQL1042C",
}
THU_10 = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 in Shanghai
FRI_18 = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.timezone.utc)  # 18:00 in Shanghai


async def test_100_concurrent_submissions_make_100_distinct_cases(db):
    svc = CaseService(CaseRepository(db), clock=lambda: THU_10)

    async def submit(i: int):
        return await svc.open(FIELDS, 2, "rest", f"user-{i}", f"intake-{i}")

    results = await asyncio.gather(*(submit(i) for i in range(100)))
    ids = [case.case_id for case, created in results if created]
    assert len(ids) == 100 and len(set(ids)) == 100
    # a second, concurrent round of the same submissions creates nothing new
    again = await asyncio.gather(*(submit(i) for i in range(100)))
    assert not any(created for _, created in again)
    assert {c.case_id for c, _ in again} == set(ids)
    assert len(await CaseRepository(db).list()) == 100


async def test_due_time_follows_the_guide(db):
    svc = CaseService(CaseRepository(db), clock=lambda: FRI_18)
    sev2, _ = await svc.open(FIELDS, 2, "rest", "a", "i1")
    sev1, _ = await svc.open(FIELDS, 1, "rest", "b", "i2")
    assert svc.format_due(sev2.response_due_at) == "2026-11-30 10:30"  # Monday 8:30 + 2 h
    assert svc.format_due(sev1.response_due_at) == "2026-11-27 20:00"  # 7×24: + 2 h


async def test_lookup_owner_proof_and_unknown(db):
    svc = CaseService(CaseRepository(db), clock=lambda: THU_10)
    case, _ = await svc.open(FIELDS, 3, "wechat", "openid-1", "i1")
    assert (await svc.lookup(case.case_id.lower(), "wechat", "openid-1")).access is Access.GRANTED
    assert (await svc.lookup(case.case_id, "wechat", "someone")).access is Access.NEED_PROOF
    proof = await svc.lookup(case.case_id, "rest", "someone", "138 0000 0001")
    assert proof.access is Access.GRANTED
    assert (await svc.lookup("PMR-261126-9999", "wechat", "openid-1")).access is Access.NOT_FOUND
    # Open, its response time still ahead: when the engineer will call.
    assert "前与您联系" in svc.status_text(case)
    text = await svc.escalate(case, "还没解决")
    assert "第三阶段" in text
    status = svc.status_text((await svc.lookup(case.case_id, "wechat", "openid-1")).case)
    assert "已升级" in status and "升级" in status


async def test_a_level_no_higher_than_the_cases_is_noted_not_escalated(db):
    """Found by a blind tester: "把严重程度降到三级" moved the case to stage 3."""
    svc = CaseService(CaseRepository(db), clock=lambda: THU_10)
    case, _ = await svc.open(FIELDS, 2, "wechat", "openid-lvl", "i-lvl")
    text = await svc.escalate(case, "把严重程度降到三级", 3)
    assert "第三阶段" not in text and "严重程度三" in text
    text = await svc.escalate(case, "能不能提到二级", 2)
    assert "目前已是严重程度二" in text and "第三阶段" not in text
    found = (await svc.lookup(case.case_id, "wechat", "openid-lvl")).case
    assert found.status == "open"
    assert [e.note for e in found.events if e.kind == "info_added"] == [
        "把严重程度降到三级",
        "能不能提到二级",
    ]
    # A higher level is noted too (a later blind tester: no stage 3 for a level).
    text = await svc.escalate(found, "改成一级", 1)
    assert "第三阶段" not in text and "调整为严重程度一" in text


async def test_a_manager_an_undo_or_a_second_escalation_are_noted_not_escalated(db):
    """A ninth blind tester: "主管跟进" and "撤销第三阶段" changed the case's stage."""
    svc = CaseService(CaseRepository(db), clock=lambda: THU_10)
    case, _ = await svc.open(FIELDS, 1, "wechat", "openid-mgr", "i-mgr")
    text = await svc.escalate(case, "这个问题很急，能不能让你们主管亲自跟进一下")
    assert "第三阶段" not in text and "主管" in text
    assert "第三阶段" in await svc.escalate(case, "还是没解决，要求升级")
    escalated = (await svc.lookup(case.case_id, "wechat", "openid-mgr")).case
    assert escalated.status == "escalated"
    text = await svc.escalate(escalated, "都两天了还没解决，再升级")
    assert "已在第三阶段" in text
    assert "第三阶段" in await svc.add_info(escalated, "补充：db2diag 里有 ADM7519W")
    text = await svc.escalate(escalated, "刚才误升级了，请撤销第三阶段")
    assert "撤销升级" in text
    after = (await svc.lookup(case.case_id, "wechat", "openid-mgr")).case
    assert [e.kind for e in after.events].count("escalated") == 1
    assert after.status == "escalated"  # staff take it back from the desk


async def test_a_customer_closes_their_case_and_the_desk_sees_it(db):
    """A blind tester could not withdraw a case ("把单子撤了", "问题解决了 可以关单了")."""
    from bot.replies import render
    from bot.store.case_desk import CaseDeskRepository
    from bot.store.models import DESK_CLOSED

    desk = CaseDeskRepository(db)
    svc = CaseService(CaseRepository(db), clock=lambda: THU_10, desk=desk)
    case, _ = await svc.open(FIELDS, 3, "wechat", "openid-close", "i-close")
    text = await svc.close(case, "问题自己解决了，可以关单了")
    assert text == render("case_closed_by_customer", case_id=case.case_id, days=30)
    closed = (await svc.lookup(case.case_id, "wechat", "openid-close")).case
    assert closed is not None and closed.status == "closed"
    assert "已关闭" in svc.status_text(closed)
    assert (await desk.state(case.case_id)).desk_status == DESK_CLOSED
    notes = await desk.notes(case.case_id)
    assert [n.text for n in notes] == ["已关闭：客户要求关闭：问题自己解决了，可以关单了"]
    assert notes[0].staff is None  # the customer, not a member of staff
    # Closing it again changes nothing and says so.
    assert await svc.close(closed, "关单") == render("case_already_closed", case_id=case.case_id)
    assert len(await desk.notes(case.case_id)) == 1


def test_close_requests_are_told_from_questions_about_closing():
    from bot.services.cases import is_close_request

    for text in (
        "问题解决了 可以关单了",
        "把单子撤了",
        "please close my ticket",
        "呢個case可以關閉",
    ):
        assert is_close_request(text), text
    for text in ("为什么我的单子被关闭了", "先别关单", "单子进度怎么样", "", None):
        assert not is_close_request(text), text


async def test_chasing_a_complaint_and_a_closed_case_are_no_stage_3(db):
    """A blind tester's "催一下" minutes after opening went to stage 3; so did "升级处理"
    on a case they had just closed, which reopened it."""
    from bot.replies import render

    svc = CaseService(CaseRepository(db), clock=lambda: THU_10)
    case, _ = await svc.open(FIELDS, 2, "wechat", "openid-chase", "i-chase")
    due = svc.format_due(case.response_due_at)
    text = await svc.escalate(case, "帮我催一下")
    call = render("case_call_now", line="DB2 技术支持热线：800-810-1818-5200")
    assert text == render("case_chased", case_id=case.case_id, due=due, call=call)
    text = await svc.escalate(case, "你们响应太慢了，我要投诉")
    assert text == render("case_complaint_noted", case_id=case.case_id)
    found = (await svc.lookup(case.case_id, "wechat", "openid-chase")).case
    assert found is not None and found.status == "open"
    assert [e.kind for e in found.events] == ["opened", "info_added", "info_added"]
    # Asking for more resources is stage 3; so is chasing after the promised time.
    assert "第三阶段" in await svc.escalate(found, "催了也没用，还是没解决，要求升级")
    late = CaseService(CaseRepository(db), clock=lambda: THU_10 + dt.timedelta(hours=3))
    other, _ = await late.open(FIELDS, 2, "wechat", "openid-late", "i-late")
    later = CaseService(CaseRepository(db), clock=lambda: THU_10 + dt.timedelta(hours=6))
    assert "第三阶段" in await later.escalate(other, "催一下")
    # A closed case is neither escalated nor reopened.
    await svc.close(found, "问题解决了")
    closed = (await svc.lookup(case.case_id, "wechat", "openid-chase")).case
    assert closed is not None
    text = await svc.escalate(closed, "升级处理")
    assert text == render("case_already_closed", case_id=case.case_id)
    after = (await svc.lookup(case.case_id, "wechat", "openid-chase")).case
    assert after is not None and after.status == "closed"


async def test_an_announced_addition_asks_for_its_content(db):
    """A blind tester's "我要补充日志" was stored as the addition; the log after it was lost."""
    from bot.replies import render

    svc = CaseService(CaseRepository(db), clock=lambda: THU_10)
    case, _ = await svc.open(FIELDS, 2, "wechat", "openid-add", "i-add")
    for announced in ("我要补充日志", "我想补充点信息", "补充："):
        assert await svc.add_info(case, announced) == render("case_info_what", case_id=case.case_id)
    content = "补充：SystemErr.log 里有 java.lang.OutOfMemoryError"
    assert await svc.add_info(case, content) == render("case_info_added", case_id=case.case_id)
    found = (await svc.lookup(case.case_id, "wechat", "openid-add")).case
    assert found is not None
    assert [e.note for e in found.events if e.kind == "info_added"] == [content]


async def test_an_addition_to_a_closed_case_is_kept_and_says_it_is_closed(db):
    """A seventh blind tester's addition to a case closed a turn earlier was answered
    "the engineer will see it"; nobody works a closed case."""
    from bot.replies import render

    svc = CaseService(CaseRepository(db), clock=lambda: THU_10)
    case, _ = await svc.open(FIELDS, 2, "wechat", "openid-closed", "i-closed")
    await svc.close(case, "问题解决了")
    closed = (await svc.lookup(case.case_id, "wechat", "openid-closed")).case
    assert closed is not None and closed.status == "closed"
    note = "补充一下：重启前我们改过 SVCENAME 参数"
    text = await svc.add_info(closed, note)
    assert text == render("case_info_added_closed", case_id=case.case_id)
    after = (await svc.lookup(case.case_id, "wechat", "openid-closed")).case
    assert after is not None and after.status == "closed"
    assert note in [e.note for e in after.events if e.kind == "info_added"]


async def test_a_closed_case_is_reopened_when_the_problem_is_back(db):
    """ "PMR-… 的问题又出现了" on a closed case was told to report again from scratch;
    within the reopening window the case is worked again, with a new response time,
    and the desk sees it waiting (待受理) with the customer's words."""
    from bot.replies import render
    from bot.store.case_desk import NEW_DESK_STATUS, CaseDeskRepository

    desk = CaseDeskRepository(db)
    svc = CaseService(
        CaseRepository(db, lambda: THU_10), clock=lambda: THU_10, desk=desk, reopen_days=30
    )
    case, _ = await svc.open(FIELDS, 2, "wechat", "openid-reopen", "i-reopen")
    await svc.close(case, "问题解决了")
    closed = (await svc.lookup(case.case_id, "wechat", "openid-reopen")).case
    assert closed is not None and closed.status == "closed"
    assert "重新打开" in svc.status_text(closed)
    # "升级处理" alone just after closing does not reopen it: it says how to.
    assert await svc.escalate(closed, "升级处理") == render(
        "case_already_closed", case_id=case.case_id
    )
    week_later = FRI_18 + dt.timedelta(days=6)  # Thursday 18:00: due the next morning
    later = CaseService(
        CaseRepository(db, lambda: week_later), clock=lambda: week_later, desk=desk, reopen_days=30
    )
    text = await later.escalate(closed, "上周关掉的那个问题又出现了，SQL1042C")
    reopened = (await later.lookup(case.case_id, "wechat", "openid-reopen")).case
    assert reopened is not None and reopened.status == "open"
    assert reopened.response_due_at > week_later
    assert text == render(
        "case_reopened", case_id=case.case_id, due=later.format_due(reopened.response_due_at)
    )
    assert [e.kind for e in reopened.events][-2:] == ["closed", "reopened"]
    assert (await desk.state(case.case_id)).desk_status == NEW_DESK_STATUS
    assert (await desk.notes(case.case_id))[-1].text.startswith(
        "待受理：客户要求重新打开：上周关掉的"
    )
    # On an open case the same words are an addition, noted.
    again = await later.reopen(reopened, "重新打开一下")
    assert again == render("case_not_closed", case_id=case.case_id)
    # Closed longer ago than the window: reported again with its number.
    await later.close(reopened, "好了")
    gone = (await later.lookup(case.case_id, "wechat", "openid-reopen")).case
    assert gone is not None
    month_later = week_later + dt.timedelta(days=31)
    too_late = CaseService(
        CaseRepository(db, lambda: month_later), clock=lambda: month_later, reopen_days=30
    )
    text = await too_late.add_info(gone, "问题又出现了")
    assert text == render("case_too_old_to_reopen", case_id=case.case_id, days=30)
    assert (await too_late.lookup(case.case_id, "wechat", "openid-reopen")).case.status == "closed"


async def test_the_customer_hears_the_status_staff_set(db):
    """An eleventh blind tester was told "等待客户" by the desk and "处理中 … 工程师将在…前
    与您联系" by the bot in the same minute."""
    from bot.replies import render
    from bot.store.case_desk import CaseDeskRepository

    desk = CaseDeskRepository(db)
    svc = CaseService(CaseRepository(db), clock=lambda: THU_10, desk=desk)
    case, _ = await svc.open(FIELDS, 2, "wechat", "openid-desk", "i-desk")
    before = await svc.status_for_customer(case)
    assert "处理中" in before and "前与您联系" in before  # nobody has touched it yet
    await desk.change(case, None, kind="status", text="请上传日志", desk_status="等待客户")
    waiting = await svc.status_for_customer(case)
    assert "当前状态：等待客户" in waiting and "前与您联系" not in waiting
    assert waiting.endswith(render("case_staff_waiting", case_id=case.case_id))
    await desk.change(case, None, kind="status", text="已提供补丁", desk_status="已解决")
    solved = await svc.status_for_customer(case)
    assert "当前状态：已解决" in solved and "可以关单了" in solved


async def test_the_customers_answer_puts_a_waiting_case_back_to_staff(db):
    """A thirteenth blind tester's reply to a 等待客户 case left it 等待客户: nobody
    working the queue would look at it."""
    from bot.replies import render
    from bot.store.case_desk import NEW_DESK_STATUS, CaseDeskRepository

    desk = CaseDeskRepository(db)
    svc = CaseService(CaseRepository(db), clock=lambda: THU_10, desk=desk)
    case, _ = await svc.open(FIELDS, 3, "wechat", "openid-wait", "i-wait")
    await desk.change(case, None, kind="status", text="请上传日志", desk_status="等待客户")
    text = await svc.add_info(case, "补充：db2diag.log 里有 ADM7518C")
    assert text == render("case_info_added", case_id=case.case_id)
    assert (await desk.state(case.case_id)).desk_status == NEW_DESK_STATUS
    assert (await desk.notes(case.case_id))[
        -1
    ].text == "待受理：客户已回复：补充：db2diag.log 里有 ADM7518C"
    # A case staff are working stays as it is.
    await desk.change(case, None, kind="status", text="", desk_status="受理中")
    await svc.add_info(case, "补充：又出现了一次")
    assert (await desk.state(case.case_id)).desk_status == "受理中"


async def test_the_history_names_an_addition_once(db):
    """A thirteenth blind tester read "补充信息：补充信息：db2diag.log 里有 ADM7518C"."""
    svc = CaseService(CaseRepository(db), clock=lambda: THU_10)
    case, _ = await svc.open(FIELDS, 3, "wechat", "openid-add", "i-add")
    await svc.add_info(case, "补充信息：db2diag.log 里有 ADM7518C")
    found = (await svc.lookup(case.case_id, "wechat", "openid-add")).case
    assert found is not None
    text = svc.status_text(found)
    assert "补充信息：db2diag.log 里有 ADM7518C" in text and "补充信息：补充信息" not in text


async def test_chasing_at_night_names_the_line_and_its_hours(db):
    """A fourteenth blind tester's severity-2 case was told at night "如需立即通话，请拨打
    技术支持热线" with no number, though at night the line takes only severity 1."""
    svc = CaseService(CaseRepository(db), clock=lambda: FRI_18)
    case, _ = await svc.open(FIELDS, 2, "wechat", "openid-night", "i-night")
    text = await svc.escalate(case, "帮我催一下")
    assert "800-810-1818-5200" in text and "非工作时间电话只受理" in text
    urgent, _ = await svc.open(FIELDS, 1, "wechat", "openid-night1", "i-night1")
    text = await svc.escalate(urgent, "帮我催一下")
    assert "如需立即通话" in text and "800-810-1818-5200" in text


async def test_an_escalated_case_still_shows_its_promised_time(db):
    """After "升级" a fourteenth blind tester's status no longer said by when."""
    svc = CaseService(CaseRepository(db), clock=lambda: THU_10)
    case, _ = await svc.open(FIELDS, 2, "wechat", "openid-esc-due", "i-esc-due")
    await svc.escalate(case, "还是没解决，要求升级")
    escalated = (await svc.lookup(case.case_id, "wechat", "openid-esc-due")).case
    assert escalated is not None and escalated.status == "escalated"
    assert svc.format_due(case.response_due_at) in svc.status_text(escalated)


async def test_asking_when_is_the_status_not_stage_3(db):
    """ "when will the engineer call me?" escalated a fifteenth blind tester's case."""
    svc = CaseService(CaseRepository(db), clock=lambda: THU_10)
    case, _ = await svc.open(FIELDS, 2, "wechat", "openid-when", "i-when")
    text = await svc.escalate(case, "when will the engineer call me?")
    assert "第三阶段" not in text and svc.format_due(case.response_due_at) in text
    found = (await svc.lookup(case.case_id, "wechat", "openid-when")).case
    assert found is not None and found.status == "open"
    assert "第三阶段" in await svc.escalate(found, "什么时候能解决？要求升级处理")
