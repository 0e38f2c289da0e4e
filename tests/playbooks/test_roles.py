"""site.yml for real against ansible_connection=local hosts, each with its own install root.

The `fleet` fixture (conftest.py) runs site.yml twice on one central host (broker, monitoring,
hub), one edge agent and two kiosks. Real parts: ansible-core, the device tool, the cunlink
code of this checkout packed as a signed artifact, `cunlink validate-config` for hub and edge
configs, promtool, and a real Mosquitto started with the role's files.
"""

from __future__ import annotations

import json
import os
import queue
import ssl
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from tests.playbooks.conftest import PROJECT_VERSIONS, Fleet
from tests.playbooks.helpers import load_module, run_playbook
from tests.support.ports import wait_tcp
from tests.support.services import Process, need

# The first test here builds the shared converged fleet (two site.yml runs): more than the
# project's default 120 s per test on a loaded 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

DEVICES = ("edge-exch-001", "kiosk-0001", "kiosk-0002")
APP_ROOT = {"edge-exch-001": "edge_agent", "kiosk-0001": "kiosk", "kiosk-0002": "kiosk", "central": "hub"}


def app_root(fleet: Fleet, host: str) -> Path:
    return fleet.root(host) / APP_ROOT[host]


def test_site_converges_every_host(fleet: Fleet) -> None:
    assert set(fleet.first.recap) == {"central", *DEVICES}
    for host, counts in fleet.first.recap.items():
        assert counts["failed"] == 0, host
        assert counts["unreachable"] == 0, host
        assert counts["changed"] > 0, host


def test_second_run_changes_nothing(fleet: Fleet) -> None:
    """Idempotence: nothing is re-downloaded, re-switched, re-rendered or restarted."""
    for host, counts in fleet.second.recap.items():
        assert counts["changed"] == 0, f"{host} changed on the second run:\n{fleet.second.output[-4000:]}"
        assert counts["failed"] == 0


@pytest.mark.parametrize("host", ["central", *DEVICES])
def test_release_layout(fleet: Fleet, host: str) -> None:
    root = app_root(fleet, host)
    assert os.readlink(root / "current") == f"releases/{PROJECT_VERSIONS[0]}"
    revision = json.loads((root / "current" / "REVISION").read_text())
    assert revision["version"] == PROJECT_VERSIONS[0]
    assert (root / "current" / "bin" / "cunlink").exists()
    assert (root / "bin" / "cunlink_release.py").exists()
    for shared in ("config", "secrets", "state", "run"):
        assert (root / "shared" / shared).is_dir()
    state = json.loads((root / "state.json").read_text())
    assert state["confirmed"] == PROJECT_VERSIONS[0]
    assert state["pending"] is None
    settings = json.loads((root / "etc" / "release.json").read_text())
    assert settings["public_keys"] == [str(root / "etc" / "keys" / "release-0.pub")]
    # Not root-managed here: no unit to restart, nothing to check with systemctl.
    assert settings["restart_command"] == []
    assert settings["unit"] == ""


def test_no_systemd_or_etc_files_were_touched(fleet: Fleet) -> None:
    """*_manage_systemd: false keeps the tests (which run as root here) away from the machine."""
    del fleet
    for unit in ("cunlink-kiosk", "cunlink-edge-agent", "cunlink-hub"):
        assert not Path(f"/etc/systemd/system/{unit}.service").exists()
        assert not Path(f"/etc/systemd/system/{unit}-verify.timer").exists()
    assert not Path("/etc/mosquitto/conf.d/cunlink.conf").exists()


def test_variables_layer_down_to_the_site(fleet: Fleet) -> None:
    one = json.loads((app_root(fleet, "kiosk-0001") / "etc" / "release.json").read_text())
    two = json.loads((app_root(fleet, "kiosk-0002") / "etc" / "release.json").read_text())
    assert (one["keep"], two["keep"]) == (2, 1)  # kind group vs. the site svc-0002
    assert one["session_lock"] == str(app_root(fleet, "kiosk-0001") / "shared" / "state" / "session.lock")


