"""Declarative SNMP modules (``*.yaml`` next to this file) and their loader."""

from edge_agent.modules.loader import (
    MODULE_DIR,
    Lookup,
    MetricSpec,
    Module,
    available_modules,
    load_module,
    load_modules,
)

__all__ = ["MODULE_DIR", "Lookup", "MetricSpec", "Module", "available_modules", "load_module", "load_modules"]
