"""cunlink_release, the device side of a rollout: fetch, switch, verify, rollback.

Run against real files under tmp_path and a real HTTP server on loopback. ``device`` drives
one install root either in-process (the package's functions) or as the program devices run
(the zipapp the role ships); the crash tests kill that program with SIGKILL.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from hub.rollouts.job import result_line
from hub.rollouts.model import Status
from hub.rollouts.verdicts import judge
from tests.playbooks.conftest import FAILING_SELFTEST
from tests.playbooks.helpers import RELEASE_TOOL, ArtifactServer, run_tool, write_settings


def installed(root: Path) -> str | None:
    """The version `current` points at, checked to be a complete release."""
    link = root / "current"
    if not link.is_symlink():
        return None
    target = root / os.readlink(link)
    assert target.is_dir(), f"current -> {os.readlink(link)} dangles"
    revision = json.loads((target / "REVISION").read_text())
    assert target.name == revision["version"]
    return target.name


@dataclass
class Device:
    """One install root that trusts the fleet key and fetches from ``url``."""

    tool: ModuleType
    root: Path
    public_key: Path
    url: str
    #: In-process settings (the CLI reads ROOT/etc/release.json, written by ``configure``).
    settings: Any

    def tuned(self, **overrides: object) -> Device:
        return replace(self, settings=replace(self.settings, **overrides))

    @property
    def layout(self) -> Any:
        return self.tool.Layout(self.root)

    def fetch(self, version: str) -> dict[str, Any]:
        result: dict[str, Any] = self.tool.fetch(self.layout, self.settings, version, self.url)
        return result

    def switch(self, version: str) -> dict[str, Any]:
        result: dict[str, Any] = self.tool.switch(self.layout, self.settings, version)
        return result

    def install(self, *versions: str) -> None:
        """Fetch and switch to each version in turn (distinct mtimes order the releases)."""
        for version in versions:
            self.fetch(version)
            self.switch(version)
            time.sleep(0.01)

    def configure(self, **values: object) -> Path:
        """Write the settings file as the role would: the fleet key and URL plus ``values``."""
        return write_settings(self.root, public_keys=[str(self.public_key)], base_url=self.url, **values)

    def run(self, *args: str) -> tuple[dict[str, Any], int]:
        """The real program, as Ansible runs it on the device."""
        return run_tool(self.root, *args)

    def fetch_cli(self, version: str, url: str | None = None) -> tuple[dict[str, Any], int]:
        """``fetch`` with key and URL on the command line (no settings file)."""
        return self.run(
            "--public-key", str(self.public_key), "fetch", "--version", version, "--url", url or self.url
        )

    def spawn(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, str(RELEASE_TOOL), "--root", str(self.root), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    @property
    def current(self) -> str | None:
        return installed(self.root)


@pytest.fixture
def device(tool: ModuleType, keys: tuple[Path, Path], server: ArtifactServer, tmp_path: Path) -> Device:
    settings = tool.Settings(public_keys=(keys[1],), fetch_retries=0, verify_interval=0.2)
    return Device(tool, tmp_path / "root", keys[1], server.url, settings)


# --------------------------------------------------------------------------- fetch


def test_fetch_verifies_and_stages_then_reuses(
    device: Device, server: ArtifactServer, make_artifact: Callable[..., str]
) -> None:
    version = make_artifact()
    assert device.fetch(version)["result"] == "fetched"
    staged = sorted(p.name for p in (device.root / "staging").iterdir())
    assert staged == [
        f"cunlink-{version}.manifest.json",
        f"cunlink-{version}.manifest.json.sig",
        f"cunlink-{version}.tar.gz",
    ]
    before = len(server.log.requests)
    assert device.fetch(version)["result"] == "already-staged"
    assert len(server.log.requests) == before, "a staged artifact must not be downloaded again"


def test_fetch_resumes_a_partial_download_with_range(
    device: Device, server: ArtifactServer, make_artifact: Callable[..., str]
) -> None:
    version = make_artifact(payload=400_000)
    artifact = f"/cunlink-{version}.tar.gz"
    cut = (server.root / artifact[1:]).stat().st_size // 3
    server.log.cut_after[artifact] = cut

    # The link drops a third of the way through: the device keeps what it got.
    with pytest.raises(device.tool.UnavailableError):
        device.fetch(version)
    part = device.root / "staging" / f"cunlink-{version}.tar.gz.part"
    assert part.stat().st_size == cut

    result = device.fetch(version)
    assert result["result"] == "fetched"
    assert result["resumed_from"] == cut
    ranges = [rng for path, rng in server.log.requests if path == artifact]
    assert ranges == [None, f"bytes={cut}-"], "the second attempt must ask only for the rest"
    assert not part.exists()


def test_fetch_retries_within_one_run(
    device: Device, server: ArtifactServer, make_artifact: Callable[..., str]
) -> None:
    version = make_artifact(payload=100_000)
    server.log.cut_after[f"/cunlink-{version}.tar.gz"] = 10_000
    assert device.tuned(fetch_retries=2).fetch(version)["result"] == "fetched"


def test_corrupted_artifact_is_refused_and_discarded(
    device: Device, server: ArtifactServer, make_artifact: Callable[..., str]
) -> None:
    version = make_artifact(payload=50_000)
    server.log.corrupt.add(f"/cunlink-{version}.tar.gz")
    out, rc = device.fetch_cli(version)
    assert rc == 65
    assert out["reason"] == "checksum-mismatch"
    assert "does not match the signed" in out["message"]
    assert not list((device.root / "staging").iterdir()), "nothing of a corrupted download may stay"


def test_tampered_staging_is_refused_at_switch(device: Device, make_artifact: Callable[..., str]) -> None:
    old, new = make_artifact(), make_artifact()
    device.install(old)
    device.fetch(new)
    staged = device.root / "staging" / f"cunlink-{new}.tar.gz"
    data = bytearray(staged.read_bytes())
    data[100] ^= 0xFF
    staged.write_bytes(bytes(data))
    with pytest.raises(device.tool.RefusedError, match="does not match its signed manifest"):
        device.switch(new)
    assert device.current == old
    assert not (device.root / "releases" / new).exists()


def test_unsigned_artifact_is_refused(
    device: Device, make_artifact: Callable[..., str], tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    version = make_artifact(out=dist)
    (dist / f"cunlink-{version}.manifest.json.sig").unlink()
    with ArtifactServer(dist) as srv:
        out, rc = device.fetch_cli(version, srv.url)
    assert rc == 65
    assert out["reason"] == "unsigned"
    assert "unsigned" in out["message"]
    assert not any(path.endswith(".tar.gz") for path, _ in srv.log.requests), "refused before downloading"


def test_wrongly_signed_artifact_is_refused(
    device: Device, other_keys: tuple[Path, Path], make_artifact: Callable[..., str]
) -> None:
    out, rc = device.fetch_cli(make_artifact(key=other_keys[0]))
    assert rc == 65
    assert out["reason"] == "bad-signature"


def test_tampered_manifest_is_refused(
    device: Device, make_artifact: Callable[..., str], tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    version = make_artifact(out=dist)
    manifest = dist / f"cunlink-{version}.manifest.json"
    data = json.loads(manifest.read_text())
    data["size"] += 1
    manifest.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    with ArtifactServer(dist) as srv:
        out, rc = device.fetch_cli(version, srv.url)
    assert (rc, out["reason"]) == (65, "bad-signature")


def test_no_trusted_key_refuses_everything(device: Device, make_artifact: Callable[..., str]) -> None:
    out, rc = device.run("fetch", "--version", make_artifact(), "--url", device.url)
    assert (rc, out["reason"]) == (65, "no-key")


def test_missing_artifact_is_unavailable_not_refused(device: Device) -> None:
    out, rc = device.fetch_cli("9.9.9")
    assert (rc, out["reason"]) == (69, "not-found")


# ------------------------------------------------------------ activate --fetch (one wave, one run)


def test_activate_fetch_downloads_switches_and_confirms_in_one_run(
    device: Device, server: ArtifactServer, make_artifact: Callable[..., str]
) -> None:
    old, new = make_artifact(), make_artifact()
    device.configure(verify_interval=0.2)
    out, rc = device.run("activate", "--version", old, "--fetch", "--deadline", "5")
    assert (rc, out["result"], out["fetch"]["result"]) == (0, "confirmed", "fetched"), out
    assert device.current == old
    out, rc = device.run("activate", "--version", new, "--fetch", "--url", server.url, "--deadline", "5")
    assert (rc, out["result"], out["switch"]["previous"]) == (0, "confirmed", old), out
    assert device.current == new
    # The orchestrator re-running the wave: nothing to download, nothing to switch.
    out, rc = device.run("activate", "--version", new, "--fetch")
    assert (rc, out["result"], out["fetch"]["result"]) == (0, "already-current", "already-unpacked")


def test_activate_fetch_still_refuses_a_tampered_staged_artifact(
    device: Device, make_artifact: Callable[..., str]
) -> None:
    old, new = make_artifact(), make_artifact()
    device.configure()
    device.install(old)
    device.fetch(new)
    staged = device.root / "staging" / f"cunlink-{new}.tar.gz"
    staged.write_bytes(staged.read_bytes()[:-10])
    # The staged copy no longer verifies: fetched again, checked, then unpacked and switched.
    out, rc = device.run("activate", "--version", new, "--fetch", "--deadline", "5")
    assert (rc, out["result"], out["fetch"]["result"]) == (0, "confirmed", "fetched"), out
    assert "no longer verifies" in out["_stderr"]


@pytest.mark.parametrize(
    ("broken", "rc", "status"), [("missing", 69, Status.DEFERRED), ("corrupt", 65, Status.FAILED)]
)
def test_activate_fetch_failure_is_judged_as_a_fetch(
    device: Device,
    server: ArtifactServer,
    make_artifact: Callable[..., str],
    broken: str,
    rc: int,
    status: Status,
) -> None:
    """Phase "all" is one task named "Activate the release"; a broken download must still
    be deferred (69, resumes) or refused (65), never counted as a failed switch."""
    old = make_artifact()
    device.configure()
    device.install(old)
    version = "9.9.9" if broken == "missing" else make_artifact(payload=20_000)
    server.log.corrupt.add(f"/cunlink-{version}.tar.gz")
    out, code = device.run("activate", "--version", version, "--fetch", "--deadline", "5")
    assert (code, out["step"]) == (rc, "fetch"), out
    assert device.current == old
    event = {
        "event": "runner_on_failed",
        "event_data": {
            "host": "kiosk-0001",
            "task": "Activate the release",
            "res": {"rc": code, "stdout": json.dumps({k: v for k, v in out.items() if k != "_stderr"})},
        },
    }
    line = result_line(event)
    assert line is not None
    assert line["task"] == "Fetch and verify the signed artifact"
    verdict = judge(line, version)
    assert verdict is not None
    assert verdict[0] is status


# --------------------------------------------------------------------------- switch, verify, rollback


def test_switch_keeps_a_bounded_number_of_releases(device: Device, make_artifact: Callable[..., str]) -> None:
    versions = [make_artifact() for _ in range(5)]
    device.tuned(keep=2).install(*versions)
    root = device.root
    assert device.current == versions[-1]
    assert sorted(p.name for p in (root / "releases").iterdir()) == sorted(versions[-2:])
    assert os.readlink(root / "previous") == f"releases/{versions[-2]}"
    assert not list((root / "staging").iterdir()), "staged copies of unpacked releases are removed"
    revision = json.loads((root / "current" / "REVISION").read_text())
    assert revision["version"] == versions[-1]
    assert len(revision["sha256"]) == 64


def test_failed_selftest_rolls_back_by_itself(device: Device, make_artifact: Callable[..., str]) -> None:
    good, bad = make_artifact(), make_artifact(selftest=FAILING_SELFTEST)
    device.configure(verify_interval=0.2)
    for version in (good, bad):
        assert device.run("fetch", "--version", version)[1] == 0
    out, rc = device.run("activate", "--version", good, "--deadline", "5")
    assert (rc, out["result"]) == (0, "confirmed")

    started = time.monotonic()
    out, rc = device.run("activate", "--version", bad, "--deadline", "1")
    assert (rc, out["result"]) == (3, "rolled-back")
    assert time.monotonic() - started < 10, "a failed release must be rolled back within the deadline"
    assert out["failed_version"] == bad
    assert out["version"] == good
    assert device.current == good
    status, _ = device.run("status")
    assert bad in status["failed"]
    assert status["pending"] is None

    # The orchestrator re-running the wave does not put the device back on the bad release.
    out, rc = device.run("activate", "--version", bad, "--deadline", "1")
    assert (rc, out["reason"]) == (1, "failed-before")
    assert device.current == good


def test_failed_pre_switch_selftest_changes_nothing(
    device: Device, make_artifact: Callable[..., str]
) -> None:
    good = make_artifact()
    broken = make_artifact(selftest=b"#!/bin/sh\necho config rejected >&2\nexit 1\n")
    device.install(good)
    device.fetch(broken)
    with pytest.raises(device.tool.ReleaseError, match="config rejected"):
        device.switch(broken)
    assert device.current == good
    pending = device.tool.State.load(device.layout).pending
    assert pending is not None
    assert pending["version"] == good, "the refused release must not become pending"


def test_verify_finishes_a_switch_left_unverified(device: Device, make_artifact: Callable[..., str]) -> None:
    """The controller died between switch and self-test: the device's timer finishes the job."""
    good, bad = make_artifact(), make_artifact(selftest=FAILING_SELFTEST)
    device.configure(verify_interval=0.2)
    for version in (good, bad):
        device.run("fetch", "--version", version)
    assert device.run("switch", "--version", good)[0]["result"] == "switched"
    assert device.run("verify", "--no-wait")[0]["result"] == "confirmed"
    assert device.run("switch", "--version", bad)[0]["result"] == "switched"
    assert device.run("status")[0]["pending"]["version"] == bad

    out, rc = device.run("verify", "--no-wait", "--deadline", "0.5")
    assert (rc, out["result"], out["version"]) == (3, "rolled-back", good)
    assert device.current == good
    assert device.run("verify", "--no-wait")[0]["result"] == "nothing-pending"


