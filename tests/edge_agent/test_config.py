"""The agent config file: the simulator's files load as they are; errors name file:line:key."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.configfile import ConfigError
from edge_agent.config import load, validate_config_file
from tests.edge_agent.conftest import FIXTURES

GOOD = """\
agent:
  node_id: edge-sim-1          # MQTT node id
  labels: {county: 巴州区}
mqtt:
  host: 127.0.0.1
  port: 1883
  username: null
  password: null
  keepalive: 30
poll:
  interval: 15
  timeout: 2.0
  retries: 1
  max_repetitions: 25
auths:
  sim_v2c: {version: "2c", community: public}
  v3_example: {version: "3", username: u, auth_protocol: SHA256, auth_password: s3cret-auth,
               priv_protocol: AES128, priv_password: s3cret-priv}
targets:
  - device: gnb-0001
    kind: gnb
    address: 127.0.0.1
    port: 16100
    auth: sim_v2c
    context: gnb-0001
    modules: [system, if_mib, gnb_radio]
    labels: {county: 巴州区, township: 回风街道, village: 青林社区, site: 511902001-cell-1}
  - device: ups-0001
    kind: ups
    address: 127.0.0.1
    auth: v3_example
    modules: [system, ups]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def _error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load(path)
    return str(info.value)


def test_the_documented_shape_loads_with_defaults(tmp_path: Path) -> None:
    config = load(_write(tmp_path, GOOD))
    assert config.agent.node_id == "edge-sim-1"
    assert config.agent.labels == {"county": "巴州区"}
    assert config.poll.interval == 15
    assert config.poll.effective_deadline == pytest.approx(12.0)
    gnb, ups = config.targets
    assert gnb.modules == ["system", "if_mib", "gnb_radio"]
    assert gnb.context == "gnb-0001"
    assert ups.port == 161
    v3 = config.auths["v3_example"]
    assert v3.auth_key is not None
    assert v3.auth_key.get_secret_value() == "s3cret-auth"


def test_the_file_the_simulator_writes_loads_as_is() -> None:
    config = load(FIXTURES / "agent-sim.yaml")
    assert [t.device for t in config.targets] == ["gnb-0001", "olt-0001-a", "ups-0001"]
    v3 = config.auths["sim_v3"]
    # snmp_exporter's names (security_level, password) are accepted alongside ours.
    assert v3.security_level == "authPriv"
    assert v3.auth_key is not None
    assert v3.auth_key.get_secret_value() == "authpass123"
    assert config.auths["sim_v2c"].version == "2c"


def test_unknown_key_names_its_line(tmp_path: Path) -> None:
    text = GOOD.replace("    port: 16100\n", "    port: 16100\n    prot: udp\n")
    path = _write(tmp_path, text)
    message = _error(path)
    assert f"{path}:{_line(text, 'prot: udp')}: targets[0].prot: unknown key" in message


def test_unknown_auth_reference_names_the_target_line(tmp_path: Path) -> None:
    text = GOOD.replace("    auth: sim_v2c\n", "    auth: sim_v3c\n")
    path = _write(tmp_path, text)
    message = _error(path)
    assert f"{path}:{_line(text, 'auth: sim_v3c')}: targets[0].auth:" in message
    assert "'sim_v3c' is not defined in auths" in message
    assert "sim_v2c" in message  # lists what is defined


def test_duplicate_devices_and_unknown_modules_are_errors(tmp_path: Path) -> None:
    text = GOOD.replace("device: ups-0001", "device: gnb-0001").replace("[system, ups]", "[system, upss]")
    message = _error(_write(tmp_path, text))
    assert "targets[1].device: Value error, device 'gnb-0001' appears more than once" in message
    assert "targets[1].modules[1]: Value error, unknown module 'upss'" in message


