"""The screen's state machine: events in, effects out, no I/O (h11-style)."""

from __future__ import annotations

import logging
from dataclasses import replace

from terminal.errors import IllegalTransition
from terminal.flow.effects import Effect, Show
from terminal.flow.events import Event
from terminal.flow.state import Context, FlowConfig, FlowState
from terminal.flow.table import TABLE
from terminal.links import LinkState
from terminal.screens.model import Screen

log = logging.getLogger(__name__)


class Machine:
    """One terminal's screen flow: feed each event to :meth:`handle`, carry out what it returns."""

    def __init__(self, config: FlowConfig) -> None:
        self._ctx = Context(config)

    @property
    def state(self) -> FlowState:
        """The current state."""
        return self._ctx.state

    @property
    def screen(self) -> Screen:
        """What the display should show now (the last ``Show``, or the start-up screen)."""
        return self._ctx.screen

    @property
    def links(self) -> tuple[LinkState, LinkState]:
        """The BlinkPOS and merchant link states, as last told."""
        return self._ctx.pos, self._ctx.merchant

    @property
    def shown_sale_id(self) -> str | None:
        """The sale whose invoice is (or was last) on screen, until the flow goes home."""
        return self._ctx.sale.sale_id if self._ctx.sale else None

    def start(self) -> list[Effect]:
        """The effect that draws the start-up screen; changes nothing."""
        return [Show(self._ctx.screen)]

    def handle(self, event: Event) -> list[Effect]:
        """Apply ``event``; return the effects to carry out, in order.

        Raises :class:`IllegalTransition` (and changes nothing) for an event the current state
        does not allow, or a move its rule does not list: a bug in the shell or the handlers,
        not something the world can cause.
        """
        current = self._ctx.state
        rule = TABLE[current].get(type(event))
        if rule is None:
            raise IllegalTransition(current.name, type(event).__name__)
        # Handlers check before they change anything; the snapshot makes "an error changes
        # nothing" hold even for a handler that gets that wrong.
        snapshot = replace(self._ctx, abandoned=set(self._ctx.abandoned))
        try:
            outcome = rule.handler(self._ctx, event)
        except BaseException:
            self._ctx = snapshot
            raise
        target = current if outcome.to is None else outcome.to
        if not rule.allows(current, target):
            self._ctx = snapshot
            raise IllegalTransition(
                current.name, f"{type(event).__name__} -> {target.name} is not in the table"
            )
        self._ctx.state = target
        if target is not current:
            log.debug("flow %s -> %s on %s", current.name, target.name, type(event).__name__)
        return outcome.effects