def test_rollback_and_rollback_to(device: Device, make_artifact: Callable[..., str]) -> None:
    a, b, c = make_artifact(), make_artifact(), make_artifact()
    device.tuned(keep=5).install(a, b, c)
    out, rc = device.run("--public-key", str(device.public_key), "rollback")
    assert (rc, out["version"], out["from"], out["changed"]) == (0, b, c, True)
    assert device.current == b
    out, rc = device.run("rollback", "--to", c)
    assert (rc, out["version"]) == (0, c)
    out, rc = device.run("rollback", "--to", "nope")
    assert (rc, out["reason"]) == (1, "no-such-release")


def test_session_lock_defers_the_switch(device: Device, make_artifact: Callable[..., str]) -> None:
    old, new = make_artifact(), make_artifact()
    lock = device.root / "shared" / "run" / "session.lock"
    device.configure(session_lock=str(lock))
    device.run("fetch", "--version", old)
    assert device.run("activate", "--version", old, "--deadline", "5")[1] == 0

    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as held:
        # The kiosk holds this lock for as long as a villager's session lasts.
        fcntl.flock(held, fcntl.LOCK_EX)
        out, rc = device.run("activate", "--version", new, "--fetch", "--deadline", "5")
        assert (rc, out["result"], out["reason"]) == (75, "deferred", "session-active")
        assert device.current == old
        # Phase 1 happened all the same: the next wave only switches.
        assert (device.root / "staging" / f"cunlink-{new}.tar.gz").is_file()
    out, rc = device.run("activate", "--version", new, "--deadline", "5")
    assert (rc, out["result"]) == (0, "confirmed")
    assert device.current == new


