"""The service fixtures themselves: each starts the real binary and it answers."""

from __future__ import annotations

import subprocess

import pytest

from tests.support.services import Mosquitto, Snmpd, need


@pytest.mark.mosquitto
def test_mosquitto_restarts_on_same_port(mosquitto: Mosquitto) -> None:
    port = mosquitto.port
    mosquitto.restart()
    assert mosquitto.port == port
    pub = subprocess.run(
        [need("mosquitto_pub"), "-h", mosquitto.host, "-p", str(port), "-t", "t", "-m", "x"],
        capture_output=True,
        check=False,
        timeout=10,
    )
    assert pub.returncode == 0, pub.stderr


@pytest.mark.snmpd
def test_snmpd_answers_v2c_and_v3(snmpd: Snmpd) -> None:
    target = f"{snmpd.host}:{snmpd.port}"
    v2 = subprocess.run(
        [need("snmpget"), "-v2c", "-c", snmpd.community, "-On", target, "1.3.6.1.2.1.1.5.0"],
        capture_output=True,
        text=True,
        check=False,
        timeout=10,
    )
    assert v2.returncode == 0, v2.stderr
    v3 = subprocess.run(
        [
            need("snmpget"),
            "-v3",
            "-l",
            "authPriv",
            "-u",
            snmpd.v3_user,
            "-a",
            "SHA",
            "-A",
            snmpd.v3_auth,
            "-x",
            "AES",
            "-X",
            snmpd.v3_priv,
            "-On",
            target,
            "1.3.6.1.2.1.1.5.0",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=10,
    )
    assert v3.returncode == 0, v3.stderr
    assert v3.stdout.split("=", 1)[1] == v2.stdout.split("=", 1)[1]
