"""What each device kind is made of: its interfaces, cells, identity and traffic scale.

Plain data, read by :mod:`simulator.device` to build a device's state. Traffic
figures are peak-hour rates for a rural site (load 1.0 is the daily mean; the
evening peak is ~1.7x that).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from snmpcodec.ber import Oid

# The project's private enterprise number. 64990 is a placeholder: it is not
# assigned by IANA to cunlink and must be replaced before real use.
ENTERPRISE: Final[Oid] = (1, 3, 6, 1, 4, 1, 64990)
# sysObjectID per kind: ENTERPRISE.2.<kind number>.
SYS_OBJECT_ID: Final[dict[str, Oid]] = {
    "gnb": (*ENTERPRISE, 2, 1),
    "olt_uplink": (*ENTERPRISE, 2, 2),
    "ups": (*ENTERPRISE, 2, 3),
}
# IANAifType values used below.
IF_ETHERNET: Final = 6
IF_GPON: Final = 250

GIGABIT: Final = 1_000_000_000


@dataclass(frozen=True, slots=True)
class IfaceSpec:
    """One interface of a device kind.

    ``mean_in_bps`` is the daily-mean inbound rate range (a device draws one
    value from it); outbound is ``out_ratio`` times inbound.
    """

    name: str
    descr: str
    alias: str
    if_type: int
    speed_bps: int
    mtu: int
    mean_in_bps: tuple[float, float]
    out_ratio: float
    in_packet_bytes: int
    out_packet_bytes: int


@dataclass(frozen=True, slots=True)
class KindProfile:
    """Interfaces (ifIndex = position + 1), cell count range and identity of a device kind."""

    ifaces: tuple[IfaceSpec, ...]
    backhaul_if: int  # ifIndex whose loss takes the device's service down; link_down's default
    cells: tuple[int, int]
    vendor: str
    services: int  # sysServices bit mask


PROFILES: Final[dict[str, KindProfile]] = {
    "gnb": KindProfile(
        ifaces=(
            IfaceSpec(
                "xgei-0/0/1",
                "10GE backhaul",
                "backhaul to {township} exchange",
                IF_ETHERNET,
                10 * GIGABIT,
                9000,
                (60e6, 220e6),
                0.18,
                1100,
                600,
            ),
            IfaceSpec(
                "ecpri-0/0/2",
                "25GE eCPRI fronthaul",
                "fronthaul to AAU",
                IF_ETHERNET,
                25 * GIGABIT,
                9000,
                (150e6, 600e6),
                1.15,
                1200,
                1200,
            ),
            IfaceSpec(
                "gei-0/0/3", "GE management", "oam", IF_ETHERNET, GIGABIT, 1500, (20e3, 60e3), 1.4, 300, 300
            ),
        ),
        backhaul_if=1,
        cells=(2, 3),
        vendor="cunlink simulated gNB",
        services=0x4E,
    ),
    "olt_uplink": KindProfile(
        ifaces=(
            IfaceSpec(
                "gei-0/9/{leg}",
                "GE uplink {leg}",
                "uplink {leg} of {township} to county core",
                IF_ETHERNET,
                GIGABIT,
                1600,
                (120e6, 380e6),
                0.22,
                1150,
                650,
            ),
            IfaceSpec(
                "gpon-0/1/1",
                "GPON port 1",
                "{township} PON 1",
                IF_GPON,
                2_488_320_000,
                2000,
                (25e6, 90e6),
                0.2,
                1100,
                600,
            ),
            IfaceSpec(
                "gpon-0/1/2",
                "GPON port 2",
                "{township} PON 2",
                IF_GPON,
                2_488_320_000,
                2000,
                (25e6, 90e6),
                0.2,
                1100,
                600,
            ),
            IfaceSpec(
                "gpon-0/1/3",
                "GPON port 3",
                "{township} PON 3",
                IF_GPON,
                2_488_320_000,
                2000,
                (20e6, 80e6),
                0.2,
                1100,
                600,
            ),
            IfaceSpec(
                "gpon-0/1/4",
                "GPON port 4",
                "{township} PON 4",
                IF_GPON,
                2_488_320_000,
                2000,
                (10e6, 60e6),
                0.2,
                1100,
                600,
            ),
        ),
        backhaul_if=1,
        cells=(0, 0),
        vendor="cunlink simulated OLT",
        services=0x06,
    ),
    "ups": KindProfile(
        ifaces=(
            IfaceSpec(
                "eth0",
                "UPS network card",
                "ups management",
                IF_ETHERNET,
                100_000_000,
                1500,
                (500.0, 2000.0),
                1.5,
                120,
                200,
            ),
        ),
        backhaul_if=1,
        cells=(0, 0),
        vendor="cunlink simulated UPS",
        services=0x48,
    ),
}
