"""One GraphQL POST to Blink, bounded in time and size, every failure mapped into the error tree.

httpx's timeout bounds each read, not a whole call: a peer trickling a byte a second would keep
a call (and "Creating invoice…" on screen) alive for ever. So every call runs under one overall
deadline, and its answer is streamed and cut off at a size cap, so a hostile or broken peer can
neither hold the terminal nor fill a Pi Zero's 512 MB.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from terminal.errors import (
    AnswerTooLarge,
    BlinkUnreachable,
    KeyRejected,
    MalformedAnswer,
    RateLimited,
)
from terminal.secret import Secret

from .answers import DEFAULT_RETRY_AFTER, MAX_RETRY_AFTER, error_infos, raise_for_errors

log = logging.getLogger(__name__)

DEFAULT_MAX_ANSWER = 1024 * 1024
"""The largest HTTP answer read: Blink's answers to the terminal are a few kilobytes."""

_OPERATION_NAME = re.compile(r"^\s*(?:query|mutation)\s+([_A-Za-z][_0-9A-Za-z]*)")


def parse_retry_after(value: str | None, now: float | None = None) -> float:
    """Seconds from a ``Retry-After`` header (seconds or HTTP date), else the default.

    Always within 0..``MAX_RETRY_AFTER``, whatever the header says.
    """
    if not value:
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return DEFAULT_RETRY_AFTER
        seconds = when.timestamp() - (time.time() if now is None else now)
    return min(MAX_RETRY_AFTER, max(0.0, seconds))  # NaN falls to 0.0 at max()


def parse_date(value: str | None) -> datetime | None:
    """An HTTP ``Date`` header as an aware datetime, or None if absent or unreadable."""
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else None


@dataclass(frozen=True)
class Answer:
    """The ``data`` of one GraphQL answer, and the server's ``Date`` header (Blink's clock)."""

    data: Mapping[str, Any]
    date: datetime | None


class GraphQLPoster:
    """One key's POSTs to Blink's GraphQL endpoint."""

    def __init__(
        self,
        url: str,
        key: Secret | None,
        *,
        key_name: str,
        timeout: float,
        deadline: float,
        max_answer_bytes: int,
        transport: httpx.AsyncBaseTransport | None,
        on_reach: Callable[[bool], None] | None = None,
    ) -> None:
        self._url = url
        self._on_reach = on_reach
        self._key_name = key_name
        self._deadline = deadline
        self._max_answer = max_answer_bytes
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            # A compressed answer could expand far beyond the size cap within one chunk.
            "Accept-Encoding": "identity",
        }
        if key is not None:
            headers["X-API-KEY"] = key.reveal()
        self._client = httpx.AsyncClient(
            headers=headers, timeout=httpx.Timeout(timeout), transport=transport
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def post(
        self, document: str, variables: Mapping[str, object], *, scope: str, operation: str
    ) -> Answer:
        """Send one document; return its ``data`` and date, or raise from the error tree."""
        body: dict[str, object] = {"query": document, "variables": dict(variables)}
        name = _OPERATION_NAME.search(document)
        if name:
            # Named like Blink's own clients do: server logs, rate limits and the sandbox's
            # fault injection see which operation this is.
            body["operationName"] = name.group(1)
        try:
            async with asyncio.timeout(self._deadline):
                status, headers, content = await self._exchange(body, operation)
        except (TimeoutError, httpx.TimeoutException) as exc:
            self._reached(False)
            raise BlinkUnreachable(
                f"Blink did not answer within {self._deadline:g} s while trying to {operation}: "
                "check the network; the terminal will retry"
            ) from exc
        except httpx.HTTPError as exc:
            self._reached(False)
            raise BlinkUnreachable(
                f"cannot reach Blink to {operation} ({type(exc).__name__}): check the network "
                "and the Blink URL; the terminal will retry"
            ) from exc
        self._reached(status < 500)
        return Answer(
            self._data(status, headers, content, scope, operation), parse_date(headers.get("Date"))
        )

    def _reached(self, answered: bool) -> None:
        # Whoever made the call, an answer proves the HTTP path works again (forwards waiting
        # out a backoff may go now); the listener is told every time and keeps what it needs.
        if self._on_reach is not None:
            self._on_reach(answered)

    async def _exchange(
        self, body: Mapping[str, object], operation: str
    ) -> tuple[int, httpx.Headers, bytes]:
        """POST ``body`` and read the answer, never more than the cap (plus one chunk) of it."""
        async with self._client.stream("POST", self._url, json=body) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self._max_answer:
                raise self._too_large(operation)
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self._max_answer:
                    raise self._too_large(operation)  # leaving the block drops the rest unread
                chunks.append(chunk)
            return response.status_code, response.headers, b"".join(chunks)

    def _too_large(self, operation: str) -> AnswerTooLarge:
        return AnswerTooLarge(
            f"Blink's answer to {operation} is larger than {self._max_answer:,} bytes, which no "
            "real answer is: a proxy may be in the way; check the Blink URL"
        )

    def _data(
        self, status: int, headers: httpx.Headers, content: bytes, scope: str, operation: str
    ) -> Mapping[str, Any]:
        if status == 401:
            raise KeyRejected(self._key_name)
        if status == 429:
            raise RateLimited(
                f"Blink is limiting requests (HTTP 429) while trying to {operation}: "
                "the terminal will wait and retry",
                retry_after=parse_retry_after(headers.get("Retry-After")),
            )
        if status >= 500:
            raise BlinkUnreachable(
                f"Blink had a server error (HTTP {status}) while trying to {operation}: "
                "the terminal will retry"
            )
        answer = _json(content, status, operation)
        data = answer.get("data")
        infos = error_infos(answer.get("errors"))
        if infos and not (isinstance(data, Mapping) and any(v is not None for v in data.values())):
            raise_for_errors(infos, key_name=self._key_name, scope=scope, operation=operation)
        if status >= 400:
            raise MalformedAnswer(
                f"Blink answered HTTP {status} without an explanation while trying to "
                f"{operation}: update the terminal"
            )
        if not isinstance(data, Mapping):
            raise MalformedAnswer(
                f"Blink's answer to {operation} has no data: the API may have changed"
            )
        if infos:
            log.warning("Blink answered %s with data and errors: %s", operation, infos)
        return data


def _json(content: bytes, status: int, operation: str) -> Mapping[str, Any]:
    try:
        answer = json.loads(content)
    # RecursionError: a hostile or broken peer's deeply nested "[[[[..." is garbage too.
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise MalformedAnswer(
            f"Blink's answer to {operation} is not JSON (HTTP {status}): "
            "a proxy may be in the way; check the Blink URL"
        ) from exc
    if not isinstance(answer, Mapping):
        raise MalformedAnswer(f"Blink's answer to {operation} is not a JSON object")
    return answer