def test_maintenance_window_defers_the_switch_but_not_a_first_install(
    device: Device, make_artifact: Callable[..., str]
) -> None:
    first, second = make_artifact(), make_artifact()
    now = dt.datetime.now()
    closed = f"{(now + dt.timedelta(hours=2)):%H}:00-{(now + dt.timedelta(hours=3)):%H}:00"
    open_now = f"{(now - dt.timedelta(hours=1)):%H}:00-{(now + dt.timedelta(hours=2)):%H}:00"
    device.configure(windows=[closed])
    for version in (first, second):
        device.run("fetch", "--version", version)
    # Nothing runs yet, so there is nothing to disturb: a first install ignores the window.
    assert device.run("switch", "--version", first)[0]["result"] == "switched"
    out, rc = device.run("switch", "--version", second)
    assert (rc, out["reason"]) == (75, "outside-window")
    assert device.run("switch", "--version", second, "--ignore-window")[0]["result"] == "switched"
    device.configure(windows=[open_now])
    assert device.run("switch", "--version", first)[0]["result"] == "switched"


def test_window_parsing_and_midnight_wrap(tool: ModuleType) -> None:
    night = tool.Window.parse("22:30-04:00")
    assert night.contains(23 * 60)
    assert night.contains(60)
    assert not night.contains(12 * 60)
    day = tool.Window.parse("09:00-17:00")
    assert day.contains(9 * 60)
    assert not day.contains(17 * 60)
    with pytest.raises(tool.ReleaseError, match="HH:MM-HH:MM"):
        tool.Window.parse("9-5")


