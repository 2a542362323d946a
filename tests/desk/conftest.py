"""A real desk server (aiohttp on a free port) on the test database, and signed-in clients."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.config import Settings
from bot.desk.app import create_app
from bot.desk.config import DeskSettings
from bot.desk.services import DeskServices
from bot.services.passwords import hash_password
from bot.store import Database
from harness.servers import free_port

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Desk:
    """The running desk: its URL and services."""

    def __init__(self, url: str, services: DeskServices) -> None:
        self.url = url
        self.services = services

    async def add_staff(self, name: str, role: str) -> None:
        await self.services.staff.add(name, role, await hash_password(PASSWORD))

    async def client(self, name: str | None = None) -> tuple[aiohttp.ClientSession, str]:
        """A session (signed in as ``name`` when given) and its CSRF token."""
        # unsafe=True: the default jar ignores cookies from IP-address hosts like 127.0.0.1.
        http = aiohttp.ClientSession(
            self.url,
            timeout=aiohttp.ClientTimeout(total=30),
            cookie_jar=aiohttp.CookieJar(unsafe=True),
        )
        if name is None:
            return http, ""
        async with http.post(
            "/login", data={"name": name, "password": PASSWORD}, allow_redirects=False
        ) as response:
            assert response.status == 302, await response.text()
        async with http.get("/") as page:
            found = CSRF.search(await page.text())
        assert found is not None
        return http, found.group(1)


@pytest.fixture
async def desk(db: Database, db_url: str, tmp_path: Path) -> AsyncIterator[Desk]:
    port = free_port()
    settings = DeskSettings(
        port=port, secret="test-secret-" + "x" * 20, rasa_url="http://127.0.0.1:9", poll_seconds=0.2
    )
    services = DeskServices(db, Settings(db_url=db_url), settings)
    runner = web.AppRunner(create_app(services))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield Desk(f"http://127.0.0.1:{port}", services)
    finally:
        await runner.cleanup()
