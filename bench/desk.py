"""Benchmark the service desk on a full database: page times and live-update latency.

``python -m bench.desk [--cases N] [--events N] [--requests N] [--db-url URL]``
(also ``make bench``, and alone ``make bench BENCH_ARGS=--desk-only``) seeds a fresh,
migrated database with 10 000 cases and 100 000 Rasa tracker events
(``bench.desk_seed``), starts the real desk (``python -m bot desk``) on it, signs in
over HTTP and measures:

* every desk page a person opens, ``--requests`` times each, one after another:
  inbox, a handoff's conversation page, the case queue unfiltered and with filters
  (rotating status / severity / product / overdue), a case page, the reports page;
* a customer message → the agent's conversation stream (``/handoffs/{id}/events``):
  the message is written the way the Rasa plug-in writes it
  (``HandoffService.customer_turn``), the clock stops when the server-sent event
  carrying it arrives; and a new request → the inbox stream (``/events``).

Targets (PASS / MISS, never asserted): page p95 < 300 ms, message to agent < 1 s.
Default database: SQLite in a temporary directory (the embedded profile);
``--db-url`` for PostgreSQL. Writes ``results/bench_desk.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import aiohttp

from bench.desk_seed import PRODUCTS, Plan, Seeded, seed
from bench.report import render_desk
from bench.targets import evaluate_desk_targets
from bot.stats import latency_summary
from harness.model import ROOT
from harness.servers import free_port, wait_http

PASSWORD = "bench desk password 2026"  # noqa: S105  (throwaway bench accounts)
AGENT, SUPERVISOR = "bench-agent", "bench-supervisor"
WARMUP = 3
DESK_REQUESTS = 50  # per page
DESK_QUICK_REQUESTS = 20
STREAM_TRIALS = 20
STREAM_TIMEOUT_S = 10.0
FILTERS = (
    "status=受理中&severity=2",
    f"product={PRODUCTS[0]}&overdue=1",
    "status=待受理&severity=1&product=WebSphere MQ",
    "severity=3&overdue=1",
)


def page_paths(seeded: Seeded, requests: int) -> dict[str, list[str]]:
    """Per page, the URL of each request (ids and filters rotate over the seeded data)."""
    active = seeded.handoff_ids.get("active", [])
    closed = seeded.handoff_ids.get("closed", [])
    handoffs = active + closed[: max(requests - len(active), 0)]
    cases = seeded.case_ids
    step = max(len(cases) // max(requests, 1), 1)
    return {
        "inbox": ["/"] * requests,
        "handoff page": [f"/handoffs/{handoffs[i % len(handoffs)]}" for i in range(requests)],
        "case queue": ["/cases"] * requests,
        "case queue, filtered": [f"/cases?{FILTERS[i % len(FILTERS)]}" for i in range(requests)],
        "case page": [f"/cases/{cases[(i * step) % len(cases)]}" for i in range(requests)],
        "reports": ["/reports"] * requests,
    }


async def sign_in(url: str, name: str) -> aiohttp.ClientSession:
    """A session signed in as ``name`` (the desk's own form)."""
    # unsafe=True: the default jar ignores cookies from IP-address hosts like 127.0.0.1.
    http = aiohttp.ClientSession(url, cookie_jar=aiohttp.CookieJar(unsafe=True))
    data = {"name": name, "password": PASSWORD}
    async with http.post("/login", data=data, allow_redirects=False) as response:
        if response.status != 302:
            await http.close()
            raise RuntimeError(f"sign-in as {name} failed: HTTP {response.status}")
    return http


async def time_pages(http: aiohttp.ClientSession, paths: dict[str, list[str]]) -> dict[str, Any]:
    """Per page: latency summary of its requests (after a warm-up), errors counted."""
    out: dict[str, Any] = {}
    for page, urls in paths.items():
        for url in urls[:WARMUP]:
            async with http.get(url) as response:
                await response.read()
        latencies, errors = [], []
        for url in urls:
            started = time.perf_counter()
            async with http.get(url) as response:
                body = await response.read()
                if response.status != 200:
                    errors.append(f"{url}: HTTP {response.status} {body[:200]!r}")
            latencies.append((time.perf_counter() - started) * 1000)
        out[page] = {
            "requests": len(urls),
            "errors": len(errors),
            "error_samples": errors[:3],
            **latency_summary(latencies),
        }
        print(f"  {page}: p50 {out[page]['p50']:.0f} / p95 {out[page]['p95']:.0f} ms", flush=True)
    return out


async def until_event(
    http: aiohttp.ClientSession, path: str, marker: str, opened: asyncio.Event
) -> float:
    """Read the stream at ``path``; the ``perf_counter`` when an event carries ``marker``.

    ``opened`` is set at the stream's first event (the page's current state).
    """
    async with http.get(path) as stream:
        async for line in stream.content:
            if not line.startswith(b"data: "):
                continue
            opened.set()
            if marker in line.decode("utf-8"):
                return time.perf_counter()
    raise RuntimeError(f"{path} ended before {marker!r}")


async def stream_latency(
    http: aiohttp.ClientSession, path: str, marker: str, send: Callable[[], Awaitable[Any]]
) -> float:
    """Milliseconds from ``send()`` until the stream at ``path`` shows ``marker``."""
    opened = asyncio.Event()
    watch = asyncio.create_task(until_event(http, path, marker, opened))
    # Send only once the stream is open and has sent its first state.
    await asyncio.wait_for(opened.wait(), STREAM_TIMEOUT_S)
    started = time.perf_counter()
    await send()
    seen = await asyncio.wait_for(watch, STREAM_TIMEOUT_S)
    return (seen - started) * 1000


async def time_streams(http: aiohttp.ClientSession, db_url: str, seeded: Seeded) -> dict[str, Any]:
    """Message → agent's conversation stream, and new request → inbox stream."""
    from bot.services.handoff import HandoffService
    from bot.store import Database
    from bot.store.handoffs import HandoffRepository, NewHandoff
    from bot.store.staff import StaffRepository

    db = Database(db_url)
    service = HandoffService(HandoffRepository(db), StaffRepository(db))
    active = seeded.handoff_ids["active"]
    to_agent, to_inbox = [], []
    try:
        for n in range(STREAM_TRIALS):
            handoff = active[n % len(active)]
            marker = f"bench-{uuid.uuid4().hex[:10]}"
            conversation = seeded.conversations[handoff]
            say = functools.partial(service.customer_turn, conversation, f"还是不行 {marker}")
            to_agent.append(await stream_latency(http, f"/handoffs/{handoff}/events", marker, say))
            # The inbox shows the first 12 characters of a conversation id.
            new = NewHandoff(conversation_id=f"q{uuid.uuid4().hex[:11]}", channel="wechat")
            ask = functools.partial(service.handoffs.open, new)
            to_inbox.append(await stream_latency(http, "/events", new.conversation_id, ask))
    finally:
        await db.dispose()
    return {
        "message_to_agent": {"trials": len(to_agent), **latency_summary(to_agent)},
        "request_to_inbox": {"trials": len(to_inbox), **latency_summary(to_inbox)},
    }


@contextmanager
def desk_server(db_url: str, log: Path) -> Iterator[str]:
    """``python -m bot desk`` on ``db_url``; yields its URL."""
    port = free_port()
    env = {
        **os.environ,
        "PPA_DB_URL": db_url,
        "PPA_DESK_PORT": str(port),
        "PPA_DESK_SECRET": uuid.uuid4().hex * 2,
    }
    with open(log, "ab") as out:  # Popen keeps its own copy
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "desk"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    try:
        wait_http(f"http://127.0.0.1:{port}/login", 60, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def prepare(db_url: str, plan: Plan) -> tuple[Seeded, float]:
    """Migrate and seed ``db_url``; the seeding seconds."""
    from bot.services.passwords import hash_password
    from bot.store.records import utc_now

    env = {**os.environ, "PPA_DB_URL": db_url}
    subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=ROOT, env=env, check=True)
    password_hash = asyncio.run(hash_password(PASSWORD))
    started = time.perf_counter()
    seeded = seed(db_url, plan, utc_now(), {AGENT: password_hash, SUPERVISOR: password_hash})
    return seeded, time.perf_counter() - started


async def time_export(http: aiohttp.ClientSession) -> dict[str, Any]:
    """One CSV export of every conversation (the seeded period): time, rows, size."""
    started = time.perf_counter()
    async with http.get("/reports/transcripts.csv?days=366") as response:
        body = await response.read()
        if response.status != 200:
            raise RuntimeError(f"transcripts export: HTTP {response.status}")
    seconds = time.perf_counter() - started
    out = {"s": round(seconds, 2), "rows": body.count(b"\n") - 1, "mb": round(len(body) / 1e6, 1)}
    print(f"  transcripts CSV: {out['rows']} lines, {out['mb']} MB in {seconds:.2f} s", flush=True)
    return out


async def measure(url: str, db_url: str, seeded: Seeded, requests: int) -> dict[str, Any]:
    """Pages and the CSV export (as the supervisor), then the two streams (as the agent)."""
    http = await sign_in(url, SUPERVISOR)
    try:
        pages = await time_pages(http, page_paths(seeded, requests))
        export = await time_export(http)
    finally:
        await http.close()
    http = await sign_in(url, AGENT)
    try:
        streams = await time_streams(http, db_url, seeded)
    finally:
        await http.close()
    return {"pages": pages, "transcripts_export": export, **streams}


def run_desk_bench(work: Path, plan: Plan, requests: int, db_url: str | None = None) -> dict:
    """Seed, start the desk, measure; the report's ``desk`` section."""
    db_url = db_url or f"sqlite:///{work / 'desk-bench.db'}"
    load_before = os.getloadavg()[0]
    print(f"desk: seeding {plan.cases} cases and {plan.events} tracker events …", flush=True)
    seeded, seed_s = prepare(db_url, plan)
    print(f"  seeded in {seed_s:.1f} s: {seeded.rows}", flush=True)
    with desk_server(db_url, work / "desk.log") as url:
        result = asyncio.run(measure(url, db_url, seeded, requests))
    return {
        "database": db_url.split(":", 1)[0],
        "plan": asdict(plan),
        "rows": seeded.rows,
        "seed_s": round(seed_s, 1),
        # The machine may be shared: a contended run shows itself here.
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        **result,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the desk benchmark alone; print it and write results/bench_desk.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = Plan()
    parser.add_argument("--cases", type=int, default=defaults.cases)
    parser.add_argument("--events", type=int, default=defaults.events)
    parser.add_argument("--handoffs", type=int, default=defaults.handoffs)
    parser.add_argument("--requests", type=int, default=DESK_REQUESTS, help="requests per page")
    parser.add_argument("--db-url", default=None, help="a migratable, empty database")
    args = parser.parse_args(argv)
    plan = Plan(args.cases, args.events, args.handoffs)
    with tempfile.TemporaryDirectory(prefix="ppa-bench-desk-") as name:
        desk = run_desk_bench(Path(name), plan, args.requests, args.db_url)
    report = {"desk": desk, "targets": evaluate_desk_targets(desk)}
    results = ROOT / "results"
    results.mkdir(exist_ok=True)
    (results / "bench_desk.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print()
    print(render_desk(desk))
    print()
    for t in report["targets"]:
        print(f"{t['status']:4}  {t['target']}: {t['measured']} (limit {t['limit']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
