"""Faults injected at run time (through the control API or ``cunlink sim fault``).

Each fault kind is a row in :data:`FAULTS`: its parameter struct, what applying
it does, what clearing it does, and whether it stays active until cleared.

    down       the device stops answering SNMP (v2c and v3) until cleared
    link_down  interface ``ifindex`` (default: the backhaul/uplink) goes
               operStatus down(2); its counters stop; a gNB's cells go
               disabled when its backhaul is down
    reboot     one-shot: sysUpTime and every counter restart from 0; with
               ``downtime_s`` the device is silent while it boots
    slow       every answer is delayed by ``delay_ms``
    power_cut  mains fails at the device's site: the UPS goes on battery and
               drains (``runtime_s`` overrides how long it lasts); when flat,
               the site's other devices stop answering; clearing restores
               mains and those devices boot again

With a trap sender (``--trap-target``), link_down and power_cut also send the
matching SNMPv2c notifications (simulator/traps.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

import msgspec

from simulator.clock import SimClock
from simulator.device import SimDevice
from simulator.registry import DeviceSet
from simulator.traps import TrapSender

FaultName = Literal["down", "link_down", "reboot", "slow", "power_cut", "no_bulk"]


class FaultError(Exception):
    """A fault request is invalid; ``status`` is the HTTP status the control API answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class _Params(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass


class DownParams(_Params, frozen=True):
    pass


class LinkDownParams(_Params, frozen=True):
    ifindex: int | None = None


class RebootParams(_Params, frozen=True):
    downtime_s: float = 0.0


class SlowParams(_Params, frozen=True):
    delay_ms: float = 500.0


class NoBulkParams(_Params, frozen=True):
    pass


class PowerCutParams(_Params, frozen=True):
    runtime_s: float | None = None


class FaultRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Body of ``POST /faults``."""

    device: str
    fault: FaultName
    params: dict[str, Any] = msgspec.field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FaultKind:
    params: type[_Params]
    apply: Callable[[FaultInjector, SimDevice, Any, float], dict[str, object]]
    clear: Callable[[FaultInjector, SimDevice, float], None]
    persistent: bool = True


def _down(_fi: FaultInjector, dev: SimDevice, _p: DownParams, _t: float) -> dict[str, object]:
    dev.down = True
    return {}


def _undown(_fi: FaultInjector, dev: SimDevice, _t: float) -> None:
    dev.down = False


def _link_down(fi: FaultInjector, dev: SimDevice, p: LinkDownParams, t: float) -> dict[str, object]:
    ifindex = dev.profile.backhaul_if if p.ifindex is None else p.ifindex
    if not 1 <= ifindex <= len(dev.ifaces):
        msg = f"{dev.id} has interfaces 1..{len(dev.ifaces)}, not {ifindex}"
        raise FaultError(msg)
    was_up = dev.ifaces[ifindex - 1].oper_up
    dev.set_link(ifindex, False, t)
    if fi.traps is not None and was_up:
        fi.traps.link(dev, ifindex, up=False)
    previous = dev.faults.get("link_down", {}).get("ifindex", [])
    assert isinstance(previous, list)
    return {"ifindex": sorted({*previous, ifindex})}


def _link_up(fi: FaultInjector, dev: SimDevice, t: float) -> None:
    for iface_no, iface in enumerate(dev.ifaces, start=1):
        if not iface.oper_up:
            dev.set_link(iface_no, True, t)
            if fi.traps is not None:
                fi.traps.link(dev, iface_no, up=True)


def _reboot(_fi: FaultInjector, dev: SimDevice, p: RebootParams, t: float) -> dict[str, object]:
    dev.reboot(t, max(p.downtime_s, 0.0))
    return {"downtime_s": p.downtime_s}


def _nothing(_fi: FaultInjector, _dev: SimDevice, _t: float) -> None:
    return


def _slow(_fi: FaultInjector, dev: SimDevice, p: SlowParams, _t: float) -> dict[str, object]:
    if p.delay_ms < 0:
        msg = "delay_ms must not be negative"
        raise FaultError(msg)
    dev.delay_s = p.delay_ms / 1000.0
    return {"delay_ms": p.delay_ms}


def _fast(_fi: FaultInjector, dev: SimDevice, _t: float) -> None:
    dev.delay_s = 0.0


def _no_bulk(_fi: FaultInjector, dev: SimDevice, _p: NoBulkParams, _t: float) -> dict[str, object]:
    # Old UPS cards and some CPE firmwares drop GETBULK silently while answering GETNEXT.
    dev.no_bulk = True
    return {}


def _bulk_back(_fi: FaultInjector, dev: SimDevice, _t: float) -> None:
    dev.no_bulk = False


def _power_cut(fi: FaultInjector, dev: SimDevice, p: PowerCutParams, t: float) -> dict[str, object]:
    if p.runtime_s is not None and p.runtime_s <= 0:
        msg = "runtime_s must be positive"
        raise FaultError(msg)
    dev.power.cut(t, p.runtime_s)
    params: dict[str, object] = {"site": dev.spec.site}
    if p.runtime_s is not None:
        params["runtime_s"] = p.runtime_s
    # The cut belongs to the site, so every served device there shows it.
    for other in fi.devices.at_site(dev.spec.site):
        other.faults["power_cut"] = params
        if fi.traps is not None and other.kind == "ups":
            fi.traps.on_battery(other)
    return params


def _power_back(fi: FaultInjector, dev: SimDevice, t: float) -> None:
    dev.power.restore(t)
    for other in fi.devices.at_site(dev.spec.site):
        other.faults.pop("power_cut", None)
        if fi.traps is not None and other.kind == "ups":
            fi.traps.mains_back(other)


FAULTS: Final[dict[str, FaultKind]] = {
    "down": FaultKind(DownParams, _down, _undown),
    "link_down": FaultKind(LinkDownParams, _link_down, _link_up),
    "reboot": FaultKind(RebootParams, _reboot, _nothing, persistent=False),
    "slow": FaultKind(SlowParams, _slow, _fast),
    "power_cut": FaultKind(PowerCutParams, _power_cut, _power_back),
    "no_bulk": FaultKind(NoBulkParams, _no_bulk, _bulk_back),
}


class FaultInjector:
    """Applies and clears faults on a :class:`~simulator.registry.DeviceSet` at the clock's time."""

    def __init__(self, devices: DeviceSet, clock: SimClock, traps: TrapSender | None = None) -> None:
        self.devices = devices
        self.clock = clock
        self.traps = traps
        """Sends linkDown/linkUp and UPS traps when set (``--trap-target``)."""

    def _device(self, device_id: str) -> SimDevice:
        try:
            return self.devices.get(device_id)
        except KeyError:
            msg = f"unknown device {device_id!r} (not in the served subset)"
            raise FaultError(msg, status=404) from None

    def apply(self, request: FaultRequest) -> dict[str, object]:
        """Apply one fault; return the device's active faults afterwards."""
        dev = self._device(request.device)
        kind = FAULTS[request.fault]
        try:
            params = msgspec.convert(request.params, type=kind.params)
        except msgspec.ValidationError as exc:
            msg = f"bad params for {request.fault}: {exc}"
            raise FaultError(msg) from None
        recorded = kind.apply(self, dev, params, self.clock.now())
        if kind.persistent:
            dev.faults[request.fault] = recorded
        return dict(dev.faults)

    def clear(self, device_id: str, fault: str | None = None) -> list[str]:
        """Clear one fault or all of a device's faults; return the names cleared."""
        dev = self._device(device_id)
        if fault is not None and fault not in FAULTS:
            msg = f"unknown fault {fault!r}"
            raise FaultError(msg)
        names = [fault] if fault is not None else list(dev.faults)
        cleared = []
        t = self.clock.now()
        for name in names:
            if name in dev.faults:
                FAULTS[name].clear(self, dev, t)
                dev.faults.pop(name, None)
                cleared.append(name)
        return cleared

    def active(self) -> dict[str, dict[str, object]]:
        return {d.id: dict(d.faults) for d in self.devices.devices if d.faults}
