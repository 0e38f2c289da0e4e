"""The run-time state of one simulated device and the values derived from it.

State changes only through methods (``reboot``, ``set_link``, fault fields set
by :mod:`simulator.faults`); every value an SNMP manager reads is a pure
function of that state and the simulated instant ``t``. All per-device
variation (boot time, traffic scale, curve shape, cell count) is drawn from a
``random.Random`` seeded with the fleet seed and the device id, so the same
fleet simulates the same way every run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from contract.fleet import Device
from simulator.models.hardware import PROFILES, SYS_OBJECT_ID, IfaceSpec, KindProfile
from simulator.power import SitePower
from simulator.traffic import LOAD_MAX, Accumulator, Curve

_TICKS = 100  # TimeTicks per second


@dataclass(slots=True)
class Iface:
    """An interface: its spec, its traffic accumulator and link state."""

    spec: IfaceSpec
    name: bytes
    descr: bytes
    alias: bytes
    mac: bytes
    acc: Accumulator
    in_bytes_per_load_s: float
    out_bytes_per_load_s: float
    oper_up: bool = True
    last_change: float = 0.0

    def octets(self, t: float, outbound: bool) -> int:
        scale = self.out_bytes_per_load_s if outbound else self.in_bytes_per_load_s
        return int(self.acc.value(t) * scale)

    def packets(self, t: float, outbound: bool) -> int:
        size = self.spec.out_packet_bytes if outbound else self.spec.in_packet_bytes
        return self.octets(t, outbound) // size

    def errors(self, t: float) -> int:
        # About one error per 40 GB: rare but visible, and monotonic like the octets.
        return self.octets(t, False) // 40_000_000_000


@dataclass(slots=True)
class Cell:
    """An NR cell served by a gNB (values named after 3GPP TS 28.552)."""

    name: bytes
    pci: int
    arfcn: int
    curve: Curve
    acc: Accumulator
    prb_peak_dl: float
    prb_peak_ul: float
    users_peak: float
    attempts_per_load_s: float
    success_ratio: float

    def utilisation(self, t: float) -> float:
        """0..1, the cell's load relative to the heaviest load its curve can reach."""
        if self.acc.paused_since is not None and t >= self.acc.paused_since:
            return 0.0
        return self.curve.load(t) / LOAD_MAX


@dataclass(slots=True)
class SimDevice:
    """One simulated device; see the module docstring."""

    spec: Device
    profile: KindProfile
    labels: dict[str, str]
    sys_descr: bytes
    sys_name: bytes
    sys_location: bytes
    boot_at: float
    power: SitePower
    ifaces: list[Iface] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    ups_load_share: float = 0.4
    # Fault state (set by simulator.faults).
    down: bool = False
    unreachable_until: float = 0.0
    delay_s: float = 0.0
    no_bulk: bool = False
    faults: dict[str, dict[str, object]] = field(default_factory=dict)
    reboots: int = 0

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def object_id(self) -> tuple[int, ...]:
        return SYS_OBJECT_ID[self.spec.kind]

    def responsive(self, t: float) -> bool:
        """Whether the device answers SNMP at ``t`` (not down, booted, and powered)."""
        if self.down or t < self.unreachable_until:
            return False
        return self.kind == "ups" or self.power.powered(t)

    def uptime_ticks(self, t: float) -> int:
        return max(0, int((t - self.boot_at) * _TICKS))

    def ticks_at(self, when: float) -> int:
        """sysUpTime at an earlier instant, as the *LastChange objects report it (0 = since boot)."""
        return max(0, int((when - self.boot_at) * _TICKS))

    def reboot(self, t: float, downtime_s: float = 0.0) -> None:
        """Restart at ``t``: uptime and every counter start again from zero."""
        self.boot_at = t
        self.unreachable_until = t + downtime_s
        self.reboots += 1
        for iface in self.ifaces:
            iface.acc.restart(t)
            iface.last_change = t
        for cell in self.cells:
            cell.acc.restart(t)

    def set_link(self, if_index: int, up: bool, t: float) -> None:
        """Take an interface down (its traffic stops) or bring it back up."""
        iface = self.ifaces[if_index - 1]
        if iface.oper_up == up:
            return
        iface.oper_up = up
        iface.last_change = t
        service_link = if_index == self.profile.backhaul_if
        accumulators = [iface.acc] + ([c.acc for c in self.cells] if service_link else [])
        for acc in accumulators:
            if up:
                acc.resume(t)
            else:
                acc.pause(t)

    def table_last_change(self) -> float:
        return max((i.last_change for i in self.ifaces), default=self.boot_at)


def build_device(spec: Device, labels: dict[str, str], seed: int, power: SitePower, now: float) -> SimDevice:
    """Create a device's state, deterministic in (``seed``, device id)."""
    rng = random.Random(f"{seed}:{spec.id}")  # noqa: S311 - simulation, not security
    profile = PROFILES[spec.kind]
    # Booted between one day and 500 days ago: about one device in a hundred has run past
    # the 497-day point where sysUpTime wraps, as long-lived field equipment does.
    boot_at = now - rng.uniform(86400.0, 500 * 86400.0)
    fmt = {"township": labels["township"], "leg": spec.uplink or "a", "site": labels["site"]}
    dev = SimDevice(
        spec=spec,
        profile=profile,
        labels=labels,
        sys_descr=f"{profile.vendor} {spec.model}, cunlink simulator".encode(),
        sys_name=spec.id.encode(),
        sys_location=" ".join(
            v for v in (labels["county"], labels["township"], labels["village"], labels["site"]) if v
        ).encode(),
        boot_at=boot_at,
        power=power,
    )
    base_mac = rng.getrandbits(40)
    for n, ifs in enumerate(profile.ifaces, start=1):
        mean_in = rng.uniform(*ifs.mean_in_bps) / 8.0
        dev.ifaces.append(
            Iface(
                spec=ifs,
                name=ifs.name.format(**fmt).encode(),
                descr=ifs.descr.format(**fmt).encode(),
                alias=ifs.alias.format(**fmt).encode(),
                # 02: locally administered unicast, so the addresses can never clash with real ones.
                mac=bytes((0x02,)) + ((base_mac + n) & 0xFFFFFFFFFF).to_bytes(5, "big"),
                acc=Accumulator(Curve.daily(rng), boot_at),
                in_bytes_per_load_s=mean_in,
                out_bytes_per_load_s=mean_in * ifs.out_ratio,
                last_change=boot_at,
            )
        )
    lo, hi = profile.cells
    band_arfcn = 504990 if "n41" in spec.model else 152650 if "n28" in spec.model else 633984
    for c in range(rng.randint(lo, hi) if hi else 0):
        curve = Curve.daily(rng)
        dev.cells.append(
            Cell(
                name=f"{spec.id}-c{c + 1}".encode(),
                pci=rng.randrange(0, 1008),
                arfcn=band_arfcn,
                curve=curve,
                acc=Accumulator(curve, boot_at),
                prb_peak_dl=rng.uniform(55.0, 95.0),
                prb_peak_ul=rng.uniform(20.0, 50.0),
                users_peak=rng.uniform(40.0, 260.0),
                attempts_per_load_s=rng.uniform(0.05, 0.6),
                success_ratio=rng.uniform(0.985, 0.999),
            )
        )
    dev.ups_load_share = rng.uniform(0.25, 0.6)
    return dev
