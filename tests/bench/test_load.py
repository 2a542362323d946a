"""The load driver: scenario results, round robin, real HTTP conversations."""

from __future__ import annotations

import time

from bench.load import LoadResult, Scenario, run_load, server_for


def test_load_result_summary() -> None:
    r = LoadResult(2, 3, 2.0, latencies_ms=[100.0, 200.0, 300.0, 400.0, 500.0])
    r.errors.append("HTTP 500")
    s = r.summary()
    assert s["messages"] == 6 and s["errors"] == 1
    assert s["throughput_msgs_s"] == 2.5  # five answered in two seconds
    assert s["p50"] == 300.0 and s["error_samples"] == ["HTTP 500"]


def test_round_robin_spreads_each_conversation_over_every_server() -> None:
    urls = ["a", "b"]
    assert [server_for(urls, 0, t) for t in range(4)] == ["a", "b", "a", "b"]
    assert [server_for(urls, 1, t) for t in range(2)] == ["b", "a"]
    assert {server_for(["only"], c, t) for c in range(3) for t in range(3)} == {"only"}


async def test_run_load_paces_and_alternates_over_real_http() -> None:
    """Two real HTTP servers: every message answered, order kept, both servers used."""
    from aiohttp import web

    seen: dict[str, list[tuple[str, str]]] = {}

    def app_for(name: str) -> web.Application:
        async def webhook(request: web.Request) -> web.Response:
            body = await request.json()
            seen.setdefault(body["sender"], []).append((name, body["message"]))
            return web.json_response([{"text": "ok"}])

        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", webhook)
        return app

    runners, urls = [], []
    for name in ("one", "two"):
        runner = web.AppRunner(app_for(name))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        runners.append(runner)
        urls.append(f"http://127.0.0.1:{port}/webhooks/rest/webhook")
    try:
        turns = ["一", "二", "三"]
        start = time.perf_counter()
        result = await run_load(urls, turns, Scenario("paced_4", 4, 0.2), "t")
        wall = time.perf_counter() - start
    finally:
        for runner in runners:
            await runner.cleanup()
    assert result.errors == [] and len(result.latencies_ms) == 12
    assert sorted(seen) == result.senders
    for got in seen.values():
        assert [text for _, text in got] == turns  # order kept
        assert {server for server, _ in got} == {"one", "two"}  # no affinity
    assert wall >= 2 * 0.2  # two pauses between three turns
