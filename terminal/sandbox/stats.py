"""What the sandbox has served: HTTP requests per operation, sockets, subscriptions.

Tests count the terminal's calls with it (per idle hour, per sale) to keep it within Blink's
rate limits (API-NOTES §6). Benchmarks read when the latest requests arrived: the time a request
reached the sandbox, before its injected latency and its own parsing (several ms of graphql-core).
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass

ANONYMOUS = "(anonymous)"
ARRIVALS_KEPT = 200  # the latest requests' times: enough for a benchmark's one sale


@dataclass
class Served:
    """One HTTP request's time in the sandbox (``time.monotonic()``): ``arrived`` before any
    injected latency and before parsing, ``answered`` once its handler returned (None before)."""

    operation: str
    arrived: float
    answered: float | None = None


class Stats:
    """Counters since the sandbox started or was last cleared."""

    def __init__(self) -> None:
        self.http: Counter[str] = Counter()
        self.subscriptions: Counter[str] = Counter()
        self.ws_connections = 0
        self.price_rounds = 0  # rounds of the price ticker, published or (stale) not
        self.price_ticks = 0  # rounds that published prices
        self.served: deque[Served] = deque(maxlen=ARRIVALS_KEPT)  # the latest HTTP requests

    def count_http(self, operation: str | None, arrived_at: float | None = None) -> Served | None:
        """One ``POST /graphql``, by its operation name; ``arrived_at``: ``time.monotonic()``
        when it reached the sandbox. Its record, to stamp when it is answered."""
        name = operation or ANONYMOUS
        self.http[name] += 1
        if arrived_at is None:
            return None
        record = Served(name, arrived_at)
        self.served.append(record)
        return record

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
        self.served.clear()

    def describe(self) -> dict[str, object]:
        """The counters, for ``GET /control/stats``."""
        return {
            "http": dict(self.http),
            "httpTotal": sum(self.http.values()),
            "wsConnections": self.ws_connections,
            "subscriptions": dict(self.subscriptions),
            "priceRounds": self.price_rounds,
            "priceTicks": self.price_ticks,
            "served": [[s.operation, s.arrived, s.answered] for s in self.served],
        }
