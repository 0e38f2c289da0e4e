"""One poll cycle of one device: GET the scalars, walk the tables, turn var-binds into samples.

Order of a cycle, and why:

1. GET sysUpTime, snmpEngineBoots, the modules' scalars and their cache markers.
   If this first request gets no answer the device is down (raised); later
   failures only cost their part and are reported with the cycle.
2. Reboot check, before walking: a reboot invalidates cached lookups and row counts.
3. Walk the metric columns, the lookup columns that are stale, and the 32-bit
   fallbacks a device is known to need, in one :class:`~edge_agent.snmp.walk.Walker` call
   (several columns per PDU, a few PDUs in flight). Fallbacks found needed only
   now (a primary column came back empty) are walked in a second round.
4. Build samples (:mod:`edge_agent.convert`); extend counters (:mod:`edge_agent.counters`).

Lookup tables (ifIndex -> ifName...) are cached per module and read again when
the device reboots, the module's marker (ifTableLastChange) moves, the TTL
passes, or a row shows up whose index the table does not name.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from contract.payloads import MetricDef, Sample
from edge_agent import convert
from edge_agent.counters import CounterBank, UptimeTracker
from edge_agent.errors import SnmpAuthError, SnmpError, SnmpTimeout
from edge_agent.modules import MetricSpec, Module
from edge_agent.snmp.transport import SnmpType, SnmpValue, VarBind, oid_in, oid_key
from edge_agent.snmp.walk import Walker

log = logging.getLogger(__name__)

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
ENGINE_BOOTS = "1.3.6.1.6.3.10.2.1.2.0"
#: Var-binds per GET PDU: far below any agent's message size, few PDUs.
GET_CHUNK = 24


@dataclass(slots=True)
class Cycle:
    """What one poll of a device produced."""

    samples: list[Sample]
    properties: dict[str, str]
    uptime_ticks: int | None
    previous_ticks: int | None
    rebooted: bool
    errors: list[SnmpError] = field(default_factory=list)
    lookups_read: list[str] = field(default_factory=list)
    """Modules whose lookup tables were (re)read this cycle."""


class Snapshot:
    """Everything one cycle fetched: scalar values and walked rows, with column access."""

    __slots__ = ("_columns", "values", "walks")

    def __init__(self) -> None:
        self.values: dict[str, SnmpValue] = {}
        self.walks: dict[str, list[VarBind]] = {}
        self._columns: dict[str, dict[str, SnmpValue]] = {}

    def column(self, oid: str) -> dict[str, SnmpValue]:
        """Rows of a column: index (the OID suffix) -> value, present values only."""
        cached = self._columns.get(oid)
        if cached is not None:
            return cached
        prefix = oid + "."
        cut = len(prefix)
        rows: dict[str, SnmpValue] = {}
        exact = self.walks.get(oid)
        sources = [exact] if exact is not None else [r for s, r in self.walks.items() if oid_in(oid, s)]
        for source in sources:
            for name, value in source:
                if name.startswith(prefix) and value.present:
                    rows[name[cut:]] = value
        self._columns[oid] = rows
        return rows


@dataclass(slots=True)
class _LookupCache:
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    read_at: float | None = None
    marker: Any = None
    stale: bool = True


@dataclass(frozen=True, slots=True)
class _Row:
    """Where a value came from: its counter key, row index, the cycle's snapshot, reboot flag."""

    key: str
    index: str
    snap: Snapshot
    rebooted: bool


def _minimal_subtrees(subtrees: Iterable[str]) -> list[str]:
    """Drop subtrees that lie inside another one; keep OID order."""
    result: list[str] = []
    for subtree in sorted(set(subtrees), key=oid_key):
        if not any(oid_in(subtree, kept) for kept in result):
            result.append(subtree)
    return result


