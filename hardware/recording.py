"""A luma serial interface that records traffic instead of driving a bus (tests, benchmark)."""

from __future__ import annotations

from collections.abc import Iterable


class RecordingSerial:
    """Counts the command and data bytes a real luma driver sends per frame."""

    def __init__(self) -> None:
        self.command_bytes = 0
        self.data_bytes = 0
        self.transactions = 0

    def command(self, *cmd: int) -> None:
        """A command transaction."""
        self.command_bytes += len(cmd)
        self.transactions += 1

    def data(self, data: Iterable[int]) -> None:
        """A data transaction."""
        self.data_bytes += len(list(data))
        self.transactions += 1

    def cleanup(self) -> None:
        """Nothing to release."""

    def reset(self) -> None:
        """Start counting afresh."""
        self.command_bytes = self.data_bytes = self.transactions = 0
