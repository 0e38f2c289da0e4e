"""Mains power and the UPS battery at one site.

Every device at a site shares one :class:`SitePower`. During a power cut the
UPS runs on battery: charge drains linearly over the battery's runtime, and
when it reaches zero the site's other devices lose power (they stop answering).
When mains returns, devices that lost power boot again, and the battery
recharges linearly. The UPS's own management card is modelled as staying
reachable throughout, so a poller can watch the battery go flat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

# A flat battery takes this long to recharge fully (typical for a small site UPS).
RECHARGE_S = 6 * 3600.0
# RFC 1628 batteryLow means runtime <= upsConfigLowBattTime; we report it as a share of full runtime.
LOW_BATTERY_SHARE = 0.2


@dataclass(slots=True)
class SitePower:
    """Mains state and battery charge at one site.

    Args:
        runtime_s: Battery runtime from full charge at the site's normal load.
        charge: Charge in percent at ``since``.
        since: Simulated time the current state (mains or battery) began.
    """

    runtime_s: float
    charge: float = 100.0
    since: float = 0.0
    on_battery: bool = False
    cut_runtime_s: float = 0.0
    cuts: int = 0
    # Called with the restore time for each device that lost power, so it reboots.
    on_restore: list[Callable[[float], None]] = field(default_factory=list)

    def charge_at(self, t: float) -> float:
        """Battery charge in percent at ``t``."""
        dt = max(0.0, t - self.since)
        if self.on_battery:
            return max(0.0, self.charge - dt / self.cut_runtime_s * 100.0)
        return min(100.0, self.charge + dt / RECHARGE_S * 100.0)

    def depleted_at(self) -> float | None:
        """When the battery runs flat during the current cut, or ``None`` on mains."""
        if not self.on_battery:
            return None
        return self.since + self.charge / 100.0 * self.cut_runtime_s

    def powered(self, t: float) -> bool:
        """Whether the site's load (not the UPS card) has power at ``t``."""
        flat = self.depleted_at()
        return flat is None or t < flat

    def seconds_on_battery(self, t: float) -> int:
        return int(t - self.since) if self.on_battery and t > self.since else 0

    def minutes_remaining(self, t: float) -> int:
        runtime = self.cut_runtime_s if self.on_battery else self.runtime_s
        return int(self.charge_at(t) / 100.0 * runtime / 60.0)

    def battery_status(self, t: float) -> int:
        """RFC 1628 upsBatteryStatus: normal(2), low(3), depleted(4)."""
        charge = self.charge_at(t)
        if charge <= 0.0:
            return 4
        if self.on_battery and charge <= LOW_BATTERY_SHARE * 100.0:
            return 3
        return 2

    def output_source(self, t: float) -> int:
        """RFC 1628 upsOutputSource: normal(3), battery(5), none(2) once flat."""
        if not self.on_battery:
            return 3
        return 5 if self.powered(t) else 2

    def cut(self, t: float, runtime_s: float | None = None) -> None:
        """Mains fails at ``t``. ``runtime_s`` overrides how long the battery lasts from now."""
        if self.on_battery:
            return
        charge = self.charge_at(t)
        self.charge, self.since, self.on_battery = charge, t, True
        self.cuts += 1
        if runtime_s is not None:
            # Express the override as a full-charge runtime so charge and minutes stay consistent.
            self.cut_runtime_s = max(runtime_s, 1.0) * 100.0 / max(charge, 1.0)
        else:
            self.cut_runtime_s = self.runtime_s

    def restore(self, t: float) -> None:
        """Mains returns at ``t``; devices that went dark boot now."""
        if not self.on_battery:
            return
        lost_power = not self.powered(t)
        self.charge, self.since, self.on_battery = self.charge_at(t), t, False
        if lost_power:
            for callback in self.on_restore:
                callback(t)
