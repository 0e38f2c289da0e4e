"""The real recording path: Qt Multimedia records a voice note from a (virtual) microphone.

A private PulseAudio server stands in for the sound card: a null sink ("speaker") and a
capture source remapped from its monitor ("mic"; Qt lists monitor sources as no input,
a remapped one as a microphone). The kiosk runs in a child process pointed at that
server, records while espeak-ng's Mandarin is played into the sink, submits the note with
an appeal, decodes it to check there is sound in it, and plays it back. Skipped where
Debian's pulseaudio, pulseaudio-utils (paplay) or espeak-ng are not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.payloads import MEDIA_CHUNK_BYTES

NEEDED = ("pulseaudio", "pactl", "paplay", "espeak-ng")
pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in NEEDED),
    reason=f"needs {', '.join(NEEDED)} (Debian: pulseaudio pulseaudio-utils espeak-ng)",
)


@pytest.fixture
def pulse(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A private PulseAudio server with a pretend microphone; yields the client environment."""
    home = tmp_path / "pulse"
    home.mkdir()
    socket = home / "native"
    script = home / "kiosk-test.pa"
    script.write_text(
        f"load-module module-native-protocol-unix socket={socket} auth-anonymous=1\n"
        "load-module module-null-sink sink_name=speaker\n"
        "load-module module-remap-source master=speaker.monitor source_name=mic channels=1 "
        "channel_map=mono source_properties=device.description=KioskTestMic\n"
        "set-default-sink speaker\nset-default-source mic\n"
    )
    client_conf = home / "client.conf"
    client_conf.write_text("autospawn = no\n")
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(home),
        "PULSE_SERVER": f"unix:{socket}",
        "PULSE_CLIENTCONFIG": str(client_conf),
    }
    log = (home / "pulseaudio.log").open("wb")
    server = subprocess.Popen(
        ["pulseaudio", "-n", "-F", str(script), "--daemonize=no", "--exit-idle-time=-1",
         "--use-pid-file=no", "--disable-shm=yes"],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        while subprocess.run(["pactl", "info"], env=env, capture_output=True, check=False).returncode:
            assert server.poll() is None, (home / "pulseaudio.log").read_text()
            assert time.monotonic() < deadline, "pulseaudio did not come up"
            time.sleep(0.1)
        yield env
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_a_voice_note_is_recorded_from_the_microphone_kept_and_played_back(
    pulse: dict[str, str], tmp_path: Path
) -> None:
    speech = tmp_path / "villager.wav"
    subprocess.run(
        ["espeak-ng", "-v", "cmn", "-s", "160", "-w", str(speech), "村口的路灯坏了三天了，晚上看不见路。"],
        check=True,
        capture_output=True,
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("record_child.py")),
            str(tmp_path / "kiosk"),
            str(speech),
        ],
        env={**pulse, "PYTHONPATH": str(root), "QT_LOGGING_RULES": "qt.multimedia.*=false"},
        cwd=root,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["recorder"] == "QtVoiceRecorder"
    assert result["available"] is True
    assert result["step"] == "voice"
    assert result["recorded"] is True, result
    assert result["seconds"] >= 2
    assert result["played"], result
    assert result["play_ended"], result
    assert result["voice_ref"].startswith("kiosk://kiosk-bz-0001/voice/")
    assert result["bytes"] > 2000, "an AAC file with a few seconds of speech"
    assert result["chunks"] == -(-result["bytes"] // MEDIA_CHUNK_BYTES), "queued for the hub in MediaChunks"
    assert result["peak"] > 0.05, "the recording holds the speech, not silence"
    assert result["work_left"] == []
