"""What a battery reading means for the terminal: NORMAL, LOW or CRITICAL. Pure: no I/O, no clock.

Rules, in order of importance:

1. A battery that is charging never makes the terminal shut down: CRITICAL falls back to LOW
   the moment a charger is seen (a shutdown not yet under way is called off).
2. A gauge that cannot be read never makes it shut down either: an unreadable reading changes
   nothing, and it breaks a run of critical readings (they must be consecutive).
3. CRITICAL needs ``confirm`` readings in a row at or below ``critical_percent``: one dip under
   load (a voltage-based gauge sags while the Wi-Fi transmits) is not an empty battery.
4. Hysteresis: LOW is entered at or below ``low_percent`` and left only at
   ``low_percent + hysteresis_percent`` or above, so a level that wavers around the threshold
   warns once, not every poll. Once CRITICAL, only a charger leaves it: a battery that recovers
   a few percent when the load drops is still nearly empty.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from terminal.screens.model import Battery


class PowerState(enum.Enum):
    """The terminal's power state."""

    NORMAL = "normal"
    LOW = "low"  # warn once, then an icon
    CRITICAL = "critical"  # no new sales; finish the forwards; power off


@dataclass(frozen=True)
class Thresholds:
    """Where LOW and CRITICAL begin, in whole percent."""

    low_percent: int = 20
    critical_percent: int = 7
    hysteresis_percent: int = 3
    confirm: int = 2  # consecutive critical readings before CRITICAL

    def __post_init__(self) -> None:
        if not 0 <= self.critical_percent < self.low_percent <= 100:
            raise ValueError("need 0 <= critical_percent < low_percent <= 100")
        if self.confirm < 1 or self.hysteresis_percent < 0:
            raise ValueError("need confirm >= 1 and hysteresis_percent >= 0")


@dataclass(frozen=True)
class Change:
    """What one reading did: the state before and after (equal when nothing changed)."""

    before: PowerState
    after: PowerState

    @property
    def changed(self) -> bool:
        """True when the state moved."""
        return self.before is not self.after


class PowerPolicy:
    """Feed each reading to :meth:`reading`; it says what the state became."""

    def __init__(self, thresholds: Thresholds) -> None:
        self._t = thresholds
        self.state = PowerState.NORMAL
        self._critical_run = 0

    def reading(self, battery: Battery | None) -> Change:
        """Apply one gauge reading (None: the gauge did not answer)."""
        before = self.state
        self.state = self._next(battery)
        return Change(before, self.state)

    def _next(self, battery: Battery | None) -> PowerState:
        t = self._t
        if battery is None:
            self._critical_run = 0
            return self.state
        percent = battery.percent
        if battery.charging:
            self._critical_run = 0
            if self.state is PowerState.CRITICAL:
                return PowerState.LOW
            return self._low_or_normal(percent)
        if percent <= t.critical_percent:
            self._critical_run += 1
            if self._critical_run >= t.confirm:
                return PowerState.CRITICAL
        else:
            self._critical_run = 0
        if self.state is PowerState.CRITICAL:
            return PowerState.CRITICAL
        return self._low_or_normal(percent)

    def _low_or_normal(self, percent: int) -> PowerState:
        t = self._t
        if percent <= t.low_percent:
            return PowerState.LOW
        if self.state is PowerState.NORMAL or percent >= t.low_percent + t.hysteresis_percent:
            return PowerState.NORMAL
        return PowerState.LOW  # inside the hysteresis band: stay low
