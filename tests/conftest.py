"""Shared fixtures: real Mosquitto, snmpd and Prometheus on free loopback ports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.services import Mosquitto, Prometheus, Snmpd


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A real broker for one test; ``.restart()`` keeps the port."""
    broker = Mosquitto(tmp_path)
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snmpd]:
    """One real net-snmp agent shared by the whole session (it is read-only)."""
    agent = Snmpd(tmp_path_factory.mktemp("snmpd"))
    agent.start()
    yield agent
    agent.stop()


@pytest.fixture
def prometheus_factory(tmp_path: Path) -> Iterator[Callable[[list[str]], Prometheus]]:
    """Start a real Prometheus scraping the given host:port targets every second."""
    started: list[Prometheus] = []

    def start(targets: list[str]) -> Prometheus:
        prom = Prometheus(tmp_path / f"prom{len(started)}", targets)
        prom.workdir.mkdir()
        prom.start()
        started.append(prom)
        return prom

    yield start
    for prom in started:
        prom.stop()
