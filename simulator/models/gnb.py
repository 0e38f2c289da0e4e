"""CUNLINK-GNB-MIB: per-cell radio measurements of a simulated gNB.

Real gNBs report these over O1 (3GPP XML files / VES), not SNMP; the
simulator puts them in a small private MIB so one poller can exercise them.
Names follow 3GPP TS 28.552. The enterprise number 64990 is a placeholder.

    1.3.6.1.4.1.64990                     cunlink
    .1.1                                  cunlinkGnbMIB
    .1.1.1.1.0      gnbCellNumber         Integer32   cells on this gNB
    .1.1.1.2.1      gnbCellEntry          INDEX gnbCellIndex (1..n)
      .1            gnbCellIndex          Integer32
      .2            gnbCellName           OCTET STRING  "<device>-c<n>"
      .3            gnbCellPci            Integer32   physical cell id 0..1007
      .4            gnbCellNrArfcn        Gauge32     NR-ARFCN of the carrier
      .5            gnbCellOperState      INTEGER     enabled(1) disabled(2)
      .6            gnbCellPrbUsedDl      Gauge32     RRU.PrbUsedDl, percent of DL PRBs
      .7            gnbCellPrbUsedUl      Gauge32     RRU.PrbUsedUl, percent of UL PRBs
      .8            gnbCellRrcConnMean    Gauge32     RRC.ConnMean, connected UEs
      .9            gnbCellRrcConnMax     Gauge32     RRC.ConnMax, connected UEs
      .10           gnbCellRrcConnEstabAtt    Counter32   RRC.ConnEstabAtt.sum
      .11           gnbCellRrcConnEstabSucc   Counter32   RRC.ConnEstabSucc.sum
      .12           gnbCellRrcConnEstabAttHC  Counter64   same, 64-bit
      .13           gnbCellRrcConnEstabSuccHC Counter64   same, 64-bit
    .2.1 / .2.2 / .2.3                    sysObjectID of gnb / olt_uplink / ups

A cell is disabled while the gNB's backhaul is down; its gauges then read 0 and
its counters stand still.
"""

from __future__ import annotations

from typing import Final

from simulator.device import Cell, SimDevice
from simulator.mib import Column, MibObject, Scalar, Table
from simulator.traffic import LOAD_MAX
from snmpcodec.ber import COUNTER32, COUNTER64, GAUGE32, INTEGER, OCTET_STRING

GNB_MIB_ROOT: Final = "1.3.6.1.4.1.64990.1.1"
# Load at which a cell reaches its configured peak PRB use (a busy evening).
_PEAK_LOAD = 1.7


def _prb(cell: Cell, t: float, peak: float) -> int:
    return min(100, round(peak * cell.utilisation(t) * LOAD_MAX / _PEAK_LOAD))


def _users(cell: Cell, t: float) -> int:
    return round(cell.users_peak * cell.utilisation(t) * LOAD_MAX / _PEAK_LOAD)


def _attempts(cell: Cell, t: float) -> int:
    return int(cell.acc.value(t) * cell.attempts_per_load_s)


def _successes(cell: Cell, t: float) -> int:
    return int(cell.acc.value(t) * cell.attempts_per_load_s * cell.success_ratio)


def _oper(d: SimDevice, i: int) -> int:
    return 1 if d.ifaces[d.profile.backhaul_if - 1].oper_up else 2


GNB_MIB: Final[tuple[MibObject[SimDevice], ...]] = (
    Scalar(f"{GNB_MIB_ROOT}.1.1", "gnbCellNumber", INTEGER, lambda d, t, _: len(d.cells)),
    Table(
        f"{GNB_MIB_ROOT}.1.2.1",
        "gnbCellTable",
        lambda d: len(d.cells),
        (
            Column(1, "gnbCellIndex", INTEGER, lambda d, t, i: i + 1),
            Column(2, "gnbCellName", OCTET_STRING, lambda d, t, i: d.cells[i].name),
            Column(3, "gnbCellPci", INTEGER, lambda d, t, i: d.cells[i].pci),
            Column(4, "gnbCellNrArfcn", GAUGE32, lambda d, t, i: d.cells[i].arfcn),
            Column(5, "gnbCellOperState", INTEGER, lambda d, t, i: _oper(d, i)),
            Column(
                6, "gnbCellPrbUsedDl", GAUGE32, lambda d, t, i: _prb(d.cells[i], t, d.cells[i].prb_peak_dl)
            ),
            Column(
                7, "gnbCellPrbUsedUl", GAUGE32, lambda d, t, i: _prb(d.cells[i], t, d.cells[i].prb_peak_ul)
            ),
            Column(8, "gnbCellRrcConnMean", GAUGE32, lambda d, t, i: _users(d.cells[i], t)),
            Column(9, "gnbCellRrcConnMax", GAUGE32, lambda d, t, i: round(_users(d.cells[i], t) * 1.3)),
            Column(10, "gnbCellRrcConnEstabAtt", COUNTER32, lambda d, t, i: _attempts(d.cells[i], t)),
            Column(11, "gnbCellRrcConnEstabSucc", COUNTER32, lambda d, t, i: _successes(d.cells[i], t)),
            Column(12, "gnbCellRrcConnEstabAttHC", COUNTER64, lambda d, t, i: _attempts(d.cells[i], t)),
            Column(13, "gnbCellRrcConnEstabSuccHC", COUNTER64, lambda d, t, i: _successes(d.cells[i], t)),
        ),
    ),
)