def test_unknown_setting_is_an_error_not_ignored(tmp_path: Path) -> None:
    write_settings(tmp_path, sesion_lock="/run/x")  # typo: must not silently drop the guard
    out, rc = run_tool(tmp_path, "status")
    assert rc == 1
    assert "unknown settings sesion_lock" in out["message"]


def test_init_is_idempotent_and_retires_old_keys(
    tmp_path: Path, keys: tuple[Path, Path], other_keys: tuple[Path, Path]
) -> None:
    def init(payload: dict[str, object]) -> dict[str, object]:
        done = subprocess.run(
            [sys.executable, str(RELEASE_TOOL), "--root", str(tmp_path), "init"],
            input=json.dumps(payload).encode(),
            capture_output=True,
            check=True,
        )
        result: dict[str, object] = json.loads(done.stdout)
        return result

    payload: dict[str, object] = {
        "settings": {"keep": 2, "windows": ["01:00-05:00"]},
        "public_keys": [keys[1].read_text(), other_keys[1].read_text()],
        "secrets": {"mqtt_password": "pw"},
    }
    assert init(payload)["changed"] is True
    assert init(payload)["changed"] is False
    assert (tmp_path / "shared" / "secrets" / "mqtt_password").read_text() == "pw"
    assert oct((tmp_path / "shared" / "secrets" / "mqtt_password").stat().st_mode & 0o777) == "0o640"
    payload["public_keys"] = [keys[1].read_text()]
    result = init(payload)
    assert result["changed"] is True
    assert sorted(p.name for p in (tmp_path / "etc" / "keys").iterdir()) == ["release-0.pub"]
    settings = json.loads((tmp_path / "etc" / "release.json").read_text())
    assert settings["public_keys"] == [str(tmp_path / "etc" / "keys" / "release-0.pub")]


