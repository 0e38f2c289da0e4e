"""cunlink_release.py, the device side of a rollout: fetch, switch, verify, rollback.

Run against real files under tmp_path and a real HTTP server on loopback; the crash tests
kill the real program with SIGKILL.
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
from pathlib import Path
from types import ModuleType

import pytest

from tests.playbooks.conftest import FAILING_SELFTEST
from tests.playbooks.helpers import RELEASE_TOOL, ArtifactServer, run_tool, write_settings


def settings_for(tool: ModuleType, keys: tuple[Path, Path], **overrides: object) -> object:
    values: dict[str, object] = {"public_keys": (keys[1],), "fetch_retries": 0, "verify_interval": 0.2}
    values.update(overrides)
    return tool.Settings(**values)


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


def fetch_and_switch(tool: ModuleType, root: Path, settings: object, url: str, version: str) -> None:
    layout = tool.Layout(root)
    tool.fetch(layout, settings, version, url)
    tool.switch(layout, settings, version, force=False, ignore_window=False, ignore_session=False)


# --------------------------------------------------------------------------- fetch


def test_fetch_verifies_and_stages_then_reuses(
    tool: ModuleType,
    keys: tuple[Path, Path],
    server: ArtifactServer,
    make_artifact: Callable[..., str],
    tmp_path: Path,
) -> None:
    version = make_artifact()
    layout = tool.Layout(tmp_path)
    settings = settings_for(tool, keys)
    result = tool.fetch(layout, settings, version, server.url)
    assert result["result"] == "fetched"
    staged = sorted(p.name for p in (tmp_path / "staging").iterdir())
    assert staged == [
        f"cunlink-{version}.manifest.json",
        f"cunlink-{version}.manifest.json.sig",
        f"cunlink-{version}.tar.gz",
    ]
    before = len(server.log.requests)
    again = tool.fetch(layout, settings, version, server.url)
    assert again["result"] == "already-staged"
    assert len(server.log.requests) == before, "a staged artifact must not be downloaded again"


def test_fetch_resumes_a_partial_download_with_range(
    tool: ModuleType,
    keys: tuple[Path, Path],
    server: ArtifactServer,
    make_artifact: Callable[..., str],
    tmp_path: Path,
) -> None:
    version = make_artifact(payload=400_000)
    artifact = f"/cunlink-{version}.tar.gz"
    size = (server.root / artifact[1:]).stat().st_size
    cut = size // 3
    server.log.cut_after[artifact] = cut
    layout = tool.Layout(tmp_path)
    settings = settings_for(tool, keys)

    # The link drops a third of the way through: the device keeps what it got.
    with pytest.raises(tool.UnavailableError):
        tool.fetch(layout, settings, version, server.url)
    part = tmp_path / "staging" / f"cunlink-{version}.tar.gz.part"
    assert part.stat().st_size == cut

    result = tool.fetch(layout, settings, version, server.url)
    assert result["result"] == "fetched"
    assert result["resumed_from"] == cut
    ranges = [rng for path, rng in server.log.requests if path == artifact]
    assert ranges == [None, f"bytes={cut}-"], "the second attempt must ask only for the rest"
    assert not part.exists()


def test_fetch_retries_within_one_run(
    tool: ModuleType,
    keys: tuple[Path, Path],
    server: ArtifactServer,
    make_artifact: Callable[..., str],
    tmp_path: Path,
) -> None:
    version = make_artifact(payload=100_000)
    server.log.cut_after[f"/cunlink-{version}.tar.gz"] = 10_000
    settings = settings_for(tool, keys, fetch_retries=2)
    result = tool.fetch(tool.Layout(tmp_path), settings, version, server.url)
    assert result["result"] == "fetched"


def test_corrupted_artifact_is_refused_and_discarded(
    tool: ModuleType,
    keys: tuple[Path, Path],
    server: ArtifactServer,
    make_artifact: Callable[..., str],
    tmp_path: Path,
) -> None:
    version = make_artifact(payload=50_000)
    server.log.corrupt.add(f"/cunlink-{version}.tar.gz")
    root = tmp_path / "root"
    out, rc = run_tool(root, "--public-key", str(keys[1]), "fetch", "--version", version, "--url", server.url)
    assert rc == 65
    assert out["reason"] == "checksum-mismatch"
    assert "does not match the signed" in out["message"]
    assert not list((root / "staging").iterdir()), "nothing of a corrupted download may stay"


def test_tampered_staging_is_refused_at_switch(
    tool: ModuleType,
    keys: tuple[Path, Path],
    server: ArtifactServer,
    make_artifact: Callable[..., str],
    tmp_path: Path,
) -> None:
    old, new = make_artifact(), make_artifact()
    settings = settings_for(tool, keys)
    fetch_and_switch(tool, tmp_path, settings, server.url, old)
    tool.fetch(tool.Layout(tmp_path), settings, new, server.url)
    staged = tmp_path / "staging" / f"cunlink-{new}.tar.gz"
    data = bytearray(staged.read_bytes())
    data[100] ^= 0xFF
    staged.write_bytes(bytes(data))
    with pytest.raises(tool.RefusedError, match="does not match its signed manifest"):
        tool.switch(
            tool.Layout(tmp_path), settings, new, force=False, ignore_window=False, ignore_session=False
        )
    assert installed(tmp_path) == old
    assert not (tmp_path / "releases" / new).exists()


def test_unsigned_artifact_is_refused(
    keys: tuple[Path, Path], make_artifact: Callable[..., str], tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    version = make_artifact(out=dist)
    (dist / f"cunlink-{version}.manifest.json.sig").unlink()
    srv = ArtifactServer(dist)
    srv.start()
    try:
        out, rc = run_tool(
            tmp_path / "root", "--public-key", str(keys[1]), "fetch", "--version", version, "--url", srv.url
        )
    finally:
        srv.stop()
    assert rc == 65
    assert out["reason"] == "unsigned"
    assert "unsigned" in out["message"]
    assert not any(path.endswith(".tar.gz") for path, _ in srv.log.requests), "refused before downloading"


def test_wrongly_signed_artifact_is_refused(
    keys: tuple[Path, Path],
    other_keys: tuple[Path, Path],
    server: ArtifactServer,
    make_artifact: Callable[..., str],
    tmp_path: Path,
) -> None:
    version = make_artifact(key=other_keys[0])
    out, rc = run_tool(
        tmp_path / "root", "--public-key", str(keys[1]), "fetch", "--version", version, "--url", server.url
    )
    assert rc == 65
    assert out["reason"] == "bad-signature"


def test_tampered_manifest_is_refused(
    keys: tuple[Path, Path], make_artifact: Callable[..., str], tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    version = make_artifact(out=dist)
    manifest = dist / f"cunlink-{version}.manifest.json"
    data = json.loads(manifest.read_text())
    data["size"] += 1
    manifest.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    srv = ArtifactServer(dist)
    srv.start()
    try:
        out, rc = run_tool(
            tmp_path / "root", "--public-key", str(keys[1]), "fetch", "--version", version, "--url", srv.url
        )
    finally:
        srv.stop()
    assert (rc, out["reason"]) == (65, "bad-signature")


def test_no_trusted_key_refuses_everything(
    server: ArtifactServer, make_artifact: Callable[..., str], tmp_path: Path
) -> None:
    version = make_artifact()
    out, rc = run_tool(tmp_path / "root", "fetch", "--version", version, "--url", server.url)
    assert (rc, out["reason"]) == (65, "no-key")


def test_missing_artifact_is_unavailable_not_refused(
    keys: tuple[Path, Path], server: ArtifactServer, tmp_path: Path
) -> None:
    out, rc = run_tool(
        tmp_path / "root", "--public-key", str(keys[1]), "fetch", "--version", "9.9.9", "--url", server.url
    )
    assert (rc, out["reason"]) == (69, "not-found")


# --------------------------------------------------------------------------- switch, verify, rollback


def test_switch_keeps_a_bounded_number_of_releases(
    tool: ModuleType,
    keys: tuple[Path, Path],
    server: ArtifactServer,
    make_artifact: Callable[..., str],
    tmp_path: Path,
) -> None:
    settings = settings_for(tool, keys, keep=2)
    versions = [make_artifact() for _ in range(5)]
    for version in versions:
        fetch_and_switch(tool, tmp_path, settings, server.url, version)
        time.sleep(0.01)  # distinct mtimes order the releases
    assert installed(tmp_path) == versions[-1]
    assert sorted(p.name for p in (tmp_path / "releases").iterdir()) == sorted(versions[-2:])
    assert os.readlink(tmp_path / "previous") == f"releases/{versions[-2]}"
    assert not list((tmp_path / "staging").iterdir()), "staged copies of unpacked releases are removed"
    revision = json.loads((tmp_path / "current" / "REVISION").read_text())
    assert revision["version"] == versions[-1]
    assert len(revision["sha256"]) == 64


def test_failed_selftest_rolls_back_by_itself(
    keys: tuple[Path, Path], server: ArtifactServer, make_artifact: Callable[..., str], tmp_path: Path
) -> None:
    good, bad = make_artifact(), make_artifact(selftest=FAILING_SELFTEST)
    settings = write_settings(tmp_path, public_keys=[str(keys[1])], base_url=server.url, verify_interval=0.2)
    for version in (good, bad):
        assert run_tool(tmp_path, "fetch", "--version", version)[1] == 0
    out, rc = run_tool(tmp_path, "activate", "--version", good, "--deadline", "5", settings=settings)
    assert (rc, out["result"]) == (0, "confirmed")

    started = time.monotonic()
    out, rc = run_tool(tmp_path, "activate", "--version", bad, "--deadline", "1")
    assert (rc, out["result"]) == (3, "rolled-back")
    assert time.monotonic() - started < 10, "a failed release must be rolled back within the deadline"
    assert out["failed_version"] == bad
    assert out["version"] == good
    assert installed(tmp_path) == good
    status, _ = run_tool(tmp_path, "status")
    assert bad in status["failed"]
    assert status["pending"] is None

    # The orchestrator re-running the wave does not put the device back on the bad release.
    out, rc = run_tool(tmp_path, "activate", "--version", bad, "--deadline", "1")
    assert (rc, out["reason"]) == (1, "failed-before")
    assert installed(tmp_path) == good


def test_failed_pre_switch_selftest_changes_nothing(
    tool: ModuleType,
    keys: tuple[Path, Path],
    server: ArtifactServer,
    make_artifact: Callable[..., str],
    tmp_path: Path,
) -> None:
    good = make_artifact()
    broken = make_artifact(selftest=b"#!/bin/sh\necho config rejected >&2\nexit 1\n")
    settings = settings_for(tool, keys)
    fetch_and_switch(tool, tmp_path, settings, server.url, good)
    tool.fetch(tool.Layout(tmp_path), settings, broken, server.url)
    with pytest.raises(tool.ReleaseError, match="config rejected"):
        tool.switch(
            tool.Layout(tmp_path), settings, broken, force=False, ignore_window=False, ignore_session=False
        )
    assert installed(tmp_path) == good
    pending = tool.State.load(tool.Layout(tmp_path)).pending
    assert pending is not None
    assert pending["version"] == good, "the refused release must not become pending"


def test_verify_finishes_a_switch_left_unverified(
    keys: tuple[Path, Path], server: ArtifactServer, make_artifact: Callable[..., str], tmp_path: Path
) -> None:
    """The controller died between switch and self-test: the device's timer finishes the job."""
    good, bad = make_artifact(), make_artifact(selftest=FAILING_SELFTEST)
    write_settings(tmp_path, public_keys=[str(keys[1])], base_url=server.url, verify_interval=0.2)
    for version in (good, bad):
        run_tool(tmp_path, "fetch", "--version", version)
    assert run_tool(tmp_path, "switch", "--version", good)[0]["result"] == "switched"
    assert run_tool(tmp_path, "verify", "--no-wait")[0]["result"] == "confirmed"
    assert run_tool(tmp_path, "switch", "--version", bad)[0]["result"] == "switched"
    assert run_tool(tmp_path, "status")[0]["pending"]["version"] == bad

    out, rc = run_tool(tmp_path, "verify", "--no-wait", "--deadline", "0.5")
    assert (rc, out["result"], out["version"]) == (3, "rolled-back", good)
    assert installed(tmp_path) == good
    assert run_tool(tmp_path, "verify", "--no-wait")[0]["result"] == "nothing-pending"


