"""A published sheet on 127.0.0.1 for tests: a real aiohttp.web server whose answer a test sets.

It answers conditional requests as Google's published CSVs do (ETag, 304 when If-None-Match matches)
and records every request's headers, so a test can see what the bot sent.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

SHEET_PATH = "/sheet.csv"
HEADER = "week,figure,headline,detail,source_url,rank\n"


def sheet_csv(*rows: str) -> bytes:
    """A sheet in the documented layout; each row is `week,figure,headline,detail,source_url,rank`."""
    return (HEADER + "".join(f"{row}\n" for row in rows)).encode()


EXAMPLE_SHEET = sheet_csv(
    "2026-W48,Example 1,Example sheet headline one,Example detail.,https://example.org/sheet/1,1",
    "2026-W48,Example 2,Example sheet headline two,,https://example.org/sheet/2,2",
    "2026-W48,Example 3,Example sheet headline three,,,3",
    "2026-W49,Example 4,Example sheet headline four,,,",
)


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    status: int = 0


@dataclass
class SheetServer:
    body: bytes = EXAMPLE_SHEET
    status: int = 200
    content_type: str = "text/csv"
    chunked: bool = False
    """Stream the body without a Content-Length, so only counting what arrives can stop a huge one."""
    delay: float = 0.0
    """Seconds to wait before answering (a server slower than the bot's time limit)."""
    requests: list[Seen] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{SHEET_PATH}"

    def redirect_url(self, hops: int) -> str:
        return f"http://127.0.0.1:{self.port}/hop/{hops}"

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'

    async def _sheet(self, request: web.Request) -> web.StreamResponse:
        seen = Seen(request.path, dict(request.headers))
        self.requests.append(seen)
        response = await self._answer(request)
        seen.status = response.status
        return response

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.Response(status=self.status, text="Example failure page")
        if request.headers.get("If-None-Match") == self.etag:
            return web.Response(status=304, headers={"ETag": self.etag})
        headers = {"ETag": self.etag, "Content-Type": self.content_type}
        if not self.chunked:
            return web.Response(body=self.body, headers=headers)
        response = web.StreamResponse(headers=headers)
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(self.body), 256 * 1024):
            await response.write(self.body[start : start + 256 * 1024])
        await response.write_eof()
        return response

    async def _hop(self, request: web.Request) -> web.StreamResponse:
        hops = int(request.match_info["hops"])
        self.requests.append(Seen(request.path, dict(request.headers), 302))
        target = SHEET_PATH if hops <= 1 else f"/hop/{hops - 1}"
        raise web.HTTPFound(target)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(SHEET_PATH, self._sheet)
        app.router.add_get("/hop/{hops}", self._hop)
        return app


@pytest.fixture
async def sheet_server() -> AsyncIterator[SheetServer]:
    server = SheetServer()
    runner = web.AppRunner(server.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.port = runner.addresses[0][1]
    try:
        yield server
    finally:
        await runner.cleanup()