# --------------------------------------------------------------------------- crash safety


def _check_complete(root: Path, expected_files: dict[str, int]) -> str | None:
    """`current` is absent or names a release with every file of its version."""
    version = installed(root)
    if version is None:
        return None
    files = sum(len(names) for _, _, names in os.walk(root / "current" / "app"))
    assert files == expected_files[version], (
        f"current -> {version} has {files} of {expected_files[version]} files"
    )
    return version


@pytest.mark.slow
def test_kill_9_at_random_points_never_breaks_current(
    device: Device, make_artifact: Callable[..., str]
) -> None:
    """SIGKILL the installer at random instants of unpack + switch + rollback; `current` stays whole."""
    files = 250
    versions = [make_artifact(files=files) for _ in range(13)]
    expected = dict.fromkeys(versions, files)
    root = device.root
    device = device.tuned(keep=50)
    device.configure(keep=50)
    for version in versions:
        device.fetch(version)

    def timed(*command: str) -> float:
        started = time.monotonic()
        out, rc = device.run(*command)
        assert rc == 0, out
        return max(time.monotonic() - started, 0.05)

    # How long one uninterrupted run of each command takes here, so the kills land inside it
    # (a rollback unpacks nothing and imports no cryptography: much shorter than a switch).
    timed("switch", "--version", versions[0])
    spans = {"switch": timed("switch", "--version", versions[1]), "rollback": timed("rollback")}

    rng = random.Random(7)
    kills = 0
    for version in versions[2:]:
        for command in (["switch", "--version", version], ["rollback"]):
            proc = device.spawn(*command)
            time.sleep(rng.uniform(0.0, spans[command[0]] * 1.2))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait()
            _check_complete(root, expected)
    assert kills >= 10, f"only {kills} runs were killed mid-way; the test proves nothing"

    # A re-run converges with no manual step and clears what the killed runs left.
    out, rc = device.run("switch", "--version", versions[-1])
    assert rc == 0, out
    assert _check_complete(root, expected) == versions[-1]
    assert not [p for p in (root / "releases").iterdir() if p.name.startswith(".tmp-")]
    assert not list(root.glob(".*.tmp-*"))
    out, rc = device.run("verify", "--deadline", "5")
    assert rc == 0
    assert out["result"] in {"confirmed", "nothing-pending"}