def test_rollback_and_rollback_to(
    tool: ModuleType,
    keys: tuple[Path, Path],
    server: ArtifactServer,
    make_artifact: Callable[..., str],
    tmp_path: Path,
) -> None:
    settings = settings_for(tool, keys, keep=5)
    a, b, c = make_artifact(), make_artifact(), make_artifact()
    for version in (a, b, c):
        fetch_and_switch(tool, tmp_path, settings, server.url, version)
        time.sleep(0.01)
    out, rc = run_tool(tmp_path, "--public-key", str(keys[1]), "rollback")
    assert (rc, out["version"], out["from"], out["changed"]) == (0, b, c, True)
    assert installed(tmp_path) == b
    out, rc = run_tool(tmp_path, "rollback", "--to", c)
    assert (rc, out["version"]) == (0, c)
    out, rc = run_tool(tmp_path, "rollback", "--to", "nope")
    assert (rc, out["reason"]) == (1, "no-such-release")


def test_session_lock_defers_the_switch(
    keys: tuple[Path, Path], server: ArtifactServer, make_artifact: Callable[..., str], tmp_path: Path
) -> None:
    old, new = make_artifact(), make_artifact()
    lock = tmp_path / "shared" / "run" / "session.lock"
    write_settings(tmp_path, public_keys=[str(keys[1])], base_url=server.url, session_lock=str(lock))
    for version in (old, new):
        run_tool(tmp_path, "fetch", "--version", version)
    assert run_tool(tmp_path, "activate", "--version", old, "--deadline", "5")[1] == 0

    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as held:
        # The kiosk holds this lock for as long as a villager's session lasts.
        fcntl.flock(held, fcntl.LOCK_EX)
        out, rc = run_tool(tmp_path, "activate", "--version", new, "--deadline", "5")
        assert (rc, out["result"], out["reason"]) == (75, "deferred", "session-active")
        assert installed(tmp_path) == old
    out, rc = run_tool(tmp_path, "activate", "--version", new, "--deadline", "5")
    assert (rc, out["result"]) == (0, "confirmed")
    assert installed(tmp_path) == new


