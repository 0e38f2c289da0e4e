"""Declarative SNMP modules: what to fetch from a device and how varbinds become metrics.

One YAML file per module (``edge_agent/modules/<name>.yaml``), in the manner of
snmp_exporter's generated snmp.yml but written by hand: ``get`` (scalar
instances), ``walk`` (subtrees), ``lookups`` (index -> label tables),
``properties`` (strings sent once in the device BIRTH) and ``metrics``. Files
are validated at start; errors name file:line:key. Device knowledge lives
here, not in code. Metric types follow snmp_exporter's names (counter, gauge,
DisplayString, EnumAsInfo, EnumAsStateSet, Bits, DateAndTime, InetAddress).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from contract.configfile import ConfigError, ConfigModel, read_yaml, validate
from contract.payloads import MetricDef
from edge_agent.snmp.transport import oid_in

MODULE_DIR = Path(__file__).parent

Oid = Annotated[str, Field(pattern=r"^[0-2](\.\d+)+$", description="dotted numeric OID, no leading dot")]
MetricName = Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,95}$")]
LabelName = Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,31}$")]
# State names keep their MIB spelling (notPresent), as snmp_exporter does.
StateName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")]


#: Metric types, named as in snmp_exporter's generator, and the contract type each becomes.
CONTRACT_TYPE: dict[str, Literal["counter", "gauge", "info", "stateset"]] = {
    "counter": "counter",
    "gauge": "gauge",
    "DisplayString": "info",
    "EnumAsInfo": "info",
    "EnumAsStateSet": "stateset",
    "Bits": "stateset",
    "DateAndTime": "gauge",
    "InetAddress": "info",
}
MetricType = Literal[
    "counter", "gauge", "DisplayString", "EnumAsInfo", "EnumAsStateSet", "Bits", "DateAndTime", "InetAddress"
]
_ENUM_TYPES = {"EnumAsInfo", "EnumAsStateSet", "Bits"}
_TEXT_TYPES = {"DisplayString", "EnumAsInfo", "InetAddress"}
_NUMERIC_TYPES = {"counter", "gauge"}


class Lookup(ConfigModel):
    """A column whose value, at the same index, names a row (ifIndex -> ifName).

    Lookup columns are walked on their own and cached (see ``cache``), unless a
    walk subtree of the module covers them anyway.
    """

    oid: Oid = Field(description="column OID; its value at a row's index becomes the label")
    fallback_oid: Oid | None = Field(
        default=None, description="column used for rows the first one lacks (ifDescr when ifName is absent)"
    )
    enum: dict[int, StateName] = Field(
        default_factory=dict, description="integer value -> label value (entPhySensorType -> celsius)"
    )


class CacheSpec(ConfigModel):
    """When to read a module's lookup tables again (they change rarely; walking them costs PDUs)."""

    marker: Oid | None = Field(
        default=None,
        description="scalar instance fetched every cycle; a change re-reads the lookups "
        "(IF-MIB ifTableLastChange 1.3.6.1.2.1.31.1.5.0)",
    )
    ttl: float = Field(default=3600.0, gt=0, description="seconds after which lookups are read again anyway")


