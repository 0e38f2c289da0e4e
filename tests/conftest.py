"""Shared fixtures: real Mosquitto, snmpd and Prometheus on free loopback ports."""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
from _pytest.reports import TestReport

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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, TestReport, TestReport]:
    """Under CI a test skipped for a missing program fails: scripts/setup must have installed it."""
    report = yield
    if os.environ.get("CI") and report.skipped and "install" in str(report.longrepr).lower():
        report.outcome = "failed"
    return report


TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group tests by area for ``pytest -n 2 --dist loadgroup``.

    A worker takes a whole area (``hub/workorders``, ``playbooks``...), so module and
    session fixtures that are expensive (a converged Ansible site, a built artifact)
    are built once, and the areas spread over the cores.
    """
    for item in items:
        parts = item.path.relative_to(TESTS).parts
        group = "/".join(parts[:2]) if len(parts) > 2 else (parts[0] if len(parts) > 1 else "top")
        item.add_marker(pytest.mark.xdist_group(group))