@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        ('{version: "2c", community: public}', '{version: "2c"}', 'version "2c" needs community'),
        (
            '{version: "2c", community: public}',
            '{version: "2c", community: p, username: u}',
            "does not take username",
        ),
        ("auth_password: s3cret-auth,", "", "auth_protocol and auth_password go together"),
        ("node_id: edge-sim-1", "node_id: edge/sim", "invalid node or device id"),
        ("labels: {county: 巴州区}", "labels: {County: 巴州区}", "agent.labels.County"),
        ("interval: 15", "interval: 15\n  deadline: 20", "deadline (20.0) must be shorter than interval"),
    ],
)
def test_invalid_values_are_explained(tmp_path: Path, replace: str, by: str, expected: str) -> None:
    assert replace in GOOD
    assert expected in _error(_write(tmp_path, GOOD.replace(replace, by)))


def test_v3_version_may_be_an_integer_and_security_level_must_match(tmp_path: Path) -> None:
    text = GOOD.replace(
        '{version: "3", username: u,', "{version: 3, security_level: authNoPriv, username: u,"
    )
    message = _error(_write(tmp_path, text))
    assert "security_level authNoPriv does not match the keys given (authPriv)" in message


def test_validate_config_file_masks_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGE_TEST_COMMUNITY", "from-the-environment")
    path = _write(tmp_path, GOOD.replace("community: public", "community: env:EDGE_TEST_COMMUNITY"))
    rendered = validate_config_file(path)
    assert load(path).auths["sim_v2c"].community.get_secret_value() == "from-the-environment"  # type: ignore[union-attr]
    for secret in ("from-the-environment", "s3cret-auth", "s3cret-priv"):
        assert secret not in rendered
    assert "community: '**********'" in rendered
    assert "max_repetitions: 25" in rendered  # defaults are shown


def test_v1_per_target_overrides_outbox_and_traps(tmp_path: Path) -> None:
    secret = tmp_path / "priv"
    secret.write_text("from-a-file\n", encoding="utf-8")
    text = (
        GOOD.replace(
            "  sim_v2c: {version", "  old_ups: {version: '1', community: private}\n  sim_v2c: {version"
        )
        .replace("priv_password: s3cret-priv}", f"priv_password: 'file:{secret}'}}")
        .replace(
            "    modules: [system, ups]\n", "    modules: [system, ups]\n    interval: 60\n    bulk: false\n"
        )
        + "outbox: {max_bytes: 100000000, replay_rate: 40}\n"
        + "traps: {enabled: true, port: 0,\n"
        + "        v3: [{auth: v3_example, engine_id: '0x8000000001020304', device: ups-0001}]}\n"
    )
    config = load(_write(tmp_path, text))
    assert config.auths["old_ups"].version == "1"
    assert config.auths["v3_example"].priv_password.get_secret_value() == "from-a-file"  # type: ignore[union-attr]
    gnb, ups = config.targets
    assert config.plan(gnb).interval == 15
    assert config.plan(ups).interval == 60
    assert config.plan(ups).deadline == pytest.approx(48.0)  # 0.8 x its own interval
    assert config.plan(ups).bulk is False
    assert config.plan(gnb).walk_concurrency == 2
    assert config.outbox.replay_rate == 40
    assert config.traps.v3[0].device == "ups-0001"
    assert "from-a-file" not in validate_config_file(_write(tmp_path, text))


@pytest.mark.parametrize(
    ("addition", "expected"),
    [
        ("traps: {v3: [{auth: sim_v2c, engine_id: '8000000001'}]}\n", "is not a version 3 entry of auths"),
        ("traps: {v3: [{auth: v3_example, engine_id: 'zz'}]}\n", "traps.v3[0].engine_id"),
        ("outbox: {max_bytes: 10}\n", "outbox.max_bytes"),
        ("outbox: {synchronous: sometimes}\n", "outbox.synchronous"),
    ],
)
def test_new_sections_name_their_key_and_line(tmp_path: Path, addition: str, expected: str) -> None:
    text = GOOD + addition
    path = _write(tmp_path, text)
    message = _error(path)
    assert expected in message
    assert f"{path}:" in message


def test_a_target_deadline_must_fit_its_interval(tmp_path: Path) -> None:
    text = GOOD.replace("    modules: [system, ups]\n", "    modules: [system, ups]\n    deadline: 30\n")
    path = _write(tmp_path, text)
    message = _error(path)
    assert "targets[1]: deadline 30.0 must be shorter than interval 15.0" in message
