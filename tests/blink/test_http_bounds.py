"""Every BlinkHttp call is bounded: an overall deadline, and a size cap read as a stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from terminal.blink import DEFAULT_MAX_ANSWER, BlinkHttp
from terminal.errors import AnswerTooLarge, BlinkUnreachable, MalformedAnswer
from terminal.secret import Secret
from tests.support.timing import scaled

URL = "http://127.0.0.1:9/graphql"
KEY = Secret("BlinkPOS", "blink_BOUNDSkey0123456789abcdefXYZ")
CHUNK = 64 * 1024


class Trickle(httpx.AsyncByteStream):
    """An answer that never ends: one byte at a time, at the peer's own slow pace."""

    def __init__(self) -> None:
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"data": {"authorization": {"scopes": ["READ"'
        while True:
            await asyncio.sleep(0.01)  # the peer's pace, not a wait for anything in the test
            self.sent += 1
            yield b" "


class Flood(httpx.AsyncByteStream):
    """A JSON-looking answer of ``total`` bytes, generated lazily; counts what was taken."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.taken = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.taken < self.total:
            chunk = b" " * min(CHUNK, self.total - self.taken)
            self.taken += len(chunk)
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


def answering_with(
    stream: httpx.AsyncByteStream, headers: dict[str, str] | None = None
) -> BlinkHttp:
    """A BlinkHttp whose every answer is ``stream``."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=stream, headers=headers)

    return BlinkHttp(URL, KEY, timeout=0.5, transport=httpx.MockTransport(handler))


async def test_an_answer_that_trickles_is_cut_off_at_the_deadline() -> None:
    trickle = Trickle()
    http = answering_with(trickle)
    with pytest.raises(BlinkUnreachable) as caught:
        async with asyncio.timeout(scaled(10)):  # only the test's own guard
            await http.scopes()
    await http.aclose()
    assert str(caught.value) == (
        "Blink did not answer within 0.5 s while trying to read the key's scopes: "
        "check the network; the terminal will retry"
    )
    assert trickle.sent > 0, "bytes kept coming: no per-read timeout would have fired"


async def test_a_real_trickling_server_is_cut_off_although_every_read_is_quick() -> None:
    """Loopback HTTP that sends a byte every 20 ms: httpx's per-read timeout never fires."""

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        try:
            while True:
                writer.write(b"X")  # header bytes that never finish the head
                await writer.drain()
                await asyncio.sleep(0.02)  # the peer's pace
        except ConnectionError:
            pass  # the client gave up, as it should
        finally:
            writer.close()

    server = await asyncio.start_server(trickle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    http = BlinkHttp(f"http://127.0.0.1:{port}/graphql", KEY, timeout=0.5, deadline=1.0)
    try:
        with pytest.raises(BlinkUnreachable, match=r"did not answer within 1 s"):
            async with asyncio.timeout(scaled(10)):
                await http.scopes()
    finally:
        await http.aclose()
        server.close()
        await server.wait_closed()


async def test_a_huge_answer_is_refused_having_read_only_the_cap() -> None:
    flood = Flood(50 * 1024 * 1024)
    http = answering_with(flood)
    with pytest.raises(AnswerTooLarge) as caught:
        await http.scopes()
    await http.aclose()
    assert isinstance(caught.value, MalformedAnswer)
    assert str(caught.value) == (
        "Blink's answer to read the key's scopes is larger than 1,048,576 bytes, which no real "
        "answer is: a proxy may be in the way; check the Blink URL"
    )
    assert flood.taken <= DEFAULT_MAX_ANSWER + CHUNK
    assert flood.closed, "the rest was dropped, not drained"


async def test_a_declared_huge_answer_is_refused_before_its_body() -> None:
    flood = Flood(50 * 1024 * 1024)
    http = answering_with(flood, headers={"Content-Length": str(flood.total)})
    with pytest.raises(AnswerTooLarge):
        await http.scopes()
    await http.aclose()
    assert flood.taken == 0


async def test_the_cap_is_a_setting_and_an_answer_within_it_is_read() -> None:
    body = b'{"data": {"authorization": {"scopes": ["READ"]}}}'

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body)

    transport = httpx.MockTransport(handler)
    exact = BlinkHttp(URL, KEY, transport=transport, max_answer_bytes=len(body))
    assert await exact.scopes() == frozenset({"READ"})
    smaller = BlinkHttp(URL, KEY, transport=transport, max_answer_bytes=len(body) - 1)
    with pytest.raises(AnswerTooLarge, match=f"larger than {len(body) - 1} bytes"):
        await smaller.scopes()
    await exact.aclose()
    await smaller.aclose()


async def test_the_client_asks_for_an_uncompressed_answer() -> None:
    # A compressed answer could expand past the cap within a single chunk.
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"authorization": {"scopes": []}}})

    http = BlinkHttp(URL, KEY, transport=httpx.MockTransport(handler))
    await http.scopes()
    await http.aclose()
    assert seen[0].headers["Accept-Encoding"] == "identity"
