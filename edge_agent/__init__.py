"""The edge agent: polls devices over SNMP and reports them over MQTT (contract v1).

Layout: ``config`` (the YAML file), ``modules`` (declarative SNMP modules),
``snmp`` (transport Protocol, pysnmp and fake implementations), ``collect`` and
``counters`` (turn varbinds into samples), ``poller`` (one task per target),
``node`` (the MQTT session: births, deaths, seq), ``outbox`` and ``publish``
(paho), ``agent`` (wiring) and ``cli``.
"""

from __future__ import annotations

from importlib import metadata


def _version() -> str:
    try:
        return metadata.version("cunlink")
    except metadata.PackageNotFoundError:
        return "0.0.0+unknown"


__version__ = _version()
