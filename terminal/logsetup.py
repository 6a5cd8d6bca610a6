"""Logging for the entry point only: stderr (journald adds time and unit), every line redacted."""

from __future__ import annotations

import logging
import sys

from terminal.secret import redact


class RedactingFilter(logging.Filter):
    """Scrub keys from every record, including its arguments and any exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Render the traceback now, redacted, and drop the live exception object.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def configure(level: str = "info", *, stream: object = None) -> None:
    """Send logs to stderr at ``level``, redacted; journald timestamps them, so we do not."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Library chatter at INFO (every websockets frame, every httpx request) drowns the sale lines.
    for noisy in ("websockets", "httpx", "httpcore", "aiohttp", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