def test_hub_config_is_rendered_and_valid(fleet: Fleet) -> None:
    config = yaml.safe_load((app_root(fleet, "central") / "shared" / "config" / "hub.yaml").read_text())
    secrets_dir = app_root(fleet, "central") / "shared" / "secrets"
    assert config["mqtt"] == {
        "host": "127.0.0.1",
        "port": fleet.ports["plain"],
        "username": "cunlink-hub",
        "password": f"file:{secrets_dir}/mqtt_password",
    }
    assert (secrets_dir / "mqtt_password").read_text() == "hub-password"
    assert oct((secrets_dir / "mqtt_password").stat().st_mode & 0o777) == "0o640"


def test_edge_config_has_the_townships_devices(fleet: Fleet) -> None:
    root = app_root(fleet, "edge-exch-001")
    config = yaml.safe_load((root / "shared" / "config" / "edge_agent.yaml").read_text())
    assert config["agent"]["node_id"] == "edge-exch-001"
    assert [t["device"] for t in config["targets"]] == ["gnb-0001", "olt-0001a"]
    assert config["targets"][0]["modules"] == ["system", "if_mib", "gnb_radio"]
    assert config["mqtt"]["ca_file"] == str(root / "shared" / "secrets" / "mqtt-ca.pem")
    filters = load_module(
        Path(__file__).parents[2] / "playbooks/filter_plugins/cunlink_filters.py", "cunlink_filters"
    )
    expected = filters.cunlink_device_password("fleet-secret", "edge-exch-001")
    assert (root / "shared" / "secrets" / "mqtt_password").read_text() == expected


def test_kiosk_config_places_the_kiosk(fleet: Fleet) -> None:
    root = app_root(fleet, "kiosk-0002")
    config = yaml.safe_load((root / "shared" / "config" / "kiosk.yaml").read_text())
    assert config["kiosk"]["node_id"] == "kiosk-0002"
    assert config["kiosk"]["village"] == {"id": "511902102201", "name": "青林村"}
    assert config["kiosk"]["township"] == {"id": "511902102", "name": "梁永镇"}
    # The session lock the switch waits for lives in the kiosk's data_dir.
    assert config["kiosk"]["data_dir"] == str(root / "shared" / "state")
    assert config["mqtt"]["port"] == fleet.ports["tls"]
    assert config["mqtt"]["tls_ca"] == str(root / "shared" / "secrets" / "mqtt-ca.pem")


def test_invalid_config_is_refused_before_use(fleet: Fleet, tmp_path: Path) -> None:
    """The template's validate: runs the release's `cunlink validate-config`; a bad value never lands."""
    config = app_root(fleet, "central") / "shared" / "config" / "hub.yaml"
    before = config.read_text()
    playbook = tmp_path / "hub-only.yml"
    playbook.write_text("- name: Hub only\n  hosts: hub\n  gather_facts: false\n  roles: [hub]\n")
    run = run_playbook(str(playbook), fleet.inventory, fleet.home, "-e", "hub_http_port=70000")
    assert run.rc != 0
    assert "validate-config" in run.output or "failed to validate" in run.output
    assert "http.port" in run.output
    assert config.read_text() == before


