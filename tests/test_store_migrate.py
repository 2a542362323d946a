"""bot.store.migrate: upgrade is idempotent, matches the models and leaves Rasa's tables alone."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from bot.store import StoreUnavailable
from bot.store.database import to_async_url, to_sync_url
from bot.store.migrate import (
    VERSION_TABLE,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from bot.store.models import metadata
from harness.servers import free_port

# 0003, the service desk
DESK_TABLES = {
    "ppa_staff",
    "ppa_handoffs",
    "ppa_handoff_messages",
    "ppa_csat",
    "ppa_case_desk",
    "ppa_case_notes",
    "ppa_audit_log",
}
PPA_TABLES = (
    {
        "ppa_customers",
        "ppa_contracts",
        "ppa_cases",
        "ppa_case_events",
        "ppa_notification_outbox",
        "ppa_identity_attempts",
    }
    | DESK_TABLES
    | {"ppa_nlu_misses"}
)  # 0005, messages for NLU review


def _tables(url: str) -> set[str]:
    engine = create_engine(to_sync_url(url), future=True)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _execute(url: str, sql: str) -> None:
    engine = create_engine(to_sync_url(url), future=True)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(sql)
    finally:
        engine.dispose()


def test_upgrade_creates_tables_and_is_idempotent(blank_db_url: str) -> None:
    assert current_revision(blank_db_url) is None
    upgrade(blank_db_url)
    assert current_revision(blank_db_url) == head_revision()
    first = _tables(blank_db_url)
    upgrade(blank_db_url)
    upgrade(blank_db_url)
    assert current_revision(blank_db_url) == head_revision()
    assert _tables(blank_db_url) == first == PPA_TABLES | {VERSION_TABLE}


def test_identity_attempts_revision_downgrades_cleanly(blank_db_url: str) -> None:
    upgrade(blank_db_url, "0002")
    assert "ppa_identity_attempts" in _tables(blank_db_url)
    downgrade(blank_db_url, "0001")
    assert current_revision(blank_db_url) == "0001"
    initial = PPA_TABLES - {"ppa_identity_attempts", "ppa_nlu_misses"} - DESK_TABLES
    assert _tables(blank_db_url) == initial | {VERSION_TABLE}


def test_nlu_misses_revision_downgrades_to_the_report_indexes(blank_db_url: str) -> None:
    upgrade(blank_db_url)
    downgrade(blank_db_url, "0004")
    assert _tables(blank_db_url) == PPA_TABLES - {"ppa_nlu_misses"} | {VERSION_TABLE}
    upgrade(blank_db_url)
    assert "ppa_nlu_misses" in _tables(blank_db_url)


def _insert_miss(url: str, kind: str) -> None:
    engine = create_engine(to_sync_url(url), future=True)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO ppa_nlu_misses (conversation_id, text, kind, created_at)"
                    " VALUES ('c', 'DB2 装不上', :kind, '2026-12-06 00:00:00')"
                ),
                {"kind": kind},
            )
    finally:
        engine.dispose()


def _count_misses(url: str) -> int:
    engine = create_engine(to_sync_url(url), future=True)
    try:
        with engine.connect() as connection:
            return int(connection.exec_driver_sql("SELECT COUNT(*) FROM ppa_nlu_misses").scalar())
    finally:
        engine.dispose()


def test_gated_misses_revision_widens_the_kind_check_and_downgrades(blank_db_url: str) -> None:
    upgrade(blank_db_url, "0005")
    with pytest.raises(Exception, match="(?i)check"):
        _insert_miss(blank_db_url, "gated")
    _insert_miss(blank_db_url, "fallback")
    upgrade(blank_db_url)
    _insert_miss(blank_db_url, "gated")
    with pytest.raises(Exception, match="(?i)check"):
        _insert_miss(blank_db_url, "guessed")
    assert _count_misses(blank_db_url) == 2  # the table copy kept 0005's row

    downgrade(blank_db_url, "0005")  # 0005 cannot hold gated rows: they go, the rest stays
    assert _count_misses(blank_db_url) == 1
    with pytest.raises(Exception, match="(?i)check"):
        _insert_miss(blank_db_url, "gated")


def _case_event_kinds(url: str, insert: str | None = None) -> list[str]:
    """The kinds of the one test case's events, after inserting one of kind ``insert``."""
    engine = create_engine(to_sync_url(url), future=True)
    try:
        with engine.begin() as connection:
            if insert is not None:
                connection.execute(
                    text(
                        "INSERT INTO ppa_case_events (case_pk, kind, note, created_at)"
                        " VALUES (1, :kind, '问题又出现了', '2026-12-07 00:00:00')"
                    ),
                    {"kind": insert},
                )
            rows = connection.exec_driver_sql("SELECT kind FROM ppa_case_events ORDER BY id")
            return [row[0] for row in rows]
    finally:
        engine.dispose()


def test_reopened_revision_widens_the_case_event_check_and_downgrades(blank_db_url: str) -> None:
    upgrade(blank_db_url, "0006")
    _execute(
        blank_db_url,
        "INSERT INTO ppa_cases (id, case_id, idempotency_key, status, severity, product,"
        " contact_name, company, phone, channel, sender_id, details, response_due_at,"
        " created_at) VALUES (1, 'PMR-261207-0001', 'k', 'closed', 2, 'DB2', '张', '演示',"
        " '13800000001', 'rest', 's', '{}', '2026-12-07 00:00:00', '2026-12-07 00:00:00')",
    )
    _case_event_kinds(blank_db_url, "closed")
    with pytest.raises(Exception, match="(?i)check"):
        _case_event_kinds(blank_db_url, "reopened")
    upgrade(blank_db_url)
    assert _case_event_kinds(blank_db_url, "reopened") == ["closed", "reopened"]
    with pytest.raises(Exception, match="(?i)check"):
        _case_event_kinds(blank_db_url, "revived")

    downgrade(blank_db_url, "0006")  # the reopening's words stay, as an addition
    assert _case_event_kinds(blank_db_url) == ["closed", "info_added"]


def test_upgrade_accepts_async_url(blank_db_url: str) -> None:
    upgrade(to_async_url(blank_db_url))
    assert _tables(blank_db_url) >= PPA_TABLES


def test_models_match_migrations(db_url: str) -> None:
    engine = create_engine(to_sync_url(db_url), future=True)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "version_table": VERSION_TABLE}
            )
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_rasa_tables_are_left_alone(blank_db_url: str) -> None:
    _execute(blank_db_url, "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT)")
    _execute(blank_db_url, "INSERT INTO events (id, sender_id) VALUES (1, 'abc')")
    upgrade(blank_db_url)
    downgrade(blank_db_url, "base")
    assert _tables(blank_db_url) == {"events", VERSION_TABLE}
    upgrade(blank_db_url)
    assert _tables(blank_db_url) == PPA_TABLES | {VERSION_TABLE, "events"}


def test_concurrent_upgrades_do_not_collide(blank_db_url: str) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(upgrade, [blank_db_url] * 3))
    assert current_revision(blank_db_url) == head_revision()


def test_unreachable_database_raises_store_unavailable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StoreUnavailable):
        upgrade(f"postgresql://postgres@127.0.0.1:{free_port()}/nothing")
    with pytest.raises(StoreUnavailable):
        upgrade(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'ppa.db'}")
