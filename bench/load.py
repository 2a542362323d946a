"""The load driver: case intakes over HTTP, closed loop or paced, round robin.

Each conversation is a sender that sends its turns one after another over the REST
webhook; a scenario runs ``conversations`` of them at once. ``parse_latencies`` times
``POST /model/parse`` the same way for the NLU figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.stats import latency_summary
from harness.servers import intake_turns


@dataclass(frozen=True)
class Scenario:
    """``conversations`` case intakes at once; ``think_s`` pause after each reply."""

    name: str
    conversations: int
    think_s: float = 0.0


# Closed loop: each conversation sends its next message the moment the reply comes
# (the server's saturation point). "paced_50" is 50 customers who each take a
# second to read and answer, starting spread over that second: a hard pace for
# people typing Chinese, and the load the 50-conversation targets describe.
THINK_S = 1.0
SCENARIOS = (
    Scenario("sequential", 1),
    Scenario("concurrent_10", 10),
    Scenario("concurrent_50", 50),
    Scenario("paced_50", 50, THINK_S),
)
QUICK_SCENARIOS = SCENARIOS[:2]
NLU_WARMUP = 10
REQUEST_TIMEOUT_S = 60.0
SCENARIO_TIMEOUT_S = 240.0

# The e2e suite's full case intake, then accepting the suggested severity and
# confirming the summary: 13 turns, one case opened.
INTAKE_TURNS: tuple[str, ...] = (*intake_turns("张演示", "13800000001"), "好", "确认")


@dataclass
class LoadResult:
    """What one load scenario measured."""

    conversations: int
    turns: int
    wall_s: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    senders: list[str] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return self.conversations * self.turns

    def summary(self) -> dict[str, Any]:
        """The JSON form: counts, throughput, percentiles, a few error samples."""
        ok = len(self.latencies_ms)
        return {
            "conversations": self.conversations,
            "messages": self.messages,
            "errors": len(self.errors),
            "error_samples": sorted(set(self.errors))[:5],
            "wall_s": round(self.wall_s, 3),
            "throughput_msgs_s": round(ok / self.wall_s, 2) if self.wall_s > 0 else 0.0,
            **latency_summary(self.latencies_ms),
            "latencies_ms": [round(v, 1) for v in self.latencies_ms],
        }


def server_for(urls: Sequence[str], conversation: int, turn: int) -> str:
    """Round robin per message, no affinity: what any HTTP load balancer may do."""
    return urls[(conversation + turn) % len(urls)]


async def send_turn(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> str | None:
    """POST one message; the error (non-200, exception, empty reply) or None."""
    try:
        async with session.post(url, json={"sender": sender, "message": text}) as resp:
            body = await resp.text()
            if resp.status != 200:
                return f"HTTP {resp.status}"
            if not json.loads(body):
                return "empty reply"
            return None
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"[:200]


async def converse(
    session: aiohttp.ClientSession,
    urls: Sequence[str],
    index: int,
    turns: Sequence[str],
    scenario: Scenario,
    result: LoadResult,
) -> None:
    """One conversation, turn after turn, recording each turn's latency or error."""
    sender = result.senders[index]
    if scenario.think_s:  # spread the starts over one pause
        await asyncio.sleep(scenario.think_s * index / scenario.conversations)
    for turn, text in enumerate(turns):
        if turn and scenario.think_s:
            await asyncio.sleep(scenario.think_s)
        start = time.perf_counter()
        error = await send_turn(session, server_for(urls, index, turn), sender, text)
        if error is None:
            result.latencies_ms.append((time.perf_counter() - start) * 1000)
        else:
            result.errors.append(error)


async def run_load(
    urls: Sequence[str], turns: Sequence[str], scenario: Scenario, prefix: str
) -> LoadResult:
    """The scenario's conversations at once, bounded by SCENARIO_TIMEOUT_S."""
    conversations = scenario.conversations
    senders = [f"{prefix}-{i:02d}" for i in range(conversations)]
    result = LoadResult(conversations, len(turns), 0.0, senders=senders)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    connector = aiohttp.TCPConnector(limit=conversations)
    start = time.perf_counter()
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        jobs = [converse(session, urls, i, turns, scenario, result) for i in range(conversations)]
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.gather(*jobs), SCENARIO_TIMEOUT_S)
    result.wall_s = time.perf_counter() - start
    unsent = result.messages - len(result.latencies_ms) - len(result.errors)
    result.errors += ["not sent: scenario time limit"] * unsent
    return result


async def parse_latencies(base_url: str, texts: Sequence[str]) -> list[float]:
    """``POST /model/parse`` latency (ms) of every text, after NLU_WARMUP untimed parses.

    Through the running server (loopback HTTP adds ≈ 1 ms to both bots alike), so the
    benchmark loads each model once, in its server.
    """
    url = f"{base_url}/model/parse"
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    latencies = []
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for i, text in enumerate([*texts[:NLU_WARMUP], *texts]):
            start = time.perf_counter()
            async with session.post(url, json={"text": text}) as resp:
                resp.raise_for_status()
                await resp.read()
            if i >= NLU_WARMUP:
                latencies.append((time.perf_counter() - start) * 1000)
    return latencies
