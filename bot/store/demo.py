"""Clearly fake demo customers and contracts, for trying the bot without real data.

Dates are relative to the day of seeding, so the active / expiring / expired examples
stay what they claim to be. Seeding twice updates the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.store.contracts import ContractRecord, ContractRepository
from bot.store.database import Database


@dataclass(frozen=True)
class DemoAccount:
    """One demo contract; dates are offsets in days from the seeding day."""

    customer_number: str
    contract_number: str
    company: str
    contact_name: str
    contact_email: str
    contact_phone: str
    start_offset_days: int
    end_offset_days: int
    products: tuple[str, ...]
    state: str  # what the contract demonstrates, for the README

    def record(self, today: date) -> ContractRecord:
        """The contract as of ``today``."""
        return ContractRecord(
            customer_number=self.customer_number,
            contract_number=self.contract_number,
            company=self.company,
            contact_name=self.contact_name,
            contact_email=self.contact_email,
            contact_phone=self.contact_phone,
            start_date=today + timedelta(days=self.start_offset_days),
            end_date=today + timedelta(days=self.end_offset_days),
            products=list(self.products),
        )


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        customer_number="8800001",
        contract_number="PPA-DEMO-0001",
        company="演示科技有限公司(DEMO)",
        contact_name="张演示",
        contact_email="zhang.demo@example.com",
        contact_phone="13800000001",
        start_offset_days=-180,
        end_offset_days=365,
        products=("DB2", "WebSphere Application Server", "WebSphere MQ", "Informix"),
        state="active 有效",
    ),
    DemoAccount(
        customer_number="8800002",
        contract_number="PPA-DEMO-0002",
        company="示例软件有限公司(DEMO)",
        contact_name="李示例",
        contact_email="li.demo@example.com",
        contact_phone="13800000002",
        start_offset_days=-90,
        end_offset_days=270,
        products=("Cognos", "Rational", "FileNet", "Notes", "Domino"),
        state="active 有效",
    ),
    DemoAccount(
        customer_number="8800003",
        contract_number="PPA-DEMO-0003",
        company="样例数据有限公司(DEMO)",
        contact_name="王样例",
        contact_email="wang.demo@example.com",
        contact_phone="13800000003",
        start_offset_days=-345,
        end_offset_days=20,
        products=("DB2", "DataStage"),
        state="expiring within 30 days 30 天内到期",
    ),
    DemoAccount(
        customer_number="8800004",
        contract_number="PPA-DEMO-0004",
        company="测试制造有限公司(DEMO)",
        contact_name="赵测试",
        contact_email="zhao.demo@example.com",
        contact_phone="13800000004",
        start_offset_days=-400,
        end_offset_days=-35,
        products=("Informix", "Tivoli"),
        state="expired 已过期",
    ),
)


def demo_contracts(today: date) -> list[ContractRecord]:
    """The demo contracts as of ``today``."""
    return [account.record(today) for account in DEMO_ACCOUNTS]


async def seed_demo(db: Database, today: date) -> list[ContractRecord]:
    """Insert or refresh the demo contracts; returns them."""
    records = demo_contracts(today)
    await ContractRepository(db).upsert_many(records)
    return records
