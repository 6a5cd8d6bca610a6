"""Every link's state in one place: what the screen, the LEDs and systemd are told.

The parts that talk to Blink report what they see here, and only here: the BlinkPOS socket and
its HTTP calls (detection), the wallet lookup, the merchant socket. The board combines them into
one state per link and tells one listener when a combined state changes. Nothing here calls back
into the reporters, so information flows one way: Blink → reporters → board → screen and LEDs.

The BlinkPOS link combines three things:

* the socket: UP means payments are pushed;
* HTTP: a dead socket with a working HTTP API still lets open invoices be polled (DEGRADED);
  neither is DOWN, and no QR may be shown; a refused key is REJECTED whichever path saw it; a
  socket still making its first connection is CONNECTING whatever HTTP says, and a socket Blink
  refuses (FAULT) stays a fault whatever HTTP says;
* the wallets: until both wallet ids are known no sale can start, so the link is not ready
  (CONNECTING, with the reason) however well it detects payments;
* the other gates a sale waits for, with their reasons: the clock (not synchronised yet: no
  sale, forwards go on), a shutdown under way (no new sale, forwards go on) and the journal
  (found on another device: nothing at all).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from terminal.links import LinkState

log = logging.getLogger(__name__)

_WAITING_FOR_CLOCK = "Waiting for the clock (time sync): no sale until it is right"
# Neither the socket nor HTTP reaches Blink: on a stall that is the phone hotspot, nearly always.
_NO_NETWORK = "No network: Blink cannot be reached"
_FINDING_WALLETS = "finding the wallets"
_ALSO_THE_CLOCK = "waiting for the clock (time sync)"


@dataclass(frozen=True)
class Links:
    """The combined state of both links, with a short key-free reason for the screen."""

    pos: LinkState = LinkState.CONNECTING
    pos_reason: str = "connecting to Blink"
    merchant: LinkState = LinkState.OFF
    merchant_reason: str = ""


def combine(socket: LinkState, http_ok: bool | None, http_rejected: bool) -> LinkState:
    """One BlinkPOS state from the socket's state and what the last HTTP call showed."""
    if socket is LinkState.REJECTED or http_rejected:
        return LinkState.REJECTED
    if socket is LinkState.FAULT:
        return LinkState.FAULT  # Blink refuses push detection: HTTP alone must not hide that
    if socket in (LinkState.UP, LinkState.CONNECTING):
        # Still connecting: wait for the socket's first answer (up, down, refused) before
        # settling for polling; a refusal must never be preceded by a moment of "ready".
        return socket
    if http_ok is True:
        return LinkState.DEGRADED
    if http_ok is False:
        return LinkState.DOWN
    return LinkState.CONNECTING


