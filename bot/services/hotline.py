"""Which number to call: per product (and region), with hours and open/closed now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.catalogue import Catalogue, Hotline, Product, default_catalogue
from bot.replies import render
from bot.services.hours import SupportHours


def general_line_text(catalogue: Catalogue) -> str:
    """The general line with its label, e.g. "IBM 全国免费电话 800-810-1818"."""
    line = catalogue.general_line
    return render("hotline_general", label=line.label, number=line.numbers["all"])


@dataclass(frozen=True)
class HotlineReply:
    """The answer text and, when no product was named, the families to choose from."""

    text: str
    choices: Sequence[tuple[str, str]] = ()


class HotlineService:
    """Builds hotline answers from the catalogue; no I/O."""

    def __init__(self, catalogue: Catalogue | None = None, hours: SupportHours | None = None):
        """Use the project's catalogue and its hours unless others are given."""
        self.catalogue = catalogue or default_catalogue()
        self.hours = hours or SupportHours.from_catalogue(self.catalogue)

    def family_choices(self) -> list[tuple[str, str]]:
        """``(title, product)`` choices when no product was named.

        One per family, split into its products where they have different lines
        (DB2 / Informix).
        """
        choices: list[tuple[str, str]] = []
        for fam in self.catalogue.families:
            if len({p.hotline_key for p in fam.products}) > 1:
                choices.extend((p.name, p.name) for p in fam.products)
            else:
                choices.append((fam.name, fam.products[0].name))
        return choices

    def line_text(self, product: Product, region: str | None) -> str:
        """One product's number, regional where the guide gives north / south."""
        line = self.catalogue.hotline_for(product)
        return self._line(product.name, line, region)

    def _line(self, name: str, line: Hotline, region: str | None) -> str:
        if not line.regional:
            # Asked for a region ("informix 华南的号码"): the guide's one number, said to
            # be the same everywhere (a fourteenth blind tester wondered).
            key = "hotline_line" if region is None else "hotline_line_national"
            return render(key, product=name, label=line.label, number=line.numbers["all"])
        labels = self.catalogue.region_labels
        if region is not None and region in labels:
            return render(
                "hotline_regional_one",
                product=name,
                label=line.label,
                region_label=labels[region],
                number=line.numbers[region],
            )
        return render(
            "hotline_regional",
            product=name,
            label=line.label,
            north=line.numbers["north"],
            south=line.numbers["south"],
        )

    def pao_text(self, region: str | None) -> str:
        """The PAO / Passport Advantage help line with its menu path."""
        line = self.catalogue.hotlines["pao"]
        labels = self.catalogue.region_labels
        if region is not None and region in labels:
            return render(
                "hotline_pao_one",
                label=line.label,
                region_label=labels[region],
                number=line.numbers[region],
                menu=line.menu,
                note=line.note,
            )
        return render(
            "hotline_pao",
            label=line.label,
            north=line.numbers["north"],
            south=line.numbers["south"],
            menu=line.menu,
            note=line.note,
        )

    def hours_sentence(self) -> str:
        """The service hours and the 7×24 rule for severity 1, without open / closed now."""
        sh = self.catalogue.service_hours
        return render(
            "hotline_hours",
            days=sh["business_days"],
            start=sh["start"],
            end=sh["end"],
            hours=sh["response_hours"],
        )

    def hours_text(self, now: dt.datetime, told: bool = False) -> str:
        """Service hours, the 7×24 rule for severity 1, and whether lines are open now.

        ``told``: the customer already read the hours in this conversation, so a
        second number does not repeat the paragraph (a blind tester), only open / closed.
        """
        hours = render("hotline_hours_as_before") if told else self.hours_sentence()
        if self.hours.is_open(now):
            return hours + render("hotline_open_now")
        return hours + render("hotline_closed_now", service_request=self._service_request)

    @property
    def _service_request(self) -> str:
        """The guide's 7×24 online service request address."""
        return self.catalogue.websites["service_request"]

    def answer(
        self,
        products: Sequence[str],
        region: str | None,
        now: dt.datetime,
        pao: bool = False,
        abroad: bool = False,
        hours_told: bool = False,
    ) -> HotlineReply:
        """The full answer for the products (canonical names or aliases) asked about.

        ``abroad``: the caller is outside the mainland (Taiwan, Hong Kong, overseas),
        which the guide's free numbers do not serve; the answer says so.
        ``hours_told``: the hours were given earlier in the conversation (``hours_text``).
        """
        lines: list[str] = []
        unknown: list[str] = []
        for name in products:
            product = self.catalogue.product(name)
            if product is None:
                unknown.append(name)
                continue
            text = self.line_text(product, region)
            if text not in lines:
                lines.append(text)
        # The support hours are the product lines'; the guide gives none for the PAO line.
        with_hours = bool(lines)
        if pao:
            lines.append(self.pao_text(region))
        general = general_line_text(self.catalogue)
        for name in unknown:
            lines.append(render("hotline_unknown_product", product=name, general=general))
        if not lines:
            # The general line answers "IBM客服电话" / "总机" at once; the choice narrows it.
            ask = render("hotline_ask_product", general=general)
            if region is not None:
                # "华南的呢" with no product: which lines have a south (a sixteenth blind
                # tester got "收到。请问需要我做什么？").
                ask = render("hotline_region_needs_product", products=self._regional()) + ask
            return HotlineReply(ask, tuple(self.family_choices()))
        if abroad:
            lines.append(self.outside_mainland_text())
        if with_hours or unknown:
            lines.append(self.hours_text(now, told=hours_told))
        return HotlineReply("\n".join(lines))

    def number_owner_text(self, text: str) -> str | None:
        """Whose line a number in ``text`` is ("10800-261-0417是哪个产品的电话"), or None."""
        found = self.catalogue.line_of_number(text)
        if found is None:
            return None
        line, region = found
        where = self.catalogue.region_labels.get(region, "")
        # The general line and the PAO line are named by their labels; the rest are a
        # product family's support line.
        key = "hotline_number_named" if line.key in ("general", "pao") else "hotline_number_owner"
        return render(
            key,
            number=line.numbers[region],
            label=line.label,
            region=render("hotline_number_region", region_label=where) if where else "",
        )

    def outside_mainland_text(self) -> str:
        """The guide's numbers are mainland ones; from elsewhere, the online request."""
        return render("hotline_outside_mainland", service_request=self._service_request)

    def _regional(self) -> str:
        """The products with north and south numbers, and the PAO line, as one list."""
        names = [p.name for p in self.catalogue.products if self.catalogue.hotline_for(p).regional]
        return render("list_separator").join([*dict.fromkeys(names), render("pao_line_name")])

    def handoff_text(self, product: str | None, region: str | None, now: dt.datetime) -> str:
        """Where a human answers: the product's line (or the general one) and the hours."""
        return render("handoff", target=self._target(product, region), hours=self.hours_text(now))

    def urgent_text(self, product: str | None, region: str | None, case_id: str) -> str:
        """For a severity 1 case: the line that takes it around the clock (the guide's 7×24)."""
        return render("case_urgent_call", target=self._target(product, region), case_id=case_id)

    def urgent_hint_text(self, product: str | None, region: str | None) -> str:
        """At the start of a report that reads as severity 1: the line to call meanwhile."""
        p = self.catalogue.product(product) if product else None
        if p is None:
            # The general line is for product information (the guide), not the engineers'
            # 7×24 line: a fourteenth blind tester's "数据库挂了" was sent to it.
            return render("intake_urgent_hint_no_product")
        return render("intake_urgent_hint", target=self.line_text(p, region))

    def _target(self, product: str | None, region: str | None) -> str:
        """The product's line, or the general one when there is no product."""
        p = self.catalogue.product(product) if product else None
        return self.line_text(p, region) if p is not None else general_line_text(self.catalogue)