class MetricSpec(ConfigModel):
    """One metric: where its values are and what they mean."""

    name: MetricName = Field(description="metric name, snake_case, unique in the module")
    oid: Oid = Field(
        description="object OID without instance: a column (with index) or a scalar (.0 is added)"
    )
    type: MetricType = Field(
        description="counter, gauge, DisplayString, EnumAsInfo, EnumAsStateSet, Bits, DateAndTime or "
        "InetAddress"
    )
    help: str = Field(max_length=256, description="one line for Prometheus HELP")
    unit: str = Field(default="", max_length=32, description="unit (seconds, bytes, percent, volts...)")
    index: LabelName | None = Field(
        default=None,
        description="label for the row index of a column; filled from lookups[index] when defined, "
        "else the index itself. Omit for scalars.",
    )
    extra_labels: list[LabelName] = Field(
        default_factory=list,
        description="more labels from lookups at the row's index (sensor type beside the sensor name)",
    )
    enum: dict[int, StateName] = Field(
        default_factory=dict,
        description="EnumAsInfo/EnumAsStateSet: value -> name; Bits: bit number (0 = most significant "
        "bit of the first octet) -> name",
    )
    value_label: LabelName | None = Field(
        default=None,
        description="DisplayString, EnumAsInfo, InetAddress: the label carrying the text (default: the "
        "metric name without _info)",
    )
    scale: float = Field(default=1.0, description="gauge only: factor applied to the raw value (0.1 V -> V)")
    fallback_oid: Oid | None = Field(
        default=None,
        description="column walked only on devices where oid has no rows at all (ifInOctets where "
        "ifHCInOctets is absent); its values are reported under this metric's name",
    )
    multiply_oid: Oid | None = Field(
        default=None,
        description="gauge only: column whose value at the same index multiplies this one "
        "(hrStorageAllocationUnits)",
    )
    sensor_scale_oid: Oid | None = Field(
        default=None,
        description="gauge only: ENTITY-SENSOR-MIB EntitySensorDataScale column; "
        "value x 10^(3 x (scale - 9))",
    )
    precision_oid: Oid | None = Field(
        default=None, description="gauge only: column of decimal places; value x 10^-precision"
    )

    @model_validator(mode="after")
    def _fields_of_type(self) -> MetricSpec:
        if (self.type in _ENUM_TYPES) != bool(self.enum):
            msg = f"enum is required for types {', '.join(sorted(_ENUM_TYPES))} and allowed only there"
            raise ValueError(msg)
        if self.value_label is not None and self.type not in _TEXT_TYPES:
            msg = f"value_label is allowed only for types {', '.join(sorted(_TEXT_TYPES))}"
            raise ValueError(msg)
        if self.fallback_oid is not None and self.index is None:
            msg = "fallback_oid is allowed only for columns (metrics with index)"
            raise ValueError(msg)
        if self.fallback_oid is not None and self.type not in _NUMERIC_TYPES:
            msg = "fallback_oid is allowed only for counter and gauge"
            raise ValueError(msg)
        if self.scale != 1.0 and self.type != "gauge":
            msg = "scale is allowed only for type gauge (counters stay raw counts)"
            raise ValueError(msg)
        companions = (self.multiply_oid, self.sensor_scale_oid, self.precision_oid)
        if any(companions) and (self.type != "gauge" or self.index is None):
            msg = "multiply_oid, sensor_scale_oid and precision_oid are for gauge columns only"
            raise ValueError(msg)
        return self

    @property
    def instance(self) -> str:
        """The instance OID of a scalar."""
        return f"{self.oid}.0"

    @property
    def label_for_value(self) -> str:
        """The label that carries a text value."""
        return self.value_label or self.name.removesuffix("_info")

    @property
    def companions(self) -> list[str]:
        """Columns read alongside this one to compute its value."""
        return [oid for oid in (self.multiply_oid, self.sensor_scale_oid, self.precision_oid) if oid]

    def labels(self) -> list[str]:
        """Label names of this metric's samples (besides the device's own labels)."""
        names = [self.index] if self.index else []
        names += self.extra_labels
        if CONTRACT_TYPE[self.type] == "stateset":
            names.append(self.name)
        if self.type in _TEXT_TYPES:
            names.append(self.label_for_value)
        return names

    def metric_def(self) -> MetricDef:
        """The declaration sent in the device BIRTH."""
        return MetricDef(
            name=self.name,
            type=CONTRACT_TYPE[self.type],
            help=self.help,
            unit=self.unit,
            labels=self.labels(),
        )