def test_maintenance_window_defers_the_switch_but_not_a_first_install(
    keys: tuple[Path, Path], server: ArtifactServer, make_artifact: Callable[..., str], tmp_path: Path
) -> None:
    first, second = make_artifact(), make_artifact()
    now = dt.datetime.now()
    closed = f"{(now + dt.timedelta(hours=2)):%H}:00-{(now + dt.timedelta(hours=3)):%H}:00"
    open_now = f"{(now - dt.timedelta(hours=1)):%H}:00-{(now + dt.timedelta(hours=2)):%H}:00"
    write_settings(tmp_path, public_keys=[str(keys[1])], base_url=server.url, windows=[closed])
    for version in (first, second):
        run_tool(tmp_path, "fetch", "--version", version)
    # Nothing runs yet, so there is nothing to disturb: a first install ignores the window.
    assert run_tool(tmp_path, "switch", "--version", first)[0]["result"] == "switched"
    out, rc = run_tool(tmp_path, "switch", "--version", second)
    assert (rc, out["reason"]) == (75, "outside-window")
    assert run_tool(tmp_path, "switch", "--version", second, "--ignore-window")[0]["result"] == "switched"
    write_settings(tmp_path, public_keys=[str(keys[1])], base_url=server.url, windows=[open_now])
    assert run_tool(tmp_path, "switch", "--version", first)[0]["result"] == "switched"


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
    tool: ModuleType,
    keys: tuple[Path, Path],
    server: ArtifactServer,
    make_artifact: Callable[..., str],
    tmp_path: Path,
) -> None:
    """SIGKILL the installer at random instants of unpack + switch + rollback; `current` stays whole."""
    files = 250
    versions = [make_artifact(files=files) for _ in range(12)]
    expected = dict.fromkeys(versions, files)
    settings_path = write_settings(tmp_path, public_keys=[str(keys[1])], base_url=server.url, keep=50)
    layout = tool.Layout(tmp_path)
    settings = tool.Settings.load(settings_path)
    for version in versions:
        tool.fetch(layout, settings, version, server.url)

    # How long one uninterrupted switch takes here, so the kills land inside it.
    first = versions[0]
    started = time.monotonic()
    assert run_tool(tmp_path, "switch", "--version", first)[1] == 0
    span = max(time.monotonic() - started, 0.2)

    rng = random.Random(7)
    kills = 0
    for version in versions[1:]:
        for command in (["switch", "--version", version], ["rollback"]):
            proc = subprocess.Popen(
                [sys.executable, str(RELEASE_TOOL), "--root", str(tmp_path), *command],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(rng.uniform(0.0, span * 1.2))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait()
            _check_complete(tmp_path, expected)
    assert kills >= 10, f"only {kills} runs were killed mid-way; the test proves nothing"

    # A re-run converges with no manual step and clears what the killed runs left.
    last = versions[-1]
    out, rc = run_tool(tmp_path, "switch", "--version", last)
    assert rc == 0, out
    assert _check_complete(tmp_path, expected) == last
    assert not [p for p in (tmp_path / "releases").iterdir() if p.name.startswith(".tmp-")]
    assert not list(tmp_path.glob(".*.tmp-*"))
    out, rc = run_tool(tmp_path, "verify", "--deadline", "5")
    assert rc == 0
    assert out["result"] in {"confirmed", "nothing-pending"}


@pytest.mark.slow
def test_kill_9_during_self_test_rollback_still_ends_on_the_good_release(
    keys: tuple[Path, Path], server: ArtifactServer, make_artifact: Callable[..., str], tmp_path: Path
) -> None:
    """SIGKILL `verify` while it judges and rolls back a bad release; the next verify finishes."""
    good, bad = make_artifact(files=50), make_artifact(files=50, selftest=FAILING_SELFTEST)
    write_settings(tmp_path, public_keys=[str(keys[1])], base_url=server.url, verify_interval=0.05, keep=10)
    for version in (good, bad):
        assert run_tool(tmp_path, "fetch", "--version", version)[1] == 0
    assert run_tool(tmp_path, "activate", "--version", good, "--deadline", "5")[1] == 0
    # How long an uninterrupted judge-and-roll-back takes here, so the kills land inside it.
    run_tool(tmp_path, "switch", "--version", bad, "--force")
    started = time.monotonic()
    assert run_tool(tmp_path, "verify", "--deadline", "0.1")[1] == 3
    span = time.monotonic() - started
    rng = random.Random(11)
    kills = 0
    for _ in range(6):
        out, rc = run_tool(tmp_path, "switch", "--version", bad, "--force")
        assert (rc, out["result"]) == (0, "switched"), out
        proc = subprocess.Popen(
            [sys.executable, str(RELEASE_TOOL), "--root", str(tmp_path), "verify", "--deadline", "0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.0, span * 0.9))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        assert installed(tmp_path) in {good, bad}
        # Whoever runs verify next (the timer, the orchestrator) finishes the job.
        run_tool(tmp_path, "verify", "--deadline", "0.1")
        assert installed(tmp_path) == good
        status, _ = run_tool(tmp_path, "status")
        assert status["pending"] is None
    assert kills >= 3, f"only {kills} verify runs were killed mid-way"
