"""One place that builds the desk's services from settings (desk app and CLI)."""

from __future__ import annotations

from bot.config import Settings
from bot.desk.config import DeskSettings
from bot.desk.link import HttpCustomerLink
from bot.services.case_desk import CaseDeskService
from bot.services.contracts import ContractService
from bot.services.handoff import CustomerLink, HandoffService
from bot.store import Database
from bot.store.case_desk import CaseDeskRepository
from bot.store.cases import CaseRepository
from bot.store.contracts import ContractRepository
from bot.store.handoffs import HandoffRepository
from bot.store.reports import ReportRepository
from bot.store.staff import AuditRepository, StaffRepository
from bot.store.surveys import SurveyRepository


class DeskServices:
    """Repositories and services on one database, with one way to reach customers."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        desk: DeskSettings,
        link: CustomerLink | None = None,
    ) -> None:
        """Build everything on ``db``; ``link`` defaults to the HTTP one."""
        self.db = db
        self.settings = settings
        self.desk_settings = desk
        self.link: CustomerLink = link or HttpCustomerLink(desk)
        self.staff = StaffRepository(db)
        self.audit = AuditRepository(db)
        self.cases = CaseRepository(db, tz=settings.timezone)
        self.contracts = ContractRepository(db)
        self.contract_service = ContractService(self.contracts, settings)
        self.case_desk_repo = CaseDeskRepository(db)
        self.handoff_repo = HandoffRepository(db)
        self.surveys = SurveyRepository(db)
        self.reports = ReportRepository(db)
        self.handoffs = HandoffService(
            self.handoff_repo, self.staff, self.link, survey_ttl=desk.survey_ttl
        )
        self.case_desk = CaseDeskService(
            self.cases,
            self.case_desk_repo,
            self.staff,
            self.handoff_repo,
            self.link,
            notify_urls=settings.case_notify_urls,
        )

    async def close(self) -> None:
        """Close HTTP clients (the database is the caller's)."""
        closer = getattr(self.link, "close", None)
        if closer is not None:
            await closer()
