"""bot.sheet_fetch against a real HTTP server on 127.0.0.1: conditional requests and every limit."""

from __future__ import annotations

import pytest

from bot.sheet_fetch import MAX_BODY_BYTES, FetchFailed, fetch_document
from tests.sheet_server import EXAMPLE_SHEET, SheetServer


async def test_a_conditional_request_gets_a_304(sheet_server: SheetServer) -> None:
    first = await fetch_document(sheet_server.url)
    assert first.body == EXAMPLE_SHEET and first.etag == sheet_server.etag
    again = await fetch_document(sheet_server.url, etag=first.etag, last_modified="Thu, 26 Nov 2026 12:00:00 GMT")
    assert again.body is None and again.etag == first.etag
    assert sheet_server.requests[-1].headers["If-None-Match"] == first.etag
    assert sheet_server.requests[-1].headers["If-Modified-Since"] == "Thu, 26 Nov 2026 12:00:00 GMT"
    assert sheet_server.requests[-1].status == 304


async def test_up_to_five_redirects_are_followed(sheet_server: SheetServer) -> None:
    assert (await fetch_document(sheet_server.redirect_url(5))).body == EXAMPLE_SHEET
    with pytest.raises(FetchFailed, match="more than 5 redirects"):
        await fetch_document(sheet_server.redirect_url(6))


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_body_over_1_mb_is_refused(sheet_server: SheetServer, chunked: bool) -> None:
    sheet_server.body = b"x" * (MAX_BODY_BYTES + 1)
    sheet_server.chunked = chunked
    with pytest.raises(FetchFailed, match="larger than 1 MB"):
        await fetch_document(sheet_server.url)
    sheet_server.body = b"x" * MAX_BODY_BYTES
    assert len((await fetch_document(sheet_server.url)).body or b"") == MAX_BODY_BYTES


async def test_an_http_error_names_the_status(sheet_server: SheetServer) -> None:
    sheet_server.status = 404
    with pytest.raises(FetchFailed, match="HTTP 404 Not Found"):
        await fetch_document(sheet_server.url)


async def test_a_slow_server_is_given_up_on(sheet_server: SheetServer) -> None:
    sheet_server.delay = 1.0
    with pytest.raises(FetchFailed, match=r"no complete answer within 0\.1 s"):
        await fetch_document(sheet_server.url, time_limit_s=0.1)


async def test_nobody_listening_is_a_clear_reason() -> None:
    with pytest.raises(FetchFailed, match=r"cannot connect to 127\.0\.0\.1"):
        await fetch_document("http://127.0.0.1:9/sheet.csv")
