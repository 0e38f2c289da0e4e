"""Declarative SNMP modules: what to fetch from a device and how varbinds become metrics.

One YAML file per module (``edge_agent/modules/<name>.yaml``), in the manner of
snmp_exporter's generated snmp.yml but written by hand: ``get`` (scalar
instances), ``walk`` (subtrees), ``lookups`` (index -> label tables),
``properties`` (strings sent once in the device BIRTH) and ``metrics``. Files
are validated at start; errors name file:line:key. Device knowledge lives
here, not in code.
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


class Lookup(ConfigModel):
    """A column whose value, at the same index, names a row (ifIndex -> ifName)."""

    oid: Oid = Field(description="column OID (walked); its value at a row's index becomes the label")
    fallback_oid: Oid | None = Field(
        default=None, description="column used for rows the first one lacks (ifDescr when ifName is absent)"
    )


class MetricSpec(ConfigModel):
    """One metric: where its values are and what they mean."""

    name: MetricName = Field(description="metric name, snake_case, unique in the module")
    oid: Oid = Field(
        description="object OID without instance: a column (with index) or a scalar (.0 is added)"
    )
    type: Literal["counter", "gauge", "info", "stateset"] = Field(description="contract metric type")
    help: str = Field(max_length=256, description="one line for Prometheus HELP")
    unit: str = Field(default="", max_length=32, description="unit (seconds, bytes, percent, volts...)")
    index: LabelName | None = Field(
        default=None,
        description="label for the row index of a column; filled from lookups[index] when defined, "
        "else the index itself. Omit for scalars.",
    )
    enum: dict[int, StateName] = Field(
        default_factory=dict, description="stateset only: integer value -> state name (one series per state)"
    )
    value_label: LabelName | None = Field(
        default=None, description="info only: the label that carries the string value"
    )
    scale: float = Field(default=1.0, description="gauge only: factor applied to the raw value (0.1 V -> V)")
    fallback_oid: Oid | None = Field(
        default=None,
        description="column walked on demand, only on devices where oid has no rows at all "
        "(ifInOctets where ifHCInOctets is absent); its values are reported under this metric's name",
    )

    @model_validator(mode="after")
    def _fields_of_type(self) -> MetricSpec:
        if (self.type == "stateset") != bool(self.enum):
            msg = "enum is required for type stateset and allowed only there"
            raise ValueError(msg)
        if (self.type == "info") != (self.value_label is not None):
            msg = "value_label is required for type info and allowed only there"
            raise ValueError(msg)
        if self.fallback_oid is not None and self.index is None:
            msg = "fallback_oid is allowed only for columns (metrics with index)"
            raise ValueError(msg)
        if self.scale != 1.0 and self.type != "gauge":
            msg = "scale is allowed only for type gauge (counters stay raw counts)"
            raise ValueError(msg)
        return self

    @property
    def instance(self) -> str:
        """The instance OID of a scalar."""
        return f"{self.oid}.0"

    def labels(self) -> list[str]:
        """Label names of this metric's samples (besides the device's own labels)."""
        names = [self.index] if self.index else []
        if self.type == "stateset":
            names.append(self.name)
        if self.value_label:
            names.append(self.value_label)
        return names

    def metric_def(self) -> MetricDef:
        """The declaration sent in the device BIRTH."""
        return MetricDef(name=self.name, type=self.type, help=self.help, unit=self.unit, labels=self.labels())


class Module(ConfigModel):
    """One module file."""

    name: MetricName = Field(description="module name; must equal the file name without .yaml")
    description: str = Field(default="", description="what the module covers and where its OIDs come from")
    get: list[Oid] = Field(default_factory=list, description="scalar instances fetched with GET (end in .0)")
    walk: list[Oid] = Field(default_factory=list, description="subtrees fetched with GETBULK walks")
    lookups: dict[LabelName, Lookup] = Field(default_factory=dict, description="index -> label tables")
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
        for label, lookup in self.lookups.items():
            for oid in filter(None, (lookup.oid, lookup.fallback_oid)):
                if not self.walks_cover(oid):
                    msg = f"lookup {label}: {oid} is not under any walk subtree"
                    raise ValueError(msg)
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

    def walks_cover(self, oid: str) -> bool:
        """Whether some walk subtree contains ``oid``."""
        return any(oid_in(oid, subtree) for subtree in self.walk)

    def fetches(self, instance: str) -> bool:
        """Whether ``instance`` is fetched by a GET or a walk."""
        return instance in self.get or self.walks_cover(instance)

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
