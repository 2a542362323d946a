"""Contract checks: for opening a case, and for a customer asking about their contract.

Identity before disclosure: a contract's details are only described to someone who
gives its customer number or contract number (or both) and the registered phone or
e-mail.
Any mismatch gets the same neutral answer, so a caller cannot probe which part was
wrong.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from bot.catalogue import Catalogue, default_catalogue
from bot.config import Settings
from bot.replies import render
from bot.services.hotline import general_line_text
from bot.services.identity import IdentityGuard, Verdict
from bot.store.contracts import ContractRecord, ContractRepository
from bot.validators import normalise_contract_number, parse_email, same_phone

EXPIRY_WARNING_DAYS = 60


class ContractState(enum.Enum):
    """Where a contract stands on a given day."""

    ACTIVE = "active"
    EXPIRED = "expired"
    NOT_STARTED = "not_started"


def contract_state(contract: ContractRecord, today: dt.date) -> ContractState:
    """Active, expired or not yet started on ``today``."""
    if today < contract.start_date:
        return ContractState.NOT_STARTED
    if today > contract.end_date:
        return ContractState.EXPIRED
    return ContractState.ACTIVE


class CaseContractCheck(enum.Enum):
    """Outcome of checking the number a customer gave while reporting a fault."""

    OK = "ok"
    NOT_FOUND = "not_found"
    EXPIRED = "expired"
    NOT_STARTED = "not_started"
    NOT_COVERED = "not_covered"


@dataclass(frozen=True)
class CaseContractResult:
    """The check's outcome and, when found, the contract it used."""

    outcome: CaseContractCheck
    contract: ContractRecord | None = None


