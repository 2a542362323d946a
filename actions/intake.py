"""report_outage: the intake form (stages 1 and 2), severity, confirmation, the case."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import channel_of, latest_intent, services
from bot.replies import render
from bot.services.cases import INTAKE_FIELDS_ALL
from bot.services.contracts import CaseContractCheck
from bot.services.hours import utc_now
from bot.services.intake import (
    company_problem,
    extract,
    is_acceptance,
    name_problem,
    with_original_text,
)
from bot.services.severity import suggest_severity
from bot.store import StoreUnavailable
from bot.validators import mask_phone, parse_phone

logger = logging.getLogger(__name__)
MAX_FAILURES = 3
FORM_SLOTS = (*INTAKE_FIELDS_ALL, "severity", "case_confirmed")


class ValidateOutageForm(FormValidationAction):
    """Reads every answer with :func:`bot.services.intake.extract`, then validates."""

    def name(self) -> str:
        return "validate_outage_form"

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        requested = tracker.get_slot("requested_slot")
        intent, confidence = latest_intent(tracker)
        text = tracker.latest_message.get("text") or ""
        current = {s: tracker.get_slot(s) for s in (*FORM_SLOTS, "suggested_severity")}
        events: list[dict[str, Any]] = []
        if not tracker.get_slot("intake_id"):
            events.append(SlotSet("intake_id", uuid.uuid4().hex))
            if requested is None and text and intent in ("report_outage", "inform"):
                # The first report is the customer's own description of the fault.
                events.append(SlotSet("symptoms", text))
        if requested == "case_confirmed":
            events += self._confirmation(dispatcher, tracker, intent, text)
            if any(e.get("name") == "case_confirmed" for e in events):
                return events
        entities = with_original_text(text, tracker.latest_message.get("entities", []))
        result = extract(requested, text, intent, confidence, entities, current)
        if result.corrected:
            dispatcher.utter_message(text="好的，已更新。")
        events += [SlotSet(k, v) for k, v in result.values.items()]
        return events

    @staticmethod
    def _confirmation(dispatcher, tracker, intent, text) -> list[dict[str, Any]]:
        if is_acceptance(text, intent):
            return [SlotSet("case_confirmed", "yes")]
        if intent == "deny":
            dispatcher.utter_message(
                text="请直接告诉我需要修改的内容，例如“电话改为 13900000000”“公司名应该是……”。"
            )
            return [SlotSet("case_confirmed", None)]
        return []

    async def _fail(self, dispatcher, tracker, slot: str, reason: str) -> dict[str, Any]:
        failures = int(tracker.get_slot("intake_failures") or 0) + 1
        if failures >= MAX_FAILURES:
            dispatcher.utter_message(response="utter_too_many_failures")
            dispatcher.utter_message(
                text=services().hotline.handoff_text(
                    tracker.get_slot("product"), tracker.get_slot("region"), utc_now()
                )
            )
            return {slot: None, "intake_failures": 0, "requested_slot": None}
        dispatcher.utter_message(text=reason)
        return {slot: None, "intake_failures": failures}

    async def validate_contact_name(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        problem = name_problem(str(value))
        if problem:
            return await self._fail(dispatcher, tracker, "contact_name", problem)
        return {"contact_name": str(value), "intake_failures": 0}

    async def validate_company(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        problem = company_problem(str(value))
        if problem:
            return await self._fail(dispatcher, tracker, "company", problem)
        return {"company": str(value), "intake_failures": 0}

    async def validate_phone(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        phone = parse_phone(value)
        if phone:
            return {"phone": phone, "intake_failures": 0}
        return await self._fail(
            dispatcher,
            tracker,
            "phone",
            "这个号码格式不对：请输入 11 位手机号，或带区号的座机号（如 010-82345678 转 123）。",
        )

    async def validate_contract_number(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        svc = services()
        try:
            result = await svc.contracts.check_for_case(
                str(value), tracker.get_slot("product"), svc.today()
            )
        except StoreUnavailable:
            dispatcher.utter_message(response="utter_store_unavailable")
            return {"contract_number": None, "requested_slot": None}
        contract = result.contract
        if result.outcome is CaseContractCheck.OK and contract:
            return {
                "contract_number": contract.contract_number,
                "customer_number": contract.customer_number,
                "intake_failures": 0,
            }
        if result.outcome is CaseContractCheck.EXPIRED and contract:
            dispatcher.utter_message(
                text=render(
                    "contract_expired",
                    end_date=contract.end_date.isoformat(),
                    renewal=svc.contracts.renewal_text(),
                )
            )
            return await self._fail(
                dispatcher,
                tracker,
                "contract_number",
                "请提供其他有效的客户号或 PPA 合同号，或说“算了”取消报修。",
            )
        if result.outcome is CaseContractCheck.NOT_COVERED and contract:
            dispatcher.utter_message(
                text=render(
                    "contract_not_covered",
                    contract_number=contract.contract_number,
                    products="、".join(contract.products),
                    product=tracker.get_slot("product"),
                )
            )
            return await self._fail(
                dispatcher, tracker, "contract_number", "如有覆盖该产品的其他合同，请提供其合同号。"
            )
        return await self._fail(
            dispatcher,
            tracker,
            "contract_number",
            "没有找到这个客户号或 PPA 合同号，请核对后重新输入（可在软件许可证上找到）。",
        )

    async def validate_product(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        svc = services()
        product = svc.hotline.catalogue.product(str(value))
        if product is None:
            found = svc.hotline.catalogue.find_products(str(value))
            product = found[0] if found else None
        if product is None:
            general = svc.hotline.catalogue.general_line.numbers["all"]
            return await self._fail(
                dispatcher,
                tracker,
                "product",
                f"“{value}”不在 PPA 支持的产品列表中。请输入产品名称（如 DB2、WebSphere、Informix），其他产品请拨打 IBM 全国免费电话 {general}。",
            )
        number = tracker.get_slot("contract_number")
        if number:
            try:
                result = await svc.contracts.check_for_case(number, product.name, svc.today())
            except StoreUnavailable:
                dispatcher.utter_message(response="utter_store_unavailable")
                return {"product": None, "requested_slot": None}
            if result.outcome is CaseContractCheck.NOT_COVERED and result.contract:
                c = result.contract
                dispatcher.utter_message(
                    text=render(
                        "contract_not_covered",
                        contract_number=c.contract_number,
                        products="、".join(c.products),
                        product=product.name,
                    )
                )
                return await self._fail(
                    dispatcher, tracker, "product", "请确认出问题的产品是否在合同所列产品中。"
                )
        return {"product": product.name, "intake_failures": 0}

    async def validate_severity(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if str(value) in ("1", "2", "3"):
            return {"severity": str(value)}
        return await self._fail(
            dispatcher, tracker, "severity", "请回复 1、2 或 3 选择严重程度，或回复“好”接受建议。"
        )

    async def validate_case_confirmed(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        return {"case_confirmed": value if value == "yes" else None}

    async def validate_error_log(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        return {"error_log": str(value)}  # stored whole, however long


class ActionAskSeverity(Action):
    """Suggest a severity from the description, explain why, ask to confirm."""

    def name(self) -> str:
        return "action_ask_severity"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        description = " ".join(
            str(tracker.get_slot(s) or "")
            for s in ("symptoms", "frequency", "error_log", "other_info", "configuration")
        )
        s = suggest_severity(description)
        name = services().cases.severity_name(s.level)
        key = "severity_suggest" if s.matched else "severity_suggest_default"
        text = render(key, matched=s.matched, name=name, definition=s.definition) + render(
            "severity_confirm"
        )
        buttons = [{"title": f"好（{name}）", "payload": "好"}] + [
            {"title": services().cases.severity_name(i), "payload": str(i)}
            for i in (1, 2, 3)
            if i != s.level
        ]
        dispatcher.utter_message(text=text, buttons=buttons)
        return [SlotSet("suggested_severity", str(s.level))]


class ActionAskCaseConfirmed(Action):
    """Show the summary of everything collected and ask to confirm."""

    def name(self) -> str:
        return "action_ask_case_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        svc = services()
        fields = {s: tracker.get_slot(s) for s in INTAKE_FIELDS_ALL}
        fields["customer_number"] = tracker.get_slot("customer_number")
        values = svc.cases.summary_fields(fields)
        severity = tracker.get_slot("severity")
        values["severity_name"] = svc.cases.severity_name(int(severity)) if severity else "—"
        dispatcher.utter_message(
            text=render("case_summary", **values),
            buttons=[
                {"title": "确认提交", "payload": "确认"},
                {"title": "取消", "payload": "/cancel"},
            ],
        )
        return []


class ActionOpenCase(Action):
    """Open the case exactly once for this intake and tell the customer its number."""

    def name(self) -> str:
        return "action_open_case"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if tracker.get_slot("case_confirmed") != "yes":
            return _reset_intake()  # the form was stopped (failures or store down)
        svc = services()
        fields = {s: tracker.get_slot(s) for s in INTAKE_FIELDS_ALL}
        try:
            case, created = await svc.cases.open(
                fields,
                severity=int(tracker.get_slot("severity")),
                channel=channel_of(tracker),
                sender_id=tracker.sender_id,
                intake_id=tracker.get_slot("intake_id") or tracker.sender_id,
                customer_number=tracker.get_slot("customer_number"),
            )
        except StoreUnavailable:
            logger.warning(
                "store unavailable while opening a case for %s", mask_phone(fields.get("phone"))
            )
            dispatcher.utter_message(response="utter_store_unavailable")
            dispatcher.utter_message(text="您填写的信息已保留，稍后回复“确认”即可重新提交。")
            return [
                SlotSet("case_confirmed", None),
                ActiveLoop("outage_form"),
                SlotSet("requested_slot", "case_confirmed"),
            ]
        dispatcher.utter_message(text=svc.cases.opened_text(case, created))
        return [
            *_reset_intake(),
            SlotSet("last_case_id", case.case_id),
            SlotSet("last_case_product", case.product),
        ]


def _reset_intake() -> list[dict[str, Any]]:
    return [
        SlotSet(s, None)
        for s in (*FORM_SLOTS, "intake_id", "suggested_severity", "intake_failures")
    ]


class ActionCancelForm(Action):
    """Leave whichever form is active; nothing collected is submitted."""

    def name(self) -> str:
        return "action_cancel_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_cancelled")
        keep = {"last_case_id", "region"}
        resets = [SlotSet(s, None) for s in domain.get("slots", {}) if s not in keep]
        return [ActiveLoop(None), *resets, SlotSet("requested_slot", None)]
