"""The terminal-as-a-subprocess harness lives with the benchmarks that also use it."""

from terminal.bench.harness import TerminalProcess, poll_until, write_config

__all__ = ["TerminalProcess", "poll_until", "write_config"]