class ContractService:
    """Looks contracts up and decides what may be said about them."""

    def __init__(
        self,
        contracts: ContractRepository,
        settings: Settings,
        catalogue: Catalogue | None = None,
        guard: IdentityGuard | None = None,
    ) -> None:
        """Contracts from ``contracts``; renewal number from ``settings``.

        ``guard`` limits failed identity proofs (:meth:`verify_caller`).
        """
        self._contracts = contracts
        self._settings = settings
        self._catalogue = catalogue or default_catalogue()
        self._guard = guard

    async def find(self, number: str) -> ContractRecord | None:
        """A contract by contract number, else the best contract of a customer number."""
        contract = await self._contracts.get(number)
        if contract is not None:
            return contract
        candidates = await self._contracts.for_customer(number)
        if not candidates:
            return None
        # Prefer the contract that runs longest: the current one over a lapsed one.
        return max(candidates, key=lambda c: c.end_date)

    async def check_for_case(
        self, number: str, product: str | None, today: dt.date
    ) -> CaseContractResult:
        """Exists, active today and (when the product is known) covers the product."""
        contract = await self.find(number)
        if contract is None:
            return CaseContractResult(CaseContractCheck.NOT_FOUND)
        state = contract_state(contract, today)
        if state is ContractState.EXPIRED:
            return CaseContractResult(CaseContractCheck.EXPIRED, contract)
        if state is ContractState.NOT_STARTED:
            return CaseContractResult(CaseContractCheck.NOT_STARTED, contract)
        if product and not self.covers(contract, product):
            return CaseContractResult(CaseContractCheck.NOT_COVERED, contract)
        return CaseContractResult(CaseContractCheck.OK, contract)

    async def entitlement_text(
        self, number: str | None, product: str | None, proof: str | None, today: dt.date
    ) -> str:
        """For staff: the case's contract today, for its product, and who reported it.

        The bot tells a caller who is not the registered contact nothing about the
        contract, so the desk is where an expired or uncovered report is noticed.
        """
        if not number:
            return render("entitlement_none")
        result = await self.check_for_case(number, product, today)
        contract = result.contract
        outcome = result.outcome
        key = (
            "entitlement_ok"
            if outcome is CaseContractCheck.OK
            else "entitlement_expired"
            if outcome is CaseContractCheck.EXPIRED
            else "entitlement_not_started"
            if outcome is CaseContractCheck.NOT_STARTED
            else "entitlement_not_covered"
            if outcome is CaseContractCheck.NOT_COVERED
            else "entitlement_not_found"
        )
        text = render(
            key,
            end_date=contract.end_date.isoformat() if contract else "",
            start_date=contract.start_date.isoformat() if contract else "",
            product=product or "",
        )
        if contract is None:
            return text
        key = (
            "entitlement_contact" if is_registered_contact(contract, proof) else "entitlement_other"
        )
        return text + render(key)

    def covers(self, contract: ContractRecord, product: str) -> bool:
        """True when the contract lists ``product``, or its brand as a whole.

        A brand-level entry ("WebSphere", "ICS", "CSI") covers the brand's products,
        and a customer naming only the brand is covered by any of its products.
        """
        p = self._catalogue.product(product)
        if p is None:
            # "Rational ClearCase": a product the catalogue does not name, of a brand it
            # does (a fifteenth blind tester's Rational contract refused it).
            found = self._catalogue.find_products(product.lower())
            if len(found) != 1:
                return False
            p = found[0]
        if p.name in contract.products:
            return True
        family = self._catalogue.family(p.family_id)
        umbrellas = {fp.name for fp in family.products if fp.umbrella}
        if umbrellas & set(contract.products):
            return True
        return p.umbrella and any(fp.name in contract.products for fp in family.products)

    def coverage_text(self, contract: ContractRecord, asked: Sequence[str]) -> str:
        """Whether the contract covers each product the customer asked about, one line each."""
        lines = []
        for product in dict.fromkeys(asked):
            key = "contract_covers" if self.covers(contract, product) else "contract_lacks"
            lines.append(render(key, product=product, contract_number=contract.contract_number))
        return "\n".join(lines)

    async def verify_identity(
        self, customer_number: str | None, contract_number: str | None, proof: str
    ) -> ContractRecord | None:
        """The contract when all match (proof: registered phone or e-mail), else None.

        Either number names the contract (the guide: "客户号/PPA 合同号", both printed on
        the same licence); given both, they must belong together. With the customer
        number alone, the customer's contract registered to ``proof`` that runs longest.
        """
        if not contract_number:
            if not customer_number:
                return None
            mine = [
                c
                for c in await self._contracts.for_customer(customer_number.strip())
                if is_registered_contact(c, proof)
            ]
            return max(mine, key=lambda c: c.end_date) if mine else None
        contract = await self._contracts.get(contract_number)
        if contract is None:
            return None
        if customer_number and contract.customer_number != customer_number.strip():
            return None
        return contract if is_registered_contact(contract, proof) else None

    async def verify_caller(
        self,
        conversation: str,
        customer_number: str | None,
        contract_number: str | None,
        proof: str,
    ) -> Verdict[ContractRecord]:
        """:meth:`verify_identity` under the brute-force limits of the guard."""
        if self._guard is None:
            raise RuntimeError("no identity guard configured")
        subject = (
            normalise_contract_number(contract_number) or contract_number
            if contract_number
            else (customer_number or "").strip()
        )
        return await self._guard.check(
            conversation,
            "contract",
            subject,
            lambda: self.verify_identity(customer_number, contract_number, proof),
        )

    def renewal_text(self) -> str:
        """Renewal guidance: the configured team number, or honest guidance without one."""
        if self._settings.renewal_phone:
            return render("renewal_with_phone", phone=self._settings.renewal_phone)
        return render("renewal_no_phone", general=general_line_text(self._catalogue))

    def describe(self, contract: ContractRecord, today: dt.date) -> str:
        """Status, service dates and covered products, with expiry warnings."""
        state = contract_state(contract, today)
        status = {
            ContractState.ACTIVE: render("status_active"),
            ContractState.EXPIRED: render("status_expired"),
            ContractState.NOT_STARTED: render("status_not_started"),
        }[state]
        text = render(
            "contract_ok",
            contract_number=contract.contract_number,
            customer_number=contract.customer_number,
            company=contract.company,
            status=status,
            start_date=contract.start_date.isoformat(),
            end_date=contract.end_date.isoformat(),
            products=render("list_separator").join(contract.products),
        )
        days_left = (contract.end_date - today).days
        if state is ContractState.EXPIRED:
            text += "\n" + render(
                "contract_expired",
                end_date=contract.end_date.isoformat(),
                renewal=self.renewal_text(),
            )
        elif state is ContractState.ACTIVE and days_left <= EXPIRY_WARNING_DAYS:
            text += "\n" + render(
                "contract_expiring",
                days=days_left,
                end_date=contract.end_date.isoformat(),
                renewal=self.renewal_text(),
            )
        return text


def is_registered_contact(contract: ContractRecord, proof: str | None) -> bool:
    """True when ``proof`` is the contract's registered phone or e-mail."""
    if not proof:
        return False
    if same_phone(proof, contract.contact_phone):
        return True
    email = parse_email(proof)
    return bool(email and contract.contact_email and email == contract.contact_email.lower())
