"""The graphql-transport-ws client side, sans I/O: text frames in, events and text frames out.

Only shapes are checked here; what a payload *means* is for ``updates``. A frame that does
not follow the protocol becomes ``Ignored`` with a reason built from our own words (never from
the frame, which a hostile peer could fill with anything, even one of our keys).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import answers

SUBPROTOCOL = "graphql-transport-ws"


@dataclass(frozen=True)
class Acked:
    """``connection_ack``: subscriptions may be sent now (not proof the key is good)."""


@dataclass(frozen=True)
class Pinged:
    """The server sent an app-level ``ping``; answer with :func:`pong`."""


@dataclass(frozen=True)
class Ponged:
    """The server answered our app-level ``ping``."""


@dataclass(frozen=True)
class Next:
    """One result of subscription ``id``."""

    id: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class Errored:
    """Subscription ``id`` failed before or instead of running; the server has dropped it."""

    id: str
    errors: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class Completed:
    """The server ended subscription ``id``."""

    id: str


@dataclass(frozen=True)
class Ignored:
    """A frame that broke the protocol; ``reason`` is safe to log."""

    reason: str


ServerEvent = Acked | Pinged | Ponged | Next | Errored | Completed | Ignored


def connection_init(key: str | None) -> str:
    """The first frame: the key goes in ``X-API-KEY`` (an empty payload when there is none)."""
    payload = {"X-API-KEY": key} if key else {}
    return json.dumps({"type": "connection_init", "payload": payload})


def subscribe(sub_id: str, query: str, variables: Mapping[str, object] | None) -> str:
    """A ``subscribe`` frame for one operation."""
    payload = {"query": query, "variables": dict(variables or {})}
    return json.dumps({"id": sub_id, "type": "subscribe", "payload": payload})


def complete(sub_id: str) -> str:
    """A ``complete`` frame: we no longer want subscription ``sub_id``."""
    return json.dumps({"id": sub_id, "type": "complete"})


def ping() -> str:
    """An app-level ``ping``; the server answers ``pong``, proving the path is alive."""
    return json.dumps({"type": "ping"})


def pong() -> str:
    """The answer to a server ``ping``."""
    return json.dumps({"type": "pong"})


def parse_frame(frame: str | bytes) -> ServerEvent:
    """One server frame as an event; anything malformed is ``Ignored``, never raised."""
    if isinstance(frame, bytes):
        return Ignored("a binary frame")
    try:
        message = json.loads(frame)
    except (ValueError, RecursionError):
        return Ignored("a frame that is not JSON")
    if not isinstance(message, dict):
        return Ignored("a frame that is not a JSON object")
    kind = message.get("type")
    if kind == "connection_ack":
        return Acked()
    if kind == "ping":
        return Pinged()
    if kind == "pong":
        return Ponged()
    if kind not in ("next", "error", "complete"):
        return Ignored("a frame of an unknown type")
    sub_id = message.get("id")
    if not isinstance(sub_id, str) or not sub_id:
        return Ignored(f"a {kind} frame without an id")
    if kind == "complete":
        return Completed(sub_id)
    payload = message.get("payload")
    if kind == "next":
        if not isinstance(payload, dict):
            return Ignored("a next frame without an object payload")
        return Next(sub_id, payload)
    if not isinstance(payload, list) or not all(isinstance(e, dict) for e in payload):
        return Ignored("an error frame without a list of errors")
    return Errored(sub_id, tuple(payload))


def is_auth_failure(errors: object) -> bool:
    """True when an ``errors`` list says the socket is not authenticated (a bad key)."""
    return any(answers.is_auth_failure(info) for info in answers.error_infos(errors))