class Module(ConfigModel):
    """One module file."""

    name: MetricName = Field(description="module name; must equal the file name without .yaml")
    description: str = Field(default="", description="what the module covers and where its OIDs come from")
    get: list[Oid] = Field(default_factory=list, description="scalar instances fetched with GET (end in .0)")
    walk: list[Oid] = Field(default_factory=list, description="subtrees fetched with GETBULK walks")
    lookups: dict[LabelName, Lookup] = Field(default_factory=dict, description="index -> label tables")
    cache: CacheSpec = Field(default_factory=CacheSpec, description="when lookups are read again")
    properties: dict[LabelName, Oid] = Field(
        default_factory=dict, description="scalar strings sent in the device BIRTH (object OIDs, .0 is added)"
    )
    metrics: list[MetricSpec] = Field(min_length=1, description="the metric map")

    @model_validator(mode="after")
    def _consistent(self) -> Module:
        names = [m.name for m in self.metrics]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            msg = f"metric names must be unique: {', '.join(dupes)}"
            raise ValueError(msg)
        for metric in self.metrics:
            self._check_metric(metric)
        for prop, oid in self.properties.items():
            if not self.fetches(f"{oid}.0"):
                msg = f"property {prop}: {oid}.0 is neither in get nor under a walk subtree"
                raise ValueError(msg)
        return self

    def _check_metric(self, metric: MetricSpec) -> None:
        wanted = metric.oid if metric.index else metric.instance
        covered = self.walks_cover(wanted) if metric.index else self.fetches(wanted)
        if not covered:
            where = "under a walk subtree" if metric.index else "in get or under a walk subtree"
            msg = f"metric {metric.name}: {wanted} is not {where}"
            raise ValueError(msg)
        if metric.fallback_oid is not None and self.walks_cover(metric.fallback_oid):
            msg = f"metric {metric.name}: fallback_oid is walked on demand; take it out of walk"
            raise ValueError(msg)
        for label in metric.extra_labels:
            if label not in self.lookups or metric.index is None:
                msg = f"metric {metric.name}: extra label {label} must name a lookup (and needs index)"
                raise ValueError(msg)
        for oid in metric.companions:
            if not self.walks_cover(oid):
                msg = f"metric {metric.name}: companion column {oid} is not under a walk subtree"
                raise ValueError(msg)

    def walks_cover(self, oid: str) -> bool:
        """Whether some walk subtree contains ``oid``."""
        return any(oid_in(oid, subtree) for subtree in self.walk)

    def fetches(self, instance: str) -> bool:
        """Whether ``instance`` is fetched by a GET or a walk."""
        return instance in self.get or self.walks_cover(instance)

    def lookup_columns(self) -> list[str]:
        """Lookup columns that need walks of their own (not covered by ``walk``)."""
        columns = [
            oid for lookup in self.lookups.values() for oid in (lookup.oid, lookup.fallback_oid) if oid
        ]
        return [oid for oid in dict.fromkeys(columns) if not self.walks_cover(oid)]

    def metric_defs(self) -> list[MetricDef]:
        """Declarations of every metric of this module."""
        return [m.metric_def() for m in self.metrics]


def load_module(path: Path) -> Module:
    """Read and validate one module file; raises ConfigError naming file:line:key."""
    module = validate(read_yaml(path), Module, path)
    if module.name != path.stem:
        msg = f"{path}:1: name: {module.name!r} must equal the file name {path.stem!r}"
        raise ConfigError(msg)
    return module


@functools.cache
def available_modules(directory: Path = MODULE_DIR) -> frozenset[str]:
    """Names of the module files shipped in ``directory``."""
    return frozenset(p.stem for p in directory.glob("*.yaml"))


def load_modules(names: Iterable[str], directory: Path = MODULE_DIR) -> dict[str, Module]:
    """Load the named modules (each once), validating every file."""
    loaded: dict[str, Module] = {}
    for name in names:
        if name not in loaded:
            loaded[name] = load_module(directory / f"{name}.yaml")
    return loaded