def test_prometheus_config_and_rules_pass_promtool(fleet: Fleet) -> None:
    prom = fleet.root("central") / "etc" / "prometheus"
    config = yaml.safe_load((prom / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["cunlink-hub"]["static_configs"][0]["targets"] == ["central:8780"]
    assert (prom / "rules" / "cunlink" / "cunlink.yml").exists()
    grafana = fleet.root("central") / "etc" / "grafana" / "provisioning"
    assert (
        yaml.safe_load((grafana / "datasources" / "cunlink.yaml").read_text())["datasources"][0]["type"]
        == "prometheus"
    )
    assert (fleet.root("central") / "var/lib/grafana/dashboards/cunlink/overview.json").exists()


# --------------------------------------------------------------------------- the broker, for real


@pytest.fixture(scope="module")
def broker(fleet: Fleet, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Mosquitto started on the role's own files (conf.d, password file, ACL, certificates)."""
    conf_d = fleet.root("central") / "etc" / "mosquitto" / "conf.d"
    work = tmp_path_factory.mktemp("mosquitto")
    # Debian's mosquitto.conf does this include; `user root` keeps the test's files readable.
    (work / "mosquitto.conf").write_text(
        f"user root\npersistence false\nlog_dest stdout\ninclude_dir {conf_d}\n"
    )
    process = Process([need("mosquitto"), "-c", str(work / "mosquitto.conf")], work / "mosquitto.log")
    process.start()
    try:
        wait_tcp("127.0.0.1", fleet.ports["plain"])
        wait_tcp("127.0.0.1", fleet.ports["tls"])
    except OSError:
        process.stop()
        raise AssertionError(process.output()) from None
    yield process
    process.stop()


class Client:
    """A paho client that records what it receives."""

    def __init__(self, fleet: Fleet, user: str, password: str, *, tls: bool) -> None:
        self.messages: queue.Queue[str] = queue.Queue()
        self.connected: queue.Queue[int] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{user}")
        self.client.username_pw_set(user, password)
        if tls:
            ca = fleet.root("central") / "etc" / "mosquitto" / "certs" / "ca.pem"
            self.client.tls_set(ca_certs=str(ca), cert_reqs=ssl.CERT_REQUIRED)
        self.client.on_connect = lambda _c, _u, _f, rc, _p: self.connected.put(rc.value)
        self.client.on_message = lambda _c, _u, msg: self.messages.put(msg.topic)
        port = fleet.ports["tls" if tls else "plain"]
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def rc(self) -> int:
        return self.connected.get(timeout=10)

    def subscribe(self, topic: str) -> None:
        _, mid = self.client.subscribe(topic, qos=1)
        del mid
        time.sleep(0.3)

    def publish(self, topic: str) -> None:
        self.client.publish(topic, b"{}", qos=1).wait_for_publish(5)

    def drain(self, wait: float = 0.7) -> set[str]:
        time.sleep(wait)
        got = set()
        while not self.messages.empty():
            got.add(self.messages.get())
        return got

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.mark.mosquitto
def test_broker_tls_passwords_and_acl(fleet: Fleet, broker: Any) -> None:
    del broker
    filters = load_module(
        Path(__file__).parents[2] / "playbooks/filter_plugins/cunlink_filters.py", "cunlink_filters"
    )
    hub = Client(fleet, "cunlink-hub", "hub-password", tls=False)
    kiosk = Client(
        fleet, "kiosk-0001", filters.cunlink_device_password("fleet-secret", "kiosk-0001"), tls=True
    )
    intruder = Client(fleet, "kiosk-0001", "wrong-password", tls=True)
    try:
        assert hub.rc() == 0
        assert kiosk.rc() == 0
        assert intruder.rc() != 0, "a wrong password must be refused"
        hub.subscribe("cl/v1/#")
        kiosk.subscribe("cl/v1/kiosk/+/CMD")
        kiosk.subscribe("cl/v1/hub/STATE")

        kiosk.publish("cl/v1/kiosk/kiosk-0001/BIRTH")
        kiosk.publish("cl/v1/kiosk/kiosk-0001/DATA")
        kiosk.publish("cl/v1/kiosk/kiosk-0002/BIRTH")  # someone else's id: dropped
        kiosk.publish("cl/v1/kiosk/kiosk-0001/CMD")  # a hub-to-node verb: dropped
        kiosk.publish("cl/v1/hub/STATE")  # only the hub may write its state
        assert hub.drain() == {"cl/v1/kiosk/kiosk-0001/BIRTH", "cl/v1/kiosk/kiosk-0001/DATA"}

        hub.publish("cl/v1/kiosk/kiosk-0001/CMD")
        hub.publish("cl/v1/kiosk/kiosk-0002/CMD")  # not for this kiosk: never delivered to it
        hub.publish("cl/v1/hub/STATE")
        assert kiosk.drain() == {"cl/v1/kiosk/kiosk-0001/CMD", "cl/v1/hub/STATE"}
    finally:
        for client in (hub, kiosk, intruder):
            client.close()
