"""Blink payment terminal: a Lightning point of sale for the Raspberry Pi."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("blink-terminal")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
