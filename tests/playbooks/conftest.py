"""Fixtures for the rollout tests: signing keys, artifacts, a Range-capable artifact server."""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.playbooks.helpers import (
    BUILD_ARTIFACT,
    PLAYBOOKS,
    RELEASE_FILES,
    REPO,
    ArtifactServer,
    PlaybookRun,
    load_module,
    make_tls,
    run_playbook,
)
from tests.support.ports import free_port
from tests.support.services import need

GOOD_SELFTEST = b"#!/bin/sh\nexit 0\n"
# Passes before the switch, fails after it: the release installs, then must roll back.
FAILING_SELFTEST = b'#!/bin/sh\n[ "$CUNLINK_RELEASE_PHASE" = post ] && exit 1\nexit 0\n'


TOOL_MODULES = ("errors", "settings", "layout", "lock", "verify", "download", "releases", "hooks", "activate")


@pytest.fixture(scope="session")
def tool() -> ModuleType:
    """The device tool's API in one namespace (its modules' public names), from the package
    the zipapp is built from; the command-line tests run the zipapp itself (RELEASE_TOOL)."""
    if str(RELEASE_FILES) not in sys.path:
        sys.path.insert(0, str(RELEASE_FILES))
    api = ModuleType("cunlink_release_api")
    for name in TOOL_MODULES:
        module = importlib.import_module(f"cunlink_release.{name}")
        api.__dict__.update({k: v for k, v in vars(module).items() if not k.startswith("_")})
    return api


@pytest.fixture(scope="session")
def builder() -> ModuleType:
    return load_module(BUILD_ARTIFACT, "build_artifact")


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory, builder: ModuleType) -> tuple[Path, Path]:
    """(private key, public key) of the fleet, PEM files."""
    private, public = builder.generate_key(tmp_path_factory.mktemp("keys") / "release")
    return private, public


@pytest.fixture(scope="session")
def other_keys(tmp_path_factory: pytest.TempPathFactory, builder: ModuleType) -> tuple[Path, Path]:
    """A key pair the devices do not trust."""
    private, public = builder.generate_key(tmp_path_factory.mktemp("other-keys") / "release")
    return private, public


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dist")


@pytest.fixture(scope="session")
def server(dist: Path) -> Iterator[ArtifactServer]:
    """http.server on a free loopback port serving ``dist`` with Range support."""
    srv = ArtifactServer(dist)
    srv.start()
    yield srv
    srv.stop()


_counter = itertools.count()


@pytest.fixture(scope="session")
def make_artifact(builder: ModuleType, keys: tuple[Path, Path], dist: Path) -> Callable[..., str]:
    """Build a small release artifact into ``dist``; returns its version.

    ``files`` small files plus ``payload`` random bytes (a big file makes downloads resumable
    in a meaningful way), and a self-test script.
    """

    def make(
        version: str | None = None,
        *,
        files: int = 3,
        payload: int = 0,
        selftest: bytes = GOOD_SELFTEST,
        key: Path | None = None,
        out: Path | None = None,
    ) -> str:
        version = version or f"v{next(_counter)}"
        extra: dict[str, tuple[bytes, int]] = {"bin/selftest": (selftest, 0o755)}
        for i in range(files):
            extra[f"app/file{i:04d}.txt"] = (f"{version} {i}\n".encode(), 0o644)
        if payload:
            # Deterministic but incompressible, so the tarball is about `payload` bytes.
            import random

            extra["app/payload.bin"] = (random.Random(version).randbytes(payload), 0o644)
        builder.build_artifact(version, out or dist, key or keys[0], extra_files=extra)
        return version

    return make


# --------------------------------------------------------------------------- a simulated fleet

PROJECT_VERSIONS = ("1.0.0", "1.1.0", "1.2.0")
# The project's self-test, plus a per-device failure flag (rollout.md 2.5: "per-host failure
# flags"): a device with shared/state/fail-selftest fails after the switch, like a release
# that does not come up on that device.
PROJECT_SELFTEST = b"""#!/bin/sh
set -eu
here=$(cd "$(dirname "$0")/.." && pwd -P)
if [ "$CUNLINK_RELEASE_PHASE" = post ] && [ -e "$CUNLINK_RELEASE_ROOT/shared/state/fail-selftest" ]; then
  echo "fail-selftest flag set on this device" >&2
  exit 1
fi
"$here/bin/cunlink" --version >/dev/null
for cfg in ${CUNLINK_SELFTEST_CONFIGS:-}; do
  "$here/bin/cunlink" validate-config --quiet "$cfg"
done
"""
RULES = """groups:
  - name: cunlink-test
    rules:
      - alert: CunlinkHubDown
        expr: up{job="cunlink-hub"} == 0
        for: 5m
        labels: {severity: critical}
        annotations: {summary: "The hub does not answer /metrics"}
"""