class LinkBoard:
    """Collects what every reporter sees; tells ``on_change`` each time the combination changes."""

    def __init__(self, on_change: Callable[[Links], None], *, merchant: bool) -> None:
        self._on_change = on_change
        self._socket = LinkState.CONNECTING
        self._http_ok: bool | None = None
        self._http_rejected = False
        self._wallets_known = False
        self._wallets_problem = ""
        self._clock_synced = True
        self._journal_problem = ""
        self._sales_stopped = ""
        self._reason = "connecting to Blink"
        self._merchant = LinkState.CONNECTING if merchant else LinkState.OFF
        self._merchant_reason = ""
        self.links = Links(merchant=self._merchant)

    # --- reports ------------------------------------------------------------------------------

    def pos_socket(self, state: LinkState, reason: str) -> None:
        """The BlinkPOS socket went up, down, or had its key refused."""
        self._socket = state
        self._update(reason)

    def pos_http_answered(self) -> None:
        """An HTTP call to Blink with the BlinkPOS key got an answer."""
        if self._http_ok is not True or self._http_rejected:
            self._http_ok, self._http_rejected = True, False
            self._update("Blink answers")

    def pos_http_failed(self, reason: str, *, rejected: bool = False) -> None:
        """An HTTP call to Blink failed (``rejected``: the BlinkPOS key was refused)."""
        if self._http_ok is not False or self._http_rejected != rejected:
            self._http_ok, self._http_rejected = False, rejected
            self._update(reason)

    def wallets_found(self) -> None:
        """Both wallet ids are known: sales may start once payments are detected."""
        self._wallets_known, self._wallets_problem = True, ""
        self._update("wallets found")

    def wallets_missing(self, problem: str) -> None:
        """The wallets cannot be looked up for a reason the operator must fix; say which."""
        self._wallets_problem = problem
        self._update(problem)

    def clock(self, synchronised: bool) -> None:
        """Whether the wall clock can be believed yet (a Pi has no RTC)."""
        self._clock_synced = synchronised
        self._update("clock synchronised" if synchronised else _WAITING_FOR_CLOCK)

    def sales_stopped(self, why: str | None) -> None:
        """No new sale (a shutdown is under way, ``why``); None: sales may start again."""
        self._sales_stopped = why or ""
        self._update(why or "sales may start again")

    def journal_refused(self, problem: str) -> None:
        """The journal is not this terminal's to use (another device, another BlinkPOS)."""
        self._journal_problem = problem
        self._update(problem)

    def merchant_socket(self, state: LinkState, reason: str) -> None:
        """The merchant's socket changed state."""
        self._merchant, self._merchant_reason = state, reason
        self._publish(self.links.pos, self.links.pos_reason)

    # --- the combination ----------------------------------------------------------------------

    def _blocker(self) -> str | None:
        """Why no sale may start although payments would be detected, or None."""
        if self._journal_problem:
            return self._journal_problem
        if self._sales_stopped:
            return self._sales_stopped
        if not self._wallets_known:
            return self._wallets_problem or _FINDING_WALLETS
        if not self._clock_synced:
            return _WAITING_FOR_CLOCK
        return None

    def _pos_state(self) -> LinkState:
        state = combine(self._socket, self._http_ok, self._http_rejected)
        if state.detects_payments and self._blocker() is not None:
            return LinkState.CONNECTING
        return state

    def _update(self, reason: str) -> None:
        state = self._pos_state()
        if state is not self.links.pos:
            self._log_change(self.links.pos, state, reason)  # the log keeps the detail
        shown = reason if state.detects_payments else self._waiting_for(state, reason)
        if state is self.links.pos and (state.detects_payments or shown == self.links.pos_reason):
            # Same state: only a not-ready screen shows the reason, so only there is it news.
            return
        self._publish(state, shown)

    def _waiting_for(self, state: LinkState, reason: str) -> str:
        """What a not-ready screen says: everything the first sale waits for, in few words.

        A stall booting on a phone hotspot waits for two things at once, the network and the
        clock; the screen names both, so the merchant knows which one is still missing.
        """
        blocker = self._blocker()
        if blocker not in (None, _FINDING_WALLETS, _WAITING_FOR_CLOCK):
            return blocker  # an operator's problem (journal, wallets): nothing else matters
        if state is LinkState.DOWN:
            reason = _NO_NETWORK
        elif state is LinkState.CONNECTING and blocker == _WAITING_FOR_CLOCK:
            reason = ""  # detection works: only the clock is missing
        if not self._clock_synced:
            reason = f"{reason}; {_ALSO_THE_CLOCK}" if reason else _WAITING_FOR_CLOCK
        return reason

    def _publish(self, pos: LinkState, pos_reason: str) -> None:
        links = Links(pos, pos_reason, self._merchant, self._merchant_reason)
        if links != self.links:
            self.links = links
            self._on_change(links)

    @staticmethod
    def _log_change(previous: LinkState, state: LinkState, reason: str) -> None:
        # One line per change ("unreachable" once, "reachable again" once), never per retry.
        if state is LinkState.UP and previous in (LinkState.DOWN, LinkState.DEGRADED):
            log.info("BlinkPOS reachable again")
        elif state is LinkState.DOWN:
            log.warning("BlinkPOS unreachable: %s", reason)
        elif state is LinkState.DEGRADED and previous is LinkState.CONNECTING:
            log.info("Blink answers over HTTP; its socket is still connecting")
        elif state is LinkState.DEGRADED:
            log.warning("BlinkPOS socket down, HTTP works: polling open invoices (%s)", reason)
        elif state is LinkState.REJECTED:
            log.error("BlinkPOS key rejected: %s", reason)
        elif state is LinkState.FAULT:
            log.error("BlinkPOS payment detection refused: %s", reason)
