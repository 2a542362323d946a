"""Import of PPA contracts from a CSV export: every bad row reported, all rows or none.

The header must be exactly :data:`HEADER`. Dates are ISO (YYYY-MM-DD); products are
separated by ";" and may be catalogue names or aliases. Line numbers count the header
as line 1, as a spreadsheet does.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.catalogue import Catalogue, default_catalogue
from bot.store.contracts import ContractRecord, ContractRepository, UpsertResult
from bot.store.database import Database
from bot.validators import (
    normalise_contract_number,
    normalise_customer_number,
    parse_email,
    parse_phone,
)

HEADER = (
    "customer_number",
    "contract_number",
    "company",
    "contact_name",
    "contact_email",
    "contact_phone",
    "start_date",
    "end_date",
    "products",
)
MAX_LENGTH = {"customer_number": 32, "contract_number": 64}
_PRODUCT_SEPARATOR = re.compile(r"[;；]")


@dataclass(frozen=True)
class ImportError_:
    """One problem in the file; ``line`` is 1 for the header."""

    line: int
    reason: str

    def __str__(self) -> str:
        """``line N: reason``, as the CLI prints it."""
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class ImportReport:
    """What an import did: errors (and nothing written), or the upsert counts."""

    errors: list[ImportError_]
    inserted: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        """True when the file was imported."""
        return not self.errors


def _read(source: str | Path) -> tuple[str | None, list[ImportError_]]:
    """The file's text, or an error naming the line where it stops being UTF-8."""
    if isinstance(source, str) and ("\n" in source or "," in source):
        return source.lstrip("\ufeff"), []
    raw = Path(source).read_bytes()
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        return None, [ImportError_(line, "文件不是 UTF-8 编码 file is not UTF-8 encoded")]


def _date(value: str, column: str) -> tuple[date | None, str | None]:
    try:
        return date.fromisoformat(value), None
    except ValueError:
        return None, f"日期格式错误 bad date in {column}: {value!r} (expected YYYY-MM-DD)"


def _products(value: str, catalogue: Catalogue) -> tuple[list[str], list[str]]:
    """Canonical names (in order, no repeats) and the unknown names."""
    names, unknown = [], []
    for part in _PRODUCT_SEPARATOR.split(value):
        part = part.strip()
        if not part:
            continue
        product = catalogue.product(part)
        if product is None:
            unknown.append(part)
        elif product.name not in names:
            names.append(product.name)
    return names, unknown


def _parse_row(
    fields: dict[str, str], catalogue: Catalogue
) -> tuple[ContractRecord | None, list[str]]:
    """A record from one row's fields, or the reasons it is bad."""
    problems = [f"缺少字段 missing field: {name}" for name in HEADER if not fields[name].strip()]
    if problems:
        return None, problems
    customer = normalise_customer_number(fields["customer_number"])
    contract = normalise_contract_number(fields["contract_number"])
    for name, value in (("customer_number", customer), ("contract_number", contract)):
        if len(value) > MAX_LENGTH[name]:
            problems.append(f"值过长 {name} is longer than {MAX_LENGTH[name]} characters")
    phone = parse_phone(fields["contact_phone"])
    if phone is None:
        problems.append(f"电话格式错误 malformed phone: {fields['contact_phone'].strip()!r}")
    email = parse_email(fields["contact_email"])
    if email is None:
        problems.append(f"邮箱格式错误 malformed email: {fields['contact_email'].strip()!r}")
    start, start_problem = _date(fields["start_date"].strip(), "start_date")
    end, end_problem = _date(fields["end_date"].strip(), "end_date")
    problems.extend(p for p in (start_problem, end_problem) if p)
    if start and end and end < start:
        problems.append(f"截止日期早于起始日期 end_date {end} is before start_date {start}")
    products, unknown = _products(fields["products"], catalogue)
    problems.extend(f"未知产品 unknown product: {name!r}" for name in unknown)
    if not products and not unknown:
        problems.append("缺少字段 missing field: products")
    if problems or start is None or end is None or phone is None or email is None:
        return None, problems
    record = ContractRecord(
        customer_number=customer,
        contract_number=contract,
        company=fields["company"].strip(),
        contact_name=fields["contact_name"].strip(),
        contact_email=email,
        contact_phone=phone,
        start_date=start,
        end_date=end,
        products=products,
    )
    return record, []


def parse_contracts_csv(
    path_or_text: str | Path, catalogue: Catalogue | None = None
) -> tuple[list[ContractRecord], list[ImportError_]]:
    """Records from a contracts CSV (a path, or the text itself) and every problem found.

    A ``str`` containing a newline or a comma is taken as CSV text, anything else as a path.
    """
    catalogue = catalogue or default_catalogue()
    text, errors = _read(path_or_text)
    if text is None:
        return [], errors
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != HEADER:
        got = ",".join(header) if header else "(empty file)"
        reason = f"表头错误 wrong header: expected {','.join(HEADER)!r}, got {got!r}"
        return [], [ImportError_(1, reason)]
    records: list[ContractRecord] = []
    first_line: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # blank lines and spreadsheet filler rows
        if len(row) != len(HEADER):
            reason = f"列数错误 wrong number of fields: expected {len(HEADER)}, got {len(row)}"
            errors.append(ImportError_(line, reason))
            continue
        record, problems = _parse_row(dict(zip(HEADER, row, strict=True)), catalogue)
        number = normalise_contract_number(row[1])
        if number and number in first_line:
            problems.append(
                f"合同号重复 duplicate contract number {number} (first on line {first_line[number]})"
            )
        elif number:
            first_line[number] = line
        errors.extend(ImportError_(line, reason) for reason in problems)
        if record is not None and not problems:
            records.append(record)
    return records, errors


async def import_contracts(
    db: Database, path: str | Path, catalogue: Catalogue | None = None
) -> ImportReport:
    """Import the file if it has no errors at all; otherwise write nothing."""
    # Reading and checking a large file is blocking work: keep it off the event loop.
    records, errors = await asyncio.to_thread(parse_contracts_csv, Path(path), catalogue)
    if errors:
        return ImportReport(errors=errors)
    result: UpsertResult = await ContractRepository(db).upsert_many(records)
    return ImportReport(errors=[], inserted=result.inserted, updated=result.updated)
