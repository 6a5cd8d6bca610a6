"""What the sandbox has served: HTTP requests per operation, sockets, subscriptions.

Tests count the terminal's calls with it (per idle hour, per sale) to keep it within Blink's
rate limits (API-NOTES §6).
"""

from __future__ import annotations

from collections import Counter

ANONYMOUS = "(anonymous)"


class Stats:
    """Counters since the sandbox started or was last cleared."""

    def __init__(self) -> None:
        self.http: Counter[str] = Counter()
        self.subscriptions: Counter[str] = Counter()
        self.ws_connections = 0
        self.price_rounds = 0  # rounds of the price ticker, published or (stale) not
        self.price_ticks = 0  # rounds that published prices

    def count_http(self, operation: str | None) -> None:
        """One ``POST /graphql``, by its operation name."""
        self.http[operation or ANONYMOUS] += 1

    def count_subscription(self, operation: str | None) -> None:
        """One ``subscribe`` message, by its operation name."""
        self.subscriptions[operation or ANONYMOUS] += 1

    def count_ws(self) -> None:
        """One WebSocket connection accepted (upgraded)."""
        self.ws_connections += 1

    def clear(self) -> None:
        """Start counting again from zero."""
        self.http.clear()
        self.subscriptions.clear()
        self.ws_connections = 0
        self.price_rounds = self.price_ticks = 0

    def describe(self) -> dict[str, object]:
        """The counters, for ``GET /control/stats``."""
        return {
            "http": dict(self.http),
            "httpTotal": sum(self.http.values()),
            "wsConnections": self.ws_connections,
            "subscriptions": dict(self.subscriptions),
            "priceRounds": self.price_rounds,
            "priceTicks": self.price_ticks,
        }