@pytest.mark.slow
def test_kill_9_during_self_test_rollback_still_ends_on_the_good_release(
    device: Device, make_artifact: Callable[..., str]
) -> None:
    """SIGKILL `verify` while it judges and rolls back a bad release; the next verify finishes."""
    good, bad = make_artifact(files=50), make_artifact(files=50, selftest=FAILING_SELFTEST)
    device.configure(verify_interval=0.05, keep=10)
    for version in (good, bad):
        assert device.run("fetch", "--version", version)[1] == 0
    assert device.run("activate", "--version", good, "--deadline", "5")[1] == 0
    # How long an uninterrupted judge-and-roll-back takes here, so the kills land inside it.
    device.run("switch", "--version", bad, "--force")
    started = time.monotonic()
    assert device.run("verify", "--deadline", "0.1")[1] == 3
    span = time.monotonic() - started
    rng = random.Random(11)
    kills = 0
    for _ in range(6):
        out, rc = device.run("switch", "--version", bad, "--force")
        assert (rc, out["result"]) == (0, "switched"), out
        proc = device.spawn("verify", "--deadline", "0.1")
        time.sleep(rng.uniform(0.0, span * 0.9))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        assert device.current in {good, bad}
        # Whoever runs verify next (the timer, the orchestrator) finishes the job.
        device.run("verify", "--deadline", "0.1")
        assert device.current == good
        status, _ = device.run("status")
        assert status["pending"] is None
    assert kills >= 3, f"only {kills} verify runs were killed mid-way"
