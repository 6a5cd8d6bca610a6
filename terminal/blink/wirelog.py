"""websockets' own debug log, passed through ``redact()`` and stripped of frame contents."""

from __future__ import annotations

import logging
import re
from typing import Any

from terminal.secret import redact

# websockets' debug lines quote frames, abridged to head...tail: the tail of a key survives an
# abridged quote that redact() cannot recognise, so frame contents are dropped altogether.
_FRAME_LINE = re.compile(r"^([<>] (?:TEXT|BINARY|CONT)) .*(\[\d+ bytes?\])$", re.DOTALL)


class RedactingLogger(logging.LoggerAdapter[logging.Logger]):
    """Hands websockets' own debug lines through ``redact()``, without frame contents."""

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        """Log one websockets line, redacted, without a traceback that could quote a frame."""
        if not self.isEnabledFor(level):
            return
        try:
            text = str(msg) % args if args else str(msg)
        except (TypeError, ValueError):
            text = str(msg)
        kwargs.pop("exc_info", None)  # a traceback could quote a frame; the line is enough
        text = _FRAME_LINE.sub(r"\1 \2", text)
        self.logger.log(level, "%s", redact(text), **kwargs)
