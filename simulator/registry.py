"""The set of simulated devices served by one simulator process.

Chooses the subset of the fleet to serve, builds each device's state and its
MIB layout, shares one :class:`~simulator.power.SitePower` per site, and keeps
the lookups the agents need on every packet (community string -> device).
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Sequence
from typing import Final

from contract.fleet import Device, Fleet
from simulator.device import SimDevice, build_device
from simulator.mib import Layout, MibObject
from simulator.models.gnb import GNB_MIB
from simulator.models.ifmib import IF_MIB
from simulator.models.system import SYSTEM
from simulator.models.ups import UPS_MIB
from simulator.power import SitePower

# What each kind serves, as MIB objects and as the edge agent's module names.
KIND_MIBS: Final[dict[str, tuple[MibObject[SimDevice], ...]]] = {
    "gnb": SYSTEM + IF_MIB + GNB_MIB,
    "olt_uplink": SYSTEM + IF_MIB,
    "ups": SYSTEM + IF_MIB + UPS_MIB,
}
KIND_MODULES: Final[dict[str, tuple[str, ...]]] = {
    "gnb": ("system", "if_mib", "gnb_radio"),
    "olt_uplink": ("system", "if_mib"),
    "ups": ("system", "if_mib", "ups"),
}


def select_devices(
    fleet: Fleet, *, first_gnbs: int | None = None, kinds: Collection[str] | None = None
) -> list[Device]:
    """The devices to serve, in fleet order.

    ``first_gnbs``: the first N gNBs plus the UPS at each of their sites and the
    OLT uplinks (and exchange UPS) of their townships; ``None`` means the whole
    fleet. ``kinds`` then keeps only those device kinds.
    """
    if first_gnbs is None:
        chosen = list(fleet.devices)
    else:
        ix = fleet.index
        gnbs = [d for d in fleet.devices if d.kind == "gnb"][:first_gnbs]
        wanted: set[str] = set()
        for g in gnbs:
            wanted.add(g.id)
            site = ix.site(g.site)
            wanted.update(d.id for d in ix.devices_at_site(site.id) if d.kind == "ups")
            for uplink in ix.uplinks_of_township(site.township):
                wanted.add(uplink.id)
                wanted.update(d.id for d in ix.devices_at_site(uplink.site) if d.kind == "ups")
        chosen = [d for d in fleet.devices if d.id in wanted]
    if kinds is not None:
        chosen = [d for d in chosen if d.kind in kinds]
    return chosen


class DeviceSet:
    """Simulated devices by id and by v2c community, with one layout per device shape."""

    def __init__(
        self, fleet: Fleet, devices: Iterable[Device], *, now: float, community: str = "public"
    ) -> None:
        seed = fleet.seed or 0
        ix = fleet.index
        self.community = community
        self.devices: list[SimDevice] = []
        self.by_id: dict[str, SimDevice] = {}
        self.layout_of: dict[str, Layout[SimDevice]] = {}
        self.by_community: dict[bytes, tuple[SimDevice, Layout[SimDevice]]] = {}
        self.power: dict[str, SitePower] = {}
        self._by_site: dict[str, list[SimDevice]] = {}
        shapes: dict[tuple[str, int, int], Layout[SimDevice]] = {}
        for spec in devices:
            power = self.power.get(spec.site)
            if power is None:
                # A small site UPS holds a tower for 1.5 to 4 hours (simulation, not security).
                runtime = random.Random(f"{seed}:{spec.site}:battery").uniform(1.5, 4.0) * 3600.0  # noqa: S311
                power = self.power[spec.site] = SitePower(runtime_s=runtime, since=now)
            dev = build_device(spec, ix.labels(spec.id), seed, power, now)
            if spec.kind != "ups":
                power.on_restore.append(dev.reboot)
            shape = (spec.kind, len(dev.ifaces), len(dev.cells))
            layout = shapes.get(shape)
            if layout is None:
                layout = shapes[shape] = Layout(KIND_MIBS[spec.kind], dev)
            self.devices.append(dev)
            self._by_site.setdefault(spec.site, []).append(dev)
            self.by_id[dev.id] = dev
            self.layout_of[dev.id] = layout
            self.by_community[f"{community}@{dev.id}".encode()] = (dev, layout)

    def __len__(self) -> int:
        return len(self.devices)

    def get(self, device_id: str) -> SimDevice:
        return self.by_id[device_id]

    def at_site(self, site_id: str) -> Sequence[SimDevice]:
        return self._by_site.get(site_id, [])
