"""The BlinkPOS link as the merchant sees it: the socket's state combined with HTTP reachability."""

from __future__ import annotations

import logging
from collections.abc import Callable

from terminal.links import LinkState

log = logging.getLogger(__name__)


def combine(socket: LinkState, http_ok: bool | None, http_rejected: bool) -> LinkState:
    """One link state from the socket's state and what the last HTTP call showed.

    A live socket means payments are pushed (UP). A dead socket with a working HTTP API means
    open invoices can still be polled (DEGRADED). Neither: DOWN, and no QR may be shown.
    """
    if socket is LinkState.REJECTED or http_rejected:
        return LinkState.REJECTED
    if socket is LinkState.UP:
        return LinkState.UP
    if http_ok is True:
        return LinkState.DEGRADED
    if http_ok is False:
        return LinkState.DOWN
    return LinkState.CONNECTING


class PosLink:
    """Tracks the two halves of the BlinkPOS link and reports the combined state when it changes."""

    def __init__(self, on_change: Callable[[LinkState, str], None]) -> None:
        self._on_change = on_change
        self._socket = LinkState.CONNECTING
        self._http_ok: bool | None = None
        self._http_rejected = False
        self._reason = "connecting to Blink"
        self.state = LinkState.CONNECTING

    def socket_changed(self, state: LinkState, reason: str) -> None:
        """The socket went up, down or was rejected."""
        self._socket = state
        self._update(reason)

    def http_answered(self) -> None:
        """An HTTP call to Blink got an answer."""
        if self._http_ok is not True or self._http_rejected:
            self._http_ok = True
            self._http_rejected = False
            self._update("Blink answers")

    def http_failed(self, reason: str, *, rejected: bool = False) -> None:
        """An HTTP call to Blink failed (``rejected``: the key was refused)."""
        if self._http_ok is not False or self._http_rejected != rejected:
            self._http_ok = False
            self._http_rejected = rejected
            self._update(reason)

    def _update(self, reason: str) -> None:
        state = combine(self._socket, self._http_ok, self._http_rejected)
        if state is self.state:
            return
        previous, self.state = self.state, state
        self._reason = reason
        if state is LinkState.UP and previous in (LinkState.DOWN, LinkState.DEGRADED):
            log.info("BlinkPOS reachable again")
        elif state is LinkState.DOWN:
            log.warning("BlinkPOS unreachable: %s", reason)
        elif state is LinkState.DEGRADED:
            log.warning("BlinkPOS socket down, HTTP works: polling open invoices (%s)", reason)
        elif state is LinkState.REJECTED:
            log.error("BlinkPOS key rejected: %s", reason)
        self._on_change(state, reason)