@dataclass
class Fleet:
    """A converged simulated installation: 1 central host, 1 edge agent, 2 kiosks."""

    inventory: Path
    roots: Path
    home: Path
    ports: dict[str, int]
    tls: dict[str, str]
    first: PlaybookRun
    second: PlaybookRun

    def root(self, host: str) -> Path:
        return self.roots / host


@pytest.fixture(scope="session")
def fleet(
    tmp_path_factory: pytest.TempPathFactory,
    builder: ModuleType,
    keys: tuple[Path, Path],
    dist: Path,
    server: ArtifactServer,
) -> Fleet:
    """site.yml run for real, twice (the second run must change nothing), against local hosts."""
    base = tmp_path_factory.mktemp("fleet")
    for version in PROJECT_VERSIONS:
        builder.build_artifact(
            version, dist, keys[0], project=REPO, extra_files={"bin/selftest": (PROJECT_SELFTEST, 0o755)}
        )
    dashboards = base / "dashboards"
    (dashboards / "prometheus" / "rules").mkdir(parents=True)
    (dashboards / "prometheus" / "rules" / "cunlink.yml").write_text(RULES)
    (dashboards / "grafana").mkdir()
    (dashboards / "grafana" / "overview.json").write_text(json.dumps({"title": "cunlink", "panels": []}))
    tls = make_tls(base / "tls")
    ports = {"plain": free_port(), "tls": free_port()}
    python = sys.executable
    # kiosk.config does not exist yet in this tree; validate kiosk configs once it does.
    kiosk_validator = importlib.util.find_spec("kiosk.config") is not None
    overlay: dict[str, Any] = {
        "all": {
            "cunlink_become": False,
            "cunlink_release_version": PROJECT_VERSIONS[0],
            "cunlink_artifact_base_url": server.url,
            "cunlink_release_public_keys": [keys[1].read_text()],
            "cunlink_mqtt_device_secret": "fleet-secret",
            "cunlink_mqtt_hub_password": "hub-password",
            "cunlink_mqtt_ca_cert": tls["ca"],
            "cunlink_mqtt_host": "127.0.0.1",
            "cunlink_mqtt_port": ports["tls"],
            "cunlink_mqtt_hub_port": ports["plain"],
            **{
                f"{role}_manage_systemd": False
                for role in ("kiosk", "edge_agent", "hub", "mosquitto", "monitoring")
            },
            **{f"{role}_python": python for role in ("kiosk", "edge_agent", "hub")},
            **{f"{role}_release_python": python for role in ("kiosk", "edge_agent", "hub")},
            **{f"{role}_verify_deadline": 3 for role in ("kiosk", "edge_agent", "hub")},
            "kiosk_validate_config": kiosk_validator,
            "mosquitto_prefix": "{{ cunlink_install_root }}",
            "mosquitto_tls_address": "127.0.0.1",
            "mosquitto_tls_cert": tls["cert"],
            "mosquitto_tls_key": tls["key"],
            "monitoring_prefix": "{{ cunlink_install_root }}",
            "monitoring_promtool": need("promtool"),
            "monitoring_dashboards_dir": str(dashboards),
        },
        # A site-level value beats the kind-level one (layering, checked in the roles test).
        "kinds": {"kiosks": {"kiosk_release_keep": 2}},
        "sites": {"svc-0002": {"kiosk_release_keep": 1}},
    }
    (base / "overlay.yml").write_text(yaml.safe_dump(overlay, allow_unicode=True))
    inventory = base / "hosts.yml"
    generator = load_module(PLAYBOOKS / "inventory_from_fleet.py", "inventory_from_fleet")
    rc = generator.main(
        [
            str(PLAYBOOKS / "inventories" / "example" / "fleet.yaml"),
            "--overlay",
            str(base / "overlay.yml"),
            *("--hub", "central", "--broker", "central", "--monitoring", "central"),
            "--local-root",
            str(base / "roots"),
            "--out",
            str(inventory),
        ]
    )
    assert rc == 0
    home = base / "ansible-home"
    first = run_playbook("site.yml", inventory, home)
    assert first.rc == 0, first.output[-6000:]
    second = run_playbook("site.yml", inventory, home)
    assert second.rc == 0, second.output[-6000:]
    return Fleet(inventory, base / "roots", home, ports, tls, first, second)