class DeviceCollector:
    """Fetch plan, lookup caches, counters and sample building for one device."""

    def __init__(self, modules: list[Module], walker: Walker) -> None:
        self.modules = modules
        self.walker = walker
        gets = [SYS_UPTIME, ENGINE_BOOTS]
        for module in modules:
            extra = [*module.get, *([module.cache.marker] if module.cache.marker else [])]
            gets += [oid for oid in extra if oid not in gets]
        self.gets = gets
        self.metric_walks = _minimal_subtrees(oid for m in modules for oid in m.walk)
        self.counters = CounterBank()
        self.uptime = UptimeTracker()
        self._lookups = {m.name: _LookupCache() for m in modules if m.lookups}
        self._fallbacks: set[str] = set()
        self._defs = [d for m in modules for d in m.metric_defs()]

    def metric_defs(self) -> list[MetricDef]:
        """Declarations for the device BIRTH."""
        return self._defs

    def lookup_names(self, label: str) -> dict[str, str]:
        """The cached index -> name table of ``label`` (ifname...), empty when unknown."""
        for cache in self._lookups.values():
            if label in cache.names:
                return cache.names[label]
        return {}

    # State kept across agent restarts (edge_agent.store).

    def to_state(self) -> dict[str, Any]:
        """Counters and uptime as plain data."""
        return {"uptime": self.uptime.to_state(), "counters": self.counters.to_state()}

    def load_state(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`to_state` of an earlier run."""
        uptime, counters = state.get("uptime"), state.get("counters")
        if isinstance(uptime, dict):
            self.uptime.load_state(uptime)
        if isinstance(counters, dict):
            self.counters.load_state(counters)

    # The cycle.

    async def poll(self, now: float) -> Cycle:
        """One cycle at wall-clock second ``now``; SnmpTimeout/SnmpAuthError when the device is silent."""
        self.walker.start_cycle()
        snap = Snapshot()
        errors: list[SnmpError] = []
        await self._get_scalars(snap, errors)
        ticks_value = snap.values.get(SYS_UPTIME)
        ticks = ticks_value.as_int() if ticks_value is not None else None
        boots_value = snap.values.get(ENGINE_BOOTS)
        boots = boots_value.as_int() if boots_value is not None else None
        previous = self.uptime.last_ticks
        rebooted = ticks is not None and self.uptime.observe(ticks, now, boots)
        if rebooted:
            self.walker.forget_rows()
        stale = self._stale_lookups(snap, now, rebooted)
        plan = list(self.metric_walks)
        plan += [oid for m in self.modules if m.name in stale for oid in m.lookup_columns()]
        plan += sorted(self._fallbacks)
        await self._walk(plan, snap, errors)
        late = [oid for oid in self._fallbacks_needed(snap) if oid not in snap.walks]
        if late:
            self._fallbacks.update(late)
            await self._walk(late, snap, errors)
        for module_name in stale:
            self._read_lookups(module_name, snap, now)
        samples = self._samples(snap, rebooted)
        self.counters.end_cycle()
        return Cycle(
            samples=samples,
            properties=self._properties(snap),
            uptime_ticks=ticks,
            previous_ticks=previous,
            rebooted=rebooted,
            errors=errors,
            lookups_read=sorted(stale),
        )

    async def _get_scalars(self, snap: Snapshot, errors: list[SnmpError]) -> None:
        for start in range(0, len(self.gets), GET_CHUNK):
            try:
                snap.values.update(await self.walker.transport.get(self.gets[start : start + GET_CHUNK]))
            except (SnmpTimeout, SnmpAuthError):
                if start == 0:
                    raise  # the device does not answer at all: it is down
                errors.append(SnmpError("a later GET went unanswered", reason="timeout"))
            except SnmpError as exc:
                errors.append(exc)

    async def _walk(self, subtrees: list[str], snap: Snapshot, errors: list[SnmpError]) -> None:
        if not subtrees:
            return
        results = await self.walker.walk(subtrees)
        seen: set[int] = set()
        for subtree, result in results.items():
            if isinstance(result, SnmpError):
                if id(result) not in seen:  # one error can stop a whole group of columns
                    seen.add(id(result))
                    errors.append(result)
                continue
            snap.walks[subtree] = result
            snap.values.update(result)

    def _fallbacks_needed(self, snap: Snapshot) -> list[str]:
        """Fallback columns of metrics whose primary column was walked and came back empty."""
        return [
            metric.fallback_oid
            for module in self.modules
            for metric in module.metrics
            if metric.fallback_oid is not None
            and any(oid_in(metric.oid, subtree) for subtree in snap.walks)
            and not snap.column(metric.oid)
        ]

    def _stale_lookups(self, snap: Snapshot, now: float, rebooted: bool) -> set[str]:
        stale: set[str] = set()
        for module in self.modules:
            cache = self._lookups.get(module.name)
            if cache is None:
                continue
            marker = snap.values.get(module.cache.marker) if module.cache.marker else None
            marker_now = marker.value if marker is not None and marker.present else None
            expired = cache.read_at is None or now - cache.read_at >= module.cache.ttl
            if cache.stale or rebooted or expired or marker_now != cache.marker:
                stale.add(module.name)
            cache.marker = marker_now
        return stale

    def _read_lookups(self, module_name: str, snap: Snapshot, now: float) -> None:
        module = next(m for m in self.modules if m.name == module_name)
        cache = self._lookups[module_name]
        cache.names = {
            label: _row_names(snap, lookup.oid, lookup.fallback_oid, lookup.enum)
            for label, lookup in module.lookups.items()
        }
        cache.read_at, cache.stale = now, False

    def _properties(self, snap: Snapshot) -> dict[str, str]:
        props: dict[str, str] = {}
        for module in self.modules:
            for name, oid in module.properties.items():
                value = snap.values.get(f"{oid}.0")
                if value is not None and value.present:
                    props[name] = convert.text(value)
        return props

    def _samples(self, snap: Snapshot, rebooted: bool) -> list[Sample]:
        out: list[Sample] = []
        for module in self.modules:
            cache = self._lookups.get(module.name)
            for metric in module.metrics:
                out += self._metric_samples(metric, snap, rebooted, cache)
        return out

    def _metric_samples(
        self,
        metric: MetricSpec,
        snap: Snapshot,
        rebooted: bool,
        cache: _LookupCache | None,
    ) -> list[Sample]:
        tables = cache.names if cache is not None else {}
        names = tables.get(metric.index) if metric.index else None
        extra = [(label, tables.get(label, {})) for label in metric.extra_labels]
        source = metric.oid
        if metric.index is None:
            value = snap.values.get(metric.instance)
            rows = {"": value} if value is not None and value.present else {}
        else:
            rows = snap.column(metric.oid)
            if not rows and metric.fallback_oid is not None:
                source = metric.fallback_oid
                rows = snap.column(source)
        out: list[Sample] = []
        for index, value in rows.items():
            labels: dict[str, str] = {}
            if metric.index:
                name = names.get(index) if names is not None else None
                if name is None and names is not None and cache is not None:
                    cache.stale = True  # a row the cached table does not know: read it again next cycle
                labels[metric.index] = name or index
                for label, table in extra:
                    labels[label] = table.get(index, "")
            out += self._convert(metric, value, labels, _Row(f"{source}|{index}", index, snap, rebooted))
        return out

    def _convert(
        self,
        metric: MetricSpec,
        value: SnmpValue,
        labels: dict[str, str],
        row: _Row,
    ) -> list[Sample]:
        key, index, snap, rebooted = row.key, row.index, row.snap, row.rebooted
        kind = metric.type
        if kind == "DisplayString":
            return [
                Sample(
                    name=metric.name, value=1, labels={**labels, metric.label_for_value: convert.text(value)}
                )
            ]
        if kind == "InetAddress":
            address = convert.inet_address(value)
            return [Sample(name=metric.name, value=1, labels={**labels, metric.label_for_value: address})]
        if kind == "Bits":
            on = convert.bits_set(value)
            return [
                Sample(name=metric.name, value=int(bit in on), labels={**labels, metric.name: state})
                for bit, state in metric.enum.items()
            ]
        if kind == "DateAndTime":
            seconds = convert.date_and_time(value)
            return [] if seconds is None else [Sample(name=metric.name, value=seconds, labels=labels)]
        number = convert.number(value)
        if number is None:
            log.debug("%s: %s is not numeric (%s)", metric.name, key, value.type.name)
            return []
        if kind == "EnumAsInfo":
            state = metric.enum.get(int(number), str(int(number)))
            return [Sample(name=metric.name, value=1, labels={**labels, metric.label_for_value: state})]
        if kind == "EnumAsStateSet":
            return [
                Sample(name=metric.name, value=int(number == code), labels={**labels, metric.name: state})
                for code, state in metric.enum.items()
            ]
        if kind == "counter":
            width = 32 if value.type == SnmpType.COUNTER32 else 64
            total = self.counters.observe(key, int(number), width=width, rebooted=rebooted)
            return [Sample(name=metric.name, value=total, labels=labels)]
        factor = metric.scale * _companion_factor(metric, index, snap)
        return [Sample(name=metric.name, value=_scaled(number, factor), labels=labels)]


def _scaled(number: float, factor: float) -> float:
    """``number x factor``, dividing for factors like 0.01 so 57 x 0.01 is 0.57, not 0.5700000000000001."""
    if factor == 1.0:
        return number
    inverse = 1 / factor
    if factor < 1 and abs(inverse - round(inverse)) < 1e-9:
        return number / round(inverse)
    return number * factor


def _companion_factor(metric: MetricSpec, index: str, snap: Snapshot) -> float:
    if not metric.companions:
        return 1.0
    factor = 1.0
    if metric.multiply_oid:
        multiplier = snap.column(metric.multiply_oid).get(index)
        factor *= (multiplier.as_int() or 0) if multiplier is not None else 1
    if metric.sensor_scale_oid or metric.precision_oid:
        scale = snap.column(metric.sensor_scale_oid).get(index) if metric.sensor_scale_oid else None
        precision = snap.column(metric.precision_oid).get(index) if metric.precision_oid else None
        factor *= convert.sensor_factor(
            scale.as_int() if scale is not None else None,
            precision.as_int() if precision is not None else None,
        )
    return factor


def _row_names(snap: Snapshot, oid: str, fallback_oid: str | None, enum: dict[int, str]) -> dict[str, str]:
    """index -> label value from a lookup column, unique per index (duplicates get ``.index``)."""

    def name_of(value: SnmpValue) -> str:
        number = value.as_int()
        if enum and number is not None:
            return enum.get(number, str(number))
        return convert.text(value)

    names = {index: name_of(v) for index, v in snap.column(oid).items()}
    if fallback_oid is not None:
        for index, v in snap.column(fallback_oid).items():
            if not names.get(index):
                names[index] = name_of(v)
    names = {index: name for index, name in names.items() if name}
    if enum:
        return names  # enum lookups (sensor type) are meant to repeat
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    # Two rows with one name would be one series at the hub; keep them apart by index.
    return {
        index: (name if counts[name] == 1 else f"{name}.{index}"[: convert.LABEL_MAX])
        for index, name in names.items()
    }
