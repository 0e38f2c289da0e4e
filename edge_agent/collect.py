"""One poll of one device: fetch what its modules ask for, then turn varbinds into samples.

Fetching and building are separate so that unit tests can build samples from a
recorded snapshot, and so the poller can decide about reboots in between.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from contract.payloads import MetricDef, Sample
from edge_agent.counters import CounterBank
from edge_agent.errors import SnmpAuthError, SnmpError, SnmpTimeout
from edge_agent.modules import MetricSpec, Module
from edge_agent.snmp.transport import SnmpTransport, SnmpType, SnmpValue, oid_in, oid_key

log = logging.getLogger(__name__)

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
#: Varbinds per GET PDU: small enough for any agent's PDU size (484 octets minimum in
#: RFC 3417 is for a single varbind; real agents take 1472+), large enough to be few PDUs.
GET_CHUNK = 24
LABEL_MAX = 128


@dataclass(slots=True)
class Snapshot:
    """Everything one poll fetched from a device."""

    values: dict[str, SnmpValue] = field(default_factory=dict)
    walks: dict[str, list[tuple[str, SnmpValue]]] = field(default_factory=dict)
    errors: list[SnmpError] = field(default_factory=list)

    @property
    def uptime_ticks(self) -> int | None:
        """sysUpTime.0 when the device answered it."""
        value = self.values.get(SYS_UPTIME)
        return value.as_int() if value is not None else None

    def column(self, oid: str) -> dict[str, SnmpValue]:
        """Rows of a column: index (the OID suffix) -> value."""
        prefix = oid + "."
        for subtree, rows in self.walks.items():
            if oid_in(oid, subtree):
                return {name[len(prefix) :]: v for name, v in rows if name.startswith(prefix) and v.present}
        return {}


def _minimal_subtrees(subtrees: Iterable[str]) -> list[str]:
    """Drop subtrees that lie inside another one; keep OID order."""
    result: list[str] = []
    for subtree in sorted(set(subtrees), key=oid_key):
        if not any(oid_in(subtree, kept) for kept in result):
            result.append(subtree)
    return result


class DeviceCollector:
    """Fetch plan and sample building for one device's list of modules."""

    def __init__(self, modules: list[Module]) -> None:
        self.modules = modules
        gets = [SYS_UPTIME]
        for module in modules:
            gets += [oid for oid in module.get if oid not in gets]
        self.gets = gets
        self.walks = _minimal_subtrees(oid for m in modules for oid in m.walk)
        self.counters = CounterBank()
        self._rows: dict[str, int] = {}

    def metric_defs(self) -> list[MetricDef]:
        """Declarations for the device BIRTH."""
        return [d for m in self.modules for d in m.metric_defs()]

    async def fetch(self, transport: SnmpTransport) -> Snapshot:
        """GET the scalars, walk the subtrees, then walk fallbacks where primaries are empty.

        A timeout (or auth failure) anywhere means the device is not answering and is
        raised; other errors are kept in the snapshot and cost only their part.
        """
        snap = Snapshot()
        for start in range(0, len(self.gets), GET_CHUNK):
            try:
                snap.values.update(await transport.get(self.gets[start : start + GET_CHUNK]))
            except (SnmpTimeout, SnmpAuthError):
                raise
            except SnmpError as exc:
                snap.errors.append(exc)
        for subtree in self.walks:
            await self._walk(transport, subtree, snap)
        for metric in self._fallbacks_needed(snap):
            assert metric.fallback_oid is not None  # _fallbacks_needed only yields these
            await self._walk(transport, metric.fallback_oid, snap)
        for rows in snap.walks.values():
            snap.values.update(rows)
        return snap

    async def _walk(self, transport: SnmpTransport, subtree: str, snap: Snapshot) -> None:
        # pysnmp's CPU cost is per varbind decoded, and a GETBULK of a 4-row column with
        # max-repetitions 25 decodes 21 varbinds past the column only to drop them. Asking
        # for last cycle's row count + 1 ends the walk in one exact PDU.
        known = self._rows.get(subtree)
        try:
            rows = await transport.walk(subtree, max_repetitions=None if known is None else known + 1)
        except (SnmpTimeout, SnmpAuthError):
            raise
        except SnmpError as exc:
            snap.errors.append(exc)
            return
        snap.walks[subtree] = rows
        self._rows[subtree] = len(rows)

    def _fallbacks_needed(self, snap: Snapshot) -> list[MetricSpec]:
        return [
            metric
            for module in self.modules
            for metric in module.metrics
            if metric.fallback_oid is not None and not snap.column(metric.oid)
        ]

    def properties(self, snap: Snapshot) -> dict[str, str]:
        """Strings for the device BIRTH (sysDescr, sysName...)."""
        props: dict[str, str] = {}
        for module in self.modules:
            for name, oid in module.properties.items():
                value = snap.values.get(f"{oid}.0")
                if value is not None and value.present:
                    props[name] = value.as_text()[:LABEL_MAX]
        return props

    def samples(self, snap: Snapshot, *, rebooted: bool) -> list[Sample]:
        """The samples of one cycle; counters are extended through the device's CounterBank."""
        out: list[Sample] = []
        for module in self.modules:
            names = {
                label: _row_names(snap, lookup.oid, lookup.fallback_oid)
                for label, lookup in module.lookups.items()
            }
            for metric in module.metrics:
                out += self._metric_samples(metric, snap, names.get(metric.index or ""), rebooted=rebooted)
        self.counters.end_cycle()
        return out

    def _metric_samples(
        self, metric: MetricSpec, snap: Snapshot, row_names: dict[str, str] | None, *, rebooted: bool
    ) -> list[Sample]:
        if metric.index is None:
            value = snap.values.get(metric.instance)
            rows = {"": value} if value is not None and value.present else {}
            source = metric.oid
        else:
            source = metric.oid
            rows = snap.column(metric.oid)
            if not rows and metric.fallback_oid is not None:
                source = metric.fallback_oid
                rows = snap.column(metric.fallback_oid)
        out: list[Sample] = []
        for index, value in rows.items():
            labels = {metric.index: (row_names or {}).get(index, index)} if metric.index else {}
            out += self._convert(metric, value, labels, (source, index), rebooted=rebooted)
        return out

    def _convert(
        self,
        metric: MetricSpec,
        value: SnmpValue,
        labels: dict[str, str],
        key: tuple[str, str],
        *,
        rebooted: bool,
    ) -> list[Sample]:
        if metric.type == "info":
            assert metric.value_label is not None  # the module schema requires it for info
            return [
                Sample(
                    name=metric.name,
                    value=1,
                    labels={**labels, metric.value_label: value.as_text()[:LABEL_MAX]},
                )
            ]
        number: float | None = value.as_int()
        if number is None:
            number = _parse_number(value)
            if number is None:
                log.debug("%s: %s is not numeric (%s)", metric.name, key, value.type.name)
                return []
        if metric.type == "counter":
            width = 32 if value.type == SnmpType.COUNTER32 else 64
            total = self.counters.observe(key, int(number), width=width, rebooted=rebooted)
            return [Sample(name=metric.name, value=total, labels=labels)]
        if metric.type == "stateset":
            return [
                Sample(name=metric.name, value=int(number == code), labels={**labels, metric.name: state})
                for code, state in metric.enum.items()
            ]
        # round() keeps 57 x 0.01 from arriving as 0.5700000000000001.
        scaled = round(number * metric.scale, 9) if metric.scale != 1.0 else number
        return [Sample(name=metric.name, value=scaled, labels=labels)]


def _parse_number(value: SnmpValue) -> float | None:
    # Some vendor MIBs carry numbers as DisplayString ("23.5"); accept those, nothing fancier.
    if value.type != SnmpType.OCTET_STRING:
        return None
    try:
        return float(value.as_text())
    except ValueError:
        return None


def _row_names(snap: Snapshot, oid: str, fallback_oid: str | None) -> dict[str, str]:
    """index -> label value from a lookup column, unique per index (duplicates get ``.index``)."""
    names = {index: v.as_text().strip()[:LABEL_MAX] for index, v in snap.column(oid).items()}
    if fallback_oid is not None:
        for index, v in snap.column(fallback_oid).items():
            if not names.get(index):
                names[index] = v.as_text().strip()[:LABEL_MAX]
    names = {index: name for index, name in names.items() if name}
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    # Two rows with one name would be one series at the hub; keep them apart by index.
    return {
        index: (name if counts[name] == 1 else f"{name}.{index}"[:LABEL_MAX]) for index, name in names.items()
    }
