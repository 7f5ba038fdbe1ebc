"""Fetching the published sheet over HTTP, defensively: a bounded time, size and number of redirects,
and a conditional request, so an unchanged sheet costs a 304 and no parsing.

Every way it can fail ends in `FetchFailed` with a short reason for the log and /pulse status.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

FETCH_TIMEOUT_S = 10.0
MAX_BODY_BYTES = 1_000_000
MAX_REDIRECTS = 5
READ_CHUNK_BYTES = 64 * 1024
USER_AGENT = "glossary-bot (weekly pulse sheet)"
ACCEPT = "text/csv, application/json;q=0.9, text/plain;q=0.5, */*;q=0.1"


class FetchFailed(Exception):
    """The sheet could not be fetched; `reason` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Fetched:
    body: bytes | None
    """None when the server answered 304 Not Modified."""
    etag: str | None
    last_modified: str | None


async def fetch_document(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    time_limit_s: float = FETCH_TIMEOUT_S,
    max_bytes: int = MAX_BODY_BYTES,
    max_redirects: int = MAX_REDIRECTS,
) -> Fetched:
    """GET `url`, sending the validators of the last good fetch; FetchFailed for anything but 200 or 304."""
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=time_limit_s)) as session,
            # aiohttp gives up on reaching its max_redirects-th redirect: one more lets that many through.
            session.get(url, headers=headers, max_redirects=max_redirects + 1) as response,
        ):
            if response.status == 304:
                return Fetched(None, response.headers.get("ETag", etag), response.headers.get("Last-Modified"))
            if response.status != 200:
                raise FetchFailed(f"the server answered HTTP {response.status} {response.reason or ''}".rstrip())
            body = await _read_capped(response, max_bytes)
            return Fetched(body, response.headers.get("ETag"), response.headers.get("Last-Modified"))
    except aiohttp.TooManyRedirects:
        raise FetchFailed(f"more than {max_redirects} redirects") from None
    except TimeoutError:
        raise FetchFailed(f"no complete answer within {time_limit_s:g} s") from None
    except aiohttp.InvalidURL:
        raise FetchFailed("the URL is not valid") from None
    except aiohttp.ClientConnectorError as error:
        raise FetchFailed(f"cannot connect to {error.host}: {error.os_error.strerror or error.os_error}") from None
    except aiohttp.ClientError as error:
        raise FetchFailed(f"the download failed: {error or type(error).__name__}") from None


async def _read_capped(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """The body, or FetchFailed as soon as it is known to exceed `max_bytes` (decompressed size counts)."""
    too_large = FetchFailed(f"the document is larger than {max_bytes / 1_000_000:g} MB")
    if response.content_length is not None and response.content_length > max_bytes:
        raise too_large
    body = bytearray()
    async for chunk in response.content.iter_chunked(READ_CHUNK_BYTES):
        body += chunk
        if len(body) > max_bytes:
            raise too_large
    return bytes(body)
